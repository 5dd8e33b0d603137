#!/bin/bash
# t0503-advisories-refusals: what the API refuses about an advisory, and
# that a refusal changes nothing. PATCH /updates/ID with bad bodies (an
# unknown type or severity, a severity without security, security without
# a severity, a bad CVE id, a non-http(s) URL, control characters, too
# long, unknown fields, an empty change): 400, the message names the
# field, and the update (its JSON) and the testing repo's repomd.xml stay
# as they were. The same at create: no update is made and the build stays
# free. Who may edit: the creator (a SIG member) and SIG leads, not another
# member, nor another SIG's lead, nor anyone without a token.
. "$(dirname "$0")/lib.sh"

start_hub "[mirror]
crawl_interval = 0
[geoip]
tor_v4 =
tor_v6 ="
q sig create cloud --short-name cloud --title "Cloud" --purpose "tests" >/dev/null
q sig create other --short-name ot --title "Other" --purpose "tests" >/dev/null
q project create cloud/el9 --major 9 --variant 1 --arch x86_64 >/dev/null
q repo create cloud/el9/common --arch x86_64 --channel release >/dev/null
q policy set cloud/el9 --checks "" --auto-testing false >/dev/null
BOB=$(new_user bob user)
MEG=$(new_user meg user)
ALICE=$(new_user alice user)
CAROL=$(new_user carol user)
q sig member add cloud bob --role member >/dev/null
q sig member add cloud meg --role member >/dev/null
q sig member add cloud alice --role lead >/dev/null
q sig member add other carol --role lead >/dev/null
PUB=$DATA/pub/sig/9/cloud/x86_64
PKG_ARCH=noarch make_git_pkg "$T/g1" rf-a 1.0 1 r9-sig-cloud-1
PKG_ARCH=noarch make_git_pkg "$T/g2" rf-b 1.0 1 r9-sig-cloud-1
b1=$(q build cloud/el9 "$T/g1#r9-sig-cloud-1" --json | jget 'd["id"]' /dev/stdin)
b2=$(q build cloud/el9 "$T/g2#r9-sig-cloud-1" --json | jget 'd["id"]' /dev/stdin)
check "build 1 completes" test "$(wait_build "$b1")" = complete
check "build 2 completes" test "$(wait_build "$b2")" = complete
U=$(QUARRY_TOKEN=$BOB q update create cloud/el9 common "$b1" --type security --severity Low \
	--notes "n" --ref CVE-2026-60001 --json | jget 'd["id"]' /dev/stdin)
QUARRY_TOKEN=$BOB q promote "$U" --to testing >/dev/null
check "the testing repo has an updateinfo" bash -c "grep -q updateinfo '$PUB/common-testing/repodata/repomd.xml'"
# The checks run in the background and show in the update: let them end,
# so that only the calls below can change what state() sees.
for _ in $(seq 600); do
	q update show "$U" --json | jget 'all(c["state"] in ("pass", "fail", "error") for l in d["checks"].values() for c in l) and len(d["checks"]) > 0' /dev/stdin | grep -q True && break
	sleep 0.5
done
check "the update's checks have ended" bash -c "\"\$QUARRY_BIN\" update show $U --json | python3 -c 'import json, sys; d = json.load(sys.stdin); sys.exit(0 if d[\"checks\"] and all(c[\"state\"] in (\"pass\", \"fail\", \"error\") for l in d[\"checks\"].values() for c in l) else 1)'"

# state: the update as the API shows it, and the testing repo's repomd.xml.
state() {
	q update show "$U" --json | python3 -c 'import json, sys; print(json.dumps(json.load(sys.stdin), sort_keys=True))'
	sha256sum "$PUB/common-testing/repodata/repomd.xml"
}
# refused WANT_STATUS PATTERN BODY: PATCH as bob (the creator); status,
# message and nothing changed.
refused() {
	local want=$1 pattern=$2 body=$3 before after got
	before=$(state)
	got=$(QUARRY_TOKEN=$BOB api PATCH "updates/$U" -H 'Content-Type: application/json' -d "$body") || got=curl-failed
	after=$(state)
	if [ "$got" = "$want" ] && grep -Eq -- "$pattern" "$T/body" && [ "$before" = "$after" ]; then
		ok "PATCH $body → $got /$pattern/, nothing changed"
	else
		fail "PATCH $body → $want /$pattern/, nothing changed (got $got, changed: $([ "$before" = "$after" ] && echo no || echo yes))"
		diag "$(head -c 600 "$T/body")"
	fi
}
LONG=$(printf 'x%.0s' $(seq 201))
refused 400 "field 'type' must be bugfix, security, enhancement or newpackage, not 'hotfix'" '{"type": "hotfix"}'
refused 400 "field 'type' must be a string" '{"type": 3}'
refused 400 "field 'severity' must be Low, Moderate, Important or Critical, not 'urgent'" '{"severity": "urgent"}'
refused 400 "field 'severity' is for security updates only \\(this one is 'bugfix'\\)" '{"type": "bugfix", "severity": "Low"}'
refused 400 "field 'severity' is required for a security update" '{"severity": ""}'
refused 400 "references\\[0\\] 'CVE-2026-1' is not a CVE id of the form CVE-YYYY-NNNN" '{"references": ["CVE-2026-1"]}'
refused 400 "field 'references\\[0\\].id' 'CVE-26-12345' is not a CVE id" '{"references": [{"type": "cve", "id": "CVE-26-12345"}]}'
refused 400 "references\\[1\\] 'ftp://example.com/x' is neither a CVE id \\(CVE-YYYY-NNNN\\) nor an http\\(s\\) URL" '{"references": ["CVE-2026-12345", "ftp://example.com/x"]}'
refused 400 "references\\[0\\] 'javascript:alert\\(1\\)' is neither" '{"references": ["javascript:alert(1)"]}'
refused 400 "field 'references\\[0\\].url' 'file:///etc/passwd' is not an http\\(s\\) URL" '{"references": [{"type": "url", "url": "file:///etc/passwd"}]}'
refused 400 "field 'references\\[0\\].type' must be bugzilla, cve or url, not 'jira'" '{"references": [{"type": "jira", "url": "https://x.org/"}]}'
refused 400 "references\\[0\\] has an unknown field 'href'" '{"references": [{"type": "url", "href": "https://x.org/"}]}'
refused 400 "field 'references' must be a list" '{"references": "CVE-2026-12345"}'
refused 400 "field 'title' contains a control character \\(byte 1\\); it is one line" '{"title": "a\nb"}'
refused 400 "field 'notes' contains a control character \\(byte 1\\)" '{"notes": "a\u001b[31mred"}'
refused 400 "field 'title' is longer than 200 bytes" "{\"title\": \"$LONG\"}"
refused 400 "unknown field 'builds'" '{"builds": [1]}'
refused 400 "nothing to change" '{}'
refused 400 "" '{"notes": '

# Who may edit.
as() { local tok=$1; shift; QUARRY_TOKEN=$tok "$QUARRY_BIN" "$@"; }
before=$(state)
expect_fail 1 "user 'meg' may not edit other people's updates: only leads of sig 'cloud'" as "$MEG" update edit "$U" --notes "meg was here"
expect_fail 1 "user 'carol' may not edit other people's updates" as "$CAROL" update edit "$U" --notes "carol was here"
got=$(QUARRY_TOKEN= req PATCH "$QUARRY_HUB/api/v1/updates/$U" -H 'Content-Type: application/json' -d '{"notes": "anon"}')
check "without a token: 401" test "$got" = 401
check "… none of them changed anything" test "$(state)" = "$before"
check "the creator (a member) edits" as "$BOB" update edit "$U" --notes "bob's words"
check "a SIG lead edits" as "$ALICE" update edit "$U" --notes "alice's words"
check "… the update says so" test "$(q update show "$U" --json | jget 'd["notes"]' /dev/stdin)" = "alice's words"

# The same checks at create: nothing is made, the build stays free.
n_before=$(q update list --json | jget 'len(d["updates"])' /dev/stdin)
expect_fail 1 "field 'type' must be bugfix, security, enhancement or newpackage, not 'bogus'" as "$BOB" update create cloud/el9 common "$b2" --type bogus
expect_fail 1 "field 'severity' is required for a security update" as "$BOB" update create cloud/el9 common "$b2" --type security
expect_fail 1 "field 'severity' is for security updates only" as "$BOB" update create cloud/el9 common "$b2" --severity Low
expect_fail 1 "references\\[1\\] 'not-a-ref' is neither a CVE id" as "$BOB" update create cloud/el9 common "$b2" --ref CVE-2026-12345 --ref not-a-ref
expect_fail 1 "field 'notes' contains a control character" as "$BOB" update create cloud/el9 common "$b2" --notes "$(printf 'bell\a')"
check "no update was made" test "$(q update list --json | jget 'len(d["updates"])' /dev/stdin)" = "$n_before"
check "the build is still free: a good create works" as "$BOB" update create cloud/el9 common "$b2" --type newpackage --title "rf-b: new"
finish
