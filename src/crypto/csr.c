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
	cf_csr *csr = calloc(1, sizeof(*csr));
	if (csr == NULL) {
		rc = cf_err_set(e, CF_E_INTERNAL, "CSR", "out of memory");
		goto out;
	}
	csr->req = req;
	req = NULL;
	*out = csr;
	rc = CF_OK;
out:
	X509_REQ_free(req);
	X509_NAME_free(name);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	return rc;
}

cf_code cf_csr_parse(const char *name, const uint8_t *buf, size_t len, cf_csr **out, cf_err *e)
{
	X509_REQ *req = NULL;
	if (memmem(buf, len, "-----BEGIN", 10) != NULL) {
		if (memmem(buf, len, "CERTIFICATE REQUEST-----", 24) == NULL) {
			if (memmem(buf, len, "BEGIN CERTIFICATE-----", 22) != NULL)
				return cf_err_set(e, CF_E_INPUT, name, "is a certificate, not a certificate request");
			return cf_err_set(e, CF_E_INPUT, name, "no PEM certificate request found");
		}
		BIO *b = BIO_new_mem_buf(buf, (int)len);
		req = b ? PEM_read_bio_X509_REQ(b, NULL, NULL, NULL) : NULL;
		BIO_free(b);
	} else {
		const unsigned char *p = buf;
		req = d2i_X509_REQ(NULL, &p, (long)len);
		if (req != NULL && p != buf + len) {
			X509_REQ_free(req);
			ERR_clear_error();
			return cf_err_set(e, CF_E_INPUT, name, "trailing data after the DER request");
		}
	}
	ERR_clear_error();
	if (req == NULL)
		return cf_err_set(e, CF_E_INPUT, name, "not a certificate request: damaged, truncated or garbage");
	cf_csr *csr = calloc(1, sizeof(*csr));
	if (csr == NULL) {
		X509_REQ_free(req);
		return cf_err_set(e, CF_E_INTERNAL, name, "out of memory");
	}
	csr->req = req;
	*out = csr;
	return CF_OK;
}

char *cf_csr_pem(const cf_csr *csr)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data = NULL, *out = NULL;
	if (b != NULL && PEM_write_bio_X509_REQ(b, csr->req)) {
		long n = BIO_get_mem_data(b, &data);
		out = strndup(data, (size_t)n);
	}
	BIO_free(b);
	return out;
}

uint8_t *cf_csr_der(const cf_csr *csr, size_t *len)
{
	unsigned char *der = NULL;
	int n = i2d_X509_REQ(csr->req, &der);
	if (n <= 0)
		return NULL;
	uint8_t *out = malloc((size_t)n);
	if (out != NULL)
		memcpy(out, der, (size_t)n);
	OPENSSL_free(der);
	*len = (size_t)n;
	return out;
}

cf_code cf_csr_facts(const cf_csr *csr, cf_facts *out, cf_err *e)
{
	cf_facts f = {0};
	cf_code rc = cf_facts_subject(X509_REQ_get_subject_name(csr->req), &f, e);
	if (rc != CF_OK) {
		cf_facts_free(&f);
		cf_err_subject(e, "CSR");
		return rc;
	}
	f.issuer = strdup("");
	f.serial = strdup("");
	cf_facts_key(X509_REQ_get0_pubkey(csr->req), &f);
	int md = NID_undef, pk = NID_undef;
	int sig = X509_REQ_get_signature_nid(csr->req);
	const char *sn = OBJ_find_sigid_algs(sig, &md, &pk) ? OBJ_nid2sn(md) : OBJ_nid2sn(sig);
	snprintf(f.sig_hash, sizeof(f.sig_hash), "%s", sn ? sn : "unknown");
	for (char *p = f.sig_hash; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	STACK_OF(X509_EXTENSION) *exts = X509_REQ_get_extensions(csr->req);
	rc = cf_facts_exts(exts, &f, e);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
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
	EVP_PKEY *pk = X509_REQ_get0_pubkey(csr->req);
	bool ok = pk != NULL && X509_REQ_verify(csr->req, pk) == 1;
	ERR_clear_error();
	return ok;
}

void cf_csr_free(cf_csr *csr)
{
	if (csr == NULL)
		return;
	X509_REQ_free(csr->req);
	free(csr);
}
