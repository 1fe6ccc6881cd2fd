#include "util/parallel.h"

#include <pthread.h>
#include <unistd.h>

struct slice {
	void (*fn)(void *, size_t, size_t);
	void *ctx;
	size_t begin, end;
};

static void *run_slice(void *arg)
{
	struct slice *s = arg;
	s->fn(s->ctx, s->begin, s->end);
	return NULL;
}

void cf_parallel_for(size_t n, size_t min_per_thread, void (*fn)(void *ctx, size_t begin, size_t end), void *ctx)
{
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	size_t threads = cores < 1 ? 1 : cores > 8 ? 8 : (size_t)cores;
	if (min_per_thread == 0)
		min_per_thread = 1;
	if (threads > n / min_per_thread)
		threads = n / min_per_thread;
	if (threads <= 1) {
		if (n > 0)
			fn(ctx, 0, n);
		return;
	}
	pthread_t tid[8];
	struct slice sl[8];
	size_t started = 0;
	for (size_t t = 0; t < threads; t++) {
		sl[t] = (struct slice){fn, ctx, n * t / threads, n * (t + 1) / threads};
		if (t == 0)
			continue; /* slice 0 runs on this thread */
		if (pthread_create(&tid[t], NULL, run_slice, &sl[t]) != 0) {
			run_slice(&sl[t]);
			sl[t].fn = NULL;
		}
		started = t;
	}
	run_slice(&sl[0]);
	for (size_t t = 1; t <= started; t++)
		if (sl[t].fn != NULL)
			pthread_join(tid[t], NULL);
}
