/* A local CA's OCSP answers (SPEC §9, RFC 6960/5019), signed ahead so that answering costs a
 * lookup: for every certificate it issued, a SHA-1 and a SHA-256 CertID answer valid
 * ocsp_validity (12 h), signed again at half of it by the "ca-ocsp" duty and at once, in the
 * revocation's own transaction, when one is revoked. The signer is the CA, or a delegated
 * responder certificate (OCSPSigning, ocsp-nocheck, 30 days) the CA issues itself and the duty
 * renews at two thirds of its life. */
#ifndef CF_CA_OCSP_H
#define CF_CA_OCSP_H

#include "core/ca/ca.h"
#include "crypto/ocsp_resp.h"

#define CF_DUTY_CA_OCSP "ca-ocsp"
#define CF_CA_OCSP_RESPONDER_DAYS 30

/* Signs one response holding answers (their CertIDs as given) with the CA's responder: the
 * delegated one (its certificate included) or the CA; nonce as the request carried it (NULL for
 * none). New buffer. Thread-safe. */
cf_code cf_ca_ocsp_sign(const cf_ca *ca, const cf_ocsp_answer *answers, size_t n, const uint8_t *nonce,
			size_t nonce_len, int64_t now, uint8_t **der, size_t *len, cf_err *e);
/* Inside the caller's transaction: signs and keeps the two answers (SHA-1, SHA-256) about serial
 * (hex) with the status given (revoked_at 0: good). */
cf_code cf_ca_ocsp_resign(cf_store *st, const cf_ca *ca, const char *serial, int64_t revoked_at, int reason,
			  int64_t now, cf_err *e);
/* Makes the CA sign its answers itself (delegated false) or through a new delegated responder
 * certificate it issues now; every answer is signed again by the next pass, brought forward to
 * now. Audited as "ca config". */
cf_code cf_ca_ocsp_responder_set(cf_store *st, const cf_audit_actor *a, const char *ca, bool delegated, int64_t now,
				 cf_err *e);
/* The duty's pass: for every CA, renews a delegated responder at two thirds of its life, then
 * signs the answers that are missing or half way to their nextUpdate (in chunks, each one
 * transaction; keep(arg) false stops it between chunks). *next: when the next answer falls due. */
cf_code cf_ca_ocsp_pass(cf_store *st, int64_t now, void (*say)(void *arg, bool error, const char *line), void *arg,
			bool (*keep)(void *arg), void *keep_arg, int64_t *next, cf_err *e);

#endif
