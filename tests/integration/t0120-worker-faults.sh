#!/bin/bash
# t0120-worker-faults: remote workers and what happens when things die. The
# hub runs without its embedded worker and with a 5 s lease. Worker w1
# takes a slow rpm task and is killed (SIGKILL); when the lease ends the
# task goes back to the queue and w2 finishes it: one set of outputs, the
# task's attempt is 2. The hub restarts while a task runs on a worker: the
# build still completes and no task is lost. Worker tokens work only on the
# worker API and user tokens not there.
. "$(dirname "$0")/lib.sh"

WORKER_PIDS=()
stop_workers() {
	local p
	for p in "${WORKER_PIDS[@]}"; do
		kill "$p" 2>/dev/null || true
	done
	for p in "${WORKER_PIDS[@]}"; do
		wait "$p" 2>/dev/null || true
	done
	WORKER_PIDS=()
}
test_cleanup() { stop_workers; }

# start_worker NAME TOKEN: a `quarry worker` in the background; sets $WPID.
start_worker() {
	local name=$1 token=$2
	mkdir -p "$T/work-$name"
	"$QUARRY_BIN" worker --hub "$QUARRY_HUB" --token "$token" --name "$name" \
		--arch x86_64,noarch --slots 1 --workdir "$T/work-$name" >>"$T/$name.log" 2>&1 &
	WPID=$!
	WORKER_PIDS+=("$WPID")
}

# wait_task_open ID WORKER [SECONDS]: until an rpm task of build ID is open
# on WORKER; prints the task id.
wait_task_open() {
	local id=$1 worker=$2 limit=${3:-120} tid
	for _ in $(seq $((limit * 2))); do
		tid=$(q build show "$id" --json 2>/dev/null | jget "([t['id'] for t in d['tasks'] if t['kind'] == 'rpm' and t['state'] == 'open' and t.get('worker') == '$worker'] + [''])[0]" /dev/stdin 2>/dev/null) || tid=
		if [ -n "$tid" ]; then
			echo "$tid"
			return 0
		fi
		sleep 0.5
	done
	return 1
}

start_hub "[build]
embedded_worker = false
lease = 5s"

q sig create mc --short-name mc --title "Messaging and Communication" --purpose "Chat" >/dev/null
q project create mc/el9 --major 9 --variant 1 --arch x86_64 >/dev/null

# ---- tokens ----
W1=$(q token create --worker w1) && [ -n "$W1" ] && ok "token create --worker w1" || fail "token create --worker w1"
W2=$(q token create --worker w2) && [ -n "$W2" ] && ok "token create --worker w2" || fail "token create --worker w2"
USER_TOKEN=$(new_user alice user)
QUARRY_TOKEN=$USER_TOKEN expect_status 403 POST worker/claim -H 'Content-Type: application/json' \
	-d '{"name":"alice","arches":["x86_64"],"slots":1,"running":[]}'
QUARRY_TOKEN=$ADMIN_TOKEN expect_status 403 POST worker/claim -H 'Content-Type: application/json' \
	-d '{"name":"admin","arches":["x86_64"],"slots":1,"running":[]}'
QUARRY_TOKEN=$W1 expect_status 403 POST sigs -H 'Content-Type: application/json' \
	-d '{"name":"evil","short_name":"evil","title":"t","purpose":"p"}'
QUARRY_TOKEN=$W1 expect_status 403 GET whoami
expect_fail 1 "." q token create --worker w3 --token "$USER_TOKEN"
expect_fail 2 "not both" q token create --worker w3 --user alice

# ---- a worker dies in the middle of a task ----
# The task sleeps 25 s: long enough that the kill (and, below, the hub's
# stop) lands while it runs even on a loaded machine under ASan, where each
# CLI call takes a while. The checks after the kill make sure it did.
PKG_BUILD="echo BUILDING-SLOWLY
sleep 25
echo DONE-SLEEPING" make_git_pkg "$T/slow" mc-slow 1.0 1
q build mc/el9 "$T/slow#r9-sig-mc-1" --json >b1.json
id=$(jget 'd["id"]' b1.json)
start_worker w1 "$W1"
W1_PID=$WPID
if tid=$(wait_task_open "$id" w1); then ok "the rpm task $tid is open on w1"; else fail "the rpm task is open on w1"; diag "$(q build show "$id")" "$(tail -n 10 w1.log)"; fi
q workers >workers.txt
grep -Eq "^w1 +x86_64,noarch +1 " workers.txt && ok "workers lists w1" || { fail "workers lists w1"; diag "$(cat workers.txt)"; }
sleep 1
kill -KILL "$W1_PID"
rc=0
wait "$W1_PID" 2>/dev/null || rc=$?
[ "$rc" = 137 ] && ok "w1 killed (SIGKILL)" || fail "w1 killed (SIGKILL): it exited $rc"
# The kill landed mid-task: the task is still open on w1, not finished.
check "  … while its task $tid was open on it" wait_task_open "$id" w1 1
start_worker w2 "$W2"
state=$(wait_build "$id" 180) || true
[ "$state" = complete ] && ok "the build completes on w2" || { fail "the build completes on w2 (state $state)"; diag "$(q build show "$id")" "$(tail -n 10 w2.log)"; }
q build show "$id" --json >b1.json
[ "$(jget "[t['worker'] for t in d['tasks'] if t['id'] == ${tid:-0}]" b1.json)" = '["w2"]' ] && ok "  … task $tid finished by w2" || { fail "  … task $tid finished by w2"; diag "$(jget 'd["tasks"]' b1.json)"; }
[ "$(jget "[t['attempt'] for t in d['tasks'] if t['id'] == ${tid:-0}]" b1.json)" = '[2]' ] && ok "  … at attempt 2" || { fail "  … at attempt 2"; diag "$(jget 'd["tasks"]' b1.json)"; }
[ "$(jget 'sorted(a["name"] for a in d["artifacts"])' b1.json)" = '["mc-slow-1.0-1.el9.mc.src.rpm", "mc-slow-1.0-1.el9.mc.x86_64.rpm"]' ] &&
	ok "  … exactly one set of outputs" || { fail "  … exactly one set of outputs"; diag "$(jget 'd["artifacts"]' b1.json)"; }
[ "$(jget 'len([t for t in d["tasks"] if t["kind"] == "rpm"])' b1.json)" = 1 ] && ok "  … one rpm task" || fail "  … one rpm task"
q build log "$id" "${tid:-0}" >t1.log 2>&1 || true
[ "$(grep -cx DONE-SLEEPING t1.log)" = 1 ] && [ "$(grep -cx BUILDING-SLOWLY t1.log)" = 1 ] && ok "  … its log is the finished attempt's" || { fail "  … its log is the finished attempt's"; diag "$(cat t1.log | tail -n 20)"; }

# ---- the hub restarts while a task runs on a worker ----
PKG_BUILD="echo BUILDING-SLOWLY
sleep 25
echo DONE-SLEEPING" make_git_pkg "$T/slow2" mc-slow2 1.0 1
# `build --wait` follows the build across the restart.
("$QUARRY_BIN" build mc/el9 "$T/slow2#r9-sig-mc-1" --wait >wait2.out 2>wait2.err; echo $? >wait2.rc) &
WAIT_PID=$!
id2=
for _ in $(seq 40); do
	id2=$(sed -n 's/^build \([0-9]*\) .*/\1/p' wait2.out | head -n 1)
	[ -n "$id2" ] && break
	sleep 0.5
done
if tid2=$(wait_task_open "$id2" w2); then ok "the rpm task $tid2 is open on w2"; else fail "the rpm task is open on w2"; fi
# build log --follow keeps following across the restart.
("$QUARRY_BIN" build log "$id2" "${tid2:-0}" --follow >follow.log 2>follow.err; echo $? >follow.rc) &
FOLLOW_PID=$!
sleep 1
check "the task $tid2 is still open on w2 before the hub stops" wait_task_open "$id2" w2 1
stop_hub # fails the test unless the hub exits 0
refute "hub stopped while task $tid2 runs" curl -fsS "$QUARRY_HUB/healthz"
sleep 2
launch_hub && ok "hub restarted" || fail "hub restarted"
state=$(wait_build "$id2" 180) || true
[ "$state" = complete ] && ok "the build completes after the restart" || { fail "the build completes after the restart (state $state)"; diag "$(q build show "$id2")" "$(tail -n 10 w2.log)"; }
q build show "$id2" --json >b2.json
[ "$(jget '[t["state"] for t in d["tasks"]]' b2.json)" = '["closed", "closed"]' ] && ok "  … no task lost: srpm and rpm closed" || { fail "  … no task lost"; diag "$(jget 'd["tasks"]' b2.json)"; }
[ "$(jget 'sorted(a["name"] for a in d["artifacts"])' b2.json)" = '["mc-slow2-1.0-1.el9.mc.src.rpm", "mc-slow2-1.0-1.el9.mc.x86_64.rpm"]' ] &&
	ok "  … one set of outputs" || { fail "  … one set of outputs"; diag "$(jget 'd["artifacts"]' b2.json)"; }
for _ in $(seq 40); do [ -s follow.rc ] && break; sleep 0.5; done
[ "$(cat follow.rc 2>/dev/null)" = 0 ] && grep -q DONE-SLEEPING follow.log && ok "build log --follow survives the restart and ends" ||
	{ fail "build log --follow survives the restart and ends"; diag "$(cat follow.err)" "$(tail -n 5 follow.log)"; }
kill "$FOLLOW_PID" 2>/dev/null || true
for _ in $(seq 40); do [ -s wait2.rc ] && break; sleep 0.5; done
[ "$(cat wait2.rc 2>/dev/null)" = 0 ] && grep -q "): complete$" wait2.out && ok "build --wait survives the restart and exits 0" ||
	{ fail "build --wait survives the restart and exits 0"; diag "$(cat wait2.out wait2.err)"; }
kill "$WAIT_PID" 2>/dev/null || true

# A worker that comes back after its task was reassigned is refused (409).
code=$(QUARRY_TOKEN=$W1 api POST "worker/tasks/${tid:-0}/result" -H 'Content-Type: application/json' \
	-d '{"attempt":1,"state":"closed","message":"late","backend":"host","buildroot":[]}')
[ "$code" = 409 ] && ok "a stale attempt's result → 409" || { fail "a stale attempt's result → 409 (got $code)"; diag "$(cat "$T/body")"; }
q workers --json >workers.json
[ "$(jget 'sorted(w["name"] for w in d["workers"])' workers.json)" = '["w1", "w2"]' ] && ok "workers --json lists w1 and w2" || { fail "workers --json lists w1 and w2"; diag "$(cat workers.json)"; }

finish
