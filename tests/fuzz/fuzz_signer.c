/*
 * fuzz_signer.c: what the signer reads from a peer: the message framing
 * (q_sign_msg_recv, q_sign_stream_recv over a pipe holding the input) and
 * the repomd.xml check (q_sign_check_repomd). Invariants: a received
 * message has at most Q_SIGN_MAX_PARTS parts, each NUL-terminated at its
 * length and together within Q_SIGN_MAX_BYTES; a refused document is
 * Q_EINVAL with the signer's message; an accepted one starts (after a BOM,
 * blanks and an XML declaration) with "<repomd" and ends with "</repomd>".
 */
#include "core/common.h"
#include "core/error.h"
#include "sign/proto.h"
#include "sign/server.h"

#include <fcntl.h>

#define CHECK(x)                                                                                   \
	do {                                                                                       \
		if (!(x))                                                                          \
			abort();                                                                   \
	} while (0)

/* A pipe holds 64 KiB by default: larger inputs are cut to fit. */
#define INPUT_MAX (60u << 10)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_repomd(const uint8_t *data, size_t size)
{
	struct q_error err = {0};
	const char *end = (const char *)data + size;

	if (q_sign_check_repomd((const char *)data, size, &err) < 0) {
		CHECK(err.code == Q_EINVAL);
		CHECK(strstr(err.msg, Q_SIGN_ONLY_MSG) == err.msg);
		return;
	}
	CHECK(memmem(data, size, "<repomd", 7) != NULL);
	while (end > (const char *)data && strchr(" \t\r\n", end[-1]))
		end--;
	CHECK(end - (const char *)data >= 9 && !memcmp(end - 9, "</repomd>", 9));
	CHECK(!memchr(data, '\0', size));
}

static void check_framing(const uint8_t *data, size_t size)
{
	struct q_error err = {0};
	struct q_sign_msg m;
	int p[2];

	if (size > INPUT_MAX)
		size = INPUT_MAX;
	if (pipe2(p, O_CLOEXEC) < 0)
		return;
	if (size && write(p[1], data, size) != (ssize_t)size)
		abort();
	close(p[1]);
	for (int i = 0; i < 16; i++) {
		uint64_t total = 0;
		int rc = q_sign_msg_recv(p[0], &m, &err);

		CHECK(rc >= -1 && rc <= 1);
		if (rc != 0)
			break;
		CHECK(m.n <= Q_SIGN_MAX_PARTS);
		for (uint32_t k = 0; k < m.n; k++) {
			CHECK(m.part[k][m.len[k]] == '\0');
			total += m.len[k];
		}
		CHECK(total <= Q_SIGN_MAX_BYTES);
		/* Drop the stream as the signer does with one it does not want. */
		rc = m.stream_len ? q_sign_stream_recv(p[0], m.stream_len, -1, &err) : 0;
		q_sign_msg_clear(&m);
		CHECK(rc == 0 || rc == -1);
		if (rc < 0)
			break;
	}
	close(p[0]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_repomd(data, size);
	check_framing(data, size);
	return 0;
}
