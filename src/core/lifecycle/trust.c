/* Trust stores: SPEC §3.5. */
#include "core/lifecycle/trust.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/revocation/revcheck.h"
#include "core/revocation/revocation.h"
#include "crypto/crl.h"
#include "util/clock.h"
#include "util/grow.h"
#include "util/keyed.h"

cf_code cf_trust_place(cf_store *st, const cf_node *node, const char *store, const cf_cert *cert, const cf_facts *facts,
		       const char *source, const char *description, bool *added, int64_t *id, cf_err *e)
{
	*added = false;
	int64_t have = 0;
	cf_code found = cf_store_trust_find(st, node->id, store, facts->sha256, &have, e);
	if (found != CF_OK || have != 0)
		return found;
	size_t der_len = 0;
	const uint8_t *der = cf_cert_der(cert, &der_len);
	cf_certrow row = {.node_id = node->id,
			  .kind = CF_TRUST,
			  .name = (char *)store,
			  .der = (uint8_t *)der,
			  .der_len = der_len,
			  .facts = *facts,
			  .distribution = (char *)"single-server",
			  .source = (char *)source,
			  .description = (char *)description,
			  .warnings = (char *)"[]"};
	cf_code rc = cf_store_cert_insert(st, &row, e);
	if (rc == CF_OK) {
		*added = true;
		if (id != NULL)
			*id = row.id;
	}
	return rc;
}

/* The FQDNs of every Unified CM node in the store (lower case), to tell a ucm node's own
 * certificate (CN = its FQDN) among thousands being imported. */
static cf_code ucm_fqdns(cf_store *st, cf_strv *out, cf_err *e)
{
	cf_node *nodes = NULL;
	size_t n = 0;
	cf_code rc = cf_store_nodes(st, 0, &nodes, &n, e);
	for (size_t i = 0; rc == CF_OK && i < n; i++)
		if (strcmp(nodes[i].product, "ucm") == 0)
			cf_strv_push(out, nodes[i].fqdn);
	cf_nodes_free(nodes, n);
	return rc;
}

static bool is_ucm_cert(const cf_strv *ucm, const cf_facts *f)
{
	for (size_t i = 0; i < ucm->n; i++)
		if (strcasecmp(ucm->v[i], f->cn) == 0)
			return true;
	return false;
}

/* What the validation engine and the doctor would say of a certificate being trusted, with
 * the same rule ids: an import proceeds, but the operator hears it now. */
static void trust_warnings(cf_warnings *w, const char *store, const cf_facts *f)
{
	int64_t now = cf_clock_now();
	if (f->not_after < now)
		cf_warn(w, "expired", "\"%s\" in %s has already expired", f->subject, store);
	else if (f->not_before > now)
		cf_warn(w, "not-yet-valid", "\"%s\" in %s is not valid yet", f->subject, store);
	if (strcmp(f->sig_hash, "sha1") == 0 && !f->self_signed)
		cf_warn(w, "sha1", "\"%s\" in %s is signed with SHA-1", f->subject, store);
	if (f->key_type == CF_KEY_RSA && f->key_bits < 2048)
		cf_warn(w, "weak-key", "\"%s\" in %s has a %d-bit RSA key", f->subject, store, f->key_bits);
}

/* The CA:TRUE rule, with the peer self-signed exception of some stores. */
static cf_code check_trust_cert(const char *name, size_t index, size_t total, const cf_truststore *ts,
				const cf_facts *f, cf_err *e)
{
	if (f->ca)
		return CF_OK;
	if (ts->peer_self_signed && f->self_signed)
		return CF_OK;
	char which[64] = "";
	if (total > 1)
		snprintf(which, sizeof(which), "certificate %zu: ", index + 1);
	if (ts->peer_self_signed)
		return cf_err_set(e, CF_E_INPUT, name,
				  "%s\"%s\" is neither a CA certificate (basicConstraints CA:TRUE) nor a peer's "
				  "self-signed certificate [ca-no-basic-constraints]",
				  which, f->subject);
	return cf_err_set(e, CF_E_INPUT, name,
			  "%s\"%s\" is not a CA certificate (basicConstraints CA:TRUE is required in %s) "
			  "[ca-no-basic-constraints]",
			  which, f->subject, ts->name);
}

/* The revocation checks of a trust upload (SPEC §6.1: at every upload), as an identity upload's:
 * each certificate of the bundle that is not self-signed and whose issuer is in the bundle or
 * already in the node's store. OCSP, a network call, is asked before the change's transaction
 * (trust_rev_ask); the stored CRLs are read, and every verdict decided and recorded, inside it
 * (trust_rev_decide). */
typedef struct trust_rev {
	cf_revocation_settings rs;
	cf_cert **stored; /* the store's certificates on the node */
	size_t n_stored;
	cf_cert **cand;		       /* the bundle, then the stored ones: where issuers are looked for */
	long *issuer;		       /* issuer[i]: certs[i]'s issuer in cand, -1 when it is not checked */
	cf_revocation_ocsp_verdict *v; /* v[i]: what OCSP said of certs[i], when asked */
} trust_rev;

static void trust_rev_free(trust_rev *tr)
{
	cf_certs_free(tr->stored, tr->n_stored);
	free(tr->cand);
	free(tr->issuer);
	free(tr->v);
}

/* The issuer-name hashes of the stored CRLs. */
static cf_code crl_issuer_hashes(cf_store *st, cf_strv *out, cf_err *e)
{
	cf_crlrow *rows = NULL;
	size_t n = 0;
	cf_code rc = cf_store_crls(st, NULL, 0, &rows, &n, e);
	for (size_t i = 0; rc == CF_OK && i < n; i++)
		if (cf_strv_push_unique(out, rows[i].issuer_hash) != 0)
			rc = cf_err_set(e, CF_E_INTERNAL, "trust", "out of memory");
	cf_crlrows_free(rows, n);
	return rc;
}

static cf_code trust_rev_ask(cf_store *st, const cf_transport *net, const char *node, const cf_truststore *ts,
			     cf_cert **certs, const cf_facts *facts, size_t n, trust_rev *tr, cf_err *e)
{
	cf_node nd = {0};
	cf_cert **responders = NULL;
	size_t n_responders = 0;
	if ((tr->issuer = malloc((n + 1) * sizeof(*tr->issuer))) == NULL ||
	    (tr->v = calloc(n + 1, sizeof(*tr->v))) == NULL)
		return cf_err_set(e, CF_E_INTERNAL, "trust", "out of memory");
	for (size_t i = 0; i < n; i++)
		tr->issuer[i] = -1;
	cf_code rc = cf_revocation_settings_get(st, &tr->rs, e);
	if (rc != CF_OK || !tr->rs.check || ts == NULL || cf_store_node_get(st, node, &nd, NULL) != CF_OK)
		return rc; /* an unknown node or store is named by the change's own checks */
	const cf_product *prod = cf_product_find(nd.product);
	for (size_t i = 0; i < n && prod != NULL && cf_product_has_store(prod, ts->name); i++)
		if (check_trust_cert("", i, n, ts, &facts[i], NULL) != CF_OK)
			prod = NULL; /* refused inside the transaction anyway: nobody is asked */
	if (prod == NULL || !cf_product_has_store(prod, ts->name)) {
		cf_node_free(&nd);
		return CF_OK;
	}
	cf_strv crl_issuers = {0}; /* without OCSP only certificates with a CRL of their issuer are checked */
	cf_issuers *ix = NULL;
	if (!tr->rs.ocsp)
		rc = crl_issuer_hashes(st, &crl_issuers, e);
	bool needed = tr->rs.ocsp || crl_issuers.n > 0;
	if (rc == CF_OK && needed)
		rc = cf_store_trust_certs(st, nd.id, ts->name, &tr->stored, &tr->n_stored, e);
	if (rc == CF_OK && tr->rs.ocsp)
		rc = cf_store_trust_certs(st, nd.id, "tomcat-trust", &responders, &n_responders, e);
	if (rc == CF_OK && needed) { /* issuers are looked for in the bundle, then the store */
		if ((tr->cand = calloc(n + tr->n_stored + 1, sizeof(*tr->cand))) != NULL) {
			memcpy(tr->cand, certs, n * sizeof(*tr->cand));
			if (tr->n_stored > 0)
				memcpy(tr->cand + n, tr->stored, tr->n_stored * sizeof(*tr->cand));
			ix = cf_issuers_new(tr->cand, n + tr->n_stored);
		}
		if (ix == NULL)
			rc = cf_err_set(e, CF_E_INTERNAL, "trust", "out of memory");
	}
	for (size_t i = 0; rc == CF_OK && ix != NULL && i < n; i++) {
		char hash[65];
		cf_crl_cert_issuer_hash(certs[i], hash);
		if (facts[i].self_signed || (!tr->rs.ocsp && !cf_strv_contains(&crl_issuers, hash)))
			continue;
		tr->issuer[i] = cf_issuers_find(ix, certs[i]);
		if (tr->issuer[i] >= 0 && tr->rs.ocsp)
			cf_revocation_ask(net, &tr->rs, certs[i], tr->cand[tr->issuer[i]], responders, n_responders,
					  cf_clock_now(), &tr->v[i]);
	}
	cf_issuers_free(ix);
	cf_strv_clear(&crl_issuers);
	cf_certs_free(responders, n_responders);
	cf_node_free(&nd);
	return rc;
}

/* Inside the transaction: the stored CRLs' word and OCSP's (asked before) on each checked
 * certificate, decided as for an identity upload; OCSP's answers are kept. */
static cf_code trust_rev_decide(cf_store *st, const trust_rev *tr, const char *name, cf_cert **certs,
				const cf_facts *facts, size_t n, cf_warnings *w, cf_err *e)
{
	cf_code rc = CF_OK;
	for (size_t i = 0; rc == CF_OK && i < n; i++) {
		if (tr->issuer[i] < 0)
			continue;
		char what[600];
		cf_revstatus crl = CF_REV_UNKNOWN;
		if (n > 1)
			snprintf(what, sizeof(what), "%.500s (certificate %zu of %zu)", name, i + 1, n);
		else
			snprintf(what, sizeof(what), "%.500s", name);
		rc = cf_revocation_upload_crl(st, what, certs[i], tr->cand[tr->issuer[i]], &crl, e);
		if (rc == CF_OK && tr->rs.ocsp)
			rc = cf_revocation_upload_ocsp(&tr->rs, &tr->v[i], crl, what, w, e);
		if (rc == CF_OK && tr->rs.ocsp)
			rc = cf_revcheck_record(st, facts[i].sha256, &tr->v[i], cf_clock_now(), e);
	}
	return rc;
}

/* ---- a bundle into the stores of its targets, in batches --------------------------------------- */

#define NONE ((size_t)-1)
/* Rows given to the store at once: bounds the copies of facts held (a row is ≈ 450 bytes). */
#define TRUST_BATCH 1024

/* prev[i]: the certificate before i in the bundle with the same SHA-256 (by_cn false) or the same
 * non-empty CN, NONE when there is none. Sorted, neighbours compared: bundles hold 100,000. */
static cf_code previous_same(const cf_facts *facts, size_t n, bool by_cn, size_t *prev, cf_err *e)
{
	cf_keyed *v = malloc((n + 1) * sizeof(*v));
	if (v == NULL)
		return cf_err_set(e, CF_E_INTERNAL, "trust", "out of memory");
	for (size_t i = 0; i < n; i++)
		v[i] = (cf_keyed){by_cn ? facts[i].cn : facts[i].sha256, i};
	cf_keyed_sort(v, n);
	for (size_t i = 0; i < n; i++)
		prev[v[i].at] =
			i > 0 && v[i].key[0] != '\0' && strcmp(v[i - 1].key, v[i].key) == 0 ? v[i - 1].at : NONE;
	free(v);
	return CF_OK;
}

/* What the bundle says of itself, whatever the target. */
typedef struct bundle {
	const char *name, *store, *description;
	cf_cert **certs;
	const cf_facts *facts;
	size_t n;
	size_t *prev_sha, *prev_cn;
	const cf_strv *ucm;
} bundle;

/* What one target's store makes of the bundle, decided before anything is written, as placing the
 * certificates one by one would: a certificate is added unless the store holds its SHA-256 or an
 * earlier one of the bundle had it; a CN is held twice when the store had it under another
 * SHA-256 or an earlier certificate added now has it. */
typedef struct target_plan {
	unsigned char *known; /* cf_store_trust_known's flags */
	bool *add, *same_cn;
	cf_certrow *rows; /* a batch being inserted */
} target_plan;

static void target_plan_free(target_plan *tp)
{
	free(tp->known);
	free(tp->add);
	free(tp->same_cn);
	free(tp->rows);
}

/* Adds the bundle to one target's store; duplicates counts those the origin node held. */
static cf_code place_bundle(cf_store *st, const bundle *b, const cf_node *target, bool origin, target_plan *tp,
			    size_t *duplicates, size_t *added, cf_outcome *out, cf_err *e)
{
	const cf_facts *facts = b->facts;
	size_t n = b->n;
	cf_code rc = cf_store_trust_known(st, target->id, b->store, facts, n, tp->known, e);
	if (rc != CF_OK)
		return rc;
	for (size_t i = 0; i < n; i++) {
		size_t p = b->prev_cn[i];
		tp->add[i] = (tp->known[i] & CF_TRUST_HELD) == 0 && b->prev_sha[i] == NONE;
		/* carried along the CN's certificates: one added before, or the store's copy under another
		 * SHA-256 (a later certificate with that very SHA-256 is held, so never added) */
		tp->same_cn[i] =
			(tp->known[i] & CF_TRUST_OTHER_CN) != 0 || (p != NONE && (tp->add[p] || tp->same_cn[p]));
		if (!tp->add[i] && origin)
			(*duplicates)++;
	}
	for (size_t at = 0; rc == CF_OK && at < n;) {
		size_t k = 0, from = at;
		for (; at < n && k < TRUST_BATCH; at++) {
			if (!tp->add[at])
				continue;
			size_t der_len = 0;
			const uint8_t *der = cf_cert_der(b->certs[at], &der_len);
			tp->rows[k++] = (cf_certrow){.node_id = target->id,
						     .kind = CF_TRUST,
						     .name = (char *)b->store,
						     .der = (uint8_t *)der,
						     .der_len = der_len,
						     .facts = facts[at],
						     .distribution = (char *)"single-server",
						     .source = (char *)"upload",
						     .description = (char *)(b->description ? b->description : ""),
						     .warnings = (char *)"[]"};
		}
		if ((rc = cf_store_cert_insert_many(st, tp->rows, k, e)) != CF_OK)
			break;
		for (size_t i = from, r = 0; i < at; i++) {
			if (!tp->add[i])
				continue;
			cf_outcome_add_id(out, tp->rows[r++].id);
			(*added)++;
			if (origin)
				trust_warnings(&out->warnings, b->store, &facts[i]);
			if (tp->same_cn[i] && origin)
				cf_warn(&out->warnings, "duplicate-cn",
					"%s already holds another certificate with CN \"%s\"; peers that pick a CA by "
					"name may use the wrong one",
					b->store, facts[i].cn);
			cf_plan_trust(&out->plan, b->store, target, is_ucm_cert(b->ucm, &facts[i]));
		}
	}
	return rc;
}

static cf_code trust_add_once(cf_store *st, const cf_transport *net, const char *node, const char *store,
			      const char *name, const uint8_t *buf, size_t len, const char *description,
			      cf_outcome *out, cf_err *e)
{
	cf_cert **certs = NULL;
	size_t n = 0;
	cf_facts *facts = NULL;
	cf_nodectx ctx = {0};
	const cf_truststore *ts = cf_truststore_find(store);
	size_t duplicates = 0;
	cf_strv ucm = {0};
	trust_rev rev = {0};
	target_plan tp = {0};
	bundle b = {.name = name, .store = store, .description = description, .ucm = &ucm};

	cf_code rc = cf_cert_parse_bundle(name, buf, len, &certs, &n, e);
	if (rc != CF_OK)
		return rc;
	b.certs = certs;
	b.n = n;
	if ((facts = calloc(n, sizeof(*facts))) == NULL || (b.prev_sha = malloc(n * sizeof(size_t))) == NULL ||
	    (b.prev_cn = malloc(n * sizeof(size_t))) == NULL || (tp.known = malloc(n)) == NULL ||
	    (tp.add = malloc(n * sizeof(bool))) == NULL || (tp.same_cn = malloc(n * sizeof(bool))) == NULL ||
	    (tp.rows = malloc((n < TRUST_BATCH ? n : TRUST_BATCH) * sizeof(*tp.rows))) == NULL) {
		rc = cf_err_set(e, CF_E_INTERNAL, name, "out of memory");
		goto out;
	}
	b.facts = facts;
	if ((rc = cf_certs_facts(certs, n, facts, e)) != CF_OK ||
	    (rc = previous_same(facts, n, false, b.prev_sha, e)) != CF_OK ||
	    (rc = previous_same(facts, n, true, b.prev_cn, e)) != CF_OK)
		goto out;
	if ((rc = trust_rev_ask(st, net, node, ts, certs, facts, n, &rev, e)) != CF_OK)
		goto out;
	if ((rc = cf_store_begin(st, e)) != CF_OK || (rc = cf_nodectx_load(st, node, &ctx, e)) != CF_OK)
		goto out;
	if (ts == NULL || !cf_product_has_store(ctx.product, store)) {
		rc = cf_err_set(e, CF_E_NOTFOUND, store, "%s (%s) has no such trust store; it has: %s", ctx.node.fqdn,
				ctx.node.product, ctx.product->trust_stores);
		goto out;
	}
	for (size_t i = 0; i < n && rc == CF_OK; i++)
		rc = check_trust_cert(name, i, n, ts, &facts[i], e);
	if (rc == CF_OK)
		rc = trust_rev_decide(st, &rev, name, certs, facts, n, &out->warnings, e);
	cf_plan_origin(&out->plan, &ctx.node);
	if (rc == CF_OK)
		rc = ucm_fqdns(st, &ucm, e);
	if (rc != CF_OK)
		goto out;

	/* from a publisher: every node of the cluster that has the store */
	for (size_t t = 0; t < ctx.n_nodes && rc == CF_OK; t++) {
		const cf_node *target = &ctx.nodes[t];
		const cf_product *prod = cf_product_find(target->product);
		if (target->id != ctx.node.id &&
		    (!ctx.node.publisher || prod == NULL || !cf_product_has_store(prod, store)))
			continue;
		size_t added_here = 0;
		rc = place_bundle(st, &b, target, target->id == ctx.node.id, &tp, &duplicates, &added_here, out, e);
		int64_t held = 0;
		if (rc == CF_OK && ts->limit > 0 &&
		    (rc = cf_store_trust_count(st, target->id, store, &held, e)) == CF_OK && held > ts->limit) {
			rc = cf_err_set(e, CF_E_INPUT, name,
					"%s on %s would hold %lld certificates; the limit is %d [trust-store-full]",
					store, target->fqdn, (long long)held, ts->limit);
			break;
		}
		if (rc != CF_OK)
			break;
		if (added_here > 0)
			cf_strv_push_unique(&out->nodes, target->fqdn);
	}
	if (rc != CF_OK)
		goto out;
	if (duplicates > 0)
		cf_strv_pushf(&out->notes, "%zu certificate%s already in %s on %s, ignored", duplicates,
			      duplicates == 1 ? " was" : "s were", store, ctx.node.fqdn);
	cf_plan_finish(&out->plan);
	rc = cf_store_commit(st, e);
out:
	cf_store_rollback(st);
	cf_nodectx_free(&ctx);
	cf_strv_clear(&ucm);
	trust_rev_free(&rev);
	target_plan_free(&tp);
	free(b.prev_sha);
	free(b.prev_cn);
	for (size_t i = 0; facts && i < n; i++)
		cf_facts_free(&facts[i]);
	free(facts);
	cf_certs_free(certs, n);
	return rc;
}

cf_code cf_trust_add(cf_store *st, const cf_transport *net, const char *node, const char *store, const char *name,
		     const uint8_t *buf, size_t len, const char *description, cf_outcome *out, cf_err *e)
{
	cf_code rc;
	CF_STORE_WRITE_RESETTING(st, e, rc, trust_add_once(st, net, node, store, name, buf, len, description, out, e),
				 cf_outcome_free(out));
	return rc;
}

static cf_code trust_delete_once(cf_store *st, const char *node, const char *store, int64_t id, cf_outcome *out,
				 cf_err *e)
{
	cf_node n = {0};
	cf_certrow row = {0};
	char what[64];
	snprintf(what, sizeof(what), "certificate %lld", (long long)id);
	cf_code rc = cf_store_begin(st, e);
	if (rc == CF_OK)
		rc = cf_store_node_get(st, node, &n, e);
	if (rc == CF_OK)
		rc = cf_store_cert_get(st, id, false, &row, e);
	if (rc == CF_OK && (row.kind != CF_TRUST || row.node_id != n.id || strcmp(row.name, store) != 0))
		rc = cf_err_set(e, CF_E_NOTFOUND, what, "is not a trust certificate in %s on %s", store, n.fqdn);
	if (rc == CF_OK)
		rc = cf_store_cert_delete(st, id, e);
	if (rc == CF_OK) {
		cf_outcome_add_id(out, id);
		cf_strv_push(&out->nodes, n.fqdn);
		cf_plan_trust(&out->plan, store, &n, false);
		cf_plan_finish(&out->plan);
		rc = cf_store_commit(st, e);
	}
	cf_store_rollback(st);
	cf_certrow_free(&row);
	cf_node_free(&n);
	return rc;
}

cf_code cf_trust_delete(cf_store *st, const char *node, const char *store, int64_t id, cf_outcome *out, cf_err *e)
{
	cf_code rc;
	CF_STORE_WRITE_RESETTING(st, e, rc, trust_delete_once(st, node, store, id, out, e), cf_outcome_free(out));
	return rc;
}

struct prune_walk {
	cf_store *st;
	int64_t *ids;
	size_t n, cap;
	cf_strv nodes;
	cf_strv stores;
};

bool cf_trust_stale(cf_store *st, const cf_certrow *r, const char **purpose)
{
	const cf_facts *f = &r->facts;
	cf_node peer = {0};
	if (r->kind != CF_TRUST || !f->self_signed || strcmp(f->subject, f->issuer) != 0 || f->cn[0] == '\0')
		return false;
	if (cf_store_node_get(st, f->cn, &peer, NULL) != CF_OK)
		return false;
	int i = 0;
	const cf_purpose *p;
	bool stale = false;
	while (!stale && (p = cf_purpose_next(peer.product, &i)) != NULL) {
		cf_certrow id = {0};
		if (p->trust_store == NULL || strcmp(p->trust_store, r->name) != 0 ||
		    p->ecdsa != (f->key_type == CF_KEY_EC))
			continue;
		if (cf_store_identity_get(st, peer.id, p->name, false, &id, NULL) == CF_OK)
			stale = !id.facts.self_signed && strcmp(id.facts.sha256, f->sha256) != 0;
		cf_certrow_free(&id);
		if (stale && purpose != NULL)
			*purpose = p->name;
	}
	cf_node_free(&peer);
	return stale;
}

static int prune_visit(void *ctx, const cf_certrow *r)
{
	struct prune_walk *w = ctx;
	if (!cf_trust_stale(w->st, r, NULL))
		return 0;
	if (cf_grow(&w->ids, &w->cap, w->n, sizeof(*w->ids)) != 0)
		return CF_E_INTERNAL;
	w->ids[w->n++] = r->id;
	cf_strv_push(&w->nodes, r->node);
	cf_strv_push(&w->stores, r->name);
	return 0;
}

static cf_code trust_prune_once(cf_store *st, const char *node, cf_outcome *out, cf_err *e)
{
	struct prune_walk w = {.st = st};
	cf_certfilter filter = {.node = node, .kind = CF_TRUST};
	cf_node n = {0};
	cf_code rc = cf_store_begin(st, e);
	if (rc == CF_OK && node != NULL && (rc = cf_store_node_get(st, node, &n, e)) == CF_OK)
		cf_plan_origin(&out->plan, &n);
	if (rc == CF_OK)
		rc = cf_store_cert_each(st, &filter, prune_visit, &w, e);
	for (size_t i = 0; i < w.n && rc == CF_OK; i++) {
		cf_node target = {0};
		rc = cf_store_cert_delete(st, w.ids[i], e);
		if (rc == CF_OK)
			rc = cf_store_node_get(st, w.nodes.v[i], &target, e);
		if (rc == CF_OK) {
			cf_outcome_add_id(out, w.ids[i]);
			cf_strv_push_unique(&out->nodes, target.fqdn);
			cf_plan_trust(&out->plan, w.stores.v[i], &target, false);
		}
		cf_node_free(&target);
	}
	if (rc == CF_OK) {
		cf_plan_finish(&out->plan);
		rc = cf_store_commit(st, e);
	}
	cf_store_rollback(st);
	cf_node_free(&n);
	free(w.ids);
	cf_strv_clear(&w.nodes);
	cf_strv_clear(&w.stores);
	return rc;
}

cf_code cf_trust_prune(cf_store *st, const char *node, cf_outcome *out, cf_err *e)
{
	cf_code rc;
	CF_STORE_WRITE_RESETTING(st, e, rc, trust_prune_once(st, node, out, e), cf_outcome_free(out));
	return rc;
}
