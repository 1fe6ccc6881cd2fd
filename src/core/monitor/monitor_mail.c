/* The monitor's digest message (see cf_monitor_message in monitor.h): RFC 5322 headers and a
 * multipart/alternative body, plain text first, then a small HTML table; and its delivery through
 * the transport's mail (cf_monitor_mail_send). */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/monitor/monitor.h"
#include "util/buf.h"
#include "util/clock.h"

static const char *kind_word(const cf_monitor_due *d)
{
	return d->kind == CF_IDENTITY	? "purpose"
	       : d->kind == CF_TRUST	? "trust store"
	       : d->kind == CF_LOCAL_CA ? "its certificate, CA"
					: "LSC of endpoint";
}

/* "in 5 days", "within a day", "expired today", "expired 3 days ago" */
static void when(const cf_monitor_due *d, int64_t now, char *buf, size_t len)
{
	int64_t days = d->days_left;
	if (d->not_after <= now && days >= -1)
		snprintf(buf, len, "expired within the last day");
	else if (d->not_after <= now)
		snprintf(buf, len, "expired %lld day%s ago", (long long)-(days + 1), days == -2 ? "" : "s");
	else if (days == 0)
		snprintf(buf, len, "within a day");
	else
		snprintf(buf, len, "in %lld day%s", (long long)days, days == 1 ? "" : "s");
}

/* Header text: printable ASCII only (a CN in another script shows as '?'). */
static void header_text(cf_buf *b, const char *s)
{
	for (; *s != '\0'; s++)
		cf_buf_add(b, *s >= ' ' && *s < 0x7f ? s : "?", 1);
}

static void html_text(cf_buf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		const char *esc = *s == '&'   ? "&amp;"
				  : *s == '<' ? "&lt;"
				  : *s == '>' ? "&gt;"
				  : *s == '"' ? "&quot;"
					      : NULL;
		if (esc != NULL)
			cf_buf_adds(b, esc);
		else if ((unsigned char)*s >= ' ' || *s == '\t')
			cf_buf_add(b, s, 1);
	}
}

/* Body text: no control characters but tabs (a CN cannot break the message's lines). */
static void plain_text(cf_buf *b, const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s >= ' ' || *s == '\t')
			cf_buf_add(b, s, 1);
}

char *cf_monitor_message(const cf_monitor_settings *s, const cf_monitor_report *r, int64_t now)
{
	cf_buf b = {0};
	char date[64], boundary[64], w[48], na[32];
	time_t t = (time_t)now;
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	snprintf(boundary, sizeof(boundary), "certfleet-%lld", (long long)now);
	const cf_monitor_due *first = r->n_due > 0 ? &r->due[0] : NULL;

	cf_buf_adds(&b, "From: ");
	header_text(&b, s->from);
	cf_buf_adds(&b, "\r\nTo: ");
	for (const char *p = s->emails; *p != '\0'; p++)
		cf_buf_add(&b, *p == ';' ? ", " : p, *p == ';' ? 2 : 1);
	if (r->stuck.n > 0) { /* a renewal that stopped comes first: it will not fix itself */
		const char *a = r->stuck.v[0], *end = strstr(a, ": "); /* "node purpose: why" */
		char who[600];
		snprintf(who, sizeof(who), "%.*s", (int)(end != NULL ? end - a : (long)strlen(a)), a);
		cf_buf_adds(&b, "\r\nSubject: certfleet: ACME renewal stuck - ");
		header_text(&b, who);
		if (r->stuck.n > 1)
			cf_buf_addf(&b, " and %zu more", r->stuck.n - 1);
		if (r->n_due > 0)
			cf_buf_addf(&b, "; %zu certificate%s expiring", r->n_due, r->n_due == 1 ? "" : "s");
	} else if (r->n_due == 0 && r->alarms.n > 0) {
		const char *a = r->alarms.v[0], *end = strstr(a, ": "); /* "URL: time: why": the URL */
		char url[300];
		snprintf(url, sizeof(url), "%.*s", (int)(end != NULL ? end - a : (long)strlen(a)), a);
		cf_buf_adds(&b, "\r\nSubject: certfleet: CRL download failing - ");
		header_text(&b, url);
	} else {
		cf_buf_addf(&b, "\r\nSubject: certfleet: %zu certificate%s expiring", r->n_due,
			    r->n_due == 1 ? "" : "s");
	}
	if (first != NULL && r->stuck.n == 0) {
		when(first, now, w, sizeof(w));
		cf_buf_adds(&b, " - first: ");
		header_text(&b, first->cn);
		cf_buf_adds(&b, " on ");
		header_text(&b, first->node);
		cf_buf_addf(&b, " %s", w);
	}
	cf_buf_addf(&b, "\r\nDate: %s\r\nMessage-ID: <certfleet.%lld.%s@", date, (long long)now,
		    first != NULL ? first->sha256 : "none");
	header_text(&b, strchr(s->from, '@') != NULL ? strchr(s->from, '@') + 1 : "certfleet");
	cf_buf_addf(&b, ">\r\nMIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=\"%s\"\r\n\r\n",
		    boundary);

	cf_buf_addf(&b, "--%s\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n",
		    boundary);
	if (r->alarms.n > 0) {
		cf_buf_adds(&b,
			    "CRL downloads are failing; the last good CRLs stay in use until they expire, then every "
			    "certificate of their CAs is invalid:\r\n");
		for (size_t i = 0; i < r->alarms.n; i++) {
			cf_buf_adds(&b, "* ");
			plain_text(&b, r->alarms.v[i]);
			cf_buf_adds(&b, "\r\n");
		}
		cf_buf_adds(&b, "\r\n");
	}
	if (r->stuck.n > 0) {
		cf_buf_adds(&b, "ACME renewals are stuck; these certificates renew no more until the cause is fixed "
				"(certfleet acme show):\r\n");
		for (size_t i = 0; i < r->stuck.n; i++) {
			cf_buf_adds(&b, "* ");
			plain_text(&b, r->stuck.v[i]);
			cf_buf_adds(&b, "\r\n");
		}
		cf_buf_adds(&b, "\r\n");
	}
	if (r->n_due > 0)
		cf_buf_addf(
			&b,
			"These %zu certificate%s expire soon or have expired. Renew them before they break:\r\n\r\n",
			r->n_due, r->n_due == 1 ? "" : "s");
	for (size_t i = 0; i < r->n_due; i++) {
		const cf_monitor_due *d = &r->due[i];
		when(d, now, w, sizeof(w));
		cf_time_rfc3339(d->not_after, na);
		if (i == CF_MONITOR_DIGEST_MAX) {
			cf_buf_addf(&b, "* ... and %zu more: certfleet cert list --expiring %d\r\n", r->n_due - i,
				    s->start_days);
			break;
		}
		cf_buf_adds(&b, "* ");
		plain_text(&b, d->node);
		cf_buf_addf(&b, ", %s ", kind_word(d));
		plain_text(&b, d->name);
		cf_buf_adds(&b, ": \"");
		plain_text(&b, d->cn);
		cf_buf_addf(&b, "\" %s%s (not after %s, %lld days left)\r\n  breaks: ",
			    d->not_after > now ? "expires " : "", w, na, (long long)d->days_left);
		plain_text(&b, d->breaks);
		cf_buf_adds(&b, "\r\n");
	}
	cf_buf_adds(&b, "\r\n-- \r\ncertfleet expiry monitor (certfleet monitor show)\r\n\r\n");

	cf_buf_addf(&b, "--%s\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n",
		    boundary);
	cf_buf_adds(&b, "<!doctype html><html><body>");
	if (r->alarms.n > 0) {
		cf_buf_adds(&b,
			    "<p>CRL downloads are failing (the last good CRLs stay in use until they expire):</p><ul>");
		for (size_t i = 0; i < r->alarms.n; i++) {
			cf_buf_adds(&b, "<li>");
			html_text(&b, r->alarms.v[i]);
			cf_buf_adds(&b, "</li>");
		}
		cf_buf_adds(&b, "</ul>\r\n");
	}
	if (r->stuck.n > 0) {
		cf_buf_adds(&b, "<p>ACME renewals are stuck (certfleet acme show):</p><ul>");
		for (size_t i = 0; i < r->stuck.n; i++) {
			cf_buf_adds(&b, "<li>");
			html_text(&b, r->stuck.v[i]);
			cf_buf_adds(&b, "</li>");
		}
		cf_buf_adds(&b, "</ul>\r\n");
	}
	if (r->n_due > 0)
		cf_buf_adds(&b, "<p>Certificates that expire soon or have expired:</p>\r\n"
				"<table border=\"1\" cellpadding=\"4\"><tr><th>Node</th><th>Purpose / "
				"store</th><th>Subject CN</th>"
				"<th>Not after</th><th>Days left</th><th>Breaks</th></tr>\r\n");
	for (size_t i = 0; i < r->n_due && i < CF_MONITOR_DIGEST_MAX; i++) {
		const cf_monitor_due *d = &r->due[i];
		cf_time_rfc3339(d->not_after, na);
		cf_buf_adds(&b, "<tr><td>");
		html_text(&b, d->node);
		cf_buf_addf(&b, "</td><td>%s ", kind_word(d));
		html_text(&b, d->name);
		cf_buf_adds(&b, "</td><td>");
		html_text(&b, d->cn);
		cf_buf_addf(&b, "</td><td>%s</td><td>%lld</td><td>", na, (long long)d->days_left);
		html_text(&b, d->breaks);
		cf_buf_adds(&b, "</td></tr>\r\n");
	}
	if (r->n_due > 0)
		cf_buf_adds(&b, "</table>");
	if (r->n_due > CF_MONITOR_DIGEST_MAX)
		cf_buf_addf(&b, "<p>... and %zu more: <code>certfleet cert list --expiring %d</code></p>",
			    r->n_due - CF_MONITOR_DIGEST_MAX, s->start_days);
	cf_buf_addf(&b, "</body></html>\r\n\r\n--%s--\r\n", boundary);
	if (b.oom) {
		cf_buf_free(&b);
		return NULL;
	}
	return b.p;
}

cf_code cf_monitor_mail_send(const cf_transport *net, const cf_monitor_settings *s, const char *password,
			     const char *message, cf_err *e)
{
	cf_mail_server m = {.host = s->smtp_host,
			    .port = s->smtp_port,
			    .tls = s->smtp_tls,
			    .ca = s->smtp_ca,
			    .user = s->smtp_user,
			    .password = password,
			    .from = s->from,
			    .to = s->emails};
	if (net == NULL || net->mail == NULL)
		return cf_err_set(e, CF_E_INTERNAL, "smtp", "no mail transport in this process");
	return net->mail(&m, message, e);
}
