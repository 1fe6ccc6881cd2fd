/* certfleetd's expiry monitor schedule (see scheduler.h). */
#include "daemon/scheduler.h"

#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "util/clock.h"

#define RETRY_FAILED_PASS 300 /* seconds until a pass that could not run (store busy, ...) is tried again */

struct cf_scheduler {
	cf_daemon *d;
	struct event *timer;
	int64_t next_at; /* the daemon clock's time the timer is armed for (0: not armed) */
};

/* Copies s into out (cap bytes) with what could break a log line escaped: backslash and double
 * quote with a backslash, control characters as \xNN. */
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

/* (Re)arms the timer for the daemon clock's time at. */
static void arm(cf_scheduler *s, int64_t at)
{
	int64_t now = cf_clock_now();
	struct timeval tv = {.tv_sec = at > now ? (time_t)(at - now) : 0};
	s->next_at = at;
	if (event_add(s->timer, &tv) != 0) {
		cf_dlog(s->d, CF_LOG_ERROR, "monitor: the schedule's timer could not be armed; no further passes");
		s->next_at = 0;
	}
}

cf_code cf_scheduler_run(cf_scheduler *s, cf_daemon *d, int64_t now, cf_monitor_report *out, cf_err *e)
{
	char cn[3 * 256], when[32], next[32];
	memset(out, 0, sizeof(*out));
	/* The pass runs on the event loop: its store work is short, but delivering the digest is a
	 * synchronous SMTP exchange (libcurl, bounded by its connect and transfer timeouts), during
	 * which requests wait. Passes are rare (daily, at most hourly, or on an admin's request). */
	/* a delivery failure is not an error of the pass: the report says why (out->error) */
	cf_code rc = cf_monitor_run(d->st, now, cf_monitor_smtp_deliver, NULL, out, e);
	if (rc != CF_OK) {
		cf_dlog(d, CF_LOG_ERROR, "monitor: the pass failed: %s%s%s", e->subject,
			e->subject[0] != '\0' ? ": " : "", e->message);
		return rc;
	}
	for (size_t i = 0; i < out->n_due; i++) {
		const cf_monitor_due *u = &out->due[i];
		cf_time_rfc3339(u->not_after, when);
		cf_dlog(d, CF_LOG_INFO, "monitor: %s %s \"%s\" expires %s (%lld days): breaks %s", u->node, u->name,
			log_text(u->cn, cn, sizeof(cn)), when, (long long)u->days_left,
			u->breaks != NULL ? u->breaks : "");
	}
	for (size_t i = 0; i < out->alarms.n; i++)
		cf_dlog(d, CF_LOG_INFO, "monitor: CRL download failing: %s",
			log_text(out->alarms.v[i], cn, sizeof(cn)));
	if (out->error[0] != '\0')
		cf_dlog(d, CF_LOG_ERROR, "monitor: delivery failed: %s; %d notification(s) queued for a retry",
			log_text(out->error, cn, sizeof(cn)), out->queued);
	cf_time_rfc3339(out->next_run, next);
	cf_dlog(d, CF_LOG_DEBUG, "monitor: pass done: %zu due, %d sent, %d queued; next pass due %s", out->n_due,
		out->sent, out->queued, next);
	/* a pass on request brings the schedule forward when the next pass is due sooner, never later */
	if (s != NULL && out->next_run > 0 && (s->next_at == 0 || out->next_run < s->next_at))
		arm(s, out->next_run);
	return CF_OK;
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	cf_scheduler *s = arg;
	cf_monitor_report r = {0};
	cf_err e = {0};
	int64_t now = cf_clock_now(), next = 0;
	(void)fd;
	(void)what;
	s->next_at = 0;
	if (cf_scheduler_run(NULL, s->d, now, &r, &e) == CF_OK) {
		next = r.next_run;
	} else {
		cf_err_clear(&e);
		next = now + RETRY_FAILED_PASS;
	}
	if (next <= now) { /* never a busy loop, whatever the core says */
		cf_err_clear(&e);
		if (cf_monitor_next_run(s->d->st, now, &next, &e) != CF_OK || next <= now)
			next = now + CF_MONITOR_HOUR;
	}
	cf_monitor_report_free(&r);
	arm(s, next);
}

cf_code cf_scheduler_new(struct event_base *base, cf_daemon *d, cf_scheduler **out, cf_err *e)
{
	cf_scheduler *s = calloc(1, sizeof(*s));
	if (s == NULL || (s->timer = evtimer_new(base, on_timer, s)) == NULL) {
		free(s);
		return cf_err_set(e, CF_E_INTERNAL, "monitor", "out of memory");
	}
	s->d = d;
	arm(s, cf_clock_now()); /* the first pass at start-up */
	*out = s;
	return CF_OK;
}

void cf_scheduler_free(cf_scheduler *s)
{
	if (s == NULL)
		return;
	if (s->timer != NULL)
		event_free(s->timer);
	free(s);
}

int64_t cf_scheduler_next(const cf_scheduler *s)
{
	return s != NULL ? s->next_at : 0;
}
