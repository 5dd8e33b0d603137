/*
 * query.c: parsing and checking the query string of /metalink and
 * /mirrorlist requests (the rules are in query.h).
 *
 * One pass splits the string on '&', decodes every name and value with
 * q_url_decode (so a malformed unknown parameter is refused too: a
 * malformed query is a broken or hostile client) and remembers the last
 * value of each known parameter; a second step validates those values.
 */
#include "core/common.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "core/error.h"
#include "core/names.h"
#include "http/router.h"
#include "mirror/query.h"

enum param { P_REPO, P_ARCH, P_COUNTRY, P_PROTOCOL, P_IP, P_NETBLOCK, P_REDIRECT, P_COUNT };

static const char *const param_names[P_COUNT] = {
    "repo", "arch", "country", "protocol", "ip", "netblock", "redirect",
};

struct seen {
	bool present[P_COUNT];                  /* the parameter occurred */
	char val[P_COUNT][Q_MLQ_VALUE_MAX + 1]; /* its last decoded value */
};

/* A printable, bounded copy of an untrusted name for an error message. */
static void printable(const char *s, size_t len, char *out, size_t outsize)
{
	size_t o = 0;

	for (size_t i = 0; i < len && o + 1 < outsize; i++) {
		unsigned char c = (unsigned char)s[i];

		out[o++] = (isalnum(c) || c == '_' || c == '-' || c == '.') ? (char)c : '?';
	}
	out[o] = '\0';
	if (len >= outsize && outsize > 4)
		memcpy(out + outsize - 4, "...", 4);
}

int q_mlquery_arch_valid(const char *arch)
{
	return q_arch_valid(arch) || strcmp(arch, "noarch") == 0 || strcmp(arch, "source") == 0;
}

static int check_repo(const char *v, struct q_error *err)
{
	size_t n = strlen(v);

	if (n == 0 || n > Q_MLQ_REPO_MAX)
		return q_error_set(err, Q_EINVAL,
				   "query parameter 'repo' must be 1 to %d characters long",
				   Q_MLQ_REPO_MAX);
	for (size_t i = 0; i < n; i++) {
		char c = v[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		      c == '-'))
			return q_error_set(err, Q_EINVAL,
					   "query parameter 'repo' may contain only a-z, 0-9, '.', "
					   "'_' and '-'");
	}
	return 0;
}

/*
 * Walk the comma-separated items of v, calling fn on each non-empty one
 * (NUL-terminated in a scratch copy). Stops at the first failure.
 */
static int each_item(const char *v,
		     int (*fn)(const char *item, struct q_mlquery *out, struct q_error *err),
		     struct q_mlquery *out, struct q_error *err)
{
	char item[Q_MLQ_VALUE_MAX + 1];

	while (*v) {
		size_t n = strcspn(v, ",");

		if (n > 0) {
			memcpy(item, v, n);
			item[n] = '\0';
			if (fn(item, out, err) < 0)
				return -1;
		}
		v += n;
		if (*v == ',')
			v++;
	}
	return 0;
}

static int add_country(const char *item, struct q_mlquery *out, struct q_error *err)
{
	char cc[3];
	char shown[16];

	if (strcasecmp(item, "global") == 0) {
		out->country_global = true;
		return 0;
	}
	if (strlen(item) != 2 || !isalpha((unsigned char)item[0]) ||
	    !isalpha((unsigned char)item[1])) {
		printable(item, strlen(item), shown, sizeof(shown));
		return q_error_set(err, Q_EINVAL,
				   "query parameter 'country': '%s' is not a two-letter country "
				   "code or 'global'",
				   shown);
	}
	cc[0] = (char)toupper((unsigned char)item[0]);
	cc[1] = (char)toupper((unsigned char)item[1]);
	cc[2] = '\0';
	for (size_t i = 0; i < out->n_country; i++)
		if (strcmp(out->country[i], cc) == 0)
			return 0;
	if (out->n_country == Q_MLQ_MAX_COUNTRIES)
		return q_error_set(err, Q_EINVAL,
				   "query parameter 'country' has more than %d countries",
				   Q_MLQ_MAX_COUNTRIES);
	memcpy(out->country[out->n_country++], cc, 3);
	return 0;
}

static int add_protocol(const char *item, struct q_mlquery *out, struct q_error *err)
{
	char shown[16];

	if (strcasecmp(item, "https") == 0)
		out->protocols |= Q_MLPROTO_HTTPS;
	else if (strcasecmp(item, "http") == 0)
		out->protocols |= Q_MLPROTO_HTTP;
	else if (strcasecmp(item, "rsync") == 0)
		out->protocols |= Q_MLPROTO_RSYNC;
	else {
		printable(item, strlen(item), shown, sizeof(shown));
		return q_error_set(err, Q_EINVAL,
				   "query parameter 'protocol': '%s' is not https, http or rsync",
				   shown);
	}
	return 0;
}

static int check_ip(const char *v, struct q_mlquery *out, struct q_error *err)
{
	unsigned char buf[sizeof(struct in6_addr)];

	if (inet_pton(AF_INET, v, buf) == 1)
		out->ip_family = AF_INET;
	else if (inet_pton(AF_INET6, v, buf) == 1)
		out->ip_family = AF_INET6;
	else
		return q_error_set(err, Q_EINVAL,
				   "query parameter 'ip' is not an IPv4 or IPv6 address");
	if (!inet_ntop(out->ip_family, buf, out->ip, sizeof(out->ip)))
		return q_error_set(err, Q_EINTERNAL, "cannot format the 'ip' address");
	out->has_ip = true;
	return 0;
}

/* Split, decode and remember the last value of every known parameter. */
static int scan(const char *qs, size_t len, struct seen *s, struct q_error *err)
{
	char name[Q_MLQ_VALUE_MAX + 1], value[Q_MLQ_VALUE_MAX + 1], shown[40];
	size_t i = 0;

	while (i < len) {
		size_t j = i, eq;

		while (j < len && qs[j] != '&')
			j++;
		eq = i;
		while (eq < j && qs[eq] != '=')
			eq++;
		if (j == i) {
			i = j + 1;
			continue; /* "&&" or a trailing '&' */
		}
		if (q_url_decode(qs + i, eq - i, name, sizeof(name), 1) < 0) {
			printable(qs + i, eq - i, shown, sizeof(shown));
			return q_error_set(
			    err, Q_EINVAL,
			    "query parameter name '%s' is malformed (a bad %%-escape, "
			    "a NUL, or longer than %d bytes)",
			    shown, Q_MLQ_VALUE_MAX);
		}
		printable(name, strlen(name), shown, sizeof(shown));
		if (q_url_decode(eq < j ? qs + eq + 1 : qs + j, eq < j ? j - eq - 1 : 0, value,
				 sizeof(value), 1) < 0)
			return q_error_set(err, Q_EINVAL,
					   "query parameter '%s' is malformed (a bad %%-escape, a "
					   "NUL, or longer than %d bytes)",
					   shown, Q_MLQ_VALUE_MAX);
		for (int p = 0; p < P_COUNT; p++) {
			if (strcmp(name, param_names[p]) == 0) {
				s->present[p] = true;
				memcpy(s->val[p], value, strlen(value) + 1);
				break;
			}
		}
		i = j + 1;
	}
	return 0;
}

static int parse(const char *qs, size_t len, struct q_mlquery *out, struct q_error *err)
{
	struct seen *s;
	int ret = -1;

	if (len > Q_MLQ_MAX)
		return q_error_set(err, Q_EINVAL, "query string is longer than %d bytes",
				   Q_MLQ_MAX);
	if (memchr(qs, '\0', len))
		return q_error_set(err, Q_EINVAL, "query string contains a NUL byte");
	s = calloc(1, sizeof(*s));
	if (!s)
		return q_error_set(err, Q_EINTERNAL, "out of memory");
	if (scan(qs, len, s, err) < 0)
		goto out;

	if (!s->present[P_REPO] || !s->val[P_REPO][0]) {
		q_error_set(err, Q_EINVAL, "query parameter 'repo' is required");
		goto out;
	}
	if (check_repo(s->val[P_REPO], err) < 0)
		goto out;
	memcpy(out->repo, s->val[P_REPO], strlen(s->val[P_REPO]) + 1);

	if (!s->present[P_ARCH] || !s->val[P_ARCH][0]) {
		q_error_set(err, Q_EINVAL, "query parameter 'arch' is required");
		goto out;
	}
	if (strlen(s->val[P_ARCH]) >= sizeof(out->arch) || !q_mlquery_arch_valid(s->val[P_ARCH])) {
		char shown[40];

		printable(s->val[P_ARCH], strlen(s->val[P_ARCH]), shown, sizeof(shown));
		q_error_set(err, Q_EINVAL, "query parameter 'arch': '%s' is not a known arch",
			    shown);
		goto out;
	}
	memcpy(out->arch, s->val[P_ARCH], strlen(s->val[P_ARCH]) + 1);

	if (s->present[P_COUNTRY] && each_item(s->val[P_COUNTRY], add_country, out, err) < 0)
		goto out;
	if (s->present[P_PROTOCOL] && each_item(s->val[P_PROTOCOL], add_protocol, out, err) < 0)
		goto out;
	if (!out->protocols)
		out->protocols = Q_MLPROTO_HTTPS | Q_MLPROTO_HTTP;
	if (s->present[P_IP] && s->val[P_IP][0] && check_ip(s->val[P_IP], out, err) < 0)
		goto out;
	out->netblock = !(s->present[P_NETBLOCK] && strcmp(s->val[P_NETBLOCK], "0") == 0);
	out->redirect = s->present[P_REDIRECT] && strcmp(s->val[P_REDIRECT], "0") != 0 &&
			strcasecmp(s->val[P_REDIRECT], "no") != 0 &&
			strcasecmp(s->val[P_REDIRECT], "false") != 0;
	ret = 0;
out:
	free(s);
	return ret;
}

int q_mlquery_parse(const char *qs, size_t len, struct q_mlquery *out, struct q_error *err)
{
	memset(out, 0, sizeof(*out));
	if (parse(qs ? qs : "", qs ? len : 0, out, err) < 0) {
		memset(out, 0, sizeof(*out));
		return -1;
	}
	return 0;
}
