/* Certificates: parsing PEM bundles and DER, facts, and building/signing. */
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto/crypto_int.h"
#include "util/parallel.h"

cf_cert *cf_cert_wrap(X509 *x)
{
	cf_cert *c = calloc(1, sizeof(*c));
	unsigned char *der = NULL;
	int n = c ? i2d_X509(x, &der) : -1;
	if (n <= 0) {
		free(c);
		X509_free(x);
		return NULL;
	}
	c->x = x;
	c->der = malloc((size_t)n);
	if (c->der == NULL) {
		OPENSSL_free(der);
		X509_free(x);
		free(c);
		return NULL;
	}
	memcpy(c->der, der, (size_t)n);
	OPENSSL_free(der);
	c->der_len = (size_t)n;
	atomic_init(&c->refs, 1);
	return c;
}

cf_cert *cf_cert_from_der(const uint8_t *der, size_t len)
{
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
	X509_free(c->x);
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
	if (b != NULL && PEM_write_bio_X509(b, c->x)) {
		long n = BIO_get_mem_data(b, &data);
		out = strndup(data, (size_t)n);
	}
	BIO_free(b);
	return out;
}

/* ---- parsing ------------------------------------------------------------------------------ */

typedef struct pem_block {
	const char *begin; /* at "-----BEGIN" */
	size_t len;	   /* through the END line */
	char label[40];
} pem_block;

/* Finds every PEM block. Returns the count, or -1 for a BEGIN with no matching END. */
static long find_pem_blocks(const char *buf, size_t len, pem_block **out)
{
	size_t n = 0, cap = 0;
	pem_block *v = NULL;
	const char *p = buf, *end = buf + len;
	while ((p = memmem(p, (size_t)(end - p), "-----BEGIN ", 11)) != NULL) {
		const char *lab = p + 11, *labend = memmem(lab, (size_t)(end - lab), "-----", 5);
		if (labend == NULL || labend - lab >= 40 || memchr(lab, '\n', (size_t)(labend - lab)))
			goto truncated;
		char endmark[64];
		int ml = snprintf(endmark, sizeof(endmark), "-----END %.*s-----", (int)(labend - lab), lab);
		const char *e = memmem(labend, (size_t)(end - labend), endmark, (size_t)ml);
		if (e == NULL)
			goto truncated;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			pem_block *nv = realloc(v, cap * sizeof(*nv));
			if (nv == NULL)
				goto truncated;
			v = nv;
		}
		v[n].begin = p;
		v[n].len = (size_t)(e + ml - p);
		snprintf(v[n].label, sizeof(v[n].label), "%.*s", (int)(labend - lab), lab);
		n++;
		p = e + ml;
	}
	*out = v;
	return (long)n;
truncated:
	free(v);
	return -1;
}

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
		return "holds a private key where a certificate was expected; give keys with --key";
	if (strstr(label, "X509 CRL"))
		return "is a CRL, not a certificate";
	return NULL;
}

struct parse_job {
	const pem_block *blocks;
	cf_cert **certs;
};

static void parse_slice(void *ctx, size_t begin, size_t end)
{
	struct parse_job *job = ctx;
	for (size_t i = begin; i < end; i++) {
		const pem_block *b = &job->blocks[i];
		BIO *bio = BIO_new_mem_buf(b->begin, (int)b->len);
		X509 *x = NULL;
		if (bio != NULL) {
			x = strcmp(b->label, "TRUSTED CERTIFICATE") == 0 ? PEM_read_bio_X509_AUX(bio, NULL, NULL, NULL)
									 : PEM_read_bio_X509(bio, NULL, NULL, NULL);
			BIO_free(bio);
		}
		job->certs[i] = x ? cf_cert_wrap(x) : NULL;
	}
	ERR_clear_error();
}

static cf_code parse_der(const char *name, const uint8_t *buf, size_t len, cf_cert ***out, size_t *n, cf_err *e)
{
	const unsigned char *p = buf;
	X509 *x = d2i_X509(NULL, &p, (long)len);
	if (x == NULL) {
		ERR_clear_error();
		p = buf;
		X509_REQ *req = d2i_X509_REQ(NULL, &p, (long)len);
		ERR_clear_error();
		if (req != NULL) {
			X509_REQ_free(req);
			return cf_err_set(e, CF_E_INPUT, name, "is a certificate request (CSR), not a certificate");
		}
		return cf_err_set(e, CF_E_INPUT, name,
				  "not a certificate: neither PEM nor DER X.509 (garbage or truncated)");
	}
	if (p != buf + len) {
		X509_free(x);
		return cf_err_set(e, CF_E_INPUT, name, "trailing data after the DER certificate");
	}
	cf_cert *c = cf_cert_wrap(x);
	cf_cert **v = malloc(sizeof(*v));
	if (c == NULL || v == NULL) {
		cf_cert_free(c);
		free(v);
		return cf_err_set(e, CF_E_INTERNAL, name, "out of memory");
	}
	v[0] = c;
	*out = v;
	*n = 1;
	return CF_OK;
}

cf_code cf_cert_parse_bundle(const char *name, const uint8_t *buf, size_t len, cf_cert ***out, size_t *n, cf_err *e)
{
	if (len == 0)
		return cf_err_set(e, CF_E_INPUT, name, "file is empty");
	if (memmem(buf, len, "-----BEGIN", 10) == NULL)
		return parse_der(name, buf, len, out, n, e);

	pem_block *blocks = NULL;
	long nb = find_pem_blocks((const char *)buf, len, &blocks);
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

static int64_t asn1_time_epoch(const ASN1_TIME *t)
{
	struct tm tm;
	if (t == NULL || !ASN1_TIME_to_tm(t, &tm))
		return 0;
	return (int64_t)timegm(&tm);
}

static void sig_hash_name(int sig_nid, char out[16])
{
	int md = NID_undef, pk = NID_undef;
	const char *sn = NULL;
	if (OBJ_find_sigid_algs(sig_nid, &md, &pk) && md != NID_undef)
		sn = OBJ_nid2sn(md);
	else
		sn = OBJ_nid2sn(sig_nid);
	snprintf(out, 16, "%s", sn ? sn : "unknown");
	for (char *p = out; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	if (strcmp(out, "sha-256") == 0)
		snprintf(out, 16, "sha256");
}

cf_code cf_cert_facts(const cf_cert *c, cf_facts *out, cf_err *e)
{
	cf_facts f = {0};
	X509 *x = c->x;

	cf_facts_subject(X509_get_subject_name(x), &f);
	f.issuer = cf_name_str(X509_get_issuer_name(x));
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	char *hex = bn ? BN_bn2hex(bn) : NULL;
	f.serial = strdup(hex ? hex : "");
	for (char *p = f.serial; p && *p; p++)
		if (*p >= 'A' && *p <= 'F')
			*p = (char)(*p - 'A' + 'a');
	OPENSSL_free(hex);
	BN_free(bn);
	f.not_before = asn1_time_epoch(X509_get0_notBefore(x));
	f.not_after = asn1_time_epoch(X509_get0_notAfter(x));
	unsigned char md[32];
	unsigned int mdlen = 0;
	EVP_Digest(c->der, c->der_len, md, &mdlen, EVP_sha256(), NULL);
	cf_hex(md, 32, f.sha256);
	cf_facts_key(X509_get0_pubkey(x), &f);
	sig_hash_name(X509_get_signature_nid(x), f.sig_hash);
	f.self_signed = X509_self_signed(x, 1) == 1;
	cf_facts_exts(X509_get0_extensions(x), &f);
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
	int failed;
};

static void facts_slice(void *ctx, size_t begin, size_t end)
{
	struct facts_job *job = ctx;
	for (size_t i = begin; i < end; i++)
		if (cf_cert_facts(job->v[i], &job->out[i], NULL) != CF_OK)
			job->failed = 1;
}

cf_code cf_certs_facts(cf_cert *const *v, size_t n, cf_facts *out, cf_err *e)
{
	struct facts_job job = {v, out, 0};
	cf_parallel_for(n, 512, facts_slice, &job);
	if (job.failed) {
		for (size_t i = 0; i < n; i++)
			cf_facts_free(&out[i]);
		return cf_err_set(e, CF_E_INTERNAL, "certificates", "out of memory");
	}
	return CF_OK;
}

bool cf_cert_issued_by(const cf_cert *c, const cf_cert *issuer)
{
	if (X509_NAME_cmp(X509_get_issuer_name(c->x), X509_get_subject_name(issuer->x)) != 0)
		return false;
	EVP_PKEY *pk = X509_get0_pubkey(issuer->x);
	bool ok = pk != NULL && X509_verify(c->x, pk) == 1;
	ERR_clear_error();
	return ok;
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
	return build_cert(spec, subject_key->pkey, issuer->x, issuer_key->pkey, not_before, days, out, e);
}
