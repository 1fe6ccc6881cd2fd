/* Unit tests for the daemon's daily CRL download time (src/daemon/crl_schedule) and the OCSP
 * check's wait (src/daemon/revcheck_schedule). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "daemon/crl_schedule.h"
#include "daemon/revcheck_schedule.h"

#define DAY 86400
#define MIDNIGHT INT64_C(1795305600) /* 2026-11-22T00:00:00Z */

static void test_later_today(void **state)
{
	(void)state;
	assert_int_equal(cf_crl_schedule_wait(MIDNIGHT + 3600, 120), 3600);	    /* 01:00 -> 02:00 */
	assert_int_equal(cf_crl_schedule_wait(MIDNIGHT + 7170, 120), 30);	    /* 01:59:30 -> 02:00 */
	assert_int_equal(cf_crl_schedule_wait(MIDNIGHT, 0), DAY);		    /* midnight itself: tomorrow's */
	assert_int_equal(cf_crl_schedule_wait(MIDNIGHT + 10, 23 * 60 + 59), 86330); /* 23:59 today */
}

static void test_tomorrow(void **state)
{
	(void)state;
	assert_int_equal(cf_crl_schedule_wait(MIDNIGHT + 7200, 120), DAY);     /* fired on time */
	assert_int_equal(cf_crl_schedule_wait(MIDNIGHT + 7201, 120), DAY - 1); /* fired late */
	assert_int_equal(cf_crl_schedule_wait(MIDNIGHT + 12 * 3600, 120), 14 * 3600);
}

static void test_revcheck_wait(void **state)
{
	(void)state;
	assert_int_equal(cf_revcheck_schedule_wait(MIDNIGHT, MIDNIGHT), 0);	   /* due now */
	assert_int_equal(cf_revcheck_schedule_wait(MIDNIGHT, MIDNIGHT - 5), 0);	   /* overdue */
	assert_int_equal(cf_revcheck_schedule_wait(MIDNIGHT, MIDNIGHT + 10), 10);  /* soon */
	assert_int_equal(cf_revcheck_schedule_wait(MIDNIGHT, MIDNIGHT + DAY), 60); /* a look at the settings first */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_later_today),
		cmocka_unit_test(test_tomorrow),
		cmocka_unit_test(test_revcheck_wait),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
