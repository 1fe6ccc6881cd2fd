/* certfleetd's workers: pools of threads, each with a store connection of its own, that run the
 * handlers of the API's requests. Changes may wait on the network (OCSP responders, CRL
 * distribution points, a mail server, a node), on a password hash or on the store's write lock;
 * reads wait on the store (a round trip to PostgreSQL) and build pages. Each kind has its pool, so
 * reads are never queued behind a change that waits. The event loop only accepts, parses,
 * answers and posts results; it serves everyone else meanwhile. A handler on a
 * worker makes its reply as on the loop (cf_reply_*), which keeps it; the loop sends it when the
 * task comes back through a pipe. */
#ifndef CF_DAEMON_WORKER_H
#define CF_DAEMON_WORKER_H

#include <event2/event.h>

#include "daemon/daemon.h"

#define CF_WORKER_THREADS 4 /* changes handled at once (more wait in the queue) */
#define CF_READER_THREADS 2 /* the API's reads, in a pool of their own: never behind a change */
#define CF_WORKER_THREADS_MAX 8
#define CF_WORKER_QUEUE 64 /* requests waiting in one pool at most: then 503 "busy" */

typedef struct cf_worker cf_worker;

/* Starts a pool of threads workers on the store at target (their connections are opened on their
 * threads, and each keeps its own parsed CRLs). */
cf_code cf_worker_start(struct event_base *base, cf_daemon *d, const char *target, int threads, cf_worker **out,
			cf_err *e);
/* Stops them, waiting for the work in hand (bounded by its timeouts); requests still queued are
 * answered 503. NULL-safe. */
void cf_worker_stop(cf_worker *w);

/* Hands q to a worker of w, where fn handles it with the worker's store (q->st) and its reply is kept
 * (q->held) for the loop to send; the handler may use of q->d only what is safe across threads
 * (the session table, the login throttle and budget, the runner's poke, the log). q's query moves
 * with it. Returns false when the queue is full or no worker runs: q has been answered 503. */
typedef void (*cf_route_fn)(cf_req *q);
bool cf_worker_route(cf_worker *w, cf_req *q, cf_route_fn fn);

#endif
