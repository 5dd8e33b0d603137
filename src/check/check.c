/*
 * check.c: what every check shares (check.h): the result with its bounded
 * output, merging the results of several arches, running a check by name,
 * and running the library-based checks in a sandboxed child process
 * (`quarry check-run MANIFEST RESULT`), the input and the result travelling
 * as JSON files in the check's work directory.
 */
#include "core/common.h"
#include "core/error.h"
#include "core/fs.h"
#include "build/sandbox.h"
#include "check/check.h"

#include <fcntl.h>
#include <sys/stat.h>

const char *const q_check_names[] = {"disttag",     "rpmlint",   "closure",
				     "installable", "conflicts", NULL};

#define MANIFEST_MAX ((size_t)64 << 20)
#define RESULT_MAX (Q_CHECK_OUTPUT_MAX * 6 + 4096) /* JSON escapes grow text */
#define LOG_TAIL 4096

const char *q_check_state_name(enum q_check_state s)
{
	switch (s) {
	case Q_CHECK_PASS:
		return "pass";
	case Q_CHECK_FAIL:
		return "fail";
	default:
		return "error";
	}
}

int q_check_known(const char *name)
{
	for (size_t i = 0; q_check_names[i]; i++)
		if (!strcmp(q_check_names[i], name))
			return 1;
	return 0;
}

void q_check_result_init(struct q_check_result *res)
{
	memset(res, 0, sizeof(*res));
	res->state = Q_CHECK_ERROR;
	res->output = g_string_new(NULL);
}

void q_check_result_release(struct q_check_result *res)
{
	if (res->output)
		g_string_free(res->output, TRUE);
	res->output = NULL;
}

void q_check_out_raw(struct q_check_result *res, const char *text, size_t len)
{
	size_t room;

	if (res->truncated)
		return;
	/* Room for the note, so that it survives the store's cut at the same bound. */
	room = res->output->len + 64 < Q_CHECK_OUTPUT_MAX
		   ? Q_CHECK_OUTPUT_MAX - 64 - res->output->len
		   : 0;
	if (len > room) {
		g_string_append_len(res->output, text, (gssize)room);
		g_string_append(res->output, "\n[output cut at 256 KiB]\n");
		res->truncated = 1;
		return;
	}
	g_string_append_len(res->output, text, (gssize)len);
}

void q_check_out(struct q_check_result *res, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	q_check_out_raw(res, s, strlen(s));
	g_free(s);
}

static void set_summary(struct q_check_result *res, const char *text)
{
	size_t n = strcspn(text, "\r\n");

	if (n > Q_CHECK_SUMMARY_MAX)
		n = Q_CHECK_SUMMARY_MAX;
	memcpy(res->summary, text, n);
	res->summary[n] = '\0';
}

void q_check_set(struct q_check_result *res, enum q_check_state state, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	res->state = state;
	set_summary(res, s);
	g_free(s);
}

/* fail > error > pass: a package at fault matters more than a check that could not run. */
static int severity(enum q_check_state s)
{
	return s == Q_CHECK_FAIL ? 2 : s == Q_CHECK_ERROR ? 1 : 0;
}

void q_check_merge(struct q_check_result *into, const struct q_check_result *part,
		   const char *label, int first)
{
	if (first || severity(part->state) > severity(into->state)) {
		char *s = label && part->state != Q_CHECK_PASS
			      ? g_strdup_printf("%s: %s", label, part->summary)
			      : g_strdup(part->summary);

		into->state = part->state;
		set_summary(into, s);
		g_free(s);
	}
	if (label)
		q_check_out(into, "%s== %s ==\n", first ? "" : "\n", label);
	q_check_out_raw(into, part->output->str, part->output->len);
	into->truncated |= part->truncated;
}

int q_check_run(const char *name, const struct q_check_input *in, struct q_check_result *res,
		struct q_error *err)
{
	if (!strcmp(name, "disttag"))
		return q_check_disttag(in, res, err);
	if (!strcmp(name, "rpmlint"))
		return q_check_rpmlint(in, res, err);
	if (!strcmp(name, "closure"))
		return q_check_closure(in, res, err);
	if (!strcmp(name, "installable"))
		return q_check_installable(in, res, err);
	if (!strcmp(name, "conflicts"))
		return q_check_conflicts(in, res, err);
	return q_error_set(err, Q_EINVAL, "check '%.64s' is unknown", name);
}

/* ---- the input as JSON ---- */

static json_t *rpms_json(const struct q_check_rpm *r, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_pack("{s:s,s:s}", "path", r[i].path, "name",
						   r[i].name ? r[i].name : ""));
	return a;
}

json_t *q_check_input_to_json(const struct q_check_input *in)
{
	json_t *repos = json_array(), *hide = json_array();

	for (size_t i = 0; i < in->n_repos; i++)
		json_array_append_new(repos, json_pack("{s:s,s:s,s:s}", "name", in->repos[i].name,
						       "dir", in->repos[i].dir, "url",
						       in->repos[i].url ? in->repos[i].url : ""));
	for (size_t i = 0; in->hide && in->hide[i]; i++)
		json_array_append_new(hide, json_string(in->hide[i]));
	return json_pack(
	    "{s:s,s:s,s:s,s:o,s:o,s:o,s:s,s:s,s:s,s:s,s:o,s:I}", "arch", in->arch ? in->arch : "",
	    "dist_tag", in->dist_tag ? in->dist_tag : "", "releasever",
	    in->releasever ? in->releasever : "", "rpms", rpms_json(in->rpms, in->n_rpms), "others",
	    rpms_json(in->others, in->n_others), "repos", repos, "rpmlint_config",
	    in->rpmlint_config ? in->rpmlint_config : "", "rpmlintrc_name",
	    in->rpmlintrc_name ? in->rpmlintrc_name : "", "rpmlintrc",
	    in->rpmlintrc ? in->rpmlintrc : "", "workdir", in->workdir ? in->workdir : "", "hide",
	    hide, "timeout", (json_int_t)in->timeout);
}

static const char *jstr(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? s : "";
}

static int rpms_from_json(json_t *a, struct q_check_rpm **out, size_t *n, const char *what,
			  struct q_error *err)
{
	json_t *v;
	size_t i;

	*out = NULL;
	*n = 0;
	if (!json_is_array(a))
		return q_error_set(err, Q_EINVAL, "check input: '%s' is not a list", what);
	*out = g_new0(struct q_check_rpm, json_array_size(a) + 1);
	json_array_foreach (a, i, v) {
		if (!json_is_string(json_object_get(v, "path")))
			return q_error_set(err, Q_EINVAL, "check input: '%s' entry without a path",
					   what);
		(*out)[i].path = jstr(v, "path");
		(*out)[i].name = jstr(v, "name");
	}
	*n = json_array_size(a);
	return 0;
}

int q_check_input_from_json(json_t *j, struct q_check_input *in, struct q_error *err)
{
	struct q_check_rpm *rpms = NULL, *others = NULL;
	struct q_check_repo *repos;
	const char **hide;
	json_t *a, *v;
	size_t i;

	memset(in, 0, sizeof(*in));
	if (!json_is_object(j))
		return q_error_set(err, Q_EINVAL, "check input is not a JSON object");
	in->arch = jstr(j, "arch");
	in->dist_tag = jstr(j, "dist_tag");
	in->releasever = jstr(j, "releasever");
	in->rpmlint_config = jstr(j, "rpmlint_config");
	in->rpmlintrc_name = *jstr(j, "rpmlintrc_name") ? jstr(j, "rpmlintrc_name") : NULL;
	in->rpmlintrc = jstr(j, "rpmlintrc");
	in->workdir = jstr(j, "workdir");
	in->timeout = json_integer_value(json_object_get(j, "timeout"));
	if (rpms_from_json(json_object_get(j, "rpms"), &rpms, &in->n_rpms, "rpms", err) < 0 ||
	    rpms_from_json(json_object_get(j, "others"), &others, &in->n_others, "others", err) <
		0) {
		g_free(rpms);
		g_free(others);
		return -1;
	}
	in->rpms = rpms;
	in->others = others;
	a = json_object_get(j, "repos");
	repos = g_new0(struct q_check_repo, json_array_size(a) + 1);
	json_array_foreach (a, i, v) {
		repos[i].name = jstr(v, "name");
		repos[i].dir = jstr(v, "dir");
		repos[i].url = jstr(v, "url");
	}
	in->repos = repos;
	in->n_repos = json_array_size(a);
	a = json_object_get(j, "hide");
	hide = g_new0(const char *, json_array_size(a) + 1);
	json_array_foreach (a, i, v)
		hide[i] = json_string_value(v) ? json_string_value(v) : "/nonexistent";
	in->hide = hide;
	return 0;
}

void q_check_input_release(struct q_check_input *in)
{
	g_free((void *)in->rpms);
	g_free((void *)in->others);
	g_free((void *)in->repos);
	g_free((void *)in->hide);
	memset(in, 0, sizeof(*in));
}

/* ---- the child ---- */

static int write_json(const char *path, json_t *j, struct q_error *err)
{
	char *text = json_dumps(j, JSON_COMPACT);
	int rc;

	if (!text)
		return q_error_set(err, Q_EINTERNAL, "cannot encode '%s'", path);
	rc = q_fs_write_atomic(path, text, strlen(text), 0644, err);
	free(text);
	return rc;
}

int cmd_check_run(int argc, char **argv)
{
	static const char usage[] =
	    "usage: quarry check-run MANIFEST RESULT\n\n"
	    "Run one build check on the inputs MANIFEST describes and write its result to\n"
	    "RESULT (JSON). The hub's checker runs this in the sandbox; it is not meant to\n"
	    "be run by hand.\n";
	struct q_error err = {0};
	struct q_check_input in;
	struct q_check_result res;
	json_t *j = NULL, *out;
	char *text = NULL;
	size_t len = 0;
	const char *name;
	int rc = 1;

	if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		fputs(usage, stdout);
		return 0;
	}
	if (argc != 3) {
		fputs(usage, stderr);
		return 2;
	}
	q_check_result_init(&res);
	memset(&in, 0, sizeof(in));
	if (q_fs_read_file(argv[1], MANIFEST_MAX, &text, &len, &err) < 0)
		goto fail;
	j = json_loadb(text, len, 0, NULL);
	name = json_string_value(json_object_get(j, "check"));
	if (!name || !q_check_known(name)) {
		q_error_set(&err, Q_EINVAL, "'%s' names no known check", argv[1]);
		goto fail;
	}
	if (q_check_input_from_json(j, &in, &err) < 0 || q_check_run(name, &in, &res, &err) < 0)
		goto fail;
	out = json_pack("{s:s,s:s,s:s%}", "state", q_check_state_name(res.state), "summary",
			res.summary, "output", res.output->str, res.output->len);
	if (!out) {
		/* Not UTF-8: the hub cleans text, but JSON needs it valid first. */
		char *valid = g_utf8_make_valid(res.output->str, (gssize)res.output->len);

		out = json_pack("{s:s,s:s,s:s}", "state", q_check_state_name(res.state), "summary",
				"", "output", valid);
		if (out) {
			char *sum = g_utf8_make_valid(res.summary, -1);

			json_object_set_new(out, "summary", json_string(sum));
			g_free(sum);
		}
		g_free(valid);
	}
	if (!out || write_json(argv[2], out, &err) < 0) {
		json_decref(out);
		if (!err.msg[0])
			q_error_set(&err, Q_EINTERNAL, "cannot encode the result");
		goto fail;
	}
	json_decref(out);
	rc = 0;
	goto out;
fail:
	fprintf(stderr, "quarry check-run: %s\n", err.msg);
out:
	q_check_input_release(&in);
	q_check_result_release(&res);
	json_decref(j);
	free(text);
	return rc;
}

/* ---- running a check as the hub does ---- */

/* The last bytes of a log, for an error's output. */
static void log_tail(struct q_check_result *res, const char *path)
{
	char *text = NULL;
	size_t len = 0;
	struct q_error ignore = {0};

	if (q_fs_read_file_nofollow(path, Q_CHECK_OUTPUT_MAX * 4, &text, &len, &ignore) < 0)
		return;
	if (len > LOG_TAIL)
		q_check_out_raw(res, text + len - LOG_TAIL, LOG_TAIL);
	else
		q_check_out_raw(res, text, len);
	free(text);
}

/* PATH, LANG, HOME, and the sanitizers' options when the hub runs with them. */
static const char **child_env(const char *workdir)
{
	static const char *const pass[] = {"ASAN_OPTIONS", "LSAN_OPTIONS", "UBSAN_OPTIONS"};
	const char **env = g_new0(const char *, 8);
	size_t n = 0;

	env[n++] = g_strdup("PATH=/usr/bin:/bin:/usr/sbin:/sbin");
	env[n++] = g_strdup("LANG=C.UTF-8");
	env[n++] = g_strdup_printf("HOME=%s", workdir);
	for (size_t i = 0; i < Q_ARRAY_LEN(pass); i++)
		if (getenv(pass[i]))
			env[n++] = g_strdup_printf("%s=%s", pass[i], getenv(pass[i]));
	return env;
}

static void env_free(const char **env)
{
	for (size_t i = 0; env[i]; i++)
		g_free((char *)env[i]);
	g_free(env);
}

int q_check_run_isolated(const char *name, const char *self, const struct q_check_input *in,
			 struct q_check_result *res, struct q_error *err)
{
	char manifest[1200], result[1200], log[1200];
	const char *argv[] = {self, "check-run", manifest, result, NULL};
	struct q_sandbox sb = {0};
	struct q_sandbox_result sr = {0};
	const char **env = NULL, **show = NULL;
	json_t *j = NULL, *r = NULL;
	char *text = NULL;
	size_t len = 0;
	int fd = -1, rc = -1;

	if (!q_check_known(name))
		return q_error_set(err, Q_EINVAL, "check '%.64s' is unknown", name);
	if (!strcmp(name, "rpmlint") || !strcmp(name, "installable"))
		return q_check_run(name, in, res, err);
	if (!in->workdir || in->workdir[0] != '/')
		return q_error_set(err, Q_EINVAL, "check '%s' needs an absolute work directory",
				   name);
	snprintf(manifest, sizeof(manifest), "%s/%s.input.json", in->workdir, name);
	snprintf(result, sizeof(result), "%s/%s.result.json", in->workdir, name);
	snprintf(log, sizeof(log), "%s/%s.log", in->workdir, name);
	j = q_check_input_to_json(in);
	json_object_set_new(j, "check", json_string(name));
	if (write_json(manifest, j, err) < 0)
		goto out;
	unlink(result);
	fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		q_error_set(err, Q_EIO, "cannot create '%s': %s", log, strerror(errno));
		goto out;
	}
	env = child_env(in->workdir);
	sb.backend = "host";
	sb.workdir = in->workdir;
	sb.argv = argv;
	sb.env = env;
	sb.hide = in->hide;
	/* The inputs, and this binary, wherever it lives (a clean clone under /tmp,
	 * which the sandbox replaces with an empty tmpfs). */
	{
		size_t k = 0;

		while (in->show && in->show[k])
			k++;
		show = g_new0(const char *, k + 2);
		for (size_t i = 0; i < k; i++)
			show[i] = in->show[i];
		show[k] = self;
	}
	sb.show = show;
	sb.log_fd = fd;
	sb.timeout_sec = in->timeout > 0 ? in->timeout : Q_CHECK_TIMEOUT;
#if !defined(__SANITIZE_ADDRESS__)
	sb.max_memory = (int64_t)4 << 30; /* ASan maps terabytes of shadow memory */
#endif
	if (q_sandbox_run(&sb, &sr, in->cancel, err) < 0) {
		q_check_set(res, Q_CHECK_ERROR, "%s: the sandbox could not start: %s", name,
			    err->msg);
		q_error_clear(err);
		log_tail(res, log);
		rc = 0;
		goto out;
	}
	close(fd);
	fd = -1;
	if (in->cancel && *in->cancel) {
		q_check_set(res, Q_CHECK_ERROR, "%s: stopped (the hub is stopping)", name);
		rc = 0;
		goto out;
	}
	if (sr.status == Q_SANDBOX_TIMEOUT) {
		q_check_set(res, Q_CHECK_ERROR, "%s: timed out after %" PRId64 " s", name,
			    sb.timeout_sec);
		log_tail(res, log);
		rc = 0;
		goto out;
	}
	if (q_fs_read_file_nofollow(result, RESULT_MAX, &text, &len, err) < 0 ||
	    !(r = json_loadb(text, len, 0, NULL))) {
		q_error_clear(err);
		q_check_set(
		    res, Q_CHECK_ERROR, "%s: the check process ended without a result (%s %d)",
		    name, sr.signal ? "signal" : "exit code", sr.signal ? sr.signal : sr.exit_code);
		log_tail(res, log);
		rc = 0;
		goto out;
	}
	{
		const char *state = jstr(r, "state");

		res->state = !strcmp(state, "pass")   ? Q_CHECK_PASS
			     : !strcmp(state, "fail") ? Q_CHECK_FAIL
						      : Q_CHECK_ERROR;
		set_summary(res, jstr(r, "summary"));
		q_check_out_raw(res, jstr(r, "output"),
				json_string_length(json_object_get(r, "output")));
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	if (env)
		env_free(env);
	g_free(show);
	json_decref(j);
	json_decref(r);
	free(text);
	return rc;
}

/* ---- the repos a check used ---- */

json_t *q_check_repos_used(const char *output)
{
	json_t *out = json_array();
	int head = 1;

	for (const char *p = output; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		size_t n = strcspn(p, "\n");

		if (n >= 6 && !strncmp(p, "== ", 3) && !strncmp(p + n - 3, " ==", 3)) {
			head = 1; /* an arch's part begins */
			continue;
		}
		if (!head)
			continue;
		if (n > 11 && !strncmp(p, "repo used: ", 11)) {
			const char *name = p + 11, *sp = memchr(name, ' ', n - 11);
			char *nm, *url;
			json_t *v;
			size_t i;
			int seen = 0;

			if (!sp || sp == name || sp + 1 >= p + n)
				continue;
			nm = g_strndup(name, (gsize)(sp - name));
			url = g_strndup(sp + 1, (gsize)(p + n - sp - 1));
			json_array_foreach (out, i, v)
				seen |=
				    !strcmp(json_string_value(json_object_get(v, "name")), nm) &&
				    !strcmp(json_string_value(json_object_get(v, "url")), url);
			if (!seen)
				json_array_append_new(
				    out, json_pack("{s:s,s:s}", "name", nm, "url", url));
			g_free(nm);
			g_free(url);
		} else if (strncmp(p, "note: ", 6)) {
			head = 0;
		}
	}
	return out;
}
