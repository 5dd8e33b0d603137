#!/bin/bash
# t0420-buildroot-e2e: buildroots like mock, end to end, with the real dnf,
# rpmbuild and the generated EL-like distribution (tests/distro). A hub, a
# project whose build tag reads the distribution (file://) and the
# project's own candidate repo (a /pub path), and the hub's embedded worker
# on the installroot backend (build.worker_backend):
#  (a) a C package with BuildRequires: gcc make and a Makefile builds; its
#      binary, unpacked from the RPM, runs; the task's buildroot lists gcc
#      and make with the sha256 of their package files in the distribution;
#  (b) BuildRequires: not-there (and foo >= 2) fails, naming both and the
#      repos searched;
#  (c) B BuildRequires: liba-devel, where liba was built and tagged into
#      the candidate repo just before, builds against its header;
#  (d) a %generate_buildrequires that echoes "make" gets make installed;
#  (e) a second build with the same BuildRequires reuses the cached roots
#      (the log's "cache hit" lines, a shorter preparation), and tagging a
#      build into the candidate repo changes the base root's key.
. "$(dirname "$0")/lib.sh"

for tool in dnf rpmbuild createrepo_c bwrap cpio rpm2cpio; do
	command -v "$tool" >/dev/null || skip "$tool is not installed"
done
if [ -n "${QUARRY_TEST_DISTRO:-}" ]; then
	DISTRO=$QUARRY_TEST_DISTRO
elif type test_distro >/dev/null 2>&1; then
	DISTRO=$(test_distro) || skip "the test distribution could not be made"
else
	skip "no test distribution (tests/distro, test_distro in lib.sh)"
fi
[ -f "$DISTRO/repodata/repomd.xml" ] || skip "the test distribution '$DISTRO' has no repodata"

# The hub's embedded worker, on the installroot backend, one slot.
start_hub "[build]
embedded_worker = true
worker_backend = installroot
worker_slots = 1
lease = 120s"

q sig create mc --short-name mc --title "Messaging" --purpose "tests" >/dev/null
q project create mc/el9 --major 9 --variant 1 --arch x86_64 >/dev/null
q repo create mc/el9/cand --arch x86_64 --channel candidate >/dev/null
q publish mc/el9/cand >/dev/null

BASE='"bash","coreutils","rpm-build","redhat-rpm-config","tar","gzip","xz","cpio","findutils","sed","grep","gawk","diffutils","patch","file"'
api PUT sigs/mc/projects/el9/buildroot -H 'Content-Type: application/json' -d "{\"tags\":[{\"arch\":\"*\",\"releasever\":\"9\",\"repos\":[{\"name\":\"distro\",\"url\":\"file://$DISTRO/\"},{\"name\":\"cand\",\"repo\":\"cand\"}],\"packages\":[$BASE],\"macros\":{\"vendor\":\"Quarry Test SIG\"}}]}" >put.status
check "the build tag is set (PUT …/buildroot: $(cat put.status))" grep -qx 200 put.status

# A C package from git: SPEC with BuildRequires, Makefile and hello.c as sources.
# c_pkg DIR NAME RELEASE BUILDREQUIRES [EXTRA-SPEC-LINES] [C-SOURCE]
c_pkg() {
	local dir=$1 name=$2 release=$3 brs=$4 extra=${5:-} csrc=${6:-}
	rm -rf "$dir"
	mkdir -p "$dir/SPECS" "$dir/SOURCES"
	qgit "$dir" init -q
	qgit "$dir" checkout -q -b r9-sig-mc-1
	[ -n "$csrc" ] || csrc="#include <stdio.h>
int main(void) { printf(\"hello from $name\\n\"); return 0; }"
	printf '%s\n' "$csrc" >"$dir/SOURCES/$name.c"
	printf 'all: %s\n%s: %s.c\n\t$(CC) -O2 -o %s %s.c\n' "$name" "$name" "$name" "$name" "$name" >"$dir/SOURCES/Makefile"
	cat >"$dir/SPECS/$name.spec" <<EOF
Name: $name
Version: 1.0
Release: $release%{?dist}
Summary: a C program built in a buildroot
License: MIT
Source0: Makefile
Source1: $name.c
$( [ -n "$brs" ] && echo "BuildRequires: $brs")
%global debug_package %{nil}
%define __os_install_post %{nil}
%define _build_id_links none
$extra

%description
Built by Quarry's buildroot test.

%prep
cp %{SOURCE0} %{SOURCE1} .

%build
make CC=gcc

%install
install -D -m 755 $name %{buildroot}/usr/bin/$name

%files
/usr/bin/$name
EOF
	: >"$dir/.$name.metadata"
	qgit "$dir" add -A
	qgit "$dir" commit -q -m "$name"
}

submit() { q build mc/el9 "$1#r9-sig-mc-1" --json | jget 'd["id"]' /dev/stdin; }
task_field() { # BUILD KIND EXPR(t)
	q build show "$1" --json | jget "[$3 for t in d['tasks'] if t['kind'] == '$2'][0]" /dev/stdin
}
rpm_log() { q build log "$1" | sed -n '/rpm x86_64/,$p'; }

# ---- (a) BuildRequires: gcc make ----
c_pkg "$T/ga" hello-br 1 "gcc make"
BA=$(submit "$T/ga")
STATE=$(wait_build "$BA" 600)
check "(a) the C package with BuildRequires: gcc make builds" test "$STATE" = complete
[ "$STATE" = complete ] || diag "$(q build log "$BA" | tail -n 40)"
q build log "$BA" >a.log
check "(a) the log names the repos with their repomd sha256" grep -Eq "repo distro file://$DISTRO/ repomd sha256 [0-9a-f]{64}" a.log
check "(a) the log names the BuildRequires" grep -q "BuildRequires: gcc, make" a.log
check "(a) the log says what dnf installed" grep -Eq "^gcc-[0-9]" a.log
check "(a) the first build prepares its roots (cache miss)" grep -q "build root key [0-9a-f]*: cache miss" a.log
q build show "$BA" --json >a.json
GCC_NEVRA=$(jget '[p["nevra"] for t in d["tasks"] if t["kind"] == "rpm" for p in t["buildroot"] if p["nevra"].startswith("gcc-")][0]' a.json)
GCC_SHA=$(jget '[p["sha256"] for t in d["tasks"] if t["kind"] == "rpm" for p in t["buildroot"] if p["nevra"].startswith("gcc-")][0]' a.json)
MAKE_SHA=$(jget '[p["sha256"] for t in d["tasks"] if t["kind"] == "rpm" for p in t["buildroot"] if p["nevra"].startswith("make-")][0]' a.json)
GCC_FILE=$(find "$DISTRO/" -name "$GCC_NEVRA.rpm" | head -n 1)
MAKE_FILE=$(find "$DISTRO/" -name 'make-[0-9]*.rpm' | head -n 1)
check "(a) the task's buildroot lists gcc ($GCC_NEVRA) with its package file's sha256" test "$GCC_SHA" = "$(sha256sum <"$GCC_FILE" | cut -d' ' -f1)"
check "(a) … and make with its sha256" test "$MAKE_SHA" = "$(sha256sum <"$MAKE_FILE" | cut -d' ' -f1)"
check "(a) the task's buildroot repos carry the repomd sha256" test "$(jget '[r["repomd_sha256"] for t in d["tasks"] if t["kind"] == "rpm" for r in t["buildroot_repos"] if r["name"] == "distro"][0]' a.json)" = "$(sha256sum <"$DISTRO/repodata/repomd.xml" | cut -d' ' -f1)"
KEY_A=$(rpm_log "$BA" | sed -n 's/.*base root key \([0-9a-f]*\).*/\1/p' | head -n 1)
PREP_A=$(sed -n 's/.*prepared in \([0-9.]*\) s.*/\1/p' a.log | head -n 1) # the SRPM task's

# ---- (e) the same BuildRequires again: both roots from the cache ----
c_pkg "$T/ge" hello-br 2 "make gcc"
BE=$(submit "$T/ge")
check "(e) the second build completes" test "$(wait_build "$BE" 600)" = complete
q build log "$BE" >e.log
refute "(e) the second build reuses the base root (no cache miss)" grep -q "base root key .*: cache miss" e.log
refute "(e) … and the build root (no cache miss)" grep -q "build root key .*: cache miss" e.log
check "(e) the log says cache hit" grep -q "build root key .*: cache hit" e.log
PREP_E=$(sed -n 's/.*prepared in \([0-9.]*\) s.*/\1/p' e.log | head -n 1)
KEY_E=$(sed -n '/rpm x86_64/,$s/.*base root key \([0-9a-f]*\).*/\1/p' e.log | head -n 1)
check "(e) the cached preparation ($PREP_E s) is shorter than the first ($PREP_A s)" \
	awk -v a="$PREP_A" -v e="$PREP_E" 'BEGIN { exit !(e + 0 < a + 0) }'
check "(e) the base root's key is the same" test -n "$KEY_A" -a "$KEY_A" = "$KEY_E"

# ---- (a) the binary from the RPM (published by tagging it) ----
q tag "$BA" mc/el9/cand >/dev/null
q wait-repo mc/el9/cand --build "$BA" --timeout 60 >/dev/null
RPM=$(find "$DATA/pub/sig/9/mc/x86_64/cand/" -name 'hello-br-1.0-1*.x86_64.rpm' | head -n 1)
mkdir -p unpack
(cd unpack && rpm2cpio "$RPM" | cpio -idm --quiet)
check "(a) the binary from the RPM runs" test "$(unpack/usr/bin/hello-br)" = "hello from hello-br"
[ -x unpack/usr/bin/hello-br ] || diag "RPM: '$RPM'" "$(find "$DATA/pub" -name '*.rpm')"

# ---- (b) BuildRequires nothing provides ----
c_pkg "$T/gb" hello-missing 1 "gcc, not-there, foo >= 2"
BB=$(submit "$T/gb")
check "(b) a build with a BuildRequires nothing provides fails" test "$(wait_build "$BB" 300)" = failed
MSG=$(q build show "$BB" --json | jget '[t["message"] for t in d["tasks"] if t["state"] == "failed"][0]' /dev/stdin)
check "(b) the message names not-there" grep -q "No matching package to install: .*not-there" <<<"$MSG"
check "(b) … and foo >= 2" grep -q "foo >= 2" <<<"$MSG"
refute "(b) … but not gcc, which exists" grep -q "install: [^(]*gcc" <<<"$MSG"
check "(b) … and the repos searched" grep -q "searched: distro file://$DISTRO/, sig-mc-cand http://127.0.0.1:$PORT/pub/sig/9/mc/x86_64/cand/)" <<<"$MSG"

# ---- (c) B BuildRequires liba-devel from the candidate repo ----
c_pkg "$T/gl" liba 1 "gcc make" '%package devel
Summary: liba headers
%description devel
The header of liba.
%files devel
/usr/include/liba.h'
sed -i 's|^install -D -m 755 liba .*|&\nmkdir -p %{buildroot}/usr/include \&\& echo "#define LIBA_ANSWER 42" > %{buildroot}/usr/include/liba.h|' "$T/gl/SPECS/liba.spec"
qgit "$T/gl" commit -q -am "liba-devel"
BL=$(submit "$T/gl")
STATE=$(wait_build "$BL" 600)
check "(c) liba (with liba-devel) builds" test "$STATE" = complete
[ "$STATE" = complete ] || diag "$(q build log "$BL" | tail -n 30)"
KEY_L=$(rpm_log "$BL" | sed -n 's/.*base root key \([0-9a-f]*\).*/\1/p' | head -n 1)
check "(e) tagging hello-br into the candidate repo changed the base root's key" \
	test -n "$KEY_L" -a "$KEY_L" != "$KEY_E"
q tag "$BL" mc/el9/cand >/dev/null
check "(c) liba is in the candidate repo" q wait-repo mc/el9/cand --build "$BL" --timeout 60
c_pkg "$T/gu" uses-liba 1 "gcc make liba-devel" "" '#include <stdio.h>
#include <liba.h>
int main(void) { printf("%d\n", LIBA_ANSWER); return 0; }'
BU=$(submit "$T/gu")
STATE=$(wait_build "$BU" 600)
check "(c) B builds against liba-devel from the candidate repo" test "$STATE" = complete
[ "$STATE" = complete ] || diag "$(q build log "$BU" | tail -n 30)"
check "(c) B's buildroot lists liba-devel" test "$(task_field "$BU" rpm 'len([p for p in t["buildroot"] if p["nevra"].startswith("liba-devel-1.0-1")])')" = 1
KEY_U=$(rpm_log "$BU" | sed -n 's/.*base root key \([0-9a-f]*\).*/\1/p' | head -n 1)
check "(c) tagging liba changed the base root's key again" test -n "$KEY_U" -a "$KEY_U" != "$KEY_L"

# ---- (d) %generate_buildrequires ----
c_pkg "$T/gd" hello-dyn 1 "gcc" '%generate_buildrequires
echo make'
BD=$(submit "$T/gd")
STATE=$(wait_build "$BD" 600)
check "(d) a %generate_buildrequires build completes" test "$STATE" = complete
[ "$STATE" = complete ] || diag "$(q build log "$BD" | tail -n 30)"
rpm_log "$BD" >d.log
check "(d) rpmbuild -rr ran" grep -q "rpmbuild -rr" d.log
check "(d) the dynamic BuildRequires is resolved" grep -q "BuildRequires: gcc, make" d.log
check "(d) make is in its buildroot" test "$(task_field "$BD" rpm 'len([p for p in t["buildroot"] if p["nevra"].startswith("make-")])')" = 1
check "(d) the SRPM task's buildroot has no make (static BuildRequires only)" test "$(task_field "$BD" srpm 'len([p for p in t["buildroot"] if p["nevra"].startswith("make-")])')" = 0

# ---- unprivileged: the roots belong to the build user, not the host's root ----
ROOTS=$(ls -d "$DATA"/tmp/worker/roots/*/ | head -n 1)
if [ "$(id -u)" = 0 ]; then
	check "the roots' files belong to the build user (dnf ran unprivileged)" test "$(stat -c %u "$ROOTS/usr/bin/bash")" = 70000
fi

finish
