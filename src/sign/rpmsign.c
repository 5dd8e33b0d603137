/*
 * rpmsign.c: signing an RPM in the signer (q_sign_rpm_file, server.h).
 *
 * DESIGN
 * - The file is checked before rpmsign sees it: q_rpm_inspect (lead magic
 *   0xedabeedb, both header intros, a header librpm reads, the exact size
 *   the signature header records). Anything else is refused with
 *   Q_SIGN_ONLY_MSG.
 * - rpmsign --addsign signs it in place (it writes a new file beside it in
 *   the signer's private work directory and renames it over). It runs with
 *   a fixed environment (PATH, HOME = the work directory so no user
 *   ~/.rpmmacros applies, GNUPGHOME = the key directory, LC_ALL=C), stdin
 *   /dev/null, its output in a log file kept for the error message, every
 *   other descriptor closed, and a deadline. Its gpg is the one gpgme uses
 *   (%__gpg; Debian's default, gpg2, does not exist there).
 * - rpm expands macros in --define values, so every path and the key given
 *   to it are checked to hold only [A-Za-z0-9/._+-] first.
 * - The result is verified before it leaves: the main header and payload
 *   (everything after the signature header) must be byte-identical to the
 *   input's, and librpm, with a keyring that holds only fpr's public key,
 *   must read a header signature and verify it (RPMRC_OK; NOKEY means
 *   another key signed).
 */
#include "core/common.h"
#include "core/error.h"
#include "core/fs.h"
#include "core/log.h"
#include "publish/rpm.h"
#include "sign/server.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include <rpm/header.h>
#include <rpm/rpmkeyring.h>
#include <rpm/rpmlib.h>
#include <rpm/rpmlog.h>
#include <rpm/rpmpgp.h>
#include <rpm/rpmts.h>

#define RPM_LEAD_SIZE 96
#define RPMSIGN_DEADLINE_S 100 /* below the hub's default signing.timeout (2m) */
#define RPMSIGN_LOG_MAX 1500   /* bytes of rpmsign's output quoted in an error */

/* Safe inside an rpm --define value and a file name: no macro, no space. */
static int macro_safe(const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      strchr("/._+-", c)))
			return 0;
	}
	return 1;
}

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/*
 * Where the main header starts (after the lead and the padded signature
 * header), and a SHA-256 of everything from there to the end.
 */
static int main_part_digest(const char *path, uint64_t *start, unsigned char md[32],
			    struct q_error *err)
{
	static const unsigned char hdr_magic[4] = {0x8e, 0xad, 0xe8, 0x01};
	unsigned char intro[16];
	EVP_MD_CTX *ctx = NULL;
	char *buf = NULL;
	struct stat st;
	uint64_t off;
	unsigned int mdlen = 0;
	int fd, ret = -1;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return q_error_set(err, Q_EIO, "cannot open '%s': %s", path, strerror(errno));
	if (fstat(fd, &st) < 0 || pread(fd, intro, sizeof(intro), RPM_LEAD_SIZE) != sizeof(intro) ||
	    memcmp(intro, hdr_magic, 4) != 0) {
		q_error_set(err, Q_EIO, "'%s' has no signature header", path);
		goto out;
	}
	off = RPM_LEAD_SIZE + 16 + (uint64_t)be32(intro + 8) * 16 + be32(intro + 12);
	off = (off + 7) & ~(uint64_t)7;
	if (off > (uint64_t)st.st_size || lseek(fd, (off_t)off, SEEK_SET) < 0) {
		q_error_set(err, Q_EIO, "'%s' is truncated inside its signature header", path);
		goto out;
	}
	*start = off;
	ctx = EVP_MD_CTX_new();
	buf = malloc(1 << 20);
	if (!ctx || !buf || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
		q_error_set(err, Q_EINTERNAL, "out of memory");
		goto out;
	}
	for (;;) {
		ssize_t r = read(fd, buf, 1 << 20);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			q_error_set(err, Q_EIO, "cannot read '%s': %s", path, strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		EVP_DigestUpdate(ctx, buf, (size_t)r);
	}
	EVP_DigestFinal_ex(ctx, md, &mdlen);
	ret = 0;
out:
	EVP_MD_CTX_free(ctx);
	free(buf);
	close(fd);
	return ret;
}

/* The last bytes of a log file, for an error message (static buffer per call site). */
static void read_log(const char *path, char *out, size_t size)
{
	char *text = NULL;
	size_t len = 0;

	out[0] = '\0';
	if (q_fs_read_file(path, 1 << 20, &text, &len, NULL) < 0)
		return;
	{
		const char *p = len > size - 1 ? text + len - (size - 1) : text;

		snprintf(out, size, "%s", p);
	}
	for (char *c = out; *c; c++)
		if (*c == '\n' || *c == '\t')
			*c = ' ';
		else if ((unsigned char)*c < 0x20)
			*c = '?';
	free(text);
}

static int run_rpmsign(struct q_sign_engine *e, const char *fpr, const char *path,
		       struct q_error *err)
{
	const char *keydir = q_sign_engine_keydir(e), *work = q_sign_engine_workdir(e);
	char d_name[128], d_path[1100], d_gpg[1100], logpath[1100], log[RPMSIGN_LOG_MAX];
	char env_home[1100], env_gnupg[1100];
	char *argv[] = {"rpmsign",    "--addsign",
			"--define",   d_name,
			"--define",   d_path,
			"--define",   d_gpg,
			"--define",   "_gpg_sign_cmd_extra_args --batch --pinentry-mode loopback",
			(char *)path, NULL};
	/* The hub's run marker goes along, so that the gpg-agent gpg may start
	 * here ends with the hub (hub/guard.c). */
	const char *run = getenv("QUARRY_HUB_RUN");
	char env_run[128];
	char *envp[] = {"PATH=/usr/bin:/bin", env_home, env_gnupg, "LC_ALL=C", NULL, NULL};
	posix_spawn_file_actions_t fa;
	time_t deadline;
	pid_t pid;
	int status = 0, rc, ret = -1;

	if (!macro_safe(keydir) || !macro_safe(work) || !macro_safe(path) ||
	    !macro_safe(q_sign_engine_gpg(e)))
		return q_error_set(err, Q_EINVAL,
				   "cannot sign RPMs with key directory '%s': rpmsign needs paths "
				   "of letters, digits and / . _ + - only",
				   keydir);
	snprintf(d_name, sizeof(d_name), "_gpg_name %s", fpr);
	snprintf(d_path, sizeof(d_path), "_gpg_path %s", keydir);
	snprintf(d_gpg, sizeof(d_gpg), "__gpg %s", q_sign_engine_gpg(e));
	snprintf(env_home, sizeof(env_home), "HOME=%s", work);
	snprintf(env_gnupg, sizeof(env_gnupg), "GNUPGHOME=%s", keydir);
	snprintf(logpath, sizeof(logpath), "%s.log", path);
	if (run && strlen(run) < sizeof(env_run) - 16) {
		snprintf(env_run, sizeof(env_run), "QUARRY_HUB_RUN=%s", run);
		envp[4] = env_run;
	}

	if (posix_spawn_file_actions_init(&fa) != 0)
		return q_error_set(err, Q_EINTERNAL, "out of memory");
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, logpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	posix_spawn_file_actions_adddup2(&fa, 1, 2);
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	rc = posix_spawn(&pid, "/usr/bin/rpmsign", &fa, NULL, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0) {
		q_error_set(err, Q_EIO, "cannot run rpmsign: %s (install the 'rpm' package)",
			    strerror(rc));
		goto out;
	}
	deadline = time(NULL) + RPMSIGN_DEADLINE_S;
	for (;;) {
		struct timespec ts = {0, 20 * 1000 * 1000};

		rc = waitpid(pid, &status, WNOHANG);
		if (rc == pid)
			break;
		if (rc < 0 && errno != EINTR) {
			q_error_set(err, Q_EIO, "cannot wait for rpmsign: %s", strerror(errno));
			goto out;
		}
		if (time(NULL) > deadline) {
			kill(pid, SIGKILL);
			while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
				;
			q_error_set(err, Q_EIO, "rpmsign did not finish within %d s",
				    RPMSIGN_DEADLINE_S);
			goto out;
		}
		nanosleep(&ts, NULL);
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		read_log(logpath, log, sizeof(log));
		q_error_set(err, Q_EIO, "rpmsign failed (%s %d): %s",
			    WIFEXITED(status) ? "exit" : "signal",
			    WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status), log);
		goto out;
	}
	ret = 0;
out:
	unlink(logpath);
	return ret;
}

/* librpm, with a keyring of armored alone, verifies a header signature of path. */
static int verify_signed(const char *path, const char *display_name, const char *fpr,
			 const char *armored, struct q_error *err)
{
	uint8_t *pkt = NULL;
	size_t pktlen = 0;
	rpmPubkey key = NULL;
	rpmKeyring kr = NULL;
	rpmts ts = NULL;
	Header h = NULL;
	FD_t fd = NULL;
	rpmRC rc;
	int ret = -1;

	if (pgpParsePkts(armored, &pkt, &pktlen) != PGPARMOR_PUBKEY ||
	    !(key = rpmPubkeyNew(pkt, pktlen))) {
		q_error_set(err, Q_EINTERNAL, "librpm cannot read the public key '%s'", fpr);
		goto out;
	}
	kr = rpmKeyringNew();
	if (rpmKeyringAddKey(kr, key) < 0) {
		q_error_set(err, Q_EINTERNAL, "librpm cannot use the public key '%s'", fpr);
		goto out;
	}
	ts = rpmtsCreate();
	rpmtsSetKeyring(ts, kr);
	rpmtsSetVSFlags(ts, 0);
	fd = Fopen(path, "r.ufdio");
	if (!fd || Ferror(fd)) {
		q_error_set(err, Q_EIO, "cannot open the signed '%s'", display_name);
		goto out;
	}
	rc = rpmReadPackageFile(ts, fd, display_name, &h);
	if (rc != RPMRC_OK) {
		q_error_set(err, Q_EIO, "rpmsign's '%s' does not verify with key '%s' (%s)",
			    display_name, fpr, rc == RPMRC_NOKEY ? "signed by another key" : "bad");
		goto out;
	}
	if (!headerIsEntry(h, RPMTAG_RSAHEADER) && !headerIsEntry(h, RPMTAG_DSAHEADER)) {
		q_error_set(err, Q_EIO, "rpmsign left '%s' without a header signature",
			    display_name);
		goto out;
	}
	ret = 0;
out:
	if (h)
		headerFree(h);
	if (fd)
		Fclose(fd);
	if (ts)
		rpmtsFree(ts);
	if (kr)
		rpmKeyringFree(kr);
	if (key)
		rpmPubkeyFree(key);
	free(pkt);
	rpmlogClose(); /* what librpm logged is in our message; do not let it grow */
	return ret;
}

int q_sign_rpm_file(struct q_sign_engine *e, const char *fpr, const char *path,
		    const char *display_name, char **nevra, struct q_error *err)
{
	struct q_rpm_info info;
	unsigned char before[32], after[32];
	uint64_t start_before = 0, start_after = 0;
	char *armored = NULL;
	int ret = -1;

	*nevra = NULL;
	if (!q_sign_valid_fpr(fpr))
		return q_error_set(err, Q_EINVAL, "invalid key fingerprint '%s'", fpr);
	if (q_rpm_inspect(path, display_name, &info, err) < 0) {
		if (err && err->code == Q_EINVAL)
			q_error_prefix(err, Q_SIGN_ONLY_MSG);
		return -1;
	}
	/* The public key first: an unknown key fails before rpmsign runs. */
	if (q_sign_engine_export(e, fpr, &armored, NULL, err) < 0 ||
	    main_part_digest(path, &start_before, before, err) < 0 ||
	    run_rpmsign(e, fpr, path, err) < 0 ||
	    main_part_digest(path, &start_after, after, err) < 0)
		goto out;
	if (memcmp(before, after, sizeof(before)) != 0) {
		q_error_set(err, Q_EIO, "rpmsign changed the header or payload of '%s'",
			    display_name);
		goto out;
	}
	if (verify_signed(path, display_name, fpr, armored, err) < 0)
		goto out;
	*nevra = strdup(info.nevra);
	if (!*nevra) {
		q_error_set(err, Q_EINTERNAL, "out of memory");
		goto out;
	}
	q_info("signer: signed %s with %s", info.nevra, fpr);
	ret = 0;
out:
	free(armored);
	q_rpm_info_release(&info);
	return ret;
}
