/*
 * sandbox.h: running one build step in a bubblewrap sandbox.
 *
 * What the sandbox promises (docs/BUILDS.md): no network (all namespaces
 * unshared), the root filesystem read-only (backend "host": the machine's
 * own /), the work directory the only writable path, a fresh /tmp and
 * /dev/shm, a new session, death with the parent, rlimits on address space,
 * processes and open files, and a wall-clock limit after which the whole
 * sandbox is killed. Directories that hold secrets (the hub's data
 * directory with its keys, home directories with client tokens) are hidden
 * behind empty tmpfs mounts. stdout and stderr of the step go to log_fd.
 *
 * With root set (backend "installroot", build/buildroot.h), the sandbox's /
 * is that directory instead of the machine's: an empty tmpfs with every
 * top-level entry of root bound read-only into it (symlinks recreated),
 * remounted read-only once the workdir is bound; the host's files are not
 * visible at all. /dev, /proc, /tmp, /dev/shm and the workdir are as above.
 */
#ifndef Q_SANDBOX_H
#define Q_SANDBOX_H

#include <stdint.h>
#include <sys/types.h>

struct q_error;

struct q_sandbox {
	const char *backend;     /* "host" or "installroot" (which needs root) */
	const char *root;        /* absolute; the sandbox's / (read-only); NULL: the host's / */
	const char *workdir;     /* absolute; bound read-write at the same path; the cwd */
	const char *const *argv; /* the command, NULL-terminated */
	const char *const *env;  /* NULL-terminated "K=V" list, or NULL for a minimal one */
	int log_fd;              /* stdout+stderr of the step; -1: /dev/null */
	int64_t timeout_sec;     /* wall clock; 0: none */
	int64_t max_memory;      /* RLIMIT_AS bytes; 0: none */
	int64_t max_procs;       /* RLIMIT_NPROC; 0: none */
	int64_t max_files;       /* RLIMIT_NOFILE; 0: 1024 */
	const char *const *hide; /* NULL-terminated directories replaced by an empty tmpfs
				  * (besides /root, /home, /run and $QUARRY_SANDBOX_HIDE,
				  * a ':'-separated list): secrets a build must not read */
	const char *const *show; /* NULL-terminated absolute directories (or files) bound
				  * read-only at the same path after hide (a hidden
				  * directory's part shown again, inputs under /tmp, the
				  * quarry binary itself); NULL: none */
};

enum q_sandbox_status {
	Q_SANDBOX_OK = 0,  /* exited 0 */
	Q_SANDBOX_FAILED,  /* exited non-zero or was killed by a signal */
	Q_SANDBOX_TIMEOUT, /* killed at the time limit */
};

struct q_sandbox_result {
	enum q_sandbox_status status;
	int exit_code;  /* when it exited */
	int signal;     /* when a signal killed it */
	double seconds; /* wall-clock time */
};

/*
 * Run the step and wait for it. Returns -1 only when the sandbox could not
 * be started (bwrap missing, bad arguments); a step that fails is 0 with
 * res->status telling how. If cancel is not NULL, the step is killed as
 * soon as *cancel becomes non-zero (checked every 100 ms).
 */
int q_sandbox_run(const struct q_sandbox *sb, struct q_sandbox_result *res, volatile int *cancel,
		  struct q_error *err);

/* 1 when bubblewrap can create a sandbox here (for tests and `quarry worker`). */
int q_sandbox_available(void);

#endif
