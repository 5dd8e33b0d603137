#!/bin/bash
# t0381-no-server-paths: import errors answer 400 (a lookaside file nobody
# has, one whose stored bytes do not match its hash, a spec rpmspec
# refuses), and no answer, task log or task message shows where the hub
# keeps its data or where the worker builds: names are relative to the
# source tree or the build.
. "$(dirname "$0")/lib.sh"

start_hub

q sig create mc --short-name mc --title "Messaging and Communication" --purpose "Chat" >/dev/null
q project create mc/el9 --major 9 --variant 1 --arch x86_64 >/dev/null

printf 'tarball\n' >mc-src-1.0.tar.gz
q lookaside upload mc mc-src-1.0.tar.gz >la.txt
good_line=$(cat la.txt)
sha=$(cut -d' ' -f1 la.txt)
wrong=$(printf 'something else' | sha256sum | cut -d' ' -f1)

# leak_free WHAT FILE: FILE names neither the data directory nor the test's
# directory (the worker's work directory is under the data directory).
leak_free() {
	if grep -aqF -e "$DATA" -e "$T/" "$1"; then
		fail "$2 shows no server path"
		diag "$(grep -aF -e "$DATA" -e "$T/" "$1" | head -n 5)"
	else
		ok "$2 shows no server path"
	fi
}

# build_post SRC: POST the build, the answer in $T/body.
build_post() { api POST sigs/mc/projects/el9/builds -H 'Content-Type: application/json' -d "{\"git\":\"$1\"}"; }

# A lookaside line nobody has: 400, not 404.
PKG_SOURCE0=mc-src-1.0.tar.gz PKG_METADATA="$wrong SOURCES/mc-src-1.0.tar.gz
" make_git_pkg "$T/missing" mc-a 1 1
code=$(build_post "$T/missing#r9-sig-mc-1")
[ "$code" = 400 ] && grep -q 'mc-src-1.0.tar.gz' body && ok "a lookaside file nobody has → 400 naming it" ||
	{ fail "a lookaside file nobody has → 400 naming it (got $code)"; diag "$(cat body)"; }
cp body missing.json

# The stored blob does not match its hash (a damaged store): 400, no path.
blob=$(find "$DATA" -type f -name "$sha" | head -n 1)
[ -n "$blob" ] && ok "the lookaside blob is in the data directory" || fail "the lookaside blob is in the data directory"
chmod u+w "$blob" 2>/dev/null || true
printf 'damaged\n' >"$blob"
PKG_SOURCE0=mc-src-1.0.tar.gz PKG_METADATA="$good_line
" make_git_pkg "$T/mismatch" mc-b 1 1
code=$(build_post "$T/mismatch#r9-sig-mc-1")
[ "$code" = 400 ] && grep -q 'does not match its hash' body && ok "a lookaside hash mismatch → 400" ||
	{ fail "a lookaside hash mismatch → 400 (got $code)"; diag "$(cat body)"; }
leak_free body "the mismatch error"

# A spec rpmspec refuses, printing a path of the source tree.
make_git_pkg "$T/badspec" mc-c 1 1
sed -i 's/^Summary:.*/Summary: %{error:no such file %{_sourcedir}\/nothing-here}/' "$T/badspec/SPECS/mc-c.spec"
qgit "$T/badspec" commit -qam "a spec that fails"
code=$(build_post "$T/badspec#r9-sig-mc-1")
[ "$code" = 400 ] && grep -q 'SOURCES/nothing-here' body && ok "a failing spec → 400 naming SOURCES/…" ||
	{ fail "a failing spec → 400 naming SOURCES/… (got $code)"; diag "$(cat body)"; }
leak_free body "the rpmspec error"
out=$(q build mc/el9 "$T/badspec#r9-sig-mc-1" 2>&1) || true
printf '%s\n' "$out" >cli.txt
leak_free cli.txt "the CLI's import error"

# An upload that is not an RPM.
printf 'not an rpm' >junk.rpm
q repo create mc/el9/common --arch x86_64 >/dev/null
code=$(api POST 'sigs/mc/projects/el9/repos/common/packages?filename=junk.rpm' --data-binary @junk.rpm) || true
[ "$code" -ge 400 ] && ok "a junk upload is refused ($code)" || fail "a junk upload is refused (got $code)"
cp body upload.json
leak_free upload.json "the upload error"
q upload mc/el9/common junk.rpm >cli2.txt 2>&1 || true
leak_free cli2.txt "the CLI's upload error"

# A build that prints where it runs, then fails.
PKG_BUILD='echo "PWD=$PWD"; echo "TOPDIR=%{_topdir} BUILDDIR=%{_builddir}"; ls -d "$PWD"/..; exit 1' \
	make_git_pkg "$T/failing" mc-d 1 1
q build mc/el9 "$T/failing#r9-sig-mc-1" --wait >fb.out 2>fb.err || true
bid=$(sed -n 's/^build \([0-9]*\) .*/\1/p' fb.out | head -n 1)
[ -n "$bid" ] && ok "the failing build is stored ($bid)" || { fail "the failing build is stored"; diag "$(cat fb.out fb.err)"; }
q build log "${bid:-0}" >fb.log 2>&1 || true
grep -q 'TOPDIR=' fb.log && grep -q 'PWD=' fb.log && ok "the log shows what the build printed" ||
	{ fail "the log shows what the build printed"; diag "$(tail -n 20 fb.log)"; }
grep -q 'TOPDIR=%{_topdir}' fb.log && ok "  … with %{_topdir} for the task's _topdir" ||
	{ fail "  … with %{_topdir} for the task's _topdir"; diag "$(grep TOPDIR fb.log)"; }
leak_free fb.log "the failed build's log"
leak_free fb.err "the failed build's --wait output"
# (less the git source: the client's own URL, not the server's)
q build show "${bid:-0}" --json 2>&1 | grep -v '"source":\|"git_url":' >show.json || true
leak_free show.json "the failed build's tasks and messages"

finish
