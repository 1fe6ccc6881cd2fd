/* TLS server contexts for certfleetd (see tlsserver.h). */
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto_int.h"
#include "crypto/tlsserver.h"

struct cf_tlsserver {
	SSL_CTX *ctx;
};

/* Records the first OpenSSL error (and drains the queue) as CF_E_INTERNAL. */
static cf_code ssl_fail(cf_err *e, const char *what)
{
	unsigned long err = ERR_get_error();
	char buf[256] = "unknown error";
	if (err != 0)
		ERR_error_string_n(err, buf, sizeof(buf));
	ERR_clear_error();
	return cf_err_set(e, CF_E_INTERNAL, "TLS server", "%s: %s", what, buf);
}

/* Adds every certificate of a PEM chain to ctx. */
static cf_code add_chain(SSL_CTX *ctx, const char *chain_pem, cf_err *e)
{
	cf_cert **v = NULL;
	size_t n = 0;
	cf_code rc = CF_OK;
	if (chain_pem == NULL || chain_pem[0] == '\0')
		return CF_OK;
	rc = cf_cert_parse_bundle("identity chain", (const uint8_t *)chain_pem, strlen(chain_pem), &v, &n, e);
	for (size_t i = 0; rc == CF_OK && i < n; i++) {
		X509 *x = cf_cert_x(v[i]);
		if (x == NULL || SSL_CTX_add1_chain_cert(ctx, x) != 1)
			rc = ssl_fail(e, "adding the chain");
	}
	cf_certs_free(v, n);
	return rc;
}

cf_code cf_tlsserver_new(const uint8_t *der, size_t der_len, const char *key_pem, const char *chain_pem,
			 cf_tlsserver **out, cf_err *e)
{
	cf_tlsserver *s = NULL;
	cf_cert *cert = NULL;
	cf_key *key = NULL;
	cf_code rc = CF_E_INTERNAL;
	if (key_pem == NULL || key_pem[0] == '\0')
		return cf_err_set(e, CF_E_STATE, "TLS server", "the identity has no private key");
	s = calloc(1, sizeof(*s));
	cert = cf_cert_from_der(der, der_len);
	if (s == NULL || cert == NULL || cf_cert_x(cert) == NULL) {
		rc = cf_err_set(e, CF_E_INTERNAL, "TLS server", "cannot decode the certificate");
		goto err;
	}
	if ((rc = cf_key_parse("identity key", (const uint8_t *)key_pem, strlen(key_pem), &key, e)) != CF_OK)
		goto err;
	rc = CF_E_INTERNAL;
	s->ctx = SSL_CTX_new(TLS_server_method());
	if (s->ctx == NULL) {
		rc = ssl_fail(e, "SSL_CTX_new");
		goto err;
	}
	SSL_CTX_set_min_proto_version(s->ctx, TLS1_2_VERSION);
	SSL_CTX_set_options(s->ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
	if (SSL_CTX_use_certificate(s->ctx, cf_cert_x(cert)) != 1 || SSL_CTX_use_PrivateKey(s->ctx, key->pkey) != 1 ||
	    SSL_CTX_check_private_key(s->ctx) != 1) {
		rc = ssl_fail(e, "loading the identity");
		goto err;
	}
	if ((rc = add_chain(s->ctx, chain_pem, e)) != CF_OK)
		goto err;
	cf_cert_free(cert);
	cf_key_free(key);
	*out = s;
	return CF_OK;
err:
	cf_cert_free(cert);
	cf_key_free(key);
	cf_tlsserver_free(s);
	return rc;
}

void cf_tlsserver_free(cf_tlsserver *s)
{
	if (s == NULL)
		return;
	SSL_CTX_free(s->ctx);
	free(s);
}

struct bufferevent *cf_tlsserver_bev(struct event_base *base, void *arg)
{
	cf_tlsserver *s = arg;
	SSL *ssl = SSL_new(s->ctx);
	if (ssl == NULL)
		return NULL;
	struct bufferevent *bev =
		bufferevent_openssl_socket_new(base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL)
		SSL_free(ssl);
	return bev;
}

cf_code cf_random_bytes(void *p, size_t n, cf_err *e)
{
	if (n > INT32_MAX || RAND_bytes(p, (int)n) != 1)
		return ssl_fail(e, "RAND_bytes");
	return CF_OK;
}
