/*
 * metalink.h: the bodies of /metalink and /mirrorlist answers.
 *
 * Pure rendering: the caller has already chosen and ordered the mirrors
 * and sets the Content-Type (application/metalink+xml for the metalink,
 * text/plain for the mirrorlist). The metalink is exactly the
 * MirrorManager2 document described in docs/domain.md: librepo matches
 * element names literally ("mm0:" prefix included), keeps <url> elements in
 * document order, and accepts a mirror whose repomd.xml matches the main
 * hashes or any alternate's.
 */
#ifndef Q_METALINK_H
#define Q_METALINK_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "core/hash.h"

/* One published repomd.xml. */
struct q_repomd_version {
	int64_t timestamp;        /* the <revision>/publish time, seconds since the epoch */
	uint64_t size;            /* bytes of repomd.xml */
	struct q_digests digests; /* lowercase hex; an empty string omits that hash */
};

/* One mirror URL of the metalink's <resources>. */
struct q_mlurl {
	const char *protocol; /* "https", "http" or "rsync" (also the type attribute) */
	char country[3];      /* location attribute; "" omits it */
	int preference;       /* 1..100, clamped */
	const char *url;      /* full URL of repodata/repomd.xml on that mirror */
};

/*
 * The metalink document: main is the newest publish, alts (n_alts, may be
 * 0) the older ones still accepted, urls in the order given (best first).
 * now is the pubdate. Every string is XML-escaped. Returns a malloc'd,
 * NUL-terminated buffer (free() it) with its length in *len, or NULL when
 * out of memory.
 */
char *q_metalink_render(const struct q_repomd_version *main, const struct q_repomd_version *alts,
			size_t n_alts, const struct q_mlurl *urls, size_t n_urls, time_t now,
			size_t *len);

/*
 * The mirrorlist: "# repo = REPO arch = ARCH" and each line of comment (may
 * be NULL) as '#' lines, then one URL per line — the repo directory, a
 * trailing '/' added when missing. Control characters in the header become
 * '?'; a URL containing a control character or a space is left out.
 * Returns a malloc'd buffer (free() it) and its length, or NULL.
 */
char *q_mirrorlist_render(const char *repo, const char *arch, const char *const *urls, size_t n,
			  const char *comment, size_t *len);

#endif
