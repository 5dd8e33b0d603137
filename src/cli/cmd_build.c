/*
 * cmd_build.c: `quarry build`: submit a build from git (URL#REF) or from a
 * source RPM, follow it (--wait), list, show, cancel and resubmit builds,
 * read their task logs (--follow) and print their provenance.
 *
 * `quarry build SIG/PROJECT SOURCE` is short for `quarry build submit
 * SIG/PROJECT SOURCE`: cmd_build inserts the word "submit" when the first
 * word is not one of the subcommands. A local git directory is sent as an
 * absolute path; a FILE.src.rpm is first staged like `quarry upload` does.
 */
#include "core/common.h"
#include "core/error.h"
#include "core/isotime.h"
#include "cli/cli.h"
#include "cli/client.h"

#include <glib.h>
#include <sys/stat.h>
#include <time.h>

enum {
	O_ARCH,
	O_WAIT,
	O_SIG,
	O_STATE,
	O_LIMIT,
	O_FOLLOW,
	O_BUILDROOT,
	O_SCRATCH,
	O_CHAIN,
	O_INTO,
	O_MINE,
	O_PROJECT,
	O_PACKAGE,
	O_SINCE,
};
#define B(o) (1u << (o))

#define WAIT_S 30             /* --wait, --follow: one long-poll on the hub */
#define POLL_CHAIN_MS 500     /* --chain --wait: a chain has no event of its own */
#define HUB_GONE_PATIENCE 120 /* seconds of an unreachable hub while waiting */
#define LOG_TAIL_LINES 30     /* of a failed task, after --wait */
#define LOG_TAIL_KEEP (64 << 10)

static const struct q_cli_opt build_opts[] = {
    [O_ARCH] = {"arch", "LIST", "comma-separated arches, a subset of the project's"},
    [O_WAIT] = {"wait", NULL, "follow the build until it ends; exit 1 unless it completes"},
    [O_SIG] = {"sig", "S", "only this SIG's builds"},
    [O_STATE] = {"state", "X", "only builds in this state: building, complete, failed, canceled"},
    [O_LIMIT] = {"limit", "N", "at most N builds (newest first)"},
    [O_FOLLOW] = {"follow", NULL, "keep printing the log while the task runs"},
    [O_BUILDROOT] = {"buildroot", NULL,
		     "show: every package of each task's buildroot (NEVRA and SHA-256)"},
    [O_SCRATCH] = {"scratch", NULL,
		   "a scratch build: outside the NEVR history, never tagged, outputs expire"},
    [O_CHAIN] = {"chain", NULL,
		 "SIG/PROJECT SRC… : SRC… — groups built in order, each tagged into --into first"},
    [O_INTO] = {"into", "REPO", "the candidate repo a chain tags into (default: the project's)"},
    [O_MINE] = {"mine", NULL, "only the builds of the token's user"},
    [O_PROJECT] = {"project", "SIG/PROJECT", "only this project's builds"},
    [O_PACKAGE] = {"package", "NAME", "only builds of this source package"},
    [O_SINCE] = {"since", "WHEN",
		 "only builds created since WHEN: 2026-12-01, 2026-12-01T10:00:00Z (UTC) or an age "
		 "(30m, 12h, 7d, 2w)"},
};

static const struct q_col build_cols[] = {
    {"id", "ID"},       {"sig", "SIG"},         {"project", "PROJECT"},
    {"state", "STATE"}, {"nevr", "NEVR"},       {"kind", "KIND"},
    {"owner", "OWNER"}, {"created", "CREATED"}, {"source", "SOURCE"},
};

static const struct q_col build_fields[] = {
    {"id", "id"},           {"sig", "sig"},           {"project", "project"}, {"state", "state"},
    {"nevr", "nevr"},       {"source", "source"},     {"commit", "commit"},   {"owner", "owner"},
    {"created", "created"}, {"finished", "finished"}, {"message", "message"}, {"kind", "kind"},
    {"expired", "expired"}, {"chain", "chain"},
};

static const struct q_col task_cols[] = {
    {"id", "TASK"},         {"kind", "KIND"},         {"arch", "ARCH"},
    {"state", "STATE"},     {"worker", "WORKER"},     {"attempt", "ATTEMPT"},
    {"started", "STARTED"}, {"finished", "FINISHED"}, {"message", "MESSAGE"},
};

static const struct q_col chain_build_cols[] = {
    {"group", "GROUP"},
    {"id", "BUILD"},
    {"nevr", "NEVR"},
    {"state", "STATE"},
};

static const struct q_col check_cols[] = {
    {"name", "CHECK"},
    {"state", "STATE"},
    {"summary", "SUMMARY"},
};

static const struct q_col artifact_cols[] = {
    {"name", "ARTIFACT"}, {"arch", "ARCH"},     {"size", "SIZE"},
    {"task", "TASK"},     {"sha256", "SHA256"},
};

/* ---- helpers ---- */

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Integer times (Unix seconds) of obj's members named in keys → ISO 8601. */
static void times_to_text(json_t *obj)
{
	static const char *const keys[] = {"started", "finished", "last_seen", "expired"};

	for (size_t i = 0; i < Q_ARRAY_LEN(keys); i++) {
		json_t *v = json_object_get(obj, keys[i]);
		time_t t;
		struct tm tm;
		char buf[32];

		if (!json_is_integer(v))
			continue;
		t = (time_t)json_integer_value(v);
		if (t > 0 && gmtime_r(&t, &tm) &&
		    strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm))
			json_object_set_new(obj, keys[i], json_string(buf));
	}
}

/* The same over every object of an array (in a copy: json_decref it). */
static json_t *rows_with_times(const json_t *array)
{
	json_t *rows = json_deep_copy(array);
	size_t i;
	json_t *r;

	if (!rows)
		return json_array();
	json_array_foreach (rows, i, r)
		times_to_text(r);
	return rows;
}

static int parse_id(struct q_cli_args *a, const char *s, const char *what, long *id)
{
	struct q_error err = {0};

	if (q_cli_parse_long(s, 1, LONG_MAX, what, id, &err) < 0)
		return q_cli_usage_error(a, "%s", err.msg);
	return 0;
}

/* GET builds/ID; while waiting, an unreachable hub (restarting) is retried. */
static int get_build(struct q_client *c, long id, int patient, json_t **b, struct q_error *err)
{
	char *path = g_strdup_printf("builds/%ld", id);
	int said = 0;
	int ret;

	for (int tries = 0;; tries++) {
		ret = q_client_call(c, "GET", path, NULL, b, err);
		if (ret == 0 || !patient || err->code != Q_EIO || tries >= HUB_GONE_PATIENCE)
			break;
		if (!said++)
			fprintf(stderr, "quarry: %s; retrying\n", err->msg);
		sleep_ms(1000);
	}
	g_free(path);
	return ret;
}

/*
 * GET builds/ID?wait=…&since=VERSION: the build once it changed since the
 * version we saw (*version: in and out; 0 the first time: at once), or as
 * it is when the hub's wait ended. Patient with an unreachable hub.
 */
static int wait_build_change(struct q_client *c, long id, uint64_t *version, json_t **b,
			     struct q_error *err)
{
	char *path =
	    *version ? g_strdup_printf("builds/%ld?wait=%d&since=%" PRIu64, id, WAIT_S, *version)
		     : g_strdup_printf("builds/%ld", id);
	char *text = NULL, *v = NULL;
	size_t len = 0;
	json_error_t jerr;
	int said = 0;
	int ret;

	for (int tries = 0;; tries++) {
		ret = q_client_get_header(c, path, "X-Quarry-Version", &text, &len, &v, err);
		if (ret == 0 || err->code != Q_EIO || tries >= HUB_GONE_PATIENCE)
			break;
		if (!said++)
			fprintf(stderr, "quarry: %s; retrying\n", err->msg);
		sleep_ms(1000);
	}
	g_free(path);
	if (ret < 0)
		return -1;
	*b = json_loadb(text, len, 0, &jerr);
	g_free(text);
	if (!*b) {
		g_free(v);
		return q_error_set(err, Q_EIO, "the hub's answer is not JSON: %s", jerr.text);
	}
	/* A hub without the header: a version that never matches, so no wait
	 * is asked for (and then we poll once a second). */
	*version = v ? g_ascii_strtoull(v, NULL, 10) : 0;
	if (!v)
		sleep_ms(1000);
	g_free(v);
	return 0;
}

/* One chunk of a task log from offset; *state gets X-Quarry-Task-State.
 * wait: when there is nothing past offset yet and the task runs, the hub
 * answers when the log grows or the task ends (or its wait is over). */
static int get_log(struct q_client *c, long build, long task, int64_t offset, int patient, int wait,
		   char **text, size_t *len, char **state, struct q_error *err)
{
	char *path = g_strdup_printf("builds/%ld/tasks/%ld/log?offset=%" PRId64 "%s", build, task,
				     offset, wait ? "&wait=" G_STRINGIFY(WAIT_S) : "");
	int said = 0;
	int ret;

	for (int tries = 0;; tries++) {
		ret = q_client_get_header(c, path, "X-Quarry-Task-State", text, len, state, err);
		if (ret == 0 || !patient || err->code != Q_EIO || tries >= HUB_GONE_PATIENCE)
			break;
		if (!said++)
			fprintf(stderr, "quarry: %s; retrying\n", err->msg);
		sleep_ms(1000);
	}
	g_free(path);
	return ret;
}

static int state_running(const char *state)
{
	return state && (!strcmp(state, "free") || !strcmp(state, "open"));
}

/*
 * Print a task's log from the start. follow: keep polling while the task is
 * free or open. Returns 0 or -1 with err.
 */
static int print_log(struct q_client *c, long build, long task, int follow, struct q_error *err)
{
	int64_t off = 0;

	for (;;) {
		char *text = NULL;
		char *state = NULL;
		size_t len = 0;
		int more;

		if (get_log(c, build, task, off, follow, follow, &text, &len, &state, err) < 0)
			return -1;
		if (len) {
			fwrite(text, 1, len, stdout);
			fflush(stdout);
		}
		off += (int64_t)len;
		more = state_running(state);
		g_free(text);
		g_free(state);
		if (len)
			continue; /* the hub sends at most 1 MiB at a time */
		if (!follow || !more)
			return 0;
		/* The hub waited for more already (?wait): ask again. */
	}
}

/* The last LOG_TAIL_LINES lines of a task's log, indented, on stderr. */
static void print_log_tail(struct q_client *c, long build, long task)
{
	struct q_error err = {0};
	GString *keep = g_string_new(NULL);
	int64_t off = 0;
	const char *start;
	int lines = 0;

	for (;;) {
		char *text = NULL;
		size_t len = 0;

		if (get_log(c, build, task, off, 1, 0, &text, &len, NULL, &err) < 0) {
			fprintf(stderr, "quarry: cannot read the log of task %ld: %s\n", task,
				err.msg);
			break;
		}
		g_string_append_len(keep, text, (gssize)len);
		g_free(text);
		if (keep->len > LOG_TAIL_KEEP)
			g_string_erase(keep, 0, (gssize)(keep->len - LOG_TAIL_KEEP));
		if (!len)
			break;
		off += (int64_t)len;
	}
	while (keep->len && keep->str[keep->len - 1] == '\n')
		g_string_truncate(keep, keep->len - 1);
	start = keep->str + keep->len;
	while (start > keep->str && lines < LOG_TAIL_LINES) {
		start--;
		if (*start == '\n' && ++lines == LOG_TAIL_LINES) {
			start++;
			break;
		}
	}
	if (keep->len) {
		fprintf(stderr, "last lines of the log of task %ld:\n", task);
		for (const char *l = start; *l;) {
			const char *nl = strchr(l, '\n');
			int n = nl ? (int)(nl - l) : (int)strlen(l);

			fprintf(stderr, "  %.*s\n", n, l);
			l += n + (nl ? 1 : 0);
		}
	}
	g_string_free(keep, TRUE);
}

static long json_id(const json_t *obj, const char *key)
{
	return (long)json_integer_value(json_object_get(obj, key));
}

/* "build 7 (mc/el9, foo-1-1.el9.mc): building" */
static void print_build_line(FILE *out, const json_t *b)
{
	const char *nevr = q_json_str(b, "nevr");

	fprintf(out, "build %ld (%s/%s%s%s): %s\n", json_id(b, "id"), q_json_str(b, "sig"),
		q_json_str(b, "project"), nevr[0] ? ", " : "", nevr, q_json_str(b, "state"));
}

/* "kind": scratch or normal; "chain": "3 (group 2)"; "expired" 0 → absent. */
static void build_describe(json_t *b)
{
	json_t *chain = json_object_get(b, "chain");

	json_object_set_new(
	    b, "kind",
	    json_string(json_is_true(json_object_get(b, "scratch")) ? "scratch" : "normal"));
	if (json_is_integer(chain)) {
		char *t =
		    g_strdup_printf("%" JSON_INTEGER_FORMAT " (group %" JSON_INTEGER_FORMAT ")",
				    json_integer_value(chain),
				    json_integer_value(json_object_get(b, "chain_group")));
		json_object_set_new(b, "chain", json_string(t));
		g_free(t);
	}
	if (json_is_integer(json_object_get(b, "expired")) &&
	    json_integer_value(json_object_get(b, "expired")) == 0)
		json_object_del(b, "expired");
}

/* The hub's warnings (an arch no worker serves) on stderr. */
static void print_warnings(const json_t *ans)
{
	size_t i;
	json_t *w;

	json_array_foreach (json_object_get(ans, "warnings"), i, w)
		fprintf(stderr, "quarry: warning: %s\n", json_string_value(w));
}

static void print_build(const json_t *b)
{
	json_t *copy = json_deep_copy(b);
	const json_t *tasks = json_object_get(b, "tasks");
	const json_t *arts = json_object_get(b, "artifacts");

	times_to_text(copy);
	build_describe(copy);
	q_out_fields(copy, build_fields, Q_ARRAY_LEN(build_fields));
	json_decref(copy);
	if (json_is_array(tasks)) {
		json_t *rows = rows_with_times(tasks);

		printf("\ntasks:%s\n", json_array_size(rows) ? "" : " -");
		if (json_array_size(rows))
			q_out_table(rows, task_cols, Q_ARRAY_LEN(task_cols));
		json_decref(rows);
	}
	if (json_is_array(arts)) {
		printf("\nartifacts:%s\n", json_array_size(arts) ? "" : " -");
		if (json_array_size(arts))
			q_out_table(arts, artifact_cols, Q_ARRAY_LEN(artifact_cols));
	}
}

/* Per task: its backend, how many packages its buildroot held and the repos
 * they came from (repomd.xml SHA-256, short); full: every package too. */
static void print_buildroots(const json_t *b, int full)
{
	const json_t *t, *v;
	size_t i, j;

	printf("\nbuildroots:%s\n", json_array_size(json_object_get(b, "tasks")) ? "" : " -");
	json_array_foreach (json_object_get(b, "tasks"), i, t) {
		const json_t *root = json_object_get(t, "buildroot");
		const json_t *repos = json_object_get(t, "buildroot_repos");

		printf("  task %ld %s %s: %s, %zu packages", json_id(t, "id"),
		       q_json_str(t, "kind"), q_json_str(t, "arch"),
		       q_json_str(t, "backend")[0] ? q_json_str(t, "backend") : "-",
		       json_array_size(root));
		json_array_foreach (repos, j, v) {
			const char *sha = q_json_str(v, "repomd_sha256");

			printf("%s%s (%.12s)", j ? ", " : ", repos: ",
			       q_json_str(v, "name")[0] ? q_json_str(v, "name")
							: q_json_str(v, "url"),
			       sha[0] ? sha : "?");
		}
		printf("\n");
		if (!full)
			continue;
		json_array_foreach (root, j, v)
			printf("    %-60s %s\n", q_json_str(v, "nevra"), q_json_str(v, "sha256"));
	}
}

/* "task 12 srpm src: open on w1 (attempt 2)" when a task is new or changed. */
static void report_tasks(FILE *out, const json_t *b, GHashTable *seen)
{
	size_t i;
	json_t *t;

	json_array_foreach (json_object_get(b, "tasks"), i, t) {
		const char *worker = q_json_str(t, "worker");
		const char *msg = q_json_str(t, "message");
		long attempt = json_id(t, "attempt");
		char *key = g_strdup_printf("%ld", json_id(t, "id"));
		char *now = g_strdup_printf("%s|%s|%ld", q_json_str(t, "state"), worker, attempt);
		const char *before = g_hash_table_lookup(seen, key);

		if (before && !strcmp(before, now)) {
			g_free(key);
			g_free(now);
			continue;
		}
		fprintf(out, "task %s %s %s: %s", key, q_json_str(t, "kind"), q_json_str(t, "arch"),
			q_json_str(t, "state"));
		if (worker[0] && strcmp(q_json_str(t, "state"), "free"))
			fprintf(out, " on %s", worker);
		if (attempt > 1)
			fprintf(out, " (attempt %ld)", attempt);
		if (msg[0] && strcmp(q_json_str(t, "state"), "open"))
			fprintf(out, ": %s", msg);
		fputc('\n', out);
		fflush(out);
		g_hash_table_replace(seen, key, now);
	}
}

/*
 * Follow build id until it is no longer building. Progress goes to stdout
 * (stderr with --json, whose stdout is the final build). Returns the exit
 * status: 0 complete, 1 failed, canceled or an error.
 */
static int wait_build(struct q_client *c, long id)
{
	GHashTable *seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	FILE *out = c->json ? stderr : stdout;
	struct q_error err = {0};
	json_t *b = NULL;
	const char *state;
	uint64_t version = 0;
	size_t i;
	json_t *t;
	int ret = 1;

	for (;;) {
		json_decref(b);
		b = NULL;
		if (wait_build_change(c, id, &version, &b, &err) < 0) {
			ret = q_cli_fail(&err);
			goto out;
		}
		report_tasks(out, b, seen);
		state = q_json_str(b, "state");
		if (strcmp(state, "building"))
			break;
	}
	if (c->json)
		q_out_json(b);
	if (!strcmp(state, "complete")) {
		if (!c->json) {
			print_build_line(stdout, b);
			json_array_foreach (json_object_get(b, "artifacts"), i, t)
				printf("  %s\n", q_json_str(t, "name"));
		}
		ret = 0;
		goto out;
	}
	print_build_line(stderr, b);
	if (q_json_str(b, "message")[0])
		fprintf(stderr, "%s\n", q_json_str(b, "message"));
	json_array_foreach (json_object_get(b, "tasks"), i, t) {
		if (strcmp(q_json_str(t, "state"), "failed"))
			continue;
		fprintf(stderr, "task %ld %s %s failed%s%s\n", json_id(t, "id"),
			q_json_str(t, "kind"), q_json_str(t, "arch"),
			q_json_str(t, "message")[0] ? ": " : "", q_json_str(t, "message"));
		print_log_tail(c, id, json_id(t, "id"));
	}
	ret = 1;
out:
	json_decref(b);
	g_hash_table_destroy(seen);
	return ret;
}

/* A new build was answered: print it, then follow it with --wait. */
static int created(struct q_client *c, struct q_cli_args *a, const json_t *b)
{
	long id = json_id(b, "id");

	if (id <= 0) {
		struct q_error err = {0};

		q_error_set(&err, Q_EINTERNAL, "the hub's answer has no build id");
		return q_cli_fail(&err);
	}
	print_warnings(b);
	if (!a->val[O_WAIT]) {
		if (c->json)
			q_out_json(b);
		else
			print_build_line(stdout, b);
		return 0;
	}
	if (!c->json)
		print_build_line(stdout, b);
	return wait_build(c, id);
}

/* ---- submit ---- */

static int is_srpm(const char *s)
{
	return g_str_has_suffix(s, ".src.rpm");
}

/*
 * "URL#REF" → the "git" value to send: a local directory (no "://") becomes
 * an absolute path. Returns 0 with *git (g_free), 2 after a usage error, 1
 * after another error.
 */
static int git_source(struct q_cli_args *a, const char *arg, char **git)
{
	struct q_error err = {0};
	const char *hash = strrchr(arg, '#');
	char *url;
	struct stat st;

	*git = NULL;
	if (!hash || hash == arg || !hash[1])
		return q_cli_usage_error(a,
					 "'%s' is not GIT_URL#REF; name the branch or tag, e.g. "
					 "URL#r9-sig-mc-1",
					 arg);
	url = g_strndup(arg, (size_t)(hash - arg));
	if (strstr(url, "://")) {
		*git = g_strdup(arg);
	} else if (stat(url, &st) == 0) {
		char *abs;

		if (!S_ISDIR(st.st_mode)) {
			q_error_set(&err, Q_EINVAL, "'%s' is not a git directory", url);
			g_free(url);
			return q_cli_fail(&err);
		}
		abs = realpath(url, NULL);
		if (!abs) {
			q_error_set(&err, Q_EINVAL, "cannot resolve '%s': %s", url,
				    strerror(errno));
			g_free(url);
			return q_cli_fail(&err);
		}
		*git = g_strdup_printf("%s%s", abs, hash);
		free(abs);
	} else if (url[0] == '/') {
		*git = g_strdup(arg); /* maybe a path on the hub's side */
	} else {
		q_error_set(&err, Q_EINVAL, "cannot read '%s': %s; give a directory or a URL", url,
			    strerror(errno));
		g_free(url);
		return q_cli_fail(&err);
	}
	g_free(url);
	return 0;
}

static int build_submit(struct q_client *c, struct q_cli_args *a)
{
	struct q_error err = {0};
	char *parts[2] = {NULL, NULL};
	char *path = NULL;
	char *git = NULL;
	json_t *arches = NULL;
	json_t *body = json_object();
	json_t *ans = NULL;
	const char *src = a->words[1];
	int ret = 0;

	if (q_cli_split_path(a->words[0], 2, parts, &err) < 0) {
		ret = q_cli_usage_error(a, "%s", err.msg);
		goto out;
	}
	if (a->val[O_ARCH]) {
		arches = q_cli_parse_arches(a->val[O_ARCH], &err);
		if (!arches) {
			ret = q_cli_usage_error(a, "%s", err.msg);
			goto out;
		}
	}
	if (is_srpm(src)) {
		json_t *staged = NULL;
		const char *id;
		struct stat st;

		if (stat(src, &st) < 0) {
			q_error_set(&err, Q_EINVAL, "cannot read '%s': %s", src, strerror(errno));
			ret = q_cli_fail(&err);
			goto out;
		}
		if (!S_ISREG(st.st_mode)) {
			q_error_set(&err, Q_EINVAL, "'%s' is not a regular file", src);
			ret = q_cli_fail(&err);
			goto out;
		}
		if (q_client_upload_file(c, src, &staged, &err) < 0) {
			ret = q_cli_fail(&err);
			goto out;
		}
		id = json_string_value(json_object_get(staged, "id"));
		if (!id) {
			json_decref(staged);
			q_error_set(&err, Q_EINTERNAL, "the hub staged '%s' without an id", src);
			ret = q_cli_fail(&err);
			goto out;
		}
		json_object_set_new(body, "srpm", json_string(id));
		json_decref(staged);
	} else {
		ret = git_source(a, src, &git);
		if (ret)
			goto out;
		json_object_set_new(body, "git", json_string(git));
	}
	if (arches)
		json_object_set(body, "arches", arches);
	if (a->val[O_SCRATCH])
		json_object_set_new(body, "scratch", json_true());
	path = q_client_path(c, "sigs", parts[0], "projects", parts[1], "builds", NULL);
	if (q_client_call(c, "POST", path, body, &ans, &err) < 0) {
		ret = q_cli_fail(&err);
		goto out;
	}
	ret = created(c, a, ans);
out:
	json_decref(ans);
	json_decref(body);
	json_decref(arches);
	g_free(git);
	g_free(path);
	g_free(parts[0]);
	g_free(parts[1]);
	return ret;
}

/* ---- chains ---- */

/* "build 5 (group 1, foo-1-1.el9.mc): complete" for each build new or changed. */
static void report_chain(FILE *out, const json_t *ch, GHashTable *seen)
{
	size_t i;
	json_t *b;

	json_array_foreach (json_object_get(ch, "builds"), i, b) {
		char *key = g_strdup_printf("%ld", json_id(b, "id"));
		const char *before = g_hash_table_lookup(seen, key);
		const char *state = q_json_str(b, "state");

		if (before && !strcmp(before, state)) {
			g_free(key);
			continue;
		}
		fprintf(out, "build %s (group %ld, %s): %s", key, json_id(b, "group"),
			q_json_str(b, "nevr"), state);
		if (strcmp(state, "building") && strcmp(state, "complete") &&
		    q_json_str(b, "message")[0])
			fprintf(out, ": %s", q_json_str(b, "message"));
		fputc('\n', out);
		fflush(out);
		g_hash_table_replace(seen, key, g_strdup(state));
	}
}

/* "chain 5: group 2 of 3 building" for each group that started since the
 * last report (*group): a group that started and ended between two polls
 * is reported too, and every group of a complete chain has started. */
static void report_groups(FILE *out, long id, const json_t *ch, long *group)
{
	const char *state = q_json_str(ch, "state");
	long upto = json_id(ch, "current_group");

	if (!strcmp(state, "complete"))
		upto = json_id(ch, "groups");
	for (; *group < upto; (*group)++) {
		fprintf(out, "chain %ld: group %ld of %ld building\n", id, *group + 1,
			json_id(ch, "groups"));
		fflush(out);
	}
}

/* Follow chain id until it ends; 0 when it completes. */
static int wait_chain(struct q_client *c, long id, json_t *first)
{
	GHashTable *seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	FILE *out = c->json ? stderr : stdout;
	struct q_error err = {0};
	char *path = g_strdup_printf("chains/%ld", id);
	json_t *ch = json_incref(first);
	long group = 0;
	int ret = 1;

	for (;;) {
		report_chain(out, ch, seen);
		report_groups(out, id, ch, &group);
		if (strcmp(q_json_str(ch, "state"), "building"))
			break;
		sleep_ms(POLL_CHAIN_MS);
		json_decref(ch);
		ch = NULL;
		for (int tries = 0;; tries++) {
			if (q_client_call(c, "GET", path, NULL, &ch, &err) == 0)
				break;
			if (err.code != Q_EIO || tries >= HUB_GONE_PATIENCE) {
				ret = q_cli_fail(&err);
				goto out;
			}
			sleep_ms(1000);
		}
	}
	if (c->json)
		q_out_json(ch);
	if (!strcmp(q_json_str(ch, "state"), "complete")) {
		if (!c->json)
			printf("chain %ld (%s/%s, into %s): complete\n", id, q_json_str(ch, "sig"),
			       q_json_str(ch, "project"), q_json_str(ch, "repo"));
		ret = 0;
	} else {
		fprintf(stderr, "chain %ld (%s/%s): %s%s%s\n", id, q_json_str(ch, "sig"),
			q_json_str(ch, "project"), q_json_str(ch, "state"),
			q_json_str(ch, "message")[0] ? ": " : "", q_json_str(ch, "message"));
	}
out:
	json_decref(ch);
	g_free(path);
	g_hash_table_destroy(seen);
	return ret;
}

static int build_chain(struct q_client *c, struct q_cli_args *a)
{
	struct q_error err = {0};
	char *parts[2] = {NULL, NULL};
	json_t *groups = json_array(), *group = json_array(), *body = json_object(), *ans = NULL;
	json_t *arches = NULL;
	char *path = NULL;
	int ret = 0;

	if (q_cli_split_path(a->words[0], 2, parts, &err) < 0) {
		ret = q_cli_usage_error(a, "%s", err.msg);
		goto out;
	}
	for (int i = 1; i <= a->n_words; i++) {
		char *git = NULL;

		if (i == a->n_words || !strcmp(a->words[i], ":")) {
			if (json_array_size(group) == 0) {
				ret = q_cli_usage_error(a, "a chain's groups are SRC… separated by "
							   "' : ', none empty");
				goto out;
			}
			json_array_append_new(groups, group);
			group = json_array();
			continue;
		}
		if (is_srpm(a->words[i])) {
			ret = q_cli_usage_error(a, "a chain builds from git (URL#REF), not '%s'",
						a->words[i]);
			goto out;
		}
		ret = git_source(a, a->words[i], &git);
		if (ret)
			goto out;
		json_array_append_new(group, json_string(git));
		g_free(git);
	}
	json_object_set(body, "groups", groups);
	if (a->val[O_INTO])
		json_object_set_new(body, "into", json_string(a->val[O_INTO]));
	if (a->val[O_ARCH]) {
		arches = q_cli_parse_arches(a->val[O_ARCH], &err);
		if (!arches) {
			ret = q_cli_usage_error(a, "%s", err.msg);
			goto out;
		}
		json_object_set(body, "arches", arches);
	}
	path = q_client_path(c, "sigs", parts[0], "projects", parts[1], "chains", NULL);
	if (q_client_call(c, "POST", path, body, &ans, &err) < 0) {
		ret = q_cli_fail(&err);
		goto out;
	}
	print_warnings(ans);
	if (!c->json || a->val[O_WAIT]) {
		size_t i;
		json_t *b;
		FILE *o = c->json ? stderr : stdout;

		fprintf(o, "chain %ld (%s/%s, %ld groups, into %s): %s\n", json_id(ans, "id"),
			q_json_str(ans, "sig"), q_json_str(ans, "project"), json_id(ans, "groups"),
			q_json_str(ans, "repo"), q_json_str(ans, "state"));
		json_array_foreach (json_object_get(ans, "builds"), i, b)
			fprintf(o, "  group %ld: build %ld %s\n", json_id(b, "group"),
				json_id(b, "id"), q_json_str(b, "nevr"));
		fflush(o);
	}
	if (a->val[O_WAIT])
		ret = wait_chain(c, json_id(ans, "id"), ans);
	else if (c->json)
		q_out_json(ans);
out:
	json_decref(ans);
	json_decref(arches);
	json_decref(body);
	json_decref(groups);
	json_decref(group);
	g_free(path);
	g_free(parts[0]);
	g_free(parts[1]);
	return ret;
}

/* ---- list, show, cancel, resubmit ---- */

/* Append "?KEY=VALUE" or "&KEY=VALUE" (escaped) to a query. */
static void add_param(struct q_client *c, GString *path, const char *key, const char *value)
{
	char *e = q_client_escape(c, value);

	g_string_append_printf(path, "%c%s=%s", strchr(path->str, '?') ? '&' : '?', key, e);
	g_free(e);
}

static int build_list(struct q_client *c, struct q_cli_args *a)
{
	static const char *const states[] = {"building", "complete", "failed", "canceled"};
	struct q_error err = {0};
	GString *path = g_string_new("builds");
	json_t *ans = NULL;
	char *parts[2] = {NULL, NULL};
	long limit = 0;
	int ret = 0;

	if (a->val[O_SIG]) {
		if (q_cli_split_path(a->val[O_SIG], 1, parts, &err) < 0) {
			ret = q_cli_usage_error(a, "%s", err.msg);
			goto out;
		}
		g_free(parts[0]);
		parts[0] = NULL;
	}
	if (a->val[O_PROJECT]) {
		if (q_cli_split_path(a->val[O_PROJECT], 2, parts, &err) < 0) {
			ret = q_cli_usage_error(a, "%s", err.msg);
			goto out;
		}
		if (a->val[O_SIG] && strcmp(a->val[O_SIG], parts[0])) {
			ret = q_cli_usage_error(a, "--sig %s and --project %s name different SIGs",
						a->val[O_SIG], a->val[O_PROJECT]);
			goto out;
		}
		add_param(c, path, "sig", parts[0]);
		add_param(c, path, "project", parts[1]);
	} else if (a->val[O_SIG]) {
		add_param(c, path, "sig", a->val[O_SIG]);
	}
	if (a->val[O_STATE]) {
		int known = 0;

		for (size_t i = 0; i < Q_ARRAY_LEN(states); i++)
			known |= !strcmp(a->val[O_STATE], states[i]);
		if (!known) {
			ret = q_cli_usage_error(
			    a, "state '%s' is unknown; use building, complete, failed or canceled",
			    a->val[O_STATE]);
			goto out;
		}
		add_param(c, path, "state", a->val[O_STATE]);
	}
	if (a->val[O_PACKAGE])
		add_param(c, path, "package", a->val[O_PACKAGE]); /* the hub checks the name */
	if (a->val[O_SINCE]) {
		char iso[Q_ISO_TIME_LEN];
		int64_t since;

		if (q_cli_parse_since(a->val[O_SINCE], (int64_t)time(NULL), &since, &err) < 0) {
			ret = q_cli_usage_error(a, "%s", err.msg);
			goto out;
		}
		if (since > 0) /* 0: since the epoch, every build */
			add_param(c, path, "since", q_time_iso(since, iso));
	}
	if (a->val[O_LIMIT]) {
		if (q_cli_parse_long(a->val[O_LIMIT], 1, 1000000, "limit", &limit, &err) < 0) {
			ret = q_cli_usage_error(a, "%s", err.msg);
			goto out;
		}
		g_string_append_printf(path, "%climit=%ld", strchr(path->str, '?') ? '&' : '?',
				       limit);
	}
	if (a->val[O_MINE]) {
		json_t *me = NULL;

		if (!c->token) {
			ret = q_cli_usage_error(a, "--mine needs a token (--token, QUARRY_TOKEN or "
						   "the client config)");
			goto out;
		}
		if (q_client_call(c, "GET", "whoami", NULL, &me, &err) < 0) {
			ret = q_cli_fail(&err);
			goto out;
		}
		add_param(c, path, "owner", q_json_str(me, "user"));
		json_decref(me);
	}
	if (q_client_call(c, "GET", path->str, NULL, &ans, &err) < 0) {
		ret = q_cli_fail(&err);
		goto out;
	}
	if (c->json)
		q_out_json(ans);
	else {
		json_t *rows = json_deep_copy(json_object_get(ans, "builds"));
		json_t *r;
		size_t i;

		json_array_foreach (rows, i, r)
			build_describe(r);
		q_out_table(rows, build_cols, Q_ARRAY_LEN(build_cols));
		json_decref(rows);
	}
out:
	g_free(parts[0]);
	g_free(parts[1]);
	json_decref(ans);
	g_string_free(path, TRUE);
	return ret;
}

static int build_show(struct q_client *c, struct q_cli_args *a)
{
	struct q_error err = {0};
	json_t *b = NULL;
	long id;
	int ret;

	if ((ret = parse_id(a, a->words[0], "build id", &id)))
		return ret;
	if (get_build(c, id, 0, &b, &err) < 0)
		return q_cli_fail(&err);
	if (c->json) {
		q_out_json(b);
	} else {
		char *path = g_strdup_printf("builds/%ld/checks?output=0", id);
		json_t *checks = NULL;

		print_build(b);
		print_buildroots(b, a->val[O_BUILDROOT] != NULL);
		if (json_is_integer(json_object_get(b, "chain"))) {
			char *cpath = g_strdup_printf("chains/%ld", json_id(b, "chain"));
			json_t *ch = NULL;

			if (q_client_call(c, "GET", cpath, NULL, &ch, &err) == 0) {
				printf("\nchain %ld (into %s): %s, group %ld of %ld%s%s\n",
				       json_id(ch, "id"), q_json_str(ch, "repo"),
				       q_json_str(ch, "state"), json_id(ch, "current_group"),
				       json_id(ch, "groups"),
				       q_json_str(ch, "message")[0] ? ": " : "",
				       q_json_str(ch, "message"));
				q_out_table(json_object_get(ch, "builds"), chain_build_cols,
					    Q_ARRAY_LEN(chain_build_cols));
			}
			q_error_clear(&err);
			json_decref(ch);
			g_free(cpath);
		}
		/* The checks too, when the hub has them (an older hub answers 404). */
		if (q_client_call(c, "GET", path, NULL, &checks, &err) == 0 &&
		    json_array_size(json_object_get(checks, "checks"))) {
			printf("\nchecks:\n");
			q_out_table(json_object_get(checks, "checks"), check_cols,
				    Q_ARRAY_LEN(check_cols));
		}
		json_decref(checks);
		g_free(path);
	}
	json_decref(b);
	return 0;
}

/* POST builds/ID/ACTION. */
static int build_action(struct q_client *c, struct q_cli_args *a, const char *action)
{
	struct q_error err = {0};
	json_t *ans = NULL;
	char *path;
	long id;
	int ret;

	if ((ret = parse_id(a, a->words[0], "build id", &id)))
		return ret;
	path = g_strdup_printf("builds/%ld/%s", id, action);
	if (q_client_call(c, "POST", path, NULL, &ans, &err) < 0) {
		ret = q_cli_fail(&err);
	} else if (!strcmp(action, "resubmit")) {
		ret = created(c, a, ans);
	} else if (c->json) {
		q_out_json(ans);
	} else {
		print_build_line(stdout, ans);
	}
	json_decref(ans);
	g_free(path);
	return ret;
}

static int build_cancel(struct q_client *c, struct q_cli_args *a)
{
	return build_action(c, a, "cancel");
}

static int build_resubmit(struct q_client *c, struct q_cli_args *a)
{
	return build_action(c, a, "resubmit");
}

/* ---- log, provenance ---- */

/*
 * build log --follow: every task's log, one after another, each to its end,
 * including the tasks scheduled meanwhile (the per-arch tasks after the
 * SRPM task), until the build ends and every task was printed.
 */
static int follow_build(struct q_client *c, long id)
{
	GHashTable *done = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	struct q_error err = {0};
	uint64_t version = 0;
	json_t *b = NULL, *t;
	int printed = 0, ret = 0;
	size_t i;

	for (;;) {
		int more = 0;

		json_decref(b);
		b = NULL;
		if (wait_build_change(c, id, &version, &b, &err) < 0) {
			ret = q_cli_fail(&err);
			break;
		}
		json_array_foreach (json_object_get(b, "tasks"), i, t) {
			char *key = g_strdup_printf("%ld", json_id(t, "id"));

			if (g_hash_table_contains(done, key)) {
				g_free(key);
				continue;
			}
			printf("%s==> task %ld %s %s <==\n", printed++ ? "\n" : "",
			       json_id(t, "id"), q_json_str(t, "kind"), q_json_str(t, "arch"));
			fflush(stdout);
			if (print_log(c, id, json_id(t, "id"), 1, &err) < 0) {
				g_free(key);
				ret = q_cli_fail(&err);
				goto out;
			}
			g_hash_table_add(done, key);
			more = 1;
		}
		/* A task ended: look again at once (its build may have new tasks). */
		if (more) {
			version = 0;
			continue;
		}
		if (strcmp(q_json_str(b, "state"), "building"))
			break;
	}
out:
	json_decref(b);
	g_hash_table_destroy(done);
	return ret;
}

static int build_log(struct q_client *c, struct q_cli_args *a)
{
	struct q_error err = {0};
	int follow = a->val[O_FOLLOW] != NULL;
	json_t *b = NULL;
	json_t *tasks;
	json_t *t;
	size_t i;
	long id, task = 0;
	int ret;

	if ((ret = parse_id(a, a->words[0], "build id", &id)))
		return ret;
	if (a->n_words > 1 && (ret = parse_id(a, a->words[1], "task id", &task)))
		return ret;
	if (task) {
		if (print_log(c, id, task, follow, &err) < 0)
			ret = q_cli_fail(&err);
		return ret;
	}
	if (follow) {
		ret = follow_build(c, id);
		goto out;
	}
	if (get_build(c, id, 0, &b, &err) < 0)
		return q_cli_fail(&err);
	tasks = json_object_get(b, "tasks");
	/* Every task's log, one after another. */
	json_array_foreach (tasks, i, t) {
		printf("%s==> task %ld %s %s (%s) <==\n", i ? "\n" : "", json_id(t, "id"),
		       q_json_str(t, "kind"), q_json_str(t, "arch"), q_json_str(t, "state"));
		fflush(stdout);
		if (print_log(c, id, json_id(t, "id"), 0, &err) < 0) {
			ret = q_cli_fail(&err);
			goto out;
		}
	}
out:
	json_decref(b);
	return ret;
}

static int build_provenance(struct q_client *c, struct q_cli_args *a)
{
	struct q_error err = {0};
	json_t *ans = NULL;
	char *path;
	long id;
	int ret;

	if ((ret = parse_id(a, a->words[0], "build id", &id)))
		return ret;
	path = g_strdup_printf("builds/%ld/provenance", id);
	if (q_client_call(c, "GET", path, NULL, &ans, &err) < 0)
		ret = q_cli_fail(&err);
	else
		q_out_json(ans); /* JSON is what provenance is */
	json_decref(ans);
	g_free(path);
	return ret;
}

static const struct q_cli_cmd build_cmds[] = {
    {"submit", "SIG/PROJECT GIT_URL#REF|FILE.src.rpm",
     "build from git (a directory, file://, http(s)://) or a source RPM; "
     "'quarry build SIG/PROJECT SOURCE' works too",
     2, 2, B(O_ARCH) | B(O_WAIT) | B(O_SCRATCH), 0, build_submit},
    {"chain", "SIG/PROJECT GIT_URL#REF… [: GIT_URL#REF…]…",
     "a chain build: groups separated by ':' build in order, each complete, tagged into the "
     "chain's repo (--into, default the project's candidate repo) and published before the "
     "next starts; 'quarry build --chain SIG/PROJECT …' works too",
     2, -1, B(O_ARCH) | B(O_WAIT) | B(O_CHAIN) | B(O_INTO), 0, build_chain},
    {"list", "", "list builds, newest first; the filters combine", 0, 0,
     B(O_SIG) | B(O_STATE) | B(O_LIMIT) | B(O_MINE) | B(O_PROJECT) | B(O_PACKAGE) | B(O_SINCE), 0,
     build_list},
    {"show", "ID",
     "show a build with its tasks, their buildroots (--buildroot: every package) and artifacts", 1,
     1, B(O_BUILDROOT), 0, build_show},
    {"cancel", "ID", "cancel a build (owner, lead of the SIG, releng, admin)", 1, 1, 0, 0,
     build_cancel},
    {"resubmit", "ID", "build the same source again", 1, 1, B(O_WAIT), 0, build_resubmit},
    {"log", "ID [TASK]",
     "print a task's log, or every task's one after another; --follow: the running one", 1, 2,
     B(O_FOLLOW), 0, build_log},
    {"provenance", "ID", "print the build's provenance (in-toto Statement, SLSA v1)", 1, 1, 0, 0,
     build_provenance},
};

const struct q_cli_family q_build_family = {
    "build",    "Build packages from git or a source RPM.",
    build_opts, Q_ARRAY_LEN(build_opts),
    build_cmds, Q_ARRAY_LEN(build_cmds),
};

/* Is word the first word of a subcommand's name? */
static int is_subcommand(const char *word)
{
	for (size_t i = 0; i < Q_ARRAY_LEN(build_cmds); i++)
		if (!strcmp(build_cmds[i].name, word))
			return 1;
	return 0;
}

int cmd_build(int argc, char **argv)
{
	struct q_cli_args a;
	char **v;
	int at = -1, chain;
	int ret;

	/* Find the first positional word the way the parser sees it: a SIG/PROJECT? */
	ret = q_cli_parse(&q_build_family, argc, argv, &a);
	if (ret)
		return ret;
	chain = a.val[O_CHAIN] != NULL;
	if (a.n_words > 0 && !is_subcommand(a.words[0]) && strchr(a.words[0], '/'))
		for (int i = 1; i < argc; i++)
			if (argv[i] == a.words[0]) {
				at = i;
				break;
			}
	q_cli_args_release(&a);
	if (at < 0)
		return q_cli_run(&q_build_family, argc, argv);
	/* `build SIG/PROJECT SOURCE` → `build submit SIG/PROJECT SOURCE`;
	 * `build --chain SIG/PROJECT …` → `build chain --chain SIG/PROJECT …`. */
	v = g_new0(char *, (size_t)argc + 2);
	memcpy(v, argv, (size_t)at * sizeof(*v));
	v[at] = (char *)(chain ? "chain" : "submit");
	memcpy(v + at + 1, argv + at, (size_t)(argc - at) * sizeof(*v));
	ret = q_cli_run(&q_build_family, argc + 1, v);
	g_free(v);
	return ret;
}
