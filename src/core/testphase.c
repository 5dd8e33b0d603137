/*
 * testphase.c: phase markers and crash points for the crash tests (see
 * testphase.h). Nothing here may fail a caller: errors are ignored.
 */
#include "core/common.h"
#include "core/testphase.h"

#include <fcntl.h>
#include <signal.h>

void q_test_phase(const char *name, const char *detail)
{
	const char *log = getenv("QUARRY_TEST_PHASE_LOG");
	const char *kill_at = getenv("QUARRY_TEST_PHASE_KILL");

	if (log && *log) {
		char line[512];
		int fd, n;

		n = snprintf(line, sizeof(line), "%s %s\n", name, detail ? detail : "");
		if (n > 0 && (size_t)n < sizeof(line)) {
			fd = open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
			if (fd >= 0) {
				if (write(fd, line, (size_t)n) < 0) {
					/* a marker lost: the test sees no phase */
				}
				close(fd);
			}
		}
	}
	if (kill_at && *kill_at) {
		char want[128];
		ssize_t n;
		int fd = open(kill_at, O_RDONLY | O_CLOEXEC);

		if (fd < 0)
			return;
		n = read(fd, want, sizeof(want) - 1);
		close(fd);
		if (n <= 0)
			return;
		want[n] = '\0';
		want[strcspn(want, "\n")] = '\0';
		/* unlink succeeds for one thread only: one crash per file. */
		if (!strcmp(want, name) && unlink(kill_at) == 0)
			raise(SIGKILL);
	}
}
