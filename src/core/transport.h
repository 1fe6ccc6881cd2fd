/* The network as core sees it: a table of functions the caller passes in, so core never includes
 * src/net. certfleet and certfleetd pass the one filled with src/net's (net_transport.h); tests
 * may pass stubs. What goes through it is declared here, in core's words; src/net's own types stay
 * in src/net. */
#ifndef CF_TRANSPORT_H
#define CF_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/ocsp.h"
#include "crypto/tls.h"
#include "util/err.h"
#include "util/hostport.h"
#include "util/strv.h"

/* A GET of url (http:// or https://), at most max bytes, within timeout seconds; the body in
 * *out (caller frees) and its length in *len. CF_E_REMOTE naming url otherwise. */
typedef cf_code (*cf_crlfetch_fn)(const char *url, size_t max, long timeout, uint8_t **out, size_t *len, cf_err *e);

/* One OCSP question: about cert, issued by issuer, to the responder at url. */
typedef struct cf_ocsp_question {
	const char *url;
	const cf_cert *cert;
	const cf_cert *issuer;
	cf_cert *const *trusted; /* trusted responder certificates (tomcat-trust), may be NULL */
	size_t n_trusted;
	int64_t now;  /* the time the answer is checked at */
	long timeout; /* seconds, the whole exchange; 0: the transport's default (15 s) */
} cf_ocsp_question;

/* A peer whose certificate chain is fetched over TLS. */
typedef struct cf_chain_peer {
	const cf_hostport *peer;
	const char *starttls;	 /* NULL, or a protocol of starttls_names() */
	const char *sni;	 /* the name sent as SNI and announced by STARTTLS xmpp; NULL: none */
	const char *verify_name; /* the name the chain is verified for */
	int timeout_ms;		 /* connecting, STARTTLS and the handshake together */
} cf_chain_peer;

/* An SMTP server and the envelope of one message; everything borrowed for the call. */
typedef struct cf_mail_server {
	const char *host;
	int port;
	const char *tls;      /* "none", "starttls" or "implicit" */
	const char *ca;	      /* CA bundle file the server is checked against ("" or NULL: the system's) */
	const char *user;     /* "" or NULL: no AUTH */
	const char *password; /* with user */
	const char *from;     /* the sender address */
	const char *to;	      /* the recipients' addresses separated by ';' */
} cf_mail_server;

/* One HTTP request of a protocol client (ACME); everything borrowed for the call. */
typedef struct cf_http_ask {
	const char *method;	  /* "GET", "HEAD" or "POST" */
	const char *url;	  /* http:// or https:// */
	const char *content_type; /* of body */
	const uint8_t *body;	  /* NULL: none */
	size_t body_len;
	const char *ca_file; /* PEM bundle the server is checked against; NULL: the system's */
	size_t max;	     /* response body bytes taken; 0: 1 MiB */
	long timeout;	     /* seconds, the whole exchange; 0: 30 */
} cf_http_ask;

/* Its answer: any status is an answer; the headers a protocol client acts on, and the body. */
typedef struct cf_http_answer {
	long status;
	char *location, *replay_nonce, *retry_after, *content_type; /* NULL when absent */
	cf_strv links;						    /* every Link header's value */
	uint8_t *body;						    /* NUL-terminated */
	size_t len;
} cf_http_answer;

/* Frees what an answer holds and zeroes it. */
void cf_http_answer_clear(cf_http_answer *a);

typedef struct cf_transport {
	/* CRL distribution points' downloads */
	cf_crlfetch_fn download;
	/* Asks q->url about q->cert: POSTs the request and checks the answer (crypto/ocsp.h's
	 * cf_ocsp_check; a SHA-1 CertID again when the responder refuses SHA-256; verified answers
	 * may come from a cache until their nextUpdate). *out (free with cf_ocsp_result_clear) is
	 * written only on success; a failed exchange is CF_E_REMOTE. */
	cf_code (*ocsp)(const cf_ocsp_question *q, cf_ocsp_result *out, cf_err *e);
	/* Connects to p->peer, runs the STARTTLS dialogue when asked and captures the chain in the
	 * handshake, all within p->timeout_ms. A refused or closed connection, a failed lookup, a
	 * refused STARTTLS, a failed handshake or the time running out is CF_E_REMOTE (subject left
	 * empty: the caller names the peer). *out (free with cf_tls_peer_free) only on success. */
	cf_code (*chain)(const cf_chain_peer *p, cf_tls_peer *out, cf_err *e);
	/* The STARTTLS protocols chain speaks, '|'-separated ("xmpp|smtp|ldap"). */
	const char *(*starttls_names)(void);
	/* Sends message (RFC 5322 text) through m's server. CF_E_REMOTE naming the server when it does
	 * not take it, never with the password in it. */
	cf_code (*mail)(const cf_mail_server *m, const char *message, cf_err *e);
	/* Sends q and waits for the whole answer into *out (clear it with cf_http_answer_clear; set
	 * only on success). A failed connection or handshake, a timeout or a body over q->max is
	 * CF_E_REMOTE with one line naming the URL. */
	cf_code (*http)(const cf_http_ask *q, cf_http_answer *out, cf_err *e);
} cf_transport;

#endif
