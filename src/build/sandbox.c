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
 *  - Who (sandbox.h): as root, bwrap without a user namespace (--unshare
 *    net, pid, ipc, uts, cgroup), --cap-drop ALL but CAP_SETUID, CAP_SETGID
 *    and CAP_SETPCAP, and the step behind /.quarry-sandbox-init UID GID --
 *    (sandbox_init.c; its bytes copied in with --file from a memfd), which
 *    becomes the build user without capabilities. Before that the workdir
 *    tree is given to the build user (give_tree: fchownat without
 *    following links, and o+x on the workdir, which bwrap enters as a uid 0
 *    without capabilities). Not root: --unshare-all, whose user namespace
 *    maps the caller's uid; no switch (bwrap drops the capabilities).
 *  - bwrap: an empty tmpfs / filled by map_host (host backend: /usr, the
 *    /bin /lib* links, the synthesized /etc from memfds plus etc_allow)
 *    or map_root_dir (installroot), fresh /dev, /dev/shm, /proc, /tmp and
 *    /var/tmp (1777), the hidden directories, the show paths read-only,
 *    the workdir read-write (or read-only) at its own path and made the
 *    cwd, --remount-ro / last, --new-session (no TIOCSTI into a terminal),
 *    --die-with-parent, and --clearenv plus the step's environment. The
 *    directories leading to a show path or the workdir are made 0755
 *    (bwrap would copy the host's modes, 0700 for the data directory's
 *    tmp/, which would shut the build user out).
 *  - With sb->root (installroot): the root's top-level entries bound
 *    read-only into the tmpfs (see map_root_dir: the directories leading
 *    to the workdir are made in the tmpfs, since bwrap cannot create a
 *    mount point inside a read-only bind), its /etc/passwd and /etc/group
 *    overlaid with copies that name the build user.
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
#include "core/log.h"
#include "build/sandbox.h"

#include <dirent.h>
#include <fcntl.h>
#include <glib.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <sys/mman.h>
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

/* The host's /etc entries a step may need: none holds a secret. */
static const char *const etc_allow[] = {
    "alternatives", /* /usr/bin/cc, awk… are links through it (Debian) */
    "ld.so.cache",
    "ld.so.conf",
    "ld.so.conf.d",
    "rpm", /* rpm's own macros, if any */
    "dnf", /* dnf.conf, vars, protected.d */
    "os-release",
    "debian_version",
    "redhat-release",
    "system-release",
    "system-release-cpe",
    "localtime",
    "mime.types",
    "magic",
    "magic.mime",
    "protocols",
    "services",
    "xdg/rpmlint", /* rpmlint's configuration */
    NULL,
};

/* An fd (close-on-exec) reading back text from its start; -1 with err. */
static int memfd_text(const char *name, const void *text, size_t len, struct q_error *err)
{
	int fd = memfd_create(name, MFD_CLOEXEC);
	const char *p = text;
	size_t left = len;

	if (fd < 0) {
		q_error_set(err, Q_EIO, "sandbox: memfd_create: %s", strerror(errno));
		return -1;
	}
	while (left > 0) {
		ssize_t n = write(fd, p, left);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			q_error_set(err, Q_EIO, "sandbox: cannot write a memfd: %s",
				    strerror(errno));
			close(fd);
			return -1;
		}
		p += n;
		left -= (size_t)n;
	}
	if (lseek(fd, 0, SEEK_SET) < 0) {
		q_error_set(err, Q_EIO, "sandbox: lseek: %s", strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* --perms PERMS OPT FD DEST with a memfd of text (kept in fds for the child). */
static int add_data(GPtrArray *a, GArray *fds, const char *opt, const char *perms, const char *dest,
		    const void *text, size_t len, struct q_error *err)
{
	int fd = memfd_text(dest, text, len, err);

	if (fd < 0)
		return -1;
	g_array_append_val(fds, fd);
	add(a, "--perms");
	add(a, perms);
	add(a, opt);
	g_ptr_array_add(a, g_strdup_printf("%d", fd));
	add(a, dest);
	return 0;
}

/* The build user's lines of passwd and group. */
static void user_lines(uid_t uid, gid_t gid, GString *passwd, GString *group)
{
	g_string_append_printf(passwd, "%s:x:%u:%u:Quarry build:/tmp:/bin/sh\n",
			       Q_SANDBOX_BUILD_USER, (unsigned)uid, (unsigned)gid);
	g_string_append_printf(group, "%s:x:%u:\n", Q_SANDBOX_BUILD_USER, (unsigned)gid);
}

/* Does an /etc/passwd or /etc/group text already have an entry with this id? */
static int has_id(const char *text, unsigned id)
{
	char **lines = g_strsplit(text, "\n", -1);
	int found = 0;

	for (size_t i = 0; lines[i] && !found; i++) {
		char **f = g_strsplit(lines[i], ":", 4);

		if (g_strv_length(f) >= 3 && strtoul(f[2], NULL, 10) == id && f[2][0])
			found = 1;
		g_strfreev(f);
	}
	g_strfreev(lines);
	return found;
}

/* A host path into the sandbox as it is: a symlink recreated, a file or directory bound. */
static void add_host_entry(GPtrArray *a, const char *path)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return;
	if (S_ISLNK(st.st_mode)) {
		char target[PATH_MAX];
		ssize_t n = readlink(path, target, sizeof(target) - 1);

		if (n <= 0)
			return;
		target[n] = '\0';
		add(a, "--symlink");
		add(a, target);
		add(a, path);
	} else if (S_ISDIR(st.st_mode) || S_ISREG(st.st_mode)) {
		add(a, "--ro-bind");
		add(a, path);
		add(a, path);
	}
}

/*
 * Backend host: the allow-list of sandbox.h on the empty tmpfs /: /usr,
 * the top-level links into it, and an /etc of synthesized files plus the
 * host's entries of etc_allow (and its python3* directories).
 */
static int map_host(GPtrArray *a, GArray *fds, uid_t uid, gid_t gid, struct q_error *err)
{
	static const char *const top[] = {"/bin",   "/sbin",   "/lib", "/lib32",
					  "/lib64", "/libx32", NULL};
	static const char hosts[] = "127.0.0.1 localhost\n::1 localhost\n";
	static const char nss[] = "passwd: files\ngroup: files\nshadow: files\nhosts: files\n"
				  "networks: files\nprotocols: files\nservices: files\n";
	static const char shells[] = "/bin/sh\n/bin/bash\n/usr/bin/sh\n/usr/bin/bash\n";
	GString *passwd = g_string_new("root:x:0:0:root:/root:/bin/sh\n");
	GString *group = g_string_new("root:x:0:\n");
	DIR *d;
	int rc = -1;

	add(a, "--ro-bind");
	add(a, "/usr");
	add(a, "/usr");
	for (size_t i = 0; top[i]; i++)
		add_host_entry(a, top[i]);
	add(a, "--dir");
	add(a, "/etc");
	add(a, "--dir");
	add(a, "/etc/xdg");
	for (size_t i = 0; etc_allow[i]; i++) {
		char *p = g_strconcat("/etc/", etc_allow[i], NULL);

		add_host_entry(a, p);
		g_free(p);
	}
	d = opendir("/etc");
	if (d) {
		struct dirent *de;

		while ((de = readdir(d)))
			if (!strncmp(de->d_name, "python3", 7)) {
				char *p = g_strconcat("/etc/", de->d_name, NULL);

				add_host_entry(a, p);
				g_free(p);
			}
		closedir(d);
	}
	if (uid != 0)
		user_lines(uid, gid, passwd, group);
	g_string_append(passwd, "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n");
	g_string_append(group, "nogroup:x:65534:\n");
	if (add_data(a, fds, "--file", "0644", "/etc/passwd", passwd->str, passwd->len, err) < 0 ||
	    add_data(a, fds, "--file", "0644", "/etc/group", group->str, group->len, err) < 0 ||
	    add_data(a, fds, "--file", "0644", "/etc/hosts", hosts, sizeof(hosts) - 1, err) < 0 ||
	    add_data(a, fds, "--file", "0644", "/etc/nsswitch.conf", nss, sizeof(nss) - 1, err) <
		0 ||
	    add_data(a, fds, "--file", "0644", "/etc/shells", shells, sizeof(shells) - 1, err) < 0)
		goto out;
	add(a, "--symlink");
	add(a, "/proc/self/mounts");
	add(a, "/etc/mtab");
	add(a, "--dir");
	add(a, "/var");
	rc = 0;
out:
	g_string_free(passwd, TRUE);
	g_string_free(group, TRUE);
	return rc;
}

/* Backend installroot: the build user into the root's own passwd and group. */
static int root_user(GPtrArray *a, GArray *fds, const char *root, uid_t uid, gid_t gid,
		     struct q_error *err)
{
	char *pw_path = g_strconcat(root, "/etc/passwd", NULL);
	char *gr_path = g_strconcat(root, "/etc/group", NULL);
	char *pw = NULL, *gr = NULL;
	struct stat st;
	int rc = 0;

	if (uid == 0 || lstat(pw_path, &st) < 0 || !S_ISREG(st.st_mode) ||
	    lstat(gr_path, &st) < 0 || !S_ISREG(st.st_mode) ||
	    !g_file_get_contents(pw_path, &pw, NULL, NULL) ||
	    !g_file_get_contents(gr_path, &gr, NULL, NULL) || strlen(pw) > (1 << 20) ||
	    strlen(gr) > (1 << 20) || has_id(pw, (unsigned)uid))
		goto out;
	{
		GString *p = g_string_new(pw), *g = g_string_new(gr);

		if (p->len && p->str[p->len - 1] != '\n')
			g_string_append_c(p, '\n');
		if (g->len && g->str[g->len - 1] != '\n')
			g_string_append_c(g, '\n');
		user_lines(uid, gid, p, g);
		rc = add_data(a, fds, "--ro-bind-data", "0644", "/etc/passwd", p->str, p->len, err);
		if (rc == 0)
			rc = add_data(a, fds, "--ro-bind-data", "0644", "/etc/group", g->str,
				      g->len, err);
		g_string_free(p, TRUE);
		g_string_free(g, TRUE);
	}
out:
	g_free(pw);
	g_free(gr);
	g_free(pw_path);
	g_free(gr_path);
	return rc;
}

/*
 * The directories leading to path, made world-searchable in the sandbox
 * (bwrap would copy the host's modes, and a 0700 parent owned by root, the
 * data directory's tmp/ for one, would shut the build user out).
 */
static void add_parents(GPtrArray *a, const char *path)
{
	for (const char *p = strchr(path + 1, '/'); p; p = strchr(p + 1, '/')) {
		add(a, "--perms");
		add(a, "0755");
		add(a, "--dir");
		g_ptr_array_add(a, g_strndup(path, (size_t)(p - path)));
	}
}

/* Does path exist as a directory in the sandbox's root (root NULL: on the host)? */
static int root_has_dir(const char *root, const char *path)
{
	char *in = g_strconcat(root ? root : "", path, NULL);
	struct stat st;
	int r = lstat(in, &st);

	g_free(in);
	return r == 0 && S_ISDIR(st.st_mode);
}

/*
 * The bwrap command line; NULL-terminated, free with g_ptr_array_unref.
 * The descriptors bwrap must inherit (the memfds of --file and
 * --ro-bind-data) are appended to fds, the caller closes them.
 */
static GPtrArray *bwrap_argv(const struct q_sandbox *sb, int status_fd, int as_root, GArray *fds,
			     struct q_error *err)
{
	GPtrArray *a = g_ptr_array_new_with_free_func(g_free);
	uid_t uid = as_root ? Q_SANDBOX_BUILD_UID : getuid();
	gid_t gid = as_root ? Q_SANDBOX_BUILD_GID : getgid();
	char fd[16];

	add(a, BWRAP);
	if (as_root) {
		/* No user namespace: it would map the build user to root outside. */
		add(a, "--unshare-ipc");
		add(a, "--unshare-pid");
		if (!sb->share_net)
			add(a, "--unshare-net");
		add(a, "--unshare-uts");
		add(a, "--unshare-cgroup-try");
		/* What quarry-sandbox-init needs for the switch, nothing more. */
		add(a, "--cap-drop");
		add(a, "ALL");
		add(a, "--cap-add");
		add(a, "CAP_SETUID");
		add(a, "--cap-add");
		add(a, "CAP_SETGID");
		add(a, "--cap-add");
		add(a, "CAP_SETPCAP");
	} else {
		add(a, "--unshare-all");
		if (sb->share_net)
			add(a, "--share-net");
		if (sb->map_root) {
			add(a, "--uid");
			add(a, "0");
			add(a, "--gid");
			add(a, "0");
			/* As quarry-sandbox-init --map-root: CAP_SYS_CHROOT only. */
			add(a, "--cap-drop");
			add(a, "ALL");
			add(a, "--cap-add");
			add(a, "CAP_SYS_CHROOT");
		}
	}
	add(a, "--die-with-parent");
	add(a, "--new-session");
	add(a, "--tmpfs");
	add(a, "/");
	if (sb->root) {
		if (map_root_dir(a, sb->root, "", sb->workdir, 0, err) < 0 ||
		    root_user(a, fds, sb->root, uid, gid, err) < 0)
			goto fail;
	} else if (map_host(a, fds, uid, gid, err) < 0) {
		goto fail;
	}
	add(a, "--dev");
	add(a, "/dev");
	add(a, "--perms");
	add(a, "1777");
	add(a, "--tmpfs");
	add(a, "/dev/shm");
	add(a, "--proc");
	add(a, "/proc");
	/* /tmp before the workdir, which may live under /tmp. */
	add(a, "--perms");
	add(a, "1777");
	add(a, "--tmpfs");
	add(a, "/tmp");
	if (!sb->root || root_has_dir(sb->root, "/var/tmp")) {
		add(a, "--perms");
		add(a, "1777");
		add(a, "--tmpfs");
		add(a, "/var/tmp");
	}
	/* Secrets out of sight, still before the workdir (which may live inside). */
	{
		static const char *const always[] = {"/root", "/home", "/run", NULL};
		const char *env = getenv("QUARRY_SANDBOX_HIDE");

		/* The host backend mounts none of these; a root may hold them. */
		for (size_t i = 0; sb->root && always[i]; i++)
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
		add_parents(a, sb->show[i]);
		add(a, "--ro-bind");
		add(a, sb->show[i]);
		add(a, sb->show[i]);
	}
	add_parents(a, sb->workdir);
	add(a, sb->workdir_ro ? "--ro-bind" : "--bind");
	add(a, sb->workdir);
	add(a, sb->workdir);
	if (as_root && add_data(a, fds, "--file", "0555", Q_SANDBOX_INIT, q_sandbox_init_data(),
				q_sandbox_init_size(), err) < 0)
		goto fail;
	/* The tmpfs / itself: nothing more is mounted on it after this. */
	add(a, "--remount-ro");
	add(a, "/");
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
				goto fail;
			}
	} else {
		for (size_t i = 0; default_env[i]; i++)
			add_env(a, default_env[i]);
		add(a, "--setenv");
		add(a, "HOME");
		add(a, sb->workdir);
	}
	add(a, "--");
	if (as_root) {
		add(a, Q_SANDBOX_INIT);
		g_ptr_array_add(a, g_strdup_printf("%u", (unsigned)uid));
		g_ptr_array_add(a, g_strdup_printf("%u", (unsigned)gid));
		if (sb->map_root)
			add(a, "--map-root");
		add(a, "--");
	}
	for (size_t i = 0; sb->argv[i]; i++)
		add(a, sb->argv[i]);
	g_ptr_array_add(a, NULL);
	return a;
fail:
	g_ptr_array_unref(a);
	return NULL;
}

#define GIVE_DEPTH 128 /* deeper entries were made by the build user itself */

/* The entries of the directory dfd (taken) to uid:gid, recursively. */
static int give_dir(int dfd, uid_t uid, gid_t gid, int depth)
{
	DIR *d = fdopendir(dfd);
	struct dirent *de;
	int rc = 0;

	if (!d) {
		close(dfd);
		return -1;
	}
	while (rc == 0 && (de = readdir(d))) {
		struct stat st;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if ((st.st_uid != uid || st.st_gid != gid) &&
		    fchownat(dirfd(d), de->d_name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
			rc = -1;
		if (rc == 0 && S_ISDIR(st.st_mode) && depth < GIVE_DEPTH) {
			int sub = openat(dirfd(d), de->d_name,
					 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

			if (sub >= 0)
				rc = give_dir(sub, uid, gid, depth + 1);
		}
	}
	closedir(d);
	return rc;
}

/*
 * The workdir and everything in it to the build user (symlinks themselves,
 * never followed). Nothing of an earlier step runs any more: its sandbox
 * went with its pid namespace.
 */
static int give_tree(const char *dir, uid_t uid, gid_t gid, struct q_error *err)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct stat st;

	/* bwrap enters it as a uid 0 without capabilities: searchable by others. */
	if (fd >= 0 && (fstat(fd, &st) < 0 || fchmod(fd, (st.st_mode & 07777) | 0711) < 0 ||
			fchown(fd, uid, gid) < 0)) {
		int e = errno;

		close(fd);
		fd = -1;
		errno = e;
	}
	if (fd < 0 || give_dir(fd, uid, gid, 0) < 0)
		return q_error_set(err, Q_EIO,
				   "sandbox: cannot give '%.200s' to the build user: %s", dir,
				   strerror(errno));
	return 0;
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
child(const struct q_sandbox *sb, char *const *argv, int out_fd, int status_fd, const int *keep,
      size_t n_keep, pid_t parent)
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
	/* The descriptors bwrap inherits: its status pipe and the memfds of its files. */
	if (fcntl(status_fd, F_SETFD, 0) < 0)
		_exit(127);
	for (size_t i = 0; i < n_keep; i++)
		if (fcntl(keep[i], F_SETFD, 0) < 0)
			_exit(127);

	if (sb->max_memory > 0)
		set_limit(RLIMIT_AS, sb->max_memory);
	if (sb->max_procs > 0)
		set_limit(RLIMIT_NPROC, sb->max_procs);
	set_limit(RLIMIT_NOFILE, sb->max_files > 0 ? sb->max_files : 1024);
	execv(BWRAP, argv);
	_exit(127);
}

static void close_fds(GArray *fds)
{
	for (guint i = 0; i < fds->len; i++)
		close(g_array_index(fds, int, i));
	g_array_set_size(fds, 0);
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

/* The build user must own nothing here: warn when the host gave its uid to someone. */
static void check_build_user(void)
{
	struct passwd pw, *found = NULL;
	struct group gr, *gfound = NULL;
	char buf[4096];

	if (getuid() != 0)
		return;
	if (getpwuid_r(Q_SANDBOX_BUILD_UID, &pw, buf, sizeof(buf), &found) == 0 && found)
		q_warn("sandbox: uid %d, the build user, is '%s' on this host; builds run as it "
		       "and must not own anything here: give that user another uid",
		       Q_SANDBOX_BUILD_UID, found->pw_name);
	if (getgrgid_r(Q_SANDBOX_BUILD_GID, &gr, buf, sizeof(buf), &gfound) == 0 && gfound)
		q_warn("sandbox: gid %d, the build user's group, is '%s' on this host; give that "
		       "group another gid",
		       Q_SANDBOX_BUILD_GID, gfound->gr_name);
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
	if (ok)
		check_build_user();
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
	int as_root = getuid() == 0;
	GArray *fds = g_array_new(FALSE, FALSE, sizeof(int));
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
	if (as_root && !sb->workdir_ro &&
	    give_tree(sb->workdir, Q_SANDBOX_BUILD_UID, Q_SANDBOX_BUILD_GID, err) < 0)
		goto out;
	argv = bwrap_argv(sb, pipefd[1], as_root, fds, err);
	if (!argv)
		goto out;

	start = now_sec();
	{
		pid_t parent = getpid();

		pid = fork();
		if (pid == 0)
			child(sb, (char *const *)argv->pdata, sb->log_fd, pipefd[1],
			      (const int *)(void *)fds->data, fds->len, parent);
	}
	if (pid < 0) {
		q_error_set(err, Q_EIO, "sandbox: fork: %s", strerror(errno));
		goto out;
	}
	/* Also here, so that killpg never races the child's own setpgid. */
	setpgid(pid, pid);
	close(pipefd[1]);
	pipefd[1] = -1;
	close_fds(fds);
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
	close_fds(fds);
	g_array_free(fds, TRUE);
	return ret;
}
