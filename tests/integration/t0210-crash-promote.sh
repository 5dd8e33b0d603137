#!/bin/bash
# t0210-crash-promote: SIGKILL the hub while it promotes an update, at
# different moments (while the signer signs, around the move's transaction,
# while it publishes), restart it, and check that every build of the update
# is wholly in its old place (testing) or wholly in its new one (release),
# never in both and never in neither, that the update's state says the same,
# and that the published metadata matches once the hub has restarted.
# The hub's phase markers make each kill land where it is meant to: one
# round per phase (the hub kills itself there: before signing, after
# signing before the commit, after the commit, in the middle of the
# publish that follows), and two rounds killed a moment after the promotion began, whose
# phase is recorded. The update's state must follow the commit: testing when the
# kill came before it, release after.
. "$(dirname "$0")/lib.sh"

export QUARRY_TEST_PHASE_LOG=$T/phases.log QUARRY_TEST_PHASE_KILL=$T/kill-at
start_hub "[mirror]
crawl_interval = 0
[geoip]
tor_v4 =
tor_v6 ="
q sig create mc --short-name mc --title "Messaging" --purpose "tests" >/dev/null
q project create mc/el9 --major 9 --variant 1 --arch x86_64 >/dev/null
q repo create mc/el9/common --arch x86_64 --channel release >/dev/null
q policy set mc/el9 --checks "" --auto-testing false >/dev/null

# One round per crash point, then rounds killed after a delay.
CRASH_AT=(promote-begin promote-before-commit promote-after-commit publish-mid-swap)
DELAYS=(0.01 0.1)
ROUNDS=$((${#CRASH_AT[@]} + ${#DELAYS[@]}))
builds=()
for i in $(seq $((ROUNDS * 2))); do
	PKG_ARCH=noarch make_git_pkg "$T/g$i" "crash$i" 1.0 1
	builds+=("$(q build mc/el9 "$T/g$i#r9-sig-mc-1" --json | jget 'd["id"]' /dev/stdin)")
done
for b in "${builds[@]}"; do
	[ "$(wait_build "$b")" = complete ] || { fail "build $b completes"; finish; }
done
ok "$((ROUNDS * 2)) builds complete"

# names NAMES... in the repo's package list (from the database, through the API)
where() { # where REPO NAME: "yes" when the repo holds NAME
	q repo show "mc/el9/$1" --json | python3 -c 'import json, sys
names = {p["nevra"].rsplit("-", 2)[0] for p in json.load(sys.stdin).get("packages", [])}
print("yes" if sys.argv[1] in names else "no")' "$2"
}
listed() { # listed REPO NAME: "yes" when the published metadata lists NAME
	if in_repodata "$DATA/pub/sig/9/mc/x86_64/$1" "$2"; then echo yes; else echo no; fi
}

declare -A hit=()
for r in $(seq 0 $((ROUNDS - 1))); do
	b1=${builds[$((r * 2))]}
	b2=${builds[$((r * 2 + 1))]}
	u=$(q update create mc/el9 common "$b1" "$b2" --json | jget 'd["id"]' /dev/stdin)
	q promote "$u" --to testing >/dev/null
	mark=$(phase_mark)
	if [ "$r" -lt "${#CRASH_AT[@]}" ]; then
		how="at ${CRASH_AT[$r]}"
		arm_crash "${CRASH_AT[$r]}"
		q promote "$u" --to release >/dev/null 2>&1 &
		cli=$!
		await_hub_crash
	else
		how="${DELAYS[$((r - ${#CRASH_AT[@]}))]}s into the promotion"
		q promote "$u" --to release >/dev/null 2>&1 &
		cli=$!
		# From the moment the promotion began (timed from the CLI's start,
		# the kill came before it, every time).
		for _ in $(seq 3000); do
			[ "$(phase_since "$mark")" = none ] || break
			sleep 0.01
		done
		sleep "${DELAYS[$((r - ${#CRASH_AT[@]}))]}"
		kill_hub KILL
	fi
	wait "$cli" 2>/dev/null || true
	phase=$(phase_since "$mark")
	hit[$phase]=$((${hit[$phase]:-0} + 1))
	# Did the move commit before the kill? The markers say.
	committed=no
	if tail -n +$((mark + 1)) "$QUARRY_TEST_PHASE_LOG" | grep "^promote-after-commit release" >/dev/null; then
		committed=yes
	fi
	echo "# round $r (killed $how): last phase $phase, committed: $committed"
	if [ "$r" -lt "${#CRASH_AT[@]}" ]; then
		check "round $r: the kill landed at ${CRASH_AT[$r]}" test "$phase" = "${CRASH_AT[$r]}"
		case ${CRASH_AT[$r]} in publish-*)
			check "  … in the publish of the committed move" test "$committed" = yes ;;
		esac
	fi
	launch_hub
	state=$(q update show "$u" --json | jget 'd["state"]' /dev/stdin)
	consistent=1
	for i in $((r * 2 + 1)) $((r * 2 + 2)); do
		t=$(where common-testing "crash$i")
		rl=$(where common "crash$i")
		want_t=yes want_r=no
		[ "$state" = release ] && want_t=no want_r=yes
		if [ "$t/$rl" != "$want_t/$want_r" ]; then
			consistent=0
			diag "round $r: update $u is '$state' but crash$i: testing=$t release=$rl"
		fi
		# After the restart the dirty repos are republished: the metadata agrees.
		if [ "$(listed common-testing "crash$i")/$(listed common "crash$i")" != "$t/$rl" ]; then
			consistent=0
			diag "round $r: crash$i: metadata testing=$(listed common-testing "crash$i") release=$(listed common "crash$i"), database $t/$rl"
		fi
	done
	if [ "$consistent" = 1 ]; then
		ok "round $r (killed $how): update '$state', both builds wholly there"
	else
		fail "round $r (killed $how): builds wholly in one place"
	fi
	# The commit's marker follows the commit: a timed kill between the two
	# may leave release without it; a crash point never does.
	if [ "$committed" = yes ]; then
		check "round $r: the update is in release (the move had committed)" test "$state" = release
	elif [ "$r" -lt "${#CRASH_AT[@]}" ]; then
		check "round $r: the update is in testing (the move had not committed)" test "$state" = testing
	fi
	# Whatever the kill interrupted, the release can be finished now.
	if [ "$state" = testing ]; then
		check "round $r: the release can be done after the restart" q promote "$u" --to release
		check "round $r: then both builds are in release" test "$(where common "crash$((r * 2 + 1))")$(where common "crash$((r * 2 + 2))")" = yesyes
	fi
done
summary=
for phase in none promote-begin promote-before-commit promote-after-commit publish-begin publish-before-swap publish-mid-swap publish-after-swap publish-end promote-end; do
	summary+=" $phase=${hit[$phase]:-0}"
done
echo "# kills by phase:$summary"
finish
