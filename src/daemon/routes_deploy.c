/* Deploy targets and deploys (SPEC §3.8): GET|PUT /api/v1/nodes/{name}/deploy-targets and
 * POST /api/v1/deploy — the library calls of `certfleet deploy-target list|set` and
 * `certfleet deploy`, with their JSON shapes and their audit rows ("deploy-target set",
 * "deploy"). */
#include <string.h>

#include "core/view/certjson.h"
#include "core/lifecycle/deploy.h"
#include "core/lifecycle/served.h"
#include "net_transport.h"
#include "daemon/daemon.h"
#include "util/text.h"

/* The fields of a target PUT takes, and the names the library's errors give them. */
static const struct field {
	const char *name, *subject;
} target_fields[] = {
	{"cert", "cert path"}, {"key", "key path"},  {"chain", "chain path"}, {"owner", "owner"},
	{"mode", "mode"},      {"reload", "reload"}, {"serves", "serves"},    {"starttls", "starttls"},
};
#define N_TARGET_FIELDS (sizeof(target_fields) / sizeof(target_fields[0]))

/* The refusal of a PUT: the error with "field" naming the request field the library's subject
 * stands for ("cert path" is the field cert). */
static void reply_target_err(cf_req *q, const cf_err *e)
{
	int status = 500;
	json_t *err = cf_daemon_err_json(q, e, &status);
	for (size_t i = 0; i < N_TARGET_FIELDS && json_object_get(err, "field") == NULL; i++)
		if (strcmp(e->subject, target_fields[i].subject) == 0)
			json_object_set_new(err, "field", json_string(target_fields[i].name));
	cf_reply_json(q, status, json_pack("{s:o}", "error", err));
}

void cf_route_targets_get(cf_req *q)
{
	cf_node n = {0};
	cf_target *t = NULL;
	size_t nt = 0;
	cf_err e = {0};
	if (!cf_req_session(q))
		return;
	if (cf_deploy_targets(q->st, q->arg, NULL, &n, &t, &nt, &e) != CF_OK) {
		cf_reply_err(q, &e);
		return;
	}
	cf_reply_json(q, 200, cf_json_targets(n.fqdn, t, nt));
	cf_targets_free(t, nt);
	cf_node_free(&n);
}

/* PUT {"purpose", "cert", "key", "chain", "owner", "mode", "reload", "serves", "starttls"}:
 * certfleet deploy-target set; a field left out keeps its value, "" clears it (mode: left out
 * keeps it). */
void cf_route_targets_put(cf_req *q)
{
	static const char *const names[] = {"purpose", "cert",	 "key",	   "chain",    "owner",
					    "mode",    "reload", "serves", "starttls", NULL};
	const char *v[N_TARGET_FIELDS];
	bool bad = false;
	cf_err e = {0};
	cf_change c;
	if (!cf_req_change(q, true) || cf_req_json(q) == NULL ||
	    !cf_req_known_fields(q, names, "purpose, cert, key, chain, owner, mode, reload, serves, starttls"))
		return;
	const char *purpose = cf_req_str(q, "purpose", true, &bad);
	for (size_t i = 0; i < N_TARGET_FIELDS; i++)
		v[i] = cf_req_str_or_empty(q, target_fields[i].name, &bad);
	if (bad)
		return;
	cf_deploy_target_spec spec = {.node = q->arg,
				      .purpose = purpose,
				      .cert_path = v[0],
				      .key_path = v[1],
				      .chain_path = v[2],
				      .owner = v[3],
				      .mode = v[4],
				      .reload = v[5],
				      .serves = v[6],
				      .starttls = v[7]};
	cf_change_begin(q, &c, "deploy-target set", "%s on %s", purpose, q->arg);
	cf_code rc = cf_deploy_target_set(q->st, &spec, &e);
	if (rc != CF_OK) {
		cf_change_refused(q, &c, &e);
		reply_target_err(q, &e);
		return;
	}
	if (!cf_change_end(q, &c, rc, &e))
		return;
	/* the answer: the target as it is now stored */
	cf_node n = {0};
	cf_target *t = NULL;
	size_t nt = 0;
	if (cf_deploy_targets(q->st, q->arg, purpose, &n, &t, &nt, &e) != CF_OK)
		cf_reply_err(q, &e);
	else if (nt != 1)
		cf_reply_error(q, 500, "internal error", "the deploy target was set but cannot be read back");
	else
		cf_reply_json(q, 200, cf_json_target(n.fqdn, &t[0]));
	cf_targets_free(t, nt);
	cf_node_free(&n);
}

/* POST {"node", "purpose"?}: certfleet deploy, then the served check of the node's addresses
 * (certfleetd's own listener among them when it deployed its own tomcat identity). The answer is
 * what `deploy --json` prints; when a target failed after others were deployed (a failed reload,
 * or an address not serving the stored certificate: 502) the error comes with them. */
void cf_route_deploy(cf_req *q)
{
	static const char *const names[] = {"node", "purpose", NULL};
	cf_deploy_report rep = {0};
	cf_served_report served = {0};
	bool bad = false;
	cf_err e = {0};
	cf_change c;
	if (!cf_req_change(q, true) || cf_req_json(q) == NULL || !cf_req_known_fields(q, names, "node, purpose"))
		return;
	const char *node = cf_req_str(q, "node", true, &bad), *purpose = cf_req_str(q, "purpose", false, &bad);
	if (bad)
		return;
	if (purpose != NULL)
		cf_change_begin(q, &c, "deploy", "%s on %s", purpose, node);
	else
		cf_change_begin(q, &c, "deploy", "%s", node);
	cf_code rc = cf_deploy_run(q->st, node, purpose, &rep, &e);
	if (rep.n > 0) { /* on a worker: the handshakes wait off the loop, which answers them */
		cf_err se = {0};
		cf_code sc = cf_served_check(q->st, cf_net_transport(), node, purpose, NULL, &served, &se);
		if (sc == CF_OK)
			sc = cf_served_verdict(&served, &se);
		if (rc == CF_OK && sc != CF_OK) {
			rc = sc;
			e = se;
		}
	}
	if (rc == CF_OK || rep.n == 0) {
		if (cf_change_end(q, &c, rc, &e))
			cf_reply_json(q, 200,
				      json_pack("{s:s, s:o, s:o}", "node", node, "items", cf_json_deploy(&rep),
						"served", cf_json_served_report(&served)));
	} else {
		int status = 500;
		cf_change_refused(q, &c, &e);
		json_t *err = cf_daemon_err_json(q, &e, &status);
		cf_reply_json(q, status,
			      json_pack("{s:o, s:s, s:o, s:o}", "error", err, "node", node, "items",
					cf_json_deploy(&rep), "served", cf_json_served_report(&served)));
	}
	cf_deploy_report_free(&rep);
	cf_served_report_free(&served);
}
