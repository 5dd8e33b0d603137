/*
 * fuzz_builddeps.c: what a build prints, parsed by the worker: the
 * BuildRequires of `rpmspec -q --buildrequires` / `rpm -qp --requires`
 * (q_worker_deps_parse) and rpmbuild's "Failed build dependencies" list
 * (q_worker_missing_deps_message), on arbitrary bytes. Invariants: every
 * dependency is a non-empty line without a newline, none is an rpmlib()
 * one, none repeats; a message, when there is one, names the host backend.
 */
#include "core/common.h"
#include "build/worker.h"

#include <glib.h>

#define CHECK(x)                                                                                   \
	do {                                                                                       \
		if (!(x))                                                                          \
			abort();                                                                   \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = g_strndup((const char *)data, size);
	int dynamic = -1;
	char **deps = q_worker_deps_parse(text, &dynamic);
	char *msg;

	CHECK(dynamic == 0 || dynamic == 1);
	for (size_t i = 0; deps[i]; i++) {
		CHECK(deps[i][0]);
		CHECK(!strchr(deps[i], '\n'));
		CHECK(strncmp(deps[i], "rpmlib(", 7));
		for (size_t j = 0; j < i; j++)
			CHECK(strcmp(deps[i], deps[j]));
	}
	g_strfreev(deps);
	msg = q_worker_missing_deps_message(text);
	if (msg)
		CHECK(strstr(msg, "host backend"));
	g_free(msg);
	g_free(text);
	return 0;
}
