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

#include <limits.h>
#include <stddef.h>

#include <jansson.h>

struct q_error;

/* The packages of an EL buildroot when the spec names none. */
#define Q_BUILDROOT_EL_PACKAGES                                                                    \
	"bash coreutils rpm-build redhat-rpm-config gcc make tar gzip findutils sed grep "         \
	"diffutils patch"

#define Q_BUILDROOT_MAX_REPOS 64
#define Q_BUILDROOT_MAX_PACKAGES 1024

struct q_buildroot_spec {
	const char *const *repos;      /* NULL-terminated base URLs: http://, https://, file:// */
	const char *const *repo_names; /* parallel to repos (messages, recording); NULL: none */
	const char *const *repomd;     /* parallel to repos: SHA-256 of each repo's repomd.xml
					* (q_buildroot_repomd), part of the key; NULL: not */
	const char *const *packages;   /* NULL-terminated names; NULL or empty: the EL default */
	const char *const *macros;     /* NULL-terminated "NAME VALUE" (part of the key); NULL */
	const char *releasever;        /* dnf's $releasever, e.g. "9" */
	const char *gpgkey;            /* URL of the repos' key: gpgcheck=1; NULL: --nogpgcheck */
	int log_fd;                    /* dnf's output goes here too when > 0; 0: nowhere */
};

/* A prepared root (q_buildroot_prepare_base, q_buildroot_prepare_deps). */
struct q_buildroot_info {
	char key[65];
	char root[PATH_MAX]; /* CACHE/KEY */
	int hit;             /* 1: the root was there already */
	double seconds;      /* time taken */
};

/* Roots not used for this long are removed (q_buildroot_gc). */
#define Q_BUILDROOT_GC_AGE (7 * 24 * 3600)

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

/*
 * The SHA-256 of URL/repodata/repomd.xml (file:// read, http(s) with
 * libcurl, 60 s at most). 0, or -1 with err naming the URL.
 */
int q_buildroot_repomd(const char *url, char sha[65], struct q_error *err);

/*
 * One file of a repo: url (file:// read, http(s) with libcurl, redirects
 * followed, 1 GiB at most) into the file dest (created), or into *text
 * (16 MiB at most, g_free, NUL-terminated, *len bytes). 0, or -1 with err
 * naming the URL and what failed ("HTTP 404", curl's message).
 */
int q_buildroot_fetch_file(const char *url, const char *dest, struct q_error *err);
int q_buildroot_fetch_text(const char *url, char **text, size_t *len, struct q_error *err);

/* The same as q_buildroot_prepare, into info (key, root, hit, time). */
int q_buildroot_prepare_base(const struct q_buildroot_spec *spec, const char *cache_dir,
			     struct q_buildroot_info *info, struct q_error *err);

/*
 * The root of one build: CACHE/KEY2, KEY2 the SHA-256 of base->key and the
 * sorted, distinct deps (dnf specs: names or capabilities such as
 * "foo >= 2"), made by a full copy of base->root plus a dnf install of
 * deps into it (in the sandbox, unprivileged), reused while KEY2 holds.
 * No deps: the base root itself. A dep nothing provides fails with
 * Q_ENOTFOUND and "No matching package to install: a, b (searched: NAME
 * URL, …)"; other dnf failures are Q_EIO with dnf's "Error" line.
 * installed (may be NULL) gets what dnf installed, one NEVRA a line
 * (g_free; empty on a hit).
 */
int q_buildroot_prepare_deps(const struct q_buildroot_spec *spec,
			     const struct q_buildroot_info *base, const char *const *deps,
			     const char *cache_dir, struct q_buildroot_info *info, char **installed,
			     struct q_error *err);

/*
 * The contents of a prepared root: [{"nevra","sha256"}] (sha256 of the
 * package file as the repo's primary.xml gives it; "" when no repo of the
 * spec lists it), from ROOT.contents.json written when the root was made.
 * NULL with err.
 */
json_t *q_buildroot_contents(const char *root, struct q_error *err);

/*
 * Remove the roots under cache_dir not used (prepared or reused) for
 * max_age seconds: renamed away under their lock, then deleted. Returns how
 * many were removed.
 */
int q_buildroot_gc(const char *cache_dir, long max_age);

#endif
