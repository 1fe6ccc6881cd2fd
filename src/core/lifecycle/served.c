/* The served check (see served.h). */
#include "core/lifecycle/served.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/check/fetch.h"
#include "core/lifecycle/deploy.h"
#include "util/clock.h"
#include "util/hostport.h"
#include "util/text.h"

bool cf_served_matches(const cf_servedcheck *c)
{
	return c != NULL && c->checked_at != 0 && (c->error == NULL || c->error[0] == '\0') &&
	       c->served_sha256 != NULL && c->served_sha256[0] != '\0' && c->stored_sha256 != NULL &&
	       strcmp(c->served_sha256, c->stored_sha256) == 0;
}

/* Whether proto is one of CF_SERVED_STARTTLS's names. */
static bool starttls_known(const char *proto)
{
	size_t len = strlen(proto);
	for (const char *p = CF_SERVED_STARTTLS; len > 0 && *p != '\0';) {
		size_t n = strcspn(p, "|");
		if (n == len && strncmp(p, proto, len) == 0)
			return true;
		p += n + (p[n] == '|');
	}
	return false;
}

cf_code cf_served_fields_check(const char *serves, const char *starttls, cf_err *e)
{
	cf_hostport hp;
	if (serves != NULL && serves[0] != '\0' &&
	    (!cf_text_clean(serves, strlen(serves)) || strlen(serves) >= 300 ||
	     cf_hostport_parse(serves, &hp, NULL) != CF_OK))
		return cf_err_set(e, CF_E_INPUT, "serves",
				  "expected HOST:PORT (a name, an IPv4 address or [IPv6]), not \"%s\"",
				  cf_text_clean(serves, strlen(serves)) ? serves : "?");
	if (starttls != NULL && starttls[0] != '\0' && !starttls_known(starttls))
		return cf_err_set(e, CF_E_INPUT, "starttls", "unknown protocol \"%s\"; expected %s",
				  cf_text_clean(starttls, strlen(starttls)) ? starttls : "?", CF_SERVED_STARTTLS);
	return CF_OK;
}

/* certfleetd's own listener (set once at start, read by every worker afterwards). */
static char self_node[256], self_address[300];

void cf_served_set_self(const char *node, const char *listen)
{
	cf_hostport hp;
	self_node[0] = self_address[0] = '\0';
	if (node == NULL || listen == NULL || cf_hostport_parse(listen, &hp, NULL) != CF_OK)
		return;
	/* a wildcard address listens on loopback too: that is where this process reaches itself */
	const char *host = strcmp(hp.host, "0.0.0.0") == 0 ? "127.0.0.1" : strcmp(hp.host, "::") == 0 ? "::1" : hp.host;
	snprintf(self_node, sizeof(self_node), "%s", node);
	snprintf(self_address, sizeof(self_address), strchr(host, ':') != NULL ? "[%s]:%s" : "%s:%s", host, hp.port);
}

void cf_served_report_free(cf_served_report *r)
{
	if (r == NULL)
		return;
	cf_servedchecks_free(r->v, r->n);
	memset(r, 0, sizeof(*r));
}

/* One address to check: the report's entry, and how to reach it. */
typedef struct probe {
	cf_servedcheck *c;
	const char *starttls; /* NULL: none */
	char sni[256];	      /* "" when none */
	bool done;	      /* matched */
} probe;

/* Adds an entry for purpose at address to the report (the stored identity's SHA-256 read now);
 * nothing when (node, purpose) holds no identity. */
static cf_code add_probe(cf_store *st, const cf_node *n, const char *purpose, const char *address, const char *starttls,
			 cf_served_report *out, probe *p, size_t *np, cf_err *e)
{
	cf_certrow row = {0};
	cf_hostport hp;
	cf_err ignored = {0};
	if (cf_store_identity_get(st, n->id, purpose, false, &row, &ignored) != CF_OK)
		return CF_OK;
	cf_servedcheck *c = &out->v[out->n];
	memset(c, 0, sizeof(*c));
	c->node_id = n->id;
	c->node = strdup(n->fqdn);
	c->purpose = strdup(purpose);
	c->address = strdup(address);
	c->served_sha256 = strdup("");
	c->stored_sha256 = strdup(row.facts.sha256);
	c->error = strdup("");
	cf_certrow_free(&row);
	out->n++;
	if (c->node == NULL || c->purpose == NULL || c->address == NULL || c->served_sha256 == NULL ||
	    c->stored_sha256 == NULL || c->error == NULL)
		return cf_err_set(e, CF_E_INTERNAL, n->fqdn, "out of memory");
	probe *q = &p[(*np)++];
	memset(q, 0, sizeof(*q));
	q->c = c;
	q->starttls = starttls != NULL && starttls[0] != '\0' ? starttls : NULL;
	/* the name the service is asked for: the address's own when it is a name, else the node's
	 * (an XMPP stream needs a domain; a server with several names picks by it) */
	if (cf_hostport_parse(address, &hp, NULL) == CF_OK)
		snprintf(q->sni, sizeof(q->sni), "%s", hp.ip ? n->fqdn : hp.host);
	return CF_OK;
}

/* Replaces *field with a copy of v; false when out of memory (the old value stays). */
static bool set_text(char **field, const char *v)
{
	char *copy = strdup(v);
	if (copy == NULL)
		return false;
	free(*field);
	*field = copy;
	return true;
}

/* One handshake with p's address: what it served, or why nothing. */
static cf_code probe_once(const cf_transport *net, probe *p, int timeout_ms, cf_err *e)
{
	cf_fetch_req req = {.target = p->c->address,
			    .starttls = p->starttls,
			    .sni = p->sni[0] != '\0' ? p->sni : NULL,
			    .timeout_ms = timeout_ms};
	cf_fetch_result r = {0};
	cf_err fe = {0};
	bool ok = true;
	p->c->checked_at = cf_clock_now();
	if (cf_fetch(net, &req, &r, &fe) == CF_OK) {
		ok = set_text(&p->c->served_sha256, r.facts[0].sha256) && set_text(&p->c->error, "");
		p->done = strcmp(r.facts[0].sha256, p->c->stored_sha256) == 0;
	} else {
		/* the address is recorded beside it: the error line without it */
		ok = set_text(&p->c->served_sha256, "") &&
		     set_text(&p->c->error, fe.message[0] != '\0' ? fe.message : "no handshake");
	}
	cf_fetch_result_free(&r);
	return ok ? CF_OK : cf_err_set(e, CF_E_INTERNAL, p->c->address, "out of memory");
}

/* Keeps every entry of r in the store, in one transaction. */
static cf_code record_once(cf_store *st, const cf_served_report *r, cf_err *e)
{
	cf_code rc = cf_store_begin(st, e);
	for (size_t i = 0; rc == CF_OK && i < r->n; i++)
		rc = cf_store_served_put(st, &r->v[i], e);
	return cf_store_finish(st, rc, e);
}

cf_code cf_served_check(cf_store *st, const cf_transport *net, const char *node, const char *purpose,
			const cf_served_opts *o, cf_served_report *out, cf_err *e)
{
	int wait_ms = o != NULL && o->wait_ms > 0 ? o->wait_ms : CF_SERVED_WAIT_MS;
	int pause_ms = o != NULL && o->pause_ms > 0 ? o->pause_ms : CF_SERVED_PAUSE_MS;
	cf_node n = {0};
	cf_target *t = NULL;
	size_t nt = 0, np = 0;
	probe *p = NULL;
	memset(out, 0, sizeof(*out));
	cf_code rc = cf_store_node_get(st, node, &n, e);
	if (rc == CF_OK)
		rc = cf_store_targets(st, n.id, purpose, &t, &nt, e);
	if (rc != CF_OK)
		goto out;
	if ((out->v = calloc(nt + 1, sizeof(*out->v))) == NULL || (p = calloc(nt + 1, sizeof(*p))) == NULL) {
		rc = cf_err_set(e, CF_E_INTERNAL, node, "out of memory");
		goto out;
	}
	bool self_named = false;
	for (size_t i = 0; rc == CF_OK && i < nt; i++) {
		if (t[i].serves[0] == '\0')
			continue;
		self_named |= strcmp(t[i].purpose, "tomcat") == 0;
		rc = add_probe(st, &n, t[i].purpose, t[i].serves, t[i].starttls, out, p, &np, e);
	}
	if (rc == CF_OK && !self_named && self_address[0] != '\0' && strcasecmp(self_node, n.fqdn) == 0 &&
	    (purpose == NULL || strcmp(purpose, "tomcat") == 0))
		rc = add_probe(st, &n, "tomcat", self_address, NULL, out, p, &np, e);
	if (rc != CF_OK || np == 0)
		goto out;

	/* rounds over the addresses not yet serving the stored identity, until all do or time is up */
	int64_t deadline = cf_clock_mono_ms() + wait_ms;
	for (;;) {
		bool all = true;
		for (size_t i = 0; rc == CF_OK && i < np; i++) {
			if (p[i].done)
				continue;
			int64_t left = deadline - cf_clock_mono_ms();
			int timeout = (int)(left < 1000			    ? 1000
					    : left > CF_SERVED_HANDSHAKE_MS ? CF_SERVED_HANDSHAKE_MS
									    : left);
			rc = probe_once(net, &p[i], timeout, e);
			all &= p[i].done;
		}
		int64_t left = deadline - cf_clock_mono_ms();
		if (rc != CF_OK || all || left <= 0)
			break;
		cf_clock_sleep_ms(left < pause_ms ? left : pause_ms);
	}
	if (rc == CF_OK)
		CF_STORE_WRITE(st, e, rc, record_once(st, out, e));
out:
	free(p);
	cf_targets_free(t, nt);
	cf_node_free(&n);
	if (rc != CF_OK)
		cf_served_report_free(out);
	return rc;
}

cf_code cf_served_verdict(const cf_served_report *r, cf_err *e)
{
	for (size_t i = 0; i < r->n; i++) {
		const cf_servedcheck *c = &r->v[i];
		if (cf_served_matches(c))
			continue;
		if (c->error[0] != '\0') {
			cf_err_set(e, CF_E_REMOTE, NULL,
				   "%s %s: nothing served at %s (tried for %d s): %s; check that the service runs "
				   "there and the deploy target's address",
				   c->node, c->purpose, c->address, CF_SERVED_WAIT_MS / 1000, c->error);
			return cf_err_reason(e, "served-unreachable");
		}
		cf_err_set(e, CF_E_REMOTE, NULL,
			   "%s %s serves SHA-256 %s at %s, the store holds %s: reload the service, or check the "
			   "deploy target",
			   c->node, c->purpose, c->served_sha256, c->address, c->stored_sha256);
		return cf_err_reason(e, "served-mismatch");
	}
	return CF_OK;
}
