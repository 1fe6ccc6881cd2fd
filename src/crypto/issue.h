/* The local CA's builders (SPEC §9): a certificate from a request under a policy, and a CRL, each
 * signed through a cf_signer. Nothing here decides policy or keeps state: core/ca/ picks the
 * profile, the serial and the dates, and stores what comes out. */
#ifndef CF_ISSUE_H
#define CF_ISSUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/signer.h"
#include "crypto/x509.h"

/* Serials are 16 random octets (127 bits: the top bit clear, so the INTEGER is positive and 16
 * octets long; RFC 5280 4.1.2.2 and the CA/B Forum's ≥ 64 bits). */
#define CF_SERIAL_LEN 16
cf_code cf_issue_serial(uint8_t out[static CF_SERIAL_LEN], cf_err *e);

/* RFC 5280 CRLReason codes and names ("unspecified", "keyCompromise", "cACompromise",
 * "affiliationChanged", "superseded", "cessationOfOperation", "certificateHold",
 * "removeFromCRL", "privilegeWithdrawn", "aACompromise"; a name matches in any case); -1 / NULL
 * for others. */
int cf_issue_reason_code(const char *name);
const char *cf_issue_reason_name(int code);

typedef struct cf_issue_spec {
	const uint8_t *serial; /* INTEGER content octets: 1 to 20, minimal, positive */
	size_t serial_len;
	int64_t not_before, not_after; /* UTCTime before 2050, GeneralizedTime from 2050 (years 1-9999) */
	/* copy: the request's extensions as they are (like openssl's -copy_extensions copyall), except
	 * basicConstraints, which is always CA:FALSE (a request asking for CA:TRUE is CF_E_INPUT), and
	 * the key identifiers, CRL DP and AIA, which are written here; ku, eku, ca, pathlen and
	 * ocsp_nocheck are not used. Otherwise (a profile): */
	bool copy;
	unsigned ku, eku;  /* keyUsage (critical) and extKeyUsage, written when non-zero */
	bool ca;	   /* basicConstraints CA:TRUE (critical) ... */
	int pathlen;	   /* ... with pathLenConstraint when >= 0; CA:FALSE when !ca */
	bool ocsp_nocheck; /* id-pkix-ocsp-nocheck, for a delegated OCSP responder */
	/* !copy: the request's subjectAltName is copied when it has one. */
	const char *crl_url;  /* cRLDistributionPoints fullName URI; NULL or "" for none */
	const char *ocsp_url; /* authorityInfoAccess id-ad-ocsp URI; NULL or "" for none */
} cf_issue_spec;

/* A certificate for the request's subject (its Name's DER as it is) and public key, signed by s
 * for issuer; issuer NULL makes it self-issued (a root: issuer = subject, and s must hold the
 * request's key). subjectKeyIdentifier is the SHA-1 of the subject key's BIT STRING (RFC 5280
 * 4.2.1.2 method 1) and authorityKeyIdentifier the issuer's (its own for a root). The request's
 * signature is not checked here (cf_csr_verify). CF_E_INPUT for a spec out of bounds (serial,
 * dates, notAfter before notBefore, unknown ku/eku bits, a URL with spaces or non-ASCII) and for
 * a request whose DER or extensions do not walk or that repeats an extension it would pass on.
 * Thread-safe: batches call it from every core. */
cf_code cf_issue_cert(const cf_csr *csr, const cf_issue_spec *spec, const cf_cert *issuer, const cf_signer *s,
		      cf_cert **out, cf_err *e);

typedef struct cf_crl_entry {
	const uint8_t *serial; /* INTEGER content octets: 1 to 20, minimal */
	size_t serial_len;
	int64_t revoked_at;
	int reason; /* CRLReason code, -1 for none (then no reasonCode extension) */
} cf_crl_entry;

typedef struct cf_crl_spec {
	int64_t this_update, next_update;
	uint64_t number; /* cRLNumber (non-critical) */
	const cf_crl_entry *entries;
	size_t n;
} cf_crl_spec;

/* A v2 CRL (DER, new buffer) for issuer signed by s, with authorityKeyIdentifier and cRLNumber,
 * the entries in the order given (no revokedCertificates when n is 0). CF_E_INPUT for a bad
 * serial, a reason outside the codes above, a time out of bounds or nextUpdate before
 * thisUpdate. */
cf_code cf_issue_crl(const cf_crl_spec *spec, const cf_cert *issuer, const cf_signer *s, uint8_t **der, size_t *len,
		     cf_err *e);

#endif
