/*
 * error.h: how Quarry reports failures.
 *
 * A function that can fail returns -1 (or NULL) and fills an optional
 * struct q_error. The message is lowercase, names the subject in quotes and
 * says why: "sig 'foo' not found". One table (error.c) maps each code to an
 * HTTP status, an API code string and a process exit code.
 */
#ifndef Q_ERROR_H
#define Q_ERROR_H

#include <stddef.h>

enum q_code {
	Q_OK = 0,
	Q_EINVAL,    /* bad input from the caller: 400, exit 1 */
	Q_EAUTH,     /* missing or unknown credentials: 401 */
	Q_EPERM,     /* authenticated but not allowed: 403 */
	Q_ENOTFOUND, /* 404 */
	Q_ECONFLICT, /* exists already, or busy: 409 */
	Q_ETOOBIG,   /* over a size limit: 413 */
	Q_EIO,       /* filesystem or external tool failure: 500 */
	Q_EINTERNAL, /* a bug or a library failure: 500 */
	Q_EGONE,     /* existed, removed for good (an expired scratch build's outputs): 410 */
	Q_CODE_COUNT
};

#define Q_ERROR_MSG_MAX 1024

struct q_error {
	enum q_code code;          /* Q_OK when nothing failed */
	char msg[Q_ERROR_MSG_MAX]; /* human-readable, NUL-terminated */
};

/* Fill err (if not NULL) and return -1, so callers can `return q_error_set(...)`. */
int q_error_set(struct q_error *err, enum q_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prefix err->msg with "PREFIX: " (for adding context while propagating). */
void q_error_prefix(struct q_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

void q_error_clear(struct q_error *err);

/*
 * Replace every occurrence of PREFIX (a directory, without a trailing
 * slash) in S by WITH, in place, where PREFIX ends a path component
 * (followed by '/', a quote, white space, ':' or the end). S is NUL-
 * terminated within size bytes; the result is truncated to fit. Clients
 * see names relative to a build, never where the server keeps them.
 * Returns how many occurrences were replaced.
 */
int q_redact_path(char *s, size_t size, const char *prefix, const char *with);

/* The same on err->msg (err may be NULL). */
void q_error_redact(struct q_error *err, const char *prefix, const char *with);

int q_code_http_status(enum q_code code);
const char *q_code_name(enum q_code code); /* "not_found", … */
int q_code_exit(enum q_code code);         /* process exit status */

#endif
