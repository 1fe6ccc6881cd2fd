/* Validation of a certificate as a TLS peer would see it (SPEC §4): identity against a host
 * name, validity, key usage for a purpose, and the chain to a trust store. Each check carries the
 * rule id the doctor and uploads use for the same problem. */
#ifndef CF_VALIDATE_H
#define CF_VALIDATE_H

#include "core/model/profile.h"
#include "crypto/verify.h"
#include "store/store.h"

typedef struct cf_check {
	const char *check; /* "identity", "validity", "key-usage", "chain", "revocation" */
	bool ok;
	const char *rule; /* when failed: "name-mismatch", "expired", "eku-missing", "chain-incomplete", ... */
	char message[320];
} cf_check;

typedef struct cf_validation {
	bool ok;
	cf_check checks[6];
	size_t n;
	cf_vresult chain; /* the chain that was built (leaf first) */
} cf_validation;

/* What a revocation source says about a certificate. */
typedef enum cf_revstatus {
	CF_REV_GOOD,	    /* not revoked */
	CF_REV_REVOKED,	    /* revoked (or, by the fallback setting, treated as revoked) */
	CF_REV_CRL_EXPIRED, /* the issuer's newest CRL has expired: its certificates are invalid */
	CF_REV_UNKNOWN,	    /* no status could be had (and the fallback treats that as not revoked) */
} cf_revstatus;

/* A revocation source (CRL or OCSP, SPEC §6): given the verified chain (leaf first), what is the
 * leaf's status; msg gets a short reason. Called from several threads at once in batch mode. */
typedef cf_revstatus (*cf_validate_revocation_fn)(void *ctx, const cf_vresult *chain, int64_t now, char *msg,
						  size_t msg_len);

typedef struct cf_validate_opts {
	const char *host;		      /* NULL: no identity check */
	const cf_purpose *purpose;	      /* NULL: no key-usage check */
	cf_trustidx *trust;		      /* NULL: no chain check */
	cf_validate_revocation_fn revocation; /* NULL: no revocation check (no CRL/OCSP source configured) */
	void *revocation_ctx;
	int64_t now;
} cf_validate_opts;

/* Validates leaf (with intermediates given alongside it in extra). */
cf_code cf_validate_cert(const cf_validate_opts *o, const cf_cert *leaf, cf_cert *const *extra, size_t n_extra,
			 cf_validation *out, cf_err *e);
/* Validates many leaves on every core; out[i] for leaves[i]. */
void cf_validate_batch(const cf_validate_opts *o, cf_cert *const *leaves, size_t n, cf_validation *out);
void cf_validation_clear(cf_validation *v);
/* The rule of the first failed check, or "ok". */
const char *cf_validation_outcome(const cf_validation *v);

/* Whether host matches the certificate's names: DNS SANs (the CN only when there is no DNS
 * SAN; a wildcard covers exactly one left-most label), IP addresses only against IP SANs. */
bool cf_host_matches(const cf_facts *f, const char *host);
/* The same against the subjectAltNames alone, never the CN (what clients do once the SAN has a
 * DNS name; an upload's gate asks this of the node's name). */
bool cf_host_matches_san(const cf_facts *f, const char *host);

/* Adds every trust certificate of (node, store) to idx as anchors (an empty store adds none). */
cf_code cf_validate_load_store(cf_store *st, const char *node, const char *store, cf_trustidx *idx, cf_err *e);
/* Adds every certificate of a PEM bundle or DER certificate (buf, len; errors name `name`) to
 * idx: as trust anchors when anchor, else as untrusted intermediates. */
cf_code cf_validate_add_bundle(cf_trustidx *idx, const char *name, const uint8_t *buf, size_t len, bool anchor,
			       cf_err *e);

#endif
