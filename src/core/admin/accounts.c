/* Local accounts. */
#include "core/admin/accounts.h"

#include <stdlib.h>
#include <string.h>

#include "crypto/password.h"
#include "util/clock.h"

cf_code cf_account_check_name(const char *name, cf_err *e)
{
	size_t len = name ? strlen(name) : 0;
	if (len == 0 || len > 64)
		return cf_err_set(e, CF_E_INPUT, "user name", "must be 1 to 64 characters");
	for (size_t i = 0; i < len; i++) {
		char ch = name[i];
		if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '.' ||
		      ch == '_' || ch == '-'))
			return cf_err_set(e, CF_E_INPUT, "user name",
					  "only letters, digits, '.', '_' and '-' are allowed");
	}
	return CF_OK;
}

cf_code cf_account_check_role(const char *role, cf_err *e)
{
	if (role != NULL && (strcmp(role, "admin") == 0 || strcmp(role, "read-only") == 0))
		return CF_OK;
	return cf_err_set(e, CF_E_INPUT, "role", "must be admin or read-only");
}

cf_code cf_account_check_password(const char *password, cf_err *e)
{
	size_t bytes = password ? strlen(password) : 0, chars = 0;
	for (size_t i = 0; i < bytes; i++)
		if (((unsigned char)password[i] & 0xc0) != 0x80)
			chars++;
	if (chars < CF_ACCOUNT_PASSWORD_MIN)
		return cf_err_set(e, CF_E_INPUT, "password", "must be at least %d characters", CF_ACCOUNT_PASSWORD_MIN);
	if (bytes > CF_ACCOUNT_PASSWORD_MAX)
		return cf_err_set(e, CF_E_INPUT, "password", "must be at most %d bytes", CF_ACCOUNT_PASSWORD_MAX);
	return CF_OK;
}

/* Ends a change: commits on success, else rolls back; returns rc. */
static cf_code account_add_once(cf_store *st, const cf_audit_actor *a, const char *name, const char *role,
				const char *password, cf_err *e)
{
	char *hash = NULL;
	cf_code rc;
	if ((rc = cf_account_check_name(name, e)) != CF_OK || (rc = cf_account_check_role(role, e)) != CF_OK ||
	    (rc = cf_account_check_password(password, e)) != CF_OK ||
	    (rc = cf_password_hash(password, &hash, e)) != CF_OK)
		return rc;
	cf_user u = {.name = (char *)name, .role = (char *)role, .password_hash = hash, .created = cf_clock_now()};
	if ((rc = cf_store_begin(st, e)) == CF_OK) {
		rc = cf_store_user_add(st, &u, e);
		if (rc == CF_OK)
			cf_store_audit_pending(st, a->account, a->client, "user add", name);
		rc = cf_store_finish(st, rc, e);
	}
	free(hash);
	return rc;
}

cf_code cf_account_add(cf_store *st, const cf_audit_actor *a, const char *name, const char *role, const char *password,
		       cf_err *e)
{
	cf_code rc;
	CF_STORE_WRITE(st, e, rc, account_add_once(st, a, name, role, password, e));
	return rc;
}

static cf_code account_delete_once(cf_store *st, const cf_audit_actor *a, const char *name, cf_err *e)
{
	cf_code rc = cf_store_begin(st, e);
	if (rc != CF_OK)
		return rc;
	rc = cf_store_user_delete(st, name, e);
	if (rc == CF_OK)
		cf_store_audit_pending(st, a->account, a->client, "user delete", name);
	return cf_store_finish(st, rc, e);
}

cf_code cf_account_delete(cf_store *st, const cf_audit_actor *a, const char *name, cf_err *e)
{
	cf_code rc;
	CF_STORE_WRITE(st, e, rc, account_delete_once(st, a, name, e));
	return rc;
}

static cf_code account_passwd_once(cf_store *st, const cf_audit_actor *a, const char *name, const char *password,
				   cf_err *e)
{
	char *hash = NULL;
	cf_code rc;
	if ((rc = cf_account_check_password(password, e)) != CF_OK ||
	    (rc = cf_password_hash(password, &hash, e)) != CF_OK)
		return rc;
	if ((rc = cf_store_begin(st, e)) == CF_OK) {
		rc = cf_store_user_set_password(st, name, hash, e);
		if (rc == CF_OK)
			cf_store_audit_pending(st, a->account, a->client, "user passwd", name);
		rc = cf_store_finish(st, rc, e);
	}
	free(hash);
	return rc;
}

cf_code cf_account_passwd(cf_store *st, const cf_audit_actor *a, const char *name, const char *password, cf_err *e)
{
	cf_code rc;
	CF_STORE_WRITE(st, e, rc, account_passwd_once(st, a, name, password, e));
	return rc;
}
