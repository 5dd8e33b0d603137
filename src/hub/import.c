/*
 * import.c: turning "GIT_URL#REF" into a stored source bundle, or refusing
 * it with a message that names the file or ref (docs/BUILDS.md).
 *
 * Everything happens in a private temporary directory under DATA/tmp; only
 * when every check passed is the bundle moved into the blob store. The spec
 * is never parsed by the hub itself: rpmspec runs in the sandbox, without
 * network, because a spec can run shell code in its macros.
 */
#include "core/common.h"
#include "core/error.h"
#include "core/fs.h"
#include "core/hash.h"
#include "core/log.h"
#include "build/sandbox.h"
#include "content/gitimport.h"
#include "content/lookaside.h"
#include "hub/hub.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>

extern char **environ;

/* Run rpmspec in the sandbox; the NEVR is the last line it prints. */
static int spec_nevr(struct q_hub *hub, const char *dir, const struct q_git_source *src,
		     const char *dist, char *nevr, size_t size, struct q_error *err)
{
	char dist_def[128], src_def[4200], log_path[1300], *out = NULL, *line, *end;
	const char *argv[] = {
	    "rpmspec",  "-q",     "--srpm",   "--qf",  "%{NAME}-%{VERSION}-%{RELEASE}\\n",
	    "--define", dist_def, "--define", src_def, src->spec_path,
	    NULL};
	struct q_sandbox sb = {0};
	struct q_sandbox_result res = {0};
	size_t len = 0;
	int fd, rc = -1;

	snprintf(dist_def, sizeof(dist_def), "dist %s", dist);
	snprintf(src_def, sizeof(src_def), "_sourcedir %s/SOURCES", dir);
	snprintf(log_path, sizeof(log_path), "%s.rpmspec.log", dir);
	fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return q_error_set(err, Q_EIO, "cannot create '%s': %s", log_path, strerror(errno));
	const char *hide[] = {hub->cfg.data_dir, NULL};

	sb.backend = "host";
	sb.workdir = dir;
	/* rpmspec only reads: %() in the spec cannot change the bundle we store. */
	sb.workdir_ro = 1;
	sb.hide = hide;
	sb.argv = argv;
	sb.log_fd = fd;
	sb.timeout_sec = 60;
	sb.max_memory = (int64_t)1 << 30;
	if (q_sandbox_run(&sb, &res, NULL, err) < 0) {
		close(fd);
		goto out;
	}
	close(fd);
	if (q_fs_read_file(log_path, 1 << 20, &out, &len, err) < 0)
		goto out;
	while (len && (out[len - 1] == '\n' || out[len - 1] == ' '))
		out[--len] = '\0';
	line = strrchr(out, '\n');
	line = line ? line + 1 : out;
	if (res.status != Q_SANDBOX_OK || !*line) {
		q_error_set(err, Q_EINVAL, "cannot read 'SPECS/%s.spec' (rpmspec %s): %.400s",
			    src->name, res.status == Q_SANDBOX_TIMEOUT ? "timed out" : "failed",
			    *out ? out : "no output");
		goto out;
	}
	for (end = line; *end; end++)
		if (*end < 0x21 || *end > 0x7e) {
			q_error_set(err, Q_EINVAL, "'SPECS/%s.spec' gives a strange NEVR '%.100s'",
				    src->name, line);
			goto out;
		}
	snprintf(nevr, size, "%s", line);
	rc = 0;
out:
	unlink(log_path);
	free(out);
	return rc;
}

/* tar -C dir -cf out . (outside the sandbox: the tree is data we checked). */
static int make_tar(const char *dir, const char *out, struct q_error *err)
{
	char *argv[] = {"tar",        "--sort=name", "--owner=0", "--group=0", "--numeric-owner",
			"--mtime=@0", "-C",          (char *)dir, "-cf",       (char *)out,
			".",          NULL};
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int status = 0, rc;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	rc = posix_spawnp(&pid, "tar", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0)
		return q_error_set(err, Q_EIO, "cannot run tar: %s", strerror(rc));
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return q_error_set(err, Q_EIO, "tar failed making the source bundle of '%s'", dir);
	return 0;
}

int q_hub_import_git(struct q_hub *hub, json_t *project, const char *source, json_t **fields,
		     struct q_error *err)
{
	const char *sig = json_string_value(json_object_get(project, "sig"));
	const char *variant = json_string_value(json_object_get(project, "variant"));
	const char *dist = json_string_value(json_object_get(project, "dist_tag"));
	int64_t major = json_integer_value(json_object_get(project, "major"));
	struct q_git_limits lim = {hub->cfg.max_files, hub->cfg.max_tree};
	struct q_lookaside_store ls = {hub->lookaside_dir,
				       hub->cfg.lookaside_url[0] ? hub->cfg.lookaside_url : NULL,
				       hub->cfg.lookaside_max};
	struct q_lookaside_entry *ents = NULL;
	struct q_git_source src;
	char tmp[1300], dir[1400], md[1700], bundle[1400], nevr[512], sha[Q_SHA256_HEX];
	char *url = NULL, *ref = NULL, *text = NULL;
	size_t n = 0, len = 0;
	json_t *look = NULL;
	int rc = -1;

	*fields = NULL;
	snprintf(tmp, sizeof(tmp), "%s/import-XXXXXX", hub->tmp_dir);
	if (!mkdtemp(tmp))
		return q_error_set(err, Q_EIO, "cannot create a directory in '%s': %s",
				   hub->tmp_dir, strerror(errno));
	snprintf(dir, sizeof(dir), "%s/src", tmp);
	snprintf(bundle, sizeof(bundle), "%s/bundle.tar", tmp);
	if (q_git_split_source(source, &url, &ref, err) < 0 ||
	    q_git_checkout(url, ref, dir, &lim, &src, err) < 0 ||
	    q_git_check_ref(&src, major, sig, variant, NULL, err) < 0)
		goto out;
	snprintf(md, sizeof(md), "%s/.%s.metadata", dir, src.name);
	if (q_fs_read_file(md, 1 << 20, &text, &len, err) < 0) {
		q_error_prefix(err, "'.%s.metadata'", src.name);
		goto out;
	}
	if (q_lookaside_parse(md + strlen(dir) + 1, text, len, &ents, &n, err) < 0)
		goto out;
	look = json_array();
	for (size_t i = 0; i < n; i++) {
		char dest[2000];

		snprintf(dest, sizeof(dest), "%s/SOURCES/%s", dir, ents[i].file);
		if (q_fs_exists(dest)) {
			q_error_set(
			    err, Q_EINVAL,
			    "'SOURCES/%s' is both committed in git and listed in '.%s.metadata'; "
			    "keep one",
			    ents[i].file, src.name);
			goto out;
		}
		{
			char sources[1500];

			snprintf(sources, sizeof(sources), "%s/SOURCES", dir);
			if (q_fs_mkdirs(sources, 0755, err) < 0)
				goto out;
		}
		if (q_lookaside_fetch(&ls, src.name, &ents[i], dest, err) < 0) {
			/* A file the source names and nobody has: the source is wrong. */
			if (err->code == Q_ENOTFOUND)
				err->code = Q_EINVAL;
			goto out;
		}
		json_array_append_new(look, json_pack("{s:s,s:s,s:s}", "file", ents[i].file, "hash",
						      ents[i].hash, "type",
						      ents[i].is_sha256 ? "sha256" : "sha1"));
	}
	if (spec_nevr(hub, dir, &src, dist, nevr, sizeof(nevr), err) < 0)
		goto out;
	if (src.is_tag && q_git_check_ref(&src, major, sig, variant, nevr, err) < 0)
		goto out;
	if (make_tar(dir, bundle, err) < 0 || q_hash_sha256_file(bundle, sha, err) < 0 ||
	    q_hub_store_file(hub, bundle, sha, 0, err) < 0)
		goto out;
	*fields =
	    json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:O}", "source", source, "git_url", url,
		      "git_ref", src.ref, "git_commit", src.commit, "spec_sha256", src.spec_sha256,
		      "nevr", nevr, "name", src.name, "bundle_sha256", sha, "lookaside", look);
	rc = 0;
out : {
	struct q_error ignore = {0};
	q_fs_remove_tree(tmp, &ignore);
}
	/* Names relative to the source tree (rpmspec prints full paths). */
	if (rc < 0) {
		q_error_redact(err, dir, ".");
		q_error_redact(err, tmp, ".");
	}
	json_decref(look);
	free(ents);
	free(text);
	free(url);
	free(ref);
	return rc;
}
