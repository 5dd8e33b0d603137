/*
 * rpmlint.c: the rpmlint check. rpmlint 2.x (Debian package rpmlint) runs
 * in the sandbox over every RPM of the build, source RPM included:
 *
 *   rpmlint -c WORKDIR/rpmlint/quarry.toml [-r WORKDIR/rpmlint/rpmlintrc
 *           --ignore-unused-rpmlintrc] RPM…
 *
 * quarry.toml holds Quarry's defaults (below); rpmlintrc is the project's
 * configuration (policies.rpmlint_config), in rpmlintrc form: rpmlint 2
 * reads only its addFilter("REGEX") and setBadness("CHECK", N) lines and
 * executes nothing. A filter of the project that no package needs is not
 * an error (--ignore-unused-rpmlintrc): one configuration serves every
 * package of the project.
 *
 * Offline: rpmlint 2.4 needs no network; it extracts packages under
 * $TMPDIR (the sandbox's private /tmp) and reads its configuration from
 * XDG_CONFIG_HOME and HOME, which point into the work directory, so only
 * the system's /etc/xdg/rpmlint and our files apply.
 *
 * rpmlint exits 0 (no error), 64 (errors), 65 (only promoted errors), 66
 * (badness over the threshold): 64-66 are "fail" with the first "E:" line
 * as the summary; anything else means rpmlint itself failed ("error").
 */
#include "core/common.h"
#include "core/error.h"
#include "core/fs.h"
#include "check/check_internal.h"

#define RPMLINT_OUTPUT_MAX (Q_CHECK_OUTPUT_MAX - 1024)

/* Packages are signed on their way to release, not when built; EL
 * packaging uses neither the Group nor the Packager tag. */
static const char quarry_toml[] = "# Quarry's defaults for the rpmlint check\n"
				  "Filters = [\n"
				  "    ' E: no-signature',\n"
				  "    ' [EW]: no-packager-tag',\n"
				  "    ' [EW]: no-group-tag',\n"
				  "]\n";

/* The first line of text that contains needle, into out (one line). */
static int first_line_with(const char *text, const char *needle, char *out, size_t size,
			   size_t *count)
{
	const char *p = text;
	int found = 0;

	*count = 0;
	while (*p) {
		const char *end = strchr(p, '\n');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		const char *hit = memmem(p, n, needle, strlen(needle));

		if (hit) {
			if (!found) {
				snprintf(out, size, "%.*s", (int)(n < size ? n : size - 1), p);
				found = 1;
			}
			(*count)++;
		}
		if (!end)
			break;
		p = end + 1;
	}
	return found;
}

/* The last non-empty line of text, into out. */
static void last_line(const char *text, char *out, size_t size)
{
	size_t n = strlen(text);
	const char *start;

	while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == ' '))
		n--;
	start = text + n;
	while (start > text && start[-1] != '\n')
		start--;
	n = (size_t)(text + n - start);
	if (n >= size)
		n = size - 1;
	memcpy(out, start, n);
	out[n] = '\0';
}

int q_check_rpmlint(const struct q_check_input *in, struct q_check_result *res, struct q_error *err)
{
	char dir[1100], toml[1200], rc_path[1200], log[1200], xdg[1200], cache[1200];
	char line[Q_CHECK_SUMMARY_MAX + 1] = "";
	GPtrArray *argv = NULL;
	struct q_sandbox_result sr = {0};
	char *env[4] = {NULL};
	char *text = NULL;
	size_t len = 0, n_err = 0, n_warn = 0;
	char *prog = NULL;
	int rc = -1;

	if (!in->workdir || in->workdir[0] != '/')
		return q_error_set(err, Q_EINVAL, "rpmlint: no absolute work directory");
	if (in->n_rpms == 0) {
		q_check_set(res, Q_CHECK_ERROR, "the build has no RPM to check");
		return 0;
	}
	prog = g_find_program_in_path("rpmlint");
	if (!prog) {
		q_check_set(res, Q_CHECK_ERROR,
			    "rpmlint is not installed on the hub (Debian package 'rpmlint')");
		return 0;
	}
	snprintf(dir, sizeof(dir), "%s/rpmlint", in->workdir);
	snprintf(toml, sizeof(toml), "%s/quarry.toml", dir);
	snprintf(rc_path, sizeof(rc_path), "%s/rpmlintrc", dir);
	snprintf(log, sizeof(log), "%s/rpmlint.log", dir);
	snprintf(xdg, sizeof(xdg), "%s/config", dir);
	snprintf(cache, sizeof(cache), "%s/cache", dir);
	if (q_fs_mkdirs(xdg, 0755, err) < 0 || q_fs_mkdirs(cache, 0755, err) < 0 ||
	    q_fs_write_atomic(toml, quarry_toml, strlen(quarry_toml), 0644, err) < 0)
		goto out;
	argv = g_ptr_array_new();
	g_ptr_array_add(argv, prog);
	g_ptr_array_add(argv, "-c");
	g_ptr_array_add(argv, toml);
	if (in->rpmlint_config && in->rpmlint_config[0]) {
		if (q_fs_write_atomic(rc_path, in->rpmlint_config, strlen(in->rpmlint_config), 0644,
				      err) < 0)
			goto out;
		g_ptr_array_add(argv, "-r");
		g_ptr_array_add(argv, rc_path);
		g_ptr_array_add(argv, "--ignore-unused-rpmlintrc");
	}
	for (size_t i = 0; i < in->n_rpms; i++)
		g_ptr_array_add(argv, (char *)in->rpms[i].path);
	g_ptr_array_add(argv, NULL);
	env[0] = g_strdup_printf("XDG_CONFIG_HOME=%s", xdg);
	env[1] = g_strdup_printf("XDG_CACHE_HOME=%s", cache);
	env[2] = g_strdup("TMPDIR=/tmp");
	if (q_check_sandbox(in, (const char *const *)argv->pdata, (const char *const *)env, 0, log,
			    &sr, err) < 0) {
		q_check_set(res, Q_CHECK_ERROR, "rpmlint: the sandbox could not start: %s",
			    err->msg);
		q_error_clear(err);
		rc = 0;
		goto out;
	}
	if (q_fs_read_file_nofollow(log, (size_t)64 << 20, &text, &len, err) < 0) {
		q_check_set(res, Q_CHECK_ERROR, "rpmlint: %s", err->msg);
		q_error_clear(err);
		rc = 0;
		goto out;
	}
	q_check_out_file(res, log, RPMLINT_OUTPUT_MAX);
	rc = 0;
	if (sr.status == Q_SANDBOX_TIMEOUT) {
		q_check_set(res, Q_CHECK_ERROR, "rpmlint did not finish within %" PRId64 " s",
			    in->timeout > 0 ? in->timeout : (int64_t)Q_CHECK_TIMEOUT);
		goto out;
	}
	first_line_with(text, ": W: ", line, sizeof(line), &n_warn);
	if (sr.status == Q_SANDBOX_OK) {
		q_check_set(res, Q_CHECK_PASS, "no rpmlint errors in %zu RPMs (%zu warnings)",
			    in->n_rpms, n_warn);
		goto out;
	}
	if (sr.exit_code >= 64 && sr.exit_code <= 66) {
		if (first_line_with(text, ": E: ", line, sizeof(line), &n_err) && n_err > 1)
			q_check_set(res, Q_CHECK_FAIL, "%s (and %zu more errors)", line, n_err - 1);
		else if (n_err)
			q_check_set(res, Q_CHECK_FAIL, "%s", line);
		else {
			last_line(text, line, sizeof(line));
			q_check_set(res, Q_CHECK_FAIL, "rpmlint: %s", line);
		}
		goto out;
	}
	last_line(text, line, sizeof(line));
	q_check_set(res, Q_CHECK_ERROR, "rpmlint failed (exit code %d): %s", sr.exit_code,
		    line[0] ? line : "no output");
out:
	for (size_t i = 0; i < Q_ARRAY_LEN(env); i++)
		g_free(env[i]);
	if (argv)
		g_ptr_array_free(argv, TRUE);
	g_free(prog);
	free(text);
	return rc;
}
