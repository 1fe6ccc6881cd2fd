/* libFuzzer target: certificate bundles (PEM or DER) as uploads and trust adds receive them. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "crypto/x509.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cf_cert **certs = NULL;
	size_t n = 0;
	cf_err e;
	if (cf_cert_parse_bundle("fuzz", data, size, &certs, &n, &e) == CF_OK) {
		for (size_t i = 0; i < n; i++) {
			cf_facts f = {0};
			if (cf_cert_facts(certs[i], &f, &e) == CF_OK)
				cf_facts_free(&f);
			free(cf_cert_pem(certs[i]));
		}
		cf_certs_free(certs, n);
	}
	return 0;
}
