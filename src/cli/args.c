/*
 * args.c: the command-line parser shared by the client commands.
 *
 * A family (sig, repo, …) declares one table of its options and one table of
 * subcommands, each subcommand naming with a bit mask which options apply
 * and which are required. Parsing is one getopt_long pass in "return
 * in order" mode ("-" optstring): options may come before, between or after
 * the words, independently of POSIXLY_CORRECT, so `quarry sig list --json`
 * and `quarry --hub X sig list` (main.c passes argv from "sig") both work.
 * The global options (--hub, --token, --client-config, --json, -h/--help)
 * are accepted by every command.
 */
#include "core/common.h"
#include "core/error.h"
#include "core/isotime.h"
#include "core/names.h"
#include "cli/client.h"

#include <getopt.h>
#include <glib.h>

enum {
	OPT_HUB = 0x100,
	OPT_TOKEN,
	OPT_CONFIG,
	OPT_JSON,
	OPT_FAMILY = 0x200, /* + index into the family's table */
};

static const struct q_cli_opt global_opts[] = {
    {"hub", "URL", "the hub to talk to (env QUARRY_HUB, or 'hub =' in the client config)"},
    {"token", "TOKEN", "API token (env QUARRY_TOKEN, or 'token =' in the client config)"},
    {"client-config", "FILE",
     "client config (env QUARRY_CLIENT_CONFIG; default ~/.config/quarry/client.ini)"},
    {"json", NULL, "print the API's JSON answer"},
};

const struct q_cli_opt *q_cli_global_opts(size_t *n)
{
	*n = Q_ARRAY_LEN(global_opts);
	return global_opts;
}

/* "sig" or "sig create": the command as the user typed it, for messages. */
static void cmd_label(const struct q_cli_args *a, char *buf, size_t size)
{
	const char *fam = a->family ? a->family->name : "?";

	if (a->cmd && a->cmd->name)
		snprintf(buf, size, "%s %s", fam, a->cmd->name);
	else
		snprintf(buf, size, "%s", fam);
}

/* --json was given: errors are printed as the API's error body too. */
static int json_errors;

int q_cli_json_errors(void)
{
	return json_errors;
}

void q_cli_error_json(const struct q_error *err, const json_t *errors)
{
	enum q_code code = err && err->code != Q_OK ? err->code : Q_EINTERNAL;
	json_t *e = json_pack("{s:s,s:s}", "code", q_code_name(code), "message",
			      err && err->msg[0] ? err->msg : "unknown error");
	json_t *body = json_object();

	if (json_array_size(errors))
		json_object_set_new(e, "errors", json_deep_copy(errors));
	json_object_set_new(body, "error", e);
	fflush(stdout);
	q_out_json(body);
	fflush(stdout);
	json_decref(body);
}

int q_cli_usage_error(const struct q_cli_args *a, const char *fmt, ...)
{
	char label[128];
	va_list ap;

	cmd_label(a, label, sizeof(label));
	if (json_errors) {
		struct q_error err = {.code = Q_EINVAL};
		size_t n;

		va_start(ap, fmt);
		vsnprintf(err.msg, sizeof(err.msg), fmt, ap);
		va_end(ap);
		n = strlen(err.msg);
		snprintf(err.msg + n, sizeof(err.msg) - n, "; see 'quarry %s --help'", label);
		q_cli_error_json(&err, NULL);
		return 2;
	}
	fprintf(stderr, "quarry %s: ", label);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nsee 'quarry %s --help'\n", label);
	return 2;
}

int q_cli_fail(const struct q_error *err)
{
	if (json_errors)
		q_cli_error_json(err, NULL);
	else
		fprintf(stderr, "quarry: %s\n", err && err->msg[0] ? err->msg : "unknown error");
	return 1;
}

static void print_opt(FILE *out, const struct q_cli_opt *o)
{
	char left[64];

	snprintf(left, sizeof(left), "--%s%s%s", o->name, o->arg ? " " : "", o->arg ? o->arg : "");
	fprintf(out, "  %-24s %s\n", left, o->help);
}

static void print_globals(FILE *out)
{
	fprintf(out, "\nglobal options:\n");
	for (size_t i = 0; i < Q_ARRAY_LEN(global_opts); i++)
		print_opt(out, &global_opts[i]);
	fprintf(out, "  %-24s %s\n", "-h, --help", "show this help");
}

/* "usage: quarry sig create NAME --short-name S [OPTIONS]" */
static void print_synopsis(FILE *out, const struct q_cli_family *f, const struct q_cli_cmd *c)
{
	int optional = 0;

	fprintf(out, "quarry %s", f->name);
	if (c->name)
		fprintf(out, " %s", c->name);
	if (c->synopsis && c->synopsis[0])
		fprintf(out, " %s", c->synopsis);
	for (size_t i = 0; i < f->n_opts; i++) {
		if (c->required & (1u << i))
			fprintf(out, " --%s %s", f->opts[i].name,
				f->opts[i].arg ? f->opts[i].arg : "");
		else if (c->opts & (1u << i))
			optional = 1;
	}
	if (optional)
		fprintf(out, " [OPTIONS]");
}

static void print_cmd_help(FILE *out, const struct q_cli_family *f, const struct q_cli_cmd *c)
{
	int any = 0;

	fprintf(out, "usage: ");
	print_synopsis(out, f, c);
	fprintf(out, "\n\n%s\n", c->summary);
	for (size_t i = 0; i < f->n_opts; i++) {
		if (!(c->opts & (1u << i)))
			continue;
		if (!any++)
			fprintf(out, "\noptions:\n");
		print_opt(out, &f->opts[i]);
	}
	print_globals(out);
}

static void print_family_help(FILE *out, const struct q_cli_family *f)
{
	if (f->n_cmds == 1 && !f->cmds[0].name) {
		print_cmd_help(out, f, &f->cmds[0]);
		return;
	}
	fprintf(out, "usage: quarry %s COMMAND [ARGS...] [OPTIONS]\n\n%s\n\ncommands:\n", f->name,
		f->summary);
	for (size_t i = 0; i < f->n_cmds; i++) {
		fprintf(out, "  ");
		print_synopsis(out, f, &f->cmds[i]);
		fprintf(out, "\n      %s\n", f->cmds[i].summary);
	}
	fprintf(out, "\nRun 'quarry %s COMMAND --help' for a command's options.\n", f->name);
	print_globals(out);
}

void q_cli_args_release(struct q_cli_args *a)
{
	g_free(a->words);
	a->words = NULL;
	a->n_words = 0;
	for (size_t i = 0; i < Q_CLI_MAX_OPTS; i++) {
		g_free(a->all[i]);
		a->all[i] = NULL;
		a->n_all[i] = 0;
	}
}

int q_cli_parse(const struct q_cli_family *f, int argc, char **argv, struct q_cli_args *a)
{
	struct option longopts[Q_ARRAY_LEN(global_opts) + Q_CLI_MAX_OPTS + 2];
	size_t n = 0;
	int ch;

	memset(a, 0, sizeof(*a));
	a->family = f;
	/* Before parsing, so that a usage error in JSON mode is JSON too. */
	json_errors = 0;
	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++)
		if (!strcmp(argv[i], "--json"))
			json_errors = 1;
	if (f->n_opts > Q_CLI_MAX_OPTS) {
		fprintf(stderr, "quarry %s: too many options in the command table\n", f->name);
		return 2;
	}
	longopts[n++] = (struct option){"hub", required_argument, NULL, OPT_HUB};
	longopts[n++] = (struct option){"token", required_argument, NULL, OPT_TOKEN};
	longopts[n++] = (struct option){"client-config", required_argument, NULL, OPT_CONFIG};
	longopts[n++] = (struct option){"json", no_argument, NULL, OPT_JSON};
	longopts[n++] = (struct option){"help", no_argument, NULL, 'h'};
	for (size_t i = 0; i < f->n_opts; i++)
		longopts[n++] = (struct option){f->opts[i].name,
						f->opts[i].arg ? required_argument : no_argument,
						NULL, OPT_FAMILY + (int)i};
	longopts[n] = (struct option){NULL, 0, NULL, 0};

	a->words = g_new0(char *, (size_t)(argc > 0 ? argc : 1));
	optind = 0; /* GNU: full re-initialisation, for repeated calls */
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "-:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 1:
			a->words[a->n_words++] = optarg;
			break;
		case 'h':
			a->help = 1;
			break;
		case OPT_HUB:
			a->hub = optarg;
			break;
		case OPT_TOKEN:
			a->token = optarg;
			break;
		case OPT_CONFIG:
			a->config = optarg;
			break;
		case OPT_JSON:
			a->json = 1;
			json_errors = 1;
			break;
		case ':':
			q_cli_usage_error(a, "option '%s' needs an argument", argv[optind - 1]);
			goto fail;
		case '?':
			if (optopt && optopt < 0x100)
				q_cli_usage_error(a, "unknown option '-%c'", optopt);
			else
				q_cli_usage_error(a, "unknown option '%s'", argv[optind - 1]);
			goto fail;
		default:
			if (ch >= OPT_FAMILY && ch < OPT_FAMILY + (int)f->n_opts) {
				int k = ch - OPT_FAMILY;

				a->val[k] = optarg ? optarg : "";
				if (!a->all[k])
					a->all[k] = g_new0(const char *, (size_t)argc + 1);
				a->all[k][a->n_all[k]++] = a->val[k];
			}
			break;
		}
	}
	/* Words after "--". */
	while (optind < argc)
		a->words[a->n_words++] = argv[optind++];
	return 0;
fail:
	q_cli_args_release(a);
	return 2;
}

/* 1 when arg is a global option that takes the next argument as its value. */
static int global_with_value(const char *arg)
{
	return !strcmp(arg, "--hub") || !strcmp(arg, "--token") || !strcmp(arg, "--client-config");
}

static int global_alone(const char *arg)
{
	return !strcmp(arg, "--json") || !strncmp(arg, "--hub=", 6) ||
	       !strncmp(arg, "--token=", 8) || !strncmp(arg, "--client-config=", 16);
}

const char *q_cli_hoist_command(int argc, char **argv)
{
	int i = 1;
	char *cmd;

	while (i < argc) {
		if (global_with_value(argv[i]) && i + 1 < argc)
			i += 2;
		else if (global_alone(argv[i]))
			i++;
		else
			break;
	}
	if (i == 1 || i >= argc || argv[i][0] == '-')
		return argc > 1 ? argv[1] : NULL;
	cmd = argv[i];
	memmove(&argv[2], &argv[1], (size_t)(i - 1) * sizeof(*argv));
	argv[1] = cmd;
	return cmd;
}

/* How many words of a subcommand name match words[]: 0 when it does not. */
static int match_name(const char *name, char **words, int n_words)
{
	char **parts = g_strsplit(name, " ", -1);
	int n = (int)g_strv_length(parts);
	int ok = n <= n_words;

	for (int i = 0; ok && i < n; i++)
		ok = strcmp(parts[i], words[i]) == 0;
	g_strfreev(parts);
	return ok ? n : 0;
}

/* words[0] is the first word of a multi-word subcommand ("member"). */
static int is_group(const struct q_cli_family *f, const char *word)
{
	size_t len = strlen(word);

	for (size_t i = 0; i < f->n_cmds; i++)
		if (f->cmds[i].name && !strncmp(f->cmds[i].name, word, len) &&
		    f->cmds[i].name[len] == ' ')
			return 1;
	return 0;
}

/* Find the subcommand; returns -1 when found, else the exit status. */
static int find_cmd(const struct q_cli_family *f, struct q_cli_args *a)
{
	int used = 0;

	if (f->n_cmds == 1 && !f->cmds[0].name) {
		a->cmd = &f->cmds[0];
		return -1;
	}
	for (size_t i = 0; i < f->n_cmds && !a->cmd; i++) {
		used = match_name(f->cmds[i].name, a->words, a->n_words);
		if (used)
			a->cmd = &f->cmds[i];
	}
	if (a->cmd) {
		a->words += used;
		a->n_words -= used;
		return -1;
	}
	if (a->help && (a->n_words == 0 || is_group(f, a->words[0]))) {
		print_family_help(stdout, f);
		return 0;
	}
	if (a->n_words == 0) {
		print_family_help(stderr, f);
		return 2;
	}
	if (is_group(f, a->words[0]))
		return q_cli_usage_error(a, "'%s' needs a subcommand", a->words[0]);
	return q_cli_usage_error(a, "'%s' is not a '%s' command", a->words[0], f->name);
}

static int check_cmd(const struct q_cli_family *f, const struct q_cli_args *a)
{
	const struct q_cli_cmd *c = a->cmd;

	for (size_t i = 0; i < f->n_opts; i++) {
		if (a->val[i] && !(c->opts & (1u << i)))
			return q_cli_usage_error(a, "option '--%s' does not apply here",
						 f->opts[i].name);
		if (!a->val[i] && (c->required & (1u << i)))
			return q_cli_usage_error(a, "option '--%s' is required", f->opts[i].name);
	}
	if (a->n_words < c->min_words || (c->max_words >= 0 && a->n_words > c->max_words)) {
		if (a->n_words > 0 && c->max_words >= 0 && a->n_words > c->max_words)
			return q_cli_usage_error(a, "unexpected argument '%s'",
						 a->words[c->max_words]);
		return q_cli_usage_error(a, "missing argument%s%s",
					 c->synopsis && c->synopsis[0] ? "; expected " : "",
					 c->synopsis ? c->synopsis : "");
	}
	return 0;
}

int q_cli_run(const struct q_cli_family *f, int argc, char **argv)
{
	struct q_cli_args a;
	struct q_client c;
	struct q_error err = {0};
	char **words_alloc;
	int ret;

	memset(&c, 0, sizeof(c));
	ret = q_cli_parse(f, argc, argv, &a);
	if (ret)
		return ret;
	words_alloc = a.words;
	ret = find_cmd(f, &a);
	if (ret >= 0)
		goto out;
	if (a.help) {
		print_cmd_help(stdout, f, a.cmd);
		ret = 0;
		goto out;
	}
	ret = check_cmd(f, &a);
	if (ret)
		goto out;
	if (q_client_init(&c, &a, &err) < 0) {
		ret = err.code == Q_EINTERNAL ? q_cli_fail(&err)
					      : q_cli_usage_error(&a, "%s", err.msg);
		goto out;
	}
	ret = a.cmd->run(&c, &a);
out:
	q_client_release(&c);
	a.words = words_alloc;
	q_cli_args_release(&a);
	return ret;
}

int q_cli_split_path(const char *arg, int n, char **parts, struct q_error *err)
{
	static const char *forms[] = {"SIG", "SIG/PROJECT", "SIG/PROJECT/REPO"};
	static const enum q_name_kind kinds[] = {Q_NAME_SIG, Q_NAME_PROJECT, Q_NAME_REPO};
	static const char *what[] = {"sig name", "project name", "repo name"};
	char **split = NULL;
	int ret = -1;

	if (n < 1 || n > 3)
		return q_error_set(err, Q_EINTERNAL, "bad path arity %d", n);
	for (int i = 0; i < n; i++)
		parts[i] = NULL;
	if (!arg)
		return q_error_set(err, Q_EINVAL, "missing %s", forms[n - 1]);
	split = g_strsplit(arg, "/", -1);
	if ((int)g_strv_length(split) != n) {
		q_error_set(err, Q_EINVAL, "'%.200s' is not %s", arg, forms[n - 1]);
		goto out;
	}
	for (int i = 0; i < n; i++)
		if (q_name_check(kinds[i], what[i], split[i], err) < 0)
			goto out;
	for (int i = 0; i < n; i++)
		parts[i] = g_strdup(split[i]);
	ret = 0;
out:
	g_strfreev(split);
	return ret;
}

int q_cli_parse_long(const char *s, long min, long max, const char *what, long *out,
		     struct q_error *err)
{
	char *end = NULL;
	long v;

	if (!s || !*s)
		return q_error_set(err, Q_EINVAL, "%s is empty", what);
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || !end || *end || v < min || v > max)
		return q_error_set(err, Q_EINVAL, "%s '%.64s' is not a number from %ld to %ld",
				   what, s, min, max);
	*out = v;
	return 0;
}

json_t *q_cli_parse_arches(const char *list, struct q_error *err)
{
	char **split = g_strsplit(list ? list : "", ",", -1);
	json_t *arr = json_array();
	json_t *ret = NULL;

	if (!arr) {
		q_error_set(err, Q_EINTERNAL, "out of memory");
		goto out;
	}
	for (size_t i = 0; split[i]; i++) {
		const char *arch = split[i];

		if (!q_arch_valid(arch)) {
			q_error_set(err, Q_EINVAL,
				    "arch '%.64s' is unknown; use x86_64, aarch64, ppc64le, s390x, "
				    "i686 or riscv64",
				    arch);
			goto out;
		}
		for (size_t j = 0; j < i; j++)
			if (!strcmp(split[j], arch)) {
				q_error_set(err, Q_EINVAL, "arch '%s' is given twice", arch);
				goto out;
			}
		json_array_append_new(arr, json_string(arch));
	}
	if (json_array_size(arr) == 0) {
		q_error_set(err, Q_EINVAL, "no arch given");
		goto out;
	}
	ret = arr;
	arr = NULL;
out:
	json_decref(arr);
	g_strfreev(split);
	return ret;
}

int q_cli_parse_since(const char *s, int64_t now, int64_t *t, struct q_error *err)
{
	static const struct {
		char unit;
		int64_t seconds;
	} units[] = {{'m', 60}, {'h', 3600}, {'d', 86400}, {'w', 7 * 86400}};
	char *end = NULL;
	long long n;

	if (s && q_time_parse(s, t) == 0)
		return 0;
	if (s && s[0] >= '0' && s[0] <= '9') {
		errno = 0;
		n = strtoll(s, &end, 10);
		for (size_t i = 0; !errno && end && end[0] && !end[1] && i < Q_ARRAY_LEN(units);
		     i++)
			if (end[0] == units[i].unit && n > 0 &&
			    n <= 100LL * 366 * 86400 / units[i].seconds) {
				*t = now - (int64_t)n * units[i].seconds;
				if (*t < 0) /* an age reaching before 1970: since then */
					*t = 0;
				return 0;
			}
	}
	return q_error_set(err, Q_EINVAL,
			   "since '%.64s' is neither a date (2026-12-01, 2026-12-01T10:00:00Z, "
			   "UTC) nor an age (30m, 12h, 7d, 2w)",
			   s ? s : "");
}
