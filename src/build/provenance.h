/*
 * provenance.h: a build's provenance as an in-toto Statement v1 whose
 * predicate is SLSA Provenance v1 (docs/BUILDS.md "Provenance", and the
 * build type's page docs/buildtypes/rpm-v1.md).
 *
 * Everything here is a pure function of the stored build and tasks: no
 * store, no network, so the unit tests feed it rows of every shape (a
 * task's buildroot as the old list of NEVRA strings, or as the newer list
 * of {"nevra","sha256"} with "buildroot_repos").
 */
#ifndef Q_PROVENANCE_H
#define Q_PROVENANCE_H

#include <jansson.h>
#include <stdint.h>

struct q_error;

/* The build type: a name, versioned; its definition is docs/buildtypes/rpm-v1.md. */
#define Q_PROV_BUILD_TYPE "https://quarry.invalid/buildtypes/rpm/v1"
#define Q_PROV_STATEMENT_TYPE "https://in-toto.io/Statement/v1"
#define Q_PROV_PREDICATE_TYPE "https://slsa.dev/provenance/v1"

/* "YYYY-MM-DDTHH:MM:SSZ" and its NUL. */
#define Q_PROV_TIME_LEN 21

/*
 * Format t (seconds since the epoch) as an RFC 3339 timestamp in UTC, the
 * form in-toto's Timestamp requires: "2026-12-03T13:00:11Z". Returns 0, or
 * -1 (out is "") when the year is outside 0000-9999, which RFC 3339
 * cannot write.
 */
int q_prov_time(int64_t t, char out[Q_PROV_TIME_LEN]);

/*
 * The package URL of an RPM from its NEVRA, "name-[epoch:]version-release.arch"
 * as `rpm -qa` and dnf print it: "pkg:rpm/NAME@VERSION-RELEASE?arch=ARCH&epoch=E"
 * (purl's rpm type: the version is version-release, epoch and arch are
 * qualifiers; no namespace, since a NEVRA does not name its vendor). Each
 * component is percent-encoded as the purl specification asks (all but
 * letters, digits, ".-_~" and ":"; "gcc-c++" is "gcc-c%2B%2B"). A NEVRA
 * without ".arch" after its release (gpg-pubkey-…) gets no arch. Returns
 * a string to g_free, or NULL when nevra does not have a name, version and
 * release.
 */
char *q_prov_purl_rpm(const char *nevra);

/*
 * A task's buildroot as an array of {"nevra"[, "sha256"]} (new reference),
 * from what the task row holds: NULL or "" (none), the old text (one NEVRA
 * a line), JSON text or a JSON array of NEVRA strings or of
 * {"nevra","sha256"} objects. Entries that are neither are dropped; a
 * "sha256" that is not 64 lowercase hex digits is dropped.
 */
json_t *q_prov_buildroot(json_t *v);

/*
 * A task's buildroot repos as an array of {"url"[, "name"][, "repomd_sha256"]}
 * (new reference), from NULL, JSON text or a JSON array; entries without a
 * "url" string are dropped.
 */
json_t *q_prov_buildroot_repos(json_t *v);

/*
 * The statement of a build. build: q_store_build_get's object with its
 * "tasks" and "artifacts"; tasks: an array of the full task rows
 * (q_store_task_get, with "buildroot" and, when the store has it,
 * "buildroot_repos"), in any order (a field a full row lacks is read from
 * the build's task, where GET /builds/ID shows it); public_url: the hub's hub.public_url,
 * which names the builder, the lookaside files and the logs. Sets *out
 * (new reference) and returns 0, or -1 with err: Q_ECONFLICT when the
 * build has no output yet (a statement needs at least one subject),
 * Q_EINTERNAL when out of memory.
 */
int q_prov_statement(json_t *build, json_t *tasks, const char *public_url, json_t **out,
		     struct q_error *err);

#endif
