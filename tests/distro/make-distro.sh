#!/bin/bash
# make-distro.sh: a small EL-like RPM distribution made of this Debian
# machine's own installed packages, for the buildroot tests.
#
#   make-distro.sh OUTDIR   build it into OUTDIR (OUTDIR/repo: repodata/ and
#                           Packages/); prints OUTDIR/repo
#   make-distro.sh --cached build it once into the cache (below) unless it is
#                           there already; prints the cached repo's path
#
# What is in it: bash, coreutils, sed, grep, gawk, findutils, diffutils, tar,
# gzip, xz, cpio, patch, make, file, zstd, gcc (with cpp, binutils,
# glibc-devel), glibc, rpm and rpm-build, debugedit, elfutils, and every
# library their ELF files need (plan.py follows DT_NEEDED to the owning
# Debian package). One RPM per Debian package or group of them, made by
# rpmbuild from a generated spec with stripping, debuginfo and the brp
# scripts off, so the files are byte-identical to the host's. EL names
# where specs use them; the Debian name otherwise. Generated packages:
#   filesystem          /bin /sbin /lib /lib64 -> usr/…, /tmp, /var/tmp, …
#   setup               /etc/passwd (root, mockbuild 1000), group, hosts,
#                       nsswitch.conf (hosts: files), shells
#   redhat-rpm-config   %rhel 9, %el9 1, %dist .el9 (Provides system-rpm-config)
#   rpm-build           rpmbuild's run-time needs (Debian only recommends them)
# and the rpm package carries /usr/lib/rpm/macros.d/macros.dbpath setting
# %_dbpath /var/lib/rpm (Debian's rpm defaults to ~/.rpmdb).
#
# The base set a build tag would list (the @buildsys-build idea), checked
# by t0400: bash coreutils rpm-build redhat-rpm-config tar gzip xz cpio
# findutils sed grep gawk diffutils patch file; C builds add gcc make.
#
# Cache: ${QUARRY_TEST_CACHE:-$HOME/.cache/quarry-test}/distro-KEY, KEY =
# sha256 of this directory's scripts and the names and versions of the
# Debian packages used. host-HASH links (HASH: the scripts and dpkg's
# status file, which changes with every installed package) find it without
# planning, in well under a second. Built in a temporary directory and renamed into place, under a
# flock, so concurrent tests build it once. Delete the cache directory to
# rebuild.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
JOBS=$(nproc 2>/dev/null || echo 2)

die() {
	echo "make-distro: $*" >&2
	exit 1
}

# build OUTDIR: the whole distribution into OUTDIR (must not exist or be empty).
build() {
	local out=$1 work top t0 n
	t0=$(date +%s.%N)
	mkdir -p "$out"
	out=$(cd "$out" && pwd)
	work=$out/work
	top=$work/rpmbuild
	mkdir -p "$work/SPECS" "$top" "$out/repo/Packages"
	python3 "$HERE/plan.py" specs "$work" >"$work/names"
	generated_specs "$work/SPECS"
	n=$(find "$work/SPECS" -name '*.spec' | wc -l)
	echo "make-distro: $n specs; rpmbuild with $JOBS jobs" >&2
	# Byte-identical files: no stripping, no debuginfo, no brp scripts, no
	# build-id links, no buildroot or unpackaged-files check (the file
	# lists are dpkg's), no %clean; payload zstd level 3. glibc's
	# 250 gconv modules need only glibc: running rpm's dependency
	# generators on each of them was a sixth of the time.
	# shellcheck disable=SC2016 # the script is for sh -c, with its own arguments
	# Biggest first, so that the last job is a small one.
	for s in "$work"/SPECS/*.spec; do
		printf '%s %s\n' "$(du -k "${s%.spec}.files" 2>/dev/null | cut -f1)" "$s"
	done | sort -rn | cut -d' ' -f2- | tr '\n' '\0' |
		xargs -0 -P "$JOBS" -I{} sh -c '
			s=$1; top=$2; name=$(basename "$s" .spec)
			if ! rpmbuild -bb --quiet --noclean \
				--define "__check_files %{nil}" \
				--define "_topdir $top/$name" \
				--define "_rpmdir $3" \
				--define "_build_name_fmt %{NAME}-%{VERSION}-%{RELEASE}.%{ARCH}.rpm" \
				--define "debug_package %{nil}" \
				--define "__spec_install_post %{nil}" \
				--define "__os_install_post %{nil}" \
				--define "__arch_install_post %{nil}" \
				--define "_build_id_links none" \
				--define "_binary_payload w3.zstdio" \
				--define "__requires_exclude $4" \
				--define "__requires_exclude_from ^/usr/lib/x86_64-linux-gnu/gconv/" \
				--define "__provides_exclude_from ^/usr/lib/x86_64-linux-gnu/gconv/" \
				--define "_buildhost quarry-test" \
				"$s" >"$top/$name.log" 2>&1; then
				echo "make-distro: rpmbuild of $name failed:" >&2
				tail -n 20 "$top/$name.log" >&2
				exit 255
			fi
			rm -rf "$top/$name/BUILDROOT" "$top/$name/BUILD"' _ {} "$top" "$out/repo/Packages" \
		"$(python3 -c 'import sys; sys.path.insert(0, sys.argv[1]); import plan; print(plan.REQUIRES_EXCLUDE)' "$HERE")"
	createrepo_c --quiet --workers "$JOBS" --no-database "$out/repo" >&2
	rm -rf "$work"
	echo "make-distro: $(find "$out/repo/Packages" -name '*.rpm' | wc -l) RPMs," \
		"$(du -sm "$out/repo" | cut -f1) MB, in $(echo "$(date +%s.%N) - $t0" | bc | cut -c1-5) s" >&2
}

# The packages that are not made of a Debian package.
generated_specs() {
	local d=$1
	cat >"$d/filesystem.spec" <<'EOF'
Name: filesystem
Version: 3.16
Release: 2
Summary: The merged-/usr directory layout
License: Public Domain
BuildArch: noarch
Requires(pre): setup
%description
The top directories, with /bin, /sbin, /lib and /lib64 as links into /usr.
%install
cd %{buildroot}
mkdir -p usr/bin usr/sbin usr/lib usr/lib64 usr/libexec usr/include usr/share \
	usr/lib/x86_64-linux-gnu usr/local/bin etc tmp var/tmp var/lib/rpm root home \
	dev proc sys run builddir
ln -s usr/bin bin
ln -s usr/sbin sbin
ln -s usr/lib lib
ln -s usr/lib64 lib64
%files
/bin
/sbin
/lib
/lib64
%dir /usr
%dir /usr/bin
%dir /usr/sbin
%dir /usr/lib
%dir /usr/lib64
%dir /usr/libexec
%dir /usr/include
%dir /usr/share
%dir /usr/lib/x86_64-linux-gnu
%dir /usr/local
%dir /usr/local/bin
%dir /etc
%attr(1777,root,root) %dir /tmp
%dir /var
%attr(1777,root,root) %dir /var/tmp
%dir /var/lib
%dir /var/lib/rpm
%attr(0550,root,root) %dir /root
%dir /home
%dir /dev
%dir /proc
%dir /sys
%dir /run
%attr(0755,mockbuild,mock) %dir /builddir
EOF
	cat >"$d/setup.spec" <<'EOF'
Name: setup
Version: 2.13.7
Release: 1
Summary: Users, groups, hosts and shells
License: Public Domain
BuildArch: noarch
Provides: /etc/passwd /etc/group
%description
root and the build user mockbuild (uid and gid 1000), hosts: files.
%install
mkdir -p %{buildroot}/etc
cd %{buildroot}/etc
printf '%s\n' 'root:x:0:0:root:/root:/bin/bash' \
	'mockbuild:x:1000:1000:Build user:/builddir:/bin/bash' \
	'nobody:x:65534:65534:Kernel Overflow User:/:/sbin/nologin' >passwd
printf '%s\n' 'root:x:0:' 'mock:x:1000:' 'mockbuild:x:1001:' 'nobody:x:65534:' >group
printf '%s\n' '127.0.0.1 localhost localhost.localdomain' '::1 localhost localhost.localdomain' >hosts
printf '%s\n' 'passwd: files' 'group: files' 'shadow: files' 'hosts: files' >nsswitch.conf
printf '%s\n' /bin/sh /bin/bash /usr/bin/sh /usr/bin/bash >shells
%files
%config(noreplace) /etc/passwd
%config(noreplace) /etc/group
%config(noreplace) /etc/hosts
%config(noreplace) /etc/nsswitch.conf
%config(noreplace) /etc/shells
EOF
	cat >"$d/redhat-rpm-config.spec" <<'EOF'
Name: redhat-rpm-config
Version: 208
Release: 1
Summary: EL 9 distribution macros for the test distribution
License: Public Domain
BuildArch: noarch
Provides: system-rpm-config
Requires: rpm
%description
%rhel 9, %el9 1 and %dist .el9, as an EL 9 build root defines them. No
hardening flags: the compiler is Debian's.
%install
mkdir -p %{buildroot}/usr/lib/rpm/macros.d
printf '%s\n' '%%rhel 9' '%%el9 1' '%%dist .el9' >%{buildroot}/usr/lib/rpm/macros.d/macros.dist
%files
/usr/lib/rpm/macros.d/macros.dist
EOF
	cat >"$d/rpm-build.spec" <<'EOF'
Name: rpm-build
Version: 4.18.0
Release: 1
Summary: What rpmbuild runs, for the test distribution (rpmbuild is in rpm)
License: Public Domain
Requires: rpm rpm-build-libs system-rpm-config bash coreutils sed grep gawk
Requires: findutils diffutils tar gzip xz cpio patch file zstd binutils
Requires: elfutils debugedit
%description
rpmbuild itself is in the rpm package (Debian ships it there); this
package pulls in the tools its scripts and brp helpers run.
%files
EOF
	# rpm's database lives in the root, not in the user's home.
	sed -i 's|^%install$|%install\nmkdir -p %{buildroot}/usr/lib/rpm/macros.d\necho "%%_dbpath /var/lib/rpm" >%{buildroot}/usr/lib/rpm/macros.d/macros.dbpath|' "$d/rpm.spec"
	sed -i 's|^%files$|%files\n/usr/lib/rpm/macros.d/macros.dbpath|' "$d/rpm.spec"
}

# key: the scripts and the Debian packages used.
cached() {
	local cache host hkey key tmp repo
	cache=${QUARRY_TEST_CACHE:-$HOME/.cache/quarry-test}
	mkdir -p "$cache"
	hkey=$( {
		cat "$HERE/make-distro.sh" "$HERE/plan.py"
		cat /var/lib/dpkg/status
	} | sha256sum | cut -c1-16)
	host=$cache/host-$hkey
	if [ -f "$host/repo/repodata/repomd.xml" ]; then
		touch "$host/"
		readlink -f "$host/repo"
		return 0
	fi
	exec 9>"$cache/.lock"
	flock 9
	if [ -f "$host/repo/repodata/repomd.xml" ]; then
		readlink -f "$host/repo"
		return 0
	fi
	key=$( {
		cat "$HERE/make-distro.sh" "$HERE/plan.py"
		python3 "$HERE/plan.py" debs
	} | sha256sum | cut -c1-16)
	repo=$cache/distro-$key
	if [ ! -f "$repo/repo/repodata/repomd.xml" ]; then
		# A build killed half-way left its directory (we hold the lock).
		rm -rf "$cache"/.build.*
		tmp=$(mktemp -d "$cache/.build.XXXXXX")
		chmod 755 "$tmp"
		if ! build "$tmp" >&2; then
			rm -rf "$tmp"
			die "building the distribution failed"
		fi
		rm -rf "$repo"
		mv -T "$tmp" "$repo"
		# Other versions (other checkouts may use them) go after two idle days.
		find "$cache" -maxdepth 1 -name 'distro-*' -mtime +2 -exec rm -rf {} +
		find "$cache" -maxdepth 1 -name 'host-*' -xtype l -delete
	fi
	rm -f "$host"
	ln -s "distro-$key" "$host"
	readlink -f "$host/repo"
}

case ${1:-} in
--cached) cached ;;
"" | -*) die "usage: make-distro.sh OUTDIR | make-distro.sh --cached" ;;
*)
	build "$1"
	echo "$(cd "$1" && pwd)/repo"
	;;
esac
