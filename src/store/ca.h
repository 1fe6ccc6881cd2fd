/* The store's local CAs (SPEC §9): each CA's certificate, key and settings, what it issued (with
 * revocations), its current CRL and its signed-ahead OCSP answers (part of store.h). */
#ifndef CF_STORE_CA_H
#define CF_STORE_CA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

typedef struct cf_store cf_store;

/* A CA. Texts are "" when unset. */
typedef struct cf_carow {
	int64_t id;
	char *name;
	int64_t parent_id; /* 0 for a root or an imported CA */
	char *parent;	   /* the parent's name ("" when none), when read */
	uint8_t *der;	   /* its certificate */
	size_t der_len;
	char *sha256, *subject;
	int64_t not_before, not_after, created;
	bool imported;
	char *key_pem; /* secret: only when asked for (NULL otherwise) */
	char *base_url;
	int64_t crl_validity, crl_interval, ocsp_validity; /* seconds */
	int64_t crl_number;				   /* of the last CRL made (0: none yet) */
	int64_t issued, revoked;			   /* counts (get and list) */
	int64_t ocsp_answers, ocsp_oldest;		   /* certificates answered ahead, the oldest thisUpdate */
	uint8_t *ocsp_der;				   /* the delegated OCSP responder's certificate */
	size_t ocsp_der_len;				   /* (0: the CA signs its answers itself) */
	char *ocsp_key_pem;				   /* its key: secret, only with the CA's key */
	int64_t ocsp_version; /* moves whenever what the OCSP responder answers may change */
} cf_carow;

void cf_carow_free(cf_carow *r);

/* A certificate a CA issued. */
typedef struct cf_caissued {
	char serial[64]; /* lower-case hex of the INTEGER's content octets */
	uint8_t *der;	 /* owned when read; borrowed when written */
	size_t der_len;
	char *subject; /* RFC 2253 */
	char *profile; /* the purpose, "lsc", "copy", "ca", "ocsp" */
	int64_t not_after, issued_at;
	int64_t revoked_at; /* 0 when not revoked */
	int reason;	    /* CRLReason code, -1 for none */
} cf_caissued;

void cf_caissued_clear(cf_caissued *r);

/* ---- reads ---- */

/* The CA of that name (its key only when with_key); CF_E_NOTFOUND when there is none. */
cf_code cf_store_ca_get(cf_store *st, const char *name, bool with_key, cf_carow *out, cf_err *e);
/* Every CA by name with counts, without keys (*v: free each, then v). */
cf_code cf_store_ca_list(cf_store *st, cf_carow **v, size_t *n, cf_err *e);
/* fn for every CA by name, without counts or keys (rows the store keeps until it changes: the
 * certificate list asks on every page); a non-zero return from fn stops the walk and is
 * returned. fn may use the store, but not call this function again. */
cf_code cf_store_ca_each(cf_store *st, int (*fn)(void *ctx, const cf_carow *r), void *ctx, cf_err *e);
/* One issued certificate; CF_E_NOTFOUND when the CA issued no such serial. */
cf_code cf_store_ca_issued_get(cf_store *st, int64_t ca_id, const char *serial, cf_caissued *out, cf_err *e);
/* The revoked certificates of a CA, by serial, without DER (*v: cf_caissued_clear each, then free v). */
cf_code cf_store_ca_revoked_list(cf_store *st, int64_t ca_id, cf_caissued **v, size_t *n, cf_err *e);
/* The CA's current CRL (DER, caller frees) and its dates; CF_E_NOTFOUND when none was made. */
cf_code cf_store_ca_crl_get(cf_store *st, int64_t ca_id, uint8_t **der, size_t *len, int64_t *this_update,
			    int64_t *next_update, cf_err *e);

/* What an OCSP responder watches of each CA: whether its answers (ocsp_version) or its CRL
 * (crl_number) moved. */
typedef struct cf_caversion {
	int64_t id;
	char name[128];
	int64_t ocsp_version, crl_number;
} cf_caversion;
/* Every CA's versions (*v: free it). */
cf_code cf_store_ca_versions(cf_store *st, cf_caversion **v, size_t *n, cf_err *e);
/* The statuses of everything a CA issued: fn(ctx, serial, revoked_at (0: not), reason) per
 * certificate, by serial. */
cf_code cf_store_ca_issued_walk(cf_store *st, int64_t ca_id,
				void (*fn)(void *ctx, const char *serial, int64_t revoked_at, int reason), void *ctx,
				cf_err *e);
/* The answers signed ahead: fn(ctx, serial, hash, der, len, this_update, next_update) each. */
cf_code cf_store_ca_ocsp_walk(cf_store *st, int64_t ca_id,
			      void (*fn)(void *ctx, const char *serial, const char *hash, const uint8_t *der,
					 size_t len, int64_t this_update, int64_t next_update),
			      void *ctx, cf_err *e);
/* Up to limit certificates of the CA, not expired before `after`, whose SHA-256 answer is missing
 * or was signed before `signed_before` (serial, revoked_at, reason filled; *v: free it). */
cf_code cf_store_ca_ocsp_due(cf_store *st, int64_t ca_id, int64_t after, int64_t signed_before, size_t limit,
			     cf_caissued **v, size_t *n, cf_err *e);
/* The earliest thisUpdate among the CA's answers (0 when none). */
cf_code cf_store_ca_ocsp_oldest(cf_store *st, int64_t ca_id, int64_t *out, cf_err *e);

/* ---- writes (inside cf_store_begin/commit) ---- */

/* One answer signed ahead for (serial, hash), replacing the previous one. */
typedef struct cf_caanswer {
	char serial[64];
	const char *hash; /* "sha1", "sha256" */
	uint8_t *der;	  /* borrowed */
	size_t len;
	int64_t this_update, next_update;
} cf_caanswer;
cf_code cf_store_ca_ocsp_put(cf_store *st, int64_t ca_id, const cf_caanswer *v, size_t n, cf_err *e);
/* Sets the CA's delegated OCSP responder (der NULL: the CA signs itself) and drops every answer
 * signed ahead (the next pass signs them again). */
cf_code cf_store_ca_ocsp_signer_put(cf_store *st, int64_t ca_id, const uint8_t *der, size_t len, const char *key_pem,
				    cf_err *e);

/* Adds a CA (r->id set); CF_E_STATE when the name is taken. */
cf_code cf_store_ca_add(cf_store *st, cf_carow *r, cf_err *e);
/* Writes r's base URL and periods. */
cf_code cf_store_ca_config(cf_store *st, const cf_carow *r, cf_err *e);
/* Records n issued certificates at once; a serial the CA already used is CF_E_STATE. This, a
 * revocation and new answers move the CA's ocsp_version. */
cf_code cf_store_ca_issued_add(cf_store *st, int64_t ca_id, const cf_caissued *v, size_t n, cf_err *e);
/* Marks a serial revoked: CF_E_NOTFOUND when the CA did not issue it, CF_E_STATE when it already
 * is (nothing changes). */
cf_code cf_store_ca_revoke(cf_store *st, int64_t ca_id, const char *serial, int64_t at, int reason, cf_err *e);
/* Keeps a CA's new CRL as its current one and its number as the CA's last. */
cf_code cf_store_ca_crl_put(cf_store *st, int64_t ca_id, int64_t number, int64_t this_update, int64_t next_update,
			    const uint8_t *der, size_t len, cf_err *e);

#endif
