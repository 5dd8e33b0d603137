/*
 * buildtag.h: a project's build tags (what its buildroots are made of), as
 * the hub validates, stores and hands to workers; and the buildroot record
 * a worker reports per task. Pure functions over JSON: no store, no I/O.
 *
 * A tag (per project and arch, "*" for every arch):
 *   {"arch":"*","releasever":"9",
 *    "repos":[{"name":"baseos","url":"file:///srv/el/$releasever/BaseOS/$basearch/"},
 *             {"name":"candidate","repo":"candidate"}],
 *    "packages":["bash","coreutils","rpm-build"],
 *    "macros":{"vendor":"My SIG"}}
 * A repo entry has exactly one of "url" (http://, https://, file://; the
 * only variables are $releasever and $basearch) or "repo" (a repo of the
 * same project). "%dist" is always the project's dist tag: no macro sets it.
 *
 * Memory: every json_t * returned is new (json_decref).
 */
#ifndef Q_BUILDTAG_H
#define Q_BUILDTAG_H

#include <jansson.h>
#include <stdint.h>

struct q_error;

#define Q_BUILDTAG_MAX_TAGS 16
#define Q_BUILDTAG_MAX_REPOS 32
#define Q_BUILDTAG_MAX_PACKAGES 512
#define Q_BUILDTAG_MAX_MACROS 64
#define Q_BUILDTAG_MAX_URL 1024
#define Q_BUILDTAG_MAX_NAME 64       /* a repo entry's name, a macro's name */
#define Q_BUILDTAG_MAX_PACKAGE 128   /* a package name */
#define Q_BUILDTAG_MAX_VALUE 1024    /* a macro's value */
#define Q_BUILDTAG_MAX_RELEASEVER 32 /* [A-Za-z0-9._-] */
/* The buildroot a worker reports for one task. */
#define Q_BUILDTAG_MAX_INSTALLED 100000
#define Q_BUILDTAG_MAX_NEVRA 512

/*
 * Validate a PUT body {"tags":[TAG…]} against the project: arches is the
 * project's arches (JSON array; a tag is for one of them or "*"), repos the
 * names of the project's repos (JSON array), releasever the default when a
 * tag names none (the project's EL major). Returns the normalized
 * {"tags":[…]} (every field present, "*" first then by arch), or NULL with
 * err (Q_EINVAL) naming the field: "tags[0].repos[1].url: …".
 */
json_t *q_buildtag_validate(json_t *body, json_t *arches, json_t *repos, const char *releasever,
			    struct q_error *err);

/* The tag among tags (a normalized array) for arch: its own, else "*",
 * else NULL. Borrowed reference. */
json_t *q_buildtag_pick(json_t *tags, const char *arch);

/*
 * The claim answer's buildroot object for a stored tag: own repos become
 * {"name":"sig-SIG-REPO","pub":"sig/MAJOR/SIG/$basearch/REPO/"}, external
 * ones stay {"name","url"}; releasever, packages, macros as stored.
 */
json_t *q_buildtag_claim_object(json_t *tag, const char *sig, int64_t major);

/*
 * A task result's "buildroot": a list of {"nevra","sha256"} objects
 * (sha256 may be absent: the host backend) or of NEVRA strings (the old
 * shape). Returns the list as objects, or NULL with err. A missing or null
 * field gives [].
 */
json_t *q_buildtag_result_buildroot(json_t *v, struct q_error *err);
/* A task result's "buildroot_repos": [{"name","url","repomd_sha256"}]
 * (each string optional and bounded); missing or null gives []. */
json_t *q_buildtag_result_repos(json_t *v, struct q_error *err);

/* tasks.buildroot as stored (JSON text, or the old one-NEVRA-a-line text)
 * → [{"nevra"[,"sha256"]}]. Never NULL. */
json_t *q_buildtag_stored_buildroot(const char *text);
/* tasks.buildroot_repos as stored (JSON text) → array. Never NULL. */
json_t *q_buildtag_stored_repos(const char *text);

#endif
