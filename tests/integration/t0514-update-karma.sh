#!/bin/bash
# t0514-update-karma: signed-in users comment on updates with karma +1, 0
# or -1 (`quarry update comment ID --karma … --text …`); each user's latest
# karma counts, the creator's never; `update show` lists the comments and
# the sum. The policy's stable_karma is a gate rule for release (the
# refusal names the rule and the fix); unstable_karma unpushes a candidate
# or testing update as soon as the sum reaches it (audited).
. "$(dirname "$0")/lib.sh"

life_setup
for k in k1 k2 k3; do life_build "$k" "life-$k" 1.0 1; done
life_wait
karma() { q update show "$1" --json | jget 'd["karma"]' /dev/stdin; }
comment() { local role=$1 u=$2; shift 2; QUARRY_TOKEN=${TOK[$role]} "$QUARRY_BIN" update comment "$u" "$@"; }

U=$(life_update "${B[k1]}")

# --- the policy ---
expect_fail 2 "--stable-karma" q policy set mc/el9 --stable-karma -1
expect_fail 2 "--unstable-karma" q policy set mc/el9 --unstable-karma 2
life_refused "unstable_karma must not be positive" lead 400 "field 'unstable_karma' must be 0 \\(off\\) or a negative threshold" "$U" \
	PUT sigs/mc/projects/el9/policy '{"unstable_karma": 2}'
life_refused "a member does not set the policy" member 403 "set this SIG's gating policies" "$U" \
	PUT sigs/mc/projects/el9/policy '{"stable_karma": 2}'
check "the lead sets stable karma 2 and unstable karma -2" \
	env QUARRY_TOKEN="${TOK[lead]}" "$QUARRY_BIN" policy set mc/el9 --stable-karma 2 --unstable-karma -2
q policy show mc/el9 --json >policy.json
check "policy show has them" test "$(jget '[d["stable_karma"], d["unstable_karma"]]' policy.json)" = "[2, -2]"
check "policy show prints them" bash -c "'$QUARRY_BIN' policy show mc/el9 | grep -q 'stable karma: *2'"

# --- stable karma ---
check "U in testing" q promote "$U" --to testing
life_refused "release without karma" lead 409 \
	"rule 'karma': update $U has karma 0; the policy asks for 2 \\('quarry update comment $U --karma \\+1' by users other than its creator\\)" \
	"$U" POST "updates/$U/promote" '{"to": "release"}'
check "the creator (admin) gives +1" comment admin "$U" --karma +1 --text "mine"
check "… which does not count" test "$(karma "$U")" = 0
check "a member gives +1" comment member "$U" --karma +1 --text "works for me"
check "… karma 1" test "$(karma "$U")" = 1
life_refused "release with karma 1" lead 409 "rule 'karma': update $U has karma 1; the policy asks for 2" \
	"$U" POST "updates/$U/promote" '{"to": "release"}'
check "a user outside the SIG gives -1" comment plain "$U" --karma -1 --text "breaks my app"
check "… karma 0" test "$(karma "$U")" = 0
check "… then changes their mind: +1 (the latest counts)" comment plain "$U" --karma +1
check "… karma 2" test "$(karma "$U")" = 2
q update show "$U" --json >u.json
check "update show lists the 4 comments" test "$(jget 'len(d["comments"])' u.json)" = 4
check "… with user, karma, text and an ISO time" \
	test "$(jget '[d["comments"][2][k] for k in ("user", "karma", "text")] + [len(d["comments"][2]["created"]), d["comments"][2]["created"][-1]]' u.json)" = '["pete", -1, "breaks my app", 20, "Z"]'
"$QUARRY_BIN" update show "$U" >show.txt
check "… the text output has the sum" grep -Eq '^karma: +2$' show.txt
check "… and a comment line" grep -Eq '^pete +-1 +[0-9T:Z-]+ +breaks my app' show.txt
check "karma 2 releases" env QUARRY_TOKEN="${TOK[lead]}" "$QUARRY_BIN" promote "$U" --to release

# --- unstable karma ---
V=$(life_update "${B[k2]}")
check "V in testing" q promote "$V" --to testing
check "the testing repo lists life-k2" in_repodata "$PUB/rel-testing" life-k2
check "-1 from one user" comment plain "$V" --karma -1
check "… V stays in testing at -1" test "$(life_state "$V")" = testing
life_call member POST "updates/$V/comments" '{"karma": -1, "text": "crashes"}' >status
check "a second -1 answers 200" test "$(cat status)" = 200
check "… saying it unpushed the update" test "$(jget 'd["unpushed"]')" = True
check "… V is unpushed" test "$(life_state "$V")" = unpushed
refute "… and life-k2 left the testing repo" in_repodata "$PUB/rel-testing" life-k2
q audit --json >audit.json
check "the audit log has the automatic unpush and why" \
	test "$(jget "len([e for e in d['entries'] if e['action'] == 'update.unpush' and e['user'] == 'auto-karma' and 'unstable karma: -2' in e['detail'] and e['target'] == 'update $V'])" audit.json)" = 1
check "a comment on the unpushed update is still taken" comment member "$V" --text "fixed in the next build?"
check "… and unpushes nothing more" test "$(life_state "$V")" = unpushed

# --- refusals ---
W=$(life_update "${B[k3]}")
life_refused "comment without a token" none 401 "." "$W" POST "updates/$W/comments" '{"karma": 1}'
life_refused "karma 2" member 400 "field 'karma' must be -1, 0 or 1" "$W" POST "updates/$W/comments" '{"karma": 2}'
life_refused "karma as a string" member 400 "field 'karma' must be -1, 0 or 1" "$W" POST "updates/$W/comments" '{"karma": "+1"}'
life_refused "an empty comment" member 400 "a comment needs 'karma' \\(-1, 0 or 1\\) or 'text'" "$W" POST "updates/$W/comments" '{}'
life_refused "text not a string" member 400 "field 'text' must be a string" "$W" POST "updates/$W/comments" '{"text": 3}'
life_refused "an update that does not exist" member 404 "update 9999 not found" "$W" POST "updates/9999/comments" '{"karma": 1}'
expect_fail 2 "--karma wants \\+1, 0 or -1" q update comment "$W" --karma 5
expect_fail 2 "give --karma or --text" q update comment "$W"
check "a plain 0 comment on a candidate" comment plain "$W" --karma 0 --text "no opinion"
check "… karma 0, still a candidate" test "$(karma "$W"),$(life_state "$W")" = "0,candidate"

finish
