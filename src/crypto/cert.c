/* Certificates: parsing PEM bundles and DER, facts, and building/signing.
 *
 * A cf_cert is its DER. OpenSSL 3.0's d2i_X509 decodes the public key through the provider
 * machinery (≈ 140 µs a certificate, mostly under library locks), so the X509 is decoded only
 * when something needs it (cf_cert_x: chains, signatures, key matching, keys the fast path does
 * not know). Parsing walks the DER (certder.c) and facts decode only the small pieces, with the
 * same OpenSSL functions d2i_X509 would use on them; anything outside the walker's subset takes
 * OpenSSL's full parse, so every answer stays the one d2i_X509 gives. */
#include <limits.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto/crypto_int.h"
#include "util/b64url.h"
#include "util/grow.h"
#include "util/parallel.h"

/* A certificate owning der (malloc'ed; len bytes of it are the certificate) and x (NULL: decoded
 * on first use). NULL when out of memory, having freed both. */
static cf_cert *cert_new(uint8_t *der, size_t len, X509 *x)
{
	cf_cert *c = calloc(1, sizeof(*c));
	if (c == NULL) {
		free(der);
		X509_free(x);
		return NULL;
	}
	atomic_init(&c->x, x);
	c->der = der;
	c->der_len = len;
	atomic_init(&c->refs, 1);
	return c;
}

/* A certificate from a copy of len bytes the walker split as exactly one certificate. */
static cf_cert *cert_copy(const uint8_t *der, size_t len)
{
	uint8_t *copy = malloc(len);
	if (copy == NULL)
		return NULL;
	memcpy(copy, der, len);
	return cert_new(copy, len, NULL);
}

cf_cert *cf_cert_wrap(X509 *x)
{
	unsigned char *enc = NULL;
	int n = i2d_X509(x, &enc);
	uint8_t *der = n > 0 ? malloc((size_t)n) : NULL;
	if (der == NULL) {
		OPENSSL_free(enc);
		X509_free(x);
		return NULL;
	}
	memcpy(der, enc, (size_t)n);
	OPENSSL_free(enc);
	return cert_new(der, (size_t)n, x);
}

X509 *cf_cert_x(const cf_cert *c)
{
	cf_cert *cache = (cf_cert *)c; /* the decoded form is a cache, not part of the value */
	X509 *x = atomic_load_explicit(&cache->x, memory_order_acquire), *expected = NULL;
	if (x != NULL)
		return x;
	const unsigned char *p = c->der;
	ERR_set_mark();
	x = d2i_X509(NULL, &p, (long)c->der_len);
	if (x != NULL && p != c->der + c->der_len) {
		X509_free(x);
		x = NULL;
	}
	ERR_pop_to_mark();
	if (x == NULL)
		return NULL;
	if (atomic_compare_exchange_strong_explicit(&cache->x, &expected, x, memory_order_acq_rel,
						    memory_order_acquire))
		return x;
	X509_free(x); /* another thread decoded it first */
	return expected;
}

cf_cert *cf_cert_from_der(const uint8_t *der, size_t len)
{
	cf_certder d;
	if (cf_certder_split(der, len, &d) && d.len == len)
		return cert_copy(der, len);
	const unsigned char *p = der;
	X509 *x = d2i_X509(NULL, &p, (long)len);
	if (x == NULL || p != der + len) {
		X509_free(x);
		ERR_clear_error();
		return NULL;
	}
	return cf_cert_wrap(x);
}

cf_cert *cf_cert_ref(cf_cert *c)
{
	atomic_fetch_add(&c->refs, 1);
	return c;
}

void cf_cert_free(cf_cert *c)
{
	if (c == NULL || atomic_fetch_sub(&c->refs, 1) != 1)
		return;
	X509_free(atomic_load(&c->x));
	free(c->der);
	free(c);
}

void cf_certs_free(cf_cert **v, size_t n)
{
	if (v == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		cf_cert_free(v[i]);
	free(v);
}

const uint8_t *cf_cert_der(const cf_cert *c, size_t *len)
{
	*len = c->der_len;
	return c->der;
}

char *cf_cert_pem(const cf_cert *c)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data = NULL, *out = NULL;
	/* what PEM_write_bio_X509 writes, from the DER it would encode */
	if (b != NULL && c->der_len <= LONG_MAX &&
	    PEM_write_bio(b, PEM_STRING_X509, "", c->der, (long)c->der_len) > 0) {
		long n = BIO_get_mem_data(b, &data);
		out = strndup(data, (size_t)n);
	}
	BIO_free(b);
	return out;
}

/* ---- parsing ------------------------------------------------------------------------------ */

static bool is_cert_label(const char *label)
{
	return strcmp(label, "CERTIFICATE") == 0 || strcmp(label, "X509 CERTIFICATE") == 0 ||
	       strcmp(label, "TRUSTED CERTIFICATE") == 0;
}

static const char *wrong_type(const char *label)
{
	if (strstr(label, "CERTIFICATE REQUEST"))
		return "is a certificate request (CSR), not a certificate";
	if (strstr(label, "PRIVATE KEY"))
		return "holds a private key where a certificate was expected";
	if (strstr(label, "X509 CRL"))
		return "is a CRL, not a certificate";
	return NULL;
}

/* Whether the bytes after a TRUSTED CERTIFICATE are its auxiliary trust data (as d2i_X509_AUX
 * requires them to be). */
static bool aux_ok(const uint8_t *p, size_t len)
{
	const unsigned char *q = p;
	X509_CERT_AUX *aux = len <= LONG_MAX ? d2i_X509_CERT_AUX(NULL, &q, (long)len) : NULL;
	X509_CERT_AUX_free(aux);
	return aux != NULL;
}

/* The certificate at the start of the len bytes at der (taken) that a PEM block held. As with
 * PEM_read_bio_X509, bytes after it are ignored, except that a TRUSTED CERTIFICATE's must be
 * its trust data, which is dropped. NULL when there is no certificate. */
static cf_cert *cert_from_block(uint8_t *der, size_t len, bool trusted)
{
	cf_certder d;
	if (cf_certder_split(der, len, &d) && (!trusted || d.len == len || aux_ok(der + d.len, len - d.len)))
		return cert_new(der, d.len, NULL);
	const unsigned char *p = der;
	X509 *x = len > LONG_MAX ? NULL : trusted ? d2i_X509_AUX(NULL, &p, (long)len) : d2i_X509(NULL, &p, (long)len);
	free(der);
	return x ? cf_cert_wrap(x) : NULL;
}

struct parse_job {
	const cf_pem_block *blocks;
	cf_cert **certs;
};

static void parse_slice(void *ctx, size_t begin, size_t end)
{
	struct parse_job *job = ctx;
	for (size_t i = begin; i < end; i++) {
		const cf_pem_block *b = &job->blocks[i];
		size_t len = 0;
		uint8_t *der = cf_pem_decode(b, &len);
		job->certs[i] = der ? cert_from_block(der, len, strcmp(b->label, "TRUSTED CERTIFICATE") == 0) : NULL;
	}
	ERR_clear_error();
}

/* One DER certificate at the start of buf; *used is its length. */
static cf_code parse_one_der(const char *name, const uint8_t *buf, size_t len, cf_cert **out, size_t *used, cf_err *e)
{
	cf_certder d;
	cf_cert *c = NULL;
	if (cf_certder_split(buf, len, &d)) {
		c = cert_copy(buf, d.len);
		*used = d.len;
	} else {
		const unsigned char *p = buf;
		X509 *x = len <= LONG_MAX ? d2i_X509(NULL, &p, (long)len) : NULL;
		if (x == NULL) {
			ERR_clear_error();
			p = buf;
			X509_REQ *req = len <= LONG_MAX ? d2i_X509_REQ(NULL, &p, (long)len) : NULL;
			ERR_clear_error();
			if (req != NULL) {
				X509_REQ_free(req);
				return cf_err_set(e, CF_E_INPUT, name,
						  "is a certificate request (CSR), not a certificate");
			}
			return cf_err_set(e, CF_E_INPUT, name,
					  "not a certificate: neither PEM nor DER X.509 (garbage or truncated)");
		}
		*used = (size_t)(p - buf);
		c = cf_cert_wrap(x);
	}
	if (c == NULL)
		return cf_err_set(e, CF_E_INTERNAL, name, "out of memory");
	*out = c;
	return CF_OK;
}

/* One DER certificate, or several back to back (a leaf followed by its chain). */
static cf_code parse_der(const char *name, const uint8_t *buf, size_t len, cf_cert ***out, size_t *n, cf_err *e)
{
	cf_cert **v = NULL;
	size_t count = 0, cap = 0, off = 0;
	cf_code rc = CF_OK;
	while (rc == CF_OK && off < len) {
		cf_cert *c = NULL;
		size_t used = 0;
		cf_err one;
		if (parse_one_der(name, buf + off, len - off, &c, &used, &one) != CF_OK) {
			if (count > 0)
				rc = cf_err_set(e, CF_E_INPUT, name, "trailing data after the DER certificate");
			else if (e != NULL)
				*e = one, rc = one.code;
			else
				rc = one.code;
			break;
		}
		if (cf_grow(&v, &cap, count, sizeof(*v)) != 0) {
			cf_cert_free(c);
			rc = cf_err_set(e, CF_E_INTERNAL, name, "out of memory");
			break;
		}
		v[count++] = c;
		off += used;
	}
	if (rc != CF_OK) {
		cf_certs_free(v, count);
		return rc;
	}
	*out = v;
	*n = count;
	return CF_OK;
}

cf_code cf_cert_parse_bundle(const char *name, const uint8_t *buf, size_t len, cf_cert ***out, size_t *n, cf_err *e)
{
	if (len == 0)
		return cf_err_set(e, CF_E_INPUT, name, "file is empty");
	if (memmem(buf, len, "-----BEGIN", 10) == NULL)
		return parse_der(name, buf, len, out, n, e);
	/* DER that a name or key happens to spell a PEM marker in */
	if (buf[0] == 0x30 && parse_der(name, buf, len, out, n, NULL) == CF_OK)
		return CF_OK;

	cf_pem_block *blocks = NULL;
	long nb = cf_pem_blocks((const char *)buf, len, &blocks);
	if (nb < 0)
		return cf_err_set(e, CF_E_INPUT, name, "truncated PEM: a BEGIN line has no matching END line");
	for (long i = 0; i < nb; i++) {
		const char *why = is_cert_label(blocks[i].label) ? NULL : wrong_type(blocks[i].label);
		if (why == NULL && !is_cert_label(blocks[i].label))
			why = "holds a PEM block that is not a certificate";
		if (why != NULL) {
			cf_err_set(e, CF_E_INPUT, name, "%s (block %ld: %s)", why, i + 1, blocks[i].label);
			free(blocks);
			return CF_E_INPUT;
		}
	}
	if (nb == 0) {
		free(blocks);
		return cf_err_set(e, CF_E_INPUT, name, "no certificate found");
	}
	cf_cert **certs = calloc((size_t)nb, sizeof(*certs));
	if (certs == NULL) {
		free(blocks);
		return cf_err_set(e, CF_E_INTERNAL, name, "out of memory");
	}
	struct parse_job job = {blocks, certs};
	cf_parallel_for((size_t)nb, 512, parse_slice, &job);
	free(blocks);
	for (long i = 0; i < nb; i++) {
		if (certs[i] == NULL) {
			cf_certs_free(certs, (size_t)nb);
			return cf_err_set(e, CF_E_INPUT, name,
					  "certificate %ld does not parse (damaged or truncated PEM)", i + 1);
		}
	}
	*out = certs;
	*n = (size_t)nb;
	return CF_OK;
}

/* ---- facts -------------------------------------------------------------------------------- */

static void facts_serial(const ASN1_INTEGER *serial, cf_facts *f)
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(serial, NULL);
	char *hex = bn ? BN_bn2hex(bn) : NULL;
	f->serial = strdup(hex ? hex : "");
	for (char *p = f->serial; p && *p; p++)
		if (*p >= 'A' && *p <= 'F')
			*p = (char)(*p - 'A' + 'a');
	OPENSSL_free(hex);
	BN_free(bn);
}

/* Facts from OpenSSL's full parse: certificates outside the DER walker's subset, and every
 * certificate whose names the walked facts refused (for the error). f may then hold a part. */
static cf_code facts_x509(const cf_cert *c, X509 *x, cf_facts *f, cf_err *e)
{
	cf_code rc = cf_facts_subject(X509_get_subject_name(x), f, e);
	if (rc != CF_OK)
		return rc;
	f->issuer = cf_name_str(X509_get_issuer_name(x));
	facts_serial(X509_get0_serialNumber(x), f);
	f->not_before = cf_asn1_epoch(X509_get0_notBefore(x));
	f->not_after = cf_asn1_epoch(X509_get0_notAfter(x));
	cf_sha256_hex(c->der, c->der_len, f->sha256);
	cf_facts_key(X509_get0_pubkey(x), f);
	cf_sigalg_hash_name(X509_get_signature_nid(x), f->sig_hash);
	f->self_signed = X509_self_signed(x, 1) == 1;
	return cf_facts_exts(X509_get0_extensions(x), f, e);
}

/* Whether a d2i call that started at piece->p consumed exactly the piece. */
static bool consumed(const unsigned char *p, const cf_der *piece)
{
	return p == piece->p + piece->len;
}

/* The same facts from the walked pieces, decoded one by one with the functions d2i_X509 would
 * use on them; the key from its SPKI unless it is exotic. False when a piece does not decode, a
 * name is refused or memory runs out (f then holds a part to free): OpenSSL's full parse has the
 * last word (and says why a name is refused). */
static bool facts_der(const cf_cert *c, const cf_certder *d, cf_facts *f)
{
	X509_NAME *issuer = NULL, *subject = NULL;
	ASN1_INTEGER *serial = NULL;
	ASN1_TIME *not_before = NULL, *not_after = NULL;
	ASN1_OBJECT *sig = NULL;
	STACK_OF(X509_EXTENSION) *exts = NULL;
	X509 *x = NULL;
	const unsigned char *p;
	bool ok = false;

	p = d->issuer.p;
	if ((issuer = d2i_X509_NAME(NULL, &p, (long)d->issuer.len)) == NULL || !consumed(p, &d->issuer))
		goto out;
	p = d->subject.p;
	if ((subject = d2i_X509_NAME(NULL, &p, (long)d->subject.len)) == NULL || !consumed(p, &d->subject))
		goto out;
	p = d->serial.p;
	if ((serial = d2i_ASN1_INTEGER(NULL, &p, (long)d->serial.len)) == NULL || !consumed(p, &d->serial))
		goto out;
	p = d->not_before.p;
	if ((not_before = d2i_ASN1_TIME(NULL, &p, (long)d->not_before.len)) == NULL || !consumed(p, &d->not_before))
		goto out;
	p = d->not_after.p;
	if ((not_after = d2i_ASN1_TIME(NULL, &p, (long)d->not_after.len)) == NULL || !consumed(p, &d->not_after))
		goto out;
	p = d->sig_alg.p;
	if ((sig = d2i_ASN1_OBJECT(NULL, &p, (long)d->sig_alg.len)) == NULL || !consumed(p, &d->sig_alg))
		goto out;
	p = d->exts.p;
	if (d->exts.len > 0 &&
	    ((exts = d2i_X509_EXTENSIONS(NULL, &p, (long)d->exts.len)) == NULL || !consumed(p, &d->exts)))
		goto out;

	if (cf_facts_subject(subject, f, NULL) != CF_OK)
		goto out;
	f->issuer = cf_name_str(issuer);
	facts_serial(serial, f);
	f->not_before = cf_asn1_epoch(not_before);
	f->not_after = cf_asn1_epoch(not_after);
	cf_sha256_hex(c->der, c->der_len, f->sha256);
	if (!cf_facts_spki(&d->key, f)) {
		if ((x = cf_cert_x(c)) == NULL)
			goto out;
		cf_facts_key(X509_get0_pubkey(x), f);
	}
	cf_sigalg_hash_name(OBJ_obj2nid(sig), f->sig_hash);
	/* X509_self_signed needs the names equal (canonically, as X509_NAME_cmp compares them) before
	 * anything else; only then is the full parse worth its cost */
	if (X509_NAME_cmp(issuer, subject) == 0) {
		if ((x = cf_cert_x(c)) == NULL)
			goto out;
		f->self_signed = X509_self_signed(x, 1) == 1;
	}
	if (cf_facts_exts(exts, f, NULL) != CF_OK)
		goto out;
	ok = true;
out:
	X509_NAME_free(issuer);
	X509_NAME_free(subject);
	ASN1_INTEGER_free(serial);
	ASN1_TIME_free(not_before);
	ASN1_TIME_free(not_after);
	ASN1_OBJECT_free(sig);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	return ok;
}

cf_code cf_cert_facts(const cf_cert *c, cf_facts *out, cf_err *e)
{
	cf_facts f = {0};
	cf_certder d;

	if (!cf_certder_split(c->der, c->der_len, &d) || d.len != c->der_len || !facts_der(c, &d, &f)) {
		cf_facts_free(&f);
		X509 *x = cf_cert_x(c);
		if (x == NULL) {
			ERR_clear_error();
			return cf_err_set(e, CF_E_INPUT, "certificate", "does not parse (OpenSSL rejects its DER)");
		}
		if (!ASN1_TIME_check(X509_get0_notBefore(x)) || !ASN1_TIME_check(X509_get0_notAfter(x))) {
			ERR_clear_error();
			return cf_err_set(e, CF_E_INPUT, "certificate", "notBefore or notAfter is a bad time value");
		}
		cf_code rc = facts_x509(c, x, &f, e);
		if (rc != CF_OK) {
			ERR_clear_error();
			cf_facts_free(&f);
			return rc;
		}
	}
	ERR_clear_error();
	if (f.subject == NULL || f.issuer == NULL || f.serial == NULL || f.cn == NULL) {
		cf_facts_free(&f);
		return cf_err_set(e, CF_E_INTERNAL, "certificate", "out of memory");
	}
	*out = f;
	return CF_OK;
}

struct facts_job {
	cf_cert *const *v;
	cf_facts *out;
	atomic_bool failed;
};

static void facts_slice(void *ctx, size_t begin, size_t end)
{
	struct facts_job *job = ctx;
	for (size_t i = begin; i < end; i++) {
		if (cf_cert_facts(job->v[i], &job->out[i], NULL) != CF_OK) {
			memset(&job->out[i], 0, sizeof(job->out[i]));
			atomic_store(&job->failed, true);
		}
	}
}

cf_code cf_certs_facts(cf_cert *const *v, size_t n, cf_facts *out, cf_err *e)
{
	struct facts_job job = {v, out, false};
	cf_parallel_for(n, 512, facts_slice, &job);
	if (!atomic_load(&job.failed))
		return CF_OK;
	/* the first failure again on this thread, for its error */
	cf_code rc = CF_E_INTERNAL;
	for (size_t i = 0; i < n; i++) {
		if (out[i].subject != NULL)
			continue;
		cf_facts again = {0};
		char which[64];
		snprintf(which, sizeof(which), "certificate %zu", i + 1);
		rc = cf_cert_facts(v[i], &again, e);
		cf_facts_free(&again);
		if (rc == CF_OK) /* it failed for want of memory the first time */
			rc = cf_err_set(e, CF_E_INTERNAL, which, "out of memory");
		else
			cf_err_subject(e, which);
		break;
	}
	for (size_t i = 0; i < n; i++)
		cf_facts_free(&out[i]);
	return rc;
}

bool cf_cert_equal(const cf_cert *a, const cf_cert *b)
{
	size_t la = 0, lb = 0;
	const uint8_t *da = cf_cert_der(a, &la), *db = cf_cert_der(b, &lb);
	return da != NULL && db != NULL && la == lb && memcmp(da, db, la) == 0;
}

bool cf_cert_issued_by(const cf_cert *c, const cf_cert *issuer)
{
	X509 *cx = cf_cert_x(c), *ix = cf_cert_x(issuer);
	if (cx == NULL || ix == NULL || X509_NAME_cmp(X509_get_issuer_name(cx), X509_get_subject_name(ix)) != 0)
		return false;
	EVP_PKEY *pk = X509_get0_pubkey(ix);
	bool ok = pk != NULL && X509_verify(cx, pk) == 1;
	ERR_clear_error();
	return ok;
}

/* ---- issuers among many ------------------------------------------------------------------------ */

struct cf_issuers {
	cf_cert *const *cand;
	struct issuer_key {
		unsigned long name; /* hash of the subject Name's canonical form (what X509_NAME_cmp compares) */
		size_t i;	    /* index in cand */
	} * v;
	size_t n;
};

static int issuer_key_cmp(const void *a, const void *b)
{
	const struct issuer_key *x = a, *y = b;
	if (x->name != y->name)
		return x->name < y->name ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

/* The canonical-form hash of a Name; false when OpenSSL cannot compute it. */
static bool name_hash(const X509_NAME *name, unsigned long *out)
{
	int ok = 0;
	*out = X509_NAME_hash_ex(name, NULL, NULL, &ok);
	ERR_clear_error();
	return ok == 1;
}

cf_issuers *cf_issuers_new(cf_cert *const *cand, size_t n)
{
	cf_issuers *ix = calloc(1, sizeof(*ix));
	if (ix == NULL || (ix->v = calloc(n + 1, sizeof(*ix->v))) == NULL) {
		free(ix);
		return NULL;
	}
	ix->cand = cand;
	for (size_t i = 0; i < n; i++) {
		X509 *x = cf_cert_x(cand[i]);
		if (x != NULL && name_hash(X509_get_subject_name(x), &ix->v[ix->n].name))
			ix->v[ix->n++].i = i;
	}
	qsort(ix->v, ix->n, sizeof(*ix->v), issuer_key_cmp);
	return ix;
}

long cf_issuers_find(const cf_issuers *ix, const cf_cert *cert)
{
	X509 *x = cf_cert_x(cert);
	unsigned long h = 0;
	if (ix == NULL || x == NULL || !name_hash(X509_get_issuer_name(x), &h))
		return -1;
	size_t lo = 0, hi = ix->n;
	while (lo < hi) { /* the first key with this name */
		size_t mid = lo + (hi - lo) / 2;
		if (ix->v[mid].name < h)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t k = lo; k < ix->n && ix->v[k].name == h; k++) { /* namesakes in candidate order */
		const cf_cert *c = ix->cand[ix->v[k].i];
		if (cf_cert_equal(c, cert))
			continue; /* the certificate itself, kept among them */
		if (cf_cert_issued_by(cert, c))
			return (long)ix->v[k].i;
	}
	return -1;
}

void cf_issuers_free(cf_issuers *ix)
{
	if (ix == NULL)
		return;
	free(ix->v);
	free(ix);
}

/* ---- building -------------------------------------------------------------------------------- */

static cf_code build_cert(const cf_reqspec *spec, EVP_PKEY *subject_pub, X509 *issuer, EVP_PKEY *issuer_key,
			  int64_t not_before, int days, cf_cert **out, cf_err *e)
{
	X509 *x = X509_new();
	X509_NAME *name = NULL;
	STACK_OF(X509_EXTENSION) *exts = NULL;
	unsigned char serial[16];
	BIGNUM *bn = NULL;
	cf_err local;
	cf_err *err = e ? e : &local; /* the spec helpers' codes are needed even without e */
	cf_code rc = CF_E_INTERNAL;
	const EVP_MD *md = cf_spec_md(spec, err);

	if (x == NULL)
		goto out;
	if (md == NULL || (name = cf_spec_name(spec, err)) == NULL || (exts = cf_spec_exts(spec, err)) == NULL) {
		rc = err->code;
		goto out;
	}
	if (RAND_bytes(serial, sizeof(serial)) != 1)
		goto ossl;
	serial[0] = (unsigned char)((serial[0] & 0x7f) | 0x40); /* positive, full length */
	bn = BN_bin2bn(serial, sizeof(serial), NULL);
	if (bn == NULL || !BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)))
		goto ossl;
	if (!X509_set_version(x, X509_VERSION_3) || !X509_set_subject_name(x, name) ||
	    !X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name) ||
	    !ASN1_TIME_set(X509_getm_notBefore(x), (time_t)not_before) ||
	    !ASN1_TIME_set(X509_getm_notAfter(x), (time_t)(not_before + (int64_t)days * 86400)) ||
	    !X509_set_pubkey(x, subject_pub))
		goto ossl;
	for (int i = 0; i < sk_X509_EXTENSION_num(exts); i++)
		if (!X509_add_ext(x, sk_X509_EXTENSION_value(exts, i), -1))
			goto ossl;
	X509V3_CTX ctx;
	X509V3_set_ctx(&ctx, issuer ? issuer : x, x, NULL, NULL, 0);
	X509_EXTENSION *ski = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_key_identifier, "hash");
	if (ski == NULL || !X509_add_ext(x, ski, -1)) {
		X509_EXTENSION_free(ski);
		goto ossl;
	}
	X509_EXTENSION_free(ski);
	X509_EXTENSION *aki = X509V3_EXT_conf_nid(NULL, &ctx, NID_authority_key_identifier, "keyid:always");
	if (aki == NULL || !X509_add_ext(x, aki, -1)) {
		X509_EXTENSION_free(aki);
		goto ossl;
	}
	X509_EXTENSION_free(aki);
	if (X509_sign(x, issuer_key, md) <= 0)
		goto ossl;
	*out = cf_cert_wrap(x);
	x = NULL;
	rc = *out ? CF_OK : cf_err_set(e, CF_E_INTERNAL, "certificate", "out of memory");
	goto out;
ossl:
	rc = cf_ossl_err(e, CF_E_INTERNAL, "certificate", "cannot build the certificate");
out:
	BN_free(bn);
	X509_NAME_free(name);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	X509_free(x);
	return rc;
}

cf_code cf_cert_self_signed(const cf_reqspec *spec, const cf_key *key, int64_t not_before, int days, cf_cert **out,
			    cf_err *e)
{
	return build_cert(spec, key->pkey, NULL, key->pkey, not_before, days, out, e);
}

cf_code cf_cert_issue(const cf_reqspec *spec, const cf_key *subject_key, const cf_cert *issuer,
		      const cf_key *issuer_key, int64_t not_before, int days, cf_cert **out, cf_err *e)
{
	X509 *ix = cf_cert_x(issuer);
	if (ix == NULL)
		return cf_err_set(e, CF_E_INPUT, "issuer certificate", "does not parse (OpenSSL rejects its DER)");
	return build_cert(spec, subject_key->pkey, ix, issuer_key->pkey, not_before, days, out, e);
}

bool cf_cert_is_self_signed(const cf_cert *c)
{
	X509 *x = cf_cert_x(c);
	return x != NULL && X509_NAME_cmp(X509_get_issuer_name(x), X509_get_subject_name(x)) == 0;
}

char *cf_cert_ari_id(const cf_cert *c)
{
	X509 *x = cf_cert_x(c);
	const ASN1_OCTET_STRING *kid = x != NULL ? X509_get0_authority_key_id(x) : NULL;
	const ASN1_INTEGER *sn = x != NULL ? X509_get0_serialNumber(x) : NULL;
	if (kid == NULL || sn == NULL || ASN1_STRING_length(kid) <= 0 || ASN1_STRING_length(sn) <= 0)
		return NULL;
	/* the serial's DER content octets: the magnitude, with a 0 first when its top bit is set */
	size_t n = (size_t)ASN1_STRING_length(sn);
	const unsigned char *mag = ASN1_STRING_get0_data(sn);
	unsigned char *octets = malloc(n + 1);
	if (octets == NULL)
		return NULL;
	size_t lead = (mag[0] & 0x80) ? 1 : 0;
	octets[0] = 0;
	memcpy(octets + lead, mag, n);
	char *a = cf_b64url_encode(ASN1_STRING_get0_data(kid), (size_t)ASN1_STRING_length(kid));
	char *b = cf_b64url_encode(octets, n + lead);
	free(octets);
	char *id = NULL;
	if (a != NULL && b != NULL && (id = malloc(strlen(a) + strlen(b) + 2)) != NULL)
		sprintf(id, "%s.%s", a, b);
	free(a);
	free(b);
	return id;
}
