#!/bin/bash
# t0560-token-scope-expiry: tokens with a scope and an expiry. A read token
# may only GET; a build token also builds, uploads and tags but may not
# promote, create projects or manage members; a release token and the
# default one may do all their owner may. An expired token is refused with
# 401 naming when it expired; a token used beyond its scope with 403 naming
# its scope and the one the route needs. `token list` shows both (ISO
# times). Worker tokens are unchanged.
. "$(dirname "$0")/lib.sh"

start_hub
q sig create mc --short-name mc --title "Messaging" --purpose "tests" >/dev/null
q project create mc/el9 --major 9 --variant 1 --arch x86_64 >/dev/null
q repo create mc/el9/cand --arch x86_64 --channel candidate >/dev/null

READ=$(q token create --scope read --description ro)
BUILD=$(q token create --scope build --description ci)
REL=$(q token create --scope release --description rel)
FULL=$(q token create --description full)
LATER=$(q token create --expires 2099-01-02 --description later)
q token create --worker w1 >/dev/null

# --- token list: scope and expiry, times as ISO 8601 ---
q token list >list.txt
check "token list has SCOPE and EXPIRES columns" grep -Eq '^ID +USER +DESCRIPTION +SCOPE +CREATED +EXPIRES' list.txt
check "the read token is listed with scope read, no expiry" grep -Eq ' ro +read +20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z +- *$' list.txt
check "the build token is listed with scope build" grep -Eq ' ci +build ' list.txt
check "a token without --scope is scope user" grep -Eq ' full +user ' list.txt
check "the expiring token shows its expiry as ISO 8601" grep -Eq ' later +user +[0-9T:Z-]+ +2099-01-02T00:00:00Z *$' list.txt
check "the worker token is still scope worker" grep -Eq ' worker ' list.txt
q token list --json >list.json
check "token list --json: expires null when never, ISO else" test "$(jget '[(t["description"], t["expires"]) for t in d["tokens"] if t["description"] in ("ro", "later")]' list.json)" = '[["ro", null], ["later", "2099-01-02T00:00:00Z"]]'

# --- read: GETs only ---
check "a read token reads (sig list)" env QUARRY_TOKEN="$READ" "$QUARRY_BIN" sig list
QUARRY_TOKEN=$READ q whoami >who.txt
check "whoami names the token's scope" grep -Eq '^token scope: +read$' who.txt
QUARRY_TOKEN=$LATER q whoami --json >who.json
check "whoami --json has the token's expiry" test "$(jget '[d["token_scope"], d["token_expires"]]' who.json)" = '["user", "2099-01-02T00:00:00Z"]'
expect_fail 1 "scope is 'read'; POST sigs/\*/projects/\*/repos needs a token of scope 'release'" env QUARRY_TOKEN="$READ" "$QUARRY_BIN" repo create mc/el9/two --arch x86_64 --channel candidate
echo 'hello' >src.tar.gz
expect_fail 1 "scope is 'read'; POST sigs/\*/lookaside needs a token of scope 'build' or 'release'" env QUARRY_TOKEN="$READ" "$QUARRY_BIN" lookaside upload mc src.tar.gz
code=$(req POST "$QUARRY_HUB/api/v1/sigs/mc/lookaside?filename=x.tar.gz" -H "Authorization: Bearer $READ" --data-binary @src.tar.gz)
check "a read token's write is answered 403 (got $code)" test "$code" = 403
check "... and nothing was stored" test -z "$(find "$DATA/lookaside" -type f 2>/dev/null)"

# --- build: builds, uploads, lookaside; not release-level routes ---
check "a build token uploads to the lookaside" env QUARRY_TOKEN="$BUILD" "$QUARRY_BIN" lookaside upload mc src.tar.gz
RPM=$(make_rpm hello 1.0 1.el9.mc x86_64)
check "a build token adds packages to a candidate repo" env QUARRY_TOKEN="$BUILD" "$QUARRY_BIN" upload mc/el9/cand "$RPM"
expect_fail 1 "scope is 'build'; PUT sigs/\*/members/\* needs a token of scope 'release'" env QUARRY_TOKEN="$BUILD" "$QUARRY_BIN" sig member add mc nobody --role member
expect_fail 1 "scope is 'build'; POST tokens needs a token of scope 'release'" env QUARRY_TOKEN="$BUILD" "$QUARRY_BIN" token create
expect_fail 1 "scope is 'build'; PUT sigs/\*/projects/\*/policy needs a token of scope 'release'" env QUARRY_TOKEN="$BUILD" "$QUARRY_BIN" policy set mc/el9 --testing-days 0

# --- release and the default: all the owner may ---
check "a release token creates a repo" env QUARRY_TOKEN="$REL" "$QUARRY_BIN" repo create mc/el9/three --arch x86_64 --channel candidate
check "the default token creates a repo" env QUARRY_TOKEN="$FULL" "$QUARRY_BIN" repo create mc/el9/four --arch x86_64 --channel candidate
check "a token with a future expiry works" env QUARRY_TOKEN="$LATER" "$QUARRY_BIN" whoami

# --- scopes do not lift roles: a plain user's release token is still a plain user ---
PLAIN=$(new_user plain user)
PREL=$(QUARRY_TOKEN=$PLAIN q token create --scope release)
expect_fail 1 "may not create projects|only leads|only admins" env QUARRY_TOKEN="$PREL" "$QUARRY_BIN" project create mc/el8 --major 8 --variant 1 --arch x86_64

# --- expiry ---
SHORT=$(q token create --expires 3s --description short)
check "a token before its expiry works" env QUARRY_TOKEN="$SHORT" "$QUARRY_BIN" whoami
exp=$(q token list --json | jget '[t["expires"] for t in d["tokens"] if t["description"] == "short"][0]' /dev/stdin)
check "the short token's expiry is an ISO time ($exp)" grep -Eq '^20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$' <<<"$exp"
sleep 4
expect_fail 1 "the token expired at $exp" env QUARRY_TOKEN="$SHORT" "$QUARRY_BIN" whoami
code=$(req GET "$QUARRY_HUB/api/v1/whoami" -H "Authorization: Bearer $SHORT")
check "an expired token is answered 401 (got $code)" test "$code" = 401
check "... whose message names the expiry" grep -q "expired at $exp" "$T/body"
# A token that expires cannot mint one that outlives it.
expect_fail 1 "this token expires at 2099-01-02T00:00:00Z" env QUARRY_TOKEN="$LATER" "$QUARRY_BIN" token create
check "... but one that expires before it" env QUARRY_TOKEN="$LATER" "$QUARRY_BIN" token create --expires 2098-01-01
expect_fail 2 "neither a duration" q token create --expires soon
expect_fail 2 "--scope 'admin' is unknown" q token create --scope admin
expect_fail 1 "not in the future" q token create --expires 2001-01-01
expect_fail 2 "a worker token takes no --expires or --scope" q token create --worker w2 --scope read
finish
