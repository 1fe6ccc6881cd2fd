/* Scheduled duties and how they run (see jobs.h). */
#include "core/jobs/jobs.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "util/clock.h"

void cf_jobs_holder(const char *who, char *out, size_t len)
{
	char host[256] = "";
	gethostname(host, sizeof(host) - 1);
	snprintf(out, len, "%s on %s pid %ld", who, host, (long)getpid());
}

#define POLL 60 /* seconds at most between looks at the table (other processes change it too) */

static const int64_t ladder[] = {60, 300, 1800, 3600, 4 * 3600};

int64_t cf_jobs_backoff(int attempts)
{
	size_t n = sizeof(ladder) / sizeof(ladder[0]);
	size_t i = attempts < 1 ? 0 : (size_t)attempts - 1;
	return ladder[i < n ? i : n - 1];
}

/* Up to a tenth of delay at random: processes retry apart. */
static int64_t jitter(int64_t delay)
{
	return (int64_t)(cf_clock_jitter() % (unsigned)(delay / 10 + 1));
}

void cf_jobs_say(const cf_jobs_env *env, cf_job_level level, const char *fmt, ...)
{
	char line[2048];
	va_list ap;
	if (env->log == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	env->log(env->log_arg, level, line);
}

const cf_duty *cf_jobs_duty_find(const char *kind)
{
	for (size_t i = 0; cf_duties[i] != NULL; i++)
		if (strcmp(cf_duties[i]->kind, kind) == 0)
			return cf_duties[i];
	return NULL;
}

/* ---- the table's writes, each one transaction (run through CF_STORE_WRITE) ---------------------- */

static cf_code end_tx(cf_store *st, cf_code rc, cf_err *e)
{
	if (rc == CF_OK)
		rc = cf_store_commit(st, e);
	cf_store_rollback(st);
	return rc;
}

/* The job's row, added when missing and re-planned when plan is not the one it was planned by. */
static cf_code sync_row(cf_store *st, const char *kind, int64_t due, const char *plan, cf_job *job, cf_err *e)
{
	cf_store_job_clear(job);
	cf_code rc = cf_store_begin(st, e);
	if (rc == CF_OK)
		rc = cf_store_job_ensure(st, kind, "", due, plan, e);
	if (rc == CF_OK)
		rc = cf_store_job_get(st, kind, "", job, e);
	if (rc == CF_OK && strcmp(job->plan, plan) != 0) {
		rc = cf_store_job_plan(st, kind, "", due, plan, e);
		job->next_run = due;
	}
	return end_tx(st, rc, e);
}

static cf_code claim(cf_store *st, const char *kind, const char *holder, int64_t now, bool any_time, bool *taken,
		     cf_err *e)
{
	cf_code rc = cf_store_begin(st, e);
	if (rc == CF_OK)
		rc = cf_store_job_claim(st, kind, "", holder, now, now + CF_JOB_LEASE, any_time, taken, e);
	return end_tx(st, rc, e);
}

struct outcome {
	const char *kind, *holder;
	int64_t now, next;
	int attempts;
	const char *status, *error;
	bool sooner_only; /* next only when sooner than the row's */
};

static cf_code finish(cf_store *st, const struct outcome *o, cf_err *e)
{
	cf_job job = {0};
	bool kept = false;
	int64_t next = o->next;
	cf_code rc = cf_store_begin(st, e);
	if (rc == CF_OK && o->sooner_only) {
		rc = cf_store_job_get(st, o->kind, "", &job, e);
		if (rc == CF_OK && (next == 0 || job.next_run < next))
			next = job.next_run;
	}
	if (rc == CF_OK)
		rc = cf_store_job_finish(st, o->kind, "", o->holder, o->now, next, o->attempts, o->status, o->error,
					 &kept, e);
	cf_store_job_clear(&job);
	return end_tx(st, rc, e);
}

static cf_code extend(cf_store *st, cf_job_run *r, int64_t until, bool *kept, cf_err *e)
{
	cf_code rc = cf_store_begin(st, e);
	if (rc == CF_OK)
		rc = cf_store_job_extend(st, r->kind, r->subject, r->env->holder, until, kept, e);
	return end_tx(st, rc, e);
}

bool cf_job_keepalive(cf_job_run *r, int64_t now)
{
	if (r->lease_until - now > CF_JOB_LEASE * 2 / 3)
		return true;
	bool kept = false;
	cf_err e = {0};
	cf_code rc;
	CF_STORE_WRITE(r->st, &e, rc, extend(r->st, r, now + CF_JOB_LEASE, &kept, &e));
	if (rc != CF_OK) { /* the store is away: carry on while the lease lasts */
		cf_jobs_say(r->env, CF_JOB_ERROR, "%s: the lease could not be kept: %s", r->kind, e.message);
		return now < r->lease_until;
	}
	if (kept)
		r->lease_until = now + CF_JOB_LEASE;
	else
		cf_jobs_say(r->env, CF_JOB_ERROR, "%s: another process took the job over; this run stops", r->kind);
	return kept;
}

/* ---- the runner's tick ---------------------------------------------------------------------------- */

/* Runs duty d's job, which this process now holds; records the outcome. */
static void run_held(cf_store *st, const cf_jobs_env *env, const cf_duty *d, const cf_job *job, int64_t now)
{
	cf_job_run r = {.st = st, .env = env, .kind = d->kind, .subject = "", .lease_until = now + CF_JOB_LEASE};
	cf_err e = {0}, fe = {0};
	int64_t next = 0;
	cf_code rc = d->run(&r, now, &next, &e);
	cf_store_rollback(st); /* a run that returned inside a transaction leaves nothing open */
	struct outcome o = {.kind = d->kind, .holder = env->holder, .now = now, .status = "ok", .error = ""};
	char when[32];
	if (rc == CF_OK) {
		o.next = next > now ? next : now + POLL; /* never a busy loop, whatever the duty says */
	} else {
		o.attempts = job->attempts + 1;
		int64_t wait = cf_jobs_backoff(o.attempts);
		o.next = now + wait + jitter(wait);
		o.status = "failed";
		o.error = e.message;
		cf_time_rfc3339(o.next, when);
		cf_jobs_say(env, CF_JOB_ERROR, "%s: the run failed (%d in a row): %s%s%s; next try %s", d->kind,
			    o.attempts, e.subject, e.subject[0] != '\0' ? ": " : "", e.message, when);
	}
	CF_STORE_WRITE(st, &fe, rc, finish(st, &o, &fe));
	if (rc != CF_OK)
		cf_jobs_say(env, CF_JOB_ERROR, "%s: the run's outcome could not be recorded: %s", d->kind, fe.message);
}

cf_code cf_jobs_tick(cf_store *st, const cf_jobs_env *env, int64_t now, int64_t *wake, cf_err *e)
{
	cf_code first = CF_OK;
	*wake = now + POLL;
	for (size_t i = 0; cf_duties[i] != NULL; i++) {
		const cf_duty *d = cf_duties[i];
		char plan[128] = "";
		int64_t due = now;
		cf_job job = {0};
		cf_err de = {0};
		bool taken = false;
		cf_code rc = d->plan(st, now, plan, sizeof(plan), &due, &de);
		if (rc == CF_OK)
			CF_STORE_WRITE(st, &de, rc, sync_row(st, d->kind, due, plan, &job, &de));
		if (rc == CF_OK && job.next_run <= now)
			CF_STORE_WRITE(st, &de, rc, claim(st, d->kind, env->holder, now, false, &taken, &de));
		if (rc != CF_OK) {
			cf_jobs_say(env, CF_JOB_ERROR, "%s: the job table could not be read or written: %s", d->kind,
				    de.message);
			if (first == CF_OK) {
				first = rc;
				*e = de;
			}
		} else if (taken) {
			/* one run a tick: a long one makes now stale for the leases of the rest, so the
			 * runner looks again at once with the clock's time */
			run_held(st, env, d, &job, now);
			cf_store_job_clear(&job);
			*wake = now;
			break;
		} else if (job.next_run <= now) {
			cf_jobs_say(env, CF_JOB_DEBUG, "%s: due, and running in %s", d->kind,
				    job.lease_holder[0] != '\0' ? job.lease_holder : "another process");
		} else if (job.next_run < *wake) {
			*wake = job.next_run;
		}
		cf_store_job_clear(&job);
	}
	char when[32];
	cf_time_rfc3339(*wake, when);
	cf_jobs_say(env, CF_JOB_DEBUG, "jobs: the table looked at; next look %s", when);
	return first;
}

cf_code cf_jobs_bring_forward(cf_store *st, const char *kind, int64_t at, cf_err *e)
{
	cf_job job = {0};
	cf_code rc = cf_store_job_get(st, kind, "", &job, e);
	if (rc == CF_E_NOTFOUND) {
		cf_err_clear(e);
		rc = cf_store_job_ensure(st, kind, "", at, "", e);
	} else if (rc == CF_OK && job.next_run > at) {
		rc = cf_store_job_plan(st, kind, "", at, job.plan, e);
	}
	cf_store_job_clear(&job);
	return rc;
}

/* ---- runs on request -------------------------------------------------------------------------- */

cf_code cf_jobs_take(cf_store *st, const cf_jobs_env *env, const char *kind, int64_t lease_now, cf_err *e)
{
	const cf_duty *d = cf_jobs_duty_find(kind);
	char plan[128] = "";
	int64_t due = lease_now;
	cf_job job = {0};
	bool taken = false;
	if (d == NULL)
		return cf_err_set(e, CF_E_INTERNAL, kind, "no such duty");
	cf_code rc = d->plan(st, lease_now, plan, sizeof(plan), &due, e);
	if (rc == CF_OK)
		CF_STORE_WRITE(st, e, rc, sync_row(st, kind, due, plan, &job, e));
	if (rc == CF_OK)
		CF_STORE_WRITE(st, e, rc, claim(st, kind, env->holder, lease_now, true, &taken, e));
	if (rc == CF_OK && !taken) {
		cf_store_job_clear(&job);
		if (cf_store_job_get(st, kind, "", &job, e) == CF_OK) {
			cf_err_set(e, CF_E_STATE, kind, "a run is under way in %s; try again when it ends",
				   job.lease_holder[0] != '\0' ? job.lease_holder : "another process");
			/* a run ends well before its lease runs out: a minute at most is a fair first guess */
			cf_err_retry_after(e, job.lease_until - lease_now < 60 ? job.lease_until - lease_now : 60);
		} else {
			cf_err_set(e, CF_E_STATE, kind,
				   "a run is under way in another process; try again when it ends");
		}
		rc = cf_err_reason(e, CF_REASON_RETRY);
	}
	cf_store_job_clear(&job);
	return rc;
}

void cf_jobs_give_back(cf_store *st, const cf_jobs_env *env, const char *kind, int64_t lease_now, int64_t next,
		       cf_code rc, const cf_err *e)
{
	cf_job job = {0};
	cf_err fe = {0};
	cf_code frc = cf_store_job_get(st, kind, "", &job, &fe);
	if (frc == CF_OK) {
		struct outcome o = {.kind = kind,
				    .holder = env->holder,
				    .now = lease_now,
				    .next = next,
				    .attempts = rc == CF_OK ? 0 : job.attempts + 1,
				    .status = rc == CF_OK ? "ok" : "failed",
				    .error = rc == CF_OK ? "" : e->message,
				    .sooner_only = true};
		CF_STORE_WRITE(st, &fe, frc, finish(st, &o, &fe));
	}
	if (frc != CF_OK)
		cf_jobs_say(env, CF_JOB_ERROR, "%s: the run's outcome could not be recorded: %s", kind, fe.message);
	cf_store_job_clear(&job);
}
