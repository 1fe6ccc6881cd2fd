/* Unit tests for src/util: JSON string escaping (against jansson), string lists, atomic writes,
 * bounded reads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/buf.h"
#include "util/fileio.h"
#include "util/strv.h"
#include "util/text.h"

/* Our escaping must be byte-identical to jansson's JSON_ENSURE_ASCII output. */
static void test_json_str_matches_jansson(void **state)
{
	(void)state;
	const char *cases[] = {"plain",
			       "quote\" back\\slash /slash",
			       "ctl \x01\x1f\t\n\r\b\f",
			       "caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac",
			       "emoji \xf0\x9f\x98\x80",
			       "",
			       "CN=a,O=b\\,c"};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cf_buf b = {0};
		cf_buf_json_str(&b, cases[i]);
		json_t *s = json_string(cases[i]);
		char *want = json_dumps(s, JSON_ENCODE_ANY | JSON_ENSURE_ASCII);
		assert_non_null(want);
		assert_string_equal(b.p, want);
		free(want);
		json_decref(s);
		cf_buf_free(&b);
	}
}

static void test_json_str_invalid_utf8(void **state)
{
	(void)state;
	cf_buf b = {0};
	cf_buf_json_str(&b, "bad \xff\xc3 end");
	assert_string_equal(b.p, "\"bad \\uFFFD\\uFFFD end\"");
	json_t *v = json_loads(b.p, JSON_DECODE_ANY, NULL);
	assert_non_null(v);
	json_decref(v);
	cf_buf_free(&b);
}

static void test_strv(void **state)
{
	(void)state;
	cf_strv sv = {0};
	assert_int_equal(cf_strv_split(&sv, " b.example.com, a.example.com ,,b.example.com ", ","), 0);
	assert_int_equal(sv.n, 3);
	cf_strv_sort_unique(&sv);
	assert_int_equal(sv.n, 2);
	char *j = cf_strv_join(&sv, "|");
	assert_string_equal(j, "a.example.com|b.example.com");
	free(j);
	assert_true(cf_strv_contains(&sv, "a.example.com"));
	cf_strv_clear(&sv);
	assert_int_equal(sv.n, 0);
}

static void test_atomic_write_and_prev(void **state)
{
	(void)state;
	char dir[] = "/tmp/cf-util-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char path[128];
	snprintf(path, sizeof(path), "%s/key.pem", dir);
	cf_write_opts o = {.mode = 0600, .uid = (uid_t)-1, .gid = (gid_t)-1, .keep_prev = 1};
	cf_err e = {0};
	assert_int_equal(cf_file_write_atomic(path, "one", 3, &o, &e), CF_OK);
	assert_int_equal(cf_file_write_atomic(path, "two", 3, &o, &e), CF_OK);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	uint8_t *buf = NULL;
	size_t len = 0;
	assert_int_equal(cf_file_read(path, 100, &buf, &len, &e), CF_OK);
	assert_string_equal((char *)buf, "two");
	free(buf);
	char prev[160];
	snprintf(prev, sizeof(prev), "%s.prev", path);
	assert_int_equal(cf_file_read(prev, 100, &buf, &len, &e), CF_OK);
	assert_string_equal((char *)buf, "one");
	free(buf);
	/* a missing directory is the operator's input, not an internal error */
	char bad[160];
	snprintf(bad, sizeof(bad), "%s/nope/key.pem", dir);
	assert_int_equal(cf_file_write_atomic(bad, "x", 1, &o, &e), CF_E_INPUT);
	unlink(path);
	unlink(prev);
	rmdir(dir);
}

static void test_read_limits(void **state)
{
	(void)state;
	char path[] = "/tmp/cf-util-read-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	cf_err e = {0};
	uint8_t *buf = NULL;
	size_t len = 0;
	assert_int_equal(cf_file_read(path, 10, &buf, &len, &e), CF_E_INPUT);
	assert_string_equal(e.message, "file is empty");
	assert_int_equal(write(fd, "0123456789AB", 12), 12);
	close(fd);
	assert_int_equal(cf_file_read(path, 10, &buf, &len, &e), CF_E_INPUT);
	assert_string_equal(e.subject, path);
	assert_non_null(strstr(e.message, "larger than"));
	assert_int_equal(cf_file_read(path, 12, &buf, &len, &e), CF_OK);
	assert_int_equal(len, 12);
	free(buf);
	unlink(path);
}

static void test_text_clean(void **state)
{
	(void)state;
	static const struct {
		const char *s;
		bool ok;
	} cases[] = {
		{"ucm1.example.com", true},
		{"", true},
		{"caf\xc3\xa9 \xe6\x9d\xb1\xe4\xba\xac", true},
		{"\xf0\x9f\x94\x92 key", true},
		{"a\r\nX-Injected: 1", false},
		{"tab\there", false},
		{"del\x7f", false},
		{"\xff\xfe", false},
		{"\xc0\xae", false}, /* overlong '.' */
		{"\xe0\x80\xaf", false},
		{"\xed\xa0\x80", false},     /* surrogate */
		{"\xf4\x90\x80\x80", false}, /* past U+10FFFF */
		{"\xc2\x85", false},	     /* C1 control (NEL) */
		{"\xe6\x9d", false},	     /* truncated */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (cf_text_clean(cases[i].s, strlen(cases[i].s)) != cases[i].ok)
			fail_msg("case %zu: expected %s", i, cases[i].ok ? "clean" : "refused");
	assert_false(cf_text_clean("a\0b", 3)); /* NUL is a control character */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_str_matches_jansson),
		cmocka_unit_test(test_json_str_invalid_utf8),
		cmocka_unit_test(test_strv),
		cmocka_unit_test(test_atomic_write_and_prev),
		cmocka_unit_test(test_read_limits),
		cmocka_unit_test(test_text_clean),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
