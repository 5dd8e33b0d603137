/*
 * test_sign.c: the signer (src/sign): key generation in a fresh home,
 * public export, detached signatures of repomd.xml checked by the real gpg
 * with a keyring that holds only the exported public key, bad input,
 * threads; the message framing (proto.h) with hostile headers; what
 * sign-detached accepts (only repomd.xml); RPM signing checked by
 * rpmkeys with only the exported key in a fresh rpmdb; rotation; the
 * socket mode against a listening signer (q_sign_listen_loop), a signer
 * that is gone and one that never answers.
 */
#include "core/common.h"
#include "core/error.h"
#include "core/fs.h"
#include "sign/proto.h"
#include "sign/server.h"
#include "sign/sign.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <setjmp.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include <cmocka.h>

static char tmp[256];       /* this run's directory */
static char keydir[300];    /* the signer's home */
static char verifydir[300]; /* a gpg home with only the public key */
static char fpr[80];        /* the key made by test_keygen */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	rc = system(cmd);
	return rc == -1 ? -1 : WEXITSTATUS(rc);
}

static void write_file(const char *path, const char *text)
{
	struct q_error err = {0};

	assert_int_equal(q_fs_write_atomic(path, text, strlen(text), 0644, &err), 0);
}

/* What createrepo_c writes, shortened. */
static const char repomd_doc[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
				 "<repomd xmlns=\"http://linux.duke.edu/metadata/repo\" "
				 "xmlns:rpm=\"http://linux.duke.edu/metadata/rpm\">\n"
				 "  <revision>1795303428</revision>\n"
				 "  <data type=\"primary\">\n"
				 "    <checksum type=\"sha256\">0123</checksum>\n"
				 "    <location href=\"repodata/primary.xml.gz\"/>\n"
				 "  </data>\n"
				 "</repomd>\n";

static int setup(void **state)
{
	(void)state;
	snprintf(tmp, sizeof(tmp), "/tmp/quarry-test-sign-XXXXXX");
	if (!mkdtemp(tmp))
		return -1;
	snprintf(keydir, sizeof(keydir), "%s/keys", tmp);
	snprintf(verifydir, sizeof(verifydir), "%s/verify", tmp);
	return mkdir(verifydir, 0700);
}

static int teardown(void **state)
{
	struct q_error err = {0};

	(void)state;
	q_signer_shutdown_agent(keydir);
	q_signer_shutdown_agent(verifydir);
	q_fs_remove_tree(tmp, &err);
	return 0;
}

static void test_keygen(void **state)
{
	struct q_error err = {0};
	struct q_signer *s;
	struct stat st;
	char *f = NULL;
	double t;

	(void)state;
	s = q_signer_open(keydir, &err);
	assert_non_null(s);
	assert_int_equal(stat(keydir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);

	t = now_s();
	assert_int_equal(
	    q_signer_keygen(s, "Quarry Test SIG", "sig-test@example.org", "rsa2048", &f, &err), 0);
	print_message("rsa2048 keygen: %.2fs\n", now_s() - t);
	assert_int_equal(strlen(f), 40);
	for (const char *p = f; *p; p++)
		assert_true((*p >= '0' && *p <= '9') || (*p >= 'A' && *p <= 'F'));
	snprintf(fpr, sizeof(fpr), "%s", f);
	free(f);
	q_signer_close(s);
}

static void test_keygen_timing(void **state)
{
	static const char *algos[] = {"rsa3072", "ed25519"};
	struct q_error err = {0};
	struct q_signer *s;
	char *f = NULL;

	(void)state;
	s = q_signer_open(keydir, &err);
	assert_non_null(s);
	for (size_t i = 0; i < Q_ARRAY_LEN(algos); i++) {
		double t = now_s();

		char uid[64];

		snprintf(uid, sizeof(uid), "Timing %s", algos[i]);
		if (q_signer_keygen(s, uid, "timing@example.org", algos[i], &f, &err) < 0)
			print_message("%s\n", err.msg);
		assert_non_null(f);
		print_message("%s keygen: %.2fs\n", algos[i], now_s() - t);
		free(f);
		f = NULL;
	}
	q_signer_close(s);
}

static void test_export_and_verify(void **state)
{
	struct q_error err = {0};
	struct q_signer *s;
	char *pub = NULL, path[512], sig[512], pubpath[512];
	size_t len = 0;

	(void)state;
	assert_true(fpr[0]);
	s = q_signer_open(keydir, &err);
	assert_non_null(s);
	assert_int_equal(q_signer_export_public(s, fpr, &pub, &len, &err), 0);
	assert_int_equal(strlen(pub), len);
	assert_non_null(strstr(pub, "-----BEGIN PGP PUBLIC KEY BLOCK-----"));
	assert_null(strstr(pub, "PRIVATE"));

	snprintf(pubpath, sizeof(pubpath), "%s/pub.asc", tmp);
	write_file(pubpath, pub);
	snprintf(path, sizeof(path), "%s/repomd.xml", tmp);
	write_file(path, repomd_doc);
	snprintf(sig, sizeof(sig), "%s/repomd.xml.asc", tmp);
	assert_int_equal(q_signer_sign_detached(s, fpr, path, sig, &err), 0);

	assert_int_equal(
	    sh("gpg --homedir '%s' --batch --quiet --import '%s' 2>/dev/null", verifydir, pubpath),
	    0);
	/* The verifying keyring has no secret key: only the export went there. */
	assert_int_not_equal(
	    sh("gpg --homedir '%s' --batch --list-secret-keys 2>/dev/null | grep -q sec",
	       verifydir),
	    0);
	assert_int_equal(
	    sh("gpg --homedir '%s' --batch --verify '%s' '%s' 2>/dev/null", verifydir, sig, path),
	    0);
	/* A changed file does not verify. */
	{
		char *t = strdup(repomd_doc);

		t[strlen(t) - 12] = 'X'; /* inside the last line */
		write_file(path, t);
		free(t);
	}
	assert_int_not_equal(
	    sh("gpg --homedir '%s' --batch --verify '%s' '%s' 2>/dev/null", verifydir, sig, path),
	    0);
	free(pub);
	q_signer_close(s);
}

static void test_bad_input(void **state)
{
	struct q_error err = {0};
	struct q_signer *s;
	char *out = NULL, path[512], sig[512];
	const char *unknown = "0123456789ABCDEF0123456789ABCDEF01234567";

	(void)state;
	s = q_signer_open(keydir, &err);
	assert_non_null(s);
	assert_int_equal(q_signer_keygen(s, "Evil <x>", "a@b", "rsa2048", &out, &err), -1);
	assert_int_equal(err.code, Q_EINVAL);
	assert_null(out);
	assert_int_equal(q_signer_keygen(s, "Name", "nobody", "rsa2048", &out, &err), -1);
	assert_int_equal(err.code, Q_EINVAL);
	assert_int_equal(q_signer_keygen(s, "Name", "a@b.org", "rsa2048 --foo", &out, &err), -1);
	assert_int_equal(err.code, Q_EINVAL);
	assert_int_equal(q_signer_keygen(s, "Name", "a@b.org", "nosuchalgo", &out, &err), -1);
	assert_null(out);
	/* A second key with the same user id (a retried SIG creation) is a new key. */
	assert_int_equal(
	    q_signer_keygen(s, "Quarry Test SIG", "sig-test@example.org", "ed25519", &out, &err),
	    0);
	assert_string_not_equal(out, fpr);
	free(out);
	out = NULL;

	assert_int_equal(q_signer_export_public(s, unknown, &out, NULL, &err), -1);
	assert_int_equal(err.code, Q_ENOTFOUND);
	assert_int_equal(q_signer_export_public(s, "not-a-fingerprint", &out, NULL, &err), -1);
	assert_int_equal(err.code, Q_EINVAL);

	snprintf(path, sizeof(path), "%s/data", tmp);
	write_file(path, repomd_doc);
	snprintf(sig, sizeof(sig), "%s/data.asc", tmp);
	assert_int_equal(q_signer_sign_detached(s, unknown, path, sig, &err), -1);
	assert_int_equal(err.code, Q_ENOTFOUND);
	assert_false(q_fs_exists(sig));
	snprintf(path, sizeof(path), "%s/missing", tmp);
	assert_int_equal(q_signer_sign_detached(s, fpr, path, sig, &err), -1);
	assert_int_equal(err.code, Q_EIO);
	assert_non_null(strstr(err.msg, "'"));
	q_signer_close(s);
}

struct sign_job {
	struct q_signer *s;
	int id;
	int ok;
};

static void *sign_thread(void *arg)
{
	struct sign_job *j = arg;
	struct q_error err = {0};
	char path[512], sig[512], text[sizeof(repomd_doc) + 64];

	snprintf(path, sizeof(path), "%s/t%d", tmp, j->id);
	snprintf(sig, sizeof(sig), "%s/t%d.asc", tmp, j->id);
	snprintf(text, sizeof(text), "%.*s<!-- thread %d -->\n</repomd>\n",
		 (int)(sizeof(repomd_doc) - 1 - strlen("</repomd>\n")), repomd_doc, j->id);
	if (q_fs_write_atomic(path, text, strlen(text), 0644, &err) < 0)
		return NULL;
	j->ok = 1;
	for (int i = 0; i < 3 && j->ok; i++)
		j->ok = q_signer_sign_detached(j->s, fpr, path, sig, &err) == 0;
	return NULL;
}

static void test_threads(void **state)
{
	struct sign_job jobs[4];
	pthread_t t[4];
	struct q_error err = {0};
	struct q_signer *s;

	(void)state;
	s = q_signer_open(keydir, &err);
	assert_non_null(s);
	for (int i = 0; i < 4; i++) {
		jobs[i] = (struct sign_job){s, i, 0};
		assert_int_equal(pthread_create(&t[i], NULL, sign_thread, &jobs[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		char path[512], sig[512];

		pthread_join(t[i], NULL);
		assert_true(jobs[i].ok);
		snprintf(path, sizeof(path), "%s/t%d", tmp, i);
		snprintf(sig, sizeof(sig), "%s/t%d.asc", tmp, i);
		assert_int_equal(sh("gpg --homedir '%s' --batch --verify '%s' '%s' 2>/dev/null",
				    verifydir, sig, path),
				 0);
	}
	q_signer_close(s);
}

/* ---- framing ---------------------------------------------------------- */

static void pair(int sv[2])
{
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
}

static void raw(int fd, const void *buf, size_t len)
{
	assert_int_equal(write(fd, buf, len), (ssize_t)len);
}

static void test_framing(void **state)
{
	struct q_error err = {0};
	struct q_sign_msg m;
	int sv[2];

	(void)state;
	/* Round trip: parts with a NUL inside, an empty part. */
	pair(sv);
	{
		const char *parts[3] = {"abc", "x\0y", ""};
		size_t lens[3] = {3, 3, 0};

		assert_int_equal(q_sign_msg_send(sv[0], 7, 3, parts, lens, -1, 0, &err), 0);
	}
	assert_int_equal(q_sign_msg_recv(sv[1], &m, &err), 0);
	assert_int_equal(m.op, 7);
	assert_int_equal(m.n, 3);
	assert_string_equal(m.part[0], "abc");
	assert_true(q_sign_msg_is_cstr(&m, 0));
	assert_int_equal(m.len[1], 3);
	assert_false(q_sign_msg_is_cstr(&m, 1)); /* a hidden NUL is not a string */
	assert_int_equal(m.len[2], 0);
	assert_false(q_sign_msg_is_cstr(&m, 3));
	assert_int_equal(m.stream_len, 0);
	q_sign_msg_clear(&m);
	/* A clean close between messages is not an error. */
	close(sv[0]);
	assert_int_equal(q_sign_msg_recv(sv[1], &m, &err), 1);
	close(sv[1]);

	/* Not the protocol at all. */
	pair(sv);
	raw(sv[0], "GET / HTTP/1.1\r\nHost: x\r\n\r\n", 27);
	assert_int_equal(q_sign_msg_recv(sv[1], &m, &err), -1);
	assert_non_null(strstr(err.msg, "does not speak the signer protocol"));
	close(sv[0]);
	close(sv[1]);

	/* Too many parts; then a part longer than the bound (nothing allocated). */
	{
		uint32_t h[6] = {Q_SIGN_MAGIC, 1, Q_SIGN_MAX_PARTS + 1, 0, 0, 0};

		pair(sv);
		raw(sv[0], h, sizeof(h));
		assert_int_equal(q_sign_msg_recv(sv[1], &m, &err), -1);
		close(sv[0]);
		close(sv[1]);
	}
	{
		uint32_t h[7] = {Q_SIGN_MAGIC, 1, 1, 0, 0, 0, Q_SIGN_MAX_BYTES + 1};

		pair(sv);
		raw(sv[0], h, sizeof(h));
		assert_int_equal(q_sign_msg_recv(sv[1], &m, &err), -1);
		assert_int_equal(err.code, Q_ETOOBIG);
		close(sv[0]);
		close(sv[1]);
	}
	/* Two parts that together pass the bound. */
	{
		uint32_t h[7] = {Q_SIGN_MAGIC, 1, 2, 0, 0, 0, Q_SIGN_MAX_BYTES / 2 + 1};

		pair(sv);
		raw(sv[0], h, sizeof(h));
		assert_int_equal(fcntl(sv[0], F_SETFL, O_NONBLOCK), 0);
		{
			/* the first part's bytes, as many as the buffer takes, then close */
			static char zeros[64 << 10];
			while (write(sv[0], zeros, sizeof(zeros)) > 0)
				;
		}
		close(sv[0]);
		assert_int_equal(q_sign_msg_recv(sv[1], &m, &err), -1);
		close(sv[1]);
	}
	/* Truncated inside a part: an error, not a hang. */
	{
		uint32_t h[7] = {Q_SIGN_MAGIC, 1, 1, 0, 0, 0, 100};

		pair(sv);
		raw(sv[0], h, sizeof(h));
		raw(sv[0], "short", 5);
		close(sv[0]);
		assert_int_equal(q_sign_msg_recv(sv[1], &m, &err), -1);
		assert_non_null(strstr(err.msg, "connection closed"));
		close(sv[1]);
	}
	/* The sender refuses what the receiver would refuse. */
	{
		const char *parts[5] = {"a", "b", "c", "d", "e"};
		size_t lens[5] = {1, 1, 1, 1, 1};

		pair(sv);
		assert_int_equal(q_sign_msg_send(sv[0], 1, 5, parts, lens, -1, 0, &err), -1);
		lens[0] = Q_SIGN_MAX_BYTES + 1;
		assert_int_equal(q_sign_msg_send(sv[0], 1, 1, parts, lens, -1, 0, &err), -1);
		assert_int_equal(err.code, Q_ETOOBIG);
		close(sv[0]);
		close(sv[1]);
	}
	/* A silent peer: SO_RCVTIMEO makes the wait end. */
	{
		struct timeval tv = {0, 200 * 1000};

		pair(sv);
		setsockopt(sv[1], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		raw(sv[0], "QSG1", 4);
		assert_int_equal(q_sign_msg_recv(sv[1], &m, &err), -1);
		assert_non_null(strstr(err.msg, "timed out"));
		close(sv[0]);
		close(sv[1]);
	}
}

/* A stream goes from a file to a file, and can be dropped without losing step. */
static void test_framing_stream(void **state)
{
	struct q_error err = {0};
	struct q_sign_msg m;
	char src[512], dst[512], *back = NULL;
	size_t blen = 0, n = 3 * 256 * 1024 + 17;
	char *data = malloc(n);
	int sv[2], in, out;
	pid_t pid;

	(void)state;
	assert_non_null(data);
	for (size_t i = 0; i < n; i++)
		data[i] = (char)(i * 7 + (i >> 9));
	snprintf(src, sizeof(src), "%s/stream.in", tmp);
	snprintf(dst, sizeof(dst), "%s/stream.out", tmp);
	assert_int_equal(q_fs_write_atomic(src, data, n, 0644, &err), 0);
	pair(sv);
	/* A child sends (the socket buffer is smaller than the stream). */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		const char *parts[1] = {"name"};
		size_t lens[1] = {4};

		close(sv[1]);
		for (int i = 0; i < 2; i++) {
			int fd = open(src, O_RDONLY);

			if (q_sign_msg_send(sv[0], Q_SIGN_OP_SIGN_RPM, 1, parts, lens, fd, n,
					    &err) < 0)
				_exit(1);
			close(fd);
		}
		if (q_sign_msg_send(sv[0], Q_SIGN_OP_EXPORT, 1, parts, lens, -1, 0, &err) < 0)
			_exit(1);
		_exit(0);
	}
	close(sv[0]);
	assert_int_equal(q_sign_msg_recv(sv[1], &m, &err), 0);
	assert_int_equal(m.stream_len, n);
	out = open(dst, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(out >= 0);
	assert_int_equal(q_sign_stream_recv(sv[1], m.stream_len, out, &err), 0);
	close(out);
	q_sign_msg_clear(&m);
	assert_int_equal(q_fs_read_file(dst, n + 1, &back, &blen, &err), 0);
	assert_int_equal(blen, n);
	assert_memory_equal(back, data, n);
	free(back);
	/* Dropped: the next message is still read correctly. */
	assert_int_equal(q_sign_msg_recv(sv[1], &m, &err), 0);
	assert_int_equal(q_sign_stream_recv(sv[1], m.stream_len, -1, &err), 0);
	q_sign_msg_clear(&m);
	assert_int_equal(q_sign_msg_recv(sv[1], &m, &err), 0);
	assert_int_equal(m.op, Q_SIGN_OP_EXPORT);
	q_sign_msg_clear(&m);
	{
		int status = 0;

		waitpid(pid, &status, 0);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	/* A sender whose file is shorter than it announced fails (the peer never
	 * reads: the stream stays small enough for the socket buffer). */
	in = open("/dev/null", O_RDONLY);
	{
		const char *parts[1] = {"x"};
		size_t lens[1] = {1};
		int sp[2];

		pair(sp);
		assert_int_equal(q_sign_msg_send(sp[0], 1, 1, parts, lens, in, 10, &err), -1);
		assert_non_null(strstr(err.msg, "shrank"));
		close(sp[0]);
		close(sp[1]);
	}
	close(in);
	close(sv[1]);
	free(data);
}

/* ---- what sign-detached accepts ----------------------------------------- */

static void test_repomd_only(void **state)
{
	struct q_error err = {0};
	char rnd[4096];
	static const char *good[] = {
	    repomd_doc,
	    "<repomd xmlns=\"http://linux.duke.edu/metadata/repo\"><revision>1</revision></repomd>",
	    "\xef\xbb\xbf<?xml version='1.0'?>\n\n<repomd\n xmlns:rpm=\"x\"\n "
	    "xmlns='http://linux.duke.edu/metadata/repo'>\n</repomd>\n\n",
	};
	static const char *bad[] = {
	    "hello, world\n",
	    "<repomd>no namespace</repomd>",
	    "<repomdx xmlns=\"http://linux.duke.edu/metadata/repo\"></repomdx>",
	    "<?xml version=\"1.0\"?><!DOCTYPE repomd [<!ENTITY x \"y\">]><repomd "
	    "xmlns=\"http://linux.duke.edu/metadata/repo\">&x;</repomd>",
	    "<!-- hi --><repomd xmlns=\"http://linux.duke.edu/metadata/repo\"></repomd>",
	    "<metadata xmlns=\"http://linux.duke.edu/metadata/common\"></metadata>",
	    "<repomd xmlns=\"http://linux.duke.edu/metadata/repo\"></repomd><extra/>",
	    "<repomd xmlns=\"http://linux.duke.edu/metadata/repo\">",
	    "<repomd foo=\"<\" xmlns=\"http://linux.duke.edu/metadata/repo\"></repomd>",
	    "-----BEGIN PGP SIGNED MESSAGE-----\n",
	    "",
	};

	(void)state;
	for (size_t i = 0; i < Q_ARRAY_LEN(good); i++) {
		if (q_sign_check_repomd(good[i], strlen(good[i]), &err) != 0)
			fail_msg("good[%zu] refused: %s", i, err.msg);
	}
	for (size_t i = 0; i < Q_ARRAY_LEN(bad); i++) {
		q_error_clear(&err);
		if (q_sign_check_repomd(bad[i], strlen(bad[i]), &err) == 0)
			fail_msg("bad[%zu] accepted: %s", i, bad[i]);
		assert_int_equal(err.code, Q_EINVAL);
		assert_non_null(strstr(err.msg, Q_SIGN_ONLY_MSG));
	}
	/* A NUL inside. */
	{
		char doc[sizeof(repomd_doc)];

		memcpy(doc, repomd_doc, sizeof(doc));
		doc[60] = '\0';
		assert_int_equal(q_sign_check_repomd(doc, sizeof(doc) - 1, &err), -1);
	}
	/* Random bytes, and an RPM's lead. */
	srand(5);
	for (int round = 0; round < 50; round++) {
		for (size_t i = 0; i < sizeof(rnd); i++)
			rnd[i] = (char)rand();
		assert_int_equal(q_sign_check_repomd(rnd, sizeof(rnd), &err), -1);
	}
	memcpy(rnd, "\xed\xab\xee\xdb", 4);
	assert_int_equal(q_sign_check_repomd(rnd, sizeof(rnd), &err), -1);
	assert_non_null(strstr(err.msg, "RPM"));
	/* Too large, even when well-formed. */
	{
		size_t n = Q_SIGN_REPOMD_MAX + 100;
		char *big = malloc(n);
		const char *head = "<repomd xmlns=\"http://linux.duke.edu/metadata/repo\">";

		assert_non_null(big);
		memset(big, ' ', n);
		memcpy(big, head, strlen(head));
		memcpy(big + n - 9, "</repomd>", 9);
		assert_int_equal(q_sign_check_repomd(big, n, &err), -1);
		assert_non_null(strstr(err.msg, "too large"));
		free(big);
	}
}

/* The forked signer refuses the same things, end to end. */
static void test_sign_detached_refusals(void **state)
{
	struct q_error err = {0};
	struct q_signer *s;
	char path[512], sig[512];

	(void)state;
	assert_true(fpr[0]);
	s = q_signer_open(keydir, &err);
	assert_non_null(s);
	snprintf(path, sizeof(path), "%s/notes.txt", tmp);
	snprintf(sig, sizeof(sig), "%s/notes.txt.asc", tmp);
	write_file(path, "please sign me\n");
	assert_int_equal(q_signer_sign_detached(s, fpr, path, sig, &err), -1);
	assert_int_equal(err.code, Q_EINVAL);
	assert_non_null(strstr(err.msg, Q_SIGN_ONLY_MSG));
	assert_false(q_fs_exists(sig));
	/* The channel is still fine after a refusal. */
	snprintf(path, sizeof(path), "%s/repomd.xml", tmp);
	write_file(path, repomd_doc);
	assert_int_equal(q_signer_sign_detached(s, fpr, path, sig, &err), 0);
	q_signer_close(s);
}

/* ---- RPMs ---------------------------------------------------------------- */

static char rpm_path[600]; /* built once by build_rpm */

static int build_rpm(void)
{
	char spec[512];
	FILE *f;

	if (rpm_path[0])
		return 0;
	if (sh("command -v rpmbuild >/dev/null && command -v rpmkeys >/dev/null && "
	       "command -v rpmsign >/dev/null") != 0)
		return -1;
	snprintf(spec, sizeof(spec), "%s/t.spec", tmp);
	f = fopen(spec, "w");
	assert_non_null(f);
	fputs("Name: qsigntest\nVersion: 1\nRelease: 1\nSummary: s\nLicense: MIT\n"
	      "BuildArch: noarch\n%global debug_package %{nil}\n%define _build_id_links none\n"
	      "%description\nd\n%install\nmkdir -p %{buildroot}/usr/share/q\n"
	      "echo hi > %{buildroot}/usr/share/q/f\n%files\n/usr/share/q\n",
	      f);
	fclose(f);
	if (sh("rpmbuild -bb --quiet --define '_topdir %s/rpmbuild' '%s' >%s/rpmbuild.log 2>&1",
	       tmp, spec, tmp) != 0)
		return -1;
	snprintf(rpm_path, sizeof(rpm_path), "%s/rpmbuild/RPMS/noarch/qsigntest-1-1.noarch.rpm",
		 tmp);
	return q_fs_exists(rpm_path) ? 0 : -1;
}

/* rpmkeys with only the exported key imported into a fresh rpmdb. */
static int checksig(const char *key_fpr, const char *rpm)
{
	struct q_error err = {0};
	struct q_signer *s = q_signer_open(keydir, &err);
	char root[512], keyfile[512], *pub = NULL;
	size_t len = 0;
	static int n;
	int rc;

	assert_non_null(s);
	assert_int_equal(q_signer_export_public(s, key_fpr, &pub, &len, &err), 0);
	q_signer_close(s);
	snprintf(root, sizeof(root), "%s/rpmroot%d", tmp, n);
	snprintf(keyfile, sizeof(keyfile), "%s/rpmkey%d.asc", tmp, n++);
	assert_int_equal(q_fs_write_atomic(keyfile, pub, len, 0644, &err), 0);
	free(pub);
	assert_int_equal(mkdir(root, 0755), 0);
	assert_int_equal(sh("rpmkeys --root '%s' --import '%s'", root, keyfile), 0);
	rc = sh("rpmkeys --root '%s' --checksig '%s' >%s/checksig.out 2>&1", root, rpm, tmp);
	if (rc == 0)
		/* "digests signatures OK": a signature was there and verified */
		rc = sh("grep -q 'signatures OK' %s/checksig.out", tmp);
	return rc;
}

static void test_sign_rpm(void **state)
{
	struct q_error err = {0};
	struct q_signer *s;
	char out[600], copy[600];

	(void)state;
	assert_true(fpr[0]);
	if (build_rpm() < 0) {
		print_message("rpmbuild, rpmkeys or rpmsign missing or failing; skipping\n");
		skip();
	}
	snprintf(out, sizeof(out), "%s/signed.rpm", tmp);
	/* Unsigned: rpmkeys finds no signature to check. */
	assert_int_not_equal(checksig(fpr, rpm_path), 0);

	s = q_signer_open(keydir, &err);
	assert_non_null(s);
	if (q_signer_sign_rpm(s, fpr, rpm_path, out, &err) < 0)
		fail_msg("sign-rpm: %s", err.msg);
	assert_int_equal(checksig(fpr, out), 0);
	/* In place (out_path = in_path) works too. */
	snprintf(copy, sizeof(copy), "%s/inplace.rpm", tmp);
	assert_int_equal(q_fs_copy_file(rpm_path, copy, 0644, &err), 0);
	assert_int_equal(q_signer_sign_rpm(s, fpr, copy, copy, &err), 0);
	assert_int_equal(checksig(fpr, copy), 0);
	q_signer_close(s);
}

static void test_sign_rpm_refusals(void **state)
{
	struct q_error err = {0};
	struct q_signer *s;
	char in[600], out[600], *data = NULL;
	const char *unknown = "0123456789ABCDEF0123456789ABCDEF01234567";
	size_t len = 0;

	(void)state;
	assert_true(fpr[0]);
	s = q_signer_open(keydir, &err);
	assert_non_null(s);
	snprintf(out, sizeof(out), "%s/refused.rpm", tmp);

	/* A text file, random bytes, a repomd.xml: not RPMs. */
	snprintf(in, sizeof(in), "%s/notes.txt", tmp);
	write_file(in, "not an rpm\n");
	assert_int_equal(q_signer_sign_rpm(s, fpr, in, out, &err), -1);
	assert_int_equal(err.code, Q_EINVAL);
	assert_non_null(strstr(err.msg, Q_SIGN_ONLY_MSG));
	assert_non_null(strstr(err.msg, "not an RPM"));
	assert_false(q_fs_exists(out));
	snprintf(in, sizeof(in), "%s/repomd.xml", tmp);
	write_file(in, repomd_doc);
	assert_int_equal(q_signer_sign_rpm(s, fpr, in, out, &err), -1);
	assert_int_equal(err.code, Q_EINVAL);
	{
		char rnd[3000];

		srand(9);
		for (size_t i = 0; i < sizeof(rnd); i++)
			rnd[i] = (char)rand();
		memcpy(rnd, "\xed\xab\xee\xdb", 4); /* the magic, then garbage */
		snprintf(in, sizeof(in), "%s/random.rpm", tmp);
		assert_int_equal(q_fs_write_atomic(in, rnd, sizeof(rnd), 0644, &err), 0);
		assert_int_equal(q_signer_sign_rpm(s, fpr, in, out, &err), -1);
		assert_int_equal(err.code, Q_EINVAL);
		assert_non_null(strstr(err.msg, Q_SIGN_ONLY_MSG));
	}
	/* An empty file. */
	snprintf(in, sizeof(in), "%s/empty.rpm", tmp);
	write_file(in, "");
	assert_int_equal(q_signer_sign_rpm(s, fpr, in, out, &err), -1);
	assert_int_equal(err.code, Q_EINVAL);
	if (build_rpm() == 0) {
		/* A truncated RPM. */
		assert_int_equal(q_fs_read_file(rpm_path, 1 << 24, &data, &len, &err), 0);
		snprintf(in, sizeof(in), "%s/truncated.rpm", tmp);
		assert_int_equal(q_fs_write_atomic(in, data, len - 100, 0644, &err), 0);
		free(data);
		assert_int_equal(q_signer_sign_rpm(s, fpr, in, out, &err), -1);
		assert_int_equal(err.code, Q_EINVAL);
		assert_non_null(strstr(err.msg, "truncated"));
		/* A key the signer does not have. */
		assert_int_equal(q_signer_sign_rpm(s, unknown, rpm_path, out, &err), -1);
		assert_int_equal(err.code, Q_ENOTFOUND);
		assert_int_equal(q_signer_sign_rpm(s, "../../etc", rpm_path, out, &err), -1);
		assert_int_equal(err.code, Q_EINVAL);
	}
	assert_false(q_fs_exists(out));
	/* No leftovers beside out or in the signer's work directory. */
	assert_int_equal(sh("ls %s | grep -q 'refused.rpm.tmp'", tmp), 1);
	assert_int_equal(sh("test -z \"$(ls -A %s/quarry-tmp)\"", keydir), 0);
	/* Still answering. */
	assert_int_equal(q_signer_export_public(s, fpr, &data, NULL, &err), 0);
	free(data);
	q_signer_close(s);
}

static void test_rotate(void **state)
{
	struct q_error err = {0};
	struct q_signer *s;
	char *a = NULL, *b = NULL;

	(void)state;
	s = q_signer_open(keydir, &err);
	assert_non_null(s);
	assert_int_equal(q_signer_rotate(s, "mc", "rsa2048", &a, &err), 0);
	assert_int_equal(q_signer_rotate(s, "mc", "rsa2048", &b, &err), 0);
	assert_string_not_equal(a, b);
	/* Both stay in the keyring, with the SIG's user id. */
	assert_int_equal(sh("gpg --homedir '%s' --batch --list-secret-keys --with-colons '%s' '%s' "
			    "2>/dev/null | grep -c '^uid.*Quarry SIG mc signing key "
			    "<sig-mc@quarry.invalid>' | grep -qx 2",
			    keydir, a, b),
			 0);
	free(a);
	free(b);
	a = NULL;
	assert_int_equal(q_signer_rotate(s, "Not A Sig", "rsa2048", &a, &err), -1);
	assert_int_equal(err.code, Q_EINVAL);
	assert_int_equal(q_signer_rotate(s, "mc", "rsa9 x", &a, &err), -1);
	assert_int_equal(err.code, Q_EINVAL);
	assert_null(a);
	q_signer_close(s);
}

/* ---- socket mode ----------------------------------------------------------- */

static pid_t start_listener(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	pid_t pid;

	assert_true(lfd >= 0);
	assert_true(strlen(path) < sizeof(sa.sun_path));
	memcpy(sa.sun_path, path, strlen(path) + 1);
	unlink(path);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(lfd, 16), 0);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		static volatile sig_atomic_t never;
		struct q_error err = {0};
		struct q_sign_engine *e = q_sign_engine_open(keydir, &err);

		if (!e)
			_exit(3);
		q_sign_listen_loop(e, lfd, &never, &err);
		_exit(4);
	}
	close(lfd);
	return pid;
}

static void *socket_thread(void *arg)
{
	struct sign_job *j = arg;
	struct q_error err = {0};
	char path[512], sig[512];

	snprintf(path, sizeof(path), "%s/repomd.xml", tmp);
	snprintf(sig, sizeof(sig), "%s/sock%d.asc", tmp, j->id);
	j->ok = 1;
	for (int i = 0; i < 3 && j->ok; i++)
		j->ok = q_signer_sign_detached(j->s, fpr, path, sig, &err) == 0;
	return NULL;
}

static void test_socket_mode(void **state)
{
	struct q_error err = {0};
	struct q_signer *s;
	char sock[300], path[512], sig[512], out[600], *f = NULL, *pub = NULL;
	struct sign_job jobs[3];
	pthread_t t[3];
	pid_t pid;
	double t0;

	(void)state;
	assert_true(fpr[0]);
	snprintf(sock, sizeof(sock), "%s/signer.sock", tmp);
	pid = start_listener(sock);
	s = q_signer_connect(sock, 5, &err);
	assert_non_null(s);
	assert_int_equal(q_signer_check(s, &err), 0);
	assert_int_equal(q_signer_export_public(s, fpr, &pub, NULL, &err), 0);
	assert_non_null(strstr(pub, "BEGIN PGP PUBLIC KEY BLOCK"));
	free(pub);
	assert_int_equal(q_signer_keygen(s, "Socket Test", "sock@example.org", "ed25519", &f, &err),
			 0);
	free(f);
	snprintf(path, sizeof(path), "%s/repomd.xml", tmp);
	snprintf(sig, sizeof(sig), "%s/repomd.sock.asc", tmp);
	write_file(path, repomd_doc);
	assert_int_equal(q_signer_sign_detached(s, fpr, path, sig, &err), 0);
	assert_int_equal(
	    sh("gpg --homedir '%s' --batch --verify '%s' '%s' 2>/dev/null", verifydir, sig, path),
	    0);
	/* Refusals come back as answers; the signer keeps serving. */
	snprintf(path, sizeof(path), "%s/notes.txt", tmp);
	write_file(path, "not a repomd\n");
	assert_int_equal(q_signer_sign_detached(s, fpr, path, sig, &err), -1);
	assert_non_null(strstr(err.msg, Q_SIGN_ONLY_MSG));
	if (build_rpm() == 0) {
		snprintf(out, sizeof(out), "%s/sock-signed.rpm", tmp);
		assert_int_equal(q_signer_sign_rpm(s, fpr, rpm_path, out, &err), 0);
		assert_int_equal(checksig(fpr, out), 0);
		assert_int_equal(q_signer_sign_rpm(s, fpr, path, out, &err), -1);
		assert_non_null(strstr(err.msg, Q_SIGN_ONLY_MSG));
	}
	/* Threads each with their own connection. */
	for (int i = 0; i < 3; i++) {
		jobs[i] = (struct sign_job){s, i, 0};
		assert_int_equal(pthread_create(&t[i], NULL, socket_thread, &jobs[i]), 0);
	}
	for (int i = 0; i < 3; i++) {
		pthread_join(t[i], NULL);
		assert_true(jobs[i].ok);
	}

	/* The signer is gone: at once, an error that names it. */
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	t0 = now_s();
	assert_int_equal(q_signer_export_public(s, fpr, &pub, NULL, &err), -1);
	assert_true(now_s() - t0 < 1.0);
	assert_non_null(strstr(err.msg, "the signer at '"));
	assert_non_null(strstr(err.msg, "is not answering"));
	assert_int_equal(q_signer_check(s, &err), -1);
	unlink(sock);
	assert_int_equal(q_signer_sign_detached(s, fpr, path, sig, &err), -1);
	assert_non_null(strstr(err.msg, "is not answering"));
	q_signer_close(s);

	/* A socket that accepts nothing: the timeout ends the wait. */
	{
		struct sockaddr_un sa = {.sun_family = AF_UNIX};
		int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

		memcpy(sa.sun_path, sock, strlen(sock) + 1);
		assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
		assert_int_equal(listen(lfd, 4), 0);
		s = q_signer_connect(sock, 1, &err);
		assert_non_null(s);
		t0 = now_s();
		assert_int_equal(q_signer_export_public(s, fpr, &pub, NULL, &err), -1);
		assert_true(now_s() - t0 < 5.0);
		assert_non_null(strstr(err.msg, "is not answering: timed out"));
		q_signer_close(s);
		close(lfd);
		unlink(sock);
	}
	assert_null(q_signer_connect("", 1, &err));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_framing),
	    cmocka_unit_test(test_framing_stream),
	    cmocka_unit_test(test_repomd_only),
	    cmocka_unit_test(test_keygen),
	    cmocka_unit_test(test_export_and_verify),
	    cmocka_unit_test(test_bad_input),
	    cmocka_unit_test(test_threads),
	    cmocka_unit_test(test_sign_detached_refusals),
	    cmocka_unit_test(test_sign_rpm),
	    cmocka_unit_test(test_sign_rpm_refusals),
	    cmocka_unit_test(test_rotate),
	    cmocka_unit_test(test_socket_mode),
	    cmocka_unit_test(test_keygen_timing),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
