/*
 * advisory.h: checking what a client says about an update's advisory
 * (type, severity, title, notes, references) before it is stored and
 * published in updateinfo.xml (api/advisory.c). Everything here reads
 * untrusted input (request bodies): tests/fuzz/fuzz_advisory.c.
 */
#ifndef Q_API_ADVISORY_H
#define Q_API_ADVISORY_H

#include <jansson.h>

struct q_error;

#define Q_ADV_TITLE_MAX 200 /* bytes of a title (the update's, a reference's) */
#define Q_ADV_NOTES_MAX 10000
#define Q_ADV_REFS_MAX 50  /* references of one update */
#define Q_ADV_URL_MAX 2000 /* bytes of a reference's URL */
#define Q_ADV_ID_MAX 100   /* bytes of a reference's id */

/*
 * One reference, as a client gives it, to its stored form {"type","id",
 * "url","title"} (every value a string, "" when none). in is either
 *  - a string: a CVE id ("CVE-2026-12345": type cve, url its cve.org
 *    record), a Bugzilla URL (".../show_bug.cgi?id=N": type bugzilla, id
 *    N) or another http(s) URL (type url); or
 *  - an object {"type": "bugzilla"|"cve"|"url", "id", "url", "title"}:
 *    cve needs an id of the form CVE-YYYY-NNNN (4 or more digits), and an
 *    http(s) url if any; bugzilla and url need an http(s) url, a
 *    bugzilla id is digits (taken from the URL's id= when not given).
 * where names the field in messages ("references[2]"). Strings are
 * bounded (Q_ADV_*) and have no control characters. *out is a new
 * reference (json_decref). Returns 0, or -1 with err (Q_EINVAL).
 */
int q_advisory_ref(json_t *in, const char *where, json_t **out, struct q_error *err);

/*
 * The advisory fields of body (a create or PATCH request), checked and
 * normalised into *out (a new object holding only the fields to store:
 * "type", "severity", "title", "notes", "references"). current: the
 * update as stored ("type" and "severity"), or NULL on create (type
 * bugfix, no severity). Rules: type is bugfix, security, enhancement or
 * newpackage; severity (Low, Moderate, Important, Critical; any case) is
 * required once the type is security and refused for other types (a
 * change of type away from security clears it); title is one line of at
 * most Q_ADV_TITLE_MAX bytes; notes at most Q_ADV_NOTES_MAX bytes, no
 * control characters but tab and newline; references (a list, at most
 * Q_ADV_REFS_MAX, duplicates dropped) as q_advisory_ref. With strict,
 * any other field is refused (PATCH), and an empty change too. Returns 0,
 * or -1 with err naming the field.
 */
int q_advisory_fields(json_t *body, json_t *current, int strict, json_t **out, struct q_error *err);

#endif
