/* certfleetd's daily CRL download (SPEC §6.2): every distribution point fetched at the
 * configured UTC time (`certfleet crl config --daily-at`, default 02:00), one log line per URL;
 * a failure keeps the last good CRL and leaves the alarm the doctor reports. */
#ifndef CF_CRL_SCHEDULE_H
#define CF_CRL_SCHEDULE_H

#include "daemon/daemon.h"

struct event_base;
typedef struct cf_crl_schedule_timer cf_crl_schedule_timer;

cf_code cf_crl_schedule_start(struct event_base *base, cf_daemon *d, cf_crl_schedule_timer **out, cf_err *e);
/* NULL-safe. */
void cf_crl_schedule_stop(cf_crl_schedule_timer *t);
/* Seconds from now to the next time of day daily_at (minutes after midnight UTC): later today,
 * or tomorrow once today's has come (never 0). */
int64_t cf_crl_schedule_wait(int64_t now, int daily_at);

#endif
