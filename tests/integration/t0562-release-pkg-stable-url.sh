#!/bin/bash
# t0562-release-pkg-stable-url: each SIG's release package and .repo file
# have stable URLs, so that a first install needs no NEVRA (as Copr's .repo
# link): /pub/sig/MAJOR/SIG/sig-SIG-release.noarch.rpm, sig-SIG.repo (gpgkey
# over HTTP) and RPM-GPG-KEY-quarry-SIG. `dnf install URL` into an
# installroot sets the repos up; the downloaded .repo file alone, as dnf's
# only repo configuration, installs from the repos with gpgcheck and
# repo_gpgcheck. Every rebuild replaces the three files by a rename: readers
# downloading all along always get a whole, signed package.
. "$(dirname "$0")/lib.sh"

start_hub "[build]
embedded_worker = false"
q sig create mc --short-name mc --title "Messaging and Communication" --purpose "tests" >/dev/null
q project create mc/el9 --major 9 --variant 1 --arch x86_64 >/dev/null
q repo create mc/el9/common --arch x86_64 >/dev/null
q repo create mc/el9/extras --arch x86_64 >/dev/null
STABLE=$QUARRY_HUB/pub/sig/9/mc
curl -fsS -o key.asc "$QUARRY_HUB/api/v1/sigs/mc/key"

# --- the stable files ---
code=$(req GET "$STABLE/sig-mc-release.noarch.rpm")
check "GET /pub/sig/9/mc/sig-mc-release.noarch.rpm → 200 (got $code)" test "$code" = 200
cp "$T/body" stable.rpm
check "it is the current package, release 2" test "$(rpm -qp --qf '%{NAME}-%{VERSION}-%{RELEASE}' stable.rpm 2>/dev/null)" = sig-mc-release-9-2.el9.mc
check "... byte for byte the one in common" cmp stable.rpm "$DATA/pub/sig/9/mc/x86_64/common/Packages/sig-mc-release-9-2.el9.mc.noarch.rpm"
check "... a regular file, not a symlink" test -f "$DATA/pub/sig/9/mc/sig-mc-release.noarch.rpm" -a ! -L "$DATA/pub/sig/9/mc/sig-mc-release.noarch.rpm"
code=$(req GET "$STABLE/sig-mc.repo")
check "GET /pub/sig/9/mc/sig-mc.repo → 200 (got $code)" test "$code" = 200
cp "$T/body" sig-mc.repo
check "the .repo file has the SIG's repos, gpgkey over HTTP" python3 - sig-mc.repo "$QUARRY_HUB" <<'PY'
import configparser, sys
c = configparser.RawConfigParser()
c.read(sys.argv[1])
hub = sys.argv[2]
assert c.sections() == ["sig-mc-common", "sig-mc-extras"], c.sections()
for r in ("common", "extras"):
    s = c["sig-mc-" + r]
    assert s["metalink"] == "%s/metalink?repo=sig-mc-%s-$releasever&arch=$basearch" % (hub, r), s["metalink"]
    for k, v in (("enabled", "1"), ("gpgcheck", "1"), ("repo_gpgcheck", "1"),
                 ("gpgkey", hub + "/pub/sig/9/mc/RPM-GPG-KEY-quarry-mc")):
        assert s[k] == v, (r, k, s[k])
PY
code=$(req GET "$STABLE/RPM-GPG-KEY-quarry-mc")
check "the key URL the .repo names answers 200 (got $code)" test "$code" = 200
check "... with the SIG's key" cmp "$T/body" key.asc
q release-package mc/el9 --json >rp.json
check "release-package answers the stable URLs" test "$(jget '[d["rpm_url"], d["repo_url"]]' rp.json)" = "[\"$STABLE/sig-mc-release.noarch.rpm\", \"$STABLE/sig-mc.repo\"]"
check "... and serves the rebuilt package there (release 3)" test "$(curl -fsS "$STABLE/sig-mc-release.noarch.rpm" | rpm -qp --qf '%{RELEASE}' /dev/stdin 2>/dev/null)" = 3.el9.mc

# --- a first install by URL, no NEVRA ---
printf '[main]\n' >dnf.conf
R1=$T/root1
if dnf -y --installroot "$R1" --releasever 9 -c "$T/dnf.conf" --setopt=reposdir=/dev/null \
	--setopt=cachedir="$R1.cache" install "$STABLE/sig-mc-release.noarch.rpm" >dnf1.log 2>&1; then
	ok "dnf install $STABLE/sig-mc-release.noarch.rpm"
else
	fail "dnf install $STABLE/sig-mc-release.noarch.rpm"
	diag "$(tail -n 20 dnf1.log)"
fi
check "the installroot has the repo file" test -f "$R1/etc/yum.repos.d/sig-mc.repo"
check "... of release 3" test "$(rpm --root "$R1" -q --qf '%{RELEASE}' sig-mc-release)" = 3.el9.mc

# --- the downloaded .repo file as dnf's only repo configuration ---
mkdir -p reposd
curl -fsS -o reposd/sig-mc.repo "$STABLE/sig-mc.repo"
R2=$T/root2
if dnf -y --installroot "$R2" --releasever 9 -c "$T/dnf.conf" --setopt=reposdir="$T/reposd" \
	--setopt=cachedir="$R2.cache" install sig-mc-release >dnf2.log 2>&1; then
	ok "dnf installs sig-mc-release with only the downloaded .repo (gpgcheck, repo_gpgcheck, key over HTTP)"
else
	fail "dnf installs sig-mc-release with only the downloaded .repo"
	diag "$(tail -n 20 dnf2.log)"
fi
check "dnf read the .repo file's repos" grep -Eq 'sig-mc-common|SIG Messaging and Communication - common' dnf2.log
check "... and imported the key from the stable URL" grep -q "pub/sig/9/mc/RPM-GPG-KEY-quarry-mc" dnf2.log
check "sig-mc-release is installed in the second root" rpm --root "$R2" -q sig-mc-release

# --- rebuilds replace the files by a rename: readers never see a part ---
q repo create mc/el9/extras-testing --channel testing --arch x86_64 >/dev/null
curl -fsS -o sig-mc.repo "$STABLE/sig-mc.repo"
check "a new repo rebuilds it: the .repo gains the testing repo, disabled" python3 - sig-mc.repo <<'PY'
import configparser, sys
c = configparser.RawConfigParser()
c.read(sys.argv[1])
assert c.sections() == ["sig-mc-common", "sig-mc-extras", "sig-mc-extras-testing"], c.sections()
assert c["sig-mc-extras-testing"]["enabled"] == "0"
PY
check "... and the stable RPM is release 4" test "$(curl -fsS "$STABLE/sig-mc-release.noarch.rpm" | rpm -qp --qf '%{RELEASE}' /dev/stdin 2>/dev/null)" = 4.el9.mc
mkdir -p rpmdb
rpmkeys --root "$T/rpmdb" --import key.asc
(
	for i in $(seq 400); do
		[ -e "$T/stop-readers" ] && break
		curl -fsS -o "$T/r.rpm" "$STABLE/sig-mc-release.noarch.rpm" || { echo "curl failed"; continue; }
		if rpmkeys --root "$T/rpmdb" --checksig "$T/r.rpm" 2>&1 | grep -q "signatures OK"; then
			echo whole
		else
			echo broken
		fi
	done
) >readers.txt &
READER=$!
for _ in 1 2 3; do q release-package mc/el9 >/dev/null; done
touch "$T/stop-readers"
wait "$READER"
check "readers downloaded while it was rebuilt ($(grep -c whole readers.txt) whole)" test "$(grep -c whole readers.txt)" -gt 3
lacks "... and never got a broken or missing package" readers.txt 'broken|failed'
check "after three rebuilds the stable RPM is release 7" test "$(curl -fsS "$STABLE/sig-mc-release.noarch.rpm" | rpm -qp --qf '%{RELEASE}' /dev/stdin 2>/dev/null)" = 7.el9.mc
ls -A "$DATA/pub/sig/9/mc" >stable-dir.txt
lacks "no temporary file is left next to the stable files" stable-dir.txt '^\.|tmp'
finish
