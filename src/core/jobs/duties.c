/* The duties certfleetd runs by itself (see duties.h). */
#include "core/jobs/duties.h"

#include <stdio.h>
#include <string.h>

#include "core/ca/ocsp.h"
#include "core/ca/revoke.h"
#include "core/view/certjson.h"
#include "core/revocation/crlfetch.h"
#include "core/revocation/revocation.h"
#include "util/clock.h"

#define DAY 86400
#define REVCHECK_MIN_GAP 10 /* seconds at least between the end of an OCSP pass and the next */

/* Copies s into out (cap bytes) for a log line: backslash and double quote escaped with a
 * backslash (names are quoted), control characters as \xNN. */
static const char *log_text(const char *s, char *out, size_t cap)
{
	size_t n = 0;
	for (const unsigned char *p = (const unsigned char *)(s != NULL ? s : ""); *p != '\0' && n + 5 < cap; p++) {
		if (*p == '"' || *p == '\\') {
			out[n++] = '\\';
			out[n++] = (char)*p;
		} else if (*p < 0x20 || *p == 0x7f) {
			n += (size_t)snprintf(out + n, cap - n, "\\x%02x", *p);
		} else {
			out[n++] = (char)*p;
		}
	}
	out[n] = '\0';
	return out;
}

int64_t cf_duty_daily_wait(int64_t now, int daily_at)
{
	int64_t today = now - now % DAY, at = today + (int64_t)daily_at * 60;
	if (at <= now) /* today's time has come: a run on time plans tomorrow's */
		at += DAY;
	return at - now;
}

/* ---- the expiry monitor ---------------------------------------------------------------------------- */

cf_code cf_duty_monitor_pass(cf_store *st, const cf_jobs_env *env, int64_t now, cf_monitor_report *out, cf_err *e)
{
	char cn[3 * 256], when[32], next[32];
	memset(out, 0, sizeof(*out));
	cf_code rc = cf_monitor_run(st, now, env->transport, out, e);
	if (rc != CF_OK)
		return rc;
	for (size_t i = 0; i < out->n_due; i++) {
		const cf_monitor_due *u = &out->due[i];
		cf_time_rfc3339(u->not_after, when);
		cf_jobs_say(env, CF_JOB_INFO, "monitor: %s %s \"%s\" expires %s (%lld days): breaks %s", u->node,
			    u->name, log_text(u->cn, cn, sizeof(cn)), when, (long long)u->days_left,
			    u->breaks != NULL ? u->breaks : "");
	}
	for (size_t i = 0; i < out->alarms.n; i++)
		cf_jobs_say(env, CF_JOB_INFO, "monitor: CRL download failing: %s",
			    log_text(out->alarms.v[i], cn, sizeof(cn)));
	for (size_t i = 0; i < out->stuck.n; i++)
		cf_jobs_say(env, CF_JOB_INFO, "monitor: ACME renewal stuck: %s",
			    log_text(out->stuck.v[i], cn, sizeof(cn)));
	if (out->error[0] != '\0')
		cf_jobs_say(env, CF_JOB_ERROR, "monitor: delivery failed: %s; %d notification(s) queued for a retry",
			    log_text(out->error, cn, sizeof(cn)), out->queued);
	cf_time_rfc3339(out->next_run, next);
	cf_jobs_say(env, CF_JOB_DEBUG, "monitor: pass done: %zu due, %d sent, %d queued; next pass due %s", out->n_due,
		    out->sent, out->queued, next);
	return CF_OK;
}

/* Due at once on a store that never ran it (certfleetd's first pass at start-up), then when the
 * pass says: no settings of its own move it. */
static cf_code monitor_plan(cf_store *st, int64_t now, char *plan, size_t len, int64_t *due, cf_err *e)
{
	(void)st;
	(void)e;
	snprintf(plan, len, "%s", "");
	*due = now;
	return CF_OK;
}

static cf_code monitor_run(cf_job_run *r, int64_t now, int64_t *next, cf_err *e)
{
	cf_monitor_report rep;
	cf_code rc = cf_duty_monitor_pass(r->st, r->env, now, &rep, e);
	*next = rep.next_run;
	if (rc == CF_OK && *next <= now && cf_monitor_next_run(r->st, now, next, e) != CF_OK) {
		cf_err_clear(e);
		*next = now + CF_MONITOR_HOUR;
	}
	cf_monitor_report_free(&rep);
	return rc;
}

/* ---- the daily CRL download -------------------------------------------------------------------- */

static cf_code crl_plan(cf_store *st, int64_t now, char *plan, size_t len, int64_t *due, cf_err *e)
{
	cf_crlfetch_schedule s = {.daily_at = 120};
	cf_code rc = cf_crlfetch_schedule_get(st, &s, e);
	if (rc != CF_OK)
		return rc;
	snprintf(plan, len, "daily at %02d:%02d UTC", s.daily_at / 60, s.daily_at % 60);
	*due = now + cf_duty_daily_wait(now, s.daily_at);
	return CF_OK;
}

static cf_code crl_run(cf_job_run *r, int64_t now, int64_t *next, cf_err *e)
{
	cf_crlfetch_result *v = NULL;
	size_t n = 0;
	cf_code rc = cf_crlfetch_update(r->st, now, r->env->transport->download, &v, &n, e);
	for (size_t i = 0; i < n; i++)
		cf_jobs_say(r->env, v[i].rc == CF_OK ? CF_JOB_INFO : CF_JOB_ERROR, "crl: %s: %s", v[i].url,
			    v[i].message);
	cf_crlfetch_results_free(v, n);
	if (rc == CF_OK) {
		cf_err pe = {0};
		char plan[128];
		if (crl_plan(r->st, now, plan, sizeof(plan), next, &pe) != CF_OK)
			*next = now + DAY;
	}
	return rc;
}

/* ---- the OCSP check on the interval ------------------------------------------------------------- */

void cf_duty_log_revoked(const cf_jobs_env *env, const cf_revcheck *p)
{
	cf_revcheck_item it;
	char cn[3 * 256];
	for (size_t i = 0; cf_revcheck_item_get(p, i, &it); i++)
		if (it.newly_revoked)
			cf_jobs_say(env, CF_JOB_ERROR, "revocation: %s %s %s \"%s\" is revoked: OCSP %s: %s", it.node,
				    cf_certkind_field(it.kind), it.name, log_text(it.cn, cn, sizeof(cn)),
				    it.answer->responder, it.answer->message);
}

/* On: due now when first planned or when the interval changed (the certificates due decide);
 * off: not due until it is on again. */
static cf_code ocsp_plan(cf_store *st, int64_t now, char *plan, size_t len, int64_t *due, cf_err *e)
{
	cf_revocation_settings s;
	cf_code rc = cf_revocation_settings_get(st, &s, e);
	if (rc != CF_OK)
		return rc;
	if (s.check && s.ocsp) {
		snprintf(plan, len, "every %lld s", (long long)s.interval);
		*due = now;
	} else {
		snprintf(plan, len, "off");
		*due = now + 365 * DAY;
	}
	return CF_OK;
}

static cf_code ocsp_run(cf_job_run *r, int64_t now, int64_t *next, cf_err *e)
{
	cf_revocation_settings s;
	cf_revcheck *p = NULL;
	cf_revcheck_totals n;
	char when[32];
	cf_code rc = cf_revocation_settings_get(r->st, &s, e);
	if (rc != CF_OK)
		return rc;
	if (!s.check || !s.ocsp) { /* turned off since it was planned */
		*next = now + 365 * DAY;
		return CF_OK;
	}
	/* planning reads the store and checks signatures, without network */
	rc = cf_revcheck_plan(r->st, now, false, &p, e);
	if (rc != CF_OK)
		return rc;
	while (!cf_revcheck_done(p) && cf_job_keepalive(r, cf_clock_now())) {
		cf_err se = {0};
		if (cf_revcheck_step(r->st, r->env->transport, p, now, &se) != CF_OK)
			cf_jobs_say(r->env, CF_JOB_ERROR, "revocation: an OCSP answer could not be recorded: %s",
				    se.message);
	}
	cf_err fe = {0};
	if (cf_revcheck_finish(r->st, p, &fe) != CF_OK)
		cf_jobs_say(r->env, CF_JOB_ERROR, "revocation: answers of certificates gone could not be dropped: %s",
			    fe.message);
	cf_duty_log_revoked(r->env, p);
	cf_revcheck_totals_get(p, &n);
	/* every certificate of this pass is due an interval after it was asked: after now at the latest */
	int64_t soonest = cf_revcheck_next_due(p);
	*next = now + s.interval;
	if (soonest != 0 && soonest < *next)
		*next = soonest;
	if (*next < now + REVCHECK_MIN_GAP)
		*next = now + REVCHECK_MIN_GAP;
	cf_time_rfc3339(*next, when);
	cf_jobs_say(
		r->env, n.checked > 0 ? CF_JOB_INFO : CF_JOB_DEBUG,
		"revocation: OCSP check done: %zu certificates asked, %zu good, %zu revoked, %zu unknown; next due %s",
		n.checked, n.good, n.revoked, n.unknown, when);
	cf_revcheck_free(p);
	return CF_OK;
}

/* ---- ACME auto mode ---------------------------------------------------------------------------------- */

/* Due at once when first planned; then when the pass says (its identities' next renewal, deploy,
 * window fetch, at most a day ahead); `acme auto` on brings it forward (cf_jobs_bring_forward). */
static cf_code acme_plan(cf_store *st, int64_t now, char *plan, size_t len, int64_t *due, cf_err *e)
{
	(void)st;
	(void)e;
	snprintf(plan, len, "%s", "by identity (acme list)");
	*due = now;
	return CF_OK;
}

/* A pass's line in the job log (the ACME and CA passes). */
static void pass_log(void *arg, bool error, const char *line)
{
	cf_jobs_say(arg, error ? CF_JOB_ERROR : CF_JOB_INFO, "%s", line);
}

/* Whether a long pass may go on: the job lease renewed (the ACME and CA passes). */
static bool pass_keep(void *arg)
{
	return cf_job_keepalive(arg, cf_clock_now());
}

static cf_code acme_run(cf_job_run *r, int64_t now, int64_t *next, cf_err *e)
{
	return cf_acme_auto_pass(r->st, r->env->transport, now, pass_log, (void *)r->env, pass_keep, r, next, e);
}

/* ---- the local CAs' CRLs ---------------------------------------------------------------------------- */

/* Both CA duties: due at once when first planned (a CA without a CRL or answers gets them), then
 * when their pass says (the next CRL's interval; the next answer half way to its nextUpdate); a
 * revocation makes its CA's CRL and answers itself, an issue brings the OCSP pass forward. */
static cf_code by_ca_plan(cf_store *st, int64_t now, char *plan, size_t len, int64_t *due, cf_err *e)
{
	(void)st;
	(void)e;
	snprintf(plan, len, "%s", "by CA (ca list)");
	*due = now;
	return CF_OK;
}

static cf_code ca_crl_run(cf_job_run *r, int64_t now, int64_t *next, cf_err *e)
{
	return cf_ca_crl_pass(r->st, now, pass_log, (void *)r->env, next, e);
}

static cf_code ca_ocsp_run(cf_job_run *r, int64_t now, int64_t *next, cf_err *e)
{
	return cf_ca_ocsp_pass(r->st, now, pass_log, (void *)r->env, pass_keep, r, next, e);
}

static const cf_duty monitor = {CF_DUTY_MONITOR, monitor_plan, monitor_run};
static const cf_duty crl = {CF_DUTY_CRL, crl_plan, crl_run};
static const cf_duty ocsp = {CF_DUTY_OCSP, ocsp_plan, ocsp_run};
static const cf_duty acme = {CF_DUTY_ACME, acme_plan, acme_run};
static const cf_duty ca_crl = {CF_DUTY_CA_CRL, by_ca_plan, ca_crl_run};
static const cf_duty ca_ocsp = {CF_DUTY_CA_OCSP, by_ca_plan, ca_ocsp_run};
const cf_duty *const cf_duties[] = {&monitor, &crl, &ocsp, &acme, &ca_crl, &ca_ocsp, NULL};
