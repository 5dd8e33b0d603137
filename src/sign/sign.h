/*
 * sign.h: the one small interface behind which signing lives.
 *
 * Today the implementation (sign.c) runs in the hub's process with gpgme
 * over one GnuPG home (DATA/keys, mode 0700) holding every SIG's key. A
 * later issue moves it into the separate `quarry signer` process; callers
 * do not change. Private key material never leaves this module.
 *
 * Thread safety: a q_signer may be shared by threads; calls are serialised
 * inside.
 */
#ifndef Q_SIGN_H
#define Q_SIGN_H

#include <stddef.h>

struct q_error;
struct q_signer;

/* Open (creating, mode 0700) the GnuPG home at keydir. Free with q_signer_close. */
struct q_signer *q_signer_open(const char *keydir, struct q_error *err);
void q_signer_close(struct q_signer *s);

/*
 * Generate a signing key with user id "NAME <EMAIL>", algorithm as GnuPG's
 * quick-gen-key names it ("rsa3072", "rsa2048", "ed25519"), no passphrase,
 * no expiry. *fpr_out (40 hex, upper case) is malloc'd; caller frees.
 */
int q_signer_keygen(struct q_signer *s, const char *name, const char *email, const char *algo,
		    char **fpr_out, struct q_error *err);

/* ASCII-armored public key of fpr; *out malloc'd (NUL-terminated), caller frees. */
int q_signer_export_public(struct q_signer *s, const char *fpr, char **out, size_t *len,
			   struct q_error *err);

/* Write an ASCII-armored detached signature of in_path to out_path. */
int q_signer_sign_detached(struct q_signer *s, const char *fpr, const char *in_path,
			   const char *out_path, struct q_error *err);

/* Stop the gpg-agent of this home (used by tests and at hub shutdown). */
void q_signer_shutdown_agent(const char *keydir);

#endif
