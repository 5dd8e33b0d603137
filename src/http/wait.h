/*
 * wait.h: server-side waiting (long-polls) on the hub's event loops.
 *
 * Events. A hub-wide counter per topic (tasks queued, a build changed, a
 * task's log grew, a build's checks changed) is bumped after the commit
 * that changes it, from any thread (an event-loop thread or a background
 * one such as the checker). Counters live in a fixed table of slots
 * hashed from (topic, id): two topics may share a slot, which only wakes
 * a waiter for nothing (it looks again and waits again); memory does not
 * grow with the number of builds. A version is the slot's counter plus a
 * hub-wide one (q_event_bump_all).
 *
 * Held requests. A handler that has nothing new to say reads the version
 * of its topic BEFORE it looks at the database, and when it finds nothing
 * calls q_wait_hold with that version instead of answering: the request
 * is parked on its loop (no thread blocks) and the handler runs again, on
 * that loop, when the version moves (a bump after a commit the handler
 * could not have seen), when the wait ends (then q_wait_hold refuses and
 * the handler answers with what it has), or when the hub stops. A bump
 * wakes every loop through an h2o_multithread queue (a pipe the loop
 * watches); a per-loop timer (Q_WAIT_TICK_MS) ends waits and notices
 * clients that went away (they are answered at once, which closes the
 * connection). A request freed by h2o for any reason unlinks itself (a
 * destructor in its memory pool).
 *
 * Limits: a wait is at most Q_WAIT_MAX_SECONDS; at most Q_WAIT_MAX_HELD
 * requests are held in the whole hub; beyond that q_wait_hold answers 503
 * (code "io", Retry-After: 1) itself.
 */
#ifndef Q_HTTP_WAIT_H
#define Q_HTTP_WAIT_H

#include <h2o.h>
#include <stdint.h>

struct q_hub;
struct q_request;

#define Q_WAIT_MAX_SECONDS 30
#define Q_WAIT_MAX_HELD 1024
#define Q_WAIT_TICK_MS 100

enum q_topic {
	Q_TOPIC_TASKS = 1, /* a task became claimable (id 0) */
	Q_TOPIC_BUILD,     /* build id or one of its tasks changed state */
	Q_TOPIC_LOG,       /* task id's log grew, or the task changed state */
	Q_TOPIC_CHECKS,    /* a check of build id was queued, started or ended */
};

uint64_t q_event_version(enum q_topic topic, int64_t id);
/* After the commit; any thread. */
void q_event_bump(enum q_topic topic, int64_t id);
/* Every topic at once (a change whose builds are not known one by one). */
void q_event_bump_all(void);

/* A handler, as the route table holds them. */
typedef void (*q_wait_fn)(struct q_request *r, const char **caps);

/*
 * Hold r until topic/id's version differs from version, then run
 * fn(r, caps) again. seconds: the wait the client asked for (clamped to
 * Q_WAIT_MAX_SECONDS), counted from the first hold of this request.
 * Returns 1 when held (the handler must not answer), 0 when the wait is
 * over or was not asked for (the handler answers now), -1 when it answered
 * 503 itself (too many held requests).
 */
int q_wait_hold(struct q_request *r, q_wait_fn fn, const char **caps, enum q_topic topic,
		int64_t id, uint64_t version, int64_t seconds);

/* "wait" from the query: 0 when absent; -1 with err when malformed. */
struct q_error;
int q_wait_query(struct q_request *r, int64_t *seconds, struct q_error *err);

/* Per event loop (http/server.c): set up on its thread's loop, and at stop
 * answer every held request and tear down, before the context goes. */
struct q_waitq;
struct q_waitq *q_waitq_create(h2o_loop_t *loop, struct q_hub *hub);
void q_waitq_release_all(struct q_waitq *q);
void q_waitq_destroy(struct q_waitq *q);
/* Held now in the whole hub (for /metrics and tests). */
long q_wait_held(void);
/* Held now for one API route (q_request.route). */
long q_wait_held_route(int route);

#endif
