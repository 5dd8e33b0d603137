/*
 * worker.h: the build worker (`quarry worker`, and the hub's embedded
 * worker), and the pieces of it that tests check without a hub.
 *
 * A worker pulls tasks from the hub (docs/HTTP_API.md, "Worker protocol"):
 * it claims while it has free slots, runs each task in a thread (download
 * the input, run the step in the sandbox, stream the log, upload the
 * outputs, report), beats every 5 s, and drops a task without a word when
 * the hub says the lease is lost or the build was canceled.
 *
 * Backends (--backend): "host" runs the steps with the machine's / as the
 * sandbox's root; "installroot" first prepares (or reuses) a dnf
 * --installroot of --buildroot-repo URLs under WORKDIR/roots
 * (build/buildroot.h) and runs the steps inside it, reporting that root's
 * package list as the buildroot.
 */
#ifndef Q_WORKER_H
#define Q_WORKER_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct q_error;
struct q_cli_args;
struct q_sandbox_result;

#define Q_WORKER_MAX_SLOTS 64
#define Q_WORKER_NAME_MAX 64
#define Q_WORKER_DEFAULT_DIR "/var/tmp/quarry-worker"

struct q_worker_config {
	char *hub;                 /* base URL, without a trailing '/' */
	char *token;               /* a worker token */
	char *name;                /* [A-Za-z0-9._-]{1,64}; default: the host name */
	char **arches;             /* NULL-terminated; known arches and "noarch" */
	int slots;                 /* tasks at once, 1..Q_WORKER_MAX_SLOTS */
	char *workdir;             /* absolute; tasks run in WORKDIR/NAME/task-… */
	int64_t max_memory;        /* RLIMIT_AS of a step; 0: none */
	int once;                  /* return after one task */
	char *backend;             /* "host" (default) or "installroot" */
	char **buildroot_repos;    /* installroot: NULL-terminated base URLs */
	char **buildroot_packages; /* installroot: NULL-terminated; NULL: the EL default */
	char *releasever;          /* installroot: dnf's $releasever (default "9") */
};

/*
 * Fill cfg from parsed `quarry worker` options (everything but hub and
 * token, which come from the client's resolution). a holds one value per
 * option, so --buildroot-repo is the last one given; `quarry worker` itself
 * collects every --buildroot-repo from its command line. Returns 0, or -1 with
 * err (Q_EINVAL) naming the bad option. Free with q_worker_config_release.
 */
int q_worker_config_from_args(const struct q_cli_args *a, struct q_worker_config *cfg,
			      struct q_error *err);
void q_worker_config_release(struct q_worker_config *cfg);
/* Check cfg's backend and buildroot options. 0, or -1 with err (Q_EINVAL). */
int q_worker_config_check_backend(const struct q_worker_config *cfg, struct q_error *err);

/*
 * Run the worker until *stop becomes non-zero (a signal handler may set
 * it): then claim nothing more, abandon the running tasks (no result; the
 * hub requeues them when their lease ends) and return 0. With cfg->once,
 * return after the first task: 0 when it closed, 1 when it did not.
 * -1 with err when the worker cannot start (no bubblewrap, bad workdir)
 * or the hub refuses the token (401/403).
 */
int q_worker_run(const struct q_worker_config *cfg, volatile int *stop, struct q_error *err);

/* ---- for tests ---- */

/* A claimed task, as the hub described it. */
struct q_worker_task {
	int64_t id;
	int64_t build;
	int64_t attempt;
	int64_t lease;   /* seconds; 30 when not given */
	int64_t timeout; /* seconds of wall clock for the step; 7200 when not given */
	char kind[8];    /* "srpm" or "rpm" */
	char arch[16];   /* the arch to build ("noarch" builds without --target) */
	char dist[64];   /* %dist, e.g. ".el9.mc" (may be empty) */
	char nevr[256];
	char input[256];   /* the input's path under /api/v1/ */
	json_t *buildroot; /* the project's build tag for this task (a reference, see
			    * q_worker_task_release), or NULL: the worker's own configuration */
};

/* Drop what q_worker_task_parse took (the buildroot reference). */
void q_worker_task_release(struct q_worker_task *t);

/*
 * The host backend's explanation of rpmbuild's "Failed build
 * dependencies:" in log (g_free), naming every BuildRequires it lists, or
 * NULL when log has none.
 */
char *q_worker_missing_deps_message(const char *log);

/*
 * The dependencies in the output of `rpmspec -q --buildrequires` or
 * `rpm -qp --requires` (one a line): rpm's own warnings and error lines,
 * rpmlib() and blank lines left out, distinct, in order. NULL-terminated
 * (g_strfreev). *dynamic (may be NULL) is set when rpmlib(DynamicBuildRequires)
 * is among them (the spec has %generate_buildrequires).
 */
char **q_worker_deps_parse(const char *text, int *dynamic);

/* Parse {"task":{…}} from a claim answer. 0, or -1 with err. */
int q_worker_task_parse(const json_t *answer, struct q_worker_task *t, struct q_error *err);

/*
 * The commands of the steps, NULL-terminated (g_strfreev):
 * tar of the source bundle into DEST; rpmbuild -bs of SPEC with the tree
 * in ROOT/src; rpmbuild --rebuild of SRPM for ARCH. ROOT is the sandbox's
 * workdir; rpmbuild's _topdir is ROOT/rpmbuild.
 */
char **q_worker_tar_argv(const char *tarball, const char *dest);
char **q_worker_srpm_argv(const char *root, const char *spec, const char *dist);
char **q_worker_rpm_argv(const char *root, const char *srpm, const char *arch, const char *dist);

/* "a\nc\nb\n\n" → ["a","b","c"]: sorted, distinct, no empty lines. */
json_t *q_worker_pkglist_parse(const char *text);
/* The host's packages (`rpm -qa --qf '%{NEVRA}\n'`), sorted. NULL + err. */
json_t *q_worker_buildroot(struct q_error *err);

/* The result message of a step that did not succeed. */
void q_worker_step_message(const char *what, const struct q_sandbox_result *res, int64_t timeout,
			   char *buf, size_t size);

#endif
