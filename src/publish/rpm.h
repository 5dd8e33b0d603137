/*
 * rpm.h: reading an uploaded RPM, once, at upload time.
 *
 * q_rpm_inspect checks that a file is a real, complete binary RPM (librpm
 * reads its header; the file's size must match the size the signature
 * header records, so a truncated upload is refused), and computes what a
 * publish needs later: its NEVRA, its SHA-256, and its createrepo_c XML
 * chunks for primary.xml, filelists.xml and other.xml, with location_href
 * "Packages/FILENAME" where FILENAME is the canonical N-V-R.A.rpm.
 */
#ifndef Q_RPM_H
#define Q_RPM_H

#include <stdint.h>

struct q_error;

struct q_rpm_info {
	char *name;  /* RPM name */
	char *epoch; /* "0" when none */
	char *version;
	char *release;
	char *arch;        /* "x86_64", "noarch", … */
	char *nevra;       /* "name-[epoch:]version-release.arch" */
	char *filename;    /* canonical "name-version-release.arch.rpm" */
	char sha256[65];   /* of the whole file */
	uint64_t size;     /* bytes */
	int is_source;     /* 1 for a source RPM */
	char *build_archs; /* source RPMs: BuildArch values, space-separated; "" if none */
	char *primary_xml; /* createrepo_c chunks (cr_xml_dump) */
	char *filelists_xml;
	char *other_xml;
};

/*
 * Inspect path; display_name is used in messages (the uploaded file's
 * name). On failure: -1, Q_EINVAL with a message that names display_name
 * and the reason ("'x.rpm' is not an RPM file: bad magic").
 */
int q_rpm_inspect(const char *path, const char *display_name, struct q_rpm_info *out,
		  struct q_error *err);
/* Free every member; the struct itself is the caller's. */
void q_rpm_info_release(struct q_rpm_info *info);

#endif
