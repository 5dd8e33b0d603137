#!/bin/bash
# t0160-mirrors-dnf: the crawler and the metalink with real mirrors.
# Six mirrors are local HTTP servers holding copies of the hub's /pub taken
# at different times. `quarry crawl` finds each one's state; the metalink
# lists the subnet mirror first, the others after it, never the stale one or
# the unreachable one, the master last. dnf, through metalink=, installs
# from a good mirror when the first-listed one has gone stale since the
# crawl, and accepts a mirror one publish behind (an alternate). A mirror
# that stays unreachable is disabled after mirror.max_failures crawls and
# enabled again when it answers. An IPv6-only mirror is listed only for
# IPv6 clients. `quarry mirrorlist --snapshot` answers the same from the
# hub's snapshot file and picks up a new publish by itself.
# X-Forwarded-For counts only from a trusted proxy.
. "$(dirname "$0")/lib.sh"

start_hub "[build]
embedded_worker = false
[mirror]
crawl_interval = 0
max_failures = 3
trusted_proxies = 127.0.0.1
[geoip]
tor_v4 =
tor_v6 ="
q sig create mc --short-name mc --title "Messaging" --purpose "tests" >/dev/null
q project create mc/el9 --major 9 --variant 1 --arch x86_64 >/dev/null
q repo create mc/el9/common --arch x86_64 --channel candidate >/dev/null
curl -fsS -o key.asc "$QUARRY_HUB/api/v1/sigs/mc/key"
REL=sig/9/mc/x86_64/common
REPODATA=$DATA/pub/$REL/repodata
ML="$QUARRY_HUB/metalink?repo=sig-mc-common-9&arch=x86_64"

# Publish 1 (mone), copied for the lagging mirror; publish 2 (mtwo) for the others.
q upload mc/el9/common "$(make_rpm mone 1.0 1.el9.mc noarch)" >/dev/null 2>&1
mkdir -p mirrors/lagging && cp -a "$DATA/pub/." mirrors/lagging/
q upload mc/el9/common "$(make_rpm mtwo 1.0 1.el9.mc noarch)" >/dev/null 2>&1
for m in first good never v6; do
	mkdir -p "mirrors/$m" && cp -a "$DATA/pub/." "mirrors/$m/"
done
# "never": a repomd.xml that was never published (one byte more).
echo "<!-- not ours -->" >>"mirrors/never/$REL/repodata/repomd.xml"
newest=$(sha256sum "$REPODATA/repomd.xml" | cut -d' ' -f1)

SERVERS=()
serve() { # serve NAME BIND PORT: a python http.server over mirrors/NAME, log in NAME.log
	python3 -m http.server --bind "$2" --directory "mirrors/$1" "$3" >"$1.log" 2>&1 &
	SERVERS+=($!)
}
test_cleanup() { for p in "${SERVERS[@]}"; do kill "$p" 2>/dev/null; done; }
declare -A P
for m in first good lagging never down v6; do P[$m]=$(free_port); done
serve first 127.0.0.1 "${P[first]}"
serve good 127.0.0.1 "${P[good]}"
serve lagging 127.0.0.1 "${P[lagging]}"
serve never 127.0.0.1 "${P[never]}"
serve v6 ::1 "${P[v6]}"
# "down" has no server yet.
for m in first good lagging never; do
	for _ in $(seq 50); do curl -fs "http://127.0.0.1:${P[$m]}/" >/dev/null && break; sleep 0.1; done
done
for _ in $(seq 50); do curl -fs "http://[::1]:${P[v6]}/" >/dev/null && break; sleep 0.1; done

mkdir mirrors.d
mkdef() { # mkdef NAME URL [EXTRA YAML]
	cat >"mirrors.d/$1.yml" <<YML
name: $1
address:
  http: $2
update_frequency: 1h
sponsor: Test
sponsor_url: https://example.org/
geolocation: {country: SE}
${3:-}
YML
}
mkdef first.example.org "http://127.0.0.1:${P[first]}/" "subnets: ['127.0.0.0/8']"
mkdef good.example.org "http://127.0.0.1:${P[good]}/"
mkdef lagging.example.org "http://127.0.0.1:${P[lagging]}/"
mkdef never.example.org "http://127.0.0.1:${P[never]}/"
mkdef down.example.org "http://127.0.0.1:${P[down]}/"
mkdef v6.example.org "http://[::1]:${P[v6]}/"
check "import six mirrors" q mirror import mirrors.d

state() { q mirror show "$1" --json | python3 -c 'import json, sys
m = json.load(sys.stdin)
c = [x for x in m.get("checks", []) if x["repo"] == "sig-mc-common-9"]
print(m["state"], c[0]["state"] if c else "unchecked")'; }

# --- the crawl ---
q crawl --json >crawl.json
check "the crawl is done" test "$(jget 'd["state"]' crawl.json)" = done
check "it checked six mirrors" test "$(jget 'd["summary"]["mirrors"]' crawl.json)" = 6
check "it checked the master: up to date" test "$(jget 'd["summary"]["master"]["sig-mc-common-9/x86_64"]' crawl.json)" = up_to_date
for want in "first.example.org active up_to_date" "good.example.org active up_to_date" \
	"lagging.example.org active lagging" "never.example.org active stale" \
	"down.example.org active unreachable" "v6.example.org active up_to_date"; do
	set -- $want
	got=$(state "$1")
	[ "$got" = "$2 $3" ] && ok "$1: $2 $3" || { fail "$1: $2 $3 (got $got)"; }
done
q mirror show v6.example.org --json >v6.json
check "the IPv6-only mirror: reached over IPv6, not IPv4" test "$(jget '[d["ipv4"], d["ipv6"]]' v6.json)" = "[0, 1]"
q mirror show good.example.org --json >good.json
check "an IPv4 mirror: reached over IPv4" test "$(jget '[d["ipv4"], d["ipv6"]]' good.json)" = "[1, 0]"
q mirror show never.example.org --json >never.json
check "a stale check says why" grep -q 'neither the newest publish nor an alternate' never.json

# --- the metalink: order and membership ---
urls() { python3 - "$T/body" <<'PY'
import sys, xml.etree.ElementTree as ET
ns = {"m": "http://www.metalinker.org/"}
root = ET.parse(sys.argv[1]).getroot()
print("\n".join(u.text for u in root.findall("m:files/m:file/m:resources/m:url", ns)))
PY
}
code=$(req GET "$ML")
check "metalink answers 200" test "$code" = 200
urls >ml.txt
check "the subnet mirror is first" bash -c "head -n1 ml.txt | grep -q ':${P[first]}/'"
check "the master is last" bash -c "tail -n1 ml.txt | grep -qF '$QUARRY_HUB/pub/$REL/repodata/repomd.xml'"
check "the good mirror is listed" grep -q ":${P[good]}/" ml.txt
check "the lagging mirror is listed (an alternate)" grep -q ":${P[lagging]}/" ml.txt
lacks "the stale mirror is never listed" ml.txt ":${P[never]}/"
lacks "the unreachable mirror is not listed" ml.txt ":${P[down]}/"
lacks "an IPv4 client does not get the IPv6-only mirror" ml.txt ":${P[v6]}/"
check "the URLs are repodata/repomd.xml of /pub's copy" grep -q "^http://127.0.0.1:${P[good]}/$REL/repodata/repomd.xml$" ml.txt
req GET "$ML&ip=::1" >/dev/null
urls >ml6.txt
check "an IPv6 client gets the IPv6 mirror" grep -q "\[::1\]:${P[v6]}/" ml6.txt
lacks "an IPv6 client gets no IPv4-only mirror" ml6.txt "127.0.0.1:${P[good]}/"
req GET "$QUARRY_HUB/mirrorlist?repo=sig-mc-common-9&arch=x86_64" >/dev/null
check "the mirrorlist lists repo directories, master last" bash -c "grep -v '^#' '$T/body' | tail -n1 | grep -qx '$QUARRY_HUB/pub/$REL/'"

# --- dnf: the first-listed mirror went stale after the crawl ---
cat >ml.repo <<REPO
[sig-mc-common-9]
name=mc common (metalink)
metalink=$ML
gpgcheck=0
repo_gpgcheck=1
gpgkey=file://$T/key.asc
REPO
echo "<!-- changed after the crawl -->" >>"mirrors/first/$REL/repodata/repomd.xml"
: >first.log
check "dnf installs with the first mirror stale" dnf_install ml.repo mtwo
check "dnf did try the first mirror" grep -q "GET /$REL/repodata/repomd.xml" first.log
check "and read repomd.xml from a good one" bash -c "cat good.log lagging.log | grep -q 'GET /$REL/repodata/repomd.xml'"

# --- dnf: a mirror one publish behind is accepted ---
q mirror disable first.example.org >/dev/null
q mirror disable good.example.org >/dev/null
req GET "$ML" >/dev/null
urls >ml2.txt
lacks "a disabled mirror is gone from the next metalink" ml2.txt ":${P[good]}/"
check "the lagging mirror now comes first" bash -c "head -n1 ml2.txt | grep -q ':${P[lagging]}/'"
: >lagging.log
check "dnf installs from the lagging mirror" dnf_install ml.repo mone
check "it fetched repomd.xml and the package from it" bash -c "grep -q 'GET /$REL/repodata/repomd.xml' lagging.log && grep -q 'GET /$REL/Packages/.*mone-1.0' lagging.log"
q mirror enable good.example.org >/dev/null

# --- failures disable, success enables ---
# The import queued a crawl, then `quarry crawl`: two failures so far.
q crawl --mirror down.example.org >/dev/null
got=$(state down.example.org)
check "after three failed crawls the mirror is disabled" test "$got" = "disabled unreachable"
q mirror show down.example.org --json >down.json
check "with the reason" bash -c "grep -q 'failed crawls in a row' down.json"
mkdir -p mirrors/down && cp -a "$DATA/pub/." mirrors/down/
serve down 127.0.0.1 "${P[down]}"
for _ in $(seq 50); do curl -fs "http://127.0.0.1:${P[down]}/" >/dev/null && break; sleep 0.1; done
q crawl >crawl2.txt
check "the crawl says it enabled the mirror again" grep -q "enabled again: down.example.org" crawl2.txt
check "it is active and up to date" test "$(state down.example.org)" = "active up_to_date"
check "an admin's disable is not undone by a crawl" test "$(state first.example.org | cut -d' ' -f1)" = disabled

# --- propagation ---
# The mirror serving a repomd.xml never published failed each crawl too: the
# third disabled it. Enabled again by hand, it is counted (as stale).
check "the never-published mirror was disabled by its crawls" test "$(state never.example.org)" = "disabled stale"
q mirror enable never.example.org >/dev/null
api GET propagation >/dev/null
check "propagation: mirrors with the newest" test "$(jget '[r["up_to_date"] for r in d["repos"] if r["repo"] == "sig-mc-common-9"][0]')" -ge 3
check "propagation: the stale one counted" test "$(jget '[r["stale"] for r in d["repos"] if r["repo"] == "sig-mc-common-9"][0]')" = 1
check "propagation: the newest hash" test "$(jget '[r["newest_sha256"] for r in d["repos"]][0]')" = "$newest"
check "quarry mirror propagation prints a table" bash -c "\"\$QUARRY_BIN\" mirror propagation | grep -q '^sig-mc-common-9 '"

# --- a publish: visible at once; mirrors holding the previous one stay listed ---
q upload mc/el9/common "$(make_rpm mthree 1.0 1.el9.mc noarch)" >/dev/null 2>&1
newer=$(sha256sum "$REPODATA/repomd.xml" | cut -d' ' -f1)
req GET "$ML" >/dev/null
check "the next metalink's main hash is the new publish" grep -q "<hash type=\"sha256\">$newer</hash>" "$T/body"
urls >ml3.txt
check "the mirror that had the newest is still listed (now an alternate)" grep -q ":${P[good]}/" ml3.txt

# --- trusted proxies ---
req GET "$QUARRY_HUB/mirrorlist?repo=sig-mc-common-9&arch=x86_64" -H "X-Forwarded-For: 203.0.113.9, 127.0.0.1" >/dev/null
check "X-Forwarded-For from a trusted peer names the client" grep -q "client = 203.0.113.9" "$T/body"

# --- the standalone service ---
SP=$(free_port)
cat >ml.ini <<INI
[geoip]
tor_v4 =
tor_v6 =
INI
"$QUARRY_BIN" mirrorlist --snapshot "$DATA/mirror-snapshot.json" -c ml.ini --listen "127.0.0.1:$SP" >ml.log 2>&1 &
SERVERS+=($!)
for _ in $(seq 50); do curl -fs "http://127.0.0.1:$SP/healthz" >/dev/null && break; sleep 0.1; done
SML="http://127.0.0.1:$SP/metalink?repo=sig-mc-common-9&arch=x86_64"
code=$(req GET "$SML")
check "the standalone service answers" test "$code" = 200
check "with the same newest publish" grep -q "<hash type=\"sha256\">$newer</hash>" "$T/body"
req GET "http://127.0.0.1:$SP/mirrorlist?repo=sig-mc-common-9&arch=x86_64" -H "X-Forwarded-For: 203.0.113.9" >/dev/null
check "an untrusted peer's X-Forwarded-For is ignored" grep -q "client = 127.0.0.1" "$T/body"
q upload mc/el9/common "$(make_rpm mfour 1.0 1.el9.mc noarch)" >/dev/null 2>&1
newest4=$(sha256sum "$REPODATA/repomd.xml" | cut -d' ' -f1)
seen=0
for _ in $(seq 50); do
	req GET "$SML" >/dev/null
	if grep -q "<hash type=\"sha256\">$newest4</hash>" "$T/body"; then seen=1; break; fi
	sleep 0.1
done
check "it reloads the snapshot after a publish" test "$seen" = 1
cat >sml.repo <<REPO
[sig-mc-common-9]
name=mc common (standalone metalink)
metalink=$SML
gpgcheck=0
repo_gpgcheck=1
gpgkey=file://$T/key.asc
REPO
check "dnf installs through the standalone service (from a mirror)" dnf_install sml.repo mone
code=$(req GET "http://127.0.0.1:$SP/metalink?repo=sig-mc-common-9&arch=x86_64&country=%zz")
check "the standalone service refuses a bad query with 400" test "$code" = 400
echo "{ not json" >broken.json
expect_fail 1 "broken\.json:1" timeout 20 "$QUARRY_BIN" mirrorlist --snapshot "$T/broken.json" --listen "127.0.0.1:$(free_port)"
finish
