#include "core/fleet/deployment.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/model/fqdn.h"
#include "core/lifecycle/identity.h"
#include "core/model/settings.h"
#include "core/lifecycle/trust.h"

cf_code cf_nodectx_load(cf_store *st, const char *fqdn, cf_nodectx *out, cf_err *e)
{
	cf_nodectx c = {0};
	cf_code rc = cf_store_node_get(st, fqdn, &c.node, e);
	if (rc == CF_OK)
		rc = cf_store_cluster_get(st, NULL, c.node.cluster_id, &c.cluster, e);
	if (rc == CF_OK)
		rc = cf_store_nodes(st, c.node.cluster_id, &c.nodes, &c.n_nodes, e);
	if (rc == CF_OK && (c.product = cf_product_find(c.node.product)) == NULL)
		rc = cf_err_set(e, CF_E_INTERNAL, c.node.fqdn, "unknown product \"%s\" in the store", c.node.product);
	if (rc != CF_OK) {
		cf_nodectx_free(&c);
		return rc;
	}
	*out = c;
	return CF_OK;
}

void cf_nodectx_free(cf_nodectx *c)
{
	if (c == NULL)
		return;
	cf_node_free(&c->node);
	cf_cluster_free(&c->cluster);
	cf_nodes_free(c->nodes, c->n_nodes);
	memset(c, 0, sizeof(*c));
}

const cf_node *cf_nodectx_publisher(const cf_nodectx *c)
{
	for (size_t i = 0; i < c->n_nodes; i++)
		if (c->nodes[i].publisher && strcmp(c->nodes[i].product, c->node.product) == 0)
			return &c->nodes[i];
	return NULL;
}

cf_code cf_nodectx_purpose(cf_nodectx *c, const char *purpose, const cf_purpose **out, cf_err *e)
{
	const cf_purpose *p = cf_purpose_find(purpose, c->node.product);
	if (p == NULL)
		return cf_err_set(e, CF_E_INPUT, purpose, "not a certificate purpose of %s (%s) nodes",
				  c->product->label, c->node.product);
	if (p->publisher_only && !c->node.publisher)
		return cf_err_set(e, CF_E_STATE, purpose, "exists on the %s publisher only, and %s is not it",
				  c->node.product, c->node.fqdn);
	if (p->san_rule == CF_SAN_DOMAIN) {
		c->domain = *p;
		snprintf(c->domain_name, sizeof(c->domain_name), "%s", purpose);
		c->domain.name = c->domain_name;
		c->domain.fixed_cn = c->domain_name + strlen(p->name);
		p = &c->domain;
	}
	*out = p;
	return CF_OK;
}

static cf_code cluster_add_once(cf_store *st, const char *name, const char *fqdn, cf_err *e)
{
	int64_t id = 0;
	const char *why = NULL;
	if (name[0] == '\0' || strlen(name) > 64)
		return cf_err_set(e, CF_E_INPUT, "cluster name", "must be 1 to 64 characters");
	if (fqdn != NULL && (why = cf_fqdn_problem(fqdn)) != NULL)
		return cf_err_set(e, CF_E_INPUT, fqdn, "not a valid cluster FQDN: %s", why);
	cf_code rc = cf_store_begin(st, e);
	if (rc == CF_OK)
		rc = cf_store_cluster_add(st, name, fqdn, &id, e);
	if (rc == CF_OK)
		rc = cf_store_commit(st, e);
	cf_store_rollback(st);
	return rc;
}

cf_code cf_deployment_cluster_add(cf_store *st, const char *name, const char *fqdn, cf_err *e)
{
	cf_code rc;
	CF_STORE_WRITE(st, e, rc, cluster_add_once(st, name, fqdn, e));
	return rc;
}

static cf_code cluster_set_once(cf_store *st, const char *name, const char *key, char *const *values, size_t n,
				cf_err *e)
{
	const cf_setting *s = cf_setting_find(key);
	cf_cluster c = {0};
	char *value = NULL;
	if (s == NULL)
		return cf_err_set(e, CF_E_USAGE, key, "unknown cluster setting");
	cf_code rc = cf_setting_parse(s, values, n, &value, e);
	if (rc != CF_OK)
		return rc;
	if ((rc = cf_store_begin(st, e)) != CF_OK)
		goto out;
	if ((rc = cf_store_cluster_get(st, name, 0, &c, e)) != CF_OK)
		goto out;
	if (strcmp(key, "fqdn") == 0)
		rc = cf_store_cluster_set_fqdn(st, c.id, value ? value : "", e);
	else
		rc = cf_store_cluster_setting(st, c.id, key, value, e);
	if (rc == CF_OK)
		rc = cf_store_commit(st, e);
out:
	cf_store_rollback(st);
	cf_cluster_free(&c);
	free(value);
	return rc;
}

cf_code cf_deployment_cluster_set(cf_store *st, const char *name, const char *key, char *const *values, size_t n,
				  cf_err *e)
{
	cf_code rc;
	CF_STORE_WRITE(st, e, rc, cluster_set_once(st, name, key, values, n, e));
	return rc;
}

/* Copies a publisher's trust certificates into the joining node's stores of the same name. */
static cf_code copy_publisher_trust(cf_store *st, const cf_nodectx *ctx, const cf_node *publisher, cf_err *e)
{
	cf_strv stores = {0};
	cf_code rc = CF_OK;
	cf_strv_split(&stores, ctx->product->trust_stores, " ");
	for (size_t k = 0; k < stores.n && rc == CF_OK; k++) {
		cf_cert **certs = NULL;
		size_t n = 0;
		rc = cf_store_trust_certs(st, publisher->id, stores.v[k], &certs, &n, e);
		for (size_t j = 0; j < n && rc == CF_OK; j++) {
			cf_facts f = {0};
			bool added = false;
			rc = cf_cert_facts(certs[j], &f, e);
			if (rc == CF_OK)
				rc = cf_trust_place(st, &ctx->node, stores.v[k], certs[j], &f, "sync", "", &added, NULL,
						    e);
			cf_facts_free(&f);
		}
		cf_certs_free(certs, n);
	}
	cf_strv_clear(&stores);
	return rc;
}

/* Copies a peer's self-signed identities into the joining node's matching trust stores. */
static cf_code copy_peer_self_signed(cf_store *st, const cf_nodectx *ctx, const cf_node *peer, cf_err *e)
{
	cf_code rc = CF_OK;
	int i = 0;
	const cf_purpose *p;
	while (rc == CF_OK && (p = cf_purpose_next(peer->product, &i)) != NULL) {
		cf_certrow id = {0};
		cf_err le = {0};
		if (p->trust_store == NULL || !cf_product_has_store(ctx->product, p->trust_store))
			continue;
		cf_code got = cf_store_identity_get(st, peer->id, p->name, false, &id, &le);
		if (got == CF_E_NOTFOUND)
			continue;
		if (got != CF_OK) { /* the store failed: not "the peer has none" */
			if (e != NULL)
				*e = le;
			return got;
		}
		cf_cert *c = id.facts.self_signed ? cf_cert_from_der(id.der, id.der_len) : NULL;
		bool added = false;
		if (c != NULL)
			rc = cf_trust_place(st, &ctx->node, p->trust_store, c, &id.facts, "self-signed", "", &added,
					    NULL, e);
		cf_cert_free(c);
		cf_certrow_free(&id);
	}
	return rc;
}

/* A joining node receives what the cluster already trusts: every publisher's trust
 * certificates and the self-signed identities of its peers, in the stores it has. */
static cf_code sync_joining_node(cf_store *st, const cf_nodectx *ctx, cf_err *e)
{
	cf_code rc = CF_OK;
	for (size_t i = 0; i < ctx->n_nodes && rc == CF_OK; i++) {
		const cf_node *peer = &ctx->nodes[i];
		if (peer->id == ctx->node.id)
			continue;
		if (peer->publisher)
			rc = copy_publisher_trust(st, ctx, peer, e);
		if (rc == CF_OK)
			rc = copy_peer_self_signed(st, ctx, peer, e);
	}
	return rc;
}

static cf_code node_add_once(cf_store *st, const cf_deployment_node_spec *spec, cf_outcome *out, cf_err *e)
{
	const char *why = cf_fqdn_problem(spec->fqdn);
	cf_cluster cl = {0};
	cf_node *nodes = NULL;
	size_t n = 0;
	cf_nodectx ctx = {0};

	if (why != NULL)
		return cf_err_set(e, CF_E_INPUT, spec->fqdn, "not a valid FQDN: %s", why);
	if (cf_product_find(spec->product) == NULL)
		return cf_err_set(e, CF_E_INPUT, spec->product,
				  "unknown product; use ucm, imp, cuc, expressway-c, expressway-e, cms, cmm, tms, pcd, "
				  "pcp or ios");
	if (spec->ip != NULL && spec->ip[0] != '\0' && !cf_is_ip(spec->ip))
		return cf_err_set(e, CF_E_INPUT, spec->ip, "not an IP address");
	cf_code rc = cf_store_begin(st, e);
	if (rc != CF_OK)
		return rc;
	if ((rc = cf_store_cluster_get(st, spec->cluster, 0, &cl, e)) != CF_OK)
		goto out;
	if ((rc = cf_store_nodes(st, cl.id, &nodes, &n, e)) != CF_OK)
		goto out;
	bool has_publisher = false;
	for (size_t i = 0; i < n; i++)
		if (nodes[i].publisher && strcmp(nodes[i].product, spec->product) == 0)
			has_publisher = true;
	if (spec->publisher && has_publisher) {
		rc = cf_err_set(e, CF_E_STATE, spec->fqdn, "cluster %s already has a %s publisher", spec->cluster,
				spec->product);
		goto out;
	}
	/* the first node of its product in the cluster is its publisher (SPEC §1) */
	cf_node node = {.fqdn = (char *)spec->fqdn,
			.cluster_id = cl.id,
			.product = (char *)spec->product,
			.publisher = spec->publisher || !has_publisher,
			.ip = (char *)(spec->ip ? spec->ip : "")};
	if ((rc = cf_store_node_add(st, &node, e)) != CF_OK)
		goto out;
	cf_strv_push(&out->nodes, spec->fqdn);
	if ((rc = cf_nodectx_load(st, spec->fqdn, &ctx, e)) != CF_OK)
		goto out;
	if ((rc = sync_joining_node(st, &ctx, e)) != CF_OK)
		goto out;
	if (!spec->no_defaults && (rc = cf_identity_defaults(st, spec->fqdn, out, e)) != CF_OK)
		goto out;
	cf_plan_drop_node(&out->plan, spec->fqdn);
	rc = cf_store_commit(st, e);
out:
	cf_store_rollback(st);
	cf_nodectx_free(&ctx);
	cf_cluster_free(&cl);
	cf_nodes_free(nodes, n);
	return rc;
}

cf_code cf_deployment_node_add(cf_store *st, const cf_deployment_node_spec *spec, cf_outcome *out, cf_err *e)
{
	cf_code rc;
	CF_STORE_WRITE_RESETTING(st, e, rc, node_add_once(st, spec, out, e), cf_outcome_free(out));
	return rc;
}

/* The SHA-256 of each self-signed identity of a node. */
static int collect_self_signed(void *ctx, const cf_certrow *r)
{
	if (r->facts.self_signed)
		cf_strv_push(ctx, r->facts.sha256);
	return 0;
}

/* Inside the transaction: deletes the copies of the self-signed identities (sha256s) from every
 * trust store of the cluster's other nodes. */
static cf_code drop_peer_copies(cf_store *st, const cf_nodectx *c, const cf_strv *sha256s, cf_outcome *out, cf_err *e)
{
	cf_code rc = CF_OK;
	for (size_t i = 0; i < c->n_nodes && rc == CF_OK; i++) {
		const cf_node *peer = &c->nodes[i];
		const cf_product *product = cf_product_find(peer->product);
		cf_strv stores = {0};
		if (peer->id == c->node.id || product == NULL)
			continue;
		cf_strv_split(&stores, product->trust_stores, " ");
		for (size_t k = 0; k < stores.n && rc == CF_OK; k++) {
			bool dropped = false;
			for (size_t j = 0; j < sha256s->n && rc == CF_OK; j++) {
				int64_t id = 0;
				rc = cf_store_trust_find(st, peer->id, stores.v[k], sha256s->v[j], &id, e);
				if (rc == CF_OK && id > 0 && (rc = cf_store_cert_delete(st, id, e)) == CF_OK) {
					cf_outcome_add_id(out, id);
					dropped = true;
				}
			}
			if (dropped) {
				cf_strv_push_unique(&out->nodes, peer->fqdn);
				cf_plan_trust(&out->plan, stores.v[k], peer, false);
			}
		}
		cf_strv_clear(&stores);
	}
	return rc;
}

static cf_code node_delete_once(cf_store *st, const char *fqdn, bool force, cf_outcome *out, cf_err *e)
{
	cf_nodectx c = {0};
	cf_strv own = {0};
	cf_code rc = cf_store_begin(st, e);
	if (rc == CF_OK)
		rc = cf_nodectx_load(st, fqdn, &c, e);
	if (rc == CF_OK && c.node.publisher && c.n_nodes > 1 && !force) {
		rc = cf_err_set(
			e, CF_E_STATE, c.node.fqdn,
			"is the %s publisher of cluster %s, which has %zu other node%s; delete them first, or force "
			"it (the cluster is then left without this publisher)",
			c.node.product, c.cluster.name, c.n_nodes - 1, c.n_nodes == 2 ? "" : "s");
		cf_err_reason(e, CF_REASON_NEEDS_FORCE);
	}
	if (rc == CF_OK) {
		cf_certfilter f = {.node = c.node.fqdn, .kind = CF_IDENTITY};
		rc = cf_store_cert_each(st, &f, collect_self_signed, &own, e);
	}
	if (rc == CF_OK)
		rc = drop_peer_copies(st, &c, &own, out, e);
	if (rc == CF_OK)
		rc = cf_store_node_delete(st, c.node.id, e);
	if (rc == CF_OK) {
		cf_plan_finish(&out->plan);
		rc = cf_store_commit(st, e);
	}
	cf_store_rollback(st);
	cf_strv_clear(&own);
	cf_nodectx_free(&c);
	return rc;
}

cf_code cf_deployment_node_delete(cf_store *st, const char *fqdn, bool force, cf_outcome *out, cf_err *e)
{
	cf_code rc;
	CF_STORE_WRITE_RESETTING(st, e, rc, node_delete_once(st, fqdn, force, out, e), cf_outcome_free(out));
	return rc;
}

static cf_code cluster_delete_once(cf_store *st, const char *name, cf_err *e)
{
	cf_cluster cl = {0};
	cf_node *nodes = NULL;
	size_t n = 0;
	cf_code rc = cf_store_begin(st, e);
	if (rc == CF_OK)
		rc = cf_store_cluster_get(st, name, 0, &cl, e);
	if (rc == CF_OK)
		rc = cf_store_nodes(st, cl.id, &nodes, &n, e);
	if (rc == CF_OK && n > 0)
		rc = cf_err_set(e, CF_E_STATE, name, "the cluster still has %zu node%s (%s%s); delete them first", n,
				n == 1 ? "" : "s", nodes[0].fqdn, n > 1 ? ", ..." : "");
	if (rc == CF_OK)
		rc = cf_store_cluster_delete(st, cl.id, e);
	if (rc == CF_OK)
		rc = cf_store_commit(st, e);
	cf_store_rollback(st);
	cf_nodes_free(nodes, n);
	cf_cluster_free(&cl);
	return rc;
}

cf_code cf_deployment_cluster_delete(cf_store *st, const char *name, cf_err *e)
{
	cf_code rc;
	CF_STORE_WRITE(st, e, rc, cluster_delete_once(st, name, e));
	return rc;
}
