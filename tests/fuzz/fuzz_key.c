/* libFuzzer target: private keys given with an upload (--key). */
#include <stddef.h>
#include <stdint.h>

#include "crypto/x509.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cf_key *key = NULL;
	cf_err e;
	if (cf_key_parse("fuzz", data, size, &key, &e) == CF_OK) {
		cf_secret_free(cf_key_pem(key));
		cf_key_free(key);
	}
	return 0;
}
