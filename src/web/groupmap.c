/*
 * groupmap.c: see groupmap.h.
 */
#include "core/common.h"
#include "core/names.h"
#include "web/groupmap.h"

static int parse_role(const char *s, size_t len, bool *lead)
{
	if (len == 4 && !strncmp(s, "lead", 4))
		*lead = true;
	else if (len == 6 && !strncmp(s, "member", 6))
		*lead = false;
	else
		return -1;
	return 0;
}

/* One entry s[0..len); 0 or -1 with msg. */
static int parse_entry(const char *s, size_t len, struct q_groupmap_entry *e, char *msg,
		       size_t msgsize)
{
	const char *colon = NULL, *eq = NULL, *ph;
	size_t glen;

	memset(e, 0, sizeof(*e));
	for (size_t i = len; i > 0; i--)
		if (s[i - 1] == ':') {
			colon = s + i - 1;
			break;
		}
	if (!colon || parse_role(colon + 1, len - (size_t)(colon + 1 - s), &e->lead) < 0) {
		snprintf(msg, msgsize, "entry '%.*s' does not end in :member or :lead", (int)len,
			 s);
		return -1;
	}
	glen = (size_t)(colon - s);
	eq = memchr(s, '=', glen);
	if (eq) {
		size_t sl = (size_t)(colon - eq - 1);

		if (eq == s || sl == 0 || sl >= sizeof(e->sig) ||
		    (size_t)(eq - s) >= sizeof(e->prefix)) {
			snprintf(msg, msgsize, "entry '%.*s': expected GROUP=SIG:ROLE", (int)len,
				 s);
			return -1;
		}
		memcpy(e->prefix, s, (size_t)(eq - s));
		memcpy(e->sig, eq + 1, sl);
		if (q_name_check(Q_NAME_SIG, "sig", e->sig, NULL) < 0) {
			snprintf(msg, msgsize, "entry '%.*s': '%s' is not a SIG name", (int)len, s,
				 e->sig);
			return -1;
		}
		return 0;
	}
	ph = memmem(s, glen, "{sig}", 5);
	if (!ph || memmem(ph + 5, glen - (size_t)(ph + 5 - s), "{sig}", 5) ||
	    (size_t)(ph - s) >= sizeof(e->prefix) ||
	    (size_t)(colon - ph - 5) >= sizeof(e->suffix)) {
		snprintf(msg, msgsize, "entry '%.*s': the group pattern must hold {sig} once",
			 (int)len, s);
		return -1;
	}
	e->pattern = true;
	memcpy(e->prefix, s, (size_t)(ph - s));
	memcpy(e->suffix, ph + 5, (size_t)(colon - ph - 5));
	return 0;
}

int q_groupmap_parse(const char *spec, struct q_groupmap *out, char *msg, size_t msgsize)
{
	const char *p = spec;

	memset(out, 0, sizeof(*out));
	if (msgsize)
		msg[0] = '\0';
	while (*p) {
		size_t len;

		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (!*p)
			break;
		len = strcspn(p, " \t,");
		if (out->n == Q_GROUPMAP_MAX) {
			snprintf(msg, msgsize, "more than %d entries", Q_GROUPMAP_MAX);
			return -1;
		}
		if (parse_entry(p, len, &out->e[out->n], msg, msgsize) < 0)
			return -1;
		out->n++;
		p += len;
	}
	return 0;
}

int q_web_groupmap_check(const char *spec)
{
	struct q_groupmap *m = malloc(sizeof(*m));
	char msg[256];
	int rc;

	if (!m)
		return -1;
	rc = q_groupmap_parse(spec, m, msg, sizeof(msg));
	free(m);
	return rc;
}

int q_groupmap_match(const struct q_groupmap_entry *e, const char *group, char sig[40], bool *lead)
{
	size_t gl = strlen(group), pl = strlen(e->prefix), sl = strlen(e->suffix);

	*lead = e->lead;
	if (!e->pattern) {
		if (strcmp(group, e->prefix))
			return 0;
		snprintf(sig, 40, "%s", e->sig);
		return 1;
	}
	if (gl <= pl + sl || gl - pl - sl >= 40 || strncmp(group, e->prefix, pl) ||
	    strcmp(group + gl - sl, e->suffix))
		return 0;
	memcpy(sig, group + pl, gl - pl - sl);
	sig[gl - pl - sl] = '\0';
	return q_name_check(Q_NAME_SIG, "sig", sig, NULL) == 0;
}

int q_groupmap_manages(const struct q_groupmap *m, const char *sig)
{
	for (size_t i = 0; i < m->n; i++)
		if (m->e[i].pattern || !strcmp(m->e[i].sig, sig))
			return 1;
	return 0;
}
