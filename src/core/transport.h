/* The network as core sees it: a table of functions the caller passes in (certfleetd and the CLI
 * pass src/net's, tests may pass stubs), so core never includes src/net. */
#ifndef CF_TRANSPORT_H
#define CF_TRANSPORT_H

#include "core/revocation/crlfetch.h"
#include "core/monitor/monitor.h"

typedef struct cf_transport {
	cf_crl_fetch_fn download;   /* a GET of a URL, at most max bytes */
	cf_monitor_deliver_fn mail; /* sends the monitor's digest */
	void *mail_ctx;
} cf_transport;

#endif
