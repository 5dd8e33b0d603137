/*
 * cmd_mirrorlist.c: `quarry mirrorlist --snapshot FILE`: the metalink and
 * mirrorlist service on its own, answering from the snapshot file the hub
 * writes (DATA/mirror-snapshot.json), so it runs on as many machines as
 * the traffic needs, with no database.
 *
 * A watcher thread stats the file once a second; when its inode, size or
 * modification time change it parses the new file and swaps it in (the
 * requests never wait for it). A file that does not parse is reported and
 * the previous snapshot keeps answering.
 */
#include "core/common.h"
#include "core/config.h"
#include "core/error.h"
#include "core/log.h"
#include "cli/cli.h"
#include "hub/hub.h"
#include "mirror/service.h"
#include "mirror/snapshot.h"

#include <getopt.h>
#include <pthread.h>
#include <sys/stat.h>

struct watch {
	struct q_hub *hub;
	const char *path;
	struct stat last;
};

static bool same_file(const struct stat *a, const struct stat *b)
{
	return a->st_ino == b->st_ino && a->st_dev == b->st_dev && a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

/* Load the file if it changed since w->last; 1 when a new snapshot is in. */
static int reload(struct watch *w, bool first, struct q_error *err)
{
	struct q_snapshot *s = NULL;
	struct stat st;

	if (stat(w->path, &st) < 0)
		return q_error_set(err, Q_EIO, "cannot read '%s': %s", w->path, strerror(errno));
	if (!first && same_file(&st, &w->last))
		return 0;
	w->last = st; /* a bad file is reported once, not every second */
	if (q_snapshot_load_file(w->path, &s, err) < 0)
		return -1;
	q_snapshot_holder_swap(&w->hub->ml.snap, s);
	q_info("mirror snapshot loaded from %s: %u repos, %zu mirrors", w->path,
	       g_hash_table_size(s->by_key), s->n_mirrors);
	return 1;
}

static void *watch_main(void *arg)
{
	struct watch *w = arg;

	for (;;) {
		struct q_error err = {0};

		sleep(1);
		if (reload(w, false, &err) < 0)
			q_warn("keeping the previous snapshot: %s", err.msg);
	}
	return NULL;
}

/* Also read by the shell completion. */
const struct option q_mirrorlist_longopts[] = {
    {"snapshot", required_argument, NULL, 's'}, {"config", required_argument, NULL, 'c'},
    {"listen", required_argument, NULL, 'l'},   {"threads", required_argument, NULL, 't'},
    {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0},
};

int cmd_mirrorlist(int argc, char **argv)
{
	static const char usage[] =
	    "usage: quarry mirrorlist --snapshot FILE [-c CONFIG] [--listen HOST:PORT]\n"
	    "                         [--threads N]\n\n"
	    "Serve /metalink and /mirrorlist from a snapshot file the hub writes\n"
	    "(DATA/mirror-snapshot.json), reloading it when it changes. The configuration's\n"
	    "[mirror] and [geoip] keys apply (trusted_proxies, max_mirrors, GeoIP files),\n"
	    "and hub.listen / hub.threads unless given here.\n";
	const char *snapshot = NULL, *config = NULL, *listen_addr = NULL, *threads = NULL;
	static struct q_hub hub; /* the watcher thread outlives nothing: the process exits */
	static struct watch w;
	struct q_error err = {0};
	pthread_t tid;
	int64_t n;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "s:c:l:t:h", q_mirrorlist_longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			snapshot = optarg;
			break;
		case 'c':
			config = optarg;
			break;
		case 'l':
			listen_addr = optarg;
			break;
		case 't':
			threads = optarg;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			fputs(usage, stderr);
			return 2;
		}
	}
	if (!snapshot || optind != argc) {
		fputs(usage, stderr);
		return 2;
	}
	memset(&hub, 0, sizeof(hub));
	q_config_defaults(&hub.cfg);
	if (config && q_config_load(config, &hub.cfg, stderr) != 0) {
		fprintf(stderr, "quarry mirrorlist: configuration '%s' has errors (see above)\n",
			config);
		return 1;
	}
	if (listen_addr)
		snprintf(hub.cfg.listen, sizeof(hub.cfg.listen), "%s", listen_addr);
	if (threads) {
		if (q_parse_int(threads, 1, 64, &n) < 0) {
			fprintf(stderr, "quarry mirrorlist: --threads wants 1..64, not '%s'\n",
				threads);
			return 2;
		}
		hub.cfg.threads = n;
	}
	q_log_set_level((enum q_log_level)q_log_parse_level(hub.cfg.log_level));
	hub.mirror_only = 1;
	hub.started = (int64_t)time(NULL);
	if (q_mirror_service_init(&hub.ml, &hub.cfg, &err) < 0)
		goto fail;
	w.hub = &hub;
	w.path = snapshot;
	if (reload(&w, true, &err) < 0)
		goto fail;
	if (pthread_create(&tid, NULL, watch_main, &w) != 0) {
		q_error_set(&err, Q_EINTERNAL, "cannot start the snapshot watcher");
		goto fail;
	}
	pthread_detach(tid);
	if (q_server_run(&hub, &err) < 0)
		goto fail;
	return 0;
fail:
	fprintf(stderr, "quarry mirrorlist: %s\n", err.msg);
	return 1;
}
