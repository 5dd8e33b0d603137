#!/bin/bash
# t0080: configuration checking (every error as FILE:LINE), init refusing
# to run twice, the hub refusing a bad configuration, HTTP method and path
# errors, and state surviving a restart.
. "$(dirname "$0")/lib.sh"

cat >bad.ini <<'INI'
[hub]
listen = 127.0.0.1
threads = 0
max_upload_size = 12X
[nosuch]
key = 1
[publish]
grace_period = forever
color = blue
INI
expect_fail 1 "bad.ini:2: hub.listen" q config check bad.ini
out=$(q config check bad.ini 2>&1 || true)
for line in 2 3 4 5 6 8 9; do
	if grep -q "^bad.ini:$line: " <<<"$out"; then
		ok "config check reports line $line"
	else
		fail "config check reports line $line"
		diag "$out"
	fi
done
check "config check names the error count" grep -q "7 errors" <<<"$out"
printf '[hub]\nlisten = 127.0.0.1:9\n# a comment\n\n[log]\nlevel = debug\n' >good.ini
check "a valid file passes" q config check good.ini
expect_fail 2 "usage" q config
expect_fail 1 "bad.ini:3" q hub -c bad.ini

start_hub
before=$(q token list --json | jget 'len(d["tokens"])' /dev/stdin)
expect_fail 1 "already initialised" q init -c hub.ini
check "init twice made no second token" test "$(q token list --json | jget 'len(d["tokens"])' /dev/stdin)" -eq "$before"

code=$(req DELETE "$QUARRY_HUB/api/v1/sigs" -H "Authorization: Bearer $QUARRY_TOKEN")
check "DELETE /sigs answers 405" test "$code" = 405
check "405 names the allowed methods" grep -q "GET, POST" "$T/body"
allow=$(curl -s -D - -o /dev/null -X DELETE "$QUARRY_HUB/api/v1/sigs" | tr -d '\r' | awk -F': ' 'tolower($1)=="allow"{print $2}')
check "405 has an Allow header" test "$allow" = "GET, POST"
code=$(req GET "$QUARRY_HUB/api/v1/nothing/here")
check "an unknown API path answers 404" test "$code" = 404
check "the 404 is a JSON error" python3 -c 'import json,sys; assert json.load(open(sys.argv[1]))["error"]["code"] == "not_found"' "$T/body"
code=$(req GET "$QUARRY_HUB/api/v1/sigs/a%2Fb")
check "an escaped '/' in a path segment answers 400" test "$code" = 400
code=$(req GET "$QUARRY_HUB/api/v1/sigs/%zz")
check "a bad %-escape answers 400" test "$code" = 400

q sig create keep --short-name keep --title Keep --purpose "survives restarts" >/dev/null
restart_hub
check "a SIG survives a restart" q sig show keep
check "the token survives a restart" q whoami
finish
