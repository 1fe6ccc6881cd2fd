/* The store: open and close, transactions, the statement cache, audit arming, and the small
 * helpers every aggregate's queries share (store_int.h). The queries live in one file per
 * aggregate: fleet.c, certs.c, csrs.c, admin.c, settings.c, revocation.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/store_int.h"
#include "util/buf.h"
#include "util/clock.h"

#define D (st->drv)

void cf_count_slot_clear(struct cf_count_slot *c)
{
	for (size_t i = 0; i < c->nodes; i++)
		free(c->node_fqdns[i]);
	free(c->node_fqdns);
	free(c->key);
	free(c->node_ids);
	free(c->node_ns);
	memset(c, 0, sizeof(*c));
}

char *cf_store_dup(const char *s)
{
	return strdup(s ? s : "");
}

void cf_store_copy(char *dst, size_t size, const char *s)
{
	size_t n = s != NULL ? strnlen(s, size - 1) : 0;
	memcpy(dst, s != NULL ? s : "", n);
	dst[n] = '\0';
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

char *cf_store_sql_groups(const char *head, int first, int groups, int per_group, const char *tail)
{
	cf_buf b = {0};
	cf_buf_adds(&b, head);
	for (int g = 0, n = first; g < groups; g++) {
		cf_buf_adds(&b, g == 0 ? (per_group > 1 ? "(" : "") : (per_group > 1 ? ", (" : ", "));
		for (int i = 0; i < per_group; i++, n++)
			cf_buf_addf(&b, i == 0 ? "$%d" : ", $%d", n);
		if (per_group > 1)
			cf_buf_adds(&b, ")");
	}
	cf_buf_adds(&b, tail);
	if (b.oom) {
		cf_buf_free(&b);
		return NULL;
	}
	return b.p;
}

cf_code cf_store_run(cf_store *st, cf_stmt *s, cf_err *e)
{
	int64_t changed = 0;
	return cf_store_run_counted(st, s, &changed, e);
}

cf_code cf_store_run_counted(cf_store *st, cf_stmt *s, int64_t *changed, cf_err *e)
{
	int r = D->step(s, e);
	*changed = r >= 0 ? D->changes(s) : 0;
	cf_store_release(st, s);
	return r < 0 ? (e ? e->code : CF_E_INTERNAL) : CF_OK;
}

/* The engines, in the order they are asked whether a target is theirs (SQLite takes every path,
 * so it comes last); a third engine is one more entry. */
static const cf_db_driver *const drivers[] = {&cf_db_pg, &cf_db_sqlite};

/* The driver whose target this is, or NULL with the reason in e. */
static const cf_db_driver *driver_for(const char *target, cf_err *e)
{
	for (size_t i = 0; i < sizeof(drivers) / sizeof(drivers[0]); i++)
		if (drivers[i]->claims(target))
			return drivers[i];
	const char *scheme_end = strstr(target, "://");
	int len = scheme_end != NULL && scheme_end - target < 32 ? (int)(scheme_end - target) : 32;
	cf_err_set(e, CF_E_USAGE, "--store",
		   "unknown store URL scheme \"%.*s\"; give a file path or a postgresql:// URL", len, target);
	return NULL;
}

cf_code cf_store_target_check(const char *target, cf_err *e)
{
	return driver_for(target, e) != NULL ? CF_OK : (e ? e->code : CF_E_USAGE);
}

/* The schema version recorded in the store, 0 for a store without one (a new one: the table is
 * missing, which every engine words differently, so any failure but a lost connection is that). */
static cf_code read_version(cf_store *st, int *out, cf_err *e)
{
	cf_stmt *s = NULL;
	cf_err quiet = {0};
	*out = 0;
	if (cf_store_prep(st, "SELECT version FROM schema_version", &s, &quiet) != CF_OK)
		goto absent;
	int r = D->step(s, &quiet);
	if (r == 1)
		*out = (int)D->col_int(s, 0);
	cf_store_release(st, s);
	if (r >= 0)
		return CF_OK;
absent:
	if (D->err_class(st->db) == CF_DB_CONNECTION) {
		if (e != NULL)
			*e = quiet;
		return quiet.code;
	}
	return CF_OK;
}

/* Brings the schema up to date: nothing to do (and no lock taken) when it is; otherwise once,
 * under the engine's schema lock, whichever process gets there first. */
static cf_code bring_up_to_date(cf_store *st, cf_err *e)
{
	int version = 0;
	cf_code rc = read_version(st, &version, e);
	if (rc == CF_OK && version > cf_schema_latest())
		return cf_err_set(e, CF_E_STATE, "store",
				  "the store is at schema version %d, newer than this certfleet knows (%d); use a "
				  "newer certfleet",
				  version, cf_schema_latest());
	if (rc != CF_OK || version == cf_schema_latest())
		return rc;
	if ((rc = D->lock_schema(st->db, true, e)) != CF_OK)
		return rc;
	if ((rc = cf_store_begin(st, e)) == CF_OK && (rc = cf_schema_migrate(st, e)) == CF_OK)
		rc = cf_store_commit(st, e);
	cf_store_rollback(st);
	D->lock_schema(st->db, false, NULL);
	return rc;
}

cf_code cf_store_open(const char *target, bool create, cf_store **out, cf_err *e)
{
	const cf_db_driver *drv = driver_for(target, e);
	if (drv == NULL)
		return e ? e->code : CF_E_USAGE;
	cf_store *st = calloc(1, sizeof(*st));
	if (st == NULL)
		return cf_err_set(e, CF_E_INTERNAL, "store", "out of memory");
	st->drv = drv;
	cf_code rc = D->open(target, create, &st->db, e);
	if (rc != CF_OK) {
		free(st);
		return rc;
	}
	if ((rc = bring_up_to_date(st, e)) != CF_OK) {
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
		cf_count_slot_clear(&st->counts[i]);
	cf_store_ca_forget(st);
	D->close(st->db);
	free(st);
}

int cf_store_schema_version(cf_store *st)
{
	int v = 0;
	return read_version(st, &v, NULL) == CF_OK ? v : 0;
}

const char *cf_store_engine(const cf_store *st)
{
	return st->drv->name;
}

cf_code cf_store_begin(cf_store *st, cf_err *e)
{
	cf_code rc = D->begin(st->db, CF_TX_WRITE, e);
	if (rc == CF_OK) {
		st->in_tx = true;
		st->bulk_rows = 0;
	}
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
		rc = D->commit(st->db, e);
	if (rc == CF_OK) {
		st->in_tx = false;
		if (st->audit_armed)
			st->audit_written = true;
		st->audit_armed = false;
		if (st->bulk_rows >= CF_ANALYZE_ROWS && D->analyze != NULL)
			D->analyze(st->db, "certificates");
		st->bulk_rows = 0;
	}
	return rc;
}

cf_code cf_store_finish(cf_store *st, cf_code rc, cf_err *e)
{
	if (rc == CF_OK)
		rc = cf_store_commit(st, e);
	if (rc != CF_OK)
		cf_store_rollback(st);
	return rc;
}

void cf_store_rollback(cf_store *st)
{
	if (st != NULL && st->in_tx) {
		D->rollback(st->db);
		st->in_tx = false;
		st->audit_armed = false;
	}
}

/* Reruns: at most this many tries, and none begun after this long (SQLite has already waited
 * its busy timeout before it says busy). */
#define RETRY_TRIES 8
#define RETRY_WITHIN_MS 5000
#define LOCK_WAITED_MS 2000 /* a try this long that ended busy waited on a lock, not a collision */

void cf_store_attempt_start(cf_store *st, cf_store_attempt *a)
{
	int64_t now = cf_clock_mono_ms();
	*a = (cf_store_attempt){.started_ms = now, .try_ms = now, .audit_armed = st->audit_armed};
}

bool cf_store_attempt_again(cf_store *st, cf_store_attempt *a, cf_code rc, cf_err *e)
{
	if (rc == CF_OK || st->in_tx)
		return false;
	cf_db_class cls = D->err_class(st->db);
	if (cls != CF_DB_RETRY && cls != CF_DB_CONSTRAINT)
		return false;
	/* a constraint is tried once more: if another writer's row caused it, the code's own check
	 * now sees that row and says what is wrong; if not, the same error stands. Counted apart
	 * from collisions: two writers that collided and retried together can meet this way after. */
	if (cls == CF_DB_CONSTRAINT) {
		if (a->constraint_retried)
			return false;
		a->constraint_retried = true;
	}
	int64_t now = cf_clock_mono_ms();
	if (cls == CF_DB_RETRY && now - a->try_ms >= LOCK_WAITED_MS) {
		/* it waited the engine's lock timeout: another change holds the store (a long import,
		 * say); running again would only wait as long once more */
		cf_err_set(e, CF_E_STATE, "store", "store busy: another change has held it for %lld s; try again",
			   (long long)((now - a->try_ms + 500) / 1000));
		cf_err_reason(e, CF_REASON_STORE_BUSY);
		e->retry_after = 5;
		return false;
	}
	if (++a->tries >= RETRY_TRIES || now - a->started_ms > RETRY_WITHIN_MS) {
		cf_err_set(e, CF_E_STATE, "store",
			   "the store was changed by another writer at the same moment; try again");
		cf_err_reason(e, CF_REASON_RETRY);
		return false;
	}
	/* a short pause, longer each time and never in step with the other writer */
	cf_clock_sleep_ms(1 + (int64_t)(cf_clock_jitter() % (4u << a->tries)));
	a->try_ms = cf_clock_mono_ms();
	st->audit_armed = a->audit_armed;
	cf_err_clear(e);
	return true;
}

int64_t cf_store_data_version(cf_store *st)
{
	return D->change_seq(st->db);
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
