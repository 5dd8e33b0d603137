/*
 * conflicts.c: the conflicts check. A file that one of the build's packages
 * ships and that a package of another name also ships — in the repos, in
 * the other builds of the update, or in another package of the build — is
 * a conflict, because rpm refuses to install the two together, unless:
 *  - the two packages cannot be installed together anyway (one obsoletes
 *    the other, or declares a Conflicts on it);
 *  - rpm accepts the pair: rpmfilesCompare says they are the same (same
 *    type, mode, owner, size and digest or link target; a %ghost on either
 *    side), or both are ELF files of different multilib colours;
 *  - both are directories (a directory of the build is never looked at:
 *    packages share directories all the time).
 * Packages of the same name are versions of one package: never a conflict.
 *
 * How: the build's file lists come from the RPM headers (librpm); the
 * other packages' file lists from libsolv (the repos' filelists.xml, the
 * RPMs of the update and the build); a path found on both sides makes the
 * other package a candidate, whose header is read (from the repo's
 * directory) to compare the two files as rpm would.
 */
#include "core/common.h"
#include "core/error.h"
#include "check/check_internal.h"
#include "check/solv.h"

#include <sys/stat.h>

#include <rpm/rpmfiles.h>
#include <solv/dataiterator.h>
#include <solv/repodata.h>
#include <solv/solvable.h>

/* One file of the build: package index and file index. */
struct bfile {
	int pkg;
	int fx;
};

struct state {
	const struct q_check_input *in;
	struct q_check_pool cp;
	rpmfiles *fi;        /* fi[i]: the files of in->rpms[i] */
	GHashTable *paths;   /* path → GArray of struct bfile (the build's files) */
	GHashTable *cands;   /* solvable id → GPtrArray of paths (keys of paths) */
	GHashTable *headers; /* solvable id → rpmfiles of a candidate */
	size_t found;
	char first[Q_CHECK_SUMMARY_MAX + 1];
};

static void free_files(gpointer p)
{
	rpmfilesFree(p);
}

static void free_array(gpointer p)
{
	g_array_unref(p);
}

static void free_ptrs(gpointer p)
{
	g_ptr_array_unref(p);
}

/* Does one of a's deps of kind key match b (by NEVR for obsoletes, by provides otherwise)? */
static int deps_match(Pool *pool, Solvable *a, Id key, Solvable *b)
{
	Queue q;
	int hit = 0;

	queue_init(&q);
	solvable_lookup_deparray(a, key, &q, 0);
	for (int i = 0; i < q.count && !hit; i++)
		hit = key == SOLVABLE_OBSOLETES
			  ? pool_match_nevr(pool, b, q.elements[i])
			  : solvable_matchesdep(b, SOLVABLE_PROVIDES, q.elements[i], 0);
	queue_free(&q);
	return hit;
}

static int never_together(Pool *pool, Solvable *a, Solvable *b)
{
	return deps_match(pool, a, SOLVABLE_OBSOLETES, b) ||
	       deps_match(pool, b, SOLVABLE_OBSOLETES, a) ||
	       deps_match(pool, a, SOLVABLE_CONFLICTS, b) ||
	       deps_match(pool, b, SOLVABLE_CONFLICTS, a);
}

static int build_index(const struct state *st, Id p)
{
	for (size_t i = 0; i < st->in->n_rpms; i++)
		if (st->cp.build_ids[i] == p)
			return (int)i;
	return -1;
}

/* The file of candidate p: the build's header, an update RPM or the repo's file. */
static rpmfiles candidate_files(struct state *st, Id p, struct q_check_result *res)
{
	Pool *pool = st->cp.pool;
	Solvable *s = pool->solvables + p;
	rpmfiles fi = g_hash_table_lookup(st->headers, GINT_TO_POINTER(p));
	char why[300], *path = NULL;
	Header h;

	if (fi)
		return fi;
	if (s->repo == st->cp.build) {
		int i = build_index(st, p);

		return i >= 0 ? st->fi[i] : NULL;
	}
	if (s->repo == st->cp.others) {
		for (size_t i = 0; i < st->in->n_others; i++)
			if (st->cp.other_ids[i] == p)
				path = g_strdup(st->in->others[i].path);
	} else {
		const struct q_check_repo *r = s->repo->appdata;
		const char *loc = solvable_lookup_location(s, NULL);

		if (r && loc && loc[0] != '/' && !strstr(loc, ".."))
			path = g_strdup_printf("%s/%s", r->dir, loc);
	}
	if (!path) {
		q_check_out(res, "note: no file for %s; not compared\n",
			    pool_solvable2str(pool, s));
		return NULL;
	}
	h = q_check_read_header(path, why, sizeof(why));
	if (!h) {
		q_check_out(res, "note: cannot read %s (%s): %s; not compared\n",
			    pool_solvable2str(pool, s), path, why);
		g_free(path);
		return NULL;
	}
	fi = rpmfilesNew(NULL, h, RPMTAG_BASENAMES, RPMFI_KEEPHEADER);
	headerFree(h);
	g_free(path);
	if (fi)
		g_hash_table_insert(st->headers, GINT_TO_POINTER(p), fi);
	return fi;
}

/* Compare every build file at path with candidate p's. */
static void compare(struct state *st, Id p, const char *path, struct q_check_result *res)
{
	Pool *pool = st->cp.pool;
	Solvable *o = pool->solvables + p;
	GArray *mine = g_hash_table_lookup(st->paths, path);
	int other_build = o->repo == st->cp.build ? build_index(st, p) : -1;
	rpmfiles ofi = NULL;
	int ox = -1;

	for (guint k = 0; k < mine->len; k++) {
		struct bfile *b = &g_array_index(mine, struct bfile, k);
		Id bp = st->cp.build_ids[b->pkg];
		Solvable *s = pool->solvables + bp;
		rpm_color_t ca, cb;
		char *a_nevra, *o_nevra;

		if (bp == p || s->name == o->name)
			continue;
		/* Two packages of the build: report the pair once. */
		if (other_build >= 0 && other_build < b->pkg)
			continue;
		if (never_together(pool, s, o))
			continue;
		if (!ofi) {
			ofi = candidate_files(st, p, res);
			if (!ofi)
				return;
			ox = rpmfilesFindFN(ofi, path);
		}
		if (ox < 0)
			return;
		if (S_ISDIR(rpmfilesFMode(st->fi[b->pkg], b->fx)) &&
		    S_ISDIR(rpmfilesFMode(ofi, ox)))
			continue;
		ca = rpmfilesFColor(st->fi[b->pkg], b->fx);
		cb = rpmfilesFColor(ofi, ox);
		if (ca && cb && ca != cb)
			continue;
		if (rpmfilesCompare(st->fi[b->pkg], b->fx, ofi, ox) == 0)
			continue;
		a_nevra = g_strdup(pool_solvable2str(pool, s));
		o_nevra = g_strdup(pool_solvable2str(pool, o));
		q_check_out(res, "CONFLICT %s: %s and %s (%s)\n", path, a_nevra, o_nevra,
			    q_check_repo_label(o));
		if (!st->found++) {
			char where[200];

			if (o->repo == st->cp.build)
				snprintf(where, sizeof(where), "both of the build");
			else if (o->repo == st->cp.others)
				snprintf(where, sizeof(where), "of the update");
			else
				snprintf(where, sizeof(where), "in repo '%s'",
					 q_check_repo_label(o));
			snprintf(st->first, sizeof(st->first), "%s and %s (%s) both ship %s",
				 a_nevra, o_nevra, where, path);
		}
		g_free(a_nevra);
		g_free(o_nevra);
	}
}

static gint cmp_id(gconstpointer a, gconstpointer b)
{
	int x = GPOINTER_TO_INT(*(gconstpointer *)a), y = GPOINTER_TO_INT(*(gconstpointer *)b);

	return x < y ? -1 : x > y;
}

static void state_release(struct state *st)
{
	if (st->fi) {
		for (size_t i = 0; i < st->in->n_rpms; i++)
			rpmfilesFree(st->fi[i]);
		g_free(st->fi);
	}
	if (st->cands)
		g_hash_table_unref(st->cands);
	if (st->headers)
		g_hash_table_unref(st->headers);
	if (st->paths)
		g_hash_table_unref(st->paths);
	q_check_pool_free(&st->cp);
}

int q_check_conflicts(const struct q_check_input *in, struct q_check_result *res,
		      struct q_error *err)
{
	struct state st;
	char why[Q_CHECK_SUMMARY_MAX + 1];
	size_t nfiles = 0;
	Dataiterator di;
	GPtrArray *ids;

	(void)err;
	memset(&st, 0, sizeof(st));
	st.in = in;
	if (in->n_rpms == 0) {
		q_check_set(res, Q_CHECK_ERROR, "the build has no RPM for %s",
			    in->arch ? in->arch : "?");
		return 0;
	}
	if (q_check_pool_load(in, 1, &st.cp, res, why, sizeof(why)) < 0) {
		q_check_set(res, Q_CHECK_ERROR, "%s", why);
		state_release(&st);
		return 0;
	}
	st.paths = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, free_array);
	st.cands = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, free_ptrs);
	st.headers = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, free_files);
	st.fi = g_new0(rpmfiles, in->n_rpms);
	for (size_t i = 0; i < in->n_rpms; i++) {
		Header h = q_check_read_header(in->rpms[i].path, why, sizeof(why));

		if (!h) {
			q_check_set(res, Q_CHECK_ERROR, "cannot read %s: %s", in->rpms[i].name,
				    why);
			state_release(&st);
			return 0;
		}
		st.fi[i] = rpmfilesNew(NULL, h, RPMTAG_BASENAMES, RPMFI_KEEPHEADER);
		headerFree(h);
		for (int fx = 0; st.fi[i] && fx < (int)rpmfilesFC(st.fi[i]); fx++) {
			char *fn;
			GArray *a;
			struct bfile b = {(int)i, fx};

			if (S_ISDIR(rpmfilesFMode(st.fi[i], fx)) ||
			    (rpmfilesFFlags(st.fi[i], fx) & RPMFILE_GHOST))
				continue;
			fn = rpmfilesFN(st.fi[i], fx);
			a = g_hash_table_lookup(st.paths, fn);
			if (!a) {
				a = g_array_new(FALSE, FALSE, sizeof(struct bfile));
				g_hash_table_insert(st.paths, g_strdup(fn), a);
			}
			g_array_append_val(a, b);
			free(fn);
			nfiles++;
		}
	}
	q_check_out(res, "the build's %zu packages ship %zu files (directories aside)\n",
		    in->n_rpms, nfiles);
	/* Every file list of the pool against the build's paths. */
	dataiterator_init(&di, st.cp.pool, NULL, 0, SOLVABLE_FILELIST, NULL, SEARCH_FILES);
	while (dataiterator_step(&di)) {
		/* kv.str is the base name; stringify with SEARCH_FILES joins the directory. */
		const char *path =
		    repodata_stringify(st.cp.pool, di.data, di.key, &di.kv, SEARCH_FILES);
		gpointer key = NULL;
		GPtrArray *list;

		if (!path || !g_hash_table_lookup_extended(st.paths, path, &key, NULL))
			continue;
		list = g_hash_table_lookup(st.cands, GINT_TO_POINTER(di.solvid));
		if (!list) {
			list = g_ptr_array_new();
			g_hash_table_insert(st.cands, GINT_TO_POINTER(di.solvid), list);
		}
		g_ptr_array_add(list, key);
	}
	dataiterator_free(&di);
	ids = g_ptr_array_new();
	{
		GHashTableIter it;
		gpointer key;

		g_hash_table_iter_init(&it, st.cands);
		while (g_hash_table_iter_next(&it, &key, NULL))
			g_ptr_array_add(ids, key);
	}
	g_ptr_array_sort(ids, cmp_id);
	for (guint i = 0; i < ids->len; i++) {
		Id p = GPOINTER_TO_INT(ids->pdata[i]);
		GPtrArray *list = g_hash_table_lookup(st.cands, ids->pdata[i]);

		for (guint k = 0; k < list->len; k++)
			compare(&st, p, list->pdata[k], res);
	}
	g_ptr_array_unref(ids);
	if (st.found > 1)
		q_check_set(res, Q_CHECK_FAIL, "%s (and %zu more conflicts)", st.first,
			    st.found - 1);
	else if (st.found)
		q_check_set(res, Q_CHECK_FAIL, "%s", st.first);
	else
		q_check_set(res, Q_CHECK_PASS, "no file of the %zu packages conflicts on %s",
			    in->n_rpms, in->arch);
	state_release(&st);
	return 0;
}
