/* The JSON shapes of SPEC §11.2, shared by the command line and the daemon. Every function
 * returns a new reference (jansson) or NULL when out of memory. */
#ifndef CF_CERTJSON_H
#define CF_CERTJSON_H

#include <jansson.h>

#include "core/deploy.h"
#include "core/identity.h"
#include "core/plan.h"
#include "store/store.h"
#include "util/buf.h"

/* Certificate object: id, node, purpose|store, subject, ... warnings. */
json_t *cf_json_cert(const cf_certrow *r);
/* The same object as compact JSON text appended to b (what listings stream). */
void cf_certjson_write(cf_buf *b, const cf_certrow *r);
/* CSR object: node, purpose, subject, san, key_usage, ext_key_usage, key_type, key_bits, hash, pem. */
json_t *cf_json_csr(const cf_csr_view *v);
json_t *cf_json_node(const cf_node *n);
json_t *cf_json_plan(const cf_plan *p);
json_t *cf_json_warnings(const cf_warnings *w);
json_t *cf_json_deploy(const cf_deploy_report *r);

#endif
