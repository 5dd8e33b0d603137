/*
 * service.h: the metalink/mirrorlist service (service.c): what the hub and
 * `quarry mirrorlist --snapshot FILE` share.
 */
#ifndef Q_MIRROR_SERVICE_H
#define Q_MIRROR_SERVICE_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "mirror/mirrordef.h"
#include "mirror/snapshot.h"

struct q_config;
struct q_error;
struct q_geoip;
struct q_request;

struct q_mirror_service {
	struct q_snapshot_holder snap; /* what answers come from */
	struct q_geoip *geo;           /* NULL when no GeoIP data is configured */
	struct q_cidr *trusted;        /* mirror.trusted_proxies */
	size_t n_trusted;
	size_t max;                 /* mirror.max_mirrors */
	atomic_uint_fast64_t seq;   /* requests answered: part of each answer's seed */
	atomic_uint_fast64_t count; /* metalink and mirrorlist answers (any status) */
};

/* GeoIP data and trusted proxies from cfg (svc zeroed, or with only its
 * holder initialised); a configured file that cannot be read is an error (a
 * missing tor table at its default path is a warning). */
int q_mirror_service_init(struct q_mirror_service *svc, const struct q_config *cfg,
			  struct q_error *err);
void q_mirror_service_release(struct q_mirror_service *svc);

/* Answer GET /metalink or /mirrorlist; -1 when the path is neither. */
int q_mirror_handle(struct q_request *r, struct q_mirror_service *svc);

#endif
