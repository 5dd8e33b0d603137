/*
 * check_internal.h: what the files of src/check/ share; not for callers
 * (they use check.h).
 */
#ifndef Q_CHECK_INTERNAL_H
#define Q_CHECK_INTERNAL_H

#include <rpm/header.h>

#include "build/sandbox.h"
#include "check/check.h"

/* Read an RPM's header with librpm (signatures not checked: integrity is
 * the content store's SHA-256). NULL with why (a librpm message) on failure.
 * headerFree the result. */
Header q_check_read_header(const char *path, char *why, size_t size);
/* "name-[epoch:]version-release.arch" ("src" for a source RPM); g_free. */
char *q_check_header_nevra(Header h);

/*
 * Run argv in the sandbox with the check's workdir, hidden directories and
 * time limit; stdout and stderr go to log (created). env: "K=V" entries
 * (PATH, LANG and HOME=workdir are added). map_root: as uid 0 of a user
 * namespace of its own (sandbox.h; dnf wants it). Returns q_sandbox_run's
 * result.
 */
int q_check_sandbox(const struct q_check_input *in, const char *const *argv, const char *const *env,
		    int map_root, const char *log, struct q_sandbox_result *sr,
		    struct q_error *err);
/* Append at most max bytes of a file (its end when it is longer) to the output. */
void q_check_out_file(struct q_check_result *res, const char *path, size_t max);

#endif
