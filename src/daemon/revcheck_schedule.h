/* certfleetd's OCSP check on the interval (SPEC §6.1): with revocation checking and OCSP on, a
 * pass at start-up over the certificates due (never asked, or asked the revocation settings'
 * interval ago), then one whenever the next falls due. A pass asks one certificate per turn of
 * the event loop — one OCSP exchange, bounded by the settings' per-request timeout — so requests
 * are served in between. A certificate newly found revoked is one error line in the log. The
 * settings are read again every minute while idle, so a change takes effect within one. */
#ifndef CF_REVCHECK_SCHEDULE_H
#define CF_REVCHECK_SCHEDULE_H

#include "core/revcheck.h"
#include "daemon/daemon.h"

#define CF_REVCHECK_TICK 60 /* seconds between looks at the settings while idle */

struct event_base;
typedef struct cf_revcheck_timer cf_revcheck_timer;

/* Starts the schedule on base: the first look at the settings (and the first pass, when it is
 * on) as soon as the loop runs. */
cf_code cf_revcheck_schedule_start(struct event_base *base, cf_daemon *d, cf_revcheck_timer **out, cf_err *e);
/* NULL-safe; a pass under way is dropped (what it recorded stays). */
void cf_revcheck_schedule_stop(cf_revcheck_timer *t);
/* Logs one error line for each place of a certificate the pass p found newly revoked. */
void cf_revcheck_log_revoked(cf_daemon *d, const cf_revcheck *p);
/* Seconds to sleep at now before a pass due at due_at: 0 when it is due, else until then but
 * never more than CF_REVCHECK_TICK. */
int64_t cf_revcheck_schedule_wait(int64_t now, int64_t due_at);

#endif
