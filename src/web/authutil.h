/*
 * authutil.h: the pure pieces of signing in (no I/O, unit-tested, fuzzed):
 * reading a cookie from a Cookie header, random tokens and the PKCE S256
 * challenge (base64url without padding, RFC 7636), the same-origin rule
 * for a POST, and a redirect target that stays on this site.
 */
#ifndef Q_WEB_AUTHUTIL_H
#define Q_WEB_AUTHUTIL_H

#include <stdbool.h>
#include <stddef.h>

/* 32 random bytes as base64url: 43 characters + NUL. */
#define Q_WEB_TOKEN_LEN 44

/*
 * The value of cookie name in a Cookie header ("a=1; b=2"), into out.
 * 1 found, 0 absent (or empty), -1 when its value does not fit or holds a character
 * other than base64url's (our cookies hold only those).
 */
int q_web_cookie_get(const char *header, const char *name, char *out, size_t size);
/* base64url without padding of data[0..n) into out (needs 4*ceil(n/3)+1). */
void q_web_b64url(const unsigned char *data, size_t n, char *out);
/* A fresh random token (32 bytes from the OS, base64url); -1 on failure. */
int q_web_random_token(char out[Q_WEB_TOKEN_LEN]);
/* The PKCE S256 challenge of verifier: base64url(SHA-256(verifier)). */
void q_web_pkce_s256(const char *verifier, char out[Q_WEB_TOKEN_LEN]);
/* Constant-time comparison of two NUL-terminated strings (length leaks). */
bool q_web_token_eq(const char *a, const char *b);
/*
 * Same-origin rule for a POST from a page: an Origin header, when present,
 * must be public_url's origin (scheme://host[:port], compared without case);
 * without one, Sec-Fetch-Site must be "same-origin". Neither: refused.
 */
bool q_web_same_origin(const char *public_url, const char *origin, const char *sec_fetch_site);
/* A path to go back to after signing in: starts with one '/', no '\\', no
 * control character, at most 512 bytes; anything else becomes "/". */
const char *q_web_safe_return(const char *path);

#endif
