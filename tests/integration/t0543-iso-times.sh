#!/bin/bash
# t0543: one time format. Every time member of the API's answers (created,
# updated, started, finished, testing_since, released, last_seen,
# last_crawl, time, retired, …), at any depth, is an ISO 8601 UTC string
# ("2026-12-03T15:38:40Z") or null when unset, never Unix seconds; the CLI
# prints the same strings ("-" for unset) in `update show`, `mirror show`,
# `build show`, `workers`, `audit`, `repo history`. A time is the real one
# (between the test's start and now).
. "$(dirname "$0")/lib.sh"

t_begin=$(date -u +%Y-%m-%dT%H:%M:%SZ)
start_hub "[mirror]
crawl_interval = 0"
SRC=${QUARRY_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
q sig create mc --short-name mc --title "Messaging" --purpose "tests" >/dev/null
q project create mc/el9 --major 9 --variant 1 --arch x86_64 >/dev/null
q repo create mc/el9/common --arch x86_64 --channel release >/dev/null
q policy set mc/el9 --checks "" --auto-testing false >/dev/null
PKG_ARCH=noarch make_git_pkg "$T/g1" mc-time 1.0 1
b1=$(q build mc/el9 "$T/g1#r9-sig-mc-1" --json | jget 'd["id"]' /dev/stdin)
check "the build completes" test "$(wait_build "$b1")" = complete
u1=$(q update create mc/el9 common "$b1" --json | jget 'd["id"]' /dev/stdin)
q promote "$u1" --to testing >/dev/null
q mirror import "$SRC/tests/data/mirrors.d" >/dev/null
crawl=$(q crawl --mirror mirror.example.cz --no-wait --json | jget 'd["id"]' /dev/stdin)
t_end=$(date -u -d '+1 minute' +%Y-%m-%dT%H:%M:%SZ)

# Every GET answer: no integer under a time name; each string a real time.
paths="sigs sigs/mc sigs/mc/keys sigs/mc/projects sigs/mc/projects/el9
sigs/mc/projects/el9/repos sigs/mc/projects/el9/repos/common
sigs/mc/projects/el9/repos/common-testing/history builds builds/$b1
builds/$b1/checks workers updates updates/$u1 mirrors mirrors/mirror.example.cz
crawls/$crawl users tokens audit whoami sigs/mc/projects/el9/policy"
for p in $paths; do
	api GET "$p" >/dev/null
	cp "$T/body" "answer-${p//\//_}.json"
done
check "every time in every answer is ISO 8601 UTC or null, and real" \
	python3 - "$t_begin" "$t_end" answer-*.json <<'PY'
import json, re, sys
ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
KEYS = {"created", "updated", "time", "added", "started", "finished", "lease_until",
        "last_seen", "last_crawl", "last_check", "last_success", "newest_since",
        "testing_since", "released", "retired", "expires", "expired"}
lo, hi = sys.argv[1], sys.argv[2]
seen = {}
bad = []
def walk(v, where):
    if isinstance(v, dict):
        for k, x in v.items():
            if k in KEYS:
                if x is None:
                    seen.setdefault(k, 0)
                elif isinstance(x, str) and ISO.match(x) and lo <= x <= hi:
                    seen[k] = seen.get(k, 0) + 1
                else:
                    bad.append("%s: %s = %r" % (where, k, x))
            walk(x, where)
    elif isinstance(v, list):
        for x in v:
            walk(x, where)
for f in sys.argv[3:]:
    walk(json.load(open(f)), f)
assert not bad, bad
# the answers really hold times of these kinds
for k in ("created", "updated", "time", "started", "finished", "testing_since", "last_seen"):
    assert seen.get(k), (k, seen)
# and nulls for the unset ones (released, the mirror's last crawl)
assert "released" in seen and "last_crawl" in seen, seen
print(seen)
PY
check "released is null while in testing" test "$(jget 'd["released"]' answer-updates_$u1.json)" = None

# The CLI prints the same strings.
iso='[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z'
q update show "$u1" >update.txt
check "update show: testing since as ISO 8601" grep -qE "^testing since: +$iso\$" update.txt
check "update show: released unset is '-'" grep -qE "^released: +-\$" update.txt
q mirror show mirror.example.cz >mirror.txt
check "mirror show: updated as ISO 8601" grep -qE "^updated: +$iso\$" mirror.txt
check "mirror show: last crawl as ISO 8601 (or '-' before the crawl)" grep -qE "^last crawl: +($iso|-)\$" mirror.txt
q build show "$b1" >build.txt
check "build show: created as ISO 8601" grep -qE "^created: +$iso\$" build.txt
check "build show: task started as ISO 8601" grep -qE " $iso +$iso " build.txt
check "workers: last seen as ISO 8601" bash -c "\"\$QUARRY_BIN\" workers | grep -qE ' $iso'"
check "audit: times as ISO 8601" bash -c "\"\$QUARRY_BIN\" audit | grep -qE '^[0-9]+ +$iso '"
for f in update.txt mirror.txt build.txt; do
	lacks "$f has no Unix seconds" "$f" '(^|[ :])1[0-9]{9}($| )'
done
finish
