#!/bin/bash
# t0641-listen-several: hub.listen takes several addresses (spaces or
# commas between them). `config check` shows them and the public URL taken
# from the first; a hub on 127.0.0.1 and ::1 at once answers on both (every
# event loop accepts on each socket), its public URL derived from the first;
# an IPv6 client connecting over ::1 gets no master when the master's URL is
# IPv4 (the crawl says so), an IPv4 client over 127.0.0.1 does. [::] and
# 0.0.0.0 on one port coexist (the IPv6 socket is IPv6-only). An address
# that cannot be bound stops the hub with an error naming it; a malformed or
# repeated address is refused by `config check`.
. "$(dirname "$0")/lib.sh"

if ! ip -6 addr show dev lo 2>/dev/null | grep -q 'inet6 ::1/128'; then
	skip "no IPv6 loopback (::1) here"
fi

PORT=$(free_port)
cat >hub.ini <<INI
[hub]
listen = 127.0.0.1:$PORT [::1]:$PORT
data_dir = $DATA
threads = 3
[build]
embedded_worker = false
[mirror]
crawl_interval = 0
[geoip]
tor_v4 =
tor_v6 =
INI
q config check hub.ini >check.txt 2>&1 || true
check "config check accepts two addresses" grep -qx "hub.ini: ok" check.txt
check "… shows both, and the public URL from the first" \
	grep -qxF "hub.ini: the hub listens on 127.0.0.1:$PORT, [::1]:$PORT; public URL http://127.0.0.1:$PORT" check.txt

QUARRY_TOKEN=$(q init -c hub.ini 2>init.log)
export QUARRY_TOKEN QUARRY_HUB=http://127.0.0.1:$PORT
launch_hub
check "the hub logs the public URL derived from the first address" \
	grep -q "public URL http://127.0.0.1:$PORT\$" hub.log
n4=0 n6=0
for _ in $(seq 12); do
	curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null && n4=$((n4 + 1))
	curl -fsS -g "http://[::1]:$PORT/healthz" >/dev/null && n6=$((n6 + 1))
done
check "every request over 127.0.0.1 is answered (12)" test "$n4" = 12
check "every request over ::1 is answered (12)" test "$n6" = 12
# Several at once, spread over the loops: each must be answered.
pids=()
for i in 1 2 3 4 5 6; do
	curl -fsS -g -o "par$i.a" -o "par$i.b" "http://[::1]:$PORT/healthz" "http://127.0.0.1:$PORT/healthz" &
	pids+=($!)
done
nok=0
for p in "${pids[@]}"; do wait "$p" && nok=$((nok + 1)); done
check "six clients at once, each over both families, all answered" test "$nok" = 6
check "the API answers over ::1" curl -fsS -g -H "Authorization: Bearer $QUARRY_TOKEN" \
	"http://[::1]:$PORT/api/v1/sigs"

q sig create mc --short-name mc --title "Messaging" --purpose "tests" >/dev/null
q project create mc/el9 --major 9 --variant 1 --arch x86_64 >/dev/null
q repo create mc/el9/common --arch x86_64 --channel candidate >/dev/null
q upload mc/el9/common "$(make_rpm lis 1.0 1.el9.mc noarch)" >/dev/null 2>&1
check "/pub over ::1" curl -fsS -g -o /dev/null \
	"http://[::1]:$PORT/pub/sig/9/mc/x86_64/common/repodata/repomd.xml"
q crawl --json >crawl.json
check "the master (an IPv4 URL) answered over IPv4 only" \
	test "$(jget 'd["summary"]["master_families"]' crawl.json)" = '{"ipv4": true, "ipv6": false}'
ML="mirrorlist?repo=sig-mc-common-9&arch=x86_64"
curl -fsS -g "http://[::1]:$PORT/$ML" >ml6.txt
check "a client over ::1 is an IPv6 client" grep -q "^# client = ::1 " ml6.txt
lacks "… and does not get the IPv4-only master" ml6.txt "^http://127.0.0.1:$PORT/pub/"
curl -fsS "http://127.0.0.1:$PORT/$ML" >ml4.txt
check "a client over 127.0.0.1 gets the master" grep -q "^http://127.0.0.1:$PORT/pub/sig/9/mc/" ml4.txt
stop_hub

# [::] and 0.0.0.0 on one port, comma-separated.
P2=$(free_port)
sed -i "s|^listen = .*|listen = 0.0.0.0:$P2, [::]:$P2|" hub.ini
sed -i "/^data_dir/a public_url = http://127.0.0.1:$P2" hub.ini
export QUARRY_HUB=http://127.0.0.1:$P2
: >hub.log
launch_hub
check "0.0.0.0 and [::] together: IPv4 answers" curl -fsS "http://127.0.0.1:$P2/healthz"
check "0.0.0.0 and [::] together: IPv6 answers" curl -fsS -g "http://[::1]:$P2/healthz"
stop_hub

# An address already taken: the hub stops and names it.
P3=$(free_port)
python3 -c 'import socket, sys, time
s = socket.socket(socket.AF_INET6); s.bind(("::1", int(sys.argv[1]))); s.listen(1); time.sleep(60)' "$P3" &
HOLD=$!
test_cleanup() { kill "$HOLD" 2>/dev/null; }
for _ in $(seq 50); do ss -ltn | grep -q "\[::1\]:$P3 " && break; sleep 0.1; done
rc=0
timeout 20 "$QUARRY_BIN" hub -c hub.ini --listen "127.0.0.1:$P3 [::1]:$P3" >taken.log 2>&1 || rc=$?
check "a hub whose second address is taken exits 1" test "$rc" = 1
check "… naming that address" grep -q "cannot listen on '\[::1\]:$P3': Address already in use" taken.log
kill "$HOLD" 2>/dev/null || true

# Refusals.
for bad in "127.0.0.1:$PORT [::1]" "127.0.0.1:$PORT 127.0.0.1:$PORT" "127.0.0.1:$PORT,,[::1]:0"; do
	sed -i "s|^listen = .*|listen = $bad|" hub.ini
	rc=0
	q config check hub.ini >bad.txt 2>&1 || rc=$?
	if [ "$rc" = 1 ] && grep -q "hub.listen.*expected HOST:PORT" bad.txt; then
		ok "config check refuses listen = $bad"
	else
		fail "config check refuses listen = $bad (exit $rc)"
		diag "$(cat bad.txt)"
	fi
done

finish
