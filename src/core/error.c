/*
 * error.c: the error type and the one table from codes to HTTP statuses,
 * API code names and exit codes.
 */
#include "core/common.h"
#include "core/error.h"

#include <glib.h>

static const struct {
	int http;
	const char *name;
	int exit_code;
} code_table[Q_CODE_COUNT] = {
    [Q_OK] = {200, "ok", 0},
    [Q_EINVAL] = {400, "invalid", 1},
    [Q_EAUTH] = {401, "unauthorized", 1},
    [Q_EPERM] = {403, "forbidden", 1},
    [Q_ENOTFOUND] = {404, "not_found", 1},
    [Q_ECONFLICT] = {409, "conflict", 1},
    [Q_ETOOBIG] = {413, "too_large", 1},
    [Q_EIO] = {500, "io_error", 1},
    [Q_EINTERNAL] = {500, "internal", 1},
    [Q_EGONE] = {410, "gone", 1},
};

int q_error_set(struct q_error *err, enum q_code code, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return -1;
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return -1;
}

void q_error_prefix(struct q_error *err, const char *fmt, ...)
{
	char prefix[Q_ERROR_MSG_MAX];
	char old[Q_ERROR_MSG_MAX];
	va_list ap;

	if (!err)
		return;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof(old));
	g_snprintf(err->msg, sizeof(err->msg), "%s: %s", prefix, old);
}

void q_error_clear(struct q_error *err)
{
	if (!err)
		return;
	err->code = Q_OK;
	err->msg[0] = '\0';
}

int q_code_http_status(enum q_code code)
{
	if ((unsigned)code >= Q_CODE_COUNT)
		return 500;
	return code_table[code].http;
}

const char *q_code_name(enum q_code code)
{
	if ((unsigned)code >= Q_CODE_COUNT)
		return "internal";
	return code_table[code].name;
}

int q_code_exit(enum q_code code)
{
	if ((unsigned)code >= Q_CODE_COUNT)
		return 1;
	return code_table[code].exit_code;
}

static int path_end(char c)
{
	return c == '\0' || c == '/' || c == '\'' || c == '"' || c == ':' || c == ' ' ||
	       c == '\t' || c == '\n' || c == '\r' || c == ')' || c == ',' || c == ';';
}

int q_redact_path(char *s, size_t size, const char *prefix, const char *with)
{
	size_t pl = prefix ? strlen(prefix) : 0, wl0 = with ? strlen(with) : 0, len, at = 0;
	int n = 0;

	while (pl > 1 && prefix[pl - 1] == '/')
		pl--;
	if (!s || size == 0 || pl < 2)
		return 0;
	len = strnlen(s, size - 1);
	s[len] = '\0';
	while (at + pl <= len) {
		size_t wl = wl0, tail;

		if (memcmp(s + at, prefix, pl) != 0 || !path_end(s[at + pl])) {
			at++;
			continue;
		}
		if (at + wl > size - 1)
			wl = size - 1 - at;
		tail = len - at - pl; /* bytes after the prefix */
		if (at + wl + tail > size - 1)
			tail = size - 1 - at - wl;
		memmove(s + at + wl, s + at + pl, tail);
		memcpy(s + at, with, wl);
		len = at + wl + tail;
		s[len] = '\0';
		at += wl;
		n++;
	}
	return n;
}

void q_error_redact(struct q_error *err, const char *prefix, const char *with)
{
	if (err)
		q_redact_path(err->msg, sizeof(err->msg), prefix, with);
}
