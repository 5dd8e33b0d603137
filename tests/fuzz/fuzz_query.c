/*
 * fuzz_query.c: the /metalink and /mirrorlist query parser
 * (q_mlquery_parse) on arbitrary bytes. Invariants: a success has a repo
 * and arch that pass their own rules, at most Q_MLQ_MAX_COUNTRIES upper-case
 * two-letter countries without duplicates, a non-empty protocol set within
 * the known bits, and an ip that reparses; a failure is Q_EINVAL (or
 * Q_EINTERNAL when out of memory) with a NUL-terminated message and a
 * zeroed result.
 */
#include "core/common.h"
#include "core/error.h"
#include "mirror/query.h"

#include <arpa/inet.h>
#include <ctype.h>

/* Checked in every build type (assert vanishes under NDEBUG). */
#define CHECK(x)                                                                                   \
	do {                                                                                       \
		if (!(x))                                                                          \
			abort();                                                                   \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct q_mlquery q;
	struct q_error err = {0};
	unsigned char addr[16];

	if (q_mlquery_parse((const char *)data, size, &q, &err) < 0) {
		static const struct q_mlquery zero;

		CHECK(err.code == Q_EINVAL || err.code == Q_EINTERNAL);
		CHECK(memchr(err.msg, '\0', sizeof(err.msg)) != NULL);
		CHECK(memcmp(&q, &zero, sizeof(q)) == 0);
		return 0;
	}
	CHECK(size <= Q_MLQ_MAX);
	CHECK(q.repo[0] && strlen(q.repo) <= Q_MLQ_REPO_MAX);
	for (const char *p = q.repo; *p; p++)
		CHECK(islower((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '.' ||
		      *p == '_' || *p == '-');
	CHECK(q_mlquery_arch_valid(q.arch));
	CHECK(q.n_country <= Q_MLQ_MAX_COUNTRIES);
	for (size_t i = 0; i < q.n_country; i++) {
		CHECK(isupper((unsigned char)q.country[i][0]) &&
		      isupper((unsigned char)q.country[i][1]) && q.country[i][2] == '\0');
		for (size_t j = 0; j < i; j++)
			CHECK(strcmp(q.country[i], q.country[j]) != 0);
	}
	CHECK(q.protocols != 0 &&
	      (q.protocols & ~(unsigned)(Q_MLPROTO_HTTPS | Q_MLPROTO_HTTP | Q_MLPROTO_RSYNC)) == 0);
	if (q.has_ip)
		CHECK(inet_pton(q.ip_family, q.ip, addr) == 1);
	else
		CHECK(q.ip[0] == '\0');
	return 0;
}
