/*
 * service.h: the metalink/mirrorlist HTTP handlers (service.c).
 */
#ifndef Q_MIRROR_SERVICE_H
#define Q_MIRROR_SERVICE_H

struct q_request;

/* Answer GET /metalink or /mirrorlist; -1 when the path is neither. */
int q_mirror_handle(struct q_request *r);

#endif
