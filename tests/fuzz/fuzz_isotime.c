/*
 * fuzz_isotime.c: q_time_parse (a date a user types: --since, API query
 * values) on arbitrary bytes. Invariants: a failure leaves *t untouched; a
 * success is a time from 1970 on whose ISO form, printed by q_time_iso,
 * is the input (the long form) or starts with it and is midnight (the
 * short form), and parses back to the same time.
 */
#include "core/common.h"
#include "core/isotime.h"

/* Checked in every build type (assert vanishes under NDEBUG). */
#define CHECK(x)                                                                                   \
	do {                                                                                       \
		if (!(x))                                                                          \
			abort();                                                                   \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char in[64], iso[Q_ISO_TIME_LEN];
	int64_t t = -42, back = -42;

	if (size >= sizeof(in))
		return 0;
	memcpy(in, data, size);
	in[size] = '\0';
	if (q_time_parse(in, &t) < 0) {
		CHECK(t == -42);
		return 0;
	}
	CHECK(t >= 0);
	if (t == 0) /* the epoch itself: q_time_iso calls it unset */
		return 0;
	q_time_iso(t, iso);
	if (strlen(in) == 20 && strcmp(in + 17, "60Z")) /* a leap second rolls over */
		CHECK(!strcmp(in, iso));
	if (strlen(in) == 10)
		CHECK(!strncmp(in, iso, 10) && !strcmp(iso + 10, "T00:00:00Z"));
	CHECK(q_time_parse(iso, &back) == 0 && back == t);
	return 0;
}
