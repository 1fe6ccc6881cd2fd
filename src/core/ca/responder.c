/* The PKI listener's answers: CRLs and OCSP answers held in memory (see responder.h). */
#include "core/ca/responder.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ca/ocsp.h"
#include "core/ca/revoke.h"
#include "crypto/ocsp_resp.h"

#define CACHE_SLOTS 4096
#define SERIAL_HEX 72

typedef struct answer {
	char serial[SERIAL_HEX];
	int hash; /* 0 SHA-1, 1 SHA-256 */
	uint8_t *der;
	size_t len;
	int64_t next_update;
} answer;

typedef struct status {
	char serial[SERIAL_HEX];
	int64_t revoked_at;
	int reason;
} status;

typedef struct cached {
	uint8_t *certid, *der;
	size_t certid_len, der_len;
	int64_t keep_until, next_update;
} cached;

typedef struct ca_ix {
	int64_t id, version, crl_number;
	char name[128];
	cf_ca *ca;
	uint8_t name_hash[2][64], key_hash[2][64];
	size_t hash_len[2];
	answer *ans;
	size_t n_ans, cap_ans;
	status *sts;
	size_t n_sts, cap_sts;
	uint8_t *crl;
	size_t crl_len;
	int64_t crl_this, crl_next;
	cached *cache; /* CACHE_SLOTS, by a hash of the CertID */
} ca_ix;

struct cf_ca_responder {
	cf_store *st;
	ca_ix *v;
	size_t n;
	uint8_t *owned; /* the last answer signed on demand that no cache holds */
	unsigned long ahead, on_demand, errors;
};

static const char *const hash_names[] = {"sha1", "sha256"};

static void ix_clear_answers(ca_ix *x)
{
	for (size_t i = 0; i < x->n_ans; i++)
		free(x->ans[i].der);
	free(x->ans);
	free(x->sts);
	x->ans = NULL;
	x->sts = NULL;
	x->n_ans = x->cap_ans = x->n_sts = x->cap_sts = 0;
	for (size_t i = 0; x->cache != NULL && i < CACHE_SLOTS; i++) {
		free(x->cache[i].certid);
		free(x->cache[i].der);
		memset(&x->cache[i], 0, sizeof(x->cache[i]));
	}
}

static void ix_free(ca_ix *x)
{
	ix_clear_answers(x);
	free(x->cache);
	free(x->crl);
	cf_ca_close(x->ca);
	memset(x, 0, sizeof(*x));
}

cf_code cf_ca_responder_new(cf_store *st, cf_ca_responder **out, cf_err *e)
{
	cf_ca_responder *r = calloc(1, sizeof(*r));
	if (r == NULL)
		return cf_err_set(e, CF_E_INTERNAL, "responder", "out of memory");
	r->st = st;
	*out = r;
	return CF_OK;
}

void cf_ca_responder_free(cf_ca_responder *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->n; i++)
		ix_free(&r->v[i]);
	free(r->v);
	free(r->owned);
	free(r);
}

void cf_ca_responder_counts(const cf_ca_responder *r, unsigned long *ahead, unsigned long *on_demand,
			    unsigned long *errors)
{
	*ahead = r->ahead;
	*on_demand = r->on_demand;
	*errors = r->errors;
}

/* ---- loading ---- */

static int by_answer(const void *a, const void *b)
{
	const answer *x = a, *y = b;
	int c = strcmp(x->serial, y->serial);
	return c != 0 ? c : x->hash - y->hash;
}

static int by_status(const void *a, const void *b)
{
	return strcmp(((const status *)a)->serial, ((const status *)b)->serial);
}

typedef struct load {
	ca_ix *x;
	bool oom;
} load;

static void load_status(void *ctx, const char *serial, int64_t revoked_at, int reason)
{
	load *l = ctx;
	ca_ix *x = l->x;
	if (x->n_sts == x->cap_sts) {
		size_t cap = x->cap_sts ? x->cap_sts * 2 : 256;
		status *nv = realloc(x->sts, cap * sizeof(*nv));
		if (nv == NULL) {
			l->oom = true;
			return;
		}
		x->sts = nv;
		x->cap_sts = cap;
	}
	status *s = &x->sts[x->n_sts++];
	snprintf(s->serial, sizeof(s->serial), "%s", serial);
	s->revoked_at = revoked_at;
	s->reason = reason;
}

static void load_answer(void *ctx, const char *serial, const char *hash, const uint8_t *der, size_t len,
			int64_t this_update, int64_t next_update)
{
	(void)this_update;
	load *l = ctx;
	ca_ix *x = l->x;
	int h = strcmp(hash, "sha1") == 0 ? 0 : strcmp(hash, "sha256") == 0 ? 1 : -1;
	if (h < 0)
		return;
	if (x->n_ans == x->cap_ans) {
		size_t cap = x->cap_ans ? x->cap_ans * 2 : 512;
		answer *nv = realloc(x->ans, cap * sizeof(*nv));
		if (nv == NULL) {
			l->oom = true;
			return;
		}
		x->ans = nv;
		x->cap_ans = cap;
	}
	uint8_t *copy = malloc(len ? len : 1);
	if (copy == NULL) {
		l->oom = true;
		return;
	}
	memcpy(copy, der, len);
	answer *a = &x->ans[x->n_ans++];
	*a = (answer){.hash = h, .der = copy, .len = len, .next_update = next_update};
	snprintf(a->serial, sizeof(a->serial), "%s", serial);
}

/* (Re)loads x's CA, its issuer hashes, the statuses and the answers signed ahead. */
static cf_code ix_load(cf_store *st, ca_ix *x, cf_err *e)
{
	ix_clear_answers(x);
	cf_ca_close(x->ca);
	x->ca = NULL;
	if (x->cache == NULL && (x->cache = calloc(CACHE_SLOTS, sizeof(*x->cache))) == NULL)
		return cf_err_set(e, CF_E_INTERNAL, x->name, "out of memory");
	cf_code rc = cf_ca_open(st, x->name, &x->ca, e);
	for (int h = 0; h < 2 && rc == CF_OK; h++)
		rc = cf_ocsp_resp_issuer_hashes(x->ca->cert, hash_names[h], x->name_hash[h], x->key_hash[h],
						&x->hash_len[h], e);
	load l = {.x = x};
	if (rc == CF_OK)
		rc = cf_store_ca_issued_walk(st, x->id, load_status, &l, e);
	if (rc == CF_OK)
		rc = cf_store_ca_ocsp_walk(st, x->id, load_answer, &l, e);
	if (rc == CF_OK && l.oom)
		rc = cf_err_set(e, CF_E_INTERNAL, x->name, "out of memory");
	if (rc != CF_OK) {
		ix_clear_answers(x);
		return rc;
	}
	if (x->n_sts > 0)
		qsort(x->sts, x->n_sts, sizeof(*x->sts), by_status);
	if (x->n_ans > 0)
		qsort(x->ans, x->n_ans, sizeof(*x->ans), by_answer);
	return CF_OK;
}

cf_code cf_ca_responder_refresh(cf_ca_responder *r, cf_err *e)
{
	cf_caversion *vv = NULL;
	size_t n = 0;
	cf_code rc = cf_store_ca_versions(r->st, &vv, &n, e);
	if (rc != CF_OK)
		return rc;
	ca_ix *nv = calloc(n ? n : 1, sizeof(*nv));
	if (nv == NULL) {
		free(vv);
		return cf_err_set(e, CF_E_INTERNAL, "responder", "out of memory");
	}
	/* keep what did not move; CAs gone are freed */
	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; k < r->n; k++)
			if (r->v[k].id == vv[i].id) {
				nv[i] = r->v[k];
				memset(&r->v[k], 0, sizeof(r->v[k]));
				break;
			}
		ca_ix *x = &nv[i];
		bool fresh = x->ca == NULL || x->version != vv[i].ocsp_version;
		if (x->crl_number != vv[i].crl_number) {
			free(x->crl);
			x->crl = NULL;
		}
		x->id = vv[i].id;
		x->version = vv[i].ocsp_version;
		x->crl_number = vv[i].crl_number;
		snprintf(x->name, sizeof(x->name), "%s", vv[i].name);
		if (fresh) {
			cf_err le = {0};
			if (ix_load(r->st, x, &le) != CF_OK)
				x->version = -1; /* tried again at the next refresh */
		}
	}
	for (size_t k = 0; k < r->n; k++)
		ix_free(&r->v[k]);
	free(r->v);
	r->v = nv;
	r->n = n;
	free(vv);
	return CF_OK;
}

static ca_ix *find(cf_ca_responder *r, const char *name)
{
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->v[i].name, name) == 0 && r->v[i].ca != NULL)
			return &r->v[i];
	return NULL;
}

/* ---- OCSP ---- */

/* The store's hex of a request's serial: its magnitude, whole octets, lower case. */
static void serial_hex(const uint8_t *p, size_t n, char out[SERIAL_HEX])
{
	if (n > 1 && p[0] == 0 && (p[1] & 0x80)) /* the sign octet the store's form leaves out */
		p++, n--;
	if (n * 2 >= SERIAL_HEX)
		n = SERIAL_HEX / 2 - 1;
	for (size_t i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", p[i]);
	out[2 * n] = '\0';
}

static const answer *find_answer(const ca_ix *x, const char *serial, int hash)
{
	if (x->n_ans == 0)
		return NULL;
	answer key = {.hash = hash};
	snprintf(key.serial, sizeof(key.serial), "%s", serial);
	return bsearch(&key, x->ans, x->n_ans, sizeof(*x->ans), by_answer);
}

static const status *find_status(const ca_ix *x, const char *serial)
{
	if (x->n_sts == 0)
		return NULL;
	status key;
	snprintf(key.serial, sizeof(key.serial), "%s", serial);
	return bsearch(&key, x->sts, x->n_sts, sizeof(*x->sts), by_status);
}

/* Whether the CertID names this CA as the issuer. */
static bool ours(const ca_ix *x, const cf_ocsp_certid *id)
{
	uint8_t nh[64], kh[64];
	const uint8_t *want_n = nh, *want_k = kh;
	size_t hl = 0;
	if (strcmp(id->hash, "sha1") == 0 || strcmp(id->hash, "sha256") == 0) {
		int h = id->hash[3] == '1' ? 0 : 1;
		want_n = x->name_hash[h];
		want_k = x->key_hash[h];
		hl = x->hash_len[h];
	} else if (id->hash[0] == '\0' ||
		   cf_ocsp_resp_issuer_hashes(x->ca->cert, id->hash, nh, kh, &hl, NULL) != CF_OK) {
		return false;
	}
	return id->hash_len == hl && memcmp(id->name_hash, want_n, hl) == 0 && memcmp(id->key_hash, want_k, hl) == 0;
}

static size_t slot_of(const uint8_t *p, size_t n)
{
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 1099511628211ull;
	return (size_t)(h % CACHE_SLOTS);
}

static const uint8_t *error_answer(cf_ca_responder *r, const char *what, size_t *len)
{
	r->errors++;
	return cf_ocsp_resp_error(what, len);
}

cf_code cf_ca_responder_ocsp(cf_ca_responder *r, const char *name, const uint8_t *req, size_t len, int64_t now,
			     const uint8_t **out, size_t *out_len, int64_t *max_age, cf_err *e)
{
	ca_ix *x = find(r, name);
	if (x == NULL)
		return cf_err_set(e, CF_E_NOTFOUND, name, "no such CA");
	free(r->owned);
	r->owned = NULL;
	*max_age = 0;
	cf_ocsp_request q;
	if (cf_ocsp_resp_read(req, len, &q, NULL) != CF_OK) {
		*out = error_answer(r, "malformedRequest", out_len);
		return CF_OK;
	}
	for (size_t i = 0; i < q.n; i++)
		if (!ours(x, &q.ids[i])) {
			*out = error_answer(r, "unauthorized", out_len);
			return CF_OK;
		}
	bool one = q.n == 1 && q.nonce == NULL;
	char serial[SERIAL_HEX];
	if (one) {
		int h = strcmp(q.ids[0].hash, "sha1") == 0 ? 0 : strcmp(q.ids[0].hash, "sha256") == 0 ? 1 : -1;
		serial_hex(q.ids[0].serial, q.ids[0].serial_len, serial);
		const answer *a = h >= 0 ? find_answer(x, serial, h) : NULL;
		if (a != NULL && a->next_update > now) { /* signed ahead: a lookup */
			r->ahead++;
			*out = a->der;
			*out_len = a->len;
			*max_age = a->next_update - now;
			return CF_OK;
		}
		cached *c = &x->cache[slot_of(q.ids[0].der, q.ids[0].der_len)];
		if (c->der != NULL && c->keep_until > now && c->certid_len == q.ids[0].der_len &&
		    memcmp(c->certid, q.ids[0].der, c->certid_len) == 0) {
			r->ahead++;
			*out = c->der;
			*out_len = c->der_len;
			*max_age = c->next_update - now;
			return CF_OK;
		}
	}
	/* signed on demand */
	cf_ocsp_answer v[CF_OCSP_MAX_IDS];
	for (size_t i = 0; i < q.n; i++) {
		serial_hex(q.ids[i].serial, q.ids[i].serial_len, serial);
		const status *s = find_status(x, serial);
		v[i] = (cf_ocsp_answer){.certid = q.ids[i].der,
					.certid_len = q.ids[i].der_len,
					.status = s == NULL	  ? CF_OCSP_UNKNOWN
						  : s->revoked_at ? CF_OCSP_REVOKED
								  : CF_OCSP_GOOD,
					.revoked_at = s ? s->revoked_at : 0,
					.reason = s && s->revoked_at ? s->reason : -1,
					.this_update = now,
					.next_update = now + x->ca->row.ocsp_validity};
	}
	uint8_t *der = NULL;
	size_t dl = 0;
	cf_err se = {0};
	if (cf_ca_ocsp_sign(x->ca, v, q.n, q.nonce, q.nonce_len, now, &der, &dl, &se) != CF_OK) {
		*out = error_answer(r, "internalError", out_len);
		return CF_OK;
	}
	r->on_demand++;
	*out = der;
	*out_len = dl;
	if (one) { /* kept for the next asker until half way to its nextUpdate */
		cached *c = &x->cache[slot_of(q.ids[0].der, q.ids[0].der_len)];
		uint8_t *certid = malloc(q.ids[0].der_len);
		if (certid != NULL) {
			free(c->certid);
			free(c->der);
			memcpy(certid, q.ids[0].der, q.ids[0].der_len);
			*c = (cached){.certid = certid,
				      .certid_len = q.ids[0].der_len,
				      .der = der,
				      .der_len = dl,
				      .keep_until = now + x->ca->row.ocsp_validity / 2,
				      .next_update = v[0].next_update};
			*max_age = x->ca->row.ocsp_validity / 2;
			return CF_OK;
		}
	}
	r->owned = der;
	return CF_OK;
}

/* ---- CRLs ---- */

cf_code cf_ca_responder_crl(cf_ca_responder *r, const char *name, int64_t now, const uint8_t **der, size_t *len,
			    int64_t *this_update, int64_t *next_update, cf_err *e)
{
	ca_ix *x = find(r, name);
	if (x == NULL)
		return cf_err_set(e, CF_E_NOTFOUND, name, "no such CA");
	if (x->crl != NULL && x->crl_next <= now) {
		free(x->crl);
		x->crl = NULL;
	}
	if (x->crl == NULL) {
		cf_code rc = cf_store_ca_crl_get(r->st, x->id, &x->crl, &x->crl_len, &x->crl_this, &x->crl_next, e);
		if (rc == CF_OK && x->crl_next <= now) {
			free(x->crl);
			x->crl = NULL;
			rc = CF_E_NOTFOUND;
		}
		if (rc == CF_E_NOTFOUND) { /* none yet, or expired: made now */
			uint8_t *made = NULL;
			size_t ml = 0;
			if ((rc = cf_ca_crl_current(r->st, name, now, &made, &ml, e)) != CF_OK)
				return rc;
			free(made);
			rc = cf_store_ca_crl_get(r->st, x->id, &x->crl, &x->crl_len, &x->crl_this, &x->crl_next, e);
		}
		if (rc != CF_OK)
			return rc;
	}
	*der = x->crl;
	*len = x->crl_len;
	*this_update = x->crl_this;
	*next_update = x->crl_next;
	return CF_OK;
}
