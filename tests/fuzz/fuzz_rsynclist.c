/*
 * fuzz_rsynclist.c: the crawler's reading of `rsync --list-only` output
 * (q_crawl_rsync_parse_list_line, one line per call) and its check of an
 * rsync URL from a mirror definition (q_crawl_rsync_url_problem), on
 * arbitrary bytes: the listing's names come from the mirror's daemon, the
 * URL from its definition. Invariants: a line is accepted only as a
 * regular file with a size >= 0 and a NUL-terminated path that fits; an
 * accepted URL starts with rsync://, has no byte below 0x21, no
 * backslash or wildcard, and a host that does not start with '-'.
 */
#include "core/common.h"
#include "mirror/crawl_rsync.h"

#define CHECK(x)                                                                                   \
	do {                                                                                       \
		if (!(x))                                                                          \
			abort();                                                                   \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), path[64];
	int64_t n = -1;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (q_crawl_rsync_parse_list_line(s, &n, path, sizeof(path))) {
		CHECK(s[0] == '-');
		CHECK(n >= 0);
		CHECK(strlen(path) < sizeof(path));
	}
	if (!q_crawl_rsync_url_problem(s)) {
		CHECK(!strncmp(s, "rsync://", 8));
		for (const char *p = s; *p; p++)
			CHECK((unsigned char)*p > 0x20 && *p != 0x7f && !strchr("\\*?[", *p));
		CHECK(s[8] != '-');
	}
	free(s);
	return 0;
}
