/* Trust stores (SPEC §3.5): adding CA (and peer self-signed) certificates, deleting, pruning
 * the stale self-signed copies of peers. */
#ifndef CF_TRUST_H
#define CF_TRUST_H

#include "core/fleet/deployment.h"
#include "core/transport.h"

/* Adds every certificate of a PEM bundle or DER file (name is used in messages) to store on
 * node; from a publisher, on every node of the cluster that has the store. All or nothing. With
 * revocation checking and OCSP on, the certificates are asked about through net first. */
cf_code cf_trust_add(cf_store *st, const cf_transport *net, const char *node, const char *store, const char *name,
		     const uint8_t *buf, size_t len, const char *description, cf_outcome *out, cf_err *e);
/* Deletes one trust certificate by id from (node, store). */
cf_code cf_trust_delete(cf_store *st, const char *node, const char *store, int64_t id, cf_outcome *out, cf_err *e);
/* Deletes the self-signed trust copies of peers whose identity is now CA-signed, on one node
 * (non-NULL) or all. */
cf_code cf_trust_prune(cf_store *st, const char *node, cf_outcome *out, cf_err *e);
/* Whether trust certificate r is a stale self-signed copy that cf_trust_prune deletes: it names
 * a peer (CN = the peer's FQDN) whose identity for a purpose validated by r's store, with the
 * same key type, is now CA-signed. *purpose (may be NULL) gets that purpose (borrowed). */
bool cf_trust_stale(cf_store *st, const cf_certrow *r, const char **purpose);

/* Inside a transaction: places one certificate into (node, store) unless the store holds it
 * already. *added tells which happened. */
cf_code cf_trust_place(cf_store *st, const cf_node *node, const char *store, const cf_cert *cert, const cf_facts *facts,
		       const char *source, const char *description, bool *added, int64_t *id, cf_err *e);

#endif
