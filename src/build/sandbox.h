/*
 * sandbox.h: running one build step in a bubblewrap sandbox.
 *
 * What the sandbox promises (docs/BUILDS.md, "The sandbox's view"): no
 * network (every namespace but the user one unshared), a root filesystem
 * without the host's secrets, the work directory the only writable path
 * besides a fresh /tmp, /var/tmp and /dev/shm, a new session, death with
 * the parent, rlimits on address space, processes and open files, and a
 * wall-clock limit after which the whole sandbox is killed. stdout and
 * stderr of the step go to log_fd.
 *
 * Who runs the step: when the caller is root, the build user
 * (Q_SANDBOX_BUILD_UID:Q_SANDBOX_BUILD_GID, a uid and gid that own nothing
 * on the host), with no supplementary group, no capability (bounding set
 * included) and no_new_privs; bubblewrap runs without a user namespace and
 * quarry-sandbox-init (sandbox_init.c) makes the switch inside. The
 * workdir and everything in it is given to the build user before the step
 * (unless workdir_ro). When the caller is not root, bubblewrap makes a user
 * namespace that maps the caller's own uid, and the step runs as that uid
 * without capabilities.
 *
 * The root filesystem (backend "host"): an empty tmpfs, read-only once set
 * up, holding an allow-list: the host's /usr and its /bin, /sbin, /lib*
 * links, an /etc synthesized for the step (passwd and group with root and
 * the build user, hosts, nsswitch.conf) with the few host files a build
 * needs bound read-only (ld.so, alternatives, dnf, python and os-release
 * files: no secret), /dev, /proc, the workdir, and what show names. Never
 * the rest of the host's /etc, nor /var, /root, /home, /run or the data
 * directory.
 *
 * With root set (backend "installroot", build/buildroot.h), the sandbox's /
 * is that directory instead: an empty tmpfs with every top-level entry of
 * root bound read-only into it (symlinks recreated), remounted read-only
 * once the workdir is bound; the host's files are not visible at all. The
 * root's /etc/passwd and /etc/group get the build user added. /dev, /proc,
 * /tmp, /dev/shm and the workdir are as above.
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
	int workdir_ro;          /* bind the workdir read-only and leave its owner alone
				  * (a step that only reads, e.g. rpmspec at import) */
	int map_root;            /* run the step as uid 0 of a user namespace of its own
				  * that maps only the build user, with CAP_SYS_CHROOT of
				  * that namespace and no other capability (for dnf, which
				  * refuses another uid, and rpm, which chroots) */
	int share_net;           /* keep the host's network (dnf fetching a buildroot's
				  * http(s) repos); every other namespace is still new */
};

/* The build user of a sandbox started by root: no passwd entry on the host is
 * needed, and none may own a file there (docs/BUILDS.md). */
#define Q_SANDBOX_BUILD_UID 70000
#define Q_SANDBOX_BUILD_GID 70000
#define Q_SANDBOX_BUILD_USER "quarry-build"
/* Where quarry-sandbox-init is copied inside the sandbox. */
#define Q_SANDBOX_INIT "/.quarry-sandbox-init"

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

/* The static quarry-sandbox-init carried in quarry (sandbox_blob.c). */
size_t q_sandbox_init_size(void);
const unsigned char *q_sandbox_init_data(void);

#endif
