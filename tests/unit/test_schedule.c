/* Unit tests for the duties' plans: the daily CRL download time (core/jobs/duties) and the retry
 * ladder (core/jobs/jobs). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/jobs/duties.h"

#define DAY 86400
#define MIDNIGHT INT64_C(1795305600) /* 2026-11-22T00:00:00Z */

static void test_later_today(void **state)
{
	(void)state;
	assert_int_equal(cf_duty_daily_wait(MIDNIGHT + 3600, 120), 3600);	  /* 01:00 -> 02:00 */
	assert_int_equal(cf_duty_daily_wait(MIDNIGHT + 7170, 120), 30);		  /* 01:59:30 -> 02:00 */
	assert_int_equal(cf_duty_daily_wait(MIDNIGHT, 0), DAY);			  /* midnight itself: tomorrow's */
	assert_int_equal(cf_duty_daily_wait(MIDNIGHT + 10, 23 * 60 + 59), 86330); /* 23:59 today */
}

static void test_tomorrow(void **state)
{
	(void)state;
	assert_int_equal(cf_duty_daily_wait(MIDNIGHT + 7200, 120), DAY);     /* ran on time */
	assert_int_equal(cf_duty_daily_wait(MIDNIGHT + 7201, 120), DAY - 1); /* ran late */
	assert_int_equal(cf_duty_daily_wait(MIDNIGHT + 12 * 3600, 120), 14 * 3600);
}

static void test_backoff_ladder(void **state)
{
	(void)state;
	assert_int_equal(cf_jobs_backoff(1), 60);
	assert_int_equal(cf_jobs_backoff(2), 300);
	assert_int_equal(cf_jobs_backoff(3), 1800);
	assert_int_equal(cf_jobs_backoff(4), 3600);
	assert_int_equal(cf_jobs_backoff(5), 4 * 3600);
	assert_int_equal(cf_jobs_backoff(50), 4 * 3600); /* bounded */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_later_today),
		cmocka_unit_test(test_tomorrow),
		cmocka_unit_test(test_backoff_ladder),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
