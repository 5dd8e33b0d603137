/*
 * rpmlint.c: the rpmlint check. rpmlint 2.x (Debian package rpmlint) runs
 * in the sandbox over every RPM of the build, source RPM included:
 *
 *   rpmlint -c WORKDIR/rpmlint/quarry.override.toml [-r WORKDIR/rpmlint/rpmlintrc
 *           --ignore-unused-rpmlintrc] RPM…
 *
 * quarry.override.toml holds Quarry's defaults (below: SPDX license names,
 * no openSUSE-only checks); rpmlintrc is the project's configuration
 * (policies.rpmlint_config) followed by the package's own NAME.rpmlintrc
 * from its git tree (cleaned by q_rpmlintrc_clean), in rpmlintrc form:
 * rpmlint 2 reads only its addFilter("REGEX") and setBadness("CHECK", N)
 * lines and executes nothing. A filter that no package needs is not an
 * error (--ignore-unused-rpmlintrc): one configuration serves every package
 * of the project.
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

/* Quarry's defaults (docs/CONFIG.md, "rpmlint"): EL and Fedora packaging
 * rather than the openSUSE defaults rpmlint 2 ships. The file's name holds
 * ".override.", so rpmlint replaces its lists with these instead of adding
 * to them. */
static const char quarry_toml[] =
    "# Quarry's rpmlint configuration: Enterprise Linux and Fedora packaging\n"
    "# (not the openSUSE defaults rpmlint 2 ships). Loaded as an override: these\n"
    "# lists replace rpmlint's.\n"
    "Checks = [\n"
    "    \"AlternativesCheck\", \"AppDataCheck\", \"BinariesCheck\", \"BuildRootAndDateCheck\",\n"
    "    \"ConfigFilesCheck\", \"DBusPolicyCheck\", \"DuplicatesCheck\", \"DocCheck\", "
    "\"ErlangCheck\",\n"
    "    \"FHSCheck\", \"FilesCheck\", \"IconSizesCheck\", \"I18NCheck\", "
    "\"LibraryDependencyCheck\",\n"
    "    \"LogrotateCheck\", \"MenuXDGCheck\", \"MixedOwnershipCheck\", \"PkgConfigCheck\", "
    "\"PostCheck\",\n"
    "    \"SignatureCheck\", \"SourceCheck\", \"SpecCheck\", \"TagsCheck\", \"ZipCheck\",\n"
    "]\n"
    "Filters = [\n"
    "    # Packages are signed on their way to release, not when built.\n"
    "    ' E: no-signature',\n"
    "    # EL and Fedora use neither the Packager nor the Group tag.\n"
    "    ' [EW]: no-packager-tag',\n"
    "    ' [EW]: no-group-tag',\n"
    "    ' [EW]: non-standard-group',\n"
    "    # openSUSE's locales-LANG packages: a name that ends in a language code\n"
    "    # (foo-sig, foo-de) needs no such dependency on EL.\n"
    "    ' E: no-dependency-on locales-',\n"
    "]\n"
    "# EL's brp-compress gzips man and info pages.\n"
    "CompressExtension = \"gz\"\n"
    "# The dist tag (.el9, .el9.sig...) ends the release; a changelog entry may\n"
    "# leave it out.\n"
    "ReleaseExtension = '\\.el[0-9]+[^-]*$'\n"
    "# SPDX identifiers, as Fedora and EL packages give them since 2022;\n"
    "# expressions combine them with AND, OR, WITH and parentheses.\n"
    "ValidLicenses = [\n"
    "    \"0BSD\", \"AFL-2.1\", \"AFL-3.0\", \"AGPL-1.0-only\", \"AGPL-1.0-or-later\",\n"
    "    \"AGPL-3.0-only\", \"AGPL-3.0-or-later\", \"Apache-1.0\", \"Apache-1.1\",\n"
    "    \"Apache-2.0\", \"APSL-2.0\", \"Artistic-1.0-Perl\", \"Artistic-2.0\",\n"
    "    \"Beerware\", \"BlueOak-1.0.0\", \"BSD-1-Clause\", \"BSD-2-Clause\",\n"
    "    \"BSD-2-Clause-Patent\", \"BSD-2-Clause-Views\", \"BSD-3-Clause\",\n"
    "    \"BSD-3-Clause-Clear\", \"BSD-3-Clause-LBNL\", \"BSD-4-Clause\",\n"
    "    \"BSD-4-Clause-UC\", \"BSD-Source-Code\", \"BSL-1.0\", \"bzip2-1.0.6\",\n"
    "    \"CC-BY-1.0\", \"CC-BY-2.0\", \"CC-BY-2.5\", \"CC-BY-3.0\", \"CC-BY-4.0\",\n"
    "    \"CC-BY-SA-3.0\", \"CC-BY-SA-4.0\", \"CC0-1.0\", \"CC-PDDC\", \"CDDL-1.0\",\n"
    "    \"CDDL-1.1\", \"CECILL-2.0\", \"CECILL-2.1\", \"CECILL-B\", \"CECILL-C\",\n"
    "    \"ClArtistic\", \"CPL-1.0\", \"curl\", \"ECL-2.0\", \"EFL-2.0\", \"EPL-1.0\",\n"
    "    \"EPL-2.0\", \"EUPL-1.1\", \"EUPL-1.2\", \"FSFAP\", \"FSFUL\", \"FSFULLR\",\n"
    "    \"FSFULLRWD\", \"FTL\", \"GFDL-1.1-only\", \"GFDL-1.1-or-later\",\n"
    "    \"GFDL-1.2-only\", \"GFDL-1.2-or-later\", \"GFDL-1.3-only\",\n"
    "    \"GFDL-1.3-or-later\", \"GPL-1.0-only\", \"GPL-1.0-or-later\", \"GPL-2.0-only\",\n"
    "    \"GPL-2.0-or-later\", \"GPL-3.0-only\", \"GPL-3.0-or-later\", \"HPND\",\n"
    "    \"HPND-sell-variant\", \"ICU\", \"IJG\", \"Info-ZIP\", \"IPA\", \"ISC\",\n"
    "    \"JasPer-2.0\", \"LGPL-2.0-only\", \"LGPL-2.0-or-later\", \"LGPL-2.1-only\",\n"
    "    \"LGPL-2.1-or-later\", \"LGPL-3.0-only\", \"LGPL-3.0-or-later\", \"Libpng\",\n"
    "    \"libpng-2.0\", \"libtiff\", \"LPL-1.02\", \"LPPL-1.3a\", \"LPPL-1.3c\", \"MirOS\",\n"
    "    \"MIT\", \"MIT-0\", \"MIT-CMU\", \"MIT-Modern-Variant\", \"MIT-open-group\",\n"
    "    \"MPL-1.0\", \"MPL-1.1\", \"MPL-2.0\", \"MPL-2.0-no-copyleft-exception\",\n"
    "    \"MS-PL\", \"MS-RL\", \"MulanPSL-2.0\", \"NCSA\", \"NTP\", \"OFL-1.0\", \"OFL-1.1\",\n"
    "    \"OFL-1.1-RFN\", \"OLDAP-2.8\", \"OpenSSL\", \"PHP-3.0\", \"PHP-3.01\",\n"
    "    \"PostgreSQL\", \"PSF-2.0\", \"Python-2.0\", \"Python-2.0.1\", \"QPL-1.0\", \"Ruby\",\n"
    "    \"SGI-B-2.0\", \"Sleepycat\", \"SMLNJ\", \"Spencer-86\", \"Spencer-94\",\n"
    "    \"Spencer-99\", \"TCL\", \"Unicode-3.0\", \"Unicode-DFS-2015\",\n"
    "    \"Unicode-DFS-2016\", \"Unlicense\", \"UPL-1.0\", \"Vim\", \"W3C\", \"W3C-19980720\",\n"
    "    \"W3C-20150513\", \"WTFPL\", \"X11\", \"X11-distribute-modifications-variant\",\n"
    "    \"Xnet\", \"Zlib\", \"zlib-acknowledgement\", \"ZPL-2.0\", \"ZPL-2.1\",\n"
    "    \"LicenseRef-Fedora-Public-Domain\", \"LicenseRef-Fedora-UltraPermissive\",\n"
    "    \"LicenseRef-Fedora-Firmware\", \"LicenseRef-Not-Copyrightable\",\n"
    "]\n"
    "ValidLicenseExceptions = [\n"
    "    \"Autoconf-exception-2.0\", \"Autoconf-exception-3.0\",\n"
    "    \"Autoconf-exception-generic\", \"Bison-exception-2.2\",\n"
    "    \"Bootloader-exception\", \"Classpath-exception-2.0\", \"eCos-exception-2.0\",\n"
    "    \"FLTK-exception\", \"Font-exception-2.0\", \"GCC-exception-2.0\",\n"
    "    \"GCC-exception-3.1\", \"GNAT-exception\", \"GPL-3.0-linking-exception\",\n"
    "    \"GPL-3.0-linking-source-exception\", \"GStreamer-exception-2008\",\n"
    "    \"i2p-gpl-java-exception\", \"Libtool-exception\", \"Linux-syscall-note\",\n"
    "    \"LLVM-exception\", \"mif-exception\", \"OCaml-LGPL-linking-exception\",\n"
    "    \"openvpn-openssl-exception\", \"Qt-GPL-exception-1.0\",\n"
    "    \"Qt-LGPL-exception-1.1\", \"Swift-exception\", \"u-boot-exception-2.0\",\n"
    "    \"Universal-FOSS-exception-1.0\", \"WxWindows-exception-3.1\",\n"
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
	snprintf(toml, sizeof(toml), "%s/quarry.override.toml", dir);
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
	if ((in->rpmlint_config && in->rpmlint_config[0]) ||
	    (in->rpmlintrc_name && in->rpmlintrc && in->rpmlintrc[0])) {
		GString *rc_text = g_string_new(in->rpmlint_config ? in->rpmlint_config : "");

		if (rc_text->len && rc_text->str[rc_text->len - 1] != '\n')
			g_string_append_c(rc_text, '\n');
		if (in->rpmlintrc_name && in->rpmlintrc) {
			g_string_append_printf(rc_text, "# %s\n", in->rpmlintrc_name);
			g_string_append(rc_text, in->rpmlintrc);
		}
		rc = q_fs_write_atomic(rc_path, rc_text->str, rc_text->len, 0644, err);
		g_string_free(rc_text, TRUE);
		if (rc < 0)
			goto out;
		rc = -1;
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
