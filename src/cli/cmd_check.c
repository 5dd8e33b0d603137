/*
 * cmd_check.c: `quarry check BUILD`: run a build's five checks again (POST
 * /builds/ID/check), and with --wait follow them until none is queued or
 * running, then print NAME STATE SUMMARY (exit 1 unless every check
 * passed). With --wait, a run already in progress (a check queued or
 * running) is waited for instead of starting another; the waiting is the
 * hub's (GET …/checks?wait=), not a poll. After the table, the repos each
 * check read (name and URL). --show prints the checks as they are without running
 * them;
 * --output NAME prints one check's full output.
 */
#include "core/common.h"
#include "core/config.h"
#include "core/error.h"
#include "cli/cli.h"
#include "cli/client.h"

#include <glib.h>
#include <time.h>

enum { O_WAIT, O_TIMEOUT, O_SHOW, O_OUTPUT };
#define B(o) (1u << (o))

#define WAIT_S 30 /* one long-poll on the hub */

static const struct q_cli_opt check_opts[] = {
    [O_WAIT] = {"wait", NULL, "wait until every check ended; exit 1 unless all passed"},
    [O_TIMEOUT] = {"timeout", "SECONDS", "give up waiting after this long (default 1800)"},
    [O_SHOW] = {"show", NULL, "print the checks without running them again"},
    [O_OUTPUT] = {"output", "NAME", "print the full output of the check NAME (implies --show)"},
};

static const struct q_col check_cols[] = {
    {"name", "NAME"},
    {"state", "STATE"},
    {"run", "RUN"},
    {"summary", "SUMMARY"},
};

static bool unfinished(const json_t *checks)
{
	const json_t *v;
	size_t i;

	json_array_foreach (checks, i, v) {
		const char *s = q_json_str(v, "state");

		if (!strcmp(s, "queued") || !strcmp(s, "running"))
			return true;
	}
	return false;
}

static bool all_passed(const json_t *checks)
{
	const json_t *v;
	size_t i;

	json_array_foreach (checks, i, v)
		if (strcmp(q_json_str(v, "state"), "pass"))
			return false;
	return json_array_size(checks) > 0;
}

static void print_checks(const json_t *checks)
{
	if (json_array_size(checks) == 0) {
		printf("no checks (they are queued when the build completes)\n");
		return;
	}
	q_out_table(checks, check_cols, Q_ARRAY_LEN(check_cols));
	/* Which repos each check read (closure, installable, conflicts). */
	{
		const json_t *v, *r;
		size_t i, k;
		int any = 0;

		json_array_foreach (checks, i, v) {
			json_array_foreach (json_object_get(v, "repos"), k, r) {
				if (!any++)
					printf("\nrepos used:\n");
				const char *rn = q_json_str(r, "name"), *ru = q_json_str(r, "url");

				/* A base repo is named by its URL: once is enough. */
				printf("  %-12s %s%s%s\n", k == 0 ? q_json_str(v, "name") : "",
				       strcmp(rn, ru) ? rn : "", strcmp(rn, ru) ? " " : "", ru);
			}
		}
	}
}

static int check(struct q_client *c, struct q_cli_args *a)
{
	struct q_error err = {0};
	json_t *ans = NULL, *checks;
	int64_t limit = 1800;
	char path[64];
	struct timespec t0, now;
	long id;
	int show = a->val[O_SHOW] || a->val[O_OUTPUT];
	int ret = 1;

	if (q_cli_parse_long(a->words[0], 1, LONG_MAX, "build id", &id, &err) < 0)
		return q_cli_usage_error(a, "%s", err.msg);
	if (a->val[O_TIMEOUT] && q_parse_int(a->val[O_TIMEOUT], 1, 86400, &limit) < 0)
		return q_cli_usage_error(a, "--timeout wants 1..86400 seconds");
	if (!show && a->val[O_WAIT]) {
		/* A run in progress: wait for it rather than start another. */
		snprintf(path, sizeof(path), "builds/%ld/checks?output=0", id);
		if (q_client_call(c, "GET", path, NULL, &ans, &err) < 0)
			return q_cli_fail(&err);
		if (unfinished(json_object_get(ans, "checks")))
			show = 1;
		json_decref(ans);
		ans = NULL;
	}
	if (!show) {
		snprintf(path, sizeof(path), "builds/%ld/check", id);
		if (q_client_call(c, "POST", path, NULL, &ans, &err) < 0)
			return q_cli_fail(&err);
		if (!a->val[O_WAIT]) {
			if (c->json)
				q_out_json(ans);
			else
				printf("checks of build %ld queued\n", id);
			json_decref(ans);
			return 0;
		}
		json_decref(ans);
		ans = NULL;
	}
	/* Polls leave the outputs (up to 256 KiB each) out; they are fetched
	 * once at the end when they are printed. */
	snprintf(path, sizeof(path), "builds/%ld/checks?output=0%s", id,
		 a->val[O_WAIT] ? "&wait=" G_STRINGIFY(WAIT_S) : "");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		if (q_client_call(c, "GET", path, NULL, &ans, &err) < 0)
			return q_cli_fail(&err);
		checks = json_object_get(ans, "checks");
		if (!a->val[O_WAIT] || !unfinished(checks)) {
			if (!a->val[O_OUTPUT] && !c->json)
				break;
			json_decref(ans);
			ans = NULL;
			snprintf(path, sizeof(path), "builds/%ld/checks", id);
			if (q_client_call(c, "GET", path, NULL, &ans, &err) < 0)
				return q_cli_fail(&err);
			checks = json_object_get(ans, "checks");
			break;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - t0.tv_sec > limit) {
			q_error_set(&err, Q_EIO,
				    "the checks of build %ld are still running after %" PRId64 " s",
				    id, limit);
			json_decref(ans);
			return q_cli_fail(&err);
		}
		json_decref(ans);
		ans = NULL;
		/* The hub waited (up to WAIT_S) already: ask again. */
	}
	if (a->val[O_OUTPUT]) {
		const json_t *v;
		size_t i;

		ret = 1;
		json_array_foreach (checks, i, v)
			if (!strcmp(q_json_str(v, "name"), a->val[O_OUTPUT])) {
				if (c->json)
					q_out_json(v);
				else
					fputs(q_json_str(v, "output"), stdout);
				ret = 0;
			}
		if (ret) {
			q_error_set(&err, Q_ENOTFOUND, "build %ld has no check '%s'", id,
				    a->val[O_OUTPUT]);
			q_cli_fail(&err);
		}
		json_decref(ans);
		return ret;
	}
	if (c->json)
		q_out_json(ans);
	else
		print_checks(checks);
	/* --wait: the exit status says whether the build may move on. */
	ret = a->val[O_WAIT] && !all_passed(checks) ? 1 : 0;
	json_decref(ans);
	return ret;
}

static const struct q_cli_cmd check_cmds[] = {
    {NULL, "BUILD",
     "run a build's checks again (disttag, rpmlint, closure, installable, conflicts); "
     "member of the build's SIG, releng, admin",
     1, 1, B(O_WAIT) | B(O_TIMEOUT) | B(O_SHOW) | B(O_OUTPUT), 0, check},
};

const struct q_cli_family q_check_family = {
    "check",    "Run and read a build's automated checks.",
    check_opts, Q_ARRAY_LEN(check_opts),
    check_cmds, Q_ARRAY_LEN(check_cmds),
};

int cmd_check(int argc, char **argv)
{
	return q_cli_run(&q_check_family, argc, argv);
}
