/* One signer for every CA key (SPEC §9): certificates, CRLs and OCSP responses are signed through
 * it and never with a key directly, so a helper process or a PKCS#11 token can take the in-process
 * backend's place without touching a caller. A signer signs bytes (the DER to be signed) and
 * says which AlgorithmIdentifier its signatures carry; the builders in issue.h and ocsp_resp.h
 * assemble the signed structures around it. */
#ifndef CF_SIGNER_H
#define CF_SIGNER_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/x509.h"

typedef struct cf_signer cf_signer;

/* What a backend supplies. sign may be called from several threads at once; it writes at most
 * *sig_len bytes to sig and sets *sig_len to what it wrote. */
typedef struct cf_signer_ops {
	const char *name; /* "in-process", ... */
	cf_code (*sign)(void *ctx, const uint8_t *tbs, size_t len, uint8_t *sig, size_t *sig_len, cf_err *e);
	void (*free)(void *ctx);
} cf_signer_ops;

/* A signer over a backend: alg_der is the signatureAlgorithm its signatures carry (copied),
 * max_sig the largest signature it makes. Owns ctx (ops->free). NULL when out of memory. */
cf_signer *cf_signer_new(const cf_signer_ops *ops, void *ctx, const uint8_t *alg_der, size_t alg_len, size_t max_sig);
/* The in-process backend: key signs with hash ("sha256" when NULL; "sha384", "sha512"): RSA
 * PKCS#1 v1.5 or ECDSA. The signer keeps its own reference to the key. */
cf_code cf_signer_local_new(const cf_key *key, const char *hash, cf_signer **out, cf_err *e);
/* The backend's name (borrowed). */
const char *cf_signer_backend(const cf_signer *s);
/* The signatureAlgorithm AlgorithmIdentifier DER (borrowed). */
const uint8_t *cf_signer_alg(const cf_signer *s, size_t *len);
/* Signs tbs: *sig is a new buffer (free it). Thread-safe. */
cf_code cf_signer_sign(const cf_signer *s, const uint8_t *tbs, size_t len, uint8_t **sig, size_t *sig_len, cf_err *e);
/* SEQUENCE { tbs, signatureAlgorithm, BIT STRING signature } — a Certificate from a
 * TBSCertificate, a CertificateList from a TBSCertList — in a new buffer. Thread-safe. */
cf_code cf_signer_wrap(const cf_signer *s, const uint8_t *tbs, size_t len, uint8_t **der, size_t *der_len, cf_err *e);
/* NULL-safe. */
void cf_signer_free(cf_signer *s);

/* DER helpers the builders share: the length octets of a TLV of n content bytes (at most 5)
 * written to out, returning how many. */
size_t cf_der_len_octets(size_t n, uint8_t out[static 5]);

#endif
