#!/bin/bash
# t0621-mirror-sync-loop: the two-stage sync of docs/MIRRORS.md keeps a
# mirror consistent while the master publishes. The hub's rsync daemon
# serves /pub; a mirror directory, served by nginx, is synced in a loop
# with contrib/quarry-mirror-sync (the documented commands) while packages
# are uploaded and published every two seconds or so; dnf (repo_gpgcheck=1)
# downloads every package the mirror lists (checksums verified), in a
# loop, and must never fail.
# After each repodata stage (the script's --after-repodata hook) every
# file each repomd.xml names and every package its primary names must be
# on the mirror, and a watcher checks the same continuously. The packages
# carry 256 KiB of random bytes, and the sync is rate-limited, so a
# transfer takes long enough for publishes to land in the middle of syncs
# (counted: syncs that had to fetch packages again before the repodata).
#
# T0621_NAIVE=1 runs the loop with a one-stage `rsync -a --delete` instead
# and expects it to break (not run by ctest; see docs/MIRRORS.md).
. "$(dirname "$0")/lib.sh"

for tool in rsync nginx dnf; do
	command -v "$tool" >/dev/null || skip "$tool is not installed (scripts/install-deps.sh)"
done
RP=$(free_port)
start_hub "[build]
embedded_worker = false
[rsync]
listen = 127.0.0.1:$RP"
q sig create mc --short-name mc --title "Messaging" --purpose "tests" >/dev/null
q project create mc/el9 --major 9 --variant 1 --arch x86_64 >/dev/null
q repo create mc/el9/common --arch x86_64 --channel candidate >/dev/null
curl -fsS -o key.asc "$QUARRY_HUB/api/v1/sigs/mc/key"
REL=sig/9/mc/x86_64/common
SRC=rsync://127.0.0.1:$RP/quarry/
M=$T/mirror
SYNC=$QUARRY_SRC/contrib/quarry-mirror-sync
NPKG=${T0621_PACKAGES:-14}

# Packages with 256 KiB of incompressible payload each: one rpmbuild of a
# spec with a subpackage per package.
top=$T/rpmbuild
mkdir -p "$top/SPECS" "$top/SOURCES"
{
	cat <<SPEC
Name: sbig00
Version: 1.0
Release: 1.el9.mc
Summary: a package for the mirror sync test
License: MIT
BuildArch: noarch
%description
Payload for the sync test.
SPEC
	for i in $(seq -f '%02g' 1 "$NPKG"); do
		printf '%%package -n sbig%s\nSummary: payload %s\n%%description -n sbig%s\nPayload.\n%%files -n sbig%s\n/usr/share/sbig%s\n' "$i" "$i" "$i" "$i" "$i"
	done
	echo '%install'
	for i in $(seq -f '%02g' 0 "$NPKG"); do
		echo "mkdir -p %{buildroot}/usr/share/sbig$i && head -c 262144 /dev/urandom >%{buildroot}/usr/share/sbig$i/payload"
	done
	printf '%%files\n/usr/share/sbig00\n'
} >"$top/SPECS/sbig.spec"
rpmbuild -bb --quiet --define "_topdir $top" --define "_binary_payload w0.ufdio" "$top/SPECS/sbig.spec" >rpmbuild.log 2>&1 ||
	{ cat rpmbuild.log; exit 1; }
q upload mc/el9/common "$top/RPMS/noarch/sbig00-1.0-1.el9.mc.noarch.rpm" >/dev/null 2>&1

# The mirror: a directory nginx serves (as root, nginx's workers stay root:
# they must read our mktemp directory).
mkdir -p "$M" nginx/logs nginx/tmp
NP=$(free_port)
cat >nginx/nginx.conf <<CONF
$([ "$(id -u)" = 0 ] && echo "user $(id -un) $(id -gn);")
worker_processes 1;
daemon off;
pid $T/nginx/nginx.pid;
error_log $T/nginx/logs/error.log warn;
events { worker_connections 256; }
http {
	access_log $T/nginx/logs/access.txt;
	client_body_temp_path $T/nginx/tmp/body;
	proxy_temp_path $T/nginx/tmp/proxy;
	fastcgi_temp_path $T/nginx/tmp/fastcgi;
	uwsgi_temp_path $T/nginx/tmp/uwsgi;
	scgi_temp_path $T/nginx/tmp/scgi;
	default_type application/octet-stream;
	server { listen 127.0.0.1:$NP; root $M; location ~ /\. { deny all; } }
}
CONF
nginx -c "$T/nginx/nginx.conf" -p "$T/nginx" -e "$T/nginx/logs/error.log" >nginx/logs/stdout.txt 2>&1 &
NGINX_PID=$!
BG=()
test_cleanup() {
	touch "$T/stop"
	for p in "${BG[@]}"; do kill "$p" 2>/dev/null || true; done
	kill -QUIT "$NGINX_PID" 2>/dev/null || true
}

# consistent DIR: every file each repomd.xml under DIR names, and every
# package each primary names, exists (prints the first missing one).
cat >consistent.py <<'PY'
import gzip, os, sys, xml.etree.ElementTree as ET
root = sys.argv[1]
ns = {"r": "http://linux.duke.edu/metadata/repo", "c": "http://linux.duke.edu/metadata/common"}
for d, dirs, files in os.walk(root):
    dirs[:] = [x for x in dirs if not x.startswith(".")]
    if not (d.endswith("/repodata") and "repomd.xml" in files):
        continue
    repo = d[: -len("/repodata")]
    try:
        md = ET.parse(d + "/repomd.xml").getroot()
    except (OSError, ET.ParseError) as e:
        print("%s/repodata/repomd.xml: %s" % (repo, e)); sys.exit(1)
    for x in md.findall("r:data", ns):
        href = x.find("r:location", ns).get("href")
        if not os.path.isfile(repo + "/" + href):
            print("%s/%s (named by repomd.xml)" % (repo, href)); sys.exit(1)
        if x.get("type") == "primary":
            for p in ET.fromstring(gzip.open(repo + "/" + href).read()).findall("c:package", ns):
                loc = p.find("c:location", ns).get("href")
                if not os.path.isfile(repo + "/" + loc):
                    print("%s/%s (named by primary)" % (repo, loc)); sys.exit(1)
PY
check "the checker finds a missing package (a copy without one)" bash -c "
	mkdir -p probe && cp -a '$DATA/pub/.' probe/ && rm probe/$REL/Packages/sbig00-*.rpm &&
	out=\$(python3 consistent.py probe) ; [ \$? -ne 0 ] && echo \"\$out\" | grep -q 'sbig00-1.0-1.el9.mc.noarch.rpm (named by primary)'"

naive_sync() { rsync -a --delete --no-motd --bwlimit="${BW:-2000}" "$SRC" "$M/"; }
if [ -n "${T0621_NAIVE:-}" ]; then
	sync_once() { naive_sync && python3 consistent.py "$M" >>after-repodata.txt 2>&1 || echo "inconsistent after sync" >>after-repodata.txt; echo done >>after-repodata.txt; }
else
	sync_once() {
		QUARRY_RSYNC_OPTS="--bwlimit=${BW:-2000}" "$SYNC" --tries 50 \
			--after-repodata "python3 '$T/consistent.py' '$M' >>'$T/after-repodata.txt' 2>&1 || echo INCONSISTENT >>'$T/after-repodata.txt'; echo done >>'$T/after-repodata.txt'" \
			"$SRC" "$M"
	}
fi
check "a first sync" sync_once
check "nginx serves the mirror" bash -c "for _ in \$(seq 50); do curl -fsS -o /dev/null 'http://127.0.0.1:$NP/$REL/repodata/repomd.xml' && exit 0; sleep 0.1; done; exit 1"

cat >mirror.repo <<REPO
[mirror]
name=the mirror
baseurl=http://127.0.0.1:$NP/$REL/
gpgcheck=0
repo_gpgcheck=1
gpgkey=file://$T/key.asc
metadata_expire=0
REPO
# dnf imports the repo's key once, before the loops, into a cache every run
# shares: on its first use of a key dnf verifies repomd.xml, imports the key
# and fetches repomd.xml.asc again, a second later; a sync landing in that
# second gives it a pair that does not match, which no mirror can prevent.
# Every run still fetches the repodata anew (metadata_expire=0).
check "dnf imports the repo key" dnf -y --installroot "$T/dnfroot0" --releasever 9 \
	--setopt=reposdir=/dev/null --config /dev/null --setopt=cachedir="$T/dnfcache" -c mirror.repo makecache
# The sync loop (its own failures counted), the publisher, the watcher, dnf.
: >sync-failures.txt
(
	n=0
	while [ ! -e "$T/stop" ]; do
		n=$((n + 1))
		sync_once >"sync-$n.log" 2>&1 || echo "sync $n exited $?" >>sync-failures.txt
		echo "$n" >syncs.txt
	done
) &
BG+=($!)
(
	while [ ! -e "$T/stop" ]; do
		python3 consistent.py "$M" >>watch.txt 2>/dev/null || true
		sleep 0.05
	done
) &
BG+=($!)
: >dnf-failures.txt
(
	n=0
	while [ ! -e "$T/stop" ]; do
		n=$((n + 1))
		root=$(mktemp -d "$T/dnfroot.XXXXXX")
		if dnf -y --installroot "$root" --releasever 9 --setopt=reposdir=/dev/null --config /dev/null \
			--setopt=cachedir="$T/dnfcache" -c mirror.repo install --downloadonly 'sbig*' >"dnf-$n.log" 2>&1; then
			grep -c '^ sbig' "dnf-$n.log" >>dnf-installed.txt || true
		else
			{ echo "dnf run $n failed:"; tail -n 4 "dnf-$n.log"; } >>dnf-failures.txt
		fi
		rm -rf "$root"
		echo "$n" >dnfs.txt
	done
) &
BG+=($!)

# Publish the packages one by one.
for i in $(seq -f '%02g' 1 "$NPKG"); do
	q upload mc/el9/common "$T/rpmbuild/RPMS/noarch/sbig$i-1.0-1.el9.mc.noarch.rpm" >/dev/null 2>&1
	sleep 2
done
sleep 3
touch stop
for p in "${BG[@]}"; do wait "$p" || true; done
BG=()

syncs=$(cat syncs.txt) dnfs=$(cat dnfs.txt)
echo "# $NPKG publishes; $syncs syncs; $dnfs dnf runs; repodata stages $(grep -c '^done' after-repodata.txt)"
retried=$(cat sync-*.log | grep -c 'published meanwhile' || true)
echo "# syncs that fetched packages again before placing repodata (the master published meanwhile): $retried"
check "the sync loop ran several times" test "$syncs" -ge 3
check "dnf ran several times against the mirror" test "$dnfs" -ge 3
check "the repodata stage ran at every sync" test "$(grep -c '^done' after-repodata.txt)" -ge "$syncs"
{ echo "syncs: $syncs"; cat sync-failures.txt; } >r-syncs.txt
lacks "every sync succeeded" r-syncs.txt 'exited'
{ echo "checks: $(grep -c '^done' after-repodata.txt)"; cat after-repodata.txt; } >r-after.txt
lacks "after every repodata stage, everything the mirror's repodata names is there" r-after.txt 'named by|INCONSISTENT|Error'
{ echo "watch"; cat watch.txt; } >r-watch.txt
lacks "the watcher never saw repodata naming a missing file" r-watch.txt 'named by'
{ echo "dnf runs: $dnfs"; cat dnf-failures.txt; } >r-dnf.txt
lacks "dnf never failed" r-dnf.txt 'failed'
check "dnf saw new packages during the run" test "$(sort -n dnf-installed.txt | tail -1)" -gt "$(sort -n dnf-installed.txt | head -1)"
# Finally the mirror catches up with the master.
check "a last sync" sync_once
check "the mirror serves the master's repomd.xml" cmp "$DATA/pub/$REL/repodata/repomd.xml" "$M/$REL/repodata/repomd.xml"
check "and every package of the last publish" python3 consistent.py "$M"
kill -QUIT "$NGINX_PID" 2>/dev/null || true
wait "$NGINX_PID" 2>/dev/null || true
finish
