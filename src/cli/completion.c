/*
 * completion.c: `quarry completion bash`, a bash completion script
 * generated from main.c's command table and the tables it points to: the
 * listed commands, each family's subcommands ("member add" completes in two
 * words) and options (those that apply to the subcommand typed so far), the
 * getopt_long options of the server commands, and the global options of
 * the client commands. An option's value completes from its placeholder:
 * file names for FILE or PATH, directories for DIR, the choices of
 * "testing|release". Adding a command or an option to a table changes the
 * script; nothing here names one.
 *
 * The script defines _quarry (complete -F _quarry quarry) and helpers
 * named _quarry_*; the data are `case` tables, so it needs no bash 4
 * associative arrays.
 */
#include "core/common.h"
#include "cli/cli.h"
#include "cli/client.h"

#include <getopt.h>

/* s as one single-quoted bash word. */
static void sq(FILE *out, const char *s)
{
	fputc('\'', out);
	for (; *s; s++)
		if (*s == '\'')
			fputs("'\\''", out);
		else
			fputc(*s, out);
	fputc('\'', out);
}

static int is_client(const struct q_cli_command *c)
{
	return c->family != NULL;
}

/* Does the subcommand's synopsis name files? */
static int wants_files(const char *synopsis)
{
	return synopsis && (strstr(synopsis, "FILE") || strstr(synopsis, "DIR"));
}

static void emit_commands(FILE *out, const struct q_cli_command *cmds, size_t n)
{
	fputs("_quarry_commands() {\n\t_qr=(", out);
	for (size_t i = 0, k = 0; i < n; i++)
		if (cmds[i].help) {
			if (k++)
				fputc(' ', out);
			sq(out, cmds[i].name);
		}
	fputs(")\n}\n\n", out);

	fputs("# 0 when CMD is a client command (it takes the global options)\n"
	      "_quarry_is_client() {\n\tcase $1 in\n",
	      out);
	for (size_t i = 0, k = 0; i < n; i++)
		if (cmds[i].help && is_client(&cmds[i])) {
			fputs(k++ ? "|" : "\t", out);
			sq(out, cmds[i].name);
		}
	fputs(") return 0 ;;\n\t*) return 1 ;;\n\tesac\n}\n\n", out);
}

static void emit_subcommands(FILE *out, const struct q_cli_command *cmds, size_t n)
{
	fputs("# the subcommands of CMD in _qr, each one word or more (\"member add\")\n"
	      "_quarry_subcommands() {\n\tcase $1 in\n",
	      out);
	for (size_t i = 0; i < n; i++) {
		const struct q_cli_family *f = cmds[i].family;

		if (!cmds[i].help || !f || f->n_cmds == 0 || !f->cmds[0].name)
			continue;
		fputc('\t', out);
		sq(out, cmds[i].name);
		fputs(") _qr=(", out);
		for (size_t j = 0; j < f->n_cmds; j++) {
			if (j)
				fputc(' ', out);
			sq(out, f->cmds[j].name);
		}
		fputs(") ;;\n", out);
	}
	fputs("\t*) _qr=() ;;\n\tesac\n}\n\n", out);
}

/* "CMD|SUB" → the options, and whether its words are files. */
static void emit_options(FILE *out, const struct q_cli_command *cmds, size_t n)
{
	fputs("# the options of CMD SUB in _qr (SUB empty: none typed yet, or none)\n"
	      "_quarry_options() {\n\tcase \"$1|$2\" in\n",
	      out);
	for (size_t i = 0; i < n; i++) {
		const struct q_cli_command *c = &cmds[i];
		const struct q_cli_family *f = c->family;
		char key[160];

		if (!c->help)
			continue;
		if (f) {
			for (size_t j = 0; j < f->n_cmds; j++) {
				const struct q_cli_cmd *sc = &f->cmds[j];
				int k = 0;

				snprintf(key, sizeof(key), "%s|%s", c->name,
					 sc->name ? sc->name : "");
				fputc('\t', out);
				sq(out, key);
				fputs(") _qr=(", out);
				for (size_t o = 0; o < f->n_opts; o++)
					if (sc->opts & (1u << o)) {
						if (k++)
							fputc(' ', out);
						fprintf(out, "--%s", f->opts[o].name);
					}
				fputs(") ;;\n", out);
			}
		} else if (c->longopts) {
			int k = 0;

			snprintf(key, sizeof(key), "%s|", c->name);
			fputc('\t', out);
			sq(out, key);
			fputs(") _qr=(", out);
			for (const struct option *o = c->longopts; o->name; o++) {
				if (k++)
					fputc(' ', out);
				fprintf(out, "--%s", o->name);
			}
			fputs(") ;;\n", out);
		}
	}
	fputs("\t*) _qr=() ;;\n\tesac\n}\n\n", out);

	fputs("# 0 when the positional words of CMD SUB are file names\n"
	      "_quarry_files() {\n\tcase \"$1|$2\" in\n",
	      out);
	for (size_t i = 0; i < n; i++) {
		const struct q_cli_family *f = cmds[i].family;
		char key[160];

		if (!cmds[i].help || !f)
			continue;
		for (size_t j = 0; j < f->n_cmds; j++)
			if (wants_files(f->cmds[j].synopsis)) {
				snprintf(key, sizeof(key), "%s|%s", cmds[i].name,
					 f->cmds[j].name ? f->cmds[j].name : "");
				fputc('\t', out);
				sq(out, key);
				fputs(") return 0 ;;\n", out);
			}
	}
	/* A command without tables parses its own words: offer files. */
	fputs("\t*) ! _quarry_is_client \"$1\" ;;\n\tesac\n}\n\n", out);
}

static void emit_values(FILE *out, const struct q_cli_command *cmds, size_t n)
{
	size_t n_glob;
	const struct q_cli_opt *glob = q_cli_global_opts(&n_glob);

	fputs("# 0 when option OPT of CMD takes a value; _qa gets its placeholder\n"
	      "_quarry_takes_value() {\n\tcase \"$1|$2\" in\n",
	      out);
	for (size_t i = 0; i < n; i++) {
		const struct q_cli_command *c = &cmds[i];
		char key[160];

		if (!c->help)
			continue;
		if (c->family) {
			for (size_t o = 0; o < c->family->n_opts; o++)
				if (c->family->opts[o].arg) {
					snprintf(key, sizeof(key), "%s|--%s", c->name,
						 c->family->opts[o].name);
					fputc('\t', out);
					sq(out, key);
					fputs(") _qa=", out);
					sq(out, c->family->opts[o].arg);
					fputs(" ;;\n", out);
				}
		} else if (c->longopts) {
			for (const struct option *o = c->longopts; o->name; o++)
				if (o->has_arg == required_argument) {
					snprintf(key, sizeof(key), "%s|--%s", c->name, o->name);
					fputc('\t', out);
					sq(out, key);
					fputs(") _qa=FILE ;;\n", out); /* no placeholder: files */
				}
		}
	}
	fputs("\t*)\n\t\t_quarry_is_client \"$1\" || [ -z \"$1\" ] || return 1\n"
	      "\t\tcase $2 in\n",
	      out);
	for (size_t g = 0; g < n_glob; g++)
		if (glob[g].arg) {
			char opt[64];

			snprintf(opt, sizeof(opt), "--%s", glob[g].name);
			fputs("\t\t", out);
			sq(out, opt);
			fputs(") _qa=", out);
			sq(out, glob[g].arg);
			fputs(" ;;\n", out);
		}
	fputs("\t\t*) return 1 ;;\n\t\tesac\n\t\t;;\n\tesac\n}\n\n", out);

	fputs("_quarry_globals() {\n\t_qr=(", out);
	for (size_t g = 0; g < n_glob; g++)
		fprintf(out, "--%s ", glob[g].name);
	fputs("--help)\n}\n\n", out);
}

/* The part of the script that is the same for every table. */
static const char script_main[] =
    "# Complete the value of an option from its placeholder.\n"
    "_quarry_value() {\n"
    "\tlocal ph=$1 cur=$2\n"
    "\tcase $ph in\n"
    "\t*DIR*) COMPREPLY=($(compgen -d -- \"$cur\")) ;;\n"
    "\t*FILE* | *PATH*) COMPREPLY=($(compgen -f -- \"$cur\")) ;;\n"
    "\t*'|'*) [[ $ph =~ ^[a-z0-9|_-]+$ ]] && COMPREPLY=($(compgen -W \"${ph//|/ }\" -- "
    "\"$cur\")) ;;\n"
    "\tesac\n"
    "}\n"
    "\n"
    "_quarry() {\n"
    "\tlocal cur=${COMP_WORDS[COMP_CWORD]} cmd= want= best= i w s n _qr _qa\n"
    "\tlocal -a pos=() subs=() sw=() next=() opts=()\n"
    "\tCOMPREPLY=()\n"
    "\t# The words before the cursor: the command, then its positional words;\n"
    "\t# options and their values are skipped (global ones may come first).\n"
    "\tfor ((i = 1; i < COMP_CWORD; i++)); do\n"
    "\t\tw=${COMP_WORDS[i]}\n"
    "\t\tcase $w in\n"
    "\t\t--*=*) continue ;;\n"
    "\t\t-*)\n"
    "\t\t\tif _quarry_takes_value \"$cmd\" \"$w\"; then\n"
    "\t\t\t\t((i + 1 == COMP_CWORD)) && want=$_qa\n"
    "\t\t\t\t((i++))\n"
    "\t\t\tfi\n"
    "\t\t\tcontinue\n"
    "\t\t\t;;\n"
    "\t\tesac\n"
    "\t\tif [ -z \"$cmd\" ]; then cmd=$w; else pos+=(\"$w\"); fi\n"
    "\tdone\n"
    "\tif [ -n \"$want\" ]; then\n"
    "\t\t_quarry_value \"$want\" \"$cur\"\n"
    "\t\treturn 0\n"
    "\tfi\n"
    "\tif [ -z \"$cmd\" ]; then\n"
    "\t\tif [[ $cur == -* ]]; then\n"
    "\t\t\t_quarry_globals\n"
    "\t\t\tCOMPREPLY=($(compgen -W \"${_qr[*]} --version\" -- \"$cur\"))\n"
    "\t\telse\n"
    "\t\t\t_quarry_commands\n"
    "\t\t\tCOMPREPLY=($(compgen -W \"${_qr[*]}\" -- \"$cur\"))\n"
    "\t\tfi\n"
    "\t\treturn 0\n"
    "\tfi\n"
    "\t# The subcommand typed so far: the longest name whose words begin pos.\n"
    "\t_quarry_subcommands \"$cmd\"\n"
    "\tsubs=(\"${_qr[@]}\")\n"
    "\tfor s in \"${subs[@]}\"; do\n"
    "\t\tread -ra sw <<<\"$s\"\n"
    "\t\tn=${#sw[@]}\n"
    "\t\tif ((n <= ${#pos[@]})) && [ \"${pos[*]:0:n}\" = \"$s\" ] && ((${#s} > ${#best})); "
    "then\n"
    "\t\t\tbest=$s\n"
    "\t\tfi\n"
    "\tdone\n"
    "\tif [[ $cur == -* ]]; then\n"
    "\t\t_quarry_options \"$cmd\" \"$best\"\n"
    "\t\topts=(\"${_qr[@]}\")\n"
    "\t\tif _quarry_is_client \"$cmd\"; then\n"
    "\t\t\t_quarry_globals\n"
    "\t\t\topts+=(\"${_qr[@]}\")\n"
    "\t\tfi\n"
    "\t\tCOMPREPLY=($(compgen -W \"${opts[*]}\" -- \"$cur\"))\n"
    "\t\treturn 0\n"
    "\tfi\n"
    "\tif ((${#subs[@]} > 0)) && [ -z \"$best\" ]; then\n"
    "\t\t# The next word of the subcommands that begin with pos.\n"
    "\t\tfor s in \"${subs[@]}\"; do\n"
    "\t\t\tread -ra sw <<<\"$s\"\n"
    "\t\t\tif ((${#sw[@]} > ${#pos[@]})) && [ \"${sw[*]:0:${#pos[@]}}\" = \"${pos[*]}\" ]; "
    "then\n"
    "\t\t\t\t[[ \" ${next[*]} \" == *\" ${sw[${#pos[@]}]} \"* ]] || "
    "next+=(\"${sw[${#pos[@]}]}\")\n"
    "\t\t\tfi\n"
    "\t\tdone\n"
    "\t\tCOMPREPLY=($(compgen -W \"${next[*]}\" -- \"$cur\"))\n"
    "\t\treturn 0\n"
    "\tfi\n"
    "\tif _quarry_files \"$cmd\" \"$best\"; then\n"
    "\t\tCOMPREPLY=($(compgen -f -- \"$cur\"))\n"
    "\tfi\n"
    "\treturn 0\n"
    "}\n"
    "\n"
    "complete -o filenames -F _quarry quarry\n";

void q_cli_completion_bash(FILE *out, const struct q_cli_command *cmds, size_t n)
{
	fputs("# bash completion for quarry, generated by `quarry completion bash` from its\n"
	      "# command and option tables. Use: source <(quarry completion bash)\n\n",
	      out);
	emit_commands(out, cmds, n);
	emit_subcommands(out, cmds, n);
	emit_options(out, cmds, n);
	emit_values(out, cmds, n);
	fputs(script_main, out);
}
