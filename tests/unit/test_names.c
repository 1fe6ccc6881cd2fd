/* Unit tests for src/core/names: CN and SAN sets of SPEC §3.2–§3.3, computed from in-memory
 * clusters and nodes (no store). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/model/names.h"
#include "core/model/profile.h"
#include "core/check/validate.h"

/* ---- fixtures ------------------------------------------------------------------------------ */

static cf_node node(const char *fqdn, const char *product, bool publisher)
{
	static int64_t next_id = 1;
	cf_node n = {.id = next_id++,
		     .fqdn = (char *)fqdn,
		     .cluster_id = 1,
		     .cluster = (char *)"c1",
		     .product = (char *)product,
		     .publisher = publisher,
		     .ip = (char *)""};
	return n;
}

static void cluster_init(cf_cluster *c, const char *fqdn)
{
	memset(c, 0, sizeof(*c));
	c->id = 1;
	c->name = strdup("c1");
	c->fqdn = strdup(fqdn ? fqdn : "");
}

static void cluster_set(cf_cluster *c, const char *key, const char *value)
{
	cf_strv_push(&c->keys, key);
	cf_strv_push(&c->values, value);
}

static const cf_purpose *purpose(const char *name, const char *product)
{
	const cf_purpose *p = cf_purpose_find(name, product);
	if (p == NULL)
		fail_msg("no purpose %s for %s", name, product);
	return p;
}

/* Asserts that sv holds exactly the NULL-terminated list, in order. */
static void assert_strv(const cf_strv *sv, const char *const *want)
{
	size_t n = 0;
	while (want[n] != NULL)
		n++;
	char *got = cf_strv_join(sv, ", ");
	if (sv->n != n)
		fail_msg("expected %zu entries, got %zu: [%s]", n, sv->n, got);
	for (size_t i = 0; i < n; i++)
		if (strcmp(sv->v[i], want[i]) != 0)
			fail_msg("entry %zu: expected \"%s\", got \"%s\" in [%s]", i, want[i], sv->v[i], got);
	free(got);
}

/* Asserts that sv holds exactly the NULL-terminated list, in any order. */
static void assert_strv_set(const cf_strv *sv, const char *const *want)
{
	cf_strv copy = {0};
	for (size_t i = 0; i < sv->n; i++)
		cf_strv_push(&copy, sv->v[i]);
	cf_strv_sort_unique(&copy);
	assert_int_equal(copy.n, sv->n); /* no duplicates */
	cf_strv w = {0};
	for (size_t i = 0; want[i] != NULL; i++)
		cf_strv_push(&w, want[i]);
	cf_strv_sort_unique(&w);
	const char **wv = calloc(w.n + 1, sizeof(*wv));
	for (size_t i = 0; i < w.n; i++)
		wv[i] = w.v[i];
	assert_strv(&copy, wv);
	free(wv);
	cf_strv_clear(&w);
	cf_strv_clear(&copy);
}

#define LIST(...) ((const char *const[]){__VA_ARGS__, NULL})
#define EMPTY ((const char *const[]){NULL})

/* A Unified CM + IM and Presence cluster with a voicemail node in the list too. Nodes are
 * deliberately not in publisher-first or alphabetical order. */
static cf_node uc_nodes[7];
static size_t n_uc_nodes;

static void uc_cluster(void)
{
	size_t i = 0;
	uc_nodes[i++] = node("cucm-sub2.example.com", "ucm", false);
	uc_nodes[i++] = node("imp-sub.example.com", "imp", false);
	uc_nodes[i++] = node("cucm-pub.example.com", "ucm", true);
	uc_nodes[i++] = node("cuc-pub.example.com", "cuc", true);
	uc_nodes[i++] = node("cucm-sub1.example.com", "ucm", false);
	uc_nodes[i++] = node("imp-pub.example.com", "imp", true);
	uc_nodes[i++] = node("cuc-sub.example.com", "cuc", false);
	n_uc_nodes = i;
}

static const cf_node *find(const char *fqdn)
{
	for (size_t i = 0; i < n_uc_nodes; i++)
		if (strcmp(uc_nodes[i].fqdn, fqdn) == 0)
			return &uc_nodes[i];
	fail_msg("no node %s", fqdn);
	return NULL;
}

static cf_code compute(const cf_cluster *cl, const cf_node *nodes, size_t n, const cf_node *nd,
		       const char *purpose_name, bool multi, cf_names *out, cf_err *e)
{
	return cf_names_compute(cl, nodes, n, nd, purpose(purpose_name, nd->product), multi, out, e);
}

/* ---- node rule ------------------------------------------------------------------------------- */

static void test_single_server(void **state)
{
	(void)state;
	cf_cluster cl;
	cf_names nm = {0};
	cf_err e = {0};
	uc_cluster();
	cluster_init(&cl, NULL);
	cluster_set(&cl, "presence-domains", "example.com"); /* only cup-xmpp rules use it */

	static const struct {
		const char *node, *purpose;
	} cases[] = {
		{"cucm-sub1.example.com", "tomcat"}, {"cucm-sub1.example.com", "CallManager"},
		{"cucm-pub.example.com", "CAPF"},    {"cucm-sub2.example.com", "ipsec"},
		{"imp-sub.example.com", "cup"},	     {"imp-sub.example.com", "tomcat-ECDSA"},
		{"cuc-sub.example.com", "tomcat"},   {"cucm-pub.example.com", "ITLRecovery"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const cf_node *nd = find(cases[i].node);
		assert_int_equal(compute(&cl, uc_nodes, n_uc_nodes, nd, cases[i].purpose, false, &nm, &e), CF_OK);
		assert_string_equal(nm.cn, cases[i].node);
		char want[300];
		snprintf(want, sizeof(want), "DNS:%s", cases[i].node);
		assert_strv(&nm.san, LIST(want));
		assert_strv(&nm.scope, LIST(cases[i].node));
		cf_names_free(&nm);
		assert_null(nm.cn);
	}
	cf_cluster_free(&cl);
}

static void test_multi_server_tomcat_ucm(void **state)
{
	(void)state;
	cf_cluster cl;
	cf_names nm = {0};
	cf_err e = {0};
	uc_cluster();
	cluster_init(&cl, NULL);

	assert_int_equal(compute(&cl, uc_nodes, n_uc_nodes, find("cucm-pub.example.com"), "tomcat", true, &nm, &e),
			 CF_OK);
	assert_string_equal(nm.cn, "cucm-pub-ms.example.com");
	/* scope: every ucm and imp node, never the voicemail nodes; SAN sorted */
	assert_strv(&nm.san, LIST("DNS:cucm-pub.example.com", "DNS:cucm-sub1.example.com", "DNS:cucm-sub2.example.com",
				  "DNS:imp-pub.example.com", "DNS:imp-sub.example.com"));
	assert_strv_set(&nm.scope, LIST("cucm-pub.example.com", "cucm-sub1.example.com", "cucm-sub2.example.com",
					"imp-pub.example.com", "imp-sub.example.com"));
	cf_names_free(&nm);

	/* the ECDSA twin has the same scope */
	assert_int_equal(
		compute(&cl, uc_nodes, n_uc_nodes, find("cucm-pub.example.com"), "tomcat-ECDSA", true, &nm, &e), CF_OK);
	assert_string_equal(nm.cn, "cucm-pub-ms.example.com");
	assert_int_equal(nm.san.n, 5);
	cf_names_free(&nm);

	/* from the IM and Presence publisher, the tomcat scope is the same ucm+imp set */
	assert_int_equal(compute(&cl, uc_nodes, n_uc_nodes, find("imp-pub.example.com"), "tomcat", true, &nm, &e),
			 CF_OK);
	assert_string_equal(nm.cn, "imp-pub-ms.example.com");
	assert_strv(&nm.san, LIST("DNS:cucm-pub.example.com", "DNS:cucm-sub1.example.com", "DNS:cucm-sub2.example.com",
				  "DNS:imp-pub.example.com", "DNS:imp-sub.example.com"));
	cf_names_free(&nm);
	cf_cluster_free(&cl);
}

static void test_multi_server_callmanager(void **state)
{
	(void)state;
	cf_cluster cl;
	cf_names nm = {0};
	cf_err e = {0};
	uc_cluster();
	cluster_init(&cl, NULL);
	assert_int_equal(compute(&cl, uc_nodes, n_uc_nodes, find("cucm-pub.example.com"), "CallManager", true, &nm, &e),
			 CF_OK);
	assert_string_equal(nm.cn, "cucm-pub-ms.example.com");
	assert_strv(&nm.san,
		    LIST("DNS:cucm-pub.example.com", "DNS:cucm-sub1.example.com", "DNS:cucm-sub2.example.com"));
	assert_strv_set(&nm.scope, LIST("cucm-pub.example.com", "cucm-sub1.example.com", "cucm-sub2.example.com"));
	cf_names_free(&nm);
	cf_cluster_free(&cl);
}

static void test_multi_server_cuc_tomcat(void **state)
{
	(void)state;
	cf_cluster cl;
	cf_names nm = {0};
	cf_err e = {0};
	uc_cluster();
	cluster_init(&cl, NULL);
	assert_int_equal(compute(&cl, uc_nodes, n_uc_nodes, find("cuc-pub.example.com"), "tomcat", true, &nm, &e),
			 CF_OK);
	assert_string_equal(nm.cn, "cuc-pub-ms.example.com");
	assert_strv(&nm.san, LIST("DNS:cuc-pub.example.com", "DNS:cuc-sub.example.com"));
	assert_strv_set(&nm.scope, LIST("cuc-pub.example.com", "cuc-sub.example.com"));
	cf_names_free(&nm);
	cf_cluster_free(&cl);
}

static void test_multi_server_dedup(void **state)
{
	(void)state;
	cf_cluster cl;
	cf_names nm = {0};
	cf_err e = {0};
	cf_node nodes[] = {
		node("ucm-b.example.com", "ucm", false), node("ucm-a.example.com", "ucm", true),
		node("ucm-b.example.com", "ucm", false), /* listed twice */
	};
	cluster_init(&cl, NULL);
	assert_int_equal(compute(&cl, nodes, 3, &nodes[1], "CallManager", true, &nm, &e), CF_OK);
	assert_strv(&nm.san, LIST("DNS:ucm-a.example.com", "DNS:ucm-b.example.com"));
	assert_int_equal(nm.scope.n, 2);
	cf_names_free(&nm);
	cf_cluster_free(&cl);
}

/* names.h: the scope of a multi-server certificate lists the publisher first. */
static void test_scope_publisher_first(void **state)
{
	(void)state;
	cf_strv scope = {0};
	uc_cluster();
	const cf_node *pub = find("cucm-pub.example.com");
	cf_names_scope(uc_nodes, n_uc_nodes, pub, purpose("CallManager", "ucm"), true, &scope);
	size_t n = scope.n;
	char first[64];
	snprintf(first, sizeof(first), "%s", n > 0 ? scope.v[0] : "");
	cf_strv_clear(&scope);
	assert_int_equal(n, 3);
	assert_string_equal(first, "cucm-pub.example.com");

	/* single-server: just the node */
	cf_names_scope(uc_nodes, n_uc_nodes, find("cucm-sub1.example.com"), purpose("CallManager", "ucm"), false,
		       &scope);
	assert_strv(&scope, LIST("cucm-sub1.example.com"));
	cf_strv_clear(&scope);
}

/* ---- cup-xmpp / cup-xmpp-s2s --------------------------------------------------------------- */

static void test_cup_xmpp(void **state)
{
	(void)state;
	cf_cluster cl;
	cf_names nm = {0};
	cf_err e = {0};
	uc_cluster();
	cluster_init(&cl, NULL);
	cluster_set(&cl, "presence-domains", "example.com,im.example.org");
	cluster_set(&cl, "email-domains", "mail.example.com"); /* not for cup-xmpp */
	cluster_set(&cl, "chat-aliases", "conference.example.com");

	assert_int_equal(compute(&cl, uc_nodes, n_uc_nodes, find("imp-sub.example.com"), "cup-xmpp", false, &nm, &e),
			 CF_OK);
	assert_string_equal(nm.cn, "imp-sub.example.com");
	assert_strv(&nm.san, LIST("DNS:imp-sub.example.com", "DNS:example.com", "DNS:im.example.org"));
	cf_names_free(&nm);

	assert_int_equal(
		compute(&cl, uc_nodes, n_uc_nodes, find("imp-pub.example.com"), "cup-xmpp-ECDSA", true, &nm, &e),
		CF_OK);
	assert_string_equal(nm.cn, "imp-pub-ms.example.com");
	assert_strv(&nm.san, LIST("DNS:imp-pub.example.com", "DNS:imp-sub.example.com", "DNS:example.com",
				  "DNS:im.example.org"));
	assert_strv_set(&nm.scope, LIST("imp-pub.example.com", "imp-sub.example.com"));
	cf_names_free(&nm);
	cf_cluster_free(&cl);
}

static void test_cup_xmpp_bad_presence_domain(void **state)
{
	(void)state;
	cf_cluster cl;
	cf_names nm = {0};
	cf_err e = {0};
	uc_cluster();
	cluster_init(&cl, NULL);
	cluster_set(&cl, "presence-domains", "example.com,bad_domain.example.com");
	assert_int_equal(compute(&cl, uc_nodes, n_uc_nodes, find("imp-pub.example.com"), "cup-xmpp", false, &nm, &e),
			 CF_E_INPUT);
	assert_int_equal(e.code, CF_E_INPUT);
	assert_string_equal(e.subject, "presence-domains");
	assert_non_null(strstr(e.message, "bad_domain.example.com"));
	assert_null(nm.cn); /* nothing written on failure */
	assert_int_equal(nm.san.n, 0);
	cf_cluster_free(&cl);
}

static void test_s2s_without_wildcards(void **state)
{
	(void)state;
	cf_cluster cl;
	cf_names nm = {0};
	cf_err e = {0};
	uc_cluster();
	cluster_init(&cl, NULL);
	cluster_set(&cl, "presence-domains", "example.com");
	cluster_set(&cl, "email-domains", "example.org,mail.example.net");
	cluster_set(&cl, "chat-aliases", "chat.example.com");
	cluster_set(&cl, "xmpp-federation-wildcards", "off");
	assert_int_equal(
		compute(&cl, uc_nodes, n_uc_nodes, find("imp-pub.example.com"), "cup-xmpp-s2s", false, &nm, &e), CF_OK);
	assert_string_equal(nm.cn, "imp-pub.example.com");
	assert_strv(&nm.san, LIST("DNS:imp-pub.example.com", "DNS:example.com", "DNS:example.org",
				  "DNS:mail.example.net", "DNS:chat.example.com"));
	cf_names_free(&nm);
	cf_cluster_free(&cl);
}

static void test_s2s_with_wildcards(void **state)
{
	(void)state;
	cf_cluster cl;
	cf_names nm = {0};
	cf_err e = {0};
	uc_cluster();
	cluster_init(&cl, NULL);
	cluster_set(&cl, "presence-domains", "example.com");
	cluster_set(&cl, "email-domains", "example.org,mail.example.net");
	cluster_set(&cl, "chat-aliases", "chat.example.com");
	cluster_set(&cl, "xmpp-federation-wildcards", "on");
	assert_int_equal(compute(&cl, uc_nodes, n_uc_nodes, find("imp-pub.example.com"), "cup-xmpp-s2s", true, &nm, &e),
			 CF_OK);
	assert_string_equal(nm.cn, "imp-pub-ms.example.com");
	/* presence and e-mail domains as *.D, chat aliases as they are */
	assert_strv(&nm.san, LIST("DNS:imp-pub.example.com", "DNS:imp-sub.example.com", "DNS:*.example.com",
				  "DNS:*.example.org", "DNS:*.mail.example.net", "DNS:chat.example.com"));
	cf_names_free(&nm);

	/* the ECDSA twin follows the same rule */
	assert_int_equal(
		compute(&cl, uc_nodes, n_uc_nodes, find("imp-sub.example.com"), "cup-xmpp-s2s-ECDSA", false, &nm, &e),
		CF_OK);
	assert_strv(&nm.san, LIST("DNS:imp-sub.example.com", "DNS:*.example.com", "DNS:*.example.org",
				  "DNS:*.mail.example.net", "DNS:chat.example.com"));
	cf_names_free(&nm);
	cf_cluster_free(&cl);
}

static void test_s2s_bad_alias(void **state)
{
	(void)state;
	cf_cluster cl;
	cf_names nm = {0};
	cf_err e = {0};
	uc_cluster();
	cluster_init(&cl, NULL);
	cluster_set(&cl, "xmpp-federation-wildcards", "on");
	cluster_set(&cl, "chat-aliases", "*.chat.example.com"); /* aliases are never wildcards */
	assert_int_equal(
		compute(&cl, uc_nodes, n_uc_nodes, find("imp-pub.example.com"), "cup-xmpp-s2s", false, &nm, &e),
		CF_E_INPUT);
	assert_string_equal(e.subject, "chat-aliases");
	assert_non_null(strstr(e.message, "*.chat.example.com"));
	cf_cluster_free(&cl);
}

/* ---- Expressway ------------------------------------------------------------------------------ */

static void test_expressway_clustered_predicate(void **state)
{
	(void)state;
	cf_cluster cl;
	cf_node two_c[] = {node("expc1.example.com", "expressway-c", true),
			   node("expc2.example.com", "expressway-c", false)};
	cf_node one_c_one_e[] = {node("expc1.example.com", "expressway-c", true),
				 node("expe1.example.com", "expressway-e", true)};

	cluster_init(&cl, "expc.example.com");
	assert_true(cf_expressway_clustered(&cl, two_c, 2, "expressway-c"));
	assert_false(cf_expressway_clustered(&cl, two_c, 1, "expressway-c"));
	/* peers are nodes of the same product */
	assert_false(cf_expressway_clustered(&cl, one_c_one_e, 2, "expressway-c"));
	cf_cluster_free(&cl);

	cluster_init(&cl, NULL); /* no cluster FQDN */
	assert_false(cf_expressway_clustered(&cl, two_c, 2, "expressway-c"));
	cf_cluster_free(&cl);
}

static void set_expressway_features(cf_cluster *cl)
{
	cluster_set(cl, "phone-security-profiles", "secure-8865.example.com,secure-7821.example.com");
	cluster_set(cl, "chat-aliases", "chat.example.com");
	cluster_set(cl, "additional-names", "alt1.example.com,alt2.example.com");
	cluster_set(cl, "ucm-registration-domains", "example.com,example.org");
	cluster_set(cl, "xmpp-federation-domains", "xmpp.example.com");
}

static void test_expressway_c_not_clustered(void **state)
{
	(void)state;
	cf_cluster cl;
	cf_names nm = {0};
	cf_err e = {0};
	cf_node one[] = {node("expc1.example.com", "expressway-c", true)};
	cf_node two[] = {node("expc1.example.com", "expressway-c", true),
			 node("expc2.example.com", "expressway-c", false)};

	/* a cluster FQDN but one node */
	cluster_init(&cl, "expc.example.com");
	set_expressway_features(&cl);
	assert_int_equal(compute(&cl, one, 1, &one[0], "server", false, &nm, &e), CF_OK);
	assert_string_equal(nm.cn, "expc1.example.com");
	/* not clustered: the node's own FQDN, then the C feature entries (SPEC §3.3) */
	assert_strv(&nm.san, LIST("DNS:expc1.example.com", "DNS:secure-8865.example.com", "DNS:secure-7821.example.com",
				  "DNS:chat.example.com", "DNS:alt1.example.com", "DNS:alt2.example.com"));
	assert_strv(&nm.scope, LIST("expc1.example.com"));
	cf_names_free(&nm);
	cf_cluster_free(&cl);

	/* two nodes but no cluster FQDN */
	cluster_init(&cl, NULL);
	set_expressway_features(&cl);
	assert_int_equal(compute(&cl, two, 2, &two[1], "server-ECDSA", false, &nm, &e), CF_OK);
	assert_string_equal(nm.cn, "expc2.example.com");
	assert_strv(&nm.san, LIST("DNS:expc2.example.com", "DNS:secure-8865.example.com", "DNS:secure-7821.example.com",
				  "DNS:chat.example.com", "DNS:alt1.example.com", "DNS:alt2.example.com"));
	cf_names_free(&nm);
	cf_cluster_free(&cl);

	/* nothing configured: the node's FQDN alone (clients match the SAN, and public CAs want the CN
	 * there) */
	cluster_init(&cl, NULL);
	assert_int_equal(compute(&cl, one, 1, &one[0], "server", false, &nm, &e), CF_OK);
	assert_string_equal(nm.cn, "expc1.example.com");
	assert_strv(&nm.san, LIST("DNS:expc1.example.com"));
	cf_names_free(&nm);
	cf_cluster_free(&cl);
}

static void test_expressway_c_clustered(void **state)
{
	(void)state;
	cf_cluster cl;
	cf_names nm = {0};
	cf_err e = {0};
	cf_node nodes[] = {
		node("expc3.example.com", "expressway-c", false),
		node("expc1.example.com", "expressway-c", true),
		node("expe1.example.com", "expressway-e", true), /* not a peer of the C nodes */
		node("expc2.example.com", "expressway-c", false),
	};
	cluster_init(&cl, "expc.example.com");
	set_expressway_features(&cl);
	assert_int_equal(compute(&cl, nodes, 4, &nodes[0], "server", false, &nm, &e), CF_OK);
	assert_string_equal(nm.cn, "expc.example.com");
	assert_strv(&nm.san, LIST("DNS:expc.example.com", "DNS:expc1.example.com", "DNS:expc2.example.com",
				  "DNS:expc3.example.com", "DNS:secure-8865.example.com", "DNS:secure-7821.example.com",
				  "DNS:chat.example.com", "DNS:alt1.example.com", "DNS:alt2.example.com"));
	cf_names_free(&nm);
	cf_cluster_free(&cl);
}

static void test_expressway_e(void **state)
{
	(void)state;
	cf_cluster cl;
	cf_names nm = {0};
	cf_err e = {0};
	cf_node nodes[] = {node("expe2.example.com", "expressway-e", false),
			   node("expe1.example.com", "expressway-e", true)};

	/* clustered, registration domains in the default DNS format; phone profiles are C only */
	cluster_init(&cl, "expe.example.com");
	set_expressway_features(&cl);
	assert_int_equal(compute(&cl, nodes, 2, &nodes[1], "server", false, &nm, &e), CF_OK);
	assert_string_equal(nm.cn, "expe.example.com");
	assert_strv(&nm.san, LIST("DNS:expe.example.com", "DNS:expe1.example.com", "DNS:expe2.example.com",
				  "DNS:example.com", "DNS:example.org", "DNS:xmpp.example.com", "DNS:chat.example.com",
				  "DNS:alt1.example.com", "DNS:alt2.example.com"));
	cf_names_free(&nm);
	cf_cluster_free(&cl);

	/* explicit "dns" format, not clustered */
	cluster_init(&cl, NULL);
	cluster_set(&cl, "ucm-registration-domains", "example.com");
	cluster_set(&cl, "registration-domain-format", "dns");
	assert_int_equal(compute(&cl, nodes, 1, &nodes[0], "server", false, &nm, &e), CF_OK);
	assert_string_equal(nm.cn, "expe2.example.com");
	assert_strv(&nm.san, LIST("DNS:expe2.example.com", "DNS:example.com"));
	cf_names_free(&nm);
	cf_cluster_free(&cl);
}

static void test_expressway_e_collab_edge(void **state)
{
	(void)state;
	cf_cluster cl;
	cf_names nm = {0};
	cf_err e = {0};
	cf_node nodes[] = {node("expe1.example.com", "expressway-e", true)};
	cluster_init(&cl, NULL);
	cluster_set(&cl, "ucm-registration-domains", "example.com,example.org");
	cluster_set(&cl, "registration-domain-format", "collab-edge");
	cluster_set(&cl, "xmpp-federation-domains", "xmpp.example.com");
	assert_int_equal(compute(&cl, nodes, 1, &nodes[0], "server-ECDSA", false, &nm, &e), CF_OK);
	assert_string_equal(nm.cn, "expe1.example.com");
	/* collab-edge applies to registration domains only */
	assert_strv(&nm.san, LIST("DNS:expe1.example.com", "DNS:collab-edge.example.com", "DNS:collab-edge.example.org",
				  "DNS:xmpp.example.com"));
	cf_names_free(&nm);
	cf_cluster_free(&cl);
}

static void test_expressway_c_bad_phone_profile(void **state)
{
	(void)state;
	cf_cluster cl;
	cf_names nm = {0};
	cf_err e = {0};
	cf_node nodes[] = {node("expc1.example.com", "expressway-c", true)};
	cluster_init(&cl, NULL);
	cluster_set(&cl, "phone-security-profiles", "secure-8865.example.com,Cisco 8865 - Standard SIP Secure Profile");
	assert_int_equal(compute(&cl, nodes, 1, &nodes[0], "server", false, &nm, &e), CF_E_INPUT);
	assert_int_equal(e.code, CF_E_INPUT);
	assert_non_null(strstr(e.message, "Cisco 8865 - Standard SIP Secure Profile"));
	assert_string_equal(e.subject, "phone-security-profiles");
	assert_null(nm.cn);
	cf_cluster_free(&cl);

	/* a single-label profile name is not an FQDN either */
	cluster_init(&cl, NULL);
	cluster_set(&cl, "phone-security-profiles", "secureprofile");
	cf_err_clear(&e);
	assert_int_equal(compute(&cl, nodes, 1, &nodes[0], "server", false, &nm, &e), CF_E_INPUT);
	assert_non_null(strstr(e.message, "secureprofile"));
	cf_cluster_free(&cl);

	/* the same bad value on an Expressway-E is ignored: phone profiles are C only */
	cf_node edge[] = {node("expe1.example.com", "expressway-e", true)};
	cluster_init(&cl, NULL);
	cluster_set(&cl, "phone-security-profiles", "Cisco 8865 - Standard SIP Secure Profile");
	assert_int_equal(compute(&cl, edge, 1, &edge[0], "server", false, &nm, &e), CF_OK);
	assert_strv(&nm.san, LIST("DNS:expe1.example.com"));
	cf_names_free(&nm);
	cf_cluster_free(&cl);
}

static void test_expressway_bad_additional_name(void **state)
{
	(void)state;
	cf_cluster cl;
	cf_names nm = {0};
	cf_err e = {0};
	cf_node nodes[] = {node("expe1.example.com", "expressway-e", true)};
	cluster_init(&cl, NULL);
	cluster_set(&cl, "additional-names", "ok.example.com,10.1.1.1");
	assert_int_equal(compute(&cl, nodes, 1, &nodes[0], "server", false, &nm, &e), CF_E_INPUT);
	assert_string_equal(e.subject, "additional-names");
	assert_non_null(strstr(e.message, "10.1.1.1"));
	cf_cluster_free(&cl);

	cluster_init(&cl, NULL);
	cluster_set(&cl, "ucm-registration-domains", "example.com,-bad.example.com");
	cf_err_clear(&e);
	assert_int_equal(compute(&cl, nodes, 1, &nodes[0], "server", false, &nm, &e), CF_E_INPUT);
	assert_string_equal(e.subject, "ucm-registration-domains");
	assert_non_null(strstr(e.message, "-bad.example.com"));
	cf_cluster_free(&cl);
}

/* ---- fixed CN ---------------------------------------------------------------------------------- */

static void test_cms_dbclient(void **state)
{
	(void)state;
	cf_cluster cl;
	cf_names nm = {0};
	cf_err e = {0};
	cf_node nodes[] = {node("cms1.example.com", "cms", true), node("cms2.example.com", "cms", false)};
	cluster_init(&cl, NULL);
	assert_int_equal(compute(&cl, nodes, 2, &nodes[0], "dbclient", false, &nm, &e), CF_OK);
	assert_string_equal(nm.cn, "postgres");
	assert_int_equal(nm.san.n, 0);
	cf_names_free(&nm);

	assert_int_equal(compute(&cl, nodes, 2, &nodes[0], "shared", true, &nm, &e), CF_OK);
	assert_string_equal(nm.cn, "cms1-ms.example.com");
	assert_strv(&nm.san, LIST("DNS:cms1.example.com", "DNS:cms2.example.com"));
	cf_names_free(&nm);
	cf_cluster_free(&cl);
}

/* ---- names with control bytes against a host ---------------------------------------------------- */

/* A DNS SAN or CN holding a control character or a blank matches no host, not even one spelled
 * with the same bytes (no host name holds them), and a line feed inside an e-mail SAN hides no DNS
 * name: only real DNS names match. */
static void test_host_control_bytes(void **state)
{
	(void)state;
	static const char *const hostile[] = {
		"victim.example.com\n", "victim.example.com\x1b[2J", "victim\t.example.com",   "victim .example.com",
		"*.example.com\x7f",	"victim.example.com\r",	     "\x01victim.example.com",
	};
	for (size_t i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
		cf_facts f = {0};
		cf_strv_pushf(&f.san, "DNS:%s", hostile[i]);
		f.cn = (char *)"";
		if (cf_host_matches(&f, hostile[i]))
			fail_msg("DNS SAN \"%s\" matched itself", hostile[i]);
		assert_false(cf_host_matches(&f, "victim.example.com"));
		cf_strv_clear(&f.san);
		f.cn = (char *)hostile[i]; /* no DNS SAN: the CN is compared */
		if (cf_host_matches(&f, hostile[i]))
			fail_msg("CN \"%s\" matched itself", hostile[i]);
	}
	cf_facts f = {0};
	f.cn = (char *)"ucm1.example.com";
	cf_strv_push(&f.san, "email:pki@example.com\nDNS:ucm2.example.com");
	cf_strv_push(&f.san, "DNS:ucm1.example.com");
	assert_false(cf_host_matches(&f, "ucm2.example.com"));
	assert_true(cf_host_matches(&f, "ucm1.example.com"));
	assert_true(cf_host_matches(&f, "UCM1.example.com"));
	cf_strv_clear(&f.san);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_single_server),
		cmocka_unit_test(test_multi_server_tomcat_ucm),
		cmocka_unit_test(test_multi_server_callmanager),
		cmocka_unit_test(test_multi_server_cuc_tomcat),
		cmocka_unit_test(test_multi_server_dedup),
		cmocka_unit_test(test_scope_publisher_first),
		cmocka_unit_test(test_cup_xmpp),
		cmocka_unit_test(test_cup_xmpp_bad_presence_domain),
		cmocka_unit_test(test_s2s_without_wildcards),
		cmocka_unit_test(test_s2s_with_wildcards),
		cmocka_unit_test(test_s2s_bad_alias),
		cmocka_unit_test(test_expressway_clustered_predicate),
		cmocka_unit_test(test_expressway_c_not_clustered),
		cmocka_unit_test(test_expressway_c_clustered),
		cmocka_unit_test(test_expressway_e),
		cmocka_unit_test(test_expressway_e_collab_edge),
		cmocka_unit_test(test_expressway_c_bad_phone_profile),
		cmocka_unit_test(test_expressway_bad_additional_name),
		cmocka_unit_test(test_cms_dbclient),
		cmocka_unit_test(test_host_control_bytes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
