/* The JSON of local CAs (see cajson.h). */
#include "core/view/cajson.h"

#include "core/ca/ca.h"
#include "crypto/issue.h"
#include "util/clock.h"

static json_t *when(int64_t t)
{
	char buf[32];
	if (t == 0)
		return json_null();
	cf_time_rfc3339(t, buf);
	return json_string(buf);
}

json_t *cf_cajson_ca(const cf_carow *r)
{
	char crl[512], ocsp[512];
	cf_ca_urls(r, crl, ocsp);
	return json_pack("{s:s,s:o,s:s,s:s,s:o,s:o,s:b,s:o,s:s,s:s,s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:s,s:I,s:o}", "name",
			 r->name, "parent", r->parent && r->parent[0] ? json_string(r->parent) : json_null(), "subject",
			 r->subject, "sha256", r->sha256, "not_before", when(r->not_before), "not_after",
			 when(r->not_after), "imported", r->imported, "created", when(r->created), "base_url",
			 r->base_url, "crl_url", crl, "ocsp_url", ocsp, "crl_validity", (json_int_t)r->crl_validity,
			 "crl_interval", (json_int_t)r->crl_interval, "ocsp_validity", (json_int_t)r->ocsp_validity,
			 "crl_number", (json_int_t)r->crl_number, "issued", (json_int_t)r->issued, "revoked",
			 (json_int_t)r->revoked, "ocsp_responder", r->ocsp_der_len ? "delegated" : "ca", "ocsp_answers",
			 (json_int_t)r->ocsp_answers, "ocsp_oldest", when(r->ocsp_oldest));
}

json_t *cf_cajson_issued(const cf_caissued *r)
{
	const char *reason = r->revoked_at == 0 ? NULL
			     : r->reason < 0	? "unspecified"
						: cf_issue_reason_name(r->reason);
	return json_pack("{s:s,s:s,s:s,s:o,s:o,s:o,s:o}", "serial", r->serial, "subject", r->subject ? r->subject : "",
			 "profile", r->profile ? r->profile : "", "not_after", when(r->not_after), "issued_at",
			 when(r->issued_at), "revoked_at", when(r->revoked_at), "reason",
			 reason ? json_string(reason) : json_null());
}
