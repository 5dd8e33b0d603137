#!/bin/bash
# t0531-checks-buildtag-repos: with the default configuration (no
# check.base_repos), the closure, installable and conflicts checks read
# the external repos of the project's build tag, so that a compiled
# package built in that buildroot passes: its libc.so.6()(64bit) is
# provided by the distribution. The generated EL-like distribution
# (tests/distro) is the build tag's repo:
#  (a) file:// as the worker reads it: closure and installable pass, and
#      `quarry check` names the repo "distro" with its URL;
#  (b) the same distribution over http:// (a local web server, the tag's
#      URL with $releasever/$basearch): the hub fetches its metadata and,
#      for installable, the package files dnf needs; both pass again;
#  (c) a build tag without external repos: closure fails naming
#      libc.so.6()(64bit) (what happens without the distribution).
. "$(dirname "$0")/lib.sh"

for tool in dnf rpmbuild createrepo_c bwrap; do
	command -v "$tool" >/dev/null || skip "$tool is not installed"
done
if [ -n "${QUARRY_TEST_DISTRO:-}" ]; then
	DISTRO=$QUARRY_TEST_DISTRO
else
	DISTRO=$(test_distro) || skip "the test distribution could not be made"
fi
[ -f "$DISTRO/repodata/repomd.xml" ] || skip "the test distribution '$DISTRO' has no repodata"

start_hub "[build]
embedded_worker = true
worker_backend = installroot
worker_slots = 1
lease = 120s"
lacks "the configuration sets no check.base_repos" hub.ini base_repos

q sig create mc --short-name mc --title "Messaging" --purpose "tests" >/dev/null
q project create mc/el9 --major 9 --variant 1 --arch x86_64 >/dev/null
q repo create mc/el9/cand --arch x86_64 --channel candidate >/dev/null
q publish mc/el9/cand >/dev/null

BASE='"bash","coreutils","rpm-build","redhat-rpm-config","tar","gzip","xz","cpio","findutils","sed","grep","gawk","diffutils","patch","file"'
set_tag() { # set_tag REPOS-JSON
	api PUT sigs/mc/projects/el9/buildroot -H 'Content-Type: application/json' -d "{\"tags\":[{\"arch\":\"*\",\"releasever\":\"9\",\"repos\":[$1],\"packages\":[$BASE]}]}"
}
check "the build tag reads the distribution (file://)" test "$(set_tag "{\"name\":\"distro\",\"url\":\"file://$DISTRO/\"},{\"name\":\"cand\",\"repo\":\"cand\"}")" = 200

dir=$T/ghello
mkdir -p "$dir/SPECS" "$dir/SOURCES"
qgit "$dir" init -q
qgit "$dir" checkout -q -b r9-sig-mc-1
printf '#include <stdio.h>\nint main(void) { puts("hello"); return 0; }\n' >"$dir/SOURCES/hello.c"
cat >"$dir/SPECS/hello-c.spec" <<'EOF'
Name: hello-c
Version: 1.0
Release: 1%{?dist}
Summary: a C program
License: MIT
Source0: hello.c
BuildRequires: gcc
%global debug_package %{nil}
%define __os_install_post %{nil}
%define _build_id_links none

%description
A compiled program: it requires libc.so.6()(64bit).

%prep
cp %{SOURCE0} .

%build
gcc -O2 -o hello-c hello.c

%install
install -D -m 755 hello-c %{buildroot}/usr/bin/hello-c

%files
/usr/bin/hello-c

%changelog
* Thu Dec 03 2026 Quarry Test <test@quarry.invalid> - 1.0-1
- first
EOF
: >"$dir/.hello-c.metadata"
qgit "$dir" add -A
qgit "$dir" commit -q -m hello-c
B=$(q build mc/el9 "$dir#r9-sig-mc-1" --json | jget 'd["id"]' /dev/stdin)
STATE=$(wait_build "$B" 600)
check "(a) the C package builds in the tagged buildroot" test "$STATE" = complete
[ "$STATE" = complete ] || diag "$(q build log "$B" | tail -n 30)"

state() { # state CHECK (after the checks ended)
	api GET "builds/$B/checks" >/dev/null
	jget "[c['state'] for c in d['checks'] if c['name'] == '$1'][0]"
}
summary() { jget "[c['summary'] for c in d['checks'] if c['name'] == '$1'][0]"; }
SHA=$(q build show "$B" --json | jget '[a["sha256"] for a in d["artifacts"] if a["arch"] == "x86_64"][0]' /dev/stdin)
RPM=$DATA/packages/sha256/${SHA:0:2}/$SHA.rpm
check "(a) the package requires libc.so.6()(64bit)" grep -q 'libc.so.6()(64bit)' <(rpm -qpR "$RPM")

q check "$B" --wait >a.out 2>&1 || true
check "(a) closure passes with the build tag's distribution" test "$(state closure)" = pass
[ "$(state closure)" = pass ] || diag "$(summary closure)"
check "(a) installable passes" test "$(state installable)" = pass
[ "$(state installable)" = pass ] || diag "$(summary installable)" "$(q check "$B" --output installable | tail -n 15)"
check "(a) conflicts passes" test "$(state conflicts)" = pass
check "(a) quarry check names the repo each check used (distro, its URL)" \
	grep -Eq "^  closure +distro file://$DISTRO/\$|^ +distro file://$DISTRO/\$" a.out
[ -s a.out ] && grep -q "distro file://$DISTRO/" a.out || diag "$(cat a.out)"

# (b) the same distribution over http, $releasever and $basearch in the URL.
mkdir -p "$T/www/9"
ln -s "$DISTRO" "$T/www/9/x86_64"
WPORT=$(free_port)
python3 -m http.server --bind 127.0.0.1 --directory "$T/www" "$WPORT" >http.log 2>&1 &
at_cleanup kill "$!"
for _ in $(seq 50); do
	curl -fsS "http://127.0.0.1:$WPORT/9/x86_64/repodata/repomd.xml" >/dev/null 2>&1 && break
	sleep 0.1
done
check "(b) the build tag reads the distribution over http" \
	test "$(set_tag "{\"name\":\"distro\",\"url\":\"http://127.0.0.1:$WPORT/\$releasever/\$basearch/\"}")" = 200
q check "$B" --wait >b.out 2>&1 || true
check "(b) closure passes with the http repo" test "$(state closure)" = pass
[ "$(state closure)" = pass ] || diag "$(summary closure)"
check "(b) installable passes with the http repo" test "$(state installable)" = pass
[ "$(state installable)" = pass ] || diag "$(summary installable)" "$(q check "$B" --output installable | tail -n 15)"
check "(b) quarry check names it by its URL" grep -q "distro http://127.0.0.1:$WPORT/9/x86_64/" b.out
check "(b) installable fetched glibc from it" grep -Eq "fetched Packages/.*glibc-[0-9].*\.rpm from http://127.0.0.1:$WPORT/9/x86_64/" <(q check "$B" --output installable)
check "(b) the web server served glibc" grep -q "GET /9/x86_64/Packages/.*glibc-[0-9]" http.log

# (c) no external repo at all: the distribution is missing.
check "(c) a build tag of the project's repo only" test "$(set_tag "{\"name\":\"cand\",\"repo\":\"cand\"}")" = 200
q check "$B" --wait >/dev/null 2>&1 || true
check "(c) closure fails without the distribution" test "$(state closure)" = fail
check "(c) … naming libc.so.6()(64bit) ($(summary closure))" grep -q 'libc.so.6()(64bit), which nothing provides' <<<"$(summary closure)"
finish
