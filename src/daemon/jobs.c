/* certfleetd's one job runner (see jobs.h). */
#include "daemon/jobs.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/jobs/duties.h"
#include "net_transport.h"
#include "util/clock.h"

#define STORE_RETRY 60 /* seconds until a store that could not be opened is tried again */

struct cf_runner {
	cf_daemon *d;
	char *target;
	char holder[320];
	cf_jobs_env env;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool poked, stopping, started;
};

static void log_line(void *arg, cf_job_level level, const char *line)
{
	cf_dlog(arg,
		level == CF_JOB_ERROR	? CF_LOG_ERROR
		: level == CF_JOB_DEBUG ? CF_LOG_DEBUG
					: CF_LOG_INFO,
		"%s", line);
}

/* Sleeps until the clock's time wake, a poke or a stop; false when stopping. */
static bool sleep_until(cf_runner *r, int64_t wake)
{
	int64_t now = cf_clock_now();
	int64_t wait_s = wake > now ? wake - now : 0;
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += (time_t)wait_s;
	pthread_mutex_lock(&r->mu);
	while (!r->poked && !r->stopping)
		if (pthread_cond_timedwait(&r->cv, &r->mu, &ts) != 0)
			break;
	r->poked = false;
	bool go_on = !r->stopping;
	pthread_mutex_unlock(&r->mu);
	return go_on;
}

static void *run(void *arg)
{
	cf_runner *r = arg;
	cf_store *st = NULL;
	for (;;) {
		int64_t now = cf_clock_now(), wake = now + STORE_RETRY;
		cf_err e = {0};
		if (st == NULL && cf_store_open(r->target, false, &st, &e) != CF_OK) {
			cf_dlog(r->d, CF_LOG_ERROR, "jobs: the store could not be opened: %s; trying again in %d s",
				e.message, STORE_RETRY);
			st = NULL;
		} else if (cf_jobs_tick(st, &r->env, now, &wake, &e) != CF_OK) {
			cf_err_clear(&e); /* logged by the tick; the next look tries again */
		}
		if (!sleep_until(r, wake))
			break;
	}
	cf_store_close(st);
	return NULL;
}

cf_code cf_runner_start(cf_daemon *d, const char *target, cf_runner **out, cf_err *e)
{
	cf_runner *r = calloc(1, sizeof(*r));
	pthread_condattr_t ca;
	if (r == NULL || (r->target = strdup(target)) == NULL) {
		free(r);
		return cf_err_set(e, CF_E_INTERNAL, "jobs", "out of memory");
	}
	cf_jobs_holder("certfleetd", r->holder, sizeof(r->holder));
	r->d = d;
	r->env = (cf_jobs_env){.holder = r->holder, .transport = cf_net_transport(), .log = log_line, .log_arg = d};
	pthread_mutex_init(&r->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&r->cv, &ca);
	pthread_condattr_destroy(&ca);
	if (pthread_create(&r->thread, NULL, run, r) != 0) {
		cf_runner_stop(r);
		return cf_err_set(e, CF_E_INTERNAL, "jobs", "the job runner's thread could not start");
	}
	r->started = true;
	*out = r;
	return CF_OK;
}

void cf_runner_poke(cf_runner *r)
{
	if (r == NULL)
		return;
	pthread_mutex_lock(&r->mu);
	r->poked = true;
	pthread_cond_signal(&r->cv);
	pthread_mutex_unlock(&r->mu);
}

void cf_runner_stop(cf_runner *r)
{
	if (r == NULL)
		return;
	if (r->started) {
		pthread_mutex_lock(&r->mu);
		r->stopping = true;
		pthread_cond_signal(&r->cv);
		pthread_mutex_unlock(&r->mu);
		pthread_join(r->thread, NULL);
	}
	pthread_cond_destroy(&r->cv);
	pthread_mutex_destroy(&r->mu);
	free(r->target);
	free(r);
}

const cf_jobs_env *cf_runner_env(const cf_runner *r)
{
	return &r->env;
}
