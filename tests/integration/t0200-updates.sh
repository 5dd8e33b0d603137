#!/bin/bash
# t0200-updates: updates move builds from candidate to testing to release
# under the project's gating policy. Two builds from git; a
# policy (no required checks here: t0180 covers the checks; lead approval
# on); an update of the first build: refused for release without approval
# (the rule is named), moved to testing by a SIG member (the testing repo
# is created; dnf installs from it), refused for release to a member and to
# the lead of another SIG, approved by the SIG lead and released: the
# release repo holds a copy signed with the SIG key (rpmkeys --checksig),
# the testing repo no longer holds it, dnf installs it through the metalink
# with gpgcheck=1 and repo_gpgcheck=1, and refuses a tampered copy of it.
# A build is in one update only; revoke takes a released package out again.
. "$(dirname "$0")/lib.sh"

start_hub "[mirror]
crawl_interval = 0
[geoip]
tor_v4 =
tor_v6 ="
q sig create mc --short-name mc --title "Messaging" --purpose "tests" >/dev/null
q sig create other --short-name ot --title "Other" --purpose "tests" >/dev/null
q project create mc/el9 --major 9 --variant 1 --arch x86_64 >/dev/null
q repo create mc/el9/common --arch x86_64 --channel release >/dev/null
BOB=$(new_user bob user)
ALICE=$(new_user alice user)
CAROL=$(new_user carol user)
q sig member add mc bob --role member >/dev/null
q sig member add mc alice --role lead >/dev/null
q sig member add other carol --role lead >/dev/null
as() { local tok=$1; shift; QUARRY_TOKEN=$tok "$QUARRY_BIN" "$@"; }

PKG_ARCH=noarch make_git_pkg "$T/g1" mc-upd 1.0 1
PKG_ARCH=noarch make_git_pkg "$T/g2" mc-two 1.0 1
b1=$(q build mc/el9 "$T/g1#r9-sig-mc-1" --json | jget 'd["id"]' /dev/stdin)
b2=$(q build mc/el9 "$T/g2#r9-sig-mc-1" --json | jget 'd["id"]' /dev/stdin)
check "build 1 completes" test "$(wait_build "$b1")" = complete
check "build 2 completes" test "$(wait_build "$b2")" = complete

# --- the policy ---
expect_fail 1 "unknown check 'lint'" q policy set mc/el9 --checks disttag,lint
expect_fail 1 "set this SIG's gating policies" as "$BOB" policy set mc/el9 --testing-days 1
check "the lead sets the policy" as "$ALICE" policy set mc/el9 --checks "" --lead-approval true \
	--auto-testing false
q policy show mc/el9 --json >policy.json
check "policy: no required checks, lead approval" test "$(jget '[d["required_checks"], d["lead_approval"], d["auto_testing"]]' policy.json)" = '["", 1, 0]'

# --- an update ---
as "$BOB" update create mc/el9 common "$b1" --notes "the first" --json >u1.json
u1=$(jget 'd["id"]' u1.json)
check "a member creates an update: candidate" test "$(jget 'd["state"]' u1.json)" = candidate
check "its testing repo is common-testing" test "$(jget 'd["testing_repo"]' u1.json)" = common-testing
check "the testing repo exists, channel testing" bash -c "\"\$QUARRY_BIN\" repo show mc/el9/common-testing --json | grep -q '\"channel\": *\"testing\"'"
expect_fail 1 "already in update $u1" q update create mc/el9 common "$b1"
expect_fail 1 "is a testing repo" q update create mc/el9 common-testing "$b2"
expect_fail 1 "rule 'approval'" q promote "$u1" --to release
expect_fail 1 "move this SIG's updates to testing" as "$CAROL" promote "$u1" --to testing

check "a member moves it to testing" as "$BOB" promote "$u1" --to testing
q update show "$u1" --json >u1.json
check "the update is in testing" test "$(jget 'd["state"]' u1.json)" = testing
check "testing_since is set (an ISO 8601 UTC time)" grep -qE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$' <<<"$(jget 'd["testing_since"]' u1.json)"
TESTING=$DATA/pub/sig/9/mc/x86_64/common-testing
check "the testing repo publishes the package" in_repodata "$TESTING" mc-upd
curl -fsS -o key.asc "$QUARRY_HUB/api/v1/sigs/mc/key"
cat >testing.repo <<REPO
[mc-testing]
name=mc testing
baseurl=$QUARRY_HUB/pub/sig/9/mc/x86_64/common-testing/
gpgcheck=0
repo_gpgcheck=1
gpgkey=file://$T/key.asc
REPO
check "dnf installs it from testing" dnf_install testing.repo mc-upd

expect_fail 1 "release this SIG's updates" as "$BOB" promote "$u1" --to release
expect_fail 1 "approve this SIG's updates" as "$CAROL" update approve "$u1"
expect_fail 1 "release this SIG's updates" as "$CAROL" promote "$u1" --to release
check "the SIG lead approves" as "$ALICE" update approve "$u1"
check "and releases it" as "$ALICE" promote "$u1" --to release
q update show "$u1" --json >u1.json
check "the update is released" test "$(jget 'd["state"]' u1.json)" = release
RELEASE=$DATA/pub/sig/9/mc/x86_64/common
rpm_file=$RELEASE/Packages/mc-upd-1.0-1.el9.mc.noarch.rpm
check "the release repo publishes it" in_repodata "$RELEASE" mc-upd
if in_repodata "$TESTING" mc-upd; then fail "the testing repo no longer does"; else ok "the testing repo no longer does"; fi
mkdir -p rpmdb
rpmkeys --root "$T/rpmdb" --import key.asc
rpmkeys --root "$T/rpmdb" --checksig "$rpm_file" >sig.txt 2>&1 || true
check "the released RPM is signed with the SIG key" grep -q "signatures OK" sig.txt
art=$(q build show "$b1" --json | jget '[a["sha256"] for a in d["artifacts"] if a["name"].endswith(".noarch.rpm")][0]' /dev/stdin)
check "it is a signed copy, not the build's artifact" test "$(sha256sum "$rpm_file" | cut -d' ' -f1)" != "$art"
cat >ml.repo <<REPO
[sig-mc-common-9]
name=mc common (metalink)
metalink=$QUARRY_HUB/metalink?repo=sig-mc-common-9&arch=\$basearch
gpgcheck=1
repo_gpgcheck=1
gpgkey=file://$T/key.asc
REPO
check "dnf installs the release through the metalink with gpgcheck=1" dnf_install ml.repo mc-upd

# A tampered copy on a mirror: dnf refuses it.
mkdir -p tampered && cp -a "$RELEASE/." tampered/
python3 - "tampered/Packages/mc-upd-1.0-1.el9.mc.noarch.rpm" <<'PY'
import sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
b[-100] ^= 0xff          # flip a byte of the payload
open(p, "wb").write(bytes(b))
PY
cat >tampered.repo <<REPO
[tampered]
name=tampered mirror
baseurl=file://$T/tampered/
gpgcheck=1
repo_gpgcheck=1
gpgkey=file://$T/key.asc
REPO
if dnf_install tampered.repo mc-upd >tampered.log 2>&1; then
	fail "dnf refuses a tampered RPM"
	diag "$(tail -5 tampered.log)"
else
	ok "dnf refuses a tampered RPM"
	# Not any failure: the one a flipped payload byte causes.
	grep -qiE "checksum|digest|does not match|signature|corrupt" tampered.log && ok "  … because the package does not match" ||
		{ fail "  … because the package does not match"; diag "$(tail -n 10 tampered.log)"; }
fi

# --- the checks gate: an unsatisfied Requires blocks the move, naming it ---
PKG_ARCH=noarch PKG_REQUIRES=libnothere.so.7 make_git_pkg "$T/g3" mc-needy 1.0 1
b3=$(q build mc/el9 "$T/g3#r9-sig-mc-1" --json | jget 'd["id"]' /dev/stdin)
check "build 3 completes" test "$(wait_build "$b3")" = complete
q check "$b3" --wait >/dev/null 2>&1 || true  # reruns them and waits: closure fails
check "the policy asks for the closure check" as "$ALICE" policy set mc/el9 --checks closure
u3=$(as "$BOB" update create mc/el9 common "$b3" --json | jget 'd["id"]' /dev/stdin)
expect_fail 1 "rule 'checks': build $b3 \\(mc-needy-1.0-1.el9.mc\\): check 'closure' failed: .*libnothere.so.7" as "$BOB" promote "$u3" --to testing
check "the refused update stays a candidate" test "$(q update show "$u3" --json | jget 'd["state"]' /dev/stdin)" = candidate

# --- a refused tag leaves the build's files alone ---
# (A release repo, changed by an admin's override, which the policy allows for uploads.)
q repo create mc/el9/extras --arch x86_64 --channel release >/dev/null
q policy set mc/el9 --uploads-release true >/dev/null
q upload mc/el9/extras "$(make_rpm mc-upd 1.0 1.el9.mc noarch)" --override "test" >/dev/null 2>&1
expect_fail 1 "already has mc-upd-1.0-1.el9.mc.noarch with different contents" q tag "$b1" mc/el9/extras --override "test"
code=$(req GET "$QUARRY_HUB/api/v1/builds/$b1/artifacts/mc-upd-1.0-1.el9.mc.noarch.rpm")
check "the build's RPM is still stored after the refusal" test "$code/$(sha256sum "$T/body" | cut -d' ' -f1)" = "200/$art"
check "an upload into a release repo is signed on its way in" bash -c "rpmkeys --root '$T/rpmdb' --checksig '$DATA/pub/sig/9/mc/x86_64/extras/Packages/mc-upd-1.0-1.el9.mc.noarch.rpm' | grep -q 'signatures OK'"

# --- unpush ---
expect_fail 1 "unpush this SIG's updates" as "$BOB" unpush "$u1"
# Released is final: unpush refuses it; a release engineer or admin revokes.
expect_fail 1 "update $u1 is released, and released is final.*quarry revoke $u1 --reason" as "$ALICE" unpush "$u1"
expect_fail 1 "only admins and release engineers may" as "$ALICE" revoke "$u1" --reason "test"
check "an admin revokes it" q revoke "$u1" --reason "taken back by a test"
check "the update is revoked" test "$(q update show "$u1" --json | jget 'd["state"]' /dev/stdin)" = revoked
if in_repodata "$RELEASE" mc-upd; then fail "the release repo no longer lists it"; else ok "the release repo no longer lists it"; fi
check "update list shows both states" bash -c "\"\$QUARRY_BIN\" update list --sig mc | grep -q revoked"
check "the audit log has the moves" bash -c "\"\$QUARRY_BIN\" audit --limit 30 | grep -q update.promote"

# --- the signer stopped: the release fails, naming it, and nothing moves ---
u2=$(as "$BOB" update create mc/el9 common "$b2" --json | jget 'd["id"]' /dev/stdin)
check "update 2 goes to testing (closure passes)" as "$BOB" promote "$u2" --to testing
check "and is approved" as "$ALICE" update approve "$u2"
signer=$(ps --ppid "$HUB_PID" -o pid=,args= | awk '$3 == "hub" {print $1}')
check "the hub's signer process is found" test -n "$signer"
kill -9 $signer
expect_fail 1 "signer" as "$ALICE" promote "$u2" --to release
check "the update stays in testing" test "$(q update show "$u2" --json | jget 'd["state"]' /dev/stdin)" = testing
if in_repodata "$RELEASE" mc-two; then fail "nothing reached the release repo"; else ok "nothing reached the release repo"; fi
check "the testing repo still lists it" in_repodata "$TESTING" mc-two
finish
