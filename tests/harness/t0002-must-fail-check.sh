#!/bin/bash
# t0002: a failing `check` makes the test fail.
. "$(dirname "$0")/../integration/lib.sh"

check "this passes" true
check "this fails on purpose" false
finish
