/* certfleetd: the HTTPS REST API (SPEC §11.3) on one libevent loop, served with the node's
 * tomcat identity from the store. */
#include <errno.h>
#include <event2/event.h>
#include <event2/http.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/password.h"
#include "core/lifecycle/served.h"
#include "core/revocation/revocation.h"
#include "daemon/conn_limits.h"
#include "acme_responder.h"
#include "daemon/daemon.h"
#include "daemon/reload.h"
#include "daemon/jobs.h"
#include "daemon/pki.h"
#include "daemon/worker.h"
#include "util/fileio.h"
#include "util/secret.h"
#include "util/text.h"

#define DEFAULT_LISTEN "127.0.0.1:8443"

/* certfleetd's options: getopt's table, the usage line and --help are all made from it. */
static const struct dopt {
	const char *name, *value; /* value NULL: a flag */
	int key;		  /* what getopt_long returns */
	const char *help;
} dopts[] = {
	{"store", "PATH|URL", 's', "the store (else $CERTFLEET_STORE, else /var/lib/certfleet/certfleet.db)"},
	{"node", "FQDN", 'n', "the node whose tomcat certificate it serves (else the first ucm publisher)"},
	{"listen", "ADDR:PORT", 'l', "where it serves the page and the API (" DEFAULT_LISTEN ")"},
	{"log-level", "info|debug", 'v', "how much it logs on stderr"},
	{"acme-http", "ADDR:PORT", 'A', "answer ACME HTTP-01 challenges here (plain HTTP) from the store's tokens"},
	{"pki-listen", "ADDR:PORT", 'P',
	 "serve the local CAs' CRLs (GET /crl/NAME.crl) and OCSP (/ocsp/NAME) here (plain HTTP)"},
	{"metrics-token-file", "FILE", 'm', "the bearer token /metrics needs (first line of FILE)"},
	{"metrics-cache", "SECONDS", 'c', "how long a /metrics answer is served again (10; 0 to 3600)"},
	{"header-timeout", "SECONDS", 'H', "for a request's headers (1 to 3600)"},
	{"request-timeout", "SECONDS", 'R', "for a whole request (1 to 3600)"},
	{"max-connections", "N", 'C', "open connections at most (8 to 100000)"},
	{"login-budget", "PERCENT", 'B', "of one core's time for password checks (1 to 100)"},
	{"print-routes", NULL, 'r', "print the API's routes and exit"},
	{"help", NULL, 'h', "this help and exit"},
	{"version", NULL, 'V', "the version and exit"},
};
#define N_DOPTS (sizeof(dopts) / sizeof(dopts[0]))

/* The usage line: the options that take a value, then the flags as alternatives. */
static void usage(FILE *out)
{
	fputs("usage: certfleetd", out);
	for (size_t i = 0; i < N_DOPTS; i++)
		if (dopts[i].value != NULL)
			fprintf(out, " [--%s %s]", dopts[i].name, dopts[i].value);
	for (size_t i = 0; i < N_DOPTS; i++)
		if (dopts[i].value == NULL)
			fprintf(out, " | --%s", dopts[i].name);
	fputs("\n", out);
}

static void help(FILE *out)
{
	char opt[64];
	usage(out);
	fputs("serves the web page and the JSON API under /api/v1 with the node's tomcat certificate\n\noptions:\n",
	      out);
	for (size_t i = 0; i < N_DOPTS; i++) {
		snprintf(opt, sizeof(opt), "--%s%s%s", dopts[i].name, dopts[i].value ? " " : "",
			 dopts[i].value ? dopts[i].value : "");
		fprintf(out, "  %-30s %s\n", opt, dopts[i].help);
	}
}

#define TOKEN_MIN 16		 /* characters of a /metrics bearer token */
#define METRICS_CACHE_DEFAULT 10 /* seconds a /metrics answer is served again */
#define METRICS_CACHE_MAX 3600

typedef struct options {
	const char *store, *node, *listen, *loglevel, *metrics_token_file, *metrics_cache;
	const char *acme_http;	/* --acme-http ADDR:PORT, or NULL */
	const char *pki_listen; /* --pki-listen ADDR:PORT, or NULL */
	bool print_routes;
	bool help, version;
	cf_conn_limits limits;
	int login_budget; /* --login-budget: percent of one core for password checks (login_budget.h) */
} options;

/* Splits "ADDR:PORT" or "[V6]:PORT" into host (in buf) and port; false when malformed. */
static bool split_listen(const char *s, char *host, size_t hostlen, unsigned short *port)
{
	const char *colon = strrchr(s, ':');
	char *end = NULL;
	if (colon == NULL || colon == s)
		return false;
	long p = strtol(colon + 1, &end, 10);
	if (*end != '\0' || p < 1 || p > 65535 || colon[1] == '\0')
		return false;
	const char *h = s;
	size_t n = (size_t)(colon - s);
	if (h[0] == '[' && n >= 2 && h[n - 1] == ']') {
		h++;
		n -= 2;
	}
	if (n == 0 || n >= hostlen)
		return false;
	memcpy(host, h, n);
	host[n] = '\0';
	*port = (unsigned short)p;
	return true;
}

/* The node to serve as: by FQDN, or the first ucm publisher. */
static cf_code pick_node(cf_store *st, const char *fqdn, cf_node *out, cf_err *e)
{
	cf_node *v = NULL;
	size_t n = 0;
	cf_code rc;
	if (fqdn != NULL)
		return cf_store_node_get(st, fqdn, out, e);
	if ((rc = cf_store_nodes(st, 0, &v, &n, e)) != CF_OK)
		return rc;
	rc = cf_err_set(e, CF_E_NOTFOUND, "--node", "the store has no ucm publisher; name the node with --node");
	for (size_t i = 0; i < n; i++)
		if (v[i].publisher && strcmp(v[i].product, "ucm") == 0) {
			*out = v[i];
			memset(&v[i], 0, sizeof(v[i]));
			cf_err_clear(e);
			rc = CF_OK;
			break;
		}
	cf_nodes_free(v, n);
	return rc;
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	(void)sig;
	(void)what;
	event_base_loopbreak(arg);
}

/* A whole number in [lo, hi] into *out; false when s is not one. */
static bool long_option(const char *s, long lo, long hi, long *out)
{
	char *end = NULL;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (s[0] < '0' || s[0] > '9' || *end != '\0' || errno != 0 || v < lo || v > hi)
		return false;
	*out = v;
	return true;
}

static bool number_option(const char *s, int lo, int hi, int *out)
{
	long v = 0;
	if (!long_option(s, lo, hi, &v))
		return false;
	*out = (int)v;
	return true;
}

static bool parse_options(int argc, char **argv, options *o)
{
	struct option opts[N_DOPTS + 1];
	for (size_t i = 0; i < N_DOPTS; i++)
		opts[i] = (struct option){dopts[i].name, dopts[i].value ? required_argument : no_argument, NULL,
					  dopts[i].key};
	opts[N_DOPTS] = (struct option){0};
	int c;
	o->store = getenv("CERTFLEET_STORE");
	if (o->store == NULL || o->store[0] == '\0')
		o->store = "/var/lib/certfleet/certfleet.db"; /* as the command line */
	o->listen = DEFAULT_LISTEN;
	o->loglevel = "info";
	o->limits = (cf_conn_limits){CF_CONN_HEADER_TIMEOUT, CF_CONN_REQUEST_TIMEOUT, CF_CONN_MAX_DEFAULT};
	o->login_budget = CF_LOGIN_BUDGET_PERCENT;
	bool good = true;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 's': o->store = optarg; break;
		case 'n': o->node = optarg; break;
		case 'l': o->listen = optarg; break;
		case 'v': o->loglevel = optarg; break;
		case 'r': o->print_routes = true; break;
		case 'h': o->help = true; break;
		case 'V': o->version = true; break;
		case 'm': o->metrics_token_file = optarg; break;
		case 'c': o->metrics_cache = optarg; break;
		case 'A': o->acme_http = optarg; break;
		case 'P': o->pki_listen = optarg; break;
		case 'H': good = good && number_option(optarg, 1, 3600, &o->limits.header_timeout); break;
		case 'R': good = good && number_option(optarg, 1, 3600, &o->limits.request_timeout); break;
		case 'C': good = good && long_option(optarg, 8, 100000, &o->limits.max_connections); break;
		case 'B': good = good && number_option(optarg, 1, 100, &o->login_budget); break;
		default: return false;
		}
	}
	return good && optind == argc && (strcmp(o->loglevel, "info") == 0 || strcmp(o->loglevel, "debug") == 0);
}

/* The bearer token /metrics needs, from the first line of path (surrounding white space dropped):
 * at least TOKEN_MIN characters of printable text without spaces. */
static cf_code read_token(const char *path, char **out, cf_err *e)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	struct stat sb;
	cf_code rc = cf_file_read(path, 4096, &buf, &len, e);
	if (rc != CF_OK)
		return rc;
	char *t = (char *)buf;
	t += strspn(t, " \t\r\n");
	size_t n = strcspn(t, "\r\n");
	while (n > 0 && (t[n - 1] == ' ' || t[n - 1] == '\t'))
		n--;
	t[n] = '\0';
	bool good = n >= TOKEN_MIN && cf_text_clean(t, n) && strcspn(t, " \t") == n && strlen(t) == n;
	if (good)
		*out = strdup(t);
	cf_secret_wipe(buf, len);
	free(buf);
	if (!good)
		return cf_err_set(e, CF_E_INPUT, path,
				  "the metrics token file must hold one token of at least %d printable characters "
				  "without spaces (e.g. openssl rand -hex 32)",
				  TOKEN_MIN);
	if (*out == NULL)
		return cf_err_set(e, CF_E_INTERNAL, path, "out of memory");
	if (stat(path, &sb) == 0 && (sb.st_mode & 077) != 0)
		fprintf(stderr, "certfleetd: warning: %s: the metrics token file is readable by others (chmod 600)\n",
			path);
	return CF_OK;
}

/* Serves as node until a signal; the exit code. */
static int serve(cf_daemon *d, const char *store, const cf_node *node, const char *host, unsigned short port,
		 const cf_conn_limits *limits, const cf_hostport *acme_http, const cf_hostport *pki_listen)
{
	int rc = 1;
	struct event_base *base = event_base_new();
	struct evhttp *http = base != NULL ? evhttp_new(base) : NULL;
	struct event *sigterm = NULL, *sigint = NULL;
	cf_reload *tls = NULL;
	cf_runner *runner = NULL;
	cf_worker *worker = NULL, *readers = NULL;
	cf_conns *conns = NULL;
	cf_acme_responder *responder = NULL;
	cf_pki *pki = NULL;
	cf_err e = {0};
	if (http == NULL)
		goto out;
	if (cf_reload_new(base, d, node->id, &tls, &e) != CF_OK) {
		fprintf(stderr, "certfleetd: %s: %s%s%s\n", node->fqdn, e.subject, e.subject[0] != '\0' ? ": " : "",
			e.message);
		rc = (int)e.code;
		goto out;
	}
	evhttp_set_gencb(http, cf_daemon_handle, d);
	struct evhttp_bound_socket *listener = evhttp_bind_socket_with_handle(http, host, port);
	if (listener == NULL) {
		int err = errno;
		fprintf(stderr, "certfleetd: cannot listen on %s port %u: %s%s\n", host, (unsigned)port,
			err != 0 ? strerror(err) : "bind failed",
			err == EADDRINUSE
				? "; another program uses it: pick another with --listen ADDR:PORT (make run: "
				  "CERTFLEET_LISTEN=127.0.0.1:8444 make run)"
				: "");
		goto out;
	}
	/* body and header limits, deadlines, the connection cap; TLS bufferevents from tls */
	if (cf_conns_new(base, http, listener, d, limits, cf_reload_bev, tls, &conns, &e) != CF_OK) {
		fprintf(stderr, "certfleetd: %s: %s\n", e.subject, e.message);
		rc = (int)e.code;
		goto out;
	}
	/* Replies go out as TLS records of headers and body: without TCP_NODELAY (inherited by
	 * accepted sockets) each reply would wait for the peer's delayed ACK, some 40 ms. */
	int one = 1;
	setsockopt(evhttp_bound_socket_get_fd(listener), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	sigterm = evsignal_new(base, SIGTERM, on_signal, base);
	sigint = evsignal_new(base, SIGINT, on_signal, base);
	if (sigterm == NULL || sigint == NULL || event_add(sigterm, NULL) != 0 || event_add(sigint, NULL) != 0)
		goto out;
	cf_dlog(d, CF_LOG_INFO, "serving as %s with its tomcat identity, sha256 %s", node->fqdn, cf_reload_sha256(tls));
	cf_dlog(d, CF_LOG_INFO, "listening on https://%s:%u/", host, (unsigned)port);
	/* a deploy this process makes of its own tomcat identity checks what it serves here */
	char self[300];
	snprintf(self, sizeof(self), strchr(host, ':') != NULL ? "[%s]:%u" : "%s:%u", host, (unsigned)port);
	cf_served_set_self(node->fqdn, self);
	cf_dlog(d, CF_LOG_INFO,
		"at most %ld connections; request headers within %d s, whole requests within %d s "
		"(plus 1 s per 16 KiB of body)",
		cf_conns_cap(conns), limits->header_timeout, limits->request_timeout);
	cf_dlog(d, CF_LOG_INFO, "/metrics: %s",
		d->metrics_token != NULL ? "needs Authorization: Bearer <the --metrics-token-file token>"
		: d->metrics_open	 ? "open (a loopback listen address)"
					 : "refused (not a loopback listen address and no --metrics-token-file)");
	if (acme_http != NULL) {
		if (cf_acme_responder_start(store, acme_http, &responder, &e) != CF_OK) {
			fprintf(stderr, "certfleetd: --acme-http: %s%s%s\n", e.subject,
				e.subject[0] != '\0' ? ": " : "", e.message);
			rc = (int)e.code;
			goto out;
		}
		cf_dlog(d, CF_LOG_INFO, "answering ACME HTTP-01 challenges from the store on http://%s%s%s:%d/",
			strchr(acme_http->host, ':') ? "[" : "", acme_http->host,
			strchr(acme_http->host, ':') ? "]" : "", cf_acme_responder_port(responder));
	}
	if (pki_listen != NULL) {
		if (cf_pki_start(store, pki_listen, &pki, &e) != CF_OK) {
			fprintf(stderr, "certfleetd: %s: %s\n", e.subject, e.message);
			rc = (int)e.code;
			goto out;
		}
		cf_dlog(d, CF_LOG_INFO, "serving the local CAs' CRLs and OCSP on http://%s%s%s:%d/",
			strchr(pki_listen->host, ':') ? "[" : "", pki_listen->host,
			strchr(pki_listen->host, ':') ? "]" : "", cf_pki_port(pki));
	}
	if (cf_runner_start(d, store, &runner, &e) != CF_OK) {
		fprintf(stderr, "certfleetd: %s: %s\n", e.subject, e.message);
		goto out;
	}
	d->runner = runner;
	if (cf_worker_start(base, d, store, CF_WORKER_THREADS, &worker, &e) != CF_OK ||
	    cf_worker_start(base, d, store, CF_READER_THREADS, &readers, &e) != CF_OK) {
		fprintf(stderr, "certfleetd: %s: %s\n", e.subject, e.message);
		goto out;
	}
	d->worker = worker;
	d->readers = readers;
	rc = event_base_dispatch(base) < 0 ? 1 : 0;
out:
	cf_acme_responder_stop(responder);
	cf_pki_stop(pki);
	d->worker = d->readers = NULL;
	cf_worker_stop(worker); /* waits for the work in hand */
	cf_worker_stop(readers);
	d->runner = NULL;
	cf_runner_stop(runner); /* waits for the run in hand */
	if (sigterm != NULL)
		event_free(sigterm);
	if (sigint != NULL)
		event_free(sigint);
	cf_conns_free(conns); /* before http: evhttp frees the listener before the connections */
	if (http != NULL)
		evhttp_free(http);
	cf_reload_free(tls);
	if (base != NULL)
		event_base_free(base);
	return rc;
}

int main(int argc, char **argv)
{
	options o = {0};
	cf_daemon d = {0};
	cf_node node = {0};
	cf_err e = {0};
	char host[256];
	unsigned short port = 0;
	int rc = 1;
	if (cf_process_harden(&e) != CF_OK) { /* it holds the identity's key: no core files */
		fprintf(stderr, "certfleetd: %s: %s\n", e.subject, e.message);
		return (int)e.code;
	}
	if (!parse_options(argc, argv, &o) || !split_listen(o.listen, host, sizeof(host), &port)) {
		usage(stderr);
		return 2;
	}
	if (o.help) {
		help(stdout);
		return 0;
	}
	if (o.version) {
		printf("certfleetd %s\n", CERTFLEET_VERSION);
		return 0;
	}
	cf_hostport acme_http = {0};
	if (o.acme_http != NULL && cf_hostport_parse(o.acme_http, &acme_http, &e) != CF_OK) {
		fprintf(stderr, "certfleetd: --acme-http: %s\n", e.message);
		return 2;
	}
	cf_hostport pki_listen = {0};
	if (o.pki_listen != NULL && cf_hostport_parse(o.pki_listen, &pki_listen, &e) != CF_OK) {
		fprintf(stderr, "certfleetd: --pki-listen: %s\n", e.message);
		return 2;
	}
	if (o.print_routes) {
		cf_routes_print(stdout);
		return 0;
	}
	signal(SIGPIPE, SIG_IGN);
	d.metrics_cache_s = METRICS_CACHE_DEFAULT;
	if (o.metrics_cache != NULL && !number_option(o.metrics_cache, 0, METRICS_CACHE_MAX, &d.metrics_cache_s)) {
		fprintf(stderr, "certfleetd: --metrics-cache: expected whole seconds from 0 to %d, got \"%s\"\n",
			METRICS_CACHE_MAX, o.metrics_cache);
		return 2;
	}
	d.metrics_open = cf_listen_is_loopback(host);
	if (o.metrics_token_file != NULL && read_token(o.metrics_token_file, &d.metrics_token, &e) != CF_OK) {
		fprintf(stderr, "certfleetd: %s: %s\n", e.subject, e.message);
		return (int)e.code;
	}
	d.loglevel = strcmp(o.loglevel, "debug") == 0 ? CF_LOG_DEBUG : CF_LOG_INFO;
	d.sessions = cf_sessions_new();
	d.throttle = cf_throttle_new();
	d.login_budget = cf_login_budget_new(o.login_budget);
	if (d.sessions == NULL || d.throttle == NULL || d.login_budget == NULL ||
	    cf_store_open(o.store, false, &d.st, &e) != CF_OK || pick_node(d.st, o.node, &node, &e) != CF_OK ||
	    cf_password_hash("certfleetd: no such user", &d.dummy_hash, &e) != CF_OK) {
		fprintf(stderr, "certfleetd: %s%s%s\n", e.subject, e.subject[0] != '\0' ? ": " : "", e.message);
		rc = e.code == CF_OK ? 1 : (int)e.code;
		goto out;
	}
	cf_public_roots_read(&d.public_cas, &d.public_cas_len);
	rc = serve(&d, o.store, &node, host, port, &o.limits, o.acme_http != NULL ? &acme_http : NULL,
		   o.pki_listen != NULL ? &pki_listen : NULL);
	cf_dlog(&d, CF_LOG_INFO, "stopped");
out:
	cf_node_free(&node);
	free(d.public_cas);
	cf_daemon_crls_clear(&d.crls);
	free(d.dummy_hash);
	if (d.metrics_token != NULL)
		cf_secret_wipe(d.metrics_token, strlen(d.metrics_token));
	free(d.metrics_token);
	cf_daemon_metrics_cache_free(&d);
	cf_sessions_free(d.sessions);
	cf_throttle_free(d.throttle);
	cf_login_budget_free(d.login_budget);
	cf_store_close(d.st);
	return rc;
}
