/* init, cluster add|set|show|list|delete, node add|list|delete */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "core/view/certjson.h"
#include "core/fleet/deployment.h"
#include "core/model/settings.h"
#include "core/fleet/status.h"
#include "util/clock.h"

int cmd_init(cli *c, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	int rc = cli_store(c, true);
	if (rc != 0)
		return rc;
	int version = cf_store_schema_version(c->st);
	if (c->json)
		cli_json(json_pack("{s:s, s:i}", "store", c->store_path, "schema_version", version));
	else
		printf("store %s is ready (schema version %d)\n", c->store_path, version);
	return 0;
}

int cmd_cluster_add(cli *c, int argc, char **argv)
{
	cf_err e = {0};
	int i = cli_parse(c, argc, argv);
	if (i < 0)
		return 2;
	cli_audit_object(c, "%s", argv[i]);
	int rc = cli_store(c, false);
	if (rc != 0)
		return rc;
	if (cf_deployment_cluster_add(c->st, argv[i], cli_val(c, "fqdn"), &e) != CF_OK)
		return cli_fail(c, &e);
	if (c->json)
		cli_json(
			json_pack("{s:s, s:s}", "name", argv[i], "fqdn", cli_val(c, "fqdn") ? cli_val(c, "fqdn") : ""));
	else
		printf("cluster %s added\n", argv[i]);
	return 0;
}

int cmd_cluster_set(cli *c, int argc, char **argv)
{
	cf_err e = {0};
	if (argc < 3)
		return cli_usage(c);
	cli_audit_object(c, "%s %s", argv[1], argv[2]);
	int rc = cli_store(c, false);
	if (rc != 0)
		return rc;
	if (cf_deployment_cluster_set(c->st, argv[1], argv[2], argv + 3, (size_t)(argc - 3), &e) != CF_OK)
		return cli_fail(c, &e);
	if (c->json) {
		json_t *vals = json_array();
		for (int k = 3; k < argc; k++)
			json_array_append_new(vals, json_string(argv[k]));
		cli_json(json_pack("{s:s, s:s, s:o}", "cluster", argv[1], "key", argv[2], "values", vals));
	} else {
		printf("cluster %s: %s set\n", argv[1], argv[2]);
	}
	return 0;
}

int cmd_cluster_show(cli *c, int argc, char **argv)
{
	cf_err e = {0};
	cf_cluster cl = {0};
	if (argc != 2)
		return cli_usage(c);
	int rc = cli_store(c, false);
	if (rc != 0)
		return rc;
	if (cf_store_cluster_get(c->st, argv[1], 0, &cl, &e) != CF_OK)
		return cli_fail(c, &e);
	json_t *settings = json_object();
	int i = 0;
	const cf_setting *s;
	if (!c->json)
		printf("cluster %s\n  %-28s %s\n", cl.name, "fqdn", cl.fqdn);
	while ((s = cf_setting_next(&i)) != NULL) {
		if (strcmp(s->key, "fqdn") == 0)
			continue;
		const char *val = cf_cluster_get(&cl, s->key);
		json_object_set_new(settings, s->key, json_string(val ? val : s->def));
		if (!c->json)
			printf("  %-28s %s\n", s->key, val ? val : s->def);
	}
	if (c->json)
		cli_json(json_pack("{s:s, s:s, s:o}", "name", cl.name, "fqdn", cl.fqdn, "settings", settings));
	else
		json_decref(settings);
	cf_cluster_free(&cl);
	return 0;
}

int cmd_cluster_list(cli *c, int argc, char **argv)
{
	(void)argv;
	cf_err e = {0};
	cf_clusterinfo *v = NULL;
	size_t n = 0;
	if (argc != 1)
		return cli_usage(c);
	int rc = cli_store(c, false);
	if (rc != 0)
		return rc;
	if (cf_store_clusters(c->st, &v, &n, &e) != CF_OK)
		return cli_fail(c, &e);
	if (c->json) {
		json_t *items = json_array();
		for (size_t i = 0; i < n; i++)
			json_array_append_new(items, json_pack("{s:s, s:s, s:I}", "name", v[i].name, "fqdn", v[i].fqdn,
							       "nodes", (json_int_t)v[i].nodes));
		cli_json(json_pack("{s:o}", "items", items));
	} else {
		printf("%-24s %-40s %s\n", "CLUSTER", "FQDN", "NODES");
		for (size_t i = 0; i < n; i++)
			printf("%-24s %-40s %lld\n", cli_text(v[i].name), v[i].fqdn[0] ? v[i].fqdn : "-",
			       (long long)v[i].nodes);
	}
	cf_clusterinfos_free(v, n);
	return 0;
}

int cmd_cluster_delete(cli *c, int argc, char **argv)
{
	cf_err e = {0};
	if (argc != 2)
		return cli_usage(c);
	cli_audit_object(c, "%s", argv[1]);
	int rc = cli_store(c, false);
	if (rc != 0)
		return rc;
	if (cf_deployment_cluster_delete(c->st, argv[1], &e) != CF_OK)
		return cli_fail(c, &e);
	if (c->json)
		cli_json(json_pack("{s:s}", "deleted", argv[1]));
	else
		printf("cluster %s deleted\n", cli_text(argv[1]));
	return 0;
}

int cmd_node_add(cli *c, int argc, char **argv)
{
	cf_err e = {0};
	cf_outcome out = {0};
	int i = cli_parse(c, argc, argv);
	if (i < 0)
		return 2;
	cli_audit_object(c, "%s", argv[i]);
	int rc = cli_store(c, false);
	if (rc != 0)
		return rc;
	cf_deployment_node_spec spec = {.fqdn = argv[i],
					.cluster = cli_val(c, "cluster"),
					.product = cli_val(c, "product"),
					.ip = cli_val(c, "ip"),
					.publisher = cli_val(c, "publisher") != NULL,
					.no_defaults = cli_val(c, "no-defaults") != NULL};
	if (cf_deployment_node_add(c->st, &spec, &out, &e) != CF_OK) {
		cf_outcome_free(&out);
		return cli_fail(c, &e);
	}
	cf_node n = {0};
	cf_store_node_get(c->st, argv[i], &n, NULL);
	if (c->json) {
		json_t *o = json_pack("{s:o}", "node", cf_json_node(&n));
		json_t *ids = json_array();
		for (size_t k = 0; k < out.n_ids; k++)
			json_array_append_new(ids, json_integer(out.ids[k]));
		json_object_set_new(o, "certificates", ids);
		cf_json_outcome(o, &out);
		cli_json(o);
	} else {
		printf("node %s added to cluster %s as %s %s; %zu certificate%s created or placed\n", n.fqdn, n.cluster,
		       n.product, n.publisher ? "publisher" : "subscriber", out.n_ids, out.n_ids == 1 ? "" : "s");
		cli_print_outcome(&out);
	}
	cf_node_free(&n);
	cf_outcome_free(&out);
	return 0;
}

int cmd_node_delete(cli *c, int argc, char **argv)
{
	cf_err e = {0};
	cf_outcome out = {0};
	int i = cli_parse(c, argc, argv);
	if (i < 0)
		return 2;
	cli_audit_object(c, "%s%s", argv[i], cli_val(c, "force") ? " (forced)" : "");
	int rc = cli_store(c, false);
	if (rc != 0)
		return rc;
	if (cf_deployment_node_delete(c->st, argv[i], cli_val(c, "force") != NULL, &out, &e) != CF_OK) {
		cf_outcome_free(&out);
		return cli_fail(c, &e);
	}
	if (c->json) {
		json_t *o = json_pack("{s:s}", "deleted", argv[i]);
		json_t *ids = json_array();
		for (size_t k = 0; k < out.n_ids; k++)
			json_array_append_new(ids, json_integer(out.ids[k]));
		json_object_set_new(o, "trust_copies_deleted", ids);
		cf_json_outcome(o, &out);
		cli_json(o);
	} else {
		printf("node %s deleted; %zu cop%s of its self-signed certificates taken out of peers' trust stores\n",
		       cli_text(argv[i]), out.n_ids, out.n_ids == 1 ? "y" : "ies");
		cli_print_outcome(&out);
	}
	cf_outcome_free(&out);
	return 0;
}

int cmd_node_list(cli *c, int argc, char **argv)
{
	(void)argv;
	cf_err e = {0};
	cf_node *nodes = NULL;
	size_t n = 0;
	if (argc != 1)
		return cli_usage(c);
	int rc = cli_store(c, false);
	if (rc != 0)
		return rc;
	if (cf_store_nodes(c->st, 0, &nodes, &n, &e) != CF_OK)
		return cli_fail(c, &e);
	if (c->json) {
		json_t *items = json_array();
		for (size_t i = 0; i < n; i++)
			json_array_append_new(items, cf_json_node(&nodes[i]));
		cli_json(json_pack("{s:o}", "items", items));
	} else {
		printf("%-40s %-12s %-14s %-10s %s\n", "FQDN", "CLUSTER", "PRODUCT", "ROLE", "IP");
		for (size_t i = 0; i < n; i++)
			printf("%-40s %-12s %-14s %-10s %s\n", nodes[i].fqdn, nodes[i].cluster, nodes[i].product,
			       nodes[i].publisher ? "publisher" : "subscriber", nodes[i].ip);
	}
	cf_nodes_free(nodes, n);
	return 0;
}

int cmd_status(cli *c, int argc, char **argv)
{
	(void)argv;
	cf_err e = {0};
	cf_node_status *v = NULL;
	size_t n = 0;
	if (argc != 1)
		return cli_usage(c);
	int rc = cli_store(c, false);
	if (rc != 0)
		return rc;
	if (cf_status(c->st, &v, &n, &e) != CF_OK)
		return cli_fail(c, &e);
	if (c->json) {
		cli_json(cf_json_status(v, n, cf_clock_now()));
		cf_status_free(v, n);
		return 0;
	}
	printf("%-28s %-13s %-10s %-22s %-8s %-20s %s\n", "NODE", "PRODUCT", "ROLE", "IDENTITIES", "TRUST",
	       "FIRST EXPIRY", "PENDING CSRS");
	for (size_t i = 0; i < n; i++) {
		char when[32] = "-", ident[32];
		if (v[i].soonest_not_after)
			cf_time_rfc3339(v[i].soonest_not_after, when);
		snprintf(ident, sizeof(ident), "%d (%d self-signed)", v[i].identities, v[i].self_signed);
		printf("%-28s %-13s %-10s %-22s %-8d %-20s %d\n", v[i].node.fqdn, v[i].node.product,
		       v[i].node.publisher ? "publisher" : "subscriber", ident, v[i].trust_certs, when,
		       v[i].pending_csrs);
	}
	cf_status_free(v, n);
	return 0;
}
