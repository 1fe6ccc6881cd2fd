/* Unit tests for certificate facts decoded from the DER (src/crypto/cert.c, certder.c): the
 * facts must be the ones OpenSSL's full parse gives. The expected values of the static inputs
 * were recorded from the implementation that decoded every certificate with d2i_X509. Only the
 * facade (src/crypto/x509.h) is used here; no OpenSSL header is included. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crypto/verify.h"
#include "crypto/x509.h"
#include "factstest.h"
#include "util/parallel.h"

#define T0 INT64_C(1700000000) /* 2023-11-14T22:13:20Z */
#define LIST(...) ((const char *const[]){__VA_ARGS__, NULL})

/* ---- static inputs (made with the openssl command) --------------------------------------------- */

/* `openssl req -x509 -days 36500 -set_serial -0x1234` with P-256, every extension certfleet reads,
 * SAN RID (ignored), notAfter in 2126 (GeneralizedTime). */
static const char sink_pem[] = "-----BEGIN CERTIFICATE-----\n"
			       "MIIDlzCCAz2gAwIBAgIC7cwwCgYIKoZIzj0EAwIwfjELMAkGA1UEBhMCVVMxFDAS\n"
			       "BgNVBAoMC0V4YW1wbGUgSW5jMQ4wDAYDVQQLDAVWb2ljZTEOMAwGA1UECwwFVmlk\n"
			       "ZW8xGTAXBgNVBAMMEHNpbmsuZXhhbXBsZS5jb20xHjAcBgkqhkiG9w0BCQEWD3Br\n"
			       "aUBleGFtcGxlLmNvbTAgFw0yNjExMjIwNzM2MTFaGA8yMTI2MTAyOTA3MzYxMVow\n"
			       "fjELMAkGA1UEBhMCVVMxFDASBgNVBAoMC0V4YW1wbGUgSW5jMQ4wDAYDVQQLDAVW\n"
			       "b2ljZTEOMAwGA1UECwwFVmlkZW8xGTAXBgNVBAMMEHNpbmsuZXhhbXBsZS5jb20x\n"
			       "HjAcBgkqhkiG9w0BCQEWD3BraUBleGFtcGxlLmNvbTBZMBMGByqGSM49AgEGCCqG\n"
			       "SM49AwEHA0IABAvVAvjowvyAWU6821eA9tCJlTWB0vV/428uklNfznQklKJVgndi\n"
			       "hR0ETC2dd+tDpu3QmywZfM1rDowBRQSTPjijggGnMIIBozAdBgNVHQ4EFgQUIaRV\n"
			       "MrgftLwpucLCZwxrclVlZsYwHwYDVR0jBBgwFoAUIaRVMrgftLwpucLCZwxrclVl\n"
			       "ZsYwZQYDVR0RBF4wXIIQc2luay5leGFtcGxlLmNvbYcEwAACB4cQIAENuAAAAAAA\n"
			       "AAAAAAAAB4YaaHR0cHM6Ly9zaW5rLmV4YW1wbGUuY29tL3iBD29wc0BleGFtcGxl\n"
			       "LmNvbYgDKgMEMA4GA1UdDwEB/wQEAwIAiTAxBgNVHSUEKjAoBggrBgEFBQcDAQYI\n"
			       "KwYBBQUHAwkGCCsGAQUFBwMDBggrBgEFBQcDETBeBggrBgEFBQcBAQRSMFAwJAYI\n"
			       "KwYBBQUHMAGGGGh0dHA6Ly9vY3NwLmV4YW1wbGUuY29tLzAoBggrBgEFBQcwAoYc\n"
			       "aHR0cDovL2NhLmV4YW1wbGUuY29tL2NhLmRlcjAuBgNVHR8EJzAlMCOgIaAfhh1o\n"
			       "dHRwOi8vY3JsLmV4YW1wbGUuY29tL2NhLmNybDASBgNVHRMBAf8ECDAGAQH/AgEA\n"
			       "MBMGA1UdIAQMMAowCAYGZ4EMAQIBMAoGCCqGSM49BAMCA0gAMEUCIHbnZMH9m2R+\n"
			       "9XJGf0e02q4ESk4UaDVI7TXJRz/EimD9AiEAtWBnlken44ETzQLB+w1Ac3xAxAzf\n"
			       "/+mO0O87LQl5Cjo=\n"
			       "-----END CERTIFICATE-----\n";

/* The same with `openssl x509 -trustout -addtrust serverAuth -setalias sink`. */
static const char sink_trusted_pem[] = "-----BEGIN TRUSTED CERTIFICATE-----\n"
				       "MIIDlzCCAz2gAwIBAgIC7cwwCgYIKoZIzj0EAwIwfjELMAkGA1UEBhMCVVMxFDAS\n"
				       "BgNVBAoMC0V4YW1wbGUgSW5jMQ4wDAYDVQQLDAVWb2ljZTEOMAwGA1UECwwFVmlk\n"
				       "ZW8xGTAXBgNVBAMMEHNpbmsuZXhhbXBsZS5jb20xHjAcBgkqhkiG9w0BCQEWD3Br\n"
				       "aUBleGFtcGxlLmNvbTAgFw0yNjExMjIwNzM2MTFaGA8yMTI2MTAyOTA3MzYxMVow\n"
				       "fjELMAkGA1UEBhMCVVMxFDASBgNVBAoMC0V4YW1wbGUgSW5jMQ4wDAYDVQQLDAVW\n"
				       "b2ljZTEOMAwGA1UECwwFVmlkZW8xGTAXBgNVBAMMEHNpbmsuZXhhbXBsZS5jb20x\n"
				       "HjAcBgkqhkiG9w0BCQEWD3BraUBleGFtcGxlLmNvbTBZMBMGByqGSM49AgEGCCqG\n"
				       "SM49AwEHA0IABAvVAvjowvyAWU6821eA9tCJlTWB0vV/428uklNfznQklKJVgndi\n"
				       "hR0ETC2dd+tDpu3QmywZfM1rDowBRQSTPjijggGnMIIBozAdBgNVHQ4EFgQUIaRV\n"
				       "MrgftLwpucLCZwxrclVlZsYwHwYDVR0jBBgwFoAUIaRVMrgftLwpucLCZwxrclVl\n"
				       "ZsYwZQYDVR0RBF4wXIIQc2luay5leGFtcGxlLmNvbYcEwAACB4cQIAENuAAAAAAA\n"
				       "AAAAAAAAB4YaaHR0cHM6Ly9zaW5rLmV4YW1wbGUuY29tL3iBD29wc0BleGFtcGxl\n"
				       "LmNvbYgDKgMEMA4GA1UdDwEB/wQEAwIAiTAxBgNVHSUEKjAoBggrBgEFBQcDAQYI\n"
				       "KwYBBQUHAwkGCCsGAQUFBwMDBggrBgEFBQcDETBeBggrBgEFBQcBAQRSMFAwJAYI\n"
				       "KwYBBQUHMAGGGGh0dHA6Ly9vY3NwLmV4YW1wbGUuY29tLzAoBggrBgEFBQcwAoYc\n"
				       "aHR0cDovL2NhLmV4YW1wbGUuY29tL2NhLmRlcjAuBgNVHR8EJzAlMCOgIaAfhh1o\n"
				       "dHRwOi8vY3JsLmV4YW1wbGUuY29tL2NhLmNybDASBgNVHRMBAf8ECDAGAQH/AgEA\n"
				       "MBMGA1UdIAQMMAowCAYGZ4EMAQIBMAoGCCqGSM49BAMCA0gAMEUCIHbnZMH9m2R+\n"
				       "9XJGf0e02q4ESk4UaDVI7TXJRz/EimD9AiEAtWBnlken44ETzQLB+w1Ac3xAxAzf\n"
				       "/+mO0O87LQl5CjowEjAKBggrBgEFBQcDAQwEc2luaw==\n"
				       "-----END TRUSTED CERTIFICATE-----\n";

/* Subject and issuer differ in DER (UTF8String "Canon Test" vs PrintableString "canon   test")
 * but are equal in X509_NAME_cmp's canonical form: self-signed for OpenSSL. */
static const char canon_pem[] = "-----BEGIN CERTIFICATE-----\n"
				"MIIBJjCBzQIUKAaT2aAjq1RS+tUX27smjtYVwnUwCgYIKoZIzj0EAwIwFTETMBEG\n"
				"A1UEAwwKQ2Fub24gVGVzdDAeFw0yNjExMjIwNzMwMTRaFw0yNjEyMDIwNzMwMTRa\n"
				"MBcxFTATBgNVBAMTDGNhbm9uICAgdGVzdDBZMBMGByqGSM49AgEGCCqGSM49AwEH\n"
				"A0IABAvVAvjowvyAWU6821eA9tCJlTWB0vV/428uklNfznQklKJVgndihR0ETC2d\n"
				"d+tDpu3QmywZfM1rDowBRQSTPjgwCgYIKoZIzj0EAwIDSAAwRQIhAIYmcmwRMcZL\n"
				"I9W/bNfn6IlSlHbJxTT8YuoOZMaRNMnDAiAJrBCohzmLEKEbWUjoMFNwgghU/DpZ\n"
				"ZzXBljTsHy46Tg==\n"
				"-----END CERTIFICATE-----\n";

/* v1, BMPString subject (outside the walker's subset) and a compressed P-256 point (a key shape
 * the fast path leaves to OpenSSL). */
static const char bmp_compressed_pem[] = "-----BEGIN CERTIFICATE-----\n"
					 "MIIBLzCB1wIUPjeh/b2z5RdLx1wt7yqy6IjQyF0wCgYIKoZIzj0EAwIwKzEbMBkG\n"
					 "A1UEAx4SAFoA/AByAGkAYwBoACBl5WcsMQwwCgYDVQQKFAPcbu8wHhcNMjYxMTIy\n"
					 "MDczNjA1WhcNMjYxMjIyMDczNjA1WjArMRswGQYDVQQDHhIAWgD8AHIAaQBjAGgA\n"
					 "IGXlZywxDDAKBgNVBAoUA9xu7zA5MBMGByqGSM49AgEGCCqGSM49AwEHAyIAAgvV\n"
					 "AvjowvyAWU6821eA9tCJlTWB0vV/428uklNfznQkMAoGCCqGSM49BAMCA0cAMEQC\n"
					 "ID5L4sx2roNUW8aZJyZM+Uaecgr75lKSrqYJR7+gfKBzAiBLlp3mW37FCZHxnfIf\n"
					 "oO1xi0QCrPlnM6hIpBOY/GGrMg==\n"
					 "-----END CERTIFICATE-----\n";

/* An Ed25519 key: neither RSA nor EC. */
static const char ed25519_pem[] = "-----BEGIN CERTIFICATE-----\n"
				  "MIIBdTCCASegAwIBAgIUaSlEE8v/44E4upXxK/RICJe2IeYwBQYDK2VwMDAxHDAa\n"
				  "BgNVBAMME2VkMjU1MTkuZXhhbXBsZS5jb20xEDAOBgNVBAoMB0V4YW1wbGUwHhcN\n"
				  "MjYxMTIyMDczMDE0WhcNMjcxMTIyMDczMDE0WjAwMRwwGgYDVQQDDBNlZDI1NTE5\n"
				  "LmV4YW1wbGUuY29tMRAwDgYDVQQKDAdFeGFtcGxlMCowBQYDK2VwAyEA0zXwjZ+k\n"
				  "p6gMkQXXYYJxvxhQJBg1HF8IMZKRfBWnJmejUzBRMB0GA1UdDgQWBBQDYiEqc0Vr\n"
				  "9pE2vRvcjz1QbsTP+TAfBgNVHSMEGDAWgBQDYiEqc0Vr9pE2vRvcjz1QbsTP+TAP\n"
				  "BgNVHRMBAf8EBTADAQH/MAUGAytlcANBAAdxKTSGgjjwRk+Eqv8giZOLkQIBiqdK\n"
				  "bGERGaGTCxVe+62RuUc+CWuTuh1bKT8xirr6qDxGg4fmewXIf839TAs=\n"
				  "-----END CERTIFICATE-----\n";

struct expected {
	const char *name, *pem;
	const char *subject, *issuer, *cn, *serial;
	int64_t not_before, not_after;
	const char *sha256, *spki_sha256;
	cf_keytype key_type;
	int key_bits;
	const char *curve, *sig_hash;
	bool self_signed, ca, has_bc, has_ku, has_eku;
	unsigned ku, eku;
	const char *const *eku_other, *const *san, *const *ocsp, *const *crl_dp;
};

static const char *const none[] = {NULL};

static const struct expected cases[] = {
	{"sink",
	 sink_pem,
	 "emailAddress=pki@example.com,CN=sink.example.com,OU=Video,OU=Voice,O=Example Inc,C=US",
	 "emailAddress=pki@example.com,CN=sink.example.com,OU=Video,OU=Voice,O=Example Inc,C=US",
	 "sink.example.com",
	 "-1234",
	 INT64_C(1795332971),
	 INT64_C(4948932971),
	 "b7a1f0556770a32619fe4782258e91a2fa1a5cf8a88ca47b83f375d510c64c9f",
	 "5b1841afc6aa1922ce95831875574f8ad1645d0104b4a11bfdd9ce0cff0bf462",
	 CF_KEY_EC,
	 256,
	 "prime256v1",
	 "sha256",
	 true,
	 true,
	 true,
	 true,
	 true,
	 CF_KU_DIGITAL_SIGNATURE | CF_KU_KEY_AGREEMENT | CF_KU_ENCIPHER_ONLY,
	 CF_EKU_SERVER_AUTH | CF_EKU_OCSP_SIGNING,
	 LIST("1.3.6.1.5.5.7.3.3", "1.3.6.1.5.5.7.3.17"),
	 LIST("DNS:sink.example.com", "IP:192.0.2.7", "IP:2001:db8:0:0:0:0:0:7", "URI:https://sink.example.com/x",
	      "email:ops@example.com"),
	 LIST("http://ocsp.example.com/"),
	 LIST("http://crl.example.com/ca.crl")},
	{"sink (trusted)",
	 sink_trusted_pem,
	 "emailAddress=pki@example.com,CN=sink.example.com,OU=Video,OU=Voice,O=Example Inc,C=US",
	 "emailAddress=pki@example.com,CN=sink.example.com,OU=Video,OU=Voice,O=Example Inc,C=US",
	 "sink.example.com",
	 "-1234",
	 INT64_C(1795332971),
	 INT64_C(4948932971),
	 "b7a1f0556770a32619fe4782258e91a2fa1a5cf8a88ca47b83f375d510c64c9f",
	 "5b1841afc6aa1922ce95831875574f8ad1645d0104b4a11bfdd9ce0cff0bf462",
	 CF_KEY_EC,
	 256,
	 "prime256v1",
	 "sha256",
	 true,
	 true,
	 true,
	 true,
	 true,
	 CF_KU_DIGITAL_SIGNATURE | CF_KU_KEY_AGREEMENT | CF_KU_ENCIPHER_ONLY,
	 CF_EKU_SERVER_AUTH | CF_EKU_OCSP_SIGNING,
	 LIST("1.3.6.1.5.5.7.3.3", "1.3.6.1.5.5.7.3.17"),
	 LIST("DNS:sink.example.com", "IP:192.0.2.7", "IP:2001:db8:0:0:0:0:0:7", "URI:https://sink.example.com/x",
	      "email:ops@example.com"),
	 LIST("http://ocsp.example.com/"),
	 LIST("http://crl.example.com/ca.crl")},
	{"canonically self-issued",
	 canon_pem,
	 "CN=canon   test",
	 "CN=Canon Test",
	 "canon   test",
	 "280693d9a023ab5452fad517dbbb268ed615c275",
	 INT64_C(1795332614),
	 INT64_C(1796196614),
	 "20a5547fb22e821a24ccc2adb05ee1f13c4b0584ca6a998a50b16c2c25508321",
	 "5b1841afc6aa1922ce95831875574f8ad1645d0104b4a11bfdd9ce0cff0bf462",
	 CF_KEY_EC,
	 256,
	 "prime256v1",
	 "sha256",
	 true,
	 false,
	 false,
	 false,
	 false,
	 0,
	 0,
	 none,
	 none,
	 none,
	 none},
	{"BMPString names, compressed point",
	 bmp_compressed_pem,
	 "O=Ünï,CN=Zürich 日本",
	 "O=Ünï,CN=Zürich 日本",
	 "Zürich 日本",
	 "3e37a1fdbdb3e5174bc75c2def2ab2e888d0c85d",
	 INT64_C(1795332965),
	 INT64_C(1797924965),
	 "9732db2b9ff30c42f54be739acdf98cf4af14587843f9b369d4aedd0dd9171b8",
	 "0438ad1cbe0fabf519cb0e77f5706277b2c8ac2c7f53d93b54c014b2f1617254",
	 CF_KEY_EC,
	 256,
	 "prime256v1",
	 "sha256",
	 true,
	 false,
	 false,
	 false,
	 false,
	 0,
	 0,
	 none,
	 none,
	 none,
	 none},
	{"Ed25519",
	 ed25519_pem,
	 "O=Example,CN=ed25519.example.com",
	 "O=Example,CN=ed25519.example.com",
	 "ed25519.example.com",
	 "69294413cbffe38138ba95f12bf4480897b621e6",
	 INT64_C(1795332614),
	 INT64_C(1826868614),
	 "aa26cca7f407639e6e37f74606ea7ca839a08cf46b1855d76309a765f7a58930",
	 "6061644e34f03cdf09ec59c9df73ac7e9cf026527a787e578575a216c79beca9",
	 CF_KEY_OTHER,
	 256,
	 "",
	 "ed25519",
	 true,
	 true,
	 true,
	 false,
	 false,
	 0,
	 0,
	 none,
	 none,
	 none,
	 none},
};

/* ---- helpers ------------------------------------------------------------------------------------ */

static void assert_strv(const char *what, const cf_strv *sv, const char *const *want)
{
	size_t n = 0;
	while (want[n] != NULL)
		n++;
	char *got = cf_strv_join(sv, ", ");
	if (sv->n != n)
		fail_msg("%s: expected %zu entries, got %zu: [%s]", what, n, sv->n, got);
	for (size_t i = 0; i < n; i++)
		if (strcmp(sv->v[i], want[i]) != 0)
			fail_msg("%s: entry %zu: expected \"%s\", got \"%s\"", what, i, want[i], sv->v[i]);
	free(got);
}

static void assert_same_facts(const char *what, const cf_facts *a, const cf_facts *b)
{
	char *diff = factstest_diff(a, b);
	if (diff != NULL)
		fail_msg("%s: %s", what, diff);
}

static cf_cert *parse_one(const char *what, const char *text, size_t len)
{
	cf_cert **v = NULL;
	size_t n = 0;
	cf_err e = {0};
	if (cf_cert_parse_bundle(what, (const uint8_t *)text, len, &v, &n, &e) != CF_OK)
		fail_msg("%s: %s", what, e.message);
	assert_int_equal(n, 1);
	cf_cert *c = v[0];
	free(v);
	return c;
}

static void assert_refused(const char *what, const char *text, const char *message_part)
{
	cf_cert **v = NULL;
	size_t n = 77;
	cf_err e = {0};
	if (cf_cert_parse_bundle(what, (const uint8_t *)text, strlen(text), &v, &n, &e) != CF_E_INPUT)
		fail_msg("%s: accepted", what);
	assert_null(v);
	assert_int_equal(n, 77);
	assert_string_equal(e.subject, what);
	if (strstr(e.message, message_part) == NULL)
		fail_msg("%s: \"%s\" not in \"%s\"", what, message_part, e.message);
}

static bool same_der(const cf_cert *a, const cf_cert *b)
{
	size_t la = 0, lb = 0;
	const uint8_t *da = cf_cert_der(a, &la), *db = cf_cert_der(b, &lb);
	return la == lb && memcmp(da, db, la) == 0;
}

/* PEM of der under label, 64 columns (the facade's encoder knows only CERTIFICATE). */
static char *pem_of(const uint8_t *der, size_t len, const char *label)
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char *s = NULL;
	size_t n = 0, col = 0;
	FILE *o = open_memstream(&s, &n);
	fprintf(o, "-----BEGIN %s-----\n", label);
	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)der[i] << 16 | (i + 1 < len ? (uint32_t)der[i + 1] << 8 : 0) |
			     (i + 2 < len ? der[i + 2] : 0);
		char q[4] = {b64[v >> 18], b64[(v >> 12) & 63], i + 1 < len ? b64[(v >> 6) & 63] : '=',
			     i + 2 < len ? b64[v & 63] : '='};
		fwrite(q, 1, 4, o);
		if ((col += 4) == 64 || i + 3 >= len) {
			fputc('\n', o);
			col = 0;
		}
	}
	fprintf(o, "-----END %s-----\n", label);
	fclose(o);
	return s;
}

static char *replace(const char *s, const char *from, const char *to)
{
	const char *at = strstr(s, from);
	assert_non_null(at);
	size_t ls = strlen(s), lf = strlen(from), lt = strlen(to);
	char *out = malloc(ls - lf + lt + 1);
	memcpy(out, s, (size_t)(at - s));
	memcpy(out + (at - s), to, lt);
	memcpy(out + (at - s) + lt, at + lf, ls - (size_t)(at - s) - lf + 1);
	return out;
}

static cf_key *gen_key(const char *spec)
{
	cf_keyspec ks;
	cf_key *k = NULL;
	cf_err e = {0};
	assert_int_equal(cf_keyspec_parse(spec, &ks, &e), CF_OK);
	assert_int_equal(cf_key_generate(&ks, &k, &e), CF_OK);
	return k;
}

/* ---- tests ---------------------------------------------------------------------------------------- */

/* Facts of varied certificates equal what the full OpenSSL parse gave, from PEM and from DER. */
static void test_static_facts(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct expected *x = &cases[i];
		cf_cert *c = parse_one(x->name, x->pem, strlen(x->pem));
		cf_facts f = {0};
		cf_err e = {0};
		if (cf_cert_facts(c, &f, &e) != CF_OK)
			fail_msg("%s: %s", x->name, e.message);
		assert_string_equal(f.subject, x->subject);
		assert_string_equal(f.issuer, x->issuer);
		assert_string_equal(f.cn, x->cn);
		assert_string_equal(f.serial, x->serial);
		assert_int_equal(f.not_before, x->not_before);
		assert_int_equal(f.not_after, x->not_after);
		assert_string_equal(f.sha256, x->sha256);
		assert_string_equal(f.spki_sha256, x->spki_sha256);
		assert_int_equal(f.key_type, x->key_type);
		assert_int_equal(f.key_bits, x->key_bits);
		assert_string_equal(f.curve, x->curve);
		assert_string_equal(f.sig_hash, x->sig_hash);
		if (f.self_signed != x->self_signed)
			fail_msg("%s: self_signed %d, expected %d", x->name, f.self_signed, x->self_signed);
		assert_int_equal(f.ca, x->ca);
		assert_int_equal(f.has_basic_constraints, x->has_bc);
		assert_int_equal(f.has_ku, x->has_ku);
		assert_int_equal(f.has_eku, x->has_eku);
		assert_int_equal(f.ku, x->ku);
		assert_int_equal(f.eku, x->eku);
		assert_strv(x->name, &f.eku_other, x->eku_other);
		assert_strv(x->name, &f.san, x->san);
		assert_strv(x->name, &f.ocsp, x->ocsp);
		assert_strv(x->name, &f.crl_dp, x->crl_dp);
		assert_int_equal(f.unsupported_oids.n, 0);

		/* the same from its DER */
		size_t len = 0;
		const uint8_t *der = cf_cert_der(c, &len);
		cf_cert *d = cf_cert_from_der(der, len);
		assert_non_null(d);
		cf_facts g = {0};
		assert_int_equal(cf_cert_facts(d, &g, &e), CF_OK);
		assert_same_facts(x->name, &f, &g);
		/* a PEM certificate comes back as it went in */
		if (strncmp(x->pem, "-----BEGIN CERTIFICATE-----", 27) == 0) {
			char *pem = cf_cert_pem(d);
			assert_string_equal(pem, x->pem);
			free(pem);
		}
		cf_facts_free(&g);
		cf_cert_free(d);
		cf_facts_free(&f);
		cf_cert_free(c);
	}
}

/* A TRUSTED CERTIFICATE's trust data is dropped; bytes there that are not trust data refuse it. */
static void test_trusted_certificate(void **state)
{
	(void)state;
	cf_cert *plain = parse_one("sink.pem", sink_pem, strlen(sink_pem));
	cf_cert *trusted = parse_one("trusted.pem", sink_trusted_pem, strlen(sink_trusted_pem));
	assert_true(same_der(plain, trusted));

	size_t len = 0;
	const uint8_t *der = cf_cert_der(plain, &len);
	uint8_t *junk = malloc(len + 4);
	memcpy(junk, der, len);
	memcpy(junk + len, "\x01\x02\x03\x04", 4);
	char *bad = pem_of(junk, len + 4, "TRUSTED CERTIFICATE");
	assert_refused("bad-aux.pem", bad, "does not parse");
	/* in a CERTIFICATE block, bytes after the certificate are ignored (as PEM_read_bio_X509 does) */
	char *tail = pem_of(junk, len + 4, "CERTIFICATE");
	cf_cert *c = parse_one("tail.pem", tail, strlen(tail));
	assert_true(same_der(c, plain));
	cf_cert_free(c);
	/* and the old label */
	char *old = pem_of(der, len, "X509 CERTIFICATE");
	c = parse_one("old.pem", old, strlen(old));
	assert_true(same_der(c, plain));
	cf_cert_free(c);

	free(old);
	free(tail);
	free(bad);
	free(junk);
	cf_cert_free(trusted);
	cf_cert_free(plain);
}

/* Generated RSA and EC keys: the SPKI fingerprint from the certificate's DER is the key's own,
 * and the lazily decoded certificates verify, match keys and build chains. */
static void test_generated_keys(void **state)
{
	(void)state;
	static const struct {
		const char *spec, *curve;
		cf_keytype type;
		int bits;
	} keys[] = {
		{"ec:P-256", "prime256v1", CF_KEY_EC, 256},
		{"ec:P-384", "secp384r1", CF_KEY_EC, 384},
		{"ec:P-521", "secp521r1", CF_KEY_EC, 521},
		{"rsa:2048", "", CF_KEY_RSA, 2048},
	};
	cf_key *ca_key = gen_key("ec:P-384");
	cf_reqspec ca_spec = {.dn = {.o = "Example", .cn = "Test CA"}, .ku = CF_KU_KEY_CERT_SIGN, .ca = true};
	cf_cert *ca = NULL;
	cf_err e = {0};
	assert_int_equal(cf_cert_self_signed(&ca_spec, ca_key, T0, 365, &ca, &e), CF_OK);
	char *ca_pem = cf_cert_pem(ca);

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		cf_key *k = gen_key(keys[i].spec);
		char spki[65];
		cf_key_spki_sha256(k, spki);
		cf_strv san = {0};
		cf_strv_push(&san, "DNS:leaf.example.com");
		cf_strv_push(&san, "IP:10.0.0.1");
		cf_reqspec spec = {.dn = {.cn = "leaf.example.com"}, .san = &san, .ku = CF_KU_DIGITAL_SIGNATURE};
		cf_cert *self = NULL, *leaf = NULL;
		assert_int_equal(cf_cert_self_signed(&spec, k, T0, 30, &self, &e), CF_OK);
		assert_int_equal(cf_cert_issue(&spec, k, ca, ca_key, T0, 30, &leaf, &e), CF_OK);

		/* parsed back from PEM: nothing decoded by OpenSSL yet */
		char *self_pem = cf_cert_pem(self), *leaf_pem = cf_cert_pem(leaf);
		cf_cert *ps = parse_one("self.pem", self_pem, strlen(self_pem));
		cf_cert *pl = parse_one("leaf.pem", leaf_pem, strlen(leaf_pem));
		cf_cert *pca = parse_one("ca.pem", ca_pem, strlen(ca_pem));
		cf_facts fs = {0}, fl = {0}, built = {0};
		assert_int_equal(cf_cert_facts(ps, &fs, &e), CF_OK);
		assert_int_equal(cf_cert_facts(pl, &fl, &e), CF_OK);
		assert_int_equal(cf_cert_facts(leaf, &built, &e), CF_OK);
		assert_same_facts(keys[i].spec, &fl, &built);
		assert_string_equal(fs.spki_sha256, spki);
		assert_string_equal(fl.spki_sha256, spki);
		assert_int_equal(fl.key_type, keys[i].type);
		assert_int_equal(fl.key_bits, keys[i].bits);
		assert_string_equal(fl.curve, keys[i].curve);
		assert_true(fs.self_signed);
		assert_false(fl.self_signed);
		assert_strv(keys[i].spec, &fl.san, LIST("DNS:leaf.example.com", "IP:10.0.0.1"));

		assert_true(cf_key_matches_cert(k, pl));
		assert_false(cf_key_matches_cert(ca_key, pl));
		assert_true(cf_cert_issued_by(pl, pca));
		assert_false(cf_cert_issued_by(pl, ps));
		cf_trustidx *idx = cf_trustidx_new();
		assert_int_equal(cf_trustidx_add(idx, pca, true, &e), CF_OK);
		cf_vresult out;
		assert_int_equal(cf_trustidx_verify(idx, pl, NULL, 0, T0 + 86400, &out), CF_OK);
		if (out.fail != CF_V_OK)
			fail_msg("%s: %s: %s", keys[i].spec, cf_vfail_name(out.fail), out.message);
		assert_int_equal(out.n, 2);
		assert_true(same_der(out.chain[0], leaf));
		assert_true(same_der(out.chain[1], ca));
		cf_vresult_clear(&out);
		/* the self-signed twin of the leaf is not issued by the CA */
		assert_int_equal(cf_trustidx_verify(idx, ps, NULL, 0, T0 + 86400, &out), CF_OK);
		assert_int_equal(out.fail, CF_V_NO_ISSUER);
		cf_vresult_clear(&out);
		cf_trustidx_free(idx);

		cf_facts_free(&fs);
		cf_facts_free(&fl);
		cf_facts_free(&built);
		cf_cert_free(pca);
		cf_cert_free(pl);
		cf_cert_free(ps);
		free(self_pem);
		free(leaf_pem);
		cf_cert_free(self);
		cf_cert_free(leaf);
		cf_strv_clear(&san);
		cf_key_free(k);
	}
	free(ca_pem);
	cf_cert_free(ca);
	cf_key_free(ca_key);
}

/* DER that is not strict DER (a long-form or indefinite outer length) is still a certificate,
 * kept in OpenSSL's re-encoding as before. */
static void test_noncanonical_der(void **state)
{
	(void)state;
	cf_cert *c = parse_one("sink.pem", sink_pem, strlen(sink_pem));
	size_t len = 0;
	const uint8_t *der = cf_cert_der(c, &len);
	assert_true(der[0] == 0x30 && der[1] == 0x82);
	size_t body = ((size_t)der[2] << 8) | der[3];
	assert_int_equal(body + 4, len);

	uint8_t *longer = malloc(len + 2), *indef = malloc(len + 2);
	longer[0] = 0x30;
	longer[1] = 0x84;
	longer[2] = 0;
	longer[3] = 0;
	longer[4] = der[2];
	longer[5] = der[3];
	memcpy(longer + 6, der + 4, body);
	indef[0] = 0x30;
	indef[1] = 0x80;
	memcpy(indef + 2, der + 4, body);
	indef[body + 2] = 0;
	indef[body + 3] = 0;
	const uint8_t *inputs[] = {longer, indef};
	const size_t lens[] = {len + 2, body + 4};
	cf_facts want = {0};
	cf_err e = {0};
	assert_int_equal(cf_cert_facts(c, &want, &e), CF_OK);
	for (size_t i = 0; i < 2; i++) {
		cf_cert *d = cf_cert_from_der(inputs[i], lens[i]);
		assert_non_null(d);
		assert_true(same_der(d, c));
		cf_facts f = {0};
		assert_int_equal(cf_cert_facts(d, &f, &e), CF_OK);
		assert_same_facts("re-encoded", &f, &want);
		cf_facts_free(&f);
		cf_cert_free(d);
		cf_cert **v = NULL;
		size_t n = 0;
		assert_int_equal(cf_cert_parse_bundle("ber.der", inputs[i], lens[i], &v, &n, &e), CF_OK);
		assert_true(same_der(v[0], c));
		cf_certs_free(v, n);
	}
	cf_facts_free(&want);
	free(indef);
	free(longer);
	cf_cert_free(c);
}

/* A point that is not on its curve: OpenSSL does not decode the key, so there are no key facts
 * (and no self-signature), as before. */
/* Whether `openssl x509` reads a bad time value in the DER certificate (its -text says so). */
static bool openssl_bad_time(const uint8_t *der, size_t len)
{
	char path[] = "/tmp/cf-test-der-date-XXXXXX", cmd[256], line[512];
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, der, len), (ssize_t)len);
	close(fd);
	snprintf(cmd, sizeof(cmd), "openssl x509 -inform DER -in '%s' -noout -text 2>&1", path);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	bool bad = false, read_any = false;
	while (fgets(line, sizeof(line), p) != NULL) {
		read_any = read_any || strstr(line, "Not After") != NULL;
		bad = bad || strstr(line, "Bad time value") != NULL;
	}
	pclose(p);
	unlink(path);
	assert_true(read_any);
	return bad;
}

/* notBefore (UTCTime) and notAfter (GeneralizedTime) of sink.pem patched to impossible dates:
 * the certificate has no facts (refused, naming the bad time value), as openssl calls them bad;
 * 29 February of a leap year is read as that day. */
static void test_strict_dates(void **state)
{
	(void)state;
	static const struct {
		const char *from, *to;
		int64_t want; /* 0: refused; else the time read */
	} dates[] = {
		{"261122073611Z", "9a1122073611Z", 0},
		{"261122073611Z", "260231073611Z", 0},
		{"261122073611Z", "260230073611Z", 0},
		{"261122073611Z", "270229073611Z", 0},
		{"261122073611Z", "261122243611Z", 0},
		{"261122073611Z", "261122076011Z", 0},
		{"261122073611Z", "261122073660Z", 0},
		{"261122073611Z", "280229000000Z", INT64_C(1835395200)},
		{"21261029073611Z", "2a261029073611Z", 0},
		{"21261029073611Z", "21260231073611Z", 0},
		{"21261029073611Z", "21000229073611Z", 0},
		{"21261029073611Z", "21261029240000Z", 0},
		{"21261029073611Z", "21261029076000Z", 0},
		{"21261029073611Z", "21261029073660Z", 0},
		{"21261029073611Z", "20520229000000Z", INT64_C(2592777600)},
	};
	cf_cert *c = parse_one("sink.pem", sink_pem, strlen(sink_pem));
	size_t len = 0;
	const uint8_t *der = cf_cert_der(c, &len);
	for (size_t i = 0; i < sizeof(dates) / sizeof(dates[0]); i++) {
		size_t n = strlen(dates[i].from);
		uint8_t *b = malloc(len);
		assert_non_null(b);
		memcpy(b, der, len);
		uint8_t *at = memmem(b, len, dates[i].from, n);
		assert_non_null(at);
		memcpy(at, dates[i].to, n);
		bool bad = openssl_bad_time(b, len);
		cf_cert *d = cf_cert_from_der(b, len);
		cf_facts f = {0};
		cf_err e = {0};
		cf_code rc = d != NULL ? cf_cert_facts(d, &f, &e) : CF_E_INPUT;
		if (dates[i].want == 0) {
			if (!bad)
				fail_msg("%s: the openssl command reads it", dates[i].to);
			if (rc != CF_E_INPUT || (d != NULL && strstr(e.message, "bad time value") == NULL))
				fail_msg("%s: not refused for its date (%d: %s)", dates[i].to, (int)rc, e.message);
		} else {
			if (bad)
				fail_msg("%s: the openssl command calls it bad", dates[i].to);
			if (rc != CF_OK)
				fail_msg("%s: refused: %s", dates[i].to, e.message);
			assert_int_equal(n == 13 ? f.not_before : f.not_after, dates[i].want);
			cf_facts_free(&f);
		}
		cf_cert_free(d);
		free(b);
	}
	cf_cert_free(c);
}

static void test_off_curve_key(void **state)
{
	(void)state;
	cf_cert *c = parse_one("sink.pem", sink_pem, strlen(sink_pem));
	size_t len = 0;
	const uint8_t *der = cf_cert_der(c, &len);
	uint8_t *bad = malloc(len);
	memcpy(bad, der, len);
	uint8_t *point = memmem(bad, len, "\x03\x42\x00\x04", 4);
	assert_non_null(point);
	point[4 + 10] ^= 1;
	cf_cert *d = cf_cert_from_der(bad, len);
	assert_non_null(d);
	cf_facts f = {0};
	cf_err e = {0};
	assert_int_equal(cf_cert_facts(d, &f, &e), CF_OK);
	assert_int_equal(f.key_type, CF_KEY_NONE);
	assert_int_equal(f.key_bits, 0);
	assert_string_equal(f.spki_sha256, "");
	assert_string_equal(f.curve, "");
	assert_false(f.self_signed);
	assert_string_equal(f.cn, "sink.example.com");
	assert_true(f.ca);
	cf_facts_free(&f);
	cf_cert_free(d);
	free(bad);
	cf_cert_free(c);
}

/* PEM as the decoder reads it: header lines skipped, formatting tolerated, damage refused. */
static void test_pem_variants(void **state)
{
	(void)state;
	cf_cert *want = parse_one("sink.pem", sink_pem, strlen(sink_pem));
	const char *body = strchr(sink_pem, '\n') + 1;

	char *header = replace(sink_pem, "\n", "\nComment: made by hand\nX-Note: a: b\n\n");
	char *crlf = malloc(2 * sizeof(sink_pem)), *o = crlf;
	for (const char *s = sink_pem; *s; s++) {
		if (*s == '\n')
			*o++ = '\r';
		*o++ = *s;
	}
	*o = '\0';
	char *trailing_space = replace(sink_pem, "MIIDlzCCAz2gAwIBAgIC7cwwCgYIKoZIzj0EAwIwfjELMAkGA1UEBhMCVVMxFDAS\n",
				       "MIIDlzCCAz2gAwIBAgIC7cwwCgYIKoZIzj0EAwIwfjELMAkGA1UEBhMCVVMxFDAS \t\n");
	char *oneline = malloc(sizeof(sink_pem)), *w = oneline;
	w += sprintf(w, "-----BEGIN CERTIFICATE-----\n");
	for (const char *s = body; strncmp(s, "-----END", 8) != 0; s++)
		if (*s != '\n')
			*w++ = *s;
	sprintf(w, "\n-----END CERTIFICATE-----\n");
	const char *good[] = {header, crlf, trailing_space, oneline};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		cf_cert *c = parse_one("variant.pem", good[i], strlen(good[i]));
		if (!same_der(c, want))
			fail_msg("PEM variant %zu decoded to another certificate", i);
		cf_cert_free(c);
	}

	char *encrypted = replace(
		sink_pem, "\n", "\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00112233445566778899AABBCCDDEEFF\n\n");
	char *no_blank = replace(sink_pem, "\n", "\nComment: no blank line after me\n");
	char *after_begin = replace(sink_pem, "-----\n", "----- junk\n");
	char *end_midline = replace(sink_pem, "Cjo=\n", "Cjo=");
	char *bad_char = replace(sink_pem, "MIIDlz", "MII*lz");
	char *cut = replace(sink_pem, "ZW8xGTAXBgNVBAMMEHNpbmsuZXhhbXBsZS5jb20xHjAcBgkqhkiG9w0BCQEWD3Br\n", "");
	assert_refused("encrypted.pem", encrypted, "does not parse");
	assert_refused("no-blank.pem", no_blank, "does not parse");
	assert_refused("after-begin.pem", after_begin, "does not parse");
	assert_refused("end-midline.pem", end_midline, "does not parse");
	assert_refused("bad-char.pem", bad_char, "does not parse");
	assert_refused("cut.pem", cut, "truncated");

	free(cut);
	free(bad_char);
	free(end_midline);
	free(after_begin);
	free(no_blank);
	free(encrypted);
	free(oneline);
	free(trailing_space);
	free(crlf);
	free(header);
	cf_cert_free(want);
}

/* DER whose bytes spell a PEM marker (here in its subject) is read as the DER it is. */
static void test_der_spelling_pem(void **state)
{
	(void)state;
	cf_keyspec ks = {0};
	cf_key *key = NULL;
	cf_cert *self = NULL, **v = NULL;
	cf_err e = {0};
	size_t n = 0, len = 0;
	cf_reqspec spec = {.dn = {.cn = "-----BEGIN CERTIFICATE-----", .o = "Example"}};
	assert_int_equal(cf_keyspec_parse("ec:prime256v1", &ks, &e), CF_OK);
	assert_int_equal(cf_key_generate(&ks, &key, &e), CF_OK);
	assert_int_equal(cf_cert_self_signed(&spec, key, T0, 30, &self, &e), CF_OK);
	const uint8_t *der = cf_cert_der(self, &len);
	if (cf_cert_parse_bundle("marker.der", der, len, &v, &n, &e) != CF_OK)
		fail_msg("marker.der: %s", e.message);
	assert_int_equal(n, 1);
	assert_true(same_der(v[0], self));
	cf_certs_free(v, n);
	cf_cert_free(self);
	cf_key_free(key);
}

struct race {
	cf_cert *leaf, *ca;
	cf_key *key;
	int wrong;
};

static void race_slice(void *ctx, size_t begin, size_t end)
{
	struct race *r = ctx;
	for (size_t i = begin; i < end; i++) {
		bool ok = i % 2 ? cf_cert_issued_by(r->leaf, r->ca) : cf_key_matches_cert(r->key, r->leaf);
		if (!ok)
			__atomic_add_fetch(&r->wrong, 1, __ATOMIC_RELAXED);
	}
}

/* Threads that need the decoded form of the same certificates at once share one decode. */
static void test_lazy_decode_concurrent(void **state)
{
	(void)state;
	cf_key *ca_key = gen_key("ec:P-256"), *k = gen_key("ec:P-256");
	cf_reqspec ca_spec = {.dn = {.cn = "Race CA"}, .ku = CF_KU_KEY_CERT_SIGN, .ca = true};
	cf_reqspec spec = {.dn = {.cn = "race.example.com"}};
	cf_cert *ca = NULL, *leaf = NULL;
	cf_err e = {0};
	assert_int_equal(cf_cert_self_signed(&ca_spec, ca_key, T0, 30, &ca, &e), CF_OK);
	assert_int_equal(cf_cert_issue(&spec, k, ca, ca_key, T0, 30, &leaf, &e), CF_OK);
	for (int round = 0; round < 20; round++) {
		size_t ll = 0, cl = 0;
		const uint8_t *ld = cf_cert_der(leaf, &ll), *cd = cf_cert_der(ca, &cl);
		struct race r = {cf_cert_from_der(ld, ll), cf_cert_from_der(cd, cl), k, 0};
		cf_parallel_for(64, 1, race_slice, &r);
		assert_int_equal(r.wrong, 0);
		cf_cert_free(r.leaf);
		cf_cert_free(r.ca);
	}

	/* many certificates' facts at once equal one by one */
	char *pem = cf_cert_pem(leaf);
	size_t one = strlen(pem), n = 1200;
	char *bundle = malloc(one * n + 1);
	for (size_t i = 0; i < n; i++)
		memcpy(bundle + i * one, pem, one);
	bundle[one * n] = '\0';
	cf_cert **v = NULL;
	size_t got = 0;
	assert_int_equal(cf_cert_parse_bundle("many.pem", (const uint8_t *)bundle, one * n, &v, &got, &e), CF_OK);
	assert_int_equal(got, n);
	cf_facts *many = calloc(n, sizeof(*many)), single = {0};
	assert_int_equal(cf_certs_facts(v, n, many, &e), CF_OK);
	assert_int_equal(cf_cert_facts(leaf, &single, &e), CF_OK);
	for (size_t i = 0; i < n; i++) {
		assert_same_facts("bundle", &many[i], &single);
		cf_facts_free(&many[i]);
	}
	cf_facts_free(&single);
	free(many);
	cf_certs_free(v, got);
	free(bundle);
	free(pem);
	cf_cert_free(leaf);
	cf_cert_free(ca);
	cf_key_free(k);
	cf_key_free(ca_key);
}

/* ---- names with control bytes ---------------------------------------------------------------------- */

/* Self-signed P-256 certificates made with `openssl req -x509`, the SAN written as raw DER in the
 * extension config (subjectAltName = DER:30...). nul_san: DNS "victim.example.com<NUL>.attacker
 * .example" (`openssl verify -verify_hostname victim.example.com` says hostname mismatch). */
static const char nul_san_pem[] = "-----BEGIN CERTIFICATE-----\n"
				  "MIIBfjCCASSgAwIBAgICQkIwCgYIKoZIzj0EAwIwHTEbMBkGA1UEAwwSdmljdGlt\n"
				  "LmV4YW1wbGUuY29tMCAXDTI2MTIwNTE2NDgyOVoYDzIxMjYxMTExMTY0ODI5WjAd\n"
				  "MRswGQYDVQQDDBJ2aWN0aW0uZXhhbXBsZS5jb20wWTATBgcqhkjOPQIBBggqhkjO\n"
				  "PQMBBwNCAASb5Bg59uqFGGUIfPc76BbtW6RwywKQ35Hvh+uIDDd/KfGQjbD+jLan\n"
				  "qH0za4XnoZoKYCp7Oiv6kX+SsMZU2g6Ro1IwUDAvBgNVHREEKDAmgiR2aWN0aW0u\n"
				  "ZXhhbXBsZS5jb20ALmF0dGFja2VyLmV4YW1wbGUwHQYDVR0OBBYEFPfn0WlAFIVW\n"
				  "xM/453Yp1LN7GaYJMAoGCCqGSM49BAMCA0gAMEUCIHJ80bCGbpASt1HgnvT2xF3n\n"
				  "sdAaL7hqGNwVbLnynzlRAiEA//FLN3fh3gh4C5KePIBcykxyd4QP8GvQCXPqO1QY\n"
				  "8oc=\n"
				  "-----END CERTIFICATE-----\n";

/* email "pki@example.com<LF>DNS:ucm2.example.com", DNS ucm1.example.com, URI "file:\\\\server\\new". */
static const char lf_san_pem[] = "-----BEGIN CERTIFICATE-----\n"
				 "MIIBnzCCAUWgAwIBAgICQkIwCgYIKoZIzj0EAwIwGzEZMBcGA1UEAwwQdWNtMS5l\n"
				 "eGFtcGxlLmNvbTAgFw0yNjEyMDUxNjQ4MzFaGA8yMTI2MTExMTE2NDgzMVowGzEZ\n"
				 "MBcGA1UEAwwQdWNtMS5leGFtcGxlLmNvbTBZMBMGByqGSM49AgEGCCqGSM49AwEH\n"
				 "A0IABJvkGDn26oUYZQh89zvoFu1bpHDLApDfke+H64gMN38p8ZCNsP6MtqeofTNr\n"
				 "heehmgpgKns6K/qRf5KwxlTaDpGjdzB1MFQGA1UdEQRNMEuBJHBraUBleGFtcGxl\n"
				 "LmNvbQpETlM6dWNtMi5leGFtcGxlLmNvbYIQdWNtMS5leGFtcGxlLmNvbYYRZmls\n"
				 "ZTpcXHNlcnZlclxuZXcwHQYDVR0OBBYEFPfn0WlAFIVWxM/453Yp1LN7GaYJMAoG\n"
				 "CCqGSM49BAMCA0gAMEUCIQDfUO8bcIMzx+sxJNZyiqQ62UlHmDovdHECmPuIHHbo\n"
				 "qQIgbEWxifOflG4zQMH8yQsZ1vWmlNLtHtDwM4x7kuJ9Lpc=\n"
				 "-----END CERTIFICATE-----\n";

/* DNS "ucm1<0xff>.example.com": not IA5 text. */
static const char high_san_pem[] = "-----BEGIN CERTIFICATE-----\n"
				   "MIIBZzCCAQ2gAwIBAgICQkIwCgYIKoZIzj0EAwIwGzEZMBcGA1UEAwwQdWNtMS5l\n"
				   "eGFtcGxlLmNvbTAgFw0yNjEyMDUxNjQ4MzRaGA8yMTI2MTExMTE2NDgzNFowGzEZ\n"
				   "MBcGA1UEAwwQdWNtMS5leGFtcGxlLmNvbTBZMBMGByqGSM49AgEGCCqGSM49AwEH\n"
				   "A0IABJvkGDn26oUYZQh89zvoFu1bpHDLApDfke+H64gMN38p8ZCNsP6MtqeofTNr\n"
				   "heehmgpgKns6K/qRf5KwxlTaDpGjPzA9MBwGA1UdEQQVMBOCEXVjbTH/LmV4YW1w\n"
				   "bGUuY29tMB0GA1UdDgQWBBT359FpQBSFVsTP+Od2KdSzexmmCTAKBggqhkjOPQQD\n"
				   "AgNIADBFAiEA8h7ZiRvwPn9V0cgzBEXEV8L/PD95R4cMqf0jUBPzYLYCIBrA1xGe\n"
				   "0PMS75XzZU6mApTnuTd3tpriOZBlvsfFDO7e\n"
				   "-----END CERTIFICATE-----\n";

/* CN "Evil<ESC>[2J Root", DNS "ucm1<ESC>[2J.example.com" and DNS ucm1.example.com. */
static const char esc_pem[] = "-----BEGIN CERTIFICATE-----\n"
			      "MIIBdjCCARygAwIBAgICQkIwCgYIKoZIzj0EAwIwGDEWMBQGA1UEAwwNRXZpbBtb\n"
			      "MkogUm9vdDAgFw0yNjEyMDUxNjQ4MzdaGA8yMTI2MTExMTE2NDgzN1owGDEWMBQG\n"
			      "A1UEAwwNRXZpbBtbMkogUm9vdDBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABJvk\n"
			      "GDn26oUYZQh89zvoFu1bpHDLApDfke+H64gMN38p8ZCNsP6MtqeofTNrheehmgpg\n"
			      "Kns6K/qRf5KwxlTaDpGjVDBSMDEGA1UdEQQqMCiCFHVjbTEbWzJKLmV4YW1wbGUu\n"
			      "Y29tghB1Y20xLmV4YW1wbGUuY29tMB0GA1UdDgQWBBT359FpQBSFVsTP+Od2KdSz\n"
			      "exmmCTAKBggqhkjOPQQDAgNIADBFAiEAgRGHDCLzEbpQVWv6A7ugY2CMl5+XM/8N\n"
			      "6mYrwWO/Gg8CIBAYE6yrzX/Tzwz6DCFCXPPqlMOvFpnpR28y1Di4peHs\n"
			      "-----END CERTIFICATE-----\n";

/* esc_pem with its subject replaced in the DER by CN (UTF8String) "victim.example.com<NUL>.attacker
 * .example" (its signature no longer matches, which facts do not look at). */
static const char nul_cn_pem[] = "-----BEGIN CERTIFICATE-----\n"
				 "MIIBjTCCATOgAwIBAgICQkIwCgYIKoZIzj0EAwIwGDEWMBQGA1UEAwwNRXZpbBtb\n"
				 "MkogUm9vdDAgFw0yNjEyMDUxNjQ4MzdaGA8yMTI2MTExMTE2NDgzN1owLzEtMCsG\n"
				 "A1UEAwwkdmljdGltLmV4YW1wbGUuY29tAC5hdHRhY2tlci5leGFtcGxlMFkwEwYH\n"
				 "KoZIzj0CAQYIKoZIzj0DAQcDQgAEm+QYOfbqhRhlCHz3O+gW7VukcMsCkN+R74fr\n"
				 "iAw3fynxkI2w/oy2p6h9M2uF56GaCmAqezor+pF/krDGVNoOkaNUMFIwMQYDVR0R\n"
				 "BCowKIIUdWNtMRtbMkouZXhhbXBsZS5jb22CEHVjbTEuZXhhbXBsZS5jb20wHQYD\n"
				 "VR0OBBYEFPfn0WlAFIVWxM/453Yp1LN7GaYJMAoGCCqGSM49BAMCA0gAMEUCIQCB\n"
				 "EYcMIvMRulBVa/oDu6BjYIyXn5cz/w3qZivBY78aDwIgEBgTrKvNf9PPDPoMIUJc\n"
				 "8+qUw68WmelHbzLUOLil4ew=\n"
				 "-----END CERTIFICATE-----\n";

/* c's DER with a long-form outer length: outside the walker's strict DER, so the facts come from
 * OpenSSL's full parse (test_noncanonical_der shows the certificate stays the same). */
static cf_cert *full_parse_copy(const cf_cert *c)
{
	size_t len = 0;
	const uint8_t *der = cf_cert_der(c, &len);
	assert_true(der[0] == 0x30 && der[1] == 0x82);
	uint8_t *longer = malloc(len + 2);
	assert_non_null(longer);
	longer[0] = 0x30;
	longer[1] = 0x84;
	longer[2] = 0;
	longer[3] = 0;
	memcpy(longer + 4, der + 2, len - 2);
	cf_cert *d = cf_cert_from_der(longer, len + 2);
	assert_non_null(d);
	free(longer);
	return d;
}

/* A NUL in a DNS SAN or a CN, and a SAN byte that is not IA5, give no facts (CF_E_INPUT, the name
 * escaped in the message): the walked facts and OpenSSL's full parse refuse alike. Before, the NUL
 * ended the name, so the facts said DNS:victim.example.com. */
static void test_names_refused(void **state)
{
	(void)state;
	static const struct {
		const char *what, *pem, *message;
	} refused[] = {
		{"nul_san", nul_san_pem,
		 "its subjectAltName DNS name \"victim.example.com\\x00.attacker.example\" holds a NUL byte"},
		{"high_san", high_san_pem,
		 "its subjectAltName DNS name \"ucm1\\xff.example.com\" holds byte 0xff, which is not IA5 text"},
		{"nul_cn", nul_cn_pem,
		 "its subject CN \"victim.example.com\\x00.attacker.example\" holds a NUL character"},
	};
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		cf_cert *c = parse_one(refused[i].what, refused[i].pem, strlen(refused[i].pem));
		cf_cert *full = full_parse_copy(c);
		cf_cert *const both[] = {c, full};
		for (size_t k = 0; k < 2; k++) {
			cf_facts f = {0};
			cf_err e = {0};
			if (cf_cert_facts(both[k], &f, &e) != CF_E_INPUT)
				fail_msg("%s (%s): not refused", refused[i].what, k ? "full parse" : "walker");
			assert_string_equal(e.subject, "certificate");
			assert_string_equal(e.message, refused[i].message);
			assert_null(f.subject);
			assert_int_equal(f.san.n, 0);
		}
		/* many at once (bulk imports) refuse too, naming the certificate */
		cf_facts out[2];
		cf_err e = {0};
		memset(out, 0, sizeof(out));
		assert_int_equal(cf_certs_facts(both, 2, out, &e), CF_E_INPUT);
		assert_string_equal(e.subject, "certificate 1");
		assert_null(out[0].subject);
		assert_null(out[1].subject);
		cf_cert_free(full);
		cf_cert_free(c);
	}
}

/* Other control bytes are kept exactly, in both paths: a line feed inside an e-mail SAN stays in
 * that one SAN (no DNS:ucm2.example.com appears), an escape stays in the CN and the DNS name. */
static void test_control_bytes_kept(void **state)
{
	(void)state;
	const struct {
		const char *what, *pem, *cn;
		const char *const *san;
	} kept[] = {
		{"lf_san", lf_san_pem, "ucm1.example.com",
		 LIST("email:pki@example.com\nDNS:ucm2.example.com", "DNS:ucm1.example.com",
		      "URI:file:\\\\server\\new")},
		{"esc", esc_pem, "Evil\x1b[2J Root", LIST("DNS:ucm1\x1b[2J.example.com", "DNS:ucm1.example.com")},
	};
	for (size_t i = 0; i < sizeof(kept) / sizeof(kept[0]); i++) {
		cf_cert *c = parse_one(kept[i].what, kept[i].pem, strlen(kept[i].pem));
		cf_cert *full = full_parse_copy(c);
		cf_facts f = {0}, g = {0};
		cf_err e = {0};
		assert_int_equal(cf_cert_facts(c, &f, &e), CF_OK);
		assert_int_equal(cf_cert_facts(full, &g, &e), CF_OK);
		assert_string_equal(f.cn, kept[i].cn);
		assert_strv(kept[i].what, &f.san, kept[i].san);
		assert_same_facts(kept[i].what, &f, &g);
		cf_facts_free(&g);
		cf_facts_free(&f);
		cf_cert_free(full);
		cf_cert_free(c);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_static_facts),	       cmocka_unit_test(test_trusted_certificate),
		cmocka_unit_test(test_generated_keys),	       cmocka_unit_test(test_noncanonical_der),
		cmocka_unit_test(test_off_curve_key),	       cmocka_unit_test(test_pem_variants),
		cmocka_unit_test(test_lazy_decode_concurrent), cmocka_unit_test(test_strict_dates),
		cmocka_unit_test(test_names_refused),	       cmocka_unit_test(test_control_bytes_kept),
		cmocka_unit_test(test_der_spelling_pem),
	};
	return cmocka_run_group_tests_name("der facts", tests, NULL, NULL);
}
