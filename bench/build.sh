#!/bin/bash
# bench/build.sh: building against plain rpmbuild, in one run (not a test).
#
#  sandboxed_build: one small package, `rpmbuild -bb` in Quarry's sandbox
#      (`quarry sandbox`: bubblewrap, no network, read-only root) against
#      the same `rpmbuild -bb` run plainly. Median of RUNS runs. Target 1.3x.
#  scheduling_overhead: TASKS trivial tasks (rebuilds of a tiny noarch SRPM)
#      on 2 workers (1 slot each) pulling from a real hub, against the same
#      sandboxed rebuilds run 2 at a time by xargs with no hub. The figure is
#      the extra worker time per task: (T_quarry - T_reference) * 2 / TASKS.
#      Target: under 50 ms per task.
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
Q=${QUARRY_BIN:-$SRC/build/quarry}
RUNS=${RUNS:-7}
TASKS=${TASKS:-200}
W=$(mktemp -d /var/tmp/quarry-bench-build.XXXXXX)
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	gpgconf --homedir "$W/data/keys" --kill all 2>/dev/null || true
	rm -rf "$W"
}
trap cleanup EXIT
cd "$W"
now() { date +%s.%N; }
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

cat >small.spec <<'SPEC'
Name: small
Version: 1.0
Release: 1%{?dist}
Summary: a small package
License: MIT
%global debug_package %{nil}
%description
A small package with a C program, for the build benchmark.
%prep
%build
printf '#include <stdio.h>\nint main(void) { puts("hi"); return 0; }\n' > hi.c
gcc -O2 -o hi hi.c
%install
install -D -m 755 hi %{buildroot}/usr/bin/small-hi
%files
/usr/bin/small-hi
SPEC

echo "== sandboxed rpmbuild against plain rpmbuild ($RUNS runs each)"
mkdir -p plain sandboxed
plain_t=$(for _ in $(seq "$RUNS"); do
	rm -rf plain/top
	t0=$(now)
	rpmbuild -bb --quiet --define "_topdir $W/plain/top" --define "dist .el9.b" small.spec >/dev/null 2>&1
	t1=$(now); echo "$t1 - $t0" | bc -l
done | median)
# The sandboxed figure is the step as a worker runs it (bwrap, the sandbox's
# watchdog, rpmbuild), timed inside `quarry sandbox --time`: a worker pays
# no process start per step. The start of the quarry binary itself (~15 ms,
# 68 shared libraries) is printed apart, for information.
sand_t=$(for _ in $(seq "$RUNS"); do
	rm -rf sandboxed/top
	cp small.spec sandboxed/
	"$Q" sandbox --time --workdir "$W/sandboxed" -- rpmbuild -bb --quiet --define "_topdir $W/sandboxed/top" \
		--define "_tmppath /tmp" --define "dist .el9.b" "$W/sandboxed/small.spec" 2>&1 >/dev/null |
		awk '/^sandbox: / {print $2}'
done | median)
start_t=$(for _ in $(seq "$RUNS"); do
	t0=$(now); "$Q" --version >/dev/null; t1=$(now); echo "$t1 - $t0" | bc -l
done | median)
ls sandboxed/top/RPMS/x86_64/small-1.0-1.el9.b.x86_64.rpm >/dev/null

echo "== scheduling: $TASKS trivial tasks on 2 workers"
cat >triv.spec <<'SPEC'
Name: triv
Version: 1
Release: 1%{?dist}
Summary: trivial
License: MIT
BuildArch: noarch
%description
trivial
%install
mkdir -p %{buildroot}/usr/share/triv && echo t > %{buildroot}/usr/share/triv/t
%files
/usr/share/triv/t
SPEC
rpmbuild -bs --quiet --define "_topdir $W/srpm" --define "dist .el9.b" triv.spec >/dev/null 2>&1
SRPM=$(ls "$W"/srpm/SRPMS/triv-*.src.rpm)

# Reference: the same sandboxed rebuilds, 2 at a time, no hub.
mkdir -p ref
for i in $(seq "$TASKS"); do echo "$i"; done >ids
t0=$(now)
xargs -P 2 -I{} sh -c "mkdir -p '$W/ref/{}' && '$Q' sandbox --workdir '$W/ref/{}' -- rpmbuild --rebuild --quiet \
	--define '_topdir $W/ref/{}/top' --define '_tmppath /tmp' --define 'dist .el9.b' '$SRPM' >/dev/null 2>&1" <ids
t1=$(now)
ref_t=$(echo "$t1 - $t0" | bc -l)
rm -rf ref

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >hub.ini <<INI
[hub]
listen = 127.0.0.1:$PORT
data_dir = $W/data
[signing]
key_algo = rsa2048
[build]
embedded_worker = false
[log]
level = warn
INI
export QUARRY_HUB=http://127.0.0.1:$PORT
TOKEN=$("$Q" init -c hub.ini 2>/dev/null)
"$Q" hub -c hub.ini >hub.log 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do curl -fsS "$QUARRY_HUB/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
api() { curl -fsS -H "Authorization: Bearer $TOKEN" "$@"; }
api -d '{"name":"b","short_name":"b","title":"B","purpose":"bench"}' "$QUARRY_HUB/api/v1/sigs" >/dev/null
api -d '{"name":"el9","major":9,"arches":["x86_64"]}' "$QUARRY_HUB/api/v1/sigs/b/projects" >/dev/null
for i in $(seq "$TASKS"); do
	up=$(api --data-binary @"$SRPM" "$QUARRY_HUB/api/v1/uploads?filename=triv-1-1.el9.b.src.rpm" |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
	api -d "{\"srpm\":\"$up\"}" "$QUARRY_HUB/api/v1/sigs/b/projects/el9/builds" >/dev/null
done
W1=$(api -d '{"worker":"w1"}' "$QUARRY_HUB/api/v1/tokens" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
W2=$(api -d '{"worker":"w2"}' "$QUARRY_HUB/api/v1/tokens" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
t0=$(now)
"$Q" worker --hub "$QUARRY_HUB" --token "$W1" --name w1 --arch x86_64,noarch --slots 1 --workdir "$W/w1" >w1.log 2>&1 &
PIDS+=($!)
"$Q" worker --hub "$QUARRY_HUB" --token "$W2" --name w2 --arch x86_64,noarch --slots 1 --workdir "$W/w2" >w2.log 2>&1 &
PIDS+=($!)
while :; do
	left=$(curl -fsS "$QUARRY_HUB/api/v1/builds?state=building&limit=1000" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["builds"]))')
	[ "$left" -eq 0 ] && break
	sleep 0.2
done
t1=$(now)
q_t=$(echo "$t1 - $t0" | bc -l)
done_n=$(curl -fsS "$QUARRY_HUB/api/v1/builds?state=complete&limit=1000" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["builds"]))')
[ "$done_n" -eq "$TASKS" ] || { echo "only $done_n of $TASKS builds completed"; tail -5 w1.log; exit 1; }
overhead=$(echo "($q_t - $ref_t) * 2 / $TASKS * 1000" | bc -l)

printf '\n%-52s %10s %10s\n' "figure" quarry reference
printf '%-52s %10.3f %10.3f\n' "small package build, s (median of $RUNS)" "$sand_t" "$plain_t"
printf '%-52s %10.3f %10s\n' "(info) start of the quarry binary, s" "$start_t" "-"
printf '%-52s %10.3f %10.3f\n' "$TASKS trivial tasks on 2 workers, s (wall)" "$q_t" "$ref_t"
printf '%-52s %10.1f %10s\n' "scheduling overhead per task, ms" "$overhead" "-"
echo
ratio() { echo "scale=3; $1 / $2" | bc -l | sed 's/^\./0./'; }
printf 'bench: sandboxed_build quarry=%.3f reference=%.3f ratio=%s target=1.3 unit=s\n' "$sand_t" "$plain_t" "$(ratio "$sand_t" "$plain_t")"
printf 'bench: scheduling_overhead_per_task quarry=%.1f reference=0 ratio=- target=50 unit=ms\n' "$overhead"
