/* libFuzzer target: certificate requests (PEM or DER). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "crypto/x509.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cf_csr *csr = NULL;
	cf_err e;
	if (cf_csr_parse("fuzz", data, size, &csr, &e) == CF_OK) {
		cf_facts f = {0};
		if (cf_csr_facts(csr, &f, &e) == CF_OK)
			cf_facts_free(&f);
		(void)cf_csr_verify(csr);
		cf_csr_free(csr);
	}
	return 0;
}
