/* certfleetd's expiry monitor routes (SPEC §5): the settings (as `certfleet monitor show` and
 * `monitor config`), one pass on request (as `monitor run`), and /metrics in the Prometheus text
 * exposition format 0.0.4 (built by core/metrics, cached here): every certificate's validity dates and
 * the monitor's health. */
#include <arpa/inet.h>
#include <event2/http.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/view/certjson.h"
#include "core/monitor/metrics.h"
#include "core/monitor/monitor.h"
#include "crypto/password.h"
#include "daemon/daemon.h"
#include "core/jobs/duties.h"
#include "daemon/jobs.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/text.h"

#define CF_METRICS_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* ---- settings ----------------------------------------------------------------------------------- */

void cf_route_monitor_get(cf_req *q)
{
	cf_route_settings_get(q, &cf_monitor_fields);
}

void cf_route_monitor_put(cf_req *q)
{
	cf_route_settings_put(q, &cf_monitor_fields);
}

/* ---- one pass on request ------------------------------------------------------------------------ */

/* POST /monitor/run: one pass now (on a worker: its mail may wait on the server's timeouts). */
void cf_route_monitor_run(cf_req *q)
{
	cf_change c;
	cf_monitor_report r = {0};
	cf_err e = {0};
	char at[32];
	if (!cf_req_change(q, true))
		return;
	const cf_jobs_env *env = cf_runner_env(q->d->runner);
	int64_t now = cf_clock_now();
	/* the monitor job's lease first (outside the pass's transaction, which carries the audit
	 * row): one pass at a time on the store, this process's runner and other processes included */
	cf_code rc = cf_jobs_take(q->st, env, CF_DUTY_MONITOR, now, &e);
	if (rc != CF_OK) {
		cf_reply_err(q, &e);
		return;
	}
	cf_time_rfc3339(now, at);
	cf_change_begin(q, &c, "monitor run", "pass at %s", at);
	rc = cf_duty_monitor_pass(q->st, env, now, &r, &e);
	bool made = cf_change_end(q, &c, rc, &e);
	/* a pass on request brings the schedule forward when the next pass is due sooner, never later */
	cf_jobs_give_back(q->st, env, CF_DUTY_MONITOR, cf_clock_now(), rc == CF_OK ? r.next_run : 0, rc, &e);
	cf_runner_poke(q->d->runner);
	if (made) {
		cf_buf b = {0};
		cf_certjson_write_monitor_run(&b, &r);
		cf_buf_add(&b, "\n", 1);
		if (b.oom)
			cf_reply_error(q, 500, "internal error", "out of memory");
		else
			cf_reply_bytes(q, 200, "application/json", b.p, b.len);
		cf_buf_free(&b);
	}
	cf_monitor_report_free(&r);
}

/* ---- the job table ------------------------------------------------------------------------------ */

/* GET: the duties certfleetd runs by itself, as `certfleet job list --json` prints them. */
void cf_route_jobs(cf_req *q)
{
	cf_job *v = NULL;
	size_t n = 0;
	cf_err e = {0};
	if (!cf_req_session(q))
		return;
	if (cf_store_job_list(q->st, &v, &n, &e) != CF_OK) {
		cf_reply_err(q, &e);
		return;
	}
	cf_reply_json(q, 200, cf_json_jobs(v, n, cf_clock_now()));
	cf_store_jobs_free(v, n);
}

/* ---- /metrics ------------------------------------------------------------------------------------ */

bool cf_listen_is_loopback(const char *host)
{
	struct in_addr a4;
	struct in6_addr a6;
	if (host == NULL)
		return false;
	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, host, &a6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&a6) || (IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127);
	return false;
}

/* Whether the request may read /metrics; replies (401/403) when not. */
static bool metrics_allowed(cf_req *q)
{
	static const char bearer[] = "Bearer ";
	/* A token, when there is one, is needed on every listen address: behind a reverse proxy the
	 * loopback address is anyone's who reaches the proxy. */
	if (q->d->metrics_token == NULL && q->d->metrics_open)
		return true;
	if (q->d->metrics_token == NULL) {
		cf_reply_error(q, 403, "forbidden",
			       "/metrics is served without a token only on a loopback listen address; start certfleetd "
			       "with --metrics-token-file FILE and send Authorization: Bearer <the token in FILE>");
		return false;
	}
	const char *h = evhttp_find_header(evhttp_request_get_input_headers(q->r), "Authorization");
	if (h != NULL && strncasecmp(h, bearer, sizeof(bearer) - 1) == 0 && /* the scheme is case-insensitive */
	    cf_token_equal(h + sizeof(bearer) - 1, q->d->metrics_token))
		return true;
	evhttp_add_header(evhttp_request_get_output_headers(q->r), "WWW-Authenticate",
			  "Bearer realm=\"certfleetd metrics\"");
	cf_reply_error(q, 401, "unauthenticated",
		       h == NULL ? "/metrics needs Authorization: Bearer <token> (the token of --metrics-token-file)"
				 : "wrong bearer token for /metrics");
	return false;
}

static int64_t monotonic_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void cf_daemon_metrics_cache_free(cf_daemon *d)
{
	cf_buf_free(&d->metrics_body);
	d->metrics_built_us = 0;
}

/* The answer is built at most once per --metrics-cache seconds (a store of 30,000 LSCs is some
 * 30 MB of text and a second of the loop) and the same bytes served in between. The cache sits
 * behind the token check, which runs on every request: a cached answer is only ever sent to a
 * caller allowed to read a fresh one. */
void cf_route_metrics(cf_req *q)
{
	cf_daemon *d = q->d;
	cf_buf fresh = {0};
	size_t n = 0;
	cf_err e = {0};
	if (!metrics_allowed(q))
		return;
	int64_t t0 = monotonic_us();
	if (d->metrics_body.len > 0 && t0 - d->metrics_built_us < (int64_t)d->metrics_cache_s * 1000000) {
		cf_dlog(d, CF_LOG_DEBUG, "/metrics: the answer built %lld ms ago (cached for %d s)",
			(long long)((t0 - d->metrics_built_us) / 1000), d->metrics_cache_s);
		cf_reply_bytes(q, 200, CF_METRICS_TYPE, d->metrics_body.p, d->metrics_body.len);
		return;
	}
	if (cf_metrics_write(d->st, cf_clock_now(), &fresh, &n, &e) != CF_OK) {
		cf_buf_free(&fresh);
		cf_reply_err(q, &e);
		return;
	}
	cf_daemon_metrics_cache_free(d);
	d->metrics_body = fresh;
	d->metrics_built_us = monotonic_us();
	cf_dlog(d, CF_LOG_DEBUG, "/metrics: built for %zu certificates, %zu bytes, in %lld ms", n, fresh.len,
		(long long)((d->metrics_built_us - t0) / 1000));
	cf_reply_bytes(q, 200, CF_METRICS_TYPE, d->metrics_body.p, d->metrics_body.len);
	if (d->metrics_cache_s == 0)
		cf_daemon_metrics_cache_free(d);
}
