#!/bin/bash
# t0630-crawl-partial: the crawler checks, beside the newest repomd.xml,
# every file repomd.xml names and a sample of packages (HEAD, size). Five
# local mirrors (python http.server over copies of the hub's /pub): one
# whole, one without a package, one without the primary file, one with a
# package of another size, one serving a repomd.xml never published. The
# three half-synced ones are `partial` (naming the file), are counted in
# the crawl summary and `mirror show`, are not listed in the metalink, and
# are not failures; dnf through the metalink installs the package the
# partial mirrors lack. The mirror serving a repomd.xml never published
# counts a failed crawl each time, is disabled after mirror.max_failures
# with the reason, and is enabled again by a crawl that finds it whole.
. "$(dirname "$0")/lib.sh"

start_hub "[build]
embedded_worker = false
[mirror]
crawl_interval = 0
max_failures = 3
[geoip]
tor_v4 =
tor_v6 ="
q sig create mc --short-name mc --title "Messaging" --purpose "tests" >/dev/null
q project create mc/el9 --major 9 --variant 1 --arch x86_64 >/dev/null
q repo create mc/el9/common --arch x86_64 --channel candidate >/dev/null
curl -fsS -o key.asc "$QUARRY_HUB/api/v1/sigs/mc/key"
REL=sig/9/mc/x86_64/common
ML="$QUARRY_HUB/metalink?repo=sig-mc-common-9&arch=x86_64"

# Three packages and the SIG's release package: the sample (up to 5) takes them all.
for p in pone ptwo pthree; do
	q upload mc/el9/common "$(make_rpm $p 1.0 1.el9.mc noarch)" >/dev/null 2>&1
done
for m in whole nopkg noprimary resized never; do
	mkdir -p "mirrors/$m" && cp -a "$DATA/pub/." "mirrors/$m/"
done
ptwo=$(cd "mirrors/nopkg/$REL" && ls Packages/ptwo-*.rpm)
primary=$(python3 -c 'import sys, xml.etree.ElementTree as ET
ns = {"r": "http://linux.duke.edu/metadata/repo"}
root = ET.parse(sys.argv[1]).getroot()
print([x.find("r:location", ns).get("href") for x in root.findall("r:data", ns) if x.get("type") == "primary"][0])' "mirrors/noprimary/$REL/repodata/repomd.xml")
pthree=$(cd "mirrors/resized/$REL" && ls Packages/pthree-*.rpm)
rm "mirrors/nopkg/$REL/$ptwo"
rm "mirrors/noprimary/$REL/$primary"
# A package of another size (cp -a kept hard links: write a new file).
head -c 100 "mirrors/resized/$REL/$pthree" >short.rpm && mv short.rpm "mirrors/resized/$REL/$pthree"
echo "<!-- not ours -->" >>"mirrors/never/$REL/repodata/repomd.xml"
never_sha=$(sha256sum "mirrors/never/$REL/repodata/repomd.xml" | cut -d' ' -f1)

SERVERS=()
serve() { # serve NAME PORT: a python http.server over mirrors/NAME, log in NAME.log
	python3 -m http.server --bind 127.0.0.1 --directory "mirrors/$1" "$2" >"$1.log" 2>&1 &
	SERVERS+=($!)
}
test_cleanup() { for p in "${SERVERS[@]}"; do kill "$p" 2>/dev/null; done; }
declare -A P
mkdir mirrors.d
for m in whole nopkg noprimary resized never; do
	P[$m]=$(free_port)
	serve $m "${P[$m]}"
	cat >"mirrors.d/$m.yml" <<YML
name: $m.example.org
address:
  http: http://127.0.0.1:${P[$m]}/
update_frequency: 1h
sponsor: Test
sponsor_url: https://example.org/
geolocation: {country: SE}
YML
done
for m in whole nopkg noprimary resized never; do
	for _ in $(seq 50); do curl -fs "http://127.0.0.1:${P[$m]}/" >/dev/null && break; sleep 0.1; done
done
check "import five mirrors" q mirror import mirrors.d

state() { q mirror show "$1.example.org" --json | python3 -c 'import json, sys
m = json.load(sys.stdin)
c = [x for x in m.get("checks", []) if x["repo"] == "sig-mc-common-9"]
print(m["state"], m["failures"], c[0]["state"] if c else "unchecked")'; }
cerror() { q mirror show "$1.example.org" --json | jget '[x["error"] for x in d["checks"]][0]' /dev/stdin; }

# --- the crawl: whole, partial, stale ---
q crawl --json >crawl.json
check "the crawl is done" test "$(jget 'd["state"]' crawl.json)" = done
check "the summary counts three partial checks" test "$(jget 'd["summary"]["partial"]' crawl.json)" = 3
check "and one up to date" test "$(jget 'd["summary"]["up_to_date"]' crawl.json)" = 1
check "the whole mirror is up to date" test "$(state whole)" = "active 0 up_to_date"
# The import queued a crawl before ours: two crawls so far.
check "a mirror without a package is partial (not a failure)" test "$(state nopkg)" = "active 0 partial"
check "... naming the package and why" test "$(cerror nopkg)" = "$ptwo: HTTP status 404"
check "a mirror without the primary file is partial" test "$(state noprimary)" = "active 0 partial"
check "... naming it" test "$(cerror noprimary)" = "$primary: HTTP status 404"
check "a package of another size is partial" test "$(state resized)" = "active 0 partial"
check "... with both sizes" bash -c '[[ "$1" == "$2: 100 bytes, the publish has "[0-9]* ]]' _ "$(cerror resized)" "$pthree"
check "the never-published repomd.xml: stale, two failed crawls" test "$(state never)" = "active 2 stale"
q mirror show nopkg.example.org >show.txt
check "mirror show counts the partial check" grep -qx "checks: 0 up to date, 0 lagging, 0 stale, 1 partial, 0 unreachable" show.txt
q crawl >crawl.txt
check "quarry crawl prints the partial count" grep -q " 3 partial, " crawl.txt

# --- the metalink: partial mirrors are not listed ---
code=$(req GET "$ML")
check "metalink answers 200" test "$code" = 200
check "the whole mirror is listed" grep -q "127.0.0.1:${P[whole]}/" "$T/body"
for m in nopkg noprimary resized never; do
	lacks "the $m mirror is not listed" "$T/body" "127.0.0.1:${P[$m]}/"
done
cat >ml.repo <<REPO
[sig-mc-common-9]
name=mc common (metalink)
metalink=$ML
gpgcheck=0
repo_gpgcheck=1
gpgkey=file://$T/key.asc
REPO
: >whole.log
check "dnf installs the package the partial mirror lacks" dnf_install ml.repo ptwo
check "from the whole mirror" grep -q "GET /$REL/Packages/ptwo-" whole.log
check "the crawler HEADs packages on the partial mirror" grep -q "HEAD /$REL/Packages/" nopkg.log
lacks "dnf did not ask the partial mirror for any" nopkg.log "GET /$REL/Packages/"

# --- the never-published repomd.xml: the third failed crawl disables ---
check "the third crawl: disabled" test "$(state never)" = "disabled 3 stale"
q mirror show never.example.org --json >never.json
check "with the reason: never published, path and hash" test "$(jget 'd["reason"]' never.json)" = "3 failed crawls in a row: serves a repomd.xml that was never published: $REL/repodata/repomd.xml sha256 $never_sha"
check "the crawl said so" grep -qx "disabled: never.example.org" crawl.txt
check "the partial mirrors are still active" test "$(state nopkg | cut -d' ' -f1,2)" = "active 0"

# --- mirrors that catch up ---
cp -a "$DATA/pub/$REL/." "mirrors/never/$REL/"
cp -a "$DATA/pub/$REL/." "mirrors/nopkg/$REL/"
q crawl >crawl2.txt
check "a whole crawl enables the mirror again" grep -qx "enabled again: never.example.org" crawl2.txt
check "it is active, up to date, no failures" test "$(state never)" = "active 0 up_to_date"
check "the synced partial mirror is up to date" test "$(state nopkg)" = "active 0 up_to_date"
req GET "$ML" >/dev/null
check "and listed again" grep -q "127.0.0.1:${P[nopkg]}/" "$T/body"

finish
