#!/bin/bash
# t0600-mirrors-real-files: mirrors.d files as AlmaLinux's are written, read
# with upstream's meaning. A directory of good, odd (interpreted, with
# warnings at FILE:LINE:COL) and bad (refused by upstream's check too) files:
# `mirror import` imports the good and odd ones, lists the refused ones and
# exits 1; what a refused file names keeps its stored definition; --strict
# imports nothing; the stored values are the interpreted ones.
. "$(dirname "$0")/lib.sh"

start_hub
names() { q mirror list --json | python3 -c 'import json, sys
print(" ".join(sorted(m["name"] for m in json.load(sys.stdin)["mirrors"])))'; }

# --- a mirror already stored, which a refused file will name ---
mkdir first
cat >first/kept.example.org.yml <<'YML'
name: kept.example.org
address:
  https: https://kept.example.org/almalinux/
update_frequency: 6h
sponsor: Original Sponsor
sponsor_url: https://kept.example.org/
YML
check "import the first mirror" q mirror import first

mkdir mirrors.d
cat >mirrors.d/a-plain.example.net.yml <<'YML'
name: a-plain.example.net
address:
  https: https://a-plain.example.net/almalinux/
update_frequency: 2h
sponsor: Plain
sponsor_url: https://a-plain.example.net/
geolocation:
  country: CZ
YML
# Everything upstream accepts but Quarry must interpret.
cat >mirrors.d/b-odd.example.co.uk.yml <<'YML'
name: b-odd.example.co.uk
address:
  http: https://b-odd.example.co.uk/almalinux
  rsync: b-odd.example.co.uk::almalinux
address_optional:
  http: http://b-odd-v6.example.co.uk/almalinux/
update_frequency: 3 hours
sponsor: First Sponsor
sponsor_url: www.example.co.uk
sponsor: Odd Hosting
private: no
geolocation:
  country: UK
  continent: Europe
  City: London
YML
cat >mirrors.d/c-names.example.de.yaml <<'YML'
name: c-names.example.de
address:
  https: http://c-names.example.de/pub/
  rsync: rsync://mirror@c-names.example.de/almalinux
update_frequency: 1h
sponsor: Names
sponsor_url: https://example.de/
geolocation:
  country: Germany
asn: 0x2852
YML
# Refused upstream too: asn as a string.
cat >mirrors.d/kept.example.org.yml <<'YML'
name: kept.example.org
address:
  https: https://kept.example.org/changed/
update_frequency: 6h
sponsor: Changed Sponsor
sponsor_url: https://kept.example.org/
asn: "64500"
YML
# Broken YAML.
printf 'name: [unclosed\naddress: {\n' >mirrors.d/z-broken.yml

rc=0
q mirror import mirrors.d >out.txt 2>err.txt || rc=$?
[ "$rc" = 1 ] && ok "a partial import exits 1" || { fail "a partial import exits 1 (got $rc)"; diag "$(cat out.txt err.txt)"; }
grep -q "^imported 3 mirrors, all active; refused 2 files" out.txt && ok "says how many were imported and refused" || { fail "says how many were imported and refused"; diag "$(cat out.txt)"; }
[ "$(names)" = "a-plain.example.net b-odd.example.co.uk c-names.example.de kept.example.org" ] && ok "the good and odd files imported" || { fail "the good and odd files imported"; diag "$(names)"; }
for pat in \
	"mirrors.d/kept.example.org.yml:7:6: 'asn': expected an AS number, got the string '64500'" \
	"mirrors.d/z-broken.yml:2:8: yaml: " \
	"mirrors.d/b-odd.example.co.uk.yml:3:9: warning: 'address.http': an https URL under 'http': used as 'address.https'" \
	"mirrors.d/b-odd.example.co.uk.yml:4:10: warning: 'address.rsync': 'b-odd.example.co.uk::almalinux' read as 'rsync://b-odd.example.co.uk/almalinux/'" \
	"mirrors.d/b-odd.example.co.uk.yml:5:1: warning: 'address_optional': optional addresses are not used" \
	"mirrors.d/b-odd.example.co.uk.yml:7:19: warning: 'update_frequency': '3 hours' read as 10800 seconds" \
	"mirrors.d/b-odd.example.co.uk.yml:8:1: warning: 'sponsor': duplicate key" \
	"mirrors.d/b-odd.example.co.uk.yml:9:14: warning: 'sponsor_url': 'www.example.co.uk' read as 'https://www.example.co.uk'" \
	"mirrors.d/b-odd.example.co.uk.yml:13:12: warning: 'geolocation.country': 'UK' read as the country code 'GB'" \
	"mirrors.d/b-odd.example.co.uk.yml:14:3: warning: 'geolocation.continent'" \
	"mirrors.d/b-odd.example.co.uk.yml:15:3: warning: 'geolocation.City': unknown key, ignored" \
	"mirrors.d/c-names.example.de.yaml:3:10: warning: 'address.https': an http URL under 'https': used as 'address.http'" \
	"mirrors.d/c-names.example.de.yaml:4:10: warning: 'address.rsync': 'rsync://mirror@c-names.example.de/almalinux' read as 'rsync://c-names.example.de/almalinux/'" \
	"mirrors.d/c-names.example.de.yaml:9:12: warning: 'geolocation.country': 'Germany' read as the country code 'DE'"; do
	grep -qF -- "$pat" err.txt && ok "printed: $pat" || { fail "printed: $pat"; diag "$(cat err.txt)"; }
done
lacks "a good file has no message" err.txt "a-plain"

# --- what was stored: the interpreted values ---
q mirror show b-odd.example.co.uk --json >b.json
[ "$(jget 'd["definition"]["address"].get("https")' b.json)" = "https://b-odd.example.co.uk/almalinux/" ] && ok "https URL under http stored as https" || { fail "https URL under http stored as https"; diag "$(cat b.json)"; }
[ "$(jget 'd["definition"]["address"].get("http")' b.json)" = None ] && ok "no http address invented" || fail "no http address invented"
[ "$(jget 'd["definition"]["address"]["rsync"]' b.json)" = "rsync://b-odd.example.co.uk/almalinux/" ] && ok "rsync host::module normalised" || fail "rsync host::module normalised"
[ "$(jget 'd["definition"]["geolocation"]["country"]' b.json)" = GB ] && ok "UK stored as GB" || fail "UK stored as GB"
[ "$(jget 'd["definition"]["sponsor"]' b.json)" = "Odd Hosting" ] && ok "duplicate key: the last value" || fail "duplicate key: the last value"
[ "$(jget 'd["definition"]["sponsor_url"]' b.json)" = "https://www.example.co.uk" ] && ok "sponsor_url got https://" || fail "sponsor_url got https://"
[ "$(jget 'd["definition"]["private"]' b.json)" = False ] && ok "private: no is false" || fail "private: no is false"
[ "$(jget 'd["definition"]["update_seconds"]' b.json)" = 10800 ] && ok "3 hours is 10800 s" || fail "3 hours is 10800 s"
lacks "address_optional is not stored" b.json "b-odd-v6"
q mirror show c-names.example.de --json >c.json
[ "$(jget 'd["definition"]["geolocation"]["country"] + " " + d["definition"]["address"]["http"] + " " + str(d["definition"]["asn"])' c.json)" = "DE http://c-names.example.de/pub/ [10322]" ] && ok "Germany, http under https, hex asn" || { fail "Germany, http under https, hex asn"; diag "$(cat c.json)"; }
# The refused file changed nothing of the stored mirror it names.
q mirror show kept.example.org --json >k.json
[ "$(jget 'd["definition"]["sponsor"] + " " + d["definition"]["address"]["https"]' k.json)" = "Original Sponsor https://kept.example.org/almalinux/" ] && ok "refused file: stored definition kept" || { fail "refused file: stored definition kept"; diag "$(cat k.json)"; }

# --- --json: the counts, the lists, exit 1 ---
rc=0
q mirror import mirrors.d --json >imp.json 2>/dev/null || rc=$?
[ "$rc" = 1 ] && ok "--json partial import exits 1" || fail "--json partial import exits 1 (got $rc)"
[ "$(jget '(d["imported"], d["refused"], sorted(d["refused_files"]), len(d["errors"]) >= 2, len(d["warnings"]) >= 12)' imp.json)" = "(3, 2, ['mirrors.d/kept.example.org.yml', 'mirrors.d/z-broken.yml'], True, True)" ] && ok "--json: counts and lists" || { fail "--json: counts and lists"; diag "$(cat imp.json)"; }

# --- --strict: all or nothing ---
mkdir strict
cp mirrors.d/z-broken.yml strict/
sed 's/a-plain/d-new/g' mirrors.d/a-plain.example.net.yml >strict/d-new.example.net.yml
rc=0
out=$(q mirror import --strict strict 2>&1) || rc=$?
[ "$rc" = 1 ] && ok "--strict with a bad file exits 1" || { fail "--strict with a bad file exits 1 (got $rc)"; diag "$out"; }
grep -q "^strict/z-broken.yml:2:8: yaml: " <<<"$out" && ok "--strict prints the error" || { fail "--strict prints the error"; diag "$out"; }
grep -q "nothing was changed" <<<"$out" && ok "--strict says nothing was changed" || { fail "--strict says nothing was changed"; diag "$out"; }
names >n.txt
lacks "--strict: the good file is not imported" n.txt "d-new"
rm strict/z-broken.yml
check "--strict with good files only" q mirror import --strict strict
grep -q d-new.example.net <<<"$(names)" && ok "--strict imports when all are good" || fail "--strict imports when all are good"

# --- only bad files: a refusal, nothing changed ---
mkdir allbad
cp mirrors.d/z-broken.yml allbad/
expect_fail 1 "nothing was changed" q mirror import allbad
expect_status 400 POST mirrors/import -H 'Content-Type: application/json' -d '{"files":[{"name":"x.yml","text":"name: x"}],"strict":"yes"}'
[ "$(jget 'd["error"]["message"]')" = "field 'strict' must be true or false" ] && ok "strict must be a boolean" || fail "strict must be a boolean"

# --- apply: the warnings are printed too ---
rc=0
out=$(q mirror apply mirrors.d/c-names.example.de.yaml 2>&1) || rc=$?
[ "$rc" = 0 ] && grep -q "^request:9:12: warning: 'geolocation.country'" <<<"$out" && ok "apply prints the warnings" || { fail "apply prints the warnings (rc $rc)"; diag "$out"; }

finish
