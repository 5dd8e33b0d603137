# glewlwyd.sh: an OpenID Connect provider for the sign-in tests (sourced by
# t066x after lib.sh). glewlwyd (Debian's, in C) runs in the foreground on
# a free port with its own SQLite database, provisioned through its admin
# REST API: a multi-valued "groups" user property, the OIDC plugin (RS256,
# PKCE allowed, claims groups and preferred_username), a confidential
# client with the code grant and the hub's redirect URI, and users.
#
#   glw_start                  start it; sets GLW_URL, GLW_ISSUER
#   glw_client ID SECRET URI   a confidential client
#   glw_user NAME PASSWORD GROUP…   create a user with these groups
#   glw_groups NAME GROUP…     replace a user's groups
#   glw_login JAR URL          follow a sign-in started at URL (the hub's
#                              /auth/oidc) through the provider as the user
#                              of glw_as NAME PASSWORD; prints the final URL
#                              the provider redirects to (the hub's callback)

GLW_PID=
glw_have() { command -v glewlwyd >/dev/null && [ -e /usr/share/doc/glewlwyd/database/init.sqlite3.sql.gz ]; }

# glw_api METHOD PATH [JSON]: the admin API with the admin's cookie.
glw_api() {
	local m=$1 p=$2 body=${3:-}
	if [ -n "$body" ]; then
		curl -sS -o "$T/glw.body" -w '%{http_code}' -b "$T/glw.admin" -c "$T/glw.admin" \
			-X "$m" -H 'Content-Type: application/json' --data-binary "$body" "$GLW_URL/api/$p"
	else
		curl -sS -o "$T/glw.body" -w '%{http_code}' -b "$T/glw.admin" -c "$T/glw.admin" \
			-X "$m" "$GLW_URL/api/$p"
	fi
}

glw_ok() {
	local code
	code=$(glw_api "$@")
	case $code in
	2??) return 0 ;;
	*)
		echo "# glewlwyd $1 $2 → $code: $(head -c 500 "$T/glw.body")"
		return 1
		;;
	esac
}

glw_start() {
	local port mods=/usr/lib/glewlwyd
	port=$(free_port)
	GLW_URL=http://127.0.0.1:$port
	GLW_ISSUER=$GLW_URL/api/oidc
	mkdir -p "$T/glw"
	zcat /usr/share/doc/glewlwyd/database/init.sqlite3.sql.gz | sqlite3 "$T/glw/glewlwyd.db"
	cat >"$T/glw/glewlwyd.conf" <<EOF
port=$port
bind_address="127.0.0.1"
external_url="$GLW_URL"
login_url="login.html"
api_prefix="api"
static_files_path="/usr/share/glewlwyd/webapp/"
allow_origin="*"
log_mode="console"
log_level="${GLW_LOG_LEVEL:-WARNING}"
cookie_domain=""
cookie_secure=0
session_expiration=2419200
session_key="GLEWLWYD2_SESSION_ID"
admin_session_authentication="cookie"
profile_session_authentication="cookie"
allow_multiple_user_per_session=true
login_api_enabled=true
admin_scope="g_admin"
profile_scope="g_profile"
user_module_path="$mods/user"
user_middleware_module_path="$mods/user_middleware"
client_module_path="$mods/client"
user_auth_scheme_module_path="$mods/scheme"
plugin_module_path="$mods/plugin"
hash_algorithm = "SHA512"
database = { type="sqlite3" path="$T/glw/glewlwyd.db" };
EOF
	glewlwyd --config-file="$T/glw/glewlwyd.conf" >"$T/glw/glewlwyd.log" 2>&1 &
	GLW_PID=$!
	at_cleanup glw_stop
	for _ in $(seq 100); do
		case $(curl -s -o /dev/null -w '%{http_code}' "$GLW_URL/api/auth/scheme" 2>/dev/null) in
		[1-5]??) break ;;
		esac
		sleep 0.1
	done
	curl -sS -o /dev/null -c "$T/glw.admin" -H 'Content-Type: application/json' \
		--data '{"username":"admin","password":"password"}' "$GLW_URL/api/auth/" || return 1
	glw_provision
}

glw_stop() {
	if [ -n "$GLW_PID" ]; then
		kill "$GLW_PID" 2>/dev/null || true
		wait "$GLW_PID" 2>/dev/null || true
		GLW_PID=
	fi
}

glw_provision() {
	local params key cert
	# the database user backend with a multi-valued groups property
	glw_ok GET mod/user/database || return 1
	params=$(python3 -c 'import json,sys
m = json.load(open(sys.argv[1]))
m["parameters"]["data-format"]["groups"] = {"multiple": True, "read": True, "write": True, "profile-read": True, "profile-write": False}
m["parameters"]["data-format"]["login"] = {"multiple": False, "read": True, "write": True, "profile-read": True, "profile-write": False}
print(json.dumps(m))' "$T/glw.body")
	glw_ok PUT mod/user/database "$params" || return 1
	glw_ok PUT mod/user/database/reset || return 1
	openssl genrsa -out "$T/glw/key.pem" 2048 2>/dev/null
	openssl req -x509 -new -key "$T/glw/key.pem" -subj /CN=glewlwyd -days 2 -out "$T/glw/cert.pem" 2>/dev/null
	params=$(python3 - "$GLW_ISSUER" "$T/glw/key.pem" "$T/glw/cert.pem" <<'PY'
import json, sys
iss, key, cert = sys.argv[1], open(sys.argv[2]).read(), open(sys.argv[3]).read()
p = {"iss": iss, "jwt-type": "rsa", "jwt-key-size": "256", "key": key, "cert": cert,
     "jwks-show": True, "jwks-uri": "", "jwks-private": "", "jwks-public": "", "default-kid": "",
     "access-token-duration": 3600, "refresh-token-duration": 1209600, "code-duration": 600,
     "refresh-token-rolling": True, "allow-non-oidc": False, "auth-type-code-enabled": True,
     "auth-type-code-revoke-replayed": True,
     "auth-type-token-enabled": True, "auth-type-id-token-enabled": True, "auth-type-none-enabled": True,
     "auth-type-password-enabled": False, "auth-type-client-enabled": True, "auth-type-device-enabled": False,
     "auth-type-refresh-enabled": True, "scope": [], "additional-parameters": [],
     "claims": [{"name": "groups", "user-property": "groups", "type": "string", "boolean-value-true": "",
                 "boolean-value-false": "", "mandatory": True, "on-demand": False, "scope": []},
                {"name": "preferred_username", "user-property": "login", "type": "string", "boolean-value-true": "",
                 "boolean-value-false": "", "mandatory": True, "on-demand": False, "scope": []}],
     "name-claim": "mandatory", "name-claim-scope": [], "email-claim": "no", "email-claim-scope": [],
     "scope-claim": "no", "scope-claim-scope": [], "address-claim": {"type": "no", "mandatory": False},
     "allowed-scope": ["openid"], "pkce-allowed": True, "pkce-method-plain-allowed": False,
     "service-documentation": "", "op-policy-uri": "", "op-tos-uri": "", "jwks-x5c": [],
     "request-parameter-allow": False, "secret-type": "pairwise", "session-management-allowed": False,
     "introspection-revocation-allowed": False, "register-client-allowed": False}
print(json.dumps({"module": "oidc", "name": "oidc", "display_name": "OpenID Connect", "enabled": True,
                  "parameters": p}))
PY
)
	glw_ok POST mod/plugin/ "$params" || return 1
}

# glw_client ID SECRET REDIRECT_URI
glw_client() {
	glw_ok POST client/ "$(printf '{"client_id":"%s","name":"%s","enabled":true,"confidential":true,"password":"%s","client_secret":"%s","redirect_uri":["%s"],"authorization_type":["code","refresh_token"],"token_endpoint_auth_method":["client_secret_basic","client_secret_post"],"scope":["openid"]}' "$1" "$1" "$2" "$2" "$3")"
}

# glw_user NAME PASSWORD GROUP…
glw_user() {
	local name=$1 pw=$2
	shift 2
	glw_ok POST user/ "$(python3 -c 'import json,sys
print(json.dumps({"username": sys.argv[1], "name": sys.argv[1], "enabled": True, "password": sys.argv[2],
                  "scope": ["openid"], "login": sys.argv[1], "groups": sys.argv[3:]}))' "$name" "$pw" "$@")"
}

# glw_groups NAME GROUP…: replace the user's groups
glw_groups() {
	local name=$1
	shift
	glw_ok GET "user/$name" || return 1
	glw_ok PUT "user/$name" "$(python3 -c 'import json,sys
u = json.load(open(sys.argv[1])); u["groups"] = sys.argv[2:]
for k in ("source", "last_login"): u.pop(k, None)
print(json.dumps(u))' "$T/glw.body" "$@")"
}

# glw_signin JAR USER PASSWORD START_URL: a browser's sign-in, without one:
# START_URL (the hub's /auth/oidc) → the provider's authorization endpoint
# → its login (POST /api/auth/) → the grant → back to the hub's callback.
# Prints the callback URL the provider sent the browser to (not followed).
glw_signin() {
	local jar=$1 user=$2 pw=$3 url=$4 loc cb
	loc=$(curl -sS -o /dev/null -b "$jar" -c "$jar" -w '%{redirect_url}' "$url") || return 1
	case $loc in "$GLW_URL"/*) ;; *) echo "# the hub did not send us to the provider: '$loc'" >&2; return 1 ;; esac
	loc=$(curl -sS -o /dev/null -b "$jar" -c "$jar" -w '%{redirect_url}' "$loc") || return 1
	cb=$(python3 -c 'import sys, urllib.parse as u
q = u.parse_qs(u.urlsplit(sys.argv[1]).query); print(q["callback_url"][0])' "$loc") || {
		echo "# no callback_url in '$loc'" >&2
		return 1
	}
	curl -sS -o /dev/null -b "$jar" -c "$jar" -H 'Content-Type: application/json' \
		--data "{\"username\":\"$user\",\"password\":\"$pw\"}" "$GLW_URL/api/auth/" || return 1
	curl -sS -o /dev/null -b "$jar" -c "$jar" -X PUT -H 'Content-Type: application/json' \
		--data '{"scope":"openid"}' "$GLW_URL/api/auth/grant/$GLW_CLIENT" || return 1
	loc=$(curl -sS -o /dev/null -b "$jar" -c "$jar" -w '%{redirect_url}' "$cb&g_continue") || return 1
	echo "$loc"
}
