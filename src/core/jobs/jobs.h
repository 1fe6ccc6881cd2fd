/* Scheduled duties and how they run: each duty is a step (store, now, transport) → when it is
 * next due, run for a row of the job table (store/jobs.h). One runner (certfleetd's, in
 * daemon/jobs.c) calls cf_jobs_tick; a run on request (the CLI's `monitor run`, the API's) takes
 * the same lease, so on a shared store one process at a time runs a job, and each due run happens
 * once however many certfleetd processes share the store.
 *
 * A run that fails is tried again on a ladder (1, 5, 30 minutes, 1, 4 hours, with up to a tenth
 * more at random so processes never retry in step); one that succeeds is due when the duty says.
 * The lease lasts CF_JOB_LEASE seconds and a long run keeps it with cf_job_keepalive; a process
 * that dies holding one leaves the job to the others once it runs out. */
#ifndef CF_JOBS_H
#define CF_JOBS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/transport.h"
#include "store/jobs.h"
#include "store/store.h"

#define CF_JOB_LEASE 600 /* seconds a run holds its job without a keepalive */

/* The levels of a run's log lines. */
typedef enum cf_job_level { CF_JOB_INFO, CF_JOB_DEBUG, CF_JOB_ERROR } cf_job_level;
typedef void (*cf_job_log_fn)(void *arg, cf_job_level level, const char *line);

/* What a runner gives the runs: who it is, its network, where lines go. */
typedef struct cf_jobs_env {
	const char *holder; /* the process, as the job table shows it (cf_jobs_holder) */
	const cf_transport *transport;
	cf_job_log_fn log;
	void *log_arg;
} cf_jobs_env;

/* The holder text of this process: "WHO on HOST pid N" ("certfleetd on ucm1 pid 4242"). */
void cf_jobs_holder(const char *who, char *out, size_t len);

/* One run under way (the duty's handle). */
typedef struct cf_job_run {
	cf_store *st;
	const cf_jobs_env *env;
	const char *kind, *subject;
	int64_t lease_until; /* the lease as last taken or kept */
} cf_job_run;

/* A line of the runner's log, printf-style (nothing when env has no log). */
void cf_jobs_say(const cf_jobs_env *env, cf_job_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Keeps the lease while a long run goes on (call between items; it writes only once a third of
 * the lease has passed); false when another process has taken the job over: stop. */
bool cf_job_keepalive(cf_job_run *r, int64_t now);

typedef struct cf_duty {
	const char *kind;
	/* The settings the duty's schedule follows, as a short text (plan), and when it is due under
	 * them: for a job new to the store and whenever plan changes. */
	cf_code (*plan)(cf_store *st, int64_t now, char *plan, size_t plan_len, int64_t *due, cf_err *e);
	/* One run at now: *next is when it is due again. A failure (in e) goes up the ladder. */
	cf_code (*run)(cf_job_run *r, int64_t now, int64_t *next, cf_err *e);
} cf_duty;

/* The duties, NULL-terminated (core/jobs/duties.c). */
extern const cf_duty *const cf_duties[];
/* The duty of kind, or NULL. */
const cf_duty *cf_jobs_duty_find(const char *kind);

/* Brings the job table up to date (a row for each duty, re-planned when its settings changed),
 * then runs the first job that is due at now and that no other process holds. *wake is when the
 * next job is due (for the runner's sleep), now itself after a run (look again at once). An error in e is one the table itself met; a run's failure
 * is recorded in its row and logged. */
cf_code cf_jobs_tick(cf_store *st, const cf_jobs_env *env, int64_t now, int64_t *wake, cf_err *e);

/* A run on request of kind's job (due or not): takes its lease at the clock's time lease_now, or
 * fails with CF_E_STATE, reason CF_REASON_RETRY, when another process is running it. */
cf_code cf_jobs_take(cf_store *st, const cf_jobs_env *env, const char *kind, int64_t lease_now, cf_err *e);
/* Ends a run on request taken with cf_jobs_take: records its outcome (rc, e's line) at lease_now
 * and gives the lease back. next, when not 0, brings the job forward when it is sooner than
 * what the row says, never later (a pass on request of a day ahead does not put off today's). */
void cf_jobs_give_back(cf_store *st, const cf_jobs_env *env, const char *kind, int64_t lease_now, int64_t next,
		       cf_code rc, const cf_err *e);

/* Brings kind's job forward to at when it is due later (its row made when the store has none), in
 * the caller's transaction: a change of settings that wants the duty to look again soon (`acme
 * auto` on). A run under way when it happens sets its own next time at its end. */
cf_code cf_jobs_bring_forward(cf_store *st, const char *kind, int64_t at, cf_err *e);

/* The retry delay after `attempts` failed runs in a row (at least 1), before its random part. */
int64_t cf_jobs_backoff(int attempts);

#endif
