#!/bin/bash
# t0631-update-propagation: which mirrors carry an update. An update enters
# testing; four local mirrors sync one by one between crawls. `GET
# /updates/ID` ("propagation") and `quarry update show` give, for the repo
# and arch it is in, the publish that first held it, how many of the active
# mirrors checked hold it (a partial mirror does not), since when each, and
# the seconds until 50% and 90% of them had it (null before). Disabling a
# mirror takes it out of the denominator; once released, the release repo
# is the one followed.
. "$(dirname "$0")/lib.sh"

start_hub "[build]
worker_slots = 3
[mirror]
crawl_interval = 0
max_failures = 100
[geoip]
tor_v4 =
tor_v6 ="
q sig create mc --short-name mc --title "Messaging" --purpose "tests" >/dev/null
q project create mc/el9 --major 9 --variant 1 --arch x86_64 >/dev/null
q repo create mc/el9/cand --arch x86_64 --channel candidate >/dev/null
q repo create mc/el9/rel --arch x86_64 --channel release >/dev/null
q policy set mc/el9 --checks "" --auto-testing false --testing-days 0 \
	--lead-approval false >/dev/null
TREL=sig/9/mc/x86_64/rel-testing
PKG_ARCH=noarch make_git_pkg "$T/g-a" prop-a 1.0 1
B=$(q build mc/el9 "$T/g-a#r9-sig-mc-1" --json | jget 'd["id"]' /dev/stdin)
check "the build completes" test "$(wait_build "$B")" = complete
U=$(q update create mc/el9 rel "$B" --json | jget 'd["id"]' /dev/stdin)

SERVERS=()
test_cleanup() { for p in "${SERVERS[@]}"; do kill "$p" 2>/dev/null; done; }
declare -A P
mkdir mirrors.d
for m in m1 m2 m3 m4; do
	P[$m]=$(free_port)
	mkdir -p "mirrors/$m"
	python3 -m http.server --bind 127.0.0.1 --directory "mirrors/$m" "${P[$m]}" >"$m.log" 2>&1 &
	SERVERS+=($!)
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
for m in m1 m2 m3 m4; do
	for _ in $(seq 50); do curl -fs "http://127.0.0.1:${P[$m]}/" >/dev/null && break; sleep 0.1; done
done
check "import four mirrors" q mirror import mirrors.d
sync_mirror() { cp -a "$DATA/pub/." "mirrors/$1/"; }
prop() { # prop: the propagation of U into prop.json
	api GET "updates/$U" >/dev/null
	python3 -c 'import json, sys; json.dump(json.load(open(sys.argv[1])).get("propagation"), sys.stdout)' "$T/body" >prop.json
}
# The row of the repo it is in: repo, arch, holding/mirrors, 50%, 90%.
row() { jget '" ".join(str(x) for x in [d[0]["repo"], d[0]["arch"], "%s/%s" % (d[0]["holding"], d[0]["mirrors"]), d[0]["time_to_50"], d[0]["time_to_90"]])' prop.json; }
holders() { jget '" ".join(h["mirror"] for h in d[0]["holders"])' prop.json; }

prop
check "a candidate update is in no repo: no propagation rows" test "$(jget 'len(d)' prop.json)" = 0

# --- testing: nobody has it ---
check "promote to testing" q promote "$U" --to testing
q crawl >/dev/null
prop
check "in testing: one row, no mirror holds it" test "$(row)" = "sig-mc-rel-testing-9 x86_64 0/4 None None"
pub_sha=$(sha256sum "$DATA/pub/$TREL/repodata/repomd.xml" | cut -d' ' -f1)
check "the publish that first held it" test "$(jget 'd[0]["publish"]["sha256"]' prop.json)" = "$pub_sha"
check "its time, ISO" grep -Eq '"time": "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z"' prop.json

# --- mirrors sync one by one ---
sync_mirror m1
sleep 1.1
q crawl >/dev/null
prop
check "one of four: 50% not reached" test "$(row)" = "sig-mc-rel-testing-9 x86_64 1/4 None None"
sync_mirror m2
sync_mirror m4
rm "mirrors/m4/$TREL/Packages/"prop-a-*.rpm # half synced: partial
sleep 1.1
q crawl >/dev/null
prop
check "two of four (the partial one does not count)" test "$(row | cut -d' ' -f1-3)" = "sig-mc-rel-testing-9 x86_64 2/4"
check "holders in the order they got it" test "$(holders)" = "m1.example.org m2.example.org"
check "50% is the second holder's time since the publish" python3 - prop.json <<'PY'
import json, sys, datetime
d = json.load(open(sys.argv[1]))[0]
t = lambda s: datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").timestamp()
s1, s2 = (t(h["since"]) for h in d["holders"])
assert s1 < s2, (s1, s2)
assert d["time_to_50"] == s2 - t(d["publish"]["time"]) and d["time_to_50"] >= 1, d
assert d["time_to_90"] is None, d
PY
sync_mirror m3
sync_mirror m4
sleep 1.1
q crawl >/dev/null
prop
check "all four hold it" test "$(row | cut -d' ' -f1-3)" = "sig-mc-rel-testing-9 x86_64 4/4"
check "90% is the last holder's time, later than 50%" python3 - prop.json <<'PY'
import json, sys, datetime
d = json.load(open(sys.argv[1]))[0]
t = lambda s: datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").timestamp()
since = [t(h["since"]) for h in d["holders"]]
assert since == sorted(since) and len(since) == 4, since
assert d["time_to_90"] == since[3] - t(d["publish"]["time"]), d
assert d["time_to_90"] > d["time_to_50"], d
PY
q update show "$U" >show.txt
check "update show has the section" grep -q "^mirrors holding it" show.txt
check "... with the row" grep -Eq "^sig-mc-rel-testing-9 +x86_64 +[0-9-]+T[0-9:]+Z +4/4 +[0-9]+s +[0-9]+s *$" show.txt

# --- the denominator: active mirrors ---
q mirror disable m3.example.org >/dev/null
prop
check "a disabled mirror leaves the denominator" test "$(row | cut -d' ' -f3)" = "3/3"

# --- released: the release repo is followed ---
check "released" q promote "$U" --to release
q crawl >/dev/null
prop
check "the release repo, nobody has it yet" test "$(row | cut -d' ' -f1-3)" = "sig-mc-rel-9 x86_64 0/3"
sync_mirror m1
q crawl >/dev/null
prop
check "one mirror synced the release" test "$(row | cut -d' ' -f1-3)" = "sig-mc-rel-9 x86_64 1/3"

finish
