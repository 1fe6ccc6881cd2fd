/* The store's record of the served checks (see served.h). */
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"
#include "util/grow.h"

#define D (st->drv)

void cf_servedcheck_free(cf_servedcheck *c)
{
	if (c == NULL)
		return;
	free(c->node);
	free(c->purpose);
	free(c->address);
	free(c->served_sha256);
	free(c->stored_sha256);
	free(c->error);
	memset(c, 0, sizeof(*c));
}

void cf_servedchecks_free(cf_servedcheck *v, size_t n)
{
	for (size_t i = 0; v != NULL && i < n; i++)
		cf_servedcheck_free(&v[i]);
	free(v);
}

cf_code cf_store_served_list(cf_store *st, int64_t node_id, cf_servedcheck **v, size_t *n, cf_err *e)
{
	cf_stmt *s = NULL;
	cf_servedcheck *out = NULL;
	size_t count = 0, cap = 0;
	cf_code rc = cf_store_prep(st,
				   "SELECT c.node_id, n.fqdn, c.purpose, c.checked_at, c.address, c.served_sha256,"
				   " c.stored_sha256, c.error FROM served_checks c JOIN nodes n ON n.id = c.node_id"
				   " WHERE $1 = 0 OR c.node_id = $1 ORDER BY n.fqdn, c.purpose",
				   &s, e);
	if (rc != CF_OK)
		return rc;
	D->bind_int(s, 1, node_id > 0 ? node_id : 0);
	int r;
	while ((r = D->step(s, e)) == 1) {
		if (cf_grow(&out, &cap, count, sizeof(*out)) != 0) {
			r = -1;
			cf_err_set(e, CF_E_INTERNAL, "served checks", "out of memory");
			break;
		}
		cf_servedcheck *c = &out[count++];
		memset(c, 0, sizeof(*c));
		c->node_id = D->col_int(s, 0);
		c->node = cf_store_dup(D->col_text(s, 1));
		c->purpose = cf_store_dup(D->col_text(s, 2));
		c->checked_at = D->col_int(s, 3);
		c->address = cf_store_dup(D->col_text(s, 4));
		c->served_sha256 = cf_store_dup(D->col_text(s, 5));
		c->stored_sha256 = cf_store_dup(D->col_text(s, 6));
		c->error = cf_store_dup(D->col_text(s, 7));
	}
	cf_store_release(st, s);
	if (r < 0) {
		cf_servedchecks_free(out, count);
		return e ? e->code : CF_E_INTERNAL;
	}
	*v = out;
	*n = count;
	return CF_OK;
}

cf_code cf_store_served_drop(cf_store *st, int64_t node_id, const char *purpose, cf_err *e)
{
	cf_stmt *s = NULL;
	cf_code rc = cf_store_prep(st, "DELETE FROM served_checks WHERE node_id = $1 AND purpose = $2", &s, e);
	if (rc != CF_OK)
		return rc;
	D->bind_int(s, 1, node_id);
	D->bind_text(s, 2, purpose);
	return cf_store_run(st, s, e);
}

cf_code cf_store_served_put(cf_store *st, const cf_servedcheck *c, cf_err *e)
{
	cf_stmt *s = NULL;
	cf_code rc = cf_store_served_drop(st, c->node_id, c->purpose, e);
	if (rc == CF_OK)
		rc = cf_store_prep(st,
				   "INSERT INTO served_checks (node_id, purpose, checked_at, address, served_sha256,"
				   " stored_sha256, error) VALUES ($1, $2, $3, $4, $5, $6, $7)",
				   &s, e);
	if (rc != CF_OK)
		return rc;
	D->bind_int(s, 1, c->node_id);
	D->bind_text(s, 2, c->purpose);
	D->bind_int(s, 3, c->checked_at);
	D->bind_text(s, 4, c->address ? c->address : "");
	D->bind_text(s, 5, c->served_sha256 ? c->served_sha256 : "");
	D->bind_text(s, 6, c->stored_sha256 ? c->stored_sha256 : "");
	D->bind_text(s, 7, c->error ? c->error : "");
	return cf_store_run(st, s, e);
}
