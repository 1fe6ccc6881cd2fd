/* The duties certfleetd runs by itself (rows of cf_duties, jobs.h), and what a run on request of
 * the same work shares with them (the log lines). Kinds: "monitor" (the expiry monitor's pass),
 * "crl-download" (every distribution point, daily at the CRL schedule's time), "ocsp-check"
 * (stored certificates due an OCSP question, on the revocation settings' interval), "acme-auto"
 * (ACME auto mode's renewals and deploys, core/acme/auto.h), "ca-crl" (the local CAs' CRLs made
 * again on their interval, core/ca/revoke.h), "ca-ocsp" (their OCSP answers signed ahead,
 * core/ca/ocsp.h). */
#ifndef CF_DUTIES_H
#define CF_DUTIES_H

#include "core/acme/auto.h"
#include "core/jobs/jobs.h"
#include "core/monitor/monitor.h"
#include "core/revocation/revcheck.h"

#define CF_DUTY_MONITOR "monitor"
#define CF_DUTY_CRL "crl-download"
#define CF_DUTY_OCSP "ocsp-check"
#define CF_DUTY_ACME CF_ACME_AUTO_JOB

/* The seconds from now until the next daily_at (minutes after midnight UTC): today's when it is
 * still to come, else tomorrow's. */
int64_t cf_duty_daily_wait(int64_t now, int daily_at);

/* One expiry monitor pass at now through t's mail, its findings logged: the pass of the
 * "monitor" duty and of a pass on request. A delivery failure is in out->error, not an error. */
cf_code cf_duty_monitor_pass(cf_store *st, const cf_jobs_env *env, int64_t now, cf_monitor_report *out, cf_err *e);
/* Logs each certificate a pass found newly revoked. */
void cf_duty_log_revoked(const cf_jobs_env *env, const cf_revcheck *p);

#endif
