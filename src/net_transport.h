/* The transport table (core/transport.h) filled with src/net's functions: the one table the
 * command line and certfleetd hand to core. It sits above both core and net, the only module that
 * includes the two; core never includes it (scripts/check-style.sh). */
#ifndef CF_NET_TRANSPORT_H
#define CF_NET_TRANSPORT_H

#include "core/transport.h"

/* The process's transport: CRL downloads and OCSP over net/http_client.h and net/ocsp_http.h,
 * chains over net/connect.h, net/starttls.h and crypto/tls.h, mail over net/smtp.h. Borrowed,
 * static, thread-safe. */
const cf_transport *cf_net_transport(void);

#endif
