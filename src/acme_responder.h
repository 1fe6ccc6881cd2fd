/* The HTTP-01 responder over the store (SPEC §7): net's challenge server answering the tokens
 * kept in the store's acme_tokens, read on a store connection of its own, so every node in a
 * cluster answers every token. `certfleet acme order --http-listen` and `certfleetd --acme-http`
 * run it. It sits above net and store, as net_transport.c does. */
#ifndef CF_ACME_RESPONDER_H
#define CF_ACME_RESPONDER_H

#include "util/err.h"
#include "util/hostport.h"

typedef struct cf_acme_responder cf_acme_responder;

/* Opens the store at target and listens on addr; the challenge server's errors (a port in use,
 * one without the right to bind it) or the store's. */
cf_code cf_acme_responder_start(const char *target, const cf_hostport *addr, cf_acme_responder **out, cf_err *e);
/* The port it listens on. */
int cf_acme_responder_port(const cf_acme_responder *r);
/* Tokens answered so far. */
unsigned long cf_acme_responder_served(const cf_acme_responder *r);
/* Stops listening, closes the store connection, frees r (NULL is ignored). */
void cf_acme_responder_stop(cf_acme_responder *r);

#endif
