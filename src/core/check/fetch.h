/* Fetching a peer's certificates over TLS and importing them into a trust store (SPEC §3.6,
 * the "certificate import tool"): connect, optional STARTTLS, handshake, chain decoded. */
#ifndef CF_FETCH_H
#define CF_FETCH_H

#include "core/model/plan.h"
#include "core/transport.h"
#include "crypto/tls.h"
#include "store/store.h"
#include "util/hostport.h"

/* The limit on connecting, STARTTLS and the handshake together. */
#define CF_FETCH_TIMEOUT_MS 10000

typedef struct cf_fetch_req {
	const char *target;   /* "HOST:PORT"; HOST a name, an IPv4 address or [IPv6] */
	const char *starttls; /* NULL, or a protocol of the transport's: "xmpp", "smtp", "ldap" */
	const char *sni;      /* NULL: HOST when it is a name, none for an address */
	int timeout_ms;	      /* 0: CF_FETCH_TIMEOUT_MS */
} cf_fetch_req;

typedef struct cf_fetch_result {
	char target[300]; /* req->target, for messages */
	cf_hostport peer;
	char sni[254];	 /* the name sent as SNI (and the XMPP domain); "" when none */
	cf_tls_peer tls; /* the handshake and the chain, leaf first */
	cf_facts *facts; /* facts[i] decodes tls.chain[i] */
} cf_fetch_result;

/* Connects to req->target through net's chain, runs the STARTTLS dialogue when asked, and
 * captures the chain the peer presents; the peer need not be trusted (whether it verifies is reported). A bad target,
 * SNI or protocol is CF_E_USAGE; a refused or closed connection, a failed name lookup, a
 * refused STARTTLS, a failed handshake or the timeout is CF_E_REMOTE; every error names
 * req->target unless it names a field of the request ("sni", "starttls": the words the command
 * line's options and the API's fields share). STARTTLS xmpp to an address needs sni (the
 * server's domain), refused before connecting. *out is written only on success; free it with
 * cf_fetch_result_free. */
cf_code cf_fetch(const cf_transport *net, const cf_fetch_req *req, cf_fetch_result *out, cf_err *e);
/* Frees what a result owns; leaves it zeroed. NULL-safe. */
void cf_fetch_result_free(cf_fetch_result *r);

/* Adds the fetched chain to trust store `store` on node with cf_trust_add's rules and rule ids
 * (out gets the ids, notes, warnings and restart plan). A leaf that a CA issued and that is not
 * a CA itself is left out when its issuers came with it: no trust store accepts such a
 * certificate, and its CAs are what a trust store wants. *skipped tells how many leading
 * certificates were left out (0 or 1). net: as cf_trust_add asks OCSP. */
cf_code cf_fetch_import(cf_store *st, const cf_transport *net, const cf_fetch_result *r, const char *node,
			const char *store, cf_outcome *out, size_t *skipped, cf_err *e);

#endif
