/*
 * crawl_rsync.h: internals of the rsync side of the crawl engine
 * (crawl_rsync.c), exposed for the unit test and the fuzz target.
 */
#ifndef Q_MIRROR_CRAWL_RSYNC_H
#define Q_MIRROR_CRAWL_RSYNC_H

#include <stddef.h>
#include <stdint.h>

/*
 * Whether url is an rsync URL the crawler may hand to the rsync client:
 * "rsync://", a host that does not start with '-', then "/MODULE…"; no
 * byte below 0x21 or 0x7f, no backslash and no wildcard (* ? [), which the
 * daemon would expand. Returns NULL when it is, else why not (static).
 */
const char *q_crawl_rsync_url_problem(const char *url);

/*
 * One line of `rsync --list-only --no-h` output: "PERMS SIZE DATE TIME
 * PATH". For a regular file, fills *size and path (unescaped: rsync writes
 * unusual bytes as \#ooo) and returns 1; 0 for a directory, a link or any
 * other line (a message). line is NUL-terminated without its newline.
 */
int q_crawl_rsync_parse_list_line(const char *line, int64_t *size, char *path, size_t path_size);

#endif
