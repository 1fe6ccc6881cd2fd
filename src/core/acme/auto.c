/* Auto mode for ACME certificates (see auto.h). */
#include "core/acme/auto.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/acme/account.h"
#include "core/acme/client.h"
#include "core/acme/deploy.h"
#include "core/acme/order.h"
#include "core/jobs/jobs.h"
#include "core/model/profile.h"
#include "crypto/x509.h"

#define DAY 86400
#define HALF_DAY (DAY / 2)
#define DEPLOY_WINDOW 3600 /* a deploy window stays open an hour after its time */
#define ARI_EVERY DAY	   /* the CA's window fetched at least this often */
#define ARI_RETRY 3600	   /* ... and an hour after a fetch that failed */
#define STEPS_MAX 8	   /* steps of one identity in one pass (each action at most once) */

static const char *const day_names[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

bool cf_acme_auto_days(const char *text, unsigned *days)
{
	*days = 0;
	if (text == NULL || *text == '\0')
		return true;
	for (const char *p = text;; p++) {
		size_t n = strcspn(p, ",");
		int d = -1;
		for (int i = 0; i < 7; i++)
			if (n == 3 && strncasecmp(p, day_names[i], 3) == 0)
				d = i;
		if (d < 0)
			return false;
		*days |= 1u << d;
		p += n;
		if (*p == '\0')
			return true;
	}
}

/* days as its canonical text ("mon,wed"; "" for none) into out (>= 28 bytes). */
static void days_text(unsigned days, char out[static 28])
{
	out[0] = '\0';
	for (int i = 0; i < 7; i++)
		if (days & (1u << i)) {
			if (out[0] != '\0')
				strcat(out, ",");
			strcat(out, day_names[i]);
		}
}

bool cf_acme_auto_time(const char *text, int *minutes)
{
	*minutes = -1;
	if (text == NULL || *text == '\0')
		return true;
	const char *t = text;
	if (strlen(t) != 5 || t[2] != ':' || t[0] < '0' || t[0] > '2' || t[1] < '0' || t[1] > '9' || t[3] < '0' ||
	    t[3] > '5' || t[4] < '0' || t[4] > '9')
		return false;
	int h = (t[0] - '0') * 10 + (t[1] - '0');
	if (h > 23)
		return false;
	*minutes = h * 60 + (t[3] - '0') * 10 + (t[4] - '0');
	return true;
}

/* Monday 0 .. Sunday 6 of the day that starts at day (1970-01-01 was a Thursday). */
static int weekday(int64_t day)
{
	return (int)(((day / DAY) % 7 + 7 + 3) % 7);
}

/* The first moment at or after now inside a deploy window: the chosen time of a chosen day, open
 * for DEPLOY_WINDOW (a whole chosen day when no time is set; every day when none is chosen). */
static int64_t next_window(int64_t now, unsigned days, int minutes)
{
	if (days == 0 && minutes < 0)
		return now;
	int64_t today = now - now % DAY;
	for (int d = -1; d <= 7; d++) {
		int64_t day = today + (int64_t)d * DAY;
		if (days != 0 && !(days & (1u << weekday(day))))
			continue;
		int64_t open = minutes < 0 ? day : day + (int64_t)minutes * 60;
		int64_t close = minutes < 0 ? day + DAY : open + DEPLOY_WINDOW;
		if (close > now)
			return open > now ? open : now;
	}
	return now; /* not reached: every week holds a chosen day */
}

int64_t cf_acme_auto_longest_wait(const char *deploy_days, const char *deploy_time)
{
	unsigned days;
	int minutes;
	if (!cf_acme_auto_days(deploy_days, &days) || !cf_acme_auto_time(deploy_time, &minutes) ||
	    (days == 0 && minutes < 0))
		return 0;
	if (days == 0)
		days = 0x7f;
	/* the longest wait begins as a window closes and lasts until the next one opens */
	int64_t longest = 0, prev_close = -1;
	for (int d = 0; d < 14; d++) {
		if (!(days & (1u << (d % 7))))
			continue;
		int64_t open = (int64_t)d * DAY + (minutes < 0 ? 0 : (int64_t)minutes * 60);
		int64_t close = minutes < 0 ? open + DAY : open + DEPLOY_WINDOW;
		if (prev_close >= 0 && open - prev_close > longest)
			longest = open - prev_close;
		prev_close = close;
	}
	return longest;
}

/* A number drawn from the identity (and salt): the same in every process sharing the store, and
 * different between identities, so their orders spread over the day (FNV-1a). */
static uint32_t drawn(const cf_acmeidentity *r, int64_t salt)
{
	uint32_t h = 2166136261u;
	int64_t words[2] = {r->node_id, salt};
	const unsigned char *p = (const unsigned char *)words;
	for (size_t i = 0; i < sizeof(words); i++)
		h = (h ^ p[i]) * 16777619u;
	for (p = (const unsigned char *)(r->purpose != NULL ? r->purpose : ""); *p != '\0'; p++)
		h = (h ^ *p) * 16777619u;
	return h;
}

/* The first of the identity's two daily submission times at or after t. */
static int64_t next_submission(const cf_acmeidentity *r, int64_t t)
{
	int64_t first = drawn(r, 0) % HALF_DAY, at = t % HALF_DAY;
	return t + (first - at + HALF_DAY) % HALF_DAY;
}

static bool has(const char *s)
{
	return s != NULL && *s != '\0';
}

void cf_acme_auto_plan(const cf_acmeidentity *r, int64_t not_before, int64_t not_after, int64_t now, cf_acme_plan *out)
{
	memset(out, 0, sizeof(*out));
	/* an ACME certificate is deployed: renew on its schedule; otherwise order at once */
	bool ours = r->last_deploy_at != 0 && not_after > not_before;
	bool urgent = !ours;
	if (ours) {
		int64_t lifetime = not_after - not_before;
		out->floor_at = not_after - lifetime / 20;
		if (r->ari_checked != 0 && r->ari_end > r->ari_start) {
			out->renew_at = r->ari_start +
					(int64_t)(drawn(r, r->ari_start) % (uint64_t)(r->ari_end - r->ari_start));
			urgent = r->ari_end <= now; /* a window already over: the CA wants it now */
		} else {
			out->renew_at = not_before + lifetime / 3 * 2;
		}
		if (out->renew_at >= out->floor_at) {
			out->renew_at = out->floor_at;
			urgent = true;
		}
		out->ari_due = !has(r->staged_pem) && now - r->ari_checked >= ARI_EVERY;
	} else {
		out->renew_at = now;
	}
	if (!has(r->staged_pem)) {
		if (r->failures > 0 && r->first_failure != 0 && now - r->first_failure >= CF_ACME_GIVE_UP)
			out->submit_at = 0; /* given up: an order on request or auto turned on again */
		else if (r->failures > 0)
			out->submit_at = r->next_try > out->renew_at ? r->next_try : out->renew_at;
		else if (urgent)
			out->submit_at = out->renew_at;
		else
			out->submit_at = next_submission(r, out->renew_at);
		if (out->floor_at != 0 && out->submit_at > out->floor_at && r->failures == 0)
			out->submit_at = out->renew_at;
	} else if (!(has(r->last_deploy_status) && strcmp(r->last_deploy_status, "refused") == 0 &&
		     r->last_deploy_at >= r->staged_at)) { /* a refused certificate waits for the operator */
		unsigned days = 0;
		int minutes = -1;
		(void)cf_acme_auto_days(r->deploy_days, &days);
		(void)cf_acme_auto_time(r->deploy_time, &minutes);
		out->deploy_at = next_window(now, days, minutes);
		/* the deployed certificate would be near its end before the window: deploy now */
		if (out->floor_at != 0 && out->deploy_at > out->floor_at)
			out->deploy_at = now;
	}
}

/* ---- turning it on and off ------------------------------------------------------------------------- */

/* The deployed certificate's validity: both 0 when none is deployed, or when the deployed one is
 * self-signed (never a CA's, so the plan orders at once even after an ACME certificate was
 * refused at its deploy and dropped). */
static void deployed_validity(cf_store *st, int64_t node_id, const char *purpose, int64_t *nb, int64_t *na)
{
	cf_certrow cur = {0};
	*nb = *na = 0;
	if (cf_store_identity_get(st, node_id, purpose, false, &cur, NULL) == CF_OK && !cur.facts.self_signed) {
		*nb = cur.facts.not_before;
		*na = cur.facts.not_after;
	}
	cf_certrow_free(&cur);
}

int64_t cf_acme_auto_renew_at(cf_store *st, const cf_acmeidentity *r, int64_t now)
{
	int64_t nb, na;
	cf_acme_plan p;
	if (!r->auto_renew)
		return 0;
	deployed_validity(st, r->node_id, r->purpose, &nb, &na);
	cf_acme_auto_plan(r, nb, na, now, &p);
	return p.renew_at;
}

static cf_code set_once(cf_store *st, const cf_acme_auto_spec *s, int64_t now, cf_err *e)
{
	cf_node node = {0};
	cf_acmeaccount acct = {0};
	cf_acmeidentity row = {0};
	unsigned days = 0;
	char text[28];
	cf_code rc = cf_store_begin(st, e);
	if (rc == CF_OK)
		rc = cf_store_node_get(st, s->node, &node, e);
	if (rc == CF_OK && cf_purpose_find(s->purpose, node.product) == NULL)
		rc = cf_err_set(e, CF_E_INPUT, s->purpose, "%s (%s) has no such purpose", node.fqdn, node.product);
	if (rc == CF_OK && s->account != NULL)
		rc = cf_store_acme_account_get(st, s->account, false, &acct, e);
	if (rc == CF_OK) {
		rc = cf_store_acme_identity_get(st, node.id, s->purpose, &row, e);
		if (rc == CF_E_NOTFOUND) {
			cf_err_clear(e);
			rc = cf_acmeidentity_set(&row.purpose, s->purpose) && cf_acmeidentity_set(&row.state, "none")
				     ? CF_OK
				     : cf_err_set(e, CF_E_INTERNAL, NULL, "out of memory");
			row.node_id = node.id;
		}
	}
	if (rc == CF_OK && s->account != NULL)
		row.account_id = acct.id;
	if (rc == CF_OK && row.account_id == 0)
		rc = cf_err_set(e, CF_E_STATE, s->purpose, "%s %s has no ACME account: give one with --account",
				node.fqdn, s->purpose);
	if (rc == CF_OK && s->deploy_days != NULL) {
		(void)cf_acme_auto_days(s->deploy_days, &days);
		days_text(days, text);
		if (!cf_acmeidentity_set(&row.deploy_days, text))
			rc = cf_err_set(e, CF_E_INTERNAL, NULL, "out of memory");
	}
	if (rc == CF_OK && s->deploy_time != NULL && !cf_acmeidentity_set(&row.deploy_time, s->deploy_time))
		rc = cf_err_set(e, CF_E_INTERNAL, NULL, "out of memory");
	if (rc == CF_OK) {
		/* turned on after auto mode gave up: a new 30 days from now, the next try at once */
		if (s->on && row.failures > 0 && now - row.first_failure >= CF_ACME_GIVE_UP) {
			row.first_failure = now;
			row.next_try = now;
		}
		row.auto_renew = s->on;
		row.renew_at = cf_acme_auto_renew_at(st, &row, now);
		rc = cf_store_acme_identity_put(st, &row, e);
	}
	if (rc == CF_OK && s->on)
		rc = cf_jobs_bring_forward(st, CF_ACME_AUTO_JOB, now, e);
	cf_acmeidentity_free(&row);
	cf_acmeaccount_free(&acct);
	cf_node_free(&node);
	return cf_store_finish(st, rc, e);
}

cf_code cf_acme_auto_set(cf_store *st, const cf_audit_actor *a, const cf_acme_auto_spec *s, int64_t now,
			 cf_acmeidentity *out, cf_err *e)
{
	(void)a; /* one transaction: the caller's audit row goes with it */
	unsigned days;
	int minutes;
	if (s->deploy_days != NULL && !cf_acme_auto_days(s->deploy_days, &days))
		return cf_err_set(e, CF_E_INPUT, "deploy days", "\"%s\" is not a list of days like mon,wed,fri",
				  s->deploy_days);
	if (s->deploy_time != NULL && !cf_acme_auto_time(s->deploy_time, &minutes))
		return cf_err_set(e, CF_E_INPUT, "deploy time", "\"%s\" is not a time HH:MM (UTC)", s->deploy_time);
	cf_code rc;
	CF_STORE_WRITE(st, e, rc, set_once(st, s, now, e));
	if (rc != CF_OK)
		return rc;
	cf_node node = {0};
	if ((rc = cf_store_node_get(st, s->node, &node, e)) == CF_OK)
		rc = cf_store_acme_identity_get(st, node.id, s->purpose, out, e);
	cf_node_free(&node);
	return rc;
}

/* ---- the runner's pass ----------------------------------------------------------------------------- */

typedef struct pass {
	cf_store *st;
	const cf_transport *t;
	int64_t now;
	cf_acme_auto_log log;
	void *log_arg;
	cf_audit_actor actor;
} pass;

static void say(const pass *p, bool error, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void say(const pass *p, bool error, const char *fmt, ...)
{
	if (p->log == NULL)
		return;
	char line[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	p->log(p->log_arg, error, line);
}

static void order_note(void *ctx, const char *line)
{
	const pass *p = ctx;
	say(p, false, "acme: %s", line);
}

/* Writes the ARI fields and renew_at of r (read again inside the transaction, so an order or a
 * deploy another process made meanwhile is kept). */
static cf_code window_once(cf_store *st, const cf_acmeidentity *r, cf_err *e)
{
	cf_acmeidentity row = {0};
	cf_code rc = cf_store_begin(st, e);
	if (rc == CF_OK)
		rc = cf_store_acme_identity_get(st, r->node_id, r->purpose, &row, e);
	if (rc == CF_OK) {
		row.ari_start = r->ari_start;
		row.ari_end = r->ari_end;
		row.ari_checked = r->ari_checked;
		row.renew_at = r->renew_at;
		rc = cf_store_acme_identity_put(st, &row, e);
	}
	cf_acmeidentity_free(&row);
	return cf_store_finish(st, rc, e);
}

/* Fetches the CA's window for the deployed certificate into r (ari_*): none when the CA offers no
 * ARI or does not know the certificate; a failure keeps the last window and asks again in an
 * hour. */
static void fetch_window(const pass *p, cf_acmeidentity *r)
{
	cf_certrow cur = {0};
	cf_cert *cert = NULL;
	char *id = NULL;
	cf_acmeaccount acct = {0};
	cf_key *key = NULL;
	cf_acme_client *c = NULL;
	cf_err e = {0};
	bool known = false;
	int64_t start = 0, end = 0;
	int after = 0;
	cf_code rc = cf_store_identity_get(p->st, r->node_id, r->purpose, false, &cur, &e);
	if (rc == CF_OK &&
	    ((cert = cf_cert_from_der(cur.der, cur.der_len)) == NULL || (id = cf_cert_ari_id(cert)) == NULL))
		rc = cf_err_set(&e, CF_E_INTERNAL, r->purpose, "the deployed certificate has no ARI id");
	if (rc == CF_OK)
		rc = cf_acme_account_open(p->st, p->t, r->account, &acct, &key, &c, &e);
	if (rc == CF_OK && cf_acme_client_directory(c)->renewal_info != NULL)
		rc = cf_acme_renewal_info(c, id, &known, &start, &end, &after, &e);
	if (rc == CF_OK) {
		r->ari_start = known ? start : 0;
		r->ari_end = known ? end : 0;
		r->ari_checked = p->now;
	} else {
		r->ari_checked = p->now - ARI_EVERY + ARI_RETRY;
		say(p, true, "acme: %s %s: the CA's renewal window could not be fetched: %s%s%s", r->node, r->purpose,
		    e.subject, e.subject[0] ? ": " : "", e.message);
	}
	cf_acme_client_free(c);
	cf_key_free(key);
	cf_acmeaccount_free(&acct);
	free(id);
	cf_cert_free(cert);
	cf_certrow_free(&cur);
}

static void do_order(const pass *p, const cf_acmeidentity *r)
{
	cf_acme_order_spec o = {.node = r->node,
				.purpose = r->purpose,
				.account = r->account,
				.profile = has(r->profile) ? r->profile : NULL,
				.profile_required = r->profile_required,
				.note = order_note,
				.ctx = (void *)p};
	cf_acmeidentity out = {0};
	cf_err e = {0};
	say(p, false, "acme: %s %s: ordering (%s)", r->node, r->purpose,
	    r->failures > 0 ? "a try after a failure" : "renewal due");
	if (cf_acme_order_run(p->st, p->t, &p->actor, &o, &out, &e) != CF_OK)
		say(p, true, "acme: %s %s: the order failed: %s%s%s", r->node, r->purpose, e.subject,
		    e.subject[0] ? ": " : "", e.message);
	cf_acmeidentity_free(&out);
}

static void do_deploy(const pass *p, const cf_acmeidentity *r)
{
	cf_acme_deployed d = {0};
	cf_err e = {0};
	if (cf_acme_deploy(p->st, p->t, &p->actor, r->node, r->purpose, &d, &e) != CF_OK)
		say(p, true, "acme: %s %s: the deploy failed: %s%s%s", r->node, r->purpose, e.subject,
		    e.subject[0] ? ": " : "", e.message);
	else
		say(p, false, "acme: %s %s: deployed %s", r->node, r->purpose, d.sha256);
	cf_acme_deployed_free(&d);
}

static void earliest(int64_t *next, int64_t t, int64_t now)
{
	if (t > now && t < *next)
		*next = t;
}

/* Does what is due for one identity (its window, an order, a deploy, in that order, each at most
 * once) and returns when it is next due (0: nothing planned). */
static int64_t one_identity(const pass *p, int64_t node_id, const char *purpose)
{
	bool ordered = false, deployed = false;
	int64_t next = 0;
	for (int step = 0; step < STEPS_MAX; step++) {
		cf_acmeidentity r = {0};
		cf_err e = {0};
		if (cf_store_acme_identity_get(p->st, node_id, purpose, &r, &e) != CF_OK || !r.auto_renew) {
			cf_acmeidentity_free(&r);
			return 0;
		}
		int64_t nb, na;
		cf_acme_plan plan;
		deployed_validity(p->st, node_id, purpose, &nb, &na);
		cf_acme_auto_plan(&r, nb, na, p->now, &plan);
		bool acted = true;
		if (plan.ari_due) { /* once: a fetch moves ari_checked on, failed or not */
			fetch_window(p, &r);
			cf_acme_auto_plan(&r, nb, na, p->now, &plan);
			r.renew_at = plan.renew_at;
			if (window_once(p->st, &r, &e) != CF_OK)
				say(p, true, "acme: %s %s: the renewal window could not be recorded: %s", r.node,
				    r.purpose, e.message);
		} else if (plan.renew_at != r.renew_at) {
			r.renew_at = plan.renew_at;
			if (window_once(p->st, &r, &e) != CF_OK)
				say(p, true, "acme: %s %s: the renewal time could not be recorded: %s", r.node,
				    r.purpose, e.message);
		} else if (plan.deploy_at != 0 && plan.deploy_at <= p->now && !deployed) {
			deployed = true;
			do_deploy(p, &r);
		} else if (plan.submit_at != 0 && plan.submit_at <= p->now && !ordered) {
			ordered = true;
			do_order(p, &r);
		} else {
			acted = false;
			next = INT64_MAX;
			earliest(&next, plan.submit_at, p->now);
			earliest(&next, plan.deploy_at, p->now);
			if (plan.floor_at != 0 && !has(r.staged_pem))
				earliest(&next, r.ari_checked + ARI_EVERY, p->now);
			if (next == INT64_MAX)
				next = 0;
		}
		cf_acmeidentity_free(&r);
		if (!acted)
			break;
	}
	return next;
}

cf_code cf_acme_auto_pass(cf_store *st, const cf_transport *t, int64_t now, cf_acme_auto_log log, void *log_arg,
			  bool (*keep)(void *arg), void *keep_arg, int64_t *next, cf_err *e)
{
	pass p = {.st = st, .t = t, .now = now, .log = log, .log_arg = log_arg};
	snprintf(p.actor.account, sizeof(p.actor.account), "%s", "acme auto");
	snprintf(p.actor.client, sizeof(p.actor.client), "%s", "certfleetd");
	cf_acmeidentity *v = NULL;
	size_t n = 0;
	*next = now + DAY;
	cf_code rc = cf_store_acme_identity_list(st, &v, &n, e);
	if (rc != CF_OK)
		return rc;
	for (size_t i = 0; i < n; i++) {
		if (!v[i].auto_renew)
			continue;
		if (keep != NULL && !keep(keep_arg))
			break;
		int64_t due = one_identity(&p, v[i].node_id, v[i].purpose);
		if (due > now && due < *next)
			*next = due;
	}
	for (size_t i = 0; i < n; i++)
		cf_acmeidentity_free(&v[i]);
	free(v);
	return CF_OK;
}
