#include "core/model/plan.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/grow.h"

void cf_warn(cf_warnings *w, const char *rule, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cf_strv_push(&w->rules, rule);
	cf_strv_push(&w->messages, msg);
}

char *cf_warnings_json(const cf_warnings *w)
{
	json_t *a = json_array();
	for (size_t i = 0; i < w->rules.n; i++)
		json_array_append_new(a, json_pack("{s:s, s:s}", "rule", w->rules.v[i], "message", w->messages.v[i]));
	char *out = json_dumps(a, JSON_COMPACT);
	json_decref(a);
	return out;
}

void cf_warnings_free(cf_warnings *w)
{
	if (w == NULL)
		return;
	cf_strv_clear(&w->rules);
	cf_strv_clear(&w->messages);
}

static void add_step(cf_plan *plan, cf_plan_action action, const cf_node *node, const char *service)
{
	for (size_t i = 0; i < plan->n; i++)
		if (plan->steps[i].action == action && strcmp(plan->steps[i].node, node->fqdn) == 0 &&
		    (service == NULL || strcmp(plan->steps[i].service, service) == 0))
			return;
	if (cf_grow(&plan->steps, &plan->cap, plan->n, sizeof(*plan->steps)) != 0)
		return;
	plan->steps[plan->n++] = (cf_plan_step){action, strdup(node->fqdn), service ? strdup(service) : NULL,
						strdup(node->product ? node->product : ""), node->publisher};
}

void cf_plan_restart(cf_plan *plan, const cf_node *node, const char *services)
{
	cf_strv v = {0};
	if (services == NULL)
		return;
	cf_strv_split(&v, services, ",");
	for (size_t i = 0; i < v.n; i++)
		add_step(plan, CF_PLAN_RESTART, node, v.v[i]);
	cf_strv_clear(&v);
}

void cf_plan_identity(cf_plan *plan, const cf_purpose *p, const cf_node *node, const cf_node *all, size_t n_all,
		      bool ha_on)
{
	if (p->restart_all_nodes) {
		for (size_t i = 0; i < n_all; i++)
			if (strcmp(all[i].product, node->product) == 0)
				cf_plan_restart(plan, &all[i], p->services);
	} else {
		cf_plan_restart(plan, node, p->services);
	}
	if (p->ha_sensitive && ha_on && !plan->ha) {
		plan->ha = true;
		for (size_t i = 0; i < n_all; i++)
			if (all[i].publisher && strcmp(all[i].product, node->product) == 0)
				plan->ha_node = strdup(all[i].fqdn);
		if (plan->ha_node == NULL)
			plan->ha_node = strdup(node->fqdn);
	}
}

/* SPEC §2: the services a trust import restarts. */
static const struct trust_restart {
	const char *store;   /* NULL: any store */
	const char *product; /* product of the node */
	bool publisher_only;
	bool ucm_cert_only; /* only when the imported certificate is a Unified CM node's */
	const char *services;
} trust_restarts[] = {
	{"tomcat-trust", NULL, false, false, "Cisco Tomcat"},
	{"CallManager-trust", "ucm", false, false, "Cisco CallManager"},
	{"cup-xmpp-trust", "imp", false, false, "Cisco XCP Router"},
	{NULL, "imp", true, false, "Cisco Intercluster Sync Agent"},
	{NULL, "imp", false, true, "Cisco SIP Proxy"},
};

void cf_plan_trust(cf_plan *plan, const char *store, const cf_node *node, bool ucm_cert)
{
	for (size_t i = 0; i < sizeof(trust_restarts) / sizeof(trust_restarts[0]); i++) {
		const struct trust_restart *r = &trust_restarts[i];
		if ((r->store && strcmp(r->store, store) != 0) ||
		    (r->product && strcmp(r->product, node->product) != 0) || (r->publisher_only && !node->publisher) ||
		    (r->ucm_cert_only && !ucm_cert))
			continue;
		cf_plan_restart(plan, node, r->services);
	}
}

static void step_free(cf_plan_step *s)
{
	free(s->node);
	free(s->service);
	free(s->product);
}

void cf_plan_drop_node(cf_plan *plan, const char *node)
{
	size_t out = 0;
	for (size_t i = 0; i < plan->n; i++) {
		if (strcmp(plan->steps[i].node, node) == 0) {
			step_free(&plan->steps[i]);
		} else {
			plan->steps[out++] = plan->steps[i];
		}
	}
	plan->n = out;
}

void cf_plan_origin(cf_plan *plan, const cf_node *node)
{
	if (plan->origin_product == NULL)
		plan->origin_product = strdup(node->product);
}

/* HA off first; restarts on the origin product's publisher, its subscribers, then the other
 * products' publishers and subscribers; HA on last. */
static int step_rank(const cf_plan *plan, const cf_plan_step *s)
{
	if (s->action == CF_PLAN_DISABLE_HA)
		return 0;
	if (s->action == CF_PLAN_ENABLE_HA)
		return 5;
	bool origin = plan->origin_product == NULL || strcmp(s->product, plan->origin_product) == 0;
	return (origin ? 1 : 3) + (s->publisher ? 0 : 1);
}

static int step_order(const cf_plan *plan, const cf_plan_step *x, const cf_plan_step *y)
{
	int r = step_rank(plan, x) - step_rank(plan, y);
	return r != 0 ? r : strcmp(x->node, y->node);
}

void cf_plan_finish(cf_plan *plan)
{
	if (plan->ha && plan->n > 0) {
		cf_node pub = {.fqdn = plan->ha_node, .publisher = true};
		add_step(plan, CF_PLAN_DISABLE_HA, &pub, NULL); /* no-ops when already there */
		add_step(plan, CF_PLAN_ENABLE_HA, &pub, NULL);
	}
	/* stable: insertion sort keeps each node's service order */
	for (size_t i = 1; i < plan->n; i++) {
		cf_plan_step s = plan->steps[i];
		size_t j = i;
		while (j > 0 && step_order(plan, &plan->steps[j - 1], &s) > 0) {
			plan->steps[j] = plan->steps[j - 1];
			j--;
		}
		plan->steps[j] = s;
	}
}

const char *cf_plan_action_name(cf_plan_action a)
{
	switch (a) {
	case CF_PLAN_DISABLE_HA: return "disable-ha";
	case CF_PLAN_RESTART: return "restart";
	case CF_PLAN_ENABLE_HA: return "enable-ha";
	}
	return "restart";
}

void cf_plan_free(cf_plan *plan)
{
	if (plan == NULL)
		return;
	for (size_t i = 0; i < plan->n; i++)
		step_free(&plan->steps[i]);
	free(plan->steps);
	free(plan->ha_node);
	free(plan->origin_product);
	memset(plan, 0, sizeof(*plan));
}

void cf_outcome_add_id(cf_outcome *o, int64_t id)
{
	if (cf_grow(&o->ids, &o->cap_ids, o->n_ids, sizeof(*o->ids)) == 0)
		o->ids[o->n_ids++] = id;
}

void cf_outcome_free(cf_outcome *o)
{
	if (o == NULL)
		return;
	free(o->ids);
	cf_strv_clear(&o->nodes);
	cf_strv_clear(&o->notes);
	cf_warnings_free(&o->warnings);
	cf_plan_free(&o->plan);
	memset(o, 0, sizeof(*o));
}
