/*
 * fuzz_snapshot.c: the mirror snapshot loader (json_loadb as
 * q_snapshot_load_file calls it, then q_snapshot_from_json) on arbitrary
 * bytes. The file is written by the hub, but `quarry mirrorlist --snapshot`
 * reads whatever is at the path, so the parser must hold on anything.
 * JSON_ALLOW_NUL on top of the loader's flags lets NULs reach the parser's
 * own checks (the hub hands it documents that never went through a file).
 * Invariants: a failure is Q_EINVAL with a NUL-terminated message and no
 * snapshot; a success has every repo findable by its repo and arch with
 * 1..1000 versions, each holder pointing at a real mirror and version, each
 * mirror with a URL ending in '/', a bandwidth >= 1 and a known country
 * (or none), and a master without a trailing '/'. Everything is freed
 * (ASan/LSan catch leaks and overreads).
 */
#include "core/common.h"
#include "core/error.h"
#include "mirror/geoip.h"
#include "mirror/snapshot.h"

#include <ctype.h>
#include <glib.h>

/* Checked in every build type (assert vanishes under NDEBUG). */
#define CHECK(x)                                                                                   \
	do {                                                                                       \
		if (!(x))                                                                          \
			abort();                                                                   \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool url_ok(const char *u)
{
	return !u || (u[0] && u[strlen(u) - 1] == '/' && strstr(u, "://"));
}

static void check_snapshot(const struct q_snapshot *s)
{
	GHashTableIter it;
	gpointer k, v;
	size_t n_repos = 0, n_lines = 0;

	CHECK(s->master && s->pairs);
	CHECK(!s->master[0] || s->master[strlen(s->master) - 1] != '/');
	CHECK(s->built >= 0);
	g_hash_table_iter_init(&it, s->by_key);
	while (g_hash_table_iter_next(&it, &k, &v)) {
		const struct q_snap_repo *r = v;

		CHECK(r->key == k && r->repo && r->arch && r->path);
		CHECK(q_snapshot_find(s, r->repo, r->arch) == r);
		CHECK(r->n_versions >= 1 && r->n_versions <= 1000);
		for (size_t i = 0; i < r->n_versions; i++)
			CHECK(strlen(r->versions[i].digests.sha256) == 64);
		for (size_t i = 0; i < r->n_holders; i++) {
			CHECK(r->holders[i].mirror < s->n_mirrors);
			CHECK(r->holders[i].version < r->n_versions);
			if (i)
				CHECK(r->holders[i].mirror > r->holders[i - 1].mirror);
		}
		n_repos++;
	}
	for (const char *p = s->pairs; *p; p++)
		n_lines += *p == '\n';
	CHECK(n_lines >= n_repos); /* a repo or arch may hold a '\n' of its own */
	for (size_t i = 0; i < s->n_mirrors; i++) {
		const struct q_snap_mirror *m = &s->mirrors[i];

		CHECK(m->name);
		CHECK(m->http || m->https || m->rsync);
		CHECK(url_ok(m->http) && url_ok(m->https) && url_ok(m->rsync));
		CHECK(m->bandwidth >= 1);
		if (m->country[0]) {
			CHECK(isupper((unsigned char)m->country[0]) &&
			      isupper((unsigned char)m->country[1]) && !m->country[2]);
			CHECK(m->continent && m->continent == q_continent_of(m->country));
		} else {
			CHECK(!m->continent);
		}
		for (size_t j = 0; j < m->n_asn; j++)
			CHECK(m->asn[j] >= 1);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct q_error err = {0};
	struct q_snapshot *s = NULL;
	json_error_t je;
	json_t *doc;

	doc = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &je);
	if (!doc)
		return 0;
	if (q_snapshot_from_json(doc, &s, &err) < 0) {
		CHECK(!s);
		CHECK(err.code == Q_EINVAL);
		CHECK(err.msg[0] && memchr(err.msg, '\0', sizeof(err.msg)) != NULL);
	} else {
		CHECK(s);
		check_snapshot(s);
		q_snapshot_free(s);
	}
	json_decref(doc);
	return 0;
}
