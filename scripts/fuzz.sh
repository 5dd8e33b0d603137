#!/bin/bash
# fuzz.sh [SECONDS]: build the libFuzzer targets (clang, ASan+UBSan, in
# build-fuzz/) and run each for SECONDS (default 15) on a scratch copy of
# its corpus (tests/fuzz/corpus/fuzz_NAME/), so new inputs do not land in
# the tree. A crash stops the run with the crashing input kept in
# build-fuzz/crashes/. scripts/test.sh runs this briefly; run it longer
# by hand (e.g. ./scripts/fuzz.sh 600).
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
for t in $targets; do
	work=$(mktemp -d)
	cp -a "tests/fuzz/corpus/$t/." "$work/" 2>/dev/null || true
	echo "== $t: ${SECS}s"
	if ! build-fuzz/"$t" -max_total_time="$SECS" -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix=build-fuzz/crashes/"$t"- -print_final_stats=1 "$work" \
		>"build-fuzz/$t.log" 2>&1; then
		tail -n 40 "build-fuzz/$t.log"
		echo "fuzz: $t found a crash (input in build-fuzz/crashes/)"
		rm -rf "$work"
		exit 1
	fi
	grep -E "^stat::number_of_executed_units|^stat::new_units_added" "build-fuzz/$t.log" |
		tr '\n' ' '
	echo
	rm -rf "$work"
done
