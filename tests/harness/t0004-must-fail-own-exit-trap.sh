#!/bin/bash
# t0004: a test that sets its own EXIT trap (as a test once did, to kill a
# helper server: `trap 'kill $PID; cleanup' EXIT`, which made every such test
# pass) fails, although its checks pass.
. "$(dirname "$0")/../integration/lib.sh"

sleep 300 >/dev/null 2>&1 &
PID=$!
at_cleanup kill "$PID"
# `|| true`: the refusal alone must fail the test, not set -e.
trap 'kill $PID 2>/dev/null; cleanup' EXIT || true
check "this passes" true
finish
