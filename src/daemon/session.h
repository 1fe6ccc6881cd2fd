/* Login sessions of certfleetd, kept in memory: a random 32-byte id (the cookie), a random CSRF
 * token, the account and its role, and an idle timeout. One account holds at most
 * CF_SESSION_PER_ACCOUNT sessions: its next login ends the one it used least recently, so no
 * account can fill the table and keep the others out. */
#ifndef CF_SESSION_H
#define CF_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define CF_SESSION_IDLE (30 * 60) /* seconds */
#define CF_SESSION_MAX 4096
#define CF_SESSION_PER_ACCOUNT 32

typedef struct cf_session {
	char id[65];   /* hex */
	char csrf[65]; /* hex */
	char account[128];
	bool admin;
	int64_t last_used; /* epoch seconds */
	uint64_t use;	   /* when it was last used, counted in starts and finds (orders the LRU) */
} cf_session;

typedef struct cf_sessions cf_sessions;

cf_sessions *cf_sessions_new(void);
void cf_sessions_free(cf_sessions *s);
/* The table is safe to use from several threads; what it hands out are copies. */

/* Starts a session for account at now, a copy into *out. When the
 * account already has CF_SESSION_PER_ACCOUNT sessions, the one it used least recently ends; when
 * the whole table is full, the least recently used session of any account does. */
cf_code cf_session_start(cf_sessions *s, const char *account, bool admin, int64_t now, cf_session *out, cf_err *e);
/* Adds x as it is, its id and token chosen by the caller (the HTTP fuzzer's fixed sessions). */
cf_code cf_session_insert(cf_sessions *s, const cf_session *x, cf_err *e);
/* Whether a live session has this id; if so it is touched (its idle time restarts) and copied
 * into *out. */
bool cf_session_find(cf_sessions *s, const char *id, int64_t now, cf_session *out);
/* Ends the session with this id (nothing when there is none). */
void cf_session_end(cf_sessions *s, const char *id);
/* Ends every session of account except the one with keep_id (NULL: all of them). */
void cf_session_end_account(cf_sessions *s, const char *account, const char *keep_id);
/* How many live sessions account has at now. */
size_t cf_session_count(cf_sessions *s, const char *account, int64_t now);
/* Whether two NUL-terminated tokens are equal, in time independent of where they differ. */
bool cf_token_equal(const char *a, const char *b);

#endif
