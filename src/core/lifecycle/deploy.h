/* Deploy targets (SPEC §3.8): where a node's certificate, key and chain files go and how the
 * service reloads; writing them atomically. */
#ifndef CF_DEPLOY_H
#define CF_DEPLOY_H

#include <stdbool.h>

#include "core/model/plan.h"
#include "store/store.h"

#define CF_DEPLOY_RELOAD_TIMEOUT_S 120 /* a reload still running then is killed (and failed) */

typedef struct cf_deploy_target_spec {
	const char *node, *purpose;
	const char *cert_path, *key_path, *chain_path; /* absolute paths; "" = not written */
	const char *owner;			       /* "user[:group]" or NULL */
	const char *mode;			       /* octal, e.g. "0644"; NULL = 0644. Keys are always 0600. */
	const char *reload;			       /* shell command run after the files are written, or NULL */
	const char *serves;   /* "HOST:PORT" where the service serves the identity ("" = none) */
	const char *starttls; /* the STARTTLS protocol spoken there first ("" = none) */
} cf_deploy_target_spec;

/* Sets the target of (node, purpose); fields left NULL keep their current value. A target needs a
 * path or a serves address (one with an address alone writes nothing: the served check only,
 * core/lifecycle/served.h); a changed address forgets the last served check. Errors name the
 * field as the page and the command line both call it: "cert path", "key path", "chain path",
 * "owner", "mode", "serves", "starttls". */
cf_code cf_deploy_target_set(cf_store *st, const cf_deploy_target_spec *spec, cf_err *e);

/* The targets of node (of one purpose when purpose is non-NULL), by purpose, into *out (free with
 * cf_targets_free); the node itself into *nd (cf_node_free). */
cf_code cf_deploy_targets(cf_store *st, const char *node, const char *purpose, cf_node *nd, cf_target **out, size_t *n,
			  cf_err *e);
void cf_targets_free(cf_target *v, size_t n);

/* What one target's deployment did. */
typedef struct cf_deploy_result {
	char *purpose;
	cf_strv files;	       /* paths written */
	char *reload;	       /* command run, or NULL */
	int reload_status;     /* exit status; -1 when it could not run, was killed or timed out */
	bool reload_timed_out; /* killed after CF_DEPLOY_RELOAD_TIMEOUT_S */
	char *reload_output;   /* its stdout and stderr (util/spawn.h), when it ran */
	char *repaired;	       /* what was repaired of an interrupted deploy first, or NULL */
} cf_deploy_result;

typedef struct cf_deploy_report {
	cf_deploy_result *v;
	size_t n;
} cf_deploy_report;

void cf_deploy_report_free(cf_deploy_report *r);

/* Writes the current identity of each target of node (one purpose when non-NULL), then runs its
 * reload. A target's files are replaced together: every crash or failure leaves the old set or
 * the new one, or a journal "<key>.journal" from which the next deploy repairs the old or new set
 * before anything else (docs/architecture.md, "Deploys"); stale "*.tmp.*" files are removed.
 * The replaced files become ".prev" only when they had reloaded successfully, so .prev is the
 * last working set. A failed reload is CF_E_REMOTE after every target was tried; the report
 * says which. */
cf_code cf_deploy_run(cf_store *st, const char *node, const char *purpose, cf_deploy_report *out, cf_err *e);

#endif
