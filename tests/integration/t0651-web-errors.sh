#!/bin/bash
# t0651-web-errors: what the pages answer besides a page: an HTML 404 for
# an unknown page or object (with the page headers), the API's JSON 404
# and 401 unchanged under /api, 405 with Allow for a method other than GET
# or HEAD, 400 for a malformed list filter, HEAD without a body, the empty
# states of a fresh hub, and names from the URL escaped in error pages.
. "$(dirname "$0")/lib.sh"

start_hub
WEB=$QUARRY_HUB

# status_is DESC WANT CTYPE METHOD PATH: the answer's status and content type.
status_is() {
	local desc=$1 want=$2 ctype=$3 method=$4 path=$5 code
	code=$(curl -sS -o "$T/page" -D "$T/headers" -w '%{http_code}' -X "$method" "$WEB$path")
	if [ "$code" = "$want" ] && tr -d '\r' <"$T/headers" | grep -qi "^content-type: $ctype"; then
		ok "$desc: $method $path → $want $ctype"
	else
		fail "$desc: $method $path → $want $ctype (got $code)"
		diag "$(cat "$T/headers")" "$(head -c 600 "$T/page")"
	fi
}

status_is "an unknown page" 404 "text/html; charset=utf-8" GET /no/such/page
grep -qi "^content-security-policy: default-src 'none'" "$T/headers" && ok "the 404 page has the CSP" ||
	fail "the 404 page has the CSP"
grep -q 'there is no page at this address' "$T/page" && ok "the 404 page says why" || fail "the 404 page says why"
status_is "the API keeps JSON 404s" 404 "application/json" GET /api/v1/no/such
grep -q '"code":"not_found"' "$T/page" && ok "the API's 404 body is its JSON error" || fail "the API's 404 body is its JSON error"
status_is "an API write without a token" 401 "application/json" POST /api/v1/sigs
status_is "the health check" 200 "text/plain" GET /healthz
for p in /sigs/nosuch /sigs/nosuch/projects/el9 /sigs/nosuch/projects/el9/repos/x /builds/999 \
	/builds/abc /updates/999 /updates/abc /mirrors/nosuch.example.org; do
	status_is "an unknown object" 404 "text/html" GET "$p"
done
code=$(curl -sS -o "$T/page" -w '%{http_code}' "$WEB/sigs/%3Cscript%3Ealert(1)%3C%2Fscript%3E")
{ [ "$code" = 400 ] || [ "$code" = 404 ]; } && ok "a bad SIG name: $code" || fail "a bad SIG name: 400 or 404 (got $code)"
lacks "the bad name is not echoed as markup" "$T/page" '<script'

for m in POST PUT DELETE PATCH; do
	status_is "pages are read-only" 405 "text/html" "$m" /
done
status_is "pages are read-only" 405 "text/html" POST /builds
tr -d '\r' <"$T/headers" | grep -qi '^allow: GET, HEAD' && ok "405 says Allow: GET, HEAD" ||
	{ fail "405 says Allow: GET, HEAD"; diag "$(cat "$T/headers")"; }

for p in "/builds?per_page=0" "/builds?per_page=201" "/builds?before=abc" "/builds?state=%ZZ" \
	"/updates?page=0"; do
	status_is "a malformed filter" 400 "text/html" GET "$p"
done

# On a raw connection: curl -I would not read a body that came anyway.
got=$(python3 - "$PORT" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"HEAD / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
d = b""
while True:
    c = s.recv(65536)
    if not c:
        break
    d += c
head, _, body = d.partition(b"\r\n\r\n")
print(head.split(b" ")[1].decode(), len(body))
PY
)
[ "$got" = "200 0" ] && ok "HEAD /: 200 without a body" ||
	fail "HEAD /: 200 without a body (got $got: status, body bytes)"

# --- the empty states of a fresh hub ---
for pair in "/|No SIG yet." "/builds|No build matches." "/updates|No update matches." \
	"/mirrors|No public mirror yet." "/packages?name=nothing|No repo holds it."; do
	p=${pair%%|*} want=${pair#*|}
	status_is "empty" 200 "text/html" GET "$p"
	grep -qF "$want" "$T/page" && ok "$p says '$want'" || fail "$p says '$want'"
done

finish
