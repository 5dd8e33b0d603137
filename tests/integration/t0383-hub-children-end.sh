#!/bin/bash
# t0383-hub-children-end: every process the hub started (the embedded
# worker, build and check sandboxes, the signer, gpg-agent) is gone 5 s
# after the hub ends, by SIGTERM and by SIGKILL, while a build and checks
# run. The hub's processes are found by the test's directory in their
# command line, working directory or environment, less this script's own.
. "$(dirname "$0")/lib.sh"

start_hub

q sig create mc --short-name mc --title "Messaging and Communication" --purpose "Chat" >/dev/null
q project create mc/el9 --major 9 --variant 1 --arch x86_64 >/dev/null
q repo create mc/el9/common --arch x86_64 --channel candidate >/dev/null
# Signing starts the signer's gpg-agent.
q upload mc/el9/common "$(make_rpm mc-hello 1.0 1.el9.mc noarch)" >/dev/null

# hub_procs: "PID COMMAND LINE" of every process of the test's directory,
# less this script and its helpers (those not under the hub).
hub_procs() {
	python3 - "$T" "$$" "${HUB_PID:-0}" <<'PY'
import os, sys
T, shell, hub = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
ppid = {}
for p in os.listdir("/proc"):
    if p.isdigit():
        try:
            ppid[int(p)] = int(open(f"/proc/{p}/stat").read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            pass
def under(p, a):
    for _ in range(200):
        if p == a:
            return True
        if p <= 1:
            return False
        p = ppid.get(p, 0)
    return False
me = os.getpid()
for p in sorted(ppid):
    if p == me or (under(p, shell) and not (hub and under(p, hub))):
        continue
    hit, cmd = False, b""
    try:
        cmd = open(f"/proc/{p}/cmdline", "rb").read()
        hit = T.encode() in cmd
    except OSError:
        pass
    try:
        hit = hit or os.readlink(f"/proc/{p}/cwd").startswith(T)
    except OSError:
        pass
    try:
        hit = hit or T.encode() in open(f"/proc/{p}/environ", "rb").read()
    except OSError:
        pass
    if hit:
        print(p, cmd.replace(b"\0", b" ").decode(errors="replace"))
PY
}

# A build that stays in %build, and a complete one whose checks we run.
PKG_BUILD='sleep 600' make_git_pkg "$T/long" mc-long 1 1
PKG_ARCH=noarch make_git_pkg "$T/good" mc-good 1 1
q build mc/el9 "$T/good#r9-sig-mc-1" --wait >good.out 2>&1 || true
gbid=$(sed -n 's/^build \([0-9]*\) .*/\1/p' good.out | head -n 1)
[ "$(q build show "${gbid:-0}" --json | jget 'd["state"]' /dev/stdin)" = complete ] && ok "build $gbid is complete" ||
	{ fail "build $gbid is complete"; diag "$(cat good.out)"; }

# busy_hub: a build in its rpm step and a check running, then the processes.
busy_hub() {
	local lbid running=
	# A signature: the signer starts its gpg-agent (again after a restart).
	BUSY_N=$((${BUSY_N:-0} + 1))
	q upload mc/el9/common "$(make_rpm "mc-busy$BUSY_N" 1.0 1.el9.mc noarch)" >/dev/null
	# Scratch: the same NEVR again while an earlier one may still be building.
	lbid=$(q build mc/el9 "$T/long#r9-sig-mc-1" --scratch --json | jget 'd["id"]' /dev/stdin)
	for _ in $(seq 300); do
		if q build show "$lbid" --json | jget '[t["kind"] for t in d["tasks"] if t["state"] == "open"]' /dev/stdin |
			grep -q rpm; then
			break
		fi
		sleep 0.2
	done
	sleep 1 # into %build
	# Checks run in sandboxes (quarry check-run) or spawn rpmlint and dnf:
	# run them until one such process is caught running.
	for _ in $(seq 100); do
		api GET "builds/$gbid/checks?output=0" >/dev/null
		grep -q '"running"\|"queued"' "$T/body" || api POST "builds/$gbid/check" >/dev/null
		hub_procs >before.txt
		if grep -q 'check-run\|rpmlint\|dnf' before.txt; then
			running=1
			break
		fi
		sleep 0.1
	done
	[ -n "$running" ] && ok "a check is running" || fail "a check is running"
	if grep -q 'bwrap.*sleep\|bwrap.*rpmbuild' before.txt && grep -q 'check-run\|rpmlint\|dnf' before.txt &&
		grep -q ' worker ' before.txt; then
		ok "the hub runs a worker, a build sandbox and a check ($(wc -l <before.txt) processes)"
	else
		fail "the hub runs a worker, a build sandbox and a check"
		diag "$(cut -c1-200 before.txt)"
	fi
}

# gone SIGNAL: kill the hub with SIGNAL; 5 s later none of its processes is left.
gone() {
	local sig=$1
	kill "-$sig" "$HUB_PID"
	wait "$HUB_PID" 2>/dev/null || true
	HUB_PID=
	sleep 5
	hub_procs >after.txt
	if [ -s after.txt ]; then
		fail "SIG$sig: no process of the hub 5 s after it ended"
		diag "$(cut -c1-200 after.txt)"
		# Do not leave them to the next test.
		awk '{print $1}' after.txt | xargs -r kill -9 2>/dev/null || true
	else
		ok "SIG$sig: no process of the hub 5 s after it ended"
	fi
}

busy_hub
gone TERM

launch_hub
busy_hub
gone KILL

finish
