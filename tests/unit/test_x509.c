/* Unit tests for the crypto facade (src/crypto/x509.h): key specs, keys, self-signed and
 * issued certificates, facts, CSRs, chains (built by the trust index of src/crypto/verify.h) and
 * the parsers of outside input. Only the facade is used here; no OpenSSL header is included. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/verify.h"
#include "crypto/x509.h"

#define T0 INT64_C(1700000000) /* 2023-11-14T22:13:20Z */

/* ---- helpers ------------------------------------------------------------------------------------ */

static bool is_lower_hex(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s) && !(*s >= 'a' && *s <= 'f'))
			return false;
	return true;
}

static void assert_strv(const cf_strv *sv, const char *const *want)
{
	size_t n = 0;
	while (want[n] != NULL)
		n++;
	char *got = cf_strv_join(sv, ", ");
	if (sv->n != n)
		fail_msg("expected %zu entries, got %zu: [%s]", n, sv->n, got);
	for (size_t i = 0; i < n; i++)
		if (strcmp(sv->v[i], want[i]) != 0)
			fail_msg("entry %zu: expected \"%s\", got \"%s\" in [%s]", i, want[i], sv->v[i], got);
	free(got);
}

#define LIST(...) ((const char *const[]){__VA_ARGS__, NULL})

static cf_key *ec_key(const char *curve)
{
	cf_keyspec ks;
	cf_key *k = NULL;
	cf_err e = {0};
	char text[40];
	snprintf(text, sizeof(text), "ec:%s", curve);
	assert_int_equal(cf_keyspec_parse(text, &ks, &e), CF_OK);
	assert_int_equal(cf_key_generate(&ks, &k, &e), CF_OK);
	assert_non_null(k);
	return k;
}

/* A self-signed certificate for key with the given CN (and SAN DNS:<cn>). */
static cf_cert *self_signed(const cf_key *key, const char *cn, bool ca, int64_t not_before, int days)
{
	cf_strv san = {0};
	cf_cert *c = NULL;
	cf_err e = {0};
	cf_strv_pushf(&san, "DNS:%s", cn);
	cf_reqspec spec = {.dn = {.o = "Example", .cn = cn},
			   .san = ca ? NULL : &san,
			   .ku = ca ? CF_KU_KEY_CERT_SIGN | CF_KU_CRL_SIGN | CF_KU_DIGITAL_SIGNATURE
				    : CF_KU_DIGITAL_SIGNATURE,
			   .eku = ca ? 0 : CF_EKU_SERVER_AUTH,
			   .ca = ca};
	cf_code rc = cf_cert_self_signed(&spec, key, not_before, days, &c, &e);
	if (rc != CF_OK)
		fail_msg("self-signed %s: %s: %s", cn, e.subject, e.message);
	cf_strv_clear(&san);
	return c;
}

static cf_cert *issue(const cf_key *subject_key, const char *cn, bool ca, const cf_cert *issuer,
		      const cf_key *issuer_key)
{
	cf_strv san = {0};
	cf_cert *c = NULL;
	cf_err e = {0};
	cf_strv_pushf(&san, "DNS:%s", cn);
	cf_reqspec spec = {.dn = {.o = "Example", .cn = cn},
			   .san = ca ? NULL : &san,
			   .ku = ca ? CF_KU_KEY_CERT_SIGN | CF_KU_CRL_SIGN
				    : CF_KU_DIGITAL_SIGNATURE | CF_KU_KEY_AGREEMENT,
			   .eku = ca ? 0 : CF_EKU_SERVER_AUTH | CF_EKU_CLIENT_AUTH,
			   .ca = ca};
	cf_code rc = cf_cert_issue(&spec, subject_key, issuer, issuer_key, T0, 365, &c, &e);
	if (rc != CF_OK)
		fail_msg("issue %s: %s: %s", cn, e.subject, e.message);
	cf_strv_clear(&san);
	return c;
}

static bool same_der(const cf_cert *a, const cf_cert *b)
{
	size_t la = 0, lb = 0;
	const uint8_t *da = cf_cert_der(a, &la), *db = cf_cert_der(b, &lb);
	return la == lb && memcmp(da, db, la) == 0;
}

/* Fails when any 8-character run of the base64 body lines of pem appears in msg. */
static void assert_no_key_material(const char *msg, const char *pem)
{
	const char *line = pem;
	while (*line) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);
		if (len >= 8 && strncmp(line, "-----", 5) != 0 && memchr(line, ':', len) == NULL) {
			for (size_t i = 0; i + 8 <= len; i++) {
				char win[9];
				memcpy(win, line + i, 8);
				win[8] = '\0';
				if (strstr(msg, win) != NULL)
					fail_msg("error message echoes key material \"%s\": %s", win, msg);
			}
		}
		line += len;
		if (*line)
			line++;
	}
}

/* ---- static inputs --------------------------------------------------------------------------- */

/* Made with `openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -aes256`. */
static const char encrypted_pkcs8[] = "-----BEGIN ENCRYPTED PRIVATE KEY-----\n"
				      "MIHsMFcGCSqGSIb3DQEFDTBKMCkGCSqGSIb3DQEFDDAcBAiXGf/oIgFntwICCAAw\n"
				      "DAYIKoZIhvcNAgkFADAdBglghkgBZQMEASoEEFcPgrF9mleiJ3K7I1TdFMQEgZDX\n"
				      "HJhCBzBCj9rLk1dg0lu9uIegJup//nQDNpw6jfqS9pAxzCpvykaekbMaGYnPirjY\n"
				      "jf6BEDHSgSj+DGmJA4a5k2XBbkWmAEoN2cjGLwE44YzU2MYvODFCI+IjmloW2toL\n"
				      "/VBWaqTAF2i7uCLHHRxWQuohYDn7c4xMUCZCnrQm+XMMrH8Jsh5ArQcysOt6r1U=\n"
				      "-----END ENCRYPTED PRIVATE KEY-----\n";

/* `openssl ec -aes256` on a traditional EC key. */
static const char encrypted_traditional[] = "-----BEGIN EC PRIVATE KEY-----\n"
					    "Proc-Type: 4,ENCRYPTED\n"
					    "DEK-Info: AES-256-CBC,E5D137DD4219C7B56D95FD7BCE4FD6F6\n"
					    "\n"
					    "eiZ6sFaDEnW+78gGl/GMQdHNMLR14wiGQSOhyjen4TZDvJcNo1CzhMOqMsgKnofZ\n"
					    "cnXJX90bWPHSavmTroFyA+vq9/2LUwG1+krG8MgG/ghTxe5J0pukRqLVXUkw5/dM\n"
					    "48yu/JKlD3fhDS1ME39R695aUxvQCMlxq8PY8YNGWxI=\n"
					    "-----END EC PRIVATE KEY-----\n";

/* `openssl ecparam -name prime256v1 -genkey -noout`: a traditional (SEC1) unencrypted key. */
static const char traditional_ec[] = "-----BEGIN EC PRIVATE KEY-----\n"
				     "MHcCAQEEIIJinS/NWA9/GgD9vqjppWovbHKcB3OMD+DV0/pt4M5SoAoGCCqGSM49\n"
				     "AwEHoUQDQgAETJIDVOecd3A/17lACrxi0GT+eBI+7/awcfp2i8N7mt4x9FtWqTVp\n"
				     "HLmuxsUt2c98XifgxSyVRPo7x/3yUeLLeQ==\n"
				     "-----END EC PRIVATE KEY-----\n";

/* ---- key specifications and hashes ------------------------------------------------------------ */

static void test_keyspec_accepts(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		cf_keytype type;
		int bits;
		const char *curve;
	} ok[] = {
		{"rsa:2048", CF_KEY_RSA, 2048, ""},
		{"rsa:3072", CF_KEY_RSA, 3072, ""},
		{"rsa:4096", CF_KEY_RSA, 4096, ""},
		{"rsa:8192", CF_KEY_RSA, 8192, ""},
		{"ec:prime256v1", CF_KEY_EC, 256, "prime256v1"},
		{"ec:P-256", CF_KEY_EC, 256, "prime256v1"},
		{"ec:secp384r1", CF_KEY_EC, 384, "secp384r1"},
		{"ec:P-384", CF_KEY_EC, 384, "secp384r1"},
		{"ec:secp521r1", CF_KEY_EC, 521, "secp521r1"},
		{"ec:P-521", CF_KEY_EC, 521, "secp521r1"},
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		cf_keyspec ks;
		cf_err e = {0};
		memset(&ks, 0x5a, sizeof(ks));
		if (cf_keyspec_parse(ok[i].text, &ks, &e) != CF_OK)
			fail_msg("%s refused: %s", ok[i].text, e.message);
		assert_int_equal(ks.type, ok[i].type);
		assert_int_equal(ks.bits, ok[i].bits);
		assert_string_equal(ks.curve, ok[i].curve);
	}
}

static void test_keyspec_refuses(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"rsa:1024", "rsa:512", "rsa:2047", "rsa:16384", "rsa:",	     "rsa",	     "rsa:2048x",
		"rsa:abc",  "ec:foo",  "ec:",	   "ec",	"ec:P-224",  "ec:secp256k1", "dsa:2048",
		"garbage",  "",	       "ed25519",  "rsa:-2048", "rsa: 2048", "rsa:+2048",    "rsa:02048",
	};
	char accepted[512] = "";
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cf_keyspec ks = {.type = CF_KEY_NONE, .bits = 7};
		cf_err e = {0};
		cf_code rc = cf_keyspec_parse(bad[i], &ks, &e);
		if (rc != CF_E_INPUT) {
			size_t used = strlen(accepted);
			snprintf(accepted + used, sizeof(accepted) - used, " \"%s\"", bad[i]);
			continue;
		}
		assert_int_equal(e.code, CF_E_INPUT);
		assert_true(e.message[0] != '\0');
		/* out-parameters are written only on success */
		assert_int_equal(ks.type, CF_KEY_NONE);
		assert_int_equal(ks.bits, 7);
	}
	if (accepted[0] != '\0')
		fail_msg("key specs outside rsa:2048|3072|4096|8192 / ec:<curve> accepted:%s", accepted);
}

static void test_hash_check(void **state)
{
	(void)state;
	cf_err e = {0};
	assert_int_equal(cf_hash_check("sha256", &e), CF_OK);
	assert_int_equal(cf_hash_check("sha384", &e), CF_OK);
	assert_int_equal(cf_hash_check("sha512", &e), CF_OK);
	assert_int_equal(cf_hash_check("sha1", &e), CF_E_INPUT);
	assert_int_equal(e.code, CF_E_INPUT);
	assert_non_null(strstr(e.message, "SHA-1"));
	assert_int_equal(cf_hash_check("md5", &e), CF_E_INPUT);
	assert_int_equal(cf_hash_check("sha224", &e), CF_E_INPUT);
	assert_int_equal(cf_hash_check("", &e), CF_E_INPUT);
	assert_int_equal(cf_hash_check("sha256 ", &e), CF_E_INPUT);
}

static void test_names_of_bits(void **state)
{
	(void)state;
	cf_strv v = {0};
	cf_ku_names(CF_KU_DIGITAL_SIGNATURE | CF_KU_KEY_ENCIPHERMENT | CF_KU_DATA_ENCIPHERMENT, &v);
	assert_strv(&v, LIST("digitalSignature", "keyEncipherment", "dataEncipherment"));
	cf_strv_clear(&v);
	cf_ku_names(CF_KU_KEY_CERT_SIGN | CF_KU_CRL_SIGN | CF_KU_KEY_AGREEMENT | CF_KU_DECIPHER_ONLY, &v);
	assert_strv(&v, LIST("keyAgreement", "keyCertSign", "cRLSign", "decipherOnly"));
	cf_strv_clear(&v);
	cf_eku_names(CF_EKU_SERVER_AUTH | CF_EKU_CLIENT_AUTH | CF_EKU_IPSEC_END_SYSTEM | CF_EKU_OCSP_SIGNING, &v);
	assert_strv(&v, LIST("serverAuth", "clientAuth", "ipsecEndSystem", "OCSPSigning"));
	cf_strv_clear(&v);
	assert_string_equal(cf_keytype_name(CF_KEY_RSA), "RSA");
	assert_string_equal(cf_keytype_name(CF_KEY_EC), "EC");
}

/* ---- keys ------------------------------------------------------------------------------------------ */

static void test_key_generate_ec(void **state)
{
	(void)state;
	cf_key *k = ec_key("P-384");
	char spki[65];
	assert_int_equal(cf_key_type(k), CF_KEY_EC);
	cf_key_spki_sha256(k, spki);
	assert_int_equal(strlen(spki), 64);
	assert_true(is_lower_hex(spki));

	cf_key *k2 = ec_key("P-384");
	char spki2[65];
	cf_key_spki_sha256(k2, spki2);
	assert_string_not_equal(spki, spki2); /* fresh keys differ */

	cf_cert *c = self_signed(k, "p384.example.com", false, T0, 30);
	cf_facts f = {0};
	cf_err e = {0};
	assert_int_equal(cf_cert_facts(c, &f, &e), CF_OK);
	assert_int_equal(f.key_type, CF_KEY_EC);
	assert_int_equal(f.key_bits, 384);
	assert_string_equal(f.curve, "secp384r1");
	assert_string_equal(f.spki_sha256, spki);
	cf_facts_free(&f);
	cf_cert_free(c);
	cf_key_free(k2);
	cf_key_free(k);
	cf_key_free(NULL); /* NULL-safe */
}

static void test_key_generate_rsa(void **state)
{
	(void)state;
	cf_keyspec ks;
	cf_key *k = NULL;
	cf_err e = {0};
	assert_int_equal(cf_keyspec_parse("rsa:2048", &ks, &e), CF_OK);
	assert_int_equal(cf_key_generate(&ks, &k, &e), CF_OK);
	assert_int_equal(cf_key_type(k), CF_KEY_RSA);

	cf_cert *c = self_signed(k, "rsa.example.com", false, T0, 30);
	cf_facts f = {0};
	assert_int_equal(cf_cert_facts(c, &f, &e), CF_OK);
	assert_int_equal(f.key_type, CF_KEY_RSA);
	assert_int_equal(f.key_bits, 2048);
	assert_string_equal(f.curve, "");
	assert_string_equal(f.sig_hash, "sha256");
	assert_true(f.self_signed);
	assert_true(cf_key_matches_cert(k, c));

	/* PEM round trip of an RSA key */
	char *pem = cf_key_pem(k);
	assert_non_null(pem);
	assert_non_null(strstr(pem, "-----BEGIN PRIVATE KEY-----"));
	cf_key *back = NULL;
	assert_int_equal(cf_key_parse("rsa.key", (const uint8_t *)pem, strlen(pem), &back, &e), CF_OK);
	assert_int_equal(cf_key_type(back), CF_KEY_RSA);
	assert_true(cf_key_matches_cert(back, c));
	cf_secret_free(pem);
	cf_key_free(back);
	cf_facts_free(&f);
	cf_cert_free(c);
	cf_key_free(k);
}

static void test_key_pem_round_trip(void **state)
{
	(void)state;
	cf_key *k = ec_key("prime256v1");
	cf_err e = {0};
	char *pem = cf_key_pem(k);
	assert_non_null(pem);
	assert_true(strncmp(pem, "-----BEGIN PRIVATE KEY-----\n", 28) == 0); /* PKCS#8, unencrypted */
	assert_non_null(strstr(pem, "-----END PRIVATE KEY-----"));

	cf_key *back = NULL;
	assert_int_equal(cf_key_parse("key.pem", (const uint8_t *)pem, strlen(pem), &back, &e), CF_OK);
	char a[65], b[65];
	cf_key_spki_sha256(k, a);
	cf_key_spki_sha256(back, b);
	assert_string_equal(a, b);
	char *pem2 = cf_key_pem(back);
	assert_string_equal(pem, pem2); /* the same private key, encoded the same way */
	cf_secret_free(pem2);
	cf_secret_free(pem);
	cf_secret_free(NULL);
	cf_key_free(back);
	cf_key_free(k);
}

static void test_key_parse_traditional(void **state)
{
	(void)state;
	cf_key *k = NULL;
	cf_err e = {0};
	assert_int_equal(cf_key_parse("ec.key", (const uint8_t *)traditional_ec, strlen(traditional_ec), &k, &e),
			 CF_OK);
	assert_int_equal(cf_key_type(k), CF_KEY_EC);
	cf_key_free(k);
}

static void test_key_parse_refuses(void **state)
{
	(void)state;
	cf_key *k = NULL;
	cf_err e = {0};

	assert_int_equal(cf_key_parse("enc.key", (const uint8_t *)encrypted_pkcs8, strlen(encrypted_pkcs8), &k, &e),
			 CF_E_INPUT);
	assert_null(k);
	assert_string_equal(e.subject, "enc.key");
	assert_non_null(strstr(e.message, "encrypted"));
	assert_no_key_material(e.message, encrypted_pkcs8);

	cf_err_clear(&e);
	assert_int_equal(
		cf_key_parse("trad.key", (const uint8_t *)encrypted_traditional, strlen(encrypted_traditional), &k, &e),
		CF_E_INPUT);
	assert_null(k);
	assert_string_equal(e.subject, "trad.key");
	assert_no_key_material(e.message, encrypted_traditional);

	static const char garbage[] = "this is not a key at all \x01\x02\x03";
	cf_err_clear(&e);
	assert_int_equal(cf_key_parse("junk", (const uint8_t *)garbage, sizeof(garbage) - 1, &k, &e), CF_E_INPUT);
	assert_null(k);
	assert_string_equal(e.subject, "junk");

	/* a damaged key: the reasons must not carry its bytes */
	cf_key *real = ec_key("P-256");
	char *pem = cf_key_pem(real);
	char *body = strchr(pem, '\n') + 1;
	body[10] = '!';
	body[11] = '!';
	cf_err_clear(&e);
	assert_int_equal(cf_key_parse("damaged.key", (const uint8_t *)pem, strlen(pem), &k, &e), CF_E_INPUT);
	assert_null(k);
	assert_string_equal(e.subject, "damaged.key");
	assert_no_key_material(e.message, pem);
	assert_no_key_material(e.subject, pem);

	/* truncated: BEGIN without END */
	char *cut = strdup(pem);
	cut[strlen(cut) / 2] = '\0';
	cf_err_clear(&e);
	assert_int_equal(cf_key_parse("cut.key", (const uint8_t *)cut, strlen(cut), &k, &e), CF_E_INPUT);
	assert_no_key_material(e.message, pem);

	/* a certificate is not a key */
	cf_cert *c = self_signed(real, "k.example.com", false, T0, 1);
	char *cpem = cf_cert_pem(c);
	cf_err_clear(&e);
	assert_int_equal(cf_key_parse("cert.pem", (const uint8_t *)cpem, strlen(cpem), &k, &e), CF_E_INPUT);
	assert_null(k);

	cf_err_clear(&e);
	assert_int_equal(cf_key_parse("empty", (const uint8_t *)"", 0, &k, &e), CF_E_INPUT);

	free(cpem);
	cf_cert_free(c);
	free(cut);
	cf_secret_free(pem);
	cf_key_free(real);
}

static void test_key_matches_cert(void **state)
{
	(void)state;
	cf_key *a = ec_key("P-256"), *b = ec_key("P-256"), *c384 = ec_key("P-384");
	cf_cert *ca = self_signed(a, "a.example.com", false, T0, 10);
	cf_cert *cb = self_signed(b, "b.example.com", false, T0, 10);
	assert_true(cf_key_matches_cert(a, ca));
	assert_true(cf_key_matches_cert(b, cb));
	assert_false(cf_key_matches_cert(a, cb));
	assert_false(cf_key_matches_cert(b, ca));
	assert_false(cf_key_matches_cert(c384, ca));
	cf_cert_free(ca);
	cf_cert_free(cb);
	cf_key_free(a);
	cf_key_free(b);
	cf_key_free(c384);
}

/* ---- self-signed certificates and facts ------------------------------------------------------ */

static void test_self_signed_facts(void **state)
{
	(void)state;
	cf_key *k = ec_key("prime256v1");
	cf_strv san = {0};
	cf_strv_push(&san, "DNS:ucm1.example.com");
	cf_strv_push(&san, "DNS:ucm1-ms.example.com");
	cf_strv_push(&san, "IP:10.0.0.1");
	cf_strv_push(&san, "IP:2001:db8::1");
	cf_reqspec spec = {
		.dn = {.c = "US",
		       .st = "California",
		       .l = "San Jose",
		       .o = "Example Inc",
		       .ou = "Voice",
		       .cn = "ucm1.example.com"},
		.san = &san,
		.ku = CF_KU_DIGITAL_SIGNATURE | CF_KU_KEY_AGREEMENT,
		.eku = CF_EKU_SERVER_AUTH | CF_EKU_CLIENT_AUTH | CF_EKU_IPSEC_END_SYSTEM,
		.hash = "sha256",
	};
	cf_cert *c = NULL;
	cf_err e = {0};
	const int days = 1825;
	assert_int_equal(cf_cert_self_signed(&spec, k, T0, days, &c, &e), CF_OK);

	cf_facts f = {0};
	assert_int_equal(cf_cert_facts(c, &f, &e), CF_OK);
	assert_string_equal(f.cn, "ucm1.example.com");
	assert_string_equal(f.subject, "CN=ucm1.example.com,OU=Voice,O=Example Inc,L=San Jose,ST=California,C=US");
	assert_string_equal(f.issuer, f.subject);
	assert_strv(&f.san,
		    LIST("DNS:ucm1.example.com", "DNS:ucm1-ms.example.com", "IP:10.0.0.1", "IP:2001:db8:0:0:0:0:0:1"));
	assert_true(f.has_ku);
	assert_int_equal(f.ku, CF_KU_DIGITAL_SIGNATURE | CF_KU_KEY_AGREEMENT);
	assert_true(f.has_eku);
	assert_int_equal(f.eku, CF_EKU_SERVER_AUTH | CF_EKU_CLIENT_AUTH | CF_EKU_IPSEC_END_SYSTEM);
	assert_int_equal(f.eku_other.n, 0);
	assert_true(f.self_signed);
	assert_true(f.has_basic_constraints);
	assert_false(f.ca);
	assert_int_equal(f.not_before, T0);
	assert_int_equal(f.not_after - f.not_before, (int64_t)days * 86400);
	assert_int_equal(strlen(f.sha256), 64);
	assert_true(is_lower_hex(f.sha256));
	assert_true(is_lower_hex(f.serial));
	assert_true(strlen(f.serial) >= 16); /* a random serial of at least 64 bits */
	assert_int_equal(f.key_type, CF_KEY_EC);
	assert_int_equal(f.key_bits, 256);
	assert_string_equal(f.curve, "prime256v1");
	assert_string_equal(f.sig_hash, "sha256");
	char spki[65];
	cf_key_spki_sha256(k, spki);
	assert_string_equal(f.spki_sha256, spki);
	assert_int_equal(f.unsupported_oids.n, 0);
	assert_int_equal(f.ocsp.n, 0);
	assert_int_equal(f.crl_dp.n, 0);

	/* the same spec again: a new serial and a new fingerprint */
	cf_cert *c2 = NULL;
	cf_facts f2 = {0};
	assert_int_equal(cf_cert_self_signed(&spec, k, T0, days, &c2, &e), CF_OK);
	assert_int_equal(cf_cert_facts(c2, &f2, &e), CF_OK);
	assert_string_not_equal(f.serial, f2.serial);
	assert_string_not_equal(f.sha256, f2.sha256);
	assert_string_equal(f.spki_sha256, f2.spki_sha256);

	/* many at once give the same facts as one by one */
	cf_cert *v[2] = {c, c2};
	cf_facts many[2];
	memset(many, 0, sizeof(many));
	assert_int_equal(cf_certs_facts(v, 2, many, &e), CF_OK);
	assert_string_equal(many[0].sha256, f.sha256);
	assert_string_equal(many[1].sha256, f2.sha256);
	assert_string_equal(many[1].serial, f2.serial);
	cf_facts_free(&many[0]);
	cf_facts_free(&many[1]);

	cf_facts_free(&f2);
	cf_cert_free(c2);
	cf_facts_free(&f);
	assert_null(f.cn); /* zeroed */
	cf_facts_free(NULL);
	cf_cert_free(c);
	cf_strv_clear(&san);
	cf_key_free(k);
}

static void test_self_signed_ca_and_hashes(void **state)
{
	(void)state;
	cf_key *k = ec_key("secp384r1");
	cf_err e = {0};
	cf_reqspec spec = {.dn = {.cn = "CAPF-1a2b3c4d", .o = "Example"},
			   .ku = CF_KU_DIGITAL_SIGNATURE | CF_KU_KEY_CERT_SIGN | CF_KU_CRL_SIGN,
			   .eku = CF_EKU_SERVER_AUTH,
			   .ca = true,
			   .hash = "sha384"};
	cf_cert *c = NULL;
	assert_int_equal(cf_cert_self_signed(&spec, k, T0, 365, &c, &e), CF_OK);
	cf_facts f = {0};
	assert_int_equal(cf_cert_facts(c, &f, &e), CF_OK);
	assert_true(f.ca);
	assert_true(f.has_basic_constraints);
	assert_int_equal(f.ku, CF_KU_DIGITAL_SIGNATURE | CF_KU_KEY_CERT_SIGN | CF_KU_CRL_SIGN);
	assert_int_equal(f.eku, CF_EKU_SERVER_AUTH);
	assert_string_equal(f.sig_hash, "sha384");
	assert_string_equal(f.cn, "CAPF-1a2b3c4d");
	assert_int_equal(f.san.n, 0);
	cf_facts_free(&f);
	cf_cert_free(c);

	/* no KU/EKU asked: none written */
	cf_reqspec bare = {.dn = {.cn = "bare.example.com"}, .hash = "sha512"};
	assert_int_equal(cf_cert_self_signed(&bare, k, T0, 1, &c, &e), CF_OK);
	assert_int_equal(cf_cert_facts(c, &f, &e), CF_OK);
	assert_false(f.has_ku);
	assert_false(f.has_eku);
	assert_int_equal(f.ku, 0);
	assert_string_equal(f.sig_hash, "sha512");
	assert_string_equal(f.subject, "CN=bare.example.com");
	cf_facts_free(&f);
	cf_cert_free(c);
	cf_key_free(k);
}

static void test_long_validity_past_2050(void **state)
{
	(void)state;
	/* ITLRecovery: 20 years; from 2033 that ends after 2050 (GeneralizedTime) */
	cf_key *k = ec_key("P-256");
	const int64_t nb = INT64_C(2000000000); /* 2033-05-18 */
	cf_cert *c = self_signed(k, "itl.example.com", false, nb, 7300);
	cf_facts f = {0};
	cf_err e = {0};
	assert_int_equal(cf_cert_facts(c, &f, &e), CF_OK);
	assert_int_equal(f.not_before, nb);
	assert_int_equal(f.not_after, nb + INT64_C(7300) * 86400);
	assert_true(f.not_after > INT64_C(2524608000)); /* 2050-01-01 */
	cf_facts_free(&f);
	cf_cert_free(c);
	cf_key_free(k);
}

/* SPEC §2: SHA-1 is refused. That is input rejected (exit 3) for CSRs and certificates alike:
 * the returned code must be the code recorded in e. */
static void test_refuses_sha1(void **state)
{
	(void)state;
	cf_key *k = ec_key("P-256");
	cf_err e = {0};
	cf_reqspec spec = {.dn = {.cn = "sha1.example.com"}, .hash = "sha1"};

	cf_csr *csr = NULL;
	assert_int_equal(cf_csr_create(&spec, k, &csr, &e), CF_E_INPUT);
	assert_int_equal(e.code, CF_E_INPUT);
	assert_null(csr);

	cf_cert *ca = self_signed(k, "CA", true, T0, 10);
	cf_cert *c = NULL;
	cf_err e1 = {0}, e2 = {0};
	cf_code rc1 = cf_cert_self_signed(&spec, k, T0, 10, &c, &e1);
	assert_null(c);
	cf_code rc2 = cf_cert_issue(&spec, k, ca, k, T0, 10, &c, &e2);
	assert_null(c);
	assert_int_equal(e1.code, CF_E_INPUT);
	assert_int_equal(e2.code, CF_E_INPUT);
	cf_cert_free(ca);
	cf_key_free(k);
	if (rc1 != CF_E_INPUT || rc2 != CF_E_INPUT)
		fail_msg("hash sha1: cf_cert_self_signed returned %d, cf_cert_issue returned %d; e.code is %d "
			 "(CF_E_INPUT)",
			 rc1, rc2, CF_E_INPUT);
}

static void test_bad_san_entries(void **state)
{
	(void)state;
	cf_key *k = ec_key("P-256");
	cf_err e = {0};
	cf_strv san = {0};
	cf_strv_push(&san, "DNS:ok.example.com");
	cf_strv_push(&san, "URI:https://example.com/");
	cf_reqspec spec = {.dn = {.cn = "ok.example.com"}, .san = &san};
	cf_csr *csr = NULL;
	assert_int_equal(cf_csr_create(&spec, k, &csr, &e), CF_E_INPUT);
	assert_null(csr);

	cf_strv_clear(&san);
	cf_strv_push(&san, "IP:10.0.0.300");
	cf_err_clear(&e);
	assert_int_equal(cf_csr_create(&spec, k, &csr, &e), CF_E_INPUT);
	assert_null(csr);

	cf_cert *c = NULL;
	cf_err_clear(&e);
	cf_code rc = cf_cert_self_signed(&spec, k, T0, 10, &c, &e);
	cf_strv_clear(&san);
	cf_key_free(k);
	assert_null(c);
	assert_int_equal(e.code, CF_E_INPUT);
	if (rc != CF_E_INPUT)
		fail_msg("SAN \"IP:10.0.0.300\": cf_cert_self_signed returned %d; e.code is %d (CF_E_INPUT)", rc,
			 e.code);
}

/* ---- CSRs ------------------------------------------------------------------------------------------ */

static void test_csr_create_verify_parse(void **state)
{
	(void)state;
	cf_key *k = ec_key("P-256");
	cf_err e = {0};
	cf_strv san = {0};
	cf_strv_push(&san, "DNS:imp-pub-ms.example.com");
	cf_strv_push(&san, "DNS:imp-pub.example.com");
	cf_strv_push(&san, "DNS:*.example.com");
	cf_reqspec spec = {
		.dn = {.c = "DE", .o = "Example GmbH", .ou = "UC", .cn = "imp-pub-ms.example.com"},
		.san = &san,
		.ku = CF_KU_DIGITAL_SIGNATURE | CF_KU_KEY_AGREEMENT,
		.eku = CF_EKU_SERVER_AUTH | CF_EKU_CLIENT_AUTH | CF_EKU_IPSEC_END_SYSTEM,
		.hash = "sha384",
	};
	cf_csr *csr = NULL;
	assert_int_equal(cf_csr_create(&spec, k, &csr, &e), CF_OK);
	assert_true(cf_csr_verify(csr));

	cf_facts f = {0};
	assert_int_equal(cf_csr_facts(csr, &f, &e), CF_OK);
	assert_string_equal(f.cn, "imp-pub-ms.example.com");
	assert_string_equal(f.subject, "CN=imp-pub-ms.example.com,OU=UC,O=Example GmbH,C=DE");
	assert_string_equal(f.issuer, "");
	assert_string_equal(f.serial, "");
	assert_strv(&f.san, LIST("DNS:imp-pub-ms.example.com", "DNS:imp-pub.example.com", "DNS:*.example.com"));
	assert_true(f.has_ku);
	assert_int_equal(f.ku, CF_KU_DIGITAL_SIGNATURE | CF_KU_KEY_AGREEMENT);
	assert_true(f.has_eku);
	assert_int_equal(f.eku, CF_EKU_SERVER_AUTH | CF_EKU_CLIENT_AUTH | CF_EKU_IPSEC_END_SYSTEM);
	assert_true(f.has_basic_constraints);
	assert_false(f.ca);
	assert_int_equal(f.key_type, CF_KEY_EC);
	assert_int_equal(f.key_bits, 256);
	assert_string_equal(f.curve, "prime256v1");
	assert_string_equal(f.sig_hash, "sha384");
	char spki[65];
	cf_key_spki_sha256(k, spki);
	assert_string_equal(f.spki_sha256, spki);

	/* PEM back */
	char *pem = cf_csr_pem(csr);
	assert_non_null(pem);
	assert_non_null(strstr(pem, "-----BEGIN CERTIFICATE REQUEST-----"));
	cf_csr *back = NULL;
	assert_int_equal(cf_csr_parse("req.pem", (const uint8_t *)pem, strlen(pem), &back, &e), CF_OK);
	assert_true(cf_csr_verify(back));
	cf_facts fb = {0};
	assert_int_equal(cf_csr_facts(back, &fb, &e), CF_OK);
	assert_string_equal(fb.subject, f.subject);
	assert_string_equal(fb.spki_sha256, f.spki_sha256);
	assert_int_equal(fb.ku, f.ku);
	assert_int_equal(fb.eku, f.eku);
	assert_strv(&fb.san, LIST("DNS:imp-pub-ms.example.com", "DNS:imp-pub.example.com", "DNS:*.example.com"));
	cf_facts_free(&fb);
	cf_csr_free(back);

	/* DER back */
	size_t der_len = 0;
	uint8_t *der = cf_csr_der(csr, &der_len);
	assert_non_null(der);
	assert_true(der_len > 100);
	assert_int_equal(der[0], 0x30);
	back = NULL;
	assert_int_equal(cf_csr_parse("req.der", der, der_len, &back, &e), CF_OK);
	assert_true(cf_csr_verify(back));
	size_t der2_len = 0;
	uint8_t *der2 = cf_csr_der(back, &der2_len);
	assert_int_equal(der2_len, der_len);
	assert_memory_equal(der2, der, der_len);
	free(der2);
	cf_csr_free(back);

	/* DER with a trailing byte */
	uint8_t *longer = malloc(der_len + 1);
	memcpy(longer, der, der_len);
	longer[der_len] = 0;
	back = NULL;
	cf_err_clear(&e);
	assert_int_equal(cf_csr_parse("req+1.der", longer, der_len + 1, &back, &e), CF_E_INPUT);
	assert_null(back);
	assert_string_equal(e.subject, "req+1.der");
	free(longer);

	/* a flipped bit in the signature: parses, does not verify */
	der[der_len - 3] ^= 0x01;
	back = NULL;
	if (cf_csr_parse("tampered.der", der, der_len, &back, &e) == CF_OK) {
		assert_false(cf_csr_verify(back));
		cf_csr_free(back);
	}

	free(der);
	cf_secret_free(pem);
	cf_facts_free(&f);
	cf_csr_free(csr);
	cf_csr_free(NULL);
	cf_strv_clear(&san);
	cf_key_free(k);
}

static void test_csr_parse_refuses(void **state)
{
	(void)state;
	cf_key *k = ec_key("P-256");
	cf_cert *c = self_signed(k, "cert.example.com", false, T0, 10);
	cf_err e = {0};
	cf_csr *csr = NULL;

	char *pem = cf_cert_pem(c);
	assert_int_equal(cf_csr_parse("cert.pem", (const uint8_t *)pem, strlen(pem), &csr, &e), CF_E_INPUT);
	assert_null(csr);
	assert_string_equal(e.subject, "cert.pem");
	assert_non_null(strstr(e.message, "certificate"));

	size_t len = 0;
	const uint8_t *der = cf_cert_der(c, &len);
	cf_err_clear(&e);
	assert_int_equal(cf_csr_parse("cert.der", der, len, &csr, &e), CF_E_INPUT);
	assert_null(csr);

	static const char garbage[] = "\x30\x03\x02\x01\x05 not a request";
	cf_err_clear(&e);
	assert_int_equal(cf_csr_parse("junk", (const uint8_t *)garbage, sizeof(garbage) - 1, &csr, &e), CF_E_INPUT);
	assert_null(csr);

	static const char truncated[] = "-----BEGIN CERTIFICATE REQUEST-----\nMIIBszCCAVkCAQAw\n";
	cf_err_clear(&e);
	assert_int_equal(cf_csr_parse("cut.csr", (const uint8_t *)truncated, sizeof(truncated) - 1, &csr, &e),
			 CF_E_INPUT);
	assert_null(csr);

	free(pem);
	cf_cert_free(c);
	cf_key_free(k);
}

/* ---- issuing and chains ---------------------------------------------------------------------- */

struct pki {
	cf_key *root_key, *inter_key, *leaf_key, *other_key;
	cf_cert *root, *inter, *leaf, *other_root, *root_twin;
};

static int pki_setup(void **state)
{
	struct pki *p = calloc(1, sizeof(*p));
	p->root_key = ec_key("P-256");
	p->inter_key = ec_key("P-256");
	p->leaf_key = ec_key("P-256");
	p->other_key = ec_key("P-256");
	p->root = self_signed(p->root_key, "Example Root CA", true, T0, 3650);
	p->inter = issue(p->inter_key, "Example Issuing CA", true, p->root, p->root_key);
	p->leaf = issue(p->leaf_key, "ucm1.example.com", false, p->inter, p->inter_key);
	p->other_root = self_signed(p->other_key, "Other Root CA", true, T0, 3650);
	/* same subject as the real root, different key */
	p->root_twin = self_signed(p->other_key, "Example Root CA", true, T0, 3650);
	*state = p;
	return 0;
}

static int pki_teardown(void **state)
{
	struct pki *p = *state;
	cf_cert_free(p->root);
	cf_cert_free(p->inter);
	cf_cert_free(p->leaf);
	cf_cert_free(p->other_root);
	cf_cert_free(p->root_twin);
	cf_key_free(p->root_key);
	cf_key_free(p->inter_key);
	cf_key_free(p->leaf_key);
	cf_key_free(p->other_key);
	free(p);
	return 0;
}

static void test_issue_facts(void **state)
{
	struct pki *p = *state;
	cf_facts root = {0}, inter = {0}, leaf = {0};
	cf_err e = {0};
	assert_int_equal(cf_cert_facts(p->root, &root, &e), CF_OK);
	assert_int_equal(cf_cert_facts(p->inter, &inter, &e), CF_OK);
	assert_int_equal(cf_cert_facts(p->leaf, &leaf, &e), CF_OK);

	assert_true(root.self_signed);
	assert_true(root.ca);
	assert_false(inter.self_signed);
	assert_true(inter.ca);
	assert_string_equal(inter.issuer, root.subject);
	assert_int_equal(inter.ku, CF_KU_KEY_CERT_SIGN | CF_KU_CRL_SIGN);

	assert_false(leaf.self_signed);
	assert_false(leaf.ca);
	assert_string_equal(leaf.cn, "ucm1.example.com");
	assert_string_equal(leaf.issuer, inter.subject);
	assert_string_equal(leaf.subject, "CN=ucm1.example.com,O=Example");
	assert_strv(&leaf.san, LIST("DNS:ucm1.example.com"));
	assert_int_equal(leaf.eku, CF_EKU_SERVER_AUTH | CF_EKU_CLIENT_AUTH);
	assert_int_equal(leaf.not_before, T0);
	assert_int_equal(leaf.not_after - leaf.not_before, INT64_C(365) * 86400);
	char spki[65];
	cf_key_spki_sha256(p->leaf_key, spki);
	assert_string_equal(leaf.spki_sha256, spki);
	assert_true(cf_key_matches_cert(p->leaf_key, p->leaf));
	assert_false(cf_key_matches_cert(p->inter_key, p->leaf));

	assert_true(cf_cert_issued_by(p->leaf, p->inter));
	assert_true(cf_cert_issued_by(p->inter, p->root));
	assert_true(cf_cert_issued_by(p->root, p->root));
	assert_false(cf_cert_issued_by(p->leaf, p->root));
	assert_false(cf_cert_issued_by(p->inter, p->other_root));
	assert_false(cf_cert_issued_by(p->inter, p->root_twin)); /* same name, wrong key */

	cf_facts_free(&root);
	cf_facts_free(&inter);
	cf_facts_free(&leaf);
}

/* A trust index of anchors and untrusted intermediates. */
static cf_trustidx *index_of(cf_cert *const *anchors, size_t n_anchors, cf_cert *const *inters, size_t n_inters)
{
	cf_trustidx *idx = cf_trustidx_new();
	cf_err e = {0};
	assert_non_null(idx);
	for (size_t i = 0; i < n_anchors; i++)
		assert_int_equal(cf_trustidx_add(idx, anchors[i], true, &e), CF_OK);
	for (size_t i = 0; i < n_inters; i++)
		assert_int_equal(cf_trustidx_add(idx, inters[i], false, &e), CF_OK);
	return idx;
}

/* Verifies leaf at now and checks the outcome; out is left for the caller to inspect and clear. */
static void verify_as(cf_trustidx *idx, const cf_cert *leaf, cf_cert *const *extra, size_t n_extra, int64_t now,
		      cf_vfail want, cf_vresult *out)
{
	assert_int_equal(cf_trustidx_verify(idx, leaf, extra, n_extra, now, out), CF_OK);
	if (out->fail != want)
		fail_msg("expected %s, got %s: %s", cf_vfail_name(want), cf_vfail_name(out->fail), out->message);
	if (want == CF_V_OK)
		assert_string_equal(out->message, "");
	else
		assert_true(out->message[0] != '\0');
	assert_true(out->n >= 1);
	assert_true(same_der(out->chain[0], leaf));
}

static void test_chain_to_root(void **state)
{
	struct pki *p = *state;
	cf_vresult out;

	/* the intermediate given with the leaf */
	cf_cert *anchors[] = {p->other_root, p->root};
	cf_cert *extra[] = {p->inter};
	cf_trustidx *idx = index_of(anchors, 2, NULL, 0);
	assert_int_equal(cf_trustidx_anchors(idx), 2);
	verify_as(idx, p->leaf, extra, 1, T0 + 86400, CF_V_OK, &out);
	assert_int_equal(out.n, 3);
	assert_true(same_der(out.chain[1], p->inter));
	assert_true(same_der(out.chain[2], p->root));
	cf_vresult_clear(&out);
	assert_int_equal(out.n, 0);
	cf_trustidx_free(idx);

	/* the intermediate in the index */
	idx = index_of(anchors, 2, extra, 1);
	assert_int_equal(cf_trustidx_anchors(idx), 2);
	verify_as(idx, p->leaf, NULL, 0, T0 + 86400, CF_V_OK, &out);
	assert_int_equal(out.n, 3);
	assert_true(same_der(out.chain[1], p->inter));
	assert_true(same_der(out.chain[2], p->root));
	cf_vresult_clear(&out);
	cf_trustidx_free(idx);

	/* duplicate anchors are fine */
	cf_cert *dup[] = {p->root, p->root};
	idx = index_of(dup, 2, NULL, 0);
	verify_as(idx, p->leaf, extra, 1, T0 + 86400, CF_V_OK, &out);
	assert_int_equal(out.n, 3);
	assert_true(same_der(out.chain[1], p->inter));
	assert_true(same_der(out.chain[2], p->root));
	cf_vresult_clear(&out);
	cf_trustidx_free(idx);
}

static void test_chain_partial(void **state)
{
	struct pki *p = *state;
	cf_vresult out;
	/* an intermediate as the anchor: the chain ends there */
	cf_cert *anchors[] = {p->inter};
	cf_trustidx *idx = index_of(anchors, 1, NULL, 0);
	verify_as(idx, p->leaf, NULL, 0, T0 + 86400, CF_V_OK, &out);
	assert_int_equal(out.n, 2);
	assert_true(same_der(out.chain[1], p->inter));
	cf_vresult_clear(&out);
	cf_trustidx_free(idx);
}

static void test_chain_failures(void **state)
{
	struct pki *p = *state;
	cf_vresult out;
	cf_cert *extra[] = {p->inter};

	/* no intermediate */
	cf_cert *roots[] = {p->root};
	cf_trustidx *idx = index_of(roots, 1, NULL, 0);
	verify_as(idx, p->leaf, NULL, 0, T0 + 86400, CF_V_NO_ISSUER, &out);
	assert_int_equal(out.n, 1); /* the leaf alone */
	assert_non_null(strstr(out.message, "Example Issuing CA"));
	cf_vresult_clear(&out);
	cf_trustidx_free(idx);

	/* the wrong root */
	cf_cert *other[] = {p->other_root};
	idx = index_of(other, 1, NULL, 0);
	verify_as(idx, p->leaf, extra, 1, T0 + 86400, CF_V_NO_ISSUER, &out);
	assert_int_equal(out.n, 1);
	cf_vresult_clear(&out);
	cf_trustidx_free(idx);

	/* a root with the right name but another key */
	cf_cert *twin[] = {p->root_twin};
	idx = index_of(twin, 1, NULL, 0);
	verify_as(idx, p->leaf, extra, 1, T0 + 86400, CF_V_BAD_SIGNATURE, &out);
	assert_int_equal(out.n, 1);
	cf_vresult_clear(&out);
	cf_trustidx_free(idx);

	/* no anchors at all (the intermediate in the index untrusted) */
	idx = index_of(NULL, 0, extra, 1);
	assert_int_equal(cf_trustidx_anchors(idx), 0);
	verify_as(idx, p->leaf, NULL, 0, T0 + 86400, CF_V_NO_ISSUER, &out);
	assert_int_equal(out.n, 1);
	cf_vresult_clear(&out);
	verify_as(idx, p->leaf, extra, 1, T0 + 86400, CF_V_NO_ISSUER, &out);
	assert_int_equal(out.n, 1);
	cf_vresult_clear(&out);
	cf_trustidx_free(idx);
}

static void test_chain_old_dates(void **state)
{
	(void)state;
	/* issued in 2000: it chains at a time inside the CA's validity, however long ago */
	const int64_t y2k = INT64_C(946684800); /* 2000-01-01 */
	cf_key *ck = ec_key("P-256"), *lk = ec_key("P-256");
	cf_cert *ca = self_signed(ck, "Old CA", true, y2k, 30);
	cf_strv san = {0};
	cf_strv_push(&san, "DNS:old.example.com");
	cf_reqspec spec = {.dn = {.cn = "old.example.com"}, .san = &san, .ku = CF_KU_DIGITAL_SIGNATURE};
	cf_cert *leaf = NULL;
	cf_err e = {0};
	assert_int_equal(cf_cert_issue(&spec, lk, ca, ck, y2k, 10, &leaf, &e), CF_OK);
	cf_cert *anchors[] = {ca};
	cf_trustidx *idx = index_of(anchors, 1, NULL, 0);
	cf_vresult out;
	verify_as(idx, leaf, NULL, 0, y2k + 5 * 86400, CF_V_OK, &out);
	assert_int_equal(out.n, 2);
	assert_true(same_der(out.chain[1], ca));
	cf_vresult_clear(&out);
	/* the leaf's own validity is not the index's business: expired leaf, CA still valid */
	verify_as(idx, leaf, NULL, 0, y2k + 20 * 86400, CF_V_OK, &out);
	assert_int_equal(out.n, 2);
	cf_vresult_clear(&out);
	/* but the CA's is */
	verify_as(idx, leaf, NULL, 0, T0, CF_V_EXPIRED, &out);
	cf_vresult_clear(&out);
	verify_as(idx, leaf, NULL, 0, y2k - 86400, CF_V_NOT_YET_VALID, &out);
	cf_vresult_clear(&out);
	cf_trustidx_free(idx);
	cf_cert_free(leaf);
	cf_cert_free(ca);
	cf_strv_clear(&san);
	cf_key_free(ck);
	cf_key_free(lk);
}

/* ---- parsing bundles ------------------------------------------------------------------------------ */

static char *concat3(const char *a, const char *b, const char *c)
{
	size_t la = strlen(a), lb = strlen(b), lc = strlen(c);
	char *out = malloc(la + lb + lc + 1);
	memcpy(out, a, la);
	memcpy(out + la, b, lb);
	memcpy(out + la + lb, c, lc + 1);
	return out;
}

static void test_bundle_pem_many(void **state)
{
	struct pki *p = *state;
	char *a = cf_cert_pem(p->leaf), *b = cf_cert_pem(p->inter), *c = cf_cert_pem(p->root);
	/* text between blocks (as "openssl x509 -text" leaves) is ignored */
	char *ab = concat3(a, "subject=CN = Example Issuing CA\n", b);
	char *all = concat3(ab, "\n", c);
	cf_cert **v = NULL;
	size_t n = 0;
	cf_err e = {0};
	assert_int_equal(cf_cert_parse_bundle("chain.pem", (const uint8_t *)all, strlen(all), &v, &n, &e), CF_OK);
	assert_int_equal(n, 3);
	assert_true(same_der(v[0], p->leaf)); /* file order */
	assert_true(same_der(v[1], p->inter));
	assert_true(same_der(v[2], p->root));
	cf_certs_free(v, n);

	/* one PEM certificate round trip */
	assert_int_equal(cf_cert_parse_bundle("leaf.pem", (const uint8_t *)a, strlen(a), &v, &n, &e), CF_OK);
	assert_int_equal(n, 1);
	assert_true(same_der(v[0], p->leaf));
	char *again = cf_cert_pem(v[0]);
	assert_string_equal(again, a);
	free(again);
	cf_certs_free(v, n);

	/* CRLF line ends */
	size_t la = strlen(a);
	char *crlf = malloc(2 * la + 1), *o = crlf;
	for (const char *s = a; *s; s++) {
		if (*s == '\n')
			*o++ = '\r';
		*o++ = *s;
	}
	*o = '\0';
	assert_int_equal(cf_cert_parse_bundle("crlf.pem", (const uint8_t *)crlf, strlen(crlf), &v, &n, &e), CF_OK);
	assert_int_equal(n, 1);
	assert_true(same_der(v[0], p->leaf));
	cf_certs_free(v, n);
	free(crlf);

	free(all);
	free(ab);
	free(a);
	free(b);
	free(c);
}

static void test_bundle_der(void **state)
{
	struct pki *p = *state;
	size_t len = 0;
	const uint8_t *der = cf_cert_der(p->inter, &len);
	cf_cert **v = NULL;
	size_t n = 0;
	cf_err e = {0};
	assert_int_equal(cf_cert_parse_bundle("inter.der", der, len, &v, &n, &e), CF_OK);
	assert_int_equal(n, 1);
	assert_true(same_der(v[0], p->inter));
	cf_certs_free(v, n);

	/* cf_cert_from_der: exactly len bytes */
	cf_cert *c = cf_cert_from_der(der, len);
	assert_non_null(c);
	assert_true(same_der(c, p->inter));
	cf_cert *r = cf_cert_ref(c);
	assert_ptr_equal(r, c);
	cf_cert_free(r);
	assert_true(same_der(c, p->inter)); /* still alive after one of two references is gone */
	cf_cert_free(c);
	assert_null(cf_cert_from_der(der, len - 1));

	uint8_t *longer = malloc(len + 2);
	memcpy(longer, der, len);
	longer[len] = 0x00;
	longer[len + 1] = 0x00;
	assert_null(cf_cert_from_der(longer, len + 2));
	v = NULL;
	assert_int_equal(cf_cert_parse_bundle("trailing.der", longer, len + 2, &v, &n, &e), CF_E_INPUT);
	assert_null(v);
	assert_string_equal(e.subject, "trailing.der");
	free(longer);

	/* truncated DER */
	cf_err_clear(&e);
	assert_int_equal(cf_cert_parse_bundle("cut.der", der, len / 2, &v, &n, &e), CF_E_INPUT);
	assert_null(v);
	assert_string_equal(e.subject, "cut.der");
}

static void test_bundle_refuses(void **state)
{
	struct pki *p = *state;
	cf_cert **v = NULL;
	size_t n = 12345;
	cf_err e = {0};

	/* empty */
	assert_int_equal(cf_cert_parse_bundle("empty.pem", (const uint8_t *)"", 0, &v, &n, &e), CF_E_INPUT);
	assert_string_equal(e.subject, "empty.pem");
	assert_null(v);
	assert_int_equal(n, 12345);

	/* garbage */
	static const char garbage[] = "\x01\x02\x03 hello, this is no certificate";
	cf_err_clear(&e);
	assert_int_equal(cf_cert_parse_bundle("junk.bin", (const uint8_t *)garbage, sizeof(garbage) - 1, &v, &n, &e),
			 CF_E_INPUT);
	assert_string_equal(e.subject, "junk.bin");
	assert_null(v);

	/* truncated PEM: no END line */
	char *a = cf_cert_pem(p->leaf);
	char *cut = strdup(a);
	cut[strlen(cut) / 2] = '\0';
	cf_err_clear(&e);
	assert_int_equal(cf_cert_parse_bundle("cut.pem", (const uint8_t *)cut, strlen(cut), &v, &n, &e), CF_E_INPUT);
	assert_null(v);
	assert_non_null(strstr(e.message, "truncated"));

	/* a good certificate followed by a truncated one */
	char *b = cf_cert_pem(p->inter);
	char *half = strdup(b);
	half[strlen(half) / 2] = '\0';
	char *good_then_cut = concat3(a, "", half);
	cf_err_clear(&e);
	assert_int_equal(
		cf_cert_parse_bundle("two.pem", (const uint8_t *)good_then_cut, strlen(good_then_cut), &v, &n, &e),
		CF_E_INPUT);
	assert_null(v);

	/* BEGIN/END present but the body lost lines */
	char *damaged = strdup(a);
	char *body = strchr(damaged, '\n') + 1;
	char *next = strchr(body, '\n') + 1;
	memmove(body, next + 64 + 1, strlen(next + 64 + 1) + 1); /* drop two body lines */
	cf_err_clear(&e);
	assert_int_equal(cf_cert_parse_bundle("damaged.pem", (const uint8_t *)damaged, strlen(damaged), &v, &n, &e),
			 CF_E_INPUT);
	assert_null(v);

	/* only text around PEM markers that are not certificates at all */
	static const char no_cert[] = "-----BEGIN FOO-----\nAAAA\n-----END FOO-----\n";
	cf_err_clear(&e);
	assert_int_equal(cf_cert_parse_bundle("foo.pem", (const uint8_t *)no_cert, sizeof(no_cert) - 1, &v, &n, &e),
			 CF_E_INPUT);
	assert_null(v);

	free(damaged);
	free(good_then_cut);
	free(half);
	free(b);
	free(cut);
	free(a);
}

static void test_bundle_refuses_csr(void **state)
{
	struct pki *p = *state;
	cf_reqspec spec = {.dn = {.cn = "req.example.com"}};
	cf_csr *csr = NULL;
	cf_err e = {0};
	cf_cert **v = NULL;
	size_t n = 0;
	assert_int_equal(cf_csr_create(&spec, p->leaf_key, &csr, &e), CF_OK);

	char *pem = cf_csr_pem(csr);
	assert_int_equal(cf_cert_parse_bundle("req.pem", (const uint8_t *)pem, strlen(pem), &v, &n, &e), CF_E_INPUT);
	assert_null(v);
	assert_string_equal(e.subject, "req.pem");
	assert_non_null(strstr(e.message, "request"));

	/* DER request */
	size_t len = 0;
	uint8_t *der = cf_csr_der(csr, &len);
	cf_err_clear(&e);
	assert_int_equal(cf_cert_parse_bundle("req.der", der, len, &v, &n, &e), CF_E_INPUT);
	assert_null(v);
	assert_non_null(strstr(e.message, "request"));

	/* a certificate followed by a CSR */
	char *cert = cf_cert_pem(p->leaf);
	char *both = concat3(cert, "", pem);
	cf_err_clear(&e);
	assert_int_equal(cf_cert_parse_bundle("both.pem", (const uint8_t *)both, strlen(both), &v, &n, &e), CF_E_INPUT);
	assert_null(v);
	assert_non_null(strstr(e.message, "request"));

	free(both);
	free(cert);
	free(der);
	free(pem);
	cf_csr_free(csr);
}

static void test_bundle_refuses_private_key(void **state)
{
	struct pki *p = *state;
	cf_err e = {0};
	cf_cert **v = NULL;
	size_t n = 0;
	char *key = cf_key_pem(p->leaf_key);
	assert_int_equal(cf_cert_parse_bundle("key.pem", (const uint8_t *)key, strlen(key), &v, &n, &e), CF_E_INPUT);
	assert_null(v);
	assert_string_equal(e.subject, "key.pem");
	assert_non_null(strstr(e.message, "private key"));
	assert_no_key_material(e.message, key);

	/* certificate + key in one file */
	char *cert = cf_cert_pem(p->leaf);
	char *both = concat3(cert, "", key);
	cf_err_clear(&e);
	assert_int_equal(cf_cert_parse_bundle("both.pem", (const uint8_t *)both, strlen(both), &v, &n, &e), CF_E_INPUT);
	assert_null(v);
	assert_non_null(strstr(e.message, "private key"));
	assert_no_key_material(e.message, key);

	/* a traditional EC key */
	cf_err_clear(&e);
	assert_int_equal(
		cf_cert_parse_bundle("ec.key", (const uint8_t *)traditional_ec, strlen(traditional_ec), &v, &n, &e),
		CF_E_INPUT);
	assert_null(v);
	assert_no_key_material(e.message, traditional_ec);

	free(both);
	free(cert);
	cf_secret_free(key);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keyspec_accepts),
		cmocka_unit_test(test_keyspec_refuses),
		cmocka_unit_test(test_hash_check),
		cmocka_unit_test(test_names_of_bits),
		cmocka_unit_test(test_key_generate_ec),
		cmocka_unit_test(test_key_generate_rsa),
		cmocka_unit_test(test_key_pem_round_trip),
		cmocka_unit_test(test_key_parse_traditional),
		cmocka_unit_test(test_key_parse_refuses),
		cmocka_unit_test(test_key_matches_cert),
		cmocka_unit_test(test_self_signed_facts),
		cmocka_unit_test(test_self_signed_ca_and_hashes),
		cmocka_unit_test(test_long_validity_past_2050),
		cmocka_unit_test(test_refuses_sha1),
		cmocka_unit_test(test_bad_san_entries),
		cmocka_unit_test(test_csr_create_verify_parse),
		cmocka_unit_test(test_csr_parse_refuses),
		cmocka_unit_test(test_chain_old_dates),
	};
	const struct CMUnitTest pki_tests[] = {
		cmocka_unit_test(test_issue_facts),
		cmocka_unit_test(test_chain_to_root),
		cmocka_unit_test(test_chain_partial),
		cmocka_unit_test(test_chain_failures),
		cmocka_unit_test(test_bundle_pem_many),
		cmocka_unit_test(test_bundle_der),
		cmocka_unit_test(test_bundle_refuses),
		cmocka_unit_test(test_bundle_refuses_csr),
		cmocka_unit_test(test_bundle_refuses_private_key),
	};
	int failed = cmocka_run_group_tests_name("x509", tests, NULL, NULL);
	failed += cmocka_run_group_tests_name("x509 chains and bundles", pki_tests, pki_setup, pki_teardown);
	return failed;
}
