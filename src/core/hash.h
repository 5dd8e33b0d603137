/*
 * hash.h: message digests through OpenSSL's EVP interface, as lowercase hex.
 */
#ifndef Q_HASH_H
#define Q_HASH_H

#include <stddef.h>

struct q_error;

#define Q_SHA256_HEX 65 /* 64 hex digits + NUL */

/* The four digests the metalink needs, computed in one pass. */
struct q_digests {
	char md5[33];
	char sha1[41];
	char sha256[65];
	char sha512[129];
};

void q_hash_sha256_buf(const void *data, size_t len, char out[Q_SHA256_HEX]);
int q_hash_sha256_file(const char *path, char out[Q_SHA256_HEX], struct q_error *err);
void q_hash_digests_buf(const void *data, size_t len, struct q_digests *out);
int q_hash_digests_file(const char *path, struct q_digests *out, size_t *size, struct q_error *err);
/* Fill buf with n cryptographically random bytes, as 2n hex digits + NUL. */
int q_random_hex(char *buf, size_t n);
/* 1 when s is exactly len lowercase hex digits. */
int q_is_hex(const char *s, size_t len);

#endif
