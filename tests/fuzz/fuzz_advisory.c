/*
 * fuzz_advisory.c: the checks of an update's advisory fields
 * (q_advisory_fields, q_advisory_ref in src/api/advisory.c) on arbitrary
 * request bodies, as create (no stored update) and as an edit of a stored
 * security update. Invariants: a failure is Q_EINVAL with a message;
 * a success holds only the five fields, a type among the four, a severity
 * among the four names (or ""), only with type security, and references
 * that are objects of four strings, each URL http(s), each a fixed point
 * (checked again, a reference comes out the same).
 */
#include "core/common.h"
#include "core/error.h"
#include "api/advisory.h"

#include <strings.h>

#define CHECK(x)                                                                                   \
	do {                                                                                       \
		if (!(x))                                                                          \
			abort();                                                                   \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int one_of(const char *s, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(s, list[i]))
			return 1;
	return 0;
}

static void check_out(json_t *out, json_t *current)
{
	static const char *const keys[] = {"type", "severity", "title", "notes", "references"};
	static const char *const types[] = {"bugfix", "security", "enhancement", "newpackage"};
	static const char *const sevs[] = {"", "Low", "Moderate", "Important", "Critical"};
	const char *key, *type, *sev;
	json_t *v, *r;
	size_t i;

	json_object_foreach (out, key, v)
		CHECK(one_of(key, keys, Q_ARRAY_LEN(keys)));
	type = json_string_value(json_object_get(out, "type"));
	if (!type)
		type = current ? json_string_value(json_object_get(current, "type")) : "bugfix";
	CHECK(type && one_of(type, types, Q_ARRAY_LEN(types)));
	sev = json_string_value(json_object_get(out, "severity"));
	if (!sev)
		sev = current ? json_string_value(json_object_get(current, "severity")) : "";
	CHECK(sev && one_of(sev, sevs, Q_ARRAY_LEN(sevs)));
	CHECK(!strcmp(type, "security") == (*sev != '\0'));
	v = json_object_get(out, "references");
	CHECK(!v || (json_is_array(v) && json_array_size(v) <= Q_ADV_REFS_MAX));
	json_array_foreach (v, i, r) {
		json_t *again = NULL;
		struct q_error err = {0};
		const char *url = json_string_value(json_object_get(r, "url"));

		CHECK(json_object_size(r) == 4 && url);
		CHECK(!strncasecmp(url, "http://", 7) || !strncasecmp(url, "https://", 8));
		CHECK(q_advisory_ref(r, "r", &again, &err) == 0 && json_equal(r, again));
		json_decref(again);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *body = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL);
	json_t *current = json_pack("{s:s,s:s}", "type", "security", "severity", "Moderate");
	json_t *out = NULL;
	struct q_error err = {0};

	if (!body) {
		json_decref(current);
		return 0;
	}
	for (int strict = 0; strict < 2; strict++) {
		json_t *cur = strict ? current : NULL;

		if (q_advisory_fields(body, cur, strict, &out, &err) < 0) {
			CHECK(err.code == Q_EINVAL && err.msg[0]);
			CHECK(!out);
			continue;
		}
		check_out(out, cur);
		json_decref(out);
		out = NULL;
	}
	json_decref(body);
	json_decref(current);
	return 0;
}
