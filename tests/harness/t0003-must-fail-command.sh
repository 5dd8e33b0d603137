#!/bin/bash
# t0003: a command that fails outside a check (set -e) makes the test fail,
# even though every check passed and finish would exit 0.
. "$(dirname "$0")/../integration/lib.sh"

check "this passes" true
ls /nonexistent-quarry-path >/dev/null
check "never reached" true
finish
