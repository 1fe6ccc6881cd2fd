/* An ACME order for an identity (SPEC §7): the names of the pending CSR of (node, purpose) — made
 * when there is none — ordered with an account, each authorization answered over HTTP-01 (the
 * key authorizations kept in the store, where every responder reads them), the order finalized
 * with the CSR, and the chain the CA returns (with the URLs of its alternates) staged as the
 * identity's pending ACME certificate once its key is checked against the CSR's. The deployed
 * identity is untouched. A failure is recorded (failures in a row, the first one, the next try on
 * a backoff from 1 minute doubling to 6 hours; "stuck" after 3); staging resets them. */
#ifndef CF_ACME_ORDER_H
#define CF_ACME_ORDER_H

#include <stdbool.h>

#include "core/admin/audit.h"
#include "core/transport.h"
#include "store/store.h"

#define CF_ACME_STUCK_AFTER 3 /* failures in a row that make an identity "stuck" */

typedef struct cf_acme_order_spec {
	const char *node, *purpose, *account;
	const char *profile;   /* NULL: the CA's default */
	bool profile_required; /* fail when the CA does not offer profile (else it is left out) */
	const char *replaces;  /* the ARI certificate id the new certificate replaces (NULL: none) */
	int timeout;	       /* seconds for the whole order; 0: 300 */
	/* progress lines for the operator (no secrets), or NULL */
	void (*note)(void *ctx, const char *line);
	void *ctx;
} cf_acme_order_spec;

/* Runs the order to a staged certificate: CF_E_NOTFOUND for an unknown node or account,
 * CF_E_INPUT for a CSR with names ACME cannot order (IP addresses) or a profile the CA lacks when
 * it is required, CF_E_REMOTE when the CA is unreachable, refuses, or cannot validate a name.
 * *out (free with cf_acmeidentity_free) holds the identity's ACME state afterwards. */
cf_code cf_acme_order_run(cf_store *st, const cf_transport *t, const cf_audit_actor *a, const cf_acme_order_spec *o,
			  cf_acmeidentity *out, cf_err *e);

/* Seconds before the next try after failures failures in a row (1 minute doubling to 6 hours). */
int64_t cf_acme_backoff(int64_t failures);

#endif
