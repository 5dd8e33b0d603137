#!/bin/bash
# t0611-publish-crawl: after a publish the hub crawls that repo's mirrors by
# itself (no `quarry crawl`), mirror.publish_crawl_delay later, then again
# with a doubling delay until every mirror serves it. Two local mirrors
# (nginx) and two repos: publishes of both in a row are checked by one
# crawl; the upload answers before any such crawl starts; the first crawl
# sees the mirrors lagging; once they are synced a later one sees them up
# to date, the metalink lists them, and no further post-publish crawl
# comes. A crawl after a publish checks only the published repo/arch and
# does not count failures: a mirror that is down is not disabled by them.
# No repo is named `common`: the SIG's release package, built in the
# background into that repo, would publish at a moment of its own.
. "$(dirname "$0")/lib.sh"

start_hub "[build]
embedded_worker = false
[mirror]
crawl_interval = 0
publish_crawl_delay = 3s
max_failures = 3
[geoip]
tor_v4 =
tor_v6 ="
test_cleanup() { stop_mirrors; }
q sig create mc --short-name mc --title "Messaging" --purpose "tests" >/dev/null
q project create mc/el9 --major 9 --variant 1 --arch x86_64 >/dev/null
q repo create mc/el9/core --arch x86_64 --channel candidate >/dev/null
q repo create mc/el9/extras --arch x86_64 --channel candidate >/dev/null
q upload mc/el9/core "$(make_rpm pc 1.0 1.el9.mc noarch)" >/dev/null 2>&1
q upload mc/el9/extras "$(make_rpm pe 1.0 1.el9.mc noarch)" >/dev/null 2>&1

declare -A P
for m in m1 m2 down; do P[$m]=$(free_port); done
for m in m1 m2; do
	sync_mirror "$m"
	serve_mirror "$m" "${P[$m]}"
done
mkdir mirrors.d
mkdef() { # mkdef NAME
	cat >"mirrors.d/$1.yml" <<YML
name: $1.example.org
address:
  http: http://127.0.0.1:${P[$1]}/
update_frequency: 1h
sponsor: Test
sponsor_url: https://example.org/
geolocation: {country: SE}
YML
}
mkdef m1
mkdef m2
check "import two mirrors" q mirror import mirrors.d
q crawl >/dev/null

# probe.py: the API in one process (polling without a process per poll).
#   crawls [BY]            one line per crawl (requested by BY, or every one):
#                          "ID BY STATE CREATED STARTED REPO/ARCH:FRESH/CHECKED,…"
#   wait SECONDS M:REPO=STATE…   until each mirror's check of REPO is in STATE
#   crawled SECONDS BY N   until at least N crawls requested by BY are done
cat >probe.py <<'PY'
import calendar, json, os, sys, time, urllib.error, urllib.request
hub = os.environ["QUARRY_HUB"] + "/api/v1/"
def get(path):
    try:
        with urllib.request.urlopen(hub + path) as r:
            return json.load(r)
    except urllib.error.HTTPError:
        return None
def epoch(t):
    return calendar.timegm(time.strptime(t, "%Y-%m-%dT%H:%M:%SZ")) if isinstance(t, str) else (t or 0)
def crawls(by=""):
    out, i = [], 1
    while True:
        d = get("crawls/%d" % i)
        if d is None:
            return out
        if not by or d["requested_by"] == by:
            repos = ",".join("%s/%s:%s/%s" % (r["repo"], r["arch"], r["up_to_date"], r["mirrors"])
                             for r in d.get("summary", {}).get("repos", []))
            out.append("%s %s %s %d %d %s" % (d["id"], d["requested_by"], d["state"],
                       epoch(d.get("created")), epoch(d.get("started")), repos or "-"))
        i += 1
def state(m, repo):
    d = get("mirrors/%s.example.org" % m) or {}
    return " ".join(c["state"] for c in d.get("checks", []) if c["repo"] == repo) or "unchecked"
cmd, args = sys.argv[1], sys.argv[2:]
if cmd == "crawls":
    print("\n".join(crawls(*args[:1])))
    sys.exit(0)
end = time.time() + float(args[0])
while True:
    if cmd == "wait":
        got = [a for a in args[1:] if state(*a.split("=")[0].split(":")) != a.split("=")[1]]
        if not got:
            sys.exit(0)
    else:
        got = [c for c in crawls(args[1]) if " done " in c]
        if len(got) >= int(args[2]):
            sys.exit(0)
    if time.time() > end:
        print("still not:", got)
        sys.exit(1)
    time.sleep(0.2)
PY
crawls() { python3 probe.py crawls "$@"; }
npub() { crawls publish | grep -c . || true; }
# since ID: the post-publish crawls after crawl ID (times have seconds only,
# and the first publishes' crawl may be queued in the second of t0)
since() { crawls publish | awk -v id="$1" '$1 > id'; }
lastid() { crawls | awk '$1 > m { m = $1 } END { print m + 0 }'; }
check "the first publishes had their post-publish crawls" python3 probe.py crawled 15 publish 1

# --- two publishes in a row, on no mirror yet ---
pc2=$(make_rpm pc 2.0 1.el9.mc noarch)
pe2=$(make_rpm pe 2.0 1.el9.mc noarch)
c0=$(lastid)
t0=$(date +%s)
q upload mc/el9/core "$pc2" >/dev/null 2>&1
t1=$(date +%s)
q upload mc/el9/extras "$pe2" >/dev/null 2>&1
check "within seconds, a crawl by itself sees the mirrors lagging" python3 probe.py wait 20 \
	m1:sig-mc-core-9=lagging m2:sig-mc-core-9=lagging m1:sig-mc-extras-9=lagging m2:sig-mc-extras-9=lagging
since "$c0" >pub1.txt
check "it was a crawl requested by the publish" test "$(grep -c . pub1.txt)" -ge 1
created=$(head -n1 pub1.txt | cut -d' ' -f4)
check "queued after the first upload had answered ($t1 <= $created): publishing did not wait for it" test "$created" -ge "$t1"
check "which checked both repos at once" grep -Eq "^[0-9]+ publish done [0-9]+ [0-9]+ (sig-mc-core-9/x86_64:0/2,sig-mc-extras-9/x86_64:0/2|sig-mc-extras-9/x86_64:0/2,sig-mc-core-9/x86_64:0/2)$" pub1.txt
first=$(head -n1 pub1.txt | cut -d' ' -f5)
check "no sooner than the delay after the publish" test "$first" -ge $((t0 + 3))

# --- the mirrors sync: a later crawl (after a longer delay) sees them ---
sync_mirror m1
sync_mirror m2
check "a later post-publish crawl sees both mirrors up to date" python3 probe.py wait 20 \
	m1:sig-mc-core-9=up_to_date m2:sig-mc-core-9=up_to_date m1:sig-mc-extras-9=up_to_date m2:sig-mc-extras-9=up_to_date
since "$c0" >pub2.txt
n2=$(grep -c . pub2.txt || true)
check "that is a second post-publish crawl" test "$n2" -ge 2
s1=$(sed -n 1p pub2.txt | cut -d' ' -f5)
s2=$(sed -n 2p pub2.txt | cut -d' ' -f5)
check "started twice the delay after the first ($s1, $s2)" test $((s2 - s1)) -ge 5
check "it found every mirror up to date" bash -c "tail -n1 pub2.txt | grep -q 'sig-mc-core-9/x86_64:2/2'"
req GET "$QUARRY_HUB/metalink?repo=sig-mc-core-9&arch=x86_64" >/dev/null
check "the metalink lists the mirror" grep -q ":${P[m1]}/" "$T/body"
sleep 13
check "no post-publish crawl after every mirror had it" test "$(since "$c0" | grep -c .)" = "$n2"

# --- a mirror that is down: the post-publish crawls do not disable it ---
mkdef down
rm mirrors.d/m1.yml mirrors.d/m2.yml
q mirror import mirrors.d >/dev/null 2>&1
q crawl --mirror down.example.org >/dev/null
q mirror show down.example.org --json >down1.json
check "the down mirror has one failure left before it is disabled" test "$(jget '"%s %s" % (d["state"], d["failures"])' down1.json)" = "active 2"
before=$(npub)
q upload mc/el9/core "$(make_rpm pc 3.0 1.el9.mc noarch)" >/dev/null 2>&1
sync_mirror m1
sync_mirror m2
check "two post-publish crawls follow (the down mirror never has it)" python3 probe.py crawled 20 publish $((before + 2))
q mirror show down.example.org --json >down2.json
check "the down mirror is still active, its failures not counted" test "$(jget '"%s %s" % (d["state"], d["failures"])' down2.json)" = "active 2"
crawls publish | tail -n1 >pub3.txt
check "the post-publish crawl checked only the published repo" grep -q " sig-mc-core-9/x86_64:2/3$" pub3.txt
finish
