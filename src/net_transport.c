/* core's transport over src/net (see net_transport.h): each entry turns core's words into net's
 * plain parameters. */
#include "net_transport.h"

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

static const cf_transport net = {
	.download = cf_http_client_download,
	.ocsp = net_ocsp,
	.chain = net_chain,
	.starttls_names = cf_starttls_names,
	.mail = net_mail,
};

const cf_transport *cf_net_transport(void)
{
	return &net;
}
