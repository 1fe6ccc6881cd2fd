/* Private keys: generation, parsing of unencrypted PEM, PKCS#8 export for the store. */
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto_int.h"

static const struct {
	const char *alias, *curve;
	int bits;
} curves[] = {
	{"prime256v1", "prime256v1", 256}, {"P-256", "prime256v1", 256},    {"secp384r1", "secp384r1", 384},
	{"P-384", "secp384r1", 384},	   {"secp521r1", "secp521r1", 521}, {"P-521", "secp521r1", 521},
};

cf_code cf_keyspec_parse(const char *text, cf_keyspec *out, cf_err *e)
{
	cf_keyspec ks = {0};
	if (strncmp(text, "rsa:", 4) == 0) {
		const char *b = text + 4;
		long bits = strspn(b, "0123456789") == strlen(b) && b[0] != '0' ? strtol(b, NULL, 10) : 0;
		if (bits != 2048 && bits != 3072 && bits != 4096 && bits != 8192)
			return cf_err_set(e, CF_E_INPUT, "--key",
					  "RSA key size must be 2048, 3072, 4096 or 8192, not \"%s\"", text + 4);
		ks.type = CF_KEY_RSA;
		ks.bits = (int)bits;
	} else if (strncmp(text, "ec:", 3) == 0) {
		for (size_t i = 0; i < sizeof(curves) / sizeof(curves[0]); i++) {
			if (strcmp(text + 3, curves[i].alias) == 0) {
				ks.type = CF_KEY_EC;
				ks.bits = curves[i].bits;
				snprintf(ks.curve, sizeof(ks.curve), "%s", curves[i].curve);
			}
		}
		if (ks.type != CF_KEY_EC)
			return cf_err_set(e, CF_E_INPUT, "--key",
					  "EC curve must be prime256v1, secp384r1 or secp521r1, not \"%s\"", text + 3);
	} else {
		return cf_err_set(e, CF_E_INPUT, "--key", "expected rsa:BITS or ec:CURVE, not \"%s\"", text);
	}
	*out = ks;
	return CF_OK;
}

cf_code cf_hash_check(const char *hash, cf_err *e)
{
	if (strcmp(hash, "sha256") == 0 || strcmp(hash, "sha384") == 0 || strcmp(hash, "sha512") == 0)
		return CF_OK;
	if (strcmp(hash, "sha1") == 0)
		return cf_err_set(e, CF_E_INPUT, "--hash", "SHA-1 is refused; use sha256, sha384 or sha512");
	return cf_err_set(e, CF_E_INPUT, "--hash", "expected sha256, sha384 or sha512, not \"%s\"", hash);
}

cf_code cf_key_generate(const cf_keyspec *spec, cf_key **out, cf_err *e)
{
	EVP_PKEY *pk = NULL;
	if (spec->type == CF_KEY_RSA)
		pk = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)spec->bits);
	else if (spec->type == CF_KEY_EC)
		pk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", spec->curve);
	if (pk == NULL)
		return cf_ossl_err(e, CF_E_INTERNAL, "key generation", "cannot generate a key");
	cf_key *k = calloc(1, sizeof(*k));
	if (k == NULL) {
		EVP_PKEY_free(pk);
		return cf_err_set(e, CF_E_INTERNAL, "key generation", "out of memory");
	}
	k->pkey = pk;
	*out = k;
	return CF_OK;
}

cf_code cf_key_parse(const char *name, const uint8_t *buf, size_t len, cf_key **out, cf_err *e)
{
	const char *text = (const char *)buf;
	if (memmem(text, len, "ENCRYPTED", 9) != NULL)
		return cf_err_set(e, CF_E_INPUT, name, "private key is encrypted; give an unencrypted PEM key");
	if (memmem(text, len, "-----BEGIN", 10) == NULL || memmem(text, len, "PRIVATE KEY-----", 16) == NULL)
		return cf_err_set(e, CF_E_INPUT, name, "not a PEM private key");
	BIO *b = BIO_new_mem_buf(buf, (int)len);
	EVP_PKEY *pk = b ? PEM_read_bio_PrivateKey_ex(b, NULL, NULL, (void *)"", NULL, NULL) : NULL;
	BIO_free(b);
	ERR_clear_error(); /* the reasons could only describe the key's bytes */
	if (pk == NULL)
		return cf_err_set(e, CF_E_INPUT, name, "private key does not parse (truncated or damaged PEM)");
	cf_key *k = calloc(1, sizeof(*k));
	if (k == NULL) {
		EVP_PKEY_free(pk);
		return cf_err_set(e, CF_E_INTERNAL, name, "out of memory");
	}
	k->pkey = pk;
	*out = k;
	return CF_OK;
}

char *cf_key_pem(const cf_key *key)
{
	BIO *b = BIO_new(BIO_s_secmem());
	char *data = NULL, *out = NULL;
	if (b == NULL)
		return NULL;
	if (PEM_write_bio_PKCS8PrivateKey(b, key->pkey, NULL, NULL, 0, NULL, NULL)) {
		long n = BIO_get_mem_data(b, &data);
		out = malloc((size_t)n + 1);
		if (out != NULL) {
			memcpy(out, data, (size_t)n);
			out[n] = '\0';
		}
	}
	BIO_free(b);
	return out;
}

cf_keytype cf_key_type(const cf_key *key)
{
	if (EVP_PKEY_is_a(key->pkey, "RSA"))
		return CF_KEY_RSA;
	if (EVP_PKEY_is_a(key->pkey, "EC"))
		return CF_KEY_EC;
	return CF_KEY_OTHER;
}

void cf_key_spki_sha256(const cf_key *key, char out[static 65])
{
	cf_facts f = {0};
	cf_facts_key(key->pkey, &f);
	memcpy(out, f.spki_sha256, 65);
}

bool cf_key_matches_cert(const cf_key *key, const cf_cert *c)
{
	X509 *x = cf_cert_x(c);
	EVP_PKEY *pub = x ? X509_get0_pubkey(x) : NULL;
	return pub != NULL && EVP_PKEY_eq(key->pkey, pub) == 1;
}

void cf_key_free(cf_key *key)
{
	if (key == NULL)
		return;
	EVP_PKEY_free(key->pkey);
	free(key);
}
