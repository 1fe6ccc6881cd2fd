/* The /metrics exposition (Prometheus text format 0.0.4) from stored facts: see metrics.h. */
#include "core/monitor/metrics.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/view/certjson.h"
#include "core/monitor/monitor.h"

/* Appends s as a label value: backslash, double quote and line feed escaped (format 0.0.4). */
static void label_value(cf_buf *b, const char *s, size_t len)
{
	const char *p = s != NULL ? s : "", *end = p + (s != NULL ? len : 0);
	cf_buf_add(b, "\"", 1);
	while (p < end) {
		const char *q = p;
		while (q < end && *q != '\\' && *q != '"' && *q != '\n')
			q++;
		cf_buf_add(b, p, (size_t)(q - p));
		if (q == end)
			break;
		cf_buf_add(b, *q == '\\' ? "\\\\" : *q == '"' ? "\\\"" : "\\n", 2);
		p = q + 1;
	}
	cf_buf_add(b, "\"", 1);
}

static void label_str(cf_buf *b, const char *s)
{
	label_value(b, s, s != NULL ? strlen(s) : 0);
}

/* One sample of an identity's gauge: NAME{node="..",purpose=".."} VALUE; labels is scratch. */
static void identity_sample(cf_buf *out, cf_buf *labels, const char *name, const char *node, const char *purpose,
			    int64_t value)
{
	cf_buf_reset(labels);
	cf_buf_adds(labels, "{node=");
	label_str(labels, node);
	cf_buf_adds(labels, ",purpose=");
	label_str(labels, purpose);
	cf_buf_addf(out, "%s%s} %lld\n", name, labels->p, (long long)value);
}

static int hex_digit(char c)
{
	return c >= '0' && c <= '9'   ? c - '0'
	       : c >= 'a' && c <= 'f' ? c - 'a' + 10
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10
				      : -1;
}

bool cf_metrics_serial_decimal(cf_buf *b, const char *hex)
{
	enum { BASE = 1000000000, ON_STACK = 64 }; /* 64 limbs of 9 digits: serials of up to 470 hex digits */
	uint32_t stack[ON_STACK], *limb = stack;
	bool neg = hex[0] == '-';
	const char *h = hex + (neg ? 1 : 0);
	size_t n = strlen(h), used = 1;
	if (n == 0 || strspn(h, "0123456789abcdefABCDEF") != n)
		return false;
	size_t cap = n / 7 + 2; /* 16^7 < 10^9: each 7 hex digits add at most one limb */
	if (cap > ON_STACK && (limb = calloc(cap, sizeof(*limb))) == NULL) {
		b->oom = 1;
		return false;
	}
	limb[0] = 0;
	for (size_t i = 0; i < n; i++) { /* limb = limb * 16 + digit, little-endian in base 10^9 */
		uint64_t carry = (uint64_t)hex_digit(h[i]);
		for (size_t k = 0; k < used; k++) {
			uint64_t v = (uint64_t)limb[k] * 16 + carry;
			limb[k] = (uint32_t)(v % BASE);
			carry = v / BASE;
		}
		if (carry != 0)
			limb[used++] = (uint32_t)carry;
	}
	if (neg && (used > 1 || limb[0] != 0))
		cf_buf_add(b, "-", 1);
	cf_buf_addf(b, "%u", (unsigned)limb[used - 1]);
	for (size_t k = used - 1; k-- > 0;)
		cf_buf_addf(b, "%09u", (unsigned)limb[k]);
	if (limb != stack)
		free(limb);
	return true;
}

bool cf_metrics_name_cn(cf_buf *b, const char *rfc2253)
{
	/* OpenSSL's RFC 2253 text: TYPE=VALUE attributes separated by ',' (RDNs) and '+' (within one);
	 * in a value a backslash escapes the next character, or writes a byte as two hex digits. */
	const char *p = rfc2253 != NULL ? rfc2253 : "";
	while (*p != '\0') {
		const char *eq = strchr(p, '=');
		if (eq == NULL)
			return false;
		bool cn = eq - p == 2 && strncasecmp(p, "CN", 2) == 0;
		for (p = eq + 1; *p != '\0' && *p != ',' && *p != '+';) {
			char c = *p++;
			if (c == '\\' && *p != '\0') {
				if (hex_digit(p[0]) >= 0 && hex_digit(p[1]) >= 0) {
					c = (char)(hex_digit(p[0]) << 4 | hex_digit(p[1]));
					p += 2;
				} else
					c = *p++;
			}
			if (cn)
				cf_buf_add(b, &c, 1);
		}
		if (cn)
			return true;
		if (*p != '\0')
			p++;
	}
	return false;
}

/* The families, in the order they are written. The per-certificate ones get one sample per
 * certificate, each in its own buffer during the walk. */
enum { F_NOT_AFTER, F_NOT_BEFORE, F_X_EXPIRED, F_X_NOT_BEFORE, F_X_NOT_AFTER, N_CERT_FAMILIES };
static const struct family {
	const char *name, *help;
} families[N_CERT_FAMILIES] = {
	[F_NOT_AFTER] = {"certfleet_certificate_not_after_seconds",
			 "The certificate's notAfter (end of validity), seconds since the epoch."},
	[F_NOT_BEFORE] = {"certfleet_certificate_not_before_seconds",
			  "The certificate's notBefore (start of validity), seconds since the epoch."},
	[F_X_EXPIRED] = {"x509_cert_expired",
			 "1 when the certificate's notAfter has passed, else 0 (x509-certificate-exporter's name)."},
	[F_X_NOT_BEFORE] = {"x509_cert_not_before",
			    "The certificate's notBefore, seconds since the epoch (x509-certificate-exporter's name)."},
	[F_X_NOT_AFTER] = {"x509_cert_not_after",
			   "The certificate's notAfter, seconds since the epoch (x509-certificate-exporter's name)."},
};

typedef struct metrics_walk {
	cf_buf *fam[N_CERT_FAMILIES];
	cf_buf labels, xlabels, cn; /* one row's label sets, and its issuer's CN */
	int64_t now;
	size_t n;
} metrics_walk;

static void sample(cf_buf *b, int family, const cf_buf *labels, int64_t value)
{
	cf_buf_adds(b, families[family].name);
	cf_buf_add(b, labels->p, labels->len);
	cf_buf_addf(b, "%lld\n", (long long)value);
}

static int metrics_row(void *ctx, const cf_certrow *r)
{
	metrics_walk *w = ctx;
	const cf_facts *f = &r->facts;
	const char *field = cf_certkind_field(r->kind); /* purpose, store or endpoint */
	/* certfleet's: node, purpose|store|endpoint, cn, serial (hex) */
	cf_buf_reset(&w->labels);
	cf_buf_adds(&w->labels, "{node=");
	label_str(&w->labels, r->node);
	cf_buf_addf(&w->labels, ",%s=", field);
	label_str(&w->labels, r->name);
	cf_buf_adds(&w->labels, ",cn=");
	label_str(&w->labels, f->cn);
	cf_buf_adds(&w->labels, ",serial=");
	label_str(&w->labels, f->serial);
	cf_buf_adds(&w->labels, "} ");
	/* x509-certificate-exporter's: subject_CN and issuer_CN (each only when the name has one),
	 * serial_number in decimal; filepath "node/place" stands where the exporter names the file,
	 * and node and place keep the copies of one certificate in several stores apart. */
	cf_buf_reset(&w->xlabels);
	cf_buf_adds(&w->xlabels, "{node=");
	label_str(&w->xlabels, r->node);
	cf_buf_addf(&w->xlabels, ",%s=", field);
	label_str(&w->xlabels, r->name);
	cf_buf_reset(&w->cn);
	cf_buf_adds(&w->cn, r->node);
	cf_buf_add(&w->cn, "/", 1);
	cf_buf_adds(&w->cn, r->name);
	cf_buf_adds(&w->xlabels, ",filepath=");
	label_value(&w->xlabels, w->cn.p, w->cn.len);
	if (f->cn != NULL && f->cn[0] != '\0') {
		cf_buf_adds(&w->xlabels, ",subject_CN=");
		label_str(&w->xlabels, f->cn);
	}
	cf_buf_reset(&w->cn);
	if (cf_metrics_name_cn(&w->cn, f->issuer) && w->cn.len > 0) {
		cf_buf_adds(&w->xlabels, ",issuer_CN=");
		label_value(&w->xlabels, w->cn.p, w->cn.len);
	}
	cf_buf_adds(&w->xlabels, ",serial_number=\""); /* digits only: nothing to escape */
	if (f->serial != NULL)
		cf_metrics_serial_decimal(&w->xlabels, f->serial); /* (a stored certificate always has one) */
	cf_buf_adds(&w->xlabels, "\"} ");
	if (w->labels.oom || w->xlabels.oom || w->cn.oom)
		return CF_E_INTERNAL;
	sample(w->fam[F_NOT_AFTER], F_NOT_AFTER, &w->labels, f->not_after);
	sample(w->fam[F_NOT_BEFORE], F_NOT_BEFORE, &w->labels, f->not_before);
	sample(w->fam[F_X_EXPIRED], F_X_EXPIRED, &w->xlabels, w->now > f->not_after ? 1 : 0);
	sample(w->fam[F_X_NOT_BEFORE], F_X_NOT_BEFORE, &w->xlabels, f->not_before);
	sample(w->fam[F_X_NOT_AFTER], F_X_NOT_AFTER, &w->xlabels, f->not_after);
	w->n++;
	for (int i = 0; i < N_CERT_FAMILIES; i++)
		if (w->fam[i]->oom)
			return CF_E_INTERNAL;
	return 0;
}

/* Each identity's ACME state (SPEC §7): the state one-hot (so an alert is
 * certfleet_acme_state{state="stuck"} == 1), failures in a row, when it renews and the CA's ARI
 * window, and the next try after a failure. */
static cf_code acme_metrics(cf_store *st, cf_buf *out, cf_err *e)
{
	static const char *const states[] = {"none", "ordering", "staged", "deployed", "stuck"};
	static const struct {
		const char *name, *help;
	} gauges[] = {
		{"certfleet_acme_failures", "ACME orders that failed in a row for the identity (stuck at 3)."},
		{"certfleet_acme_renew_at_seconds",
		 "When the identity's certificate is renewed, seconds since the epoch (0: not set)."},
		{"certfleet_acme_ari_window_start_seconds",
		 "The start of the CA's ARI renewal window, seconds since the epoch (0: none)."},
		{"certfleet_acme_ari_window_end_seconds",
		 "The end of the CA's ARI renewal window, seconds since the epoch (0: none)."},
		{"certfleet_acme_next_try_seconds",
		 "When a failed order is tried again, seconds since the epoch (0: no failure)."},
	};
	cf_acmeidentity *v = NULL;
	size_t n = 0;
	cf_code rc = cf_store_acme_identity_list(st, &v, &n, e);
	if (rc != CF_OK)
		return rc;
	cf_buf labels = {0};
	cf_buf_adds(out, "# HELP certfleet_acme_state The identity's ACME state: 1 for the one it is in.\n"
			 "# TYPE certfleet_acme_state gauge\n");
	for (size_t i = 0; i < n; i++) {
		cf_buf_reset(&labels);
		cf_buf_adds(&labels, "{node=");
		label_str(&labels, v[i].node);
		cf_buf_adds(&labels, ",purpose=");
		label_str(&labels, v[i].purpose);
		cf_buf_adds(&labels, ",account=");
		label_str(&labels, v[i].account);
		for (size_t k = 0; k < sizeof(states) / sizeof(states[0]); k++) {
			cf_buf_adds(out, "certfleet_acme_state");
			cf_buf_add(out, labels.p, labels.len);
			cf_buf_addf(out, ",state=\"%s\"} %d\n", states[k], strcmp(v[i].state, states[k]) == 0);
		}
	}
	for (size_t g = 0; g < sizeof(gauges) / sizeof(gauges[0]); g++) {
		cf_buf_addf(out, "# HELP %s %s\n# TYPE %s gauge\n", gauges[g].name, gauges[g].help, gauges[g].name);
		for (size_t i = 0; i < n; i++) {
			int64_t value = g == 0	 ? v[i].failures
					: g == 1 ? v[i].renew_at
					: g == 2 ? v[i].ari_start
					: g == 3 ? v[i].ari_end
						 : v[i].next_try;
			identity_sample(out, &labels, gauges[g].name, v[i].node, v[i].purpose, value);
		}
	}
	if (labels.oom)
		out->oom = 1;
	cf_buf_free(&labels);
	for (size_t i = 0; i < n; i++)
		cf_acmeidentity_free(&v[i]);
	free(v);
	return CF_OK;
}

/* What the last served check after a deploy found per (node, purpose) (core/lifecycle/served.h):
 * certfleet_served_mismatch 1 when the address served another certificate than the store holds
 * (an alert is == 1), certfleet_served_unreachable 1 when it served none, and when it was checked. */
static cf_code served_metrics(cf_store *st, cf_buf *out, cf_err *e)
{
	static const struct {
		const char *name, *help;
	} gauges[] = {
		{"certfleet_served_mismatch",
		 "1 when the identity's address served another certificate than the store holds at the last check."},
		{"certfleet_served_unreachable", "1 when the identity's address served nothing at the last check."},
		{"certfleet_served_checked_seconds",
		 "When the identity's address was last checked, seconds since the epoch."},
	};
	cf_servedcheck *v = NULL;
	size_t n = 0;
	cf_code rc = cf_store_served_list(st, 0, &v, &n, e);
	if (rc != CF_OK)
		return rc;
	cf_buf labels = {0};
	for (size_t g = 0; g < sizeof(gauges) / sizeof(gauges[0]); g++) {
		cf_buf_addf(out, "# HELP %s %s\n# TYPE %s gauge\n", gauges[g].name, gauges[g].help, gauges[g].name);
		for (size_t i = 0; i < n; i++) {
			bool failed = v[i].error[0] != '\0';
			int64_t value = g == 0	 ? !failed && strcmp(v[i].served_sha256, v[i].stored_sha256) != 0
					: g == 1 ? failed
						 : v[i].checked_at;
			identity_sample(out, &labels, gauges[g].name, v[i].node, v[i].purpose, value);
		}
	}
	if (labels.oom)
		out->oom = 1;
	cf_buf_free(&labels);
	cf_servedchecks_free(v, n);
	return CF_OK;
}

cf_code cf_metrics_write(cf_store *st, int64_t now, cf_buf *out, size_t *n_certs, cf_err *e)
{
	cf_buf more[N_CERT_FAMILIES] = {{0}};
	metrics_walk w = {.now = now};
	cf_certfilter all = {0}, lscs = {.kind = CF_LSC};
	cf_monitor_settings s;
	cf_monitor_health h = {0};
	cf_code rc;
	memset(&s, 0, sizeof(s));
	cf_buf_free(out);
	/* One walk of the store (rows in display order, no DER) writes every family: the first
	 * straight into out, the others into their own buffers, appended after. */
	for (int i = 0; i < N_CERT_FAMILIES; i++) {
		w.fam[i] = i == 0 ? out : &more[i];
		cf_buf_addf(w.fam[i], "# HELP %s %s\n# TYPE %s gauge\n", families[i].name, families[i].help,
			    families[i].name);
	}
	if ((rc = cf_store_cert_each(st, &all, metrics_row, &w, e)) != CF_OK ||
	    (rc = cf_monitor_settings_get(st, &s, e)) != CF_OK ||
	    (s.lsc && (rc = cf_store_cert_each(st, &lscs, metrics_row, &w, e)) != CF_OK) ||
	    (rc = cf_monitor_health_get(st, &h, e)) != CF_OK)
		goto out;
	for (int i = 1; i < N_CERT_FAMILIES; i++)
		cf_buf_add(out, more[i].p, more[i].len);
	cf_buf_addf(out,
		    "# HELP x509_read_errors Certificates that could not be read: certfleet reports stored facts, "
		    "so always 0 (x509-certificate-exporter's name).\n"
		    "# TYPE x509_read_errors gauge\n"
		    "x509_read_errors 0\n"
		    "# HELP certfleet_monitor_last_run_timestamp_seconds When the expiry monitor last ran, seconds "
		    "since the epoch (0: never).\n"
		    "# TYPE certfleet_monitor_last_run_timestamp_seconds gauge\n"
		    "certfleet_monitor_last_run_timestamp_seconds %lld\n"
		    "# HELP certfleet_monitor_notifications_pending Expiry notifications queued for delivery.\n"
		    "# TYPE certfleet_monitor_notifications_pending gauge\n"
		    "certfleet_monitor_notifications_pending %lld\n"
		    "# HELP certfleet_monitor_smtp_failures_total Failed deliveries of notification digests.\n"
		    "# TYPE certfleet_monitor_smtp_failures_total counter\n"
		    "certfleet_monitor_smtp_failures_total %lld\n",
		    (long long)h.last_run, (long long)h.pending, (long long)h.smtp_failures);
	if ((rc = acme_metrics(st, out, e)) != CF_OK || (rc = served_metrics(st, out, e)) != CF_OK)
		goto out;
	if (out->oom)
		rc = cf_err_set(e, CF_E_INTERNAL, "/metrics", "out of memory");
	else if (n_certs != NULL)
		*n_certs = w.n;
out:
	if (rc != CF_OK && e->code == CF_OK) /* a row's buffers ran out of memory */
		rc = cf_err_set(e, CF_E_INTERNAL, "/metrics", "out of memory");
	for (int i = 1; i < N_CERT_FAMILIES; i++)
		cf_buf_free(&more[i]);
	cf_buf_free(&w.labels);
	cf_buf_free(&w.xlabels);
	cf_buf_free(&w.cn);
	return rc;
}
