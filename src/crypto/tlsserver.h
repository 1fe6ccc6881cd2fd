/* The daemon's TLS server side: an SSL_CTX built from a stored identity (certificate, key and
 * chain) and libevent bufferevents that accept TLS with it. The daemon sees only opaque types:
 * bufferevent_ssl.h pulls in OpenSSL, so it is included here and nowhere else. */
#ifndef CF_TLSSERVER_H
#define CF_TLSSERVER_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

struct event_base;
struct bufferevent;

typedef struct cf_tlsserver cf_tlsserver;

/* A server context for one identity: der is the certificate, key_pem its private key, chain_pem
 * the issuer certificates ("" or NULL when none). TLS 1.2 and later only. */
cf_code cf_tlsserver_new(const uint8_t *der, size_t der_len, const char *key_pem, const char *chain_pem,
			 cf_tlsserver **out, cf_err *e);
/* NULL-safe. */
void cf_tlsserver_free(cf_tlsserver *s);
/* An evhttp_set_bevcb callback (arg: a cf_tlsserver): a new accepting TLS bufferevent that frees
 * its socket and SSL object with itself; NULL when out of memory. */
struct bufferevent *cf_tlsserver_bev(struct event_base *base, void *arg);
/* Fills n bytes at p from the CSPRNG; CF_E_INTERNAL when it fails. */
cf_code cf_random_bytes(void *p, size_t n, cf_err *e);

#endif
