/* The tools of the command line on the API, with its --json shapes: POST /api/v1/validate checks a
 * certificate as `certfleet validate` does (anyone logged in: it changes nothing), POST
 * /api/v1/trust/fetch is the certificate import tool, `certfleet trust fetch [--import]` (admin:
 * it makes the daemon connect out). Their network work runs on the loop for now, bounded by the
 * command line's timeouts. */
#include <stdio.h>
#include <string.h>

#include "core/check/fetch.h"
#include "core/revocation/revocation.h"
#include "core/view/tooljson.h"
#include "core/check/validate.h"
#include "daemon/daemon.h"
#include "net_transport.h"
#include "util/clock.h"
#include "util/secret.h"
#include "util/text.h"

/* Wipes a text field of the request once used: a PEM pasted with its private key by mistake. */
static void wipe_field(cf_req *q, const char *name)
{
	json_t *v = json_object_get(q->fields, name);
	if (json_is_string(v))
		cf_secret_wipe((char *)json_string_value(v), json_string_length(v));
}

/* The trust index of the request: ca_pem's certificates, or the node's store; NULL (with CF_OK)
 * when it names neither, so the chain is not checked, as on the command line. */
static cf_code load_trust(cf_req *q, const char *ca_pem, const char *node, const char *store, cf_trustidx **idx,
			  cf_err *e)
{
	if (ca_pem == NULL && store == NULL)
		return CF_OK;
	if ((*idx = cf_trustidx_new_strict()) == NULL)
		return cf_err_set(e, CF_E_INTERNAL, NULL, "out of memory");
	if (ca_pem != NULL)
		return cf_validate_add_bundle(*idx, "ca_pem", (const uint8_t *)ca_pem, strlen(ca_pem), true, e);
	return cf_validate_load_store(q->st, node, store, *idx, e);
}

/* POST {"pem", "host"?, "node"?, "store"?, "ca_pem"?, "purpose"?, "revocation"?}: pem holds the
 * leaf first, then untrusted intermediates. A validation that ran answers 200, its "ok" saying
 * whether the certificate passed (where the command line exits 7). */
void cf_route_validate(cf_req *q)
{
	bool bad = false;
	cf_err e = {0};
	cf_cert **certs = NULL;
	size_t n = 0;
	cf_trustidx *idx = NULL;
	cf_revsource *rev = NULL;
	cf_validation val = {0};
	if (!cf_req_change(q, false) || cf_req_json(q) == NULL)
		return;
	const char *pem = cf_req_text(q, "pem", true, &bad), *ca_pem = cf_req_text(q, "ca_pem", false, &bad);
	const char *host = cf_req_str(q, "host", false, &bad), *node = cf_req_str(q, "node", false, &bad);
	const char *store = cf_req_str(q, "store", false, &bad), *purpose = cf_req_str(q, "purpose", false, &bad);
	bool revocation = cf_req_bool(q, "revocation", &bad);
	cf_validate_opts o = {.host = host, .now = cf_clock_now()};
	if (bad)
		goto out;
	if ((store != NULL) != (node != NULL)) {
		cf_reply_field(q, 400, store != NULL ? "node" : "store",
			       store != NULL ? "node: a trust store is a node's: name the node too"
					     : "store: name the node's trust store to validate against");
		goto out;
	}
	if (store != NULL && ca_pem != NULL) {
		cf_reply_field(q, 400, "ca_pem",
			       "ca_pem: trust either a node's store or these CA certificates, not both");
		goto out;
	}
	if (purpose != NULL && (o.purpose = cf_purpose_find(purpose, NULL)) == NULL) {
		cf_reply_field(q, 400, "purpose", "purpose: not a certificate purpose");
		goto out;
	}
	cf_code rc = cf_cert_parse_bundle("pem", (const uint8_t *)pem, strlen(pem), &certs, &n, &e);
	if (rc == CF_OK)
		rc = load_trust(q, ca_pem, node, store, &idx, &e);
	o.trust = idx;
	/* every configured source (OCSP, the stored CRLs), on the verified chain */
	if (rc == CF_OK && revocation && (rc = cf_revsource_load(q->st, cf_net_transport(), node, &rev, &e)) == CF_OK) {
		o.revocation = cf_revsource_status;
		o.revocation_ctx = rev;
	}
	if (rc == CF_OK)
		rc = cf_validate_cert(&o, certs[0], certs + 1, n - 1, &val, &e);
	if (rc == CF_OK)
		cf_reply_json(q, 200, cf_tooljson_validation(&val));
	else
		cf_reply_err(q, &e);
out:
	cf_validation_clear(&val);
	cf_revsource_free(rev);
	cf_trustidx_free(idx);
	cf_certs_free(certs, n);
	wipe_field(q, "pem");
	wipe_field(q, "ca_pem");
}

/* The "import" member: {"node", "store"}, both one line of text; replies 400 and returns false
 * when it is something else. */
static bool import_target(cf_req *q, const char **node, const char **store)
{
	json_t *imp = json_object_get(q->fields, "import");
	if (imp == NULL)
		return true;
	*node = json_string_value(json_object_get(imp, "node"));
	*store = json_string_value(json_object_get(imp, "store"));
	if (json_is_object(imp) && *node != NULL && *store != NULL && (*node)[0] != '\0' && (*store)[0] != '\0' &&
	    cf_text_clean(*node, strlen(*node)) && cf_text_clean(*store, strlen(*store)))
		return true;
	cf_reply_field(q, 400, "import", "import: expected {\"node\", \"store\"}, the trust store to import into");
	return false;
}

/* POST {"host", "port", "starttls"?, "sni"?, "import"?: {"node", "store"}}: the peer's chain as
 * `trust fetch --json` prints it, with "import" when it was imported. Looking changes nothing and
 * is not audited; an import is audited "trust fetch", refusals (a failed fetch included) too. */
void cf_route_trust_fetch(cf_req *q)
{
	bool bad = false;
	cf_err e = {0};
	cf_fetch_result r = {0};
	cf_outcome out = {0};
	cf_change c;
	size_t skipped = 0;
	char target[300];
	const char *node = NULL, *store = NULL;
	if (!cf_req_change(q, true) || cf_req_json(q) == NULL)
		return;
	const char *host = cf_req_str(q, "host", true, &bad), *starttls = cf_req_str(q, "starttls", false, &bad);
	const char *sni = cf_req_str(q, "sni", false, &bad);
	json_t *port = json_object_get(q->fields, "port");
	if (bad || !import_target(q, &node, &store))
		return;
	if (sni == NULL) /* absent, it may still be the field at fault (STARTTLS xmpp to an address) */
		json_object_set_new(q->fields, "sni", json_null());
	if (!json_is_integer(port) || json_integer_value(port) < 1 || json_integer_value(port) > 65535) {
		cf_reply_field(q, 400, "port", "port: expected a number from 1 to 65535");
		return;
	}
	/* an IPv6 address goes in brackets in HOST:PORT */
	bool bracket = strchr(host, ':') != NULL && host[0] != '[';
	if ((size_t)snprintf(target, sizeof(target), bracket ? "[%s]:%d" : "%s:%d", host,
			     (int)json_integer_value(port)) >= sizeof(target)) {
		cf_reply_field(q, 400, "host", "host: longer than a host name can be");
		return;
	}
	if (node != NULL)
		cf_change_begin(q, &c, "trust fetch", "%s from %s", store, target);
	cf_dlog(q->d, CF_LOG_INFO, "%s trust fetch by %s: connecting to %s", q->client, q->session->account, target);
	cf_fetch_req req = {.target = target, .starttls = starttls, .sni = sni};
	cf_code rc = cf_fetch(cf_net_transport(), &req, &r, &e);
	if (rc == CF_E_USAGE && strcmp(e.subject, target) == 0)
		cf_err_subject(&e, "host"); /* the port was checked above: the host is at fault */
	if (rc == CF_OK && node != NULL)
		rc = cf_fetch_import(q->st, cf_net_transport(), &r, node, store, &out, &skipped, &e);
	bool done = node != NULL ? cf_change_end(q, &c, rc, &e) : rc == CF_OK;
	if (done) {
		json_t *o = cf_tooljson_fetch(&r, starttls);
		if (o != NULL && node != NULL)
			json_object_set_new(o, "import", cf_tooljson_fetch_import(&r, node, store, &out, skipped));
		cf_reply_json(q, 200, o);
	} else if (node == NULL) {
		cf_reply_err(q, &e);
	}
	cf_outcome_free(&out);
	cf_fetch_result_free(&r);
}
