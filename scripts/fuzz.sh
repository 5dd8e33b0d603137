#!/bin/bash
# fuzz.sh [SECONDS]: build the libFuzzer targets (clang, ASan+UBSan, in
# build-fuzz/) and run each for SECONDS (default 15) on a scratch copy of
# its corpus (tests/fuzz/corpus/fuzz_NAME/), so new inputs do not land in
# the tree, JOBS (default: the number of cores) targets at a time. A crash
# fails the run once every target has had its time, the crashing input
# kept in build-fuzz/crashes/. scripts/test.sh runs this briefly; run it
# longer by hand (e.g. ./scripts/fuzz.sh 600).
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${1:-15}
JOBS=${JOBS:-$(nproc)}

cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug -DQUARRY_FUZZ=ON \
	-DQUARRY_SANITIZE=ON >/dev/null
targets=$(cd tests/fuzz && ls fuzz_*.c | sed 's/\.c$//')
# shellcheck disable=SC2086
cmake --build build-fuzz -j"$JOBS" --target $targets
mkdir -p build-fuzz/crashes
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# One target: fuzz it on a scratch copy of its corpus; its exit status
# goes to build-fuzz/NAME.rc.
fuzz_one() {
	local t=$1 work rc=0
	work=$(mktemp -d)
	cp -a "tests/fuzz/corpus/$t/." "$work/" 2>/dev/null || true
	build-fuzz/"$t" -max_total_time="$SECS" -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix=build-fuzz/crashes/"$t"- -print_final_stats=1 "$work" \
		>"build-fuzz/$t.log" 2>&1 || rc=$?
	rm -rf "$work"
	echo "$rc" >"build-fuzz/$t.rc"
}
# JOBS targets at a time (each libFuzzer process uses one core), so every
# target still gets SECS seconds of fuzzing, in 1/JOBS of the wall time.
running=0
for t in $targets; do
	rm -f "build-fuzz/$t.rc"
	if [ "$running" -ge "$JOBS" ]; then
		wait -n || true
		running=$((running - 1))
	fi
	echo "== $t: ${SECS}s"
	fuzz_one "$t" &
	running=$((running + 1))
done
wait
crashed=0
for t in $targets; do
	rc=$(cat "build-fuzz/$t.rc" 2>/dev/null) || rc="none: fuzz.sh failed to run it"
	if [ "$rc" != 0 ]; then
		tail -n 40 "build-fuzz/$t.log" 2>/dev/null || true
		echo "fuzz: $t found a crash (exit $rc; input in build-fuzz/crashes/)"
		crashed=1
		continue
	fi
	echo -n "$t: "
	grep -E "^stat::number_of_executed_units|^stat::new_units_added" "build-fuzz/$t.log" |
		tr '\n' ' '
	echo
done
exit "$crashed"
