/*
 * groupmap.h: the provider's groups → SIG roles (oidc.group_map).
 *
 * The map is a space-separated list of entries:
 *   PATTERN:ROLE     PATTERN holds "{sig}" exactly once; a group matches
 *                    when it is PATTERN with a SIG name in place of {sig}
 *                    ("sig-{sig}-lead:lead": group sig-cloud-lead → lead of
 *                    cloud)
 *   GROUP=SIG:ROLE   the group GROUP gives ROLE in the SIG SIG
 * ROLE is "member" or "lead". A group that gives both roles in a SIG gives
 * lead. Pure functions (no I/O), fuzzed.
 */
#ifndef Q_WEB_GROUPMAP_H
#define Q_WEB_GROUPMAP_H

#include <stdbool.h>
#include <stddef.h>

#define Q_GROUPMAP_MAX 32
#define Q_GROUPMAP_PART 128

struct q_groupmap_entry {
	char prefix[Q_GROUPMAP_PART]; /* before {sig}, or the whole GROUP */
	char suffix[Q_GROUPMAP_PART]; /* after {sig} ("" for GROUP=SIG) */
	char sig[40];                 /* the SIG of GROUP=SIG, "" for a pattern */
	bool pattern;                 /* PATTERN:ROLE */
	bool lead;                    /* ROLE is lead */
};

struct q_groupmap {
	size_t n;
	struct q_groupmap_entry e[Q_GROUPMAP_MAX];
};

/* Parse spec into out; -1 with a message in msg when it is malformed. */
int q_groupmap_parse(const char *spec, struct q_groupmap *out, char *msg, size_t msgsize);
/* 0 when spec parses (the config check). */
int q_web_groupmap_check(const char *spec);
/* When entry e maps group: 1, with the SIG name in sig and its role in *lead. */
int q_groupmap_match(const struct q_groupmap_entry *e, const char *group, char sig[40], bool *lead);
/* 1 when the map decides membership in sig: a pattern decides every SIG. */
int q_groupmap_manages(const struct q_groupmap *m, const char *sig);

#endif
