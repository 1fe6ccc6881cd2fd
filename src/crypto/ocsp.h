/* OCSP (SPEC §6.1, RFC 6960) in certfleet's words: a request for one certificate (SHA-256 CertID,
 * SHA-1 only when asked, a nonce), and the check of the DER response against it — who signed it
 * (the delegated model first, then the trusted-responder model), that it answers this CertID and
 * nonce, that it is current, and what it says. No OpenSSL types here; the HTTP exchange is
 * src/net/ocsp_http.h. */
#ifndef CF_OCSP_H
#define CF_OCSP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/x509.h"

/* Clock skew allowed between certfleet and the responder for thisUpdate and nextUpdate. */
#define CF_OCSP_SKEW 300

typedef enum cf_ocsp_status { CF_OCSP_GOOD = 0, CF_OCSP_REVOKED, CF_OCSP_UNKNOWN } cf_ocsp_status;

/* How the response's signer was trusted. */
typedef enum cf_ocsp_trust {
	CF_OCSP_DELEGATED = 1,	  /* the issuer itself, or its responder certificate with OCSPSigning */
	CF_OCSP_TRUSTED_RESPONDER /* a responder certificate the caller trusts (tomcat-trust) */
} cf_ocsp_trust;

typedef struct cf_ocsp_req cf_ocsp_req;

/* A request about cert, which issuer must have issued (else CF_E_INPUT): CertID hashed with
 * SHA-256, or SHA-1 when sha1; a random 16-byte nonce when nonce. Keeps references to both. */
cf_code cf_ocsp_req_new(const cf_cert *cert, const cf_cert *issuer, bool sha1, bool nonce, cf_ocsp_req **out,
			cf_err *e);
/* The DER to POST (borrowed, valid while r lives). */
const uint8_t *cf_ocsp_req_der(const cf_ocsp_req *r, size_t *len);
/* The CertID as lower-case hex of its DER (hash algorithm, issuer hashes, serial): the same
 * certificate asked the same way gives the same text. Borrowed. */
const char *cf_ocsp_req_certid(const cf_ocsp_req *r);
/* NULL-safe. */
void cf_ocsp_req_free(cf_ocsp_req *r);

/* What a verified response says about the certificate asked for. */
typedef struct cf_ocsp_result {
	cf_ocsp_status status;
	cf_ocsp_trust trust;
	char responder[512];	/* the signer's subject, RFC 2253 */
	uint8_t *responder_der; /* the signer's certificate, DER (owned; cf_ocsp_result_clear) */
	size_t responder_der_len;
	int64_t this_update, next_update; /* next_update 0 when the response has none */
	int64_t revoked_at;		  /* revoked only */
	char reason[32];		  /* revoked only: "keyCompromise", ...; "" when not given */
	char certid_hash[8];		  /* "sha256" or "sha1" */
	char nonce[12];			  /* "matched", "absent" (sent, not echoed) or "not-sent" */
	bool nocheck;			  /* a delegated responder certificate with id-pkix-ocsp-nocheck */
} cf_ocsp_result;

/* Checks the DER response der to req at time now. The signer must be the issuer, or a
 * certificate in the response issued by the issuer with the OCSPSigning EKU and valid at now
 * (delegated); failing that, one of the n_trusted certificates in trusted, valid at now
 * (trusted-responder). The response must answer req's CertID, echo its nonce when it carries one,
 * have thisUpdate no later than now + CF_OCSP_SKEW and a nextUpdate (when present) no earlier than
 * now - CF_OCSP_SKEW. A responder that refuses (responseStatus not successful), an untrusted or
 * stale response and anything malformed are CF_E_REMOTE naming `name` (the URL) with the reason.
 * *out is written only on success. */
cf_code cf_ocsp_check(const char *name, const cf_ocsp_req *req, const uint8_t *der, size_t len, cf_cert *const *trusted,
		      size_t n_trusted, int64_t now, cf_ocsp_result *out, cf_err *e);
/* The responseStatus of a DER response as RFC 6960 names it ("successful", "malformedRequest",
 * "internalError", "tryLater", "sigRequired", "unauthorized"); NULL when it does not parse. */
const char *cf_ocsp_response_status(const uint8_t *der, size_t len);
/* Frees what the result owns. NULL-safe. */
void cf_ocsp_result_clear(cf_ocsp_result *r);

const char *cf_ocsp_status_name(cf_ocsp_status s); /* "good", "revoked", "unknown" */
const char *cf_ocsp_trust_name(cf_ocsp_trust t);   /* "delegated", "trusted-responder" */

#endif
