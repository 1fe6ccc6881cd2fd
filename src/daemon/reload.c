/* Hot reload of the daemon's TLS identity (see reload.h). */
#include "daemon/reload.h"

#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/tlsserver.h"

#define RELOAD_CHECK_SECONDS 1

struct cf_reload {
	cf_daemon *d;
	int64_t node_id;
	cf_tlsserver *tls;
	int64_t cert_id; /* the identity row tls serves (with sha256: SQLite may give a replacement the
			  * id of the row it replaced, when that was the last one) */
	int64_t version; /* the store's data version when it was last looked at */
	char sha256[65]; /* of its certificate */
	struct event *timer;
};

/* Builds the TLS context of the current identity when it is another row or another certificate
 * than the one served; CF_OK with nothing done when it is the same. */
static cf_code load(cf_reload *r, cf_err *e)
{
	cf_certrow row = {0};
	cf_tlsserver *tls = NULL;
	cf_code rc = cf_store_identity_get(r->d->st, r->node_id, "tomcat", false, &row, e);
	if (rc == CF_OK && (row.id != r->cert_id || strcmp(row.facts.sha256, r->sha256) != 0)) {
		cf_certrow_free(&row);
		rc = cf_store_identity_get(r->d->st, r->node_id, "tomcat", true, &row, e);
		if (rc == CF_OK)
			rc = cf_tlsserver_new(row.der, row.der_len, row.key_pem, row.chain_pem, &tls, e);
		if (rc == CF_OK) {
			cf_tlsserver_free(r->tls); /* open connections hold their own reference */
			r->tls = tls;
			r->cert_id = row.id;
			snprintf(r->sha256, sizeof(r->sha256), "%s", row.facts.sha256);
		}
	}
	cf_certrow_free(&row);
	return rc;
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	cf_reload *r = arg;
	cf_err e = {0};
	int64_t before = r->cert_id, version = cf_store_data_version(r->d->st);
	char before_sha[65];
	memcpy(before_sha, r->sha256, sizeof(before_sha));
	(void)fd;
	(void)what;
	if (version == r->version)
		return; /* nothing in the store changed: the identity is not read again */
	r->version = version;
	if (load(r, &e) != CF_OK)
		cf_dlog(r->d, CF_LOG_ERROR, "tomcat identity not reloaded (still serving sha256 %s): %s%s%s", r->sha256,
			e.subject, e.subject[0] != '\0' ? ": " : "", e.message);
	else if (before != r->cert_id || strcmp(before_sha, r->sha256) != 0)
		cf_dlog(r->d, CF_LOG_INFO, "tomcat identity changed: new connections get sha256 %s", r->sha256);
}

cf_code cf_reload_new(struct event_base *base, cf_daemon *d, int64_t node_id, cf_reload **out, cf_err *e)
{
	static const struct timeval every = {RELOAD_CHECK_SECONDS, 0};
	cf_reload *r = calloc(1, sizeof(*r));
	if (r == NULL)
		return cf_err_set(e, CF_E_INTERNAL, "certfleetd", "out of memory");
	r->d = d;
	r->node_id = node_id;
	cf_code rc = load(r, e);
	if (rc == CF_OK &&
	    ((r->timer = event_new(base, -1, EV_PERSIST, on_timer, r)) == NULL || event_add(r->timer, &every) != 0))
		rc = cf_err_set(e, CF_E_INTERNAL, "certfleetd", "cannot start the reload timer");
	if (rc != CF_OK) {
		cf_reload_free(r);
		return rc;
	}
	*out = r;
	return CF_OK;
}

void cf_reload_free(cf_reload *r)
{
	if (r == NULL)
		return;
	if (r->timer != NULL)
		event_free(r->timer);
	cf_tlsserver_free(r->tls);
	free(r);
}

struct bufferevent *cf_reload_bev(struct event_base *base, void *arg)
{
	cf_reload *r = arg;
	return cf_tlsserver_bev(base, r->tls);
}

const char *cf_reload_sha256(const cf_reload *r)
{
	return r->sha256;
}
