/* Revoking a certificate at its ACME CA (SPEC §7, RFC 8555 §7.6): an identity's staged ACME
 * certificate (or, when nothing is staged, its deployed one), or a certificate file; signed with
 * the account's key or the certificate's own. A certificate some node serves (a stored identity)
 * is refused unless forced: revoking it breaks every peer that checks revocation. Audited as
 * "acme revoke"; a revoked staged certificate is dropped from the identity's ACME state. */
#ifndef CF_ACME_REVOKE_H
#define CF_ACME_REVOKE_H

#include <stdbool.h>

#include "core/admin/audit.h"
#include "core/transport.h"
#include "store/store.h"

typedef struct cf_acme_revoke_spec {
	const char *node, *purpose; /* an identity's certificate, or ... */
	const char *cert_name;	    /* ... a certificate file (PEM or DER): its name and bytes */
	const uint8_t *cert;
	size_t cert_len;
	const char *account; /* the ACME account (NULL: the identity's) */
	const char *reason;  /* unspecified (NULL), keyCompromise, superseded, cessationOfOperation */
	/* sign with the certificate's own key: the identity's (or the pending CSR's, for a staged
	 * certificate), or key (PEM, key_len bytes) for a file */
	bool with_cert_key;
	const uint8_t *key;
	size_t key_len;
	bool force; /* revoke a certificate in use */
} cf_acme_revoke_spec;

/* The RFC 5280 reason code of a reason name (NULL: unspecified); -1 for any other. */
int cf_acme_reason_code(const char *name);

/* Revokes it: CF_E_INPUT for a bad reason or certificate, CF_E_STATE for a certificate in use
 * without force (naming the nodes), CF_E_NOTFOUND for an unknown node, identity or account,
 * CF_E_REMOTE when the CA refuses. *sha256 (65 bytes) names the certificate revoked. */
cf_code cf_acme_revoke_cert(cf_store *st, const cf_transport *t, const cf_audit_actor *a, const cf_acme_revoke_spec *s,
			    char sha256[65], cf_err *e);

#endif
