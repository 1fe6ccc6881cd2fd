/* The store's administrator accounts and the audit log. */
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"
#include "util/grow.h"
#include "util/text.h"

#define D (st->drv)

/* ---- accounts --------------------------------------------------------------------------------- */

void cf_user_free(cf_user *u)
{
	if (u == NULL)
		return;
	free(u->name);
	free(u->role);
	free(u->password_hash);
	memset(u, 0, sizeof(*u));
}

void cf_users_free(cf_user *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		cf_user_free(&v[i]);
	free(v);
}

cf_code cf_store_user_add(cf_store *st, cf_user *u, cf_err *e)
{
	cf_stmt *s = NULL;
	cf_code rc = cf_store_prep(st,
				   "INSERT INTO users (name, role, password_hash, created) VALUES ($1, $2, $3, $4) "
				   "RETURNING id",
				   &s, e);
	if (rc != CF_OK)
		return rc;
	D->bind_text(s, 1, u->name);
	D->bind_text(s, 2, u->role);
	D->bind_text(s, 3, u->password_hash);
	D->bind_int(s, 4, u->created);
	int r = D->step(s, e);
	if (r == 1)
		u->id = D->col_int(s, 0);
	cf_store_release(st, s);
	if (r < 0 && e && e->code == CF_E_STATE)
		return cf_err_set(e, CF_E_STATE, u->name, "a user of that name already exists");
	return r == 1 ? CF_OK : (e ? e->code : CF_E_INTERNAL);
}

#define USER_COLS "id, name, role, password_hash, created, failed_logins, locked_until"

static void read_user(cf_store *st, cf_stmt *s, cf_user *u)
{
	u->id = D->col_int(s, 0);
	u->name = cf_store_dup(D->col_text(s, 1));
	u->role = cf_store_dup(D->col_text(s, 2));
	u->password_hash = cf_store_dup(D->col_text(s, 3));
	u->created = D->col_int(s, 4);
	u->failed_logins = D->col_int(s, 5);
	u->locked_until = D->col_int(s, 6);
}

cf_code cf_store_user_get(cf_store *st, const char *name, cf_user *out, cf_err *e)
{
	cf_stmt *s = NULL;
	cf_code rc = cf_store_prep(st, "SELECT " USER_COLS " FROM users WHERE name = $1", &s, e);
	if (rc != CF_OK)
		return rc;
	D->bind_text(s, 1, name);
	int r = D->step(s, e);
	if (r == 1)
		read_user(st, s, out);
	cf_store_release(st, s);
	if (r == 0)
		return cf_err_set(e, CF_E_NOTFOUND, name, "no such user");
	return r == 1 ? CF_OK : (e ? e->code : CF_E_INTERNAL);
}

cf_code cf_store_users(cf_store *st, cf_user **out, size_t *n, cf_err *e)
{
	cf_stmt *s = NULL;
	cf_code rc = cf_store_prep(st, "SELECT " USER_COLS " FROM users ORDER BY name", &s, e);
	if (rc != CF_OK)
		return rc;
	cf_user *v = NULL;
	size_t count = 0, cap = 0;
	int r;
	while ((r = D->step(s, e)) == 1) {
		if (cf_grow(&v, &cap, count, sizeof(*v)) != 0) {
			r = -1;
			cf_err_set(e, CF_E_INTERNAL, "users", "out of memory");
			break;
		}
		memset(&v[count], 0, sizeof(v[count]));
		read_user(st, s, &v[count++]);
	}
	cf_store_release(st, s);
	if (r < 0) {
		cf_users_free(v, count);
		return e ? e->code : CF_E_INTERNAL;
	}
	*out = v;
	*n = count;
	return CF_OK;
}

cf_code cf_store_user_delete(cf_store *st, const char *name, cf_err *e)
{
	int64_t changed = 0;
	cf_stmt *s = NULL;
	cf_code rc = cf_store_prep(st, "DELETE FROM users WHERE name = $1", &s, e);
	if (rc != CF_OK)
		return rc;
	D->bind_text(s, 1, name);
	if ((rc = cf_store_run_counted(st, s, &changed, e)) != CF_OK)
		return rc;
	if (changed == 0)
		return cf_err_set(e, CF_E_NOTFOUND, name, "no such user");
	return CF_OK;
}

cf_code cf_store_user_set_password(cf_store *st, const char *name, const char *password_hash, cf_err *e)
{
	int64_t changed = 0;
	cf_stmt *s = NULL;
	cf_code rc = cf_store_prep(st,
				   "UPDATE users SET password_hash = $1, failed_logins = 0, locked_until = 0 "
				   "WHERE name = $2",
				   &s, e);
	if (rc != CF_OK)
		return rc;
	D->bind_text(s, 1, password_hash);
	D->bind_text(s, 2, name);
	if ((rc = cf_store_run_counted(st, s, &changed, e)) != CF_OK)
		return rc;
	if (changed == 0)
		return cf_err_set(e, CF_E_NOTFOUND, name, "no such user");
	return CF_OK;
}

/* ---- audit log ---------------------------------------------------------------------------------- */

void cf_auditrows_free(cf_auditrow *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++) {
		free(v[i].account);
		free(v[i].client);
		free(v[i].action);
		free(v[i].object);
		free(v[i].result);
	}
	free(v);
}

cf_code cf_store_audit_append(cf_store *st, const cf_auditrow *a, int64_t *id, cf_err *e)
{
	/* the row records what was asked, even a name that is not UTF-8 (which a change refuses on
	 * PostgreSQL): bytes that are not UTF-8 are written as \xHH, so every engine takes the row */
	const char *in[5] = {a->account, a->client, a->action, a->object, a->result};
	char *fixed[5] = {NULL};
	cf_stmt *s = NULL;
	cf_code rc = CF_OK;
	for (int i = 0; i < 5; i++) {
		if (in[i] == NULL)
			in[i] = "";
		else if (!cf_text_utf8(in[i], strlen(in[i])) && (in[i] = fixed[i] = cf_text_utf8_fixed(in[i])) == NULL)
			rc = cf_err_set(e, CF_E_INTERNAL, "audit", "out of memory");
	}
	if (rc == CF_OK)
		rc = cf_store_prep(st,
				   "INSERT INTO audit (at, account, client, action, object, result) "
				   "VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
				   &s, e);
	if (rc == CF_OK) {
		D->bind_int(s, 1, a->at);
		for (int i = 0; i < 5; i++)
			D->bind_text(s, i + 2, in[i]);
		int r = D->step(s, e);
		if (r == 1 && id != NULL)
			*id = D->col_int(s, 0);
		cf_store_release(st, s);
		rc = r == 1 ? CF_OK : (e ? e->code : CF_E_INTERNAL);
	}
	for (int i = 0; i < 5; i++)
		free(fixed[i]);
	return rc;
}

cf_code cf_store_audit_list(cf_store *st, int64_t limit, int64_t offset, cf_auditrow **out, size_t *n, int64_t *total,
			    cf_err *e)
{
	cf_stmt *s = NULL;
	int64_t count_all = 0;
	cf_code rc = cf_store_prep(st, "SELECT count(*) FROM audit", &s, e);
	if (rc != CF_OK)
		return rc;
	int r = D->step(s, e);
	if (r == 1)
		count_all = D->col_int(s, 0);
	cf_store_release(st, s);
	if (r < 0)
		return e ? e->code : CF_E_INTERNAL;
	if ((rc = cf_store_prep(st,
				"SELECT id, at, account, client, action, object, result FROM audit "
				"ORDER BY id DESC LIMIT $1 OFFSET $2",
				&s, e)) != CF_OK)
		return rc;
	D->bind_int(s, 1, limit);
	D->bind_int(s, 2, offset);
	cf_auditrow *v = NULL;
	size_t cnt = 0, cap = 0;
	while ((r = D->step(s, e)) == 1) {
		if (cf_grow(&v, &cap, cnt, sizeof(*v)) != 0) {
			r = -1;
			cf_err_set(e, CF_E_INTERNAL, "audit", "out of memory");
			break;
		}
		cf_auditrow *a = &v[cnt++];
		a->id = D->col_int(s, 0);
		a->at = D->col_int(s, 1);
		a->account = cf_store_dup(D->col_text(s, 2));
		a->client = cf_store_dup(D->col_text(s, 3));
		a->action = cf_store_dup(D->col_text(s, 4));
		a->object = cf_store_dup(D->col_text(s, 5));
		a->result = cf_store_dup(D->col_text(s, 6));
	}
	cf_store_release(st, s);
	if (r < 0) {
		cf_auditrows_free(v, cnt);
		return e ? e->code : CF_E_INTERNAL;
	}
	*out = v;
	*n = cnt;
	if (total != NULL)
		*total = count_all;
	return CF_OK;
}

cf_code cf_store_user_set_login_state(cf_store *st, const char *name, int64_t failed_logins, int64_t locked_until,
				      cf_err *e)
{
	int64_t changed = 0;
	cf_stmt *s = NULL;
	cf_code rc = cf_store_prep(st, "UPDATE users SET failed_logins = $1, locked_until = $2 WHERE name = $3", &s, e);
	if (rc != CF_OK)
		return rc;
	D->bind_int(s, 1, failed_logins);
	D->bind_int(s, 2, locked_until);
	D->bind_text(s, 3, name);
	if ((rc = cf_store_run_counted(st, s, &changed, e)) != CF_OK)
		return rc;
	if (changed == 0)
		return cf_err_set(e, CF_E_NOTFOUND, name, "no such user");
	return CF_OK;
}
