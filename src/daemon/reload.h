/* Hot reload of the daemon's TLS identity: the node's tomcat certificate is looked up in the
 * store every second; when it changed (an upload or a new self-signed certificate, from the page
 * or from the command line in another process), a new TLS context is built and new connections
 * get it. Open connections keep the context they started with (each holds a reference). */
#ifndef CF_RELOAD_H
#define CF_RELOAD_H

#include "daemon/daemon.h"

struct event_base;
struct bufferevent;

typedef struct cf_reload cf_reload;

/* Loads the identity of node_id's tomcat purpose and starts watching it on base. */
cf_code cf_reload_new(struct event_base *base, cf_daemon *d, int64_t node_id, cf_reload **out, cf_err *e);
/* NULL-safe. */
void cf_reload_free(cf_reload *r);
/* An evhttp_set_bevcb callback (arg: a cf_reload): a TLS bufferevent with the current identity. */
struct bufferevent *cf_reload_bev(struct event_base *base, void *arg);
/* The SHA-256 of the certificate being served (hex). */
const char *cf_reload_sha256(const cf_reload *r);

#endif
