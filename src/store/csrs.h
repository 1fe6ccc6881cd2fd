/* The store's pending CSRs: at most one per (node, purpose) (part of store.h). */
#ifndef CF_STORE_CSRS_H
#define CF_STORE_CSRS_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

typedef struct cf_store cf_store;

typedef struct cf_csrrow {
	int64_t node_id;
	char *purpose;
	uint8_t *der;
	size_t der_len;
	char *key_pem; /* freed with cf_secret_free */
	char *distribution;
	char *hash;
	int64_t created;
} cf_csrrow;

void cf_csrrow_free(cf_csrrow *r);

/* ---- reads ---- */

/* The pending CSR of (node, purpose), with its key; CF_E_NOTFOUND when there is none. */
cf_code cf_store_csr_get(cf_store *st, int64_t node_id, const char *purpose, cf_csrrow *out, cf_err *e);

/* ---- writes (inside cf_store_begin/commit) ---- */

/* Replaces any pending CSR of (node, purpose). */
cf_code cf_store_csr_put(cf_store *st, const cf_csrrow *r, cf_err *e);
cf_code cf_store_csr_delete(cf_store *st, int64_t node_id, const char *purpose, cf_err *e);

#endif
