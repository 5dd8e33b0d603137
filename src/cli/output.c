/*
 * output.c: how the client commands print the API's answers: aligned
 * tables for lists, "label: value" lines for one object, and the JSON
 * itself (indented) for --json.
 */
#include "core/common.h"
#include "core/error.h"
#include "core/isotime.h"
#include "cli/client.h"

#include <glib.h>
#include <time.h>
#include <sys/stat.h>

char *q_json_text(const json_t *v)
{
	GString *s;
	size_t i;
	const char *key;
	json_t *item;

	if (!v || json_is_null(v))
		return g_strdup("-");
	switch (json_typeof(v)) {
	case JSON_STRING:
		return g_strndup(json_string_value(v), json_string_length(v));
	case JSON_INTEGER:
		return g_strdup_printf("%" JSON_INTEGER_FORMAT, json_integer_value(v));
	case JSON_REAL:
		return g_strdup_printf("%g", json_real_value(v));
	case JSON_TRUE:
		return g_strdup("true");
	case JSON_FALSE:
		return g_strdup("false");
	case JSON_ARRAY:
		s = g_string_new(NULL);
		json_array_foreach (v, i, item) {
			char *t = q_json_text(item);

			if (i)
				g_string_append_c(s, ',');
			g_string_append(s, t);
			g_free(t);
		}
		if (!s->len)
			g_string_append_c(s, '-');
		return g_string_free(s, FALSE);
	case JSON_OBJECT:
		s = g_string_new(NULL);
		json_object_foreach ((json_t *)v, key, item) {
			char *t = q_json_text(item);

			g_string_append_printf(s, "%s%s:%s", s->len ? ", " : "", key, t);
			g_free(t);
		}
		if (!s->len)
			g_string_append_c(s, '-');
		return g_string_free(s, FALSE);
	default:
		return g_strdup("?");
	}
}

const char *q_json_str(const json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return s ? s : "";
}

void q_out_json(const json_t *j)
{
	json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
	fputc('\n', stdout);
}

/*
 * The text of one member for a table cell or a field: times as the API
 * sends them (ISO 8601 UTC strings; an older hub's Unix seconds converted),
 * unset and empty as "-".
 */
static char *cell_text(const char *key, const json_t *v)
{
	if (json_is_integer(v) && q_time_key(key)) {
		char buf[Q_ISO_TIME_LEN];

		return g_strdup(q_time_iso(json_integer_value(v), buf)[0] ? buf : "-");
	}
	if (json_is_string(v) && json_string_length(v) == 0)
		return g_strdup("-");
	return q_json_text(v);
}

/* Replace control characters so that a peer's text cannot move the cursor. */
static void sanitize(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
}

void q_out_table(const json_t *array, const struct q_col *cols, size_t n)
{
	size_t rows = json_array_size(array);
	char **cells = g_new0(char *, (rows + 1) * n);
	size_t *width = g_new0(size_t, n);

	for (size_t c = 0; c < n; c++) {
		cells[c] = g_strdup(cols[c].label);
		width[c] = strlen(cols[c].label);
	}
	for (size_t r = 0; r < rows; r++) {
		const json_t *obj = json_array_get(array, r);

		for (size_t c = 0; c < n; c++) {
			char *t = cell_text(cols[c].key, json_object_get(obj, cols[c].key));
			size_t w;

			sanitize(t);
			w = (size_t)g_utf8_strlen(t, -1);
			if (w > width[c])
				width[c] = w;
			cells[(r + 1) * n + c] = t;
		}
	}
	for (size_t r = 0; r <= rows; r++) {
		for (size_t c = 0; c < n; c++) {
			const char *t = cells[r * n + c];

			if (c + 1 == n)
				fputs(t, stdout);
			else
				printf("%s%*s  ", t, (int)(width[c] - (size_t)g_utf8_strlen(t, -1)),
				       "");
		}
		fputc('\n', stdout);
	}
	for (size_t i = 0; i < (rows + 1) * n; i++)
		g_free(cells[i]);
	g_free(cells);
	g_free(width);
}

/* The same for a field's value, which may span lines: newlines (and CRLF)
 * stay, as "\n"; every other control character becomes '?'. Trailing
 * newlines are dropped. */
static void sanitize_lines(char *s)
{
	char *w = s;
	size_t len;

	for (const char *r = s; *r; r++) {
		if (*r == '\r' && r[1] == '\n')
			continue;
		*w++ = *r == '\n' ? '\n' : ((unsigned char)*r < 0x20 || *r == 0x7f) ? '?' : *r;
	}
	*w = '\0';
	len = strlen(s);
	while (len && s[len - 1] == '\n')
		s[--len] = '\0';
}

void q_out_fields(const json_t *obj, const struct q_col *cols, size_t n)
{
	size_t width = 0;

	for (size_t c = 0; c < n; c++)
		if (json_object_get(obj, cols[c].key) && strlen(cols[c].label) > width)
			width = strlen(cols[c].label);
	for (size_t c = 0; c < n; c++) {
		const json_t *v = json_object_get(obj, cols[c].key);
		char *t;

		if (!v)
			continue;
		t = cell_text(cols[c].key, v);
		sanitize_lines(t);
		/* A value of several lines: the next ones start under the first. */
		{
			char *line = t, *nl;

			printf("%s:%*s ", cols[c].label, (int)(width - strlen(cols[c].label)), "");
			while ((nl = strchr(line, '\n'))) {
				*nl = '\0';
				printf("%s\n%*s", line, (int)width + 2, "");
				line = nl + 1;
			}
			printf("%s\n", line);
		}
		g_free(t);
	}
}

void q_out_publish(const json_t *results)
{
	static const struct q_col cols[] = {
	    {"path", "PATH"},
	    {"arch", "ARCH"},
	    {"state", "STATE"},
	    {"packages", "PACKAGES"},
	    {"sha256", "REPOMD SHA256"},
	};
	json_t *rows = json_array();
	size_t i;
	json_t *r;

	json_array_foreach (results, i, r) {
		json_t *row = json_deep_copy(r);

		if (!row)
			continue;
		json_object_set_new(row, "state",
				    json_string(json_is_true(json_object_get(r, "changed"))
						    ? "changed"
						    : "unchanged"));
		json_array_append_new(rows, row);
	}
	q_out_table(rows, cols, Q_ARRAY_LEN(cols));
	json_decref(rows);
}

void q_out_cell(const json_t *obj, const struct q_col *col)
{
	char *t = cell_text(col->key, json_object_get(obj, col->key));

	sanitize(t);
	fputs(t, stdout);
	g_free(t);
}

void q_out_accepted(const json_t *ans)
{
	const json_t *pkg;
	size_t i;

	json_array_foreach (json_object_get(ans, "packages"), i, pkg)
		printf("accepted %s\n", q_json_str(pkg, "nevra"));
	if (json_array_size(json_object_get(ans, "published")))
		q_out_publish(json_object_get(ans, "published"));
}

int q_cli_check_files(char **words, int first, int n, struct q_error *err)
{
	for (int f = first; f < n; f++) {
		struct stat st;

		if (stat(words[f], &st) < 0)
			return q_error_set(err, Q_EINVAL, "cannot read '%s': %s", words[f],
					   strerror(errno));
		if (!S_ISREG(st.st_mode))
			return q_error_set(err, Q_EINVAL, "'%s' is not a regular file", words[f]);
	}
	return 0;
}
