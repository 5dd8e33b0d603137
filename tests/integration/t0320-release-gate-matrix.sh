#!/bin/bash
# t0320-release-gate-matrix: testing and release repos change only through
# updates. A matrix of role (SIG member, SIG lead, release engineer, admin)
# × action (tag, upload, promote, unpush) × channel (candidate, testing,
# release): every cell checks the answer (HTTP status and the sentence) and
# the published repodata after it (unchanged when refused, changed when
# allowed). Candidate repos take tags and uploads from every role; direct
# tags and uploads into testing and release are refused for members and
# leads (naming `quarry update create`), and need an override reason from
# releng and admins, which the audit log keeps; uploads (RPMs Quarry did
# not build) enter testing or release only when the policy allows them,
# override or not. Promote and unpush follow the update rules (members move
# to testing; leads and up release and unpush candidates and testing
# updates; a released update is final: unpush refuses it, and only a
# release engineer revokes it).
. "$(dirname "$0")/lib.sh"

start_hub "[build]
worker_slots = 3"
q sig create mc --short-name mc --title "Messaging" --purpose "tests" >/dev/null
q project create mc/el9 --major 9 --variant 1 --arch x86_64 >/dev/null
q repo create mc/el9/cand --arch x86_64 --channel candidate >/dev/null
q repo create mc/el9/tst --arch x86_64 --channel testing >/dev/null
q repo create mc/el9/rel --arch x86_64 --channel release >/dev/null
q repo create mc/el9/up --arch x86_64 --channel release >/dev/null
declare -A TOK
TOK[member]=$(new_user bob user)
TOK[lead]=$(new_user alice user)
TOK[releng]=$(new_user rita releng)
TOK[admin]=$ADMIN_TOKEN
q sig member add mc bob --role member >/dev/null
q sig member add mc alice --role lead >/dev/null
ROLES="member lead releng admin"
PUB=$DATA/pub/sig/9/mc/x86_64

# Channel of each action's repo: the repo a tag or upload goes to; for
# promote and unpush, the update's release repo "up" and its testing repo.
tagrepo() { case $1 in candidate) echo cand ;; testing) echo tst ;; release) echo rel ;; esac; }
uprepo() { case $1 in candidate) echo up-testing ;; testing) echo up-testing ;; release) echo up ;; esac; }

# What a published repo says now: its repomd.xml's digest (or "none").
pubstate() {
	local f=$PUB/$1/repodata/repomd.xml
	if [ -f "$f" ]; then sha256sum "$f" | cut -d' ' -f1; else echo none; fi
}

# cell ROLE ACTION CHANNEL REPO WANT_STATUS PATTERN CHANGED(yes|no) METHOD PATH [JSON]
# Call the API as ROLE; check the status, the message and the repo's repodata.
cell() {
	local role=$1 action=$2 channel=$3 repo=$4 want=$5 pattern=$6 changed=$7 method=$8 path=$9
	local body=${10:-} before after got desc
	before=$(pubstate "$repo")
	if [ -n "$body" ]; then
		got=$(QUARRY_TOKEN=${TOK[$role]} api "$method" "$path" -H 'Content-Type: application/json' -d "$body") || got=curl-failed
	else
		got=$(QUARRY_TOKEN=${TOK[$role]} api "$method" "$path") || got=curl-failed
	fi
	after=$(pubstate "$repo")
	desc="$role × $action × $channel"
	if [ "$got" != "$want" ]; then
		fail "$desc → $want (got $got)"
		diag "$(head -c 1500 "$T/body")"
	elif ! grep -Eq -- "$pattern" "$T/body"; then
		fail "$desc → $want says /$pattern/"
		diag "$(head -c 1500 "$T/body")"
	else
		ok "$desc → $want /$pattern/"
	fi
	if [ "$changed" = yes ] && [ "$before" = "$after" ]; then
		fail "$desc: $repo's repodata changed"
	elif [ "$changed" = no ] && [ "$before" != "$after" ]; then
		fail "$desc: $repo's repodata is unchanged"
	else
		ok "$desc: $repo's repodata $([ "$changed" = yes ] && echo changed || echo unchanged)"
	fi
}

# --- builds: one per role for tags and updates, more for unpush cells ---
declare -A B
for n in m l r a t1 t2 c1 c2 c3; do
	PKG_ARCH=noarch make_git_pkg "$T/g-$n" "gate-$n" 1.0 1
	B[$n]=$(q build mc/el9 "$T/g-$n#r9-sig-mc-1" --json | jget 'd["id"]' /dev/stdin)
done
for n in m l r a t1 t2 c1 c2 c3; do
	check "build gate-$n completes" test "$(wait_build "${B[$n]}")" = complete
done
declare -A BR=([member]=${B[m]} [lead]=${B[l]} [releng]=${B[r]} [admin]=${B[a]})
check "the lead sets a policy without checks or waiting" \
	env QUARRY_TOKEN="${TOK[lead]}" "$QUARRY_BIN" policy set mc/el9 --checks "" \
	--auto-testing false --testing-days 0 --lead-approval false
q policy show mc/el9 --json >policy.json
check "policy show: uploads into testing and release are off by default" \
	test "$(jget '[d["uploads_testing"], d["uploads_release"]]' policy.json)" = "[0, 0]"
check "policy show lists them" bash -c '"$QUARRY_BIN" policy show mc/el9 | grep -q "uploads to release"'

REFUSE_MEMBER="is a (testing|release) repo: it changes only through updates.*quarry update create mc/el9"
NEED_REASON="release engineers and admins may override with a reason"
NO_UPLOADS="rule 'uploads': RPMs that Quarry did not build \\(uploads\\) may not enter"

# --- tag ---
for role in $ROLES; do
	cell "$role" tag candidate cand 200 '"packages"' yes POST sigs/mc/projects/el9/repos/cand/builds \
		"{\"build\": ${BR[$role]}}"
done
for channel in testing release; do
	repo=$(tagrepo "$channel")
	for role in member lead; do
		cell "$role" tag "$channel" "$repo" 403 "$REFUSE_MEMBER" no POST \
			"sigs/mc/projects/el9/repos/$repo/builds" "{\"build\": ${BR[$role]}, \"override\": \"please\"}"
	done
	for role in releng admin; do
		cell "$role" "tag (no reason)" "$channel" "$repo" 403 "$NEED_REASON" no POST \
			"sigs/mc/projects/el9/repos/$repo/builds" "{\"build\": ${BR[$role]}}"
		cell "$role" "tag (blank reason)" "$channel" "$repo" 403 "$NEED_REASON" no POST \
			"sigs/mc/projects/el9/repos/$repo/builds" "{\"build\": ${BR[$role]}, \"override\": \"  \"}"
		cell "$role" tag "$channel" "$repo" 200 '"packages"' yes POST \
			"sigs/mc/projects/el9/repos/$repo/builds" \
			"{\"build\": ${BR[$role]}, \"override\": \"hotfix $role $channel\"}"
	done
done
# The same through the CLI.
b_t1=${B[t1]}
expect_fail 1 "is a release repo: it changes only through updates" \
	env QUARRY_TOKEN="${TOK[lead]}" "$QUARRY_BIN" tag "$b_t1" mc/el9/rel
expect_fail 1 "may override with a reason \\(--override" \
	env QUARRY_TOKEN="${TOK[releng]}" "$QUARRY_BIN" tag "$b_t1" mc/el9/rel
check "quarry tag --override by a release engineer" \
	env QUARRY_TOKEN="${TOK[releng]}" "$QUARRY_BIN" tag "$b_t1" mc/el9/rel --override "CLI hotfix"
check "the repo holds it" in_repodata "$PUB/rel" gate-t1
q audit --json >audit.json
check "the audit log keeps the override and its reason" \
	test "$(jget 'len([e for e in d["entries"] if e["action"] == "repo.override" and "CLI hotfix" in e["detail"] and e["user"] == "rita"])' audit.json)" = 1
check "one audit row per override (5 in all)" \
	test "$(jget 'len([e for e in d["entries"] if e["action"] == "repo.override"])' audit.json)" = 5

# --- upload ---
# stage ROLE NAME: upload a fresh noarch RPM as ROLE, print the upload id.
stage() {
	local rpm
	rpm=$(make_rpm "$2" 1.0 1.el9.mc noarch)
	QUARRY_TOKEN=${TOK[$1]} api POST "uploads?filename=$(basename "$rpm")" --data-binary "@$rpm" >/dev/null
	jget 'd["id"]'
}
for role in $ROLES; do
	id=$(stage "$role" "up-cand-$role")
	cell "$role" upload candidate cand 200 '"packages"' yes POST sigs/mc/projects/el9/repos/cand/packages \
		"{\"uploads\": [\"$id\"]}"
done
for channel in testing release; do
	repo=$(tagrepo "$channel")
	for role in member lead; do
		id=$(stage "$role" "up-$channel-$role")
		cell "$role" upload "$channel" "$repo" 403 "$REFUSE_MEMBER" no POST \
			"sigs/mc/projects/el9/repos/$repo/packages" "{\"uploads\": [\"$id\"], \"override\": \"x\"}"
	done
	for role in releng admin; do
		id=$(stage "$role" "up-$channel-$role")
		cell "$role" "upload (policy off)" "$channel" "$repo" 409 "$NO_UPLOADS $channel repos" no POST \
			"sigs/mc/projects/el9/repos/$repo/packages" "{\"uploads\": [\"$id\"], \"override\": \"x\"}"
	done
done
expect_fail 1 "set this SIG's gating policies" \
	env QUARRY_TOKEN="${TOK[member]}" "$QUARRY_BIN" policy set mc/el9 --uploads-release true
check "the lead allows uploads into testing and release" \
	env QUARRY_TOKEN="${TOK[lead]}" "$QUARRY_BIN" policy set mc/el9 --uploads-testing true --uploads-release true
q policy show mc/el9 --json >policy.json
check "policy show says so" test "$(jget '[d["uploads_testing"], d["uploads_release"]]' policy.json)" = "[1, 1]"
for channel in testing release; do
	repo=$(tagrepo "$channel")
	for role in member lead; do
		id=$(stage "$role" "up2-$channel-$role")
		cell "$role" "upload (policy on)" "$channel" "$repo" 403 "$REFUSE_MEMBER" no POST \
			"sigs/mc/projects/el9/repos/$repo/packages" "{\"uploads\": [\"$id\"], \"override\": \"x\"}"
	done
	for role in releng admin; do
		id=$(stage "$role" "up2-$channel-$role")
		cell "$role" "upload (policy on, no reason)" "$channel" "$repo" 403 "$NEED_REASON" no POST \
			"sigs/mc/projects/el9/repos/$repo/packages" "{\"uploads\": [\"$id\"]}"
		cell "$role" "upload (policy on)" "$channel" "$repo" 200 '"packages"' yes POST \
			"sigs/mc/projects/el9/repos/$repo/packages" "{\"uploads\": [\"$id\"], \"override\": \"vendor drop\"}"
	done
done
rpm=$(make_rpm cli-up 1.0 1.el9.mc noarch)
check "quarry upload --override by an admin" q upload mc/el9/tst "$rpm" --override "vendor RPM"
check "the testing repo holds it" in_repodata "$PUB/tst" cli-up

# --- promote and unpush: one update per role ---
declare -A U
mkupdate() { q update create mc/el9 up "$1" --json | jget 'd["id"]' /dev/stdin; }
for role in $ROLES; do U[$role]=$(mkupdate "${BR[$role]}"); done
U[t1]=$(mkupdate "${B[t1]}")
U[t2]=$(mkupdate "${B[t2]}")
U[c1]=$(mkupdate "${B[c1]}")
U[c2]=$(mkupdate "${B[c2]}")
U[c3]=$(mkupdate "${B[c3]}")
state() { q update show "$1" --json | jget 'd["state"]' /dev/stdin; }

for role in $ROLES; do
	cell "$role" promote candidate up 400 "field 'to' must be 'testing' or 'release'" no POST \
		"updates/${U[$role]}/promote" '{"to": "candidate"}'
	cell "$role" promote testing up-testing 200 '"state": *"testing"' yes POST \
		"updates/${U[$role]}/promote" '{"to": "testing"}'
done
cell member promote release up 403 "may not release this SIG's updates" no POST \
	"updates/${U[member]}/promote" '{"to": "release"}'
check "the refused update stays in testing" test "$(state "${U[member]}")" = testing
cell lead promote release up 200 '"state": *"release"' yes POST "updates/${U[member]}/promote" '{"to": "release"}'
cell releng promote release up 200 '"state": *"release"' yes POST "updates/${U[lead]}/promote" '{"to": "release"}'
cell admin promote release up 200 '"state": *"release"' yes POST "updates/${U[releng]}/promote" '{"to": "release"}'
cat >rel.repo <<R
[up]
name=up
baseurl=$QUARRY_HUB/pub/sig/9/mc/x86_64/up/
gpgcheck=0
R
check "dnf installs a released update" dnf_install rel.repo gate-m

# unpush: release (updates of member, lead, releng), testing (admin's, t1, t2),
# candidate (c1, c2, c3).
q promote "${U[t1]}" --to testing >/dev/null
q promote "${U[t2]}" --to testing >/dev/null
# Released is final: unpush refuses it for everyone (naming revoke), and a
# release engineer revokes instead.
RELEASED_FINAL="is released, and released is final.*quarry revoke ${U[member]} --reason"
cell member unpush release up 403 "may not unpush this SIG's updates" no POST "updates/${U[member]}/unpush"
cell lead unpush release up 409 "$RELEASED_FINAL" no POST "updates/${U[member]}/unpush"
cell releng unpush release up 409 "$RELEASED_FINAL" no POST "updates/${U[member]}/unpush"
cell admin unpush release up 409 "$RELEASED_FINAL" no POST "updates/${U[member]}/unpush"
check "the refused update stays released" test "$(state "${U[member]}")" = release
cell lead revoke release up 403 "only admins and release engineers may" no POST "updates/${U[member]}/revoke" '{"reason": "broken"}'
cell releng revoke release up 200 '"state": *"revoked"' yes POST "updates/${U[member]}/revoke" '{"reason": "broken"}'
cell admin revoke release up 200 '"state": *"revoked"' yes POST "updates/${U[lead]}/revoke" '{"reason": "broken too"}'
cell member unpush testing up-testing 403 "may not unpush this SIG's updates" no POST "updates/${U[admin]}/unpush"
check "the refused update stays in testing" test "$(state "${U[admin]}")" = testing
cell lead unpush testing up-testing 200 '"state": *"unpushed"' yes POST "updates/${U[admin]}/unpush"
cell releng unpush testing up-testing 200 '"state": *"unpushed"' yes POST "updates/${U[t1]}/unpush"
cell admin unpush testing up-testing 200 '"state": *"unpushed"' yes POST "updates/${U[t2]}/unpush"
cell member unpush candidate up-testing 403 "may not unpush this SIG's updates" no POST "updates/${U[c1]}/unpush"
check "the refused update stays a candidate" test "$(state "${U[c1]}")" = candidate
cell lead unpush candidate up-testing 200 '"state": *"unpushed"' no POST "updates/${U[c1]}/unpush"
cell releng unpush candidate up-testing 200 '"state": *"unpushed"' no POST "updates/${U[c2]}/unpush"
cell admin unpush candidate up-testing 200 '"state": *"unpushed"' no POST "updates/${U[c3]}/unpush"
if in_repodata "$PUB/up" gate-m; then fail "revoked: the release repo no longer lists gate-m"; else ok "revoked: the release repo no longer lists gate-m"; fi
check "… and still lists the release not revoked (gate-r)" in_repodata "$PUB/up" gate-r

finish
