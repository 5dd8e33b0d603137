/*
 * config.h: the hub's INI configuration.
 *
 * One table (config.c) names every key with its section, type, default,
 * check and help; it drives parsing, defaults, `quarry config check` and
 * docs/CONFIG.md. Errors are reported as "FILE:LINE: message", all of
 * them, not just the first.
 */
#ifndef Q_CONFIG_H
#define Q_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct q_config {
	char listen[256];            /* hub.listen: HOST:PORT, one or more (see below) */
	char data_dir[1024];         /* hub.data_dir */
	char public_url[512];        /* hub.public_url: how clients reach the hub */
	int64_t threads;             /* hub.threads: event-loop threads */
	int64_t max_upload;          /* hub.max_upload_size, bytes */
	int64_t max_json;            /* hub.max_json_body, bytes */
	int64_t upload_ttl;          /* hub.upload_ttl, seconds a staged upload lives */
	int64_t upload_part;         /* hub.upload_part_size: largest non-JSON request body */
	int64_t grace;               /* publish.grace_period, seconds */
	int64_t history_keep;        /* publish.history_keep: rows kept per repo/arch */
	char key_algo[32];           /* signing.key_algo */
	char signing_socket[108];    /* signing.socket: `quarry signer`'s socket, "" to fork one */
	int64_t signing_timeout;     /* signing.timeout: seconds */
	char log_level[16];          /* log.level */
	int64_t lease;               /* build.lease: seconds without heartbeat */
	int64_t max_attempts;        /* build.max_attempts */
	int64_t build_timeout;       /* build.timeout: seconds per step */
	int64_t unclaimed;           /* build.unclaimed_timeout: seconds a task may wait */
	int64_t scratch_ttl;         /* build.scratch_ttl: seconds a scratch build's outputs stay */
	int64_t build_max_memory;    /* build.max_memory: bytes per step */
	int64_t max_files;           /* build.max_files in an imported tree */
	int64_t max_tree;            /* build.max_tree_size: bytes */
	int64_t embedded_worker;     /* build.embedded_worker: 0 or 1 */
	int64_t worker_slots;        /* build.worker_slots of the embedded worker */
	char worker_arches[128];     /* build.worker_arches of the embedded worker */
	char worker_backend[16];     /* build.worker_backend of the embedded worker */
	char lookaside_url[512];     /* lookaside.url_template, "" for none */
	int64_t lookaside_max;       /* lookaside.max_size */
	int64_t ml_window;           /* mirror.alternates_window: seconds */
	char trusted_proxies[1024];  /* mirror.trusted_proxies: CIDR list */
	int64_t ml_max;              /* mirror.max_mirrors per answer */
	int64_t crawl_interval;      /* mirror.crawl_interval: seconds, 0 = on request only */
	int64_t crawl_parallel;      /* mirror.crawl_parallel */
	int64_t crawl_per_host;      /* mirror.crawl_per_host */
	int64_t crawl_timeout;       /* mirror.crawl_timeout: seconds */
	int64_t max_failures;        /* mirror.max_failures */
	int64_t publish_crawl_delay; /* mirror.publish_crawl_delay: seconds, 0 = off */
	char geo_country[1024];      /* geoip.country_mmdb, "" for none */
	char geo_asn[1024];          /* geoip.asn_mmdb */
	char geo_tor4[1024];         /* geoip.tor_v4 */
	char geo_tor6[1024];         /* geoip.tor_v6 */
	int64_t rotation_overlap;    /* signing.rotation_overlap: seconds */
	char check_base_repos[2048]; /* check.base_repos: directories or URLs, comma-separated */
	char release_pkg_repo[64];   /* release_pkg.repo: the repo that gets sig-SIG-release */
	char rsync_listen[256];      /* rsync.listen: HOST:PORT, "" = no rsync daemon */
	char rsync_module[64];       /* rsync.module: the module serving /pub */
	int64_t rsync_max_conn;      /* rsync.max_connections, 0 = no limit */
	int64_t rsync_timeout;       /* rsync.timeout: seconds, 0 = none */
	char rsync_hosts_allow[1024]; /* rsync.hosts_allow: CIDR list, "" = everyone */
	char rsync_program[256];      /* rsync.program: name in PATH or absolute path */
	/* Signing in to the web UI (web/auth.c, web/oidc.c). */
	int64_t session_lifetime;     /* web.session_lifetime: seconds a browser session lasts */
	int64_t local_login;          /* web.local_login: 0 or 1, password sign-in offered */
	char oidc_issuer[512];        /* oidc.issuer: "" = no OpenID Connect sign-in */
	char oidc_client_id[256];     /* oidc.client_id */
	char oidc_client_secret[256]; /* oidc.client_secret */
	char oidc_name[64];           /* oidc.provider_name: shown on the button */
	char oidc_redirect_path[128]; /* oidc.redirect_path, on hub.public_url */
	char oidc_scopes[256];        /* oidc.scopes, space-separated */
	char oidc_user_claim[64];     /* oidc.username_claim */
	char oidc_groups_claim[64];   /* oidc.groups_claim */
	char oidc_group_map[1024];    /* oidc.group_map (web/groupmap.h) */
};

/* Fill every field with its default. */
void q_config_defaults(struct q_config *cfg);

/*
 * Parse path over the defaults already in cfg. Every error is written to
 * errs (one "FILE:LINE: message" per line); returns the number of errors,
 * or -1 when the file cannot be read (also written to errs).
 */
int q_config_load(const char *path, struct q_config *cfg, FILE *errs);

/* Parse from a memory buffer (used by the fuzz target); name is for messages. */
int q_config_parse(const char *name, const char *text, size_t len, struct q_config *cfg,
		   FILE *errs);

/*
 * After the file and the command line: derive hub.public_url from
 * hub.listen when it is not set, and compare the two when it is. Returns 1
 * with a warning in note (for `config check` and the hub's log) when the
 * public URL was derived from a wildcard address or disagrees with listen,
 * else 0 (note "").
 */
int q_config_finish(struct q_config *cfg, char *note, size_t size);

/*
 * hub.listen holds one or more HOST:PORT addresses ([V6]:PORT), separated
 * by spaces or commas. The n-th (from 0) is copied to buf; returns 0, or
 * -1 when there is none (or it does not fit). The first is the one
 * public_url is derived from and compared with.
 */
#define Q_LISTEN_MAX 16
int q_config_listen_addr(const char *listen, size_t n, char *buf, size_t size);

/* Print the key table as Markdown (docs/CONFIG.md is generated from it). */
void q_config_print_reference(FILE *out);

/* Parse "10", "10k", "5M", "1G" (powers of 1024); -1 on error. */
int q_parse_size(const char *s, int64_t *out);
/* Parse "30", "30s", "15m", "2h", "4d"; seconds; -1 on error. */
int q_parse_duration(const char *s, int64_t *out);
/* Parse a decimal integer in [min,max]; -1 on error. */
int q_parse_int(const char *s, int64_t min, int64_t max, int64_t *out);

#endif
