/*
 * sandbox_init.c: quarry-sandbox-init, the first program of every sandbox
 * that a root quarry starts (build/sandbox.h). It is not part of the
 * quarry binary's sources: it is linked statically on its own and carried
 * inside quarry as bytes (sandbox_blob.c), which the sandbox copies to
 * /.quarry-sandbox-init, so that it runs in any root, also a buildroot
 * without the host's C library.
 *
 *   quarry-sandbox-init UID GID [--map-root] -- COMMAND [ARGS...]
 *
 * bubblewrap starts it as uid 0 without a user namespace, with only
 * CAP_SETUID, CAP_SETGID and CAP_SETPCAP left. It sets no_new_privs,
 * empties the capability bounding set and the ambient set, drops every
 * supplementary group, becomes UID:GID (real, effective and saved), clears
 * the remaining (inheritable) capabilities, checks that all of it holds
 * (no capability left, no way back to uid 0), then execs COMMAND through
 * PATH. With --map-root (for dnf, which insists on uid 0), it then makes a
 * user namespace that maps only UID, as 0, and GID, as 0, and runs COMMAND
 * there as that uid 0 with one capability, CAP_SYS_CHROOT in that
 * namespace (rpm chroots into dnf's installroot), and no other
 * (SECBIT_NOROOT, locked): outside, it is still UID, without any. Any failure ends it with status
 * 127 and a line on stderr, before COMMAND runs.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/securebits.h>
#include <sched.h>
#include <linux/capability.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

static void __attribute__((noreturn)) die(const char *what)
{
	fprintf(stderr, "quarry-sandbox-init: %s: %s\n", what, strerror(errno));
	_exit(127);
}

static void write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		die(path);
	n = write(fd, text, strlen(text));
	if (n != (ssize_t)strlen(text))
		die(path);
	close(fd);
}

static void clear_caps(void)
{
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct d[2];

	memset(d, 0, sizeof(d));
	if (syscall(SYS_capset, &h, d) < 0)
		die("cannot clear the capabilities");
}

static void drop_bounding_set(void)
{
	for (int cap = 0;; cap++) {
		if (prctl(PR_CAPBSET_READ, cap, 0, 0, 0) < 0)
			break; /* EINVAL: past the last capability of this kernel */
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0)
			die("cannot drop a capability from the bounding set");
	}
}

/* Become uid 0 and gid 0 of a new user namespace that maps only uid and gid. */
static void map_root(uid_t uid, gid_t gid)
{
	char map[64];

	/* The uid change made us undumpable, which makes /proc/self root's. */
	if (prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) < 0)
		die("dumpable");
	if (unshare(CLONE_NEWUSER) < 0)
		die("cannot make a user namespace (--map-root)");
	write_file("/proc/self/setgroups", "deny");
	snprintf(map, sizeof(map), "0 %u 1\n", (unsigned)uid);
	write_file("/proc/self/uid_map", map);
	snprintf(map, sizeof(map), "0 %u 1\n", (unsigned)gid);
	write_file("/proc/self/gid_map", map);
	/* uid 0 there gets no capability from exec, and cannot undo that. */
	if (prctl(PR_SET_SECUREBITS,
		  SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP |
		      SECBIT_NO_SETUID_FIXUP_LOCKED | SECBIT_KEEP_CAPS_LOCKED,
		  0, 0, 0) < 0)
		die("securebits");
	/* But CAP_SYS_CHROOT, in this namespace only: rpm chroots into dnf's
	 * installroot even for a test transaction. Through the ambient set, the
	 * one way a capability survives exec with SECBIT_NOROOT. */
	for (int cap = 0;; cap++) {
		if (prctl(PR_CAPBSET_READ, cap, 0, 0, 0) < 0)
			break;
		if (cap != CAP_SYS_CHROOT && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0)
			die("cannot drop a capability from the bounding set");
	}
	{
		struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
		struct __user_cap_data_struct d[2];

		memset(d, 0, sizeof(d));
		d[0].effective = d[0].permitted = d[0].inheritable = 1u << CAP_SYS_CHROOT;
		if (syscall(SYS_capset, &h, d) < 0)
			die("capset");
	}
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_SYS_CHROOT, 0, 0) < 0)
		die("ambient CAP_SYS_CHROOT");
}

static unsigned long parse_id(const char *s)
{
	char *end = NULL;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	/* Never 0 (that is no switch at all) nor (uid_t)-1 (means "unchanged"). */
	if (errno || !end || *end || end == s || v == 0 || v >= 0xffffffffUL) {
		errno = EINVAL;
		die("UID and GID must be numbers from 1 to 4294967294");
	}
	return v;
}

/* Are the effective, permitted and inheritable sets exactly `only` (a mask of the first 32)? */
static int caps_are(uint32_t only)
{
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct d[2];

	memset(d, 0, sizeof(d));
	if (syscall(SYS_capget, &h, d) < 0)
		die("capget");
	return d[0].effective == only && d[0].permitted == only && d[0].inheritable == only &&
	       !d[1].effective && !d[1].permitted && !d[1].inheritable;
}

int main(int argc, char **argv)
{
	uid_t uid, ruid, euid, suid;
	gid_t gid, rgid, egid, sgid;
	int root = argc > 3 && !strcmp(argv[3], "--map-root");
	int cmd = root ? 5 : 4;

	if (argc < cmd + 1 || strcmp(argv[cmd - 1], "--")) {
		fputs("usage: quarry-sandbox-init UID GID [--map-root] -- COMMAND [ARGS...]\n",
		      stderr);
		return 127;
	}
	uid = (uid_t)parse_id(argv[1]);
	gid = (gid_t)parse_id(argv[2]);

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		die("no_new_privs");
	/* Every capability out of the bounding set (needs CAP_SETPCAP, still ours). */
	drop_bounding_set();
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		die("cannot clear the ambient capabilities");
	if (setgroups(0, NULL) < 0)
		die("setgroups");
	if (setresgid(gid, gid, gid) < 0)
		die("setresgid");
	/* From uid 0 to another: the kernel clears the permitted and effective sets. */
	if (setresuid(uid, uid, uid) < 0)
		die("setresuid");
	clear_caps();

	if (getresuid(&ruid, &euid, &suid) < 0 || getresgid(&rgid, &egid, &sgid) < 0)
		die("getresuid");
	if (ruid != uid || euid != uid || suid != uid || rgid != gid || egid != gid ||
	    sgid != gid || getgroups(0, NULL) != 0 || !caps_are(0) ||
	    prctl(PR_CAPBSET_READ, CAP_SETUID, 0, 0, 0) != 0 ||
	    prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1 || setuid(0) == 0) {
		errno = EPERM;
		die("the switch to the build user did not hold");
	}
	if (root) {
		map_root(uid, gid);
		if (getuid() != 0 || getgid() != 0 || !caps_are(1u << CAP_SYS_CHROOT) ||
		    prctl(PR_CAPBSET_READ, CAP_SETUID, 0, 0, 0) != 0) {
			errno = EPERM;
			die("the user namespace of --map-root did not hold");
		}
	}
	execvp(argv[cmd], argv + cmd);
	fprintf(stderr, "quarry-sandbox-init: cannot run '%s': %s\n", argv[cmd], strerror(errno));
	return 127;
}
