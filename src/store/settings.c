/* The store's deployment-wide settings and the expiry monitor's ledger. */
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"

#define D (st->drv)

/* ---- settings and the monitor's ledger ---------------------------------------------------- */

cf_code cf_store_setting_get(cf_store *st, const char *key, char **out, cf_err *e)
{
	cf_stmt *s = NULL;
	*out = NULL;
	cf_code rc = cf_store_prep(st, "SELECT value FROM settings WHERE key = $1", &s, e);
	if (rc != CF_OK)
		return rc;
	D->bind_text(s, 1, key);
	int r = D->step(s, e);
	if (r == 1 && (*out = strdup(D->col_text(s, 0))) == NULL)
		r = -1;
	cf_store_release(st, s);
	return r >= 0 ? CF_OK : cf_err_set(e, CF_E_INTERNAL, key, "cannot read the setting");
}

cf_code cf_store_setting_set(cf_store *st, const char *key, const char *value, cf_err *e)
{
	cf_stmt *s = NULL;
	cf_code rc = cf_store_prep(st,
				   value != NULL ? "INSERT INTO settings (key, value) VALUES ($1, $2)"
						   " ON CONFLICT (key) DO UPDATE SET value = excluded.value"
						 : "DELETE FROM settings WHERE key = $1",
				   &s, e);
	if (rc != CF_OK)
		return rc;
	D->bind_text(s, 1, key);
	if (value != NULL)
		D->bind_text(s, 2, value);
	return cf_store_run(st, s, e);
}

cf_code cf_store_watch_each(cf_store *st, int64_t until, bool lsc, int (*fn)(void *ctx, const cf_watchrow *r),
			    void *ctx, cf_err *e)
{
	static const char sql[] =
		"SELECT c.node_id, n.fqdn, c.kind, c.name, c.cn, c.serial, c.sha256, c.not_after,"
		" coalesce(l.last_sent, 0), coalesce(l.queued, 0), coalesce(l.attempts, 0), coalesce(l.next_attempt, 0)"
		" FROM certificates c JOIN nodes n ON n.id = c.node_id LEFT JOIN notifications l ON"
		" l.node_id = c.node_id AND l.kind = c.kind AND l.name = c.name AND l.sha256 = c.sha256"
		" WHERE c.not_after <= $1 AND (c.kind < 3 OR $2 <> 0) ORDER BY c.not_after, n.fqdn, c.kind, c.name, "
		"c.id";
	cf_stmt *s = NULL;
	cf_code rc = cf_store_prep(st, sql, &s, e);
	if (rc != CF_OK)
		return rc;
	D->bind_int(s, 1, until);
	D->bind_int(s, 2, lsc);
	int r, stop = 0;
	while (stop == 0 && (r = D->step(s, e)) == 1) {
		cf_watchrow w = {.node_id = D->col_int(s, 0),
				 .node = D->col_text(s, 1),
				 .kind = (cf_certkind)D->col_int(s, 2),
				 .name = D->col_text(s, 3),
				 .cn = D->col_text(s, 4),
				 .serial = D->col_text(s, 5),
				 .sha256 = D->col_text(s, 6),
				 .not_after = D->col_int(s, 7),
				 .last_sent = D->col_int(s, 8),
				 .queued = D->col_int(s, 9),
				 .attempts = D->col_int(s, 10),
				 .next_attempt = D->col_int(s, 11)};
		stop = fn(ctx, &w);
	}
	cf_store_release(st, s);
	if (stop != 0)
		return (cf_code)stop;
	if (r < 0)
		return e ? e->code : CF_E_INTERNAL;
	/* then the local CAs' own certificates (node_id: the CA's id, node "", name the CA's) */
	static const char ca_sql[] =
		"SELECT c.id, c.name, c.subject, c.sha256, c.not_after, coalesce(l.last_sent, 0), coalesce(l.queued, "
		"0),"
		" coalesce(l.attempts, 0), coalesce(l.next_attempt, 0) FROM cas c LEFT JOIN ca_notifications l"
		" ON l.ca_id = c.id AND l.sha256 = c.sha256 WHERE c.not_after <= $1 ORDER BY c.not_after, c.name";
	rc = cf_store_prep(st, ca_sql, &s, e);
	if (rc != CF_OK)
		return rc;
	D->bind_int(s, 1, until);
	while (stop == 0 && (r = D->step(s, e)) == 1) {
		cf_watchrow w = {.node_id = D->col_int(s, 0),
				 .node = "",
				 .kind = CF_LOCAL_CA,
				 .name = D->col_text(s, 1),
				 .cn = D->col_text(s, 2),
				 .serial = "",
				 .sha256 = D->col_text(s, 3),
				 .not_after = D->col_int(s, 4),
				 .last_sent = D->col_int(s, 5),
				 .queued = D->col_int(s, 6),
				 .attempts = D->col_int(s, 7),
				 .next_attempt = D->col_int(s, 8)};
		stop = fn(ctx, &w);
	}
	cf_store_release(st, s);
	if (stop != 0)
		return (cf_code)stop;
	return r < 0 ? (e ? e->code : CF_E_INTERNAL) : CF_OK;
}

/* The ledger row of a local CA's certificate (node_id is the CA's id). */
static cf_code ca_ledger_put(cf_store *st, const cf_watchrow *w, cf_err *e)
{
	cf_stmt *s = NULL;
	cf_code rc =
		cf_store_prep(st,
			      "INSERT INTO ca_notifications (ca_id, sha256, last_sent, queued, attempts, next_attempt)"
			      " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (ca_id, sha256) DO UPDATE SET"
			      " last_sent = excluded.last_sent, queued = excluded.queued, attempts = excluded.attempts,"
			      " next_attempt = excluded.next_attempt",
			      &s, e);
	if (rc != CF_OK)
		return rc;
	D->bind_int(s, 1, w->node_id);
	D->bind_text(s, 2, w->sha256);
	D->bind_int(s, 3, w->last_sent);
	D->bind_int(s, 4, w->queued);
	D->bind_int(s, 5, w->attempts);
	D->bind_int(s, 6, w->next_attempt);
	return cf_store_run(st, s, e);
}

cf_code cf_store_ledger_put(cf_store *st, const cf_watchrow *w, cf_err *e)
{
	if (w->kind == CF_LOCAL_CA)
		return ca_ledger_put(st, w, e);
	cf_stmt *s = NULL;
	cf_code rc = cf_store_prep(
		st,
		"INSERT INTO notifications (node_id, kind, name, sha256, last_sent, queued, attempts,"
		" next_attempt) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (node_id, kind, name, sha256)"
		" DO UPDATE SET last_sent = excluded.last_sent, queued = excluded.queued,"
		" attempts = excluded.attempts, next_attempt = excluded.next_attempt",
		&s, e);
	if (rc != CF_OK)
		return rc;
	D->bind_int(s, 1, w->node_id);
	D->bind_int(s, 2, w->kind);
	D->bind_text(s, 3, w->name);
	D->bind_text(s, 4, w->sha256);
	D->bind_int(s, 5, w->last_sent);
	D->bind_int(s, 6, w->queued);
	D->bind_int(s, 7, w->attempts);
	D->bind_int(s, 8, w->next_attempt);
	return cf_store_run(st, s, e);
}

cf_code cf_store_ledger_prune(cf_store *st, int64_t until, bool lsc, cf_err *e)
{
	static const char gone[] = "DELETE FROM notifications WHERE NOT EXISTS (SELECT 1 FROM certificates c WHERE"
				   " c.node_id = notifications.node_id AND c.kind = notifications.kind AND"
				   " c.name = notifications.name AND c.sha256 = notifications.sha256)";
	static const char not_due[] =
		"UPDATE notifications SET queued = 0, attempts = 0, next_attempt = 0 WHERE queued > 0 AND NOT EXISTS"
		" (SELECT 1 FROM certificates c WHERE c.node_id = notifications.node_id AND c.kind = notifications.kind"
		" AND c.name = notifications.name AND c.sha256 = notifications.sha256 AND c.not_after <= $1"
		" AND (c.kind < 3 OR $2 <> 0))";
	cf_stmt *s = NULL;
	cf_code rc = cf_store_prep(st, gone, &s, e);
	if (rc == CF_OK)
		rc = cf_store_run(st, s, e);
	if (rc == CF_OK)
		rc = cf_store_prep(st, not_due, &s, e);
	if (rc == CF_OK) {
		D->bind_int(s, 1, until);
		D->bind_int(s, 2, lsc);
		rc = cf_store_run(st, s, e);
	}
	/* the local CAs' certificates: a CA's row goes with it (cascade); a replaced or no longer
	 * due certificate's row is dropped */
	static const char ca_gone[] = "DELETE FROM ca_notifications WHERE NOT EXISTS (SELECT 1 FROM cas c WHERE"
				      " c.id = ca_notifications.ca_id AND c.sha256 = ca_notifications.sha256"
				      " AND c.not_after <= $1)";
	if (rc == CF_OK)
		rc = cf_store_prep(st, ca_gone, &s, e);
	if (rc == CF_OK) {
		D->bind_int(s, 1, until);
		rc = cf_store_run(st, s, e);
	}
	return rc;
}

cf_code cf_store_ledger_pending(cf_store *st, int64_t *pending, int64_t *next_attempt, cf_err *e)
{
	cf_code rc = cf_store_query_int(st, "SELECT count(*) FROM notifications WHERE queued > 0", NULL, pending, e);
	return rc != CF_OK ? rc
			   : cf_store_query_int(st, "SELECT min(next_attempt) FROM notifications WHERE queued > 0",
						NULL, next_attempt, e);
}

cf_code cf_store_first_expiry(cf_store *st, bool lsc, int64_t *out, cf_err *e)
{
	int64_t max_kind = lsc ? CF_LSC : CF_TRUST;
	return cf_store_query_int(st, "SELECT min(not_after) FROM certificates WHERE kind <= $1", &max_kind, out, e);
}

cf_code cf_store_settings_each(cf_store *st, const char *prefix,
			       void (*fn)(void *ctx, const char *key, const char *value), void *ctx, cf_err *e)
{
	cf_stmt *s = NULL;
	cf_code rc = cf_store_prep(
		st, "SELECT key, value FROM settings WHERE substr(key, 1, length($1)) = $1 ORDER BY key", &s, e);
	if (rc != CF_OK)
		return rc;
	D->bind_text(s, 1, prefix);
	int r;
	while ((r = D->step(s, e)) == 1)
		fn(ctx, D->col_text(s, 0), D->col_text(s, 1));
	cf_store_release(st, s);
	return r < 0 ? (e ? e->code : CF_E_INTERNAL) : CF_OK;
}
