/*
 * oidc.c: signing in with an OpenID Connect provider (authorization code
 * with PKCE S256, state and nonce), and the provider's groups → SIG roles.
 *
 * GET /auth/oidc records a sign-in (auth.c: web_logins row behind the
 * quarry_login cookie, holding state, nonce, PKCE verifier) and sends the
 * browser to the provider's authorization endpoint. The provider sends it
 * back to oidc.redirect_path with code and state: the sign-in row is taken
 * (one use: a replayed callback finds nothing), state compared, the code
 * exchanged at the token endpoint (client_secret_basic, code_verifier), and
 * the id_token verified with libcjose against the provider's JWKS (alg,
 * key, iss, aud, exp, nonce). Only then, in one transaction: the user is
 * found by oidc_subject (ISSUER + " " + sub) or created from the username
 * claim, SIG roles are set from the groups claim (oidc.group_map; audited),
 * and the session starts.
 *
 * Discovery, token and JWKS requests are made with libcurl from the event
 * loop's thread, each bounded by a 10-second timeout and 1 MiB: a sign-in
 * holds its thread for that long at worst.
 */
#include "core/common.h"
#include "core/error.h"
#include "core/log.h"
#include "core/names.h"
#include "http/http.h"
#include "hub/hub.h"
#include "web/auth.h"
#include "web/auth_internal.h"
#include "web/authutil.h"

#include <cjose/cjose.h>
#include <curl/curl.h>

#define FETCH_MAX (1 << 20)

struct fetch {
	GString *buf;
	bool too_big;
};

static size_t on_data(char *p, size_t sz, size_t n, void *ud)
{
	struct fetch *f = ud;

	if (f->buf->len + sz * n > FETCH_MAX) {
		f->too_big = true;
		return 0;
	}
	g_string_append_len(f->buf, p, (gssize)(sz * n));
	return sz * n;
}

/* GET url (or POST form when form != NULL, with HTTP Basic user/pass) and
 * parse the answer as a JSON object. */
static json_t *fetch_json(const char *url, const char *form, const char *user, const char *pass,
			  struct q_error *err)
{
	CURL *c = curl_easy_init();
	struct fetch f = {g_string_new(""), false};
	json_t *j = NULL;
	long status = 0;
	CURLcode rc;

	if (!c) {
		q_error_set(err, Q_EINTERNAL, "cannot start an HTTP request");
		goto out;
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &f);
	if (form) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, form);
		curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(c, CURLOPT_USERNAME, user);
		curl_easy_setopt(c, CURLOPT_PASSWORD, pass);
	}
	rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	if (rc != CURLE_OK) {
		q_error_set(err, Q_EIO, "the provider at '%s' did not answer: %s", url,
			    f.too_big ? "answer over 1 MiB" : curl_easy_strerror(rc));
		goto out;
	}
	j = json_loadb(f.buf->str, f.buf->len, 0, NULL);
	if (status != 200 || !json_is_object(j)) {
		const char *e = json_string_value(json_object_get(j, "error"));

		q_error_set(err, Q_EIO, "the provider at '%s' answered %ld%s%s", url, status,
			    e ? ": " : "", e ? e : "");
		json_decref(j);
		j = NULL;
	}
out:
	if (c)
		curl_easy_cleanup(c);
	g_string_free(f.buf, TRUE);
	return j;
}

/* The provider's metadata; its issuer must be the configured one. */
static json_t *discover(struct q_config *c, struct q_error *err)
{
	size_t n = strlen(c->oidc_issuer);
	char *url =
	    g_strdup_printf("%.*s/.well-known/openid-configuration",
			    (int)(n && c->oidc_issuer[n - 1] == '/' ? n - 1 : n), c->oidc_issuer);
	json_t *d = fetch_json(url, NULL, NULL, NULL, err);

	g_free(url);
	if (d && (g_strcmp0(json_string_value(json_object_get(d, "issuer")), c->oidc_issuer) ||
		  !json_is_string(json_object_get(d, "authorization_endpoint")) ||
		  !json_is_string(json_object_get(d, "token_endpoint")) ||
		  !json_is_string(json_object_get(d, "jwks_uri")))) {
		q_error_set(err, Q_EIO,
			    "the provider's discovery document does not name issuer '%s' with an "
			    "authorization, token and jwks_uri endpoint",
			    c->oidc_issuer);
		json_decref(d);
		return NULL;
	}
	return d;
}

static char *redirect_uri(struct q_config *c)
{
	size_t n = strlen(c->public_url);

	return g_strdup_printf("%.*s%s", (int)(n && c->public_url[n - 1] == '/' ? n - 1 : n),
			       c->public_url, c->oidc_redirect_path);
}

int q_web_oidc_start(struct q_request *r)
{
	struct q_config *c = &r->hub->cfg;
	struct q_web_login l = {0};
	struct q_error err = {0};
	char next[520] = "/", challenge[Q_WEB_TOKEN_LEN];
	char *ru, *e_ru, *e_scope, *e_id, *loc;
	json_t *d;

	if (!c->oidc_issuer[0]) {
		q_web_auth_refuse(r, 404, "No provider", "this hub has no OpenID Connect provider");
		return 0;
	}
	if (q_query_get(r->query, r->query_len, "next", next, sizeof(next), &err) != 1)
		snprintf(next, sizeof(next), "/");
	snprintf(l.return_to, sizeof(l.return_to), "%s", q_web_safe_return(next));
	if (!(d = discover(c, &err)) || q_web_auth_login_begin(r, &l, &err) < 0) {
		json_decref(d);
		q_warn("OpenID Connect sign-in: %s", err.msg);
		q_web_auth_refuse(r, 502, "Sign-in unavailable", err.msg);
		return 0;
	}
	q_web_pkce_s256(l.verifier, challenge);
	ru = redirect_uri(c);
	e_ru = g_uri_escape_string(ru, NULL, FALSE);
	e_scope = g_uri_escape_string(c->oidc_scopes, NULL, FALSE);
	e_id = g_uri_escape_string(c->oidc_client_id, NULL, FALSE);
	loc = g_strdup_printf(
	    "%s%sresponse_type=code&client_id=%s&redirect_uri=%s&scope=%s"
	    "&state=%s&nonce=%s&code_challenge=%s&code_challenge_method=S256",
	    json_string_value(json_object_get(d, "authorization_endpoint")),
	    strchr(json_string_value(json_object_get(d, "authorization_endpoint")), '?') ? "&"
											 : "?",
	    e_id, e_ru, e_scope, l.state, l.nonce, challenge);
	q_web_auth_redirect(r, 302, loc);
	g_free(loc);
	g_free(e_id);
	g_free(e_scope);
	g_free(e_ru);
	g_free(ru);
	json_decref(d);
	return 0;
}

static bool alg_allowed(const char *alg, const char **kty)
{
	static const char *const rsa[] = {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512"};
	static const char *const ec[] = {"ES256", "ES384", "ES512"};

	for (size_t i = 0; alg && i < Q_ARRAY_LEN(rsa); i++)
		if (!strcmp(alg, rsa[i]))
			return (*kty = "RSA");
	for (size_t i = 0; alg && i < Q_ARRAY_LEN(ec); i++)
		if (!strcmp(alg, ec[i]))
			return (*kty = "EC");
	return false;
}

/* Verify the signature of jws with a key of jwks (by kid when given). */
static int verify_sig(cjose_jws_t *jws, json_t *jwks, struct q_error *err)
{
	cjose_err ce;
	cjose_header_t *h = cjose_jws_get_protected(jws);
	const char *alg = h ? cjose_header_get(h, CJOSE_HDR_ALG, &ce) : NULL;
	const char *kid = h ? cjose_header_get(h, CJOSE_HDR_KID, &ce) : NULL;
	const char *kty = NULL;
	json_t *keys = json_object_get(jwks, "keys"), *k;
	size_t i;

	if (!alg_allowed(alg, &kty))
		return q_error_set(err, Q_EAUTH, "the id_token's algorithm '%s' is not accepted",
				   alg ? alg : "(none)");
	json_array_foreach (keys, i, k) {
		const char *use = json_string_value(json_object_get(k, "use"));
		char *s;
		cjose_jwk_t *jwk;
		bool ok;

		if (g_strcmp0(json_string_value(json_object_get(k, "kty")), kty) ||
		    (use && strcmp(use, "sig")) ||
		    (kid && g_strcmp0(json_string_value(json_object_get(k, "kid")), kid)))
			continue;
		if (!(s = json_dumps(k, JSON_COMPACT)))
			continue;
		jwk = cjose_jwk_import(s, strlen(s), &ce);
		free(s);
		if (!jwk)
			continue;
		ok = cjose_jws_verify(jws, jwk, &ce);
		cjose_jwk_release(jwk);
		if (ok)
			return 0;
	}
	return q_error_set(err, Q_EAUTH,
			   "the id_token's signature does not verify with the provider's keys");
}

static int check_claims(json_t *cl, const char *issuer, const char *client_id, const char *nonce,
			int64_t now, struct q_error *err)
{
	json_t *aud = json_object_get(cl, "aud"), *a;
	const char *azp = json_string_value(json_object_get(cl, "azp"));
	bool aud_ok = false;
	size_t i;

	if (g_strcmp0(json_string_value(json_object_get(cl, "iss")), issuer))
		return q_error_set(err, Q_EAUTH, "the id_token was issued by another issuer");
	if (json_is_string(aud))
		aud_ok = !strcmp(json_string_value(aud), client_id);
	json_array_foreach (aud, i, a)
		aud_ok |= !g_strcmp0(json_string_value(a), client_id);
	if (!aud_ok || (json_array_size(aud) > 1 && g_strcmp0(azp, client_id)))
		return q_error_set(err, Q_EAUTH, "the id_token is meant for another client");
	if (!json_is_integer(json_object_get(cl, "exp")) ||
	    json_integer_value(json_object_get(cl, "exp")) + 60 <= now)
		return q_error_set(err, Q_EAUTH, "the id_token has expired");
	if (!nonce[0] || !json_is_string(json_object_get(cl, "nonce")) ||
	    !q_web_token_eq(json_string_value(json_object_get(cl, "nonce")), nonce))
		return q_error_set(err, Q_EAUTH, "the id_token's nonce is not this sign-in's");
	if (!json_is_string(json_object_get(cl, "sub")) ||
	    !json_string_length(json_object_get(cl, "sub")))
		return q_error_set(err, Q_EAUTH, "the id_token names no subject");
	return 0;
}

int q_web_idtoken_verify(const char *jwt, json_t *jwks, const char *issuer, const char *client_id,
			 const char *nonce, int64_t now, json_t **claims, struct q_error *err)
{
	cjose_err ce;
	cjose_jws_t *jws;
	uint8_t *plain = NULL;
	size_t plen = 0;
	json_t *cl;

	*claims = NULL;
	if (!jwt || strlen(jwt) > 65536 || !(jws = cjose_jws_import(jwt, strlen(jwt), &ce)))
		return q_error_set(err, Q_EAUTH, "the id_token is not a signed JWT");
	if (verify_sig(jws, jwks, err) < 0 || !cjose_jws_get_plaintext(jws, &plain, &plen, &ce)) {
		cjose_jws_release(jws);
		if (!err->msg[0])
			q_error_set(err, Q_EAUTH, "the id_token has no payload");
		return -1;
	}
	cl = json_loadb((const char *)plain, plen, JSON_REJECT_DUPLICATES, NULL);
	cjose_jws_release(jws);
	if (!json_is_object(cl)) {
		json_decref(cl);
		return q_error_set(err, Q_EAUTH, "the id_token's payload is not a JSON object");
	}
	if (check_claims(cl, issuer, client_id, nonce, now, err) < 0) {
		json_decref(cl);
		return -1;
	}
	*claims = cl;
	return 0;
}

/* The code for verified claims: token endpoint, JWKS, verification. */
static json_t *exchange(struct q_request *r, json_t *d, const char *code,
			const struct q_web_login *l, struct q_error *err)
{
	struct q_config *c = &r->hub->cfg;
	char *ru = redirect_uri(c), *e_ru = g_uri_escape_string(ru, NULL, FALSE);
	char *e_code = g_uri_escape_string(code, NULL, FALSE);
	char *form = g_strdup_printf("grant_type=authorization_code&code=%s&redirect_uri=%s"
				     "&code_verifier=%s",
				     e_code, e_ru, l->verifier);
	json_t *tok = NULL, *jwks = NULL, *claims = NULL;

	tok = fetch_json(json_string_value(json_object_get(d, "token_endpoint")), form,
			 c->oidc_client_id, c->oidc_client_secret, err);
	if (tok && !json_is_string(json_object_get(tok, "id_token")))
		q_error_set(err, Q_EAUTH, "the provider's token answer has no id_token");
	else if (tok && (jwks = fetch_json(json_string_value(json_object_get(d, "jwks_uri")), NULL,
					   NULL, NULL, err)))
		q_web_idtoken_verify(json_string_value(json_object_get(tok, "id_token")), jwks,
				     c->oidc_issuer, c->oidc_client_id, l->nonce, time(NULL),
				     &claims, err);
	json_decref(jwks);
	json_decref(tok);
	g_free(form);
	g_free(e_code);
	g_free(e_ru);
	g_free(ru);
	return claims;
}

static int audit(struct q_request *r, const char *who, const char *action, const char *target,
		 json_t *detail, struct q_error *err)
{
	char *d = json_dumps(detail, JSON_COMPACT | JSON_SORT_KEYS);
	int rc = q_store_audit(r->st, who, action, target, d ? d : "", err);

	free(d);
	json_decref(detail);
	return rc;
}

/* The role groups give in sig: "lead", "member" or "". */
static const char *wanted_role(const struct q_groupmap *m, json_t *groups, const char *sig)
{
	const char *role = "";
	json_t *g;
	size_t i;

	json_array_foreach (groups, i, g) {
		const char *name = json_string_value(g);
		char s[40];
		bool lead;

		for (size_t k = 0; name && k < m->n; k++)
			if (q_groupmap_match(&m->e[k], name, s, &lead) && !strcmp(s, sig)) {
				if (lead)
					return "lead";
				role = "member";
			}
	}
	return role;
}

/* Set the user's role in every SIG the map manages (in a transaction). */
static int sync_groups(struct q_request *r, const char *user, int64_t uid, json_t *groups,
		       struct q_error *err)
{
	struct q_groupmap *m = g_new0(struct q_groupmap, 1);
	char msg[256];
	json_t *sigs = NULL, *sg;
	size_t i;
	int rc = -1;

	if (q_groupmap_parse(r->hub->cfg.oidc_group_map, m, msg, sizeof(msg)) < 0) {
		q_error_set(err, Q_EINVAL, "oidc.group_map: %s", msg);
		goto out;
	}
	if (!m->n) {
		rc = 0;
		goto out;
	}
	if (q_store_sig_list(r->st, &sigs, err) < 0)
		goto out;
	json_array_foreach (sigs, i, sg) {
		const char *sig = json_string_value(json_object_get(sg, "name"));
		const char *want;
		char have[16];

		if (!sig || !q_groupmap_manages(m, sig))
			continue;
		want = wanted_role(m, groups, sig);
		if (q_store_sig_member_role(r->st, sig, uid, have, err) < 0)
			goto out;
		if (!strcmp(want, have))
			continue;
		if (*want ? q_store_sig_member_set(r->st, sig, user, want, err) < 0 ||
				audit(r, user, "sig.member.set", sig,
				      json_pack("{s:s,s:s,s:s}", "user", user, "role", want, "from",
						"oidc groups"),
				      err) < 0
			  : q_store_sig_member_delete(r->st, sig, user, err) < 0 ||
				audit(r, user, "sig.member.remove", sig,
				      json_pack("{s:s,s:s}", "user", user, "from", "oidc groups"),
				      err) < 0)
			goto out;
	}
	rc = 0;
out:
	json_decref(sigs);
	g_free(m);
	return rc;
}

/* The user of these claims, created on first sign-in (in a transaction). */
static int claims_user(struct q_request *r, json_t *cl, int64_t *uid, char name[80],
		       struct q_error *err)
{
	struct q_config *c = &r->hub->cfg;
	const char *uname = json_string_value(json_object_get(cl, c->oidc_user_claim));
	char *subject =
	    g_strdup_printf("%s %s", c->oidc_issuer, json_string_value(json_object_get(cl, "sub")));
	char role[16];
	int rc = -1;
	struct q_error e2 = {0};

	if (q_store_user_by_subject(r->st, subject, uid, name, role, err) == 0) {
		rc = 0;
		goto out;
	}
	if (err->code != Q_ENOTFOUND)
		goto out;
	memset(err, 0, sizeof(*err));
	if (!uname || q_name_check(Q_NAME_USER, "user name", uname, err) < 0) {
		q_error_set(err, Q_EAUTH,
			    "the provider's '%s' claim is missing or not a user name here "
			    "([a-z][a-z0-9._-]{0,63})",
			    c->oidc_user_claim);
		goto out;
	}
	if (q_store_user_get(r->st, uname, NULL, NULL, &e2) == 0) {
		q_error_set(err, Q_ECONFLICT,
			    "a user named '%s' exists already and is not linked to this account; "
			    "an admin must rename or remove it first",
			    uname);
		goto out;
	}
	if (q_store_user_create(r->st, uname, "user", uid, err) < 0 ||
	    q_store_user_set_subject(r->st, *uid, subject, err) < 0 ||
	    audit(r, uname, "user.create", uname,
		  json_pack("{s:s,s:s}", "role", "user", "from", "oidc"), err) < 0)
		goto out;
	snprintf(name, 80, "%s", uname);
	rc = 0;
out:
	g_free(subject);
	return rc;
}

static void callback_refuse(struct q_request *r, const char *why)
{
	q_warn("OpenID Connect sign-in refused: %s", why);
	q_web_auth_refuse(r, 403, "Sign-in refused", why);
}

int q_web_oidc_callback(struct q_request *r)
{
	struct q_web_login l;
	struct q_error err = {0};
	char code[1024], state[128], perr[128];
	json_t *d = NULL, *cl = NULL, *groups;
	char name[80] = "";
	int64_t uid = 0;

	if (q_query_get(r->query, r->query_len, "error", perr, sizeof(perr), &err) == 1) {
		char why[200];

		snprintf(why, sizeof(why), "the provider refused the sign-in: %s", perr);
		q_web_auth_refuse(r, 403, "Sign-in refused", why);
		return 0;
	}
	if (q_web_auth_login_take(r, &l, &err) < 0) {
		callback_refuse(r, "no sign-in of this browser is waiting for this answer (it "
				   "expired, was used already, or was started elsewhere)");
		return 0;
	}
	if (q_query_get(r->query, r->query_len, "state", state, sizeof(state), &err) != 1 ||
	    !q_web_token_eq(state, l.state) || !l.verifier[0]) {
		callback_refuse(r, "the answer's state is not this sign-in's");
		return 0;
	}
	if (q_query_get(r->query, r->query_len, "code", code, sizeof(code), &err) != 1) {
		callback_refuse(r, "the answer carries no code");
		return 0;
	}
	if (!(d = discover(&r->hub->cfg, &err)) || !(cl = exchange(r, d, code, &l, &err))) {
		json_decref(d);
		callback_refuse(r, err.msg);
		return 0;
	}
	json_decref(d);
	groups = json_object_get(cl, r->hub->cfg.oidc_groups_claim);
	if (q_store_begin(r->st, &err) < 0 || claims_user(r, cl, &uid, name, &err) < 0 ||
	    sync_groups(r, name, uid, json_is_array(groups) ? groups : NULL, &err) < 0 ||
	    q_web_auth_session_start(r, uid, &err) < 0 ||
	    audit(r, name, "web.login", name, json_pack("{s:s}", "method", "oidc"), &err) < 0 ||
	    q_store_commit(r->st, &err) < 0) {
		q_store_rollback(r->st);
		json_decref(cl);
		callback_refuse(r, err.msg);
		return 0;
	}
	json_decref(cl);
	q_web_auth_redirect(r, 303, q_web_safe_return(l.return_to));
	return 0;
}
