/* JWS for ACME (see jws.h). */
#include "crypto/jws.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto_int.h"
#include "util/b64url.h"
#include "util/secret.h"

#define P256_BYTES 32

/* Whether k is an EC key on P-256 (*ec) or an RSA key (*rsa_bits set). */
static bool key_kind(const cf_key *k, bool *ec, int *rsa_bits)
{
	EVP_PKEY *pk = k != NULL ? k->pkey : NULL;
	*ec = false;
	*rsa_bits = 0;
	if (pk == NULL)
		return false;
	if (EVP_PKEY_is_a(pk, "EC")) {
		char group[64] = "";
		size_t len = 0;
		*ec = EVP_PKEY_get_utf8_string_param(pk, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group), &len) == 1 &&
		      strcmp(group, "prime256v1") == 0;
		return *ec;
	}
	if (EVP_PKEY_is_a(pk, "RSA")) {
		*rsa_bits = EVP_PKEY_get_bits(pk);
		return *rsa_bits >= 2048;
	}
	return false;
}

cf_code cf_jws_alg(const cf_key *k, const char **alg, cf_err *e)
{
	bool ec = false;
	int bits = 0;
	if (key_kind(k, &ec, &bits)) {
		*alg = ec ? "ES256" : "RS256";
		return CF_OK;
	}
	if (bits > 0)
		return cf_err_set(e, CF_E_INPUT, "account key", "an RSA key of %d bits; ACME needs 2048 or more", bits);
	return cf_err_set(e, CF_E_INPUT, "account key", "an ACME account key is EC P-256 or RSA (2048 bits or more)");
}

/* The BIGNUM parameter name of k as base64url of its big-endian bytes, left-padded to pad bytes
 * (0: no padding, no leading zeros). */
static char *bn_b64url(const EVP_PKEY *pk, const char *name, int pad)
{
	BIGNUM *bn = NULL;
	char *out = NULL;
	if (EVP_PKEY_get_bn_param(pk, name, &bn) != 1)
		return NULL;
	int n = pad > 0 ? pad : BN_num_bytes(bn);
	uint8_t *b = malloc((size_t)(n > 0 ? n : 1));
	if (b != NULL && (pad > 0 ? BN_bn2binpad(bn, b, n) : BN_bn2bin(bn, b)) == n)
		out = cf_b64url_encode(b, (size_t)n);
	free(b);
	BN_free(bn);
	return out;
}

char *cf_jws_jwk(const cf_key *k)
{
	bool ec = false;
	int bits = 0;
	if (!key_kind(k, &ec, &bits))
		return NULL;
	const char *n1 = ec ? OSSL_PKEY_PARAM_EC_PUB_X : OSSL_PKEY_PARAM_RSA_E;
	const char *n2 = ec ? OSSL_PKEY_PARAM_EC_PUB_Y : OSSL_PKEY_PARAM_RSA_N;
	char *a = bn_b64url(k->pkey, n1, ec ? P256_BYTES : 0), *b = bn_b64url(k->pkey, n2, ec ? P256_BYTES : 0);
	char *out = NULL;
	if (a != NULL && b != NULL) {
		size_t len = strlen(a) + strlen(b) + 64;
		if ((out = malloc(len)) != NULL) {
			if (ec)
				snprintf(out, len, "{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"%s\",\"y\":\"%s\"}", a,
					 b);
			else
				snprintf(out, len, "{\"e\":\"%s\",\"kty\":\"RSA\",\"n\":\"%s\"}", a, b);
		}
	}
	free(a);
	free(b);
	return out;
}

bool cf_jws_thumbprint(const cf_key *k, char out[static CF_JWS_THUMBPRINT_LEN + 1])
{
	char *jwk = cf_jws_jwk(k), *text = NULL;
	uint8_t md[32];
	unsigned int md_len = 0;
	bool ok = jwk != NULL && EVP_Digest(jwk, strlen(jwk), md, &md_len, cf_sha256(), NULL) == 1 &&
		  md_len == sizeof(md) && (text = cf_b64url_encode(md, sizeof(md))) != NULL;
	if (ok)
		memcpy(out, text, CF_JWS_THUMBPRINT_LEN + 1);
	free(text);
	free(jwk);
	return ok;
}

char *cf_jws_key_authorization(const char *token, const cf_key *k)
{
	char tp[CF_JWS_THUMBPRINT_LEN + 1];
	if (!cf_jws_thumbprint(k, tp))
		return NULL;
	size_t len = strlen(token) + sizeof(tp) + 2;
	char *out = malloc(len);
	if (out != NULL)
		snprintf(out, len, "%s.%s", token, tp);
	return out;
}

/* One DER INTEGER at *p (of the bytes up to end) as n big-endian bytes into out (leading zeros
 * dropped, then left-padded); advances *p. */
static bool der_int(const uint8_t **p, const uint8_t *end, uint8_t *out, size_t n)
{
	if (end - *p < 2 || (*p)[0] != 0x02 || (*p)[1] > 0x7f || (size_t)(end - *p - 2) < (*p)[1])
		return false;
	size_t len = (*p)[1];
	const uint8_t *v = *p + 2;
	*p = v + len;
	while (len > 0 && v[0] == 0) {
		v++;
		len--;
	}
	if (len > n)
		return false;
	memset(out, 0, n - len);
	memcpy(out + n - len, v, len);
	return true;
}

/* An ECDSA signature's DER (SEQUENCE of r and s) as R || S, 32 bytes each. */
static bool ecdsa_raw(const uint8_t *der, size_t len, uint8_t out[2 * P256_BYTES])
{
	if (len < 2 || der[0] != 0x30 || der[1] > 0x7f || (size_t)der[1] + 2 != len)
		return false;
	const uint8_t *p = der + 2, *end = der + len;
	return der_int(&p, end, out, P256_BYTES) && der_int(&p, end, out + P256_BYTES, P256_BYTES) && p == end;
}

/* "b64(protected).b64(payload)" into *input, and the two parts into *prot and *pay. */
static bool signing_input(const char *protected_json, const uint8_t *payload, size_t len, char **prot, char **pay,
			  char **input)
{
	*prot = cf_b64url_encode(protected_json, strlen(protected_json));
	*pay = cf_b64url_encode(payload != NULL ? payload : (const uint8_t *)"", payload != NULL ? len : 0);
	*input = NULL;
	if (*prot == NULL || *pay == NULL)
		return false;
	size_t n = strlen(*prot) + strlen(*pay) + 2;
	if ((*input = malloc(n)) == NULL)
		return false;
	snprintf(*input, n, "%s.%s", *prot, *pay);
	return true;
}

/* The flattened serialization of the three parts (malloc'd), or NULL. */
static char *flattened(const char *prot, const char *pay, const uint8_t *sig, size_t sig_len)
{
	char *s = cf_b64url_encode(sig, sig_len), *out = NULL;
	if (s != NULL) {
		size_t n = strlen(prot) + strlen(pay) + strlen(s) + 48;
		if ((out = malloc(n)) != NULL)
			snprintf(out, n, "{\"protected\":\"%s\",\"payload\":\"%s\",\"signature\":\"%s\"}", prot, pay,
				 s);
	}
	free(s);
	return out;
}

cf_code cf_jws_sign(const cf_key *k, const char *protected_json, const uint8_t *payload, size_t len, char **out,
		    cf_err *e)
{
	const char *alg = NULL;
	cf_code rc = cf_jws_alg(k, &alg, e);
	if (rc != CF_OK)
		return rc;
	char *prot = NULL, *pay = NULL, *input = NULL;
	uint8_t *sig = NULL, raw[2 * P256_BYTES];
	size_t sig_len = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	rc = cf_err_set(e, CF_E_INTERNAL, "jws", "the ACME request could not be signed");
	if (ctx == NULL || !signing_input(protected_json, payload, len, &prot, &pay, &input) ||
	    EVP_DigestSignInit(ctx, NULL, cf_sha256(), NULL, k->pkey) != 1 ||
	    EVP_DigestSign(ctx, NULL, &sig_len, (const uint8_t *)input, strlen(input)) != 1 ||
	    (sig = malloc(sig_len)) == NULL ||
	    EVP_DigestSign(ctx, sig, &sig_len, (const uint8_t *)input, strlen(input)) != 1)
		goto out;
	bool ec = alg[0] == 'E';
	if (ec && !ecdsa_raw(sig, sig_len, raw))
		goto out;
	if ((*out = flattened(prot, pay, ec ? raw : sig, ec ? sizeof(raw) : sig_len)) != NULL) {
		cf_err_clear(e);
		rc = CF_OK;
	}
out:
	EVP_MD_CTX_free(ctx);
	free(sig);
	free(input);
	free(prot);
	free(pay);
	return rc;
}

cf_code cf_jws_sign_hs256(const uint8_t *mac_key, size_t mac_len, const char *protected_json, const uint8_t *payload,
			  size_t len, char **out, cf_err *e)
{
	char *prot = NULL, *pay = NULL, *input = NULL;
	uint8_t mac[32];
	size_t mac_out = 0;
	cf_code rc = cf_err_set(e, CF_E_INTERNAL, "jws", "the external account binding could not be signed");
	if (mac_len == 0) {
		rc = cf_err_set(e, CF_E_INPUT, "HMAC key", "the external account binding's MAC key is empty");
		goto out;
	}
	if (!signing_input(protected_json, payload, len, &prot, &pay, &input) ||
	    EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, mac_key, mac_len, (const uint8_t *)input, strlen(input), mac,
		      sizeof(mac), &mac_out) == NULL ||
	    mac_out != sizeof(mac))
		goto out;
	if ((*out = flattened(prot, pay, mac, sizeof(mac))) != NULL) {
		cf_err_clear(e);
		rc = CF_OK;
	}
out:
	cf_secret_wipe(mac, sizeof(mac));
	free(input);
	free(prot);
	free(pay);
	return rc;
}
