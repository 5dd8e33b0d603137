/*
 * cmd_sandbox.c: `quarry sandbox`, running one command in the build sandbox
 * by hand — to see what a build step sees, and for bench/build.sh.
 *
 * --repeat N --parallel P runs the command N times, P at once, from one
 * process, each run in a fresh DIR/RUN/root (as a worker makes a task's
 * root) with "{}" in the arguments replaced by that root, its output in
 * DIR/RUN/build.log, and the limits a worker gives a build step: the same
 * in-process call a worker makes for each task, without a hub. It is the
 * reference of bench/build.sh's scheduling overhead.
 */
#include "core/common.h"
#include "core/error.h"
#include "core/config.h"
#include "build/sandbox.h"
#include "cli/cli.h"

#include <fcntl.h>
#include <glib.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/stat.h>
#include <time.h>

/* What bench/build.sh compares a worker with: build.c's step limits. */
#define REPEAT_MAX_PROCS 4096
#define REPEAT_MAX_FILES 16384

struct repeat {
	const char *base;            /* DIR */
	char **argv;                 /* the command, "{}" for the run's root */
	int argc;                    /* its length */
	int64_t timeout;             /* per run, seconds; 0: none */
	int64_t memory;              /* RLIMIT_AS; 0: none */
	const char *input;           /* copied into each run's root, or NULL */
	int n;                       /* runs */
	atomic_int next;             /* the next run to start */
	atomic_int failed;           /* runs that did not exit 0 */
	char error[PATH_MAX + 1100]; /* the first failure, for the message */
	pthread_mutex_t lock;        /* guards error */
};

static void repeat_fail(struct repeat *rp, const char *what, const char *why)
{
	atomic_fetch_add(&rp->failed, 1);
	pthread_mutex_lock(&rp->lock);
	if (!rp->error[0])
		snprintf(rp->error, sizeof(rp->error), "%s: %s", what, why);
	pthread_mutex_unlock(&rp->lock);
}

static void *repeat_thread(void *arg)
{
	struct repeat *rp = arg;
	int i;

	while ((i = atomic_fetch_add(&rp->next, 1)) < rp->n) {
		struct q_sandbox sb = {0};
		struct q_sandbox_result res = {0};
		struct q_error err = {0};
		char dir[PATH_MAX], root[PATH_MAX + 8], log[PATH_MAX + 16];
		char **argv = g_new0(char *, rp->argc + 1);
		int fd;

		snprintf(dir, sizeof(dir), "%s/%d", rp->base, i + 1);
		snprintf(root, sizeof(root), "%s/root", dir);
		snprintf(log, sizeof(log), "%s/build.log", dir);
		for (int a = 0; a < rp->argc; a++) {
			char **parts = g_strsplit(rp->argv[a], "{}", -1);
			argv[a] = g_strjoinv(root, parts);
			g_strfreev(parts);
		}
		if (mkdir(dir, 0700) < 0 || mkdir(root, 0755) < 0) {
			repeat_fail(rp, dir, strerror(errno));
			g_strfreev(argv);
			continue;
		}
		/* The task's input in its root, as a worker downloads it there (the
		 * sandbox sees nothing outside the root). */
		if (rp->input) {
			char *data = NULL, *base = g_path_get_basename(rp->input);
			char *dst = g_build_filename(root, base, NULL);
			gsize len = 0;
			int ok = g_file_get_contents(rp->input, &data, &len, NULL) &&
				 g_file_set_contents(dst, data, (gssize)len, NULL) &&
				 chmod(dst, 0644) == 0;

			g_free(data);
			g_free(dst);
			g_free(base);
			if (!ok) {
				repeat_fail(rp, rp->input, "cannot copy it into the run's root");
				g_strfreev(argv);
				continue;
			}
		}
		fd = open(log, O_RDWR | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0644);
		sb.backend = "host";
		sb.workdir = root;
		sb.argv = (const char *const *)argv;
		sb.log_fd = fd;
		sb.timeout_sec = rp->timeout;
		sb.max_memory = rp->memory;
		sb.max_procs = REPEAT_MAX_PROCS;
		sb.max_files = REPEAT_MAX_FILES;
		if (fd < 0)
			repeat_fail(rp, log, strerror(errno));
		else if (q_sandbox_run(&sb, &res, NULL, &err) < 0)
			repeat_fail(rp, "cannot start the sandbox", err.msg);
		else if (res.status != Q_SANDBOX_OK)
			repeat_fail(rp, dir, "the command failed (see build.log there)");
		if (fd >= 0)
			close(fd);
		g_strfreev(argv);
	}
	return NULL;
}

/* --repeat: 0 when every run exited 0, 1 otherwise. */
static int run_repeat(struct repeat *rp, int parallel, int print_time)
{
	pthread_t th[64];
	struct timespec t0, t1;
	int started = 0;

	if (parallel < 1 || parallel > 64)
		parallel = parallel < 1 ? 1 : 64;
	pthread_mutex_init(&rp->lock, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int t = 0; t < parallel; t++)
		if (pthread_create(&th[t], NULL, repeat_thread, rp) == 0)
			started++;
	for (int t = 0; t < started; t++)
		pthread_join(th[t], NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	pthread_mutex_destroy(&rp->lock);
	if (!started) {
		fprintf(stderr, "quarry sandbox: cannot start a thread\n");
		return 1;
	}
	if (print_time)
		fprintf(stderr, "sandbox: %.6f s for %d runs, %d at once\n",
			(double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
			rp->n, started);
	if (atomic_load(&rp->failed)) {
		fprintf(stderr, "quarry sandbox: %d of %d runs failed; the first: %s\n",
			atomic_load(&rp->failed), rp->n, rp->error);
		return 1;
	}
	return 0;
}

int cmd_sandbox(int argc, char **argv)
{
	static const char usage[] =
	    "usage: quarry sandbox [--workdir DIR] [--timeout DURATION] [--memory SIZE] [--time]\n"
	    "                      [--repeat N [--parallel P] [--input FILE]] -- COMMAND "
	    "[ARGS...]\n\n"
	    "Run COMMAND in the build sandbox: no network, as the build user (uid 70000)\n"
	    "without capabilities when run as root, a read-only root of the host's /usr and\n"
	    "a synthesized /etc (no host secrets), DIR (default: the current directory;\n"
	    "given to the build user) the only writable path besides a fresh /tmp.\n"
	    "Exits with the command's status; 124 when it was killed at the time limit.\n"
	    "--time prints the sandbox's wall-clock time to stderr.\n"
	    "--repeat N runs it N times, P at once (default 1), each in a new DIR/RUN/root\n"
	    "that replaces {} in the arguments, with a worker's step limits; exits 1 if\n"
	    "any run failed. --input FILE copies FILE into each run's root first (as a\n"
	    "worker downloads a task's input there): {}/BASENAME names it.\n";
	const char *workdir = ".", *input = NULL;
	int64_t timeout = 0, memory = 0;
	int print_time = 0, repeat = 0, parallel = 1;
	struct q_sandbox sb = {0};
	struct q_sandbox_result res = {0};
	struct q_error err = {0};
	char abs[PATH_MAX];
	int i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--")) {
			i++;
			break;
		}
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			fputs(usage, stdout);
			return 0;
		}
		if (!strcmp(argv[i], "--time")) {
			print_time = 1;
			continue;
		}
		if (i + 1 >= argc)
			goto bad;
		if (!strcmp(argv[i], "--workdir"))
			workdir = argv[++i];
		else if (!strcmp(argv[i], "--input"))
			input = argv[++i];
		else if (!strcmp(argv[i], "--repeat") || !strcmp(argv[i], "--parallel")) {
			char *end;
			const char *o = argv[i];
			long v = strtol(argv[++i], &end, 10);

			if (*end || v < 1 || v > 1000000)
				goto bad;
			if (!strcmp(o, "--repeat"))
				repeat = (int)v;
			else
				parallel = (int)v;
		} else if (!strcmp(argv[i], "--timeout")) {
			if (q_parse_duration(argv[++i], &timeout) < 0)
				goto bad;
		} else if (!strcmp(argv[i], "--memory")) {
			if (q_parse_size(argv[++i], &memory) < 0)
				goto bad;
		} else
			goto bad;
	}
	if (i >= argc)
		goto bad;
	if (!realpath(workdir, abs)) {
		fprintf(stderr, "quarry sandbox: cannot use '%s' as the work directory: %s\n",
			workdir, strerror(errno));
		return 1;
	}
	if (repeat) {
		struct repeat rp = {.base = abs,
				    .argv = argv + i,
				    .argc = argc - i,
				    .timeout = timeout,
				    .memory = memory,
				    .input = input,
				    .n = repeat};

		return run_repeat(&rp, parallel, print_time);
	}
	sb.backend = "host";
	sb.workdir = abs;
	sb.argv = (const char *const *)(argv + i);
	sb.log_fd = STDOUT_FILENO;
	sb.timeout_sec = timeout;
	sb.max_memory = memory;
	fflush(stdout);
	if (q_sandbox_run(&sb, &res, NULL, &err) < 0) {
		fprintf(stderr, "quarry sandbox: %s\n", err.msg);
		return 1;
	}
	if (print_time)
		fprintf(stderr, "sandbox: %.6f s\n", res.seconds);
	if (res.status == Q_SANDBOX_TIMEOUT)
		return 124;
	if (res.status == Q_SANDBOX_OK)
		return 0;
	return res.exit_code ? res.exit_code : 1;
bad:
	fputs(usage, stderr);
	return 2;
}
