/* scrypt password hashes (EVP_KDF "SCRYPT"). */
#include "crypto/password.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto_int.h"

#define SALT_LEN 16
#define HASH_LEN 32
#define B64_MAX 64 /* room for the base64 of up to 47 bytes */

static bool params_ok(int ln, int r, int p)
{
	return ln >= 1 && ln <= 20 && r >= 1 && r <= 32 && p >= 1 && p <= 16;
}

/* Derives HASH_LEN bytes of scrypt(password, salt, 2^ln, r, p) into out. */
static cf_code derive(const char *password, const uint8_t *salt, size_t salt_len, int ln, int r, int p,
		      uint8_t out[HASH_LEN], cf_err *e)
{
	cf_code rc = CF_OK;
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "SCRYPT", NULL);
	EVP_KDF_CTX *ctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	uint64_t n = (uint64_t)1 << ln;
	uint32_t r32 = (uint32_t)r, p32 = (uint32_t)p;
	uint64_t maxmem = (uint64_t)1 << 30;
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD, (void *)password, strlen(password)),
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt, salt_len),
		OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_N, &n),
		OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_R, &r32),
		OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_P, &p32),
		OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_MAXMEM, &maxmem),
		OSSL_PARAM_construct_end(),
	};
	if (ctx == NULL || EVP_KDF_derive(ctx, out, HASH_LEN, params) != 1)
		rc = cf_ossl_err(e, CF_E_INTERNAL, "password", "scrypt failed");
	EVP_KDF_CTX_free(ctx);
	EVP_KDF_free(kdf);
	return rc;
}

/* Decodes padded base64 of exactly want bytes; false otherwise. */
static bool b64_decode(const char *s, size_t len, uint8_t *out, size_t want)
{
	unsigned char buf[B64_MAX];
	if (len == 0 || len % 4 != 0 || len / 4 * 3 > sizeof(buf))
		return false;
	for (size_t i = 0; i < len; i++) {
		char ch = s[i];
		bool pad = ch == '=' && i >= len - 2;
		if (!pad && !((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
			      ch == '+' || ch == '/'))
			return false;
	}
	int n = EVP_DecodeBlock(buf, (const unsigned char *)s, (int)len);
	if (n < 0)
		return false;
	size_t got = (size_t)n - (s[len - 1] == '=') - (s[len - 2] == '=');
	if (got != want)
		return false;
	memcpy(out, buf, want);
	return true;
}

cf_code cf_password_hash_params(const char *password, int ln, int r, int p, char **out, cf_err *e)
{
	uint8_t salt[SALT_LEN], hash[HASH_LEN];
	unsigned char salt64[B64_MAX], hash64[B64_MAX];
	char text[256];
	if (!params_ok(ln, r, p))
		return cf_err_set(e, CF_E_INPUT, "password", "scrypt parameters out of range");
	if (RAND_bytes(salt, sizeof(salt)) != 1)
		return cf_ossl_err(e, CF_E_INTERNAL, "password", "no random salt");
	cf_code rc = derive(password, salt, sizeof(salt), ln, r, p, hash, e);
	if (rc != CF_OK)
		return rc;
	EVP_EncodeBlock(salt64, salt, sizeof(salt));
	EVP_EncodeBlock(hash64, hash, sizeof(hash));
	OPENSSL_cleanse(hash, sizeof(hash));
	snprintf(text, sizeof(text), "$scrypt$ln=%d,r=%d,p=%d$%s$%s", ln, r, p, (char *)salt64, (char *)hash64);
	char *s = strdup(text);
	if (s == NULL)
		return cf_err_set(e, CF_E_INTERNAL, "password", "out of memory");
	*out = s;
	return CF_OK;
}

cf_code cf_password_hash(const char *password, char **out, cf_err *e)
{
	return cf_password_hash_params(password, CF_PASSWORD_LN, CF_PASSWORD_R, CF_PASSWORD_P, out, e);
}

/* Reads a decimal number of 1 to 2 digits at *p followed by `end`; advances past end. */
static bool read_num(const char **p, char end, int *out)
{
	const char *s = *p;
	int v = 0, digits = 0;
	while (*s >= '0' && *s <= '9' && digits < 3) {
		v = v * 10 + (*s++ - '0');
		digits++;
	}
	if (digits == 0 || digits > 2 || *s != end)
		return false;
	*out = v;
	*p = s + 1;
	return true;
}

bool cf_password_verify(const char *password, const char *stored)
{
	static const char prefix[] = "$scrypt$ln=";
	uint8_t salt[SALT_LEN], want[HASH_LEN], got[HASH_LEN];
	int ln = 0, r = 0, p = 0;
	if (password == NULL || stored == NULL || strncmp(stored, prefix, sizeof(prefix) - 1) != 0)
		return false;
	const char *s = stored + sizeof(prefix) - 1;
	if (!read_num(&s, ',', &ln) || strncmp(s, "r=", 2) != 0)
		return false;
	s += 2;
	if (!read_num(&s, ',', &r) || strncmp(s, "p=", 2) != 0)
		return false;
	s += 2;
	if (!read_num(&s, '$', &p) || !params_ok(ln, r, p))
		return false;
	const char *dollar = strchr(s, '$');
	if (dollar == NULL || !b64_decode(s, (size_t)(dollar - s), salt, sizeof(salt)) ||
	    !b64_decode(dollar + 1, strlen(dollar + 1), want, sizeof(want)))
		return false;
	if (derive(password, salt, sizeof(salt), ln, r, p, got, NULL) != CF_OK)
		return false;
	bool same = CRYPTO_memcmp(got, want, HASH_LEN) == 0;
	OPENSSL_cleanse(got, sizeof(got));
	return same;
}
