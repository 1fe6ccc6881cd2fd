/* Chain building over in-memory certificates with OpenSSL's verifier. */
#include <openssl/err.h>
#include <stdlib.h>

#include "crypto/crypto_int.h"

cf_code cf_chain_build(const cf_cert *leaf, cf_cert *const *untrusted, size_t n_untrusted, cf_cert *const *anchors,
		       size_t n_anchors, cf_cert ***chain, size_t *n_chain, cf_err *e)
{
	X509 *leaf_x = cf_cert_x(leaf);
	X509_STORE *store = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	STACK_OF(X509) *mid = sk_X509_new_null();
	cf_code rc = CF_E_INTERNAL;

	if (store == NULL || ctx == NULL || mid == NULL)
		goto oom;
	if (leaf_x == NULL) {
		rc = cf_err_set(e, CF_E_INPUT, NULL, "the certificate does not parse (OpenSSL rejects its DER)");
		goto out;
	}
	/* a certificate OpenSSL cannot decode cannot be in the chain either: left out */
	for (size_t i = 0; i < n_anchors; i++) {
		X509 *x = cf_cert_x(anchors[i]);
		if (x != NULL && !X509_STORE_add_cert(store, x))
			ERR_clear_error(); /* a duplicate anchor is fine */
	}
	for (size_t i = 0; i < n_untrusted; i++) {
		X509 *x = cf_cert_x(untrusted[i]);
		if (x != NULL && !sk_X509_push(mid, x))
			goto oom;
	}
	if (!X509_STORE_CTX_init(ctx, store, leaf_x, mid))
		goto oom;
	X509_VERIFY_PARAM *param = X509_STORE_CTX_get0_param(ctx);
	X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_PARTIAL_CHAIN | X509_V_FLAG_NO_CHECK_TIME);
	X509_VERIFY_PARAM_set_purpose(param, X509_PURPOSE_ANY);
	if (X509_verify_cert(ctx) != 1) {
		int err = X509_STORE_CTX_get_error(ctx);
		ERR_clear_error();
		if (err == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY ||
		    err == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT || err == X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT ||
		    err == X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN)
			rc = cf_err_set(e, CF_E_INPUT, NULL,
					"the chain does not build to a certificate in the trust store (%s); upload the "
					"CA certificate first",
					X509_verify_cert_error_string(err));
		else
			rc = cf_err_set(e, CF_E_INPUT, NULL, "the chain does not verify: %s",
					X509_verify_cert_error_string(err));
		goto out;
	}
	if (chain != NULL) {
		STACK_OF(X509) *built = X509_STORE_CTX_get0_chain(ctx);
		size_t n = (size_t)sk_X509_num(built);
		cf_cert **v = calloc(n, sizeof(*v));
		if (v == NULL)
			goto oom;
		for (size_t i = 0; i < n; i++) {
			X509 *x = sk_X509_value(built, (int)i);
			X509_up_ref(x);
			if ((v[i] = cf_cert_wrap(x)) == NULL) {
				cf_certs_free(v, i);
				goto oom;
			}
		}
		*chain = v;
		*n_chain = n;
	}
	rc = CF_OK;
	goto out;
oom:
	rc = cf_err_set(e, CF_E_INTERNAL, "chain", "out of memory");
out:
	sk_X509_free(mid);
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	return rc;
}
