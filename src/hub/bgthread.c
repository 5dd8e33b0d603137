/*
 * bgthread.c: see bgthread.h.
 */
#include "core/common.h"
#include "core/error.h"
#include "hub/bgthread.h"

int q_bgthread_start(struct q_bgthread *t, void *(*fn)(void *), void *arg, const char *what,
		     struct q_error *err)
{
	g_mutex_init(&t->lock);
	g_cond_init(&t->cond);
	t->stop = false;
	t->wake = true;
	t->cancel = 0;
	if (pthread_create(&t->tid, NULL, fn, arg) != 0) {
		g_mutex_clear(&t->lock);
		g_cond_clear(&t->cond);
		return q_error_set(err, Q_EINTERNAL, "cannot start the %s thread", what);
	}
	return 0;
}

void q_bgthread_wake(struct q_bgthread *t)
{
	g_mutex_lock(&t->lock);
	t->wake = true;
	g_cond_signal(&t->cond);
	g_mutex_unlock(&t->lock);
}

void q_bgthread_stop(struct q_bgthread *t)
{
	g_mutex_lock(&t->lock);
	t->stop = true;
	t->cancel = 1;
	g_cond_signal(&t->cond);
	g_mutex_unlock(&t->lock);
	pthread_join(t->tid, NULL);
	g_mutex_clear(&t->lock);
	g_cond_clear(&t->cond);
}

bool q_bgthread_wait(struct q_bgthread *t, int64_t seconds)
{
	gint64 until = g_get_monotonic_time() + seconds * G_TIME_SPAN_SECOND;
	bool go;

	g_mutex_lock(&t->lock);
	while (!t->stop && !t->wake)
		if (!g_cond_wait_until(&t->cond, &t->lock, until))
			break;
	t->wake = false;
	go = !t->stop;
	g_mutex_unlock(&t->lock);
	return go;
}

bool q_bgthread_sleep(struct q_bgthread *t, int64_t seconds)
{
	gint64 until = g_get_monotonic_time() + seconds * G_TIME_SPAN_SECOND;
	bool go;

	g_mutex_lock(&t->lock);
	while (!t->stop)
		if (!g_cond_wait_until(&t->cond, &t->lock, until))
			break;
	go = !t->stop;
	g_mutex_unlock(&t->lock);
	return go;
}
