/* certfleetd's daily CRL download (see crl_schedule.h). */
#include "daemon/crl_schedule.h"

#include <event2/event.h>
#include <stdlib.h>

#include "core/crlfetch.h"
#include "net/http_client.h"
#include "util/clock.h"

struct cf_crl_schedule_timer {
	cf_daemon *d;
	struct event *timer;
};

int64_t cf_crl_schedule_wait(int64_t now, int daily_at)
{
	int64_t today = now - now % 86400, at = today + (int64_t)daily_at * 60;
	if (at <= now) /* today's time has come: a timer firing on time re-arms for tomorrow */
		at += 86400;
	return at - now;
}

static void arm(cf_crl_schedule_timer *t)
{
	cf_crl_schedule s = {.daily_at = 120};
	cf_err e = {0};
	cf_crl_schedule_get(t->d->st, &s, &e); /* the time may change between runs */
	struct timeval tv = {.tv_sec = (time_t)cf_crl_schedule_wait(cf_clock_now(), s.daily_at)};
	if (event_add(t->timer, &tv) != 0)
		cf_dlog(t->d, CF_LOG_ERROR, "crl: the daily download's timer could not be armed");
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	cf_crl_schedule_timer *t = arg;
	cf_crl_fetched *v = NULL;
	size_t n = 0;
	cf_err e = {0};
	(void)fd;
	(void)what;
	/* synchronous downloads on the loop, bounded by their timeouts; once a day */
	if (cf_crl_update(t->d->st, cf_clock_now(), cf_http_client_download, &v, &n, &e) != CF_OK)
		cf_dlog(t->d, CF_LOG_ERROR, "crl: the daily download did not run: %s", e.message);
	for (size_t i = 0; i < n; i++)
		cf_dlog(t->d, v[i].rc == CF_OK ? CF_LOG_INFO : CF_LOG_ERROR, "crl: %s: %s", v[i].url, v[i].message);
	cf_crl_fetched_free(v, n);
	arm(t);
}

cf_code cf_crl_schedule_start(struct event_base *base, cf_daemon *d, cf_crl_schedule_timer **out, cf_err *e)
{
	cf_crl_schedule_timer *t = calloc(1, sizeof(*t));
	if (t == NULL || (t->timer = evtimer_new(base, on_timer, t)) == NULL) {
		free(t);
		return cf_err_set(e, CF_E_INTERNAL, "crl", "out of memory");
	}
	t->d = d;
	arm(t);
	*out = t;
	return CF_OK;
}

void cf_crl_schedule_stop(cf_crl_schedule_timer *t)
{
	if (t == NULL)
		return;
	event_free(t->timer);
	free(t);
}
