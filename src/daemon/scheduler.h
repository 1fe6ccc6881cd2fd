/* certfleetd's expiry monitor schedule (SPEC §5): one monitor pass at start-up, then one every
 * 24 hours counted from the start, or every hour once a certificate is within a day of expiry or
 * expired (sooner when a queued retry is due): a one-shot libevent timer re-armed from
 * cf_monitor_next_run after every pass. Each notification is one log line on stderr, and so is a
 * failed delivery. */
#ifndef CF_SCHEDULER_H
#define CF_SCHEDULER_H

#include "core/monitor.h"
#include "daemon/daemon.h"

struct event_base;

typedef struct cf_scheduler cf_scheduler;

/* Starts the schedule on base: the first pass runs as soon as the loop does. */
cf_code cf_scheduler_new(struct event_base *base, cf_daemon *d, cf_scheduler **out, cf_err *e);
/* NULL-safe. */
void cf_scheduler_free(cf_scheduler *s);

/* One pass at now with the daemon's store and SMTP delivery (also POST /api/v1/monitor/run):
 * logs each notification and a delivery failure, and brings the timer forward when the pass
 * says the next one is due sooner than it is armed for (s may be NULL: no timer). The report is
 * filled when the pass ran, also when delivery failed (then CF_OK and out->error says why);
 * anything else is the error of cf_monitor_run. */
cf_code cf_scheduler_run(cf_scheduler *s, cf_daemon *d, int64_t now, cf_monitor_report *out, cf_err *e);

/* When the next scheduled pass is (epoch seconds of the daemon's clock), 0 when none is armed. */
int64_t cf_scheduler_next(const cf_scheduler *s);

#endif
