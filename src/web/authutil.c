/*
 * authutil.c: see authutil.h.
 */
#include "core/common.h"
#include "web/authutil.h"

#include <ctype.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <strings.h>

static bool b64url_char(char c)
{
	return isalnum((unsigned char)c) || c == '-' || c == '_';
}

int q_web_cookie_get(const char *header, const char *name, char *out, size_t size)
{
	size_t nl = strlen(name);
	const char *p = header;

	if (!header || !size)
		return 0;
	while (*p) {
		const char *end, *v;
		size_t vl;

		while (*p == ' ' || *p == '\t' || *p == ';')
			p++;
		end = p + strcspn(p, ";");
		if ((size_t)(end - p) > nl && !strncmp(p, name, nl) && p[nl] == '=') {
			v = p + nl + 1;
			vl = (size_t)(end - v);
			while (vl && (v[vl - 1] == ' ' || v[vl - 1] == '\t'))
				vl--;
			if (vl == 0)
				return 0;
			if (vl >= size)
				return -1;
			for (size_t i = 0; i < vl; i++)
				if (!b64url_char(v[i]))
					return -1;
			memcpy(out, v, vl);
			out[vl] = '\0';
			return 1;
		}
		p = end;
	}
	return 0;
}

void q_web_b64url(const unsigned char *data, size_t n, char *out)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	size_t o = 0;

	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)data[i] << 16;
		size_t left = n - i;

		if (left > 1)
			v |= (uint32_t)data[i + 1] << 8;
		if (left > 2)
			v |= data[i + 2];
		out[o++] = tab[(v >> 18) & 63];
		out[o++] = tab[(v >> 12) & 63];
		if (left > 1)
			out[o++] = tab[(v >> 6) & 63];
		if (left > 2)
			out[o++] = tab[v & 63];
	}
	out[o] = '\0';
}

int q_web_random_token(char out[Q_WEB_TOKEN_LEN])
{
	unsigned char b[32];

	if (RAND_bytes(b, sizeof(b)) != 1)
		return -1;
	q_web_b64url(b, sizeof(b), out);
	return 0;
}

void q_web_pkce_s256(const char *verifier, char out[Q_WEB_TOKEN_LEN])
{
	unsigned char d[SHA256_DIGEST_LENGTH];

	SHA256((const unsigned char *)verifier, strlen(verifier), d);
	q_web_b64url(d, sizeof(d), out);
}

bool q_web_token_eq(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	if (la != lb || la == 0)
		return false;
	return CRYPTO_memcmp(a, b, la) == 0;
}

bool q_web_same_origin(const char *public_url, const char *origin, const char *sec_fetch_site)
{
	const char *host;
	size_t ol;

	if (origin && *origin) {
		host = strstr(public_url, "://");
		if (!host)
			return false;
		/* the origin: up to the first '/' after the scheme */
		ol = (size_t)(host + 3 - public_url) + strcspn(host + 3, "/?#");
		return strlen(origin) == ol && strncasecmp(origin, public_url, ol) == 0;
	}
	return sec_fetch_site && !strcmp(sec_fetch_site, "same-origin");
}

const char *q_web_safe_return(const char *path)
{
	size_t n;

	if (!path || path[0] != '/' || path[1] == '/' || path[1] == '\\')
		return "/";
	n = strlen(path);
	if (n > 512)
		return "/";
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)path[i] < 0x21 || path[i] == 0x7f || path[i] == '\\')
			return "/";
	return path;
}
