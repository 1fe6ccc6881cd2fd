/* The subject and subjectAltName rules of SPEC §3.2–§3.3: what CN and SAN set a certificate of
 * (node, purpose, distribution) carries, computed from the cluster's nodes and settings. */
#ifndef CF_NAMES_H
#define CF_NAMES_H

#include <stdbool.h>

#include "core/model/profile.h"
#include "store/store.h"

typedef struct cf_names {
	char *cn;
	cf_strv san;   /* "DNS:..." entries in the order they appear in the request */
	cf_strv scope; /* FQDNs of the nodes the certificate serves (multi-server: all in scope) */
} cf_names;

void cf_names_free(cf_names *n);

/* Computes the names. nodes are all nodes of node's cluster. Every DNS entry is checked as an
 * FQDN; a bad one is CF_E_INPUT naming the entry and the setting it came from. */
cf_code cf_names_compute(const cf_cluster *cluster, const cf_node *nodes, size_t n_nodes, const cf_node *node,
			 const cf_purpose *p, bool multi_server, cf_names *out, cf_err *e);

/* The FQDNs a certificate of the purpose made on `node` serves: the node itself, or for
 * multi-server every node in the purpose's scope, publishers first. */
void cf_names_scope(const cf_node *nodes, size_t n_nodes, const cf_node *node, const cf_purpose *p, bool multi_server,
		    cf_strv *fqdns);

/* Whether an Expressway cluster counts as clustered: a cluster FQDN and two or more peers. */
bool cf_expressway_clustered(const cf_cluster *cluster, const cf_node *nodes, size_t n_nodes, const char *product);

#endif
