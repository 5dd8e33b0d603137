/*
 * router.c: see router.h.
 */
#include "core/common.h"
#include "core/error.h"
#include "http/router.h"

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

long q_url_decode(const char *src, size_t len, char *dst, size_t dstsize, int plus_is_space)
{
	size_t o = 0;

	if (dstsize == 0)
		return -1;
	for (size_t i = 0; i < len; i++) {
		char c = src[i];

		if (c == '%') {
			int hi, lo;
			if (i + 2 >= len)
				return -1;
			hi = hexval(src[i + 1]);
			lo = hexval(src[i + 2]);
			if (hi < 0 || lo < 0)
				return -1;
			c = (char)(hi * 16 + lo);
			i += 2;
		} else if (c == '+' && plus_is_space) {
			c = ' ';
		}
		if (c == '\0')
			return -1;
		if (o + 1 >= dstsize)
			return -1;
		dst[o++] = c;
	}
	dst[o] = '\0';
	return (long)o;
}

int q_path_split(const char *target, size_t len, struct q_path *out, struct q_error *err)
{
	const char *q = memchr(target, '?', len);
	size_t end = q ? (size_t)(q - target) : len;
	size_t i = 0;

	out->n = 0;
	while (i < end) {
		size_t j = i;
		long n;

		while (j < end && target[j] != '/')
			j++;
		if (j > i) {
			if (out->n == Q_ROUTE_MAX_SEGS)
				return q_error_set(err, Q_EINVAL, "path has more than %d segments",
						   Q_ROUTE_MAX_SEGS);
			n = q_url_decode(target + i, j - i, out->seg[out->n], Q_ROUTE_SEG_MAX, 0);
			if (n < 0)
				return q_error_set(
				    err, Q_EINVAL,
				    "path segment %zu is malformed (a bad %%-escape, a NUL, "
				    "or longer than %d bytes)",
				    out->n + 1, Q_ROUTE_SEG_MAX - 1);
			if (strchr(out->seg[out->n], '/'))
				return q_error_set(err, Q_EINVAL,
						   "path segment %zu contains an escaped '/'",
						   out->n + 1);
			out->n++;
		}
		i = j + 1;
	}
	return 0;
}

enum q_path_class q_path_classify(const char *path, size_t len)
{
	enum q_path_class rc = Q_PATH_OK;
	size_t seg_len = 0;
	char first = 0, second = 0;

	for (size_t i = 0; i <= len; i++) {
		char c = i < len ? path[i] : '/';

		if (c == '%' && i < len) {
			int hi = i + 2 < len ? hexval(path[i + 1]) : -1;
			int lo = i + 2 < len ? hexval(path[i + 2]) : -1;

			if (hi < 0 || lo < 0)
				return Q_PATH_BAD;
			c = (char)(hi * 16 + lo);
			i += 2;
		}
		if (c == '\0')
			return Q_PATH_BAD;
		if (c == '/') {
			if (seg_len > 0 && first == '.' &&
			    !(seg_len == 1 || (seg_len == 2 && second == '.')))
				rc = Q_PATH_HIDDEN; /* go on: a NUL further on is BAD */
			seg_len = 0;
			continue;
		}
		if (seg_len == 0)
			first = c;
		else if (seg_len == 1)
			second = c;
		seg_len++;
	}
	return rc;
}

int q_path_match(const struct q_path *p, const char *pattern, const char **caps, size_t maxcaps)
{
	size_t seg = 0, ncap = 0;
	const char *s = pattern;

	while (*s) {
		const char *e = strchr(s, '/');
		size_t n = e ? (size_t)(e - s) : strlen(s);

		if (seg >= p->n)
			return 0;
		if (n == 1 && s[0] == '*') {
			if (ncap < maxcaps)
				caps[ncap++] = p->seg[seg];
		} else if (strlen(p->seg[seg]) != n || memcmp(p->seg[seg], s, n) != 0) {
			return 0;
		}
		seg++;
		s = e ? e + 1 : s + n;
	}
	return seg == p->n;
}

int q_query_get(const char *query, size_t len, const char *key, char *out, size_t outsize,
		struct q_error *err)
{
	size_t klen = strlen(key);
	size_t i = 0;

	while (i < len) {
		size_t j = i, eq;

		while (j < len && query[j] != '&')
			j++;
		eq = i;
		while (eq < j && query[eq] != '=')
			eq++;
		if (eq - i == klen && memcmp(query + i, key, klen) == 0) {
			const char *v = eq < j ? query + eq + 1 : query + j;
			size_t vlen = eq < j ? j - eq - 1 : 0;

			if (q_url_decode(v, vlen, out, outsize, 1) < 0)
				return q_error_set(
				    err, Q_EINVAL,
				    "query parameter '%s' is malformed or longer than %zu bytes",
				    key, outsize ? outsize - 1 : 0);
			return 1;
		}
		i = j + 1;
	}
	return 0;
}
