/*
 * server.c: what the signer accepts and how it answers (server.h).
 *
 * DESIGN
 * - One request at a time, one connection at a time: a request runs gpg or
 *   rpmsign for milliseconds to seconds, and the engine is serialised
 *   anyway. Other clients wait in the listen backlog; both ends have
 *   timeouts, so a client that stalls mid-message is dropped (30 s) and a
 *   connection without a request for idle_ms is closed, so no client holds
 *   the signer.
 * - Every request is checked before anything is signed: a known op, the
 *   right number of parts, C strings where strings are expected, a valid
 *   fingerprint. sign-detached signs only repomd.xml documents
 *   (q_sign_check_repomd); sign-rpm only RPMs (rpmsign.c). A refusal is an
 *   answer (Q_EINVAL and a message); a malformed message drops the
 *   connection.
 * - An RPM arrives as a stream into a private temporary file of the work
 *   directory (bounded by Q_SIGNER_RPM_MAX), is signed in place, and goes
 *   back as a stream; the file is removed whatever happens.
 * - The signer opens no network socket and no file outside its key
 *   directory; it runs gpg (through gpgme) and rpmsign, nothing else.
 */
#include "core/common.h"
#include "core/error.h"
#include "core/log.h"
#include "core/names.h"
#include "sign/proto.h"
#include "sign/server.h"
#include "sign/sign.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>

#define PEER_TIMEOUT_S 30 /* a client that stops sending or reading mid-message */
#define NAME_MAX_LEN 255  /* a display name of an RPM */

static const char ns_repo[] = "http://linux.duke.edu/metadata/repo";

static int is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int refuse(struct q_error *err, const char *why)
{
	return q_error_set(err, Q_EINVAL, "%s: %s", Q_SIGN_ONLY_MSG, why);
}

int q_sign_check_repomd(const char *data, size_t len, struct q_error *err)
{
	const char *p = data, *end = data + len, *tag_end, *e;

	if (len > Q_SIGN_REPOMD_MAX)
		return refuse(err, "this document is too large to be a repomd.xml");
	if (len >= 4 && (unsigned char)data[0] == 0xed && (unsigned char)data[1] == 0xab &&
	    (unsigned char)data[2] == 0xee && (unsigned char)data[3] == 0xdb)
		return refuse(err, "this is an RPM package; RPMs are signed with sign-rpm");
	if (memchr(data, '\0', len))
		return refuse(err, "this is not a repomd.xml document (it holds a NUL byte)");
	if (len >= 3 && !memcmp(p, "\xef\xbb\xbf", 3))
		p += 3;
	while (p < end && is_ws(*p))
		p++;
	/* An XML declaration, then only whitespace before the root element:
	 * no DOCTYPE (no entities), no comment, no processing instruction. */
	if (end - p >= 5 && !memcmp(p, "<?xml", 5) && (end - p == 5 || is_ws(p[5]))) {
		const char *q =
		    memmem(p, (size_t)(end - p) < 512 ? (size_t)(end - p) : 512, "?>", 2);

		if (!q || memchr(p + 1, '<', (size_t)(q - p - 1)))
			return refuse(err,
				      "this is not a repomd.xml document (bad XML declaration)");
		p = q + 2;
		while (p < end && is_ws(*p))
			p++;
	}
	if (end - p < 8 || memcmp(p, "<repomd", 7) != 0 || !(is_ws(p[7]) || p[7] == '>'))
		return refuse(err, "this is not a repomd.xml document (its root element is not "
				   "<repomd>)");
	tag_end = memchr(p, '>', (size_t)(end - p) < 4096 ? (size_t)(end - p) : 4096);
	if (!tag_end || memchr(p + 1, '<', (size_t)(tag_end - p - 1)))
		return refuse(err, "this is not a repomd.xml document (bad <repomd> tag)");
	{
		/* xmlns="…/metadata/repo" (or in single quotes) among the attributes. */
		char dq[64], sq[64];
		size_t tl = (size_t)(tag_end - p);

		snprintf(dq, sizeof(dq), "xmlns=\"%s\"", ns_repo);
		snprintf(sq, sizeof(sq), "xmlns='%s'", ns_repo);
		if (!memmem(p, tl, dq, strlen(dq)) && !memmem(p, tl, sq, strlen(sq)))
			return refuse(err, "this is not a repomd.xml document (<repomd> without "
					   "the createrepo namespace)");
	}
	e = end;
	while (e > tag_end && is_ws(e[-1]))
		e--;
	if (e - tag_end < 10 || memcmp(e - 9, "</repomd>", 9) != 0)
		return refuse(err, "this is not a repomd.xml document (it does not end with "
				   "</repomd>)");
	return 0;
}

static void set_timeouts(int fd, int seconds)
{
	struct timeval tv = {seconds, 0};

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/* A display name for messages: printable, no '/', bounded. */
static int valid_display_name(const struct q_sign_msg *m, uint32_t i)
{
	if (!q_sign_msg_is_cstr(m, i) || m->len[i] == 0 || m->len[i] > NAME_MAX_LEN)
		return 0;
	for (const char *c = m->part[i]; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f || *c == '/' || *c == '\'')
			return 0;
	return 1;
}

/*
 * sign-rpm: receive the stream into a private file, sign it, answer with the
 * NEVRA and the signed file. Returns -1 when the connection must close.
 */
static int serve_sign_rpm(struct q_sign_engine *e, int fd, struct q_sign_msg *m)
{
	struct q_error err = {0}, terr = {0};
	char path[1200], *nevra = NULL;
	struct stat st;
	int tfd = -1, made = 0, rc, ret = 0;

	if (m->stream_len > Q_SIGNER_RPM_MAX) {
		/* Answer, then close: reading gigabytes to drop them helps nobody. */
		q_error_set(&err, Q_ETOOBIG,
			    "an RPM of %" PRIu64 " bytes is over the signer's limit (%" PRIu64
			    " bytes)",
			    m->stream_len, (uint64_t)Q_SIGNER_RPM_MAX);
		ret = -1;
		goto answer;
	}
	snprintf(path, sizeof(path), "%s/rpm-XXXXXX.rpm", q_sign_engine_workdir(e));
	tfd = mkostemps(path, 4, O_CLOEXEC);
	if (tfd < 0)
		q_error_set(&err, Q_EIO, "cannot create a file in '%s': %s",
			    q_sign_engine_workdir(e), strerror(errno));
	else
		made = 1;
	/* Read the whole stream even when it cannot be kept: the connection stays in step. */
	rc = q_sign_stream_recv(fd, m->stream_len, tfd, &terr);
	m->stream_len = 0;
	if (rc == -1) {
		q_warn("signer: dropping a client: %s", terr.msg);
		ret = -1;
		goto out;
	}
	if (tfd < 0)
		goto answer;
	if (rc == -2) {
		err = terr;
		goto answer;
	}
	if (close(tfd) < 0) {
		tfd = -1;
		q_error_set(&err, Q_EIO, "cannot write '%s': %s", path, strerror(errno));
		goto answer;
	}
	tfd = -1;
	if (q_sign_rpm_file(e, m->part[0], path, m->part[1], &nevra, &err) < 0)
		goto answer;
	tfd = open(path, O_RDONLY | O_CLOEXEC);
	if (tfd < 0 || fstat(tfd, &st) < 0) {
		q_error_set(&err, Q_EIO, "cannot read the signed '%s': %s", path, strerror(errno));
		goto answer;
	}
	{
		const char *parts[1] = {nevra};
		size_t lens[1] = {strlen(nevra)};

		if (q_sign_msg_send(fd, Q_OK, 1, parts, lens, tfd, (uint64_t)st.st_size, &err) <
		    0) {
			q_warn("signer: cannot send the signed '%s': %s", m->part[1], err.msg);
			ret = -1;
		}
	}
	goto out;
answer:
	q_info("signer: refused sign-rpm of '%s': %s", m->part[1], err.msg);
	{
		const char *parts[1] = {err.msg};
		size_t l = strlen(err.msg);

		if (q_sign_msg_send(fd, err.code ? (uint32_t)err.code : Q_EINTERNAL, 1, parts, &l,
				    -1, 0, NULL) < 0)
			ret = -1;
	}
out:
	if (tfd >= 0)
		close(tfd);
	if (made)
		unlink(path);
	free(nevra);
	return ret;
}

/* One request, one answer. Returns -1 when the connection must close. */
static int serve_one(struct q_sign_engine *e, int fd, struct q_sign_msg *m)
{
	struct q_error err = {0};
	char *out = NULL;
	size_t len = 0;
	int rc = -1;

	if (m->op == Q_SIGN_OP_SIGN_RPM && m->n == 2 && q_sign_msg_is_cstr(m, 0) &&
	    valid_display_name(m, 1))
		return serve_sign_rpm(e, fd, m);
	if (m->stream_len) {
		q_warn("signer: dropping a client that sent a file with request %u", m->op);
		return -1;
	}
	if (m->op == Q_SIGN_OP_KEYGEN && m->n == 3 && q_sign_msg_is_cstr(m, 0) &&
	    q_sign_msg_is_cstr(m, 1) && q_sign_msg_is_cstr(m, 2)) {
		rc = q_sign_engine_keygen(e, m->part[0], m->part[1], m->part[2], &out, &err);
		len = out ? strlen(out) : 0;
		if (rc == 0)
			q_info("signer: generated key %s for '%s'", out, m->part[0]);
	} else if (m->op == Q_SIGN_OP_ROTATE && m->n == 2 && q_sign_msg_is_cstr(m, 0) &&
		   q_sign_msg_is_cstr(m, 1)) {
		char name[128], email[128];

		if (q_name_check(Q_NAME_SIG, "sig name", m->part[0], &err) == 0) {
			snprintf(name, sizeof(name), Q_SIGNER_UID_NAME, m->part[0]);
			snprintf(email, sizeof(email), Q_SIGNER_UID_EMAIL, m->part[0]);
			rc = q_sign_engine_keygen(e, name, email, m->part[1], &out, &err);
			len = out ? strlen(out) : 0;
			if (rc == 0)
				q_info("signer: new key %s for sig '%s' (rotation)", out,
				       m->part[0]);
		}
	} else if (m->op == Q_SIGN_OP_EXPORT && m->n == 1 && q_sign_msg_is_cstr(m, 0)) {
		rc = q_sign_engine_export(e, m->part[0], &out, &len, &err);
	} else if (m->op == Q_SIGN_OP_SIGN && m->n == 2 && q_sign_msg_is_cstr(m, 0)) {
		rc = q_sign_check_repomd(m->part[1], m->len[1], &err);
		if (rc == 0)
			rc = q_sign_engine_sign(e, m->part[0], m->part[1], m->len[1], &out, &len,
						&err);
		else
			q_info("signer: refused sign-detached: %s", err.msg);
	} else {
		q_error_set(&err, Q_EINVAL, "the signer refuses request %u: not a known request",
			    m->op);
	}
	if (rc == 0) {
		const char *parts[1] = {out};
		rc = q_sign_msg_send(fd, Q_OK, 1, parts, &len, -1, 0, &err);
	} else {
		const char *parts[1] = {err.msg};
		size_t l = strlen(err.msg);
		struct q_error serr = {0};

		rc = q_sign_msg_send(fd, err.code ? (uint32_t)err.code : Q_EINTERNAL, 1, parts, &l,
				     -1, 0, &serr);
	}
	free(out);
	return rc;
}

void q_sign_serve_conn(struct q_sign_engine *e, int fd, int idle_ms)
{
	struct q_error err = {0};
	struct q_sign_msg m;

	set_timeouts(fd, PEER_TIMEOUT_S);
	for (;;) {
		struct pollfd pfd = {fd, POLLIN, 0};
		int rc;

		rc = poll(&pfd, 1, idle_ms > 0 ? idle_ms : -1);
		if (rc < 0 && errno == EINTR)
			break; /* a signal: let the caller look at its flags */
		if (rc <= 0)
			break; /* idle: the client comes back with a new connection */
		rc = q_sign_msg_recv(fd, &m, &err);
		if (rc != 0) {
			if (rc < 0)
				q_warn("signer: dropping a client: %s", err.msg);
			break;
		}
		rc = serve_one(e, fd, &m);
		q_sign_msg_clear(&m);
		if (rc < 0)
			break;
	}
}

int q_sign_listen_loop(struct q_sign_engine *e, int listen_fd, volatile sig_atomic_t *stop,
		       struct q_error *err)
{
	while (!*stop) {
		struct pollfd pfd = {listen_fd, POLLIN, 0};
		struct ucred cred;
		socklen_t cl = sizeof(cred);
		int fd, rc;

		rc = poll(&pfd, 1, -1);
		if (rc < 0) {
			if (errno == EINTR)
				continue;
			return q_error_set(err, Q_EIO, "poll: %s", strerror(errno));
		}
		fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == EAGAIN || errno == ECONNABORTED)
				continue;
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			    errno == ENOMEM) {
				q_warn("signer: accept: %s", strerror(errno));
				poll(NULL, 0, 100);
				continue;
			}
			return q_error_set(err, Q_EIO, "accept: %s", strerror(errno));
		}
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cl) == 0)
			q_debug("signer: client pid %ld uid %ld", (long)cred.pid, (long)cred.uid);
		q_sign_serve_conn(e, fd, 10 * 1000);
		close(fd);
	}
	return 0;
}
