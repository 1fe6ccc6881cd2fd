/* The store's clusters, nodes and their deploy targets (part of store.h). */
#ifndef CF_STORE_FLEET_H
#define CF_STORE_FLEET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"
#include "util/strv.h"

typedef struct cf_store cf_store;

typedef struct cf_cluster {
	int64_t id;
	char *name;
	char *fqdn;   /* "" when not set */
	cf_strv keys; /* settings, parallel to values */
	cf_strv values;
} cf_cluster;

/* A cluster as `cluster list` shows it. */
typedef struct cf_clusterinfo {
	char *name, *fqdn; /* fqdn "" when not set */
	int64_t nodes;
} cf_clusterinfo;

typedef struct cf_node {
	int64_t id;
	char *fqdn;
	int64_t cluster_id;
	char *cluster;
	char *product;
	bool publisher;
	char *ip; /* "" when not set */
} cf_node;

typedef struct cf_target {
	int64_t node_id;
	char *purpose;
	char *cert_path, *key_path, *chain_path; /* "" when not deployed */
	char *owner;				 /* "user[:group]" or "" */
	int mode;				 /* certificate and chain mode; keys are always 0600 */
	char *reload;				 /* shell command, or "" */
	char *serves;				 /* "HOST:PORT" where the service serves the identity, or "" */
	char *starttls;				 /* the STARTTLS protocol spoken there first, or "" */
} cf_target;

void cf_cluster_free(cf_cluster *c);
void cf_clusterinfos_free(cf_clusterinfo *v, size_t n);
void cf_node_free(cf_node *n);
void cf_nodes_free(cf_node *v, size_t n);
void cf_target_free(cf_target *t);

/* ---- reads ---- */

/* By name (id 0) or by id (name NULL); CF_E_NOTFOUND names the cluster. */
cf_code cf_store_cluster_get(cf_store *st, const char *name, int64_t id, cf_cluster *out, cf_err *e);
/* The value of a setting, or NULL when it is not set (borrowed). */
const char *cf_cluster_get(const cf_cluster *c, const char *key);
/* Every cluster, by name, with its number of nodes. */
cf_code cf_store_clusters(cf_store *st, cf_clusterinfo **out, size_t *n, cf_err *e);
/* By FQDN (case-insensitive); CF_E_NOTFOUND names the node. */
cf_code cf_store_node_get(cf_store *st, const char *fqdn, cf_node *out, cf_err *e);
/* All nodes, or those of one cluster (cluster_id > 0): by cluster name, publishers first, then
 * by FQDN. */
cf_code cf_store_nodes(cf_store *st, int64_t cluster_id, cf_node **out, size_t *n, cf_err *e);
/* Targets of a node (and one purpose when purpose is non-NULL). */
cf_code cf_store_targets(cf_store *st, int64_t node_id, const char *purpose, cf_target **out, size_t *n, cf_err *e);

/* ---- writes (inside cf_store_begin/commit) ---- */

cf_code cf_store_cluster_add(cf_store *st, const char *name, const char *fqdn, int64_t *id, cf_err *e);
cf_code cf_store_cluster_set_fqdn(cf_store *st, int64_t id, const char *fqdn, cf_err *e);
/* Sets (value non-NULL) or removes (NULL) one setting. */
cf_code cf_store_cluster_setting(cf_store *st, int64_t id, const char *key, const char *value, cf_err *e);
/* Deletes a cluster and its settings (the caller checks it has no nodes: the store refuses). */
cf_code cf_store_cluster_delete(cf_store *st, int64_t id, cf_err *e);
cf_code cf_store_node_add(cf_store *st, cf_node *n, cf_err *e); /* sets n->id */
/* Deletes a node with everything kept on it: identities, trust certificates, LSCs, pending CSRs,
 * deploy targets, notifications. */
cf_code cf_store_node_delete(cf_store *st, int64_t id, cf_err *e);
cf_code cf_store_target_set(cf_store *st, const cf_target *t, cf_err *e);

#endif
