/* Local CAs on the API (SPEC §9, §11.4): GET|POST /api/v1/ca, GET /api/v1/ca/{name}, POST
 * /api/v1/ca/{name}/config|issue|revoke, GET /api/v1/ca/{name}/issued and /crl — the library calls
 * of `certfleet ca ...` with their --json shapes and audit rows ("ca create", "ca config", "ca
 * issue", "ca revoke", written by the library's own transaction). Changes run on a worker
 * (routes.c), so making a CA's RSA-4096 key never holds up the loop. No answer carries a key. */
#include <event2/http.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ca/ca.h"
#include "core/ca/revoke.h"
#include "core/ca/sign.h"
#include "core/view/cajson.h"
#include "crypto/x509.h"
#include "daemon/daemon.h"
#include "util/clock.h"

#define DAYS_MAX 36500			/* as the command line's --days */
#define PERIOD_MAX (10LL * 365 * 86400) /* as its periods: ten years */
#define PATHLEN_MAX 16

static json_t *when(int64_t t)
{
	char buf[32];
	if (t == 0)
		return json_null();
	cf_time_rfc3339(t, buf);
	return json_string(buf);
}

/* The error in the API's words: a command-line option the library names ("--base-url") becomes
 * the request field ("base_url"), and "CA name" the field "name", so the message and "field" say
 * what the API and the page call them. */
static void api_words(cf_err *e)
{
	char w[sizeof(e->subject)];
	size_t n = 0;
	if (strcmp(e->subject, "CA name") == 0) {
		cf_err_subject(e, "name");
		return;
	}
	if (strncmp(e->subject, "--", 2) != 0)
		return;
	for (const char *p = e->subject + 2; *p != '\0' && n + 1 < sizeof(w); p++)
		w[n++] = *p == '-' ? '_' : *p;
	w[n] = '\0';
	cf_err_subject(e, w);
}

/* A whole-number member of the body in [lo, hi] (dflt when absent); replies 400 naming it and
 * sets *bad when it is something else. */
static int64_t req_int(cf_req *q, const char *name, int64_t lo, int64_t hi, int64_t dflt, bool *bad)
{
	json_t *v = json_object_get(q->fields, name);
	char msg[128];
	if (*bad || v == NULL)
		return dflt;
	if (json_is_integer(v) && json_integer_value(v) >= lo && json_integer_value(v) <= hi)
		return (int64_t)json_integer_value(v);
	snprintf(msg, sizeof(msg), "%s: expected a whole number from %lld to %lld", name, (long long)lo, (long long)hi);
	cf_reply_field(q, 400, name, msg);
	*bad = true;
	return dflt;
}

/* Starts the audited change; the library arms its row in its own transaction (the command line's
 * action and object), so the row armed here is dropped: cf_change_end records a refusal. */
static void change_lib(cf_req *q, cf_change *c, const char *action, const char *object)
{
	cf_change_begin(q, c, action, "%s", object);
	cf_store_audit_disarm(q->st);
}

/* The CA of that name with its issued and revoked counts (cf_store_ca_get has none). */
static cf_code ca_counted(cf_store *st, const char *name, cf_carow *out, cf_err *e)
{
	cf_carow *v = NULL;
	size_t n = 0;
	cf_code rc = cf_store_ca_get(st, name, false, out, e);
	if (rc == CF_OK)
		rc = cf_store_ca_list(st, &v, &n, e);
	for (size_t i = 0; i < n; i++) {
		if (rc == CF_OK && v[i].id == out->id) {
			out->issued = v[i].issued;
			out->revoked = v[i].revoked;
		}
		cf_carow_free(&v[i]);
	}
	free(v);
	if (rc != CF_OK)
		cf_carow_free(out);
	return rc;
}

/* The CA as `ca list --json` has it, with its current CRL: "crl": {"number","this_update",
 * "next_update"}, or null when it has made none yet. */
static cf_code ca_json(cf_store *st, const cf_carow *r, json_t **out, cf_err *e)
{
	uint8_t *der = NULL;
	size_t len = 0;
	int64_t this_update = 0, next_update = 0;
	cf_err le = {0};
	json_t *crl = NULL;
	cf_code rc = cf_store_ca_crl_get(st, r->id, &der, &len, &this_update, &next_update, &le);
	free(der);
	if (rc == CF_E_NOTFOUND)
		crl = json_null();
	else if (rc == CF_OK)
		crl = json_pack("{s:I, s:o, s:o}", "number", (json_int_t)r->crl_number, "this_update",
				when(this_update), "next_update", when(next_update));
	else {
		if (e != NULL)
			*e = le;
		return rc;
	}
	json_t *o = cf_cajson_ca(r);
	if (o == NULL || crl == NULL) {
		json_decref(crl);
		json_decref(o);
		return cf_err_set(e, CF_E_INTERNAL, r->name, "out of memory");
	}
	if (json_object_set_new(o, "crl", crl) != 0) { /* it took crl either way */
		json_decref(o);
		return cf_err_set(e, CF_E_INTERNAL, r->name, "out of memory");
	}
	*out = o;
	return CF_OK;
}

/* Replies status with the CA of that name as the list has it (counts and CRL read again). */
static void reply_ca(cf_req *q, int status, const char *name)
{
	cf_carow r = {0};
	cf_err e = {0};
	json_t *o = NULL;
	cf_code rc = ca_counted(q->st, name, &r, &e);
	if (rc == CF_OK)
		rc = ca_json(q->st, &r, &o, &e);
	if (rc == CF_OK)
		cf_reply_json(q, status, o);
	else
		cf_reply_err(q, &e);
	cf_carow_free(&r);
}

/* Sends body as a file download: type, and NAME as its file name (safe characters only). */
static void reply_download(cf_req *q, const char *type, const char *name, const void *body, size_t len)
{
	char disposition[400];
	int start = snprintf(disposition, sizeof(disposition), "attachment; filename=\"");
	snprintf(disposition + start, sizeof(disposition) - (size_t)start, "%s\"", name);
	for (char *p = disposition + start; p[1] != '\0'; p++)
		if (strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_", *p) == NULL)
			*p = '_';
	evhttp_add_header(evhttp_request_get_output_headers(q->r), "Content-Disposition", disposition);
	cf_reply_bytes(q, 200, type, body, len);
}

void cf_route_ca_list(cf_req *q)
{
	cf_carow *v = NULL;
	size_t n = 0;
	cf_err e = {0};
	if (!cf_req_session(q))
		return;
	cf_code rc = cf_store_ca_list(q->st, &v, &n, &e);
	json_t *items = json_array();
	for (size_t i = 0; i < n; i++) {
		json_t *o = NULL;
		if (rc == CF_OK && (rc = ca_json(q->st, &v[i], &o, &e)) == CF_OK)
			json_array_append_new(items, o);
		cf_carow_free(&v[i]);
	}
	free(v);
	if (rc != CF_OK) {
		json_decref(items);
		cf_reply_err(q, &e);
		return;
	}
	cf_reply_json(q, 200, json_pack("{s:o}", "items", items));
}

/* The CA as the list has it, with "pem" (its certificate) and "chain_pem" (its certificate and its
 * parents' up to the root: what a certificate it issued verifies against). */
void cf_route_ca_get(cf_req *q)
{
	cf_carow r = {0};
	cf_cert *cert = NULL;
	char *pem = NULL, *chain = NULL;
	json_t *o = NULL;
	cf_err e = {0};
	if (!cf_req_session(q))
		return;
	cf_code rc = ca_counted(q->st, q->arg, &r, &e);
	if (rc == CF_OK)
		rc = cf_ca_chain_pem(q->st, &r, &chain, &e);
	if (rc == CF_OK && ((cert = cf_cert_from_der(r.der, r.der_len)) == NULL || (pem = cf_cert_pem(cert)) == NULL))
		rc = cf_err_set(&e, CF_E_INTERNAL, r.name, "cannot encode the CA certificate");
	if (rc == CF_OK)
		rc = ca_json(q->st, &r, &o, &e);
	if (rc == CF_OK) {
		json_object_set_new(o, "pem", json_string(pem));
		json_object_set_new(o, "chain_pem", json_string(chain));
		cf_reply_json(q, 200, o);
	} else {
		cf_reply_err(q, &e);
	}
	free(chain);
	free(pem);
	cf_cert_free(cert);
	cf_carow_free(&r);
}

/* POST {"name","parent"?,"key"?,"days"?,"subject"?,"pathlen"?,"hash"?}: ca create; 201 with the CA. */
void cf_route_ca_create(cf_req *q)
{
	static const char *const names[] = {"name", "parent", "key", "days", "subject", "pathlen", "hash", NULL};
	bool bad = false;
	cf_err e = {0};
	cf_change c;
	cf_carow r = {0};
	if (!cf_req_change(q, true) || cf_req_json(q) == NULL ||
	    !cf_req_known_fields(q, names, "name, parent, key, days, subject, pathlen, hash"))
		return;
	cf_ca_spec spec = {.name = cf_req_str(q, "name", true, &bad),
			   .parent = cf_req_str(q, "parent", false, &bad),
			   .key = cf_req_str(q, "key", false, &bad),
			   .subject = cf_req_str(q, "subject", false, &bad),
			   .hash = cf_req_str(q, "hash", false, &bad)};
	spec.days = (int)req_int(q, "days", 1, DAYS_MAX, 0, &bad);
	spec.pathlen = (int)req_int(q, "pathlen", 0, PATHLEN_MAX, -1, &bad);
	spec.pathlen_set = json_object_get(q->fields, "pathlen") != NULL;
	if (bad)
		return;
	change_lib(q, &c, "ca create", spec.name);
	cf_dlog(q->d, CF_LOG_INFO, "%s ca create by %s: %s", q->client, q->session->account, spec.name);
	cf_code rc = cf_ca_create(q->st, &c.actor, &spec, cf_clock_now(), &r, &e);
	if (rc != CF_OK)
		api_words(&e);
	if (cf_change_end(q, &c, rc, &e))
		reply_ca(q, 201, r.name);
	cf_carow_free(&r);
}

/* POST {"base_url"?,"crl_validity"?,"crl_interval"?,"ocsp_validity"?} (periods in seconds; a
 * member left out keeps its value, base_url "" clears it): ca config; the CA afterwards. */
void cf_route_ca_config(cf_req *q)
{
	static const char *const names[] = {"base_url", "crl_validity", "crl_interval", "ocsp_validity", NULL};
	bool bad = false;
	cf_err e = {0};
	cf_change c;
	cf_carow r = {0};
	if (!cf_req_change(q, true) || cf_req_json(q) == NULL ||
	    !cf_req_known_fields(q, names, "base_url, crl_validity, crl_interval, ocsp_validity"))
		return;
	cf_ca_settings set = {.base_url = cf_req_str_or_empty(q, "base_url", &bad)};
	set.crl_validity = req_int(q, "crl_validity", 1, PERIOD_MAX, -1, &bad);
	set.crl_interval = req_int(q, "crl_interval", 1, PERIOD_MAX, -1, &bad);
	set.ocsp_validity = req_int(q, "ocsp_validity", 1, PERIOD_MAX, -1, &bad);
	if (bad)
		return;
	change_lib(q, &c, "ca config", q->arg);
	cf_code rc = cf_ca_config(q->st, &c.actor, q->arg, &set, &r, &e);
	if (rc != CF_OK)
		api_words(&e);
	if (cf_change_end(q, &c, rc, &e))
		reply_ca(q, 200, q->arg);
	cf_carow_free(&r);
}

/* POST {"csr","profile"?,"days"?}: ca issue of one request (PEM); 201 {"serial","pem"}. */
void cf_route_ca_issue(cf_req *q)
{
	static const char *const names[] = {"csr", "profile", "days", NULL};
	bool bad = false;
	cf_err e = {0};
	cf_change c;
	char *pem = NULL, serial[64] = "";
	if (!cf_req_change(q, true) || cf_req_json(q) == NULL || !cf_req_known_fields(q, names, "csr, profile, days"))
		return;
	const char *csr = cf_req_text(q, "csr", true, &bad);
	cf_ca_issue_spec spec = {.profile = cf_req_str(q, "profile", false, &bad)};
	spec.days = (int)req_int(q, "days", 1, DAYS_MAX, 0, &bad);
	if (bad)
		return;
	change_lib(q, &c, "ca issue", q->arg);
	cf_code rc = cf_ca_issue(q->st, &c.actor, q->arg, &spec, "csr", (const uint8_t *)csr, strlen(csr),
				 cf_clock_now(), &pem, serial, &e);
	if (rc != CF_OK)
		api_words(&e);
	if (cf_change_end(q, &c, rc, &e))
		cf_reply_json(q, 201, json_pack("{s:s, s:s}", "serial", serial, "pem", pem));
	free(pem);
}

/* POST {"serial","reason"?}: ca revoke; the CA's CRL is made again in the same transaction.
 * {"ca","serial" (as the store writes it),"reason"}. */
void cf_route_ca_revoke(cf_req *q)
{
	static const char *const names[] = {"serial", "reason", NULL};
	bool bad = false;
	cf_err e = {0};
	cf_change c;
	char norm[64] = "", object[600];
	int reason = -1;
	if (!cf_req_change(q, true) || cf_req_json(q) == NULL || !cf_req_known_fields(q, names, "serial, reason"))
		return;
	const char *serial = cf_req_str(q, "serial", true, &bad), *why = cf_req_str(q, "reason", false, &bad);
	if (bad)
		return;
	bool readable = cf_ca_serial_parse(serial, norm, NULL) == CF_OK;
	snprintf(object, sizeof(object), "%s %s", q->arg, readable ? norm : serial);
	change_lib(q, &c, "ca revoke", object);
	cf_code rc = cf_ca_reason_parse(why, &reason, &e);
	if (rc == CF_OK)
		rc = cf_ca_revoke(q->st, &c.actor, q->arg, serial, reason, cf_clock_now(), &e);
	if (rc != CF_OK)
		api_words(&e);
	if (cf_change_end(q, &c, rc, &e))
		cf_reply_json(q, 200,
			      json_pack("{s:s, s:s, s:s}", "ca", q->arg, "serial", norm, "reason",
					why != NULL ? why : "unspecified"));
}

/* One issued certificate by serial (with "pem"; format=pem: the PEM as a download), or the revoked
 * ones (revoked=1; the store reads them without subject, profile and issue time). */
void cf_route_ca_issued(cf_req *q)
{
	const char *revoked = cf_req_param(q, "revoked"), *serial = cf_req_param(q, "serial"),
		   *format = cf_req_param(q, "format");
	cf_carow r = {0};
	cf_caissued one = {0}, *v = NULL;
	cf_cert *cert = NULL;
	char *pem = NULL, norm[64];
	size_t n = 0;
	cf_err e = {0};
	if (!cf_req_session(q))
		return;
	if (revoked != NULL && strcmp(revoked, "1") != 0) {
		cf_reply_field(q, 400, "revoked", "revoked: expected 1 (only the revoked certificates)");
		return;
	}
	if (format != NULL && strcmp(format, "json") != 0 && (strcmp(format, "pem") != 0 || serial == NULL)) {
		cf_reply_field(q, 400, "format", "format: expected json, or pem with serial");
		return;
	}
	if (revoked == NULL && serial == NULL) {
		cf_reply_field(q, 400, "revoked",
			       "revoked: the list holds the revoked certificates only (revoked=1); ask for another "
			       "one by serial");
		return;
	}
	if (serial != NULL && cf_ca_serial_parse(serial, norm, &e) != CF_OK) {
		cf_reply_field(q, 400, "serial",
			       "serial: expected a serial number in hex (at most 40 digits, not zero)");
		return;
	}
	cf_code rc = cf_store_ca_get(q->st, q->arg, false, &r, &e);
	if (rc == CF_OK && serial != NULL) {
		rc = cf_store_ca_issued_get(q->st, r.id, norm, &one, &e);
		if (rc == CF_OK &&
		    ((cert = cf_cert_from_der(one.der, one.der_len)) == NULL || (pem = cf_cert_pem(cert)) == NULL))
			rc = cf_err_set(&e, CF_E_INTERNAL, norm, "cannot encode the certificate");
	} else if (rc == CF_OK) {
		rc = cf_store_ca_revoked_list(q->st, r.id, &v, &n, &e);
	}
	if (rc != CF_OK) {
		cf_reply_err(q, &e);
	} else if (serial != NULL && format != NULL && strcmp(format, "pem") == 0) {
		char file[256];
		snprintf(file, sizeof(file), "%s-%s.pem", r.name, one.serial);
		reply_download(q, "application/x-pem-file", file, pem, strlen(pem));
	} else {
		json_t *items = json_array();
		if (serial != NULL && (revoked == NULL || one.revoked_at != 0)) {
			json_t *o = cf_cajson_issued(&one);
			json_object_set_new(o, "pem", json_string(pem));
			json_array_append_new(items, o);
		}
		for (size_t i = 0; i < n; i++)
			json_array_append_new(items, cf_cajson_issued(&v[i]));
		cf_reply_json(q, 200, json_pack("{s:o}", "items", items));
	}
	for (size_t i = 0; i < n; i++)
		cf_caissued_clear(&v[i]);
	free(v);
	free(pem);
	cf_cert_free(cert);
	cf_caissued_clear(&one);
	cf_carow_free(&r);
}

/* The CA's current CRL as DER (application/pkix-crl, NAME.crl), made first when it has none or it
 * has expired (as `ca crl`: not audited). */
void cf_route_ca_crl(cf_req *q)
{
	uint8_t *der = NULL;
	size_t len = 0;
	cf_err e = {0};
	if (!cf_req_session(q))
		return;
	if (cf_ca_crl_current(q->st, q->arg, cf_clock_now(), &der, &len, &e) != CF_OK) {
		cf_reply_err(q, &e);
		return;
	}
	char file[300];
	snprintf(file, sizeof(file), "%s.crl", q->arg);
	reply_download(q, "application/pkix-crl", file, der, len);
	free(der);
}
