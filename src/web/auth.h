/*
 * auth.h: who is signed in to the web UI, and whether a POST from a page
 * may act for them.
 *
 * A browser session is the cookie quarry_session (an opaque random value;
 * the database keeps its SHA-256) with a CSRF token every form of a page
 * carries. Routes: GET/POST /login (the password form, "Sign in with
 * PROVIDER"), GET /auth/oidc and the provider's redirect (oidc.c),
 * POST /logout. The CLI's bearer tokens are untouched by all this.
 */
#ifndef Q_WEB_AUTH_H
#define Q_WEB_AUTH_H

#include <stdbool.h>
#include <stdint.h>

struct q_error;
struct q_request;

struct q_web_user {
	char name[80];
	char role[16]; /* admin, releng, user */
	int64_t id;
	char csrf[64]; /* the session's CSRF token, for the forms of a page */
};

/* 0 signed in (*out filled), 1 anonymous (no, unknown or expired cookie),
 * -1 on a database error. */
int q_web_session_user(struct q_request *r, struct q_web_user *out);
/* A POST may act for the signed-in user: token is the session's CSRF token
 * (constant-time comparison) and the request is same-origin (an Origin
 * equal to hub.public_url's, or Sec-Fetch-Site: same-origin). */
bool q_web_csrf_ok(struct q_request *r, const char *token);
/* The sign-in routes; 0 when it answered, -1 when the path is not one. */
int q_web_auth_dispatch(struct q_request *r);

/* Argon2id of password as an encoded string ($argon2id$v=19$…), malloc'd. */
char *q_web_password_hash(const char *password, struct q_error *err);

#endif
