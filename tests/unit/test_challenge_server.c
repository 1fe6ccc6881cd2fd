/* The HTTP-01 challenge responder (net/challenge_server.h) over real sockets on loopback: what it
 * answers (200 with the exact key authorization for GET and HEAD, 404 for everything else, 405
 * for other methods, 400 for what is not HTTP), what it closes (an oversized head, a client that
 * sends nothing, connections past the cap), several validators at once, its errors when it cannot
 * listen, and stop joining cleanly. curl fetches one token as an independent client; the request
 * parser is also tested on its own. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "net/challenge_server.h"

#define TOKEN "evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA"
#define KEYAUTH TOKEN ".nP1qzpXGymHBrUEepNY9HCsQk7K8KhOypzEt62jcerQ"
#define TOKEN2 "LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0"
#define KEYAUTH2 TOKEN2 ".9jg46WB3rR_AHD-EBXdN7cBkH1WOu0tA3M9fm21mqTI"
#define PATH "/.well-known/acme-challenge/"

/* ---- the lookup: two known tokens; a third blocks until released (for stop) ---- */

static atomic_int lookups;
static pthread_mutex_t gate_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cv = PTHREAD_COND_INITIALIZER;
static bool gate_entered, gate_open;

static bool lookup(void *ctx, const char *token, char **out)
{
	(void)ctx;
	atomic_fetch_add(&lookups, 1);
	const char *ka = strcmp(token, TOKEN) == 0 ? KEYAUTH : strcmp(token, TOKEN2) == 0 ? KEYAUTH2 : NULL;
	if (strcmp(token, "blocking") == 0) {
		pthread_mutex_lock(&gate_mu);
		gate_entered = true;
		pthread_cond_broadcast(&gate_cv);
		while (!gate_open)
			pthread_cond_wait(&gate_cv, &gate_mu);
		pthread_mutex_unlock(&gate_mu);
		ka = KEYAUTH;
	}
	if (ka == NULL)
		return false;
	*out = strdup(ka);
	return *out != NULL;
}

/* ---- a client ---- */

static cf_hostport loopback(int port)
{
	cf_hostport hp = {.ip = true};
	snprintf(hp.host, sizeof(hp.host), "127.0.0.1");
	snprintf(hp.port, sizeof(hp.port), "%d", port);
	return hp;
}

static cf_challenge_server *start(void)
{
	cf_hostport hp = loopback(0);
	cf_challenge_server *s = NULL;
	cf_err e = {0};
	if (cf_challenge_server_start(&hp, lookup, NULL, &s, &e) != CF_OK)
		fail_msg("start: %s: %s", e.subject, e.message);
	return s;
}

/* A blocking connection to port with a generous receive limit (a test that hangs fails). */
static int dial(int port)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	struct timeval tv = {.tv_sec = 60};
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true(fd >= 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

static void send_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
		if (n <= 0)
			return; /* the server closed: what the caller reads says so */
		buf += n;
		len -= (size_t)n;
	}
}

/* Everything the server sends until it closes; *reset when it ended with an error (a reset, or
 * the receive limit) rather than an orderly close. Malloc'd, NUL-terminated. */
static char *read_all(int fd, size_t *len, bool *reset)
{
	size_t cap = 1024, n = 0;
	char *buf = malloc(cap);
	assert_non_null(buf);
	*reset = false;
	for (;;) {
		if (n + 512 > cap)
			assert_non_null(buf = realloc(buf, cap *= 2));
		ssize_t r = recv(fd, buf + n, cap - n - 1, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			*reset = r < 0;
			break;
		}
		n += (size_t)r;
	}
	buf[n] = '\0';
	*len = n;
	return buf;
}

typedef struct reply {
	int status;
	char head[2048];
	char *body;
	size_t body_len, len;
	bool closed_without_reply;
} reply;

/* One request sent whole, the reply read to the server's close. */
static reply exchange_on(int fd, const char *req, size_t req_len)
{
	reply r = {0};
	bool reset;
	send_all(fd, req, req_len);
	char *all = read_all(fd, &r.len, &reset);
	close(fd);
	char *end = strstr(all, "\r\n\r\n");
	if (r.len == 0 || end == NULL) {
		r.closed_without_reply = r.len == 0;
		r.body = all;
		return r;
	}
	size_t hl = (size_t)(end - all) + 4;
	assert_true(hl < sizeof(r.head));
	memcpy(r.head, all, hl);
	r.head[hl] = '\0';
	sscanf(all, "HTTP/1.1 %d ", &r.status);
	r.body_len = r.len - hl;
	r.body = malloc(r.body_len + 1);
	assert_non_null(r.body);
	memcpy(r.body, all + hl, r.body_len);
	r.body[r.body_len] = '\0';
	free(all);
	return r;
}

static reply exchange(int port, const char *req)
{
	return exchange_on(dial(port), req, strlen(req));
}

static reply get(int port, const char *method, const char *target)
{
	char req[1024];
	snprintf(req, sizeof(req), "%s %s HTTP/1.1\r\nHost: n1.example.com\r\nUser-Agent: test\r\nAccept: */*\r\n\r\n",
		 method, target);
	return exchange(port, req);
}

/* The value of a header of the reply ("" when absent). */
static const char *header(const reply *r, const char *name)
{
	static char value[256];
	size_t n = strlen(name);
	value[0] = '\0';
	for (const char *p = strstr(r->head, "\r\n"); p != NULL && p[2] != '\r'; p = strstr(p + 2, "\r\n")) {
		if (strncasecmp(p + 2, name, n) == 0 && p[2 + n] == ':') {
			const char *v = p + 3 + n, *e = strstr(v, "\r\n");
			while (*v == ' ')
				v++;
			snprintf(value, sizeof(value), "%.*s", (int)(e - v), v);
			break;
		}
	}
	return value;
}

/* The reply is a 404 (or another status) with an empty body and nothing of the server's. */
static void assert_empty(reply r, int status)
{
	assert_false(r.closed_without_reply);
	assert_int_equal(r.status, status);
	assert_string_equal(header(&r, "Content-Length"), "0");
	assert_string_equal(header(&r, "Connection"), "close");
	assert_string_equal(header(&r, "Server"), "");
	assert_string_equal(header(&r, "Location"), "");
	assert_int_equal(r.body_len, 0);
	free(r.body);
}

/* Waits (within a generous limit) until the server has answered n tokens. */
static void wait_served(cf_challenge_server *s, unsigned long n)
{
	for (int i = 0; i < 30000 && cf_challenge_server_served(s) < n; i++) {
		struct timespec ts = {.tv_nsec = 1000000};
		nanosleep(&ts, NULL);
	}
	assert_int_equal(cf_challenge_server_served(s), n);
}

/* ---- the tests ---- */

static cf_challenge_server *srv; /* the group's server */

static int group_setup(void **state)
{
	(void)state;
	signal(SIGPIPE, SIG_IGN);
	cf_hostport hp = loopback(0);
	cf_err e = {0};
	return cf_challenge_server_start(&hp, lookup, NULL, &srv, &e) == CF_OK ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	cf_challenge_server_stop(srv);
	return 0;
}

static void test_port_zero(void **state)
{
	(void)state;
	int port = cf_challenge_server_port(srv);
	assert_true(port > 0 && port < 65536);
	int fd = dial(port); /* really listening there */
	close(fd);

	/* IPv6 loopback, when this host has it */
	int probe = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in6 sa = {.sin6_family = AF_INET6, .sin6_addr = in6addr_loopback};
	bool v6 = probe >= 0 && bind(probe, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	if (probe >= 0)
		close(probe);
	if (!v6)
		return;
	cf_hostport hp = {.host = "::1", .port = "0", .ip = true};
	cf_challenge_server *s = NULL;
	cf_err e = {0};
	if (cf_challenge_server_start(&hp, lookup, NULL, &s, &e) != CF_OK)
		fail_msg("%s: %s", e.subject, e.message);
	fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
	sa.sin6_port = htons((uint16_t)cf_challenge_server_port(s));
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	reply r = exchange_on(fd, "GET " PATH TOKEN " HTTP/1.1\r\n\r\n", strlen("GET " PATH TOKEN " HTTP/1.1\r\n\r\n"));
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, KEYAUTH);
	free(r.body);
	/* the same port again: in use, the address named as given, brackets and all */
	char where[64];
	snprintf(hp.port, sizeof(hp.port), "%d", cf_challenge_server_port(s));
	snprintf(where, sizeof(where), "[::1]:%s", hp.port);
	cf_challenge_server *again = NULL;
	assert_int_equal(cf_challenge_server_start(&hp, lookup, NULL, &again, &e), CF_E_REMOTE);
	assert_null(again);
	assert_string_equal(e.subject, where);
	cf_challenge_server_stop(s);
}

static void test_get_and_head(void **state)
{
	(void)state;
	int port = cf_challenge_server_port(srv);
	unsigned long served = cf_challenge_server_served(srv);
	reply r = get(port, "GET", PATH TOKEN);
	assert_int_equal(r.status, 200);
	assert_string_equal(header(&r, "Content-Type"), "application/octet-stream");
	assert_int_equal(atoi(header(&r, "Content-Length")), strlen(KEYAUTH));
	assert_string_equal(header(&r, "Connection"), "close");
	assert_string_equal(header(&r, "Server"), "");
	assert_int_equal(r.body_len, strlen(KEYAUTH)); /* exactly: no trailing newline */
	assert_memory_equal(r.body, KEYAUTH, strlen(KEYAUTH));
	free(r.body);
	wait_served(srv, served + 1);

	r = get(port, "HEAD", PATH TOKEN2);
	assert_int_equal(r.status, 200);
	assert_string_equal(header(&r, "Content-Type"), "application/octet-stream");
	assert_int_equal(atoi(header(&r, "Content-Length")), strlen(KEYAUTH2));
	assert_int_equal(r.body_len, 0);
	free(r.body);
	wait_served(srv, served + 2);

	/* HTTP/1.0, bare LF line ends, no Host; the Host header is ignored */
	r = exchange(port, "GET " PATH TOKEN2 " HTTP/1.0\n\n");
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, KEYAUTH2);
	free(r.body);
	r = exchange(port, "\r\nGET " PATH TOKEN " HTTP/1.1\r\nHost: evil.example.net:8080\r\n\r\n");
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, KEYAUTH);
	free(r.body);
	wait_served(srv, served + 4);
}

static void test_not_found(void **state)
{
	(void)state;
	int port = cf_challenge_server_port(srv);
	unsigned long served = cf_challenge_server_served(srv);
	int asked = atomic_load(&lookups);
	static const char *const targets[] = {
		PATH "unknownToken_123",
		PATH "../../etc/passwd",
		PATH "..%2f..%2fetc%2fpasswd",
		"/",
		"/.well-known/acme-challenge",
		PATH,
		PATH TOKEN ".",
		PATH TOKEN "%2e",
		PATH "%2e%2e",
		PATH TOKEN "?x",
		PATH TOKEN "?",
		PATH TOKEN "#x",
		PATH TOKEN "/",
		PATH TOKEN "/x",
		"//.well-known/acme-challenge/" TOKEN,
		"/.well-known/acme-challenge//" TOKEN,
		"/.well-known/ACME-challenge/" TOKEN,
		"/.well-known/",
		"/index.html",
		"/etc/passwd",
		"*",
		"http://n1.example.com" PATH TOKEN,
	};
	for (size_t i = 0; i < sizeof(targets) / sizeof(targets[0]); i++) {
		reply r = get(port, "GET", targets[i]);
		if (r.status != 404)
			fail_msg("%s: %d", targets[i], r.status);
		assert_empty(r, 404);
	}
	/* a token of 257 characters: 404 (256 is the most) */
	char target[512];
	snprintf(target, sizeof(target), "%s%0257d", PATH, 0);
	assert_empty(get(port, "GET", target), 404);
	assert_int_equal(atomic_load(&lookups), asked + 1); /* only the unknown token was looked up */
	assert_empty(get(port, "HEAD", PATH "nope"), 404);
	/* a 404 is no answer: the count stays; the next 200 moves it by one */
	reply r = get(port, "GET", PATH TOKEN);
	assert_int_equal(r.status, 200);
	free(r.body);
	wait_served(srv, served + 1);
}

static void test_methods_and_garbage(void **state)
{
	(void)state;
	int port = cf_challenge_server_port(srv);
	static const char *const methods[] = {"POST", "PUT", "DELETE", "OPTIONS", "TRACE", "get", "PROPFIND"};
	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		reply r = get(port, methods[i], PATH TOKEN);
		assert_string_equal(header(&r, "Allow"), "GET, HEAD");
		assert_empty(r, 405);
	}
	/* a POST with a body larger than the server reads: the reply still arrives whole (the server
	 * drains the body before closing, so the close is no reset that could lose the reply) */
	static char req[40000];
	int n = snprintf(req, sizeof(req), "POST %s HTTP/1.1\r\nContent-Length: 32768\r\n\r\n", PATH TOKEN);
	memset(req + n, 'x', 32768);
	reply r = exchange_on(dial(port), req, (size_t)n + 32768);
	assert_empty(r, 405);

	static const char *const garbage[] = {
		"GET " PATH TOKEN "\r\n\r\n",				/* HTTP/0.9 */
		"GET " PATH TOKEN " HTTP/2.0\r\n\r\n",			/* not 1.x */
		"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",			/* the HTTP/2 preface */
		"GET  " PATH TOKEN " HTTP/1.1\r\n\r\n",			/* two spaces */
		"GET " PATH TOKEN " HTTP/1.1\r\nHost : x\r\n\r\n",	/* space before the colon */
		"GET " PATH TOKEN " HTTP/1.1\r\nHost: x\r\n y\r\n\r\n", /* a folded line */
		"GET " PATH TOKEN " HTTP/1.1\r\nNoColon\r\n\r\n",
		"GET " PATH TOKEN " HTTP/1.1\r\nX: a\rb\r\n\r\n", /* a bare CR */
		"\x16\x03\x01\x02\x01\x01\xfc\x03\x03\r\n\r\n",	  /* like a TLS hello */
	};
	for (size_t i = 0; i < sizeof(garbage) / sizeof(garbage[0]); i++)
		assert_empty(exchange(port, garbage[i]), 400);
	/* a NUL in a header */
	static const char nul[] = "GET " PATH TOKEN " HTTP/1.1\r\nX: a\0b\r\n\r\n";
	assert_empty(exchange_on(dial(port), nul, sizeof(nul) - 1), 400);
}

/* A head over 8 KiB is closed without a reply; one just under is answered. */
static void test_oversized(void **state)
{
	(void)state;
	int port = cf_challenge_server_port(srv);
	static char req[20000];
	int n = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nX-Pad: ", PATH TOKEN);
	memset(req + n, 'a', sizeof(req) - (size_t)n);
	reply r = exchange_on(dial(port), req, sizeof(req)); /* never ends its head */
	assert_true(r.closed_without_reply);
	free(r.body);

	/* a request line alone over 8 KiB */
	n = snprintf(req, sizeof(req), "GET /");
	memset(req + n, 'a', 9000);
	memcpy(req + n + 9000, " HTTP/1.1\r\n\r\n", 13);
	r = exchange_on(dial(port), req, (size_t)n + 9000 + 13);
	assert_true(r.closed_without_reply);
	free(r.body);

	/* 8192 bytes in all: still answered */
	n = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nX-Pad: ", PATH TOKEN);
	size_t pad = CF_CHALLENGE_SERVER_HEAD_MAX - (size_t)n - 4;
	memset(req + n, 'a', pad);
	memcpy(req + n + pad, "\r\n\r\n", 4);
	r = exchange_on(dial(port), req, CF_CHALLENGE_SERVER_HEAD_MAX);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, KEYAUTH);
	free(r.body);
}

/* A client that sends nothing, or half a head, is closed (after 10 s) without a reply. */
static void test_idle_closed(void **state)
{
	(void)state;
	int port = cf_challenge_server_port(srv);
	int idle = dial(port), half = dial(port);
	send_all(half, "GET " PATH, strlen("GET " PATH));
	reply a = exchange_on(idle, "", 0), b = exchange_on(half, "", 0);
	assert_true(a.closed_without_reply);
	assert_true(b.closed_without_reply);
	free(a.body);
	free(b.body);
}

/* Ten validators at once: all connected and mid-request together, then all answered. */
static void test_concurrent(void **state)
{
	(void)state;
	int port = cf_challenge_server_port(srv), fds[10];
	unsigned long served = cf_challenge_server_served(srv);
	const char *req = "GET " PATH TOKEN " HTTP/1.1\r\nHost: n1.example.com\r\n\r\n";
	size_t half = strlen(req) / 2;
	for (int i = 0; i < 10; i++) {
		fds[i] = dial(port);
		send_all(fds[i], req, half);
	}
	for (int i = 9; i >= 0; i--)
		send_all(fds[i], req + half, strlen(req) - half);
	for (int i = 0; i < 10; i++) {
		reply r = exchange_on(fds[i], "", 0);
		assert_int_equal(r.status, 200);
		assert_string_equal(r.body, KEYAUTH);
		free(r.body);
	}
	wait_served(srv, served + 10);
}

/* As pebble fetches: each token three times at once, from ten threads. */
struct fetcher {
	int port, ok;
	pthread_barrier_t *go;
};

static void *fetch_three(void *arg)
{
	struct fetcher *f = arg;
	pthread_barrier_wait(f->go);
	for (int i = 0; i < 3; i++) {
		reply r = get(f->port, "GET", i % 2 ? PATH TOKEN2 : PATH TOKEN);
		f->ok += r.status == 200 && strcmp(r.body, i % 2 ? KEYAUTH2 : KEYAUTH) == 0;
		free(r.body);
	}
	return NULL;
}

static void test_concurrent_threads(void **state)
{
	(void)state;
	pthread_barrier_t go;
	pthread_t t[10];
	struct fetcher f[10];
	unsigned long served = cf_challenge_server_served(srv);
	pthread_barrier_init(&go, NULL, 10);
	for (int i = 0; i < 10; i++) {
		f[i] = (struct fetcher){.port = cf_challenge_server_port(srv), .go = &go};
		assert_int_equal(pthread_create(&t[i], NULL, fetch_three, &f[i]), 0);
	}
	for (int i = 0; i < 10; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(f[i].ok, 3);
	}
	pthread_barrier_destroy(&go);
	wait_served(srv, served + 30);
}

/* 64 connections at once: the 65th is closed at once; once one of them is gone, a validator is
 * answered again. */
static void test_connection_cap(void **state)
{
	(void)state;
	cf_challenge_server *s = start();
	int port = cf_challenge_server_port(s), fds[CF_CHALLENGE_SERVER_CONNS_MAX];
	for (int i = 0; i < CF_CHALLENGE_SERVER_CONNS_MAX; i++)
		fds[i] = dial(port);
	reply r = get(port, "GET", PATH TOKEN);
	assert_true(r.closed_without_reply);
	free(r.body);
	close(fds[0]);
	bool ok = false;
	for (time_t until = time(NULL) + 60; !ok && time(NULL) < until;) { /* once the server saw the close */
		r = get(port, "GET", PATH TOKEN);
		ok = r.status == 200 && strcmp(r.body, KEYAUTH) == 0;
		free(r.body);
	}
	assert_true(ok);
	for (int i = 1; i < CF_CHALLENGE_SERVER_CONNS_MAX; i++)
		close(fds[i]);
	cf_challenge_server_stop(s);
}

/* A port in use: one line naming the address, saying so. */
static void test_port_in_use(void **state)
{
	(void)state;
	cf_hostport hp = loopback(cf_challenge_server_port(srv));
	cf_challenge_server *s = NULL;
	cf_err e = {0};
	assert_int_equal(cf_challenge_server_start(&hp, lookup, NULL, &s, &e), CF_E_REMOTE);
	assert_null(s);
	assert_non_null(strstr(e.message, "already in use"));
	assert_null(strchr(e.message, '\n'));
	char where[64];
	snprintf(where, sizeof(where), "127.0.0.1:%d", cf_challenge_server_port(srv));
	assert_string_equal(e.subject, where);

	/* an address that is not this host's */
	snprintf(hp.host, sizeof(hp.host), "192.0.2.1");
	snprintf(hp.port, sizeof(hp.port), "0");
	assert_int_equal(cf_challenge_server_start(&hp, lookup, NULL, &s, &e), CF_E_INPUT);
	assert_null(strchr(e.message, '\n'));
	assert_null(s);
}

/* A privileged port without the right to bind it: one line saying so. As root, a child process
 * gives up root first. */
static void test_privileged_port(void **state)
{
	(void)state;
	int start = 1024;
	FILE *f = fopen("/proc/sys/net/ipv4/ip_unprivileged_port_start", "r");
	if (f != NULL) {
		if (fscanf(f, "%d", &start) != 1)
			start = 1024;
		fclose(f);
	}
	if (start <= 1)
		skip(); /* every port is unprivileged here */
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	pid_t pid = fork();
	if (pid == 0) {
		close(fds[0]);
		if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0))
			_exit(2);
		cf_hostport hp = loopback(start - 1);
		cf_challenge_server *s = NULL;
		cf_err e = {0};
		cf_code rc = cf_challenge_server_start(&hp, lookup, NULL, &s, &e);
		char line[1200];
		int n = snprintf(line, sizeof(line), "%d %s", rc, e.message);
		ssize_t w = write(fds[1], line, (size_t)n);
		(void)w;
		_exit(0);
	}
	close(fds[1]);
	char line[1200] = "";
	ssize_t n = read(fds[0], line, sizeof(line) - 1);
	close(fds[0]);
	int status = 0;
	waitpid(pid, &status, 0);
	assert_true(n > 0);
	line[n] = '\0';
	assert_int_equal(atoi(line), CF_E_INPUT);
	assert_non_null(strstr(line, "privileged"));
	assert_null(strchr(line, '\n'));
}

/* Stop closes the listener and open connections, waits for a lookup in progress, joins. */
struct blocked {
	int port;
	reply r;
};

static void *fetch_blocking(void *arg)
{
	struct blocked *b = arg;
	b->r = get(b->port, "GET", PATH "blocking");
	return NULL;
}

static void *stop_it(void *arg)
{
	cf_challenge_server_stop(arg);
	return NULL;
}

static void test_stop(void **state)
{
	(void)state;
	for (int i = 0; i < 20; i++) /* start and stop, nothing left behind (ASan watches) */
		cf_challenge_server_stop(start());

	cf_challenge_server *s = start();
	int port = cf_challenge_server_port(s);
	int idle = dial(port);
	struct blocked b = {.port = port};
	pthread_t fetcher, stopper;
	gate_entered = gate_open = false;
	assert_int_equal(pthread_create(&fetcher, NULL, fetch_blocking, &b), 0);
	pthread_mutex_lock(&gate_mu);
	while (!gate_entered)
		pthread_cond_wait(&gate_cv, &gate_mu);
	pthread_mutex_unlock(&gate_mu);
	/* stop while the lookup runs: it waits for it, then closes everything */
	assert_int_equal(pthread_create(&stopper, NULL, stop_it, s), 0);
	pthread_mutex_lock(&gate_mu);
	gate_open = true;
	pthread_cond_broadcast(&gate_cv);
	pthread_mutex_unlock(&gate_mu);
	pthread_join(stopper, NULL);
	pthread_join(fetcher, NULL);
	assert_true(b.r.closed_without_reply || b.r.status == 200);
	free(b.r.body);
	reply r = exchange_on(idle, "", 0);
	assert_true(r.closed_without_reply);
	free(r.body);
	/* the listener is closed: the port refuses */
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_not_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
	cf_challenge_server_stop(NULL);
}

/* curl, an independent client, fetches a token. */
static void test_curl(void **state)
{
	(void)state;
	if (system("curl --version >/dev/null 2>&1") != 0)
		skip();
	char cmd[512], out[512] = "";
	snprintf(cmd, sizeof(cmd),
		 "curl -sS --noproxy '*' --max-time 60 -w '\\n%%{http_code} %%{content_type}' "
		 "http://127.0.0.1:%d" PATH TOKEN,
		 cf_challenge_server_port(srv));
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	size_t n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = '\0';
	assert_int_equal(pclose(p), 0);
	assert_string_equal(out, KEYAUTH "\n200 application/octet-stream");

	snprintf(cmd, sizeof(cmd),
		 "curl -sS --noproxy '*' --max-time 60 -o /dev/null -w '%%{http_code}' "
		 "http://127.0.0.1:%d/.well-known/acme-challenge/../../etc/passwd --path-as-is",
		 cf_challenge_server_port(srv));
	assert_non_null(p = popen(cmd, "r"));
	n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = '\0';
	pclose(p);
	assert_string_equal(out, "404");
}

/* The parser alone. */
static cf_challenge_server_verdict parse(const char *req, char *token)
{
	return cf_challenge_server_request_token(req, strlen(req), token, CF_CHALLENGE_SERVER_TOKEN_MAX + 1);
}

static void test_parser(void **state)
{
	(void)state;
	char token[CF_CHALLENGE_SERVER_TOKEN_MAX + 1];
	assert_int_equal(parse("GET " PATH TOKEN " HTTP/1.1\r\nHost: x\r\n\r\n", token), CF_CHALLENGE_SERVER_GET);
	assert_string_equal(token, TOKEN);
	assert_int_equal(parse("HEAD " PATH "a HTTP/1.0\r\n\r\nbody", token), CF_CHALLENGE_SERVER_HEAD);
	assert_string_equal(token, "a");
	/* not yet whole */
	assert_int_equal(parse("", token), CF_CHALLENGE_SERVER_INCOMPLETE);
	assert_int_equal(parse("\r\n\r", token), CF_CHALLENGE_SERVER_INCOMPLETE);
	assert_int_equal(parse("GET " PATH TOKEN " HTTP/1.1\r\n", token), CF_CHALLENGE_SERVER_INCOMPLETE);
	assert_int_equal(parse("GET " PATH TOKEN " HTTP/1.1\r\nHost: x\r\n\r", token), CF_CHALLENGE_SERVER_INCOMPLETE);
	assert_int_equal(parse("POST / HTTP/1.1\r\n\r\n", token), CF_CHALLENGE_SERVER_METHOD);
	assert_int_equal(parse("GET / HTTP/1.1\r\n\r\n", token), CF_CHALLENGE_SERVER_NOT_FOUND);
	assert_int_equal(parse("GET / HTTP/1.1\r\n\r\n", token), CF_CHALLENGE_SERVER_NOT_FOUND);
	assert_int_equal(parse("GET / HTTP/1.2\r\n\r\n", token), CF_CHALLENGE_SERVER_BAD);
	assert_int_equal(parse("GET / HTTP/1.1 \r\n\r\n", token), CF_CHALLENGE_SERVER_BAD);
	assert_int_equal(parse(" GET / HTTP/1.1\r\n\r\n", token), CF_CHALLENGE_SERVER_BAD);
	assert_int_equal(parse("GET / HTTP/1.1\r\n: v\r\n\r\n", token), CF_CHALLENGE_SERVER_BAD);
	assert_int_equal(parse("GET / HTTP/1.1\r\nX: \x7f\r\n\r\n", token), CF_CHALLENGE_SERVER_BAD);
	assert_int_equal(parse("GET / HTTP/1.1\r\nX: caf\xc3\xa9\t!\r\n\r\n", token),
			 CF_CHALLENGE_SERVER_NOT_FOUND); /* obs-text and tabs are allowed in values */
	/* 256 characters: a token; 257: not */
	char req[600];
	snprintf(req, sizeof(req), "GET %s%0256d HTTP/1.1\r\n\r\n", PATH, 7);
	assert_int_equal(parse(req, token), CF_CHALLENGE_SERVER_GET);
	assert_int_equal(strlen(token), 256);
	snprintf(req, sizeof(req), "GET %s%0257d HTTP/1.1\r\n\r\n", PATH, 7);
	assert_int_equal(parse(req, token), CF_CHALLENGE_SERVER_NOT_FOUND);
	/* a token that does not fit the caller's buffer is not answered */
	const char *r = "GET " PATH "abcdef HTTP/1.1\r\n\r\n";
	assert_int_equal(cf_challenge_server_request_token(r, strlen(r), token, 6), CF_CHALLENGE_SERVER_NOT_FOUND);
	assert_int_equal(cf_challenge_server_request_token(r, strlen(r), token, 7), CF_CHALLENGE_SERVER_GET);
	/* 8 KiB of head without its end: too long */
	static char big[CF_CHALLENGE_SERVER_HEAD_MAX + 10];
	memset(big, 'a', sizeof(big));
	assert_int_equal(cf_challenge_server_request_token(big, CF_CHALLENGE_SERVER_HEAD_MAX - 1, token, 257),
			 CF_CHALLENGE_SERVER_INCOMPLETE);
	assert_int_equal(cf_challenge_server_request_token(big, CF_CHALLENGE_SERVER_HEAD_MAX, token, 257),
			 CF_CHALLENGE_SERVER_TOO_LONG);
	memset(big, '\n', sizeof(big)); /* empty lines alone */
	assert_int_equal(cf_challenge_server_request_token(big, sizeof(big), token, 257), CF_CHALLENGE_SERVER_TOO_LONG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parser),
		cmocka_unit_test(test_port_zero),
		cmocka_unit_test(test_get_and_head),
		cmocka_unit_test(test_not_found),
		cmocka_unit_test(test_methods_and_garbage),
		cmocka_unit_test(test_oversized),
		cmocka_unit_test(test_concurrent),
		cmocka_unit_test(test_concurrent_threads),
		cmocka_unit_test(test_connection_cap),
		cmocka_unit_test(test_port_in_use),
		cmocka_unit_test(test_privileged_port),
		cmocka_unit_test(test_stop),
		cmocka_unit_test(test_curl),
		cmocka_unit_test(test_idle_closed),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
