/* certfleetd's one job runner: a thread with a store connection of its own that runs the jobs due
 * (core/jobs/jobs.h) and sleeps until the next is due, a minute at most (other processes change
 * the table too), or until poked. The event loop never waits on it: the monitor's mail, the CRL
 * downloads and the OCSP questions of scheduled runs happen on the runner's thread. */
#ifndef CF_DAEMON_JOBS_H
#define CF_DAEMON_JOBS_H

#include "core/jobs/jobs.h"
#include "daemon/daemon.h"

typedef struct cf_runner cf_runner;

/* Starts the runner on the store at target (its own connection, opened on its thread). */
cf_code cf_runner_start(cf_daemon *d, const char *target, cf_runner **out, cf_err *e);
/* Asks for a look at the table now (a run on request moved a job, a setting changed). */
void cf_runner_poke(cf_runner *r);
/* Stops the runner, waiting for the run in hand (bounded by its network timeouts). NULL-safe. */
void cf_runner_stop(cf_runner *r);
/* What runs on request on the loop's thread use: the same holder name, log and network. */
const cf_jobs_env *cf_runner_env(const cf_runner *r);

#endif
