/* certfleetd's workers: threads, each with a store connection of its own, that run the part of a
 * request which waits on the network (OCSP responders, CRL distribution points, a mail server)
 * so the event loop only accepts, parses, answers and posts results. A request handed over is
 * answered when its work is done; the loop serves everyone else meanwhile. Results come back to
 * the loop through a pipe. */
#ifndef CF_DAEMON_WORKER_H
#define CF_DAEMON_WORKER_H

#include <event2/event.h>

#include "daemon/daemon.h"

#define CF_WORKER_THREADS 2 /* network work at once (more waits in the queue) */
#define CF_WORKER_QUEUE 64  /* requests waiting for a worker at most: then 503 "busy" */

typedef struct cf_worker cf_worker;

/* Starts the workers on the store at target (their connections are opened on their threads). */
cf_code cf_worker_start(struct event_base *base, cf_daemon *d, const char *target, cf_worker **out, cf_err *e);
/* Stops them, waiting for the work in hand (bounded by its timeouts); requests still queued are
 * answered 503. NULL-safe. */
void cf_worker_stop(cf_worker *w);

/* Hands the rest of q to a worker: work(st, arg) runs on a worker thread with that worker's store
 * (it must not reply), then done(q, arg) on the loop, where q is a copy that lives until done
 * returns (done replies, and frees arg). Returns false when the queue is full or no store could be
 * opened: q has been answered 503 and arg is the caller's still. */
typedef void (*cf_work_fn)(cf_store *st, void *arg);
typedef void (*cf_done_fn)(cf_req *q, void *arg);
bool cf_worker_defer(cf_req *q, cf_work_fn work, cf_done_fn done, void *arg);

#endif
