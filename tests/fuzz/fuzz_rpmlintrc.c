/*
 * fuzz_rpmlintrc.c: a package's own rpmlintrc (untrusted: the SIG's git
 * tree), cleaned by q_rpmlintrc_clean, and a tar read by
 * q_check_tar_member_fd, on arbitrary bytes. Invariants: the cleaned text
 * is valid UTF-8 made only of lines that start with addFilter(" or
 * setBadness(" and end with ")"; nothing over the size limit is read; a
 * member found is no larger than the bound asked for.
 */
#include "core/common.h"
#include "core/error.h"
#include "check/check.h"

#include <glib.h>
#include <sys/mman.h>

#define CHECK(x)                                                                                   \
	do {                                                                                       \
		if (!(x))                                                                          \
			abort();                                                                   \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_clean(const char *text, size_t len)
{
	GString *out = g_string_new(NULL), *notes = g_string_new(NULL);
	struct q_error err = {0};
	int rc = q_rpmlintrc_clean("x.rpmlintrc", text, len, out, notes, &err);

	if (len > Q_RPMLINTRC_MAX) {
		CHECK(rc < 0 && err.code == Q_ETOOBIG);
	} else {
		CHECK(rc == 0);
		CHECK(g_utf8_validate(out->str, (gssize)out->len, NULL));
		CHECK(strlen(out->str) == out->len);
		char **lines = g_strsplit(out->str, "\n", -1);

		for (char **p = lines; *p; p++) {
			if (!**p)
				continue;
			CHECK(g_str_has_prefix(*p, "addFilter(\"") ||
			      g_str_has_prefix(*p, "setBadness(\""));
			CHECK(g_str_has_suffix(*p, ")"));
		}
		g_strfreev(lines);
	}
	g_string_free(out, TRUE);
	g_string_free(notes, TRUE);
}

static void check_tar(const uint8_t *data, size_t size)
{
	static const char *const names[] = {"a.rpmlintrc", "SPECS/a.rpmlintrc", NULL};
	int fd = memfd_create("fuzz-tar", MFD_CLOEXEC);
	struct q_error err = {0};
	char *out = NULL;
	size_t len = 0, which = 99;
	int rc;

	if (fd < 0)
		return;
	if (write(fd, data, size) != (ssize_t)size || lseek(fd, 0, SEEK_SET) != 0) {
		close(fd);
		return;
	}
	rc = q_check_tar_member_fd(fd, names, 1024, &out, &len, &which, &err);
	CHECK(rc >= -1 && rc <= 1);
	if (rc == 1) {
		CHECK(out && len <= 1024 && which < 2 && out[len] == '\0');
	} else {
		CHECK(!out);
	}
	g_free(out);
	close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_clean((const char *)data, size);
	check_tar(data, size);
	return 0;
}
