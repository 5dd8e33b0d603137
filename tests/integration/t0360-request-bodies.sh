#!/bin/bash
# t0360-request-bodies: no request body grows the hub beyond one part, with
# or without a token. 8 parallel 1 GiB chunked uploads (with and without a
# token, to the upload route and to a JSON route) keep the hub under 200 MB
# resident (VmRSS polled while they run, VmHWM after) while /healthz
# answers throughout; each is refused with 413 before any handler runs. A
# Content-Length over the limit is 413 too; a JSON route refuses more than
# hub.max_json_body. A file larger than one part goes through an upload
# session (an RPM of a few MiB of random payload: published with the same
# SHA-256 and installed by dnf; a lookaside file; a build whose SRPM and
# RPM the worker sends as sessions). An incomplete session, a wrong SHA-256,
# another user's session and an expired session store nothing. 401 and 403
# answers are counted in /metrics by route and logged at most 10 a second.
. "$(dirname "$0")/lib.sh"

LIMIT_KB=$((200 * 1024))
# Under ASan freed memory waits in a quarantine (256 MB by default) before
# it is reused, so the resident size measures the quarantine, not the hub:
# a small one keeps the figure about what the hub holds. No effect on the
# release build.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=4"

start_hub
hub_pid=$HUB_PID
q sig create mc --short-name mc --title "Messaging and Communication" --purpose "Chat" >/dev/null
q project create mc/el9 --major 9 --variant 1 --arch x86_64 >/dev/null
q repo create mc/el9/common --arch x86_64 --channel candidate >/dev/null

vm() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$hub_pid/status"; }
metric() { curl -fsS "$QUARRY_HUB/metrics" | awk -v k="$1" '$1 == k { print $2 }'; }

# ---- 8 parallel 1 GiB chunked bodies ----
GEN_PIDS=()
test_cleanup() {
	local p
	for p in "${GEN_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
}
targets=(
	"uploads?filename=big-1-1.el9.mc.noarch.rpm token"
	"uploads?filename=big-1-1.el9.mc.noarch.rpm none"
	"sigs token"
	"sigs none"
	"upload-sessions token"
	"sigs/mc/lookaside?filename=big.tar token"
	"uploads?filename=big-1-1.el9.mc.noarch.rpm none"
	"sigs none"
)
echo "# before: VmRSS $(vm VmRSS) kB, VmHWM $(vm VmHWM) kB"
for i in "${!targets[@]}"; do
	set -- ${targets[$i]}
	auth=()
	[ "$2" = token ] && auth=(-H "Authorization: Bearer $QUARRY_TOKEN")
	(head -c 1G /dev/zero | curl -sS -o "gen$i.body" -w '%{http_code}' -T - -X POST \
		-H 'Transfer-Encoding: chunked' "${auth[@]}" "$QUARRY_HUB/api/v1/$1" >"gen$i.code" 2>"gen$i.err" || true) &
	GEN_PIDS+=($!)
done
max_rss=0 health_fail=0 polls=0 over=0
deadline=$((SECONDS + 300))
while [ "$SECONDS" -lt "$deadline" ]; do
	running=0
	for p in "${GEN_PIDS[@]}"; do kill -0 "$p" 2>/dev/null && running=$((running + 1)); done
	rss=$(vm VmRSS)
	[ "$rss" -gt "$max_rss" ] && max_rss=$rss
	if [ "$rss" -gt "$LIMIT_KB" ]; then
		over=1
		break
	fi
	[ "$(curl -sS -m 5 -o /dev/null -w '%{http_code}' "$QUARRY_HUB/healthz" 2>/dev/null)" = 200 ] ||
		health_fail=$((health_fail + 1))
	polls=$((polls + 1))
	[ "$running" -eq 0 ] && break
	sleep 0.2
done
test_cleanup
for p in "${GEN_PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
hwm=$(vm VmHWM)
echo "# during: $polls polls, VmRSS at most $max_rss kB; after: VmRSS $(vm VmRSS) kB, VmHWM $hwm kB"
[ "$over" = 0 ] && [ "$max_rss" -lt "$LIMIT_KB" ] && ok "VmRSS stayed under 200 MB during 8 parallel 1 GiB bodies ($max_rss kB)" ||
	fail "VmRSS stayed under 200 MB during 8 parallel 1 GiB bodies ($max_rss kB; the bodies were stopped)"
[ "$hwm" -lt "$LIMIT_KB" ] && ok "VmHWM under 200 MB ($hwm kB)" || fail "VmHWM under 200 MB ($hwm kB)"
[ "$polls" -gt 0 ] && [ "$health_fail" = 0 ] && ok "/healthz answered 200 throughout ($polls polls)" ||
	fail "/healthz answered 200 throughout ($health_fail of $polls polls failed)"
[ "$SECONDS" -lt "$deadline" ] && ok "the 8 bodies were refused before the deadline" || fail "the 8 bodies were refused before the deadline"
# The server answers 413 and closes; the client sees the 413, or a reset
# when the close overtakes the answer while it is still sending. Never a
# 401, 400 or 2xx: no handler ran.
for i in "${!targets[@]}"; do
	code=$(cat "gen$i.code" 2>/dev/null || true)
	if [ "$code" = 413 ] || { [[ "$code" =~ ^(000|100)$ ]] && grep -q "reset by peer" "gen$i.err"; }; then
		ok "1 GiB chunked to ${targets[$i]} → 413 or a reset (got $code)"
	else
		fail "1 GiB chunked to ${targets[$i]} → 413 or a reset (got '$code')"
		diag "$(head -c 300 "gen$i.body" 2>/dev/null || true)" "$(cat "gen$i.err" 2>/dev/null || true)"
	fi
done
too_large=$(metric quarry_http_body_too_large_total)
[ "${too_large:-0}" -ge 8 ] && ok "/metrics counts the bodies refused by the server" ||
	fail "/metrics counts the bodies refused by the server (${too_large:-none})"
curl -fsS "$QUARRY_HUB/healthz" >/dev/null && ok "the hub answers after them" || fail "the hub answers after them"

# ---- Content-Length bodies ----
head -c $((3 << 20)) /dev/zero >three-mib
code=$(req POST "$QUARRY_HUB/api/v1/sigs" --data-binary @three-mib)
[ "$code" = 413 ] && ok "3 MiB with a Content-Length, no token → 413" || fail "3 MiB with a Content-Length, no token → 413 (got $code)"
head -c $(((1 << 20) + 1000)) /dev/zero >json-over
expect_status 413 POST sigs --data-binary @json-over -H 'Content-Type: application/json'
grep -q max_json_body "$T/body" || grep -q "limit is 1048576" "$T/body" && ok "  … naming the JSON limit" || { fail "  … naming the JSON limit"; diag "$(cat "$T/body")"; }
code=$(req POST "$QUARRY_HUB/api/v1/sigs" --data-binary @json-over)
[ "$code" = 401 ] && ok "the same without a token → 401" || fail "the same without a token → 401 (got $code)"

# ---- an RPM of a few MiB goes through an upload session ----
top=$T/rpmbuild
mkdir -p "$top/SPECS" "$top/SOURCES"
head -c $((5 << 20)) /dev/urandom >"$top/SOURCES/big.bin"
cat >"$top/SPECS/big.spec" <<'EOF'
Name: big
Version: 1
Release: 1.el9.mc
Summary: A package larger than one upload part
License: MIT
BuildArch: noarch
Source0: big.bin
%global debug_package %{nil}
%define __os_install_post %{nil}
%define _build_id_links none

%description
Random bytes, so that the RPM is a few MiB.

%install
mkdir -p %{buildroot}/usr/share/big
cp %{SOURCE0} %{buildroot}/usr/share/big/big.bin

%files
/usr/share/big
EOF
rpmbuild -bb --quiet --define "_topdir $top" "$top/SPECS/big.spec" >rpmbuild.log 2>&1 || diag "$(cat rpmbuild.log)"
big=$top/RPMS/noarch/big-1-1.el9.mc.noarch.rpm
bigsha=$(sha256sum "$big" | cut -d' ' -f1)
[ "$(stat -c %s "$big")" -gt $((4 << 20)) ] && ok "the RPM is larger than four parts" || fail "the RPM is larger than four parts"
before=$(metric 'quarry_http_requests_total{class="2xx"}')
check "quarry upload of the large RPM" q upload mc/el9/common "$big"
after=$(metric 'quarry_http_requests_total{class="2xx"}')
[ $((after - before)) -ge 10 ] && ok "it went in parts ($((after - before)) requests)" || fail "it went in parts ($((after - before)) requests)"
# (dnf checks the payload.)
q repo show mc/el9/common --json >repo.json
[ "$(jget '[p["nevra"] for p in d["packages"] if p["nevra"].startswith("big-")]' repo.json)" = '["big-1-1.el9.mc.noarch"]' ] &&
	ok "the repo holds it" || { fail "the repo holds it"; diag "$(cat repo.json)"; }
base=$QUARRY_HUB/pub/sig/9/mc/x86_64/common
cat >big.repo <<REPO
[quarry-mc-common]
name=Quarry test mc common
baseurl=$base/
enabled=1
gpgcheck=0
metadata_expire=0
REPO
if dnf_install big.repo big >dnf.log 2>&1; then ok "dnf installs it"; else fail "dnf installs it"; diag "$(tail -n 20 dnf.log)"; fi
cmp -s "${DNF_ROOT:-/nonexistent}/usr/share/big/big.bin" "$top/SOURCES/big.bin" && ok "  … with its payload intact" || fail "  … with its payload intact"
ls "$DATA/staging" | grep -q '^s' && { fail "no session files remain"; diag "$(ls -la "$DATA/staging")"; } || ok "no session files remain"

# A small file still goes in one request.
small=$(make_rpm small 1 1.el9.mc noarch)
before=$(metric 'quarry_http_requests_total{class="2xx"}')
check "quarry upload of a small RPM" q upload mc/el9/common "$small"
after=$(metric 'quarry_http_requests_total{class="2xx"}')
[ $((after - before)) -le 5 ] && ok "a small file is one request ($((after - before)) requests in all)" || fail "a small file is one request ($((after - before)) requests in all)"

# ---- sessions that do not finish store nothing ----
state_before=$(repo_state mc el9 common)
uploads_before=$(ls "$DATA/staging" | grep -c '^u' || true)
mkfile=$T/trunc-1-1.el9.mc.noarch.rpm
cp "$big" "$mkfile"
size=$(stat -c %s "$mkfile")
sha=$(sha256sum "$mkfile" | cut -d' ' -f1)
expect_status 201 POST upload-sessions -H 'Content-Type: application/json' -d "{\"size\":$size,\"sha256\":\"$sha\"}"
sid=$(jget 'd["id"]')
part=$(jget 'd["part_size"]')
[ "$part" = $((1 << 20)) ] && ok "the session names the part size (1 MiB)" || fail "the session names the part size ($part)"
dd if="$mkfile" of=p0 bs=1M count=1 status=none
dd if="$mkfile" of=p1 bs=1M skip=1 count=1 status=none
expect_status 200 PUT "upload-sessions/$sid?offset=0" --data-binary @p0
expect_status 200 PUT "upload-sessions/$sid?offset=0" --data-binary @p0
expect_status 200 PUT "upload-sessions/$sid?offset=$((1 << 20))" --data-binary @p1
expect_status 400 PUT "upload-sessions/$sid?offset=$((size - 10))" --data-binary @p1
expect_status 400 POST "uploads?filename=trunc-1-1.el9.mc.noarch.rpm&session=$sid"
grep -q incomplete "$T/body" && ok "  … the session is incomplete" || { fail "  … the session is incomplete"; diag "$(cat "$T/body")"; }
# Another user may neither add to it nor use it.
bob=$(new_user bob user)
code=$(req PUT "$QUARRY_HUB/api/v1/upload-sessions/$sid?offset=0" -H "Authorization: Bearer $bob" --data-binary @p0)
[ "$code" = 403 ] && ok "another user's part → 403" || fail "another user's part → 403 (got $code)"
code=$(req POST "$QUARRY_HUB/api/v1/uploads?filename=trunc-1-1.el9.mc.noarch.rpm&session=$sid" -H "Authorization: Bearer $bob")
[ "$code" = 403 ] && ok "another user's session → 403" || fail "another user's session → 403 (got $code)"
code=$(req PUT "$QUARRY_HUB/api/v1/upload-sessions/$sid?offset=0" --data-binary @p0)
[ "$code" = 401 ] && ok "a part without a token → 401" || fail "a part without a token → 401 (got $code)"
# The rest of the file, but damaged: the SHA-256 differs, the session is gone.
tr '\000-\377' '\001-\377\000' <"$mkfile" >damaged
for off in $(seq $((2 << 20)) $((1 << 20)) $((size - 1))); do
	dd if=damaged of=pn bs=1M skip=$((off >> 20)) count=1 status=none
	expect_status 200 PUT "upload-sessions/$sid?offset=$off" --data-binary @pn
done
expect_status 400 POST "uploads?filename=trunc-1-1.el9.mc.noarch.rpm&session=$sid"
grep -q damaged "$T/body" && ok "  … the file is damaged (SHA-256)" || { fail "  … the file is damaged (SHA-256)"; diag "$(cat "$T/body")"; }
[ -e "$DATA/staging/$sid.part" ] || [ -e "$DATA/staging/$sid.json" ] && fail "the damaged session's files are removed" || ok "the damaged session's files are removed"
expect_status 404 POST "uploads?filename=trunc-1-1.el9.mc.noarch.rpm&session=$sid"
[ "$(ls "$DATA/staging" | grep -c '^u' || true)" = "$uploads_before" ] && ok "no upload was staged" || fail "no upload was staged"
[ "$(repo_state mc el9 common)" = "$state_before" ] && ok "the repo is unchanged" || fail "the repo is unchanged"
# Too large at once, and no token.
expect_status 413 POST upload-sessions -H 'Content-Type: application/json' -d "{\"size\":$((2 << 30)),\"sha256\":\"$sha\"}"
code=$(req POST "$QUARRY_HUB/api/v1/upload-sessions" -d "{\"size\":100,\"sha256\":\"$sha\"}")
[ "$code" = 401 ] && ok "a session without a token → 401" || fail "a session without a token → 401 (got $code)"
# An expired session is removed when the hub starts.
expect_status 201 POST upload-sessions -H 'Content-Type: application/json' -d "{\"size\":$size,\"sha256\":\"$sha\"}"
old=$(jget 'd["id"]')
expect_status 200 PUT "upload-sessions/$old?offset=0" --data-binary @p0
python3 - "$DATA/staging/$old.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); d["expires"] = 1000
open(sys.argv[1], "w").write(json.dumps(d))
PY
expect_status 404 PUT "upload-sessions/$old?offset=0" --data-binary @p0
grep -q expired "$T/body" && ok "  … it expired" || { fail "  … it expired"; diag "$(cat "$T/body")"; }
[ -e "$DATA/staging/$old.part" ] && fail "an expired session's files are removed" || ok "an expired session's files are removed"

# ---- a lookaside file and a build's artifacts larger than a part ----
head -c $((3 << 20)) /dev/urandom >big-src.bin
if q lookaside upload mc big-src.bin >la.txt 2>la.err; then ok "lookaside upload of 3 MiB"; else fail "lookaside upload of 3 MiB"; diag "$(cat la.txt la.err)"; fi
code=$(req GET "$QUARRY_HUB/lookaside/$(sha256sum big-src.bin | cut -d' ' -f1)")
[ "$code" = 200 ] && cmp -s "$T/body" big-src.bin && ok "  … and it is served intact" || fail "  … and it is served intact (got $code)"
PKG_SOURCE0=big-src.bin PKG_METADATA="$(cat la.txt)
" make_git_pkg "$T/repo" mc-big 1.0 1
if q build mc/el9 "$T/repo#r9-sig-mc-1" --wait >build.txt 2>build.err; then ok "a build with a 3 MiB source completes"; else fail "a build with a 3 MiB source completes"; diag "$(cat build.txt build.err)"; fi
id=$(sed -n 's/^build \([0-9]*\) .*/\1/p' build.txt | head -n 1)
q build show "${id:-1}" --json >b.json || true
n=$(jget 'len([a for a in d.get("artifacts", []) if a["size"] > (1 << 20)])' b.json 2>/dev/null || echo 0)
[ "$n" = 2 ] && ok "the worker sent its SRPM and RPM (over a part each)" || { fail "the worker sent its SRPM and RPM (over a part each)"; diag "$(cat b.json)"; }

# ---- refused requests in /metrics and the log ----
curl -fsS "$QUARRY_HUB/metrics" >metrics.txt
grep -Eq '^quarry_http_refused_total\{route="POST api/v1/sigs",status="401"\} [1-9]' metrics.txt &&
	ok "/metrics: 401s of POST api/v1/sigs" || { fail "/metrics: 401s of POST api/v1/sigs"; diag "$(grep refused metrics.txt)"; }
grep -Eq '^quarry_http_refused_total\{route="PUT api/v1/upload-sessions/\*",status="403"\} 1$' metrics.txt &&
	ok "/metrics: the 403 of PUT api/v1/upload-sessions/*" || { fail "/metrics: the 403 of PUT api/v1/upload-sessions/*"; diag "$(grep refused metrics.txt)"; }
# 40 at once, on one connection (one curl: fast enough to stay within a second or two).
many=()
for _ in $(seq 40); do many+=(-o /dev/null "$QUARRY_HUB/api/v1/publish"); done
curl -s -X POST "${many[@]}"
sleep 1.2
curl -s -o /dev/null -X POST "$QUARRY_HUB/api/v1/publish"
grep -Eq '^quarry_http_refused_total\{route="POST api/v1/publish",status="401"\} 41$' <(curl -fsS "$QUARRY_HUB/metrics") &&
	ok "/metrics counts all 41" || fail "/metrics counts all 41"
logged=$(grep -c 'refused 401: POST api/v1/publish' hub.log || true)
[ "$logged" -ge 10 ] && [ "$logged" -le 31 ] && ok "the log has at most 10 a second of them ($logged)" || fail "the log has at most 10 a second of them ($logged)"
grep -Eq 'warn [0-9]+ more refused requests were not logged' hub.log && ok "  … and says how many it left out" ||
	{ fail "  … and says how many it left out"; diag "$(grep refused hub.log | tail -n 5)"; }

# An expired session is removed when the hub starts (after the metrics:
# they start again from zero).
expect_status 201 POST upload-sessions -H 'Content-Type: application/json' -d "{\"size\":$size,\"sha256\":\"$sha\"}"
old=$(jget 'd["id"]')
python3 - "$DATA/staging/$old.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); d["expires"] = 1000
open(sys.argv[1], "w").write(json.dumps(d))
PY
restart_hub
[ -e "$DATA/staging/$old.part" ] || [ -e "$DATA/staging/$old.json" ] && fail "the hub removes expired sessions when it starts" ||
	ok "the hub removes expired sessions when it starts"

finish
