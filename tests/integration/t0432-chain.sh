#!/bin/bash
# t0432-chain: chain builds (Koji's chain-build). `quarry build --chain
# SIG/PROJECT A : B C --wait` builds A, tags it into the project's
# candidate repo and publishes it before B and C get their SRPM task (they
# have no task while A builds), then B and C; every group ends up in the
# repo, the chain is complete and `build show` names it. A bad source
# refuses the whole chain (nothing stored); testing/release repos are
# refused as chain targets; a project with two candidate repos needs
# --into; a NEVR twice in one chain is refused; a failed build fails the
# chain and cancels the later groups with a message.
. "$(dirname "$0")/lib.sh"

start_hub

q sig create mc --short-name mc --title "Messaging and Communication" --purpose "Chat" >/dev/null
q project create mc/el9 --major 9 --variant 1 --arch x86_64 >/dev/null
q repo create mc/el9/cand --arch x86_64 --channel candidate >/dev/null
q repo create mc/el9/stable --arch x86_64 --channel release >/dev/null
q repo create mc/el9/stable-testing --arch x86_64 --channel testing >/dev/null
PUB=$DATA/pub/sig/9/mc/x86_64/cand

PKG_ARCH=noarch PKG_BUILD="sleep 15" make_git_pkg "$T/a" mc-ca 1.0 1
PKG_ARCH=noarch make_git_pkg "$T/b" mc-cb 1.0 1
PKG_ARCH=noarch make_git_pkg "$T/c" mc-cc 1.0 1

# ---- refusals: nothing stored ----
count=$(build_count)
expect_fail 1 "group 2, .*nope.*" q build --chain mc/el9 "$T/a#r9-sig-mc-1" : "$T/b#nope"
expect_fail 1 "stable-testing' is a testing repo.*candidate repo" q build --chain mc/el9 "$T/a#r9-sig-mc-1" --into stable-testing
expect_fail 1 "stable' is a release repo" q build --chain mc/el9 "$T/a#r9-sig-mc-1" --into stable
expect_fail 1 "group 2, .*build already exists: mc-ca-1.0-1.el9.mc" q build --chain mc/el9 "$T/a#r9-sig-mc-1" : "$T/a#r9-sig-mc-1"
expect_fail 2 "none empty" q build --chain mc/el9 "$T/a#r9-sig-mc-1" : : "$T/b#r9-sig-mc-1"
check "the refused chains stored no build" [ "$(build_count)" = "$count" ]

# ---- a chain of two groups ----
q build --chain mc/el9 "$T/a#r9-sig-mc-1" : "$T/b#r9-sig-mc-1" "$T/c#r9-sig-mc-1" >chain.txt 2>chain.err && rc=0 || rc=$?
# Group 2's build read first, then group 1's: if group 1 was still building
# after, group 2 had no task before (A sleeps 15 s in %build). Read at once,
# with sed only (python's start-up is slow on a loaded machine).
ida=$(sed -n 's/^  group 1: build \([0-9]*\) .*/\1/p' chain.txt | head -n 1)
idb=$(sed -n 's/^  group 2: build \([0-9]*\) .*/\1/p' chain.txt | head -n 1)
q build show "${idb:-0}" --json >b0.json 2>/dev/null || echo '{}' >b0.json
q build show "${ida:-0}" --json >a0.json 2>/dev/null || echo '{}' >a0.json
check "build --chain is accepted (exit $rc)" [ "$rc" = 0 ]
[ "$rc" = 0 ] || diag "$(cat chain.txt chain.err)"
cid=$(sed -n 's/^chain \([0-9]*\) .*/\1/p' chain.txt | head -n 1)
cid=${cid:-0}
api GET "chains/$cid" >/dev/null
cp "$T/body" chain.json
check "the chain goes into the project's candidate repo" [ "$(jget 'd["repo"]' chain.json 2>/dev/null)" = cand ]
check "  … with 3 builds in 2 groups" [ "$(jget '[[b["group"], b["nevr"]] for b in d["builds"]]' chain.json 2>/dev/null)" = '[[1, "mc-ca-1.0-1.el9.mc"], [2, "mc-cb-1.0-1.el9.mc"], [2, "mc-cc-1.0-1.el9.mc"]]' ]
check "group 1 is still building (its %build sleeps)" [ "$(jget 'd["state"]' a0.json 2>/dev/null)" = building ]
check "  … while group 2's build has no task" [ "$(jget 'len(d["tasks"])' b0.json 2>/dev/null)" = 0 ]
check "  … and is building" [ "$(jget 'd["state"]' b0.json 2>/dev/null)" = building ]
[ "$(wait_build "$ida" 120)" = complete ] || diag "build $ida did not complete"
for _ in $(seq 120); do
	[ "$(q build show "$idb" --json | jget 'len(d["tasks"])' /dev/stdin)" != 0 ] && break
	sleep 0.25
done
check "once group 1 is complete, its RPM is published in the chain's repo" in_repodata "$PUB" mc-ca
# The chain waits: B's SRPM task is created only after A was tagged and published.
q build show "$ida" --json >a.json
q build show "$idb" --json >b1.json
pubtime=$(stat -c %Y "$PUB/repodata/repomd.xml" 2>/dev/null || echo 0)
fin_a=$(jget 'd["finished"]' a.json)
check "group 2's first task started after group 1 was complete ($(jget 'd["tasks"][0].get("started")' b1.json) >= $fin_a)" \
	python3 -c "import json,sys; b=json.load(open('b1.json')); sys.exit(0 if b['tasks'] and (b['tasks'][0]['started'] or '9999') >= '$fin_a' else 1)"
[ "$pubtime" != 0 ] || diag "no repomd.xml in $PUB"

# --wait on the whole chain (already running): through the CLI, a new one.
PKG_ARCH=noarch make_git_pkg "$T/d" mc-cd 1.0 1
PKG_ARCH=noarch make_git_pkg "$T/e" mc-ce 1.0 1
q build --chain mc/el9 "$T/d#r9-sig-mc-1" : "$T/e#r9-sig-mc-1" --into cand --wait >w.txt 2>w.err && rc=0 || rc=$?
check "build --chain --wait completes (exit $rc)" [ "$rc" = 0 ]
[ "$rc" = 0 ] || diag "$(cat w.txt w.err)"
check "  … reports group 2 starting" grep -q "group 2 of 2 building" w.txt
check "  … and ends with the chain complete" grep -Eq "^chain [0-9]+ \(mc/el9, into cand\): complete" w.txt
check "  … its builds are in the repo" in_repodata "$PUB" mc-ce
for _ in $(seq 240); do
	[ "$(api GET "chains/$cid" >/dev/null && jget 'd["state"]' "$T/body")" != building ] && break
	sleep 0.5
done
api GET "chains/$cid" >/dev/null
cp "$T/body" chain2.json
check "the first chain is complete" [ "$(jget 'd["state"]' chain2.json 2>/dev/null)" = complete ]
check "  … every build complete" [ "$(jget '[b["state"] for b in d["builds"]]' chain2.json 2>/dev/null)" = '["complete", "complete", "complete"]' ]
check "  … group 2 is in the repo too" in_repodata "$PUB" mc-cc
q build show "$idb" >show.txt
check "build show names the chain and the group" grep -Eq "^chain: +$cid \(group 2\)" show.txt

# ---- a failure cancels the later groups ----
PKG_ARCH=noarch PKG_BUILD=false make_git_pkg "$T/f" mc-cf 1.0 1
PKG_ARCH=noarch make_git_pkg "$T/g" mc-cg 1.0 1
q build --chain mc/el9 "$T/f#r9-sig-mc-1" : "$T/g#r9-sig-mc-1" --wait >f.txt 2>f.err && rc=0 || rc=$?
check "a chain whose first build fails: --wait exits 1 ($rc)" [ "$rc" = 1 ]
check "  … the chain failed, naming the build" grep -Eq "^chain [0-9]+ \(mc/el9\): failed: build [0-9]+ \(mc-cf-1.0-1.el9.mc, group 1\) failed" f.err
check "  … the later group's build was canceled, saying why" grep -Eq "^build [0-9]+ \(group 2, mc-cg-1.0-1.el9.mc\): canceled: chain [0-9]+ failed" f.txt
refute "  … and never reached the repo" in_repodata "$PUB" mc-cg

# ---- two candidate repos: name one ----
q repo create mc/el9/cand2 --arch x86_64 --channel candidate >/dev/null
PKG_ARCH=noarch make_git_pkg "$T/h" mc-ch 1.0 1
expect_fail 1 "several candidate repos \(cand, cand2\)" q build --chain mc/el9 "$T/h#r9-sig-mc-1"

finish
