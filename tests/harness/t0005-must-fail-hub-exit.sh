#!/bin/bash
# t0005: a hub that exits non-zero (here: it dies of SIGSEGV, as a crash
# would) fails the test, although every check passed.
. "$(dirname "$0")/../integration/lib.sh"

start_hub
check "the hub answers /healthz" curl -fsS "$QUARRY_HUB/healthz"
kill -SEGV "$HUB_PID"
sleep 0.5
finish
