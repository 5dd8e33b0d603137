#!/bin/bash
# t0170-selection: which mirrors a client gets, with GeoIP data
# this test generates (.mmdb files written by tests/tools/mkmmdb.py, read by
# the hub with libmaxminddb). One local HTTP server holds every mirror's
# copy of /pub; a crawl finds them all up to date. Then ip= stands for
# clients in Sweden (with an ASN and inside declared subnets), Germany (an
# ASN a private mirror declares), Japan (a monopoly mirror's subnet) and an
# IPv6 client in Czechia: subnets most specific first, ASN, country,
# continent, global padding, private mirrors only by subnet/ASN, monopoly
# alone, country= and protocol= choices, IPv6 clients get IPv6 mirrors.
# Hostile query strings get a clear 400, never a crash.
. "$(dirname "$0")/lib.sh"

MK="$QUARRY_SRC/tests/tools/mkmmdb.py"
python3 "$MK" --type country country.mmdb 198.51.100.0/24=SE 203.0.113.0/24=DE \
	192.0.2.0/24=JP 100.64.0.0/24=US 2001:db8::/32=CZ
python3 "$MK" --type asn asn.mmdb 198.51.100.0/24=64501 203.0.113.0/24=64502
start_hub "[build]
embedded_worker = false
[mirror]
crawl_interval = 0
[geoip]
country_mmdb = $T/country.mmdb
asn_mmdb = $T/asn.mmdb
tor_v4 =
tor_v6 ="
q sig create mc --short-name mc --title "Messaging" --purpose "tests" >/dev/null
q project create mc/el9 --major 9 --variant 1 --arch x86_64 >/dev/null
q repo create mc/el9/common --arch x86_64 --channel candidate >/dev/null
q upload mc/el9/common "$(make_rpm sel 1.0 1.el9.mc noarch)" >/dev/null 2>&1

# One server (dual-stack) for every mirror: www/NAME -> a copy of /pub.
mkdir -p www/pub && cp -a "$DATA/pub/." www/pub/
MP=$(free_port)
python3 -m http.server --bind :: --directory www "$MP" >www.log 2>&1 &
WWW=$!
test_cleanup() { kill "$WWW" 2>/dev/null; }
for _ in $(seq 50); do curl -fs "http://127.0.0.1:$MP/" >/dev/null && break; sleep 0.1; done

mkdir mirrors.d
mkdef() { # mkdef NAME COUNTRY [EXTRA YAML]: http://127.0.0.1:MP/NAME/
	ln -s pub "www/$1"
	cat >"mirrors.d/$1.yml" <<YML
name: $1.example.org
address:
  http: http://127.0.0.1:$MP/$1/
update_frequency: 1h
sponsor: Test
sponsor_url: https://example.org/
geolocation: {country: $2}
${3:-}
YML
}
mkdef subnet16 US "subnets: ['198.51.0.0/16']"
mkdef subnet24 US "subnets: ['198.51.100.0/24', '2001:db8:1::/48']"
mkdef asn US "asn: 64501"
mkdef se1 SE "bandwidth: 1000"
mkdef se2 SE
mkdef no NO
mkdef us1 US
mkdef us2 US
mkdef us3 US
mkdef privse SE "private: true"
mkdef privasn US "private: true
asn: [64502]"
mkdef mono US "private: true
monopoly: true
subnets: ['192.0.2.0/24']"
# An IPv6-only mirror, and one with an rsync address too.
ln -s pub www/v6cz
cat >mirrors.d/v6cz.yml <<YML
name: v6cz.example.org
address:
  http: http://[::1]:$MP/v6cz/
update_frequency: 1h
sponsor: Test
sponsor_url: https://example.org/
geolocation: {country: CZ}
YML
sed -i "s|^  http: \(.*se1/\)$|  http: \1\n  rsync: rsync://127.0.0.1/se1/|" mirrors.d/se1.yml
check "import the mirrors" q mirror import mirrors.d
q crawl --json >crawl.json
check "every mirror is up to date" test "$(jget 'd["summary"]["up_to_date"]' crawl.json)" = 13

BASE="$QUARRY_HUB/mirrorlist?repo=sig-mc-common-9&arch=x86_64"
# pick QUERY: the mirror names of the answer, in order ("master" for the hub).
pick() {
	curl -fsS "$BASE&$1" | grep -v '^#' | sed -e "s|^$QUARRY_HUB/pub/.*|master|" \
		-e "s|^http://127.0.0.1:$MP/\([a-z0-9]*\)/.*|\1|" \
		-e "s|^http://\[::1\]:$MP/\([a-z0-9]*\)/.*|\1|" \
		-e "s|^rsync://127.0.0.1/\([a-z0-9]*\)/.*|rsync:\1|" | tr '\n' ' ' | sed 's/ $//'
}
expect_pick() { # DESC QUERY REGEX
	local got
	got=$(pick "$2")
	if [[ $got =~ $3 ]]; then ok "$1"; else fail "$1"; diag "query: $2" "got:   $got" "want:  $3"; fi
}

SE=198.51.100.7
expect_pick "Sweden, AS64501: subnets (/24 first), ASN, country, continent; no global" \
	"ip=$SE" '^subnet24 subnet16 asn (se1 se2|se2 se1) no master$'
expect_pick "netblock=0: country, continent, then global padding (private never)" \
	"ip=$SE&netblock=0" '^(se1 se2|se2 se1) no( (subnet16|subnet24|asn|us1|us2|us3)){6} master$'
expect_pick "a private mirror only through its ASN (Germany, AS64502)" \
	"ip=203.0.113.5" '^privasn ((se1|se2|no) ){3}((subnet16|subnet24|asn|us1|us2|us3) ){6}master$'
expect_pick "a monopoly mirror alone, without the master (Japan, its subnet)" \
	"ip=192.0.2.9" '^mono$'
expect_pick "country= overrides GeoIP's country" \
	"ip=$SE&netblock=0&country=no" '^no (se1 se2|se2 se1)( (subnet16|subnet24|asn|us1|us2|us3)){6} master$'
expect_pick "country=global: netblock groups, then everyone public" \
	"ip=$SE&country=global" '^subnet24 subnet16 asn( (se1|se2|no|us1|us2|us3)){6} master$'
expect_pick "protocol=rsync: only rsync URLs" \
	"ip=$SE&protocol=rsync" '^rsync:se1$'
# The master (http://127.0.0.1:PORT) answered the crawl over IPv4 only.
expect_pick "an IPv6 client (Czechia): the IPv6 mirror, no IPv4-only one, not the IPv4-only master" \
	"ip=2001:db8::1" '^v6cz$'
expect_pick "an IPv6 client inside a declared IPv6 subnet of an IPv4-only mirror still gets IPv6 ones only" \
	"ip=2001:db8:1::5" '^v6cz$'
expect_pick "a US client: six in its country, so no global padding" \
	"ip=100.64.0.9" '^((subnet16|subnet24|asn|us1|us2|us3) ){6}master$'
expect_pick "an unknown client: global" \
	"ip=10.1.2.3" '^((subnet16|subnet24|asn|us1|us2|us3|se1|se2|no) ){9}master$'
# Bandwidth weighting: se1 (1000) comes before se2 (100) most of the time.
first=0
# (40 clients: answers to one client come from a few cached variants.)
for i in $(seq 40); do
	case $(pick "ip=198.51.100.$((i + 10))&netblock=0") in se1*) first=$((first + 1)) ;; esac
done
check "bandwidth-weighted: se1 first in most answers ($first of 40)" test "$first" -ge 28
# The metalink has the same order, with locations.
curl -fsS "$QUARRY_HUB/metalink?repo=sig-mc-common-9&arch=x86_64&ip=$SE" >ml.xml
check "the metalink's first URL is the most specific subnet" bash -c "grep -m1 '<url ' ml.xml | grep -q '/subnet24/.*location=\"US\"\|location=\"US\".*/subnet24/'"
check "the metalink gives preferences best first" bash -c "grep -m1 '<url ' ml.xml | grep -q 'preference=\"100\"'"

# --- hostile queries: a clear 400, never a crash ---
long=$(head -c 5000 /dev/zero | tr '\0' a)
code=$(req GET "$BASE&x=$long")
check "a 5000-byte query answers 400" test "$code" = 400
check "naming the limit" grep -qi "long" "$T/body"
code=$(req GET "$QUARRY_HUB/mirrorlist?repo=bogus&repo=sig-mc-common-9&arch=x86_64&arch=x86_64")
check "a repeated parameter: the last one wins" test "$code" = 200
for bad in "country=%zz" "country=%4" "ip=%00" "repo=%2e%2e%2fetc&arch=x86_64" "ip=999.1.1.1" "protocol=gopher" "country=toolong"; do
	code=$(req GET "$QUARRY_HUB/mirrorlist?repo=sig-mc-common-9&arch=x86_64&$bad")
	[ "$code" = 400 ] && ok "'$bad' answers 400" || { fail "'$bad' answers 400 (got $code)"; diag "$(cat "$T/body")"; }
done
code=$(req GET "$QUARRY_HUB/metalink?repo=sig-mc-common-9&arch=x86_64&countme=1&foo=bar")
check "unknown parameters are ignored" test "$code" = 200
check "the hub is still up" curl -fsS "$QUARRY_HUB/healthz"
finish
