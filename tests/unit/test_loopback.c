/* Unit tests for cf_listen_is_loopback: the decision whether certfleetd serves /metrics without
 * a bearer token (only on a literal loopback listen address). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "daemon/daemon.h"

static void test_loopback(void **state)
{
	(void)state;
	static const char *const yes[] = {"127.0.0.1", "127.0.0.2",	  "127.255.255.254",  "127.1.2.3",
					  "::1",       "0:0:0:0:0:0:0:1", "::ffff:127.0.0.1", "::FFFF:127.9.9.9"};
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		print_message("loopback: %s\n", yes[i]);
		assert_true(cf_listen_is_loopback(yes[i]));
	}
}

static void test_not_loopback(void **state)
{
	(void)state;
	/* wildcards, real interfaces, look-alikes, names (resolved by the resolver, not by us) and junk */
	static const char *const no[] = {"0.0.0.0",
					 "::",
					 "192.0.2.2",
					 "10.0.0.1",
					 "128.0.0.1",
					 "126.255.255.255",
					 "fd00::2",
					 "fe80::1",
					 "::2",
					 "::ffff:10.0.0.1",
					 "::ffff:128.0.0.1",
					 "::127.0.0.1", /* IPv4-compatible, deprecated: not loopback */
					 "localhost",
					 "127.0.0.1.example.com",
					 "127.0.0.1 ",
					 " 127.0.0.1",
					 "127.0.0.1/8",
					 "127.1",
					 "0x7f.0.0.1",
					 "[::1]",
					 "::1%lo",
					 "",
					 NULL};
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		print_message("not loopback: %s\n", no[i] != NULL ? no[i] : "(null)");
		assert_false(cf_listen_is_loopback(no[i]));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_loopback),
		cmocka_unit_test(test_not_loopback),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
