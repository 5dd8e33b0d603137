/*
 * check.h: the automated checks of a build (docs/ARCHITECTURE.md, "Checks,
 * updates and release"). Each check looks at the build's RPM files and the
 * repos it must fit into, and says pass, fail or error, with a one-line
 * summary that names the package and the exact capability or file, and its
 * full output.
 *
 *   disttag      every RPM's release ends with the project's dist tag
 *   rpmlint      rpmlint (2.x) in the sandbox with Quarry's defaults and the
 *                project's rpmlintrc: an error fails, warnings pass
 *   closure      libsolv: every Requires of every package is provided by the
 *                repos, the build or the other builds of its update, and
 *                each package can be installed on its own (the solver)
 *   installable  the real dnf in the sandbox installs all the build's
 *                packages into an empty root (--setopt=tsflags=test) from
 *                the repos as file:// repos
 *   conflicts    a file of a package of the build that a package of another
 *                name in the repos (or the build, or its update) also
 *                ships, unless both are directories or rpm would accept the
 *                pair (same type, mode, owner, digest or link target; ghost
 *                files; different multilib colours)
 *
 * "fail" means the packages are at fault; "error" means the check could
 * not run (a tool missing, a repo unreadable, a timeout).
 *
 * Where they run: disttag, closure and conflicts read RPM headers and
 * metadata with librpm and libsolv, which can exit() on fatal errors, so
 * the hub runs them in a child process (`quarry check-run`) inside the
 * sandbox (q_check_run_isolated); rpmlint and installable run their tool in
 * the sandbox themselves. A unit test may call q_check_run directly.
 */
#ifndef Q_CHECK_H
#define Q_CHECK_H

#include <glib.h>
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

struct q_error;

/* The five checks, in the order they are queued and shown; NULL-terminated. */
extern const char *const q_check_names[];

#define Q_CHECK_SUMMARY_MAX 500
#define Q_CHECK_OUTPUT_MAX ((size_t)256 << 10)
#define Q_CHECK_TIMEOUT 900 /* seconds a sandboxed step may take */

enum q_check_state { Q_CHECK_PASS = 0, Q_CHECK_FAIL, Q_CHECK_ERROR };

/* "pass", "fail", "error" */
const char *q_check_state_name(enum q_check_state s);

/* An RPM file the check reads. */
struct q_check_rpm {
	const char *path; /* readable (absolute when it goes into the sandbox) */
	const char *name; /* its file name N-V-R.A.rpm, for messages */
};

/* A repository: a directory holding repodata/repomd.xml and the files it names. */
struct q_check_repo {
	const char *name; /* for messages: "common" */
	const char *dir;  /* absolute */
	const char *url;  /* NULL or "": a local repo; else the http(s) URL dir is a
			   * copy of (q_check_remote_repo): installable fetches the
			   * package files it needs from there into dir */
};

struct q_check_input {
	const char *arch;               /* closure, installable, conflicts: the machine arch
					 * (x86_64, aarch64, …) the packages are checked for */
	const char *dist_tag;           /* disttag: ".el9.mc" */
	const char *releasever;         /* installable: dnf's $releasever ("9") */
	const struct q_check_rpm *rpms; /* the build's RPMs (for arch: arch and noarch) */
	size_t n_rpms;
	const struct q_check_rpm *others; /* RPMs of the other builds of its update */
	size_t n_others;
	const struct q_check_repo *repos;
	size_t n_repos;
	const char *rpmlint_config; /* rpmlint: the project's rpmlintrc text, "" or NULL */
	const char *rpmlintrc_name; /* rpmlint: the package's own rpmlintrc ("NAME.rpmlintrc")
				     * for messages, or NULL: none */
	const char *rpmlintrc;      /* … its text, cleaned (q_rpmlintrc_clean) */
	const char *workdir;        /* an absolute, writable directory the check may fill */
	const char *const *hide;    /* sandbox: directories to hide (NULL-terminated) */
	const char *const *show;    /* sandbox: directories to show read-only (the repos',
				     * the RPMs' targets), even inside a hidden one */
	int64_t timeout;            /* seconds per sandboxed step; 0: Q_CHECK_TIMEOUT */
	volatile int *cancel;       /* NULL, or becomes non-zero to kill a running step */
};

struct q_check_result {
	enum q_check_state state;
	char summary[Q_CHECK_SUMMARY_MAX + 1]; /* one line */
	GString *output;                       /* bounded by Q_CHECK_OUTPUT_MAX */
	int truncated;                         /* output was cut */
};

void q_check_result_init(struct q_check_result *res);
void q_check_result_release(struct q_check_result *res);
/* Append to the output (cut at Q_CHECK_OUTPUT_MAX, with a note once). */
void q_check_out(struct q_check_result *res, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void q_check_out_raw(struct q_check_result *res, const char *text, size_t len);
/* Set the state and the summary (the first line of fmt's text). */
void q_check_set(struct q_check_result *res, enum q_check_state state, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/*
 * Fold one part (an arch's run) into the whole: fail beats error beats pass
 * for the state, the first summary of the winning state is kept (prefixed
 * with "label: " when label is not NULL), the outputs follow each other
 * under "== label ==".
 */
void q_check_merge(struct q_check_result *into, const struct q_check_result *part,
		   const char *label, int first);

/* The checks. Each returns 0 with res filled (pass, fail or error), or -1
 * only for a bad input (err). */
int q_check_disttag(const struct q_check_input *in, struct q_check_result *res,
		    struct q_error *err);
int q_check_rpmlint(const struct q_check_input *in, struct q_check_result *res,
		    struct q_error *err);
int q_check_closure(const struct q_check_input *in, struct q_check_result *res,
		    struct q_error *err);
int q_check_installable(const struct q_check_input *in, struct q_check_result *res,
			struct q_error *err);
int q_check_conflicts(const struct q_check_input *in, struct q_check_result *res,
		      struct q_error *err);

/* 1 when name is one of q_check_names. */
int q_check_known(const char *name);
/* The check called name, in this process. */
int q_check_run(const char *name, const struct q_check_input *in, struct q_check_result *res,
		struct q_error *err);
/*
 * The check called name as the hub runs it: disttag, closure and conflicts
 * in `SELF check-run` inside the sandbox (self: the quarry binary, which
 * must be visible there: not under /root, /home or /run), the others as
 * q_check_run. A child that crashes or times out is an "error" result.
 */
int q_check_run_isolated(const char *name, const char *self, const struct q_check_input *in,
			 struct q_check_result *res, struct q_error *err);

/*
 * Remote repos (remote.c): the hub copies an http(s) repo's metadata into
 * cache/SHA (SHA: the SHA-256 of its repomd.xml; fetched again only when
 * repomd.xml changed) and writes that directory to dir; *hit is 1 when it
 * was there already. 0, or -1 with err naming the URL and what failed.
 */
int q_check_remote_url(const char *s); /* 1 for http:// and https:// */
int q_check_remote_repo(const char *url, const char *cache, char *dir, size_t size, int *hit,
			struct q_error *err);
/* The repo's file rel (a path inside it, e.g. "Packages/a-1-1.x86_64.rpm")
 * into dir/rel, unless it is there. 0, or -1 with err. */
int q_check_remote_file(const char *url, const char *dir, const char *rel, struct q_error *err);

/*
 * The repos a check used, from its output: the hub's checker starts each
 * arch's part with "repo used: NAME URL" lines (then "note: " lines); they
 * are read only there, never from what the tools printed after. Returns
 * [{"name","url"}], each pair once (new reference).
 */
json_t *q_check_repos_used(const char *output);

/*
 * A package's own rpmlintrc (rpmlintrc.c): text (len bytes, untrusted) is
 * cleaned into out: only lines that are exactly addFilter("REGEX") or
 * setBadness("CHECK", N) (comments and blanks aside) are kept; the others
 * are dropped, each named in notes (may be NULL) with its line number.
 * -1 with err (Q_ETOOBIG) over Q_RPMLINTRC_MAX bytes; else 0.
 */
#define Q_RPMLINTRC_MAX 65536
int q_rpmlintrc_clean(const char *name, const char *text, size_t len, GString *out, GString *notes,
		      struct q_error *err);
/*
 * The first regular member of the tar file path (or of fd) whose name
 * ("./" aside) is one of names (NULL-terminated): its content into *out
 * (g_free; NUL-terminated, *len bytes) and its index into *which. Returns
 * 1, 0 when none is there, -1 with err (Q_ETOOBIG: over max bytes).
 */
int q_check_bundle_member(const char *path, const char *const *names, size_t max, char **out,
			  size_t *len, size_t *which, struct q_error *err);
int q_check_tar_member_fd(int fd, const char *const *names, size_t max, char **out, size_t *len,
			  size_t *which, struct q_error *err);

/* The input as JSON and back (for check-run). from_json: the strings stay
 * in j, the arrays are g_malloc'd: free them with q_check_input_release. */
json_t *q_check_input_to_json(const struct q_check_input *in);
int q_check_input_from_json(json_t *j, struct q_check_input *in, struct q_error *err);
void q_check_input_release(struct q_check_input *in);

/* `quarry check-run MANIFEST RESULT` (internal): read the input of one
 * check from MANIFEST, run it here, write {"state","summary","output"} to
 * RESULT. */
int cmd_check_run(int argc, char **argv);

#endif
