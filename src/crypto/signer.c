/* The signer interface and its in-process backend (an EVP private key in this process). */
#include <openssl/err.h>
#include <openssl/objects.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto_int.h"
#include "crypto/signer.h"

struct cf_signer {
	const cf_signer_ops *ops;
	void *ctx;
	uint8_t *alg;
	size_t alg_len, max_sig;
};

cf_signer *cf_signer_new(const cf_signer_ops *ops, void *ctx, const uint8_t *alg_der, size_t alg_len, size_t max_sig)
{
	cf_signer *s = calloc(1, sizeof(*s));
	uint8_t *alg = malloc(alg_len);
	if (!s || !alg) {
		free(s);
		free(alg);
		return NULL;
	}
	memcpy(alg, alg_der, alg_len);
	*s = (cf_signer){.ops = ops, .ctx = ctx, .alg = alg, .alg_len = alg_len, .max_sig = max_sig};
	return s;
}

void cf_signer_free(cf_signer *s)
{
	if (!s)
		return;
	if (s->ops->free)
		s->ops->free(s->ctx);
	free(s->alg);
	free(s);
}

const char *cf_signer_backend(const cf_signer *s)
{
	return s->ops->name;
}

const uint8_t *cf_signer_alg(const cf_signer *s, size_t *len)
{
	*len = s->alg_len;
	return s->alg;
}

cf_code cf_signer_sign(const cf_signer *s, const uint8_t *tbs, size_t len, uint8_t **sig, size_t *sig_len, cf_err *e)
{
	uint8_t *buf = malloc(s->max_sig);
	size_t n = s->max_sig;
	if (!buf)
		return cf_err_set(e, CF_E_INTERNAL, "signer", "out of memory");
	cf_code rc = s->ops->sign(s->ctx, tbs, len, buf, &n, e);
	if (rc != CF_OK) {
		free(buf);
		return rc;
	}
	*sig = buf;
	*sig_len = n;
	return CF_OK;
}

size_t cf_der_len_octets(size_t n, uint8_t out[static 5])
{
	if (n < 0x80) {
		out[0] = (uint8_t)n;
		return 1;
	}
	size_t k = 0;
	for (size_t v = n; v; v >>= 8)
		k++;
	out[0] = (uint8_t)(0x80 | k);
	for (size_t i = 0; i < k; i++)
		out[1 + i] = (uint8_t)(n >> (8 * (k - 1 - i)));
	return 1 + k;
}

cf_code cf_signer_wrap(const cf_signer *s, const uint8_t *tbs, size_t len, uint8_t **der, size_t *der_len, cf_err *e)
{
	uint8_t *sig = NULL, bl[5], sl[5];
	size_t sig_len = 0;
	cf_code rc = cf_signer_sign(s, tbs, len, &sig, &sig_len, e);
	if (rc != CF_OK)
		return rc;
	size_t bn = cf_der_len_octets(sig_len + 1, bl);
	size_t body = len + s->alg_len + 1 + bn + sig_len + 1;
	size_t sn = cf_der_len_octets(body, sl);
	uint8_t *out = malloc(1 + sn + body), *p = out;
	if (!out) {
		free(sig);
		return cf_err_set(e, CF_E_INTERNAL, "signer", "out of memory");
	}
	*p++ = 0x30;
	memcpy(p, sl, sn), p += sn;
	memcpy(p, tbs, len), p += len;
	memcpy(p, s->alg, s->alg_len), p += s->alg_len;
	*p++ = 0x03;
	memcpy(p, bl, bn), p += bn;
	*p++ = 0x00; /* no unused bits */
	memcpy(p, sig, sig_len), p += sig_len;
	free(sig);
	*der = out;
	*der_len = (size_t)(p - out);
	return CF_OK;
}

/* ---- in-process backend ---- */

typedef struct local_signer {
	EVP_PKEY *pkey;
	EVP_MD *md; /* fetched once: a fetch per signature takes the provider store's locks */
} local_signer;

static cf_code local_sign(void *ctx, const uint8_t *tbs, size_t len, uint8_t *sig, size_t *sig_len, cf_err *e)
{
	local_signer *ls = ctx;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	cf_code rc = CF_OK;
	if (!md || EVP_DigestSignInit(md, NULL, ls->md, NULL, ls->pkey) != 1 ||
	    EVP_DigestSign(md, sig, sig_len, tbs, len) != 1)
		rc = cf_ossl_err(e, CF_E_INTERNAL, "signer", "signing failed");
	EVP_MD_CTX_free(md);
	return rc;
}

static void local_free(void *ctx)
{
	local_signer *ls = ctx;
	if (!ls)
		return;
	EVP_PKEY_free(ls->pkey);
	EVP_MD_free(ls->md);
	free(ls);
}

static const cf_signer_ops local_ops = {.name = "in-process", .sign = local_sign, .free = local_free};

cf_code cf_signer_local_new(const cf_key *key, const char *hash, cf_signer **out, cf_err *e)
{
	if (!hash)
		hash = "sha256";
	cf_code rc = cf_hash_check(hash, e);
	if (rc != CF_OK)
		return rc;
	int md_nid = OBJ_txt2nid(hash), pk_nid = EVP_PKEY_get_base_id(key->pkey), sig_nid = NID_undef;
	if (pk_nid != EVP_PKEY_RSA && pk_nid != EVP_PKEY_EC)
		return cf_err_set(e, CF_E_INPUT, "signer", "only RSA and EC keys can sign here");
	if (!OBJ_find_sigid_by_algs(&sig_nid, md_nid, pk_nid))
		return cf_err_set(e, CF_E_INTERNAL, "signer", "no signature algorithm for %s", hash);
	/* RSA PKCS#1 v1.5 carries NULL parameters; ECDSA none (RFC 5758 3.2). */
	X509_ALGOR *alg = X509_ALGOR_new();
	unsigned char *der = NULL;
	int der_len = -1;
	if (alg &&
	    X509_ALGOR_set0(alg, OBJ_nid2obj(sig_nid), pk_nid == EVP_PKEY_RSA ? V_ASN1_NULL : V_ASN1_UNDEF, NULL))
		der_len = i2d_X509_ALGOR(alg, &der);
	X509_ALGOR_free(alg);
	local_signer *ls = calloc(1, sizeof(*ls));
	if (der_len <= 0 || !ls) {
		OPENSSL_free(der);
		free(ls);
		return cf_ossl_err(e, CF_E_INTERNAL, "signer", "cannot set up the signer");
	}
	if ((ls->md = EVP_MD_fetch(NULL, hash, NULL)) == NULL) {
		OPENSSL_free(der);
		free(ls);
		return cf_ossl_err(e, CF_E_INTERNAL, "signer", "no digest for the signer");
	}
	EVP_PKEY_up_ref(key->pkey);
	ls->pkey = key->pkey;
	cf_signer *s = cf_signer_new(&local_ops, ls, der, (size_t)der_len, (size_t)EVP_PKEY_get_size(key->pkey));
	OPENSSL_free(der);
	if (!s) {
		local_free(ls);
		return cf_err_set(e, CF_E_INTERNAL, "signer", "out of memory");
	}
	*out = s;
	return CF_OK;
}
