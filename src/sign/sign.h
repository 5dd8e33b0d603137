/*
 * sign.h: the one small interface behind which signing lives.
 *
 * The keys live in a signer process, never in the caller's: either the
 * separate `quarry signer` (its own user, its own GnuPG home; the caller
 * connects to its unix socket, q_signer_connect), or a signer the caller
 * forks beside itself over a socketpair (q_signer_open; the hub without
 * signing.socket, and tests). Both speak the same typed, size-checked
 * messages (proto.h) and run the same code (server.h). Private key
 * material never leaves the signer; it signs only RPMs and repomd.xml
 * documents.
 *
 * Thread safety: a q_signer may be shared by threads. With a socket every
 * call has its own connection; with a forked signer calls are serialised
 * on its one channel.
 */
#ifndef Q_SIGN_H
#define Q_SIGN_H

#include <stddef.h>
#include <stdint.h>

struct q_error;
struct q_signer;

/* Largest RPM the signer signs. */
#define Q_SIGNER_RPM_MAX ((uint64_t)2 << 30)
/* The user id of a SIG's keys: "Quarry SIG NAME signing key <sig-NAME@quarry.invalid>". */
#define Q_SIGNER_UID_NAME "Quarry SIG %s signing key"
#define Q_SIGNER_UID_EMAIL "sig-%s@quarry.invalid"
/* Seconds a signer may stay silent in the middle of a call, by default. */
#define Q_SIGNER_TIMEOUT_DEFAULT 120

/*
 * Fork a signer process that owns the GnuPG home at keydir (created mode
 * 0700, or made private); call it before starting threads. It dies with
 * the caller. Free with q_signer_close.
 */
struct q_signer *q_signer_open(const char *keydir, struct q_error *err);

/*
 * Use the signer listening on the unix socket at path (`quarry signer`).
 * Nothing is connected yet: every call connects, and a signer that is not
 * there or stays silent for timeout_s seconds fails that call with "the
 * signer at 'PATH' is not answering: …". Free with q_signer_close.
 */
struct q_signer *q_signer_connect(const char *path, int timeout_s, struct q_error *err);

/* Try a connection now (socket) or look at the channel (forked); for a
 * warning at start. */
int q_signer_check(struct q_signer *s, struct q_error *err);
void q_signer_set_timeout(struct q_signer *s, int timeout_s);
void q_signer_close(struct q_signer *s);

/*
 * Generate a signing key with user id "NAME <EMAIL>", algorithm as GnuPG's
 * quick-gen-key names it ("rsa3072", "rsa2048", "ed25519"), no passphrase,
 * no expiry. *fpr_out (40 hex, upper case) is malloc'd; caller frees.
 */
int q_signer_keygen(struct q_signer *s, const char *name, const char *email, const char *algo,
		    char **fpr_out, struct q_error *err);

/*
 * A new key for SIG sig (its user id as above, Q_SIGNER_UID_*), for a key
 * rotation; the old keys stay in the keyring. *fpr_out malloc'd.
 */
int q_signer_rotate(struct q_signer *s, const char *sig, const char *algo, char **fpr_out,
		    struct q_error *err);

/* ASCII-armored public key of fpr; *out malloc'd (NUL-terminated), caller frees. */
int q_signer_export_public(struct q_signer *s, const char *fpr, char **out, size_t *len,
			   struct q_error *err);

/*
 * Write an ASCII-armored detached signature of in_path to out_path. The
 * signer signs only repomd.xml documents this way: anything else is
 * refused (Q_EINVAL).
 */
int q_signer_sign_detached(struct q_signer *s, const char *fpr, const char *in_path,
			   const char *out_path, struct q_error *err);

/*
 * Sign the RPM at in_path with key fpr (rpmsign --addsign in the signer)
 * and write the signed RPM to out_path (atomically, mode 0644; out_path may
 * be in_path). Not an RPM (or over Q_SIGNER_RPM_MAX): refused, nothing
 * written.
 */
int q_signer_sign_rpm(struct q_signer *s, const char *fpr, const char *in_path,
		      const char *out_path, struct q_error *err);

/* Stop the gpg-agent of this home (used by tests and at signer shutdown). */
void q_signer_shutdown_agent(const char *keydir);

#endif
