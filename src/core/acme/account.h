/* ACME accounts (SPEC §7): made at the CA and kept in the store with their keys, listed, and
 * rolled over to a new key (RFC 8555 §7.3.5) without a moment where neither the store nor the CA
 * holds the key in use. Each change is one transaction with its audit row ("acme account add",
 * "acme account rollover"; object the account's name). */
#ifndef CF_ACME_ACCOUNT_H
#define CF_ACME_ACCOUNT_H

#include <stdbool.h>

#include "core/acme/client.h"
#include "core/admin/audit.h"
#include "core/transport.h"
#include "store/store.h"

/* What `acme account add` is given. */
typedef struct cf_acme_account_spec {
	const char *name;
	const char *directory; /* https:// URL of the CA's directory */
	const char *email;     /* NULL: none */
	bool agree_tos;
	const char *ca_file;  /* PEM bundle for the CA's TLS (NULL: the system's); kept as an absolute path */
	const char *key;      /* "ec:prime256v1" (NULL: the default), "rsa:2048", ... */
	const char *eab_kid;  /* external account binding (NULL: none) */
	const char *eab_hmac; /* its MAC key, base64url as the CA gives it */
} cf_acme_account_spec;

/* CF_E_INPUT unless name is 1-64 characters of [A-Za-z0-9._-]. */
cf_code cf_acme_account_check_name(const char *name, cf_err *e);
/* Makes the account at the CA and keeps it: CF_E_INPUT for a bad spec (and a CA that requires an
 * external account binding when none is given, or terms not agreed to), CF_E_STATE when the name
 * is taken, CF_E_REMOTE when the CA cannot be reached or refuses. *out (free with
 * cf_acmeaccount_free; no keys) on success. */
cf_code cf_acme_account_add(cf_store *st, const cf_transport *t, const cf_audit_actor *a,
			    const cf_acme_account_spec *spec, cf_acmeaccount *out, cf_err *e);
/* Rolls the account over to a new key of the same kind. A rollover a crash cut short is
 * finished first (*recovered: the CA already had the kept next key). */
cf_code cf_acme_account_rollover(cf_store *st, const cf_transport *t, const cf_audit_actor *a, const char *name,
				 bool *recovered, cf_err *e);
/* Registers the account again with its own key, at a CA that no longer knows it (a CA whose
 * state was reset answers accountDoesNotExist), and keeps the URL it gives; c signs with it
 * afterwards. Audited as "acme account register". */
cf_code cf_acme_account_reregister(cf_store *st, const cf_audit_actor *a, cf_acme_client *c, const cf_acmeaccount *acct,
				   cf_err *e);
/* The account's key and an open client using it (free both); the account row in *acct (keys
 * cleared). */
cf_code cf_acme_account_open(cf_store *st, const cf_transport *t, const char *name, cf_acmeaccount *acct, cf_key **key,
			     cf_acme_client **client, cf_err *e);

#endif
