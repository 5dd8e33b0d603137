/*
 * disttag.c: the disttag check, and the helpers the checks share to read
 * RPM headers and to run a tool in the sandbox (check_internal.h).
 *
 * Every RPM of the build (the source RPM too) must have a release that
 * ends with the project's dist tag, as uploads require: a spec without
 * %{?dist} in its Release builds, but its packages would collide with
 * another SIG's or another EL major's.
 */
#include "core/common.h"
#include "core/error.h"
#include "core/fs.h"
#include "check/check_internal.h"

#include <fcntl.h>
#include <pthread.h>

#include <rpm/rpmlib.h>
#include <rpm/rpmlog.h>
#include <rpm/rpmts.h>

#define LOG_READ_MAX ((size_t)64 << 20)

static pthread_once_t rpm_once = PTHREAD_ONCE_INIT;
static int rpm_ready;
static __thread char rpm_last[256];

/* librpm's messages: kept for our error text, never printed, never exit(). */
static int rpmlog_cb(rpmlogRec rec, rpmlogCallbackData data)
{
	const char *msg = rpmlogRecMessage(rec);

	(void)data;
	if (rpmlogRecPriority(rec) <= RPMLOG_WARNING && msg)
		snprintf(rpm_last, sizeof(rpm_last), "%s", msg);
	return 0;
}

static void init_rpm(void)
{
	rpmlogSetCallback(rpmlog_cb, NULL);
	rpmlogSetMask(RPMLOG_UPTO(RPMLOG_WARNING));
	rpm_ready = rpmReadConfigFiles(NULL, NULL) == 0;
}

Header q_check_read_header(const char *path, char *why, size_t size)
{
	Header h = NULL;
	rpmts ts;
	FD_t fd;
	rpmRC rc;

	pthread_once(&rpm_once, init_rpm);
	if (!rpm_ready) {
		snprintf(why, size, "librpm cannot read its configuration");
		return NULL;
	}
	fd = Fopen(path, "r.ufdio");
	if (!fd || Ferror(fd)) {
		snprintf(why, size, "cannot open it: %s", strerror(errno));
		if (fd)
			Fclose(fd);
		return NULL;
	}
	ts = rpmtsCreate();
	rpmtsSetVSFlags(ts, RPMVSF_MASK_NOSIGNATURES | RPMVSF_MASK_NODIGESTS);
	rpm_last[0] = '\0';
	rc = rpmReadPackageFile(ts, fd, path, &h);
	rpmtsFree(ts);
	Fclose(fd);
	if (rc != RPMRC_OK && rc != RPMRC_NOTTRUSTED && rc != RPMRC_NOKEY) {
		size_t n;

		snprintf(why, size, "not a readable RPM%s%s", rpm_last[0] ? ": " : "", rpm_last);
		n = strlen(why);
		while (n > 0 && (why[n - 1] == '\n' || why[n - 1] == ' '))
			why[--n] = '\0';
		headerFree(h);
		return NULL;
	}
	return h;
}

char *q_check_header_nevra(Header h)
{
	const char *arch = headerIsSource(h) ? "src" : headerGetString(h, RPMTAG_ARCH);
	uint64_t epoch = headerGetNumber(h, RPMTAG_EPOCH);
	char e[32] = "";

	if (headerIsEntry(h, RPMTAG_EPOCH))
		snprintf(e, sizeof(e), "%" PRIu64 ":", epoch);
	return g_strdup_printf("%s-%s%s-%s.%s", headerGetString(h, RPMTAG_NAME), e,
			       headerGetString(h, RPMTAG_VERSION),
			       headerGetString(h, RPMTAG_RELEASE), arch ? arch : "?");
}

int q_check_sandbox(const struct q_check_input *in, const char *const *argv, const char *const *env,
		    int map_root, const char *log, struct q_sandbox_result *sr, struct q_error *err)
{
	GPtrArray *e = g_ptr_array_new_with_free_func(g_free);
	struct q_sandbox sb = {0};
	int fd, rc;

	fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		g_ptr_array_unref(e);
		return q_error_set(err, Q_EIO, "cannot create '%s': %s", log, strerror(errno));
	}
	g_ptr_array_add(e, g_strdup("PATH=/usr/bin:/bin:/usr/sbin:/sbin"));
	g_ptr_array_add(e, g_strdup("LANG=C.UTF-8"));
	g_ptr_array_add(e, g_strdup_printf("HOME=%s", in->workdir));
	for (size_t i = 0; env && env[i]; i++)
		g_ptr_array_add(e, g_strdup(env[i]));
	g_ptr_array_add(e, NULL);
	sb.backend = "host";
	sb.workdir = in->workdir;
	sb.argv = argv;
	sb.env = (const char *const *)e->pdata;
	sb.hide = in->hide;
	sb.show = in->show;
	sb.log_fd = fd;
	sb.timeout_sec = in->timeout > 0 ? in->timeout : Q_CHECK_TIMEOUT;
	sb.max_memory = (int64_t)4 << 30;
	sb.map_root = map_root;
	rc = q_sandbox_run(&sb, sr, in->cancel, err);
	close(fd);
	g_ptr_array_unref(e);
	return rc;
}

void q_check_out_file(struct q_check_result *res, const char *path, size_t max)
{
	struct q_error ignore = {0};
	char *text = NULL;
	size_t len = 0;

	/* Logs are bounded by the time limit only. */
	if (q_fs_read_file_nofollow(path, LOG_READ_MAX, &text, &len, &ignore) < 0) {
		q_check_out(res, "[cannot read '%s': %s]\n", path, ignore.msg);
		return;
	}
	if (len > max) {
		q_check_out(res, "[… the first %zu bytes are left out]\n", len - max);
		q_check_out_raw(res, text + len - max, max);
	} else {
		q_check_out_raw(res, text, len);
	}
	free(text);
}

int q_check_disttag(const struct q_check_input *in, struct q_check_result *res, struct q_error *err)
{
	const char *dist = in->dist_tag ? in->dist_tag : "";
	size_t dl = strlen(dist), bad = 0, unreadable = 0;
	char first_bad[Q_CHECK_SUMMARY_MAX + 1] = "", first_err[Q_CHECK_SUMMARY_MAX + 1] = "";

	if (dl == 0)
		return q_error_set(err, Q_EINVAL, "disttag: no dist tag given");
	if (in->n_rpms == 0) {
		q_check_set(res, Q_CHECK_ERROR, "the build has no RPM to check");
		return 0;
	}
	for (size_t i = 0; i < in->n_rpms; i++) {
		char why[300];
		Header h = q_check_read_header(in->rpms[i].path, why, sizeof(why));
		const char *rel;
		char *nevra;
		size_t rl;

		if (!h) {
			q_check_out(res, "error %s: %s\n", in->rpms[i].name, why);
			if (!unreadable++)
				snprintf(first_err, sizeof(first_err), "cannot read %s: %s",
					 in->rpms[i].name, why);
			continue;
		}
		rel = headerGetString(h, RPMTAG_RELEASE);
		rel = rel ? rel : "";
		rl = strlen(rel);
		nevra = q_check_header_nevra(h);
		if (rl < dl || strcmp(rel + rl - dl, dist)) {
			q_check_out(res, "FAIL %s: release '%s' does not end with '%s'\n", nevra,
				    rel, dist);
			if (!bad++)
				snprintf(first_bad, sizeof(first_bad),
					 "%s has release '%s', which does not end with the "
					 "project's dist tag '%s'",
					 nevra, rel, dist);
		} else {
			q_check_out(res, "ok   %s\n", nevra);
		}
		g_free(nevra);
		headerFree(h);
	}
	if (bad > 1)
		q_check_set(res, Q_CHECK_FAIL, "%s (and %zu more)", first_bad, bad - 1);
	else if (bad)
		q_check_set(res, Q_CHECK_FAIL, "%s", first_bad);
	else if (unreadable)
		q_check_set(res, Q_CHECK_ERROR, "%s", first_err);
	else
		q_check_set(res, Q_CHECK_PASS, "%zu RPMs carry the dist tag '%s'", in->n_rpms,
			    dist);
	return 0;
}
