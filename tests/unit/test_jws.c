/* JWS for ACME (crypto/jws.h) and base64url (util/b64url.h). The oracles are independent: the
 * openssl command signs nothing here but verifies every signature (ES256 after R || S is put back
 * into DER by this file), computes the HMAC, and gives the public key's numbers, which python's
 * base64 and hashlib turn into the expected JWK and thumbprint. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "crypto/jws.h"
#include "util/b64url.h"

static char dir[] = "/tmp/certfleet-jws-XXXXXX";

/* Runs a shell command (printf-style) in dir; its stdout, trailing newline dropped (malloc'd). */
static char *sh(const char *fmt, ...)
{
	char cmd[4096], *out = calloc(1, 65536);
	int n = snprintf(cmd, sizeof(cmd), "cd %s && ", dir);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd + n, sizeof(cmd) - (size_t)n, fmt, ap);
	va_end(ap);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	size_t len = fread(out, 1, 65535, p);
	assert_int_equal(pclose(p), 0);
	while (len > 0 && out[len - 1] == '\n')
		out[--len] = '\0';
	return out;
}

static void write_file(const char *name, const void *p, size_t n)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(p, 1, n, f), n);
	fclose(f);
}

/* The key in name (PEM), parsed. */
static cf_key *load_key(const char *name)
{
	char *pem = sh("cat %s", name);
	cf_key *k = NULL;
	cf_err e = {0};
	assert_int_equal(cf_key_parse(name, (const uint8_t *)pem, strlen(pem), &k, &e), CF_OK);
	free(pem);
	return k;
}

/* base64url of a file's bytes and the canonical JWK, by python (independent of the code tested). */
#define PY_B64                                                                                                         \
	"python3 -c 'import base64,sys; "                                                                              \
	"print(base64.urlsafe_b64encode(sys.stdin.buffer.read()).decode().rstrip(\"=\"))'"
#define PY_THUMB                                                                                                       \
	"python3 -c 'import base64,hashlib,sys; "                                                                      \
	"print(base64.urlsafe_b64encode(hashlib.sha256(sys.stdin.buffer.read()).digest()).decode().rstrip(\"=\"))'"

static int setup(void **state)
{
	(void)state;
	assert_non_null(mkdtemp(dir));
	free(sh("openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ec.pem 2>/dev/null"));
	free(sh("openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out rsa.pem 2>/dev/null"));
	free(sh("openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out rsa1024.pem 2>/dev/null"));
	free(sh("openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out p384.pem 2>/dev/null"));
	free(sh("openssl genpkey -algorithm ED25519 -out ed.pem 2>/dev/null"));
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_b64url(void **state)
{
	(void)state;
	static const struct {
		const char *in, *out;
	} v[] = {{"", ""},	     {"f", "Zg"},	   {"fo", "Zm8"},	   {"foo", "Zm9v"},
		 {"foob", "Zm9vYg"}, {"fooba", "Zm9vYmE"}, {"foobar", "Zm9vYmFy"}, {"\xfb\xff", "-_8"}};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		char *enc = cf_b64url_encode(v[i].in, strlen(v[i].in));
		assert_string_equal(enc, v[i].out);
		uint8_t *dec = NULL;
		size_t n = 0;
		assert_true(cf_b64url_decode(enc, strlen(enc), &dec, &n));
		assert_int_equal(n, strlen(v[i].in));
		assert_memory_equal(dec, v[i].in, n);
		free(dec);
		free(enc);
	}
	/* refused: padding, a lone character, bits past the last byte, other alphabets, whitespace */
	static const char *const bad[] = {"Zg==", "Z", "Zh", "Zm9", "+/8", "Zm9v\n", "Zm 9v"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint8_t *dec = NULL;
		size_t n = 0;
		assert_false(cf_b64url_decode(bad[i], strlen(bad[i]), &dec, &n));
		assert_null(dec);
	}
}

static void test_jwk_and_thumbprint(void **state)
{
	(void)state;
	/* EC: x and y are the last 64 bytes of the public key's DER (the uncompressed point) */
	free(sh("openssl pkey -in ec.pem -pubout -outform DER | tail -c 64 | head -c 32 >x.bin"));
	free(sh("openssl pkey -in ec.pem -pubout -outform DER | tail -c 32 >y.bin"));
	char *x = sh("%s <x.bin", PY_B64), *y = sh("%s <y.bin", PY_B64);
	char want[512];
	snprintf(want, sizeof(want), "{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"%s\",\"y\":\"%s\"}", x, y);
	cf_key *k = load_key("ec.pem");
	char *jwk = cf_jws_jwk(k);
	assert_string_equal(jwk, want);
	write_file("ec.jwk", want, strlen(want));
	char *tp_want = sh("%s <ec.jwk", PY_THUMB), tp[CF_JWS_THUMBPRINT_LEN + 1];
	assert_true(cf_jws_thumbprint(k, tp));
	assert_string_equal(tp, tp_want);
	char *ka = cf_jws_key_authorization("tok-EN_1", k), ka_want[128];
	snprintf(ka_want, sizeof(ka_want), "tok-EN_1.%s", tp_want);
	assert_string_equal(ka, ka_want);
	const char *alg = NULL;
	cf_err e = {0};
	assert_int_equal(cf_jws_alg(k, &alg, &e), CF_OK);
	assert_string_equal(alg, "ES256");
	free(ka);
	free(tp_want);
	free(jwk);
	free(x);
	free(y);
	cf_key_free(k);

	/* RSA: n from -modulus (hex), e 65537 */
	free(sh("openssl rsa -in rsa.pem -noout -modulus | python3 -c 'import sys; "
		"sys.stdout.buffer.write(bytes.fromhex(sys.stdin.read().strip().split(\"=\")[1]))' >n.bin"));
	char *n = sh("%s <n.bin", PY_B64);
	snprintf(want, sizeof(want), "{\"e\":\"AQAB\",\"kty\":\"RSA\",\"n\":\"%s\"}", n);
	k = load_key("rsa.pem");
	jwk = cf_jws_jwk(k);
	assert_string_equal(jwk, want);
	write_file("rsa.jwk", want, strlen(want));
	tp_want = sh("%s <rsa.jwk", PY_THUMB);
	assert_true(cf_jws_thumbprint(k, tp));
	assert_string_equal(tp, tp_want);
	assert_int_equal(cf_jws_alg(k, &alg, &e), CF_OK);
	assert_string_equal(alg, "RS256");
	free(tp_want);
	free(jwk);
	free(n);
	cf_key_free(k);
}

static void test_refused_keys(void **state)
{
	(void)state;
	static const char *const names[] = {"rsa1024.pem", "p384.pem", "ed.pem"};
	static const char *const says[] = {"an RSA key of 1024 bits", "EC P-256 or RSA", "EC P-256 or RSA"};
	for (size_t i = 0; i < 3; i++) {
		cf_key *k = load_key(names[i]);
		const char *alg = NULL;
		char *out = NULL;
		cf_err e = {0};
		assert_int_equal(cf_jws_alg(k, &alg, &e), CF_E_INPUT);
		assert_non_null(strstr(e.message, says[i]));
		assert_null(cf_jws_jwk(k));
		assert_int_equal(cf_jws_sign(k, "{}", NULL, 0, &out, &e), CF_E_INPUT);
		assert_null(out);
		cf_key_free(k);
	}
}

/* The three parts of a flattened JWS, decoded; the signing input into input. */
static void parts(const char *jws, char **prot, char **payload, uint8_t **sig, size_t *sig_len, char **input)
{
	json_error_t je;
	json_t *o = json_loads(jws, 0, &je);
	assert_non_null(o);
	assert_int_equal(json_object_size(o), 3);
	const char *p = json_string_value(json_object_get(o, "protected"));
	const char *y = json_string_value(json_object_get(o, "payload"));
	const char *s = json_string_value(json_object_get(o, "signature"));
	assert_non_null(p);
	assert_non_null(y);
	assert_non_null(s);
	uint8_t *b = NULL;
	size_t n = 0;
	assert_true(cf_b64url_decode(p, strlen(p), &b, &n));
	*prot = strndup((char *)b, n);
	free(b);
	assert_true(cf_b64url_decode(y, strlen(y), &b, &n));
	*payload = strndup((char *)b, n);
	free(b);
	assert_true(cf_b64url_decode(s, strlen(s), sig, sig_len));
	size_t len = strlen(p) + strlen(y) + 2;
	*input = malloc(len);
	snprintf(*input, len, "%s.%s", p, y);
	json_decref(o);
}

/* A DER INTEGER of the 32 big-endian bytes at v (minimal, positive) appended at *o. */
static void der_int(uint8_t **o, const uint8_t *v)
{
	size_t skip = 0;
	while (skip < 31 && v[skip] == 0)
		skip++;
	bool pad = v[skip] & 0x80;
	*(*o)++ = 0x02;
	*(*o)++ = (uint8_t)(32 - skip + pad);
	if (pad)
		*(*o)++ = 0;
	memcpy(*o, v + skip, 32 - skip);
	*o += 32 - skip;
}

static void test_es256_verified_by_openssl(void **state)
{
	(void)state;
	const char *prot = "{\"alg\":\"ES256\",\"kid\":\"https://ca.example/acct/1\",\"nonce\":\"n0nce\","
			   "\"url\":\"https://ca.example/new-order\"}";
	const char *payload = "{\"identifiers\":[{\"type\":\"dns\",\"value\":\"ucm1.example.com\"}]}";
	cf_key *k = load_key("ec.pem");
	char *jws = NULL, *p = NULL, *y = NULL, *input = NULL;
	uint8_t *sig = NULL;
	size_t sig_len = 0;
	cf_err e = {0};
	for (int round = 0; round < 20; round++) { /* r or s with a high bit or a leading zero byte, sooner or later */
		assert_int_equal(cf_jws_sign(k, prot, (const uint8_t *)payload, strlen(payload), &jws, &e), CF_OK);
		parts(jws, &p, &y, &sig, &sig_len, &input);
		assert_string_equal(p, prot);
		assert_string_equal(y, payload);
		assert_int_equal(sig_len, 64); /* R || S, not DER */
		uint8_t der[80], *o = der + 2;
		der_int(&o, sig);
		der_int(&o, sig + 32);
		der[0] = 0x30;
		der[1] = (uint8_t)(o - der - 2);
		write_file("input", input, strlen(input));
		write_file("sig.der", der, (size_t)(o - der));
		char *v = sh("openssl pkey -in ec.pem -pubout -out ec.pub && "
			     "openssl dgst -sha256 -verify ec.pub -signature sig.der input");
		assert_string_equal(v, "Verified OK");
		free(v);
		free(jws);
		free(p);
		free(y);
		free(sig);
		free(input);
	}
	cf_key_free(k);
}

static void test_rs256_verified_by_openssl_post_as_get(void **state)
{
	(void)state;
	const char *prot = "{\"alg\":\"RS256\",\"kid\":\"https://ca.example/acct/1\",\"nonce\":\"abc\","
			   "\"url\":\"https://ca.example/order/7\"}";
	cf_key *k = load_key("rsa.pem");
	char *jws = NULL, *p = NULL, *y = NULL, *input = NULL;
	uint8_t *sig = NULL;
	size_t sig_len = 0;
	cf_err e = {0};
	assert_int_equal(cf_jws_sign(k, prot, NULL, 0, &jws, &e), CF_OK);
	assert_non_null(strstr(jws, "\"payload\":\"\"")); /* POST-as-GET: the empty payload */
	parts(jws, &p, &y, &sig, &sig_len, &input);
	assert_string_equal(y, "");
	assert_int_equal(sig_len, 256);
	write_file("input", input, strlen(input));
	write_file("sig.bin", sig, sig_len);
	char *v = sh("openssl pkey -in rsa.pem -pubout -out rsa.pub && "
		     "openssl dgst -sha256 -verify rsa.pub -signature sig.bin input");
	assert_string_equal(v, "Verified OK");
	free(v);
	free(jws);
	free(p);
	free(y);
	free(sig);
	free(input);
	cf_key_free(k);
}

static void test_hs256_as_openssl_computes_it(void **state)
{
	(void)state;
	static const uint8_t key[] = {0x0b, 0xad, 0xc0, 0xde, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66,
				      0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x01};
	const char *prot = "{\"alg\":\"HS256\",\"kid\":\"eab-key-1\",\"url\":\"https://ca.example/new-account\"}";
	const char *payload = "{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"AA\",\"y\":\"BB\"}";
	char *jws = NULL, *p = NULL, *y = NULL, *input = NULL;
	uint8_t *sig = NULL;
	size_t sig_len = 0;
	cf_err e = {0};
	assert_int_equal(cf_jws_sign_hs256(key, sizeof(key), prot, (const uint8_t *)payload, strlen(payload), &jws, &e),
			 CF_OK);
	parts(jws, &p, &y, &sig, &sig_len, &input);
	write_file("input", input, strlen(input));
	char *want = sh("openssl dgst -sha256 -mac HMAC -macopt hexkey:0badc0de00112233445566778899aabbccddeeff01 "
			"-hex input | awk '{print $NF}'");
	char got[65];
	assert_int_equal(sig_len, 32);
	for (size_t i = 0; i < 32; i++)
		snprintf(got + 2 * i, 3, "%02x", sig[i]);
	assert_string_equal(got, want);
	free(want);
	free(jws);
	free(p);
	free(y);
	free(sig);
	free(input);
	assert_int_equal(cf_jws_sign_hs256(key, 0, prot, NULL, 0, &jws, &e), CF_E_INPUT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_b64url),
		cmocka_unit_test(test_jwk_and_thumbprint),
		cmocka_unit_test(test_refused_keys),
		cmocka_unit_test(test_es256_verified_by_openssl),
		cmocka_unit_test(test_rs256_verified_by_openssl_post_as_get),
		cmocka_unit_test(test_hs256_as_openssl_computes_it),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
