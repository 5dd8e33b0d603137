#!/bin/bash
# bench/publish.sh: Quarry's publishing against createrepo_c, in one run, on
# the same generated packages (not a test; prints figures).
#
#  full:        a complete rewrite of the metadata of a 2,000-package repo
#               (quarry: `POST …/publish?force=1` on a hub that holds the
#               packages; reference: `createrepo_c --no-database` over the
#               same 2,000 files, i.e. the same outputs: primary, filelists,
#               other, repomd.xml, plus our repomd.xml.asc).
#  incremental: one more package reaches the published repo, RUNS times
#               (quarry: `quarry upload` of the file, which inspects it,
#               stores it and publishes; reference: copy the file in and run
#               `createrepo_c --update --no-database`).
# Each figure is the median of RUNS runs (default 5). Packages: N (default
# 2000) noarch subpackages of one spec, each with a few files and deps.
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
Q=${QUARRY_BIN:-$SRC/build/quarry}
N=${N:-2000}
RUNS=${RUNS:-5}
W=$(mktemp -d /tmp/quarry-bench-publish.XXXXXX)
HUB_PID=
cleanup() {
	[ -n "$HUB_PID" ] && kill "$HUB_PID" 2>/dev/null
	gpgconf --homedir "$W/data/keys" --kill all 2>/dev/null || true
	rm -rf "$W"
}
trap cleanup EXIT
cd "$W"

[ -x "$Q" ] || { echo "build quarry first (cmake --build build)"; exit 1; }
now() { date +%s.%N; }
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

echo "== generating $N packages (+$RUNS for the incremental steps)"
mkdir -p rpmbuild/SPECS
{
	printf 'Name: gen\nVersion: 1.0\nRelease: 1.el9.bench\nSummary: gen\nLicense: MIT\nBuildArch: noarch\n'
	printf '%%description\ngenerated\n%%files\n'
	for i in $(seq "$((N + RUNS))"); do
		printf '%%package -n gen%d\nSummary: generated package %d\nProvides: gencap%d = 1.0\n' "$i" "$i" "$i"
		[ "$i" -gt 1 ] && printf 'Requires: gencap%d\n' "$((i - 1))"
		printf '%%description -n gen%d\nGenerated package number %d for the publish benchmark.\n' "$i" "$i"
		printf '%%files -n gen%d\n/usr/share/gen/%d\n' "$i" "$i"
	done
	printf '%%install\nfor i in $(seq %d); do mkdir -p %%{buildroot}/usr/share/gen/$i; ' "$((N + RUNS))"
	printf 'for f in a b c d; do echo $i$f > %%{buildroot}/usr/share/gen/$i/$f; done; done\n'
} >rpmbuild/SPECS/gen.spec
rpmbuild -bb --quiet --define "_topdir $W/rpmbuild" rpmbuild/SPECS/gen.spec >rpmbuild.log 2>&1
mkdir -p pkgs extra
for i in $(seq "$((N + 1))" "$((N + RUNS))"); do
	mv "$W/rpmbuild/RPMS/noarch/gen$i-1.0-1.el9.bench.noarch.rpm" extra/
done
find rpmbuild/RPMS/noarch -name 'gen[0-9]*.rpm' -exec mv {} pkgs/ \;
echo "   $(ls pkgs | wc -l) packages, $(du -sh pkgs | cut -f1)"

echo "== reference: createrepo_c $(createrepo_c --version | head -1)"
mkdir -p ref/Packages
cp pkgs/*.rpm ref/Packages/
full_ref=$(for _ in $(seq "$RUNS"); do
	rm -rf ref/repodata
	t0=$(now); createrepo_c -q --no-database ref >/dev/null; t1=$(now)
	echo "$t1 - $t0" | bc -l
done | median)
rm -rf ref/repodata; createrepo_c -q --no-database ref >/dev/null
incr_ref=$(for x in extra/*.rpm; do
	t0=$(now); cp "$x" ref/Packages/; createrepo_c -q --no-database --update ref >/dev/null; t1=$(now)
	echo "$t1 - $t0" | bc -l
done | median)
for x in extra/*.rpm; do rm -f "ref/Packages/$(basename "$x")"; done
default_ref=$(rm -rf ref/repodata; t0=$(now); createrepo_c -q ref >/dev/null; t1=$(now); echo "$t1 - $t0" | bc -l)

echo "== quarry: a hub with $N packages in one repo"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >hub.ini <<INI
[hub]
listen = 127.0.0.1:$PORT
data_dir = $W/data
public_url = http://127.0.0.1:$PORT
[signing]
key_algo = rsa2048
[log]
level = warn
INI
export QUARRY_HUB=http://127.0.0.1:$PORT
QUARRY_TOKEN=$("$Q" init -c hub.ini 2>/dev/null)
export QUARRY_TOKEN
"$Q" hub -c hub.ini >hub.log 2>&1 &
HUB_PID=$!
for _ in $(seq 100); do curl -fsS "$QUARRY_HUB/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
"$Q" sig create bench --short-name bench --title Bench --purpose benchmark >/dev/null
"$Q" project create bench/el9 --major 9 --variant 1 --arch x86_64 >/dev/null
# A candidate repo: uploads go straight in (testing and release repos change
# through updates), and a release repo signs every RPM on its way in, which
# createrepo_c, the reference, does not do; the repodata is signed either way.
"$Q" repo create bench/el9/main --arch x86_64 --channel candidate >/dev/null
t0=$(now)
"$Q" upload bench/el9/main pkgs/*.rpm >/dev/null
t1=$(now)
ingest=$(echo "$t1 - $t0" | bc -l)
publish() {
	curl -fsS -o /dev/null -X POST -H "Authorization: Bearer $QUARRY_TOKEN" \
		"$QUARRY_HUB/api/v1/sigs/bench/projects/el9/repos/main/publish?force=1"
}
publish
full_q=$(for _ in $(seq "$RUNS"); do
	t0=$(now); publish; t1=$(now)
	echo "$t1 - $t0" | bc -l
done | median)
incr_q=$(for x in extra/*.rpm; do
	t0=$(now); "$Q" upload bench/el9/main "$x" >/dev/null 2>&1; t1=$(now)
	echo "$t1 - $t0" | bc -l
done | median)
REPO=$W/data/pub/sig/9/bench/x86_64/main
count=$(python3 "$SRC/tests/integration/check_repo.py" "$REPO")
[ "$count" -eq "$((N + RUNS))" ] || { echo "quarry's repo has $count packages, expected $((N + RUNS))"; exit 1; }

printf '\n%-44s %10s %10s\n' "figure (seconds, median of $RUNS)" quarry createrepo_c
printf '%-44s %10.3f %10.3f\n' "full publish of $N packages" "$full_q" "$full_ref"
printf '%-44s %10.3f %10.3f\n' "incremental: one more package (median of $RUNS)" "$incr_q" "$incr_ref"
printf '%-44s %10.3f %10s\n' "(info) upload+inspect+publish of $N, once" "$ingest" "-"
printf '%-44s %10s %10.3f\n' "(info) createrepo_c with sqlite databases" "-" "$default_ref"
echo "(quarry's incremental figure: the CLI uploading over HTTP, inspection, storage and publish)"
echo
ratio() { echo "scale=3; $1 / $2" | bc -l | sed 's/^\./0./'; }
printf 'bench: publish_full_%d quarry=%.3f reference=%.3f ratio=%s target=1.0 unit=s\n' "$N" "$full_q" "$full_ref" "$(ratio "$full_q" "$full_ref")"
printf 'bench: publish_incremental quarry=%.3f reference=%.3f ratio=%s target=0.5 unit=s\n' "$incr_q" "$incr_ref" "$(ratio "$incr_q" "$incr_ref")"
