/* Deploying an identity's staged ACME certificate (see deploy.h). */
#include "core/acme/deploy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/acme/auto.h"
#include "core/lifecycle/identity.h"
#include "core/lifecycle/served.h"
#include "core/lifecycle/trust.h"
#include "core/model/profile.h"
#include "crypto/x509.h"
#include "util/buf.h"
#include "util/clock.h"

void cf_acme_deployed_free(cf_acme_deployed *d)
{
	if (d == NULL)
		return;
	cf_outcome_free(&d->upload);
	cf_deploy_report_free(&d->targets);
	cf_served_report_free(&d->served);
	memset(d, 0, sizeof(*d));
}

/* Records the deploy in the identity's ACME state: status "ok" (the staged certificate is now
 * the deployed one: state "deployed", nothing staged), or the refusal or reload failure in why.
 * The audit row "acme deploy" of a deploy that replaced the identity goes with it. */
static cf_code record_once(cf_store *st, const cf_audit_actor *a, const cf_node *node, const char *purpose,
			   bool deployed, const cf_err *why, cf_err *e)
{
	cf_acmeidentity row = {0};
	char line[1600] = "";
	if (why != NULL)
		snprintf(line, sizeof(line), "%s%s%s", why->subject, why->subject[0] ? ": " : "", why->message);
	cf_code rc = cf_store_begin(st, e);
	if (rc == CF_OK)
		rc = cf_store_acme_identity_get(st, node->id, purpose, &row, e);
	/* a served check that failed names itself: "served-mismatch", "served-unreachable" */
	const char *status = why == NULL						      ? "ok"
			     : why->reason != NULL && strncmp(why->reason, "served-", 7) == 0 ? why->reason
			     : deployed							      ? "reload-failed"
											      : "refused";
	if (rc == CF_OK && (!cf_acmeidentity_set(&row.last_deploy_status, status) ||
			    !cf_acmeidentity_set(&row.last_deploy_error, line)))
		rc = cf_err_set(e, CF_E_INTERNAL, NULL, "out of memory");
	if (rc == CF_OK && deployed &&
	    (!cf_acmeidentity_set(&row.state, "deployed") || !cf_acmeidentity_set(&row.staged_pem, "") ||
	     !cf_acmeidentity_set(&row.staged_sha256, "") || !cf_acmeidentity_set(&row.alternates, "")))
		rc = cf_err_set(e, CF_E_INTERNAL, NULL, "out of memory");
	if (rc == CF_OK) {
		row.last_deploy_at = cf_clock_now();
		if (deployed) { /* the CA's window was the replaced certificate's: the new one's is fetched */
			row.staged_at = row.ari_start = row.ari_end = row.ari_checked = 0;
			/* the next renewal, known from now on, recorded with the deploy (until the
			 * new window comes: at two thirds of the new certificate's lifetime) */
			row.renew_at = cf_acme_auto_renew_at(st, &row, row.last_deploy_at);
		}
		rc = cf_store_acme_identity_put(st, &row, e);
	}
	if (rc == CF_OK && deployed && why == NULL) {
		char object[512];
		snprintf(object, sizeof(object), "%s %s", node->fqdn, purpose);
		cf_store_audit_pending(st, a->account, a->client, "acme deploy", object);
	}
	cf_acmeidentity_free(&row);
	return cf_store_finish(st, rc, e);
}

/* Places the chain's CA certificates (all but the leaf) in the purpose's trust store, those it
 * lacks; *added counts them. */
static cf_code place_chain(cf_store *st, const cf_transport *t, const cf_node *node, const char *purpose,
			   const char *pem, cf_acme_deployed *out, cf_err *e)
{
	const cf_purpose *p = cf_purpose_find(purpose, node->product);
	cf_cert **v = NULL;
	size_t n = 0;
	if (p == NULL || p->trust_store == NULL)
		return CF_OK;
	cf_code rc = cf_cert_parse_bundle("the staged chain", (const uint8_t *)pem, strlen(pem), &v, &n, e);
	if (rc != CF_OK || n < 2) {
		cf_certs_free(v, n);
		return rc;
	}
	cf_buf cas = {0};
	for (size_t i = 1; i < n; i++) {
		char *one = cf_cert_pem(v[i]);
		if (one != NULL)
			cf_buf_adds(&cas, one);
		free(one);
	}
	cf_certs_free(v, n);
	if (cas.oom || cas.p == NULL) {
		cf_buf_free(&cas);
		return cf_err_set(e, CF_E_INTERNAL, NULL, "out of memory");
	}
	cf_outcome o = {0};
	rc = cf_trust_add(st, t, node->fqdn, p->trust_store, "the ACME CA's chain", (const uint8_t *)cas.p, cas.len,
			  "the chain of an ACME certificate", &o, e);
	out->chain_added = o.n_ids;
	cf_outcome_free(&o);
	cf_buf_free(&cas);
	return rc;
}

cf_code cf_acme_deploy(cf_store *st, const cf_transport *t, const cf_audit_actor *a, const char *node,
		       const char *purpose, cf_acme_deployed *out, cf_err *e)
{
	cf_node nd = {0};
	cf_acmeidentity acme = {0};
	cf_certrow current = {0};
	memset(out, 0, sizeof(*out));
	cf_code rc = cf_store_node_get(st, node, &nd, e);
	if (rc == CF_OK && (rc = cf_store_acme_identity_get(st, nd.id, purpose, &acme, e)) == CF_E_NOTFOUND)
		rc = cf_err_set(e, CF_E_STATE, purpose, "no ACME certificate is staged for %s; run acme order first",
				node);
	if (rc == CF_OK && acme.staged_pem[0] == '\0')
		rc = cf_err_set(e, CF_E_STATE, purpose, "no ACME certificate is staged for %s (state %s)", node,
				acme.state);
	if (rc != CF_OK)
		goto out;
	snprintf(out->sha256, sizeof(out->sha256), "%s", acme.staged_sha256);
	/* a deploy a crash cut short after the upload: the identity is the staged certificate */
	out->already = cf_store_identity_get(st, nd.id, purpose, false, &current, NULL) == CF_OK &&
		       strcmp(current.facts.sha256, acme.staged_sha256) == 0;
	if (!out->already) {
		char description[256];
		snprintf(description, sizeof(description), "ACME (account %s)", acme.account);
		rc = place_chain(st, t, &nd, purpose, acme.staged_pem, out, e);
		if (rc == CF_OK)
			rc = cf_identity_upload(st, t, node, purpose, "the staged ACME certificate",
						(const uint8_t *)acme.staged_pem, strlen(acme.staged_pem), NULL, NULL,
						0, description, false, &out->upload, e);
		if (rc != CF_OK) {
			cf_err why = *e, ignored = {0};
			cf_code frc;
			CF_STORE_WRITE(st, &ignored, frc, record_once(st, a, &nd, purpose, false, &why, &ignored));
			(void)frc; /* the refusal is what the caller hears */
			*e = why;
			goto out;
		}
	}
	CF_STORE_WRITE(st, e, rc, record_once(st, a, &nd, purpose, true, NULL, e));
	if (rc != CF_OK)
		goto out;
	/* the node's files for this purpose, when it has a deploy target */
	cf_target *targets = NULL;
	size_t nt = 0;
	cf_node tn = {0};
	if (cf_deploy_targets(st, node, purpose, &tn, &targets, &nt, NULL) == CF_OK && nt > 0) {
		rc = cf_deploy_run(st, node, purpose, &out->targets, e);
		if (rc != CF_OK) {
			cf_err why = *e, ignored = {0};
			cf_code frc;
			CF_STORE_WRITE(st, &ignored, frc, record_once(st, a, &nd, purpose, true, &why, &ignored));
			(void)frc;
			*e = why;
		}
	}
	cf_targets_free(targets, nt);
	cf_node_free(&tn);
	/* what the node serves now: its deploy targets' addresses, certfleetd's own listener */
	if (rc == CF_OK) {
		rc = cf_served_check(st, t, node, purpose, NULL, &out->served, e);
		if (rc == CF_OK && (rc = cf_served_verdict(&out->served, e)) != CF_OK) {
			cf_err why = *e, ignored = {0};
			cf_code frc;
			CF_STORE_WRITE(st, &ignored, frc, record_once(st, a, &nd, purpose, true, &why, &ignored));
			(void)frc;
			*e = why;
		}
	}
out:
	cf_certrow_free(&current);
	cf_acmeidentity_free(&acme);
	cf_node_free(&nd);
	return rc;
}
