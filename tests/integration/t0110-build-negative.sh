#!/bin/bash
# t0110-build-negative: what the hub refuses before storing a build (each
# with a message naming the file or the ref, and no build stored: a wrong
# lookaside hash, a missing .NAME.metadata, two spec files, branch main, an
# import tag whose NEVR is not the spec's, a symlink, too many files, an
# unknown ref), and what the sandbox stops (a %build reaching the network,
# one writing outside its build directory, one past the time limit: each
# build fails and keeps its log).
. "$(dirname "$0")/lib.sh"

start_hub "[build]
max_files = 5
timeout = 10s"

q sig create mc --short-name mc --title "Messaging and Communication" --purpose "Chat" >/dev/null
q project create mc/el9 --major 9 --variant 1 --arch x86_64 >/dev/null

printf 'tarball\n' >mc-src-1.0.tar.gz
q lookaside upload mc mc-src-1.0.tar.gz >la.txt
good_line=$(cat la.txt)
wrong=$(printf 'something else' | sha256sum | cut -d' ' -f1)

q build list --json >list0.json

# refused WHAT PATTERN SOURCE: the build is refused (exit 1, PATTERN in
# the message) and the hub stores nothing.
refused() {
	local what=$1 pattern=$2 src=$3 out rc=0
	out=$(q build mc/el9 "$src" 2>&1) || rc=$?
	if [ "$rc" = 1 ] && grep -Eq -- "$pattern" <<<"$out"; then
		ok "refused: $what"
	else
		fail "refused: $what (exit $rc, want 1 and /$pattern/)"
		diag "$out"
	fi
	q build list --json >list.json
	if cmp -s list0.json list.json; then ok "  … and no build stored"; else fail "  … and no build stored"; diag "$(cat list.json)"; fi
}

# A hash that is not the file's (nothing in the lookaside has it).
PKG_SOURCE0=mc-src-1.0.tar.gz PKG_METADATA="$wrong SOURCES/mc-src-1.0.tar.gz
" make_git_pkg "$T/badhash" mc-a 1 1
refused "a lookaside line with a wrong hash" "mc-src-1.0.tar.gz" "$T/badhash#r9-sig-mc-1"

# A malformed line.
PKG_METADATA="nothex SOURCES/x.tar.gz
" make_git_pkg "$T/badline" mc-a 1 1
refused "a malformed .metadata line" "\.mc-a\.metadata" "$T/badline#r9-sig-mc-1"

# No .NAME.metadata at all.
make_git_pkg "$T/nometa" mc-b 1 1
qgit "$T/nometa" rm -q .mc-b.metadata
qgit "$T/nometa" commit -q -m "drop metadata"
refused "a missing .NAME.metadata" "\.mc-b\.metadata" "$T/nometa#r9-sig-mc-1"

# Two spec files.
make_git_pkg "$T/twospecs" mc-c 1 1
cp "$T/twospecs/SPECS/mc-c.spec" "$T/twospecs/SPECS/other.spec"
qgit "$T/twospecs" add -A && qgit "$T/twospecs" commit -q -m "second spec"
refused "two spec files" "spec" "$T/twospecs#r9-sig-mc-1"

# Branch main never builds.
make_git_pkg "$T/main" mc-d 1 1 main
refused "branch main" "'main'" "$T/main#main"

# A branch of another project.
make_git_pkg "$T/other" mc-d 1 1 r8-sig-mc-1
refused "another project's branch" "r8-sig-mc-1" "$T/other#r8-sig-mc-1"

# An import tag whose NEVR is not the spec's.
make_git_pkg "$T/badtag" mc-e 1.0 1
qgit "$T/badtag" tag -a -m import imports/r9-sig-mc-1/mc-e-9.9-9.el9.mc
refused "a tag whose NEVR differs from the spec" "imports/r9-sig-mc-1/mc-e-9.9-9.el9.mc" \
	"$T/badtag#imports/r9-sig-mc-1/mc-e-9.9-9.el9.mc"

# A symlink in the tree.
make_git_pkg "$T/symlink" mc-f 1 1
ln -s /etc/passwd "$T/symlink/SOURCES/passwd"
qgit "$T/symlink" add -A && qgit "$T/symlink" commit -q -m "symlink"
refused "a symlink in the tree" "SOURCES/passwd" "$T/symlink#r9-sig-mc-1"

# More than build.max_files (5) files.
make_git_pkg "$T/many" mc-g 1 1
for i in 1 2 3 4 5; do echo "$i" >"$T/many/SOURCES/extra-$i"; done
qgit "$T/many" add -A && qgit "$T/many" commit -q -m "many files"
refused "too many files" "files|max_files" "$T/many#r9-sig-mc-1"

# A ref that does not exist.
make_git_pkg "$T/noref" mc-h 1 1
refused "an unknown ref" "r9-sig-mc-nope" "$T/noref#r9-sig-mc-nope"

# A repository that does not exist.
refused "a missing repository" "$T/nowhere" "$T/nowhere#r9-sig-mc-1"

# A lookaside file also committed in the tree.
PKG_SOURCE0=mc-src-1.0.tar.gz PKG_METADATA="$good_line
" make_git_pkg "$T/committed" mc-i 1 1
cp mc-src-1.0.tar.gz "$T/committed/SOURCES/"
qgit "$T/committed" add -A && qgit "$T/committed" commit -q -m "committed tarball"
refused "a lookaside file committed in the tree" "mc-src-1.0.tar.gz" "$T/committed#r9-sig-mc-1"

# ---- the sandbox ----

# failed_build WHAT PATTERN SOURCE: the build is stored, --wait exits 1, and
# the failed task's log matches PATTERN. Sets $bid.
failed_build() {
	local what=$1 pattern=$2 src=$3 rc=0
	q build mc/el9 "$src" --wait >fb.out 2>fb.err || rc=$?
	bid=$(sed -n 's/^build \([0-9]*\) .*/\1/p' fb.out | head -n 1)
	if [ "$rc" = 1 ] && grep -q "): failed" fb.err; then
		ok "$what: the build fails (exit 1)"
	else
		fail "$what: the build fails (exit $rc)"
		diag "$(cat fb.out fb.err)"
	fi
	if q build log "${bid:-0}" >fb.log 2>&1 && grep -Eq -- "$pattern" fb.log; then
		ok "  … its log shows /$pattern/"
	else
		fail "  … its log shows /$pattern/"
		diag "$(tail -n 15 fb.log)"
	fi
	grep -q "last lines of the log" fb.err && ok "  … --wait prints the log's tail" || fail "  … --wait prints the log's tail"
}

PKG_BUILD="echo TRYING-THE-NETWORK
curl -sS --max-time 5 http://127.0.0.1:$PORT/healthz || { echo NO-NETWORK-HERE; exit 1; }
echo REACHED-THE-HUB" make_git_pkg "$T/net" mc-net 1 1
failed_build "a %build reaching the hub over the network" "NO-NETWORK-HERE" "$T/net#r9-sig-mc-1"
grep -q REACHED-THE-HUB fb.log && fail "  … never reached the hub" || ok "  … never reached the hub"

PKG_BUILD="echo TRYING-DNS
getent hosts quarry-test.example.org || { echo NO-DNS-HERE; exit 1; }" make_git_pkg "$T/dns" mc-dns 1 1
failed_build "a %build resolving a name" "NO-DNS-HERE" "$T/dns#r9-sig-mc-1"

PKG_BUILD="echo TRYING-TO-ESCAPE
touch /usr/share/quarry-escape-$$ || { echo READ-ONLY-HOST; exit 1; }" make_git_pkg "$T/esc1" mc-esc 1 1
failed_build "a %build writing to /usr/share" "READ-ONLY-HOST" "$T/esc1#r9-sig-mc-1"
[ ! -e /usr/share/quarry-escape-$$ ] && ok "  … /usr/share/quarry-escape-$$ does not exist" || { fail "  … /usr/share/quarry-escape-$$ does not exist"; rm -f /usr/share/quarry-escape-$$; }

# $T is under /tmp and /var/tmp is also the sandbox's own (fresh tmpfs): a
# write there may succeed but never reaches the host. /etc is the
# sandbox's own read-only one.
PKG_BUILD="echo TRYING-TO-ESCAPE
touch $T/escaped || true
touch /var/tmp/quarry-escape-$$ || true
touch /etc/quarry-escape-$$ || { echo NOT-WRITABLE; exit 1; }" make_git_pkg "$T/esc2" mc-esc2 1 1
failed_build "a %build writing to /etc, /var/tmp and the test's directory" "NOT-WRITABLE" "$T/esc2#r9-sig-mc-1"
[ ! -e /var/tmp/quarry-escape-$$ ] && ok "  … /var/tmp/quarry-escape-$$ does not exist" || { fail "  … /var/tmp/quarry-escape-$$ does not exist"; rm -f /var/tmp/quarry-escape-$$; }
[ ! -e /etc/quarry-escape-$$ ] && ok "  … /etc/quarry-escape-$$ does not exist" || { fail "  … /etc/quarry-escape-$$ does not exist"; rm -f /etc/quarry-escape-$$; }
[ ! -e "$T/escaped" ] && ok "  … $T/escaped does not exist" || fail "  … $T/escaped does not exist"

PKG_BUILD="echo SLEEPING-PAST-THE-LIMIT
sleep 60
echo WOKE-UP" make_git_pkg "$T/slow" mc-slow 1 1
start=$(date +%s)
failed_build "a %build past build.timeout (10 s)" "SLEEPING-PAST-THE-LIMIT" "$T/slow#r9-sig-mc-1"
elapsed=$(($(date +%s) - start))
[ "$elapsed" -lt 50 ] && ok "  … stopped at the time limit (${elapsed} s)" || fail "  … stopped at the time limit (${elapsed} s)"
grep -q WOKE-UP fb.log && fail "  … the sleep never ended" || ok "  … the sleep never ended"
q build show "${bid:-0}" --json >slow.json || true
msg=$(jget '" ".join(t.get("message", "") for t in d.get("tasks", []) if t["state"] == "failed") + " " + d.get("message", "")' slow.json 2>/dev/null || true)
grep -Eiq "time limit|timed? ?out|killed" <<<"$msg" && ok "  … marked as killed at the time limit" || { fail "  … marked as killed at the time limit"; diag "$msg"; }

# Cancel.
PKG_BUILD="sleep 30" make_git_pkg "$T/cancel" mc-cancel 1 1
q build mc/el9 "$T/cancel#r9-sig-mc-1" --json >c.json
cid=$(jget 'd["id"]' c.json)
q build cancel "$cid" >cancel.txt && grep -q "canceled" cancel.txt && ok "build cancel" || { fail "build cancel"; diag "$(cat cancel.txt)"; }
[ "$(wait_build "$cid" 60)" = canceled ] && ok "  … the build is canceled" || fail "  … the build is canceled"
expect_fail 1 "." q build cancel 99999

finish
