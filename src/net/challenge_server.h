/* The ACME HTTP-01 challenge responder (SPEC §7, RFC 8555 §8.3): a plain HTTP/1.0 and 1.1 server
 * on a thread of its own that answers GET (and HEAD) /.well-known/acme-challenge/<token> with the
 * key authorization its caller looks up, and nothing else: every other path is 404 with an empty
 * body, another method 405. The tokens come through a callback, so net never sees the store. */
#ifndef CF_CHALLENGE_SERVER_H
#define CF_CHALLENGE_SERVER_H

#include <stdbool.h>
#include <stddef.h>

#include "util/err.h"
#include "util/hostport.h"

/* Limits of the responder. */
#define CF_CHALLENGE_SERVER_TOKEN_MAX 256  /* base64url characters in a token */
#define CF_CHALLENGE_SERVER_HEAD_MAX 8192  /* bytes of request line and headers; more: closed */
#define CF_CHALLENGE_SERVER_CONNS_MAX 64   /* connections at once; more are closed at once */
#define CF_CHALLENGE_SERVER_HEAD_MS 10000  /* the whole request head must arrive within this */
#define CF_CHALLENGE_SERVER_REPLY_MS 10000 /* the lookup and the reply, after the head */

/* Answers the key authorization for token into out (malloc'd text); returns false when the token
 * is unknown (or the lookup failed: the server answers 404 then too). Called on the server's
 * thread(s). */
typedef bool (*cf_challenge_lookup_fn)(void *ctx, const char *token, char **out);

typedef struct cf_challenge_server cf_challenge_server;

/* Listens on addr (a cf_hostport: "127.0.0.1:5002", "[::1]:80", "0.0.0.0:80"; a name is resolved
 * and its first address used) and serves on a thread of its own (plus a few lookup threads) until
 * stopped. fn is called with ctx on those threads, several at once. CF_E_REMOTE (the port is in
 * use, another socket failure) or CF_E_INPUT (a privileged port without the right to bind it, an
 * address not on this host, a name that does not resolve) as one line naming addr. *out (written
 * only on success) is the caller's to stop. */
cf_code cf_challenge_server_start(const cf_hostport *addr, cf_challenge_lookup_fn fn, void *ctx,
				  cf_challenge_server **out, cf_err *e);
/* The port it listens on (useful when addr asked for port 0). */
int cf_challenge_server_port(const cf_challenge_server *s);
/* The number of tokens it has answered (200s whose reply was sent whole), for logs and tests. */
unsigned long cf_challenge_server_served(const cf_challenge_server *s);
/* Closes the listener and every connection, waits for lookups in progress, joins the threads and
 * frees s. NULL is ignored. */
void cf_challenge_server_stop(cf_challenge_server *s);

/* What a request head asks for: the parser's verdict. */
typedef enum cf_challenge_server_verdict {
	CF_CHALLENGE_SERVER_INCOMPLETE = 0, /* no end of the head yet: read more */
	CF_CHALLENGE_SERVER_TOO_LONG,	    /* the head is over CF_CHALLENGE_SERVER_HEAD_MAX: close */
	CF_CHALLENGE_SERVER_BAD,	    /* not an HTTP/1.x request head: 400 */
	CF_CHALLENGE_SERVER_METHOD,	    /* a method other than GET or HEAD: 405 */
	CF_CHALLENGE_SERVER_NOT_FOUND,	    /* any other target: 404 */
	CF_CHALLENGE_SERVER_GET,	    /* GET of a token: token written */
	CF_CHALLENGE_SERVER_HEAD,	    /* HEAD of a token: token written */
} cf_challenge_server_verdict;

/* Reads the request head at the start of buf (len bytes received so far; the rest, a body or a
 * pipelined request, is ignored) and says what it asks for. For GET and HEAD of
 * /.well-known/acme-challenge/<token> ([A-Za-z0-9_-]{1,256}, nothing after it, no query) the
 * token is written into token as a string (cap at least CF_CHALLENGE_SERVER_TOKEN_MAX + 1; a
 * token that does not fit is NOT_FOUND). Pure: no allocation, no state. */
cf_challenge_server_verdict cf_challenge_server_request_token(const char *buf, size_t len, char *token, size_t cap);

#endif
