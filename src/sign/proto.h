/*
 * proto.h: the signer's wire format, shared by its two ends (sign.c, the
 * hub's side; server.c, the signer's side). Internal to src/sign/ and its
 * unit tests; callers use sign.h.
 *
 * A message, in the host's byte order (both ends are on one machine: a
 * socketpair or a unix socket):
 *
 *   u32 magic "QSG1"   a peer that is not a signer fails at once
 *   u32 op             request: enum q_sign_op; answer: enum q_code (0 = ok)
 *   u32 n              parts, at most Q_SIGN_MAX_PARTS
 *   u32 zero
 *   u64 stream_len     bytes of the stream after the parts (0: none)
 *   n × (u32 len, len bytes)   at most Q_SIGN_MAX_BYTES in all, held in memory
 *   stream_len bytes   a file (an RPM), never held in memory
 *
 * Every length is checked against its bound before anything is allocated
 * or read; a receiver that sees a bad header drops the connection (the
 * stream can no longer be trusted to be in step). An answer has one part:
 * the result, or the error message when op is not Q_OK.
 */
#ifndef Q_SIGN_PROTO_H
#define Q_SIGN_PROTO_H

#include <stddef.h>
#include <stdint.h>

struct q_error;

enum q_sign_op {
	Q_SIGN_OP_KEYGEN = 1,   /* name, email, algo → fingerprint */
	Q_SIGN_OP_EXPORT = 2,   /* fpr → armored public key */
	Q_SIGN_OP_SIGN = 3,     /* fpr, repomd.xml bytes → armored detached signature */
	Q_SIGN_OP_SIGN_RPM = 4, /* fpr, file name + stream (the RPM) → NEVRA + stream (signed) */
	Q_SIGN_OP_ROTATE = 5,   /* sig, algo → fingerprint of the SIG's new key */
};

#define Q_SIGN_MAGIC 0x31475351u /* "QSG1" on a little-endian host */
#define Q_SIGN_MAX_PARTS 4
#define Q_SIGN_MAX_BYTES (64u << 20) /* the parts of one message, together */

struct q_sign_msg {
	uint32_t op;                    /* enum q_sign_op, or enum q_code in an answer */
	uint32_t n;                     /* parts received */
	uint32_t len[Q_SIGN_MAX_PARTS]; /* their lengths */
	char *part[Q_SIGN_MAX_PARTS];   /* malloc'd, NUL-terminated (a NUL may hide inside) */
	uint64_t stream_len;            /* bytes of the stream still to read (q_sign_stream_recv) */
};

/*
 * Send one message on the socket fd. When stream_len > 0, exactly that many
 * bytes are copied from stream_fd (read from its current offset) after the
 * parts. Writes never raise SIGPIPE. -1 and err (Q_EIO, "timed out",
 * "connection closed", …) on failure.
 */
int q_sign_msg_send(int fd, uint32_t op, uint32_t n, const char *const *parts, const size_t *lens,
		    int stream_fd, uint64_t stream_len, struct q_error *err);

/*
 * Read the header and the parts of one message into *m (cleared first;
 * q_sign_msg_clear frees it). The stream, if any, is left on the socket:
 * m->stream_len says how long it is, and the caller reads it with
 * q_sign_stream_recv or drops the connection. Returns 0, 1 when the peer
 * closed the connection cleanly before a message began, -1 and err on a
 * bad or truncated message or a timeout.
 */
int q_sign_msg_recv(int fd, struct q_sign_msg *m, struct q_error *err);

/*
 * Read the len bytes of a stream from fd into out_fd (out_fd < 0: read and
 * drop them). 0; -1 and err when the connection failed (it must close); -2
 * and err when writing out_fd failed (the stream was read to its end, the
 * connection is still in step).
 */
int q_sign_stream_recv(int fd, uint64_t len, int out_fd, struct q_error *err);

void q_sign_msg_clear(struct q_sign_msg *m);

/* 1 when part i exists and is a C string (no NUL inside). */
int q_sign_msg_is_cstr(const struct q_sign_msg *m, uint32_t i);

#endif
