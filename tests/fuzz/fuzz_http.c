/* libFuzzer target: certfleetd's request handling, the daemon's outside-input parser — libevent's
 * HTTP/1.1 parser, the route table, query strings, the session cookie and CSRF header, JSON and
 * multipart bodies. One input is the raw byte stream a client sends (plain TCP, no TLS): it is
 * written into a connection to a real evhttp server on 127.0.0.1 whose callback is the daemon's
 * own cf_daemon_handle, with the limits certfleetd's main.c puts on its server (cf_conns_new: body
 * limits decided from the request line and headers, the upload's larger one only with the admin
 * session and CSRF token in them, pipelined requests watched from the previous reply on).
 *
 * The daemon state is made once: a temporary SQLite store (a ucm publisher with its default
 * identities, one trust CA, a pending CSR, an admin and a read-only account) and two logged-in
 * sessions with fixed ids and CSRF tokens, so seeds can carry them and reach the change routes:
 *   admin:     Cookie: certfleet_session=0123456789abcdef... (FUZZ_ADMIN_ID), X-CSRF-Token FUZZ_ADMIN_CSRF
 *   read-only: FUZZ_READER_ID, FUZZ_READER_CSRF
 * Every input starts from the same state: the clock is fixed, the login throttle, its budget and the sessions
 * are made afresh, and when an input changed the store (its files changed) the pristine store
 * image is written back before the next one. The accounts' password hashes use scrypt's lowest
 * cost, so a login costs microseconds, not 0.1 s.
 *
 * CF_FUZZ_HTTP_ECHO=1 copies the server's answers to stderr (to see what a reproducer gets).
 * The daemon logs every request on stderr; its stream is pointed at /dev/null, while sanitizer
 * and libFuzzer reports, which write to file descriptor 2 or their own stream, still appear. */
#include <dirent.h>
#include <errno.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sanitizer/common_interface_defs.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/fleet/deployment.h"
#include "core/lifecycle/identity.h"
#include "core/lifecycle/trust.h"
#include "crypto/password.h"
#include "daemon/conn_limits.h"
#include "daemon/daemon.h"
#include "util/clock.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_NOW 1796000000 /* 2026-11-30T00:53:20Z: every input sees the same clock */
#define FUZZ_NODE "ucm1.example.com"
#define FUZZ_ADMIN_ID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define FUZZ_ADMIN_CSRF "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"
#define FUZZ_READER_ID "5555555555555555555555555555555555555555555555555555555555555555"
#define FUZZ_READER_CSRF "6666666666666666666666666666666666666666666666666666666666666666"
#define FUZZ_ITERATIONS 20000 /* event loop turns per input before the client gives up */
#define FUZZ_FD_SLACK 16      /* open descriptors above the baseline that count as a leak */

/* A CA certificate for the node's tomcat-trust (EC P-256, valid until 2125). */
static const char trust_ca_pem[] = "-----BEGIN CERTIFICATE-----\n"
				   "MIIByTCCAW+gAwIBAgIUZal5m9KZHOsMvUSkq2IU5lPQ4+cwCgYIKoZIzj0EAwIw\n"
				   "MTEWMBQGA1UEAwwNRnV6eiBUcnVzdCBDQTEXMBUGA1UECgwOY2VydGZsZWV0IGZ1\n"
				   "enowIBcNMjYxMTIyMDkyOTQzWhgPMjEyNjEwMjkwOTI5NDNaMDExFjAUBgNVBAMM\n"
				   "DUZ1enogVHJ1c3QgQ0ExFzAVBgNVBAoMDmNlcnRmbGVldCBmdXp6MFkwEwYHKoZI\n"
				   "zj0CAQYIKoZIzj0DAQcDQgAEFWy9UmYDyJIPvbFfi3uFubvSh3q6ISY5ZgOt6+js\n"
				   "Uh4/1RNWAIB5fYJ2JhV75CQs4iNPIGWzLgi1D1XbG6FKHKNjMGEwHQYDVR0OBBYE\n"
				   "FNeSeaFlYBAMWU+PbZAIvGFnTRVSMB8GA1UdIwQYMBaAFNeSeaFlYBAMWU+PbZAI\n"
				   "vGFnTRVSMA8GA1UdEwEB/wQFMAMBAf8wDgYDVR0PAQH/BAQDAgEGMAoGCCqGSM49\n"
				   "BAMCA0gAMEUCIFHo2jbe2tjQ2upZuY8OTL1iIJ74e/C1DXm3xLj+C3JnAiEA3jw1\n"
				   "GkkcZbgq7yrqGuJ/QBrfA9vEzNfu+edo2EPjQhk=\n"
				   "-----END CERTIFICATE-----\n";

static struct {
	struct event_base *base;
	struct evhttp *http;
	cf_conns *conns;
	struct sockaddr_in addr;
	cf_daemon d;
	char dir[64], db[96], wal[96], shm[96];
	uint8_t *image; /* the pristine store file */
	size_t image_len;
	struct stat db_st, wal_st; /* the store files after the last restore or check */
	int fds;		   /* open descriptors after initialisation */
	unsigned long runs;
	bool echo;
} F;

/* Reports on file descriptor 2 (stderr's stream is /dev/null) and aborts. */
static void die(const char *what, const cf_err *e)
{
	dprintf(2, "fuzz_http: %s%s%s%s%s\n", what, e != NULL ? ": " : "", e != NULL ? e->subject : "",
		e != NULL && e->subject[0] != '\0' ? ": " : "", e != NULL ? e->message : "");
	abort();
}

static int count_fds(void)
{
	int n = 0;
	DIR *d = opendir("/proc/self/fd");
	if (d == NULL)
		return -1;
	while (readdir(d) != NULL)
		n++;
	closedir(d);
	return n;
}

/* Whether two stat results describe the same file contents (same inode, size and mtime). */
static bool same_file(const struct stat *a, const struct stat *b)
{
	return a->st_ino == b->st_ino && a->st_size == b->st_size && a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
	       a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

static void stat_or_zero(const char *path, struct stat *st)
{
	if (stat(path, st) != 0)
		memset(st, 0, sizeof(*st));
}

/* Writes the pristine image back as the store file and reopens the store. */
static void restore_store(void)
{
	cf_err e = {0};
	cf_store_close(F.d.st);
	F.d.st = NULL;
	unlink(F.wal);
	unlink(F.shm);
	int fd = open(F.db, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, F.image, F.image_len) != (ssize_t)F.image_len || close(fd) != 0)
		die("cannot write the store image", NULL);
	if (cf_store_open(F.db, false, &F.d.st, &e) != CF_OK)
		die("cannot reopen the store", &e);
	stat_or_zero(F.db, &F.db_st);
	stat_or_zero(F.wal, &F.wal_st);
}

/* Adds a session for account with a fixed id and CSRF token (cf_session_start draws random ones). */
static void fixed_session(const char *account, bool admin, const char *id, const char *csrf)
{
	cf_session s = {.admin = admin, .last_used = FUZZ_NOW};
	cf_err e = {0};
	snprintf(s.account, sizeof(s.account), "%s", account);
	snprintf(s.id, sizeof(s.id), "%s", id);
	snprintf(s.csrf, sizeof(s.csrf), "%s", csrf);
	if (cf_session_insert(F.d.sessions, &s, &e) != CF_OK)
		die("cf_session_insert", &e);
}

/* The sessions, the login throttle and budget as at the start, for every input. */
static void reset_memory_state(void)
{
	cf_sessions_free(F.d.sessions);
	cf_throttle_free(F.d.throttle);
	cf_login_budget_free(F.d.login_budget);
	F.d.sessions = cf_sessions_new();
	F.d.throttle = cf_throttle_new();
	F.d.login_budget = cf_login_budget_new(CF_LOGIN_BUDGET_PERCENT);
	if (F.d.sessions == NULL || F.d.throttle == NULL || F.d.login_budget == NULL)
		die("out of memory", NULL);
	fixed_session("admin", true, FUZZ_ADMIN_ID, FUZZ_ADMIN_CSRF);
	fixed_session("reader", false, FUZZ_READER_ID, FUZZ_READER_CSRF);
}

static void add_user(cf_store *st, const char *name, const char *role, const char *password)
{
	cf_user u = {.name = (char *)name, .role = (char *)role};
	cf_err e = {0};
	if (cf_password_hash_params(password, 1, 1, 1, &u.password_hash, &e) != CF_OK ||
	    cf_store_user_add(st, &u, &e) != CF_OK)
		die("cannot add an account", &e);
	free(u.password_hash);
}

/* The store every input starts from. */
static void make_store(void)
{
	cf_store *st = NULL;
	cf_outcome out = {0};
	cf_identity_csr_view csr = {0};
	cf_err e = {0};
	cf_deployment_node_spec pub = {.fqdn = FUZZ_NODE, .cluster = "c", .product = "ucm", .publisher = true};
	cf_issue_opts opts = {0};
	if (cf_store_open(F.db, true, &st, &e) != CF_OK || cf_deployment_cluster_add(st, "c", NULL, &e) != CF_OK ||
	    cf_deployment_node_add(st, &pub, &out, &e) != CF_OK)
		die("cannot make the store", &e);
	cf_outcome_free(&out);
	memset(&out, 0, sizeof(out));
	if (cf_trust_add(st, NULL, FUZZ_NODE, "tomcat-trust", "fuzz-ca.pem", (const uint8_t *)trust_ca_pem,
			 strlen(trust_ca_pem), "fuzz trust CA", &out, &e) != CF_OK)
		die("cannot add the trust CA", &e);
	cf_outcome_free(&out);
	if (cf_identity_csr_generate(st, FUZZ_NODE, "tomcat", &opts, &csr, &e) != CF_OK)
		die("cannot make the pending CSR", &e);
	cf_identity_csr_view_free(&csr);
	add_user(st, "admin", "admin", "fuzz admin password");
	add_user(st, "reader", "read-only", "fuzz reader password");
	cf_store_close(st);

	struct stat sb;
	int fd = open(F.db, O_RDONLY);
	if (fd < 0 || fstat(fd, &sb) != 0 || (F.image = malloc((size_t)sb.st_size)) == NULL ||
	    read(fd, F.image, (size_t)sb.st_size) != sb.st_size)
		die("cannot read the store image", NULL);
	close(fd);
	F.image_len = (size_t)sb.st_size;
}

static void remove_files(void)
{
	unlink(F.db);
	unlink(F.wal);
	unlink(F.shm);
	rmdir(F.dir);
}

static void cleanup(void)
{
	cf_conns_free(F.conns);
	if (F.http != NULL)
		evhttp_free(F.http);
	if (F.base != NULL)
		event_base_free(F.base);
	cf_store_close(F.d.st);
	cf_sessions_free(F.d.sessions);
	cf_throttle_free(F.d.throttle);
	cf_login_budget_free(F.d.login_budget);
	free(F.d.dummy_hash);
	free(F.image);
	remove_files();
}

/* A connection's bufferevent: a plain socket (certfleetd's are TLS). */
static struct bufferevent *plain_bev(struct event_base *base, void *arg)
{
	(void)arg;
	return bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	cf_err e = {0};
	signal(SIGPIPE, SIG_IGN);
	cf_clock_set(FUZZ_NOW);
	F.echo = getenv("CF_FUZZ_HTTP_ECHO") != NULL;
	/* glibc's stderr is an assignable FILE *: the daemon's request log goes nowhere, fd 2 stays. */
	FILE *null = fopen("/dev/null", "w");
	if (null == NULL)
		die("cannot open /dev/null", NULL);
	stderr = null;

	snprintf(F.dir, sizeof(F.dir), "%s", "/tmp/certfleet-fuzz-http.XXXXXX");
	if (mkdtemp(F.dir) == NULL)
		die("cannot make a temporary directory", NULL);
	snprintf(F.db, sizeof(F.db), "%s/store.db", F.dir);
	snprintf(F.wal, sizeof(F.wal), "%s/store.db-wal", F.dir);
	snprintf(F.shm, sizeof(F.shm), "%s/store.db-shm", F.dir);
	make_store();
	if (cf_password_hash_params("fuzz_http: no such user", 1, 1, 1, &F.d.dummy_hash, &e) != CF_OK)
		die("cf_password_hash_params", &e);
	F.d.loglevel = CF_LOG_INFO;
	restore_store();
	reset_memory_state();

	/* the server as serve() in certfleetd's main.c sets it up, with plain sockets instead of TLS */
	F.base = event_base_new();
	F.http = F.base != NULL ? evhttp_new(F.base) : NULL;
	if (F.http == NULL)
		die("cannot make the evhttp server", NULL);
	evhttp_set_gencb(F.http, cf_daemon_handle, &F.d);
	struct evhttp_bound_socket *bound = evhttp_bind_socket_with_handle(F.http, "127.0.0.1", 0);
	socklen_t alen = sizeof(F.addr);
	if (bound == NULL || getsockname(evhttp_bound_socket_get_fd(bound), (struct sockaddr *)&F.addr, &alen) != 0)
		die("cannot listen on 127.0.0.1", NULL);
	const cf_conn_limits limits = {CF_CONN_HEADER_TIMEOUT, CF_CONN_REQUEST_TIMEOUT, CF_CONN_MAX_DEFAULT};
	if (cf_conns_new(F.base, F.http, bound, &F.d, &limits, plain_bev, NULL, &F.conns, &e) != CF_OK)
		die("cf_conns_new", &e);
	atexit(cleanup);
	__sanitizer_set_death_callback(remove_files); /* a crash leaves no temporary store behind */
	F.fds = count_fds();
	return 0;
}

/* Reads and drops (or echoes) what the server sent; true at end of stream or on an error. */
static bool drain(int c)
{
	char buf[16384];
	for (;;) {
		ssize_t n = recv(c, buf, sizeof(buf), 0);
		if (n > 0) {
			if (F.echo && write(2, buf, (size_t)n) < 0)
				F.echo = false;
			continue;
		}
		if (n == 0)
			return true;
		return errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct stat db_st, wal_st;
	int c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c < 0)
		abort();
	int one = 1;
	setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	/* on loopback the connection is made at once (EINPROGRESS is fine: it completes in the loop) */
	if (connect(c, (struct sockaddr *)&F.addr, sizeof(F.addr)) != 0 && errno != EINPROGRESS)
		abort();
	size_t off = 0;
	bool sent = false, closed = false;
	for (int i = 0; i < FUZZ_ITERATIONS && !closed; i++) {
		if (!sent) {
			ssize_t n = size > off ? send(c, data + off, size - off, MSG_NOSIGNAL) : 0;
			if (n > 0)
				off += (size_t)n;
			if (off == size || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != ENOTCONN)) {
				shutdown(c, SHUT_WR); /* the request stream ends here */
				sent = true;
			}
		}
		event_base_loop(F.base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
		closed = drain(c);
	}
	if (!closed) {
		/* the server kept the connection: reset it and let the server see that */
		struct linger lg = {.l_onoff = 1, .l_linger = 0};
		setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	}
	close(c);
	for (int i = 0; i < 4; i++)
		event_base_loop(F.base, EVLOOP_ONCE | EVLOOP_NONBLOCK);

	/* the next input starts from the same state */
	reset_memory_state();
	stat_or_zero(F.db, &db_st);
	stat_or_zero(F.wal, &wal_st);
	if (!same_file(&db_st, &F.db_st) || !same_file(&wal_st, &F.wal_st))
		restore_store();
	if (++F.runs % 256 == 0) {
		int n = count_fds();
		if (F.fds >= 0 && n > F.fds + FUZZ_FD_SLACK) {
			dprintf(2, "fuzz_http: %d descriptors open, %d after start-up: a connection leaks\n", n, F.fds);
			abort();
		}
	}
	return 0;
}
