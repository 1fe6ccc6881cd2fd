/* OCSP over HTTP through the HTTP client, the SHA-1 fallback and the answer cache (see ocsp_http.h). */
#include "net/ocsp_http.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/http_client.h"

#define CACHE_SLOTS 64

/* ---- HTTP -------------------------------------------------------------------------------------- */

/* The exchange's failures in the words of a responder: unreachable, too large, an HTTP status
 * other than 200, an empty body. */
cf_code cf_ocsp_http_post(const char *url, const uint8_t *req, size_t len, long timeout, uint8_t **out, size_t *out_len,
			  cf_err *e)
{
	static const char *const hdrs[] = {"Content-Type: application/ocsp-request",
					   "Accept: application/ocsp-response"};
	cf_http_client_request rq = {.method = "POST",
				     .url = url,
				     .headers = hdrs,
				     .n_headers = 2,
				     .body = req,
				     .body_len = len,
				     .max = CF_OCSP_HTTP_MAX_RESPONSE,
				     .timeout = timeout > 0 ? timeout : CF_OCSP_HTTP_TIMEOUT};
	cf_http_client_response *r = NULL;
	cf_err fail = {0};
	char where[512];
	cf_http_client_url_public(url, where, sizeof(where));
	cf_code ret = cf_http_client_perform(&rq, &r, &fail);
	if (ret == CF_E_REMOTE && fail.reason != NULL && strcmp(fail.reason, CF_HTTP_CLIENT_TOO_LARGE) == 0)
		return cf_err_set(e, ret, where, "the response is larger than %d bytes", CF_OCSP_HTTP_MAX_RESPONSE);
	if (ret == CF_E_REMOTE)
		return cf_err_set(e, ret, where, "responder unreachable: %s", fail.message);
	if (ret != CF_OK) {
		if (e != NULL)
			*e = fail;
		return ret;
	}
	size_t body_len;
	cf_http_client_response_body(r, &body_len);
	if (cf_http_client_response_status(r) != 200)
		ret = cf_err_set(e, CF_E_REMOTE, where, "the responder answered HTTP %ld",
				 cf_http_client_response_status(r));
	else if (body_len == 0)
		ret = cf_err_set(e, CF_E_REMOTE, where, "the responder sent an empty body");
	else
		*out = cf_http_client_response_take_body(r, out_len);
	cf_http_client_response_free(r);
	return ret;
}

/* ---- the cache ------------------------------------------------------------------------------ */

typedef struct slot {
	char *key; /* url "\n" the first CertID asked; NULL when free */
	cf_ocsp_http_answer answer;
	uint64_t used; /* for replacing the least recently used slot */
} slot;

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static slot cache[CACHE_SLOTS];
static uint64_t cache_tick;

/* A copy of a that owns its own responder DER; false when out of memory. */
static bool answer_copy(const cf_ocsp_http_answer *a, cf_ocsp_http_answer *out)
{
	*out = *a;
	out->result.responder_der = malloc(a->result.responder_der_len);
	if (out->result.responder_der == NULL)
		return false;
	memcpy(out->result.responder_der, a->result.responder_der, a->result.responder_der_len);
	return true;
}

/* True when the answer's responder is still one the query trusts (or did not need to be). */
static bool still_trusted(const cf_ocsp_http_answer *a, const cf_ocsp_http_query *q)
{
	if (a->result.trust != CF_OCSP_TRUSTED_RESPONDER)
		return true;
	for (size_t i = 0; i < q->n_trusted; i++) {
		size_t len;
		const uint8_t *der = cf_cert_der(q->trusted[i], &len);
		if (len == a->result.responder_der_len && memcmp(der, a->result.responder_der, len) == 0)
			return true;
	}
	return false;
}

static bool cache_get(const char *key, const cf_ocsp_http_query *q, cf_ocsp_http_answer *out)
{
	bool hit = false;
	pthread_mutex_lock(&cache_lock);
	for (size_t i = 0; i < CACHE_SLOTS && !hit; i++) {
		slot *s = &cache[i];
		if (s->key == NULL || strcmp(s->key, key) != 0 || q->now > s->answer.result.next_update ||
		    !still_trusted(&s->answer, q))
			continue;
		hit = answer_copy(&s->answer, out);
		s->used = ++cache_tick;
	}
	pthread_mutex_unlock(&cache_lock);
	if (hit)
		out->cached = true;
	return hit;
}

static void cache_put(const char *key, const cf_ocsp_http_answer *a)
{
	cf_ocsp_http_answer copy;
	char *k = strdup(key);
	if (a->result.next_update == 0 || k == NULL || !answer_copy(a, &copy)) {
		free(k);
		return;
	}
	pthread_mutex_lock(&cache_lock);
	slot *victim = &cache[0];
	for (size_t i = 0; i < CACHE_SLOTS; i++) {
		if (cache[i].key != NULL && strcmp(cache[i].key, key) == 0) {
			victim = &cache[i];
			break;
		}
		if (cache[i].used < victim->used)
			victim = &cache[i];
	}
	free(victim->key);
	cf_ocsp_http_answer_clear(&victim->answer);
	*victim = (slot){k, copy, ++cache_tick};
	pthread_mutex_unlock(&cache_lock);
}

/* ---- asking -------------------------------------------------------------------------------- */

/* One exchange with a CertID of the given hash. *refusal gets the responseStatus name when the
 * responder answered with one that calls for the SHA-1 retry. */
static cf_code ask_once(const cf_ocsp_http_query *q, const cf_ocsp_req *req, cf_ocsp_result *out, const char **refusal,
			cf_err *e)
{
	size_t len, body_len = 0;
	uint8_t *body = NULL;
	const uint8_t *der = cf_ocsp_req_der(req, &len);
	cf_code rc = cf_ocsp_http_post(q->url, der, len, q->timeout, &body, &body_len, e);
	if (rc == CF_OK) {
		const char *st = cf_ocsp_response_status(body, body_len);
		if (st != NULL && (strcmp(st, "malformedRequest") == 0 || strcmp(st, "unauthorized") == 0))
			*refusal = st;
		rc = cf_ocsp_check(q->url, req, body, body_len, q->trusted, q->n_trusted, q->now, out, e);
	}
	free(body);
	return rc;
}

/* Prefixes the error of the SHA-1 retry with what the SHA-256 request got. */
static void fallback_note(cf_err *e, const char *refused)
{
	char msg[sizeof(e->message)];
	int n = snprintf(msg, sizeof(msg), "the responder answered %s to the SHA-256 CertID; with SHA-1: ", refused);
	if (n > 0 && (size_t)n < sizeof(msg)) {
		snprintf(msg + n, sizeof(msg) - (size_t)n, "%.*s", (int)(sizeof(msg) - (size_t)n - 1), e->message);
		memcpy(e->message, msg, sizeof(msg));
	}
}

cf_code cf_ocsp_http_ask(const cf_ocsp_http_query *q, cf_ocsp_http_answer *out, cf_err *e)
{
	cf_ocsp_req *req = NULL;
	cf_ocsp_http_answer a = {0};
	const char *refusal = NULL;
	char *key = NULL;
	cf_code rc = cf_ocsp_req_new(q->cert, q->issuer, q->sha1, true, &req, e);
	if (rc != CF_OK)
		return rc;
	if (asprintf(&key, "%s\n%s", q->url, cf_ocsp_req_certid(req)) < 0) {
		key = NULL;
		rc = cf_err_set(e, CF_E_INTERNAL, "ocsp", "out of memory");
		goto out;
	}
	if (!q->fresh && cache_get(key, q, out))
		goto out;
	rc = ask_once(q, req, &a.result, &refusal, e);
	if (rc != CF_OK && refusal != NULL && !q->sha1) {
		/* RFC 6960 clients may fall back to SHA-1 for responders that only know it */
		cf_ocsp_req_free(req);
		req = NULL;
		snprintf(a.refused, sizeof(a.refused), "%s", refusal);
		a.sha1_fallback = true;
		if ((rc = cf_ocsp_req_new(q->cert, q->issuer, true, true, &req, e)) == CF_OK)
			rc = ask_once(q, req, &a.result, &refusal, e);
		if (rc != CF_OK && e != NULL) /* say that this was the second try */
			fallback_note(e, a.refused);
	}
	if (rc == CF_OK) {
		cache_put(key, &a);
		*out = a;
	}
out:
	free(key);
	cf_ocsp_req_free(req);
	return rc;
}

void cf_ocsp_http_answer_clear(cf_ocsp_http_answer *a)
{
	if (a != NULL)
		cf_ocsp_result_clear(&a->result);
}
