/* The store's administrator accounts and audit log (part of store.h). */
#ifndef CF_STORE_ADMIN_H
#define CF_STORE_ADMIN_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

typedef struct cf_store cf_store;

typedef struct cf_user {
	int64_t id;
	char *name;
	char *role;	     /* "admin" | "read-only" */
	char *password_hash; /* "$scrypt$..."; never printed */
	int64_t created;
	int64_t failed_logins;
	int64_t locked_until; /* epoch seconds; 0 when not locked */
} cf_user;

typedef struct cf_auditrow {
	int64_t id;
	int64_t at; /* epoch seconds */
	char *account, *client, *action, *object, *result;
} cf_auditrow;

void cf_user_free(cf_user *u);
void cf_users_free(cf_user *v, size_t n);
void cf_auditrows_free(cf_auditrow *v, size_t n);

/* ---- reads ---- */

/* By name; CF_E_NOTFOUND names the user. */
cf_code cf_store_user_get(cf_store *st, const char *name, cf_user *out, cf_err *e);
/* Every user, by name (password hashes included; callers never print them). */
cf_code cf_store_users(cf_store *st, cf_user **out, size_t *n, cf_err *e);
/* Rows newest first, skipping offset and returning at most limit; *total is the count of all. */
cf_code cf_store_audit_list(cf_store *st, int64_t limit, int64_t offset, cf_auditrow **out, size_t *n, int64_t *total,
			    cf_err *e);

/* ---- writes (inside cf_store_begin/commit) ---- */

/* Adds a user (sets u->id and keeps u->created); CF_E_STATE when the name is taken. */
cf_code cf_store_user_add(cf_store *st, cf_user *u, cf_err *e);
/* CF_E_NOTFOUND when there is no such user. */
cf_code cf_store_user_delete(cf_store *st, const char *name, cf_err *e);
/* Replaces the password hash (and clears failed logins and any lock); CF_E_NOTFOUND. */
cf_code cf_store_user_set_password(cf_store *st, const char *name, const char *password_hash, cf_err *e);
/* Records the outcome of a login: the consecutive failures and until when (epoch seconds, 0 for
 * not) the account is locked. CF_E_NOTFOUND when there is no such user. */
cf_code cf_store_user_set_login_state(cf_store *st, const char *name, int64_t failed_logins, int64_t locked_until,
				      cf_err *e);
/* Appends one row (its id is returned in *id when id is non-NULL). Changes made through a
 * command append theirs with cf_store_audit_pending (store.h) instead. */
cf_code cf_store_audit_append(cf_store *st, const cf_auditrow *r, int64_t *id, cf_err *e);

#endif
