/* What a change reports besides its result: warnings with rule ids, and the restart plan
 * (SPEC §2: services restarted publisher first, then subscribers; presence HA handled). */
#ifndef CF_PLAN_H
#define CF_PLAN_H

#include <stdbool.h>
#include <stddef.h>

#include "core/model/profile.h"
#include "store/store.h"

typedef struct cf_warnings {
	cf_strv rules;
	cf_strv messages;
} cf_warnings;

/* Adds a warning (rule id, one-line message). */
void cf_warn(cf_warnings *w, const char *rule, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The warnings as a JSON array text of {"rule","message"} (caller frees). */
char *cf_warnings_json(const cf_warnings *w);
void cf_warnings_free(cf_warnings *w);

typedef enum cf_plan_action { CF_PLAN_DISABLE_HA, CF_PLAN_RESTART, CF_PLAN_ENABLE_HA } cf_plan_action;

typedef struct cf_plan_step {
	cf_plan_action action;
	char *node;
	char *service; /* NULL for the HA steps */
	char *product;
	bool publisher;
} cf_plan_step;

typedef struct cf_plan {
	cf_plan_step *steps;
	size_t n, cap;
	bool ha; /* disable presence HA first, re-enable after */
	char *ha_node;
	char *origin_product; /* product of the node the change was made on */
} cf_plan;

/* Adds a restart of each comma-separated service on node (duplicates are dropped). */
void cf_plan_restart(cf_plan *plan, const cf_node *node, const char *services);
/* What an identity change of purpose p on node restarts; `all` are the nodes of the cluster
 * (for services that restart everywhere in scope); ha_on: the cluster's presence-ha setting. */
void cf_plan_identity(cf_plan *plan, const cf_purpose *p, const cf_node *node, const cf_node *all, size_t n_all,
		      bool ha_on);
/* What a trust import into store on node restarts; ucm_cert: the certificate is a Unified CM
 * node's own. */
void cf_plan_trust(cf_plan *plan, const char *store, const cf_node *node, bool ucm_cert);
/* Records the node a change was made on: its product's nodes restart first (SPEC §2, seed 003:
 * the publisher, then its subscribers, then the other products' nodes). */
void cf_plan_origin(cf_plan *plan, const cf_node *node);
/* Drops every step on node (a freshly installed node starts its services anyway). */
void cf_plan_drop_node(cf_plan *plan, const char *node);
/* Orders the plan: HA off first, restarts publisher first, HA on last. */
void cf_plan_finish(cf_plan *plan);
const char *cf_plan_action_name(cf_plan_action a);
void cf_plan_free(cf_plan *plan);

/* Everything a change reports: the certificates it created, the nodes it touched, notes
 * (e.g. duplicates ignored), warnings and the restart plan. */
typedef struct cf_outcome {
	int64_t *ids;
	size_t n_ids, cap_ids;
	cf_strv nodes;
	cf_strv notes;
	cf_warnings warnings;
	cf_plan plan;
} cf_outcome;

void cf_outcome_add_id(cf_outcome *o, int64_t id);
void cf_outcome_free(cf_outcome *o);

#endif
