/* The JSON of ACME accounts and of an identity's ACME state (see acmejson.h). */
#include "core/view/acmejson.h"

#include <stdlib.h>
#include <string.h>

#include "core/view/certjson.h"
#include "crypto/x509.h"
#include "util/buf.h"
#include "util/clock.h"

/* A time as RFC 3339, or null for 0. */
static json_t *when(int64_t t)
{
	char buf[32];
	if (t == 0)
		return json_null();
	cf_time_rfc3339(t, buf);
	return json_string(buf);
}

/* The staged chain's leaf as a certificate object (its issuers as chain_pem), or null. */
static json_t *staged(const cf_acmeidentity *r)
{
	if (r->staged_pem == NULL || r->staged_pem[0] == '\0')
		return json_null();
	cf_cert **v = NULL;
	size_t n = 0;
	if (cf_cert_parse_bundle("staged", (const uint8_t *)r->staged_pem, strlen(r->staged_pem), &v, &n, NULL) !=
	    CF_OK)
		return json_null();
	cf_certrow row = {.node_id = r->node_id,
			  .node = r->node,
			  .kind = CF_IDENTITY,
			  .name = r->purpose,
			  .distribution = "single-server",
			  .source = "acme",
			  .description = "",
			  .chain_pem = "",
			  .warnings = "[]",
			  .created = r->staged_at};
	json_t *o = NULL;
	if (cf_cert_facts(v[0], &row.facts, NULL) == CF_OK) {
		o = cf_json_cert(&row);
		char *pem = cf_cert_pem(v[0]);
		if (o != NULL && pem != NULL)
			json_object_set_new(o, "pem", json_string(pem));
		free(pem);
		cf_buf chain = {0};
		for (size_t i = 1; i < n; i++) {
			char *p = cf_cert_pem(v[i]);
			if (p != NULL)
				cf_buf_adds(&chain, p);
			free(p);
		}
		if (o != NULL)
			json_object_set_new(o, "chain_pem", json_string(chain.p != NULL ? chain.p : ""));
		cf_buf_free(&chain);
	}
	cf_facts_free(&row.facts);
	cf_certs_free(v, n);
	return o != NULL ? o : json_null();
}

/* {"at","status","error"} of the last sign or deploy, or null when there was none. */
static json_t *last(int64_t at, const char *status, const char *error)
{
	if (at == 0)
		return json_null();
	return json_pack("{s:o, s:s, s:s}", "at", when(at), "status", status ? status : "", "error",
			 error ? error : "");
}

json_t *cf_acmejson_state(const cf_acmeidentity *r)
{
	json_t *alts = json_array();
	const char *p = r->alternates != NULL ? r->alternates : "";
	while (alts != NULL && *p != '\0') {
		size_t len = strcspn(p, "\n");
		json_array_append_new(alts, json_stringn(p, len));
		p += len + (p[len] == '\n');
	}
	json_t *ari = r->ari_start != 0 ? json_pack("{s:o, s:o, s:o}", "start", when(r->ari_start), "end",
						    when(r->ari_end), "checked", when(r->ari_checked))
					: json_null();
	return json_pack(
		"{s:s, s:s, s:s, s:s, s:b, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:I, s:o, s:s, s:b, s:o, s:o}", "node",
		r->node ? r->node : "", "purpose", r->purpose, "account", r->account ? r->account : "", "state",
		r->state, "auto", r->auto_renew, "deploy_days", r->deploy_days ? r->deploy_days : "", "deploy_time",
		r->deploy_time ? r->deploy_time : "", "renew_at", when(r->renew_at), "ari", ari, "staged", staged(r),
		"last_sign", last(r->last_sign_at, r->last_sign_status, r->last_sign_error), "last_deploy",
		last(r->last_deploy_at, r->last_deploy_status, r->last_deploy_error), "failures",
		(json_int_t)r->failures, "next_try", when(r->next_try), "profile", r->profile ? r->profile : "",
		"profile_required", r->profile_required, "alternates", alts, "served", cf_json_served(&r->served));
}

json_t *cf_acmejson_account(const cf_acmeaccount *a)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:o}", "name", a->name, "directory", a->directory,
			 "email", a->email, "kid", a->kid, "ca_file", a->ca_file, "terms", a->terms, "eab_kid",
			 a->eab_kid, "created", when(a->created), "rolled", when(a->rolled));
}
