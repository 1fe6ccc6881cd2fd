/* Shared by identity.c and upload.c. */
#ifndef CF_IDENTITY_INT_H
#define CF_IDENTITY_INT_H

#include <strings.h>

#include "core/lifecycle/identity.h"
#include "core/model/names.h"

/* A new identity to install. */
typedef struct cf_identity_new {
	const cf_cert *cert;
	const char *key_pem;
	const char *chain_pem;
	const char *source;
	const char *description;
	const char *warnings_json;
	const char *anchor_sha256; /* the trust certificate the chain ended at (self-signed: none) */
	bool multi_server;
} cf_identity_new;

/* Inside a transaction: makes id the identity of p on every node of scope (FQDNs), and for
 * a self-signed one replaces its copies in the purpose's trust store cluster-wide. */
cf_code cf_identity_install(cf_store *st, const cf_nodectx *ctx, const cf_purpose *p, const cf_strv *scope,
			    const cf_identity_new *id, cf_outcome *out, cf_err *e);
/* The key for the purpose from --key (or its default); refuses a type the purpose can't use. */
cf_code cf_identity_keyspec(const cf_purpose *p, const char *key, cf_keyspec *out, cf_warnings *w, cf_err *e);
/* The subject and extensions of a certificate or CSR of p on ctx's node. */
cf_reqspec cf_identity_reqspec(const cf_nodectx *ctx, const cf_purpose *p, const cf_names *names, cf_keytype key,
			       const char *hash);
/* Multi-server needs a purpose with a scope and the publisher. */
cf_code cf_identity_check_multi(const cf_nodectx *ctx, const cf_purpose *p, cf_err *e);

#endif
