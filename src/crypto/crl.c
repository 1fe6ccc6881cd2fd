/* Certificate revocation lists (see crl.h). The DER walk uses the strict reader of certder.c;
 * OpenSSL is used for the PEM armour, the issuer's name as text and the signature check.
 *
 * Layout in memory, 16 bytes an entry plus what a key does not hold: the entries sorted by serial
 * (shorter first, then bytewise: the order of positive integers), each a 64-bit key (length and
 * the first 7 octets of the serial, leading zero octets dropped), an offset into a pool and the
 * revocation time; the pool holds the octets after the seventh and, for a time outside 32 bits,
 * the time itself. A directory of about one bucket per four entries over the key range leads a
 * lookup to its few candidates in one step. The signed bytes are not kept: their digest is taken
 * during the walk (only algorithms without a separate digest, EdDSA and RSA-PSS, keep them).
 * The index (end of the file) writes this form out as it is and reads it back with checks. */
#include "crypto/crl.h"

#include <openssl/pem.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto_int.h"

#define CRL_MAX (64u * 1024 * 1024) /* bytes of DER; the store takes < 16 MiB */
#define WHEN_IN_POOL UINT32_MAX	    /* the time did not fit 32 bits: 8 octets in the pool */
#define PER_BUCKET 4		    /* entries per directory bucket, on average */

typedef struct entry {
	uint64_t key;  /* length << 56 | the first 7 octets of the serial, big-endian */
	uint32_t off;  /* of the serial's octets after the seventh (then the time, if there) in the pool */
	uint32_t when; /* revocation time, seconds since the epoch, or WHEN_IN_POOL */
} entry;

struct cf_crl {
	uint8_t digest[EVP_MAX_MD_SIZE]; /* of the TBSCertList, with the signature's digest */
	unsigned digest_len;
	char md[24];  /* that digest's name; "" when the algorithm has none of its own */
	uint8_t *tbs; /* the TBSCertList itself, kept only when md is "" */
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
	size_t n, cap;
	uint8_t *pool;
	size_t pool_len, pool_cap;
	uint32_t *dir; /* dir[b] = the first entry of bucket b; n_buckets + 1 of them */
	size_t n_buckets;
	char line[512]; /* the issuer's name as one line ("" when OpenSSL cannot read it) */
	char hash[65];	/* SHA-256 (hex) of the issuer Name's DER */
};

/* ---- times ------------------------------------------------------------------------------------- */

static bool read_time(cf_derreader *r, int64_t *out)
{
	uint8_t tag = 0;
	cf_der tlv;
	cf_derreader v;
	return cf_der_next(r, &tag, &tlv, &v) && cf_der_time(tag, v.p, (size_t)(v.end - v.p), out);
}

/* ---- the walk ------------------------------------------------------------------------------------- */

typedef struct walk {
	const char *name;
	cf_crl *c;
	cf_err *e;
} walk;

static cf_code bad(walk *w, const char *what)
{
	return cf_err_set(w->e, CF_E_INPUT, w->name, "not a CRL in DER: %s", what);
}

/* The serial's content octets without a leading zero octet, or false when it is no positive
 * minimal INTEGER of at most 20 octets (RFC 5280 allows 20; one more for the sign octet). */
static bool serial_octets(const cf_derreader *serial, const uint8_t **p, size_t *len)
{
	*p = serial->p;
	*len = (size_t)(serial->end - serial->p);
	if (*len == 0 || *len > 21 || ((*p)[0] & 0x80) != 0 || (*len > 1 && (*p)[0] == 0 && ((*p)[1] & 0x80) == 0))
		return false;
	if (*len > 1 && (*p)[0] == 0) {
		(*p)++;
		(*len)--;
	}
	return true;
}

static uint64_t key_of(const uint8_t *p, size_t len)
{
	uint64_t key = (uint64_t)len << 56;
	for (size_t i = 0; i < 7 && i < len; i++)
		key |= (uint64_t)p[i] << (48 - 8 * i);
	return key;
}

/* Appends one revoked serial and its time (room was made by the counting pass). */
static bool add_entry(walk *w, const cf_derreader *serial, int64_t when)
{
	const uint8_t *p;
	size_t len;
	cf_crl *c = w->c;
	if (!serial_octets(serial, &p, &len))
		return false;
	size_t rest = len > 7 ? len - 7 : 0, extra = when < 0 || when >= (int64_t)WHEN_IN_POOL ? 8 : 0;
	if (c->n == c->cap || c->pool_len + rest + extra > c->pool_cap)
		return false;
	entry *en = &c->v[c->n++];
	*en = (entry){
		.key = key_of(p, len), .off = (uint32_t)c->pool_len, .when = extra ? WHEN_IN_POOL : (uint32_t)when};
	memcpy(c->pool + c->pool_len, p + 7 * (rest > 0), rest);
	c->pool_len += rest;
	if (extra) {
		for (int i = 0; i < 8; i++)
			c->pool[c->pool_len + (size_t)i] = (uint8_t)((uint64_t)when >> (56 - 8 * i));
		c->pool_len += 8;
	}
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
		if (critical && oid_is(&oid, crl_known[0])) /* RFC 5280 5.2.3: MUST be non-critical */
			return cf_err_set(w->e, CF_E_INPUT, w->name, "the CRL's cRLNumber extension is critical");
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
	if (!cf_der_expect(list, 0x30, &tlv, &ent) || !cf_der_expect(&ent, 0x02, &tlv, &serial))
		return bad(w, "a revoked certificate entry");
	if (!read_time(&ent, &when))
		return bad(w, "a revocationDate (bad time value)");
	if (ent.p < ent.end) { /* crlEntryExtensions: reason, invalidity date, ...; an indirect CRL's
				  certificateIssuer would name another issuer: not supported */
		cf_derreader one, oid, crit;
		if (!cf_der_expect(&ent, 0x30, &tlv, &exts) || ent.p != ent.end)
			return bad(w, "entry extensions");
		while (exts.p < exts.end) {
			if (!cf_der_expect(&exts, 0x30, &tlv, &one) || !cf_der_expect(&one, 0x06, &tlv, &oid))
				return bad(w, "an entry extension");
			if (oid_is(&oid, "\x55\x1d\x1d"))
				return cf_err_set(w->e, CF_E_INPUT, w->name,
						  "an indirect CRL (entries for other issuers) is not supported");
			bool critical =
				cf_der_expect(&one, 0x01, &tlv, &crit) && crit.end - crit.p == 1 && crit.p[0] == 0xff;
			bool known = oid_is(&oid, "\x55\x1d\x15") || oid_is(&oid, "\x55\x1d\x17") || /* reason, hold */
				     oid_is(&oid, "\x55\x1d\x18"); /* invalidity date */
			if (critical && !known)			   /* RFC 5280 5.3: such a CRL must not be used */
				return cf_err_set(w->e, CF_E_INPUT, w->name,
						  "an entry has a critical extension certfleet does not know");
		}
	}
	if (!add_entry(w, &serial, when))
		return bad(w, "a revoked serial number");
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

/* Counts the entries and the pool octets they need (a first, cheap pass), so the arrays are
 * allocated once at their size: no doubling, no slack. */
static cf_code make_room(walk *w, cf_derreader list)
{
	size_t n = 0, pool = 0;
	cf_der tlv;
	cf_derreader ent, serial;
	while (list.p < list.end) {
		const uint8_t *p;
		size_t len;
		if (!cf_der_expect(&list, 0x30, &tlv, &ent) || !cf_der_expect(&ent, 0x02, &tlv, &serial) ||
		    !serial_octets(&serial, &p, &len))
			return bad(w, "a revoked certificate entry");
		n++;
		pool += (len > 7 ? len - 7 : 0) + 8; /* room for a time that does not fit 32 bits */
	}
	cf_crl *c = w->c;
	if (n > UINT32_MAX || pool > UINT32_MAX)
		return bad(w, "too many entries");
	c->v = malloc((n ? n : 1) * sizeof(*c->v));
	c->pool = malloc(pool ? pool : 1);
	if (c->v == NULL || c->pool == NULL)
		return cf_err_set(w->e, CF_E_INTERNAL, w->name, "out of memory");
	c->cap = n;
	c->pool_cap = pool;
	return CF_OK;
}

/* The digest of the signed bytes with the signature's own digest; the bytes themselves are kept
 * only for algorithms without one (EdDSA signs the message; RSA-PSS names it in parameters). */
static cf_code digest_tbs(walk *w, const cf_der *tbs)
{
	cf_crl *c = w->c;
	const unsigned char *ap = c->sig_alg;
	X509_ALGOR *alg = d2i_X509_ALGOR(NULL, &ap, (long)c->sig_alg_len);
	int nid = alg != NULL ? OBJ_obj2nid(alg->algorithm) : NID_undef, md_nid = NID_undef, pk_nid = NID_undef;
	X509_ALGOR_free(alg);
	if (OBJ_find_sigid_algs(nid, &md_nid, &pk_nid) && md_nid != NID_undef) {
		EVP_MD *md = EVP_MD_fetch(NULL, OBJ_nid2sn(md_nid), NULL);
		bool ok = md != NULL && EVP_Digest(tbs->p, tbs->len, c->digest, &c->digest_len, md, NULL) == 1;
		if (ok)
			snprintf(c->md, sizeof(c->md), "%s", OBJ_nid2sn(md_nid));
		EVP_MD_free(md);
		if (ok)
			return CF_OK;
	}
	c->md[0] = '\0';
	return (c->tbs = dup_der(tbs, &c->tbs_len)) != NULL ? CF_OK
							    : cf_err_set(w->e, CF_E_INTERNAL, w->name, "out of memory");
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
	if (!cf_der_expect(&tbs, 0x30, &issuer_tlv, &v))
		return bad(w, "the issuer");
	if (!read_time(&tbs, &c->this_update))
		return bad(w, "thisUpdate (bad time value)");
	uint8_t t = tbs.p < tbs.end ? tbs.p[0] : 0;
	if ((t == 0x17 || t == 0x18) && !read_time(&tbs, &c->next_update))
		return bad(w, "nextUpdate (bad time value)");
	if (tbs.p < tbs.end && tbs.p[0] == 0x30) {
		cf_derreader list;
		if (!cf_der_expect(&tbs, 0x30, &tlv, &list))
			return bad(w, "revokedCertificates");
		if ((rc = make_room(w, list)) != CF_OK)
			return rc;
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
	if ((c->sig = dup_der(&sigval, &c->sig_len)) == NULL ||
	    (c->sig_alg = dup_der(&alg_tlv, &c->sig_alg_len)) == NULL ||
	    (c->issuer = dup_der(&issuer_tlv, &c->issuer_len)) == NULL)
		return cf_err_set(w->e, CF_E_INTERNAL, w->name, "out of memory");
	return digest_tbs(w, &tbs_tlv);
}

/* ---- sorting and searching ------------------------------------------------------------------------ */

static int serial_cmp(const uint8_t *pool, const entry *a, const entry *b)
{
	if (a->key != b->key)
		return a->key < b->key ? -1 : 1;
	size_t len = (size_t)(a->key >> 56); /* the same length: compare the octets after the seventh */
	return len > 7 ? memcmp(pool + a->off, pool + b->off, len - 7) : 0;
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

/* The bucket of key: its place in the key range, scaled to the number of buckets. */
static size_t bucket_of(const cf_crl *c, uint64_t key)
{
	uint64_t lo = c->v[0].key, span = c->v[c->n - 1].key - lo;
	return (size_t)(((unsigned __int128)(key - lo) * c->n_buckets) / ((unsigned __int128)span + 1));
}

/* The directory: dir[b] is the first entry whose key falls in bucket b or later. Bucket b starts
 * where bucket_of reaches b, at the offset ceil(b * (span + 1) / n_buckets) from the lowest key:
 * with q and r the quotient and remainder of (span + 1) / n_buckets that is b * q + ceil(b * r /
 * n_buckets), one 64-bit division a bucket instead of a 128-bit one an entry. */
static bool build_dir(cf_crl *c)
{
	if (c->n == 0)
		return true;
	c->n_buckets = c->n / PER_BUCKET + 1;
	if ((c->dir = malloc((c->n_buckets + 1) * sizeof(*c->dir))) == NULL)
		return false;
	uint64_t lo = c->v[0].key, nb = c->n_buckets;
	unsigned __int128 range = (unsigned __int128)(c->v[c->n - 1].key - lo) + 1, q = range / nb;
	uint64_t r = (uint64_t)(range % nb); /* b * r < nb * nb: fits 64 bits (nb <= 2^30) */
	size_t i = 0;
	for (uint64_t b = 0; b <= nb; b++) {
		unsigned __int128 start = b * q + (b * r + nb - 1) / nb;
		while (i < c->n && c->v[i].key - lo < start)
			i++;
		c->dir[b] = (uint32_t)i;
	}
	return true;
}

/* The issuer's name as one line and its hash, kept for cf_crl_info_get (and the index). */
static void describe_issuer(cf_crl *c)
{
	const unsigned char *np = c->issuer;
	X509_NAME *name = d2i_X509_NAME(NULL, &np, (long)c->issuer_len);
	char *s = name != NULL ? cf_name_str(name) : NULL;
	snprintf(c->line, sizeof(c->line), "%s", s != NULL ? s : "");
	free(s);
	X509_NAME_free(name);
	cf_sha256_hex(c->issuer, c->issuer_len, c->hash);
}

/* The DER inside a PEM CRL (*der NULL when buf is not PEM: then it is taken as DER). */
static cf_code pem_crl(const char *name, const uint8_t *buf, size_t len, unsigned char **der, long *der_len, cf_err *e)
{
	*der = NULL;
	if (len <= 10 || memmem(buf, len < 4096 ? len : 4096, "-----BEGIN", 10) == NULL)
		return CF_OK;
	BIO *b = BIO_new_mem_buf(buf, (int)(len < INT32_MAX ? len : INT32_MAX));
	char *pname = NULL;
	bool ok = b != NULL && PEM_bytes_read_bio(der, der_len, &pname, "X509 CRL", b, NULL, NULL) == 1;
	OPENSSL_free(pname);
	BIO_free(b);
	return ok ? CF_OK : cf_ossl_err(e, CF_E_INPUT, name, "not a PEM CRL (-----BEGIN X509 CRL-----)");
}

cf_code cf_crl_parse(const char *name, const uint8_t *buf, size_t len, cf_crl **out, cf_err *e)
{
	unsigned char *pem_der = NULL;
	long pem_len = 0;
	const uint8_t *der = buf;
	cf_code prc = pem_crl(name, buf, len, &pem_der, &pem_len, e);
	if (prc != CF_OK)
		return prc;
	if (pem_der != NULL) {
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
	if (!build_dir(c)) {
		cf_crl_free(c);
		return cf_err_set(e, CF_E_INTERNAL, name, "out of memory");
	}
	describe_issuer(c);
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
	free(c->dir);
	free(c);
}

/* The revocation time of entry en. */
static int64_t when_of(const cf_crl *c, const entry *en)
{
	if (en->when != WHEN_IN_POOL)
		return en->when;
	size_t len = (size_t)(en->key >> 56);
	const uint8_t *p = c->pool + en->off + (len > 7 ? len - 7 : 0);
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return (int64_t)v;
}

bool cf_crl_revoked(const cf_crl *c, const uint8_t *serial, size_t len, int64_t *when)
{
	while (len > 1 && serial[0] == 0) /* the same integer, however it was written */
		serial++, len--;
	if (len == 0 || len > 21 || c->n == 0)
		return false;
	uint64_t key = key_of(serial, len);
	if (key < c->v[0].key || key > c->v[c->n - 1].key)
		return false;
	size_t b = bucket_of(c, key), lo = c->dir[b], hi = c->dir[b + 1];
	while (lo < hi) { /* the first entry of the bucket with a key >= the probe's */
		size_t mid = lo + (hi - lo) / 2;
		if (c->v[mid].key < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < c->n && c->v[lo].key == key; lo++)
		if (len <= 7 || memcmp(c->pool + c->v[lo].off, serial + 7, len - 7) == 0) {
			if (when != NULL)
				*when = when_of(c, &c->v[lo]);
			return true;
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

/* The signature over the digest the walk took, with the key type the algorithm names (an ECDSA
 * signature under an RSA algorithm identifier does not count): 1 good, 0 or -1 bad, -2 an
 * algorithm whose check needs the signed bytes themselves. */
static int simple_verify(const cf_crl *c, EVP_PKEY *pk)
{
	const unsigned char *ap = c->sig_alg;
	X509_ALGOR *alg = d2i_X509_ALGOR(NULL, &ap, (long)c->sig_alg_len);
	int nid = alg != NULL ? OBJ_obj2nid(alg->algorithm) : NID_undef, md_nid = NID_undef, pk_nid = NID_undef;
	X509_ALGOR_free(alg);
	if (!OBJ_find_sigid_algs(nid, &md_nid, &pk_nid) || EVP_PKEY_get_base_id(pk) != pk_nid)
		return pk_nid == NID_rsassaPss ? -2 : -1;
	if (c->md[0] == '\0')
		return -2;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pk, NULL);
	EVP_MD *md = EVP_MD_fetch(NULL, c->md, NULL);
	int good = -1;
	if (ctx != NULL && md != NULL && EVP_PKEY_verify_init(ctx) == 1 && EVP_PKEY_CTX_set_signature_md(ctx, md) == 1)
		good = EVP_PKEY_verify(ctx, c->sig, c->sig_len, c->digest, c->digest_len);
	EVP_MD_free(md);
	EVP_PKEY_CTX_free(ctx);
	return good;
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

/* For the algorithms simple_verify leaves (EdDSA, RSA-PSS): the CRL put together again from the
 * kept signed bytes and checked by OpenSSL's own decode. */
static int full_verify(const cf_crl *c, EVP_PKEY *pk)
{
	uint8_t hdr[8], bit_hdr[8];
	if (c->tbs == NULL)
		return -1;
	size_t bit_content = c->sig_len + 1, bit_hl = 1 + put_len(bit_hdr + 1, bit_content);
	size_t content = c->tbs_len + c->sig_alg_len + bit_hl + bit_content, hl = 1 + put_len(hdr + 1, content);
	uint8_t *der = malloc(hl + content), *p = der;
	if (der == NULL)
		return -1;
	hdr[0] = 0x30;
	bit_hdr[0] = 0x03;
	memcpy(p, hdr, hl), p += hl;
	memcpy(p, c->tbs, c->tbs_len), p += c->tbs_len;
	memcpy(p, c->sig_alg, c->sig_alg_len), p += c->sig_alg_len;
	memcpy(p, bit_hdr, bit_hl), p += bit_hl;
	*p++ = 0; /* no unused bits */
	memcpy(p, c->sig, c->sig_len);
	const unsigned char *q = der;
	X509_CRL *crl = d2i_X509_CRL(NULL, &q, (long)(hl + content));
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
	snprintf(out->issuer, sizeof(out->issuer), "%s", c->line);
	snprintf(out->issuer_hash, sizeof(out->issuer_hash), "%s", c->hash);
	out->this_update = c->this_update;
	out->next_update = c->next_update;
	snprintf(out->number, sizeof(out->number), "%s", c->number);
	out->entries = c->n;
	out->delta = c->delta;
}

cf_code cf_crl_to_der(const char *name, const uint8_t *buf, size_t len, uint8_t **der, size_t *der_len, cf_err *e)
{
	unsigned char *pem_der = NULL;
	long pem_len = 0;
	if (pem_crl(name, buf, len, &pem_der, &pem_len, e) != CF_OK)
		return e != NULL ? e->code : CF_E_INPUT;
	const uint8_t *src = pem_der != NULL ? pem_der : buf;
	size_t n = pem_der != NULL ? (size_t)pem_len : len;
	*der = malloc(n ? n : 1);
	if (*der != NULL)
		memcpy(*der, src, n);
	*der_len = n;
	OPENSSL_free(pem_der);
	return *der != NULL ? CF_OK : cf_err_set(e, CF_E_INTERNAL, name, "out of memory");
}

/* SHA-256 (hex) of the certificate's issuer (or subject) Name DER. */
static void name_hash(const cf_cert *cert, bool subject, char out[65])
{
	cf_certder d;
	size_t len = 0;
	const uint8_t *der = cf_cert_der(cert, &len);
	out[0] = '\0';
	if (der != NULL && cf_certder_split(der, len, &d)) {
		const cf_der *name = subject ? &d.subject : &d.issuer;
		cf_sha256_hex(name->p, name->len, out);
		return;
	}
	X509 *x = cf_cert_x(cert);
	unsigned char *name = NULL;
	int n = x == NULL ? -1 : i2d_X509_NAME(subject ? X509_get_subject_name(x) : X509_get_issuer_name(x), &name);
	if (n > 0)
		cf_sha256_hex(name, (size_t)n, out);
	OPENSSL_free(name);
}

void cf_crl_cert_issuer_hash(const cf_cert *cert, char out[65])
{
	name_hash(cert, false, out);
}

void cf_crl_cert_subject_hash(const cf_cert *cert, char out[65])
{
	name_hash(cert, true, out);
}

/* ---- the index: the parsed form as one buffer, read back without the walk ---------------------------
 *
 * Little-endian throughout. A header of 104 octets: the magic "cfcrlidx", the version (u32), flags
 * (u32: bit 0 a delta CRL, the others zero), thisUpdate and nextUpdate (i64), the SHA-256 of the
 * issuer Name (32 octets), the number of entries and the pool's length (u32), then the length of
 * each section below (u32, in their order). Then the entries as in memory (key u64, off u32, when
 * u32), the pool, the sections, and a 64-bit checksum of everything before it. */

#define IDX_MAGIC "cfcrlidx"
#define IDX_VERSION 1u
#define IDX_HEAD 104u	/* octets before the entries */
#define IDX_ENTRY 16u	/* octets an entry */
#define IDX_SUM 8u	/* the checksum at the end */
#define IDX_DELTA 1u	/* flags: a delta CRL */
#define IDX_HASH 32u	/* offset of the issuer Name's SHA-256 */
#define IDX_LENGTHS 64u /* offset of the number of entries, then the pool's and the sections' lengths */

/* The byte strings after the pool, in their order, with the lengths a CRL can have. */
enum { S_LINE, S_ISSUER, S_NUMBER, S_MD, S_DIGEST, S_SIG, S_SIG_ALG, S_TBS, N_SECTIONS };
static const struct section {
	const char *what;
	size_t min, max;
} sections[N_SECTIONS] = {
	[S_LINE] = {"the issuer's name", 0, 511},	       /* fits cf_crl_info.issuer */
	[S_ISSUER] = {"the issuer's DER", 2, CRL_MAX},	       /* a Name TLV */
	[S_NUMBER] = {"the CRL number", 0, 40},		       /* hex of at most 20 octets */
	[S_MD] = {"the digest's name", 0, 23},		       /* fits cf_crl.md */
	[S_DIGEST] = {"the digest", 0, EVP_MAX_MD_SIZE},       /* of the TBSCertList, when md is named */
	[S_SIG] = {"the signature", 1, CRL_MAX},	       /* the BIT STRING's octets */
	[S_SIG_ALG] = {"the signature algorithm", 2, CRL_MAX}, /* an AlgorithmIdentifier TLV */
	[S_TBS] = {"the signed bytes", 0, CRL_MAX},	       /* only when md is "" */
};

static void put_u32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put_u64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get_u64(const uint8_t *p)
{
	return (uint64_t)get_u32(p) | (uint64_t)get_u32(p + 4) << 32;
}

#define P1 UINT64_C(0x9e3779b185ebca87)
#define P2 UINT64_C(0xc2b2ae3d27d4eb4f)
#define P3 UINT64_C(0x165667b19e3779f9)
#define P4 UINT64_C(0x85ebca77c2b2ae63)
#define P5 UINT64_C(0x27d4eb2f165667c5)

static uint64_t rotl(uint64_t v, int r)
{
	return v << r | v >> (64 - r);
}

static uint64_t mix(uint64_t acc, uint64_t w)
{
	return rotl(acc + w * P2, 31) * P1;
}

/* A 64-bit checksum against damage in storage, not tampering (whoever can write the store can
 * write its DER too): xxHash64's construction, four lanes of multiply-rotate rounds over 8-octet
 * words. Every step is a bijection of the word it takes in, so any one changed word (a flipped
 * bit) changes the sum; ≈ 1 ms for the 12 MB index of a 480,000-entry CRL, where SHA-256 takes 7. */
static uint64_t idx_sum(const uint8_t *p, size_t len)
{
	uint64_t a[4] = {P1 + P2, P2, 0, 0 - P1}, h;
	size_t total = len;
	for (; len >= 32; p += 32, len -= 32)
		for (int i = 0; i < 4; i++)
			a[i] = mix(a[i], get_u64(p + 8 * i));
	h = rotl(a[0], 1) + rotl(a[1], 7) + rotl(a[2], 12) + rotl(a[3], 18) + (uint64_t)total;
	for (; len >= 8; p += 8, len -= 8)
		h = rotl(h ^ mix(0, get_u64(p)), 27) * P1 + P4;
	for (; len > 0; p++, len--)
		h = rotl(h ^ (*p * P5), 11) * P1;
	h ^= h >> 33;
	h *= P2;
	h ^= h >> 29;
	h *= P3;
	return h ^ h >> 32;
}

/* The sections of c, in the index's order. */
static void sections_of(const cf_crl *c, const uint8_t *p[N_SECTIONS], size_t len[N_SECTIONS])
{
	p[S_LINE] = (const uint8_t *)c->line, len[S_LINE] = strlen(c->line);
	p[S_ISSUER] = c->issuer, len[S_ISSUER] = c->issuer_len;
	p[S_NUMBER] = (const uint8_t *)c->number, len[S_NUMBER] = strlen(c->number);
	p[S_MD] = (const uint8_t *)c->md, len[S_MD] = strlen(c->md);
	p[S_DIGEST] = c->digest, len[S_DIGEST] = c->md[0] != '\0' ? c->digest_len : 0;
	p[S_SIG] = c->sig, len[S_SIG] = c->sig_len;
	p[S_SIG_ALG] = c->sig_alg, len[S_SIG_ALG] = c->sig_alg_len;
	p[S_TBS] = c->tbs, len[S_TBS] = c->md[0] == '\0' ? c->tbs_len : 0;
}

static int hex_val(char ch)
{
	return ch >= '0' && ch <= '9' ? ch - '0' : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
}

cf_code cf_crl_to_index(const cf_crl *c, uint8_t **out, size_t *len, cf_err *e)
{
	const uint8_t *sp[N_SECTIONS];
	size_t sl[N_SECTIONS], total = IDX_HEAD + c->n * IDX_ENTRY + c->pool_len + IDX_SUM;
	sections_of(c, sp, sl);
	for (int i = 0; i < N_SECTIONS; i++)
		total += sl[i];
	uint8_t *b = malloc(total), *p = b;
	if (b == NULL)
		return cf_err_set(e, CF_E_INTERNAL, "CRL", "out of memory");
	memcpy(p, IDX_MAGIC, 8);
	put_u32(p + 8, IDX_VERSION);
	put_u32(p + 12, c->delta ? IDX_DELTA : 0);
	put_u64(p + 16, (uint64_t)c->this_update);
	put_u64(p + 24, (uint64_t)c->next_update);
	for (int i = 0; i < 32; i++)
		p[IDX_HASH + i] = (uint8_t)(hex_val(c->hash[2 * i]) << 4 | hex_val(c->hash[2 * i + 1]));
	put_u32(p + IDX_LENGTHS, (uint32_t)c->n);
	put_u32(p + IDX_LENGTHS + 4, (uint32_t)c->pool_len);
	for (int i = 0; i < N_SECTIONS; i++)
		put_u32(p + IDX_LENGTHS + 8 + 4 * (size_t)i, (uint32_t)sl[i]);
	p += IDX_HEAD;
	for (size_t i = 0; i < c->n; i++, p += IDX_ENTRY) {
		put_u64(p, c->v[i].key);
		put_u32(p + 8, c->v[i].off);
		put_u32(p + 12, c->v[i].when);
	}
	if (c->pool_len > 0) /* a CRL without revokedCertificates has no pool at all */
		memcpy(p, c->pool, c->pool_len), p += c->pool_len;
	for (int i = 0; i < N_SECTIONS; i++)
		if (sl[i] > 0)
			memcpy(p, sp[i], sl[i]), p += sl[i];
	put_u64(p, idx_sum(b, total - IDX_SUM));
	*out = b;
	*len = total;
	return CF_OK;
}

void cf_crl_index_seal(uint8_t *buf, size_t len)
{
	if (len >= IDX_SUM)
		put_u64(buf + len - IDX_SUM, idx_sum(buf, len - IDX_SUM));
}

static cf_code bad_index(const char *name, cf_err *e, const char *what)
{
	return cf_err_set(e, CF_E_INPUT, name, "not a usable CRL index: %s", what);
}

/* Whether en is an entry the walk could have made: a serial of 1 to 21 octets without a leading
 * zero octet and nothing in its key beyond its length, its octets (and a time outside 32 bits)
 * inside the pool. Adds the pool octets it takes to *used. */
static bool entry_ok(const cf_crl *c, const entry *en, uint64_t *used)
{
	size_t n = (size_t)(en->key >> 56);
	if (n == 0 || n > 21 || (n > 1 && (en->key >> 48 & 0xff) == 0) ||
	    (n < 7 && (en->key & ((UINT64_C(1) << (56 - 8 * n)) - 1)) != 0))
		return false;
	uint64_t rest = n > 7 ? n - 7 : 0, extra = en->when == WHEN_IN_POOL ? 8 : 0;
	if ((uint64_t)en->off + rest + extra > c->pool_len)
		return false;
	*used += rest + extra;
	int64_t when = when_of(c, en);
	return extra == 0 || when < 0 || when >= (int64_t)WHEN_IN_POOL; /* as add_entry puts it there */
}

/* The text sections hold what the walk writes: no NUL; the number in lower-case hex octets; the
 * digest's name (an OpenSSL short name) in printable ASCII. A digest goes with a named algorithm,
 * the signed bytes with none. */
static const char *sections_bad(const uint8_t *sp[N_SECTIONS], const size_t sl[N_SECTIONS])
{
	if (memchr(sp[S_LINE], 0, sl[S_LINE]) != NULL)
		return "the issuer's name";
	for (size_t i = 0; i < sl[S_NUMBER]; i++)
		if (hex_val((char)sp[S_NUMBER][i]) < 0 || sl[S_NUMBER] % 2 != 0)
			return "the CRL number";
	for (size_t i = 0; i < sl[S_MD]; i++)
		if (sp[S_MD][i] <= ' ' || sp[S_MD][i] > '~')
			return "the digest's name";
	if ((sl[S_MD] > 0) != (sl[S_DIGEST] > 0) || (sl[S_MD] > 0) == (sl[S_TBS] > 0))
		return "the digest or the signed bytes";
	if (sp[S_ISSUER][0] != 0x30 || sp[S_SIG_ALG][0] != 0x30)
		return "the issuer's or the algorithm's DER";
	return NULL;
}

/* A copy of n octets of the index in a new buffer. */
static bool take(const uint8_t *p, size_t n, uint8_t **out, size_t *len)
{
	cf_der d = {p, n};
	return (*out = dup_der(&d, len)) != NULL;
}

cf_code cf_crl_from_index(const char *name, const uint8_t *buf, size_t len, cf_crl **out, cf_err *e)
{
	if (len < 12 || memcmp(buf, IDX_MAGIC, 8) != 0)
		return bad_index(name, e, "no index header");
	if (get_u32(buf + 8) != IDX_VERSION)
		return cf_err_set(e, CF_E_INPUT, name, "not a usable CRL index: version %" PRIu32 ", not %u",
				  get_u32(buf + 8), IDX_VERSION);
	if (len < IDX_HEAD + IDX_SUM)
		return bad_index(name, e, "cut short");
	if (get_u64(buf + len - IDX_SUM) != idx_sum(buf, len - IDX_SUM))
		return bad_index(name, e, "damaged (the checksum does not match)");
	uint32_t flags = get_u32(buf + 12), n = get_u32(buf + IDX_LENGTHS), pool_len = get_u32(buf + IDX_LENGTHS + 4);
	if ((flags & ~IDX_DELTA) != 0)
		return bad_index(name, e, "unknown flags");
	/* every length in bounds, and together exactly the buffer */
	const uint8_t *sp[N_SECTIONS];
	size_t sl[N_SECTIONS];
	uint64_t at = IDX_HEAD + (uint64_t)n * IDX_ENTRY + pool_len;
	if (at > len)
		return bad_index(name, e, "the entries or the pool");
	for (int i = 0; i < N_SECTIONS; i++) {
		sl[i] = get_u32(buf + IDX_LENGTHS + 8 + 4 * (size_t)i);
		if (sl[i] < sections[i].min || sl[i] > sections[i].max || at + sl[i] > len - IDX_SUM)
			return bad_index(name, e, sections[i].what);
		sp[i] = buf + at;
		at += sl[i];
	}
	if (at != len - IDX_SUM)
		return bad_index(name, e, "octets after the last section");
	const char *what = sections_bad(sp, sl);
	if (what != NULL)
		return bad_index(name, e, what);

	cf_crl *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return cf_err_set(e, CF_E_INTERNAL, name, "out of memory");
	c->delta = (flags & IDX_DELTA) != 0;
	c->this_update = (int64_t)get_u64(buf + 16);
	c->next_update = (int64_t)get_u64(buf + 24);
	cf_hex(buf + IDX_HASH, 32, c->hash);
	memcpy(c->line, sp[S_LINE], sl[S_LINE]);
	memcpy(c->number, sp[S_NUMBER], sl[S_NUMBER]);
	memcpy(c->md, sp[S_MD], sl[S_MD]);
	memcpy(c->digest, sp[S_DIGEST], sl[S_DIGEST]);
	c->digest_len = (unsigned)sl[S_DIGEST];
	c->n = c->cap = n;
	c->pool_len = c->pool_cap = pool_len;
	bool ok = take(sp[S_ISSUER], sl[S_ISSUER], &c->issuer, &c->issuer_len) &&
		  take(sp[S_SIG], sl[S_SIG], &c->sig, &c->sig_len) &&
		  take(sp[S_SIG_ALG], sl[S_SIG_ALG], &c->sig_alg, &c->sig_alg_len) &&
		  (sl[S_TBS] == 0 || take(sp[S_TBS], sl[S_TBS], &c->tbs, &c->tbs_len)) &&
		  (c->v = malloc((n ? n : 1) * sizeof(*c->v))) != NULL &&
		  take(buf + IDX_HEAD + (size_t)n * IDX_ENTRY, pool_len, &c->pool, &c->pool_len);
	if (!ok) {
		cf_crl_free(c);
		return cf_err_set(e, CF_E_INTERNAL, name, "out of memory");
	}
	/* the entries: each one the walk could have made, in the order lookups rely on, and together
	 * taking exactly the pool */
	const uint8_t *p = buf + IDX_HEAD;
	uint64_t used = 0;
	for (size_t i = 0; i < n; i++, p += IDX_ENTRY) {
		c->v[i] = (entry){.key = get_u64(p), .off = get_u32(p + 8), .when = get_u32(p + 12)};
		bool good = entry_ok(c, &c->v[i], &used);
		if (!good || (i > 0 && serial_cmp(c->pool, &c->v[i - 1], &c->v[i]) > 0)) {
			cf_crl_free(c);
			return bad_index(name, e, good ? "entries out of order" : "an entry");
		}
	}
	if (used != pool_len) {
		cf_crl_free(c);
		return bad_index(name, e, "the pool");
	}
	if (!build_dir(c)) {
		cf_crl_free(c);
		return cf_err_set(e, CF_E_INTERNAL, name, "out of memory");
	}
	*out = c;
	return CF_OK;
}
