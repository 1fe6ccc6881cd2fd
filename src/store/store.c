/* The store: open and close, transactions, the statement cache, audit arming, and the small
 * helpers every aggregate's queries share (store_int.h). The queries live in one file per
 * aggregate: fleet.c, certs.c, csrs.c, admin.c, settings.c, revocation.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"
#include "util/clock.h"

#define D (st->drv)

char *cf_store_dup(const char *s)
{
	return strdup(s ? s : "");
}

cf_code cf_store_prep(cf_store *st, const char *sql, cf_stmt **out, cf_err *e)
{
	struct cf_stmt_slot *free_slot = NULL;
	for (int i = 0; i < CF_STMT_CACHE; i++) {
		struct cf_stmt_slot *sl = &st->cache[i];
		if (sl->sql == sql && !sl->busy) {
			sl->busy = true;
			*out = sl->stmt;
			return CF_OK;
		}
		if (sl->sql == NULL && free_slot == NULL)
			free_slot = sl;
	}
	cf_code rc = D->prepare(st->db, sql, out, e);
	if (rc == CF_OK && free_slot != NULL)
		*free_slot = (struct cf_stmt_slot){sql, *out, true};
	return rc;
}

void cf_store_release(cf_store *st, cf_stmt *s)
{
	for (int i = 0; i < CF_STMT_CACHE; i++) {
		if (st->cache[i].stmt == s) {
			D->reset(s);
			st->cache[i].busy = false;
			return;
		}
	}
	D->finalize(s);
}

cf_code cf_store_run(cf_store *st, cf_stmt *s, cf_err *e)
{
	int r = D->step(s, e);
	cf_store_release(st, s);
	return r < 0 ? (e ? e->code : CF_E_INTERNAL) : CF_OK;
}

cf_code cf_store_target_check(const char *target, cf_err *e)
{
	const char *scheme_end = strstr(target, "://");
	if (scheme_end == NULL)
		return CF_OK;
	if (strncmp(target, "postgresql://", 13) == 0 || strncmp(target, "postgres://", 11) == 0)
		return cf_err_set(e, CF_E_USAGE, "--store",
				  "PostgreSQL stores are not in this build; give a file path");
	return cf_err_set(e, CF_E_USAGE, "--store", "unknown store URL scheme \"%.*s\"; give a file path",
			  (int)(scheme_end - target < 32 ? scheme_end - target : 32), target);
}

cf_code cf_store_open(const char *path, bool create, cf_store **out, cf_err *e)
{
	cf_code checked = cf_store_target_check(path, e);
	if (checked != CF_OK)
		return checked;
	cf_store *st = calloc(1, sizeof(*st));
	if (st == NULL)
		return cf_err_set(e, CF_E_INTERNAL, path, "out of memory");
	st->drv = &cf_db_sqlite;
	cf_code rc = D->open(path, create, &st->db, e);
	if (rc != CF_OK) {
		free(st);
		return rc;
	}
	if ((rc = cf_store_begin(st, e)) != CF_OK || (rc = cf_schema_migrate(st, e)) != CF_OK ||
	    (rc = cf_store_commit(st, e)) != CF_OK) {
		cf_store_close(st);
		return rc;
	}
	*out = st;
	return CF_OK;
}

void cf_store_close(cf_store *st)
{
	if (st == NULL)
		return;
	cf_store_rollback(st);
	for (int i = 0; i < CF_STMT_CACHE; i++)
		if (st->cache[i].stmt != NULL)
			D->finalize(st->cache[i].stmt);
	for (int i = 0; i < CF_COUNT_CACHE; i++)
		free(st->counts[i].key);
	D->close(st->db);
	free(st);
}

int cf_store_schema_version(cf_store *st)
{
	cf_stmt *s = NULL;
	int v = 0;
	if (cf_store_prep(st, "SELECT version FROM schema_version", &s, NULL) != CF_OK)
		return 0;
	if (D->step(s, NULL) == 1)
		v = (int)D->col_int(s, 0);
	cf_store_release(st, s);
	return v;
}

cf_code cf_store_begin(cf_store *st, cf_err *e)
{
	cf_code rc = D->exec(st->db, "BEGIN IMMEDIATE", e);
	if (rc == CF_OK)
		st->in_tx = true;
	return rc;
}

cf_code cf_store_commit(cf_store *st, cf_err *e)
{
	cf_code rc = CF_OK;
	if (st->audit_armed && st->in_tx) {
		cf_auditrow row = {.at = cf_clock_now(),
				   .account = st->audit_account,
				   .client = st->audit_client,
				   .action = st->audit_action,
				   .object = st->audit_object,
				   .result = (char *)"ok"};
		rc = cf_store_audit_append(st, &row, NULL, e);
	}
	if (rc == CF_OK)
		rc = D->exec(st->db, "COMMIT", e);
	if (rc == CF_OK) {
		st->in_tx = false;
		if (st->audit_armed)
			st->audit_written = true;
		st->audit_armed = false;
	}
	return rc;
}

void cf_store_rollback(cf_store *st)
{
	if (st != NULL && st->in_tx) {
		D->exec(st->db, "ROLLBACK", NULL);
		st->in_tx = false;
		st->audit_armed = false;
	}
}

int64_t cf_store_data_version(cf_store *st)
{
	return D->data_version(st->db);
}

void cf_store_audit_pending(cf_store *st, const char *account, const char *client, const char *action,
			    const char *object)
{
	snprintf(st->audit_account, sizeof(st->audit_account), "%s", account);
	snprintf(st->audit_client, sizeof(st->audit_client), "%s", client);
	snprintf(st->audit_action, sizeof(st->audit_action), "%s", action);
	snprintf(st->audit_object, sizeof(st->audit_object), "%s", object);
	st->audit_armed = true;
	st->audit_written = false;
}

void cf_store_audit_disarm(cf_store *st)
{
	st->audit_armed = false;
}

bool cf_store_audit_written(const cf_store *st)
{
	return st->audit_written;
}

/* The items of a column written by certs.c's joined(), exactly (empty items, which no fact has, are
 * skipped). */
void cf_store_split_list(const char *text, cf_strv *out)
{
	if (*text == '\0')
		return;
	char *item = malloc(strlen(text) + 1);
	if (item == NULL)
		return;
	for (const char *p = text;;) {
		char *o = item;
		for (; *p != '\0' && *p != '\n'; p++) {
			if (*p == '\\' && (p[1] == '\\' || p[1] == 'n'))
				*o++ = *++p == 'n' ? '\n' : '\\';
			else
				*o++ = *p;
		}
		*o = '\0';
		if (o > item)
			cf_strv_push(out, item);
		if (*p++ == '\0')
			break;
	}
	free(item);
}

cf_code cf_store_query_int(cf_store *st, const char *sql, const int64_t *param, int64_t *out, cf_err *e)
{
	cf_stmt *s = NULL;
	cf_code rc = cf_store_prep(st, sql, &s, e);
	if (rc != CF_OK)
		return rc;
	if (param != NULL)
		D->bind_int(s, 1, *param);
	int r = D->step(s, e);
	*out = r == 1 ? D->col_int(s, 0) : 0;
	cf_store_release(st, s);
	return r >= 0 ? CF_OK : (e ? e->code : CF_E_INTERNAL);
}
