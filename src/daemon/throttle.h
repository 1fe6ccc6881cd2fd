/* Login throttling: the per-account lock policy (the counters live in the store's users table),
 * the per-client-address failure windows, and how often a locked account may still be tried,
 * kept in memory.
 *
 * The rules (README "certfleetd"): CF_THROTTLE_ACCOUNT_FAILURES consecutive wrong passwords lock
 * an account; attempts while it is locked never lengthen the lock. While locked, the account is
 * tried only from an address with no failed login in its current window, and only
 * CF_THROTTLE_LOCKED_TRIES wrong passwords of such addresses per lock: after that, every attempt
 * is refused until the lock runs out, so many addresses cannot guess on where one address
 * stopped. An address with CF_THROTTLE_ADDR_FAILURES failures is refused for the rest of its
 * window, whatever the account. */
#ifndef CF_THROTTLE_H
#define CF_THROTTLE_H

#include <stdbool.h>
#include <stdint.h>

#define CF_THROTTLE_ACCOUNT_FAILURES 5	 /* consecutive failures before the account is locked */
#define CF_THROTTLE_ACCOUNT_LOCK 60	 /* seconds of the first lock, doubled on each further failure */
#define CF_THROTTLE_ACCOUNT_LOCK_MAX 900 /* seconds */
#define CF_THROTTLE_LOCKED_TRIES 3	 /* wrong passwords from clean addresses per lock */
#define CF_THROTTLE_LOCKED_MAX 256	 /* locked accounts tracked at once */
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
/* Whether addr has no failed login in a window still open at now. */
bool cf_throttle_addr_clean(cf_throttle *t, const char *addr, int64_t now);
/* Counts one failed login from addr. */
void cf_throttle_addr_fail(cf_throttle *t, const char *addr, int64_t now);
/* Whether account, locked until `until` (> now), may be tried from addr: addr is clean and the
 * lock has not used up its CF_THROTTLE_LOCKED_TRIES. */
bool cf_throttle_locked_may_try(cf_throttle *t, const char *account, int64_t until, const char *addr, int64_t now);
/* Counts one wrong password tried on account while it is locked until `until` (> now). */
void cf_throttle_locked_fail(cf_throttle *t, const char *account, int64_t until, int64_t now);

#endif
