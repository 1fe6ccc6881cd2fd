/* libFuzzer target: the JWS code (crypto/jws.c) and base64url (util/b64url.c). The input is read
 * as base64url text (a decoded text encodes back to itself, and any bytes encode and decode back),
 * and as an account key (PEM or DER), whose JWK, thumbprint and signature over the input are made
 * and taken apart again. */
#include <stdlib.h>
#include <string.h>

#include "crypto/jws.h"
#include "util/b64url.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Decodes the base64url string member name of the flattened JWS text j (any order), or traps. */
static void part_decodes(const char *j, const char *name)
{
	const char *p = strstr(j, name);
	if (p == NULL)
		__builtin_trap();
	p += strlen(name);
	const char *end = strchr(p, '"');
	uint8_t *out = NULL;
	size_t n = 0;
	if (end == NULL || !cf_b64url_decode(p, (size_t)(end - p), &out, &n))
		__builtin_trap();
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *dec = NULL;
	size_t n = 0;
	if (cf_b64url_decode((const char *)data, size, &dec, &n)) {
		char *again = cf_b64url_encode(dec, n);
		if (again == NULL || strlen(again) != size || memcmp(again, data, size) != 0)
			__builtin_trap(); /* one encoding per byte string */
		free(again);
		free(dec);
	}
	char *enc = cf_b64url_encode(data, size);
	if (enc != NULL) {
		if (!cf_b64url_decode(enc, strlen(enc), &dec, &n) || n != size || memcmp(dec, data, size) != 0)
			__builtin_trap();
		free(dec);
		free(enc);
	}

	cf_key *key = NULL;
	cf_err e;
	if (cf_key_parse("fuzz", data, size, &key, &e) != CF_OK)
		return 0;
	const char *alg = NULL;
	char tp[CF_JWS_THUMBPRINT_LEN + 1], *jwk = cf_jws_jwk(key), *jws = NULL;
	if ((cf_jws_alg(key, &alg, &e) == CF_OK) != (jwk != NULL))
		__builtin_trap(); /* a key has a JWK exactly when it may sign */
	if (jwk != NULL && (!cf_jws_thumbprint(key, tp) || strlen(tp) != CF_JWS_THUMBPRINT_LEN))
		__builtin_trap();
	if (cf_jws_sign(key, "{\"alg\":\"x\"}", data, size > 256 ? 256 : size, &jws, &e) == CF_OK) {
		part_decodes(jws, "\"protected\":\"");
		part_decodes(jws, "\"payload\":\"");
		part_decodes(jws, "\"signature\":\"");
		free(jws);
	}
	free(jwk);
	cf_key_free(key);
	return 0;
}
