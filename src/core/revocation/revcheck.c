/* The OCSP check on the interval (see revcheck.h). */
#include "core/revocation/revcheck.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/clock.h"
#include "util/grow.h"
#include "util/text.h"

/* One certificate to ask about, however many nodes hold it. */
typedef struct question {
	char sha256[65];
	cf_cert *cert, *issuer;
	size_t resp;	     /* the responders (tomcat-trust) of the node it was planned on */
	cf_revcheckrow prev; /* what was recorded before (status "" when nothing) */
	cf_revcheckrow ans;  /* the answer, once asked */
	bool asked;
} question;

/* One place of a certificate: a node's identity or trust certificate. */
typedef struct place {
	char *node, *name, *cn;
	cf_certkind kind;
	size_t q;
} place;

typedef struct certset {
	cf_cert **v;
	size_t n;
} certset;

/* The slots of the SHA-256 index: 0 empty, SEEN a certificate left out of this pass (not due),
 * otherwise 1 + its question's index. */
#define SEEN SIZE_MAX

struct cf_revcheck {
	cf_revocation_settings settings;
	bool on, all;
	int64_t now, next_due;
	question *qs;
	size_t n_qs, cap_qs, next;
	place *places;
	size_t n_places, cap_places;
	certset *resp;
	size_t n_resp, cap_resp;
	struct slot {
		char sha256[65];
		size_t v;
	} * index;
	size_t index_cap, index_used;
	cf_strv down, down_why; /* responders unreachable in this pass, and why: not asked again in it */
};

/* ---- pure parts ------------------------------------------------------------------------------------ */

bool cf_revcheck_due(const cf_revcheckrow *prev, int64_t interval, int64_t now)
{
	return prev == NULL || prev->checked + interval <= now;
}

/* ---- recording ------------------------------------------------------------------------------------- */

/* A copy of s on one line (control characters as '?'); NULL when out of memory. */
static char *one_line(const char *s)
{
	char *out = strdup(s);
	if (out != NULL)
		cf_text_one_line(out);
	return out;
}

/* The row recording v; false when out of memory. */
static bool row_from(const char *sha256, const cf_revocation_ocsp_verdict *v, int64_t now, cf_revcheckrow *out)
{
	memset(out, 0, sizeof(*out));
	snprintf(out->sha256, sizeof(out->sha256), "%s", sha256);
	snprintf(out->status, sizeof(out->status), "%s", cf_revstatus_name(v->status));
	snprintf(out->trust, sizeof(out->trust), "%s", v->answered ? v->trust : "");
	out->responder = one_line(v->url);
	out->message = one_line(v->message);
	out->checked = now;
	out->next_update = v->answered ? v->next_update : 0;
	if (out->responder == NULL || out->message == NULL) {
		cf_revcheckrow_free(out);
		return false;
	}
	return true;
}

void cf_revcheck_describe(const cf_revcheckrow *rec, char *buf, size_t len)
{
	char when[32];
	cf_time_rfc3339(rec->checked, when);
	snprintf(buf, len, "OCSP %.250s%s%s%s at %s: %s; %.300s",
		 rec->responder[0] != '\0' ? rec->responder : "(no responder)", rec->trust[0] != '\0' ? " (" : "",
		 rec->trust, rec->trust[0] != '\0' ? ")" : "", when, rec->status, rec->message);
}

cf_code cf_revcheck_record(cf_store *st, const char *sha256, const cf_revocation_ocsp_verdict *v, int64_t now,
			   cf_err *e)
{
	cf_revcheckrow row;
	if (!row_from(sha256, v, now, &row))
		return cf_err_set(e, CF_E_INTERNAL, "revocation check", "out of memory");
	cf_code rc = cf_store_revcheck_put(st, &row, e);
	cf_revcheckrow_free(&row);
	return rc;
}

/* ---- the SHA-256 index ---------------------------------------------------------------------------- */

static size_t slot_of(const cf_revcheck *p, const char *sha256)
{
	size_t h = 0;
	for (int i = 0; i < 16 && sha256[i] != '\0'; i++) /* hex of a hash: its first digits are spread enough */
		h = h * 16 + (size_t)(sha256[i] <= '9' ? sha256[i] - '0' : (sha256[i] | 0x20) - 'a' + 10);
	size_t i = h & (p->index_cap - 1);
	while (p->index[i].v != 0 && strcmp(p->index[i].sha256, sha256) != 0)
		i = (i + 1) & (p->index_cap - 1);
	return i;
}

/* The value kept for sha256 (0: none). */
static size_t index_get(const cf_revcheck *p, const char *sha256)
{
	return p->index_cap == 0 ? 0 : p->index[slot_of(p, sha256)].v;
}

static bool index_put(cf_revcheck *p, const char *sha256, size_t v)
{
	if (2 * (p->index_used + 1) > p->index_cap) { /* at most half full */
		struct slot *old = p->index;
		size_t old_cap = p->index_cap;
		p->index_cap = old_cap != 0 ? 2 * old_cap : 64;
		if ((p->index = calloc(p->index_cap, sizeof(*p->index))) == NULL) {
			p->index = old;
			p->index_cap = old_cap;
			return false;
		}
		for (size_t i = 0; i < old_cap; i++)
			if (old[i].v != 0)
				p->index[slot_of(p, old[i].sha256)] = old[i];
		free(old);
	}
	struct slot *s = &p->index[slot_of(p, sha256)];
	if (s->v == 0)
		p->index_used++;
	snprintf(s->sha256, sizeof(s->sha256), "%s", sha256);
	s->v = v;
	return true;
}

/* ---- planning -------------------------------------------------------------------------------------- */

/* A certificate of the node, as listed (no DER). */
typedef struct listed {
	int64_t id;
	cf_certkind kind;
	char *name, *cn;
	char sha256[65];
	bool self_signed;
	int64_t not_after;
} listed;

typedef struct listing {
	listed *v;
	size_t n, cap;
	bool oom;
} listing;

static int collect(void *ctx, const cf_certrow *r)
{
	listing *l = ctx;
	if (r->kind != CF_IDENTITY && r->kind != CF_TRUST)
		return 0;
	if (cf_grow(&l->v, &l->cap, l->n, sizeof(*l->v)) != 0) {
		l->oom = true;
		return 1;
	}
	listed *x = &l->v[l->n];
	*x = (listed){.id = r->id,
		      .kind = r->kind,
		      .name = strdup(r->name),
		      .cn = strdup(r->facts.cn),
		      .self_signed = r->facts.self_signed,
		      .not_after = r->facts.not_after};
	snprintf(x->sha256, sizeof(x->sha256), "%s", r->facts.sha256);
	l->n++;
	l->oom = x->name == NULL || x->cn == NULL;
	return l->oom ? 1 : 0;
}

static void listing_free(listing *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].name);
		free(l->v[i].cn);
	}
	free(l->v);
}

static cf_code add_place(cf_revcheck *p, const char *node, const listed *x, size_t q, cf_err *e)
{
	if (cf_grow(&p->places, &p->cap_places, p->n_places, sizeof(*p->places)) != 0)
		return cf_err_set(e, CF_E_INTERNAL, "revocation check", "out of memory");
	place *pl = &p->places[p->n_places];
	*pl = (place){.node = strdup(node), .name = strdup(x->name), .cn = strdup(x->cn), .kind = x->kind, .q = q};
	p->n_places++;
	if (pl->node == NULL || pl->name == NULL || pl->cn == NULL)
		return cf_err_set(e, CF_E_INTERNAL, "revocation check", "out of memory");
	return CF_OK;
}

/* The issuer of x on the node: among the node's trust certificates (trust, indexed by tix), then
 * an identity's stored chain. *cert and *issuer are set (owned) when there is one. */
static cf_code find_issuer(cf_store *st, const listed *x, const certset *trust, const cf_issuers *tix, cf_cert **cert,
			   cf_cert **issuer, cf_err *e)
{
	cf_certrow row = {0};
	cf_cert **chain = NULL, *found = NULL;
	size_t n_chain = 0;
	cf_code rc = cf_store_cert_get(st, x->id, false, &row, e);
	if (rc != CF_OK)
		return rc;
	cf_cert *c = cf_cert_from_der(row.der, row.der_len);
	const char *pem = row.chain_pem;
	long k = c != NULL ? cf_issuers_find(tix, c) : -1;
	if (k >= 0) {
		found = trust->v[k];
	} else if (c != NULL && x->kind == CF_IDENTITY && pem != NULL && pem[0] != '\0' &&
		   cf_cert_parse_bundle("stored chain", (const uint8_t *)pem, strlen(pem), &chain, &n_chain, NULL) ==
			   CF_OK) { /* an unreadable stored chain counts as none */
		cf_issuers *cix = cf_issuers_new(chain, n_chain);
		if (cix == NULL)
			rc = cf_err_set(e, CF_E_INTERNAL, "revocation check", "out of memory");
		else if ((k = cf_issuers_find(cix, c)) >= 0)
			found = chain[k];
		cf_issuers_free(cix);
	}
	if (found != NULL) {
		*cert = c;
		*issuer = cf_cert_ref(found);
		c = NULL;
	}
	cf_cert_free(c);
	cf_certs_free(chain, n_chain);
	cf_certrow_free(&row);
	return rc;
}

/* Plans the certificates of one node. */
static cf_code plan_node(cf_store *st, cf_revcheck *p, const cf_node *node, cf_err *e)
{
	listing l = {0};
	certset trust = {0};
	size_t resp = SIZE_MAX; /* the node's responders, loaded with its first question */
	cf_certfilter f = {.node = node->fqdn};
	cf_code rc = cf_store_cert_each(st, &f, collect, &l, e);
	if (l.oom)
		rc = cf_err_set(e, CF_E_INTERNAL, "revocation check", "out of memory");
	cf_issuers *tix = NULL;
	if (rc != CF_OK || (rc = cf_store_trust_certs(st, node->id, NULL, &trust.v, &trust.n, e)) != CF_OK)
		goto out;
	if ((tix = cf_issuers_new(trust.v, trust.n)) == NULL) {
		rc = cf_err_set(e, CF_E_INTERNAL, "revocation check", "out of memory");
		goto out;
	}
	for (size_t i = 0; rc == CF_OK && i < l.n; i++) {
		const listed *x = &l.v[i];
		cf_revcheckrow prev = {0};
		cf_cert *cert = NULL, *issuer = NULL;
		if (x->self_signed || x->not_after < p->now)
			continue; /* nothing to ask; an expired certificate fails as expired already */
		size_t known = index_get(p, x->sha256);
		if (known == SEEN)
			continue;
		if (known != 0) { /* asked once for every node holding it */
			rc = add_place(p, node->fqdn, x, known - 1, e);
			continue;
		}
		cf_err ge = {0};
		cf_code got = cf_store_revcheck_get(st, x->sha256, &prev, &ge);
		if (got != CF_OK && got != CF_E_NOTFOUND) { /* a store error is not "never asked" */
			rc = got;
			if (e != NULL)
				*e = ge;
			break;
		}
		bool had = got == CF_OK;
		if (!p->all && !cf_revcheck_due(had ? &prev : NULL, p->settings.interval, p->now)) {
			int64_t due = prev.checked + p->settings.interval;
			if (p->next_due == 0 || due < p->next_due)
				p->next_due = due;
			cf_revcheckrow_free(&prev);
			if (!index_put(p, x->sha256, SEEN))
				rc = cf_err_set(e, CF_E_INTERNAL, "revocation check", "out of memory");
			continue;
		}
		rc = find_issuer(st, x, &trust, tix, &cert, &issuer, e);
		if (rc == CF_OK && issuer != NULL && resp == SIZE_MAX) {
			if (cf_grow(&p->resp, &p->cap_resp, p->n_resp, sizeof(*p->resp)) != 0) {
				rc = cf_err_set(e, CF_E_INTERNAL, "revocation check", "out of memory");
			} else {
				certset *r = &p->resp[p->n_resp];
				*r = (certset){0};
				if ((rc = cf_store_trust_certs(st, node->id, "tomcat-trust", &r->v, &r->n, e)) == CF_OK)
					resp = p->n_resp++;
			}
		}
		if (rc == CF_OK && issuer != NULL && cf_grow(&p->qs, &p->cap_qs, p->n_qs, sizeof(*p->qs)) != 0)
			rc = cf_err_set(e, CF_E_INTERNAL, "revocation check", "out of memory");
		if (rc != CF_OK || issuer == NULL) { /* no issuer on this node: another may have it */
			cf_cert_free(cert);
			cf_cert_free(issuer);
			cf_revcheckrow_free(&prev);
			continue;
		}
		question *q = &p->qs[p->n_qs++];
		*q = (question){.cert = cert, .issuer = issuer, .resp = resp, .prev = prev};
		snprintf(q->sha256, sizeof(q->sha256), "%s", x->sha256);
		if (!index_put(p, x->sha256, p->n_qs))
			rc = cf_err_set(e, CF_E_INTERNAL, "revocation check", "out of memory");
		else
			rc = add_place(p, node->fqdn, x, p->n_qs - 1, e);
	}
out:
	cf_issuers_free(tix);
	cf_certs_free(trust.v, trust.n);
	listing_free(&l);
	return rc;
}

cf_code cf_revcheck_plan(cf_store *st, int64_t now, bool all, cf_revcheck **out, cf_err *e)
{
	cf_node *nodes = NULL;
	size_t n = 0;
	cf_revcheck *p = calloc(1, sizeof(*p));
	if (p == NULL)
		return cf_err_set(e, CF_E_INTERNAL, "revocation check", "out of memory");
	p->now = now;
	p->all = all;
	cf_code rc = cf_revocation_settings_get(st, &p->settings, e);
	p->on = p->settings.check && p->settings.ocsp;
	if (rc == CF_OK && p->on)
		rc = cf_store_nodes(st, 0, &nodes, &n, e);
	for (size_t i = 0; rc == CF_OK && i < n; i++)
		rc = plan_node(st, p, &nodes[i], e);
	cf_nodes_free(nodes, n);
	if (rc != CF_OK) {
		cf_revcheck_free(p);
		return rc;
	}
	*out = p;
	return CF_OK;
}

void cf_revcheck_free(cf_revcheck *p)
{
	if (p == NULL)
		return;
	for (size_t i = 0; i < p->n_qs; i++) {
		cf_cert_free(p->qs[i].cert);
		cf_cert_free(p->qs[i].issuer);
		cf_revcheckrow_free(&p->qs[i].prev);
		cf_revcheckrow_free(&p->qs[i].ans);
	}
	for (size_t i = 0; i < p->n_places; i++) {
		free(p->places[i].node);
		free(p->places[i].name);
		free(p->places[i].cn);
	}
	for (size_t i = 0; i < p->n_resp; i++)
		cf_certs_free(p->resp[i].v, p->resp[i].n);
	free(p->qs);
	free(p->places);
	free(p->resp);
	free(p->index);
	cf_strv_clear(&p->down);
	cf_strv_clear(&p->down_why);
	free(p);
}

bool cf_revcheck_on(const cf_revcheck *p)
{
	return p->on;
}

const cf_revocation_settings *cf_revcheck_settings(const cf_revcheck *p)
{
	return &p->settings;
}

bool cf_revcheck_done(const cf_revcheck *p)
{
	return p->next >= p->n_qs;
}

int64_t cf_revcheck_next_due(const cf_revcheck *p)
{
	return p->next_due;
}

/* ---- asking ---------------------------------------------------------------------------------------- */

/* Records one answer in a transaction of its own. */
static cf_code record_answer(cf_store *st, const cf_revcheckrow *ans, cf_err *e)
{
	cf_code rc = cf_store_begin(st, e);
	if (rc == CF_OK)
		rc = cf_store_revcheck_put(st, ans, e);
	if (rc == CF_OK)
		rc = cf_store_commit(st, e);
	cf_store_rollback(st);
	return rc;
}

cf_code cf_revcheck_step(cf_store *st, const cf_transport *net, cf_revcheck *p, int64_t now, cf_err *e)
{
	cf_revocation_ocsp_verdict v;
	if (cf_revcheck_done(p))
		return CF_OK;
	question *q = &p->qs[p->next++];
	const certset *r = &p->resp[q->resp];
	char url[sizeof(v.url)];
	size_t d = 0;
	cf_revocation_url(&p->settings, q->cert, url, sizeof(url));
	while (d < p->down.n && strcmp(p->down.v[d], url) != 0)
		d++;
	if (url[0] != '\0' && d < p->down.n) { /* a dead responder stalls each question by the timeout */
		memset(&v, 0, sizeof(v));
		v.status = CF_REV_UNKNOWN;
		v.unreachable = true;
		snprintf(v.url, sizeof(v.url), "%s", url);
		snprintf(v.message, sizeof(v.message), "not asked: the responder failed earlier in this pass (%.300s)",
			 p->down_why.v[d]);
	} else {
		cf_revocation_ask(net, &p->settings, q->cert, q->issuer, r->v, r->n, now, &v);
		if (v.unreachable && url[0] != '\0' &&
		    (cf_strv_push(&p->down, url) != 0 || cf_strv_push(&p->down_why, v.message) != 0))
			return cf_err_set(e, CF_E_INTERNAL, "revocation check", "out of memory");
	}
	if (!row_from(q->sha256, &v, now, &q->ans))
		return cf_err_set(e, CF_E_INTERNAL, "revocation check", "out of memory");
	q->asked = true;
	cf_code rc;
	CF_STORE_WRITE(st, e, rc, record_answer(st, &q->ans, e));
	return rc;
}

static cf_code revcheck_finish_once(cf_store *st, cf_revcheck *p, cf_err *e)
{
	if (!p->on)
		return CF_OK;
	cf_code rc = cf_store_begin(st, e);
	if (rc == CF_OK)
		rc = cf_store_revcheck_prune(st, e);
	if (rc == CF_OK)
		rc = cf_store_commit(st, e);
	cf_store_rollback(st);
	return rc;
}

cf_code cf_revcheck_finish(cf_store *st, cf_revcheck *p, cf_err *e)
{
	cf_code rc;
	CF_STORE_WRITE(st, e, rc, revcheck_finish_once(st, p, e));
	return rc;
}

cf_code cf_revcheck_off(cf_err *e)
{
	cf_err_set(e, CF_E_STATE, "revocation",
		   "OCSP is not asked: turn on revocation checking and OCSP in the revocation settings (check, ocsp)");
	return cf_err_reason(e, CF_REASON_OCSP_OFF);
}

cf_code cf_revcheck_run(cf_store *st, const cf_transport *net, int64_t now, bool all, cf_revcheck **out, cf_err *e)
{
	cf_revcheck *p = NULL;
	cf_code rc = cf_revcheck_plan(st, now, all, &p, e);
	while (rc == CF_OK && !cf_revcheck_done(p))
		rc = cf_revcheck_step(st, net, p, now, e);
	if (rc == CF_OK)
		rc = cf_revcheck_finish(st, p, e);
	if (rc != CF_OK) {
		cf_revcheck_free(p);
		return rc;
	}
	*out = p;
	return CF_OK;
}

/* ---- results --------------------------------------------------------------------------------------- */

bool cf_revcheck_item_get(const cf_revcheck *p, size_t i, cf_revcheck_item *out)
{
	if (i >= p->n_places)
		return false;
	const place *pl = &p->places[i];
	const question *q = &p->qs[pl->q];
	*out = (cf_revcheck_item){.node = pl->node,
				  .kind = pl->kind,
				  .name = pl->name,
				  .cn = pl->cn,
				  .sha256 = q->sha256,
				  .answer = q->asked ? &q->ans : NULL,
				  .newly_revoked = q->asked && strcmp(q->ans.status, "revoked") == 0 &&
						   strcmp(q->prev.status, "revoked") != 0};
	return true;
}

void cf_revcheck_totals_get(const cf_revcheck *p, cf_revcheck_totals *out)
{
	memset(out, 0, sizeof(*out));
	out->planned = p->n_qs;
	for (size_t i = 0; i < p->n_qs; i++) {
		const question *q = &p->qs[i];
		if (!q->asked)
			continue;
		out->checked++;
		out->good += strcmp(q->ans.status, "good") == 0;
		out->revoked += strcmp(q->ans.status, "revoked") == 0;
		out->unknown += strcmp(q->ans.status, "unknown") == 0;
		out->errors += q->ans.trust[0] == '\0';
	}
}
