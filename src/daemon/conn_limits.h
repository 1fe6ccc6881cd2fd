/* certfleetd's defences against hostile HTTP clients, around libevent's evhttp server:
 * - request bodies: at most CF_DAEMON_BODY_MAX, refused with 413 as soon as the headers are in,
 *   except on POST /api/v1/upload when its headers carry a live admin session and its CSRF token
 *   (then CF_DAEMON_UPLOAD_MAX plus the form's framing); and at most CF_CONN_PENDING_MAX bytes held
 *   in unfinished requests across all connections (the connection that would go over is closed);
 * - deadlines: a request's line and headers within the header timeout of the connection opening or
 *   of the previous reply being sent (which also closes idle keep-alive connections), and the whole
 *   request within the request timeout plus one second per CF_CONN_MIN_RATE bytes of body allowed;
 * - descriptors: at most a number of open connections below RLIMIT_NOFILE (accepting pauses at the
 *   cap and resumes when one closes), and accepting paused for a second when accept() runs out of
 *   descriptors;
 * - logging: each kind of refusal at most once a minute, with the count of the others.
 *
 * libevent 2.1 has no hook between a request's headers and its body for incoming requests
 * (evhttp_set_newreqcb came in 2.2), so the connection's input is watched as it arrives (an
 * evbuffer callback on each connection's bufferevent, which runs before evhttp parses the bytes):
 * a request head is recognised there (cf_head_end, cf_head_parse) and the connection's body limit
 * set before evhttp reads on. */
#ifndef CF_CONN_LIMITS_H
#define CF_CONN_LIMITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

struct event_base;
struct evhttp;
struct evhttp_bound_socket;
struct evhttp_request;
struct bufferevent;
struct cf_daemon;

#define CF_CONN_HEADERS_MAX (64 * 1024)			  /* bytes of a request's header lines (evhttp's limit) */
#define CF_CONN_HEAD_MAX (2 * CF_CONN_HEADERS_MAX + 1024) /* request line and headers, as watched */
#define CF_CONN_PENDING_MAX (64 * 1024 * 1024)		  /* bytes held in unfinished requests, all connections */
#define CF_CONN_MIN_RATE (16 * 1024)			  /* body bytes a second every request is granted */
#define CF_CONN_FD_RESERVE 32				  /* descriptors kept for the store, logs, outbound calls */
#define CF_CONN_HEADER_TIMEOUT 20			  /* seconds: defaults of the certfleetd options */
#define CF_CONN_REQUEST_TIMEOUT 60
#define CF_CONN_MAX_DEFAULT 512

typedef struct cf_conn_limits {
	int header_timeout;   /* seconds for a request's line and headers */
	int request_timeout;  /* seconds for a whole request, plus the body's allowance */
	long max_connections; /* open connections at most (lowered below RLIMIT_NOFILE) */
} cf_conn_limits;

typedef struct cf_conns cf_conns;

/* Makes a bufferevent for a new connection (evhttp_set_bevcb's signature): TLS in certfleetd. */
typedef struct bufferevent *(*cf_conn_bevcb)(struct event_base *base, void *arg);

/* Puts the limits on http, served on bound: evhttp's own settings (body and header sizes, the
 * inactivity timeout, methods, lingering close), new_bev for each connection's bufferevent, and
 * the listener's error callback. d receives the log lines. The connection cap is
 * lim->max_connections, lowered to RLIMIT_NOFILE less CF_CONN_FD_RESERVE; CF_E_USAGE when that
 * leaves fewer than 8. *out is freed with cf_conns_free, before http. */
cf_code cf_conns_new(struct event_base *base, struct evhttp *http, struct evhttp_bound_socket *bound,
		     struct cf_daemon *d, const cf_conn_limits *lim, cf_conn_bevcb new_bev, void *bev_arg,
		     cf_conns **out, cf_err *e);
/* NULL-safe. */
void cf_conns_free(cf_conns *c);
/* The connection cap in force. */
long cf_conns_cap(const cf_conns *c);
/* Tells the limits that r's head and body are in and it is being answered (evhttp's request
 * callback calls it first): its deadline stops, its bytes leave the budget, and the connection's
 * next request is watched once this reply has been sent. NULL-safe. */
void cf_conns_request(cf_conns *c, struct evhttp_request *r);

/* What the limits need from a request head (the request line and header lines up to the blank
 * line); pointers borrow from the head and are not NUL-terminated. */
typedef struct cf_head {
	bool upload;	    /* POST /api/v1/upload */
	const char *cookie; /* the first Cookie header's value, or NULL */
	size_t cookie_len;
	const char *csrf; /* the first X-CSRF-Token header's value, or NULL */
	size_t csrf_len;
	int64_t content_length; /* -1 when absent, -2 when malformed or given twice */
	bool chunked;		/* Transfer-Encoding: chunked */
} cf_head;

/* The length of the request head at the start of p[0..n) through its blank line (lines end in LF
 * or CRLF, as evhttp reads them), or 0 while it is incomplete. */
size_t cf_head_end(const char *p, size_t n);
/* Parses the head p[0..len) (as cf_head_end measured it) into h. */
void cf_head_parse(const char *p, size_t len, cf_head *h);

#endif
