#!/bin/bash
# t0380-pub-dotfiles: the publish tree's bookkeeping (.lock,
# .packages-manifest, .mdcache/) is never served under /pub, however the
# path is spelled; a NUL in a path answers 400, on /pub, the API and the
# standalone mirrorlist service.
. "$(dirname "$0")/lib.sh"

start_hub

q sig create mc --short-name mc --title "Messaging and Communication" --purpose "Chat" >/dev/null
q project create mc/el9 --major 9 --variant 1 --arch x86_64 >/dev/null
q repo create mc/el9/common --arch x86_64 --channel candidate >/dev/null
q upload mc/el9/common "$(make_rpm mc-hello 1.0 1.el9.mc noarch)" >/dev/null

rel=sig/9/mc/x86_64/common
dir=$DATA/pub/$rel
# The files exist on disk: otherwise a 404 would prove nothing.
for f in .lock .packages-manifest .mdcache; do
	[ -e "$dir/$f" ] && ok "$f exists in the published tree" || fail "$f exists in the published tree"
done
mdfile=$(cd "$dir/.mdcache" && ls | head -n 1)
[ -n "$mdfile" ] && ok ".mdcache/ holds a file" || fail ".mdcache/ holds a file"
code=$(curl -sS -o got -w '%{http_code}' "$QUARRY_HUB/pub/$rel/repodata/repomd.xml")
[ "$code" = 200 ] && ok "repomd.xml is served (control)" || fail "repomd.xml is served (control, got $code)"

# pub PATH WANT: GET PATH (as is) answers WANT and no body of a hidden file.
pub() {
	local p=$1 want=$2 code
	code=$(curl -sS --path-as-is -o got -w '%{http_code}' "$QUARRY_HUB$p") || code=000
	if [ "$code" = "$want" ] && ! grep -aq 'quarry-packages-manifest\|mc-hello-1.0' got &&
		! grep -aq "$mdfile" got; then
		ok "GET $p → $code"
	else
		fail "GET $p → $want (got $code)"
		diag "$(head -c 300 got)"
	fi
}
for p in \
	"/pub/$rel/.lock" \
	"/pub/$rel/.packages-manifest" \
	"/pub/$rel/%2epackages-manifest" \
	"/pub/$rel/%2Epackages-manifest" \
	"/pub/$rel/%2e%70ackages-manifest" \
	"/pub/$rel/%2elock" \
	"/pub/$rel/.mdcache" \
	"/pub/$rel/.mdcache/" \
	"/pub/$rel/%2emdcache/" \
	"/pub/$rel/.mdcache/$mdfile" \
	"/pub/$rel//.packages-manifest" \
	"/pub/$rel/./.packages-manifest" \
	"/pub/$rel/%2e/.packages-manifest" \
	"/pub/$rel/repodata/../.packages-manifest" \
	"/pub/$rel/repodata/%2e%2e/.packages-manifest" \
	"/pub/$rel/repodata/..%2f.packages-manifest" \
	"/pub/$rel/.packages-manifest/" \
	"/pub/$rel/.packages-manifest?x=1" \
	"//pub/$rel/.packages-manifest" \
	"/pub//$rel/.lock"; do
	pub "$p" 404
done

# A NUL, encoded, anywhere in a path: 400, no redirect.
for p in "/pub/sig/%00/" "/pub/sig/%00/x" "/pub/$rel/repodata/repomd.xml%00" \
	"/pub/sig/keys/%00" "/api/v1/sigs/%00" "/lookaside/%00/x"; do
	code=$(curl -sS --path-as-is -o got -D hdr -w '%{http_code}' "$QUARRY_HUB$p") || code=000
	[ "$code" = 400 ] && ok "GET $p → 400" || { fail "GET $p → 400 (got $code)"; diag "$(cat hdr)"; }
done

# The standalone mirrorlist service: the same for a NUL.
MLPORT=$(free_port)
q mirrorlist --snapshot "$DATA/mirror-snapshot.json" --listen "127.0.0.1:$MLPORT" >ml.log 2>&1 &
ML_PID=$!
test_cleanup() { [ -n "${ML_PID:-}" ] && kill "$ML_PID" 2>/dev/null; wait "$ML_PID" 2>/dev/null; }
for _ in $(seq 50); do
	curl -s -o /dev/null "http://127.0.0.1:$MLPORT/metrics" && break
	sleep 0.1
done
for p in "/mirrorlist%00" "/pub/$rel/.packages-manifest"; do
	code=$(curl -sS --path-as-is -o got -w '%{http_code}' "http://127.0.0.1:$MLPORT$p") || code=000
	case $p in *%00*) want=400 ;; *) want=404 ;; esac
	[ "$code" = "$want" ] && ok "mirrorlist: GET $p → $want" || { fail "mirrorlist: GET $p → $want (got $code)"; diag "$(head -c 300 got; tail -n 5 ml.log)"; }
done

finish
