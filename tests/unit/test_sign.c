/*
 * test_sign.c: the gpgme signer (src/sign): key generation in a fresh home,
 * public export, detached signatures checked by the real gpg with a keyring
 * that holds only the exported public key, bad input, threads.
 */
#include "core/common.h"
#include "core/error.h"
#include "core/fs.h"
#include "sign/sign.h"

#include <pthread.h>
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
	write_file(path, "<repomd>not really</repomd>\n");
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
	write_file(path, "<repomd>tampered</repomd>\n");
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
	write_file(path, "data\n");
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
	char path[512], sig[512], text[64];

	snprintf(path, sizeof(path), "%s/t%d", tmp, j->id);
	snprintf(sig, sizeof(sig), "%s/t%d.asc", tmp, j->id);
	snprintf(text, sizeof(text), "thread %d\n", j->id);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_keygen),        cmocka_unit_test(test_export_and_verify),
	    cmocka_unit_test(test_bad_input),     cmocka_unit_test(test_threads),
	    cmocka_unit_test(test_keygen_timing),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
