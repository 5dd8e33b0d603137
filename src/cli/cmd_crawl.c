/*
 * cmd_crawl.c: `quarry crawl [--mirror NAME] [--no-wait]`: ask the hub to
 * crawl every mirror (or one) now, wait for the crawl to finish and print
 * what it found. The crawl itself runs in the hub (hub/crawler.c); this
 * polls GET /crawls/ID.
 */
#include "core/common.h"
#include "core/config.h"
#include "core/error.h"
#include "cli/cli.h"
#include "cli/client.h"

#include <glib.h>
#include <time.h>

enum { O_MIRROR, O_NO_WAIT, O_WAIT };
#define B(o) (1u << (o))

static const struct q_cli_opt crawl_opts[] = {
    [O_MIRROR] = {"mirror", "NAME", "crawl this mirror only (any state; pending too)"},
    [O_NO_WAIT] = {"no-wait", NULL, "queue the crawl and print its id"},
    [O_WAIT] = {"timeout", "SECONDS", "give up waiting after this long (default 600)"},
};

static const struct q_col result_cols[] = {
    {"mirror", "MIRROR"}, {"repo", "REPO"},   {"arch", "ARCH"},
    {"state", "STATE"},   {"error", "ERROR"},
};

static void print_summary(const json_t *s)
{
	const json_t *v;
	size_t i;

	printf("mirrors %" JSON_INTEGER_FORMAT ", checks %" JSON_INTEGER_FORMAT
	       ": %" JSON_INTEGER_FORMAT " up to date, %" JSON_INTEGER_FORMAT
	       " lagging, %" JSON_INTEGER_FORMAT " stale, %" JSON_INTEGER_FORMAT
	       " partial, %" JSON_INTEGER_FORMAT " unreachable (%.2fs)\n",
	       json_integer_value(json_object_get(s, "mirrors")),
	       json_integer_value(json_object_get(s, "checks")),
	       json_integer_value(json_object_get(s, "up_to_date")),
	       json_integer_value(json_object_get(s, "lagging")),
	       json_integer_value(json_object_get(s, "stale")),
	       json_integer_value(json_object_get(s, "partial")),
	       json_integer_value(json_object_get(s, "unreachable")),
	       json_number_value(json_object_get(s, "seconds")));
	json_array_foreach (json_object_get(s, "disabled"), i, v)
		printf("disabled: %s\n", json_string_value(v));
	json_array_foreach (json_object_get(s, "enabled"), i, v)
		printf("enabled again: %s\n", json_string_value(v));
	if (json_array_size(json_object_get(s, "results")))
		q_out_table(json_object_get(s, "results"), result_cols, Q_ARRAY_LEN(result_cols));
}

static int crawl(struct q_client *c, struct q_cli_args *a)
{
	struct q_error err = {0};
	json_t *body = json_object(), *ans = NULL;
	int64_t id, limit = 600;
	char path[64];
	struct timespec t0, now;
	int ret = 1;

	if (a->val[O_WAIT] && q_parse_int(a->val[O_WAIT], 1, 86400, &limit) < 0)
		return q_cli_usage_error(a, "--timeout wants 1..86400 seconds");
	if (a->val[O_MIRROR])
		json_object_set_new(body, "mirror", json_string(a->val[O_MIRROR]));
	if (q_client_call(c, "POST", "crawls", body, &ans, &err) < 0) {
		json_decref(body);
		return q_cli_fail(&err);
	}
	json_decref(body);
	id = json_integer_value(json_object_get(ans, "id"));
	if (a->val[O_NO_WAIT]) {
		if (c->json)
			q_out_json(ans);
		else
			printf("crawl %" PRId64 " queued\n", id);
		json_decref(ans);
		return 0;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	snprintf(path, sizeof(path), "crawls/%" PRId64, id);
	for (;;) {
		const char *state = json_string_value(json_object_get(ans, "state"));

		if (state && (!strcmp(state, "done") || !strcmp(state, "failed"))) {
			json_t *s = json_object_get(ans, "summary");

			if (c->json)
				q_out_json(ans);
			else if (!strcmp(state, "done"))
				print_summary(s);
			if (!strcmp(state, "failed")) {
				q_error_set(&err, Q_EINTERNAL, "crawl %" PRId64 " failed: %s", id,
					    json_string_value(json_object_get(s, "error"))
						? json_string_value(json_object_get(s, "error"))
						: "?");
				ret = q_cli_fail(&err);
			} else {
				ret = 0;
			}
			break;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - t0.tv_sec > limit) {
			q_error_set(&err, Q_EIO,
				    "crawl %" PRId64 " is still %s after %" PRId64
				    " s; see GET /api/v1/crawls/%" PRId64,
				    id, state ? state : "?", limit, id);
			ret = q_cli_fail(&err);
			break;
		}
		/* A crawl of a local network takes a fraction of a second: poll often
		 * at first (a GET of one row), so that the command returns when the
		 * crawl is done rather than up to 200 ms later. */
		g_usleep((now.tv_sec - t0.tv_sec) < 2 ? 20 * 1000 : 200 * 1000);
		json_decref(ans);
		ans = NULL;
		if (q_client_call(c, "GET", path, NULL, &ans, &err) < 0) {
			ret = q_cli_fail(&err);
			break;
		}
	}
	json_decref(ans);
	return ret;
}

static const struct q_cli_cmd crawl_cmds[] = {
    {NULL, "", "crawl every mirror (or --mirror NAME) now and print what it found (admin, releng)",
     0, 0, B(O_MIRROR) | B(O_NO_WAIT) | B(O_WAIT), 0, crawl},
};

const struct q_cli_family q_crawl_family = {
    "crawl",    "Check that mirrors serve the newest repodata.",
    crawl_opts, Q_ARRAY_LEN(crawl_opts),
    crawl_cmds, Q_ARRAY_LEN(crawl_cmds),
};

int cmd_crawl(int argc, char **argv)
{
	return q_cli_run(&q_crawl_family, argc, argv);
}
