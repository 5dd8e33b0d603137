#!/bin/bash
# t0533-rpmlint-package-rc: a package's own NAME.rpmlintrc from its git
# tree, as Fedora's dist-git keeps it, applied to that package's rpmlint
# check (real hub, real rpmlint). A package without %changelog fails
# rpmlint (E: no-changelogname-tag); then, release by release:
#  (a) NAME.rpmlintrc at the top of the tree filtering that error: passes,
#      and the output says the file was read;
#  (b) the same in SPECS/NAME.rpmlintrc;
#  (c) lines that are not addFilter/setBadness (Python code, a call with
#      something after it) are dropped, each named with its line number,
#      and nothing runs: the marker file they would create does not exist;
#      the valid line beside them still applies;
#  (d) a file over 64 KiB fails the check, naming the file and the limit;
#  (e) a release without the file fails again (nothing carried over).
. "$(dirname "$0")/lib.sh"

command -v rpmlint >/dev/null || skip "rpmlint is not installed"

start_hub "[mirror]
crawl_interval = 0"
q sig create mc --short-name mc --title "Messaging" --purpose "tests" >/dev/null
q project create mc/el9 --major 9 --variant 1 --arch x86_64 >/dev/null

G=$T/git
mkdir -p "$G/SPECS" "$G/SOURCES"
qgit "$G" init -q
qgit "$G" checkout -q -b r9-sig-mc-1
echo readme >"$G/SOURCES/README"
: >"$G/.lintrc-pkg.metadata"
# release N [RC-PATH RC-TEXT]: commit release N (no %changelog), with the
# rpmlintrc given (none otherwise); build it, run its checks; print the id.
release() {
	local n=$1 path=${2:-} b
	rm -f "$G/lintrc-pkg.rpmlintrc" "$G/SPECS/lintrc-pkg.rpmlintrc"
	[ -n "$path" ] && printf '%s\n' "$3" >"$G/$path"
	cat >"$G/SPECS/lintrc-pkg.spec" <<EOF
Name: lintrc-pkg
Version: 1.0
Release: $n%{?dist}
Summary: A package with its own rpmlintrc
License: MIT
URL: https://example.org/lintrc-pkg
Source0: README
BuildArch: noarch

%description
A package without a changelog, for Quarry's rpmlintrc test.

%prep
cp %{SOURCE0} .

%install
mkdir -p %{buildroot}/usr/share/lintrc-pkg

%files
%doc README
/usr/share/lintrc-pkg
EOF
	qgit "$G" add -A
	qgit "$G" commit -q -m "release $n"
	b=$(q build mc/el9 "$G#r9-sig-mc-1" --json | jget 'd["id"]' /dev/stdin)
	[ "$(wait_build "$b")" = complete ] || { echo "release $n did not build" >&2; return 1; }
	q check "$b" --wait >/dev/null 2>&1 || true
	echo "$b"
}
rstate() { api GET "builds/$1/checks" >/dev/null && jget "[c['state'] for c in d['checks'] if c['name'] == 'rpmlint'][0]"; }
rsum() { api GET "builds/$1/checks" >/dev/null && jget "[c['summary'] for c in d['checks'] if c['name'] == 'rpmlint'][0]"; }

B0=$(release 1)
check "without an rpmlintrc the package fails rpmlint ($(rsum "$B0"))" test "$(rstate "$B0")" = fail
check "… because of no-changelogname-tag" grep -q "no-changelogname-tag" <<<"$(rsum "$B0")"

# (a) at the top of the tree
BA=$(release 2 lintrc-pkg.rpmlintrc '# as Fedora dist-git has it
addFilter("no-changelogname-tag")')
q check "$BA" --output rpmlint >a.out
check "(a) lintrc-pkg.rpmlintrc at the top filters the error: pass ($(rsum "$BA"))" test "$(rstate "$BA")" = pass
check "(a) the output says the file was read" grep -q "note: lintrc-pkg.rpmlintrc: 1 line read" a.out

# (b) in SPECS/
BB=$(release 3 SPECS/lintrc-pkg.rpmlintrc "addFilter('no-changelogname-tag')")
q check "$BB" --output rpmlint >b.out
check "(b) SPECS/lintrc-pkg.rpmlintrc applies too ($(rsum "$BB"))" test "$(rstate "$BB")" = pass
check "(b) … named in the output" grep -q "note: SPECS/lintrc-pkg.rpmlintrc: 1 line read" b.out

# (c) untrusted lines: dropped, named, never run
MARK=$T/rpmlintrc-ran
BC=$(release 4 lintrc-pkg.rpmlintrc "import os; os.system('touch $MARK')
addFilter(\"no-changelogname-tag\") or __import__('os').system('touch $MARK')
exec(open('/etc/passwd').read())
addFilter(\"no-changelogname-tag\")")
q check "$BC" --output rpmlint >c.out
check "(c) the valid line applies: pass ($(rsum "$BC"))" test "$(rstate "$BC")" = pass
check "(c) line 1 (Python code) is dropped and named" grep -q "note: lintrc-pkg.rpmlintrc line 1 ignored" c.out
check "(c) line 2 (a filter with code after it) too" grep -q "note: lintrc-pkg.rpmlintrc line 2 ignored" c.out
check "(c) line 3 too" grep -q "note: lintrc-pkg.rpmlintrc line 3 ignored" c.out
check "(c) one line read" grep -q "note: lintrc-pkg.rpmlintrc: 1 line read" c.out
refute "(c) nothing ran: no marker file" test -e "$MARK"

# (d) too big
BIG=$(python3 -c 'print("# padding " * 7000)')
BD=$(release 5 lintrc-pkg.rpmlintrc "$BIG")
check "(d) an rpmlintrc over 64 KiB fails the check" test "$(rstate "$BD")" = fail
check "(d) … naming the file and the limit ($(rsum "$BD"))" grep -q "lintrc-pkg.rpmlintrc is 70001 bytes; at most 65536 are read" <<<"$(rsum "$BD")"

# (e) the next release has none: the error is back
BE=$(release 6)
check "(e) without the file again, rpmlint fails again" test "$(rstate "$BE")" = fail
finish
