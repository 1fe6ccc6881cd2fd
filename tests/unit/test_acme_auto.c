/* Unit tests for ACME auto mode's schedule (core/acme/auto): deploy days and times, the longest
 * wait a deploy window makes, and one identity's plan — ARI window, 2/3 of the lifetime, the 1/20
 * floor, the two daily submission times, failures and giving up, deploy windows. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/acme/auto.h"

#define DAY 86400
#define HALF_DAY (DAY / 2)
#define SUNDAY INT64_C(1795305600) /* 2026-11-22T00:00:00Z, a Sunday */
#define MONDAY (SUNDAY + DAY)

static void test_days(void **state)
{
	(void)state;
	unsigned d = 99;
	assert_true(cf_acme_auto_days("mon,wed", &d));
	assert_int_equal(d, 0x5);
	assert_true(cf_acme_auto_days("SUN", &d));
	assert_int_equal(d, 0x40);
	assert_true(cf_acme_auto_days("", &d));
	assert_int_equal(d, 0);
	assert_false(cf_acme_auto_days("mon,,tue", &d));
	assert_false(cf_acme_auto_days("monday", &d));
	assert_false(cf_acme_auto_days("mon,", &d));
	assert_false(cf_acme_auto_days("xyz", &d));
}

static void test_time(void **state)
{
	(void)state;
	int m = 0;
	assert_true(cf_acme_auto_time("02:30", &m));
	assert_int_equal(m, 150);
	assert_true(cf_acme_auto_time("23:59", &m));
	assert_int_equal(m, 23 * 60 + 59);
	assert_true(cf_acme_auto_time("", &m));
	assert_int_equal(m, -1);
	assert_false(cf_acme_auto_time("24:00", &m));
	assert_false(cf_acme_auto_time("12:60", &m));
	assert_false(cf_acme_auto_time("2:30", &m));
	assert_false(cf_acme_auto_time("02:30:00", &m));
	assert_false(cf_acme_auto_time("ab:cd", &m));
}

static void test_longest_wait(void **state)
{
	(void)state;
	assert_int_equal(cf_acme_auto_longest_wait("", ""), 0);				   /* at once */
	assert_int_equal(cf_acme_auto_longest_wait("", "02:00"), DAY - 3600);		   /* daily, an hour open */
	assert_int_equal(cf_acme_auto_longest_wait("mon", "02:00"), 7 * DAY - 3600);	   /* weekly */
	assert_int_equal(cf_acme_auto_longest_wait("mon", ""), 6 * DAY);		   /* all Monday open */
	assert_int_equal(cf_acme_auto_longest_wait("mon,thu", ""), 3 * DAY);		   /* Fri..Sun */
	assert_int_equal(cf_acme_auto_longest_wait("mon,tue,wed,thu,fri,sat,sun", ""), 0); /* always open */
}

/* An identity with auto on, a certificate of ACME deployed. */
static cf_acmeidentity identity(const char *purpose)
{
	cf_acmeidentity r = {.node_id = 7, .auto_renew = true, .last_deploy_at = 1};
	r.purpose = (char *)purpose;
	r.state = "deployed";
	r.staged_pem = r.deploy_days = r.deploy_time = r.last_deploy_status = "";
	return r;
}

static void test_first_order_at_once(void **state)
{
	(void)state;
	cf_acmeidentity r = identity("tomcat");
	r.last_deploy_at = 0; /* a self-signed certificate is deployed: order now */
	cf_acme_plan p;
	cf_acme_auto_plan(&r, SUNDAY - 100 * DAY, SUNDAY + 1000 * DAY, SUNDAY + 5, &p);
	assert_int_equal(p.renew_at, SUNDAY + 5);
	assert_int_equal(p.submit_at, SUNDAY + 5);
	assert_int_equal(p.deploy_at, 0);
	assert_false(p.ari_due);
}

static void test_two_thirds_and_submission_times(void **state)
{
	(void)state;
	cf_acmeidentity r = identity("tomcat");
	r.ari_checked = SUNDAY; /* no window: the CA has no ARI */
	int64_t nb = SUNDAY - 30 * DAY, na = nb + 90 * DAY;
	cf_acme_plan p;
	cf_acme_auto_plan(&r, nb, na, SUNDAY, &p);
	assert_int_equal(p.renew_at, nb + 60 * DAY);
	assert_int_equal(p.floor_at, na - 90 * DAY / 20);
	assert_true(p.submit_at >= p.renew_at && p.submit_at < p.renew_at + HALF_DAY);
	assert_false(p.ari_due);
	/* the same time of day (mod 12 h) for another certificate of the identity */
	cf_acme_plan q;
	cf_acme_auto_plan(&r, nb + 3 * DAY + 77, na + 3 * DAY + 77, SUNDAY, &q);
	assert_int_equal(q.submit_at % HALF_DAY, p.submit_at % HALF_DAY);
	/* identities spread over the day */
	static const char *const purposes[] = {"tomcat", "CallManager", "cup-xmpp", "ipsec", "cup", "TVS"};
	int distinct = 0;
	for (int i = 0; i < 6; i++) {
		cf_acmeidentity o = identity(purposes[i]);
		o.ari_checked = SUNDAY;
		cf_acme_auto_plan(&o, nb, na, SUNDAY, &q);
		distinct += q.submit_at % HALF_DAY != p.submit_at % HALF_DAY;
	}
	assert_true(distinct >= 3);
	/* a day later the window is due again */
	cf_acme_auto_plan(&r, nb, na, SUNDAY + DAY, &p);
	assert_true(p.ari_due);
}

static void test_ari_window(void **state)
{
	(void)state;
	cf_acmeidentity r = identity("tomcat");
	int64_t nb = SUNDAY - 50 * DAY, na = nb + 90 * DAY;
	r.ari_checked = SUNDAY;
	r.ari_start = SUNDAY + 2 * DAY;
	r.ari_end = SUNDAY + 4 * DAY;
	cf_acme_plan p, again;
	cf_acme_auto_plan(&r, nb, na, SUNDAY, &p);
	assert_true(p.renew_at >= r.ari_start && p.renew_at < r.ari_end);
	assert_true(p.submit_at >= p.renew_at && p.submit_at < p.renew_at + HALF_DAY);
	cf_acme_auto_plan(&r, nb, na, SUNDAY + 3600, &again); /* chosen once per window */
	assert_int_equal(again.renew_at, p.renew_at);
	/* a window already over: the CA wants it now, no waiting for a submission time */
	r.ari_start = SUNDAY - 2 * DAY;
	r.ari_end = SUNDAY - DAY;
	cf_acme_auto_plan(&r, nb, na, SUNDAY, &p);
	assert_true(p.renew_at < SUNDAY);
	assert_int_equal(p.submit_at, p.renew_at);
}

static void test_floor(void **state)
{
	(void)state;
	cf_acmeidentity r = identity("tomcat");
	int64_t nb = SUNDAY, na = nb + 6 * DAY; /* a six-day certificate */
	r.ari_checked = SUNDAY;
	r.ari_start = na - 3600; /* a window past the floor (7.2 h before the end) */
	r.ari_end = na;
	cf_acme_plan p;
	cf_acme_auto_plan(&r, nb, na, SUNDAY, &p);
	assert_int_equal(p.floor_at, na - 6 * DAY / 20);
	assert_int_equal(p.renew_at, p.floor_at);
	assert_int_equal(p.submit_at, p.floor_at); /* no submission time after the floor */
}

static void test_failures_and_giving_up(void **state)
{
	(void)state;
	cf_acmeidentity r = identity("tomcat");
	r.last_deploy_at = 0;
	r.failures = 2;
	r.first_failure = SUNDAY - 1000;
	r.next_try = SUNDAY + 300;
	cf_acme_plan p;
	cf_acme_auto_plan(&r, 0, 0, SUNDAY, &p);
	assert_int_equal(p.submit_at, SUNDAY + 300);
	r.first_failure = SUNDAY - CF_ACME_GIVE_UP;
	cf_acme_auto_plan(&r, 0, 0, SUNDAY, &p);
	assert_int_equal(p.submit_at, 0);
}

static void test_deploy_window(void **state)
{
	(void)state;
	cf_acmeidentity r = identity("tomcat");
	int64_t nb = SUNDAY - 60 * DAY, na = nb + 90 * DAY;
	r.staged_pem = "-----BEGIN CERTIFICATE-----";
	r.staged_at = SUNDAY;
	r.ari_checked = SUNDAY;
	cf_acme_plan p;
	cf_acme_auto_plan(&r, nb, na, SUNDAY + 36000, &p); /* no window: at once */
	assert_int_equal(p.deploy_at, SUNDAY + 36000);
	assert_int_equal(p.submit_at, 0); /* staged: nothing to order */
	assert_false(p.ari_due);
	r.deploy_days = "mon";
	r.deploy_time = "02:00";
	cf_acme_auto_plan(&r, nb, na, SUNDAY + 36000, &p); /* Sunday 10:00: Monday 02:00 */
	assert_int_equal(p.deploy_at, MONDAY + 7200);
	cf_acme_auto_plan(&r, nb, na, MONDAY + 9000, &p); /* inside the hour: now */
	assert_int_equal(p.deploy_at, MONDAY + 9000);
	cf_acme_auto_plan(&r, nb, na, MONDAY + 3 * 3600, &p); /* missed: next Monday */
	assert_int_equal(p.deploy_at, MONDAY + 7 * DAY + 7200);
	/* the deployed certificate ends before the window: deploy now */
	cf_acme_auto_plan(&r, SUNDAY - 5 * DAY, SUNDAY + DAY, SUNDAY + 36000, &p);
	assert_int_equal(p.deploy_at, SUNDAY + 36000);
	/* a certificate the deploy refused waits for the operator */
	r.last_deploy_status = "refused";
	r.last_deploy_at = SUNDAY + 10;
	cf_acme_auto_plan(&r, nb, na, MONDAY + 9000, &p);
	assert_int_equal(p.deploy_at, 0);
	assert_int_equal(p.submit_at, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_days),
		cmocka_unit_test(test_time),
		cmocka_unit_test(test_longest_wait),
		cmocka_unit_test(test_first_order_at_once),
		cmocka_unit_test(test_two_thirds_and_submission_times),
		cmocka_unit_test(test_ari_window),
		cmocka_unit_test(test_floor),
		cmocka_unit_test(test_failures_and_giving_up),
		cmocka_unit_test(test_deploy_window),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
