#!/bin/bash
# t0431-unclaimed: a task no worker serves does not wait for ever. With no
# worker at all, submit warns that no worker is running and the build's
# SRPM task fails after build.unclaimed_timeout (the hub's keeper does it:
# nobody claims), naming the reason. With the embedded worker (x86_64 and
# noarch) a build for aarch64 warns at submit that no worker serves
# aarch64; its SRPM builds, the aarch64 task says why it waits, then fails
# ("no worker serving aarch64 claimed it within 3s") and so does the build.
. "$(dirname "$0")/lib.sh"

start_hub "[build]
unclaimed_timeout = 3s
lease = 5s
embedded_worker = false"

q sig create mc --short-name mc --title "Messaging and Communication" --purpose "Chat" >/dev/null
q project create mc/el9 --major 9 --variant 1 --arch x86_64,aarch64 >/dev/null

# ---- no worker at all ----
make_git_pkg "$T/a" mc-a 1.0 1
q build mc/el9 "$T/a#r9-sig-mc-1" --arch x86_64 >a.txt 2>a.err && rc=0 || rc=$?
check "a build is accepted without any worker (exit $rc)" [ "$rc" = 0 ]
check "  … with a warning that no worker is running" grep -q "warning: no worker is running; the task fails after build.unclaimed_timeout (3s) unless one comes" a.err
check "  … and that none serves x86_64" grep -q "warning: no worker serves x86_64; the task fails after build.unclaimed_timeout (3s)" a.err
aid=$(sed -n 's/^build \([0-9]*\) .*/\1/p' a.txt | head -n 1)
aid=${aid:-0}
check "the build fails after build.unclaimed_timeout with nobody claiming" [ "$(wait_build "$aid" 30)" = failed ]
q build show "$aid" --json >a.json 2>/dev/null || echo '{}' >a.json
check "  … its SRPM task failed" [ "$(jget '[t["state"] for t in d["tasks"]]' a.json 2>/dev/null)" = '["failed"]' ]
check "  … saying no worker claimed it within 3s" [ "$(jget 'd["tasks"][0]["message"]' a.json 2>/dev/null)" = "no worker claimed it within 3s" ]
check "  … and the build says which task and why" grep -q "failed: no worker claimed it within 3s" a.json

# ---- the embedded worker serves x86_64 and noarch, not aarch64 ----
stop_hub
sed -i 's/^embedded_worker = false$/embedded_worker = true/' hub.ini
launch_hub
for _ in $(seq 40); do
	q workers 2>/dev/null | grep -q '^embedded ' && break
	sleep 0.25
done
make_git_pkg "$T/b" mc-b 1.0 1
q build mc/el9 "$T/b#r9-sig-mc-1" --arch aarch64 --wait >b.txt 2>b.err && rc=0 || rc=$?
check "build --wait for aarch64 ends with exit 1 ($rc)" [ "$rc" = 1 ]
check "submit warned that no worker serves aarch64" grep -q "warning: no worker serves aarch64; the task fails after build.unclaimed_timeout (3s) unless one comes" b.err
lacks "  … and not that no worker is running (the embedded one is)" b.err "no worker is running"
check "the SRPM task closed" grep -Eq "^task [0-9]+ srpm src: closed" b.txt
check "the aarch64 task said why it waited" grep -Eq "^task [0-9]+ rpm aarch64: free: no worker serves aarch64" b.txt
check "the aarch64 task failed naming the reason" grep -Eq "^task [0-9]+ rpm aarch64: failed: no worker serving aarch64 claimed it within 3s" b.txt
bid=$(sed -n 's/^build \([0-9]*\) .*/\1/p' b.txt | head -n 1)
q build show "${bid:-0}" --json >b.json 2>/dev/null || echo '{}' >b.json
check "the build failed" [ "$(jget 'd["state"]' b.json 2>/dev/null)" = failed ]
check "  … its message names the task and the reason" grep -q "rpm aarch64) failed: no worker serving aarch64 claimed it within 3s" b.json

# An x86_64 build meanwhile completes: the timeout only hits unserved tasks.
q build mc/el9 "$T/b#r9-sig-mc-1" --arch x86_64 --wait >c.txt 2>c.err && rc=0 || rc=$?
check "an x86_64 build of it completes (exit $rc)" [ "$rc" = 0 ]
[ "$rc" = 0 ] || diag "$(cat c.txt c.err)"
check "  … (its errors were kept)" [ -f c.err ]
refute "  … without a warning" grep -q warning c.err

finish
