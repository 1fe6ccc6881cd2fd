/* The store's ACME accounts and HTTP-01 tokens. */
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"
#include "util/clock.h"
#include "util/grow.h"
#include "util/secret.h"

#define D (st->drv)

void cf_acmeaccount_free(cf_acmeaccount *a)
{
	if (a == NULL)
		return;
	free(a->name);
	free(a->directory);
	free(a->ca_file);
	free(a->email);
	free(a->terms);
	free(a->kid);
	free(a->eab_kid);
	cf_secret_free(a->key_pem);
	cf_secret_free(a->next_key_pem);
	memset(a, 0, sizeof(*a));
}

#define ACCOUNT_COLS "id, name, directory, ca_file, email, terms, kid, eab_kid, created, rolled"

static void read_account(cf_store *st, cf_stmt *s, cf_acmeaccount *a)
{
	a->id = D->col_int(s, 0);
	a->name = cf_store_dup(D->col_text(s, 1));
	a->directory = cf_store_dup(D->col_text(s, 2));
	a->ca_file = cf_store_dup(D->col_text(s, 3));
	a->email = cf_store_dup(D->col_text(s, 4));
	a->terms = cf_store_dup(D->col_text(s, 5));
	a->kid = cf_store_dup(D->col_text(s, 6));
	a->eab_kid = cf_store_dup(D->col_text(s, 7));
	a->created = D->col_int(s, 8);
	a->rolled = D->col_int(s, 9);
}

cf_code cf_store_acme_account_get(cf_store *st, const char *name, bool with_keys, cf_acmeaccount *out, cf_err *e)
{
	cf_stmt *s = NULL;
	cf_code rc = cf_store_prep(
		st, "SELECT " ACCOUNT_COLS ", key_pem, next_key_pem FROM acme_accounts WHERE name = $1", &s, e);
	if (rc != CF_OK)
		return rc;
	D->bind_text(s, 1, name);
	int r = D->step(s, e);
	if (r == 1) {
		memset(out, 0, sizeof(*out));
		read_account(st, s, out);
		if (with_keys) {
			out->key_pem = cf_store_dup(D->col_text(s, 10));
			out->next_key_pem = cf_store_dup(D->col_text(s, 11));
		}
	}
	cf_store_release(st, s);
	if (r == 0)
		return cf_err_set(e, CF_E_NOTFOUND, name, "no such ACME account");
	return r == 1 ? CF_OK : (e ? e->code : CF_E_INTERNAL);
}

cf_code cf_store_acme_account_list(cf_store *st, cf_acmeaccount **v, size_t *n, cf_err *e)
{
	cf_stmt *s = NULL;
	*v = NULL;
	*n = 0;
	cf_code rc = cf_store_prep(st, "SELECT " ACCOUNT_COLS " FROM acme_accounts ORDER BY name", &s, e);
	if (rc != CF_OK)
		return rc;
	size_t cap = 0;
	int r;
	while ((r = D->step(s, e)) == 1) {
		if (cf_grow(v, &cap, *n, sizeof(**v)) != 0) {
			r = -1;
			cf_err_set(e, CF_E_INTERNAL, "store", "out of memory");
			break;
		}
		memset(&(*v)[*n], 0, sizeof(**v));
		read_account(st, s, &(*v)[(*n)++]);
	}
	cf_store_release(st, s);
	if (r < 0) {
		for (size_t i = 0; i < *n; i++)
			cf_acmeaccount_free(&(*v)[i]);
		free(*v);
		*v = NULL;
		*n = 0;
		return e ? e->code : CF_E_INTERNAL;
	}
	return CF_OK;
}

cf_code cf_store_acme_account_add(cf_store *st, cf_acmeaccount *a, cf_err *e)
{
	cf_stmt *s = NULL;
	cf_code rc = cf_store_prep(st,
				   "INSERT INTO acme_accounts (name, directory, ca_file, email, terms, kid, key_pem,"
				   " eab_kid, created) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
				   &s, e);
	if (rc != CF_OK)
		return rc;
	D->bind_text(s, 1, a->name);
	D->bind_text(s, 2, a->directory);
	D->bind_text(s, 3, a->ca_file ? a->ca_file : "");
	D->bind_text(s, 4, a->email ? a->email : "");
	D->bind_text(s, 5, a->terms ? a->terms : "");
	D->bind_text(s, 6, a->kid);
	D->bind_text(s, 7, a->key_pem);
	D->bind_text(s, 8, a->eab_kid ? a->eab_kid : "");
	D->bind_int(s, 9, a->created);
	int r = D->step(s, e);
	if (r == 1)
		a->id = D->col_int(s, 0);
	cf_store_release(st, s);
	if (r < 0 && e && e->code == CF_E_STATE)
		return cf_err_set(e, CF_E_STATE, a->name, "an ACME account of that name already exists");
	return r == 1 ? CF_OK : (e ? e->code : CF_E_INTERNAL);
}

/* Runs an UPDATE of one account by name ($1), its other parameters bound by the caller's
 * values: text t2 ($2) and int i3 ($3) when the statement has them. */
static cf_code account_update(cf_store *st, const char *sql, const char *name, const char *t2, int64_t i3, cf_err *e)
{
	cf_stmt *s = NULL;
	cf_code rc = cf_store_prep(st, sql, &s, e);
	if (rc != CF_OK)
		return rc;
	D->bind_text(s, 1, name);
	if (t2 != NULL)
		D->bind_text(s, 2, t2);
	else
		D->bind_int(s, 2, i3);
	int64_t changed = 0;
	rc = cf_store_run_counted(st, s, &changed, e);
	if (rc == CF_OK && changed == 0)
		rc = cf_err_set(e, CF_E_NOTFOUND, name, "no such ACME account");
	return rc;
}

cf_code cf_store_acme_account_next_key(cf_store *st, const char *name, const char *next_key_pem, cf_err *e)
{
	return account_update(st, "UPDATE acme_accounts SET next_key_pem = $2 WHERE name = $1", name, next_key_pem, 0,
			      e);
}

cf_code cf_store_acme_account_roll(cf_store *st, const char *name, int64_t at, cf_err *e)
{
	return account_update(st,
			      "UPDATE acme_accounts SET key_pem = next_key_pem, next_key_pem = '', rolled = $2"
			      " WHERE name = $1 AND next_key_pem <> ''",
			      name, NULL, at, e);
}

cf_code cf_store_acme_account_set_kid(cf_store *st, const char *name, const char *kid, cf_err *e)
{
	return account_update(st, "UPDATE acme_accounts SET kid = $2 WHERE name = $1", name, kid, 0, e);
}

cf_code cf_store_acme_token_get(cf_store *st, const char *token, int64_t now, char **out, cf_err *e)
{
	cf_stmt *s = NULL;
	cf_code rc =
		cf_store_prep(st, "SELECT key_authorization FROM acme_tokens WHERE token = $1 AND expires > $2", &s, e);
	if (rc != CF_OK)
		return rc;
	D->bind_text(s, 1, token);
	D->bind_int(s, 2, now);
	int r = D->step(s, e);
	if (r == 1 && (*out = strdup(D->col_text(s, 0))) == NULL)
		rc = cf_err_set(e, CF_E_INTERNAL, "store", "out of memory");
	cf_store_release(st, s);
	if (r == 0)
		return cf_err_set(e, CF_E_NOTFOUND, "token", "no such ACME challenge token");
	return r < 0 ? (e ? e->code : CF_E_INTERNAL) : rc;
}

cf_code cf_store_acme_token_put(cf_store *st, const char *token, const char *key_authorization, int64_t node_id,
				const char *purpose, int64_t expires, cf_err *e)
{
	cf_stmt *s = NULL;
	cf_code rc = cf_store_prep(st, "DELETE FROM acme_tokens WHERE token = $1 OR expires <= $2", &s, e);
	if (rc != CF_OK)
		return rc;
	D->bind_text(s, 1, token);
	D->bind_int(s, 2, cf_clock_now());
	if ((rc = cf_store_run(st, s, e)) != CF_OK ||
	    (rc = cf_store_prep(st,
				"INSERT INTO acme_tokens (token, key_authorization, node_id, purpose, expires)"
				" VALUES ($1, $2, $3, $4, $5)",
				&s, e)) != CF_OK)
		return rc;
	D->bind_text(s, 1, token);
	D->bind_text(s, 2, key_authorization);
	D->bind_int(s, 3, node_id);
	D->bind_text(s, 4, purpose);
	D->bind_int(s, 5, expires);
	return cf_store_run(st, s, e);
}

cf_code cf_store_acme_tokens_drop(cf_store *st, int64_t node_id, const char *purpose, cf_err *e)
{
	cf_stmt *s = NULL;
	cf_code rc = cf_store_prep(st, "DELETE FROM acme_tokens WHERE node_id = $1 AND purpose = $2", &s, e);
	if (rc != CF_OK)
		return rc;
	D->bind_int(s, 1, node_id);
	D->bind_text(s, 2, purpose);
	return cf_store_run(st, s, e);
}

/* ---- identities ---------------------------------------------------------------------------- */

void cf_acmeidentity_free(cf_acmeidentity *r)
{
	if (r == NULL)
		return;
	char **texts[] = {&r->node,
			  &r->purpose,
			  &r->account,
			  &r->state,
			  &r->profile,
			  &r->deploy_days,
			  &r->deploy_time,
			  &r->order_url,
			  &r->replaces,
			  &r->staged_pem,
			  &r->staged_sha256,
			  &r->alternates,
			  &r->last_sign_status,
			  &r->last_sign_error,
			  &r->last_deploy_status,
			  &r->last_deploy_error};
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
		free(*texts[i]);
	cf_servedcheck_free(&r->served);
	memset(r, 0, sizeof(*r));
}

bool cf_acmeidentity_set(char **field, const char *v)
{
	char *copy = strdup(v != NULL ? v : "");
	if (copy == NULL)
		return false;
	free(*field);
	*field = copy;
	return true;
}

#define IDENTITY_COLS                                                                                                  \
	"i.node_id, n.fqdn, i.purpose, i.account_id, a.name, i.state, i.auto, i.profile_required, i.profile,"          \
	" i.deploy_days, i.deploy_time, i.order_url, i.replaces, i.staged_pem, i.staged_sha256, i.alternates,"         \
	" i.staged_at, i.renew_at, i.ari_start, i.ari_end, i.ari_checked, i.last_sign_at, i.last_deploy_at,"           \
	" i.last_sign_status, i.last_sign_error, i.last_deploy_status, i.last_deploy_error, i.failures,"               \
	" i.first_failure, i.next_try, c.checked_at, c.address, c.served_sha256, c.stored_sha256, c.error"             \
	" FROM acme_identities i JOIN nodes n ON n.id = i.node_id JOIN acme_accounts a ON a.id = i.account_id"         \
	" LEFT JOIN served_checks c ON c.node_id = i.node_id AND c.purpose = i.purpose"

static void read_identity(cf_store *st, cf_stmt *s, cf_acmeidentity *r)
{
	memset(r, 0, sizeof(*r));
	r->node_id = D->col_int(s, 0);
	r->node = cf_store_dup(D->col_text(s, 1));
	r->purpose = cf_store_dup(D->col_text(s, 2));
	r->account_id = D->col_int(s, 3);
	r->account = cf_store_dup(D->col_text(s, 4));
	r->state = cf_store_dup(D->col_text(s, 5));
	r->auto_renew = D->col_int(s, 6) != 0;
	r->profile_required = D->col_int(s, 7) != 0;
	r->profile = cf_store_dup(D->col_text(s, 8));
	r->deploy_days = cf_store_dup(D->col_text(s, 9));
	r->deploy_time = cf_store_dup(D->col_text(s, 10));
	r->order_url = cf_store_dup(D->col_text(s, 11));
	r->replaces = cf_store_dup(D->col_text(s, 12));
	r->staged_pem = cf_store_dup(D->col_text(s, 13));
	r->staged_sha256 = cf_store_dup(D->col_text(s, 14));
	r->alternates = cf_store_dup(D->col_text(s, 15));
	r->staged_at = D->col_int(s, 16);
	r->renew_at = D->col_int(s, 17);
	r->ari_start = D->col_int(s, 18);
	r->ari_end = D->col_int(s, 19);
	r->ari_checked = D->col_int(s, 20);
	r->last_sign_at = D->col_int(s, 21);
	r->last_deploy_at = D->col_int(s, 22);
	r->last_sign_status = cf_store_dup(D->col_text(s, 23));
	r->last_sign_error = cf_store_dup(D->col_text(s, 24));
	r->last_deploy_status = cf_store_dup(D->col_text(s, 25));
	r->last_deploy_error = cf_store_dup(D->col_text(s, 26));
	r->failures = D->col_int(s, 27);
	r->first_failure = D->col_int(s, 28);
	r->next_try = D->col_int(s, 29);
	/* the served check, when there is one (the LEFT JOIN's NULLs: 0 and "") */
	r->served.node_id = r->node_id;
	r->served.node = cf_store_dup(r->node);
	r->served.purpose = cf_store_dup(r->purpose);
	r->served.checked_at = D->col_int(s, 30);
	r->served.address = cf_store_dup(D->col_text(s, 31));
	r->served.served_sha256 = cf_store_dup(D->col_text(s, 32));
	r->served.stored_sha256 = cf_store_dup(D->col_text(s, 33));
	r->served.error = cf_store_dup(D->col_text(s, 34));
}

cf_code cf_store_acme_identity_get(cf_store *st, int64_t node_id, const char *purpose, cf_acmeidentity *out, cf_err *e)
{
	cf_stmt *s = NULL;
	cf_code rc = cf_store_prep(st, "SELECT " IDENTITY_COLS " WHERE i.node_id = $1 AND i.purpose = $2", &s, e);
	if (rc != CF_OK)
		return rc;
	D->bind_int(s, 1, node_id);
	D->bind_text(s, 2, purpose);
	int r = D->step(s, e);
	if (r == 1)
		read_identity(st, s, out);
	cf_store_release(st, s);
	if (r == 0)
		return cf_err_set(e, CF_E_NOTFOUND, purpose, "no ACME state for this purpose");
	return r == 1 ? CF_OK : (e ? e->code : CF_E_INTERNAL);
}

cf_code cf_store_acme_identity_list(cf_store *st, cf_acmeidentity **v, size_t *n, cf_err *e)
{
	cf_stmt *s = NULL;
	*v = NULL;
	*n = 0;
	cf_code rc = cf_store_prep(st, "SELECT " IDENTITY_COLS " ORDER BY n.fqdn, i.purpose", &s, e);
	if (rc != CF_OK)
		return rc;
	size_t cap = 0;
	int r;
	while ((r = D->step(s, e)) == 1) {
		if (cf_grow(v, &cap, *n, sizeof(**v)) != 0) {
			r = -1;
			cf_err_set(e, CF_E_INTERNAL, "store", "out of memory");
			break;
		}
		read_identity(st, s, &(*v)[(*n)++]);
	}
	cf_store_release(st, s);
	if (r < 0) {
		for (size_t i = 0; i < *n; i++)
			cf_acmeidentity_free(&(*v)[i]);
		free(*v);
		*v = NULL;
		*n = 0;
		return e ? e->code : CF_E_INTERNAL;
	}
	return CF_OK;
}

/* t, or "" for NULL. */
static const char *text(const char *t)
{
	return t != NULL ? t : "";
}

cf_code cf_store_acme_identity_put(cf_store *st, const cf_acmeidentity *r, cf_err *e)
{
	cf_stmt *s = NULL;
	cf_code rc = cf_store_prep(
		st,
		"INSERT INTO acme_identities (node_id, purpose, account_id, state, auto, profile_required, profile,"
		" deploy_days, deploy_time, order_url, replaces, staged_pem, staged_sha256, alternates, staged_at,"
		" renew_at, ari_start, ari_end, ari_checked, last_sign_at, last_deploy_at, last_sign_status,"
		" last_sign_error, last_deploy_status, last_deploy_error, failures, first_failure, next_try)"
		" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, "
		"$21,"
		" $22, $23, $24, $25, $26, $27, $28)"
		" ON CONFLICT (node_id, purpose) DO UPDATE SET account_id = excluded.account_id, state = "
		"excluded.state,"
		" auto = excluded.auto, profile_required = excluded.profile_required, profile = excluded.profile,"
		" deploy_days = excluded.deploy_days, deploy_time = excluded.deploy_time,"
		" order_url = excluded.order_url, replaces = excluded.replaces, staged_pem = excluded.staged_pem,"
		" staged_sha256 = excluded.staged_sha256, alternates = excluded.alternates,"
		" staged_at = excluded.staged_at, renew_at = excluded.renew_at, ari_start = excluded.ari_start,"
		" ari_end = excluded.ari_end, ari_checked = excluded.ari_checked,"
		" last_sign_at = excluded.last_sign_at, last_deploy_at = excluded.last_deploy_at,"
		" last_sign_status = excluded.last_sign_status, last_sign_error = excluded.last_sign_error,"
		" last_deploy_status = excluded.last_deploy_status, last_deploy_error = excluded.last_deploy_error,"
		" failures = excluded.failures, first_failure = excluded.first_failure, next_try = excluded.next_try",
		&s, e);
	if (rc != CF_OK)
		return rc;
	D->bind_int(s, 1, r->node_id);
	D->bind_text(s, 2, r->purpose);
	D->bind_int(s, 3, r->account_id);
	D->bind_text(s, 4, r->state != NULL ? r->state : "none");
	D->bind_int(s, 5, r->auto_renew);
	D->bind_int(s, 6, r->profile_required);
	D->bind_text(s, 7, text(r->profile));
	D->bind_text(s, 8, text(r->deploy_days));
	D->bind_text(s, 9, text(r->deploy_time));
	D->bind_text(s, 10, text(r->order_url));
	D->bind_text(s, 11, text(r->replaces));
	D->bind_text(s, 12, text(r->staged_pem));
	D->bind_text(s, 13, text(r->staged_sha256));
	D->bind_text(s, 14, text(r->alternates));
	D->bind_int(s, 15, r->staged_at);
	D->bind_int(s, 16, r->renew_at);
	D->bind_int(s, 17, r->ari_start);
	D->bind_int(s, 18, r->ari_end);
	D->bind_int(s, 19, r->ari_checked);
	D->bind_int(s, 20, r->last_sign_at);
	D->bind_int(s, 21, r->last_deploy_at);
	D->bind_text(s, 22, text(r->last_sign_status));
	D->bind_text(s, 23, text(r->last_sign_error));
	D->bind_text(s, 24, text(r->last_deploy_status));
	D->bind_text(s, 25, text(r->last_deploy_error));
	D->bind_int(s, 26, r->failures);
	D->bind_int(s, 27, r->first_failure);
	D->bind_int(s, 28, r->next_try);
	return cf_store_run(st, s, e);
}
