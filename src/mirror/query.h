/*
 * query.h: the query string of a /metalink or /mirrorlist request, parsed
 * and checked. The string comes from dnf or anyone else, so it is bounded
 * and every value is validated before anything uses it.
 *
 * Parameters (MirrorManager2's, see docs/domain.md):
 *   repo      required, [a-z0-9._-]{1,100}
 *   arch      required, a known arch, "noarch" or "source"
 *   country   comma list of two-letter codes (case-insensitive, stored upper
 *             case, duplicates dropped, at most Q_MLQ_MAX_COUNTRIES items);
 *             "global" anywhere in the list means all countries
 *   protocol  comma list of https, http, rsync; default https,http
 *   ip        an IPv4 or IPv6 literal (no zone), overriding the client address
 *   netblock  "0" disables netblock/ASN matching; anything else keeps it
 *   redirect  present means true, unless its value is "0", "no" or "false"
 * Unknown parameters are ignored (dnf adds countme=N). A repeated
 * parameter: the last one wins. An empty country=, protocol= or ip= is the
 * same as the parameter being absent; empty list items are skipped.
 *
 * Every parameter, known or not, must be well-formed: a bad %-escape, an
 * escaped NUL, a name or a value longer than Q_MLQ_VALUE_MAX bytes after
 * decoding, or a query longer than Q_MLQ_MAX bytes is refused (Q_EINVAL,
 * the message naming the parameter).
 */
#ifndef Q_MIRROR_QUERY_H
#define Q_MIRROR_QUERY_H

#include <stdbool.h>
#include <stddef.h>

struct q_error;

#define Q_MLQ_MAX 4096      /* whole query string, bytes */
#define Q_MLQ_VALUE_MAX 256 /* one decoded name or value, bytes */
#define Q_MLQ_REPO_MAX 100  /* repo name, bytes */
#define Q_MLQ_MAX_COUNTRIES 10

enum q_mlproto {
	Q_MLPROTO_HTTPS = 1 << 0,
	Q_MLPROTO_HTTP = 1 << 1,
	Q_MLPROTO_RSYNC = 1 << 2,
};

struct q_mlquery {
	char repo[Q_MLQ_REPO_MAX + 1];        /* validated, NUL-terminated */
	char arch[32];                        /* validated */
	bool country_global;                  /* "global" was in country= */
	size_t n_country;                     /* entries in country */
	char country[Q_MLQ_MAX_COUNTRIES][3]; /* upper case, no duplicates */
	unsigned protocols;                   /* enum q_mlproto bits, never 0 */
	bool has_ip;                          /* ip= was given */
	int ip_family;                        /* AF_INET or AF_INET6 when has_ip */
	char ip[48];                          /* canonical text (inet_ntop) */
	bool netblock;                        /* false when netblock=0 */
	bool redirect;                        /* redirect was given */
};

/*
 * Parse qs[0..len) (without the '?'). On success fills out and returns 0;
 * otherwise returns -1 with err (Q_EINVAL) naming the parameter and the
 * rule. out is fully written in both cases (zeroed on failure).
 */
int q_mlquery_parse(const char *qs, size_t len, struct q_mlquery *out, struct q_error *err);

/* 1 when arch is accepted by q_mlquery_parse. */
int q_mlquery_arch_valid(const char *arch);

#endif
