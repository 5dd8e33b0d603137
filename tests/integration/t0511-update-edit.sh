#!/bin/bash
# t0511-update-edit: adding and removing builds (`POST /updates/ID/builds`,
# `quarry update edit ID --add-build B --remove-build B`) in candidate,
# testing and unpushed updates. An edit in testing takes the update back
# through the gate: its builds leave the testing repo, and it enters testing
# again at once when the gate passes (new builds included, removed ones
# gone); when the gate refuses, it stays a candidate and says why. Every
# refusal changes nothing.
. "$(dirname "$0")/lib.sh"

life_setup
for k in e f g h x; do life_build "$k" "life-$k" 1.0 1; done
life_wait
TST=$PUB/rel-testing
builds_of() { q update show "$1" --json | jget 'sorted(b["id"] for b in d["builds"])' /dev/stdin; }

# --- candidate ---
U=$(life_update "${B[e]}")
check "a member edits a candidate: add f, remove e (repeatable options)" \
	env QUARRY_TOKEN="${TOK[member]}" "$QUARRY_BIN" update edit "$U" --add-build "${B[f]}" --add-build "${B[g]}" --remove-build "${B[e]}"
check "… the update holds f and g" test "$(builds_of "$U")" = "[${B[f]}, ${B[g]}]"
check "… and is still a candidate" test "$(life_state "$U")" = candidate
V=$(life_update "${B[e]}")
check "the removed build is free: another update takes it" test "$(builds_of "$V")" = "[${B[e]}]"

# --- testing: the gate passes again at once ---
check "promote to testing" q promote "$U" --to testing
check "the testing repo lists life-f" in_repodata "$TST" life-f
check "… and life-g" in_repodata "$TST" life-g
life_call member POST "updates/$U/builds" "{\"add\": [${B[h]}], \"remove\": [${B[f]}]}" >status
check "edit in testing → 200" test "$(cat status)" = 200
check "… the gate passed: back in testing" test "$(jget 'd["update"]["state"]')" = testing
check "… the answer says the gate did not refuse" test "$(jget 'd["gate"]')" = None
check "… the update holds g and h" test "$(builds_of "$U")" = "[${B[g]}, ${B[h]}]"
check "… the testing repo lists life-h" in_repodata "$TST" life-h
refute "… and no longer life-f" in_repodata "$TST" life-f
check "… still life-g" in_repodata "$TST" life-g

# --- testing: the gate refuses (no builds left) ---
check "remove every build through the CLI" bash -c "'$QUARRY_BIN' update edit '$U' --remove-build '${B[g]}' --remove-build '${B[h]}' 2>err.txt"
check "… the CLI says the update left testing and why" grep -q "left testing and is a candidate again until the gate passes: .*rule 'builds'" err.txt
check "… it is a candidate again" test "$(life_state "$U")" = candidate
refute "… life-g left the testing repo" in_repodata "$TST" life-g
refute "… and life-h" in_repodata "$TST" life-h
check "adding a build back, the candidate does not move by itself (auto-testing is off)" \
	q update edit "$U" --add-build "${B[h]}"
check "… still a candidate" test "$(life_state "$U")" = candidate
check "… until promoted" q promote "$U" --to testing
check "… then the testing repo lists life-h" in_repodata "$TST" life-h

# --- unpushed ---
check "unpush" q unpush "$U"
check "edit an unpushed update" q update edit "$U" --add-build "${B[f]}"
check "… it stays unpushed" test "$(life_state "$U")" = unpushed
check "… holding f and h" test "$(builds_of "$U")" = "[${B[f]}, ${B[h]}]"
refute "… nothing entered the testing repo" in_repodata "$TST" life-f

# --- refusals ---
life_refused "a user outside the SIG" plain 403 "may not edit this SIG's updates" "$U" \
	POST "updates/$U/builds" "{\"add\": [${B[x]}]}"
life_refused "nothing to do" member 400 "nothing to do: give 'add' or 'remove' build ids" "$U" \
	POST "updates/$U/builds" '{}'
life_refused "not a list" member 400 "field 'add' must be a list of at most 100 build ids" "$U" \
	POST "updates/$U/builds" '{"add": 3}'
life_refused "not a build id" member 400 "add\\[0\\] is not a build id" "$U" \
	POST "updates/$U/builds" '{"add": ["x"]}'
life_refused "a build that does not exist" member 404 "build 99999 not found" "$U" \
	POST "updates/$U/builds" '{"add": [99999]}'
life_refused "a build already in this update" member 409 "build ${B[f]} is already in update $U" "$U" \
	POST "updates/$U/builds" "{\"add\": [${B[f]}]}"
life_refused "a build of another candidate update" member 409 \
	"build ${B[e]} is already in update $V \\(candidate\\)" "$U" \
	POST "updates/$U/builds" "{\"add\": [${B[e]}]}"
life_refused "a build not in the update" member 400 "build ${B[g]} is not in update $U" "$U" \
	POST "updates/$U/builds" "{\"remove\": [${B[g]}]}"
life_refused "one bad build refuses the whole edit" member 400 "build ${B[g]} is not in update $U" "$U" \
	POST "updates/$U/builds" "{\"add\": [${B[x]}], \"remove\": [${B[g]}]}"
expect_fail 2 "nothing to change: give --add-build, --remove-build, --type" q update edit "$U"
expect_fail 2 "build id" q update edit "$U" --add-build nope
check "promote V to release" q promote "$V" --to release
life_refused "a released update is not edited" lead 409 \
	"update $V is 'release'; only candidate, testing and unpushed updates can be edited" "$V" \
	POST "updates/$V/builds" "{\"add\": [${B[x]}]}"
q audit --json >audit.json
check "edits are audited" test "$(jget "len([e for e in d['entries'] if e['action'] == 'update.edit' and e['target'] == 'update $U'])" audit.json)" = 5

finish
