/*
 * isotime.h: the one time format of Quarry's API, CLI and logs: ISO 8601
 * in UTC, to the second ("2026-12-03T15:38:40Z"). A time that is not set
 * (0 in the database) is JSON null in the API and "-" in the CLI.
 */
#ifndef Q_ISOTIME_H
#define Q_ISOTIME_H

#include <jansson.h>
#include <stdint.h>

#define Q_ISO_TIME_LEN 32

/* t (seconds since the epoch) as "YYYY-MM-DDTHH:MM:SSZ"; "" when t <= 0.
 * Returns out. */
char *q_time_iso(int64_t t, char out[Q_ISO_TIME_LEN]);

/* A new JSON value for t: the ISO string, or null when t <= 0. */
json_t *q_json_time(int64_t t);

/* Parse "YYYY-MM-DDTHH:MM:SSZ" (also "YYYY-MM-DD", midnight UTC) into *t.
 * Returns 0, or -1 on anything else (trailing text, a field out of range). */
int q_time_parse(const char *s, int64_t *t);

/* Whether an API JSON member named key holds a time (created, updated,
 * started, finished, testing_since, released, last_seen, …). */
int q_time_key(const char *key);

/*
 * The API's rule, applied where an answer is sent: every member of v, at
 * any depth, whose name q_time_key knows and whose value is an integer
 * (Unix seconds from the database) becomes q_json_time of it (0: null).
 * Strings (times already converted) and other members are left alone.
 */
void q_json_times_iso(json_t *v);

#endif
