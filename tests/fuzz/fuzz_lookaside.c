/*
 * fuzz_lookaside.c: q_lookaside_parse on arbitrary bytes (NULs, CRs, no
 * final newline, over-long lines and hashes, upper-case hex, targets with
 * '/', '..' or spaces, duplicates, many lines).
 * Invariants checked after every parse: on success every entry has a
 * lower-case hex hash of 40 (SHA-1) or 64 (SHA-256) digits matching
 * is_sha256, a FILE that is a plain printable name (no '/', not "." or
 * ".."), no FILE twice, and at most as many entries as lines; on failure
 * the output is NULL/0 and the message is a non-empty "file:line" string.
 */
#include "core/common.h"
#include "content/lookaside.h"
#include "core/error.h"
#include "core/hash.h"

/* Checked in every build type (assert vanishes under NDEBUG). */
#define CHECK(x)                                                                                   \
	do {                                                                                       \
		if (!(x))                                                                          \
			abort();                                                                   \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct q_lookaside_entry *e = (void *)1;
	struct q_error err = {0};
	size_t n = 12345, lines = 1;
	int rc;

	for (size_t i = 0; i < size; i++)
		lines += data[i] == '\n';
	rc = q_lookaside_parse(".fuzz.metadata", (const char *)data, size, &e, &n, &err);
	if (rc < 0) {
		CHECK(rc == -1);
		CHECK(e == NULL && n == 0);
		CHECK(memchr(err.msg, '\0', sizeof(err.msg)));
		CHECK(strncmp(err.msg, ".fuzz.metadata", 14) == 0 ||
		      strncmp(err.msg, "'.fuzz", 6) == 0);
		return 0;
	}
	CHECK(rc == 0 && e != NULL && n <= lines);
	for (size_t i = 0; i < n; i++) {
		size_t fl = strnlen(e[i].file, sizeof(e[i].file));

		CHECK(memchr(e[i].hash, '\0', sizeof(e[i].hash)));
		CHECK(q_is_hex(e[i].hash, e[i].is_sha256 ? 64 : 40));
		CHECK(fl > 0 && fl < sizeof(e[i].file));
		CHECK(!strchr(e[i].file, '/'));
		CHECK(strcmp(e[i].file, ".") != 0 && strcmp(e[i].file, "..") != 0);
		for (size_t k = 0; k < fl; k++)
			CHECK(e[i].file[k] > 0x20 && e[i].file[k] < 0x7f);
		for (size_t j = 0; j < i && n < 200; j++)
			CHECK(strcmp(e[i].file, e[j].file) != 0);
	}
	free(e);
	return 0;
}
