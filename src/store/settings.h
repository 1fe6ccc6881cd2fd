/* The store's deployment-wide settings and the expiry monitor's ledger (part of store.h). */
#ifndef CF_STORE_SETTINGS_H
#define CF_STORE_SETTINGS_H

#include <stdbool.h>
#include <stdint.h>

#include "store/certs.h"
#include "util/err.h"

typedef struct cf_store cf_store;

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

/* ---- reads ---- */

/* A setting's text (*out, caller frees), or *out NULL when it was never set. */
cf_code cf_store_setting_get(cf_store *st, const char *key, char **out, cf_err *e);
/* The settings whose key starts with prefix, in key order: fn(ctx, key, value). */
cf_code cf_store_settings_each(cf_store *st, const char *prefix,
			       void (*fn)(void *ctx, const char *key, const char *value), void *ctx, cf_err *e);
/* Calls fn for each certificate with not_after <= until (endpoints' LSCs only when lsc), soonest
 * first (rows valid during fn); a non-zero return stops the walk and is returned. */
/* (After the certificates, the local CAs' own certificates: kind CF_LOCAL_CA, node_id the CA's
 * id, node "", cn the CA's subject.) */
cf_code cf_store_watch_each(cf_store *st, int64_t until, bool lsc, int (*fn)(void *ctx, const cf_watchrow *r),
			    void *ctx, cf_err *e);
/* Notifications waiting, and the soonest retry among them (0 when none). */
cf_code cf_store_ledger_pending(cf_store *st, int64_t *pending, int64_t *next_attempt, cf_err *e);
/* The soonest not_after of any certificate, LSCs only when lsc (0 when there is none). */
cf_code cf_store_first_expiry(cf_store *st, bool lsc, int64_t *out, cf_err *e);

/* ---- writes (inside cf_store_begin/commit) ---- */

/* Sets a setting; value NULL removes it. */
cf_code cf_store_setting_set(cf_store *st, const char *key, const char *value, cf_err *e);
/* Writes the ledger entry of r's certificate (insert or replace). */
cf_code cf_store_ledger_put(cf_store *st, const cf_watchrow *r, cf_err *e);
/* Drops the entries of certificates that are gone, and the waiting notifications of those no
 * longer expiring by until (or of LSCs, unless lsc). */
cf_code cf_store_ledger_prune(cf_store *st, int64_t until, bool lsc, cf_err *e);

#endif
