#!/bin/bash
# bench/build.sh: building against plain rpmbuild, in one run (not a test).
#
#  sandboxed_build: one small package (a C program), `rpmbuild -bb` in
#      Quarry's sandbox against the same `rpmbuild -bb` run plainly. Both
#      sides run in the same directory ($W/run, emptied before each run),
#      with the same _topdir ($W/run/top) and _tmppath ($W/run/tmp), spec
#      and defines; every run of either side must exit 0 and leave the RPM
#      (checked, then removed). quarry: `quarry sandbox --time`'s own
#      wall-clock figure of the step as a worker runs it (bubblewrap, the
#      sandbox's watchdog, rpmbuild), without the start of the quarry binary,
#      which a worker does not pay per step (printed apart, for
#      information); plain: the wall clock around rpmbuild. Median of RUNS
#      runs each, taken alternately. Target 1.3x.
#  scheduling_overhead_per_task: TASKS trivial tasks (rebuilds of a tiny
#      noarch SRPM) on 2 workers (1 slot each) pulling from a real hub,
#      against the same sandboxed rebuilds with no hub: `quarry sandbox
#      --repeat TASKS --parallel 2`, one process making the same in-process
#      sandbox call a worker makes per task (same argv, limits, a fresh task
#      root and build log each), 2 at a time. Both wall clock, from start to
#      the last task done (quarry: from starting the workers to the hub
#      listing no build in progress, polled every 0.2 s). The figure is the
#      extra worker time per task: (T_quarry - T_reference) * 2 / TASKS;
#      the reference's own per-task time, T_reference * 2 / TASKS, is
#      printed as the reference figure. Target: under 50 ms per task.
#  buildroot_warm: preparing the buildroot of a build with 10
#      BuildRequires (gcc make binutils glibc-devel cpp libgomp libstdc++ isl
#      mpfr libmpc) on a base set (bash coreutils rpm-build … file) from the
#      generated test distribution (tests/distro/make-distro.sh --cached, or
#      $QUARRY_BENCH_DISTRO), with both of the worker's root caches warm,
#      against `dnf --installroot install` of the same packages into an
#      empty root (dnf's metadata cache warm, no sandbox, as the caller).
#      quarry: the wall clock of `quarry buildroot prepare` (the binary's
#      start, every repo's repomd.xml read and hashed, both keys, the cache
#      lookups), checked to report two cache hits; reference: the wall clock
#      of dnf. Median of RUNS (quarry) and BR_RUNS (dnf, default 3) runs.
#      Target 0.3x. `ONLY=buildroot_warm bench/build.sh` runs just this one.
#  build_e2e: `quarry build --wait` of a small noarch package from git with
#      a lookaside source (Source0 from the SIG's lookaside, Source1 in git),
#      against plain `rpmbuild -ba` of the same spec and sources. quarry: the
#      wall clock of the command a user runs, from submit (the hub imports
#      the git ref, fetches and checks the lookaside file) to the build
#      complete (SRPM task and noarch task on an idle worker, each in the
#      sandbox; their uploads; the hub's bookkeeping), hub and 2 idle
#      workers already running; each run a new release (a new commit), so
#      nothing is reused from a previous build. plain: the wall clock around
#      `rpmbuild -ba` in a fresh _topdir holding the same spec and sources.
#      Median of RUNS runs each, alternately. Target 1.5x. Printed apart, for
#      information: the submit alone (`quarry build` without --wait: the
#      import); how long after the submit's answer a claim held by the hub
#      (an idle worker's) is answered with the new task, both seen by the
#      client's wall clock (around 0, and may be below: the hub wakes the
#      claim at the commit, before it writes the submit's answer; a hub
#      without long-polls answers the claim at once, far below 0); and the
#      sandboxed steps of the last build, from its task logs.
# Taken on a machine shared with other work, figures move from run to run.
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
Q=${QUARRY_BIN:-$SRC/build/quarry}
# The reference's `quarry sandbox --repeat --input` (to time an older hub
# and worker with QUARRY_BIN against the same reference).
QREF=${QUARRY_REF_BIN:-$Q}
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
. "$SRC/bench/lib/common.sh"
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

BR_BASE="bash coreutils rpm-build redhat-rpm-config tar gzip xz cpio findutils sed grep gawk diffutils patch file"
BR_REQS="gcc make binutils glibc-devel cpp libgomp libstdc++ isl mpfr libmpc"
buildroot_warm() {
	local distro=${QUARRY_BENCH_DISTRO:-} r t0 t1 out
	if [ -z "$distro" ]; then
		[ -x "$SRC/tests/distro/make-distro.sh" ] ||
			{ echo "bench: buildroot_warm needs tests/distro/make-distro.sh or QUARRY_BENCH_DISTRO"; return 1; }
		distro=$("$SRC/tests/distro/make-distro.sh" --cached | tail -n 1)
	fi
	[ -f "$distro/repodata/repomd.xml" ] || { echo "bench: no repo at '$distro'"; return 1; }
	mkdir -p "$W/br"
	: >"$W/br/empty.conf"
	echo '%_dbpath /var/lib/rpm' >"$W/br/.rpmmacros"
	# Warm both caches (and dnf's metadata cache for the reference).
	"$Q" buildroot prepare --cache "$W/br/roots" --repo "file://$distro/" --packages "$BR_BASE" \
		--requires "$BR_REQS" >"$W/br/cold.txt" ||
		{ echo "bench: quarry buildroot prepare failed"; return 1; }
	: >"$W/br/q.txt"
	for r in $(seq "$RUNS"); do
		t0=$(now)
		out=$("$Q" buildroot prepare --cache "$W/br/roots" --repo "file://$distro/" \
			--packages "$BR_BASE" --requires "$BR_REQS")
		t1=$(now)
		[ "$(grep -c ' hit 1$' <<<"$out")" = 2 ] ||
			{ echo "bench: run $r of quarry buildroot prepare missed the cache"; echo "$out"; return 1; }
		echo "$t1 - $t0" | bc -l >>"$W/br/q.txt"
	done
	: >"$W/br/ref.txt"
	for r in $(seq 0 "${BR_RUNS:-3}"); do # run 0 warms dnf's cache, untimed
		rm -rf "$W/br/ref-root"
		mkdir -p "$W/br/ref-root"
		t0=$(now)
		HOME=$W/br dnf -y -q --installroot "$W/br/ref-root" --releasever 9 --config "$W/br/empty.conf" \
			--setopt=reposdir=/dev/null --setopt=cachedir="$W/br/dnf-cache" \
			--setopt=install_weak_deps=False --nogpgcheck --noplugins \
			--repofrompath "distro,file://$distro/" install $BR_BASE $BR_REQS >"$W/br/dnf.log" 2>&1 ||
			{ echo "bench: dnf --installroot failed"; tail "$W/br/dnf.log"; return 1; }
		t1=$(now)
		[ -x "$W/br/ref-root/usr/bin/gcc" ] || { echo "bench: dnf installed no gcc"; return 1; }
		[ "$r" = 0 ] || echo "$t1 - $t0" | bc -l >>"$W/br/ref.txt"
	done
	br_q=$(median <"$W/br/q.txt")
	br_ref=$(median <"$W/br/ref.txt")
	printf '%-52s %10.3f %10.3f\n' "buildroot, 10 BuildRequires, warm cache vs dnf, s" "$br_q" "$br_ref"
	printf 'bench: buildroot_warm quarry=%.3f reference=%.3f ratio=%s target=0.3 unit=s\n' "$br_q" "$br_ref" "$(ratio "$br_q" "$br_ref")"
}
if [ "${ONLY:-}" = buildroot_warm ]; then
	buildroot_warm
	exit $?
fi

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

echo "== sandboxed rpmbuild against plain rpmbuild ($RUNS runs each, alternately)"
# The same directory, paths and defines on both sides. The sandbox gives the
# work directory to its build user when it runs as another uid: $W must be
# traversable, and the spec lives inside the work directory.
chmod 755 "$W"
# The generated distribution stays cached in the caller's home.
export QUARRY_TEST_CACHE=${QUARRY_TEST_CACHE:-$HOME/.cache/quarry-test}
export HOME=$W/home
mkdir -p "$HOME"
RPM=top/RPMS/x86_64/small-1.0-1.el9.b.x86_64.rpm
fresh_run() {
	rm -rf "$W/run"
	mkdir -p "$W/run/tmp"
	cp small.spec "$W/run/"
}
build_args=(-bb --quiet --define "_topdir $W/run/top" --define "_tmppath $W/run/tmp"
	--define "dist .el9.b" "$W/run/small.spec")
: >plain.txt
: >sand.txt
for r in $(seq "$RUNS"); do
	fresh_run
	t0=$(now)
	(cd "$W/run" && rpmbuild "${build_args[@]}") >plain.log 2>&1 ||
		{ echo "bench: plain rpmbuild failed (run $r)"; tail plain.log; exit 1; }
	t1=$(now)
	[ -f "$W/run/$RPM" ] || { echo "bench: plain rpmbuild made no $RPM (run $r)"; exit 1; }
	echo "$t1 - $t0" | bc -l >>plain.txt
	fresh_run
	"$Q" sandbox --time --workdir "$W/run" -- rpmbuild "${build_args[@]}" >sand.log 2>sand.err ||
		{ echo "bench: sandboxed rpmbuild failed (run $r)"; tail sand.log sand.err; exit 1; }
	[ -f "$W/run/$RPM" ] || { echo "bench: sandboxed rpmbuild made no $RPM (run $r)"; exit 1; }
	awk '/^sandbox: / {print $2}' sand.err >>sand.txt
done
rm -rf "$W/run"
[ "$(wc -l <sand.txt)" -eq "$RUNS" ] || { echo "bench: quarry sandbox --time printed no time"; exit 1; }
plain_t=$(median <plain.txt)
sand_t=$(median <sand.txt)
start_t=$(for _ in $(seq "$RUNS"); do
	t0=$(now); "$Q" --version >/dev/null; t1=$(now); echo "$t1 - $t0" | bc -l
done | median)

# build_e2e (runs once the hub and the two workers of the scheduling
# figure are up and idle). Sets e2e_q, e2e_plain, e2e_submit, e2e_claim.
bench_build_e2e() {
	local g=$W/e2e-git r rel t0 t1 tok
	echo "== build_e2e: quarry build --wait from git against rpmbuild -ba ($RUNS runs each, alternately)"
	mkdir -p "$W/e2e-src/e2e-data-1.0" "$g/SPECS" "$g/SOURCES"
	head -c 200000 /dev/urandom | base64 >"$W/e2e-src/e2e-data-1.0/data.txt"
	tar -C "$W/e2e-src" -czf "$W/e2e-data-1.0.tar.gz" e2e-data-1.0
	QUARRY_TOKEN=$TOKEN "$Q" lookaside upload b "$W/e2e-data-1.0.tar.gz" >"$g/.e2e.metadata"
	echo "e2e notes" >"$g/SOURCES/e2e-README"
	git -C "$g" init -q -b r9-sig-b-1
	: >e2e_q.txt
	: >e2e_plain.txt
	: >e2e_submit.txt
	for r in $(seq "$RUNS"); do
		rel=$r
		cat >"$g/SPECS/e2e.spec" <<SPEC
Name: e2e
Version: 1.0
Release: $rel%{?dist}
Summary: a small noarch package with a lookaside source
License: MIT
BuildArch: noarch
Source0: e2e-data-1.0.tar.gz
Source1: e2e-README
%description
For the end-to-end build benchmark.
%prep
%setup -q -n e2e-data-1.0
%build
gzip -9 -c data.txt >data.txt.gz
%install
install -D -m 644 data.txt.gz %{buildroot}/usr/share/e2e/data.txt.gz
install -D -m 644 %{SOURCE1} %{buildroot}/usr/share/e2e/README
%files
/usr/share/e2e
SPEC
		git -C "$g" -c user.name=b -c user.email=b@b.invalid add -A
		git -C "$g" -c user.name=b -c user.email=b@b.invalid -c commit.gpgsign=false commit -q -m "e2e $rel"
		# plain: the same spec and sources in a fresh _topdir
		rm -rf "$W/e2e-plain"
		mkdir -p "$W/e2e-plain/SOURCES" "$W/e2e-plain/SPECS"
		cp "$W/e2e-data-1.0.tar.gz" "$g/SOURCES/e2e-README" "$W/e2e-plain/SOURCES/"
		cp "$g/SPECS/e2e.spec" "$W/e2e-plain/SPECS/"
		t0=$(now)
		rpmbuild -ba --quiet --define "_topdir $W/e2e-plain" --define "dist .el9.b" \
			"$W/e2e-plain/SPECS/e2e.spec" >e2e-plain.log 2>&1 ||
			{ echo "bench: plain rpmbuild -ba failed"; tail e2e-plain.log; exit 1; }
		t1=$(now)
		[ -f "$W/e2e-plain/RPMS/noarch/e2e-1.0-$rel.el9.b.noarch.rpm" ] ||
			{ echo "bench: rpmbuild -ba made no noarch RPM"; exit 1; }
		echo "$t1 - $t0" | bc -l >>e2e_plain.txt
		# quarry
		t0=$(now)
		QUARRY_TOKEN=$TOKEN "$Q" build b/el9 "$g#r9-sig-b-1" --wait >e2e-q.log 2>&1 ||
			{ echo "bench: quarry build --wait failed"; tail e2e-q.log; exit 1; }
		t1=$(now)
		grep -q "^  e2e-1.0-$rel.el9.b.noarch.rpm\$" e2e-q.log ||
			{ echo "bench: quarry build made no noarch RPM"; cat e2e-q.log; exit 1; }
		echo "$t1 - $t0" | bc -l >>e2e_q.txt
	done
	e2e_q=$(median <e2e_q.txt)
	e2e_plain=$(median <e2e_plain.txt)
	# Where the time of the last one went: each sandboxed step, as its task
	# log times it (wall clock, 0.1 s), and the task's start and end.
	e2e_id=$(sed -n 's/^build \([0-9]*\) .*/\1/p' e2e-q.log | head -n 1)
	QUARRY_TOKEN=$TOKEN "$Q" build log "$e2e_id" 2>/dev/null |
		sed -n 's/^==> \(task [0-9]* [a-z]* [a-z_0-9]*\).*/\1/p; s/^== quarry worker: \(.* succeeded in .*\)/  \1/p' >e2e-phases.txt || true
	# The submit alone (the import), on a new release each time; the builds
	# are cancelled (they would queue behind nothing: workers are idle).
	for r in $(seq "$RUNS"); do
		rel=$((RUNS + r))
		sed -i "s/^Release: .*/Release: $rel%{?dist}/" "$g/SPECS/e2e.spec"
		git -C "$g" -c user.name=b -c user.email=b@b.invalid -c commit.gpgsign=false commit -qam "e2e $rel"
		t0=$(now)
		QUARRY_TOKEN=$TOKEN "$Q" build b/el9 "$g#r9-sig-b-1" >e2e-s.log 2>&1 ||
			{ echo "bench: quarry build failed"; cat e2e-s.log; exit 1; }
		t1=$(now)
		echo "$t1 - $t0" | bc -l >>e2e_submit.txt
		QUARRY_TOKEN=$TOKEN "$Q" build cancel "$(sed -n 's/^build \([0-9]*\) .*/\1/p' e2e-s.log)" >/dev/null 2>&1 || true
	done
	e2e_submit=$(median <e2e_submit.txt)
	# Claim latency: a claim held by the hub (a worker token of our own, the
	# workers stopped), answered by a submit; from the submit's answer to
	# the claim's.
	for p in "${WPIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${WPIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	tok=$(api -d '{"worker":"w9"}' "$QUARRY_HUB/api/v1/tokens" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
	: >e2e_claim.txt
	for r in $(seq "$RUNS"); do
		rel=$((2 * RUNS + r))
		sed -i "s/^Release: .*/Release: $rel%{?dist}/" "$g/SPECS/e2e.spec"
		git -C "$g" -c user.name=b -c user.email=b@b.invalid -c commit.gpgsign=false commit -qam "e2e $rel"
		(curl -fsS -o /dev/null -H "Authorization: Bearer $tok" \
			-d '{"name":"w9","arches":["noarch"],"slots":1,"wait":30}' \
			"$QUARRY_HUB/api/v1/worker/claim" && now >claim-end.txt) &
		sleep 0.5 # the claim is held
		QUARRY_TOKEN=$TOKEN "$Q" build b/el9 "$g#r9-sig-b-1" >e2e-s.log 2>&1
		t0=$(now)
		wait $!
		t1=$(cat claim-end.txt)
		echo "($t1 - $t0) * 1000" | bc -l >>e2e_claim.txt
		QUARRY_TOKEN=$TOKEN "$Q" build cancel "$(sed -n 's/^build \([0-9]*\) .*/\1/p' e2e-s.log)" >/dev/null 2>&1 || true
	done
	e2e_claim=$(median <e2e_claim.txt)
}

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
rpmbuild -bs --quiet --define "_topdir $W/srpm" --define "dist .el9.b" triv.spec >srpm.log 2>&1 ||
	{ cat srpm.log; exit 1; }
SRPM=$(ls "$W"/srpm/SRPMS/triv-*.src.rpm)

# Reference: the same sandboxed rebuilds, 2 at a time, no hub: the worker's
# argv (q_worker_rpm_argv) and limits, each in a fresh root, from one process.
rm -rf "$W/ref"
mkdir -p "$W/ref"
# The SRPM goes into each run's root (--input), as a worker downloads a
# task's input into its root: the sandbox sees nothing outside it.
"$QREF" sandbox --time --timeout 1h --repeat "$TASKS" --parallel 2 --workdir "$W/ref" \
	--input "$SRPM" -- \
	rpmbuild --rebuild --define "_topdir {}/rpmbuild" --define "_tmppath /tmp" \
	--define "dist .el9.b" "{}/$(basename "$SRPM")" 2>ref.err >/dev/null || { cat ref.err; exit 1; }
ref_t=$(awk '/^sandbox: / {print $2}' ref.err)
[ -n "$ref_t" ] || { echo "bench: quarry sandbox --repeat printed no time"; cat ref.err; exit 1; }
made=$(find "$W/ref" -path '*/RPMS/noarch/triv-1-1.el9.b.noarch.rpm' | wc -l)
[ "$made" -eq "$TASKS" ] || { echo "bench: the reference made $made RPMs of $TASKS"; exit 1; }
rm -rf "$W/ref"

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
	# Scratch builds: one NEVR builds once in a project, and these are one NEVR.
	api -d "{\"srpm\":\"$up\",\"scratch\":true}" "$QUARRY_HUB/api/v1/sigs/b/projects/el9/builds" >/dev/null
done
W1=$(api -d '{"worker":"w1"}' "$QUARRY_HUB/api/v1/tokens" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
W2=$(api -d '{"worker":"w2"}' "$QUARRY_HUB/api/v1/tokens" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
t0=$(now)
"$Q" worker --hub "$QUARRY_HUB" --token "$W1" --name w1 --arch x86_64,noarch --slots 1 --workdir "$W/w1" >w1.log 2>&1 &
PIDS+=($!)
WPIDS=($!)
"$Q" worker --hub "$QUARRY_HUB" --token "$W2" --name w2 --arch x86_64,noarch --slots 1 --workdir "$W/w2" >w2.log 2>&1 &
PIDS+=($!)
WPIDS+=($!)
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
ref_task=$(echo "$ref_t * 2 / $TASKS * 1000" | bc -l)
q_task=$(echo "$q_t * 2 / $TASKS * 1000" | bc -l)

bench_build_e2e

printf '\n%-52s %10s %10s\n' "figure" quarry reference
printf '%-52s %10.3f %10.3f\n' "small package build, s (median of $RUNS)" "$sand_t" "$plain_t"
printf '%-52s %10.3f %10s\n' "(info) start of the quarry binary, s" "$start_t" "-"
printf '%-52s %10.3f %10.3f\n' "$TASKS trivial tasks, 2 at a time, s (wall)" "$q_t" "$ref_t"
printf '%-52s %10.1f %10.1f\n' "worker time per task, ms" "$q_task" "$ref_task"
printf '%-52s %10.1f %10s\n' "scheduling overhead per task, ms" "$overhead" "-"
printf '%-52s %10.3f %10.3f\n' "build --wait from git vs rpmbuild -ba, s (median $RUNS)" "$e2e_q" "$e2e_plain"
printf '%-52s %10.3f %10s\n' "(info) of which the submit (import), s" "$e2e_submit" "-"
printf '%-52s %10.1f %10s\n' "(info) held claim's answer - submit's answer, ms" "$e2e_claim" "-"
echo "(info) the steps of the last build_e2e build, from its task logs:"
sed 's/^/    /' e2e-phases.txt
echo "(quarry: 2 workers and a hub; reference: the same sandbox call per task from one process, no hub)"
echo "(taken on a machine shared with other work)"
echo
printf 'bench: sandboxed_build quarry=%.3f reference=%.3f ratio=%s target=1.3 unit=s\n' "$sand_t" "$plain_t" "$(ratio "$sand_t" "$plain_t")"
printf 'bench: build_e2e quarry=%.3f reference=%.3f ratio=%s target=1.5 unit=s\n' "$e2e_q" "$e2e_plain" "$(ratio "$e2e_q" "$e2e_plain")"
printf 'bench: scheduling_overhead_per_task quarry=%.1f reference=%.1f ratio=- target=50 unit=ms\n' "$overhead" "$ref_task"
buildroot_warm
