/*
 * test_fs_hash.c: the filesystem helpers (src/core/fs.c) and digests
 * (src/core/hash.c), in a fresh temporary directory per test.
 *
 * fs: mkdirs (nested, existing, trailing '/', through or onto a regular
 * file, empty and over-long paths); write_atomic (content, mode,
 * overwrite, no temporary left behind, a missing directory, two threads
 * writing the same path at once); read_file (max exactly the size and one
 * less, empty file, NUL bytes, missing file, a directory); remove_tree (a
 * tree with a symlink to a directory outside it, which must survive, a
 * missing path, a single file); copy_file and link_or_copy.
 * hash: known SHA-256/MD5/SHA-1/SHA-512 vectors, file digests equal to
 * buffer digests across the read-buffer boundary, q_random_hex, q_is_hex.
 */
#include "core/common.h"
#include "core/error.h"
#include "core/fs.h"
#include "core/hash.h"

#include <dirent.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/stat.h>

#include <cmocka.h>

struct dir {
	char path[256];
};

static int setup(void **state)
{
	struct dir *d = calloc(1, sizeof(*d));

	if (!d)
		return -1;
	snprintf(d->path, sizeof(d->path), "/tmp/quarry-test-fs-XXXXXX");
	if (!mkdtemp(d->path)) {
		free(d);
		return -1;
	}
	*state = d;
	return 0;
}

static int teardown(void **state)
{
	struct dir *d = *state;

	q_fs_remove_tree(d->path, NULL);
	free(d);
	return 0;
}

static char *pathf(const struct dir *d, const char *rel)
{
	static char buf[4][600];
	static int i;
	char *p = buf[i++ % 4];

	snprintf(p, sizeof(buf[0]), "%s/%s", d->path, rel);
	return p;
}

static void put(const char *path, const char *content)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(content, f);
	fclose(f);
}

static int is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static void test_mkdirs(void **state)
{
	struct dir *d = *state;
	struct q_error err = {0};
	char *longp;

	assert_int_equal(q_fs_mkdirs(pathf(d, "a/b/c"), 0755, &err), 0);
	assert_true(is_dir(pathf(d, "a/b/c")));
	assert_int_equal(q_fs_mkdirs(pathf(d, "a/b/c"), 0755, &err), 0);
	assert_int_equal(q_fs_mkdirs(pathf(d, "a//x/"), 0755, &err), 0);
	assert_true(is_dir(pathf(d, "a/x")));

	put(pathf(d, "file"), "x");
	assert_int_equal(q_fs_mkdirs(pathf(d, "file/sub"), 0755, &err), -1);
	assert_int_equal(err.code, Q_EIO);
	/* the path itself is a regular file: that is not a directory */
	err.code = Q_OK;
	assert_int_equal(q_fs_mkdirs(pathf(d, "file"), 0755, &err), -1);
	assert_int_equal(err.code, Q_EIO);
	assert_non_null(strstr(err.msg, "file"));

	assert_int_equal(q_fs_mkdirs("", 0755, &err), -1);
	assert_int_equal(err.code, Q_EINVAL);
	longp = malloc(5000);
	assert_non_null(longp);
	memset(longp, 'a', 4999);
	longp[4999] = '\0';
	assert_int_equal(q_fs_mkdirs(longp, 0755, &err), -1);
	assert_int_equal(err.code, Q_EINVAL);
	free(longp);
}

static int count_entries(const char *dir)
{
	DIR *dh = opendir(dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(dh);
	while ((e = readdir(dh)) != NULL)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(dh);
	return n;
}

static void test_write_atomic(void **state)
{
	struct dir *d = *state;
	struct q_error err = {0};
	char *buf = NULL;
	size_t len = 0;
	struct stat st;
	mode_t old = umask(022);

	assert_int_equal(q_fs_write_atomic(pathf(d, "f"), "hello", 5, 0640, &err), 0);
	assert_int_equal(stat(pathf(d, "f"), &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640);
	assert_int_equal(q_fs_read_file(pathf(d, "f"), 100, &buf, &len, &err), 0);
	assert_int_equal(len, 5);
	assert_string_equal(buf, "hello");
	free(buf);
	assert_int_equal(q_fs_write_atomic(pathf(d, "f"), "", 0, 0640, &err), 0);
	assert_int_equal(q_fs_read_file(pathf(d, "f"), 100, &buf, &len, &err), 0);
	assert_int_equal(len, 0);
	free(buf);
	assert_int_equal(count_entries(d->path), 1); /* no temporary left */

	assert_int_equal(q_fs_write_atomic(pathf(d, "missing/f"), "x", 1, 0644, &err), -1);
	assert_int_equal(err.code, Q_EIO);
	assert_int_equal(count_entries(d->path), 1);
	umask(old);
}

struct writer {
	const char *path;
	char byte;
	int failures;
};

#define WRITER_ROUNDS 300
#define WRITER_SIZE 8192

static void *writer_main(void *arg)
{
	struct writer *w = arg;
	char data[WRITER_SIZE];
	struct q_error err;

	memset(data, w->byte, sizeof(data));
	for (int i = 0; i < WRITER_ROUNDS; i++)
		if (q_fs_write_atomic(w->path, data, sizeof(data), 0644, &err) < 0)
			w->failures++;
	return NULL;
}

/* The hub runs several threads in one process: two of them writing the
 * same path must each succeed and leave one whole version. */
static void test_write_atomic_threads(void **state)
{
	struct dir *d = *state;
	struct writer w[2] = {{pathf(d, "shared"), 'a', 0}, {pathf(d, "shared"), 'b', 0}};
	pthread_t t[2];
	char *buf;
	size_t len;

	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&t[i], NULL, writer_main, &w[i]), 0);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(w[0].failures, 0);
	assert_int_equal(w[1].failures, 0);
	assert_int_equal(q_fs_read_file(pathf(d, "shared"), 1 << 20, &buf, &len, NULL), 0);
	assert_int_equal(len, WRITER_SIZE);
	for (size_t i = 1; i < len; i++)
		assert_int_equal(buf[i], buf[0]);
	free(buf);
	assert_int_equal(count_entries(d->path), 1);
}

/* What a sandboxed step may leave in its workdir: a symlink, a FIFO. */
static void test_read_file_nofollow(void **state)
{
	struct dir *d = *state;
	struct q_error err = {0};
	char *buf = NULL;
	size_t len = 0;

	put(pathf(d, "real"), "real");
	assert_int_equal(symlink(pathf(d, "real"), pathf(d, "link")), 0);
	/* The control: the plain read follows the link. */
	assert_int_equal(q_fs_read_file(pathf(d, "link"), 100, &buf, &len, &err), 0);
	free(buf);
	assert_int_equal(q_fs_read_file_nofollow(pathf(d, "link"), 100, &buf, &len, &err), -1);
	assert_int_equal(q_fs_read_file_nofollow(pathf(d, "real"), 100, &buf, &len, &err), 0);
	assert_string_equal(buf, "real");
	free(buf);
	assert_int_equal(mkfifo(pathf(d, "fifo"), 0644), 0);
	assert_int_equal(q_fs_read_file_nofollow(pathf(d, "fifo"), 100, &buf, &len, &err), -1);
	assert_int_equal(err.code, Q_EINVAL);
}

static void test_read_file(void **state)
{
	struct dir *d = *state;
	struct q_error err = {0};
	char *buf = NULL;
	size_t len = 0;

	put(pathf(d, "ten"), "0123456789");
	assert_int_equal(q_fs_read_file(pathf(d, "ten"), 10, &buf, &len, &err), 0);
	assert_int_equal(len, 10);
	assert_int_equal(buf[10], '\0');
	free(buf);
	assert_int_equal(q_fs_read_file(pathf(d, "ten"), 9, &buf, &len, &err), -1);
	assert_int_equal(err.code, Q_ETOOBIG);
	assert_int_equal(q_fs_read_file(pathf(d, "ten"), 10, &buf, NULL, &err), 0);
	free(buf);

	put(pathf(d, "empty"), "");
	assert_int_equal(q_fs_read_file(pathf(d, "empty"), 0, &buf, &len, &err), 0);
	assert_int_equal(len, 0);
	assert_string_equal(buf, "");
	free(buf);

	assert_int_equal(q_fs_write_atomic(pathf(d, "nul"), "a\0b", 3, 0644, &err), 0);
	assert_int_equal(q_fs_read_file(pathf(d, "nul"), 3, &buf, &len, &err), 0);
	assert_int_equal(len, 3);
	assert_memory_equal(buf, "a\0b", 4);
	free(buf);

	assert_int_equal(q_fs_read_file(pathf(d, "nope"), 10, &buf, &len, &err), -1);
	assert_int_equal(err.code, Q_ENOTFOUND);
	assert_int_equal(q_fs_read_file(d->path, 1 << 20, &buf, &len, &err), -1);
	assert_int_equal(err.code, Q_EINVAL);
}

static void test_remove_tree(void **state)
{
	struct dir *d = *state;
	struct q_error err = {0};
	char outside[300];

	assert_int_equal(q_fs_mkdirs(pathf(d, "t/a/b"), 0755, NULL), 0);
	assert_int_equal(q_fs_mkdirs(pathf(d, "keep"), 0755, NULL), 0);
	put(pathf(d, "keep/precious"), "x");
	put(pathf(d, "t/a/b/f"), "x");
	put(pathf(d, "t/g"), "x");
	snprintf(outside, sizeof(outside), "%s", pathf(d, "keep"));
	assert_int_equal(symlink(outside, pathf(d, "t/a/link")), 0);
	assert_int_equal(symlink("/nonexistent", pathf(d, "t/dangling")), 0);

	assert_int_equal(q_fs_remove_tree(pathf(d, "t"), &err), 0);
	assert_false(q_fs_exists(pathf(d, "t")));
	assert_true(q_fs_exists(pathf(d, "keep/precious")));

	assert_int_equal(q_fs_remove_tree(pathf(d, "t"), &err), 0); /* missing */
	assert_int_equal(q_fs_remove_tree(pathf(d, "keep/precious"), &err), 0);
	assert_false(q_fs_exists(pathf(d, "keep/precious")));

	/* a symlink given as the root is removed, not followed */
	put(pathf(d, "keep/precious"), "x");
	assert_int_equal(symlink(outside, pathf(d, "rootlink")), 0);
	assert_int_equal(q_fs_remove_tree(pathf(d, "rootlink"), &err), 0);
	assert_false(q_fs_exists(pathf(d, "rootlink")));
	assert_true(q_fs_exists(pathf(d, "keep/precious")));
}

static void test_copy_and_link(void **state)
{
	struct dir *d = *state;
	struct q_error err = {0};
	struct stat a, b;
	char *buf;
	size_t len;

	put(pathf(d, "src"), "payload");
	assert_int_equal(q_fs_copy_file(pathf(d, "src"), pathf(d, "copy"), 0600, &err), 0);
	assert_int_equal(q_fs_read_file(pathf(d, "copy"), 100, &buf, &len, &err), 0);
	assert_string_equal(buf, "payload");
	free(buf);
	assert_int_equal(q_fs_copy_file(pathf(d, "nope"), pathf(d, "copy2"), 0600, &err), -1);
	assert_int_equal(err.code, Q_EIO);
	assert_false(q_fs_exists(pathf(d, "copy2")));

	assert_int_equal(q_fs_link_or_copy(pathf(d, "src"), pathf(d, "link"), &err), 0);
	assert_int_equal(stat(pathf(d, "src"), &a), 0);
	assert_int_equal(stat(pathf(d, "link"), &b), 0);
	assert_int_equal(a.st_ino, b.st_ino);
	assert_int_equal(q_fs_link_or_copy(pathf(d, "src"), pathf(d, "link"), &err), 0);
	assert_int_equal(q_fs_link_or_copy(pathf(d, "nope"), pathf(d, "l2"), &err), -1);
}

/* --- hashes --- */

static void test_known_vectors(void **state)
{
	char hex[Q_SHA256_HEX];
	struct q_digests dg;

	(void)state;
	q_hash_sha256_buf("", 0, hex);
	assert_string_equal(hex,
			    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	q_hash_sha256_buf("abc", 3, hex);
	assert_string_equal(hex,
			    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	q_hash_digests_buf("abc", 3, &dg);
	assert_string_equal(dg.md5, "900150983cd24fb0d6963f7d28e17f72");
	assert_string_equal(dg.sha1, "a9993e364706816aba3e25717850c26c9cd0d89d");
	assert_string_equal(dg.sha256,
			    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	assert_string_equal(dg.sha512,
			    "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
			    "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
}

static void test_file_digests(void **state)
{
	struct dir *d = *state;
	struct q_error err = {0};
	static const size_t sizes[] = {0, 1, 65535, 65536, 65537, 200001};
	char hex[Q_SHA256_HEX], fhex[Q_SHA256_HEX];
	struct q_digests a, b;
	size_t got;
	char *data = malloc(200001);

	assert_non_null(data);
	for (size_t i = 0; i < 200001; i++)
		data[i] = (char)(i * 31 + 7);
	for (size_t i = 0; i < Q_ARRAY_LEN(sizes); i++) {
		assert_int_equal(q_fs_write_atomic(pathf(d, "h"), data, sizes[i], 0644, &err), 0);
		q_hash_sha256_buf(data, sizes[i], hex);
		assert_int_equal(q_hash_sha256_file(pathf(d, "h"), fhex, &err), 0);
		assert_string_equal(hex, fhex);
		q_hash_digests_buf(data, sizes[i], &a);
		got = 12345;
		assert_int_equal(q_hash_digests_file(pathf(d, "h"), &b, &got, &err), 0);
		assert_int_equal(got, sizes[i]);
		assert_memory_equal(&a, &b, sizeof(a));
	}
	free(data);
	assert_int_equal(q_hash_sha256_file(pathf(d, "nope"), fhex, &err), -1);
	assert_int_equal(err.code, Q_EIO);
	assert_int_equal(q_hash_digests_file(pathf(d, "nope"), &b, NULL, &err), -1);
	assert_int_equal(q_hash_sha256_file(d->path, fhex, &err), -1); /* a directory */
}

static void test_random_and_is_hex(void **state)
{
	char a[2 * 256 + 1], b[65];

	(void)state;
	assert_int_equal(q_random_hex(b, 32), 0);
	assert_true(q_is_hex(b, 64));
	assert_int_equal(q_random_hex(a, 32), 0);
	assert_string_not_equal(a, b);
	assert_int_equal(q_random_hex(a, 256), 0);
	assert_true(q_is_hex(a, 512));
	assert_int_equal(q_random_hex(a, 257), -1);
	assert_int_equal(q_random_hex(a, 0), 0);
	assert_string_equal(a, "");

	assert_true(q_is_hex("0123456789abcdef", 16));
	assert_true(q_is_hex("", 0));
	assert_false(q_is_hex("0123456789ABCDEF", 16));
	assert_false(q_is_hex("abcd", 3)); /* longer than len */
	assert_false(q_is_hex("ab", 3));   /* shorter */
	assert_false(q_is_hex("abg", 3));
	assert_false(q_is_hex("a b", 3));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_mkdirs, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_write_atomic, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_write_atomic_threads, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_read_file, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_read_file_nofollow, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_remove_tree, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_copy_and_link, setup, teardown),
	    cmocka_unit_test(test_known_vectors),
	    cmocka_unit_test_setup_teardown(test_file_digests, setup, teardown),
	    cmocka_unit_test(test_random_and_is_hex),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
