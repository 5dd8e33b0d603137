/*
 * fuzz_listquery.c: what the list filters and the package search take from
 * a request, on arbitrary bytes: the query's parameter names
 * (q_api_query_known), a package name or pattern (q_package_name_valid),
 * and a --since value (q_cli_parse_since). Invariants: a query is accepted
 * only when every parameter name is a known one, and a refusal names one
 * that is not; a valid name is 1 to 255 bytes of [A-Za-z0-9._+-] (and '*',
 * '?' for a pattern), every name is a pattern too; a --since time is within
 * a hundred years before now or a date from 1970 on.
 */
#include "core/common.h"
#include "core/error.h"
#include "core/names.h"
#include "api/api.h"
#include "cli/client.h"

#include <glib.h>

#define CHECK(x)                                                                                   \
	do {                                                                                       \
		if (!(x))                                                                          \
			abort();                                                                   \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int known_key(const char *k, size_t len, const char *const *keys)
{
	for (size_t i = 0; keys[i]; i++)
		if (strlen(keys[i]) == len && !memcmp(keys[i], k, len))
			return 1;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const keys[] = {"sig",     "project", "state", "owner",
					   "package", "since",   "limit", NULL};
	const int64_t now = 1796300000;
	struct q_request r;
	struct q_error err = {0};
	char *text = g_strndup((const char *)data, size);
	int all_known = 1;
	int64_t t = 0;

	/* the query: the parameter names, as the parser splits them */
	memset(&r, 0, sizeof(r));
	r.query = (const char *)data;
	r.query_len = size;
	for (size_t i = 0; i < size;) {
		size_t j = i, k = i;

		while (j < size && data[j] != '&')
			j++;
		while (k < j && data[k] != '=')
			k++;
		if (k > i && !known_key((const char *)data + i, k - i, keys))
			all_known = 0;
		i = j + 1;
	}
	if (q_api_query_known(&r, keys, &err) == 0) {
		CHECK(all_known);
	} else {
		CHECK(!all_known);
		CHECK(err.code == Q_EINVAL);
		CHECK(memchr(err.msg, '\0', sizeof(err.msg)) != NULL);
		CHECK(strstr(err.msg, "query parameter '") != NULL);
	}

	/* a package name or pattern (the text up to a NUL byte) */
	if (q_package_name_valid(text, 0)) {
		size_t n = strlen(text);

		CHECK(n >= 1 && n <= 255);
		CHECK(q_package_name_valid(text, 1));
		CHECK(!strpbrk(text, "*?[]/ \\'\""));
	}
	if (q_package_name_valid(text, 1))
		CHECK(!strpbrk(text, "[]/ \\'\""));

	/* a --since value */
	memset(&err, 0, sizeof(err));
	if (q_cli_parse_since(text, now, &t, &err) == 0)
		CHECK(t >= 0 && (t <= now || text[4] == '-'));
	else
		CHECK(err.code == Q_EINVAL && strstr(err.msg, "neither a date"));
	g_free(text);
	return 0;
}
