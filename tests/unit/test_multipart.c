/* Unit tests for src/daemon/multipart: the upload form's bodies, well-formed and not. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "daemon/multipart.h"

#define TYPE "multipart/form-data; boundary=XyZ"

static cf_code parse(const char *type, const char *body, cf_form *f, cf_err *e)
{
	return cf_multipart_parse(type, (const uint8_t *)body, strlen(body), f, e);
}

static void test_browser_form(void **state)
{
	(void)state;
	const char *body = "--XyZ\r\n"
			   "Content-Disposition: form-data; name=\"node\"\r\n\r\n"
			   "ucm1.example.com\r\n"
			   "--XyZ\r\n"
			   "Content-Disposition: form-data; name=\"file\"; filename=\"leaf.pem\"\r\n"
			   "Content-Type: application/x-x509-ca-cert\r\n\r\n"
			   "-----BEGIN CERTIFICATE-----\r\nAAAA\r\n-----END CERTIFICATE-----\r\n\r\n"
			   "--XyZ--\r\n";
	cf_form f;
	cf_err e = {0};
	assert_int_equal(parse(TYPE, body, &f, &e), CF_OK);
	assert_int_equal(f.n, 2);
	const cf_part *node = cf_form_get(&f, "node"), *file = cf_form_get(&f, "file");
	assert_non_null(node);
	assert_int_equal(node->len, strlen("ucm1.example.com"));
	assert_memory_equal(node->data, "ucm1.example.com", node->len);
	assert_string_equal(node->filename, "");
	assert_non_null(file);
	assert_string_equal(file->filename, "leaf.pem");
	/* the content keeps its own line ends; only the one before the boundary belongs to it */
	assert_int_equal(file->len, strlen("-----BEGIN CERTIFICATE-----\r\nAAAA\r\n-----END CERTIFICATE-----\r\n"));
	assert_null(cf_form_get(&f, "key"));
}

static void test_quoted_boundary_and_binary(void **state)
{
	(void)state;
	static const uint8_t body[] = "preamble\r\n--a b\r\n"
				      "Content-Disposition: form-data; name=\"file\"; filename=\"c.der\"\r\n\r\n"
				      "\x30\x82\x00\r\n--a\r\n"
				      "\r\n--a b--";
	cf_form f;
	cf_err e = {0};
	assert_int_equal(cf_multipart_parse("multipart/form-data; charset=utf-8; boundary=\"a b\"", body,
					    sizeof(body) - 1, &f, &e),
			 CF_OK);
	assert_int_equal(f.n, 1);
	/* bytes that look almost like the boundary, and a NUL, are content */
	assert_int_equal(f.parts[0].len, 10);
	assert_memory_equal(f.parts[0].data, "\x30\x82\x00\r\n--a\r\n", 10);
}

static void expect_bad(const char *type, const char *body, const char *why)
{
	cf_form f;
	cf_err e = {0};
	assert_int_equal(parse(type, body, &f, &e), CF_E_INPUT);
	if (strstr(e.message, why) == NULL)
		fail_msg("expected \"%s\" in \"%s\"", why, e.message);
}

static void test_malformed(void **state)
{
	(void)state;
	const char *part = "--XyZ\r\nContent-Disposition: form-data; name=\"node\"\r\n\r\nx\r\n";
	expect_bad("application/json", "{}", "expected multipart/form-data");
	expect_bad("multipart/form-data", part, "without a boundary");
	expect_bad("multipart/form-data; boundary=\"XyZ", part, "unterminated");
	expect_bad("multipart/form-data; boundary=", part, "1 to 70");
	expect_bad(TYPE, "no boundary here", "does not contain the boundary");
	expect_bad(TYPE, part, "truncated");
	expect_bad(TYPE, "--XyZ--", "no parts");
	expect_bad(TYPE, "--XyZ\r\nContent-Disposition: form-data\r\n\r\nx\r\n--XyZ--", "without a name");
	expect_bad(TYPE, "--XyZ\r\nContent-Disposition: attachment; name=\"a\"\r\n\r\nx\r\n--XyZ--", "not form-data");
	expect_bad(TYPE,
		   "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx\r\n--XyZ\r\n"
		   "Content-Disposition: form-data; name=\"a\"\r\n\r\ny\r\n--XyZ--",
		   "twice");
	expect_bad(TYPE, "--XyZ\r\nContent-Disposition: form-data; name=\"a\"", "headers are missing");
	expect_bad(TYPE, "--XyZgarbage", "not followed by a line end");
}

static void test_too_many_parts(void **state)
{
	(void)state;
	char body[4096] = "";
	for (int i = 0; i <= CF_FORM_PARTS_MAX; i++) {
		char p[96];
		snprintf(p, sizeof(p), "--XyZ\r\nContent-Disposition: form-data; name=\"f%d\"\r\n\r\nv\r\n", i);
		strcat(body, p);
	}
	strcat(body, "--XyZ--");
	expect_bad(TYPE, body, "more than");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_browser_form),
		cmocka_unit_test(test_quoted_boundary_and_binary),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_too_many_parts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
