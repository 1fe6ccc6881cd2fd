/* Reaching a peer over TCP (HOST:PORT as util/hostport.h parses it): a connect bounded by a deadline, and send/receive
 * that never wait past it. Plain sockets only; TLS is src/crypto/tls.h. Every error leaves the
 * subject empty: the caller names the peer. */
#ifndef CF_CONNECT_H
#define CF_CONNECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"
#include "util/hostport.h"

/* A point timeout_ms milliseconds from now on the monotonic clock (network timeouts measure
 * elapsed time, not the time of day, so they do not go through util/clock.h). */
int64_t cf_net_deadline(int timeout_ms);
/* Milliseconds left before deadline; 0 once it has passed. */
int cf_net_left(int64_t deadline);

/* Resolves hp and connects to its addresses in turn until one accepts, all before deadline.
 * *fd (written only on success) is a blocking socket the caller closes. Failures are
 * CF_E_REMOTE: resolution failed, refused, unreachable, or timed out. */
cf_code cf_net_connect(const cf_hostport *hp, int64_t deadline, int *fd, cf_err *e);
/* Sends all len bytes before deadline (never raises SIGPIPE). CF_E_REMOTE otherwise. */
cf_code cf_net_send(int fd, const void *buf, size_t len, int64_t deadline, cf_err *e);
/* Receives between 1 and cap bytes into buf before deadline; *got is how many. The peer
 * closing the connection, a socket error or the deadline passing is CF_E_REMOTE. */
cf_code cf_net_recv(int fd, void *buf, size_t cap, size_t *got, int64_t deadline, cf_err *e);

#endif
