/* The store's certificates: identities, trust certificates and LSCs. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/grow.h"
#include "util/keyed.h"

#define D (st->drv)

/* ---- certificates ------------------------------------------------------------------------------ */

void cf_certrow_free(cf_certrow *r)
{
	if (r == NULL)
		return;
	free(r->node);
	free(r->name);
	free(r->der);
	cf_facts_free(&r->facts);
	free(r->distribution);
	free(r->source);
	free(r->description);
	free(r->chain_pem);
	cf_secret_free(r->key_pem);
	free(r->warnings);
	memset(r, 0, sizeof(*r));
}

/* A list of facts (SANs, OCSP and CRL DP URIs, EKU and subject OIDs) in one TEXT column: the
 * items joined by line feeds, a backslash in an item written as two and a line feed as a backslash
 * and an 'n', so an item that holds a line feed (a SAN "email:a@example.com<LF>DNS:b.example.com")
 * stays one item. Items without either are stored as they were before schema 9. New string;
 * NULL when out of memory. */
static char *joined(const cf_strv *sv)
{
	size_t len = 1;
	for (size_t i = 0; i < sv->n; i++)
		for (const char *p = sv->v[i];; p++) {
			len += *p == '\\' || *p == '\n' ? 2 : 1; /* the NUL counts the separator */
			if (*p == '\0')
				break;
		}
	char *out = malloc(len), *o = out;
	if (out == NULL)
		return NULL;
	for (size_t i = 0; i < sv->n; i++) {
		if (i > 0)
			*o++ = '\n';
		for (const char *p = sv->v[i]; *p != '\0'; p++) {
			if (*p == '\\' || *p == '\n')
				*o++ = '\\';
			*o++ = *p == '\n' ? 'n' : *p;
		}
	}
	*o = '\0';
	return out;
}

/* ---- bulk statements: many rows or keys per statement ------------------------------------------ */

/* Rows per multi-row INSERT (36 parameters a row: 9,216 of PostgreSQL's 65,535) and keys per IN
 * list of a lookup. A statement's text is fixed, so each is prepared once and cached: an insert
 * of BULK_ROWS, of 16 or of 1 row (the tail of a batch); lookups pad their last list. */
#define BULK_ROWS 256
#define BULK_KEYS 256
#define CERT_PARAMS 36
static const int insert_sizes[] = {BULK_ROWS, 16, 1};
#define N_INSERT (int)(sizeof(insert_sizes) / sizeof(insert_sizes[0]))

static struct {
	char *insert[N_INSERT]; /* insert[i]: insert_sizes[i] rows */
	char *held, *cn, *del;
	bool ok;
} bulk;
static pthread_once_t bulk_once = PTHREAD_ONCE_INIT;

/* Builds the texts once for the process (cf_store_prep keys its cache by the text's address). */
static void bulk_build(void)
{
	static const char insert_head[] =
		"INSERT INTO certificates (node_id, kind, name, der, sha256, spki_sha256, subject, issuer,"
		" cn, serial, not_before, not_after, key_type, key_bits, curve, sig_hash, self_signed, ca,"
		" has_bc, has_ku, ku, has_eku, eku, eku_other, san, ocsp, crl_dp, unsupported_oids,"
		" distribution, source, description, chain_pem, key_pem, warnings, created, anchor_sha256) VALUES ";
	bool ok = true;
	for (int i = 0; i < N_INSERT; i++)
		ok &= (bulk.insert[i] = cf_store_sql_groups(insert_head, 1, insert_sizes[i], CERT_PARAMS,
							    " RETURNING id")) != NULL;
	ok &= (bulk.held = cf_store_sql_groups("SELECT sha256 FROM certificates WHERE node_id = $1 AND name = $2"
					       " AND kind = 2 AND sha256 IN (",
					       3, BULK_KEYS, 1, ")")) != NULL;
	ok &= (bulk.cn = cf_store_sql_groups("SELECT cn, min(sha256), max(sha256) FROM certificates WHERE"
					     " node_id = $1 AND name = $2 AND kind = 2 AND cn IN (",
					     3, BULK_KEYS, 1, ") GROUP BY cn")) != NULL;
	ok &= (bulk.del = cf_store_sql_groups("DELETE FROM certificates WHERE id IN (", 1, BULK_KEYS, 1, ")")) != NULL;
	bulk.ok = ok;
}

static cf_code bulk_ready(cf_err *e)
{
	pthread_once(&bulk_once, bulk_build);
	return bulk.ok ? CF_OK : cf_err_set(e, CF_E_INTERNAL, "store", "out of memory");
}

/* Binds row r to parameters $base+1 .. $base+36 of s. */
static cf_code bind_row(cf_store *st, cf_stmt *s, int base, const cf_certrow *r, cf_err *e)
{
	const cf_facts *f = &r->facts;
	char *eku_other = joined(&f->eku_other), *san = joined(&f->san), *ocsp = joined(&f->ocsp),
	     *crl_dp = joined(&f->crl_dp), *oids = joined(&f->unsupported_oids);
	cf_code rc = CF_OK;
	if (eku_other == NULL || san == NULL || ocsp == NULL || crl_dp == NULL || oids == NULL)
		rc = cf_err_set(e, CF_E_INTERNAL, "store", "out of memory");
	D->bind_int(s, base + 1, r->node_id);
	D->bind_int(s, base + 2, r->kind);
	D->bind_text(s, base + 3, r->name);
	D->bind_blob(s, base + 4, r->der, r->der_len);
	D->bind_text(s, base + 5, f->sha256);
	D->bind_text(s, base + 6, f->spki_sha256);
	D->bind_text(s, base + 7, f->subject);
	D->bind_text(s, base + 8, f->issuer);
	D->bind_text(s, base + 9, f->cn);
	D->bind_text(s, base + 10, f->serial);
	D->bind_int(s, base + 11, f->not_before);
	D->bind_int(s, base + 12, f->not_after);
	D->bind_int(s, base + 13, f->key_type);
	D->bind_int(s, base + 14, f->key_bits);
	D->bind_text(s, base + 15, f->curve);
	D->bind_text(s, base + 16, f->sig_hash);
	D->bind_int(s, base + 17, f->self_signed);
	D->bind_int(s, base + 18, f->ca);
	D->bind_int(s, base + 19, f->has_basic_constraints);
	D->bind_int(s, base + 20, f->has_ku);
	D->bind_int(s, base + 21, f->ku);
	D->bind_int(s, base + 22, f->has_eku);
	D->bind_int(s, base + 23, f->eku);
	D->bind_text(s, base + 24, eku_other);
	D->bind_text(s, base + 25, san);
	D->bind_text(s, base + 26, ocsp);
	D->bind_text(s, base + 27, crl_dp);
	D->bind_text(s, base + 28, oids);
	D->bind_text(s, base + 29, r->distribution ? r->distribution : "single-server");
	D->bind_text(s, base + 30, r->source ? r->source : "upload");
	D->bind_text(s, base + 31, r->description ? r->description : "");
	D->bind_text(s, base + 32, r->chain_pem ? r->chain_pem : "");
	D->bind_text(s, base + 33, r->key_pem);
	D->bind_text(s, base + 34, r->warnings ? r->warnings : "[]");
	D->bind_int(s, base + 35, r->created ? r->created : cf_clock_now());
	D->bind_text(s, base + 36, r->anchor_sha256);
	free(eku_other);
	free(san);
	free(ocsp);
	free(crl_dp);
	free(oids);
	return rc;
}

static int id_cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* One multi-row INSERT of the first insert_sizes[size] rows of r. Each engine takes the ids in the
 * order of the VALUES rows (SQLite: one more than the largest, PostgreSQL: the next of a sequence),
 * as one INSERT a row did; RETURNING's rows come in no promised order, so they are sorted. */
static cf_code insert_rows(cf_store *st, int size, cf_certrow *r, cf_err *e)
{
	int rows = insert_sizes[size];
	int64_t ids[BULK_ROWS];
	cf_stmt *s = NULL;
	cf_code rc = cf_store_prep(st, bulk.insert[size], &s, e);
	for (int i = 0; rc == CF_OK && i < rows; i++)
		rc = bind_row(st, s, i * CERT_PARAMS, &r[i], e);
	if (rc != CF_OK) {
		if (s != NULL)
			cf_store_release(st, s);
		return rc;
	}
	int got = 0, res;
	while ((res = D->step(s, e)) == 1)
		if (got < rows)
			ids[got++] = D->col_int(s, 0);
	cf_store_release(st, s);
	if (res < 0)
		return e ? e->code : CF_E_INTERNAL;
	if (got != rows)
		return cf_err_set(e, CF_E_INTERNAL, "store", "an insert of %d certificates returned %d ids", rows, got);
	qsort(ids, (size_t)rows, sizeof(ids[0]), id_cmp);
	for (int i = 0; i < rows; i++)
		r[i].id = ids[i];
	return CF_OK;
}

cf_code cf_store_cert_insert_many(cf_store *st, cf_certrow *rows, size_t n, cf_err *e)
{
	cf_code rc = bulk_ready(e);
	for (size_t done = 0; rc == CF_OK && done < n;) {
		int size = 0;
		while ((size_t)insert_sizes[size] > n - done)
			size++; /* the last size is 1 */
		rc = insert_rows(st, size, rows + done, e);
		done += (size_t)insert_sizes[size];
		if (rc == CF_OK)
			st->bulk_rows += insert_sizes[size];
	}
	return rc;
}

cf_code cf_store_cert_insert(cf_store *st, cf_certrow *r, cf_err *e)
{
	return cf_store_cert_insert_many(st, r, 1, e);
}

cf_code cf_store_cert_delete_many(cf_store *st, const int64_t *ids, size_t n, cf_err *e)
{
	cf_code rc = bulk_ready(e);
	for (size_t at = 0; rc == CF_OK && at < n; at += BULK_KEYS) {
		cf_stmt *s = NULL;
		if ((rc = cf_store_prep(st, bulk.del, &s, e)) != CF_OK)
			break;
		/* a short last list repeats its last id */
		for (size_t i = 0; i < BULK_KEYS; i++)
			D->bind_int(s, (int)i + 1, ids[at + i < n ? at + i : n - 1]);
		rc = cf_store_run(st, s, e);
	}
	return rc;
}

/* Runs a lookup in a trust store (sql: $1 the node, $2 the store, $3.. the keys of an IN list)
 * over the n keys, BULK_KEYS at a time (a short last list repeats its last key), calling fn for
 * every row. Empty keys are not asked for. */
static cf_code lookup(cf_store *st, const char *sql, int64_t node_id, const char *store, const char *const *keys,
		      size_t n, void (*fn)(void *ctx, cf_store *st, cf_stmt *s), void *ctx, cf_err *e)
{
	cf_code rc = CF_OK;
	size_t at = 0;
	while (rc == CF_OK && at < n) {
		const char *list[BULK_KEYS];
		size_t k = 0;
		for (; at < n && k < BULK_KEYS; at++)
			if (keys[at][0] != '\0')
				list[k++] = keys[at];
		if (k == 0)
			break;
		cf_stmt *s = NULL;
		if ((rc = cf_store_prep(st, sql, &s, e)) != CF_OK)
			break;
		D->bind_int(s, 1, node_id);
		D->bind_text(s, 2, store);
		for (size_t i = 0; i < BULK_KEYS; i++)
			D->bind_text(s, (int)i + 3, list[i < k ? i : k - 1]);
		int r;
		while ((r = D->step(s, e)) == 1)
			fn(ctx, st, s);
		cf_store_release(st, s);
		if (r < 0)
			rc = e ? e->code : CF_E_INTERNAL;
	}
	return rc;
}

/* ---- trust lookups ---- */

typedef struct trust_known {
	const cf_facts *facts;
	cf_keyed *by_sha, *by_cn;
	size_t n;
	unsigned char *known;
} trust_known;

static void held_row(void *ctx, cf_store *st, cf_stmt *s)
{
	trust_known *k = ctx;
	const char *sha = D->col_text(s, 0);
	for (size_t i = cf_keyed_first(k->by_sha, k->n, sha); i < k->n && strcmp(k->by_sha[i].key, sha) == 0; i++)
		k->known[k->by_sha[i].at] |= CF_TRUST_HELD;
}

static void cn_row(void *ctx, cf_store *st, cf_stmt *s)
{
	trust_known *k = ctx;
	const char *cn = D->col_text(s, 0);
	char lo[65], hi[65];
	cf_store_copy(lo, sizeof(lo), D->col_text(s, 1));
	cf_store_copy(hi, sizeof(hi), D->col_text(s, 2));
	for (size_t i = cf_keyed_first(k->by_cn, k->n, cn); i < k->n && strcmp(k->by_cn[i].key, cn) == 0; i++) {
		size_t at = k->by_cn[i].at;
		/* another SHA-256 under this CN: the stored ones are not all this one */
		if (strcmp(lo, hi) != 0 || strcmp(lo, k->facts[at].sha256) != 0)
			k->known[at] |= CF_TRUST_OTHER_CN;
	}
}

cf_code cf_store_trust_known(cf_store *st, int64_t node_id, const char *store, const cf_facts *facts, size_t n,
			     unsigned char *known, cf_err *e)
{
	trust_known k = {.facts = facts, .n = n, .known = known};
	const char **keys = NULL;
	cf_code rc = bulk_ready(e);
	memset(known, 0, n);
	if (rc == CF_OK && n > 0 &&
	    ((k.by_sha = malloc(n * sizeof(*k.by_sha))) == NULL || (k.by_cn = malloc(n * sizeof(*k.by_cn))) == NULL ||
	     (keys = malloc(n * sizeof(*keys))) == NULL))
		rc = cf_err_set(e, CF_E_INTERNAL, "store", "out of memory");
	for (size_t i = 0; rc == CF_OK && i < n; i++) {
		k.by_sha[i] = (cf_keyed){facts[i].sha256, i};
		k.by_cn[i] = (cf_keyed){facts[i].cn ? facts[i].cn : "", i};
	}
	if (rc == CF_OK && n > 0) {
		cf_keyed_sort(k.by_sha, n);
		cf_keyed_sort(k.by_cn, n);
		for (size_t i = 0; i < n; i++)
			keys[i] = facts[i].sha256;
		rc = lookup(st, bulk.held, node_id, store, keys, n, held_row, &k, e);
	}
	if (rc == CF_OK && n > 0) {
		for (size_t i = 0; i < n; i++)
			keys[i] = facts[i].cn ? facts[i].cn : "";
		rc = lookup(st, bulk.cn, node_id, store, keys, n, cn_row, &k, e);
	}
	free(keys);
	free(k.by_sha);
	free(k.by_cn);
	return rc;
}

cf_code cf_store_cert_delete(cf_store *st, int64_t id, cf_err *e)
{
	cf_stmt *s = NULL;
	cf_code rc = cf_store_prep(st, "DELETE FROM certificates WHERE id = $1", &s, e);
	if (rc != CF_OK)
		return rc;
	D->bind_int(s, 1, id);
	return cf_store_run(st, s, e);
}

cf_code cf_store_identity_delete(cf_store *st, int64_t node_id, const char *purpose, cf_err *e)
{
	return cf_store_named_delete(st, node_id, CF_IDENTITY, purpose, e);
}

cf_code cf_store_named_delete(cf_store *st, int64_t node_id, cf_certkind kind, const char *name, cf_err *e)
{
	cf_stmt *s = NULL;
	cf_code rc =
		cf_store_prep(st, "DELETE FROM certificates WHERE node_id = $1 AND name = $2 AND kind = $3", &s, e);
	if (rc != CF_OK)
		return rc;
	D->bind_int(s, 1, node_id);
	D->bind_text(s, 2, name);
	D->bind_int(s, 3, kind);
	return cf_store_run(st, s, e);
}

/* Columns read into a cf_certrow, in this order: those a listing shows (the certificate object
 * of the API and of `cert list --json`), then the rest (READ_MORE), then DER and key when asked.
 * A node's page takes its node's FQDN from the node list instead (one table to plan); a page of a
 * listing reads only the columns shown, a quarter fewer bytes from the server. */
#define CERT_COLS_SHOWN                                                                                                \
	" c.id, c.kind, c.name, c.sha256, c.subject, c.issuer, c.cn, c.serial, c.not_before, c.not_after,"             \
	" c.key_type, c.key_bits, c.curve, c.sig_hash, c.self_signed, c.ca, c.ku, c.eku, c.eku_other, c.san, c.ocsp,"  \
	" c.crl_dp, c.distribution, c.source, c.description, c.warnings"
/* the rest, with the node's FQDN as fqdn gives it */
#define CERT_COLS_MORE(fqdn)                                                                                           \
	", c.node_id, " fqdn ", c.spki_sha256, c.has_bc, c.has_ku, c.has_eku, c.unsupported_oids, c.chain_pem,"        \
	" c.created, c.anchor_sha256"
#define CERT_COLS CERT_COLS_SHOWN CERT_COLS_MORE("n.fqdn")
#define CERT_COLS_OF_NODE CERT_COLS_SHOWN CERT_COLS_MORE("'' AS fqdn")

enum { READ_MORE = 1, READ_DER = 2, READ_KEY = 4 };

/* Reads the row's shown columns, and what asks for after them. */
static void read_cert(cf_store *st, cf_stmt *s, cf_certrow *r, unsigned what)
{
	cf_facts *f = &r->facts;
	int i = 0;
	r->id = D->col_int(s, i++);
	r->kind = (cf_certkind)D->col_int(s, i++);
	r->name = cf_store_dup(D->col_text(s, i++));
	cf_store_copy(f->sha256, sizeof(f->sha256), D->col_text(s, i++));
	f->subject = cf_store_dup(D->col_text(s, i++));
	f->issuer = cf_store_dup(D->col_text(s, i++));
	f->cn = cf_store_dup(D->col_text(s, i++));
	f->serial = cf_store_dup(D->col_text(s, i++));
	f->not_before = D->col_int(s, i++);
	f->not_after = D->col_int(s, i++);
	f->key_type = (cf_keytype)D->col_int(s, i++);
	f->key_bits = (int)D->col_int(s, i++);
	cf_store_copy(f->curve, sizeof(f->curve), D->col_text(s, i++));
	cf_store_copy(f->sig_hash, sizeof(f->sig_hash), D->col_text(s, i++));
	f->self_signed = D->col_int(s, i++) != 0;
	f->ca = D->col_int(s, i++) != 0;
	f->ku = (unsigned)D->col_int(s, i++);
	f->eku = (unsigned)D->col_int(s, i++);
	cf_store_split_list(D->col_text(s, i++), &f->eku_other);
	cf_store_split_list(D->col_text(s, i++), &f->san);
	cf_store_split_list(D->col_text(s, i++), &f->ocsp);
	cf_store_split_list(D->col_text(s, i++), &f->crl_dp);
	r->distribution = cf_store_dup(D->col_text(s, i++));
	r->source = cf_store_dup(D->col_text(s, i++));
	r->description = cf_store_dup(D->col_text(s, i++));
	r->warnings = cf_store_dup(D->col_text(s, i++));
	if ((what & READ_MORE) == 0)
		return;
	r->node_id = D->col_int(s, i++);
	r->node = cf_store_dup(D->col_text(s, i++));
	cf_store_copy(f->spki_sha256, sizeof(f->spki_sha256), D->col_text(s, i++));
	f->has_basic_constraints = D->col_int(s, i++) != 0;
	f->has_ku = D->col_int(s, i++) != 0;
	f->has_eku = D->col_int(s, i++) != 0;
	cf_store_split_list(D->col_text(s, i++), &f->unsupported_oids);
	r->chain_pem = cf_store_dup(D->col_text(s, i++));
	r->created = D->col_int(s, i++);
	cf_store_copy(r->anchor_sha256, sizeof(r->anchor_sha256), D->col_text(s, i++));
	if (what & READ_DER) {
		size_t len = 0;
		const void *p = D->col_blob(s, i++, &len);
		r->der = malloc(len ? len : 1);
		if (r->der != NULL && len > 0)
			memcpy(r->der, p, len);
		r->der_len = len;
	}
	if (what & READ_KEY)
		r->key_pem = cf_store_dup(D->col_text(s, i++));
}

static cf_code get_one(cf_store *st, cf_stmt *s, bool with_key, cf_certrow *out, const char *what, cf_err *e)
{
	int r = D->step(s, e);
	if (r == 1) {
		memset(out, 0, sizeof(*out));
		read_cert(st, s, out, READ_MORE | READ_DER | (with_key ? READ_KEY : 0));
	}
	cf_store_release(st, s);
	if (r == 0)
		return cf_err_set(e, CF_E_NOTFOUND, what, "no such certificate");
	return r == 1 ? CF_OK : (e ? e->code : CF_E_INTERNAL);
}

cf_code cf_store_cert_get(cf_store *st, int64_t id, bool with_key, cf_certrow *out, cf_err *e)
{
	cf_stmt *s = NULL;
	cf_code rc = cf_store_prep(st,
				   "SELECT " CERT_COLS ", c.der, c.key_pem FROM certificates c "
				   "JOIN nodes n ON n.id = c.node_id WHERE c.id = $1",
				   &s, e);
	if (rc != CF_OK)
		return rc;
	D->bind_int(s, 1, id);
	char what[32];
	snprintf(what, sizeof(what), "certificate %lld", (long long)id);
	return get_one(st, s, with_key, out, what, e);
}

cf_code cf_store_identity_get(cf_store *st, int64_t node_id, const char *purpose, bool with_key, cf_certrow *out,
			      cf_err *e)
{
	return cf_store_named_get(st, node_id, CF_IDENTITY, purpose, with_key, out, e);
}

cf_code cf_store_named_get(cf_store *st, int64_t node_id, cf_certkind kind, const char *name, bool with_key,
			   cf_certrow *out, cf_err *e)
{
	cf_stmt *s = NULL;
	cf_code rc =
		cf_store_prep(st,
			      "SELECT " CERT_COLS ", c.der, c.key_pem FROM certificates c "
			      "JOIN nodes n ON n.id = c.node_id WHERE c.node_id = $1 AND c.name = $2 AND c.kind = $3",
			      &s, e);
	if (rc != CF_OK)
		return rc;
	D->bind_int(s, 1, node_id);
	D->bind_text(s, 2, name);
	D->bind_int(s, 3, kind);
	return get_one(st, s, with_key, out, name, e);
}

/* Certificate filters: each set in a cf_certfilter adds its condition on certificates c JOIN
 * nodes n, '$' standing for its parameter (numbered in this order among those set). A query's
 * text holds only the filters it sets, one text per combination, so PostgreSQL can plan it once
 * for every run: with all of them as "$1 = '' OR ..." its plan for any values sorted a node's
 * whole list, and planning each run cost more than reading the page. */
enum { F_NODE, F_PURPOSE, F_STORE, F_BEGINS, F_EXPIRING, F_KIND, N_FILTERS };
static const char *const filter_sql[N_FILTERS] = {
	"lower(n.fqdn) = lower($)",
	"c.kind = 1 AND c.name = $",
	"c.kind = 2 AND c.name = $",
	/* the text is lowered in C (ASCII only): lower() of a parameter follows the database's locale
	 * on PostgreSQL, where the columns' "C" collation (and SQLite) lower ASCII only */
	"(substr(lower(c.cn), 1, length($)) = $ OR substr(lower(c.name), 1, length($)) = $)",
	"c.not_after <= $",
	"c.kind = $",
};
#define N_MASKS (1 << N_FILTERS)

/* The filters f sets, as a mask of (1 << F_...). */
static unsigned filter_mask(const cf_certfilter *f)
{
	return (f->node && *f->node ? 1u << F_NODE : 0) | (f->purpose && *f->purpose ? 1u << F_PURPOSE : 0) |
	       (f->store && *f->store ? 1u << F_STORE : 0) | (f->begins_with && *f->begins_with ? 1u << F_BEGINS : 0) |
	       (f->expiring_before != 0 ? 1u << F_EXPIRING : 0) | (f->kind != 0 ? 1u << F_KIND : 0);
}

/* head, the conditions of mask with parameters numbered from first, then tail, in which '#' and
 * '%' stand for the next two parameter numbers. New string, NULL when out of memory. */
static char *filtered_sql(const char *head, unsigned mask, int first, const char *tail)
{
	cf_buf b = {0};
	int n = first;
	cf_buf_adds(&b, head);
	for (int i = 0; i < N_FILTERS; i++) {
		if ((mask & (1u << i)) == 0)
			continue;
		cf_buf_adds(&b, " AND ");
		for (const char *p = filter_sql[i]; *p != '\0'; p++)
			if (*p == '$')
				cf_buf_addf(&b, "$%d", n);
			else
				cf_buf_add(&b, p, 1);
		n++;
	}
	if ((mask & (1u << F_KIND)) == 0)
		cf_buf_adds(&b, " AND c.kind <> 3"); /* phones' LSCs only when asked for by kind */
	for (const char *p = tail; *p != '\0'; p++)
		if (*p == '#' || *p == '%')
			cf_buf_addf(&b, "$%d", *p == '#' ? n : n + 1);
		else
			cf_buf_add(&b, p, 1);
	if (b.oom) {
		cf_buf_free(&b);
		return NULL;
	}
	return b.p;
}

/* The texts of the filtered queries for every mask (the count per node; a node's page, whole rows
 * or the columns shown), built once for the process. */
static struct {
	char *count[N_MASKS], *page[N_MASKS], *shown[N_MASKS];
	bool ok;
} filtered;
static pthread_once_t filtered_once = PTHREAD_ONCE_INIT;

static void filtered_build(void)
{
	bool ok = true;
	for (unsigned m = 0; m < N_MASKS; m++) {
		ok &= (filtered.count[m] = filtered_sql("SELECT n.id, n.fqdn, count(*) FROM nodes n JOIN certificates c"
							" ON n.id = c.node_id WHERE 1 = 1",
							m, 1, " GROUP BY n.id, n.fqdn ORDER BY n.fqdn")) != NULL;
		/* the node is chosen by the count: a page reads one table. LIMIT and OFFSET are
		 * sub-selects of their parameters: PostgreSQL cannot see their values through them,
		 * so every plan is made for the same unknown page; after five runs it keeps one
		 * (the walk of certificates_list) where a bare "LIMIT $n", whose plan for any value
		 * looks a thousand times dearer than the plan for 50, had it plan every page again
		 * (a third of the server's time a page) */
		if ((m & (1u << F_NODE)) == 0) {
			static const char tail[] = " ORDER BY c.kind, c.name, c.id LIMIT (SELECT #) OFFSET (SELECT %)";
			ok &= (filtered.page[m] = filtered_sql("SELECT " CERT_COLS_OF_NODE
							       " FROM certificates c WHERE c.node_id = $1",
							       m, 2, tail)) != NULL;
			ok &= (filtered.shown[m] = filtered_sql("SELECT " CERT_COLS_SHOWN
								" FROM certificates c WHERE c.node_id = $1",
								m, 2, tail)) != NULL;
		}
	}
	filtered.ok = ok;
}

/* A prepared filtered query (count: the count per node, with its FQDN; else a node's page, its
 * node $1, without the node filter) with the filters' parameters bound; *next is the number of the
 * parameter after them. */
static cf_code filtered_prep(cf_store *st, const cf_certfilter *f, bool count, cf_stmt **s, int *next, cf_err *e)
{
	pthread_once(&filtered_once, filtered_build);
	if (!filtered.ok)
		return cf_err_set(e, CF_E_INTERNAL, "store", "out of memory");
	unsigned mask = filter_mask(f) & (count ? ~0u : ~(1u << F_NODE));
	cf_code rc = cf_store_prep(st,
				   count	   ? filtered.count[mask]
				   : f->shown_only ? filtered.shown[mask]
						   : filtered.page[mask],
				   s, e);
	if (rc != CF_OK)
		return rc;
	int n = count ? 1 : 2;
	const char *text[N_FILTERS] = {f->node, f->purpose, f->store, f->begins_with};
	for (int i = 0; i < N_FILTERS; i++) {
		if ((mask & (1u << i)) == 0)
			continue;
		if (i == F_EXPIRING)
			D->bind_int(*s, n++, f->expiring_before);
		else if (i == F_KIND)
			D->bind_int(*s, n++, f->kind);
		else if (i == F_BEGINS) {
			char *low = strdup(text[i]);
			if (low == NULL) {
				cf_store_release(st, *s);
				return cf_err_set(e, CF_E_INTERNAL, "store", "out of memory");
			}
			for (char *p = low; *p != '\0'; p++)
				if (*p >= 'A' && *p <= 'Z')
					*p = (char)(*p - 'A' + 'a');
			D->bind_text(*s, n++, low);
			free(low);
		} else
			D->bind_text(*s, n++, text[i]);
	}
	*next = n;
	return CF_OK;
}

/* Appends a node's count to c; -1 when out of memory. */
static int count_push(struct cf_count_slot *c, int64_t node_id, const char *fqdn, int64_t n)
{
	if (c->nodes == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 8;
		int64_t *ids = realloc(c->node_ids, cap * sizeof(*ids));
		if (ids == NULL)
			return -1;
		c->node_ids = ids;
		int64_t *ns = realloc(c->node_ns, cap * sizeof(*ns));
		if (ns == NULL)
			return -1;
		c->node_ns = ns;
		char **names = realloc(c->node_fqdns, cap * sizeof(*names));
		if (names == NULL)
			return -1;
		c->node_fqdns = names;
		c->cap = cap;
	}
	if ((c->node_fqdns[c->nodes] = strdup(fqdn)) == NULL)
		return -1;
	c->node_ids[c->nodes] = node_id;
	c->node_ns[c->nodes++] = n;
	c->n += n;
	return 0;
}

/* A copy of src's counts (not its key) into dst; -1 when out of memory (dst then empty). */
static int count_copy(struct cf_count_slot *dst, const struct cf_count_slot *src)
{
	memset(dst, 0, sizeof(*dst));
	for (size_t i = 0; i < src->nodes; i++)
		if (count_push(dst, src->node_ids[i], src->node_fqdns[i], src->node_ns[i]) != 0) {
			cf_count_slot_clear(dst);
			return -1;
		}
	return 0;
}

/* The filter's certificates on each node, the nodes in display order (by FQDN), into out (its own
 * arrays). Cached per filter until the store changes, in this process or any other: listing pages
 * of 100,000 certificates does not count them again for every page. fresh: counted now, in the
 * caller's snapshot, and not kept. */
static cf_code node_counts(cf_store *st, const cf_certfilter *f, bool fresh, struct cf_count_slot *out, cf_err *e)
{
	char *key = NULL;
	int64_t version = cf_store_data_version(st);
	memset(out, 0, sizeof(*out));
	/* a key no filter text can forge: the fields separated by a byte they cannot hold */
	if (asprintf(&key, "%s%c%s%c%s%c%s%c%lld%c%d", f->node ? f->node : "", 0x1f, f->purpose ? f->purpose : "", 0x1f,
		     f->store ? f->store : "", 0x1f, f->begins_with ? f->begins_with : "", 0x1f,
		     (long long)f->expiring_before, 0x1f, f->kind) < 0)
		return cf_err_set(e, CF_E_INTERNAL, "store", "out of memory");
	for (int i = 0; i < CF_COUNT_CACHE; i++) {
		const struct cf_count_slot *c = &st->counts[i];
		if (!fresh && c->key != NULL && version >= 0 && c->version == version && !st->in_tx &&
		    strcmp(c->key, key) == 0) {
			free(key);
			return count_copy(out, c) == 0 ? CF_OK : cf_err_set(e, CF_E_INTERNAL, "store", "out of memory");
		}
	}
	cf_stmt *s = NULL;
	int next = 0;
	cf_code rc = filtered_prep(st, f, true, &s, &next, e);
	if (rc != CF_OK) {
		free(key);
		return rc;
	}
	int r;
	while ((r = D->step(s, e)) == 1)
		if (count_push(out, D->col_int(s, 0), D->col_text(s, 1), D->col_int(s, 2)) != 0) {
			rc = cf_err_set(e, CF_E_INTERNAL, "store", "out of memory");
			break;
		}
	cf_store_release(st, s);
	if (rc == CF_OK && r < 0)
		rc = e ? e->code : CF_E_INTERNAL;
	/* kept when counted outside a transaction (uncommitted changes do not move the data version)
	 * at a known version (-1: the store's version could not be read) */
	struct cf_count_slot *c = &st->counts[st->counts_next % CF_COUNT_CACHE];
	if (rc == CF_OK && !st->in_tx && !fresh && version >= 0) {
		cf_count_slot_clear(c);
		if (count_copy(c, out) == 0) {
			c->key = key;
			c->version = version;
			st->counts_next++;
			key = NULL;
		}
	}
	free(key);
	if (rc != CF_OK)
		cf_count_slot_clear(out);
	return rc;
}

cf_code cf_store_cert_count(cf_store *st, const cf_certfilter *f, int64_t *n, cf_err *e)
{
	struct cf_count_slot c;
	cf_code rc = node_counts(st, f, false, &c, e);
	if (rc == CF_OK)
		*n = c.n;
	cf_count_slot_clear(&c);
	return rc;
}

/* Walks one node's page: its certificates from the certificates_list index (node, kind, name,
 * id), in display order without a sort (a join ordered by the node's FQDN first is sorted whole by
 * PostgreSQL, whose plans keep only the outer side's order). *walked counts the rows. */
static cf_code node_page(cf_store *st, const cf_certfilter *f, int64_t node_id, const char *fqdn, int64_t offset,
			 int64_t limit, int (*fn)(void *ctx, const cf_certrow *r), void *ctx, int64_t *walked,
			 int *stop, cf_err *e)
{
	cf_stmt *s = NULL;
	int next = 0;
	cf_code rc = filtered_prep(st, f, false, &s, &next, e);
	if (rc != CF_OK)
		return rc;
	D->bind_int(s, 1, node_id);
	D->bind_int(s, next, limit);
	D->bind_int(s, next + 1, offset);
	int r;
	while ((r = D->step(s, e)) == 1) {
		cf_certrow row = {0};
		read_cert(st, s, &row, f->shown_only ? 0 : READ_MORE);
		free(row.node);
		row.node = (char *)fqdn; /* borrowed from the node list */
		row.node_id = node_id;
		(*walked)++;
		*stop = fn(ctx, &row);
		row.node = NULL;
		cf_certrow_free(&row);
		if (*stop)
			break;
	}
	cf_store_release(st, s);
	return r < 0 ? (e ? e->code : CF_E_INTERNAL) : CF_OK;
}

/* How many nodes of c the window [skip, skip + left) takes rows from. */
static size_t nodes_spanned(const struct cf_count_slot *c, int64_t skip, int64_t left)
{
	size_t n = 0;
	for (size_t i = 0; i < c->nodes && left > 0; i++) {
		if (skip >= c->node_ns[i]) {
			skip -= c->node_ns[i];
			continue;
		}
		n++;
		left -= c->node_ns[i] - skip;
		skip = 0;
	}
	return n;
}

cf_code cf_store_cert_each(cf_store *st, const cf_certfilter *f, int (*fn)(void *ctx, const cf_certrow *r), void *ctx,
			   cf_err *e)
{
	/* nodes in name order, with how many certificates of each match (whole nodes before the
	 * offset are skipped), then each node's page. A walk over more than one node holds a read
	 * transaction, counted again in it, so it sees one state of the store as one query did; one
	 * node's page is one query anyway (a page of the API: no BEGIN and COMMIT to wait for) */
	struct cf_count_slot c = {0};
	int64_t skip = f->offset > 0 ? f->offset : 0, left = f->limit > 0 ? f->limit : INT64_MAX;
	bool own_tx = false;
	cf_code rc = node_counts(st, f, false, &c, e);
	if (rc == CF_OK && !st->in_tx && st->reading == 0 && nodes_spanned(&c, skip, left) > 1) {
		cf_count_slot_clear(&c);
		if ((rc = D->begin(st->db, CF_TX_READ, e)) == CF_OK) {
			own_tx = true;
			rc = node_counts(st, f, true, &c, e);
		}
	}
	st->reading++;
	int stop = 0;
	for (size_t i = 0; rc == CF_OK && !stop && left > 0 && i < c.nodes; i++) {
		int64_t walked = 0;
		if (skip >= c.node_ns[i]) {
			skip -= c.node_ns[i];
			continue;
		}
		rc = node_page(st, f, c.node_ids[i], c.node_fqdns[i], skip, left, fn, ctx, &walked, &stop, e);
		skip = 0;
		left -= walked;
	}
	st->reading--;
	cf_count_slot_clear(&c);
	if (own_tx) {
		if (rc == CF_OK)
			rc = D->commit(st->db, e);
		if (rc != CF_OK)
			D->rollback(st->db);
	}
	if (rc != CF_OK)
		return rc;
	return stop ? (cf_code)stop : CF_OK;
}

cf_code cf_store_revalidate(cf_store *st, const char *node, int64_t now,
			    int (*fn)(void *ctx, const cf_certrow *r, const char *rule), void *ctx,
			    cf_revalidation *out, cf_err *e)
{
	static const char sql[] =
		"SELECT c.id, n.fqdn, c.kind, c.name, c.cn, c.not_before, c.not_after,"
		" c.kind = 2 OR c.anchor_sha256 = '' OR c.anchor_sha256 = c.sha256 OR EXISTS (SELECT 1 FROM"
		" certificates a WHERE a.node_id = c.node_id AND a.kind = 2 AND a.sha256 = c.anchor_sha256)"
		" FROM certificates c JOIN nodes n ON n.id = c.node_id WHERE c.kind < 3 AND"
		" ($1 = '' OR lower(n.fqdn) = lower($1)) ORDER BY c.id";
	cf_stmt *s = NULL;
	cf_revalidation rv = {0};
	cf_code rc = cf_store_prep(st, sql, &s, e);
	if (rc != CF_OK)
		return rc;
	D->bind_text(s, 1, node ? node : "");
	int r;
	while ((r = D->step(s, e)) == 1) {
		int64_t nb = D->col_int(s, 5), na = D->col_int(s, 6);
		bool anchored = D->col_int(s, 7) != 0;
		const char *rule = now > na    ? "expired"
				   : now < nb  ? "not-yet-valid"
				   : !anchored ? "untrusted-issuer"
					       : NULL;
		rv.total++;
		if (rule == NULL) {
			rv.ok++;
			continue;
		}
		rv.expired += rule[0] == 'e';
		rv.not_yet_valid += rule[0] == 'n';
		rv.anchor_missing += rule[0] == 'u';
		if (fn != NULL) {
			cf_certrow row = {.id = D->col_int(s, 0), .kind = (cf_certkind)D->col_int(s, 2)};
			row.node = (char *)D->col_text(s, 1);
			row.name = (char *)D->col_text(s, 3);
			row.facts.cn = (char *)D->col_text(s, 4);
			row.facts.not_before = nb;
			row.facts.not_after = na;
			fn(ctx, &row, rule);
		}
	}
	cf_store_release(st, s);
	if (r < 0)
		return e ? e->code : CF_E_INTERNAL;
	*out = rv;
	return CF_OK;
}

cf_code cf_store_trust_find(cf_store *st, int64_t node_id, const char *store, const char *sha256, int64_t *id,
			    cf_err *e)
{
	cf_stmt *s = NULL;
	cf_code rc = cf_store_prep(
		st, "SELECT id FROM certificates WHERE node_id = $1 AND name = $2 AND kind = 2 AND sha256 = $3", &s, e);
	if (rc != CF_OK)
		return rc;
	D->bind_int(s, 1, node_id);
	D->bind_text(s, 2, store);
	D->bind_text(s, 3, sha256);
	int r = D->step(s, e);
	*id = r == 1 ? D->col_int(s, 0) : 0;
	cf_store_release(st, s);
	return r < 0 ? (e ? e->code : CF_E_INTERNAL) : CF_OK;
}

cf_code cf_store_trust_count(cf_store *st, int64_t node_id, const char *store, int64_t *n, cf_err *e)
{
	cf_stmt *s = NULL;
	cf_code rc = cf_store_prep(
		st, "SELECT count(*) FROM certificates WHERE node_id = $1 AND name = $2 AND kind = 2", &s, e);
	if (rc != CF_OK)
		return rc;
	D->bind_int(s, 1, node_id);
	D->bind_text(s, 2, store);
	int r = D->step(s, e);
	*n = r == 1 ? D->col_int(s, 0) : 0;
	cf_store_release(st, s);
	return r < 0 ? (e ? e->code : CF_E_INTERNAL) : CF_OK;
}

cf_code cf_store_trust_certs(cf_store *st, int64_t node_id, const char *store, cf_cert ***out, size_t *n, cf_err *e)
{
	cf_stmt *s = NULL;
	cf_code rc = cf_store_prep(st,
				   "SELECT der FROM certificates WHERE node_id = $1 AND kind = 2"
				   " AND ($2 = '' OR name = $2) ORDER BY id",
				   &s, e);
	if (rc != CF_OK)
		return rc;
	D->bind_int(s, 1, node_id);
	D->bind_text(s, 2, store ? store : "");
	cf_cert **v = NULL;
	size_t count = 0, cap = 0;
	int r;
	while ((r = D->step(s, e)) == 1) {
		size_t len = 0;
		const void *der = D->col_blob(s, 0, &len);
		cf_cert *c = cf_cert_from_der(der, len);
		if (c == NULL)
			continue; /* stored DER always parsed once; nothing else to do */
		if (cf_grow(&v, &cap, count, sizeof(*v)) != 0) {
			cf_cert_free(c);
			r = -1;
			cf_err_set(e, CF_E_INTERNAL, "trust store", "out of memory");
			break;
		}
		v[count++] = c;
	}
	cf_store_release(st, s);
	if (r < 0) {
		cf_certs_free(v, count);
		return e ? e->code : CF_E_INTERNAL;
	}
	*out = v;
	*n = count;
	return CF_OK;
}

cf_code cf_store_identity_nodes(cf_store *st, const char *sha256, cf_strv *nodes, cf_err *e)
{
	cf_stmt *s = NULL;
	cf_code rc = cf_store_prep(st,
				   "SELECT n.fqdn FROM certificates c JOIN nodes n ON n.id = c.node_id"
				   " WHERE c.kind = 1 AND c.sha256 = $1 ORDER BY n.fqdn",
				   &s, e);
	if (rc != CF_OK)
		return rc;
	D->bind_text(s, 1, sha256);
	int r;
	while ((r = D->step(s, e)) == 1)
		if (cf_strv_push_unique(nodes, D->col_text(s, 0)) != 0) {
			r = -1;
			cf_err_set(e, CF_E_INTERNAL, "store", "out of memory");
			break;
		}
	cf_store_release(st, s);
	return r < 0 ? (e ? e->code : CF_E_INTERNAL) : CF_OK;
}
