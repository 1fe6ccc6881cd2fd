/* certfleetd's revocation routes (SPEC §6): the settings (as `certfleet revocation show` and
 * `revocation config`), an OCSP pass now (as `revocation check`), the stored CRLs (as `crl list|add|remove`), the distribution points and
 * their daily download (as `crl dp`, `crl update`, `crl config`), and one certificate's status
 * from the stored CRLs. */
#include <event2/buffer.h>
#include <event2/http.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/view/certjson.h"
#include "core/revocation/crlfetch.h"
#include "core/revocation/revcheck.h"
#include "core/revocation/revocation.h"
#include "crypto/x509.h"
#include "daemon/daemon.h"
#include "daemon/multipart.h"
#include "core/jobs/duties.h"
#include "daemon/jobs.h"
#include "net_transport.h"
#include "util/clock.h"
#include "util/text.h"

/* ---- settings ----------------------------------------------------------------------------------- */

void cf_route_revocation_get(cf_req *q)
{
	cf_route_settings_get(q, &cf_revocation_fields);
}

void cf_route_revocation_put(cf_req *q)
{
	cf_route_settings_put(q, &cf_revocation_fields);
}

/* POST /revocation/check: every certificate that can be asked, asked now (as `certfleet revocation
 * check`, audited the same); the answer is that command's JSON. Each exchange is bounded by the
 * settings' timeout, a responder that failed once is not asked again in the pass. On a worker, so
 * the loop answers everyone else while responders are asked. */
void cf_route_revocation_check(cf_req *q)
{
	cf_revcheck *p = NULL;
	cf_change c;
	cf_err e = {0};
	if (!cf_req_change(q, true))
		return;
	cf_change_begin(q, &c, "revocation check", "OCSP status of every certificate");
	cf_code rc = cf_revcheck_run(q->st, cf_net_transport(), cf_clock_now(), true, &p, &e);
	if (rc == CF_OK && !cf_revcheck_on(p))
		rc = cf_revcheck_off(&e);
	if (cf_change_end(q, &c, rc, &e)) {
		cf_duty_log_revoked(cf_runner_env(q->d->runner), p);
		cf_reply_json(q, 200, cf_json_revcheck(p));
	}
	cf_revcheck_free(p);
}

/* ---- CRLs --------------------------------------------------------------------------------------- */

void cf_route_crls(cf_req *q)
{
	cf_crlrow *v = NULL;
	size_t n = 0;
	cf_err e = {0};
	if (!cf_req_session(q))
		return;
	if (cf_store_crls(q->st, NULL, 0, &v, &n, &e) != CF_OK) {
		cf_reply_err(q, &e);
		return;
	}
	json_t *items = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(items, cf_json_crl(&v[i]));
	cf_crlrows_free(v, n);
	cf_reply_json(q, 200, json_pack("{s:o}", "items", items));
}

void cf_route_crl_add(cf_req *q)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(q->r);
	const char *type = evhttp_find_header(evhttp_request_get_input_headers(q->r), "Content-Type");
	size_t len = evbuffer_get_length(in);
	const uint8_t *crl = NULL;
	size_t crl_len = 0;
	const char *name = "pem";
	cf_revocation_crl_imported im;
	cf_form form;
	cf_err e = {0};
	cf_change c;
	memset(&im, 0, sizeof(im));
	if (!cf_req_change(q, true))
		return;
	if (type != NULL && strncasecmp(type, "multipart/", 10) == 0) {
		if (len > CF_DAEMON_UPLOAD_MAX) {
			cf_reply_error(q, 413, "too large", "the upload is larger than 20 MiB");
			return;
		}
		const uint8_t *body = evbuffer_pullup(in, -1);
		if (cf_multipart_parse(type, body, len, &form, &e) != CF_OK) {
			cf_reply_err(q, &e);
			return;
		}
		q->fields = json_object();
		for (size_t i = 0; i < form.n; i++) {
			if (strcmp(form.parts[i].name, "file") != 0) {
				cf_reply_field(q, 400, form.parts[i].name, "unknown form field (expected file)");
				return;
			}
		}
		const cf_part *file = cf_form_get(&form, "file");
		if (file == NULL || file->len == 0) {
			cf_reply_field(q, 400, "file", "choose the CRL file to upload");
			return;
		}
		name = file->filename[0] != '\0' && cf_text_clean(file->filename, strlen(file->filename))
			       ? file->filename
			       : "file";
		json_object_set_new(q->fields, "file", json_string(name));
		crl = file->data;
		crl_len = file->len;
	} else {
		bool bad = false;
		if (cf_req_json(q) == NULL)
			return;
		const char *pem = cf_req_text(q, "pem", true, &bad);
		if (bad)
			return;
		crl = (const uint8_t *)pem;
		crl_len = strlen(pem);
	}
	cf_change_begin(q, &c, "crl add", "%.200s", name);
	cf_code rc = cf_revocation_crl_import(q->st, name, crl, crl_len, "manual", cf_clock_now(), &im, &e);
	if (cf_change_end(q, &c, rc, &e)) {
		json_t *o = cf_json_crl(&im.row);
		json_object_set_new(o, "expired", json_boolean(im.expired));
		cf_reply_json(q, 200, o);
	}
	cf_crlrow_free(&im.row);
}

void cf_route_crl_delete(cf_req *q)
{
	cf_err e = {0};
	cf_change c;
	int64_t id = 0;
	if (strcmp(q->arg, "update") == 0) { /* POST /api/v1/crls/update */
		cf_reply_error(q, 405, "method not allowed", "this method is not allowed here");
		return;
	}
	if (!cf_req_change(q, true))
		return;
	size_t len = strlen(q->arg);
	if (len > 18 || strspn(q->arg, "0123456789") != len || (id = strtoll(q->arg, NULL, 10)) <= 0) {
		cf_reply_field(q, 400, "id", "a CRL id is a positive number (GET /api/v1/crls)");
		return;
	}
	cf_change_begin(q, &c, "crl remove", "CRL %lld", (long long)id);
	cf_code rc = cf_store_crl_delete(q->st, id, &e);
	if (cf_change_end(q, &c, rc, &e))
		cf_reply_json(q, 200, json_pack("{s:I, s:b}", "id", (json_int_t)id, "removed", 1));
}

/* POST: every distribution point downloaded now, each within its timeout (on a worker, while the
 * loop answers everyone else). */
void cf_route_crl_update(cf_req *q)
{
	cf_crlfetch_result *v = NULL;
	size_t n = 0;
	cf_change c;
	cf_err e = {0};
	if (!cf_req_change(q, true))
		return;
	cf_change_begin(q, &c, "crl update", "distribution points");
	cf_code rc = cf_crlfetch_update(q->st, cf_clock_now(), cf_net_transport()->download, &v, &n, &e);
	if (cf_change_end(q, &c, rc, &e)) {
		json_t *items = json_array();
		for (size_t i = 0; i < n; i++)
			json_array_append_new(items, json_pack("{s:s, s:b, s:s}", "url", v[i].url, "ok",
							       v[i].rc == CF_OK, "message", v[i].message));
		cf_reply_json(q, 200, json_pack("{s:o}", "items", items));
	}
	cf_crlfetch_results_free(v, n);
}

/* ---- distribution points and the daily download -------------------------------------------------- */

static void reply_dps(cf_req *q)
{
	cf_strv v = {0};
	cf_err e = {0};
	if (cf_crlfetch_dp_list(q->st, false, &v, &e) != CF_OK) {
		cf_reply_err(q, &e);
		return;
	}
	json_t *items = json_array();
	for (size_t i = 0; i < v.n; i++)
		json_array_append_new(items, json_string(v.v[i]));
	cf_strv_clear(&v);
	cf_reply_json(q, 200, json_pack("{s:o}", "items", items));
}

void cf_route_crl_dps(cf_req *q)
{
	if (cf_req_session(q))
		reply_dps(q);
}

void cf_route_crl_dp_add(cf_req *q)
{
	bool bad = false;
	cf_err e = {0};
	cf_change c;
	if (!cf_req_change(q, true) || cf_req_json(q) == NULL)
		return;
	const char *url = cf_req_str(q, "url", true, &bad);
	if (bad)
		return;
	if (!cf_text_clean(url, strlen(url)) || strlen(url) > 2000) {
		cf_reply_field(q, 400, "url", "url: expected an http:// or https:// URL on one line");
		return;
	}
	cf_change_begin(q, &c, "crl dp add", "%.500s", url);
	cf_code rc = cf_crlfetch_dp_add(q->st, url, &e);
	if (cf_change_end(q, &c, rc, &e))
		reply_dps(q);
}

void cf_route_crl_dp_delete(cf_req *q)
{
	cf_err e = {0};
	cf_change c;
	if (!cf_req_change(q, true))
		return;
	const char *url = cf_req_param(q, "url");
	if (url == NULL || url[0] == '\0' || !cf_text_clean(url, strlen(url)) || strlen(url) > 2000) {
		cf_reply_field(q, 400, "url", "url: give the distribution point to remove (?url=...)");
		return;
	}
	q->fields = json_pack("{s:s}", "url", url); /* errors name the parameter */
	cf_change_begin(q, &c, "crl dp remove", "%.500s", url);
	cf_code rc = cf_crlfetch_dp_remove(q->st, url, &e);
	if (cf_change_end(q, &c, rc, &e))
		reply_dps(q);
}

void cf_route_crl_schedule_get(cf_req *q)
{
	cf_route_settings_get(q, &cf_crlfetch_schedule_fields);
}

void cf_route_crl_schedule_put(cf_req *q)
{
	cf_route_settings_put(q, &cf_crlfetch_schedule_fields);
}

/* ---- one certificate's status ------------------------------------------------------------------- */

void cf_daemon_crls_clear(cf_daemon_crls *c)
{
	cf_crlset_free(c->set);
	*c = (cf_daemon_crls){0};
}

const cf_crlset *cf_req_crls(cf_req *q, cf_err *e)
{
	cf_daemon_crls *c = q->crls;
	int64_t version = cf_store_data_version(q->st), generation = 0;
	if (c->set != NULL && c->version == version)
		return c->set;
	/* the store changed (a login, an audit row, an OCSP answer...): its CRLs perhaps not */
	generation = cf_store_crl_generation(q->st);
	if (c->set != NULL && generation >= 0 && c->generation == generation) {
		c->version = version;
		return c->set;
	}
	cf_daemon_crls_clear(c);
	if (cf_crlset_load(q->st, NULL, &c->set, e) != CF_OK)
		return NULL;
	c->version = version;
	c->generation = generation;
	return c->set;
}

void cf_route_cert_revocation(cf_req *q)
{
	cf_certrow r = {0};
	const cf_crlset *set = NULL;
	cf_err e = {0};
	int64_t id = 0;
	char msg[512] = "";
	if (!cf_req_session(q) || !cf_req_id(q, &id))
		return;
	if (cf_store_cert_get(q->st, id, false, &r, &e) != CF_OK) {
		cf_reply_err(q, &e);
		return;
	}
	cf_cert *cert = cf_cert_from_der(r.der, r.der_len);
	if (cert == NULL) {
		cf_reply_error(q, 500, "internal error", "the stored certificate does not parse");
	} else if ((set = cf_req_crls(q, &e)) == NULL) {
		cf_reply_err(q, &e);
	} else {
		cf_revstatus crl = cf_crlset_lookup(set, cert, cf_clock_now(), msg, sizeof(msg));
		const char *source = NULL;
		cf_revcheckrow rec = {0};
		const char *word = cf_revocation_word(q->st, crl, r.facts.sha256, &source, &rec);
		if (strcmp(source, "ocsp") == 0) /* what OCSP said, where and when */
			cf_revcheck_describe(&rec, msg, sizeof(msg));
		cf_revcheckrow_free(&rec);
		cf_reply_json(q, 200, json_pack("{s:s, s:s, s:s}", "status", word, "source", source, "message", msg));
	}
	cf_cert_free(cert);
	cf_certrow_free(&r);
}
