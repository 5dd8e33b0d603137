#!/bin/bash
# t0008-skip: a skipped test is reported as skipped, never as passed. It
# exits 77 (ctest's SKIP_RETURN_CODE for integration tests) and prints no
# "ok"; under CI (CI=true) the same test fails unless skips-allowed lists
# it; CI=false is not CI. A test that runs no check at all fails.
. "$(dirname "$0")/../integration/lib.sh"

mkdir -p cases
cat >cases/t9998-skipper.sh <<CASE
. "$QUARRY_SRC/tests/integration/lib.sh"
skip "this machine lacks something"
check "never reached" true
finish
CASE
cat >cases/t9997-nothing.sh <<CASE
. "$QUARRY_SRC/tests/integration/lib.sh"
finish
CASE
echo "t9998-skipper  allowed here: the harness self-test" >allowed

run() { # run ENV… SCRIPT: prints the exit status; the output in run.out
	local rc=0
	env "$@" >run.out 2>&1 || rc=$?
	echo "$rc"
}

check "outside CI a skip exits 77" test "$(run -u CI bash cases/t9998-skipper.sh)" = 77
check "  … and says SKIP" grep -q "^1..0 # SKIP this machine lacks something" run.out
refute "  … and prints no ok" grep -q '^ok' run.out
check "CI=false is not CI: exit 77" test "$(run CI=false bash cases/t9998-skipper.sh)" = 77
check "under CI an unexpected skip fails (exit 1)" test "$(run CI=true bash cases/t9998-skipper.sh)" = 1
check "  … saying why" grep -q "skipped under CI" run.out
check "under CI a listed skip is a skip (exit 77)" \
	test "$(run CI=true QUARRY_SKIPS_ALLOWED="$T/allowed" bash cases/t9998-skipper.sh)" = 77
check "a test that runs no check fails" test "$(run bash cases/t9997-nothing.sh)" = 1
finish
