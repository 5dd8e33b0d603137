/*
 * rpm.c: q_rpm_inspect, reading an uploaded RPM once (see rpm.h).
 *
 * DESIGN
 * - Our own look at the lead and the two header intros (magic, sizes), so
 *   that "not an RPM" and "truncated" get clear messages, then one header
 *   read with librpm (rpmReadPackageFile, which also merges the signature header into the
 *   header: RPMTAG_SIGSIZE/RPMTAG_LONGSIGSIZE are RPMSIGTAG_SIZE/LONGSIZE,
 *   the size of header + payload), and one SHA-256 pass over the file.
 * - The file must be exactly lead + signature header + that size: shorter
 *   is a truncated upload, longer is trailing garbage. Both are refused.
 * - The XML chunks come from createrepo_c. cr_package_from_rpm would read
 *   the header a second time and hash the whole file a second time, so we
 *   do what it does from the header we already hold: cr_package_from_header,
 *   then the same location, checksum, size, mtime and header range fields.
 * - librpm reports problems through rpmlog, which prints to stderr and
 *   calls exit() on a critical message by default. A callback keeps the
 *   last message of the calling thread for our error text and stops both.
 *   Signatures are not checked here (no keyring is loaded): the signature
 *   is the signer's business, integrity is the SHA-256 and size check.
 */
#include "core/common.h"
#include "core/error.h"
#include "core/hash.h"
#include "core/log.h"
#include "publish/rpm.h"

#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>

#include <createrepo_c/createrepo_c.h>
#include <rpm/header.h>
#include <rpm/rpmlib.h>
#include <rpm/rpmlog.h>
#include <rpm/rpmts.h>

/* createrepo_c's own default (createrepo_c --changelog-limit). */
#define RPM_CHANGELOG_LIMIT 10
#define RPM_LEAD_SIZE 96
/* librpm's own limits on a header (lib/header_internal.h). */
#define RPM_HEADER_TAGS_MAX 0xffff
#define RPM_HEADER_DATA_MAX 0x0fffffff
/* Bound on name, version, release, arch; RPM has none, a file name does. */
#define RPM_FIELD_MAX 200

static pthread_once_t rpm_once = PTHREAD_ONCE_INIT;
static int rpm_ready; /* set once by init_rpm */

/* The last librpm message of this thread, for error texts. */
static __thread char rpm_last_msg[256];

static int rpmlog_cb(rpmlogRec rec, rpmlogCallbackData data)
{
	const char *msg = rpmlogRecMessage(rec);
	size_t n;

	(void)data;
	if (rpmlogRecPriority(rec) > RPMLOG_WARNING)
		return 0;
	if (!msg)
		msg = "";
	/* "/path/of/the/upload: reason": the path is ours, not the user's. */
	if (msg[0] == '/' && strstr(msg, ": "))
		msg = strstr(msg, ": ") + 2;
	snprintf(rpm_last_msg, sizeof(rpm_last_msg), "%s", msg);
	n = strlen(rpm_last_msg);
	while (n > 0 && (rpm_last_msg[n - 1] == '\n' || rpm_last_msg[n - 1] == ' '))
		rpm_last_msg[--n] = '\0';
	q_debug("librpm: %s", rpm_last_msg);
	return 0; /* neither print nor exit() */
}

static void init_rpm(void)
{
	rpmlogSetCallback(rpmlog_cb, NULL);
	rpmlogSetMask(RPMLOG_UPTO(RPMLOG_WARNING));
	if (rpmReadConfigFiles(NULL, NULL) != 0)
		return;
	cr_xml_dump_init();
	rpm_ready = 1;
}

void q_rpm_info_release(struct q_rpm_info *info)
{
	if (!info)
		return;
	g_free(info->build_archs);
	g_free(info->name);
	g_free(info->epoch);
	g_free(info->version);
	g_free(info->release);
	g_free(info->arch);
	g_free(info->nevra);
	g_free(info->filename);
	g_free(info->primary_xml);
	g_free(info->filelists_xml);
	g_free(info->other_xml);
	memset(info, 0, sizeof(*info));
}

/*
 * A field that goes into a file name: bounded, not starting with '.', and
 * only the characters RPM itself uses in names and versions.
 */
static int valid_field(const char *s, const char *extra)
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n > RPM_FIELD_MAX || s[0] == '.')
		return 0;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      strchr(extra, c)))
			return 0;
	}
	return 1;
}

static int read_at(int fd, void *buf, size_t len, uint64_t off)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = pread(fd, (char *)buf + got, len - got, (off_t)(off + got));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (int)got;
}

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/*
 * Check the lead and the two header intros, and find where the main header
 * starts and ends (createrepo_c's header range), so that "not an RPM" and
 * "truncated" get clear messages before librpm looks at the file.
 */
static int check_layout(int fd, uint64_t size, const char *display_name, uint64_t *hdr_start,
			uint64_t *hdr_end, struct q_error *err)
{
	static const unsigned char lead_magic[4] = {0xed, 0xab, 0xee, 0xdb};
	static const unsigned char hdr_magic[4] = {0x8e, 0xad, 0xe8, 0x01};
	unsigned char buf[RPM_LEAD_SIZE];
	uint64_t off = RPM_LEAD_SIZE;
	int n;

	n = read_at(fd, buf, sizeof(buf), 0);
	if (n < 0)
		return q_error_set(err, Q_EIO, "cannot read '%s': %s", display_name,
				   strerror(errno));
	if (n < 4 || memcmp(buf, lead_magic, 4) != 0)
		return q_error_set(err, Q_EINVAL, "'%s' is not an RPM file: bad magic",
				   display_name);
	/* The signature header, padded to 8 bytes, then the main header. */
	for (int i = 0; i < 2; i++) {
		uint32_t il, dl;

		if (off + 16 > size)
			return q_error_set(err, Q_EINVAL,
					   "'%s' is truncated: %" PRIu64
					   " bytes, inside its %s header",
					   display_name, size, i ? "main" : "signature");
		if (read_at(fd, buf, 16, off) != 16)
			return q_error_set(err, Q_EIO, "cannot read '%s': %s", display_name,
					   strerror(errno));
		if (memcmp(buf, hdr_magic, 4) != 0)
			return q_error_set(err, Q_EINVAL,
					   "'%s' is not a valid RPM: bad %s header magic",
					   display_name, i ? "main" : "signature");
		il = be32(buf + 8);
		dl = be32(buf + 12);
		if (il == 0 || il > RPM_HEADER_TAGS_MAX || dl > RPM_HEADER_DATA_MAX)
			return q_error_set(err, Q_EINVAL,
					   "'%s' is not a valid RPM: %s header too large",
					   display_name, i ? "main" : "signature");
		if (i == 1)
			*hdr_start = off;
		off += 16 + (uint64_t)il * 16 + dl;
		if (off > size)
			return q_error_set(err, Q_EINVAL,
					   "'%s' is truncated: %" PRIu64
					   " bytes, inside its %s header",
					   display_name, size, i ? "main" : "signature");
		if (i == 0)
			off = (off + 7) & ~(uint64_t)7;
	}
	*hdr_end = off;
	return 0;
}

int q_rpm_inspect(const char *path, const char *display_name, struct q_rpm_info *out,
		  struct q_error *err)
{
	uint64_t hdr_start = 0, hdr_end = 0;
	struct cr_XmlStruct xml = {0};
	cr_Package *pkg = NULL;
	GError *gerr = NULL;
	struct stat st;
	Header h = NULL;
	rpmts ts = NULL;
	FD_t rfd = NULL;
	uint64_t sigsize, expect;
	char *href = NULL;
	int fd = -1, ret = -1;
	rpmRC rc;

	memset(out, 0, sizeof(*out));
	pthread_once(&rpm_once, init_rpm);
	if (!rpm_ready)
		return q_error_set(err, Q_EINTERNAL, "cannot read the rpm configuration");

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return q_error_set(err, Q_EIO, "cannot open '%s': %s", display_name,
				   strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		q_error_set(err, Q_EINVAL, "'%s' is not a regular file", display_name);
		goto out;
	}
	if (check_layout(fd, (uint64_t)st.st_size, display_name, &hdr_start, &hdr_end, err) < 0)
		goto out;

	/* librpm reads from its own FD_t over a dup, at offset 0. */
	{
		int dfd = dup(fd);
		if (dfd < 0) {
			q_error_set(err, Q_EIO, "cannot read '%s': %s", display_name,
				    strerror(errno));
			goto out;
		}
		rfd = fdDup(dfd);
		close(dfd);
	}
	if (!rfd || Ferror(rfd)) {
		q_error_set(err, Q_EIO, "cannot read '%s' with librpm", display_name);
		goto out;
	}
	ts = rpmtsCreate();
	rpmtsSetVSFlags(ts, _RPMVSF_NOSIGNATURES);
	rpm_last_msg[0] = '\0';
	rc = rpmReadPackageFile(ts, rfd, display_name, &h);
	if (rc != RPMRC_OK && rc != RPMRC_NOKEY && rc != RPMRC_NOTTRUSTED) {
		q_error_set(err, Q_EINVAL, "'%s' is not a valid RPM: %s", display_name,
			    rpm_last_msg[0] ? rpm_last_msg : "cannot read its header");
		goto out;
	}

	sigsize = headerGetNumber(h, RPMTAG_LONGSIGSIZE);
	if (!sigsize)
		sigsize = headerGetNumber(h, RPMTAG_SIGSIZE);
	if (!sigsize) {
		q_error_set(err, Q_EINVAL,
			    "'%s' has no size in its signature header, cannot check it is complete",
			    display_name);
		goto out;
	}
	expect = hdr_start + sigsize;
	if ((uint64_t)st.st_size < expect) {
		q_error_set(err, Q_EINVAL,
			    "'%s' is truncated: %" PRIu64 " bytes, its header says %" PRIu64,
			    display_name, (uint64_t)st.st_size, expect);
		goto out;
	}
	if ((uint64_t)st.st_size > expect) {
		q_error_set(err, Q_EINVAL, "'%s' has %" PRIu64 " bytes of trailing garbage",
			    display_name, (uint64_t)st.st_size - expect);
		goto out;
	}

	pkg = cr_package_from_header(h, RPM_CHANGELOG_LIMIT, CR_HDRR_NONE, &gerr);
	if (!pkg) {
		q_error_set(err, Q_EINVAL, "'%s' has a header createrepo_c cannot read: %s",
			    display_name, gerr ? gerr->message : "unknown error");
		goto out;
	}
	out->is_source = headerIsSource(h) ? 1 : 0;
	{
		char *ba = headerFormat(h, "[%{BUILDARCHS} ]", NULL);
		out->build_archs = g_strdup(ba ? g_strstrip(ba) : "");
		free(ba);
	}
	if (!valid_field(pkg->name, "-._+^~") || !valid_field(pkg->version, "._+^~") ||
	    !valid_field(pkg->release, "._+^~") || !valid_field(pkg->arch, "_")) {
		q_error_set(err, Q_EINVAL,
			    "'%s' has an invalid name, version, release or arch ('%s-%s-%s.%s')",
			    display_name, pkg->name ? pkg->name : "",
			    pkg->version ? pkg->version : "", pkg->release ? pkg->release : "",
			    pkg->arch ? pkg->arch : "");
		goto out;
	}
	if (pkg->epoch && *pkg->epoch && strspn(pkg->epoch, "0123456789") != strlen(pkg->epoch)) {
		q_error_set(err, Q_EINVAL, "'%s' has an invalid epoch '%s'", display_name,
			    pkg->epoch);
		goto out;
	}

	if (q_hash_sha256_file(path, out->sha256, err) < 0)
		goto out;

	out->name = g_strdup(pkg->name);
	out->epoch = g_strdup(pkg->epoch && *pkg->epoch ? pkg->epoch : "0");
	out->version = g_strdup(pkg->version);
	out->release = g_strdup(pkg->release);
	out->arch = g_strdup(pkg->arch);
	out->size = (uint64_t)st.st_size;
	if (strcmp(out->epoch, "0") != 0)
		out->nevra = g_strdup_printf("%s-%s:%s-%s.%s", out->name, out->epoch, out->version,
					     out->release, out->arch);
	else
		out->nevra = g_strdup_printf("%s-%s-%s.%s", out->name, out->version, out->release,
					     out->arch);
	out->filename =
	    g_strdup_printf("%s-%s-%s.%s.rpm", out->name, out->version, out->release, out->arch);

	/* What cr_package_from_rpm adds to cr_package_from_header. */
	href = g_strconcat("Packages/", out->filename, NULL);
	pkg->location_href = cr_safe_string_chunk_insert(pkg->chunk, href);
	pkg->location_base = NULL;
	pkg->checksum_type =
	    cr_safe_string_chunk_insert(pkg->chunk, cr_checksum_name_str(CR_CHECKSUM_SHA256));
	pkg->pkgId = cr_safe_string_chunk_insert(pkg->chunk, out->sha256);
	pkg->time_file = st.st_mtime;
	pkg->size_package = st.st_size;
	pkg->rpm_header_start = hdr_start;
	pkg->rpm_header_end = hdr_end;

	xml = cr_xml_dump(pkg, &gerr);
	if (gerr || !xml.primary || !xml.filelists || !xml.other) {
		q_error_set(err, Q_EINTERNAL, "cannot write the metadata of '%s': %s", display_name,
			    gerr ? gerr->message : "unknown error");
		goto out;
	}
	out->primary_xml = xml.primary;
	out->filelists_xml = xml.filelists;
	out->other_xml = xml.other;
	memset(&xml, 0, sizeof(xml));
	ret = 0;
out:
	if (ret < 0)
		q_rpm_info_release(out);
	g_free(xml.primary);
	g_free(xml.filelists);
	g_free(xml.other);
	g_free(href);
	if (gerr)
		g_error_free(gerr);
	cr_package_free(pkg);
	if (h)
		headerFree(h);
	if (ts)
		rpmtsFree(ts);
	if (rfd)
		Fclose(rfd);
	if (fd >= 0)
		close(fd);
	/* librpm keeps every warning it logged; do not let uploads grow that. */
	if (rpm_last_msg[0])
		rpmlogClose();
	return ret;
}
