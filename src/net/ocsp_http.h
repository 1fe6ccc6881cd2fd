/* Asking an OCSP responder over HTTP (net/http_client.h) (SPEC §6.1, RFC 6960 appendix A): POST the
 * request, check the answer with crypto/ocsp.h, retry once with a SHA-1 CertID when the responder
 * refuses the SHA-256 one, and keep verified answers in memory until their nextUpdate. */
#ifndef CF_OCSP_HTTP_H
#define CF_OCSP_HTTP_H

#include "crypto/ocsp.h"

#define CF_OCSP_HTTP_MAX_RESPONSE (1024 * 1024)
#define CF_OCSP_HTTP_TIMEOUT 15L /* seconds, the whole exchange */

/* POSTs a DER request as application/ocsp-request to url (http or https) and returns the body
 * in *body (caller frees). Unreachable, a timeout, an HTTP status other than 200 or a body over
 * CF_OCSP_HTTP_MAX_RESPONSE are CF_E_REMOTE naming url. timeout 0 means CF_OCSP_HTTP_TIMEOUT. */
cf_code cf_ocsp_http_post(const char *url, const uint8_t *req, size_t len, long timeout, uint8_t **body,
			  size_t *body_len, cf_err *e);

typedef struct cf_ocsp_http_query {
	const char *url;	 /* the responder */
	const cf_cert *cert;	 /* the certificate asked about */
	const cf_cert *issuer;	 /* its issuer */
	cf_cert *const *trusted; /* trusted responder certificates (tomcat-trust), may be NULL */
	size_t n_trusted;
	bool sha1;  /* ask with a SHA-1 CertID from the start */
	bool fresh; /* do not answer from the cache */
	int64_t now;
	long timeout; /* 0: CF_OCSP_HTTP_TIMEOUT */
} cf_ocsp_http_query;

typedef struct cf_ocsp_http_answer {
	cf_ocsp_result result;
	bool sha1_fallback; /* the responder refused the SHA-256 CertID; the answer is for SHA-1 */
	char refused[24];   /* then: how it refused ("malformedRequest" or "unauthorized") */
	bool cached;	    /* answered from the cache (a response verified earlier, before nextUpdate) */
} cf_ocsp_http_answer;

/* Asks q->url about q->cert with a nonce and checks the response (cf_ocsp_check). When the
 * responder answers malformedRequest or unauthorized to a SHA-256 CertID, asks once more with
 * SHA-1 and says so in out. Verified answers with a nextUpdate are cached in this process until
 * then (a trusted-responder answer only while its responder is still among q->trusted).
 * Thread-safe. *out is written only on success; free with cf_ocsp_http_answer_clear. */
cf_code cf_ocsp_http_ask(const cf_ocsp_http_query *q, cf_ocsp_http_answer *out, cf_err *e);
void cf_ocsp_http_answer_clear(cf_ocsp_http_answer *a);

#endif
