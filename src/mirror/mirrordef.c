/*
 * mirrordef.c: the mirror definition loader (mirrors.d/NAME.yml, the AlmaLinux
 * schema); the schema, the limits and the error format are in mirrordef.h.
 *
 * DESIGN: libyaml's event API builds a small tree of our own (struct node)
 * rather than its document API, because the events show anchors, aliases
 * and tags (which we refuse) and let the builder bound everything as it
 * goes: strings are kept up to the limit plus one byte, lists and mappings
 * stop growing at the limit (and remember that they overflowed), nesting
 * past the limit becomes one placeholder node. The validator then walks the
 * tree with the schema, reporting every error it finds with the node's
 * mark; errors are collected, sorted by position and written at the end.
 * CIDR parsing and matching live here too, since subnets are a schema type.
 */
#include "core/common.h"
#include "mirror/mirrordef.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <yaml.h>

/* ------------------------------------------------------------------ CIDR */

static int cidr_bytes(int family)
{
	return family == AF_INET ? 4 : 16;
}

/* Whether the bits of addr past prefix are all zero; clears them when fix. */
static bool host_bits_zero(unsigned char *addr, int nbytes, int prefix, bool fix)
{
	bool zero = true;

	for (int i = 0; i < nbytes; i++) {
		int bits = i * 8;
		unsigned char mask;

		if (bits >= prefix)
			mask = 0xff;
		else if (prefix - bits < 8)
			mask = (unsigned char)(0xff >> (prefix - bits));
		else
			continue;
		if (addr[i] & mask) {
			zero = false;
			if (fix)
				addr[i] &= (unsigned char)~mask;
		}
	}
	return zero;
}

int q_cidr_parse(const char *s, struct q_cidr *out, struct q_error *err)
{
	char addr[64];
	const char *slash, *p;
	size_t alen;
	struct q_cidr c;
	int max;

	memset(out, 0, sizeof(*out));
	memset(&c, 0, sizeof(c));
	if (!s || !*s)
		return q_error_set(err, Q_EINVAL, "empty network");
	slash = strchr(s, '/');
	alen = slash ? (size_t)(slash - s) : strlen(s);
	if (alen == 0)
		return q_error_set(err, Q_EINVAL, "missing address before '/'");
	if (alen >= sizeof(addr))
		return q_error_set(err, Q_EINVAL, "address too long");
	memcpy(addr, s, alen);
	addr[alen] = '\0';
	c.family = memchr(addr, ':', alen) ? AF_INET6 : AF_INET;
	max = c.family == AF_INET ? 32 : 128;
	if (inet_pton(c.family, addr, c.addr) != 1)
		return q_error_set(err, Q_EINVAL, "bad %s address",
				   c.family == AF_INET ? "IPv4" : "IPv6");
	if (c.family == AF_INET6) {
		static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

		if (memcmp(c.addr, mapped, sizeof(mapped)) == 0)
			return q_error_set(
			    err, Q_EINVAL,
			    "IPv4-mapped IPv6 address (write IPv4 networks as IPv4)");
	}
	if (!slash) {
		c.prefix = max;
	} else {
		p = slash + 1;
		if (!*p)
			return q_error_set(err, Q_EINVAL, "missing prefix length after '/'");
		if (strspn(p, "0123456789") != strlen(p) || strlen(p) > 3)
			return q_error_set(err, Q_EINVAL, "prefix length must be a number 0..%d",
					   max);
		if (p[0] == '0' && p[1])
			return q_error_set(err, Q_EINVAL, "prefix length has a leading zero");
		c.prefix = (int)strtol(p, NULL, 10);
		if (c.prefix > max)
			return q_error_set(err, Q_EINVAL, "prefix length %d is out of range 0..%d",
					   c.prefix, max);
	}
	if (!host_bits_zero(c.addr, cidr_bytes(c.family), c.prefix, false)) {
		char buf[Q_CIDR_STRLEN];

		host_bits_zero(c.addr, cidr_bytes(c.family), c.prefix, true);
		return q_error_set(err, Q_EINVAL, "host bits set (did you mean '%s'?)",
				   q_cidr_format(&c, buf, sizeof(buf)));
	}
	*out = c;
	return 0;
}

char *q_cidr_format(const struct q_cidr *c, char *buf, size_t size)
{
	char a[INET6_ADDRSTRLEN];

	if (!inet_ntop(c->family, c->addr, a, sizeof(a)))
		g_strlcpy(a, "?", sizeof(a));
	snprintf(buf, size, "%s/%d", a, c->prefix);
	return buf;
}

bool q_cidr_contains(const struct q_cidr *c, int family, const unsigned char *addr)
{
	int full, rem;

	if (family != c->family || !addr)
		return false;
	full = c->prefix / 8;
	rem = c->prefix % 8;
	if (memcmp(c->addr, addr, (size_t)full) != 0)
		return false;
	if (rem) {
		unsigned char mask = (unsigned char)(0xff << (8 - rem));

		if ((c->addr[full] & mask) != (addr[full] & mask))
			return false;
	}
	return true;
}

/* ------------------------------------------------------------ errors */

struct perr {
	size_t line, col; /* 1-based; 0 for a file-level error */
	unsigned seq;     /* order of discovery, to keep the sort stable */
	char *text;       /* the whole line, without '\n' */
};

struct ctx {
	const char *file; /* name for messages */
	GArray *errs;     /* of struct perr */
	unsigned n;       /* errors found */
};

static void perr_clear(gpointer p)
{
	g_free(((struct perr *)p)->text);
}

/* Add "FILE:LINE:COL: 'field': message" (field may be NULL). */
static void add_err(struct ctx *c, yaml_mark_t m, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void add_err(struct ctx *c, yaml_mark_t m, const char *field, const char *fmt, ...)
{
	struct perr e;
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	e.line = m.line + 1;
	e.col = m.column + 1;
	e.seq = c->n++;
	if (field)
		e.text =
		    g_strdup_printf("%s:%zu:%zu: '%s': %s", c->file, e.line, e.col, field, msg);
	else
		e.text = g_strdup_printf("%s:%zu:%zu: %s", c->file, e.line, e.col, msg);
	g_free(msg);
	g_array_append_val(c->errs, e);
}

static yaml_mark_t mark_at(size_t line0, size_t col0)
{
	yaml_mark_t m = {0, line0, col0};

	return m;
}

/*
 * A value from the file, fit for a message: at most 60 bytes, control
 * bytes, quotes and backslashes escaped, "..." when cut.
 */
#define SHOW_MAX 60
#define SHOW_SIZE (SHOW_MAX * 4 + 8)
static const char *show(char *buf, const char *s, size_t len)
{
	size_t o = 0;

	for (size_t i = 0; i < len && i < SHOW_MAX; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch < 0x20 || ch == 0x7f || ch == '\'' || ch == '\\')
			o += (size_t)snprintf(buf + o, SHOW_SIZE - o, "\\x%02x", ch);
		else
			buf[o++] = (char)ch;
	}
	if (len > SHOW_MAX) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o] = '\0';
	return buf;
}

static int perr_cmp(gconstpointer a, gconstpointer b)
{
	const struct perr *x = a, *y = b;

	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	if (x->col != y->col)
		return x->col < y->col ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void flush_errors(struct ctx *c, GString *out)
{
	g_array_sort(c->errs, perr_cmp);
	for (guint i = 0; out && i < c->errs->len; i++) {
		struct perr *e = &g_array_index(c->errs, struct perr, i);

		if (i == Q_MIRRORDEF_MAX_ERRORS) {
			g_string_append_printf(out, "%s: %u more errors not shown\n", c->file,
					       c->errs->len - i);
			break;
		}
		g_string_append(out, e->text);
		g_string_append_c(out, '\n');
	}
}

/* -------------------------------------------------------------- tree */

enum ntype { N_SCALAR, N_SEQ, N_MAP, N_BAD };

struct node {
	enum ntype type;
	yaml_mark_t mark;   /* where it starts */
	char *value;        /* N_SCALAR: at most MAX_STRING + 1 bytes, NUL added */
	size_t len;         /* N_SCALAR: the value's real length */
	bool plain;         /* N_SCALAR: written without quotes (may be a number, bool, null) */
	struct node **kids; /* N_SEQ: items; N_MAP: key, value, key, value, ... */
	size_t n, cap;      /* kids used and allocated */
	bool overflow;      /* more than MAX_LIST items or pairs; the rest were dropped */
};

static struct node *node_new(enum ntype type, yaml_mark_t mark)
{
	struct node *n = g_new0(struct node, 1);

	n->type = type;
	n->mark = mark;
	return n;
}

static void node_free(struct node *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->n; i++)
		node_free(n->kids[i]);
	g_free(n->kids);
	g_free(n->value);
	g_free(n);
}

static void node_add(struct node *parent, struct node *kid)
{
	size_t lim = parent->type == N_MAP ? 2 * Q_MIRRORDEF_MAX_LIST : Q_MIRRORDEF_MAX_LIST;

	if (parent->n >= lim) {
		parent->overflow = true;
		node_free(kid);
		return;
	}
	if (parent->n == parent->cap) {
		parent->cap = parent->cap ? parent->cap * 2 : 8;
		parent->kids = g_renew(struct node *, parent->kids, parent->cap);
	}
	parent->kids[parent->n++] = kid;
}

struct builder {
	struct ctx *c;
	struct node *root;
	struct node *stack[Q_MIRRORDEF_MAX_DEPTH];
	int depth;    /* collections open on stack */
	int skip;     /* collections open past the depth limit */
	int docs;     /* documents seen */
	size_t nodes; /* nodes built so far */
	bool full;    /* MIRRORDEF_MAX_NODES reached: nothing more is built */
};

/* Most nodes one file may build (bounds memory whatever the shape). */
#define MIRRORDEF_MAX_NODES 100000

/* Count one more node; false (reported once) when the file has too many. */
static bool take_node(struct builder *b, yaml_mark_t m)
{
	if (b->skip > 0 || b->docs > 1)
		return true; /* will be dropped by insert anyway */
	if (b->nodes < MIRRORDEF_MAX_NODES) {
		b->nodes++;
		return true;
	}
	if (!b->full)
		add_err(b->c, m, NULL, "more than %d values in the file", MIRRORDEF_MAX_NODES);
	b->full = true;
	return false;
}

static void insert(struct builder *b, struct node *n)
{
	if (b->skip > 0 || b->docs > 1) {
		node_free(n);
		return;
	}
	if (b->depth == 0) {
		if (b->root)
			node_free(b->root);
		b->root = n;
	} else {
		node_add(b->stack[b->depth - 1], n);
	}
}

static void check_anchor_tag(struct builder *b, yaml_mark_t m, const yaml_char_t *anchor,
			     const yaml_char_t *tag)
{
	char buf[SHOW_SIZE];

	if (anchor)
		add_err(b->c, m, NULL, "anchor '&%s' not allowed (no anchors or aliases)",
			show(buf, (const char *)anchor, strlen((const char *)anchor)));
	if (tag)
		add_err(b->c, m, NULL, "explicit tag '%s' not allowed",
			show(buf, (const char *)tag, strlen((const char *)tag)));
}

static void start_collection(struct builder *b, enum ntype type, yaml_mark_t m)
{
	struct node *n;

	if (!take_node(b, m)) {
		b->skip++;
		return;
	}
	if (b->skip > 0 || b->depth == Q_MIRRORDEF_MAX_DEPTH) {
		if (b->skip++ == 0 && b->docs <= 1) {
			add_err(b->c, m, NULL, "nesting deeper than %d levels",
				Q_MIRRORDEF_MAX_DEPTH);
			insert(b, node_new(N_BAD, m));
		}
		return;
	}
	n = node_new(type, m);
	insert(b, n);
	if (b->docs > 1)
		b->skip++; /* contents of later documents are ignored */
	else
		b->stack[b->depth++] = n;
}

static void end_collection(struct builder *b)
{
	if (b->skip > 0)
		b->skip--;
	else if (b->depth > 0)
		b->depth--;
}

/* A libyaml error: one line with its problem text and position. */
static void syntax_error(struct ctx *c, const yaml_parser_t *p, const char *text, size_t len)
{
	yaml_mark_t m = p->problem_mark;
	const char *problem = p->problem ? p->problem : "cannot parse";

	if (p->error == YAML_MEMORY_ERROR) {
		add_err(c, mark_at(0, 0), NULL, "out of memory");
		return;
	}
	if (p->error == YAML_READER_ERROR) {
		/* The reader reports a byte offset, not a mark. */
		size_t line = 0, col = 0;

		for (size_t i = 0; i < p->problem_offset && i < len; i++) {
			if (text[i] == '\n') {
				line++;
				col = 0;
			} else {
				col++;
			}
		}
		if (p->problem_value >= 0)
			add_err(c, mark_at(line, col), NULL, "yaml: %s (byte 0x%02x)", problem,
				p->problem_value & 0xff);
		else
			add_err(c, mark_at(line, col), NULL, "yaml: %s", problem);
		return;
	}
	if (p->context)
		add_err(c, m, NULL, "yaml: %s (%s at line %zu, column %zu)", problem, p->context,
			p->context_mark.line + 1, p->context_mark.column + 1);
	else
		add_err(c, m, NULL, "yaml: %s", problem);
}

/* Build the tree of text's first document; NULL (with errors) when broken. */
static struct node *build(struct ctx *c, const char *text, size_t len)
{
	yaml_parser_t p;
	yaml_event_t ev;
	struct builder b = {.c = c};
	bool broken = false, done = false;

	if (!yaml_parser_initialize(&p)) {
		add_err(c, mark_at(0, 0), NULL, "out of memory");
		return NULL;
	}
	yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
	while (!done) {
		struct node *n;

		if (!yaml_parser_parse(&p, &ev)) {
			syntax_error(c, &p, text, len);
			broken = true;
			break;
		}
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = true;
			break;
		case YAML_DOCUMENT_START_EVENT:
			if (++b.docs == 2)
				add_err(c, ev.start_mark, NULL,
					"more than one YAML document (one mirror per file)");
			break;
		case YAML_ALIAS_EVENT:
			if (b.skip == 0 && b.docs <= 1)
				add_err(c, ev.start_mark, NULL,
					"alias not allowed (no anchors or aliases)");
			if (take_node(&b, ev.start_mark))
				insert(&b, node_new(N_BAD, ev.start_mark));
			break;
		case YAML_SCALAR_EVENT:
			check_anchor_tag(&b, ev.start_mark, ev.data.scalar.anchor,
					 ev.data.scalar.tag);
			if (b.skip > 0 || b.docs > 1 || !take_node(&b, ev.start_mark))
				break;
			n = node_new(N_SCALAR, ev.start_mark);
			n->len = ev.data.scalar.length;
			n->value = g_strndup((const char *)ev.data.scalar.value,
					     MIN(n->len, (size_t)Q_MIRRORDEF_MAX_STRING + 1));
			/* g_strndup stops at a NUL; keep the bytes, NULs included. */
			memcpy(n->value, ev.data.scalar.value,
			       MIN(n->len, (size_t)Q_MIRRORDEF_MAX_STRING + 1));
			n->plain = ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
			insert(&b, n);
			break;
		case YAML_SEQUENCE_START_EVENT:
			check_anchor_tag(&b, ev.start_mark, ev.data.sequence_start.anchor,
					 ev.data.sequence_start.tag);
			start_collection(&b, N_SEQ, ev.start_mark);
			break;
		case YAML_MAPPING_START_EVENT:
			check_anchor_tag(&b, ev.start_mark, ev.data.mapping_start.anchor,
					 ev.data.mapping_start.tag);
			start_collection(&b, N_MAP, ev.start_mark);
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			end_collection(&b);
			break;
		default:
			break;
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&p);
	if (broken) {
		node_free(b.root);
		return NULL;
	}
	return b.root;
}

/* --------------------------------------------------------- validation */

static const char *type_name(const struct node *n)
{
	switch (n->type) {
	case N_SCALAR:
		return n->plain ? "a scalar" : "a string";
	case N_SEQ:
		return "a list";
	case N_MAP:
		return "a mapping";
	default:
		return "an alias";
	}
}

static bool scalar_is(const struct node *n, const char *s)
{
	return n->type == N_SCALAR && n->len == strlen(s) && memcmp(n->value, s, n->len) == 0;
}

/* Null or empty: "key:", "key: ~", "key: null", "key: ''". */
static bool is_empty(const struct node *n)
{
	if (n->type != N_SCALAR)
		return false;
	if (n->len == 0)
		return true;
	return n->plain && (scalar_is(n, "~") || scalar_is(n, "null") || scalar_is(n, "Null") ||
			    scalar_is(n, "NULL"));
}

/*
 * Match map's keys against keys[nkeys]: vals[i] and keynodes[i] get the
 * value and key of keys[i] (NULL when absent). Unknown, duplicate and
 * non-string keys are reported; prefix ("address") names nested fields.
 */
static void collect(struct ctx *c, const struct node *map, const char *prefix,
		    const char *const *keys, size_t nkeys, const struct node **vals,
		    const struct node **keynodes)
{
	char buf[SHOW_SIZE], field[SHOW_SIZE + 64];

	for (size_t i = 0; i < nkeys; i++)
		vals[i] = keynodes[i] = NULL;
	if (map->overflow)
		add_err(c, map->mark, prefix, "more than %d keys", Q_MIRRORDEF_MAX_LIST);
	for (size_t i = 0; i + 1 < map->n; i += 2) {
		const struct node *k = map->kids[i], *v = map->kids[i + 1];
		size_t j;
		bool dup = false;

		if (k->type == N_BAD)
			continue;
		if (k->type != N_SCALAR) {
			add_err(c, k->mark, prefix, "a key must be a string, not %s", type_name(k));
			continue;
		}
		show(buf, k->value, k->len);
		if (prefix)
			snprintf(field, sizeof(field), "%s.%s", prefix, buf);
		else
			snprintf(field, sizeof(field), "%s", buf);
		for (j = 0; j < i && !dup; j += 2) {
			const struct node *o = map->kids[j];

			if (o->type == N_SCALAR && o->len == k->len &&
			    memcmp(o->value, k->value,
				   MIN(k->len, (size_t)Q_MIRRORDEF_MAX_STRING + 1)) == 0) {
				add_err(c, k->mark, field,
					"duplicate key (first at line %zu, column %zu)",
					o->mark.line + 1, o->mark.column + 1);
				dup = true;
			}
		}
		if (dup)
			continue;
		for (j = 0; j < nkeys; j++)
			if (scalar_is(k, keys[j]))
				break;
		if (j == nkeys) {
			add_err(c, k->mark, field, "unknown key");
			continue;
		}
		vals[j] = v;
		keynodes[j] = k;
	}
}

/* The string value of n (g_malloc'ed), or NULL after reporting why not. */
static char *get_string(struct ctx *c, const struct node *n, const char *field)
{
	if (n->type == N_BAD)
		return NULL; /* reported when it was built */
	if (n->type != N_SCALAR) {
		add_err(c, n->mark, field, "expected a string, got %s", type_name(n));
		return NULL;
	}
	if (n->len > Q_MIRRORDEF_MAX_STRING) {
		add_err(c, n->mark, field, "value is longer than %d bytes", Q_MIRRORDEF_MAX_STRING);
		return NULL;
	}
	for (size_t i = 0; i < n->len; i++) {
		unsigned char ch = (unsigned char)n->value[i];

		if (ch < 0x20 || ch == 0x7f) {
			add_err(c, n->mark, field, "value contains a control character (0x%02x)",
				ch);
			return NULL;
		}
	}
	return g_strndup(n->value, n->len);
}

/*
 * A required field: NULL after reporting it missing (at the mapping, or at
 * the key when the value is empty) or bad.
 */
static char *required_string(struct ctx *c, const struct node *map, const struct node *key,
			     const struct node *val, const char *field)
{
	if (!val) {
		add_err(c, map->mark, field, "missing required field");
		return NULL;
	}
	if (is_empty(val)) {
		add_err(c, key->mark, field, "empty value for a required field");
		return NULL;
	}
	return get_string(c, val, field);
}

/* An optional field: NULL when absent or empty, or after reporting it bad. */
static char *optional_string(struct ctx *c, const struct node *val, const char *field)
{
	if (!val || is_empty(val))
		return NULL;
	return get_string(c, val, field);
}

/* Why s is not a host name, or NULL when it is one. */
static const char *hostname_problem(const char *s, size_t len)
{
	size_t start = 0;

	if (len == 0)
		return "it is empty";
	if (len > 253)
		return "it is longer than 253 bytes";
	for (size_t i = 0; i <= len; i++) {
		if (i < len && s[i] != '.') {
			if (!g_ascii_isalnum(s[i]) && s[i] != '-')
				return "it contains a character other than letters, digits, '-' "
				       "and '.'";
			continue;
		}
		if (i == start)
			return "it has an empty label";
		if (i - start > 63)
			return "it has a label longer than 63 bytes";
		if (s[start] == '-' || s[i - 1] == '-')
			return "a label starts or ends with '-'";
		start = i + 1;
	}
	return NULL;
}

/* Why the URL's host[:port] authority is bad, or NULL. */
static const char *authority_problem(const char *a, size_t len)
{
	const char *colon, *port = NULL;
	size_t hlen;

	if (len == 0)
		return "it has no host";
	if (memchr(a, '@', len))
		return "it must not contain user information ('@')";
	if (a[0] == '[') {
		const char *close = memchr(a, ']', len);
		char v6[INET6_ADDRSTRLEN];
		unsigned char bin[16];
		size_t vlen;

		if (!close)
			return "its IPv6 host has no ']'";
		vlen = (size_t)(close - a - 1);
		if (vlen == 0 || vlen >= sizeof(v6))
			return "its IPv6 host is not an address";
		memcpy(v6, a + 1, vlen);
		v6[vlen] = '\0';
		if (inet_pton(AF_INET6, v6, bin) != 1)
			return "its IPv6 host is not an address";
		if ((size_t)(close - a) + 1 < len) {
			if (close[1] != ':')
				return "it has text after the IPv6 host";
			port = close + 2;
		}
	} else {
		colon = memchr(a, ':', len);
		hlen = colon ? (size_t)(colon - a) : len;
		if (hostname_problem(a, hlen))
			return "its host is not a valid host name";
		if (colon)
			port = colon + 1;
	}
	if (port) {
		size_t plen = len - (size_t)(port - a);
		long v = 0;

		if (plen == 0 || plen > 5)
			return "its port is not a number 1..65535";
		for (size_t i = 0; i < plen; i++) {
			if (!g_ascii_isdigit(port[i]))
				return "its port is not a number 1..65535";
			v = v * 10 + (port[i] - '0');
		}
		if (v < 1 || v > 65535)
			return "its port is not a number 1..65535";
	}
	return NULL;
}

/*
 * Check the URL in n. want is the scheme it must have ("https"), or NULL for
 * "http or https". A mirror address (address = true) has no query or
 * fragment and gets a final '/' if it has none. Returns the URL
 * (g_malloc'ed) or NULL after reporting why not.
 */
static char *get_url(struct ctx *c, const struct node *n, const char *field, const char *want,
		     bool address)
{
	char buf[SHOW_SIZE];
	char *s = get_string(c, n, field), *sep, *auth, *end, *out;
	const char *why;
	size_t slen;

	if (!s)
		return NULL;
	slen = strlen(s);
	show(buf, s, slen);
	sep = strstr(s, "://");
	if (!sep) {
		add_err(c, n->mark, field, "'%s' is not a URL (expected %s://HOST/...)", buf,
			want ? want : "https");
		goto bad;
	}
	*sep = '\0';
	if (want ? g_ascii_strcasecmp(s, want) != 0
		 : g_ascii_strcasecmp(s, "http") != 0 && g_ascii_strcasecmp(s, "https") != 0) {
		add_err(c, n->mark, field, "'%s' is not an %s URL", buf,
			want ? want : "http or https");
		goto bad;
	}
	/* Schemes compare without case (RFC 3986); stored lower-case. */
	for (char *p = s; p < sep; p++)
		*p = g_ascii_tolower(*p);
	*sep = ':';
	auth = sep + 3;
	end = auth + strcspn(auth, "/?#");
	if (address && strpbrk(auth, "?#")) {
		add_err(c, n->mark, field, "'%s': a mirror URL has no query or fragment", buf);
		goto bad;
	}
	if (strpbrk(s, " \"<>\\^`{|}")) {
		add_err(c, n->mark, field, "'%s' contains a character not allowed in a URL", buf);
		goto bad;
	}
	why = authority_problem(auth, (size_t)(end - auth));
	if (why) {
		add_err(c, n->mark, field, "'%s' is not a valid URL: %s", buf, why);
		goto bad;
	}
	if (address && s[slen - 1] != '/') {
		out = g_strconcat(s, "/", NULL);
		g_free(s);
		return out;
	}
	return s;
bad:
	g_free(s);
	return NULL;
}

/* A boolean: plain true/false in the YAML 1.2 core spellings. */
static bool get_bool(struct ctx *c, const struct node *n, const char *field, bool *out)
{
	char buf[SHOW_SIZE];

	if (n->type == N_BAD)
		return false;
	if (n->type == N_SCALAR && n->plain) {
		if (scalar_is(n, "true") || scalar_is(n, "True") || scalar_is(n, "TRUE")) {
			*out = true;
			return true;
		}
		if (scalar_is(n, "false") || scalar_is(n, "False") || scalar_is(n, "FALSE")) {
			*out = false;
			return true;
		}
	}
	if (n->type == N_SCALAR)
		add_err(c, n->mark, field, "expected true or false, got '%s'",
			show(buf, n->value, n->len));
	else
		add_err(c, n->mark, field, "expected true or false, got %s", type_name(n));
	return false;
}

/* An AS number: a plain integer 1..4294967295. */
static bool get_asn(struct ctx *c, const struct node *n, const char *field, uint32_t *out)
{
	char buf[SHOW_SIZE];
	uint64_t v = 0;

	if (n->type == N_BAD)
		return false;
	if (n->type != N_SCALAR) {
		add_err(c, n->mark, field, "expected an AS number, got %s", type_name(n));
		return false;
	}
	show(buf, n->value, n->len);
	if (!n->plain) {
		add_err(c, n->mark, field,
			"expected an AS number, got the string '%s' (drop the quotes)", buf);
		return false;
	}
	if (n->len == 0 || n->len > 10 || strspn(n->value, "0123456789") != n->len ||
	    (n->value[0] == '0')) {
		add_err(c, n->mark, field, "'%s' is not an AS number (1..4294967295)", buf);
		return false;
	}
	for (size_t i = 0; i < n->len; i++)
		v = v * 10 + (uint64_t)(n->value[i] - '0');
	if (v > UINT32_MAX) {
		add_err(c, n->mark, field, "'%s' is not an AS number (1..4294967295)", buf);
		return false;
	}
	*out = (uint32_t)v;
	return true;
}

/* A bandwidth in Mbit/s: a plain integer 1..Q_MIRRORDEF_MAX_BANDWIDTH. */
static bool get_bandwidth(struct ctx *c, const struct node *n, uint32_t *out)
{
	char buf[SHOW_SIZE];
	uint32_t v = 0;

	if (n->type == N_BAD)
		return false;
	if (n->type != N_SCALAR) {
		add_err(c, n->mark, "bandwidth", "expected a number of Mbit/s, got %s",
			type_name(n));
		return false;
	}
	show(buf, n->value, n->len);
	if (!n->plain) {
		add_err(c, n->mark, "bandwidth",
			"expected a number of Mbit/s, got the string '%s' (drop the quotes)", buf);
		return false;
	}
	/* 7 digits hold every value up to the maximum without overflow. */
	if (n->len == 0 || n->len > 7 || strspn(n->value, "0123456789") != n->len ||
	    n->value[0] == '0') {
		add_err(c, n->mark, "bandwidth", "'%s' is not a bandwidth in Mbit/s (1..%d)", buf,
			Q_MIRRORDEF_MAX_BANDWIDTH);
		return false;
	}
	for (size_t i = 0; i < n->len; i++)
		v = v * 10 + (uint32_t)(n->value[i] - '0');
	if (v > Q_MIRRORDEF_MAX_BANDWIDTH) {
		add_err(c, n->mark, "bandwidth", "'%s' is not a bandwidth in Mbit/s (1..%d)", buf,
			Q_MIRRORDEF_MAX_BANDWIDTH);
		return false;
	}
	*out = v;
	return true;
}

/* "30m", "2h", "1d", "1w": 1 minute .. 30 days, in seconds; -1 when bad. */
static int64_t parse_frequency(const char *s)
{
	size_t digits = strspn(s, "0123456789");
	int64_t v = 0, unit;

	if (digits == 0 || digits > 7 || strlen(s) != digits + 1)
		return -1;
	switch (s[digits]) {
	case 'm':
		unit = 60;
		break;
	case 'h':
		unit = 3600;
		break;
	case 'd':
		unit = 86400;
		break;
	case 'w':
		unit = 7 * 86400;
		break;
	default:
		return -1;
	}
	for (size_t i = 0; i < digits; i++)
		v = v * 10 + (s[i] - '0');
	v *= unit;
	return v >= 60 && v <= 30 * 86400 ? v : -1;
}

/* ISO 3166-1 alpha-2, every assigned code (iso-codes 4.x), in pairs. */
static const char iso3166[] =
    "ADAEAFAGAIALAMAOAQARASATAUAWAXAZBABBBDBEBFBGBHBIBJBLBMBNBOBQBRBSBTBVBWBYBZCACCCD"
    "CFCGCHCICKCLCMCNCOCRCUCVCWCXCYCZDEDJDKDMDODZECEEEGEHERESETFIFJFKFMFOFRGAGBGDGEGF"
    "GGGHGIGLGMGNGPGQGRGSGTGUGWGYHKHMHNHRHTHUIDIEILIMINIOIQIRISITJEJMJOJPKEKGKHKIKMKN"
    "KPKRKWKYKZLALBLCLILKLRLSLTLULVLYMAMCMDMEMFMGMHMKMLMMMNMOMPMQMRMSMTMUMVMWMXMYMZNA"
    "NCNENFNGNINLNONPNRNUNZOMPAPEPFPGPHPKPLPMPNPRPSPTPWPYQARERORSRURWSASBSCSDSESGSHSI"
    "SJSKSLSMSNSOSRSSSTSVSXSYSZTCTDTFTGTHTJTKTLTMTNTOTRTTTVTWTZUAUGUMUSUYUZVAVCVEVGVI"
    "VNVUWFWSYEYTZAZMZW";

static bool country_known(const char *cc)
{
	for (size_t i = 0; i + 1 < sizeof(iso3166); i += 2)
		if (iso3166[i] == cc[0] && iso3166[i + 1] == cc[1])
			return true;
	return false;
}

/* A list of items checked one by one; NULL (after reporting) when n is not a list. */
static const struct node *get_list(struct ctx *c, const struct node *n, const char *field)
{
	if (n->type == N_BAD)
		return NULL;
	if (n->type != N_SEQ) {
		add_err(c, n->mark, field, "expected a list, got %s", type_name(n));
		return NULL;
	}
	if (n->overflow)
		add_err(c, n->mark, field, "more than %d entries", Q_MIRRORDEF_MAX_LIST);
	return n;
}

enum {
	K_NAME,
	K_ADDRESS,
	K_UPDATE_FREQUENCY,
	K_SPONSOR,
	K_SPONSOR_URL,
	K_EMAIL,
	K_GEOLOCATION,
	K_PRIVATE,
	K_MONOPOLY,
	K_ASN,
	K_SUBNETS,
	K_CLOUD_TYPE,
	K_CLOUD_REGIONS,
	K_BANDWIDTH,
	K_COUNT
};

static const char *const root_keys[K_COUNT] = {
    "name",    "address",     "update_frequency", "sponsor",   "sponsor_url",
    "email",   "geolocation", "private",          "monopoly",  "asn",
    "subnets", "cloud_type",  "cloud_regions",    "bandwidth",
};

static const char *const address_keys[] = {"http", "https", "rsync", "ftp"};
static const char *const geo_keys[] = {"country", "state_province", "city"};

static void check_name(struct ctx *c, const struct node *map, const struct node *key,
		       const struct node *val, struct q_mirror_def *d)
{
	char buf[SHOW_SIZE];
	char *s = required_string(c, map, key, val, "name");
	const char *why;

	if (!s)
		return;
	show(buf, s, strlen(s));
	if (strstr(s, "://"))
		why = "it has a scheme (write only the host name)";
	else if (s[0] && s[strlen(s) - 1] == '/')
		why = "it ends with '/'";
	else if (strchr(s, '/'))
		why = "it has a path (write only the host name)";
	else
		why = hostname_problem(s, strlen(s));
	if (why) {
		add_err(c, val->mark, "name", "'%s' is not a host name: %s", buf, why);
		g_free(s);
		return;
	}
	d->name = g_ascii_strdown(s, -1);
	d->name_line = (int)val->mark.line + 1;
	d->name_col = (int)val->mark.column + 1;
	g_free(s);
}

static void check_address(struct ctx *c, const struct node *map, const struct node *key,
			  const struct node *val, struct q_mirror_def *d)
{
	const struct node *v[4], *k[4];
	char **slot[4] = {&d->http, &d->https, &d->rsync, &d->ftp};
	bool web = false;

	if (!val) {
		add_err(c, map->mark, "address", "missing required field");
		return;
	}
	if (val->type == N_BAD)
		return;
	if (val->type != N_MAP) {
		if (is_empty(val))
			add_err(c, key->mark, "address", "empty value for a required field");
		else
			add_err(c, val->mark, "address", "expected a mapping, got %s",
				type_name(val));
		return;
	}
	collect(c, val, "address", address_keys, 4, v, k);
	for (int i = 0; i < 4; i++) {
		char field[32];

		if (!v[i] || is_empty(v[i]))
			continue;
		if (i < 3)
			web = true; /* http, https or rsync: something the crawler can check */
		snprintf(field, sizeof(field), "address.%s", address_keys[i]);
		*slot[i] = get_url(c, v[i], field, address_keys[i], true);
	}
	if (!web)
		add_err(c, val->mark, "address", "an 'http', 'https' or 'rsync' URL is required");
}

static void check_geolocation(struct ctx *c, const struct node *val, struct q_mirror_def *d)
{
	const struct node *v[3], *k[3];
	char buf[SHOW_SIZE];
	char *cc;

	if (val->type == N_BAD)
		return;
	if (val->type != N_MAP) {
		add_err(c, val->mark, "geolocation", "expected a mapping, got %s", type_name(val));
		return;
	}
	collect(c, val, "geolocation", geo_keys, 3, v, k);
	cc = required_string(c, val, k[0], v[0], "geolocation.country");
	if (cc) {
		show(buf, cc, strlen(cc));
		if (strlen(cc) != 2 || !g_ascii_isalpha(cc[0]) || !g_ascii_isalpha(cc[1])) {
			add_err(c, v[0]->mark, "geolocation.country",
				"'%s' is not a two-letter ISO 3166-1 country code", buf);
		} else {
			cc[0] = g_ascii_toupper(cc[0]);
			cc[1] = g_ascii_toupper(cc[1]);
			if (!country_known(cc))
				add_err(c, v[0]->mark, "geolocation.country",
					"'%s' is not an assigned ISO 3166-1 country code", buf);
			else
				d->country = g_strdup(cc);
		}
		g_free(cc);
	}
	if (v[1])
		d->state_province = optional_string(c, v[1], "geolocation.state_province");
	if (v[2])
		d->city = optional_string(c, v[2], "geolocation.city");
}

static void check_asn(struct ctx *c, const struct node *val, struct q_mirror_def *d)
{
	const struct node *list;

	if (val->type == N_SCALAR) {
		uint32_t a;

		if (get_asn(c, val, "asn", &a)) {
			d->asn = g_new(uint32_t, 1);
			d->asn[0] = a;
			d->n_asn = 1;
		}
		return;
	}
	list = get_list(c, val, "asn");
	if (!list)
		return;
	d->asn = g_new0(uint32_t, list->n + 1);
	for (size_t i = 0; i < list->n; i++) {
		char field[32];

		snprintf(field, sizeof(field), "asn[%zu]", i);
		if (get_asn(c, list->kids[i], field, &d->asn[d->n_asn]))
			d->n_asn++;
	}
}

static void check_subnets(struct ctx *c, const struct node *val, struct q_mirror_def *d)
{
	const struct node *list = get_list(c, val, "subnets");

	if (!list)
		return;
	d->subnets = g_new0(struct q_cidr, list->n + 1);
	for (size_t i = 0; i < list->n; i++) {
		char field[32], buf[SHOW_SIZE];
		struct q_error err;
		char *s;

		snprintf(field, sizeof(field), "subnets[%zu]", i);
		s = get_string(c, list->kids[i], field);
		if (!s)
			continue;
		if (q_cidr_parse(s, &d->subnets[d->n_subnets], &err) < 0)
			add_err(c, list->kids[i]->mark, field, "'%s' is not a network: %s",
				show(buf, s, strlen(s)), err.msg);
		else
			d->n_subnets++;
		g_free(s);
	}
}

static void check_regions(struct ctx *c, const struct node *val, struct q_mirror_def *d)
{
	const struct node *list = get_list(c, val, "cloud_regions");

	if (!list)
		return;
	d->cloud_regions = g_new0(char *, list->n + 1);
	for (size_t i = 0; i < list->n; i++) {
		char field[48];
		char *s;

		snprintf(field, sizeof(field), "cloud_regions[%zu]", i);
		if (is_empty(list->kids[i])) {
			add_err(c, list->kids[i]->mark, field, "empty region");
			continue;
		}
		s = get_string(c, list->kids[i], field);
		if (s)
			d->cloud_regions[d->n_cloud_regions++] = s;
	}
}

static void validate(struct ctx *c, const struct node *root, struct q_mirror_def *d)
{
	const struct node *v[K_COUNT], *k[K_COUNT];
	char buf[SHOW_SIZE];

	d->line = (int)root->mark.line + 1;
	collect(c, root, NULL, root_keys, K_COUNT, v, k);
	check_name(c, root, k[K_NAME], v[K_NAME], d);
	check_address(c, root, k[K_ADDRESS], v[K_ADDRESS], d);
	d->update_frequency = required_string(c, root, k[K_UPDATE_FREQUENCY], v[K_UPDATE_FREQUENCY],
					      "update_frequency");
	if (d->update_frequency) {
		d->update_seconds = parse_frequency(d->update_frequency);
		if (d->update_seconds < 0)
			add_err(
			    c, v[K_UPDATE_FREQUENCY]->mark, "update_frequency",
			    "'%s' is not a frequency: expected a number and a unit m, h, d or w "
			    "('2h'), from 1m to 30d",
			    show(buf, d->update_frequency, strlen(d->update_frequency)));
	}
	d->sponsor = required_string(c, root, k[K_SPONSOR], v[K_SPONSOR], "sponsor");
	if (!v[K_SPONSOR_URL])
		add_err(c, root->mark, "sponsor_url", "missing required field");
	else if (is_empty(v[K_SPONSOR_URL]))
		add_err(c, k[K_SPONSOR_URL]->mark, "sponsor_url",
			"empty value for a required field");
	else
		d->sponsor_url = get_url(c, v[K_SPONSOR_URL], "sponsor_url", NULL, false);
	if (v[K_EMAIL]) {
		d->email = optional_string(c, v[K_EMAIL], "email");
		if (d->email) {
			const char *at = strchr(d->email, '@');

			if (!at || at == d->email || !at[1] || strchr(at + 1, '@') ||
			    strchr(d->email, ' ')) {
				add_err(c, v[K_EMAIL]->mark, "email",
					"'%s' is not an email address",
					show(buf, d->email, strlen(d->email)));
			}
		}
	}
	if (v[K_GEOLOCATION] && !is_empty(v[K_GEOLOCATION]))
		check_geolocation(c, v[K_GEOLOCATION], d);
	if (v[K_PRIVATE] && !is_empty(v[K_PRIVATE]))
		get_bool(c, v[K_PRIVATE], "private", &d->is_private);
	if (v[K_MONOPOLY] && !is_empty(v[K_MONOPOLY])) {
		if (get_bool(c, v[K_MONOPOLY], "monopoly", &d->monopoly) && d->monopoly &&
		    !d->is_private)
			add_err(c, v[K_MONOPOLY]->mark, "monopoly",
				"'monopoly: true' requires 'private: true'");
	}
	if (v[K_ASN] && !is_empty(v[K_ASN]))
		check_asn(c, v[K_ASN], d);
	if (v[K_SUBNETS] && !is_empty(v[K_SUBNETS]))
		check_subnets(c, v[K_SUBNETS], d);
	if (v[K_CLOUD_TYPE])
		d->cloud_type = optional_string(c, v[K_CLOUD_TYPE], "cloud_type");
	if (v[K_CLOUD_REGIONS] && !is_empty(v[K_CLOUD_REGIONS])) {
		check_regions(c, v[K_CLOUD_REGIONS], d);
		if (!v[K_CLOUD_TYPE] || is_empty(v[K_CLOUD_TYPE]))
			add_err(c, k[K_CLOUD_REGIONS]->mark, "cloud_regions",
				"'cloud_regions' requires 'cloud_type'");
	}
	d->bandwidth = Q_MIRRORDEF_BANDWIDTH;
	if (v[K_BANDWIDTH] && !is_empty(v[K_BANDWIDTH]))
		get_bandwidth(c, v[K_BANDWIDTH], &d->bandwidth);
}

/* -------------------------------------------------------------- API */

int q_mirrordef_parse(const char *file, const char *text, size_t len, struct q_mirror_def *out,
		      GString *errors)
{
	struct ctx c = {.file = file ? file : "<input>"};
	struct node *root = NULL;
	int n;

	memset(out, 0, sizeof(*out));
	c.errs = g_array_new(FALSE, FALSE, sizeof(struct perr));
	g_array_set_clear_func(c.errs, perr_clear);
	if (len > Q_MIRRORDEF_MAX_FILE) {
		add_err(&c, mark_at(0, 0), NULL, "file is larger than 1 MiB (%zu bytes)", len);
		goto out;
	}
	root = build(&c, text ? text : "", text ? len : 0);
	if (!root) {
		if (c.n == 0)
			add_err(&c, mark_at(0, 0), NULL, "file is empty: expected a mapping");
		goto out;
	}
	if (root->type == N_BAD)
		goto out;
	if (root->type != N_MAP) {
		if (is_empty(root))
			add_err(&c, root->mark, NULL, "file is empty: expected a mapping");
		else
			add_err(&c, root->mark, NULL, "the top level must be a mapping, not %s",
				type_name(root));
		goto out;
	}
	out->file = g_strdup(c.file);
	validate(&c, root, out);
out:
	node_free(root);
	flush_errors(&c, errors);
	n = (int)MIN(c.n, (unsigned)INT_MAX);
	g_array_free(c.errs, TRUE);
	if (n)
		q_mirrordef_release(out);
	return n;
}

void q_mirrordef_release(struct q_mirror_def *d)
{
	if (!d)
		return;
	g_free(d->file);
	g_free(d->name);
	g_free(d->http);
	g_free(d->https);
	g_free(d->rsync);
	g_free(d->ftp);
	g_free(d->update_frequency);
	g_free(d->sponsor);
	g_free(d->sponsor_url);
	g_free(d->email);
	g_free(d->country);
	g_free(d->state_province);
	g_free(d->city);
	g_free(d->asn);
	g_free(d->subnets);
	g_free(d->cloud_type);
	for (size_t i = 0; i < d->n_cloud_regions; i++)
		g_free(d->cloud_regions[i]);
	g_free(d->cloud_regions);
	memset(d, 0, sizeof(*d));
}

void q_mirrordef_free_array(struct q_mirror_def *defs, size_t n)
{
	if (!defs)
		return;
	for (size_t i = 0; i < n; i++)
		q_mirrordef_release(&defs[i]);
	g_free(defs);
}

static bool has_yaml_suffix(const char *name)
{
	return g_str_has_suffix(name, ".yml") || g_str_has_suffix(name, ".yaml");
}

static int name_cmp(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Most files one import reads (each is one mirror). */
#define MIRRORDEF_MAX_FILES 100000

int q_mirrordef_load_dir(const char *dir, struct q_mirror_def **out, size_t *n, GString *errors)
{
	GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
	GHashTable *seen = g_hash_table_new(g_str_hash, g_str_equal);
	struct q_mirror_def *defs = NULL;
	size_t count = 0;
	int nerr = 0;
	struct dirent *e;
	DIR *d;

	*out = NULL;
	*n = 0;
	d = opendir(dir);
	if (!d) {
		if (errors)
			g_string_append_printf(errors, "%s: cannot open directory: %s\n", dir,
					       strerror(errno));
		nerr = 1;
		goto out;
	}
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.' || !has_yaml_suffix(e->d_name))
			continue;
		if (names->len == MIRRORDEF_MAX_FILES) {
			if (errors)
				g_string_append_printf(errors,
						       "%s: more than %d definition files\n", dir,
						       MIRRORDEF_MAX_FILES);
			nerr++;
			break;
		}
		g_ptr_array_add(names, g_strdup(e->d_name));
	}
	closedir(d);
	if (nerr)
		goto out;
	g_ptr_array_sort(names, name_cmp);
	defs = g_new0(struct q_mirror_def, names->len ? names->len : 1);
	for (guint i = 0; i < names->len; i++) {
		char *path = g_build_filename(dir, (const char *)names->pdata[i], NULL);
		struct q_mirror_def *def = &defs[count];
		struct q_mirror_def *prev;
		GError *gerr = NULL;
		char *text = NULL;
		gsize len = 0;
		struct stat st;

		if (stat(path, &st) < 0 || !S_ISREG(st.st_mode)) {
			g_free(path);
			continue;
		}
		if (st.st_size > Q_MIRRORDEF_MAX_FILE) {
			if (errors)
				g_string_append_printf(
				    errors, "%s:1:1: file is larger than 1 MiB (%jd bytes)\n", path,
				    (intmax_t)st.st_size);
			nerr++;
			g_free(path);
			continue;
		}
		if (!g_file_get_contents(path, &text, &len, &gerr)) {
			if (errors)
				g_string_append_printf(errors, "%s: cannot read: %s\n", path,
						       gerr->message);
			g_error_free(gerr);
			nerr++;
			g_free(path);
			continue;
		}
		nerr += q_mirrordef_parse(path, text, len, def, errors);
		g_free(text);
		g_free(path);
		if (!def->name)
			continue; /* parse errors, already counted */
		count++;
		prev = g_hash_table_lookup(seen, def->name);
		if (prev) {
			if (errors)
				g_string_append_printf(errors,
						       "%s:%d:%d: 'name': mirror '%s' is already "
						       "defined in %s:%d:%d\n",
						       def->file, def->name_line, def->name_col,
						       def->name, prev->file, prev->name_line,
						       prev->name_col);
			nerr++;
		} else {
			g_hash_table_insert(seen, def->name, def);
		}
	}
out:
	g_hash_table_destroy(seen);
	g_ptr_array_free(names, TRUE);
	if (nerr) {
		q_mirrordef_free_array(defs, count);
		return nerr;
	}
	*out = defs;
	*n = count;
	return 0;
}

static json_t *cidr_json(const struct q_cidr *c)
{
	char buf[Q_CIDR_STRLEN];

	return json_string(q_cidr_format(c, buf, sizeof(buf)));
}

static void set_str(json_t *o, const char *key, const char *s)
{
	if (s)
		json_object_set_new(o, key, json_string(s));
}

json_t *q_mirrordef_to_json(const struct q_mirror_def *d)
{
	json_t *o = json_object(), *addr = json_object(), *geo = json_object();
	json_t *asn = json_array(), *subnets = json_array(), *regions = json_array();

	if (!o || !addr || !geo || !asn || !subnets || !regions) {
		json_decref(o);
		json_decref(addr);
		json_decref(geo);
		json_decref(asn);
		json_decref(subnets);
		json_decref(regions);
		return NULL;
	}
	set_str(o, "name", d->name);
	set_str(addr, "http", d->http);
	set_str(addr, "https", d->https);
	set_str(addr, "rsync", d->rsync);
	set_str(addr, "ftp", d->ftp);
	json_object_set_new(o, "address", addr);
	set_str(o, "update_frequency", d->update_frequency);
	json_object_set_new(o, "update_seconds", json_integer(d->update_seconds));
	set_str(o, "sponsor", d->sponsor);
	set_str(o, "sponsor_url", d->sponsor_url);
	set_str(o, "email", d->email);
	set_str(geo, "country", d->country);
	set_str(geo, "state_province", d->state_province);
	set_str(geo, "city", d->city);
	json_object_set_new(o, "geolocation", geo);
	json_object_set_new(o, "private", json_boolean(d->is_private));
	json_object_set_new(o, "monopoly", json_boolean(d->monopoly));
	for (size_t i = 0; i < d->n_asn; i++)
		json_array_append_new(asn, json_integer((json_int_t)d->asn[i]));
	json_object_set_new(o, "asn", asn);
	for (size_t i = 0; i < d->n_subnets; i++)
		json_array_append_new(subnets, cidr_json(&d->subnets[i]));
	json_object_set_new(o, "subnets", subnets);
	set_str(o, "cloud_type", d->cloud_type);
	for (size_t i = 0; i < d->n_cloud_regions; i++)
		json_array_append_new(regions, json_string(d->cloud_regions[i]));
	json_object_set_new(o, "cloud_regions", regions);
	json_object_set_new(o, "bandwidth", json_integer((json_int_t)d->bandwidth));
	return o;
}
