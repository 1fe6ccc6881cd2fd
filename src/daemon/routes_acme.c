/* ACME on the API (SPEC §7, §11.4): GET|POST /api/v1/acme/accounts, POST
 * /api/v1/acme/accounts/{name}/rollover, GET /api/v1/acme (every identity's ACME state), GET
 * /api/v1/acme/identity, POST /api/v1/acme/order|deploy|auto|revoke — the library calls of
 * `certfleet acme ...` with their --json shapes and audit rows. Changes run on a worker (routes.c), so an
 * order waiting for the CA's validation never holds up the loop; the HTTP-01 answers come from
 * the store (certfleetd --acme-http, or any process serving its tokens). */
#include <string.h>

#include "core/acme/account.h"
#include "core/acme/auto.h"
#include "core/acme/deploy.h"
#include "core/acme/order.h"
#include "core/acme/revoke.h"
#include "core/view/acmejson.h"
#include "core/view/certjson.h"
#include "daemon/daemon.h"
#include "daemon/jobs.h"
#include "net_transport.h"
#include "util/clock.h"
#include "util/secret.h"
#include "util/text.h"

/* Starts an audited change made of several transactions: its core function arms the audit row at
 * its last one itself (as the command line's store_for_steps), so the row armed here is dropped;
 * cf_change_end still records a refusal, or "ok" when the change wrote no row of its own. */
static void change_steps(cf_req *q, cf_change *c, const char *action, const char *node, const char *purpose)
{
	cf_change_begin(q, c, action, "%s %s", node, purpose);
	cf_store_audit_disarm(q->st);
}

/* Wipes a secret member of the request once used (the external account binding's MAC key). */
static void wipe_field(cf_req *q, const char *name)
{
	json_t *v = json_object_get(q->fields, name);
	if (json_is_string(v))
		cf_secret_wipe((char *)json_string_value(v), json_string_length(v));
}

/* The request field an error's subject stands for, where the library names it in words. */
typedef struct subject_field {
	const char *subject, *field;
} subject_field;

static const subject_field account_subjects[] = {
	{"account name", "name"},
	{"terms of service", "agree_tos"},
	{"external account binding", "eab_kid"},
	{"eab-hmac", "eab_hmac"},
	{NULL, NULL},
};
static const subject_field auto_subjects[] = {
	{"deploy days", "deploy_days"},
	{"deploy time", "deploy_time"},
	{NULL, NULL},
};

/* The refusal of a change, with "field" naming the request field the error is about (t: the
 * library's words for some of them). */
static void reply_named(cf_req *q, const cf_err *e, const subject_field *t)
{
	int status = 500;
	json_t *err = cf_daemon_err_json(q, e, &status);
	for (; t->subject != NULL && json_object_get(err, "field") == NULL; t++)
		if (strcmp(e->subject, t->subject) == 0)
			json_object_set_new(err, "field", json_string(t->field));
	cf_reply_json(q, status, json_pack("{s:o}", "error", err));
}

void cf_route_acme_accounts(cf_req *q)
{
	cf_acmeaccount *v = NULL;
	size_t n = 0;
	cf_err e = {0};
	if (!cf_req_session(q))
		return;
	if (cf_store_acme_account_list(q->st, &v, &n, &e) != CF_OK) {
		cf_reply_err(q, &e);
		return;
	}
	json_t *items = json_array();
	for (size_t i = 0; i < n; i++) {
		json_array_append_new(items, cf_acmejson_account(&v[i]));
		cf_acmeaccount_free(&v[i]);
	}
	free(v);
	cf_reply_json(q, 200, json_pack("{s:o}", "items", items));
}

/* POST {"name","directory","email"?,"agree_tos","ca_file"?,"key"?,"eab_kid"?,"eab_hmac"?}: acme
 * account add. The MAC key is wiped once used; it is in no answer, log line or audit row. */
void cf_route_acme_account_add(cf_req *q)
{
	static const char *const names[] = {"name", "directory", "email",    "agree_tos", "ca_file",
					    "key",  "eab_kid",	 "eab_hmac", NULL};
	bool bad = false;
	cf_err e = {0};
	cf_change c;
	cf_acmeaccount a = {0};
	if (!cf_req_change(q, true) || cf_req_json(q) == NULL)
		return;
	if (!cf_req_known_fields(q, names, "name, directory, email, agree_tos, ca_file, key, eab_kid, eab_hmac"))
		goto out;
	cf_acme_account_spec spec = {.name = cf_req_str(q, "name", true, &bad),
				     .directory = cf_req_str(q, "directory", true, &bad),
				     .email = cf_req_str(q, "email", false, &bad),
				     .agree_tos = cf_req_bool(q, "agree_tos", &bad),
				     .ca_file = cf_req_str(q, "ca_file", false, &bad),
				     .key = cf_req_str(q, "key", false, &bad),
				     .eab_kid = cf_req_str(q, "eab_kid", false, &bad),
				     .eab_hmac = cf_req_str(q, "eab_hmac", false, &bad)};
	if (bad)
		goto out;
	if ((spec.eab_kid == NULL) != (spec.eab_hmac == NULL)) {
		const char *missing = spec.eab_kid == NULL ? "eab_kid" : "eab_hmac";
		cf_reply_field(q, 400, missing,
			       spec.eab_kid == NULL
				       ? "eab_kid: an external account binding needs the CA's key id too"
				       : "eab_hmac: an external account binding needs the CA's MAC key too");
		goto out;
	}
	cf_change_begin(q, &c, "acme account add", "%s", spec.name);
	cf_code rc = cf_acme_account_add(q->st, cf_net_transport(), &c.actor, &spec, &a, &e);
	if (rc != CF_OK) {
		cf_change_refused(q, &c, &e);
		reply_named(q, &e, account_subjects);
	} else if (cf_change_end(q, &c, rc, &e)) {
		cf_reply_json(q, 201, cf_acmejson_account(&a));
	}
out:
	cf_acmeaccount_free(&a);
	wipe_field(q, "eab_hmac");
}

/* POST (no body): acme account rollover NAME; the account as the list shows it, with
 * "recovered" (an interrupted rollover was finished instead). */
void cf_route_acme_account_rollover(cf_req *q)
{
	cf_err e = {0};
	cf_change c;
	bool recovered = false;
	cf_acmeaccount a = {0};
	if (!cf_req_change(q, true))
		return;
	cf_change_begin(q, &c, "acme account rollover", "%s", q->arg);
	cf_store_audit_disarm(q->st); /* armed by the rollover's own last step */
	cf_code rc = cf_acme_account_rollover(q->st, cf_net_transport(), &c.actor, q->arg, &recovered, &e);
	if (!cf_change_end(q, &c, rc, &e))
		return;
	if (cf_store_acme_account_get(q->st, q->arg, false, &a, &e) != CF_OK) {
		cf_reply_err(q, &e);
		return;
	}
	json_t *o = cf_acmejson_account(&a);
	if (o != NULL)
		json_object_set_new(o, "recovered", json_boolean(recovered));
	cf_reply_json(q, 200, o);
	cf_acmeaccount_free(&a);
}

void cf_route_acme_list(cf_req *q)
{
	cf_acmeidentity *v = NULL;
	size_t n = 0;
	cf_err e = {0};
	if (!cf_req_session(q))
		return;
	if (cf_store_acme_identity_list(q->st, &v, &n, &e) != CF_OK) {
		cf_reply_err(q, &e);
		return;
	}
	json_t *items = json_array();
	for (size_t i = 0; i < n; i++) {
		json_array_append_new(items, cf_acmejson_state(&v[i]));
		cf_acmeidentity_free(&v[i]);
	}
	free(v);
	cf_reply_json(q, 200, json_pack("{s:o}", "items", items));
}

/* The ACME state of (node, purpose) into *out; replies (404 for an unknown node or an identity
 * without one) and returns false when it cannot. */
static bool identity_state(cf_req *q, const char *node, const char *purpose, cf_acmeidentity *out)
{
	cf_node n = {0};
	cf_err e = {0};
	cf_code rc = cf_store_node_get(q->st, node, &n, &e);
	if (rc == CF_OK)
		rc = cf_store_acme_identity_get(q->st, n.id, purpose, out, &e);
	cf_node_free(&n);
	if (rc != CF_OK)
		cf_reply_err(q, &e);
	return rc == CF_OK;
}

/* GET ?node=&purpose=: acme show. */
void cf_route_acme_identity(cf_req *q)
{
	cf_acmeidentity r = {0};
	if (!cf_req_session(q))
		return;
	const char *node = cf_req_param(q, "node"), *purpose = cf_req_param(q, "purpose");
	if (node == NULL || purpose == NULL) {
		cf_reply_field(q, 400, node == NULL ? "node" : "purpose",
			       node == NULL ? "node: name the node" : "purpose: name the identity's purpose");
		return;
	}
	if (identity_state(q, node, purpose, &r))
		cf_reply_json(q, 200, cf_acmejson_state(&r));
	cf_acmeidentity_free(&r);
}

/* POST {"node","purpose","account","profile"?,"profile_required"?}: acme order. It runs until the
 * certificate is staged or the order fails (the CA's validation takes seconds; at most 300). */
void cf_route_acme_order(cf_req *q)
{
	static const char *const names[] = {"node", "purpose", "account", "profile", "profile_required", NULL};
	bool bad = false;
	cf_err e = {0};
	cf_change c;
	cf_acmeidentity r = {0};
	if (!cf_req_change(q, true) || cf_req_json(q) == NULL ||
	    !cf_req_known_fields(q, names, "node, purpose, account, profile, profile_required"))
		return;
	cf_acme_order_spec o = {.node = cf_req_str(q, "node", true, &bad),
				.purpose = cf_req_str(q, "purpose", true, &bad),
				.account = cf_req_str(q, "account", true, &bad),
				.profile = cf_req_str(q, "profile", false, &bad),
				.profile_required = cf_req_bool(q, "profile_required", &bad)};
	if (bad)
		return;
	if (o.profile_required && o.profile == NULL) {
		cf_reply_field(q, 400, "profile", "profile: profile_required needs the profile to require");
		return;
	}
	change_steps(q, &c, "acme order", o.node, o.purpose);
	cf_dlog(q->d, CF_LOG_INFO, "%s acme order by %s: %s %s with account %s", q->client, q->session->account, o.node,
		o.purpose, o.account);
	cf_code rc = cf_acme_order_run(q->st, cf_net_transport(), &c.actor, &o, &r, &e);
	if (cf_change_end(q, &c, rc, &e))
		cf_reply_json(q, 200, cf_acmejson_state(&r));
	cf_acmeidentity_free(&r);
}

/* What a deploy did, as `acme deploy --json` prints it, with the identity's ACME state after it
 * ("item"; null when it cannot be read). */
static json_t *deployed_json(cf_req *q, const char *node, const char *purpose, const cf_acme_deployed *d)
{
	json_t *o = json_pack("{s:s, s:s, s:s, s:b, s:I}", "node", node, "purpose", purpose, "sha256", d->sha256,
			      "already", d->already, "chain_added", (json_int_t)d->chain_added);
	if (o == NULL)
		return NULL;
	cf_json_outcome(o, &d->upload);
	json_object_set_new(o, "deploy", cf_json_deploy(&d->targets));
	json_object_set_new(o, "served", cf_json_served_report(&d->served));
	cf_acmeidentity r = {0};
	cf_node n = {0};
	json_t *item = NULL;
	if (cf_store_node_get(q->st, node, &n, NULL) == CF_OK &&
	    cf_store_acme_identity_get(q->st, n.id, purpose, &r, NULL) == CF_OK)
		item = cf_acmejson_state(&r);
	json_object_set_new(o, "item", item != NULL ? item : json_null());
	cf_acmeidentity_free(&r);
	cf_node_free(&n);
	return o;
}

/* POST {"node","purpose"}: acme deploy, then the served check of the node's addresses (this
 * daemon's own listener among them for its own tomcat identity). Once the identity is deployed
 * (its audit row written), a failed reload or served check answers 502 with the error beside what
 * was done, as POST /api/v1/deploy does. */
void cf_route_acme_deploy(cf_req *q)
{
	static const char *const names[] = {"node", "purpose", NULL};
	bool bad = false;
	cf_err e = {0};
	cf_change c;
	cf_acme_deployed d = {0};
	if (!cf_req_change(q, true) || cf_req_json(q) == NULL || !cf_req_known_fields(q, names, "node, purpose"))
		return;
	const char *node = cf_req_str(q, "node", true, &bad), *purpose = cf_req_str(q, "purpose", true, &bad);
	if (bad)
		return;
	change_steps(q, &c, "acme deploy", node, purpose);
	cf_code rc = cf_acme_deploy(q->st, cf_net_transport(), &c.actor, node, purpose, &d, &e);
	if (rc == CF_OK || !cf_store_audit_written(q->st)) {
		if (cf_change_end(q, &c, rc, &e))
			cf_reply_json(q, 200, deployed_json(q, node, purpose, &d));
	} else { /* the identity is deployed (its row is written); a reload or the served check failed */
		int status = 500;
		cf_store_audit_disarm(q->st);
		json_t *o = deployed_json(q, node, purpose, &d);
		if (o != NULL)
			json_object_set_new(o, "error", cf_daemon_err_json(q, &e, &status));
		cf_reply_json(q, status, o);
	}
	cf_acme_deployed_free(&d);
}

/* POST {"node","purpose","on","account"?,"deploy_days"?,"deploy_time"?}: acme auto on|off.
 * deploy_days "mon,thu" ("": any day), deploy_time "HH:MM" UTC ("": as soon as staged); either
 * left out keeps its value. Turning it on wakes the job runner, whose pass plans the renewal. */
void cf_route_acme_auto(cf_req *q)
{
	static const char *const names[] = {"node", "purpose", "on", "account", "deploy_days", "deploy_time", NULL};
	bool bad = false;
	cf_err e = {0};
	cf_change c;
	cf_acmeidentity r = {0};
	if (!cf_req_change(q, true) || cf_req_json(q) == NULL ||
	    !cf_req_known_fields(q, names, "node, purpose, on, account, deploy_days, deploy_time"))
		return;
	cf_acme_auto_spec s = {.node = cf_req_str(q, "node", true, &bad),
			       .purpose = cf_req_str(q, "purpose", true, &bad),
			       .account = cf_req_str(q, "account", false, &bad),
			       .deploy_days = cf_req_str_or_empty(q, "deploy_days", &bad),
			       .deploy_time = cf_req_str_or_empty(q, "deploy_time", &bad)};
	if (bad)
		return;
	json_t *on = json_object_get(q->fields, "on");
	if (!json_is_boolean(on)) {
		cf_reply_field(q, 400, "on", "on: expected true (auto renew on) or false (off)");
		return;
	}
	s.on = json_is_true(on);
	/* one transaction, which carries the audit row armed here (the command line's object) */
	cf_change_begin(q, &c, "acme auto", "%s %s %s", s.node, s.purpose, s.on ? "on" : "off");
	cf_code rc = cf_acme_auto_set(q->st, &c.actor, &s, cf_clock_now(), &r, &e);
	if (rc != CF_OK) {
		cf_change_refused(q, &c, &e);
		reply_named(q, &e, auto_subjects);
	} else if (cf_change_end(q, &c, rc, &e)) {
		if (s.on)
			cf_runner_poke(q->d->runner);
		cf_reply_json(q, 200, cf_acmejson_state(&r));
	}
	cf_acmeidentity_free(&r);
}

/* POST {"node","purpose","reason"?,"account"?,"cert_key"?,"force"?}: acme revoke of the identity's
 * staged certificate, else its deployed one (that one is in use: without force a 409 with the
 * reason "needs-force"). */
void cf_route_acme_revoke(cf_req *q)
{
	static const char *const names[] = {"node", "purpose", "reason", "account", "cert_key", "force", NULL};
	bool bad = false;
	cf_err e = {0};
	cf_change c;
	char sha256[65];
	if (!cf_req_change(q, true) || cf_req_json(q) == NULL ||
	    !cf_req_known_fields(q, names, "node, purpose, reason, account, cert_key, force"))
		return;
	cf_acme_revoke_spec s = {.node = cf_req_str(q, "node", true, &bad),
				 .purpose = cf_req_str(q, "purpose", true, &bad),
				 .reason = cf_req_str(q, "reason", false, &bad),
				 .account = cf_req_str(q, "account", false, &bad),
				 .with_cert_key = cf_req_bool(q, "cert_key", &bad),
				 .force = cf_req_bool(q, "force", &bad)};
	if (bad)
		return;
	change_steps(q, &c, "acme revoke", s.node, s.purpose);
	cf_code rc = cf_acme_revoke_cert(q->st, cf_net_transport(), &c.actor, &s, sha256, &e);
	if (cf_change_end(q, &c, rc, &e))
		cf_reply_json(q, 200,
			      json_pack("{s:s, s:s, s:s, s:s}", "node", s.node, "purpose", s.purpose, "revoked", sha256,
					"reason", s.reason != NULL ? s.reason : "unspecified"));
}
