/* Revocation at a local CA (SPEC §9): a serial revoked with its reason, and the CA's CRL —
 * numbered, valid crl_validity (72 h), made again at each revocation in the same transaction and
 * every crl_interval (24 h) by the "ca-crl" duty of the job runner. Audited as "ca revoke" (object
 * "CA SERIAL") and "ca crl" (a CRL made on request). */
#ifndef CF_CA_REVOKE_H
#define CF_CA_REVOKE_H

#include "core/ca/ca.h"

#define CF_DUTY_CA_CRL "ca-crl"

/* Reads a serial as an operator types it ("0A:1B", "0x0a1b", "0A1B") into the store's form
 * (lower-case hex of the INTEGER's content octets); CF_E_INPUT for anything else. */
cf_code cf_ca_serial_parse(const char *text, char out[64], cf_err *e);
/* The reason's RFC 5280 code for `--reason` (NULL or "unspecified": -1, no reasonCode);
 * CF_E_INPUT for a name it does not take (certificateHold, removeFromCRL, unknown). */
cf_code cf_ca_reason_parse(const char *text, int *code, cf_err *e);

/* Revokes serial at the CA and makes its CRL again, in one transaction: CF_E_NOTFOUND when the CA
 * did not issue it, CF_E_STATE when it is revoked already. */
cf_code cf_ca_revoke(cf_store *st, const cf_audit_actor *a, const char *ca, const char *serial, int reason, int64_t now,
		     cf_err *e);
/* Makes the CA's CRL now (the next number); a = NULL when the job runner makes it (not audited). */
cf_code cf_ca_crl_make(cf_store *st, const cf_audit_actor *a, const char *ca, int64_t now, cf_err *e);
/* The CA's current CRL (DER, caller frees), made first when it has none or it has expired. */
cf_code cf_ca_crl_current(cf_store *st, const char *ca, int64_t now, uint8_t **der, size_t *len, cf_err *e);

/* The duty's pass: makes the CRL of every CA that has none or whose CRL is crl_interval old;
 * say(arg, error, line) hears what it did; *next is when the next CRL falls due. */
cf_code cf_ca_crl_pass(cf_store *st, int64_t now, void (*say)(void *arg, bool error, const char *line), void *arg,
		       int64_t *next, cf_err *e);

#endif
