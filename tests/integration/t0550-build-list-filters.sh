#!/bin/bash
# t0550-build-list-filters: `quarry build list` filters, alone and combined:
# --mine (the token's user), --project SIG/PROJECT, --package NAME, --since
# (a date, a date and time, or an age such as 7d), with --sig and --state;
# the API's query parameters behind them (GET /builds), each refused by name
# when malformed or unknown.
. "$(dirname "$0")/lib.sh"

start_hub
q sig create mc --short-name mc --title "Messaging" --purpose "tests" >/dev/null
q sig create ot --short-name ot --title "Other" --purpose "tests" >/dev/null
q project create mc/el9 --major 9 --variant 1 --arch x86_64 >/dev/null
q project create mc/el9b --major 9 --variant 2 --arch x86_64 >/dev/null
q project create ot/el9 --major 9 --variant 1 --arch x86_64 >/dev/null
BOB=$(new_user bob user)
q sig member add mc bob --role member >/dev/null
as() { local tok=$1; shift; QUARRY_TOKEN=$tok "$QUARRY_BIN" "$@"; }

PKG_ARCH=noarch make_git_pkg "$T/ga" mc-alpha 1.0 1
qgit "$T/ga" branch r9-sig-mc-2 # mc/el9b is variant 2
PKG_ARCH=noarch make_git_pkg "$T/gb" mc-beta 1.0 1
PKG_ARCH=noarch make_git_pkg "$T/go" ot-gamma 1.0 1 r9-sig-ot-1
# admin: alpha in mc/el9 and in mc/el9b, gamma in ot/el9; bob: beta in mc/el9
a1=$(q build mc/el9 "$T/ga#r9-sig-mc-1" --json | jget 'd["id"]' /dev/stdin)
a2=$(q build mc/el9b "$T/ga#r9-sig-mc-2" --json | jget 'd["id"]' /dev/stdin)
g1=$(q build ot/el9 "$T/go#r9-sig-ot-1" --json | jget 'd["id"]' /dev/stdin)
b1=$(as "$BOB" build mc/el9 "$T/gb#r9-sig-mc-1" --json | jget 'd["id"]' /dev/stdin)
for id in "$a1" "$a2" "$g1" "$b1"; do
	check "build $id completes" test "$(wait_build "$id")" = complete
done
# One build is ten days old (its creation time moved back in the database).
python3 - "$DATA/quarry.db" "$a1" <<'PY'
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], timeout=30)
db.execute("UPDATE builds SET created = ? WHERE id = ?", (int(time.time()) - 10 * 86400, int(sys.argv[2])))
db.commit()
PY

# ids FILTER…: the ids `build list` prints with these options, sorted.
ids() { q build list "$@" --json | jget '" ".join(str(b["id"]) for b in sorted(d["builds"], key=lambda b: b["id"]))' /dev/stdin; }
sorted() { printf '%s\n' "$@" | sort -n | paste -sd' '; }

check "no filter: all four builds" test "$(ids)" = "$(sorted "$a1" "$a2" "$g1" "$b1")"
check "--mine (admin): the admin's three" test "$(ids --mine)" = "$(sorted "$a1" "$a2" "$g1")"
check "--mine (bob): bob's one" test "$(QUARRY_TOKEN=$BOB ids --mine)" = "$b1"
check "--project mc/el9: two" test "$(ids --project mc/el9)" = "$(sorted "$a1" "$b1")"
check "--project mc/el9b: one" test "$(ids --project mc/el9b)" = "$a2"
check "--sig mc: three" test "$(ids --sig mc)" = "$(sorted "$a1" "$a2" "$b1")"
check "--package mc-alpha: both projects" test "$(ids --package mc-alpha)" = "$(sorted "$a1" "$a2")"
check "--package mc-alpha --project mc/el9b: one" test "$(ids --package mc-alpha --project mc/el9b)" = "$a2"
check "--mine --project mc/el9: the admin's one there" test "$(ids --mine --project mc/el9)" = "$a1"
check "--since 7d leaves out the ten-day-old build" test "$(ids --since 7d)" = "$(sorted "$a2" "$g1" "$b1")"
check "--since 12h too" test "$(ids --since 12h)" = "$(sorted "$a2" "$g1" "$b1")"
check "--since 11d takes it in" test "$(ids --since 11d)" = "$(sorted "$a1" "$a2" "$g1" "$b1")"
check "--since a date in the past: all" test "$(ids --since 2000-01-01)" = "$(sorted "$a1" "$a2" "$g1" "$b1")"
check "--since a date and time in the future: none" test "$(ids --since 2099-01-01T00:00:00Z)" = ""
check "--since 7d --package mc-alpha: the newer one" test "$(ids --since 7d --package mc-alpha)" = "$a2"
check "--state complete --mine --sig ot" test "$(ids --state complete --mine --sig ot)" = "$g1"
check "--state failed: none" test "$(ids --state failed)" = ""
q build list --mine --project mc/el9 >table.txt
check "the table shows the build" grep -q "mc-alpha-1.0-1.el9.mc" table.txt
lacks "… and not the other filters' builds" table.txt "mc-beta|ot-gamma"

# CLI refusals (exit 2, usage)
expect_fail 2 "neither a date .* nor an age" q build list --since yesterday
expect_fail 2 "neither a date" q build list --since 7x
expect_fail 2 "neither a date" q build list --since 2026-13-01
expect_fail 2 "is not SIG/PROJECT" q build list --project mc
expect_fail 2 "name different SIGs" q build list --sig ot --project mc/el9
expect_fail 2 "needs a token" env -u QUARRY_TOKEN "$QUARRY_BIN" build list --mine
expect_fail 1 "query parameter 'package'" q build list --package 'bad name'

# The API: each parameter is checked, and named when wrong (400).
pub() { req GET "$QUARRY_HUB/api/v1/builds?$1"; }
check "owner=bob (no token needed)" test "$(pub owner=bob)" = 200
check "… lists bob's build" test "$(jget '[b["id"] for b in d["builds"]]')" = "[$b1]"
for bad in "sig=MC" "project=el9" "project=..&sig=mc" "owner=Bob!" "state=done" \
	"package=a%20b" "since=2026-12-01T10:00" "since=7d" "limit=0" "limit=1001" "colour=red"; do
	key=${bad%%=*}
	[ "$bad" = "project=el9" ] && key=project
	check "GET /builds?$bad → 400" test "$(pub "$bad")" = 400
	check "… naming '$key'" grep -q "'$key'" "$T/body"
done
check "project needs sig: the message says so" bash -c "grep -q \"'project' needs 'sig'\" <<<\"\$(curl -s '$QUARRY_HUB/api/v1/builds?project=el9')\""

finish
