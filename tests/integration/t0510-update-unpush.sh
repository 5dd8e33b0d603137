#!/bin/bash
# t0510-update-unpush: unpush without dead ends. A candidate or testing
# update is unpushed (its packages leave the testing repo, and the release
# repo where an override put them); a released one is refused, naming
# `quarry revoke`; an unpushed update goes back to testing through the gate
# (`promote --to testing`); its builds are free to join another update
# (they move), and an override tag of such a build into the release repo
# leaves the update usable.
. "$(dirname "$0")/lib.sh"

life_setup
for k in a b c d; do life_build "$k" "life-$k" 1.0 1; done
life_wait
TST=$PUB/rel-testing

# --- candidate → testing → unpushed → testing → release ---
U1=$(life_update "${B[a]}")
check "promote to testing" q promote "$U1" --to testing
check "the testing repo lists life-a" in_repodata "$TST" life-a
check "the lead unpushes a testing update" env QUARRY_TOKEN="${TOK[lead]}" "$QUARRY_BIN" unpush "$U1"
check "… it is unpushed" test "$(life_state "$U1")" = unpushed
refute "… and its packages left the testing repo" in_repodata "$TST" life-a
life_refused "unpush an unpushed update" lead 409 \
	"update $U1 is 'unpushed'; only a candidate or testing update can be unpushed" "$U1" POST "updates/$U1/unpush"
life_refused "a member may not promote an unpushed update to release" member 403 \
	"may not release this SIG's updates" "$U1" POST "updates/$U1/promote" '{"to": "release"}'
life_refused "an unpushed update goes to testing, not straight to release" lead 409 \
	"rule 'state': update $U1 is 'unpushed'; it moves to release from testing" "$U1" POST "updates/$U1/promote" '{"to": "release"}'
check "a member moves the unpushed update back to testing" \
	env QUARRY_TOKEN="${TOK[member]}" "$QUARRY_BIN" promote "$U1" --to testing
check "… it is in testing" test "$(life_state "$U1")" = testing
check "… and the testing repo lists life-a again" in_repodata "$TST" life-a
check "released" q promote "$U1" --to release
check "the release repo lists life-a" in_repodata "$PUB/rel" life-a
refute "… the testing repo no longer does" in_repodata "$TST" life-a
for role in lead releng admin; do
	life_refused "unpush a released update" "$role" 409 \
		"update $U1 is released, and released is final: it cannot be unpushed.*'quarry revoke $U1 --reason TEXT'" \
		"$U1" POST "updates/$U1/unpush"
done
expect_fail 1 "released is final.*quarry revoke $U1" q unpush "$U1"
check "the release repo still lists life-a" in_repodata "$PUB/rel" life-a
life_refused "a released update does not go back to testing" lead 409 \
	"rule 'state': update $U1 is 'release'; only a candidate or an unpushed update moves to testing \\(released is final\\)" \
	"$U1" POST "updates/$U1/promote" '{"to": "testing"}'

# --- an unpushed update's builds are free for another update ---
U2=$(life_update "${B[b]}")
check "unpush a candidate" q unpush "$U2"
check "… unpushed" test "$(life_state "$U2")" = unpushed
U3=$(life_update "${B[b]}")
check "a new update takes the unpushed update's build" test -n "$U3"
q update show "$U3" --json >u3.json
check "… the build is in the new update" test "$(jget '[b["id"] for b in d["builds"]]' u3.json)" = "[${B[b]}]"
q update show "$U2" --json >u2.json
check "… and left the unpushed one" test "$(jget 'len(d["builds"])' u2.json)" = 0
check "… which stays unpushed" test "$(jget 'd["state"]' u2.json)" = unpushed
life_refused "an update without builds does not go to testing" lead 409 \
	"rule 'builds': update $U2 has no builds; add some with 'quarry update edit $U2 --add-build BUILD'" \
	"$U2" POST "updates/$U2/promote" '{"to": "testing"}'
life_refused "a build of a candidate update does not join another" admin 409 \
	"build ${B[b]} is already in update $U3 \\(candidate\\); only the builds of an unpushed or obsolete update may join another" \
	"$U3" POST sigs/mc/projects/el9/updates "{\"repo\": \"rel\", \"builds\": [${B[b]}]}"
check "no update was made by the refused create" test "$(q update list --json | jget 'len(d["updates"])' /dev/stdin)" = 3
check "the unpushed update takes a build again (edit)" \
	q update edit "$U2" --add-build "${B[c]}"
check "… it is still unpushed" test "$(life_state "$U2")" = unpushed
check "… and goes back to testing" q promote "$U2" --to testing
check "… with life-c in the testing repo" in_repodata "$TST" life-c

# --- a build tagged into the release repo by override, then unpush ---
U4=$(life_update "${B[d]}")
check "a release engineer tags life-d into the release repo (override)" \
	env QUARRY_TOKEN="${TOK[releng]}" "$QUARRY_BIN" tag "${B[d]}" mc/el9/rel --override "hotfix"
check "the release repo lists life-d" in_repodata "$PUB/rel" life-d
check "unpush the candidate update of life-d" q unpush "$U4"
refute "unpush took life-d out of the release repo too" in_repodata "$PUB/rel" life-d
check "… the release repo still lists life-a (another update's)" in_repodata "$PUB/rel" life-a
q audit --json >audit.json
check "the audit log says the unpush took packages out of the release repo" \
	test "$(jget "len([e for e in d['entries'] if e['action'] == 'update.unpush' and e['target'] == 'update $U4' and '\"left_release\":1' in e['detail']])" audit.json)" = 1
check "an override tag of the unpushed update's build is allowed" \
	env QUARRY_TOKEN="${TOK[releng]}" "$QUARRY_BIN" tag "${B[d]}" mc/el9/rel --override "again"
check "the unpushed update is not stuck: testing" q promote "$U4" --to testing
check "… and release" q promote "$U4" --to release
check "… the release repo lists life-d once" test "$(nevras "$PUB/rel" | grep -c '^life-d-')" = 1

finish
