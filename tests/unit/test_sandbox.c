/*
 * test_sandbox.c: what the bubblewrap sandbox promises (build/sandbox.h),
 * checked by running real steps: success and exit codes, the log, the
 * minimal environment, no network (a TCP connect to a port the test
 * listens on fails inside), a read-only root with the workdir the only
 * writable path, a fresh /tmp, the host's secrets out of reach (an
 * allow-listed root, a synthesized /etc), the build user without
 * capabilities (also as uid 0 of its own user namespace), the time limit (latency printed), a
 * process tree killed whole at the time limit, the cancel flag, RLIMIT_AS
 * and the process count limit. Skipped when bwrap cannot run here.
 */
#include "core/common.h"
#include "core/error.h"
#include "core/fs.h"
#include "build/sandbox.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <glib.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>

#include <cmocka.h>

struct fixture {
	char base[64];    /* /var/tmp/quarry-sbtest-XXXXXX, removed at the end */
	char workdir[96]; /* base/wd */
	char outside[96]; /* base/outside: writable on the host, not in the sandbox */
	char log[96];     /* base/step.log */
	int log_fd;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!q_sandbox_available()) {
		free(f);
		return -1;
	}
	snprintf(f->base, sizeof(f->base), "/var/tmp/quarry-sbtest-XXXXXX");
	if (!mkdtemp(f->base))
		return -1;
	snprintf(f->workdir, sizeof(f->workdir), "%s/wd", f->base);
	snprintf(f->outside, sizeof(f->outside), "%s/outside", f->base);
	snprintf(f->log, sizeof(f->log), "%s/step.log", f->base);
	if (mkdir(f->workdir, 0755) < 0 || mkdir(f->outside, 0777) < 0)
		return -1;
	f->log_fd = open(f->log, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
	if (f->log_fd < 0)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	close(f->log_fd);
	q_fs_remove_tree(f->base, NULL);
	free(f);
	return 0;
}

static char *read_log(struct fixture *f)
{
	char *text = NULL;
	size_t len;

	assert_int_equal(q_fs_read_file(f->log, 1 << 20, &text, &len, NULL), 0);
	return text;
}

/* Run `sh -c SCRIPT` in the fixture's workdir. */
static int run_sh(struct fixture *f, const char *script, int64_t timeout,
		  struct q_sandbox_result *res, volatile int *cancel)
{
	const char *argv[] = {"/bin/sh", "-c", script, NULL};
	struct q_sandbox sb = {0};
	struct q_error err = {0};
	int rc;

	sb.backend = "host";
	sb.workdir = f->workdir;
	sb.argv = argv;
	sb.log_fd = f->log_fd;
	sb.timeout_sec = timeout;
	rc = q_sandbox_run(&sb, res, cancel, &err);
	if (rc < 0)
		print_error("q_sandbox_run: %s\n", err.msg);
	return rc;
}

static void test_ok_and_log(void **state)
{
	struct fixture *f = *state;
	struct q_sandbox_result res;
	char *log;

	assert_int_equal(run_sh(f, "echo hello; echo oops >&2; pwd", 30, &res, NULL), 0);
	assert_int_equal(res.status, Q_SANDBOX_OK);
	assert_int_equal(res.exit_code, 0);
	assert_true(res.seconds > 0 && res.seconds < 10);
	log = read_log(f);
	assert_non_null(strstr(log, "hello\n"));
	assert_non_null(strstr(log, "oops\n"));
	assert_non_null(strstr(log, f->workdir));
	free(log);
}

static void test_exit_code(void **state)
{
	struct fixture *f = *state;
	struct q_sandbox_result res;

	assert_int_equal(run_sh(f, "exit 3", 30, &res, NULL), 0);
	assert_int_equal(res.status, Q_SANDBOX_FAILED);
	assert_int_equal(res.exit_code, 3);
	assert_int_equal(res.signal, 0);
}

static void test_env(void **state)
{
	struct fixture *f = *state;
	struct q_sandbox_result res;
	const char *argv[] = {"/bin/sh", "-c", "test \"$FOO\" = bar && test -z \"$SECRET\"", NULL};
	const char *env[] = {"FOO=bar", "PATH=/usr/bin:/bin", NULL};
	const char *bad_env[] = {"NOEQUALS", NULL};
	struct q_sandbox sb = {0};
	struct q_error err = {0};
	char script[256];

	setenv("SECRET", "x", 1);
	snprintf(script, sizeof(script),
		 "test \"$HOME\" = %s && test \"$LANG\" = C.UTF-8 && test -z \"$SECRET\" && "
		 "test \"$PATH\" = /usr/bin:/bin:/usr/sbin:/sbin",
		 f->workdir);
	assert_int_equal(run_sh(f, script, 30, &res, NULL), 0);
	assert_int_equal(res.status, Q_SANDBOX_OK);

	sb.workdir = f->workdir;
	sb.argv = argv;
	sb.env = env;
	sb.log_fd = f->log_fd;
	assert_int_equal(q_sandbox_run(&sb, &res, NULL, &err), 0);
	assert_int_equal(res.status, Q_SANDBOX_OK);
	sb.env = bad_env;
	assert_int_equal(q_sandbox_run(&sb, &res, NULL, &err), -1);
	assert_non_null(strstr(err.msg, "NOEQUALS"));
	unsetenv("SECRET");
}

static void test_bad_arguments(void **state)
{
	struct fixture *f = *state;
	const char *argv[] = {"/bin/true", NULL};
	struct q_sandbox sb = {0};
	struct q_sandbox_result res;
	struct q_error err = {0};
	char missing[128];

	snprintf(missing, sizeof(missing), "%s/missing", f->base);
	sb.argv = argv;
	sb.log_fd = -1;
	sb.workdir = "relative";
	assert_int_equal(q_sandbox_run(&sb, &res, NULL, &err), -1);
	sb.workdir = missing;
	assert_int_equal(q_sandbox_run(&sb, &res, NULL, &err), -1);
	assert_non_null(strstr(err.msg, "not a directory"));
	sb.workdir = f->workdir;
	sb.backend = "mock";
	assert_int_equal(q_sandbox_run(&sb, &res, NULL, &err), -1);
	assert_non_null(strstr(err.msg, "not implemented"));
}

/* A command that does not exist is a failed step (bwrap's exec fails). */
static void test_missing_command(void **state)
{
	struct fixture *f = *state;
	const char *argv[] = {"/nonexistent/cmd", NULL};
	struct q_sandbox sb = {0};
	struct q_sandbox_result res;
	struct q_error err = {0};

	sb.workdir = f->workdir;
	sb.argv = argv;
	sb.log_fd = f->log_fd;
	assert_int_equal(q_sandbox_run(&sb, &res, NULL, &err), 0);
	assert_int_equal(res.status, Q_SANDBOX_FAILED);
	assert_int_not_equal(res.exit_code, 0);
}

static void test_no_network(void **state)
{
	struct fixture *f = *state;
	struct sockaddr_in sa = {0};
	socklen_t len = sizeof(sa);
	struct q_sandbox_result res;
	char script[256];
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int one = 1;
	char *log;

	assert_true(s >= 0);
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(s, 8), 0);
	assert_int_equal(getsockname(s, (struct sockaddr *)&sa, &len), 0);

	/* The control: the same connect works outside the sandbox. */
	snprintf(script, sizeof(script), "exec bash -c 'echo x > /dev/tcp/127.0.0.1/%d'",
		 ntohs(sa.sin_port));
	assert_int_equal(system(script), 0);

	assert_int_equal(run_sh(f, script, 30, &res, NULL), 0);
	assert_int_equal(res.status, Q_SANDBOX_FAILED);
	/* No interface but the loopback. */
	assert_int_equal(
	    run_sh(f, "test $(tail -n +3 /proc/net/dev | grep -vc 'lo:') = 0", 30, &res, NULL), 0);
	assert_int_equal(res.status, Q_SANDBOX_OK);
	log = read_log(f);
	assert_non_null(strstr(log, "/dev/tcp/127.0.0.1"));
	free(log);
	close(s);
}

static void test_read_only_root(void **state)
{
	struct fixture *f = *state;
	struct q_sandbox_result res;
	char script[512];
	char path[160];

	snprintf(script, sizeof(script), "echo x > %s/escaped", f->outside);
	assert_int_equal(run_sh(f, script, 30, &res, NULL), 0);
	assert_int_equal(res.status, Q_SANDBOX_FAILED);
	snprintf(path, sizeof(path), "%s/escaped", f->outside);
	assert_false(q_fs_exists(path));

	assert_int_equal(run_sh(f, "touch /usr/quarry-sandbox-test", 30, &res, NULL), 0);
	assert_int_equal(res.status, Q_SANDBOX_FAILED);
	assert_false(q_fs_exists("/usr/quarry-sandbox-test"));

	snprintf(script, sizeof(script), "mkdir -p sub && echo ok > sub/made && echo y > %s/abs",
		 f->workdir);
	assert_int_equal(run_sh(f, script, 30, &res, NULL), 0);
	assert_int_equal(res.status, Q_SANDBOX_OK);
	snprintf(path, sizeof(path), "%s/sub/made", f->workdir);
	assert_true(q_fs_exists(path));
	snprintf(path, sizeof(path), "%s/abs", f->workdir);
	assert_true(q_fs_exists(path));
}

/* Run `sh -c SCRIPT` with the options that the tests of the view vary. */
static int run_view(struct fixture *f, const char *script, const char *show, int map_root,
		    int workdir_ro, struct q_sandbox_result *res)
{
	const char *argv[] = {"/bin/sh", "-c", script, NULL};
	const char *shows[] = {show, NULL};
	struct q_sandbox sb = {0};
	struct q_error err = {0};
	int rc;

	sb.backend = "host";
	sb.workdir = f->workdir;
	sb.argv = argv;
	sb.log_fd = f->log_fd;
	sb.timeout_sec = 30;
	sb.show = show ? shows : NULL;
	sb.map_root = map_root;
	sb.workdir_ro = workdir_ro;
	rc = q_sandbox_run(&sb, res, NULL, &err);
	if (rc < 0)
		print_error("q_sandbox_run: %s\n", err.msg);
	return rc;
}

/*
 * The host's secrets are out of reach: a root-only file outside the
 * allow-list is not there at all; shown (bound in), it is there but
 * unreadable by the build user, while a readable file next to it reads;
 * /root, /home, /run, /var (but a fresh /var/tmp) and the host's /etc are
 * not in the sandbox, whose /etc/passwd is its own.
 */
static void test_hidden_secrets(void **state)
{
	struct fixture *f = *state;
	struct q_sandbox_result res;
	char dir[] = "/var/tmp/quarry-secret-XXXXXX", file[128], pub[128], script[512];
	int as_root = getuid() == 0;
	FILE *fp;

	assert_non_null(mkdtemp(dir));
	chmod(dir, 0755);
	snprintf(file, sizeof(file), "%s/private-key", dir);
	snprintf(pub, sizeof(pub), "%s/public", dir);
	fp = fopen(file, "w");
	assert_non_null(fp);
	fputs("SECRET\n", fp);
	fclose(fp);
	chmod(file, 0600);
	fp = fopen(pub, "w");
	assert_non_null(fp);
	fputs("PUBLIC\n", fp);
	fclose(fp);
	chmod(pub, 0644);
	/* The control: readable here, outside. */
	snprintf(script, sizeof(script), "cat %s >/dev/null", file);
	assert_int_equal(system(script), 0);

	snprintf(script, sizeof(script), "test ! -e %s && ! cat %s", dir, file);
	assert_int_equal(run_view(f, script, NULL, 0, 0, &res), 0);
	assert_int_equal(res.status, Q_SANDBOX_OK);
	snprintf(script, sizeof(script), "test -e %s && grep -qx PUBLIC %s && %s cat %s", file, pub,
		 as_root ? "!" : "", file);
	assert_int_equal(run_view(f, script, dir, 0, 0, &res), 0);
	assert_int_equal(res.status, Q_SANDBOX_OK);
	/* As uid 0 of its own user namespace, still not. */
	snprintf(script, sizeof(script), "test \"$(id -u)\" = 0 && test -e %s && %s cat %s", file,
		 as_root ? "!" : "", file);
	assert_int_equal(run_view(f, script, dir, 1, 0, &res), 0);
	assert_int_equal(res.status, Q_SANDBOX_OK);
	assert_int_equal(
	    run_view(f,
		     "for d in /root /home /run /var/lib /var/log /var/cache "
		     "/etc/shadow /etc/gshadow /etc/ssh /etc/ssl /etc/fstab; do "
		     "test -e $d && { echo $d; exit 1; }; done; "
		     "test -z \"$(ls -A /var | grep -vx tmp)\" && echo x >/var/tmp/w && "
		     "grep -q '^root:x:0:0:' /etc/passwd && test $(wc -l </etc/passwd) -le 4",
		     NULL, 0, 0, &res),
	    0);
	assert_int_equal(res.status, Q_SANDBOX_OK);
	q_fs_remove_tree(dir, NULL);
}

/*
 * Who runs the step: as root, the build user (uid, gid, no other group),
 * without any capability (bounding set included) and with no_new_privs;
 * what it writes is the build user's on the host. map_root: uid 0 inside,
 * with CAP_SYS_CHROOT of its own namespace only, its files the build
 * user's outside. workdir_ro: the
 * workdir cannot be written.
 */
static void test_build_user(void **state)
{
	struct fixture *f = *state;
	struct q_sandbox_result res;
	char path[160], script[512];
	struct stat st;
	unsigned uid = getuid() == 0 ? Q_SANDBOX_BUILD_UID : getuid();
	unsigned gid = getuid() == 0 ? Q_SANDBOX_BUILD_GID : getgid();
	const char *caps = "for c in CapInh CapPrm CapEff CapBnd CapAmb; do "
			   "grep -Eq \"^$c:[[:space:]]+0+$\" /proc/self/status || exit 1; done; "
			   "grep -Eq '^NoNewPrivs:[[:space:]]+1$' /proc/self/status";

	snprintf(script, sizeof(script),
		 "test \"$(id -u):$(id -g):$(id -G)\" = %u:%u:%u && %s && echo a >mine", uid, gid,
		 gid, caps);
	assert_int_equal(run_view(f, script, NULL, 0, 0, &res), 0);
	assert_int_equal(res.status, Q_SANDBOX_OK);
	snprintf(path, sizeof(path), "%s/mine", f->workdir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_uid, uid);
	assert_int_equal(st.st_gid, gid);
	/* The workdir itself, made by root, was given to the build user. */
	assert_int_equal(stat(f->workdir, &st), 0);
	assert_int_equal(st.st_uid, uid);

	/* map_root: CAP_SYS_CHROOT of its own user namespace, nothing else. */
	snprintf(script, sizeof(script),
		 "test \"$(id -u):$(id -g)\" = 0:0 && for c in CapInh CapPrm CapEff CapBnd CapAmb; "
		 "do grep -Eq \"^$c:[[:space:]]+0+%s$\" /proc/self/status || exit 1; done && "
		 "grep -Eq '^NoNewPrivs:[[:space:]]+1$' /proc/self/status && echo b >root",
		 "40000");
	assert_int_equal(run_view(f, script, NULL, 1, 0, &res), 0);
	assert_int_equal(res.status, Q_SANDBOX_OK);
	snprintf(path, sizeof(path), "%s/root", f->workdir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_uid, uid);

	assert_int_equal(run_view(f, "echo c >ro", NULL, 0, 1, &res), 0);
	assert_int_equal(res.status, Q_SANDBOX_FAILED);
	snprintf(path, sizeof(path), "%s/ro", f->workdir);
	assert_false(q_fs_exists(path));
}

static void test_fresh_tmp(void **state)
{
	struct fixture *f = *state;
	struct q_sandbox_result res;
	char marker[64];
	char script[256];
	int fd;

	snprintf(marker, sizeof(marker), "/tmp/quarry-sbtest-marker-%d", (int)getpid());
	fd = open(marker, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	close(fd);
	snprintf(script, sizeof(script),
		 "test ! -e %s && test -z \"$(ls -A /tmp)\" && echo in > /tmp/inside-%d && "
		 "echo shm > /dev/shm/x",
		 marker, (int)getpid());
	assert_int_equal(run_sh(f, script, 30, &res, NULL), 0);
	unlink(marker);
	assert_int_equal(res.status, Q_SANDBOX_OK);
	snprintf(marker, sizeof(marker), "/tmp/inside-%d", (int)getpid());
	assert_false(q_fs_exists(marker));
}

/* Processes whose command line holds tag, anywhere on the host. */
static int count_tagged(const char *tag)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d))) {
		char path[300];
		char *text = NULL;
		size_t len;

		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/cmdline", de->d_name);
		if (q_fs_read_file(path, 4096, &text, &len, NULL) < 0)
			continue;
		for (size_t i = 0; i < len; i++)
			if (!text[i])
				text[i] = ' ';
		if (len && strstr(text, tag))
			n++;
		free(text);
	}
	closedir(d);
	return n;
}

/* Wait up to 3 s for the kernel to finish tearing the sandbox down. */
static int tagged_after_teardown(const char *tag)
{
	int n = 0;

	for (int i = 0; i < 30; i++) {
		n = count_tagged(tag);
		if (!n)
			break;
		usleep(100 * 1000);
	}
	return n;
}

static void test_timeout(void **state)
{
	struct fixture *f = *state;
	struct q_sandbox_result res;

	assert_int_equal(run_sh(f, "exec sleep 100", 2, &res, NULL), 0);
	assert_int_equal(res.status, Q_SANDBOX_TIMEOUT);
	print_message("timeout 2 s: killed after %.3f s\n", res.seconds);
	assert_true(res.seconds >= 2.0 && res.seconds < 3.0);
	assert_true(res.signal == SIGTERM || res.signal == SIGKILL);
}

/* Children in the background, grandchildren in their own sessions: all die. */
static void test_timeout_kills_tree(void **state)
{
	struct fixture *f = *state;
	struct q_sandbox_result res;
	char tag[32];
	char script[512];

	snprintf(tag, sizeof(tag), "4242.%d", (int)getpid());
	snprintf(script, sizeof(script),
		 "for i in 1 2 3 4 5 6 7 8; do (sleep %s &); setsid sleep %s & "
		 "sh -c 'trap \"\" TERM HUP; sleep %s' & done; sleep %s",
		 tag, tag, tag, tag);
	assert_int_equal(run_sh(f, script, 2, &res, NULL), 0);
	assert_int_equal(res.status, Q_SANDBOX_TIMEOUT);
	print_message("process tree, timeout 2 s: killed after %.3f s\n", res.seconds);
	assert_true(res.seconds < 3.5);
	assert_int_equal(tagged_after_teardown(tag), 0);
}

struct canceler {
	volatile int *flag;
	int after_ms;
};

static void *cancel_later(void *arg)
{
	struct canceler *c = arg;

	usleep((useconds_t)c->after_ms * 1000);
	*c->flag = 1;
	return NULL;
}

static void test_cancel(void **state)
{
	struct fixture *f = *state;
	struct q_sandbox_result res;
	volatile int flag = 0;
	struct canceler c = {&flag, 500};
	pthread_t t;

	assert_int_equal(pthread_create(&t, NULL, cancel_later, &c), 0);
	assert_int_equal(run_sh(f, "sleep 100", 60, &res, &flag), 0);
	pthread_join(t, NULL);
	assert_int_equal(res.status, Q_SANDBOX_FAILED);
	assert_true(res.seconds < 2.5);
	print_message("canceled at 0.5 s: gone after %.3f s\n", res.seconds);
}

static void test_max_memory(void **state)
{
	struct fixture *f = *state;
	const char *argv[] = {"/usr/bin/python3", "-c", "bytearray(2<<30)", NULL};
	const char *small[] = {"/usr/bin/python3", "-c", "bytearray(16<<20)", NULL};
	struct q_sandbox sb = {0};
	struct q_sandbox_result res;
	struct q_error err = {0};
	char *log;

	if (!q_fs_exists("/usr/bin/python3"))
		skip();
	sb.workdir = f->workdir;
	sb.argv = argv;
	sb.log_fd = f->log_fd;
	sb.timeout_sec = 60;
	sb.max_memory = (int64_t)256 << 20;
	assert_int_equal(q_sandbox_run(&sb, &res, NULL, &err), 0);
	assert_int_equal(res.status, Q_SANDBOX_FAILED);
	log = read_log(f);
	assert_non_null(strstr(log, "MemoryError"));
	free(log);
	sb.argv = small;
	assert_int_equal(q_sandbox_run(&sb, &res, NULL, &err), 0);
	assert_int_equal(res.status, Q_SANDBOX_OK);
}

static void test_max_files(void **state)
{
	struct fixture *f = *state;
	const char *argv[] = {"/bin/sh", "-c", "test \"$(ulimit -n)\" = 64", NULL};
	struct q_sandbox sb = {0};
	struct q_sandbox_result res;

	sb.workdir = f->workdir;
	sb.argv = argv;
	sb.log_fd = f->log_fd;
	sb.max_files = 64;
	assert_int_equal(q_sandbox_run(&sb, &res, NULL, NULL), 0);
	assert_int_equal(res.status, Q_SANDBOX_OK);
}

static void test_max_procs(void **state)
{
	struct fixture *f = *state;
	struct q_sandbox sb = {0};
	struct q_sandbox_result res;
	char tag[32];
	char script[256];
	const char *argv[] = {"/bin/sh", "-c", script, NULL};
	char *log;

	snprintf(tag, sizeof(tag), "4343.%d", (int)getpid());
	snprintf(script, sizeof(script), "for i in $(seq 40); do sleep %s & done; wait", tag);
	sb.workdir = f->workdir;
	sb.argv = argv;
	sb.log_fd = f->log_fd;
	sb.timeout_sec = 20;
	sb.max_procs = 10;
	assert_int_equal(q_sandbox_run(&sb, &res, NULL, NULL), 0);
	assert_int_equal(res.status, Q_SANDBOX_FAILED);
	assert_true(res.seconds < 5);
	log = read_log(f);
	/* As root: our process count; otherwise fork fails with EAGAIN. */
	assert_true(strstr(log, "more than the limit of 10") || strstr(log, "fork"));
	free(log);
	assert_int_equal(tagged_after_teardown(tag), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_ok_and_log, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_exit_code, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_env, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_arguments, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_missing_command, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_no_network, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_read_only_root, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fresh_tmp, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_hidden_secrets, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_build_user, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_timeout, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_timeout_kills_tree, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cancel, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_max_memory, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_max_files, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_max_procs, setup, teardown),
	};

	if (!q_sandbox_available()) {
		print_message("bubblewrap cannot create a sandbox here; skipping\n");
		return 0;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
