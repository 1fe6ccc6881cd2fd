/* The OCSP responder's side (RFC 6960, RFC 5019): requests read strictly, responses built and
 * signed through a cf_signer. Answers are signed ahead by core/ca/, so answering a request is
 * reading it and looking up bytes; only a request with a nonce is signed on demand. */
#ifndef CF_OCSP_RESP_H
#define CF_OCSP_RESP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/ocsp.h"
#include "crypto/signer.h"
#include "crypto/x509.h"

/* At most this many CertIDs in a request; more is malformed (RFC 5019 clients send one). */
#define CF_OCSP_MAX_IDS 8
/* A longer request is malformed (one CertID with a nonce is about 120 bytes; a signed request with
 * its certificates a few KiB): the HTTP side need not read more. */
#define CF_OCSP_MAX_REQUEST 65536

/* One CertID of a request; every pointer borrows from the request's buffer. */
typedef struct cf_ocsp_certid {
	char hash[8];		  /* "sha1", "sha256", "sha384", "sha512"; "" for another algorithm */
	const uint8_t *name_hash; /* issuerNameHash contents */
	const uint8_t *key_hash;  /* issuerKeyHash contents */
	size_t hash_len;	  /* of each; the algorithm's output size */
	const uint8_t *serial;	  /* serialNumber content octets */
	size_t serial_len;
	const uint8_t *der; /* the whole CertID TLV as sent (a response echoes it byte for byte) */
	size_t der_len;
} cf_ocsp_certid;

typedef struct cf_ocsp_request {
	size_t n;
	cf_ocsp_certid ids[CF_OCSP_MAX_IDS];
	const uint8_t *nonce; /* the nonce extension's extnValue contents (the OCTET STRING's inside), */
	size_t nonce_len;     /* NULL/0 when the request has none */
	bool signed_request;  /* it carried an optionalSignature (not checked; RFC 6960 4.1.2) */
} cf_ocsp_request;

/* Reads an OCSPRequest (DER, exactly len bytes) strictly: a version other than v1, a CertID
 * whose hashes are not the algorithm's length, a serial that is not a positive minimal INTEGER,
 * unknown critical extensions, a nonce that is not an OCTET STRING of 1 to 32 octets (RFC 8954),
 * more than CF_OCSP_MAX_IDS CertIDs, none, more than CF_OCSP_MAX_REQUEST bytes, or any byte
 * outside DER is CF_E_INPUT saying what (the responder answers malformedRequest). *out borrows
 * from der and is written only on success. */
cf_code cf_ocsp_resp_read(const uint8_t *der, size_t len, cf_ocsp_request *out, cf_err *e);

/* The CertID DER a client asks about issuer's certificate with this serial (INTEGER content
 * octets, positive and minimal), hashed with hash ("sha1" or "sha256"; also "sha384", "sha512"),
 * byte for byte as OpenSSL writes it (NULL hash parameters): what the responder signs ahead. New
 * buffer. */
cf_code cf_ocsp_resp_certid(const cf_cert *issuer, const uint8_t *serial, size_t serial_len, const char *hash,
			    uint8_t **der, size_t *len, cf_err *e);
/* issuerNameHash and issuerKeyHash of issuer for hash ("sha1", "sha256", "sha384", "sha512"):
 * what a request's CertID must carry to be about certificates issuer signed. *len is the hash
 * size; out buffers hold 64. */
cf_code cf_ocsp_resp_issuer_hashes(const cf_cert *issuer, const char *hash, uint8_t name_hash[static 64],
				   uint8_t key_hash[static 64], size_t *len, cf_err *e);

/* One SingleResponse. */
typedef struct cf_ocsp_answer {
	const uint8_t *certid; /* CertID DER, echoed as it is */
	size_t certid_len;
	cf_ocsp_status status;
	int64_t revoked_at;		  /* revoked */
	int reason;			  /* revoked: CRLReason code, -1 for none */
	int64_t this_update, next_update; /* next_update 0: none (RFC 5019 wants one) */
} cf_ocsp_answer;

/* A successful OCSPResponse (DER, new buffer) holding a BasicOCSPResponse: responderID byKey of
 * responder's key, producedAt, the answers (1 to CF_OCSP_MAX_IDS), the nonce extension when nonce
 * is not NULL (nonce as cf_ocsp_request gives it: one OCTET STRING TLV), signed by s, which signs
 * for responder. When responder is not the issuer of the certificates (a delegated responder),
 * pass it in certs so clients can check it. An answer that cannot be written (a CertID that is
 * not one SEQUENCE, a time outside the years 0000-9999, nextUpdate before thisUpdate, a reason
 * that is no CRLReason) is CF_E_INPUT. */
cf_code cf_ocsp_resp_build(const cf_ocsp_answer *answers, size_t n, const uint8_t *nonce, size_t nonce_len,
			   int64_t produced_at, const cf_cert *responder, cf_cert *const *certs, size_t n_certs,
			   const cf_signer *s, uint8_t **der, size_t *len, cf_err *e);
/* An unsuccessful OCSPResponse: "malformedRequest", "internalError", "tryLater", "sigRequired" or
 * "unauthorized" (borrowed static bytes); NULL for another name. */
const uint8_t *cf_ocsp_resp_error(const char *status, size_t *len);

#endif
