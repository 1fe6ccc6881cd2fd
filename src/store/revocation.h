/* The store's CRLs, the distribution points to download them from, and what OCSP last said of
 * each certificate (part of store.h). */
#ifndef CF_STORE_REVOCATION_H
#define CF_STORE_REVOCATION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"
#include "util/strv.h"

typedef struct cf_store cf_store;

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

/* What cf_store_crls reads besides the facts, or-ed together (0: neither blob). */
enum {
	CF_CRLS_DER = 1,	/* the DER */
	CF_CRLS_IDX = 2,	/* the index, where the row has one */
	CF_CRLS_DER_NO_IDX = 4, /* the DER of the rows without an index only */
};

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

void cf_crlrow_free(cf_crlrow *r);
void cf_crlrows_free(cf_crlrow *v, size_t n);
void cf_revcheckrow_free(cf_revcheckrow *r);

/* ---- reads ---- */

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
/* The DER of every trust certificate whose subject is `subject` (callback per row; rows valid
 * during fn): the candidates for a CRL's issuer. */
cf_code cf_store_trust_by_subject(cf_store *st, const char *subject,
				  int (*fn)(void *ctx, const uint8_t *der, size_t len), void *ctx, cf_err *e);
/* The distinct CRL distribution point URLs of the identities and trust certificates (not LSCs). */
cf_code cf_store_cdp_urls(cf_store *st, cf_strv *out, cf_err *e);
/* What was recorded for the certificate with this SHA-256; CF_E_NOTFOUND when nothing was. */
cf_code cf_store_revcheck_get(cf_store *st, const char *sha256, cf_revcheckrow *out, cf_err *e);
/* Whether anything is recorded at all (false with OCSP never on: a page of certificates then
 * looks nothing up). */
bool cf_store_revcheck_any(cf_store *st);

/* ---- writes (inside cf_store_begin/commit) ---- */

/* Inserts r (with its DER, and its index when r->idx is set); sets r->id. */
cf_code cf_store_crl_insert(cf_store *st, cf_crlrow *r, cf_err *e);
/* Deletes one CRL; CF_E_NOTFOUND when there is none. */
cf_code cf_store_crl_delete(cf_store *st, int64_t id, cf_err *e);
/* Deletes the CRLs of an issuer from one source (a manual upload replaces the previous one). */
cf_code cf_store_crl_delete_source(cf_store *st, const char *issuer_hash, const char *source, cf_err *e);
/* Records r, replacing what was recorded for the same certificate. */
cf_code cf_store_revcheck_put(cf_store *st, const cf_revcheckrow *r, cf_err *e);
/* Drops the records of certificates that no node holds any more. */
cf_code cf_store_revcheck_prune(cf_store *st, cf_err *e);

#endif
