/* The store: everything one deployment holds, behind portable SQL over a driver table (db.h).
 * The one include for callers: each aggregate has its own header, reads apart from writes
 * (fleet.h, certs.h, csrs.h, admin.h, settings.h, revocation.h). Every change a command makes
 * runs inside one cf_store_begin/commit pair. Records are plain data owned by the caller; free
 * them with the matching _free function. */
#ifndef CF_STORE_H
#define CF_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "util/err.h"

typedef struct cf_store cf_store;

/* Whether target names a store an engine of this build takes (a file path, a postgresql:// or
 * postgres:// URL); anything else is CF_E_USAGE naming the scheme. */
cf_code cf_store_target_check(const char *target, cf_err *e);
/* Opens the store at path (a file name for SQLite). create: make it (mode 0600) when absent.
 * Brings the schema up to date in one transaction. */
cf_code cf_store_open(const char *path, bool create, cf_store **out, cf_err *e);
void cf_store_close(cf_store *st);
/* The schema version the store is at. */
int cf_store_schema_version(cf_store *st);

/* The engine's name: "sqlite" or "postgresql". */
const char *cf_store_engine(const cf_store *st);

/* Transactions: begin starts a write transaction (SQLite: takes the write lock at once;
 * PostgreSQL: serializable); rollback is NULL-safe on a store without an open transaction.
 * A function that makes a change runs begin..commit/rollback once and is called through
 * CF_STORE_WRITE, which runs it again when the engine says it collided with another writer. */
cf_code cf_store_begin(cf_store *st, cf_err *e);
cf_code cf_store_commit(cf_store *st, cf_err *e);
void cf_store_rollback(cf_store *st);
/* Ends the transaction a change began: commits when rc is CF_OK, else (or when the commit fails)
 * rolls back; returns the outcome. */
cf_code cf_store_finish(cf_store *st, cf_code rc, cf_err *e);

/* The state of CF_STORE_WRITE's tries. */
typedef struct cf_store_attempt {
	int64_t started_ms;
	int64_t try_ms; /* when the try that just ended began */
	int tries;
	bool constraint_retried; /* a constraint's one extra try is spent */
	bool audit_armed;
} cf_store_attempt;
void cf_store_attempt_start(cf_store *st, cf_store_attempt *a);
/* Whether a change that ended with rc (its transaction rolled back) should run again: the engine
 * said it collided with another writer (serialization failure, deadlock, busy: up to 8 tries
 * within 5 s, then e says "changed at the same moment; try again", CF_E_STATE with reason
 * CF_REASON_RETRY; a try that waited the engine's lock timeout is not run again: e says "store
 * busy"), or a constraint refused it (once per change, whatever collisions came before:
 * if another writer's row caused it, the code's own check now sees that row; else the error
 * stands). Before the next try it pauses
 * a few random milliseconds, re-arms the audit row and clears e. */
bool cf_store_attempt_again(cf_store *st, cf_store_attempt *a, cf_code rc, cf_err *e);

/* rc = call, run again while cf_store_attempt_again says so. call must be a function that runs
 * its own transaction from begin to commit or rollback; reset (an expression) drops what a failed
 * try left in the caller's output before the next. */
#define CF_STORE_WRITE_RESETTING(st, e, rc, call, reset)                                                               \
	do {                                                                                                           \
		cf_store_attempt attempt_;                                                                             \
		cf_store_attempt_start((st), &attempt_);                                                               \
		do                                                                                                     \
			(rc) = (call);                                                                                 \
		while (cf_store_attempt_again((st), &attempt_, (rc), (e)) && ((void)(reset), 1));                      \
	} while (0)
#define CF_STORE_WRITE(st, e, rc, call) CF_STORE_WRITE_RESETTING(st, e, rc, call, 0)

/* Arms the audit row of the change about to be made: the next cf_store_commit appends it (result
 * "ok") inside the same transaction, so a change and its row land together or not at all. A
 * rollback disarms it; arming again replaces it. */
void cf_store_audit_pending(cf_store *st, const char *account, const char *client, const char *action,
			    const char *object);
void cf_store_audit_disarm(cf_store *st);
/* Whether a commit has written the armed row since it was last armed. */
bool cf_store_audit_written(const cf_store *st);
/* A number that changes whenever the store changes, in this process or any other (what cached
 * results are checked against). */
int64_t cf_store_data_version(cf_store *st);

#include "store/acme.h"
#include "store/admin.h"
#include "store/ca.h"
#include "store/certs.h"
#include "store/csrs.h"
#include "store/fleet.h"
#include "store/revocation.h"
#include "store/served.h"
#include "store/settings.h"

#endif
