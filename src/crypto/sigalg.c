/* Signatures checked straight from the signed bytes, and public keys built from a walked
 * SubjectPublicKeyInfo, both without OpenSSL's decoders (which take ≈ 100 µs and the provider
 * store's locks for every key they decode). Certificates (verify.c) and requests (csr.c) use
 * them for the common algorithms and fall back to OpenSSL's full parse for the rest. */
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/param_build.h>
#include <string.h>

#include "crypto/crypto_int.h"

static const cf_sigalg sigalgs[] = {
	{{0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b}, 11, "SHA256", EVP_PKEY_RSA},
	{{0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0c}, 11, "SHA384", EVP_PKEY_RSA},
	{{0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0d}, 11, "SHA512", EVP_PKEY_RSA},
	{{0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02}, 10, "SHA256", EVP_PKEY_EC},
	{{0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03}, 10, "SHA384", EVP_PKEY_EC},
	{{0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x04}, 10, "SHA512", EVP_PKEY_EC},
};

const cf_sigalg *cf_sigalg_find(const cf_der *oid)
{
	for (size_t i = 0; i < sizeof(sigalgs) / sizeof(sigalgs[0]); i++)
		if (oid->len == sigalgs[i].len && memcmp(oid->p, sigalgs[i].oid, oid->len) == 0)
			return &sigalgs[i];
	return NULL;
}

bool cf_sigalg_verify(const cf_sigalg *a, EVP_PKEY *pk, const cf_der *sig, const cf_der *tbs)
{
	if (pk == NULL || EVP_PKEY_get_base_id(pk) != a->key)
		return false;
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	bool ok = m != NULL && EVP_DigestVerifyInit_ex(m, NULL, a->md, NULL, NULL, pk, NULL) == 1 &&
		  EVP_DigestVerify(m, sig->p, sig->len, tbs->p, tbs->len) == 1;
	EVP_MD_CTX_free(m);
	ERR_clear_error();
	return ok;
}

void cf_sigalg_hash_name(int sig_nid, char out[16])
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

/* An RSA key from its modulus and exponent (big-endian INTEGER contents). */
static EVP_PKEY *rsa_key(const cf_der *n, const cf_der *e)
{
	EVP_PKEY *pk = NULL;
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	BIGNUM *bn = BN_bin2bn(n->p, (int)n->len, NULL), *be = BN_bin2bn(e->p, (int)e->len, NULL);
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	if (bld != NULL && bn != NULL && be != NULL && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn) &&
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, be) && (params = OSSL_PARAM_BLD_to_param(bld)) != NULL &&
	    (ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL)) != NULL && EVP_PKEY_fromdata_init(ctx) == 1 &&
	    EVP_PKEY_fromdata(ctx, &pk, EVP_PKEY_PUBLIC_KEY, params) != 1)
		pk = NULL;
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	BN_free(bn);
	BN_free(be);
	OSSL_PARAM_BLD_free(bld);
	return pk;
}

/* An EC key on a named curve from its uncompressed point (OpenSSL checks it is on the curve). */
static EVP_PKEY *ec_key(int curve_nid, const cf_der *point)
{
	EVP_PKEY *pk = NULL;
	const char *group = OBJ_nid2sn(curve_nid);
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)group, 0),
		OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, (void *)point->p, point->len),
		OSSL_PARAM_construct_end(),
	};
	EVP_PKEY_CTX *ctx = group != NULL ? EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL) : NULL;
	if (ctx != NULL &&
	    (EVP_PKEY_fromdata_init(ctx) != 1 || EVP_PKEY_fromdata(ctx, &pk, EVP_PKEY_PUBLIC_KEY, params) != 1))
		pk = NULL;
	EVP_PKEY_CTX_free(ctx);
	return pk;
}

EVP_PKEY *cf_sigalg_spki_key(const cf_spkider *k)
{
	EVP_PKEY *pk = NULL;
	ERR_set_mark();
	if (k->type == CF_KEY_RSA)
		pk = rsa_key(&k->rsa_n, &k->rsa_e);
	else if (k->type == CF_KEY_EC)
		pk = ec_key(k->curve_nid, &k->ec_point);
	ERR_pop_to_mark();
	return pk;
}
