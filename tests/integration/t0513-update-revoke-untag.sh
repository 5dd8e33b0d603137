#!/bin/bash
# t0513-update-revoke-untag: `quarry revoke UPDATE --reason TEXT` (release
# engineers and admins, a reason required) takes a released update's builds
# out of the release repo, republishes it, marks the update revoked and
# audits the reason; nothing else may be revoked, and a revoked update moves
# no more. `quarry untag BUILD SIG/PROJECT/REPO` takes a build's RPMs out of
# a candidate repo and republishes it; testing and release repos are refused
# (they change through updates). Every refusal changes nothing.
. "$(dirname "$0")/lib.sh"

life_setup
for k in r s t; do life_build "$k" "life-$k" 1.0 1; done
life_wait

# --- revoke ---
U=$(life_update "${B[r]}")
check "release life-r" q promote "$U" --to release
check "the release repo lists life-r" in_repodata "$PUB/rel" life-r
S=$(life_update "${B[s]}")
check "S in testing" q promote "$S" --to testing
for role in member lead plain; do
	life_refused "revoke" "$role" 403 "user '[a-z]+' may not revoke released updates: only admins and release engineers may" \
		"$U" POST "updates/$U/revoke" '{"reason": "broken"}'
done
life_refused "revoke without a token" none 401 "." "$U" POST "updates/$U/revoke" '{"reason": "broken"}'
life_refused "revoke without a reason" releng 400 "a revoke needs a reason" "$U" POST "updates/$U/revoke" '{}'
life_refused "revoke with a blank reason" releng 400 "a revoke needs a reason" "$U" POST "updates/$U/revoke" '{"reason": "  "}'
life_refused "revoke a testing update" releng 409 \
	"update $S is 'testing'; only a released update can be revoked \\(take a candidate or testing update back with 'quarry unpush'\\)" \
	"$S" POST "updates/$S/revoke" '{"reason": "x"}'
life_refused "revoke an update that does not exist" releng 404 "update 9999 not found" "$U" POST "updates/9999/revoke" '{"reason": "x"}'
expect_fail 2 "reason" env QUARRY_TOKEN="${TOK[releng]}" "$QUARRY_BIN" revoke "$U"
check "the release repo still lists life-r" in_repodata "$PUB/rel" life-r
check "a release engineer revokes it" \
	env QUARRY_TOKEN="${TOK[releng]}" "$QUARRY_BIN" revoke "$U" --reason "CVE-2026-0001: ships a broken key"
q update show "$U" --json >u.json
check "… it is revoked" test "$(jget 'd["state"]' u.json)" = revoked
check "… with its reason" test "$(jget 'd["revoke_reason"]' u.json)" = "CVE-2026-0001: ships a broken key"
jget 'd["revoked"]' u.json >revoked.txt
check "… and when (ISO 8601 UTC)" grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$' revoked.txt
refute "the release repo no longer lists life-r" in_repodata "$PUB/rel" life-r
check "the release repo was republished (its repomd lists no package)" test -z "$(nevras "$PUB/rel")"
q audit --json >audit.json
check "the audit log keeps who revoked and why" \
	test "$(jget "len([e for e in d['entries'] if e['action'] == 'update.revoke' and e['user'] == 'rita' and 'CVE-2026-0001' in e['detail'] and e['target'] == 'update $U'])" audit.json)" = 1
check "update show prints the reason" bash -c "'$QUARRY_BIN' update show '$U' | grep -q 'revoke reason: *CVE-2026-0001'"
life_refused "revoke twice" admin 409 "update $U is 'revoked'; only a released update can be revoked" "$U" POST "updates/$U/revoke" '{"reason": "x"}'
life_refused "a revoked update does not go back to testing" admin 409 "rule 'state': update $U is 'revoked'" "$U" POST "updates/$U/promote" '{"to": "testing"}'
life_refused "a revoked update is not unpushed" admin 409 "update $U is 'revoked'; only a candidate or testing update can be unpushed" "$U" POST "updates/$U/unpush"
life_refused "a revoked update is not edited" admin 409 "update $U is 'revoked'; only candidate, testing and unpushed updates can be edited" "$U" POST "updates/$U/builds" "{\"add\": [${B[t]}]}"
life_refused "a revoked update's build does not join another update" admin 409 \
	"build ${B[r]} is already in update $U \\(revoked\\)" "$U" POST sigs/mc/projects/el9/updates "{\"repo\": \"rel\", \"builds\": [${B[r]}]}"

# --- untag ---
check "tag life-t into the candidate repo" q tag "${B[t]}" mc/el9/cand
check "the candidate repo lists life-t" in_repodata "$PUB/cand" life-t
life_refused "untag by a user outside the SIG" plain 403 "may not untag builds from this SIG's repos" "$S" \
	DELETE "sigs/mc/projects/el9/repos/cand/builds/${B[t]}"
life_refused "untag from a testing repo" admin 409 \
	"repo 'mc/el9/rel-testing' is a testing repo: its packages change only through updates \\(take a testing update back with 'quarry unpush UPDATE'.*untag works on candidate repos" \
	"$S" DELETE "sigs/mc/projects/el9/repos/rel-testing/builds/${B[s]}"
check "… the testing repo still lists life-s" in_repodata "$PUB/rel-testing" life-s
check "override life-t into the release repo" \
	env QUARRY_TOKEN="${TOK[releng]}" "$QUARRY_BIN" tag "${B[t]}" mc/el9/rel --override "test"
life_refused "untag from a release repo" releng 409 \
	"repo 'mc/el9/rel' is a release repo: .*'quarry revoke UPDATE --reason TEXT'" \
	"$S" DELETE "sigs/mc/projects/el9/repos/rel/builds/${B[t]}"
check "… the release repo still lists life-t" in_repodata "$PUB/rel" life-t
life_refused "untag a build the repo does not hold" member 404 \
	"build ${B[s]} \\(life-s-1.0-1.el9.mc\\) is not in repo 'mc/el9/cand'" "$S" \
	DELETE "sigs/mc/projects/el9/repos/cand/builds/${B[s]}"
life_refused "untag a build id that is not one" member 400 "build id 'x' is not a positive integer" "$S" \
	DELETE "sigs/mc/projects/el9/repos/cand/builds/x"
life_refused "untag from a repo that does not exist" member 404 "not found" "$S" \
	DELETE "sigs/mc/projects/el9/repos/nope/builds/${B[t]}"
expect_fail 1 "is a release repo" q untag "${B[t]}" mc/el9/rel
check "a member untags life-t (CLI)" \
	bash -c "QUARRY_TOKEN='${TOK[member]}' '$QUARRY_BIN' untag '${B[t]}' mc/el9/cand >out.txt"
check "… it says what it did" grep -q "untagged life-t-1.0-1.el9.mc from mc/el9/cand (1 package)" out.txt
refute "… the candidate repo no longer lists life-t" in_repodata "$PUB/cand" life-t
q audit --json >audit.json
check "… audited" test "$(jget "len([e for e in d['entries'] if e['action'] == 'repo.untag' and e['user'] == 'bob' and e['target'] == 'mc/el9/cand'])" audit.json)" = 1
expect_fail 1 "is not in repo" q untag "${B[t]}" mc/el9/cand

finish
