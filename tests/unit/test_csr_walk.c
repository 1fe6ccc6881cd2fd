/* Unit tests for requests read by the DER walker (src/crypto/csr.c, certder.c, sigalg.c): what
 * the walker reads — the DER kept, the facts, the signature check — must be what OpenSSL's full
 * parse gives, for every request in the fuzz corpus (made with the openssl command: attributes,
 * Microsoft's extension request, SHA-1, RSA-PSS, P-384, a broken signature, ...) and for the
 * requests certfleet makes itself. The OpenSSL side is the same request with its walked pieces
 * dropped, so csr.c reads everything from d2i_X509_REQ's form through the same facts code. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto_int.h"
#include "factstest.h"
#include "util/fileio.h"

#ifndef CORPUS
#error CORPUS names tests/fuzz/corpus/csr
#endif

/* What each seed is expected to be: read by the walker or left to OpenSSL, and whether its
 * signature verifies. Every seed in the corpus must be listed. */
static const struct seed {
	const char *file;
	bool walked, verifies;
} seeds[] = {
	{"req.pem", true, true},
	{"req.der", true, true},
	{"attrs.pem", true, true},     /* challengePassword, unstructuredName, KU/EKU/SAN with an IP */
	{"ms-extreq.pem", true, true}, /* Microsoft's extension request OID */
	{"new-label.pem", true, true}, /* NEW CERTIFICATE REQUEST, text before the block */
	{"ec-p384.pem", true, true},   /* ecdsa-with-SHA384 */
	{"noext.pem", true, true},     /* no attributes at all */
	{"sha1.pem", true, true},      /* walked; the signature checked by OpenSSL (SHA-1) */
	{"pss.pem", true, true},       /* walked; the signature checked by OpenSSL (RSA-PSS) */
	{"bad-signature.pem", true, false},
	{"two-extreqs.pem", false, true},      /* OpenSSL takes the first extension request */
	{"bmp-attr.pem", false, true},	       /* a BMPString attribute: outside the walker's subset */
	{"truncated-attrs.pem", false, false}, /* not a request at all */
	/* DER whose key (a point off the curve) spells "-----BEGIN CERTIFICATE-----" */
	{"pem-marker-in-der.der", true, false},
};

static const struct seed *seed_for(const char *file)
{
	for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++)
		if (strcmp(seeds[i].file, file) == 0)
			return &seeds[i];
	return NULL;
}

static void assert_same_facts(const char *what, const cf_facts *a, const cf_facts *b)
{
	char *diff = factstest_diff(a, b);
	if (diff != NULL)
		fail_msg("%s: %s", what, diff);
}

/* The same request read only through OpenSSL: its DER, nothing walked, decoded on first use. */
static cf_csr *openssl_twin(const cf_csr *csr)
{
	cf_csr *t = calloc(1, sizeof(*t));
	assert_non_null(t);
	assert_non_null(t->der = malloc(csr->der_len));
	memcpy(t->der, csr->der, csr->der_len);
	t->der_len = csr->der_len;
	atomic_init(&t->req, NULL);
	return t;
}

/* Checks one request against its OpenSSL twin: the kept DER is i2d(d2i(DER)), the facts (or
 * the error) and the signature check are the same. */
static void check_against_openssl(const char *what, const cf_csr *csr, bool want_walked, bool want_verify)
{
	if (csr->walked != want_walked)
		fail_msg("%s: walked is %d, expected %d", what, csr->walked, want_walked);
	const unsigned char *p = csr->der;
	X509_REQ *req = d2i_X509_REQ(NULL, &p, (long)csr->der_len);
	assert_non_null(req);
	unsigned char *again = NULL;
	int n = i2d_X509_REQ(req, &again);
	if (n != (int)csr->der_len || memcmp(again, csr->der, csr->der_len) != 0)
		fail_msg("%s: the kept DER is not what OpenSSL re-encodes", what);
	OPENSSL_free(again);
	X509_REQ_free(req);

	cf_csr *twin = openssl_twin(csr);
	cf_facts a = {0}, b = {0};
	cf_err ea = {0}, eb = {0};
	cf_code ra = cf_csr_facts(csr, &a, &ea), rb = cf_csr_facts(twin, &b, &eb);
	if (ra != rb || (ra != CF_OK && strcmp(ea.message, eb.message) != 0))
		fail_msg("%s: facts: %d \"%s\" against OpenSSL's %d \"%s\"", what, ra, ea.message, rb, eb.message);
	if (ra == CF_OK)
		assert_same_facts(what, &a, &b);
	cf_facts_free(&a);
	cf_facts_free(&b);
	bool va = cf_csr_verify(csr), vb = cf_csr_verify(twin);
	if (va != vb || va != want_verify)
		fail_msg("%s: verify %d, OpenSSL's %d, expected %d", what, va, vb, want_verify);
	cf_csr_free(twin);
}

static void test_corpus_against_openssl(void **state)
{
	(void)state;
	DIR *d = opendir(CORPUS);
	assert_non_null(d);
	struct dirent *de;
	size_t checked = 0, walked = 0;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		const struct seed *s = seed_for(de->d_name);
		if (s == NULL)
			fail_msg("%s: a seed this test does not list", de->d_name);
		char path[4096];
		uint8_t *buf = NULL;
		size_t len = 0;
		cf_err e = {0};
		cf_csr *csr = NULL;
		snprintf(path, sizeof(path), "%s/%s", CORPUS, de->d_name);
		assert_int_equal(cf_file_read(path, 1 << 20, &buf, &len, &e), CF_OK);
		if (strcmp(s->file, "truncated-attrs.pem") == 0) {
			assert_int_equal(cf_csr_parse(s->file, buf, len, &csr, &e), CF_E_INPUT);
			assert_non_null(strstr(e.message, "not a certificate request"));
		} else {
			if (cf_csr_parse(s->file, buf, len, &csr, &e) != CF_OK)
				fail_msg("%s: %s", s->file, e.message);
			check_against_openssl(s->file, csr, s->walked, s->verifies);
			walked += csr->walked;
			cf_csr_free(csr);
		}
		free(buf);
		checked++;
	}
	closedir(d);
	assert_int_equal(checked, sizeof(seeds) / sizeof(seeds[0]));
	assert_true(walked >= 8);
}

/* The requests certfleet makes (every key type it offers, names of each kind) walk, and read the
 * same both ways. */
static void test_own_requests(void **state)
{
	(void)state;
	static const char *const keys[] = {"rsa:2048", "rsa:3072", "ec:prime256v1", "ec:secp384r1", "ec:secp521r1"};
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		cf_keyspec ks = {0};
		cf_key *key = NULL;
		cf_csr *csr = NULL;
		cf_strv san = {0};
		cf_strv_push(&san, "DNS:cucm01.example.com");
		cf_strv_push(&san, "IP:192.0.2.10");
		cf_reqspec rs = {.dn = {.cn = "cucm01.example.com", .o = "Example", .ou = "Voice"},
				 .san = &san,
				 .ku = CF_KU_DIGITAL_SIGNATURE,
				 .eku = CF_EKU_SERVER_AUTH | CF_EKU_CLIENT_AUTH};
		assert_int_equal(cf_keyspec_parse(keys[i], &ks, NULL), CF_OK);
		assert_int_equal(cf_key_generate(&ks, &key, NULL), CF_OK);
		assert_int_equal(cf_csr_create(&rs, key, &csr, NULL), CF_OK);
		check_against_openssl(keys[i], csr, true, true);
		/* and read back from its PEM and its DER */
		char *pem = cf_csr_pem(csr);
		size_t dlen = 0;
		uint8_t *der = cf_csr_der(csr, &dlen);
		cf_csr *from_pem = NULL, *from_der = NULL;
		assert_int_equal(cf_csr_parse("pem", (const uint8_t *)pem, strlen(pem), &from_pem, NULL), CF_OK);
		assert_int_equal(cf_csr_parse("der", der, dlen, &from_der, NULL), CF_OK);
		assert_true(from_pem->walked && from_der->walked);
		assert_memory_equal(from_pem->der, der, dlen);
		assert_memory_equal(from_der->der, der, dlen);
		free(pem);
		free(der);
		cf_csr_free(from_pem);
		cf_csr_free(from_der);
		cf_csr_free(csr);
		cf_key_free(key);
		cf_strv_clear(&san);
	}
}

/* Damage anywhere in a walked request is either still read the same as OpenSSL reads it, or
 * refused by both: every single-octet change of a request certfleet makes. */
static void test_every_octet_changed(void **state)
{
	(void)state;
	cf_keyspec ks = {0};
	cf_key *key = NULL;
	cf_csr *csr = NULL;
	cf_reqspec rs = {.dn = {.cn = "phone.example.com"}, .ku = CF_KU_DIGITAL_SIGNATURE};
	assert_int_equal(cf_keyspec_parse("ec:prime256v1", &ks, NULL), CF_OK);
	assert_int_equal(cf_key_generate(&ks, &key, NULL), CF_OK);
	assert_int_equal(cf_csr_create(&rs, key, &csr, NULL), CF_OK);
	size_t len = csr->der_len, refused = 0, walked = 0;
	uint8_t *buf = malloc(len);
	assert_non_null(buf);
	for (size_t i = 0; i < len; i++) {
		static const uint8_t flips[] = {0x01, 0x80, 0xff};
		for (size_t k = 0; k < sizeof(flips); k++) {
			memcpy(buf, csr->der, len);
			buf[i] ^= flips[k];
			const unsigned char *p = buf;
			X509_REQ *req = d2i_X509_REQ(NULL, &p, (long)len);
			bool openssl_reads = req != NULL && p == buf + len;
			X509_REQ_free(req);
			cf_csr *got = NULL;
			cf_err e = {0};
			cf_code rc = cf_csr_parse("changed", buf, len, &got, &e);
			if ((rc == CF_OK) != openssl_reads)
				fail_msg("octet %zu ^ 0x%02x: certfleet %s, OpenSSL %s", i, flips[k],
					 rc == CF_OK ? "reads it" : "refuses it",
					 openssl_reads ? "reads it" : "refuses it");
			if (rc != CF_OK) {
				refused++;
				continue;
			}
			walked += got->walked;
			char what[64];
			snprintf(what, sizeof(what), "octet %zu ^ 0x%02x", i, flips[k]);
			bool verifies = cf_csr_verify(got);
			check_against_openssl(what, got, got->walked, verifies);
			cf_csr_free(got);
		}
	}
	assert_true(refused > 0 && walked > 0);
	free(buf);
	cf_csr_free(csr);
	cf_key_free(key);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_corpus_against_openssl),
		cmocka_unit_test(test_own_requests),
		cmocka_unit_test(test_every_octet_changed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
