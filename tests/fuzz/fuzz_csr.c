/* libFuzzer target: certificate requests (PEM or DER), read by the DER walker (crypto/csr.c),
 * with OpenSSL as the oracle: DER that d2i_X509_REQ reads whole is accepted and DER it refuses
 * is refused (unless PEM follows), and a walked request gives the facts and signature check OpenSSL's form gives (the
 * same request with its walked pieces dropped). Then what the local CA makes of an accepted one:
 * a certificate issued from it under a profile and in copy mode (crypto/issue.c reads the
 * request's subject, key and extensions itself), which must be DER that OpenSSL reads. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../unit/factstest.h"
#include "crypto/crypto_int.h"
#include "crypto/issue.h"
#include "crypto/x509.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A CA made once per run (its key never stored anywhere). */
static cf_cert *ca_cert;
static cf_signer *ca_signer;

static void ca_once(void)
{
	cf_keyspec ks = {0};
	cf_key *key = NULL;
	cf_csr *req = NULL;
	cf_signer *self = NULL;
	cf_reqspec rs = {.dn = {.cn = "fuzz CA"}, .ca = true, .ku = CF_KU_KEY_CERT_SIGN};
	uint8_t serial[CF_SERIAL_LEN] = {0x42};
	cf_issue_spec is = {.serial = serial,
			    .serial_len = 1,
			    .not_before = 0,
			    .not_after = 86400,
			    .ca = true,
			    .pathlen = -1,
			    .ku = CF_KU_KEY_CERT_SIGN};
	if (cf_keyspec_parse("ec:prime256v1", &ks, NULL) != CF_OK || cf_key_generate(&ks, &key, NULL) != CF_OK ||
	    cf_csr_create(&rs, key, &req, NULL) != CF_OK || cf_signer_local_new(key, NULL, &self, NULL) != CF_OK ||
	    cf_issue_cert(req, &is, NULL, self, &ca_cert, NULL) != CF_OK)
		abort();
	ca_signer = self;
	cf_csr_free(req);
	cf_key_free(key);
}

static void issue(const cf_csr *csr, bool copy)
{
	uint8_t serial[CF_SERIAL_LEN] = {0x11, 0x22};
	cf_issue_spec is = {.serial = serial,
			    .serial_len = 2,
			    .not_before = 1700000000,
			    .not_after = 1800000000,
			    .copy = copy,
			    .ku = CF_KU_DIGITAL_SIGNATURE,
			    .eku = CF_EKU_SERVER_AUTH,
			    .pathlen = -1,
			    .crl_url = "http://127.0.0.1/crl/fuzz.crl",
			    .ocsp_url = "http://127.0.0.1/ocsp/fuzz"};
	cf_cert *cert = NULL;
	if (cf_issue_cert(csr, &is, ca_cert, ca_signer, &cert, NULL) == CF_OK) {
		size_t len = 0, n = 0;
		const uint8_t *der = cf_cert_der(cert, &len);
		cf_cert **again = NULL;
		if (cf_cert_parse_bundle("issued", der, len, &again, &n, NULL) != CF_OK || n != 1)
			abort(); /* what the CA issues must be DER OpenSSL reads */
		cf_facts f = {0};
		(void)cf_cert_facts(again[0], &f, NULL); /* a copied name may be one facts refuse */
		cf_facts_free(&f);
		cf_certs_free(again, n);
		cf_cert_free(cert);
	}
}

/* Whether OpenSSL reads data whole as a DER request. */
static bool openssl_reads_der(const uint8_t *data, size_t size)
{
	const unsigned char *p = data;
	X509_REQ *req = d2i_X509_REQ(NULL, &p, (long)size);
	bool whole = req != NULL && p == data + size;
	X509_REQ_free(req);
	return whole;
}

/* A walked request against the same request read only through OpenSSL. */
static void check_walked(const cf_csr *csr)
{
	cf_csr twin = {.der = csr->der, .der_len = csr->der_len, .walked = false};
	atomic_init(&twin.req, NULL);
	cf_facts a = {0}, b = {0};
	cf_code ra = cf_csr_facts(csr, &a, NULL), rb = cf_csr_facts(&twin, &b, NULL);
	if (ra != rb || cf_csr_verify(csr) != cf_csr_verify(&twin))
		abort();
	if (ra == CF_OK && factstest_diff(&a, &b) != NULL)
		abort();
	cf_facts_free(&a);
	cf_facts_free(&b);
	X509_REQ_free(atomic_load(&twin.req));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cf_csr *csr = NULL;
	cf_err e;
	if (ca_cert == NULL)
		ca_once();
	cf_code rc = cf_csr_parse("fuzz", data, size, &csr, &e);
	if (size > 0 && data[0] == 0x30 && openssl_reads_der(data, size) && rc != CF_OK)
		abort();
	if (size > 0 && data[0] == 0x30 && !openssl_reads_der(data, size) && rc == CF_OK &&
	    memmem(data, size, "-----BEGIN", 10) == NULL)
		abort(); /* DER OpenSSL refuses, and no PEM in it */
	if (rc == CF_OK) {
		if (csr->walked)
			check_walked(csr);
		cf_facts f = {0};
		if (cf_csr_facts(csr, &f, &e) == CF_OK)
			cf_facts_free(&f);
		(void)cf_csr_verify(csr);
		issue(csr, false);
		issue(csr, true);
		cf_csr_free(csr);
	}
	return 0;
}
