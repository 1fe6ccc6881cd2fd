/* core's transport over src/net (see net_transport.h): each entry turns core's words into net's
 * plain parameters. */
#include "net_transport.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "net/connect.h"
#include "net/http_client.h"
#include "net/ocsp_http.h"
#include "net/smtp.h"
#include "net/starttls.h"

static cf_code net_ocsp(const cf_ocsp_question *q, cf_ocsp_result *out, cf_err *e)
{
	cf_ocsp_http_query query = {.url = q->url,
				    .cert = q->cert,
				    .issuer = q->issuer,
				    .trusted = q->trusted,
				    .n_trusted = q->n_trusted,
				    .now = q->now,
				    .timeout = q->timeout};
	cf_ocsp_http_answer a = {0};
	cf_code rc = cf_ocsp_http_ask(&query, &a, e);
	if (rc != CF_OK)
		return rc;
	*out = a.result; /* the result's owned parts move to the caller */
	memset(&a.result, 0, sizeof(a.result));
	cf_ocsp_http_answer_clear(&a);
	return CF_OK;
}

/* Connect, STARTTLS when asked, then the handshake, under one deadline. */
static cf_code net_chain(const cf_chain_peer *p, cf_tls_peer *out, cf_err *e)
{
	int fd = -1;
	int64_t deadline = cf_net_deadline(p->timeout_ms);
	cf_code rc = cf_net_connect(p->peer, deadline, &fd, e);
	if (rc == CF_OK && p->starttls != NULL)
		rc = cf_starttls(fd, p->starttls, p->sni, deadline, e);
	if (rc == CF_OK)
		rc = cf_tls_fetch(fd, p->sni, p->verify_name, cf_net_left(deadline), out, e);
	if (fd >= 0)
		close(fd);
	return rc;
}

static cf_code net_mail(const cf_mail_server *m, const char *message, cf_err *e)
{
	cf_smtp_mail sm = {.host = m->host,
			   .port = m->port,
			   .tls = m->tls,
			   .ca = m->ca,
			   .user = m->user,
			   .password = m->password,
			   .from = m->from,
			   .to = m->to};
	return cf_smtp_send(&sm, message, e);
}

/* A copy of the first value of header name in r, or NULL. */
static char *header_copy(const cf_http_client_response *r, const char *name)
{
	const char *v = cf_http_client_response_header(r, name, 0);
	return v != NULL ? strdup(v) : NULL;
}

static cf_code net_http(const cf_http_ask *q, cf_http_answer *out, cf_err *e)
{
	char type[256];
	const char *headers[1];
	size_t n_headers = 0;
	if (q->content_type != NULL) {
		snprintf(type, sizeof(type), "Content-Type: %s", q->content_type);
		headers[n_headers++] = type;
	}
	cf_http_client_request rq = {.method = q->method,
				     .url = q->url,
				     .headers = headers,
				     .n_headers = n_headers,
				     .body = q->body,
				     .body_len = q->body_len,
				     .max = q->max,
				     .timeout = q->timeout,
				     .ca_file = q->ca_file};
	cf_http_client_response *r = NULL;
	cf_code rc = cf_http_client_perform(&rq, &r, e);
	if (rc != CF_OK)
		return rc;
	cf_http_answer a = {.status = cf_http_client_response_status(r),
			    .location = header_copy(r, "Location"),
			    .replay_nonce = header_copy(r, "Replay-Nonce"),
			    .retry_after = header_copy(r, "Retry-After"),
			    .content_type = header_copy(r, "Content-Type")};
	bool oom = false;
	for (size_t i = 0; !oom; i++) {
		const char *link = cf_http_client_response_header(r, "Link", i);
		if (link == NULL)
			break;
		oom = cf_strv_push(&a.links, link) != 0;
	}
	a.body = cf_http_client_response_take_body(r, &a.len);
	if (a.body == NULL) /* no body: an empty one */
		a.body = calloc(1, 1);
	cf_http_client_response_free(r);
	if (oom || a.body == NULL) {
		cf_http_answer_clear(&a);
		return cf_err_set(e, CF_E_INTERNAL, NULL, "out of memory");
	}
	*out = a;
	return CF_OK;
}

static const cf_transport net = {
	.download = cf_http_client_download,
	.ocsp = net_ocsp,
	.chain = net_chain,
	.starttls_names = cf_starttls_names,
	.mail = net_mail,
	.http = net_http,
};

const cf_transport *cf_net_transport(void)
{
	return &net;
}
