#!/bin/bash
# t0440-long-poll: server-side waiting. A worker's claim with "wait" is
# held by the hub and answered by the submit of a build meanwhile (well
# before its wait ends); `build --wait` and `build log --follow` wait on
# the hub (their requests are seen held in /metrics while the build runs),
# the follow prints the SRPM task's and the noarch task's logs to the end;
# `check --wait` waits for the checks in progress instead of starting a
# second run; a client that goes away while held is released at once and
# the hub stays healthy and stops cleanly.
. "$(dirname "$0")/lib.sh"

BG_PIDS=()
test_cleanup() {
	for p in "${BG_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${BG_PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	BG_PIDS=()
}

# held ROUTE: requests the hub holds now for ROUTE ("GET api/v1/builds/*",
# or "all"), from /metrics (a route held by none is not listed: 0); empty
# when the hub does not count held requests at all.
held() {
	curl -fsS "$QUARRY_HUB/metrics" |
		awk -v k="quarry_http_held_requests{route=\"$1\"}" '
			index($0, "quarry_http_held_requests{route=\"all\"} ") == 1 {all = 1}
			index($0, k " ") == 1 {v = $NF}
			END {if (all) print v + 0}'
}
# held_seen ROUTE SECONDS: ROUTE's count was at least 1 at some point.
held_seen() {
	for _ in $(seq $(($2 * 10))); do
		[ "$(held "$1")" -ge 1 ] 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}
now_ms() { date +%s%3N; }

start_hub "[build]
embedded_worker = false"

q sig create mc --short-name mc --title "Messaging and Communication" --purpose "Chat" >/dev/null
q project create mc/el9 --major 9 --variant 1 --arch x86_64 >/dev/null
W1=$(q token create --worker w1)

# ---- a held claim is answered by a submit ----
PKG_ARCH=noarch make_git_pkg "$T/quick" quick 1.0 1
t0=$(now_ms)
curl -sS -o claim.json -w '%{http_code}' -H "Authorization: Bearer $W1" \
	-d '{"name":"w1","arches":["x86_64","noarch"],"slots":1,"wait":20}' \
	"$QUARRY_HUB/api/v1/worker/claim" >claim.code 2>claim.err &
CURL=$!
BG_PIDS+=("$CURL")
check "the claim is held while nothing is queued" held_seen "POST api/v1/worker/claim" 5
kill -0 "$CURL" 2>/dev/null && ok "  … and not answered yet" || fail "  … and not answered yet ($(cat claim.code))"
q build mc/el9 "$T/quick#r9-sig-mc-1" >quick.txt
wait "$CURL" || true
t1=$(now_ms)
[ "$(cat claim.code)" = 200 ] && [ "$(jget 'd["task"]["kind"]' claim.json)" = srpm ] &&
	ok "the held claim answers with the task submitted meanwhile" ||
	{ fail "the held claim answers with the task submitted meanwhile"; diag "$(cat claim.code claim.json claim.err)"; }
[ $((t1 - t0)) -lt 15000 ] && ok "  … before its 20 s wait ended ($((t1 - t0)) ms)" ||
	fail "  … before its 20 s wait ended ($((t1 - t0)) ms)"
[ "$(held "all")" = 0 ] && ok "nothing is held once it answered" || fail "nothing is held once it answered ($(held all))"
qid=$(sed -n 's/^build \([0-9]*\) .*/\1/p' quick.txt)
q build cancel "$qid" >/dev/null

# ---- a worker; build --wait and build log --follow wait on the hub ----
mkdir -p "$T/work-w1"
"$QUARRY_BIN" worker --hub "$QUARRY_HUB" --token "$W1" --name w1 --arch x86_64,noarch \
	--slots 1 --workdir "$T/work-w1" >>"$T/w1.log" 2>&1 &
WORKER=$!
BG_PIDS+=("$WORKER")

PKG_ARCH=noarch PKG_BUILD='echo start-of-build; sleep 4; echo end-of-build' make_git_pkg "$T/slow" slow 1.0 1
q build mc/el9 "$T/slow#r9-sig-mc-1" --wait >wait.txt 2>wait.err &
WAITER=$!
BG_PIDS+=("$WAITER")
for _ in $(seq 100); do grep -q '^build [0-9]' wait.txt 2>/dev/null && break; sleep 0.1; done
id=$(sed -n 's/^build \([0-9]*\) .*/\1/p' wait.txt | head -n 1)
q build log "${id:-0}" --follow >follow.txt 2>follow.err &
FOLLOWER=$!
BG_PIDS+=("$FOLLOWER")
# Queued behind it, for the checks below: the checker gives way to running
# tasks, so this build keeps the checks of the first one in progress.
PKG_ARCH=noarch PKG_BUILD='sleep 15' make_git_pkg "$T/slow2" slow2 1.0 1
q build mc/el9 "$T/slow2#r9-sig-mc-1" >slow2.txt
check "build --wait is held on the hub while the build runs" held_seen "GET api/v1/builds/*" 10
check "build log --follow is held on the hub while the task runs" held_seen "GET api/v1/builds/*/tasks/*/log" 10
rc=0
wait "$WAITER" || rc=$?
[ "$rc" = 0 ] && grep -q "^build $id (mc/el9, slow-1.0-1.el9.mc): complete" wait.txt &&
	ok "build --wait returns when the build completes" ||
	{ fail "build --wait returns when the build completes (exit $rc)"; diag "$(cat wait.txt wait.err)"; }
rc=0
wait "$FOLLOWER" || rc=$?
[ "$rc" = 0 ] && ok "build log --follow ends with the build" || { fail "build log --follow ends with the build (exit $rc)"; diag "$(cat follow.err)"; }
grep -q '^==> task [0-9]* srpm src <==' follow.txt && ok "  … it printed the SRPM task's log" ||
	{ fail "  … it printed the SRPM task's log"; diag "$(cat follow.txt)"; }
grep -q '^==> task [0-9]* rpm noarch <==' follow.txt && ok "  … and the noarch task's log" ||
	{ fail "  … and the noarch task's log"; diag "$(cat follow.txt)"; }
grep -q '^end-of-build' follow.txt && ok "  … to its end" || { fail "  … to its end"; diag "$(tail -n 5 follow.txt)"; }
rpm_log=$(q build show "$id" --json | jget '[t["id"] for t in d["tasks"] if t["kind"] == "rpm"][0]' /dev/stdin)
q build log "$id" "$rpm_log" >rpm.log
sed -n '/^==> task [0-9]* rpm noarch <==/,$p' follow.txt | sed 1d >followed-rpm.log
cmp -s rpm.log followed-rpm.log && ok "  … the whole of it, as build log prints it" ||
	{ fail "  … the whole of it, as build log prints it"; diag "$(diff rpm.log followed-rpm.log | head)"; }

# ---- check --wait waits for the run in progress ----
q check "$id" --show --json >before.json
jget 'any(c["state"] in ("queued", "running") for c in d["checks"])' before.json | grep -qx True &&
	ok "the checks of build $id are in progress" || { fail "the checks of build $id are in progress"; diag "$(cat before.json)"; }
rc=0
q check "$id" --wait >check.txt 2>check.err || rc=$?
q check "$id" --show --json >after.json
[ "$(jget 'sorted(set(c["run"] for c in d["checks"]))' after.json)" = "[1]" ] &&
	ok "check --wait started no second run" || { fail "check --wait started no second run"; diag "$(cat after.json)"; }
jget 'all(c["state"] not in ("queued", "running") for c in d["checks"]) and len(d["checks"]) == 5' after.json | grep -qx True &&
	ok "  … and returned when every check of run 1 ended (exit $rc)" ||
	{ fail "  … and returned when every check of run 1 ended"; diag "$(cat check.txt check.err)"; }

# ---- a client that goes away while held ----
v=$(curl -sS -D - -o /dev/null "$QUARRY_HUB/api/v1/builds/$id" | tr -d '\r' | sed -n 's/^x-quarry-version: //Ip')
[ -n "$v" ] && ok "GET builds/ID carries X-Quarry-Version" || fail "GET builds/ID carries X-Quarry-Version"
t0=$(now_ms)
curl -sS -o held.json "$QUARRY_HUB/api/v1/builds/$id?wait=5&since=${v:-0}" >/dev/null 2>&1 || true
t1=$(now_ms)
[ $((t1 - t0)) -ge 4500 ] && [ "$(jget 'd["id"]' held.json)" = "$id" ] &&
	ok "an unchanged build answers when the wait ends ($((t1 - t0)) ms)" ||
	fail "an unchanged build answers when the wait ends ($((t1 - t0)) ms)"
for _ in 1 2 3; do
	curl -sS --max-time 1 -o /dev/null "$QUARRY_HUB/api/v1/builds/$id?wait=30&since=${v:-0}" 2>/dev/null &
	BG_PIDS+=($!)
done
check "held requests of clients that go away" held_seen "GET api/v1/builds/*" 2
released=no
for _ in $(seq 50); do
	[ "$(held "GET api/v1/builds/*")" = 0 ] && { released=yes; break; }
	sleep 0.1
done
[ "$released" = yes ] && ok "  … are released soon after the clients left (well before their 30 s)" ||
	fail "  … are released soon after the clients left ($(held "GET api/v1/builds/*") still held)"
check "the hub is healthy after them" curl -fsS "$QUARRY_HUB/healthz"
# One still held when the hub stops: it is answered, and the hub exits 0
# (stop_hub checks; under ASan, with no leak).
kill "$WORKER" && wait "$WORKER" || true
curl -sS -o last.json "$QUARRY_HUB/api/v1/builds/$id?wait=30&since=${v:-0}" 2>/dev/null &
LAST=$!
BG_PIDS+=("$LAST")
check "a request is held as the hub stops" held_seen "GET api/v1/builds/*" 5
t0=$(now_ms)
stop_hub
wait "$LAST" || true
t1=$(now_ms)
[ "$(jget 'd["id"]' last.json)" = "$id" ] && [ $((t1 - t0)) -lt 10000 ] &&
	ok "  … and answered as the hub stops ($((t1 - t0)) ms)" || fail "  … and answered as the hub stops ($((t1 - t0)) ms)"
finish
