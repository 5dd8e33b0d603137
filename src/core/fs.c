/*
 * fs.c: see fs.h.
 */
#include "core/common.h"
#include "core/error.h"
#include "core/fs.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <ftw.h>
#include <libgen.h>
#include <sys/stat.h>

int q_fs_exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

int q_fs_mkdirs(const char *path, mode_t mode, struct q_error *err)
{
	char buf[4096];
	size_t len = strlen(path);

	if (len == 0 || len >= sizeof(buf))
		return q_error_set(err, Q_EINVAL, "path '%s' is empty or too long", path);
	memcpy(buf, path, len + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, mode) < 0 && errno != EEXIST)
			return q_error_set(err, Q_EIO, "cannot create directory '%s': %s", buf,
					   strerror(errno));
		*p = '/';
	}
	if (mkdir(buf, mode) < 0) {
		struct stat st;

		if (errno != EEXIST)
			return q_error_set(err, Q_EIO, "cannot create directory '%s': %s", buf,
					   strerror(errno));
		/* EEXIST says something is there, not that it is a directory */
		if (stat(buf, &st) < 0 || !S_ISDIR(st.st_mode))
			return q_error_set(err, Q_EIO, "cannot create directory '%s': %s", buf,
					   strerror(ENOTDIR));
	}
	return 0;
}

int q_fs_fsync_path(const char *path, struct q_error *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return q_error_set(err, Q_EIO, "cannot open '%s': %s", path, strerror(errno));
	if (fsync(fd) < 0 && errno != EINVAL) {
		int e = errno;
		close(fd);
		return q_error_set(err, Q_EIO, "cannot fsync '%s': %s", path, strerror(e));
	}
	close(fd);
	return 0;
}

int q_fs_syncfs(const char *path, struct q_error *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return q_error_set(err, Q_EIO, "cannot open '%s': %s", path, strerror(errno));
	if (syncfs(fd) < 0) {
		int e = errno;
		close(fd);
		return q_error_set(err, Q_EIO, "cannot sync the filesystem of '%s': %s", path,
				   strerror(e));
	}
	close(fd);
	return 0;
}

int q_fs_fsync_parent(const char *path, struct q_error *err)
{
	char buf[4096];

	if (strlen(path) >= sizeof(buf))
		return q_error_set(err, Q_EINVAL, "path too long");
	snprintf(buf, sizeof(buf), "%s", path);
	return q_fs_fsync_path(dirname(buf), err);
}

static int write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int q_fs_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
		      struct q_error *err)
{
	/* The hub's threads share one pid: the counter keeps two writers of
	 * the same path from sharing (and renaming away) one temporary. */
	static unsigned long counter;
	unsigned long n = __atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED);
	char tmp[4096];
	int fd;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp-%ld-%lu", path, (long)getpid(), n) >=
	    (int)sizeof(tmp))
		return q_error_set(err, Q_EINVAL, "path '%s' too long", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		return q_error_set(err, Q_EIO, "cannot create '%s': %s", tmp, strerror(errno));
	if (write_all(fd, data, len) < 0 || fsync(fd) < 0) {
		int e = errno;
		close(fd);
		unlink(tmp);
		return q_error_set(err, Q_EIO, "cannot write '%s': %s", tmp, strerror(e));
	}
	close(fd);
	if (rename(tmp, path) < 0) {
		int e = errno;
		unlink(tmp);
		return q_error_set(err, Q_EIO, "cannot rename '%s' to '%s': %s", tmp, path,
				   strerror(e));
	}
	return q_fs_fsync_parent(path, err);
}

static int read_file(const char *path, int flags, size_t max, char **out, size_t *len,
		     struct q_error *err)
{
	struct stat st;
	char *buf = NULL;
	size_t got = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC | flags);

	if (fd < 0)
		return q_error_set(err, errno == ENOENT ? Q_ENOTFOUND : Q_EIO,
				   "cannot open '%s': %s", path, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return q_error_set(err, Q_EINVAL, "'%s' is not a regular file", path);
	}
	if ((size_t)st.st_size > max) {
		close(fd);
		return q_error_set(err, Q_ETOOBIG, "'%s' is larger than %zu bytes", path, max);
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		close(fd);
		return q_error_set(err, Q_EINTERNAL, "out of memory reading '%s'", path);
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;
			close(fd);
			free(buf);
			return q_error_set(err, Q_EIO, "cannot read '%s': %s", path, strerror(e));
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	buf[got] = '\0';
	*out = buf;
	if (len)
		*len = got;
	return 0;
}

int q_fs_read_file(const char *path, size_t max, char **out, size_t *len, struct q_error *err)
{
	return read_file(path, 0, max, out, len, err);
}

int q_fs_read_file_nofollow(const char *path, size_t max, char **out, size_t *len,
			    struct q_error *err)
{
	/* O_NONBLOCK: a FIFO put there answers "not a regular file" at once. */
	return read_file(path, O_NOFOLLOW | O_NONBLOCK, max, out, len, err);
}

static int remove_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path) < 0 && errno != ENOENT ? -1 : 0;
}

int q_fs_remove_tree(const char *path, struct q_error *err)
{
	if (!q_fs_exists(path))
		return 0;
	if (nftw(path, remove_cb, 32, FTW_DEPTH | FTW_PHYS) < 0)
		return q_error_set(err, Q_EIO, "cannot remove '%s': %s", path, strerror(errno));
	return 0;
}

int q_fs_copy_file(const char *src, const char *dst, mode_t mode, struct q_error *err)
{
	char buf[65536];
	int in, out;
	ssize_t n;

	in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return q_error_set(err, Q_EIO, "cannot open '%s': %s", src, strerror(errno));
	out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (out < 0) {
		int e = errno;
		close(in);
		return q_error_set(err, Q_EIO, "cannot create '%s': %s", dst, strerror(e));
	}
	while ((n = read(in, buf, sizeof(buf))) > 0) {
		if (write_all(out, buf, (size_t)n) < 0)
			break;
	}
	if (n != 0 || fsync(out) < 0) {
		int e = errno;
		close(in);
		close(out);
		unlink(dst);
		return q_error_set(err, Q_EIO, "cannot copy '%s' to '%s': %s", src, dst,
				   strerror(e));
	}
	close(in);
	close(out);
	return 0;
}

int q_fs_link_or_copy(const char *src, const char *dst, struct q_error *err)
{
	if (link(src, dst) == 0)
		return 0;
	if (errno == EEXIST)
		return 0;
	if (errno != EXDEV && errno != EPERM && errno != EMLINK)
		return q_error_set(err, Q_EIO, "cannot link '%s' to '%s': %s", src, dst,
				   strerror(errno));
	return q_fs_copy_file(src, dst, 0644, err);
}

int q_fs_lock_file(const char *path, struct q_error *err)
{
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);

	if (fd < 0)
		return q_error_set(err, Q_EIO, "cannot open lock '%s': %s", path, strerror(errno));
	while (flock(fd, LOCK_EX) < 0) {
		if (errno == EINTR)
			continue;
		close(fd);
		return q_error_set(err, Q_EIO, "cannot lock '%s': %s", path, strerror(errno));
	}
	return fd;
}
