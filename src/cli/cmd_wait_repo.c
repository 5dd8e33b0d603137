/*
 * cmd_wait_repo.c: `quarry wait-repo SIG/PROJECT/REPO --build ID` (Koji's
 * wait-repo): waits until the repo's last publish, for every arch of the
 * build that the repo publishes, holds the build's RPMs, so that the next
 * build whose buildroot reads the repo sees them. Asks the hub's has-build
 * check (GET …/repos/R/has-build) every 0.2 s; exit 0 when ready, 1 at the
 * timeout or when waiting is pointless (the build failed, or has no RPM for
 * an arch), saying what is missing.
 */
#include "core/common.h"
#include "core/error.h"
#include "cli/cli.h"
#include "cli/client.h"

#include <glib.h>
#include <time.h>

enum { O_BUILD, O_ARCH, O_TIMEOUT };
#define B(o) (1u << (o))

static const struct q_cli_opt wait_opts[] = {
    [O_BUILD] = {"build", "ID", "the build whose RPMs the repo must hold"},
    [O_ARCH] = {"arch", "ARCH", "wait for this arch only (default: every arch of the build)"},
    [O_TIMEOUT] = {"timeout", "SECONDS", "give up after this long (default 120)"},
};

#define POLL_NS 200000000L /* 0.2 s */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int wait_repo(struct q_client *c, struct q_cli_args *a)
{
	struct q_error err = {0};
	char *parts[3] = {NULL, NULL, NULL};
	char *path = NULL, *full = NULL;
	json_t *ans = NULL;
	long build, timeout = 120;
	double deadline;
	int ret = 1;

	if (q_cli_split_path(a->words[0], 3, parts, &err) < 0 ||
	    q_cli_parse_long(a->val[O_BUILD], 1, LONG_MAX, "build id", &build, &err) < 0 ||
	    (a->val[O_TIMEOUT] &&
	     q_cli_parse_long(a->val[O_TIMEOUT], 0, 7 * 86400, "timeout", &timeout, &err) < 0)) {
		ret = q_cli_usage_error(a, "%s", err.msg);
		goto out;
	}
	path = q_client_path(c, "sigs", parts[0], "projects", parts[1], "repos", parts[2],
			     "has-build", NULL);
	if (a->val[O_ARCH]) {
		char *arch = q_client_escape(c, a->val[O_ARCH]);
		full = g_strdup_printf("%s?build=%ld&arch=%s", path, build, arch);
		g_free(arch);
	} else {
		full = g_strdup_printf("%s?build=%ld", path, build);
	}
	deadline = now_s() + (double)timeout;
	for (;;) {
		json_decref(ans);
		ans = NULL;
		if (q_client_call(c, "GET", full, NULL, &ans, &err) < 0) {
			ret = q_cli_fail(&err);
			goto out;
		}
		if (json_is_true(json_object_get(ans, "ready"))) {
			ret = 0;
			break;
		}
		if (json_is_true(json_object_get(ans, "final"))) {
			q_error_set(&err, Q_ECONFLICT,
				    "repo '%s/%s/%s' will not hold build %ld: %s", parts[0],
				    parts[1], parts[2], build,
				    json_string_value(json_object_get(ans, "message")));
			ret = q_cli_fail(&err);
			break;
		}
		if (now_s() >= deadline) {
			q_error_set(&err, Q_ECONFLICT,
				    "repo '%s/%s/%s' does not hold build %ld after %ld s: %s",
				    parts[0], parts[1], parts[2], build, timeout,
				    json_string_value(json_object_get(ans, "message")));
			ret = q_cli_fail(&err);
			break;
		}
		nanosleep(&(struct timespec){0, POLL_NS}, NULL);
	}
	if (c->json)
		q_out_json(ans);
	else if (ret == 0)
		printf("repo %s/%s/%s holds build %ld\n", parts[0], parts[1], parts[2], build);
out:
	json_decref(ans);
	g_free(full);
	g_free(path);
	for (int p = 0; p < 3; p++)
		g_free(parts[p]);
	return ret;
}

static const struct q_cli_cmd wait_cmds[] = {
    {NULL, "SIG/PROJECT/REPO",
     "wait until the repo's published metadata holds a build's RPMs (for every arch of the build "
     "the repo publishes); exit 1 at the timeout, saying what is missing",
     1, 1, B(O_BUILD) | B(O_ARCH) | B(O_TIMEOUT), B(O_BUILD), wait_repo},
};

const struct q_cli_family q_wait_family = {
    "wait-repo", "Wait until a repository holds a build (Koji's wait-repo).",
    wait_opts,   Q_ARRAY_LEN(wait_opts),
    wait_cmds,   Q_ARRAY_LEN(wait_cmds),
};

int cmd_wait_repo(int argc, char **argv)
{
	return q_cli_run(&q_wait_family, argc, argv);
}
