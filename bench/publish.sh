#!/bin/bash
# bench/publish.sh: Quarry's publishing against createrepo_c, in one run, on
# the same generated packages (not a test; prints figures). All figures are
# wall-clock times of what a user runs, taken with the same clock.
#
#  publish_import: from N RPM files to a published repo. quarry: `quarry
#      upload` of all N files into an empty candidate repo of a fresh hub
#      (CLI start, staging over HTTP, inspection of every file with librpm
#      and its XML chunks, storage with one syncfs, one transaction, the
#      publish with the signed repomd.xml); reference: `createrepo_c
#      --no-database` over the same N files in a directory (reads and
#      checksums every RPM, writes primary, filelists, other, repomd.xml;
#      the files are already in place, while quarry copies them into its
#      store). Median of IMPORT_RUNS (default 3) runs, each on a new hub.
#      Target 2.0.
#  publish_full: a complete rewrite of the metadata of the N-package repo
#      (quarry: `POST …/publish?force=1`, with the repo's block cache
#      .mdcache emptied before each run, so every gzip block is compressed
#      again; what it still reuses are the per-package XML chunks made at
#      upload and the Packages/ links: reading the RPMs is in
#      publish_import; reference: `createrepo_c --no-database` over the
#      same N files from scratch, the same outputs: primary, filelists,
#      other, repomd.xml, plus our repomd.xml.asc). Target 1.0.
#  publish_incremental: one more package reaches the published repo, RUNS
#      times (quarry: `quarry upload` of the file, which inspects it, stores
#      it and publishes; reference: copy the file in and run `createrepo_c
#      --update --no-database`). Target 0.5.
# Each figure is the median of RUNS runs (default 5) unless said. Packages:
# N (default 2000) noarch subpackages of one spec, each with a few files and
# deps. PKGS_CACHE=DIR keeps the generated packages there between runs.
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
. "$SRC/bench/lib/common.sh"
Q=${QUARRY_BIN:-$SRC/build/quarry}
N=${N:-2000}
RUNS=${RUNS:-5}
IMPORT_RUNS=${IMPORT_RUNS:-3}
W=$(mktemp -d /tmp/quarry-bench-publish.XXXXXX)
HUB_PID=
stop_hub() {
	if [ -n "$HUB_PID" ]; then
		kill "$HUB_PID" 2>/dev/null || true
		wait "$HUB_PID" 2>/dev/null || true
		HUB_PID=
	fi
	gpgconf --homedir "$W/data/keys" --kill all 2>/dev/null || true
}
cleanup() {
	stop_hub
	rm -rf "$W"
}
trap cleanup EXIT
cd "$W"
# The client must not pick up the user's own configuration.
unset QUARRY_HUB QUARRY_TOKEN QUARRY_CLIENT_CONFIG
export HOME=$W/home
mkdir -p "$HOME"

[ -x "$Q" ] || { echo "build quarry first (cmake --build build)"; exit 1; }
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

gen_key="n$N-r$RUNS"
if [ -n "${PKGS_CACHE:-}" ] && [ -f "$PKGS_CACHE/$gen_key.done" ]; then
	echo "== reusing $N packages (+$RUNS) from $PKGS_CACHE"
	mkdir -p pkgs extra
	cp "$PKGS_CACHE/$gen_key/pkgs/"*.rpm pkgs/
	cp "$PKGS_CACHE/$gen_key/extra/"*.rpm extra/
else
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
	rpmbuild -bb --quiet --define "_topdir $W/rpmbuild" rpmbuild/SPECS/gen.spec >rpmbuild.log 2>&1 ||
		{ tail rpmbuild.log; exit 1; }
	mkdir -p pkgs extra
	for i in $(seq "$((N + 1))" "$((N + RUNS))"); do
		mv "$W/rpmbuild/RPMS/noarch/gen$i-1.0-1.el9.bench.noarch.rpm" extra/
	done
	find rpmbuild/RPMS/noarch -name 'gen[0-9]*.rpm' -exec mv {} pkgs/ \;
	rm -rf rpmbuild
	if [ -n "${PKGS_CACHE:-}" ]; then
		mkdir -p "$PKGS_CACHE/$gen_key"
		cp -r pkgs extra "$PKGS_CACHE/$gen_key/"
		touch "$PKGS_CACHE/$gen_key.done"
	fi
fi
[ "$(ls pkgs | wc -l)" -eq "$N" ] || { echo "bench: $(ls pkgs | wc -l) packages, expected $N"; exit 1; }
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

# start_hub: a fresh hub in $W/data with one SIG, project and empty repo of a
# candidate channel:
# uploads go straight in; a release repo also signs every RPM on its way in,
# which createrepo_c does not do. The repodata is signed either way.
start_hub() {
	stop_hub
	# Kept until the end: deleting thousands of files just before the next
	# run slows its file creations (ext4 without a journal skips recently
	# freed inodes), which is the benchmark's doing, not the hub's.
	[ -d "$W/data" ] && mv "$W/data" "$(mktemp -d "$W/old-data.XXXXXX")/"
	PORT=$(free_port)
	cat >hub.ini <<INI
[hub]
listen = 127.0.0.1:$PORT
data_dir = $W/data
public_url = http://127.0.0.1:$PORT
[signing]
key_algo = rsa2048
[build]
embedded_worker = false
[log]
level = warn
INI
	export QUARRY_HUB=http://127.0.0.1:$PORT
	QUARRY_TOKEN=$("$Q" init -c hub.ini 2>init.log) || { cat init.log; exit 1; }
	export QUARRY_TOKEN
	"$Q" hub -c hub.ini >hub.log 2>&1 &
	HUB_PID=$!
	wait_http "$QUARRY_HUB/healthz" "$HUB_PID" || { tail hub.log; exit 1; }
	"$Q" sig create bench --short-name bench --title Bench --purpose benchmark >/dev/null
	"$Q" project create bench/el9 --major 9 --variant 1 --arch x86_64 >/dev/null
	"$Q" repo create bench/el9/main --arch x86_64 --channel candidate >/dev/null
}
REPO_REL=pub/sig/9/bench/x86_64/main
check_count() {
	local count
	count=$(python3 "$SRC/tests/integration/check_repo.py" "$W/data/$REPO_REL")
	[ "$count" -eq "$1" ] || { echo "bench: quarry's repo has $count packages, expected $1"; exit 1; }
}

echo "== quarry: $N files to a published repo, $IMPORT_RUNS times, each on a new hub"
: >import.txt
for _ in $(seq "$IMPORT_RUNS"); do
	start_hub
	t0=$(now)
	"$Q" upload bench/el9/main pkgs/*.rpm >upload.out 2>&1 || { tail upload.out; exit 1; }
	t1=$(now)
	check_count "$N"
	echo "$t1 - $t0" | bc -l >>import.txt
	echo "   $(tail -1 import.txt) s"
done
import_q=$(median <import.txt)

echo "== quarry: full and incremental publishes on the last hub"
publish() {
	curl -fsS -o /dev/null -X POST -H "Authorization: Bearer $QUARRY_TOKEN" \
		"$QUARRY_HUB/api/v1/sigs/bench/projects/el9/repos/main/publish?force=1"
}
full_q=$(for _ in $(seq "$RUNS"); do
	rm -rf "${W:?}/data/$REPO_REL/.mdcache"
	t0=$(now); publish; t1=$(now)
	echo "$t1 - $t0" | bc -l
done | median)
# The same publish with the block cache of the previous one (information:
# what the old publish_full figure measured).
publish
warm_q=$(for _ in $(seq "$RUNS"); do
	t0=$(now); publish; t1=$(now)
	echo "$t1 - $t0" | bc -l
done | median)
incr_q=$(for x in extra/*.rpm; do
	t0=$(now); "$Q" upload bench/el9/main "$x" >/dev/null 2>&1; t1=$(now)
	echo "$t1 - $t0" | bc -l
done | median)
check_count "$((N + RUNS))"

printf '\n%-52s %10s %10s\n' "figure (seconds, median of $RUNS unless said)" quarry createrepo_c
printf '%-52s %10.3f %10.3f\n' "$N RPM files to a published repo (of $IMPORT_RUNS)" "$import_q" "$full_ref"
printf '%-52s %10.3f %10.3f\n' "full publish of $N packages, block cache emptied" "$full_q" "$full_ref"
printf '%-52s %10.3f %10.3f\n' "incremental: one more package" "$incr_q" "$incr_ref"
printf '%-52s %10.3f %10s\n' "(info) full publish, block cache kept" "$warm_q" "-"
printf '%-52s %10s %10.3f\n' "(info) createrepo_c with sqlite databases" "-" "$default_ref"
echo "(import: quarry = CLI, staging over HTTP, inspection, storage, publish; createrepo_c reads the files in place)"
echo "(full: quarry reuses the XML chunks made at upload; it reads no RPM. incremental: the CLI uploading"
echo " over HTTP, inspection, storage and publish, against cp + createrepo_c --update)"
echo "(taken on $(nproc) cores; quarry and createrepo_c each use several threads)"
echo
printf 'bench: publish_import_%d quarry=%.3f reference=%.3f ratio=%s target=2.0 unit=s\n' "$N" "$import_q" "$full_ref" "$(ratio "$import_q" "$full_ref")"
printf 'bench: publish_full_%d quarry=%.3f reference=%.3f ratio=%s target=1.0 unit=s\n' "$N" "$full_q" "$full_ref" "$(ratio "$full_q" "$full_ref")"
printf 'bench: publish_incremental quarry=%.3f reference=%.3f ratio=%s target=0.5 unit=s\n' "$incr_q" "$incr_ref" "$(ratio "$incr_q" "$incr_ref")"
