/*
 * hash.c: see hash.h.
 */
#include "core/common.h"
#include "core/error.h"
#include "core/hash.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

static void to_hex(const unsigned char *in, unsigned len, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (unsigned i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * len] = '\0';
}

void q_hash_sha256_buf(const void *data, size_t len, char out[Q_SHA256_HEX])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;

	EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL);
	to_hex(md, mdlen, out);
}

int q_hash_sha256_file(const char *path, char out[Q_SHA256_HEX], struct q_error *err)
{
	unsigned char buf[65536], md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	EVP_MD_CTX *ctx;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return q_error_set(err, Q_EIO, "cannot open '%s': %s", path, strerror(errno));
	ctx = EVP_MD_CTX_new();
	EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		EVP_DigestUpdate(ctx, buf, (size_t)n);
	close(fd);
	if (n < 0) {
		EVP_MD_CTX_free(ctx);
		return q_error_set(err, Q_EIO, "cannot read '%s': %s", path, strerror(errno));
	}
	EVP_DigestFinal_ex(ctx, md, &mdlen);
	EVP_MD_CTX_free(ctx);
	to_hex(md, mdlen, out);
	return 0;
}

struct multi {
	EVP_MD_CTX *ctx[4];
};

static void multi_init(struct multi *m)
{
	const EVP_MD *mds[4] = {EVP_md5(), EVP_sha1(), EVP_sha256(), EVP_sha512()};

	for (int i = 0; i < 4; i++) {
		m->ctx[i] = EVP_MD_CTX_new();
		EVP_DigestInit_ex(m->ctx[i], mds[i], NULL);
	}
}

static void multi_update(struct multi *m, const void *data, size_t len)
{
	for (int i = 0; i < 4; i++)
		EVP_DigestUpdate(m->ctx[i], data, len);
}

static void multi_final(struct multi *m, struct q_digests *out)
{
	char *dst[4] = {out->md5, out->sha1, out->sha256, out->sha512};
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen;

	for (int i = 0; i < 4; i++) {
		mdlen = 0;
		EVP_DigestFinal_ex(m->ctx[i], md, &mdlen);
		to_hex(md, mdlen, dst[i]);
		EVP_MD_CTX_free(m->ctx[i]);
	}
}

void q_hash_digests_buf(const void *data, size_t len, struct q_digests *out)
{
	struct multi m;

	multi_init(&m);
	multi_update(&m, data, len);
	multi_final(&m, out);
}

int q_hash_digests_file(const char *path, struct q_digests *out, size_t *size, struct q_error *err)
{
	unsigned char buf[65536];
	struct multi m;
	size_t total = 0;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return q_error_set(err, Q_EIO, "cannot open '%s': %s", path, strerror(errno));
	multi_init(&m);
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		multi_update(&m, buf, (size_t)n);
		total += (size_t)n;
	}
	close(fd);
	multi_final(&m, out);
	if (n < 0)
		return q_error_set(err, Q_EIO, "cannot read '%s': %s", path, strerror(errno));
	if (size)
		*size = total;
	return 0;
}

int q_random_hex(char *buf, size_t n)
{
	unsigned char raw[256];

	if (n > sizeof(raw) || RAND_bytes(raw, (int)n) != 1)
		return -1;
	to_hex(raw, (unsigned)n, buf);
	return 0;
}

int q_is_hex(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return s[i] == '\0';
}
