/* CRL distribution points (SPEC §6.2): the configured URLs (and, as an option, the CDP URLs of
 * the stored certificates) downloaded and each CRL in them imported. What a server sends is
 * recognised by its content, not its name: a DER or PEM CRL (several PEM ones too), or a ZIP or
 * GZIP archive of them. A failed download or a CRL that does not verify keeps the last good one
 * and leaves an alarm (the doctor's crl-update-failed) until the URL works again. */
#ifndef CF_CRLFETCH_H
#define CF_CRLFETCH_H

#include "core/revocation/revocation.h"
#include "core/transport.h"
#include "util/strv.h"

#define CF_CRLFETCH_DOWNLOAD_MAX (64u * 1024 * 1024) /* bytes of one download, and of all it unpacks to */

/* The CRLs in buf: each a copy in *out (free with cf_blobs_free). CF_E_INPUT when it holds none
 * or is neither a CRL nor a ZIP/GZIP archive of them. */
typedef struct cf_blob {
	uint8_t *p;
	size_t len;
} cf_blob;
cf_code cf_crlfetch_unpack(const char *name, const uint8_t *buf, size_t len, cf_blob **out, size_t *n, cf_err *e);
void cf_blobs_free(cf_blob *v, size_t n);

/* `crl dp add|remove|list`. */
cf_code cf_crlfetch_dp_add(cf_store *st, const char *url, cf_err *e);
cf_code cf_crlfetch_dp_remove(cf_store *st, const char *url, cf_err *e);
/* The configured URLs, then (use_cdp) the stored certificates' CDP URLs not configured. */
cf_code cf_crlfetch_dp_list(cf_store *st, bool with_cdp, cf_strv *out, cf_err *e);
typedef struct cf_crlfetch_schedule {
	int daily_at; /* minutes after midnight UTC (default 02:00) */
	bool use_cdp;
} cf_crlfetch_schedule;
cf_code cf_crlfetch_schedule_get(cf_store *st, cf_crlfetch_schedule *out, cf_err *e);
/* The schedule as a table (core/model/fields.h): `crl config`, GET and PUT /crl-schedule. */
extern const cf_fieldgroup cf_crlfetch_schedule_fields;

/* The outcome of one URL in an update. */
typedef struct cf_crlfetch_result {
	char *url;
	cf_code rc;	    /* CF_OK when every CRL in it was kept or was no newer */
	char message[1700]; /* what happened, one line */
} cf_crlfetch_result;

/* Downloads every distribution point now (fetch: the transport's download, core/transport.h) and
 * imports what it holds; results per URL in *out (free with cf_crlfetch_results_free). Alarms are set
 * and cleared. */
cf_code cf_crlfetch_update(cf_store *st, int64_t now, cf_crlfetch_fn fetch, cf_crlfetch_result **out, size_t *n,
			   cf_err *e);
void cf_crlfetch_results_free(cf_crlfetch_result *v, size_t n);

/* The alarms left by failed updates: "URL: time: why" lines. */
cf_code cf_crlfetch_alarms(cf_store *st, cf_strv *out, cf_err *e);

#endif
