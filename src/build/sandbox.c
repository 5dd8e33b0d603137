/*
 * sandbox.c: one build step in bubblewrap (backends "host" and
 * "installroot"), as sandbox.h promises.
 *
 * DESIGN
 *  - The child of fork() joins a process group of its own, takes the
 *    rlimits, points stdin at /dev/null and stdout/stderr at log_fd, marks
 *    every other descriptor close-on-exec (the worker is multithreaded and
 *    other threads open files) and execs /usr/bin/bwrap. Only
 *    async-signal-safe calls happen between fork and exec: the bwrap
 *    command line is built before the fork.
 *  - bwrap: --unshare-all (network, pid, ipc, uts, cgroup, user when it
 *    can), the host / read-only, the workdir bound read-write at its own
 *    path and made the cwd, fresh /tmp, /dev/shm, /dev and /proc,
 *    --new-session (no TIOCSTI into a terminal), --die-with-parent, and
 *    --clearenv plus the step's environment. The show directories come
 *    back read-only after the hidden ones and /tmp (the checks read /pub
 *    and the package store so, with the rest of the data directory hidden).
 *  - With sb->root (installroot): --tmpfs / instead of the host's /, the
 *    root's top-level entries bound read-only into it (see map_root_dir:
 *    the directories leading to the workdir are made in the tmpfs, since
 *    bwrap cannot create a mount point inside a read-only bind), the same
 *    /dev, /proc, /tmp and hidden directories (those that exist in the
 *    root), the workdir, then --remount-ro / so the tmpfs is read-only too.
 *  - bwrap reports on --json-status-fd: {"child-pid": N} once the sandbox
 *    is set up, {"exit-code": N} at the end. No child-pid means bwrap
 *    could not set up the sandbox (its message is in the log): that is the
 *    -1 "could not be started" of sandbox.h, not a failed step.
 *  - Killing: SIGTERM to the process group, SIGKILL one second later. The
 *    outer bwrap dies; the inner one (pid 1 of the sandbox's pid namespace)
 *    has a parent-death SIGKILL (--die-with-parent), and when the pid 1 of
 *    a namespace dies the kernel kills everything in it, also processes
 *    that left the process group with setsid. Our own child also gets a
 *    parent-death SIGKILL, so a worker that is killed takes its sandboxes
 *    with it (q_sandbox_run waits in the thread that forked, which the
 *    parent-death signal is tied to).
 *  - Wall time: CLOCK_MONOTONIC around the run. The wait polls a pidfd
 *    every 100 ms at most, checking the time limit and the cancel flag.
 *
 * LIMITS (honestly)
 *  - RLIMIT_NPROC counts the processes of the real uid on the whole host,
 *    and the kernel does not enforce it at all for uid 0. When the worker
 *    runs as root we therefore also count the processes in the sandbox's
 *    pid namespace every 100 ms (a /proc scan) and kill the sandbox when
 *    there are more than max_procs. That is a policy, not a limit: a fast
 *    fork bomb can create many processes within 100 ms, and threads are
 *    not counted. A real cap needs the cgroup pids controller.
 *  - RLIMIT_AS is per process: a step of many processes may use max_memory
 *    each. The rlimits also apply to bwrap itself, which needs far less.
 *  - bwrap exits 128+N when the step is killed by signal N, so a step
 *    killed by itself (or by the kernel's OOM killer) is FAILED with
 *    exit_code 128+N; res->signal is set only when we killed the sandbox.
 *  - The step may write to log_fd without limit; bounding the log is the
 *    caller's job.
 */
#include "core/common.h"
#include "core/error.h"
#include "build/sandbox.h"

#include <dirent.h>
#include <fcntl.h>
#include <glib.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#define BWRAP "/usr/bin/bwrap"
#define POLL_MS 100
#define KILL_GRACE_MS 1000
#define STATUS_MAX 4096 /* bytes of bwrap's JSON status we keep */

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

static const char *const default_env[] = {
    "PATH=/usr/bin:/bin:/usr/sbin:/sbin",
    "LANG=C.UTF-8",
    NULL,
};

static double now_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void add(GPtrArray *a, const char *s)
{
	g_ptr_array_add(a, g_strdup(s));
}

/* "K=V" → --setenv K V; 0, or -1 when there is no '='. */
static int add_env(GPtrArray *a, const char *kv)
{
	const char *eq = strchr(kv, '=');

	if (!eq || eq == kv)
		return -1;
	add(a, "--setenv");
	g_ptr_array_add(a, g_strndup(kv, (size_t)(eq - kv)));
	add(a, eq + 1);
	return 0;
}

/*
 * Mask an existing absolute directory with an empty tmpfs: a directory of
 * the host (root NULL), or one inside root (not followed if a symlink).
 */
static void hide_dir(GPtrArray *a, const char *root, const char *dir)
{
	struct stat st;

	if (dir[0] != '/')
		return;
	if (root) {
		char *in = g_strconcat(root, dir, NULL);
		int r = lstat(in, &st);

		g_free(in);
		if (r < 0 || !S_ISDIR(st.st_mode))
			return;
	} else if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		return;
	}
	add(a, "--tmpfs");
	add(a, dir);
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * The entries of the root's directory rel ("" for /) into the sandbox's
 * tmpfs: symlinks recreated, files and directories bound read-only, except
 * the directories on the way to the workdir, which are made in the tmpfs
 * and filled the same way (the workdir's mount point cannot be created
 * inside a read-only bind). /dev, /proc and /tmp are the sandbox's own.
 */
static int map_root_dir(GPtrArray *a, const char *root, const char *rel, const char *workdir,
			int depth, struct q_error *err)
{
	char *dir = g_strconcat(root, rel, NULL);
	GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
	DIR *d = opendir(dir);
	struct dirent *de;
	int ret = -1;

	if (!d || depth > 64) {
		q_error_set(err, Q_EINVAL, "sandbox root: cannot read '%.200s': %s", dir,
			    d ? "too deep" : strerror(errno));
		goto out;
	}
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			g_ptr_array_add(names, g_strdup(de->d_name));
	g_ptr_array_sort(names, cmp_name);
	for (guint i = 0; i < names->len; i++) {
		const char *name = names->pdata[i];
		char *in = g_strdup_printf("%s/%s", dir, name);
		char *path = g_strdup_printf("%s/%s", rel, name);
		size_t plen = strlen(path);
		struct stat st;
		int r = 0;

		if (!rel[0] &&
		    (!strcmp(name, "dev") || !strcmp(name, "proc") || !strcmp(name, "tmp")))
			goto next;
		if (lstat(in, &st) < 0)
			goto next;
		if (S_ISLNK(st.st_mode)) {
			char target[PATH_MAX];
			ssize_t n = readlink(in, target, sizeof(target) - 1);

			if (n > 0) {
				target[n] = '\0';
				add(a, "--symlink");
				add(a, target);
				add(a, path);
			}
		} else if (S_ISDIR(st.st_mode) && !strncmp(workdir, path, plen) &&
			   workdir[plen] == '/') {
			add(a, "--dir");
			add(a, path);
			r = map_root_dir(a, root, path, workdir, depth + 1, err);
		} else if (S_ISDIR(st.st_mode) || S_ISREG(st.st_mode)) {
			add(a, "--ro-bind");
			add(a, in);
			add(a, path);
		}
	next:
		g_free(in);
		g_free(path);
		if (r < 0)
			goto out;
	}
	ret = 0;
out:
	if (d)
		closedir(d);
	g_ptr_array_unref(names);
	g_free(dir);
	return ret;
}

/* The bwrap command line; NULL-terminated, free with g_ptr_array_unref. */
static GPtrArray *bwrap_argv(const struct q_sandbox *sb, int status_fd, struct q_error *err)
{
	GPtrArray *a = g_ptr_array_new_with_free_func(g_free);
	char fd[16];

	add(a, BWRAP);
	add(a, "--unshare-all");
	add(a, "--die-with-parent");
	add(a, "--new-session");
	if (sb->root) {
		add(a, "--tmpfs");
		add(a, "/");
		if (map_root_dir(a, sb->root, "", sb->workdir, 0, err) < 0) {
			g_ptr_array_unref(a);
			return NULL;
		}
	} else {
		add(a, "--ro-bind");
		add(a, "/");
		add(a, "/");
	}
	add(a, "--dev");
	add(a, "/dev");
	add(a, "--tmpfs");
	add(a, "/dev/shm");
	add(a, "--proc");
	add(a, "/proc");
	/* /tmp before the workdir, which may live under /tmp. */
	add(a, "--tmpfs");
	add(a, "/tmp");
	/* Secrets out of sight, still before the workdir (which may live inside). */
	{
		static const char *const always[] = {"/root", "/home", "/run", NULL};
		const char *env = getenv("QUARRY_SANDBOX_HIDE");

		for (size_t i = 0; always[i]; i++)
			hide_dir(a, sb->root, always[i]);
		for (size_t i = 0; sb->hide && sb->hide[i]; i++)
			hide_dir(a, sb->root, sb->hide[i]);
		if (env) {
			char *copy = g_strdup(env), *save = NULL;

			for (char *p = strtok_r(copy, ":", &save); p;
			     p = strtok_r(NULL, ":", &save))
				hide_dir(a, sb->root, p);
			g_free(copy);
		}
	}
	/* Read-only inputs, possibly inside a hidden directory (or /tmp). */
	for (size_t i = 0; sb->show && sb->show[i]; i++) {
		struct stat st;

		if (sb->show[i][0] != '/' || stat(sb->show[i], &st) < 0 ||
		    !(S_ISDIR(st.st_mode) || S_ISREG(st.st_mode)))
			continue;
		add(a, "--ro-bind");
		add(a, sb->show[i]);
		add(a, sb->show[i]);
	}
	add(a, "--bind");
	add(a, sb->workdir);
	add(a, sb->workdir);
	if (sb->root) {
		/* The tmpfs / itself: nothing more is mounted on it after this. */
		add(a, "--remount-ro");
		add(a, "/");
	}
	add(a, "--chdir");
	add(a, sb->workdir);
	snprintf(fd, sizeof(fd), "%d", status_fd);
	add(a, "--json-status-fd");
	add(a, fd);
	add(a, "--clearenv");
	if (sb->env) {
		for (size_t i = 0; sb->env[i]; i++)
			if (add_env(a, sb->env[i]) < 0) {
				q_error_set(err, Q_EINVAL,
					    "sandbox environment entry '%.64s' is not K=V",
					    sb->env[i]);
				g_ptr_array_unref(a);
				return NULL;
			}
	} else {
		for (size_t i = 0; default_env[i]; i++)
			add_env(a, default_env[i]);
		add(a, "--setenv");
		add(a, "HOME");
		add(a, sb->workdir);
	}
	add(a, "--");
	for (size_t i = 0; sb->argv[i]; i++)
		add(a, sb->argv[i]);
	g_ptr_array_add(a, NULL);
	return a;
}

static void set_limit(int resource, int64_t value)
{
	struct rlimit rl;

	rl.rlim_cur = (rlim_t)value;
	rl.rlim_max = (rlim_t)value;
	setrlimit(resource, &rl);
}

/* In the child between fork and exec: async-signal-safe calls only. */
static void __attribute__((noreturn))
child(const struct q_sandbox *sb, char *const *argv, int out_fd, int status_fd, pid_t parent)
{
	sigset_t all;
	int null_fd;

	setpgid(0, 0);
	/* Die with the worker thread that waits for us. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(127);
	for (int s = 1; s < NSIG; s++)
		if (s != SIGKILL && s != SIGSTOP)
			signal(s, SIG_DFL);
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);

	null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null_fd < 0)
		_exit(127);
	if (out_fd < 0)
		out_fd = null_fd;
	if (dup2(null_fd, STDIN_FILENO) < 0 || dup2(out_fd, STDOUT_FILENO) < 0 ||
	    dup2(out_fd, STDERR_FILENO) < 0)
		_exit(127);
	if (syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) < 0) {
		struct rlimit rl;
		int max = 4096;

		if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
		    rl.rlim_cur < 1 << 20)
			max = (int)rl.rlim_cur;
		for (int i = 3; i < max; i++)
			if (i != status_fd)
				fcntl(i, F_SETFD, FD_CLOEXEC);
	}
	/* The one descriptor bwrap inherits: its status pipe. */
	if (fcntl(status_fd, F_SETFD, 0) < 0)
		_exit(127);

	if (sb->max_memory > 0)
		set_limit(RLIMIT_AS, sb->max_memory);
	if (sb->max_procs > 0)
		set_limit(RLIMIT_NPROC, sb->max_procs);
	set_limit(RLIMIT_NOFILE, sb->max_files > 0 ? sb->max_files : 1024);
	execv(BWRAP, argv);
	_exit(127);
}

/* Read what bwrap wrote on its status pipe so far (non-blocking). */
static void read_status(int fd, char *buf, size_t *len)
{
	for (;;) {
		ssize_t n = read(fd, buf + *len, STATUS_MAX - 1 - *len);

		if (n <= 0) {
			buf[*len] = '\0';
			return;
		}
		*len += (size_t)n;
		buf[*len] = '\0';
		if (*len >= STATUS_MAX - 1)
			return;
	}
}

/* The pid of the sandbox's pid 1 (outside view), 0 until bwrap said it. */
static pid_t status_child_pid(const char *buf)
{
	const char *p = strstr(buf, "\"child-pid\"");
	long v;

	if (!p)
		return 0;
	p = strchr(p, ':');
	if (!p)
		return 0;
	v = strtol(p + 1, NULL, 10);
	return v > 0 && v < INT_MAX ? (pid_t)v : 0;
}

/* The inode of pid's pid namespace, 0 when it is gone. */
static ino_t pidns_of(pid_t pid)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%d/ns/pid", (int)pid);
	return stat(path, &st) == 0 ? st.st_ino : 0;
}

/* Processes in the pid namespace ns, bwrap's pid 1 excluded. */
static long count_in_pidns(ino_t ns)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	long n = 0;

	if (!d)
		return 0;
	while ((de = readdir(d))) {
		char path[300];
		struct stat st;

		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/ns/pid", de->d_name);
		if (stat(path, &st) == 0 && st.st_ino == ns)
			n++;
	}
	closedir(d);
	return n > 0 ? n - 1 : 0;
}

static void log_note(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A line from the sandbox itself in the step's log. */
static void log_note(int fd, const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	int n;

	if (fd < 0)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > 0 && write(fd, buf, strlen(buf)) < 0)
		return;
}

int q_sandbox_available(void)
{
	static const char *const argv[] = {"/bin/true", NULL};
	struct q_sandbox sb = {0};
	struct q_sandbox_result res;
	char dir[] = "/tmp/quarry-sbcheck-XXXXXX";
	int ok;

	if (access(BWRAP, X_OK) < 0 || !mkdtemp(dir))
		return 0;
	sb.backend = "host";
	sb.workdir = dir;
	sb.argv = argv;
	sb.log_fd = -1;
	sb.timeout_sec = 30;
	ok = q_sandbox_run(&sb, &res, NULL, NULL) == 0 && res.status == Q_SANDBOX_OK;
	rmdir(dir);
	return ok;
}

int q_sandbox_run(const struct q_sandbox *sb, struct q_sandbox_result *res, volatile int *cancel,
		  struct q_error *err)
{
	GPtrArray *argv = NULL;
	char status[STATUS_MAX] = "";
	size_t status_len = 0;
	int pipefd[2] = {-1, -1};
	int pidfd = -1;
	struct stat st;
	double start, kill_at = 0;
	pid_t pid;
	pid_t inner = 0;
	ino_t ns = 0;
	int wstatus = 0;
	int timed_out = 0;
	int killed = 0; /* 1 after SIGTERM, 2 after SIGKILL */
	int ret = -1;

	memset(res, 0, sizeof(*res));
	if (sb->backend && strcmp(sb->backend, "host") && strcmp(sb->backend, "installroot")) {
		q_error_set(err, Q_EINVAL, "sandbox backend '%.64s' is not implemented",
			    sb->backend);
		goto out;
	}
	if (sb->backend && !strcmp(sb->backend, "installroot") && !sb->root) {
		q_error_set(err, Q_EINVAL, "sandbox backend 'installroot' needs a root");
		goto out;
	}
	if (sb->root && (sb->root[0] != '/' || stat(sb->root, &st) < 0 || !S_ISDIR(st.st_mode))) {
		q_error_set(err, Q_EINVAL, "sandbox root '%.200s' is not an absolute directory",
			    sb->root);
		goto out;
	}
	if (!sb->workdir || sb->workdir[0] != '/') {
		q_error_set(err, Q_EINVAL, "sandbox workdir '%.200s' is not an absolute path",
			    sb->workdir ? sb->workdir : "");
		goto out;
	}
	if (stat(sb->workdir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		q_error_set(err, Q_EINVAL, "sandbox workdir '%.200s' is not a directory",
			    sb->workdir);
		goto out;
	}
	if (!sb->argv || !sb->argv[0]) {
		q_error_set(err, Q_EINVAL, "sandbox: no command given");
		goto out;
	}
	if (access(BWRAP, X_OK) < 0) {
		q_error_set(err, Q_EIO, "cannot run '%s': %s; install bubblewrap", BWRAP,
			    strerror(errno));
		goto out;
	}
	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		q_error_set(err, Q_EIO, "sandbox: pipe: %s", strerror(errno));
		goto out;
	}
	if (fcntl(pipefd[0], F_SETFL, O_NONBLOCK) < 0) {
		q_error_set(err, Q_EIO, "sandbox: fcntl: %s", strerror(errno));
		goto out;
	}
	argv = bwrap_argv(sb, pipefd[1], err);
	if (!argv)
		goto out;

	start = now_sec();
	{
		pid_t parent = getpid();

		pid = fork();
		if (pid == 0)
			child(sb, (char *const *)argv->pdata, sb->log_fd, pipefd[1], parent);
	}
	if (pid < 0) {
		q_error_set(err, Q_EIO, "sandbox: fork: %s", strerror(errno));
		goto out;
	}
	/* Also here, so that killpg never races the child's own setpgid. */
	setpgid(pid, pid);
	close(pipefd[1]);
	pipefd[1] = -1;
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);

	for (;;) {
		double t;
		int wait_ms = POLL_MS;
		pid_t r = waitpid(pid, &wstatus, WNOHANG);

		if (r == pid)
			break;
		if (r < 0 && errno != EINTR) {
			/* Cannot happen unless someone reaps our child; stop waiting. */
			q_error_set(err, Q_EINTERNAL, "sandbox: waitpid: %s", strerror(errno));
			killpg(pid, SIGKILL);
			goto out;
		}
		read_status(pipefd[0], status, &status_len);
		t = now_sec();
		if (!killed && sb->max_procs > 0 && getuid() == 0) {
			if (!inner && (inner = status_child_pid(status)))
				ns = pidns_of(inner);
			if (ns) {
				long n = count_in_pidns(ns);

				if (n > sb->max_procs) {
					log_note(sb->log_fd,
						 "\nquarry: sandbox: %ld processes, more than the "
						 "limit of %" PRId64 "; killed\n",
						 n, sb->max_procs);
					killed = 1;
				}
			}
		}
		if (!killed && sb->timeout_sec > 0 && t - start >= (double)sb->timeout_sec) {
			timed_out = 1;
			killed = 1;
		}
		if (!killed && cancel && *cancel)
			killed = 1;
		if (killed == 1 && kill_at == 0) {
			killpg(pid, SIGTERM);
			kill_at = t + KILL_GRACE_MS / 1000.0;
		} else if (killed == 1 && t >= kill_at) {
			killpg(pid, SIGKILL);
			killed = 2;
		}
		if (!killed && sb->timeout_sec > 0) {
			double left = (double)sb->timeout_sec - (t - start);

			if (left * 1000 < wait_ms)
				wait_ms = left > 0 ? (int)(left * 1000) + 1 : 1;
		}
		if (pidfd >= 0) {
			struct pollfd p = {.fd = pidfd, .events = POLLIN};

			poll(&p, 1, wait_ms);
		} else {
			poll(NULL, 0, wait_ms);
		}
	}
	res->seconds = now_sec() - start;
	read_status(pipefd[0], status, &status_len);

	if (WIFSIGNALED(wstatus)) {
		res->signal = WTERMSIG(wstatus);
		res->exit_code = -1;
	} else {
		res->exit_code = WEXITSTATUS(wstatus);
	}
	if (!killed && !status_child_pid(status)) {
		q_error_set(err, Q_EIO,
			    "bubblewrap could not set up the sandbox in '%.200s' (exit code %d); "
			    "see the step's log",
			    sb->workdir, res->exit_code);
		goto out;
	}
	if (timed_out)
		res->status = Q_SANDBOX_TIMEOUT;
	else if (!killed && WIFEXITED(wstatus) && res->exit_code == 0)
		res->status = Q_SANDBOX_OK;
	else
		res->status = Q_SANDBOX_FAILED;
	ret = 0;
out:
	if (pidfd >= 0)
		close(pidfd);
	if (pipefd[0] >= 0)
		close(pipefd[0]);
	if (pipefd[1] >= 0)
		close(pipefd[1]);
	if (argv)
		g_ptr_array_unref(argv);
	return ret;
}
