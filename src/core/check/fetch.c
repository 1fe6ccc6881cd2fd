/* The certificate import tool: SPEC §3.6. The network work is the transport's chain (src/net/ and
 * src/crypto/tls.c in real use); this decides what to connect to, what name to send, and what to
 * import. */
#include "core/check/fetch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/lifecycle/trust.h"
#include "util/clock.h"
#include "util/buf.h"

/* A name to send as SNI: a DNS name, never an address (RFC 6066 §3). */
static cf_code check_sni(const char *sni, cf_err *e)
{
	char text[300];
	cf_hostport hp;
	snprintf(text, sizeof(text), "%s:1", sni);
	if (sni[0] == '\0' || sni[0] == '[' || strlen(sni) >= sizeof(hp.host) ||
	    cf_hostport_parse(text, &hp, NULL) != CF_OK || hp.ip)
		return cf_err_set(e, CF_E_USAGE, "sni", "\"%s\" is not a host name", sni);
	return CF_OK;
}

/* Whether proto is one of the '|'-separated names. */
static bool name_in(const char *names, const char *proto)
{
	size_t len = strlen(proto);
	for (const char *p = names; len > 0 && *p != '\0';) {
		size_t n = strcspn(p, "|");
		if (n == len && strncmp(p, proto, len) == 0)
			return true;
		p += n + (p[n] == '|');
	}
	return false;
}

cf_code cf_fetch(const cf_transport *net, const cf_fetch_req *req, cf_fetch_result *out, cf_err *e)
{
	cf_fetch_result r = {0};
	int timeout = req->timeout_ms > 0 ? req->timeout_ms : CF_FETCH_TIMEOUT_MS;
	int64_t deadline = 0;
	const char *protocols = net != NULL && net->starttls_names != NULL ? net->starttls_names() : "";

	snprintf(r.target, sizeof(r.target), "%s", req->target);
	cf_code rc = cf_hostport_parse(req->target, &r.peer, e);
	if (rc != CF_OK)
		return rc;
	if (req->starttls != NULL && !name_in(protocols, req->starttls))
		return cf_err_set(e, CF_E_USAGE, "starttls", "unknown protocol \"%s\"; expected %s", req->starttls,
				  protocols);
	if (req->sni != NULL && (rc = check_sni(req->sni, e)) != CF_OK)
		return rc;
	snprintf(r.sni, sizeof(r.sni), "%s", req->sni != NULL ? req->sni : r.peer.ip ? "" : r.peer.host);
	const char *sni = r.sni[0] != '\0' ? r.sni : NULL;
	/* the XMPP stream names the server's domain: an address is none (checked before connecting) */
	if (sni == NULL && req->starttls != NULL && strcmp(req->starttls, "xmpp") == 0)
		return cf_err_set(e, CF_E_USAGE, "sni",
				  "STARTTLS (xmpp) to an address needs the server's domain name as the SNI name");

	/* verified means: a client that asked for this name would accept the chain */
	cf_chain_peer peer = {.peer = &r.peer,
			      .starttls = req->starttls,
			      .sni = sni,
			      .verify_name = sni != NULL ? sni : r.peer.host,
			      .timeout_ms = timeout};
	deadline = cf_clock_mono_ms() + timeout;
	if (net == NULL || net->chain == NULL)
		rc = cf_err_set(e, CF_E_REMOTE, NULL, "no network in this process");
	else
		rc = net->chain(&peer, &r.tls, e);
	if (rc != CF_OK)
		goto out;
	if ((r.facts = calloc(r.tls.n_chain, sizeof(*r.facts))) == NULL) {
		rc = cf_err_set(e, CF_E_INTERNAL, NULL, "out of memory");
		goto out;
	}
	if ((rc = cf_certs_facts(r.tls.chain, r.tls.n_chain, r.facts, e)) != CF_OK)
		goto out;
	*out = r;
	memset(&r, 0, sizeof(r));
out:
	if (rc != CF_OK && e != NULL) {
		if (rc == CF_E_REMOTE && cf_clock_mono_ms() >= deadline) {
			size_t n = strlen(e->message);
			snprintf(e->message + n, sizeof(e->message) - n, " (limit %d s)", (timeout + 999) / 1000);
		}
		if (e->subject[0] == '\0')
			cf_err_subject(e, req->target);
	}
	cf_fetch_result_free(&r);
	return rc;
}

void cf_fetch_result_free(cf_fetch_result *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; r->facts != NULL && i < r->tls.n_chain; i++)
		cf_facts_free(&r->facts[i]);
	free(r->facts);
	cf_tls_peer_free(&r->tls);
	memset(r, 0, sizeof(*r));
}

cf_code cf_fetch_import(cf_store *st, const cf_transport *net, const cf_fetch_result *r, const char *node,
			const char *store, cf_outcome *out, size_t *skipped, cf_err *e)
{
	const cf_facts *leaf = &r->facts[0];
	size_t first = r->tls.n_chain > 1 && !leaf->ca && !leaf->self_signed ? 1 : 0;
	cf_buf pem = {0};
	char name[400], description[400];

	for (size_t i = first; i < r->tls.n_chain; i++) {
		char *p = cf_cert_pem(r->tls.chain[i]);
		if (p == NULL)
			pem.oom = 1;
		else
			cf_buf_adds(&pem, p);
		free(p);
	}
	if (pem.oom) {
		cf_buf_free(&pem);
		return cf_err_set(e, CF_E_INTERNAL, r->target, "out of memory");
	}
	/* cf_trust_add numbers certificates within what it is given: say which part that is */
	snprintf(name, sizeof(name), first ? "%s (the CA certificates of its chain)" : "%s", r->target);
	snprintf(description, sizeof(description), "fetched from %s", r->target);
	cf_code rc = cf_trust_add(st, net, node, store, name, (const uint8_t *)pem.p, pem.len, description, out, e);
	cf_buf_free(&pem);
	if (rc != CF_OK)
		return rc;
	if (first)
		cf_strv_pushf(&out->notes,
			      "the peer's own certificate \"%s\" is issued by a CA and is not one itself: not imported",
			      leaf->subject);
	*skipped = first;
	return CF_OK;
}
