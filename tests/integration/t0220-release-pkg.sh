#!/bin/bash
# t0220-release-pkg: the SIG release package sig-SIG-release.
# Creating repos common and extras in project mc/el9 puts
# sig-mc-release-9-2.el9.mc.noarch.rpm (one per repo created) into common,
# signed with the SIG's key (rpmkeys --checksig). dnf installs it through the
# metalink of common (gpgcheck, repo_gpgcheck); the installed
# /etc/yum.repos.d/sig-mc.repo has a section per repo with its metalink URL,
# and a second dnf run that knows only that installed repo file installs a
# package from extras, with gpgcheck and repo_gpgcheck. A third repo (a
# testing one) rebuilds the package: release 3, the repo file gains a
# disabled section, release 2 is gone from common's metadata. A key rotation
# rebuilds it with both public keys. The explicit rebuild (POST
# …/release-package, `quarry release-package`) is for leads, releng and
# admins; a project without the release_pkg.repo repo gets nothing (404).
# With the signer stopped the explicit rebuild fails naming it and changes
# nothing, and creating a repo still works (the failed rebuild is logged).
. "$(dirname "$0")/lib.sh"

# A separate `quarry signer`, so that the test can have a package for extras
# signed with the SIG's key (quarry signer-client sign-rpm): uploads are not
# signed, and gpgcheck=1 wants a signed package.
KEYS=$T/signer-keys
SOCK=$T/signer.sock
SIGNER_PID=
install -d -m 700 "$KEYS"
"$QUARRY_BIN" signer --keys "$KEYS" --socket "$SOCK" >>signer.log 2>&1 &
SIGNER_PID=$!
test_cleanup() {
	if [ -n "$SIGNER_PID" ]; then
		kill "$SIGNER_PID" 2>/dev/null
		wait "$SIGNER_PID" 2>/dev/null
	fi
	gpgconf --homedir "$KEYS" --kill all >/dev/null 2>&1
}
for _ in $(seq 100); do
	[ -S "$SOCK" ] && break
	sleep 0.05
done

start_hub "[build]
embedded_worker = false
[signing]
socket = $SOCK"
q sig create mc --short-name mc --title "Messaging and Communication" --purpose "tests" >/dev/null
q project create mc/el9 --major 9 --variant 1 --arch x86_64 >/dev/null
q repo create mc/el9/common --arch x86_64 >/dev/null
q repo create mc/el9/extras --arch x86_64 >/dev/null
curl -fsS -o key.asc "$QUARRY_HUB/api/v1/sigs/mc/key"
COMMON=$DATA/pub/sig/9/mc/x86_64/common

# nevras SIG/PROJECT/REPO: the repo's NEVRAs, one a line.
nevras() {
	q repo show "$1" --json | python3 -c 'import json, sys
for p in json.load(sys.stdin).get("packages", []): print(p["nevra"])'
}
# primary_names REPODIR: the NEVRAs primary.xml lists.
primary_names() {
	python3 - "$1" <<'PY'
import gzip, os, sys, xml.etree.ElementTree as ET
ns = {"r": "http://linux.duke.edu/metadata/repo", "c": "http://linux.duke.edu/metadata/common"}
d = sys.argv[1]
md = ET.parse(os.path.join(d, "repodata/repomd.xml")).getroot()
href = [x.find("r:location", ns).get("href") for x in md.findall("r:data", ns) if x.get("type") == "primary"][0]
for p in ET.fromstring(gzip.open(os.path.join(d, href)).read()).findall("c:package", ns):
    v = p.find("c:version", ns)
    print("%s-%s-%s.%s" % (p.find("c:name", ns).text, v.get("ver"), v.get("rel"), p.find("c:arch", ns).text))
PY
}

check "common holds sig-mc-release-9-2.el9.mc (one build per repo created)" \
	test "$(nevras mc/el9/common)" = "sig-mc-release-9-2.el9.mc.noarch"
check "extras holds nothing" test -z "$(nevras mc/el9/extras)"
RPM=$COMMON/Packages/sig-mc-release-9-2.el9.mc.noarch.rpm
check "it is published in common" test -f "$RPM"
check "common's metadata lists only it" test "$(primary_names "$COMMON")" = "sig-mc-release-9-2.el9.mc.noarch"
mkdir -p rpmdb
rpmkeys --root "$T/rpmdb" --import key.asc
rpmkeys --root "$T/rpmdb" --checksig "$RPM" >sig.txt 2>&1 || true
check "it is signed with the SIG's key (rpmkeys --checksig)" grep -q "signatures OK" sig.txt
rpm -qp --qf '%{NAME} %{VERSION} %{RELEASE} %{ARCH}\n' "$RPM" >qf.txt 2>/dev/null
check "name, version (the major), release, noarch" test "$(cat qf.txt)" = "sig-mc-release 9 2.el9.mc noarch"
rpm -qp --configfiles "$RPM" >conf.txt 2>/dev/null
check "the .repo file is a config file" grep -qx /etc/yum.repos.d/sig-mc.repo conf.txt
rpm -qpl "$RPM" >files.txt 2>/dev/null
check "it holds the key" grep -qx /etc/pki/rpm-gpg/RPM-GPG-KEY-quarry-mc files.txt

# A package in extras for the second dnf run, signed with the SIG's key.
FPR=$(q sig show mc --json | jget 'd["key_fingerprint"]' /dev/stdin)
"$QUARRY_BIN" signer-client --socket "$SOCK" sign-rpm "$FPR" \
	"$(make_rpm mcextra 1.0 1.el9.mc noarch)" "$T/mcextra-1.0-1.el9.mc.noarch.rpm"
q policy set mc/el9 --uploads-release true >/dev/null
q upload mc/el9/extras "$T/mcextra-1.0-1.el9.mc.noarch.rpm" --override "test package" >/dev/null 2>&1

cat >ml.repo <<REPO
[sig-mc-common-9]
name=mc common (metalink)
metalink=$QUARRY_HUB/metalink?repo=sig-mc-common-9&arch=\$basearch
gpgcheck=1
repo_gpgcheck=1
gpgkey=file://$T/key.asc
REPO
if dnf_install ml.repo sig-mc-release >dnf1.log 2>&1; then
	ok "dnf installs sig-mc-release through the metalink (gpgcheck, repo_gpgcheck)"
else
	fail "dnf installs sig-mc-release through the metalink"
	diag "$(tail -n 20 dnf1.log)"
fi
ROOT=$DNF_ROOT
REPOFILE=$ROOT/etc/yum.repos.d/sig-mc.repo
check "the installroot has the repo file" test -f "$REPOFILE"
check "the installroot has the key" test -f "$ROOT/etc/pki/rpm-gpg/RPM-GPG-KEY-quarry-mc"
check "the repo file has sections sig-mc-common and sig-mc-extras with their metalinks" \
	python3 - "$REPOFILE" "$QUARRY_HUB" <<'PY'
import configparser, sys
c = configparser.RawConfigParser()
c.read(sys.argv[1])
hub = sys.argv[2]
assert c.sections() == ["sig-mc-common", "sig-mc-extras"], c.sections()
for r in ("common", "extras"):
    s = c["sig-mc-" + r]
    assert s["metalink"] == "%s/metalink?repo=sig-mc-%s-$releasever&arch=$basearch" % (hub, r), s["metalink"]
    assert s["name"] == "SIG Messaging and Communication - %s ($basearch)" % r, s["name"]
    for k, v in (("enabled", "1"), ("gpgcheck", "1"), ("repo_gpgcheck", "1"),
                 ("gpgkey", "file:///etc/pki/rpm-gpg/RPM-GPG-KEY-quarry-mc")):
        assert s[k] == v, (r, k, s[k])
PY

# The second run knows only the installed repo file (an empty main config:
# --config /dev/null is refused without a repo file given by -c).
# Workaround, for the test only: dnf 4 with --installroot reads gpgkey
# file:// URLs from the host's /, not the installroot's (libdnf downloads
# them with librepo; only the config, reposdir and varsdir are looked up in
# the installroot), so the installed key is named by its installroot path.
# On a real system (no --installroot) the repo file is used as it is.
printf '[main]\n' >dnf.conf
KEYURL=file://$ROOT/etc/pki/rpm-gpg/RPM-GPG-KEY-quarry-mc
if dnf -y --installroot "$ROOT" --releasever 9 -c "$T/dnf.conf" \
	--setopt=reposdir="$ROOT/etc/yum.repos.d" --setopt=cachedir="$ROOT.cache2" \
	--setopt=sig-mc-common.gpgkey="$KEYURL" --setopt=sig-mc-extras.gpgkey="$KEYURL" \
	install mcextra >dnf2.log 2>&1; then
	ok "dnf installs mcextra from extras with only the installed repo file"
else
	fail "dnf installs mcextra from extras with only the installed repo file"
	diag "$(tail -n 20 dnf2.log)"
fi
check "mcextra is installed" test -f "$ROOT/usr/share/mcextra/mcextra.noarch.txt"

# A third repo (testing) rebuilds it.
q repo create mc/el9/extras-testing --channel testing --arch x86_64 >/dev/null
check "a new repo rebuilds it: release 3 replaces release 2 in common" \
	test "$(nevras mc/el9/common)" = "sig-mc-release-9-3.el9.mc.noarch"
check "common's metadata lists release 3 only" \
	test "$(primary_names "$COMMON")" = "sig-mc-release-9-3.el9.mc.noarch"
RPM3=$COMMON/Packages/sig-mc-release-9-3.el9.mc.noarch.rpm
mkdir -p x3 && (cd x3 && rpm2cpio "$RPM3" | cpio -idm --quiet)
check "the new repo file has the testing repo, disabled" python3 - x3/etc/yum.repos.d/sig-mc.repo <<'PY'
import configparser, sys
c = configparser.RawConfigParser()
c.read(sys.argv[1])
assert c.sections() == ["sig-mc-common", "sig-mc-extras", "sig-mc-extras-testing"], c.sections()
assert c["sig-mc-extras-testing"]["enabled"] == "0"
assert c["sig-mc-common"]["enabled"] == "1"
PY

# A key rotation rebuilds it with both keys.
q sig key-rotate mc >/dev/null
check "a key rotation rebuilds it (release 4)" \
	test "$(nevras mc/el9/common)" = "sig-mc-release-9-4.el9.mc.noarch"
RPM4=$COMMON/Packages/sig-mc-release-9-4.el9.mc.noarch.rpm
mkdir -p x4 && (cd x4 && rpm2cpio "$RPM4" | cpio -idm --quiet)
check "its key file holds both keys" \
	test "$(grep -c 'BEGIN PGP PUBLIC KEY BLOCK' x4/etc/pki/rpm-gpg/RPM-GPG-KEY-quarry-mc)" = 2
curl -fsS -o key2.asc "$QUARRY_HUB/api/v1/sigs/mc/key"
mkdir -p rpmdb2
rpmkeys --root "$T/rpmdb2" --import key2.asc
rpmkeys --root "$T/rpmdb2" --checksig "$RPM4" >sig4.txt 2>&1 || true
check "it is signed with the new key" grep -q "signatures OK" sig4.txt

# The explicit rebuild.
q user create lead1 --role user >/dev/null
q user create member1 --role user >/dev/null
q sig member add mc lead1 --role lead >/dev/null
q sig member add mc member1 >/dev/null
LEAD=$(q token create --user lead1 --description t)
MEMBER=$(q token create --user member1 --description t)
code=$(req POST "$QUARRY_HUB/api/v1/sigs/mc/projects/el9/release-package" -H "Authorization: Bearer $MEMBER")
check "a member may not rebuild it (403)" test "$code" = 403
code=$(req POST "$QUARRY_HUB/api/v1/sigs/mc/projects/el9/release-package" -H "Authorization: Bearer $LEAD")
check "a lead rebuilds it (200)" test "$code" = 200
check "the answer names release 5 and release 4 as replaced" \
	test "$(jget 'd["nevra"] + " " + ",".join(d["replaced"])')" = "sig-mc-release-9-5.el9.mc.noarch sig-mc-release-9-4.el9.mc.noarch"
out=$(q release-package mc/el9)
check "quarry release-package prints release 6" grep -q "sig-mc-release-9-6.el9.mc.noarch → mc/el9/common" <<<"$out"
check "common holds release 6 alone" test "$(nevras mc/el9/common)" = "sig-mc-release-9-6.el9.mc.noarch"

# A project without a common repo: nothing is built.
q project create mc/el8 --major 8 --variant 1 --arch x86_64 >/dev/null
q repo create mc/el8/extras --arch x86_64 >/dev/null
check "no common repo: the repo is created, nothing added" test -z "$(nevras mc/el8/extras)"
check "the hub logged why" grep -q "project 'mc/el8' has no repo 'common'" hub.log
expect_fail 1 "has no repo 'common'" q release-package mc/el8

# With the signer stopped: the explicit rebuild fails naming it and changes
# nothing; a repo is still created (the automatic rebuild only logs).
kill "$SIGNER_PID"
wait "$SIGNER_PID" 2>/dev/null || true
SIGNER_PID=
expect_fail 1 "is not answering" q release-package mc/el9
check "with the signer down common still holds release 6" \
	test "$(nevras mc/el9/common)" = "sig-mc-release-9-6.el9.mc.noarch"
check "a repo is created with the signer down" q repo create mc/el9/more --arch x86_64
check "the hub logged the failed rebuild" \
	grep -q "sig-mc-release of project 'mc/el9' not rebuilt: .*not answering" hub.log
check "common still holds release 6 alone" \
	test "$(nevras mc/el9/common)" = "sig-mc-release-9-6.el9.mc.noarch"
finish
