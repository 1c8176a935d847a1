/* Parallel fan-out for the switch agent (see fanout.h). */
#include "switch/fanout.h"
#include <pthread.h>
#include <stdlib.h>

/* below this many items one thread is faster than waking others */
#define FANOUT_MIN 64

struct fanout {
	pthread_t *th;
	unsigned n;
	pthread_mutex_t mu;
	pthread_cond_t go, done;
	unsigned long round;  /* bumped to start a batch */
	unsigned busy;        /* workers still in the current batch */
	int stop;
	void (*fn)(void *arg, size_t i);
	void *arg;
	size_t total, next;   /* next: the next index to take (atomic) */
};

static void drain(struct fanout *f)
{
	for (;;) {
		size_t i = __atomic_fetch_add(&f->next, 1, __ATOMIC_RELAXED);
		if (i >= f->total)
			return;
		f->fn(f->arg, i);
	}
}

static void *worker(void *arg)
{
	struct fanout *f = arg;
	unsigned long seen = 0;
	pthread_mutex_lock(&f->mu);
	for (;;) {
		while (!f->stop && f->round == seen)
			pthread_cond_wait(&f->go, &f->mu);
		if (f->stop)
			break;
		seen = f->round;
		pthread_mutex_unlock(&f->mu);
		drain(f);
		pthread_mutex_lock(&f->mu);
		if (--f->busy == 0)
			pthread_cond_signal(&f->done);
	}
	pthread_mutex_unlock(&f->mu);
	return NULL;
}

struct fanout *fanout_new(unsigned workers)
{
	struct fanout *f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	pthread_mutex_init(&f->mu, NULL);
	pthread_cond_init(&f->go, NULL);
	pthread_cond_init(&f->done, NULL);
	f->th = calloc(workers ? workers : 1, sizeof(*f->th));
	if (!f->th) {
		fanout_free(f);
		return NULL;
	}
	for (; f->n < workers; f->n++)
		if (pthread_create(&f->th[f->n], NULL, worker, f))
			break;
	return f;
}

void fanout_free(struct fanout *f)
{
	if (!f)
		return;
	pthread_mutex_lock(&f->mu);
	f->stop = 1;
	pthread_cond_broadcast(&f->go);
	pthread_mutex_unlock(&f->mu);
	for (unsigned i = 0; i < f->n; i++)
		pthread_join(f->th[i], NULL);
	pthread_cond_destroy(&f->go);
	pthread_cond_destroy(&f->done);
	pthread_mutex_destroy(&f->mu);
	free(f->th);
	free(f);
}

unsigned fanout_workers(const struct fanout *f)
{
	return f ? f->n : 0;
}

void fanout_run(struct fanout *f, size_t n, void (*fn)(void *arg, size_t i), void *arg)
{
	if (!f || !f->n || n < FANOUT_MIN) {
		for (size_t i = 0; i < n; i++)
			fn(arg, i);
		return;
	}
	pthread_mutex_lock(&f->mu);
	f->fn = fn;
	f->arg = arg;
	f->total = n;
	__atomic_store_n(&f->next, 0, __ATOMIC_RELAXED);
	f->busy = f->n;
	f->round++;
	pthread_cond_broadcast(&f->go);
	pthread_mutex_unlock(&f->mu);
	drain(f);
	pthread_mutex_lock(&f->mu);
	while (f->busy)
		pthread_cond_wait(&f->done, &f->mu);
	pthread_mutex_unlock(&f->mu);
}
