/* certfleetd's PKI listener (--pki-listen, SPEC §9): plain HTTP on a thread of its own with a store
 * connection of its own, answering for the local CAs: GET /crl/NAME.crl (the current CRL, with
 * cache headers up to its nextUpdate), POST /ocsp/NAME and RFC 5019's GET /ocsp/NAME/<base64
 * request> (answers signed ahead; see core/ca/responder.h). Keep-alive; what the store says moved
 * is picked up within a quarter of a second. */
#ifndef CF_PKI_H
#define CF_PKI_H

#include "util/err.h"
#include "util/hostport.h"

typedef struct cf_pki cf_pki;

/* Opens the store target on a connection of its own, listens on addr and serves on a new thread.
 * CF_E_REMOTE when it cannot listen (one line naming addr). */
cf_code cf_pki_start(const char *store, const cf_hostport *addr, cf_pki **out, cf_err *e);
/* The port it listens on. */
int cf_pki_port(const cf_pki *p);
/* Stops the thread, closes the listener and the store; NULL-safe. */
void cf_pki_stop(cf_pki *p);

#endif
