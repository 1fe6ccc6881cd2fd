/* The JSON of ACME accounts and of an identity's ACME state (SPEC §11.4's `acme list` item),
 * shared by the command line and the daemon. */
#ifndef CF_ACMEJSON_H
#define CF_ACMEJSON_H

#include <jansson.h>

#include "store/store.h"

/* {"node","purpose","account","state","auto","deploy_days","deploy_time","renew_at","ari":{"start","end","checked"}|null,
 *  "staged":CERT (with pem and chain_pem: the CA's chain)|null,"last_sign":{"at","status","error"}|null,"last_deploy":{...}|null,
 *  "failures","next_try","profile","profile_required","alternates":[URL...],
 *  "served":{"address","checked_at","sha256","stored_sha256","matches","error"}|null (the last
 *  served check, certjson.h's cf_json_served)}; times RFC 3339 or null. NULL when out
 * of memory. */
json_t *cf_acmejson_state(const cf_acmeidentity *r);
/* {"name","directory","email","kid","ca_file","terms","eab_kid","created","rolled"} (rolled null
 * until a rollover); never a key. NULL when out of memory. */
json_t *cf_acmejson_account(const cf_acmeaccount *a);

#endif
