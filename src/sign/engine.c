/*
 * engine.c: one GnuPG home through gpgme, in the signer's process (see
 * server.h). The only file that generates keys or makes signatures with
 * them; only public keys and signatures leave it.
 *
 * DESIGN
 * - One engine is one GnuPG home directory (mode 0700) and one gpgme context
 *   bound to it with gpgme_ctx_set_engine_info, so several homes can live in
 *   one process (tests do that) without touching gpgme's global engine
 *   settings.
 * - gpgme contexts are not thread-safe: every operation takes e->lock (the
 *   signer serves one request at a time anyway).
 * - gpg runs as a child process per operation and talks to the home's
 *   gpg-agent, which it starts on first use. Keys have no passphrase and
 *   pinentry is in loopback mode, so GnuPG never tries to open a terminal
 *   or a dialog from a server process.
 * - Keys are never deleted: a rotation adds a key, and the old one keeps
 *   verifying what it signed (and can still be exported).
 */
#include "core/common.h"
#include "core/error.h"
#include "core/fs.h"
#include "core/log.h"
#include "sign/server.h"

#include <dirent.h>
#include <fcntl.h>
#include <glib.h>
#include <gpgme.h>
#include <libgen.h>
#include <pthread.h>
#include <sys/stat.h>
#include <time.h>

/* Bound on what a caller may pass as a user id part. */
#define SIGN_UID_MAX 256
/* A file left in the work directory this long is a crashed operation's. */
#define WORK_STALE_SECONDS 3600

struct q_sign_engine {
	pthread_mutex_t lock; /* serialises every use of ctx */
	gpgme_ctx_t ctx;      /* bound to keydir, armor on, loopback pinentry */
	char *keydir;         /* the GnuPG home (malloc'd) */
	char *workdir;        /* keydir/quarry-tmp: files being signed (malloc'd) */
	char *gpg;            /* the gpg program gpgme runs (malloc'd) */
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

int q_sign_make_home(const char *keydir, struct q_error *err)
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

int q_sign_check_home(const char *keydir, struct q_error *err)
{
	struct stat st;

	if (strlen(keydir) >= 900)
		return q_error_set(err, Q_EINVAL, "key directory '%s' is too long", keydir);
	if (mkdir(keydir, 0700) < 0 && errno != EEXIST)
		return q_error_set(err, Q_EIO, "cannot create key directory '%s': %s", keydir,
				   strerror(errno));
	if (stat(keydir, &st) < 0)
		return q_error_set(err, Q_EIO, "cannot read key directory '%s': %s", keydir,
				   strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return q_error_set(err, Q_EINVAL, "key directory '%s' is not a directory", keydir);
	if (st.st_uid != geteuid())
		return q_error_set(err, Q_EPERM,
				   "key directory '%s' is owned by uid %ld, not by this user (uid "
				   "%ld); the signer's keys must belong to the user it runs as",
				   keydir, (long)st.st_uid, (long)geteuid());
	if (st.st_mode & 077)
		return q_error_set(err, Q_EPERM,
				   "key directory '%s' has mode %04o: group or others may use it; "
				   "run 'chmod 700 %s'",
				   keydir, (unsigned)(st.st_mode & 07777), keydir);
	return 0;
}

int q_sign_valid_fpr(const char *fpr)
{
	size_t n = strlen(fpr);

	if (n != 40 && n != 64)
		return 0;
	for (; *fpr; fpr++)
		if (!((*fpr >= '0' && *fpr <= '9') || (*fpr >= 'A' && *fpr <= 'F')))
			return 0;
	return 1;
}

/* Remove what a crashed operation left in the work directory. */
static void clean_workdir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	time_t now = time(NULL);

	if (!d)
		return;
	while ((de = readdir(d))) {
		struct stat st;

		if (de->d_name[0] == '.')
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    now - st.st_mtime > WORK_STALE_SECONDS) {
			q_info("signer: removing stale '%s/%s'", dir, de->d_name);
			unlinkat(dirfd(d), de->d_name, S_ISDIR(st.st_mode) ? AT_REMOVEDIR : 0);
		}
	}
	closedir(d);
}

struct q_sign_engine *q_sign_engine_open(const char *keydir, struct q_error *err)
{
	struct q_sign_engine *s = NULL;
	gpgme_engine_info_t info;
	gpgme_error_t ge;

	pthread_once(&gpgme_once, init_gpgme);
	if (!gpgme_ready) {
		q_error_set(err, Q_EINTERNAL, "gpgme cannot find a usable OpenPGP engine (gpg)");
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s || !(s->keydir = strdup(keydir)) ||
	    !(s->workdir = g_strdup_printf("%s/quarry-tmp", keydir))) {
		q_error_set(err, Q_EINTERNAL, "out of memory");
		goto fail;
	}
	if (mkdir(s->workdir, 0700) < 0 && errno != EEXIST) {
		q_error_set(err, Q_EIO, "cannot create the signer's work directory '%s': %s",
			    s->workdir, strerror(errno));
		goto fail;
	}
	chmod(s->workdir, 0700);
	clean_workdir(s->workdir);
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
	for (info = gpgme_ctx_get_engine_info(s->ctx); info; info = info->next)
		if (info->protocol == GPGME_PROTOCOL_OpenPGP && info->file_name)
			s->gpg = strdup(info->file_name);
	if (!s->gpg)
		s->gpg = strdup("/usr/bin/gpg");
	s->keys =
	    g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)gpgme_key_unref);
	pthread_mutex_init(&s->lock, NULL);
	return s;

fail:
	if (s) {
		if (s->ctx)
			gpgme_release(s->ctx);
		free(s->keydir);
		g_free(s->workdir);
		free(s);
	}
	return NULL;
}

void q_sign_engine_close(struct q_sign_engine *s)
{
	if (!s)
		return;
	gpgme_release(s->ctx);
	if (s->keys)
		g_hash_table_destroy(s->keys);
	pthread_mutex_destroy(&s->lock);
	free(s->keydir);
	g_free(s->workdir);
	free(s->gpg);
	free(s);
}

const char *q_sign_engine_keydir(const struct q_sign_engine *e)
{
	return e->keydir;
}

const char *q_sign_engine_workdir(const struct q_sign_engine *e)
{
	return e->workdir;
}

const char *q_sign_engine_gpg(const struct q_sign_engine *e)
{
	return e->gpg;
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

int q_sign_engine_keygen(struct q_sign_engine *s, const char *name, const char *email,
			 const char *algo, char **fpr_out, struct q_error *err)
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
	if (!res || !res->fpr || !q_sign_valid_fpr(res->fpr)) {
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

int q_sign_engine_export(struct q_sign_engine *s, const char *fpr, char **out, size_t *len,
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
	if (!q_sign_valid_fpr(fpr))
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

/* The secret key fpr (cached), with a reference for the caller. Under s->lock. */
static int engine_key(struct q_sign_engine *s, const char *fpr, gpgme_key_t *out,
		      struct q_error *err)
{
	gpgme_key_t key = g_hash_table_lookup(s->keys, fpr);
	gpgme_error_t ge;

	*out = NULL;
	if (!key) {
		ge = gpgme_get_key(s->ctx, fpr, &key, 1);
		if (ge)
			return q_error_set(
			    err, gpg_err_code(ge) == GPG_ERR_EOF ? Q_ENOTFOUND : Q_EIO,
			    "secret key '%s' not found in '%s': %s", fpr, s->keydir, gerr(ge));
		g_hash_table_insert(s->keys, g_strdup(fpr), key);
	}
	gpgme_key_ref(key);
	*out = key;
	return 0;
}

/*
 * fpr is one fingerprint, or two joined by '+' ("NEW+OLD"): during a key
 * rotation's overlap repomd.xml carries a signature by each key, so a
 * client that knows either one verifies it.
 */
int q_sign_engine_sign(struct q_sign_engine *s, const char *fpr, const char *data, size_t len,
		       char **sig_out, size_t *sig_len, struct q_error *err)
{
	gpgme_data_t in = NULL, sig = NULL;
	gpgme_key_t keys[2] = {NULL, NULL};
	gpgme_sign_result_t res;
	gpgme_error_t ge = 0;
	char fprs[2][64] = {"", ""};
	const char *plus = strchr(fpr, '+');
	char *mem = NULL;
	size_t n = 0, nkeys = plus ? 2 : 1;
	int ret = -1, nsig = 0;

	*sig_out = NULL;
	*sig_len = 0;
	if (plus) {
		snprintf(fprs[0], sizeof(fprs[0]), "%.*s", (int)MIN((size_t)(plus - fpr), 63), fpr);
		snprintf(fprs[1], sizeof(fprs[1]), "%s", plus + 1);
	} else {
		snprintf(fprs[0], sizeof(fprs[0]), "%s", fpr);
	}
	for (size_t k = 0; k < nkeys; k++)
		if (!q_sign_valid_fpr(fprs[k]) || strlen(fpr) > 40 * 2 + 1)
			return q_error_set(err, Q_EINVAL, "invalid key fingerprint '%.90s'", fpr);

	pthread_mutex_lock(&s->lock);
	gpgme_signers_clear(s->ctx);
	for (size_t k = 0; k < nkeys; k++) {
		if (engine_key(s, fprs[k], &keys[k], err) < 0)
			goto out;
		ge = gpgme_signers_add(s->ctx, keys[k]);
		if (ge)
			break;
	}
	if (!ge)
		ge = gpgme_data_new_from_mem(&in, data, len, 0);
	if (!ge)
		ge = gpgme_data_new(&sig);
	if (!ge)
		ge = gpgme_op_sign(s->ctx, in, sig, GPGME_SIG_MODE_DETACH);
	if (ge) {
		q_error_set(err, Q_EIO, "cannot sign with key '%s': %s", fpr, gerr(ge));
		goto out;
	}
	res = gpgme_op_sign_result(s->ctx);
	for (gpgme_new_signature_t g = res ? res->signatures : NULL; g; g = g->next)
		nsig++;
	if (!res || res->invalid_signers || nsig != (int)nkeys) {
		q_error_set(err, Q_EIO, "cannot sign: key '%s' was not usable", fpr);
		goto out;
	}
	mem = gpgme_data_release_and_get_mem(sig, &n);
	sig = NULL;
	if (!mem || n == 0) {
		q_error_set(err, Q_EIO, "gpg produced an empty signature");
		goto out;
	}
	*sig_out = malloc(n);
	if (!*sig_out) {
		q_error_set(err, Q_EINTERNAL, "out of memory");
		goto out;
	}
	memcpy(*sig_out, mem, n);
	*sig_len = n;
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
	for (size_t k = 0; k < 2; k++)
		if (keys[k])
			gpgme_key_unref(keys[k]);
	return ret;
}
