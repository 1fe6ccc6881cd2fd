/* The JSON of local CAs and what they issued, shared by the command line and the daemon. */
#ifndef CF_CAJSON_H
#define CF_CAJSON_H

#include <jansson.h>

#include "store/store.h"

/* {"name","parent"(null for a root or an imported CA),"subject","sha256","not_before","not_after",
 *  "imported","created","base_url","crl_url","ocsp_url" ("" without a base URL),"crl_validity",
 *  "crl_interval","ocsp_validity" (seconds),"crl_number","issued","revoked","ocsp_responder" ("ca" or
 *  "delegated"),"ocsp_answers" (certificates answered ahead; 0 unless listed),"ocsp_oldest" (their
 *  oldest thisUpdate, or null)}; times RFC 3339.
 * Never a key. NULL when out of memory. */
json_t *cf_cajson_ca(const cf_carow *r);
/* {"serial","subject","profile","not_after","issued_at","revoked_at"(null),"reason"(null or the
 *  RFC 5280 name)}. */
json_t *cf_cajson_issued(const cf_caissued *r);

#endif
