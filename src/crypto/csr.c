/* PKCS#10 requests, and the subject/extension building shared with certificates. */
#include <openssl/err.h>
#include <openssl/pem.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto_int.h"

const EVP_MD *cf_spec_md(const cf_reqspec *spec, cf_err *e)
{
	const char *hash = spec->hash ? spec->hash : "sha256";
	if (cf_hash_check(hash, e) != CF_OK)
		return NULL;
	return EVP_get_digestbyname(hash);
}

X509_NAME *cf_spec_name(const cf_reqspec *spec, cf_err *e)
{
	const struct {
		const char *field, *value;
	} parts[] = {{"C", spec->dn.c}, {"ST", spec->dn.st}, {"L", spec->dn.l},
		     {"O", spec->dn.o}, {"OU", spec->dn.ou}, {"CN", spec->dn.cn}};
	X509_NAME *name = X509_NAME_new();
	if (name == NULL)
		goto fail;
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		const char *v = parts[i].value;
		if (v == NULL || *v == '\0')
			continue;
		if (!X509_NAME_add_entry_by_txt(name, parts[i].field, MBSTRING_UTF8, (const unsigned char *)v, -1, -1,
						0)) {
			X509_NAME_free(name);
			return cf_ossl_err(e, CF_E_INPUT, parts[i].field, "subject attribute is not acceptable"), NULL;
		}
	}
	return name;
fail:
	cf_err_set(e, CF_E_INTERNAL, "subject", "out of memory");
	return NULL;
}

static int push_ext(STACK_OF(X509_EXTENSION) * exts, int nid, int crit, void *value)
{
	X509_EXTENSION *ext = X509V3_EXT_i2d(nid, crit, value);
	if (ext == NULL || !sk_X509_EXTENSION_push(exts, ext)) {
		X509_EXTENSION_free(ext);
		return 0;
	}
	return 1;
}

static GENERAL_NAMES *san_names(const cf_strv *san, cf_err *e)
{
	GENERAL_NAMES *names = GENERAL_NAMES_new();
	for (size_t i = 0; names && i < san->n; i++) {
		const char *s = san->v[i];
		GENERAL_NAME *gn = NULL;
		if (strncmp(s, "DNS:", 4) == 0) {
			ASN1_IA5STRING *ia5 = ASN1_IA5STRING_new();
			if (ia5 == NULL || !ASN1_STRING_set(ia5, s + 4, -1)) {
				ASN1_IA5STRING_free(ia5);
				goto fail;
			}
			gn = GENERAL_NAME_new();
			if (gn == NULL) {
				ASN1_IA5STRING_free(ia5);
				goto fail;
			}
			GENERAL_NAME_set0_value(gn, GEN_DNS, ia5);
		} else if (strncmp(s, "IP:", 3) == 0) {
			ASN1_OCTET_STRING *ip = a2i_IPADDRESS(s + 3);
			if (ip == NULL) {
				ERR_clear_error();
				cf_err_set(e, CF_E_INPUT, s + 3, "not an IP address");
				GENERAL_NAMES_free(names);
				return NULL;
			}
			gn = GENERAL_NAME_new();
			if (gn == NULL) {
				ASN1_OCTET_STRING_free(ip);
				goto fail;
			}
			GENERAL_NAME_set0_value(gn, GEN_IPADD, ip);
		} else {
			cf_err_set(e, CF_E_INPUT, s, "subject alternative names must be DNS: or IP: entries");
			GENERAL_NAMES_free(names);
			return NULL;
		}
		if (!sk_GENERAL_NAME_push(names, gn)) {
			GENERAL_NAME_free(gn);
			goto fail;
		}
	}
	if (names != NULL)
		return names;
fail:
	GENERAL_NAMES_free(names);
	cf_err_set(e, CF_E_INTERNAL, "subjectAltName", "out of memory");
	return NULL;
}

STACK_OF(X509_EXTENSION) * cf_spec_exts(const cf_reqspec *spec, cf_err *e)
{
	STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();
	BASIC_CONSTRAINTS *bc = BASIC_CONSTRAINTS_new();
	ASN1_BIT_STRING *ku = NULL;
	EXTENDED_KEY_USAGE *eku = NULL;
	GENERAL_NAMES *san = NULL;

	if (exts == NULL || bc == NULL)
		goto fail;
	bc->ca = spec->ca ? 0xff : 0;
	if (!push_ext(exts, NID_basic_constraints, 1, bc))
		goto fail;
	if (spec->ku != 0) {
		if ((ku = ASN1_BIT_STRING_new()) == NULL)
			goto fail;
		for (int bit = 0; bit < 9; bit++)
			if ((spec->ku & (1u << bit)) && !ASN1_BIT_STRING_set_bit(ku, bit, 1))
				goto fail;
		if (!push_ext(exts, NID_key_usage, 1, ku))
			goto fail;
	}
	if (spec->eku != 0) {
		static const int nids[] = {NID_server_auth, NID_client_auth, NID_ipsecEndSystem, NID_OCSP_sign};
		if ((eku = sk_ASN1_OBJECT_new_null()) == NULL)
			goto fail;
		for (unsigned i = 0; i < 4; i++)
			if ((spec->eku & (1u << i)) && !sk_ASN1_OBJECT_push(eku, OBJ_nid2obj(nids[i])))
				goto fail;
		if (!push_ext(exts, NID_ext_key_usage, 0, eku))
			goto fail;
	}
	if (spec->san != NULL && spec->san->n > 0) {
		if ((san = san_names(spec->san, e)) == NULL)
			goto out_err;
		if (!push_ext(exts, NID_subject_alt_name, 0, san))
			goto fail;
	}
	BASIC_CONSTRAINTS_free(bc);
	ASN1_BIT_STRING_free(ku);
	sk_ASN1_OBJECT_free(eku);
	GENERAL_NAMES_free(san);
	return exts;
fail:
	cf_ossl_err(e, CF_E_INTERNAL, "extensions", "cannot build the extensions");
out_err:
	BASIC_CONSTRAINTS_free(bc);
	ASN1_BIT_STRING_free(ku);
	sk_ASN1_OBJECT_free(eku);
	GENERAL_NAMES_free(san);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	return NULL;
}

/* ---- the request object ------------------------------------------------------------------ */

/* A request owning der (malloc'ed, len bytes) and req (NULL: decoded on first use). NULL when
 * out of memory, having freed both. */
static cf_csr *csr_new(uint8_t *der, size_t len, X509_REQ *req)
{
	cf_csr *csr = calloc(1, sizeof(*csr));
	if (csr == NULL) {
		free(der);
		X509_REQ_free(req);
		return NULL;
	}
	atomic_init(&csr->req, req);
	csr->der = der;
	csr->der_len = len;
	csr->walked = cf_csrder_split(der, len, &csr->d) && csr->d.len == len;
	return csr;
}

/* Wraps an X509_REQ (taken; freed on failure) with its DER. */
static cf_csr *csr_wrap(X509_REQ *req)
{
	unsigned char *der = NULL;
	int n = i2d_X509_REQ(req, &der);
	uint8_t *copy = n > 0 ? malloc((size_t)n) : NULL;
	if (copy == NULL) {
		OPENSSL_free(der);
		X509_REQ_free(req);
		return NULL;
	}
	memcpy(copy, der, (size_t)n);
	OPENSSL_free(der);
	return csr_new(copy, (size_t)n, req);
}

/* The OpenSSL form of csr (borrowed), decoded from its DER the first time something needs it;
 * safe from several threads at once. NULL when OpenSSL does not accept the DER. */
static X509_REQ *csr_req(const cf_csr *csr)
{
	cf_csr *cache = (cf_csr *)csr; /* the decoded form is a cache, not part of the value */
	X509_REQ *req = atomic_load_explicit(&cache->req, memory_order_acquire), *expected = NULL;
	if (req != NULL)
		return req;
	const unsigned char *p = csr->der;
	ERR_set_mark();
	req = d2i_X509_REQ(NULL, &p, (long)csr->der_len);
	ERR_pop_to_mark();
	if (req == NULL)
		return NULL;
	if (atomic_compare_exchange_strong_explicit(&cache->req, &expected, req, memory_order_acq_rel,
						    memory_order_acquire))
		return req;
	X509_REQ_free(req); /* another thread decoded it first */
	return expected;
}

cf_code cf_csr_create(const cf_reqspec *spec, const cf_key *key, cf_csr **out, cf_err *e)
{
	X509_REQ *req = X509_REQ_new();
	X509_NAME *name = NULL;
	STACK_OF(X509_EXTENSION) *exts = NULL;
	cf_err local;
	cf_err *err = e ? e : &local; /* the spec helpers' codes are needed even without e */
	const EVP_MD *md = cf_spec_md(spec, err);
	cf_code rc = CF_E_INTERNAL;

	if (req == NULL)
		goto out;
	if (md == NULL || (name = cf_spec_name(spec, err)) == NULL || (exts = cf_spec_exts(spec, err)) == NULL) {
		rc = err->code;
		goto out;
	}
	if (!X509_REQ_set_version(req, X509_REQ_VERSION_1) || !X509_REQ_set_subject_name(req, name) ||
	    !X509_REQ_set_pubkey(req, key->pkey) || !X509_REQ_add_extensions(req, exts) ||
	    X509_REQ_sign(req, key->pkey, md) <= 0) {
		rc = cf_ossl_err(e, CF_E_INTERNAL, "CSR", "cannot build the request");
		goto out;
	}
	if ((*out = csr_wrap(req)) == NULL) {
		rc = cf_err_set(e, CF_E_INTERNAL, "CSR", "out of memory");
		goto out;
	}
	req = NULL;
	rc = CF_OK;
out:
	X509_REQ_free(req);
	X509_NAME_free(name);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	return rc;
}

static bool is_request_label(const char *label)
{
	return strcmp(label, "CERTIFICATE REQUEST") == 0 || strcmp(label, "NEW CERTIFICATE REQUEST") == 0;
}

/* The request in buf as the walker reads it, without OpenSSL's parser: DER, or PEM whose first
 * block is a request (at the start of a line). NULL for anything else, which OpenSSL's parser
 * then reads (it has the last word on what is not in the walker's subset, and says why). */
static cf_csr *walk_request(const uint8_t *buf, size_t len)
{
	cf_csrder d;
	if (len > 0 && buf[0] == 0x30) {
		uint8_t *der = cf_csrder_split(buf, len, &d) && d.len == len ? malloc(len) : NULL;
		if (der == NULL)
			return NULL;
		memcpy(der, buf, len);
		return csr_new(der, len, NULL);
	}
	cf_pem_block *blocks = NULL;
	long n = cf_pem_blocks((const char *)buf, len, &blocks);
	const char *begin = n > 0 ? blocks[0].body - strlen(blocks[0].label) - 16 : NULL; /* "-----BEGIN L-----" */
	size_t dlen = 0;
	uint8_t *der = NULL;
	if (begin != NULL && is_request_label(blocks[0].label) && (begin == (const char *)buf || begin[-1] == '\n'))
		der = cf_pem_decode(&blocks[0], &dlen);
	free(blocks);
	if (der == NULL || !cf_csrder_split(der, dlen, &d) || d.len != dlen) {
		free(der);
		return NULL;
	}
	return csr_new(der, dlen, NULL);
}

cf_code cf_csr_parse(const char *name, const uint8_t *buf, size_t len, cf_csr **out, cf_err *e)
{
	if ((*out = walk_request(buf, len)) != NULL)
		return CF_OK;
	X509_REQ *req = NULL;
	bool pem = memmem(buf, len, "-----BEGIN", 10) != NULL;
	if (len > 0 && buf[0] == 0x30) { /* DER (a PEM marker inside it may be part of a name) */
		const unsigned char *p = buf;
		req = d2i_X509_REQ(NULL, &p, (long)len);
		if (req != NULL && p != buf + len) {
			X509_REQ_free(req);
			req = NULL;
			if (!pem) {
				ERR_clear_error();
				return cf_err_set(e, CF_E_INPUT, name, "trailing data after the DER request");
			}
		}
	}
	if (req == NULL && pem) {
		if (memmem(buf, len, "CERTIFICATE REQUEST-----", 24) == NULL) {
			ERR_clear_error();
			if (memmem(buf, len, "BEGIN CERTIFICATE-----", 22) != NULL)
				return cf_err_set(e, CF_E_INPUT, name, "is a certificate, not a certificate request");
			return cf_err_set(e, CF_E_INPUT, name, "no PEM certificate request found");
		}
		BIO *b = BIO_new_mem_buf(buf, (int)len);
		req = b ? PEM_read_bio_X509_REQ(b, NULL, NULL, NULL) : NULL;
		BIO_free(b);
	}
	ERR_clear_error();
	if (req == NULL)
		return cf_err_set(e, CF_E_INPUT, name, "not a certificate request: damaged, truncated or garbage");
	if ((*out = csr_wrap(req)) == NULL)
		return cf_err_set(e, CF_E_INTERNAL, name, "out of memory");
	return CF_OK;
}

char *cf_csr_pem(const cf_csr *csr)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data = NULL, *out = NULL;
	/* what PEM_write_bio_X509_REQ writes, from the DER it would encode */
	if (b != NULL && PEM_write_bio(b, PEM_STRING_X509_REQ, "", csr->der, (long)csr->der_len) > 0) {
		long n = BIO_get_mem_data(b, &data);
		out = strndup(data, (size_t)n);
	}
	BIO_free(b);
	return out;
}

uint8_t *cf_csr_der(const cf_csr *csr, size_t *len)
{
	uint8_t *out = malloc(csr->der_len);
	if (out != NULL)
		memcpy(out, csr->der, csr->der_len);
	*len = csr->der_len;
	return out;
}

/* The pieces facts are read from: the subject, the requested extensions and the signature
 * algorithm. */
typedef struct csr_pieces {
	const X509_NAME *subject;
	X509_NAME *own_subject;
	STACK_OF(X509_EXTENSION) * exts;
	int sig_nid;
} csr_pieces;

static bool consumed(const unsigned char *p, const cf_der *piece)
{
	return p == piece->p + piece->len;
}

static bool pieces_walked(const cf_csrder *d, csr_pieces *pc)
{
	const unsigned char *p = d->subject.p;
	if ((pc->own_subject = d2i_X509_NAME(NULL, &p, (long)d->subject.len)) == NULL || !consumed(p, &d->subject))
		return false;
	pc->subject = pc->own_subject;
	p = d->exts.p;
	if (d->exts.len > 0
		    ? (pc->exts = d2i_X509_EXTENSIONS(NULL, &p, (long)d->exts.len)) == NULL || !consumed(p, &d->exts)
		    : (pc->exts = sk_X509_EXTENSION_new_null()) == NULL)
		return false;
	p = d->sig_alg.p;
	ASN1_OBJECT *sig = d2i_ASN1_OBJECT(NULL, &p, (long)d->sig_alg.len);
	pc->sig_nid = sig != NULL && consumed(p, &d->sig_alg) ? OBJ_obj2nid(sig) : -1;
	ASN1_OBJECT_free(sig);
	return pc->sig_nid != -1;
}

static void pieces_free(csr_pieces *pc)
{
	X509_NAME_free(pc->own_subject);
	sk_X509_EXTENSION_pop_free(pc->exts, X509_EXTENSION_free);
	memset(pc, 0, sizeof(*pc));
}

/* The pieces, decoded one by one from the walked request with the functions d2i_X509_REQ and
 * X509_REQ_get_extensions would use on them (the key is not decoded), or else taken from
 * OpenSSL's form. False when neither works. */
static bool pieces(const cf_csr *csr, csr_pieces *pc)
{
	memset(pc, 0, sizeof(*pc));
	ERR_set_mark();
	bool ok = csr->walked && pieces_walked(&csr->d, pc);
	if (!ok) {
		pieces_free(pc);
		X509_REQ *req = csr_req(csr);
		if (req != NULL) {
			pc->subject = X509_REQ_get_subject_name(req);
			pc->exts = X509_REQ_get_extensions(req);
			pc->sig_nid = X509_REQ_get_signature_nid(req);
			ok = true;
		}
	}
	ERR_pop_to_mark();
	return ok;
}

cf_code cf_csr_facts(const cf_csr *csr, cf_facts *out, cf_err *e)
{
	cf_facts f = {0};
	csr_pieces pc;
	if (!pieces(csr, &pc))
		return cf_err_set(e, CF_E_INPUT, "CSR", "does not parse (OpenSSL rejects its DER)");
	cf_code rc = cf_facts_subject(pc.subject, &f, e);
	if (rc == CF_OK) {
		f.issuer = strdup("");
		f.serial = strdup("");
		if (!csr->walked || !cf_facts_spki(&csr->d.key, &f)) {
			X509_REQ *req = csr_req(csr);
			cf_facts_key(req ? X509_REQ_get0_pubkey(req) : NULL, &f);
		}
		cf_sigalg_hash_name(pc.sig_nid, f.sig_hash);
		rc = cf_facts_exts(pc.exts, &f, e);
	}
	pieces_free(&pc);
	ERR_clear_error();
	if (rc != CF_OK) {
		cf_facts_free(&f);
		cf_err_subject(e, "CSR");
		return rc;
	}
	if (f.subject == NULL || f.issuer == NULL || f.serial == NULL) {
		cf_facts_free(&f);
		return cf_err_set(e, CF_E_INTERNAL, "CSR", "out of memory");
	}
	*out = f;
	return CF_OK;
}

bool cf_csr_verify(const cf_csr *csr)
{
	const cf_sigalg *a = csr->walked ? cf_sigalg_find(&csr->d.sig_alg) : NULL;
	if (a != NULL) {
		EVP_PKEY *pk = cf_sigalg_spki_key(&csr->d.key);
		if (pk != NULL) {
			bool ok = cf_sigalg_verify(a, pk, &csr->d.signature, &csr->d.info);
			EVP_PKEY_free(pk);
			return ok;
		}
	}
	X509_REQ *req = csr_req(csr);
	EVP_PKEY *pk = req ? X509_REQ_get0_pubkey(req) : NULL;
	bool ok = pk != NULL && X509_REQ_verify(req, pk) == 1;
	ERR_clear_error();
	return ok;
}

void cf_csr_free(cf_csr *csr)
{
	if (csr == NULL)
		return;
	X509_REQ_free(atomic_load(&csr->req));
	free(csr->der);
	free(csr);
}
