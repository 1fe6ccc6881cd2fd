/* The local CA's builders (SPEC §9): certificates and CRLs assembled as DER here and signed
 * through a cf_signer. A certificate costs one i2d of the request, a walk of its bytes with the
 * strict DER reader, one buffer for the TBSCertificate and the signature: no X509 object is
 * built, so the signer's work is nearly all of it. The request's subject Name, public key and
 * (copied) extensions go into the certificate byte for byte. */
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "crypto/crypto_int.h"
#include "crypto/issue.h"

/* ---- serials and reasons ---------------------------------------------------------------- */

cf_code cf_issue_serial(uint8_t out[static CF_SERIAL_LEN], cf_err *e)
{
	uint8_t v[CF_SERIAL_LEN];
	if (RAND_bytes(v, sizeof(v)) != 1)
		return cf_ossl_err(e, CF_E_INTERNAL, "serial", "no random bytes");
	v[0] &= 0x7f;
	while (v[0] == 0) { /* 1 in 128: draw the first octet again so the INTEGER keeps 16 octets */
		if (RAND_bytes(v, 1) != 1)
			return cf_ossl_err(e, CF_E_INTERNAL, "serial", "no random bytes");
		v[0] &= 0x7f;
	}
	memcpy(out, v, sizeof(v));
	return CF_OK;
}

/* RFC 5280 5.3.1; 7 is not used. */
static const char *const reason_names[] = {
	"unspecified",	 "keyCompromise",	 "cACompromise",    "affiliationChanged",
	"superseded",	 "cessationOfOperation", "certificateHold", NULL,
	"removeFromCRL", "privilegeWithdrawn",	 "aACompromise",
};
#define REASON_MAX ((int)(sizeof(reason_names) / sizeof(reason_names[0])) - 1)

int cf_issue_reason_code(const char *name)
{
	for (int i = 0; name != NULL && i <= REASON_MAX; i++)
		if (reason_names[i] != NULL && strcasecmp(name, reason_names[i]) == 0)
			return i;
	return -1;
}

const char *cf_issue_reason_name(int code)
{
	return code >= 0 && code <= REASON_MAX ? reason_names[code] : NULL;
}

/* ---- a DER writer ------------------------------------------------------------------------- */

/* A growable buffer; a TLV is opened with a one-octet length placeholder and closed once its
 * contents are written (the contents move when the length needs more octets). After a failed
 * allocation every call does nothing and oom stays set. */
typedef struct dw {
	uint8_t *p;
	size_t len, cap;
	bool oom;
} dw;

static bool dw_reserve(dw *w, size_t n)
{
	if (w->oom)
		return false;
	if (n <= w->cap - w->len)
		return true;
	size_t cap = w->cap ? w->cap : 1024;
	while (cap - w->len < n)
		cap *= 2;
	uint8_t *p = realloc(w->p, cap);
	if (p == NULL) {
		w->oom = true;
		return false;
	}
	w->p = p;
	w->cap = cap;
	return true;
}

static void dw_put(dw *w, const void *b, size_t n)
{
	if (n == 0 || !dw_reserve(w, n))
		return;
	memcpy(w->p + w->len, b, n);
	w->len += n;
}

static void dw_byte(dw *w, uint8_t b)
{
	dw_put(w, &b, 1);
}

/* Opens a TLV: returns where it starts, for dw_close. */
static size_t dw_open(dw *w, uint8_t tag)
{
	size_t at = w->len;
	uint8_t h[2] = {tag, 0};
	dw_put(w, h, 2);
	return at;
}

static void dw_close(dw *w, size_t at)
{
	if (w->oom)
		return;
	size_t n = w->len - at - 2;
	uint8_t lo[5];
	size_t k = cf_der_len_octets(n, lo);
	if (k > 1) {
		if (!dw_reserve(w, k - 1))
			return;
		memmove(w->p + at + 1 + k, w->p + at + 2, n);
		w->len += k - 1;
	}
	memcpy(w->p + at + 1, lo, k);
}

static void dw_tlv(dw *w, uint8_t tag, const void *b, size_t n)
{
	uint8_t lo[5];
	size_t k = cf_der_len_octets(n, lo);
	dw_byte(w, tag);
	dw_put(w, lo, k);
	dw_put(w, b, n);
}

/* A non-negative INTEGER in minimal form. */
static void dw_uint(dw *w, uint64_t v)
{
	uint8_t b[9];
	size_t n = 0;
	for (int i = 7; i >= 0; i--) {
		uint8_t o = (uint8_t)(v >> (8 * i));
		if (n == 0 && o == 0 && i > 0)
			continue;
		if (n == 0 && (o & 0x80))
			b[n++] = 0;
		b[n++] = o;
	}
	dw_tlv(w, 0x02, b, n);
}

/* ---- times ------------------------------------------------------------------------------------ */

/* The civil date of a day count since 1970-01-01 (H. Hinnant's days_from_civil inverse). */
static void civil(int64_t days, int64_t *y, unsigned *m, unsigned *d)
{
	days += 719468;
	int64_t era = (days >= 0 ? days : days - 146096) / 146097;
	unsigned doe = (unsigned)(days - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

/* 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z: what a GeneralizedTime can say. */
#define TIME_MIN INT64_C(-62135596800)
#define TIME_MAX INT64_C(253402300799)

/* A Time as RFC 5280 4.1.2.5 requires: UTCTime for 1950 to 2049, GeneralizedTime otherwise.
 * The caller has checked t against TIME_MIN and TIME_MAX. */
static void dw_time(dw *w, int64_t t)
{
	int64_t days = t / 86400, s = t % 86400, y;
	if (s < 0)
		s += 86400, days--;
	unsigned m, d;
	civil(days, &y, &m, &d);
	unsigned f[7] = {(unsigned)(y / 100),	  (unsigned)(y % 100), m, d, (unsigned)(s / 3600),
			 (unsigned)(s / 60 % 60), (unsigned)(s % 60)};
	bool utc = y >= 1950 && y < 2050;
	uint8_t text[15], *p = text;
	for (int i = utc ? 1 : 0; i < 7; i++) {
		*p++ = (uint8_t)('0' + f[i] / 10);
		*p++ = (uint8_t)('0' + f[i] % 10);
	}
	*p++ = 'Z';
	dw_tlv(w, utc ? 0x17 : 0x18, text, (size_t)(p - text));
}

static cf_code check_time(int64_t t, const char *what, cf_err *e)
{
	if (t < TIME_MIN || t > TIME_MAX)
		return cf_err_set(e, CF_E_INPUT, what, "outside the years 1 to 9999");
	return CF_OK;
}

/* ---- object identifiers (contents octets) ---------------------------------------------------- */

static const uint8_t oid_bc[] = {0x55, 0x1d, 0x13};
static const uint8_t oid_ku[] = {0x55, 0x1d, 0x0f};
static const uint8_t oid_eku[] = {0x55, 0x1d, 0x25};
static const uint8_t oid_san[] = {0x55, 0x1d, 0x11};
static const uint8_t oid_ski[] = {0x55, 0x1d, 0x0e};
static const uint8_t oid_aki[] = {0x55, 0x1d, 0x23};
static const uint8_t oid_cdp[] = {0x55, 0x1d, 0x1f};
static const uint8_t oid_crl_number[] = {0x55, 0x1d, 0x14};
static const uint8_t oid_reason[] = {0x55, 0x1d, 0x15};
static const uint8_t oid_aia[] = {0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x01, 0x01};
static const uint8_t oid_ad_ocsp[] = {0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x01};
static const uint8_t oid_ocsp_nocheck[] = {0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x01, 0x05};
/* PKCS#9 extensionRequest, and Microsoft's older one (OpenSSL reads both). */
static const uint8_t oid_ext_req[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x0e};
static const uint8_t oid_ms_ext_req[] = {0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x02, 0x01, 0x0e};
/* id-kp-serverAuth, clientAuth, ipsecEndSystem, OCSPSigning: CF_EKU_* bit order. */
static const uint8_t oid_kp[4][8] = {
	{0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x01},
	{0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x02},
	{0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x05},
	{0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x09},
};

#define OID(o) o, sizeof(o)

static bool oid_is(cf_der oid, const uint8_t *want, size_t n)
{
	return oid.len == n && memcmp(oid.p, want, n) == 0;
}

/* An Extension: returns where its TLV and its extnValue OCTET STRING start, for ext_close. */
typedef struct ext_at {
	size_t ext, value;
} ext_at;

static ext_at ext_open(dw *w, const uint8_t *oid, size_t oid_len, bool critical)
{
	ext_at at;
	at.ext = dw_open(w, 0x30);
	dw_tlv(w, 0x06, oid, oid_len);
	if (critical)
		dw_put(w, (const uint8_t[]){0x01, 0x01, 0xff}, 3);
	at.value = dw_open(w, 0x04);
	return at;
}

static void ext_close(dw *w, ext_at at)
{
	dw_close(w, at.value);
	dw_close(w, at.ext);
}

/* ---- SHA-1 for key identifiers ------------------------------------------------------------- */

#define KID_LEN 20

static const EVP_MD *sha1(void)
{
	static _Atomic(EVP_MD *) cached;
	EVP_MD *md = atomic_load_explicit(&cached, memory_order_acquire), *expected = NULL;
	if (md != NULL)
		return md;
	/* fetched once, as cf_sha256 is: EVP_sha1() would fetch it again on every digest */
	if ((md = EVP_MD_fetch(NULL, "SHA1", NULL)) == NULL) {
		ERR_clear_error();
		return EVP_sha1();
	}
	if (atomic_compare_exchange_strong_explicit(&cached, &expected, md, memory_order_acq_rel, memory_order_acquire))
		return md;
	EVP_MD_free(md);
	return expected;
}

/* RFC 5280 4.2.1.2 method 1: SHA-1 of the subjectPublicKey BIT STRING's value (after its
 * unused-bits octet). bits is the BIT STRING's contents. */
static cf_code key_id(cf_der bits, uint8_t out[static KID_LEN], cf_err *e)
{
	unsigned n = 0;
	if (bits.len < 1 || EVP_Digest(bits.p + 1, bits.len - 1, out, &n, sha1(), NULL) != 1 || n != KID_LEN)
		return cf_ossl_err(e, CF_E_INTERNAL, "key identifier", "cannot hash the public key");
	return CF_OK;
}

/* The subjectPublicKey BIT STRING's contents of a SubjectPublicKeyInfo TLV. */
static bool spki_bits(cf_der spki, cf_der *bits)
{
	cf_derreader r = {spki.p, spki.p + spki.len}, in, v;
	cf_der t;
	if (!cf_der_expect(&r, 0x30, &t, &in) || !cf_der_expect(&in, 0x30, &t, &v) ||
	    !cf_der_expect(&in, 0x03, &t, &v) || in.p != in.end || v.p == v.end)
		return false;
	*bits = (cf_der){v.p, (size_t)(v.end - v.p)};
	return true;
}

/* ---- what is read from the request and the issuer ------------------------------------------ */

/* One Extension of a list being walked. */
typedef struct ext_view {
	cf_der tlv;    /* the whole Extension */
	cf_der oid;    /* extnID contents */
	bool critical; /* any non-zero BOOLEAN octet */
	cf_der value;  /* extnValue contents */
} ext_view;

/* The next Extension of r (a SEQUENCE OF Extension's contents); false at its end or on bad DER
 * (then *bad). */
static bool next_ext(cf_derreader *r, ext_view *x, bool *bad)
{
	cf_derreader in, v;
	cf_der t;
	*bad = false;
	if (r->p == r->end)
		return false;
	if (!cf_der_expect(r, 0x30, &x->tlv, &in) || !cf_der_expect(&in, 0x06, &t, &v) || v.p == v.end) {
		*bad = true;
		return false;
	}
	x->oid = (cf_der){v.p, (size_t)(v.end - v.p)};
	x->critical = false;
	if (in.p < in.end && in.p[0] == 0x01) {
		if (!cf_der_expect(&in, 0x01, &t, &v) || v.end - v.p != 1) {
			*bad = true;
			return false;
		}
		x->critical = v.p[0] != 0;
	}
	if (!cf_der_expect(&in, 0x04, &t, &v) || in.p != in.end) {
		*bad = true;
		return false;
	}
	x->value = (cf_der){v.p, (size_t)(v.end - v.p)};
	return true;
}

typedef struct req_view {
	cf_der subject, spki, bits;
	cf_derreader exts; /* the requested extensions' SEQUENCE contents (empty when none) */
} req_view;

static cf_code req_bad(cf_err *e, const char *what)
{
	return cf_err_set(e, CF_E_INPUT, "CSR", "%s", what);
}

/* Walks CertificationRequest { CertificationRequestInfo { version, subject, subjectPKInfo,
 * attributes [0] }, ... } for the pieces a certificate takes. */
static cf_code req_read(const cf_csr *csr, req_view *rv, cf_err *e)
{
	rv->exts = (cf_derreader){NULL, NULL};
	cf_derreader r = {csr->der, csr->der + csr->der_len}, req, info, v, attrs, attr, set;
	cf_der t, oid;
	if (!cf_der_expect(&r, 0x30, &t, &req) || !cf_der_expect(&req, 0x30, &t, &info) ||
	    !cf_der_expect(&info, 0x02, &t, &v) || !cf_der_expect(&info, 0x30, &rv->subject, &v) ||
	    !cf_der_expect(&info, 0x30, &rv->spki, &v) || !spki_bits(rv->spki, &rv->bits))
		return req_bad(e, "the request is not in DER");
	bool found = false;
	if (cf_der_expect(&info, 0xa0, &t, &attrs)) {
		while (attrs.p < attrs.end) {
			if (!cf_der_expect(&attrs, 0x30, &t, &attr) || !cf_der_expect(&attr, 0x06, &t, &v))
				return req_bad(e, "the request's attributes are not in DER");
			oid = (cf_der){v.p, (size_t)(v.end - v.p)};
			if (!oid_is(oid, OID(oid_ext_req)) && !oid_is(oid, OID(oid_ms_ext_req)))
				continue;
			if (found)
				return req_bad(e, "the request has two extension requests");
			found = true;
			if (!cf_der_expect(&attr, 0x31, &t, &set) || !cf_der_expect(&set, 0x30, &t, &rv->exts) ||
			    set.p != set.end || attr.p != attr.end)
				return req_bad(e, "the request's extensions are not in DER");
		}
	}
	if (info.p != info.end)
		return req_bad(e, "the request is not in DER");
	return CF_OK;
}

/* What a certificate or CRL takes from its issuer: the subject Name's DER and the key
 * identifier (borrowed from the issuer, or owned by this struct). */
typedef struct issuer_view {
	const uint8_t *name;
	size_t name_len;
	unsigned char *name_owned; /* OPENSSL_free */
	const uint8_t *kid;
	size_t kid_len;
	uint8_t kid_buf[KID_LEN];
} issuer_view;

/* The keyIdentifier of a subjectKeyIdentifier extension value; false when it does not decode. */
static bool ski_value(cf_der value, cf_der *kid)
{
	cf_derreader r = {value.p, value.p + value.len}, v;
	cf_der t;
	if (!cf_der_expect(&r, 0x04, &t, &v) || r.p != r.end || v.p == v.end)
		return false;
	*kid = (cf_der){v.p, (size_t)(v.end - v.p)};
	return true;
}

static cf_code issuer_read(const cf_cert *c, issuer_view *iv, cf_err *e)
{
	cf_certder d;
	cf_der bits;
	if (cf_certder_split(c->der, c->der_len, &d) && spki_bits(d.key.spki, &bits)) {
		iv->name = d.subject.p;
		iv->name_len = d.subject.len;
		cf_derreader r = {NULL, NULL}, in;
		cf_der t, kid;
		ext_view x;
		bool bad = false;
		if (d.exts.len > 0) {
			r = (cf_derreader){d.exts.p, d.exts.p + d.exts.len};
			if (!cf_der_expect(&r, 0x30, &t, &in))
				return cf_err_set(e, CF_E_INPUT, "issuer",
						  "the certificate's extensions do not decode");
			r = in;
		}
		while (next_ext(&r, &x, &bad)) {
			if (oid_is(x.oid, OID(oid_ski)) && ski_value(x.value, &kid)) {
				iv->kid = kid.p;
				iv->kid_len = kid.len;
				return CF_OK;
			}
		}
		if (bad)
			return cf_err_set(e, CF_E_INPUT, "issuer", "the certificate's extensions do not decode");
		iv->kid = iv->kid_buf;
		iv->kid_len = KID_LEN;
		return key_id(bits, iv->kid_buf, e);
	}
	/* outside the walker's subset: OpenSSL's decoded form (cached in c) */
	X509 *x = cf_cert_x(c);
	if (x == NULL)
		return cf_err_set(e, CF_E_INPUT, "issuer", "the certificate does not decode");
	int n = i2d_X509_NAME(X509_get_subject_name(x), &iv->name_owned);
	if (n <= 0)
		return cf_ossl_err(e, CF_E_INTERNAL, "issuer", "cannot encode the subject");
	iv->name = iv->name_owned;
	iv->name_len = (size_t)n;
	const ASN1_OCTET_STRING *ski = X509_get0_subject_key_id(x);
	if (ski != NULL && ASN1_STRING_length(ski) > 0) {
		iv->kid = ASN1_STRING_get0_data(ski);
		iv->kid_len = (size_t)ASN1_STRING_length(ski);
		return CF_OK;
	}
	ERR_clear_error();
	const ASN1_BIT_STRING *pk = X509_get0_pubkey_bitstr(x);
	if (pk == NULL)
		return cf_err_set(e, CF_E_INPUT, "issuer", "the certificate has no public key");
	/* key_id skips an unused-bits octet; the decoded BIT STRING has none in front */
	unsigned len = 0;
	if (EVP_Digest(ASN1_STRING_get0_data(pk), (size_t)ASN1_STRING_length(pk), iv->kid_buf, &len, sha1(), NULL) !=
		    1 ||
	    len != KID_LEN)
		return cf_ossl_err(e, CF_E_INTERNAL, "key identifier", "cannot hash the public key");
	iv->kid = iv->kid_buf;
	iv->kid_len = KID_LEN;
	return CF_OK;
}

/* ---- checks of the caller's input ------------------------------------------------------------ */

/* INTEGER contents of 1 to 20 octets in minimal form (RFC 5280 4.1.2.2, 5.2.3); positive and
 * non-zero too when positive. */
static cf_code check_serial(const uint8_t *p, size_t n, bool positive, cf_err *e)
{
	if (p == NULL || n == 0 || n > 20)
		return cf_err_set(e, CF_E_INPUT, "serial", "must be 1 to 20 octets");
	if (n > 1 && ((p[0] == 0x00 && !(p[1] & 0x80)) || (p[0] == 0xff && (p[1] & 0x80))))
		return cf_err_set(e, CF_E_INPUT, "serial", "has a redundant leading octet");
	if (positive && ((p[0] & 0x80) || (n == 1 && p[0] == 0)))
		return cf_err_set(e, CF_E_INPUT, "serial", "must be positive");
	return CF_OK;
}

/* A URL for a GeneralName uniformResourceIdentifier: IA5, no spaces or control characters. */
static cf_code check_url(const char *url, const char *what, cf_err *e)
{
	for (const unsigned char *p = (const unsigned char *)url; *p; p++)
		if (*p <= 0x20 || *p >= 0x7f)
			return cf_err_set(e, CF_E_INPUT, what, "must be ASCII without spaces or control characters");
	return CF_OK;
}

static bool has(const char *s)
{
	return s != NULL && *s != '\0';
}

static cf_code check_spec(const cf_issue_spec *spec, cf_err *e)
{
	cf_code rc = check_serial(spec->serial, spec->serial_len, true, e);
	if (rc == CF_OK)
		rc = check_time(spec->not_before, "notBefore", e);
	if (rc == CF_OK)
		rc = check_time(spec->not_after, "notAfter", e);
	if (rc == CF_OK && spec->not_after < spec->not_before)
		rc = cf_err_set(e, CF_E_INPUT, "notAfter", "is before notBefore");
	if (rc == CF_OK && (spec->ku >> 9) != 0)
		rc = cf_err_set(e, CF_E_INPUT, "keyUsage", "unknown key usage bits");
	if (rc == CF_OK && (spec->eku >> 4) != 0)
		rc = cf_err_set(e, CF_E_INPUT, "extKeyUsage", "unknown extended key usage bits");
	if (rc == CF_OK && has(spec->crl_url))
		rc = check_url(spec->crl_url, "CRL URL", e);
	if (rc == CF_OK && has(spec->ocsp_url))
		rc = check_url(spec->ocsp_url, "OCSP URL", e);
	return rc;
}

/* ---- certificates ------------------------------------------------------------------------------ */

/* Whether a basicConstraints value says cA TRUE; false with *bad when it does not decode. */
static bool bc_is_ca(cf_der value, bool *bad)
{
	cf_derreader r = {value.p, value.p + value.len}, in, v;
	cf_der t;
	*bad = !cf_der_expect(&r, 0x30, &t, &in) || r.p != r.end;
	if (*bad || in.p == in.end || in.p[0] != 0x01)
		return false;
	*bad = !cf_der_expect(&in, 0x01, &t, &v) || v.end - v.p != 1;
	return !*bad && v.p[0] != 0;
}

static void put_bc(dw *w, bool ca, int pathlen)
{
	ext_at at = ext_open(w, OID(oid_bc), true);
	size_t seq = dw_open(w, 0x30);
	if (ca) {
		dw_put(w, (const uint8_t[]){0x01, 0x01, 0xff}, 3);
		if (pathlen >= 0)
			dw_uint(w, (uint64_t)pathlen);
	}
	dw_close(w, seq);
	ext_close(w, at);
}

/* keyUsage: a named-bit BIT STRING, trailing zero bits dropped (X.690 11.2.2). */
static void put_ku(dw *w, unsigned ku)
{
	uint8_t b[3] = {0, 0, 0};
	int top = 0;
	for (int i = 0; i < 9; i++)
		if (ku & (1u << i)) {
			b[1 + i / 8] |= (uint8_t)(0x80 >> (i % 8));
			top = i;
		}
	b[0] = (uint8_t)(7 - top % 8);
	ext_at at = ext_open(w, OID(oid_ku), true);
	dw_tlv(w, 0x03, b, (size_t)(2 + top / 8));
	ext_close(w, at);
}

static void put_eku(dw *w, unsigned eku)
{
	ext_at at = ext_open(w, OID(oid_eku), false);
	size_t seq = dw_open(w, 0x30);
	for (unsigned i = 0; i < 4; i++)
		if (eku & (1u << i))
			dw_tlv(w, 0x06, oid_kp[i], sizeof(oid_kp[i]));
	dw_close(w, seq);
	ext_close(w, at);
}

static void put_aki(dw *w, const uint8_t *kid, size_t kid_len)
{
	ext_at at = ext_open(w, OID(oid_aki), false);
	size_t seq = dw_open(w, 0x30);
	dw_tlv(w, 0x80, kid, kid_len); /* [0] IMPLICIT keyIdentifier */
	dw_close(w, seq);
	ext_close(w, at);
}

/* subjectKeyIdentifier, authorityKeyIdentifier, cRLDistributionPoints, authorityInfoAccess: what
 * certfleet writes in both modes. */
static void put_ids(dw *w, const cf_issue_spec *spec, const uint8_t ski[static KID_LEN], const issuer_view *iv)
{
	ext_at at = ext_open(w, OID(oid_ski), false);
	dw_tlv(w, 0x04, ski, KID_LEN);
	ext_close(w, at);
	put_aki(w, iv->kid, iv->kid_len);
	if (has(spec->crl_url)) {
		at = ext_open(w, OID(oid_cdp), false);
		size_t dps = dw_open(w, 0x30), dp = dw_open(w, 0x30), dpn = dw_open(w, 0xa0), full = dw_open(w, 0xa0);
		dw_tlv(w, 0x86, spec->crl_url, strlen(spec->crl_url));
		dw_close(w, full);
		dw_close(w, dpn);
		dw_close(w, dp);
		dw_close(w, dps);
		ext_close(w, at);
	}
	if (has(spec->ocsp_url)) {
		at = ext_open(w, OID(oid_aia), false);
		size_t ads = dw_open(w, 0x30), ad = dw_open(w, 0x30);
		dw_tlv(w, 0x06, OID(oid_ad_ocsp));
		dw_tlv(w, 0x86, spec->ocsp_url, strlen(spec->ocsp_url));
		dw_close(w, ad);
		dw_close(w, ads);
		ext_close(w, at);
	}
}

/* Whether an extension of the request is one certfleet writes itself in copy mode. */
static bool written_here(cf_der oid)
{
	return oid_is(oid, OID(oid_bc)) || oid_is(oid, OID(oid_ski)) || oid_is(oid, OID(oid_aki)) ||
	       oid_is(oid, OID(oid_cdp)) || oid_is(oid, OID(oid_aia));
}

/* True when an extension before `upto` in the list has the same OID. */
static bool seen_before(cf_derreader list, const uint8_t *upto, cf_der oid)
{
	ext_view x;
	bool bad;
	while (list.p < upto && next_ext(&list, &x, &bad))
		if (x.oid.len == oid.len && memcmp(x.oid.p, oid.p, oid.len) == 0)
			return true;
	return false;
}

/* The extensions taken from the request: all but those written here (copy), or its
 * subjectAltName. Refuses a request that asks for CA:TRUE in copy mode, a repeated extension, and
 * extensions that do not decode. */
static cf_code put_requested(dw *w, const req_view *rv, bool copy, cf_err *e)
{
	cf_derreader r = rv->exts;
	ext_view x;
	bool bad = false, san = false;
	while (next_ext(&r, &x, &bad)) {
		if (copy && oid_is(x.oid, OID(oid_bc))) {
			bool ca = bc_is_ca(x.value, &bad);
			if (bad)
				return req_bad(e, "the request's basicConstraints does not decode");
			if (ca)
				return req_bad(e, "the request asks for CA:TRUE");
		}
		bool take = copy ? !written_here(x.oid) : oid_is(x.oid, OID(oid_san));
		if (!take)
			continue;
		if (copy ? seen_before(rv->exts, x.tlv.p, x.oid) : san)
			return req_bad(e, "the request repeats an extension");
		san = true;
		/* written anew so that critical is DER (FALSE left out, TRUE as 0xff) as OpenSSL would;
		 * the value is the request's, byte for byte */
		ext_at at = ext_open(w, x.oid.p, x.oid.len, x.critical);
		dw_put(w, x.value.p, x.value.len);
		ext_close(w, at);
	}
	return bad ? req_bad(e, "the request's extensions are not in DER") : CF_OK;
}

cf_code cf_issue_cert(const cf_csr *csr, const cf_issue_spec *spec, const cf_cert *issuer, const cf_signer *s,
		      cf_cert **out, cf_err *e)
{
	req_view rv = {0};
	issuer_view iv = {0};
	dw w = {0};
	uint8_t ski[KID_LEN], *der = NULL;
	size_t der_len = 0, alg_len = 0;
	const uint8_t *alg = cf_signer_alg(s, &alg_len);
	cf_code rc = check_spec(spec, e);
	if (rc != CF_OK)
		goto out;
	if ((rc = req_read(csr, &rv, e)) != CF_OK || (rc = key_id(rv.bits, ski, e)) != CF_OK)
		goto out;
	if (issuer != NULL) {
		if ((rc = issuer_read(issuer, &iv, e)) != CF_OK)
			goto out;
	} else {
		iv = (issuer_view){.name = rv.subject.p, .name_len = rv.subject.len, .kid = ski, .kid_len = KID_LEN};
	}
	size_t ext_len = rv.exts.p ? (size_t)(rv.exts.end - rv.exts.p) : 0;
	if (!dw_reserve(&w, 512 + iv.name_len + rv.subject.len + rv.spki.len + ext_len)) {
		rc = cf_err_set(e, CF_E_INTERNAL, "certificate", "out of memory");
		goto out;
	}

	size_t tbs = dw_open(&w, 0x30);
	dw_put(&w, (const uint8_t[]){0xa0, 0x03, 0x02, 0x01, 0x02}, 5); /* [0] version v3 */
	dw_tlv(&w, 0x02, spec->serial, spec->serial_len);
	dw_put(&w, alg, alg_len);
	dw_put(&w, iv.name, iv.name_len);
	size_t validity = dw_open(&w, 0x30);
	dw_time(&w, spec->not_before);
	dw_time(&w, spec->not_after);
	dw_close(&w, validity);
	dw_put(&w, rv.subject.p, rv.subject.len);
	dw_put(&w, rv.spki.p, rv.spki.len);
	size_t x3 = dw_open(&w, 0xa3), exts = dw_open(&w, 0x30);
	if (spec->copy) {
		put_bc(&w, false, -1);
		if ((rc = put_requested(&w, &rv, true, e)) != CF_OK)
			goto out;
	} else {
		put_bc(&w, spec->ca, spec->pathlen);
		if (spec->ku != 0)
			put_ku(&w, spec->ku);
		if (spec->eku != 0)
			put_eku(&w, spec->eku);
		if ((rc = put_requested(&w, &rv, false, e)) != CF_OK)
			goto out;
	}
	put_ids(&w, spec, ski, &iv);
	if (!spec->copy && spec->ocsp_nocheck) {
		ext_at at = ext_open(&w, OID(oid_ocsp_nocheck), false);
		dw_put(&w, (const uint8_t[]){0x05, 0x00}, 2);
		ext_close(&w, at);
	}
	dw_close(&w, exts);
	dw_close(&w, x3);
	dw_close(&w, tbs);
	if (w.oom) {
		rc = cf_err_set(e, CF_E_INTERNAL, "certificate", "out of memory");
		goto out;
	}

	if ((rc = cf_signer_wrap(s, w.p, w.len, &der, &der_len, e)) != CF_OK)
		goto out;
	cf_cert *c = cf_cert_from_der(der, der_len);
	if (c == NULL) {
		rc = cf_err_set(e, CF_E_INTERNAL, "certificate", "the certificate built does not parse");
		goto out;
	}
	*out = c;
	rc = CF_OK;
out:
	OPENSSL_free(iv.name_owned);
	free(w.p);
	free(der);
	return rc;
}

/* ---- CRLs ---------------------------------------------------------------------------------------- */

static cf_code check_crl_spec(const cf_crl_spec *spec, cf_err *e)
{
	cf_code rc = check_time(spec->this_update, "thisUpdate", e);
	if (rc == CF_OK)
		rc = check_time(spec->next_update, "nextUpdate", e);
	if (rc == CF_OK && spec->next_update < spec->this_update)
		rc = cf_err_set(e, CF_E_INPUT, "nextUpdate", "is before thisUpdate");
	if (rc == CF_OK && spec->n > 0 && spec->entries == NULL)
		rc = cf_err_set(e, CF_E_INPUT, "CRL", "no entries given");
	for (size_t i = 0; rc == CF_OK && i < spec->n; i++) {
		const cf_crl_entry *en = &spec->entries[i];
		rc = check_serial(en->serial, en->serial_len, false, e);
		if (rc == CF_OK)
			rc = check_time(en->revoked_at, "revocationDate", e);
		if (rc == CF_OK && en->reason != -1 && cf_issue_reason_name(en->reason) == NULL)
			rc = cf_err_set(e, CF_E_INPUT, "reason", "%d is not a CRLReason code", en->reason);
	}
	return rc;
}

cf_code cf_issue_crl(const cf_crl_spec *spec, const cf_cert *issuer, const cf_signer *s, uint8_t **der, size_t *len,
		     cf_err *e)
{
	issuer_view iv = {0};
	dw w = {0};
	size_t alg_len = 0;
	const uint8_t *alg = cf_signer_alg(s, &alg_len);
	cf_code rc = issuer ? check_crl_spec(spec, e) : cf_err_set(e, CF_E_INPUT, "issuer", "a CRL needs its issuer");
	if (rc != CF_OK || (rc = issuer_read(issuer, &iv, e)) != CF_OK)
		goto out;
	/* about 50 octets an entry with a 16-octet serial and a reason */
	if (spec->n > SIZE_MAX / 64 || !dw_reserve(&w, 512 + iv.name_len + spec->n * 64)) {
		rc = cf_err_set(e, CF_E_INTERNAL, "CRL", "out of memory");
		goto out;
	}

	size_t tbs = dw_open(&w, 0x30);
	dw_put(&w, (const uint8_t[]){0x02, 0x01, 0x01}, 3); /* version v2 */
	dw_put(&w, alg, alg_len);
	dw_put(&w, iv.name, iv.name_len);
	dw_time(&w, spec->this_update);
	dw_time(&w, spec->next_update);
	if (spec->n > 0) {
		size_t list = dw_open(&w, 0x30);
		for (size_t i = 0; i < spec->n && !w.oom; i++) {
			const cf_crl_entry *en = &spec->entries[i];
			size_t entry = dw_open(&w, 0x30);
			dw_tlv(&w, 0x02, en->serial, en->serial_len);
			dw_time(&w, en->revoked_at);
			if (en->reason >= 0) {
				size_t exts = dw_open(&w, 0x30);
				ext_at at = ext_open(&w, OID(oid_reason), false);
				dw_put(&w, (const uint8_t[]){0x0a, 0x01, (uint8_t)en->reason}, 3);
				ext_close(&w, at);
				dw_close(&w, exts);
			}
			dw_close(&w, entry);
		}
		dw_close(&w, list);
	}
	size_t x0 = dw_open(&w, 0xa0), exts = dw_open(&w, 0x30);
	put_aki(&w, iv.kid, iv.kid_len);
	ext_at at = ext_open(&w, OID(oid_crl_number), false);
	dw_uint(&w, spec->number);
	ext_close(&w, at);
	dw_close(&w, exts);
	dw_close(&w, x0);
	dw_close(&w, tbs);
	if (w.oom)
		rc = cf_err_set(e, CF_E_INTERNAL, "CRL", "out of memory");
	else
		rc = cf_signer_wrap(s, w.p, w.len, der, len, e);
out:
	OPENSSL_free(iv.name_owned);
	free(w.p);
	return rc;
}
