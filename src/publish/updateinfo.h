/*
 * updateinfo.h: the updateinfo.xml of a repo (advisories that dnf reads
 * for `dnf updateinfo`, `dnf upgrade --advisory=ID`, `--security`, `--cve`,
 * `--bz`), made with createrepo_c's updateinfo API.
 *
 * The input is JSON (what the store reads, see q_store_repo_advisories):
 *   [{"advisory": "CLOUD-9-2026-0001",          the <id>
 *     "type": "bugfix|security|enhancement|newpackage",
 *     "severity": "Low|Moderate|Important|Critical" or "" (security only),
 *     "title": "...",                            "" uses "default_title"
 *     "default_title": "...",                    the builds' NEVRs
 *     "notes": "...",                            the <description>
 *     "status": "testing|stable",
 *     "issued": SECONDS, "updated": SECONDS,     since the epoch, UTC
 *     "references": [{"type": "bugzilla|cve|url", "id", "url", "title"}],
 *     "packages": [{"name","epoch","version","release","arch","filename",
 *                   "sha256","src"}]}]
 * Advisories without packages are left out (nothing of theirs is in the
 * repo for that arch). A reference of type "url" is written as type
 * "other" (dnf knows "bugzilla", "cve" and "vendor"; anything else is a
 * plain link). Dates are "YYYY-MM-DD HH:MM:SS" in UTC, as Bodhi writes them.
 */
#ifndef Q_UPDATEINFO_H
#define Q_UPDATEINFO_H

#include <jansson.h>

struct q_error;

/*
 * *xml gets the document (g_free it), or NULL when no advisory has a
 * package (no updateinfo.xml then). coll_short / coll_name name the
 * package collection (the repo). Returns 0, or -1 with err on a malformed
 * input or a createrepo_c failure.
 */
int q_updateinfo_xml(json_t *advisories, const char *coll_short, const char *coll_name, char **xml,
		     struct q_error *err);

#endif
