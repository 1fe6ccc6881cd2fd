/* certfleetd's route table and its small routes: login, logout, session, nodes, status, doctor,
 * audit. */
#include <event2/http.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/view/certjson.h"
#include "core/fleet/deployment.h"
#include "core/check/doctor.h"
#include "core/model/settings.h"
#include "core/fleet/status.h"
#include "crypto/password.h"
#include "daemon/daemon.h"
#include "daemon/worker.h"
#include "util/clock.h"
#include "util/text.h"

#define AUDIT_LIMIT_MAX 1000

/* A route: method and path; a path may hold one parameter segment ({id} or {name}), which
 * matches one non-empty segment without '/' and is handed to the handler as q->arg. */
static const struct route {
	enum evhttp_cmd_type method;
	const char *path;
	void (*fn)(cf_req *q);
} routes[] = {
	{EVHTTP_REQ_POST, "/api/v1/login", cf_route_login},
	{EVHTTP_REQ_POST, "/api/v1/logout", cf_route_logout},
	{EVHTTP_REQ_GET, "/api/v1/session", cf_route_session},
	{EVHTTP_REQ_GET, "/api/v1/nodes", cf_route_nodes},
	{EVHTTP_REQ_DELETE, "/api/v1/nodes/{name}", cf_route_node_delete},
	{EVHTTP_REQ_GET, "/api/v1/clusters", cf_route_clusters},
	{EVHTTP_REQ_GET, "/api/v1/clusters/{name}", cf_route_cluster_get},
	{EVHTTP_REQ_PUT, "/api/v1/clusters/{name}", cf_route_cluster_set},
	{EVHTTP_REQ_DELETE, "/api/v1/clusters/{name}", cf_route_cluster_delete},
	{EVHTTP_REQ_GET, "/api/v1/status", cf_route_status},
	{EVHTTP_REQ_GET, "/api/v1/certificates", cf_route_certs},
	{EVHTTP_REQ_GET, "/api/v1/certificates/{id}", cf_route_cert_get},
	{EVHTTP_REQ_DELETE, "/api/v1/certificates/{id}", cf_route_cert_delete},
	{EVHTTP_REQ_POST, "/api/v1/trust/prune", cf_route_trust_prune},
	{EVHTTP_REQ_POST, "/api/v1/trust/fetch", cf_route_trust_fetch},
	{EVHTTP_REQ_POST, "/api/v1/validate", cf_route_validate},
	{EVHTTP_REQ_GET, "/api/v1/endpoints", cf_route_endpoints},
	{EVHTTP_REQ_POST, "/api/v1/endpoints", cf_route_endpoint_import},
	{EVHTTP_REQ_DELETE, "/api/v1/endpoints/{name}", cf_route_endpoint_delete},
	{EVHTTP_REQ_POST, "/api/v1/self-signed", cf_route_self_signed},
	{EVHTTP_REQ_GET, "/api/v1/csr/preview", cf_route_csr_preview},
	{EVHTTP_REQ_POST, "/api/v1/csr", cf_route_csr_post},
	{EVHTTP_REQ_GET, "/api/v1/csr", cf_route_csr_get},
	{EVHTTP_REQ_DELETE, "/api/v1/csr", cf_route_csr_delete},
	{EVHTTP_REQ_POST, "/api/v1/upload", cf_route_upload},
	{EVHTTP_REQ_GET, "/api/v1/doctor", cf_route_doctor},
	{EVHTTP_REQ_GET, "/api/v1/audit", cf_route_audit},
	{EVHTTP_REQ_GET, "/api/v1/jobs", cf_route_jobs},
	{EVHTTP_REQ_GET, "/api/v1/users", cf_route_users},
	{EVHTTP_REQ_POST, "/api/v1/users", cf_route_user_add},
	{EVHTTP_REQ_DELETE, "/api/v1/users/{name}", cf_route_user_delete},
	{EVHTTP_REQ_PUT, "/api/v1/users/{name}/password", cf_route_user_passwd},
	{EVHTTP_REQ_GET, "/api/v1/monitor", cf_route_monitor_get},
	{EVHTTP_REQ_PUT, "/api/v1/monitor", cf_route_monitor_put},
	{EVHTTP_REQ_POST, "/api/v1/monitor/run", cf_route_monitor_run},
	{EVHTTP_REQ_GET, "/api/v1/revocation", cf_route_revocation_get},
	{EVHTTP_REQ_PUT, "/api/v1/revocation", cf_route_revocation_put},
	{EVHTTP_REQ_POST, "/api/v1/revocation/check", cf_route_revocation_check},
	{EVHTTP_REQ_GET, "/api/v1/crls", cf_route_crls},
	{EVHTTP_REQ_POST, "/api/v1/crls", cf_route_crl_add},
	{EVHTTP_REQ_POST, "/api/v1/crls/update", cf_route_crl_update},
	{EVHTTP_REQ_DELETE, "/api/v1/crls/{id}", cf_route_crl_delete},
	{EVHTTP_REQ_GET, "/api/v1/crl-dps", cf_route_crl_dps},
	{EVHTTP_REQ_POST, "/api/v1/crl-dps", cf_route_crl_dp_add},
	{EVHTTP_REQ_DELETE, "/api/v1/crl-dps", cf_route_crl_dp_delete},
	{EVHTTP_REQ_GET, "/api/v1/crl-schedule", cf_route_crl_schedule_get},
	{EVHTTP_REQ_PUT, "/api/v1/crl-schedule", cf_route_crl_schedule_put},
	{EVHTTP_REQ_GET, "/api/v1/certificates/{id}/revocation", cf_route_cert_revocation},
	{EVHTTP_REQ_GET, "/api/v1/nodes/{name}/deploy-targets", cf_route_targets_get},
	{EVHTTP_REQ_PUT, "/api/v1/nodes/{name}/deploy-targets", cf_route_targets_put},
	{EVHTTP_REQ_POST, "/api/v1/deploy", cf_route_deploy},
	{EVHTTP_REQ_GET, "/api/v1/acme/accounts", cf_route_acme_accounts},
	{EVHTTP_REQ_POST, "/api/v1/acme/accounts", cf_route_acme_account_add},
	{EVHTTP_REQ_POST, "/api/v1/acme/accounts/{name}/rollover", cf_route_acme_account_rollover},
	{EVHTTP_REQ_GET, "/api/v1/acme", cf_route_acme_list},
	{EVHTTP_REQ_GET, "/api/v1/acme/identity", cf_route_acme_identity},
	{EVHTTP_REQ_POST, "/api/v1/acme/order", cf_route_acme_order},
	{EVHTTP_REQ_POST, "/api/v1/acme/deploy", cf_route_acme_deploy},
	{EVHTTP_REQ_POST, "/api/v1/acme/auto", cf_route_acme_auto},
	{EVHTTP_REQ_POST, "/api/v1/acme/revoke", cf_route_acme_revoke},
	{EVHTTP_REQ_GET, "/api/v1/ca", cf_route_ca_list},
	{EVHTTP_REQ_POST, "/api/v1/ca", cf_route_ca_create},
	{EVHTTP_REQ_GET, "/api/v1/ca/{name}", cf_route_ca_get},
	{EVHTTP_REQ_POST, "/api/v1/ca/{name}/config", cf_route_ca_config},
	{EVHTTP_REQ_POST, "/api/v1/ca/{name}/issue", cf_route_ca_issue},
	{EVHTTP_REQ_POST, "/api/v1/ca/{name}/revoke", cf_route_ca_revoke},
	{EVHTTP_REQ_GET, "/api/v1/ca/{name}/issued", cf_route_ca_issued},
	{EVHTTP_REQ_GET, "/api/v1/ca/{name}/crl", cf_route_ca_crl},
	{EVHTTP_REQ_GET, "/metrics", cf_route_metrics},
	{EVHTTP_REQ_GET, "/", cf_route_static},
	{EVHTTP_REQ_GET, "/app.js", cf_route_static},
	{EVHTTP_REQ_GET, "/app.css", cf_route_static},
	{EVHTTP_REQ_GET, "/favicon.svg", cf_route_static},
};

#define N_ROUTES (sizeof(routes) / sizeof(routes[0]))
#define ARG_MAX 255

static const char *method_str(enum evhttp_cmd_type m)
{
	switch (m) {
	case EVHTTP_REQ_GET: return "GET";
	case EVHTTP_REQ_POST: return "POST";
	case EVHTTP_REQ_PUT: return "PUT";
	case EVHTTP_REQ_DELETE: return "DELETE";
	default: return "OTHER";
	}
}

void cf_routes_print(FILE *out)
{
	for (size_t i = 0; i < N_ROUTES; i++)
		fprintf(out, "%s %s\n", method_str(routes[i].method), routes[i].path);
}

/* Whether path matches pattern; the parameter segment (if any) is copied into arg. */
static bool path_match(const char *pattern, const char *path, char arg[ARG_MAX + 1])
{
	const char *open = strchr(pattern, '{');
	if (open == NULL)
		return strcmp(pattern, path) == 0;
	size_t head = (size_t)(open - pattern);
	const char *tail = strchr(open, '}') + 1;
	if (strncmp(pattern, path, head) != 0)
		return false;
	const char *seg = path + head;
	size_t len = strcspn(seg, "/");
	if (len == 0 || len > ARG_MAX || strcmp(seg + len, tail) != 0)
		return false;
	memcpy(arg, seg, len);
	arg[len] = '\0';
	return true;
}

/* The pool a route's handler runs in, or NULL for the loop itself. Every change runs on a worker:
 * it may wait on the store's write lock, a password hash or the network. The API's reads run in
 * their own pool (a store round trip, a page built), so the loop is free for the next request;
 * what needs no store (the session, the page's files) or keeps a cache of the loop's own
 * (/metrics) stays on the loop. */
static struct cf_worker *pool(const cf_daemon *d, const struct route *r)
{
	if (r->method != EVHTTP_REQ_GET)
		return d->worker;
	if (strncmp(r->path, "/api/v1/", 8) != 0 || r->fn == cf_route_session)
		return NULL;
	return d->readers;
}

void cf_routes_dispatch(cf_req *q)
{
	enum evhttp_cmd_type m = evhttp_request_get_command(q->r);
	char arg[ARG_MAX + 1];
	bool path_known = false;
	for (size_t i = 0; i < N_ROUTES; i++) {
		if (!path_match(routes[i].path, q->path, arg))
			continue;
		path_known = true;
		if (routes[i].method == m) {
			q->arg = strchr(routes[i].path, '{') != NULL ? arg : NULL;
			struct cf_worker *w = pool(q->d, &routes[i]);
			if (w != NULL)
				cf_worker_route(w, q, routes[i].fn);
			else
				routes[i].fn(q);
			return;
		}
	}
	if (path_known)
		cf_reply_error(q, 405, "method not allowed", "this method is not allowed here");
	else
		cf_reply_error(q, 404, "not found", "no such route");
}

bool cf_req_id(cf_req *q, int64_t *id)
{
	size_t len = strlen(q->arg);
	if (len > 18 || strspn(q->arg, "0123456789") != len || (*id = strtoll(q->arg, NULL, 10)) <= 0) {
		cf_reply_field(q, 400, "id", "a certificate id is a positive number");
		return false;
	}
	return true;
}

/* 429 with Retry-After: the caller may try again in wait seconds; what says why. */
static void reply_throttled(cf_req *q, int64_t wait, const char *what)
{
	char retry[24], msg[128];
	if (wait < 1)
		wait = 1;
	snprintf(retry, sizeof(retry), "%lld", (long long)wait);
	snprintf(msg, sizeof(msg), "%s; try again in %lld s", what, (long long)wait);
	evhttp_add_header(evhttp_request_get_output_headers(q->r), "Retry-After", retry);
	cf_reply_error(q, 429, "too many requests", msg);
}

/* 429 for a login refused because the budget of password checks is spent (login_budget.h): the
 * same answer whether the name exists or not; logged once a minute with a count, not per request. */
static void reply_budget_spent(cf_req *q, int64_t mono)
{
	unsigned long n = 0;
	if (cf_login_budget_refused(q->d->login_budget, mono, &n))
		cf_dlog(q->d, CF_LOG_INFO,
			"login refused: too many failed logins on this server, password checks paused "
			"(%lu refused since the last such line, the last from %s)",
			n, q->client);
	reply_throttled(q, (cf_login_budget_wait_ms(q->d->login_budget, mono) + 999) / 1000,
			"too many failed logins on this server just now");
}

void cf_route_login(cf_req *q)
{
	json_t *body = cf_req_json(q);
	const char *user = NULL, *password = NULL;
	cf_session s = {0};
	cf_user u = {0};
	cf_err e = {0};
	if (body == NULL)
		return;
	user = json_string_value(json_object_get(body, "user"));
	password = json_string_value(json_object_get(body, "password"));
	if (user == NULL || password == NULL) {
		cf_reply_error(q, 400, "input rejected", "expected {\"user\", \"password\"}");
		goto out;
	}
	cf_code rc = cf_store_user_get(q->st, user, &u, &e);
	if (rc != CF_OK && rc != CF_E_NOTFOUND) {
		cf_reply_err(q, &e);
		goto out;
	}
	int64_t now = cf_clock_now();
	int64_t wait = cf_throttle_addr_wait(q->d->throttle, q->client, now);
	if (wait > 0) {
		cf_dlog(q->d, CF_LOG_INFO, "%s login refused: too many failed logins from this address", q->client);
		reply_throttled(q, wait, "too many failed logins from this address");
		goto out;
	}
	/* A locked account is tried only from a clean address, a few times per lock (throttle.h);
	 * an attempt it refuses costs one scrypt and answers as a wrong password does, so neither
	 * the time nor the answer tells a locked account from an unknown name or a wrong password. */
	bool locked = rc == CF_OK && u.locked_until > now;
	bool may_try = rc == CF_OK &&
		       (!locked || cf_throttle_locked_may_try(q->d->throttle, u.name, u.locked_until, q->client, now));
	/* A password is checked only while the budget of checking time is not spent (login_budget.h);
	 * when it is, an account that may be tried still gets its own check now and then, so a flood
	 * of other names never keeps its user out. Failed checks are charged with the time they took. */
	int64_t mono = cf_clock_mono_ms();
	bool budgeted = cf_login_budget_open(q->d->login_budget, mono);
	if (!budgeted && !(may_try && cf_login_budget_take_reserve(q->d->login_budget, u.name, mono))) {
		reply_budget_spent(q, mono);
		goto out;
	}
	bool good = cf_password_verify(password, may_try ? u.password_hash : q->d->dummy_hash) && may_try;
	if (!good) {
		int64_t end = cf_clock_mono_ms();
		cf_login_budget_charge(q->d->login_budget, end - mono, end);
		mono = end;
		cf_throttle_addr_fail(q->d->throttle, q->client, now);
		if (locked && may_try) {
			/* Counted against this lock only: attempts while locked never lengthen it. */
			cf_throttle_locked_fail(q->d->throttle, u.name, u.locked_until, now);
		} else if (!locked && rc == CF_OK) {
			int64_t until = cf_throttle_account_lock(u.failed_logins + 1, now);
			if (cf_store_user_set_login_state(q->st, u.name, u.failed_logins + 1, until, &e) != CF_OK) {
				cf_reply_err(q, &e);
				goto out;
			}
		}
		if (locked)
			cf_dlog(q->d, CF_LOG_INFO, "%s login refused: account %s locked%s", q->client, u.name,
				may_try ? "; wrong password" : "");
		else
			cf_dlog(q->d, CF_LOG_INFO, "%s login refused: wrong user name or password", q->client);
		if (!budgeted) /* while the budget is spent, every refusal answers alike */
			reply_budget_spent(q, mono);
		else
			cf_reply_error(q, 401, "unauthenticated",
				       "wrong user name or password, or the account is locked for a while after failed "
				       "logins");
		goto out;
	}
	if ((u.failed_logins != 0 || u.locked_until != 0) &&
	    cf_store_user_set_login_state(q->st, u.name, 0, 0, &e) != CF_OK) {
		cf_reply_err(q, &e);
		goto out;
	}
	if (cf_session_start(q->d->sessions, u.name, strcmp(u.role, "admin") == 0, now, &s, &e) != CF_OK) {
		cf_reply_err(q, &e);
		goto out;
	}
	char cookie[160];
	snprintf(cookie, sizeof(cookie), "certfleet_session=%s; HttpOnly; Secure; SameSite=Strict; Path=/", s.id);
	evhttp_add_header(evhttp_request_get_output_headers(q->r), "Set-Cookie", cookie);
	cf_dlog(q->d, CF_LOG_DEBUG, "%s login %s (%s)", q->client, u.name, u.role);
	cf_reply_json(q, 200, json_pack("{s:s, s:s, s:s}", "csrf", s.csrf, "user", u.name, "role", u.role));
out:
	cf_secret_wipe(&s, sizeof(s));
	if (password != NULL)
		cf_secret_wipe((char *)password, strlen(password));
	cf_user_free(&u);
}

void cf_route_logout(cf_req *q)
{
	if (!cf_req_change(q, false))
		return;
	cf_session_end(q->d->sessions, q->session->id);
	q->session = NULL;
	evhttp_add_header(evhttp_request_get_output_headers(q->r), "Set-Cookie",
			  "certfleet_session=; HttpOnly; Secure; SameSite=Strict; Path=/; Max-Age=0");
	cf_reply_json(q, 200, json_object());
}

void cf_route_session(cf_req *q)
{
	if (!cf_req_session(q))
		return;
	cf_reply_json(q, 200,
		      json_pack("{s:s, s:s, s:s}", "user", q->session->account, "role",
				q->session->admin ? "admin" : "read-only", "csrf", q->session->csrf));
}

/* A node object with what the page offers for it: its purposes (publisher-only ones on
 * publishers only) and its trust stores. */
static json_t *node_json(const cf_node *n)
{
	json_t *o = cf_json_node(n), *purposes = json_array(), *stores = json_array();
	const cf_purpose *p;
	int i = 0;
	while ((p = cf_purpose_next(n->product, &i)) != NULL)
		if (!p->publisher_only || n->publisher)
			json_array_append_new(purposes, json_string(p->name));
	const cf_product *prod = cf_product_find(n->product);
	for (const char *w = prod != NULL ? prod->trust_stores : ""; *w != '\0';) {
		size_t len = strcspn(w, " ");
		json_array_append_new(stores, json_stringn(w, len));
		w += len + strspn(w + len, " ");
	}
	json_object_set_new(o, "purposes", purposes);
	json_object_set_new(o, "stores", stores);
	return o;
}

void cf_route_nodes(cf_req *q)
{
	cf_node *v = NULL;
	size_t n = 0;
	cf_err e = {0};
	if (!cf_req_session(q))
		return;
	if (cf_store_nodes(q->st, 0, &v, &n, &e) != CF_OK) {
		cf_reply_err(q, &e);
		return;
	}
	json_t *items = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(items, node_json(&v[i]));
	cf_nodes_free(v, n);
	cf_reply_json(q, 200, json_pack("{s:o}", "items", items));
}

void cf_route_node_delete(cf_req *q)
{
	cf_err e = {0};
	cf_change c;
	cf_outcome out = {0};
	const char *force = cf_req_param(q, "force");
	if (!cf_req_change(q, true))
		return;
	if (force != NULL && strcmp(force, "true") != 0 && strcmp(force, "false") != 0) {
		cf_reply_field(q, 400, "force", "force: must be true or false");
		return;
	}
	bool forced = force != NULL && strcmp(force, "true") == 0;
	cf_change_begin(q, &c, "node delete", "%s%s", q->arg, forced ? " (forced)" : "");
	cf_code rc = cf_deployment_node_delete(q->st, q->arg, forced, &out, &e);
	if (cf_change_end(q, &c, rc, &e)) {
		json_t *o = cf_change_json(q, &out);
		json_object_set_new(o, "deleted", json_string(q->arg));
		cf_reply_json(q, 200, o);
	}
	cf_outcome_free(&out);
}

void cf_route_clusters(cf_req *q)
{
	cf_clusterinfo *v = NULL;
	size_t n = 0;
	cf_err e = {0};
	if (!cf_req_session(q))
		return;
	if (cf_store_clusters(q->st, &v, &n, &e) != CF_OK) {
		cf_reply_err(q, &e);
		return;
	}
	json_t *items = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(items, json_pack("{s:s, s:s, s:I}", "name", v[i].name, "fqdn", v[i].fqdn, "nodes",
						       (json_int_t)v[i].nodes));
	cf_clusterinfos_free(v, n);
	cf_reply_json(q, 200, json_pack("{s:o}", "items", items));
}

/* The cluster as `certfleet --json cluster show` prints it: every setting with its value (the
 * default when not set), and the table's own words for the page's form. */
void cf_route_cluster_get(cf_req *q)
{
	cf_cluster cl = {0};
	cf_err e = {0};
	if (!cf_req_session(q))
		return;
	if (cf_store_cluster_get(q->st, q->arg, 0, &cl, &e) != CF_OK) {
		cf_reply_err(q, &e);
		return;
	}
	json_t *settings = json_object(), *about = json_array();
	const cf_setting *s;
	int i = 0;
	while ((s = cf_setting_next(&i)) != NULL) {
		if (strcmp(s->key, "fqdn") == 0)
			continue;
		const char *val = cf_cluster_get(&cl, s->key);
		json_object_set_new(settings, s->key, json_string(val ? val : s->def));
		json_array_append_new(about, json_pack("{s:s, s:s, s:s}", "key", s->key, "help", s->help, "choices",
						       s->choices ? s->choices : ""));
	}
	cf_reply_json(q, 200,
		      json_pack("{s:s, s:s, s:o, s:o}", "name", cl.name, "fqdn", cl.fqdn, "settings", settings, "about",
				about));
	cf_cluster_free(&cl);
}

/* PUT {"key", "values": [...]}: certfleet cluster set NAME KEY VALUE... (an empty list clears a
 * list or text setting); every entry checked before anything is stored. */
void cf_route_cluster_set(cf_req *q)
{
	cf_err e = {0};
	cf_change c;
	bool bad = false;
	if (!cf_req_change(q, true) || cf_req_json(q) == NULL)
		return;
	const char *key = cf_req_str(q, "key", true, &bad);
	json_t *values = json_object_get(q->fields, "values");
	if (bad)
		return;
	size_t n = json_array_size(values);
	if (!json_is_array(values) || n > 256) {
		cf_reply_field(q, 400, "values", "values: a list of at most 256 strings");
		return;
	}
	char **v = calloc(n ? n : 1, sizeof(*v));
	for (size_t k = 0; v != NULL && k < n; k++) {
		const char *t = json_string_value(json_array_get(values, k));
		if (t == NULL || !cf_text_clean(t, strlen(t))) {
			cf_reply_field(q, 400, "values", "values: each one line of text");
			free(v);
			return;
		}
		v[k] = (char *)t;
	}
	if (v == NULL) {
		cf_reply_error(q, 500, "internal error", "out of memory");
		return;
	}
	cf_change_begin(q, &c, "cluster set", "%s %s", q->arg, key);
	if (cf_change_end(q, &c, cf_deployment_cluster_set(q->st, q->arg, key, v, n, &e), &e))
		cf_reply_json(q, 200, json_pack("{s:s, s:s, s:O}", "cluster", q->arg, "key", key, "values", values));
	free(v);
}

void cf_route_cluster_delete(cf_req *q)
{
	cf_err e = {0};
	cf_change c;
	if (!cf_req_change(q, true))
		return;
	cf_change_begin(q, &c, "cluster delete", "%s", q->arg);
	cf_code rc = cf_deployment_cluster_delete(q->st, q->arg, &e);
	if (cf_change_end(q, &c, rc, &e))
		cf_reply_json(q, 200, json_pack("{s:s}", "deleted", q->arg));
}

void cf_route_status(cf_req *q)
{
	cf_node_status *v = NULL;
	size_t n = 0;
	cf_err e = {0};
	if (!cf_req_session(q))
		return;
	if (cf_status(q->st, &v, &n, &e) != CF_OK) {
		cf_reply_err(q, &e);
		return;
	}
	cf_reply_json(q, 200, cf_json_status(v, n, cf_clock_now()));
	cf_status_free(v, n);
}

void cf_route_doctor(cf_req *q)
{
	cf_findings f = {0};
	cf_err e = {0};
	if (!cf_req_session(q))
		return;
	cf_doctor_opts o = {.node = cf_req_param(q, "node"),
			    .public_cas = q->d->public_cas,
			    .public_cas_len = q->d->public_cas_len};
	if (cf_doctor_run(q->st, &o, &f, &e) != CF_OK)
		cf_reply_err(q, &e);
	else
		cf_reply_json(q, 200, cf_doctor_json(&f));
	cf_findings_free(&f);
}

void cf_route_audit(cf_req *q)
{
	int64_t limit = 0, offset = 0, total = 0;
	cf_auditrow *rows = NULL;
	size_t n = 0;
	cf_err e = {0};
	if (!cf_req_session(q) || !cf_req_number(q, "limit", 1, AUDIT_LIMIT_MAX, 50, &limit) ||
	    !cf_req_number(q, "offset", 0, INT64_MAX, 0, &offset))
		return;
	if (cf_store_audit_list(q->st, limit, offset, &rows, &n, &total, &e) != CF_OK) {
		cf_reply_err(q, &e);
		return;
	}
	json_t *items = json_array();
	for (size_t k = 0; k < n; k++) {
		const cf_auditrow *r = &rows[k];
		char at[32];
		cf_time_rfc3339(r->at, at);
		json_array_append_new(items, json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s}", "id", (json_int_t)r->id,
						       "at", at, "account", r->account, "client", r->client, "action",
						       r->action, "object", r->object, "result", r->result));
	}
	cf_auditrows_free(rows, n);
	cf_reply_json(q, 200, json_pack("{s:o, s:I}", "items", items, "total", (json_int_t)total));
}
