/*
 * cmd_hub.c: the server-side commands: `quarry init`, `quarry hub`,
 * `quarry config check|reference`.
 */
#include "core/common.h"
#include "core/error.h"
#include "core/log.h"
#include "core/names.h"
#include "api/api.h"
#include "build/sandbox.h"
#include "cli/cli.h"
#include "core/fs.h"
#include "hub/hub.h"
#include "hub/rsyncd.h"
#include "sign/sign.h"

#include <getopt.h>
#include <glib.h>
#include <sys/stat.h>
#include <time.h>

struct server_opts {
	const char *config;
	const char *data_dir;
	const char *listen;
	const char *admin;
};

/* `quarry init` and `quarry hub` (also read by the shell completion). */
const struct option q_server_longopts[] = {
    {"config", required_argument, NULL, 'c'}, {"data-dir", required_argument, NULL, 'd'},
    {"listen", required_argument, NULL, 'l'}, {"admin", required_argument, NULL, 'a'},
    {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
};

static int parse_opts(int argc, char **argv, const char *usage, struct server_opts *o)
{
	int c;

	memset(o, 0, sizeof(*o));
	optind = 1;
	while ((c = getopt_long(argc, argv, "c:d:l:a:h", q_server_longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			o->config = optarg;
			break;
		case 'd':
			o->data_dir = optarg;
			break;
		case 'l':
			o->listen = optarg;
			break;
		case 'a':
			o->admin = optarg;
			break;
		case 'h':
			fputs(usage, stdout);
			return 1;
		default:
			fputs(usage, stderr);
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "quarry %s: unexpected argument '%s'\n%s", argv[0], argv[optind],
			usage);
		return 2;
	}
	return 0;
}

/* Defaults, then the file, then command-line overrides. */
static int load_config(const struct server_opts *o, struct q_config *cfg)
{
	char note[2048];

	q_config_defaults(cfg);
	if (o->config && q_config_load(o->config, cfg, stderr) != 0) {
		fprintf(stderr, "quarry: configuration '%s' has errors (see above)\n", o->config);
		return -1;
	}
	if (o->data_dir)
		snprintf(cfg->data_dir, sizeof(cfg->data_dir), "%s", o->data_dir);
	if (o->listen)
		snprintf(cfg->listen, sizeof(cfg->listen), "%s", o->listen);
	q_log_set_level((enum q_log_level)q_log_parse_level(cfg->log_level));
	if (q_config_finish(cfg, note, sizeof(note)))
		q_warn("%s", note);
	return 0;
}

int cmd_init(int argc, char **argv)
{
	static const char usage[] =
	    "usage: quarry init [-c FILE] [--data-dir DIR] [--admin NAME]\n\n"
	    "Create the data directory and the database, and the first admin user (default\n"
	    "'admin'). The admin's token is printed once, alone on standard output; only its\n"
	    "hash is stored. Fails if the database already has users.\n";
	struct server_opts o;
	struct q_config cfg;
	struct q_hub hub = {0};
	struct q_store *st = NULL;
	struct q_error err = {0};
	int64_t nusers = 0, uid = 0;
	char *token = NULL;
	int rc;

	rc = parse_opts(argc, argv, usage, &o);
	if (rc)
		return rc == 1 ? 0 : 2;
	if (!o.admin)
		o.admin = "admin";
	if (load_config(&o, &cfg) < 0)
		return 1;
	if (q_name_check(Q_NAME_USER, "admin name", o.admin, &err) < 0)
		goto fail;
	if (q_hub_init(&hub, &cfg, &err) < 0)
		goto fail;
	st = q_store_open(hub.db_path, &err);
	if (!st || q_store_migrate(st, &err) < 0 || q_store_user_count(st, &nusers, &err) < 0)
		goto fail;
	if (nusers > 0) {
		q_error_set(&err, Q_ECONFLICT,
			    "'%s' is already initialised (it has users); create more tokens with "
			    "'quarry token create'",
			    hub.db_path);
		goto fail;
	}
	if (q_store_begin(st, &err) < 0)
		goto fail;
	if (q_store_user_create(st, o.admin, "admin", &uid, &err) < 0 ||
	    q_api_create_token_for(st, uid, "created by quarry init", &token, &err) < 0 ||
	    q_store_audit(st, "quarry-init", "user.create", o.admin, "{\"role\":\"admin\"}", &err) <
		0 ||
	    q_store_commit(st, &err) < 0) {
		q_store_rollback(st);
		goto fail;
	}
	fprintf(stderr,
		"initialised '%s'\nadmin user '%s' created; its token follows (it is shown only "
		"once):\n",
		cfg.data_dir, o.admin);
	printf("%s\n", token);
	fflush(stdout);
	g_free(token);
	q_store_close(st);
	q_hub_release(&hub);
	return 0;
fail:
	fprintf(stderr, "quarry init: %s\n", err.msg);
	q_store_close(st);
	q_hub_release(&hub);
	return q_code_exit(err.code);
}

static void expire_uploads(struct q_hub *hub, struct q_store *st)
{
	json_t *paths = NULL, *v;
	size_t i;

	if (q_store_upload_expire(st, (int64_t)time(NULL) - hub->cfg.upload_ttl, &paths, NULL) < 0)
		return;
	json_array_foreach (paths, i, v)
		unlink(json_string_value(json_object_get(v, "path")));
	json_decref(paths);
	q_api_upsession_expire(hub);
}

/*
 * The hub serves only a data directory `quarry init` made: on any other it
 * would create an empty database and run with no user who could sign in.
 * Checked before anything is created, so a typo in data_dir leaves nothing
 * behind. The fix names the command with this configuration's options.
 */
static int require_initialised(const struct server_opts *o, const struct q_config *cfg,
			       struct q_error *err)
{
	char db[sizeof(cfg->data_dir) + 16], fix[sizeof(cfg->data_dir) + 600];
	struct stat sb;

	snprintf(fix, sizeof(fix), "quarry init%s%s%s%s", o->config ? " -c " : "",
		 o->config ? o->config : "", o->data_dir || !o->config ? " --data-dir " : "",
		 o->data_dir || !o->config ? cfg->data_dir : "");
	snprintf(db, sizeof(db), "%s/quarry.db", cfg->data_dir);
	if (stat(db, &sb) == 0)
		return 0;
	if (errno != ENOENT && errno != ENOTDIR)
		return q_error_set(err, Q_EIO, "cannot read '%s': %s", db, strerror(errno));
	return q_error_set(err, Q_ENOTFOUND,
			   "the data directory '%s' was not made by 'quarry init' (it has no "
			   "quarry.db); run '%s' first: it creates the database and the first "
			   "admin",
			   cfg->data_dir, fix);
}

/* The rsync daemon for mirrors, when rsync.listen is set: the hub refuses to
 * start without it (a port taken, no rsync), as it does for its own port. */
static int start_rsyncd(struct q_hub *hub, struct q_error *err)
{
	struct q_rsyncd_cmd cmd;

	if (!*hub->cfg.rsync_listen)
		return 0;
	if (q_rsyncd_prepare(&hub->cfg, &cmd, err) < 0 ||
	    q_rsyncd_start(&hub->cfg, &cmd, &hub->rsyncd_pid, err) < 0)
		return -1;
	return 0;
}

int cmd_rsyncd(int argc, char **argv)
{
	static const char usage[] =
	    "usage: quarry rsyncd [-c FILE] [--data-dir DIR] [--listen HOST:PORT]\n\n"
	    "Run the rsync daemon that serves /pub to mirrors, in the foreground, alone (the\n"
	    "hub runs the same one when rsync.listen is set). Its configuration is written to\n"
	    "DATA/rsyncd.conf from the [rsync] keys; --listen overrides rsync.listen. Needs\n"
	    "Debian's rsync. Mirrors: docs/MIRRORS.md, \"Syncing from the master\".\n";
	struct server_opts o;
	struct q_config cfg;
	struct q_rsyncd_cmd cmd;
	struct q_error err = {0};
	const char *listen;
	char abs[PATH_MAX], pub[PATH_MAX + 8];
	int rc;

	rc = parse_opts(argc, argv, usage, &o);
	if (rc)
		return rc == 1 ? 0 : 2;
	listen = o.listen;
	o.listen = NULL; /* rsync.listen, not hub.listen */
	if (load_config(&o, &cfg) < 0)
		return 1;
	if (listen)
		snprintf(cfg.rsync_listen, sizeof(cfg.rsync_listen), "%s", listen);
	if (!realpath(cfg.data_dir, abs) || strlen(abs) >= sizeof(cfg.data_dir)) {
		q_error_set(&err, Q_ENOTFOUND, "cannot resolve data_dir '%s': %s", cfg.data_dir,
			    strerror(errno));
		goto fail;
	}
	memcpy(cfg.data_dir, abs, strlen(abs) + 1);
	snprintf(pub, sizeof(pub), "%s/pub", abs);
	if (!q_fs_exists(pub)) {
		q_error_set(&err, Q_ENOTFOUND,
			    "'%s' does not exist: is '%s' a hub's data directory?", pub, abs);
		goto fail;
	}
	if (!*cfg.rsync_listen) {
		q_error_set(&err, Q_EINVAL,
			    "rsync.listen is not set: give --listen HOST:PORT or set it in the "
			    "configuration");
		goto fail;
	}
	if (q_rsyncd_prepare(&cfg, &cmd, &err) < 0)
		goto fail;
	fprintf(stderr, "quarry rsyncd: module '%s' on %s (%s, log %s)\n", cfg.rsync_module,
		cfg.rsync_listen, cmd.conf_opt + 9, cmd.log_path);
	fflush(NULL);
	execv(cmd.program, cmd.argv);
	q_error_set(&err, Q_EIO, "cannot run '%s': %s", cmd.program, strerror(errno));
fail:
	fprintf(stderr, "quarry rsyncd: %s\n", err.msg);
	return 1;
}

int cmd_hub(int argc, char **argv)
{
	static const char usage[] =
	    "usage: quarry hub [-c FILE] [--data-dir DIR] [--listen 'HOST:PORT …']\n\n"
	    "Run the hub: the JSON API under /api/v1/, the published tree under /pub/,\n"
	    "/healthz and /metrics. Configuration keys: docs/CONFIG.md.\n";
	struct server_opts o;
	struct q_config cfg;
	struct q_hub hub = {0};
	struct q_store *st = NULL;
	struct q_error err = {0};
	int64_t nusers = 0;
	int rc;

	rc = parse_opts(argc, argv, usage, &o);
	if (rc)
		return rc == 1 ? 0 : 2;
	if (load_config(&o, &cfg) < 0)
		return 1;
	if (require_initialised(&o, &cfg, &err) < 0)
		goto fail;
	if (q_hub_guard_start(&err) < 0 || q_hub_init(&hub, &cfg, &err) < 0 ||
	    start_rsyncd(&hub, &err) < 0 || q_hub_open_signer(&hub, &err) < 0 ||
	    q_mirror_service_init(&hub.ml, &hub.cfg, &err) < 0)
		goto fail;
	st = q_store_open(hub.db_path, &err);
	if (!st || q_store_migrate(st, &err) < 0 || q_store_user_count(st, &nusers, &err) < 0)
		goto fail;
	if (nusers == 0) {
		q_error_set(&err, Q_ENOTFOUND,
			    "the database '%s' has no users ('quarry init' did not finish); run "
			    "'quarry init' again with this configuration",
			    hub.db_path);
		goto fail;
	}
	expire_uploads(&hub, st);
	if (q_hub_refresh_snapshot(&hub, st, &err) < 0)
		goto fail;
	if (q_hub_publish_dirty(&hub, st, &err) < 0)
		q_warn("republishing changed repos failed: %s", err.msg);
	q_error_clear(&err);
	if (hub.cfg.embedded_worker && !q_sandbox_available())
		q_warn("bubblewrap cannot create a sandbox here: no embedded worker; builds wait "
		       "for an external 'quarry worker'");
	else if (q_hub_start_embedded_worker(&hub, st, &err) < 0)
		q_warn("cannot start the embedded worker: %s", err.msg);
	q_error_clear(&err);
	q_store_close(st);
	st = NULL;
	if (q_crawler_start(&hub, &err) < 0)
		goto fail;
	if (q_checker_start(&hub, &err) < 0)
		goto fail;
	if (q_keeper_start(&hub, &err) < 0)
		goto fail;
	if (q_server_run(&hub, &err) < 0)
		goto fail;
	q_hub_release(&hub);
	return 0;
fail:
	fprintf(stderr, "quarry hub: %s\n", err.msg);
	q_store_close(st);
	q_hub_release(&hub);
	return 1;
}

int cmd_config(int argc, char **argv)
{
	static const char usage[] = "usage: quarry config check FILE\n"
				    "       quarry config reference   (every key, as Markdown)\n";
	struct q_config cfg;
	int n;

	if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		fputs(usage, stdout);
		return 0;
	}
	if (argc == 2 && !strcmp(argv[1], "reference")) {
		q_config_print_reference(stdout);
		return 0;
	}
	if (argc != 3 || strcmp(argv[1], "check")) {
		fputs(usage, stderr);
		return 2;
	}
	q_config_defaults(&cfg);
	n = q_config_load(argv[2], &cfg, stdout);
	if (n == 0) {
		char note[2048];

		char addr[256];

		if (q_config_finish(&cfg, note, sizeof(note)))
			printf("%s: warning: %s\n", argv[2], note);
		printf("%s: the hub listens on", argv[2]);
		for (size_t i = 0; q_config_listen_addr(cfg.listen, i, addr, sizeof(addr)) == 0;
		     i++)
			printf("%s %s", i ? "," : "", addr);
		printf("; public URL %s\n", cfg.public_url);
		printf("%s: ok\n", argv[2]);
		return 0;
	}
	if (n > 0)
		fprintf(stderr, "%s: %d error%s\n", argv[2], n, n == 1 ? "" : "s");
	return 1;
}
