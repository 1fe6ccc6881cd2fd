/* The HTTP-01 responder over the store (see acme_responder.h). */
#include "acme_responder.h"

#include <pthread.h>
#include <stdlib.h>

#include "net/challenge_server.h"
#include "store/store.h"
#include "util/clock.h"

struct cf_acme_responder {
	cf_store *st;
	pthread_mutex_t mu; /* one store connection, several lookup threads */
	cf_challenge_server *server;
};

static bool lookup(void *ctx, const char *token, char **out)
{
	cf_acme_responder *r = ctx;
	pthread_mutex_lock(&r->mu);
	bool ok = cf_store_acme_token_get(r->st, token, cf_clock_now(), out, NULL) == CF_OK;
	pthread_mutex_unlock(&r->mu);
	return ok;
}

cf_code cf_acme_responder_start(const char *target, const cf_hostport *addr, cf_acme_responder **out, cf_err *e)
{
	cf_acme_responder *r = calloc(1, sizeof(*r));
	if (r == NULL)
		return cf_err_set(e, CF_E_INTERNAL, NULL, "out of memory");
	pthread_mutex_init(&r->mu, NULL);
	cf_code rc = cf_store_open(target, false, &r->st, e);
	if (rc == CF_OK)
		rc = cf_challenge_server_start(addr, lookup, r, &r->server, e);
	if (rc != CF_OK) {
		cf_acme_responder_stop(r);
		return rc;
	}
	*out = r;
	return CF_OK;
}

int cf_acme_responder_port(const cf_acme_responder *r)
{
	return cf_challenge_server_port(r->server);
}

unsigned long cf_acme_responder_served(const cf_acme_responder *r)
{
	return cf_challenge_server_served(r->server);
}

void cf_acme_responder_stop(cf_acme_responder *r)
{
	if (r == NULL)
		return;
	cf_challenge_server_stop(r->server); /* no lookup runs after it */
	cf_store_close(r->st);
	pthread_mutex_destroy(&r->mu);
	free(r);
}
