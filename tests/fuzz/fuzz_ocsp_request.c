/* libFuzzer target: OCSP requests as certfleet's responder receives them (cf_ocsp_resp_read, the
 * strict DER reader of src/crypto/ocsp_resp.c). When a request is accepted, every pointer it gives
 * must lie inside the input (the name and key hashes and the serial inside their CertID) with the
 * lengths its hash algorithm and RFC 8954 allow, and a response is built for it with
 * cf_ocsp_resp_build (its CertIDs and nonce echoed, statuses and reasons taken from the input),
 * so the builder is fuzzed too: it must succeed, and the result must hold those CertIDs and that
 * nonce and pass certfleet's own client check (cf_ocsp_check: OpenSSL's decode, the signature,
 * the status) for one more answer, about the responder's own certificate, added to them. The
 * responder's key is an EC P-256 key made once per run, with a self-signed certificate for it (no
 * key is kept in the source). Seeds in corpus/ocsp_request/ are `openssl ocsp -reqout` requests
 * and a few broken ones. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/ocsp.h"
#include "crypto/ocsp_resp.h"
#include "crypto/signer.h"
#include "crypto/x509.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A fixed time (2026-11-22T10:36:17Z) for every response. */
#define NOW 1795343777

static cf_cert *responder;
static cf_signer *signer;
static cf_ocsp_req *self_req; /* about the responder's own certificate (it is its own issuer) */
static uint8_t self_id[128];  /* that request's CertID */
static size_t self_id_len;

static void setup(void)
{
	cf_keyspec ks = {.type = CF_KEY_EC, .bits = 256, .curve = "prime256v1"};
	cf_reqspec rs = {.dn = {.cn = "Fuzz OCSP responder"}, .ca = true};
	cf_key *key = NULL;
	if (cf_key_generate(&ks, &key, NULL) != CF_OK ||
	    cf_cert_self_signed(&rs, key, NOW, 30, &responder, NULL) != CF_OK ||
	    cf_signer_local_new(key, "sha256", &signer, NULL) != CF_OK ||
	    cf_ocsp_req_new(responder, responder, false, false, &self_req, NULL) != CF_OK)
		abort();
	cf_key_free(key);
	const char *hex = cf_ocsp_req_certid(self_req);
	for (; hex[0] != '\0' && hex[1] != '\0'; hex += 2) {
		unsigned v = 0;
		if (self_id_len == sizeof(self_id) || sscanf(hex, "%2x", &v) != 1)
			abort();
		self_id[self_id_len++] = (uint8_t)v;
	}
}

static bool inside(const uint8_t *p, size_t n, const uint8_t *buf, size_t len)
{
	return p != NULL && p >= buf && n <= len && (size_t)(p - buf) <= len - n;
}

static size_t hash_len(const char *hash)
{
	static const struct {
		const char *name;
		size_t len;
	} lens[] = {{"sha1", 20}, {"sha256", 32}, {"sha384", 48}, {"sha512", 64}};
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++)
		if (strcmp(lens[i].name, hash) == 0)
			return lens[i].len;
	return 0;
}

static void check_request(const cf_ocsp_request *r, const uint8_t *data, size_t size)
{
	if (r->n < 1 || r->n > CF_OCSP_MAX_IDS)
		abort();
	for (size_t i = 0; i < r->n; i++) {
		const cf_ocsp_certid *id = &r->ids[i];
		size_t want = hash_len(id->hash);
		if (!inside(id->der, id->der_len, data, size) || id->der[0] != 0x30 ||
		    !inside(id->name_hash, id->hash_len, id->der, id->der_len) ||
		    !inside(id->key_hash, id->hash_len, id->der, id->der_len) ||
		    !inside(id->serial, id->serial_len, id->der, id->der_len) || id->serial_len == 0 ||
		    (id->serial[0] & 0x80) || (want != 0 ? id->hash_len != want : id->hash[0] != '\0') ||
		    id->hash_len == 0 || id->hash_len > 64)
			abort();
	}
	if (r->nonce == NULL) {
		if (r->nonce_len != 0)
			abort();
	} else if (!inside(r->nonce, r->nonce_len, data, size) || r->nonce_len < 3 || r->nonce_len > 34 ||
		   r->nonce[0] != 0x04 || r->nonce[1] != r->nonce_len - 2) {
		abort();
	}
}

/* True when needle occurs in hay. */
static bool contains(const uint8_t *hay, size_t n, const uint8_t *needle, size_t k)
{
	for (size_t i = 0; k <= n && i <= n - k; i++)
		if (memcmp(hay + i, needle, k) == 0)
			return true;
	return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cf_ocsp_request r;
	cf_ocsp_answer a[CF_OCSP_MAX_IDS];
	uint8_t *der = NULL;
	size_t len = 0;
	if (signer == NULL)
		setup();
	if (cf_ocsp_resp_read(data, size, &r, NULL) != CF_OK)
		return 0;
	check_request(&r, data, size);
	for (size_t i = 0; i < r.n; i++) {
		uint8_t last = r.ids[i].serial[r.ids[i].serial_len - 1];
		int reason = (int)(last % 12) - 1; /* -1 to 10; 7 is no CRLReason */
		a[i] = (cf_ocsp_answer){.certid = r.ids[i].der,
					.certid_len = r.ids[i].der_len,
					.status = (cf_ocsp_status)(last % 3),
					.revoked_at = NOW - (int64_t)last * 86400,
					.reason = reason == 7 ? -1 : reason,
					.this_update = NOW,
					.next_update = (last & 1) ? 0 : NOW + 86400};
	}
	size_t n = r.n;
	if (n < CF_OCSP_MAX_IDS) /* one more, that certfleet's client can check */
		a[n++] = (cf_ocsp_answer){.certid = self_id,
					  .certid_len = self_id_len,
					  .status = CF_OCSP_REVOKED,
					  .revoked_at = NOW - 60,
					  .reason = 1,
					  .this_update = NOW,
					  .next_update = NOW + 3600};
	cf_cert *certs[1] = {responder};
	size_t n_certs = size & 1;
	if (cf_ocsp_resp_build(a, n, r.nonce, r.nonce_len, NOW, responder, certs, n_certs, signer, &der, &len, NULL) !=
	    CF_OK)
		abort();
	const char *status = cf_ocsp_response_status(der, len);
	if (status == NULL || strcmp(status, "successful") != 0)
		abort();
	for (size_t i = 0; i < r.n; i++)
		if (!contains(der, len, r.ids[i].der, r.ids[i].der_len))
			abort();
	if (r.nonce != NULL && !contains(der, len, r.nonce, r.nonce_len))
		abort();
	if (n > r.n) {
		cf_ocsp_result res;
		cf_err e;
		if (cf_ocsp_check("fuzz", self_req, der, len, NULL, 0, NOW, &res, &e) != CF_OK) {
			fprintf(stderr, "cf_ocsp_check: %s\n", e.message);
			abort();
		}
		if (res.status != CF_OCSP_REVOKED || res.revoked_at != NOW - 60 ||
		    strcmp(res.reason, "keyCompromise") != 0)
			abort();
		cf_ocsp_result_clear(&res);
	}
	free(der);
	return 0;
}
