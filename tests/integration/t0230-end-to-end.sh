#!/bin/bash
# t0230-end-to-end: the whole path from git to release, with the real parts. A git
# repository in the rpms layout → a build on the embedded worker → the five
# checks pass (the project's rpmlint configuration filters what the test
# spec lacks) → the update moves to testing by itself → the SIG lead
# releases it (a signed copy) → a mirror (a directory on 127.0.0.1) holding
# a copy of /pub, which the crawler finds up to date → dnf installs
# sig-mc-release through the metalink with gpgcheck=1 and repo_gpgcheck=1,
# then the package with only the repo file that release package installed,
# and the mirror, listed first, served it.
. "$(dirname "$0")/lib.sh"

start_hub "[mirror]
crawl_interval = 0
[geoip]
tor_v4 =
tor_v6 ="
q sig create mc --short-name mc --title "Messaging and Communication" --purpose "tests" >/dev/null
q project create mc/el9 --major 9 --variant 1 --arch x86_64 >/dev/null
q repo create mc/el9/common --arch x86_64 --channel release >/dev/null
ALICE=$(new_user alice user)
q sig member add mc alice --role lead >/dev/null
as() { local tok=$1; shift; QUARRY_TOKEN=$tok "$QUARRY_BIN" "$@"; }
check "sig-mc-release is in common" bash -c "\"\$QUARRY_BIN\" repo show mc/el9/common --json | grep -q sig-mc-release-9"

# The policy: every check (the default), the test spec's rpmlint findings filtered.
cat >rpmlintrc <<'RC'
addFilter("no-changelogname-tag")
addFilter("no-documentation")
addFilter("no-dependency-on locales")
addFilter("summary-not-capitalized")
addFilter("description-line-too-long")
RC
check "the lead sets the rpmlint configuration" as "$ALICE" policy set mc/el9 --rpmlint-config rpmlintrc
q policy show mc/el9 --json >policy.json
check "all five checks are required" test "$(jget 'd["required_checks"]' policy.json)" = "disttag,rpmlint,closure,installable,conflicts"

# --- git → build → checks ---
PKG_ARCH=noarch make_git_pkg "$T/git" mc-e2e 1.0 1
b=$(q build mc/el9 "$T/git#r9-sig-mc-1" --json | jget 'd["id"]' /dev/stdin)
check "the build completes" test "$(wait_build "$b")" = complete
if q check "$b" --wait >checks.txt 2>&1; then ok "the five checks pass"; else fail "the five checks pass"; diag "$(cat checks.txt)"; fi

# --- update → testing (automatic) → release ---
u=$(as "$ALICE" update create mc/el9 common "$b" --notes "end to end" --json | jget 'd["id"]' /dev/stdin)
check "with its checks passed, the update went to testing by itself" test "$(q update show "$u" --json | jget 'd["state"]' /dev/stdin)" = testing
check "the lead releases it" as "$ALICE" promote "$u" --to release
RELEASE=$DATA/pub/sig/9/mc/x86_64/common
curl -fsS -o key.asc "$QUARRY_HUB/api/v1/sigs/mc/key"
mkdir -p rpmdb && rpmkeys --root "$T/rpmdb" --import key.asc
rpmkeys --root "$T/rpmdb" --checksig "$RELEASE/Packages/mc-e2e-1.0-1.el9.mc.noarch.rpm" >sig.txt 2>&1 || true
check "the released RPM is signed" grep -q "signatures OK" sig.txt

# An update made while its build's checks still run moves when they pass.
PKG_ARCH=noarch make_git_pkg "$T/git2" mc-e2e-two 1.0 1
b2=$(q build mc/el9 "$T/git2#r9-sig-mc-1" --json | jget 'd["id"]' /dev/stdin)
check "the second build completes" test "$(wait_build "$b2")" = complete
u2=$(as "$ALICE" update create mc/el9 common "$b2" --json | jget 'd["id"]' /dev/stdin)
for _ in $(seq 120); do
	[ "$(q update show "$u2" --json | jget 'd["state"]' /dev/stdin)" = testing ] && break
	sleep 0.5
done
check "an update made while its checks ran went to testing when they passed" test "$(q update show "$u2" --json | jget 'd["state"]' /dev/stdin)" = testing

# --- a mirror ---
mkdir -p mirror && cp -a "$DATA/pub/." mirror/
MP=$(free_port)
python3 -m http.server --bind 127.0.0.1 --directory mirror "$MP" >mirror.log 2>&1 &
MIRROR=$!
test_cleanup() { kill "$MIRROR" 2>/dev/null; }
for _ in $(seq 50); do curl -fs "http://127.0.0.1:$MP/" >/dev/null && break; sleep 0.1; done
mkdir mirrors.d
cat >mirrors.d/mirror.example.org.yml <<YML
name: mirror.example.org
address:
  http: http://127.0.0.1:$MP/
update_frequency: 1h
sponsor: Example
sponsor_url: https://example.org/
geolocation: {country: SE}
subnets: ['127.0.0.0/8']
YML
check "the mirror is imported" q mirror import mirrors.d
q crawl --json >crawl.json
check "the crawler finds the mirror up to date" test "$(q mirror show mirror.example.org --json | jget '[c["state"] for c in d["checks"] if c["repo"] == "sig-mc-common-9"][0]' /dev/stdin)" = up_to_date
curl -fsS "$QUARRY_HUB/metalink?repo=sig-mc-common-9&arch=x86_64" >ml.xml
check "the metalink lists the mirror first" bash -c "grep -m1 '<url ' ml.xml | grep -q '127.0.0.1:$MP/'"

# --- dnf: the release package, then the package through its repo file ---
cat >ml.repo <<REPO
[sig-mc-common-9]
name=mc common (metalink)
metalink=$QUARRY_HUB/metalink?repo=sig-mc-common-9&arch=\$basearch
gpgcheck=1
repo_gpgcheck=1
gpgkey=file://$T/key.asc
REPO
: >mirror.log
if dnf_install ml.repo sig-mc-release >dnf1.log 2>&1; then
	ok "dnf installs sig-mc-release through the metalink (gpgcheck=1, repo_gpgcheck=1)"
else
	fail "dnf installs sig-mc-release through the metalink"
	diag "$(tail -n 20 dnf1.log)"
fi
ROOT=$DNF_ROOT
check "the release package came from the mirror" grep -q "GET /sig/9/mc/x86_64/common/Packages/sig-mc-release" mirror.log
printf '[main]\n' >dnf.conf
# dnf --installroot reads gpgkey=file:// from the host: point it at the installroot's copy.
KEYURL=file://$ROOT/etc/pki/rpm-gpg/RPM-GPG-KEY-quarry-mc
if dnf -y --installroot "$ROOT" --releasever 9 -c "$T/dnf.conf" \
	--setopt=reposdir="$ROOT/etc/yum.repos.d" --setopt=cachedir="$ROOT.cache2" \
	--setopt=sig-mc-common.gpgkey="$KEYURL" install mc-e2e >dnf2.log 2>&1; then
	ok "dnf installs mc-e2e with only the repo file sig-mc-release installed"
else
	fail "dnf installs mc-e2e with only the repo file sig-mc-release installed"
	diag "$(tail -n 20 dnf2.log)"
fi
check "mc-e2e is installed" test -f "$ROOT/usr/share/mc-e2e/README"
check "the mirror served it" grep -q "GET /sig/9/mc/x86_64/common/Packages/mc-e2e-1.0-1.el9.mc.noarch.rpm" mirror.log
finish
