/* The HTTP client (net/http_client.h) against real servers on loopback (http_peer.py: python's
 * http.server, the same over TLS asking for a client certificate, and a port that accepts and
 * never answers); the certificates are made with the openssl command. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "net/http_client.h"

static char dir[] = "/tmp/certfleet-http-XXXXXX";
static pid_t peer;
static int plain_port, tls_port, silent_port;

static char *url(int port, const char *scheme, const char *path)
{
	static char buf[4][256];
	static int next;
	char *b = buf[next++ % 4];
	snprintf(b, sizeof(buf[0]), "%s://127.0.0.1:%d%s", scheme, port, path);
	return b;
}

/* A CA, a server certificate for 127.0.0.1 and a client certificate, made by openssl. */
static int make_certs(void)
{
	char cmd[4096];
	snprintf(
		cmd, sizeof(cmd),
		"cd %s && exec >/dev/null 2>&1 && "
		"openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem "
		"-days 2 -subj '/CN=certfleet test CA' && "
		"openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout server.key -out server.csr "
		"-subj '/CN=127.0.0.1' -addext subjectAltName=IP:127.0.0.1 && "
		"openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -set_serial 1 -days 2 -copy_extensions copy "
		"-out server.pem && "
		"openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout client.key -out client.csr "
		"-subj '/CN=certfleet test client' && "
		"openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -set_serial 2 -days 2 -out client.pem",
		dir);
	return system(cmd) == 0 ? 0 : -1;
}

static int group_setup(void **state)
{
	int fds[2];
	(void)state;
	if (mkdtemp(dir) == NULL || make_certs() != 0 || pipe(fds) != 0)
		return -1;
	peer = fork();
	if (peer == 0) {
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		execlp("python3", "python3", HTTP_PEER, dir, (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	FILE *f = fdopen(fds[0], "r");
	int n = f != NULL ? fscanf(f, "%d %d %d", &plain_port, &tls_port, &silent_port) : 0;
	if (f != NULL)
		fclose(f);
	return peer > 0 && n == 3 ? 0 : -1;
}

static int group_teardown(void **state)
{
	char cmd[256];
	(void)state;
	if (peer > 0) {
		kill(peer, SIGTERM);
		waitpid(peer, NULL, 0);
	}
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static cf_http_client_response *must(const cf_http_client_request *rq)
{
	cf_http_client_response *r = NULL;
	cf_err e = {0};
	cf_code rc = cf_http_client_perform(rq, &r, &e);
	if (rc != CF_OK)
		fail_msg("%s: %s", e.subject, e.message);
	return r;
}

static void test_status_and_body(void **state)
{
	(void)state;
	cf_http_client_request rq = {.url = url(plain_port, "http", "/hello")};
	cf_http_client_response *r = must(&rq);
	size_t len;
	const uint8_t *body = cf_http_client_response_body(r, &len);
	assert_int_equal(cf_http_client_response_status(r), 200);
	assert_int_equal(len, 6);
	assert_memory_equal(body, "hello\n", 6);
	assert_string_equal(cf_http_client_response_header(r, "content-type", 0), "text/plain");
	assert_null(cf_http_client_response_header(r, "Content-Type", 1));
	assert_string_equal(cf_http_client_response_url(r), rq.url);
	cf_http_client_response_free(r);

	/* a 404 is an answer, not a failure */
	rq.url = url(plain_port, "http", "/missing");
	r = must(&rq);
	assert_int_equal(cf_http_client_response_status(r), 404);
	assert_string_equal((const char *)cf_http_client_response_body(r, &len), "nope");
	cf_http_client_response_free(r);
}

static void test_headers_by_name(void **state)
{
	(void)state;
	cf_http_client_request rq = {.url = url(plain_port, "http", "/links")};
	cf_http_client_response *r = must(&rq);
	assert_string_equal(cf_http_client_response_header(r, "Link", 0), "<https://ca.example/dir>;rel=\"index\"");
	assert_string_equal(cf_http_client_response_header(r, "link", 1),
			    "<https://ca.example/chain/2>;rel=\"alternate\"");
	assert_null(cf_http_client_response_header(r, "Link", 2));
	assert_string_equal(cf_http_client_response_header(r, "Retry-After", 0), "7");
	assert_string_equal(cf_http_client_response_header(r, "replay-nonce", 0), "n0nce");
	assert_null(cf_http_client_response_header(r, "Location", 0));
	cf_http_client_response_free(r);
}

static void test_size_limit(void **state)
{
	(void)state;
	const char *paths[] = {"/big", "/stream"}; /* with a Content-Length and without */
	for (size_t i = 0; i < 2; i++) {
		cf_http_client_request rq = {.url = url(plain_port, "http", paths[i]), .max = 1000};
		cf_http_client_response *r = NULL;
		cf_err e = {0};
		assert_int_equal(cf_http_client_perform(&rq, &r, &e), CF_E_REMOTE);
		assert_null(r);
		assert_string_equal(e.subject, rq.url);
		assert_string_equal(e.message, "the response is larger than 1000 bytes");
		assert_string_equal(e.reason, CF_HTTP_CLIENT_TOO_LARGE);
		rq.max = 4096; /* exactly the limit is taken */
		r = must(&rq);
		size_t len;
		cf_http_client_response_body(r, &len);
		assert_int_equal(len, 4096);
		cf_http_client_response_free(r);
	}
}

static void test_timeout(void **state)
{
	(void)state;
	cf_http_client_request rq = {.url = url(silent_port, "http", "/never"), .timeout = 1};
	cf_http_client_response *r = NULL;
	cf_err e = {0};
	assert_int_equal(cf_http_client_perform(&rq, &r, &e), CF_E_REMOTE);
	assert_null(r);
	assert_string_equal(e.subject, rq.url);
	assert_non_null(strstr(e.message, "timed out"));
	assert_null(strchr(e.message, '\n'));
}

static void test_redirects(void **state)
{
	(void)state;
	cf_http_client_request rq = {.url = url(plain_port, "http", "/redirect")};
	cf_http_client_response *r = must(&rq);
	size_t len;
	assert_int_equal(cf_http_client_response_status(r), 302); /* not followed unless asked */
	assert_string_equal(cf_http_client_response_header(r, "Location", 0), "/hello");
	assert_string_equal((const char *)cf_http_client_response_body(r, &len), "moved");
	assert_string_equal(cf_http_client_response_url(r), rq.url);
	cf_http_client_response_free(r);

	rq.max_redirects = 1;
	r = must(&rq);
	assert_int_equal(cf_http_client_response_status(r), 200);
	assert_string_equal((const char *)cf_http_client_response_body(r, &len), "hello\n");
	assert_string_equal(cf_http_client_response_url(r), url(plain_port, "http", "/hello"));
	assert_null(cf_http_client_response_header(r, "Location", 0)); /* the last response's headers */
	cf_http_client_response_free(r);
}

static void test_post(void **state)
{
	(void)state;
	static const uint8_t body[] = {'{', '}', 0, 0xff, '\n'};
	const char *hdrs[] = {"Content-Type: application/jose+json"};
	cf_http_client_request rq = {.url = url(plain_port, "http", "/new-order"),
				     .headers = hdrs,
				     .n_headers = 1,
				     .body = body,
				     .body_len = sizeof(body)};
	cf_http_client_response *r = must(&rq);
	size_t len;
	const char head[] = "POST /new-order ct=application/jose+json len=5\n";
	const uint8_t *got = cf_http_client_response_body(r, &len);
	assert_int_equal(cf_http_client_response_status(r), 201);
	assert_string_equal(cf_http_client_response_header(r, "Location", 0), "/made/1");
	assert_int_equal(len, strlen(head) + sizeof(body));
	assert_memory_equal(got, head, strlen(head));
	assert_memory_equal(got + strlen(head), body, sizeof(body));
	cf_http_client_response_free(r);

	rq.method = "PUT";
	r = must(&rq);
	got = cf_http_client_response_body(r, &len);
	assert_memory_equal(got, "PUT /new-order", 14);
	cf_http_client_response_free(r);
}

static void test_client_certificate(void **state)
{
	char ca[300], cert[300], key[300];
	(void)state;
	snprintf(ca, sizeof(ca), "%s/ca.pem", dir);
	snprintf(cert, sizeof(cert), "%s/client.pem", dir);
	snprintf(key, sizeof(key), "%s/client.key", dir);
	cf_http_client_request rq = {
		.url = url(tls_port, "https", "/whoami"), .ca_file = ca, .cert_file = cert, .key_file = key};
	cf_http_client_response *r = must(&rq);
	size_t len;
	assert_int_equal(cf_http_client_response_status(r), 200);
	assert_string_equal((const char *)cf_http_client_response_body(r, &len), "CN=certfleet test client");
	cf_http_client_response_free(r);

	/* without the certificate the server refuses the handshake */
	cf_err e = {0};
	rq.cert_file = rq.key_file = NULL;
	assert_int_equal(cf_http_client_perform(&rq, &r, &e), CF_E_REMOTE);
	assert_string_equal(e.subject, rq.url);
	assert_true(e.message[0] != '\0');

	/* and without the CA the server is not trusted */
	rq.cert_file = cert;
	rq.key_file = key;
	rq.ca_file = cert; /* a file that does not hold the issuer */
	assert_int_equal(cf_http_client_perform(&rq, &r, &e), CF_E_REMOTE);
	assert_string_equal(e.subject, rq.url);
}

static void test_no_credentials_in_errors(void **state)
{
	char buf[256];
	(void)state;
	cf_http_client_url_public("https://acme:s3cret@ca.example:8443/dir?x=a@b", buf, sizeof(buf));
	assert_string_equal(buf, "https://ca.example:8443/dir?x=a@b");
	cf_http_client_url_public("http://ca.example/a@b", buf, sizeof(buf));
	assert_string_equal(buf, "http://ca.example/a@b");

	cf_http_client_request rq = {.url = NULL, .timeout = 1};
	char u[256];
	snprintf(u, sizeof(u), "http://user:s3cret@127.0.0.1:%d/never", silent_port);
	rq.url = u;
	cf_http_client_response *r = NULL;
	cf_err e = {0};
	assert_int_equal(cf_http_client_perform(&rq, &r, &e), CF_E_REMOTE);
	assert_string_equal(e.subject, url(silent_port, "http", "/never"));
	assert_null(strstr(e.message, "s3cret"));
}

/* The download CRL distribution points use: 200 only, redirects followed, http(s) only. */
static void test_download(void **state)
{
	uint8_t *p = NULL;
	size_t len = 0;
	cf_err e = {0};
	(void)state;
	assert_int_equal(cf_http_client_download(url(plain_port, "http", "/redirect"), 1 << 20, 5, &p, &len, &e),
			 CF_OK);
	assert_int_equal(len, 6);
	assert_memory_equal(p, "hello\n", 6);
	free(p);
	assert_int_equal(cf_http_client_download(url(plain_port, "http", "/missing"), 1 << 20, 5, &p, &len, &e),
			 CF_E_REMOTE);
	assert_string_equal(e.message, "the server answered HTTP 404");
	assert_int_equal(cf_http_client_download(url(plain_port, "http", "/big"), 1000, 5, &p, &len, &e), CF_E_REMOTE);
	assert_string_equal(e.message, "larger than 0 MiB");
	assert_int_equal(cf_http_client_download("ftp://127.0.0.1/x.crl", 1 << 20, 5, &p, &len, &e), CF_E_INPUT);
	assert_string_equal(e.message, "only http:// and https:// URLs are fetched");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_status_and_body),	   cmocka_unit_test(test_headers_by_name),
		cmocka_unit_test(test_size_limit),	   cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_redirects),	   cmocka_unit_test(test_post),
		cmocka_unit_test(test_client_certificate), cmocka_unit_test(test_no_credentials_in_errors),
		cmocka_unit_test(test_download),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
