#!/bin/bash
# t0620-rsyncd: the rsync daemon for mirrors. With rsync.listen set the hub
# runs Debian's rsync on a generated DATA/rsyncd.conf: /pub as a read-only
# module, without the publish's dot-files or files being written, so a
# mirror that syncs everything gets exactly the published tree. It ends
# with the hub, on a clean stop and when the hub is SIGKILLed (the guard).
# The hub refuses to start on a taken port or without rsync, saying so;
# `quarry rsyncd` runs the same daemon alone.
. "$(dirname "$0")/lib.sh"

command -v rsync >/dev/null || skip "rsync is not installed (scripts/install-deps.sh)"
RP=$(free_port)
start_hub "[build]
embedded_worker = false
[rsync]
listen = 127.0.0.1:$RP
module = pubmod
max_connections = 5"
q sig create mc --short-name mc --title "Messaging" --purpose "tests" >/dev/null
q project create mc/el9 --major 9 --variant 1 --arch x86_64 >/dev/null
q repo create mc/el9/common --arch x86_64 --channel candidate >/dev/null
q upload mc/el9/common "$(make_rpm rone 1.0 1.el9.mc noarch)" >/dev/null 2>&1
q upload mc/el9/common "$(make_rpm rtwo 1.0 1.el9.mc noarch)" >/dev/null 2>&1
REL=sig/9/mc/x86_64/common
URL=rsync://127.0.0.1:$RP/pubmod/

# What /pub holds that must not be served: the publish's bookkeeping (the
# second publish left a .repodata.old-*), and a file being written.
check "the publish left dot-files under /pub" test -f "$DATA/pub/$REL/.lock" -a -n "$(ls -d "$DATA"/pub/$REL/.repodata.old-* 2>/dev/null)"
echo partial >"$DATA/pub/sig/keys/RPM-GPG-KEY-x.tmp-1-2"

check "the daemon lists its module" bash -c "rsync 'rsync://127.0.0.1:$RP/' | grep -q '^pubmod'"
rsync --no-motd -r --list-only "$URL" >listing.txt
awk '{print $5}' listing.txt >paths.txt
check "the listing holds the repodata and the packages" bash -c "grep -q ' $REL/repodata/repomd.xml$' listing.txt && grep -q ' $REL/Packages/rtwo-1.0-1.el9.mc.noarch.rpm$' listing.txt"
check "the listing can show a dot-name (the module's top, '.')" grep -qx '\.' paths.txt
lacks "no dot-file is listed" paths.txt '(^|/)\.[^/]'
lacks "no file being written is listed" paths.txt '\.tmp-'
check "a full sync gets what /pub serves" rsync -rlt --no-motd "$URL" copy/
check "the copy equals /pub less the dot-files and temporaries" bash -c \
	"diff <(cd copy && find . -type f | sort) <(cd '$DATA/pub' && find . -type f ! -path '*/.*' ! -name '*.tmp-*' | sort)"
expect_fail 23 "No such file|excluded" rsync --no-motd "${URL}$REL/.lock" lockcopy
check "the module is read-only" bash -c "echo x >up.txt; ! rsync --no-motd up.txt '${URL}up.txt' 2>up.err && grep -qi 'read only' up.err"
check "the generated configuration is in DATA" grep -q "^path = $DATA/pub$" "$DATA/rsyncd.conf"

# A second daemon on the same port: refused, naming the port.
expect_fail 1 "rsync.listen '127.0.0.1:$RP': the address is already in use" \
	q rsyncd --data-dir "$DATA" --listen "127.0.0.1:$RP"

# A clean stop ends the daemon.
stop_hub
check "after the hub stops, nothing listens on the rsync port" bash -c "! rsync --no-motd --contimeout=2 'rsync://127.0.0.1:$RP/' 2>/dev/null"
check "and the daemon removed its pid file" test ! -e "$DATA/rsyncd.pid"

# A SIGKILLed hub: the guard ends it.
launch_hub
check "the daemon answers again after a restart" bash -c "rsync 'rsync://127.0.0.1:$RP/' | grep -q '^pubmod'"
pid=$(cat "$DATA/rsyncd.pid")
check "the daemon carries the hub's marker" grep -q QUARRY_HUB_RUN "/proc/$pid/environ"
kill_hub KILL
for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
refute "5 s after the hub was SIGKILLed the daemon is gone" kill -0 "$pid"

# Refusals at start.
python3 -c 'import socket, time, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(1); time.sleep(60)' "$RP" &
BLOCKER=$!
test_cleanup() { kill "$BLOCKER" 2>/dev/null || true; }
for _ in $(seq 50); do python3 -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])))' "$RP" 2>/dev/null && break; sleep 0.1; done
expect_fail 1 "rsync.listen '127.0.0.1:$RP': the address is already in use" q hub -c hub.ini
kill "$BLOCKER"
wait "$BLOCKER" 2>/dev/null || true
sed -i "s|^max_connections = 5$|max_connections = 5\nprogram = $T/no-such-rsync|" hub.ini
expect_fail 1 "rsync.program '$T/no-such-rsync' is not an executable \(is the rsync package installed" q hub -c hub.ini
expect_fail 1 "rsync.listen is not set" q rsyncd --data-dir "$DATA"

# quarry rsyncd: the same daemon, alone, in the foreground.
sed -i "/^program = /d" hub.ini
RP2=$(free_port)
"$QUARRY_BIN" rsyncd -c hub.ini --listen "127.0.0.1:$RP2" >rsyncd.out 2>&1 &
RSYNCD=$!
test_cleanup() { kill "$RSYNCD" 2>/dev/null || true; }
for _ in $(seq 50); do rsync --no-motd "rsync://127.0.0.1:$RP2/" >/dev/null 2>&1 && break; sleep 0.1; done
check "quarry rsyncd serves the module" bash -c "rsync --no-motd --list-only 'rsync://127.0.0.1:$RP2/pubmod/$REL/repodata/' | grep -q repomd.xml"
check "it is the rsync process itself (exec, foreground)" bash -c "tr '\0' ' ' </proc/$RSYNCD/cmdline | grep -q -- '--daemon --no-detach --config=$DATA/rsyncd.conf'"
kill "$RSYNCD"
wait "$RSYNCD" 2>/dev/null || true
finish
