/* Upload of a CA-signed identity certificate: SPEC §3.4 checks 1–5, the gates peers need (6), then
 * the warnings. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/model/fqdn.h"
#include "core/lifecycle/identity_int.h"
#include "core/revocation/revcheck.h"
#include "core/revocation/revocation.h"
#include "core/check/validate.h"
#include "crypto/verify.h"
#include "util/clock.h"

#define YEAR_2050 2524608000LL /* 2050-01-01T00:00:00Z */

/* The key usages a service cannot work without: signing the handshake, RSA key transport (TLS 1.2
 * RSA key exchange), and a CA's signing of certificates and CRLs (CAPF). dataEncipherment and
 * keyAgreement are in the profiles but no handshake uses them. */
#define KU_NEEDED (CF_KU_DIGITAL_SIGNATURE | CF_KU_KEY_ENCIPHERMENT | CF_KU_KEY_CERT_SIGN | CF_KU_CRL_SIGN)

/* Usage bits the CA dropped although the pending CSR asked for them and the purpose needs them to
 * work: peers refuse such a certificate (a gate, see peer_gates). 0 without a CSR or without the
 * extension (no extension: no restriction). */
static unsigned gated_ku(const cf_purpose *p, const cf_facts *f, const cf_facts *csr)
{
	return csr && f->has_ku ? cf_purpose_ku(p, f->key_type) & KU_NEEDED & csr->ku & ~f->ku : 0;
}

static unsigned gated_eku(const cf_purpose *p, const cf_facts *f, const cf_facts *csr)
{
	return csr && f->has_eku ? p->eku & csr->eku & ~f->eku : 0;
}

/* The other usage bits a certificate of p should carry, with those its CSR asked for (warnings). */
static void usage_warnings(const cf_purpose *p, const cf_facts *f, const cf_facts *csr, cf_warnings *w)
{
	/* a certificate without the extension is not restricted, so it lacks nothing */
	unsigned lost_ku = f->has_ku ? (cf_purpose_ku(p, f->key_type) | (csr ? csr->ku : 0)) & ~f->ku : 0;
	unsigned lost_eku = f->has_eku ? (p->eku | (csr ? csr->eku : 0)) & ~f->eku : 0;
	lost_ku &= ~gated_ku(p, f, csr);
	lost_eku &= ~gated_eku(p, f, csr);
	if (lost_ku) {
		cf_strv names = {0};
		cf_ku_names(lost_ku, &names);
		char *list = cf_strv_join(&names, ", ");
		cf_warn(w, "ku-missing",
			"key usage lacks %s, which %s needs; the CA dropped bits the request asked for", list, p->name);
		free(list);
		cf_strv_clear(&names);
	}
	if (lost_eku) {
		cf_strv names = {0};
		cf_eku_names(lost_eku, &names);
		char *list = cf_strv_join(&names, ", ");
		cf_warn(w, "eku-missing", "extended key usage lacks %s, which %s needs", list, p->name);
		free(list);
		cf_strv_clear(&names);
	}
}

/* The warnings of SPEC §3.4 (the upload proceeds). */
static void upload_warnings(const cf_purpose *p, const cf_facts *f, const cf_facts *csr, cf_warnings *w)
{
	int64_t now = cf_clock_now();
	usage_warnings(p, f, csr, w);
	if (f->cn[0] == '\0')
		cf_warn(w, "no-cn", "the subject has no common name");
	if (f->key_type == CF_KEY_RSA && f->key_bits < 2048)
		cf_warn(w, "weak-key", "RSA key of %d bits is weak; use 2048 or more", f->key_bits);
	if (f->key_type == CF_KEY_RSA && f->key_bits >= 8192)
		cf_warn(w, "large-key-8192", "RSA key of %d bits is slow and some peers refuse it", f->key_bits);
	if (strcmp(f->sig_hash, "sha1") == 0)
		cf_warn(w, "sha1", "signed with SHA-1, which peers reject; have it re-issued with SHA-256");
	if (f->not_after >= YEAR_2050)
		cf_warn(w, "date-2050", "notAfter is in or after 2050; some devices cannot read such dates");
	for (size_t i = 0; i < f->unsupported_oids.n; i++)
		cf_warn(w, "unsupported-oid", "subject attribute %s is not supported (only X.520 and the EV OIDs are)",
			f->unsupported_oids.v[i]);
	if (f->not_after < now)
		cf_warn(w, "expired", "the certificate has already expired");
	if (f->not_before > now)
		cf_warn(w, "not-yet-valid", "the certificate is not valid yet");
}

static void usage_gate(cf_warnings *gates, const char *rule, unsigned lost, void (*names)(unsigned, cf_strv *),
		       const char *what, const cf_purpose *p)
{
	if (lost == 0)
		return;
	cf_strv v = {0};
	names(lost, &v);
	char *list = cf_strv_join(&v, ", ");
	bool client = strstr(list ? list : "", "clientAuth") != NULL;
	cf_warn(gates, rule, "%s lacks %s, which the CSR asked for and %s needs%s", what, list ? list : "", p->name,
		client ? " (public CAs dropped clientAuth in 2026: have a private CA issue it, such as certfleet's "
			 "local CA, which serves the client side)"
		       : "; have the CA issue it again keeping the request's extensions");
	free(list);
	cf_strv_clear(&v);
}

/* The refusals added after the first users (SPEC §3.4): a SAN that lacks a node of the scope or
 * the name peers use for this node, and usage bits the CSR asked for that the purpose needs. Each
 * is a gate unless forced; forced, they are kept as the upload's warnings. */
static cf_code peer_gates(const char *name, const cf_nodectx *ctx, const cf_purpose *p, const cf_facts *f,
			  const cf_facts *csr, const cf_strv *scope, bool multi, bool force, cf_warnings *w, cf_err *e)
{
	cf_warnings gates = {0};
	cf_names expected = {0};
	for (size_t i = 0; multi && i < scope->n; i++)
		if (!cf_host_matches_san(f, scope->v[i]))
			cf_warn(&gates, "san-missing-node",
				"the multi-server certificate's SAN lacks %s, a node of its scope", scope->v[i]);
	if (!multi &&
	    cf_names_compute(&ctx->cluster, ctx->nodes, ctx->n_nodes, &ctx->node, p, false, &expected, NULL) == CF_OK) {
		char want[300];
		snprintf(want, sizeof(want), "DNS:%s", ctx->node.fqdn);
		if (cf_strv_contains(&expected.san, want) && !cf_host_matches_san(f, ctx->node.fqdn))
			cf_warn(&gates, "san-missing-node",
				"the SAN does not hold %s, the name peers use for this node (a CA that did not copy "
				"the request's subjectAltName?)",
				ctx->node.fqdn);
	}
	cf_names_free(&expected);
	usage_gate(&gates, "ku-missing", gated_ku(p, f, csr), cf_ku_names, "key usage", p);
	usage_gate(&gates, "eku-missing", gated_eku(p, f, csr), cf_eku_names, "extended key usage", p);
	cf_code rc = CF_OK;
	if (gates.rules.n > 0 && !force) {
		cf_strv lines = {0};
		for (size_t i = 0; i < gates.rules.n; i++)
			cf_strv_pushf(&lines, "%s [%s]", gates.messages.v[i], gates.rules.v[i]);
		char *all = cf_strv_join(&lines, "; ");
		rc = cf_err_set(e, CF_E_INPUT, name, "%s; peers would fail with it (force to upload it anyway)",
				all ? all : "");
		cf_err_reason(e, CF_REASON_NEEDS_FORCE);
		free(all);
		cf_strv_clear(&lines);
	}
	for (size_t i = 0; rc == CF_OK && i < gates.rules.n; i++)
		cf_warn(w, gates.rules.v[i], "%s (uploaded with force)", gates.messages.v[i]);
	cf_warnings_free(&gates);
	return rc;
}

/* Check 5: Expressway names must be valid FQDNs. */
static cf_code expressway_names_check(const char *name, const cf_facts *f, cf_err *e)
{
	if (cf_fqdn_problem(f->cn) != NULL)
		return cf_err_set(e, CF_E_INPUT, name, "Common name must be a valid FQDN (\"%s\")", f->cn);
	for (size_t i = 0; i < f->san.n; i++)
		if (strncmp(f->san.v[i], "DNS:", 4) == 0 && cf_fqdn_problem(f->san.v[i] + 4) != NULL)
			return cf_err_set(e, CF_E_INPUT, name, "Subject alternative name must be a valid FQDN (\"%s\")",
					  f->san.v[i] + 4);
	return CF_OK;
}

/* Check 3 with the validation engine: the chain from the file's certificates to an anchor of the
 * purpose's trust store. Broken chains are refused with their rule id; an issuer outside its
 * validity is a warning with the same rule id the doctor uses. */
static cf_code chain_check(const char *name, const cf_purpose *p, const cf_node *node, cf_cert **certs, size_t n_certs,
			   cf_cert **anchors, size_t n_anchors, cf_vresult *chain, cf_warnings *w, cf_err *e)
{
	cf_trustidx *idx = cf_trustidx_new();
	cf_code rc = idx ? CF_OK : cf_err_set(e, CF_E_INTERNAL, name, "out of memory");
	for (size_t i = 0; rc == CF_OK && i < n_anchors; i++)
		rc = cf_trustidx_add(idx, anchors[i], true, e);
	if (rc == CF_OK)
		rc = cf_trustidx_verify(idx, certs[0], certs + 1, n_certs - 1, cf_clock_now(), chain);
	const char *store = p->trust_store ? p->trust_store : "any trust store";
	if (rc == CF_OK) {
		switch (chain->fail) {
		case CF_V_OK: break;
		case CF_V_EXPIRED: cf_warn(w, "expired", "%s", chain->message); break;
		case CF_V_NOT_YET_VALID: cf_warn(w, "not-yet-valid", "%s", chain->message); break;
		case CF_V_NO_ISSUER:
			rc = cf_err_set(
				e, CF_E_INPUT, name,
				"the chain does not build to a certificate in %s on %s: %s; upload the CA certificate "
				"first [chain-incomplete]",
				store, node->fqdn, chain->message);
			break;
		case CF_V_NOT_CA:
			rc = cf_err_set(e, CF_E_INPUT, name, "the chain does not verify: %s [ca-no-basic-constraints]",
					chain->message);
			break;
		default:
			rc = cf_err_set(e, CF_E_INPUT, name, "the chain does not verify: %s [%s]", chain->message,
					cf_vfail_name(chain->fail));
		}
	}
	cf_trustidx_free(idx);
	return rc;
}

/* What OCSP said about the uploaded certificate: asked before the change's transaction begins,
 * since it is a network call (SPEC §6.1: checked at every upload). */
typedef struct ocsp_first {
	cf_cert *issuer; /* the issuer it was asked with (NULL: not asked) */
	cf_revocation_ocsp_verdict v;
} ocsp_first;

/* With revocation checking and OCSP on: builds the chain as check 3 will (reading the store
 * outside any transaction) and asks OCSP about the certificate with the issuer that chain has.
 * Whatever fails here is left for the checks inside the transaction to report. */
static void ocsp_ask_first(cf_store *st, const cf_transport *net, const cf_revocation_settings *rs, const char *node,
			   const char *purpose, const char *name, cf_cert **certs, size_t n_certs, ocsp_first *out)
{
	cf_nodectx ctx = {0};
	const cf_purpose *p = NULL;
	cf_cert **anchors = NULL, **responders = NULL;
	size_t n_anchors = 0, n_responders = 0;
	cf_vresult chain = {0};
	cf_warnings ignored = {0};
	if (cf_nodectx_load(st, node, &ctx, NULL) == CF_OK && cf_nodectx_purpose(&ctx, purpose, &p, NULL) == CF_OK &&
	    !p->self_signed_only &&
	    cf_store_trust_certs(st, ctx.node.id, p->trust_store, &anchors, &n_anchors, NULL) == CF_OK &&
	    chain_check(name, p, &ctx.node, certs, n_certs, anchors, n_anchors, &chain, &ignored, NULL) == CF_OK &&
	    chain.n > 1 &&
	    cf_store_trust_certs(st, ctx.node.id, "tomcat-trust", &responders, &n_responders, NULL) == CF_OK) {
		cf_revocation_ask(net, rs, certs[0], chain.chain[1], responders, n_responders, cf_clock_now(), &out->v);
		out->issuer = cf_cert_ref(chain.chain[1]);
	}
	cf_warnings_free(&ignored);
	cf_vresult_clear(&chain);
	cf_certs_free(anchors, n_anchors);
	cf_certs_free(responders, n_responders);
	cf_nodectx_free(&ctx);
}

/* Check 3c: OCSP's answer, asked with the issuer the chain had before the transaction began,
 * decided with the CRLs' (check 3b) as every upload is (cf_revocation_upload_ocsp). */
static cf_code ocsp_check(const char *name, const cf_revocation_settings *rs, const ocsp_first *o,
			  const cf_cert *issuer, cf_revstatus crl, cf_warnings *w, cf_err *e)
{
	if (o->issuer == NULL || !cf_cert_equal(o->issuer, issuer))
		return cf_err_set(
			e, CF_E_STATE, name,
			"the trust stores changed while OCSP was asked about the certificate; upload it again");
	return cf_revocation_upload_ocsp(rs, &o->v, crl, name, w, e);
}

/* The chain's issuer certificates as one PEM text, without a self-signed root. */
static char *issuer_pem(cf_cert *const *chain, size_t n)
{
	cf_strv parts = {0};
	if (n > 1 && cf_cert_is_self_signed(chain[n - 1]))
		n--; /* peers hold the root already; services send the chain below it */
	for (size_t i = 1; i < n; i++) {
		char *pem = cf_cert_pem(chain[i]);
		if (pem != NULL)
			cf_strv_push(&parts, pem);
		free(pem);
	}
	char *out = cf_strv_join(&parts, "");
	cf_strv_clear(&parts);
	return out;
}

static cf_code identity_upload_once(cf_store *st, const cf_transport *net, const char *node, const char *purpose,
				    const char *name, const uint8_t *buf, size_t len, const char *key_name,
				    const uint8_t *keybuf, size_t key_len, const char *description, const char *source,
				    bool force, cf_outcome *out, cf_err *e)
{
	cf_nodectx ctx = {0};
	const cf_purpose *p = NULL;
	cf_cert **certs = NULL, **anchors = NULL;
	size_t n_certs = 0, n_anchors = 0;
	cf_vresult chain = {0};
	cf_facts f = {0}, csr_facts = {0};
	cf_csrrow csr = {0};
	cf_csr *req = NULL;
	cf_key *key = NULL;
	char *key_pem = NULL, *chain_pem = NULL, *warnings = NULL;
	cf_strv scope = {0}; /* the nodes the certificate lands on */
	bool have_csr = false, multi = false;
	cf_revocation_settings rs;
	ocsp_first ocsp = {0};
	cf_revstatus crl = CF_REV_UNKNOWN;

	/* 1: parses as X.509 (the caller enforced the size limit while reading) */
	cf_code rc = cf_cert_parse_bundle(name, buf, len, &certs, &n_certs, e);
	if (rc == CF_OK)
		rc = cf_cert_facts(certs[0], &f, e);
	if (rc == CF_OK && keybuf != NULL)
		rc = cf_key_parse(key_name, keybuf, key_len, &key, e);
	if (rc == CF_OK)
		rc = cf_revocation_settings_get(st, &rs, e);
	if (rc != CF_OK)
		goto out;
	/* OCSP, a network call, is asked before the change's transaction begins (check 3c) */
	if (rs.check && rs.ocsp)
		ocsp_ask_first(st, net, &rs, node, purpose, name, certs, n_certs, &ocsp);
	if ((rc = cf_store_begin(st, e)) != CF_OK || (rc = cf_nodectx_load(st, node, &ctx, e)) != CF_OK ||
	    (rc = cf_nodectx_purpose(&ctx, purpose, &p, e)) != CF_OK)
		goto out;
	if (p->self_signed_only) {
		rc = cf_err_set(e, CF_E_INPUT, purpose, "certificates are self-signed only and cannot be uploaded");
		goto out;
	}

	/* 2: the public key matches the pending CSR's key, or the key given with the upload */
	cf_err le = {0};
	cf_code got = cf_store_csr_get(st, ctx.node.id, p->name, &csr, &le);
	have_csr = got == CF_OK;
	bool none_pending = got == CF_E_STATE && le.reason != NULL && strcmp(le.reason, CF_REASON_NO_CSR) == 0;
	if (got != CF_OK && !none_pending) { /* the store failed */
		rc = got;
		if (e != NULL)
			*e = le;
		goto out;
	}
	if (key != NULL) {
		if (have_csr) {
			rc = cf_err_set(
				e, CF_E_STATE, name,
				"a CSR is pending for %s on %s; upload the certificate issued from it without a "
				"private key, or discard the CSR first",
				p->name, ctx.node.fqdn);
			cf_err_reason(e, CF_REASON_CSR_PENDING);
			goto out;
		}
		if (!cf_key_matches_cert(key, certs[0])) {
			rc = cf_err_set(e, CF_E_INPUT, key_name != NULL ? key_name : "key",
					"this private key does not match the certificate %s", name);
			goto out;
		}
		if ((key_pem = cf_key_pem(key)) == NULL) {
			rc = cf_err_set(e, CF_E_INTERNAL, key_name, "cannot encode the key");
			goto out;
		}
	} else if (!have_csr) {
		rc = cf_err_set(e, CF_E_STATE, name,
				"no pending CSR for %s on %s; generate a CSR first, or give the certificate's private "
				"key with the upload",
				p->name, ctx.node.fqdn);
		cf_err_reason(e, CF_REASON_NO_CSR);
		goto out;
	} else {
		if ((rc = cf_csr_parse("stored CSR", csr.der, csr.der_len, &req, e)) != CF_OK ||
		    (rc = cf_csr_facts(req, &csr_facts, e)) != CF_OK)
			goto out;
		if (strcmp(csr_facts.spki_sha256, f.spki_sha256) != 0) {
			rc = cf_err_set(e, CF_E_INPUT, name,
					"the certificate's public key does not match the pending CSR for %s on %s; "
					"have the CA issue it again from the current CSR",
					p->name, ctx.node.fqdn);
			goto out;
		}
		key_pem = csr.key_pem;
		csr.key_pem = NULL;
		multi = strcmp(csr.distribution, "multi-server") == 0;
	}

	/* 3: the chain builds to a certificate in the purpose's trust store */
	if ((rc = cf_store_trust_certs(st, ctx.node.id, p->trust_store, &anchors, &n_anchors, e)) != CF_OK)
		goto out;
	if ((rc = chain_check(name, p, &ctx.node, certs, n_certs, anchors, n_anchors, &chain, &out->warnings, e)) !=
	    CF_OK)
		goto out;

	/* 3b: not revoked by the stored CRL of its issuer (unless revocation checking is off) */
	if (chain.n > 1 && rs.check &&
	    (rc = cf_revocation_upload_crl(st, name, certs[0], chain.chain[1], &crl, e)) != CF_OK)
		goto out;
	/* 3c: nor by OCSP, asked before the transaction began */
	if (chain.n > 1 && rs.check && rs.ocsp &&
	    (rc = ocsp_check(name, &rs, &ocsp, chain.chain[1], crl, &out->warnings, e)) != CF_OK)
		goto out;

	/* 4: key type fits the purpose */
	if (p->ecdsa != (f.key_type == CF_KEY_EC)) {
		rc = cf_err_set(e, CF_E_INPUT, name, "%s needs an %s key; this certificate has an %s key", p->name,
				p->ecdsa ? "EC" : "RSA", cf_keytype_name(f.key_type));
		goto out;
	}

	/* 5: Expressway names */
	if (ctx.product->expressway && (rc = expressway_names_check(name, &f, e)) != CF_OK)
		goto out;

	/* 6: what peers need of its names and usages (forced: warnings) */
	cf_names_scope(ctx.nodes, ctx.n_nodes, &ctx.node, p, multi, &scope);
	if ((rc = peer_gates(name, &ctx, p, &f, have_csr ? &csr_facts : NULL, &scope, multi, force, &out->warnings,
			     e)) != CF_OK)
		goto out;
	upload_warnings(p, &f, have_csr ? &csr_facts : NULL, &out->warnings);
	chain_pem = issuer_pem(chain.chain, chain.n);
	cf_facts anchor = {0};
	if (cf_cert_facts(chain.chain[chain.n - 1], &anchor, e) != CF_OK) {
		rc = e ? e->code : CF_E_INTERNAL;
		goto out;
	}
	warnings = cf_warnings_json(&out->warnings);
	cf_identity_new id = {.cert = certs[0],
			      .key_pem = key_pem,
			      .chain_pem = chain_pem,
			      .source = source != NULL ? source
					: have_csr     ? "csr"
						       : "upload",
			      .description = description,
			      .warnings_json = warnings,
			      .anchor_sha256 = anchor.sha256,
			      .multi_server = multi};
	rc = cf_identity_install(st, &ctx, p, &scope, &id, out, e);
	cf_facts_free(&anchor);
	if (rc != CF_OK)
		goto out;
	if (have_csr && (rc = cf_store_csr_delete(st, ctx.node.id, p->name, e)) != CF_OK)
		goto out;
	/* what OCSP said is kept for the doctor, the list and the interval check */
	if (ocsp.issuer != NULL && (rc = cf_revcheck_record(st, f.sha256, &ocsp.v, cf_clock_now(), e)) != CF_OK)
		goto out;
	cf_plan_finish(&out->plan);
	rc = cf_store_commit(st, e);
out:
	cf_store_rollback(st);
	cf_strv_clear(&scope);
	free(warnings);
	free(chain_pem);
	cf_secret_free(key_pem);
	cf_key_free(key);
	cf_csr_free(req);
	cf_csrrow_free(&csr);
	cf_facts_free(&f);
	cf_facts_free(&csr_facts);
	cf_vresult_clear(&chain);
	cf_cert_free(ocsp.issuer);
	cf_certs_free(anchors, n_anchors);
	cf_certs_free(certs, n_certs);
	cf_nodectx_free(&ctx);
	return rc;
}

cf_code cf_identity_upload(cf_store *st, const cf_transport *net, const char *node, const char *purpose,
			   const char *name, const uint8_t *buf, size_t len, const char *key_name,
			   const uint8_t *keybuf, size_t key_len, const char *description, bool force, cf_outcome *out,
			   cf_err *e)
{
	cf_code rc;
	CF_STORE_WRITE_RESETTING(st, e, rc,
				 identity_upload_once(st, net, node, purpose, name, buf, len, key_name, keybuf, key_len,
						      description, NULL, force, out, e),
				 cf_outcome_free(out));
	return rc;
}

cf_code cf_identity_upload_issued(cf_store *st, const cf_transport *net, const char *node, const char *purpose,
				  const char *name, const char *pem, const char *description, const char *source,
				  cf_outcome *out, cf_err *e)
{
	cf_code rc;
	CF_STORE_WRITE_RESETTING(st, e, rc,
				 identity_upload_once(st, net, node, purpose, name, (const uint8_t *)pem, strlen(pem),
						      NULL, NULL, 0, description, source, false, out, e),
				 cf_outcome_free(out));
	return rc;
}
