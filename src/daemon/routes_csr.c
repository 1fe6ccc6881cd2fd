/* certfleetd's issuing routes: self-signed certificates and CSRs (generate, preview, show,
 * download, discard), each the same library call as the command line. */
#include <event2/http.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/view/certjson.h"
#include "core/lifecycle/identity.h"
#include "daemon/daemon.h"

/* The options of a self-signed certificate or a CSR from the JSON body; false (replied) when
 * one is malformed. */
static bool issue_opts(cf_req *q, cf_issue_opts *o, bool csr)
{
	bool bad = false;
	o->key = cf_req_str(q, "key", false, &bad);
	o->hash = cf_req_str(q, "hash", false, &bad);
	o->multi_server = cf_req_bool(q, "multi_server", &bad);
	if (csr) {
		o->cn = cf_req_str(q, "cn", false, &bad);
		o->reuse_key = cf_req_bool(q, "reuse_key", &bad);
	}
	json_t *days = json_object_get(q->fields, "days");
	if (!bad && days != NULL) {
		if (csr || !json_is_integer(days) || json_integer_value(days) < 1 || json_integer_value(days) > 36500) {
			cf_reply_field(q, 400, "days",
				       csr ? "days: a CSR has no validity; the CA sets it"
					   : "days: expected a whole number from 1 to 36500");
			return false;
		}
		o->days = (int)json_integer_value(days);
	}
	return !bad;
}

/* node and purpose of the JSON body (required); false (replied) when missing. */
static bool node_purpose(cf_req *q, const char **node, const char **purpose)
{
	bool bad = false;
	*node = cf_req_str(q, "node", true, &bad);
	*purpose = cf_req_str(q, "purpose", true, &bad);
	return !bad;
}

void cf_route_self_signed(cf_req *q)
{
	const char *node, *purpose;
	cf_issue_opts o = {0};
	cf_outcome out = {0};
	cf_err e = {0};
	cf_change c;
	bool bad = false;
	if (!cf_req_change(q, true) || cf_req_json(q) == NULL || !node_purpose(q, &node, &purpose) ||
	    !issue_opts(q, &o, false))
		return;
	o.force = cf_req_bool(q, "force", &bad); /* the page asked to confirm */
	if (bad)
		return;
	cf_change_begin(q, &c, "cert self-signed", "%s on %s%s", purpose, node, o.force ? " (forced)" : "");
	if (cf_change_end(q, &c, cf_identity_self_signed(q->st, node, purpose, &o, &out, &e), &e))
		cf_reply_json(q, 200, cf_change_json(q, &out));
	cf_outcome_free(&out);
}

void cf_route_csr_post(cf_req *q)
{
	const char *node, *purpose;
	cf_issue_opts o = {0};
	cf_identity_csr_view v = {0};
	cf_err e = {0};
	cf_change c;
	if (!cf_req_change(q, true) || cf_req_json(q) == NULL || !node_purpose(q, &node, &purpose) ||
	    !issue_opts(q, &o, true))
		return;
	cf_change_begin(q, &c, "csr generate", "%s on %s", purpose, node);
	if (cf_change_end(q, &c, cf_identity_csr_generate(q->st, node, purpose, &o, &v, &e), &e))
		cf_reply_json(q, 200, cf_json_csr(&v));
	cf_identity_csr_view_free(&v);
}

/* node and purpose from the query (required); false (replied) when missing. */
static bool query_node_purpose(cf_req *q, const char **node, const char **purpose)
{
	*node = cf_req_param(q, "node");
	*purpose = cf_req_param(q, "purpose");
	if (*node == NULL || **node == '\0' || *purpose == NULL || **purpose == '\0') {
		cf_reply_field(q, 400, *node == NULL || **node == '\0' ? "node" : "purpose",
			       "expected the query parameters node and purpose");
		return false;
	}
	return true;
}

/* Query parameters as q->fields, so an error can name the one at fault. */
static void query_fields(cf_req *q, const char *node, const char *purpose)
{
	json_decref(q->fields);
	q->fields = json_pack("{s:s, s:s}", "node", node, "purpose", purpose);
}

void cf_route_csr_preview(cf_req *q)
{
	const char *node, *purpose, *multi;
	cf_names names = {0};
	char key[32];
	cf_err e = {0};
	if (!cf_req_session(q) || !query_node_purpose(q, &node, &purpose))
		return;
	multi = cf_req_param(q, "multi_server");
	if (multi != NULL && strcmp(multi, "0") != 0 && strcmp(multi, "1") != 0) {
		cf_reply_field(q, 400, "multi_server", "multi_server: expected 0 or 1");
		return;
	}
	bool ms = multi != NULL && multi[0] == '1';
	query_fields(q, node, purpose);
	if (cf_identity_csr_preview(q->st, node, purpose, ms, &names, key, &e) != CF_OK) {
		cf_reply_err(q, &e);
		return;
	}
	json_t *san = json_array(), *scope = json_array();
	for (size_t i = 0; i < names.san.n; i++)
		json_array_append_new(san, json_string(names.san.v[i]));
	for (size_t i = 0; i < names.scope.n; i++)
		json_array_append_new(scope, json_string(names.scope.v[i]));
	cf_reply_json(q, 200,
		      json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:s, s:s}", "node", node, "purpose", purpose,
				"distribution", ms ? "multi-server" : "single-server", "cn", names.cn, "san", san,
				"nodes", scope, "key", key, "hash", "sha256"));
	cf_names_free(&names);
}

void cf_route_csr_get(cf_req *q)
{
	const char *node, *purpose, *format;
	cf_identity_csr_view v = {0};
	cf_err e = {0};
	if (!cf_req_session(q) || !query_node_purpose(q, &node, &purpose))
		return;
	format = cf_req_param(q, "format");
	if (format != NULL && strcmp(format, "pem") != 0 && strcmp(format, "json") != 0) {
		cf_reply_field(q, 400, "format", "format: expected pem or json");
		return;
	}
	query_fields(q, node, purpose);
	if (cf_identity_csr_show(q->st, node, purpose, &v, &e) != CF_OK) {
		cf_reply_err(q, &e);
	} else if (format != NULL && strcmp(format, "pem") == 0) {
		char disposition[400];
		int start = snprintf(disposition, sizeof(disposition), "attachment; filename=\"");
		snprintf(disposition + start, sizeof(disposition) - (size_t)start, "%s-%s.csr\"", v.node, v.purpose);
		for (char *p = disposition + start; p[1] != '\0'; p++) /* a file name of safe characters */
			if (strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_", *p) == NULL)
				*p = '_';
		evhttp_add_header(evhttp_request_get_output_headers(q->r), "Content-Disposition", disposition);
		cf_reply_bytes(q, 200, "application/pkcs10", v.pem, strlen(v.pem));
	} else {
		cf_reply_json(q, 200, cf_json_csr(&v));
	}
	cf_identity_csr_view_free(&v);
}

void cf_route_csr_delete(cf_req *q)
{
	const char *node, *purpose;
	cf_err e = {0};
	cf_change c;
	if (!cf_req_change(q, true) || !query_node_purpose(q, &node, &purpose))
		return;
	query_fields(q, node, purpose);
	cf_change_begin(q, &c, "csr discard", "%s on %s", purpose, node);
	if (cf_change_end(q, &c, cf_identity_csr_discard(q->st, node, purpose, &e), &e))
		cf_reply_json(q, 200, json_pack("{s:s, s:s, s:b}", "node", node, "purpose", purpose, "discarded", 1));
}
