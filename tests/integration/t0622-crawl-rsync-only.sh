#!/bin/bash
# t0622-crawl-rsync-only: mirrors that offer only rsync are crawled over
# rsync, as MirrorManager does. Another `rsync --daemon` on 127.0.0.1 plays
# the mirrors: one holding the newest publish (up_to_date), one a publish
# behind (lagging), one serving a repomd.xml that was never published
# (stale), and one whose daemon is not running (unreachable, with rsync's
# reason); a mirror whose module does not exist is unreachable too, saying
# so. The metalink lists the good ones' rsync URLs for protocol=rsync.
. "$(dirname "$0")/lib.sh"

command -v rsync >/dev/null || skip "rsync is not installed (scripts/install-deps.sh)"
start_hub "[build]
embedded_worker = false
[mirror]
crawl_interval = 0
[geoip]
tor_v4 =
tor_v6 ="
q sig create mc --short-name mc --title "Messaging" --purpose "tests" >/dev/null
q project create mc/el9 --major 9 --variant 1 --arch x86_64 >/dev/null
q repo create mc/el9/common --arch x86_64 --channel candidate >/dev/null
REL=sig/9/mc/x86_64/common
q upload mc/el9/common "$(make_rpm rone 1.0 1.el9.mc noarch)" >/dev/null 2>&1
mkdir -p mirrors/lagging && cp -a "$DATA/pub/." mirrors/lagging/
q upload mc/el9/common "$(make_rpm rtwo 1.0 1.el9.mc noarch)" >/dev/null 2>&1
for m in good never; do mkdir -p "mirrors/$m" && cp -a "$DATA/pub/." "mirrors/$m/"; done
echo "<!-- not ours -->" >>"mirrors/never/$REL/repodata/repomd.xml"

MP=$(free_port)
DOWN=$(free_port)
cat >mirrors-rsyncd.conf <<CONF
pid file = $T/mirrors-rsyncd.pid
lock file = $T/mirrors-rsyncd.lock
log file = $T/mirrors-rsyncd.txt
address = 127.0.0.1
port = $MP
use chroot = no
[m]
path = $T/mirrors
read only = yes
CONF
rsync --daemon --no-detach --config="$T/mirrors-rsyncd.conf" &
MIRRORS_PID=$!
test_cleanup() { kill "$MIRRORS_PID" 2>/dev/null || true; }
for _ in $(seq 50); do rsync "rsync://127.0.0.1:$MP/" >/dev/null 2>&1 && break; sleep 0.1; done
check "the mirrors' daemon serves the good copy" rsync --no-motd --list-only "rsync://127.0.0.1:$MP/m/good/$REL/repodata/repomd.xml"

mkdir mirrors.d
mkdef() { # mkdef NAME RSYNC_URL
	cat >"mirrors.d/$1.yml" <<YML
name: $1
address:
  rsync: $2
update_frequency: 1h
sponsor: Test
sponsor_url: https://example.org/
geolocation: {country: SE}
YML
}
for m in good lagging never; do mkdef "$m.example.org" "rsync://127.0.0.1:$MP/m/$m/"; done
mkdef down.example.org "rsync://127.0.0.1:$DOWN/m/good/"
mkdef nomodule.example.org "rsync://127.0.0.1:$MP/nosuch/good/"
check "import five rsync-only mirrors" q mirror import mirrors.d

state() { q mirror show "$1" --json | python3 -c 'import json, sys
m = json.load(sys.stdin)
c = [x for x in m.get("checks", []) if x["repo"] == "sig-mc-common-9"]
print(c[0]["state"] if c else "unchecked")'; }
q crawl --json >crawl.json
check "the crawl is done" test "$(jget 'd["state"]' crawl.json)" = done
for want in good:up_to_date lagging:lagging never:stale down:unreachable nomodule:unreachable; do
	m=${want%%:*} s=${want#*:}
	got=$(state "$m.example.org")
	[ "$got" = "$s" ] && ok "$m.example.org: $s over rsync" || fail "$m.example.org: $s over rsync (got $got)"
done
check "the good mirror was read over rsync" grep -q "rsync on m/good/$REL/repodata/repomd.xml" mirrors-rsyncd.txt
q mirror show down.example.org --json >down.json
check "unreachable says why (rsync's message)" grep -q "failed to connect to 127.0.0.1.*Connection refused" down.json
q mirror show nomodule.example.org --json >nomodule.json
check "a missing module says so" grep -q "Unknown module 'nosuch'" nomodule.json
q mirror show never.example.org --json >never.json
check "stale says why" grep -q "neither the newest publish nor an alternate" never.json
q mirror show good.example.org --json >good.json
check "the good mirror was reached over IPv4" test "$(jget 'd["ipv4"]' good.json)" = 1

code=$(req GET "$QUARRY_HUB/metalink?repo=sig-mc-common-9&arch=x86_64&protocol=rsync")
check "metalink for rsync answers 200" test "$code" = 200
check "it lists the up-to-date rsync mirror" grep -q "rsync://127.0.0.1:$MP/m/good/$REL/repodata/repomd.xml" "$T/body"
lacks "never the stale one" "$T/body" "/m/never/"
lacks "never the unreachable one" "$T/body" ":$DOWN/"

# The mirror catches up: the next crawl sees it.
rm -rf mirrors/lagging && mkdir mirrors/lagging && cp -a "$DATA/pub/." mirrors/lagging/
q crawl --mirror lagging.example.org >/dev/null
check "after syncing, the lagging mirror is up to date" test "$(state lagging.example.org)" = up_to_date
kill "$MIRRORS_PID"
wait "$MIRRORS_PID" 2>/dev/null || true
finish
