/* The OCSP responder's side (see ocsp_resp.h). A request is outside input read by the strict DER
 * walker of certder.c, never by OpenSSL's decoder: reading one costs microseconds, and every
 * length is checked against its container. A response is DER assembled by hand around one
 * cf_signer_sign; OpenSSL only hashes (the CertID hashes, the responder's key hash). */
#include <openssl/err.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto_int.h"
#include "crypto/ocsp_resp.h"

typedef cf_derreader reader;

/* ---- the hash algorithms a CertID may name ------------------------------------------------------ */

typedef struct hash_alg {
	const char *name;  /* certfleet's (cf_ocsp_certid.hash) */
	const char *fetch; /* OpenSSL's */
	size_t len;	   /* of the digest */
	uint8_t oid[11];   /* the OID's TLV */
	size_t oid_len;
} hash_alg;

enum { H_SHA1, H_SHA256, H_SHA384, H_SHA512, N_HASHES };

static const hash_alg hashes[N_HASHES] = {
	{"sha1", "SHA1", 20, {0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a}, 7},
	{"sha256", "SHA256", 32, {0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01}, 11},
	{"sha384", "SHA384", 48, {0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02}, 11},
	{"sha512", "SHA512", 64, {0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03}, 11},
};

/* Fetched once for the process: an EVP_sha1() in EVP_Digest would fetch again on every call. */
static EVP_MD *fetched[N_HASHES];
static pthread_once_t fetch_once = PTHREAD_ONCE_INIT;

static void fetch_hashes(void)
{
	for (size_t i = 0; i < N_HASHES; i++)
		fetched[i] = EVP_MD_fetch(NULL, hashes[i].fetch, NULL);
	ERR_clear_error();
}

static const hash_alg *hash_by_name(const char *name)
{
	for (size_t i = 0; name != NULL && i < N_HASHES; i++)
		if (strcmp(hashes[i].name, name) == 0)
			return &hashes[i];
	return NULL;
}

/* Digests n bytes at p into out (h->len bytes). */
static bool digest(const hash_alg *h, const uint8_t *p, size_t n, uint8_t *out)
{
	unsigned int len = 0;
	pthread_once(&fetch_once, fetch_hashes);
	const EVP_MD *md = fetched[h - hashes];
	return md != NULL && EVP_Digest(p, n, out, &len, md, NULL) == 1 && len == h->len;
}

/* What a CertID hashes of its issuer: the subject Name's DER and the subjectPublicKey BIT STRING's
 * contents after the unused-bits octet (RFC 6960 4.1.1), borrowed from c. */
static bool issuer_parts(const cf_cert *c, cf_der *name, cf_der *key)
{
	cf_certder d;
	if (cf_certder_split(c->der, c->der_len, &d)) {
		/* the walked subset re-encodes byte for byte: these are the bytes OpenSSL would hash */
		reader r = {d.key.spki.p, d.key.spki.p + d.key.spki.len}, in, v;
		cf_der t;
		if (cf_der_expect(&r, 0x30, &t, &in) && cf_der_expect(&in, 0x30, &t, &v) &&
		    cf_der_expect(&in, 0x03, &t, &v) && cf_der_left(&v) >= 1) {
			*name = d.subject;
			key->p = v.p + 1;
			key->len = cf_der_left(&v) - 1;
			return true;
		}
	}
	X509 *x = cf_cert_x(c);
	const unsigned char *np = NULL;
	size_t nlen = 0;
	const ASN1_BIT_STRING *bits = x != NULL ? X509_get0_pubkey_bitstr(x) : NULL;
	if (bits == NULL || X509_NAME_get0_der(X509_get_subject_name(x), &np, &nlen) != 1) {
		ERR_clear_error();
		return false;
	}
	name->p = np;
	name->len = nlen;
	key->p = ASN1_STRING_get0_data(bits);
	key->len = (size_t)ASN1_STRING_length(bits);
	return true;
}

static cf_code hashes_of(const cf_cert *issuer, const hash_alg *h, uint8_t *name_hash, uint8_t *key_hash, cf_err *e)
{
	cf_der name, key;
	if (issuer == NULL || !issuer_parts(issuer, &name, &key))
		return cf_err_set(e, CF_E_INPUT, "OCSP issuer", "the certificate's subject or key does not read");
	if (!digest(h, name.p, name.len, name_hash) || !digest(h, key.p, key.len, key_hash))
		return cf_ossl_err(e, CF_E_INTERNAL, "OCSP issuer", "cannot hash the issuer");
	return CF_OK;
}

cf_code cf_ocsp_resp_issuer_hashes(const cf_cert *issuer, const char *hash, uint8_t name_hash[static 64],
				   uint8_t key_hash[static 64], size_t *len, cf_err *e)
{
	const hash_alg *h = hash_by_name(hash);
	if (h == NULL)
		return cf_err_set(e, CF_E_INPUT, "OCSP hash", "not sha1, sha256, sha384 or sha512");
	cf_code rc = hashes_of(issuer, h, name_hash, key_hash, e);
	if (rc == CF_OK)
		*len = h->len;
	return rc;
}

/* ---- DER writing ------------------------------------------------------------------------------ */

/* The size of a TLV of n content octets (one-byte tag). */
static size_t tlv_len(size_t n)
{
	uint8_t b[5];
	return 1 + cf_der_len_octets(n, b) + n;
}

static uint8_t *put_hdr(uint8_t *p, uint8_t tag, size_t n)
{
	uint8_t b[5];
	size_t k = cf_der_len_octets(n, b);
	*p++ = tag;
	memcpy(p, b, k);
	return p + k;
}

static uint8_t *put(uint8_t *p, const void *src, size_t n)
{
	if (n > 0)
		memcpy(p, src, n);
	return p + n;
}

/* INTEGER contents that are positive and minimal: not empty, no sign bit, no redundant 00. */
static bool positive_integer(const uint8_t *p, size_t n)
{
	if (n == 0 || (p[0] & 0x80))
		return false;
	if (n == 1)
		return p[0] != 0;
	return p[0] != 0 || (p[1] & 0x80);
}

cf_code cf_ocsp_resp_certid(const cf_cert *issuer, const uint8_t *serial, size_t serial_len, const char *hash,
			    uint8_t **der, size_t *len, cf_err *e)
{
	const hash_alg *h = hash_by_name(hash);
	uint8_t nh[64], kh[64], *out = NULL, *p = NULL;
	if (h == NULL)
		return cf_err_set(e, CF_E_INPUT, "OCSP hash", "not sha1, sha256, sha384 or sha512");
	if (serial == NULL || !positive_integer(serial, serial_len))
		return cf_err_set(e, CF_E_INPUT, "OCSP serial", "not a positive minimal INTEGER");
	cf_code rc = hashes_of(issuer, h, nh, kh, e);
	if (rc != CF_OK)
		return rc;
	/* AlgorithmIdentifier with NULL parameters, as OpenSSL writes it (OCSP_cert_id_new) */
	size_t alg = h->oid_len + 2, body = tlv_len(alg) + 2 * tlv_len(h->len) + tlv_len(serial_len);
	size_t total = tlv_len(body);
	if ((out = malloc(total)) == NULL)
		return cf_err_set(e, CF_E_INTERNAL, "OCSP", "out of memory");
	p = put_hdr(out, 0x30, body);
	p = put_hdr(p, 0x30, alg);
	p = put(p, h->oid, h->oid_len);
	*p++ = 0x05;
	*p++ = 0x00;
	p = put(put_hdr(p, 0x04, h->len), nh, h->len);
	p = put(put_hdr(p, 0x04, h->len), kh, h->len);
	p = put(put_hdr(p, 0x02, serial_len), serial, serial_len);
	*der = out;
	*len = (size_t)(p - out);
	return CF_OK;
}

/* ---- reading a request ------------------------------------------------------------------------ */

/* id-pkix-ocsp-nonce (1.3.6.1.5.5.7.48.1.2), as an OID TLV. */
static const uint8_t nonce_oid[] = {0x06, 0x09, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x01, 0x02};
/* id-pkix-ocsp-basic (1.3.6.1.5.5.7.48.1.1). */
static const uint8_t basic_oid[] = {0x06, 0x09, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x01, 0x01};

/* RFC 8954 2.1: a nonce of 1 to 32 octets. */
#define NONCE_MAX 32

/* OBJECT IDENTIFIER contents as DER has them: not empty, the last octet ends a sub-identifier,
 * and no sub-identifier starts with 0x80. */
static bool oid_ok(const reader *v)
{
	size_t n = cf_der_left(v);
	const uint8_t *p = v->p;
	if (n == 0 || (p[n - 1] & 0x80))
		return false;
	for (size_t i = 0; i < n; i++)
		if (p[i] == 0x80 && (i == 0 || !(p[i - 1] & 0x80)))
			return false;
	return true;
}

static bool same(const cf_der *d, const uint8_t *p, size_t n)
{
	return d->len == n && memcmp(d->p, p, n) == 0;
}

/* Extensions (SEQUENCE SIZE (1..MAX) OF Extension) filling r. With nonce non-NULL (the request's
 * own extensions) the nonce is kept there: the extnValue's contents, an OCTET STRING of 1 to 32
 * octets. Other extensions are skipped unless critical. NULL, or why the list is refused. */
static const char *extensions(reader *r, cf_der *nonce)
{
	reader list, ext, v, inner;
	cf_der t, oid, val;
	uint8_t tag = 0;
	if (!cf_der_expect(r, 0x30, &t, &list) || cf_der_at_end(&list) || !cf_der_at_end(r))
		return "malformed extension list";
	while (!cf_der_at_end(&list)) {
		bool critical = false;
		if (!cf_der_expect(&list, 0x30, &t, &ext) || !cf_der_expect(&ext, 0x06, &oid, &v) || !oid_ok(&v))
			return "malformed extension";
		if (cf_der_peek(&ext) == 0x01) { /* DEFAULT FALSE: DER writes it only as TRUE (0xff) */
			if (!cf_der_expect(&ext, 0x01, &t, &v) || cf_der_left(&v) != 1 || v.p[0] != 0xff)
				return "malformed extension critical flag";
			critical = true;
		}
		if (!cf_der_expect(&ext, 0x04, &val, &v) || !cf_der_at_end(&ext))
			return "malformed extension value";
		if (nonce != NULL && same(&oid, nonce_oid, sizeof(nonce_oid))) {
			if (nonce->p != NULL)
				return "two nonce extensions";
			/* RFC 8954: extnValue holds an OCTET STRING of 1 to 32 octets */
			reader in = v;
			if (!cf_der_next(&in, &tag, &t, &inner) || tag != 0x04 || !cf_der_at_end(&in))
				return "the nonce is not an OCTET STRING";
			if (cf_der_left(&inner) < 1 || cf_der_left(&inner) > NONCE_MAX)
				return "the nonce is not 1 to 32 octets";
			nonce->p = v.p;
			nonce->len = cf_der_left(&v);
		} else if (critical) {
			return "unknown critical extension";
		}
	}
	return NULL;
}

/* CertID { hashAlgorithm, issuerNameHash, issuerKeyHash, serialNumber }. NULL, or why refused. */
static const char *certid(reader *r, cf_ocsp_certid *id)
{
	reader cid, alg, v, nh, kh, sn;
	cf_der whole, oid, t;
	const hash_alg *h = NULL;
	if (!cf_der_expect(r, 0x30, &whole, &cid))
		return "malformed CertID";
	if (!cf_der_expect(&cid, 0x30, &t, &alg) || !cf_der_expect(&alg, 0x06, &oid, &v) || !oid_ok(&v))
		return "malformed CertID hash algorithm";
	/* parameters: NULL or absent (RFC 5754 allows both for SHA-2) */
	if (!cf_der_at_end(&alg) && (!cf_der_expect(&alg, 0x05, &t, &v) || !cf_der_at_end(&v) || !cf_der_at_end(&alg)))
		return "CertID hash algorithm parameters are not NULL";
	for (size_t i = 0; i < N_HASHES; i++)
		if (same(&oid, hashes[i].oid, hashes[i].oid_len))
			h = &hashes[i];
	if (!cf_der_expect(&cid, 0x04, &t, &nh) || !cf_der_expect(&cid, 0x04, &t, &kh))
		return "malformed CertID hashes";
	if (h != NULL ? cf_der_left(&nh) != h->len || cf_der_left(&kh) != h->len
		      : cf_der_left(&nh) != cf_der_left(&kh) || cf_der_left(&nh) == 0 || cf_der_left(&nh) > 64)
		return "CertID hashes are not the algorithm's length";
	if (!cf_der_expect(&cid, 0x02, &t, &sn) || !positive_integer(sn.p, cf_der_left(&sn)))
		return "CertID serial is not a positive minimal INTEGER";
	if (!cf_der_at_end(&cid))
		return "bytes after a CertID's serial";
	memset(id, 0, sizeof(*id));
	if (h != NULL)
		memcpy(id->hash, h->name, strlen(h->name) + 1);
	id->name_hash = nh.p;
	id->key_hash = kh.p;
	id->hash_len = cf_der_left(&nh);
	id->serial = sn.p;
	id->serial_len = cf_der_left(&sn);
	id->der = whole.p;
	id->der_len = whole.len;
	return NULL;
}

/* optionalSignature [0] EXPLICIT Signature { signatureAlgorithm, signature BIT STRING,
 * certs [0] EXPLICIT SEQUENCE OF Certificate OPTIONAL }: its shape only, never checked. */
static const char *signature(reader *r)
{
	reader in, sig, alg, v, certs, seq;
	cf_der t;
	if (!cf_der_expect(r, 0xa0, &t, &in) || !cf_der_expect(&in, 0x30, &t, &sig) || !cf_der_at_end(&in) ||
	    !cf_der_expect(&sig, 0x30, &t, &alg) || !cf_der_expect(&alg, 0x06, &t, &v) || !oid_ok(&v) ||
	    !cf_der_expect(&sig, 0x03, &t, &v) || cf_der_left(&v) < 1 || v.p[0] > 7)
		return "malformed optionalSignature";
	if (cf_der_peek(&sig) == 0xa0) {
		if (!cf_der_expect(&sig, 0xa0, &t, &certs) || !cf_der_expect(&certs, 0x30, &t, &seq) ||
		    !cf_der_at_end(&certs))
			return "malformed optionalSignature certificates";
		while (!cf_der_at_end(&seq))
			if (!cf_der_expect(&seq, 0x30, &t, &v))
				return "malformed optionalSignature certificate";
	}
	return cf_der_at_end(&sig) ? NULL : "bytes after optionalSignature";
}

/* TBSRequest { [0] version DEFAULT v1, [1] requestorName OPTIONAL, requestList,
 * [2] requestExtensions OPTIONAL } into *out. NULL, or why refused. */
static const char *tbs_request(reader *r, cf_ocsp_request *out)
{
	reader tbs, in, v, list, req;
	cf_der t, nonce = {NULL, 0};
	const char *why = NULL;
	uint8_t tag = 0;
	if (!cf_der_expect(r, 0x30, &t, &tbs))
		return "malformed TBSRequest";
	if (cf_der_peek(&tbs) == 0xa0 && (!cf_der_expect(&tbs, 0xa0, &t, &in) || !cf_der_expect(&in, 0x02, &t, &v) ||
					  !cf_der_at_end(&in) || cf_der_left(&v) != 1 || v.p[0] != 0))
		return "version is not v1";
	if (cf_der_peek(&tbs) == 0xa1 && (!cf_der_expect(&tbs, 0xa1, &t, &in) || !cf_der_next(&in, &tag, &t, &v) ||
					  !cf_der_at_end(&in) || (tag & 0xc0) != 0x80 || (tag & 0x1f) > 8))
		return "malformed requestorName"; /* a GeneralName: [0] to [8] */
	if (!cf_der_expect(&tbs, 0x30, &t, &list))
		return "malformed requestList";
	if (cf_der_at_end(&list))
		return "no CertID in the request";
	for (out->n = 0; !cf_der_at_end(&list); out->n++) {
		if (out->n == CF_OCSP_MAX_IDS)
			return "more than 8 CertIDs";
		if (!cf_der_expect(&list, 0x30, &t, &req))
			return "malformed Request";
		if ((why = certid(&req, &out->ids[out->n])) != NULL)
			return why;
		if (cf_der_peek(&req) == 0xa0) {
			if (!cf_der_expect(&req, 0xa0, &t, &in))
				return "malformed singleRequestExtensions";
			if ((why = extensions(&in, NULL)) != NULL)
				return why;
		}
		if (!cf_der_at_end(&req))
			return "bytes after a Request";
	}
	if (cf_der_peek(&tbs) == 0xa2) {
		if (!cf_der_expect(&tbs, 0xa2, &t, &in))
			return "malformed requestExtensions";
		if ((why = extensions(&in, &nonce)) != NULL)
			return why;
	}
	if (!cf_der_at_end(&tbs))
		return "bytes after TBSRequest's fields";
	out->nonce = nonce.p;
	out->nonce_len = nonce.len;
	return NULL;
}

/* OCSPRequest { tbsRequest, [0] EXPLICIT optionalSignature OPTIONAL } filling exactly len bytes.
 * NULL, or why refused. */
static const char *request(const uint8_t *der, size_t len, cf_ocsp_request *out)
{
	reader top, req;
	cf_der t;
	const char *why = NULL;
	if (der == NULL || len == 0)
		return "empty";
	if (len > CF_OCSP_MAX_REQUEST)
		return "longer than 64 KiB";
	top = (reader){der, der + len};
	if (!cf_der_expect(&top, 0x30, &t, &req))
		return "not a DER OCSPRequest";
	if (!cf_der_at_end(&top))
		return "bytes after the OCSPRequest";
	if ((why = tbs_request(&req, out)) != NULL)
		return why;
	if (cf_der_peek(&req) == 0xa0) {
		if ((why = signature(&req)) != NULL)
			return why;
		out->signed_request = true;
	}
	return cf_der_at_end(&req) ? NULL : "bytes after the OCSPRequest's fields";
}

cf_code cf_ocsp_resp_read(const uint8_t *der, size_t len, cf_ocsp_request *out, cf_err *e)
{
	cf_ocsp_request r;
	memset(&r, 0, sizeof(r));
	const char *why = request(der, len, &r);
	if (why != NULL)
		return cf_err_set(e, CF_E_INPUT, "OCSP request", "%s", why);
	*out = r;
	return CF_OK;
}

/* ---- building a response ---------------------------------------------------------------------- */

/* GeneralizedTime TLV of a time, YYYYMMDDHHMMSSZ (RFC 5280 4.1.2.5.2), from year 0000 to 9999. */
#define GENTIME_LEN 17

static bool gentime(int64_t t, uint8_t out[static GENTIME_LEN])
{
	if (t < -62167219200 || t > 253402300799) /* 0000-01-01 to 9999-12-31T23:59:59 */
		return false;
	int64_t days = t / 86400, secs = t % 86400;
	if (secs < 0)
		secs += 86400, days--;
	/* the civil date of the day number (Howard Hinnant's civil_from_days) */
	int64_t z = days + 719468, era = (z >= 0 ? z : z - 146096) / 146097, doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365,
		doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153, d = doy - (153 * mp + 2) / 5 + 1, m = mp < 10 ? mp + 3 : mp - 9;
	int64_t y = yoe + era * 400 + (m <= 2);
	int64_t f[6] = {y, m, d, secs / 3600, secs / 60 % 60, secs % 60};
	uint8_t *p = out;
	*p++ = 0x18;
	*p++ = 15;
	for (int i = 0; i < 6; i++) {
		int64_t v = f[i];
		for (int k = i == 0 ? 3 : 1; k >= 0; k--) {
			p[k] = (uint8_t)('0' + v % 10);
			v /= 10;
		}
		p += i == 0 ? 4 : 2;
	}
	*p = 'Z';
	return true;
}

/* One SingleResponse, its pieces checked and ready to write. */
typedef struct single {
	uint8_t this_update[GENTIME_LEN], next_update[GENTIME_LEN], revoked_at[GENTIME_LEN];
	size_t status_len; /* the CertStatus TLV */
	size_t len;	   /* the SingleResponse's contents */
} single;

/* Checks answer a and sizes its SingleResponse; NULL, or why it cannot be built. */
static const char *single_size(const cf_ocsp_answer *a, single *s)
{
	reader r, in;
	cf_der t;
	if (a->certid == NULL)
		return "an answer has no CertID";
	r = (reader){a->certid, a->certid + a->certid_len};
	if (!cf_der_expect(&r, 0x30, &t, &in) || !cf_der_at_end(&r))
		return "an answer's CertID is not one DER SEQUENCE";
	if (!gentime(a->this_update, s->this_update) ||
	    (a->next_update != 0 && !gentime(a->next_update, s->next_update)))
		return "an answer's thisUpdate or nextUpdate is outside the years 0000-9999";
	if (a->next_update != 0 && a->next_update < a->this_update)
		return "an answer's nextUpdate is before its thisUpdate";
	switch (a->status) {
	case CF_OCSP_GOOD:
	case CF_OCSP_UNKNOWN: s->status_len = 2; break; /* [0] or [2] IMPLICIT NULL */
	case CF_OCSP_REVOKED:
		if (!gentime(a->revoked_at, s->revoked_at))
			return "an answer's revocation time is outside the years 0000-9999";
		if (a->reason < -1 || a->reason > 10 || a->reason == 7) /* 7 is not a CRLReason */
			return "an answer's CRLReason is not 0-6 or 8-10 (or -1 for none)";
		s->status_len = 2 + GENTIME_LEN + (a->reason >= 0 ? 5 : 0);
		break;
	default: return "an answer's status is not good, revoked or unknown";
	}
	s->len = a->certid_len + s->status_len + GENTIME_LEN + (a->next_update != 0 ? 2 + GENTIME_LEN : 0);
	return NULL;
}

static uint8_t *put_single(uint8_t *p, const cf_ocsp_answer *a, const single *s)
{
	p = put_hdr(p, 0x30, s->len);
	p = put(p, a->certid, a->certid_len);
	switch (a->status) {
	case CF_OCSP_REVOKED:
		p = put_hdr(p, 0xa1, s->status_len - 2); /* revoked [1] IMPLICIT RevokedInfo */
		p = put(p, s->revoked_at, GENTIME_LEN);
		if (a->reason >= 0) { /* revocationReason [0] EXPLICIT CRLReason */
			const uint8_t reason[5] = {0xa0, 0x03, 0x0a, 0x01, (uint8_t)a->reason};
			p = put(p, reason, sizeof(reason));
		}
		break;
	case CF_OCSP_UNKNOWN: p = put(p, "\x82\x00", 2); break;
	default: p = put(p, "\x80\x00", 2); break;
	}
	p = put(p, s->this_update, GENTIME_LEN);
	if (a->next_update != 0) /* nextUpdate [0] EXPLICIT */
		p = put(put_hdr(p, 0xa0, GENTIME_LEN), s->next_update, GENTIME_LEN);
	return p;
}

/* The signed part: ResponseData { responderID byKey, producedAt, responses, [1] nonce }. */
static cf_code response_data(const cf_ocsp_answer *answers, size_t n, const uint8_t *nonce, size_t nonce_len,
			     int64_t produced_at, const cf_cert *responder, uint8_t **der, size_t *len, cf_err *e)
{
	single singles[CF_OCSP_MAX_IDS];
	uint8_t produced[GENTIME_LEN], key_id[20], *out = NULL, *p = NULL;
	cf_der name, key;
	const char *why = NULL;
	size_t responses = 0, ext = 0;
	if (!gentime(produced_at, produced))
		why = "producedAt is outside the years 0000-9999";
	for (size_t i = 0; why == NULL && i < n; i++)
		if ((why = single_size(&answers[i], &singles[i])) == NULL)
			responses += tlv_len(singles[i].len);
	if (why != NULL)
		return cf_err_set(e, CF_E_INPUT, "OCSP response", "%s", why);
	if (responder == NULL || !issuer_parts(responder, &name, &key))
		return cf_err_set(e, CF_E_INPUT, "OCSP responder", "the certificate's key does not read");
	if (!digest(&hashes[H_SHA1], key.p, key.len, key_id)) /* KeyHash: SHA-1 of the key (RFC 6960 4.2.1) */
		return cf_ossl_err(e, CF_E_INTERNAL, "OCSP responder", "cannot hash the responder's key");
	if (nonce != NULL) /* Extension { id-pkix-ocsp-nonce, extnValue } */
		ext = sizeof(nonce_oid) + tlv_len(nonce_len);
	size_t exts = nonce != NULL ? tlv_len(tlv_len(tlv_len(ext))) : 0;
	size_t body = 2 + 22 + GENTIME_LEN + tlv_len(responses) + exts;
	if ((out = malloc(tlv_len(body))) == NULL)
		return cf_err_set(e, CF_E_INTERNAL, "OCSP", "out of memory");
	p = put_hdr(out, 0x30, body);
	p = put_hdr(p, 0xa2, 22); /* responderID byKey [2] EXPLICIT KeyHash */
	p = put(put_hdr(p, 0x04, sizeof(key_id)), key_id, sizeof(key_id));
	p = put(p, produced, GENTIME_LEN);
	p = put_hdr(p, 0x30, responses);
	for (size_t i = 0; i < n; i++)
		p = put_single(p, &answers[i], &singles[i]);
	if (nonce != NULL) { /* responseExtensions [1] EXPLICIT Extensions */
		p = put_hdr(p, 0xa1, tlv_len(tlv_len(ext)));
		p = put_hdr(p, 0x30, tlv_len(ext));
		p = put_hdr(p, 0x30, ext);
		p = put(p, nonce_oid, sizeof(nonce_oid));
		p = put(put_hdr(p, 0x04, nonce_len), nonce, nonce_len);
	}
	*der = out;
	*len = (size_t)(p - out);
	return CF_OK;
}

cf_code cf_ocsp_resp_build(const cf_ocsp_answer *answers, size_t n, const uint8_t *nonce, size_t nonce_len,
			   int64_t produced_at, const cf_cert *responder, cf_cert *const *certs, size_t n_certs,
			   const cf_signer *s, uint8_t **der, size_t *len, cf_err *e)
{
	uint8_t *tbs = NULL, *sig = NULL, *out = NULL, *p = NULL;
	const uint8_t *alg = NULL;
	size_t tbs_len = 0, sig_len = 0, alg_len = 0, certs_len = 0;
	cf_code rc = CF_E_INPUT;
	if (answers == NULL || n == 0 || n > CF_OCSP_MAX_IDS || s == NULL || (n_certs > 0 && certs == NULL)) {
		cf_err_set(e, rc, "OCSP response", "1 to 8 answers and a signer are needed");
		goto out;
	}
	if (nonce != NULL) { /* the nonce as cf_ocsp_resp_read gives it: one OCTET STRING TLV */
		reader r = {nonce, nonce + nonce_len}, in;
		cf_der t;
		if (!cf_der_expect(&r, 0x04, &t, &in) || !cf_der_at_end(&r)) {
			cf_err_set(e, rc, "OCSP response", "the nonce is not one DER OCTET STRING");
			goto out;
		}
	}
	for (size_t i = 0; i < n_certs; i++) {
		if (certs[i] == NULL) {
			cf_err_set(e, rc, "OCSP response", "a certificate to include is missing");
			goto out;
		}
		certs_len += certs[i]->der_len;
	}
	if ((rc = response_data(answers, n, nonce, nonce_len, produced_at, responder, &tbs, &tbs_len, e)) != CF_OK ||
	    (rc = cf_signer_sign(s, tbs, tbs_len, &sig, &sig_len, e)) != CF_OK)
		goto out;
	alg = cf_signer_alg(s, &alg_len);
	/* BasicOCSPResponse { tbsResponseData, signatureAlgorithm, signature, [0] EXPLICIT certs } */
	size_t certs_field = n_certs > 0 ? tlv_len(tlv_len(certs_len)) : 0;
	size_t basic = tbs_len + alg_len + tlv_len(1 + sig_len) + certs_field;
	/* ResponseBytes { id-pkix-ocsp-basic, OCTET STRING BasicOCSPResponse } */
	size_t bytes = sizeof(basic_oid) + tlv_len(tlv_len(basic));
	/* OCSPResponse { responseStatus successful, [0] EXPLICIT ResponseBytes } */
	size_t body = 3 + tlv_len(tlv_len(bytes)), total = tlv_len(body);
	if ((out = malloc(total)) == NULL) {
		rc = cf_err_set(e, CF_E_INTERNAL, "OCSP", "out of memory");
		goto out;
	}
	p = put_hdr(out, 0x30, body);
	p = put(p, "\x0a\x01\x00", 3);
	p = put_hdr(p, 0xa0, tlv_len(bytes));
	p = put_hdr(p, 0x30, bytes);
	p = put(p, basic_oid, sizeof(basic_oid));
	p = put_hdr(p, 0x04, tlv_len(basic));
	p = put_hdr(p, 0x30, basic);
	p = put(p, tbs, tbs_len);
	p = put(p, alg, alg_len);
	p = put_hdr(p, 0x03, 1 + sig_len);
	*p++ = 0x00; /* no unused bits */
	p = put(p, sig, sig_len);
	if (n_certs > 0) {
		p = put_hdr(p, 0xa0, tlv_len(certs_len));
		p = put_hdr(p, 0x30, certs_len);
		for (size_t i = 0; i < n_certs; i++)
			p = put(p, certs[i]->der, certs[i]->der_len);
	}
	*der = out;
	*len = total;
	out = NULL;
	rc = CF_OK;
out:
	free(out);
	free(sig);
	free(tbs);
	return rc;
}

/* ---- unsuccessful responses ------------------------------------------------------------------- */

static const struct {
	const char *name;
	uint8_t der[5]; /* OCSPResponse { responseStatus }: no responseBytes */
} errors[] = {
	{"malformedRequest", {0x30, 0x03, 0x0a, 0x01, 0x01}}, {"internalError", {0x30, 0x03, 0x0a, 0x01, 0x02}},
	{"tryLater", {0x30, 0x03, 0x0a, 0x01, 0x03}},	      {"sigRequired", {0x30, 0x03, 0x0a, 0x01, 0x05}},
	{"unauthorized", {0x30, 0x03, 0x0a, 0x01, 0x06}},
};

const uint8_t *cf_ocsp_resp_error(const char *status, size_t *len)
{
	for (size_t i = 0; status != NULL && i < sizeof(errors) / sizeof(errors[0]); i++) {
		if (strcmp(errors[i].name, status) == 0) {
			*len = sizeof(errors[i].der);
			return errors[i].der;
		}
	}
	return NULL;
}
