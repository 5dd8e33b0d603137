#!/bin/bash
# t0006: a sanitizer report in the hub's log (what a leak at shutdown under
# ASan leaves) fails the test, although the checks passed. The report is
# written by hand: the real hub has no leak to show on demand.
. "$(dirname "$0")/../integration/lib.sh"

start_hub
check "the hub answers /healthz" curl -fsS "$QUARRY_HUB/healthz"
cat >>"$T/hub.log" <<'LOG'
=================================================================
==4242==ERROR: LeakSanitizer: detected memory leaks
Direct leak of 64 byte(s) in 1 object(s) allocated from:
    #0 0x7f in malloc
SUMMARY: AddressSanitizer: 64 byte(s) leaked in 1 allocation(s).
LOG
finish
