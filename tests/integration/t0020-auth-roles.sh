#!/bin/bash
# t0020-auth-roles: tokens and roles. No or bad token → 401; a member of one
# SIG cannot upload to or publish another (403 saying why) and nothing
# changes; a lead manages their own SIG only; releng acts on any SIG;
# tokens are stored hashed; the audit log is admin-only and says who did what.
. "$(dirname "$0")/lib.sh"

# The release package (t0220) is off: this test counts what common holds.
start_hub "[release_pkg]
repo ="

for s in alpha beta; do
	q sig create $s --short-name $s --title "SIG $s" --purpose "testing $s" >/dev/null
	q project create $s/el9 --major 9 --variant 1 --arch x86_64 >/dev/null
	q repo create $s/el9/common --arch x86_64 --channel candidate >/dev/null
done
ALICE=$(new_user alice user)	# lead of alpha
BOB=$(new_user bob user)	# member of alpha
REL=$(new_user rel releng)
EVE=$(new_user eve user)	# nobody
q sig member add alpha alice --role lead >/dev/null
q sig member add alpha bob >/dev/null
as() { local tok=$1; shift; QUARRY_TOKEN=$tok "$QUARRY_BIN" "$@"; }

# --- no token, bad token: 401 ---
expect_fail 1 "^quarry: .+" env -u QUARRY_TOKEN "$QUARRY_BIN" whoami
expect_fail 1 "^quarry: .+" as qk_0123456789abcdef whoami
expect_fail 1 "^quarry: .+" as "" user list
code=$(req GET "$QUARRY_HUB/api/v1/whoami")
[ "$code" = 401 ] && ok "no token → 401" || fail "no token → 401 (got $code)"
[ "$(jget 'd["error"]["code"]')" = unauthorized ] && ok "401 body has code unauthorized" || { fail "401 body has code unauthorized"; diag "$(cat "$T/body")"; }
[ -n "$(jget 'd["error"]["message"]')" ] && ok "401 body has a message" || fail "401 body has a message"
code=$(req GET "$QUARRY_HUB/api/v1/whoami" -H "Authorization: Bearer qk_nope")
[ "$code" = 401 ] && ok "bad token → 401" || fail "bad token → 401 (got $code)"
code=$(req GET "$QUARRY_HUB/api/v1/whoami" -H "Authorization: Basic YWxpY2U6eA==")
[ "$code" = 401 ] && ok "Basic auth → 401" || fail "Basic auth → 401 (got $code)"
code=$(req POST "$QUARRY_HUB/api/v1/sigs" -H 'Content-Type: application/json' \
	-d '{"name":"x","short_name":"x","title":"T","purpose":"P"}')
[ "$code" = 401 ] && ok "create sig without token → 401" || fail "create sig without token → 401 (got $code)"

# whoami
as "$BOB" whoami --json >bob.json
[ "$(jget 'd["user"]' bob.json)" = bob ] && ok "whoami bob" || fail "whoami bob"
[ "$(jget 'd["role"]' bob.json)" = user ] && ok "bob is a user" || fail "bob is a user"
[ "$(jget 'd["sigs"]' bob.json)" = '{"alpha": "member"}' ] && ok "bob is a member of alpha" || { fail "bob is a member of alpha"; diag "$(cat bob.json)"; }
[ "$(jget 'd["sigs"]' <(as "$ALICE" whoami --json))" = '{"alpha": "lead"}' ] && ok "alice leads alpha" || fail "alice leads alpha"

# --- a member of alpha cannot upload to or publish beta ---
rpm_b=$(make_rpm bpkg 1 1.el9.beta noarch)
rpm_a=$(make_rpm apkg 1 1.el9.alpha noarch)
before_b=$(repo_state beta el9 common)
expect_fail 1 "^quarry: .*(member|lead|releng|admin|not allowed|may not|cannot|permission)" \
	as "$BOB" upload beta/el9/common "$rpm_b"
# The same through the API: staging works for anyone, adding to beta is 403.
sha=$(sha256sum "$rpm_b" | cut -d' ' -f1)
code=$(req POST "$QUARRY_HUB/api/v1/uploads?filename=bpkg-1-1.el9.beta.noarch.rpm" \
	-H "Authorization: Bearer $BOB" -H "X-Content-SHA256: $sha" --data-binary "@$rpm_b")
[ "$code" = 201 ] && ok "bob can stage an upload" || fail "bob can stage an upload (got $code)"
uid=$(jget 'd["id"]')
code=$(req POST "$QUARRY_HUB/api/v1/sigs/beta/projects/el9/repos/common/packages" \
	-H "Authorization: Bearer $BOB" -H 'Content-Type: application/json' -d "{\"uploads\":[\"$uid\"]}")
[ "$code" = 403 ] && ok "bob adding to beta → 403" || fail "bob adding to beta → 403 (got $code)"
[ "$(jget 'd["error"]["code"]')" = forbidden ] && ok "403 code forbidden" || fail "403 code forbidden"
msg=$(jget 'd["error"]["message"]')
if [ "${#msg}" -gt 15 ] && grep -qiE "beta|member|lead" <<<"$msg"; then ok "403 says why: $msg"; else fail "403 says why: '$msg'"; fi
expect_fail 1 "^quarry: .+" as "$BOB" publish beta/el9/common
code=$(req POST "$QUARRY_HUB/api/v1/sigs/beta/projects/el9/repos/common/publish" -H "Authorization: Bearer $BOB")
[ "$code" = 403 ] && ok "bob publishing beta → 403" || fail "bob publishing beta → 403 (got $code)"
expect_fail 1 "^quarry: .+" as "$BOB" publish
expect_fail 1 "^quarry: .+" as "$EVE" upload alpha/el9/common "$rpm_a"
after_b=$(repo_state beta el9 common)
[ "$before_b" = "$after_b" ] && ok "beta unchanged" || { fail "beta unchanged"; diag "$before_b" "---" "$after_b"; }
[ ! -e "$DATA/pub/sig/9/beta/x86_64/common/Packages/bpkg-1-1.el9.beta.noarch.rpm" ] && ok "no bpkg under /pub" || fail "no bpkg under /pub"

# ... but bob can upload to and publish alpha.
check "bob uploads to alpha" as "$BOB" upload alpha/el9/common "$rpm_a"
check "bob publishes alpha" as "$BOB" publish alpha/el9/common
[ "$(jget '[p["nevra"] for p in d["packages"]]' <(q repo show alpha/el9/common --json))" = '["apkg-1-1.el9.alpha.noarch"]' ] &&
	ok "alpha holds apkg" || fail "alpha holds apkg"

# --- a lead manages their own SIG only ---
check "alice (lead) adds eve to alpha" as "$ALICE" sig member add alpha eve
check "alice (lead) removes eve from alpha" as "$ALICE" sig member remove alpha eve
expect_fail 1 "^quarry: .+" as "$ALICE" sig member add beta eve
check "alice updates alpha" as "$ALICE" sig update alpha --purpose "new purpose"
expect_fail 1 "^quarry: .+" as "$ALICE" sig update beta --purpose "hijacked"
check "alice creates a repo in alpha" as "$ALICE" repo create alpha/el9/extras --arch x86_64
expect_fail 1 "^quarry: .+" as "$ALICE" repo create beta/el9/extras --arch x86_64
expect_fail 1 "^quarry: .+" as "$ALICE" project create beta/el10 --major 10 --variant 1 --arch x86_64
expect_fail 1 "^quarry: .+" as "$BOB" sig member add alpha eve
expect_fail 1 "^quarry: .+" as "$BOB" sig update alpha --title "bob's"
expect_fail 1 "^quarry: .+" as "$ALICE" sig retire alpha
expect_fail 1 "^quarry: .+" as "$ALICE" sig create gamma --short-name gamma --title G --purpose P
expect_fail 1 "^quarry: .+" as "$ALICE" user list
expect_fail 1 "^quarry: .+" as "$ALICE" user create mallory --role admin
expect_fail 1 "^quarry: .+" as "$ALICE" token create --user bob
[ "$(jget 'd["purpose"]' <(q sig show beta --json))" = "testing beta" ] && ok "beta's purpose unchanged" || fail "beta's purpose unchanged"
[ "$(jget '[m["user"] for m in d["members"]]' <(q sig show beta --json))" = '[]' ] && ok "beta has no members" || fail "beta has no members"

# --- releng acts on any SIG's content ---
check "releng uploads to beta" as "$REL" upload beta/el9/common "$rpm_b"
check "releng publishes beta" as "$REL" publish beta/el9/common
check "releng publishes everything" as "$REL" publish
check "releng updates beta" as "$REL" sig update beta --title "Beta SIG"
check "releng creates a project in beta" as "$REL" project create beta/el10 --major 10 --variant 1 --arch x86_64
check "releng creates a repo in alpha" as "$REL" repo create alpha/el9/testing --arch x86_64 --channel testing
expect_fail 1 "^quarry: .+" as "$REL" sig create gamma --short-name gamma --title G --purpose P
expect_fail 1 "^quarry: .+" as "$REL" user list
expect_fail 1 "^quarry: .+" as "$REL" audit

# --- tokens ---
T2=$(as "$BOB" token create --description second)
check "bob's second token works" as "$T2" whoami
[ "$(jget '[t["user"] for t in d["tokens"]]' <(as "$BOB" token list --json) | tr -d ' ')" = '["bob","bob"]' ] &&
	ok "bob lists only his tokens" || { fail "bob lists only his tokens"; diag "$(as "$BOB" token list)"; }
as "$BOB" token list --json >tl.json
grep -q "qk_" tl.json && fail "token list shows no secrets" || ok "token list shows no secrets"
t2id=$(jget '[t["id"] for t in d["tokens"] if t["description"] == "second"][0]' tl.json)
admin_id=$(jget '[t["id"] for t in d["tokens"] if t["user"] == "admin"][0]' <(q token list --json))
expect_fail 1 "^quarry: .+" as "$BOB" token revoke "$admin_id"
check "admin still works" q whoami
check "bob revokes his second token" as "$BOB" token revoke "$t2id"
expect_fail 1 "^quarry: .+" as "$T2" whoami
check "an admin creates a token for bob" q token create --user bob

# Tokens are stored hashed: no token string anywhere in the database files.
stop_hub
dbfiles=("$DATA"/quarry.db*)
# The search can find something: the files are there and hold bob's name.
check "the database file is where the search looks" test -s "$DATA/quarry.db"
check "  … and the search finds what is in it (bob's user name)" bash -c 'cat "$@" | grep -q -a -F bob' _ "${dbfiles[@]}"
for tok in "$ADMIN_TOKEN" "$ALICE" "$BOB" "$REL" "$EVE" "$T2"; do
	hex=${tok#qk_}
	rc=0
	n=$(cat "${dbfiles[@]}" | grep -c -a -F -e "$tok" -e "$hex") || rc=$?
	# grep -c: exit 1 and 0 lines when nothing matched; anything else is a hit or an error.
	[ "$rc" = 1 ] && [ "$n" = 0 ] && ok "token ${tok:0:8}… not in the database" || fail "token ${tok:0:8}… not in the database ($n hits, exit $rc)"
done
if sqlite3 "$DATA/quarry.db" .dump | grep -q -F -e "${BOB#qk_}"; then fail "bob's token not in a dump"; else ok "bob's token not in a dump"; fi
launch_hub

# --- audit: admin only, says who did what ---
expect_fail 1 "^quarry: .+" as "$BOB" audit
code=$(req GET "$QUARRY_HUB/api/v1/audit" -H "Authorization: Bearer $ALICE")
[ "$code" = 403 ] && ok "audit as a lead → 403" || fail "audit as a lead → 403 (got $code)"
q audit --json --limit 500 >audit.json
check "audit as admin" test -s audit.json
n=$(jget 'len(d["entries"])' audit.json)
[ "$n" -gt 10 ] && ok "audit has $n entries" || fail "audit has entries (got $n)"
jget 'd["entries"]' audit.json >entries.json
has() { python3 - "$@" <<'PY'
import json, sys
user, action_re, target_re = sys.argv[1:4]
import re
for e in json.load(open("entries.json")):
    if (user == "*" or e.get("user") == user) and re.search(action_re, str(e.get("action", ""))) and re.search(target_re, str(e.get("target", "")) + " " + str(e.get("detail", ""))):
        sys.exit(0)
sys.exit(1)
PY
}
has "*" "" "gamma" && fail "no audit row for the refused sig gamma" || ok "no audit row for the refused sig gamma"
has admin "sig" "alpha" && ok "audit: admin created sig alpha" || fail "audit: admin created sig alpha"
has alice "member" "eve" && ok "audit: alice changed members (eve)" || fail "audit: alice changed members (eve)"
has bob "upload|package" "apkg|alpha" && ok "audit: bob uploaded to alpha" || fail "audit: bob uploaded to alpha"
has rel "" "beta" && ok "audit: releng acted on beta" || fail "audit: releng acted on beta"
has bob "token" "" && ok "audit: bob's token changes" || fail "audit: bob's token changes"
[ "$(jget '[e["id"] for e in d["entries"]] == sorted([e["id"] for e in d["entries"]], reverse=True)' audit.json)" = True ] &&
	ok "audit is newest first" || fail "audit is newest first"
[ "$(jget 'len(d["entries"])' <(q audit --json --limit 3))" = 3 ] && ok "audit --limit 3" || fail "audit --limit 3"
check "audit readable text" bash -c '"$QUARRY_BIN" audit --limit 5 | head -1 | grep -q "USER"'

finish
