/*
 * bgthread.h: a hub background thread that sleeps until it is woken, a
 * deadline passes, or the hub stops (the crawler and the checker).
 */
#ifndef Q_BGTHREAD_H
#define Q_BGTHREAD_H

#include <glib.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

struct q_error;

struct q_bgthread {
	pthread_t tid;
	GMutex lock;
	GCond cond;
	bool stop;
	bool wake;
	volatile int cancel; /* set by q_bgthread_stop: long work checks it */
};

/* Start fn(arg) on a new thread. It starts as woken (work queued before a
 * restart runs at once). what names the thread in the error. */
int q_bgthread_start(struct q_bgthread *t, void *(*fn)(void *), void *arg, const char *what,
		     struct q_error *err);
void q_bgthread_wake(struct q_bgthread *t);
/* Ask the thread to stop (stop and cancel), wait for it, release t. */
void q_bgthread_stop(struct q_bgthread *t);
/* In the thread: sleep until woken, stopped or until seconds have passed.
 * Clears the wake. Returns false when the thread must stop. */
bool q_bgthread_wait(struct q_bgthread *t, int64_t seconds);
/* In the thread: sleep seconds unless stopped, leaving a wake for the next
 * q_bgthread_wait. Returns false when the thread must stop. */
bool q_bgthread_sleep(struct q_bgthread *t, int64_t seconds);

#endif
