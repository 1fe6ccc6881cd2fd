/* The JSON shapes of the tools `validate` and `trust fetch` (SPEC §3.6, §4), shared by the
 * command line's --json and the daemon's POST /api/v1/validate and /api/v1/trust/fetch. Every
 * function returns a new reference (jansson) or NULL when out of memory. */
#ifndef CF_TOOLJSON_H
#define CF_TOOLJSON_H

#include <jansson.h>

#include "core/check/fetch.h"
#include "core/check/validate.h"

/* A validation as `validate --json` prints it: {"ok", "checks": [{check, ok, message, rule (when
 * failed)}], "chain": [{subject, issuer, sha256}] (the chain built, leaf first)}. */
json_t *cf_tooljson_validation(const cf_validation *v);
/* A fetched chain as `trust fetch --json` prints it: target, host, port, starttls, sni, the
 * handshake's facts and "chain" (leaf first); starttls is what was asked for (NULL: none). */
json_t *cf_tooljson_fetch(const cf_fetch_result *r, const char *starttls);
/* Its "import" member: node, store, ids, count, skipped (the SHA-256 of the certificates left
 * out) and the outcome's nodes, notes, warnings and restart plan. */
json_t *cf_tooljson_fetch_import(const cf_fetch_result *r, const char *node, const char *store, const cf_outcome *out,
				 size_t skipped);

#endif
