/*
 * installable.c: the installable check. The real dnf, in the sandbox,
 * installs every package of the build for one arch into an empty root,
 * with the repos as file:// repos and a test transaction (nothing is
 * written into the root but dnf's own state). dnf refuses to run as
 * another uid than 0, so it runs as uid 0 of a user namespace that maps
 * only the build user, without capabilities (sandbox.h, map_root):
 *
 *   dnf -y --installroot DIR/root --releasever V --forcearch ARCH
 *       --config DIR/dnf.conf --setopt=reposdir=/dev/null
 *       --setopt=cachedir=DIR/cache --setopt=tsflags=test --nogpgcheck
 *       --noplugins install RPM…
 *
 * DIR/dnf.conf has one section per repo (baseurl=file://…, gpgcheck and
 * repo_gpgcheck off: signatures are not what this checks) and, when the
 * build is part of an update, one for the update's other builds (a small
 * repo made with createrepo_c in the sandbox). No network is involved.
 * dnf's "Error:" explains a failure: its first problem line ("nothing
 * provides X needed by Y", a file conflict) is the summary; a repo that
 * could not be read is an "error", not a "fail".
 */
#include "core/common.h"
#include "core/error.h"
#include "core/fs.h"
#include "check/check_internal.h"

#include <sys/stat.h>

/* The first problem dnf names after its "Error:" line, into out. */
static int dnf_problem(const char *text, char *out, size_t size)
{
	const char *e = NULL, *p;

	for (p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (!strncmp(p, "Error:", 6)) {
			e = p;
			break;
		}
	if (!e)
		return 0;
	/* "Error: something" on one line, or a list of problems after it. */
	for (p = e + 6; *p == ' '; p++)
		;
	if (*p && *p != '\n' && *p != '\r') {
		size_t n = strcspn(p, "\r\n");
		const char *next = p + n;

		/* "Error: Transaction test error:" then the reason on the next line. */
		while (*next == '\r' || *next == '\n' || *next == ' ' || *next == '\t')
			next++;
		if (n > 0 && p[n - 1] == ':' && *next)
			snprintf(out, size, "%.*s %.*s", (int)n, p, (int)strcspn(next, "\r\n"),
				 next);
		else
			snprintf(out, size, "%.*s", (int)n, p);
	} else {
		const char *first = NULL;

		for (p = strchr(e, '\n'); p && *++p; p = strchr(p, '\n')) {
			const char *s = p;
			size_t n;

			while (*s == ' ' || *s == '\t')
				s++;
			n = strcspn(s, "\r\n");
			if (n == 0)
				continue;
			if (!first && strncmp(s, "Problem", 7))
				first = s;
			if (!strncmp(s, "- ", 2)) {
				first = s + 2;
				break;
			}
		}
		if (!first)
			return 0;
		snprintf(out, size, "%.*s", (int)strcspn(first, "\r\n"), first);
	}
	return 1;
}

/* A repo of the update's other builds, made by createrepo_c in the sandbox. */
static int update_repo(const struct q_check_input *in, const char *dir, struct q_check_result *res,
		       struct q_error *err)
{
	char *log = g_strdup_printf("%s/createrepo.log", dir);
	char *repo = g_strdup_printf("%s/update", dir);
	const char *argv[] = {"createrepo_c", "--quiet", "--no-database", repo, NULL};
	struct q_sandbox_result sr = {0};
	int rc = -1;

	if (q_fs_mkdirs(repo, 0755, err) < 0)
		goto out;
	for (size_t i = 0; i < in->n_others; i++) {
		char *link = g_strdup_printf("%s/%s", repo, in->others[i].name);

		if (symlink(in->others[i].path, link) < 0 && errno != EEXIST) {
			q_error_set(err, Q_EIO, "cannot link '%s': %s", link, strerror(errno));
			g_free(link);
			goto out;
		}
		g_free(link);
	}
	if (q_check_sandbox(in, argv, NULL, 0, log, &sr, err) < 0)
		goto out;
	if (sr.status != Q_SANDBOX_OK) {
		q_check_out_file(res, log, 4096);
		q_error_set(err, Q_EIO, "createrepo_c failed for the update's other builds");
		goto out;
	}
	rc = 0;
out:
	g_free(log);
	g_free(repo);
	return rc;
}

/*
 * dnf reads a file:// repo's packages in place and says "Error opening
 * DIR/REL: No such file or directory" for those a remote repo's copy
 * (q_check_remote_repo) does not hold yet. Fetch each from the repo's URL
 * into the copy. Returns how many were fetched, or -1 with res set (a
 * fetch failed: an error naming the URL).
 */
static int fetch_missing(const struct q_check_input *in, const char *text,
			 struct q_check_result *res)
{
	int n = 0;

	for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		const char *e;

		if (strncmp(p, "Error opening ", 14))
			continue;
		p += 14;
		e = strstr(p, ": No such file or directory");
		if (!e || memchr(p, '\n', (size_t)(e - p)))
			continue;
		for (size_t i = 0; i < in->n_repos; i++) {
			const struct q_check_repo *r = &in->repos[i];
			size_t dl = strlen(r->dir);
			struct q_error err = {0};
			char *rel;

			if (!r->url || !*r->url || (size_t)(e - p) <= dl + 1 ||
			    strncmp(p, r->dir, dl) || p[dl] != '/')
				continue;
			rel = g_strndup(p + dl + 1, (gsize)(e - p - (ptrdiff_t)dl - 1));
			if (q_check_remote_file(r->url, r->dir, rel, &err) < 0) {
				q_check_set(res, Q_CHECK_ERROR,
					    "repo %s: cannot fetch %s from %s: %s", r->name, rel,
					    r->url, err.msg);
				g_free(rel);
				return -1;
			}
			q_check_out(res, "fetched %s from %s\n", rel, r->url);
			g_free(rel);
			n++;
			break;
		}
	}
	return n;
}

static void add_section(GString *conf, const char *id, const char *name, const char *dir)
{
	g_string_append_printf(conf,
			       "\n[quarry-%s]\nname=%s\nbaseurl=file://%s\nenabled=1\n"
			       "gpgcheck=0\nrepo_gpgcheck=0\nmetadata_expire=0\n"
			       "skip_if_unavailable=False\n",
			       id, name, dir);
}

int q_check_installable(const struct q_check_input *in, struct q_check_result *res,
			struct q_error *err)
{
	char dir[1200], conf_path[1300], root[1300], cache[1300], log[1300], line[600];
	const char *arch = in->arch && in->arch[0] ? in->arch : NULL;
	GString *conf = NULL;
	GPtrArray *argv = NULL;
	struct q_sandbox_result sr = {0};
	char *dnf = NULL, *opt_root = NULL, *opt_cache = NULL, *text = NULL;
	size_t len = 0;
	int rc = -1;

	if (!in->workdir || in->workdir[0] != '/')
		return q_error_set(err, Q_EINVAL, "installable: no absolute work directory");
	if (!arch)
		return q_error_set(err, Q_EINVAL, "installable: no arch given");
	if (in->n_rpms == 0) {
		q_check_set(res, Q_CHECK_ERROR, "the build has no RPM for %s", arch);
		return 0;
	}
	dnf = g_find_program_in_path("dnf");
	if (!dnf) {
		q_check_set(res, Q_CHECK_ERROR, "dnf is not installed on the hub");
		return 0;
	}
	snprintf(dir, sizeof(dir), "%s/installable-%s", in->workdir, arch);
	snprintf(conf_path, sizeof(conf_path), "%s/dnf.conf", dir);
	snprintf(root, sizeof(root), "%s/root", dir);
	snprintf(cache, sizeof(cache), "%s/cache", dir);
	snprintf(log, sizeof(log), "%s/dnf.log", dir);
	if (q_fs_mkdirs(root, 0755, err) < 0 || q_fs_mkdirs(cache, 0755, err) < 0)
		goto out;
	conf = g_string_new("[main]\ngpgcheck=0\nrepo_gpgcheck=0\ninstall_weak_deps=False\n"
			    "keepcache=False\n");
	for (size_t i = 0; i < in->n_repos; i++) {
		char id[32];

		snprintf(id, sizeof(id), "%zu", i);
		add_section(conf, id, in->repos[i].name, in->repos[i].dir);
		q_check_out(res, "repo %s: %s\n", in->repos[i].name, in->repos[i].dir);
	}
	if (in->n_others) {
		char *u = g_strdup_printf("%s/update", dir);

		if (update_repo(in, dir, res, err) < 0) {
			q_check_set(res, Q_CHECK_ERROR, "%s", err->msg);
			q_error_clear(err);
			g_free(u);
			rc = 0;
			goto out;
		}
		add_section(conf, "update", "the other builds of the update", u);
		q_check_out(res, "the other builds of the update: %zu RPMs\n", in->n_others);
		g_free(u);
	}
	if (q_fs_write_atomic(conf_path, conf->str, conf->len, 0644, err) < 0)
		goto out;
	opt_root = g_strdup_printf("--installroot=%s", root);
	opt_cache = g_strdup_printf("--setopt=cachedir=%s", cache);
	argv = g_ptr_array_new();
	g_ptr_array_add(argv, dnf);
	g_ptr_array_add(argv, "-y");
	g_ptr_array_add(argv, opt_root);
	g_ptr_array_add(argv, "--releasever");
	g_ptr_array_add(argv, (char *)(in->releasever && in->releasever[0] ? in->releasever : "9"));
	g_ptr_array_add(argv, "--forcearch");
	g_ptr_array_add(argv, (char *)arch);
	g_ptr_array_add(argv, "--config");
	g_ptr_array_add(argv, conf_path);
	g_ptr_array_add(argv, "--setopt=reposdir=/dev/null");
	g_ptr_array_add(argv, opt_cache);
	g_ptr_array_add(argv, "--setopt=tsflags=test");
	g_ptr_array_add(argv, "--nogpgcheck");
	g_ptr_array_add(argv, "--noplugins");
	g_ptr_array_add(argv, "install");
	for (size_t i = 0; i < in->n_rpms; i++)
		g_ptr_array_add(argv, (char *)in->rpms[i].path);
	g_ptr_array_add(argv, NULL);
	q_check_out(res, "$ dnf install --setopt=tsflags=test --forcearch %s", arch);
	for (size_t i = 0; i < in->n_rpms; i++)
		q_check_out(res, " %s", in->rpms[i].name);
	q_check_out(res, "\n");
	/* At most a few rounds: the packages a remote repo's copy lacks are
	 * fetched between them (the sandbox has no network). */
	for (int round = 0;; round++) {
		int got;

		if (q_check_sandbox(in, (const char *const *)argv->pdata, NULL, 1, log, &sr, err) <
		    0) {
			q_check_set(res, Q_CHECK_ERROR, "dnf: the sandbox could not start: %s",
				    err->msg);
			q_error_clear(err);
			rc = 0;
			goto out;
		}
		rc = 0;
		if (sr.status == Q_SANDBOX_TIMEOUT) {
			q_check_out_file(res, log, Q_CHECK_OUTPUT_MAX - 4096);
			q_check_set(res, Q_CHECK_ERROR, "dnf did not finish within %" PRId64 " s",
				    in->timeout > 0 ? in->timeout : (int64_t)Q_CHECK_TIMEOUT);
			goto out;
		}
		if (sr.status == Q_SANDBOX_OK) {
			q_check_out_file(res, log, Q_CHECK_OUTPUT_MAX - 4096);
			q_check_set(res, Q_CHECK_PASS, "dnf installs the %zu package%s on %s",
				    in->n_rpms, in->n_rpms == 1 ? "" : "s", arch);
			goto out;
		}
		free(text);
		text = NULL;
		if (q_fs_read_file_nofollow(log, (size_t)64 << 20, &text, &len, err) < 0) {
			q_check_set(res, Q_CHECK_ERROR, "dnf failed (exit code %d): %s",
				    sr.exit_code, err->msg);
			q_error_clear(err);
			goto out;
		}
		got = round < 3 && (in->cancel == NULL || !*in->cancel)
			  ? fetch_missing(in, text, res)
			  : 0;
		if (got < 0)
			goto out;
		if (got == 0)
			break;
		q_check_out(res, "$ dnf install again, with the %d package%s fetched\n", got,
			    got == 1 ? "" : "s");
	}
	q_check_out_file(res, log, Q_CHECK_OUTPUT_MAX - 4096);
	if (!dnf_problem(text, line, sizeof(line))) {
		q_check_set(res, Q_CHECK_ERROR, "dnf failed (exit code %d) without saying why",
			    sr.exit_code);
		goto out;
	}
	/* The repos themselves could not be read: not the packages' fault. */
	if (strstr(text, "Failed to download metadata") || strstr(text, "Cannot download") ||
	    strstr(text, "Failed to load"))
		q_check_set(res, Q_CHECK_ERROR, "dnf cannot read the repos: %s", line);
	else
		q_check_set(res, Q_CHECK_FAIL, "%s", line);
out:
	if (conf)
		g_string_free(conf, TRUE);
	if (argv)
		g_ptr_array_free(argv, TRUE);
	g_free(dnf);
	g_free(opt_root);
	g_free(opt_cache);
	free(text);
	return rc;
}
