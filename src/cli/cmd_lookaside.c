/*
 * cmd_lookaside.c: `quarry lookaside upload SIG FILE…`: store source
 * tarballs in a SIG's lookaside cache and print the lines to commit in the
 * package's .NAME.metadata ("SHA256 SOURCES/FILE"), one per file, alone on
 * stdout so that `>> .NAME.metadata` works.
 */
#include "core/common.h"
#include "core/error.h"
#include "core/fs.h"
#include "core/hash.h"
#include "cli/cli.h"
#include "cli/client.h"

#include <fcntl.h>
#include <glib.h>
#include <sys/stat.h>

#define MAX_FILES 1000

/* POST sigs/SIG/lookaside?filename=BASENAME with file streamed from disk. */
static int upload_one(struct q_client *c, const char *sig, const char *file, json_t **out,
		      struct q_error *err)
{
	char sha[Q_SHA256_HEX];
	char fdpath[64];
	struct stat st;
	char *base = NULL;
	char *ebase = NULL;
	char *spath = NULL;
	char *path = NULL;
	long status = 0;
	int fd;
	int ret = -1;

	*out = NULL;
	fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return q_error_set(err, Q_EINVAL, "cannot open '%s': %s", file, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		q_error_set(err, Q_EINVAL, "'%s' is not a regular file", file);
		goto out;
	}
	/* Hash the file we opened, not whatever the name points to later. */
	snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", fd);
	if (q_hash_sha256_file(q_fs_exists(fdpath) ? fdpath : file, sha, err) < 0)
		goto out;
	base = g_path_get_basename(file);
	ebase = q_client_escape(c, base);
	spath = q_client_path(c, "sigs", sig, "lookaside", NULL);
	if (!ebase || !spath) {
		q_error_set(err, Q_EINTERNAL, "out of memory");
		goto out;
	}
	path = g_strdup_printf("%s?filename=%s", spath, ebase);
	if (q_client_post_fd(c, path, "application/octet-stream", fd, (int64_t)st.st_size, sha,
			     &status, out, err) < 0) {
		if (!status)
			q_error_prefix(err, "cannot upload '%s'", file);
		goto out;
	}
	if (!*out || !json_string_value(json_object_get(*out, "line"))) {
		json_decref(*out);
		*out = NULL;
		q_error_set(err, Q_EINTERNAL, "the hub's answer for '%s' has no metadata line",
			    file);
		goto out;
	}
	ret = 0;
out:
	close(fd);
	g_free(path);
	g_free(spath);
	g_free(ebase);
	g_free(base);
	return ret;
}

static int lookaside_upload(struct q_client *c, struct q_cli_args *a)
{
	struct q_error err = {0};
	char *sig[1] = {NULL};
	json_t *all = json_array();
	int ret = 0;

	if (q_cli_split_path(a->words[0], 1, sig, &err) < 0) {
		ret = q_cli_usage_error(a, "%s", err.msg);
		goto out;
	}
	if (a->n_words - 1 > MAX_FILES) {
		ret = q_cli_usage_error(a, "at most %d files at a time", MAX_FILES);
		goto out;
	}
	/* Check every file before sending anything. */
	if (q_cli_check_files(a->words, 1, a->n_words, &err) < 0) {
		ret = q_cli_fail(&err);
		goto out;
	}
	for (int f = 1; f < a->n_words; f++) {
		json_t *ans = NULL;

		if (upload_one(c, sig[0], a->words[f], &ans, &err) < 0) {
			ret = q_cli_fail(&err);
			goto out;
		}
		if (!c->json) {
			printf("%s\n", q_json_str(ans, "line"));
			fflush(stdout);
		}
		json_array_append_new(all, ans);
	}
	if (c->json)
		q_out_json(all);
	else if (isatty(STDOUT_FILENO))
		fprintf(stderr, "commit the line%s above in .NAME.metadata\n",
			a->n_words > 2 ? "s" : "");
out:
	json_decref(all);
	g_free(sig[0]);
	return ret;
}

static const struct q_cli_cmd lookaside_cmds[] = {
    {"upload", "SIG FILE...",
     "store source files in the SIG's lookaside cache; prints the .NAME.metadata lines", 2, -1, 0,
     0, lookaside_upload},
};

const struct q_cli_family q_lookaside_family = {
    "lookaside",    "The lookaside cache of source tarballs.",
    NULL,           0,
    lookaside_cmds, Q_ARRAY_LEN(lookaside_cmds),
};

int cmd_lookaside(int argc, char **argv)
{
	return q_cli_run(&q_lookaside_family, argc, argv);
}
