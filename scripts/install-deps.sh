#!/bin/sh
# install-deps.sh: install every Debian 12 package Quarry needs to build,
# run, test and benchmark. Idempotent; needs root (or sudo).
set -eu

PKGS="build-essential cmake pkg-config clang libclang-rt-14-dev
libh2o-evloop-dev libcreaterepo-c-dev librpm-dev libsolv-dev libsolvext-dev
libgit2-dev libcurl4-openssl-dev libjansson-dev libyaml-dev libsqlite3-dev
libmaxminddb-dev libgpgme-dev libglib2.0-dev libssl-dev libcmocka-dev
bubblewrap dnf createrepo-c rpm rpmlint gawk elfutils cpio gnupg curl ca-certificates sqlite3 python3 jq
clang-format bc git busybox-static tor-geoipdb wrk nginx-light procps util-linux passwd
python3-jsonschema python3-rfc3987 rsync
libargon2-dev libcjose-dev glewlwyd dbconfig-no-thanks"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
if [ -z "$missing" ]; then
	echo "install-deps: all packages present"
	exit 0
fi
SUDO=""
if [ "$(id -u)" != 0 ]; then
	SUDO=sudo
fi
echo "install-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
# glewlwyd (the OpenID Connect provider the sign-in tests run) asks how to
# configure its database, and its post-install fails without an answer; it
# also starts its service unless a policy-rc.d forbids it (the tests start
# their own).
echo 'glewlwyd glewlwyd/config_type select No configuration' | $SUDO debconf-set-selections
policy_made=""
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
	$SUDO chmod 755 /usr/sbin/policy-rc.d
	policy_made=1
fi
# shellcheck disable=SC2086
$SUDO apt-get install -y -q --no-install-recommends $missing
if [ -n "$policy_made" ]; then
	$SUDO rm -f /usr/sbin/policy-rc.d
fi
