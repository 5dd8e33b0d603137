/*
 * metalink.c: rendering the metalink (MirrorManager2's format, the one
 * librepo parses) and the plain mirrorlist.
 *
 * Output goes to an open_memstream buffer; every string that reaches the
 * XML goes through xml_put, which escapes the five XML specials, so no
 * mirror URL or hash can change the document's structure.
 */
#include "core/common.h"

#include "mirror/metalink.h"

#include <stdio_ext.h>

static void xml_put(FILE *f, const char *s)
{
	while (*s) {
		/* The longest run that needs no escaping goes out in one write. */
		size_t n = 0;

		while (
		    s[n] && s[n] != '&' && s[n] != '<' && s[n] != '>' && s[n] != '"' &&
		    s[n] != '\'' &&
		    ((unsigned char)s[n] >= 0x20 || s[n] == '\t' || s[n] == '\n' || s[n] == '\r'))
			n++;
		if (n) {
			fwrite_unlocked(s, 1, n, f);
			s += n;
			continue;
		}
		switch (*s) {
		case '&':
			fputs_unlocked("&amp;", f);
			break;
		case '<':
			fputs_unlocked("&lt;", f);
			break;
		case '>':
			fputs_unlocked("&gt;", f);
			break;
		case '"':
			fputs_unlocked("&quot;", f);
			break;
		case '\'':
			fputs_unlocked("&apos;", f);
			break;
		default:
			/* XML 1.0 forbids most control characters outright. */
			putc_unlocked('?', f);
		}
		s++;
	}
}

/* RFC 1123 date in English whatever the locale: "Sun, 06 Nov 1994 08:49:37 GMT". */
static void rfc1123(time_t t, char out[96])
{
	static const char days[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
	static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
					   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	struct tm tm;

	if (!gmtime_r(&t, &tm)) {
		memset(&tm, 0, sizeof(tm));
		tm.tm_mday = 1;
		tm.tm_year = 70;
		tm.tm_wday = 4;
	}
	snprintf(out, 96, "%s, %02d %s %04d %02d:%02d:%02d GMT", days[tm.tm_wday % 7], tm.tm_mday,
		 months[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static void put_verification(FILE *f, const struct q_digests *d, const char *ind)
{
	const struct {
		const char *type;
		const char *hex;
	} h[] = {{"md5", d->md5}, {"sha1", d->sha1}, {"sha256", d->sha256}, {"sha512", d->sha512}};

	fprintf(f, "%s<verification>\n", ind);
	for (size_t i = 0; i < Q_ARRAY_LEN(h); i++) {
		if (!h[i].hex[0])
			continue;
		fprintf(f, "%s <hash type=\"%s\">", ind, h[i].type);
		xml_put(f, h[i].hex);
		fputs("</hash>\n", f);
	}
	fprintf(f, "%s</verification>\n", ind);
}

/*
 * Close an open_memstream stream; returns the buffer (whose address the
 * stream stores in *bufp on close) or NULL when a write failed.
 */
static char *finish(FILE *f, char **bufp, size_t *blen, size_t *len)
{
	bool failed = ferror(f) != 0;

	if (fclose(f) != 0 || failed) {
		free(*bufp);
		*bufp = NULL;
		return NULL;
	}
	if (len)
		*len = *blen;
	return *bufp;
}

char *q_metalink_render(const struct q_repomd_version *main, const struct q_repomd_version *alts,
			size_t n_alts, const struct q_mlurl *urls, size_t n_urls, time_t now,
			size_t *len)
{
	char *buf = NULL, date[96];
	size_t blen = 0;
	FILE *f = open_memstream(&buf, &blen);

	if (!f)
		return NULL;
	/* One thread owns this stream: no lock per call (it was half the render time). */
	__fsetlocking(f, FSETLOCKING_BYCALLER);
	rfc1123(now, date);
	fputs("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n", f);
	fprintf(f,
		"<metalink version=\"3.0\" xmlns=\"http://www.metalinker.org/\" type=\"dynamic\" "
		"pubdate=\"%s\" generator=\"quarry\" "
		"xmlns:mm0=\"http://fedorahosted.org/mirrormanager\">\n",
		date);
	fputs(" <files>\n", f);
	fputs("  <file name=\"repomd.xml\">\n", f);
	fprintf(f, "   <mm0:timestamp>%" PRId64 "</mm0:timestamp>\n", main->timestamp);
	fprintf(f, "   <size>%" PRIu64 "</size>\n", main->size);
	put_verification(f, &main->digests, "   ");
	if (n_alts > 0) {
		fputs("   <mm0:alternates>\n", f);
		for (size_t i = 0; i < n_alts; i++) {
			fputs("    <mm0:alternate>\n", f);
			fprintf(f, "     <mm0:timestamp>%" PRId64 "</mm0:timestamp>\n",
				alts[i].timestamp);
			fprintf(f, "     <size>%" PRIu64 "</size>\n", alts[i].size);
			put_verification(f, &alts[i].digests, "     ");
			fputs("    </mm0:alternate>\n", f);
		}
		fputs("   </mm0:alternates>\n", f);
	}
	fputs("   <resources maxconnections=\"1\">\n", f);
	for (size_t i = 0; i < n_urls; i++) {
		const struct q_mlurl *u = &urls[i];
		int pref = u->preference < 1 ? 1 : u->preference > 100 ? 100 : u->preference;

		fputs("    <url protocol=\"", f);
		xml_put(f, u->protocol);
		fputs("\" type=\"", f);
		xml_put(f, u->protocol);
		fputc('"', f);
		if (u->country[0]) {
			fputs(" location=\"", f);
			xml_put(f, u->country);
			fputc('"', f);
		}
		fprintf(f, " preference=\"%d\">", pref);
		xml_put(f, u->url);
		fputs("</url>\n", f);
	}
	fputs("   </resources>\n", f);
	fputs("  </file>\n", f);
	fputs(" </files>\n", f);
	fputs("</metalink>\n", f);
	return finish(f, &buf, &blen, len);
}

/* Write s with every control character replaced by '?'. */
static void put_clean(FILE *f, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fputc((unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i], f);
}

char *q_mirrorlist_render(const char *repo, const char *arch, const char *const *urls, size_t n,
			  const char *comment, size_t *len)
{
	char *buf = NULL;
	size_t blen = 0;
	FILE *f = open_memstream(&buf, &blen);

	if (!f)
		return NULL;
	__fsetlocking(f, FSETLOCKING_BYCALLER);
	fputs("# repo = ", f);
	put_clean(f, repo, strlen(repo));
	fputs(" arch = ", f);
	put_clean(f, arch, strlen(arch));
	fputc('\n', f);
	for (const char *c = comment; c && *c;) {
		size_t l = strcspn(c, "\n");

		fputs(l ? "# " : "#", f);
		put_clean(f, c, l);
		fputc('\n', f);
		c += l;
		if (*c == '\n')
			c++;
	}
	for (size_t i = 0; i < n; i++) {
		const char *u = urls[i];
		size_t l = strlen(u);
		bool bad = l == 0;

		for (size_t k = 0; k < l && !bad; k++)
			bad = (unsigned char)u[k] <= 0x20 || u[k] == 0x7f;
		if (bad)
			continue;
		fputs(u, f);
		if (u[l - 1] != '/')
			fputc('/', f);
		fputc('\n', f);
	}
	return finish(f, &buf, &blen, len);
}
