/* The HTTP(S) client over libcurl (see http_client.h). */
#include "net/http_client.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define HEADERS_MAX 200		      /* header lines of one response */
#define HEADER_BYTES_MAX (256 * 1024) /* bytes of the header lines of one response */
#define DOWNLOAD_REDIRECTS 3

typedef struct header {
	char *name, *value;
} header;

struct cf_http_client_response {
	long status;
	header *headers;
	size_t n_headers;
	size_t header_bytes;
	uint8_t *body;
	size_t len, cap, max;
	char *url;	      /* effective URL */
	bool too_big;	      /* the body went over max */
	bool headers_too_big; /* the header lines went over the limits above */
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

void cf_http_client_url_public(const char *url, char *buf, size_t cap)
{
	const char *rest = strstr(url, "://");
	if (rest != NULL) {
		rest += 3;
		size_t auth = strcspn(rest, "/?#");
		const char *at = memchr(rest, '@', auth);
		for (const char *p = at; p != NULL; p = memchr(p + 1, '@', auth - (size_t)(p + 1 - rest)))
			at = p; /* the last '@' of the authority ends the user information */
		if (at != NULL) {
			snprintf(buf, cap, "%.*s%s", (int)(rest - url), url, at + 1);
			return;
		}
	}
	snprintf(buf, cap, "%s", url);
}

static void headers_clear(cf_http_client_response *r)
{
	for (size_t i = 0; i < r->n_headers; i++) {
		free(r->headers[i].name);
		free(r->headers[i].value);
	}
	free(r->headers);
	r->headers = NULL;
	r->n_headers = 0;
	r->header_bytes = 0;
}

void cf_http_client_response_free(cf_http_client_response *r)
{
	if (r == NULL)
		return;
	headers_clear(r);
	free(r->body);
	free(r->url);
	free(r);
}

/* libcurl's body callback: keeps at most r->max bytes, NUL-terminated. */
static size_t take_body(char *data, size_t size, size_t n, void *arg)
{
	cf_http_client_response *r = arg;
	size_t add = size * n;
	if (add > r->max - r->len) {
		r->too_big = true;
		return 0; /* stops the transfer */
	}
	if (r->len + add + 1 > r->cap) {
		size_t cap = r->cap ? r->cap : 16384;
		while (cap < r->len + add + 1)
			cap *= 2;
		uint8_t *p = realloc(r->body, cap);
		if (p == NULL)
			return 0;
		r->body = p;
		r->cap = cap;
	}
	memcpy(r->body + r->len, data, add);
	r->len += add;
	r->body[r->len] = '\0';
	return add;
}

/* "Name: value" without the line end into r; false when out of memory. */
static bool header_add(cf_http_client_response *r, const char *line, size_t len)
{
	const char *colon = memchr(line, ':', len);
	if (colon == NULL)
		return true; /* not a header line */
	const char *v = colon + 1, *end = line + len;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	header *h = realloc(r->headers, (r->n_headers + 1) * sizeof(*h));
	if (h == NULL)
		return false;
	r->headers = h;
	h = &r->headers[r->n_headers];
	h->name = strndup(line, (size_t)(colon - line));
	h->value = strndup(v, (size_t)(end - v));
	if (h->name == NULL || h->value == NULL) {
		free(h->name);
		free(h->value);
		return false;
	}
	r->n_headers++;
	return true;
}

/* libcurl's header callback: the header lines of the last response (a status line starts over,
 * so a redirect's or a 100 Continue's headers are not kept). */
static size_t take_header(char *data, size_t size, size_t n, void *arg)
{
	cf_http_client_response *r = arg;
	size_t len = size * n;
	if (len >= 5 && strncmp(data, "HTTP/", 5) == 0) {
		headers_clear(r);
		r->len = 0;
		return len;
	}
	while (len > 0 && (data[len - 1] == '\n' || data[len - 1] == '\r'))
		len--;
	if (len == 0)
		return size * n;
	r->header_bytes += len;
	if (r->n_headers >= HEADERS_MAX || r->header_bytes > HEADER_BYTES_MAX) {
		r->headers_too_big = true;
		return 0;
	}
	return header_add(r, data, len) ? size * n : 0;
}

/* Sets the method and body of rq on c. */
static void set_method(CURL *c, const cf_http_client_request *rq)
{
	const char *m = rq->method != NULL ? rq->method : rq->body != NULL ? "POST" : "GET";
	if (strcmp(m, "HEAD") == 0) {
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
		return;
	}
	if (rq->body != NULL || strcmp(m, "POST") == 0) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, rq->body != NULL ? (const char *)rq->body : "");
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(rq->body != NULL ? rq->body_len : 0));
	}
	if (strcmp(m, "GET") != 0 && strcmp(m, "POST") != 0)
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, m);
}

cf_code cf_http_client_perform(const cf_http_client_request *rq, cf_http_client_response **out, cf_err *e)
{
	char errbuf[CURL_ERROR_SIZE] = "", where[512];
	struct curl_slist *hdrs = NULL;
	cf_code ret = CF_OK;
	cf_http_client_url_public(rq->url, where, sizeof(where));
	cf_http_client_response *r = calloc(1, sizeof(*r));
	if (r == NULL)
		return cf_err_set(e, CF_E_INTERNAL, where, "out of memory");
	r->max = rq->max > 0 ? rq->max : CF_HTTP_CLIENT_MAX;
	pthread_once(&curl_once, curl_init);
	CURL *c = curl_easy_init();
	if (c == NULL) {
		free(r);
		return cf_err_set(e, CF_E_INTERNAL, where, "cannot start libcurl");
	}
	for (size_t i = 0; i < rq->n_headers; i++)
		hdrs = curl_slist_append(hdrs, rq->headers[i]);
	if (rq->body != NULL) /* no wait for a 100 Continue before the body */
		hdrs = curl_slist_append(hdrs, "Expect:");
	curl_easy_setopt(c, CURLOPT_URL, rq->url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	if (rq->max_redirects > 0) {
		curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
		curl_easy_setopt(c, CURLOPT_MAXREDIRS, (long)rq->max_redirects);
	}
	set_method(c, rq);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "certfleet");
	curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)r->max);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, take_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, take_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT,
			 rq->connect_timeout > 0 ? rq->connect_timeout : CF_HTTP_CLIENT_CONNECT_TIMEOUT);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, rq->timeout > 0 ? rq->timeout : CF_HTTP_CLIENT_TIMEOUT);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	if (rq->ca_file != NULL)
		curl_easy_setopt(c, CURLOPT_CAINFO, rq->ca_file);
	if (rq->cert_file != NULL) {
		curl_easy_setopt(c, CURLOPT_SSLCERT, rq->cert_file);
		curl_easy_setopt(c, CURLOPT_SSLKEY, rq->key_file != NULL ? rq->key_file : rq->cert_file);
	}
	CURLcode rc = curl_easy_perform(c);
	const char *url = NULL;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	curl_easy_getinfo(c, CURLINFO_EFFECTIVE_URL, &url);
	r->url = strdup(url != NULL ? url : rq->url);
	if (r->too_big || rc == CURLE_FILESIZE_EXCEEDED) {
		ret = cf_err_set(e, CF_E_REMOTE, where, "the response is larger than %zu bytes", r->max);
		cf_err_reason(e, CF_HTTP_CLIENT_TOO_LARGE);
	} else if (r->headers_too_big) {
		ret = cf_err_set(e, CF_E_REMOTE, where, "the response headers are more than %d lines or %d bytes",
				 HEADERS_MAX, HEADER_BYTES_MAX);
		cf_err_reason(e, CF_HTTP_CLIENT_TOO_LARGE);
	} else if (rc != CURLE_OK) {
		ret = cf_err_set(e, CF_E_REMOTE, where, "%s", errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc));
		if (rc == CURLE_OPERATION_TIMEDOUT)
			cf_err_reason(e, CF_REASON_TIMEOUT);
	} else if (r->url == NULL || (r->body == NULL && (r->body = calloc(1, 1)) == NULL)) {
		ret = cf_err_set(e, CF_E_INTERNAL, where, "out of memory");
	}
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(c);
	if (ret != CF_OK) {
		cf_http_client_response_free(r);
		return ret;
	}
	*out = r;
	return CF_OK;
}

long cf_http_client_response_status(const cf_http_client_response *r)
{
	return r->status;
}

const char *cf_http_client_response_header(const cf_http_client_response *r, const char *name, size_t i)
{
	for (size_t k = 0; k < r->n_headers; k++)
		if (strcasecmp(r->headers[k].name, name) == 0 && i-- == 0)
			return r->headers[k].value;
	return NULL;
}

const uint8_t *cf_http_client_response_body(const cf_http_client_response *r, size_t *len)
{
	*len = r->len;
	return r->body;
}

uint8_t *cf_http_client_response_take_body(cf_http_client_response *r, size_t *len)
{
	uint8_t *p = r->body;
	*len = r->len;
	r->body = NULL;
	r->len = r->cap = 0;
	return p;
}

const char *cf_http_client_response_url(const cf_http_client_response *r)
{
	return r->url;
}

cf_code cf_http_client_download(const char *url, size_t max, long timeout, uint8_t **out, size_t *len, cf_err *e)
{
	char where[512];
	cf_http_client_response *r = NULL;
	cf_http_client_url_public(url, where, sizeof(where));
	if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)
		return cf_err_set(e, CF_E_INPUT, where, "only http:// and https:// URLs are fetched");
	cf_http_client_request rq = {.url = url,
				     .max = max,
				     .connect_timeout = timeout < 10 ? timeout : 10L,
				     .timeout = timeout,
				     .max_redirects = DOWNLOAD_REDIRECTS};
	cf_err fail = {0};
	cf_code rc = cf_http_client_perform(&rq, &r, &fail);
	if (rc != CF_OK) {
		if (fail.reason != NULL && strcmp(fail.reason, CF_HTTP_CLIENT_TOO_LARGE) == 0)
			return cf_err_set(e, rc, where, "larger than %zu MiB", max >> 20);
		if (e != NULL)
			*e = fail;
		return rc;
	}
	if (r->status != 200) {
		rc = cf_err_set(e, CF_E_REMOTE, where, "the server answered HTTP %ld", r->status);
		cf_http_client_response_free(r);
		return rc;
	}
	*out = cf_http_client_response_take_body(r, len);
	cf_http_client_response_free(r);
	return CF_OK;
}
