/* Certificate revocation lists (see crl.h). The DER walk uses the strict reader of certder.c;
 * OpenSSL is used for the PEM armour, the issuer's name as text and the signature check.
 *
 * Layout in memory, about 12 bytes an entry plus the serials themselves: the serials (leading
 * zero octets dropped) in one pool as length-prefixed runs; an array of entries sorted by
 * serial (shorter first, then bytewise: the order of positive integers), each with a 64-bit
 * prefix key (length and first 7 octets) for a cache-friendly search, the offset of its full
 * serial in the pool and its revocation time. */
#include "crypto/crl.h"

#include <openssl/pem.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto_int.h"

#define CRL_MAX (64u * 1024 * 1024) /* bytes of DER; the store takes < 16 MiB */

typedef struct entry {
	uint64_t key;  /* length << 56 | the first 7 octets of the serial, big-endian */
	uint32_t off;  /* of the serial's length octet in the pool */
	uint32_t when; /* revocation time, seconds since the epoch (until 2106) */
} entry;

struct cf_crl {
	uint8_t *tbs; /* the TBSCertList (the signed bytes) */
	size_t tbs_len;
	uint8_t *sig; /* the signature value */
	size_t sig_len;
	uint8_t *sig_alg; /* the signatureAlgorithm AlgorithmIdentifier TLV */
	size_t sig_alg_len;
	uint8_t *issuer; /* the issuer Name TLV */
	size_t issuer_len;
	int64_t this_update, next_update;
	char number[48];
	bool delta;
	entry *v;
	size_t n;
	uint8_t *pool;
};

/* ---- times ------------------------------------------------------------------------------------- */

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

/* A UTCTime (0x17, YYMMDDHHMMSSZ) or GeneralizedTime (0x18, YYYYMMDDHHMMSSZ) as DER requires. */
static bool der_time(uint8_t tag, const cf_derreader *v, int64_t *out)
{
	size_t len = (size_t)(v->end - v->p);
	const uint8_t *p = v->p;
	int y;
	if (tag == 0x17 && len == 13) {
		y = digits(p, 2);
		y += y < 50 ? 2000 : 1900;
		p += 2;
	} else if (tag == 0x18 && len == 15) {
		y = digits(p, 4);
		p += 4;
	} else {
		return false;
	}
	int mo = digits(p, 2), d = digits(p + 2, 2), h = digits(p + 4, 2), mi = digits(p + 6, 2), s = digits(p + 8, 2);
	if (y < 0 || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 || s > 59 ||
	    p[10] != 'Z')
		return false;
	*out = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
	return true;
}

static bool read_time(cf_derreader *r, int64_t *out)
{
	uint8_t tag = 0;
	cf_der tlv;
	cf_derreader v;
	return cf_der_next(r, &tag, &tlv, &v) && der_time(tag, &v, out);
}

/* ---- the walk ------------------------------------------------------------------------------------- */

typedef struct walk {
	const char *name;
	cf_crl *c;
	size_t cap, pool_len, pool_cap;
	cf_err *e;
} walk;

static cf_code bad(walk *w, const char *what)
{
	return cf_err_set(w->e, CF_E_INPUT, w->name, "not a CRL in DER: %s", what);
}

/* Appends one revoked serial (INTEGER contents) and its time. */
static bool add_entry(walk *w, const cf_derreader *serial, int64_t when)
{
	const uint8_t *p = serial->p;
	size_t len = (size_t)(serial->end - p);
	if (len == 0 || len > 21 || (p[0] & 0x80) != 0 || (len > 1 && p[0] == 0 && (p[1] & 0x80) == 0))
		return false; /* empty, too long, negative, or not minimal */
	if (len > 1 && p[0] == 0) {
		p++;
		len--;
	}
	cf_crl *c = w->c;
	if (c->n == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 1024;
		entry *v = realloc(c->v, cap * sizeof(*v));
		if (v == NULL)
			return false;
		c->v = v;
		w->cap = cap;
	}
	if (w->pool_len + len + 1 > w->pool_cap) {
		size_t cap = w->pool_cap ? w->pool_cap * 2 : 16384;
		uint8_t *pool = realloc(c->pool, cap);
		if (pool == NULL || cap > UINT32_MAX)
			return false;
		c->pool = pool;
		w->pool_cap = cap;
	}
	uint64_t key = (uint64_t)len << 56;
	for (size_t i = 0; i < 7 && i < len; i++)
		key |= (uint64_t)p[i] << (48 - 8 * i);
	c->v[c->n++] = (entry){.key = key, .off = (uint32_t)w->pool_len, .when = (uint32_t)(when > 0 ? when : 0)};
	c->pool[w->pool_len++] = (uint8_t)len;
	memcpy(c->pool + w->pool_len, p, len);
	w->pool_len += len;
	return true;
}

/* The extensions this code understands; a critical one not in the list makes the CRL unusable
 * (RFC 5280 §5.2). */
static const char *const crl_known[] = {
	"\x55\x1d\x14",			    /* cRLNumber */
	"\x55\x1d\x1b",			    /* deltaCRLIndicator */
	"\x55\x1d\x1c",			    /* issuingDistributionPoint */
	"\x55\x1d\x23",			    /* authorityKeyIdentifier */
	"\x55\x1d\x2e",			    /* freshestCRL */
	"\x2b\x06\x01\x05\x05\x07\x01\x01", /* authorityInfoAccess */
};

static bool oid_is(const cf_derreader *oid, const char *want)
{
	size_t n = strlen(want);
	return (size_t)(oid->end - oid->p) == n && memcmp(oid->p, want, n) == 0;
}

/* crlExtensions: CRL number and delta indicator; unknown critical ones refused. */
static cf_code crl_extensions(walk *w, cf_derreader *r)
{
	cf_der tlv;
	cf_derreader seq, ext, oid, crit, val;
	if (!cf_der_expect(r, 0x30, &tlv, &seq))
		return bad(w, "crlExtensions");
	while (seq.p < seq.end) {
		bool critical = false;
		if (!cf_der_expect(&seq, 0x30, &tlv, &ext) || !cf_der_expect(&ext, 0x06, &tlv, &oid))
			return bad(w, "an extension");
		if (cf_der_expect(&ext, 0x01, &tlv, &crit))
			critical = crit.end - crit.p == 1 && crit.p[0] == 0xff;
		if (!cf_der_expect(&ext, 0x04, &tlv, &val) || ext.p != ext.end)
			return bad(w, "an extension's value");
		bool known = false;
		for (size_t i = 0; i < sizeof(crl_known) / sizeof(crl_known[0]); i++)
			known = known || oid_is(&oid, crl_known[i]);
		if (critical && !known)
			return cf_err_set(w->e, CF_E_INPUT, w->name,
					  "the CRL has a critical extension certfleet does not know");
		if (oid_is(&oid, crl_known[0]) || oid_is(&oid, crl_known[1])) {
			cf_derreader num;
			if (!cf_der_expect(&val, 0x02, &tlv, &num) || num.end - num.p > 20)
				return bad(w, "the CRL number");
			if (oid_is(&oid, crl_known[1]))
				w->c->delta = true;
			else
				cf_hex(num.p, (size_t)(num.end - num.p), w->c->number);
		}
	}
	return CF_OK;
}

/* One revokedCertificates entry. */
static cf_code revoked_entry(walk *w, cf_derreader *list)
{
	cf_der tlv;
	cf_derreader ent, serial, exts;
	int64_t when = 0;
	if (!cf_der_expect(list, 0x30, &tlv, &ent) || !cf_der_expect(&ent, 0x02, &tlv, &serial) ||
	    !read_time(&ent, &when))
		return bad(w, "a revoked certificate entry");
	if (ent.p < ent.end) { /* crlEntryExtensions: reason, invalidity date, ...; an indirect CRL's
				  certificateIssuer would name another issuer: not supported */
		cf_derreader one, oid;
		if (!cf_der_expect(&ent, 0x30, &tlv, &exts) || ent.p != ent.end)
			return bad(w, "entry extensions");
		while (exts.p < exts.end) {
			if (!cf_der_expect(&exts, 0x30, &tlv, &one) || !cf_der_expect(&one, 0x06, &tlv, &oid))
				return bad(w, "an entry extension");
			if (oid_is(&oid, "\x55\x1d\x1d"))
				return cf_err_set(w->e, CF_E_INPUT, w->name,
						  "an indirect CRL (entries for other issuers) is not supported");
		}
	}
	if (!add_entry(w, &serial, when))
		return serial.p == serial.end || (serial.end - serial.p) > 21 || (serial.p[0] & 0x80)
			       ? bad(w, "a revoked serial number")
			       : cf_err_set(w->e, CF_E_INTERNAL, w->name, "out of memory");
	return CF_OK;
}

static uint8_t *dup_der(const cf_der *d, size_t *len)
{
	uint8_t *p = malloc(d->len ? d->len : 1);
	if (p != NULL)
		memcpy(p, d->p, d->len);
	*len = d->len;
	return p;
}

static cf_code walk_crl(walk *w, const uint8_t *der, size_t len)
{
	cf_derreader all = {der, der + len}, crl, tbs, sig, v;
	cf_der tlv, tbs_tlv, alg_tlv, sig_tlv, issuer_tlv, inner_alg;
	cf_crl *c = w->c;
	cf_code rc;
	if (!cf_der_expect(&all, 0x30, &tlv, &crl) || all.p != all.end)
		return bad(w, "the outer SEQUENCE");
	if (!cf_der_expect(&crl, 0x30, &tbs_tlv, &tbs) || !cf_der_expect(&crl, 0x30, &alg_tlv, &v) ||
	    !cf_der_expect(&crl, 0x03, &sig_tlv, &sig) || crl.p != crl.end || sig.end - sig.p < 2 || sig.p[0] != 0)
		return bad(w, "the signed parts");
	if (cf_der_expect(&tbs, 0x02, &tlv, &v) && (v.end - v.p != 1 || v.p[0] != 1))
		return bad(w, "the version");
	if (!cf_der_expect(&tbs, 0x30, &inner_alg, &v) || inner_alg.len != alg_tlv.len ||
	    memcmp(inner_alg.p, alg_tlv.p, alg_tlv.len) != 0)
		return bad(w, "the signature algorithm (the TBS and the outer one differ)");
	if (!cf_der_expect(&tbs, 0x30, &issuer_tlv, &v) || !read_time(&tbs, &c->this_update))
		return bad(w, "the issuer or thisUpdate");
	uint8_t t = tbs.p < tbs.end ? tbs.p[0] : 0;
	if ((t == 0x17 || t == 0x18) && !read_time(&tbs, &c->next_update))
		return bad(w, "nextUpdate");
	if (tbs.p < tbs.end && tbs.p[0] == 0x30) {
		cf_derreader list;
		if (!cf_der_expect(&tbs, 0x30, &tlv, &list))
			return bad(w, "revokedCertificates");
		while (list.p < list.end)
			if ((rc = revoked_entry(w, &list)) != CF_OK)
				return rc;
	}
	if (tbs.p < tbs.end) {
		cf_derreader exts;
		if (!cf_der_expect(&tbs, 0xa0, &tlv, &exts) || tbs.p != tbs.end ||
		    (rc = crl_extensions(w, &exts)) != CF_OK || exts.p != exts.end)
			return w->e->code != CF_OK ? w->e->code : bad(w, "crlExtensions");
	}
	cf_der sigval = {sig.p + 1, (size_t)(sig.end - sig.p - 1)};
	if ((c->tbs = dup_der(&tbs_tlv, &c->tbs_len)) == NULL || (c->sig = dup_der(&sigval, &c->sig_len)) == NULL ||
	    (c->sig_alg = dup_der(&alg_tlv, &c->sig_alg_len)) == NULL ||
	    (c->issuer = dup_der(&issuer_tlv, &c->issuer_len)) == NULL)
		return cf_err_set(w->e, CF_E_INTERNAL, w->name, "out of memory");
	return CF_OK;
}

/* ---- sorting and searching ------------------------------------------------------------------------ */

static int serial_cmp(const uint8_t *pool, const entry *a, const entry *b)
{
	if (a->key != b->key)
		return a->key < b->key ? -1 : 1;
	const uint8_t *x = pool + a->off, *y = pool + b->off; /* same length: compare the rest */
	return memcmp(x + 1, y + 1, x[0]);
}

static const uint8_t *sort_pool; /* qsort has no context argument; parsing holds sort_lock */
static pthread_mutex_t sort_lock = PTHREAD_MUTEX_INITIALIZER;

static int qsort_cmp(const void *a, const void *b)
{
	return serial_cmp(sort_pool, a, b);
}

static void sort_entries(cf_crl *c)
{
	size_t i = 1;
	while (i < c->n && serial_cmp(c->pool, &c->v[i - 1], &c->v[i]) <= 0)
		i++;
	if (i >= c->n)
		return; /* CAs usually list them in order already */
	pthread_mutex_lock(&sort_lock);
	sort_pool = c->pool;
	qsort(c->v, c->n, sizeof(*c->v), qsort_cmp);
	pthread_mutex_unlock(&sort_lock);
}

cf_code cf_crl_parse(const char *name, const uint8_t *buf, size_t len, cf_crl **out, cf_err *e)
{
	unsigned char *pem_der = NULL;
	long pem_len = 0;
	const uint8_t *der = buf;
	if (len > 10 && memmem(buf, len < 4096 ? len : 4096, "-----BEGIN", 10) != NULL) {
		BIO *b = BIO_new_mem_buf(buf, (int)(len < INT32_MAX ? len : INT32_MAX));
		char *pname = NULL, *header = NULL;
		bool ok = b != NULL && PEM_bytes_read_bio(&pem_der, &pem_len, &pname, "X509 CRL", b, NULL, NULL) == 1;
		OPENSSL_free(pname);
		OPENSSL_free(header);
		BIO_free(b);
		if (!ok)
			return cf_ossl_err(e, CF_E_INPUT, name, "not a PEM CRL (-----BEGIN X509 CRL-----)");
		der = pem_der;
		len = (size_t)pem_len;
	}
	if (len > CRL_MAX) {
		OPENSSL_free(pem_der);
		return cf_err_set(e, CF_E_INPUT, name, "a CRL of more than %u MiB", CRL_MAX >> 20);
	}
	cf_crl *c = calloc(1, sizeof(*c));
	walk w = {.name = name, .c = c, .e = e};
	cf_code rc = c != NULL ? walk_crl(&w, der, len) : cf_err_set(e, CF_E_INTERNAL, name, "out of memory");
	OPENSSL_free(pem_der);
	if (rc != CF_OK) {
		cf_crl_free(c);
		return rc;
	}
	sort_entries(c);
	*out = c;
	return CF_OK;
}

void cf_crl_free(cf_crl *c)
{
	if (c == NULL)
		return;
	free(c->tbs);
	free(c->sig);
	free(c->sig_alg);
	free(c->issuer);
	free(c->v);
	free(c->pool);
	free(c);
}

bool cf_crl_revoked(const cf_crl *c, const uint8_t *serial, size_t len, int64_t *when)
{
	while (len > 1 && serial[0] == 0) /* the same integer, however it was written */
		serial++, len--;
	if (len == 0 || len > 21 || c->n == 0)
		return false;
	uint8_t probe_pool[22];
	probe_pool[0] = (uint8_t)len;
	memcpy(probe_pool + 1, serial, len);
	entry probe = {.key = (uint64_t)len << 56};
	for (size_t i = 0; i < 7 && i < len; i++)
		probe.key |= (uint64_t)serial[i] << (48 - 8 * i);
	size_t lo = 0, hi = c->n;
	while (lo < hi) { /* first entry with key >= the probe's */
		size_t mid = lo + (hi - lo) / 2;
		if (c->v[mid].key < probe.key)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < c->n && c->v[lo].key == probe.key; lo++) {
		const uint8_t *s = c->pool + c->v[lo].off;
		if (len <= 7 || memcmp(s + 1, probe_pool + 1, len) == 0) {
			if (when != NULL)
				*when = c->v[lo].when;
			return true;
		}
	}
	return false;
}

bool cf_crl_revokes(const cf_crl *c, const cf_cert *cert, int64_t *when)
{
	cf_certder d;
	size_t len = 0;
	const uint8_t *der = cf_cert_der(cert, &len);
	if (der != NULL && cf_certder_split(der, len, &d)) {
		cf_derreader r = {d.serial.p, d.serial.p + d.serial.len}, v;
		cf_der tlv;
		if (cf_der_expect(&r, 0x02, &tlv, &v))
			return cf_crl_revoked(c, v.p, (size_t)(v.end - v.p), when);
	}
	X509 *x = cf_cert_x(cert); /* outside the strict subset: OpenSSL's decode */
	const ASN1_INTEGER *sn = x != NULL ? X509_get0_serialNumber(x) : NULL;
	return sn != NULL && cf_crl_revoked(c, ASN1_STRING_get0_data(sn), (size_t)ASN1_STRING_length(sn), when);
}

/* ---- the signature and what the CRL says about itself ---------------------------------------------- */

/* The signature over the TBS bytes as they came, with the digest named by the algorithm's OID
 * (decoding X509_CRL_INFO would build the whole list in OpenSSL's objects): 1 good, 0 or -1
 * bad, -2 an algorithm with parameters this path does not read. */
static int simple_verify(const cf_crl *c, EVP_PKEY *pk)
{
	const unsigned char *ap = c->sig_alg;
	X509_ALGOR *alg = d2i_X509_ALGOR(NULL, &ap, (long)c->sig_alg_len);
	int nid = alg != NULL ? OBJ_obj2nid(alg->algorithm) : NID_undef, md_nid = NID_undef, pk_nid = NID_undef;
	X509_ALGOR_free(alg);
	if (!OBJ_find_sigid_algs(nid, &md_nid, &pk_nid))
		return -1;
	if (md_nid == NID_undef && pk_nid != NID_ED25519 && pk_nid != NID_ED448)
		return -2; /* the digest is in the parameters (RSASSA-PSS) */
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	const char *md = md_nid == NID_undef ? NULL : OBJ_nid2sn(md_nid);
	int good = -1;
	if (ctx != NULL && EVP_DigestVerifyInit_ex(ctx, NULL, md, NULL, NULL, pk, NULL) == 1)
		good = EVP_DigestVerify(ctx, c->sig, c->sig_len, c->tbs, c->tbs_len);
	EVP_MD_CTX_free(ctx);
	return good;
}

/* The same through OpenSSL's whole CRL object, for the algorithms simple_verify leaves. */
static int full_verify(const cf_crl *c, EVP_PKEY *pk)
{
	uint8_t *der = NULL;
	size_t len = 0;
	if (cf_crl_der(c, &der, &len, NULL) != CF_OK)
		return -1;
	const unsigned char *p = der;
	X509_CRL *crl = d2i_X509_CRL(NULL, &p, (long)len);
	int good = crl != NULL ? X509_CRL_verify(crl, pk) : -1;
	X509_CRL_free(crl);
	free(der);
	return good;
}

cf_code cf_crl_verify(const cf_crl *c, const cf_cert *issuer, cf_err *e)
{
	X509 *x = cf_cert_x(issuer);
	EVP_PKEY *pk = x != NULL ? X509_get0_pubkey(x) : NULL;
	if (pk == NULL)
		return cf_ossl_err(e, CF_E_INPUT, "issuer", "the issuer certificate has no usable public key");
	const X509_NAME *subj = X509_get_subject_name(x);
	const unsigned char *np = c->issuer;
	X509_NAME *crl_issuer = d2i_X509_NAME(NULL, &np, (long)c->issuer_len);
	bool same = crl_issuer != NULL && X509_NAME_cmp(subj, crl_issuer) == 0;
	X509_NAME_free(crl_issuer);
	if (!same)
		return cf_err_set(e, CF_E_INPUT, "CRL",
				  "issued by another CA than the certificate given as its issuer");
	/* RFC 5280 §4.2.1.3: a CA with a key usage extension signs CRLs only with cRLSign in it */
	if ((X509_get_extension_flags(x) & EXFLAG_KUSAGE) && !(X509_get_key_usage(x) & KU_CRL_SIGN))
		return cf_err_set(e, CF_E_INPUT, "CRL",
				  "the issuer's key usage does not allow signing CRLs (no cRLSign)");
	int good = simple_verify(c, pk);
	if (good == -2) /* RSA-PSS and other parameterised algorithms: OpenSSL's own decode and check */
		good = full_verify(c, pk);
	if (good != 1)
		return cf_ossl_err(e, CF_E_INPUT, "CRL", "the signature does not verify with the issuer's key");
	return CF_OK;
}

void cf_crl_info_get(const cf_crl *c, cf_crl_info *out)
{
	memset(out, 0, sizeof(*out));
	const unsigned char *np = c->issuer;
	X509_NAME *name = d2i_X509_NAME(NULL, &np, (long)c->issuer_len);
	char *s = name != NULL ? cf_name_str(name) : NULL;
	snprintf(out->issuer, sizeof(out->issuer), "%s", s != NULL ? s : "");
	free(s);
	X509_NAME_free(name);
	cf_sha256_hex(c->issuer, c->issuer_len, out->issuer_hash);
	out->this_update = c->this_update;
	out->next_update = c->next_update;
	snprintf(out->number, sizeof(out->number), "%s", c->number);
	out->entries = c->n;
	out->delta = c->delta;
}

/* Writes a DER length; returns the number of octets. */
static size_t put_len(uint8_t *p, size_t len)
{
	if (len < 0x80) {
		p[0] = (uint8_t)len;
		return 1;
	}
	size_t n = 0;
	for (size_t v = len; v > 0; v >>= 8)
		n++;
	p[0] = (uint8_t)(0x80 | n);
	for (size_t i = 0; i < n; i++)
		p[1 + i] = (uint8_t)(len >> (8 * (n - 1 - i)));
	return 1 + n;
}

cf_code cf_crl_der(const cf_crl *c, uint8_t **der, size_t *len, cf_err *e)
{
	uint8_t hdr[8], bit_hdr[8];
	size_t bit_content = c->sig_len + 1;
	size_t bit_hl = 1 + put_len(bit_hdr + 1, bit_content);
	size_t content = c->tbs_len + c->sig_alg_len + bit_hl + bit_content;
	size_t hl = 1 + put_len(hdr + 1, content);
	uint8_t *p = malloc(hl + content);
	if (p == NULL)
		return cf_err_set(e, CF_E_INTERNAL, "CRL", "out of memory");
	hdr[0] = 0x30;
	bit_hdr[0] = 0x03;
	size_t at = 0;
	memcpy(p + at, hdr, hl), at += hl;
	memcpy(p + at, c->tbs, c->tbs_len), at += c->tbs_len;
	memcpy(p + at, c->sig_alg, c->sig_alg_len), at += c->sig_alg_len;
	memcpy(p + at, bit_hdr, bit_hl), at += bit_hl;
	p[at++] = 0; /* no unused bits */
	memcpy(p + at, c->sig, c->sig_len), at += c->sig_len;
	*der = p;
	*len = at;
	return CF_OK;
}

void cf_cert_issuer_hash(const cf_cert *cert, char out[65])
{
	cf_certder d;
	size_t len = 0;
	const uint8_t *der = cf_cert_der(cert, &len);
	out[0] = '\0';
	if (der != NULL && cf_certder_split(der, len, &d)) {
		cf_sha256_hex(d.issuer.p, d.issuer.len, out);
		return;
	}
	X509 *x = cf_cert_x(cert);
	unsigned char *name = NULL;
	int n = x != NULL ? i2d_X509_NAME(X509_get_issuer_name(x), &name) : -1;
	if (n > 0)
		cf_sha256_hex(name, (size_t)n, out);
	OPENSSL_free(name);
}
