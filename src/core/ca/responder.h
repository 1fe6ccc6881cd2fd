/* What certfleetd's PKI listener answers (SPEC §9): each local CA's current CRL and its OCSP
 * answers, held in memory and reloaded when the store says they moved (a CA's ocsp_version or CRL
 * number), so an answer signed ahead is a binary search away. A request the answers signed ahead
 * do not cover — a nonce, several CertIDs, a hash other than SHA-1 or SHA-256, a certificate the
 * pass has not reached yet, an unknown serial — is signed on demand (without a nonce, kept for
 * the next asker until it is half way to its nextUpdate). Not thread-safe: one per thread, over a
 * store connection of that thread's own. */
#ifndef CF_CA_RESPONDER_H
#define CF_CA_RESPONDER_H

#include "store/store.h"

typedef struct cf_ca_responder cf_ca_responder;

/* A responder reading st (borrowed; used only from the caller's thread). */
cf_code cf_ca_responder_new(cf_store *st, cf_ca_responder **out, cf_err *e);
/* NULL-safe. */
void cf_ca_responder_free(cf_ca_responder *r);
/* Reloads the CAs whose answers or CRL moved, forgets those gone; one small query when none did. */
cf_code cf_ca_responder_refresh(cf_ca_responder *r, cf_err *e);

/* The answer to the DER OCSP request req for the CA named ca at now: *out (borrowed until the next
 * call on r) is a successful response, or malformedRequest for a request that does not read,
 * unauthorized for one about another issuer, internalError when signing fails. *max_age is how
 * long a cache may keep it (0 for a nonce's). CF_E_NOTFOUND when there is no such CA. */
cf_code cf_ca_responder_ocsp(cf_ca_responder *r, const char *ca, const uint8_t *req, size_t len, int64_t now,
			     const uint8_t **out, size_t *out_len, int64_t *max_age, cf_err *e);
/* The CA's current CRL (borrowed until the next call on r) and its dates; one that has expired is
 * made again first. CF_E_NOTFOUND when there is no such CA. */
cf_code cf_ca_responder_crl(cf_ca_responder *r, const char *ca, int64_t now, const uint8_t **der, size_t *len,
			    int64_t *this_update, int64_t *next_update, cf_err *e);
/* Counters for the log: answers from those signed ahead, answers signed on demand, errors. */
void cf_ca_responder_counts(const cf_ca_responder *r, unsigned long *ahead, unsigned long *on_demand,
			    unsigned long *errors);

#endif
