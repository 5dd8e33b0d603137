#!/bin/bash
# t0532-rpmlint-defaults: the rpmlint check's default configuration is an
# EL/Fedora one, not the openSUSE defaults rpmlint 2 ships, with the real
# rpmlint:
#  - a package named foo-sig (a name that ends in a "language code") with
#    License: MIT passes: no "no-dependency-on locales-sig" error, no
#    "invalid-license MIT" warning;
#  - SPDX expressions (GPL-2.0-or-later AND (MIT OR Apache-2.0), Apache-2.0
#    WITH LLVM-exception) are valid licenses; an old Fedora short name
#    (GPLv2+) still gets invalid-license;
#  - a changelog entry without the dist tag is not "incoherent";
#  - rpmlint's real errors still fail (no %changelog).
. "$(dirname "$0")/lib.sh"

command -v rpmlint >/dev/null || skip "rpmlint is not installed"

start_hub "[mirror]
crawl_interval = 0"
q sig create mc --short-name mc --title "Messaging" --purpose "tests" >/dev/null
q project create mc/el9 --major 9 --variant 1 --arch x86_64 >/dev/null

# lint_pkg DIR NAME LICENSE [CHANGELOG(yes|no)]
lint_pkg() {
	local dir=$1 name=$2 license=$3 changelog=${4:-yes}
	mkdir -p "$dir/SPECS" "$dir/SOURCES"
	qgit "$dir" init -q
	qgit "$dir" checkout -q -b r9-sig-mc-1
	echo "$name" >"$dir/SOURCES/README"
	{
		cat <<EOF
Name: $name
Version: 1.0
Release: 1%{?dist}
Summary: A package for the rpmlint defaults
License: $license
URL: https://example.org/$name
Source0: README
BuildArch: noarch

%description
A package that follows EL packaging, for Quarry's rpmlint test.

%prep
cp %{SOURCE0} .

%install
mkdir -p %{buildroot}/usr/share/$name

%files
%doc README
/usr/share/$name
EOF
		if [ "$changelog" = yes ]; then
			printf '\n%%changelog\n* Thu Dec 03 2026 Quarry Test <test@quarry.invalid> - 1.0-1\n- First build.\n'
		fi
	} >"$dir/SPECS/$name.spec"
	: >"$dir/.$name.metadata"
	qgit "$dir" add -A
	qgit "$dir" commit -q -m "$name"
}
lint_of() { # lint_of NAME LICENSE [CHANGELOG]: build, run the checks; print the build id
	local b
	lint_pkg "$T/g-$1" "$1" "$2" "${3:-yes}"
	b=$(q build mc/el9 "$T/g-$1#r9-sig-mc-1" --json | jget 'd["id"]' /dev/stdin)
	[ "$(wait_build "$b")" = complete ] || { echo "build of $1 failed" >&2; return 1; }
	q check "$b" --wait >/dev/null 2>&1 || true
	echo "$b"
}
rstate() { api GET "builds/$1/checks" >/dev/null && jget "[c['state'] for c in d['checks'] if c['name'] == 'rpmlint'][0]"; }
rsum() { api GET "builds/$1/checks" >/dev/null && jget "[c['summary'] for c in d['checks'] if c['name'] == 'rpmlint'][0]"; }

B1=$(lint_of foo-sig MIT)
q check "$B1" --output rpmlint >b1.out
check "foo-sig with License: MIT passes rpmlint by default ($(rsum "$B1"))" test "$(rstate "$B1")" = pass
check "rpmlint did check it (its session line)" grep -q "packages: 2" b1.out
lacks "… no no-dependency-on locales-sig" b1.out "no-dependency-on"
lacks "… no invalid-license" b1.out "invalid-license"
lacks "… no incoherent-version-in-changelog (the entry has no dist tag)" b1.out "incoherent-version"
check "the configuration is Quarry's override" grep -q "quarry.override.toml" b1.out

B2=$(lint_of spdx-expr "GPL-2.0-or-later AND (MIT OR Apache-2.0)")
check "an SPDX expression passes" test "$(rstate "$B2")" = pass
q check "$B2" --output rpmlint >b2.out
lacks "… without invalid-license" b2.out "invalid-license"
B3=$(lint_of spdx-with "Apache-2.0 WITH LLVM-exception")
q check "$B3" --output rpmlint >b3.out
lacks "Apache-2.0 WITH LLVM-exception is valid" b3.out "invalid-license"
B4=$(lint_of old-name "GPLv2+")
q check "$B4" --output rpmlint >b4.out
check "an old short name (GPLv2+) still gets invalid-license" grep -q "W: invalid-license GPLv2+" b4.out
B5=$(lint_of no-changelog MIT no)
check "a real error still fails rpmlint" test "$(rstate "$B5")" = fail
check "… naming it ($(rsum "$B5"))" grep -q "no-changelogname-tag" <<<"$(rsum "$B5")"
finish
