/* Revoking a certificate at its ACME CA (see revoke.h). */
#include "core/acme/revoke.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/acme/account.h"
#include "core/acme/client.h"
#include "crypto/x509.h"
#include "util/secret.h"

int cf_acme_reason_code(const char *name)
{
	static const struct {
		const char *name;
		int code;
	} reasons[] = {{"unspecified", 0}, {"keyCompromise", 1}, {"superseded", 4}, {"cessationOfOperation", 5}};
	if (name == NULL)
		return 0;
	for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (strcmp(name, reasons[i].name) == 0)
			return reasons[i].code;
	return -1;
}

/* The audit row; a revoked staged certificate leaves the identity's ACME state. */
static cf_code record_once(cf_store *st, const cf_audit_actor *a, const char *object, const cf_acmeidentity *staged,
			   cf_err *e)
{
	cf_code rc = cf_store_begin(st, e);
	if (rc != CF_OK)
		return rc;
	if (staged != NULL) {
		cf_acmeidentity row = *staged;
		/* back to what the identity was before the order staged it */
		bool deployed = staged->last_deploy_at != 0 && strcmp(staged->last_deploy_status, "refused") != 0;
		row.state = strcmp(staged->state, "staged") != 0 ? staged->state : deployed ? "deployed" : "none";
		row.staged_pem = row.staged_sha256 = row.alternates = "";
		row.staged_at = 0;
		rc = cf_store_acme_identity_put(st, &row, e);
	}
	if (rc == CF_OK)
		cf_store_audit_pending(st, a->account, a->client, "acme revoke", object);
	return cf_store_finish(st, rc, e);
}

/* What is revoked, found: the certificate (its PEM in *pem), the account to use, the key that
 * signs when it is the certificate's own (*cert_key_pem: a secret), and the identity's ACME row
 * when the certificate is its staged one. */
typedef struct target {
	cf_node node;
	cf_acmeidentity acme;
	bool have_acme, staged;
	cf_cert *cert;
	char *account;
	char *key_pem; /* the certificate's own key, when it signs */
} target;

static void target_free(target *t)
{
	cf_node_free(&t->node);
	cf_acmeidentity_free(&t->acme);
	cf_cert_free(t->cert);
	free(t->account);
	cf_secret_free(t->key_pem);
}

static cf_code find_stored(cf_store *st, const cf_acme_revoke_spec *s, target *t, cf_err *e)
{
	cf_code rc = cf_store_node_get(st, s->node, &t->node, e);
	if (rc != CF_OK)
		return rc;
	rc = cf_store_acme_identity_get(st, t->node.id, s->purpose, &t->acme, e);
	if (rc == CF_OK)
		t->have_acme = true;
	else if (rc == CF_E_NOTFOUND && s->account != NULL)
		cf_err_clear(e);
	else
		return rc;
	t->staged = t->have_acme && t->acme.staged_pem[0] != '\0';
	cf_certrow id = {0};
	if (t->staged) {
		cf_cert **v = NULL;
		size_t n = 0;
		rc = cf_cert_parse_bundle("the staged certificate", (const uint8_t *)t->acme.staged_pem,
					  strlen(t->acme.staged_pem), &v, &n, e);
		if (rc == CF_OK)
			t->cert = cf_cert_ref(v[0]);
		cf_certs_free(v, n);
		if (rc == CF_OK && s->with_cert_key) { /* the staged certificate's key is the pending CSR's */
			cf_csrrow csr = {0};
			if ((rc = cf_store_csr_get(st, t->node.id, s->purpose, &csr, e)) == CF_OK)
				t->key_pem = csr.key_pem, csr.key_pem = NULL;
			cf_csrrow_free(&csr);
		}
	} else if ((rc = cf_store_identity_get(st, t->node.id, s->purpose, s->with_cert_key, &id, e)) == CF_OK) {
		t->cert = cf_cert_from_der(id.der, id.der_len);
		if (s->with_cert_key)
			t->key_pem = id.key_pem, id.key_pem = NULL;
		if (t->cert == NULL)
			rc = cf_err_set(e, CF_E_INTERNAL, s->purpose, "the stored identity does not parse");
	}
	cf_certrow_free(&id);
	if (rc == CF_OK && (t->account = strdup(s->account ? s->account : t->acme.account)) == NULL)
		rc = cf_err_set(e, CF_E_INTERNAL, NULL, "out of memory");
	if (rc == CF_OK && s->with_cert_key && t->key_pem == NULL)
		rc = cf_err_set(e, CF_E_STATE, s->purpose, "the certificate's key is not stored");
	return rc;
}

static cf_code find_file(const cf_acme_revoke_spec *s, target *t, cf_err *e)
{
	cf_cert **v = NULL;
	size_t n = 0;
	if (s->account == NULL)
		return cf_err_set(e, CF_E_USAGE, s->cert_name, "a certificate file is revoked with --account");
	cf_code rc = cf_cert_parse_bundle(s->cert_name, s->cert, s->cert_len, &v, &n, e);
	if (rc == CF_OK)
		t->cert = cf_cert_ref(v[0]);
	cf_certs_free(v, n);
	if (rc == CF_OK && (t->account = strdup(s->account)) == NULL)
		rc = cf_err_set(e, CF_E_INTERNAL, NULL, "out of memory");
	if (rc == CF_OK && s->with_cert_key) {
		if (s->key == NULL)
			rc = cf_err_set(e, CF_E_USAGE, s->cert_name,
					"signing with the certificate's key needs the key file");
		else if ((t->key_pem = strndup((const char *)s->key, s->key_len)) == NULL)
			rc = cf_err_set(e, CF_E_INTERNAL, NULL, "out of memory");
	}
	return rc;
}

cf_code cf_acme_revoke_cert(cf_store *st, const cf_transport *tr, const cf_audit_actor *a, const cf_acme_revoke_spec *s,
			    char sha256[65], cf_err *e)
{
	target t = {0};
	cf_acmeaccount acct = {0};
	cf_key *account_key = NULL, *cert_key = NULL;
	cf_acme_client *c = NULL;
	cf_facts f = {0};
	cf_strv in_use = {0};
	sha256[0] = '\0';
	int reason = cf_acme_reason_code(s->reason);
	if (reason < 0)
		return cf_err_set(
			e, CF_E_INPUT, s->reason,
			"not a revocation reason: unspecified, keyCompromise, superseded, cessationOfOperation");
	cf_code rc = s->cert != NULL ? find_file(s, &t, e) : find_stored(st, s, &t, e);
	if (rc == CF_OK && (rc = cf_cert_facts(t.cert, &f, e)) == CF_OK)
		snprintf(sha256, 65, "%s", f.sha256);
	/* a certificate a node serves breaks its peers once revoked */
	if (rc == CF_OK && (rc = cf_store_identity_nodes(st, f.sha256, &in_use, e)) == CF_OK && in_use.n > 0 &&
	    !s->force) {
		char *nodes = cf_strv_join(&in_use, ", ");
		rc = cf_err_set(e, CF_E_STATE, f.sha256, "the certificate is in use on %s: revoking it needs force",
				nodes ? nodes : "a node");
		cf_err_reason(e, CF_REASON_NEEDS_FORCE);
		free(nodes);
	}
	if (rc == CF_OK && t.key_pem != NULL &&
	    (rc = cf_key_parse("the certificate's key", (const uint8_t *)t.key_pem, strlen(t.key_pem), &cert_key, e)) ==
		    CF_OK &&
	    !cf_key_matches_cert(cert_key, t.cert))
		rc = cf_err_set(e, CF_E_INPUT, "key", "the key is not the certificate's");
	if (rc == CF_OK)
		rc = cf_acme_account_open(st, tr, t.account, &acct, &account_key, &c, e);
	if (rc == CF_OK) {
		size_t len = 0;
		const uint8_t *der = cf_cert_der(t.cert, &len);
		rc = cf_acme_revoke(c, der, len, reason, cert_key, e);
	}
	if (rc == CF_OK) {
		char object[512];
		if (s->cert != NULL)
			snprintf(object, sizeof(object), "%s", f.sha256);
		else
			snprintf(object, sizeof(object), "%s %s %s", s->node, s->purpose, f.sha256);
		CF_STORE_WRITE(st, e, rc, record_once(st, a, object, t.staged ? &t.acme : NULL, e));
	}
	cf_strv_clear(&in_use);
	cf_facts_free(&f);
	cf_acme_client_free(c);
	cf_key_free(account_key);
	cf_key_free(cert_key);
	cf_acmeaccount_free(&acct);
	target_free(&t);
	return rc;
}
