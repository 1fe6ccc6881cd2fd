/* Local accounts: names, roles and scrypt password hashes. Each change is one transaction that
 * also appends its audit row (action "user add" | "user delete" | "user passwd", object the
 * user name, result "ok"). */
#ifndef CF_ACCOUNTS_H
#define CF_ACCOUNTS_H

#include "core/admin/audit.h"
#include "store/store.h"

#define CF_ACCOUNT_PASSWORD_MIN 12   /* characters */
#define CF_ACCOUNT_PASSWORD_MAX 1024 /* bytes */

/* CF_E_INPUT unless name is 1-64 characters of [A-Za-z0-9._-]. */
cf_code cf_account_check_name(const char *name, cf_err *e);
/* CF_E_INPUT unless role is "admin" or "read-only". */
cf_code cf_account_check_role(const char *role, cf_err *e);
/* CF_E_INPUT unless password has at least CF_ACCOUNT_PASSWORD_MIN characters (UTF-8 code points) and
 * at most CF_ACCOUNT_PASSWORD_MAX bytes. Never puts the password in the message. */
cf_code cf_account_check_password(const char *password, cf_err *e);

/* Adds a user; CF_E_STATE when the name is taken. */
cf_code cf_account_add(cf_store *st, const cf_audit_actor *a, const char *name, const char *role, const char *password,
		       cf_err *e);
/* Deletes a user; CF_E_NOTFOUND when there is none. */
cf_code cf_account_delete(cf_store *st, const cf_audit_actor *a, const char *name, cf_err *e);
/* Sets a new password; CF_E_NOTFOUND when there is no such user. */
cf_code cf_account_passwd(cf_store *st, const cf_audit_actor *a, const char *name, const char *password, cf_err *e);

#endif
