/*
 * main.c: the command table. Every role of Quarry (hub, client commands,
 * maintenance) is a subcommand of this one binary, as in git.
 */
#include "core/common.h"
#include "cli/cli.h"
#include "cli/client.h"
#include "api/api.h"

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
};

/* `quarry api-routes`: the API's routes with their authorization rules, one
 * "METHOD PATTERN RULE" a line (t0321 calls every one with every role). */
static int cmd_api_routes(int argc, char **argv)
{
	const char *method, *pattern, *rule;

	(void)argv;
	if (argc > 1) {
		fprintf(stderr, "usage: quarry api-routes\n");
		return 2;
	}
	for (size_t i = 0; q_api_route_info(i, &method, &pattern, &rule) == 0; i++)
		printf("%s %s %s\n", method, pattern, rule ? rule : "UNDECLARED");
	return 0;
}

static const struct command commands[] = {
    {"init", cmd_init, "create the data directory, the database and the first admin"},
    {"hub", cmd_hub, "run the hub: API, web, /pub, metrics"},
    {"config", cmd_config, "check a configuration file (config check FILE)"},
    {"sandbox", cmd_sandbox, "run a command in the build sandbox (debugging, benchmarks)"},
    {"sig", cmd_sig, "create, list, show, update, retire SIGs; manage members"},
    {"project", cmd_project, "create, list, show projects of a SIG"},
    {"repo", cmd_repo, "create, list, show repositories; publish history"},
    {"upload", cmd_upload, "upload RPMs to a repository (SIG/PROJECT/REPO FILE...)"},
    {"publish", cmd_publish, "publish a repository (or every repository)"},
    {"whoami", cmd_whoami, "show who the token belongs to"},
    {"token", cmd_token, "create, list, revoke API tokens"},
    {"user", cmd_user, "create and list users (admin)"},
    {"audit", cmd_audit, "read the audit log (admin)"},
    {"lookaside", cmd_lookaside, "upload source files to a SIG's lookaside cache"},
    {"build", cmd_build, "build from git or an SRPM; list, show, cancel, log builds"},
    {"tag", cmd_tag, "add a build's RPMs to a repository (BUILD SIG/PROJECT/REPO)"},
    {"untag", cmd_untag,
     "take a build's RPMs out of a candidate repository (BUILD SIG/PROJECT/REPO)"},
    {"wait-repo", cmd_wait_repo,
     "wait until a repository holds a build (SIG/PROJECT/REPO --build ID)"},
    {"workers", cmd_workers, "list the build workers"},
    {"mirror", cmd_mirror, "the mirror registry: apply, import, approve, disable, propagation..."},
    {"update", cmd_update, "group builds into updates; list, show, approve, edit, comment on them"},
    {"promote", cmd_promote, "move an update to testing or release (--to), as its policy allows"},
    {"unpush", cmd_unpush, "take a candidate or testing update's packages out of its repos"},
    {"revoke", cmd_revoke, "take a released update back out of its release repo (releng)"},
    {"policy", cmd_policy, "show or set a project's gating policy"},
    {"crawl", cmd_crawl, "check mirrors now (all, or --mirror NAME); print what was found"},
    {"check", cmd_check, "run a build's checks again (BUILD [--wait]); show their output"},
    {"release-package", cmd_release_package,
     "rebuild a SIG's release package (sig-SIG-release) for a project (SIG/PROJECT)"},
    {"mirrorlist", cmd_mirrorlist, "serve /metalink and /mirrorlist from a snapshot file"},
    {"worker", cmd_worker, "run a build worker (--hub URL --token T --arch ARCHES)"},
    {"check-run", cmd_check_run, NULL}, /* the hub's checker, in the sandbox: not listed */
    {"signer", cmd_signer, "hold the SIG keys and sign for the hub (--keys DIR --socket PATH)"},
    {"signer-client", cmd_signer_client, NULL}, /* tests and debugging: not listed */
    {"api-routes", cmd_api_routes, NULL},       /* tests: the route table and its rules */
    {"buildroot", cmd_buildroot, NULL},         /* tests, benchmarks: prepare a buildroot */
};

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
