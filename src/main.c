/*
 * main.c: the command table. Every role of Quarry (hub, client commands,
 * maintenance) is a subcommand of this one binary, as in git.
 */
#include "core/common.h"
#include "cli/cli.h"
#include "cli/client.h"
#include "api/api.h"

/* `quarry api-routes`: the API's routes with their authorization rules, one
 * "METHOD PATTERN RULE SCOPE" a line (t0321 calls every one with every
 * role; SCOPE is the token scope the route needs). */
static int cmd_api_routes(int argc, char **argv)
{
	const char *method, *pattern, *rule;

	(void)argv;
	if (argc > 1) {
		fprintf(stderr, "usage: quarry api-routes\n");
		return 2;
	}
	for (size_t i = 0; q_api_route_info(i, &method, &pattern, &rule) == 0; i++)
		printf("%s %s %s %s\n", method, pattern, rule ? rule : "UNDECLARED",
		       q_api_route_scope(i));
	return 0;
}

static const struct q_cli_cmd completion_cmds[] = {
    {"bash", "", "print the bash completion script", 0, 0, 0, 0, NULL},
};
static const struct q_cli_family completion_family = {
    "completion",
    "Shell completion, generated from the command and option tables.",
    NULL,
    0,
    completion_cmds,
    Q_ARRAY_LEN(completion_cmds),
};

static int cmd_completion(int argc, char **argv);

/* name, function, help (NULL: not listed), its option tables (for --help and
 * the shell completion): a q_cli_family, or getopt_long options. */
static const struct q_cli_command commands[] = {
    {"init", cmd_init, "create the data directory, the database and the first admin", NULL,
     q_server_longopts},
    {"hub", cmd_hub, "run the hub: API, web, /pub, metrics", NULL, q_server_longopts},
    {"rsyncd", cmd_rsyncd, "run the rsync daemon serving /pub to mirrors, alone", NULL,
     q_server_longopts},
    {"config", cmd_config, "check a configuration file (config check FILE)", NULL, NULL},
    {"sandbox", cmd_sandbox, "run a command in the build sandbox (debugging, benchmarks)", NULL,
     NULL},
    {"sig", cmd_sig, "create, list, show, update, retire SIGs; manage members", &q_sig_family,
     NULL},
    {"project", cmd_project, "create, list, show projects of a SIG", &q_project_family, NULL},
    {"repo", cmd_repo, "create, list, show repositories; publish history", &q_repo_family, NULL},
    {"upload", cmd_upload, "upload RPMs to a repository (SIG/PROJECT/REPO FILE...)",
     &q_upload_family, NULL},
    {"publish", cmd_publish, "publish a repository (or every repository)", &q_publish_family, NULL},
    {"whoami", cmd_whoami, "show who the token belongs to", &q_whoami_family, NULL},
    {"token", cmd_token, "create, list, revoke API tokens", &q_token_family, NULL},
    {"user", cmd_user, "create and list users (admin)", &q_user_family, NULL},
    {"audit", cmd_audit, "read the audit log (admin)", &q_audit_family, NULL},
    {"lookaside", cmd_lookaside,
     "upload source files to a SIG's lookaside cache (into a checkout's .NAME.metadata); get a "
     "checkout's sources",
     &q_lookaside_family, NULL},
    {"build", cmd_build, "build from git or an SRPM; list, show, cancel, log builds",
     &q_build_family, NULL},
    {"tag", cmd_tag, "add a build's RPMs to a repository (BUILD SIG/PROJECT/REPO)", &q_tag_family,
     NULL},
    {"untag", cmd_untag,
     "take a build's RPMs out of a candidate repository (BUILD SIG/PROJECT/REPO)", &q_untag_family,
     NULL},
    {"wait-repo", cmd_wait_repo,
     "wait until a repository holds a build (SIG/PROJECT/REPO --build ID)", &q_wait_family, NULL},
    {"workers", cmd_workers, "list the build workers", &q_workers_family, NULL},
    {"mirror", cmd_mirror, "the mirror registry: apply, import, approve, disable, propagation...",
     &q_mirror_family, NULL},
    {"update", cmd_update, "group builds into updates; list, show, approve, edit, comment on them",
     &q_update_family, NULL},
    {"promote", cmd_promote, "move an update to testing or release (--to), as its policy allows",
     &q_promote_family, NULL},
    {"unpush", cmd_unpush, "take a candidate or testing update's packages out of its repos",
     &q_unpush_family, NULL},
    {"revoke", cmd_revoke, "take a released update back out of its release repo (releng)",
     &q_revoke_family, NULL},
    {"policy", cmd_policy, "show or set a project's gating policy", &q_policy_family, NULL},
    {"crawl", cmd_crawl, "check mirrors now (all, or --mirror NAME); print what was found",
     &q_crawl_family, NULL},
    {"search", cmd_search, "which SIG, project, repo and arch hold which versions of a package",
     &q_search_family, NULL},
    {"completion", cmd_completion,
     "print a shell completion script: source <(quarry completion bash)", &completion_family, NULL},
    {"check", cmd_check, "run a build's checks again (BUILD [--wait]); show their output",
     &q_check_family, NULL},
    {"release-package", cmd_release_package,
     "rebuild a SIG's release package (sig-SIG-release) for a project (SIG/PROJECT)",
     &q_release_package_family, NULL},
    {"mirrorlist", cmd_mirrorlist, "serve /metalink and /mirrorlist from a snapshot file", NULL,
     q_mirrorlist_longopts},
    {"worker", cmd_worker, "run a build worker (--hub URL --token T --arch ARCHES)",
     &q_worker_family, NULL},
    {"check-run", cmd_check_run, NULL, NULL,
     NULL}, /* the hub's checker, in the sandbox: not listed */
    {"signer", cmd_signer, "hold the SIG keys and sign for the hub (--keys DIR --socket PATH)",
     NULL, q_signer_longopts},
    {"signer-client", cmd_signer_client, NULL, NULL, NULL}, /* tests and debugging: not listed */
    {"api-routes", cmd_api_routes, NULL, NULL, NULL}, /* tests: the route table and its rules */
    {"buildroot", cmd_buildroot, NULL, NULL, NULL},   /* tests, benchmarks: prepare a buildroot */
};

/* `quarry completion bash` (also when given global options, which it ignores). */
static int cmd_completion(int argc, char **argv)
{
	struct q_cli_args a;
	int ret;

	if (q_cli_parse(&completion_family, argc, argv, &a))
		return 2;
	if (a.help) {
		printf("usage: quarry completion bash\n\n"
		       "Print a bash completion script for quarry's commands, subcommands and "
		       "options:\n  source <(quarry completion bash)\n"
		       "or save it as /usr/share/bash-completion/completions/quarry.\n");
		ret = 0;
	} else if (a.n_words != 1 || strcmp(a.words[0], "bash")) {
		ret = q_cli_usage_error(&a, "%s",
					a.n_words ? "only bash is known" : "which shell? bash");
	} else {
		q_cli_completion_bash(stdout, commands, Q_ARRAY_LEN(commands));
		ret = fflush(stdout) == 0 ? 0 : 1;
	}
	q_cli_args_release(&a);
	return ret;
}

static void usage(FILE *out)
{
	fprintf(out, "usage: quarry COMMAND [ARGS...]\n\ncommands:\n");
	for (size_t i = 0; i < Q_ARRAY_LEN(commands); i++)
		if (commands[i].help)
			fprintf(out, "  %-15s %s\n", commands[i].name, commands[i].help);
	fprintf(out, "\nRun 'quarry COMMAND -h' for a command's options.\n");
}

int main(int argc, char **argv)
{
	/* `quarry --hub URL sig list`: move global options after the command. */
	q_cli_hoist_command(argc, argv);
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("quarry 0.1.0\n");
		return 0;
	}
	for (size_t i = 0; i < Q_ARRAY_LEN(commands); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "quarry: '%s' is not a command; see 'quarry --help'\n", argv[1]);
	return 2;
}
