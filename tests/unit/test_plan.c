/* Unit tests for src/core/plan: restart plans (SPEC §2) and warnings. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/model/plan.h"
#include "core/model/profile.h"

static cf_node node(const char *fqdn, const char *product, bool publisher)
{
	cf_node n = {.id = 1,
		     .fqdn = (char *)fqdn,
		     .cluster_id = 1,
		     .cluster = (char *)"c1",
		     .product = (char *)product,
		     .publisher = publisher,
		     .ip = (char *)""};
	return n;
}

static const cf_purpose *purpose(const char *name, const char *product)
{
	const cf_purpose *p = cf_purpose_find(name, product);
	if (p == NULL)
		fail_msg("no purpose %s for %s", name, product);
	return p;
}

/* The plan as text, one step per line: "restart node service", "disable-ha node", ... */
static char *plan_text(const cf_plan *plan)
{
	size_t cap = 64 + plan->n * 160;
	char *out = malloc(cap);
	size_t used = 0;
	out[0] = '\0';
	for (size_t i = 0; i < plan->n; i++) {
		const cf_plan_step *s = &plan->steps[i];
		used += (size_t)snprintf(out + used, cap - used, "%s %s%s%s%s\n", cf_plan_action_name(s->action),
					 s->node, s->service ? " " : "", s->service ? s->service : "",
					 s->publisher ? " (pub)" : "");
	}
	return out;
}

static void assert_plan(const cf_plan *plan, const char *want)
{
	char *got = plan_text(plan);
	if (strcmp(got, want) != 0)
		fail_msg("plan:\n%s\nexpected:\n%s", got, want);
	free(got);
}

/* A Unified CM + IM and Presence cluster. */
static cf_node uc[6];
static void uc_cluster(void)
{
	uc[0] = node("ucm-sub2.example.com", "ucm", false);
	uc[1] = node("ucm-pub.example.com", "ucm", true);
	uc[2] = node("imp-sub.example.com", "imp", false);
	uc[3] = node("ucm-sub1.example.com", "ucm", false);
	uc[4] = node("imp-pub.example.com", "imp", true);
	uc[5] = node("cuc-pub.example.com", "cuc", true);
}
#define UCM_SUB2 (&uc[0])
#define UCM_PUB (&uc[1])
#define IMP_SUB (&uc[2])
#define UCM_SUB1 (&uc[3])
#define IMP_PUB (&uc[4])
#define CUC_PUB (&uc[5])

/* ---- restarts --------------------------------------------------------------------------------- */

static void test_restart_dedup(void **state)
{
	(void)state;
	cf_plan plan = {0};
	uc_cluster();
	cf_plan_restart(&plan, UCM_SUB1, "Cisco Tomcat");
	cf_plan_restart(&plan, UCM_SUB1, "Cisco Tomcat");
	cf_plan_restart(&plan, UCM_SUB1, " Cisco CallManager , Cisco Tomcat,Cisco TFTP");
	cf_plan_restart(&plan, UCM_SUB2, "Cisco Tomcat"); /* same service, other node: kept */
	cf_plan_restart(&plan, UCM_SUB1, NULL);		  /* nothing */
	cf_plan_restart(&plan, UCM_SUB1, "");
	assert_int_equal(plan.n, 4);
	assert_plan(&plan, "restart ucm-sub1.example.com Cisco Tomcat\n"
			   "restart ucm-sub1.example.com Cisco CallManager\n"
			   "restart ucm-sub1.example.com Cisco TFTP\n"
			   "restart ucm-sub2.example.com Cisco Tomcat\n");
	assert_false(plan.ha);
	cf_plan_free(&plan);
	assert_int_equal(plan.n, 0);
	assert_null(plan.steps);
	cf_plan_free(NULL);
}

static void test_restart_many_steps(void **state)
{
	(void)state;
	cf_plan plan = {0};
	char svc[32];
	uc_cluster();
	for (int i = 0; i < 40; i++) {
		snprintf(svc, sizeof(svc), "service %02d", i);
		cf_plan_restart(&plan, UCM_PUB, svc);
	}
	assert_int_equal(plan.n, 40);
	assert_string_equal(plan.steps[39].service, "service 39");
	cf_plan_free(&plan);
}

static void test_publisher_first(void **state)
{
	(void)state;
	cf_plan plan = {0};
	uc_cluster();
	/* a multi-server CallManager certificate, installed in scope order sub2, sub1, pub */
	const cf_purpose *p = purpose("CallManager", "ucm");
	cf_plan_identity(&plan, p, UCM_SUB2, uc, 6, false);
	cf_plan_identity(&plan, p, UCM_SUB1, uc, 6, false);
	cf_plan_identity(&plan, p, UCM_PUB, uc, 6, false);
	cf_plan_identity(&plan, p, UCM_PUB, uc, 6, false); /* twice: no new steps */
	assert_int_equal(plan.n, 9);
	cf_plan_finish(&plan);
	/* publisher first; each node keeps its service order; subscribers by name */
	assert_plan(&plan, "restart ucm-pub.example.com Cisco CallManager (pub)\n"
			   "restart ucm-pub.example.com Cisco TFTP (pub)\n"
			   "restart ucm-pub.example.com Cisco CTIManager (pub)\n"
			   "restart ucm-sub1.example.com Cisco CallManager\n"
			   "restart ucm-sub1.example.com Cisco TFTP\n"
			   "restart ucm-sub1.example.com Cisco CTIManager\n"
			   "restart ucm-sub2.example.com Cisco CallManager\n"
			   "restart ucm-sub2.example.com Cisco TFTP\n"
			   "restart ucm-sub2.example.com Cisco CTIManager\n");
	assert_false(plan.ha);
	cf_plan_free(&plan);
}

static void test_identity_services(void **state)
{
	(void)state;
	cf_plan plan = {0};
	uc_cluster();
	cf_plan_identity(&plan, purpose("tomcat", "ucm"), UCM_SUB1, uc, 6, true);
	assert_plan(&plan, "restart ucm-sub1.example.com Cisco Tomcat\n");
	assert_false(plan.ha); /* tomcat is not HA-sensitive */
	cf_plan_free(&plan);

	cf_plan_identity(&plan, purpose("CAPF", "ucm"), UCM_PUB, uc, 6, false);
	assert_plan(&plan, "restart ucm-pub.example.com Cisco Certificate Authority Proxy Function (pub)\n");
	cf_plan_free(&plan);

	cf_plan_identity(&plan, purpose("TVS", "ucm"), UCM_SUB2, uc, 6, false);
	assert_plan(&plan, "restart ucm-sub2.example.com Cisco Trust Verification Service\n");
	cf_plan_free(&plan);

	/* ITLRecovery restarts nothing */
	cf_plan_identity(&plan, purpose("ITLRecovery", "ucm"), UCM_PUB, uc, 6, false);
	assert_int_equal(plan.n, 0);
	cf_plan_free(&plan);

	/* cup-xmpp-s2s: federation connection manager on this node only */
	cf_plan_identity(&plan, purpose("cup-xmpp-s2s", "imp"), IMP_SUB, uc, 6, false);
	assert_plan(&plan, "restart imp-sub.example.com Cisco XMPP Federation Connection Manager\n");
	cf_plan_free(&plan);
}

/* ---- presence HA -------------------------------------------------------------------------------- */

static void test_cup_xmpp_restarts_all_imp_nodes_with_ha(void **state)
{
	(void)state;
	cf_plan plan = {0};
	uc_cluster();
	cf_plan_identity(&plan, purpose("cup-xmpp", "imp"), IMP_SUB, uc, 6, true);
	assert_true(plan.ha);
	assert_string_equal(plan.ha_node, "imp-pub.example.com");
	cf_plan_finish(&plan);
	assert_plan(&plan, "disable-ha imp-pub.example.com (pub)\n"
			   "restart imp-pub.example.com Cisco XCP Router (pub)\n"
			   "restart imp-sub.example.com Cisco XCP Router\n"
			   "enable-ha imp-pub.example.com (pub)\n");
	assert_int_equal(plan.steps[0].action, CF_PLAN_DISABLE_HA);
	assert_null(plan.steps[0].service);
	assert_int_equal(plan.steps[3].action, CF_PLAN_ENABLE_HA);
	assert_null(plan.steps[3].service);
	cf_plan_free(&plan);
	assert_null(plan.ha_node);
}

static void test_cup_with_ha(void **state)
{
	(void)state;
	cf_plan plan = {0};
	uc_cluster();
	const cf_purpose *p = purpose("cup", "imp");
	cf_plan_identity(&plan, p, IMP_SUB, uc, 6, true);
	cf_plan_identity(&plan, p, IMP_PUB, uc, 6, true);
	cf_plan_finish(&plan);
	assert_plan(&plan, "disable-ha imp-pub.example.com (pub)\n"
			   "restart imp-pub.example.com Cisco SIP Proxy (pub)\n"
			   "restart imp-pub.example.com Cisco Presence Engine (pub)\n"
			   "restart imp-sub.example.com Cisco SIP Proxy\n"
			   "restart imp-sub.example.com Cisco Presence Engine\n"
			   "enable-ha imp-pub.example.com (pub)\n");
	cf_plan_free(&plan);
}

static void test_ha_off_or_not_sensitive(void **state)
{
	(void)state;
	cf_plan plan = {0};
	uc_cluster();
	cf_plan_identity(&plan, purpose("cup-xmpp-s2s", "imp"), IMP_PUB, uc, 6, false);
	cf_plan_finish(&plan);
	assert_false(plan.ha);
	assert_plan(&plan, "restart imp-pub.example.com Cisco XMPP Federation Connection Manager (pub)\n");
	cf_plan_free(&plan);

	/* HA on but a purpose that does not care: no HA steps */
	cf_plan_identity(&plan, purpose("tomcat", "imp"), IMP_SUB, uc, 6, true);
	cf_plan_identity(&plan, purpose("ipsec", "imp"), IMP_SUB, uc, 6, true);
	cf_plan_finish(&plan);
	assert_false(plan.ha);
	assert_plan(&plan, "restart imp-sub.example.com Cisco Tomcat\n"
			   "restart imp-sub.example.com Cisco DRF Master\n"
			   "restart imp-sub.example.com Cisco DRF Local\n");
	cf_plan_free(&plan);
}

/* SPEC §2: disable HA first, restart all, re-enable HA — also when the plan is finished twice. */
static void test_finish_twice_keeps_ha_last(void **state)
{
	(void)state;
	cf_plan plan = {0};
	uc_cluster();
	cf_plan_identity(&plan, purpose("cup-xmpp", "imp"), IMP_PUB, uc, 6, true);
	cf_plan_finish(&plan);
	char *once = plan_text(&plan);
	cf_plan_finish(&plan);
	char *twice = plan_text(&plan);
	bool ha_last = plan.n > 0 && plan.steps[plan.n - 1].action == CF_PLAN_ENABLE_HA;
	cf_plan_free(&plan);
	char msg[1024];
	snprintf(msg, sizeof(msg), "after one cf_plan_finish:\n%safter two:\n%s", once, twice);
	bool same = strcmp(once, twice) == 0;
	free(once);
	free(twice);
	if (!same || !ha_last)
		fail_msg("%s", msg);
}

static void test_ha_plan_without_publisher_in_list(void **state)
{
	(void)state;
	cf_plan plan = {0};
	cf_node only[] = {node("imp-sub.example.com", "imp", false)};
	cf_plan_identity(&plan, purpose("cup", "imp"), &only[0], only, 1, true);
	assert_true(plan.ha);
	assert_string_equal(plan.ha_node, "imp-sub.example.com"); /* falls back to the node itself */
	cf_plan_finish(&plan);
	assert_int_equal(plan.steps[0].action, CF_PLAN_DISABLE_HA);
	assert_int_equal(plan.steps[plan.n - 1].action, CF_PLAN_ENABLE_HA);
	assert_int_equal(plan.n, 4);
	cf_plan_free(&plan);
}

/* ---- trust imports ------------------------------------------------------------------------------ */

static void test_trust_rules(void **state)
{
	(void)state;
	cf_plan plan = {0};
	uc_cluster();

	cf_plan_trust(&plan, "tomcat-trust", UCM_SUB1, false);
	assert_plan(&plan, "restart ucm-sub1.example.com Cisco Tomcat\n");
	cf_plan_free(&plan);

	cf_plan_trust(&plan, "tomcat-trust", CUC_PUB, false);
	assert_plan(&plan, "restart cuc-pub.example.com Cisco Tomcat (pub)\n");
	cf_plan_free(&plan);

	/* CallManager-trust on ucm: CallManager; on a voicemail node: nothing */
	cf_plan_trust(&plan, "CallManager-trust", UCM_PUB, true);
	assert_plan(&plan, "restart ucm-pub.example.com Cisco CallManager (pub)\n");
	cf_plan_free(&plan);
	cf_plan_trust(&plan, "CallManager-trust", CUC_PUB, false);
	assert_int_equal(plan.n, 0);
	cf_plan_free(&plan);

	/* any trust upload on the imp publisher: Intercluster Sync Agent */
	cf_plan_trust(&plan, "cup-trust", IMP_PUB, false);
	assert_plan(&plan, "restart imp-pub.example.com Cisco Intercluster Sync Agent (pub)\n");
	cf_plan_free(&plan);
	cf_plan_trust(&plan, "cup-trust", IMP_SUB, false);
	assert_int_equal(plan.n, 0);
	cf_plan_free(&plan);

	/* a Unified CM certificate into an imp store: SIP Proxy */
	cf_plan_trust(&plan, "cup-trust", IMP_SUB, true);
	assert_plan(&plan, "restart imp-sub.example.com Cisco SIP Proxy\n");
	cf_plan_free(&plan);

	/* all three at once on the imp publisher */
	cf_plan_trust(&plan, "tomcat-trust", IMP_PUB, true);
	assert_plan(&plan, "restart imp-pub.example.com Cisco Tomcat (pub)\n"
			   "restart imp-pub.example.com Cisco Intercluster Sync Agent (pub)\n"
			   "restart imp-pub.example.com Cisco SIP Proxy (pub)\n");
	cf_plan_free(&plan);

	/* a ucm certificate into a ucm store that has no rule */
	cf_plan_trust(&plan, "ipsec-trust", UCM_PUB, true);
	cf_plan_trust(&plan, "CAPF-trust", UCM_PUB, true);
	assert_int_equal(plan.n, 0);
	cf_plan_free(&plan);

	/* repeated imports do not repeat restarts */
	cf_plan_trust(&plan, "tomcat-trust", UCM_SUB1, false);
	cf_plan_trust(&plan, "tomcat-trust", UCM_SUB1, false);
	cf_plan_trust(&plan, "tomcat-trust", UCM_PUB, false);
	cf_plan_finish(&plan);
	assert_plan(&plan, "restart ucm-pub.example.com Cisco Tomcat (pub)\n"
			   "restart ucm-sub1.example.com Cisco Tomcat\n");
	cf_plan_free(&plan);
}

/* ---- dropping a node ------------------------------------------------------------------------------ */

static void test_drop_node(void **state)
{
	(void)state;
	cf_plan plan = {0};
	uc_cluster();
	const cf_purpose *p = purpose("CallManager", "ucm");
	cf_plan_identity(&plan, p, UCM_SUB1, uc, 6, false);
	cf_plan_identity(&plan, p, UCM_PUB, uc, 6, false);
	cf_plan_identity(&plan, p, UCM_SUB2, uc, 6, false);
	cf_plan_drop_node(&plan, "ucm-sub1.example.com");
	assert_int_equal(plan.n, 6);
	cf_plan_finish(&plan);
	assert_plan(&plan, "restart ucm-pub.example.com Cisco CallManager (pub)\n"
			   "restart ucm-pub.example.com Cisco TFTP (pub)\n"
			   "restart ucm-pub.example.com Cisco CTIManager (pub)\n"
			   "restart ucm-sub2.example.com Cisco CallManager\n"
			   "restart ucm-sub2.example.com Cisco TFTP\n"
			   "restart ucm-sub2.example.com Cisco CTIManager\n");
	cf_plan_drop_node(&plan, "nope.example.com");
	assert_int_equal(plan.n, 6);
	cf_plan_drop_node(&plan, "ucm-pub.example.com");
	cf_plan_drop_node(&plan, "ucm-sub2.example.com");
	assert_int_equal(plan.n, 0);
	/* the plan is still usable */
	cf_plan_restart(&plan, UCM_SUB1, "Cisco Tomcat");
	assert_plan(&plan, "restart ucm-sub1.example.com Cisco Tomcat\n");
	cf_plan_free(&plan);
}

/* ---- warnings and outcomes ---------------------------------------------------------------------- */

static void test_warnings_json(void **state)
{
	(void)state;
	cf_warnings w = {0};
	char *j = cf_warnings_json(&w);
	assert_string_equal(j, "[]");
	free(j);

	cf_warn(&w, "large-key-8192", "an %d-bit RSA key is slow", 8192);
	cf_warn(&w, "ku-missing", "lost \"dataEncipherment\"\\ on %s\n", "tomcat");
	j = cf_warnings_json(&w);
	assert_non_null(j);
	assert_string_equal(
		j, "[{\"rule\":\"large-key-8192\",\"message\":\"an 8192-bit RSA key is slow\"},"
		   "{\"rule\":\"ku-missing\",\"message\":\"lost \\\"dataEncipherment\\\"\\\\ on tomcat\\n\"}]");

	json_error_t err;
	json_t *a = json_loads(j, 0, &err);
	assert_non_null(a);
	assert_true(json_is_array(a));
	assert_int_equal(json_array_size(a), 2);
	json_t *second = json_array_get(a, 1);
	assert_string_equal(json_string_value(json_object_get(second, "rule")), "ku-missing");
	assert_string_equal(json_string_value(json_object_get(second, "message")),
			    "lost \"dataEncipherment\"\\ on tomcat\n");
	assert_int_equal(json_object_size(second), 2);
	json_decref(a);
	free(j);

	cf_warnings_free(&w);
	assert_int_equal(w.rules.n, 0);
	cf_warnings_free(NULL);
}

static void test_action_names_and_outcome(void **state)
{
	(void)state;
	assert_string_equal(cf_plan_action_name(CF_PLAN_DISABLE_HA), "disable-ha");
	assert_string_equal(cf_plan_action_name(CF_PLAN_RESTART), "restart");
	assert_string_equal(cf_plan_action_name(CF_PLAN_ENABLE_HA), "enable-ha");

	cf_outcome o = {0};
	for (int64_t i = 1; i <= 40; i++)
		cf_outcome_add_id(&o, i * 10);
	assert_int_equal(o.n_ids, 40);
	assert_int_equal(o.ids[0], 10);
	assert_int_equal(o.ids[39], 400);
	cf_warn(&o.warnings, "r", "m");
	cf_plan_restart(&o.plan, &(cf_node){.fqdn = (char *)"a.example.com"}, "x");
	cf_strv_push(&o.nodes, "a.example.com");
	cf_outcome_free(&o);
	assert_int_equal(o.n_ids, 0);
	assert_null(o.ids);
	assert_int_equal(o.plan.n, 0);
	cf_outcome_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_restart_dedup),
		cmocka_unit_test(test_restart_many_steps),
		cmocka_unit_test(test_publisher_first),
		cmocka_unit_test(test_identity_services),
		cmocka_unit_test(test_cup_xmpp_restarts_all_imp_nodes_with_ha),
		cmocka_unit_test(test_cup_with_ha),
		cmocka_unit_test(test_ha_off_or_not_sensitive),
		cmocka_unit_test(test_finish_twice_keeps_ha_last),
		cmocka_unit_test(test_ha_plan_without_publisher_in_list),
		cmocka_unit_test(test_trust_rules),
		cmocka_unit_test(test_drop_node),
		cmocka_unit_test(test_warnings_json),
		cmocka_unit_test(test_action_names_and_outcome),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
