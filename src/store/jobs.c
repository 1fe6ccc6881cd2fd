/* The job table (see jobs.h). */
#include "store/jobs.h"

#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"
#include "util/grow.h"

#define D (st->drv)

void cf_store_job_clear(cf_job *j)
{
	if (j == NULL)
		return;
	free(j->kind);
	free(j->subject);
	free(j->plan);
	free(j->last_status);
	free(j->last_error);
	free(j->lease_holder);
	memset(j, 0, sizeof(*j));
}

void cf_store_jobs_free(cf_job *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		cf_store_job_clear(&v[i]);
	free(v);
}

cf_code cf_store_job_ensure(cf_store *st, const char *kind, const char *subject, int64_t next_run, const char *plan,
			    cf_err *e)
{
	cf_stmt *s = NULL;
	cf_code rc = cf_store_prep(st,
				   "INSERT INTO jobs (kind, subject, next_run, plan) VALUES ($1, $2, $3, $4)"
				   " ON CONFLICT (kind, subject) DO NOTHING",
				   &s, e);
	if (rc != CF_OK)
		return rc;
	D->bind_text(s, 1, kind);
	D->bind_text(s, 2, subject);
	D->bind_int(s, 3, next_run);
	D->bind_text(s, 4, plan);
	return cf_store_run(st, s, e);
}

#define JOB_COLUMNS                                                                                                    \
	"kind, subject, next_run, plan, attempts, last_run, last_status, last_error, lease_holder, lease_until"

/* The row s is on as a job; false when out of memory. */
static bool read_job(cf_store *st, cf_stmt *s, cf_job *j)
{
	*j = (cf_job){.kind = cf_store_dup(D->col_text(s, 0)),
		      .subject = cf_store_dup(D->col_text(s, 1)),
		      .next_run = D->col_int(s, 2),
		      .plan = cf_store_dup(D->col_text(s, 3)),
		      .attempts = (int)D->col_int(s, 4),
		      .last_run = D->col_int(s, 5),
		      .last_status = cf_store_dup(D->col_text(s, 6)),
		      .last_error = cf_store_dup(D->col_text(s, 7)),
		      .lease_holder = cf_store_dup(D->col_text(s, 8)),
		      .lease_until = D->col_int(s, 9)};
	if (j->kind && j->subject && j->plan && j->last_status && j->last_error && j->lease_holder)
		return true;
	cf_store_job_clear(j);
	return false;
}

cf_code cf_store_job_get(cf_store *st, const char *kind, const char *subject, cf_job *out, cf_err *e)
{
	cf_stmt *s = NULL;
	cf_code rc = cf_store_prep(st, "SELECT " JOB_COLUMNS " FROM jobs WHERE kind = $1 AND subject = $2", &s, e);
	if (rc != CF_OK)
		return rc;
	D->bind_text(s, 1, kind);
	D->bind_text(s, 2, subject);
	int r = D->step(s, e);
	if (r == 1 && !read_job(st, s, out))
		rc = cf_err_set(e, CF_E_INTERNAL, kind, "out of memory");
	else if (r == 0)
		rc = cf_err_set(e, CF_E_NOTFOUND, kind, "no such job");
	else if (r < 0)
		rc = e->code;
	cf_store_release(st, s);
	return rc;
}

cf_code cf_store_job_list(cf_store *st, cf_job **out, size_t *n, cf_err *e)
{
	cf_stmt *s = NULL;
	cf_job *v = NULL;
	size_t len = 0, cap = 0;
	*out = NULL;
	*n = 0;
	cf_code rc = cf_store_prep(st, "SELECT " JOB_COLUMNS " FROM jobs ORDER BY kind, subject", &s, e);
	if (rc != CF_OK)
		return rc;
	int r;
	while (rc == CF_OK && (r = D->step(s, e)) == 1) {
		if (cf_grow(&v, &cap, len, sizeof(*v)) != 0 || !read_job(st, s, &v[len]))
			rc = cf_err_set(e, CF_E_INTERNAL, "jobs", "out of memory");
		else
			len++;
	}
	if (rc == CF_OK && r < 0)
		rc = e->code;
	cf_store_release(st, s);
	if (rc != CF_OK) {
		cf_store_jobs_free(v, len);
		return rc;
	}
	*out = v;
	*n = len;
	return CF_OK;
}

cf_code cf_store_job_plan(cf_store *st, const char *kind, const char *subject, int64_t next_run, const char *plan,
			  cf_err *e)
{
	cf_stmt *s = NULL;
	cf_code rc =
		cf_store_prep(st, "UPDATE jobs SET next_run = $3, plan = $4 WHERE kind = $1 AND subject = $2", &s, e);
	if (rc != CF_OK)
		return rc;
	D->bind_text(s, 1, kind);
	D->bind_text(s, 2, subject);
	D->bind_int(s, 3, next_run);
	D->bind_text(s, 4, plan);
	return cf_store_run(st, s, e);
}

/* A statement about holder's run of a job: prepared with kind, subject and holder bound as $1, $2
 * and $3 (the caller binds the rest). */
static cf_code prep_held(cf_store *st, const char *sql, const char *kind, const char *subject, const char *holder,
			 cf_stmt **s, cf_err *e)
{
	cf_code rc = cf_store_prep(st, sql, s, e);
	if (rc != CF_OK)
		return rc;
	D->bind_text(*s, 1, kind);
	D->bind_text(*s, 2, subject);
	D->bind_text(*s, 3, holder);
	return CF_OK;
}

/* Runs s; *done says whether it changed the job's row. */
static cf_code run_one_row(cf_store *st, cf_stmt *s, bool *done, cf_err *e)
{
	int64_t changed = 0;
	cf_code rc = cf_store_run_counted(st, s, &changed, e);
	*done = rc == CF_OK && changed == 1;
	return rc;
}

cf_code cf_store_job_claim(cf_store *st, const char *kind, const char *subject, const char *holder, int64_t now,
			   int64_t lease_until, bool any_time, bool *taken, cf_err *e)
{
	cf_stmt *s = NULL;
	*taken = false;
	/* one statement: the engine lets one of two writers at the same moment change the row */
	cf_code rc = prep_held(st,
			       "UPDATE jobs SET lease_holder = $3, lease_until = $5"
			       " WHERE kind = $1 AND subject = $2 AND (lease_holder = '' OR lease_until <= $4)"
			       " AND ($6 <> 0 OR next_run <= $4)",
			       kind, subject, holder, &s, e);
	if (rc != CF_OK)
		return rc;
	D->bind_int(s, 4, now);
	D->bind_int(s, 5, lease_until);
	D->bind_int(s, 6, any_time);
	return run_one_row(st, s, taken, e);
}

cf_code cf_store_job_extend(cf_store *st, const char *kind, const char *subject, const char *holder,
			    int64_t lease_until, bool *kept, cf_err *e)
{
	cf_stmt *s = NULL;
	*kept = false;
	cf_code rc =
		prep_held(st, "UPDATE jobs SET lease_until = $4 WHERE kind = $1 AND subject = $2 AND lease_holder = $3",
			  kind, subject, holder, &s, e);
	if (rc != CF_OK)
		return rc;
	D->bind_int(s, 4, lease_until);
	return run_one_row(st, s, kept, e);
}

cf_code cf_store_job_finish(cf_store *st, const char *kind, const char *subject, const char *holder, int64_t now,
			    int64_t next_run, int attempts, const char *status, const char *error, bool *kept,
			    cf_err *e)
{
	cf_stmt *s = NULL;
	*kept = false;
	cf_code rc = prep_held(st,
			       "UPDATE jobs SET next_run = $5, attempts = $6, last_run = $4, last_status = $7,"
			       " last_error = $8, lease_holder = '', lease_until = 0"
			       " WHERE kind = $1 AND subject = $2 AND lease_holder = $3",
			       kind, subject, holder, &s, e);
	if (rc != CF_OK)
		return rc;
	D->bind_int(s, 4, now);
	D->bind_int(s, 5, next_run);
	D->bind_int(s, 6, attempts);
	D->bind_text(s, 7, status);
	D->bind_text(s, 8, error);
	return run_one_row(st, s, kept, e);
}
