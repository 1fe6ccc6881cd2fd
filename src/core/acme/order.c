/* An ACME order for an identity (see order.h). */
#include "core/acme/order.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/acme/account.h"
#include "core/acme/client.h"
#include "core/lifecycle/identity.h"
#include "crypto/jws.h"
#include "util/clock.h"
#include "util/secret.h"

#define ORDER_TIMEOUT 300	   /* seconds for a whole order by default */
#define TOKEN_LIFETIME (24 * 3600) /* seconds a key authorization is served */
#define POLL_FIRST_MS 200	   /* the first wait when the CA says nothing of when to ask again */
#define POLL_MAX_MS 3000	   /* ... doubling up to this */
#define BACKOFF_FIRST 60	   /* seconds after the first failure */
#define BACKOFF_MAX (6 * 3600)	   /* ... doubling up to this */

int64_t cf_acme_backoff(int64_t failures)
{
	int64_t s = BACKOFF_FIRST;
	for (int64_t i = 1; i < failures && s < BACKOFF_MAX; i++)
		s *= 2;
	return s < BACKOFF_MAX ? s : BACKOFF_MAX;
}

/* What one order works with. */
typedef struct run {
	cf_store *st;
	const cf_acme_order_spec *o;
	cf_node node;
	int64_t account_id;
	cf_acmeaccount acct;
	cf_key *account_key;
	cf_acme_client *c;
	cf_csrrow csr;
	cf_key *csr_key;
	cf_strv names;
	char *order_url;
	int64_t deadline_ms;
	char *replaces; /* the ARI id of the certificate the order replaces, or NULL */
	int64_t ari_start, ari_end, ari_checked;
} run;

static void note(const run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(const run *r, const char *fmt, ...)
{
	if (r->o->note == NULL)
		return;
	char line[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	r->o->note(r->o->ctx, line);
}

/* Waits before asking the CA again: its Retry-After (seconds) when it said one, else *delay_ms
 * (which doubles); CF_E_REMOTE when the order's time would run out. */
static cf_code wait_again(run *r, int retry_after, int *delay_ms, const char *what, cf_err *e)
{
	int64_t ms = retry_after > 0 ? (int64_t)retry_after * 1000 : *delay_ms;
	if (retry_after <= 0)
		*delay_ms = *delay_ms * 2 < POLL_MAX_MS ? *delay_ms * 2 : POLL_MAX_MS;
	if (cf_clock_mono_ms() + ms > r->deadline_ms)
		return cf_err_set(e, CF_E_REMOTE, r->order_url, "the order took too long: %s", what);
	cf_clock_sleep_ms(ms);
	return CF_OK;
}

/* The pending CSR of (node, purpose), made when there is none, with its key and its names. */
static cf_code load_csr(run *r, cf_err *e)
{
	cf_code rc = cf_store_csr_get(r->st, r->node.id, r->o->purpose, &r->csr, e);
	if (rc == CF_E_STATE && e != NULL && e->reason != NULL && strcmp(e->reason, CF_REASON_NO_CSR) == 0) {
		cf_err_clear(e);
		cf_identity_csr_view v = {0};
		cf_issue_opts opts = {0};
		if ((rc = cf_identity_csr_generate(r->st, r->o->node, r->o->purpose, &opts, &v, e)) != CF_OK)
			return rc;
		cf_identity_csr_view_free(&v);
		note(r, "made a CSR for %s %s", r->o->node, r->o->purpose);
		rc = cf_store_csr_get(r->st, r->node.id, r->o->purpose, &r->csr, e);
	}
	if (rc != CF_OK)
		return rc;
	cf_csr *csr = NULL;
	cf_facts f = {0};
	if ((rc = cf_csr_parse("the pending CSR", r->csr.der, r->csr.der_len, &csr, e)) == CF_OK &&
	    (rc = cf_csr_facts(csr, &f, e)) == CF_OK) {
		for (size_t i = 0; rc == CF_OK && i < f.san.n; i++) {
			if (strncmp(f.san.v[i], "DNS:", 4) != 0)
				rc = cf_err_set(e, CF_E_INPUT, r->o->purpose,
						"the CSR names %s; an ACME CA issues for DNS names only", f.san.v[i]);
			else if (cf_strv_push_unique(&r->names, f.san.v[i] + 4) != 0)
				rc = cf_err_set(e, CF_E_INTERNAL, NULL, "out of memory");
		}
		if (rc == CF_OK && r->names.n == 0 && f.cn[0] != '\0' && cf_strv_push(&r->names, f.cn) != 0)
			rc = cf_err_set(e, CF_E_INTERNAL, NULL, "out of memory");
		if (rc == CF_OK && r->names.n == 0)
			rc = cf_err_set(e, CF_E_INPUT, r->o->purpose, "the CSR names no DNS name to order");
	}
	cf_facts_free(&f);
	cf_csr_free(csr);
	if (rc == CF_OK)
		rc = cf_key_parse("the CSR's key", (const uint8_t *)r->csr.key_pem, strlen(r->csr.key_pem), &r->csr_key,
				  e);
	return rc;
}

static cf_code token_once(cf_store *st, const run *r, const char *token, const char *key_auth, cf_err *e)
{
	cf_code rc = cf_store_begin(st, e);
	if (rc == CF_OK)
		rc = cf_store_acme_token_put(st, token, key_auth, r->node.id, r->o->purpose,
					     cf_clock_now() + TOKEN_LIFETIME, e);
	return cf_store_finish(st, rc, e);
}

/* Answers one authorization: its HTTP-01 key authorization kept in the store, the CA told, then
 * asked until it decides. */
static cf_code authorize(run *r, const char *url, cf_err *e)
{
	cf_acme_authz az = {0};
	int after = 0, delay = POLL_FIRST_MS;
	cf_code rc = cf_acme_get_authz(r->c, url, &az, &after, e);
	if (rc != CF_OK)
		return rc;
	if (az.status == CF_ACME_VALID) {
		cf_acme_authz_free(&az);
		return CF_OK;
	}
	const cf_acme_challenge *ch = cf_acme_authz_http01(&az);
	char *key_auth = NULL;
	if (az.status != CF_ACME_PENDING)
		rc = cf_err_set(e, CF_E_REMOTE, az.identifier, "the CA says the authorization is %s",
				cf_acme_status_name(az.status));
	else if (ch == NULL || ch->token == NULL)
		rc = cf_err_set(e, CF_E_REMOTE, az.identifier, "the CA offers no http-01 challenge for it");
	else if ((key_auth = cf_jws_key_authorization(ch->token, r->account_key)) == NULL)
		rc = cf_err_set(e, CF_E_INTERNAL, NULL, "out of memory");
	if (rc == CF_OK)
		CF_STORE_WRITE(r->st, e, rc, token_once(r->st, r, ch->token, key_auth, e));
	free(key_auth);
	if (rc == CF_OK && ch->status == CF_ACME_PENDING) {
		rc = cf_acme_challenge_ready(r->c, ch->url, e);
		note(r, "answering http-01 for %s", az.identifier);
	}
	char name[256];
	snprintf(name, sizeof(name), "%s", az.identifier != NULL ? az.identifier : "");
	while (rc == CF_OK && az.status == CF_ACME_PENDING) {
		if ((rc = wait_again(r, after, &delay, "the CA has not validated the names", e)) != CF_OK)
			break;
		cf_acme_authz_free(&az);
		rc = cf_acme_get_authz(r->c, url, &az, &after, e);
	}
	if (rc == CF_OK && az.status != CF_ACME_VALID) {
		const cf_acme_challenge *failed = cf_acme_authz_http01(&az);
		char why[768] = "";
		if (failed != NULL && failed->error.type != NULL)
			cf_acme_problem_line(&failed->error, why, sizeof(why));
		rc = cf_err_set(e, CF_E_REMOTE, name, "the CA could not validate it: %s",
				why[0] ? why : cf_acme_status_name(az.status));
		cf_err_reason(e, CF_ACME_REFUSED);
	}
	cf_acme_authz_free(&az);
	return rc;
}

/* Asks for the order until its status is no longer one of those it passes through on the way
 * to want. */
static cf_code await_order(run *r, cf_acme_order *ord, cf_acme_status want, int after, cf_err *e)
{
	int delay = POLL_FIRST_MS;
	cf_code rc = CF_OK;
	while (ord->status == CF_ACME_PENDING || ord->status == CF_ACME_PROCESSING ||
	       (want == CF_ACME_VALID && ord->status == CF_ACME_READY)) {
		if ((rc = wait_again(r, after, &delay, "the order is still being processed", e)) != CF_OK)
			return rc;
		cf_acme_order_free(ord);
		if ((rc = cf_acme_get_order(r->c, r->order_url, ord, &after, e)) != CF_OK)
			return rc;
	}
	if (ord->status != want) {
		char why[768] = "";
		if (ord->error.type != NULL)
			cf_acme_problem_line(&ord->error, why, sizeof(why));
		rc = cf_err_set(e, CF_E_REMOTE, r->order_url, "the order is %s%s%s", cf_acme_status_name(ord->status),
				why[0] ? ": " : "", why);
		cf_err_reason(e, CF_ACME_REFUSED);
	}
	return rc;
}

/* The downloaded chain checked: its leaf carries the CSR's key and every ordered name. */
static cf_code check_chain(run *r, const char *pem, cf_facts *leaf, cf_err *e)
{
	cf_cert **v = NULL;
	size_t n = 0;
	cf_code rc = cf_cert_parse_bundle("the CA's chain", (const uint8_t *)pem, strlen(pem), &v, &n, e);
	if (rc != CF_OK)
		return rc;
	if (!cf_key_matches_cert(r->csr_key, v[0]))
		rc = cf_err_set(e, CF_E_REMOTE, r->order_url, "the CA's certificate is not for the CSR's key");
	else
		rc = cf_cert_facts(v[0], leaf, e);
	for (size_t i = 0; rc == CF_OK && i < r->names.n; i++) {
		char san[300];
		snprintf(san, sizeof(san), "DNS:%s", r->names.v[i]);
		if (!cf_strv_contains(&leaf->san, san))
			rc = cf_err_set(e, CF_E_REMOTE, r->order_url, "the CA's certificate does not name %s",
					r->names.v[i]);
	}
	cf_certs_free(v, n);
	return rc;
}

/* The identity's ACME row as it is now, or a fresh one for the account. */
static cf_code current(run *r, cf_acmeidentity *row, cf_err *e)
{
	cf_code rc = cf_store_acme_identity_get(r->st, r->node.id, r->o->purpose, row, e);
	if (rc == CF_E_NOTFOUND) {
		cf_err_clear(e);
		memset(row, 0, sizeof(*row));
		row->node_id = r->node.id;
		if ((row->purpose = strdup(r->o->purpose)) == NULL || (row->state = strdup("none")) == NULL)
			return cf_err_set(e, CF_E_INTERNAL, NULL, "out of memory");
		rc = CF_OK;
	}
	if (rc == CF_OK)
		row->account_id = r->account_id;
	return rc;
}

static cf_code stage_once(cf_store *st, const cf_audit_actor *a, const run *r, const char *pem, const cf_facts *leaf,
			  const cf_strv *alternates, cf_err *e)
{
	cf_acmeidentity row = {0};
	char *alts = cf_strv_join(alternates, "\n");
	cf_code rc = cf_store_begin(st, e);
	if (rc == CF_OK)
		rc = current((run *)r, &row, e);
	if (rc == CF_OK &&
	    (alts == NULL || !cf_acmeidentity_set(&row.state, "staged") || !cf_acmeidentity_set(&row.staged_pem, pem) ||
	     !cf_acmeidentity_set(&row.staged_sha256, leaf->sha256) || !cf_acmeidentity_set(&row.alternates, alts) ||
	     !cf_acmeidentity_set(&row.order_url, r->order_url) || !cf_acmeidentity_set(&row.last_sign_status, "ok") ||
	     !cf_acmeidentity_set(&row.last_sign_error, "") || !cf_acmeidentity_set(&row.profile, r->o->profile) ||
	     !cf_acmeidentity_set(&row.replaces, r->o->replaces)))
		rc = cf_err_set(e, CF_E_INTERNAL, NULL, "out of memory");
	if (rc == CF_OK) {
		row.profile_required = r->o->profile_required;
		if (r->ari_checked != 0) {
			row.ari_start = r->ari_start;
			row.ari_end = r->ari_end;
			row.ari_checked = r->ari_checked;
		}
		row.staged_at = row.last_sign_at = cf_clock_now();
		row.failures = row.first_failure = row.next_try = 0;
		rc = cf_store_acme_identity_put(st, &row, e);
	}
	if (rc == CF_OK)
		rc = cf_store_acme_tokens_drop(st, r->node.id, r->o->purpose, e);
	if (rc == CF_OK) {
		char object[512];
		snprintf(object, sizeof(object), "%s %s", r->o->node, r->o->purpose);
		cf_store_audit_pending(st, a->account, a->client, "acme order", object);
	}
	cf_acmeidentity_free(&row);
	free(alts);
	return cf_store_finish(st, rc, e);
}

/* Records a failed order: failures in a row, the backoff's next try, "stuck" after
 * CF_ACME_STUCK_AFTER; the tokens dropped. Not audited here (the refusal is, by the edge). */
static cf_code failed_once(cf_store *st, const run *r, const cf_err *why, cf_err *e)
{
	cf_acmeidentity row = {0};
	char line[1600];
	snprintf(line, sizeof(line), "%s%s%s", why->subject, why->subject[0] ? ": " : "", why->message);
	cf_code rc = cf_store_begin(st, e);
	if (rc == CF_OK)
		rc = current((run *)r, &row, e);
	if (rc == CF_OK) {
		int64_t now = cf_clock_now();
		row.failures++;
		if (row.first_failure == 0)
			row.first_failure = now;
		row.last_sign_at = now;
		row.next_try = now + (why->retry_after > 0 ? why->retry_after : cf_acme_backoff(row.failures));
		const char *state = row.failures >= CF_ACME_STUCK_AFTER	 ? "stuck"
				    : strcmp(row.state, "ordering") == 0 ? "none"
									 : row.state;
		if (!cf_acmeidentity_set(&row.state, state) || !cf_acmeidentity_set(&row.last_sign_status, "failed") ||
		    !cf_acmeidentity_set(&row.last_sign_error, line))
			rc = cf_err_set(e, CF_E_INTERNAL, NULL, "out of memory");
	}
	if (rc == CF_OK)
		rc = cf_store_acme_identity_put(st, &row, e);
	if (rc == CF_OK)
		rc = cf_store_acme_tokens_drop(st, r->node.id, r->o->purpose, e);
	cf_acmeidentity_free(&row);
	return cf_store_finish(st, rc, e);
}

/* The profile to ask for: o's when the CA offers it; left out (with a note) when it does not
 * and it is only preferred. */
static cf_code pick_profile(run *r, const char **profile, cf_err *e)
{
	*profile = NULL;
	if (r->o->profile == NULL)
		return CF_OK;
	const cf_acme_directory *d = cf_acme_client_directory(r->c);
	if (cf_strv_contains(&d->profiles, r->o->profile)) {
		*profile = r->o->profile;
		return CF_OK;
	}
	if (r->o->profile_required)
		return cf_err_set(e, CF_E_INPUT, r->o->profile, "the CA offers no such profile%s",
				  d->profiles.n ? "" : " (it offers none)");
	note(r, "the CA offers no profile %s: ordering with its default", r->o->profile);
	return CF_OK;
}

/* The certificate the order replaces (RFC 9773 §5): o's, else the deployed identity when the CA
 * knows it (its renewalInfo answers for it), whose window is kept too. A CA without ARI, or one
 * that does not know the certificate (another CA's, a self-signed one), leaves it out. */
static cf_code pick_replaces(run *r, cf_err *e)
{
	if (r->o->replaces != NULL)
		return (r->replaces = strdup(r->o->replaces)) != NULL
			       ? CF_OK
			       : cf_err_set(e, CF_E_INTERNAL, NULL, "out of memory");
	if (cf_acme_client_directory(r->c)->renewal_info == NULL)
		return CF_OK;
	cf_certrow current = {0};
	cf_cert *cert = NULL;
	char *id = NULL;
	cf_code rc = CF_OK;
	if (cf_store_identity_get(r->st, r->node.id, r->o->purpose, false, &current, NULL) == CF_OK &&
	    (cert = cf_cert_from_der(current.der, current.der_len)) != NULL && (id = cf_cert_ari_id(cert)) != NULL) {
		bool known = false;
		int after = 0;
		rc = cf_acme_renewal_info(r->c, id, &known, &r->ari_start, &r->ari_end, &after, e);
		if (rc == CF_OK && known) {
			r->ari_checked = cf_clock_now();
			r->replaces = id;
			id = NULL;
			note(r, "replacing %s (the CA's window for it: renewalInfo)", current.facts.sha256);
		}
	}
	free(id);
	cf_cert_free(cert);
	cf_certrow_free(&current);
	return rc;
}

/* The order's steps from the account to the chain. */
static cf_code order_steps(run *r, char **pem, cf_strv *alternates, cf_err *e)
{
	const char *profile = NULL;
	cf_acme_order ord = {0};
	cf_code rc = pick_profile(r, &profile, e);
	if (rc == CF_OK && r->replaces == NULL)
		rc = pick_replaces(r, e);
	if (rc == CF_OK)
		rc = cf_acme_new_order(r->c, &r->names, profile, r->replaces, &ord, &r->order_url, e);
	if (rc != CF_OK)
		return rc;
	note(r, "order %s for %zu name(s)", r->order_url, r->names.n);
	for (size_t i = 0; rc == CF_OK && ord.status == CF_ACME_PENDING && i < ord.authorizations.n; i++)
		rc = authorize(r, ord.authorizations.v[i], e);
	int after = 0;
	if (rc == CF_OK && ord.status == CF_ACME_PENDING) {
		cf_acme_order_free(&ord);
		if ((rc = cf_acme_get_order(r->c, r->order_url, &ord, &after, e)) == CF_OK)
			rc = await_order(r, &ord, CF_ACME_READY, after, e);
	}
	if (rc == CF_OK && ord.status == CF_ACME_READY) {
		char *finalize = strdup(ord.finalize);
		cf_acme_order_free(&ord);
		rc = finalize == NULL ? cf_err_set(e, CF_E_INTERNAL, NULL, "out of memory")
				      : cf_acme_finalize(r->c, finalize, r->csr.der, r->csr.der_len, &ord, &after, e);
		free(finalize);
		if (rc == CF_OK)
			rc = await_order(r, &ord, CF_ACME_VALID, after, e);
	} else if (rc == CF_OK && ord.status != CF_ACME_VALID)
		rc = await_order(r, &ord, CF_ACME_VALID, after, e);
	if (rc == CF_OK && ord.certificate == NULL)
		rc = cf_err_set(e, CF_E_REMOTE, r->order_url, "the order is valid but names no certificate");
	if (rc == CF_OK)
		rc = cf_acme_download(r->c, ord.certificate, pem, alternates, e);
	cf_acme_order_free(&ord);
	return rc;
}

cf_code cf_acme_order_run(cf_store *st, const cf_transport *t, const cf_audit_actor *a, const cf_acme_order_spec *o,
			  cf_acmeidentity *out, cf_err *e)
{
	run r = {.st = st, .o = o};
	r.deadline_ms = cf_clock_mono_ms() + (int64_t)(o->timeout > 0 ? o->timeout : ORDER_TIMEOUT) * 1000;
	char *pem = NULL;
	cf_strv alternates = {0};
	cf_facts leaf = {0};
	/* from here on a failure is the identity's, counted: the node and the account exist */
	cf_acmeaccount known = {0};
	cf_code rc = cf_store_node_get(st, o->node, &r.node, e);
	if (rc == CF_OK && (rc = cf_store_acme_account_get(st, o->account, false, &known, e)) == CF_OK)
		r.account_id = known.id;
	cf_acmeaccount_free(&known);
	bool counted = rc == CF_OK;
	if (rc == CF_OK)
		rc = cf_acme_account_open(st, t, o->account, &r.acct, &r.account_key, &r.c, e);
	if (rc == CF_OK)
		rc = load_csr(&r, e);
	if (rc == CF_OK)
		rc = order_steps(&r, &pem, &alternates, e);
	if (rc != CF_OK && r.c != NULL && cf_acme_client_refused_for(r.c, "accountDoesNotExist")) {
		/* a CA whose state was reset: the account made again with its key, the order once more */
		note(&r, "the CA no longer knows account %s: registering it again", o->account);
		cf_err_clear(e);
		free(r.order_url);
		r.order_url = NULL;
		if ((rc = cf_acme_account_reregister(st, a, r.c, &r.acct, e)) == CF_OK)
			rc = order_steps(&r, &pem, &alternates, e);
	}
	if (rc == CF_OK)
		rc = check_chain(&r, pem, &leaf, e);
	if (rc == CF_OK)
		CF_STORE_WRITE(st, e, rc, stage_once(st, a, &r, pem, &leaf, &alternates, e));
	if (rc != CF_OK && counted && e != NULL) {
		cf_err why = *e, ignored = {0};
		cf_code frc;
		CF_STORE_WRITE(st, &ignored, frc, failed_once(st, &r, &why, &ignored));
		(void)frc; /* the order's own error is what the caller hears */
		*e = why;
	}
	if (rc == CF_OK) {
		note(&r, "staged %s (%zu alternate chain(s))", leaf.sha256, alternates.n);
		rc = cf_store_acme_identity_get(st, r.node.id, o->purpose, out, e);
	}
	cf_facts_free(&leaf);
	cf_strv_clear(&alternates);
	free(pem);
	free(r.order_url);
	free(r.replaces);
	cf_strv_clear(&r.names);
	cf_key_free(r.csr_key);
	cf_csrrow_free(&r.csr);
	cf_acme_client_free(r.c);
	cf_key_free(r.account_key);
	cf_acmeaccount_free(&r.acct);
	cf_node_free(&r.node);
	return rc;
}
