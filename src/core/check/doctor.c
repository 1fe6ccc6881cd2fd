/* The doctor: SPEC §4 rules as one table of (id, severity, subject, check, fix) that the walker
 * applies to every node, identity, trust certificate and pending CSR of the deployment. */
#include "core/check/doctor.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/acme/auto.h"
#include "core/fleet/deployment.h"
#include "core/revocation/crlfetch.h"
#include "core/model/fqdn.h"
#include "core/monitor/monitor.h"
#include "core/model/names.h"
#include "core/revocation/revcheck.h"
#include "core/revocation/revocation.h"
#include "core/model/settings.h"
#include "core/lifecycle/trust.h"
#include "util/clock.h"
#include "util/grow.h"

#define DAY 86400
#define YEAR_2050 2524608000LL /* 2050-01-01T00:00:00Z */
#define MAX_DEPTH 16	       /* issuers followed above a leaf */

/* ---- findings ---------------------------------------------------------------------------------- */

const char *cf_severity_name(cf_severity s)
{
	static const char *const names[] = {"info", "warning", "error"};
	return s <= CF_SEV_ERROR ? names[s] : "?";
}

void cf_findings_free(cf_findings *f)
{
	if (f == NULL)
		return;
	for (size_t i = 0; i < f->n; i++) {
		free(f->v[i].node);
		free(f->v[i].purpose);
		free(f->v[i].message);
		free(f->v[i].fix);
	}
	free(f->v);
	memset(f, 0, sizeof(*f));
}

size_t cf_findings_count(const cf_findings *f, cf_severity s)
{
	size_t n = 0;
	for (size_t i = 0; i < f->n; i++)
		n += f->v[i].severity == s;
	return n;
}

/* ---- page actions ----------------------------------------------------------------------------- */

/* The kinds of cf_action (doctor.h), each with the members it carries. */
typedef enum act {
	A_NONE = 0,
	A_PRUNE,
	A_CSR,
	A_SELF_SIGNED,
	A_UPLOAD,
	A_TRUST_ADD,
	A_TRUST_DELETE,
	A_TRUST_LIST,
	A_CSR_DISCARD,
	A_CRL_UPDATE,
	A_DEPLOY,
} act;

enum { M_NODE = 1, M_PURPOSE = 2, M_STORE = 4, M_ID = 8, M_MS = 16, M_PUBLISHER = 32 };

static const struct akind {
	const char *kind;
	unsigned members; /* M_*; M_PUBLISHER: node is the cluster's publisher */
} akinds[] = {
	[A_NONE] = {NULL, 0},
	[A_PRUNE] = {"prune", M_NODE},
	[A_CSR] = {"csr", M_NODE | M_PURPOSE | M_MS},
	[A_SELF_SIGNED] = {"self-signed", M_NODE | M_PURPOSE | M_MS},
	[A_UPLOAD] = {"upload", M_NODE | M_PURPOSE | M_PUBLISHER}, /* a multi-server set is put again from there */
	[A_TRUST_ADD] = {"trust-add", M_NODE | M_STORE},
	[A_TRUST_DELETE] = {"trust-delete", M_NODE | M_STORE | M_ID},
	[A_TRUST_LIST] = {"trust-list", M_NODE | M_STORE},
	[A_CSR_DISCARD] = {"csr-discard", M_NODE | M_PURPOSE},
	[A_CRL_UPDATE] = {"crl-update", 0},
	[A_DEPLOY] = {"deploy", M_NODE | M_PURPOSE},
};

static unsigned action_members(const char *kind)
{
	for (size_t i = 1; kind != NULL && i < sizeof(akinds) / sizeof(akinds[0]); i++)
		if (strcmp(akinds[i].kind, kind) == 0)
			return akinds[i].members;
	return 0;
}

static json_t *action_json(const cf_action *a)
{
	if (a->kind == NULL)
		return json_null();
	unsigned m = action_members(a->kind);
	json_t *o = json_pack("{s:s}", "kind", a->kind);
	if (o != NULL && (m & M_NODE))
		json_object_set_new(o, "node", json_string(a->node));
	if (o != NULL && (m & M_PURPOSE))
		json_object_set_new(o, "purpose", json_string(a->purpose));
	if (o != NULL && (m & M_STORE))
		json_object_set_new(o, "store", json_string(a->store));
	if (o != NULL && (m & M_ID))
		json_object_set_new(o, "id", json_integer(a->id));
	if (o != NULL && (m & M_MS))
		json_object_set_new(o, "multi_server", json_boolean(a->multi_server));
	return o;
}

json_t *cf_doctor_json(const cf_findings *f)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < f->n; i++) {
		const cf_finding *x = &f->v[i];
		json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:o}", "rule", x->rule, "severity",
						   cf_severity_name(x->severity), "node", x->node, "purpose",
						   x->purpose, "message", x->message, "fix", x->fix, "action",
						   action_json(&x->action)));
	}
	return a ? json_pack("{s:o}", "findings", a) : NULL;
}

/* ---- what the walker holds for one node ------------------------------------------------------- */

/* What following the issuers above an identity found. */
typedef struct chaininfo {
	bool done;
	bool incomplete;   /* an issuer is in neither the stored chain nor a trust store of the node */
	bool trusted;	   /* it reached a certificate of the purpose's trust store */
	char *missing;	   /* incomplete: the issuer name that was not found */
	char *top_subject; /* the last certificate reached (a root, an anchor, or where it stopped) */
	char *top_issuer;
	char top_sha256[65];
	cf_strv not_ca; /* subjects of issuers without basicConstraints CA:TRUE */
} chaininfo;

/* A stored certificate of the node being examined. */
typedef struct dcert {
	cf_certrow row;	     /* stored facts, DER, chain and (identities) key */
	cf_cert *cert;	     /* opened from the DER when a signature must be checked */
	const cf_purpose *p; /* identity: its profile row; NULL when the product has no such purpose */
	chaininfo chain;     /* identity */
} dcert;

typedef struct doc {
	cf_store *st;
	const cf_doctor_opts *opts;
	cf_findings *out;
	int64_t now;
	int expiring_days; /* the `expiring` window */
	cf_crlset *crls;   /* the stored CRLs (crls()) */
	bool crls_loaded;
	bool alarms_reported;  /* crl-update-failed: once a run */
	cf_acmeidentity *acme; /* every identity's ACME state, read on first use (acme-stuck) */
	size_t n_acme;
	bool acme_loaded;
	cf_carow *cas; /* the local CAs, read on first use (ca-expiring, ca-crl-stale, ca-ocsp-responder-expiring) */
	size_t n_cas;
	bool cas_loaded;
	unsigned ca_reported; /* which of those rules ran: once a run, on the first node examined */
	cf_nodectx ctx;	      /* the node being examined, its cluster and the cluster's nodes */
	dcert *ids, *trust;
	size_t n_ids, n_trust;
	cf_csrrow *csrs;
	size_t n_csrs;
	bool public_loaded; /* the public CA bundle, parsed on first use */
	cf_strv public_sha256, public_subjects;
	bool oom;
	cf_revocation_settings rev; /* read once a run: the strict mode decides about unknown */
} doc;

/* The subject a rule looks at: a certificate, a pending CSR, or (both NULL) the node. */
typedef struct subj {
	dcert *c;
	const cf_csrrow *csr;
} subj;

typedef enum target { ON_NODE, ON_IDENTITY, ON_TRUST, ON_CSR } target;

struct rule;
typedef void (*check_fn)(doc *d, const struct rule *r, const subj *s);

typedef struct rule {
	const char *id;
	cf_severity severity;
	target on;
	check_fn check; /* NULL: the rule needs data certfleet does not hold yet (revocation) */
	const char *fix;
	const char *fix_self_signed; /* for a self-signed identity, when it differs */
	/* fixes name {node}: where to act (the publisher for a multi-server identity), {purpose},
	 * {store}, {id}, {ms}: " --multi-server" for a multi-server identity */
	act action;		/* the fix as the page does it (A_NONE: the page has no way to) */
	act action_self_signed; /* with fix_self_signed */
} rule;

static cf_cert *dcert_cert(dcert *c)
{
	if (c->cert == NULL && c->row.der != NULL)
		c->cert = cf_cert_from_der(c->row.der, c->row.der_len);
	return c->cert;
}

static bool multi_server(const subj *s)
{
	return s->c != NULL && s->c->row.kind == CF_IDENTITY && strcmp(s->c->row.distribution, "multi-server") == 0;
}

/* ---- reporting ----------------------------------------------------------------------------------- */

/* What a fix names, for one finding: where to act and on what. */
typedef struct where {
	const char *node;      /* the node, or the publisher for a multi-server identity */
	const char *publisher; /* the cluster's publisher (the node itself when there is none) */
	char store[128];       /* the trust store concerned */
	char id[32];	       /* the certificate's id, "" for none */
	bool ms;	       /* a multi-server identity */
} where;

static void where_of(doc *d, const subj *s, const char *name, where *w)
{
	const cf_node *pub = cf_nodectx_publisher(&d->ctx);
	memset(w, 0, sizeof(*w));
	w->ms = multi_server(s);
	w->node = w->ms && pub != NULL ? pub->fqdn : d->ctx.node.fqdn;
	w->publisher = pub != NULL ? pub->fqdn : d->ctx.node.fqdn;
	/* a purpose without a trust store of its own is validated against any: name the first */
	snprintf(w->store, sizeof(w->store), "%.*s", (int)strcspn(d->ctx.product->trust_stores, " "),
		 d->ctx.product->trust_stores);
	if (s->c != NULL) {
		snprintf(w->id, sizeof(w->id), "%lld", (long long)s->c->row.id);
		if (s->c->row.kind == CF_TRUST)
			snprintf(w->store, sizeof(w->store), "%s", s->c->row.name);
		else if (s->c->p != NULL && s->c->p->trust_store != NULL)
			snprintf(w->store, sizeof(w->store), "%s", s->c->p->trust_store);
	} else if (s->csr == NULL && cf_truststore_find(name) != NULL) {
		snprintf(w->store, sizeof(w->store), "%s", name); /* a node rule about one store */
	}
}

/* The fix template with its placeholders filled in (new string). */
static char *expand_fix(const char *tmpl, const where *w, const char *name)
{
	const struct {
		const char *key, *value;
	} vars[] = {
		{"{node}", w->node},
		{"{purpose}", name},
		{"{store}", w->store},
		{"{id}", w->id},
		{"{ms}", w->ms ? " --multi-server" : ""},
		{"{publisher}", w->publisher},
	};
	cf_strv parts = {0};
	for (const char *p = tmpl; *p;) {
		size_t k = 0, nvars = sizeof(vars) / sizeof(vars[0]);
		if (*p == '{')
			while (k < nvars && strncmp(p, vars[k].key, strlen(vars[k].key)) != 0)
				k++;
		if (*p == '{' && k < nvars) {
			cf_strv_push(&parts, vars[k].value);
			p += strlen(vars[k].key);
			continue;
		}
		size_t run = strcspn(p + 1, "{") + 1;
		cf_strv_pushf(&parts, "%.*s", (int)run, p);
		p += run;
	}
	char *out = cf_strv_join(&parts, "");
	cf_strv_clear(&parts);
	return out;
}

/* The page's action of kind k for a finding about name at w. */
static cf_action action_of(act k, const where *w, const char *name, const subj *s)
{
	cf_action a = {.kind = akinds[k].kind};
	unsigned m = akinds[k].members;
	if (k == A_NONE)
		return a;
	snprintf(a.node, sizeof(a.node), "%s", (m & M_PUBLISHER) ? w->publisher : w->node);
	if (m & M_PURPOSE)
		snprintf(a.purpose, sizeof(a.purpose), "%s", name);
	if (m & M_STORE)
		snprintf(a.store, sizeof(a.store), "%s", w->store);
	if ((m & M_ID) && s->c != NULL)
		a.id = s->c->row.id;
	a.multi_server = (m & M_MS) && w->ms;
	return a;
}

/* Adds a finding of rule r about s. sev < 0: the rule's severity; name: the finding's purpose
 * (NULL: the subject's); fix: NULL for the rule's (its self-signed variant for a self-signed identity). */
static void report_as(doc *d, const rule *r, const subj *s, int sev, const char *name, const char *fix, const char *fmt,
		      ...) __attribute__((format(printf, 7, 8)));
static void report_as(doc *d, const rule *r, const subj *s, int sev, const char *name, const char *fix, const char *fmt,
		      ...)
{
	if (name == NULL)
		name = s->c != NULL ? s->c->row.name : s->csr != NULL ? s->csr->purpose : "";
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cf_findings *out = d->out;
	if (cf_grow(&out->v, &out->cap, out->n, sizeof(*out->v)) != 0) {
		d->oom = true;
		return;
	}
	bool ss = r->fix_self_signed != NULL && s->c != NULL && s->c->row.kind == CF_IDENTITY &&
		  s->c->row.facts.self_signed;
	if (fix == NULL)
		fix = ss ? r->fix_self_signed : r->fix;
	where w;
	where_of(d, s, name, &w);
	cf_finding f = {.rule = r->id,
			.severity = sev < 0 ? r->severity : (cf_severity)sev,
			.node = strdup(d->ctx.node.fqdn),
			.purpose = strdup(name),
			.message = strdup(msg),
			.fix = expand_fix(fix, &w, name),
			.action = action_of(ss ? r->action_self_signed : r->action, &w, name, s)};
	if (f.node == NULL || f.purpose == NULL || f.message == NULL || f.fix == NULL) {
		free(f.node);
		free(f.purpose);
		free(f.message);
		free(f.fix);
		d->oom = true;
		return;
	}
	out->v[out->n++] = f;
}

#define report(d, r, s, ...) report_as(d, r, s, -1, NULL, NULL, __VA_ARGS__)

static long long days_between(int64_t a, int64_t b)
{
	return (long long)((a > b ? a - b : b - a) / DAY);
}

/* ---- chains -------------------------------------------------------------------------------------- */

/* A candidate issuer: a trust certificate of the node or a certificate of the stored chain. */
typedef struct issuer {
	const cf_facts *f;
	dcert *trust; /* trust certificate, or NULL */
	cf_cert *cert;
	bool anchor; /* in the purpose's trust store */
} issuer;

static bool is_anchor(const dcert *id, const dcert *t)
{
	const char *store = id->p != NULL ? id->p->trust_store : NULL;
	return store == NULL || strcmp(t->row.name, store) == 0;
}

/* The verified issuer of (cf, cert) among the candidates, anchors first; NULL when none. */
static const issuer *find_issuer(issuer *cand, size_t n, const cf_facts *cf, const cf_cert *cert)
{
	for (int want_anchor = 1; want_anchor >= 0; want_anchor--)
		for (size_t i = 0; i < n; i++) {
			issuer *c = &cand[i];
			if (c->anchor != (want_anchor == 1) || strcasecmp(c->f->subject, cf->issuer) != 0 ||
			    strcmp(c->f->sha256, cf->sha256) == 0)
				continue;
			if (c->cert == NULL && c->trust != NULL)
				c->cert = dcert_cert(c->trust);
			if (c->cert != NULL && cf_cert_issued_by(cert, c->cert))
				return c;
		}
	return NULL;
}

/* Follows the issuers above a CA-signed identity through its stored chain and the node's trust
 * stores: once per identity, on first use. */
static void chain_analyse(doc *d, dcert *id)
{
	chaininfo *ch = &id->chain;
	cf_cert **extra = NULL;
	size_t n_extra = 0;
	cf_facts *xf = NULL;
	issuer *cand = NULL;
	if (ch->done)
		return;
	ch->done = true;
	const char *pem = id->row.chain_pem;
	if (pem != NULL && pem[0] != '\0' &&
	    cf_cert_parse_bundle("stored chain", (const uint8_t *)pem, strlen(pem), &extra, &n_extra, NULL) == CF_OK &&
	    ((xf = calloc(n_extra, sizeof(*xf))) == NULL || cf_certs_facts(extra, n_extra, xf, NULL) != CF_OK)) {
		free(xf); /* an unreadable stored chain counts as none */
		xf = NULL;
		cf_certs_free(extra, n_extra);
		extra = NULL;
		n_extra = 0;
	}
	if ((cand = calloc(d->n_trust + n_extra + 1, sizeof(*cand))) == NULL) {
		d->oom = true;
		goto out;
	}
	size_t n = 0;
	for (size_t i = 0; i < d->n_trust; i++)
		cand[n++] = (issuer){
			.f = &d->trust[i].row.facts, .trust = &d->trust[i], .anchor = is_anchor(id, &d->trust[i])};
	for (size_t i = 0; i < n_extra; i++)
		cand[n++] = (issuer){.f = &xf[i], .cert = extra[i]};

	const cf_facts *cur_f = &id->row.facts;
	const cf_cert *cur = dcert_cert(id);
	for (int depth = 0; cur != NULL && depth < MAX_DEPTH; depth++) {
		const issuer *up = find_issuer(cand, n, cur_f, cur);
		if (up == NULL) {
			ch->incomplete = true;
			ch->missing = strdup(cur_f->issuer);
			break;
		}
		if (!up->f->ca)
			cf_strv_push_unique(&ch->not_ca, up->f->subject);
		cur_f = up->f;
		cur = up->cert;
		if (up->anchor) {
			ch->trusted = true;
			break;
		}
		if (cur_f->self_signed)
			break;
	}
	ch->top_subject = strdup(cur_f->subject);
	ch->top_issuer = strdup(cur_f->issuer);
	snprintf(ch->top_sha256, sizeof(ch->top_sha256), "%s", cur_f->sha256);
out:
	free(cand);
	for (size_t i = 0; xf != NULL && i < n_extra; i++)
		cf_facts_free(&xf[i]);
	free(xf);
	cf_certs_free(extra, n_extra);
}

/* The chain of a CA-signed identity, analysed; NULL for a self-signed one. */
static const chaininfo *chain_of(doc *d, const subj *s)
{
	if (s->c->row.facts.self_signed)
		return NULL;
	chain_analyse(d, s->c);
	return &s->c->chain;
}

static void load_public_cas(doc *d)
{
	cf_cert **v = NULL;
	size_t n = 0;
	d->public_loaded = true;
	if (d->opts->public_cas == NULL || cf_cert_parse_bundle("public CA bundle", d->opts->public_cas,
								d->opts->public_cas_len, &v, &n, NULL) != CF_OK)
		return;
	cf_facts *f = calloc(n, sizeof(*f));
	if (f != NULL && cf_certs_facts(v, n, f, NULL) == CF_OK) {
		for (size_t i = 0; i < n; i++) {
			cf_strv_push(&d->public_sha256, f[i].sha256);
			cf_strv_push(&d->public_subjects, f[i].subject);
			cf_facts_free(&f[i]);
		}
	}
	free(f);
	cf_certs_free(v, n);
}

/* Whether the chain reaches a public root: the top certificate is one of the bundle's, or it
 * carries (or was issued under) one of their names. */
static bool chain_public(doc *d, const chaininfo *ch)
{
	if (!d->public_loaded)
		load_public_cas(d);
	return cf_strv_contains(&d->public_sha256, ch->top_sha256) ||
	       cf_strv_contains(&d->public_subjects, ch->top_subject) ||
	       cf_strv_contains(&d->public_subjects, ch->top_issuer);
}

/* ---- identity rules ------------------------------------------------------------------------------ */

static const char renew_self_signed[] =
	"make a new one: certfleet cert self-signed --node {node} --purpose {purpose}{ms}";
static const char renew_ca_signed[] =
	"renew it: certfleet csr generate --node {node} --purpose {purpose}{ms}, have the "
	"CA sign it, then certfleet cert upload --node {node} --purpose {purpose} FILE";

static void check_expired(doc *d, const rule *r, const subj *s)
{
	const cf_facts *f = &s->c->row.facts;
	char when[32];
	if (f->not_after >= d->now)
		return;
	cf_time_rfc3339(f->not_after, when);
	report(d, r, s, "\"%s\" expired on %s (%lld days ago)", f->subject, when, days_between(d->now, f->not_after));
}

static void check_not_yet_valid(doc *d, const rule *r, const subj *s)
{
	const cf_facts *f = &s->c->row.facts;
	char when[32];
	if (f->not_before <= d->now)
		return;
	cf_time_rfc3339(f->not_before, when);
	report(d, r, s, "\"%s\" is not valid until %s; peers reject it until then (or this clock is wrong)", f->subject,
	       when);
}

/* The stored CRLs, loaded on first use; NULL when there are none (or they cannot be read). */
static const cf_crlset *crls(doc *d)
{
	if (!d->crls_loaded) {
		d->crls_loaded = true;
		if (cf_crlset_load(d->st, NULL, &d->crls, NULL) != CF_OK)
			d->crls = NULL;
	}
	return d->crls;
}

/* The certificate's status on the newest stored CRL of its issuer (unknown without one), msg why. */
static cf_revstatus crl_status(doc *d, const subj *s, char *msg, size_t len)
{
	cf_cert *c = dcert_cert(s->c);
	msg[0] = '\0';
	return crls(d) != NULL && c != NULL ? cf_crlset_lookup(d->crls, c, d->now, msg, len) : CF_REV_UNKNOWN;
}

/* What OCSP last said of the certificate (recorded by `revocation check`, certfleetd's interval
 * check and uploads; the doctor asks no one): revoked, or in strict mode unknown when no CRL says
 * good either. */
static void check_ocsp_record(doc *d, const rule *r, const subj *s, cf_revstatus crl)
{
	cf_revcheckrow rec = {0};
	char said[800];
	if (cf_store_revcheck_get(d->st, s->c->row.facts.sha256, &rec, NULL) != CF_OK)
		return;
	bool revoked = strcmp(rec.status, "revoked") == 0;
	bool unknown = strcmp(rec.status, "unknown") == 0 && d->rev.strict && d->rev.check && d->rev.ocsp &&
		       crl != CF_REV_GOOD;
	cf_revcheck_describe(&rec, said, sizeof(said));
	if (revoked || unknown)
		report(d, r, s, "\"%s\": %s%s", s->c->row.facts.subject, said,
		       unknown ? " (strict mode: an unknown status fails)" : "");
	cf_revcheckrow_free(&rec);
}

/* On the newest stored CRL of its issuer, else revoked by OCSP's recorded answer. */
static void check_revoked(doc *d, const rule *r, const subj *s)
{
	char msg[320];
	if (s->c->row.facts.self_signed)
		return; /* a root: nobody above it to revoke it */
	cf_revstatus crl = crl_status(d, s, msg, sizeof(msg));
	if (crl == CF_REV_REVOKED)
		report(d, r, s, "\"%s\": %s", s->c->row.facts.subject, msg);
	else
		check_ocsp_record(d, r, s, crl);
}

static void check_crl_expired(doc *d, const rule *r, const subj *s)
{
	char msg[320];
	if (crl_status(d, s, msg, sizeof(msg)) == CF_REV_CRL_EXPIRED)
		report(d, r, s, "\"%s\": %s", s->c->row.facts.subject, msg);
}

static void check_expiring(doc *d, const rule *r, const subj *s)
{
	const cf_facts *f = &s->c->row.facts;
	int days = d->expiring_days;
	char when[32];
	if (f->not_after < d->now || f->not_after - d->now > (int64_t)days * DAY)
		return;
	cf_time_rfc3339(f->not_after, when);
	report(d, r, s, "\"%s\" expires on %s (in %lld days; the warning starts at %d)", f->subject, when,
	       days_between(f->not_after, d->now), days);
}

static void check_mismatched_key(doc *d, const rule *r, const subj *s)
{
	const cf_certrow *row = &s->c->row;
	cf_key *key = NULL;
	cf_cert *cert = dcert_cert(s->c);
	char spki[65] = "";
	if (row->key_pem == NULL || row->key_pem[0] == '\0') {
		report(d, r, s, "no private key is stored with the certificate");
		return;
	}
	if (cf_key_parse("stored key", (const uint8_t *)row->key_pem, strlen(row->key_pem), &key, NULL) != CF_OK) {
		report(d, r, s, "the stored private key cannot be read");
		return;
	}
	if (cert != NULL && !cf_key_matches_cert(key, cert)) {
		cf_key_spki_sha256(key, spki);
		report(d, r, s,
		       "the stored private key (public key SHA-256 %.16s...) is not the certificate's (%.16s...)", spki,
		       row->facts.spki_sha256);
	}
	cf_key_free(key);
}

static void check_key_type(doc *d, const rule *r, const subj *s)
{
	const cf_purpose *p = s->c->p;
	cf_keytype kt = s->c->row.facts.key_type;
	if (p != NULL && p->ecdsa != (kt == CF_KEY_EC))
		report(d, r, s, "%s needs an %s key; the certificate has an %s key", p->name, p->ecdsa ? "EC" : "RSA",
		       cf_keytype_name(kt));
}

/* Whether a trust store of the node holds the certificate with this SHA-256. */
static bool node_trusts(const doc *d, const char *sha256)
{
	for (size_t i = 0; i < d->n_trust; i++)
		if (strcmp(d->trust[i].row.facts.sha256, sha256) == 0)
			return true;
	return false;
}

static void check_chain_incomplete(doc *d, const rule *r, const subj *s)
{
	const chaininfo *ch = chain_of(d, s);
	const char *anchor = s->c->row.anchor_sha256;
	if (ch == NULL || !ch->incomplete)
		return;
	if (anchor[0] != '\0' && !node_trusts(d, anchor))
		report(d, r, s,
		       "the issuer \"%s\" is in neither the stored chain nor a trust store of the node; the trust "
		       "certificate the chain ended at when installed (SHA-256 %.16s...) is no longer there",
		       ch->missing ? ch->missing : "", anchor);
	else
		report(d, r, s, "the issuer \"%s\" is in neither the stored chain nor a trust store of the node",
		       ch->missing ? ch->missing : "");
}

static void check_untrusted_issuer(doc *d, const rule *r, const subj *s)
{
	const chaininfo *ch = chain_of(d, s);
	const char *store = s->c->p ? s->c->p->trust_store : NULL;
	if (ch == NULL || ch->incomplete || ch->trusted)
		return;
	if (store != NULL)
		report(d, r, s, "the chain ends at \"%s\", which is not in %s", ch->top_subject ? ch->top_subject : "",
		       store);
	else
		report(d, r, s, "the chain ends at \"%s\", which is in no trust store of the node",
		       ch->top_subject ? ch->top_subject : "");
}

static void check_chain_ca(doc *d, const rule *r, const subj *s)
{
	const chaininfo *ch = chain_of(d, s);
	if (ch == NULL || ch->not_ca.n == 0)
		return;
	char *list = cf_strv_join(&ch->not_ca, "\", \"");
	report(d, r, s, "issuer \"%s\" in the chain lacks basicConstraints CA:TRUE; strict peers reject the chain",
	       list ? list : "");
	free(list);
}

static void check_san_missing_node(doc *d, const rule *r, const subj *s)
{
	const cf_purpose *p = s->c->p;
	const cf_facts *f = &s->c->row.facts;
	cf_strv scope = {0}, missing = {0};
	if (p == NULL || p->scope == NULL || !multi_server(s))
		return;
	cf_names_scope(d->ctx.nodes, d->ctx.n_nodes, &d->ctx.node, p, true, &scope);
	for (size_t i = 0; i < scope.n; i++) {
		bool found = false;
		for (size_t k = 0; !found && k < f->san.n; k++)
			found = strncmp(f->san.v[k], "DNS:", 4) == 0 && strcasecmp(f->san.v[k] + 4, scope.v[i]) == 0;
		if (!found)
			cf_strv_push(&missing, scope.v[i]);
	}
	if (missing.n > 0) {
		char *list = cf_strv_join(&missing, ", ");
		report(d, r, s, "the multi-server certificate lacks %s in its SAN (its scope has %zu nodes)",
		       list ? list : "", scope.n);
		free(list);
	}
	cf_strv_clear(&scope);
	cf_strv_clear(&missing);
}

/* A multi-server set is one certificate on every node of its scope: a node holding another (a
 * self-signed replacement made on one node, an upload that reached some nodes only) breaks it.
 * Judged against the first node of the scope (the publisher the set is made on). */
static void check_multi_server_drift(doc *d, const rule *r, const subj *s)
{
	const cf_purpose *p = s->c->p;
	cf_strv scope = {0};
	cf_node ref = {0};
	cf_certrow set = {0};
	if (p == NULL || p->scope == NULL)
		return;
	cf_names_scope(d->ctx.nodes, d->ctx.n_nodes, &d->ctx.node, p, true, &scope);
	if (scope.n > 1 && strcasecmp(scope.v[0], d->ctx.node.fqdn) != 0 &&
	    cf_store_node_get(d->st, scope.v[0], &ref, NULL) == CF_OK &&
	    cf_store_identity_get(d->st, ref.id, p->name, false, &set, NULL) == CF_OK &&
	    (multi_server(s) || strcmp(set.distribution, "multi-server") == 0) &&
	    strcmp(set.facts.sha256, s->c->row.facts.sha256) != 0)
		report(d, r, s,
		       "the multi-server %s set is broken: this node holds \"%s\" (%s, SHA-256 %.16s...), %s holds "
		       "\"%s\" (%s, SHA-256 %.16s...); peers see different certificates per node",
		       p->name, s->c->row.facts.issuer, s->c->row.distribution, s->c->row.facts.sha256, ref.fqdn,
		       set.facts.issuer, set.distribution, set.facts.sha256);
	cf_certrow_free(&set);
	cf_node_free(&ref);
	cf_strv_clear(&scope);
}

/* Expressway refuses names that are not strict FQDNs; elsewhere a wildcard is judged by
 * wildcard-unsupported, not here. */
static const char *name_problem(const doc *d, const char *name)
{
	return d->ctx.product->expressway ? cf_fqdn_problem(name) : cf_wildcard_fqdn_problem(name);
}

static int name_severity(const doc *d)
{
	return d->ctx.product->expressway ? CF_SEV_ERROR : -1;
}

static void check_cn_fqdn(doc *d, const rule *r, const subj *s)
{
	const cf_purpose *p = s->c->p;
	const char *cn = s->c->row.facts.cn, *why;
	if (cn[0] == '\0' || (p != NULL && p->fixed_cn != NULL && strcmp(cn, p->fixed_cn) == 0))
		return;
	if ((why = name_problem(d, cn)) != NULL)
		report_as(d, r, s, name_severity(d), NULL, NULL, "common name \"%s\" is not a valid FQDN (%s)%s", cn,
			  why, d->ctx.product->expressway ? "; Expressway refuses it" : "");
}

static void check_san_fqdn(doc *d, const rule *r, const subj *s)
{
	const cf_facts *f = &s->c->row.facts;
	cf_strv bad = {0};
	const char *first = NULL;
	for (size_t i = 0; i < f->san.n; i++) {
		if (strncmp(f->san.v[i], "DNS:", 4) != 0)
			continue;
		const char *why = name_problem(d, f->san.v[i] + 4);
		if (why != NULL) {
			cf_strv_push(&bad, f->san.v[i] + 4);
			first = first ? first : why;
		}
	}
	if (bad.n > 0) {
		char *list = cf_strv_join(&bad, "\", \"");
		report_as(d, r, s, name_severity(d), NULL, NULL, "DNS name \"%s\" in the SAN is not a valid FQDN (%s)",
			  list ? list : "", first);
		free(list);
	}
	cf_strv_clear(&bad);
}

/* The `*.D` entries the SAN rules themselves write for cup-xmpp-s2s with federation wildcards. */
static bool federation_wildcard(const doc *d, const cf_purpose *p, const char *name)
{
	const char *on = cf_cluster_get(&d->ctx.cluster, "xmpp-federation-wildcards");
	static const char *const keys[] = {"presence-domains", "email-domains"};
	bool ok = false;
	if (p == NULL || p->san_rule != CF_SAN_XMPP_S2S || on == NULL || strcmp(on, "on") != 0 ||
	    strncmp(name, "*.", 2) != 0)
		return false;
	for (size_t k = 0; !ok && k < sizeof(keys) / sizeof(keys[0]); k++) {
		cf_strv domains = {0};
		cf_setting_list(cf_cluster_get(&d->ctx.cluster, keys[k]), &domains);
		for (size_t i = 0; !ok && i < domains.n; i++)
			ok = strcasecmp(domains.v[i], name + 2) == 0;
		cf_strv_clear(&domains);
	}
	return ok;
}

static void check_wildcard(doc *d, const rule *r, const subj *s)
{
	const cf_facts *f = &s->c->row.facts;
	cf_strv names = {0};
	if (strcmp(d->ctx.node.product, "cms") == 0)
		return;
	if (strchr(f->cn, '*') != NULL)
		cf_strv_pushf(&names, "CN %s", f->cn);
	for (size_t i = 0; i < f->san.n; i++)
		if (strncmp(f->san.v[i], "DNS:", 4) == 0 && strchr(f->san.v[i], '*') != NULL &&
		    !federation_wildcard(d, s->c->p, f->san.v[i] + 4))
			cf_strv_push(&names, f->san.v[i]);
	if (names.n > 0) {
		char *list = cf_strv_join(&names, ", ");
		report(d, r, s, "wildcard name %s: %s does not support wildcard identity certificates",
		       list ? list : "", d->ctx.product->label);
		free(list);
	}
	cf_strv_clear(&names);
}

static void check_no_cn(doc *d, const rule *r, const subj *s)
{
	const cf_facts *f = &s->c->row.facts;
	if (f->cn[0] == '\0')
		report(d, r, s, "the subject \"%s\" has no common name; peers that match on CN cannot find it",
		       f->subject);
}

static void usage_report(doc *d, const rule *r, const subj *s, unsigned lost, void (*names)(unsigned, cf_strv *),
			 const char *what)
{
	cf_strv v = {0};
	if (lost == 0)
		return;
	names(lost, &v);
	char *list = cf_strv_join(&v, ", ");
	report(d, r, s, "%s lacks %s, which %s needs", what, list ? list : "", s->c->p->name);
	free(list);
	cf_strv_clear(&v);
}

static void check_ku(doc *d, const rule *r, const subj *s)
{
	const cf_facts *f = &s->c->row.facts;
	if (s->c->p != NULL && f->has_ku) /* no extension: no restriction */
		usage_report(d, r, s, cf_purpose_ku(s->c->p, f->key_type) & ~f->ku, cf_ku_names, "key usage");
}

static void check_eku(doc *d, const rule *r, const subj *s)
{
	const cf_facts *f = &s->c->row.facts;
	if (s->c->p != NULL && f->has_eku)
		usage_report(d, r, s, s->c->p->eku & ~f->eku, cf_eku_names, "extended key usage");
}

static void check_weak_key(doc *d, const rule *r, const subj *s)
{
	const cf_facts *f = &s->c->row.facts;
	if ((f->key_type == CF_KEY_RSA && f->key_bits < 2048) || (f->key_type == CF_KEY_EC && f->key_bits < 256))
		report(d, r, s, "%s key of %d bits is weak; peers may refuse it", cf_keytype_name(f->key_type),
		       f->key_bits);
}

static void check_large_key(doc *d, const rule *r, const subj *s)
{
	const cf_facts *f = &s->c->row.facts;
	if (f->key_type == CF_KEY_RSA && f->key_bits >= 8192)
		report(d, r, s, "RSA key of %d bits: every handshake is slow and some phones and gateways refuse it",
		       f->key_bits);
}

static void check_sha1(doc *d, const rule *r, const subj *s)
{
	if (strcmp(s->c->row.facts.sig_hash, "sha1") == 0)
		report(d, r, s, "signed with SHA-1, which current peers reject");
}

static void check_2050(doc *d, const rule *r, const subj *s)
{
	const cf_facts *f = &s->c->row.facts;
	char when[32];
	if (f->not_after < YEAR_2050)
		return;
	cf_time_rfc3339(f->not_after, when);
	report(d, r, s, "valid until %s, in or after 2050; some phones cannot read such dates", when);
}

static void check_unsupported_oid(doc *d, const rule *r, const subj *s)
{
	const cf_facts *f = &s->c->row.facts;
	if (f->unsupported_oids.n == 0)
		return;
	char *list = cf_strv_join(&f->unsupported_oids, ", ");
	report(d, r, s, "subject attribute %s is not supported (only X.520 names and the EV OIDs are)",
	       list ? list : "");
	free(list);
}

static void check_edge_public(doc *d, const rule *r, const subj *s)
{
	const cf_purpose *p = s->c->p;
	if (strcmp(d->ctx.node.product, "expressway-e") != 0 || p == NULL || p->san_rule != CF_SAN_EXPRESSWAY)
		return;
	const chaininfo *ch = chain_of(d, s);
	if (ch == NULL)
		report(d, r, s, "the certificate is self-signed; MRA clients and B2B peers will not trust it");
	else if (!chain_public(d, ch))
		report(d, r, s,
		       "issued under \"%s\", not a public CA; MRA clients and B2B peers must be given that root",
		       ch->top_subject ? ch->top_subject : "");
}

/* ---- trust rules ----------------------------------------------------------------------------------- */

static void check_trust_ca(doc *d, const rule *r, const subj *s)
{
	const cf_facts *f = &s->c->row.facts;
	if (!f->ca && !f->self_signed)
		report(d, r, s,
		       "\"%s\" is neither a CA certificate (basicConstraints CA:TRUE) nor a peer's self-signed "
		       "certificate",
		       f->subject);
}

/* The certificate rules that also apply to a trusted CA (a self-signed copy of a node's identity is
 * judged on its node, where the fix is). */
static void check_ca_weak_key(doc *d, const rule *r, const subj *s)
{
	if (s->c->row.facts.ca)
		check_weak_key(d, r, s);
}

static void check_ca_2050(doc *d, const rule *r, const subj *s)
{
	if (s->c->row.facts.ca)
		check_2050(d, r, s);
}

static void check_ca_unsupported_oid(doc *d, const rule *r, const subj *s)
{
	if (s->c->row.facts.ca)
		check_unsupported_oid(d, r, s);
}

/* A trusted CA whose own CRL ran out: every peer it issued now fails validation. */
static void check_ca_crl_expired(doc *d, const rule *r, const subj *s)
{
	char msg[200];
	cf_cert *c = dcert_cert(s->c);
	if (s->c->row.facts.ca && crls(d) != NULL && c != NULL &&
	    cf_crlset_signed_expired(d->crls, c, d->now, msg, sizeof(msg)))
		report(d, r, s, "\"%s\": %s", s->c->row.facts.subject, msg);
}

static void check_stale(doc *d, const rule *r, const subj *s)
{
	const char *purpose = NULL;
	if (cf_trust_stale(d->st, &s->c->row, &purpose))
		report(d, r, s, "self-signed copy of %s's %s certificate, which is now CA-signed", s->c->row.facts.cn,
		       purpose ? purpose : "identity");
}

/* ---- node rules ------------------------------------------------------------------------------------ */

/* Identity pairs an edge server trusts together (SPEC §4): self-signed with one CN, it can keep
 * only one of them. Same key type only; the finding names the second. */
static const char *const dup_pairs[][2] = {
	{"tomcat", "CallManager"},
	{"tomcat-ECDSA", "CallManager-ECDSA"},
	{"tomcat", "cup-xmpp"},
	{"tomcat-ECDSA", "cup-xmpp-ECDSA"},
};

static const dcert *identity(const doc *d, const char *purpose)
{
	for (size_t i = 0; i < d->n_ids; i++)
		if (strcmp(d->ids[i].row.name, purpose) == 0)
			return &d->ids[i];
	return NULL;
}

/* The alarms failed CRL downloads left (deployment-wide: reported once, on the first node the
 * doctor examines). */
static void check_crl_alarms(doc *d, const rule *r, const subj *s)
{
	cf_strv alarms = {0};
	if (d->alarms_reported)
		return;
	d->alarms_reported = true;
	if (cf_crlfetch_alarms(d->st, &alarms, NULL) == CF_OK)
		for (size_t i = 0; i < alarms.n; i++)
			report_as(d, r, s, -1, "", NULL, "CRL download %s", alarms.v[i]);
	cf_strv_clear(&alarms);
}

/* ---- the local CAs (SPEC §9): deployment-wide, reported once, on the first node examined ---- */

/* Whether rule bit `bit` still has to run this run (and marks it done); loads the CAs. */
static bool ca_rule_due(doc *d, unsigned bit)
{
	if (d->ca_reported & bit)
		return false;
	d->ca_reported |= bit;
	if (!d->cas_loaded) {
		d->cas_loaded = true;
		cf_store_ca_list(d->st, &d->cas, &d->n_cas, NULL);
	}
	return true;
}

/* 80 % of [from, to) has passed at now (SPEC §9: the doctor warns then). */
static bool past_80(int64_t now, int64_t from, int64_t to)
{
	return to > from && now >= from + (to - from) / 5 * 4;
}

/* Reports a validity past 80 % as a warning, past its end as an error. */
static void report_validity(doc *d, const rule *r, const subj *s, const char *name, const char *what, int64_t from,
			    int64_t to)
{
	char when[32];
	if (!past_80(d->now, from, to))
		return;
	cf_time_rfc3339(to, when);
	if (d->now >= to)
		report_as(d, r, s, CF_SEV_ERROR, name, NULL, "%s expired at %s", what, when);
	else
		report_as(d, r, s, -1, name, NULL, "%s is past 80 %% of its validity; it ends %s (%lld days)", what,
			  when, days_between(to, d->now));
}

/* ca-expiring: a local CA's own certificate. */
static void check_ca_expiring(doc *d, const rule *r, const subj *s)
{
	if (!ca_rule_due(d, 1))
		return;
	for (size_t i = 0; i < d->n_cas; i++) {
		char what[200];
		snprintf(what, sizeof(what), "local CA %s's certificate", d->cas[i].name);
		report_validity(d, r, s, d->cas[i].name, what, d->cas[i].not_before, d->cas[i].not_after);
	}
}

/* ca-crl-stale: a local CA's current CRL (certfleetd's ca-crl duty makes it well before). */
static void check_ca_crl(doc *d, const rule *r, const subj *s)
{
	if (!ca_rule_due(d, 2))
		return;
	for (size_t i = 0; i < d->n_cas; i++) {
		uint8_t *der = NULL;
		size_t len = 0;
		int64_t this_update = 0, next_update = 0;
		if (cf_store_ca_crl_get(d->st, d->cas[i].id, &der, &len, &this_update, &next_update, NULL) == CF_OK) {
			char what[200];
			snprintf(what, sizeof(what), "local CA %s's CRL %lld", d->cas[i].name,
				 (long long)d->cas[i].crl_number);
			report_validity(d, r, s, d->cas[i].name, what, this_update, next_update);
		}
		free(der);
	}
}

/* ca-ocsp-responder-expiring: a local CA's delegated OCSP responder (the ca-ocsp duty renews it at
 * two thirds of its life). */
static void check_ca_ocsp_responder(doc *d, const rule *r, const subj *s)
{
	if (!ca_rule_due(d, 4))
		return;
	for (size_t i = 0; i < d->n_cas; i++) {
		cf_cert *c =
			d->cas[i].ocsp_der_len ? cf_cert_from_der(d->cas[i].ocsp_der, d->cas[i].ocsp_der_len) : NULL;
		cf_facts f = {0};
		if (c != NULL && cf_cert_facts(c, &f, NULL) == CF_OK) {
			char what[200];
			snprintf(what, sizeof(what), "local CA %s's OCSP responder certificate", d->cas[i].name);
			report_validity(d, r, s, d->cas[i].name, what, f.not_before, f.not_after);
		}
		cf_facts_free(&f);
		cf_cert_free(c);
	}
}

/* Every identity's ACME state, read once a run, not once a node (a failure leaves none). */
static void load_acme(doc *d)
{
	if (!d->acme_loaded) {
		d->acme_loaded = true;
		cf_store_acme_identity_list(d->st, &d->acme, &d->n_acme, NULL);
	}
}

/* acme-stuck: the node's identities whose ACME orders failed CF_ACME_STUCK_AFTER times in a row
 * (the store's ACME state; the doctor asks no CA). */
static void check_acme_stuck(doc *d, const rule *r, const subj *s)
{
	load_acme(d);
	for (size_t i = 0; i < d->n_acme; i++) {
		const cf_acmeidentity *a = &d->acme[i];
		if (a->node_id == d->ctx.node.id && strcmp(a->state, "stuck") == 0)
			report_as(d, r, s, -1, a->purpose, NULL,
				  "ACME: %lld orders with account %s failed in a row%s; the last: %s",
				  (long long)a->failures, a->account,
				  a->auto_renew && d->now - a->first_failure >= CF_ACME_GIVE_UP
					  ? " (auto mode gave up after 30 days)"
					  : "",
				  a->last_sign_error);
	}
}

/* acme-schedule: an identity in auto mode whose deploy days and time make a renewed certificate
 * wait longer than its lifetime allows: renewed at two thirds of it, it reaches the last 1/20
 * (where certfleet deploys outside the window) before the next window opens. */
static void check_acme_schedule(doc *d, const rule *r, const subj *s)
{
	load_acme(d);
	for (size_t i = 0; i < d->n_acme; i++) {
		const cf_acmeidentity *a = &d->acme[i];
		const dcert *c = a->node_id == d->ctx.node.id && a->auto_renew ? identity(d, a->purpose) : NULL;
		if (c == NULL || c->row.facts.not_after <= c->row.facts.not_before)
			continue;
		int64_t life = c->row.facts.not_after - c->row.facts.not_before;
		int64_t wait = cf_acme_auto_longest_wait(a->deploy_days, a->deploy_time);
		if (wait > life / 3 - life / 20)
			report_as(
				d, r, s, -1, a->purpose, NULL,
				"ACME auto mode deploys on %s%s%s: a renewed certificate can wait %lld hours for that, "
				"but the certificate lives %lld hours and is renewed with a third of it left",
				a->deploy_days[0] ? a->deploy_days : "every day", a->deploy_time[0] ? " at " : "",
				a->deploy_time, (long long)(wait / 3600), (long long)(life / 3600));
	}
}

/* served-mismatch, served-unreachable: what the last served check after a deploy found
 * (core/lifecycle/served.h; the doctor connects to nothing). unreachable: the rule about checks
 * that got no handshake, else the one about handshakes that showed another certificate. */
static void served_findings(doc *d, const rule *r, const subj *s, bool unreachable)
{
	cf_servedcheck *v = NULL;
	size_t n = 0;
	char when[32];
	if (cf_store_served_list(d->st, d->ctx.node.id, &v, &n, NULL) != CF_OK)
		return;
	for (size_t i = 0; i < n; i++) {
		const cf_servedcheck *c = &v[i];
		cf_time_rfc3339(c->checked_at, when);
		if (unreachable && c->error[0] != '\0')
			report_as(d, r, s, -1, c->purpose, NULL, "%s %s: nothing served at %s at %s: %s", c->node,
				  c->purpose, c->address, when, c->error);
		else if (!unreachable && c->error[0] == '\0' && strcmp(c->served_sha256, c->stored_sha256) != 0)
			report_as(d, r, s, -1, c->purpose, NULL,
				  "%s %s serves SHA-256 %s at %s, the store holds %s (checked %s)", c->node, c->purpose,
				  c->served_sha256, c->address, c->stored_sha256, when);
	}
	cf_servedchecks_free(v, n);
}

static void check_served_mismatch(doc *d, const rule *r, const subj *s)
{
	served_findings(d, r, s, false);
}

static void check_served_unreachable(doc *d, const rule *r, const subj *s)
{
	served_findings(d, r, s, true);
}

static void check_duplicate_cn(doc *d, const rule *r, const subj *s)
{
	for (size_t i = 0; i < sizeof(dup_pairs) / sizeof(dup_pairs[0]); i++) {
		const dcert *a = identity(d, dup_pairs[i][0]), *b = identity(d, dup_pairs[i][1]);
		if (a == NULL || b == NULL || !a->row.facts.self_signed || !b->row.facts.self_signed ||
		    a->row.facts.cn[0] == '\0' || strcasecmp(a->row.facts.cn, b->row.facts.cn) != 0)
			continue;
		report_as(d, r, s, -1, dup_pairs[i][1], NULL,
			  "self-signed %s and %s both have CN \"%s\"; an edge server (Expressway-C) that must trust "
			  "both can keep only one",
			  dup_pairs[i][0], dup_pairs[i][1], a->row.facts.cn);
	}
}

static void check_store_full(doc *d, const rule *r, const subj *s)
{
	cf_strv stores = {0};
	cf_strv_split(&stores, d->ctx.product->trust_stores, " ");
	for (size_t i = 0; i < stores.n; i++) {
		const cf_truststore *ts = cf_truststore_find(stores.v[i]);
		if (ts == NULL || ts->limit <= 0)
			continue;
		int64_t count = 0;
		cf_err e = {0};
		if (cf_store_trust_count(d->st, d->ctx.node.id, ts->name, &count, &e) != CF_OK) {
			report_as(d, r, s, -1, ts->name, NULL, "cannot count %s: %s", ts->name, e.message);
			continue;
		}
		long long n = (long long)count;
		if (n > ts->limit)
			report_as(d, r, s, -1, ts->name, NULL, "%s holds %lld certificates; the limit is %d", ts->name,
				  n, ts->limit);
		else if (n == ts->limit)
			report_as(d, r, s, CF_SEV_WARNING, ts->name, NULL,
				  "%s is full (%lld of %d certificates); the next CA upload will be refused", ts->name,
				  n, ts->limit);
	}
	cf_strv_clear(&stores);
}

/* ---- CSR rules ----------------------------------------------------------------------------------- */

static void check_csr_age(doc *d, const rule *r, const subj *s)
{
	int days = d->opts->csr_max_age_days > 0 ? d->opts->csr_max_age_days : 30;
	char when[32];
	if (d->now - s->csr->created <= (int64_t)days * DAY)
		return;
	cf_time_rfc3339(s->csr->created, when);
	report(d, r, s, "the CSR has been pending since %s (%lld days); its key waits unused in the store", when,
	       days_between(d->now, s->csr->created));
}

/* ---- the table ------------------------------------------------------------------------------------ */

static const char fix_reissue[] = "have the CA issue it again from a new CSR: certfleet csr generate --node {node} "
				  "--purpose {purpose}{ms}, then certfleet cert upload --node {node} --purpose "
				  "{purpose} FILE";

/* One row per (rule, subject): the order is the order of the findings for one subject. The last two
 * columns are the page's actions for fix and fix_self_signed. The one fix the page cannot do is
 * not-yet-valid's on a CA-signed identity (this host's clock, or waiting): A_NONE, null in JSON. */
static const rule rules[] = {
	/* the node as a whole */
	{"duplicate-selfsigned-cn", CF_SEV_WARNING, ON_NODE, check_duplicate_cn,
	 "have one of them CA-signed, e.g. certfleet csr generate --node {node} --purpose {purpose}, have the CA "
	 "sign it, certfleet cert upload",
	 NULL, A_CSR, A_NONE},
	{"crl-update-failed", CF_SEV_WARNING, ON_NODE, check_crl_alarms,
	 "the last good CRL stays in use until it expires; check the URL and the network, then certfleet crl update",
	 NULL, A_CRL_UPDATE, A_NONE},
	{"acme-stuck", CF_SEV_ERROR, ON_NODE, check_acme_stuck,
	 "the certificate is not renewing: see why with certfleet acme show --node {node} --purpose {purpose}, fix it, "
	 "then certfleet acme order --node {node} --purpose {purpose} --account NAME",
	 NULL, A_NONE, A_NONE},
	{"acme-schedule", CF_SEV_WARNING, ON_NODE, check_acme_schedule,
	 "allow more deploy days or any time: certfleet acme auto --node {node} --purpose {purpose} on --deploy-days "
	 "mon,tue,wed,thu,fri --deploy-time HH:MM",
	 NULL, A_NONE, A_NONE},
	{"ca-expiring", CF_SEV_WARNING, ON_NODE, check_ca_expiring,
	 "make its successor (certfleet ca create), have what it issued issued again by it, and put it in the trust "
	 "stores before this one ends",
	 NULL, A_NONE, A_NONE},
	{"ca-crl-stale", CF_SEV_WARNING, ON_NODE, check_ca_crl,
	 "certfleetd's ca-crl duty makes it: check that certfleetd runs (certfleet job list), or make one now: "
	 "certfleet ca crl --ca {purpose}",
	 NULL, A_NONE, A_NONE},
	{"ca-ocsp-responder-expiring", CF_SEV_WARNING, ON_NODE, check_ca_ocsp_responder,
	 "certfleetd's ca-ocsp duty renews it at two thirds of its life: check that certfleetd runs (certfleet job "
	 "list), or issue a new one now: certfleet ca config {purpose} --ocsp-responder delegated",
	 NULL, A_NONE, A_NONE},
	{"served-mismatch", CF_SEV_ERROR, ON_NODE, check_served_mismatch,
	 "reload the service, or check the deploy target (certfleet deploy-target list --node {node}), then certfleet "
	 "deploy --node {node} --purpose {purpose}",
	 NULL, A_DEPLOY, A_NONE},
	{"served-unreachable", CF_SEV_WARNING, ON_NODE, check_served_unreachable,
	 "check that the service runs and the deploy target's address (certfleet deploy-target list --node {node}), "
	 "then certfleet deploy --node {node} --purpose {purpose}",
	 NULL, A_DEPLOY, A_NONE},
	{"trust-store-full", CF_SEV_ERROR, ON_NODE, check_store_full,
	 "delete CA certificates nobody uses: certfleet cert list --node {node} --store {purpose}, then certfleet "
	 "trust delete",
	 NULL, A_TRUST_LIST, A_NONE},
	/* identities */
	{"expired", CF_SEV_ERROR, ON_IDENTITY, check_expired, renew_ca_signed, renew_self_signed, A_CSR, A_SELF_SIGNED},
	{"not-yet-valid", CF_SEV_WARNING, ON_IDENTITY, check_not_yet_valid,
	 "check this host's clock; otherwise wait, or issue it again with a current start date", renew_self_signed,
	 A_NONE, A_SELF_SIGNED},
	{"expiring", CF_SEV_WARNING, ON_IDENTITY, check_expiring, renew_ca_signed, renew_self_signed, A_CSR,
	 A_SELF_SIGNED},
	{"mismatched-key", CF_SEV_ERROR, ON_IDENTITY, check_mismatched_key,
	 "the identity cannot be served as stored; issue a new key and certificate: certfleet csr generate --node "
	 "{node} --purpose {purpose}{ms}",
	 renew_self_signed, A_CSR, A_SELF_SIGNED},
	{"key-type-mismatch", CF_SEV_ERROR, ON_IDENTITY, check_key_type,
	 "replace it with a certificate of the right key type: certfleet csr generate --node {node} --purpose "
	 "{purpose}{ms}",
	 renew_self_signed, A_CSR, A_SELF_SIGNED},
	{"chain-incomplete", CF_SEV_ERROR, ON_IDENTITY, check_chain_incomplete,
	 "add the missing CA certificate: certfleet trust add --node {node} --store {store} CA.pem", NULL, A_TRUST_ADD,
	 A_NONE},
	{"untrusted-issuer", CF_SEV_ERROR, ON_IDENTITY, check_untrusted_issuer,
	 "add the root CA certificate: certfleet trust add --node {node} --store {store} ROOT.pem", NULL, A_TRUST_ADD,
	 A_NONE},
	{"ca-no-basic-constraints", CF_SEV_ERROR, ON_IDENTITY, check_chain_ca,
	 "use a CA whose certificate carries basicConstraints CA:TRUE: add it with certfleet trust add --node {node} "
	 "--store {store}, then upload the identity again",
	 NULL, A_TRUST_ADD, A_NONE},
	{"san-missing-node", CF_SEV_ERROR, ON_IDENTITY, check_san_missing_node, fix_reissue, renew_self_signed, A_CSR,
	 A_SELF_SIGNED},
	{"multi-server-drift", CF_SEV_ERROR, ON_IDENTITY, check_multi_server_drift,
	 "put one certificate on every node again from the publisher: certfleet cert upload --node {publisher} "
	 "--purpose {purpose} FILE (the multi-server certificate), or certfleet cert self-signed --node {publisher} "
	 "--purpose {purpose} --multi-server --force",
	 NULL, A_UPLOAD, A_NONE},
	{"cn-not-fqdn", CF_SEV_WARNING, ON_IDENTITY, check_cn_fqdn, fix_reissue, renew_self_signed, A_CSR,
	 A_SELF_SIGNED},
	{"san-not-fqdn", CF_SEV_WARNING, ON_IDENTITY, check_san_fqdn, fix_reissue, renew_self_signed, A_CSR,
	 A_SELF_SIGNED},
	{"wildcard-unsupported", CF_SEV_WARNING, ON_IDENTITY, check_wildcard,
	 "use a certificate naming the node FQDNs: certfleet csr generate --node {node} --purpose {purpose}{ms}",
	 renew_self_signed, A_CSR, A_SELF_SIGNED},
	{"no-cn", CF_SEV_WARNING, ON_IDENTITY, check_no_cn, fix_reissue, renew_self_signed, A_CSR, A_SELF_SIGNED},
	{"ku-missing", CF_SEV_WARNING, ON_IDENTITY, check_ku,
	 "have the CA issue it again keeping the CSR's key usage (a template that copies the request's extensions)",
	 renew_self_signed, A_CSR, A_SELF_SIGNED},
	{"eku-missing", CF_SEV_WARNING, ON_IDENTITY, check_eku,
	 "have the CA issue it again with the purpose's extended key usage (a template that copies the request's "
	 "extensions)",
	 renew_self_signed, A_CSR, A_SELF_SIGNED},
	{"weak-key", CF_SEV_WARNING, ON_IDENTITY, check_weak_key,
	 "issue a new key of 2048 bits or more: certfleet csr generate --node {node} --purpose {purpose}{ms}",
	 renew_self_signed, A_CSR, A_SELF_SIGNED},
	{"large-key-8192", CF_SEV_WARNING, ON_IDENTITY, check_large_key,
	 "use 2048 to 4096 bits unless policy demands more: certfleet csr generate --node {node} --purpose "
	 "{purpose}{ms} --key rsa:3072",
	 "make a new one with 2048 to 4096 bits: certfleet cert self-signed --node {node} --purpose {purpose}{ms} "
	 "--key rsa:3072",
	 A_CSR, A_SELF_SIGNED},
	{"sha1", CF_SEV_WARNING, ON_IDENTITY, check_sha1, "have the CA sign it again with SHA-256", renew_self_signed,
	 A_CSR, A_SELF_SIGNED},
	{"date-2050", CF_SEV_WARNING, ON_IDENTITY, check_2050,
	 "ask the CA for a validity ending before 2050, and upload the new certificate",
	 "make a new one ending before 2050: certfleet cert self-signed --node {node} --purpose {purpose}{ms} --days "
	 "1825",
	 A_CSR, A_SELF_SIGNED},
	{"unsupported-oid", CF_SEV_WARNING, ON_IDENTITY, check_unsupported_oid,
	 "request it again with only CN, O, OU, L, ST, C (certfleet cluster set dn.*, then certfleet csr generate)",
	 renew_self_signed, A_CSR, A_SELF_SIGNED},
	{"expressway-e-private-ca", CF_SEV_INFO, ON_IDENTITY, check_edge_public,
	 "for MRA and B2B, have a public CA sign it: certfleet csr generate --node {node} --purpose {purpose}", NULL,
	 A_CSR, A_NONE},
	{"crl-expired", CF_SEV_ERROR, ON_IDENTITY, check_crl_expired,
	 "get the issuing CA's current CRL: certfleet crl update, or certfleet crl add FILE", NULL, A_CRL_UPDATE,
	 A_NONE},
	{"revoked", CF_SEV_ERROR, ON_IDENTITY, check_revoked, fix_reissue, renew_self_signed, A_CSR, A_SELF_SIGNED},
	/* trust certificates */
	{"expired", CF_SEV_WARNING, ON_TRUST, check_expired,
	 "delete it unless a peer still presents a chain through it: certfleet trust delete --node {node} --store "
	 "{store} --id {id}",
	 NULL, A_TRUST_DELETE, A_NONE},
	{"ca-no-basic-constraints", CF_SEV_ERROR, ON_TRUST, check_trust_ca,
	 "delete it (certfleet trust delete --node {node} --store {store} --id {id}) and add its issuing CA instead",
	 NULL, A_TRUST_DELETE, A_NONE},
	{"stale-selfsigned-trust", CF_SEV_WARNING, ON_TRUST, check_stale, "certfleet trust prune --node {node}", NULL,
	 A_PRUNE, A_NONE},
	{"weak-key", CF_SEV_WARNING, ON_TRUST, check_ca_weak_key,
	 "get the CA's certificate with a key of 2048 bits or more, add it, then delete this one: certfleet trust "
	 "delete "
	 "--node {node} --store {store} --id {id}",
	 NULL, A_TRUST_DELETE, A_NONE},
	{"date-2050", CF_SEV_WARNING, ON_TRUST, check_ca_2050,
	 "phones that read this store may fail on it; replace it with a CA certificate ending before 2050 where "
	 "phones must trust it",
	 NULL, A_TRUST_ADD, A_NONE},
	{"unsupported-oid", CF_SEV_WARNING, ON_TRUST, check_ca_unsupported_oid,
	 "the product may refuse the store; delete it (certfleet trust delete --node {node} --store {store} --id {id}) "
	 "unless peers need it",
	 NULL, A_TRUST_DELETE, A_NONE},
	{"crl-expired", CF_SEV_ERROR, ON_TRUST, check_ca_crl_expired,
	 "get the CA's current CRL: certfleet crl update, or certfleet crl add FILE", NULL, A_CRL_UPDATE, A_NONE},
	{"revoked", CF_SEV_ERROR, ON_TRUST, check_revoked,
	 "delete it (certfleet trust delete --node {node} --store {store} --id {id}) and add the CA's new certificate; "
	 "identities issued under it need new certificates too",
	 NULL, A_TRUST_DELETE, A_NONE},
	/* pending CSRs */
	{"pending-csr-old", CF_SEV_WARNING, ON_CSR, check_csr_age,
	 "upload the signed certificate (certfleet cert upload --node {node} --purpose {purpose} FILE) or discard the "
	 "CSR: certfleet csr discard --node {node} --purpose {purpose}",
	 NULL, A_CSR_DISCARD, A_NONE},
};

#define N_RULES (sizeof(rules) / sizeof(rules[0]))

const char *cf_doctor_rule_next(int *i)
{
	while (*i >= 0 && (size_t)*i < N_RULES) {
		const rule *r = &rules[(*i)++];
		bool seen = false;
		for (const rule *q = rules; !seen && q < r; q++)
			seen = strcmp(q->id, r->id) == 0;
		if (!seen)
			return r->id;
	}
	return NULL;
}

/* ---- the walk ------------------------------------------------------------------------------------- */

static void apply(doc *d, target on, const subj *s)
{
	for (size_t i = 0; i < N_RULES && !d->oom; i++)
		if (rules[i].on == on && rules[i].check != NULL)
			rules[i].check(d, &rules[i], s);
}

struct idlist {
	int64_t *v;
	size_t n, cap;
};

static int collect_id(void *ctx, const cf_certrow *r)
{
	struct idlist *l = ctx;
	if (cf_grow(&l->v, &l->cap, l->n, sizeof(*l->v)) != 0)
		return CF_E_INTERNAL;
	l->v[l->n++] = r->id;
	return 0;
}

/* Loads the certificates of one kind on the node (identities with their keys). */
static cf_code load_certs(doc *d, cf_certkind kind, dcert **out, size_t *n, cf_err *e)
{
	struct idlist ids = {0};
	cf_certfilter f = {.node = d->ctx.node.fqdn, .kind = kind};
	cf_code rc = cf_store_cert_each(d->st, &f, collect_id, &ids, e);
	if (rc == CF_OK && ids.n > 0 && (*out = calloc(ids.n, sizeof(**out))) == NULL)
		rc = cf_err_set(e, CF_E_INTERNAL, "doctor", "out of memory");
	for (size_t i = 0; rc == CF_OK && i < ids.n; i++) {
		dcert *c = &(*out)[i];
		rc = cf_store_cert_get(d->st, ids.v[i], kind == CF_IDENTITY, &c->row, e);
		if (rc == CF_OK) {
			*n = i + 1;
			if (kind == CF_IDENTITY)
				c->p = cf_purpose_find(c->row.name, d->ctx.node.product);
		}
	}
	free(ids.v);
	return rc;
}

static void dcerts_free(dcert *v, size_t n)
{
	for (size_t i = 0; v != NULL && i < n; i++) {
		cf_certrow_free(&v[i].row);
		cf_cert_free(v[i].cert);
		free(v[i].chain.missing);
		free(v[i].chain.top_subject);
		free(v[i].chain.top_issuer);
		cf_strv_clear(&v[i].chain.not_ca);
	}
	free(v);
}

static void node_free(doc *d)
{
	dcerts_free(d->ids, d->n_ids);
	dcerts_free(d->trust, d->n_trust);
	for (size_t i = 0; i < d->n_csrs; i++)
		cf_csrrow_free(&d->csrs[i]);
	free(d->csrs);
	cf_nodectx_free(&d->ctx);
	d->ids = d->trust = NULL;
	d->csrs = NULL;
	d->n_ids = d->n_trust = d->n_csrs = 0;
}

static cf_code load_csrs(doc *d, cf_err *e)
{
	int i = 0;
	const cf_purpose *p;
	size_t cap = 0;
	while ((p = cf_purpose_next(d->ctx.node.product, &i)) != NULL) {
		cf_csrrow row = {0};
		if (cf_store_csr_get(d->st, d->ctx.node.id, p->name, &row, NULL) != CF_OK)
			continue;
		if (cf_grow(&d->csrs, &cap, d->n_csrs, sizeof(*d->csrs)) != 0) {
			cf_csrrow_free(&row);
			return cf_err_set(e, CF_E_INTERNAL, "doctor", "out of memory");
		}
		d->csrs[d->n_csrs++] = row;
	}
	return CF_OK;
}

static cf_code examine_node(doc *d, const char *fqdn, cf_err *e)
{
	cf_code rc = cf_nodectx_load(d->st, fqdn, &d->ctx, e);
	if (rc == CF_OK)
		rc = load_certs(d, CF_IDENTITY, &d->ids, &d->n_ids, e);
	if (rc == CF_OK)
		rc = load_certs(d, CF_TRUST, &d->trust, &d->n_trust, e);
	if (rc == CF_OK)
		rc = load_csrs(d, e);
	if (rc == CF_OK) {
		subj node = {0};
		apply(d, ON_NODE, &node);
		for (size_t i = 0; i < d->n_ids; i++)
			apply(d, ON_IDENTITY, &(subj){.c = &d->ids[i]});
		for (size_t i = 0; i < d->n_trust; i++)
			apply(d, ON_TRUST, &(subj){.c = &d->trust[i]});
		for (size_t i = 0; i < d->n_csrs; i++)
			apply(d, ON_CSR, &(subj){.csr = &d->csrs[i]});
		if (d->oom)
			rc = cf_err_set(e, CF_E_INTERNAL, "doctor", "out of memory");
	}
	node_free(d);
	return rc;
}

cf_code cf_doctor_run(cf_store *st, const cf_doctor_opts *opts, cf_findings *out, cf_err *e)
{
	static const cf_doctor_opts none = {0};
	doc d = {.st = st, .opts = opts ? opts : &none, .out = out, .now = cf_clock_now()};
	cf_node *nodes = NULL;
	size_t n = 0;
	cf_code rc;
	/* `expiring` warns from the expiry monitor's notification start on, unless told otherwise */
	cf_monitor_settings ms;
	d.expiring_days = d.opts->expiring_days;
	if (cf_revocation_settings_get(st, &d.rev, NULL) != CF_OK)
		d.rev.strict = false; /* unreadable: no strict-mode findings */
	if (d.expiring_days <= 0)
		d.expiring_days = cf_monitor_settings_get(st, &ms, NULL) == CF_OK ? ms.start_days : 30;
	if (d.opts->node != NULL) {
		cf_node one = {0};
		rc = cf_store_node_get(st, d.opts->node, &one, e);
		if (rc == CF_OK)
			rc = examine_node(&d, one.fqdn, e);
		cf_node_free(&one);
	} else {
		rc = cf_store_nodes(st, 0, &nodes, &n, e);
		for (size_t i = 0; rc == CF_OK && i < n; i++)
			rc = examine_node(&d, nodes[i].fqdn, e);
		cf_nodes_free(nodes, n);
	}
	cf_strv_clear(&d.public_sha256);
	cf_strv_clear(&d.public_subjects);
	cf_crlset_free(d.crls);
	for (size_t i = 0; i < d.n_acme; i++)
		cf_acmeidentity_free(&d.acme[i]);
	free(d.acme);
	for (size_t i = 0; i < d.n_cas; i++)
		cf_carow_free(&d.cas[i]);
	free(d.cas);
	return rc;
}
