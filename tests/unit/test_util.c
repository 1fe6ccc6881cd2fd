/* Unit tests for src/util: JSON string escaping (against jansson), string lists, atomic writes,
 * bounded reads, secrets (wiped growth, reads that leave no copy, no core dumps). The binary is
 * linked with -Wl,--wrap=free: every block certfleet's code frees passes __wrap_free, which
 * counts the ones still holding a marker, then frees it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util/buf.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/fileio.h"
#include "util/secret.h"
#include "util/spawn.h"
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

/* Appends of every kind into one buffer, across its growth (the inline path and the one that
 * grows), give the text snprintf gives. */
static void test_buf_appends(void **state)
{
	(void)state;
	static const int64_t ints[] = {0, 7, -1, 1234567890123, INT64_MAX, INT64_MIN};
	cf_buf b = {0};
	char want[16384];
	size_t w = 0;
	for (int i = 0; i < 300; i++) {
		int64_t v = ints[i % 6];
		cf_buf_add_int(&b, v);
		cf_buf_addl(&b, ",");
		cf_buf_json_str(&b, i % 2 ? "plain text" : "q\"uote");
		cf_buf_adds(&b, ";");
		w += (size_t)snprintf(want + w, sizeof(want) - w, "%lld,%s;", (long long)v,
				      i % 2 ? "\"plain text\"" : "\"q\\\"uote\"");
		assert_true(w < sizeof(want));
	}
	assert_int_equal(b.len, w);
	assert_string_equal(b.p, want);
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

/* ---- secrets ---- */

static const char marker[] = "-----BEGIN PRIVATE KEY----- unit test marker 4711";
static bool watching;	    /* __wrap_free looks into blocks only while a test watches */
static size_t freed_marked; /* blocks freed while still holding the marker */

void __real_free(void *p);
void __wrap_free(void *p);
void __wrap_free(void *p)
{
	if (watching && p != NULL && memmem(p, malloc_usable_size(p), marker, sizeof(marker) - 1) != NULL)
		freed_marked++;
	__real_free(p);
}

/* The watcher sees an unwiped block (so the checks below can fail), and cf_secret_grow copies the
 * bytes in use and leaves no copy in the block it frees. */
static void test_secret_grow_wipes(void **state)
{
	(void)state;
	watching = true;
	freed_marked = 0;
	cf_buf plain = {0}; /* an ordinary buffer is freed as it is */
	cf_buf_adds(&plain, marker);
	cf_buf_free(&plain);
	assert_int_equal(freed_marked, 1);

	freed_marked = 0;
	size_t cap = 64;
	uint8_t *b = malloc(cap);
	assert_non_null(b);
	memcpy(b, marker, sizeof(marker));
	assert_int_equal(cf_secret_grow(&b, &cap, sizeof(marker), 64), 0); /* room enough: no change */
	assert_int_equal(cap, 64);
	assert_int_equal(cf_secret_grow(&b, &cap, sizeof(marker), 65), 0);
	assert_int_equal(cap, 128);
	assert_memory_equal(b, marker, sizeof(marker));
	assert_int_equal(cf_secret_grow(&b, &cap, sizeof(marker), 1000), 0);
	assert_int_equal(cap, 1000);
	assert_memory_equal(b, marker, sizeof(marker));
	assert_int_equal(freed_marked, 0);
	cf_secret_wipe(b, cap);
	free(b);
	assert_int_equal(freed_marked, 0);
	watching = false;
}

/* A child writes n bytes of key-like text (the marker over and over) into a pipe; returns the
 * reading end as a /proc/self/fd path in path. */
static pid_t pipe_writer(size_t n, char path[64], int *rfd)
{
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(fds[0]);
		for (size_t done = 0; done < n;) {
			size_t k = n - done < sizeof(marker) - 1 ? n - done : sizeof(marker) - 1;
			ssize_t w = write(fds[1], marker, k);
			if (w <= 0)
				_exit(1);
			done += (size_t)w;
		}
		_exit(0);
	}
	close(fds[1]);
	*rfd = fds[0];
	snprintf(path, 64, "/proc/self/fd/%d", fds[0]);
	return pid;
}

/* A key read from a pipe (standard input, a process substitution) grows its buffer several times:
 * no freed block keeps a copy, whether the read succeeds or is refused as too large. */
static void test_read_pipe_leaves_no_copy(void **state)
{
	(void)state;
	const size_t n = 300 * 1024; /* past the first 64 KiB block: grown three times */
	char path[64];
	int rfd;
	cf_err e = {0};
	uint8_t *buf = NULL;
	size_t len = 0;

	pid_t pid = pipe_writer(n, path, &rfd);
	watching = true;
	freed_marked = 0;
	assert_int_equal(cf_file_read(path, 1u << 20, &buf, &len, &e), CF_OK);
	assert_int_equal(freed_marked, 0);
	assert_int_equal(len, n);
	assert_memory_equal(buf, marker, sizeof(marker) - 1);
	assert_memory_equal(buf + n - 7, marker + (n % (sizeof(marker) - 1)) - 7, 7);
	cf_secret_wipe(buf, len);
	free(buf);
	assert_int_equal(freed_marked, 0);
	watching = false;
	close(rfd);
	waitpid(pid, NULL, 0);

	buf = NULL;
	pid = pipe_writer(n, path, &rfd);
	watching = true;
	freed_marked = 0;
	assert_int_equal(cf_file_read(path, 200 * 1024, &buf, &len, &e), CF_E_INPUT);
	assert_non_null(strstr(e.message, "larger than"));
	assert_null(buf);
	assert_int_equal(freed_marked, 0);
	watching = false;
	close(rfd); /* the writer gets EPIPE */
	waitpid(pid, NULL, 0);
}

/* After cf_process_harden the process is not dumpable and may not write a core file, nor raise
 * the limit again. */
static void test_process_harden(void **state)
{
	(void)state;
	struct rlimit rl;
	cf_err e = {0};
	assert_int_equal(cf_process_harden(&e), CF_OK);
	assert_int_equal(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 0);
	assert_int_equal(getrlimit(RLIMIT_CORE, &rl), 0);
	assert_int_equal(rl.rlim_cur, 0);
	assert_int_equal(rl.rlim_max, 0);
	rl.rlim_cur = rl.rlim_max = RLIM_INFINITY;
	if (geteuid() != 0) /* root may raise a hard limit */
		assert_int_not_equal(setrlimit(RLIMIT_CORE, &rl), 0);
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

/* Text for a terminal or a log: control characters (C0, DEL, C1) and bytes that are not UTF-8 as
 * \xHH, NULs included; other text (UTF-8 too) as it is; cut only between characters. */
static void test_text_escape(void **state)
{
	(void)state;
	static const struct {
		const char *s;
		size_t len;
		const char *want;
	} cases[] = {
		{"plain text", 10, "plain text"},
		{"a\nb", 3, "a\\x0ab"},
		{"Evil\x1b[2J Root", 13, "Evil\\x1b[2J Root"},
		{"victim.example.com\0.attacker", 28, "victim.example.com\\x00.attacker"},
		{"tab\tdel\x7f", 8, "tab\\x09del\\x7f"},
		{"Z\xc3\xbcrich \xe6\x97\xa5", 11, "Z\xc3\xbcrich \xe6\x97\xa5"},
		{"c1 \xc2\x9b", 5, "c1 \\xc2\\x9b"},
		{"bad \xff\xc3", 6, "bad \\xff\\xc3"},
		{"back\\slash", 10, "back\\slash"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = cf_text_escaped(cases[i].s, cases[i].len);
		assert_non_null(got);
		assert_string_equal(got, cases[i].want);
		free(got);
	}
	char out[8];
	assert_string_equal(cf_text_escape("abc\ndef", 7, out, 7), "abc");		    /* no half escape */
	assert_string_equal(cf_text_escape("ab\xc3\xbc\xc3\xbc", 6, out, 6), "ab\xc3\xbc"); /* no half char */
}

/* An error's subject and message are one line: a file name with a line feed is escaped. */
static void test_err_one_line(void **state)
{
	(void)state;
	cf_err e = {0};
	assert_int_equal(cf_err_set(&e, CF_E_INPUT, "bad\nforged: ok.pem", "%s\r\n%s", "first", "second"), CF_E_INPUT);
	assert_string_equal(e.subject, "bad\\x0aforged: ok.pem");
	assert_string_equal(e.message, "first\\x0d\\x0asecond");
	cf_err_subject(&e, "x\x1b[2Jy");
	assert_string_equal(e.subject, "x\\x1b[2Jy");
	cf_err_subject(&e, e.subject); /* its own subject again: unchanged */
	assert_string_equal(e.subject, "x\\x1b[2Jy");
}

/* A reload command: status, stdout and stderr kept as escaped lines, stdin empty, certfleet's
 * descriptors and ignored SIGPIPE not passed on, the time bounded, background work not waited
 * for, long output cut. */
/* The date writer against the C library's (years 1000 to 9999), across leap years, centuries and
 * both sides of the epoch. */
static void test_time_rfc3339(void **state)
{
	(void)state;
	int64_t fixed[] = {0,
			   -1,
			   86399,
			   86400,
			   951782400 /* 2000-02-29 */,
			   4107542399 /* 2100-02-28T23:59:59 */,
			   253402300799 /* 9999-12-31T23:59:59 */,
			   -2208988800 /* 1900-01-01 */,
			   -30610224000 /* 1000-01-01 */};
	unsigned x = 12345;
	for (int i = 0; i < 200000; i++) {
		int64_t t;
		if (i < (int)(sizeof(fixed) / sizeof(fixed[0])))
			t = fixed[i];
		else {
			x = x * 1103515245u + 12345u;
			t = (int64_t)(((uint64_t)x << 20) ^ (uint64_t)(x >> 3)) % 253402300800 - 62167219200 / 4;
		}
		char got[32], want[32];
		time_t tt = (time_t)t;
		struct tm tm;
		assert_non_null(gmtime_r(&tt, &tm));
		strftime(want, sizeof(want), "%Y-%m-%dT%H:%M:%SZ", &tm);
		cf_time_rfc3339(t, got);
		if (strcmp(got, want) != 0)
			fail_msg("%lld: %s, the C library says %s", (long long)t, got, want);
	}
	char buf[32];
	cf_time_rfc3339(-62167219200, buf); /* RFC 3339 has four digits where the C library has one */
	assert_string_equal(buf, "0000-01-01T00:00:00Z");
	cf_time_rfc3339(253402300800, buf); /* year 10000: the C library's text */
	assert_string_equal(buf, "10000-01-01T00:00:00Z");
}

static void test_spawn_shell(void **state)
{
	(void)state;
	cf_spawn_result r;
	assert_int_equal(cf_spawn_shell("echo out; echo err >&2; printf 'ctl\\001\\n'; cat; exit 3", 10, &r), 3);
	assert_int_equal(r.timed_out, 0);
	assert_int_equal(r.output_cut, 0);
	assert_string_equal(r.output, "out\nerr\nctl\\x01\n");
	free(r.output);

	/* a descriptor certfleet holds without O_CLOEXEC (as the store or a lock might) */
	int fd = open("/dev/null", O_RDONLY);
	assert_true(fd > 2);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "[ -e /proc/self/fd/%d ] && echo leaked; true", fd);
	assert_int_equal(cf_spawn_shell(cmd, 10, &r), 0);
	assert_string_equal(r.output, "");
	free(r.output);
	close(fd);

	/* SIGPIPE at its default: `yes` ends quietly when head has its line */
	void (*old)(int) = signal(SIGPIPE, SIG_IGN);
	assert_int_equal(cf_spawn_shell("yes | head -1", 10, &r), 0);
	assert_string_equal(r.output, "y\n");
	free(r.output);
	signal(SIGPIPE, old);

	/* the shell is waited for, not what it left in the background (killed here by its pid) */
	assert_int_equal(cf_spawn_shell("sleep 60 >/dev/null 2>&1 & echo $!", 20, &r), 0);
	assert_int_equal(r.timed_out, 0);
	long bg = strtol(r.output, NULL, 10);
	assert_true(bg > 1);
	kill((pid_t)bg, SIGKILL);
	free(r.output);

	/* past the limit: killed, with its children */
	assert_int_equal(cf_spawn_shell("echo started; sleep 60; echo never", 1, &r), -1);
	assert_int_equal(r.timed_out, 1);
	assert_string_equal(r.output, "started\n");
	free(r.output);

	assert_int_equal(cf_spawn_shell("head -c 5000 /dev/zero | tr '\\0' a", 10, &r), 0);
	assert_int_equal(r.output_cut, 1);
	assert_int_equal(strlen(r.output), CF_SPAWN_OUTPUT_MAX);
	free(r.output);

	assert_int_equal(cf_spawn_shell("exec /nonexistent/command 2>/dev/null", 10, &r), 127);
	free(r.output);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_str_matches_jansson),
		cmocka_unit_test(test_json_str_invalid_utf8),
		cmocka_unit_test(test_buf_appends),
		cmocka_unit_test(test_strv),
		cmocka_unit_test(test_atomic_write_and_prev),
		cmocka_unit_test(test_read_limits),
		cmocka_unit_test(test_text_clean),
		cmocka_unit_test(test_text_escape),
		cmocka_unit_test(test_err_one_line),
		cmocka_unit_test(test_secret_grow_wipes),
		cmocka_unit_test(test_read_pipe_leaves_no_copy),
		cmocka_unit_test(test_time_rfc3339),
		cmocka_unit_test(test_spawn_shell),
		cmocka_unit_test(test_process_harden), /* last: it changes the process */
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
