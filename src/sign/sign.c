/*
 * sign.c: the caller's side of sign.h: requests to a signer process.
 *
 * DESIGN
 * - Two ways to reach a signer, one protocol (proto.h) and one server
 *   (server.c):
 *   - forked (q_signer_open): a child forked at once (the hub calls it
 *     before it starts threads or grows) serves one socketpair for the
 *     caller's lifetime, exactly as `quarry signer` serves a connection.
 *     Calls are serialised on that channel; a call that fails mid-message
 *     leaves it out of step, so every later call fails ("restart the hub").
 *     Forking gpg from this small process is also much cheaper than from
 *     the hub (page tables), which is most of a publish's signing time.
 *   - socket (q_signer_connect): every call connects to `quarry signer`'s
 *     unix socket, so a restarted signer is picked up at the next call and
 *     threads never wait on each other here (the signer orders them).
 * - Both ends set SO_RCVTIMEO/SO_SNDTIMEO: a signer that is down fails a
 *   call at once (ENOENT, ECONNREFUSED), one that hangs fails it after the
 *   timeout; no call waits forever. The error names the signer.
 * - Files go as streams (an RPM is never held in memory); what comes back
 *   is written beside out_path and renamed over it only when complete.
 */
#include "core/common.h"
#include "core/error.h"
#include "core/fs.h"
#include "core/log.h"
#include "sign/proto.h"
#include "sign/server.h"
#include "sign/sign.h"

#include <fcntl.h>
#include <libgen.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>

extern char **environ;

struct q_signer {
	pthread_mutex_t lock; /* forked: one request at a time on fd */
	int fd;               /* forked: our end of the socketpair; socket: -1 */
	pid_t pid;            /* forked: the signer process */
	int broken;           /* forked: a call failed mid-message (under lock) */
	char *path;           /* socket: the signer's socket (malloc'd); forked: NULL */
	int timeout;          /* seconds the signer may stay silent in a call */
	char *keydir;         /* forked: the GnuPG home (malloc'd) */
};

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

static void set_timeouts(int fd, int seconds)
{
	struct timeval tv = {seconds > 0 ? seconds : Q_SIGNER_TIMEOUT_DEFAULT, 0};

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/* The forked signer whose engine could not start: say why to every request. */
static void serve_broken(int fd, const struct q_error *why)
{
	struct q_error err = {0};
	struct q_sign_msg m;

	while (q_sign_msg_recv(fd, &m, &err) == 0) {
		const char *parts[1] = {why->msg};
		size_t l = strlen(why->msg);
		int more = m.stream_len == 0;

		q_sign_msg_clear(&m);
		if (q_sign_msg_send(fd, why->code ? (uint32_t)why->code : Q_EINTERNAL, 1, parts, &l,
				    -1, 0, &err) < 0 ||
		    !more)
			break;
	}
}

struct q_signer *q_signer_open(const char *keydir, struct q_error *err)
{
	struct q_signer *s;
	int sv[2];
	pid_t pid;

	if (q_sign_make_home(keydir, err) < 0)
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
		struct q_error eerr = {0};
		struct q_sign_engine *e;

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		signal(SIGINT, SIG_IGN);
		signal(SIGTERM, SIG_DFL);
		signal(SIGPIPE, SIG_IGN);
		close(sv[0]);
		for (int fd = 3; fd < sv[1]; fd++)
			close(fd);
		closefrom(sv[1] + 1);
		e = q_sign_engine_open(keydir, &eerr);
		if (e)
			q_sign_serve_conn(e, sv[1], 0);
		else
			serve_broken(sv[1], &eerr);
		q_sign_engine_close(e);
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
	s->timeout = Q_SIGNER_TIMEOUT_DEFAULT;
	set_timeouts(s->fd, s->timeout);
	pthread_mutex_init(&s->lock, NULL);
	return s;
}

struct q_signer *q_signer_connect(const char *path, int timeout_s, struct q_error *err)
{
	struct sockaddr_un sa;
	struct q_signer *s;

	if (!path || !*path || strlen(path) >= sizeof(sa.sun_path)) {
		q_error_set(err, Q_EINVAL,
			    "signer socket path '%s' is empty or longer than %zu bytes",
			    path ? path : "", sizeof(sa.sun_path) - 1);
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s || !(s->path = strdup(path))) {
		free(s);
		q_error_set(err, Q_EINTERNAL, "out of memory");
		return NULL;
	}
	s->fd = -1;
	s->timeout = timeout_s > 0 ? timeout_s : Q_SIGNER_TIMEOUT_DEFAULT;
	pthread_mutex_init(&s->lock, NULL);
	return s;
}

void q_signer_set_timeout(struct q_signer *s, int timeout_s)
{
	s->timeout = timeout_s > 0 ? timeout_s : Q_SIGNER_TIMEOUT_DEFAULT;
	if (s->fd >= 0)
		set_timeouts(s->fd, s->timeout);
}

void q_signer_close(struct q_signer *s)
{
	if (!s)
		return;
	if (s->fd >= 0) {
		close(s->fd); /* EOF: the signer exits */
		while (waitpid(s->pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	pthread_mutex_destroy(&s->lock);
	free(s->keydir);
	free(s->path);
	free(s);
}

/* "the signer … is not answering: why" */
static int not_answering(struct q_signer *s, const struct q_error *why, struct q_error *err)
{
	if (s->path)
		return q_error_set(err, Q_EIO, "the signer at '%s' is not answering: %s", s->path,
				   why->msg);
	return q_error_set(err, Q_EIO,
			   "the signer process (pid %ld) is not answering: %s; restart the hub",
			   (long)s->pid, why->msg);
}

/* A new connection to the signer's socket; -1 and err when there is none. */
static int connect_socket(struct q_signer *s, struct q_error *err)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct q_error why = {0};
	int fd;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", s->path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		q_error_set(&why, Q_EIO, "socket: %s", strerror(errno));
		return not_answering(s, &why, err);
	}
	/* SO_SNDTIMEO also bounds a connect that waits for a full backlog. */
	set_timeouts(fd, s->timeout);
	while (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;

		if (e == EINTR)
			continue;
		close(fd);
		if (e == EAGAIN || e == EINPROGRESS)
			q_error_set(&why, Q_EIO, "timed out connecting");
		else if (e == EACCES || e == EPERM)
			q_error_set(&why, Q_EIO,
				    "%s (this user needs write access to the socket: see "
				    "--socket-mode and --socket-group of 'quarry signer')",
				    strerror(e));
		else
			q_error_set(&why, Q_EIO, "%s", strerror(e));
		return not_answering(s, &why, err);
	}
	return fd;
}

/*
 * One request, one answer. in_fd/in_len: a file to stream after the parts.
 * out_fd: where a streamed answer goes (at most out_max bytes); -1 when
 * none is expected. *out (malloc'd, NUL-terminated) on success.
 */
static int call(struct q_signer *s, uint32_t op, uint32_t n, const char *const *parts,
		const size_t *lens, int in_fd, uint64_t in_len, int out_fd, uint64_t out_max,
		char **out, size_t *out_len, struct q_error *err)
{
	struct q_error why = {0};
	struct q_sign_msg m = {0};
	int fd, ret = -1, sent;

	*out = NULL;
	if (s->path) {
		fd = connect_socket(s, err);
		if (fd < 0)
			return -1;
	} else {
		pthread_mutex_lock(&s->lock);
		fd = s->fd;
		if (s->broken) {
			q_error_set(&why, Q_EIO, "an earlier request failed half-way");
			not_answering(s, &why, err);
			goto out;
		}
	}
	sent = q_sign_msg_send(fd, op, n, parts, lens, in_fd, in_len, &why) == 0;
	/* Even when sending failed, the signer may have refused with an answer
	 * before it stopped reading (a file it will not take): read it. */
	if (q_sign_msg_recv(fd, &m, sent ? &why : NULL) != 0 || m.n != 1) {
		if (sent && m.n > 1)
			q_error_set(&why, Q_EIO, "an answer of %u parts", m.n);
		else if (sent && !why.msg[0])
			q_error_set(&why, Q_EIO, "connection closed before the answer");
		goto broken;
	}
	if (m.stream_len) {
		if (m.op != Q_OK || out_fd < 0 || m.stream_len > out_max) {
			q_error_set(&why, Q_EIO, "an unexpected file of %" PRIu64 " bytes",
				    m.stream_len);
			goto broken;
		}
		switch (q_sign_stream_recv(fd, m.stream_len, out_fd, &why)) {
		case -1:
			goto broken;
		case -2: /* our disk, not the signer: the channel is still in step */
			ret = q_error_set(err, Q_EIO, "%s", why.msg);
			goto out;
		}
	}
	if (!sent && m.op == Q_OK) {
		q_error_set(&why, Q_EIO, "it answered a request it did not receive");
		goto broken;
	}
	if (!sent && !s->path)
		s->broken = 1; /* it answered, but the rest of our request is still in flight */
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
	goto out;
broken:
	if (!s->path)
		s->broken = 1;
	not_answering(s, &why, err);
out:
	q_sign_msg_clear(&m);
	if (s->path)
		close(fd);
	else
		pthread_mutex_unlock(&s->lock);
	return ret;
}

int q_signer_check(struct q_signer *s, struct q_error *err)
{
	int fd;

	if (!s->path) {
		if (s->broken || kill(s->pid, 0) < 0)
			return q_error_set(err, Q_EIO, "the signer process (pid %ld) is gone",
					   (long)s->pid);
		return 0;
	}
	fd = connect_socket(s, err);
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

int q_signer_keygen(struct q_signer *s, const char *name, const char *email, const char *algo,
		    char **fpr_out, struct q_error *err)
{
	const char *parts[3] = {name, email, algo};
	size_t lens[3] = {strlen(name), strlen(email), strlen(algo ? algo : "")};

	*fpr_out = NULL;
	if (!algo)
		return q_error_set(err, Q_EINVAL, "invalid key algorithm ''");
	return call(s, Q_SIGN_OP_KEYGEN, 3, parts, lens, -1, 0, -1, 0, fpr_out, NULL, err);
}

int q_signer_rotate(struct q_signer *s, const char *sig, const char *algo, char **fpr_out,
		    struct q_error *err)
{
	const char *parts[2] = {sig, algo};
	size_t lens[2] = {strlen(sig), strlen(algo ? algo : "")};

	*fpr_out = NULL;
	if (!algo)
		return q_error_set(err, Q_EINVAL, "invalid key algorithm ''");
	return call(s, Q_SIGN_OP_ROTATE, 2, parts, lens, -1, 0, -1, 0, fpr_out, NULL, err);
}

int q_signer_export_public(struct q_signer *s, const char *fpr, char **out, size_t *len,
			   struct q_error *err)
{
	const char *parts[1] = {fpr};
	size_t lens[1] = {strlen(fpr)};

	*out = NULL;
	if (len)
		*len = 0;
	return call(s, Q_SIGN_OP_EXPORT, 1, parts, lens, -1, 0, -1, 0, out, len, err);
}

int q_signer_sign_detached(struct q_signer *s, const char *fpr, const char *in_path,
			   const char *out_path, struct q_error *err)
{
	char *data = NULL, *sig = NULL;
	size_t len = 0, siglen = 0;
	int ret;

	if (q_fs_read_file(in_path, Q_SIGN_MAX_BYTES / 2, &data, &len, err) < 0) {
		if (err)
			err->code = Q_EIO; /* what to sign must exist: the caller's failure */
		return -1;
	}
	{
		const char *parts[2] = {fpr, data};
		size_t lens[2] = {strlen(fpr), len};

		ret = call(s, Q_SIGN_OP_SIGN, 2, parts, lens, -1, 0, -1, 0, &sig, &siglen, err);
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

/* The file name the signer shows in its messages: in_path's, made harmless. */
static void display_name(const char *in_path, char out[256])
{
	const char *base = strrchr(in_path, '/');
	size_t i;

	snprintf(out, 256, "%s", base ? base + 1 : in_path);
	for (i = 0; out[i]; i++)
		if ((unsigned char)out[i] < 0x20 || out[i] == 0x7f || out[i] == '\'')
			out[i] = '_';
	if (i == 0)
		snprintf(out, 256, "package.rpm");
}

int q_signer_sign_rpm(struct q_signer *s, const char *fpr, const char *in_path,
		      const char *out_path, struct q_error *err)
{
	char name[256], tmp[4200], *nevra = NULL;
	struct stat st;
	int in_fd = -1, out_fd = -1, ret = -1;

	tmp[0] = '\0';
	in_fd = open(in_path, O_RDONLY | O_CLOEXEC);
	if (in_fd < 0)
		return q_error_set(err, Q_EIO, "cannot open '%s': %s", in_path, strerror(errno));
	if (fstat(in_fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		q_error_set(err, Q_EINVAL, "'%s' is not a regular file", in_path);
		goto out;
	}
	if ((uint64_t)st.st_size > Q_SIGNER_RPM_MAX) {
		q_error_set(err, Q_ETOOBIG,
			    "cannot sign '%s': %" PRIu64
			    " bytes, over the signer's limit of %" PRIu64,
			    in_path, (uint64_t)st.st_size, (uint64_t)Q_SIGNER_RPM_MAX);
		goto out;
	}
	if (snprintf(tmp, sizeof(tmp), "%s.tmp-%ld-%lx", out_path, (long)getpid(),
		     (unsigned long)pthread_self()) >= (int)sizeof(tmp)) {
		tmp[0] = '\0';
		q_error_set(err, Q_EINVAL, "path '%s' is too long", out_path);
		goto out;
	}
	out_fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (out_fd < 0) {
		q_error_set(err, Q_EIO, "cannot create '%s': %s", tmp, strerror(errno));
		tmp[0] = '\0';
		goto out;
	}
	display_name(in_path, name);
	{
		const char *parts[2] = {fpr, name};
		size_t lens[2] = {strlen(fpr), strlen(name)};

		/* The signature header grows by a few KiB at most. */
		if (call(s, Q_SIGN_OP_SIGN_RPM, 2, parts, lens, in_fd, (uint64_t)st.st_size, out_fd,
			 (uint64_t)st.st_size + (1 << 20), &nevra, NULL, err) < 0) {
			q_error_prefix(err, "cannot sign '%s'", in_path);
			goto out;
		}
	}
	if (fsync(out_fd) < 0 || close(out_fd) < 0) {
		out_fd = -1;
		q_error_set(err, Q_EIO, "cannot write '%s': %s", tmp, strerror(errno));
		goto out;
	}
	out_fd = -1;
	if (rename(tmp, out_path) < 0) {
		q_error_set(err, Q_EIO, "cannot rename '%s' to '%s': %s", tmp, out_path,
			    strerror(errno));
		goto out;
	}
	tmp[0] = '\0';
	if (q_fs_fsync_parent(out_path, err) < 0)
		goto out;
	q_debug("signed %s (%s) with %s", nevra, in_path, fpr);
	ret = 0;
out:
	if (out_fd >= 0)
		close(out_fd);
	if (tmp[0])
		unlink(tmp);
	if (in_fd >= 0)
		close(in_fd);
	free(nevra);
	return ret;
}
