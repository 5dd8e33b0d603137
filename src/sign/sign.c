/*
 * sign.c: the signer of sign.h, in-process, with gpgme over one GnuPG home.
 *
 * DESIGN
 * - One q_signer is one GnuPG home directory (mode 0700) and one gpgme
 *   context bound to it with gpgme_ctx_set_engine_info, so several homes can
 *   live in one process (tests do that) without touching gpgme's global
 *   engine settings.
 * - gpgme contexts are not thread-safe: every operation takes s->lock.
 *   gpg itself runs as a child process per operation and talks to the
 *   home's gpg-agent, which it starts on first use.
 * - Keys have no passphrase, and pinentry is in loopback mode, so GnuPG
 *   never tries to open a terminal or a dialog from a server process.
 * - Only public material and detached signatures leave this file.
 */
#include "core/common.h"
#include "core/error.h"
#include "core/fs.h"
#include "core/log.h"
#include "sign/sign.h"

#include <fcntl.h>
#include <glib.h>
#include <gpgme.h>
#include <libgen.h>
#include <pthread.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>

extern char **environ;

/* Bound on what a caller may pass as a user id part. */
#define SIGN_UID_MAX 256

struct q_signer {
	pthread_mutex_t lock; /* serialises every use of ctx */
	gpgme_ctx_t ctx;      /* bound to keydir, armor on, loopback pinentry */
	char *keydir;         /* the GnuPG home (malloc'd) */
	GHashTable *keys;     /* fingerprint → gpgme_key_t of secret keys seen, so a
			       * signature costs one gpg run, not two (under lock) */
};

static pthread_once_t gpgme_once = PTHREAD_ONCE_INIT;
static int gpgme_ready; /* set once by init_gpgme */

static void init_gpgme(void)
{
	if (!gpgme_check_version(NULL))
		return;
	if (gpgme_engine_check_version(GPGME_PROTOCOL_OpenPGP) != 0)
		return;
	gpgme_ready = 1;
}

static const char *gerr(gpgme_error_t e)
{
	return gpgme_strerror(e);
}

/* mkdir the home with mode 0700 (parents 0755) and make sure it is private. */
static int make_home(const char *keydir, struct q_error *err)
{
	char parent[4096];
	struct stat st;

	if (snprintf(parent, sizeof(parent), "%s", keydir) >= (int)sizeof(parent))
		return q_error_set(err, Q_EINVAL, "key directory '%s' is too long", keydir);
	if (q_fs_mkdirs(dirname(parent), 0755, err) < 0)
		return -1;
	if (mkdir(keydir, 0700) < 0 && errno != EEXIST)
		return q_error_set(err, Q_EIO, "cannot create key directory '%s': %s", keydir,
				   strerror(errno));
	if (stat(keydir, &st) < 0 || !S_ISDIR(st.st_mode))
		return q_error_set(err, Q_EIO, "key directory '%s' is not a directory", keydir);
	if ((st.st_mode & 077) && chmod(keydir, 0700) < 0)
		return q_error_set(err, Q_EIO, "cannot make key directory '%s' private: %s", keydir,
				   strerror(errno));
	return 0;
}

struct q_signer *q_signer_open(const char *keydir, struct q_error *err)
{
	struct q_signer *s = NULL;
	gpgme_error_t ge;

	pthread_once(&gpgme_once, init_gpgme);
	if (!gpgme_ready) {
		q_error_set(err, Q_EINTERNAL, "gpgme cannot find a usable OpenPGP engine (gpg)");
		return NULL;
	}
	if (make_home(keydir, err) < 0)
		return NULL;

	s = calloc(1, sizeof(*s));
	if (!s || !(s->keydir = strdup(keydir))) {
		q_error_set(err, Q_EINTERNAL, "out of memory");
		goto fail;
	}
	ge = gpgme_new(&s->ctx);
	if (ge) {
		q_error_set(err, Q_EINTERNAL, "cannot create gpgme context: %s", gerr(ge));
		goto fail;
	}
	ge = gpgme_ctx_set_engine_info(s->ctx, GPGME_PROTOCOL_OpenPGP, NULL, keydir);
	if (!ge)
		ge = gpgme_set_protocol(s->ctx, GPGME_PROTOCOL_OpenPGP);
	if (!ge)
		ge = gpgme_set_pinentry_mode(s->ctx, GPGME_PINENTRY_MODE_LOOPBACK);
	if (ge) {
		q_error_set(err, Q_EINTERNAL, "cannot set up gpgme for '%s': %s", keydir, gerr(ge));
		goto fail;
	}
	gpgme_set_armor(s->ctx, 1);
	gpgme_set_offline(s->ctx, 1);
	s->keys = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					(GDestroyNotify)gpgme_key_unref);
	pthread_mutex_init(&s->lock, NULL);
	return s;

fail:
	if (s) {
		if (s->ctx)
			gpgme_release(s->ctx);
		free(s->keydir);
		free(s);
	}
	return NULL;
}

void q_signer_close(struct q_signer *s)
{
	if (!s)
		return;
	gpgme_release(s->ctx);
	if (s->keys)
		g_hash_table_destroy(s->keys);
	pthread_mutex_destroy(&s->lock);
	free(s->keydir);
	free(s);
}

/* A user id part: non-empty, bounded, printable, none of "<>()" or controls. */
static int valid_uid_part(const char *p)
{
	size_t n = strlen(p);

	if (n == 0 || n > SIGN_UID_MAX)
		return 0;
	for (; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c < 0x20 || c == 0x7f || strchr("<>()", c))
			return 0;
	}
	return 1;
}

/* 40 (v4) or 64 (v5) upper-case hex digits. */
static int valid_fpr(const char *fpr)
{
	size_t n = strlen(fpr);

	if (n != 40 && n != 64)
		return 0;
	for (; *fpr; fpr++)
		if (!((*fpr >= '0' && *fpr <= '9') || (*fpr >= 'A' && *fpr <= 'F')))
			return 0;
	return 1;
}

int q_signer_keygen(struct q_signer *s, const char *name, const char *email, const char *algo,
		    char **fpr_out, struct q_error *err)
{
	char uid[2 * SIGN_UID_MAX + 8];
	gpgme_genkey_result_t res;
	gpgme_error_t ge;
	int ret = -1;

	*fpr_out = NULL;
	if (!valid_uid_part(name) || !valid_uid_part(email) || !strchr(email, '@'))
		return q_error_set(err, Q_EINVAL, "invalid key user id '%s <%s>'", name, email);
	if (!algo || !*algo || strlen(algo) > 32 ||
	    strspn(algo, "abcdefghijklmnopqrstuvwxyz0123456789") != strlen(algo))
		return q_error_set(err, Q_EINVAL, "invalid key algorithm '%s'", algo ? algo : "");
	snprintf(uid, sizeof(uid), "%s <%s>", name, email);

	pthread_mutex_lock(&s->lock);
	/*
	 * FORCE: a user id may already have a key (a retried SIG creation whose
	 * transaction rolled back, a rotation). Keys are always used by
	 * fingerprint, so a second one with the same user id is harmless.
	 */
	ge = gpgme_op_createkey(s->ctx, uid, algo, 0, 0, NULL,
				GPGME_CREATE_SIGN | GPGME_CREATE_NOPASSWD | GPGME_CREATE_NOEXPIRE |
				    GPGME_CREATE_FORCE);
	if (ge) {
		enum q_code code = Q_EIO;

		if (gpg_err_code(ge) == GPG_ERR_INV_VALUE ||
		    gpg_err_code(ge) == GPG_ERR_UNKNOWN_ALGORITHM)
			code = Q_EINVAL;
		q_error_set(err, code, "cannot generate key '%s' (%s) in '%s': %s", uid, algo,
			    s->keydir, gerr(ge));
		goto out;
	}
	res = gpgme_op_genkey_result(s->ctx);
	if (!res || !res->fpr || !valid_fpr(res->fpr)) {
		q_error_set(err, Q_EINTERNAL, "gpg generated key '%s' without a fingerprint", uid);
		goto out;
	}
	*fpr_out = strdup(res->fpr);
	if (!*fpr_out) {
		q_error_set(err, Q_EINTERNAL, "out of memory");
		goto out;
	}
	ret = 0;
out:
	pthread_mutex_unlock(&s->lock);
	return ret;
}

int q_signer_export_public(struct q_signer *s, const char *fpr, char **out, size_t *len,
			   struct q_error *err)
{
	gpgme_data_t data = NULL;
	gpgme_error_t ge;
	char *mem = NULL;
	size_t n = 0;
	int ret = -1;

	*out = NULL;
	if (len)
		*len = 0;
	if (!valid_fpr(fpr))
		return q_error_set(err, Q_EINVAL, "invalid key fingerprint '%s'", fpr);

	pthread_mutex_lock(&s->lock);
	ge = gpgme_data_new(&data);
	if (!ge)
		ge = gpgme_op_export(s->ctx, fpr, 0, data);
	if (ge) {
		q_error_set(err, Q_EIO, "cannot export key '%s': %s", fpr, gerr(ge));
		goto out;
	}
	mem = gpgme_data_release_and_get_mem(data, &n);
	data = NULL;
	if (!mem || n == 0) {
		q_error_set(err, Q_ENOTFOUND, "key '%s' not found in '%s'", fpr, s->keydir);
		goto out;
	}
	*out = malloc(n + 1);
	if (!*out) {
		q_error_set(err, Q_EINTERNAL, "out of memory");
		goto out;
	}
	memcpy(*out, mem, n);
	(*out)[n] = '\0';
	if (len)
		*len = n;
	ret = 0;
out:
	if (mem)
		gpgme_free(mem);
	if (data)
		gpgme_data_release(data);
	pthread_mutex_unlock(&s->lock);
	return ret;
}

int q_signer_sign_detached(struct q_signer *s, const char *fpr, const char *in_path,
			   const char *out_path, struct q_error *err)
{
	gpgme_data_t in = NULL, sig = NULL;
	gpgme_key_t key = NULL;
	gpgme_sign_result_t res;
	gpgme_error_t ge;
	char *mem = NULL;
	size_t n = 0;
	int fd = -1, ret = -1;

	if (!valid_fpr(fpr))
		return q_error_set(err, Q_EINVAL, "invalid key fingerprint '%s'", fpr);
	fd = open(in_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return q_error_set(err, Q_EIO, "cannot open '%s': %s", in_path, strerror(errno));

	pthread_mutex_lock(&s->lock);
	key = g_hash_table_lookup(s->keys, fpr);
	if (key) {
		gpgme_key_ref(key);
	} else {
		ge = gpgme_get_key(s->ctx, fpr, &key, 1);
		if (ge) {
			key = NULL;
			q_error_set(err, gpg_err_code(ge) == GPG_ERR_EOF ? Q_ENOTFOUND : Q_EIO,
				    "secret key '%s' not found in '%s': %s", fpr, s->keydir, gerr(ge));
			goto out;
		}
		gpgme_key_ref(key);
		g_hash_table_insert(s->keys, g_strdup(fpr), key);
	}
	gpgme_signers_clear(s->ctx);
	ge = gpgme_signers_add(s->ctx, key);
	if (!ge)
		ge = gpgme_data_new_from_fd(&in, fd);
	if (!ge)
		ge = gpgme_data_new(&sig);
	if (!ge)
		ge = gpgme_op_sign(s->ctx, in, sig, GPGME_SIG_MODE_DETACH);
	if (ge) {
		q_error_set(err, Q_EIO, "cannot sign '%s' with key '%s': %s", in_path, fpr,
			    gerr(ge));
		goto out;
	}
	res = gpgme_op_sign_result(s->ctx);
	if (!res || res->invalid_signers || !res->signatures) {
		q_error_set(err, Q_EIO, "cannot sign '%s': key '%s' was not usable", in_path, fpr);
		goto out;
	}
	mem = gpgme_data_release_and_get_mem(sig, &n);
	sig = NULL;
	if (!mem || n == 0) {
		q_error_set(err, Q_EIO, "gpg produced an empty signature of '%s'", in_path);
		goto out;
	}
	if (q_fs_write_atomic(out_path, mem, n, 0644, err) < 0)
		goto out;
	ret = 0;
out:
	gpgme_signers_clear(s->ctx);
	pthread_mutex_unlock(&s->lock);
	if (mem)
		gpgme_free(mem);
	if (sig)
		gpgme_data_release(sig);
	if (in)
		gpgme_data_release(in);
	if (key)
		gpgme_key_unref(key);
	close(fd);
	return ret;
}

void q_signer_shutdown_agent(const char *keydir)
{
	char *argv[] = {"gpgconf", "--homedir", (char *)keydir, "--kill", "all", NULL};
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int status = 0, rc;

	if (posix_spawn_file_actions_init(&fa) != 0)
		return;
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	rc = posix_spawnp(&pid, "gpgconf", &fa, NULL, argv, environ);
	if (rc == 0) {
		while ((rc = waitpid(pid, &status, 0)) < 0 && errno == EINTR)
			;
		if (rc < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
			q_warn("gpgconf --kill all failed for '%s'", keydir);
	} else {
		q_warn("cannot run gpgconf for '%s': %s", keydir, strerror(rc));
	}
	posix_spawn_file_actions_destroy(&fa);
}
