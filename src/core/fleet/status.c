#include "core/fleet/status.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/model/profile.h"

static int count_row(void *ctx, const cf_certrow *r)
{
	cf_node_status *s = ctx;
	if (r->kind == CF_TRUST) {
		s->trust_certs++;
		return 0;
	}
	s->identities++;
	if (r->facts.self_signed)
		s->self_signed++;
	else
		s->ca_signed++;
	if (s->soonest_not_after == 0 || r->facts.not_after < s->soonest_not_after) {
		s->soonest_not_after = r->facts.not_after;
		snprintf(s->soonest_purpose, sizeof(s->soonest_purpose), "%s", r->name);
	}
	return 0;
}

cf_code cf_status(cf_store *st, cf_node_status **out, size_t *n, cf_err *e)
{
	cf_node *nodes = NULL;
	size_t count = 0;
	cf_code rc = cf_store_nodes(st, 0, &nodes, &count, e);
	if (rc != CF_OK)
		return rc;
	cf_node_status *v = calloc(count ? count : 1, sizeof(*v));
	if (v == NULL) {
		cf_nodes_free(nodes, count);
		return cf_err_set(e, CF_E_INTERNAL, "status", "out of memory");
	}
	for (size_t i = 0; i < count && rc == CF_OK; i++) {
		v[i].node = nodes[i];
		memset(&nodes[i], 0, sizeof(nodes[i]));
		cf_certfilter f = {.node = v[i].node.fqdn};
		rc = cf_store_cert_each(st, &f, count_row, &v[i], e);
		int k = 0;
		const cf_purpose *p;
		while ((p = cf_purpose_next(v[i].node.product, &k)) != NULL) {
			cf_csrrow csr = {0};
			if (cf_store_csr_get(st, v[i].node.id, p->name, &csr, NULL) == CF_OK)
				v[i].pending_csrs++;
			cf_csrrow_free(&csr);
		}
	}
	cf_nodes_free(nodes, count);
	if (rc != CF_OK) {
		cf_status_free(v, count);
		return rc;
	}
	*out = v;
	*n = count;
	return CF_OK;
}

void cf_status_free(cf_node_status *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		cf_node_free(&v[i].node);
	free(v);
}
