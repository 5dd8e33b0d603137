#!/bin/bash
# t0640-master-families: the master (the hub's own /pub) is offered only to
# clients of an address family it answered the crawl over, and to every
# client before any crawl. A hub on 127.0.0.1 whose public URL is a name
# (localhost: the crawler tries both families, only IPv4 answers) is not
# listed to IPv6 clients; the same hub moved to [::1] (a literal IPv6 public
# URL) is not listed to IPv4 clients. An IPv4-only mirror stays listed for
# IPv4 clients only. Clients are named by ip= and by connecting over ::1;
# an ip= client has no country or ASN but what GeoIP says (none here).
. "$(dirname "$0")/lib.sh"

if ! ip -6 addr show dev lo 2>/dev/null | grep -q 'inet6 ::1/128'; then
	skip "no IPv6 loopback (::1) here"
fi

start_hub "[build]
embedded_worker = false
[mirror]
crawl_interval = 0
[geoip]
tor_v4 =
tor_v6 ="
q sig create mc --short-name mc --title "Messaging" --purpose "tests" >/dev/null
q project create mc/el9 --major 9 --variant 1 --arch x86_64 >/dev/null
q repo create mc/el9/common --arch x86_64 --channel candidate >/dev/null
q upload mc/el9/common "$(make_rpm fam 1.0 1.el9.mc noarch)" >/dev/null 2>&1

# The hub behind the name localhost: it resolves to 127.0.0.1 (curl also
# tries ::1, where nothing listens).
stop_hub
sed -i "s|^public_url = .*|public_url = http://localhost:$PORT|" hub.ini
launch_hub
PUB4="http://localhost:$PORT/pub/"

# masters PREFIX QUERY [HUB]: how many lines of the mirrorlist are the master's
# (the answer in ml.txt); "error" when the request failed.
masters() {
	curl -fsS "${3:-$QUARRY_HUB}/mirrorlist?repo=sig-mc-common-9&arch=x86_64&$2" >ml.txt ||
		{ echo error; return 0; }
	grep -c "^$1" ml.txt || true
}
expect_masters() { # DESC PREFIX QUERY WANT [HUB]
	local got
	got=$(masters "$2" "$3" "${5:-}")
	if [ "$got" = "$4" ]; then ok "$1"; else
		fail "$1"
		diag "got $got master lines, want $4" "$(cat ml.txt)"
	fi
}

expect_masters "before any crawl an IPv6 client gets the master (unknown families)" \
	"$PUB4" "ip=2001:db8::1" 1
expect_masters "before any crawl an IPv4 client gets the master" "$PUB4" "ip=198.51.100.1" 1

q crawl --json >crawl.json
check "the crawl is done" test "$(jget 'd["state"]' crawl.json)" = done
check "the master answered over IPv4" test "$(jget 'd["summary"]["master_families"]["ipv4"]' crawl.json)" = True
check "the master did not answer over IPv6" test "$(jget 'd["summary"]["master_families"]["ipv6"]' crawl.json)" = False
check "the snapshot carries the master's families" \
	test "$(jget 'd.get("master_families")' "$DATA/mirror-snapshot.json")" = '["ipv4"]'
expect_masters "an IPv6 client (ip=) never gets the IPv4-only master" "$PUB4" "ip=2001:db8::1" 0
expect_masters "an IPv6 client (ip=::1) never gets it either" "$PUB4" "ip=::1" 0
check "without GeoIP data an ip= client has no country and no ASN" \
	grep -qx "# client = ::1 country = unknown asn = 0" ml.txt
expect_masters "an IPv4 client gets the master" "$PUB4" "ip=198.51.100.1" 1
expect_masters "an IPv4-mapped IPv6 address is an IPv4 client" "$PUB4" "ip=::ffff:198.51.100.1" 1
curl -fsS "$QUARRY_HUB/metalink?repo=sig-mc-common-9&arch=x86_64&ip=2001:db8::1" >ml6.xml
lacks "the metalink for an IPv6 client has no master URL" ml6.xml "localhost:$PORT/pub/"
curl -fsS "$QUARRY_HUB/metalink?repo=sig-mc-common-9&arch=x86_64&ip=198.51.100.1" >ml4.xml
check "the metalink for an IPv4 client has the master URL" grep -q "localhost:$PORT/pub/" ml4.xml

# An IPv4-only mirror, for the reverse case: it stays an IPv4 client's.
mkdir -p mirror && cp -a "$DATA/pub/." mirror/
MP=$(free_port)
python3 -m http.server --bind 127.0.0.1 --directory mirror "$MP" >mirror.log 2>&1 &
WWW=$!
test_cleanup() { kill "$WWW" 2>/dev/null; }
for _ in $(seq 50); do curl -fs "http://127.0.0.1:$MP/" >/dev/null && break; sleep 0.1; done
mkdir mirrors.d
cat >mirrors.d/v4.yml <<YML
name: v4.example.org
address:
  http: http://127.0.0.1:$MP/
update_frequency: 1h
sponsor: Test
sponsor_url: https://example.org/
geolocation: {country: SE}
YML
check "import an IPv4-only mirror" q mirror import mirrors.d

# The same hub on [::1] only, its public URL the IPv6 literal.
stop_hub
sed -i -e "s|^listen = .*|listen = [::1]:$PORT|" \
	-e "s|^public_url = .*|public_url = http://[::1]:$PORT|" hub.ini
export QUARRY_HUB="http://[::1]:$PORT"
launch_hub
PUB6="http://\[::1\]:$PORT/pub/"
q crawl --json >crawl6.json
check "the crawl over [::1] is done" test "$(jget 'd["state"]' crawl6.json)" = done
check "the master answered over IPv6" test "$(jget 'd["summary"]["master_families"]["ipv6"]' crawl6.json)" = True
check "the master did not answer over IPv4" test "$(jget 'd["summary"]["master_families"]["ipv4"]' crawl6.json)" = False
check "the mirror is up to date" test "$(jget 'd["summary"]["up_to_date"]' crawl6.json)" = 1
expect_masters "an IPv4 client never gets the IPv6-only master" "$PUB6" "ip=198.51.100.1" 0
check "an IPv4 client gets the IPv4 mirror" grep -q "^http://127.0.0.1:$MP/sig/" ml.txt
expect_masters "an IPv6 client gets the master" "$PUB6" "ip=2001:db8::1" 1
lacks "an IPv6 client does not get the IPv4-only mirror" ml.txt "127.0.0.1:$MP"
expect_masters "a client connecting over ::1 (no ip=) gets the master" "$PUB6" "" 1
check "the mirrorlist names that client ::1" grep -q "client = ::1 " ml.txt
curl -fsS "$QUARRY_HUB/metalink?repo=sig-mc-common-9&arch=x86_64&ip=198.51.100.1" >ml4.xml
lacks "the metalink for an IPv4 client has no master URL" ml4.xml "\[::1\]:$PORT/pub/"
check "the metalink for an IPv4 client has the mirror" grep -q "127.0.0.1:$MP/sig/" ml4.xml

stop_hub
finish
