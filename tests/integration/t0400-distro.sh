#!/bin/bash
# t0400-distro: the generated test distribution (tests/distro/make-distro.sh)
# is a working EL-like buildroot. The real dnf installs its base set into a
# fresh root; inside it, as the unprivileged build user, the real rpmbuild
# checks BuildRequires against the root's own rpm database: a C package
# with `BuildRequires: gcc make` fails naming gcc and make until they are
# installed, then builds; its binary, installed back with dnf, runs there.
# `BuildRequires: not-there` fails with rpm's "Failed build dependencies".
# A second test_distro is a cache hit: the same path, in under a second.
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || skip "needs root (bwrap with CAP_SYS_CHROOT, chroot --userspec)"
for tool in dnf bwrap rpmbuild createrepo_c chroot; do
	command -v "$tool" >/dev/null || skip "$tool is not installed"
done

ms() { echo $(($(date +%s%N) / 1000000)); }

# ---- the repo, and the cache ----
t0=$(ms)
repo=$(test_distro)
t1=$(ms)
echo "# test_distro (first call, built or cached): $((t1 - t0)) ms, $(du -sm "$repo" | cut -f1) MB"
check "the repo has repodata" test -s "$repo/repodata/repomd.xml"
for n in bash coreutils gcc cpp make glibc glibc-devel libgcc binutils rpm rpm-build rpm-libs \
	redhat-rpm-config setup filesystem sed grep gawk findutils diffutils tar gzip xz patch \
	file elfutils debugedit popt zstd lua-libs; do
	if find "$repo/Packages" -name "$n-[0-9]*.rpm" | grep -q .; then
		ok "Packages/ has $n"
	else
		fail "Packages/ has $n"
	fi
done
t0=$(ms)
again=$(test_distro)
t1=$(ms)
[ "$again" = "$repo" ] && ok "second test_distro: the same path" || fail "second test_distro: the same path ($again vs $repo)"
[ $((t1 - t0)) -lt 1000 ] && ok "second test_distro is a cache hit ($((t1 - t0)) ms < 1000 ms)" ||
	fail "second test_distro is a cache hit ($((t1 - t0)) ms, expected < 1000 ms)"

# ---- the base set (the @buildsys-build idea), into a fresh root ----
R=$T/root
BASE="bash coreutils rpm-build redhat-rpm-config tar gzip xz cpio findutils sed grep gawk diffutils patch file"
# shellcheck disable=SC2086 # a list of package names
check "dnf installs the base set into a fresh root" distro_install "$R" $BASE
check "the rpm database is in the root's /var/lib/rpm" test -s "$R/var/lib/rpm/rpmdb.sqlite"
refute "no rpm database under the root's home" test -e "$R/root/.rpmdb"
check "rpm -q in the root lists rpm-build" rpm --root "$R" --dbpath /var/lib/rpm -q rpm-build
refute "rpm -q in the root: gcc is not there yet" rpm --root "$R" --dbpath /var/lib/rpm -q gcc
check "/bin is filesystem's link into /usr" test "$(readlink "$R/bin")" = usr/bin
check "files are byte-identical to Debian's" cmp "$R/usr/bin/rpmbuild" /usr/bin/rpmbuild
uid=$(distro_run "$R" id -u) || uid="(failed)"
[ "$uid" = 1000 ] && ok "commands in the root run as uid 1000" || fail "commands in the root run as uid 1000 (got $uid)"
rhel=$(distro_run "$R" rpm --eval '%{?rhel}:%{?el9}:%{?dist}:%{_dbpath}') || rhel="(failed)"
[ "$rhel" = "9:1:.el9:/var/lib/rpm" ] && ok "macros in the root: %rhel 9, %el9 1, %dist .el9, %_dbpath /var/lib/rpm" ||
	fail "macros in the root: %rhel 9, %el9 1, %dist .el9, %_dbpath /var/lib/rpm (got $rhel)"

# ---- a C package ----
B=$R/builddir/build
mkdir -p "$B/SPECS" "$B/SOURCES"
cat >"$B/SOURCES/hello.c" <<'EOF'
#include <stdio.h>
int main(void) { printf("hello from the buildroot, el%d\n", RHEL); return 0; }
EOF
cat >"$B/SOURCES/Makefile" <<'EOF'
hello: hello.c
	$(CC) $(CFLAGS) -o $@ hello.c
EOF
spec() { # spec NAME BUILDREQUIRES
	cat <<EOF
Name: $1
Version: 1.0
Release: 1%{?dist}
Summary: A C program built in the generated distribution
License: MIT
Source0: hello.c
Source1: Makefile
BuildRequires: $2
%description
Hello.
%prep
cp %{SOURCE0} %{SOURCE1} .
%build
make CC=gcc CFLAGS="-O2 -DRHEL=%{rhel}"
%install
install -D -m 755 hello %{buildroot}/usr/bin/$1
%files
/usr/bin/$1
EOF
}
spec hello "gcc make" >"$B/SPECS/hello.spec"
spec nothere "gcc not-there" >"$B/SPECS/nothere.spec"
chown -R 1000:1000 "$R/builddir"
rb() { distro_run "$R" rpmbuild -ba --define '_topdir /builddir/build' "/builddir/build/SPECS/$1.spec"; }

# rpmbuild exits 11 when build dependencies are missing.
expect_fail 11 'Failed build dependencies:' rb hello
rb hello >nogcc.out 2>&1 || true
check "without gcc: rpm names gcc" grep -Eq '^[[:space:]]+gcc is needed by hello-1.0-1.el9' nogcc.out
check "without gcc: rpm names make" grep -Eq '^[[:space:]]+make is needed by hello-1.0-1.el9' nogcc.out

check "dnf adds gcc and make to the root" distro_install "$R" gcc make
rb hello >build.out 2>&1 && ok "rpmbuild -ba of the C package inside the root" ||
	{ fail "rpmbuild -ba of the C package inside the root"; diag "$(tail -n 20 build.out)"; }
rpm_file=$B/RPMS/x86_64/hello-1.0-1.el9.x86_64.rpm
check "the binary RPM was written" test -s "$rpm_file"
check "the source RPM was written" test -s "$B/SRPMS/hello-1.0-1.el9.src.rpm"
check "the RPM is owned by the build user (uid 1000)" test "$(stat -c %u "$rpm_file")" = 1000
lacks "rpmbuild did not warn about the hostname" build.out 'canonicalize hostname'
check "the RPM requires glibc's rtld(GNU_HASH)" grep -qx 'rtld(GNU_HASH)' <(rpm -qp --requires "$rpm_file" 2>/dev/null)
check "dnf installs the built RPM back into the root" distro_install "$R" "$rpm_file"
out=$(distro_run "$R" /usr/bin/hello) || out="(failed: $?)"
[ "$out" = "hello from the buildroot, el9" ] && ok "its binary runs in the root" ||
	fail "its binary runs in the root (got: $out)"

expect_fail 11 'Failed build dependencies:' rb nothere
rb nothere >nothere.out 2>&1 || true
check "rpm names not-there" grep -Eq '^[[:space:]]+not-there is needed by nothere-1.0-1.el9' nothere.out
lacks "gcc is satisfied now" nothere.out 'gcc is needed'
refute "nothing was built for not-there" test -e "$B/RPMS/x86_64/nothere-1.0-1.el9.x86_64.rpm"

finish
