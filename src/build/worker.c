/*
 * worker.c: `quarry worker`, the build worker (worker.h).
 *
 * DESIGN
 *  - The main thread claims (POST /worker/claim) while slots are free:
 *    again at once after a task, every second when the hub has nothing,
 *    with a backoff up to 30 s when the hub cannot be reached (a hub
 *    restart: the running tasks go on and report when it is back).
 *  - Each task has a runner thread and a monitor thread, each with its own
 *    curl handle. The runner downloads the input into a fresh directory
 *    WORKDIR/NAME/task-ID-ATTEMPT-XXXXXX/root/ (the input goes there too:
 *    the sandbox has a /tmp of its own, so a workdir under the host's /tmp
 *    is visible inside only through the bound root/), runs the steps in the
 *    sandbox with root/ as the only writable path, uploads the outputs and posts
 *    the result. rpmbuild's _topdir is root/rpmbuild and its _tmppath the
 *    sandbox's own /tmp (the host's /var/tmp is read-only there). The monitor beats every 5 s (less
 * when the lease is short) and sends what the log file gained every second. A heartbeat answered
 * 409 or {"cancel":true}, or a 409 to anything else, abandons the task: the sandbox is killed
 * through its cancel flag and nothing more is reported. The monitor runs until the result is
 * posted, so a long upload keeps the lease.
 *  - The log: the sandbox writes build.log beside root/ (out of the step's
 *    reach); both threads send it from an offset under a mutex, at most
 *    1 MiB per request and Q_LOG_MAX in all.
 *  - Outputs are opened component by component with O_NOFOLLOW and must be
 *    regular files: a step cannot make the worker upload a host file
 *    through a symlink in RPMS/.
 *  - Backend installroot: before its steps each task prepares (or, almost
 *    always, reuses) the dnf --installroot of the configured repos under
 *    WORKDIR/roots (build/buildroot.h; flock-serialised between slots and
 *    workers), runs every step with that root as the sandbox's /, and
 *    reports the root's package list as its buildroot. A root that cannot
 *    be prepared fails the task with dnf's message.
 *  - SIGTERM/SIGINT (cmd_worker) set *stop: claim nothing more, abandon
 *    the running tasks (the hub requeues them after their lease), exit.
 */
#include "core/common.h"
#include "core/config.h"
#include "core/error.h"
#include "core/fs.h"
#include "core/hash.h"
#include "core/log.h"
#include "core/names.h"
#include "build/buildroot.h"
#include "build/sandbox.h"
#include "build/worker.h"
#include "cli/cli.h"
#include "cli/client.h"

#include <dirent.h>
#include <fcntl.h>
#include <glib.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>

#define Q_LOG_CHUNK ((size_t)1 << 20)  /* bytes per log request */
#define Q_LOG_MAX ((int64_t)256 << 20) /* log bytes sent per task */
#define Q_INPUT_MAX ((int64_t)8 << 30) /* largest input (bundle or SRPM) */
#define Q_MAX_OUTPUTS 10000            /* RPMs of one task */
#define Q_BACKOFF_MAX_MS 30000
/* Seconds a claim waits on the hub for a task. Short: a worker told to stop
 * waits for its claim's answer (a progress callback to abandon it made
 * every claim slower), and each claim also expires lost leases. */
#define Q_WORKER_CLAIM_WAIT 2
#define Q_RESULT_TRIES 40 /* ~15 min of backoff for the result */
#define Q_STEP_MAX_PROCS 4096
#define Q_STEP_MAX_FILES 16384

/* ---- configuration ---- */

enum {
	OPT_ARCH,
	OPT_SLOTS,
	OPT_NAME,
	OPT_WORKDIR,
	OPT_ONCE,
	OPT_MAX_MEMORY,
	OPT_BACKEND,
	OPT_BR_REPO,
	OPT_BR_PACKAGES,
	OPT_BR_RELEASEVER,
};

static int name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > Q_WORKER_NAME_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!g_ascii_isalnum(s[i]) && s[i] != '.' && s[i] != '_' && s[i] != '-')
			return 0;
	return 1;
}

static int arch_ok(const char *arch)
{
	return q_arch_valid(arch) || !strcmp(arch, "noarch");
}

int q_worker_config_from_args(const struct q_cli_args *a, struct q_worker_config *cfg,
			      struct q_error *err)
{
	const char *arches = a->val[OPT_ARCH];
	char host[256] = "";
	int64_t v;

	memset(cfg, 0, sizeof(*cfg));
	cfg->arches = g_strsplit(arches ? arches : "", ",", -1);
	if (!cfg->arches[0]) {
		q_error_set(err, Q_EINVAL, "no arch given; use --arch x86_64,noarch");
		goto fail;
	}
	for (size_t i = 0; cfg->arches[i]; i++) {
		if (!arch_ok(cfg->arches[i])) {
			q_error_set(err, Q_EINVAL,
				    "arch '%.64s' is unknown; use x86_64, aarch64, ppc64le, s390x, "
				    "i686, riscv64 or noarch",
				    cfg->arches[i]);
			goto fail;
		}
		for (size_t j = 0; j < i; j++)
			if (!strcmp(cfg->arches[i], cfg->arches[j])) {
				q_error_set(err, Q_EINVAL, "arch '%s' is given twice",
					    cfg->arches[i]);
				goto fail;
			}
	}
	cfg->slots = 1;
	if (a->val[OPT_SLOTS]) {
		if (q_parse_int(a->val[OPT_SLOTS], 1, Q_WORKER_MAX_SLOTS, &v) < 0) {
			q_error_set(err, Q_EINVAL, "--slots '%.64s' is not a number from 1 to %d",
				    a->val[OPT_SLOTS], Q_WORKER_MAX_SLOTS);
			goto fail;
		}
		cfg->slots = (int)v;
	}
	if (a->val[OPT_NAME]) {
		cfg->name = g_strdup(a->val[OPT_NAME]);
	} else {
		char *dot;

		if (gethostname(host, sizeof(host) - 1) < 0 || !host[0])
			snprintf(host, sizeof(host), "worker");
		dot = strchr(host, '.');
		if (dot)
			*dot = '\0';
		cfg->name = g_strdup(host);
	}
	if (!name_ok(cfg->name)) {
		q_error_set(err, Q_EINVAL,
			    "worker name '%.64s' must be 1 to %d letters, digits, '.', '_' or '-'",
			    cfg->name, Q_WORKER_NAME_MAX);
		goto fail;
	}
	if (a->val[OPT_WORKDIR]) {
		if (!a->val[OPT_WORKDIR][0]) {
			q_error_set(err, Q_EINVAL, "--workdir is empty");
			goto fail;
		}
		cfg->workdir = g_canonicalize_filename(a->val[OPT_WORKDIR], NULL);
	} else {
		cfg->workdir = g_strdup(Q_WORKER_DEFAULT_DIR);
	}
	cfg->max_memory = 0;
	if (a->val[OPT_MAX_MEMORY]) {
		if (q_parse_size(a->val[OPT_MAX_MEMORY], &v) < 0 || (v && v < (64 << 20))) {
			q_error_set(err, Q_EINVAL,
				    "--max-memory '%.64s' is not a size of at least 64M (or 0)",
				    a->val[OPT_MAX_MEMORY]);
			goto fail;
		}
		cfg->max_memory = v;
	}
	cfg->once = a->val[OPT_ONCE] != NULL;
	cfg->backend = g_strdup(a->val[OPT_BACKEND] ? a->val[OPT_BACKEND] : "host");
	if (a->val[OPT_BR_REPO]) {
		cfg->buildroot_repos = g_new0(char *, 2);
		cfg->buildroot_repos[0] = g_strdup(a->val[OPT_BR_REPO]);
	}
	if (a->val[OPT_BR_PACKAGES]) {
		char *p = g_strdup(a->val[OPT_BR_PACKAGES]);

		g_strdelimit(g_strstrip(p), "\t\n,", ' ');
		cfg->buildroot_packages = g_regex_split_simple(" +", p, 0, 0);
		g_free(p);
		if (!cfg->buildroot_packages[0] || !cfg->buildroot_packages[0][0]) {
			q_error_set(err, Q_EINVAL, "--buildroot-packages is empty");
			goto fail;
		}
	}
	cfg->releasever = g_strdup(a->val[OPT_BR_RELEASEVER] ? a->val[OPT_BR_RELEASEVER] : "9");
	if (q_worker_config_check_backend(cfg, err) < 0)
		goto fail;
	return 0;
fail:
	q_worker_config_release(cfg);
	return -1;
}

int q_worker_config_check_backend(const struct q_worker_config *cfg, struct q_error *err)
{
	int has_repos = cfg->buildroot_repos && cfg->buildroot_repos[0];

	if (!cfg->backend || !strcmp(cfg->backend, "host")) {
		if (has_repos || cfg->buildroot_packages)
			return q_error_set(err, Q_EINVAL,
					   "--buildroot-repo and --buildroot-packages need "
					   "--backend installroot");
		return 0;
	}
	if (strcmp(cfg->backend, "installroot"))
		return q_error_set(err, Q_EINVAL,
				   "backend '%.64s' is unknown; use host or installroot",
				   cfg->backend);
	/* Without repos of its own it builds only for projects with a build tag. */
	if (!has_repos)
		return 0;
	{
		struct q_buildroot_spec spec = {
		    .repos = (const char *const *)cfg->buildroot_repos,
		    .packages = (const char *const *)cfg->buildroot_packages,
		    .releasever = cfg->releasever ? cfg->releasever : "9",
		};
		char key[65];

		return q_buildroot_key(&spec, key, err);
	}
}

void q_worker_config_release(struct q_worker_config *cfg)
{
	g_strfreev(cfg->arches);
	g_free(cfg->backend);
	g_strfreev(cfg->buildroot_repos);
	g_strfreev(cfg->buildroot_packages);
	g_free(cfg->releasever);
	g_free(cfg->name);
	g_free(cfg->workdir);
	g_free(cfg->hub);
	if (cfg->token)
		memset(cfg->token, 0, strlen(cfg->token));
	g_free(cfg->token);
	memset(cfg, 0, sizeof(*cfg));
}

/* ---- pieces without a hub ---- */

static int dist_ok(const char *s)
{
	for (; *s; s++)
		if (!g_ascii_isalnum(*s) && !strchr("._+~^-", *s))
			return 0;
	return 1;
}

static int copy_str(const json_t *obj, const char *key, char *buf, size_t size, int required,
		    struct q_error *err)
{
	const json_t *v = json_object_get(obj, key);
	const char *s = json_string_value(v);

	if (!s) {
		buf[0] = '\0';
		if (required || (v && !json_is_null(v)))
			return q_error_set(err, Q_EINVAL, "the claimed task has no string '%s'",
					   key);
		return 0;
	}
	if (strlen(s) >= size)
		return q_error_set(err, Q_EINVAL, "the claimed task's '%s' is too long", key);
	memcpy(buf, s, strlen(s) + 1);
	return 0;
}

static int64_t int_or(const json_t *obj, const char *key, int64_t dflt)
{
	const json_t *v = json_object_get(obj, key);

	return json_is_integer(v) ? (int64_t)json_integer_value(v) : dflt;
}

int q_worker_task_parse(const json_t *answer, struct q_worker_task *t, struct q_error *err)
{
	const json_t *j = json_object_get(answer, "task");
	char input[300];

	memset(t, 0, sizeof(*t));
	if (!json_is_object(j))
		return q_error_set(err, Q_EINVAL, "the claim answer has no 'task' object");
	t->id = int_or(j, "id", 0);
	t->build = int_or(j, "build", 0);
	t->attempt = int_or(j, "attempt", -1);
	t->lease = int_or(j, "lease", 30);
	t->timeout = int_or(j, "timeout", 7200);
	if (t->id <= 0 || t->attempt < 0)
		return q_error_set(err, Q_EINVAL, "the claimed task has no id or attempt");
	if (copy_str(j, "kind", t->kind, sizeof(t->kind), 1, err) < 0 ||
	    copy_str(j, "arch", t->arch, sizeof(t->arch), 1, err) < 0 ||
	    copy_str(j, "dist_tag", t->dist, sizeof(t->dist), 0, err) < 0 ||
	    copy_str(j, "nevr", t->nevr, sizeof(t->nevr), 0, err) < 0 ||
	    copy_str(j, "input", input, sizeof(input), 0, err) < 0)
		return -1;
	if (strcmp(t->kind, "srpm") && strcmp(t->kind, "rpm"))
		return q_error_set(err, Q_EINVAL, "task %" PRId64 ": kind '%s' is unknown", t->id,
				   t->kind);
	/* An SRPM task's arch is "src" (it builds on any worker). */
	if (!arch_ok(t->arch) && strcmp(t->arch, "src"))
		return q_error_set(err, Q_EINVAL, "task %" PRId64 ": arch '%s' is unknown", t->id,
				   t->arch);
	if (!dist_ok(t->dist))
		return q_error_set(err, Q_EINVAL, "task %" PRId64 ": dist tag '%s' is not valid",
				   t->id, t->dist);
	if (t->lease <= 0)
		t->lease = 30;
	if (t->timeout <= 0)
		t->timeout = 7200;
	if (!input[0]) {
		snprintf(t->input, sizeof(t->input), "worker/tasks/%" PRId64 "/input", t->id);
	} else {
		const char *p = input;

		if (!strncmp(p, "/api/v1/", 8))
			p += 8;
		else if (p[0] == '/' || strstr(p, "://"))
			return q_error_set(err, Q_EINVAL,
					   "task %" PRId64 ": input '%.200s' is not under /api/v1/",
					   t->id, input);
		if (strlen(p) >= sizeof(t->input))
			return q_error_set(err, Q_EINVAL, "task %" PRId64 ": input is too long",
					   t->id);
		memcpy(t->input, p, strlen(p) + 1);
	}
	{
		json_t *b = json_object_get(j, "buildroot");

		if (b && !json_is_null(b) && !json_is_object(b))
			return q_error_set(err, Q_EINVAL,
					   "task %" PRId64 ": buildroot is not an object", t->id);
		if (json_is_object(b))
			t->buildroot = json_incref(b);
	}
	return 0;
}

void q_worker_task_release(struct q_worker_task *t)
{
	json_decref(t->buildroot);
	t->buildroot = NULL;
}

static char **strv_take(GPtrArray *a)
{
	g_ptr_array_add(a, NULL);
	return (char **)g_ptr_array_free(a, FALSE);
}

static void add_define(GPtrArray *a, const char *name, const char *value)
{
	g_ptr_array_add(a, g_strdup("--define"));
	g_ptr_array_add(a, g_strdup_printf("%s %s", name, value));
}

/* An empty %dist must still be defined, or the spec's own default applies. */
static const char *dist_value(const char *dist)
{
	return dist && *dist ? dist : "%{nil}";
}

char **q_worker_tar_argv(const char *tarball, const char *dest)
{
	GPtrArray *a = g_ptr_array_new();

	g_ptr_array_add(a, g_strdup("tar"));
	g_ptr_array_add(a, g_strdup("--no-same-owner"));
	g_ptr_array_add(a, g_strdup("-xf"));
	g_ptr_array_add(a, g_strdup(tarball));
	g_ptr_array_add(a, g_strdup("-C"));
	g_ptr_array_add(a, g_strdup(dest));
	return strv_take(a);
}

char **q_worker_srpm_argv(const char *root, const char *spec, const char *dist)
{
	GPtrArray *a = g_ptr_array_new();
	char *v;

	g_ptr_array_add(a, g_strdup("rpmbuild"));
	g_ptr_array_add(a, g_strdup("-bs"));
	v = g_strdup_printf("%s/rpmbuild", root);
	add_define(a, "_topdir", v);
	g_free(v);
	v = g_strdup_printf("%s/src/SOURCES", root);
	add_define(a, "_sourcedir", v);
	g_free(v);
	v = g_strdup_printf("%s/src/SPECS", root);
	add_define(a, "_specdir", v);
	g_free(v);
	add_define(a, "_tmppath", "/tmp");
	add_define(a, "dist", dist_value(dist));
	g_ptr_array_add(a, g_strdup_printf("%s/src/SPECS/%s", root, spec));
	return strv_take(a);
}

char **q_worker_rpm_argv(const char *root, const char *srpm, const char *arch, const char *dist)
{
	GPtrArray *a = g_ptr_array_new();
	char *v;

	g_ptr_array_add(a, g_strdup("rpmbuild"));
	g_ptr_array_add(a, g_strdup("--rebuild"));
	v = g_strdup_printf("%s/rpmbuild", root);
	add_define(a, "_topdir", v);
	g_free(v);
	add_define(a, "_tmppath", "/tmp");
	add_define(a, "dist", dist_value(dist));
	if (strcmp(arch, "noarch")) {
		g_ptr_array_add(a, g_strdup("--target"));
		g_ptr_array_add(a, g_strdup(arch));
	}
	g_ptr_array_add(a, g_strdup(srpm));
	return strv_take(a);
}

static int cmp_strp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

char **q_worker_deps_parse(const char *text, int *dynamic)
{
	char **lines = g_strsplit(text ? text : "", "\n", -1);
	GPtrArray *a = g_ptr_array_new();

	if (dynamic)
		*dynamic = 0;
	for (size_t i = 0; lines[i]; i++) {
		char *l = g_strstrip(lines[i]);
		int dup = 0;

		if (!l[0] || g_str_has_prefix(l, "warning:") || g_str_has_prefix(l, "error:") ||
		    g_str_has_prefix(l, "==") || g_str_has_prefix(l, "Executing(") ||
		    g_str_has_prefix(l, "+ ") || g_str_has_prefix(l, "Wrote:"))
			continue;
		if (g_str_has_prefix(l, "rpmlib(")) {
			if (dynamic && g_str_has_prefix(l, "rpmlib(DynamicBuildRequires)"))
				*dynamic = 1;
			continue;
		}
		for (guint j = 0; j < a->len; j++)
			dup |= !strcmp(a->pdata[j], l);
		if (!dup)
			g_ptr_array_add(a, g_strdup(l));
	}
	g_strfreev(lines);
	return strv_take(a);
}

char *q_worker_missing_deps_message(const char *log)
{
	const char *p = log ? strstr(log, "Failed build dependencies:") : NULL;
	GString *names;
	char **lines;

	if (!p)
		return NULL;
	names = g_string_new("");
	lines = g_strsplit(p, "\n", -1);
	/* The next lines, "\tNAME [OP VERSION] is needed by NEVRA", until another line. */
	for (size_t i = 1; lines[i]; i++) {
		char *l = lines[i];
		char *by = strstr(l, " is needed by ");

		if ((l[0] != '\t' && l[0] != ' ') || !by)
			break;
		*by = '\0';
		g_strstrip(l);
		if (l[0])
			g_string_append_printf(names, "%s%s", names->len ? ", " : "", l);
	}
	g_strfreev(lines);
	if (!names->len) {
		g_string_free(names, TRUE);
		return NULL;
	}
	{
		char *msg = g_strdup_printf(
		    "BuildRequires not installed on this worker: %s (the host backend checks the "
		    "host's rpm database; give the project a build tag and run an installroot "
		    "worker)",
		    names->str);

		g_string_free(names, TRUE);
		return msg;
	}
}

json_t *q_worker_pkglist_parse(const char *text)
{
	char **lines = g_strsplit(text ? text : "", "\n", -1);
	size_t n = g_strv_length(lines);
	json_t *arr = json_array();

	qsort(lines, n, sizeof(*lines), cmp_strp);
	for (size_t i = 0; i < n; i++) {
		char *s = g_strstrip(lines[i]);

		if (!*s || (i > 0 && !strcmp(s, g_strstrip(lines[i - 1]))))
			continue;
		json_array_append_new(arr, json_string(s));
	}
	g_strfreev(lines);
	return arr;
}

json_t *q_worker_buildroot(struct q_error *err)
{
	char *argv[] = {"rpm", "-qa", "--qf", "%{NEVRA}\\n", NULL};
	char *out = NULL;
	char *errout = NULL;
	GError *gerr = NULL;
	int status = 0;
	json_t *ret = NULL;

	if (!g_spawn_sync(NULL, argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &errout, &status,
			  &gerr)) {
		q_error_set(err, Q_EIO, "cannot run 'rpm -qa': %s", gerr->message);
		g_error_free(gerr);
		goto out;
	}
	if (!g_spawn_check_wait_status(status, NULL)) {
		q_error_set(err, Q_EIO, "'rpm -qa' failed: %.200s", errout ? errout : "");
		goto out;
	}
	ret = q_worker_pkglist_parse(out);
out:
	g_free(out);
	g_free(errout);
	return ret;
}

void q_worker_step_message(const char *what, const struct q_sandbox_result *res, int64_t timeout,
			   char *buf, size_t size)
{
	if (res->status == Q_SANDBOX_TIMEOUT)
		snprintf(buf, size, "%s was killed after the time limit of %" PRId64 " s", what,
			 timeout);
	else if (res->signal)
		snprintf(buf, size, "%s was killed by signal %d; see the log", what, res->signal);
	else if (res->status == Q_SANDBOX_OK)
		snprintf(buf, size, "%s succeeded", what);
	else
		snprintf(buf, size, "%s failed with exit code %d; see the log", what,
			 res->exit_code);
}

/* ---- the running worker ---- */

struct task;

struct worker {
	const struct q_worker_config *cfg;
	json_t *buildroot; /* read-only once the tasks run */
	char *dir;         /* WORKDIR/NAME */
	volatile int *stop;
	pthread_mutex_t lock;   /* tasks, ended */
	struct task *tasks;     /* running or finished, not yet joined */
	unsigned ended;         /* bumped when a task ends */
	pthread_cond_t changed; /* signalled when ended is bumped (with lock) */
	int once_status;        /* --once: 0 when the task closed */
};

struct task {
	struct worker *w;
	struct q_worker_task t;
	struct task *next;
	pthread_t thread;
	pthread_t monitor;
	int monitor_started;
	volatile int cancel;     /* the sandbox's cancel flag */
	int abandoned;           /* atomic: report nothing more */
	int done;                /* atomic: the runner is through with the hub */
	int finished;            /* atomic: the runner thread returned */
	int closed;              /* the hub accepted a "closed" result */
	char *dir;               /* the task directory */
	char *root;              /* dir/root: the sandbox's workdir */
	char *sysroot;           /* installroot: the prepared root, the sandbox's / */
	json_t *buildroot;       /* installroot: that root's packages */
	json_t *buildroot_repos; /* installroot: [{name, url, repomd_sha256}] */
	struct brctx *br;        /* installroot: the task's buildroot */
	int log_fd;
	pthread_mutex_t log_lock; /* log_sent, log_broken, log_truncated */
	int64_t log_sent;
	int log_broken;
	int log_truncated;
};

static int get_flag(int *p)
{
	return __atomic_load_n(p, __ATOMIC_SEQ_CST);
}

static void set_flag(int *p)
{
	__atomic_store_n(p, 1, __ATOMIC_SEQ_CST);
}

static void abandon(struct task *k, const char *why)
{
	if (!get_flag(&k->abandoned))
		q_warn("worker: task %" PRId64 " (attempt %" PRId64 "): %s; dropping it", k->t.id,
		       k->t.attempt, why);
	set_flag(&k->abandoned);
	k->cancel = 1;
}

static int client_open(struct q_client *c, const struct worker *w, struct q_error *err)
{
	memset(c, 0, sizeof(*c));
	c->hub = g_strdup(w->cfg->hub);
	c->token = g_strdup(w->cfg->token);
	c->curl = curl_easy_init();
	if (!c->curl) {
		q_client_release(c);
		return q_error_set(err, Q_EINTERNAL, "cannot initialise libcurl");
	}
	return 0;
}

/* Sleep ms, or less when we stop (or a task ends, when wake_on_end). */
static void nap(struct worker *w, int ms, int wake_on_end)
{
	struct timespec until;
	unsigned ended;

	clock_gettime(CLOCK_REALTIME, &until);
	pthread_mutex_lock(&w->lock);
	ended = w->ended;
	/* Slices of at most 100 ms so that a stop signal is seen quickly; a
	 * task's end wakes us at once through the condition variable. */
	for (int t = 0; t < ms && !*w->stop; t += 100) {
		int slice = ms - t < 100 ? ms - t : 100;

		until.tv_nsec += (long)slice * 1000000L;
		while (until.tv_nsec >= 1000000000L) {
			until.tv_nsec -= 1000000000L;
			until.tv_sec++;
		}
		pthread_cond_timedwait(&w->changed, &w->lock, &until);
		if (wake_on_end && w->ended != ended)
			break;
	}
	pthread_mutex_unlock(&w->lock);
}

static void log_line(struct task *k, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A line of the worker's own in the task's log. */
static void log_line(struct task *k, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	if (write(k->log_fd, s, strlen(s)) < 0)
		q_debug("worker: cannot write the log of task %" PRId64, k->t.id);
	g_free(s);
}

static char *task_path(struct task *k, const char *what)
{
	return g_strdup_printf("worker/tasks/%" PRId64 "/%s?attempt=%" PRId64, k->t.id, what,
			       k->t.attempt);
}

/*
 * The worker's own paths in what goes to the hub (the log, the result's
 * message): the task's rpmbuild _topdir becomes %{_topdir}, the rest of its
 * directory TASKDIR, the worker's work directory WORKDIR. Longest first.
 * A path cut by the end of buf is not seen: stream_log sends whole lines.
 */
static void redact_append(const struct task *k, const char *buf, size_t n, GString *out)
{
	char *topdir = g_strdup_printf("%s/rpmbuild", k->root ? k->root : "/nonexistent");
	const char *from[] = {topdir, k->root, k->dir, k->w->cfg->workdir};
	const char *to[] = {"%{_topdir}", "TASKDIR", "TASKDIR/..", "WORKDIR"};
	size_t len[G_N_ELEMENTS(from)];
	size_t i = 0;

	for (size_t f = 0; f < G_N_ELEMENTS(from); f++)
		len[f] = from[f] && from[f][0] == '/' ? strlen(from[f]) : 0;
	while (i < n) {
		/* Every path we replace is absolute: look at each '/' only. */
		const char *slash = memchr(buf + i, '/', n - i);
		size_t at = slash ? (size_t)(slash - buf) : n, bl = 0, best = 0;

		g_string_append_len(out, buf + i, (gssize)(at - i));
		i = at;
		if (i >= n)
			break;
		for (size_t f = 0; f < G_N_ELEMENTS(from); f++) {
			size_t l = len[f];

			if (l < 2 || l > n - i || memcmp(buf + i, from[f], l) != 0)
				continue;
			if (i + l < n && !strchr("/'\" \t\r\n:;,)", buf[i + l]))
				continue;
			best = f;
			bl = l;
			break;
		}
		if (bl) {
			g_string_append(out, to[best]);
			i += bl;
		} else {
			g_string_append_c(out, '/');
			i++;
		}
	}
	g_free(topdir);
}

/*
 * Send what the log gained since the last call, whole lines only unless
 * final (the task's steps are over) or a line fills a whole chunk, so that
 * no path is cut in two before it is rewritten. Returns 1 when everything
 * written so far was sent (or will never be), 0 when some is left for a
 * retry (the hub could not be reached).
 */
static int stream_log(struct task *k, struct q_client *c, int final)
{
	char *path = task_path(k, "log");
	char *buf = g_malloc(Q_LOG_CHUNK);
	GString *red = g_string_sized_new(Q_LOG_CHUNK);
	struct q_error err = {0};
	int ret = 1;

	pthread_mutex_lock(&k->log_lock);
	while (!k->log_broken && !get_flag(&k->abandoned)) {
		long status = 0;
		ssize_t n;

		if (k->log_sent >= Q_LOG_MAX) {
			static const char note[] = "\n[quarry worker: the log is truncated here]\n";

			if (!k->log_truncated &&
			    q_client_post_raw(c, path, "text/plain; charset=utf-8", note,
					      sizeof(note) - 1, &status, NULL, &err) == 0)
				k->log_truncated = 1;
			break;
		}
		n = pread(k->log_fd, buf, Q_LOG_CHUNK, k->log_sent);
		if (n <= 0)
			break;
		if ((int64_t)n > Q_LOG_MAX - k->log_sent)
			n = (ssize_t)(Q_LOG_MAX - k->log_sent);
		if (!final && (size_t)n < Q_LOG_CHUNK) {
			const char *nl = memrchr(buf, '\n', (size_t)n);

			if (!nl)
				break; /* the rest of the line comes later */
			n = nl - buf + 1;
		}
		g_string_truncate(red, 0);
		redact_append(k, buf, (size_t)n, red);
		if (q_client_post_raw(c, path, "text/plain; charset=utf-8", red->str, red->len,
				      &status, NULL, &err) == 0) {
			k->log_sent += n;
			continue;
		}
		if (status == 409) {
			abandon(k, err.msg);
		} else if (status == 0) {
			ret = 0; /* try again later */
		} else {
			q_warn("worker: task %" PRId64 ": the hub refused its log: %s", k->t.id,
			       err.msg);
			k->log_broken = 1;
		}
		break;
	}
	pthread_mutex_unlock(&k->log_lock);
	g_string_free(red, TRUE);
	g_free(buf);
	g_free(path);
	return ret;
}

static void heartbeat(struct task *k, struct q_client *c)
{
	char *path = task_path(k, "heartbeat");
	struct q_error err = {0};
	json_t *ans = NULL;
	long status = 0;

	if (q_client_post_raw(c, path, "application/json", "{}", 2, &status, &ans, &err) == 0) {
		if (json_is_true(json_object_get(ans, "cancel")))
			abandon(k, "the hub canceled it");
	} else if (status == 409 || status == 404) {
		abandon(k, err.msg);
	} else {
		q_debug("worker: task %" PRId64 ": heartbeat: %s", k->t.id, err.msg);
	}
	json_decref(ans);
	g_free(path);
}

static void *monitor_main(void *arg)
{
	struct task *k = arg;
	struct q_client c;
	struct q_error err = {0};
	int64_t every = k->t.lease / 3 < 5 ? (k->t.lease / 3 > 0 ? k->t.lease / 3 : 1) : 5;
	int64_t ticks = 0;

	if (client_open(&c, k->w, &err) < 0) {
		abandon(k, err.msg);
		return NULL;
	}
	while (!get_flag(&k->done) && !get_flag(&k->abandoned)) {
		/* 10 ms steps: the task thread joins us as soon as its step ends. */
		for (int i = 0; i < 100 && !get_flag(&k->done); i++)
			usleep(10 * 1000);
		if (get_flag(&k->done))
			break;
		ticks++;
		if (ticks % every == 0)
			heartbeat(k, &c);
		stream_log(k, &c, 0);
	}
	q_client_release(&c);
	return NULL;
}

/* Download the input into path; -1 with err (status 0: the hub is away). */
static int download(struct task *k, struct q_client *c, const char *path, struct q_error *err)
{
	int backoff = 1000;

	for (int attempt = 0;; attempt++) {
		int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		int rc;

		if (fd < 0)
			return q_error_set(err, Q_EIO, "cannot create '%s': %s", path,
					   strerror(errno));
		rc = q_client_download_fd(c, k->t.input, fd, Q_INPUT_MAX, err);
		if (close(fd) < 0 && rc == 0)
			rc =
			    q_error_set(err, Q_EIO, "cannot write '%s': %s", path, strerror(errno));
		if (rc == 0 || err->code != Q_EIO || attempt >= 5 || get_flag(&k->abandoned) ||
		    *k->w->stop)
			return rc;
		q_warn("worker: task %" PRId64 ": %s; retrying", k->t.id, err->msg);
		nap(k->w, backoff, 0);
		backoff *= 2;
	}
}

/*
 * Run one step in the sandbox. Returns 0 when it succeeded; otherwise -1
 * with msg set (for the result).
 */
static int run_step_fd(struct task *k, const char *what, char **argv, int64_t timeout, int fd,
		       char *msg, size_t msize);

static int run_step(struct task *k, const char *what, char **argv, int64_t timeout, char *msg,
		    size_t msize)
{
	return run_step_fd(k, what, argv, timeout, k->log_fd, msg, msize);
}

/* run_step with the step's output to fd (the worker's own lines still go to the log). */
static int run_step_fd(struct task *k, const char *what, char **argv, int64_t timeout, int fd,
		       char *msg, size_t msize)
{
	struct q_sandbox sb = {0};
	struct q_sandbox_result res;
	struct q_error err = {0};
	char *cmd = g_strjoinv(" ", argv);

	log_line(k, "== quarry worker: %s\n", cmd);
	g_free(cmd);
	sb.backend = k->sysroot ? "installroot" : "host";
	sb.root = k->sysroot;
	sb.workdir = k->root;
	sb.argv = (const char *const *)argv;
	sb.env = NULL;
	sb.log_fd = fd;
	sb.timeout_sec = timeout > 0 ? timeout : 1;
	sb.max_memory = k->w->cfg->max_memory;
	sb.max_procs = Q_STEP_MAX_PROCS;
	sb.max_files = Q_STEP_MAX_FILES;
	if (q_sandbox_run(&sb, &res, &k->cancel, &err) < 0) {
		snprintf(msg, msize, "cannot start the sandbox: %.900s", err.msg);
		log_line(k, "== quarry worker: %s\n", msg);
		return -1;
	}
	if (res.status == Q_SANDBOX_OK) {
		log_line(k, "== quarry worker: %s succeeded in %.1f s\n", what, res.seconds);
		return 0;
	}
	q_worker_step_message(what, &res, timeout, msg, msize);
	log_line(k, "== quarry worker: %s (after %.1f s)\n", msg, res.seconds);
	return -1;
}

struct output {
	char *name; /* the file's name */
	int fd;     /* opened with O_NOFOLLOW, a regular file */
	int64_t size;
};

static void output_free(void *p)
{
	struct output *o = p;

	if (o->fd >= 0)
		close(o->fd);
	g_free(o->name);
	g_free(o);
}

static int cmp_output(const void *a, const void *b)
{
	const struct output *x = *(struct output *const *)a;
	const struct output *y = *(struct output *const *)b;

	return strcmp(x->name, y->name);
}

/* Open dir/a/b/… one component at a time, never through a symlink. */
static int open_dir_nofollow(const char *dir, const char *const *parts)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	for (size_t i = 0; fd >= 0 && parts[i]; i++) {
		int next = openat(fd, parts[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

		close(fd);
		fd = next;
	}
	return fd;
}

/*
 * Add the regular files named *suffix in the directory dfd (and, with
 * depth 1, in its subdirectories) to out. Takes dfd.
 */
static int find_outputs(int dfd, const char *suffix, int depth, GPtrArray *out, struct q_error *err)
{
	DIR *d = fdopendir(dfd);
	struct dirent *de;

	if (!d) {
		close(dfd);
		return q_error_set(err, Q_EIO, "cannot list the outputs: %s", strerror(errno));
	}
	while ((de = readdir(d))) {
		struct stat st;
		int fd;

		if (de->d_name[0] == '.')
			continue;
		if (depth > 0) {
			fd = openat(dirfd(d), de->d_name,
				    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (fd >= 0 && find_outputs(fd, suffix, depth - 1, out, err) < 0) {
				closedir(d);
				return -1;
			}
			continue;
		}
		if (!g_str_has_suffix(de->d_name, suffix))
			continue;
		fd = openat(dirfd(d), de->d_name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0)
			continue; /* a symlink or a vanished file: not an output */
		if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
			close(fd);
			continue;
		}
		if (out->len >= Q_MAX_OUTPUTS) {
			close(fd);
			closedir(d);
			return q_error_set(err, Q_ETOOBIG, "more than %d outputs", Q_MAX_OUTPUTS);
		}
		{
			struct output *o = g_new0(struct output, 1);

			o->name = g_strdup(de->d_name);
			o->fd = fd;
			o->size = (int64_t)st.st_size;
			g_ptr_array_add(out, o);
		}
	}
	closedir(d);
	return 0;
}

/*
 * Upload one output. Returns 0; -1 with err and *status (0 when the hub
 * could not be reached).
 */
static int upload_output(struct task *k, struct q_client *c, struct output *o, long *status,
			 struct q_error *err)
{
	char sha[Q_SHA256_HEX];
	char fdpath[64];
	char *ename = q_client_escape(c, o->name);
	char *path = NULL;
	int ret = -1;

	*status = 0;
	snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", o->fd);
	if (!ename) {
		q_error_set(err, Q_EINTERNAL, "out of memory");
		*status = 500;
		goto out;
	}
	if (q_hash_sha256_file(fdpath, sha, err) < 0 || lseek(o->fd, 0, SEEK_SET) < 0) {
		*status = 500;
		goto out;
	}
	path = g_strdup_printf("worker/tasks/%" PRId64 "/artifacts?attempt=%" PRId64 "&name=%s",
			       k->t.id, k->t.attempt, ename);
	ret =
	    q_client_post_fd(c, path, "application/x-rpm", o->fd, o->size, sha, status, NULL, err);
	if (ret < 0)
		q_error_prefix(err, "cannot upload '%s'", o->name);
out:
	g_free(path);
	g_free(ename);
	return ret;
}

/* Upload every output, retrying while the hub is away. 0, or -1 with msg. */
static int upload_outputs(struct task *k, struct q_client *c, GPtrArray *outs, char *msg,
			  size_t msize)
{
	for (size_t i = 0; i < outs->len; i++) {
		struct output *o = outs->pdata[i];
		int backoff = 1000;

		for (int attempt = 0;; attempt++) {
			struct q_error err = {0};
			long status = 0;

			if (get_flag(&k->abandoned) || *k->w->stop)
				return -1;
			if (upload_output(k, c, o, &status, &err) == 0)
				break;
			if (status == 409) {
				abandon(k, err.msg);
				return -1;
			}
			if (status != 0 || attempt >= 10) {
				snprintf(msg, msize, "%s", err.msg);
				return -1;
			}
			q_warn("worker: task %" PRId64 ": %s; retrying", k->t.id, err.msg);
			nap(k->w, backoff, 0);
			backoff = backoff * 2 > Q_BACKOFF_MAX_MS ? Q_BACKOFF_MAX_MS : backoff * 2;
		}
		log_line(k, "== quarry worker: uploaded %s (%" PRId64 " bytes)\n", o->name,
			 o->size);
	}
	return 0;
}

/* The one spec in root/src/SPECS (g_free), or NULL with msg. */
static char *find_spec(struct task *k, char *msg, size_t msize)
{
	static const char *const parts[] = {"src", "SPECS", NULL};
	GPtrArray *found = g_ptr_array_new_with_free_func(output_free);
	struct q_error err = {0};
	int dfd = open_dir_nofollow(k->root, parts);
	char *ret = NULL;

	if (dfd < 0)
		snprintf(msg, msize, "the source bundle has no SPECS directory");
	else if (find_outputs(dfd, ".spec", 0, found, &err) < 0)
		snprintf(msg, msize, "%s", err.msg);
	else if (found->len != 1)
		snprintf(msg, msize, "the source bundle has %u spec files in SPECS/, not one",
			 found->len);
	else
		ret = g_strdup(((struct output *)found->pdata[0])->name);
	g_ptr_array_unref(found);
	return ret;
}

/* ---- installroot: buildroots from the build tag and the BuildRequires ---- */

/* The pieces of a task's buildroot (backend installroot). */
struct brctx {
	GPtrArray *urls;    /* char *, after $basearch/$releasever/pub */
	GPtrArray *names;   /* char * */
	GPtrArray *repomd;  /* char *, hex */
	GPtrArray *pkgs;    /* char *; empty: the EL default */
	GPtrArray *macros;  /* "NAME VALUE" */
	GPtrArray *defines; /* "--define", "NAME VALUE", … for rpmspec and rpmbuild */
	char *releasever;
	struct q_buildroot_spec spec;
	struct q_buildroot_info base;
	struct q_buildroot_info root; /* the build's root (base + BuildRequires) */
	char *cache;
	double prep_seconds;
};

static void brctx_free(struct brctx *b)
{
	if (!b)
		return;
	g_ptr_array_unref(b->urls);
	g_ptr_array_unref(b->names);
	g_ptr_array_unref(b->repomd);
	g_ptr_array_unref(b->pkgs);
	g_ptr_array_unref(b->macros);
	g_ptr_array_unref(b->defines);
	g_free(b->releasever);
	g_free(b->cache);
	g_free(b);
}

static char *replace_all(const char *s, const char *from, const char *to)
{
	char **parts = g_strsplit(s, from, -1);
	char *r = g_strjoinv(to, parts);

	g_strfreev(parts);
	return r;
}

/* $basearch of a task: its arch, or for src/noarch the worker's first real arch. */
static const char *task_basearch(const struct task *k, char *un, size_t size)
{
	struct utsname u;

	if (strcmp(k->t.arch, "src") && strcmp(k->t.arch, "noarch"))
		return k->t.arch;
	for (size_t i = 0; k->w->cfg->arches[i]; i++)
		if (strcmp(k->w->cfg->arches[i], "noarch"))
			return k->w->cfg->arches[i];
	un[0] = '\0';
	if (uname(&u) == 0)
		snprintf(un, size, "%s", u.machine);
	return un[0] ? un : "x86_64";
}

static int macro_name_ok(const char *s)
{
	if (!*s || strlen(s) > 64 || g_ascii_isdigit(*s))
		return 0;
	for (; *s; s++)
		if (!g_ascii_isalnum(*s) && *s != '_')
			return 0;
	return 1;
}

/* The buildroot of the task from its build tag (or the worker's config). 0, or -1 with msg. */
static int br_from_task(struct task *k, struct brctx *b, char *msg, size_t msize)
{
	const struct q_worker_config *cfg = k->w->cfg;
	const json_t *tag = k->t.buildroot;
	char un[65];
	const char *arch = task_basearch(k, un, sizeof(un));

	if (!tag) {
		for (size_t i = 0; cfg->buildroot_repos && cfg->buildroot_repos[i]; i++) {
			g_ptr_array_add(b->urls, g_strdup(cfg->buildroot_repos[i]));
			g_ptr_array_add(b->names, g_strdup_printf("repo%zu", i));
		}
		for (size_t i = 0; cfg->buildroot_packages && cfg->buildroot_packages[i]; i++)
			g_ptr_array_add(b->pkgs, g_strdup(cfg->buildroot_packages[i]));
		b->releasever = g_strdup(cfg->releasever ? cfg->releasever : "9");
	} else {
		const char *rv = json_string_value(json_object_get(tag, "releasever"));
		const json_t *repos = json_object_get(tag, "repos");
		const json_t *v;
		const char *key;
		size_t i;

		b->releasever =
		    g_strdup(rv && *rv ? rv : (cfg->releasever ? cfg->releasever : "9"));
		json_array_foreach (repos, i, v) {
			const char *name = json_string_value(json_object_get(v, "name"));
			const char *url = json_string_value(json_object_get(v, "url"));
			const char *pub = json_string_value(json_object_get(v, "pub"));
			char *u, *u2;

			if (!url && pub) {
				if (pub[0] == '/' || strstr(pub, "..")) {
					snprintf(msg, msize,
						 "the build tag's repo '%.64s' has a bad pub path",
						 name ? name : "?");
					return -1;
				}
				u = g_strdup_printf("%s%spub/%s", cfg->hub,
						    g_str_has_suffix(cfg->hub, "/") ? "" : "/",
						    pub);
			} else if (url) {
				u = g_strdup(url);
			} else {
				snprintf(msg, msize,
					 "the build tag's repo %zu has neither url nor pub", i);
				return -1;
			}
			u2 = replace_all(u, "$basearch", arch);
			g_free(u);
			u = replace_all(u2, "$releasever", b->releasever);
			g_free(u2);
			g_ptr_array_add(b->urls, u);
			g_ptr_array_add(b->names, g_strdup(name ? name : "repo"));
		}
		json_array_foreach (json_object_get(tag, "packages"), i, v)
			if (json_is_string(v))
				g_ptr_array_add(b->pkgs, g_strdup(json_string_value(v)));
		json_object_foreach ((json_t *)json_object_get(tag, "macros"), key, v) {
			const char *val = json_string_value(v);

			if (!val || !macro_name_ok(key) || !strcmp(key, "dist") ||
			    strchr(val, '\n')) {
				snprintf(msg, msize, "the build tag's macro '%.64s' is not valid",
					 key);
				return -1;
			}
			g_ptr_array_add(b->macros, g_strdup_printf("%s %s", key, val));
		}
	}
	if (!b->urls->len) {
		snprintf(msg, msize,
			 "the buildroot has no repo (a build tag without repos, or no "
			 "--buildroot-repo)");
		return -1;
	}
	for (guint i = 0; i < b->macros->len; i++) {
		g_ptr_array_add(b->defines, g_strdup("--define"));
		g_ptr_array_add(b->defines, g_strdup(b->macros->pdata[i]));
	}
	return 0;
}

/* NULL-terminate a GPtrArray of strings (for the spec's views). */
static const char *const *strv_view(GPtrArray *a)
{
	g_ptr_array_add(a, NULL);
	g_ptr_array_remove_index(a, a->len - 1);
	return (const char *const *)a->pdata;
}

/*
 * installroot: the base root of the task (build tag or config), its
 * repos' repomd hashed, prepared or reused under WORKDIR/roots; it becomes
 * the sandbox's /. 0, or -1 with msg (the task fails).
 */
static int br_setup(struct task *k, char *msg, size_t msize)
{
	struct brctx *b = g_new0(struct brctx, 1);
	struct q_error err = {0};
	int64_t start = g_get_monotonic_time();

	k->br = b;
	b->urls = g_ptr_array_new_with_free_func(g_free);
	b->names = g_ptr_array_new_with_free_func(g_free);
	b->repomd = g_ptr_array_new_with_free_func(g_free);
	b->pkgs = g_ptr_array_new_with_free_func(g_free);
	b->macros = g_ptr_array_new_with_free_func(g_free);
	b->defines = g_ptr_array_new_with_free_func(g_free);
	b->cache = g_strdup_printf("%s/roots", k->w->cfg->workdir);
	if (br_from_task(k, b, msg, msize) < 0)
		goto fail;
	log_line(k, "== quarry worker: buildroot from %s, releasever %s\n",
		 k->t.buildroot ? "the project's build tag" : "the worker's configuration",
		 b->releasever);
	for (guint i = 0; i < b->urls->len; i++) {
		char sha[65];

		if (q_buildroot_repomd(b->urls->pdata[i], sha, &err) < 0) {
			snprintf(msg, msize, "cannot read the buildroot repo %s: %.800s",
				 (char *)b->names->pdata[i], err.msg);
			goto fail;
		}
		g_ptr_array_add(b->repomd, g_strdup(sha));
		log_line(k, "== quarry worker: repo %s %s repomd sha256 %s\n",
			 (char *)b->names->pdata[i], (char *)b->urls->pdata[i], sha);
	}
	b->spec.repos = strv_view(b->urls);
	b->spec.repo_names = strv_view(b->names);
	b->spec.repomd = strv_view(b->repomd);
	b->spec.packages = b->pkgs->len ? strv_view(b->pkgs) : NULL;
	b->spec.macros = strv_view(b->macros);
	b->spec.releasever = b->releasever;
	b->spec.log_fd = k->log_fd;
	q_buildroot_gc(b->cache, Q_BUILDROOT_GC_AGE);
	if (q_buildroot_prepare_base(&b->spec, b->cache, &b->base, &err) < 0) {
		snprintf(msg, msize, "cannot prepare the buildroot: %.900s", err.msg);
		goto fail;
	}
	b->root = b->base;
	k->sysroot = g_strdup(b->base.root);
	log_line(k, "== quarry worker: base root key %s: cache %s, %.2f s\n", b->base.key,
		 b->base.hit ? "hit" : "miss", b->base.seconds);
	b->prep_seconds = (double)(g_get_monotonic_time() - start) / G_USEC_PER_SEC;
	return 0;
fail:
	log_line(k, "== quarry worker: %s\n", msg);
	return -1;
}

/* The build's root: the base root plus deps. 0, or -1 with msg. */
static int br_deps(struct task *k, char **deps, char *msg, size_t msize)
{
	struct brctx *b = k->br;
	struct q_error err = {0};
	char *installed = NULL;
	char *list = g_strjoinv(", ", deps);
	int64_t start = g_get_monotonic_time();

	log_line(k, "== quarry worker: BuildRequires: %s\n", list[0] ? list : "(none)");
	g_free(list);
	if (q_buildroot_prepare_deps(&b->spec, &b->base, (const char *const *)deps, b->cache,
				     &b->root, &installed, &err) < 0) {
		snprintf(msg, msize, "%.1000s", err.msg);
		log_line(k, "== quarry worker: %s\n", msg);
		return -1;
	}
	log_line(k, "== quarry worker: build root key %s: cache %s, %.2f s\n", b->root.key,
		 b->root.hit ? "hit" : "miss", b->root.seconds);
	if (installed && installed[0])
		log_line(k, "== quarry worker: dnf installed:\n%s", installed);
	g_free(installed);
	g_free(k->sysroot);
	k->sysroot = g_strdup(b->root.root);
	b->prep_seconds += (double)(g_get_monotonic_time() - start) / G_USEC_PER_SEC;
	return 0;
}

/* The result's buildroot ([{nevra, sha256}]) and buildroot_repos of the build's root. */
static void br_record(struct task *k)
{
	struct brctx *b = k->br;
	struct q_error err = {0};
	json_t *repos = json_array();

	json_decref(k->buildroot);
	k->buildroot = q_buildroot_contents(b->root.root, &err);
	if (!k->buildroot) {
		log_line(k, "== quarry worker: %s\n", err.msg);
		k->buildroot = json_array();
	}
	for (guint i = 0; i < b->urls->len; i++)
		json_array_append_new(repos, json_pack("{ss ss ss}", "name", b->names->pdata[i],
						       "url", b->urls->pdata[i], "repomd_sha256",
						       b->repomd->pdata[i]));
	json_decref(k->buildroot_repos);
	k->buildroot_repos = repos;
	log_line(k, "== quarry worker: buildroot ready: %zu packages, prepared in %.2f s\n",
		 json_array_size(k->buildroot), b->prep_seconds);
}

/* argv with the build tag's --define pairs after argv[0] and argv[1]. */
static char **with_defines(char **argv, const struct task *k)
{
	GPtrArray *a = g_ptr_array_new();

	for (size_t i = 0; argv[i]; i++) {
		g_ptr_array_add(a, argv[i]);
		if (i == 1 && k->br)
			for (guint d = 0; d < k->br->defines->len; d++)
				g_ptr_array_add(a, g_strdup(k->br->defines->pdata[d]));
	}
	g_free(argv);
	return strv_take(a);
}

/*
 * Run a step in the current root and keep its output (also copied to the
 * log). *out (g_free) on success; 0, or -1 with msg.
 */
static int capture_step(struct task *k, const char *what, char **argv, char **out, char *msg,
			size_t msize)
{
	char *path = g_strdup_printf("%s/capture.out", k->dir);
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	struct q_error err = {0};
	char *text = NULL;
	size_t len = 0;
	int rc;

	*out = NULL;
	if (fd < 0) {
		snprintf(msg, msize, "cannot create '%s': %s", path, strerror(errno));
		g_free(path);
		return -1;
	}
	rc = run_step_fd(k, what, argv, k->t.timeout, fd, msg, msize);
	close(fd);
	if (q_fs_read_file(path, (size_t)16 << 20, &text, &len, &err) == 0) {
		log_line(k, "%s", text);
		*out = text;
	}
	unlink(path);
	g_free(path);
	g_strfreev(argv);
	return rc;
}

/* Append the deps of text to all (distinct); the number added. */
static int add_deps(GPtrArray *all, const char *text, int *dynamic)
{
	char **deps = q_worker_deps_parse(text, dynamic);
	int added = 0;

	for (size_t i = 0; deps[i]; i++) {
		int dup = 0;

		for (guint j = 0; j < all->len; j++)
			dup |= !strcmp(all->pdata[j], deps[i]);
		if (!dup) {
			g_ptr_array_add(all, g_strdup(deps[i]));
			added++;
		}
	}
	g_strfreev(deps);
	return added;
}

#define Q_DYNAMIC_ROUNDS 5

/*
 * installroot, RPM task: the SRPM's BuildRequires (rpm -qp --requires),
 * then, when the spec has %generate_buildrequires, `rpmbuild -rr` until it
 * stops asking for more (exit 11 and a .buildreqs.nosrc.rpm per round).
 * Leaves k->sysroot at the build's root. 0, or -1 with msg.
 */
static int br_rpm_deps(struct task *k, const char *input, char *msg, size_t msize)
{
	static const char *const srpms[] = {"rpmbuild", "SRPMS", NULL};
	GPtrArray *all = g_ptr_array_new_with_free_func(g_free);
	char *argv[] = {"rpm", "-qp", "--requires", (char *)input, NULL};
	char *out = NULL;
	int dynamic = 0, ret = -1;

	if (capture_step(k, "rpm -qp --requires", g_strdupv(argv), &out, msg, msize) < 0)
		goto out;
	add_deps(all, out, &dynamic);
	g_free(out);
	out = NULL;
	g_ptr_array_add(all, NULL);
	g_ptr_array_remove_index(all, all->len - 1);
	if (br_deps(k, (char **)all->pdata, msg, msize) < 0)
		goto out;
	for (int round = 0; dynamic; round++) {
		char **rr =
		    with_defines(q_worker_rpm_argv(k->root, input, k->t.arch, k->t.dist), k);
		struct q_sandbox_result res = {0};
		GPtrArray *found = g_ptr_array_new_with_free_func(output_free);
		struct q_error err = {0};
		int dfd, rc, added = 0;

		g_free(rr[1]);
		rr[1] = g_strdup("-rr");
		(void)res;
		rc = run_step(k, "rpmbuild -rr (%generate_buildrequires)", rr, k->t.timeout, msg,
			      msize);
		g_strfreev(rr);
		if (rc == 0) {
			g_ptr_array_unref(found);
			break;
		}
		dfd = open_dir_nofollow(k->root, srpms);
		if (dfd < 0 || find_outputs(dfd, ".buildreqs.nosrc.rpm", 0, found, &err) < 0 ||
		    !found->len || round >= Q_DYNAMIC_ROUNDS) {
			if (found->len && round >= Q_DYNAMIC_ROUNDS)
				snprintf(msg, msize,
					 "%%generate_buildrequires still asks for more after %d "
					 "rounds",
					 Q_DYNAMIC_ROUNDS);
			g_ptr_array_unref(found);
			goto out;
		}
		{
			char *nosrc = g_strdup_printf("%s/rpmbuild/SRPMS/%s", k->root,
						      ((struct output *)found->pdata[0])->name);
			char *q[] = {"rpm", "-qp", "--requires", nosrc, NULL};

			rc = capture_step(k, "rpm -qp --requires (dynamic)", g_strdupv(q), &out,
					  msg, msize);
			if (rc == 0)
				added = add_deps(all, out, NULL);
			g_free(out);
			out = NULL;
			unlink(nosrc);
			g_free(nosrc);
		}
		g_ptr_array_unref(found);
		if (rc < 0)
			goto out;
		if (!added) {
			snprintf(msg, msize,
				 "%%generate_buildrequires asks for what is installed already; see "
				 "the log");
			goto out;
		}
		g_ptr_array_add(all, NULL);
		g_ptr_array_remove_index(all, all->len - 1);
		if (br_deps(k, (char **)all->pdata, msg, msize) < 0)
			goto out;
	}
	ret = 0;
out:
	g_free(out);
	g_ptr_array_unref(all);
	return ret;
}

/* installroot, SRPM task: rpmspec -q --buildrequires in the base root, then that root. */
static int br_srpm_deps(struct task *k, const char *spec, char *msg, size_t msize)
{
	GPtrArray *all = g_ptr_array_new_with_free_func(g_free);
	GPtrArray *a = g_ptr_array_new();
	char *out = NULL;
	int ret = -1;

	g_ptr_array_add(a, g_strdup("rpmspec"));
	g_ptr_array_add(a, g_strdup("-q"));
	g_ptr_array_add(a, g_strdup("--buildrequires"));
	add_define(a, "_topdir", "/nonexistent");
	g_ptr_array_add(a, g_strdup("--define"));
	g_ptr_array_add(a, g_strdup_printf("_sourcedir %s/src/SOURCES", k->root));
	add_define(a, "dist", dist_value(k->t.dist));
	g_ptr_array_add(a, g_strdup_printf("%s/src/SPECS/%s", k->root, spec));
	if (capture_step(k, "rpmspec -q --buildrequires", with_defines(strv_take(a), k), &out, msg,
			 msize) < 0)
		goto out;
	add_deps(all, out, NULL);
	g_ptr_array_add(all, NULL);
	g_ptr_array_remove_index(all, all->len - 1);
	ret = br_deps(k, (char **)all->pdata, msg, msize);
out:
	g_free(out);
	g_ptr_array_unref(all);
	return ret;
}

/*
 * rpmbuild as a step; on the host backend, a failure for missing
 * BuildRequires says which ones and why (rpmbuild checks the host's rpm
 * database there). 0, or -1 with msg.
 */
static int rpmbuild_step(struct task *k, char **argv, int64_t timeout, char *msg, size_t msize)
{
	off_t from = lseek(k->log_fd, 0, SEEK_END);
	char *text = NULL, *why;
	struct stat st;
	size_t len;

	if (run_step(k, "rpmbuild", argv, timeout, msg, msize) == 0)
		return 0;
	if (k->sysroot || from < 0 || fstat(k->log_fd, &st) < 0 || st.st_size - from > (8 << 20))
		return -1;
	len = (size_t)(st.st_size - from);
	text = g_malloc0(len + 1);
	if (pread(k->log_fd, text, len, from) == (ssize_t)len) {
		why = q_worker_missing_deps_message(text);
		if (why) {
			snprintf(msg, msize, "%s", why);
			log_line(k, "== quarry worker: %s\n", why);
			g_free(why);
		}
	}
	g_free(text);
	return -1;
}

/* The steps of the task; fills outs. 0, or -1 with msg. */
static int run_steps(struct task *k, const char *input, GPtrArray *outs, char *msg, size_t msize)
{
	static const char *const srpms[] = {"rpmbuild", "SRPMS", NULL};
	static const char *const rpms[] = {"rpmbuild", "RPMS", NULL};
	struct q_error err = {0};
	int64_t start = g_get_monotonic_time();
	char **argv = NULL;
	char *src = NULL;
	char *spec = NULL;
	int dfd;
	int ret = -1;

	if (!strcmp(k->t.kind, "srpm")) {
		int64_t used;

		src = g_strdup_printf("%s/src", k->root);
		if (mkdir(src, 0755) < 0) {
			snprintf(msg, msize, "cannot create '%s': %s", src, strerror(errno));
			goto out;
		}
		argv = q_worker_tar_argv(input, src);
		if (run_step(k, "tar", argv, k->t.timeout, msg, msize) < 0)
			goto out;
		g_strfreev(argv);
		argv = NULL;
		spec = find_spec(k, msg, msize);
		if (!spec)
			goto out;
		if (k->br && br_srpm_deps(k, spec, msg, msize) < 0)
			goto out;
		used = (g_get_monotonic_time() - start) / G_USEC_PER_SEC;
		argv = with_defines(q_worker_srpm_argv(k->root, spec, k->t.dist), k);
		if (rpmbuild_step(k, argv, k->t.timeout - used, msg, msize) < 0)
			goto out;
		dfd = open_dir_nofollow(k->root, srpms);
		if (dfd < 0 || find_outputs(dfd, ".src.rpm", 0, outs, &err) < 0 || !outs->len) {
			snprintf(msg, msize, "rpmbuild made no SRPM%s%.900s",
				 err.msg[0] ? ": " : "", err.msg);
			goto out;
		}
	} else {
		int64_t used;

		if (k->br && br_rpm_deps(k, input, msg, msize) < 0)
			goto out;
		used = (g_get_monotonic_time() - start) / G_USEC_PER_SEC;
		argv = with_defines(q_worker_rpm_argv(k->root, input, k->t.arch, k->t.dist), k);
		if (rpmbuild_step(k, argv, k->t.timeout - used, msg, msize) < 0)
			goto out;
		dfd = open_dir_nofollow(k->root, rpms);
		if (dfd < 0 || find_outputs(dfd, ".rpm", 1, outs, &err) < 0 || !outs->len) {
			snprintf(msg, msize, "rpmbuild made no RPM%s%.900s", err.msg[0] ? ": " : "",
				 err.msg);
			goto out;
		}
	}
	g_ptr_array_sort(outs, cmp_output);
	ret = 0;
out:
	if (k->br && k->br->root.root[0])
		br_record(k);
	g_strfreev(argv);
	g_free(spec);
	g_free(src);
	return ret;
}

/* POST the result, retrying while the hub is away. */
static void post_result(struct task *k, struct q_client *c, int ok, const char *msg)
{
	char *path = g_strdup_printf("worker/tasks/%" PRId64 "/result", k->t.id);
	GString *red = g_string_new(NULL);
	json_t *body;
	char *text;
	int backoff = 1000;

	redact_append(k, msg, strlen(msg), red);
	body = json_pack("{sI ss ss ss so}", "attempt", (json_int_t)k->t.attempt, "state",
			 ok ? "closed" : "failed", "message", red->str, "backend",
			 k->w->cfg->backend ? k->w->cfg->backend : "host", "buildroot",
			 json_deep_copy(k->buildroot ? k->buildroot : k->w->buildroot));
	if (k->buildroot_repos)
		json_object_set(body, "buildroot_repos", k->buildroot_repos);
	text = json_dumps(body, JSON_COMPACT);
	g_string_free(red, TRUE);

	for (int attempt = 0; text; attempt++) {
		struct q_error err = {0};
		long status = 0;

		if (get_flag(&k->abandoned) || *k->w->stop)
			break;
		if (q_client_post_raw(c, path, "application/json", text, strlen(text), &status,
				      NULL, &err) == 0) {
			k->closed = ok;
			q_info("worker: task %" PRId64 " (%s %s, attempt %" PRId64 "): %s%s%s",
			       k->t.id, k->t.kind, k->t.arch, k->t.attempt,
			       ok ? "closed" : "failed", ok ? "" : ": ", ok ? "" : msg);
			break;
		}
		if (status != 0 || attempt >= Q_RESULT_TRIES) {
			abandon(k, err.msg);
			break;
		}
		q_warn("worker: task %" PRId64 ": cannot report: %s; retrying", k->t.id, err.msg);
		nap(k->w, backoff, 0);
		backoff = backoff * 2 > Q_BACKOFF_MAX_MS ? Q_BACKOFF_MAX_MS : backoff * 2;
	}
	free(text);
	json_decref(body);
	g_free(path);
}

static int task_prepare(struct task *k, struct q_error *err)
{
	char *log = NULL;
	int ret = -1;

	k->dir = g_strdup_printf("%s/task-%" PRId64 "-%" PRId64 "-XXXXXX", k->w->dir, k->t.id,
				 k->t.attempt);
	if (!mkdtemp(k->dir)) {
		q_error_set(err, Q_EIO, "cannot create '%s': %s", k->dir, strerror(errno));
		g_free(k->dir);
		k->dir = NULL;
		goto out;
	}
	k->root = g_strdup_printf("%s/root", k->dir);
	if (mkdir(k->root, 0755) < 0) {
		q_error_set(err, Q_EIO, "cannot create '%s': %s", k->root, strerror(errno));
		goto out;
	}
	log = g_strdup_printf("%s/build.log", k->dir);
	k->log_fd = open(log, O_RDWR | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0644);
	if (k->log_fd < 0) {
		q_error_set(err, Q_EIO, "cannot create '%s': %s", log, strerror(errno));
		goto out;
	}
	ret = 0;
out:
	g_free(log);
	return ret;
}

static void *task_main(void *arg)
{
	struct task *k = arg;
	struct worker *w = k->w;
	struct q_client c = {0};
	struct q_error err = {0};
	GPtrArray *outs = g_ptr_array_new_with_free_func(output_free);
	char msg[Q_ERROR_MSG_MAX] = "";
	char *input = NULL;
	int ok = 0;

	if (client_open(&c, w, &err) < 0 || task_prepare(k, &err) < 0) {
		abandon(k, err.msg);
		goto out;
	}
	if (pthread_create(&k->monitor, NULL, monitor_main, k) != 0) {
		abandon(k, "cannot start a thread");
		goto out;
	}
	k->monitor_started = 1;
	log_line(k,
		 "== quarry worker %s: task %" PRId64 " of build %" PRId64
		 ": %s %s%s%s, attempt %" PRId64 ", backend %s, time limit %" PRId64 " s\n",
		 w->cfg->name, k->t.id, k->t.build, k->t.kind, k->t.arch, k->t.nevr[0] ? " " : "",
		 k->t.nevr, k->t.attempt, w->cfg->backend ? w->cfg->backend : "host", k->t.timeout);

	/* In root/, the only path the sandbox is sure to see (/tmp is its own). */
	input = g_strdup_printf("%s/%s", k->root,
				!strcmp(k->t.kind, "srpm") ? "input.tar" : "input.src.rpm");
	if (download(k, &c, input, &err) < 0) {
		abandon(k, err.msg);
		goto out;
	}
	if (w->cfg->backend && !strcmp(w->cfg->backend, "installroot"))
		ok = br_setup(k, msg, sizeof(msg)) == 0 &&
		     run_steps(k, input, outs, msg, sizeof(msg)) == 0;
	else
		ok = run_steps(k, input, outs, msg, sizeof(msg)) == 0;
	if (get_flag(&k->abandoned) || *w->stop)
		goto out;
	if (ok && upload_outputs(k, &c, outs, msg, sizeof(msg)) < 0)
		ok = 0;
	if (get_flag(&k->abandoned) || *w->stop)
		goto out;
	if (ok)
		snprintf(msg, sizeof(msg), "built %u file%s", outs->len, outs->len == 1 ? "" : "s");
	log_line(k, "== quarry worker: %s\n", msg);
	/* The rest of the log before the result: the hub closes the log then. */
	for (int attempt = 0; !stream_log(k, &c, 1) && attempt < 10; attempt++)
		nap(w, 1000 << (attempt < 4 ? attempt : 4), 0);
	post_result(k, &c, ok, msg);
out:
	set_flag(&k->done);
	if (k->monitor_started)
		pthread_join(k->monitor, NULL);
	if (get_flag(&k->abandoned) || *w->stop)
		k->closed = 0;
	g_ptr_array_unref(outs);
	if (k->log_fd >= 0)
		close(k->log_fd);
	k->log_fd = -1;
	if (k->dir && q_fs_remove_tree(k->dir, &err) < 0)
		q_warn("worker: %s", err.msg);
	g_free(input);
	q_client_release(&c);
	pthread_mutex_lock(&w->lock);
	set_flag(&k->finished);
	w->ended++;
	pthread_cond_broadcast(&w->changed);
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

static void task_free(struct task *k)
{
	pthread_mutex_destroy(&k->log_lock);
	g_free(k->dir);
	g_free(k->root);
	g_free(k->sysroot);
	json_decref(k->buildroot);
	json_decref(k->buildroot_repos);
	brctx_free(k->br);
	q_worker_task_release(&k->t);
	g_free(k);
}

/* Join the tasks that ended; returns how many still run. */
static int reap(struct worker *w, int *closed_any, int *ended_any)
{
	struct task **pp;
	int running = 0;

	pthread_mutex_lock(&w->lock);
	pp = &w->tasks;
	while (*pp) {
		struct task *k = *pp;

		if (!get_flag(&k->finished)) {
			running++;
			pp = &k->next;
			continue;
		}
		*pp = k->next;
		pthread_mutex_unlock(&w->lock);
		pthread_join(k->thread, NULL);
		if (k->closed && closed_any)
			*closed_any = 1;
		if (ended_any)
			*ended_any = 1;
		task_free(k);
		pthread_mutex_lock(&w->lock);
	}
	pthread_mutex_unlock(&w->lock);
	return running;
}

/* POST /worker/claim. 0 with *task (NULL: nothing to do); -1 with err and *status. */
static int claim(struct worker *w, struct q_client *c, struct q_worker_task *task, int *got,
		 long *status, struct q_error *err)
{
	json_t *arches = json_array();
	json_t *running = json_array();
	json_t *body;
	json_t *ans = NULL;
	char *text;
	int ret = -1;

	*got = 0;
	for (size_t i = 0; w->cfg->arches[i]; i++)
		json_array_append_new(arches, json_string(w->cfg->arches[i]));
	pthread_mutex_lock(&w->lock);
	for (struct task *k = w->tasks; k; k = k->next)
		if (!get_flag(&k->finished))
			json_array_append_new(running, json_integer((json_int_t)k->t.id));
	pthread_mutex_unlock(&w->lock);
	/* A long-poll: the hub answers as soon as a task is queued. */
	body = json_pack("{ss so si so ss si}", "name", w->cfg->name, "arches", arches, "slots",
			 w->cfg->slots, "running", running, "backend",
			 w->cfg->backend ? w->cfg->backend : "host", "wait", Q_WORKER_CLAIM_WAIT);
	text = json_dumps(body, JSON_COMPACT);
	if (!text) {
		*status = 0;
		q_error_set(err, Q_EINTERNAL, "out of memory");
		goto out;
	}
	if (q_client_post_raw(c, "worker/claim", "application/json", text, strlen(text), status,
			      &ans, err) < 0)
		goto out;
	if (*status == 204 || !ans || json_is_null(json_object_get(ans, "task"))) {
		ret = 0;
		goto out;
	}
	if (q_worker_task_parse(ans, task, err) < 0) {
		*status = 500;
		goto out;
	}
	*got = 1;
	ret = 0;
out:
	json_decref(ans);
	free(text);
	json_decref(body);
	return ret;
}

static int start_task(struct worker *w, const struct q_worker_task *t)
{
	struct task *k = g_new0(struct task, 1);

	k->w = w;
	k->t = *t;
	k->log_fd = -1;
	pthread_mutex_init(&k->log_lock, NULL);
	q_info("worker: task %" PRId64 " of build %" PRId64 ": %s %s %s, attempt %" PRId64, t->id,
	       t->build, t->kind, t->arch, t->nevr, t->attempt);
	pthread_mutex_lock(&w->lock);
	if (pthread_create(&k->thread, NULL, task_main, k) != 0) {
		pthread_mutex_unlock(&w->lock);
		q_err("worker: cannot start a thread for task %" PRId64, t->id);
		task_free(k);
		return -1;
	}
	k->next = w->tasks;
	w->tasks = k;
	pthread_mutex_unlock(&w->lock);
	return 0;
}

/* Remove what a previous run of this worker left (it was killed). */
static void clean_stale(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d))) {
		char *p;

		if (strncmp(de->d_name, "task-", 5))
			continue;
		p = g_strdup_printf("%s/%s", dir, de->d_name);
		q_fs_remove_tree(p, NULL);
		g_free(p);
	}
	closedir(d);
}

int q_worker_run(const struct q_worker_config *cfg, volatile int *stop, struct q_error *err)
{
	struct worker w = {0};
	struct q_client c = {0};
	int backoff = 0;
	int claimed = 0;
	int ret = -1;

	w.cfg = cfg;
	w.stop = stop;
	w.once_status = 1;
	pthread_mutex_init(&w.lock, NULL);
	pthread_cond_init(&w.changed, NULL);
	if (!cfg->hub || !cfg->token || !cfg->name || !cfg->arches || !cfg->arches[0] ||
	    cfg->slots < 1 || !cfg->workdir || cfg->workdir[0] != '/') {
		q_error_set(err, Q_EINVAL, "worker: incomplete configuration");
		goto out;
	}
	if (!q_sandbox_available()) {
		q_error_set(err, Q_EIO,
			    "bubblewrap cannot create a sandbox here; install bubblewrap "
			    "(/usr/bin/bwrap) and allow user namespaces, or run as root");
		goto out;
	}
	w.dir = g_strdup_printf("%s/%s", cfg->workdir, cfg->name);
	if (q_fs_mkdirs(w.dir, 0700, err) < 0)
		goto out;
	clean_stale(w.dir);
	if (cfg->backend && !strcmp(cfg->backend, "installroot"))
		w.buildroot = json_array(); /* each task reports its root's packages */
	else
		w.buildroot = q_worker_buildroot(err);
	if (!w.buildroot) {
		q_warn("worker: %s; reporting an empty buildroot", err->msg);
		w.buildroot = json_array();
	}
	if (client_open(&c, &w, err) < 0)
		goto out;
	{
		char *arches = g_strjoinv(",", cfg->arches);

		q_info("worker %s: %s, %d slot%s, arches %s, backend %s, %zu packages in the "
		       "buildroot",
		       cfg->name, cfg->hub, cfg->slots, cfg->slots == 1 ? "" : "s", arches,
		       cfg->backend ? cfg->backend : "host", json_array_size(w.buildroot));
		g_free(arches);
	}

	while (!*stop) {
		struct q_worker_task t;
		struct q_error cerr = {0};
		long status = 0;
		int closed = 0, ended = 0;
		int running = reap(&w, &closed, &ended);
		int got = 0, rc;
		int64_t claim_ms;

		if (cfg->once && ended)
			w.once_status = closed ? 0 : 1;
		if (cfg->once && claimed) {
			if (!running)
				break;
			nap(&w, 1000, 1);
			continue;
		}
		if (running >= cfg->slots) {
			nap(&w, 1000, 1);
			continue;
		}
		claim_ms = g_get_monotonic_time() / 1000;
		rc = claim(&w, &c, &t, &got, &status, &cerr);
		claim_ms = g_get_monotonic_time() / 1000 - claim_ms;
		if (rc < 0) {
			if (*stop)
				break;
			if (status == 401 || status == 403) {
				q_error_set(err, cerr.code, "the hub refused the worker: %s",
					    cerr.msg);
				goto shutdown;
			}
			if (!backoff)
				q_warn("worker: cannot claim: %s; retrying", cerr.msg);
			backoff = backoff ? backoff * 2 : 1000;
			if (backoff > Q_BACKOFF_MAX_MS)
				backoff = Q_BACKOFF_MAX_MS;
			nap(&w, backoff, 0);
			continue;
		}
		if (backoff)
			q_info("worker: the hub answers again");
		backoff = 0;
		if (!got) {
			/* The claim waited on the hub already; one answered at once
			 * (a hub without long-polls, or one stopping) means a nap. */
			if (claim_ms < 1000)
				nap(&w, 1000, 1);
			continue;
		}
		if (start_task(&w, &t) == 0)
			claimed = 1;
	}
	ret = cfg->once ? w.once_status : 0;
shutdown:
	/* Abandon what still runs: the hub requeues it when the lease ends. */
	pthread_mutex_lock(&w.lock);
	for (struct task *k = w.tasks; k; k = k->next)
		if (!get_flag(&k->finished)) {
			set_flag(&k->abandoned);
			k->cancel = 1;
		}
	pthread_mutex_unlock(&w.lock);
	while (reap(&w, NULL, NULL) > 0)
		usleep(100 * 1000);
out:
	q_client_release(&c);
	json_decref(w.buildroot);
	g_free(w.dir);
	pthread_cond_destroy(&w.changed);
	pthread_mutex_destroy(&w.lock);
	return ret;
}

/* ---- `quarry worker` ---- */

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static const struct q_cli_opt worker_opts[] = {
    [OPT_ARCH] = {"arch", "ARCHES", "arches to build, e.g. x86_64,noarch"},
    [OPT_SLOTS] = {"slots", "N", "tasks at once (default 1)"},
    [OPT_NAME] = {"name", "NAME", "the worker's name (default: the host name)"},
    [OPT_WORKDIR] = {"workdir", "DIR", "where tasks run (default " Q_WORKER_DEFAULT_DIR ")"},
    [OPT_ONCE] = {"once", NULL, "run one task, then exit (0 when it built)"},
    [OPT_MAX_MEMORY] = {"max-memory", "SIZE", "address-space limit of a step, e.g. 8G"},
    [OPT_BACKEND] = {"backend", "NAME", "host (default) or installroot"},
    [OPT_BR_REPO] = {"buildroot-repo", "URL",
		     "installroot: a repo of the buildroot (repeatable; http(s):// or file:///)"},
    [OPT_BR_PACKAGES] = {"buildroot-packages", "\"A B C\"",
			 "installroot: the packages to install (default: an EL build set)"},
    [OPT_BR_RELEASEVER] = {"buildroot-releasever", "V", "installroot: dnf's $releasever (9)"},
};

/* Every --buildroot-repo of the command line (the parser keeps the last one). */
static char **all_repos(int argc, char **argv)
{
	GPtrArray *a = g_ptr_array_new();

	for (int i = 1; i < argc; i++) {
		const char *s = argv[i];

		if (!strcmp(s, "--"))
			break;
		if (!strcmp(s, "--buildroot-repo") && i + 1 < argc) {
			g_ptr_array_add(a, g_strdup(argv[++i]));
			continue;
		}
		if (g_str_has_prefix(s, "--buildroot-repo=")) {
			g_ptr_array_add(a, g_strdup(s + strlen("--buildroot-repo=")));
			continue;
		}
		/* Skip the value of any other option that takes one. */
		if (!strcmp(s, "--hub") || !strcmp(s, "--token") || !strcmp(s, "--client-config")) {
			i++;
			continue;
		}
		for (size_t o = 0; o < Q_ARRAY_LEN(worker_opts); o++)
			if (worker_opts[o].arg && !strncmp(s, "--", 2) &&
			    !strcmp(s + 2, worker_opts[o].name)) {
				i++;
				break;
			}
	}
	g_ptr_array_add(a, NULL);
	return (char **)g_ptr_array_free(a, FALSE);
}

static int saved_argc;
static char **saved_argv;

static int worker_main(struct q_client *c, struct q_cli_args *a)
{
	struct q_worker_config cfg;
	struct q_error err = {0};
	struct sigaction sa;
	int ret;

	if (!c->token)
		return q_cli_usage_error(a, "a worker token is needed (--token or QUARRY_TOKEN)");
	if (q_worker_config_from_args(a, &cfg, &err) < 0)
		return q_cli_usage_error(a, "%s", err.msg);
	if (cfg.buildroot_repos) {
		g_strfreev(cfg.buildroot_repos);
		cfg.buildroot_repos = all_repos(saved_argc, saved_argv);
		if (q_worker_config_check_backend(&cfg, &err) < 0) {
			q_worker_config_release(&cfg);
			return q_cli_usage_error(a, "%s", err.msg);
		}
	}
	cfg.hub = g_strdup(c->hub);
	cfg.token = g_strdup(c->token);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	ret = q_worker_run(&cfg, (volatile int *)&stop_flag, &err);
	if (ret < 0)
		ret = q_cli_fail(&err);
	else if (stop_flag)
		q_info("worker %s: stopped", cfg.name);
	q_worker_config_release(&cfg);
	return ret;
}

static const struct q_cli_cmd worker_cmds[] = {
    {NULL, "", "run a build worker: claim tasks from the hub and build them in a sandbox", 0, 0,
     (1u << OPT_ARCH) | (1u << OPT_SLOTS) | (1u << OPT_NAME) | (1u << OPT_WORKDIR) |
	 (1u << OPT_ONCE) | (1u << OPT_MAX_MEMORY) | (1u << OPT_BACKEND) | (1u << OPT_BR_REPO) |
	 (1u << OPT_BR_PACKAGES) | (1u << OPT_BR_RELEASEVER),
     1u << OPT_ARCH, worker_main},
};

const struct q_cli_family q_worker_family = {
    "worker",    "run a build worker",     worker_opts, Q_ARRAY_LEN(worker_opts),
    worker_cmds, Q_ARRAY_LEN(worker_cmds),
};

int cmd_worker(int argc, char **argv)
{
	saved_argc = argc;
	saved_argv = argv;
	return q_cli_run(&q_worker_family, argc, argv);
}
