/* certfleet's one HTTP(S) client, over libcurl: any method, request headers and body, response
 * headers read by name, a limit on the response body, connect and total timeouts, a CA file, a
 * client certificate, and redirects followed only when asked. CRL downloads and OCSP use it; so
 * do ACME and EST. Only http:// and https:// are spoken, also after a redirect. */
#ifndef CF_HTTP_CLIENT_H
#define CF_HTTP_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define CF_HTTP_CLIENT_MAX (1024u * 1024)  /* bytes of response body when the request sets none */
#define CF_HTTP_CLIENT_CONNECT_TIMEOUT 10L /* seconds, when the request sets none */
#define CF_HTTP_CLIENT_TIMEOUT 30L	   /* seconds, the whole exchange, when the request sets none */

/* The machine reason (cf_err.reason) of a response body over the request's limit. */
#define CF_HTTP_CLIENT_TOO_LARGE "too-large"

/* One request; everything is borrowed for the call. Zero fields take the defaults above. */
typedef struct cf_http_client_request {
	const char *method;	    /* "GET" when NULL; "HEAD" asks for no body */
	const char *url;	    /* http:// or https:// */
	const char *const *headers; /* "Name: value" lines */
	size_t n_headers;
	const uint8_t *body; /* sent when non-NULL (then the method defaults to "POST") */
	size_t body_len;
	size_t max;	       /* the most response body bytes taken */
	long connect_timeout;  /* seconds */
	long timeout;	       /* seconds, the whole exchange */
	const char *ca_file;   /* PEM bundle the server is checked against; NULL: the system's */
	const char *cert_file; /* PEM client certificate presented to the server, or NULL */
	const char *key_file;  /* its PEM private key (NULL: in cert_file) */
	int max_redirects;     /* redirects followed (to http or https only); 0: a 3xx is the answer */
} cf_http_client_request;

/* A response: its layout is the client's; read it with the functions below. */
typedef struct cf_http_client_response cf_http_client_response;

/* Sends rq and waits for the whole answer. Any HTTP status is a response (the caller decides
 * what a 404 means). A failure to connect, a TLS failure, a timeout or a body over rq->max is
 * CF_E_REMOTE with one line naming the URL (without credentials); the latter with the reason
 * CF_HTTP_CLIENT_TOO_LARGE. *out (free with cf_http_client_response_free) only on success. */
cf_code cf_http_client_perform(const cf_http_client_request *rq, cf_http_client_response **out, cf_err *e);
void cf_http_client_response_free(cf_http_client_response *r);

/* The HTTP status of the last response (after the redirects followed). */
long cf_http_client_response_status(const cf_http_client_response *r);
/* The i-th value (from 0, in the order received) of the response header name (case-insensitive),
 * or NULL when there are not that many; borrowed from r. Link, for one, may come several times. */
const char *cf_http_client_response_header(const cf_http_client_response *r, const char *name, size_t i);
/* The body (borrowed from r; NUL-terminated, *len bytes before the NUL). */
const uint8_t *cf_http_client_response_body(const cf_http_client_response *r, size_t *len);
/* Takes the body out of r (the caller frees it; NUL-terminated, *len bytes before the NUL). */
uint8_t *cf_http_client_response_take_body(cf_http_client_response *r, size_t *len);
/* The URL the last response came from (after the redirects followed); borrowed from r. */
const char *cf_http_client_response_url(const cf_http_client_response *r);

/* url for a message: a copy in buf without its user:password@ part. */
void cf_http_client_url_public(const char *url, char *buf, size_t cap);

/* A file download (a cf_crlfetch_fn): GETs url (http:// or https:// only; at most 3 redirects)
 * into *out (len bytes, caller frees), refusing more than max bytes, giving up after timeout
 * seconds. A failure or an HTTP status other than 200 is CF_E_REMOTE naming the URL and why. */
cf_code cf_http_client_download(const char *url, size_t max, long timeout, uint8_t **out, size_t *len, cf_err *e);

#endif
