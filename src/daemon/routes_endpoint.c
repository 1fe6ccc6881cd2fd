/* Phones' LSCs: POST /api/v1/endpoints {"node","pem"} imports a bundle onto the CAPF publisher,
 * DELETE /api/v1/endpoints/{name}?node=FQDN removes a device's LSC — the library calls of
 * `certfleet endpoint import|delete` (the list is GET /api/v1/endpoints, in routes_cert.c). */
#include <string.h>

#include "core/lifecycle/endpoint.h"
#include "daemon/daemon.h"

void cf_route_endpoint_import(cf_req *q)
{
	bool bad = false;
	cf_outcome out = {0};
	cf_lsc_counts counts = {0};
	cf_err e = {0};
	cf_change c;
	if (!cf_req_change(q, true) || cf_req_json(q) == NULL)
		return;
	const char *node = cf_req_str(q, "node", true, &bad), *pem = cf_req_text(q, "pem", true, &bad);
	if (bad)
		return;
	cf_change_begin(q, &c, "endpoint import", "LSCs on %s", node);
	cf_code rc = cf_lsc_import(q->st, node, "pem", (const uint8_t *)pem, strlen(pem), &counts, &out, &e);
	if (cf_change_end(q, &c, rc, &e)) {
		json_t *o = cf_change_json(q, &out);
		json_object_set_new(o, "added", json_integer((json_int_t)counts.added));
		json_object_set_new(o, "replaced", json_integer((json_int_t)counts.replaced));
		json_object_set_new(o, "unchanged", json_integer((json_int_t)counts.unchanged));
		cf_reply_json(q, 200, o);
	}
	cf_outcome_free(&out);
}

void cf_route_endpoint_delete(cf_req *q)
{
	cf_err e = {0};
	cf_change c;
	const char *node = cf_req_param(q, "node");
	if (!cf_req_change(q, true))
		return;
	if (node == NULL) {
		cf_reply_field(q, 400, "node", "node: the CAPF node's FQDN is required (?node=FQDN)");
		return;
	}
	cf_change_begin(q, &c, "endpoint delete", "LSC of %s on %s", q->arg, node);
	cf_code rc = cf_lsc_delete(q->st, node, q->arg, &e);
	if (cf_change_end(q, &c, rc, &e))
		cf_reply_json(q, 200, json_pack("{s:s, s:s, s:b}", "node", node, "endpoint", q->arg, "deleted", 1));
}
