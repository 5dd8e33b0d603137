#!/bin/bash
# t0540: `quarry hub` serves only a data directory `quarry init` made. On any
# other (missing, empty, a database without users) it refuses to start,
# names the directory and the `quarry init` command to run, and creates
# nothing.
. "$(dirname "$0")/lib.sh"

port=$(free_port)
cat >fresh.ini <<INI
[hub]
listen = 127.0.0.1:$port
data_dir = $T/fresh
INI
# `timeout`: a hub that wrongly starts must not hang the test.
expect_fail 1 "data directory '$T/fresh' was not made by 'quarry init'" \
	timeout 20 "$QUARRY_BIN" hub -c fresh.ini
expect_fail 1 "run 'quarry init -c fresh.ini' first" timeout 20 "$QUARRY_BIN" hub -c fresh.ini
refute "the refused hub created no data directory" test -e "$T/fresh"

expect_fail 1 "run 'quarry init --data-dir $T/other' first" \
	timeout 20 "$QUARRY_BIN" hub --data-dir "$T/other" --listen "127.0.0.1:$port"
expect_fail 1 "run 'quarry init -c fresh.ini --data-dir $T/other' first" \
	timeout 20 "$QUARRY_BIN" hub -c fresh.ini --data-dir "$T/other"

mkdir "$T/fresh"
expect_fail 1 "was not made by 'quarry init'" timeout 20 "$QUARRY_BIN" hub -c fresh.ini
check "an empty data directory stays empty" test -z "$(ls -A "$T/fresh")"

# A database whose users are gone (an init that never finished): refused too.
token=$(q init -c fresh.ini 2>/dev/null)
check "init printed a token" test -n "$token"
sqlite3 "$T/fresh/quarry.db" 'PRAGMA foreign_keys=OFF; DELETE FROM tokens; DELETE FROM users;'
expect_fail 1 "has no users" timeout 20 "$QUARRY_BIN" hub -c fresh.ini

# The normal way (init, then hub) still starts, and restarts.
start_hub
check "the hub made by init answers" q whoami
restart_hub
check "it restarts on its own data directory" q whoami
finish
