/*
 * router.h: turning an untrusted request target into checked pieces.
 *
 * These functions are pure (no I/O) and bounded, so they are unit-tested
 * and fuzzed (tests/fuzz/fuzz_router.c). A path is split on '/', each
 * segment percent-decoded; a segment that decodes to '/', NUL or an invalid
 * escape is refused, as is a path of too many or too long segments.
 */
#ifndef Q_ROUTER_H
#define Q_ROUTER_H

#include <stddef.h>

struct q_error;

#define Q_ROUTE_MAX_SEGS 16
#define Q_ROUTE_SEG_MAX 256

struct q_path {
	size_t n;                                    /* number of segments */
	char seg[Q_ROUTE_MAX_SEGS][Q_ROUTE_SEG_MAX]; /* decoded, NUL-terminated */
};

/* Decode %XX escapes of src[0..len) into dst (at most dstsize-1 bytes).
 * plus_is_space for query strings. Returns decoded length or -1. */
long q_url_decode(const char *src, size_t len, char *dst, size_t dstsize, int plus_is_space);

/* Split the path part of a target (stop at '?'). Empty segments (a
 * trailing '/' or '//') are skipped. */
int q_path_split(const char *target, size_t len, struct q_path *out, struct q_error *err);

/*
 * Classify a path for a static file tree (the path part only, no query):
 * Q_PATH_BAD when it has a NUL (raw or %00) or a malformed %-escape;
 * Q_PATH_HIDDEN when a segment, once %-decoded (either case of hex digits),
 * starts with '.' and is neither "." nor ".."; else Q_PATH_OK. Empty
 * segments ("//") count for nothing.
 */
enum q_path_class { Q_PATH_OK, Q_PATH_HIDDEN, Q_PATH_BAD };
enum q_path_class q_path_classify(const char *path, size_t len);

/*
 * Match a split path against a pattern like "api/v1/sigs/ * /projects"
 * (written with '*' segments); fills caps with pointers to the captured
 * segments. Returns 1 on a match.
 */
int q_path_match(const struct q_path *p, const char *pattern, const char **caps, size_t maxcaps);

/*
 * Find key in a query string (without '?'); decode its value into out.
 * Returns 1 when found, 0 when absent, -1 when the value is malformed
 * (bad escape, NUL, too long) — err says which parameter.
 */
int q_query_get(const char *query, size_t len, const char *key, char *out, size_t outsize,
		struct q_error *err);

#endif
