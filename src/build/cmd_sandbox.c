/*
 * cmd_sandbox.c: `quarry sandbox`, running one command in the build sandbox
 * by hand — to see what a build step sees, and for bench/build.sh.
 */
#include "core/common.h"
#include "core/error.h"
#include "core/config.h"
#include "build/sandbox.h"
#include "cli/cli.h"

#include <limits.h>

int cmd_sandbox(int argc, char **argv)
{
	static const char usage[] =
	    "usage: quarry sandbox [--workdir DIR] [--timeout DURATION] [--memory SIZE] -- "
	    "COMMAND [ARGS...]\n\n"
	    "Run COMMAND in the build sandbox: no network, as the build user (uid 70000)\n"
	    "without capabilities when run as root, a read-only root of the host's /usr and\n"
	    "a synthesized /etc (no host secrets), DIR (default: the current directory;\n"
	    "given to the build user) the only writable path besides a fresh /tmp.\n"
	    "Exits with the command's status; 124 when it was killed at the time limit.\n";
	const char *workdir = ".";
	int64_t timeout = 0, memory = 0;
	int print_time = 0;
	struct q_sandbox sb = {0};
	struct q_sandbox_result res = {0};
	struct q_error err = {0};
	char abs[PATH_MAX];
	int i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--")) {
			i++;
			break;
		}
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			fputs(usage, stdout);
			return 0;
		}
		if (!strcmp(argv[i], "--time")) {
			print_time = 1;
			continue;
		}
		if (i + 1 >= argc)
			goto bad;
		if (!strcmp(argv[i], "--workdir"))
			workdir = argv[++i];
		else if (!strcmp(argv[i], "--timeout")) {
			if (q_parse_duration(argv[++i], &timeout) < 0)
				goto bad;
		} else if (!strcmp(argv[i], "--memory")) {
			if (q_parse_size(argv[++i], &memory) < 0)
				goto bad;
		} else
			goto bad;
	}
	if (i >= argc)
		goto bad;
	if (!realpath(workdir, abs)) {
		fprintf(stderr, "quarry sandbox: cannot use '%s' as the work directory: %s\n",
			workdir, strerror(errno));
		return 1;
	}
	sb.backend = "host";
	sb.workdir = abs;
	sb.argv = (const char *const *)(argv + i);
	sb.log_fd = STDOUT_FILENO;
	sb.timeout_sec = timeout;
	sb.max_memory = memory;
	fflush(stdout);
	if (q_sandbox_run(&sb, &res, NULL, &err) < 0) {
		fprintf(stderr, "quarry sandbox: %s\n", err.msg);
		return 1;
	}
	if (print_time)
		fprintf(stderr, "sandbox: %.6f s\n", res.seconds);
	if (res.status == Q_SANDBOX_TIMEOUT)
		return 124;
	if (res.status == Q_SANDBOX_OK)
		return 0;
	return res.exit_code ? res.exit_code : 1;
bad:
	fputs(usage, stderr);
	return 2;
}
