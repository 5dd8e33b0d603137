#!/bin/bash
# t0001-pass: the contrast to the must-fail self-tests. It does what they
# do, correctly: starts a hub, passes its checks, registers cleanup through
# test_cleanup and at_cleanup, survives a crash trial (kill_hub), and stops
# the hub cleanly in finish. ctest must report it passed.
. "$(dirname "$0")/../integration/lib.sh"

sleep 300 &
SLEEPER=$!
at_cleanup kill "$SLEEPER"
test_cleanup() { echo "# test_cleanup ran"; }

start_hub
check "the hub answers /healthz" curl -fsS "$QUARRY_HUB/healthz"
kill_hub KILL
check "kill_hub leaves no hub" test -z "$HUB_PID"
launch_hub
check "the restarted hub answers" curl -fsS "$QUARRY_HUB/healthz"
check "a trap other than EXIT goes through" trap 'true' USR1
expect_fail 2 "nonexistent" ls /nonexistent-quarry-path
refute "refute: a command that fails" test -e /nonexistent-quarry-path
finish
