/* certfleetd's OCSP check on the interval (see revcheck_schedule.h). */
#include "daemon/revcheck_schedule.h"

#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/certjson.h"
#include "core/revcheck.h"
#include "util/clock.h"

#define RETRY_FAILED_PLAN 300 /* seconds until a pass that could not be planned is tried again */
#define MIN_GAP 10	      /* seconds at least between the end of a pass and the next */

struct cf_revcheck_timer {
	cf_daemon *d;
	struct event *timer;
	cf_revcheck *pass; /* the pass under way (NULL: idle) */
	int64_t due_at;	   /* when the next pass is due */
	int64_t interval;  /* the interval due_at was reckoned with (0: the check was off) */
};

int64_t cf_revcheck_schedule_wait(int64_t now, int64_t due_at)
{
	if (due_at <= now)
		return 0;
	return due_at - now < CF_REVCHECK_TICK ? due_at - now : CF_REVCHECK_TICK;
}

static void arm(cf_revcheck_timer *t, int64_t seconds)
{
	struct timeval tv = {.tv_sec = (time_t)seconds};
	if (event_add(t->timer, &tv) != 0)
		cf_dlog(t->d, CF_LOG_ERROR, "revocation: the OCSP check's timer could not be armed");
}

/* A copy of s for a log line: control characters, backslash and double quote escaped. */
static const char *log_text(const char *s, char *out, size_t cap)
{
	size_t n = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0' && n + 5 < cap; p++) {
		if (*p < 0x20 || *p == 0x7f)
			n += (size_t)snprintf(out + n, cap - n, "\\x%02x", *p);
		else if (*p == '"' || *p == '\\')
			n += (size_t)snprintf(out + n, cap - n, "\\%c", *p);
		else
			out[n++] = (char)*p;
	}
	out[n] = '\0';
	return out;
}

void cf_revcheck_log_revoked(cf_daemon *d, const cf_revcheck *p)
{
	cf_revcheck_item it;
	char cn[3 * 256];
	for (size_t i = 0; cf_revcheck_item_get(p, i, &it); i++)
		if (it.newly_revoked)
			cf_dlog(d, CF_LOG_ERROR, "revocation: %s %s %s \"%s\" is revoked: OCSP %s: %s", it.node,
				cf_certkind_field(it.kind), it.name, log_text(it.cn, cn, sizeof(cn)),
				it.answer->responder, it.answer->message);
}

/* The end of a pass: what it found in the log, and when the next is due. */
static void pass_done(cf_revcheck_timer *t, int64_t now)
{
	cf_revcheck *p = t->pass;
	cf_revcheck_totals n;
	cf_err e = {0};
	char when[32];
	if (cf_revcheck_finish(t->d->st, p, &e) != CF_OK)
		cf_dlog(t->d, CF_LOG_ERROR, "revocation: answers of certificates gone could not be dropped: %s",
			e.message);
	cf_revcheck_log_revoked(t->d, p);
	cf_revcheck_totals_get(p, &n);
	/* every certificate of this pass is due an interval after it was asked: after now at the latest */
	int64_t next = now + t->interval, soonest = cf_revcheck_next_due(p);
	if (soonest != 0 && soonest < next)
		next = soonest;
	if (next < now + MIN_GAP)
		next = now + MIN_GAP;
	t->due_at = next;
	cf_time_rfc3339(next, when);
	cf_dlog(t->d, n.checked > 0 ? CF_LOG_INFO : CF_LOG_DEBUG,
		"revocation: OCSP check done: %zu certificates asked, %zu good, %zu revoked, %zu unknown; next due %s",
		n.checked, n.good, n.revoked, n.unknown, when);
	cf_revcheck_free(p);
	t->pass = NULL;
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	cf_revcheck_timer *t = arg;
	cf_revocation_settings s;
	cf_err e = {0};
	int64_t now = cf_clock_now();
	(void)fd;
	(void)what;
	if (t->pass != NULL) { /* one certificate per turn of the loop */
		if (!cf_revcheck_done(t->pass)) {
			if (cf_revcheck_step(t->d->st, t->pass, now, &e) != CF_OK)
				cf_dlog(t->d, CF_LOG_ERROR, "revocation: an OCSP answer could not be recorded: %s",
					e.message);
			arm(t, 0);
			return;
		}
		pass_done(t, now);
		arm(t, cf_revcheck_schedule_wait(now, t->due_at));
		return;
	}
	if (cf_revocation_settings_get(t->d->st, &s, &e) != CF_OK || !s.check || !s.ocsp) {
		t->interval = 0; /* off (or unreadable): a pass as soon as it is on again */
		arm(t, CF_REVCHECK_TICK);
		return;
	}
	if (s.interval != t->interval) { /* on again, or another interval: the certificates due decide */
		t->interval = s.interval;
		t->due_at = now;
	}
	if (now < t->due_at) {
		arm(t, cf_revcheck_schedule_wait(now, t->due_at));
		return;
	}
	/* planning reads the store and checks signatures, without network */
	if (cf_revcheck_plan(t->d->st, now, false, &t->pass, &e) != CF_OK) {
		cf_dlog(t->d, CF_LOG_ERROR, "revocation: the OCSP check could not be planned: %s", e.message);
		t->pass = NULL;
		t->due_at = now + RETRY_FAILED_PLAN;
		arm(t, cf_revcheck_schedule_wait(now, t->due_at));
		return;
	}
	arm(t, 0);
}

cf_code cf_revcheck_schedule_start(struct event_base *base, cf_daemon *d, cf_revcheck_timer **out, cf_err *e)
{
	cf_revcheck_timer *t = calloc(1, sizeof(*t));
	if (t == NULL || (t->timer = evtimer_new(base, on_timer, t)) == NULL) {
		free(t);
		return cf_err_set(e, CF_E_INTERNAL, "revocation", "out of memory");
	}
	t->d = d;
	arm(t, 0);
	*out = t;
	return CF_OK;
}

void cf_revcheck_schedule_stop(cf_revcheck_timer *t)
{
	if (t == NULL)
		return;
	event_free(t->timer);
	cf_revcheck_free(t->pass);
	free(t);
}
