/*
 * auth_internal.h: what auth.c and oidc.c share (pages, cookies, the start
 * of a session). Not for other callers.
 */
#ifndef Q_WEB_AUTH_INTERNAL_H
#define Q_WEB_AUTH_INTERNAL_H

#include <glib.h>
#include <jansson.h>

#include "store/store.h"
#include "web/groupmap.h"

struct q_request;

#define Q_WEB_SESSION_COOKIE "quarry_session"
#define Q_WEB_LOGIN_COOKIE "quarry_login"
#define Q_WEB_LOGIN_TTL 600 /* seconds a sign-in may take */

/* Set-Cookie name=value with our attributes; max_age 0 removes it. */
void q_web_auth_cookie(struct q_request *r, const char *name, const char *value, int64_t max_age);
/* A page: title and the body's HTML (already escaped), with our headers. */
void q_web_auth_page(struct q_request *r, int status, const char *title, const char *body);
/* 303 (or 302) to location. */
void q_web_auth_redirect(struct q_request *r, int status, const char *location);
/* A refusal: status, a heading and a sentence (escaped here), a link to /login. */
void q_web_auth_refuse(struct q_request *r, int status, const char *what, const char *why);
/* Record a new sign-in (web_logins row + cookie); l's tokens are made here
 * except return_to. */
int q_web_auth_login_begin(struct q_request *r, struct q_web_login *l, struct q_error *err);
/* Take the sign-in of the request's quarry_login cookie (one use). */
int q_web_auth_login_take(struct q_request *r, struct q_web_login *l, struct q_error *err);
/* Create the session (inside the caller's transaction) and set its cookie. */
int q_web_auth_session_start(struct q_request *r, int64_t user_id, struct q_error *err);

/* oidc.c */
int q_web_oidc_start(struct q_request *r);
int q_web_oidc_callback(struct q_request *r);
/*
 * Verify an id_token (compact JWS) with the provider's key set jwks
 * ({"keys":[…]}): an asymmetric alg (RS*, PS*, ES*) and a key of its type
 * (by kid when the token names one), then iss, aud (client_id; azp when
 * several), exp (60 s of clock skew), nonce. *claims: the payload (caller
 * decrefs). -1 with err saying which check failed.
 */
int q_web_idtoken_verify(const char *jwt, json_t *jwks, const char *issuer, const char *client_id,
			 const char *nonce, int64_t now, json_t **claims, struct q_error *err);

#endif
