#!/bin/bash
# demo-load.sh: the demo's content, loaded into a running hub through the
# CLI: the catalog (today's Rocky Linux SIGs, data/demo/sigs.tsv), the Cloud
# SIG's project cloud/el9 with repos 'candidate' and 'common', and the
# sample package cloud-hello built from its SRPM and released through an
# update (checks, testing, release). scripts/demo.sh runs it on the demo
# hub; the README tour's test (t0570) on its own hub, so that the tour is
# tested on the demo's content.
#
#   demo-load.sh QUARRY_BIN WORKDIR
#
# QUARRY_HUB and QUARRY_TOKEN (an admin's) say which hub; WORKDIR gets the
# SRPM's rpmbuild tree. Run from anywhere.
set -euo pipefail
if [ $# -ne 2 ]; then
	echo "usage: $0 QUARRY_BIN WORKDIR" >&2
	exit 2
fi
Q=$(realpath "$1")
TOP=$(realpath "$2")/rpmbuild
: "${QUARRY_HUB:?}" "${QUARRY_TOKEN:?}"
cd "$(dirname "$0")/.."

echo "== loading the demo catalog (data/demo/sigs.tsv)"
while IFS=$'\t' read -r name short status wiki title purpose; do
	case "$name" in '#'* | '') continue ;; esac
	args=(sig create "$name" --short-name "$short" --title "$title" --purpose "$purpose" --status "$status")
	if [ "$wiki" != "-" ]; then
		args+=(--wiki "$wiki")
	fi
	"$Q" "${args[@]}" >/dev/null
	echo "   $name (.el9.$short, $status)"
done <data/demo/sigs.tsv

echo "== creating cloud/el9 with repos 'candidate' and 'common' and building the sample package"
"$Q" project create cloud/el9 --major 9 --variant 1 --arch x86_64,aarch64 >/dev/null
# Candidate repos take builds and uploads from SIG members; release repos
# (and testing ones) change only through updates, under the project's policy.
"$Q" repo create cloud/el9/candidate --arch x86_64,aarch64 --channel candidate >/dev/null
"$Q" repo create cloud/el9/common --arch x86_64,aarch64 --channel release >/dev/null
rpmbuild --quiet --define "_topdir $TOP" -bs data/demo/cloud-hello.spec >/dev/null
SRPM=$(find "$TOP/SRPMS" -name 'cloud-hello-*.src.rpm' | head -1)
jid() { python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])'; }
jstate() { python3 -c 'import json, sys; print(json.load(sys.stdin)["state"])'; }
BUILD=$("$Q" build cloud/el9 "$SRPM" --json | jid)
echo "   build $BUILD (the embedded worker rebuilds the SRPM in its sandbox)"
for _ in $(seq 600); do
	state=$("$Q" build show "$BUILD" --json | jstate)
	[ "$state" != building ] && break
	sleep 0.5
done
if [ "$state" != complete ]; then
	echo "build $BUILD is '$state':" >&2
	"$Q" build show "$BUILD" >&2
	exit 1
fi
"$Q" tag "$BUILD" cloud/el9/candidate
echo "== an update of build $BUILD for 'common': checks, testing, release"
UPDATE=$("$Q" update create cloud/el9 common "$BUILD" --notes "the demo's first release" --json | jid)
# The policy moves it to testing as soon as the checks pass (auto testing).
for _ in $(seq 600); do
	state=$("$Q" update show "$UPDATE" --json | jstate)
	[ "$state" != candidate ] && break
	sleep 0.5
done
if [ "$state" != testing ]; then
	echo "update $UPDATE is still '$state'; its checks:" >&2
	"$Q" update show "$UPDATE" >&2
	exit 1
fi
"$Q" promote "$UPDATE" --to release

