/*
 * closure.c: the closure check, and the libsolv pool it shares with the
 * conflicts check (check_internal.h).
 *
 * The pool, for one arch (pool_setarch: the arch, its compatible arches
 * and noarch are installable): every repo's primary metadata (and
 * filelists, so that file requires and file lists are complete), read from
 * its repodata/repomd.xml with libsolvext's repomd and rpmmd parsers; the
 * build's RPMs and the RPMs of the other builds of its update, read with
 * repo_add_rpm. Nothing is installed.
 *
 * The check, for every package of the build:
 *  1. every Requires (rpmlib() ones aside: rpm provides them itself) has a
 *     provider in the pool: "foo-1.0-1.el9.mc.x86_64 requires
 *     libbar.so.1()(64bit), which nothing provides". Rich dependencies
 *     ("(a or b)") are left to step 2.
 *  2. when step 1 found nothing, the solver installs the package alone
 *     (SOLVER_INSTALL): this follows the requirements of its requirements
 *     and sees conflicts; its first problem is the summary.
 * Step 1 names the missing capability exactly even when several are
 * missing; step 2 is what "installable with what the repos hold" means.
 *
 * libsolv calls exit() when it runs out of memory: the hub runs this in a
 * child process (check.h).
 */
#include "core/common.h"
#include "core/error.h"
#include "check/check_internal.h"
#include "check/solv.h"

#include <solv/policy.h>
#include <solv/problems.h>
#include <solv/repo_repomdxml.h>
#include <solv/repo_rpmdb.h>
#include <solv/repo_rpmmd.h>
#include <solv/selection.h>
#include <solv/solv_xfopen.h>
#include <solv/solver.h>

/* Where repomd.xml says the metadata of type is (g_free), or NULL. */
static char *repomd_location(Repo *repo, const char *type)
{
	Pool *pool = repo->pool;
	Dataiterator di;
	char *loc = NULL;

	dataiterator_init(&di, pool, repo, SOLVID_META, REPOSITORY_REPOMD_TYPE, type,
			  SEARCH_STRING);
	dataiterator_prepend_keyname(&di, REPOSITORY_REPOMD);
	if (dataiterator_step(&di)) {
		const char *s;

		dataiterator_setpos_parent(&di);
		s = pool_lookup_str(pool, SOLVID_POS, REPOSITORY_REPOMD_LOCATION);
		if (s)
			loc = g_strdup(s);
	}
	dataiterator_free(&di);
	return loc;
}

/* Add one metadata file of the repo (REPO_EXTEND_SOLVABLES for filelists). */
static int add_rpmmd(Repo *repo, const struct q_check_repo *r, const char *type, int flags,
		     char *why, size_t size)
{
	char *loc = repomd_location(repo, type);
	char *path;
	FILE *fp;
	int rc = -1;

	if (!loc) {
		snprintf(why, size, "repo '%s': repomd.xml lists no %s metadata", r->name, type);
		return -1;
	}
	if (loc[0] == '/' || strstr(loc, "..")) {
		snprintf(why, size, "repo '%s': repomd.xml names '%.200s' for %s", r->name, loc,
			 type);
		g_free(loc);
		return -1;
	}
	path = g_strdup_printf("%s/%s", r->dir, loc);
	fp = solv_xfopen(path, "r");
	if (!fp) {
		snprintf(why, size, "repo '%s': cannot open '%s': %s", r->name, loc,
			 strerror(errno));
		goto out;
	}
	/* Internalized each time: filelists extends the solvables by their
	 * checksum, which it finds only in internalized data. */
	if (repo_add_rpmmd(repo, fp, NULL, flags) != 0) {
		snprintf(why, size, "repo '%s': cannot read '%s': %s", r->name, loc,
			 pool_errstr(repo->pool));
		fclose(fp);
		goto out;
	}
	fclose(fp);
	rc = 0;
out:
	g_free(path);
	g_free(loc);
	return rc;
}

static int load_repo(Pool *pool, const struct q_check_repo *r, int filelists, char *why,
		     size_t size)
{
	Repo *repo = repo_create(pool, r->name);
	char *path = g_strdup_printf("%s/repodata/repomd.xml", r->dir);
	FILE *fp = fopen(path, "re");
	int rc = -1;

	repo->appdata = (void *)r;
	if (!fp) {
		snprintf(why, size, "repo '%s': cannot open '%s': %s", r->name, path,
			 strerror(errno));
		goto out;
	}
	if (repo_add_repomdxml(repo, fp, 0) != 0) {
		snprintf(why, size, "repo '%s': cannot read repomd.xml: %s", r->name,
			 pool_errstr(pool));
		fclose(fp);
		goto out;
	}
	fclose(fp);
	if (add_rpmmd(repo, r, "primary", 0, why, size) < 0 ||
	    (filelists && add_rpmmd(repo, r, "filelists", REPO_EXTEND_SOLVABLES, why, size) < 0))
		goto out;
	repo_internalize(repo);
	rc = 0;
out:
	g_free(path);
	return rc;
}

/* RPM files into a new repo; ids[i] is rpms[i]'s solvable. */
static Repo *load_rpms(Pool *pool, const char *name, const struct q_check_rpm *rpms, size_t n,
		       Id *ids, int filelists, char *why, size_t size)
{
	Repo *repo = repo_create(pool, name);
	int flags = REPO_REUSE_REPODATA | REPO_NO_INTERNALIZE | RPM_ADD_NO_RPMLIBREQS;

	if (!filelists)
		flags |= RPM_ADD_NO_FILELIST;
	for (size_t i = 0; i < n; i++) {
		Id p = repo_add_rpm(repo, rpms[i].path, flags);

		if (!p) {
			snprintf(why, size, "cannot read %s: %s", rpms[i].name, pool_errstr(pool));
			return NULL;
		}
		ids[i] = p;
	}
	repo_internalize(repo);
	return repo;
}

int q_check_pool_load(const struct q_check_input *in, int filelists, struct q_check_pool *cp,
		      struct q_check_result *res, char *why, size_t size)
{
	memset(cp, 0, sizeof(*cp));
	if (!in->arch || !in->arch[0]) {
		snprintf(why, size, "no arch given");
		return -1;
	}
	cp->pool = pool_create();
	pool_setdisttype(cp->pool, DISTTYPE_RPM);
	pool_setarch(cp->pool, in->arch);
	cp->build_ids = g_new0(Id, in->n_rpms + 1);
	cp->other_ids = g_new0(Id, in->n_others + 1);
	for (size_t i = 0; i < in->n_repos; i++) {
		if (load_repo(cp->pool, &in->repos[i], filelists, why, size) < 0)
			return -1;
		q_check_out(res, "repo %s: %d packages (%s)\n", in->repos[i].name,
			    cp->pool->repos[cp->pool->nrepos - 1]->nsolvables, in->repos[i].dir);
	}
	cp->others = load_rpms(cp->pool, "update", in->others, in->n_others, cp->other_ids,
			       filelists, why, size);
	if (!cp->others)
		return -1;
	if (in->n_others)
		q_check_out(res, "the other builds of the update: %zu RPMs\n", in->n_others);
	cp->build =
	    load_rpms(cp->pool, "build", in->rpms, in->n_rpms, cp->build_ids, filelists, why, size);
	if (!cp->build)
		return -1;
	pool_addfileprovides(cp->pool);
	pool_createwhatprovides(cp->pool);
	return 0;
}

void q_check_pool_free(struct q_check_pool *cp)
{
	if (cp->pool)
		pool_free(cp->pool);
	g_free(cp->build_ids);
	g_free(cp->other_ids);
	memset(cp, 0, sizeof(*cp));
}

const char *q_check_repo_label(Solvable *s)
{
	const struct q_check_repo *r = s->repo->appdata;

	return r ? r->name : s->repo->name;
}

/* Rich (boolean) dependencies and namespaces: the solver's business. */
static int is_complex(Pool *pool, Id dep)
{
	Reldep *rd;

	if (!ISRELDEP(dep))
		return 0;
	rd = GETRELDEP(pool, dep);
	return rd->flags == REL_AND || rd->flags == REL_OR || rd->flags == REL_WITH ||
	       rd->flags == REL_WITHOUT || rd->flags == REL_COND || rd->flags == REL_UNLESS ||
	       rd->flags == REL_ELSE || rd->flags == REL_NAMESPACE;
}

/* Step 1 for package p; returns the number of missing capabilities. */
static size_t direct_requires(struct q_check_pool *cp, Id p, struct q_check_result *res,
			      char *first, size_t size)
{
	Pool *pool = cp->pool;
	Solvable *s = pool->solvables + p;
	size_t missing = 0;
	Queue q;

	queue_init(&q);
	solvable_lookup_deparray(s, SOLVABLE_REQUIRES, &q, 0);
	for (int i = 0; i < q.count; i++) {
		Id dep = q.elements[i], *pp;
		const char *str;

		if (dep == SOLVABLE_PREREQMARKER)
			continue;
		str = pool_dep2str(pool, dep);
		if (!strncmp(str, "rpmlib(", 7))
			continue;
		if (is_complex(pool, dep)) {
			q_check_out(res, "  requires %s: left to the solver\n", str);
			continue;
		}
		pp = pool_whatprovides_ptr(pool, dep);
		if (!*pp) {
			q_check_out(res, "  requires %s: NOTHING PROVIDES IT\n", str);
			if (!missing++)
				snprintf(first, size, "%s requires %s, which nothing provides",
					 pool_solvable2str(pool, s), str);
			continue;
		}
		q_check_out(res, "  requires %s: %s (%s)\n", str, pool_solvid2str(pool, *pp),
			    q_check_repo_label(pool->solvables + *pp));
	}
	queue_free(&q);
	return missing;
}

/* Step 2: install p alone; 0 when the solver finds a way, else 1 with why. */
static int solve_alone(struct q_check_pool *cp, Id p, char *why, size_t size)
{
	Solver *solv = solver_create(cp->pool);
	Queue job;
	int bad = 0;

	queue_init(&job);
	queue_push2(&job, SOLVER_INSTALL | SOLVER_SOLVABLE, p);
	solver_set_flag(solv, SOLVER_FLAG_IGNORE_RECOMMENDED, 1);
	if (solver_solve(solv, &job) != 0) {
		snprintf(why, size, "%s", solver_problem2str(solv, 1));
		bad = 1;
	}
	queue_free(&job);
	solver_free(solv);
	return bad;
}

int q_check_closure(const struct q_check_input *in, struct q_check_result *res, struct q_error *err)
{
	struct q_check_pool cp;
	char why[Q_CHECK_SUMMARY_MAX + 1], first[Q_CHECK_SUMMARY_MAX + 1] = "";
	size_t failed = 0, checked = 0;

	(void)err;
	if (in->n_rpms == 0) {
		q_check_set(res, Q_CHECK_ERROR, "the build has no RPM for %s",
			    in->arch ? in->arch : "?");
		return 0;
	}
	if (q_check_pool_load(in, 1, &cp, res, why, sizeof(why)) < 0) {
		q_check_set(res, Q_CHECK_ERROR, "%s", why);
		q_check_pool_free(&cp);
		return 0;
	}
	for (size_t i = 0; i < in->n_rpms; i++) {
		Id p = cp.build_ids[i];
		Solvable *s = cp.pool->solvables + p;
		/* libsolv's strings live in a ring of temporary buffers: keep a copy. */
		char *nevra = g_strdup(pool_solvable2str(cp.pool, s));
		char one[Q_CHECK_SUMMARY_MAX + 1] = "";
		size_t missing;

		if (!pool_installable(cp.pool, s)) {
			q_check_out(res, "skip %s: not installable on %s\n", nevra, in->arch);
			g_free(nevra);
			continue;
		}
		checked++;
		q_check_out(res, "%s:\n", nevra);
		missing = direct_requires(&cp, p, res, one, sizeof(one));
		if (missing) {
			q_check_out(res, "FAIL %s: %zu requirement%s nothing provides\n", nevra,
				    missing, missing == 1 ? "" : "s");
			if (!failed++)
				snprintf(first, sizeof(first), "%s", one);
			g_free(nevra);
			continue;
		}
		if (solve_alone(&cp, p, why, sizeof(why))) {
			q_check_out(res, "FAIL %s cannot be installed: %s\n", nevra, why);
			if (!failed++)
				snprintf(first, sizeof(first), "%s cannot be installed: %.400s",
					 nevra, why);
			g_free(nevra);
			continue;
		}
		q_check_out(res, "ok   %s\n", nevra);
		g_free(nevra);
	}
	if (failed > 1)
		q_check_set(res, Q_CHECK_FAIL, "%s (and %zu more packages)", first, failed - 1);
	else if (failed)
		q_check_set(res, Q_CHECK_FAIL, "%s", first);
	else if (checked == 0)
		q_check_set(res, Q_CHECK_ERROR, "no package of the build is installable on %s",
			    in->arch);
	else
		q_check_set(res, Q_CHECK_PASS,
			    "every requirement of %zu package%s is provided on %s", checked,
			    checked == 1 ? "" : "s", in->arch);
	q_check_pool_free(&cp);
	return 0;
}
