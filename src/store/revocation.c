/* The store's cRLs, their distribution points, and what OCSP last said of each certificate. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"
#include "util/grow.h"

#define D (st->drv)

/* ---- CRLs ------------------------------------------------------------------------------------- */

void cf_crlrow_free(cf_crlrow *r)
{
	free(r->issuer);
	free(r->issuer_hash);
	free(r->number);
	free(r->source);
	free(r->der);
	free(r->idx);
	memset(r, 0, sizeof(*r));
}

void cf_crlrows_free(cf_crlrow *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		cf_crlrow_free(&v[i]);
	free(v);
}

/* Counts every change of the crls table in the settings table, in the change's transaction: what
 * a cache of parsed CRLs is checked against (the store's data version moves with every change). */
static cf_code crls_changed(cf_store *st, cf_err *e)
{
	cf_stmt *s = NULL;
	cf_code rc = cf_store_prep(st,
				   "INSERT INTO settings (key, value) VALUES ('crls.generation', '1') ON CONFLICT (key)"
				   " DO UPDATE SET value = CAST(CAST(settings.value AS BIGINT) + 1 AS TEXT)",
				   &s, e);
	return rc != CF_OK ? rc : cf_store_run(st, s, e);
}

int64_t cf_store_crl_generation(cf_store *st)
{
	int64_t n = 0;
	return cf_store_query_int(st, "SELECT CAST(value AS BIGINT) FROM settings WHERE key = 'crls.generation'", NULL,
				  &n, NULL) == CF_OK
		       ? n
		       : -1;
}

cf_code cf_store_crl_insert(cf_store *st, cf_crlrow *r, cf_err *e)
{
	cf_stmt *s = NULL;
	cf_code rc = cf_store_prep(
		st,
		"INSERT INTO crls (issuer, issuer_hash, this_update, next_update, number, entries, source, der,"
		" added, idx) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
		&s, e);
	if (rc != CF_OK)
		return rc;
	D->bind_text(s, 1, r->issuer);
	D->bind_text(s, 2, r->issuer_hash);
	D->bind_int(s, 3, r->this_update);
	D->bind_int(s, 4, r->next_update);
	D->bind_text(s, 5, r->number);
	D->bind_int(s, 6, r->entries);
	D->bind_text(s, 7, r->source);
	D->bind_blob(s, 8, r->der, r->der_len);
	D->bind_int(s, 9, r->added);
	if (r->idx != NULL)
		D->bind_blob(s, 10, r->idx, r->idx_len);
	else
		D->bind_text(s, 10, NULL);
	int rr = D->step(s, e);
	if (rr == 1)
		r->id = D->col_int(s, 0);
	cf_store_release(st, s);
	return rr == 1 ? crls_changed(st, e) : (e ? e->code : CF_E_INTERNAL);
}

cf_code cf_store_crl_each(cf_store *st, const char *issuer_hash, unsigned with,
			  int (*fn)(void *ctx, const cf_crlrow *r), void *ctx, cf_err *e)
{
	/* the blobs not asked for are not read: the CASEs leave them NULL, and length() reads only the
	 * row's header (idx IS NOT NULL would read the whole index) */
	cf_stmt *s = NULL;
	cf_code rc = cf_store_prep(
		st,
		"SELECT id, issuer, issuer_hash, this_update, next_update, number, entries, source, added,"
		" CASE WHEN $2 <> 0 OR ($3 <> 0 AND length(idx) IS NULL) THEN der END, CASE WHEN length(idx) IS NULL "
		"THEN 0 ELSE 1 END,"
		" CASE WHEN $4 <> 0 THEN idx END FROM crls WHERE $1 = '' OR issuer_hash = $1"
		" ORDER BY issuer, this_update DESC, id DESC",
		&s, e);
	if (rc != CF_OK)
		return rc;
	D->bind_text(s, 1, issuer_hash != NULL ? issuer_hash : "");
	D->bind_int(s, 2, (with & CF_CRLS_DER) != 0);
	D->bind_int(s, 3, (with & CF_CRLS_DER_NO_IDX) != 0);
	D->bind_int(s, 4, (with & CF_CRLS_IDX) != 0);
	int r, stop = 0;
	while (stop == 0 && (r = D->step(s, e)) == 1) {
		cf_crlrow c = {.id = D->col_int(s, 0),
			       .issuer = (char *)D->col_text(s, 1),
			       .issuer_hash = (char *)D->col_text(s, 2),
			       .this_update = D->col_int(s, 3),
			       .next_update = D->col_int(s, 4),
			       .number = (char *)D->col_text(s, 5),
			       .entries = D->col_int(s, 6),
			       .source = (char *)D->col_text(s, 7),
			       .added = D->col_int(s, 8)};
		bool has_idx = D->col_int(s, 10) != 0;
		if ((with & CF_CRLS_DER) || ((with & CF_CRLS_DER_NO_IDX) && !has_idx))
			c.der = (uint8_t *)D->col_blob(s, 9, &c.der_len);
		if ((with & CF_CRLS_IDX) && has_idx)
			c.idx = (uint8_t *)D->col_blob(s, 11, &c.idx_len);
		stop = fn(ctx, &c);
	}
	cf_store_release(st, s);
	if (stop != 0)
		return (cf_code)stop;
	return r < 0 ? (e ? e->code : CF_E_INTERNAL) : CF_OK;
}

/* A copy of n octets in a new buffer (*out NULL when p is). */
static bool blob_dup(const uint8_t *p, size_t n, uint8_t **out, size_t *len)
{
	*out = NULL;
	*len = 0;
	if (p == NULL)
		return true;
	if ((*out = malloc(n ? n : 1)) == NULL)
		return false;
	if (n > 0)
		memcpy(*out, p, n);
	*len = n;
	return true;
}

typedef struct crl_rows {
	cf_crlrow *v;
	size_t n, cap;
	cf_err *e;
} crl_rows;

/* cf_store_crl_each's callback for cf_store_crls: a copy of the row. */
static int collect_crl(void *ctx, const cf_crlrow *r)
{
	crl_rows *rows = ctx;
	if (cf_grow(&rows->v, &rows->cap, rows->n, sizeof(*rows->v)) != 0)
		return cf_err_set(rows->e, CF_E_INTERNAL, "crls", "out of memory");
	cf_crlrow *c = &rows->v[rows->n++];
	*c = (cf_crlrow){.id = r->id,
			 .issuer = cf_store_dup(r->issuer),
			 .issuer_hash = cf_store_dup(r->issuer_hash),
			 .this_update = r->this_update,
			 .next_update = r->next_update,
			 .number = cf_store_dup(r->number),
			 .entries = r->entries,
			 .source = cf_store_dup(r->source),
			 .added = r->added};
	if (!blob_dup(r->der, r->der_len, &c->der, &c->der_len) || !blob_dup(r->idx, r->idx_len, &c->idx, &c->idx_len))
		return cf_err_set(rows->e, CF_E_INTERNAL, "crls", "out of memory");
	return 0;
}

cf_code cf_store_crls(cf_store *st, const char *issuer_hash, unsigned with, cf_crlrow **out, size_t *n, cf_err *e)
{
	crl_rows rows = {.e = e};
	cf_code rc = cf_store_crl_each(st, issuer_hash, with, collect_crl, &rows, e);
	if (rc != CF_OK) {
		cf_crlrows_free(rows.v, rows.n);
		return rc;
	}
	*out = rows.v;
	*n = rows.n;
	return CF_OK;
}

cf_code cf_store_crl_der(cf_store *st, int64_t id, uint8_t **der, size_t *len, cf_err *e)
{
	cf_stmt *s = NULL;
	cf_code rc = cf_store_prep(st, "SELECT der FROM crls WHERE id = $1", &s, e);
	if (rc != CF_OK)
		return rc;
	D->bind_int(s, 1, id);
	int r = D->step(s, e);
	if (r == 1) {
		size_t n = 0;
		const uint8_t *p = D->col_blob(s, 0, &n);
		if (!blob_dup(p != NULL ? p : (const uint8_t *)"", n, der, len))
			r = -1, cf_err_set(e, CF_E_INTERNAL, "crl", "out of memory");
	}
	cf_store_release(st, s);
	if (r == 0)
		return cf_err_set(e, CF_E_NOTFOUND, "crl", "no CRL with id %lld", (long long)id);
	return r == 1 ? CF_OK : (e ? e->code : CF_E_INTERNAL);
}

cf_code cf_store_crl_delete(cf_store *st, int64_t id, cf_err *e)
{
	int64_t changed = 0;
	cf_stmt *s = NULL;
	cf_code rc = cf_store_prep(st, "DELETE FROM crls WHERE id = $1", &s, e);
	if (rc != CF_OK)
		return rc;
	D->bind_int(s, 1, id);
	if ((rc = cf_store_run_counted(st, s, &changed, e)) != CF_OK)
		return rc;
	return changed > 0 ? crls_changed(st, e)
			   : cf_err_set(e, CF_E_NOTFOUND, "crl", "no CRL with id %lld", (long long)id);
}

cf_code cf_store_crl_delete_source(cf_store *st, const char *issuer_hash, const char *source, cf_err *e)
{
	int64_t changed = 0;
	cf_stmt *s = NULL;
	cf_code rc = cf_store_prep(st, "DELETE FROM crls WHERE issuer_hash = $1 AND source = $2", &s, e);
	if (rc != CF_OK)
		return rc;
	D->bind_text(s, 1, issuer_hash);
	D->bind_text(s, 2, source);
	if ((rc = cf_store_run_counted(st, s, &changed, e)) != CF_OK)
		return rc;
	return changed > 0 ? crls_changed(st, e) : CF_OK;
}

cf_code cf_store_trust_by_subject(cf_store *st, const char *subject,
				  int (*fn)(void *ctx, const uint8_t *der, size_t len), void *ctx, cf_err *e)
{
	cf_stmt *s = NULL;
	cf_code rc =
		cf_store_prep(st, "SELECT der FROM certificates WHERE kind = 2 AND subject = $1 ORDER BY id", &s, e);
	if (rc != CF_OK)
		return rc;
	D->bind_text(s, 1, subject);
	int r, stop = 0;
	while (stop == 0 && (r = D->step(s, e)) == 1) {
		size_t len = 0;
		const void *p = D->col_blob(s, 0, &len);
		stop = fn(ctx, p, len);
	}
	cf_store_release(st, s);
	if (stop != 0)
		return (cf_code)stop;
	return r < 0 ? (e ? e->code : CF_E_INTERNAL) : CF_OK;
}

cf_code cf_store_cdp_urls(cf_store *st, cf_strv *out, cf_err *e)
{
	cf_stmt *s = NULL;
	/* identities and trust certificates (kind < 3): the daily download does not follow phones' LSCs;
	 * in URL order on every engine (PostgreSQL's DISTINCT keeps no order of its own) */
	cf_code rc = cf_store_prep(
		st, "SELECT DISTINCT crl_dp FROM certificates WHERE kind < 3 AND crl_dp <> '' ORDER BY crl_dp", &s, e);
	if (rc != CF_OK)
		return rc;
	int r;
	while ((r = D->step(s, e)) == 1) {
		cf_strv one = {0};
		cf_store_split_list(D->col_text(s, 0), &one);
		for (size_t i = 0; i < one.n; i++)
			cf_strv_push_unique(out, one.v[i]);
		cf_strv_clear(&one);
	}
	cf_store_release(st, s);
	return r < 0 ? (e ? e->code : CF_E_INTERNAL) : CF_OK;
}

/* ---- what OCSP last said of each certificate ---------------------------------------------------- */

void cf_revcheckrow_free(cf_revcheckrow *r)
{
	if (r == NULL)
		return;
	free(r->responder);
	free(r->message);
	memset(r, 0, sizeof(*r));
}

cf_code cf_store_revcheck_put(cf_store *st, const cf_revcheckrow *r, cf_err *e)
{
	cf_stmt *s = NULL;
	cf_code rc = cf_store_prep(
		st,
		"INSERT INTO revocation_checks (sha256, status, trust, responder, message, checked, next_update)"
		" VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (sha256) DO UPDATE SET status = excluded.status,"
		" trust = excluded.trust, responder = excluded.responder, message = excluded.message,"
		" checked = excluded.checked, next_update = excluded.next_update",
		&s, e);
	if (rc != CF_OK)
		return rc;
	D->bind_text(s, 1, r->sha256);
	D->bind_text(s, 2, r->status);
	D->bind_text(s, 3, r->trust);
	D->bind_text(s, 4, r->responder != NULL ? r->responder : "");
	D->bind_text(s, 5, r->message != NULL ? r->message : "");
	D->bind_int(s, 6, r->checked);
	D->bind_int(s, 7, r->next_update);
	return cf_store_run(st, s, e);
}

cf_code cf_store_revcheck_get(cf_store *st, const char *sha256, cf_revcheckrow *out, cf_err *e)
{
	cf_stmt *s = NULL;
	cf_code rc =
		cf_store_prep(st,
			      "SELECT status, trust, responder, message, checked, next_update FROM revocation_checks"
			      " WHERE sha256 = $1",
			      &s, e);
	if (rc != CF_OK)
		return rc;
	D->bind_text(s, 1, sha256);
	int r = D->step(s, e);
	if (r == 1) {
		memset(out, 0, sizeof(*out));
		snprintf(out->sha256, sizeof(out->sha256), "%s", sha256);
		cf_store_copy(out->status, sizeof(out->status), D->col_text(s, 0));
		cf_store_copy(out->trust, sizeof(out->trust), D->col_text(s, 1));
		out->responder = cf_store_dup(D->col_text(s, 2));
		out->message = cf_store_dup(D->col_text(s, 3));
		out->checked = D->col_int(s, 4);
		out->next_update = D->col_int(s, 5);
		if (out->responder == NULL || out->message == NULL) {
			cf_revcheckrow_free(out);
			r = -1;
			cf_err_set(e, CF_E_INTERNAL, "revocation checks", "out of memory");
		}
	}
	cf_store_release(st, s);
	if (r == 0)
		return cf_err_set(e, CF_E_NOTFOUND, sha256, "no OCSP answer recorded");
	return r == 1 ? CF_OK : (e ? e->code : CF_E_INTERNAL);
}

bool cf_store_revcheck_any(cf_store *st)
{
	/* asked for every page of the certificate list: kept until the store changes */
	int64_t version = cf_store_data_version(st), any = 1; /* when it cannot be read: look each one up */
	if (!st->in_tx && version >= 0 && st->revcheck_any_version == version + 1)
		return st->revcheck_any;
	cf_err e = {0};
	if (cf_store_query_int(st, "SELECT CASE WHEN EXISTS (SELECT 1 FROM revocation_checks) THEN 1 ELSE 0 END", NULL,
			       &any, &e) == CF_OK &&
	    !st->in_tx && version >= 0) {
		st->revcheck_any = any != 0;
		st->revcheck_any_version = version + 1; /* 0: nothing kept */
	}
	return any != 0;
}

cf_code cf_store_revcheck_prune(cf_store *st, cf_err *e)
{
	cf_stmt *s = NULL;
	/* NOT IN: the certificates' hashes are gathered once, not looked for row by row */
	cf_code rc = cf_store_prep(
		st, "DELETE FROM revocation_checks WHERE sha256 NOT IN (SELECT sha256 FROM certificates)", &s, e);
	return rc != CF_OK ? rc : cf_store_run(st, s, e);
}
