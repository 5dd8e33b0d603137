/*
 * geoip.c: country and ASN lookups from .mmdb files (libmaxminddb) and
 * from the Debian tor-geoipdb text tables.
 *
 * The tor tables are parsed once into arrays of ranges sorted by their low
 * address; a lookup is a binary search for the last range starting at or
 * below the address, then a check of its high end. Nothing is written after
 * q_geoip_open returns, which is what makes lookups thread-safe; libmaxminddb
 * lookups on an opened MMDB_s are read-only too.
 */
#include "core/common.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <maxminddb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "core/error.h"
#include "mirror/geoip.h"

#define TOR_LINE_MAX 256

struct range4 {
	uint32_t lo, hi; /* inclusive, host order */
	char cc[3];      /* upper case; "" for "??" */
};

struct range6 {
	uint8_t lo[16], hi[16]; /* inclusive, network order (memcmp order) */
	char cc[3];
};

struct q_geoip {
	MMDB_s country;    /* valid when has_country */
	bool has_country;  /* country .mmdb opened */
	MMDB_s asn;        /* valid when has_asn */
	bool has_asn;      /* ASN .mmdb opened */
	struct range4 *v4; /* sorted by lo */
	size_t n4;         /* entries in v4 */
	struct range6 *v6; /* sorted by lo */
	size_t n6;         /* entries in v6 */
	size_t malformed;  /* tor lines skipped */
};

/* "CC" (two letters, upper-cased into out) or "??" (out = ""). */
static int parse_cc(const char *s, char out[3])
{
	size_t n = strlen(s);

	while (n > 0 && (s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	if (n == 2 && s[0] == '?' && s[1] == '?') {
		out[0] = '\0';
		return 0;
	}
	if (n != 2 || !isalpha((unsigned char)s[0]) || !isalpha((unsigned char)s[1]))
		return -1;
	out[0] = (char)toupper((unsigned char)s[0]);
	out[1] = (char)toupper((unsigned char)s[1]);
	out[2] = '\0';
	return 0;
}

static int parse_u32(const char *s, uint32_t *out)
{
	char *end;
	unsigned long long v;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v > UINT32_MAX)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

/* Split "A,B,C" in place into three fields; -1 unless exactly three. */
static int split3(char *line, char **a, char **b, char **c)
{
	char *p1 = strchr(line, ','), *p2;

	if (!p1)
		return -1;
	p2 = strchr(p1 + 1, ',');
	if (!p2 || strchr(p2 + 1, ','))
		return -1;
	*p1 = *p2 = '\0';
	*a = line;
	*b = p1 + 1;
	*c = p2 + 1;
	return 0;
}

static int parse_line4(char *line, struct range4 *r)
{
	char *a, *b, *c;

	if (split3(line, &a, &b, &c) < 0 || parse_u32(a, &r->lo) < 0 || parse_u32(b, &r->hi) < 0 ||
	    r->lo > r->hi || parse_cc(c, r->cc) < 0)
		return -1;
	return 0;
}

static int parse_line6(char *line, struct range6 *r)
{
	char *a, *b, *c;
	struct in6_addr lo, hi;

	if (split3(line, &a, &b, &c) < 0 || inet_pton(AF_INET6, a, &lo) != 1 ||
	    inet_pton(AF_INET6, b, &hi) != 1 || memcmp(&lo, &hi, 16) > 0 || parse_cc(c, r->cc) < 0)
		return -1;
	memcpy(r->lo, &lo, 16);
	memcpy(r->hi, &hi, 16);
	return 0;
}

static int cmp4(const void *a, const void *b)
{
	const struct range4 *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

static int cmp6(const void *a, const void *b)
{
	const struct range6 *x = a, *y = b;

	return memcmp(x->lo, y->lo, 16);
}

/*
 * Load one tor table into *arr (elements of elsize bytes, parsed by
 * parse_line). Lines that start with '#' and blank lines are skipped
 * silently; lines that do not parse, or are longer than TOR_LINE_MAX,
 * are counted in g->malformed.
 */
static int load_tor(struct q_geoip *g, const char *path, bool v6, struct q_error *err)
{
	FILE *f = fopen(path, "re");
	struct stat st;
	char line[TOR_LINE_MAX + 2];
	size_t n = 0, cap = 0, elsize = v6 ? sizeof(struct range6) : sizeof(struct range4);
	char *arr = NULL;
	bool overlong = false;
	int ret = -1;

	if (!f)
		return q_error_set(err, Q_EIO, "cannot open geoip table '%s': %s", path,
				   strerror(errno));
	if (fstat(fileno(f), &st) < 0 || !S_ISREG(st.st_mode)) {
		q_error_set(err, Q_EIO, "geoip table '%s' is not a regular file", path);
		goto out;
	}
	if ((uint64_t)st.st_size > Q_GEOIP_TOR_MAX_BYTES) {
		q_error_set(err, Q_ETOOBIG, "geoip table '%s' is larger than %u bytes", path,
			    Q_GEOIP_TOR_MAX_BYTES);
		goto out;
	}
	while (fgets(line, sizeof(line), f)) {
		size_t len = strlen(line);
		bool complete = len > 0 && line[len - 1] == '\n';

		if (overlong) {
			/* The rest of a line already counted as malformed. */
			overlong = !complete;
			continue;
		}
		if (!complete && !feof(f)) {
			g->malformed++;
			overlong = true;
			continue;
		}
		if (complete)
			line[--len] = '\0';
		if (len > 0 && line[len - 1] == '\r')
			line[--len] = '\0';
		if (len == 0 || line[0] == '#')
			continue;
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 4096;
			char *p = realloc(arr, ncap * elsize);

			if (!p) {
				q_error_set(err, Q_EINTERNAL, "out of memory loading '%s'", path);
				goto out;
			}
			arr = p;
			cap = ncap;
		}
		if ((v6 ? parse_line6(line, (struct range6 *)(void *)(arr + n * elsize))
			: parse_line4(line, (struct range4 *)(void *)(arr + n * elsize))) < 0) {
			g->malformed++;
			continue;
		}
		n++;
	}
	if (ferror(f)) {
		q_error_set(err, Q_EIO, "cannot read geoip table '%s'", path);
		goto out;
	}
	qsort(arr, n, elsize, v6 ? cmp6 : cmp4);
	if (v6) {
		g->v6 = (struct range6 *)(void *)arr;
		g->n6 = n;
	} else {
		g->v4 = (struct range4 *)(void *)arr;
		g->n4 = n;
	}
	arr = NULL;
	ret = 0;
out:
	free(arr);
	fclose(f);
	return ret;
}

static int open_mmdb(const char *path, MMDB_s *db, struct q_error *err)
{
	int rc = MMDB_open(path, MMDB_MODE_MMAP, db);

	if (rc != MMDB_SUCCESS) {
		if (rc == MMDB_FILE_OPEN_ERROR || rc == MMDB_IO_ERROR)
			return q_error_set(err, Q_EIO, "cannot open geoip database '%s': %s", path,
					   strerror(errno));
		return q_error_set(err, Q_EINVAL, "geoip database '%s' is not valid: %s", path,
				   MMDB_strerror(rc));
	}
	return 0;
}

struct q_geoip *q_geoip_open(const char *country_mmdb, const char *asn_mmdb, const char *tor_v4,
			     const char *tor_v6, struct q_error *err)
{
	struct q_geoip *g = calloc(1, sizeof(*g));

	if (!g) {
		q_error_set(err, Q_EINTERNAL, "out of memory");
		return NULL;
	}
	if (country_mmdb) {
		if (open_mmdb(country_mmdb, &g->country, err) < 0)
			goto fail;
		g->has_country = true;
	}
	if (asn_mmdb) {
		if (open_mmdb(asn_mmdb, &g->asn, err) < 0)
			goto fail;
		g->has_asn = true;
	}
	if (tor_v4 && load_tor(g, tor_v4, false, err) < 0)
		goto fail;
	if (tor_v6 && load_tor(g, tor_v6, true, err) < 0)
		goto fail;
	return g;
fail:
	q_geoip_free(g);
	return NULL;
}

void q_geoip_free(struct q_geoip *g)
{
	if (!g)
		return;
	if (g->has_country)
		MMDB_close(&g->country);
	if (g->has_asn)
		MMDB_close(&g->asn);
	free(g->v4);
	free(g->v6);
	free(g);
}

size_t q_geoip_malformed(const struct q_geoip *g)
{
	return g->malformed;
}

void q_geoip_tor_counts(const struct q_geoip *g, size_t *n_v4, size_t *n_v6)
{
	if (n_v4)
		*n_v4 = g->n4;
	if (n_v6)
		*n_v6 = g->n6;
}

static const char *find4(const struct q_geoip *g, uint32_t ip)
{
	size_t lo = 0, hi = g->n4;

	/* First index whose lo is > ip; the candidate is the one before. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (g->v4[mid].lo <= ip)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0 || ip > g->v4[lo - 1].hi)
		return "";
	return g->v4[lo - 1].cc;
}

static const char *find6(const struct q_geoip *g, const uint8_t ip[16])
{
	size_t lo = 0, hi = g->n6;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (memcmp(g->v6[mid].lo, ip, 16) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0 || memcmp(ip, g->v6[lo - 1].hi, 16) > 0)
		return "";
	return g->v6[lo - 1].cc;
}

/* The country from an .mmdb entry: ip-location-db's path, then MaxMind's. */
static void mmdb_country(MMDB_entry_s *e, char cc[3])
{
	MMDB_entry_data_s d;

	if ((MMDB_get_value(e, &d, "country_code", NULL) != MMDB_SUCCESS || !d.has_data ||
	     d.type != MMDB_DATA_TYPE_UTF8_STRING) &&
	    (MMDB_get_value(e, &d, "country", "iso_code", NULL) != MMDB_SUCCESS || !d.has_data ||
	     d.type != MMDB_DATA_TYPE_UTF8_STRING))
		return;
	if (d.data_size == 2 && isalpha((unsigned char)d.utf8_string[0]) &&
	    isalpha((unsigned char)d.utf8_string[1])) {
		cc[0] = (char)toupper((unsigned char)d.utf8_string[0]);
		cc[1] = (char)toupper((unsigned char)d.utf8_string[1]);
		cc[2] = '\0';
	}
}

static int64_t mmdb_asn(MMDB_entry_s *e)
{
	MMDB_entry_data_s d;

	if (MMDB_get_value(e, &d, "autonomous_system_number", NULL) != MMDB_SUCCESS || !d.has_data)
		return 0;
	switch (d.type) {
	case MMDB_DATA_TYPE_UINT32:
		return d.uint32;
	case MMDB_DATA_TYPE_UINT16:
		return d.uint16;
	case MMDB_DATA_TYPE_UINT64:
		return d.uint64 > INT64_MAX ? 0 : (int64_t)d.uint64;
	case MMDB_DATA_TYPE_INT32:
		return d.int32 > 0 ? d.int32 : 0;
	default:
		return 0;
	}
}

static bool mmdb_find(const MMDB_s *db, const struct sockaddr *sa, MMDB_entry_s *e)
{
	int mmerr = 0;
	MMDB_lookup_result_s r = MMDB_lookup_sockaddr(db, sa, &mmerr);

	if (mmerr != MMDB_SUCCESS || !r.found_entry)
		return false;
	*e = r.entry;
	return true;
}

int q_geoip_lookup(const struct q_geoip *g, const char *ip, char cc[3], int64_t *asn)
{
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	struct sockaddr_in sin = {.sin_family = AF_INET};
	struct sockaddr_in6 sin6 = {.sin6_family = AF_INET6};
	const struct sockaddr *sa;
	MMDB_entry_s e;
	bool is_v4;

	cc[0] = '\0';
	if (asn)
		*asn = 0;
	if (inet_pton(AF_INET, ip, &sin.sin_addr) == 1) {
		is_v4 = true;
	} else if (inet_pton(AF_INET6, ip, &sin6.sin6_addr) == 1) {
		is_v4 = memcmp(sin6.sin6_addr.s6_addr, mapped, 12) == 0;
		if (is_v4)
			memcpy(&sin.sin_addr, sin6.sin6_addr.s6_addr + 12, 4);
	} else {
		return -1;
	}
	sa = is_v4 ? (const struct sockaddr *)&sin : (const struct sockaddr *)&sin6;

	if (g->has_country && mmdb_find(&g->country, sa, &e))
		mmdb_country(&e, cc);
	if (!cc[0]) {
		const char *t =
		    is_v4 ? find4(g, ntohl(sin.sin_addr.s_addr)) : find6(g, sin6.sin6_addr.s6_addr);

		memcpy(cc, t, strlen(t) + 1);
	}
	if (asn && g->has_asn && mmdb_find(&g->asn, sa, &e))
		*asn = mmdb_asn(&e);
	return 0;
}
