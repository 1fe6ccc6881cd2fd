/* The global budget of password checks for logins, across all client addresses (README
 * "certfleetd"). Each check is a 32 MiB scrypt on a worker (about 0.1 s on an idle core,
 * measured 0.17-0.65 s on a busy one): clients rotating source addresses, each under its own
 * per-address limit (throttle.h), could otherwise keep the workers hashing, the machine's cores
 * busy and every other change waiting. So the budget is one core's time: checks may use a share
 * of it (--login-budget PERCENT),
 * measured as they run, with a small burst. A login checks a password only while the budget is
 * not spent, and only a check that fails is charged (a right password costs the budget nothing),
 * so failed and unknown logins alone spend it. When it is spent a login answers 429 with
 * Retry-After and no password is checked.
 *
 * So that a flood of unknown names never keeps a user out, each existing account also has its own
 * check every CF_LOGIN_RESERVE_MS while the budget is spent: only tries naming that account spend
 * it, and those are already bounded by the account's lock. (The price: while the budget is spent,
 * a guessed name that exists takes a check's time to refuse, an unknown name none.) */
#ifndef CF_LOGIN_BUDGET_H
#define CF_LOGIN_BUDGET_H

#include <stdbool.h>
#include <stdint.h>

/* A quarter of a core is a few checks a second on an idle core (fewer when each is slower), while
 * the workers keep serving everyone else; a burst of one second of checks lets a few users
 * mistype at once without a noticeable stall. 100 % turns the budget off. */
#define CF_LOGIN_BUDGET_PERCENT 25
#define CF_LOGIN_BUDGET_BURST_MS 1000
#define CF_LOGIN_RESERVE_MS 10000    /* an existing account's own check while the budget is spent */
#define CF_LOGIN_RESERVE_MAX 256     /* accounts tracked at once (the oldest entry is reused) */
#define CF_LOGIN_BUDGET_LOG_MS 60000 /* refusals are logged at most once a minute, with a count */

typedef struct cf_login_budget cf_login_budget;

/* A full budget (CF_LOGIN_BUDGET_BURST_MS) earning percent (1-100) of the time that passes; NULL
 * when percent is out of range or memory is out. Times are a monotonic clock's milliseconds. */
cf_login_budget *cf_login_budget_new(int percent);
void cf_login_budget_free(cf_login_budget *b);
/* Whether a password may be checked now: the budget is not spent. */
bool cf_login_budget_open(cf_login_budget *b, int64_t now_ms);
/* Charges a failed check that took ms and ended at now_ms (it may overdraw the budget, by one
 * burst at most). */
void cf_login_budget_charge(cf_login_budget *b, int64_t ms, int64_t now_ms);
/* Milliseconds until the budget is open again (0 when it is). */
int64_t cf_login_budget_wait_ms(cf_login_budget *b, int64_t now_ms);
/* Takes account's own check; false when it took one less than CF_LOGIN_RESERVE_MS ago. */
bool cf_login_budget_take_reserve(cf_login_budget *b, const char *account, int64_t now_ms);
/* Counts one login refused because the budget is spent; true when a log line is due, with the
 * refusals it reports (this one and those not logged since the last line) in *count. */
bool cf_login_budget_refused(cf_login_budget *b, int64_t now_ms, unsigned long *count);

#endif
