/* certfleetd's account routes (admin only, except changing one's own password): list, add,
 * delete, set a password. The same library calls as `certfleet user ...`; each change writes its
 * audit row in its own transaction, and ends the sessions it makes stale. */
#include <stdio.h>
#include <string.h>

#include "core/admin/accounts.h"
#include "crypto/password.h"
#include "daemon/daemon.h"
#include "util/clock.h"

void cf_route_users(cf_req *q)
{
	cf_user *u = NULL;
	size_t n = 0;
	cf_err e = {0};
	if (!cf_req_session(q))
		return;
	if (!q->session->admin) {
		cf_reply_error(q, 403, "forbidden", "only administrators see the accounts");
		return;
	}
	if (cf_store_users(q->st, &u, &n, &e) != CF_OK) {
		cf_reply_err(q, &e);
		return;
	}
	json_t *items = json_array();
	for (size_t k = 0; k < n; k++) {
		char created[32];
		cf_time_rfc3339(u[k].created, created);
		json_array_append_new(
			items, json_pack("{s:s, s:s, s:s}", "name", u[k].name, "role", u[k].role, "created", created));
	}
	cf_users_free(u, n);
	cf_reply_json(q, 200, json_pack("{s:o}", "items", items));
}

/* Wipes the password member of the body once the request is done. */
static void wipe_password(cf_req *q)
{
	const char *p = json_string_value(json_object_get(q->fields, "password"));
	if (p != NULL)
		cf_secret_wipe((char *)p, strlen(p));
}

void cf_route_user_add(cf_req *q)
{
	bool bad = false;
	cf_err e = {0};
	cf_change c;
	if (!cf_req_change(q, true) || cf_req_json(q) == NULL)
		return;
	const char *name = cf_req_str(q, "name", true, &bad), *role = cf_req_str(q, "role", true, &bad),
		   *password = cf_req_text(q, "password", true, &bad);
	if (!bad && cf_account_check_name(name, &e) != CF_OK) {
		char msg[sizeof(e.message) + 8];
		snprintf(msg, sizeof(msg), "name: %s", e.message);
		cf_reply_field(q, 400, "name", msg);
		bad = true;
	}
	if (!bad) {
		cf_change_begin(q, &c, "user add", "%s", name);
		if (cf_change_end(q, &c, cf_account_add(q->st, &c.actor, name, role, password, &e), &e))
			cf_reply_json(q, 201, json_pack("{s:s, s:s}", "name", name, "role", role));
	}
	wipe_password(q);
}

void cf_route_user_delete(cf_req *q)
{
	cf_err e = {0};
	cf_change c;
	if (!cf_req_change(q, true))
		return;
	if (strcmp(q->arg, q->session->account) == 0) {
		cf_reply_error(q, 409, "wrong state",
			       "an administrator cannot delete the account they are logged in with");
		return;
	}
	cf_change_begin(q, &c, "user delete", "%s", q->arg);
	if (cf_change_end(q, &c, cf_account_delete(q->st, &c.actor, q->arg, &e), &e)) {
		cf_session_end_account(q->d->sessions, q->arg, NULL);
		cf_reply_json(q, 200, json_pack("{s:s, s:b}", "name", q->arg, "deleted", 1));
	}
}

void cf_route_user_passwd(cf_req *q)
{
	bool bad = false;
	cf_err e = {0};
	cf_change c;
	if (!cf_req_change(q, false) || cf_req_json(q) == NULL)
		return;
	const char *password = cf_req_text(q, "password", true, &bad);
	if (!bad && !q->session->admin && strcmp(q->arg, q->session->account) != 0) {
		cf_reply_error(q, 403, "forbidden", "a read-only account may change its own password only");
		bad = true;
	}
	if (!bad) {
		char keep[sizeof(q->session->id)];
		memcpy(keep, q->session->id, sizeof(keep));
		cf_change_begin(q, &c, "user passwd", "%s", q->arg);
		if (cf_change_end(q, &c, cf_account_passwd(q->st, &c.actor, q->arg, password, &e), &e)) {
			/* other sessions of the account end; the caller's own stays */
			cf_session_end_account(q->d->sessions, q->arg, keep);
			q->session = NULL;
			cf_reply_json(q, 200, json_pack("{s:s, s:b}", "name", q->arg, "changed", 1));
		}
	}
	wipe_password(q);
}
