/* libFuzzer target: a CRL's index (cf_crl_from_index in src/crypto/crl.c), as the store hands it
 * back. Each input is read twice: as it is (the checksum refuses nearly every mutation), and with
 * its checksum written anew (cf_crl_index_seal), so that the structure's own checks are what
 * stands between the input and the lookups. Whenever it loads: written again it must give the
 * input byte for byte, its facts must fit cf_crl_info, and lookups of fixed serials and of slices
 * of the input must not go wrong; a signature check against a CA of the seeds runs too. Seeds
 * (tests/fuzz/corpus/crlidx/) are the indexes of the CRL seeds (crlcheck index). */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crl.h"
#include "crypto/x509.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The EC CA that signed some of the seeds (its key is not kept). */
static const char ec_ca[] = "-----BEGIN CERTIFICATE-----\n"
			    "MIIBwzCCAWmgAwIBAgIUBcUPGsH5a1P4peMfDXTDRkJRsZYwCgYIKoZIzj0EAwIw\n"
			    "LjETMBEGA1UEAwwKRnV6eiBlYyBDQTEXMBUGA1UECgwOY2VydGZsZWV0IGZ1enow\n"
			    "IBcNMjYxMTIyMTAzMzE4WhgPMjEyNjEwMjkxMDMzMThaMC4xEzARBgNVBAMMCkZ1\n"
			    "enogZWMgQ0ExFzAVBgNVBAoMDmNlcnRmbGVldCBmdXp6MFkwEwYHKoZIzj0CAQYI\n"
			    "KoZIzj0DAQcDQgAEld40PW3J9yuHrVklZkd2euGLa1ou/bvHGfi80/coGKgqT/Tj\n"
			    "zqpPXsV67OfRxfPEotvpgbKJe/l9mJJ/ptS2IaNjMGEwHQYDVR0OBBYEFLC+2l6o\n"
			    "fjQX8xyb53XF8/jp5IXvMB8GA1UdIwQYMBaAFLC+2l6ofjQX8xyb53XF8/jp5IXv\n"
			    "MA8GA1UdEwEB/wQFMAMBAf8wDgYDVR0PAQH/BAQDAgEGMAoGCCqGSM49BAMCA0gA\n"
			    "MEUCIQCHQbTqge3zE7r9s9ucFWrH70qSmbK58ep9ZeNlWHWTegIgFLqgDgOVBdQE\n"
			    "/dTJ5RXJNuFLuoHMNo7oxOrDqswRSNE=\n"
			    "-----END CERTIFICATE-----\n";

static cf_cert *issuer;

static void init(void)
{
	if (issuer != NULL)
		return;
	cf_cert **v = NULL;
	size_t n = 0;
	cf_err e;
	if (cf_cert_parse_bundle("issuer", (const uint8_t *)ec_ca, strlen(ec_ca), &v, &n, &e) != CF_OK)
		abort();
	issuer = cf_cert_ref(v[0]);
	cf_certs_free(v, n);
}

static void check(const uint8_t *data, size_t size)
{
	cf_crl *c = NULL;
	cf_err e;
	if (cf_crl_from_index("fuzz", data, size, &c, &e) != CF_OK) {
		if (e.code != CF_E_INPUT) /* damage is CF_E_INPUT; memory (bounded by the input) does not run out */
			abort();
		return;
	}
	uint8_t *out = NULL;
	size_t out_len = 0;
	if (cf_crl_to_index(c, &out, &out_len, &e) != CF_OK || out_len != size || memcmp(out, data, size) != 0) {
		fprintf(stderr, "fuzz_crlidx: an index read back is written otherwise\n");
		abort();
	}
	free(out);
	cf_crl_info info;
	cf_crl_info_get(c, &info);
	if (strnlen(info.issuer, sizeof(info.issuer)) == sizeof(info.issuer) ||
	    strnlen(info.number, sizeof(info.number)) == sizeof(info.number) || strlen(info.issuer_hash) != 64)
		abort();
	cf_crl_verify(c, issuer, &e);
	cf_crl_revokes(c, issuer, NULL);
	static const uint8_t fixed[][22] = {{0x01}, {0x00, 0x80}, {0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, {0}};
	static const size_t fixed_len[] = {1, 2, 8, 22};
	for (size_t i = 0; i < sizeof(fixed_len) / sizeof(fixed_len[0]); i++)
		cf_crl_revoked(c, fixed[i], fixed_len[i], NULL);
	/* slices of the input as serials: the entries' own octets are among them */
	for (size_t off = 104; off < size && off < 104 + 16 * 8; off += 5)
		for (size_t l = 1; l <= 22 && off + l <= size; l++) {
			int64_t when = 0;
			cf_crl_revoked(c, data + off, l, &when);
		}
	cf_crl_free(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	init();
	check(data, size);
	uint8_t *sealed = malloc(size ? size : 1);
	if (sealed == NULL)
		return 0;
	memcpy(sealed, data, size);
	cf_crl_index_seal(sealed, size);
	check(sealed, size);
	free(sealed);
	return 0;
}
