#!/usr/bin/env bash
# t0661-web-password-signin: the web UI's password sign-in, sessions and
# the CSRF rule, with curl as the browser: a password set by `quarry user
# passwd` signs in (HttpOnly SameSite=Lax cookie, 303 to the page asked for,
# never to another site); a wrong password, a form without its CSRF token
# and a cross-site POST are refused; sign-out needs the session's CSRF
# token and a same-origin request and ends the session; an expired session
# is anonymous; the CLI's bearer tokens keep working.
. "$(dirname "$0")/lib.sh"

start_hub "[build]
embedded_worker = false"
q user create alice --role user >/dev/null
ALICE_TOKEN=$(q token create --user alice --description cli)
check "quarry user passwd reads the password from stdin" \
	bash -c "echo 'correct horse battery' | '$QUARRY_BIN' user passwd alice"
expect_fail 1 "8 to 1000" bash -c "echo short | '$QUARRY_BIN' user passwd alice"
# alice may set her own password, not bob's
q user create bob --role user >/dev/null
refute "a user cannot set another user's password" \
	bash -c "echo 'bob password 1' | QUARRY_TOKEN=$ALICE_TOKEN '$QUARRY_BIN' user passwd bob"
check "… but their own" bash -c "echo 'correct horse battery' | QUARRY_TOKEN=$ALICE_TOKEN '$QUARRY_BIN' user passwd alice"
check "the password is stored as an Argon2id hash" \
	test "$(sqlite3 "$DATA/quarry.db" "select substr(password,1,10) from users where name='alice'")" = '$argon2id$'

O="Origin: $QUARRY_HUB"
form_csrf() { grep -o 'name="csrf" value="[^"]*"' "$1" | head -1 | sed 's/.*value="//; s/"$//'; }
# login JAR USER PASSWORD [CURL_ARGS…]: GET /login then POST the form; prints the status
login() {
	local jar=$1 user=$2 pw=$3 csrf
	shift 3
	curl -sS -o "$T/login.html" -b "$jar" -c "$jar" "$QUARRY_HUB/login?next=/builds%3Fstate%3Dfailed" >/dev/null
	csrf=$(form_csrf "$T/login.html")
	curl -sS -o "$T/body" -D "$T/hdr" -w '%{http_code}' -b "$jar" -c "$jar" \
		--data-urlencode "csrf=$csrf" --data-urlencode "username=$user" \
		--data-urlencode "password=$pw" "$@" "$QUARRY_HUB/login"
}

check "a wrong password is refused (401)" test "$(login jar0 alice 'wrong password' -H "$O")" = 401
check "… with a message" grep -q "Wrong user name or password" "$T/body"
lacks "… and no session cookie" "$T/hdr" '^set-cookie: quarry_session=[^;]'
check "an unknown user is refused the same way" test "$(login jar0 nobody 'correct horse battery' -H "$O")" = 401
check "a cross-site sign-in POST is refused (403)" \
	test "$(login jar0 alice 'correct horse battery' -H 'Origin: http://evil.example')" = 403
check "a sign-in POST without Origin or Sec-Fetch-Site is refused" \
	test "$(login jar0 alice 'correct horse battery')" = 403
code=$(curl -sS -o "$T/body" -w '%{http_code}' -b jar0 -c jar0 -H "$O" --data-urlencode "username=alice" \
	--data-urlencode "password=correct horse battery" "$QUARRY_HUB/login")
check "a sign-in form without its CSRF token is refused" test "$code" -ge 400

check "the right password signs in (303)" test "$(login jar1 alice 'correct horse battery' -H "$O")" = 303
check "… back to the page asked for" grep -qi '^location: /builds?state=failed' "$T/hdr"
check "… with an HttpOnly SameSite=Lax cookie on /, not Secure over http" \
	grep -qiE '^set-cookie: quarry_session=[A-Za-z0-9_-]{43}; Path=/; HttpOnly; SameSite=Lax; Max-Age=604800$' <(tr -d '\r' <"$T/hdr")
check "pages carry a CSP without inline script" grep -qi "^content-security-policy: default-src 'none'; style-src 'self'" "$T/hdr"
curl -sS -o page.html -b jar1 "$QUARRY_HUB/login"
check "the hub knows alice is signed in" grep -q "Signed in as <strong>alice</strong>" page.html
CSRF=$(form_csrf page.html)
check "the session's CSRF token is in its forms" test ${#CSRF} -eq 43
check "the database keeps only the cookie's hash" \
	test "$(sqlite3 "$DATA/quarry.db" "select count(*) from web_sessions where hash = '$(grep quarry_session jar1 | awk '{print $7}')'")" = 0

# no open redirect: next= of another site is ignored
curl -sS -o /dev/null -b jar2 -c jar2 "$QUARRY_HUB/login?next=//evil.example/x" 
csrf=$(curl -sS -b jar2 -c jar2 "$QUARRY_HUB/login?next=//evil.example/x" | grep -o 'name="csrf" value="[^"]*"' | sed 's/.*value="//; s/"$//')
curl -sS -o /dev/null -D hdr2 -b jar2 -c jar2 -H "$O" --data-urlencode "csrf=$csrf" \
	--data-urlencode username=alice --data-urlencode "password=correct horse battery" "$QUARRY_HUB/login"
check "a next= of another site sends the browser to / instead" grep -qi '^location: /\s*$' hdr2

code=$(curl -sS -o "$T/body" -w '%{http_code}' -b jar1 -c jar1 -H "$O" --data "csrf=" "$QUARRY_HUB/logout")
check "sign-out without the CSRF token is refused (403)" test "$code" = 403
code=$(curl -sS -o "$T/body" -w '%{http_code}' -b jar1 -c jar1 -H "Origin: http://evil.example" \
	--data-urlencode "csrf=$CSRF" "$QUARRY_HUB/logout")
check "a cross-site sign-out POST with the right token is refused (403)" test "$code" = 403
curl -sS -o page.html -b jar1 "$QUARRY_HUB/login"
check "… and alice is still signed in" grep -q "Signed in as" page.html
code=$(curl -sS -o "$T/body" -w '%{http_code}' -b jar1 -c jar1 -H "Sec-Fetch-Site: same-origin" \
	--data-urlencode "csrf=$CSRF" "$QUARRY_HUB/logout")
check "sign-out with the token, same-origin, works (303)" test "$code" = 303
check "… and deletes the session's row" test "$(sqlite3 "$DATA/quarry.db" "select count(*) from web_sessions s join users u on u.id = s.user_id where u.name='alice'")" = 1
curl -sS -o page.html -b jar1 "$QUARRY_HUB/login"
refute "… so the page no longer knows alice" grep -q "Signed in as" page.html

# an expired session is anonymous
sqlite3 "$DATA/quarry.db" "update web_sessions set expires = 1"
curl -sS -o page.html -b jar2 "$QUARRY_HUB/login"
refute "an expired session is not signed in" grep -q "Signed in as" page.html

check "the CLI's bearer token still works" bash -c "QUARRY_TOKEN=$ALICE_TOKEN '$QUARRY_BIN' whoami | grep -q alice"
check "the sign-ins are audited" bash -c "'$QUARRY_BIN' audit --json | grep -q web.login"
finish
