/*
 * fuzz_mirrordef.c: q_mirrordef_parse on arbitrary bytes (broken YAML,
 * NULs, deep nesting, anchors, huge lists, odd encodings). Invariants
 * checked after every parse: the error count matches the lines written (up
 * to the cap), every warning line names the file, a valid definition has
 * every required field (sponsor_url may have been left out) and an address
 * the crawler can use, and a JSON rendering; an invalid one is left empty;
 * everything is freed (ASan/LSan catch leaks and overreads).
 */
#include "core/common.h"
#include "mirror/mirrordef.h"

/* Checked in every build type (assert vanishes under NDEBUG). */
#define CHECK(x)                                                                                   \
	do {                                                                                       \
		if (!(x))                                                                          \
			abort();                                                                   \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct q_mirror_def d;
	GString *errors = g_string_new(NULL), *warnings = g_string_new(NULL);
	size_t lines = 0;
	int n;

	n = q_mirrordef_parse_warn("fuzz.yml", (const char *)data, size, &d, errors, warnings);
	CHECK(n >= 0);
	for (size_t i = 0; i < errors->len; i++)
		lines += errors->str[i] == '\n';
	if (n <= Q_MIRRORDEF_MAX_ERRORS)
		CHECK(lines == (size_t)n);
	else
		CHECK(lines == Q_MIRRORDEF_MAX_ERRORS + 1);
	if (n == 0) {
		json_t *j = q_mirrordef_to_json(&d);

		CHECK(d.name && d.sponsor && d.update_frequency);
		CHECK(d.http || d.https || d.rsync);
		CHECK(d.update_seconds == 0 || d.update_seconds >= 60);
		CHECK(!d.monopoly || d.is_private);
		CHECK(!d.country || (strlen(d.country) == 2 && g_ascii_isupper(d.country[0]) &&
				     g_ascii_isupper(d.country[1])));
		CHECK(j);
		json_decref(j);
	} else {
		CHECK(!d.name && !d.file && !d.asn && !d.subnets);
	}
	for (char *l = warnings->str; *l; l = strchr(l, '\n') + 1) {
		CHECK(g_str_has_prefix(l, "fuzz.yml:"));
		CHECK(strchr(l, '\n'));
	}
	q_mirrordef_release(&d);
	g_string_free(errors, TRUE);
	g_string_free(warnings, TRUE);
	return 0;
}
