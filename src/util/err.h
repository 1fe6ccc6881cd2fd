/* One error type for all of certfleet: a code (which is also the CLI exit code, SPEC §11.1)
 * plus a subject (the input or object that failed) and a one-line message. */
#ifndef CF_ERR_H
#define CF_ERR_H

#include <stdint.h>

typedef enum cf_code {
	CF_OK = 0,
	CF_E_USAGE = 2,	   /* bad command line */
	CF_E_INPUT = 3,	   /* input rejected: parse, validation, rule */
	CF_E_NOTFOUND = 4, /* no such node, cluster, certificate, store */
	CF_E_STATE = 5,	   /* wrong state: no pending CSR, not the publisher, ... */
	CF_E_REMOTE = 6,   /* remote or network failure, failed reload */
	CF_E_FINDINGS = 7, /* doctor/validate found errors */
	CF_E_INTERNAL = 10 /* anything else: I/O, database, out of memory */
} cf_code;

typedef struct cf_err {
	cf_code code;
	char subject[512]; /* what failed: a file name, "node x.example.com", ... */
	char message[1024];
	const char *reason; /* a short machine reason a client can act on (static text), or NULL */
	int retry_after;    /* seconds until the same request may succeed (0: not said) */
} cf_err;

/* The reason an operator can override with force (an upload gate, self-signed over CA-signed):
 * the page asks to confirm and sends the change again with force. */
#define CF_REASON_NEEDS_FORCE "needs-force"
/* The store was changed by another writer at the same moment, or is busy: the same request may
 * succeed when sent again (CLI exit 5, API 503 with Retry-After). */
#define CF_REASON_RETRY "retry"
/* Another change has held the store's write lock longer than the engine waits for it (a long
 * import, say): the same request may succeed once it is done (CLI exit 5, API 503 with
 * Retry-After). Such a refusal is not audited: nothing was tried, and its row would wait as long. */
#define CF_REASON_STORE_BUSY "store-busy"
/* The store's database server cannot be reached (stopped, restarting): the same request may
 * succeed once it is back (CLI exit 6, API 503 with Retry-After). */
#define CF_REASON_STORE_DOWN "store-unavailable"
/* No pending CSR for a node and purpose (an upload without a key, showing or discarding one): the
 * page offers to generate one. */
#define CF_REASON_NO_CSR "no-csr"
/* An upload with a key while a CSR is pending: the page offers the pending CSR (to discard it). */
#define CF_REASON_CSR_PENDING "csr-pending"
/* A peer did not answer within the time allowed (CLI exit 6, API 504). */
#define CF_REASON_TIMEOUT "timeout"

/* Records an error in *e (if e is non-NULL) and returns code. subject may be NULL. */
cf_code cf_err_set(cf_err *e, cf_code code, const char *subject, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Sets the machine reason (static text) of an error already set; returns its code. */
cf_code cf_err_reason(cf_err *e, const char *reason);

/* Says when the same request may succeed (seconds, at least 1) of an error already set; returns
 * its code. */
cf_code cf_err_retry_after(cf_err *e, int64_t seconds);

/* Replaces the subject of an error already set, keeping code and message. */
void cf_err_subject(cf_err *e, const char *subject);

/* Resets *e to CF_OK. */
void cf_err_clear(cf_err *e);

/* A fixed English name of the code ("input rejected", ...). */
const char *cf_code_str(cf_code code);

#endif
