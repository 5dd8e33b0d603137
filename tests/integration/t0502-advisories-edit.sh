#!/bin/bash
# t0502-advisories-edit: `quarry update edit` (PATCH /updates/ID) changes an
# advisory in candidate, testing and unpushed, and an edit in testing
# republishes the testing repo: new notes reach `dnf updateinfo info`, a
# change of type to security (with a severity) reaches `dnf updateinfo
# list --security`. --ref adds references, --clear-refs drops them first.
# An edit of a candidate publishes nothing; each edit is audited; the
# advisory id is kept through an unpush; a released update is final.
. "$(dirname "$0")/lib.sh"

start_hub "[mirror]
crawl_interval = 0
[geoip]
tor_v4 =
tor_v6 ="
q sig create cloud --short-name cloud --title "Cloud" --purpose "tests" >/dev/null
q project create cloud/el9 --major 9 --variant 1 --arch x86_64 >/dev/null
q repo create cloud/el9/common --arch x86_64 --channel release >/dev/null
q policy set cloud/el9 --checks "" --auto-testing false >/dev/null
PUB=$DATA/pub/sig/9/cloud/x86_64
declare -A B
for p in ed-a ed-b ed-c; do
	PKG_ARCH=noarch make_git_pkg "$T/g-$p" "$p" 1.0 1 r9-sig-cloud-1
	B[$p]=$(q build cloud/el9 "$T/g-$p#r9-sig-cloud-1" --json | jget 'd["id"]' /dev/stdin)
done
for p in ed-a ed-b ed-c; do
	check "build $p completes" test "$(wait_build "${B[$p]}")" = complete
done
U=$(q update create cloud/el9 common "${B[ed-a]}" --notes "first words" --json | jget 'd["id"]' /dev/stdin)
C=$(q update create cloud/el9 common "${B[ed-b]}" --json | jget 'd["id"]' /dev/stdin)
R=$(q update create cloud/el9 common "${B[ed-c]}" --json | jget 'd["id"]' /dev/stdin)
q promote "$U" --to testing >/dev/null
q promote "$R" --to testing >/dev/null
ADV=$(q update show "$U" --json | jget 'd["advisory"]' /dev/stdin)
repomd() { sha256sum "$PUB/common-testing/repodata/repomd.xml" | cut -d' ' -f1; }
# notes_in_repo ADVISORY: its <description> in the testing repo's updateinfo
notes_in_repo() {
	python3 - "$PUB/common-testing" "$1" <<'PY'
import gzip, sys, xml.etree.ElementTree as ET
d, adv = sys.argv[1], sys.argv[2]
ns = {"r": "http://linux.duke.edu/metadata/repo"}
root = ET.parse(d + "/repodata/repomd.xml").getroot()
h = [x.find("r:location", ns).get("href") for x in root.findall("r:data", ns) if x.get("type") == "updateinfo"]
for e in ET.fromstring(gzip.open(d + "/" + h[0]).read()).findall("update"):
    if e.findtext("id") == adv:
        print("%s|%s|%s|%d" % (e.get("type"), e.findtext("severity") or "", e.findtext("description") or "",
                               len(list(e.iter("reference")))))
PY
}
check "the testing repo has the first notes" test "$(notes_in_repo "$ADV")" = "bugfix||first words|0"

cat >t.repo <<REPO
[t]
name=testing
baseurl=$QUARRY_HUB/pub/sig/9/cloud/x86_64/common-testing/
gpgcheck=0
REPO
# dnfi ARGS…: dnf on a host that has ed-a from testing (dnf lists the
# advisories of installed packages with --installed), with --refresh so
# that it reads the repodata as it is now.
dnfi() {
	dnf -y --installroot "$T/host" --releasever 9 --setopt=reposdir=/dev/null --config /dev/null \
		--setopt=cachedir="$T/host.cache" -c "$T/t.repo" --refresh "$@"
}
check "dnf installs ed-a from testing" dnfi install ed-a
dnfi updateinfo info --installed "$ADV" >info1.txt 2>&1 || true
diag "$(cat info1.txt)"
check "dnf updateinfo info shows the first notes" grep -q "first words" info1.txt

before=$(repomd)
check "the creator edits the notes" q update edit "$U" --notes "second words, better"
check "… which republished the testing repo" test "$(repomd)" != "$before"
check "… whose updateinfo has the new notes" test "$(notes_in_repo "$ADV")" = "bugfix||second words, better|0"
dnfi updateinfo info --installed "$ADV" >info2.txt 2>&1 || true
diag "$(cat info2.txt)"
check "dnf updateinfo info shows the new notes" grep -q "second words, better" info2.txt
refute "… and not the old ones" grep -q "first words" info2.txt
check "repomd.xml.asc was made again over the new repomd.xml" bash -c "curl -fsS -o key.asc '$QUARRY_HUB/api/v1/sigs/cloud/key' && mkdir -p g && chmod 700 g && gpg --homedir g --batch -q --import key.asc 2>/dev/null && gpg --homedir g --batch --verify '$PUB/common-testing/repodata/repomd.xml.asc' '$PUB/common-testing/repodata/repomd.xml'"

expect_fail 1 "field 'severity' is required for a security update" q update edit "$U" --type security
before=$(repomd)
check "type security with a severity" q update edit "$U" --type security --severity moderate
check "… republished: type security, severity Moderate" test "$(notes_in_repo "$ADV")" = "security|Moderate|second words, better|0"
check "… the repomd changed" test "$(repomd)" != "$before"
dnfi updateinfo list --installed --security >sec.txt 2>&1 || true
check "dnf updateinfo list --security shows it" grep -Eq "$ADV +Moderate/Sec\\." sec.txt

check "--ref adds a reference" q update edit "$U" --ref CVE-2026-50001
check "a second --ref adds another" q update edit "$U" --ref "https://bugs.example.org/show_bug.cgi?id=31"
q update show "$U" --json >u.json
check "the update has both" test "$(jget '[(r["type"], r["id"]) for r in d["references"]]' u.json)" = '[["cve", "CVE-2026-50001"], ["bugzilla", "31"]]'
check "… and so has its advisory" test "$(notes_in_repo "$ADV" | cut -d'|' -f4)" = 2
check "--clear-refs --ref replaces them" q update edit "$U" --clear-refs --ref CVE-2026-50002
check "… one left" test "$(q update show "$U" --json | jget '[r["id"] for r in d["references"]]' /dev/stdin)" = '["CVE-2026-50002"]'
check "--clear-refs alone drops them" q update edit "$U" --clear-refs
check "… none left, in the repo too" test "$(notes_in_repo "$ADV" | cut -d'|' -f4)" = 0
check "back to bugfix clears the severity" q update edit "$U" --type bugfix
check "… severity null" test "$(q update show "$U" --json | jget '[d["type"], d["severity"]]' /dev/stdin)" = '["bugfix", null]'
check "--title changes the title" q update edit "$U" --title "ed-a: better words"
dnfi updateinfo info --installed "$ADV" >info3.txt 2>&1 || true
check "… dnf shows it" grep -q "ed-a: better words" info3.txt

# A candidate: stored, nothing published.
before=$(repomd)
check "a candidate's advisory is edited" q update edit "$C" --type enhancement --notes "later"
check "… nothing was published" test "$(repomd)" = "$before"
check "… its fields are stored" test "$(q update show "$C" --json | jget '[d["type"], d["notes"], d["advisory"]]' /dev/stdin)" = '["enhancement", "later", null]'

q audit --json >audit.json
check "each edit is audited (update.edit)" test "$(jget "len([e for e in d['entries'] if e['action'] == 'update.edit' and e['target'] == 'update $U'])" audit.json)" = 8

# Unpushed: still editable; the advisory id stays.
q unpush "$U" >/dev/null
check "an unpushed update is edited" q update edit "$U" --notes "unpushed, kept"
check "… it keeps its advisory id" test "$(q update show "$U" --json | jget 'd["advisory"]' /dev/stdin)" = "$ADV"
check "the testing repo no longer lists it" test -z "$(notes_in_repo "$ADV")"

# Released: final.
q promote "$R" --to release >/dev/null
q update show "$R" --json >r-before.json
expect_fail 1 "update $R is 'release': only candidate, testing and unpushed updates can be edited" \
	q update edit "$R" --notes "too late"
q update show "$R" --json >r-after.json
check "… and it is unchanged" cmp r-before.json r-after.json
finish
