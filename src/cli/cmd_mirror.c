/*
 * cmd_mirror.c: `quarry mirror`: the mirror registry. apply (self-service:
 * the mirror is pending until approved), import (a whole mirrors.d
 * directory: the good files, or with --strict all or nothing), list, show,
 * approve, disable, enable, remove. Definitions are checked by the hub; its
 * errors are printed one a line as FILE:LINE:COL: 'field': message, its
 * warnings as FILE:LINE:COL: warning: 'field': message.
 */
#include "core/common.h"
#include "core/error.h"
#include "cli/cli.h"
#include "cli/client.h"
#include "mirror/mirrordef.h"

#include <dirent.h>
#include <glib.h>
#include <sys/stat.h>

enum { O_REASON, O_STRICT };
#define B(o) (1u << (o))

static const struct q_cli_opt mirror_opts[] = {
    [O_REASON] = {"reason", "TEXT", "why the mirror is disabled (shown to everyone)"},
    [O_STRICT] = {"strict", NULL, "import nothing if any file is refused"},
};

static const struct q_col list_cols[] = {
    {"name", "NAME"},
    {"state", "STATE"},
    {"country", "COUNTRY"},
    {"urls", "URLS"},
};

static const struct q_col state_fields[] = {
    {"name", "name"},         {"state", "state"},     {"reason", "reason"},
    {"failures", "failures"}, {"updated", "updated"}, {"applied_by", "applied by"},
    {"ipv4", "ipv4"},         {"ipv6", "ipv6"},       {"last_crawl", "last crawl"},
};

static const struct q_col check_cols[] = {
    {"repo", "REPO"},
    {"arch", "ARCH"},
    {"state", "STATE"},
    {"last_check", "LAST CHECK"},
    {"last_success", "LAST SUCCESS"},
    {"error", "LAST ERROR"},
};

static const struct q_col prop_cols[] = {
    {"repo", "REPO"},
    {"arch", "ARCH"},
    {"mirrors", "MIRRORS"},
    {"up_to_date", "UP TO DATE"},
    {"lagging", "LAGGING"},
    {"stale", "STALE"},
    {"partial", "PARTIAL"},
    {"unreachable", "UNREACHABLE"},
    {"delay_median", "MEDIAN DELAY (S)"},
    {"delay_max", "MAX DELAY (S)"},
    {"master", "MASTER"},
};

static const struct q_col def_fields[] = {
    {"update_frequency", "update frequency"},
    {"sponsor", "sponsor"},
    {"sponsor_url", "sponsor url"},
    {"email", "email"},
    {"private", "private"},
    {"monopoly", "monopoly"},
    {"asn", "asn"},
    {"subnets", "subnets"},
    {"cloud_type", "cloud type"},
    {"cloud_regions", "cloud regions"},
};

static const struct q_col addr_fields[] = {
    {"http", "http"}, {"https", "https"}, {"rsync", "rsync"}, {"ftp", "ftp"}};

static const struct q_col geo_fields[] = {
    {"country", "country"}, {"state_province", "state/province"}, {"city", "city"}};

/* Print a line from the hub without its control characters. */
static void print_clean(FILE *f, const char *s)
{
	for (; *s; s++)
		fputc((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s, f);
	fputc('\n', f);
}

/*
 * A warning from the hub ("FILE:LINE:COL: 'field': message"), printed as
 * compilers do: "FILE:LINE:COL: warning: 'field': message".
 */
static void print_warning(const char *s)
{
	const char *p = s;

	/* The position: the first ":LINE:COL: " in the line. */
	while ((p = strchr(p, ':')) != NULL) {
		size_t a = strspn(p + 1, "0123456789"), b;

		if (a && p[1 + a] == ':' && (b = strspn(p + 2 + a, "0123456789")) &&
		    p[2 + a + b] == ':' && p[3 + a + b] == ' ') {
			char *line = g_strdup_printf("%.*s warning: %s", (int)(p + 3 + a + b - s),
						     s, p + 4 + a + b);

			print_clean(stderr, line);
			g_free(line);
			return;
		}
		p++;
	}
	fputs("warning: ", stderr);
	print_clean(stderr, s);
}

static void print_warnings(json_t *warnings)
{
	json_t *w;
	size_t i;

	json_array_foreach (warnings, i, w)
		if (json_is_string(w))
			print_warning(json_string_value(w));
}

/* A refusal: every error the hub listed, else its message. Returns 1. */
static int fail_with(const struct q_error *err, json_t *errors)
{
	json_t *e, *warnings = q_client_take_warnings();
	size_t i;

	if (!q_cli_json_errors())
		print_warnings(warnings);
	json_decref(warnings);
	if (!json_array_size(errors))
		return q_cli_fail(err);
	if (q_cli_json_errors()) {
		q_cli_error_json(err, errors);
		json_decref(errors);
		return q_code_exit(err->code);
	}
	json_array_foreach (errors, i, e)
		if (json_is_string(e))
			print_clean(stderr, json_string_value(e));
	fprintf(stderr, "quarry: %zu error%s; nothing was changed\n", json_array_size(errors),
		json_array_size(errors) == 1 ? "" : "s");
	json_decref(errors);
	return q_code_exit(err->code);
}

/* "checks: 2 up to date, 0 lagging, 1 partial, …" under the table. */
static void print_check_counts(const json_t *checks)
{
	static const char *const states[] = {"up_to_date", "lagging", "stale", "partial",
					     "unreachable"};
	static const char *const names[] = {"up to date", "lagging", "stale", "partial",
					    "unreachable"};
	size_t n[Q_ARRAY_LEN(states)] = {0}, i;
	const json_t *c;

	json_array_foreach (checks, i, c)
		for (size_t k = 0; k < Q_ARRAY_LEN(states); k++)
			if (!strcmp(q_json_str(c, "state"), states[k]))
				n[k]++;
	printf("checks:");
	for (size_t k = 0; k < Q_ARRAY_LEN(states); k++)
		printf("%s %zu %s", k ? "," : "", n[k], names[k]);
	printf("\n");
}

static void print_mirror(const json_t *m)
{
	const json_t *def = json_object_get(m, "definition");

	q_out_fields(m, state_fields, Q_ARRAY_LEN(state_fields));
	q_out_fields(json_object_get(def, "address"), addr_fields, Q_ARRAY_LEN(addr_fields));
	q_out_fields(json_object_get(def, "geolocation"), geo_fields, Q_ARRAY_LEN(geo_fields));
	q_out_fields(def, def_fields, Q_ARRAY_LEN(def_fields));
	if (json_array_size(json_object_get(m, "checks"))) {
		printf("\n");
		q_out_table(json_object_get(m, "checks"), check_cols, Q_ARRAY_LEN(check_cols));
		print_check_counts(json_object_get(m, "checks"));
	}
}

/* Print an answer that is a mirror, or its JSON; frees it. */
static int finish(struct q_client *c, json_t *ans)
{
	if (c->json)
		q_out_json(ans);
	else
		print_mirror(ans);
	json_decref(ans);
	return 0;
}

/* Read a definition file (at most Q_MIRRORDEF_MAX_FILE bytes, UTF-8 without NUL). */
static int read_def(const char *path, char **text, size_t *len, struct q_error *err)
{
	GError *gerr = NULL;
	struct stat st;
	gsize n = 0;

	*text = NULL;
	if (stat(path, &st) < 0)
		return q_error_set(err, Q_EINVAL, "cannot read '%s': %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return q_error_set(err, Q_EINVAL, "'%s' is not a regular file", path);
	if (st.st_size > Q_MIRRORDEF_MAX_FILE)
		return q_error_set(err, Q_EINVAL, "%s:1:1: file is larger than 1 MiB (%jd bytes)",
				   path, (intmax_t)st.st_size);
	if (!g_file_get_contents(path, text, &n, &gerr)) {
		q_error_set(err, Q_EINVAL, "cannot read '%s': %s", path, gerr->message);
		g_error_free(gerr);
		return -1;
	}
	if (memchr(*text, '\0', n) || !g_utf8_validate(*text, (gssize)n, NULL)) {
		g_free(*text);
		*text = NULL;
		return q_error_set(err, Q_EINVAL, "%s:1:1: file is not UTF-8 text", path);
	}
	*len = n;
	return 0;
}

static int mirror_apply(struct q_client *c, struct q_cli_args *a)
{
	struct q_error err = {0};
	json_t *ans = NULL, *errors = NULL;
	char *text = NULL;
	size_t len = 0;
	long status = 0;
	int ret;

	if (read_def(a->words[0], &text, &len, &err) < 0)
		return q_cli_fail(&err);
	if (q_client_post_raw_errors(c, "mirrors", "application/yaml", text, len, &status, &ans,
				     &errors, &err) < 0) {
		ret = fail_with(&err, errors);
		goto out;
	}
	if (!c->json) {
		print_warnings(json_object_get(ans, "warnings"));
		printf("mirror '%s' applied; it is %s until a mirror admin approves it\n",
		       q_json_str(ans, "name"), q_json_str(ans, "state"));
	}
	ret = c->json ? finish(c, ans) : (json_decref(ans), 0);
out:
	g_free(text);
	return ret;
}

static int has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n > m && !strcmp(s + n - m, suffix);
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int mirror_import(struct q_client *c, struct q_cli_args *a)
{
	struct q_error err = {0};
	const char *dir = a->words[0];
	json_t *files = json_array(), *body = NULL, *ans = NULL, *errors = NULL;
	json_t *unread = json_array();
	GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
	json_int_t refused, imported;
	int nerr = 0, ret = 1;
	struct dirent *e;
	DIR *d = opendir(dir);

	if (!d) {
		q_error_set(&err, Q_EINVAL, "cannot open directory '%s': %s", dir, strerror(errno));
		ret = q_cli_fail(&err);
		goto out;
	}
	while ((e = readdir(d)))
		if (e->d_name[0] != '.' &&
		    (has_suffix(e->d_name, ".yml") || has_suffix(e->d_name, ".yaml")))
			g_ptr_array_add(names, g_strdup(e->d_name));
	closedir(d);
	qsort(names->pdata, names->len, sizeof(char *), name_cmp);
	for (guint i = 0; i < names->len; i++) {
		char *path = g_build_filename(dir, (const char *)names->pdata[i], NULL);
		char *text = NULL;
		size_t len = 0;
		struct stat st;

		if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
			g_free(path);
			continue;
		}
		if (read_def(path, &text, &len, &err) < 0) {
			if (q_cli_json_errors())
				json_array_append_new(unread, json_string(err.msg));
			else
				print_clean(stderr, err.msg);
			nerr++;
		} else {
			json_array_append_new(
			    files, json_pack("{s:s,s:s%}", "name", path, "text", text, len));
		}
		g_free(text);
		g_free(path);
	}
	if (nerr) {
		q_error_set(&err, Q_EINVAL, "%d file%s cannot be read; nothing was imported", nerr,
			    nerr == 1 ? "" : "s");
		if (q_cli_json_errors())
			q_cli_error_json(&err, unread);
		else
			fprintf(stderr, "quarry: %s\n", err.msg);
		goto out;
	}
	if (!json_array_size(files)) {
		q_error_set(&err, Q_EINVAL, "no *.yml or *.yaml file in '%s'", dir);
		ret = q_cli_fail(&err);
		goto out;
	}
	body = json_pack("{s:O,s:b}", "files", files, "strict", a->val[O_STRICT] != NULL);
	if (q_client_call_errors(c, "POST", "mirrors/import", body, &ans, &errors, &err) < 0) {
		ret = fail_with(&err, errors);
		goto out;
	}
	refused = json_integer_value(json_object_get(ans, "refused"));
	imported = json_integer_value(json_object_get(ans, "imported"));
	if (c->json) {
		q_out_json(ans);
	} else {
		json_t *line;
		size_t i;

		print_warnings(json_object_get(ans, "warnings"));
		json_array_foreach (json_object_get(ans, "errors"), i, line)
			if (json_is_string(line))
				print_clean(stderr, json_string_value(line));
		printf("imported %" JSON_INTEGER_FORMAT " mirror%s, all active", imported,
		       imported == 1 ? "" : "s");
		if (refused)
			printf("; refused %" JSON_INTEGER_FORMAT " file%s (errors above)", refused,
			       refused == 1 ? "" : "s");
		printf("\n");
	}
	/* Some files refused: the import is not what was asked for. */
	ret = refused ? 1 : 0;
out:
	json_decref(unread);
	json_decref(ans);
	json_decref(body);
	json_decref(files);
	g_ptr_array_free(names, TRUE);
	return ret;
}

static int mirror_list(struct q_client *c, struct q_cli_args *a)
{
	struct q_error err = {0};
	json_t *ans = NULL;

	(void)a;
	if (q_client_call(c, "GET", "mirrors", NULL, &ans, &err) < 0)
		return q_cli_fail(&err);
	if (c->json)
		q_out_json(ans);
	else
		q_out_table(json_object_get(ans, "mirrors"), list_cols, Q_ARRAY_LEN(list_cols));
	json_decref(ans);
	return 0;
}

/* METHOD mirrors/NAME[/ACTION] with an optional body; prints the mirror. */
static int mirror_call(struct q_client *c, struct q_cli_args *a, const char *method,
		       const char *action, json_t *body)
{
	struct q_error err = {0};
	char *path = q_client_path(c, "mirrors", a->words[0], action, NULL);
	json_t *ans = NULL;
	int ret;

	if (strlen(a->words[0]) > 253 || !a->words[0][0] || strchr(a->words[0], '/'))
		return q_cli_usage_error(a, "'%.64s' is not a mirror name (a host name)",
					 a->words[0]);
	if (q_client_call(c, method, path, body, &ans, &err) < 0) {
		ret = q_cli_fail(&err);
	} else if (!strcmp(method, "DELETE")) {
		if (c->json)
			q_out_json(ans);
		else
			printf("mirror '%s' removed\n", q_json_str(ans, "removed"));
		json_decref(ans);
		ret = 0;
	} else {
		ret = finish(c, ans);
	}
	g_free(path);
	return ret;
}

static int mirror_show(struct q_client *c, struct q_cli_args *a)
{
	return mirror_call(c, a, "GET", NULL, NULL);
}

static int mirror_approve(struct q_client *c, struct q_cli_args *a)
{
	return mirror_call(c, a, "POST", "approve", NULL);
}

static int mirror_enable(struct q_client *c, struct q_cli_args *a)
{
	return mirror_call(c, a, "POST", "enable", NULL);
}

static int mirror_disable(struct q_client *c, struct q_cli_args *a)
{
	json_t *body = json_object();
	int ret;

	if (a->val[O_REASON])
		json_object_set_new(body, "reason", json_string(a->val[O_REASON]));
	ret = mirror_call(c, a, "POST", "disable", body);
	json_decref(body);
	return ret;
}

static int mirror_propagation(struct q_client *c, struct q_cli_args *a)
{
	struct q_error err = {0};
	json_t *ans = NULL;

	(void)a;
	if (q_client_call(c, "GET", "propagation", NULL, &ans, &err) < 0)
		return q_cli_fail(&err);
	if (c->json)
		q_out_json(ans);
	else
		q_out_table(json_object_get(ans, "repos"), prop_cols, Q_ARRAY_LEN(prop_cols));
	json_decref(ans);
	return 0;
}

static int mirror_remove(struct q_client *c, struct q_cli_args *a)
{
	return mirror_call(c, a, "DELETE", NULL, NULL);
}

static const struct q_cli_cmd mirror_cmds[] = {
    {"apply", "FILE.yml", "apply a mirror definition; it stays pending until approved", 1, 1, 0, 0,
     mirror_apply},
    {"import", "DIR",
     "import every good *.yml/*.yaml of DIR, all active, and list the refused ones; --strict: "
     "with any error, none (admin, releng)",
     1, 1, B(O_STRICT), 0, mirror_import},
    {"list", "", "list every mirror with its state", 0, 0, 0, 0, mirror_list},
    {"show", "NAME", "show a mirror's definition and state", 1, 1, 0, 0, mirror_show},
    {"approve", "NAME", "approve a pending mirror (admin, releng)", 1, 1, 0, 0, mirror_approve},
    {"disable", "NAME", "disable a mirror (admin, releng)", 1, 1, B(O_REASON), 0, mirror_disable},
    {"enable", "NAME", "enable a disabled mirror again (admin, releng)", 1, 1, 0, 0, mirror_enable},
    {"remove", "NAME", "remove a mirror (admin, releng)", 1, 1, 0, 0, mirror_remove},
    {"propagation", "", "per repo: how many mirrors have the newest publish, and how fast", 0, 0, 0,
     0, mirror_propagation},
};

const struct q_cli_family q_mirror_family = {
    "mirror",    "The mirror registry: AlmaLinux mirrors.d definitions and their state.",
    mirror_opts, Q_ARRAY_LEN(mirror_opts),
    mirror_cmds, Q_ARRAY_LEN(mirror_cmds),
};

int cmd_mirror(int argc, char **argv)
{
	return q_cli_run(&q_mirror_family, argc, argv);
}
