#!/bin/bash
# t0542: with --json every error is JSON on standard output, in the API's
# error body's shape {"error":{"code","message"}}: refusals from the hub
# (not found, forbidden) carry the API's own code and message, client-side
# errors (an unreadable file, an unreachable hub, a usage error) a code of
# the same table. The exit status is the one the text mode has; without
# --json errors stay text on stderr.
. "$(dirname "$0")/lib.sh"

start_hub "[build]
embedded_worker = false"
q sig create mc --short-name mc --title "Messaging" --purpose "tests" >/dev/null
q project create mc/el9 --major 9 --variant 1 --arch x86_64 >/dev/null

# jerr CODE MESSAGE_REGEX FILE: FILE is exactly one JSON error body.
jerr() {
	python3 - "$@" <<'PY'
import json, re, sys
code, pattern, path = sys.argv[1:]
d = json.load(open(path))
assert list(d) == ["error"], d
e = d["error"]
assert set(e) <= {"code", "message", "errors"}, e
assert e["code"] == code, e
assert re.search(pattern, e["message"]), e
PY
}

# run_cli OUT ERR ARGS…: the exit status in $rc, stdout and stderr in files.
run_cli() {
	local out=$1 err=$2
	shift 2
	rc=0
	q "$@" >"$out" 2>"$err" || rc=$?
}

# A refusal from the hub: the API's code and message.
api GET builds/999 >/dev/null
api_msg=$(jget 'd["error"]["message"]')
api_code=$(jget 'd["error"]["code"]')
check "the API answers not_found for build 999" test "$api_code" = not_found
run_cli out.json err.txt build show 999 --json
check "build show 999 --json is the API's error body" jerr not_found "^$(printf '%s' "$api_msg" | sed 's/[][\.*^$()+?{}|]/\\&/g')\$" out.json
check "… with the API's exact message" test "$(jget 'd["error"]["message"]' out.json)" = "$api_msg"
json_rc=$rc
run_cli out.txt err2.txt build show 999
check "the exit status is the text mode's (and not 0)" test "$json_rc" = "$rc" -a "$rc" -ne 0
check "the text mode prints the message on stderr" grep -qF "quarry: $api_msg" err2.txt
check "… and nothing on stdout" test ! -s out.txt

run_cli out.json err.txt sig show nosuch --json
check "sig show nosuch --json: not_found" jerr not_found "nosuch" out.json
check "… exit 1" test "$rc" = 1

PK=$(new_user pat user)
rc=0
QUARRY_TOKEN=$PK q sig create other --short-name ot --title T --purpose p --json >out.json 2>err.txt || rc=$?
check "a forbidden request --json: the API's code" jerr forbidden "." out.json
check "… exit status unchanged (not 0)" test "$rc" -ne 0

# Client-side errors.
run_cli out.json err.txt build submit mc/el9 "$T/missing.src.rpm" --json
check "an unreadable SRPM --json: invalid" jerr invalid "cannot read '.*missing.src.rpm'" out.json
check "… exit 1" test "$rc" = 1
rc=0
q build show 1 --json --hub http://127.0.0.1:1 >out.json 2>err.txt || rc=$?
check "an unreachable hub --json: io_error" jerr io_error "cannot reach the hub" out.json
check "… exit 1" test "$rc" = 1
run_cli out.json err.txt build show --json
check "a usage error --json: invalid, naming --help" jerr invalid "expected ID; see 'quarry build show --help'" out.json
check "… exit 2 as in text mode" test "$rc" = 2
run_cli out.json err.txt build show 1 --bogus --json
check "an unknown option --json: invalid" jerr invalid "unknown option '--bogus'" out.json
check "… exit 2" test "$rc" = 2

# A successful --json answer is unchanged (not an error body).
run_cli out.json err.txt sig show mc --json
check "sig show mc --json is the SIG" test "$(jget 'd["name"]' out.json)" = mc
finish
