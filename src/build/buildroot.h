/*
 * buildroot.h: the "installroot" buildroot backend: a root filesystem made
 * by the real dnf (`dnf --installroot`) from the project's buildroot
 * repos, cached and reused, that the sandbox binds read-only as / (see
 * sandbox.h, field root, and docs/BUILDS.md "Workers and the sandbox").
 *
 * The cache: CACHE/KEY is a ready root, KEY the SHA-256 of the sorted
 * repos, the sorted packages, the releasever and the gpg key. It is built
 * in CACHE/KEY.tmp-PID and renamed into place only when complete, so a
 * crash never leaves a half root that looks ready; preparations of the same
 * KEY are serialised with flock on CACHE/KEY.lock; CACHE/KEY.packages lists
 * the root's packages (NEVRA, sorted, one a line) for provenance.
 */
#ifndef Q_BUILDROOT_H
#define Q_BUILDROOT_H

#include <stddef.h>

struct q_error;

/* The packages of an EL buildroot when the spec names none. */
#define Q_BUILDROOT_EL_PACKAGES                                                                    \
	"bash coreutils rpm-build redhat-rpm-config gcc make tar gzip findutils sed grep "         \
	"diffutils patch"

#define Q_BUILDROOT_MAX_REPOS 64
#define Q_BUILDROOT_MAX_PACKAGES 1024

struct q_buildroot_spec {
	const char *const *repos;    /* NULL-terminated base URLs: http://, https://, file:// */
	const char *const *packages; /* NULL-terminated names; NULL or empty: the EL default */
	const char *releasever;      /* dnf's $releasever, e.g. "9" */
	const char *gpgkey;          /* URL of the repos' key: gpgcheck=1; NULL: --nogpgcheck */
};

/*
 * Make (or reuse) the root of spec under cache_dir (created if missing;
 * made absolute) and write its path to root_out. Returns 0, or -1 with err:
 * Q_EINVAL for a bad spec, Q_EIO when dnf or rpm failed (the message
 * carries dnf's own "Error: …" line); nothing that looks ready is left
 * behind then. May take minutes the first time (dnf downloads); a ready
 * root costs a stat.
 */
int q_buildroot_prepare(const struct q_buildroot_spec *spec, const char *cache_dir, char *root_out,
			size_t size, struct q_error *err);

/* The cache key of spec (64 hex digits + NUL into key). 0, or -1 with err. */
int q_buildroot_key(const struct q_buildroot_spec *spec, char key[65], struct q_error *err);

#endif
