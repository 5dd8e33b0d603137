/*
 * server.h: the signer's side of src/sign/ (what runs in the process that
 * holds the keys: `quarry signer`, or the hub's forked signer). Not for the
 * hub's code, which uses sign.h; exported for src/hub/cmd_signer.c and the
 * unit tests.
 *
 *   engine.c   one GnuPG home through gpgme: keygen, export, detached signing
 *   rpmsign.c  signing an RPM file in place with rpmsign, then verifying it
 *   server.c   what the signer accepts (the checks) and its request loop
 */
#ifndef Q_SIGN_SERVER_H
#define Q_SIGN_SERVER_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

struct q_error;
struct q_sign_engine;

/* The message every refusal of a document starts with. */
#define Q_SIGN_ONLY_MSG "the signer signs only RPM packages and repomd.xml documents"
/* Largest repomd.xml the signer signs (real ones are a few KiB). */
#define Q_SIGN_REPOMD_MAX (16u << 20)

/* ---- engine.c ---- */

/* Create keydir (0700, parents 0755) or make an existing one private (fork mode). */
int q_sign_make_home(const char *keydir, struct q_error *err);
/*
 * Check that keydir is a directory owned by the effective user with no
 * group or other permission bits (`quarry signer`: it refuses, never chmods).
 * A missing keydir is created 0700.
 */
int q_sign_check_home(const char *keydir, struct q_error *err);
/* 40 or 64 upper-case hex digits. */
int q_sign_valid_fpr(const char *fpr);

/* Open the engine of keydir (which must exist, see above); its work
 * directory keydir/quarry-tmp (0700) holds files being signed. */
struct q_sign_engine *q_sign_engine_open(const char *keydir, struct q_error *err);
void q_sign_engine_close(struct q_sign_engine *e);
const char *q_sign_engine_keydir(const struct q_sign_engine *e);
const char *q_sign_engine_workdir(const struct q_sign_engine *e);
/* The gpg program gpgme runs (rpmsign runs the same one). */
const char *q_sign_engine_gpg(const struct q_sign_engine *e);

/* As q_signer_keygen (sign.h); *fpr_out malloc'd. */
int q_sign_engine_keygen(struct q_sign_engine *e, const char *name, const char *email,
			 const char *algo, char **fpr_out, struct q_error *err);
/* Armored public key; *out malloc'd, NUL-terminated. */
int q_sign_engine_export(struct q_sign_engine *e, const char *fpr, char **out, size_t *len,
			 struct q_error *err);
/* Armored detached signature of data; *sig malloc'd. */
int q_sign_engine_sign(struct q_sign_engine *e, const char *fpr, const char *data, size_t len,
		       char **sig, size_t *sig_len, struct q_error *err);

/* ---- rpmsign.c ---- */

/*
 * Sign the RPM at path (a file in the engine's work directory) in place
 * with key fpr: check it is a complete RPM librpm reads (display_name in
 * messages), run rpmsign --addsign, then check the result: the same main
 * header and payload bytes as before, and a header signature that librpm
 * verifies with fpr's public key alone. *nevra (malloc'd) names the
 * package.
 */
int q_sign_rpm_file(struct q_sign_engine *e, const char *fpr, const char *path,
		    const char *display_name, char **nevra, struct q_error *err);

/* ---- server.c ---- */

/* 0 when data is a repomd.xml document; -1 and Q_EINVAL (Q_SIGN_ONLY_MSG…) otherwise. */
int q_sign_check_repomd(const char *data, size_t len, struct q_error *err);

/*
 * Serve requests on one connected socket until the peer closes it, a
 * message is malformed, or (idle_ms > 0) no request begins within
 * idle_ms. Requests are answered one at a time.
 */
void q_sign_serve_conn(struct q_sign_engine *e, int fd, int idle_ms);

/*
 * Accept connections on listen_fd and serve them one at a time until *stop
 * is set (by a signal handler: poll and accept then return EINTR). Never
 * returns an error for one client's failure.
 */
int q_sign_listen_loop(struct q_sign_engine *e, int listen_fd, volatile sig_atomic_t *stop,
		       struct q_error *err);

#endif
