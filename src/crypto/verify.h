/* Chain verification built for throughput (SPEC §4, §12): trust anchors and intermediates are
 * loaded once into an index by subject name; each entry's profile checks and the issuers that
 * verify its signature are worked out once, so a leaf costs one signature check per candidate
 * issuer and a bounded, backtracking walk over cached edges. Part of the crypto facade: no
 * OpenSSL types here. */
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
	CF_V_WEAK_KEY,		 /* RSA under 2048 bits, EC off P-256/384/521 or explicit, DSA */
	CF_V_WEAK_SIGNATURE,	 /* a certificate below the anchor signed with SHA-1 or older */
	CF_V_MALFORMED,		 /* outside RFC 5280's profile (duplicate or undecodable extension,
				  * missing AKI/SKI, CA basicConstraints not critical, ...) */
	CF_V_BUDGET,		 /* path building gave up (issuers tried, signatures checked) */
	CF_V_ISSUER_EKU,	 /* an issuer's extendedKeyUsage allows none of the leaf's */
} cf_vfail;

#define CF_VERIFY_MAX_DEPTH 10

typedef struct cf_vresult {
	cf_vfail fail;
	char message[256];
	cf_cert *chain[CF_VERIFY_MAX_DEPTH]; /* leaf first, anchor last (references) */
	size_t n;
	/* The chain passed, but the leaf's subject CN is outside an issuer's name constraints: it has
	 * a subjectAltName, so the CN is not one of its names, and a host must not match it. */
	bool cn_outside_constraints;
} cf_vresult;

/* An index for what the platforms store (uploads): weak keys, SHA-1 signatures, CAs without
 * basicConstraints and RFC 5280's finer points pass (the doctor reports them); certificates with
 * undecodable, repeated or unknown critical extensions, and everything about paths (signatures,
 * backtracking, path length, name constraints, EKU, dates), are checked as in a strict one. */
cf_trustidx *cf_trustidx_new(void);
/* An index for validation as a TLS peer would do it: every certificate of a chain also held to
 * RFC 5280's profile (openssl verify -x509_strict) and keys and hashes of 112 bits or more. */
cf_trustidx *cf_trustidx_new_strict(void);
/* NULL-safe. */
void cf_trustidx_free(cf_trustidx *idx);
/* Adds a certificate as a trust anchor or as an untrusted intermediate (takes a reference).
 * Call before verifying; the index is then read-only apart from its cache. */
cf_code cf_trustidx_add(cf_trustidx *idx, cf_cert *c, bool anchor, cf_err *e);
size_t cf_trustidx_anchors(const cf_trustidx *idx);

/* Builds and verifies the chain of leaf at time now: issuers from the index and from extra
 * (intermediates given with the leaf, any number), every signature, every issuer a CA, every
 * certificate within RFC 5280's profile (as `openssl verify -x509_strict` holds it) with a key of
 * at least 112 bits of strength and, below the anchor, a signature hash as strong; path lengths,
 * name constraints on the leaf's names (its CN only when it has no subjectAltName), unknown
 * critical extensions, and every chain certificate's validity (the leaf's own validity is the
 * caller's check). Every candidate issuer is tried, depth first (anchors, then issuers valid at
 * now, first), backtracking when a path fails; a path never holds the same subject and key twice,
 * and the walk gives up (CF_V_BUDGET) after a fixed number of steps. A leaf that is itself an
 * anchor is trusted. Safe to call from several threads at once. Returns CF_OK with out->fail set
 * to the outcome (the failure of the path that came closest); free out with cf_vresult_clear. */
cf_code cf_trustidx_verify(cf_trustidx *idx, const cf_cert *leaf, cf_cert *const *extra, size_t n_extra, int64_t now,
			   cf_vresult *out);
void cf_vresult_clear(cf_vresult *r);
/* Of the extended key usages eku (CF_EKU_*), those an issuer of the verified chain r (not the
 * leaf) restricts away with an extendedKeyUsage that lists neither them nor anyExtendedKeyUsage;
 * 0 when none. *at is then that issuer's position in r->chain. */
unsigned cf_vresult_issuer_eku_lacks(const cf_vresult *r, unsigned eku, size_t *at);
/* A short name of a failure ("no-issuer", "bad-signature", ...). */
const char *cf_vfail_name(cf_vfail f);

#endif
