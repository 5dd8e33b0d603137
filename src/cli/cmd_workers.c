/*
 * cmd_workers.c: `quarry workers`: the build workers the hub has seen, with
 * their arches, slots, when they last asked for work and the tasks they run.
 */
#include "core/common.h"
#include "core/error.h"
#include "cli/cli.h"
#include "cli/client.h"

#include <glib.h>
#include <time.h>

static const struct q_col worker_cols[] = {
    {"name", "NAME"},           {"arches", "ARCHES"},   {"slots", "SLOTS"},
    {"last_seen", "LAST SEEN"}, {"running", "RUNNING"},
};

static int workers(struct q_client *c, struct q_cli_args *a)
{
	struct q_error err = {0};
	json_t *ans = NULL;
	json_t *rows;
	json_t *w;
	size_t i;

	if (q_client_call(c, "GET", "workers", NULL, &ans, &err) < 0)
		return q_cli_fail(&err);
	if (c->json) {
		q_out_json(ans);
		json_decref(ans);
		return 0;
	}
	rows = json_deep_copy(json_object_get(ans, "workers"));
	if (!rows)
		rows = json_array();
	json_array_foreach (rows, i, w) {
		json_t *seen = json_object_get(w, "last_seen");
		time_t t;
		struct tm tm;
		char buf[32];

		if (!json_is_integer(seen))
			continue;
		t = (time_t)json_integer_value(seen);
		if (gmtime_r(&t, &tm) && strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm))
			json_object_set_new(w, "last_seen", json_string(buf));
	}
	q_out_table(rows, worker_cols, Q_ARRAY_LEN(worker_cols));
	json_decref(rows);
	json_decref(ans);
	return 0;
}

static const struct q_cli_cmd workers_cmds[] = {
    {NULL, "", "list the build workers the hub has seen and the tasks they run", 0, 0, 0, 0,
     workers},
};

const struct q_cli_family q_workers_family = {
    "workers", "Build workers.", NULL, 0, workers_cmds, Q_ARRAY_LEN(workers_cmds),
};

int cmd_workers(int argc, char **argv)
{
	return q_cli_run(&q_workers_family, argc, argv);
}
