/* Identity certificates (SPEC §3.1–§3.4): self-signed generation, CSRs, uploads of
 * CA-signed certificates. Each public function is one transaction. */
#ifndef CF_IDENTITY_H
#define CF_IDENTITY_H

#include "core/fleet/deployment.h"
#include "core/model/names.h"
#include "core/transport.h"

typedef struct cf_issue_opts {
	const char *key;  /* "rsa:2048", "ec:prime256v1", ...; NULL = the purpose's default */
	const char *hash; /* NULL = sha256 */
	int days;	  /* self-signed validity; 0 = the purpose's default */
	bool multi_server;
	const char *cn; /* CSR: overrides the default CN */
	bool reuse_key; /* CSR: use the current identity's key */
	bool force;	/* self-signed: replace a CA-signed identity anyway */
} cf_issue_opts;

/* Replaces the identity of (node, purpose) with a new self-signed certificate. A CA-signed
 * identity is replaced only with opts->force (CF_E_STATE otherwise: every peer that trusts its CA
 * breaks); a forced replacement of a multi-server identity is multi-server too, made on the
 * publisher (a subscriber is CF_E_STATE naming it), so it covers every node in scope. */
cf_code cf_identity_self_signed(cf_store *st, const char *node, const char *purpose, const cf_issue_opts *opts,
				cf_outcome *out, cf_err *e);

/* Inside node add's transaction: the self-signed identities of a fresh installation. */
cf_code cf_identity_defaults(cf_store *st, const char *node, cf_outcome *out, cf_err *e);

/* A pending CSR as shown to an operator. */
typedef struct cf_identity_csr_view {
	char *node, *purpose;
	cf_facts facts;
	char *pem;
	char *hash;
	char *distribution;
	int64_t created;
} cf_identity_csr_view;

void cf_identity_csr_view_free(cf_identity_csr_view *v);

/* Generates (and stores, replacing any pending one) the CSR for (node, purpose). */
cf_code cf_identity_csr_generate(cf_store *st, const char *node, const char *purpose, const cf_issue_opts *opts,
				 cf_identity_csr_view *out, cf_err *e);
/* What a CSR of (node, purpose) would carry, without making one (the page shows the alternative
 * names "as they will appear"): CN, SAN and scope in *names, the purpose's default key as
 * "rsa:2048" or "ec:prime256v1" in key. The same refusals as cf_identity_csr_generate. */
cf_code cf_identity_csr_preview(cf_store *st, const char *node, const char *purpose, bool multi_server, cf_names *names,
				char key[32], cf_err *e);
cf_code cf_identity_csr_show(cf_store *st, const char *node, const char *purpose, cf_identity_csr_view *out, cf_err *e);
cf_code cf_identity_csr_discard(cf_store *st, const char *node, const char *purpose, cf_err *e);

/* Uploads a CA-signed certificate (leaf, then optionally its chain; PEM or DER) for
 * (node, purpose): the checks of SPEC §3.4 in order, then the warnings; on success the
 * certificate replaces the identity on every node in scope and the CSR is consumed.
 * key (may be NULL) is an unencrypted PEM private key given with the certificate. force uploads
 * past the gates peers need (a SAN without a node of the scope or the node's own name, usage bits
 * the CSR asked for and the purpose needs, each CF_E_INPUT naming its rule id); they are then the
 * upload's warnings. With revocation checking and OCSP on, OCSP is asked through net before the
 * change's transaction begins. */
cf_code cf_identity_upload(cf_store *st, const cf_transport *net, const char *node, const char *purpose,
			   const char *name, const uint8_t *buf, size_t len, const char *key_name, const uint8_t *key,
			   size_t key_len, const char *description, bool force, cf_outcome *out, cf_err *e);
/* The same for a certificate an issuer certfleet runs made from the pending CSR (PEM, leaf then
 * chain; never forced), recorded with that source ("local-ca"). */
cf_code cf_identity_upload_issued(cf_store *st, const cf_transport *net, const char *node, const char *purpose,
				  const char *name, const char *pem, const char *description, const char *source,
				  cf_outcome *out, cf_err *e);

#endif
