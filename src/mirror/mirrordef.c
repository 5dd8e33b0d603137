/*
 * mirrordef.c: the mirror definition loader (mirrors.d/NAME.yml, the AlmaLinux
 * schema); the schema, the limits and the error format are in mirrordef.h.
 *
 * DESIGN: libyaml's event API builds a small tree of our own (struct node)
 * rather than its document API, because the events show anchors, aliases
 * and tags (aliases are copied, counted) and let the builder bound everything as it
 * goes: strings are kept up to the limit plus one byte, lists and mappings
 * stop growing at the limit (and remember that they overflowed), nesting
 * past the limit becomes one placeholder node. The validator then walks the
 * tree with the schema, reporting every error it finds with the node's
 * mark; errors are collected, sorted by position and written at the end.
 * The validator gives a file the meaning upstream's check gives it (PyYAML
 * safe_load, the JSON schema): what upstream accepts but Quarry must
 * interpret or leave out is a warning, collected and written the same way;
 * only what upstream refuses (and the few refusals mirrordef.h lists) is an
 * error.
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
	GArray *warns;    /* of struct perr: values interpreted or left out */
	unsigned nw;      /* warnings found */
};

static void perr_clear(gpointer p)
{
	g_free(((struct perr *)p)->text);
}

/* One "FILE:LINE:COL: 'field': message" line (field may be NULL) into list. */
static void add_line(struct ctx *c, GArray *list, unsigned *count, yaml_mark_t m, const char *field,
		     const char *fmt, va_list ap)
{
	struct perr e;
	char *msg = g_strdup_vprintf(fmt, ap);

	e.line = m.line + 1;
	e.col = m.column + 1;
	e.seq = (*count)++;
	if (field)
		e.text =
		    g_strdup_printf("%s:%zu:%zu: '%s': %s", c->file, e.line, e.col, field, msg);
	else
		e.text = g_strdup_printf("%s:%zu:%zu: %s", c->file, e.line, e.col, msg);
	g_free(msg);
	g_array_append_val(list, e);
}

/* An error: the file is refused. */
static void add_err(struct ctx *c, yaml_mark_t m, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void add_err(struct ctx *c, yaml_mark_t m, const char *field, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	add_line(c, c->errs, &c->n, m, field, fmt, ap);
	va_end(ap);
}

/* A warning: a value was interpreted or left out; the file is accepted. */
static void add_warn(struct ctx *c, yaml_mark_t m, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void add_warn(struct ctx *c, yaml_mark_t m, const char *field, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	add_line(c, c->warns, &c->nw, m, field, fmt, ap);
	va_end(ap);
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

static void flush_lines(struct ctx *c, GArray *list, const char *what, GString *out)
{
	g_array_sort(list, perr_cmp);
	for (guint i = 0; out && i < list->len; i++) {
		struct perr *e = &g_array_index(list, struct perr, i);

		if (i == Q_MIRRORDEF_MAX_ERRORS) {
			g_string_append_printf(out, "%s: %u more %s not shown\n", c->file,
					       list->len - i, what);
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
	bool open;          /* N_SEQ/N_MAP: still being built (an alias to it would recurse) */
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

/* Add kid to parent; false (kid freed) when parent is full. */
static bool node_add(struct node *parent, struct node *kid)
{
	size_t lim = parent->type == N_MAP ? 2 * Q_MIRRORDEF_MAX_LIST : Q_MIRRORDEF_MAX_LIST;

	if (parent->n >= lim) {
		parent->overflow = true;
		node_free(kid);
		return false;
	}
	if (parent->n == parent->cap) {
		parent->cap = parent->cap ? parent->cap * 2 : 8;
		parent->kids = g_renew(struct node *, parent->kids, parent->cap);
	}
	parent->kids[parent->n++] = kid;
	return true;
}

struct builder {
	struct ctx *c;
	struct node *root;
	struct node *stack[Q_MIRRORDEF_MAX_DEPTH];
	int depth;           /* collections open on stack */
	int skip;            /* collections open past the depth limit */
	int docs;            /* documents seen */
	size_t nodes;        /* nodes built so far (an alias counts every node it copies) */
	bool full;           /* MIRRORDEF_MAX_NODES reached: nothing more is built */
	GHashTable *anchors; /* anchor name -> node of the tree (borrowed) */
	GPtrArray *dropped;  /* nodes taken out of the tree (merges), freed at the end */
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

/* Put n in the tree; false (n freed) when it is not kept. */
static bool insert(struct builder *b, struct node *n)
{
	if (b->skip > 0 || b->docs > 1) {
		node_free(n);
		return false;
	}
	if (b->depth == 0) {
		if (b->root)
			node_free(b->root);
		b->root = n;
		return true;
	}
	return node_add(b->stack[b->depth - 1], n);
}

/* Remember n (kept in the tree) under anchor, as PyYAML does: a later
 * anchor of the same name replaces an earlier one. */
static void set_anchor(struct builder *b, const yaml_char_t *anchor, struct node *n)
{
	if (anchor && n)
		g_hash_table_replace(b->anchors, g_strdup((const char *)anchor), n);
}

/*
 * The tags PyYAML's safe_load resolves, on a node of the right kind: a
 * scalar tagged !!str (or the non-specific '!') is a string, !!int, !!bool,
 * !!float and !!null leave the value to the schema's reading; !!map and
 * !!seq on their own kind change nothing. Others are refused. Returns
 * false after reporting.
 */
static bool apply_tag(struct builder *b, yaml_mark_t m, const yaml_char_t *tag, enum ntype type,
		      struct node *n)
{
	static const char *const plain_tags[] = {"int", "bool", "float", "null"};
	const char *t = (const char *)tag, *std = "tag:yaml.org,2002:";
	char buf[SHOW_SIZE];

	if (!t)
		return true;
	if (type == N_SCALAR && (!strcmp(t, "!") || !strcmp(t, "tag:yaml.org,2002:str"))) {
		if (n)
			n->plain = false;
		return true;
	}
	if (!strncmp(t, std, strlen(std))) {
		const char *k = t + strlen(std);

		for (size_t i = 0; type == N_SCALAR && i < Q_ARRAY_LEN(plain_tags); i++)
			if (!strcmp(k, plain_tags[i]))
				return true;
		if ((type == N_MAP && !strcmp(k, "map")) || (type == N_SEQ && !strcmp(k, "seq")))
			return true;
	}
	add_err(b->c, m, NULL, "explicit tag '%s' not allowed here", show(buf, t, strlen(t)));
	return false;
}

/* Start a list or mapping; returns its node when it is kept in the tree. */
static struct node *start_collection(struct builder *b, enum ntype type, yaml_mark_t m)
{
	struct node *n;

	if (!take_node(b, m)) {
		b->skip++;
		return NULL;
	}
	if (b->skip > 0 || b->depth == Q_MIRRORDEF_MAX_DEPTH) {
		if (b->skip++ == 0 && b->docs <= 1) {
			add_err(b->c, m, NULL, "nesting deeper than %d levels",
				Q_MIRRORDEF_MAX_DEPTH);
			insert(b, node_new(N_BAD, m));
		}
		return NULL;
	}
	n = node_new(type, m);
	if (!insert(b, n)) {
		b->skip++; /* its contents have nowhere to go */
		return NULL;
	}
	if (b->docs > 1) {
		b->skip++; /* contents of later documents are ignored */
		return NULL;
	}
	n->open = true;
	b->stack[b->depth++] = n;
	return n;
}

static bool is_merge_key(const struct node *k)
{
	return k->type == N_SCALAR && k->plain && k->len == 2 && !strcmp(k->value, "<<");
}

/* Whether map (pairs [0, upto)) has a key with k's scalar value. */
static bool has_key(const struct node *map, size_t upto, const struct node *k)
{
	for (size_t i = 0; i + 1 < upto; i += 2)
		if (map->kids[i]->type == N_SCALAR && k->type == N_SCALAR &&
		    map->kids[i]->len == k->len && !strcmp(map->kids[i]->value, k->value) &&
		    !is_merge_key(map->kids[i]))
			return true;
	return false;
}

static struct node *copy_counted(struct builder *b, const struct node *n, yaml_mark_t m);

/* Copy the pairs of src that map (and what was merged before) lacks into out. */
static void merge_from(struct builder *b, struct node *map, const struct node *src, GPtrArray *out)
{
	for (size_t i = 0; i + 1 < src->n; i += 2) {
		const struct node *k = src->kids[i];
		bool dup = has_key(map, map->n, k);
		struct node *ck, *cv;

		for (size_t j = 0; !dup && j + 1 < out->len; j += 2) {
			const struct node *o = out->pdata[j];

			dup = o->type == N_SCALAR && k->type == N_SCALAR && o->len == k->len &&
			      !strcmp(o->value, k->value);
		}
		if (dup)
			continue;
		ck = copy_counted(b, k, k->mark);
		cv = ck ? copy_counted(b, src->kids[i + 1], src->kids[i + 1]->mark) : NULL;
		if (!cv) {
			node_free(ck);
			return;
		}
		g_ptr_array_add(out, ck);
		g_ptr_array_add(out, cv);
	}
}

/*
 * YAML 1.1 merge keys, as PyYAML reads them: `<<: *a` (a mapping) or
 * `<<: [*a, *b]` (mappings, the first one's keys winning) adds the pairs
 * whose keys the mapping does not have itself. The merged pairs come
 * first, so the mapping's own keys keep their places.
 */
static void apply_merges(struct builder *b, struct node *map)
{
	GPtrArray *merged = g_ptr_array_new();
	size_t w = 0;
	bool any = false;

	for (size_t i = 0; i + 1 < map->n; i += 2) {
		struct node *v = map->kids[i + 1];

		if (!is_merge_key(map->kids[i]))
			continue;
		any = true;
		if (v->type == N_MAP) {
			merge_from(b, map, v, merged);
		} else if (v->type == N_SEQ) {
			for (size_t j = 0; j < v->n; j++)
				if (v->kids[j]->type == N_MAP)
					merge_from(b, map, v->kids[j], merged);
				else
					add_err(b->c, v->kids[j]->mark, NULL,
						"a merge ('<<') takes mappings only");
		} else if (v->type != N_BAD) {
			add_err(b->c, v->mark, NULL,
				"a merge ('<<') takes a mapping or a list of mappings");
		}
	}
	if (!any) {
		g_ptr_array_free(merged, TRUE);
		return;
	}
	/* Drop the << pairs, then put the merged pairs in front. */
	for (size_t i = 0; i + 1 < map->n; i += 2) {
		if (is_merge_key(map->kids[i])) {
			/* Kept until the end: an anchor may point into them. */
			g_ptr_array_add(b->dropped, map->kids[i]);
			g_ptr_array_add(b->dropped, map->kids[i + 1]);
			continue;
		}
		map->kids[w++] = map->kids[i];
		map->kids[w++] = map->kids[i + 1];
	}
	map->n = w;
	if (map->n + merged->len > map->cap) {
		map->cap = map->n + merged->len;
		map->kids = g_renew(struct node *, map->kids, map->cap);
	}
	if (merged->len) {
		memmove(map->kids + merged->len, map->kids, map->n * sizeof(*map->kids));
		memcpy(map->kids, merged->pdata, merged->len * sizeof(*map->kids));
		map->n += merged->len;
	}
	g_ptr_array_free(merged, TRUE);
}

static void end_collection(struct builder *b)
{
	if (b->skip > 0) {
		b->skip--;
	} else if (b->depth > 0) {
		struct node *n = b->stack[--b->depth];

		n->open = false;
		if (n->type == N_MAP)
			apply_merges(b, n);
	}
}

static int height(const struct node *n)
{
	int h = 0;

	for (size_t i = 0; i < n->n; i++)
		h = MAX(h, height(n->kids[i]));
	return (n->type == N_SEQ || n->type == N_MAP) ? h + 1 : h;
}

/* A copy of n, every node of it counted; NULL when the file has too many. */
static struct node *copy_counted(struct builder *b, const struct node *n, yaml_mark_t m)
{
	struct node *c;

	if (!take_node(b, m))
		return NULL;
	c = node_new(n->type, n->mark);
	c->len = n->len;
	c->plain = n->plain;
	c->overflow = n->overflow;
	if (n->value) {
		c->value = g_malloc(MIN(n->len, (size_t)Q_MIRRORDEF_MAX_STRING + 1) + 1);
		memcpy(c->value, n->value, MIN(n->len, (size_t)Q_MIRRORDEF_MAX_STRING + 1) + 1);
	}
	if (n->n) {
		c->kids = g_new0(struct node *, n->n);
		c->cap = n->n;
	}
	for (size_t i = 0; i < n->n; i++) {
		struct node *k = n->kids[i] ? copy_counted(b, n->kids[i], m) : NULL;

		if (!k) {
			node_free(c);
			return NULL;
		}
		c->kids[c->n++] = k;
	}
	return c;
}

/* *NAME: a copy of the anchored node, bounded like everything else. */
static void alias(struct builder *b, const yaml_char_t *name, yaml_mark_t m)
{
	const struct node *target;
	struct node *c;
	char buf[SHOW_SIZE];

	if (b->skip > 0 || b->docs > 1)
		return;
	target = g_hash_table_lookup(b->anchors, name);
	if (!target || target->open) {
		add_err(b->c, m, NULL,
			target ? "alias '*%s' refers to a node that contains it"
			       : "alias '*%s' has no anchor before it",
			show(buf, (const char *)name, strlen((const char *)name)));
		if (take_node(b, m))
			insert(b, node_new(N_BAD, m));
		return;
	}
	if (b->depth + height(target) > Q_MIRRORDEF_MAX_DEPTH) {
		add_err(b->c, m, NULL, "nesting deeper than %d levels", Q_MIRRORDEF_MAX_DEPTH);
		insert(b, node_new(N_BAD, m));
		return;
	}
	c = copy_counted(b, target, m);
	if (c) {
		c->mark = m; /* messages about the copy point at the alias */
		insert(b, c);
	} else {
		insert(b, node_new(N_BAD, m));
	}
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
	b.anchors = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	b.dropped = g_ptr_array_new_with_free_func((GDestroyNotify)node_free);
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
			alias(&b, ev.data.alias.anchor, ev.start_mark);
			break;
		case YAML_SCALAR_EVENT:
			if (b.skip > 0 || b.docs > 1)
				break;
			if (!apply_tag(&b, ev.start_mark, ev.data.scalar.tag, N_SCALAR, NULL) ||
			    !take_node(&b, ev.start_mark)) {
				insert(&b, node_new(N_BAD, ev.start_mark));
				break;
			}
			n = node_new(N_SCALAR, ev.start_mark);
			n->len = ev.data.scalar.length;
			n->value = g_strndup((const char *)ev.data.scalar.value,
					     MIN(n->len, (size_t)Q_MIRRORDEF_MAX_STRING + 1));
			/* g_strndup stops at a NUL; keep the bytes, NULs included. */
			memcpy(n->value, ev.data.scalar.value,
			       MIN(n->len, (size_t)Q_MIRRORDEF_MAX_STRING + 1));
			n->plain = ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
			apply_tag(&b, ev.start_mark, ev.data.scalar.tag, N_SCALAR, n);
			if (insert(&b, n))
				set_anchor(&b, ev.data.scalar.anchor, n);
			break;
		case YAML_SEQUENCE_START_EVENT:
			n = start_collection(&b, N_SEQ, ev.start_mark);
			if (n &&
			    !apply_tag(&b, ev.start_mark, ev.data.sequence_start.tag, N_SEQ, n))
				n->type = N_BAD; /* its items are kept, then freed with it */
			set_anchor(&b, ev.data.sequence_start.anchor, n);
			break;
		case YAML_MAPPING_START_EVENT:
			n = start_collection(&b, N_MAP, ev.start_mark);
			if (n && !apply_tag(&b, ev.start_mark, ev.data.mapping_start.tag, N_MAP, n))
				n->type = N_BAD;
			set_anchor(&b, ev.data.mapping_start.anchor, n);
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
	g_hash_table_destroy(b.anchors);
	g_ptr_array_free(b.dropped, TRUE);
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
 * Notes for keys the upstream schema does not name but real files carry:
 * they are accepted and ignored, with this warning instead of the generic
 * one.
 */
static const struct {
	const char *key;
	const char *note;
} known_extras[] = {
    {"address_optional",
     "optional addresses are not used by Quarry (not crawled, not listed); ignored"},
    {"address_options", "not used by Quarry; ignored"},
    {"continent", "not used by Quarry (the continent comes from the country); ignored"},
};

/*
 * Match map's keys against keys[nkeys]: vals[i] and keynodes[i] get the
 * value and key of keys[i] (NULL when absent). As PyYAML reads a mapping,
 * a key given twice takes its last value (a warning); a key the schema
 * does not name is ignored (a warning: a typo must not pass silently); a
 * key that is a list or mapping is an error. prefix ("address") names
 * nested fields.
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
		const char *note = "unknown key, ignored";
		size_t j;

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
		for (j = i + 2; j + 1 < map->n; j += 2) {
			const struct node *o = map->kids[j];

			if (o->type == N_SCALAR && o->len == k->len &&
			    memcmp(o->value, k->value,
				   MIN(k->len, (size_t)Q_MIRRORDEF_MAX_STRING + 1)) == 0)
				break;
		}
		if (j + 1 < map->n) {
			add_warn(c, k->mark, field,
				 "duplicate key: this value is replaced by the one at line %zu, "
				 "column %zu (the last one is used)",
				 map->kids[j]->mark.line + 1, map->kids[j]->mark.column + 1);
			continue;
		}
		for (j = 0; j < nkeys; j++)
			if (scalar_is(k, keys[j]))
				break;
		if (j == nkeys) {
			for (size_t x = 0; x < Q_ARRAY_LEN(known_extras); x++)
				if (scalar_is(k, known_extras[x].key))
					note = known_extras[x].note;
			add_warn(c, k->mark, field, "%s", note);
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
 * Check the URL s. want is the scheme it must have ("https"), or NULL for
 * "http or https". A mirror address (address = true) has no query or
 * fragment and gets a final '/' if it has none. Returns the URL with its
 * scheme lower-cased (g_malloc'ed), or NULL with the reason in *why.
 */
static char *url_norm(const char *in, const char *want, bool address, const char **why)
{
	char *s = g_strdup(in), *sep, *auth, *end, *out;
	size_t slen = strlen(s);

	sep = strstr(s, "://");
	if (!sep) {
		*why = "it is not a URL (no 'SCHEME://')";
		goto bad;
	}
	*sep = '\0';
	if (want ? g_ascii_strcasecmp(s, want) != 0
		 : g_ascii_strcasecmp(s, "http") != 0 && g_ascii_strcasecmp(s, "https") != 0) {
		*why = want ? "it has another scheme" : "it is not an http or https URL";
		goto bad;
	}
	/* Schemes compare without case (RFC 3986); stored lower-case. */
	for (char *p = s; p < sep; p++)
		*p = g_ascii_tolower(*p);
	*sep = ':';
	auth = sep + 3;
	end = auth + strcspn(auth, "/?#");
	if (address && strpbrk(auth, "?#")) {
		*why = "a mirror URL has no query or fragment";
		goto bad;
	}
	if (strpbrk(s, " \"<>\\^`{|}")) {
		*why = "it contains a character not allowed in a URL";
		goto bad;
	}
	*why = authority_problem(auth, (size_t)(end - auth));
	if (*why)
		goto bad;
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

static const char *const address_keys[] = {"http", "https", "rsync", "ftp"};

/* Index in address_keys of the scheme of URL s ("HTTPS://…" too), or -1. */
static int scheme_index(const char *s)
{
	const char *sep = strstr(s, "://");

	for (int i = 0; sep && i < 4; i++)
		if ((size_t)(sep - s) == strlen(address_keys[i]) &&
		    g_ascii_strncasecmp(s, address_keys[i], (size_t)(sep - s)) == 0)
			return i;
	return -1;
}

/* Whether [s, end) is a host name alone (no '/', ':' or '[': not "[::1]"). */
static bool plain_host_before(const char *s, const char *end)
{
	for (const char *p = s; p < end; p++)
		if (*p == '/' || *p == ':' || *p == '[' || *p == ']')
			return false;
	return true;
}

/*
 * The address under address.KEY (key: index in address_keys), read as
 * upstream's mirrors do: a URL without a scheme gets the key's ("host/x"
 * under rsync: rsync://host/x/), rsync's "host::module/x" and
 * "rsync://host::module/x" become rsync://host/module/x/, user
 * information is dropped. Each such reading is a warning. *scheme is the
 * index of the scheme the URL has (which may not be key's). NULL (with a
 * warning) when it cannot be read as a URL: the field is left out.
 */
static char *read_address(struct ctx *c, const struct node *n, int key, int *scheme)
{
	char field[32], buf[SHOW_SIZE], buf2[SHOW_SIZE];
	char *s, *t, *u, *at, *sep, *out;
	const char *why = NULL;
	bool changed;

	snprintf(field, sizeof(field), "address.%s", address_keys[key]);
	s = get_string(c, n, field);
	if (!s)
		return NULL;
	show(buf, s, strlen(s));
	t = g_strstrip(g_strdup(s));
	changed = strcmp(t, s) != 0;
	if (!strstr(t, "://")) {
		changed = true;
		char *dc = strstr(t, "::");

		if (dc && dc > t && plain_host_before(t, dc))
			u = g_strdup_printf("rsync://%.*s/%s", (int)(dc - t), t, dc + 2);
		else
			u = g_strdup_printf("%s://%s", address_keys[key], t);
		g_free(t);
		t = u;
	} else if (scheme_index(t) == 2) {
		char *host = strstr(t, "://") + 3;
		char *dc = strstr(host, "::");

		if (dc && dc > host && plain_host_before(host, dc)) {
			u = g_strdup_printf("%.*s/%s", (int)(dc - t), t, dc + 2);
			g_free(t);
			t = u;
			changed = true;
		}
	}
	/* User information: "rsync://user@host/x" → "rsync://host/x". */
	sep = strstr(t, "://");
	if (sep) {
		char *auth = sep + 3;

		at = memchr(auth, '@', strcspn(auth, "/?#"));
		if (at) {
			u = g_strdup_printf("%.*s%s", (int)(auth - t), t, at + 1);
			g_free(t);
			t = u;
			changed = true;
		}
	}
	*scheme = scheme_index(t);
	if (*scheme < 0) {
		add_warn(c, n->mark, field,
			 "'%s' is not an http, https, rsync or ftp URL; left out", buf);
		out = NULL;
	} else {
		out = url_norm(t, address_keys[*scheme], true, &why);
		if (!out)
			add_warn(c, n->mark, field, "'%s' is not a valid URL: %s; left out", buf,
				 why);
		else if (changed) /* not for a final '/' added or the scheme's case */
			add_warn(c, n->mark, field, "'%s' read as '%s'", buf,
				 show(buf2, out, strlen(out)));
	}
	g_free(t);
	g_free(s);
	return out;
}

/*
 * A boolean as PyYAML's safe_load reads a plain scalar (YAML 1.1): true,
 * yes, on and false, no, off, each in lower, Capitalised or UPPER case.
 * Anything else is an error (the upstream schema wants a boolean).
 */
static bool get_bool(struct ctx *c, const struct node *n, const char *field, bool *out)
{
	static const char *const yes[] = {"true", "True", "TRUE", "yes", "Yes",
					  "YES",  "on",   "On",   "ON"};
	static const char *const no[] = {"false", "False", "FALSE", "no", "No",
					 "NO",    "off",   "Off",   "OFF"};
	char buf[SHOW_SIZE];

	if (n->type == N_BAD)
		return false;
	if (n->type == N_SCALAR && n->plain) {
		for (size_t i = 0; i < Q_ARRAY_LEN(yes); i++) {
			if (scalar_is(n, yes[i])) {
				*out = true;
				return true;
			}
			if (scalar_is(n, no[i])) {
				*out = false;
				return true;
			}
		}
	}
	if (n->type == N_SCALAR)
		add_err(c, n->mark, field, "expected true or false, got '%s'",
			show(buf, n->value, n->len));
	else
		add_err(c, n->mark, field, "expected true or false, got %s", type_name(n));
	return false;
}

/*
 * A plain scalar as PyYAML reads a YAML 1.1 integer: an optional sign, then
 * decimal (no leading 0), 0b binary, 0 octal, 0x hex, or base 60 ("1:30"),
 * '_' allowed between digits. false when it is not one; one beyond
 * +-2^62 is read as +-2^62 (no AS number or bandwidth is that large).
 */
static bool yaml11_int(const char *s, size_t len, int64_t *out)
{
	const int64_t lim = (int64_t)1 << 62;
	int64_t v = 0, part = 0;
	bool neg = false, digit = false, big = false;
	int base = 10;
	size_t i = 0;

	if (len && (s[0] == '-' || s[0] == '+')) {
		neg = s[0] == '-';
		i++;
	}
	if (i + 1 < len && s[i] == '0' && (s[i + 1] == 'b' || s[i + 1] == 'x')) {
		base = s[i + 1] == 'b' ? 2 : 16;
		i += 2;
	} else if (i + 1 < len && s[i] == '0') {
		base = 8;
		i++;
	}
	for (; i < len; i++) {
		int d;

		if (s[i] == '_')
			continue;
		if (s[i] == ':' && base == 10 && digit) {
			/* base 60: the part so far is scaled by 60 on each ':' */
			if (v + part > lim / 60)
				big = true;
			else
				v = (v + part) * 60;
			part = 0;
			digit = false;
			continue;
		}
		if (g_ascii_isdigit(s[i]))
			d = s[i] - '0';
		else if (base == 16 && g_ascii_isxdigit(s[i]))
			d = g_ascii_xdigit_value(s[i]);
		else
			return false;
		if (d >= base)
			return false;
		if (part > (lim - d) / base)
			big = true;
		else
			part = part * base + d;
		digit = true;
	}
	if (!digit)
		return false;
	if (big || part > lim - v)
		v = lim;
	else
		v += part;
	*out = neg ? -v : v;
	return true;
}

/*
 * An AS number: a YAML integer (a string is an error, as upstream); one
 * outside 1..4294967295 is left out with a warning.
 */
static bool get_asn(struct ctx *c, const struct node *n, const char *field, uint32_t *out)
{
	char buf[SHOW_SIZE];
	int64_t v;

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
	if (!yaml11_int(n->value, MIN(n->len, (size_t)Q_MIRRORDEF_MAX_STRING), &v)) {
		add_err(c, n->mark, field, "'%s' is not an integer (an AS number is expected)",
			buf);
		return false;
	}
	if (v < 1 || v > (int64_t)UINT32_MAX) {
		add_warn(c, n->mark, field, "'%s' is not an AS number (1..4294967295); left out",
			 buf);
		return false;
	}
	*out = (uint32_t)v;
	return true;
}

/*
 * A bandwidth in Mbit/s (a Quarry key, which upstream's check does not
 * see): a YAML integer 1..Q_MIRRORDEF_MAX_BANDWIDTH; anything else is
 * left out (the default applies) with a warning.
 */
static bool get_bandwidth(struct ctx *c, const struct node *n, uint32_t *out)
{
	char buf[SHOW_SIZE];
	int64_t v;

	if (n->type == N_BAD)
		return false;
	if (n->type != N_SCALAR || !n->plain || !yaml11_int(n->value, n->len, &v) || v < 1 ||
	    v > Q_MIRRORDEF_MAX_BANDWIDTH) {
		if (n->type == N_SCALAR)
			add_warn(c, n->mark, "bandwidth",
				 "'%s' is not a bandwidth in Mbit/s (an integer 1..%d); the "
				 "default %d is used",
				 show(buf, n->value, n->len), Q_MIRRORDEF_MAX_BANDWIDTH,
				 Q_MIRRORDEF_BANDWIDTH);
		else
			add_warn(c, n->mark, "bandwidth",
				 "expected a number of Mbit/s, got %s; the default %d is used",
				 type_name(n), Q_MIRRORDEF_BANDWIDTH);
		return false;
	}
	*out = (uint32_t)v;
	return true;
}

/*
 * "30m", "2h", "1d", "1w", also with a space and the unit as a word ("3
 * hours", "1 day"): 1 minute .. 30 days, in seconds; -1 when not
 * understood. *canonical says whether it was written the short way.
 */
static int64_t parse_frequency(const char *s, bool *canonical)
{
	static const struct {
		const char *word;
		int64_t unit;
	} units[] = {
	    {"m", 60},       {"min", 60},     {"mins", 60},     {"minute", 60},
	    {"minutes", 60}, {"h", 3600},     {"hr", 3600},     {"hrs", 3600},
	    {"hour", 3600},  {"hours", 3600}, {"d", 86400},     {"day", 86400},
	    {"days", 86400}, {"w", 604800},   {"week", 604800}, {"weeks", 604800},
	};
	size_t digits = strspn(s, "0123456789");
	const char *u = s + digits;
	int64_t v = 0, unit = 0;

	*canonical = false;
	if (digits == 0 || digits > 7)
		return -1;
	while (*u == ' ')
		u++;
	for (size_t i = 0; i < Q_ARRAY_LEN(units); i++)
		if (g_ascii_strcasecmp(u, units[i].word) == 0)
			unit = units[i].unit;
	if (!unit)
		return -1;
	*canonical = u == s + digits && strlen(u) == 1 && g_ascii_islower(*u);
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

/*
 * Country names (and codes that are not ISO 3166-1 alpha-2) seen in
 * mirror definitions, with the code Quarry reads them as. Compared without
 * case, a leading "the " ignored.
 */
static const struct {
	const char *name;
	const char *cc;
} country_names[] = {
    {"UK", "GB"},
    {"United Kingdom", "GB"},
    {"Great Britain", "GB"},
    {"Britain", "GB"},
    {"England", "GB"},
    {"Scotland", "GB"},
    {"Wales", "GB"},
    {"Northern Ireland", "GB"},
    {"USA", "US"},
    {"United States", "US"},
    {"United States of America", "US"},
    {"America", "US"},
    {"Germany", "DE"},
    {"Deutschland", "DE"},
    {"Australia", "AU"},
    {"New Zealand", "NZ"},
    {"Canada", "CA"},
    {"Mexico", "MX"},
    {"Brazil", "BR"},
    {"Argentina", "AR"},
    {"Chile", "CL"},
    {"Colombia", "CO"},
    {"Ecuador", "EC"},
    {"Peru", "PE"},
    {"Uruguay", "UY"},
    {"Costa Rica", "CR"},
    {"Guatemala", "GT"},
    {"France", "FR"},
    {"Netherlands", "NL"},
    {"Holland", "NL"},
    {"Belgium", "BE"},
    {"Luxembourg", "LU"},
    {"Switzerland", "CH"},
    {"Austria", "AT"},
    {"Italy", "IT"},
    {"Spain", "ES"},
    {"Portugal", "PT"},
    {"Ireland", "IE"},
    {"Iceland", "IS"},
    {"Denmark", "DK"},
    {"Norway", "NO"},
    {"Sweden", "SE"},
    {"Finland", "FI"},
    {"Estonia", "EE"},
    {"Latvia", "LV"},
    {"Lithuania", "LT"},
    {"Poland", "PL"},
    {"Czech Republic", "CZ"},
    {"Czechia", "CZ"},
    {"Slovakia", "SK"},
    {"Slovenia", "SI"},
    {"Hungary", "HU"},
    {"Romania", "RO"},
    {"Bulgaria", "BG"},
    {"Greece", "GR"},
    {"Cyprus", "CY"},
    {"Malta", "MT"},
    {"Croatia", "HR"},
    {"Serbia", "RS"},
    {"Bosnia and Herzegovina", "BA"},
    {"Montenegro", "ME"},
    {"North Macedonia", "MK"},
    {"Albania", "AL"},
    {"Moldova", "MD"},
    {"Ukraine", "UA"},
    {"Belarus", "BY"},
    {"Russia", "RU"},
    {"Russian Federation", "RU"},
    {"Georgia", "GE"},
    {"Armenia", "AM"},
    {"Azerbaijan", "AZ"},
    {"Turkey", "TR"},
    {"T\xc3\xbcrkiye", "TR"},
    {"Israel", "IL"},
    {"Jordan", "JO"},
    {"Lebanon", "LB"},
    {"Iraq", "IQ"},
    {"Iran", "IR"},
    {"Saudi Arabia", "SA"},
    {"UAE", "AE"},
    {"United Arab Emirates", "AE"},
    {"Qatar", "QA"},
    {"Kuwait", "KW"},
    {"Bahrain", "BH"},
    {"Oman", "OM"},
    {"Egypt", "EG"},
    {"Morocco", "MA"},
    {"Tunisia", "TN"},
    {"Nigeria", "NG"},
    {"Kenya", "KE"},
    {"South Africa", "ZA"},
    {"Mauritius", "MU"},
    {"Kazakhstan", "KZ"},
    {"Uzbekistan", "UZ"},
    {"Mongolia", "MN"},
    {"India", "IN"},
    {"Pakistan", "PK"},
    {"Bangladesh", "BD"},
    {"Nepal", "NP"},
    {"Sri Lanka", "LK"},
    {"China", "CN"},
    {"Hong Kong", "HK"},
    {"Taiwan", "TW"},
    {"Japan", "JP"},
    {"South Korea", "KR"},
    {"Korea", "KR"},
    {"Republic of Korea", "KR"},
    {"Singapore", "SG"},
    {"Malaysia", "MY"},
    {"Indonesia", "ID"},
    {"Thailand", "TH"},
    {"Vietnam", "VN"},
    {"Viet Nam", "VN"},
    {"Cambodia", "KH"},
    {"Philippines", "PH"},
};

/* The ISO code Quarry reads the country name s as, or NULL. */
static const char *country_by_name(const char *s)
{
	if (g_ascii_strncasecmp(s, "the ", 4) == 0)
		s += 4;
	for (size_t i = 0; i < Q_ARRAY_LEN(country_names); i++)
		if (g_ascii_strcasecmp(s, country_names[i].name) == 0)
			return country_names[i].cc;
	return NULL;
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

/*
 * address: a mapping {http, https, rsync, ftp}. Each URL goes where its
 * scheme says (an https URL under http is the https address, a warning);
 * one whose place is taken by a URL given under its own key is left out.
 * A mirror needs an http, https or rsync address Quarry can use.
 */
static void check_address(struct ctx *c, const struct node *map, const struct node *key,
			  const struct node *val, struct q_mirror_def *d)
{
	const struct node *v[4], *k[4];
	char **slot[4] = {&d->http, &d->https, &d->rsync, &d->ftp};
	char *url[4] = {NULL, NULL, NULL, NULL};
	int scheme[4] = {-1, -1, -1, -1};

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
	for (int i = 0; i < 4; i++)
		if (v[i] && !is_empty(v[i]))
			url[i] = read_address(c, v[i], i, &scheme[i]);
	/* First the URLs under their own key, then the others where they fit. */
	for (int i = 0; i < 4; i++)
		if (url[i] && scheme[i] == i) {
			*slot[i] = url[i];
			url[i] = NULL;
		}
	for (int i = 0; i < 4; i++) {
		int s = scheme[i];

		if (!url[i])
			continue;
		if (*slot[s]) {
			char field[32];

			snprintf(field, sizeof(field), "address.%s", address_keys[i]);
			add_warn(c, v[i]->mark, field,
				 "an %s URL under '%s', and 'address.%s' is given too; left out",
				 address_keys[s], address_keys[i], address_keys[s]);
			g_free(url[i]);
		} else {
			char field[32];

			snprintf(field, sizeof(field), "address.%s", address_keys[i]);
			add_warn(c, v[i]->mark, field, "an %s URL under '%s': used as 'address.%s'",
				 address_keys[s], address_keys[i], address_keys[s]);
			*slot[s] = url[i];
		}
		url[i] = NULL;
	}
	if (!d->http && !d->https && !d->rsync)
		add_err(c, val->mark, "address",
			"no http, https or rsync URL Quarry can use (the mirror could not be "
			"checked or listed)");
}

static void check_country(struct ctx *c, const struct node *val, struct q_mirror_def *d)
{
	char buf[SHOW_SIZE];
	const char *named;
	char *cc = optional_string(c, val, "geolocation.country");

	if (!cc)
		return;
	show(buf, cc, strlen(cc));
	if (strlen(cc) == 2 && g_ascii_isalpha(cc[0]) && g_ascii_isalpha(cc[1])) {
		char up[3] = {g_ascii_toupper(cc[0]), g_ascii_toupper(cc[1]), '\0'};

		if (country_known(up)) {
			d->country = g_strdup(up);
			g_free(cc);
			return;
		}
	}
	named = country_by_name(cc);
	if (named) {
		add_warn(c, val->mark, "geolocation.country", "'%s' read as the country code '%s'",
			 buf, named);
		d->country = g_strdup(named);
	} else {
		add_warn(c, val->mark, "geolocation.country",
			 "'%s' is not an ISO 3166-1 country code or a country name Quarry knows; "
			 "left out (the mirror is in no country group)",
			 buf);
	}
	g_free(cc);
}

static void check_geolocation(struct ctx *c, const struct node *val, struct q_mirror_def *d)
{
	const struct node *v[3], *k[3];

	if (val->type == N_BAD)
		return;
	if (val->type != N_MAP) {
		add_err(c, val->mark, "geolocation", "expected a mapping, got %s", type_name(val));
		return;
	}
	collect(c, val, "geolocation", geo_keys, 3, v, k);
	if (v[0])
		check_country(c, v[0], d);
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

/* One network of subnets (item i, or the single string when i < 0). */
static void add_subnet(struct ctx *c, const struct node *n, long i, struct q_mirror_def *d)
{
	char field[32], buf[SHOW_SIZE];
	struct q_error err;
	char *s;

	if (i < 0)
		snprintf(field, sizeof(field), "subnets");
	else
		snprintf(field, sizeof(field), "subnets[%ld]", i);
	s = get_string(c, n, field);
	if (!s)
		return;
	if (q_cidr_parse(s, &d->subnets[d->n_subnets], &err) < 0)
		add_warn(c, n->mark, field, "'%s' is not a network: %s; left out",
			 show(buf, s, strlen(s)), err.msg);
	else
		d->n_subnets++;
	g_free(s);
}

/* subnets: a list of networks, or (as upstream allows) one network as a string. */
static void check_subnets(struct ctx *c, const struct node *val, struct q_mirror_def *d)
{
	const struct node *list;

	if (val->type == N_SCALAR) {
		d->subnets = g_new0(struct q_cidr, 1);
		add_subnet(c, val, -1, d);
		return;
	}
	list = get_list(c, val, "subnets");
	if (!list)
		return;
	d->subnets = g_new0(struct q_cidr, list->n + 1);
	for (size_t i = 0; i < list->n; i++)
		add_subnet(c, list->kids[i], (long)i, d);
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
			add_warn(c, list->kids[i]->mark, field, "empty region; left out");
			continue;
		}
		s = get_string(c, list->kids[i], field);
		if (s)
			d->cloud_regions[d->n_cloud_regions++] = s;
	}
}

/* sponsor_url: an http(s) URL; one without a scheme gets https:// (a warning). */
static void check_sponsor_url(struct ctx *c, const struct node *root, const struct node *key,
			      const struct node *val, struct q_mirror_def *d)
{
	char buf[SHOW_SIZE], buf2[SHOW_SIZE];
	char *s = required_string(c, root, key, val, "sponsor_url"), *t;
	const char *why = NULL;

	if (!s)
		return;
	show(buf, s, strlen(s));
	t = g_strstrip(g_strdup(s));
	if (!strstr(t, "://")) {
		char *u = g_strconcat("https://", t, NULL);

		g_free(t);
		t = u;
	}
	d->sponsor_url = url_norm(t, NULL, false, &why);
	if (!d->sponsor_url)
		add_warn(c, val->mark, "sponsor_url",
			 "'%s' is not an http or https URL: %s; left out", buf, why);
	else if (strcmp(t, s) != 0)
		add_warn(c, val->mark, "sponsor_url", "'%s' read as '%s'", buf,
			 show(buf2, d->sponsor_url, strlen(d->sponsor_url)));
	g_free(t);
	g_free(s);
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
		bool canonical;

		show(buf, d->update_frequency, strlen(d->update_frequency));
		d->update_seconds = parse_frequency(d->update_frequency, &canonical);
		if (d->update_seconds < 0) {
			add_warn(c, v[K_UPDATE_FREQUENCY]->mark, "update_frequency",
				 "'%s' is not understood as a frequency (a number and a unit m, "
				 "h, d or w, 1m to 30d); kept as written, without a number of "
				 "seconds",
				 buf);
			d->update_seconds = 0;
		} else if (!canonical) {
			add_warn(c, v[K_UPDATE_FREQUENCY]->mark, "update_frequency",
				 "'%s' read as %" PRId64 " seconds", buf, d->update_seconds);
		}
	}
	d->sponsor = required_string(c, root, k[K_SPONSOR], v[K_SPONSOR], "sponsor");
	check_sponsor_url(c, root, k[K_SPONSOR_URL], v[K_SPONSOR_URL], d);
	if (v[K_EMAIL]) {
		d->email = optional_string(c, v[K_EMAIL], "email");
		if (d->email) {
			const char *at = strchr(d->email, '@');

			if (!at || at == d->email || !at[1] || strchr(at + 1, '@') ||
			    strchr(d->email, ' ')) {
				add_warn(c, v[K_EMAIL]->mark, "email",
					 "'%s' is not an email address; left out",
					 show(buf, d->email, strlen(d->email)));
				g_free(d->email);
				d->email = NULL;
			}
		}
	}
	if (v[K_GEOLOCATION] && !is_empty(v[K_GEOLOCATION]))
		check_geolocation(c, v[K_GEOLOCATION], d);
	if (v[K_PRIVATE] && !is_empty(v[K_PRIVATE]))
		get_bool(c, v[K_PRIVATE], "private", &d->is_private);
	if (v[K_MONOPOLY] && !is_empty(v[K_MONOPOLY])) {
		/* Not in the upstream schema's properties: a bad value is left out. */
		const struct node *m = v[K_MONOPOLY];

		if (m->type == N_SCALAR && m->plain &&
		    (scalar_is(m, "true") || scalar_is(m, "True") || scalar_is(m, "TRUE") ||
		     scalar_is(m, "yes") || scalar_is(m, "Yes") || scalar_is(m, "YES") ||
		     scalar_is(m, "on") || scalar_is(m, "On") || scalar_is(m, "ON")))
			d->monopoly = true;
		else if (!(m->type == N_SCALAR && m->plain &&
			   (scalar_is(m, "false") || scalar_is(m, "False") ||
			    scalar_is(m, "FALSE") || scalar_is(m, "no") || scalar_is(m, "No") ||
			    scalar_is(m, "NO") || scalar_is(m, "off") || scalar_is(m, "Off") ||
			    scalar_is(m, "OFF"))))
			add_warn(c, m->mark, "monopoly",
				 "expected true or false; left out (false)");
		if (d->monopoly && !d->is_private) {
			add_warn(c, m->mark, "monopoly",
				 "'monopoly: true' without 'private: true' has no effect; read as "
				 "false");
			d->monopoly = false;
		}
	}
	if (v[K_ASN] && !is_empty(v[K_ASN]))
		check_asn(c, v[K_ASN], d);
	if (v[K_SUBNETS] && !is_empty(v[K_SUBNETS]))
		check_subnets(c, v[K_SUBNETS], d);
	if (v[K_CLOUD_TYPE])
		d->cloud_type = optional_string(c, v[K_CLOUD_TYPE], "cloud_type");
	if (v[K_CLOUD_REGIONS] && !is_empty(v[K_CLOUD_REGIONS])) {
		check_regions(c, v[K_CLOUD_REGIONS], d);
		if (!d->cloud_type)
			add_warn(c, k[K_CLOUD_REGIONS]->mark, "cloud_regions",
				 "'cloud_regions' without 'cloud_type' has no effect");
	}
	d->bandwidth = Q_MIRRORDEF_BANDWIDTH;
	if (v[K_BANDWIDTH] && !is_empty(v[K_BANDWIDTH]))
		get_bandwidth(c, v[K_BANDWIDTH], &d->bandwidth);
}

/* -------------------------------------------------------------- API */

int q_mirrordef_parse_warn(const char *file, const char *text, size_t len, struct q_mirror_def *out,
			   GString *errors, GString *warnings)
{
	struct ctx c = {.file = file ? file : "<input>"};
	struct node *root = NULL;
	int n;

	memset(out, 0, sizeof(*out));
	c.errs = g_array_new(FALSE, FALSE, sizeof(struct perr));
	g_array_set_clear_func(c.errs, perr_clear);
	c.warns = g_array_new(FALSE, FALSE, sizeof(struct perr));
	g_array_set_clear_func(c.warns, perr_clear);
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
	flush_lines(&c, c.errs, "errors", errors);
	flush_lines(&c, c.warns, "warnings", warnings);
	n = (int)MIN(c.n, (unsigned)INT_MAX);
	g_array_free(c.errs, TRUE);
	g_array_free(c.warns, TRUE);
	if (n)
		q_mirrordef_release(out);
	return n;
}

int q_mirrordef_parse(const char *file, const char *text, size_t len, struct q_mirror_def *out,
		      GString *errors)
{
	return q_mirrordef_parse_warn(file, text, len, out, errors, NULL);
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
