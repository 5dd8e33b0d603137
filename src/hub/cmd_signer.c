/*
 * cmd_signer.c: `quarry signer`, the process that holds the SIG keys, and
 * `quarry signer-client`, a small client of its socket (tests, debugging).
 *
 * `quarry signer --keys DIR --socket PATH` runs as its own user: it owns
 * the GnuPG home DIR (created 0700; it refuses to start when DIR belongs
 * to another user or group and others may use it), listens on the unix
 * socket PATH (mode --socket-mode, default 0660, group --socket-group) and
 * serves the hub's requests one at a time (src/sign/server.c). Before
 * anything else it closes every inherited descriptor but 0-2, sets umask
 * 077 and no_new_privs; it opens no network socket and runs only gpg and
 * rpmsign. SIGTERM or SIGINT: it finishes the request in hand, removes its
 * socket, stops its gpg-agent and exits 0.
 */
#include "core/common.h"
#include "core/config.h"
#include "core/error.h"
#include "core/log.h"
#include "cli/cli.h"
#include "sign/server.h"
#include "sign/sign.h"

#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

static volatile sig_atomic_t stop_flag;

static void on_stop(int sig)
{
	(void)sig;
	stop_flag = 1;
}

/* Refuse a PATH another signer answers on; remove a stale one. */
static int clear_socket_path(const char *path, struct q_error *err)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct stat st;
	int fd, rc;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0
				       : q_error_set(err, Q_EIO, "cannot look at '%s': %s", path,
						     strerror(errno));
	if (!S_ISSOCK(st.st_mode))
		return q_error_set(err, Q_EINVAL,
				   "'%s' exists and is not a socket; not touching it", path);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return q_error_set(err, Q_EIO, "socket: %s", strerror(errno));
	rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	close(fd);
	if (rc == 0)
		return q_error_set(err, Q_ECONFLICT, "another signer is listening on '%s'", path);
	if (unlink(path) < 0)
		return q_error_set(err, Q_EIO, "cannot remove the stale socket '%s': %s", path,
				   strerror(errno));
	return 0;
}

static int listen_on(const char *path, mode_t mode, const char *group, struct q_error *err)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	gid_t gid = (gid_t)-1;
	mode_t old;
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return q_error_set(err, Q_EINVAL, "socket path '%s' is longer than %zu bytes", path,
				   sizeof(sa.sun_path) - 1);
	if (group) {
		struct group *g = getgrnam(group);
		int64_t n;

		if (g)
			gid = g->gr_gid;
		else if (q_parse_int(group, 0, INT32_MAX, &n) == 0)
			gid = (gid_t)n;
		else
			return q_error_set(err, Q_EINVAL, "group '%s' not found", group);
	}
	if (clear_socket_path(path, err) < 0)
		return -1;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return q_error_set(err, Q_EIO, "socket: %s", strerror(errno));
	/* Created owner-only; opened to the group only once its group is right. */
	old = umask(0177);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		umask(old);
		q_error_set(err, Q_EIO, "cannot bind '%s': %s", path, strerror(errno));
		goto fail;
	}
	umask(old);
	if (gid != (gid_t)-1 && chown(path, (uid_t)-1, gid) < 0) {
		q_error_set(err, Q_EPERM,
			    "cannot give '%s' to group '%s': %s (the signer's user must be in it)",
			    path, group, strerror(errno));
		goto fail_unlink;
	}
	if (chmod(path, mode) < 0) {
		q_error_set(err, Q_EIO, "cannot chmod '%s': %s", path, strerror(errno));
		goto fail_unlink;
	}
	if (listen(fd, 64) < 0) {
		q_error_set(err, Q_EIO, "cannot listen on '%s': %s", path, strerror(errno));
		goto fail_unlink;
	}
	return fd;
fail_unlink:
	unlink(path);
fail:
	close(fd);
	return -1;
}

/* Also read by the shell completion. */
const struct option q_signer_longopts[] = {
    {"keys", required_argument, NULL, 'k'},
    {"socket", required_argument, NULL, 's'},
    {"socket-mode", required_argument, NULL, 'm'},
    {"socket-group", required_argument, NULL, 'g'},
    {"log-level", required_argument, NULL, 'l'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

int cmd_signer(int argc, char **argv)
{
	static const char usage[] =
	    "usage: quarry signer --keys DIR --socket PATH [--socket-mode MODE]\n"
	    "                     [--socket-group GROUP] [--log-level LEVEL]\n\n"
	    "Hold the SIG signing keys (the GnuPG home DIR, mode 0700, owned by this user) and\n"
	    "sign for the hub over the unix socket PATH (mode 0660 unless --socket-mode; give it\n"
	    "to a group the hub's user is in with --socket-group). It signs only RPM packages\n"
	    "and repomd.xml documents, opens no network socket, and serves one request at a\n"
	    "time. Point the hub at it with [signing] socket = PATH. SIGTERM stops it.\n";
	const char *keys = NULL, *sock = NULL, *group = NULL;
	struct q_sign_engine *e = NULL;
	struct q_error err = {0};
	struct sigaction sa;
	struct stat st;
	mode_t mode = 0660;
	int c, lfd = -1, rc = 1;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", q_signer_longopts, NULL)) != -1) {
		switch (c) {
		case 'k':
			keys = optarg;
			break;
		case 's':
			sock = optarg;
			break;
		case 'm': {
			char *end;
			long m = strtol(optarg, &end, 8);

			if (!*optarg || *end || m < 0 || m > 0777) {
				fprintf(stderr,
					"quarry signer: --socket-mode '%s' is not an octal "
					"mode such as 0660\n",
					optarg);
				return 2;
			}
			mode = (mode_t)m;
			break;
		}
		case 'g':
			group = optarg;
			break;
		case 'l': {
			int level = q_log_parse_level(optarg);

			if (level < 0) {
				fprintf(stderr,
					"quarry signer: --log-level is error, warn, info or "
					"debug\n");
				return 2;
			}
			q_log_set_level((enum q_log_level)level);
			break;
		}
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			fputs(usage, stderr);
			return 2;
		}
	}
	if (optind != argc || !keys || !sock || keys[0] != '/' || sock[0] != '/') {
		fprintf(stderr,
			"quarry signer: --keys and --socket are required, as absolute "
			"paths\n%s",
			usage);
		return 2;
	}

	/* Keep nothing the parent left open (its sockets, its files). */
	closefrom(3);
	{
		int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

		if (fd >= 0 && fd != 0) {
			dup2(fd, 0);
			close(fd);
		}
	}
	umask(077);
	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	if (geteuid() == 0)
		q_warn("signer: running as root; run it as its own user (see 'quarry signer -h')");

	if (q_sign_check_home(keys, &err) < 0)
		goto fail;
	e = q_sign_engine_open(keys, &err);
	if (!e)
		goto fail;
	lfd = listen_on(sock, mode, group, &err);
	if (lfd < 0)
		goto fail;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop; /* no SA_RESTART: poll and accept return EINTR */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, SIG_IGN);

	q_info("signer: listening on '%s' (mode %04o), keys in '%s', pid %ld", sock, (unsigned)mode,
	       keys, (long)getpid());
	if (q_sign_listen_loop(e, lfd, &stop_flag, &err) < 0)
		goto fail;
	q_info("signer: stopping");
	rc = 0;
fail:
	if (rc)
		fprintf(stderr, "quarry signer: %s\n", err.msg);
	if (lfd >= 0) {
		if (lstat(sock, &st) == 0 && S_ISSOCK(st.st_mode))
			unlink(sock);
		close(lfd);
	}
	if (e) {
		q_sign_engine_close(e);
		q_signer_shutdown_agent(keys);
	}
	return rc ? q_code_exit(err.code) : 0;
}

/* ---- quarry signer-client: talk to a signer's socket ---- */

int cmd_signer_client(int argc, char **argv)
{
	static const char usage[] =
	    "usage: quarry signer-client --socket PATH [--timeout SECONDS] REQUEST ARGS...\n\n"
	    "Requests (what the hub sends; for tests and debugging):\n"
	    "  keygen NAME EMAIL [ALGO]        a new key; prints its fingerprint\n"
	    "  rotate SIG [ALGO]               a new key for SIG; prints its fingerprint\n"
	    "  export FPR                      prints the armored public key\n"
	    "  sign-detached FPR FILE [OUT]    writes OUT (default FILE.asc)\n"
	    "  sign-rpm FPR IN OUT             writes the signed RPM to OUT\n";
	static const struct option longopts[] = {
	    {"socket", required_argument, NULL, 's'},
	    {"timeout", required_argument, NULL, 't'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *sock = NULL, *op;
	struct q_signer *s = NULL;
	struct q_error err = {0};
	int64_t timeout = 30;
	char *out = NULL, asc[4200];
	size_t len = 0;
	int c, n, rc = -1;

	optind = 1;
	while ((c = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			sock = optarg;
			break;
		case 't':
			if (q_parse_int(optarg, 1, 3600, &timeout) < 0) {
				fprintf(stderr, "quarry signer-client: --timeout is 1 to 3600\n");
				return 2;
			}
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			fputs(usage, stderr);
			return 2;
		}
	}
	n = argc - optind;
	if (!sock || n < 1) {
		fputs(usage, stderr);
		return 2;
	}
	op = argv[optind];
	argv += optind + 1;
	n--;
	s = q_signer_connect(sock, (int)timeout, &err);
	if (!s)
		goto done;
	if (!strcmp(op, "keygen") && (n == 2 || n == 3)) {
		rc = q_signer_keygen(s, argv[0], argv[1], n == 3 ? argv[2] : "rsa2048", &out, &err);
	} else if (!strcmp(op, "rotate") && (n == 1 || n == 2)) {
		rc = q_signer_rotate(s, argv[0], n == 2 ? argv[1] : "rsa2048", &out, &err);
	} else if (!strcmp(op, "export") && n == 1) {
		rc = q_signer_export_public(s, argv[0], &out, &len, &err);
	} else if (!strcmp(op, "sign-detached") && (n == 2 || n == 3)) {
		snprintf(asc, sizeof(asc), "%s.asc", argv[1]);
		rc = q_signer_sign_detached(s, argv[0], argv[1], n == 3 ? argv[2] : asc, &err);
	} else if (!strcmp(op, "sign-rpm") && n == 3) {
		rc = q_signer_sign_rpm(s, argv[0], argv[1], argv[2], &err);
	} else {
		q_signer_close(s);
		fputs(usage, stderr);
		return 2;
	}
	if (rc == 0 && out)
		printf("%s%s", out, len && out[len - 1] == '\n' ? "" : "\n");
done:
	free(out);
	q_signer_close(s);
	if (rc < 0) {
		fprintf(stderr, "quarry signer-client: %s\n", err.msg);
		return q_code_exit(err.code);
	}
	return 0;
}
