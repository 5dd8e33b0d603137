#!/bin/bash
# t0610-mirrors-fresh-first: a mirror behind never outranks one that is up
# to date. Two local mirrors (nginx): "near" in the client's country (by
# GeoIP, a .mmdb this test writes), "far" elsewhere (the global group).
# After a second publish only "far" is synced; a crawl sees "near" lagging.
# The metalink lists "far" first, and the real dnf (gpgcheck and
# repo_gpgcheck on) installs the NEW version from it. Then a third publish
# that no mirror has yet: both mirrors are still listed ahead of the master
# and dnf installs from a mirror (the previous publishes), not the master.
. "$(dirname "$0")/lib.sh"

python3 "$QUARRY_SRC/tests/tools/mkmmdb.py" --type country country.mmdb 127.0.0.0/8=SE
start_hub "[build]
embedded_worker = false
[mirror]
crawl_interval = 0
publish_crawl_delay = 0
[geoip]
country_mmdb = $T/country.mmdb
tor_v4 =
tor_v6 ="
test_cleanup() {
	stop_mirrors
	GNUPGHOME=$T/gnupg gpgconf --kill gpg-agent 2>/dev/null
}
q sig create mc --short-name mc --title "Messaging" --purpose "tests" >/dev/null
q project create mc/el9 --major 9 --variant 1 --arch x86_64 >/dev/null
q repo create mc/el9/common --arch x86_64 --channel candidate >/dev/null
curl -fsS -o key.asc "$QUARRY_HUB/api/v1/sigs/mc/key"
REL=sig/9/mc/x86_64/common
ML="$QUARRY_HUB/metalink?repo=sig-mc-common-9&arch=x86_64"

# A packager key signs the RPMs (dnf's gpgcheck); the SIG key signs repomd.xml.
mkdir -m 700 gnupg
GNUPGHOME=$T/gnupg gpg --batch --pinentry-mode loopback --passphrase '' \
	--quick-gen-key "Packager <packager@example.org>" rsa2048 sign never 2>/dev/null
GNUPGHOME=$T/gnupg gpg --armor --export packager@example.org >packager.asc
signed_rpm() { # signed_rpm VERSION: fresh-VERSION, signed, path printed
	local rpm
	rpm=$(make_rpm fresh "$1" 1.el9.mc noarch) || return 1
	GNUPGHOME=$T/gnupg rpmsign --addsign --define "_gpg_name packager@example.org" \
		--define "__gpg /usr/bin/gpg" --define "_gpg_path $T/gnupg" "$rpm" </dev/null >/dev/null 2>&1 || return 1
	echo "$rpm"
}
upload() { q upload mc/el9/common "$(signed_rpm "$1")" >/dev/null 2>&1; }

upload 1.0
declare -A P
for m in near far; do
	P[$m]=$(free_port)
	sync_mirror "$m"
	serve_mirror "$m" "${P[$m]}"
done
mkdir mirrors.d
mkdef() { # mkdef NAME COUNTRY
	cat >"mirrors.d/$1.yml" <<YML
name: $1.example.org
address:
  http: http://127.0.0.1:${P[$1]}/
update_frequency: 1h
sponsor: Test
sponsor_url: https://example.org/
geolocation: {country: $2}
YML
}
mkdef near SE
mkdef far US
check "import two mirrors" q mirror import mirrors.d
state() { q mirror show "$1.example.org" --json | jget '[c["state"] for c in d.get("checks", []) if c["repo"] == "sig-mc-common-9"][0] if d.get("checks") else "unchecked"' /dev/stdin; }
urls() { python3 - "$T/body" <<'PY'
import sys, xml.etree.ElementTree as ET
ns = {"m": "http://www.metalinker.org/"}
root = ET.parse(sys.argv[1]).getroot()
print("\n".join(u.text for u in root.findall("m:files/m:file/m:resources/m:url", ns)))
PY
}
q crawl >/dev/null
check "both mirrors are up to date after the first publish" test "$(state near) $(state far)" = "up_to_date up_to_date"
req GET "${QUARRY_HUB}/mirrorlist?repo=sig-mc-common-9&arch=x86_64" >/dev/null
check "the client (127.0.0.1) is in Sweden" grep -q "country = SE" "$T/body"
req GET "$ML" >/dev/null
urls >ml1.txt
check "by location, near comes first" bash -c "head -n1 ml1.txt | grep -q ':${P[near]}/'"

# --- the second publish: only far is synced ---
upload 2.0
sync_mirror far
q crawl >/dev/null
check "the crawl sees near lagging" test "$(state near)" = lagging
check "and far up to date" test "$(state far)" = up_to_date
req GET "$ML" >/dev/null
urls >ml2.txt
check "the metalink lists far (up to date) first" bash -c "head -n1 ml2.txt | grep -q ':${P[far]}/'"
check "near (lagging) second" bash -c "sed -n 2p ml2.txt | grep -q ':${P[near]}/'"
check "the master last" bash -c "tail -n1 ml2.txt | grep -qF '$QUARRY_HUB/pub/$REL/'"
cat >ml.repo <<REPO
[sig-mc-common-9]
name=mc common (metalink)
metalink=$ML
gpgcheck=1
repo_gpgcheck=1
gpgkey=file://$T/key.asc file://$T/packager.asc
REPO
: >near.log
: >far.log
install_fresh() { # in this shell: DNF_ROOT stays set
	if dnf_install ml.repo fresh >dnf.log 2>&1; then ok "$1"; else fail "$1"; diag "$(tail -n 15 dnf.log)"; fi
}
install_fresh "dnf installs (gpgcheck and repo_gpgcheck on)"
got=$(rpm --root "$DNF_ROOT" -q fresh 2>&1)
check "it installed the NEW version (got $got)" test "$got" = fresh-2.0-1.el9.mc.noarch
check "from far" grep -q "GET /$REL/Packages/.*fresh-2.0" far.log
check "near's access log is there" test -f near.log
refute "near was not asked for repomd.xml" grep -q "repomd.xml" near.log

# --- the third publish, on no mirror yet: the mirrors stay listed ---
upload 3.0
newest=$(sha256sum "$DATA/pub/$REL/repodata/repomd.xml" | cut -d' ' -f1)
req GET "$ML" >/dev/null
check "the metalink's main hash is the new publish" grep -q "<hash type=\"sha256\">$newest</hash>" "$T/body"
urls >ml3.txt
check "the first URL is a mirror, not the master" bash -c "head -n1 ml3.txt | grep -q '127.0.0.1:\(${P[near]}\|${P[far]}\)/'"
check "both mirrors are listed" bash -c "grep -q ':${P[near]}/' ml3.txt && grep -q ':${P[far]}/' ml3.txt"
check "the master last" bash -c "tail -n1 ml3.txt | grep -qF '$QUARRY_HUB/pub/$REL/'"
: >near.log
: >far.log
install_fresh "dnf installs"
got=$(rpm --root "$DNF_ROOT" -q fresh 2>&1)
check "a version a mirror holds (got $got), not the master's 3.0" bash -c "[ '$got' = fresh-2.0-1.el9.mc.noarch ] || [ '$got' = fresh-1.0-1.el9.mc.noarch ]"
check "the package came from a mirror" bash -c "cat near.log far.log | grep -q 'GET /$REL/Packages/.*fresh-'"
finish
