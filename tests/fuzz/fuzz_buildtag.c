/*
 * fuzz_buildtag.c: build tags and task buildroots from untrusted JSON (a
 * PUT …/buildroot body, a worker's result). The input, parsed by jansson,
 * goes through q_buildtag_validate, q_buildtag_result_buildroot and
 * q_buildtag_result_repos, and through the stored-text readers as raw text.
 * Invariants: a validated tag list has at most Q_BUILDTAG_MAX_TAGS tags,
 * '*' (if any) first, no macro 'dist', no package starting with '-', only
 * http(s)/file URLs; its claim object has as many repos as the tag; an
 * accepted buildroot has only entries with a NEVRA.
 */
#include "core/common.h"
#include "core/error.h"
#include "build/buildtag.h"

#define CHECK(x)                                                                                   \
	do {                                                                                       \
		if (!(x))                                                                          \
			abort();                                                                   \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_tags(json_t *body)
{
	struct q_error err = {0};
	json_t *arches = json_pack("[s,s]", "x86_64", "aarch64");
	json_t *repos = json_pack("[s]", "candidate");
	json_t *out = q_buildtag_validate(body, arches, repos, "9", &err), *t, *r, *p;
	size_t i, j;

	if (!out) {
		CHECK(err.code == Q_EINVAL && err.msg[0]);
		goto done;
	}
	CHECK(json_array_size(json_object_get(out, "tags")) <= Q_BUILDTAG_MAX_TAGS);
	json_array_foreach (json_object_get(out, "tags"), i, t) {
		json_t *claim;

		CHECK(i == 0 || strcmp(json_string_value(json_object_get(t, "arch")), "*"));
		CHECK(!json_object_get(json_object_get(t, "macros"), "dist"));
		json_array_foreach (json_object_get(t, "packages"), j, p)
			CHECK(json_string_value(p)[0] != '-');
		json_array_foreach (json_object_get(t, "repos"), j, r) {
			const char *u = json_string_value(json_object_get(r, "url"));
			CHECK(!u || !strncmp(u, "http://", 7) || !strncmp(u, "https://", 8) ||
			      !strncmp(u, "file:///", 8));
		}
		claim = q_buildtag_claim_object(t, "mc", 9);
		CHECK(json_array_size(json_object_get(claim, "repos")) ==
		      json_array_size(json_object_get(t, "repos")));
		json_decref(claim);
	}
	json_decref(out);
done:
	json_decref(arches);
	json_decref(repos);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	json_t *j, *v, *e;
	struct q_error err = {0};
	size_t i;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	json_decref(q_buildtag_stored_buildroot(text));
	json_decref(q_buildtag_stored_repos(text));
	j = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL);
	free(text);
	if (!j)
		return 0;
	check_tags(j);
	v = q_buildtag_result_buildroot(j, &err);
	json_array_foreach (v, i, e)
		CHECK(json_string_length(json_object_get(e, "nevra")) > 0);
	json_decref(v);
	json_decref(q_buildtag_result_repos(j, &err));
	json_decref(j);
	return 0;
}
