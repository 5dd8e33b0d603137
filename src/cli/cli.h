/*
 * cli.h: the entry points of the subcommands in main.c's table.
 *
 * Each takes argc/argv with argv[0] the command's own name, and returns the
 * process exit status: 0 ok, 1 error, 2 usage.
 */
#ifndef Q_CLI_H
#define Q_CLI_H

#include <getopt.h>
#include <stddef.h>
#include <stdio.h>

/* Server-side commands (src/hub/). */
int cmd_init(int argc, char **argv);
int cmd_hub(int argc, char **argv);
int cmd_rsyncd(int argc, char **argv);
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
int cmd_search(int argc, char **argv);

/* The build worker (src/build/worker.c). */
int cmd_worker(int argc, char **argv);
int cmd_buildroot(int argc, char **argv);

/* The option and subcommand tables of the commands above that use the
 * shared parser (cli/client.h): main.c's command table points to them,
 * and the shell completion is generated from them. */
struct q_cli_family;
extern const struct q_cli_family q_audit_family;
extern const struct q_cli_family q_build_family;
extern const struct q_cli_family q_check_family;
extern const struct q_cli_family q_crawl_family;
extern const struct q_cli_family q_lookaside_family;
extern const struct q_cli_family q_mirror_family;
extern const struct q_cli_family q_project_family;
extern const struct q_cli_family q_publish_family;
extern const struct q_cli_family q_release_package_family;
extern const struct q_cli_family q_repo_family;
extern const struct q_cli_family q_search_family;
extern const struct q_cli_family q_sig_family;
extern const struct q_cli_family q_tag_family;
extern const struct q_cli_family q_untag_family;
extern const struct q_cli_family q_revoke_family;
extern const struct q_cli_family q_token_family;
extern const struct q_cli_family q_update_family;
extern const struct q_cli_family q_promote_family;
extern const struct q_cli_family q_unpush_family;
extern const struct q_cli_family q_policy_family;
extern const struct q_cli_family q_upload_family;
extern const struct q_cli_family q_whoami_family;
extern const struct q_cli_family q_user_family;
extern const struct q_cli_family q_wait_family;
extern const struct q_cli_family q_workers_family;
extern const struct q_cli_family q_worker_family;

/* Options of the commands that parse their own (getopt_long tables). */
extern const struct option q_server_longopts[]; /* init, hub */
extern const struct option q_mirrorlist_longopts[];
extern const struct option q_signer_longopts[];

/* One entry of main.c's command table. */
struct q_cli_command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;                  /* NULL: not listed (tests, internal) */
	const struct q_cli_family *family; /* its tables, when it has them */
	const struct option *longopts;     /* else its getopt_long options, or NULL */
};

/* `quarry completion bash`: write a bash completion script generated from
 * the command table (n entries) and the tables it points to. */
void q_cli_completion_bash(FILE *out, const struct q_cli_command *cmds, size_t n);

#endif
