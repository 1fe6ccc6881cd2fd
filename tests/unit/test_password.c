/* Unit tests for src/crypto/password (scrypt hashes) and the account checks of src/core/accounts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/admin/accounts.h"
#include "crypto/password.h"

/* Cheap parameters keep the tests fast; the default cost is checked once. */
static char *hash_low(const char *pw)
{
	char *h = NULL;
	cf_err e = {0};
	assert_int_equal(cf_password_hash_params(pw, 4, 8, 1, &h, &e), CF_OK);
	assert_non_null(h);
	return h;
}

static void test_round_trip_default(void **state)
{
	(void)state;
	char *h = NULL;
	cf_err e = {0};
	assert_int_equal(cf_password_hash("correct horse battery", &h, &e), CF_OK);
	assert_true(strncmp(h, "$scrypt$ln=15,r=8,p=1$", 22) == 0);
	assert_true(cf_password_verify("correct horse battery", h));
	assert_false(cf_password_verify("correct horse batterY", h));
	assert_false(cf_password_verify("", h));
	free(h);
}

static void test_wrong_password(void **state)
{
	(void)state;
	char *h = hash_low("s3cret-password!");
	assert_true(cf_password_verify("s3cret-password!", h));
	assert_false(cf_password_verify("s3cret-password", h));
	assert_false(cf_password_verify("s3cret-password!!", h));
	assert_false(cf_password_verify(NULL, h));
	free(h);
}

static void test_salted(void **state)
{
	(void)state;
	char *a = hash_low("same password here"), *b = hash_low("same password here");
	assert_string_not_equal(a, b);
	/* the salts differ, not only the hashes */
	const char *sa = strchr(a + 8, '$'), *sb = strchr(b + 8, '$');
	assert_non_null(sa);
	assert_non_null(sb);
	assert_false(strncmp(sa, sb, 25) == 0);
	assert_true(cf_password_verify("same password here", a));
	assert_true(cf_password_verify("same password here", b));
	free(a);
	free(b);
}

static void test_malformed(void **state)
{
	(void)state;
	char *h = hash_low("malformed tests");
	char buf[256];
	const char *bad[] = {
		"",
		"$scrypt$",
		"$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA",
		"$scrypt$ln=4,r=8$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
		"$scrypt$ln=0,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
		"$scrypt$ln=99,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
		"$scrypt$ln=4,r=8,p=1$AAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
		"$scrypt$ln=4,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA==$AAAA",
		"$scrypt$ln=4,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA==",
		"$scrypt$ln=4,r=8,p=1$!!!!AAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
		"$scrypt$ln=-4,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (cf_password_verify("malformed tests", bad[i]))
			fail_msg("accepted malformed \"%s\"", bad[i]);
	assert_false(cf_password_verify("malformed tests", NULL));
	/* a truncated or extended copy of a good hash */
	size_t len = strlen(h);
	snprintf(buf, sizeof(buf), "%.*s", (int)(len - 1), h);
	assert_false(cf_password_verify("malformed tests", buf));
	snprintf(buf, sizeof(buf), "%sA", h);
	assert_false(cf_password_verify("malformed tests", buf));
	snprintf(buf, sizeof(buf), "%s$", h);
	assert_false(cf_password_verify("malformed tests", buf));
	assert_true(cf_password_verify("malformed tests", h));
	free(h);
}

static void test_params_honoured(void **state)
{
	(void)state;
	char *h = NULL, buf[256];
	cf_err e = {0};
	assert_int_equal(cf_password_hash_params("parameter check", 5, 4, 2, &h, &e), CF_OK);
	assert_true(strncmp(h, "$scrypt$ln=5,r=4,p=2$", 21) == 0);
	assert_true(cf_password_verify("parameter check", h));
	/* the same salt and hash under other parameters no longer verify */
	const char *rest = h + strlen("$scrypt$ln=5,r=4,p=2");
	snprintf(buf, sizeof(buf), "$scrypt$ln=6,r=4,p=2%s", rest);
	assert_false(cf_password_verify("parameter check", buf));
	snprintf(buf, sizeof(buf), "$scrypt$ln=5,r=8,p=2%s", rest);
	assert_false(cf_password_verify("parameter check", buf));
	snprintf(buf, sizeof(buf), "$scrypt$ln=5,r=4,p=1%s", rest);
	assert_false(cf_password_verify("parameter check", buf));
	free(h);
	assert_int_equal(cf_password_hash_params("x", 0, 8, 1, &h, &e), CF_E_INPUT);
	assert_int_equal(cf_password_hash_params("x", 21, 8, 1, &h, &e), CF_E_INPUT);
}

static void test_account_checks(void **state)
{
	(void)state;
	cf_err e = {0};
	char longname[80];
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_int_equal(cf_account_check_name("admin", &e), CF_OK);
	assert_int_equal(cf_account_check_name("Jane.Doe_2-x", &e), CF_OK);
	assert_int_equal(cf_account_check_name("", &e), CF_E_INPUT);
	assert_int_equal(cf_account_check_name("a b", &e), CF_E_INPUT);
	assert_int_equal(cf_account_check_name("a/b", &e), CF_E_INPUT);
	assert_int_equal(cf_account_check_name(longname, &e), CF_E_INPUT);
	longname[64] = '\0';
	assert_int_equal(cf_account_check_name(longname, &e), CF_OK);
	assert_int_equal(cf_account_check_role("admin", &e), CF_OK);
	assert_int_equal(cf_account_check_role("read-only", &e), CF_OK);
	assert_int_equal(cf_account_check_role("root", &e), CF_E_INPUT);
	assert_int_equal(cf_account_check_password("12345678901", &e), CF_E_INPUT);
	assert_null(strstr(e.message, "12345678901"));
	assert_int_equal(cf_account_check_password("123456789012", &e), CF_OK);
	/* characters, not bytes: 11 two-byte characters are still too short */
	assert_int_equal(cf_account_check_password("ééééééééééé", &e), CF_E_INPUT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip_default),
		cmocka_unit_test(test_wrong_password),
		cmocka_unit_test(test_salted),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_params_honoured),
		cmocka_unit_test(test_account_checks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
