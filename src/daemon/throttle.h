/* Login throttling (issue 4): the per-account lock policy (the counters live in the store's users
 * table) and the per-client-address failure windows, kept in memory. */
#ifndef CF_THROTTLE_H
#define CF_THROTTLE_H

#include <stdbool.h>
#include <stdint.h>

#define CF_THROTTLE_ACCOUNT_FAILURES 5	 /* consecutive failures before the account is locked */
#define CF_THROTTLE_ACCOUNT_LOCK 60	 /* seconds of the first lock, doubled on each further failure */
#define CF_THROTTLE_ACCOUNT_LOCK_MAX 900 /* seconds */
#define CF_THROTTLE_ADDR_FAILURES 20	 /* failed logins per address per window */
#define CF_THROTTLE_ADDR_WINDOW 300	 /* seconds */
#define CF_THROTTLE_ADDR_MAX 1024	 /* addresses tracked at once */

/* Until when an account with failures consecutive failed logins (counting the one just made) is
 * locked, from now; 0 when it is not locked. */
int64_t cf_throttle_account_lock(int64_t failures, int64_t now);

typedef struct cf_throttle cf_throttle;

cf_throttle *cf_throttle_new(void);
void cf_throttle_free(cf_throttle *t);
/* Seconds until addr may try again; 0 when it may now. */
int64_t cf_throttle_addr_wait(cf_throttle *t, const char *addr, int64_t now);
/* Counts one failed login from addr. */
void cf_throttle_addr_fail(cf_throttle *t, const char *addr, int64_t now);

#endif
