#!/bin/bash
# t0300-build-secrets: a build can never read the host's secrets. Two canary
# files readable only by root (mode 0600, random content, one under /etc,
# one under /var/lib, outside the data directory) and specs that try every
# way to reach them: _sourcedir and _topdir redefined onto their directory,
# an absolute Source path, %(cat …) and %include at import (rpmspec on the
# hub), cat and sha256sum in %prep, %build and %install into the buildroot,
# symlinks to them made at build time and packaged (also as %doc). The
# canary's content and its SHA-256 must appear nowhere: not in the answers
# of `quarry build`, the API (build, checks), the build logs, the stored
# SRPMs and RPMs (headers and unpacked payloads), the hub's log, nor
# anywhere in the data directory. Then the sandbox itself: `quarry sandbox`
# cannot read /etc/shadow or the canaries, runs as the build user without
# capabilities, sees no /var, /root, /home nor the host's /etc, and cannot
# write outside its work directory.
. "$(dirname "$0")/lib.sh"

CANARY=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
CANARY_SHA=$(printf '%s' "$CANARY" | sha256sum | cut -d' ' -f1)
CNAME=quarry-canary-$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')
ETC_CANARY=/etc/$CNAME
VAR_CANARY=/var/lib/$CNAME

test_cleanup() {
	rm -f "$ETC_CANARY" "$VAR_CANARY"
}

if [ "$(id -u)" != 0 ]; then
	echo "ok 1 - # skipped: needs root to make a root-only canary under /etc"
	echo "1..1"
	exit 0
fi
for f in "$ETC_CANARY" "$VAR_CANARY"; do
	(umask 077 && printf '%s' "$CANARY" >"$f")
	chmod 0600 "$f"
done
[ "$(stat -c %a:%U "$ETC_CANARY")" = 600:root ] && [ "$(cat "$VAR_CANARY")" = "$CANARY" ] &&
	ok "canaries $ETC_CANARY and $VAR_CANARY (0600 root)" || fail "canaries made"

start_hub

q sig create mc --short-name mc --title "Messaging and Communication" --purpose "Chat" >/dev/null
q project create mc/el9 --major 9 --variant 1 --arch x86_64 >/dev/null

# hostile_pkg DIR NAME HEADER BODY: a git repository in the rpms layout whose
# spec has HEADER lines after the usual tags and BODY as its sections.
hostile_pkg() {
	local dir=$1 name=$2 header=$3 body=$4
	mkdir -p "$dir/SPECS" "$dir/SOURCES"
	qgit "$dir" init -q
	qgit "$dir" checkout -q -b r9-sig-mc-1
	cat >"$dir/SPECS/$name.spec" <<EOF
$header
Name: $name
Version: 1.0
Release: 1%{?dist}
Summary: A spec that reaches for the host's secrets
License: MIT
BuildArch: noarch
%global debug_package %{nil}
%define __os_install_post %{nil}
%define _build_id_links none

%description
Tries to read a root-only file of the host.

$body
EOF
	echo "readme of $name" >"$dir/SOURCES/$name-README"
	: >"$dir/.$name.metadata"
	qgit "$dir" add -A
	qgit "$dir" commit -q -m "$name"
}

# The usual sections when a spec only plays with its header.
plain_body="%prep

%build

%install
mkdir -p %{buildroot}/usr/share/leak
cp %{SOURCE0} %{buildroot}/usr/share/leak/ 2>/dev/null || true
echo plain >%{buildroot}/usr/share/leak/plain

%files
/usr/share/leak"

# Every way at once from the build's sections.
sections_body="%prep
cat $ETC_CANARY || true
cat $VAR_CANARY || true
sha256sum $ETC_CANARY || true
head -c 1000 /etc/shadow || true

%build
cat $ETC_CANARY >leak-build.txt 2>&1 || true
ln -s $ETC_CANARY leak-doc
ls -la /etc /var /root /home /run 2>&1 || true
id

%install
mkdir -p %{buildroot}/usr/share/leak
cat $ETC_CANARY >%{buildroot}/usr/share/leak/etc 2>&1 || true
cat $VAR_CANARY >%{buildroot}/usr/share/leak/var 2>&1 || true
sha256sum $ETC_CANARY $VAR_CANARY >%{buildroot}/usr/share/leak/sums 2>&1 || true
cp leak-build.txt %{buildroot}/usr/share/leak/ || true
cp -L $ETC_CANARY %{buildroot}/usr/share/leak/copy 2>&1 || true
ln -s $ETC_CANARY %{buildroot}/usr/share/leak/link-etc
ln -s $VAR_CANARY %{buildroot}/usr/share/leak/link-var
ln $ETC_CANARY %{buildroot}/usr/share/leak/hardlink 2>&1 || true
echo done >%{buildroot}/usr/share/leak/done

%files
%doc leak-doc
/usr/share/leak"

hostile_pkg "$T/p-sourcedir" leak-sourcedir "%define _sourcedir /etc
Source0: $CNAME" "$plain_body"
hostile_pkg "$T/p-topdir" leak-topdir "%define _topdir /var/lib
%define _sourcedir %{_topdir}
Source0: $CNAME" "$plain_body"
hostile_pkg "$T/p-abs" leak-abs "Source0: $ETC_CANARY" "$plain_body"
hostile_pkg "$T/p-shell" leak-shell "%global leak %(cat $ETC_CANARY 2>/dev/null | head -c 48)
%global leaksum %(sha256sum $ETC_CANARY 2>/dev/null | head -c 64)
Source0: leak-shell-README
Provides: leak-x%{leak}
Provides: leaksum-x%{leaksum}
URL: https://example.invalid/x%{leak}" "$plain_body"
hostile_pkg "$T/p-release" leak-release "%global r %(cat $ETC_CANARY 2>/dev/null | head -c 20)" "$plain_body"
sed -i 's/^Release: 1%{?dist}$/Release: 1x%{r}%{?dist}/' "$T/p-release/SPECS/leak-release.spec"
qgit "$T/p-release" commit -q -am "release from the canary"
hostile_pkg "$T/p-include" leak-include "%include $ETC_CANARY
Source0: leak-include-README" "$plain_body"
hostile_pkg "$T/p-sections" leak-sections "Source0: leak-sections-README" "$sections_body"

# ---- build each; collect everything a client or the hub keeps ----
mkdir -p out
ids=
for p in sourcedir topdir abs shell release include sections; do
	q build mc/el9 "$T/p-$p#r9-sig-mc-1" --wait >"out/build-$p.txt" 2>&1 && rc=0 || rc=$?
	id=$(sed -n 's/^build \([0-9]*\) .*/\1/p' "out/build-$p.txt" | head -n 1)
	echo "# $p: exit $rc, build ${id:-none}: $(tail -n 1 "out/build-$p.txt")"
	[ -n "$id" ] || continue
	ids="$ids $id"
	q build show "$id" --json >"out/show-$id.json" 2>&1 || true
	q build log "$id" >"out/log-$id.txt" 2>&1 || true
	api GET "builds/$id" >/dev/null && cp "$T/body" "out/api-build-$id.json"
	for name in $(jget '" ".join(a["name"] for a in d.get("artifacts", []))' "out/show-$id.json"); do
		code=$(req GET "$QUARRY_HUB/api/v1/builds/$id/artifacts/$name")
		[ "$code" = 200 ] || continue
		cp "$T/body" "out/$name"
		rpm -qp --qf '[%{FILENAMES} %{FILELINKTOS}\n]' "out/$name" >"out/$name.files" 2>&1 || true
		rpm -qpi "out/$name" >"out/$name.info" 2>&1 || true
		rpm -qp --provides "out/$name" >>"out/$name.info" 2>&1 || true
		mkdir -p "out/$name.d"
		(cd "out/$name.d" && rpm2cpio "../$name" | cpio -idm --quiet 2>/dev/null) || true
		rpm2cpio "out/$name" >"out/$name.cpio" 2>/dev/null || true
	done
done

# The build from the sections must have been built (its reads failed quietly).
sid=$(sed -n 's/^build \([0-9]*\) .*/\1/p' out/build-sections.txt | head -n 1)
[ "$(jget 'd["state"]' "out/show-$sid.json" 2>/dev/null)" = complete ] &&
	ok "the spec reading the canaries in its sections builds (its reads fail)" ||
	{ fail "the spec reading the canaries in its sections builds"; diag "$(tail -n 5 out/build-sections.txt)"; }
[ -f "out/leak-sections-1.0-1.el9.mc.noarch.rpm.d/usr/share/leak/done" ] &&
	ok "  … and its RPM was downloaded and unpacked" || fail "  … and its RPM was downloaded and unpacked"
grep -q "leak/link-etc $ETC_CANARY" out/leak-sections-1.0-1.el9.mc.noarch.rpm.files 2>/dev/null &&
	ok "  … with the symlink to the canary packaged as a symlink" ||
	{ fail "  … with the symlink to the canary packaged as a symlink"; diag "$(cat out/*.files 2>/dev/null)"; }
grep -q "uid=$((70000)).*quarry-build" "out/log-$sid.txt" &&
	ok "  … and its log shows it ran as the build user" || { fail "  … ran as the build user"; diag "$(grep -a uid= "out/log-$sid.txt")"; }
grep -q "cat: $ETC_CANARY: No such file or directory" "out/log-$sid.txt" &&
	ok "  … which does not even see the canary" || { fail "  … which does not see the canary"; diag "$(grep -a "$CNAME" "out/log-$sid.txt" | head -n 5)"; }

# Checks run on the completed builds; wait for them, keep their answers.
for id in $ids; do
	for _ in $(seq 120); do
		api GET "builds/$id/checks" >/dev/null || true
		[ "$(jget 'all(c["state"] not in ("queued", "running") for c in d.get("checks", []))' "$T/body" 2>/dev/null)" = True ] && break
		sleep 0.5
	done
	cp "$T/body" "out/checks-$id.json"
done

# ---- the canary is nowhere ----
leaks=$(grep -rlaF -e "$CANARY" -e "$CANARY_SHA" out "$DATA" "$T/hub.log" 2>/dev/null || true)
[ -z "$leaks" ] && ok "the canary's content and hash are in no answer, log, SRPM, RPM or file of the hub" ||
	{ fail "the canary's content and hash are in no answer, log, SRPM, RPM or file of the hub"; diag "$leaks"; }
n=$(ls out/*.rpm 2>/dev/null | wc -l)
[ "$n" -ge 2 ] && ok "$n SRPMs and RPMs looked into" || fail "SRPMs and RPMs looked into ($n)"

# ---- the sandbox by hand ----
mkdir -p sb
expect_fail 1 "No such file|Permission denied" q sandbox --workdir sb -- sh -c 'head -c1 /etc/shadow'
expect_fail 1 "No such file|Permission denied" q sandbox --workdir sb -- cat "$ETC_CANARY"
expect_fail 1 "No such file|Permission denied" q sandbox --workdir sb -- cat "$VAR_CANARY"
out=$(q sandbox --workdir sb -- sh -c 'id -u; id -g; id -G; grep -E "^(CapEff|CapPrm|CapBnd|CapAmb|NoNewPrivs)" /proc/self/status' 2>&1) || true
[ "$(printf '%s\n' "$out" | head -n 3 | tr '\n' ' ')" = "70000 70000 70000 " ] && ok "sandbox: uid, gid and groups are the build user's (70000)" ||
	{ fail "sandbox: uid, gid and groups are the build user's"; diag "$out"; }
[ "$(printf '%s\n' "$out" | grep -Ec '^Cap(Eff|Prm|Bnd|Amb):[[:space:]]+0+$')" = 4 ] &&
	printf '%s\n' "$out" | grep -Eq '^NoNewPrivs:[[:space:]]+1$' &&
	ok "sandbox: no capability (bounding set included), no_new_privs" || { fail "sandbox: no capability, no_new_privs"; diag "$out"; }
out=$(q sandbox --workdir sb -- sh -c 'for p in /var/lib /var/log /var/cache /var/spool /root /home /run /etc/ssh /etc/ssl /etc/pki /etc/shadow /etc/sudoers '"$DATA"' /etc/'"$CNAME"'; do [ -e "$p" ] && echo "visible: $p"; done; ls -A /var | grep -vx tmp | sed "s/^/visible: \/var\//"; ls /etc' 2>&1) || true
! grep -q "^visible:" <<<"$out" && ok "sandbox: no /var (but a fresh /var/tmp), /root, /home, /run, ssh or TLS keys, shadow, data directory" ||
	{ fail "sandbox: no /var (but a fresh /var/tmp), /root, /home, /run, ssh or TLS keys, shadow, data directory"; diag "$out"; }
grep -qx passwd <<<"$out" && ! grep -qx fstab <<<"$out" && ! grep -qx gshadow <<<"$out" &&
	ok "sandbox: /etc is a synthesized one, not the host's" || { fail "sandbox: /etc is a synthesized one"; diag "$out"; }
q sandbox --workdir sb -- sh -c 'grep -c . /etc/passwd; grep -q "^quarry-build:x:70000:70000:" /etc/passwd' >pw.txt 2>&1 &&
	[ "$(head -n 1 pw.txt)" -le 4 ] && ok "sandbox: /etc/passwd has root and the build user" || { fail "sandbox: /etc/passwd"; diag "$(cat pw.txt)"; }
expect_fail 1 "Read-only|Permission denied" q sandbox --workdir sb -- sh -c 'touch /usr/leak || touch /etc/leak || touch /leak; exit 1'
check "sandbox: the workdir is writable by the build user" q sandbox --workdir sb -- sh -c 'echo x >sb-file && mkdir -p d && echo y >/tmp/t && echo z >/var/tmp/t'
[ "$(stat -c %u sb/sb-file)" = 70000 ] && ok "sandbox: what the step writes belongs to the build user" || fail "sandbox: what the step writes belongs to the build user"
check "sandbox: rpmbuild, gcc and python3 run" q sandbox --workdir sb -- sh -c 'rpmbuild --version && cc --version && python3 -c "import dnf"'

finish
