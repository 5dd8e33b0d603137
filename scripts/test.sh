#!/bin/bash
# test.sh: install what is missing, build Quarry twice (normal with -Werror,
# and ASan+UBSan), run every test (unit, fuzz replay, integration) in the
# ASan+UBSan build and the release build's share in the release build (the
# unit tests, fuzz replays, harness self-tests and the integration tests
# tests/integration/release-build lists; RELEASE_TESTS=all: every test),
# then fuzz briefly. This is the README's second command and exactly what
# .ci/run runs (with CI=true: then a skipped integration test fails, see
# docs/TESTING.md, also for why the release build runs a share).
set -euo pipefail
cd "$(dirname "$0")/.."

JOBS=${JOBS:-$(nproc)}
./scripts/install-deps.sh

echo "== format check"
./scripts/format.sh --check

echo "== build (release, -Werror)"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DQUARRY_WERROR=ON >/dev/null
cmake --build build -j"$JOBS"

echo "== build (ASan+UBSan)"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DQUARRY_WERROR=ON -DQUARRY_SANITIZE=ON >/dev/null
cmake --build build-asan -j"$JOBS"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$PWD/tests/lsan.supp:print_suppressions=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

echo "== tests under ASan+UBSan"
(cd build-asan && ctest --output-on-failure -j"$JOBS")

if [ "${RELEASE_TESTS:-share}" = all ]; then
	echo "== tests (release build)"
	(cd build && ctest --output-on-failure -j"$JOBS")
else
	echo "== tests (release build: its share, tests/integration/release-build)"
	(cd build && ctest --output-on-failure -j"$JOBS" -L '^release$')
fi

echo "== fuzzing, briefly (every parser of untrusted input)"
./scripts/fuzz.sh "${FUZZ_SECONDS:-15}"
