/*
 * log.c: one line per message on stderr: "TIME LEVEL message".
 */
#include "core/common.h"
#include "core/log.h"

#include <time.h>

enum q_log_level q_log_threshold = Q_LOG_INFO;

void q_log_set_level(enum q_log_level level)
{
	q_log_threshold = level;
}

int q_log_parse_level(const char *s)
{
	static const char *names[] = {"error", "warn", "info", "debug"};

	for (size_t i = 0; i < Q_ARRAY_LEN(names); i++)
		if (strcmp(s, names[i]) == 0)
			return (int)i;
	return -1;
}

void q_log_write(enum q_log_level level, const char *fmt, ...)
{
	static const char *tags[] = {"error", "warn", "info", "debug"};
	char line[2048];
	char ts[32];
	struct tm tm;
	time_t now = time(NULL);
	va_list ap;
	int n;

	gmtime_r(&now, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	n = snprintf(line, sizeof(line), "%s %s ", ts, tags[level]);
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s\n", line);
}
