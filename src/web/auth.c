/*
 * auth.c: browser sessions, the CSRF rule, the sign-in page with its
 * password form, and sign-out. OpenID Connect is in oidc.c.
 *
 * A sign-in in progress is a web_logins row found through the cookie
 * quarry_login (random, 10 minutes, used once): the password form's CSRF
 * token (a login form cannot use a session's) and, for OpenID Connect, the
 * state, nonce and PKCE verifier. The page to go back to is stored there
 * too, from GET /login?next=PATH (a path on this site only), so no
 * request parameter can send a browser elsewhere after signing in.
 */
#include "core/common.h"
#include "core/error.h"
#include "core/hash.h"
#include "core/log.h"
#include "http/http.h"
#include "hub/hub.h"
#include "web/auth.h"
#include "web/auth_internal.h"
#include "web/authutil.h"
#include "web/html.h"

#include <argon2.h>
#include <ctype.h>

#define FORM_MAX 8192

static void add_header(struct q_request *r, const h2o_token_t *t, const char *v)
{
	h2o_add_header(&r->req->pool, &r->req->res.headers, t, NULL,
		       h2o_strdup(&r->req->pool, v, SIZE_MAX).base, strlen(v));
}

void q_web_auth_cookie(struct q_request *r, const char *name, const char *value, int64_t max_age)
{
	char *c = g_strdup_printf(
	    "%s=%s; Path=/; HttpOnly; SameSite=Lax; Max-Age=%" PRId64 "%s", name, value, max_age,
	    !strncmp(r->hub->cfg.public_url, "https://", 8) ? "; Secure" : "");

	add_header(r, H2O_TOKEN_SET_COOKIE, c);
	g_free(c);
}

static void send_status(struct q_request *r, int status, const char *ctype, const char *body,
			size_t len)
{
	h2o_req_t *req = r->req;

	req->res.status = status;
	req->res.reason = status == 200   ? "OK"
			  : status == 302 ? "Found"
			  : status == 303 ? "See Other"
					  : "Error";
	add_header(r, H2O_TOKEN_CONTENT_TYPE, ctype);
	add_header(r, H2O_TOKEN_CACHE_CONTROL, "no-store");
	h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("content-security-policy"),
			      0, NULL, H2O_STRLIT(Q_HTML_CSP));
	h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("x-content-type-options"),
			      0, NULL, H2O_STRLIT("nosniff"));
	/* never the callback's code in a Referer */
	h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("referrer-policy"), 0, NULL,
			      H2O_STRLIT("no-referrer"));
	req->res.content_length = len;
	h2o_send_inline(req, body, len);
}

void q_web_auth_page(struct q_request *r, int status, const char *title, const char *body)
{
	GString *g = g_string_new(NULL);

	q_html_begin(g, title);
	g_string_append(g, "<h1>");
	q_html_text(g, title);
	g_string_append_printf(g, "</h1>\n%s", body);
	q_html_end(g);
	send_status(r, status, "text/html; charset=utf-8", g->str, g->len);
	g_string_free(g, TRUE);
}

void q_web_auth_redirect(struct q_request *r, int status, const char *location)
{
	add_header(r, H2O_TOKEN_LOCATION, location);
	send_status(r, status, "text/plain; charset=utf-8", "", 0);
}

void q_web_auth_refuse(struct q_request *r, int status, const char *what, const char *why)
{
	GString *g = g_string_new("<p class=\"error\">");

	q_html_text(g, why);
	g_string_append(g, "</p><p><a href=\"/login\">Sign in again</a></p>");
	q_web_auth_page(r, status, what, g->str);
	g_string_free(g, TRUE);
}

static int cookie_hash(struct q_request *r, const char *name, char hash[Q_SHA256_HEX])
{
	char v[64];

	if (q_web_cookie_get(q_http_header(r, "cookie"), name, v, sizeof(v)) != 1)
		return -1;
	q_hash_sha256_buf(v, strlen(v), hash);
	return 0;
}

int q_web_auth_login_begin(struct q_request *r, struct q_web_login *l, struct q_error *err)
{
	char cookie[Q_WEB_TOKEN_LEN], hash[Q_SHA256_HEX];
	int64_t now = time(NULL);

	if (q_web_random_token(cookie) < 0 || q_web_random_token(l->csrf) < 0 ||
	    q_web_random_token(l->state) < 0 || q_web_random_token(l->nonce) < 0 ||
	    q_web_random_token(l->verifier) < 0)
		return q_error_set(err, Q_EINTERNAL, "cannot get random bytes");
	q_hash_sha256_buf(cookie, strlen(cookie), hash);
	if (q_store_web_purge(r->st, now, err) < 0 ||
	    q_store_web_login_create(r->st, hash, l, now + Q_WEB_LOGIN_TTL, err) < 0)
		return -1;
	q_web_auth_cookie(r, Q_WEB_LOGIN_COOKIE, cookie, Q_WEB_LOGIN_TTL);
	return 0;
}

int q_web_auth_login_take(struct q_request *r, struct q_web_login *l, struct q_error *err)
{
	char hash[Q_SHA256_HEX];

	if (cookie_hash(r, Q_WEB_LOGIN_COOKIE, hash) < 0)
		return q_error_set(err, Q_ENOTFOUND, "no sign-in cookie");
	if (q_store_web_login_take(r->st, hash, time(NULL), l, err) < 0)
		return -1;
	q_web_auth_cookie(r, Q_WEB_LOGIN_COOKIE, "", 0);
	return 0;
}

int q_web_auth_session_start(struct q_request *r, int64_t user_id, struct q_error *err)
{
	char cookie[Q_WEB_TOKEN_LEN], csrf[Q_WEB_TOKEN_LEN], hash[Q_SHA256_HEX];
	int64_t life = r->hub->cfg.session_lifetime;

	if (q_web_random_token(cookie) < 0 || q_web_random_token(csrf) < 0)
		return q_error_set(err, Q_EINTERNAL, "cannot get random bytes");
	q_hash_sha256_buf(cookie, strlen(cookie), hash);
	if (q_store_web_session_create(r->st, hash, user_id, csrf, time(NULL) + life, err) < 0)
		return -1;
	q_web_auth_cookie(r, Q_WEB_SESSION_COOKIE, cookie, life);
	return 0;
}

int q_web_session_user(struct q_request *r, struct q_web_user *out)
{
	struct q_web_session s;
	struct q_error err = {0};
	char hash[Q_SHA256_HEX];

	memset(out, 0, sizeof(*out));
	if (cookie_hash(r, Q_WEB_SESSION_COOKIE, hash) < 0)
		return 1;
	if (q_store_web_session_get(r->st, hash, time(NULL), &s, &err) < 0)
		return err.code == Q_ENOTFOUND ? 1 : -1;
	snprintf(out->name, sizeof(out->name), "%s", s.name);
	snprintf(out->role, sizeof(out->role), "%s", s.role);
	snprintf(out->csrf, sizeof(out->csrf), "%s", s.csrf);
	out->id = s.user_id;
	return 0;
}

static bool same_origin(struct q_request *r)
{
	return q_web_same_origin(r->hub->cfg.public_url, q_http_header(r, "origin"),
				 q_http_header(r, "sec-fetch-site"));
}

bool q_web_csrf_ok(struct q_request *r, const char *token)
{
	struct q_web_user u;

	if (!token || !same_origin(r) || q_web_session_user(r, &u) != 0)
		return false;
	return q_web_token_eq(token, u.csrf);
}

char *q_web_password_hash(const char *password, struct q_error *err)
{
	/* OWASP's Argon2id baseline: 19 MiB, 2 passes, 1 lane */
	enum { T_COST = 2, M_COST = 19456, LANES = 1, SALT = 16, HASH = 32 };
	unsigned char salt[SALT];
	size_t len = argon2_encodedlen(T_COST, M_COST, LANES, SALT, HASH, Argon2_id);
	char *enc = malloc(len);
	char hex[2 * SALT + 1];

	if (!enc || q_random_hex(hex, SALT) < 0) {
		free(enc);
		q_error_set(err, Q_EINTERNAL, "cannot hash the password");
		return NULL;
	}
	for (size_t i = 0; i < SALT; i++)
		salt[i] = (unsigned char)strtoul((char[]){hex[2 * i], hex[2 * i + 1], 0}, NULL, 16);
	if (argon2id_hash_encoded(T_COST, M_COST, LANES, password, strlen(password), salt, SALT,
				  HASH, enc, len) != ARGON2_OK) {
		free(enc);
		q_error_set(err, Q_EINTERNAL, "cannot hash the password");
		return NULL;
	}
	return enc;
}

/* The login page: who is signed in, or the forms. msg: an error to show. */
static void login_page(struct q_request *r, int status, const char *msg)
{
	struct q_config *c = &r->hub->cfg;
	struct q_web_login l = {0};
	struct q_web_user u;
	struct q_error err = {0};
	char next[520] = "/";
	GString *g = g_string_new("");

	if (q_web_session_user(r, &u) == 0) {
		g_string_append(g, "<p>Signed in as <strong>");
		q_html_text(g, u.name);
		g_string_append(g, "</strong>.</p><form method=\"post\" action=\"/logout\">"
				   "<input type=\"hidden\" name=\"csrf\" value=\"");
		q_html_text(g, u.csrf);
		g_string_append(g, "\"><button type=\"submit\">Sign out</button></form>");
		q_web_auth_page(r, status, "Signed in", g->str);
		g_string_free(g, TRUE);
		return;
	}
	if (q_query_get(r->query, r->query_len, "next", next, sizeof(next), &err) != 1)
		snprintf(next, sizeof(next), "/");
	snprintf(l.return_to, sizeof(l.return_to), "%s", q_web_safe_return(next));
	if (q_web_auth_login_begin(r, &l, &err) < 0) {
		g_string_free(g, TRUE);
		q_web_auth_refuse(r, 500, "Sign-in unavailable", err.msg);
		return;
	}
	if (msg) {
		g_string_append(g, "<p class=\"error\" role=\"alert\">");
		q_html_text(g, msg);
		g_string_append(g, "</p>");
	}
	if (c->local_login) {
		g_string_append(g, "<form method=\"post\" action=\"/login\">"
				   "<input type=\"hidden\" name=\"csrf\" value=\"");
		q_html_text(g, l.csrf);
		g_string_append(
		    g, "\"><p><label for=\"username\">User name</label> "
		       "<input id=\"username\" name=\"username\" autocomplete=\"username\" "
		       "required></p><p><label for=\"password\">Password</label> "
		       "<input id=\"password\" name=\"password\" type=\"password\" "
		       "autocomplete=\"current-password\" required></p>"
		       "<p><button type=\"submit\">Sign in</button></p></form>");
	}
	if (c->oidc_issuer[0]) {
		g_string_append(g, "<p><a class=\"button\" href=\"/auth/oidc?next=");
		for (const char *p = l.return_to; *p; p++)
			g_string_append_printf(
			    g, isalnum((unsigned char)*p) || strchr("/-._~", *p) ? "%c" : "%%%02X",
			    (unsigned char)*p);
		g_string_append(g, "\">Sign in with ");
		q_html_text(g, c->oidc_name);
		g_string_append(g, "</a></p>");
	}
	q_web_auth_page(r, status, "Sign in", g->str);
	g_string_free(g, TRUE);
}

/* A form field of the request body; "" when absent or malformed. */
static void form_get(struct q_request *r, const char *key, char *out, size_t size)
{
	struct q_error err = {0};
	h2o_iovec_t b = r->req->entity;

	if (!b.base || b.len > FORM_MAX || q_query_get(b.base, b.len, key, out, size, &err) != 1)
		out[0] = '\0';
}

/* Same work whether or not the user exists: no timing tells which. */
static int password_ok(const char *encoded, const char *password)
{
	static const char dummy[] = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$"
				    "Vv4vLz3xQ4sBqzKgGZ6uR7wQ0QmFz0nQm3xY1X0a9nA";

	if (!encoded) {
		argon2id_verify(dummy, password, strlen(password));
		return 0;
	}
	return argon2id_verify(encoded, password, strlen(password)) == ARGON2_OK;
}

static void login_post(struct q_request *r)
{
	char user[80], pw[1024], csrf[64], *enc = NULL;
	struct q_web_login l;
	struct q_error err = {0};
	int64_t id = 0;

	if (!r->hub->cfg.local_login) {
		q_web_auth_refuse(r, 403, "Sign-in refused",
				  "this hub does not accept passwords (web.local_login)");
		return;
	}
	if (!same_origin(r)) {
		q_web_auth_refuse(r, 403, "Sign-in refused",
				  "the form was not sent from this site");
		return;
	}
	form_get(r, "csrf", csrf, sizeof(csrf));
	if (q_web_auth_login_take(r, &l, &err) < 0)
		return login_page(r, 400, "The sign-in form expired; please try again.");
	if (!q_web_token_eq(csrf, l.csrf)) {
		q_web_auth_refuse(r, 403, "Sign-in refused",
				  "the form's CSRF token is missing or wrong");
		return;
	}
	form_get(r, "username", user, sizeof(user));
	form_get(r, "password", pw, sizeof(pw));
	if (q_store_user_password_get(r->st, user, &id, &enc, &err) < 0 &&
	    err.code != Q_ENOTFOUND) {
		q_web_auth_refuse(r, 500, "Sign-in failed", err.msg);
		return;
	}
	if (!password_ok(enc, pw)) {
		free(enc);
		q_warn("web sign-in refused for '%.80s': wrong user name or password", user);
		{
			login_page(r, 401, "Wrong user name or password.");
			return;
		}
	}
	free(enc);
	if (q_store_begin(r->st, &err) < 0 || q_web_auth_session_start(r, id, &err) < 0 ||
	    q_store_audit(r->st, user, "web.login", user, "{\"method\":\"password\"}", &err) < 0 ||
	    q_store_commit(r->st, &err) < 0) {
		q_store_rollback(r->st);
		{
			q_web_auth_refuse(r, 500, "Sign-in failed", err.msg);
			return;
		}
	}
	q_web_auth_redirect(r, 303, q_web_safe_return(l.return_to));
}

static void logout_post(struct q_request *r)
{
	char csrf[64], hash[Q_SHA256_HEX];
	struct q_error err = {0};

	form_get(r, "csrf", csrf, sizeof(csrf));
	if (!q_web_csrf_ok(r, csrf)) {
		q_web_auth_refuse(r, 403, "Sign-out refused",
				  "the form's CSRF token is missing or wrong, or it was "
				  "not sent from this site");
		return;
	}
	if (cookie_hash(r, Q_WEB_SESSION_COOKIE, hash) < 0 ||
	    q_store_web_session_delete(r->st, hash, &err) < 0) {
		q_web_auth_refuse(r, 500, "Sign-out failed", err.msg);
		return;
	}
	q_web_auth_cookie(r, Q_WEB_SESSION_COOKIE, "", 0);
	q_web_auth_redirect(r, 303, "/");
}

/* The request's path (without its query) is exactly path. */
static bool path_is(struct q_request *r, const char *path)
{
	size_t n = r->req->query_at != SIZE_MAX ? r->req->query_at : r->req->path.len;

	return n == strlen(path) && !memcmp(r->req->path.base, path, n);
}

int q_web_auth_dispatch(struct q_request *r)
{
	const struct q_path *p = &r->path;
	bool get = q_http_method_is(r, "GET") || q_http_method_is(r, "HEAD");
	bool post = q_http_method_is(r, "POST");
	char cb[160];

	snprintf(cb, sizeof(cb), "%s", r->hub->cfg.oidc_redirect_path);
	if (p->n == 1 && !strcmp(p->seg[0], "login") && get)
		login_page(r, 200, NULL);
	else if (p->n == 1 && !strcmp(p->seg[0], "login") && post)
		login_post(r);
	else if (p->n == 1 && !strcmp(p->seg[0], "logout") && post)
		logout_post(r);
	else if (p->n == 2 && !strcmp(p->seg[0], "auth") && !strcmp(p->seg[1], "oidc") && get)
		q_web_oidc_start(r);
	else if (get && r->hub->cfg.oidc_issuer[0] && path_is(r, cb))
		q_web_oidc_callback(r);
	else
		return -1;
	return 0;
}
