/* The audit log: who changed what, from where, and how it ended. Every change the command line
 * (and later the daemon) makes appends one row; refused changes too, with the error as the
 * result. Rows never hold secrets: no passwords, no key material, no file contents. */
#ifndef CF_AUDIT_H
#define CF_AUDIT_H

#include "store/store.h"

/* Who makes a change and from where. */
typedef struct cf_audit_actor {
	char account[128]; /* the account name, or the OS user for the command line */
	char client[128];  /* "local" for the command line, else the client address */
} cf_audit_actor;

/* The actor of the command line: the OS user of the effective uid (or "uid N"), client "local". */
void cf_audit_actor_local(cf_audit_actor *out);
/* Appends one row at the current time, in the caller's transaction. */
cf_code cf_audit_append(cf_store *st, const cf_audit_actor *a, const char *action, const char *object,
			const char *result, cf_err *e);
/* Whether a change refused with e is recorded as refused: not when the store itself was busy
 * (nothing was tried, and the row would wait on the same lock). */
bool cf_audit_refusal_recorded(const cf_err *e);
/* Appends one row in a transaction of its own. */
cf_code cf_audit_record(cf_store *st, const cf_audit_actor *a, const char *action, const char *object,
			const char *result, cf_err *e);

#endif
