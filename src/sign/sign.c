/*
 * sign.c: the signer of sign.h: a separate process that holds the keys.
 *
 * DESIGN
 * - q_signer_open forks a small signer process at once (the hub calls it
 *   before it starts threads or grows), connected by a socketpair. The
 *   hub's side (the q_signer_* functions at the end of this file) sends
 *   typed, size-checked requests: generate a key, export a public key, sign
 *   bytes. The signer reads no path from the hub and writes no file but its
 *   GnuPG home; it never opens a network socket. Forking gpg from this small
 *   process is also much cheaper than from the hub (page tables), which is
 *   most of a publish's signing time. Issue 5 turns it into `quarry
 *   signer` running as its own user.
 * - In the signer, one engine is one GnuPG home directory (mode 0700) and one
 *   gpgme context bound to it with gpgme_ctx_set_engine_info, so several homes can
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
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

extern char **environ;

/* Bound on what a caller may pass as a user id part. */
#define SIGN_UID_MAX 256

struct engine {
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

static struct engine *engine_open(const char *keydir, struct q_error *err)
{
	struct engine *s = NULL;
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
	s->keys =
	    g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)gpgme_key_unref);
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

static void engine_close(struct engine *s)
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

static int engine_keygen(struct engine *s, const char *name, const char *email, const char *algo,
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

static int engine_export(struct engine *s, const char *fpr, char **out, size_t *len,
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

static int engine_sign(struct engine *s, const char *fpr, const char *data, size_t len,
		       char **sig_out, size_t *sig_len, struct q_error *err)
{
	gpgme_data_t in = NULL, sig = NULL;
	gpgme_key_t key = NULL;
	gpgme_sign_result_t res;
	gpgme_error_t ge;
	char *mem = NULL;
	size_t n = 0;
	int ret = -1;

	*sig_out = NULL;
	*sig_len = 0;
	if (!valid_fpr(fpr))
		return q_error_set(err, Q_EINVAL, "invalid key fingerprint '%s'", fpr);

	pthread_mutex_lock(&s->lock);
	key = g_hash_table_lookup(s->keys, fpr);
	if (key) {
		gpgme_key_ref(key);
	} else {
		ge = gpgme_get_key(s->ctx, fpr, &key, 1);
		if (ge) {
			key = NULL;
			q_error_set(err, gpg_err_code(ge) == GPG_ERR_EOF ? Q_ENOTFOUND : Q_EIO,
				    "secret key '%s' not found in '%s': %s", fpr, s->keydir,
				    gerr(ge));
			goto out;
		}
		gpgme_key_ref(key);
		g_hash_table_insert(s->keys, g_strdup(fpr), key);
	}
	gpgme_signers_clear(s->ctx);
	ge = gpgme_signers_add(s->ctx, key);
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
	if (!res || res->invalid_signers || !res->signatures) {
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
	if (key)
		gpgme_key_unref(key);
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

/* ---- the hub's side: requests to the signer process -------------------- */

enum sign_op { OP_KEYGEN = 1, OP_EXPORT = 2, OP_SIGN = 3 };

#define MSG_MAX_PARTS 4
#define MSG_MAX_BYTES (64u << 20) /* a request or an answer, all parts */

/* On the wire: op (or status), number of parts, then each part's length
 * and bytes. Every length is checked against MSG_MAX_BYTES before use. */
struct msg {
	uint32_t op; /* request: enum sign_op; answer: q_code */
	uint32_t n;  /* parts */
	uint32_t len[MSG_MAX_PARTS];
	char *part[MSG_MAX_PARTS]; /* malloc'd, NUL-terminated */
};

struct q_signer {
	pthread_mutex_t lock; /* one request at a time on fd */
	int fd;               /* our end of the socketpair */
	pid_t pid;            /* the signer process */
	char *keydir;
};

static void msg_clear(struct msg *m)
{
	for (uint32_t i = 0; i < m->n && i < MSG_MAX_PARTS; i++)
		free(m->part[i]);
	memset(m, 0, sizeof(*m));
}

static int full_write(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t w = write(fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

static int full_read(int fd, void *buf, size_t len)
{
	char *p = buf;

	while (len) {
		ssize_t r = read(fd, p, len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		p += r;
		len -= (size_t)r;
	}
	return 0;
}

static int msg_send(int fd, uint32_t op, uint32_t n, const char *const *parts, const size_t *lens)
{
	uint32_t hdr[2] = {op, n};
	uint64_t total = 0;

	if (n > MSG_MAX_PARTS)
		return -1;
	for (uint32_t i = 0; i < n; i++)
		total += lens[i];
	if (total > MSG_MAX_BYTES)
		return -1;
	if (full_write(fd, hdr, sizeof(hdr)) < 0)
		return -1;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t l = (uint32_t)lens[i];
		if (full_write(fd, &l, sizeof(l)) < 0 || full_write(fd, parts[i], lens[i]) < 0)
			return -1;
	}
	return 0;
}

static int msg_recv(int fd, struct msg *m)
{
	uint32_t hdr[2];
	uint64_t total = 0;

	memset(m, 0, sizeof(*m));
	if (full_read(fd, hdr, sizeof(hdr)) < 0 || hdr[1] > MSG_MAX_PARTS)
		return -1;
	m->op = hdr[0];
	for (uint32_t i = 0; i < hdr[1]; i++) {
		uint32_t l;

		if (full_read(fd, &l, sizeof(l)) < 0)
			goto fail;
		total += l;
		if (total > MSG_MAX_BYTES)
			goto fail;
		m->part[i] = malloc((size_t)l + 1);
		m->n = i + 1;
		if (!m->part[i] || full_read(fd, m->part[i], l) < 0)
			goto fail;
		m->part[i][l] = '\0';
		m->len[i] = l;
	}
	return 0;
fail:
	msg_clear(m);
	return -1;
}

/* A part given as a C string must not hide a NUL. */
static int is_cstr(const struct msg *m, uint32_t i)
{
	return i < m->n && strlen(m->part[i]) == m->len[i];
}

/* The signer process: answer requests until the hub goes away. */
static void serve(int fd, const char *keydir)
{
	struct q_error err = {0};
	struct engine *e = engine_open(keydir, &err);
	struct msg m;

	while (msg_recv(fd, &m) == 0) {
		char *out = NULL;
		size_t len = 0;
		int rc = -1;

		q_error_clear(&err);
		if (!e) {
			/* report why the engine could not start, to every request */
		} else if (m.op == OP_KEYGEN && m.n == 3 && is_cstr(&m, 0) && is_cstr(&m, 1) &&
			   is_cstr(&m, 2)) {
			rc = engine_keygen(e, m.part[0], m.part[1], m.part[2], &out, &err);
			len = out ? strlen(out) : 0;
		} else if (m.op == OP_EXPORT && m.n == 1 && is_cstr(&m, 0)) {
			rc = engine_export(e, m.part[0], &out, &len, &err);
		} else if (m.op == OP_SIGN && m.n == 2 && is_cstr(&m, 0)) {
			rc = engine_sign(e, m.part[0], m.part[1], m.len[1], &out, &len, &err);
		} else {
			q_error_set(&err, Q_EINVAL,
				    "the signer refuses request %u: not a known request", m.op);
		}
		msg_clear(&m);
		if (rc == 0) {
			const char *parts[1] = {out};
			if (msg_send(fd, Q_OK, 1, parts, &len) < 0)
				break;
		} else {
			const char *parts[1] = {err.msg};
			size_t l = strlen(err.msg);
			if (msg_send(fd, err.code ? (uint32_t)err.code : Q_EINTERNAL, 1, parts,
				     &l) < 0)
				break;
		}
		free(out);
	}
	if (e)
		engine_close(e);
}

struct q_signer *q_signer_open(const char *keydir, struct q_error *err)
{
	struct q_signer *s;
	int sv[2];
	pid_t pid;

	if (make_home(keydir, err) < 0)
		return NULL;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		q_error_set(err, Q_EIO, "cannot create the signer's socket: %s", strerror(errno));
		return NULL;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		close(sv[0]);
		close(sv[1]);
		q_error_set(err, Q_EIO, "cannot start the signer process: %s", strerror(errno));
		return NULL;
	}
	if (pid == 0) {
		/* The signer: dies with its parent, keeps only its socket. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		signal(SIGINT, SIG_IGN);
		signal(SIGTERM, SIG_DFL);
		signal(SIGPIPE, SIG_IGN);
		close(sv[0]);
		for (int fd = 3; fd < sv[1]; fd++)
			close(fd);
		closefrom(sv[1] + 1);
		serve(sv[1], keydir);
		_exit(0);
	}
	close(sv[1]);
	s = calloc(1, sizeof(*s));
	if (!s || !(s->keydir = strdup(keydir))) {
		free(s);
		close(sv[0]);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		q_error_set(err, Q_EINTERNAL, "out of memory");
		return NULL;
	}
	s->fd = sv[0];
	s->pid = pid;
	pthread_mutex_init(&s->lock, NULL);
	return s;
}

void q_signer_close(struct q_signer *s)
{
	if (!s)
		return;
	close(s->fd); /* EOF: the signer exits */
	while (waitpid(s->pid, NULL, 0) < 0 && errno == EINTR)
		;
	pthread_mutex_destroy(&s->lock);
	free(s->keydir);
	free(s);
}

/* One request, one answer. *out (malloc'd, NUL-terminated) on success. */
static int call(struct q_signer *s, uint32_t op, uint32_t n, const char *const *parts,
		const size_t *lens, char **out, size_t *out_len, struct q_error *err)
{
	struct msg m;
	int ret;

	pthread_mutex_lock(&s->lock);
	if (msg_send(s->fd, op, n, parts, lens) < 0 || msg_recv(s->fd, &m) < 0 || m.n != 1) {
		pthread_mutex_unlock(&s->lock);
		return q_error_set(err, Q_EIO,
				   "the signer process (pid %ld) does not answer; restart the hub",
				   (long)s->pid);
	}
	pthread_mutex_unlock(&s->lock);
	if (m.op == Q_OK) {
		*out = m.part[0];
		if (out_len)
			*out_len = m.len[0];
		m.part[0] = NULL;
		m.n = 0;
		ret = 0;
	} else {
		ret = q_error_set(err, m.op < Q_CODE_COUNT ? (enum q_code)m.op : Q_EINTERNAL, "%s",
				  m.part[0]);
	}
	msg_clear(&m);
	return ret;
}

int q_signer_keygen(struct q_signer *s, const char *name, const char *email, const char *algo,
		    char **fpr_out, struct q_error *err)
{
	const char *parts[3] = {name, email, algo};
	size_t lens[3] = {strlen(name), strlen(email), strlen(algo ? algo : "")};

	*fpr_out = NULL;
	if (!algo)
		return q_error_set(err, Q_EINVAL, "invalid key algorithm ''");
	return call(s, OP_KEYGEN, 3, parts, lens, fpr_out, NULL, err);
}

int q_signer_export_public(struct q_signer *s, const char *fpr, char **out, size_t *len,
			   struct q_error *err)
{
	const char *parts[1] = {fpr};
	size_t lens[1] = {strlen(fpr)};

	*out = NULL;
	if (len)
		*len = 0;
	return call(s, OP_EXPORT, 1, parts, lens, out, len, err);
}

int q_signer_sign_detached(struct q_signer *s, const char *fpr, const char *in_path,
			   const char *out_path, struct q_error *err)
{
	char *data = NULL, *sig = NULL;
	size_t len = 0, siglen = 0;
	int ret;

	if (q_fs_read_file(in_path, MSG_MAX_BYTES / 2, &data, &len, err) < 0) {
		if (err)
			err->code = Q_EIO; /* what to sign must exist: the caller's failure */
		return -1;
	}
	{
		const char *parts[2] = {fpr, data};
		size_t lens[2] = {strlen(fpr), len};

		ret = call(s, OP_SIGN, 2, parts, lens, &sig, &siglen, err);
	}
	free(data);
	if (ret == 0) {
		ret = q_fs_write_atomic(out_path, sig, siglen, 0644, err);
	} else {
		q_error_prefix(err, "cannot sign '%s'", in_path);
	}
	free(sig);
	return ret;
}
