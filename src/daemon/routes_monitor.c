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

#include "core/certjson.h"
#include "core/metrics.h"
#include "core/monitor.h"
#include "crypto/password.h"
#include "daemon/daemon.h"
#include "core/jobs/duties.h"
#include "daemon/jobs.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/text.h"

#define CF_METRICS_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* ---- settings ----------------------------------------------------------------------------------- */

static void reply_settings(cf_req *q)
{
	cf_monitor_settings s;
	cf_monitor_health h = {0};
	cf_err e = {0};
	memset(&s, 0, sizeof(s));
	if (cf_monitor_settings_get(q->d->st, &s, &e) != CF_OK || cf_monitor_health_get(q->d->st, &h, &e) != CF_OK) {
		cf_reply_err(q, &e);
		return;
	}
	cf_reply_json(q, 200, cf_json_monitor(&s, &h));
}

void cf_route_monitor_get(cf_req *q)
{
	if (cf_req_session(q))
		reply_settings(q);
}

/* The settings PUT takes: the JSON name, the `monitor config` option it becomes, and its type. */
enum kind { K_DAYS, K_TEXT, K_BOOL, K_EMAILS, K_SECRET };
static const struct setting {
	const char *field, *key;
	enum kind kind;
} settings[] = {
	{"start_days", "start-days", K_DAYS},
	{"frequency", "frequency", K_TEXT},
	{"email", "email", K_BOOL},
	{"emails", "emails", K_EMAILS},
	{"lsc", "lsc", K_BOOL},
	{"smtp", "smtp", K_TEXT},
	{"smtp_tls", "smtp-tls", K_TEXT},
	{"smtp_user", "smtp-user", K_TEXT},
	{"smtp_ca", "smtp-ca", K_TEXT},
	{"from", "from", K_TEXT},
	{"smtp_password", "smtp-password", K_SECRET},
};
#define N_SETTINGS (sizeof(settings) / sizeof(settings[0]))
#define VALUE_MAX 2048

static const struct setting *setting_find(const char *field)
{
	for (size_t i = 0; i < N_SETTINGS; i++)
		if (strcmp(settings[i].field, field) == 0)
			return &settings[i];
	return NULL;
}

/* The value of one member as `monitor config` text in out; replies 400 naming the field and
 * returns false when it has the wrong type or is not one line of text. */
static bool setting_value(cf_req *q, const struct setting *st, json_t *v, char *out, size_t cap)
{
	char msg[160];
	const char *want = NULL;
	size_t n = 0;
	switch (st->kind) {
	case K_DAYS:
		if (json_is_integer(v) && json_integer_value(v) >= -1000000 && json_integer_value(v) <= 1000000)
			n = (size_t)snprintf(out, cap, "%lld", (long long)json_integer_value(v));
		else
			want = "a whole number of days";
		break;
	case K_BOOL:
		if (json_is_boolean(v))
			n = (size_t)snprintf(out, cap, "%s", json_is_true(v) ? "on" : "off");
		else
			want = "true or false";
		break;
	case K_TEXT:
	case K_SECRET:
		if (!json_is_string(v) || json_string_length(v) >= cap ||
		    strlen(json_string_value(v)) != json_string_length(v) ||
		    (st->kind == K_TEXT && !cf_text_clean(json_string_value(v), json_string_length(v))))
			want = "a string on one line";
		else
			n = (size_t)snprintf(out, cap, "%s", json_string_value(v));
		break;
	case K_EMAILS:
		if (json_is_string(v) && json_string_length(v) < cap &&
		    cf_text_clean(json_string_value(v), json_string_length(v))) {
			n = (size_t)snprintf(out, cap, "%s", json_string_value(v));
		} else if (json_is_array(v)) {
			size_t i;
			json_t *a;
			out[0] = '\0';
			json_array_foreach(v, i, a)
			{
				const char *s = json_string_value(a);
				if (s == NULL || !cf_text_clean(s, json_string_length(a)) || strchr(s, ';') != NULL ||
				    n + strlen(s) + 2 >= cap) {
					want = "a string of addresses separated by ';' or a list of addresses";
					break;
				}
				n += (size_t)snprintf(out + n, cap - n, "%s%s", i > 0 ? ";" : "", s);
			}
		} else {
			want = "a string of addresses separated by ';' or a list of addresses";
		}
		break;
	}
	if (want == NULL && n < cap)
		return true;
	snprintf(msg, sizeof(msg), "%s: expected %s", st->field, want != NULL ? want : "a shorter value");
	cf_reply_field(q, 400, st->field, msg);
	return false;
}

/* The request field an error of cf_monitor_configure is about: its subject is the setting
 * ("start-days", "smtp-tls"; an option with "--" is read the same) or a value (one address of
 * emails). */
static const char *error_field_of(const char *subject, const char *emails)
{
	char name[64];
	const char *s = strncmp(subject, "--", 2) == 0 ? subject + 2 : subject;
	if (s[0] == '\0')
		return NULL;
	snprintf(name, sizeof(name), "%s", s);
	for (char *p = name; *p != '\0'; p++)
		if (*p == '-')
			*p = '_';
	if (strcmp(name, "smtp_password_stdin") == 0)
		return "smtp_password";
	const struct setting *st = setting_find(name);
	if (st != NULL)
		return st->field;
	if (emails != NULL && strstr(emails, subject) != NULL)
		return "emails";
	return NULL;
}

/* Names the field of a refused configuration in e itself, so the reply carries "field" and
 * a message that starts with it ("emails: x@@y: not an e-mail address"). */
static void name_field(cf_err *e, const char *emails)
{
	const char *field = error_field_of(e->subject, emails);
	if (field == NULL)
		return;
	const char *s = strncmp(e->subject, "--", 2) == 0 ? e->subject + 2 : e->subject;
	bool is_key = error_field_of(s, NULL) != NULL; /* the option itself, not a value */
	if (!is_key) {
		char msg[sizeof(e->message)];
		size_t k = strlen(e->subject);
		if (k + 2 < sizeof(msg)) { /* "<value>: <message>", cut to fit */
			memcpy(msg, e->subject, k);
			memcpy(msg + k, ": ", 2);
			size_t m = strnlen(e->message, sizeof(msg) - k - 3);
			memcpy(msg + k + 2, e->message, m);
			msg[k + 2 + m] = '\0';
			memcpy(e->message, msg, k + 3 + m);
		}
	}
	cf_err_subject(e, field);
}

void cf_route_monitor_put(cf_req *q)
{
	char values[N_SETTINGS][VALUE_MAX];
	cf_setting_change changes[N_SETTINGS];
	size_t n = 0;
	const char *key, *emails = NULL;
	json_t *v, *body;
	char object[600] = "";
	size_t olen = 0;
	cf_err e = {0};
	cf_change c;
	memset(values, 0, sizeof(values));
	if (!cf_req_change(q, true) || (body = cf_req_json(q)) == NULL)
		return;
	json_object_foreach(body, key, v)
	{
		const struct setting *st = setting_find(key);
		if (st == NULL) {
			char msg[200];
			snprintf(msg, sizeof(msg),
				 "%.60s: not a monitor setting (start_days, frequency, email, emails, lsc, smtp, "
				 "smtp_tls, "
				 "smtp_user, smtp_password, smtp_ca, from)",
				 key);
			cf_reply_field(q, 400, key, msg);
			goto out;
		}
		if (!setting_value(q, st, v, values[n], sizeof(values[n])))
			goto out;
		changes[n].key = st->key;
		changes[n].value = values[n];
		if (st->kind == K_EMAILS)
			emails = values[n];
		/* the audit object names what changed, never the password */
		olen += (size_t)snprintf(object + olen, olen < sizeof(object) ? sizeof(object) - olen : 0, "%s%s=%s",
					 olen > 0 ? " " : "", st->key, st->kind == K_SECRET ? "(set)" : values[n]);
		if (olen >= sizeof(object))
			olen = sizeof(object) - 1;
		n++;
	}
	if (n == 0) {
		cf_reply_error(
			q, 400, "input rejected",
			"no settings given: send one or more of start_days, frequency, email, emails, lsc, smtp, "
			"smtp_tls, smtp_user, smtp_password, smtp_ca, from");
		goto out;
	}
	cf_change_begin(q, &c, "monitor config", "%s", object);
	cf_code rc = cf_monitor_configure(q->d->st, changes, n, &e);
	if (rc != CF_OK)
		name_field(&e, emails);
	if (cf_change_end(q, &c, rc, &e))
		reply_settings(q);
out:
	for (size_t i = 0; i < N_SETTINGS; i++)
		cf_secret_wipe(values[i], sizeof(values[i]));
	v = json_object_get(q->fields, "smtp_password");
	if (json_is_string(v))
		cf_secret_wipe((char *)json_string_value(v), json_string_length(v));
}

/* ---- one pass on request ------------------------------------------------------------------------ */

void cf_route_monitor_run(cf_req *q)
{
	cf_monitor_report r;
	cf_err e = {0};
	cf_change c;
	char at[32];
	memset(&r, 0, sizeof(r));
	if (!cf_req_change(q, true))
		return;
	/* the monitor job's lease first (outside the change's transaction): one pass at a time on
	 * the store, this process's runner and other processes included */
	const cf_jobs_env *env = cf_runner_env(q->d->runner);
	int64_t now = cf_clock_now();
	if (cf_jobs_take(q->d->st, env, CF_DUTY_MONITOR, now, &e) != CF_OK) {
		cf_reply_err(q, &e);
		return;
	}
	cf_time_rfc3339(now, at);
	cf_change_begin(q, &c, "monitor run", "pass at %s", at);
	cf_code rc = cf_duty_monitor_pass(q->d->st, env, now, &r, &e);
	bool ok = cf_change_end(q, &c, rc, &e);
	/* a pass on request brings the schedule forward when the next pass is due sooner, never later */
	cf_jobs_give_back(q->d->st, env, CF_DUTY_MONITOR, cf_clock_now(), rc == CF_OK ? r.next_run : 0, rc, &e);
	cf_runner_poke(q->d->runner);
	if (ok) {
		cf_buf b = {0};
		cf_monitor_run_write(&b, &r);
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
	if (cf_store_job_list(q->d->st, &v, &n, &e) != CF_OK) {
		cf_reply_err(q, &e);
		return;
	}
	cf_reply_json(q, 200, cf_json_jobs(v, n, cf_clock_now()));
	cf_jobs_free(v, n);
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

void cf_metrics_cache_free(cf_daemon *d)
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
	cf_metrics_cache_free(d);
	d->metrics_body = fresh;
	d->metrics_built_us = monotonic_us();
	cf_dlog(d, CF_LOG_DEBUG, "/metrics: built for %zu certificates, %zu bytes, in %lld ms", n, fresh.len,
		(long long)((d->metrics_built_us - t0) / 1000));
	cf_reply_bytes(q, 200, CF_METRICS_TYPE, d->metrics_body.p, d->metrics_body.len);
	if (d->metrics_cache_s == 0)
		cf_metrics_cache_free(d);
}
