/* Self-signed identities and CSRs; installing an identity on the nodes it serves. */
#include "core/lifecycle/identity.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/lifecycle/identity_int.h"
#include "core/model/names.h"
#include "core/lifecycle/trust.h"
#include "util/clock.h"

cf_code cf_identity_keyspec(const cf_purpose *p, const char *key, cf_keyspec *out, cf_warnings *w, cf_err *e)
{
	cf_keyspec ks = cf_purpose_default_key(p);
	if (key != NULL && cf_keyspec_parse(key, &ks, e) != CF_OK)
		return CF_E_INPUT;
	if (p->ecdsa != (ks.type == CF_KEY_EC))
		return cf_err_set(e, CF_E_INPUT, "key", "%s needs an %s key, not %s", p->name,
				  p->ecdsa ? "EC (ec:prime256v1, ec:secp384r1, ec:secp521r1)" : "RSA (rsa:2048 ...)",
				  key ? key : "the default");
	if (ks.type == CF_KEY_RSA && ks.bits >= 8192 && w != NULL)
		cf_warn(w, "large-key-8192", "an 8192-bit RSA key is slow and some peers refuse it");
	*out = ks;
	return CF_OK;
}

cf_reqspec cf_identity_reqspec(const cf_nodectx *ctx, const cf_purpose *p, const cf_names *names, cf_keytype key,
			       const char *hash)
{
	const cf_cluster *cl = &ctx->cluster;
	cf_reqspec spec = {
		.dn = {.c = cf_cluster_get(cl, "dn.C"),
		       .st = cf_cluster_get(cl, "dn.ST"),
		       .l = cf_cluster_get(cl, "dn.L"),
		       .o = cf_cluster_get(cl, "dn.O"),
		       .ou = cf_cluster_get(cl, "dn.OU"),
		       .cn = names->cn},
		.san = &names->san,
		.ku = cf_purpose_ku(p, key),
		.eku = p->eku,
		.ca = p->ca,
		.hash = hash,
	};
	return spec;
}

static const cf_node *find_node(const cf_nodectx *ctx, const char *fqdn)
{
	for (size_t i = 0; i < ctx->n_nodes; i++)
		if (strcasecmp(ctx->nodes[i].fqdn, fqdn) == 0)
			return &ctx->nodes[i];
	return NULL;
}

static bool ha_on(const cf_nodectx *ctx)
{
	const char *v = cf_cluster_get(&ctx->cluster, "presence-ha");
	return v != NULL && strcmp(v, "on") == 0;
}

/* Replaces the self-signed trust copies `old` with `cert` in the purpose's store on every node
 * of the cluster that has the store. */
static cf_code place_self_signed_copies(cf_store *st, const cf_nodectx *ctx, const cf_purpose *p, const cf_strv *old,
					const cf_cert *cert, const cf_facts *f, cf_outcome *out, cf_err *e)
{
	cf_code rc = CF_OK;
	for (size_t i = 0; i < ctx->n_nodes && rc == CF_OK; i++) {
		const cf_node *n = &ctx->nodes[i];
		const cf_product *prod = cf_product_find(n->product);
		if (prod == NULL || !cf_product_has_store(prod, p->trust_store))
			continue;
		for (size_t k = 0; k < old->n && rc == CF_OK; k++) {
			int64_t id = 0;
			rc = cf_store_trust_find(st, n->id, p->trust_store, old->v[k], &id, e);
			if (rc == CF_OK && id != 0)
				rc = cf_store_cert_delete(st, id, e);
		}
		bool added = false;
		if (rc == CF_OK)
			rc = cf_trust_place(st, n, p->trust_store, cert, f, "self-signed", "", &added, NULL, e);
		if (rc == CF_OK && added)
			cf_plan_trust(&out->plan, p->trust_store, n, strcmp(ctx->node.product, "ucm") == 0);
	}
	return rc;
}

cf_code cf_identity_install(cf_store *st, const cf_nodectx *ctx, const cf_purpose *p, const cf_strv *scope,
			    const cf_identity_new *id, cf_outcome *out, cf_err *e)
{
	cf_facts f = {0};
	cf_strv old_self = {0};
	size_t der_len = 0;
	const uint8_t *der = cf_cert_der(id->cert, &der_len);
	cf_code rc = cf_cert_facts(id->cert, &f, e);

	cf_plan_origin(&out->plan, &ctx->node);
	for (size_t i = 0; i < scope->n && rc == CF_OK; i++) {
		const cf_node *n = find_node(ctx, scope->v[i]);
		if (n == NULL) {
			rc = cf_err_set(e, CF_E_INTERNAL, scope->v[i], "node vanished from the cluster");
			break;
		}
		cf_certrow old = {0};
		cf_err le = {0};
		cf_code got = cf_store_identity_get(st, n->id, p->name, false, &old, &le);
		if (got == CF_OK) {
			if (old.facts.self_signed && f.self_signed)
				cf_strv_push_unique(&old_self, old.facts.sha256);
			cf_certrow_free(&old);
		} else if (got != CF_E_NOTFOUND) { /* the store failed: not "no identity yet" */
			rc = got;
			if (e != NULL)
				*e = le;
			break;
		}
		if ((rc = cf_store_identity_delete(st, n->id, p->name, e)) != CF_OK)
			break;
		cf_certrow row = {
			.node_id = n->id,
			.kind = CF_IDENTITY,
			.name = (char *)p->name,
			.der = (uint8_t *)der,
			.der_len = der_len,
			.facts = f,
			.distribution = (char *)(id->multi_server ? "multi-server" : "single-server"),
			.source = (char *)id->source,
			.description = (char *)(id->description ? id->description : ""),
			.chain_pem = (char *)(id->chain_pem ? id->chain_pem : ""),
			.key_pem = (char *)id->key_pem,
			.warnings = (char *)(id->warnings_json ? id->warnings_json : "[]"),
		};
		snprintf(row.anchor_sha256, sizeof(row.anchor_sha256), "%s",
			 f.self_signed	     ? f.sha256
			 : id->anchor_sha256 ? id->anchor_sha256
					     : "");
		if ((rc = cf_store_cert_insert(st, &row, e)) != CF_OK)
			break;
		cf_outcome_add_id(out, row.id);
		cf_strv_push_unique(&out->nodes, n->fqdn);
		cf_plan_identity(&out->plan, p, n, ctx->nodes, ctx->n_nodes, ha_on(ctx));
	}
	if (rc == CF_OK && f.self_signed && p->trust_store != NULL)
		rc = place_self_signed_copies(st, ctx, p, &old_self, id->cert, &f, out, e);
	cf_strv_clear(&old_self);
	cf_facts_free(&f);
	return rc;
}

/* Inside a transaction: a new self-signed identity of (ctx's node, p). */
static cf_code self_signed_in_tx(cf_store *st, const cf_nodectx *ctx, const cf_purpose *p, const cf_issue_opts *opts,
				 cf_outcome *out, cf_err *e)
{
	cf_keyspec ks;
	cf_names names = {0};
	cf_key *key = NULL;
	cf_cert *cert = NULL;
	char *key_pem = NULL;
	int days = opts->days > 0 ? opts->days : p->default_days;

	cf_code rc = cf_identity_keyspec(p, opts->key, &ks, &out->warnings, e);
	if (rc == CF_OK && opts->hash != NULL)
		rc = cf_hash_check(opts->hash, e);
	if (rc == CF_OK && opts->multi_server)
		rc = cf_identity_check_multi(ctx, p, e);
	if (rc == CF_OK)
		rc = cf_names_compute(&ctx->cluster, ctx->nodes, ctx->n_nodes, &ctx->node, p, opts->multi_server,
				      &names, e);
	if (rc == CF_OK)
		rc = cf_key_generate(&ks, &key, e);
	if (rc == CF_OK) {
		cf_reqspec spec = cf_identity_reqspec(ctx, p, &names, ks.type, opts->hash);
		rc = cf_cert_self_signed(&spec, key, cf_clock_now(), days, &cert, e);
	}
	if (rc == CF_OK && (key_pem = cf_key_pem(key)) == NULL)
		rc = cf_err_set(e, CF_E_INTERNAL, "key", "cannot encode the key");
	if (rc == CF_OK) {
		cf_identity_new id = {
			.cert = cert, .key_pem = key_pem, .source = "self-signed", .multi_server = opts->multi_server};
		rc = cf_identity_install(st, ctx, p, &names.scope, &id, out, e);
	}
	cf_secret_free(key_pem);
	cf_cert_free(cert);
	cf_key_free(key);
	cf_names_free(&names);
	return rc;
}

cf_code cf_identity_check_multi(const cf_nodectx *ctx, const cf_purpose *p, cf_err *e)
{
	if (p->scope == NULL)
		return cf_err_set(e, CF_E_INPUT, p->name, "has no multi-server distribution");
	if (!ctx->node.publisher) {
		const cf_node *pub = cf_nodectx_publisher(ctx);
		return cf_err_set(e, CF_E_STATE, ctx->node.fqdn,
				  "multi-server certificates are made on the publisher (%s), not on a subscriber",
				  pub ? pub->fqdn : "none");
	}
	return CF_OK;
}

/* Self-signed over CA-signed (SPEC §3.1, §3.4): refused without force; forced over a multi-server
 * identity, the replacement is multi-server (made on the publisher). *o is opts as it applies. */
static cf_code over_ca_signed(cf_store *st, const cf_nodectx *ctx, const cf_purpose *p, const cf_issue_opts *opts,
			      cf_issue_opts *o, cf_err *e)
{
	cf_certrow cur = {0};
	*o = *opts;
	cf_code rc = cf_store_identity_get(st, ctx->node.id, p->name, false, &cur, e);
	if (rc == CF_E_NOTFOUND)
		return CF_OK;
	if (rc != CF_OK)
		return rc;
	bool multi = strcmp(cur.distribution, "multi-server") == 0;
	if (cur.facts.self_signed) {
		rc = CF_OK;
	} else if (!opts->force) {
		rc = cf_err_set(e, CF_E_STATE, p->name,
				"%s on %s is CA-signed (issued by \"%s\"); a self-signed one breaks every peer that "
				"trusts it through that CA%s; force it to replace it anyway",
				p->name, ctx->node.fqdn, cur.facts.issuer,
				multi ? ", on every node of its multi-server set" : "");
		cf_err_reason(e, CF_REASON_NEEDS_FORCE);
	} else if (multi && !ctx->node.publisher) {
		const cf_node *pub = cf_nodectx_publisher(ctx);
		rc = cf_err_set(
			e, CF_E_STATE, ctx->node.fqdn,
			"%s is one multi-server certificate for every node in scope; replace it on the publisher "
			"(%s), never on one node alone",
			p->name, pub ? pub->fqdn : "none");
	} else {
		o->multi_server = o->multi_server || multi;
	}
	cf_certrow_free(&cur);
	return rc;
}

static cf_code identity_self_signed_once(cf_store *st, const char *node, const char *purpose, const cf_issue_opts *opts,
					 cf_outcome *out, cf_err *e)
{
	cf_nodectx ctx = {0};
	const cf_purpose *p = NULL;
	cf_issue_opts o;
	cf_code rc = cf_store_begin(st, e);
	if (rc == CF_OK)
		rc = cf_nodectx_load(st, node, &ctx, e);
	if (rc == CF_OK)
		rc = cf_nodectx_purpose(&ctx, purpose, &p, e);
	if (rc == CF_OK)
		rc = over_ca_signed(st, &ctx, p, opts, &o, e);
	if (rc == CF_OK)
		rc = self_signed_in_tx(st, &ctx, p, &o, out, e);
	if (rc == CF_OK) {
		cf_plan_finish(&out->plan);
		rc = cf_store_commit(st, e);
	}
	cf_store_rollback(st);
	cf_nodectx_free(&ctx);
	return rc;
}

cf_code cf_identity_self_signed(cf_store *st, const char *node, const char *purpose, const cf_issue_opts *opts,
				cf_outcome *out, cf_err *e)
{
	cf_code rc;
	CF_STORE_WRITE_RESETTING(st, e, rc, identity_self_signed_once(st, node, purpose, opts, out, e),
				 cf_outcome_free(out));
	return rc;
}

cf_code cf_identity_defaults(cf_store *st, const char *node, cf_outcome *out, cf_err *e)
{
	cf_nodectx ctx = {0};
	cf_code rc = cf_nodectx_load(st, node, &ctx, e);
	int i = 0;
	const cf_purpose *p;
	cf_issue_opts opts = {0};
	while (rc == CF_OK && (p = cf_purpose_next(ctx.node.product, &i)) != NULL) {
		if (p->publisher_only && !ctx.node.publisher)
			continue;
		rc = self_signed_in_tx(st, &ctx, p, &opts, out, e);
	}
	cf_plan_finish(&out->plan);
	cf_nodectx_free(&ctx);
	return rc;
}

/* ---- CSRs ------------------------------------------------------------------------------------ */

void cf_identity_csr_view_free(cf_identity_csr_view *v)
{
	if (v == NULL)
		return;
	free(v->node);
	free(v->purpose);
	cf_facts_free(&v->facts);
	free(v->pem);
	free(v->hash);
	free(v->distribution);
	memset(v, 0, sizeof(*v));
}

static cf_code view_from_der(const char *node, const char *purpose, const uint8_t *der, size_t len, const char *hash,
			     const char *distribution, int64_t created, cf_identity_csr_view *out, cf_err *e)
{
	cf_csr *csr = NULL;
	cf_identity_csr_view v = {0};
	cf_code rc = cf_csr_parse("stored CSR", der, len, &csr, e);
	if (rc == CF_OK)
		rc = cf_csr_facts(csr, &v.facts, e);
	if (rc == CF_OK) {
		v.node = strdup(node);
		v.purpose = strdup(purpose);
		v.pem = cf_csr_pem(csr);
		v.hash = strdup(hash);
		v.distribution = strdup(distribution);
		v.created = created;
		*out = v;
	}
	cf_csr_free(csr);
	return rc;
}

static cf_code csr_key(cf_store *st, const cf_nodectx *ctx, const cf_purpose *p, const cf_issue_opts *opts,
		       cf_key **key, cf_keytype *type, cf_warnings *w, cf_err *e)
{
	if (opts->reuse_key) {
		cf_certrow cur = {0};
		cf_code rc = cf_store_identity_get(st, ctx->node.id, p->name, true, &cur, e);
		if (rc == CF_E_NOTFOUND)
			return cf_err_set(e, CF_E_STATE, p->name,
					  "no current identity on %s whose key could be re-used", ctx->node.fqdn);
		if (rc == CF_OK)
			rc = cf_key_parse("stored key", (const uint8_t *)cur.key_pem, strlen(cur.key_pem), key, e);
		if (rc == CF_OK)
			*type = cf_key_type(*key);
		cf_certrow_free(&cur);
		return rc;
	}
	cf_keyspec ks;
	cf_code rc = cf_identity_keyspec(p, opts->key, &ks, w, e);
	if (rc == CF_OK)
		rc = cf_key_generate(&ks, key, e);
	*type = ks.type;
	return rc;
}

static cf_code csr_generate_once(cf_store *st, const char *node, const char *purpose, const cf_issue_opts *opts,
				 cf_identity_csr_view *out, cf_err *e)
{
	cf_nodectx ctx = {0};
	const cf_purpose *p = NULL;
	cf_names names = {0};
	cf_key *key = NULL;
	cf_csr *csr = NULL;
	char *key_pem = NULL;
	uint8_t *der = NULL;
	size_t der_len = 0;
	cf_keytype kt = CF_KEY_NONE;
	const char *hash = opts->hash ? opts->hash : "sha256";

	cf_code rc = cf_hash_check(hash, e);
	if (rc == CF_OK)
		rc = cf_store_begin(st, e);
	if (rc == CF_OK)
		rc = cf_nodectx_load(st, node, &ctx, e);
	if (rc == CF_OK)
		rc = cf_nodectx_purpose(&ctx, purpose, &p, e);
	if (rc == CF_OK && p->self_signed_only)
		rc = cf_err_set(e, CF_E_INPUT, purpose, "certificates are self-signed only; there is no CSR for them");
	if (rc == CF_OK && opts->multi_server)
		rc = cf_identity_check_multi(&ctx, p, e);
	if (rc == CF_OK)
		rc = cf_names_compute(&ctx.cluster, ctx.nodes, ctx.n_nodes, &ctx.node, p, opts->multi_server, &names,
				      e);
	if (rc == CF_OK && opts->cn != NULL) {
		free(names.cn);
		names.cn = strdup(opts->cn);
	}
	if (rc == CF_OK)
		rc = csr_key(st, &ctx, p, opts, &key, &kt, NULL, e);
	if (rc == CF_OK) {
		cf_reqspec spec = cf_identity_reqspec(&ctx, p, &names, kt, hash);
		rc = cf_csr_create(&spec, key, &csr, e);
	}
	if (rc == CF_OK && ((key_pem = cf_key_pem(key)) == NULL || (der = cf_csr_der(csr, &der_len)) == NULL))
		rc = cf_err_set(e, CF_E_INTERNAL, "CSR", "cannot encode the request");
	if (rc == CF_OK) {
		cf_csrrow row = {.node_id = ctx.node.id,
				 .purpose = (char *)p->name,
				 .der = der,
				 .der_len = der_len,
				 .key_pem = key_pem,
				 .distribution = (char *)(opts->multi_server ? "multi-server" : "single-server"),
				 .hash = (char *)hash,
				 .created = cf_clock_now()};
		rc = cf_store_csr_put(st, &row, e);
		if (rc == CF_OK)
			rc = cf_store_commit(st, e);
		if (rc == CF_OK)
			rc = view_from_der(ctx.node.fqdn, p->name, der, der_len, hash, row.distribution, row.created,
					   out, e);
	}
	cf_store_rollback(st);
	free(der);
	cf_secret_free(key_pem);
	cf_csr_free(csr);
	cf_key_free(key);
	cf_names_free(&names);
	cf_nodectx_free(&ctx);
	return rc;
}

cf_code cf_identity_csr_generate(cf_store *st, const char *node, const char *purpose, const cf_issue_opts *opts,
				 cf_identity_csr_view *out, cf_err *e)
{
	cf_code rc;
	CF_STORE_WRITE(st, e, rc, csr_generate_once(st, node, purpose, opts, out, e));
	return rc;
}

cf_code cf_identity_csr_preview(cf_store *st, const char *node, const char *purpose, bool multi_server, cf_names *names,
				char key[32], cf_err *e)
{
	cf_nodectx ctx = {0};
	const cf_purpose *p = NULL;
	cf_code rc = cf_nodectx_load(st, node, &ctx, e);
	if (rc == CF_OK)
		rc = cf_nodectx_purpose(&ctx, purpose, &p, e);
	if (rc == CF_OK && p->self_signed_only)
		rc = cf_err_set(e, CF_E_INPUT, purpose, "certificates are self-signed only; there is no CSR for them");
	if (rc == CF_OK && multi_server)
		rc = cf_identity_check_multi(&ctx, p, e);
	if (rc == CF_OK)
		rc = cf_names_compute(&ctx.cluster, ctx.nodes, ctx.n_nodes, &ctx.node, p, multi_server, names, e);
	if (rc == CF_OK) {
		cf_keyspec ks = cf_purpose_default_key(p);
		if (ks.type == CF_KEY_EC)
			snprintf(key, 32, "ec:%s", ks.curve);
		else
			snprintf(key, 32, "rsa:%d", ks.bits);
	}
	cf_nodectx_free(&ctx);
	return rc;
}

cf_code cf_identity_csr_show(cf_store *st, const char *node, const char *purpose, cf_identity_csr_view *out, cf_err *e)
{
	cf_node n = {0};
	cf_csrrow row = {0};
	cf_code rc = cf_store_node_get(st, node, &n, e);
	if (rc == CF_OK)
		rc = cf_store_csr_get(st, n.id, purpose, &row, e);
	if (rc == CF_OK)
		rc = view_from_der(n.fqdn, purpose, row.der, row.der_len, row.hash, row.distribution, row.created, out,
				   e);
	cf_csrrow_free(&row);
	cf_node_free(&n);
	return rc;
}

static cf_code csr_discard_once(cf_store *st, const char *node, const char *purpose, cf_err *e)
{
	cf_node n = {0};
	cf_csrrow row = {0};
	cf_code rc = cf_store_begin(st, e);
	if (rc == CF_OK)
		rc = cf_store_node_get(st, node, &n, e);
	if (rc == CF_OK)
		rc = cf_store_csr_get(st, n.id, purpose, &row, e);
	if (rc == CF_OK)
		rc = cf_store_csr_delete(st, n.id, purpose, e);
	if (rc == CF_OK)
		rc = cf_store_commit(st, e);
	cf_store_rollback(st);
	cf_csrrow_free(&row);
	cf_node_free(&n);
	return rc;
}

cf_code cf_identity_csr_discard(cf_store *st, const char *node, const char *purpose, cf_err *e)
{
	cf_code rc;
	CF_STORE_WRITE(st, e, rc, csr_discard_once(st, node, purpose, e));
	return rc;
}
