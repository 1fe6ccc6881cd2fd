/* Auto mode for an identity's ACME certificate (SPEC §7): when to renew, when to deploy, and the
 * pass certfleetd's job runner makes over every identity with auto on.
 *
 * Renew: inside the CA's ARI window when its directory offers renewalInfo (the window fetched at
 * least daily, a random time in it chosen once per window, the order sent with `replaces`), else
 * when two thirds of the deployed certificate's lifetime have passed; always once less than 1/20
 * of it is left (the emergency floor). An identity without a deployed certificate is due at once.
 * Submissions happen at one of two randomised times of day, twelve hours apart, the same for
 * every process sharing the store (drawn from the identity), unless the floor comes first.
 * Deploy: a staged certificate is deployed at the next chosen weekday and time (UTC), at once
 * when none are set, or earlier when the deployed certificate would expire before that window.
 * Failures follow the order's backoff (order.h); after 30 days of failures in a row auto mode
 * gives up on the identity (it stays "stuck" until an order on request or auto turned on again). */
#ifndef CF_ACME_AUTO_H
#define CF_ACME_AUTO_H

#include <stdbool.h>
#include <stdint.h>

#include "core/admin/audit.h"
#include "core/transport.h"
#include "store/store.h"

#define CF_ACME_GIVE_UP (30 * 86400) /* seconds of failures in a row after which auto mode stops */
#define CF_ACME_AUTO_JOB "acme-auto" /* the job runner's duty that makes the pass */

/* What `acme auto` sets. */
typedef struct cf_acme_auto_spec {
	const char *node, *purpose;
	bool on;
	const char *account;	 /* NULL: the identity's own (needed when it has none) */
	const char *deploy_days; /* "mon,wed,..." (mon..sun); NULL: unchanged; "": any day */
	const char *deploy_time; /* "HH:MM" UTC; NULL: unchanged; "": as soon as staged */
} cf_acme_auto_spec;

/* Turns auto mode on or off for (node, purpose), with its account and deploy window, and plans the
 * next renewal (renew_at) at now. CF_E_NOTFOUND for an unknown node or account, CF_E_INPUT for a
 * purpose the node lacks, days or a time that do not parse, CF_E_STATE when turning it on without
 * an account. Turning it on brings the runner's pass forward to now. *out (cf_acmeidentity_free) holds the identity's ACME state afterwards. Audited as
 * "acme auto". */
cf_code cf_acme_auto_set(cf_store *st, const cf_audit_actor *a, const cf_acme_auto_spec *s, int64_t now,
			 cf_acmeidentity *out, cf_err *e);

/* The weekdays of a deploy_days text as a bit set (bit 0 Monday .. bit 6 Sunday; 0 for ""); false
 * when it does not parse. */
bool cf_acme_auto_days(const char *text, unsigned *days);
/* The minutes after midnight of a deploy_time text ("HH:MM"; -1 for ""); false when it does not
 * parse. */
bool cf_acme_auto_time(const char *text, int *minutes);

/* The schedule of one identity at now, from its ACME row and the deployed certificate's validity
 * (not_before, not_after; both 0 when none is deployed or it is self-signed: then it orders at
 * once). */
typedef struct cf_acme_plan {
	int64_t renew_at;  /* when an order is wanted (ARI time, 2/3 of the lifetime, or the floor) */
	int64_t submit_at; /* when the order is sent: the next submission time at or after renew_at */
	int64_t floor_at;  /* when less than 1/20 of the lifetime is left (0 when none is deployed) */
	int64_t deploy_at; /* when a staged certificate is deployed (0 when none is staged) */
	bool ari_due;	   /* the CA's window is to be fetched (never, or more than a day ago) */
} cf_acme_plan;

void cf_acme_auto_plan(const cf_acmeidentity *r, int64_t not_before, int64_t not_after, int64_t now, cf_acme_plan *out);
/* The renew_at to record for r at now: its plan's, from the certificate deployed for it in st, or
 * 0 when auto mode is off. */
int64_t cf_acme_auto_renew_at(cf_store *st, const cf_acmeidentity *r, int64_t now);

/* The longest wait (seconds) a deploy_days/deploy_time pair can make a staged certificate wait for
 * its window (0 when deploys happen at once): what the doctor weighs against a lifetime. */
int64_t cf_acme_auto_longest_wait(const char *deploy_days, const char *deploy_time);

/* One line of what the pass did, for the runner's log. */
typedef void (*cf_acme_auto_log)(void *arg, bool error, const char *line);

/* One pass at now over every identity with auto on: the ARI windows fetched when due, orders sent
 * when due, staged certificates deployed when due. Each identity's failure is recorded in its
 * row and logged, not returned; keep (when not NULL) is asked between identities and stops the
 * pass when it says false (the runner lost its lease). *next is when the pass is next due. */
cf_code cf_acme_auto_pass(cf_store *st, const cf_transport *t, int64_t now, cf_acme_auto_log log, void *log_arg,
			  bool (*keep)(void *arg), void *keep_arg, int64_t *next, cf_err *e);

#endif
