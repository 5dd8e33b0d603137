#!/bin/bash
# t0070: SIGKILL the hub at many moments while it publishes; after every
# kill the published repo is whole (every file repomd.xml names is there and
# matches, the signature verifies), the restarted hub publishes what was
# committed, and dnf installs from it. Also: uploads that race each other
# (two publishes of one repo at once) never corrupt it.
# The hub's phase markers say what each kill interrupted: first one crash
# at each phase of a publish (the hub kills itself there), then kills at
# moments 0-150 ms into an upload; every phase must have been hit.
. "$(dirname "$0")/lib.sh"

export QUARRY_TEST_PHASE_LOG=$T/phases.log QUARRY_TEST_PHASE_KILL=$T/kill-at
start_hub "[signing]
key_algo = rsa2048"
q sig create crash --short-name crash --title Crash --purpose "crash tests" >/dev/null
q project create crash/el9 --major 9 --variant 1 --arch x86_64 >/dev/null
q repo create crash/el9/main --arch x86_64 --channel candidate >/dev/null
curl -fsS -o key.asc "$QUARRY_HUB/api/v1/sigs/crash/key"
REPO=$DATA/pub/sig/9/crash/x86_64/main

# One rpmbuild makes many packages: a base with N subpackages.
N=${CRASH_PACKAGES:-300}
mkdir -p rpmbuild/SPECS
{
	printf 'Name: bulk\nVersion: 1\nRelease: 1.el9.crash\nSummary: bulk\nLicense: MIT\nBuildArch: noarch\n'
	printf '%%description\nbulk\n%%files\n'
	for i in $(seq "$N"); do
		printf '%%package -n bulk%d\nSummary: bulk %d\n%%description -n bulk%d\nbulk\n' "$i" "$i" "$i"
		printf '%%files -n bulk%d\n/usr/share/bulk/%d\n' "$i" "$i"
	done
	printf '%%install\nmkdir -p %%{buildroot}/usr/share/bulk\n'
	printf 'for i in $(seq %d); do echo $i > %%{buildroot}/usr/share/bulk/$i; done\n' "$N"
} >rpmbuild/SPECS/bulk.spec
rpmbuild -bb --quiet --define "_topdir $T/rpmbuild" rpmbuild/SPECS/bulk.spec >rpmbuild.log 2>&1
ls rpmbuild/RPMS/noarch/bulk[0-9]*.rpm >all.list
check "built $N packages" test "$(wc -l <all.list)" -eq "$N"

# A first large publish, so that later publishes take a measurable time.
split -l 100 all.list part.
first=$(ls part.* | head -1)
# shellcheck disable=SC2046
check "first batch uploaded" q upload crash/el9/main $(cat "$first")
check "first publish is whole" python3 "$QUARRY_SRC/tests/integration/check_repo.py" "$REPO" key.asc

rest=$(cat $(ls part.* | tail -n +2))
set -- $rest
bad=0
kills=0
left_behind=0
declare -A hit=()
# after_kill LABEL MARK: what the kill interrupted; the repo must be whole.
after_kill() {
	local label=$1 phase out
	phase=$(phase_since "$2")
	hit[$phase]=$((${hit[$phase]:-0} + 1))
	kills=$((kills + 1))
	if [ -n "$(find "$REPO" -maxdepth 1 -name '.repodata.new-*')" ]; then
		left_behind=$((left_behind + 1))
	fi
	if ! out=$(python3 "$QUARRY_SRC/tests/integration/check_repo.py" "$REPO" key.asc); then
		bad=$((bad + 1))
		fail "$label (killed at $phase): repo broken after SIGKILL: $out"
	fi
	echo "# $label: killed at $phase"
}

# One crash at each phase of a publish, exactly there.
PHASES="publish-begin publish-before-swap publish-mid-swap publish-after-swap"
for phase in $PHASES; do
	[ $# -gt 0 ] || { fail "a package is left for the crash at $phase (CRASH_PACKAGES is too small)"; break; }
	rpm=$1
	shift
	mark=$(phase_mark)
	arm_crash "$phase"
	q upload crash/el9/main "$rpm" >/dev/null 2>&1 &
	up=$!
	await_hub_crash
	wait "$up" 2>/dev/null || true
	after_kill "crash at $phase" "$mark"
	launch_hub
done

# Kills at a different moment each round: 0 to 30 ms after the publish
# began (a delay from the upload's start mostly killed the hub before its
# publish had begun: the CLI's start and the upload take longer).
in_publish=0
for i in $(seq "${CRASH_ROUNDS:-25}"); do
	[ $# -gt 0 ] || break
	rpm=$1
	shift
	mark=$(phase_mark)
	q upload crash/el9/main "$rpm" >/dev/null 2>&1 &
	up=$!
	for _ in $(seq 3000); do
		[ "$(phase_since "$mark")" = none ] || break
		sleep 0.01
	done
	sleep "0.$(printf '%03d' $(((i * 7) % 31)))"
	kill_hub KILL
	case $(phase_since "$mark") in publish-begin | publish-before-swap | publish-mid-swap | publish-after-swap)
		in_publish=$((in_publish + 1)) ;;
	esac
	wait "$up" 2>/dev/null || true
	after_kill "round $i" "$mark"
	launch_hub
done
[ "$bad" -eq 0 ] && ok "the repo was whole after each of $kills SIGKILLs" || fail "the repo was whole after each of $kills SIGKILLs ($bad broken)"
summary=
for phase in none $PHASES publish-end; do summary+=" $phase=${hit[$phase]:-0}"; done
echo "# kills by phase:$summary"
for phase in $PHASES; do
	check "some kill landed at $phase" test "${hit[$phase]:-0}" -gt 0
done
check "some timed kill landed inside a publish ($in_publish)" test "$in_publish" -gt 0
# The crash between the exchange and the rename leaves the old metadata in
# a .repodata.new-*: the check below has something to remove.
check "some kill left a .repodata.new-* behind ($left_behind of $kills)" test "$left_behind" -gt 0

# After the last restart, what the database holds is what is published.
db_count=$(q repo show crash/el9/main --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["packages"]))')
pub_count=$(python3 "$QUARRY_SRC/tests/integration/check_repo.py" "$REPO" key.asc)
if [ "$db_count" = "$pub_count" ]; then
	ok "after restart the published repo holds all $db_count committed packages"
else
	fail "database has $db_count packages, the published repo $pub_count"
fi
q publish crash/el9/main >/dev/null
check "no half-written repodata is left after a publish" test "$(find "$REPO" -maxdepth 1 -name '.repodata.new-*' | wc -l)" -eq 0

cat >crash.repo <<REPOFILE
[crash]
name=crash
baseurl=$QUARRY_HUB/pub/sig/9/crash/x86_64/main/
gpgcheck=0
repo_gpgcheck=1
gpgkey=file://$T/key.asc
REPOFILE
check "dnf installs from the repo after the crashes" dnf_install crash.repo bulk1

# Concurrent publishes of one repo: pairs of uploads that race.
left=$(tail -n 20 all.list)
last=$(tail -n 1 all.list)
# shellcheck disable=SC2086
set -- $left
while [ $# -ge 2 ]; do
	q upload crash/el9/main "$1" >/dev/null 2>&1 &
	a=$!
	q upload crash/el9/main "$2" >/dev/null 2>&1 &
	b=$!
	wait "$a" || fail "concurrent upload of $(basename "$1") failed"
	wait "$b" || fail "concurrent upload of $(basename "$2") failed"
	shift 2
done
db_count=$(q repo show crash/el9/main --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["packages"]))')
pub_count=$(python3 "$QUARRY_SRC/tests/integration/check_repo.py" "$REPO" key.asc)
if [ "$db_count" = "$pub_count" ]; then
	ok "after 10 pairs of racing publishes the repo is whole with all $db_count packages"
else
	fail "racing publishes: database has $db_count packages, the published repo $pub_count"
fi
check "dnf installs the last racing package" dnf_install crash.repo "$(basename "$last" | sed 's/-1-1.*//')"
finish
