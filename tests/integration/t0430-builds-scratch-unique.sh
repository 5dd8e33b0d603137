#!/bin/bash
# t0430-builds-scratch-unique: scratch builds and "one NEVR, one build".
# A scratch build completes, says it is scratch (show, list, JSON), cannot
# be tagged nor put in an update, does not take its NEVR: a normal build of
# the same NEVR is accepted afterwards, a second normal one is refused (409,
# "build already exists: NEVR is build N", nothing stored), from git and
# from an SRPM, and so is a resubmit; two concurrent submits of one new
# NEVR: exactly one passes. A failed or canceled build does not hold its
# NEVR. After build.scratch_ttl the scratch build's outputs are removed
# (410 for its artifacts and logs; the RPM file is gone from the store)
# while the normal build's stay.
. "$(dirname "$0")/lib.sh"

start_hub "[build]
scratch_ttl = 25s"

q sig create mc --short-name mc --title "Messaging and Communication" --purpose "Chat" >/dev/null
q project create mc/el9 --major 9 --variant 1 --arch x86_64 >/dev/null
q repo create mc/el9/common --arch x86_64 --channel candidate >/dev/null
q repo create mc/el9/stable --arch x86_64 --channel release >/dev/null

PKG_ARCH=noarch make_git_pkg "$T/u" mc-u 1.0 1

# ---- a scratch build ----
before=$(build_count)
q build mc/el9 "$T/u#r9-sig-mc-1" --scratch --wait >s1.txt 2>s1.err && rc=0 || rc=$?
check "scratch build --wait completes (exit $rc)" [ "$rc" = 0 ]
[ "$rc" = 0 ] || diag "$(cat s1.txt s1.err)"
sid=$(sed -n 's/^build \([0-9]*\) .*/\1/p' s1.txt | head -n 1)
sid=${sid:-0}
q build show "$sid" --json >s1.json 2>/dev/null || echo '{}' >s1.json
check "build show --json: scratch true" [ "$(jget 'd.get("scratch")' s1.json)" = True ]
q build show "$sid" >s1show.txt 2>&1 || true
check "build show says kind scratch" grep -Eq "^kind: +scratch" s1show.txt
q build list --json >list.json
check "build list --json marks it scratch" [ "$(jget "[b.get('scratch') for b in d['builds'] if b['id'] == $sid]" list.json)" = "[true]" ]
q build list >list.txt
check "build list shows it as scratch" grep -Eq "^$sid +mc +el9 +complete +mc-u-1.0-1.el9.mc +scratch" list.txt
rpm_name=mc-u-1.0-1.el9.mc.noarch.rpm
rpmsha=$(jget '[a["sha256"] for a in d.get("artifacts", []) if a["name"] == "'$rpm_name'"][0]' s1.json 2>/dev/null || echo none)
code=$(req GET "$QUARRY_HUB/api/v1/builds/$sid/artifacts/$rpm_name")
check "its RPM downloads before it expires (got $code)" [ "$code" = 200 ]
tid=$(jget 'd["tasks"][0]["id"]' s1.json 2>/dev/null || echo 0)
# stored FILE_SHA256 / task_log TASK: the file is (still) there
stored() { [ "${#1}" = 64 ] && [ -n "$(find "$DATA/packages" -name "$1*" 2>/dev/null)" ]; }
task_log() { [ "$1" != 0 ] && [ -n "$(find "$DATA" -name "$1.log" 2>/dev/null)" ]; }
check "its RPM is in the store" stored "$rpmsha"
check "its first task's log is kept" task_log "$tid"

# Never tagged, never in an update.
expect_fail 1 "build $sid is a scratch build: scratch builds can never be tagged" q tag "$sid" mc/el9/common
refute "the repo did not get it" in_repodata "$DATA/pub/sig/9/mc/x86_64/common" mc-u
expect_fail 1 "build $sid is a scratch build" q update create mc/el9 stable "$sid"

# ---- one NEVR, one build ----
q build mc/el9 "$T/u#r9-sig-mc-1" --wait >n1.txt 2>n1.err && rc=0 || rc=$?
check "a normal build of the scratch build's NEVR is accepted and completes (exit $rc)" [ "$rc" = 0 ]
[ "$rc" = 0 ] || diag "$(cat n1.txt n1.err)"
nid=$(sed -n 's/^build \([0-9]*\) .*/\1/p' n1.txt | head -n 1)
nid=${nid:-0}
count=$(build_count)
expect_fail 1 "build already exists: mc-u-1.0-1.el9.mc is build $nid" q build mc/el9 "$T/u#r9-sig-mc-1"
check "the refused build was not stored" [ "$(build_count)" = "$count" ]
code=$(api POST "sigs/mc/projects/el9/builds" -H 'Content-Type: application/json' -d "{\"git\":\"$T/u#r9-sig-mc-1\"}")
check "the API answers 409 (got $code)" [ "$code" = 409 ]
check "  … naming the build" grep -q "build already exists: mc-u-1.0-1.el9.mc is build $nid" "$T/body"
expect_fail 1 "build already exists: mc-u-1.0-1.el9.mc is build $nid" q build resubmit "$nid"
check "the refused resubmit stored nothing" [ "$(build_count)" = "$count" ]
# A scratch build of it is still fine, and a resubmit of a scratch build stays scratch.
q build mc/el9 "$T/u#r9-sig-mc-1" --scratch --json >s2.json 2>s2.err && rc=0 || rc=$?
check "a scratch build of a NEVR that has a build is accepted (exit $rc)" [ "$rc" = 0 ]
s2=$(jget 'd["id"]' s2.json 2>/dev/null || echo 0)
q build resubmit "$s2" --json >s3.json 2>s3.err && rc=0 || rc=$?
check "resubmit of a scratch build is accepted (exit $rc)" [ "$rc" = 0 ]
check "  … and is a scratch build" [ "$(jget 'd.get("scratch")' s3.json 2>/dev/null)" = True ]
[ "$(wait_build "$s2" 120)" = complete ] || diag "scratch build $s2 did not complete"
[ "$(wait_build "$(jget 'd["id"]' s3.json 2>/dev/null || echo 0)" 120)" = complete ] || diag "resubmitted scratch build did not complete"

# From an SRPM of the same NEVR.
rpmbuild -bs --quiet --define "_topdir $T/rpmbuild" --define "_sourcedir $T/u/SOURCES" \
	--define "_srcrpmdir $T" --define "dist .el9.mc" "$T/u/SPECS/mc-u.spec" >srpm.log 2>&1 || diag "$(cat srpm.log)"
expect_fail 1 "build already exists: mc-u-1.0-1.el9.mc is build $nid" q build mc/el9 "$T/mc-u-1.0-1.el9.mc.src.rpm"

# ---- a failed build does not hold its NEVR ----
PKG_ARCH=noarch PKG_BUILD=false make_git_pkg "$T/f" mc-f 1.0 1
q build mc/el9 "$T/f#r9-sig-mc-1" --wait >f1.txt 2>&1 && rc=0 || rc=$?
check "a build whose %build fails fails (exit $rc)" [ "$rc" = 1 ]
sed -i 's/^false$/true/' "$T/f/SPECS/mc-f.spec"
qgit "$T/f" commit -q -am "fix the build"
q build mc/el9 "$T/f#r9-sig-mc-1" --wait >f2.txt 2>&1 && rc=0 || rc=$?
check "the same NEVR builds again after a failure (exit $rc)" [ "$rc" = 0 ]
[ "$rc" = 0 ] || diag "$(cat f2.txt)"

# ---- a canceled build does not hold its NEVR ----
PKG_ARCH=noarch PKG_BUILD="sleep 30" make_git_pkg "$T/c" mc-c 1.0 1
c1=$(q build mc/el9 "$T/c#r9-sig-mc-1" --json | jget 'd["id"]' /dev/stdin)
expect_fail 1 "build already exists: mc-c-1.0-1.el9.mc is build $c1 \\(building\\)" q build mc/el9 "$T/c#r9-sig-mc-1"
q build cancel "$c1" >/dev/null
q build mc/el9 "$T/c#r9-sig-mc-1" --json >c2.json 2>c2.err && rc=0 || rc=$?
check "the NEVR of a canceled build builds again (exit $rc)" [ "$rc" = 0 ]
[ "$rc" = 0 ] || diag "$(cat c2.err)"
q build cancel "$(jget 'd["id"]' c2.json 2>/dev/null || echo 0)" >/dev/null 2>&1 || true

# ---- two concurrent submits of a new NEVR: one passes ----
PKG_ARCH=noarch make_git_pkg "$T/r" mc-race 1.0 1
count=$(build_count)
pids=
for i in 1 2 3; do
	(q build mc/el9 "$T/r#r9-sig-mc-1" >race$i.txt 2>race$i.err && echo ok >race$i.rc || echo refused >race$i.rc) &
	pids="$pids $!"
done
# shellcheck disable=SC2086 # (not a bare `wait`: the hub is a child too)
wait $pids
passed=$(cat race1.rc race2.rc race3.rc | grep -c '^ok$' || true)
check "three concurrent submits of one NEVR: exactly one passes ($passed)" [ "$passed" = 1 ]
check "  … the others are told the build exists" [ "$(cat race*.err | grep -c 'build already exists: mc-race-1.0-1.el9.mc')" = 2 ]
check "  … one build stored" [ "$(build_count)" = $((count + 1)) ]

# ---- the scratch build's outputs expire ----
expired=0
for _ in $(seq 120); do
	e=$(q build show "$sid" --json | jget 'd.get("expired") or 0' /dev/stdin)
	if [ "$e" != 0 ]; then expired=1; break; fi
	sleep 0.5
done
check "after build.scratch_ttl the scratch build is marked expired" [ "$expired" = 1 ]
code=$(req GET "$QUARRY_HUB/api/v1/builds/$sid/artifacts/$rpm_name")
check "its RPM answers 410 Gone (got $code)" [ "$code" = 410 ]
check "  … saying it expired" grep -q "scratch build whose outputs .* expired" "$T/body"
code=$(req GET "$QUARRY_HUB/api/v1/builds/$sid/tasks/$tid/log")
check "its log answers 410 Gone (got $code)" [ "$code" = 410 ]
refute "the RPM file is gone from the store" stored "$rpmsha"
refute "  … and its task logs" task_log "$tid"
q build show "$sid" >s1show2.txt 2>&1 || true
check "build show says when it expired" grep -Eq "^expired: +20" s1show2.txt
code=$(req GET "$QUARRY_HUB/api/v1/builds/$nid/artifacts/$rpm_name")
check "the normal build's RPM still downloads (got $code)" [ "$code" = 200 ]

finish
