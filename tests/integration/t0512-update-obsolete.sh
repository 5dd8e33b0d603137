#!/bin/bash
# t0512-update-obsolete: when an update enters testing, every other
# candidate or testing update of the same release repo holding a build of
# the same package with a lower version-release (rpm's comparison: 1.0-10
# is newer than 1.0-9) becomes obsolete: obsoleted_by names the newer
# update, its builds leave the testing repo (republished), the audit log
# says so. Released updates, newer ones and other release repos' updates
# are left alone. An obsolete update moves no more, and its builds are free
# for another update.
. "$(dirname "$0")/lib.sh"

life_setup
q repo create mc/el9/rel2 --arch x86_64 --channel release >/dev/null
life_build f9 life-foo 1.0 9
life_build f10 life-foo 1.0 10
life_build f09 life-foo 0.9 1
life_build f11 life-foo 1.1 1
life_build f08 life-foo 0.8 1
life_build f05 life-foo 0.5 1
life_build bar life-bar 1.0 1
life_wait
TST=$PUB/rel-testing
obs() { q update show "$1" --json | jget 'd["obsoleted_by"]' /dev/stdin; }

R=$(life_update "${B[f05]}")
check "an old update is released" q promote "$R" --to release
A=$(life_update "${B[f9]}" "${B[bar]}")
check "A (life-foo-1.0-9, life-bar) enters testing" q promote "$A" --to testing
check "… the testing repo lists life-foo-1.0-9 and life-bar" \
	test "$(nevras "$TST" | tr '\n' ' ')" = "life-bar-1.0-1.el9.mc.noarch life-foo-1.0-9.el9.mc.noarch "
C=$(q update create mc/el9 rel2 "${B[f08]}" --json | jget 'd["id"]' /dev/stdin)
D=$(life_update "${B[f09]}")
E=$(life_update "${B[f11]}")
Bu=$(life_update "${B[f10]}")
check "nothing is obsolete before B enters testing" test "$(q update list --state obsolete --json | jget 'len(d["updates"])' /dev/stdin)" = 0

check "B (life-foo-1.0-10) enters testing" q promote "$Bu" --to testing
check "A (testing, 1.0-9) is obsolete" test "$(life_state "$A")" = obsolete
check "… obsoleted by B" test "$(obs "$A")" = "$Bu"
check "D (candidate, 0.9-1) is obsolete" test "$(life_state "$D")" = obsolete
check "… obsoleted by B" test "$(obs "$D")" = "$Bu"
check "E (candidate, 1.1-1, newer) is not" test "$(life_state "$E")" = candidate
check "… and names no update" test "$(obs "$E")" = None
check "C (another release repo) is not" test "$(life_state "$C")" = candidate
check "R (released) is not" test "$(life_state "$R")" = release
check "the testing repo lists only life-foo-1.0-10 (A's builds left)" \
	test "$(nevras "$TST" | tr '\n' ' ')" = "life-foo-1.0-10.el9.mc.noarch "
check "the release repo still lists life-foo-0.5-1" in_repodata "$PUB/rel" life-foo
q audit --json >audit.json
check "the audit log has the two obsoletes, naming B and the versions" \
	test "$(jget "len([e for e in d['entries'] if e['action'] == 'update.obsolete' and '\"obsoleted_by\":$Bu' in e['detail'] and 'life-foo-1.0-10' in e['detail']])" audit.json)" = 2
check "update show says obsoleted by" bash -c "'$QUARRY_BIN' update show '$A' | grep -Eq '^obsoleted by: +$Bu\$'"

# --- an obsolete update moves no more ---
life_refused "promote an obsolete update" lead 409 \
	"rule 'state': update $A is 'obsolete'; only a candidate or an unpushed update moves to testing \\(a newer update replaced it; its builds may join another update\\)" \
	"$A" POST "updates/$A/promote" '{"to": "testing"}'
life_refused "release an obsolete update" lead 409 "rule 'state': update $A is 'obsolete'" \
	"$A" POST "updates/$A/promote" '{"to": "release"}'
life_refused "unpush an obsolete update" lead 409 \
	"update $A is 'obsolete'; only a candidate or testing update can be unpushed" "$A" POST "updates/$A/unpush"
life_refused "edit an obsolete update" lead 409 \
	"update $A is 'obsolete'; only candidate, testing and unpushed updates can be edited \\(its builds may join another update\\)" \
	"$A" POST "updates/$A/builds" "{\"remove\": [${B[bar]}]}"
F=$(life_update "${B[bar]}")
check "an obsolete update's build joins another update" test "$(q update show "$F" --json | jget '[b["id"] for b in d["builds"]]' /dev/stdin)" = "[${B[bar]}]"
check "… and leaves the obsolete one" test "$(q update show "$A" --json | jget '[b["id"] for b in d["builds"]]' /dev/stdin)" = "[${B[f9]}]"

# --- the newer update in turn makes B obsolete ---
check "E (1.1-1) enters testing" q promote "$E" --to testing
check "B (testing, 1.0-10) is obsolete now" test "$(life_state "$Bu")" = obsolete
check "… obsoleted by E" test "$(obs "$Bu")" = "$E"
check "the testing repo lists only life-foo-1.1-1" \
	test "$(nevras "$TST" | tr '\n' ' ')" = "life-foo-1.1-1.el9.mc.noarch "

finish
