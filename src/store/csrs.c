/* The store's pending CSRs. */
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"
#include "util/clock.h"

#define D (st->drv)

/* ---- pending CSRs ------------------------------------------------------------------------------ */

void cf_csrrow_free(cf_csrrow *r)
{
	if (r == NULL)
		return;
	free(r->purpose);
	free(r->der);
	cf_secret_free(r->key_pem);
	free(r->distribution);
	free(r->hash);
	memset(r, 0, sizeof(*r));
}

cf_code cf_store_csr_put(cf_store *st, const cf_csrrow *r, cf_err *e)
{
	cf_code rc = cf_store_csr_delete(st, r->node_id, r->purpose, e);
	cf_stmt *s = NULL;
	if (rc != CF_OK ||
	    (rc = cf_store_prep(st,
				"INSERT INTO csrs (node_id, purpose, der, key_pem, distribution, hash, created)"
				" VALUES ($1, $2, $3, $4, $5, $6, $7)",
				&s, e)) != CF_OK)
		return rc;
	D->bind_int(s, 1, r->node_id);
	D->bind_text(s, 2, r->purpose);
	D->bind_blob(s, 3, r->der, r->der_len);
	D->bind_text(s, 4, r->key_pem);
	D->bind_text(s, 5, r->distribution);
	D->bind_text(s, 6, r->hash);
	D->bind_int(s, 7, r->created ? r->created : cf_clock_now());
	return cf_store_run(st, s, e);
}

cf_code cf_store_csr_get(cf_store *st, int64_t node_id, const char *purpose, cf_csrrow *out, cf_err *e)
{
	cf_stmt *s = NULL;
	cf_code rc = cf_store_prep(st,
				   "SELECT der, key_pem, distribution, hash, created FROM csrs"
				   " WHERE node_id = $1 AND purpose = $2",
				   &s, e);
	if (rc != CF_OK)
		return rc;
	D->bind_int(s, 1, node_id);
	D->bind_text(s, 2, purpose);
	int r = D->step(s, e);
	if (r == 1) {
		size_t len = 0;
		const void *der = D->col_blob(s, 0, &len);
		memset(out, 0, sizeof(*out));
		out->node_id = node_id;
		out->purpose = strdup(purpose);
		out->der = malloc(len ? len : 1);
		if (out->der != NULL)
			memcpy(out->der, der, len);
		out->der_len = len;
		out->key_pem = cf_store_dup(D->col_text(s, 1));
		out->distribution = cf_store_dup(D->col_text(s, 2));
		out->hash = cf_store_dup(D->col_text(s, 3));
		out->created = D->col_int(s, 4);
	}
	cf_store_release(st, s);
	if (r == 0) { /* the reason tells "none pending" from a store failure of the same code */
		cf_err_set(e, CF_E_STATE, purpose, "no pending CSR for this purpose");
		cf_err_reason(e, CF_REASON_NO_CSR);
		return CF_E_STATE;
	}
	return r == 1 ? CF_OK : (e ? e->code : CF_E_INTERNAL);
}

cf_code cf_store_csr_delete(cf_store *st, int64_t node_id, const char *purpose, cf_err *e)
{
	cf_stmt *s = NULL;
	cf_code rc = cf_store_prep(st, "DELETE FROM csrs WHERE node_id = $1 AND purpose = $2", &s, e);
	if (rc != CF_OK)
		return rc;
	D->bind_int(s, 1, node_id);
	D->bind_text(s, 2, purpose);
	return cf_store_run(st, s, e);
}
