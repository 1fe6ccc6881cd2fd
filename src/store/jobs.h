/* The job table: one row per scheduled duty and subject ("monitor" of the deployment, later an
 * ACME order of one identity), with when it is next due, how its last run went, and the lease
 * that lets one process at a time run it on a shared store (core/jobs/jobs.h holds the policy). */
#ifndef CF_STORE_JOBS_H
#define CF_STORE_JOBS_H

#include <stdbool.h>
#include <stdint.h>

#include "store/store.h"

typedef struct cf_job {
	char *kind, *subject;
	int64_t next_run;   /* when it is due (the store's clock: seconds since the epoch) */
	char *plan;	    /* the settings next_run was reckoned from (the duty's own words) */
	int attempts;	    /* failed runs in a row */
	int64_t last_run;   /* when the last run began (0: never) */
	char *last_status;  /* "ok", "failed", "" (never run) */
	char *last_error;   /* the last failed run's error line ("" after a success) */
	char *lease_holder; /* the process running it ("" when none) */
	int64_t lease_until;
} cf_job;

void cf_store_job_clear(cf_job *j);
void cf_store_jobs_free(cf_job *v, size_t n);

/* Adds the job when the store has none of that kind and subject (due at next_run, planned from
 * plan); a job already there is left as it is. */
cf_code cf_store_job_ensure(cf_store *st, const char *kind, const char *subject, int64_t next_run, const char *plan,
			    cf_err *e);
/* The job, or CF_E_NOTFOUND. */
cf_code cf_store_job_get(cf_store *st, const char *kind, const char *subject, cf_job *out, cf_err *e);
/* Every job, by kind and subject. */
cf_code cf_store_job_list(cf_store *st, cf_job **out, size_t *n, cf_err *e);
/* Sets when the job is due and the plan that says so (its settings changed). */
cf_code cf_store_job_plan(cf_store *st, const char *kind, const char *subject, int64_t next_run, const char *plan,
			  cf_err *e);
/* Takes the job's lease for holder until lease_until, when nobody else holds it at now (a lease
 * past its time is nobody's) and, unless any_time, the job is due at now. *taken says whether it
 * was: of two processes asking at the same moment, one gets it. */
cf_code cf_store_job_claim(cf_store *st, const char *kind, const char *subject, const char *holder, int64_t now,
			   int64_t lease_until, bool any_time, bool *taken, cf_err *e);
/* Moves holder's lease on to lease_until; *kept is false when holder no longer holds it. */
cf_code cf_store_job_extend(cf_store *st, const char *kind, const char *subject, const char *holder,
			    int64_t lease_until, bool *kept, cf_err *e);
/* Records the end of holder's run and gives the lease back: next_run, attempts, status and error
 * as given, last_run = now. Nothing when holder no longer holds the lease (*kept false). */
cf_code cf_store_job_finish(cf_store *st, const char *kind, const char *subject, const char *holder, int64_t now,
			    int64_t next_run, int attempts, const char *status, const char *error, bool *kept,
			    cf_err *e);

#endif
