/* The PKI listener: CRLs and OCSP over plain HTTP (see pki.h). */
#include "daemon/pki.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/ca/responder.h"
#include "crypto/ocsp_resp.h"
#include "store/store.h"
#include "util/clock.h"

#define REFRESH_MS 250
#define NAME_MAX_LEN 64

struct cf_pki {
	struct event_base *base;
	struct evhttp *http;
	struct event *tick, *stop_ev;
	int stop_pipe[2];
	int port;
	cf_store *st;
	cf_ca_responder *responder;
	pthread_t thread;
	bool running;
};

/* An HTTP date (RFC 9110 IMF-fixdate) of t. */
static void http_date(int64_t t, char out[40])
{
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(out, 40, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}

static void reply(struct evhttp_request *req, int code, const char *reason, const char *type, const void *body,
		  size_t len)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	if (type != NULL)
		evhttp_add_header(h, "Content-Type", type);
	struct evbuffer *b = evbuffer_new();
	if (b == NULL) {
		evhttp_send_error(req, 500, NULL);
		return;
	}
	if (body != NULL && evhttp_request_get_command(req) != EVHTTP_REQ_HEAD)
		evbuffer_add(b, body, len);
	evhttp_send_reply(req, code, reason, b);
	evbuffer_free(b);
}

/* The CA name of "/PREFIX/NAME[SUFFIX]": 1-64 characters of [A-Za-z0-9._-]; *rest what follows. */
static bool ca_name(const char *path, const char *prefix, char name[NAME_MAX_LEN + 1], const char **rest)
{
	size_t pl = strlen(prefix);
	if (strncmp(path, prefix, pl) != 0)
		return false;
	const char *p = path + pl;
	size_t n = strspn(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-");
	if (n == 0 || n > NAME_MAX_LEN)
		return false;
	memcpy(name, p, n);
	name[n] = '\0';
	*rest = p + n;
	return true;
}

static void serve_crl(cf_pki *p, struct evhttp_request *req, const char *name)
{
	const uint8_t *der = NULL;
	size_t len = 0;
	int64_t this_update = 0, next_update = 0, now = cf_clock_now();
	cf_err e = {0};
	cf_code rc = cf_ca_responder_crl(p->responder, name, now, &der, &len, &this_update, &next_update, &e);
	if (rc == CF_E_NOTFOUND) {
		reply(req, 404, "Not Found", "text/plain", "no such CA\n", 11);
		return;
	}
	if (rc != CF_OK) {
		reply(req, 503, "Service Unavailable", "text/plain", "no CRL could be made\n", 21);
		return;
	}
	char lm[40], ex[40], cc[80];
	http_date(this_update, lm);
	http_date(next_update, ex);
	snprintf(cc, sizeof(cc), "public, max-age=%lld, no-transform",
		 (long long)(next_update > now ? next_update - now : 0));
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	evhttp_add_header(h, "Last-Modified", lm);
	evhttp_add_header(h, "Expires", ex);
	evhttp_add_header(h, "Cache-Control", cc);
	reply(req, 200, "OK", "application/pkix-crl", der, len);
}

static void serve_ocsp(cf_pki *p, struct evhttp_request *req, const char *name, const uint8_t *body, size_t len,
		       bool get)
{
	const uint8_t *out = NULL;
	size_t out_len = 0;
	int64_t max_age = 0, now = cf_clock_now();
	cf_err e = {0};
	if (cf_ca_responder_ocsp(p->responder, name, body, len, now, &out, &out_len, &max_age, &e) != CF_OK) {
		reply(req, 404, "Not Found", "text/plain", "no such CA\n", 11);
		return;
	}
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	if (get && max_age > 0) { /* RFC 5019 §6: GET answers may be cached */
		char cc[80];
		snprintf(cc, sizeof(cc), "public, max-age=%lld, no-transform", (long long)max_age);
		evhttp_add_header(h, "Cache-Control", cc);
	} else {
		evhttp_add_header(h, "Cache-Control", "no-cache");
	}
	reply(req, 200, "OK", "application/ocsp-response", out, out_len);
}

static int b64_value(int c)
{
	return c >= 'A' && c <= 'Z'   ? c - 'A'
	       : c >= 'a' && c <= 'z' ? c - 'a' + 26
	       : c >= '0' && c <= '9' ? c - '0' + 52
	       : c == '+' || c == '-' ? 62
	       : c == '/' || c == '_' ? 63
				      : -1;
}

/* RFC 5019's GET: the URL-encoded base64 of the request (either alphabet, padding optional);
 * *len 0 when it does not decode. */
static void decode_get(const char *text, uint8_t *out, size_t cap, size_t *len)
{
	uint32_t acc = 0;
	int bits = 0;
	size_t n = 0;
	*len = 0;
	for (const char *s = text; *s != '\0'; s++) {
		int c = (unsigned char)*s;
		if (c == '%') {
			unsigned v = 0;
			if (sscanf(s + 1, "%2x", &v) != 1 || s[1] == '\0' || s[2] == '\0')
				return;
			c = (int)v;
			s += 2;
		}
		if (c == '=')
			break;
		int v = b64_value(c);
		if (v < 0)
			return;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (n == cap)
				return;
			out[n++] = (uint8_t)(acc >> bits);
		}
	}
	*len = n;
}

static void handle(struct evhttp_request *req, void *arg)
{
	cf_pki *p = arg;
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
	char name[NAME_MAX_LEN + 1];
	const char *rest = NULL;
	if (path == NULL) {
		reply(req, 400, "Bad Request", "text/plain", "bad request\n", 12);
		return;
	}
	size_t pl = strlen(path);
	if (pl > 9 && strncmp(path, "/crl/", 5) == 0 && strcmp(path + pl - 4, ".crl") == 0 && pl - 9 <= NAME_MAX_LEN) {
		char crl_path[NAME_MAX_LEN + 8];
		snprintf(crl_path, sizeof(crl_path), "%.*s", (int)(pl - 4), path);
		if (!ca_name(crl_path, "/crl/", name, &rest) || rest[0] != '\0') {
			reply(req, 404, "Not Found", "text/plain", "not found\n", 10);
			return;
		}
		if (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_HEAD)
			reply(req, 405, "Method Not Allowed", "text/plain", "GET only\n", 9);
		else
			serve_crl(p, req, name);
		return;
	}
	if (ca_name(path, "/ocsp/", name, &rest)) {
		if (cmd == EVHTTP_REQ_POST && rest[0] == '\0') {
			struct evbuffer *in = evhttp_request_get_input_buffer(req);
			size_t len = evbuffer_get_length(in);
			const uint8_t *body = len <= CF_OCSP_MAX_REQUEST ? evbuffer_pullup(in, -1) : NULL;
			serve_ocsp(p, req, name, body ? body : (const uint8_t *)"", body ? len : 0, false);
			return;
		}
		if ((cmd == EVHTTP_REQ_GET || cmd == EVHTTP_REQ_HEAD) && rest[0] == '/') {
			/* the raw path: base64 may hold '/', and evhttp's path keeps %-escapes as sent */
			const char *uri = evhttp_request_get_uri(req), *at = strstr(uri, "/ocsp/");
			const char *enc = at ? strchr(at + 6, '/') : NULL;
			uint8_t der[4096];
			size_t len = 0;
			if (enc != NULL)
				decode_get(enc + 1, der, sizeof(der), &len);
			serve_ocsp(p, req, name, der, len, true);
			return;
		}
		reply(req, 405, "Method Not Allowed", "text/plain", "POST /ocsp/NAME or GET /ocsp/NAME/<request>\n",
		      44);
		return;
	}
	reply(req, 404, "Not Found", "text/plain", "not found\n", 10);
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	cf_pki *p = arg;
	cf_ca_responder_refresh(p->responder, NULL);
}

static void on_stop(evutil_socket_t fd, short what, void *arg)
{
	(void)what;
	char c;
	(void)!read(fd, &c, 1);
	event_base_loopbreak(((cf_pki *)arg)->base);
}

static void *run(void *arg)
{
	cf_pki *p = arg;
	event_base_dispatch(p->base);
	return NULL;
}

cf_code cf_pki_start(const char *store, const cf_hostport *addr, cf_pki **out, cf_err *e)
{
	cf_pki *p = calloc(1, sizeof(*p));
	if (p == NULL)
		return cf_err_set(e, CF_E_INTERNAL, "--pki-listen", "out of memory");
	p->stop_pipe[0] = p->stop_pipe[1] = -1;
	cf_code rc = cf_store_open(store, false, &p->st, e);
	if (rc == CF_OK)
		rc = cf_ca_responder_new(p->st, &p->responder, e);
	if (rc == CF_OK)
		rc = cf_ca_responder_refresh(p->responder, e);
	if (rc != CF_OK)
		goto fail;
	p->base = event_base_new();
	p->http = p->base ? evhttp_new(p->base) : NULL;
	if (p->http == NULL || pipe(p->stop_pipe) != 0) {
		rc = cf_err_set(e, CF_E_INTERNAL, "--pki-listen", "cannot set up the listener");
		goto fail;
	}
	/* every method reaches handle(), which answers 405 for those it does not take */
	evhttp_set_allowed_methods(p->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD | EVHTTP_REQ_POST | EVHTTP_REQ_PUT |
						    EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS | EVHTTP_REQ_PATCH);
	evhttp_set_max_body_size(p->http, CF_OCSP_MAX_REQUEST);
	evhttp_set_max_headers_size(p->http, 16384);
	evhttp_set_timeout(p->http, 30);
	evhttp_set_gencb(p->http, handle, p);
	struct evhttp_bound_socket *ls =
		evhttp_bind_socket_with_handle(p->http, addr->host, (ev_uint16_t)atoi(addr->port));
	if (ls == NULL) {
		rc = cf_err_set(e, CF_E_REMOTE, "--pki-listen", "cannot listen on %s port %s: %s", addr->host,
				addr->port, errno ? strerror(errno) : "bind failed");
		goto fail;
	}
	int one = 1;
	setsockopt(evhttp_bound_socket_get_fd(ls), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	if (getsockname(evhttp_bound_socket_get_fd(ls), (struct sockaddr *)&ss, &sl) == 0)
		p->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
							 : ((struct sockaddr_in *)&ss)->sin_port);
	struct timeval every = {0, REFRESH_MS * 1000};
	p->tick = event_new(p->base, -1, EV_PERSIST, on_tick, p);
	p->stop_ev = event_new(p->base, p->stop_pipe[0], EV_READ, on_stop, p);
	if (p->tick == NULL || p->stop_ev == NULL || event_add(p->tick, &every) != 0 ||
	    event_add(p->stop_ev, NULL) != 0 || pthread_create(&p->thread, NULL, run, p) != 0) {
		rc = cf_err_set(e, CF_E_INTERNAL, "--pki-listen", "cannot start the listener");
		goto fail;
	}
	p->running = true;
	*out = p;
	return CF_OK;
fail:
	cf_pki_stop(p);
	return rc;
}

int cf_pki_port(const cf_pki *p)
{
	return p->port;
}

void cf_pki_stop(cf_pki *p)
{
	if (p == NULL)
		return;
	if (p->running) {
		(void)!write(p->stop_pipe[1], "x", 1);
		pthread_join(p->thread, NULL);
	}
	if (p->tick != NULL)
		event_free(p->tick);
	if (p->stop_ev != NULL)
		event_free(p->stop_ev);
	if (p->http != NULL)
		evhttp_free(p->http);
	if (p->base != NULL)
		event_base_free(p->base);
	for (int i = 0; i < 2; i++)
		if (p->stop_pipe[i] >= 0)
			close(p->stop_pipe[i]);
	cf_ca_responder_free(p->responder);
	cf_store_close(p->st);
	free(p);
}
