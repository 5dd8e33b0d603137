/*
 * cli.h: the entry points of the subcommands in main.c's table.
 *
 * Each takes argc/argv with argv[0] the command's own name, and returns the
 * process exit status: 0 ok, 1 error, 2 usage.
 */
#ifndef Q_CLI_H
#define Q_CLI_H

/* Server-side commands (src/hub/). */
int cmd_init(int argc, char **argv);
int cmd_hub(int argc, char **argv);
int cmd_config(int argc, char **argv);
int cmd_sandbox(int argc, char **argv);
int cmd_mirrorlist(int argc, char **argv);
/* Internal: one build check in the sandbox (src/check/check.c). */
int cmd_check_run(int argc, char **argv);
int cmd_signer(int argc, char **argv);
int cmd_signer_client(int argc, char **argv);

/* Client commands over the API (src/cli/). */
int cmd_sig(int argc, char **argv);
int cmd_project(int argc, char **argv);
int cmd_repo(int argc, char **argv);
int cmd_upload(int argc, char **argv);
int cmd_publish(int argc, char **argv);
int cmd_whoami(int argc, char **argv);
int cmd_token(int argc, char **argv);
int cmd_user(int argc, char **argv);
int cmd_audit(int argc, char **argv);
int cmd_lookaside(int argc, char **argv);
int cmd_build(int argc, char **argv);
int cmd_tag(int argc, char **argv);
int cmd_wait_repo(int argc, char **argv);
int cmd_workers(int argc, char **argv);
int cmd_mirror(int argc, char **argv);
int cmd_crawl(int argc, char **argv);
int cmd_update(int argc, char **argv);
int cmd_promote(int argc, char **argv);
int cmd_unpush(int argc, char **argv);
int cmd_revoke(int argc, char **argv);
int cmd_untag(int argc, char **argv);
int cmd_policy(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_release_package(int argc, char **argv);

/* The build worker (src/build/worker.c). */
int cmd_worker(int argc, char **argv);
int cmd_buildroot(int argc, char **argv);

#endif
