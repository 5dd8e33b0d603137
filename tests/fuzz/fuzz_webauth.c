/*
 * fuzz_webauth.c: the parsers of the web sign-in that read what a browser
 * or an operator sends: the Cookie header (q_web_cookie_get), the group
 * map (q_groupmap_parse and q_groupmap_match with every group name cut
 * from the input), the return path and the same-origin rule. Invariants:
 * a cookie value found is non-empty base64url that fits; a parsed map
 * has at most Q_GROUPMAP_MAX entries and a match names a valid SIG; a
 * return path is "/" or the input, starting with one '/'.
 */
#include "core/common.h"
#include "core/names.h"
#include "web/authutil.h"
#include "web/groupmap.h"

#include <ctype.h>

#define CHECK(x)                                                                                   \
	do {                                                                                       \
		if (!(x))                                                                          \
			abort();                                                                   \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), v[64], msg[256], sig[40];
	struct q_groupmap *m = malloc(sizeof(*m));
	const char *ret;
	bool lead;
	int rc;

	if (!s || !m)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	rc = q_web_cookie_get(s, "quarry_session", v, sizeof(v));
	CHECK(rc >= -1 && rc <= 1);
	if (rc == 1) {
		CHECK(v[0] && strlen(v) < sizeof(v));
		for (const char *p = v; *p; p++)
			CHECK(isalnum((unsigned char)*p) || *p == '-' || *p == '_');
	}
	if (q_groupmap_parse(s, m, msg, sizeof(msg)) == 0) {
		CHECK(m->n <= Q_GROUPMAP_MAX);
		for (size_t i = 0; i < m->n; i++) {
			const char *p = s;

			while (*p) {
				char g[256];
				size_t l = strcspn(p, " ,:=");

				if (l && l < sizeof(g)) {
					memcpy(g, p, l);
					g[l] = '\0';
					if (q_groupmap_match(&m->e[i], g, sig, &lead))
						CHECK(q_name_check(Q_NAME_SIG, "sig", sig, NULL) ==
						      0);
				}
				p += l;
				if (*p)
					p++;
			}
		}
	} else {
		CHECK(msg[0]);
	}
	ret = q_web_safe_return(s);
	CHECK(ret[0] == '/' && (ret == s || !strcmp(ret, "/")));
	(void)q_web_same_origin("http://127.0.0.1:8080", s, s);
	free(m);
	free(s);
	return 0;
}
