/* OCSP requests and responses with OpenSSL's OCSP_* API (see ocsp.h). */
#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto_int.h"
#include "crypto/ocsp.h"

struct cf_ocsp_req {
	OCSP_CERTID *id; /* what the response must answer */
	X509 *issuer;	 /* a reference: the delegated model checks against it */
	OCSP_REQUEST *req;
	uint8_t *der;
	size_t der_len;
	char *certid_hex;
	bool sha1;
};

cf_code cf_ocsp_req_new(const cf_cert *cert, const cf_cert *issuer, bool sha1, bool nonce, cf_ocsp_req **out, cf_err *e)
{
	X509 *cx = cf_cert_x(cert), *ix = cf_cert_x(issuer);
	cf_ocsp_req *r = NULL;
	OCSP_CERTID *id = NULL;
	unsigned char *p = NULL;
	int n;
	if (cx == NULL || ix == NULL || !cf_cert_issued_by(cert, issuer))
		return cf_err_set(e, CF_E_INPUT, "ocsp", "the issuer given did not issue the certificate");
	if ((r = calloc(1, sizeof(*r))) == NULL || (r->req = OCSP_REQUEST_new()) == NULL)
		goto err;
	r->sha1 = sha1;
	if (!X509_up_ref(ix))
		goto err;
	r->issuer = ix;
	if ((r->id = OCSP_cert_to_id(sha1 ? EVP_sha1() : EVP_sha256(), cx, ix)) == NULL ||
	    (id = OCSP_CERTID_dup(r->id)) == NULL || OCSP_request_add0_id(r->req, id) == NULL)
		goto err;
	id = NULL; /* the request owns it now */
	if (nonce && !OCSP_request_add1_nonce(r->req, NULL, -1))
		goto err;
	if ((n = i2d_OCSP_REQUEST(r->req, &p)) <= 0)
		goto err;
	r->der = p;
	r->der_len = (size_t)n;
	p = NULL;
	if ((n = i2d_OCSP_CERTID(r->id, &p)) <= 0 || (r->certid_hex = malloc(2 * (size_t)n + 1)) == NULL)
		goto err;
	cf_hex(p, (size_t)n, r->certid_hex);
	OPENSSL_free(p);
	*out = r;
	return CF_OK;
err:
	OPENSSL_free(p);
	OCSP_CERTID_free(id);
	cf_ocsp_req_free(r);
	return cf_ossl_err(e, CF_E_INTERNAL, "ocsp", "cannot build the OCSP request");
}

const uint8_t *cf_ocsp_req_der(const cf_ocsp_req *r, size_t *len)
{
	*len = r->der_len;
	return r->der;
}

const char *cf_ocsp_req_certid(const cf_ocsp_req *r)
{
	return r->certid_hex;
}

void cf_ocsp_req_free(cf_ocsp_req *r)
{
	if (r == NULL)
		return;
	OCSP_CERTID_free(r->id);
	X509_free(r->issuer);
	OCSP_REQUEST_free(r->req);
	OPENSSL_free(r->der);
	free(r->certid_hex);
	free(r);
}

/* ---- the response ---------------------------------------------------------------------------- */

/* RFC 6960 names of responseStatus values (OpenSSL prints them in lower case). */
static const char *resp_status_name(int s)
{
	switch (s) {
	case OCSP_RESPONSE_STATUS_SUCCESSFUL: return "successful";
	case OCSP_RESPONSE_STATUS_MALFORMEDREQUEST: return "malformedRequest";
	case OCSP_RESPONSE_STATUS_INTERNALERROR: return "internalError";
	case OCSP_RESPONSE_STATUS_TRYLATER: return "tryLater";
	case OCSP_RESPONSE_STATUS_SIGREQUIRED: return "sigRequired";
	case OCSP_RESPONSE_STATUS_UNAUTHORIZED: return "unauthorized";
	}
	return "unknown responseStatus";
}

/* Decodes exactly len bytes of DER; NULL otherwise (trailing bytes are refused). */
static OCSP_RESPONSE *resp_decode(const uint8_t *der, size_t len)
{
	const unsigned char *p = der;
	OCSP_RESPONSE *resp;
	if (len == 0 || len > (size_t)INT32_MAX)
		return NULL;
	resp = d2i_OCSP_RESPONSE(NULL, &p, (long)len);
	if (resp != NULL && p != der + len) {
		OCSP_RESPONSE_free(resp);
		return NULL;
	}
	return resp;
}

const char *cf_ocsp_response_status(const uint8_t *der, size_t len)
{
	OCSP_RESPONSE *resp = resp_decode(der, len);
	if (resp == NULL) {
		ERR_clear_error();
		return NULL;
	}
	const char *s = resp_status_name(OCSP_response_status(resp));
	OCSP_RESPONSE_free(resp);
	return s;
}

/* True when x is valid at now (with the skew allowance at both ends). */
static bool valid_at(X509 *x, int64_t now)
{
	int64_t nb = cf_asn1_epoch(X509_get0_notBefore(x)), na = cf_asn1_epoch(X509_get0_notAfter(x));
	return nb != 0 && na != 0 && nb <= now + CF_OCSP_SKEW && now - CF_OCSP_SKEW <= na;
}

/* True when the response names x as its signer (responderID) and x's key verifies its signature. */
static bool signed_by(OCSP_BASICRESP *bs, X509 *x)
{
	STACK_OF(X509) *sk = sk_X509_new_null();
	bool ok = sk != NULL && sk_X509_push(sk, x) > 0 &&
		  OCSP_basic_verify(bs, sk, NULL, OCSP_NOINTERN | OCSP_NOVERIFY) == 1;
	sk_X509_free(sk);
	ERR_clear_error();
	return ok;
}

/* Why a responder certificate in the response cannot sign for the issuer's certificates; NULL
 * when it can. */
static const char *delegate_refusal(X509 *r, X509 *issuer, int64_t now)
{
	if (X509_check_issued(issuer, r) != X509_V_OK || X509_verify(r, X509_get0_pubkey(issuer)) != 1)
		return "the responder's certificate was not issued by the certificate's issuer";
	if (!(X509_get_extension_flags(r) & EXFLAG_XKUSAGE) || !(X509_get_extended_key_usage(r) & XKU_OCSP_SIGN))
		return "the responder's certificate lacks the OCSPSigning extended key usage";
	if (!valid_at(r, now))
		return "the responder's certificate is expired or not yet valid";
	return NULL;
}

typedef struct signer {
	X509 *x; /* borrowed */
	cf_ocsp_trust trust;
	bool nocheck;
} signer;

/* The delegated model: the issuer signed, or a responder certificate carried in the response that
 * the issuer issued for OCSP signing. *why gets the reason a candidate was refused. */
static bool find_delegated(OCSP_BASICRESP *bs, X509 *issuer, int64_t now, signer *out, const char **why)
{
	const STACK_OF(X509) *certs = OCSP_resp_get0_certs(bs);
	if (signed_by(bs, issuer)) {
		*out = (signer){issuer, CF_OCSP_DELEGATED, false};
		return true;
	}
	for (int i = 0; i < sk_X509_num(certs); i++) {
		X509 *r = sk_X509_value(certs, i);
		if (!signed_by(bs, r))
			continue;
		if ((*why = delegate_refusal(r, issuer, now)) != NULL)
			return false;
		bool nocheck = X509_get_ext_by_NID(r, NID_id_pkix_OCSP_noCheck, -1) >= 0;
		*out = (signer){r, CF_OCSP_DELEGATED, nocheck};
		return true;
	}
	return false;
}

/* The trusted-responder model: one of the caller's trusted certificates signed. */
static bool find_trusted(OCSP_BASICRESP *bs, cf_cert *const *trusted, size_t n, int64_t now, signer *out,
			 const char **why)
{
	for (size_t i = 0; i < n; i++) {
		X509 *t = cf_cert_x(trusted[i]);
		if (t == NULL || !signed_by(bs, t))
			continue;
		if (!valid_at(t, now)) {
			*why = "the trusted responder's certificate is expired or not yet valid";
			return false;
		}
		*out = (signer){t, CF_OCSP_TRUSTED_RESPONDER, false};
		return true;
	}
	return false;
}

/* "matched", "absent" or "not-sent"; NULL when the nonces differ. */
static const char *nonce_outcome(OCSP_REQUEST *req, OCSP_BASICRESP *bs)
{
	switch (OCSP_check_nonce(req, bs)) {
	case 1: return "matched";
	case -1: return "absent";
	case 2:
	case 3: return "not-sent"; /* 3: the responder sent one unasked, nothing to compare */
	}
	return NULL;
}

/* Copies the signer's name and DER into the result. */
static bool result_signer(cf_ocsp_result *r, const signer *s)
{
	unsigned char *p = NULL;
	char *name = cf_name_str(X509_get_subject_name(s->x));
	int n = i2d_X509(s->x, &p);
	if (name == NULL || n <= 0 || (r->responder_der = malloc((size_t)n)) == NULL) {
		free(name);
		OPENSSL_free(p);
		return false;
	}
	snprintf(r->responder, sizeof(r->responder), "%s", name);
	memcpy(r->responder_der, p, (size_t)n);
	r->responder_der_len = (size_t)n;
	r->trust = s->trust;
	r->nocheck = s->nocheck;
	free(name);
	OPENSSL_free(p);
	return true;
}

/* Reads the single response for the request's CertID into r and checks its times. */
static cf_code read_single(const char *name, const cf_ocsp_req *req, OCSP_BASICRESP *bs, int64_t now, cf_ocsp_result *r,
			   cf_err *e)
{
	int reason = OCSP_REVOKED_STATUS_NOSTATUS, idx = OCSP_resp_find(bs, req->id, -1);
	ASN1_GENERALIZEDTIME *rev = NULL, *thisupd = NULL, *nextupd = NULL;
	if (idx < 0)
		return cf_err_set(e, CF_E_REMOTE, name, "the response does not answer for the certificate asked about");
	int st = OCSP_single_get0_status(OCSP_resp_get0(bs, idx), &reason, &rev, &thisupd, &nextupd);
	r->this_update = cf_asn1_epoch(thisupd);
	r->next_update = nextupd != NULL ? cf_asn1_epoch(nextupd) : 0;
	if (r->this_update == 0 || (nextupd != NULL && r->next_update == 0))
		return cf_err_set(e, CF_E_REMOTE, name, "the response's thisUpdate or nextUpdate does not read");
	if (r->this_update > now + CF_OCSP_SKEW)
		return cf_err_set(e, CF_E_REMOTE, name, "the response's thisUpdate is in the future");
	if (nextupd != NULL && r->next_update < now - CF_OCSP_SKEW)
		return cf_err_set(e, CF_E_REMOTE, name, "stale response: its nextUpdate has passed");
	switch (st) {
	case V_OCSP_CERTSTATUS_GOOD: r->status = CF_OCSP_GOOD; break;
	case V_OCSP_CERTSTATUS_REVOKED:
		r->status = CF_OCSP_REVOKED;
		r->revoked_at = cf_asn1_epoch(rev);
		if (reason != OCSP_REVOKED_STATUS_NOSTATUS)
			snprintf(r->reason, sizeof(r->reason), "%s", OCSP_crl_reason_str(reason));
		break;
	case V_OCSP_CERTSTATUS_UNKNOWN: r->status = CF_OCSP_UNKNOWN; break;
	default: return cf_err_set(e, CF_E_REMOTE, name, "the response's certificate status does not read");
	}
	return CF_OK;
}

/* Finds who signed the response: the delegated model, then the trusted-responder model. */
static cf_code find_signer(const char *name, OCSP_BASICRESP *bs, X509 *issuer, cf_cert *const *trusted, size_t n,
			   int64_t now, signer *s, cf_err *e)
{
	const char *why = NULL, *why_trusted = NULL;
	if (find_delegated(bs, issuer, now, s, &why) || find_trusted(bs, trusted, n, now, s, &why_trusted))
		return CF_OK;
	if (why_trusted != NULL)
		return cf_err_set(e, CF_E_REMOTE, name, "untrusted response: %s", why_trusted);
	return cf_err_set(e, CF_E_REMOTE, name,
			  "untrusted response: %s%snot signed by the issuer, a responder certificate it issued "
			  "with OCSPSigning, or a trusted responder certificate",
			  why != NULL ? why : "", why != NULL ? "; " : "");
}

cf_code cf_ocsp_check(const char *name, const cf_ocsp_req *req, const uint8_t *der, size_t len, cf_cert *const *trusted,
		      size_t n_trusted, int64_t now, cf_ocsp_result *out, cf_err *e)
{
	OCSP_RESPONSE *resp = resp_decode(der, len);
	OCSP_BASICRESP *bs = NULL;
	cf_ocsp_result r = {0};
	signer s = {0};
	const char *nonce;
	cf_code rc = CF_E_REMOTE;
	if (resp == NULL) {
		rc = cf_ossl_err(e, CF_E_REMOTE, name, "the response is not a DER OCSP response");
		goto out;
	}
	if (OCSP_response_status(resp) != OCSP_RESPONSE_STATUS_SUCCESSFUL) {
		cf_err_set(e, rc, name, "the responder answered %s", resp_status_name(OCSP_response_status(resp)));
		goto out;
	}
	if ((bs = OCSP_response_get1_basic(resp)) == NULL) {
		rc = cf_ossl_err(e, CF_E_REMOTE, name, "the response is not a basic OCSP response");
		goto out;
	}
	if ((rc = find_signer(name, bs, req->issuer, trusted, n_trusted, now, &s, e)) != CF_OK)
		goto out;
	rc = CF_E_REMOTE;
	if ((nonce = nonce_outcome(req->req, bs)) == NULL) {
		cf_err_set(e, rc, name, "the response's nonce is not the one sent");
		goto out;
	}
	if ((rc = read_single(name, req, bs, now, &r, e)) != CF_OK)
		goto out;
	if (!result_signer(&r, &s)) {
		rc = cf_err_set(e, CF_E_INTERNAL, name, "out of memory");
		goto out;
	}
	snprintf(r.nonce, sizeof(r.nonce), "%s", nonce);
	snprintf(r.certid_hash, sizeof(r.certid_hash), "%s", req->sha1 ? "sha1" : "sha256");
	*out = r;
	rc = CF_OK;
out:
	ERR_clear_error();
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(resp);
	return rc;
}

void cf_ocsp_result_clear(cf_ocsp_result *r)
{
	if (r == NULL)
		return;
	free(r->responder_der);
	r->responder_der = NULL;
	r->responder_der_len = 0;
}

const char *cf_ocsp_status_name(cf_ocsp_status s)
{
	switch (s) {
	case CF_OCSP_GOOD: return "good";
	case CF_OCSP_REVOKED: return "revoked";
	case CF_OCSP_UNKNOWN: break;
	}
	return "unknown";
}

const char *cf_ocsp_trust_name(cf_ocsp_trust t)
{
	return t == CF_OCSP_TRUSTED_RESPONDER ? "trusted-responder" : "delegated";
}
