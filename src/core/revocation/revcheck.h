/* The OCSP check on the interval (SPEC §6.1): every stored certificate that can be asked — CA-
 * signed identities and trust certificates that are not self-signed, whose issuer is found in the
 * same node's trust stores (or, for an identity, in its stored chain) — asked once however many
 * nodes hold it (by SHA-256), each answer recorded in the store (revocation_checks) for the
 * doctor's `revoked` rule, the certificate list and the next pass.
 *
 * A pass is planned first (store reads and signature checks, no network), then stepped one
 * certificate at a time: one OCSP exchange bounded by the settings' timeout, then a short
 * transaction recording the answer. certfleetd steps on its event loop and serves requests in
 * between; the command line runs the whole pass at once. Time is an input: every call takes now. */
#ifndef CF_REVCHECK_H
#define CF_REVCHECK_H

#include "core/revocation/revocation.h"

/* Whether a certificate whose last answer is prev (NULL: never asked) is due at now, interval
 * seconds after it was asked. */
bool cf_revcheck_due(const cf_revcheckrow *prev, int64_t interval, int64_t now);

/* What a recorded answer says, on one line: "OCSP <responder> (<trust>) at <time>: <status>; <why>". */
void cf_revcheck_describe(const cf_revcheckrow *rec, char *buf, size_t len);

/* Records what OCSP said (v) of the certificate with this SHA-256, asked at now, in the
 * caller's transaction. */
cf_code cf_revcheck_record(cf_store *st, const char *sha256, const cf_revocation_ocsp_verdict *v, int64_t now,
			   cf_err *e);

typedef struct cf_revcheck cf_revcheck;

/* Plans a pass at now. With revocation checking or OCSP off, the plan is empty and off says so.
 * all: every certificate that can be asked; otherwise only those due (never asked, or asked
 * the settings' interval ago or earlier). Free with cf_revcheck_free. */
cf_code cf_revcheck_plan(cf_store *st, int64_t now, bool all, cf_revcheck **out, cf_err *e);
void cf_revcheck_free(cf_revcheck *p);
/* Whether the plan was made with revocation checking and OCSP on. */
bool cf_revcheck_on(const cf_revcheck *p);
/* The settings the plan was made with (borrowed). */
const cf_revocation_settings *cf_revcheck_settings(const cf_revcheck *p);
/* Whether every planned certificate has been asked. */
bool cf_revcheck_done(const cf_revcheck *p);
/* Asks about the next planned certificate at now (net's ocsp: one network exchange) and records the answer in a
 * transaction of its own. A responder whose exchange failed once in the pass is not asked again in
 * it: the rest of its certificates are unknown, saying so (one dead responder would otherwise hold
 * each question for the whole timeout). An error is the store's; the pass goes on. */
cf_code cf_revcheck_step(cf_store *st, const cf_transport *net, cf_revcheck *p, int64_t now, cf_err *e);
/* After the last step: drops the answers recorded for certificates that are gone. */
cf_code cf_revcheck_finish(cf_store *st, cf_revcheck *p, cf_err *e);
/* Plan, every step and finish at once (the command line's `revocation check`). */
cf_code cf_revcheck_run(cf_store *st, const cf_transport *net, int64_t now, bool all, cf_revcheck **out, cf_err *e);
/* The machine reason of cf_revcheck_off. */
#define CF_REASON_OCSP_OFF "ocsp-off"
/* Sets e for a pass asked for while revocation checking or OCSP is off (CF_E_STATE, reason
 * "ocsp-off", naming the two settings); returns the code. */
cf_code cf_revcheck_off(cf_err *e);
/* When the next certificate not in this pass falls due (0: none; the ones asked now are due
 * an interval after they were asked). */
int64_t cf_revcheck_next_due(const cf_revcheck *p);

/* One place of a planned certificate: a node's identity or trust certificate. Every place of the
 * same certificate shares its answer. Borrowed from the plan. */
typedef struct cf_revcheck_item {
	const char *node; /* FQDN */
	cf_certkind kind; /* CF_IDENTITY or CF_TRUST */
	const char *name; /* purpose or trust store */
	const char *cn, *sha256;
	const cf_revcheckrow *answer; /* NULL until asked */
	bool newly_revoked;	      /* revoked now, and not what was recorded before */
} cf_revcheck_item;

/* The places, node by node in store order: false when i is past the last. */
bool cf_revcheck_item_get(const cf_revcheck *p, size_t i, cf_revcheck_item *out);

/* Counts over the distinct certificates asked so far. errors: those without a verified answer
 * (no responder, none reachable, a response that did not verify), counted in unknown too. */
typedef struct cf_revcheck_totals {
	size_t planned, checked, good, revoked, unknown, errors;
} cf_revcheck_totals;
void cf_revcheck_totals_get(const cf_revcheck *p, cf_revcheck_totals *out);

#endif
