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
