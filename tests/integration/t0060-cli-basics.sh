#!/bin/bash
# t0060-cli-basics: every command's -h exits 0 with help on stdout; usage
# errors exit 2 with a message on stderr; --json prints valid JSON; the hub
# and token come from flags, the environment or the client config file.
. "$(dirname "$0")/lib.sh"

help_cmds=(
	"sig" "sig list" "sig show" "sig create" "sig update" "sig retire"
	"sig member" "sig member add" "sig member remove" "sig key"
	"project" "project list" "project show" "project create"
	"repo" "repo list" "repo show" "repo create" "repo history"
	"upload" "publish" "whoami" "token" "token create" "token list" "token revoke"
	"user" "user list" "user create" "audit"
)
for c in "${help_cmds[@]}"; do
	for h in -h --help; do
		rc=0
		# shellcheck disable=SC2086 # split the command words
		out=$(q $c $h 2>/dev/null) || rc=$?
		if [ "$rc" -eq 0 ] && grep -q "usage: quarry" <<<"$out"; then
			ok "quarry $c $h"
		else
			fail "quarry $c $h (exit $rc)"
			diag "$out"
		fi
	done
done
check "quarry --help" q --help

# Usage errors: exit 2, the reason on stderr, nothing on stdout.
usage_errors=(
	"nosuchcommand"
	"sig"
	"sig bogus"
	"sig member"
	"sig show"
	"sig show a b"
	"sig list --title x"
	"sig list --no-such-option"
	"sig create mc --title T --purpose P"
	"sig show Bad_Name"
	"sig update mc"
	"sig member add mc"
	"project create mc/el9 --major nine --variant 1 --arch x86_64"
	"project create mc/el9 --major 9 --variant 1 --arch sparc"
	"project show mc"
	"repo show mc/el9"
	"repo show mc/el9/common/extra"
	"repo create mc/el9/common"
	"repo create mc/el9/common --arch x86_64 --channel beta"
	"upload mc/el9/common"
	"upload mc/el9 x.rpm"
	"publish a/b/c d"
	"publish a/b"
	"token revoke"
	"token revoke abc"
	"user create bob"
	"user create bob --role god"
	"audit --limit x"
	"whoami extra"
)
for c in "${usage_errors[@]}"; do
	rc=0
	# shellcheck disable=SC2086
	q $c --hub http://127.0.0.1:1 >stdout 2>stderr || rc=$?
	if [ "$rc" -eq 2 ] && [ -s stderr ] && [ ! -s stdout ]; then
		ok "quarry $c → usage error"
	else
		fail "quarry $c → usage error (exit $rc)"
		diag "$(cat stdout stderr)"
	fi
done

# No hub anywhere: a usage error that says how to give one.
expect_fail 2 "hub" q whoami
# A hub that does not answer: exit 1, "quarry: …".
expect_fail 1 "^quarry: .*(connect|reach)" q whoami --hub http://127.0.0.1:1

start_hub

# --json prints the API's JSON, valid and indented, from any position.
q sig create mc --short-name mc --title "Messaging and Communication" --purpose "Chat" >/dev/null
q project create mc/el9 --major 9 --variant 1 --arch x86_64 >/dev/null
q repo create mc/el9/common --arch x86_64 >/dev/null
json_cmds=(
	"whoami --json"
	"sig list --json"
	"sig --json list"
	"sig show mc --json"
	"project list mc --json"
	"project show mc/el9 --json"
	"repo list mc/el9 --json"
	"repo show mc/el9/common --json"
	"repo history mc/el9/common --json"
	"user list --json"
	"token list --json"
	"audit --json --limit 5"
)
for c in "${json_cmds[@]}"; do
	# shellcheck disable=SC2086
	if q $c >out.json 2>err && python3 -m json.tool out.json >/dev/null; then
		ok "quarry $c is JSON"
	else
		fail "quarry $c is JSON"
		diag "$(cat out.json err)"
	fi
done
check "token create --json has the token" \
	bash -c 'q() { "$QUARRY_BIN" "$@"; }; q token create --json --description t | python3 -c "import json,sys; assert json.load(sys.stdin)[\"token\"].startswith(\"qk_\")"'

# The readable output is not JSON and shows the fields.
check "sig show prints fields" bash -c '"$QUARRY_BIN" sig show mc | grep -q "^short name: *mc"'
check "sig list prints a table" bash -c '"$QUARRY_BIN" sig list | grep -q "^mc  *mc  *proposed  *Messaging and Communication$"'
# Global options before the command name (main.c must pass them on).
check "quarry --hub URL --json sig list" env -u QUARRY_HUB "$QUARRY_BIN" --hub "$QUARRY_HUB" --json sig list

# The hub and token from the client config file, then overridden.
cat >"$T/client.ini" <<INI
# written by t0060
[client]
hub = $QUARRY_HUB/
token = $QUARRY_TOKEN
INI
chmod 600 "$T/client.ini"
check "client config file" env -u QUARRY_HUB -u QUARRY_TOKEN \
	"$QUARRY_BIN" whoami --client-config "$T/client.ini"
check "QUARRY_CLIENT_CONFIG" env -u QUARRY_HUB -u QUARRY_TOKEN \
	QUARRY_CLIENT_CONFIG="$T/client.ini" "$QUARRY_BIN" whoami
check "default ~/.config/quarry/client.ini" bash -c \
	'mkdir -p "$HOME/.config/quarry" && cp "'"$T"'/client.ini" "$HOME/.config/quarry/" &&
	 env -u QUARRY_HUB -u QUARRY_TOKEN -u QUARRY_CLIENT_CONFIG "$QUARRY_BIN" whoami'
expect_fail 1 "^quarry: " env -u QUARRY_HUB QUARRY_CLIENT_CONFIG="$T/client.ini" \
	QUARRY_TOKEN=qk_0000 "$QUARRY_BIN" whoami
check "--hub and --token beat the environment" env QUARRY_HUB=http://127.0.0.1:1 QUARRY_TOKEN=x \
	"$QUARRY_BIN" sig --hub "$QUARRY_HUB" --token "$ADMIN_TOKEN" list
expect_fail 2 "client config" "$QUARRY_BIN" whoami --client-config "$T/missing.ini"

# API errors: exit 1 with the API's message.
expect_fail 1 "^quarry: .*nosuch.*not found" q sig show nosuch
expect_fail 1 "^quarry: " q sig create mc --short-name mc --title T --purpose P

finish
