/*
 * log.h: leveled logging to stderr. The level is checked before the
 * message is formatted, so debug calls cost nothing when disabled.
 */
#ifndef Q_LOG_H
#define Q_LOG_H

enum q_log_level { Q_LOG_ERROR = 0, Q_LOG_WARN, Q_LOG_INFO, Q_LOG_DEBUG };

extern enum q_log_level q_log_threshold;

void q_log_set_level(enum q_log_level level);
/* Parse "error", "warn", "info", "debug"; -1 if unknown. */
int q_log_parse_level(const char *s);
void q_log_write(enum q_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define q_log(level, ...)                                                                          \
	do {                                                                                       \
		if ((level) <= q_log_threshold)                                                    \
			q_log_write((level), __VA_ARGS__);                                         \
	} while (0)
#define q_err(...) q_log(Q_LOG_ERROR, __VA_ARGS__)
#define q_warn(...) q_log(Q_LOG_WARN, __VA_ARGS__)
#define q_info(...) q_log(Q_LOG_INFO, __VA_ARGS__)
#define q_debug(...) q_log(Q_LOG_DEBUG, __VA_ARGS__)

#endif
