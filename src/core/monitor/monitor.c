/* Expiry monitoring (see monitor.h): settings, the run and its ledger, the schedule. */
#include "core/monitor/monitor.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/acme/order.h"
#include "core/revocation/crlfetch.h"
#include "core/model/profile.h"
#include "crypto/x509.h"
#include "util/clock.h"
#include "util/grow.h"

#define RETRY_FIRST 60	    /* seconds: the first retry of a failed delivery */
#define RETRY_MAX 3600	    /* the longest wait between retries */
#define KEY "monitor."	    /* prefix of the monitor's keys in the settings table */
#define FREQ_MAX_HOURS 8760 /* a year */
#define EMAILS_MAX 1023	    /* characters of the address list kept (cf_monitor_settings) */

/* ---- settings --------------------------------------------------------------------------------- */

/* The stored text of one of the monitor's own keys into buf (unchanged when never set). */
static cf_code text_setting(cf_store *st, const char *name, char *buf, size_t len, cf_err *e)
{
	char key[64], *v = NULL;
	snprintf(key, sizeof(key), KEY "%s", name);
	cf_code rc = cf_store_setting_get(st, key, &v, e);
	if (rc == CF_OK && v != NULL)
		snprintf(buf, len, "%s", v);
	free(v);
	return rc;
}

static int64_t number_setting(cf_store *st, const char *name, int64_t dflt, cf_err *e)
{
	char buf[32] = "";
	if (text_setting(st, name, buf, sizeof(buf), e) != CF_OK || buf[0] == '\0')
		return dflt;
	return strtoll(buf, NULL, 10);
}

/* The sender when none is set: certfleet@<this host>. */
static void default_from(char *out, size_t cap)
{
	char host[200] = "localhost";
	gethostname(host, sizeof(host) - 1);
	host[sizeof(host) - 1] = '\0';
	snprintf(out, cap, "certfleet@%s", host);
}

cf_code cf_monitor_settings_get(cf_store *st, cf_monitor_settings *out, cf_err *e)
{
	cf_fieldvals *v = malloc(sizeof(*v));
	memset(out, 0, sizeof(*out));
	if (v == NULL)
		return cf_err_set(e, CF_E_INTERNAL, "monitor", "out of memory");
	cf_code rc = cf_fields_load(st, &cf_monitor_fields, v, e);
	const char *smtp = cf_fieldvals_text(v, "smtp"), *colon = strrchr(smtp, ':');
	out->start_days = (int)cf_fieldvals_int(v, "start_days");
	out->frequency = cf_fieldvals_int(v, "frequency");
	out->email = cf_fieldvals_on(v, "email");
	out->lsc = cf_fieldvals_on(v, "lsc");
	snprintf(out->emails, sizeof(out->emails), "%s", cf_fieldvals_text(v, "emails"));
	snprintf(out->smtp_host, sizeof(out->smtp_host), "%.*s", colon ? (int)(colon - smtp) : 0, smtp);
	out->smtp_port = colon != NULL ? atoi(colon + 1) : 25;
	snprintf(out->smtp_tls, sizeof(out->smtp_tls), "%s", cf_fieldvals_text(v, "smtp_tls"));
	snprintf(out->smtp_user, sizeof(out->smtp_user), "%s", cf_fieldvals_text(v, "smtp_user"));
	out->smtp_password_set = strcmp(cf_fieldvals_text(v, "smtp_password"), "yes") == 0;
	snprintf(out->smtp_ca, sizeof(out->smtp_ca), "%s", cf_fieldvals_text(v, "smtp_ca"));
	snprintf(out->from, sizeof(out->from), "%s", cf_fieldvals_text(v, "from"));
	free(v);
	return rc;
}

char *cf_monitor_smtp_password(cf_store *st)
{
	char *v = NULL;
	if (cf_store_setting_get(st, KEY "smtp_password", &v, NULL) != CF_OK)
		return NULL;
	return v;
}

/* Whether text is an e-mail address certfleet sends to: local@domain, the local part of
 * printable characters without specials, the domain of DNS labels. */
static bool address_ok(const char *a, size_t len)
{
	const char *at = memchr(a, '@', len);
	if (at == NULL || at == a || at - a > 64 || a[0] == '.' || at[-1] == '.')
		return false;
	for (const char *p = a; p < at; p++)
		if (*p <= ' ' || *p >= 0x7f || strchr("()<>[]:;@\\,\"", *p) != NULL || (p[0] == '.' && p[1] == '.'))
			return false;
	const char *d = at + 1, *end = a + len;
	if (end - d < 1 || end - d > 253)
		return false;
	for (const char *label = d; label < end;) {
		const char *dot = memchr(label, '.', (size_t)(end - label));
		const char *lend = dot != NULL ? dot : end;
		if (lend == label || lend - label > 63 || label[0] == '-' || lend[-1] == '-')
			return false;
		for (const char *p = label; p < lend; p++)
			if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
			      *p == '-'))
				return false;
		label = dot != NULL ? dot + 1 : end;
		if (dot != NULL && label == end)
			return false;
	}
	return true;
}

/* emails: a ';'-separated address list, each address checked, written normalised (no spaces, no
 * empties). */
static cf_code check_emails(const cf_field *f, const char *v, char *out, size_t outlen, cf_err *e)
{
	size_t used = 0;
	out[0] = '\0';
	for (const char *p = v; *p != '\0';) {
		p += strspn(p, " \t;");
		size_t len = strcspn(p, ";");
		while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
			len--;
		if (len == 0)
			break;
		if (!address_ok(p, len))
			return cf_err_set(e, CF_E_INPUT, f->name, "\"%.*s\" is not an e-mail address", (int)len, p);
		if (used + len + 2 > outlen || used + len + 1 > EMAILS_MAX)
			return cf_err_set(e, CF_E_INPUT, f->name, "the list is longer than %d characters", EMAILS_MAX);
		used += (size_t)snprintf(out + used, outlen - used, "%s%.*s", used > 0 ? ";" : "", (int)len, p);
		p += len;
	}
	return CF_OK;
}

/* from: one address. */
static cf_code check_from(const cf_field *f, const char *v, char *out, size_t cap, cf_err *e)
{
	if (!address_ok(v, strlen(v)))
		return cf_err_set(e, CF_E_INPUT, f->name, "\"%s\" is not an e-mail address", v);
	snprintf(out, cap, "%s", v);
	return CF_OK;
}

/* smtp_ca: a file certfleet can read ("" for the system's CAs). */
static cf_code check_ca(const cf_field *f, const char *v, char *out, size_t cap, cf_err *e)
{
	if (v[0] != '\0' && access(v, R_OK) != 0)
		return cf_err_set(e, CF_E_INPUT, f->name, "cannot read the CA file \"%s\"", v);
	snprintf(out, cap, "%s", v);
	return CF_OK;
}

/* smtp: "HOST:PORT" or "[V6]:PORT"; "" or "none" clears. */
static cf_code check_smtp(const cf_field *f, const char *v, char *out, size_t cap, cf_err *e)
{
	out[0] = '\0';
	if (v[0] == '\0' || strcmp(v, "none") == 0)
		return CF_OK;
	const char *colon = strrchr(v, ':');
	char *end = NULL;
	long p = colon != NULL ? strtol(colon + 1, &end, 10) : 0;
	size_t n = colon != NULL ? (size_t)(colon - v) : 0;
	if (colon == NULL || colon[1] == '\0' || *end != '\0' || p < 1 || p > 65535 || n == 0 || n >= 256 ||
	    strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]") < n)
		return cf_err_set(e, CF_E_INPUT, f->name, "expected %s, not \"%s\"", f->expect, v);
	snprintf(out, cap, "%.*s:%ld", (int)n, v, p);
	return CF_OK;
}

/* smtp is kept as two keys, smtp_host and smtp_port (as stores have always kept it). */
static cf_code load_smtp(cf_store *st, const cf_field *f, char *out, size_t cap, cf_err *e)
{
	char *host = NULL, *port = NULL;
	(void)f;
	cf_code rc = cf_store_setting_get(st, KEY "smtp_host", &host, e);
	if (rc == CF_OK)
		rc = cf_store_setting_get(st, KEY "smtp_port", &port, e);
	if (host != NULL && host[0] != '\0')
		snprintf(out, cap, "%s:%s", host, port != NULL ? port : "25");
	free(host);
	free(port);
	return rc;
}

static cf_code save_smtp(cf_store *st, const cf_field *f, const char *kept, cf_err *e)
{
	const char *colon = strrchr(kept, ':');
	char host[256] = "";
	(void)f;
	snprintf(host, sizeof(host), "%.*s", colon != NULL ? (int)(colon - kept) : 0, kept);
	cf_code rc = cf_store_setting_set(st, KEY "smtp_host", host[0] != '\0' ? host : NULL, e);
	return rc != CF_OK ? rc : cf_store_setting_set(st, KEY "smtp_port", colon != NULL ? colon + 1 : "25", e);
}

/* The monitor's health after its settings in `monitor show` and GET /monitor. */
static cf_code show_health(cf_store *st, json_t *o, cf_err *e)
{
	cf_monitor_health h = {0};
	cf_code rc = cf_monitor_health_get(st, &h, e);
	char at[32];
	cf_time_rfc3339(h.last_run, at);
	json_object_set_new(o, "pending", json_integer(h.pending));
	json_object_set_new(o, "last_run", h.last_run != 0 ? json_string(at) : json_null());
	json_object_set_new(o, "smtp_failures", json_integer(h.smtp_failures));
	return rc;
}

/* The expiry monitor's settings (`monitor config`, PUT /monitor). */
static const cf_field monitor_fields[] = {
	{.name = "start_days",
	 .option = "start-days",
	 .value = "N",
	 .kind = CF_FIELD_INT,
	 .min = 1,
	 .max = 3650,
	 .def = "30",
	 .key = "start_days",
	 .expect = "1 to 3650 days",
	 .help = "notify this many days before expiry"},
	{.name = "frequency",
	 .option = "frequency",
	 .value = "Nh|Nd",
	 .kind = CF_FIELD_DURATION,
	 .min = CF_MONITOR_HOUR,
	 .max = (int64_t)FREQ_MAX_HOURS * CF_MONITOR_HOUR,
	 .choices = "dh",
	 .def = "86400",
	 .key = "frequency",
	 .expect = "hours (12h) or days (1d) up to a year",
	 .help = "how often one certificate is notified"},
	{.name = "email",
	 .option = "email",
	 .value = "on|off",
	 .kind = CF_FIELD_BOOL,
	 .def = "on",
	 .key = "email",
	 .expect = "on or off",
	 .help = "send e-mail (nothing is sent without addresses)"},
	{.name = "emails",
	 .option = "emails",
	 .value = "\"a@x;b@y\"",
	 .kind = CF_FIELD_LIST,
	 .max = 2000,
	 .def = "",
	 .key = "emails",
	 .expect = "addresses separated by ';'",
	 .help = "the addresses notified",
	 .check = check_emails},
	{.name = "lsc",
	 .option = "lsc",
	 .value = "on|off",
	 .kind = CF_FIELD_BOOL,
	 .def = "off",
	 .key = "lsc",
	 .expect = "on or off",
	 .help = "include phones' LSCs"},
	{.name = "smtp",
	 .option = "smtp",
	 .value = "HOST:PORT",
	 .kind = CF_FIELD_TEXT,
	 .max = 300,
	 .def = "",
	 .key = "smtp_host",
	 .expect = "HOST:PORT",
	 .help = "the mail server (none: no server)",
	 .check = check_smtp,
	 .load = load_smtp,
	 .save = save_smtp},
	{.name = "smtp_tls",
	 .option = "smtp-tls",
	 .value = "none|starttls|implicit",
	 .kind = CF_FIELD_CHOICE,
	 .choices = "none starttls implicit",
	 .def = "starttls",
	 .key = "smtp_tls",
	 .expect = "none, starttls or implicit",
	 .help = "TLS to the mail server"},
	{.name = "smtp_user",
	 .option = "smtp-user",
	 .value = "U",
	 .kind = CF_FIELD_TEXT,
	 .max = 127,
	 .def = "",
	 .key = "smtp_user",
	 .expect = "a user name of at most 127 characters",
	 .help = "the mail server's user (\"\": no AUTH)"},
	{.name = "smtp_password",
	 .option = "smtp-password-stdin",
	 .kind = CF_FIELD_TEXT,
	 .max = 1024,
	 .def = "",
	 .secret = true,
	 .key = "smtp_password",
	 .expect = "one line of at most 1024 bytes",
	 .help = "the mail server's password: the first line of stdin"},
	{.name = "smtp_ca",
	 .option = "smtp-ca",
	 .value = "FILE",
	 .kind = CF_FIELD_TEXT,
	 .max = 511,
	 .def = "",
	 .key = "smtp_ca",
	 .expect = "a CA bundle file",
	 .help = "the CA bundle the mail server is checked against",
	 .check = check_ca},
	{.name = "from",
	 .option = "from",
	 .value = "ADDR",
	 .kind = CF_FIELD_TEXT,
	 .max = 255,
	 .key = "from",
	 .expect = "an e-mail address",
	 .help = "the sender address",
	 .check = check_from,
	 .def_fn = default_from},
};

const cf_fieldgroup cf_monitor_fields = {"monitor",	   "monitor config",
					 "expiry monitor", KEY,
					 monitor_fields,   sizeof(monitor_fields) / sizeof(monitor_fields[0]),
					 show_health};

/* ---- the run ------------------------------------------------------------------------------------ */

int64_t cf_monitor_days_left(int64_t not_after, int64_t now)
{
	int64_t d = not_after - now;
	return d >= 0 ? d / CF_MONITOR_DAY : -((-d + CF_MONITOR_DAY - 1) / CF_MONITOR_DAY);
}

void cf_monitor_report_free(cf_monitor_report *r)
{
	for (size_t i = 0; i < r->n_due; i++) {
		free(r->due[i].node);
		free(r->due[i].name);
		free(r->due[i].cn);
		free(r->due[i].serial);
		free(r->due[i].sha256);
	}
	free(r->due);
	cf_strv_clear(&r->alarms);
	cf_strv_clear(&r->stuck);
	memset(r, 0, sizeof(*r));
}

/* What a certificate's expiry breaks: the purpose's services, for a trust certificate the peers
 * it vouches for, for an LSC the phone's secure services. */
static const char *breaks_of(const cf_watchrow *w, const char *product)
{
	if (w->kind == CF_TRUST)
		return "every peer signed by it stops being trusted by this trust store";
	if (w->kind == CF_LOCAL_CA)
		return "every certificate this local CA issued stops validating (the services using them, its CRLs and "
		       "OCSP answers): make its successor and issue again";
	if (w->kind == CF_LSC)
		return "the phone's secure registration (TLS signalling, encrypted media and configuration),"
		       " and 802.1X and VPN where they use the LSC";
	const cf_purpose *p = cf_purpose_find(w->name, product);
	return p != NULL && p->breaks != NULL ? p->breaks : "the services using this certificate";
}

/* The run's working state. */
typedef struct run_ctx {
	cf_store *st;
	int64_t now;
	const cf_monitor_settings *s;
	cf_monitor_report *out;
	size_t cap;
	cf_watchrow *ready; /* copies of the rows to deliver now (strings owned by out->due) */
	size_t n_ready, cap_ready;
	struct {
		int64_t node_id;
		char product[32];
	} products[64]; /* the nodes' products, looked up once per node */
	size_t n_products;
	bool mail;     /* notifications go out by mail (else the log line is the notification) */
	size_t logged; /* notifications done by the log line alone */
	cf_err *e;
} run_ctx;

/* The node's product (for the purpose table); "" when unknown. */
static const char *product_of(run_ctx *r, const cf_watchrow *w)
{
	for (size_t i = 0; i < r->n_products; i++)
		if (r->products[i].node_id == w->node_id)
			return r->products[i].product;
	size_t i = r->n_products < 64 ? r->n_products++ : (size_t)(w->node_id % 64);
	cf_node n = {0};
	r->products[i].node_id = w->node_id;
	r->products[i].product[0] = '\0';
	if (cf_store_node_get(r->st, w->node, &n, NULL) == CF_OK)
		snprintf(r->products[i].product, sizeof(r->products[i].product), "%s", n.product);
	cf_node_free(&n);
	return r->products[i].product;
}

static int watch_row(void *ctx, const cf_watchrow *w)
{
	run_ctx *r = ctx;
	/* inside the last day, and once expired, a certificate is notified every hour */
	int64_t every = w->not_after - r->now <= CF_MONITOR_DAY ? CF_MONITOR_HOUR : r->s->frequency;
	cf_watchrow row = *w;
	if (row.queued == 0 && row.last_sent != 0 && r->now - row.last_sent < every)
		return 0; /* notified recently enough */
	if (!r->mail) {	  /* the log line is the notification: done at once */
		row.last_sent = r->now;
		row.queued = row.attempts = row.next_attempt = 0;
		r->logged++;
	} else if (row.queued == 0) { /* queued for the digest */
		row.queued = row.next_attempt = r->now;
		row.attempts = 0;
	}
	if ((!r->mail || w->queued == 0) && cf_store_ledger_put(r->st, &row, r->e) != CF_OK)
		return r->e->code;
	if (cf_grow(&r->out->due, &r->cap, r->out->n_due, sizeof(*r->out->due)) != 0 ||
	    cf_grow(&r->ready, &r->cap_ready, r->n_ready, sizeof(*r->ready)) != 0)
		return cf_err_set(r->e, CF_E_INTERNAL, "monitor", "out of memory");
	cf_monitor_due *d = &r->out->due[r->out->n_due++];
	*d = (cf_monitor_due){.node = strdup(w->kind == CF_LOCAL_CA ? "(local CA)" : w->node),
			      .name = strdup(w->name),
			      .cn = strdup(w->cn),
			      .serial = strdup(w->serial),
			      .sha256 = strdup(w->sha256),
			      .kind = w->kind,
			      .not_after = w->not_after,
			      .days_left = cf_monitor_days_left(w->not_after, r->now),
			      .breaks = breaks_of(w, w->kind == CF_LOCAL_CA ? "" : product_of(r, w))};
	if (r->mail && row.next_attempt <= r->now) {
		row.node = d->node;
		row.name = d->name;
		row.cn = d->cn;
		row.serial = d->serial;
		row.sha256 = d->sha256;
		r->ready[r->n_ready++] = row;
	}
	return 0;
}

/* Notes that the CRL alarms went out now. */
static cf_code mark_alarms_sent(cf_store *st, int64_t now, cf_err *e)
{
	char at[24];
	snprintf(at, sizeof(at), "%lld", (long long)now);
	return cf_store_setting_set(st, KEY "alarms_sent", at, e);
}

/* Records the outcome of the delivery of the ready notifications, in one transaction. */
static cf_code record_once(run_ctx *r, bool delivered, cf_err *e)
{
	char failures[24];
	cf_code rc = cf_store_begin(r->st, e);
	for (size_t i = 0; rc == CF_OK && i < r->n_ready; i++) {
		cf_watchrow *w = &r->ready[i];
		if (delivered) {
			w->last_sent = r->now;
			w->queued = w->attempts = w->next_attempt = 0;
		} else {
			int64_t wait = RETRY_FIRST << (w->attempts < 6 ? w->attempts : 6);
			w->attempts++;
			w->next_attempt = r->now + (wait < RETRY_MAX ? wait : RETRY_MAX);
		}
		rc = cf_store_ledger_put(r->st, w, e);
	}
	if (rc == CF_OK && !delivered) {
		snprintf(failures, sizeof(failures), "%lld",
			 (long long)number_setting(r->st, "smtp_failures", 0, e) + 1);
		rc = cf_store_setting_set(r->st, KEY "smtp_failures", failures, e);
	}
	if (rc == CF_OK)
		rc = cf_store_commit(r->st, e);
	cf_store_rollback(r->st);
	return rc;
}

static cf_code record(run_ctx *r, bool delivered, cf_err *e)
{
	cf_code rc;
	CF_STORE_WRITE(r->st, e, rc, record_once(r, delivered, e));
	return rc;
}

/* The next run after now (cf_monitor_next_run), the queue's state and the LSC setting known. */
static cf_code next_run(cf_store *st, bool lsc, int64_t now, int64_t pending, int64_t retry, int64_t *out, cf_err *e)
{
	int64_t first = 0;
	cf_code rc = cf_store_first_expiry(st, lsc, &first, e);
	if (rc != CF_OK)
		return rc;
	bool close = first != 0 && first - now <= CF_MONITOR_DAY;
	*out = now + (close ? CF_MONITOR_HOUR : CF_MONITOR_DAY);
	if (pending > 0 && retry > now && retry < *out)
		*out = retry;
	return CF_OK;
}

/* Step 1 of a run in one transaction: the ledger pruned, what is due queued (r->out->due,
 * r->ready), the run noted. */
static cf_code queue_due(run_ctx *r, int64_t until, const char *last)
{
	cf_code rc = cf_store_begin(r->st, r->e);
	if (rc == CF_OK)
		rc = cf_store_ledger_prune(r->st, until, r->s->lsc, r->e);
	if (rc == CF_OK)
		rc = cf_store_watch_each(r->st, until, r->s->lsc, watch_row, r, r->e);
	if (rc == CF_OK)
		rc = cf_store_setting_set(r->st, KEY "last_run", last, r->e);
	if (rc == CF_OK)
		rc = cf_store_commit(r->st, r->e);
	cf_store_rollback(r->st);
	return rc;
}

/* What a failed queue_due collected, dropped before it runs again. */
static void forget_due(run_ctx *r)
{
	cf_monitor_report_free(r->out);
	memset(r->out, 0, sizeof(*r->out));
	r->cap = 0;
	r->n_ready = 0;
	r->logged = 0;
}

/* The ACME identities stuck (CF_ACME_STUCK_AFTER failed orders in a row), one line each. */
static void acme_stuck(cf_store *st, cf_strv *out)
{
	cf_acmeidentity *v = NULL;
	size_t n = 0;
	if (cf_store_acme_identity_list(st, &v, &n, NULL) != CF_OK)
		return;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(v[i].state, "stuck") == 0) {
			char line[2048];
			snprintf(line, sizeof(line),
				 "%s %s: %lld ACME orders with account %s failed in a row; the last: %s", v[i].node,
				 v[i].purpose, (long long)v[i].failures, v[i].account, v[i].last_sign_error);
			cf_strv_push(out, line);
		}
		cf_acmeidentity_free(&v[i]);
	}
	free(v);
}

cf_code cf_monitor_run(cf_store *st, int64_t now, const cf_transport *net, cf_monitor_report *out, cf_err *e)
{
	cf_monitor_settings s;
	run_ctx r = {.st = st, .now = now, .s = &s, .out = out, .e = e};
	char last[24];
	memset(out, 0, sizeof(*out));
	cf_code rc = cf_monitor_settings_get(st, &s, e);
	int64_t until = now + (int64_t)s.start_days * CF_MONITOR_DAY;
	r.mail = s.email && s.emails[0] != '\0';
	snprintf(last, sizeof(last), "%lld", (long long)now);
	/* 1: queue what is due, drop what no longer is, note the run */
	if (rc == CF_OK)
		CF_STORE_WRITE_RESETTING(st, e, rc, queue_due(&r, until, last), forget_due(&r));
	/* 2: the alarms of failing CRL downloads and stuck ACME renewals are due once per frequency too */
	cf_strv alarms = {0}, stuck = {0};
	if (rc == CF_OK) {
		(void)cf_crlfetch_alarms(st, &alarms, NULL);
		acme_stuck(st, &stuck);
	}
	bool alarms_due = rc == CF_OK && alarms.n + stuck.n > 0 &&
			  now - number_setting(st, "alarms_sent", 0, NULL) >= s.frequency;
	if (!r.mail && alarms_due) /* the log lines are the notification */
		rc = mark_alarms_sent(st, now, e);
	/* 3: deliver the ready ones (and the alarms) as one digest */
	out->sent = (int)r.logged;
	if (rc == CF_OK && r.mail && (r.n_ready > 0 || alarms_due)) {
		cf_code sent = CF_OK;
		cf_err de = {0};
		if (s.smtp_host[0] == '\0') {
			sent = cf_err_set(&de, CF_E_STATE, "smtp", "e-mail is on but no SMTP server is set");
		} else {
			cf_monitor_report digest = *out;
			char *password = s.smtp_password_set ? cf_monitor_smtp_password(st) : NULL;
			digest.n_due = 0; /* the digest holds the ready ones only */
			digest.due = calloc(r.n_ready + 1, sizeof(*digest.due));
			digest.alarms = alarms_due ? alarms : (cf_strv){0};
			digest.stuck = alarms_due ? stuck : (cf_strv){0};
			for (size_t i = 0, k = 0; digest.due != NULL && i < out->n_due && k < r.n_ready; i++)
				if (out->due[i].sha256 == r.ready[k].sha256) {
					digest.due[digest.n_due++] = out->due[i];
					k++;
				}
			char *msg = digest.due != NULL ? cf_monitor_message(&s, &digest, now) : NULL;
			sent = msg == NULL ? cf_err_set(&de, CF_E_INTERNAL, "monitor", "out of memory")
					   : cf_monitor_mail_send(net, &s, password, msg, &de);
			free(msg);
			free(digest.due);
			if (password != NULL)
				cf_secret_free(password);
		}
		if (sent != CF_OK)
			snprintf(out->error, sizeof(out->error), "%s%s%s", de.subject,
				 de.subject[0] != '\0' ? ": " : "", de.message);
		if (r.n_ready > 0)
			rc = record(&r, sent == CF_OK, e);
		if (rc == CF_OK && sent == CF_OK && alarms_due)
			rc = mark_alarms_sent(st, now, e);
		if (rc == CF_OK && sent == CF_OK)
			out->sent += (int)r.n_ready;
		alarms_due = alarms_due && sent == CF_OK;
	}
	if (alarms_due) {
		out->alarms = alarms;
		out->stuck = stuck;
		alarms = stuck = (cf_strv){0};
	}
	cf_strv_clear(&alarms);
	cf_strv_clear(&stuck);
	int64_t pending = 0, retry = 0;
	if (rc == CF_OK)
		rc = cf_store_ledger_pending(st, &pending, &retry, e);
	out->queued = (int)pending;
	if (rc == CF_OK)
		rc = next_run(st, s.lsc, now, pending, retry, &out->next_run, e);
	free(r.ready);
	return rc;
}

cf_code cf_monitor_next_run(cf_store *st, int64_t now, int64_t *out, cf_err *e)
{
	int64_t pending = 0, retry = 0;
	cf_monitor_settings s;
	cf_code rc = cf_monitor_settings_get(st, &s, e);
	if (rc == CF_OK)
		rc = cf_store_ledger_pending(st, &pending, &retry, e);
	return rc != CF_OK ? rc : next_run(st, s.lsc, now, pending, retry, out, e);
}

cf_code cf_monitor_health_get(cf_store *st, cf_monitor_health *out, cf_err *e)
{
	int64_t retry = 0;
	out->last_run = number_setting(st, "last_run", 0, e);
	out->smtp_failures = number_setting(st, "smtp_failures", 0, e);
	return cf_store_ledger_pending(st, &out->pending, &retry, e);
}
