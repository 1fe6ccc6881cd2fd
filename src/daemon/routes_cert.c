/* certfleetd's certificate routes: list (filtered, paginated), phones' LSCs, one certificate,
 * delete. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ca/ca.h"
#include "core/view/certjson.h"
#include "core/revocation/revocation.h"
#include "core/lifecycle/trust.h"
#include "crypto/x509.h"
#include "daemon/daemon.h"
#include "util/clock.h"

#define CERT_LIMIT_DEFAULT 50
#define CERT_LIMIT_MAX 1000

/* A page being written: the buffer, and what each row's revocation status is read from. */
typedef struct page {
	cf_buf b;
	cf_certjson_rev rev;
} page;

/* Appends a certificate object with its revocation status to the page (the fast JSON writer: a
 * page is served hundreds of times a second). */
static int add_row(void *ctx, const cf_certrow *r)
{
	page *p = ctx;
	if (p->b.p[p->b.len - 1] != '[')
		cf_buf_add(&p->b, ",", 1);
	cf_certjson_write_rev(&p->b, r, &p->rev);
	return 0;
}

/* The local CAs' own certificates after the stored ones (total of them): those of the page that
 * reach past them, and in *cas how many f selects, in one walk. False (e set) when the store
 * fails. */
static bool ca_rows(cf_req *q, const cf_certfilter *f, int64_t total, page *p, int64_t *cas, cf_err *e)
{
	cf_certfilter cf = *f;
	int64_t shown = f->offset < total ? total - f->offset : 0; /* certificate rows on this page */
	if (shown > f->limit)
		shown = f->limit;
	cf.offset = f->offset > total ? f->offset - total : 0;
	cf.limit = f->limit - shown;
	return cf_ca_cert_each(q->st, &cf, cf.limit > 0 ? add_row : NULL, p, cas, e) == CF_OK;
}

/* A page of the certificates f selects, with the query's node, begins_with, expiring, offset and
 * limit: {"items","total"}. */
static void list_page(cf_req *q, cf_certfilter f)
{
	int64_t days = -1, total = 0;
	cf_err e = {0};
	f.node = cf_req_param(q, "node");
	f.begins_with = cf_req_param(q, "begins_with");
	f.shown_only = true;
	if (!cf_req_session(q) || !cf_req_number(q, "limit", 1, CERT_LIMIT_MAX, CERT_LIMIT_DEFAULT, &f.limit) ||
	    !cf_req_number(q, "offset", 0, INT64_MAX / 2, 0, &f.offset) ||
	    !cf_req_number(q, "expiring", 0, 36500, -1, &days))
		return;
	if (days >= 0)
		f.expiring_before = cf_clock_now() + days * 86400;
	if (f.node != NULL) {
		cf_node n = {0};
		if (cf_store_node_get(q->st, f.node, &n, &e) != CF_OK) {
			cf_reply_err(q, &e);
			return;
		}
		cf_node_free(&n);
	}
	page p = {.rev = {.st = q->st, .ocsp = cf_store_revcheck_any(q->st), .now = cf_clock_now()}};
	cf_buf_adds(&p.b, "{\"items\":[");
	int64_t cas = 0;
	if (cf_store_cert_count(q->st, &f, &total, &e) != CF_OK || (p.rev.crls = cf_req_crls(q, &e)) == NULL ||
	    (f.offset < total && cf_store_cert_each(q->st, &f, add_row, &p, &e) != CF_OK) ||
	    !ca_rows(q, &f, total, &p, &cas, &e)) {
		cf_reply_err(q, &e);
	} else {
		total += cas;
		cf_buf_addf(&p.b, "],\"total\":%lld}\n", (long long)total);
		if (p.b.oom)
			cf_reply_error(q, 500, "internal error", "out of memory");
		else
			cf_reply_bytes(q, 200, "application/json", p.b.p, p.b.len);
	}
	cf_buf_free(&p.b);
}

void cf_route_certs(cf_req *q)
{
	list_page(q, (cf_certfilter){.purpose = cf_req_param(q, "purpose"), .store = cf_req_param(q, "store")});
}

void cf_route_endpoints(cf_req *q)
{
	list_page(q, (cf_certfilter){.kind = CF_LSC});
}

void cf_route_cert_get(cf_req *q)
{
	cf_certrow r = {0};
	cf_err e = {0};
	int64_t id = 0;
	if (!cf_req_session(q) || !cf_req_id(q, &id))
		return;
	if (cf_store_cert_get(q->st, id, false, &r, &e) != CF_OK) {
		cf_reply_err(q, &e);
		return;
	}
	json_t *o = cf_json_cert(&r);
	cf_cert *c = cf_cert_from_der(r.der, r.der_len);
	char *pem = c != NULL ? cf_cert_pem(c) : NULL;
	if (o != NULL && pem != NULL)
		json_object_set_new(o, "pem", json_string(pem));
	if (o != NULL && r.kind == CF_IDENTITY)
		json_object_set_new(o, "chain_pem", json_string(r.chain_pem != NULL ? r.chain_pem : ""));
	free(pem);
	cf_cert_free(c);
	cf_certrow_free(&r);
	cf_reply_json(q, 200, o);
}

/* DELETE /api/v1/certificates/{id} deletes trust certificates only: an identity is replaced, not
 * deleted, and a phone's LSC is deleted by device (DELETE /api/v1/endpoints/{device}?node=FQDN),
 * its refusal audited as such. */
void cf_route_cert_delete(cf_req *q)
{
	cf_certrow r = {0};
	cf_outcome out = {0};
	cf_err e = {0};
	cf_change c;
	int64_t id = 0;
	if (!cf_req_change(q, true) || !cf_req_id(q, &id))
		return;
	cf_change_begin(q, &c, "trust delete", "id %lld", (long long)id);
	cf_code rc = cf_store_cert_get(q->st, id, false, &r, &e);
	if (rc == CF_OK && r.kind == CF_LSC) {
		c.action = "endpoint delete";
		snprintf(c.object, sizeof(c.object), "LSC of %s on %s (id %lld)", r.name, r.node, (long long)id);
		rc = cf_err_set(&e, CF_E_STATE, "certificate",
				"id %lld is the LSC of %s on %s; delete it with DELETE /api/v1/endpoints/%s?node=%s",
				(long long)id, r.name, r.node, r.name, r.node);
	} else if (rc == CF_OK) {
		snprintf(c.object, sizeof(c.object), "id %lld in %s on %s", (long long)id, r.name, r.node);
		cf_store_audit_pending(q->st, c.actor.account, c.actor.client, c.action, c.object);
		rc = r.kind != CF_TRUST
			     ? cf_err_set(&e, CF_E_STATE, "certificate",
					  "id %lld is an identity; only trust certificates are deleted", (long long)id)
			     : cf_trust_delete(q->st, r.node, r.name, id, &out, &e);
	}
	if (cf_change_end(q, &c, rc, &e))
		cf_reply_json(q, 200, cf_change_json(q, &out));
	cf_outcome_free(&out);
	cf_certrow_free(&r);
}

/* POST /api/v1/trust/prune {"node"?}: certfleet trust prune — the self-signed copies of peers whose
 * identity is now CA-signed, on one node or all (the doctor's stale-selfsigned-trust fix). */
void cf_route_trust_prune(cf_req *q)
{
	cf_outcome out = {0};
	cf_err e = {0};
	cf_change c;
	bool bad = false;
	if (!cf_req_change(q, true) || cf_req_json(q) == NULL)
		return;
	const char *node = cf_req_str(q, "node", false, &bad);
	if (bad)
		return;
	cf_change_begin(q, &c, "trust prune", "%s", node ? node : "all nodes");
	if (cf_change_end(q, &c, cf_trust_prune(q->st, node, &out, &e), &e))
		cf_reply_json(q, 200, cf_change_json(q, &out));
	cf_outcome_free(&out);
}
