/* Every query of the store, in portable SQL with $n parameters. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "store/store_int.h"
#include "util/clock.h"
#include "util/grow.h"

#define D (st->drv)

static char *dup0(const char *s)
{
	return strdup(s ? s : "");
}

static cf_code prep(cf_store *st, const char *sql, cf_stmt **out, cf_err *e)
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

/* Gives a statement back: cached ones are reset for the next use, others finalized. */
static void release(cf_store *st, cf_stmt *s)
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

/* Runs a statement that returns no rows, then finalizes it. */
static cf_code run(cf_store *st, cf_stmt *s, cf_err *e)
{
	int r = D->step(s, e);
	release(st, s);
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
	if (prep(st, "SELECT version FROM schema_version", &s, NULL) != CF_OK)
		return 0;
	if (D->step(s, NULL) == 1)
		v = (int)D->col_int(s, 0);
	release(st, s);
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

/* ---- clusters ------------------------------------------------------------------------------ */

void cf_cluster_free(cf_cluster *c)
{
	if (c == NULL)
		return;
	free(c->name);
	free(c->fqdn);
	cf_strv_clear(&c->keys);
	cf_strv_clear(&c->values);
	memset(c, 0, sizeof(*c));
}

const char *cf_cluster_get(const cf_cluster *c, const char *key)
{
	for (size_t i = 0; i < c->keys.n; i++)
		if (strcmp(c->keys.v[i], key) == 0)
			return c->values.v[i];
	return NULL;
}

cf_code cf_store_cluster_add(cf_store *st, const char *name, const char *fqdn, int64_t *id, cf_err *e)
{
	cf_stmt *s = NULL;
	cf_code rc = prep(st, "INSERT INTO clusters (name, fqdn) VALUES ($1, $2) RETURNING id", &s, e);
	if (rc != CF_OK)
		return rc;
	D->bind_text(s, 1, name);
	D->bind_text(s, 2, fqdn ? fqdn : "");
	int r = D->step(s, e);
	if (r == 1)
		*id = D->col_int(s, 0);
	release(st, s);
	if (r < 0 && e && e->code == CF_E_STATE)
		return cf_err_set(e, CF_E_STATE, name, "a cluster of that name already exists");
	return r == 1 ? CF_OK : (e ? e->code : CF_E_INTERNAL);
}

cf_code cf_store_cluster_set_fqdn(cf_store *st, int64_t id, const char *fqdn, cf_err *e)
{
	cf_stmt *s = NULL;
	cf_code rc = prep(st, "UPDATE clusters SET fqdn = $1 WHERE id = $2", &s, e);
	if (rc != CF_OK)
		return rc;
	D->bind_text(s, 1, fqdn);
	D->bind_int(s, 2, id);
	return run(st, s, e);
}

cf_code cf_store_cluster_get(cf_store *st, const char *name, int64_t id, cf_cluster *out, cf_err *e)
{
	cf_stmt *s = NULL;
	cf_cluster c = {0};
	cf_code rc = prep(st, "SELECT id, name, fqdn FROM clusters WHERE name = $1 OR id = $2", &s, e);
	if (rc != CF_OK)
		return rc;
	D->bind_text(s, 1, name ? name : "");
	D->bind_int(s, 2, name ? -1 : id);
	int r = D->step(s, e);
	if (r == 1) {
		c.id = D->col_int(s, 0);
		c.name = dup0(D->col_text(s, 1));
		c.fqdn = dup0(D->col_text(s, 2));
	}
	release(st, s);
	if (r < 0)
		return e ? e->code : CF_E_INTERNAL;
	if (r == 0)
		return cf_err_set(e, CF_E_NOTFOUND, name ? name : "cluster", "no such cluster");
	if ((rc = prep(st, "SELECT key, value FROM cluster_settings WHERE cluster_id = $1 ORDER BY key", &s, e)) !=
	    CF_OK) {
		cf_cluster_free(&c);
		return rc;
	}
	D->bind_int(s, 1, c.id);
	while ((r = D->step(s, e)) == 1) {
		cf_strv_push(&c.keys, D->col_text(s, 0));
		cf_strv_push(&c.values, D->col_text(s, 1));
	}
	release(st, s);
	if (r < 0) {
		cf_cluster_free(&c);
		return e ? e->code : CF_E_INTERNAL;
	}
	*out = c;
	return CF_OK;
}

cf_code cf_store_cluster_delete(cf_store *st, int64_t id, cf_err *e)
{
	cf_stmt *s = NULL;
	cf_code rc = prep(st, "DELETE FROM clusters WHERE id = $1", &s, e);
	if (rc != CF_OK)
		return rc;
	D->bind_int(s, 1, id);
	return run(st, s, e);
}

void cf_clusterinfos_free(cf_clusterinfo *v, size_t n)
{
	for (size_t i = 0; v != NULL && i < n; i++) {
		free(v[i].name);
		free(v[i].fqdn);
	}
	free(v);
}

cf_code cf_store_clusters(cf_store *st, cf_clusterinfo **out, size_t *n, cf_err *e)
{
	cf_stmt *s = NULL;
	cf_code rc = prep(st,
			  "SELECT c.name, c.fqdn, (SELECT count(*) FROM nodes n WHERE n.cluster_id = c.id) "
			  "FROM clusters c ORDER BY c.name",
			  &s, e);
	if (rc != CF_OK)
		return rc;
	cf_clusterinfo *v = NULL;
	size_t count = 0, cap = 0;
	int r;
	while ((r = D->step(s, e)) == 1) {
		if (cf_grow(&v, &cap, count, sizeof(*v)) != 0) {
			r = -1;
			cf_err_set(e, CF_E_INTERNAL, "clusters", "out of memory");
			break;
		}
		v[count].name = dup0(D->col_text(s, 0));
		v[count].fqdn = dup0(D->col_text(s, 1));
		v[count++].nodes = D->col_int(s, 2);
	}
	release(st, s);
	if (r < 0) {
		cf_clusterinfos_free(v, count);
		return e ? e->code : CF_E_INTERNAL;
	}
	*out = v;
	*n = count;
	return CF_OK;
}

cf_code cf_store_cluster_setting(cf_store *st, int64_t id, const char *key, const char *value, cf_err *e)
{
	cf_stmt *s = NULL;
	cf_code rc = prep(st, "DELETE FROM cluster_settings WHERE cluster_id = $1 AND key = $2", &s, e);
	if (rc != CF_OK)
		return rc;
	D->bind_int(s, 1, id);
	D->bind_text(s, 2, key);
	if ((rc = run(st, s, e)) != CF_OK || value == NULL)
		return rc;
	if ((rc = prep(st, "INSERT INTO cluster_settings (cluster_id, key, value) VALUES ($1, $2, $3)", &s, e)) !=
	    CF_OK)
		return rc;
	D->bind_int(s, 1, id);
	D->bind_text(s, 2, key);
	D->bind_text(s, 3, value);
	return run(st, s, e);
}

/* ---- nodes ------------------------------------------------------------------------------------ */

void cf_node_free(cf_node *n)
{
	if (n == NULL)
		return;
	free(n->fqdn);
	free(n->cluster);
	free(n->product);
	free(n->ip);
	memset(n, 0, sizeof(*n));
}

void cf_nodes_free(cf_node *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		cf_node_free(&v[i]);
	free(v);
}

cf_code cf_store_node_add(cf_store *st, cf_node *n, cf_err *e)
{
	cf_stmt *s = NULL;
	cf_code rc = prep(st,
			  "INSERT INTO nodes (fqdn, cluster_id, product, publisher, ip) "
			  "VALUES ($1, $2, $3, $4, $5) RETURNING id",
			  &s, e);
	if (rc != CF_OK)
		return rc;
	D->bind_text(s, 1, n->fqdn);
	D->bind_int(s, 2, n->cluster_id);
	D->bind_text(s, 3, n->product);
	D->bind_int(s, 4, n->publisher);
	D->bind_text(s, 5, n->ip ? n->ip : "");
	int r = D->step(s, e);
	if (r == 1)
		n->id = D->col_int(s, 0);
	release(st, s);
	if (r < 0 && e && e->code == CF_E_STATE)
		return cf_err_set(e, CF_E_STATE, n->fqdn, "a node with that FQDN already exists");
	return r == 1 ? CF_OK : (e ? e->code : CF_E_INTERNAL);
}

#define NODE_COLS "n.id, n.fqdn, n.cluster_id, c.name, n.product, n.publisher, n.ip"

static void read_node(cf_store *st, cf_stmt *s, cf_node *n)
{
	n->id = D->col_int(s, 0);
	n->fqdn = dup0(D->col_text(s, 1));
	n->cluster_id = D->col_int(s, 2);
	n->cluster = dup0(D->col_text(s, 3));
	n->product = dup0(D->col_text(s, 4));
	n->publisher = D->col_int(s, 5) != 0;
	n->ip = dup0(D->col_text(s, 6));
}

cf_code cf_store_node_get(cf_store *st, const char *fqdn, cf_node *out, cf_err *e)
{
	cf_stmt *s = NULL;
	cf_code rc = prep(st,
			  "SELECT " NODE_COLS " FROM nodes n JOIN clusters c ON c.id = n.cluster_id "
			  "WHERE lower(n.fqdn) = lower($1)",
			  &s, e);
	if (rc != CF_OK)
		return rc;
	D->bind_text(s, 1, fqdn);
	int r = D->step(s, e);
	if (r == 1)
		read_node(st, s, out);
	release(st, s);
	if (r == 0)
		return cf_err_set(e, CF_E_NOTFOUND, fqdn, "no such node");
	return r == 1 ? CF_OK : (e ? e->code : CF_E_INTERNAL);
}

cf_code cf_store_nodes(cf_store *st, int64_t cluster_id, cf_node **out, size_t *n, cf_err *e)
{
	cf_stmt *s = NULL;
	cf_code rc = prep(st,
			  "SELECT " NODE_COLS " FROM nodes n JOIN clusters c ON c.id = n.cluster_id "
			  "WHERE $1 = 0 OR n.cluster_id = $1 "
			  "ORDER BY c.name, n.publisher DESC, n.fqdn",
			  &s, e);
	if (rc != CF_OK)
		return rc;
	D->bind_int(s, 1, cluster_id);
	cf_node *v = NULL;
	size_t count = 0, cap = 0;
	int r;
	while ((r = D->step(s, e)) == 1) {
		if (cf_grow(&v, &cap, count, sizeof(*v)) != 0) {
			r = -1;
			cf_err_set(e, CF_E_INTERNAL, "nodes", "out of memory");
			break;
		}
		memset(&v[count], 0, sizeof(v[count]));
		read_node(st, s, &v[count++]);
	}
	release(st, s);
	if (r < 0) {
		cf_nodes_free(v, count);
		return e ? e->code : CF_E_INTERNAL;
	}
	*out = v;
	*n = count;
	return CF_OK;
}

cf_code cf_store_node_delete(cf_store *st, int64_t id, cf_err *e)
{
	cf_stmt *s = NULL;
	cf_code rc = prep(st, "DELETE FROM nodes WHERE id = $1", &s, e);
	if (rc != CF_OK)
		return rc;
	D->bind_int(s, 1, id);
	return run(st, s, e);
}

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

cf_code cf_store_cert_insert(cf_store *st, cf_certrow *r, cf_err *e)
{
	static const char sql[] =
		"INSERT INTO certificates (node_id, kind, name, der, sha256, spki_sha256, subject, issuer,"
		" cn, serial, not_before, not_after, key_type, key_bits, curve, sig_hash, self_signed, ca,"
		" has_bc, has_ku, ku, has_eku, eku, eku_other, san, ocsp, crl_dp, unsupported_oids,"
		" distribution, source, description, chain_pem, key_pem, warnings, created, anchor_sha256) VALUES"
		" ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19,"
		" $20, $21, $22, $23, $24, $25, $26, $27, $28, $29, $30, $31, $32, $33, $34, $35, $36) RETURNING id";
	cf_stmt *s = NULL;
	const cf_facts *f = &r->facts;
	cf_code rc = prep(st, sql, &s, e);
	if (rc != CF_OK)
		return rc;
	char *eku_other = joined(&f->eku_other), *san = joined(&f->san), *ocsp = joined(&f->ocsp),
	     *crl_dp = joined(&f->crl_dp), *oids = joined(&f->unsupported_oids);
	D->bind_int(s, 1, r->node_id);
	D->bind_int(s, 2, r->kind);
	D->bind_text(s, 3, r->name);
	D->bind_blob(s, 4, r->der, r->der_len);
	D->bind_text(s, 5, f->sha256);
	D->bind_text(s, 6, f->spki_sha256);
	D->bind_text(s, 7, f->subject);
	D->bind_text(s, 8, f->issuer);
	D->bind_text(s, 9, f->cn);
	D->bind_text(s, 10, f->serial);
	D->bind_int(s, 11, f->not_before);
	D->bind_int(s, 12, f->not_after);
	D->bind_int(s, 13, f->key_type);
	D->bind_int(s, 14, f->key_bits);
	D->bind_text(s, 15, f->curve);
	D->bind_text(s, 16, f->sig_hash);
	D->bind_int(s, 17, f->self_signed);
	D->bind_int(s, 18, f->ca);
	D->bind_int(s, 19, f->has_basic_constraints);
	D->bind_int(s, 20, f->has_ku);
	D->bind_int(s, 21, f->ku);
	D->bind_int(s, 22, f->has_eku);
	D->bind_int(s, 23, f->eku);
	D->bind_text(s, 24, eku_other);
	D->bind_text(s, 25, san);
	D->bind_text(s, 26, ocsp);
	D->bind_text(s, 27, crl_dp);
	D->bind_text(s, 28, oids);
	D->bind_text(s, 29, r->distribution ? r->distribution : "single-server");
	D->bind_text(s, 30, r->source ? r->source : "upload");
	D->bind_text(s, 31, r->description ? r->description : "");
	D->bind_text(s, 32, r->chain_pem ? r->chain_pem : "");
	D->bind_text(s, 33, r->key_pem);
	D->bind_text(s, 34, r->warnings ? r->warnings : "[]");
	D->bind_int(s, 35, r->created ? r->created : cf_clock_now());
	D->bind_text(s, 36, r->anchor_sha256);
	free(eku_other);
	free(san);
	free(ocsp);
	free(crl_dp);
	free(oids);
	int res = D->step(s, e);
	if (res == 1)
		r->id = D->col_int(s, 0);
	release(st, s);
	return res == 1 ? CF_OK : (e ? e->code : CF_E_INTERNAL);
}

cf_code cf_store_cert_delete(cf_store *st, int64_t id, cf_err *e)
{
	cf_stmt *s = NULL;
	cf_code rc = prep(st, "DELETE FROM certificates WHERE id = $1", &s, e);
	if (rc != CF_OK)
		return rc;
	D->bind_int(s, 1, id);
	return run(st, s, e);
}

cf_code cf_store_identity_delete(cf_store *st, int64_t node_id, const char *purpose, cf_err *e)
{
	return cf_store_named_delete(st, node_id, CF_IDENTITY, purpose, e);
}

cf_code cf_store_named_delete(cf_store *st, int64_t node_id, cf_certkind kind, const char *name, cf_err *e)
{
	cf_stmt *s = NULL;
	cf_code rc = prep(st, "DELETE FROM certificates WHERE node_id = $1 AND name = $2 AND kind = $3", &s, e);
	if (rc != CF_OK)
		return rc;
	D->bind_int(s, 1, node_id);
	D->bind_text(s, 2, name);
	D->bind_int(s, 3, kind);
	return run(st, s, e);
}

/* Columns read into a cf_certrow, in this order; DER and key are appended when asked. */
#define CERT_COLS                                                                                                      \
	"c.id, c.node_id, n.fqdn, c.kind, c.name, c.sha256, c.spki_sha256, c.subject, c.issuer, c.cn,"                 \
	" c.serial, c.not_before, c.not_after, c.key_type, c.key_bits, c.curve, c.sig_hash,"                           \
	" c.self_signed, c.ca, c.has_bc, c.has_ku, c.ku, c.has_eku, c.eku, c.eku_other, c.san, c.ocsp,"                \
	" c.crl_dp, c.unsupported_oids, c.distribution, c.source, c.description, c.chain_pem,"                         \
	" c.warnings, c.created, c.anchor_sha256"

/* The items of a column written by joined(), exactly (empty items, which no fact has, are
 * skipped). */
static void split_col(const char *text, cf_strv *out)
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

static void read_cert(cf_store *st, cf_stmt *s, cf_certrow *r, bool der, bool key)
{
	cf_facts *f = &r->facts;
	int i = 0;
	r->id = D->col_int(s, i++);
	r->node_id = D->col_int(s, i++);
	r->node = dup0(D->col_text(s, i++));
	r->kind = (cf_certkind)D->col_int(s, i++);
	r->name = dup0(D->col_text(s, i++));
	snprintf(f->sha256, sizeof(f->sha256), "%s", D->col_text(s, i++));
	snprintf(f->spki_sha256, sizeof(f->spki_sha256), "%s", D->col_text(s, i++));
	f->subject = dup0(D->col_text(s, i++));
	f->issuer = dup0(D->col_text(s, i++));
	f->cn = dup0(D->col_text(s, i++));
	f->serial = dup0(D->col_text(s, i++));
	f->not_before = D->col_int(s, i++);
	f->not_after = D->col_int(s, i++);
	f->key_type = (cf_keytype)D->col_int(s, i++);
	f->key_bits = (int)D->col_int(s, i++);
	snprintf(f->curve, sizeof(f->curve), "%s", D->col_text(s, i++));
	snprintf(f->sig_hash, sizeof(f->sig_hash), "%s", D->col_text(s, i++));
	f->self_signed = D->col_int(s, i++) != 0;
	f->ca = D->col_int(s, i++) != 0;
	f->has_basic_constraints = D->col_int(s, i++) != 0;
	f->has_ku = D->col_int(s, i++) != 0;
	f->ku = (unsigned)D->col_int(s, i++);
	f->has_eku = D->col_int(s, i++) != 0;
	f->eku = (unsigned)D->col_int(s, i++);
	split_col(D->col_text(s, i++), &f->eku_other);
	split_col(D->col_text(s, i++), &f->san);
	split_col(D->col_text(s, i++), &f->ocsp);
	split_col(D->col_text(s, i++), &f->crl_dp);
	split_col(D->col_text(s, i++), &f->unsupported_oids);
	r->distribution = dup0(D->col_text(s, i++));
	r->source = dup0(D->col_text(s, i++));
	r->description = dup0(D->col_text(s, i++));
	r->chain_pem = dup0(D->col_text(s, i++));
	r->warnings = dup0(D->col_text(s, i++));
	r->created = D->col_int(s, i++);
	snprintf(r->anchor_sha256, sizeof(r->anchor_sha256), "%s", D->col_text(s, i++));
	if (der) {
		size_t len = 0;
		const void *p = D->col_blob(s, i++, &len);
		r->der = malloc(len ? len : 1);
		if (r->der != NULL && len > 0)
			memcpy(r->der, p, len);
		r->der_len = len;
	}
	if (key)
		r->key_pem = dup0(D->col_text(s, i++));
}

static cf_code get_one(cf_store *st, cf_stmt *s, bool with_key, cf_certrow *out, const char *what, cf_err *e)
{
	int r = D->step(s, e);
	if (r == 1) {
		memset(out, 0, sizeof(*out));
		read_cert(st, s, out, true, with_key);
	}
	release(st, s);
	if (r == 0)
		return cf_err_set(e, CF_E_NOTFOUND, what, "no such certificate");
	return r == 1 ? CF_OK : (e ? e->code : CF_E_INTERNAL);
}

cf_code cf_store_cert_get(cf_store *st, int64_t id, bool with_key, cf_certrow *out, cf_err *e)
{
	cf_stmt *s = NULL;
	cf_code rc = prep(st,
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
	cf_code rc = prep(st,
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

/* The filter's WHERE clause over certificates c JOIN nodes n, parameters $1..$6 (cert_bind). */
#define CERT_WHERE                                                                                                     \
	" ($1 = '' OR lower(n.fqdn) = lower($1))"                                                                      \
	" AND ($2 = '' OR (c.kind = 1 AND c.name = $2))"                                                               \
	" AND ($3 = '' OR (c.kind = 2 AND c.name = $3))"                                                               \
	" AND ($4 = '' OR substr(lower(c.cn), 1, length($4)) = lower($4)"                                              \
	"      OR substr(lower(c.name), 1, length($4)) = lower($4))"                                                   \
	" AND ($5 = 0 OR c.not_after <= $5)"                                                                           \
	" AND ($6 = 0 OR c.kind = $6) AND ($6 <> 0 OR c.kind <> 3)"

static void cert_bind(cf_store *st, cf_stmt *s, const cf_certfilter *f)
{
	D->bind_text(s, 1, f->node ? f->node : "");
	D->bind_text(s, 2, f->purpose ? f->purpose : "");
	D->bind_text(s, 3, f->store ? f->store : "");
	D->bind_text(s, 4, f->begins_with ? f->begins_with : "");
	D->bind_int(s, 5, f->expiring_before);
	D->bind_int(s, 6, f->kind);
}

int64_t cf_store_data_version(cf_store *st)
{
	return D->data_version(st->db);
}

cf_code cf_store_cert_count(cf_store *st, const cf_certfilter *f, int64_t *n, cf_err *e)
{
	static const char sql[] =
		"SELECT count(*) FROM certificates c JOIN nodes n ON n.id = c.node_id WHERE" CERT_WHERE;
	char *key = NULL;
	int64_t version = cf_store_data_version(st);
	/* a key no filter text can forge: the fields separated by a byte they cannot hold */
	if (asprintf(&key, "%s%c%s%c%s%c%s%c%lld%c%d", f->node ? f->node : "", 0x1f, f->purpose ? f->purpose : "", 0x1f,
		     f->store ? f->store : "", 0x1f, f->begins_with ? f->begins_with : "", 0x1f,
		     (long long)f->expiring_before, 0x1f, f->kind) < 0)
		return cf_err_set(e, CF_E_INTERNAL, "store", "out of memory");
	for (int i = 0; i < CF_COUNT_CACHE; i++) {
		struct cf_count_slot *c = &st->counts[i];
		if (c->key != NULL && c->version == version && !st->in_tx && strcmp(c->key, key) == 0) {
			*n = c->n;
			free(key);
			return CF_OK;
		}
	}
	cf_stmt *s = NULL;
	cf_code rc = prep(st, sql, &s, e);
	if (rc != CF_OK) {
		free(key);
		return rc;
	}
	cert_bind(st, s, f);
	int r = D->step(s, e);
	*n = r == 1 ? D->col_int(s, 0) : 0;
	release(st, s);
	if (r != 1) {
		free(key);
		return e ? e->code : CF_E_INTERNAL;
	}
	if (st->in_tx) { /* uncommitted changes do not move the data version */
		free(key);
		return CF_OK;
	}
	struct cf_count_slot *c = &st->counts[st->counts_next++ % CF_COUNT_CACHE];
	free(c->key);
	*c = (struct cf_count_slot){.key = key, .version = version, .n = *n};
	return CF_OK;
}

cf_code cf_store_cert_each(cf_store *st, const cf_certfilter *f, int (*fn)(void *ctx, const cf_certrow *r), void *ctx,
			   cf_err *e)
{
	/* nodes in name order, each node's certificates from the certificates_list index: a page
	 * is read without sorting the whole table */
	static const char sql[] =
		"SELECT " CERT_COLS " FROM nodes n JOIN certificates c ON n.id = c.node_id WHERE" CERT_WHERE
		" ORDER BY n.fqdn, c.kind, c.name, c.id LIMIT $7 OFFSET $8";
	cf_stmt *s = NULL;
	cf_code rc = prep(st, sql, &s, e);
	if (rc != CF_OK)
		return rc;
	cert_bind(st, s, f);
	D->bind_int(s, 7, f->limit > 0 ? f->limit : INT64_MAX);
	D->bind_int(s, 8, f->offset > 0 ? f->offset : 0);
	int r, stop = 0;
	while ((r = D->step(s, e)) == 1) {
		cf_certrow row = {0};
		read_cert(st, s, &row, false, false);
		stop = fn(ctx, &row);
		cf_certrow_free(&row);
		if (stop)
			break;
	}
	release(st, s);
	if (r < 0)
		return e ? e->code : CF_E_INTERNAL;
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
	cf_code rc = prep(st, sql, &s, e);
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
	release(st, s);
	if (r < 0)
		return e ? e->code : CF_E_INTERNAL;
	*out = rv;
	return CF_OK;
}

int64_t cf_store_trust_find(cf_store *st, int64_t node_id, const char *store, const char *sha256)
{
	cf_stmt *s = NULL;
	int64_t id = 0;
	if (prep(st, "SELECT id FROM certificates WHERE node_id = $1 AND name = $2 AND kind = 2 AND sha256 = $3", &s,
		 NULL) != CF_OK)
		return 0;
	D->bind_int(s, 1, node_id);
	D->bind_text(s, 2, store);
	D->bind_text(s, 3, sha256);
	if (D->step(s, NULL) == 1)
		id = D->col_int(s, 0);
	release(st, s);
	return id;
}

int64_t cf_store_trust_count(cf_store *st, int64_t node_id, const char *store)
{
	cf_stmt *s = NULL;
	int64_t n = 0;
	if (prep(st, "SELECT count(*) FROM certificates WHERE node_id = $1 AND name = $2 AND kind = 2", &s, NULL) !=
	    CF_OK)
		return 0;
	D->bind_int(s, 1, node_id);
	D->bind_text(s, 2, store);
	if (D->step(s, NULL) == 1)
		n = D->col_int(s, 0);
	release(st, s);
	return n;
}

bool cf_store_trust_cn_exists(cf_store *st, int64_t node_id, const char *store, const char *cn, const char *sha256)
{
	cf_stmt *s = NULL;
	bool found = false;
	if (prep(st,
		 "SELECT 1 FROM certificates WHERE node_id = $1 AND name = $2 AND kind = 2"
		 " AND cn = $3 AND sha256 <> $4 LIMIT 1",
		 &s, NULL) != CF_OK)
		return false;
	D->bind_int(s, 1, node_id);
	D->bind_text(s, 2, store);
	D->bind_text(s, 3, cn);
	D->bind_text(s, 4, sha256);
	found = D->step(s, NULL) == 1;
	release(st, s);
	return found;
}

cf_code cf_store_trust_certs(cf_store *st, int64_t node_id, const char *store, cf_cert ***out, size_t *n, cf_err *e)
{
	cf_stmt *s = NULL;
	cf_code rc = prep(st,
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
	release(st, s);
	if (r < 0) {
		cf_certs_free(v, count);
		return e ? e->code : CF_E_INTERNAL;
	}
	*out = v;
	*n = count;
	return CF_OK;
}

/* ---- pending CSRs ------------------------------------------------------------------------------ */

void cf_csrrow_free(cf_csrrow *r)
{
	if (r == NULL)
		return;
	free(r->purpose);
	free(r->der);
	cf_secret_free(r->key_pem);
	free(r->distribution);
	free(r->hash);
	memset(r, 0, sizeof(*r));
}

cf_code cf_store_csr_put(cf_store *st, const cf_csrrow *r, cf_err *e)
{
	cf_code rc = cf_store_csr_delete(st, r->node_id, r->purpose, e);
	cf_stmt *s = NULL;
	if (rc != CF_OK || (rc = prep(st,
				      "INSERT INTO csrs (node_id, purpose, der, key_pem, distribution, hash, created)"
				      " VALUES ($1, $2, $3, $4, $5, $6, $7)",
				      &s, e)) != CF_OK)
		return rc;
	D->bind_int(s, 1, r->node_id);
	D->bind_text(s, 2, r->purpose);
	D->bind_blob(s, 3, r->der, r->der_len);
	D->bind_text(s, 4, r->key_pem);
	D->bind_text(s, 5, r->distribution);
	D->bind_text(s, 6, r->hash);
	D->bind_int(s, 7, r->created ? r->created : cf_clock_now());
	return run(st, s, e);
}

cf_code cf_store_csr_get(cf_store *st, int64_t node_id, const char *purpose, cf_csrrow *out, cf_err *e)
{
	cf_stmt *s = NULL;
	cf_code rc = prep(st,
			  "SELECT der, key_pem, distribution, hash, created FROM csrs"
			  " WHERE node_id = $1 AND purpose = $2",
			  &s, e);
	if (rc != CF_OK)
		return rc;
	D->bind_int(s, 1, node_id);
	D->bind_text(s, 2, purpose);
	int r = D->step(s, e);
	if (r == 1) {
		size_t len = 0;
		const void *der = D->col_blob(s, 0, &len);
		memset(out, 0, sizeof(*out));
		out->node_id = node_id;
		out->purpose = strdup(purpose);
		out->der = malloc(len ? len : 1);
		if (out->der != NULL)
			memcpy(out->der, der, len);
		out->der_len = len;
		out->key_pem = dup0(D->col_text(s, 1));
		out->distribution = dup0(D->col_text(s, 2));
		out->hash = dup0(D->col_text(s, 3));
		out->created = D->col_int(s, 4);
	}
	release(st, s);
	if (r == 0)
		return cf_err_set(e, CF_E_STATE, purpose, "no pending CSR for this purpose");
	return r == 1 ? CF_OK : (e ? e->code : CF_E_INTERNAL);
}

cf_code cf_store_csr_delete(cf_store *st, int64_t node_id, const char *purpose, cf_err *e)
{
	cf_stmt *s = NULL;
	cf_code rc = prep(st, "DELETE FROM csrs WHERE node_id = $1 AND purpose = $2", &s, e);
	if (rc != CF_OK)
		return rc;
	D->bind_int(s, 1, node_id);
	D->bind_text(s, 2, purpose);
	return run(st, s, e);
}

/* ---- deploy targets --------------------------------------------------------------------------- */

void cf_target_free(cf_target *t)
{
	if (t == NULL)
		return;
	free(t->purpose);
	free(t->cert_path);
	free(t->key_path);
	free(t->chain_path);
	free(t->owner);
	free(t->reload);
	memset(t, 0, sizeof(*t));
}

cf_code cf_store_target_set(cf_store *st, const cf_target *t, cf_err *e)
{
	cf_stmt *s = NULL;
	cf_code rc = prep(st, "DELETE FROM deploy_targets WHERE node_id = $1 AND purpose = $2", &s, e);
	if (rc != CF_OK)
		return rc;
	D->bind_int(s, 1, t->node_id);
	D->bind_text(s, 2, t->purpose);
	if ((rc = run(st, s, e)) != CF_OK)
		return rc;
	if ((rc = prep(st,
		       "INSERT INTO deploy_targets (node_id, purpose, cert_path, key_path, chain_path,"
		       " owner, mode, reload) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
		       &s, e)) != CF_OK)
		return rc;
	D->bind_int(s, 1, t->node_id);
	D->bind_text(s, 2, t->purpose);
	D->bind_text(s, 3, t->cert_path ? t->cert_path : "");
	D->bind_text(s, 4, t->key_path ? t->key_path : "");
	D->bind_text(s, 5, t->chain_path ? t->chain_path : "");
	D->bind_text(s, 6, t->owner ? t->owner : "");
	D->bind_int(s, 7, t->mode);
	D->bind_text(s, 8, t->reload ? t->reload : "");
	return run(st, s, e);
}

cf_code cf_store_targets(cf_store *st, int64_t node_id, const char *purpose, cf_target **out, size_t *n, cf_err *e)
{
	cf_stmt *s = NULL;
	cf_code rc = prep(st,
			  "SELECT purpose, cert_path, key_path, chain_path, owner, mode, reload"
			  " FROM deploy_targets WHERE node_id = $1 AND ($2 = '' OR purpose = $2)"
			  " ORDER BY purpose",
			  &s, e);
	if (rc != CF_OK)
		return rc;
	D->bind_int(s, 1, node_id);
	D->bind_text(s, 2, purpose ? purpose : "");
	cf_target *v = NULL;
	size_t count = 0, cap = 0;
	int r;
	while ((r = D->step(s, e)) == 1) {
		if (cf_grow(&v, &cap, count, sizeof(*v)) != 0) {
			r = -1;
			cf_err_set(e, CF_E_INTERNAL, "deploy targets", "out of memory");
			break;
		}
		cf_target *t = &v[count++];
		t->node_id = node_id;
		t->purpose = dup0(D->col_text(s, 0));
		t->cert_path = dup0(D->col_text(s, 1));
		t->key_path = dup0(D->col_text(s, 2));
		t->chain_path = dup0(D->col_text(s, 3));
		t->owner = dup0(D->col_text(s, 4));
		t->mode = (int)D->col_int(s, 5);
		t->reload = dup0(D->col_text(s, 6));
	}
	release(st, s);
	if (r < 0) {
		for (size_t i = 0; i < count; i++)
			cf_target_free(&v[i]);
		free(v);
		return e ? e->code : CF_E_INTERNAL;
	}
	*out = v;
	*n = count;
	return CF_OK;
}

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
	cf_code rc = prep(st,
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
	release(st, s);
	if (r < 0 && e && e->code == CF_E_STATE)
		return cf_err_set(e, CF_E_STATE, u->name, "a user of that name already exists");
	return r == 1 ? CF_OK : (e ? e->code : CF_E_INTERNAL);
}

#define USER_COLS "id, name, role, password_hash, created, failed_logins, locked_until"

static void read_user(cf_store *st, cf_stmt *s, cf_user *u)
{
	u->id = D->col_int(s, 0);
	u->name = dup0(D->col_text(s, 1));
	u->role = dup0(D->col_text(s, 2));
	u->password_hash = dup0(D->col_text(s, 3));
	u->created = D->col_int(s, 4);
	u->failed_logins = D->col_int(s, 5);
	u->locked_until = D->col_int(s, 6);
}

cf_code cf_store_user_get(cf_store *st, const char *name, cf_user *out, cf_err *e)
{
	cf_stmt *s = NULL;
	cf_code rc = prep(st, "SELECT " USER_COLS " FROM users WHERE name = $1", &s, e);
	if (rc != CF_OK)
		return rc;
	D->bind_text(s, 1, name);
	int r = D->step(s, e);
	if (r == 1)
		read_user(st, s, out);
	release(st, s);
	if (r == 0)
		return cf_err_set(e, CF_E_NOTFOUND, name, "no such user");
	return r == 1 ? CF_OK : (e ? e->code : CF_E_INTERNAL);
}

cf_code cf_store_users(cf_store *st, cf_user **out, size_t *n, cf_err *e)
{
	cf_stmt *s = NULL;
	cf_code rc = prep(st, "SELECT " USER_COLS " FROM users ORDER BY name", &s, e);
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
	release(st, s);
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
	cf_stmt *s = NULL;
	cf_code rc = prep(st, "DELETE FROM users WHERE name = $1", &s, e);
	if (rc != CF_OK)
		return rc;
	D->bind_text(s, 1, name);
	if ((rc = run(st, s, e)) != CF_OK)
		return rc;
	if (D->changes(st->db) == 0)
		return cf_err_set(e, CF_E_NOTFOUND, name, "no such user");
	return CF_OK;
}

cf_code cf_store_user_set_password(cf_store *st, const char *name, const char *password_hash, cf_err *e)
{
	cf_stmt *s = NULL;
	cf_code rc = prep(st,
			  "UPDATE users SET password_hash = $1, failed_logins = 0, locked_until = 0 "
			  "WHERE name = $2",
			  &s, e);
	if (rc != CF_OK)
		return rc;
	D->bind_text(s, 1, password_hash);
	D->bind_text(s, 2, name);
	if ((rc = run(st, s, e)) != CF_OK)
		return rc;
	if (D->changes(st->db) == 0)
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
	cf_stmt *s = NULL;
	cf_code rc = prep(st,
			  "INSERT INTO audit (at, account, client, action, object, result) "
			  "VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
			  &s, e);
	if (rc != CF_OK)
		return rc;
	D->bind_int(s, 1, a->at);
	D->bind_text(s, 2, a->account ? a->account : "");
	D->bind_text(s, 3, a->client ? a->client : "");
	D->bind_text(s, 4, a->action ? a->action : "");
	D->bind_text(s, 5, a->object ? a->object : "");
	D->bind_text(s, 6, a->result ? a->result : "");
	int r = D->step(s, e);
	if (r == 1 && id != NULL)
		*id = D->col_int(s, 0);
	release(st, s);
	return r == 1 ? CF_OK : (e ? e->code : CF_E_INTERNAL);
}

cf_code cf_store_audit_list(cf_store *st, int64_t limit, int64_t offset, cf_auditrow **out, size_t *n, int64_t *total,
			    cf_err *e)
{
	cf_stmt *s = NULL;
	int64_t count_all = 0;
	cf_code rc = prep(st, "SELECT count(*) FROM audit", &s, e);
	if (rc != CF_OK)
		return rc;
	int r = D->step(s, e);
	if (r == 1)
		count_all = D->col_int(s, 0);
	release(st, s);
	if (r < 0)
		return e ? e->code : CF_E_INTERNAL;
	if ((rc = prep(st,
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
		a->account = dup0(D->col_text(s, 2));
		a->client = dup0(D->col_text(s, 3));
		a->action = dup0(D->col_text(s, 4));
		a->object = dup0(D->col_text(s, 5));
		a->result = dup0(D->col_text(s, 6));
	}
	release(st, s);
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
	cf_stmt *s = NULL;
	cf_code rc = prep(st, "UPDATE users SET failed_logins = $1, locked_until = $2 WHERE name = $3", &s, e);
	if (rc != CF_OK)
		return rc;
	D->bind_int(s, 1, failed_logins);
	D->bind_int(s, 2, locked_until);
	D->bind_text(s, 3, name);
	if ((rc = run(st, s, e)) != CF_OK)
		return rc;
	if (D->changes(st->db) == 0)
		return cf_err_set(e, CF_E_NOTFOUND, name, "no such user");
	return CF_OK;
}

/* ---- settings and the monitor's ledger ---------------------------------------------------- */

cf_code cf_store_setting_get(cf_store *st, const char *key, char **out, cf_err *e)
{
	cf_stmt *s = NULL;
	*out = NULL;
	cf_code rc = prep(st, "SELECT value FROM settings WHERE key = $1", &s, e);
	if (rc != CF_OK)
		return rc;
	D->bind_text(s, 1, key);
	int r = D->step(s, e);
	if (r == 1 && (*out = strdup(D->col_text(s, 0))) == NULL)
		r = -1;
	release(st, s);
	return r >= 0 ? CF_OK : cf_err_set(e, CF_E_INTERNAL, key, "cannot read the setting");
}

cf_code cf_store_setting_set(cf_store *st, const char *key, const char *value, cf_err *e)
{
	cf_stmt *s = NULL;
	cf_code rc = prep(st,
			  value != NULL ? "INSERT INTO settings (key, value) VALUES ($1, $2)"
					  " ON CONFLICT (key) DO UPDATE SET value = excluded.value"
					: "DELETE FROM settings WHERE key = $1",
			  &s, e);
	if (rc != CF_OK)
		return rc;
	D->bind_text(s, 1, key);
	if (value != NULL)
		D->bind_text(s, 2, value);
	return run(st, s, e);
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
	cf_code rc = prep(st, sql, &s, e);
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
	release(st, s);
	if (stop != 0)
		return (cf_code)stop;
	return r < 0 ? (e ? e->code : CF_E_INTERNAL) : CF_OK;
}

cf_code cf_store_ledger_put(cf_store *st, const cf_watchrow *w, cf_err *e)
{
	cf_stmt *s = NULL;
	cf_code rc =
		prep(st,
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
	return run(st, s, e);
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
	cf_code rc = prep(st, gone, &s, e);
	if (rc == CF_OK)
		rc = run(st, s, e);
	if (rc == CF_OK)
		rc = prep(st, not_due, &s, e);
	if (rc == CF_OK) {
		D->bind_int(s, 1, until);
		D->bind_int(s, 2, lsc);
		rc = run(st, s, e);
	}
	return rc;
}

/* One whole number from a one-row query with up to one parameter (0 when NULL). */
static cf_code query_int(cf_store *st, const char *sql, const int64_t *param, int64_t *out, cf_err *e)
{
	cf_stmt *s = NULL;
	cf_code rc = prep(st, sql, &s, e);
	if (rc != CF_OK)
		return rc;
	if (param != NULL)
		D->bind_int(s, 1, *param);
	int r = D->step(s, e);
	*out = r == 1 ? D->col_int(s, 0) : 0;
	release(st, s);
	return r >= 0 ? CF_OK : (e ? e->code : CF_E_INTERNAL);
}

cf_code cf_store_ledger_pending(cf_store *st, int64_t *pending, int64_t *next_attempt, cf_err *e)
{
	cf_code rc = query_int(st, "SELECT count(*) FROM notifications WHERE queued > 0", NULL, pending, e);
	return rc != CF_OK ? rc
			   : query_int(st, "SELECT min(next_attempt) FROM notifications WHERE queued > 0", NULL,
				       next_attempt, e);
}

cf_code cf_store_first_expiry(cf_store *st, bool lsc, int64_t *out, cf_err *e)
{
	int64_t max_kind = lsc ? CF_LSC : CF_TRUST;
	return query_int(st, "SELECT min(not_after) FROM certificates WHERE kind <= $1", &max_kind, out, e);
}

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
	cf_code rc = prep(st,
			  "INSERT INTO settings (key, value) VALUES ('crls.generation', '1') ON CONFLICT (key)"
			  " DO UPDATE SET value = CAST(CAST(settings.value AS BIGINT) + 1 AS TEXT)",
			  &s, e);
	return rc != CF_OK ? rc : run(st, s, e);
}

int64_t cf_store_crl_generation(cf_store *st)
{
	int64_t n = 0;
	return query_int(st, "SELECT CAST(value AS BIGINT) FROM settings WHERE key = 'crls.generation'", NULL, &n,
			 NULL) == CF_OK
		       ? n
		       : -1;
}

cf_code cf_store_crl_insert(cf_store *st, cf_crlrow *r, cf_err *e)
{
	cf_stmt *s = NULL;
	cf_code rc =
		prep(st,
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
	release(st, s);
	return rr == 1 ? crls_changed(st, e) : (e ? e->code : CF_E_INTERNAL);
}

cf_code cf_store_crl_each(cf_store *st, const char *issuer_hash, unsigned with,
			  int (*fn)(void *ctx, const cf_crlrow *r), void *ctx, cf_err *e)
{
	/* the blobs not asked for are not read: the CASEs leave them NULL, and length() reads only the
	 * row's header (idx IS NOT NULL would read the whole index) */
	cf_stmt *s = NULL;
	cf_code rc =
		prep(st,
		     "SELECT id, issuer, issuer_hash, this_update, next_update, number, entries, source, added,"
		     " CASE WHEN $2 <> 0 OR ($3 <> 0 AND length(idx) IS NULL) THEN der END, length(idx) IS NOT NULL,"
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
	release(st, s);
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
			 .issuer = dup0(r->issuer),
			 .issuer_hash = dup0(r->issuer_hash),
			 .this_update = r->this_update,
			 .next_update = r->next_update,
			 .number = dup0(r->number),
			 .entries = r->entries,
			 .source = dup0(r->source),
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
	cf_code rc = prep(st, "SELECT der FROM crls WHERE id = $1", &s, e);
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
	release(st, s);
	if (r == 0)
		return cf_err_set(e, CF_E_NOTFOUND, "crl", "no CRL with id %lld", (long long)id);
	return r == 1 ? CF_OK : (e ? e->code : CF_E_INTERNAL);
}

cf_code cf_store_crl_delete(cf_store *st, int64_t id, cf_err *e)
{
	cf_stmt *s = NULL;
	cf_code rc = prep(st, "DELETE FROM crls WHERE id = $1", &s, e);
	if (rc != CF_OK)
		return rc;
	D->bind_int(s, 1, id);
	if ((rc = run(st, s, e)) != CF_OK)
		return rc;
	return D->changes(st->db) > 0 ? crls_changed(st, e)
				      : cf_err_set(e, CF_E_NOTFOUND, "crl", "no CRL with id %lld", (long long)id);
}

cf_code cf_store_crl_delete_source(cf_store *st, const char *issuer_hash, const char *source, cf_err *e)
{
	cf_stmt *s = NULL;
	cf_code rc = prep(st, "DELETE FROM crls WHERE issuer_hash = $1 AND source = $2", &s, e);
	if (rc != CF_OK)
		return rc;
	D->bind_text(s, 1, issuer_hash);
	D->bind_text(s, 2, source);
	if ((rc = run(st, s, e)) != CF_OK)
		return rc;
	return D->changes(st->db) > 0 ? crls_changed(st, e) : CF_OK;
}

cf_code cf_store_trust_by_subject(cf_store *st, const char *subject,
				  int (*fn)(void *ctx, const uint8_t *der, size_t len), void *ctx, cf_err *e)
{
	cf_stmt *s = NULL;
	cf_code rc = prep(st, "SELECT der FROM certificates WHERE kind = 2 AND subject = $1 ORDER BY id", &s, e);
	if (rc != CF_OK)
		return rc;
	D->bind_text(s, 1, subject);
	int r, stop = 0;
	while (stop == 0 && (r = D->step(s, e)) == 1) {
		size_t len = 0;
		const void *p = D->col_blob(s, 0, &len);
		stop = fn(ctx, p, len);
	}
	release(st, s);
	if (stop != 0)
		return (cf_code)stop;
	return r < 0 ? (e ? e->code : CF_E_INTERNAL) : CF_OK;
}

cf_code cf_store_settings_each(cf_store *st, const char *prefix,
			       void (*fn)(void *ctx, const char *key, const char *value), void *ctx, cf_err *e)
{
	cf_stmt *s = NULL;
	cf_code rc =
		prep(st, "SELECT key, value FROM settings WHERE substr(key, 1, length($1)) = $1 ORDER BY key", &s, e);
	if (rc != CF_OK)
		return rc;
	D->bind_text(s, 1, prefix);
	int r;
	while ((r = D->step(s, e)) == 1)
		fn(ctx, D->col_text(s, 0), D->col_text(s, 1));
	release(st, s);
	return r < 0 ? (e ? e->code : CF_E_INTERNAL) : CF_OK;
}

cf_code cf_store_cdp_urls(cf_store *st, cf_strv *out, cf_err *e)
{
	cf_stmt *s = NULL;
	/* identities and trust certificates (kind < 3): the daily download does not follow phones' LSCs */
	cf_code rc = prep(st, "SELECT DISTINCT crl_dp FROM certificates WHERE kind < 3 AND crl_dp <> ''", &s, e);
	if (rc != CF_OK)
		return rc;
	int r;
	while ((r = D->step(s, e)) == 1) {
		cf_strv one = {0};
		split_col(D->col_text(s, 0), &one);
		for (size_t i = 0; i < one.n; i++)
			cf_strv_push_unique(out, one.v[i]);
		cf_strv_clear(&one);
	}
	release(st, s);
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
	cf_code rc =
		prep(st,
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
	return run(st, s, e);
}

cf_code cf_store_revcheck_get(cf_store *st, const char *sha256, cf_revcheckrow *out, cf_err *e)
{
	cf_stmt *s = NULL;
	cf_code rc = prep(st,
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
		snprintf(out->status, sizeof(out->status), "%s", D->col_text(s, 0));
		snprintf(out->trust, sizeof(out->trust), "%s", D->col_text(s, 1));
		out->responder = dup0(D->col_text(s, 2));
		out->message = dup0(D->col_text(s, 3));
		out->checked = D->col_int(s, 4);
		out->next_update = D->col_int(s, 5);
		if (out->responder == NULL || out->message == NULL) {
			cf_revcheckrow_free(out);
			r = -1;
			cf_err_set(e, CF_E_INTERNAL, "revocation checks", "out of memory");
		}
	}
	release(st, s);
	if (r == 0)
		return cf_err_set(e, CF_E_NOTFOUND, sha256, "no OCSP answer recorded");
	return r == 1 ? CF_OK : (e ? e->code : CF_E_INTERNAL);
}

bool cf_store_revcheck_any(cf_store *st)
{
	int64_t any = 1; /* when it cannot be read: look each one up */
	query_int(st, "SELECT EXISTS (SELECT 1 FROM revocation_checks)", NULL, &any, NULL);
	return any != 0;
}

cf_code cf_store_revcheck_prune(cf_store *st, cf_err *e)
{
	cf_stmt *s = NULL;
	/* NOT IN: the certificates' hashes are gathered once, not looked for row by row */
	cf_code rc =
		prep(st, "DELETE FROM revocation_checks WHERE sha256 NOT IN (SELECT sha256 FROM certificates)", &s, e);
	return rc != CF_OK ? rc : run(st, s, e);
}
