/*
 * client.h: what every client command (src/cli/cmd_*.c) shares.
 *
 *  - args.c: the command-line parser. A command family ("sig") is a table
 *    of options and a table of subcommands; q_cli_run parses argv (options
 *    may come before or after the words), finds the subcommand, prints
 *    -h/--help, checks which options apply and which are required, sets up
 *    the client and calls the subcommand. Exit status: 0 ok, 1 error from
 *    the hub or the transport, 2 usage error.
 *  - client.c: where the hub and the token come from (--hub/--token, then
 *    QUARRY_HUB/QUARRY_TOKEN, then the [client] section of the client
 *    config file) and HTTP requests to the API with libcurl. Answers are
 *    bounded (Q_CLIENT_MAX_RESPONSE); an API error answer
 *    {"error":{"code","message"}} becomes a struct q_error with the API's
 *    message.
 *  - output.c: readable tables and "field: value" lines from the API's
 *    JSON, and the --json printer.
 *
 * Memory: every char * returned by a function here is freed with g_free()
 * unless said otherwise; json_t * answers with json_decref().
 */
#ifndef Q_CLI_CLIENT_H
#define Q_CLI_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>
#include <jansson.h>

struct q_error;

#define Q_CLIENT_MAX_RESPONSE ((size_t)64 << 20) /* 64 MiB */
#define Q_CLIENT_MAX_CONFIG ((size_t)64 << 10)   /* client.ini */
#define Q_CLIENT_CONNECT_TIMEOUT 10L             /* seconds */
/* A file up to this size is sent in one request; a larger one as an upload
 * session of parts (every hub accepts a body of this size: its
 * hub.upload_part_size is at least 1 MiB). */
#define Q_CLIENT_SINGLE_MAX ((int64_t)1 << 20)
#define Q_CLIENT_PART_TRIES 4 /* tries of one part of an upload session */
/* Uploads up to this size are read into memory and sent in one request. */
#define Q_CLIENT_UPLOAD_INLINE_MAX ((size_t)1 << 20)
#define Q_CLI_MAX_OPTS 32 /* options per family (bits of an unsigned) */

/* ---- command line (args.c) ---- */

/* One option of a command family, e.g. {"short-name", "S", "dist tag suffix"}. */
struct q_cli_opt {
	const char *name; /* long name without the dashes */
	const char *arg;  /* placeholder of its argument, NULL for a flag */
	const char *help; /* one line for --help */
};

struct q_client;
struct q_cli_args;

/* One subcommand: "create", "member add"; name NULL for a command that has
 * no subcommands (upload, whoami). */
struct q_cli_cmd {
	const char *name;
	const char *synopsis; /* positional words: "NAME USER" */
	const char *summary;  /* one line */
	int min_words;        /* positional words after the name */
	int max_words;        /* -1: unlimited */
	unsigned opts;        /* bit i: the family's option i applies */
	unsigned required;    /* bit i: option i must be given */
	int (*run)(struct q_client *c, struct q_cli_args *a);
};

struct q_cli_family {
	const char *name; /* "sig" */
	const char *summary;
	const struct q_cli_opt *opts;
	size_t n_opts; /* at most Q_CLI_MAX_OPTS */
	const struct q_cli_cmd *cmds;
	size_t n_cmds;
};

/* What q_cli_parse found. Strings point into argv. */
struct q_cli_args {
	const char *hub;                 /* --hub, NULL when not given */
	const char *token;               /* --token */
	const char *config;              /* --client-config */
	int json;                        /* --json */
	int help;                        /* -h/--help */
	const char *val[Q_CLI_MAX_OPTS]; /* family options; "" for a given flag */
	/* Every value of a repeated option, in order (val[i] is the last);
	 * all[i] is g_free'd by q_cli_args_release. */
	const char **all[Q_CLI_MAX_OPTS];
	int n_all[Q_CLI_MAX_OPTS];
	char **words; /* positional words (g_free the array only) */
	int n_words;
	const struct q_cli_family *family;
	const struct q_cli_cmd *cmd; /* set by q_cli_run */
};

/*
 * Parse argv (argv[0] is the family's name) into *a. Returns 0, or 2 after
 * printing a usage error on stderr. Free with q_cli_args_release.
 */
int q_cli_parse(const struct q_cli_family *f, int argc, char **argv, struct q_cli_args *a);
void q_cli_args_release(struct q_cli_args *a);

/* The global options every client command accepts (--hub, --token, …;
 * -h/--help is not in the table). */
const struct q_cli_opt *q_cli_global_opts(size_t *n);

/* Parse, dispatch and run: the whole body of a cmd_FAMILY function. */
int q_cli_run(const struct q_cli_family *f, int argc, char **argv);

/*
 * For main.c: "quarry --hub X --json sig list" → "quarry sig --hub X --json
 * list". Moves the global options found before the command name to just
 * after it, in place, so that main.c can dispatch on argv[1]. Stops at the
 * first argument that is neither a global option nor its value (so -h,
 * --help and --version are left to main.c). Returns the new argv[1].
 */
const char *q_cli_hoist_command(int argc, char **argv);

/* Print "quarry FAMILY CMD: MESSAGE" and a hint to stderr; returns 2. */
int q_cli_usage_error(const struct q_cli_args *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Print "quarry: MESSAGE" to stderr; returns 1. With --json, the error as
 * the API's error body on standard output instead (see q_cli_error_json). */
int q_cli_fail(const struct q_error *err);

/* Whether --json was given (then every error is printed as JSON). */
int q_cli_json_errors(void);

/* Print {"error":{"code":"not_found","message":"…"[,"errors":[…]]}} (the
 * API's error body: code from err->code) on standard output. */
void q_cli_error_json(const struct q_error *err, const json_t *errors);

/*
 * Split "SIG/PROJECT/REPO" into exactly n parts (n = 1..3), each checked
 * with core/names.h (SIG, PROJECT, REPO rules in that order). parts[i] are
 * g_strdup'ed (g_free each, also on failure none are left allocated).
 * Returns 0 or -1 with err (Q_EINVAL).
 */
int q_cli_split_path(const char *arg, int n, char **parts, struct q_error *err);

/* Parse a decimal integer in [min, max]; 0 or -1 with err naming WHAT. */
int q_cli_parse_long(const char *s, long min, long max, const char *what, long *out,
		     struct q_error *err);

/*
 * A --since value: an ISO 8601 UTC time ("2026-12-01", midnight UTC, or
 * "2026-12-01T10:00:00Z") or an age before now: a positive number and a
 * unit, m (minutes), h (hours), d (days) or w (weeks): "30m", "12h", "7d".
 * *t gets the time in seconds (an age reaching before 1970 gives 0); 0 or
 * -1 with err.
 */
int q_cli_parse_since(const char *s, int64_t now, int64_t *t, struct q_error *err);

/* "x86_64,aarch64" → JSON array of known, distinct arches; NULL + err. */
json_t *q_cli_parse_arches(const char *list, struct q_error *err);

/* ---- hub client (client.c) ---- */

struct q_client {
	char *hub;   /* base URL without a trailing '/' */
	char *token; /* NULL: requests carry no Authorization */
	int json;    /* --json: print the API's JSON */
	CURL *curl;
};

/*
 * Parse client config text (INI: [client] hub = …, token = …). *hub and
 * *token are set only for keys present (g_free them). source names the file
 * in messages. Returns 0 or -1 with err.
 */
int q_client_config_parse(const char *text, size_t len, const char *source, char **hub,
			  char **token, struct q_error *err);

/* The default client config path: $HOME/.config/quarry/client.ini (g_free). */
char *q_client_config_default_path(void);

/*
 * Resolve hub and token from the options, the environment and the config
 * file, and open a curl handle. Returns 0, or -1 with err (Q_EINVAL when no
 * hub is configured or the hub URL is not http(s)).
 */
int q_client_init(struct q_client *c, const struct q_cli_args *a, struct q_error *err);
void q_client_release(struct q_client *c);

/*
 * Build an API path from segments, each URL-escaped: ("sigs", name,
 * "projects", NULL) → "sigs/mc/projects". NULL on allocation failure.
 */
char *q_client_path(struct q_client *c, const char *first, ...) __attribute__((sentinel));

/* URL-escape one string (for query values). */
char *q_client_escape(struct q_client *c, const char *s);

/*
 * METHOD /api/v1/PATH with an optional JSON body. On success *out (if not
 * NULL) receives the parsed JSON answer. On an HTTP error the API's message
 * goes into err with the code the API named.
 */
int q_client_call(struct q_client *c, const char *method, const char *path, json_t *body,
		  json_t **out, struct q_error *err);

/* The same; on an error answer that lists its errors one by one
 * ({"error":{…,"errors":["…"]}}), *errors gets that array (else NULL). */
int q_client_call_errors(struct q_client *c, const char *method, const char *path, json_t *body,
			 json_t **out, json_t **errors, struct q_error *err);

/*
 * After a *_errors call that failed: the answer's "warnings" list (strings,
 * as "errors"), or NULL. The caller owns it; a second call gives NULL.
 */
json_t *q_client_take_warnings(void);

/* GET /api/v1/PATH as raw bytes (NUL-terminated; g_free). */
int q_client_get_raw(struct q_client *c, const char *path, char **out, size_t *len,
		     struct q_error *err);

/*
 * POST /api/v1/uploads?filename=BASENAME with X-Content-SHA256 computed
 * locally: the file as the body when it is at most Q_CLIENT_SINGLE_MAX
 * bytes, else as an upload session (its parts on one connection, a failed
 * part retried) and then the same request with &session=ID and no body.
 * *out gets {"id","size","sha256"}.
 */
int q_client_upload_file(struct q_client *c, const char *file, json_t **out, struct q_error *err);
/*
 * Stage n files (POST /api/v1/uploads each), up to `parallel` requests at
 * once over as many kept-alive connections. A file of at most
 * Q_CLIENT_UPLOAD_INLINE_MAX bytes is read once into memory, hashed and
 * sent from there; a larger one is streamed by q_client_upload_file. On
 * success ids[i] (the caller's array of n NULLs) holds the staged id of
 * files[i] (g_free each). On failure, returns -1 with err for the first
 * file that failed; ids already filled stay for the caller to free.
 * progress: print "staged FILE (ID)" to stderr for each.
 */
int q_client_upload_files(struct q_client *c, char **files, int n, int parallel, char **ids,
			  int progress, struct q_error *err);

/*
 * Raw requests, for the worker protocol. PATH is under /api/v1 and may end
 * in "?QUERY". *status gets the HTTP status (0 when the hub could not be
 * reached: err is Q_EIO then). Returns 0 on 2xx, with *out (if not NULL)
 * the JSON answer or NULL for an empty one (204); otherwise -1 with err
 * (the API's message; 409 is Q_ECONFLICT).
 */
int q_client_post_raw(struct q_client *c, const char *path, const char *content_type,
		      const void *data, size_t len, long *status, json_t **out,
		      struct q_error *err);
/* The same; on an error answer with an "errors" list, *errors gets it. */
int q_client_post_raw_errors(struct q_client *c, const char *path, const char *content_type,
			     const void *data, size_t len, long *status, json_t **out,
			     json_t **errors, struct q_error *err);
/* The same with size bytes of fd (from its offset) whose SHA-256 is
 * sha256 (sent as X-Content-SHA256): one request, or an upload session
 * for a file larger than Q_CLIENT_SINGLE_MAX (under worker/ when PATH is,
 * for worker tokens), as q_client_upload_file does. */
int q_client_post_fd(struct q_client *c, const char *path, const char *content_type, int fd,
		     int64_t size, const char *sha256, long *status, json_t **out,
		     struct q_error *err);
/* GET /api/v1/PATH streamed into fd, at most max bytes (else Q_ETOOBIG). */
int q_client_download_fd(struct q_client *c, const char *path, int fd, int64_t max,
			 struct q_error *err);

/*
 * GET /api/v1/PATH (which may end in "?QUERY") as raw bytes (NUL-terminated;
 * g_free *out), and the value of the answer header HEADER (case-insensitive
 * name, without ':') in *value (g_free; NULL when absent). For task logs and
 * their X-Quarry-Task-State.
 */
int q_client_get_header(struct q_client *c, const char *path, const char *header, char **out,
			size_t *len, char **value, struct q_error *err);

/* ---- output (output.c) ---- */

/* A column of a table, or a line of a field list: JSON key and its label. */
struct q_col {
	const char *key;
	const char *label;
};

/* The display text of a JSON value: strings as is, numbers, true/false,
 * arrays joined with ",", objects as "k:v, …", null or NULL as "-". */
char *q_json_text(const json_t *v);

/* A string member of obj, or "" (borrowed). */
const char *q_json_str(const json_t *obj, const char *key);

/* Print the API's JSON, indented, on stdout. */
void q_out_json(const json_t *j);

/* Print an array of objects as a table with a header line. */
void q_out_table(const json_t *array, const struct q_col *cols, size_t n);

/* Print "Label:  value" lines for the members of obj that are present. */
void q_out_fields(const json_t *obj, const struct q_col *cols, size_t n);

/* Print one member of obj as a table cell would show it (no newline). */
void q_out_cell(const json_t *obj, const struct q_col *col);

/* Print publish results [{"arch","changed","sha256","packages","path"}]
 * as a table saying "changed" or "unchanged" per arch directory. */
void q_out_publish(const json_t *results);
/* Print an answer of …/packages or …/builds: the accepted NEVRAs, then the
 * publish results. */
void q_out_accepted(const json_t *ans);
/* Check that words[first..n) are readable regular files before anything is
 * sent; on failure fill err naming the file. */
int q_cli_check_files(char **words, int first, int n, struct q_error *err);

#endif
