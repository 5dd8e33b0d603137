#!/bin/bash
# t0050-pub-static: the /pub tree as a static file server (content types,
# HEAD, If-Modified-Since → 304, Range → 206, no escape from /pub), and the
# operational endpoints /healthz and /metrics.
. "$(dirname "$0")/lib.sh"

start_hub

q sig create mc --short-name mc --title "Messaging and Communication" --purpose "Chat" >/dev/null
q project create mc/el9 --major 9 --variant 1 --arch x86_64 >/dev/null
q repo create mc/el9/common --arch x86_64 --channel candidate >/dev/null
q upload mc/el9/common "$(make_rpm mc-hello 1.0 1.el9.mc noarch)" >/dev/null

base=$QUARRY_HUB/pub/sig/9/mc/x86_64/common
dir=$DATA/pub/sig/9/mc/x86_64/common
rpmfile=$(cd "$dir" && find Packages -name 'mc-hello-1.0-1.el9.mc.noarch.rpm' | head -n 1)
primary=$(grep -o 'href="repodata/[^"]*primary.xml.gz"' "$dir/repodata/repomd.xml" | head -n 1 | sed 's/^href="//; s/"$//')
[ -n "$rpmfile" ] && ok "the package is published" || fail "the package is published"
[ -n "$primary" ] && ok "repomd.xml names primary.xml.gz" || fail "repomd.xml names primary.xml.gz"

# ctype PATH REGEX: GET is 200 with the body of DATA/pub's file and a matching Content-Type.
ctype() {
	local path=$1 want=$2 code ct
	code=$(curl -sS -o got -D hdr -w '%{http_code}' "$base/$path")
	ct=$(grep -i '^content-type:' hdr | tr -d '\r' | cut -d' ' -f2-)
	if [ "$code" = 200 ] && cmp -s got "$dir/$path" && grep -Eiq "$want" <<<"$ct"; then
		ok "GET $path → 200, $ct"
	else
		fail "GET $path → 200 /$want/ (got $code, '$ct')"
	fi
}
ctype "$rpmfile" '^application/(x-rpm|x-redhat-package-manager|octet-stream)'
ctype repodata/repomd.xml '^(text|application)/xml'
ctype "$primary" '^application/(x-)?gzip'
ctype repodata/repomd.xml.asc '^(application/pgp-signature|text/plain)'
code=$(curl -sS -o got -D hdr -w '%{http_code}' "$QUARRY_HUB/pub/sig/keys/RPM-GPG-KEY-quarry-mc")
ct=$(grep -i '^content-type:' hdr | tr -d '\r' | cut -d' ' -f2-)
[ "$code" = 200 ] && grep -Eiq '^(application/pgp-keys|text/plain)' <<<"$ct" && ok "key → 200, $ct" || fail "key → 200 pgp-keys (got $code, '$ct')"

# HEAD: headers only, with the length.
size=$(stat -c %s "$dir/$rpmfile")
curl -sS -I "$base/$rpmfile" >head.txt
grep -q '^HTTP/[0-9.]* 200' head.txt && ok "HEAD → 200" || { fail "HEAD → 200"; diag "$(cat head.txt)"; }
grep -iq "^content-length: $size"$'\r'"\?$" head.txt && ok "HEAD Content-Length $size" || { fail "HEAD Content-Length $size"; diag "$(cat head.txt)"; }
grep -iq '^last-modified:' head.txt && ok "HEAD has Last-Modified" || fail "HEAD has Last-Modified"
n=$(curl -sS -I -o /dev/null -w '%{size_download}' "$base/$rpmfile")
[ "$n" = 0 ] && ok "HEAD has no body" || fail "HEAD has no body ($n bytes)"

# If-Modified-Since: 304 when not newer, 200 when older.
lm=$(grep -i '^last-modified:' head.txt | cut -d' ' -f2- | tr -d '\r')
rm -f got
code=$(curl -sS -o got -w '%{http_code}' -H "If-Modified-Since: $lm" "$base/$rpmfile")
[ "$code" = 304 ] && ok "If-Modified-Since: Last-Modified → 304" || fail "If-Modified-Since → 304 (got $code)"
[ ! -s got ] && ok "304 has no body" || fail "304 has no body"
code=$(curl -sS -o got -w '%{http_code}' -H "If-Modified-Since: Thu, 01 Jan 1998 00:00:00 GMT" "$base/$rpmfile")
[ "$code" = 200 ] && ok "If-Modified-Since: 1998 → 200" || fail "If-Modified-Since: 1998 → 200 (got $code)"
code=$(curl -sS -o got -w '%{http_code}' -H "If-Modified-Since: $lm" "$base/repodata/repomd.xml")
[ "$code" = 200 ] || [ "$code" = 304 ] && ok "If-Modified-Since on repomd.xml → $code" || fail "If-Modified-Since on repomd.xml (got $code)"

# Range: 206 with the asked bytes.
code=$(curl -sS -o got -D hdr -w '%{http_code}' -H "Range: bytes=0-9" "$base/$rpmfile")
[ "$code" = 206 ] && ok "Range: bytes=0-9 → 206" || fail "Range: bytes=0-9 → 206 (got $code)"
cmp -s got <(head -c 10 "$dir/$rpmfile") && ok "  … the first 10 bytes" || fail "  … the first 10 bytes"
grep -iq "^content-range: bytes 0-9/$size" hdr && ok "  … Content-Range bytes 0-9/$size" || { fail "  … Content-Range"; diag "$(cat hdr)"; }
code=$(curl -sS -o got -w '%{http_code}' -H "Range: bytes=$((size - 5))-" "$base/$rpmfile")
[ "$code" = 206 ] && cmp -s got <(tail -c 5 "$dir/$rpmfile") && ok "Range: last 5 bytes → 206" || fail "Range: last 5 bytes → 206 (got $code)"
code=$(curl -sS -o got -w '%{http_code}' -H "Range: bytes=$((size + 10))-$((size + 20))" "$base/$rpmfile")
[ "$code" = 416 ] && ok "Range past the end → 416" || fail "Range past the end → 416 (got $code)"

# Missing files and escapes.
code=$(curl -sS -o got -w '%{http_code}' "$base/repodata/nosuch.xml")
[ "$code" = 404 ] && ok "missing file → 404" || fail "missing file → 404 (got $code)"
for p in '/pub/../quarry.db' '/pub/%2e%2e/quarry.db' '/pub/sig/../../quarry.db' '/pub/..%2fquarry.db' \
	'/pub/%2e%2e%2f%2e%2e%2fhub.ini' '/pub/sig/keys/../../../keys/pubring.kbx'; do
	code=$(curl -sS --path-as-is -o got -w '%{http_code}' "$QUARRY_HUB$p")
	if [ "$code" != 200 ] && ! grep -aq "SQLite format" got; then ok "GET $p → $code"; else fail "GET $p must not be served (got $code)"; fi
done
if curl -sS "$QUARRY_HUB/pub/sig/9/mc/x86_64/common/" 2>/dev/null | grep -aq "SQLite format"; then fail "directory URL leaks"; else ok "directory URL does not leak"; fi

# /healthz and /metrics.
code=$(curl -sS -o got -w '%{http_code}' "$QUARRY_HUB/healthz")
[ "$code" = 200 ] && grep -q '^ok' got && ok "/healthz → 200 ok" || fail "/healthz → 200 ok (got $code, '$(head -c 100 got)')"
code=$(curl -sS -o metrics.txt -D hdr -w '%{http_code}' "$QUARRY_HUB/metrics")
[ "$code" = 200 ] && ok "/metrics → 200" || fail "/metrics → 200 (got $code)"
grep -iq '^content-type: text/plain' hdr && ok "/metrics is text/plain" || fail "/metrics is text/plain"
grep -q '^# TYPE [a-zA-Z_:][a-zA-Z0-9_:]* \(counter\|gauge\|histogram\|summary\|untyped\)' metrics.txt &&
	ok "/metrics has # TYPE lines" || { fail "/metrics has # TYPE lines"; diag "$(head -n 10 metrics.txt)"; }
grep -q '^# HELP ' metrics.txt && ok "/metrics has # HELP lines" || fail "/metrics has # HELP lines"
if grep -v '^#' metrics.txt | grep -v '^$' | grep -qvE '^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[^}]*\})? [-+0-9.eEInfNa]+( [0-9]+)?$'; then
	fail "every /metrics sample line is valid"
	diag "$(grep -v '^#' metrics.txt | grep -vE '^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[^}]*\})? [-+0-9.eEInfNa]+( [0-9]+)?$' | head -n 5)"
else
	ok "every /metrics sample line is valid"
fi

finish
