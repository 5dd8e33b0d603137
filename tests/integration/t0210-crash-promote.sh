#!/bin/bash
# t0210-crash-promote: SIGKILL the hub while it promotes an update, at
# different moments (while the signer signs, around the move's transaction,
# while it publishes), restart it, and check that every build of the update
# is wholly in its old place (testing) or wholly in its new one (release),
# never in both and never in neither, that the update's state says the same,
# and that the published metadata matches once the hub has restarted.
. "$(dirname "$0")/lib.sh"

start_hub "[mirror]
crawl_interval = 0
[geoip]
tor_v4 =
tor_v6 ="
q sig create mc --short-name mc --title "Messaging" --purpose "tests" >/dev/null
q project create mc/el9 --major 9 --variant 1 --arch x86_64 >/dev/null
q repo create mc/el9/common --arch x86_64 --channel release >/dev/null
q policy set mc/el9 --checks "" --auto-testing false >/dev/null

ROUNDS=4
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

delays=(0.03 0.09 0.15 0.22)
for r in $(seq 0 $((ROUNDS - 1))); do
	b1=${builds[$((r * 2))]}
	b2=${builds[$((r * 2 + 1))]}
	u=$(q update create mc/el9 common "$b1" "$b2" --json | jget 'd["id"]' /dev/stdin)
	q promote "$u" --to testing >/dev/null
	# The release: killed after ${delays[r]} s, whatever it is doing then.
	q promote "$u" --to release >/dev/null 2>&1 &
	cli=$!
	sleep "${delays[$r]}"
	kill -9 "$HUB_PID"
	wait "$HUB_PID" 2>/dev/null || true
	wait "$cli" 2>/dev/null || true
	HUB_PID=
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
		ok "round $r (killed after ${delays[$r]}s): update '$state', both builds wholly there"
	else
		fail "round $r (killed after ${delays[$r]}s): builds wholly in one place"
	fi
	# Whatever the kill interrupted, the release can be finished now.
	if [ "$state" = testing ]; then
		check "round $r: the release can be done after the restart" q promote "$u" --to release
		check "round $r: then both builds are in release" test "$(where common "crash$((r * 2 + 1))")$(where common "crash$((r * 2 + 2))")" = yesyes
	fi
done
finish
