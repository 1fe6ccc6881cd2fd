/* Unit tests for certfleetd's login rules: the session table's per-account cap and its
 * least-recently-used eviction (src/daemon/session), and the lock and throttle arithmetic
 * (src/daemon/throttle), and the global budget of password checks (src/daemon/login_budget). Time
 * is passed in; nothing here waits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "daemon/login_budget.h"
#include "daemon/session.h"
#include "daemon/throttle.h"

#define NOW INT64_C(1795305600) /* 2026-11-22T00:00:00Z */

static cf_session found; /* where the finds copy a session to */

/* Starts a session for account at now and copies its id into id (65 bytes). */
static void start(cf_sessions *s, const char *account, int64_t now, char *id)
{
	cf_session x = {0};
	cf_err e = {0};
	assert_int_equal(cf_session_start(s, account, false, now, &x, &e), CF_OK);
	assert_string_equal(x.account, account);
	memcpy(id, x.id, 65);
}

static void test_session_cap_evicts_lru(void **state)
{
	(void)state;
	cf_sessions *s = cf_sessions_new();
	char id[CF_SESSION_PER_ACCOUNT + 8][65];
	char other[65];
	assert_non_null(s);
	start(s, "bob", NOW, other);
	for (int i = 0; i < CF_SESSION_PER_ACCOUNT; i++)
		start(s, "alice", NOW, id[i]);
	assert_int_equal(cf_session_count(s, "alice", NOW), CF_SESSION_PER_ACCOUNT);
	/* The first session is used again: the second is now the least recently used. */
	assert_true(cf_session_find(s, id[0], NOW, &found));
	for (int i = CF_SESSION_PER_ACCOUNT; i < CF_SESSION_PER_ACCOUNT + 8; i++)
		start(s, "alice", NOW, id[i]);
	assert_int_equal(cf_session_count(s, "alice", NOW), CF_SESSION_PER_ACCOUNT);
	assert_true(cf_session_find(s, id[0], NOW, &found));
	for (int i = 1; i <= 8; i++)
		assert_false(cf_session_find(s, id[i], NOW, &found)); /* evicted oldest first */
	for (int i = 9; i < CF_SESSION_PER_ACCOUNT + 8; i++)
		assert_true(cf_session_find(s, id[i], NOW, &found));
	/* Another account's session is untouched and another account may still log in. */
	assert_true(cf_session_find(s, other, NOW, &found));
	assert_int_equal(cf_session_count(s, "bob", NOW), 1);
	start(s, "carol", NOW, other);
	assert_int_equal(cf_session_count(s, "carol", NOW), 1);
	cf_sessions_free(s);
}

/* One account logging in far more often than the table holds never fills it. */
static void test_session_one_account_never_fills_table(void **state)
{
	(void)state;
	cf_sessions *s = cf_sessions_new();
	char id[65], admin[65];
	assert_non_null(s);
	for (int i = 0; i < CF_SESSION_MAX + 100; i++)
		start(s, "mallory", NOW + i / 100, id);
	assert_int_equal(cf_session_count(s, "mallory", NOW + CF_SESSION_MAX / 100), CF_SESSION_PER_ACCOUNT);
	start(s, "admin", NOW + CF_SESSION_MAX / 100, admin);
	assert_true(cf_session_find(s, admin, NOW + CF_SESSION_MAX / 100, &found));
	cf_sessions_free(s);
}

/* A full table (many accounts, each under the cap) ends its least recently used session for a
 * new login rather than refusing it. */
static void test_session_full_table_evicts_lru(void **state)
{
	(void)state;
	cf_sessions *s = cf_sessions_new();
	char first[65], id[65], name[32];
	assert_non_null(s);
	start(s, "user0", NOW, first);
	for (int i = 1; i < CF_SESSION_MAX; i++) {
		snprintf(name, sizeof(name), "user%d", i / CF_SESSION_PER_ACCOUNT + 1);
		start(s, name, NOW, id);
	}
	start(s, "late", NOW, id);
	assert_true(cf_session_find(s, id, NOW, &found));
	assert_false(cf_session_find(s, first, NOW, &found));
	cf_sessions_free(s);
}

static void test_session_idle_timeout(void **state)
{
	(void)state;
	cf_sessions *s = cf_sessions_new();
	char a[65], b[65];
	assert_non_null(s);
	start(s, "alice", NOW, a);
	start(s, "alice", NOW + 100, b);
	assert_true(cf_session_find(s, b, NOW + 100 + CF_SESSION_IDLE, &found));
	assert_false(cf_session_find(s, a, NOW + 100 + CF_SESSION_IDLE, &found));
	assert_int_equal(cf_session_count(s, "alice", NOW + 100 + CF_SESSION_IDLE), 1);
	cf_sessions_free(s);
}

static void test_account_lock(void **state)
{
	(void)state;
	assert_int_equal(cf_throttle_account_lock(CF_THROTTLE_ACCOUNT_FAILURES - 1, NOW), 0);
	assert_int_equal(cf_throttle_account_lock(CF_THROTTLE_ACCOUNT_FAILURES, NOW), NOW + 60);
	assert_int_equal(cf_throttle_account_lock(CF_THROTTLE_ACCOUNT_FAILURES + 1, NOW), NOW + 120);
	assert_int_equal(cf_throttle_account_lock(CF_THROTTLE_ACCOUNT_FAILURES + 3, NOW), NOW + 480);
	assert_int_equal(cf_throttle_account_lock(CF_THROTTLE_ACCOUNT_FAILURES + 4, NOW), NOW + 900);
	assert_int_equal(cf_throttle_account_lock(1000000, NOW), NOW + CF_THROTTLE_ACCOUNT_LOCK_MAX);
}

static void test_addr_window(void **state)
{
	(void)state;
	cf_throttle *t = cf_throttle_new();
	assert_non_null(t);
	assert_true(cf_throttle_addr_clean(t, "127.0.0.1", NOW));
	cf_throttle_addr_fail(t, "127.0.0.1", NOW);
	assert_false(cf_throttle_addr_clean(t, "127.0.0.1", NOW + 1));
	assert_true(cf_throttle_addr_clean(t, "127.0.0.2", NOW + 1));
	for (int i = 1; i < CF_THROTTLE_ADDR_FAILURES - 1; i++)
		cf_throttle_addr_fail(t, "127.0.0.1", NOW + 10);
	assert_int_equal(cf_throttle_addr_wait(t, "127.0.0.1", NOW + 10), 0);
	cf_throttle_addr_fail(t, "127.0.0.1", NOW + 10);
	assert_int_equal(cf_throttle_addr_wait(t, "127.0.0.1", NOW + 10), CF_THROTTLE_ADDR_WINDOW - 10);
	assert_int_equal(cf_throttle_addr_wait(t, "127.0.0.2", NOW + 10), 0);
	/* The window closes: the address is clean again. */
	assert_int_equal(cf_throttle_addr_wait(t, "127.0.0.1", NOW + CF_THROTTLE_ADDR_WINDOW), 0);
	assert_true(cf_throttle_addr_clean(t, "127.0.0.1", NOW + CF_THROTTLE_ADDR_WINDOW));
	cf_throttle_free(t);
}

/* While an account is locked, clean addresses may try it CF_THROTTLE_LOCKED_TRIES times; an
 * address with a failure may not; a new lock starts a new count. */
static void test_locked_tries(void **state)
{
	(void)state;
	cf_throttle *t = cf_throttle_new();
	int64_t until = NOW + 60;
	char addr[32];
	assert_non_null(t);
	cf_throttle_addr_fail(t, "10.0.0.1", NOW);
	assert_false(cf_throttle_locked_may_try(t, "admin", until, "10.0.0.1", NOW));
	assert_true(cf_throttle_locked_may_try(t, "admin", until, "10.0.0.2", NOW));
	for (int i = 0; i < CF_THROTTLE_LOCKED_TRIES; i++) {
		snprintf(addr, sizeof(addr), "10.0.1.%d", i);
		assert_true(cf_throttle_locked_may_try(t, "admin", until, addr, NOW));
		cf_throttle_locked_fail(t, "admin", until, NOW);
		cf_throttle_addr_fail(t, addr, NOW);
		assert_false(cf_throttle_locked_may_try(t, "admin", until, addr, NOW)); /* that address: no more */
	}
	/* Used up for this lock, from any address; another locked account keeps its own count. */
	assert_false(cf_throttle_locked_may_try(t, "admin", until, "10.0.0.2", NOW));
	assert_true(cf_throttle_locked_may_try(t, "reader", until, "10.0.0.2", NOW));
	/* The next lock (another end) has its own tries. */
	assert_true(cf_throttle_locked_may_try(t, "admin", until + 600, "10.0.0.2", NOW + 61));
	cf_throttle_free(t);
}

/* More locked accounts than tracked: the entries whose lock has run out are reused first. */
static void test_locked_tries_table_reuse(void **state)
{
	(void)state;
	cf_throttle *t = cf_throttle_new();
	char name[32];
	assert_non_null(t);
	for (int i = 0; i < CF_THROTTLE_LOCKED_MAX; i++) {
		snprintf(name, sizeof(name), "old%d", i);
		for (int k = 0; k < CF_THROTTLE_LOCKED_TRIES; k++)
			cf_throttle_locked_fail(t, name, NOW + 10, NOW);
	}
	for (int k = 0; k < CF_THROTTLE_LOCKED_TRIES; k++)
		cf_throttle_locked_fail(t, "live", NOW + 1000, NOW);
	for (int i = 0; i < CF_THROTTLE_LOCKED_MAX - 1; i++) {
		snprintf(name, sizeof(name), "new%d", i);
		cf_throttle_locked_fail(t, name, NOW + 1000, NOW + 20);
	}
	assert_false(cf_throttle_locked_may_try(t, "live", NOW + 1000, "10.0.0.9", NOW + 20));
	cf_throttle_free(t);
}

/* The budget is checking time: a burst, then a share of the time that passes; only failed checks
 * are charged, and at 100 % a check earns back what it cost. */
static void test_budget_time(void **state)
{
	(void)state;
	cf_login_budget *b = cf_login_budget_new(25);
	int64_t t = 5000;
	assert_non_null(b);
	assert_null(cf_login_budget_new(0));
	assert_null(cf_login_budget_new(101));
	/* Four failed checks of 300 ms back to back: the burst (1 s) is spent after the fourth. */
	for (int i = 0; i < 4; i++) {
		assert_true(cf_login_budget_open(b, t));
		cf_login_budget_charge(b, 300, t + 300);
		t += 300;
	}
	/* 1000 - 1200 + 25 % of 1200 = 100 left: open for one more. */
	assert_true(cf_login_budget_open(b, t));
	cf_login_budget_charge(b, 300, t + 300);
	t += 300;
	/* 100 - 300 + 75 = -125: spent; 25 % earns it back in 500 ms. */
	assert_false(cf_login_budget_open(b, t));
	assert_int_equal(cf_login_budget_wait_ms(b, t), 501);
	assert_false(cf_login_budget_open(b, t + 500));
	assert_true(cf_login_budget_open(b, t + 501));
	/* Earned one millisecond at a time, nothing is lost to rounding. */
	cf_login_budget_charge(b, 200, t + 501);
	for (int64_t m = t + 502; m < t + 501 + 800; m++)
		assert_false(cf_login_budget_open(b, m));
	assert_true(cf_login_budget_open(b, t + 501 + 800));
	/* Overdrawn by one burst at most; full after a long pause, no more. */
	cf_login_budget_charge(b, 100000, t + 2000);
	assert_int_equal(cf_login_budget_wait_ms(b, t + 2000), 4001);
	cf_login_budget_charge(b, 1, t + 10000000);
	assert_true(cf_login_budget_open(b, t + 10000000));
	/* A clock that stands still or steps back earns nothing. */
	for (int i = 0; i < 4; i++)
		cf_login_budget_charge(b, 300, t + 10000000);
	assert_false(cf_login_budget_open(b, t));
	cf_login_budget_free(b);
	/* At 100 % the budget never runs out for checks one after another. */
	b = cf_login_budget_new(100);
	assert_non_null(b);
	t = 0;
	for (int i = 0; i < 1000; i++) {
		assert_true(cf_login_budget_open(b, t));
		cf_login_budget_charge(b, 700, t + 700);
		t += 700;
	}
	cf_login_budget_free(b);
}

/* Each account's own check while the budget is spent: one per CF_LOGIN_RESERVE_MS, per account,
 * whatever other names are tried. */
static void test_budget_reserve(void **state)
{
	(void)state;
	cf_login_budget *b = cf_login_budget_new(25);
	char name[32];
	int64_t t = 1000;
	assert_non_null(b);
	assert_true(cf_login_budget_take_reserve(b, "admin", t));
	assert_false(cf_login_budget_take_reserve(b, "admin", t + CF_LOGIN_RESERVE_MS - 1));
	assert_true(cf_login_budget_take_reserve(b, "reader", t + 1));
	/* More accounts than the table holds: the one taken longest ago is forgotten, the others kept. */
	for (int i = 0; i < CF_LOGIN_RESERVE_MAX - 2; i++) {
		snprintf(name, sizeof(name), "user%d", i);
		assert_true(cf_login_budget_take_reserve(b, name, t + 2));
	}
	assert_false(cf_login_budget_take_reserve(b, "reader", t + 3));
	assert_true(cf_login_budget_take_reserve(b, "another", t + 3)); /* reuses admin's entry */
	assert_false(cf_login_budget_take_reserve(b, "reader", t + 3));
	assert_true(cf_login_budget_take_reserve(b, "admin", t + CF_LOGIN_RESERVE_MS));
	cf_login_budget_free(b);
}

/* Refusals are logged once per CF_LOGIN_BUDGET_LOG_MS with the count since the last line. */
static void test_budget_log(void **state)
{
	(void)state;
	cf_login_budget *b = cf_login_budget_new(25);
	unsigned long n = 0;
	assert_non_null(b);
	assert_true(cf_login_budget_refused(b, 0, &n));
	assert_int_equal(n, 1);
	for (int i = 1; i < 100; i++)
		assert_false(cf_login_budget_refused(b, i * 10, &n));
	assert_true(cf_login_budget_refused(b, CF_LOGIN_BUDGET_LOG_MS, &n));
	assert_int_equal(n, 100);
	assert_false(cf_login_budget_refused(b, CF_LOGIN_BUDGET_LOG_MS + 1, &n));
	cf_login_budget_free(b);
}

static void test_token_equal(void **state)
{
	(void)state;
	assert_true(cf_token_equal("abc", "abc"));
	assert_false(cf_token_equal("abc", "abd"));
	assert_false(cf_token_equal("abc", "abcd"));
	assert_false(cf_token_equal("", "a"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_session_cap_evicts_lru),
		cmocka_unit_test(test_session_one_account_never_fills_table),
		cmocka_unit_test(test_session_full_table_evicts_lru),
		cmocka_unit_test(test_session_idle_timeout),
		cmocka_unit_test(test_account_lock),
		cmocka_unit_test(test_addr_window),
		cmocka_unit_test(test_locked_tries),
		cmocka_unit_test(test_locked_tries_table_reuse),
		cmocka_unit_test(test_budget_time),
		cmocka_unit_test(test_budget_reserve),
		cmocka_unit_test(test_budget_log),
		cmocka_unit_test(test_token_equal),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
