/* libFuzzer target: the CRL walker (src/crypto/crl.c) on PEM or DER input, as manual uploads
 * and CRL downloads receive it. When the input parses: its facts, lookups of serials taken from
 * the input (an independent strict DER walk of its revokedCertificates: every minimally encoded
 * positive serial listed must be found, or the target aborts) and of a few fixed ones, a
 * signature check against the two CAs that signed the seeds (tests/fuzz/corpus/crl/), and
 * cf_crl_to_der: the DER input byte for byte, parsing again to the same facts. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crl.h"
#include "crypto/x509.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The seeds' issuers (made with openssl; their keys are not kept). */
static const char rsa_ca[] = "-----BEGIN CERTIFICATE-----\n"
			     "MIIDUTCCAjmgAwIBAgIUBWF6vcFavgFDYUIVi8MjlSRhCtcwDQYJKoZIhvcNAQEL\n"
			     "BQAwLzEUMBIGA1UEAwwLRnV6eiByc2EgQ0ExFzAVBgNVBAoMDmNlcnRmbGVldCBm\n"
			     "dXp6MCAXDTI2MTEyMjEwMzMxOFoYDzIxMjYxMDI5MTAzMzE4WjAvMRQwEgYDVQQD\n"
			     "DAtGdXp6IHJzYSBDQTEXMBUGA1UECgwOY2VydGZsZWV0IGZ1enowggEiMA0GCSqG\n"
			     "SIb3DQEBAQUAA4IBDwAwggEKAoIBAQDd60M5F/TYXpWGFnoeXltV9COlBfQTzPgs\n"
			     "hh/yuualyNTD/HbAHqejwjfa3vCy0YBlAmI3K/i6ZP4Kh74qNOKrmDefo3zH9HyW\n"
			     "wX2HmrIf67Va3VNPsIRyR1vmGTF0ZupCvF7CgpMeA1H463m18RBomiRaZGNNFs4S\n"
			     "L9EGI66rfVAHWZoE5gv3rSYtF2iC97XOK7KnHyAOp5vKiQId3fuKxfdNSXN5qpKf\n"
			     "T2VOkMxmEek7PIoTMr2pohUq8qI3MquQsKv9mKKBMCbQfvkqOLJXJdm/s4ehSKQP\n"
			     "YnKPnDqBnCUT++3pmiIFYQNuer9GNQnSBAhnG9Xk44OZ4tvT/0iFAgMBAAGjYzBh\n"
			     "MB0GA1UdDgQWBBSkq5np6NTYJW4RYPd7dQNac5qcRzAfBgNVHSMEGDAWgBSkq5np\n"
			     "6NTYJW4RYPd7dQNac5qcRzAPBgNVHRMBAf8EBTADAQH/MA4GA1UdDwEB/wQEAwIB\n"
			     "BjANBgkqhkiG9w0BAQsFAAOCAQEAf8UlepGlotjM/1qnk4r7qfymGVm2LoQ8/SF7\n"
			     "QRk2En3wFnIBV+3qVWkWxGq5XKMIBIpeb/a5l+mPXhbXCtLKmpSYy3qgji/f6XaS\n"
			     "j7qQ2FgktGz9e4IEoWHOkRa0U46sPjrKd/SsFf3d/cHWwjWSAlvxT5A7hGcyIOCV\n"
			     "HrSPATQBRTrYDT0Tet5QHEj//OHGSXipub/M6Q+ijDFX6wW1Wej2CKZlwzLz3KuX\n"
			     "iUo3vTXVPgNqdu64roqXHkTYsPwlSwST3h6XAryriNEau8gq8HN9Eqi43JcsmBF5\n"
			     "2WeAcSmz+sxOp5GrmsHD0kaKwOrGwrreqSM13BsIG2khuY8k5A==\n"
			     "-----END CERTIFICATE-----\n";
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

static cf_cert *issuers[2];

static void init(void)
{
	static bool done;
	if (done)
		return;
	done = true;
	const char *pem[2] = {rsa_ca, ec_ca};
	for (int i = 0; i < 2; i++) {
		cf_cert **v = NULL;
		size_t n = 0;
		cf_err e;
		if (cf_cert_parse_bundle("issuer", (const uint8_t *)pem[i], strlen(pem[i]), &v, &n, &e) != CF_OK)
			abort();
		issuers[i] = cf_cert_ref(v[0]);
		cf_certs_free(v, n);
	}
}

/* One DER TLV with a definite length of at most 4 octets. */
static bool tlv(const uint8_t **p, const uint8_t *end, uint8_t *tag, const uint8_t **val, size_t *len)
{
	const uint8_t *q = *p;
	if (end - q < 2)
		return false;
	*tag = *q++;
	size_t l = *q++;
	if (l & 0x80) {
		size_t nb = l & 0x7f;
		if (nb == 0 || nb > 4 || (size_t)(end - q) < nb)
			return false;
		for (l = 0; nb--;)
			l = l << 8 | *q++;
	}
	if ((size_t)(end - q) < l)
		return false;
	*val = q;
	*len = l;
	*p = q + l;
	return true;
}

/* Looks up every serial of the DER input's revokedCertificates; a minimally encoded positive
 * one of at most 20 octets (21 with the leading zero) that the parsed CRL does not find is a bug. */
static void check_listed(const cf_crl *c, const uint8_t *der, size_t size)
{
	const uint8_t *p = der, *end = der + size, *v;
	size_t l;
	uint8_t tag;
	if (!tlv(&p, end, &tag, &v, &l) || tag != 0x30)
		return;
	p = v, end = v + l;
	if (!tlv(&p, end, &tag, &v, &l) || tag != 0x30)
		return;
	p = v, end = v + l;
	if (!tlv(&p, end, &tag, &v, &l))
		return;
	if (tag == 0x02 && !tlv(&p, end, &tag, &v, &l))
		return;
	if (tag != 0x30 || !tlv(&p, end, &tag, &v, &l) || tag != 0x30 || !tlv(&p, end, &tag, &v, &l))
		return;
	if (p < end && (*p == 0x17 || *p == 0x18) && !tlv(&p, end, &tag, &v, &l))
		return;
	if (p >= end || *p != 0x30 || !tlv(&p, end, &tag, &v, &l))
		return;
	const uint8_t *q = v, *qend = v + l;
	while (q < qend) {
		const uint8_t *ev, *sv, *ep;
		size_t el, sl;
		if (!tlv(&q, qend, &tag, &ev, &el) || tag != 0x30)
			return;
		ep = ev;
		if (!tlv(&ep, ev + el, &tag, &sv, &sl) || tag != 0x02 || sl == 0)
			return;
		bool minimal = (sv[0] & 0x80) == 0 && !(sl > 1 && sv[0] == 0 && (sv[1] & 0x80) == 0);
		size_t octets = sl - (sl > 1 && sv[0] == 0);
		int64_t when = -1;
		bool found = cf_crl_revoked(c, sv, sl, &when);
		if (minimal && octets <= 20 && !found) {
			fprintf(stderr, "fuzz_crl: a listed serial (%zu octets) is not found\n", sl);
			abort();
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	init();
	cf_crl *c = NULL;
	cf_err e;
	if (cf_crl_parse("fuzz", data, size, &c, &e) != CF_OK)
		return 0;
	cf_crl_info info;
	memset(&info, 0, sizeof(info));
	cf_crl_info_get(c, &info);
	if (strnlen(info.issuer, sizeof(info.issuer)) == sizeof(info.issuer) ||
	    strnlen(info.number, sizeof(info.number)) == sizeof(info.number) || strlen(info.issuer_hash) != 64)
		abort();
	for (int i = 0; i < 2; i++) {
		cf_crl_verify(c, issuers[i], &e);
		cf_crl_revokes(c, issuers[i], NULL);
	}
	static const uint8_t fixed[][21] = {
		{0x01}, {0x00, 0x80}, {0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, {0}};
	static const size_t fixed_len[] = {1, 2, 8, 21};
	for (size_t i = 0; i < sizeof(fixed_len) / sizeof(fixed_len[0]); i++)
		cf_crl_revoked(c, fixed[i], fixed_len[i], NULL);
	cf_crl_revoked(c, data, 0, NULL);
	/* slices of the input as serials: every length up to 24 at a few offsets */
	for (size_t off = 0; off < size && off < 64; off += 13)
		for (size_t l = 1; l <= 24 && off + l <= size; l++)
			cf_crl_revoked(c, data + off, l, NULL);
	/* DER only: an input with a PEM block anywhere is read as PEM (text may precede the block) */
	bool der = size > 0 && data[0] == 0x30 && memmem(data, size, "-----BEGIN", 10) == NULL;
	if (der)
		check_listed(c, data, size);
	/* cf_crl_to_der: the DER of the input (PEM decoded); it parses again to the same facts */
	uint8_t *out = NULL;
	size_t out_len = 0;
	if (cf_crl_to_der("fuzz", data, size, &out, &out_len, &e) == CF_OK) {
		if (der && (out_len != size || memcmp(out, data, size) != 0)) {
			fprintf(stderr, "fuzz_crl: cf_crl_to_der differs from the DER input\n");
			abort();
		}
		cf_crl *again = NULL;
		cf_crl_info info2;
		if (cf_crl_parse("fuzz again", out, out_len, &again, &e) != CF_OK) {
			fprintf(stderr, "fuzz_crl: cf_crl_to_der's output does not parse: %s\n", e.message);
			abort();
		}
		cf_crl_info_get(again, &info2);
		if (memcmp(&info, &info2, sizeof(info)) != 0) {
			fprintf(stderr, "fuzz_crl: cf_crl_to_der's output has other facts\n");
			abort();
		}
		cf_crl_free(again);
		free(out);
	}
	cf_crl_free(c);
	return 0;
}
