#!/bin/bash
# t0140: the hub's /metalink and /mirrorlist (master only until the mirror
# registry lands): dnf installs through metalink= with repo_gpgcheck; a new
# publish is the main entry of the very next metalink and the previous one
# becomes an alternate; unknown parameters (countme) are ignored; an unknown
# repo answers 404 with the valid pairs; a malformed query answers 400;
# redirect answers 302 to repomd.xml.
. "$(dirname "$0")/lib.sh"

# The release package (t0220) is off: this test counts common's publishes.
start_hub "[build]
embedded_worker = false
[release_pkg]
repo ="
q sig create mc --short-name mc --title "Messaging" --purpose "tests" >/dev/null
q project create mc/el9 --major 9 --variant 1 --arch x86_64 >/dev/null
q repo create mc/el9/common --arch x86_64 --channel candidate >/dev/null
q upload mc/el9/common "$(make_rpm mlone 1.0 1.el9.mc noarch)" >/dev/null 2>&1
curl -fsS -o key.asc "$QUARRY_HUB/api/v1/sigs/mc/key"
ML="$QUARRY_HUB/metalink?repo=sig-mc-common-9&arch=x86_64"
REPODATA=$DATA/pub/sig/9/mc/x86_64/common/repodata

code=$(req GET "$ML&countme=3")
check "metalink answers 200" test "$code" = 200
check "its main hash is the published repomd.xml" grep -q "<hash type=\"sha256\">$(sha256sum "$REPODATA/repomd.xml" | cut -d' ' -f1)</hash>" "$T/body"
lacks "it has no alternates after one publish" "$T/body" "mm0:alternates"
old_sha=$(sha256sum "$REPODATA/repomd.xml" | cut -d' ' -f1)

cat >ml.repo <<REPO
[sig-mc-common-9]
name=mc common (metalink)
metalink=$QUARRY_HUB/metalink?repo=sig-mc-common-9&arch=\$basearch
gpgcheck=0
repo_gpgcheck=1
gpgkey=file://$T/key.asc
REPO
check "dnf installs through the metalink" dnf_install ml.repo mlone

q upload mc/el9/common "$(make_rpm mltwo 1.0 1.el9.mc noarch)" >/dev/null 2>&1
new_sha=$(sha256sum "$REPODATA/repomd.xml" | cut -d' ' -f1)
req GET "$ML" >/dev/null
check "the next metalink's main entry is the new publish" python3 - "$T/body" "$new_sha" "$old_sha" <<'PY'
import sys, xml.etree.ElementTree as ET
ns = {"m": "http://www.metalinker.org/", "mm0": "http://fedorahosted.org/mirrormanager"}
root = ET.parse(sys.argv[1]).getroot()
f = root.find("m:files/m:file", ns)
main = [h.text for h in f.findall("m:verification/m:hash", ns) if h.get("type") == "sha256"]
alts = [h.text for h in f.findall("mm0:alternates/mm0:alternate/m:verification/m:hash", ns) if h.get("type") == "sha256"]
assert main == [sys.argv[2]], main
assert sys.argv[3] in alts, alts
PY
check "dnf installs the new package through the metalink" dnf_install ml.repo mltwo

code=$(req GET "$QUARRY_HUB/mirrorlist?repo=sig-mc-common-9&arch=x86_64")
check "mirrorlist lists the master" grep -qx "$QUARRY_HUB/pub/sig/9/mc/x86_64/common/" "$T/body"
code=$(req GET "$QUARRY_HUB/metalink?repo=sig-nope-9&arch=x86_64")
check "an unknown repo answers 404" test "$code" = 404
check "the 404 lists the valid pairs" grep -q "repo=sig-mc-common-9&arch=x86_64" "$T/body"
code=$(req GET "$QUARRY_HUB/metalink?repo=sig-mc-common-9&arch=x86_64&country=%zz")
check "a bad %-escape answers 400" test "$code" = 400
code=$(req GET "$QUARRY_HUB/metalink?arch=x86_64")
check "a missing repo answers 400" test "$code" = 400
loc=$(curl -s -D - -o /dev/null "$ML&redirect" | tr -d '\r' | awk -F': ' 'tolower($1)=="location"{print $2}')
check "redirect answers with repomd.xml's URL" test "$loc" = "$QUARRY_HUB/pub/sig/9/mc/x86_64/common/repodata/repomd.xml"
finish
