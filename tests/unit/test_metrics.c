/* Unit tests for the helpers of the x509-certificate-exporter families of /metrics: the serial
 * number in decimal (as Go's big.Int prints it) and the CN of an RFC 2253 name as OpenSSL prints
 * it (escapes undone). The whole exposition is checked end to end by test_metrics.sh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "core/monitor/metrics.h"

static void serial_is(const char *hex, const char *want)
{
	cf_buf b = {0};
	print_message("serial %.40s%s\n", hex, strlen(hex) > 40 ? "..." : "");
	assert_true(cf_metrics_serial_decimal(&b, hex));
	assert_false(b.oom);
	assert_string_equal(b.p, want);
	cf_buf_free(&b);
}

static void test_serial_decimal(void **state)
{
	(void)state;
	serial_is("0", "0");
	serial_is("00", "0");
	serial_is("1", "1");
	serial_is("ff", "255");
	serial_is("FF", "255");
	serial_is("3b9ac9ff", "999999999");  /* one limb of 9 digits, full */
	serial_is("3b9aca00", "1000000000"); /* the next one: a second limb, the first zero-padded */
	serial_is("de0b6b3a7640001", "1000000000000000001");
	serial_is("ffffffffffffffff", "18446744073709551615");
	serial_is("0100000000000000000000000000000000", "340282366920938463463374607431768211456"); /* 2^128 */
	serial_is("f1e2d3c4b5a697887766554433221100ffeedd", "5394239030517750101787403360659429389364096733");
	serial_is("-1", "-1");
	serial_is("-3b9aca00", "-1000000000");
	serial_is("-0", "0");
	/* longer than the limbs kept on the stack: leading zeros, then a known value */
	char long_hex[700];
	memset(long_hex, '0', 600);
	strcpy(long_hex + 600, "ffffffffffffffff");
	serial_is(long_hex, "18446744073709551615");
}

static void test_serial_not_hex(void **state)
{
	(void)state;
	static const char *const bad[] = {"", "-", "0x1f", "12 3", "g", "1-2", "--1"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cf_buf b = {0};
		print_message("not a serial: [%s]\n", bad[i]);
		assert_false(cf_metrics_serial_decimal(&b, bad[i]));
		assert_int_equal(b.len, 0);
		cf_buf_free(&b);
	}
}

static void cn_is(const char *name, const char *want)
{
	cf_buf b = {0};
	print_message("name [%s]\n", name);
	if (want == NULL) {
		assert_false(cf_metrics_name_cn(&b, name));
		assert_int_equal(b.len, 0);
	} else {
		assert_true(cf_metrics_name_cn(&b, name));
		assert_int_equal(b.len, strlen(want));
		assert_memory_equal(b.len > 0 ? b.p : "", want, b.len);
	}
	cf_buf_free(&b);
}

static void test_name_cn(void **state)
{
	(void)state;
	cn_is("CN=ucm1.example.com,OU=UC,O=Example,C=US", "ucm1.example.com");
	cn_is("C=US,O=Example,CN=last", "last");
	/* RFC 2253 lists the last RDN first: the first CN of the text is the last of the DER */
	cn_is("CN=leaf,OU=x,CN=root-most", "leaf");
	cn_is("O=certfleet test", NULL);
	cn_is("", NULL);
	cn_is(NULL, NULL);
	cn_is("CN=,O=x", "");
	/* escapes as X509_NAME_print_ex writes them: specials with a backslash, control bytes in hex */
	cn_is("CN=certfleet \\\"Quoted\\\" CA \\\\ back\\\\slash,O=certfleet test",
	      "certfleet \"Quoted\" CA \\ back\\slash");
	cn_is("CN=two\\0Alines CA,O=certfleet test", "two\nlines CA");
	cn_is("CN=a\\,b\\+c\\;d\\<e\\>,O=x", "a,b+c;d<e>");
	cn_is("CN=\\#hash\\ ,O=x", "#hash ");
	cn_is("CN=Z\xc3\xbcrich CA", "Z\xc3\xbcrich CA");
	/* a multi-valued RDN, and CN= inside another attribute's value */
	cn_is("OU=c+CN=d,O=x", "d");
	cn_is("OU=CN=fake,CN=real", "real");
	cn_is("OU=x\\,CN=fake,O=y", NULL);
	cn_is("emailAddress=a@example.com,CN=e", "e");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_serial_decimal),
		cmocka_unit_test(test_serial_not_hex),
		cmocka_unit_test(test_name_cn),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
