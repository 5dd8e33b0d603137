/*
 * crawl.h: the crawler's engine. It fetches many mirrors' repomd.xml at
 * once and says, for each, whether the mirror is up to date.
 *
 * A pure module: no database, no clock of its own beyond libcurl's
 * timeouts. The hub (or `quarry crawl`) builds the targets from the mirror
 * registry and the publish history, calls q_crawl_run(), and records the
 * results (failure counts, IPv4/IPv6 reachability, propagation).
 *
 * For every target it GETs the URL (http or https only, following at most
 * 3 redirects, which must be http or https too) with the libcurl multi
 * interface and hashes the body with SHA-256 while it arrives. Then:
 *   - HTTP 200 and the hash is accepted_sha256[0]   -> Q_CRAWL_UP_TO_DATE
 *   - HTTP 200 and the hash is a later entry         -> Q_CRAWL_LAGGING
 *   - HTTP 200 and any other hash                    -> Q_CRAWL_STALE
 *   - anything else (DNS, connect, TLS, timeout, a non-200 final status,
 *     a body over max_size)                          -> Q_CRAWL_UNREACHABLE
 *     with the reason in result.error.
 * An up-to-date target with files then HEADs each file (same redirects,
 * same limits): a file whose final answer is not 200, or whose
 * Content-Length is not its size, or that fails to answer, makes it
 * Q_CRAWL_PARTIAL, with "PATH: why" of the first such file (lowest index)
 * in result.error; a missing Content-Length is taken as the right size.
 *
 * Bounds, so that no mirror can hold the crawl or the crawler's memory:
 * at most max_parallel transfers run at once and at most per_host of them
 * against one host (targets with the same `host` string; when host is
 * NULL, the URL's host name). A transfer starts its connect and total
 * timeouts only when it actually starts, so a long queue never times out
 * by itself. Nothing is kept of a body but its hash, and the transfer is
 * aborted as soon as it exceeds max_size (or announces a Content-Length
 * over it). A non-200 response is aborted at its first body byte.
 *
 * ipv4_only / ipv6_only set CURLOPT_IPRESOLVE, so the caller can crawl a
 * mirror twice and record each family's reachability; both set is an error.
 *
 * Targets whose URL starts with rsync:// are crawled with the rsync client
 * instead (q_crawl_rsync_run, crawl_rsync.c), at the same time as the
 * others (each side within max_parallel and per_host), with the same
 * states: repomd.xml is fetched into a private temporary directory and
 * hashed; http_status is 200 when it was fetched, 0 otherwise; the files
 * are listed with `rsync --list-only`.
 *
 * Blocking; not re-entrant on the same result array, but q_crawl_run may
 * run in several threads at once (each has its own multi handle).
 */
#ifndef Q_MIRROR_CRAWL_H
#define Q_MIRROR_CRAWL_H

#include <stddef.h>
#include <stdint.h>

struct q_error;

/*
 * A file a mirror must hold beside the newest repomd.xml: its path relative
 * to the repo directory (the target URL without "repodata/repomd.xml"),
 * e.g. "repodata/HASH-primary.xml.gz" or "Packages/f/foo-1-1.el9.noarch.rpm",
 * and its size in bytes.
 */
struct q_crawl_file {
	const char *path;
	int64_t size;
};

struct q_crawl_target {
	const char *mirror; /* the mirror's name, for messages */
	const char *url;    /* …/repodata/repomd.xml */
	const char *host;   /* key of the per-host limit; NULL: the URL's host */
	const char *const
	    *accepted_sha256; /* [0] = newest publish, then alternates; NULL-terminated */
	int ipv6_only;        /* resolve and connect over IPv6 only */
	int ipv4_only;        /* resolve and connect over IPv4 only */
	const struct q_crawl_file
	    *files;     /* checked only when the repomd.xml is accepted_sha256[0]; may be NULL */
	size_t n_files; /* entries in files */
};

enum q_crawl_state {
	Q_CRAWL_UP_TO_DATE,  /* serves the newest publish */
	Q_CRAWL_LAGGING,     /* serves an alternate (an older publish in the window) */
	Q_CRAWL_STALE,       /* serves a repomd.xml we never published (or an old one) */
	Q_CRAWL_UNREACHABLE, /* no usable answer: see result.error */
	Q_CRAWL_PARTIAL      /* the newest repomd.xml, but one of files is missing or differs */
};

/* Options; a zero field takes its default. */
struct q_crawl_opts {
	unsigned max_parallel;   /* transfers at once (default 64) */
	unsigned per_host;       /* transfers at once against one host (default 4) */
	long connect_timeout_ms; /* per transfer (default 10000) */
	long timeout_ms;         /* whole transfer, per transfer (default 30000) */
	size_t max_size;         /* largest repomd.xml accepted (default 4 MiB) */
	const char *user_agent;  /* default "quarry-crawler" */
};

#define Q_CRAWL_DEFAULT_PARALLEL 64
#define Q_CRAWL_DEFAULT_PER_HOST 4
#define Q_CRAWL_DEFAULT_CONNECT_MS 10000L
#define Q_CRAWL_DEFAULT_TIMEOUT_MS 30000L
#define Q_CRAWL_DEFAULT_MAX_SIZE ((size_t)4 << 20)
#define Q_CRAWL_MAX_REDIRECTS 3

struct q_crawl_result {
	enum q_crawl_state state;
	int http_status; /* the final response's status, 0 when there was none */
	char sha256[65]; /* the body's hash (lowercase hex) when status was 200, else "" */
	double seconds;  /* the transfer's total time */
	int family;      /* AF_INET or AF_INET6: the address connected to; 0 when none */
	char error[256]; /* why it is unreachable (or stale), "" when up to date */
};

/* Short lowercase name of a state: "up_to_date", "lagging", "stale", "unreachable",
 * "partial". */
const char *q_crawl_state_name(enum q_crawl_state s);

/*
 * Crawl the n targets, filling res[0..n-1] (caller-owned, n entries).
 * o may be NULL (all defaults). Returns 0 when every target has a result
 * (unreachable mirrors are results, not failures), -1 with err filled on
 * bad input (a NULL url, both ipv4_only and ipv6_only) or when libcurl
 * cannot be set up; res is then undefined.
 */
int q_crawl_run(const struct q_crawl_target *t, size_t n, const struct q_crawl_opts *o,
		struct q_crawl_result *res, struct q_error *err);

/*
 * The same contract for rsync:// targets only (q_crawl_run calls it for
 * them). Runs Debian's rsync client (found in PATH; without it every
 * target is unreachable, saying so) with an argv and a fixed environment,
 * never a shell; a URL that is not a plain rsync:// URL (a space, a
 * control byte, a wildcard, a host starting with '-') is unreachable
 * without running anything. connect_timeout_ms is rsync's --contimeout,
 * timeout_ms both its --timeout and a wall-clock limit after which the
 * client is killed; max_size its --max-size.
 */
int q_crawl_rsync_run(const struct q_crawl_target *t, size_t n, const struct q_crawl_opts *o,
		      struct q_crawl_result *res, struct q_error *err);

#endif
