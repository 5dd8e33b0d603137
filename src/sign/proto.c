/*
 * proto.c: the signer's framing (see proto.h for the format).
 *
 * Reads and writes loop over short transfers and EINTR. A socket's
 * SO_RCVTIMEO/SO_SNDTIMEO (set by the caller) turns a peer that stops
 * sending or reading into EAGAIN, reported as "timed out", so neither end
 * ever waits forever on the other.
 */
#include "core/common.h"
#include "core/error.h"
#include "sign/proto.h"

#include <sys/socket.h>

#define STREAM_CHUNK (256u << 10)

struct hdr {
	uint32_t magic;
	uint32_t op;
	uint32_t n;
	uint32_t zero;
	uint64_t stream_len;
};

static int io_error(struct q_error *err, int saved, const char *what)
{
	if (saved == EAGAIN || saved == EWOULDBLOCK)
		return q_error_set(err, Q_EIO, "timed out while %s", what);
	if (saved == 0 || saved == EPIPE || saved == ECONNRESET)
		return q_error_set(err, Q_EIO, "connection closed while %s", what);
	return q_error_set(err, Q_EIO, "%s failed: %s", what, strerror(saved));
}

static int send_all(int fd, const void *buf, size_t len, struct q_error *err)
{
	const char *p = buf;

	while (len) {
		ssize_t w = send(fd, p, len, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return io_error(err, w < 0 ? errno : 0, "sending");
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

static int recv_all(int fd, void *buf, size_t len, struct q_error *err)
{
	char *p = buf;

	while (len) {
		ssize_t r = read(fd, p, len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return io_error(err, r < 0 ? errno : 0, "receiving");
		p += r;
		len -= (size_t)r;
	}
	return 0;
}

int q_sign_msg_send(int fd, uint32_t op, uint32_t n, const char *const *parts, const size_t *lens,
		    int stream_fd, uint64_t stream_len, struct q_error *err)
{
	struct hdr h = {Q_SIGN_MAGIC, op, n, 0, stream_len};
	uint64_t total = 0;
	char *buf = NULL;
	int ret = -1;

	if (n > Q_SIGN_MAX_PARTS)
		return q_error_set(err, Q_EINTERNAL, "a signer message has at most %d parts",
				   Q_SIGN_MAX_PARTS);
	for (uint32_t i = 0; i < n; i++)
		total += lens[i];
	if (total > Q_SIGN_MAX_BYTES)
		return q_error_set(err, Q_ETOOBIG,
				   "a signer message holds at most %u MiB (this one: %" PRIu64
				   " bytes)",
				   Q_SIGN_MAX_BYTES >> 20, total);
	if (stream_len && stream_fd < 0)
		return q_error_set(err, Q_EINTERNAL, "a stream without a file to send");
	if (send_all(fd, &h, sizeof(h), err) < 0)
		return -1;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t l = (uint32_t)lens[i];
		if (send_all(fd, &l, sizeof(l), err) < 0 ||
		    send_all(fd, parts[i], lens[i], err) < 0)
			return -1;
	}
	if (!stream_len)
		return 0;
	buf = malloc(STREAM_CHUNK);
	if (!buf)
		return q_error_set(err, Q_EINTERNAL, "out of memory");
	while (stream_len) {
		size_t want = stream_len < STREAM_CHUNK ? (size_t)stream_len : STREAM_CHUNK;
		ssize_t r = read(stream_fd, buf, want);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			q_error_set(err, Q_EIO, "cannot read the file to send: %s",
				    strerror(errno));
			goto out;
		}
		if (r == 0) {
			/* The file shrank: the peer expects more bytes than we have. */
			q_error_set(err, Q_EIO, "the file to send shrank while it was sent");
			goto out;
		}
		if (send_all(fd, buf, (size_t)r, err) < 0)
			goto out;
		stream_len -= (uint64_t)r;
	}
	ret = 0;
out:
	free(buf);
	return ret;
}

void q_sign_msg_clear(struct q_sign_msg *m)
{
	for (uint32_t i = 0; i < m->n && i < Q_SIGN_MAX_PARTS; i++)
		free(m->part[i]);
	memset(m, 0, sizeof(*m));
}

int q_sign_msg_recv(int fd, struct q_sign_msg *m, struct q_error *err)
{
	struct hdr h;
	uint64_t total = 0;
	ssize_t r;

	memset(m, 0, sizeof(*m));
	do
		r = read(fd, &h, sizeof(h));
	while (r < 0 && errno == EINTR);
	if (r == 0)
		return 1; /* closed between messages: the normal end of a connection */
	if (r < 0)
		return io_error(err, errno, "receiving");
	if ((size_t)r < sizeof(h) && recv_all(fd, (char *)&h + r, sizeof(h) - (size_t)r, err) < 0)
		return -1;
	if (h.magic != Q_SIGN_MAGIC)
		return q_error_set(err, Q_EIO,
				   "the peer does not speak the signer protocol (bad magic %08x)",
				   h.magic);
	if (h.n > Q_SIGN_MAX_PARTS || h.zero != 0)
		return q_error_set(err, Q_EIO, "a signer message with %u parts (at most %d)", h.n,
				   Q_SIGN_MAX_PARTS);
	m->op = h.op;
	for (uint32_t i = 0; i < h.n; i++) {
		uint32_t l;

		if (recv_all(fd, &l, sizeof(l), err) < 0)
			goto fail;
		total += l;
		if (total > Q_SIGN_MAX_BYTES) {
			q_error_set(err, Q_ETOOBIG, "a signer message of more than %u MiB",
				    Q_SIGN_MAX_BYTES >> 20);
			goto fail;
		}
		m->part[i] = malloc((size_t)l + 1);
		m->n = i + 1;
		if (!m->part[i]) {
			q_error_set(err, Q_EINTERNAL, "out of memory");
			goto fail;
		}
		if (recv_all(fd, m->part[i], l, err) < 0)
			goto fail;
		m->part[i][l] = '\0';
		m->len[i] = l;
	}
	m->stream_len = h.stream_len;
	return 0;
fail:
	q_sign_msg_clear(m);
	return -1;
}

int q_sign_stream_recv(int fd, uint64_t len, int out_fd, struct q_error *err)
{
	char *buf = malloc(STREAM_CHUNK);
	int ret = 0;

	if (!buf)
		return q_error_set(err, Q_EINTERNAL, "out of memory");
	while (len) {
		size_t want = len < STREAM_CHUNK ? (size_t)len : STREAM_CHUNK;
		ssize_t r = read(fd, buf, want);
		const char *p = buf;
		size_t left;

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			io_error(err, r < 0 ? errno : 0, "receiving a file");
			ret = -1;
			break;
		}
		len -= (uint64_t)r;
		/* After a write error, read the rest anyway: the connection stays in step. */
		for (left = (size_t)r; left && out_fd >= 0 && ret == 0;) {
			ssize_t w = write(out_fd, p, left);
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0) {
				q_error_set(err, Q_EIO, "cannot write a received file: %s",
					    w < 0 ? strerror(errno) : "short write");
				ret = -2;
				break;
			}
			p += w;
			left -= (size_t)w;
		}
	}
	free(buf);
	return ret;
}

int q_sign_msg_is_cstr(const struct q_sign_msg *m, uint32_t i)
{
	return i < m->n && strlen(m->part[i]) == m->len[i];
}
