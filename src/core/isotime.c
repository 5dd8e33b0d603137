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

int q_time_parse(const char *s, int64_t *t)
{
	struct tm tm;
	int n = 0;

	memset(&tm, 0, sizeof(tm));
	if (!s)
		return -1;
	if (strlen(s) == 10) {
		if (sscanf(s, "%4d-%2d-%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &n) != 3 ||
		    n != 10)
			return -1;
	} else if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2dZ%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
			  &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6 ||
		   n != 20 || strlen(s) != 20) {
		return -1;
	}
	if (s[4] != '-' || s[7] != '-' || tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 ||
	    tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60 ||
	    tm.tm_year < 1970)
		return -1;
	int mday = tm.tm_mday;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	time_t v = timegm(&tm);
	if (v == (time_t)-1 || tm.tm_mday != mday) /* timegm normalised Feb 30 */
		return -1;
	*t = (int64_t)v;
	return 0;
}
