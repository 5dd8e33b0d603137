#!/bin/bash
# t0010-sig-crud: create, list, show, update and retire SIGs; the short
# name cannot change; the public key is served by the API and under /pub
# and never holds private material; members are added and removed.
. "$(dirname "$0")/lib.sh"

start_hub

check "create sig mc" q sig create mc --short-name mc --title "Messaging and Communication" \
	--purpose "Chat and mail servers" --status active --wiki https://wiki.example.org/mc \
	--chat https://chat.example.org/mc --mailing-list mc@lists.example.org
check "create sig cloud (proposed)" q sig create cloud --short-name cloud --title Cloud \
	--purpose "Cloud images" --status proposed

# list
q sig list >list.txt
if grep -q "^mc " list.txt && grep -q "^cloud " list.txt; then ok "sig list shows both"; else fail "sig list shows both"; diag "$(cat list.txt)"; fi
q sig list --json >list.json
[ "$(jget 'len(d["sigs"])' list.json)" = 2 ] && ok "sig list --json has 2 SIGs" || fail "sig list --json has 2 SIGs"
check "sig list needs no token" env -u QUARRY_TOKEN "$QUARRY_BIN" sig list

# show
q sig show mc --json >mc.json
for kv in 'name=mc' 'short_name=mc' 'title=Messaging and Communication' \
	'purpose=Chat and mail servers' 'status=active' 'wiki=https://wiki.example.org/mc' \
	'chat=https://chat.example.org/mc' 'mailing_list=mc@lists.example.org' \
	'key_url=/api/v1/sigs/mc/key'; do
	k=${kv%%=*} v=${kv#*=}
	got=$(jget "d.get('$k')" mc.json)
	[ "$got" = "$v" ] && ok "sig mc $k = $v" || fail "sig mc $k = $v (got '$got')"
done
fpr=$(jget 'd.get("key_fingerprint") or ""' mc.json)
[[ $fpr =~ ^[0-9A-Fa-f]{40}$ ]] && ok "sig mc has a key fingerprint" || fail "sig mc has a key fingerprint ('$fpr')"
[ "$(jget 'd["status"]' <(q sig show cloud --json))" = proposed ] && ok "cloud is proposed" || fail "cloud is proposed"
check "sig show prints readable fields" bash -c '"$QUARRY_BIN" sig show mc | grep -q "^title: *Messaging and Communication"'
expect_fail 1 "^quarry: .*nosuch.*not found" q sig show nosuch

# create refusals
expect_fail 1 "^quarry: .*(exist|already|conflict)" q sig create mc --short-name mc2 --title X --purpose Y
expect_fail 2 "short name" q sig create other --short-name "Bad" --title X --purpose Y
expect_status 400 POST sigs -H 'Content-Type: application/json' \
	-d '{"name":"bad-short","short_name":"no-dash","title":"T","purpose":"P"}'
expect_status 400 POST sigs -H 'Content-Type: application/json' \
	-d '{"name":"nopurpose","short_name":"np"}'
expect_status 400 POST sigs -H 'Content-Type: application/json' \
	-d '{"name":"badstatus","short_name":"bs","title":"T","purpose":"P","status":"dead"}'

# update
check "update title and status" q sig update mc --title "Messaging" --status community-interest
q sig show mc --json >mc2.json
[ "$(jget 'd["title"]' mc2.json)" = Messaging ] && ok "title changed" || fail "title changed"
[ "$(jget 'd["status"]' mc2.json)" = community-interest ] && ok "status changed" || fail "status changed"
[ "$(jget 'd["purpose"]' mc2.json)" = "Chat and mail servers" ] && ok "purpose kept" || fail "purpose kept"
check "update links" q sig update mc --wiki https://wiki2.example.org/ --mailing-list other@example.org
[ "$(jget 'd["wiki"]' <(q sig show mc --json))" = https://wiki2.example.org/ ] && ok "wiki changed" || fail "wiki changed"
expect_fail 1 "^quarry: .*not found" q sig update nosuch --title X

# short_name cannot change: 400, and it does not.
expect_status 400 PATCH sigs/mc -H 'Content-Type: application/json' -d '{"short_name":"xx"}'
grep -qi "short" "$T/body" && ok "the refusal names short_name" || { fail "the refusal names short_name"; diag "$(cat "$T/body")"; }
[ "$(jget 'd["short_name"]' <(q sig show mc --json))" = mc ] && ok "short_name still mc" || fail "short_name still mc"
expect_status 400 PATCH sigs/mc -H 'Content-Type: application/json' -d '{"status":"bogus"}'

# The public key: API and /pub, the same armored public key, no private part.
check "sig key" bash -c '"$QUARRY_BIN" sig key mc >key-cli.asc'
code=$(req GET "$QUARRY_HUB/api/v1/sigs/mc/key" -D key-api.hdr)
cp "$T/body" key-api.asc
[ "$code" = 200 ] && ok "GET /api/v1/sigs/mc/key → 200" || fail "GET /api/v1/sigs/mc/key → 200 (got $code)"
grep -qi '^content-type: application/pgp-keys' key-api.hdr && ok "key content type application/pgp-keys" || { fail "key content type application/pgp-keys"; diag "$(cat key-api.hdr)"; }
code=$(req GET "$QUARRY_HUB/pub/sig/keys/RPM-GPG-KEY-quarry-mc")
cp "$T/body" key-pub.asc
[ "$code" = 200 ] && ok "GET /pub/sig/keys/RPM-GPG-KEY-quarry-mc → 200" || fail "GET /pub/sig/keys/RPM-GPG-KEY-quarry-mc → 200 (got $code)"
for f in key-cli.asc key-api.asc key-pub.asc; do
	if grep -q -- "-----BEGIN PGP PUBLIC KEY BLOCK-----" "$f" && ! grep -qi "PRIVATE" "$f"; then
		ok "$f is a public key without PRIVATE"
	else
		fail "$f is a public key without PRIVATE"
		diag "$(head -c 400 "$f")"
	fi
done
cmp -s key-api.asc key-pub.asc && ok "API and /pub keys are the same" || fail "API and /pub keys are the same"
cmp -s key-api.asc key-cli.asc && ok "CLI prints the same key" || fail "CLI prints the same key"
mkdir -m 700 gpghome
if gpg --homedir gpghome --batch --with-colons --show-keys key-api.asc >keyinfo 2>&1 &&
	grep -q "^fpr:.*$fpr" keyinfo && ! grep -q "^sec" keyinfo; then
	ok "the key parses, has fingerprint $fpr, and no secret part"
else
	fail "the key parses, has fingerprint $fpr, and no secret part"
	diag "$(cat keyinfo)"
fi
gpgconf --homedir gpghome --kill all >/dev/null 2>&1 || true
code=$(req GET "$QUARRY_HUB/api/v1/sigs/nosuch/key")
[ "$code" = 404 ] && ok "key of an unknown SIG → 404" || fail "key of an unknown SIG → 404 (got $code)"
if grep -rlI -- "PRIVATE KEY" "$DATA/pub" >/dev/null 2>&1; then fail "no private key under /pub"; else ok "no private key under /pub"; fi

# members
new_user alice user >/dev/null
new_user bob user >/dev/null
check "member add alice as lead" q sig member add mc alice --role lead
check "member add bob" q sig member add mc bob
q sig show mc --json >m.json
[ "$(jget '{m["user"]: m["role"] for m in d["members"]}' m.json)" = '{"alice": "lead", "bob": "member"}' ] &&
	ok "members alice=lead bob=member" || { fail "members alice=lead bob=member"; diag "$(cat m.json)"; }
check "sig show lists members" bash -c '"$QUARRY_BIN" sig show mc | grep -q "^alice  *lead"'
check "member remove bob" q sig member remove mc bob
[ "$(jget '[m["user"] for m in d["members"]]' <(q sig show mc --json))" = '["alice"]' ] &&
	ok "bob removed" || fail "bob removed"
expect_fail 1 "^quarry: .*(nobody|not found|unknown)" q sig member add mc nobody
expect_fail 1 "^quarry: .*not found" q sig member add nosuch alice
expect_status 400 PUT sigs/mc/members/alice -H 'Content-Type: application/json' -d '{"role":"king"}'
# The list has no members; details have them.
[ "$(jget '"members" in d["sigs"][0]' <(q sig list --json))" = False ] && ok "sig list has no members" || fail "sig list has no members"

# retire
check "retire cloud" q sig retire cloud
[ "$(jget 'd["status"]' <(q sig show cloud --json))" = retired ] && ok "cloud is retired" || fail "cloud is retired"
expect_fail 1 "^quarry: .*not found" q sig retire nosuch
check "cloud still listed" bash -c '"$QUARRY_BIN" sig list | grep -q "^cloud .*retired"'

finish
