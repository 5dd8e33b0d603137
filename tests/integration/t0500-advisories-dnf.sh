#!/bin/bash
# t0500-advisories-dnf: updates are advisories the real dnf understands.
# A host has ad-a, ad-b and ad-c 1.0-1 from the release repo; three
# updates bring 1.0-2 of each into testing: a security update (Important)
# of ad-a with a CVE and a Bugzilla reference, a bugfix of ad-b, an
# enhancement of ad-c. Each gets an advisory id when it enters testing
# (CLOUD-9-YEAR-NNNN, one counter per SIG, major and year).
# `dnf updateinfo list` shows the three with their type and severity;
# `dnf updateinfo info` the title, notes and references; `dnf upgrade
# --advisory=ID` upgrades exactly the bugfix's package; `dnf upgrade
# --security` takes ad-a alone (ad-c stays at 1.0-1); `dnf upgrade --cve`
# finds the security advisory by its CVE. The release repo lists no advisory
# until an update is released into it.
. "$(dirname "$0")/lib.sh"

start_hub "[mirror]
crawl_interval = 0
[geoip]
tor_v4 =
tor_v6 ="
q sig create cloud --short-name cloud --title "Cloud" --purpose "tests" >/dev/null
q project create cloud/el9 --major 9 --variant 1 --arch x86_64 >/dev/null
q repo create cloud/el9/common --arch x86_64 --channel release >/dev/null
q policy set cloud/el9 --checks "" --auto-testing false --uploads-release true >/dev/null
YEAR=$(date -u +%Y)
PUB=$DATA/pub/sig/9/cloud/x86_64

# 1.0-1 of each, in the release repo (uploads, by an admin's override).
for p in ad-a ad-b ad-c; do
	q upload cloud/el9/common "$(make_rpm "$p" 1.0 1.el9.cloud noarch)" --override "base" >/dev/null
done
# 1.0-2 of each, built from git.
declare -A B
for p in ad-a ad-b ad-c; do
	PKG_ARCH=noarch make_git_pkg "$T/g-$p" "$p" 1.0 2 r9-sig-cloud-1
	B[$p]=$(q build cloud/el9 "$T/g-$p#r9-sig-cloud-1" --json | jget 'd["id"]' /dev/stdin)
done
for p in ad-a ad-b ad-c; do
	check "build of $p 1.0-2 completes" test "$(wait_build "${B[$p]}")" = complete
done

q update create cloud/el9 common "${B[ad-a]}" --type security --severity important \
	--title "ad-a: fix a buffer overflow" --notes "A crafted file overflowed a buffer." \
	--ref CVE-2026-31337 --ref "https://bugzilla.example.com/show_bug.cgi?id=4242" --json >u1.json
q update create cloud/el9 common "${B[ad-b]}" --type bugfix --title "ad-b: fix a crash" \
	--notes "No longer crashes on start." --json >u2.json
q update create cloud/el9 common "${B[ad-c]}" --type enhancement --json >u3.json
U1=$(jget 'd["id"]' u1.json)
U2=$(jget 'd["id"]' u2.json)
U3=$(jget 'd["id"]' u3.json)
check "a candidate has no advisory id yet" test "$(jget 'd["advisory"]' u1.json)" = None
check "create stores type, severity (as dnf names it), title, references" \
	test "$(jget '[d["type"], d["severity"], d["title"], [(r["type"], r["id"]) for r in d["references"]]]' u1.json)" = \
	'["security", "Important", "ad-a: fix a buffer overflow", [["cve", "CVE-2026-31337"], ["bugzilla", "4242"]]]'
check "type bugfix has no severity" test "$(jget '[d["type"], d["severity"]]' u2.json)" = '["bugfix", null]'

for u in "$U1" "$U2" "$U3"; do q promote "$u" --to testing >/dev/null; done
for u in "$U1" "$U2" "$U3"; do q update show "$u" --json >"s$u.json"; done
ADV1=$(jget 'd["advisory"]' "s$U1.json")
ADV2=$(jget 'd["advisory"]' "s$U2.json")
ADV3=$(jget 'd["advisory"]' "s$U3.json")
check "advisory ids in testing: CLOUD-9-$YEAR-0001..0003" \
	test "$ADV1 $ADV2 $ADV3" = "CLOUD-9-$YEAR-0001 CLOUD-9-$YEAR-0002 CLOUD-9-$YEAR-0003"
check "advisory_issued is an ISO 8601 UTC time" \
	bash -c "grep -Eq '\"advisory_issued\": \"$YEAR-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z\"' s$U1.json"
check "update show prints the advisory" bash -c "\"\$QUARRY_BIN\" update show $U1 | grep -Eq '^advisory: +$ADV1\$'"
check "update show prints the references" bash -c "\"\$QUARRY_BIN\" update show $U1 | grep -q 'CVE-2026-31337, https://bugzilla.example.com/show_bug.cgi?id=4242'"

curl -fsS -o key.asc "$QUARRY_HUB/api/v1/sigs/cloud/key"
cat >both.repo <<REPO
[cloud-common]
name=cloud common
baseurl=$QUARRY_HUB/pub/sig/9/cloud/x86_64/common/
gpgcheck=0
repo_gpgcheck=1
gpgkey=file://$T/key.asc

[cloud-testing]
name=cloud testing
baseurl=$QUARRY_HUB/pub/sig/9/cloud/x86_64/common-testing/
gpgcheck=0
repo_gpgcheck=1
gpgkey=file://$T/key.asc
REPO
ROOT=$T/host
# dnfr ARGS…: the real dnf on the host root with both repos.
dnfr() {
	dnf -y --installroot "$ROOT" --releasever 9 --setopt=reposdir=/dev/null \
		--config /dev/null --setopt=cachedir="$ROOT.cache" -c "$T/both.repo" "$@"
}
# installed: "name-version-release" of ad-a, ad-b, ad-c on the host.
installed() { rpm --root "$ROOT" -q --qf '%{NAME}-%{VERSION}-%{RELEASE}\n' ad-a ad-b ad-c | tr '\n' ' '; }

check "dnf installs 1.0-1 of the three from the release repo" \
	dnfr --disablerepo=cloud-testing install ad-a-1.0-1.el9.cloud ad-b-1.0-1.el9.cloud ad-c-1.0-1.el9.cloud
check "the host has 1.0-1" test "$(installed)" = "ad-a-1.0-1.el9.cloud ad-b-1.0-1.el9.cloud ad-c-1.0-1.el9.cloud "

dnfr updateinfo list >list.txt 2>list.err || true
diag "$(cat list.txt)"
check "dnf updateinfo list: the security advisory, Important" \
	grep -Eq "^$ADV1 +Important/Sec\. +ad-a-1\.0-2\.el9\.cloud\.noarch" list.txt
check "dnf updateinfo list: the bugfix" grep -Eq "^$ADV2 +bugfix +ad-b-1\.0-2\.el9\.cloud\.noarch" list.txt
check "dnf updateinfo list: the enhancement" grep -Eq "^$ADV3 +enhancement +ad-c-1\.0-2\.el9\.cloud\.noarch" list.txt
check "dnf updateinfo list: three advisories" test "$(grep -c "^CLOUD-9-$YEAR-" list.txt)" = 3
dnfr updateinfo list --security >sec.txt 2>&1 || true
check "dnf updateinfo list --security: only the security one" \
	test "$(grep -o "^CLOUD-9-$YEAR-[0-9]*" sec.txt | tr '\n' ' ')" = "$ADV1 "
dnfr updateinfo info "$ADV1" >info.txt 2>&1 || true
diag "$(cat info.txt)"
check "dnf updateinfo info: the title" grep -q "ad-a: fix a buffer overflow" info.txt
check "dnf updateinfo info: the CVE" grep -Eq "CVEs *: *CVE-2026-31337" info.txt
check "dnf updateinfo info: the bug" grep -Eq "Bugs *: *4242" info.txt
check "dnf updateinfo info: the severity" grep -Eq "Severity *: *Important" info.txt
check "dnf updateinfo info: the notes" grep -q "A crafted file overflowed a buffer." info.txt

check "dnf upgrade --advisory=$ADV2" dnfr upgrade --advisory="$ADV2"
check "… upgraded ad-b alone" test "$(installed)" = "ad-a-1.0-1.el9.cloud ad-b-1.0-2.el9.cloud ad-c-1.0-1.el9.cloud "
check "dnf upgrade --security" dnfr upgrade --security
check "… upgraded ad-a alone (the enhancement stays)" \
	test "$(installed)" = "ad-a-1.0-2.el9.cloud ad-b-1.0-2.el9.cloud ad-c-1.0-1.el9.cloud "
check "dnf upgrade --advisory=$ADV3" dnfr upgrade --advisory="$ADV3"
check "… upgraded ad-c" test "$(installed)" = "ad-a-1.0-2.el9.cloud ad-b-1.0-2.el9.cloud ad-c-1.0-2.el9.cloud "

# --cve on a fresh host: finds the security advisory by its CVE.
ROOT=$T/host2
check "a second host gets 1.0-1" \
	dnfr --disablerepo=cloud-testing install ad-a-1.0-1.el9.cloud ad-b-1.0-1.el9.cloud ad-c-1.0-1.el9.cloud
check "dnf upgrade --cve=CVE-2026-31337" dnfr upgrade --cve=CVE-2026-31337
check "… upgraded ad-a alone" test "$(installed)" = "ad-a-1.0-2.el9.cloud ad-b-1.0-1.el9.cloud ad-c-1.0-1.el9.cloud "

# The release repo carries an advisory once an update is released into it.
ui_ids() { # ui_ids REPODIR: the advisory ids of its updateinfo.xml.gz (or "none")
	python3 - "$1" <<'PY'
import gzip, sys, xml.etree.ElementTree as ET
d = sys.argv[1]
ns = {"r": "http://linux.duke.edu/metadata/repo"}
root = ET.parse(d + "/repodata/repomd.xml").getroot()
h = [x.find("r:location", ns).get("href") for x in root.findall("r:data", ns) if x.get("type") == "updateinfo"]
if not h:
    print("none")
else:
    u = ET.fromstring(gzip.open(d + "/" + h[0]).read())
    print(" ".join(e.findtext("id") for e in u.findall("update")))
PY
}
check "the release repo has no updateinfo yet" test "$(ui_ids "$PUB/common")" = none
check "the testing repo lists the three" test "$(ui_ids "$PUB/common-testing")" = "$ADV1 $ADV2 $ADV3"
q promote "$U2" --to release >/dev/null
check "released: the release repo lists the bugfix" test "$(ui_ids "$PUB/common")" = "$ADV2"
check "… and the testing repo no longer does" test "$(ui_ids "$PUB/common-testing")" = "$ADV1 $ADV3"
check "the advisory id is kept in release" test "$(q update show "$U2" --json | jget 'd["advisory"]' /dev/stdin)" = "$ADV2"
finish
