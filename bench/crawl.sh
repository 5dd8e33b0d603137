#!/bin/bash
# bench/crawl.sh: a real hub crawl of 1,000 mirrors × 4 repos against curl
# fetching the same 4,000 URLs, in one run (not a test; prints figures).
#
#  Setup: a hub (no embedded worker; [mirror] crawl_interval = 0 so no
#  scheduled crawl interferes, crawl_parallel = 64, crawl_per_host = 4)
#  with one SIG, one project (x86_64, aarch64) and two repos on both
#  arches, each with one published noarch package: 4 repo/arch pairs. One
#  nginx on 127.0.0.1 plays the 1,000 mirrors: mirror NNNN is
#  http://127.0.0.1:PORT/mNNNN/, a symlink to the hub's DATA/pub. The
#  1,000 mirrors.d files are imported (all active). RSYNC_MIRRORS more
#  (default 50) offer only rsync: one `rsync --daemon` on 127.0.0.1 with a
#  module rNNNN per mirror (each DATA/pub), crawled with the rsync client
#  (mirror/crawl_rsync.c): each repomd.xml fetched into a temporary
#  directory and hashed, 64 clients at once, at the same time as the
#  libcurl side.
#  quarry: `quarry crawl`, timed with the wall clock around the command a
#  user runs: the CLI's start and request, the hub's crawler thread
#  (libcurl multi, 64 at once, at most 4 per mirror; each repomd.xml hashed
#  and checked against the publish history; the 4,004 results (the
#  master's 4 too) stored in one transaction; then the snapshot rebuilt),
#  and the CLI's polling of the crawl's state (every 20 ms for the first
#  2 s, then every 200 ms) until it is done. The crawl's own "seconds"
#  (from the database queries to the commit, without the snapshot rebuild
#  and the CLI) is printed for information only. There are no IPv6 probes:
#  127.0.0.1 is an address literal.
#  reference: `curl --parallel --parallel-max 64 --parallel-immediate` over
#  the same 4,000 mirror URLs (a -K config of url/output lines), bodies to
#  /dev/null, every status checked to be 200, and at the same time
#  `xargs -P 64` running `rsync --no-motd URL FILE` over the same rsync
#  URLs (every exit status checked), timed with the same wall clock around
#  both. The crawler also checks the files beside every up-to-date
#  repomd.xml (every file it names, repomd.xml.asc and up to 5 packages:
#  HEADs over http, one `rsync --list-only --files-from` per rsync repo), so
#  the reference does the same: curl HEADs those files (a second curl
#  --parallel, after the GETs, 64 at once) and each rsync job lists them
#  after its fetch.
#  Each figure is the median of RUNS runs (default 5), taken alternately.
#  Target: quarry within 1.5× curl's time.
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
. "$SRC/bench/lib/common.sh"
Q=${QUARRY_BIN:-$SRC/build/quarry}
MIRRORS=${MIRRORS:-1000}
RSYNC_MIRRORS=${RSYNC_MIRRORS:-50}
RUNS=${RUNS:-5}
WORKERS=${WORKERS:-$(nproc)}
for tool in nginx curl python3 bc rpmbuild rsync; do
	command -v "$tool" >/dev/null || { echo "bench: $tool is missing (scripts/install-deps.sh)"; exit 1; }
done
if [ ! -x "$Q" ]; then
	echo "== building quarry"
	cmake -S "$SRC" -B "$SRC/build" >/dev/null && cmake --build "$SRC/build" -j"$(nproc)" >/dev/null
fi
[ -x "$Q" ] || { echo "bench: no quarry binary at $Q"; exit 1; }
W=$(mktemp -d /tmp/quarry-bench-crawl.XXXXXX)
HUB_PID=
cleanup() {
	set +e
	[ -n "$HUB_PID" ] && kill "$HUB_PID" 2>/dev/null && wait "$HUB_PID" 2>/dev/null
	[ -n "${RSYNCD_PID:-}" ] && kill "$RSYNCD_PID" 2>/dev/null && wait "$RSYNCD_PID" 2>/dev/null
	stop_nginx
	gpgconf --homedir "$W/data/keys" --kill all 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT
cd "$W"
# The client must not pick up the user's own configuration.
unset QUARRY_HUB QUARRY_TOKEN QUARRY_CLIENT_CONFIG
export HOME=$W/home
mkdir -p "$HOME"
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

echo "== a hub with 4 published repo/arch pairs"
PORT=$(free_port)
cat >hub.ini <<INI
[hub]
listen = 127.0.0.1:$PORT
data_dir = $W/data
public_url = http://127.0.0.1:$PORT
[signing]
key_algo = rsa2048
[build]
embedded_worker = false
[mirror]
crawl_interval = 0
crawl_parallel = 64
crawl_per_host = 4
[log]
level = warn
INI
export QUARRY_HUB=http://127.0.0.1:$PORT
QUARRY_TOKEN=$("$Q" init -c hub.ini 2>init.log) || { cat init.log; exit 1; }
export QUARRY_TOKEN
"$Q" hub -c hub.ini >hub.log 2>&1 &
HUB_PID=$!
wait_http "$QUARRY_HUB/healthz" "$HUB_PID" || { tail hub.log; exit 1; }
"$Q" sig create bench --short-name bench --title Bench --purpose benchmark >/dev/null
"$Q" project create bench/el9 --major 9 --variant 1 --arch x86_64,aarch64 >/dev/null
mkdir -p rpmbuild/SPECS
for repo in main extras; do
	"$Q" repo create "bench/el9/$repo" --arch x86_64,aarch64 --channel candidate >/dev/null
	cat >"rpmbuild/SPECS/crawl-$repo.spec" <<SPEC
Name: crawl-$repo
Version: 1.0
Release: 1.el9.bench
Summary: a package for the crawl benchmark
License: MIT
BuildArch: noarch
%description
A package for Quarry's crawl benchmark.
%install
mkdir -p %{buildroot}/usr/share/crawl-$repo && echo $repo > %{buildroot}/usr/share/crawl-$repo/x
%files
/usr/share/crawl-$repo
SPEC
	rpmbuild -bb --quiet --define "_topdir $W/rpmbuild" "rpmbuild/SPECS/crawl-$repo.spec" >rpmbuild.log 2>&1 ||
		{ cat rpmbuild.log; exit 1; }
	"$Q" upload "bench/el9/$repo" "rpmbuild/RPMS/noarch/crawl-$repo-1.0-1.el9.bench.noarch.rpm" >/dev/null
done
SNAP=$W/data/mirror-snapshot.json
mapfile -t PATHS < <(python3 -c 'import json, sys
for r in json.load(open(sys.argv[1]))["repos"]: print(r["path"])' "$SNAP")
[ "${#PATHS[@]}" -eq 4 ] || { echo "bench: the snapshot lists ${#PATHS[@]} repos, expected 4"; exit 1; }
for p in "${PATHS[@]}"; do
	[ -f "$W/data/pub/${p}repodata/repomd.xml" ] || { echo "bench: $p has no repomd.xml"; exit 1; }
	echo "   $p"
done

echo "== nginx ($WORKERS workers) as $MIRRORS mirrors; their mirrors.d files, imported"
NPORT=$(free_port)
mkdir -p www mirrors.d
for i in $(seq -f '%04g' 1 "$MIRRORS"); do
	ln -s "$W/data/pub" "www/m$i"
	cat >"mirrors.d/m$i.bench.example.yml" <<YML
name: m$i.bench.example
address:
  http: http://127.0.0.1:$NPORT/m$i/
update_frequency: 1h
sponsor: Bench Sponsor $i
sponsor_url: https://bench.example/$i
geolocation:
  country: DE
YML
done
RPORT=$(free_port)
{
	printf 'pid file = %s/rsyncd.pid\nlock file = %s/rsyncd.lock\nlog file = /dev/null\n' "$W" "$W"
	printf 'address = 127.0.0.1\nport = %s\nuse chroot = no\nmax connections = 0\nreverse lookup = no\n' "$RPORT"
	for i in $(seq -f '%04g' 1 "$RSYNC_MIRRORS"); do
		printf '[r%s]\npath = %s/data/pub\nread only = yes\n' "$i" "$W"
		cat >"mirrors.d/r$i.bench.example.yml" <<YML
name: r$i.bench.example
address:
  rsync: rsync://127.0.0.1:$RPORT/r$i/
update_frequency: 1h
sponsor: Bench Sponsor r$i
sponsor_url: https://bench.example/r$i
geolocation:
  country: DE
YML
	done
} >rsyncd.conf
rsync --daemon --no-detach --config="$W/rsyncd.conf" &
RSYNCD_PID=$!
for _ in $(seq 100); do rsync "rsync://127.0.0.1:$RPORT/" >/dev/null 2>&1 && break; sleep 0.05; done
rsync --no-motd --list-only "rsync://127.0.0.1:$RPORT/r0001/${PATHS[0]}repodata/repomd.xml" >/dev/null ||
	{ echo "bench: the rsync daemon does not serve the mirrors"; exit 1; }
start_nginx "$W/nginx" "$NPORT" "$WORKERS" "root $W/www; location / { }"
wait_http "http://127.0.0.1:$NPORT/m0001/${PATHS[0]}repodata/repomd.xml" "$NGINX_PID" ||
	{ cat nginx/logs/*; exit 1; }
"$Q" mirror import mirrors.d >import.log 2>&1 || { head -20 import.log; exit 1; }
active=$("$Q" mirror list --json | python3 -c 'import json, sys
print(sum(m["state"] == "active" for m in json.load(sys.stdin)["mirrors"]))')
[ "$active" -eq $((MIRRORS + RSYNC_MIRRORS)) ] ||
	{ echo "bench: $active active mirrors, expected $((MIRRORS + RSYNC_MIRRORS))"; exit 1; }

# The reference's 4,000 URLs: one url/output pair per transfer.
for i in $(seq -f '%04g' 1 "$MIRRORS"); do
	for p in "${PATHS[@]}"; do
		printf 'url = "http://127.0.0.1:%s/m%s/%srepodata/repomd.xml"\noutput = "/dev/null"\n' "$NPORT" "$i" "$p"
	done
done >urls.cfg
NURLS=$((MIRRORS * ${#PATHS[@]}))
# The files the crawler checks beside each up-to-date repomd.xml (the
# partial check): every file repomd.xml names, repomd.xml.asc and the
# packages (at most 5 are sampled; each repo here holds fewer). One list
# per repo path, relative to it; the reference HEADs (http) or lists
# (rsync) the same files.
mkdir -p files
for k in "${!PATHS[@]}"; do
	python3 - "$W/data/pub/${PATHS[$k]}" >"files/$k.txt" <<'PY'
import os, sys, xml.etree.ElementTree as ET
d = sys.argv[1]
ns = {"r": "http://linux.duke.edu/metadata/repo"}
for loc in ET.parse(os.path.join(d, "repodata/repomd.xml")).getroot().iterfind("r:data/r:location", ns):
    print(loc.get("href"))
if os.path.exists(os.path.join(d, "repodata/repomd.xml.asc")):
    print("repodata/repomd.xml.asc")
for root, _, names in os.walk(os.path.join(d, "Packages")):
    for n in sorted(names)[:5]:
        print(os.path.relpath(os.path.join(root, n), d))
PY
	[ -s "files/$k.txt" ] || { echo "bench: no files listed for ${PATHS[$k]}"; exit 1; }
	tr '\n' '\0' <"files/$k.txt" >"files/$k.0"
done
for i in $(seq -f '%04g' 1 "$MIRRORS"); do
	for k in "${!PATHS[@]}"; do
		while read -r f; do
			printf 'url = "http://127.0.0.1:%s/m%s/%s%s"\noutput = "/dev/null"\n' "$NPORT" "$i" "${PATHS[$k]}" "$f"
		done <"files/$k.txt"
	done
done >heads.cfg
NHEADS=$(grep -c '^url' heads.cfg)
# The rsync side's URLs: "URL FILE" pairs for xargs.
mkdir -p rsync-out
for i in $(seq -f '%04g' 1 "$RSYNC_MIRRORS"); do
	for k in "${!PATHS[@]}"; do
		printf 'rsync://127.0.0.1:%s/r%s/%s %s/rsync-out/r%s-%s %s/files/%s.0\n' "$RPORT" "$i" "${PATHS[$k]}" "$W" "$i" "$k" "$W" "$k"
	done
done >rsync-urls.txt
NRSYNC=$((RSYNC_MIRRORS * ${#PATHS[@]}))

# reference_run: prints its wall time; every status must be 200.
reference_run() {
	local t0 t1 ok
	local rpid rrc=0
	rm -f rsync-out/*
	t0=$(now)
	xargs -P 64 -n 3 sh -c 'rsync --no-motd -q -- "$0repodata/repomd.xml" "$1" &&
		rsync --no-motd --list-only --no-human-readable --copy-links --from0 --files-from="$2" -- "$0" "${1%/*}/" >/dev/null' \
		<rsync-urls.txt 2>rsync.err &
	rpid=$!
	curl --parallel --parallel-max 64 --parallel-immediate -sS --no-progress-meter -K urls.cfg \
		-w '%{http_code}\n' >codes.txt 2>curl.err || { cat curl.err >&2; return 1; }
	curl --parallel --parallel-max 64 --parallel-immediate -sS --no-progress-meter --head -K heads.cfg \
		-w '%{http_code}\n' >>codes.txt 2>curl.err || { cat curl.err >&2; return 1; }
	wait "$rpid" || rrc=$?
	t1=$(now)
	[ "$rrc" -eq 0 ] || { echo "bench: an rsync fetch failed (xargs $rrc)" >&2; head rsync.err >&2; return 1; }
	[ "$(find rsync-out -type f | wc -l)" -eq "$NRSYNC" ] ||
		{ echo "bench: rsync fetched $(find rsync-out -type f | wc -l) of $NRSYNC files" >&2; return 1; }
	ok=$(grep -cx 200 codes.txt || true)
	[ "$ok" -eq $((NURLS + NHEADS)) ] ||
		{ echo "bench: curl got $ok of $((NURLS + NHEADS)) answers 200" >&2; return 1; }
	echo "$t1 - $t0" | bc -l
}

# quarry_run: prints "CRAWL_SECONDS WALL_SECONDS"; the crawl must find every check up to date.
quarry_run() {
	local t0 t1
	t0=$(now)
	"$Q" crawl --json >crawl.json
	t1=$(now)
	python3 - crawl.json "$((MIRRORS + RSYNC_MIRRORS))" "$((NURLS + NRSYNC))" "$(echo "$t1 - $t0" | bc -l)" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
s = d.get("summary") or {}
mirrors, checks, wall = int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
master = s.get("master", {})
problems = []
if d.get("state") != "done":
    problems.append("state %r" % d.get("state"))
if s.get("mirrors") != mirrors or s.get("checks") != checks or s.get("up_to_date") != checks:
    problems.append("mirrors %s, checks %s, up to date %s (expected %d, %d, %d)" % (
        s.get("mirrors"), s.get("checks"), s.get("up_to_date"), mirrors, checks, checks))
if len(master) != 4 or any(v != "up_to_date" for v in master.values()):
    problems.append("master: %r" % master)
if problems:
    print("bench: the crawl did not find every mirror up to date: " + "; ".join(problems), file=sys.stderr)
    print(json.dumps(s, indent=1)[:3000], file=sys.stderr)
    sys.exit(1)
print("%.3f %.3f %d %d %d %d %d" % (s["seconds"], wall, s["mirrors"], s["checks"], s["up_to_date"],
      s["lagging"] + s["stale"], s["unreachable"]))
PY
}

echo "== $NURLS http fetches + $NHEADS HEADs, $NRSYNC rsync fetches + lists, $RUNS runs each, alternately"
: >ref.txt
: >quarry.txt
# Warm-up (nginx's workers, the page cache, the hub's first snapshot build).
reference_run >/dev/null
for r in $(seq "$RUNS"); do
	reference_run >>ref.txt
	quarry_run >>quarry.txt
	read -r cs wall nm nc nu nbad nun < <(tail -1 quarry.txt)
	printf '   run %d: curl %.3fs; quarry crawl %.3fs (its own clock %.3fs): mirrors %d, checks %d: %d up to date, %d lagging/stale, %d unreachable\n' \
		"$r" "$(tail -1 ref.txt)" "$wall" "$cs" "$nm" "$nc" "$nu" "$nbad" "$nun"
done
ref_t=$(median <ref.txt)
q_crawl=$(awk '{print $1}' quarry.txt | median)
q_t=$(awk '{print $2}' quarry.txt | median)
kill -0 "$HUB_PID" || { echo "bench: the hub died"; tail hub.log; exit 1; }

printf '\n%-52s %10s %10s\n' "figure (seconds, wall clock, median of $RUNS)" quarry curl
printf '%-52s %10.3f %10.3f\n' "$NURLS + $NRSYNC (rsync) repomd.xml, files checked" "$q_t" "$ref_t"
printf '%-52s %10.3f %10s\n' "(info) the crawl's own seconds (no snapshot, no CLI)" "$q_crawl" "-"
echo "(quarry: \`quarry crawl\`: $MIRRORS http mirrors + $RSYNC_MIRRORS rsync-only mirrors + the master's 4 URLs,"
echo " 64 at once on each side, 4 per mirror, results stored, snapshot rebuilt, the CLI polling until done;"
echo " reference: curl over the same $NURLS http URLs, then HEADs of the same $NHEADS files, 64 at once,"
echo " while xargs -P 64 runs rsync over the same $NRSYNC rsync URLs, each a fetch and a list of its files;"
echo " against one local nginx, $WORKERS workers, and one rsync daemon, on a"
echo " machine shared with other work)"
echo
printf 'bench: crawl_time quarry=%.3f reference=%.3f ratio=%s target=1.5 unit=s\n' "$q_t" "$ref_t" "$(ratio "$q_t" "$ref_t")"
