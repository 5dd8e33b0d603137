/*
 * rpmlintrc.c: a package's own NAME.rpmlintrc, as Fedora's dist-git keeps
 * one beside the spec (check.h, q_rpmlintrc_clean and q_check_bundle_member).
 *
 * The file is the SIG's: untrusted. rpmlint 2 (Debian's 2.4 here) reads
 * only its addFilter("REGEX") and setBadness("CHECK", N) lines with a
 * regular expression and executes nothing, but rpmlint 1 ran the file as
 * Python; so the hub keeps only lines that are exactly one of those two
 * calls with a plain string (or comments), drops every other line with a
 * note, and refuses a file over Q_RPMLINTRC_MAX bytes. What rpmlint gets is
 * that cleaned text, in the sandbox like every check.
 *
 * The file travels in the build's source bundle (the tar the import made
 * of the git tree, DATA/packages): q_check_bundle_member reads one member
 * of it without unpacking the rest.
 */
#include "core/common.h"
#include "core/error.h"
#include "check/check.h"

#include <fcntl.h>

/* A quoted string starting at *p (after an optional r prefix): its body
 * into out; *p moves past the closing quote. 0, or -1 when not one. */
static int quoted(const char **p, GString *out)
{
	const char *s = *p;
	char q;

	if (*s == 'r')
		s++;
	if (*s != '"' && *s != '\'')
		return -1;
	q = *s++;
	g_string_truncate(out, 0);
	for (; *s && *s != q; s++) {
		/* A backslash keeps its meaning for the regex, but never ends the string. */
		if (*s == '\\' && s[1] == q)
			return -1;
		g_string_append_c(out, *s);
	}
	if (*s != q)
		return -1;
	*p = s + 1;
	return 0;
}

static const char *skip_ws(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

/* The end of a line: blanks, then nothing or a comment. */
static int line_end(const char *s)
{
	s = skip_ws(s);
	return *s == '\0' || *s == '#';
}

/* One line: 1 kept (into out, normalized), 0 blank or comment, -1 refused. */
static int clean_line(const char *line, GString *out)
{
	const char *p = skip_ws(line);
	GString *a = g_string_new(NULL);
	int rc = -1;

	if (*p == '\0' || *p == '#') {
		rc = 0;
		goto out;
	}
	if (!strncmp(p, "addFilter", 9)) {
		p = skip_ws(p + 9);
		if (*p++ != '(')
			goto out;
		p = skip_ws(p);
		if (quoted(&p, a) < 0 || a->len == 0 || a->len > 1000 || strchr(a->str, '"'))
			goto out;
		p = skip_ws(p);
		if (*p++ != ')' || !line_end(p))
			goto out;
		g_string_append_printf(out, "addFilter(\"%s\")\n", a->str);
		rc = 1;
	} else if (!strncmp(p, "setBadness", 10)) {
		char *end;
		long n;

		p = skip_ws(p + 10);
		if (*p++ != '(')
			goto out;
		p = skip_ws(p);
		if (quoted(&p, a) < 0 || a->len == 0 || a->len > 200)
			goto out;
		for (size_t i = 0; i < a->len; i++)
			if (!g_ascii_isalnum(a->str[i]) && a->str[i] != '-' && a->str[i] != '_' &&
			    a->str[i] != '.')
				goto out;
		p = skip_ws(p);
		if (*p++ != ',')
			goto out;
		p = skip_ws(p);
		if (!g_ascii_isdigit(*p))
			goto out;
		errno = 0;
		n = strtol(p, &end, 10);
		if (errno || n > 1000000)
			goto out;
		p = skip_ws(end);
		if (*p++ != ')' || !line_end(p))
			goto out;
		g_string_append_printf(out, "setBadness(\"%s\", %ld)\n", a->str, n);
		rc = 1;
	}
out:
	g_string_free(a, TRUE);
	return rc;
}

int q_rpmlintrc_clean(const char *name, const char *text, size_t len, GString *out, GString *notes,
		      struct q_error *err)
{
	size_t kept = 0, dropped = 0, lineno = 0;

	if (len > Q_RPMLINTRC_MAX)
		return q_error_set(err, Q_ETOOBIG, "%s is %zu bytes; at most %d are read", name,
				   len, Q_RPMLINTRC_MAX);
	for (const char *p = text; p < text + len;) {
		const char *nl = memchr(p, '\n', (size_t)(text + len - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(text + len - p);
		char *line = g_strndup(p, n);
		int r;

		lineno++;
		if (n && line[n - 1] == '\r')
			line[n - 1] = '\0';
		/* NUL bytes, other controls, bad UTF-8: not a line rpmlint should see. */
		r = strlen(line) != n - (n && p[n - 1] == '\r') || !g_utf8_validate(line, -1, NULL)
			? -1
			: 0;
		for (const char *c = line; r == 0 && *c; c++)
			if ((unsigned char)*c < 0x20 && *c != '\t')
				r = -1;
		if (r == 0)
			r = clean_line(line, out);
		if (r > 0)
			kept++;
		if (r < 0) {
			dropped++;
			if (notes && dropped <= 20) {
				char *shown = g_utf8_make_valid(line, -1);

				for (char *c = shown; *c; c++)
					if ((unsigned char)*c < 0x20)
						*c = '?';
				g_string_append_printf(
				    notes,
				    "note: %s line %zu ignored (only addFilter(\"REGEX\") and "
				    "setBadness(\"CHECK\", N) are read): %.200s\n",
				    name, lineno, shown);
				g_free(shown);
			}
		}
		g_free(line);
		p = nl ? nl + 1 : text + len;
	}
	if (notes && dropped > 20)
		g_string_append_printf(notes, "note: %s: %zu more lines ignored\n", name,
				       dropped - 20);
	if (notes)
		g_string_append_printf(notes, "note: %s: %zu line%s read\n", name, kept,
				       kept == 1 ? "" : "s");
	return 0;
}

/* ---- one member of a tar file ---- */

static int64_t octal(const unsigned char *f, size_t n)
{
	int64_t v = 0;
	size_t i = 0;

	while (i < n && (f[i] == ' ' || f[i] == '\0'))
		i++;
	for (; i < n && f[i] >= '0' && f[i] <= '7'; i++) {
		if (v > (INT64_MAX >> 3))
			return -1;
		v = v * 8 + (f[i] - '0');
	}
	return v;
}

static int read_full(int fd, void *buf, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = read(fd, (char *)buf + got, n - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	return 0;
}

int q_check_tar_member_fd(int fd, const char *const *names, size_t max, char **out, size_t *len,
			  size_t *which, struct q_error *err)
{
	unsigned char h[512];

	*out = NULL;
	*len = 0;
	for (;;) {
		char name[257];
		int64_t size;
		size_t nl, pl;
		off_t skip;

		if (read_full(fd, h, sizeof(h)) < 0)
			return 0; /* the end (or a short file): not there */
		if (h[0] == '\0')
			return 0; /* the zero blocks that end an archive */
		size = octal(h + 124, 12);
		if (size < 0)
			return q_error_set(err, Q_EINVAL, "the source bundle is not a tar file");
		/* ustar: prefix "/" name */
		nl = strnlen((const char *)h, 100);
		pl = !memcmp(h + 257, "ustar", 5) ? strnlen((const char *)h + 345, 155) : 0;
		if (pl)
			snprintf(name, sizeof(name), "%.*s/%.*s", (int)pl, h + 345, (int)nl, h);
		else
			snprintf(name, sizeof(name), "%.*s", (int)nl, h);
		if (h[156] == '0' || h[156] == '\0') {
			const char *n = !strncmp(name, "./", 2) ? name + 2 : name;

			for (size_t i = 0; names[i]; i++) {
				if (strcmp(n, names[i]))
					continue;
				*which = i;
				if ((uint64_t)size > max)
					return q_error_set(err, Q_ETOOBIG,
							   "%s is %" PRId64
							   " bytes; at most %zu are read",
							   names[i], size, max);
				*out = g_malloc((size_t)size + 1);
				if (read_full(fd, *out, (size_t)size) < 0) {
					g_free(*out);
					*out = NULL;
					return q_error_set(err, Q_EINVAL,
							   "the source bundle ends inside %s",
							   names[i]);
				}
				(*out)[size] = '\0';
				*len = (size_t)size;
				return 1;
			}
		}
		skip = (off_t)((size + 511) / 512 * 512);
		if (lseek(fd, skip, SEEK_CUR) < 0)
			return q_error_set(err, Q_EIO, "cannot read the source bundle: %s",
					   strerror(errno));
	}
}

int q_check_bundle_member(const char *path, const char *const *names, size_t max, char **out,
			  size_t *len, size_t *which, struct q_error *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	int rc;

	if (fd < 0)
		return q_error_set(err, Q_EIO, "cannot open the source bundle '%s': %s", path,
				   strerror(errno));
	rc = q_check_tar_member_fd(fd, names, max, out, len, which, err);
	close(fd);
	return rc;
}
