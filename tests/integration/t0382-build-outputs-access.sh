#!/bin/bash
# t0382-build-outputs-access: who reads a build's outputs. A complete
# build's artifacts, logs and provenance are public; a failed build's (and
# a building or canceled one's) need a token of a member of its SIG, a
# release engineer or an admin: 401 without a token, 403 for anyone else.
# `quarry build log` sends the token.
. "$(dirname "$0")/lib.sh"

start_hub

q sig create mc --short-name mc --title "Messaging and Communication" --purpose "Chat" >/dev/null
q project create mc/el9 --major 9 --variant 1 --arch x86_64 >/dev/null
ALICE=$(new_user alice user) # member of mc
EVE=$(new_user eve user)     # member of nothing
REL=$(new_user rel releng)
q sig member add mc alice >/dev/null

# A build that fails after its SRPM was made: the SRPM holds a "secret".
PKG_BUILD='echo LOG-OF-A-FAILED-BUILD; exit 1' make_git_pkg "$T/failing" mc-fail 1 1
echo "SIG-PRIVATE-CONTENT" >>"$T/failing/SOURCES/mc-fail-README"
qgit "$T/failing" commit -qam secret
q build mc/el9 "$T/failing#r9-sig-mc-1" --wait >fb.out 2>&1 || true
fbid=$(sed -n 's/^build \([0-9]*\) .*/\1/p' fb.out | head -n 1)
q build show "$fbid" --json >fb.json
[ "$(jget 'd["state"]' fb.json)" = failed ] && ok "build $fbid failed" || { fail "build $fbid failed"; diag "$(cat fb.out)"; }
srpm=$(jget '[a["name"] for a in d["artifacts"] if a["name"].endswith(".src.rpm")][0]' fb.json)
ftask=$(jget '[t["id"] for t in d["tasks"] if t["state"] == "failed"][0]' fb.json)
stask=$(jget '[t["id"] for t in d["tasks"] if t["kind"] == "srpm"][0]' fb.json)
[ -n "$srpm" ] && ok "the failed build has an SRPM ($srpm)" || fail "the failed build has an SRPM"

# as TOKEN PATH: the status of GET PATH with TOKEN ("" for none).
as() {
	local tok=$1 path=$2
	if [ -n "$tok" ]; then
		req GET "$QUARRY_HUB/api/v1/$path" -H "Authorization: Bearer $tok"
	else
		req GET "$QUARRY_HUB/api/v1/$path"
	fi
}
# want WHO TOKEN PATH CODE [BODY_PATTERN]
want() {
	local who=$1 tok=$2 path=$3 code=$4 pat=${5:-} got
	got=$(as "$tok" "$path") || got=000
	if [ "$got" = "$code" ] && { [ -z "$pat" ] || grep -aq -- "$pat" "$T/body"; }; then
		ok "$who: GET $path → $code"
	else
		fail "$who: GET $path → $code${pat:+ /$pat/} (got $got)"
		diag "$(head -c 300 "$T/body")"
	fi
	# A refusal never carries the content.
	if [ "$code" != 200 ] && grep -aq 'SIG-PRIVATE-CONTENT\|LOG-OF-A-FAILED-BUILD' "$T/body"; then
		fail "$who: the refusal of $path leaks the content"
	fi
}

for p in "builds/$fbid/artifacts/$srpm" "builds/$fbid/tasks/$ftask/log" "builds/$fbid/tasks/$stask/log" \
	"builds/$fbid/provenance"; do
	want anonymous "" "$p" 401
	want "eve (no member)" "$EVE" "$p" 403
done
want alice "$ALICE" "builds/$fbid/artifacts/$srpm" 200
rpm2cpio "$T/body" | cpio -i --quiet --to-stdout 'mc-fail-README' 2>/dev/null | grep -q SIG-PRIVATE-CONTENT &&
	ok "  … the SRPM she gets is the build's" || fail "  … the SRPM she gets is the build's"
want alice "$ALICE" "builds/$fbid/tasks/$ftask/log" 200 LOG-OF-A-FAILED-BUILD
want rel "$REL" "builds/$fbid/tasks/$ftask/log" 200 LOG-OF-A-FAILED-BUILD
want admin "$ADMIN_TOKEN" "builds/$fbid/artifacts/$srpm" 200
want alice "$ALICE" "builds/$fbid/provenance" 200 in-toto
# The build itself (state, tasks, artifact names) stays public.
want anonymous "" "builds/$fbid" 200 '"failed"'

# The CLI sends the token; without one it says why.
QUARRY_TOKEN=$ALICE q build log "$fbid" "$ftask" >cli.log 2>&1 && grep -q LOG-OF-A-FAILED-BUILD cli.log &&
	ok "quarry build log with a member's token" || { fail "quarry build log with a member's token"; diag "$(tail -n 5 cli.log)"; }
rc=0
env -u QUARRY_TOKEN "$QUARRY_BIN" build log "$fbid" "$ftask" >cli2.log 2>&1 || rc=$?
[ "$rc" != 0 ] && ! grep -q LOG-OF-A-FAILED-BUILD cli2.log && ok "quarry build log without a token is refused (exit $rc)" ||
	{ fail "quarry build log without a token is refused (exit $rc)"; diag "$(tail -n 5 cli2.log)"; }

# A complete build: public.
PKG_ARCH=noarch make_git_pkg "$T/good" mc-good 1 1
q build mc/el9 "$T/good#r9-sig-mc-1" --wait >gb.out 2>&1 || true
gbid=$(sed -n 's/^build \([0-9]*\) .*/\1/p' gb.out | head -n 1)
q build show "$gbid" --json >gb.json
[ "$(jget 'd["state"]' gb.json)" = complete ] && ok "build $gbid is complete" || { fail "build $gbid is complete"; diag "$(cat gb.out)"; }
grpm=$(jget '[a["name"] for a in d["artifacts"] if a["name"].endswith(".noarch.rpm")][0]' gb.json)
gtask=$(jget 'd["tasks"][-1]["id"]' gb.json)
want anonymous "" "builds/$gbid/artifacts/$grpm" 200
want anonymous "" "builds/$gbid/tasks/$gtask/log" 200 'quarry worker'
want anonymous "" "builds/$gbid/provenance" 200 in-toto

finish
