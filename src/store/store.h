/* The store: everything one deployment holds (clusters, nodes, certificates, pending CSRs,
 * deploy targets), behind portable SQL over a driver table (db.h). Every change a command
 * makes runs inside one cf_store_begin/commit pair. Records are plain data owned by the
 * caller; free them with the matching _free function. */
#ifndef CF_STORE_H
#define CF_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "crypto/x509.h"
#include "util/err.h"
#include "util/strv.h"

typedef struct cf_store cf_store;

/* Opens the store at path (a file name for SQLite). create: make it (mode 0600) when absent.
 * Brings the schema up to date in one transaction. */
/* Whether target names a store this build can open (a file path): a URL is CF_E_USAGE, naming
 * the engine when it is one certfleet knows. */
cf_code cf_store_target_check(const char *target, cf_err *e);
cf_code cf_store_open(const char *path, bool create, cf_store **out, cf_err *e);
void cf_store_close(cf_store *st);
/* The schema version the store is at. */
int cf_store_schema_version(cf_store *st);

/* Transactions: begin takes the write lock at once; rollback is NULL-safe on a store
 * without an open transaction. */
cf_code cf_store_begin(cf_store *st, cf_err *e);
cf_code cf_store_commit(cf_store *st, cf_err *e);
void cf_store_rollback(cf_store *st);

/* ---- clusters ------------------------------------------------------------------------------ */

typedef struct cf_cluster {
	int64_t id;
	char *name;
	char *fqdn;   /* "" when not set */
	cf_strv keys; /* settings, parallel to values */
	cf_strv values;
} cf_cluster;

void cf_cluster_free(cf_cluster *c);
/* The value of a setting, or NULL when it is not set (borrowed). */
const char *cf_cluster_get(const cf_cluster *c, const char *key);

cf_code cf_store_cluster_add(cf_store *st, const char *name, const char *fqdn, int64_t *id, cf_err *e);
cf_code cf_store_cluster_set_fqdn(cf_store *st, int64_t id, const char *fqdn, cf_err *e);
cf_code cf_store_cluster_get(cf_store *st, const char *name, int64_t id, cf_cluster *out, cf_err *e);
/* Sets (value non-NULL) or removes (NULL) one setting. */
cf_code cf_store_cluster_setting(cf_store *st, int64_t id, const char *key, const char *value, cf_err *e);
/* Deletes a cluster and its settings (the caller checks it has no nodes: the store refuses). */
cf_code cf_store_cluster_delete(cf_store *st, int64_t id, cf_err *e);

/* A cluster as `cluster list` shows it. */
typedef struct cf_clusterinfo {
	char *name, *fqdn; /* fqdn "" when not set */
	int64_t nodes;
} cf_clusterinfo;
void cf_clusterinfos_free(cf_clusterinfo *v, size_t n);
/* Every cluster, by name, with its number of nodes. */
cf_code cf_store_clusters(cf_store *st, cf_clusterinfo **out, size_t *n, cf_err *e);

/* ---- nodes ------------------------------------------------------------------------------------ */

typedef struct cf_node {
	int64_t id;
	char *fqdn;
	int64_t cluster_id;
	char *cluster;
	char *product;
	bool publisher;
	char *ip; /* "" when not set */
} cf_node;

void cf_node_free(cf_node *n);
void cf_nodes_free(cf_node *v, size_t n);

cf_code cf_store_node_add(cf_store *st, cf_node *n, cf_err *e); /* sets n->id */
/* By FQDN (case-insensitive); CF_E_NOTFOUND names the node. */
cf_code cf_store_node_get(cf_store *st, const char *fqdn, cf_node *out, cf_err *e);
/* All nodes, or those of one cluster (cluster_id > 0): by cluster name, publishers first, then
 * by FQDN. */
cf_code cf_store_nodes(cf_store *st, int64_t cluster_id, cf_node **out, size_t *n, cf_err *e);
/* Deletes a node with everything kept on it: identities, trust certificates, LSCs, pending CSRs,
 * deploy targets, notifications. */
cf_code cf_store_node_delete(cf_store *st, int64_t id, cf_err *e);

/* ---- certificates ------------------------------------------------------------------------------ */

/* An identity of a node's purpose, a certificate of a node's trust store, or a phone's LSC kept
 * on the node whose CAPF issued it (name: the device name). */
typedef enum cf_certkind { CF_IDENTITY = 1, CF_TRUST = 2, CF_LSC = 3 } cf_certkind;

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
} cf_certfilter;

cf_code cf_store_cert_insert(cf_store *st, cf_certrow *r, cf_err *e); /* sets r->id */
cf_code cf_store_cert_delete(cf_store *st, int64_t id, cf_err *e);
/* One certificate by id (with DER; key only when with_key). */
cf_code cf_store_cert_get(cf_store *st, int64_t id, bool with_key, cf_certrow *out, cf_err *e);
/* The identity of (node, purpose); CF_E_NOTFOUND when there is none. */
cf_code cf_store_identity_get(cf_store *st, int64_t node_id, const char *purpose, bool with_key, cf_certrow *out,
			      cf_err *e);
/* The certificate of one kind and name on a node (an identity, a device's LSC); CF_E_NOTFOUND
 * when there is none. */
cf_code cf_store_named_get(cf_store *st, int64_t node_id, cf_certkind kind, const char *name, bool with_key,
			   cf_certrow *out, cf_err *e);
cf_code cf_store_identity_delete(cf_store *st, int64_t node_id, const char *purpose, cf_err *e);
/* Deletes the certificates of one kind and name on a node (an identity, a device's LSC). */
cf_code cf_store_named_delete(cf_store *st, int64_t node_id, cf_certkind kind, const char *name, cf_err *e);
/* A number that changes whenever the store changes, in this process or any other (what cached
 * results are checked against). */
int64_t cf_store_data_version(cf_store *st);
/* The number of certificates matching f (offset and limit aside). Cached per filter until the
 * store changes, in this process or any other: listing pages of 100,000 certificates does not
 * count them again for every page. */
cf_code cf_store_cert_count(cf_store *st, const cf_certfilter *f, int64_t *n, cf_err *e);
/* Calls fn for each matching certificate (no DER, no key), ordered by node, kind, name, id.
 * A non-zero return from fn stops the walk and is returned. The row is valid only during fn. */
cf_code cf_store_cert_each(cf_store *st, const cf_certfilter *f, int (*fn)(void *ctx, const cf_certrow *r), void *ctx,
			   cf_err *e);
/* Re-validation of stored certificates from their stored facts alone (SPEC §12). */
typedef struct cf_revalidation {
	int64_t total, ok, expired, not_yet_valid, anchor_missing;
} cf_revalidation;

/* Checks every certificate (of one node when node is non-NULL) at time now: validity, and for
 * identities that the trust certificate their chain ended at is still in the node's trust
 * stores. Calls fn (when non-NULL) for each failure with its rule id ("expired",
 * "not-yet-valid", "untrusted-issuer"); the row holds id, node, kind, name, cn and dates. */
cf_code cf_store_revalidate(cf_store *st, const char *node, int64_t now,
			    int (*fn)(void *ctx, const cf_certrow *r, const char *rule), void *ctx,
			    cf_revalidation *out, cf_err *e);
/* The id of a trust certificate with this SHA-256 in (node, store), or 0. */
int64_t cf_store_trust_find(cf_store *st, int64_t node_id, const char *store, const char *sha256);
/* How many trust certificates (node, store) holds. */
int64_t cf_store_trust_count(cf_store *st, int64_t node_id, const char *store);
/* Whether (node, store) holds a trust certificate with this CN but another SHA-256. */
bool cf_store_trust_cn_exists(cf_store *st, int64_t node_id, const char *store, const char *cn, const char *sha256);
/* DER of every trust certificate of (node, store), or of every store of the node when store
 * is NULL. *out is an array of *n owned certificates. */
cf_code cf_store_trust_certs(cf_store *st, int64_t node_id, const char *store, cf_cert ***out, size_t *n, cf_err *e);

/* ---- pending CSRs ------------------------------------------------------------------------------ */

typedef struct cf_csrrow {
	int64_t node_id;
	char *purpose;
	uint8_t *der;
	size_t der_len;
	char *key_pem; /* freed with cf_secret_free */
	char *distribution;
	char *hash;
	int64_t created;
} cf_csrrow;

void cf_csrrow_free(cf_csrrow *r);
/* Replaces any pending CSR of (node, purpose). */
cf_code cf_store_csr_put(cf_store *st, const cf_csrrow *r, cf_err *e);
cf_code cf_store_csr_get(cf_store *st, int64_t node_id, const char *purpose, cf_csrrow *out, cf_err *e);
cf_code cf_store_csr_delete(cf_store *st, int64_t node_id, const char *purpose, cf_err *e);

/* ---- deploy targets --------------------------------------------------------------------------- */

typedef struct cf_target {
	int64_t node_id;
	char *purpose;
	char *cert_path, *key_path, *chain_path; /* "" when not deployed */
	char *owner;				 /* "user[:group]" or "" */
	int mode;				 /* certificate and chain mode; keys are always 0600 */
	char *reload;				 /* shell command, or "" */
} cf_target;

void cf_target_free(cf_target *t);
cf_code cf_store_target_set(cf_store *st, const cf_target *t, cf_err *e);
/* Targets of a node (and one purpose when purpose is non-NULL). */
cf_code cf_store_targets(cf_store *st, int64_t node_id, const char *purpose, cf_target **out, size_t *n, cf_err *e);

/* ---- accounts --------------------------------------------------------------------------------- */

typedef struct cf_user {
	int64_t id;
	char *name;
	char *role;	     /* "admin" | "read-only" */
	char *password_hash; /* "$scrypt$..."; never printed */
	int64_t created;
	int64_t failed_logins;
	int64_t locked_until; /* epoch seconds; 0 when not locked */
} cf_user;

void cf_user_free(cf_user *u);
void cf_users_free(cf_user *v, size_t n);
/* Adds a user (sets u->id and keeps u->created); CF_E_STATE when the name is taken. */
cf_code cf_store_user_add(cf_store *st, cf_user *u, cf_err *e);
/* By name; CF_E_NOTFOUND names the user. */
cf_code cf_store_user_get(cf_store *st, const char *name, cf_user *out, cf_err *e);
/* Every user, by name (password hashes included; callers never print them). */
cf_code cf_store_users(cf_store *st, cf_user **out, size_t *n, cf_err *e);
/* CF_E_NOTFOUND when there is no such user. */
cf_code cf_store_user_delete(cf_store *st, const char *name, cf_err *e);
/* Replaces the password hash (and clears failed logins and any lock); CF_E_NOTFOUND. */
cf_code cf_store_user_set_password(cf_store *st, const char *name, const char *password_hash, cf_err *e);
/* Records the outcome of a login: the consecutive failures and until when (epoch seconds, 0 for
 * not) the account is locked. CF_E_NOTFOUND when there is no such user. */
cf_code cf_store_user_set_login_state(cf_store *st, const char *name, int64_t failed_logins, int64_t locked_until,
				      cf_err *e);

/* ---- audit log ---------------------------------------------------------------------------------- */

typedef struct cf_auditrow {
	int64_t id;
	int64_t at; /* epoch seconds */
	char *account, *client, *action, *object, *result;
} cf_auditrow;

void cf_auditrows_free(cf_auditrow *v, size_t n);
/* Arms the audit row of the change about to be made: the next cf_store_commit appends it (result
 * "ok") inside the same transaction, so a change and its row land together or not at all. A
 * rollback disarms it; arming again replaces it. */
void cf_store_audit_pending(cf_store *st, const char *account, const char *client, const char *action,
			    const char *object);
void cf_store_audit_disarm(cf_store *st);
/* Whether a commit has written the armed row since it was last armed. */
bool cf_store_audit_written(const cf_store *st);
/* Appends one row (its id is returned in *id when id is non-NULL). */
cf_code cf_store_audit_append(cf_store *st, const cf_auditrow *r, int64_t *id, cf_err *e);
/* Rows newest first, skipping offset and returning at most limit; *total is the count of all. */
cf_code cf_store_audit_list(cf_store *st, int64_t limit, int64_t offset, cf_auditrow **out, size_t *n, int64_t *total,
			    cf_err *e);

/* ---- deployment-wide settings and the expiry monitor's ledger ------------------------------ */

/* A setting's text (*out, caller frees), or *out NULL when it was never set. */
cf_code cf_store_setting_get(cf_store *st, const char *key, char **out, cf_err *e);
/* Sets a setting; value NULL removes it. */
cf_code cf_store_setting_set(cf_store *st, const char *key, const char *value, cf_err *e);

/* A certificate the monitor watches, with its ledger entry (zeros when it has none). The ledger
 * is keyed by the certificate itself (node, kind, name, sha256): a renewal starts afresh. */
typedef struct cf_watchrow {
	int64_t node_id;
	const char *node, *name, *cn, *serial, *sha256;
	cf_certkind kind;
	int64_t not_after;
	int64_t last_sent;    /* when its last notification was delivered (0: never) */
	int64_t queued;	      /* when the notification now waiting was queued (0: none waiting) */
	int64_t attempts;     /* failed deliveries of the waiting one */
	int64_t next_attempt; /* when to try it again */
} cf_watchrow;

/* Calls fn for each certificate with not_after <= until (endpoints' LSCs only when lsc), soonest
 * first (rows valid during fn); a non-zero return stops the walk and is returned. */
cf_code cf_store_watch_each(cf_store *st, int64_t until, bool lsc, int (*fn)(void *ctx, const cf_watchrow *r),
			    void *ctx, cf_err *e);
/* Writes the ledger entry of r's certificate (insert or replace). */
cf_code cf_store_ledger_put(cf_store *st, const cf_watchrow *r, cf_err *e);
/* Drops the entries of certificates that are gone, and the waiting notifications of those no
 * longer expiring by until (or of LSCs, unless lsc). */
cf_code cf_store_ledger_prune(cf_store *st, int64_t until, bool lsc, cf_err *e);
/* Notifications waiting, and the soonest retry among them (0 when none). */
cf_code cf_store_ledger_pending(cf_store *st, int64_t *pending, int64_t *next_attempt, cf_err *e);
/* The soonest not_after of any certificate, LSCs only when lsc (0 when there is none). */
cf_code cf_store_first_expiry(cf_store *st, bool lsc, int64_t *out, cf_err *e);

/* The settings whose key starts with prefix, in key order: fn(ctx, key, value). */
cf_code cf_store_settings_each(cf_store *st, const char *prefix,
			       void (*fn)(void *ctx, const char *key, const char *value), void *ctx, cf_err *e);
/* The distinct CRL distribution point URLs of the identities and trust certificates (not LSCs). */
cf_code cf_store_cdp_urls(cf_store *st, cf_strv *out, cf_err *e);

/* ---- CRLs ---------------------------------------------------------------------------------- */

typedef struct cf_crlrow {
	int64_t id;
	char *issuer, *issuer_hash;	  /* the issuer's name (one line) and the SHA-256 of its DER */
	int64_t this_update, next_update; /* next_update 0 when the CRL has none */
	char *number;			  /* CRL number in hex, "" when absent */
	int64_t entries;
	char *source; /* "manual", or the distribution point's URL */
	uint8_t *der; /* only when asked for */
	size_t der_len;
	int64_t added;
	uint8_t *idx; /* the parsed form (cf_crl_to_index); NULL on rows kept before schema 7, and
			 unless asked for */
	size_t idx_len;
} cf_crlrow;

void cf_crlrow_free(cf_crlrow *r);
void cf_crlrows_free(cf_crlrow *v, size_t n);
/* Inserts r (with its DER, and its index when r->idx is set); sets r->id. */
cf_code cf_store_crl_insert(cf_store *st, cf_crlrow *r, cf_err *e);
/* What cf_store_crls reads besides the facts, or-ed together (0: neither blob). */
enum {
	CF_CRLS_DER = 1,	/* the DER */
	CF_CRLS_IDX = 2,	/* the index, where the row has one */
	CF_CRLS_DER_NO_IDX = 4, /* the DER of the rows without an index only */
};
/* The CRLs of one issuer (by the SHA-256 of its name; NULL: all of them), with the blobs `with`
 * asks for, by issuer then newest first. */
cf_code cf_store_crls(cf_store *st, const char *issuer_hash, unsigned with, cf_crlrow **out, size_t *n, cf_err *e);
/* The same one row at a time, without copies: fn(ctx, row) with everything in the row borrowed
 * (valid during fn); a non-zero return stops the walk and is returned. */
cf_code cf_store_crl_each(cf_store *st, const char *issuer_hash, unsigned with,
			  int (*fn)(void *ctx, const cf_crlrow *r), void *ctx, cf_err *e);
/* The DER of one CRL (new buffer); CF_E_NOTFOUND when it is gone. */
cf_code cf_store_crl_der(cf_store *st, int64_t id, uint8_t **der, size_t *len, cf_err *e);
/* A number that changes whenever a CRL is added or removed (0 before the first; -1 when it cannot
 * be read): what a cache of parsed CRLs is checked against. */
int64_t cf_store_crl_generation(cf_store *st);
/* Deletes one CRL; CF_E_NOTFOUND when there is none. */
cf_code cf_store_crl_delete(cf_store *st, int64_t id, cf_err *e);
/* Deletes the CRLs of an issuer from one source (a manual upload replaces the previous one). */
cf_code cf_store_crl_delete_source(cf_store *st, const char *issuer_hash, const char *source, cf_err *e);
/* The DER of every trust certificate whose subject is `subject` (callback per row; rows valid
 * during fn): the candidates for a CRL's issuer. */
cf_code cf_store_trust_by_subject(cf_store *st, const char *subject,
				  int (*fn)(void *ctx, const uint8_t *der, size_t len), void *ctx, cf_err *e);

/* ---- what OCSP last said of each certificate (revocation_checks) ------------------------------ */

/* One certificate's last OCSP answer, keyed by its SHA-256: the same certificate on many nodes is
 * asked once. */
typedef struct cf_revcheckrow {
	char sha256[65];
	char status[8];	     /* "good", "revoked" or "unknown" (also when no status could be had) */
	char trust[20];	     /* "delegated", "trusted-responder", or "" when there was no answer */
	char *responder;     /* the responder's URL ("" when there was none to ask) */
	char *message;	     /* one line: the signer, the revocation time, or why it is unknown */
	int64_t checked;     /* when it was asked */
	int64_t next_update; /* the response's nextUpdate (0: none) */
} cf_revcheckrow;

void cf_revcheckrow_free(cf_revcheckrow *r);
/* Records r, replacing what was recorded for the same certificate. */
cf_code cf_store_revcheck_put(cf_store *st, const cf_revcheckrow *r, cf_err *e);
/* What was recorded for the certificate with this SHA-256; CF_E_NOTFOUND when nothing was. */
cf_code cf_store_revcheck_get(cf_store *st, const char *sha256, cf_revcheckrow *out, cf_err *e);
/* Drops the records of certificates that no node holds any more. */
cf_code cf_store_revcheck_prune(cf_store *st, cf_err *e);
/* Whether anything is recorded at all (false with OCSP never on: a page of certificates then
 * looks nothing up). */
bool cf_store_revcheck_any(cf_store *st);

#endif
