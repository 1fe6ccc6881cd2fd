/* Private to src/crypto/: the layouts behind the opaque types, and shared helpers. */
#ifndef CF_CRYPTO_INT_H
#define CF_CRYPTO_INT_H

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdatomic.h>

#include "crypto/x509.h"

struct cf_key {
	EVP_PKEY *pkey;
};

struct cf_cert {
	X509 *x;
	uint8_t *der;
	size_t der_len;
	atomic_int refs;
};

struct cf_csr {
	X509_REQ *req;
};

/* Wraps an X509 (takes ownership); NULL on failure (and frees x). */
cf_cert *cf_cert_wrap(X509 *x);

/* Records an error whose message is `what` followed by the reasons in OpenSSL's error queue,
 * which it empties. Returns code. */
cf_code cf_ossl_err(cf_err *e, cf_code code, const char *subject, const char *what);

/* Lower-case hex of n bytes into out (2n+1 bytes). */
void cf_hex(const unsigned char *p, size_t n, char *out);

/* Name in RFC 2253 form, new string. */
char *cf_name_str(const X509_NAME *name);

/* Fills key_type, key_bits, curve and spki_sha256 from a public key. */
void cf_facts_key(EVP_PKEY *pk, cf_facts *f);
/* Fills ku/eku/san/basic constraints from an extension list (certificate or request). */
void cf_facts_exts(const STACK_OF(X509_EXTENSION) * exts, cf_facts *f);
/* Fills subject, cn and unsupported_oids from a subject name. */
void cf_facts_subject(const X509_NAME *name, cf_facts *f);

/* Builds the extension list of a spec (basic constraints, KU, EKU, SAN). */
STACK_OF(X509_EXTENSION) * cf_spec_exts(const cf_reqspec *spec, cf_err *e);
/* Builds the subject name of a spec. */
X509_NAME *cf_spec_name(const cf_reqspec *spec, cf_err *e);
/* The digest for a spec's hash name; NULL when refused. */
const EVP_MD *cf_spec_md(const cf_reqspec *spec, cf_err *e);

#endif
