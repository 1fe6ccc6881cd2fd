#include "core/model/names.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/model/fqdn.h"
#include "core/model/settings.h"

void cf_names_free(cf_names *n)
{
	if (n == NULL)
		return;
	free(n->cn);
	cf_strv_clear(&n->san);
	cf_strv_clear(&n->scope);
	memset(n, 0, sizeof(*n));
}

void cf_names_scope(const cf_node *nodes, size_t n_nodes, const cf_node *node, const cf_purpose *p, bool multi_server,
		    cf_strv *fqdns)
{
	if (!multi_server) {
		cf_strv_push(fqdns, node->fqdn);
		return;
	}
	for (int publishers = 1; publishers >= 0; publishers--)
		for (size_t i = 0; i < n_nodes; i++)
			if (nodes[i].publisher == publishers && cf_purpose_in_scope(p, node->product, nodes[i].product))
				cf_strv_push_unique(fqdns, nodes[i].fqdn);
}

bool cf_expressway_clustered(const cf_cluster *cluster, const cf_node *nodes, size_t n_nodes, const char *product)
{
	size_t peers = 0;
	for (size_t i = 0; i < n_nodes; i++)
		if (strcmp(nodes[i].product, product) == 0)
			peers++;
	return cluster->fqdn[0] != '\0' && peers >= 2;
}

/* Adds DNS:<name> after checking it; `from` names the setting for the error message. */
static cf_code add_dns(cf_names *out, const char *name, const char *from, bool wildcard_ok, cf_err *e)
{
	const char *why = wildcard_ok ? cf_wildcard_fqdn_problem(name) : cf_fqdn_problem(name);
	if (why != NULL) {
		const char *what = from ? from : "name";
		return cf_err_set(e, CF_E_INPUT, what, "\"%s\" is not a valid FQDN: %s", name, why);
	}
	char buf[320]; /* "DNS:" and an FQDN (at most 253 characters, checked above) */
	snprintf(buf, sizeof(buf), "DNS:%s", name);
	cf_strv_push_unique(&out->san, buf);
	return CF_OK;
}

/* Adds every item of a list setting, optionally with a prefix. */
static cf_code add_setting(cf_names *out, const cf_cluster *cl, const char *key, const char *prefix, bool wildcard_ok,
			   cf_err *e)
{
	cf_strv items = {0};
	cf_code rc = CF_OK;
	cf_setting_list(cf_cluster_get(cl, key), &items);
	for (size_t i = 0; i < items.n && rc == CF_OK; i++) {
		char name[300];
		snprintf(name, sizeof(name), "%s%s", prefix ? prefix : "", items.v[i]);
		rc = add_dns(out, name, key, wildcard_ok, e);
	}
	cf_strv_clear(&items);
	return rc;
}

static bool setting_on(const cf_cluster *cl, const char *key)
{
	const char *v = cf_cluster_get(cl, key);
	return v != NULL && strcmp(v, "on") == 0;
}

static cf_code expressway_names(const cf_cluster *cl, const cf_node *nodes, size_t n_nodes, const cf_node *node,
				cf_names *out, cf_err *e)
{
	cf_code rc = CF_OK;
	bool edge = strcmp(node->product, "expressway-e") == 0;
	if (cf_expressway_clustered(cl, nodes, n_nodes, node->product)) {
		out->cn = strdup(cl->fqdn);
		rc = add_dns(out, cl->fqdn, "cluster FQDN", false, e);
		cf_strv peers = {0};
		for (size_t i = 0; i < n_nodes; i++)
			if (strcmp(nodes[i].product, node->product) == 0)
				cf_strv_push(&peers, nodes[i].fqdn);
		cf_strv_sort_unique(&peers);
		for (size_t i = 0; i < peers.n && rc == CF_OK; i++)
			rc = add_dns(out, peers.v[i], "peer FQDN", false, e);
		cf_strv_clear(&peers);
	} else {
		/* SPEC §3.3: the vendor's form leaves the SAN blank here, but clients match the SAN alone
		 * once it has a DNS name (RFC 6125) and public CAs require the CN in it */
		out->cn = strdup(node->fqdn);
		rc = add_dns(out, node->fqdn, "node FQDN", false, e);
	}
	if (rc == CF_OK && !edge)
		rc = add_setting(out, cl, "phone-security-profiles", NULL, false, e);
	if (rc == CF_OK && edge) {
		const char *fmt = cf_cluster_get(cl, "registration-domain-format");
		bool collab = fmt != NULL && strcmp(fmt, "collab-edge") == 0;
		rc = add_setting(out, cl, "ucm-registration-domains", collab ? "collab-edge." : NULL, false, e);
		if (rc == CF_OK)
			rc = add_setting(out, cl, "xmpp-federation-domains", NULL, false, e);
	}
	if (rc == CF_OK)
		rc = add_setting(out, cl, "chat-aliases", NULL, false, e);
	if (rc == CF_OK)
		rc = add_setting(out, cl, "additional-names", NULL, false, e);
	return rc;
}

cf_code cf_names_compute(const cf_cluster *cluster, const cf_node *nodes, size_t n_nodes, const cf_node *node,
			 const cf_purpose *p, bool multi_server, cf_names *out, cf_err *e)
{
	cf_names n = {0};
	cf_code rc = CF_OK;

	cf_names_scope(nodes, n_nodes, node, p, multi_server, &n.scope);
	switch (p->san_rule) {
	case CF_SAN_FIXED_CN: n.cn = strdup(p->fixed_cn); break;
	case CF_SAN_DOMAIN:
		n.cn = strdup(p->fixed_cn);
		rc = add_dns(&n, p->fixed_cn, "the domain", false, e);
		break;
	case CF_SAN_EXPRESSWAY: rc = expressway_names(cluster, nodes, n_nodes, node, &n, e); break;
	case CF_SAN_NODE:
	case CF_SAN_XMPP:
	case CF_SAN_XMPP_S2S: {
		if (multi_server) {
			const char *dot = strchr(node->fqdn, '.');
			char cn[300];
			snprintf(cn, sizeof(cn), "%.*s-ms%s", (int)(dot - node->fqdn), node->fqdn, dot);
			n.cn = strdup(cn);
		} else {
			n.cn = strdup(node->fqdn);
		}
		cf_strv sorted = {0};
		for (size_t i = 0; i < n.scope.n; i++)
			cf_strv_push(&sorted, n.scope.v[i]);
		cf_strv_sort_unique(&sorted);
		for (size_t i = 0; i < sorted.n && rc == CF_OK; i++)
			rc = add_dns(&n, sorted.v[i], "node FQDN", false, e);
		cf_strv_clear(&sorted);
		if (rc == CF_OK && p->san_rule == CF_SAN_XMPP)
			rc = add_setting(&n, cluster, "presence-domains", NULL, false, e);
		if (rc == CF_OK && p->san_rule == CF_SAN_XMPP_S2S) {
			/* with federation wildcards each domain D is written as *.D; aliases stay */
			const char *prefix = setting_on(cluster, "xmpp-federation-wildcards") ? "*." : NULL;
			rc = add_setting(&n, cluster, "presence-domains", prefix, true, e);
			if (rc == CF_OK)
				rc = add_setting(&n, cluster, "email-domains", prefix, true, e);
			if (rc == CF_OK)
				rc = add_setting(&n, cluster, "chat-aliases", NULL, false, e);
		}
		break;
	}
	}
	if (rc == CF_OK && n.cn == NULL)
		rc = cf_err_set(e, CF_E_INTERNAL, "names", "out of memory");
	if (rc != CF_OK) {
		cf_names_free(&n);
		return rc;
	}
	*out = n;
	return CF_OK;
}
