/* Unit tests for src/core/fqdn: the host name rules of SPEC §3.3. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/model/fqdn.h"

/* A label of n copies of c (n < 256), in a static buffer per slot. */
static const char *label(int slot, char c, size_t n)
{
	static char buf[8][256];
	memset(buf[slot], c, n);
	buf[slot][n] = '\0';
	return buf[slot];
}

static void assert_valid(const char *s)
{
	const char *why = cf_fqdn_problem(s);
	if (why != NULL)
		fail_msg("\"%s\" should be a valid FQDN, but: %s", s, why);
	assert_true(cf_fqdn_valid(s));
}

/* Invalid, and the reason contains `because` (when non-NULL). */
static void assert_invalid(const char *s, const char *because)
{
	const char *why = cf_fqdn_problem(s);
	if (why == NULL)
		fail_msg("\"%s\" should not be a valid FQDN", s);
	assert_false(cf_fqdn_valid(s));
	if (because != NULL && strstr(why, because) == NULL)
		fail_msg("\"%s\": reason \"%s\" does not mention \"%s\"", s, why, because);
}

static void test_valid_names(void **state)
{
	(void)state;
	assert_valid("cucm-pub.example.com");
	assert_valid("a.b");
	assert_valid("x1.example.co");
	assert_valid("1host.example.com"); /* only the last label must start with a letter */
	assert_valid("123.example.com");
	assert_valid("host.example.c0m");
	assert_valid("UCM1.Example.COM");
	assert_valid("a-b-c.d-e.example");
	assert_valid("xn--bcher-kva.example"); /* punycode is letters, digits, hyphens */
}

static void test_empty(void **state)
{
	(void)state;
	assert_invalid("", "empty");
}

static void test_single_label(void **state)
{
	(void)state;
	assert_invalid("localhost", "single label");
	assert_invalid("cucm-pub", "single label");
}

static void test_ip_addresses(void **state)
{
	(void)state;
	assert_true(cf_is_ip("10.0.0.1"));
	assert_true(cf_is_ip("192.168.100.254"));
	assert_true(cf_is_ip("2001:db8::1"));
	assert_true(cf_is_ip("::1"));
	assert_true(cf_is_ip("fe80::a00:27ff:fe4e:66a1"));
	assert_false(cf_is_ip("host.example.com"));
	assert_false(cf_is_ip("999.1.1.1"));
	assert_false(cf_is_ip("10.0.0"));
	assert_false(cf_is_ip(""));

	assert_invalid("10.0.0.1", "IP address");
	assert_invalid("192.168.100.254", "IP address");
	assert_invalid("2001:db8::1", "IP address");
	assert_invalid("::1", "IP address");
	/* not an address either, and the last label starts with a digit */
	assert_invalid("999.1.1.1", "last label");
}

static void test_hyphens(void **state)
{
	(void)state;
	assert_invalid("-host.example.com", "hyphen");
	assert_invalid("host-.example.com", "hyphen");
	assert_invalid("host.-example.com", "hyphen");
	assert_invalid("host.example-.com", "hyphen");
	assert_invalid("host.example.com-", "hyphen");
	assert_invalid("host.example.-com", "hyphen");
	assert_invalid("-.example.com", "hyphen");
}

static void test_last_label_digit(void **state)
{
	(void)state;
	assert_invalid("host.example.1com", "last label");
	assert_invalid("host.123", "last label");
	assert_invalid("host.example.0", "last label");
}

static void test_label_length(void **state)
{
	(void)state;
	char name[1100]; /* room for what -Wformat-truncation can prove */
	snprintf(name, sizeof(name), "%s.example.com", label(0, 'a', 63));
	assert_valid(name);
	snprintf(name, sizeof(name), "%s.example.com", label(0, 'a', 64));
	assert_invalid(name, "63");
	snprintf(name, sizeof(name), "host.%s", label(0, 'b', 63));
	assert_valid(name);
	snprintf(name, sizeof(name), "host.%s", label(0, 'b', 64));
	assert_invalid(name, "63");
	snprintf(name, sizeof(name), "host.%s.com", label(0, '7', 64));
	assert_invalid(name, "63");
}

static void test_total_length(void **state)
{
	(void)state;
	char name[1100]; /* room for what -Wformat-truncation can prove */
	/* 63 + 1 + 63 + 1 + 63 + 1 + 61 = 253 */
	snprintf(name, sizeof(name), "%s.%s.%s.%s", label(0, 'a', 63), label(1, 'b', 63), label(2, 'c', 63),
		 label(3, 'd', 61));
	assert_int_equal(strlen(name), 253);
	assert_valid(name);
	/* one more character in the last label: 254 */
	snprintf(name, sizeof(name), "%s.%s.%s.%s", label(0, 'a', 63), label(1, 'b', 63), label(2, 'c', 63),
		 label(3, 'd', 62));
	assert_int_equal(strlen(name), 254);
	assert_invalid(name, "253");
}

static void test_empty_labels(void **state)
{
	(void)state;
	assert_invalid("host..example.com", "empty label");
	assert_invalid(".example.com", "empty label");
	assert_invalid("host.example..", "empty label");
	assert_invalid("..", "empty label");
}

static void test_bad_characters(void **state)
{
	(void)state;
	assert_invalid("_sip.example.com", "letters, digits");
	assert_invalid("host_1.example.com", "letters, digits");
	assert_invalid("host.exa mple.com", "letters, digits");
	assert_invalid("host.example.com/path", "letters, digits");
	assert_invalid("h\xc3\xb3st.example.com", "letters, digits"); /* UTF-8 ó */
	assert_invalid("host:8443.example.com", "letters, digits");
	assert_invalid("user@example.com", "letters, digits");
}

static void test_wildcards(void **state)
{
	(void)state;
	/* the plain check refuses any wildcard */
	assert_invalid("*.example.com", "wildcard");
	assert_invalid("a.*.example.com", "wildcard");

	/* the wildcard check accepts "*.<valid FQDN>" and nothing else */
	assert_null(cf_wildcard_fqdn_problem("*.example.com"));
	assert_null(cf_wildcard_fqdn_problem("*.im.example.com"));
	assert_null(cf_wildcard_fqdn_problem("example.com")); /* plain names stay valid */
	assert_non_null(cf_wildcard_fqdn_problem("*.com"));   /* single label after the star */
	assert_non_null(cf_wildcard_fqdn_problem("*"));
	assert_non_null(cf_wildcard_fqdn_problem("*."));
	assert_non_null(cf_wildcard_fqdn_problem("*example.com"));
	assert_non_null(cf_wildcard_fqdn_problem("**.example.com"));
	assert_non_null(cf_wildcard_fqdn_problem("*.*.example.com"));
	assert_non_null(cf_wildcard_fqdn_problem("a.*.example.com"));
	assert_non_null(cf_wildcard_fqdn_problem("host.*"));
	assert_non_null(cf_wildcard_fqdn_problem("*.10.0.0.1"));
	assert_non_null(cf_wildcard_fqdn_problem("*.-bad.example.com"));
	assert_non_null(cf_wildcard_fqdn_problem("*.example.1com"));
	assert_non_null(cf_wildcard_fqdn_problem(""));
	assert_non_null(cf_wildcard_fqdn_problem("localhost"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_names),  cmocka_unit_test(test_empty),
		cmocka_unit_test(test_single_label), cmocka_unit_test(test_ip_addresses),
		cmocka_unit_test(test_hyphens),	     cmocka_unit_test(test_last_label_digit),
		cmocka_unit_test(test_label_length), cmocka_unit_test(test_total_length),
		cmocka_unit_test(test_empty_labels), cmocka_unit_test(test_bad_characters),
		cmocka_unit_test(test_wildcards),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
