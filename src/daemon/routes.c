/* certfleetd's route table and the account routes: login, logout, nodes, audit. */
#include <event2/http.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/certjson.h"
#include "crypto/password.h"
#include "daemon/daemon.h"
#include "util/clock.h"

#define AUDIT_LIMIT_MAX 1000

static const struct route {
	enum evhttp_cmd_type method;
	const char *path;
	void (*fn)(cf_req *q);
} routes[] = {
	{EVHTTP_REQ_POST, "/api/v1/login", cf_route_login}, {EVHTTP_REQ_POST, "/api/v1/logout", cf_route_logout},
	{EVHTTP_REQ_GET, "/api/v1/nodes", cf_route_nodes},  {EVHTTP_REQ_GET, "/api/v1/certificates", cf_route_certs},
	{EVHTTP_REQ_GET, "/api/v1/audit", cf_route_audit},
};

#define CERT_PREFIX "/api/v1/certificates/"

/* The routes with an id: /api/v1/certificates/{id}. */
static bool dispatch_cert(cf_req *q, enum evhttp_cmd_type m)
{
	const char *id = q->path + strlen(CERT_PREFIX);
	if (strncmp(q->path, CERT_PREFIX, strlen(CERT_PREFIX)) != 0)
		return false;
	if (m != EVHTTP_REQ_GET && m != EVHTTP_REQ_DELETE) {
		cf_reply_error(q, 405, "method not allowed", "use GET or DELETE");
		return true;
	}
	size_t len = strlen(id);
	if (len == 0 || len > 18 || strspn(id, "0123456789") != len) {
		cf_reply_error(q, 400, "input rejected", "a certificate id is a number");
		return true;
	}
	int64_t v = strtoll(id, NULL, 10);
	if (m == EVHTTP_REQ_GET)
		cf_route_cert_get(q, v);
	else
		cf_route_cert_delete(q, v);
	return true;
}

void cf_routes_dispatch(cf_req *q)
{
	enum evhttp_cmd_type m = evhttp_request_get_command(q->r);
	bool path_known = false;
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		if (strcmp(routes[i].path, q->path) != 0)
			continue;
		path_known = true;
		if (routes[i].method == m) {
			routes[i].fn(q);
			return;
		}
	}
	if (path_known)
		cf_reply_error(q, 405, "method not allowed", "this method is not allowed here");
	else if (!dispatch_cert(q, m))
		cf_reply_error(q, 404, "not found", "no such route");
}

/* 429 with Retry-After: the caller may try again in wait seconds. */
static void reply_throttled(cf_req *q, int64_t wait)
{
	char retry[24], msg[96];
	if (wait < 1)
		wait = 1;
	snprintf(retry, sizeof(retry), "%lld", (long long)wait);
	snprintf(msg, sizeof(msg), "too many failed logins; try again in %lld s", (long long)wait);
	evhttp_add_header(evhttp_request_get_output_headers(q->r), "Retry-After", retry);
	cf_reply_error(q, 429, "too many requests", msg);
}

void cf_route_login(cf_req *q)
{
	json_t *body = cf_req_json(q);
	const char *user = NULL, *password = NULL;
	const cf_session *s = NULL;
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
	cf_code rc = cf_store_user_get(q->d->st, user, &u, &e);
	if (rc != CF_OK && rc != CF_E_NOTFOUND) {
		cf_reply_err(q, &e);
		goto out;
	}
	int64_t now = cf_clock_now();
	int64_t wait = cf_throttle_addr_wait(q->d->throttle, q->client, now);
	if (wait > 0) {
		cf_dlog(q->d, CF_LOG_INFO, "%s login refused: too many failed logins from this address", q->client);
		reply_throttled(q, wait);
		goto out;
	}
	if (rc == CF_OK && u.locked_until > now) {
		/* Attempts while locked count as failures too and lengthen the lock. */
		int64_t until = cf_throttle_account_lock(u.failed_logins + 1, now);
		if (cf_store_user_set_login_state(q->d->st, u.name, u.failed_logins + 1, until, &e) != CF_OK) {
			cf_reply_err(q, &e);
			goto out;
		}
		cf_throttle_addr_fail(q->d->throttle, q->client, now);
		cf_dlog(q->d, CF_LOG_INFO, "%s login refused: account %s locked", q->client, u.name);
		reply_throttled(q, until - now);
		goto out;
	}
	/* An unknown user costs one scrypt too and gets the same answer. */
	bool good = cf_password_verify(password, rc == CF_OK ? u.password_hash : q->d->dummy_hash) && rc == CF_OK;
	if (!good) {
		cf_throttle_addr_fail(q->d->throttle, q->client, now);
		if (rc == CF_OK) {
			int64_t until = cf_throttle_account_lock(u.failed_logins + 1, now);
			if (cf_store_user_set_login_state(q->d->st, u.name, u.failed_logins + 1, until, &e) != CF_OK) {
				cf_reply_err(q, &e);
				goto out;
			}
		}
		cf_dlog(q->d, CF_LOG_INFO, "%s login refused: wrong user name or password", q->client);
		cf_reply_error(q, 401, "unauthenticated", "wrong user name or password");
		goto out;
	}
	if ((u.failed_logins != 0 || u.locked_until != 0) &&
	    cf_store_user_set_login_state(q->d->st, u.name, 0, 0, &e) != CF_OK) {
		cf_reply_err(q, &e);
		goto out;
	}
	if (cf_session_start(q->d->sessions, u.name, strcmp(u.role, "admin") == 0, now, &s, &e) != CF_OK) {
		cf_reply_err(q, &e);
		goto out;
	}
	char cookie[160];
	snprintf(cookie, sizeof(cookie), "certfleet_session=%s; HttpOnly; Secure; SameSite=Strict; Path=/", s->id);
	evhttp_add_header(evhttp_request_get_output_headers(q->r), "Set-Cookie", cookie);
	cf_dlog(q->d, CF_LOG_DEBUG, "%s login %s (%s)", q->client, u.name, u.role);
	cf_reply_json(q, 200, json_pack("{s:s, s:s, s:s}", "csrf", s->csrf, "user", u.name, "role", u.role));
out:
	if (password != NULL)
		cf_secret_wipe((char *)password, strlen(password));
	json_decref(body);
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

void cf_route_nodes(cf_req *q)
{
	cf_node *v = NULL;
	size_t n = 0;
	cf_err e = {0};
	if (!cf_req_session(q))
		return;
	if (cf_store_nodes(q->d->st, 0, &v, &n, &e) != CF_OK) {
		cf_reply_err(q, &e);
		return;
	}
	json_t *items = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(items, cf_json_node(&v[i]));
	cf_nodes_free(v, n);
	cf_reply_json(q, 200, json_pack("{s:o}", "items", items));
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
	if (cf_store_audit_list(q->d->st, limit, offset, &rows, &n, &total, &e) != CF_OK) {
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
