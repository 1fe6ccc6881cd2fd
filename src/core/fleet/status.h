/* A per-node summary of a deployment: what `certfleet status` (and `make run`) shows until the
 * doctor's findings take over the details. */
#ifndef CF_STATUS_H
#define CF_STATUS_H

#include "store/store.h"

typedef struct cf_node_status {
	cf_node node;
	int identities, self_signed, ca_signed, pending_csrs, trust_certs;
	char soonest_purpose[32]; /* identity expiring first */
	int64_t soonest_not_after;
} cf_node_status;

/* One entry per node, in cf_store_nodes order. Free with cf_status_free. */
cf_code cf_status(cf_store *st, cf_node_status **out, size_t *n, cf_err *e);
void cf_status_free(cf_node_status *v, size_t n);

#endif
