/*
 * rsyncd.h: the rsync daemon that serves /pub to mirrors (rsyncd.c).
 *
 * With rsync.listen set, the hub writes DATA/rsyncd.conf from its
 * configuration and runs Debian's `rsync --daemon --no-detach` on it for
 * as long as it runs; `quarry rsyncd` runs the same daemon alone.
 */
#ifndef Q_HUB_RSYNCD_H
#define Q_HUB_RSYNCD_H

#include <stddef.h>
#include <sys/types.h>

struct q_config;
struct q_error;

/*
 * Find the rsync program (rsync.program: an absolute path, or a name in
 * PATH) into out; -1 with a message naming the package when it is missing.
 */
int q_rsyncd_find_program(const struct q_config *cfg, char *out, size_t size, struct q_error *err);

/*
 * Write DATA/rsyncd.conf for cfg (data_dir absolute) atomically; path gets
 * its name. The module is DATA/pub, read-only, without dot-files or the
 * hub's temporary files.
 */
int q_rsyncd_write_config(const struct q_config *cfg, char *path, size_t size, struct q_error *err);

/*
 * Check that rsync.listen can be bound (nothing else listens there), find
 * the program and write the configuration: what `quarry rsyncd` and the hub
 * do before they start the daemon. argv gets the daemon's command line
 * (pointers into bufs; argv[0] is the program).
 */
struct q_rsyncd_cmd {
	char program[1024];
	char conf_opt[1200]; /* --config=DATA/rsyncd.conf */
	char log_path[1100]; /* DATA/rsyncd.log */
	char *argv[6];
};
int q_rsyncd_prepare(const struct q_config *cfg, struct q_rsyncd_cmd *cmd, struct q_error *err);

/*
 * Start the daemon (after q_rsyncd_prepare) as a child that dies with the
 * caller (parent-death SIGTERM; the hub's guard finds it by its
 * environment too), and wait until it accepts connections on rsync.listen
 * (at most 5 s). -1 when it exited or never listened, with the end of its
 * log in the message.
 */
int q_rsyncd_start(const struct q_config *cfg, const struct q_rsyncd_cmd *cmd, pid_t *pid,
		   struct q_error *err);

/* SIGTERM, then SIGKILL after 2 s; reaps it. pid <= 0: nothing. */
void q_rsyncd_stop(pid_t pid);

#endif
