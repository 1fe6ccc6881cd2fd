/* The store's record of what each (node, purpose) was last seen serving: the served check after a
 * deploy (SPEC §7, "served ≠ stored"; core/lifecycle/served.h). Part of store.h. */
#ifndef CF_STORE_SERVED_H
#define CF_STORE_SERVED_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

typedef struct cf_store cf_store;

/* One check: where, when, what the handshake showed and what the store held then. */
typedef struct cf_servedcheck {
	int64_t node_id;
	char *node; /* its FQDN, when read */
	char *purpose;
	int64_t checked_at;  /* seconds since the epoch; 0: never checked */
	char *address;	     /* "HOST:PORT" connected to */
	char *served_sha256; /* the served leaf's SHA-256 (hex), "" when the handshake failed */
	char *stored_sha256; /* the stored identity's at the check */
	char *error;	     /* one line: why nothing was served ("" when the handshake succeeded) */
} cf_servedcheck;

/* Frees what c holds and zeroes it. NULL-safe. */
void cf_servedcheck_free(cf_servedcheck *c);
/* Frees v[0..n) and v. */
void cf_servedchecks_free(cf_servedcheck *v, size_t n);

/* ---- reads ---- */

/* Every check (of node_id's purposes only, when node_id > 0), by node FQDN and purpose, into *v
 * (cf_servedchecks_free). */
cf_code cf_store_served_list(cf_store *st, int64_t node_id, cf_servedcheck **v, size_t *n, cf_err *e);

/* ---- writes (inside cf_store_begin/commit) ---- */

/* Keeps c as the last check of (c->node_id, c->purpose), replacing the one before. */
cf_code cf_store_served_put(cf_store *st, const cf_servedcheck *c, cf_err *e);
/* Forgets the last check of (node_id, purpose) (its address changed or was cleared). */
cf_code cf_store_served_drop(cf_store *st, int64_t node_id, const char *purpose, cf_err *e);

#endif
