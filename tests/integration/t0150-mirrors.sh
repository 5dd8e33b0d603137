#!/bin/bash
# t0150-mirrors: the mirror registry. Import a mirrors.d directory
# (all active); an import --strict with one broken file reports every error
# as FILE:LINE:COL with the field's name, the warnings too, and imports
# nothing; a user applies a
# mirror (pending), cannot approve it, an admin approves, disables with a
# reason, enables and removes it; every change is in the audit log; YAML
# anchors, aliases and merge keys are read as PyYAML reads them, an alias
# without its anchor is refused.
. "$(dirname "$0")/lib.sh"

start_hub
SRC=${QUARRY_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
as() { local tok=$1; shift; QUARRY_TOKEN=$tok "$QUARRY_BIN" "$@"; }
names() { q mirror list --json | python3 -c 'import json, sys
print(" ".join(sorted(m["name"] + "=" + m["state"] for m in json.load(sys.stdin)["mirrors"])))'; }

# --- import the good directory: all active ---
check "import tests/data/mirrors.d" q mirror import "$SRC/tests/data/mirrors.d"
want="cloud.example.org=active mirror.example.cz=active private.example.net=active"
[ "$(names)" = "$want" ] && ok "all three imported, active" || { fail "all three imported, active"; diag "$(names)"; }
check "mirror list is public" env -u QUARRY_TOKEN "$QUARRY_BIN" mirror list
q mirror list >list.txt
grep -q "^mirror.example.cz .*active .*CZ .*https://mirror.example.cz/pub/" list.txt && ok "list shows state, country, urls" || { fail "list shows state, country, urls"; diag "$(cat list.txt)"; }
q mirror show private.example.net --json >priv.json
[ "$(jget 'd["definition"]["geolocation"]["country"]' priv.json)" = DE ] && ok "show: country upper-cased" || fail "show: country upper-cased"
[ "$(jget 'd["definition"]["asn"]' priv.json)" = "[64500, 4294967295]" ] && ok "show: asn list" || fail "show: asn list"
[ "$(jget 'd.get("applied_by", "absent")' priv.json)" = absent ] && ok "public show hides the applier" || fail "public show hides the applier"
check "show readable" bash -c '"$QUARRY_BIN" mirror show mirror.example.cz | grep -q "^state: *active"'

# --- an import with one broken file: every error, nothing imported ---
mkdir bad
cp "$SRC"/tests/data/mirrors.d/*.y*ml bad/
sed 's/^name: .*/name: new.example.com/' bad/mirror.example.cz.yml >bad/new.example.com.yml
cat >bad/zz-broken.yml <<'YML'
name: broken.example.com
address:
  http: ftp://broken.example.com/
update_frequency: 3 hours
sponsor: Broken
sponsor_url: https://broken.example.com/
geolocation: {country: XX}
asn: "2852"
colour: red
YML
rc=0
out=$(q mirror import --strict bad 2>&1) || rc=$?
[ "$rc" = 1 ] && ok "broken import --strict exits 1" || { fail "broken import --strict exits 1 (got $rc)"; diag "$out"; }
for pat in "bad/zz-broken.yml:3:3: 'address'" "bad/zz-broken.yml:8:6: 'asn'" \
	"bad/zz-broken.yml:3:9: warning: 'address.http'" "bad/zz-broken.yml:4:19: warning: 'update_frequency'" \
	"bad/zz-broken.yml:7:24: warning: 'geolocation.country'" "bad/zz-broken.yml:9:1: warning: 'colour'"; do
	grep -qF -- "$pat" <<<"$out" && ok "printed: $pat" || { fail "printed: $pat"; diag "$out"; }
done
[ "$(grep -E '^bad/zz-broken.yml:[0-9]+:[0-9]+: ' <<<"$out" | grep -cv ' warning: ')" = 2 ] && ok "exactly the 2 errors" || { fail "exactly the 2 errors"; diag "$out"; }
[ "$(names)" = "$want" ] && ok "nothing imported (new.example.com absent)" || { fail "nothing imported"; diag "$(names)"; }
# duplicate names across files
cp "$SRC/tests/data/mirrors.d/cloud.example.org.yml" bad/zz-broken.yml
expect_fail 1 "^bad/zz-broken.yml:1:7: 'name': mirror 'cloud.example.org' is already defined in bad/cloud.example.org.yml:1:7" q mirror import --strict bad
[ "$(names)" = "$want" ] && ok "duplicate: nothing imported" || fail "duplicate: nothing imported"
rm -r bad

# --- self-service: a user applies, cannot approve; an admin approves ---
ALICE=$(new_user alice user)
cat >new.yml <<'YML'
name: New.Example.com
address:
  https: https://new.example.com/almalinux
update_frequency: 6h
sponsor: New Example
sponsor_url: https://new.example.com/
geolocation:
  country: fr
YML
check "alice applies a mirror" as "$ALICE" mirror apply new.yml
[ "$(jget 'd["state"]' <(q mirror show new.example.com --json))" = pending ] && ok "new mirror is pending" || fail "new mirror is pending"
expect_fail 1 "^quarry: .*(may not|only admins)" as "$ALICE" mirror approve new.example.com
code=$(req POST "$QUARRY_HUB/api/v1/mirrors/new.example.com/approve" -H "Authorization: Bearer $ALICE")
[ "$code" = 403 ] && ok "approve by a user → 403" || fail "approve by a user → 403 (got $code)"
expect_fail 1 "^quarry: .*(may not|only admins)" as "$ALICE" mirror import "$SRC/tests/data/mirrors.d"
check "alice re-applies her mirror" as "$ALICE" mirror apply new.yml
BOB=$(new_user bob user)
expect_fail 1 "^quarry: .*another user" as "$BOB" mirror apply new.yml
code=$(req POST "$QUARRY_HUB/api/v1/mirrors" -H "Authorization: Bearer $BOB" --data-binary @new.yml)
[ "$code" = 409 ] && ok "apply by someone else → 409" || fail "apply by someone else → 409 (got $code)"
code=$(req POST "$QUARRY_HUB/api/v1/mirrors" --data-binary @new.yml)
[ "$code" = 401 ] && ok "apply without a token → 401" || fail "apply without a token → 401 (got $code)"
check "admin approves" q mirror approve new.example.com
[ "$(jget 'd["state"]' <(q mirror show new.example.com --json))" = active ] && ok "approved mirror is active" || fail "approved mirror is active"
expect_fail 1 "pending: it was never approved|not found" q mirror enable nosuch.example.com

# --- disable with a reason, enable, remove ---
check "disable with a reason" q mirror disable new.example.com --reason "serves stale content"
q mirror show new.example.com --json >dis.json
[ "$(jget 'd["state"]' dis.json)" = disabled ] && ok "disabled" || fail "disabled"
[ "$(jget 'd["reason"]' dis.json)" = "serves stale content" ] && ok "reason shown" || fail "reason shown"
q mirror show new.example.com | grep -q "^reason: *serves stale content" && ok "readable show has the reason" || fail "readable show has the reason"
expect_fail 1 "disabled, not pending" q mirror approve new.example.com
check "enable" q mirror enable new.example.com
[ "$(jget 'd["state"] + "/" + d["reason"]' <(q mirror show new.example.com --json))" = "active/" ] && ok "enabled, reason cleared" || fail "enabled, reason cleared"
check "remove" q mirror remove new.example.com
expect_fail 1 "^quarry: .*not found" q mirror show new.example.com
expect_fail 1 "^quarry: .*not found" q mirror remove new.example.com
[ "$(names)" = "$want" ] && ok "list back to the imported three" || fail "list back to the imported three"

# --- audit ---
q audit --json >audit.json
for a in "admin mirror.import mirror.example.cz" "alice mirror.apply new.example.com" \
	"alice mirror.reapply new.example.com" "admin mirror.approve new.example.com" \
	"admin mirror.disable new.example.com" "admin mirror.enable new.example.com" \
	"admin mirror.remove new.example.com"; do
	set -- $a
	python3 - "$1" "$2" "$3" audit.json <<'PY' && ok "audit: $a" || fail "audit: $a"
import json, sys
u, act, tgt, f = sys.argv[1:]
sys.exit(0 if any(e["user"] == u and e["action"] == act and e["target"] == tgt for e in json.load(open(f))["entries"]) else 1)
PY
done
python3 - audit.json <<'PY' && ok "audit: the disable reason" || fail "audit: the disable reason"
import json, sys
sys.exit(0 if any(e["action"] == "mirror.disable" and "serves stale content" in e["detail"] for e in json.load(open(sys.argv[1]))["entries"]) else 1)
PY

# --- an alias without its anchor is refused; so is broken YAML ---
cat >alias.yml <<'YML'
name: alias.example.com
address:
  http: &u http://alias.example.com/
  https: *nope
update_frequency: 1h
sponsor: Alias
sponsor_url: https://alias.example.com/
YML
expect_fail 1 "^request:4:10: alias '\*nope' has no anchor before it" q mirror apply alias.yml
expect_status 400 POST mirrors --data-binary @alias.yml
[ "$(jget 'len(d["error"]["errors"]) >= 1' )" = True ] && ok "400 lists errors" || fail "400 lists errors"
printf 'name: [unclosed\n' >broken.yml
expect_fail 1 "^request:[0-9]+:[0-9]+: " q mirror apply broken.yml
expect_status 400 POST mirrors/import -H 'Content-Type: application/json' -d '{"files":"x"}'
expect_status 400 POST mirrors
[ "$(names)" = "$want" ] && ok "refusals changed nothing" || fail "refusals changed nothing"

# --- anchors, aliases and a merge key, as PyYAML reads them ---
cat >merge.yml <<'YML'
shared: &s
  update_frequency: 1h
  sponsor: Shared
  sponsor_url: https://merge.example.com/
name: merge.example.com
<<: *s
sponsor: Merge Own
address:
  https: &u https://merge.example.com/pub/
geolocation: {country: CZ, city: *u}
YML
check "an anchor, an alias and a merge key are read" q mirror apply merge.yml
expect_status 200 GET mirrors/merge.example.com
check "the merged and own keys" test "$(jget 'd["definition"]["sponsor"] + "|" + d["definition"]["update_frequency"] + "|" + d["definition"]["geolocation"]["city"]')" = "Merge Own|1h|https://merge.example.com/pub/"

finish
