#!/bin/bash
# demo.sh: the README's first command. On a fresh Debian 12 machine, as root:
# installs what is missing, builds Quarry, creates a data directory, loads
# the demo catalog (today's Rocky Linux SIGs), builds a small package for the
# Cloud SIG and releases it through an update (checks, testing, release),
# starts the hub and prints how to install the package with dnf. Run it
# again to start over (the demo directory is wiped). The loading is
# scripts/demo-load.sh, which the README tour's test runs too.
#
#   QUARRY_DEMO_DIR  where the demo lives (default /var/lib/quarry-demo)
#   QUARRY_PORT      the hub's port on 127.0.0.1 (default 8080)
set -euo pipefail
cd "$(dirname "$0")/.."
SRC=$PWD
DEMO=${QUARRY_DEMO_DIR:-/var/lib/quarry-demo}
PORT=${QUARRY_PORT:-8080}
HUB=http://127.0.0.1:$PORT

./scripts/install-deps.sh
echo "== building Quarry"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
Q=$SRC/build/quarry

if [ -f "$DEMO/hub.pid" ] && kill -0 "$(cat "$DEMO/hub.pid")" 2>/dev/null; then
	echo "== stopping the previous demo hub"
	kill "$(cat "$DEMO/hub.pid")"
	sleep 1
fi
if [ -d "$DEMO/data/keys" ]; then
	gpgconf --homedir "$DEMO/data/keys" --kill all 2>/dev/null || true
fi
rm -rf "$DEMO"
mkdir -p "$DEMO"
cat >"$DEMO/hub.ini" <<INI
# The demo hub's configuration; every key: docs/CONFIG.md
[hub]
listen = 127.0.0.1:$PORT
data_dir = $DEMO/data
public_url = $HUB
INI

echo "== initialising $DEMO/data"
"$Q" init -c "$DEMO/hub.ini" >"$DEMO/admin.token"
chmod 600 "$DEMO/admin.token"
export QUARRY_HUB=$HUB QUARRY_TOKEN
QUARRY_TOKEN=$(cat "$DEMO/admin.token")

echo "== starting the hub on $HUB (log: $DEMO/hub.log)"
nohup "$Q" hub -c "$DEMO/hub.ini" >"$DEMO/hub.log" 2>&1 &
echo $! >"$DEMO/hub.pid"
for _ in $(seq 50); do
	curl -fsS "$HUB/healthz" >/dev/null 2>&1 && break
	sleep 0.2
done
curl -fsS "$HUB/healthz" >/dev/null

"$SRC/scripts/demo-load.sh" "$Q" "$DEMO"

curl -fsS -o "$DEMO/RPM-GPG-KEY-quarry-cloud" "$HUB/pub/sig/keys/RPM-GPG-KEY-quarry-cloud"
cat >"$DEMO/demo.repo" <<REPO
[sig-cloud-common-9]
name=Cloud SIG common (Quarry demo)
metalink=$HUB/metalink?repo=sig-cloud-common-9&arch=\$basearch
gpgcheck=1
repo_gpgcheck=1
gpgkey=file://$DEMO/RPM-GPG-KEY-quarry-cloud
REPO

cat <<DONE

Quarry is running: $HUB   (pid $(cat "$DEMO/hub.pid"); stop it with: kill \$(cat $DEMO/hub.pid))
  web:        $HUB/   (the SIGs; the build: $HUB/builds, the update: $HUB/updates, mirrors: $HUB/mirrors)
  API:        $HUB/api/v1/sigs
  published:  $HUB/pub/sig/9/cloud/x86_64/common/
  admin token (also in $DEMO/admin.token):
    export QUARRY_HUB=$HUB QUARRY_TOKEN=\$(cat $DEMO/admin.token)

Install the sample package with dnf, through the metalink (the package and the
repodata signed, both checked against the SIG's key; sig-cloud-release is there too):
  dnf -y --installroot $DEMO/root --releasever 9 --setopt=reposdir=/dev/null --config /dev/null \\
      --setopt=cachedir=$DEMO/root.cache -c $DEMO/demo.repo install cloud-hello
  cat $DEMO/root/usr/share/cloud-hello/hello.txt
DONE
