/* The store's ACME accounts and HTTP-01 tokens (part of store.h). */
#ifndef CF_STORE_ACME_H
#define CF_STORE_ACME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/served.h"
#include "util/err.h"

typedef struct cf_store cf_store;

/* An ACME account: where it lives, who it is for, its URL at the CA (kid) and its key. */
typedef struct cf_acmeaccount {
	int64_t id;
	char *name, *directory;
	char *ca_file;	    /* the CA bundle the directory's TLS is checked against ("": the system's) */
	char *email;	    /* "" when none */
	char *terms;	    /* the terms of service agreed to ("" when the CA has none) */
	char *kid;	    /* the account URL */
	char *eab_kid;	    /* the external account binding's key id ("" when none) */
	char *key_pem;	    /* secret: only when asked for (NULL otherwise) */
	char *next_key_pem; /* secret: a rollover under way ("" when none; NULL when not asked) */
	int64_t created, rolled;
} cf_acmeaccount;

void cf_acmeaccount_free(cf_acmeaccount *a);

/* An identity's ACME state (SPEC §7): state is "none", "ordering", "staged", "deployed" or
 * "stuck"; the texts are "" when unset. */
typedef struct cf_acmeidentity {
	int64_t node_id;
	char *node, *purpose; /* node: its FQDN, when read */
	int64_t account_id;
	char *account; /* its name, when read */
	char *state;
	bool auto_renew, profile_required;
	char *profile, *deploy_days, *deploy_time;
	char *order_url, *replaces;
	char *staged_pem, *staged_sha256, *alternates; /* alternates: URLs, one a line */
	int64_t staged_at, renew_at, ari_start, ari_end, ari_checked;
	int64_t last_sign_at, last_deploy_at;
	char *last_sign_status, *last_sign_error, *last_deploy_status, *last_deploy_error;
	int64_t failures, first_failure, next_try;
	cf_servedcheck served; /* the last served check of (node, purpose), when read (checked_at 0: none) */
} cf_acmeidentity;

void cf_acmeidentity_free(cf_acmeidentity *r);
/* Replaces one of r's texts (*field) with a copy of v (NULL: ""); false when out of memory. */
bool cf_acmeidentity_set(char **field, const char *v);

/* ---- reads ---- */

/* The account of that name (its keys only when with_keys); CF_E_NOTFOUND when there is none. */
cf_code cf_store_acme_account_get(cf_store *st, const char *name, bool with_keys, cf_acmeaccount *out, cf_err *e);
/* Every account by name, without keys (*v: free each, then v). */
cf_code cf_store_acme_account_list(cf_store *st, cf_acmeaccount **v, size_t *n, cf_err *e);
/* The key authorization of an HTTP-01 token not expired at now (*out, caller frees);
 * CF_E_NOTFOUND when there is none. */
cf_code cf_store_acme_token_get(cf_store *st, const char *token, int64_t now, char **out, cf_err *e);

/* The ACME state of (node, purpose); CF_E_NOTFOUND when it has none. */
cf_code cf_store_acme_identity_get(cf_store *st, int64_t node_id, const char *purpose, cf_acmeidentity *out, cf_err *e);
/* Every identity with an ACME state, by node and purpose (*v: free each, then v). */
cf_code cf_store_acme_identity_list(cf_store *st, cf_acmeidentity **v, size_t *n, cf_err *e);

/* ---- writes (inside cf_store_begin/commit) ---- */

/* Writes r whole (insert or replace; node and account names and the served check are not
 * written). */
cf_code cf_store_acme_identity_put(cf_store *st, const cf_acmeidentity *r, cf_err *e);

/* Adds an account (a->id set); CF_E_STATE when the name is taken. */
cf_code cf_store_acme_account_add(cf_store *st, cf_acmeaccount *a, cf_err *e);
/* A rollover's steps: the next key kept before the CA is asked (next_key_pem), then made the key
 * (key_pem = next_key_pem, rolled = at) once the CA took it. */
cf_code cf_store_acme_account_next_key(cf_store *st, const char *name, const char *next_key_pem, cf_err *e);
cf_code cf_store_acme_account_roll(cf_store *st, const char *name, int64_t at, cf_err *e);
/* The account's URL at the CA (after the CA made it again for the same key). */
cf_code cf_store_acme_account_set_kid(cf_store *st, const char *name, const char *kid, cf_err *e);
/* Keeps a token's key authorization until expires for (node, purpose), replacing one of the
 * same token; drops every expired token. */
cf_code cf_store_acme_token_put(cf_store *st, const char *token, const char *key_authorization, int64_t node_id,
				const char *purpose, int64_t expires, cf_err *e);
/* Drops the tokens of (node, purpose). */
cf_code cf_store_acme_tokens_drop(cf_store *st, int64_t node_id, const char *purpose, cf_err *e);

#endif
