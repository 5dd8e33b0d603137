/*
 * guard.c: every process the hub starts ends with it (hub.h).
 *
 * DESIGN
 *  - Before it starts anything, the hub puts QUARRY_HUB_RUN=PID-RANDOM in
 *    its environment, so every program it executes (the embedded worker,
 *    bwrap for builds, checks and rpmspec, tar, gpg and the gpg-agent gpg
 *    starts, rpmsign) carries it in /proc/PID/environ, which no process can
 *    change after exec (a process that clears its environment, as bwrap
 *    does for the step it runs, still shows the one it was executed with).
 *  - Then it forks the guard, a process of its own that waits on a pidfd
 *    for the hub to end: a clean stop, a crash or SIGKILL alike. The guard
 *    ignores SIGINT, SIGTERM and SIGHUP (a terminal's ^C reaches the whole
 *    process group: the guard must outlive the hub to do its work).
 *  - When the hub is gone the guard scans /proc for processes carrying the
 *    exact marker: SIGTERM to each (the embedded worker and gpg-agent stop
 *    cleanly), up to 1 s for them to go, then SIGKILL until none is left,
 *    and exits. A process re-parented to init is found all the same,
 *    which the parent-death signal cannot do for a process that was
 *    orphaned before it asked for one (bwrap sets its own between clone
 *    and exec; a parent killed in that window left a bwrap behind for good).
 *  - Children the hub forks without exec (the signer) do not show the
 *    marker (setenv changes the hub's environ, not its /proc image); they
 *    keep their parent-death SIGKILL, tied to the main thread, which lives
 *    as long as the hub. Sandboxes keep --die-with-parent and their own
 *    parent-death signal; the kernel kills what is left in a sandbox's pid
 *    namespace when its pid 1 dies.
 *
 * LIMITS
 *  - A program that executes a setuid binary, or one of another user, is
 *    not readable in /proc and is not found (none of ours does).
 *  - Without pidfd_open (Linux < 5.3) the guard polls its parent pid every
 *    200 ms.
 */
#include "core/common.h"
#include "core/error.h"
#include "core/hash.h"
#include "core/log.h"
#include "hub/hub.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#define GUARD_ENV "QUARRY_HUB_RUN"
#define GUARD_ENVIRON_MAX (1 << 20)

/* 1 when /proc/PID/environ holds the entry exactly. */
static int has_marker(long pid, const char *entry, size_t elen, char *buf, size_t size)
{
	char path[64];
	size_t len = 0;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%ld/environ", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	while (len < size && (n = read(fd, buf + len, size - len)) > 0)
		len += (size_t)n;
	close(fd);
	for (size_t i = 0; i < len;) {
		size_t l = strnlen(buf + i, len - i);

		if (l == elen && !memcmp(buf + i, entry, elen))
			return 1;
		i += l + 1;
	}
	return 0;
}

/* Send sig to every process with the marker but us; how many there were. */
static int sweep(const char *entry, int sig, char *buf, size_t size)
{
	size_t elen = strlen(entry);
	pid_t self = getpid();
	struct dirent *d;
	DIR *dir = opendir("/proc");
	int n = 0;

	if (!dir)
		return 0;
	while ((d = readdir(dir)) != NULL) {
		char *end;
		long pid = strtol(d->d_name, &end, 10);

		if (*end || pid <= 1 || pid == self)
			continue;
		if (has_marker(pid, entry, elen, buf, size)) {
			kill((pid_t)pid, sig);
			n++;
		}
	}
	closedir(dir);
	return n;
}

static void nap_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static void __attribute__((noreturn)) guard_main(pid_t hub, const char *entry)
{
	int pidfd = (int)syscall(SYS_pidfd_open, hub, 0);
	char *buf = malloc(GUARD_ENVIRON_MAX);
	int left;

	prctl(PR_SET_NAME, "quarry-guard");
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	for (int fd = 3; fd < 1024; fd++)
		if (fd != pidfd)
			close(fd);
	if (!buf)
		_exit(1);
	/* The pidfd refers to the hub only if the hub was still our parent after
	 * it was opened. */
	if (pidfd >= 0 && getppid() == hub) {
		struct pollfd p = {.fd = pidfd, .events = POLLIN};

		while (poll(&p, 1, -1) < 0 && errno == EINTR)
			;
	} else {
		while (getppid() == hub)
			nap_ms(200);
	}
	left = sweep(entry, SIGTERM, buf, GUARD_ENVIRON_MAX);
	for (int i = 0; left > 0 && i < 20; i++) {
		nap_ms(50);
		left = sweep(entry, 0, buf, GUARD_ENVIRON_MAX);
	}
	for (int i = 0; left > 0 && i < 100; i++) {
		left = sweep(entry, SIGKILL, buf, GUARD_ENVIRON_MAX);
		if (left)
			nap_ms(20);
	}
	if (left)
		q_warn("guard: %d processes of the stopped hub would not die", left);
	_exit(0);
}

int q_hub_guard_start(struct q_error *err)
{
	char hex[33], value[64], entry[96];
	pid_t hub = getpid(), pid;

	if (q_random_hex(hex, 16) < 0)
		return q_error_set(err, Q_EINTERNAL, "cannot get random bytes");
	snprintf(value, sizeof(value), "%ld-%s", (long)hub, hex);
	snprintf(entry, sizeof(entry), GUARD_ENV "=%s", value);
	if (setenv(GUARD_ENV, value, 1) < 0)
		return q_error_set(err, Q_EINTERNAL, "cannot set %s: %s", GUARD_ENV,
				   strerror(errno));
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return q_error_set(err, Q_EIO, "cannot start the hub's guard: %s", strerror(errno));
	if (pid == 0)
		guard_main(hub, entry);
	return 0;
}
