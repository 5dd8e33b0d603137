/*
 * solv.h: the libsolv pool that the closure and conflicts checks share
 * (closure.c). Internal to src/check/.
 */
#ifndef Q_CHECK_SOLV_H
#define Q_CHECK_SOLV_H

#include <solv/pool.h>
#include <solv/poolarch.h>
#include <solv/repo.h>

#include "check/check.h"

struct q_check_pool {
	Pool *pool;
	Repo *build;   /* the build's RPMs */
	Repo *others;  /* the RPMs of the other builds of its update */
	Id *build_ids; /* build_ids[i]: the solvable of in->rpms[i] */
	Id *other_ids; /* other_ids[i]: the solvable of in->others[i] */
};

/*
 * Load the repos (each repo's appdata points to its struct q_check_repo),
 * the other builds and the build for in->arch, with file lists when
 * filelists is set, and create the whatprovides index. A line per repo goes
 * to res's output. -1 with why on failure; q_check_pool_free in any case.
 */
int q_check_pool_load(const struct q_check_input *in, int filelists, struct q_check_pool *cp,
		      struct q_check_result *res, char *why, size_t size);
void q_check_pool_free(struct q_check_pool *cp);
/* The repo a solvable comes from, for messages: a repo's name, "build", "update". */
const char *q_check_repo_label(Solvable *s);

#endif
