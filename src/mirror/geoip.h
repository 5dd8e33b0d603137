/*
 * geoip.h: client address → country code and autonomous system number.
 *
 * Two kinds of data, any subset of which may be configured:
 * - MaxMind-format .mmdb files read with libmaxminddb: a country database
 *   (the lookup path "country_code" of the @ip-location-db packages first,
 *   then MaxMind's "country.iso_code") and an ASN database
 *   ("autonomous_system_number");
 * - the Debian tor-geoipdb text tables (/usr/share/tor/geoip,
 *   /usr/share/tor/geoip6), used for the country when no .mmdb answers.
 *
 * A handle is read-only after q_geoip_open, so lookups may run from any
 * number of threads at once without locking.
 */
#ifndef Q_GEOIP_H
#define Q_GEOIP_H

#include <stddef.h>
#include <stdint.h>

struct q_error;
struct q_geoip;

/* Largest tor table accepted (the Debian IPv6 table is about 16 MB). */
#define Q_GEOIP_TOR_MAX_BYTES (128u * 1024 * 1024)

/*
 * Open the given files; any path may be NULL (then that source is absent).
 * A tor table line that does not parse ("LOW,HIGH,CC", LOW <= HIGH, CC two
 * letters or "??") is skipped and counted (q_geoip_malformed). Overlapping
 * ranges are kept; a lookup then finds one of them. Returns NULL with err
 * filled when a named file cannot be read or is not a valid database.
 * Free with q_geoip_free.
 */
struct q_geoip *q_geoip_open(const char *country_mmdb, const char *asn_mmdb, const char *tor_v4,
			     const char *tor_v6, struct q_error *err);
void q_geoip_free(struct q_geoip *g);

/* Number of tor table lines skipped because they were malformed. */
size_t q_geoip_malformed(const struct q_geoip *g);
/* Number of ranges loaded from the tor tables (v4, v6). */
void q_geoip_tor_counts(const struct q_geoip *g, size_t *n_v4, size_t *n_v6);

/*
 * Look up an IPv4 or IPv6 literal (an IPv4-mapped IPv6 address is looked
 * up as IPv4). cc gets the upper-case country code or "" when unknown;
 * asn (may be NULL) gets the ASN or 0 when unknown. Returns 0, or -1 when
 * ip is not an address literal (cc "" and asn 0 then too).
 */
int q_geoip_lookup(const struct q_geoip *g, const char *ip, char cc[3], int64_t *asn);

/*
 * The continent of an ISO 3166-1 alpha-2 code (case-insensitive): one of
 * "AF", "AN", "AS", "EU", "NA", "OC", "SA" — a static string — or NULL for
 * an unknown code. Covers every assigned code plus XK (Kosovo), which
 * GeoIP data uses. Data in continents.c.
 */
const char *q_continent_of(const char *cc);

#endif
