/* Chain verification built for throughput (SPEC §4, §12): trust anchors and intermediates are
 * loaded once into an index by subject name; an intermediate's own path to an anchor is verified
 * once and remembered by fingerprint, so each leaf costs one signature check. Part of the crypto
 * facade: no OpenSSL types here. */
#ifndef CF_VERIFY_H
#define CF_VERIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/x509.h"

typedef struct cf_trustidx cf_trustidx;

typedef enum cf_vfail {
	CF_V_OK = 0,
	CF_V_NO_ISSUER,		 /* no issuer found among anchors and intermediates */
	CF_V_BAD_SIGNATURE,	 /* an issuer's key does not verify the signature */
	CF_V_EXPIRED,		 /* a chain certificate (not the leaf) has expired */
	CF_V_NOT_YET_VALID,	 /* a chain certificate (not the leaf) is not valid yet */
	CF_V_NOT_CA,		 /* an issuer is not a CA (basicConstraints/keyUsage) */
	CF_V_TOO_LONG,		 /* more than CF_VERIFY_MAX_DEPTH certificates */
	CF_V_UNREADABLE,	 /* a certificate OpenSSL does not accept */
	CF_V_PATH_LENGTH,	 /* an issuer\'s pathLenConstraint is exceeded */
	CF_V_NAME_CONSTRAINTS,	 /* a name outside an issuer\'s name constraints */
	CF_V_CRITICAL_EXTENSION, /* a critical extension certfleet cannot process */
} cf_vfail;

#define CF_VERIFY_MAX_DEPTH 10

typedef struct cf_vresult {
	cf_vfail fail;
	char message[256];
	cf_cert *chain[CF_VERIFY_MAX_DEPTH]; /* leaf first, anchor last (references) */
	size_t n;
} cf_vresult;

cf_trustidx *cf_trustidx_new(void);
/* NULL-safe. */
void cf_trustidx_free(cf_trustidx *idx);
/* Adds a certificate as a trust anchor or as an untrusted intermediate (takes a reference).
 * Call before verifying; the index is then read-only apart from its cache. */
cf_code cf_trustidx_add(cf_trustidx *idx, cf_cert *c, bool anchor, cf_err *e);
size_t cf_trustidx_anchors(const cf_trustidx *idx);

/* Builds and verifies the chain of leaf at time now: issuers from the index and from extra
 * (intermediates given with the leaf), every signature, every issuer a CA, path lengths, name
 * constraints, unknown critical extensions, and every chain certificate's validity (the leaf's
 * own validity is the caller's check); among several issuers, one valid at now is tried first.
 * A leaf that is itself an anchor is trusted. Safe to call from several threads at once. Returns
 * CF_OK with out->fail set to the outcome; free out with cf_vresult_clear. */
cf_code cf_trustidx_verify(cf_trustidx *idx, const cf_cert *leaf, cf_cert *const *extra, size_t n_extra, int64_t now,
			   cf_vresult *out);
void cf_vresult_clear(cf_vresult *r);
/* A short name of a failure ("no-issuer", "bad-signature", ...). */
const char *cf_vfail_name(cf_vfail f);

#endif
