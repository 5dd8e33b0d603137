/*
 * snapshot.c: see snapshot.h.
 */
#include "core/common.h"
#include "core/error.h"
#include "mirror/snapshot.h"
#include "store/store.h"

#include <glib.h>
#include <time.h>

static void repo_free(gpointer p)
{
	struct q_snap_repo *r = p;

	g_free(r->key);
	g_free(r->repo);
	g_free(r->arch);
	g_free(r->path);
	g_free(r->versions);
	g_free(r);
}

static void copy_hex(char *dst, size_t size, json_t *v)
{
	snprintf(dst, size, "%s", json_string_value(v) ? json_string_value(v) : "");
}

int q_snapshot_build(struct q_store *st, const char *public_url, int64_t window,
		     struct q_snapshot **out, struct q_error *err)
{
	json_t *rows = NULL, *row;
	struct q_snapshot *s;
	GHashTable *t;
	GString *pairs;
	size_t i;
	int64_t now = (int64_t)time(NULL);

	*out = NULL;
	if (q_store_publish_window(st, now - window, &rows, err) < 0)
		return -1;
	t = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, repo_free);
	pairs = g_string_new(NULL);
	json_array_foreach (rows, i, row) {
		const char *sig = json_string_value(json_object_get(row, "sig"));
		const char *name = json_string_value(json_object_get(row, "repo"));
		const char *arch = json_string_value(json_object_get(row, "arch"));
		int64_t major = json_integer_value(json_object_get(row, "major"));
		char *repo = g_strdup_printf("sig-%s-%s-%" PRId64, sig, name, major);
		char *key = g_strdup_printf("%s/%s", repo, arch);
		struct q_snap_repo *r = g_hash_table_lookup(t, key);
		struct q_repomd_version *v;

		if (!r) {
			r = g_new0(struct q_snap_repo, 1);
			r->key = key;
			r->repo = repo;
			r->arch = g_strdup(arch);
			r->path = g_strdup_printf("/pub/sig/%" PRId64 "/%s/%s/%s/", major, sig,
						  arch, name);
			g_hash_table_insert(t, r->key, r);
			g_string_append_printf(pairs, "repo=%s&arch=%s\n", repo, arch);
		} else {
			g_free(key);
			g_free(repo);
		}
		r->versions = g_renew(struct q_repomd_version, r->versions, r->n_versions + 1);
		v = &r->versions[r->n_versions++];
		memset(v, 0, sizeof(*v));
		v->timestamp = json_integer_value(json_object_get(row, "revision"));
		v->size = (uint64_t)json_integer_value(json_object_get(row, "size"));
		copy_hex(v->digests.md5, sizeof(v->digests.md5), json_object_get(row, "md5"));
		copy_hex(v->digests.sha1, sizeof(v->digests.sha1), json_object_get(row, "sha1"));
		copy_hex(v->digests.sha256, sizeof(v->digests.sha256),
			 json_object_get(row, "sha256"));
		copy_hex(v->digests.sha512, sizeof(v->digests.sha512),
			 json_object_get(row, "sha512"));
	}
	json_decref(rows);
	s = g_new0(struct q_snapshot, 1);
	s->by_key = t;
	s->pairs = g_string_free(pairs, FALSE);
	s->built = now;
	s->master = g_strdup(public_url);
	while (*s->master && s->master[strlen(s->master) - 1] == '/')
		s->master[strlen(s->master) - 1] = '\0';
	*out = s;
	return 0;
}

void q_snapshot_free(struct q_snapshot *s)
{
	if (!s)
		return;
	g_hash_table_destroy(s->by_key);
	g_free(s->pairs);
	g_free(s->master);
	g_free(s);
}

const struct q_snap_repo *q_snapshot_find(const struct q_snapshot *s, const char *repo,
					  const char *arch)
{
	char key[256];

	if (!s || snprintf(key, sizeof(key), "%s/%s", repo, arch) >= (int)sizeof(key))
		return NULL;
	return g_hash_table_lookup(s->by_key, key);
}

struct retired {
	struct q_snapshot *s;
	int64_t when;
};

void q_snapshot_holder_init(struct q_snapshot_holder *h)
{
	GMutex *m = g_new0(GMutex, 1);

	g_mutex_init(m);
	atomic_store(&h->cur, NULL);
	h->retired = g_queue_new();
	h->lock = m;
}

void q_snapshot_holder_swap(struct q_snapshot_holder *h, struct q_snapshot *s)
{
	struct q_snapshot *old = atomic_exchange(&h->cur, s);
	int64_t now = (int64_t)time(NULL);
	struct retired *r;

	g_mutex_lock(h->lock);
	if (old) {
		r = g_new(struct retired, 1);
		r->s = old;
		r->when = now;
		g_queue_push_tail(h->retired, r);
	}
	while ((r = g_queue_peek_head(h->retired)) && r->when < now - 60) {
		g_queue_pop_head(h->retired);
		q_snapshot_free(r->s);
		g_free(r);
	}
	g_mutex_unlock(h->lock);
}

void q_snapshot_holder_release(struct q_snapshot_holder *h)
{
	struct retired *r;

	if (!h->lock)
		return;
	while ((r = g_queue_pop_head(h->retired))) {
		q_snapshot_free(r->s);
		g_free(r);
	}
	g_queue_free(h->retired);
	q_snapshot_free(atomic_exchange(&h->cur, NULL));
	g_mutex_clear(h->lock);
	g_free(h->lock);
	h->lock = NULL;
	h->retired = NULL;
}
