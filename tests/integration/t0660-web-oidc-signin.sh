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
q user list --json >users.json
sig_role() { q sig show "$1" --json | jget "([m['role'] for m in d.get('members', []) if m['user'] == '$2'] or [''])[0]" /dev/stdin; }
check "groups gave carol member of cloud" test "$(sig_role cloud carol)" = member
check "… and lead of storage" test "$(sig_role storage carol)" = lead
check "… and nothing in virt" test "$(sig_role virt carol)" = ""
check "the sign-in and the roles are audited" bash -c "q() { '$QUARRY_BIN' \"\$@\"; }; q audit --json | grep -q 'oidc groups'"

# the provider's groups change: at the next sign-in the roles follow
glw_groups carol sig-cloud-lead sig-virt
cb=$(glw_signin jar2 carol carol-password "$QUARRY_HUB/auth/oidc")
code=$(curl -sS -o "$T/body" -b jar2 -c jar2 -w '%{http_code}' "$cb")
check "a second sign-in works" test "$code" = 303
check "… carol is now lead of cloud" test "$(sig_role cloud carol)" = lead
check "… member of virt" test "$(sig_role virt carol)" = member
check "… and no longer in storage" test "$(sig_role storage carol)" = ""
n_users=$(q user list --json | jget 'len(d["users"])' /dev/stdin)
check "… and no second user was made" test "$n_users" = 2

# the same answer again (a replayed code and state) is refused
code=$(curl -sS -o "$T/body" -b jar2 -c jar2 -w '%{http_code}' "$cb")
check "a replayed answer is refused (403)" test "$code" = 403
check "… with a clear page" grep -q "no sign-in of this browser is waiting" "$T/body"

# a forged state: the sign-in is consumed, nothing changes
cb=$(glw_signin jar3 carol carol-password "$QUARRY_HUB/auth/oidc")
forged=$(python3 -c 'import sys, re; print(re.sub(r"state=[^&]*", "state=forged-state", sys.argv[1]))' "$cb")
code=$(curl -sS -o "$T/body" -D hdr3 -b jar3 -c jar3 -w '%{http_code}' "$forged")
check "a forged state is refused (403)" test "$code" = 403
check "… saying so" grep -q "state is not this sign-in" "$T/body"
lacks "… and no session cookie is set" hdr3 '^set-cookie: quarry_session=[^;]'
code=$(curl -sS -o "$T/body" -b jar3 -c jar3 -w '%{http_code}' "$cb")
check "… nor can the genuine answer be used after it" test "$code" = 403

# an answer brought to another browser (login CSRF) is refused
cb=$(glw_signin jar4 carol carol-password "$QUARRY_HUB/auth/oidc")
code=$(curl -sS -o "$T/body" -D hdr4 -w '%{http_code}' "$cb")
check "an answer without the browser's sign-in cookie is refused" test "$code" = 403
lacks "… and signs nobody in" hdr4 '^set-cookie: quarry_session=[^;]'

check "the CLI's admin token still works" q whoami
finish
