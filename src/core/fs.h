/*
 * fs.h: filesystem helpers that keep data safe across crashes.
 *
 * q_fs_write_atomic writes to a temporary file in the same directory,
 * fsyncs it, renames it over the target and fsyncs the directory: readers
 * see the old content or the new, never a mix.
 */
#ifndef Q_FS_H
#define Q_FS_H

#include <stddef.h>
#include <sys/types.h>

struct q_error;

/* mkdir -p with the given mode for created directories. */
int q_fs_mkdirs(const char *path, mode_t mode, struct q_error *err);
int q_fs_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
		      struct q_error *err);
/* Read a whole file of at most max bytes; the caller frees *out with free(). */
int q_fs_read_file(const char *path, size_t max, char **out, size_t *len, struct q_error *err);
/* The same for a file a sandboxed step could have replaced (in its work
 * directory): never through a symlink as the last component, nor blocking
 * on a FIFO. */
int q_fs_read_file_nofollow(const char *path, size_t max, char **out, size_t *len,
			    struct q_error *err);
int q_fs_fsync_path(const char *path, struct q_error *err);
/* syncfs(2) on the filesystem that holds path: every file written or linked
 * there so far (by anyone) reaches the disk, with one cache flush instead of
 * one per file. Reports write-back errors of that filesystem. */
int q_fs_syncfs(const char *path, struct q_error *err);
/* fsync the directory that holds path. */
int q_fs_fsync_parent(const char *path, struct q_error *err);
/* rm -rf; missing paths are not an error. */
int q_fs_remove_tree(const char *path, struct q_error *err);
/* Copy src to dst (dst created with mode, fsynced). */
int q_fs_copy_file(const char *src, const char *dst, mode_t mode, struct q_error *err);
/* Hard-link src to dst, copying when linking is impossible (EXDEV). */
int q_fs_link_or_copy(const char *src, const char *dst, struct q_error *err);
int q_fs_exists(const char *path);
/* Open (creating) the lock file path and take an exclusive flock on it,
 * waiting for it; returns the fd (close it to unlock) or -1 with err. */
int q_fs_lock_file(const char *path, struct q_error *err);

#endif
