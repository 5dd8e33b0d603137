/*
 * wait.c: see wait.h.
 */
#include "core/common.h"
#include "core/error.h"
#include "core/log.h"
#include "http/http.h"
#include "http/wait.h"
#include "hub/hub.h"

#include <pthread.h>
#include <sys/socket.h>
#include <time.h>

#define N_SLOTS 4096
#define MAX_LOOPS 256
#define MAX_CAPS 8

static atomic_uint_fast64_t slots[N_SLOTS];
static atomic_uint_fast64_t everything;
static atomic_long held;
#define MAX_ROUTES 256
static atomic_long held_by_route[MAX_ROUTES]; /* by q_request.route */

struct q_waitq {
	h2o_loop_t *loop;
	struct q_hub *hub;
	h2o_multithread_queue_t *queue;
	h2o_multithread_receiver_t receiver;
	h2o_multithread_message_t message; /* linked while pending is 1 */
	atomic_int pending;
	h2o_timeout_t tick;
	h2o_timeout_entry_t tick_entry;
	h2o_linklist_t waiters;
	int64_t last_peek_ms;
	int stopping;
};

struct q_waiter {
	h2o_linklist_t link; /* in q->waiters while held */
	struct q_waitq *q;
	struct q_request *r;
	q_wait_fn fn;
	const char *caps[MAX_CAPS];
	enum q_topic topic;
	int64_t id;
	uint64_t version;
	int64_t deadline_ms; /* monotonic; set by the first hold */
	int route;           /* r->route, for held_by_route */
	int expired;         /* the wait is over: q_wait_hold refuses */
};

/* Loops a bump must wake; registered once, on their own threads. */
static pthread_mutex_t loops_lock = PTHREAD_MUTEX_INITIALIZER;
static struct q_waitq *loops[MAX_LOOPS];
static int n_loops;

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static size_t slot_of(enum q_topic topic, int64_t id)
{
	uint64_t h = (uint64_t)id * 0x9E3779B97F4A7C15ull ^ (uint64_t)topic * 0xC2B2AE3D27D4EB4Full;

	h ^= h >> 29;
	return (size_t)(h % N_SLOTS);
}

uint64_t q_event_version(enum q_topic topic, int64_t id)
{
	return atomic_load(&slots[slot_of(topic, id)]) + atomic_load(&everything);
}

static void wake_loops(void)
{
	pthread_mutex_lock(&loops_lock);
	for (int i = 0; i < n_loops; i++) {
		struct q_waitq *q = loops[i];
		int zero = 0;

		if (q && atomic_compare_exchange_strong(&q->pending, &zero, 1))
			h2o_multithread_send_message(&q->receiver, &q->message);
	}
	pthread_mutex_unlock(&loops_lock);
}

void q_event_bump(enum q_topic topic, int64_t id)
{
	atomic_fetch_add(&slots[slot_of(topic, id)], 1);
	wake_loops();
}

void q_event_bump_all(void)
{
	atomic_fetch_add(&everything, 1);
	wake_loops();
}

long q_wait_held(void)
{
	return atomic_load(&held);
}

static void tick_arm(struct q_waitq *q)
{
	if (!h2o_timeout_is_linked(&q->tick_entry) && !h2o_linklist_is_empty(&q->waiters))
		h2o_timeout_link(q->loop, &q->tick, &q->tick_entry);
}

static void unhold(struct q_waiter *w)
{
	if (h2o_linklist_is_linked(&w->link)) {
		h2o_linklist_unlink(&w->link);
		atomic_fetch_sub(&held, 1);
		atomic_fetch_sub(&held_by_route[w->route], 1);
	}
}

long q_wait_held_route(int route)
{
	return route >= 0 && route < MAX_ROUTES ? atomic_load(&held_by_route[route]) : 0;
}

/* The request's pool is being freed (answered and done, or the connection
 * closed under it): never touch it again. */
static void on_waiter_dispose(void *p)
{
	struct q_waiter *w = p;

	unhold(w);
}

/* Run the handler again; it answers, or holds again. */
static void rerun(struct q_waiter *w)
{
	struct q_request *r = w->r;
	int status;

	w->fn(r, w->caps);
	status = r->req->res.status;
	if (!h2o_linklist_is_linked(&w->link) && status / 100 >= 1 && status / 100 <= 5)
		atomic_fetch_add(&r->hub->metrics.requests[status / 100], 1);
}

/* Move the waiters for which pick() holds out of q->waiters, then run them:
 * a handler may hold again (relinking into q->waiters) while we go. */
static void run_picked(struct q_waitq *q, int (*pick)(struct q_waiter *, int64_t), int64_t now)
{
	h2o_linklist_t ready;

	h2o_linklist_init_anchor(&ready);
	for (h2o_linklist_t *l = q->waiters.next, *next; l != &q->waiters; l = next) {
		struct q_waiter *w = H2O_STRUCT_FROM_MEMBER(struct q_waiter, link, l);

		next = l->next;
		if (!pick(w, now))
			continue;
		unhold(w);
		h2o_linklist_insert(&ready, &w->link);
	}
	while (!h2o_linklist_is_empty(&ready)) {
		struct q_waiter *w = H2O_STRUCT_FROM_MEMBER(struct q_waiter, link, ready.next);

		h2o_linklist_unlink(&w->link);
		rerun(w);
	}
	tick_arm(q);
}

static int pick_moved(struct q_waiter *w, int64_t now)
{
	(void)now;
	return q_event_version(w->topic, w->id) != w->version;
}

/* The client closed its side: a read would see the end of the stream. */
static int client_gone(struct q_request *r)
{
	h2o_conn_t *conn = r->req->conn;
	h2o_socket_t *sock;
	char c;
	ssize_t n;

	if (!conn->callbacks->get_socket || !(sock = conn->callbacks->get_socket(conn)))
		return 0;
	n = recv(h2o_socket_get_fd(sock), &c, 1, MSG_PEEK | MSG_DONTWAIT);
	return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
}

static int pick_over(struct q_waiter *w, int64_t now)
{
	if (w->q->stopping || now >= w->deadline_ms ||
	    (now - w->q->last_peek_ms >= 1000 && client_gone(w->r))) {
		w->expired = 1;
		return 1;
	}
	return 0;
}

static void on_tick(h2o_timeout_entry_t *e)
{
	struct q_waitq *q = H2O_STRUCT_FROM_MEMBER(struct q_waitq, tick_entry, e);
	int64_t now = now_ms();

	run_picked(q, pick_over, now);
	if (now - q->last_peek_ms >= 1000)
		q->last_peek_ms = now;
}

static void on_message(h2o_multithread_receiver_t *rcv, h2o_linklist_t *messages)
{
	struct q_waitq *q = H2O_STRUCT_FROM_MEMBER(struct q_waitq, receiver, rcv);

	while (!h2o_linklist_is_empty(messages))
		h2o_linklist_unlink(messages->next);
	atomic_store(&q->pending, 0);
	run_picked(q, pick_moved, 0);
}

int q_wait_hold(struct q_request *r, q_wait_fn fn, const char **caps, enum q_topic topic,
		int64_t id, uint64_t version, int64_t seconds)
{
	struct q_waitq *q = r->wq;
	struct q_waiter *w = r->waiter;
	struct q_error err = {0};

	if (!q || q->stopping || seconds <= 0 || (w && w->expired))
		return 0;
	if (seconds > Q_WAIT_MAX_SECONDS)
		seconds = Q_WAIT_MAX_SECONDS;
	if (!w) {
		if (atomic_load(&held) >= Q_WAIT_MAX_HELD) {
			q_error_set(&err, Q_EIO,
				    "the hub holds %d waiting requests already; try again",
				    Q_WAIT_MAX_HELD);
			h2o_add_header(&r->req->pool, &r->req->res.headers, H2O_TOKEN_RETRY_AFTER,
				       NULL, H2O_STRLIT("1"));
			q_http_send_error_status(r, 503, &err);
			return -1;
		}
		w = h2o_mem_alloc_shared(&r->req->pool, sizeof(*w), on_waiter_dispose);
		memset(w, 0, sizeof(*w));
		w->q = q;
		w->r = r;
		w->deadline_ms = now_ms() + seconds * 1000;
		w->route = r->route > 0 && r->route < MAX_ROUTES ? r->route : 0;
		r->waiter = w;
	}
	if (now_ms() >= w->deadline_ms)
		return 0;
	w->fn = fn;
	for (size_t i = 0; i < MAX_CAPS; i++)
		w->caps[i] = caps ? caps[i] : NULL;
	w->topic = topic;
	w->id = id;
	w->version = version;
	h2o_linklist_insert(&q->waiters, &w->link);
	atomic_fetch_add(&held, 1);
	atomic_fetch_add(&held_by_route[w->route], 1);
	tick_arm(q);
	/* A bump between the caller's read of the version and now: go again. */
	if (q_event_version(topic, id) != version) {
		int zero = 0;

		if (atomic_compare_exchange_strong(&q->pending, &zero, 1))
			h2o_multithread_send_message(&q->receiver, &q->message);
	}
	return 1;
}

int q_wait_query(struct q_request *r, int64_t *seconds, struct q_error *err)
{
	char v[16];
	char *end;
	int found = q_query_get(r->query, r->query_len, "wait", v, sizeof(v), err);

	*seconds = 0;
	if (found <= 0)
		return found;
	errno = 0;
	*seconds = strtoll(v, &end, 10);
	if (errno || *end || end == v || *seconds < 0)
		return q_error_set(err, Q_EINVAL, "wait '%s' must be a number of seconds", v);
	if (*seconds > Q_WAIT_MAX_SECONDS)
		*seconds = Q_WAIT_MAX_SECONDS;
	return 0;
}

struct q_waitq *q_waitq_create(h2o_loop_t *loop, struct q_hub *hub)
{
	struct q_waitq *q = calloc(1, sizeof(*q));

	if (!q)
		return NULL;
	q->loop = loop;
	q->hub = hub;
	q->queue = h2o_multithread_create_queue(loop);
	h2o_multithread_register_receiver(q->queue, &q->receiver, on_message);
	h2o_timeout_init(loop, &q->tick, Q_WAIT_TICK_MS);
	q->tick_entry.cb = on_tick;
	h2o_linklist_init_anchor(&q->waiters);
	q->last_peek_ms = now_ms();
	pthread_mutex_lock(&loops_lock);
	if (n_loops < MAX_LOOPS)
		loops[n_loops++] = q;
	pthread_mutex_unlock(&loops_lock);
	return q;
}

void q_waitq_release_all(struct q_waitq *q)
{
	if (!q)
		return;
	q->stopping = 1;
	run_picked(q, pick_over, now_ms());
}

void q_waitq_destroy(struct q_waitq *q)
{
	if (!q)
		return;
	pthread_mutex_lock(&loops_lock);
	for (int i = 0; i < n_loops; i++)
		if (loops[i] == q)
			loops[i] = NULL;
	pthread_mutex_unlock(&loops_lock);
	/* Waiters left now belong to requests whose pools are still alive
	 * (the connection could not be closed): drop them from our list. */
	while (!h2o_linklist_is_empty(&q->waiters))
		unhold(H2O_STRUCT_FROM_MEMBER(struct q_waiter, link, q->waiters.next));
	if (h2o_timeout_is_linked(&q->tick_entry))
		h2o_timeout_unlink(&q->tick_entry);
	h2o_timeout_dispose(q->loop, &q->tick);
	/* No thread sends any more (loops_lock above): a wakeup not yet
	 * delivered is dropped here, on the loop's own thread. */
	if (h2o_linklist_is_linked(&q->message.link))
		h2o_linklist_unlink(&q->message.link);
	h2o_multithread_unregister_receiver(q->queue, &q->receiver);
	h2o_multithread_destroy_queue(q->queue);
	free(q);
}
