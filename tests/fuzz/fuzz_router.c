/*
 * fuzz_router.c: the request-target parsers on arbitrary bytes. The input
 * is split into a path (q_path_split, then q_path_match against a few API
 * patterns) and a query (q_query_get for several keys, with a small and a
 * normal output buffer), and q_url_decode is run on the whole input.
 * Invariants: a split path has at most Q_ROUTE_MAX_SEGS segments, none
 * empty, none containing '/'; a decoded value is NUL-terminated inside its
 * buffer and has no NUL before its returned length; q_path_classify
 * calls a raw NUL BAD and never a path q_url_decode accepts.
 */
#include "core/common.h"
#include "core/error.h"
#include "http/router.h"

/* Checked in every build type (assert vanishes under NDEBUG). */
#define CHECK(x)                                                                                   \
	do {                                                                                       \
		if (!(x))                                                                          \
			abort();                                                                   \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *patterns[] = {
    "api/v1/sigs",
    "api/v1/sigs/*",
    "api/v1/sigs/*/projects/*/repos/*",
    "api/v1/sigs/*/members/*",
    "pub/*/*/*/*/*",
    "*",
    "",
};

static const char *keys[] = {"limit", "arch", "q", "", "a", "name"};

static void check_path(const char *target, size_t len)
{
	struct q_path p;
	struct q_error err;
	const char *caps[8];

	if (q_path_split(target, len, &p, &err) < 0) {
		CHECK(err.code == Q_EINVAL);
		return;
	}
	CHECK(p.n <= Q_ROUTE_MAX_SEGS);
	for (size_t i = 0; i < p.n; i++) {
		CHECK(memchr(p.seg[i], '\0', Q_ROUTE_SEG_MAX));
		CHECK(p.seg[i][0] != '\0');
		CHECK(!strchr(p.seg[i], '/'));
	}
	for (size_t i = 0; i < Q_ARRAY_LEN(patterns); i++) {
		if (q_path_match(&p, patterns[i], caps, Q_ARRAY_LEN(caps)) == 1)
			CHECK(p.n > 0 || patterns[i][0] == '\0');
		/* fewer capture slots than '*' segments must not overflow */
		(void)q_path_match(&p, patterns[i], caps, 1);
	}
}

static void check_query(const char *query, size_t len)
{
	char small[4], out[256];
	struct q_error err;

	for (size_t i = 0; i < Q_ARRAY_LEN(keys); i++) {
		int rc = q_query_get(query, len, keys[i], out, sizeof(out), &err);

		CHECK(rc >= -1 && rc <= 1);
		if (rc == 1)
			CHECK(memchr(out, '\0', sizeof(out)));
		rc = q_query_get(query, len, keys[i], small, sizeof(small), &err);
		if (rc == 1)
			CHECK(strlen(small) < sizeof(small));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	const char *q = memchr(s, '?', size);
	char *dec = malloc(size + 1);
	long n;

	check_path(s, size);
	if (q)
		check_query(q + 1, size - (size_t)(q - s) - 1);
	else
		check_query(s, size);
	{
		/* q_path_classify: a raw NUL is always BAD; a path that
		 * q_url_decode accepts (no NUL, no bad escape) is never BAD. */
		enum q_path_class c = q_path_classify(s, size);

		CHECK(c == Q_PATH_OK || c == Q_PATH_HIDDEN || c == Q_PATH_BAD);
		if (memchr(s, '\0', size))
			CHECK(c == Q_PATH_BAD);
		if (dec && size && q_url_decode(s, size, dec, size + 1, 0) >= 0)
			CHECK(c != Q_PATH_BAD);
	}
	if (dec) {
		n = q_url_decode(s, size, dec, size + 1, 1);
		CHECK(n >= -1 && n <= (long)size);
		if (n >= 0)
			CHECK(dec[n] == '\0' && strlen(dec) == (size_t)n);
		free(dec);
	}
	return 0;
}
