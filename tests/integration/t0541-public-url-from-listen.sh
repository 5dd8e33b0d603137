#!/bin/bash
# t0541: hub.public_url follows hub.listen when it is not set: the hub's log,
# the metalink's URLs and the release package's .repo file name the server
# that is really there, not http://127.0.0.1:8080. A wildcard listen
# (0.0.0.0) takes this host's name, and says so. `quarry config check` warns
# when a set public_url disagrees with listen (port or host), and when it
# derives from a wildcard address; an agreeing file has no warning.
. "$(dirname "$0")/lib.sh"

PORT=$(free_port)
cat >hub.ini <<INI
[hub]
listen = 127.0.0.1:$PORT
data_dir = $DATA
[build]
embedded_worker = false
INI
q config check hub.ini >check1.txt 2>&1
check "config check passes a file without public_url" grep -qx "hub.ini: ok" check1.txt
lacks "… with no warning" check1.txt "warning"

QUARRY_TOKEN=$(q init -c hub.ini 2>init.log)
export QUARRY_TOKEN QUARRY_HUB=http://127.0.0.1:$PORT
launch_hub
check "the hub logs the derived public URL" grep -q "public URL http://127.0.0.1:$PORT\$" hub.log

q sig create mc --short-name mc --title "Messaging" --purpose "tests" >/dev/null
q project create mc/el9 --major 9 --variant 1 --arch x86_64 >/dev/null
q repo create mc/el9/common --arch x86_64 >/dev/null
code=$(req GET "$QUARRY_HUB/metalink?repo=sig-mc-common-9&arch=x86_64")
check "metalink answers 200" test "$code" = 200
cp "$T/body" metalink.xml
check "the metalink's URL is this hub's /pub" \
	grep -q ">http://127.0.0.1:$PORT/pub/sig/9/mc/x86_64/common/repodata/repomd.xml<" metalink.xml
lacks "… and never the default port's" metalink.xml "127.0.0.1:8080"

# The release package's .repo file.
RPM=$(ls "$DATA"/pub/sig/9/mc/x86_64/common/Packages/sig-mc-release-*.rpm)
mkdir relpkg
(cd relpkg && rpm2cpio "$RPM" | cpio -idm --quiet)
check "the release package's .repo names this hub's metalink" \
	grep -qx "metalink=http://127.0.0.1:$PORT/metalink?repo=sig-mc-common-\$releasever&arch=\$basearch" \
	relpkg/etc/yum.repos.d/sig-mc.repo
lacks "… and never the default port's" relpkg/etc/yum.repos.d/sig-mc.repo "127.0.0.1:8080"

# A wildcard listen: this host's name, with a warning.
stop_hub
sed -i "s/^listen = .*/listen = 0.0.0.0:$PORT/" hub.ini
out=$(q config check hub.ini 2>&1)
check "config check warns about the wildcard listen" grep -q "^hub.ini: warning: .*'0.0.0.0:$PORT' is every address: using 'http://.*:$PORT' (this host's name)" <<<"$out"
check "… and the file is still valid" grep -qx "hub.ini: ok" <<<"$out"
: >hub.log
launch_hub
check "the hub warns about the wildcard listen" grep -q "warn .*is every address: using" hub.log
derived=$(sed -n "s/.*public URL \(http:[^ ]*\)\$/\1/p" hub.log)
check "the derived URL is not the wildcard address, with listen's port" \
	bash -c '[[ $1 == http://*:$2 && $1 != *0.0.0.0* ]]' _ "$derived" "$PORT"
req GET "$QUARRY_HUB/metalink?repo=sig-mc-common-9&arch=x86_64" >/dev/null
check "the metalink names the derived URL" grep -qF ">$derived/pub/sig/9/mc/" "$T/body"

# A set public_url that disagrees with listen.
printf '[hub]\nlisten = 127.0.0.1:%s\npublic_url = http://127.0.0.1:8080\n' "$PORT" >port.ini
expect_fail 0 "port.ini: warning: hub.public_url 'http://127.0.0.1:8080' \(port 8080\) disagrees with hub.listen '127.0.0.1:$PORT' \(port $PORT\)" \
	q config check port.ini
printf '[hub]\nlisten = 192.0.2.1:%s\npublic_url = http://192.0.2.2:%s/\n' "$PORT" "$PORT" >host.ini
expect_fail 0 "host.ini: warning: .*\(host 192.0.2.2\) disagrees with hub.listen '192.0.2.1:$PORT' \(host 192.0.2.1\)" \
	q config check host.ini
printf '[hub]\nlisten = 127.0.0.1:%s\npublic_url = http://127.0.0.1:%s/\n' "$PORT" "$PORT" >same.ini
q config check same.ini >check2.txt 2>&1
check "an agreeing public_url passes" grep -qx "same.ini: ok" check2.txt
lacks "… with no warning" check2.txt "warning"
finish
