/*
 * isotime.c: ISO 8601 UTC times (see isotime.h).
 */
#include "core/isotime.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

char *q_time_iso(int64_t t, char out[Q_ISO_TIME_LEN])
{
	time_t tt = (time_t)t;
	struct tm tm;

	out[0] = '\0';
	if (t <= 0 || !gmtime_r(&tt, &tm) ||
	    !strftime(out, Q_ISO_TIME_LEN, "%Y-%m-%dT%H:%M:%SZ", &tm))
		out[0] = '\0';
	return out;
}

json_t *q_json_time(int64_t t)
{
	char buf[Q_ISO_TIME_LEN];

	if (!q_time_iso(t, buf)[0])
		return json_null();
	return json_string(buf);
}

/* The number in s[at, at+n), which must be n ASCII digits; -1 otherwise.
 * (sscanf's %d would also take a sign or spaces: "2026-+1-03".) */
static int digits(const char *s, size_t at, size_t n)
{
	int v = 0;

	for (size_t i = at; i < at + n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

int q_time_parse(const char *s, int64_t *t)
{
	struct tm tm;
	size_t len;
	time_t v;
	int mday;

	if (!s)
		return -1;
	len = strlen(s);
	if (len != 10 && len != 20)
		return -1;
	if (s[4] != '-' || s[7] != '-')
		return -1;
	if (len == 20 && (s[10] != 'T' || s[13] != ':' || s[16] != ':' || s[19] != 'Z'))
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = digits(s, 0, 4);
	tm.tm_mon = digits(s, 5, 2);
	tm.tm_mday = digits(s, 8, 2);
	if (len == 20) {
		tm.tm_hour = digits(s, 11, 2);
		tm.tm_min = digits(s, 14, 2);
		tm.tm_sec = digits(s, 17, 2);
	}
	if (tm.tm_year < 1970 || tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 ||
	    tm.tm_mday > 31 || tm.tm_hour < 0 || tm.tm_hour > 23 || tm.tm_min < 0 ||
	    tm.tm_min > 59 || tm.tm_sec < 0 || tm.tm_sec > 60)
		return -1;
	mday = tm.tm_mday;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	v = timegm(&tm);
	if (v == (time_t)-1 || tm.tm_mday != mday) /* timegm normalised Feb 30 */
		return -1;
	*t = (int64_t)v;
	return 0;
}

/* The time members of the API's objects: the database's time columns. */
static const char *const time_keys[] = {
    "added",      "created",   "expired",       "expires",     "finished",     "last_check",
    "last_crawl", "last_seen", "last_success",  "lease_until", "newest_since", "released",
    "retired",    "started",   "testing_since", "time",        "updated",
};

int q_time_key(const char *key)
{
	for (size_t i = 0; i < sizeof(time_keys) / sizeof(time_keys[0]); i++)
		if (!strcmp(key, time_keys[i]))
			return 1;
	return 0;
}

void q_json_times_iso(json_t *v)
{
	const char *key;
	json_t *item;
	size_t i;

	if (json_is_array(v)) {
		json_array_foreach (v, i, item)
			q_json_times_iso(item);
	} else if (json_is_object(v)) {
		json_object_foreach (v, key, item) {
			if (json_is_integer(item) && q_time_key(key))
				json_object_set_new(v, key, q_json_time(json_integer_value(item)));
			else
				q_json_times_iso(item);
		}
	}
}
