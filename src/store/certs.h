/* The store's certificates: identities, trust certificates and phones' LSCs (part of store.h). */
#ifndef CF_STORE_CERTS_H
#define CF_STORE_CERTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/x509.h"
#include "util/err.h"
#include "util/strv.h"

typedef struct cf_store cf_store;

/* An identity of a node's purpose, a certificate of a node's trust store, or a phone's LSC kept
 * on the node whose CAPF issued it (name: the device name). */
/* CF_LOCAL_CA: a local CA's own certificate (store/ca.h), watched by the expiry monitor; not in
 * the certificates table. */
typedef enum cf_certkind { CF_IDENTITY = 1, CF_TRUST = 2, CF_LSC = 3, CF_LOCAL_CA = 4 } cf_certkind;

typedef struct cf_certrow {
	int64_t id;
	int64_t node_id;
	char *node; /* FQDN; filled when read */
	cf_certkind kind;
	char *name;   /* purpose (identity), trust store (trust) or device name (LSC) */
	uint8_t *der; /* NULL in listings */
	size_t der_len;
	cf_facts facts;
	char *distribution; /* "single-server" | "multi-server" */
	char *source;	    /* "self-signed" | "csr" | "upload" | ... */
	char *description;
	char *chain_pem;	/* identity: issuer certificates, PEM; "" when none */
	char *key_pem;		/* identity: only when asked for; freed with cf_secret_free */
	char *warnings;		/* JSON array of {"rule","message"} */
	char anchor_sha256[65]; /* identity: the trust certificate its chain ended at, LSC: its issuer ("" unknown) */
	int64_t created;
} cf_certrow;

void cf_certrow_free(cf_certrow *r);

typedef struct cf_certfilter {
	const char *node;	 /* FQDN */
	const char *purpose;	 /* identity purpose */
	const char *store;	 /* trust store */
	const char *begins_with; /* on the common name or the purpose/store name */
	int64_t expiring_before; /* not_after <= this; 0 for no filter */
	int kind;		 /* 0 identities and trust, or a cf_certkind */
	int64_t offset, limit;	 /* cf_store_cert_each: skip offset rows, walk at most limit (0: all) */
	bool shown_only;	 /* cf_store_cert_each: rows with what a listing shows (cf_certjson_write's
				  * fields, the node and its id) and nothing more */
} cf_certfilter;

/* Re-validation of stored certificates from their stored facts alone (SPEC §12). */
typedef struct cf_revalidation {
	int64_t total, ok, expired, not_yet_valid, anchor_missing;
} cf_revalidation;

/* ---- reads ---- */

/* One certificate by id (with DER; key only when with_key). */
cf_code cf_store_cert_get(cf_store *st, int64_t id, bool with_key, cf_certrow *out, cf_err *e);
/* The identity of (node, purpose); CF_E_NOTFOUND when there is none. */
cf_code cf_store_identity_get(cf_store *st, int64_t node_id, const char *purpose, bool with_key, cf_certrow *out,
			      cf_err *e);
/* The certificate of one kind and name on a node (an identity, a device's LSC); CF_E_NOTFOUND
 * when there is none. */
cf_code cf_store_named_get(cf_store *st, int64_t node_id, cf_certkind kind, const char *name, bool with_key,
			   cf_certrow *out, cf_err *e);
/* The number of certificates matching f (offset and limit aside). Cached per filter until the
 * store changes, in this process or any other: listing pages of 100,000 certificates does not
 * count them again for every page. */
cf_code cf_store_cert_count(cf_store *st, const cf_certfilter *f, int64_t *n, cf_err *e);
/* Calls fn for each matching certificate (no DER, no key), ordered by node, kind, name, id.
 * A non-zero return from fn stops the walk and is returned. The row is valid only during fn. */
cf_code cf_store_cert_each(cf_store *st, const cf_certfilter *f, int (*fn)(void *ctx, const cf_certrow *r), void *ctx,
			   cf_err *e);
/* Checks every certificate (of one node when node is non-NULL) at time now: validity, and for
 * identities that the trust certificate their chain ended at is still in the node's trust
 * stores. Calls fn (when non-NULL) for each failure with its rule id ("expired",
 * "not-yet-valid", "untrusted-issuer"); the row holds id, node, kind, name, cn and dates. */
cf_code cf_store_revalidate(cf_store *st, const char *node, int64_t now,
			    int (*fn)(void *ctx, const cf_certrow *r, const char *rule), void *ctx,
			    cf_revalidation *out, cf_err *e);
/* The FQDNs of the nodes whose identity (of any purpose) is the certificate with this SHA-256,
 * appended to nodes. */
cf_code cf_store_identity_nodes(cf_store *st, const char *sha256, cf_strv *nodes, cf_err *e);
/* The id of a trust certificate with this SHA-256 in (node, store) in *id, 0 when there is none. */
cf_code cf_store_trust_find(cf_store *st, int64_t node_id, const char *store, const char *sha256, int64_t *id,
			    cf_err *e);
/* How many trust certificates (node, store) holds. */
cf_code cf_store_trust_count(cf_store *st, int64_t node_id, const char *store, int64_t *n, cf_err *e);
/* What (node, store) already holds of each of n certificates about to be added (facts[i]), as
 * flags in known[i]: CF_TRUST_HELD, a trust certificate with its SHA-256; CF_TRUST_OTHER_CN, one
 * with its CN (when not empty) and another SHA-256. A few queries for any number: a bundle of
 * 100,000 is asked about 256 at a time. */
#define CF_TRUST_HELD 1
#define CF_TRUST_OTHER_CN 2
cf_code cf_store_trust_known(cf_store *st, int64_t node_id, const char *store, const cf_facts *facts, size_t n,
			     unsigned char *known, cf_err *e);
/* DER of every trust certificate of (node, store), or of every store of the node when store
 * is NULL. *out is an array of *n owned certificates. */
cf_code cf_store_trust_certs(cf_store *st, int64_t node_id, const char *store, cf_cert ***out, size_t *n, cf_err *e);

/* ---- writes (inside cf_store_begin/commit) ---- */

cf_code cf_store_cert_insert(cf_store *st, cf_certrow *r, cf_err *e); /* sets r->id */
/* Inserts rows[0..n) as n cf_store_cert_insert calls in that order would (the same ids, each in
 * rows[i].id), with multi-row INSERTs of up to 256 rows: a bundle's thousands of rows take a
 * statement each 256, not one each. */
cf_code cf_store_cert_insert_many(cf_store *st, cf_certrow *rows, size_t n, cf_err *e);
cf_code cf_store_cert_delete(cf_store *st, int64_t id, cf_err *e);
/* Deletes the certificates with these ids (256 a statement). */
cf_code cf_store_cert_delete_many(cf_store *st, const int64_t *ids, size_t n, cf_err *e);
cf_code cf_store_identity_delete(cf_store *st, int64_t node_id, const char *purpose, cf_err *e);
/* Deletes the certificates of one kind and name on a node (an identity, a device's LSC). */
cf_code cf_store_named_delete(cf_store *st, int64_t node_id, cf_certkind kind, const char *name, cf_err *e);

#endif
