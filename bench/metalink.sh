#!/bin/bash
# bench/metalink.sh: the standalone metalink service against nginx serving
# the same answer as a static file, in one run (not a test; prints figures).
#
#  Snapshot: generated (bench/lib/gen_snapshot.py, fixed seed): 1,000
#  mirrors (http/https/rsync URLs, ~44 countries, a few ASNs, subnets, some
#  private, bandwidth 10..10000, IPv6 for some) and 200 repos of 1..4
#  versions; each mirror serves most repos at the newest or an alternate
#  version (a few stale). About 18 MB of JSON.
#  quarry: `quarry mirrorlist --snapshot FILE --threads THREADS` answering
#  one representative request, `/metalink?repo=…&arch=…&ip=…` with ip= in
#  one public mirror's subnet: a subnet group of one, then the global
#  group (bandwidth-weighted shuffle over ~900 holders), 10 mirrors plus
#  the master, rendered as metalink XML with alternates. GeoIP is off
#  ([geoip] tor_v4/tor_v6 empty; GEOIP=1 keeps the tor-geoipdb tables):
#  the client's place comes from ip=.
#  reference: nginx (worker_processes THREADS, sendfile, keepalive, no
#  access log) serving one fetched copy of that answer as a static file for
#  the same request line. quarry answers from its per-thread cache of
#  rendered variants (8 shuffles per distinct question, each rendered again
#  after 32 uses or 60 s: about one full selection and render per 32
#  requests here), so its body differs from answer to answer, in size too
#  (4.2..4.7 KB: a mirror has one to three URLs); nginx sends the same
#  ~4.7 KB every time.
#  Load: wrk -tWRK_THREADS -cCONNS -dDURATION --latency against each in
#  turn, ROUNDS rounds (default 3) after a 2 s warm-up of each; the figures
#  are the medians. All of it shares this machine's cores: wrk competes with
#  the server for CPU, the same way for both (THREADS server threads or
#  workers each, default nproc), so the figures compare the two servers;
#  they are not capacities. wrk keeps CONNS requests in flight, so the
#  latencies are those of a saturated server (about CONNS / req/s each).
#
#  metalink_mixed: the same load spread over many questions, the cache's
#  ordinary case: a second snapshot (the same generator with
#  --both-arches: MIXED_REPOS (200) repos, each for x86_64 and aarch64),
#  MIXED_CLIENTS (50) client addresses, each in another country of the tor
#  GeoIP table the service reads (GeoIP on: the country of ip= picks the
#  country group), given as ip=: 200 × 2 × 50 = 20,000 distinct requests.
#  nginx serves the same set of answers: each request fetched once from
#  quarry beforehand and saved as a file, chosen by try_files from the
#  query arguments. wrk runs a Lua script (mixed.lua) that walks the
#  shuffled list of all requests, each thread from its own offset. The
#  figure is requests/s, quarry vs nginx; target 1.0.
#
#  metalink_rps: requests/s, quarry vs nginx; target 1.0 (as fast).
#  metalink_p99: the 99th percentile latency in ms; the target (5 ms) is
#  an absolute bound on quarry's p99; the ratio is given for information.
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
. "$SRC/bench/lib/common.sh"
Q=${QUARRY_BIN:-$SRC/build/quarry}
THREADS=${THREADS:-$(nproc)}
WRK_THREADS=${WRK_THREADS:-2}
CONNS=${CONNS:-64}
DURATION=${DURATION:-10s}
ROUNDS=${ROUNDS:-3}
GEOIP=${GEOIP:-0}
MIXED_REPOS=${MIXED_REPOS:-200}
MIXED_CLIENTS=${MIXED_CLIENTS:-50}
TOR_GEOIP=${TOR_GEOIP:-/usr/share/tor/geoip}
for tool in wrk nginx curl python3 bc; do
	command -v "$tool" >/dev/null || { echo "bench: $tool is missing (scripts/install-deps.sh)"; exit 1; }
done
if [ ! -x "$Q" ]; then
	echo "== building quarry"
	cmake -S "$SRC" -B "$SRC/build" >/dev/null && cmake --build "$SRC/build" -j"$(nproc)" >/dev/null
fi
[ -x "$Q" ] || { echo "bench: no quarry binary at $Q"; exit 1; }
W=$(mktemp -d /tmp/quarry-bench-metalink.XXXXXX)
ML_PID=
cleanup() {
	set +e
	[ -n "$ML_PID" ] && kill "$ML_PID" 2>/dev/null && wait "$ML_PID" 2>/dev/null
	stop_nginx
	rm -rf "$W"
}
trap cleanup EXIT
cd "$W"

echo "== generating a snapshot: 1000 mirrors, 200 repos"
read -r REPO ARCH IP < <(python3 "$SRC/bench/lib/gen_snapshot.py" snapshot.json --mirrors 1000 --repos 200)
echo "   $(du -h snapshot.json | cut -f1); request: repo=$REPO arch=$ARCH ip=$IP"
REQ="/metalink?repo=$REPO&arch=$ARCH&ip=$IP"

QPORT=$(free_port)
{
	echo "[log]"
	echo "level = warn"
	if [ "$GEOIP" != 1 ]; then
		echo "[geoip]"
		echo "tor_v4 ="
		echo "tor_v6 ="
	fi
} >ml.ini
"$Q" mirrorlist --snapshot "$W/snapshot.json" -c ml.ini --listen "127.0.0.1:$QPORT" \
	--threads "$THREADS" >ml.log 2>&1 &
ML_PID=$!
wait_http "http://127.0.0.1:$QPORT/healthz" "$ML_PID" || { cat ml.log; exit 1; }
code=$(curl -sS -o answer.xml -w '%{http_code}' "http://127.0.0.1:$QPORT$REQ")
[ "$code" = 200 ] || { echo "bench: $REQ answered $code"; cat answer.xml; exit 1; }
nurls=$(grep -c '<url ' answer.xml)
[ "$nurls" -ge 2 ] || { echo "bench: the answer lists $nurls URLs"; cat answer.xml; exit 1; }
sizes=$(for _ in $(seq 20); do curl -sS -o /dev/null -w '%{size_download}\n' "http://127.0.0.1:$QPORT$REQ"; done | sort -n | uniq)
echo "   the answer: $(wc -c <answer.xml) bytes, $nurls URLs; quarry's body sizes over 20 requests: $(echo "$sizes" | paste -sd,)"

NPORT=$(free_port)
mkdir -p www
cp answer.xml www/metalink.xml
start_nginx "$W/nginx" "$NPORT" "$THREADS" "root $W/www; location / { default_type application/metalink+xml; try_files /metalink.xml =404; }"
wait_http "http://127.0.0.1:$NPORT/healthz" "$NGINX_PID" || { cat nginx/logs/*; exit 1; }
cmp -s answer.xml <(curl -fsS "http://127.0.0.1:$NPORT$REQ") || { echo "bench: nginx does not serve the answer"; exit 1; }

# run_wrk NAME URL: measure (after a warm-up); prints "RPS P99_MS" and keeps the output in wrk-NAME.txt.
# run_wrk NAME URL [WRK ARGS…]: the same, with more arguments for wrk (a script).
run_wrk() {
	local name=$1 url=$2 bad
	shift 2
	[ -f "warm-$name" ] || { wrk -t"$WRK_THREADS" -c"$CONNS" -d2s "$@" "$url" >/dev/null && touch "warm-$name"; }
	wrk -t"$WRK_THREADS" -c"$CONNS" -d"$DURATION" --latency "$@" "$url" >"wrk-$name.txt"
	bad=$(awk '/Non-2xx or 3xx responses:/ {print $NF}' "wrk-$name.txt")
	if [ -n "$bad" ] && [ "$bad" != 0 ]; then
		echo "bench: $name: $bad answers were not 2xx/3xx" >&2
		cat "wrk-$name.txt" >&2
		return 1
	fi
	grep -E 'Socket errors' "wrk-$name.txt" | sed "s/^ */   (wrk, $name) /" >&2 || true
	awk '
		/^Requests\/sec:/ { rps = $2 }
		/^ +99%/ {
			v = $2
			if (v ~ /us$/) { sub(/us$/, "", v); ms = v / 1000 }
			else if (v ~ /ms$/) { sub(/ms$/, "", v); ms = v + 0 }
			else if (v ~ /m$/) { sub(/m$/, "", v); ms = v * 60000 }
			else if (v ~ /s$/) { sub(/s$/, "", v); ms = v * 1000 }
		}
		END {
			if (rps == "" || ms == "") exit 1
			printf "%s %.3f\n", rps, ms
		}' "wrk-$name.txt"
}
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

echo "== wrk -t$WRK_THREADS -c$CONNS -d$DURATION, $ROUNDS rounds: quarry ($THREADS threads), then nginx ($THREADS workers)"
: >quarry.txt
: >nginx.txt
for r in $(seq "$ROUNDS"); do
	run_wrk quarry "http://127.0.0.1:$QPORT$REQ" >>quarry.txt
	run_wrk nginx "http://127.0.0.1:$NPORT$REQ" >>nginx.txt
	read -r qr qp < <(tail -1 quarry.txt)
	read -r nr np < <(tail -1 nginx.txt)
	printf '   round %d: quarry %8.0f req/s, p99 %7.3f ms; nginx %8.0f req/s, p99 %7.3f ms\n' \
		"$r" "$qr" "$qp" "$nr" "$np"
done
kill -0 "$ML_PID" || { echo "bench: quarry mirrorlist died"; cat ml.log; exit 1; }
q_rps=$(awk '{print $1}' quarry.txt | median)
q_p99=$(awk '{print $2}' quarry.txt | median)
n_rps=$(awk '{print $1}' nginx.txt | median)
n_p99=$(awk '{print $2}' nginx.txt | median)
q_mb=$(awk '/Transfer\/sec:/ {print $2}' wrk-quarry.txt)
n_mb=$(awk '/Transfer\/sec:/ {print $2}' wrk-nginx.txt)

stop_nginx
kill "$ML_PID" 2>/dev/null && wait "$ML_PID" 2>/dev/null
ML_PID=

echo "== mixed requests: $MIXED_REPOS repos x 2 arches x $MIXED_CLIENTS client addresses"
python3 "$SRC/bench/lib/gen_snapshot.py" snapshot-mixed.json --mirrors 1000 --repos "$MIXED_REPOS" \
	--both-arches --list-requests pairs.txt >/dev/null
[ -r "$TOR_GEOIP" ] || { echo "bench: $TOR_GEOIP is missing (tor-geoipdb)"; exit 1; }
# One address in each of MIXED_CLIENTS countries (the tor GeoIP table the
# service reads): the middle of each country's first range, the countries
# of the snapshot's mirrors first.
python3 - "$TOR_GEOIP" "$MIXED_CLIENTS" >clients.txt <<'PY'
import sys
want = ["US", "DE", "FR", "GB", "NL", "CZ", "SE", "CH", "AT", "PL", "IT", "ES", "FI", "NO", "DK",
        "BE", "PT", "GR", "RO", "BG", "HU", "UA", "RU", "TR", "IL", "IN", "CN", "JP", "KR", "TW",
        "SG", "ID", "TH", "VN", "AU", "NZ", "CA", "MX", "BR", "AR", "CL", "ZA", "KE", "EG", "IE",
        "LU", "SK", "SI", "HR", "RS", "EE", "LV", "LT", "IS", "MY", "PH", "PK", "NG", "MA", "PE"]
first = {}
for line in open(sys.argv[1]):
    if line.startswith("#") or not line.strip():
        continue
    lo, hi, cc = line.strip().split(",")
    lo, hi = int(lo), int(hi)
    if cc not in first and hi - lo >= 255:
        first[cc] = (lo + hi) // 2
n = int(sys.argv[2])
ccs = [c for c in want if c in first][:n]
if len(ccs) < n:
    sys.exit("only %d countries in the GeoIP table" % len(ccs))
for cc in ccs:
    v = first[cc]
    print("%d.%d.%d.%d %s" % (v >> 24, (v >> 16) & 255, (v >> 8) & 255, v & 255, cc))
PY
QPORT=$(free_port)
{
	echo "[log]"
	echo "level = warn"
	echo "[geoip]"
	echo "tor_v4 = $TOR_GEOIP"
} >ml-mixed.ini
"$Q" mirrorlist --snapshot "$W/snapshot-mixed.json" -c ml-mixed.ini --listen "127.0.0.1:$QPORT" \
	--threads "$THREADS" >ml-mixed.log 2>&1 &
ML_PID=$!
wait_http "http://127.0.0.1:$QPORT/healthz" "$ML_PID" || { cat ml-mixed.log; exit 1; }
# Every distinct question, once: its request line and the file nginx serves for it.
while read -r repo arch; do
	while read -r ip _; do
		echo "/metalink?repo=$repo&arch=$arch&ip=$ip"
	done <clients.txt
done <pairs.txt >requests.txt
NREQ=$(wc -l <requests.txt)
mkdir -p www-mixed
python3 - requests.txt "$QPORT" >render.cfg <<'PY'
import sys, urllib.parse
port = sys.argv[2]
for line in open(sys.argv[1]):
    path = line.strip()
    q = urllib.parse.parse_qs(path.split("?", 1)[1])
    print('url = "http://127.0.0.1:%s%s"' % (port, path))
    print('output = "www-mixed/a/%s/%s/%s.xml"' % (q["repo"][0], q["arch"][0], q["ip"][0]))
PY
curl --parallel --parallel-max 16 --create-dirs -sS --no-progress-meter -K render.cfg -w '%{http_code}\n' >render-codes.txt ||
	{ echo "bench: pre-rendering the answers failed"; exit 1; }
ok=$(grep -cx 200 render-codes.txt || true)
[ "$ok" -eq "$NREQ" ] || { echo "bench: $ok of $NREQ questions answered 200"; sort render-codes.txt | uniq -c; exit 1; }
[ "$(find www-mixed -name '*.xml' | wc -l)" -eq "$NREQ" ] || { echo "bench: not every answer was saved"; exit 1; }
echo "   $NREQ questions, $(du -sh www-mixed | cut -f1) of answers; $MIXED_CLIENTS countries:" \
	"$(awk '{print $2}' clients.txt | paste -sd' ')"
# The order of the requests: shuffled once (fixed seed); each wrk thread starts
# at its own offset and goes round.
python3 -c 'import random, sys; l = open(sys.argv[1]).read().split(); random.Random(7).shuffle(l); print("\n".join(l))' \
	requests.txt >requests-shuffled.txt
cat >mixed.lua <<'LUA'
local paths = {}
for line in io.lines(os.getenv("ML_REQUESTS")) do paths[#paths + 1] = line end
local n_threads = 0
function setup(thread)
	thread:set("offset", n_threads)
	n_threads = n_threads + 1
end
local i = 0
function init(args)
	i = (offset or 0) * 7919 % #paths
end
function request()
	i = i % #paths + 1
	return wrk.format("GET", paths[i])
end
LUA
export ML_REQUESTS=$W/requests-shuffled.txt
start_nginx "$W/nginx-mixed" "$NPORT" "$THREADS" "root $W/www-mixed; location = /metalink { default_type application/metalink+xml; try_files /a/\$arg_repo/\$arg_arch/\$arg_ip.xml =404; }"
wait_http "http://127.0.0.1:$NPORT$(head -1 requests.txt)" "$NGINX_PID" || { cat nginx-mixed/logs/*; exit 1; }

echo "== wrk -t$WRK_THREADS -c$CONNS -d$DURATION with mixed.lua, $ROUNDS rounds"
: >quarry-mixed.txt
: >nginx-mixed.txt
for r in $(seq "$ROUNDS"); do
	run_wrk quarry-mixed "http://127.0.0.1:$QPORT" -s mixed.lua >>quarry-mixed.txt
	run_wrk nginx-mixed "http://127.0.0.1:$NPORT" -s mixed.lua >>nginx-mixed.txt
	read -r qr qp < <(tail -1 quarry-mixed.txt)
	read -r nr np < <(tail -1 nginx-mixed.txt)
	printf '   round %d: quarry %8.0f req/s, p99 %7.3f ms; nginx %8.0f req/s, p99 %7.3f ms\n' \
		"$r" "$qr" "$qp" "$nr" "$np"
done
kill -0 "$ML_PID" || { echo "bench: quarry mirrorlist died"; cat ml-mixed.log; exit 1; }
qm_rps=$(awk '{print $1}' quarry-mixed.txt | median)
qm_p99=$(awk '{print $2}' quarry-mixed.txt | median)
nm_rps=$(awk '{print $1}' nginx-mixed.txt | median)
nm_p99=$(awk '{print $2}' nginx-mixed.txt | median)

printf '\n%-48s %12s %12s\n' "figure ($CONNS connections, median of $ROUNDS)" quarry nginx
printf '%-48s %12.0f %12.0f\n' "requests/s" "$q_rps" "$n_rps"
printf '%-48s %12.3f %12.3f\n' "p99 latency, ms" "$q_p99" "$n_p99"
for s in 50 90; do
	printf '%-48s %12s %12s\n' "(info) p$s latency, last round" "$(awk -v p="$s%" '$1 == p {print $2}' wrk-quarry.txt)" \
		"$(awk -v p="$s%" '$1 == p {print $2}' wrk-nginx.txt)"
done
printf '%-48s %12s %12s\n' "(info) transfer/s, headers included, last round" "$q_mb" "$n_mb"
printf '%-48s %12.0f %12.0f\n' "mixed: requests/s" "$qm_rps" "$nm_rps"
printf '%-48s %12.3f %12.3f\n' "mixed: p99 latency, ms" "$qm_p99" "$nm_p99"
echo "(mixed: $NREQ questions, $MIXED_REPOS repos x 2 arches x $MIXED_CLIENTS addresses in as many countries,"
echo " GeoIP on; nginx serves one pre-rendered answer per question, fetched once from quarry)"
echo "(one machine, $(nproc) cores, shared by wrk ($WRK_THREADS threads) and the server, and with other work;"
echo " quarry's bodies come from 8 cached shuffles per question, each redone every 32 uses; nginx's are one static copy)"
echo
printf 'bench: metalink_rps quarry=%.0f reference=%.0f ratio=%s target=1.0 unit=req/s\n' \
	"$q_rps" "$n_rps" "$(ratio "$q_rps" "$n_rps")"
printf 'bench: metalink_p99 quarry=%.3f reference=%.3f ratio=%s target=5 unit=ms\n' \
	"$q_p99" "$n_p99" "$(ratio "$q_p99" "$n_p99")"
printf 'bench: metalink_mixed quarry=%.0f reference=%.0f ratio=%s target=1.0 unit=req/s\n' \
	"$qm_rps" "$nm_rps" "$(ratio "$qm_rps" "$nm_rps")"
