/* The store's clusters, nodes and their deploy targets. */
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"
#include "util/grow.h"

#define D (st->drv)

/* ---- clusters ------------------------------------------------------------------------------ */

void cf_cluster_free(cf_cluster *c)
{
	if (c == NULL)
		return;
	free(c->name);
	free(c->fqdn);
	cf_strv_clear(&c->keys);
	cf_strv_clear(&c->values);
	memset(c, 0, sizeof(*c));
}

const char *cf_cluster_get(const cf_cluster *c, const char *key)
{
	for (size_t i = 0; i < c->keys.n; i++)
		if (strcmp(c->keys.v[i], key) == 0)
			return c->values.v[i];
	return NULL;
}

cf_code cf_store_cluster_add(cf_store *st, const char *name, const char *fqdn, int64_t *id, cf_err *e)
{
	cf_stmt *s = NULL;
	cf_code rc = cf_store_prep(st, "INSERT INTO clusters (name, fqdn) VALUES ($1, $2) RETURNING id", &s, e);
	if (rc != CF_OK)
		return rc;
	D->bind_text(s, 1, name);
	D->bind_text(s, 2, fqdn ? fqdn : "");
	int r = D->step(s, e);
	if (r == 1)
		*id = D->col_int(s, 0);
	cf_store_release(st, s);
	if (r < 0 && e && e->code == CF_E_STATE)
		return cf_err_set(e, CF_E_STATE, name, "a cluster of that name already exists");
	return r == 1 ? CF_OK : (e ? e->code : CF_E_INTERNAL);
}

cf_code cf_store_cluster_set_fqdn(cf_store *st, int64_t id, const char *fqdn, cf_err *e)
{
	cf_stmt *s = NULL;
	cf_code rc = cf_store_prep(st, "UPDATE clusters SET fqdn = $1 WHERE id = $2", &s, e);
	if (rc != CF_OK)
		return rc;
	D->bind_text(s, 1, fqdn);
	D->bind_int(s, 2, id);
	return cf_store_run(st, s, e);
}

cf_code cf_store_cluster_get(cf_store *st, const char *name, int64_t id, cf_cluster *out, cf_err *e)
{
	cf_stmt *s = NULL;
	cf_cluster c = {0};
	cf_code rc = cf_store_prep(st, "SELECT id, name, fqdn FROM clusters WHERE name = $1 OR id = $2", &s, e);
	if (rc != CF_OK)
		return rc;
	D->bind_text(s, 1, name ? name : "");
	D->bind_int(s, 2, name ? -1 : id);
	int r = D->step(s, e);
	if (r == 1) {
		c.id = D->col_int(s, 0);
		c.name = cf_store_dup(D->col_text(s, 1));
		c.fqdn = cf_store_dup(D->col_text(s, 2));
	}
	cf_store_release(st, s);
	if (r < 0)
		return e ? e->code : CF_E_INTERNAL;
	if (r == 0)
		return cf_err_set(e, CF_E_NOTFOUND, name ? name : "cluster", "no such cluster");
	if ((rc = cf_store_prep(st, "SELECT key, value FROM cluster_settings WHERE cluster_id = $1 ORDER BY key", &s,
				e)) != CF_OK) {
		cf_cluster_free(&c);
		return rc;
	}
	D->bind_int(s, 1, c.id);
	while ((r = D->step(s, e)) == 1) {
		cf_strv_push(&c.keys, D->col_text(s, 0));
		cf_strv_push(&c.values, D->col_text(s, 1));
	}
	cf_store_release(st, s);
	if (r < 0) {
		cf_cluster_free(&c);
		return e ? e->code : CF_E_INTERNAL;
	}
	*out = c;
	return CF_OK;
}

cf_code cf_store_cluster_delete(cf_store *st, int64_t id, cf_err *e)
{
	cf_stmt *s = NULL;
	cf_code rc = cf_store_prep(st, "DELETE FROM clusters WHERE id = $1", &s, e);
	if (rc != CF_OK)
		return rc;
	D->bind_int(s, 1, id);
	return cf_store_run(st, s, e);
}

void cf_clusterinfos_free(cf_clusterinfo *v, size_t n)
{
	for (size_t i = 0; v != NULL && i < n; i++) {
		free(v[i].name);
		free(v[i].fqdn);
	}
	free(v);
}

cf_code cf_store_clusters(cf_store *st, cf_clusterinfo **out, size_t *n, cf_err *e)
{
	cf_stmt *s = NULL;
	cf_code rc = cf_store_prep(st,
				   "SELECT c.name, c.fqdn, (SELECT count(*) FROM nodes n WHERE n.cluster_id = c.id) "
				   "FROM clusters c ORDER BY c.name",
				   &s, e);
	if (rc != CF_OK)
		return rc;
	cf_clusterinfo *v = NULL;
	size_t count = 0, cap = 0;
	int r;
	while ((r = D->step(s, e)) == 1) {
		if (cf_grow(&v, &cap, count, sizeof(*v)) != 0) {
			r = -1;
			cf_err_set(e, CF_E_INTERNAL, "clusters", "out of memory");
			break;
		}
		v[count].name = cf_store_dup(D->col_text(s, 0));
		v[count].fqdn = cf_store_dup(D->col_text(s, 1));
		v[count++].nodes = D->col_int(s, 2);
	}
	cf_store_release(st, s);
	if (r < 0) {
		cf_clusterinfos_free(v, count);
		return e ? e->code : CF_E_INTERNAL;
	}
	*out = v;
	*n = count;
	return CF_OK;
}

cf_code cf_store_cluster_setting(cf_store *st, int64_t id, const char *key, const char *value, cf_err *e)
{
	cf_stmt *s = NULL;
	cf_code rc = cf_store_prep(st, "DELETE FROM cluster_settings WHERE cluster_id = $1 AND key = $2", &s, e);
	if (rc != CF_OK)
		return rc;
	D->bind_int(s, 1, id);
	D->bind_text(s, 2, key);
	if ((rc = cf_store_run(st, s, e)) != CF_OK || value == NULL)
		return rc;
	if ((rc = cf_store_prep(st, "INSERT INTO cluster_settings (cluster_id, key, value) VALUES ($1, $2, $3)", &s,
				e)) != CF_OK)
		return rc;
	D->bind_int(s, 1, id);
	D->bind_text(s, 2, key);
	D->bind_text(s, 3, value);
	return cf_store_run(st, s, e);
}

/* ---- nodes ------------------------------------------------------------------------------------ */

void cf_node_free(cf_node *n)
{
	if (n == NULL)
		return;
	free(n->fqdn);
	free(n->cluster);
	free(n->product);
	free(n->ip);
	memset(n, 0, sizeof(*n));
}

void cf_nodes_free(cf_node *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		cf_node_free(&v[i]);
	free(v);
}

cf_code cf_store_node_add(cf_store *st, cf_node *n, cf_err *e)
{
	cf_stmt *s = NULL;
	cf_code rc = cf_store_prep(st,
				   "INSERT INTO nodes (fqdn, cluster_id, product, publisher, ip) "
				   "VALUES ($1, $2, $3, $4, $5) RETURNING id",
				   &s, e);
	if (rc != CF_OK)
		return rc;
	D->bind_text(s, 1, n->fqdn);
	D->bind_int(s, 2, n->cluster_id);
	D->bind_text(s, 3, n->product);
	D->bind_int(s, 4, n->publisher);
	D->bind_text(s, 5, n->ip ? n->ip : "");
	int r = D->step(s, e);
	if (r == 1)
		n->id = D->col_int(s, 0);
	cf_store_release(st, s);
	if (r < 0 && e && e->code == CF_E_STATE)
		return cf_err_set(e, CF_E_STATE, n->fqdn, "a node with that FQDN already exists");
	return r == 1 ? CF_OK : (e ? e->code : CF_E_INTERNAL);
}

#define NODE_COLS "n.id, n.fqdn, n.cluster_id, c.name, n.product, n.publisher, n.ip"

static void read_node(cf_store *st, cf_stmt *s, cf_node *n)
{
	n->id = D->col_int(s, 0);
	n->fqdn = cf_store_dup(D->col_text(s, 1));
	n->cluster_id = D->col_int(s, 2);
	n->cluster = cf_store_dup(D->col_text(s, 3));
	n->product = cf_store_dup(D->col_text(s, 4));
	n->publisher = D->col_int(s, 5) != 0;
	n->ip = cf_store_dup(D->col_text(s, 6));
}

cf_code cf_store_node_get(cf_store *st, const char *fqdn, cf_node *out, cf_err *e)
{
	cf_stmt *s = NULL;
	cf_code rc = cf_store_prep(st,
				   "SELECT " NODE_COLS " FROM nodes n JOIN clusters c ON c.id = n.cluster_id "
				   "WHERE lower(n.fqdn) = lower($1)",
				   &s, e);
	if (rc != CF_OK)
		return rc;
	D->bind_text(s, 1, fqdn);
	int r = D->step(s, e);
	if (r == 1)
		read_node(st, s, out);
	cf_store_release(st, s);
	if (r == 0)
		return cf_err_set(e, CF_E_NOTFOUND, fqdn, "no such node");
	return r == 1 ? CF_OK : (e ? e->code : CF_E_INTERNAL);
}

cf_code cf_store_nodes(cf_store *st, int64_t cluster_id, cf_node **out, size_t *n, cf_err *e)
{
	cf_stmt *s = NULL;
	cf_code rc = cf_store_prep(st,
				   "SELECT " NODE_COLS " FROM nodes n JOIN clusters c ON c.id = n.cluster_id "
				   "WHERE $1 = 0 OR n.cluster_id = $1 "
				   "ORDER BY c.name, n.publisher DESC, n.fqdn",
				   &s, e);
	if (rc != CF_OK)
		return rc;
	D->bind_int(s, 1, cluster_id);
	cf_node *v = NULL;
	size_t count = 0, cap = 0;
	int r;
	while ((r = D->step(s, e)) == 1) {
		if (cf_grow(&v, &cap, count, sizeof(*v)) != 0) {
			r = -1;
			cf_err_set(e, CF_E_INTERNAL, "nodes", "out of memory");
			break;
		}
		memset(&v[count], 0, sizeof(v[count]));
		read_node(st, s, &v[count++]);
	}
	cf_store_release(st, s);
	if (r < 0) {
		cf_nodes_free(v, count);
		return e ? e->code : CF_E_INTERNAL;
	}
	*out = v;
	*n = count;
	return CF_OK;
}

cf_code cf_store_node_delete(cf_store *st, int64_t id, cf_err *e)
{
	cf_stmt *s = NULL;
	cf_code rc = cf_store_prep(st, "DELETE FROM nodes WHERE id = $1", &s, e);
	if (rc != CF_OK)
		return rc;
	D->bind_int(s, 1, id);
	return cf_store_run(st, s, e);
}

/* ---- deploy targets --------------------------------------------------------------------------- */

void cf_target_free(cf_target *t)
{
	if (t == NULL)
		return;
	free(t->purpose);
	free(t->cert_path);
	free(t->key_path);
	free(t->chain_path);
	free(t->owner);
	free(t->reload);
	free(t->serves);
	free(t->starttls);
	memset(t, 0, sizeof(*t));
}

cf_code cf_store_target_set(cf_store *st, const cf_target *t, cf_err *e)
{
	cf_stmt *s = NULL;
	cf_code rc = cf_store_prep(st, "DELETE FROM deploy_targets WHERE node_id = $1 AND purpose = $2", &s, e);
	if (rc != CF_OK)
		return rc;
	D->bind_int(s, 1, t->node_id);
	D->bind_text(s, 2, t->purpose);
	if ((rc = cf_store_run(st, s, e)) != CF_OK)
		return rc;
	if ((rc = cf_store_prep(
		     st,
		     "INSERT INTO deploy_targets (node_id, purpose, cert_path, key_path, chain_path,"
		     " owner, mode, reload, serves, starttls) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
		     &s, e)) != CF_OK)
		return rc;
	D->bind_int(s, 1, t->node_id);
	D->bind_text(s, 2, t->purpose);
	D->bind_text(s, 3, t->cert_path ? t->cert_path : "");
	D->bind_text(s, 4, t->key_path ? t->key_path : "");
	D->bind_text(s, 5, t->chain_path ? t->chain_path : "");
	D->bind_text(s, 6, t->owner ? t->owner : "");
	D->bind_int(s, 7, t->mode);
	D->bind_text(s, 8, t->reload ? t->reload : "");
	D->bind_text(s, 9, t->serves ? t->serves : "");
	D->bind_text(s, 10, t->starttls ? t->starttls : "");
	return cf_store_run(st, s, e);
}

cf_code cf_store_targets(cf_store *st, int64_t node_id, const char *purpose, cf_target **out, size_t *n, cf_err *e)
{
	cf_stmt *s = NULL;
	cf_code rc =
		cf_store_prep(st,
			      "SELECT purpose, cert_path, key_path, chain_path, owner, mode, reload, serves, starttls"
			      " FROM deploy_targets WHERE node_id = $1 AND ($2 = '' OR purpose = $2)"
			      " ORDER BY purpose",
			      &s, e);
	if (rc != CF_OK)
		return rc;
	D->bind_int(s, 1, node_id);
	D->bind_text(s, 2, purpose ? purpose : "");
	cf_target *v = NULL;
	size_t count = 0, cap = 0;
	int r;
	while ((r = D->step(s, e)) == 1) {
		if (cf_grow(&v, &cap, count, sizeof(*v)) != 0) {
			r = -1;
			cf_err_set(e, CF_E_INTERNAL, "deploy targets", "out of memory");
			break;
		}
		cf_target *t = &v[count++];
		t->node_id = node_id;
		t->purpose = cf_store_dup(D->col_text(s, 0));
		t->cert_path = cf_store_dup(D->col_text(s, 1));
		t->key_path = cf_store_dup(D->col_text(s, 2));
		t->chain_path = cf_store_dup(D->col_text(s, 3));
		t->owner = cf_store_dup(D->col_text(s, 4));
		t->mode = (int)D->col_int(s, 5);
		t->reload = cf_store_dup(D->col_text(s, 6));
		t->serves = cf_store_dup(D->col_text(s, 7));
		t->starttls = cf_store_dup(D->col_text(s, 8));
	}
	cf_store_release(st, s);
	if (r < 0) {
		for (size_t i = 0; i < count; i++)
			cf_target_free(&v[i]);
		free(v);
		return e ? e->code : CF_E_INTERNAL;
	}
	*out = v;
	*n = count;
	return CF_OK;
}
