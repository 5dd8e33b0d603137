#!/bin/bash
# t0551-update-list-filters: `quarry update list --project SIG/PROJECT
# --state STATE` (with --sig), alone and combined, and the query parameters
# of GET /updates behind them, refused by name when malformed or unknown.
. "$(dirname "$0")/lib.sh"

start_hub
q sig create mc --short-name mc --title "Messaging" --purpose "tests" >/dev/null
q sig create ot --short-name ot --title "Other" --purpose "tests" >/dev/null
q project create mc/el9 --major 9 --variant 1 --arch x86_64 >/dev/null
q project create mc/el9b --major 9 --variant 2 --arch x86_64 >/dev/null
q project create ot/el9 --major 9 --variant 1 --arch x86_64 >/dev/null
for r in mc/el9/common mc/el9b/extras ot/el9/common; do
	q repo create "$r" --arch x86_64 --channel release >/dev/null
	# no required checks: the test moves updates itself
	q policy set "${r%/*}" --checks "" --auto-testing false >/dev/null
done

PKG_ARCH=noarch make_git_pkg "$T/ga" mc-alpha 1.0 1
qgit "$T/ga" branch r9-sig-mc-2
PKG_ARCH=noarch make_git_pkg "$T/go" ot-gamma 1.0 1 r9-sig-ot-1
b1=$(q build mc/el9 "$T/ga#r9-sig-mc-1" --json | jget 'd["id"]' /dev/stdin)
b2=$(q build mc/el9b "$T/ga#r9-sig-mc-2" --json | jget 'd["id"]' /dev/stdin)
b3=$(q build ot/el9 "$T/go#r9-sig-ot-1" --json | jget 'd["id"]' /dev/stdin)
for id in "$b1" "$b2" "$b3"; do
	check "build $id completes" test "$(wait_build "$id")" = complete
done
u1=$(q update create mc/el9 common "$b1" --json | jget 'd["id"]' /dev/stdin)
u2=$(q update create mc/el9b extras "$b2" --json | jget 'd["id"]' /dev/stdin)
u3=$(q update create ot/el9 common "$b3" --json | jget 'd["id"]' /dev/stdin)
check "update $u2 goes to testing" q promote "$u2" --to testing >/dev/null

# ids FILTER…: the update ids `update list` prints with these options, sorted.
ids() { q update list "$@" --json | jget '" ".join(str(u["id"]) for u in sorted(d["updates"], key=lambda u: u["id"]))' /dev/stdin; }

check "no filter: three updates" test "$(ids)" = "$u1 $u2 $u3"
check "--project mc/el9: one" test "$(ids --project mc/el9)" = "$u1"
check "--project mc/el9b: one" test "$(ids --project mc/el9b)" = "$u2"
check "--sig mc: two" test "$(ids --sig mc)" = "$u1 $u2"
check "--state testing: one" test "$(ids --state testing)" = "$u2"
check "--state candidate: two" test "$(ids --state candidate)" = "$u1 $u3"
check "--state candidate --sig mc" test "$(ids --state candidate --sig mc)" = "$u1"
check "--project mc/el9b --state candidate: none" test "$(ids --project mc/el9b --state candidate)" = ""
check "--project mc/el9 --sig mc (the same SIG)" test "$(ids --project mc/el9 --sig mc)" = "$u1"
check "--state obsolete is a known state (none here)" test "$(ids --state obsolete)" = ""
q update list --project mc/el9b >table.txt
check "the table shows the update in testing" grep -Eq "^$u2 .*testing" table.txt
lacks "… and no other" table.txt "^($u1|$u3) "

expect_fail 2 "state 'done' is unknown" q update list --state done
expect_fail 2 "is not SIG/PROJECT" q update list --project mc
expect_fail 2 "name different SIGs" q update list --sig ot --project mc/el9

pub() { req GET "$QUARRY_HUB/api/v1/updates?$1"; }
check "GET /updates?sig=mc&project=el9&state=candidate → 200" test "$(pub 'sig=mc&project=el9&state=candidate')" = 200
check "… that update" test "$(jget '[u["id"] for u in d["updates"]]')" = "[$u1]"
for bad in "sig=MC" "project=el9" "project=..&sig=mc" "state=done" "colour=red"; do
	key=${bad%%=*}
	check "GET /updates?$bad → 400" test "$(pub "$bad")" = 400
	check "… naming '$key'" grep -q "'$key'" "$T/body"
done

finish
