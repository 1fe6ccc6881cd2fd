/* Expiry monitoring (SPEC §5): the monitor's settings, which certificates are due for a
 * notification at a given time, the schedule of runs, and one run — queue what is due in the
 * notification ledger, deliver it as one digest, record the outcome — all against a time the
 * caller gives (the command line's --now, the daemon's clock), so every rule is testable. */
#ifndef CF_MONITOR_H
#define CF_MONITOR_H

#include <stdbool.h>
#include <stdint.h>

#include "core/model/fields.h"
#include "core/transport.h"
#include "store/store.h"
#include "util/strv.h"

#define CF_MONITOR_DAY 86400
#define CF_MONITOR_HOUR 3600

typedef struct cf_monitor_settings {
	int start_days;	   /* notify this many days before expiry (default 30) */
	int64_t frequency; /* seconds between notifications for one certificate (default 1 day) */
	bool email;	   /* send e-mail (default on; nothing is sent without addresses) */
	char emails[1024]; /* addresses separated by ';' */
	bool lsc;	   /* include phones' LSCs */
	char smtp_host[256];
	int smtp_port;	   /* default 25 */
	char smtp_tls[16]; /* "none", "starttls" (default), "implicit" */
	char smtp_user[128];
	bool smtp_password_set; /* the password itself is read only by cf_monitor_smtp_password */
	char smtp_ca[512];	/* CA bundle file the SMTP server is checked against ("": the system's) */
	char from[256];		/* sender address (default certfleet@<host>) */
} cf_monitor_settings;

/* The settings in the store (defaults for what was never set). */
cf_code cf_monitor_settings_get(cf_store *st, cf_monitor_settings *out, cf_err *e);
/* The SMTP password (a new string to free with cf_secret_free), or NULL when none is set. */
char *cf_monitor_smtp_password(cf_store *st);

/* The settings as a table (core/model/fields.h): `monitor config`, `monitor show`, GET and PUT /monitor.
 * The SMTP password is its secret. */
extern const cf_fieldgroup cf_monitor_fields;

/* A certificate due for a notification. */
typedef struct cf_monitor_due {
	char *node, *name, *cn, *serial, *sha256;
	cf_certkind kind;
	int64_t not_after;
	int64_t days_left;  /* whole days, negative once expired */
	const char *breaks; /* what stops working when it expires (static text) */
} cf_monitor_due;

typedef struct cf_monitor_report {
	cf_monitor_due *due; /* notified by this run or still waiting for delivery */
	size_t n_due;
	int sent;	  /* notifications delivered by this run */
	int queued;	  /* notifications left waiting (delivery failed or backing off) */
	int64_t next_run; /* when the next run should be */
	char error[1600]; /* the delivery failure, if any ("" when none) */
	cf_strv alarms;	  /* failing CRL downloads notified by this run ("URL: time: why") */
	cf_strv stuck;	  /* ACME identities stuck, notified by this run ("node purpose: why") */
} cf_monitor_report;

void cf_monitor_report_free(cf_monitor_report *r);
/* Whole days until not_after, rounded down: 0 inside the last day, -1 in the first day after. */
int64_t cf_monitor_days_left(int64_t not_after, int64_t now);

/* Sends one digest message (RFC 5322 text) through net's mail with the settings' server, TLS
 * mode, CA, user and the password given, from s->from to s->emails; CF_OK when the server
 * accepted it. */
cf_code cf_monitor_mail_send(const cf_transport *net, const cf_monitor_settings *s, const char *password,
			     const char *message, cf_err *e);

/* One run at `now`: every certificate inside the start window whose frequency interval has
 * passed since its last notification is queued in the ledger (one transaction); then every
 * queued notification whose retry time has come goes out in one digest through net's mail (when
 * e-mail is on and addresses are set; otherwise the log line is the notification). Delivered ones are recorded as
 * sent; a failure keeps them queued with a bounded exponential backoff (1 minute doubling up to
 * 1 hour). Notifications of certificates no longer in the window (renewed, deleted) are dropped.
 * Inside the last day before expiry, and after it, a certificate is notified every hour. The
 * alarms of failing CRL downloads go out with the same frequency, in a digest of their own when
 * no certificate is due; so do the ACME identities that are "stuck" (orders failing in a row). */
cf_code cf_monitor_run(cf_store *st, int64_t now, const cf_transport *net, cf_monitor_report *out, cf_err *e);

/* When the run after one at `now` is due: in 24 hours, or in one hour once any certificate is
 * within a day of expiry or expired (SPEC §5); sooner when a queued retry comes first. */
cf_code cf_monitor_next_run(cf_store *st, int64_t now, int64_t *out, cf_err *e);

/* The digest message for a report: headers (From, To, Subject, Date, Message-ID), a plain text
 * part and a small HTML part; the first CF_MONITOR_DIGEST_MAX certificates in detail, the rest
 * counted (mail servers refuse messages of tens of megabytes). New string. */
#define CF_MONITOR_DIGEST_MAX 500
char *cf_monitor_message(const cf_monitor_settings *s, const cf_monitor_report *r, int64_t now);

/* Monitor health for /metrics: the last run's time (0: never), notifications queued, and
 * failed deliveries so far. */
typedef struct cf_monitor_health {
	int64_t last_run;
	int64_t pending;
	int64_t smtp_failures;
} cf_monitor_health;
cf_code cf_monitor_health_get(cf_store *st, cf_monitor_health *out, cf_err *e);

#endif
