/* Clusters, nodes and their settings (SPEC §1, §11.1 `cluster`, `node`). Each function that
 * changes the store runs as one transaction. */
#ifndef CF_DEPLOYMENT_H
#define CF_DEPLOYMENT_H

#include "core/model/plan.h"
#include "core/model/profile.h"
#include "store/store.h"

/* A node with its cluster and every node of that cluster: what most operations need. */
typedef struct cf_nodectx {
	cf_node node;
	cf_cluster cluster;
	cf_node *nodes;
	size_t n_nodes;
	const cf_product *product;
	cf_purpose domain; /* the row of a "domain:<FQDN>" purpose asked for: its name, the FQDN as fixed_cn */
	char domain_name[300];
} cf_nodectx;

cf_code cf_nodectx_load(cf_store *st, const char *fqdn, cf_nodectx *out, cf_err *e);
void cf_nodectx_free(cf_nodectx *c);
/* The publisher of the node's product in its cluster (borrowed), or NULL. */
const cf_node *cf_nodectx_publisher(const cf_nodectx *c);
/* The purpose row for this node, or CF_E_INPUT naming the purpose when the product lacks it. A
 * domain certificate's row is c's own copy with its domain (valid while c is). */
cf_code cf_nodectx_purpose(cf_nodectx *c, const char *purpose, const cf_purpose **out, cf_err *e);

cf_code cf_deployment_cluster_add(cf_store *st, const char *name, const char *fqdn, cf_err *e);
/* Sets one setting from command-line values (see settings.h). */
cf_code cf_deployment_cluster_set(cf_store *st, const char *name, const char *key, char *const *values, size_t n,
				  cf_err *e);

typedef struct cf_deployment_node_spec {
	const char *fqdn, *cluster, *product, *ip;
	bool publisher;
	bool no_defaults; /* skip the self-signed identities of a fresh installation */
} cf_deployment_node_spec;

/* Adds a node; unless no_defaults, creates the self-signed identity of every purpose of the
 * product and places each into its trust store on every node of the cluster (SPEC §3.1). */
cf_code cf_deployment_node_add(cf_store *st, const cf_deployment_node_spec *spec, cf_outcome *out, cf_err *e);
/* Deletes a node and everything kept on it, and takes the copies of its self-signed identities
 * out of the trust stores of the other nodes of its cluster (out: those copies, their nodes and
 * the restart plan). A publisher with other nodes in its cluster is CF_E_STATE unless force. */
cf_code cf_deployment_node_delete(cf_store *st, const char *fqdn, bool force, cf_outcome *out, cf_err *e);
/* Deletes a cluster with no nodes (CF_E_STATE while it has any). */
cf_code cf_deployment_cluster_delete(cf_store *st, const char *name, cf_err *e);

#endif
