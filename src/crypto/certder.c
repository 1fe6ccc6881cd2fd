/* A strict DER walker that splits an X.509 certificate, or a PKCS#10 request, into the pieces
 * its facts come from, without OpenSSL's full decode (which decodes the public key through the provider machinery,
 * ≈ 140 µs per certificate). It parses outside input: every length is checked against its
 * container, and it never touches keys.
 *
 * It recognises a subset on purpose: certificates in strict DER (one-byte tags, minimal
 * definite lengths, minimal INTEGERs, valid OIDs) whose names use the common string types, whose
 * algorithm parameters are absent, NULL, an OID or a SEQUENCE, and whose signature has no unused
 * bits. For those, OpenSSL's decoder accepts the certificate and re-encodes it byte for byte
 * (the TBSCertificate verbatim, the rest canonically), so keeping the input bytes is the same as
 * keeping i2d_X509(d2i_X509(input)). Anything else is left to d2i_X509 (cf_certder_split returns
 * false), which keeps every answer the same as OpenSSL's for inputs outside the subset.
 * Requests are held to the same subset, with attributes whose values are strings, OCTET STRINGs,
 * SEQUENCEs or SETs (d2i_X509_REQ keeps the CertificationRequestInfo's bytes as they are).
 * It calls nothing in OpenSSL; the NIDs it names are constants. */
#include <string.h>

#include "crypto/crypto_int.h"

typedef cf_derreader reader;

/* The strict-DER TLV reader (see crypto_int.h). */
bool cf_der_next(reader *r, uint8_t *tag, cf_der *tlv, reader *in)
{
	const uint8_t *p = r->p;
	if (r->end - p < 2)
		return false;
	uint8_t t = *p++;
	if ((t & 0x1f) == 0x1f) /* high tag number form */
		return false;
	size_t len = *p++;
	if (len & 0x80) {
		size_t nbytes = len & 0x7f;
		if (nbytes == 0 || nbytes > 4 || (size_t)(r->end - p) < nbytes || p[0] == 0)
			return false; /* indefinite, too long, truncated or padded */
		len = 0;
		for (size_t i = 0; i < nbytes; i++)
			len = (len << 8) | *p++;
		if (len < 0x80)
			return false; /* the short form was required */
	}
	if ((size_t)(r->end - p) < len)
		return false;
	*tag = t;
	tlv->p = r->p;
	tlv->len = (size_t)(p - r->p) + len;
	in->p = p;
	in->end = p + len;
	r->p = p + len;
	return true;
}

bool cf_der_expect(reader *r, uint8_t want, cf_der *tlv, reader *in)
{
	uint8_t tag = 0;
	reader save = *r;
	if (!cf_der_next(r, &tag, tlv, in) || tag != want) {
		*r = save;
		return false;
	}
	return true;
}

/* INTEGER contents as c2i_ASN1_INTEGER accepts them: not empty, no redundant leading octet. */
static bool integer_ok(const reader *v)
{
	size_t n = cf_der_left(v);
	const uint8_t *p = v->p;
	if (n == 0)
		return false;
	if (n > 1 && ((p[0] == 0x00 && !(p[1] & 0x80)) || (p[0] == 0xff && (p[1] & 0x80))))
		return false;
	return true;
}

/* OBJECT IDENTIFIER contents as c2i_ASN1_OBJECT accepts them. */
static bool oid_ok(const reader *v)
{
	size_t n = cf_der_left(v);
	const uint8_t *p = v->p;
	if (n == 0 || (p[n - 1] & 0x80))
		return false;
	for (size_t i = 0; i < n; i++)
		if (p[i] == 0x80 && (i == 0 || !(p[i - 1] & 0x80)))
			return false; /* a sub-identifier with a leading 0x80 */
	return true;
}

/* BIT STRING contents: the unused-bits octet is at most 7, and 0 when there are no bits. */
static bool bits_ok(const reader *v)
{
	size_t n = cf_der_left(v);
	return n >= 1 && v->p[0] <= 7 && (n > 1 || v->p[0] == 0);
}

/* UTF-8 as RFC 3629 defines it: no overlong forms, no surrogates, nothing above U+10FFFF. */
static bool utf8_ok(const reader *v)
{
	const uint8_t *p = v->p;
	size_t n = cf_der_left(v);
	for (size_t i = 0; i < n;) {
		uint8_t c = p[i];
		size_t more;
		uint32_t cp, min;
		if (c < 0x80) {
			i++;
			continue;
		}
		if ((c & 0xe0) == 0xc0) {
			more = 1, cp = c & 0x1fu, min = 0x80;
		} else if ((c & 0xf0) == 0xe0) {
			more = 2, cp = c & 0x0fu, min = 0x800;
		} else if ((c & 0xf8) == 0xf0) {
			more = 3, cp = c & 0x07u, min = 0x10000;
		} else {
			return false;
		}
		if (n - i - 1 < more)
			return false;
		for (size_t j = 1; j <= more; j++) {
			if ((p[i + j] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (p[i + j] & 0x3fu);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += more + 1;
	}
	return true;
}

/* AlgorithmIdentifier: an OID and at most one parameter that is NULL, an OID or a SEQUENCE.
 * *oid (the OID's TLV) and *params (the parameter's TLV, len 0 when absent) are set when
 * non-NULL. */
static bool algorithm(reader *r, cf_der *oid, cf_der *params)
{
	reader in, v;
	cf_der t, o, prm = {NULL, 0};
	uint8_t tag = 0;
	if (!cf_der_expect(r, 0x30, &t, &in) || !cf_der_expect(&in, 0x06, &o, &v) || !oid_ok(&v))
		return false;
	if (!cf_der_at_end(&in)) {
		if (!cf_der_next(&in, &tag, &prm, &v))
			return false;
		if (tag == 0x05 ? !cf_der_at_end(&v) : tag == 0x06 ? !oid_ok(&v) : tag != 0x30)
			return false;
		if (!cf_der_at_end(&in))
			return false;
	}
	if (oid != NULL)
		*oid = o;
	if (params != NULL)
		*params = prm;
	return true;
}

/* Name: RDNs (non-empty SETs) of AttributeTypeAndValue whose value is a string type that
 * X509_NAME's decoder (B_ASN1_PRINTABLE) and canonicaliser accept whatever its bytes:
 * PrintableString, TeletexString, IA5String, NumericString, and UTF8String when it is valid
 * UTF-8. (VisibleString is not among them: OpenSSL refuses it in a Name.) */
static bool name(reader *r, cf_der *tlv)
{
	reader in, set, atv, v;
	cf_der t;
	uint8_t tag = 0;
	if (!cf_der_expect(r, 0x30, tlv, &in))
		return false;
	while (!cf_der_at_end(&in)) {
		if (!cf_der_expect(&in, 0x31, &t, &set) || cf_der_at_end(&set))
			return false;
		while (!cf_der_at_end(&set)) {
			if (!cf_der_expect(&set, 0x30, &t, &atv) || !cf_der_expect(&atv, 0x06, &t, &v) || !oid_ok(&v) ||
			    !cf_der_next(&atv, &tag, &t, &v) || !cf_der_at_end(&atv))
				return false;
			switch (tag) {
			case 0x0c: /* UTF8String */
				if (!utf8_ok(&v))
					return false;
				break;
			case 0x12: /* NumericString */
			case 0x13: /* PrintableString */
			case 0x14: /* TeletexString */
			case 0x16: /* IA5String */ break;
			default: return false;
			}
		}
	}
	return true;
}

/* The value of n decimal digits at p; -1 when one is not a digit. */
static int digits(const uint8_t *p, int n)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	return v;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

bool cf_der_time(uint8_t tag, const uint8_t *p, size_t len, int64_t *out)
{
	static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int y;
	if (tag == 0x17 && len == 13) {
		if ((y = digits(p, 2)) < 0)
			return false;
		y += y < 50 ? 2000 : 1900;
		p += 2;
	} else if (tag == 0x18 && len == 15) {
		if ((y = digits(p, 4)) < 0)
			return false;
		p += 4;
	} else {
		return false;
	}
	int mo = digits(p, 2), d = digits(p + 2, 2), h = digits(p + 4, 2), mi = digits(p + 6, 2), s = digits(p + 8, 2);
	if (mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 || s > 59 || p[10] != 'Z')
		return false;
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (d > mdays[mo - 1] + (mo == 2 && leap))
		return false;
	*out = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
	return true;
}

/* Time: UTCTime or GeneralizedTime, strictly (cf_der_time), as ASN1_TIME_to_tm would read it. */
static bool time_field(reader *r, cf_der *tlv)
{
	reader v;
	int64_t t;
	if (!cf_der_expect(r, 0x17, tlv, &v) && !cf_der_expect(r, 0x18, tlv, &v))
		return false;
	return cf_der_time(tlv->p[0], v.p, cf_der_left(&v), &t);
}

/* Extensions: SEQUENCE OF Extension { OID, BOOLEAN OPTIONAL, OCTET STRING }. */
static bool extensions(reader *r, cf_der *tlv)
{
	reader in, ext, v;
	cf_der t;
	if (!cf_der_expect(r, 0x30, tlv, &in))
		return false;
	while (!cf_der_at_end(&in)) {
		if (!cf_der_expect(&in, 0x30, &t, &ext) || !cf_der_expect(&ext, 0x06, &t, &v) || !oid_ok(&v))
			return false;
		if (cf_der_peek(&ext) == 0x01 && (!cf_der_expect(&ext, 0x01, &t, &v) || cf_der_left(&v) != 1))
			return false;
		if (!cf_der_expect(&ext, 0x04, &t, &v) || !cf_der_at_end(&ext))
			return false;
	}
	return true;
}

/* The bit length of a positive minimal INTEGER's value. */
static int integer_bits(const reader *v)
{
	const uint8_t *p = v->p;
	size_t n = cf_der_left(v);
	while (n > 0 && *p == 0)
		p++, n--;
	if (n == 0 || n > 4096)
		return 0;
	int bits = (int)(n - 1) * 8;
	for (uint8_t top = *p; top != 0; top >>= 1)
		bits++;
	return bits;
}

/* RSAPublicKey { modulus, publicExponent } filling the BIT STRING after its unused-bits octet. */
static void rsa_shape(const cf_der *bits, cf_spkider *k)
{
	reader r = {bits->p + 1, bits->p + bits->len}, seq, n, e;
	cf_der t;
	if (bits->p[0] != 0 || !cf_der_expect(&r, 0x30, &t, &seq) || !cf_der_at_end(&r) ||
	    !cf_der_expect(&seq, 0x02, &t, &n) || !cf_der_expect(&seq, 0x02, &t, &e) || !cf_der_at_end(&seq) ||
	    !integer_ok(&n) || !integer_ok(&e) || (n.p[0] & 0x80) || (e.p[0] & 0x80))
		return;
	int nbits = integer_bits(&n);
	if (nbits < 512 || nbits > 16384 || integer_bits(&e) == 0)
		return;
	k->type = CF_KEY_RSA;
	k->bits = nbits;
	k->rsa_n = (cf_der){n.p, cf_der_left(&n)};
	k->rsa_e = (cf_der){e.p, cf_der_left(&e)};
}

/* An uncompressed point on a named NIST curve. */
static void ec_shape(const cf_der *params, const cf_der *bits, cf_spkider *k)
{
	static const struct {
		uint8_t oid[10];
		size_t oid_len;
		int nid, bits;
		size_t coord; /* octets of one coordinate */
	} curves[] = {
		{{0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07}, 10, NID_X9_62_prime256v1, 256, 32},
		{{0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22}, 7, NID_secp384r1, 384, 48},
		{{0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x23}, 7, NID_secp521r1, 521, 66},
	};
	for (size_t i = 0; i < sizeof(curves) / sizeof(curves[0]); i++) {
		if (params->len != curves[i].oid_len || memcmp(params->p, curves[i].oid, params->len) != 0)
			continue;
		if (bits->len != 2 + 2 * curves[i].coord || bits->p[0] != 0 || bits->p[1] != 0x04)
			return;
		k->type = CF_KEY_EC;
		k->bits = curves[i].bits;
		k->curve_nid = curves[i].nid;
		k->ec_point.p = bits->p + 1;
		k->ec_point.len = bits->len - 1;
		return;
	}
}

/* SubjectPublicKeyInfo { AlgorithmIdentifier, BIT STRING }, and the key's shape (cf_spkider). */
static bool spki(reader *r, cf_spkider *k)
{
	static const uint8_t rsa[] = {0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01};
	static const uint8_t ec[] = {0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01};
	reader in, v;
	cf_der t, alg, params, bits;
	memset(k, 0, sizeof(*k));
	if (!cf_der_expect(r, 0x30, &k->spki, &in) || !algorithm(&in, &alg, &params) ||
	    !cf_der_expect(&in, 0x03, &t, &v) || !bits_ok(&v) || !cf_der_at_end(&in))
		return false;
	bits.p = v.p;
	bits.len = cf_der_left(&v);
	k->type = CF_KEY_NONE;
	if (alg.len == sizeof(rsa) && memcmp(alg.p, rsa, sizeof(rsa)) == 0) {
		if (params.len == 2 && params.p[0] == 0x05)
			rsa_shape(&bits, k);
	} else if (alg.len == sizeof(ec) && memcmp(alg.p, ec, sizeof(ec)) == 0) {
		ec_shape(&params, &bits, k);
	}
	return true;
}

static bool tbs_certificate(reader *r, cf_certder *d)
{
	reader tbs, in, v;
	cf_der t;
	if (!cf_der_expect(r, 0x30, &d->tbs, &tbs))
		return false;
	if (cf_der_peek(&tbs) == 0xa0) { /* version [0] EXPLICIT: v1, v2 or v3 */
		if (!cf_der_expect(&tbs, 0xa0, &t, &in) || !cf_der_expect(&in, 0x02, &t, &v) || !cf_der_at_end(&in) ||
		    cf_der_left(&v) != 1 || v.p[0] > 2)
			return false;
	}
	if (!cf_der_expect(&tbs, 0x02, &d->serial, &v) || !integer_ok(&v) || !algorithm(&tbs, &d->tbs_alg, NULL) ||
	    !name(&tbs, &d->issuer))
		return false;
	if (!cf_der_expect(&tbs, 0x30, &t, &in) || !time_field(&in, &d->not_before) ||
	    !time_field(&in, &d->not_after) || !cf_der_at_end(&in))
		return false;
	if (!name(&tbs, &d->subject) || !spki(&tbs, &d->key))
		return false;
	if (cf_der_peek(&tbs) == 0x81 && (!cf_der_expect(&tbs, 0x81, &t, &v) || !bits_ok(&v)))
		return false;
	if (cf_der_peek(&tbs) == 0x82 && (!cf_der_expect(&tbs, 0x82, &t, &v) || !bits_ok(&v)))
		return false;
	d->exts.p = NULL;
	d->exts.len = 0;
	if (cf_der_peek(&tbs) == 0xa3 &&
	    (!cf_der_expect(&tbs, 0xa3, &t, &in) || !extensions(&in, &d->exts) || !cf_der_at_end(&in)))
		return false;
	return cf_der_at_end(&tbs);
}

bool cf_certder_split(const uint8_t *buf, size_t len, cf_certder *out)
{
	reader r = {buf, buf + len}, cert, v;
	cf_der whole, t;
	cf_certder d;
	memset(&d, 0, sizeof(d));
	if (buf == NULL || !cf_der_expect(&r, 0x30, &whole, &cert) || !tbs_certificate(&cert, &d) ||
	    !algorithm(&cert, &d.sig_alg, NULL) || !cf_der_expect(&cert, 0x03, &t, &v) || cf_der_left(&v) < 1 ||
	    v.p[0] != 0 || !cf_der_at_end(&cert))
		return false;
	d.signature.p = v.p + 1;
	d.signature.len = cf_der_left(&v) - 1;
	d.len = whole.len;
	*out = d;
	return true;
}

/* ---- certificate requests (PKCS#10, RFC 2986) ---- */

/* An attribute value that d2i's ANY keeps as it is, whatever its bytes: a SEQUENCE or SET (kept
 * whole), an OCTET STRING, or a string type (UTF8String when it is valid UTF-8). */
static bool attribute_value(uint8_t tag, const reader *v)
{
	switch (tag) {
	case 0x30: /* SEQUENCE */
	case 0x31: /* SET */
	case 0x04: /* OCTET STRING */
	case 0x13: /* PrintableString */
	case 0x14: /* TeletexString */
	case 0x16: /* IA5String */ return true;
	case 0x0c: /* UTF8String */ return utf8_ok(v);
	default: return false;
	}
}

/* attributes [0] IMPLICIT SET OF Attribute { type, values SET OF ANY } (absent when empty, as
 * OpenSSL allows), and *exts the Extensions of the extension request (PKCS#9 or Microsoft's), len
 * 0 when there is none. False for two extension requests, or one that is not exactly one
 * Extensions value: OpenSSL's X509_REQ_get_extensions then has the last word. */
static bool attributes(reader *r, cf_der *exts)
{
	static const uint8_t ext_req[] = {0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x0e};
	static const uint8_t ms_ext_req[] = {0x06, 0x0a, 0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x02, 0x01, 0x0e};
	reader in, attr, set, v;
	cf_der t, oid, value;
	uint8_t tag = 0;
	exts->p = NULL;
	exts->len = 0;
	if (cf_der_peek(r) != 0xa0)
		return true;
	if (!cf_der_expect(r, 0xa0, &t, &in))
		return false;
	while (!cf_der_at_end(&in)) {
		if (!cf_der_expect(&in, 0x30, &t, &attr) || !cf_der_expect(&attr, 0x06, &oid, &v) || !oid_ok(&v) ||
		    !cf_der_expect(&attr, 0x31, &t, &set) || !cf_der_at_end(&attr))
			return false;
		bool is_ext_req = (oid.len == sizeof(ext_req) && memcmp(oid.p, ext_req, oid.len) == 0) ||
				  (oid.len == sizeof(ms_ext_req) && memcmp(oid.p, ms_ext_req, oid.len) == 0);
		if (is_ext_req) {
			if (exts->p != NULL || !extensions(&set, exts) || !cf_der_at_end(&set))
				return false;
			continue;
		}
		while (!cf_der_at_end(&set))
			if (!cf_der_next(&set, &tag, &value, &v) || !attribute_value(tag, &v))
				return false;
	}
	return true;
}

/* CertificationRequestInfo { version INTEGER (v1: 0), subject, subjectPKInfo, attributes }. */
static bool request_info(reader *r, cf_csrder *d)
{
	reader info, v;
	cf_der t;
	if (!cf_der_expect(r, 0x30, &d->info, &info) || !cf_der_expect(&info, 0x02, &t, &v) || cf_der_left(&v) != 1 ||
	    v.p[0] != 0)
		return false;
	return name(&info, &d->subject) && spki(&info, &d->key) && attributes(&info, &d->exts) && cf_der_at_end(&info);
}

bool cf_csrder_split(const uint8_t *buf, size_t len, cf_csrder *out)
{
	reader r = {buf, buf + len}, req, v;
	cf_der whole, t;
	cf_csrder d;
	memset(&d, 0, sizeof(d));
	if (buf == NULL || !cf_der_expect(&r, 0x30, &whole, &req) || !request_info(&req, &d) ||
	    !algorithm(&req, &d.sig_alg, NULL) || !cf_der_expect(&req, 0x03, &t, &v) || cf_der_left(&v) < 1 ||
	    v.p[0] != 0 || !cf_der_at_end(&req))
		return false;
	d.signature.p = v.p + 1;
	d.signature.len = cf_der_left(&v) - 1;
	d.len = whole.len;
	*out = d;
	return true;
}
