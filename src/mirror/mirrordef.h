/*
 * mirrordef.h: mirror definitions in the AlmaLinux mirrors.d/NAME.yml schema
 * (docs: domain.md, "Mirror definitions"). A pure module: it reads YAML
 * text (or a directory of files) and returns validated structs; it touches
 * no database and no network.
 *
 * The schema: upstream's (AlmaLinux/mirrors json_schemas/mirror_config/v1.json,
 * read with PyYAML's safe_load), so that every file upstream's check accepts
 * is accepted here with the meaning upstream gives it. docs/MIRRORS.md, "The
 * definition file", has the rules for operators. In short:
 *   - refused (errors), as upstream refuses them: a missing name, address,
 *     update_frequency, sponsor or sponsor_url; a value of the wrong YAML
 *     type (a list where a string is expected, a quoted asn, a private that
 *     is not a YAML 1.1 boolean); broken YAML; more than one document;
 *   - refused although upstream accepts them, because Quarry cannot use
 *     the mirror otherwise: a name that is not a host name (it is the
 *     mirror's identity), an address with no http, https or rsync URL that
 *     Quarry can read; and the safety limits below;
 *   - interpreted or left out, with a warning: a URL whose scheme is not
 *     its key's (it goes where its scheme says), an address without a
 *     scheme (the key's), rsync's host::module forms and user information,
 *     a sponsor_url without a scheme (https://), a country written as a
 *     name or "UK", frequencies like "3 hours", bad email, subnets, asn
 *     numbers out of range, bandwidth, monopoly without private, keys not
 *     in the schema (ignored; address_optional among them), a key given
 *     twice (the last value is used).
 * Stored forms: name lower-cased; address URLs with a lower-case scheme and
 * a final '/'; country an ISO 3166-1 alpha-2 code, upper-case; update_seconds
 * 0 when the frequency is not understood. bandwidth (Mbit/s, default 100) is
 * a Quarry extension.
 * An optional field whose value is empty or null ("email:", "city: ~") is
 * treated as absent; a required one is an error.
 *
 * Limits (everything here comes from mirror admins): a file is at most
 * 1 MiB, a string at most 1024 bytes, a list or mapping at most 1000
 * entries, nesting at most 8 levels, 100000 values (scalars, lists and
 * mappings) in all, one YAML document per file. Anchors, aliases and
 * merge keys (`<<: *a`, `<<: [*a, *b]`) are read as PyYAML reads them:
 * an alias is a copy of its anchor's node, every copied value counted
 * against the 100000 (an alias bomb stops there), an alias without an
 * anchor before it or inside its own anchor's node is an error. The
 * standard tags safe_load knows are read on their own kind of node
 * (!!str and '!' make a scalar a string; !!int, !!bool, !!float, !!null,
 * !!map, !!seq change nothing); other tags are refused.
 *
 * Errors: q_mirrordef_parse reports every error of a file, not just the
 * first, one line each, sorted by position (warnings have the same form):
 *     FILE:LINE:COL: 'field': message
 * LINE and COL are 1-based, from libyaml's marks (COL counts characters).
 * The field is a path: 'address.https', 'geolocation.country', 'asn[2]'.
 * A missing field is reported at its mapping's position, an unknown or
 * duplicate key at the key, a bad value at the value. Broken YAML stops the
 * parse: one line with libyaml's problem text and position, no field.
 * At most Q_MIRRORDEF_MAX_ERRORS lines are written per file (then one line
 * saying how many more there were); the return value counts them all.
 */
#ifndef Q_MIRRORDEF_H
#define Q_MIRRORDEF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>
#include <jansson.h>

#include "core/error.h"

#define Q_MIRRORDEF_MAX_FILE (1024 * 1024)
#define Q_MIRRORDEF_MAX_STRING 1024
#define Q_MIRRORDEF_MAX_LIST 1000
#define Q_MIRRORDEF_MAX_DEPTH 8
#define Q_MIRRORDEF_MAX_ERRORS 100
/* The bandwidth field (Mbit/s): its default and its largest value. */
#define Q_MIRRORDEF_BANDWIDTH 100
#define Q_MIRRORDEF_MAX_BANDWIDTH 1000000

/* An IPv4 or IPv6 network. */
struct q_cidr {
	int family;             /* AF_INET or AF_INET6 */
	unsigned char addr[16]; /* network address, 4 or 16 bytes used; host bits zero */
	int prefix;             /* 0..32 (AF_INET) or 0..128 (AF_INET6) */
};

/* Longest q_cidr_format output, with the NUL: an IPv6 address and "/128". */
#define Q_CIDR_STRLEN (46 + 4)

/*
 * Parse "147.251.0.0/16" or "2001:718:801::/48". A bare address is a host
 * network (/32 or /128). Refused, with the reason alone in err->msg
 * (optional; e.g. "prefix length 33 is out of range 0..32"): host bits
 * set ("147.251.1.0/16": the message suggests the network meant), a prefix
 * out of range, with a sign, leading zeros or missing after '/', spaces,
 * anything inet_pton refuses (IPv4 with leading zeros, short forms), an
 * IPv4-mapped or zone-indexed IPv6 ("fe80::1%eth0"). Returns 0 or -1.
 */
int q_cidr_parse(const char *s, struct q_cidr *out, struct q_error *err);

/* Write "ADDR/PREFIX" into buf (at least Q_CIDR_STRLEN bytes). Returns buf. */
char *q_cidr_format(const struct q_cidr *c, char *buf, size_t size);

/*
 * Whether addr (4 bytes for AF_INET, 16 for AF_INET6) is inside c. An
 * address of the other family is never inside (no IPv4-mapped matching).
 */
bool q_cidr_contains(const struct q_cidr *c, int family, const unsigned char *addr);

/*
 * One mirror. Strings are g_malloc'ed and NUL-terminated; NULL when an
 * optional field is absent. Released with q_mirrordef_release.
 */
struct q_mirror_def {
	char *file;    /* source file name, as given to the parser */
	int line;      /* line of the document's top mapping (1-based) */
	int name_line; /* position of the name's value, for messages */
	int name_col;
	char *name;             /* host name, lower-cased */
	char *http;             /* address.http, ending in '/', or NULL */
	char *https;            /* address.https, ending in '/', or NULL */
	char *rsync;            /* address.rsync, ending in '/', or NULL */
	char *ftp;              /* address.ftp, ending in '/', or NULL */
	char *update_frequency; /* as written, e.g. "2h" */
	int64_t update_seconds; /* the same in seconds */
	char *sponsor;
	char *sponsor_url;
	char *email;          /* or NULL */
	char *country;        /* ISO 3166-1 alpha-2, upper case, or NULL */
	char *state_province; /* or NULL */
	char *city;           /* or NULL */
	bool is_private;      /* "private": only for clients matched by subnet/ASN */
	bool monopoly;        /* those clients get this mirror only */
	uint32_t *asn;        /* n_asn entries */
	size_t n_asn;
	struct q_cidr *subnets; /* n_subnets entries */
	size_t n_subnets;
	char *cloud_type;     /* or NULL */
	char **cloud_regions; /* n_cloud_regions entries */
	size_t n_cloud_regions;
	uint32_t
	    bandwidth; /* Mbit/s, 1..Q_MIRRORDEF_MAX_BANDWIDTH; default Q_MIRRORDEF_BANDWIDTH */
};

/*
 * Parse one file's text (len bytes, need not be NUL-terminated; file is
 * the name used in messages and stored in out; NULL means "<input>").
 * Returns the number of errors, 0 when out is a valid definition. Error
 * lines are appended to errors (may be NULL). out is always initialised:
 * on errors it is left empty (all zero), so q_mirrordef_release is always
 * safe.
 */
int q_mirrordef_parse(const char *file, const char *text, size_t len, struct q_mirror_def *out,
		      GString *errors);

/*
 * The same, also appending the file's warnings to warnings (may be NULL),
 * one line each in the error format, sorted by position: the values that
 * were interpreted ("UK" read as GB) or left out. A file with warnings and
 * no errors is a valid definition.
 */
int q_mirrordef_parse_warn(const char *file, const char *text, size_t len, struct q_mirror_def *out,
			   GString *errors, GString *warnings);

/*
 * Parse every *.yml and *.yaml regular file of dir (hidden files skipped),
 * in strcmp order of names; messages name files as "DIR/NAME". A name
 * defined in two files is an error in the second, naming the first.
 * Returns the total number of errors. With 0, *out is a g_malloc'ed array
 * of *n definitions (free with q_mirrordef_free_array); otherwise *out is
 * NULL and *n is 0: import nothing.
 */
int q_mirrordef_load_dir(const char *dir, struct q_mirror_def **out, size_t *n, GString *errors);

/* Free what d holds and zero it (d itself is not freed). NULL is fine. */
void q_mirrordef_release(struct q_mirror_def *d);

/* Release n definitions and free the array. */
void q_mirrordef_free_array(struct q_mirror_def *defs, size_t n);

/*
 * The definition as a JSON object with the schema's keys (absent optional
 * strings omitted, and so is a sponsor_url that was left out; asn, subnets
 * and cloud_regions always arrays; update_frequency as written plus
 * update_seconds, 0 when it was not understood; bandwidth always, 100 when
 * the file had none). New reference; NULL only when out of memory.
 */
json_t *q_mirrordef_to_json(const struct q_mirror_def *d);

#endif
