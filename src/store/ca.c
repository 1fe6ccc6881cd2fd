/* The store's local CAs: CAs, issued certificates and revocations, CRLs. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"
#include "util/grow.h"
#include "util/secret.h"

#define D (st->drv)
/* Issued certificates go in by this many rows a statement (PostgreSQL pays a round trip each). */
#define ISSUED_GROUP 64
#define ISSUED_PARAMS 8

void cf_carow_free(cf_carow *r)
{
	if (r == NULL)
		return;
	free(r->name);
	free(r->parent);
	free(r->der);
	free(r->sha256);
	free(r->subject);
	cf_secret_free(r->key_pem);
	free(r->base_url);
	free(r->ocsp_der);
	cf_secret_free(r->ocsp_key_pem);
	memset(r, 0, sizeof(*r));
}

void cf_caissued_clear(cf_caissued *r)
{
	if (r == NULL)
		return;
	free(r->der);
	free(r->subject);
	free(r->profile);
	memset(r, 0, sizeof(*r));
}

static uint8_t *dup_blob(const void *p, size_t len)
{
	uint8_t *out = malloc(len ? len : 1);
	if (out != NULL && len)
		memcpy(out, p, len);
	return out;
}

#define CA_COLS                                                                                                        \
	"c.id, c.name, c.parent_id, COALESCE(p.name, ''), c.der, c.sha256, c.subject, c.not_before, c.not_after,"      \
	" c.created, c.imported, c.base_url, c.crl_validity, c.crl_interval, c.ocsp_validity, c.crl_number,"           \
	" c.ocsp_der, c.ocsp_version"

static void read_ca(cf_store *st, cf_stmt *s, cf_carow *r)
{
	size_t len = 0;
	const void *der = D->col_blob(s, 4, &len);
	r->id = D->col_int(s, 0);
	r->name = cf_store_dup(D->col_text(s, 1));
	r->parent_id = D->col_int(s, 2);
	r->parent = cf_store_dup(D->col_text(s, 3));
	r->der = dup_blob(der, len);
	r->der_len = len;
	r->sha256 = cf_store_dup(D->col_text(s, 5));
	r->subject = cf_store_dup(D->col_text(s, 6));
	r->not_before = D->col_int(s, 7);
	r->not_after = D->col_int(s, 8);
	r->created = D->col_int(s, 9);
	r->imported = D->col_int(s, 10) != 0;
	r->base_url = cf_store_dup(D->col_text(s, 11));
	r->crl_validity = D->col_int(s, 12);
	r->crl_interval = D->col_int(s, 13);
	r->ocsp_validity = D->col_int(s, 14);
	r->crl_number = D->col_int(s, 15);
	const void *od = D->col_blob(s, 16, &len);
	r->ocsp_der = len ? dup_blob(od, len) : NULL;
	r->ocsp_der_len = r->ocsp_der ? len : 0;
	r->ocsp_version = D->col_int(s, 17);
}

/* What get and list read after the columns (and the two key columns): the counts. */
#define CA_COUNTS                                                                                                      \
	" (SELECT count(*) FROM ca_issued i WHERE i.ca_id = c.id),"                                                    \
	" (SELECT count(*) FROM ca_issued i WHERE i.ca_id = c.id AND i.revoked_at <> 0),"                              \
	" (SELECT count(*) FROM ca_ocsp o WHERE o.ca_id = c.id AND o.hash = 'sha256'),"                                \
	" (SELECT COALESCE(min(o.this_update), 0) FROM ca_ocsp o WHERE o.ca_id = c.id)"

static void read_counts(cf_store *st, cf_stmt *s, int col, cf_carow *r)
{
	r->issued = D->col_int(s, col);
	r->revoked = D->col_int(s, col + 1);
	r->ocsp_answers = D->col_int(s, col + 2);
	r->ocsp_oldest = D->col_int(s, col + 3);
}

static bool ca_complete(const cf_carow *r)
{
	return r->name && r->parent && r->der && r->sha256 && r->subject && r->base_url;
}

cf_code cf_store_ca_get(cf_store *st, const char *name, bool with_key, cf_carow *out, cf_err *e)
{
	cf_stmt *s = NULL;
	cf_code rc = cf_store_prep(st,
				   "SELECT " CA_COLS ", c.key_pem, c.ocsp_key_pem," CA_COUNTS
				   " FROM cas c LEFT JOIN cas p ON p.id = c.parent_id WHERE c.name = $1",
				   &s, e);
	if (rc != CF_OK)
		return rc;
	D->bind_text(s, 1, name);
	cf_carow r = {0};
	int got = D->step(s, e);
	if (got == 1) {
		read_ca(st, s, &r);
		read_counts(st, s, 20, &r);
		if (with_key) {
			r.key_pem = cf_store_dup(D->col_text(s, 18));
			r.ocsp_key_pem = cf_store_dup(D->col_text(s, 19));
		}
	}
	cf_store_release(st, s);
	if (got == 0)
		return cf_err_set(e, CF_E_NOTFOUND, name, "no such CA");
	if (got < 0)
		return e ? e->code : CF_E_INTERNAL;
	if (!ca_complete(&r) || (with_key && (r.key_pem == NULL || r.ocsp_key_pem == NULL))) {
		cf_carow_free(&r);
		return cf_err_set(e, CF_E_INTERNAL, "store", "out of memory");
	}
	*out = r;
	return CF_OK;
}

static void rows_free(cf_carow *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		cf_carow_free(&v[i]);
	free(v);
}

/* Every CA by name, without keys; with the counts when asked (*v: rows_free). */
static cf_code rows_read(cf_store *st, bool counts, cf_carow **v, size_t *n, cf_err *e)
{
	cf_stmt *s = NULL;
	*v = NULL;
	*n = 0;
	cf_code rc = cf_store_prep(st,
				   counts ? "SELECT " CA_COLS ", '', ''," CA_COUNTS
					    " FROM cas c LEFT JOIN cas p ON p.id = c.parent_id ORDER BY c.name"
					  : "SELECT " CA_COLS
					    " FROM cas c LEFT JOIN cas p ON p.id = c.parent_id ORDER BY c.name",
				   &s, e);
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
		cf_carow *row = &(*v)[(*n)++];
		memset(row, 0, sizeof(*row));
		read_ca(st, s, row);
		if (counts)
			read_counts(st, s, 20, row);
		if (!ca_complete(row)) {
			r = -1;
			cf_err_set(e, CF_E_INTERNAL, "store", "out of memory");
			break;
		}
	}
	cf_store_release(st, s);
	if (r < 0) {
		rows_free(*v, *n);
		*v = NULL;
		*n = 0;
		return e ? e->code : CF_E_INTERNAL;
	}
	return CF_OK;
}

cf_code cf_store_ca_list(cf_store *st, cf_carow **v, size_t *n, cf_err *e)
{
	return rows_read(st, true, v, n, e);
}

cf_code cf_store_ca_each(cf_store *st, int (*fn)(void *ctx, const cf_carow *r), void *ctx, cf_err *e)
{
	int64_t version = cf_store_data_version(st);
	bool keep = !st->in_tx && version >= 0; /* as the certificate counts are kept */
	cf_carow *v = st->ca_rows;
	size_t n = st->ca_rows_n;
	if (!keep || st->ca_rows_version != version + 1) {
		cf_code rc = rows_read(st, false, &v, &n, e);
		if (rc != CF_OK)
			return rc;
		if (keep) {
			cf_store_ca_forget(st);
			st->ca_rows = v;
			st->ca_rows_n = n;
			st->ca_rows_version = version + 1;
		}
	}
	int stop = 0;
	for (size_t i = 0; stop == 0 && i < n; i++)
		stop = fn(ctx, &v[i]);
	if (!keep) /* read inside a transaction: not kept past it */
		rows_free(v, n);
	return (cf_code)stop;
}

void cf_store_ca_forget(cf_store *st)
{
	rows_free(st->ca_rows, st->ca_rows_n);
	st->ca_rows = NULL;
	st->ca_rows_n = 0;
	st->ca_rows_version = 0;
}

cf_code cf_store_ca_add(cf_store *st, cf_carow *r, cf_err *e)
{
	cf_stmt *s = NULL;
	cf_code rc = cf_store_prep(st,
				   "INSERT INTO cas (name, parent_id, der, sha256, subject, not_before, not_after,"
				   " imported, key_pem, created, base_url, crl_validity, crl_interval, ocsp_validity)"
				   " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id",
				   &s, e);
	if (rc != CF_OK)
		return rc;
	D->bind_text(s, 1, r->name);
	D->bind_int(s, 2, r->parent_id);
	D->bind_blob(s, 3, r->der, r->der_len);
	D->bind_text(s, 4, r->sha256);
	D->bind_text(s, 5, r->subject);
	D->bind_int(s, 6, r->not_before);
	D->bind_int(s, 7, r->not_after);
	D->bind_int(s, 8, r->imported);
	D->bind_text(s, 9, r->key_pem);
	D->bind_int(s, 10, r->created);
	D->bind_text(s, 11, r->base_url ? r->base_url : "");
	D->bind_int(s, 12, r->crl_validity);
	D->bind_int(s, 13, r->crl_interval);
	D->bind_int(s, 14, r->ocsp_validity);
	int got = D->step(s, e);
	if (got == 1)
		r->id = D->col_int(s, 0);
	cf_store_release(st, s);
	if (got < 0 && e && e->code == CF_E_STATE)
		return cf_err_set(e, CF_E_STATE, r->name, "a CA of that name already exists");
	return got == 1 ? CF_OK : (e ? e->code : CF_E_INTERNAL);
}

/* Moves the CA's ocsp_version: the OCSP responders reload what it answers. */
static cf_code bump(cf_store *st, int64_t ca_id, cf_err *e)
{
	cf_stmt *s = NULL;
	cf_code rc = cf_store_prep(st, "UPDATE cas SET ocsp_version = ocsp_version + 1 WHERE id = $1", &s, e);
	if (rc != CF_OK)
		return rc;
	D->bind_int(s, 1, ca_id);
	return cf_store_run(st, s, e);
}

cf_code cf_store_ca_config(cf_store *st, const cf_carow *r, cf_err *e)
{
	cf_stmt *s = NULL;
	cf_code rc = cf_store_prep(st,
				   "UPDATE cas SET base_url = $2, crl_validity = $3, crl_interval = $4,"
				   " ocsp_validity = $5 WHERE id = $1",
				   &s, e);
	if (rc != CF_OK)
		return rc;
	D->bind_int(s, 1, r->id);
	D->bind_text(s, 2, r->base_url ? r->base_url : "");
	D->bind_int(s, 3, r->crl_validity);
	D->bind_int(s, 4, r->crl_interval);
	D->bind_int(s, 5, r->ocsp_validity);
	return cf_store_run(st, s, e);
}

/* The INSERT texts for one row and for a group, built once: the statement cache knows a text by
 * its address. */
static struct {
	char *one, *group;
	bool ok;
} issued_sql;
static pthread_once_t issued_once = PTHREAD_ONCE_INIT;

static void issued_build(void)
{
	static const char head[] = "INSERT INTO ca_issued (ca_id, serial, der, subject, profile, not_after,"
				   " issued_at, reason) VALUES ";
	issued_sql.one = cf_store_sql_groups(head, 1, 1, ISSUED_PARAMS, "");
	issued_sql.group = cf_store_sql_groups(head, 1, ISSUED_GROUP, ISSUED_PARAMS, "");
	issued_sql.ok = issued_sql.one && issued_sql.group;
}

cf_code cf_store_ca_issued_add(cf_store *st, int64_t ca_id, const cf_caissued *v, size_t n, cf_err *e)
{
	pthread_once(&issued_once, issued_build);
	if (!issued_sql.ok)
		return cf_err_set(e, CF_E_INTERNAL, "store", "out of memory");
	cf_code rc = CF_OK;
	for (size_t at = 0; at < n && rc == CF_OK;) {
		size_t rows = n - at >= ISSUED_GROUP ? ISSUED_GROUP : 1;
		cf_stmt *s = NULL;
		rc = cf_store_prep(st, rows == 1 ? issued_sql.one : issued_sql.group, &s, e);
		if (rc != CF_OK)
			break;
		for (size_t i = 0; i < rows; i++) {
			const cf_caissued *r = &v[at + i];
			int b = (int)i * ISSUED_PARAMS;
			D->bind_int(s, b + 1, ca_id);
			D->bind_text(s, b + 2, r->serial);
			D->bind_blob(s, b + 3, r->der, r->der_len);
			D->bind_text(s, b + 4, r->subject ? r->subject : "");
			D->bind_text(s, b + 5, r->profile ? r->profile : "");
			D->bind_int(s, b + 6, r->not_after);
			D->bind_int(s, b + 7, r->issued_at);
			D->bind_int(s, b + 8, -1);
		}
		rc = cf_store_run(st, s, e);
		if (rc == CF_E_STATE)
			rc = cf_err_set(e, CF_E_STATE, "store", "a serial this CA already issued came up again");
		at += rows;
	}
	return rc == CF_OK ? bump(st, ca_id, e) : rc;
}

cf_code cf_store_ca_issued_get(cf_store *st, int64_t ca_id, const char *serial, cf_caissued *out, cf_err *e)
{
	cf_stmt *s = NULL;
	cf_code rc = cf_store_prep(st,
				   "SELECT serial, der, subject, profile, not_after, issued_at, revoked_at, reason"
				   " FROM ca_issued WHERE ca_id = $1 AND serial = $2",
				   &s, e);
	if (rc != CF_OK)
		return rc;
	D->bind_int(s, 1, ca_id);
	D->bind_text(s, 2, serial);
	cf_caissued r = {0};
	int got = D->step(s, e);
	if (got == 1) {
		size_t len = 0;
		const void *der = D->col_blob(s, 1, &len);
		cf_store_copy(r.serial, sizeof(r.serial), D->col_text(s, 0));
		r.der = dup_blob(der, len);
		r.der_len = len;
		r.subject = cf_store_dup(D->col_text(s, 2));
		r.profile = cf_store_dup(D->col_text(s, 3));
		r.not_after = D->col_int(s, 4);
		r.issued_at = D->col_int(s, 5);
		r.revoked_at = D->col_int(s, 6);
		r.reason = (int)D->col_int(s, 7);
	}
	cf_store_release(st, s);
	if (got == 0)
		return cf_err_set(e, CF_E_NOTFOUND, serial, "this CA issued no certificate with that serial");
	if (got < 0)
		return e ? e->code : CF_E_INTERNAL;
	if (!r.der || !r.subject || !r.profile) {
		cf_caissued_clear(&r);
		return cf_err_set(e, CF_E_INTERNAL, "store", "out of memory");
	}
	*out = r;
	return CF_OK;
}

cf_code cf_store_ca_revoked_list(cf_store *st, int64_t ca_id, cf_caissued **v, size_t *n, cf_err *e)
{
	cf_stmt *s = NULL;
	*v = NULL;
	*n = 0;
	cf_code rc =
		cf_store_prep(st,
			      "SELECT serial, not_after, revoked_at, reason, subject, profile, issued_at FROM ca_issued"
			      " WHERE ca_id = $1 AND revoked_at <> 0 ORDER BY serial",
			      &s, e);
	if (rc != CF_OK)
		return rc;
	D->bind_int(s, 1, ca_id);
	size_t cap = 0;
	int r;
	while ((r = D->step(s, e)) == 1) {
		if (cf_grow(v, &cap, *n, sizeof(**v)) != 0) {
			r = -1;
			cf_err_set(e, CF_E_INTERNAL, "store", "out of memory");
			break;
		}
		cf_caissued *row = &(*v)[(*n)++];
		memset(row, 0, sizeof(*row));
		cf_store_copy(row->serial, sizeof(row->serial), D->col_text(s, 0));
		row->not_after = D->col_int(s, 1);
		row->revoked_at = D->col_int(s, 2);
		row->reason = (int)D->col_int(s, 3);
		row->subject = cf_store_dup(D->col_text(s, 4));
		row->profile = cf_store_dup(D->col_text(s, 5));
		row->issued_at = D->col_int(s, 6);
		if (row->subject == NULL || row->profile == NULL) {
			r = -1;
			cf_err_set(e, CF_E_INTERNAL, "store", "out of memory");
			break;
		}
	}
	cf_store_release(st, s);
	if (r < 0) {
		for (size_t i = 0; i < *n; i++)
			cf_caissued_clear(&(*v)[i]);
		free(*v);
		*v = NULL;
		*n = 0;
		return e ? e->code : CF_E_INTERNAL;
	}
	return CF_OK;
}

cf_code cf_store_ca_revoke(cf_store *st, int64_t ca_id, const char *serial, int64_t at, int reason, cf_err *e)
{
	cf_caissued cur = {0};
	cf_code rc = cf_store_ca_issued_get(st, ca_id, serial, &cur, e);
	if (rc != CF_OK)
		return rc;
	bool already = cur.revoked_at != 0;
	cf_caissued_clear(&cur);
	if (already)
		return cf_err_set(e, CF_E_STATE, serial, "already revoked");
	cf_stmt *s = NULL;
	rc = cf_store_prep(st, "UPDATE ca_issued SET revoked_at = $3, reason = $4 WHERE ca_id = $1 AND serial = $2", &s,
			   e);
	if (rc != CF_OK)
		return rc;
	D->bind_int(s, 1, ca_id);
	D->bind_text(s, 2, serial);
	D->bind_int(s, 3, at);
	D->bind_int(s, 4, reason);
	rc = cf_store_run(st, s, e);
	return rc == CF_OK ? bump(st, ca_id, e) : rc;
}

cf_code cf_store_ca_crl_put(cf_store *st, int64_t ca_id, int64_t number, int64_t this_update, int64_t next_update,
			    const uint8_t *der, size_t len, cf_err *e)
{
	cf_stmt *s = NULL;
	cf_code rc = cf_store_prep(st,
				   "INSERT INTO ca_crls (ca_id, number, this_update, next_update, der)"
				   " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (ca_id) DO UPDATE SET number = $2,"
				   " this_update = $3, next_update = $4, der = $5",
				   &s, e);
	if (rc != CF_OK)
		return rc;
	D->bind_int(s, 1, ca_id);
	D->bind_int(s, 2, number);
	D->bind_int(s, 3, this_update);
	D->bind_int(s, 4, next_update);
	D->bind_blob(s, 5, der, len);
	rc = cf_store_run(st, s, e);
	if (rc != CF_OK)
		return rc;
	rc = cf_store_prep(st, "UPDATE cas SET crl_number = $2 WHERE id = $1", &s, e);
	if (rc != CF_OK)
		return rc;
	D->bind_int(s, 1, ca_id);
	D->bind_int(s, 2, number);
	return cf_store_run(st, s, e);
}

cf_code cf_store_ca_crl_get(cf_store *st, int64_t ca_id, uint8_t **der, size_t *len, int64_t *this_update,
			    int64_t *next_update, cf_err *e)
{
	cf_stmt *s = NULL;
	cf_code rc = cf_store_prep(st, "SELECT der, this_update, next_update FROM ca_crls WHERE ca_id = $1", &s, e);
	if (rc != CF_OK)
		return rc;
	D->bind_int(s, 1, ca_id);
	int got = D->step(s, e);
	uint8_t *out = NULL;
	size_t n = 0;
	if (got == 1) {
		const void *p = D->col_blob(s, 0, &n);
		out = dup_blob(p, n);
		if (this_update)
			*this_update = D->col_int(s, 1);
		if (next_update)
			*next_update = D->col_int(s, 2);
	}
	cf_store_release(st, s);
	if (got == 0)
		return cf_err_set(e, CF_E_NOTFOUND, "CRL", "this CA has made no CRL yet");
	if (got < 0)
		return e ? e->code : CF_E_INTERNAL;
	if (out == NULL)
		return cf_err_set(e, CF_E_INTERNAL, "store", "out of memory");
	*der = out;
	*len = n;
	return CF_OK;
}

cf_code cf_store_ca_issued_walk(cf_store *st, int64_t ca_id,
				void (*fn)(void *ctx, const char *serial, int64_t revoked_at, int reason), void *ctx,
				cf_err *e)
{
	cf_stmt *s = NULL;
	cf_code rc = cf_store_prep(
		st, "SELECT serial, revoked_at, reason FROM ca_issued WHERE ca_id = $1 ORDER BY serial", &s, e);
	if (rc != CF_OK)
		return rc;
	D->bind_int(s, 1, ca_id);
	int r;
	while ((r = D->step(s, e)) == 1)
		fn(ctx, D->col_text(s, 0), D->col_int(s, 1), (int)D->col_int(s, 2));
	cf_store_release(st, s);
	return r < 0 ? (e ? e->code : CF_E_INTERNAL) : CF_OK;
}

cf_code cf_store_ca_ocsp_walk(cf_store *st, int64_t ca_id,
			      void (*fn)(void *ctx, const char *serial, const char *hash, const uint8_t *der,
					 size_t len, int64_t this_update, int64_t next_update),
			      void *ctx, cf_err *e)
{
	cf_stmt *s = NULL;
	cf_code rc = cf_store_prep(st,
				   "SELECT serial, hash, der, this_update, next_update FROM ca_ocsp WHERE ca_id = $1 "
				   "ORDER BY serial, hash",
				   &s, e);
	if (rc != CF_OK)
		return rc;
	D->bind_int(s, 1, ca_id);
	int r;
	while ((r = D->step(s, e)) == 1) {
		size_t len = 0;
		const void *der = D->col_blob(s, 2, &len);
		fn(ctx, D->col_text(s, 0), D->col_text(s, 1), der, len, D->col_int(s, 3), D->col_int(s, 4));
	}
	cf_store_release(st, s);
	return r < 0 ? (e ? e->code : CF_E_INTERNAL) : CF_OK;
}

cf_code cf_store_ca_ocsp_due(cf_store *st, int64_t ca_id, int64_t after, int64_t signed_before, size_t limit,
			     cf_caissued **v, size_t *n, cf_err *e)
{
	cf_stmt *s = NULL;
	*v = NULL;
	*n = 0;
	cf_code rc =
		cf_store_prep(st,
			      "SELECT i.serial, i.revoked_at, i.reason, i.not_after FROM ca_issued i"
			      " LEFT JOIN ca_ocsp o ON o.ca_id = i.ca_id AND o.serial = i.serial AND o.hash = 'sha256'"
			      " WHERE i.ca_id = $1 AND i.not_after > $2 AND (o.serial IS NULL OR o.this_update < $3)"
			      " ORDER BY i.serial LIMIT $4",
			      &s, e);
	if (rc != CF_OK)
		return rc;
	D->bind_int(s, 1, ca_id);
	D->bind_int(s, 2, after);
	D->bind_int(s, 3, signed_before);
	D->bind_int(s, 4, (int64_t)limit);
	size_t cap = 0;
	int r;
	while ((r = D->step(s, e)) == 1) {
		if (cf_grow(v, &cap, *n, sizeof(**v)) != 0) {
			r = -1;
			cf_err_set(e, CF_E_INTERNAL, "store", "out of memory");
			break;
		}
		cf_caissued *row = &(*v)[(*n)++];
		memset(row, 0, sizeof(*row));
		cf_store_copy(row->serial, sizeof(row->serial), D->col_text(s, 0));
		row->revoked_at = D->col_int(s, 1);
		row->reason = (int)D->col_int(s, 2);
		row->not_after = D->col_int(s, 3);
	}
	cf_store_release(st, s);
	if (r < 0) {
		free(*v);
		*v = NULL;
		*n = 0;
		return e ? e->code : CF_E_INTERNAL;
	}
	return CF_OK;
}

cf_code cf_store_ca_ocsp_oldest(cf_store *st, int64_t ca_id, int64_t *out, cf_err *e)
{
	return cf_store_query_int(st, "SELECT COALESCE(min(this_update), 0) FROM ca_ocsp WHERE ca_id = $1", &ca_id, out,
				  e);
}

cf_code cf_store_ca_ocsp_put(cf_store *st, int64_t ca_id, const cf_caanswer *v, size_t n, cf_err *e)
{
	cf_code rc = CF_OK;
	for (size_t i = 0; i < n && rc == CF_OK; i++) {
		cf_stmt *s = NULL;
		rc = cf_store_prep(st,
				   "INSERT INTO ca_ocsp (ca_id, serial, hash, this_update, next_update, der)"
				   " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (ca_id, serial, hash) DO UPDATE SET"
				   " this_update = $4, next_update = $5, der = $6",
				   &s, e);
		if (rc != CF_OK)
			break;
		D->bind_int(s, 1, ca_id);
		D->bind_text(s, 2, v[i].serial);
		D->bind_text(s, 3, v[i].hash);
		D->bind_int(s, 4, v[i].this_update);
		D->bind_int(s, 5, v[i].next_update);
		D->bind_blob(s, 6, v[i].der, v[i].len);
		rc = cf_store_run(st, s, e);
	}
	return rc == CF_OK && n > 0 ? bump(st, ca_id, e) : rc;
}

cf_code cf_store_ca_ocsp_signer_put(cf_store *st, int64_t ca_id, const uint8_t *der, size_t len, const char *key_pem,
				    cf_err *e)
{
	cf_stmt *s = NULL;
	cf_code rc = cf_store_prep(st, "UPDATE cas SET ocsp_der = $2, ocsp_key_pem = $3 WHERE id = $1", &s, e);
	if (rc != CF_OK)
		return rc;
	D->bind_int(s, 1, ca_id);
	D->bind_blob(s, 2, der ? der : (const uint8_t *)"", der ? len : 0);
	D->bind_text(s, 3, key_pem ? key_pem : "");
	if ((rc = cf_store_run(st, s, e)) != CF_OK)
		return rc;
	if ((rc = cf_store_prep(st, "DELETE FROM ca_ocsp WHERE ca_id = $1", &s, e)) != CF_OK)
		return rc;
	D->bind_int(s, 1, ca_id);
	rc = cf_store_run(st, s, e);
	return rc == CF_OK ? bump(st, ca_id, e) : rc;
}

cf_code cf_store_ca_versions(cf_store *st, cf_caversion **v, size_t *n, cf_err *e)
{
	cf_stmt *s = NULL;
	*v = NULL;
	*n = 0;
	cf_code rc = cf_store_prep(st, "SELECT id, name, ocsp_version, crl_number FROM cas ORDER BY id", &s, e);
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
		cf_caversion *row = &(*v)[(*n)++];
		row->id = D->col_int(s, 0);
		cf_store_copy(row->name, sizeof(row->name), D->col_text(s, 1));
		row->ocsp_version = D->col_int(s, 2);
		row->crl_number = D->col_int(s, 3);
	}
	cf_store_release(st, s);
	if (r < 0) {
		free(*v);
		*v = NULL;
		*n = 0;
		return e ? e->code : CF_E_INTERNAL;
	}
	return CF_OK;
}
