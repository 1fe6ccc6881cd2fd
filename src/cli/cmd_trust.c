/* trust add|delete|prune */
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "core/view/certjson.h"
#include "core/lifecycle/trust.h"
#include "net_transport.h"
#include "util/fileio.h"

/* Lists the certificates a trust change touched, briefly (a bundle may hold thousands). */
static void print_trust_change(cli *c, const cf_outcome *out, const char *verb)
{
	if (c->json) {
		json_t *o = json_object(), *ids = json_array();
		for (size_t i = 0; i < out->n_ids; i++)
			json_array_append_new(ids, json_integer(out->ids[i]));
		json_object_set_new(o, "ids", ids);
		json_object_set_new(o, "count", json_integer((json_int_t)out->n_ids));
		cf_json_outcome(o, out);
		cli_json(o);
		return;
	}
	printf("%zu trust certificate%s %s", out->n_ids, out->n_ids == 1 ? "" : "s", verb);
	if (out->nodes.n > 0) {
		char *nodes = cf_strv_join(&out->nodes, ", ");
		printf(" on %s", nodes);
		free(nodes);
	}
	printf("\n");
	cli_print_outcome(out);
}

int cmd_trust_add(cli *c, int argc, char **argv)
{
	cf_err e = {0};
	cf_outcome out = {0};
	uint8_t *buf = NULL;
	size_t len = 0;
	int i = cli_parse(c, argc, argv);
	if (i < 0)
		return 2;
	cli_audit_object(c, "%s on %s", cli_val(c, "store"), cli_val(c, "node"));
	int rc = cli_read(c, argv[i], CF_BUNDLE_MAX, &buf, &len);
	if (rc == 0)
		rc = cli_store(c, false);
	if (rc == 0 && cf_trust_add(c->st, cf_net_transport(), cli_val(c, "node"), cli_val(c, "store"), argv[i], buf,
				    len, cli_val(c, "description"), &out, &e) != CF_OK)
		rc = cli_fail(c, &e);
	if (rc == 0)
		print_trust_change(c, &out, "added");
	free(buf);
	cf_outcome_free(&out);
	return rc;
}

int cmd_trust_delete(cli *c, int argc, char **argv)
{
	cf_err e = {0};
	cf_outcome out = {0};
	int i = cli_parse(c, argc, argv);
	if (i < 0)
		return 2;
	char *end = NULL;
	long long id = strtoll(cli_val(c, "id"), &end, 10);
	if (*end != '\0' || id <= 0) {
		cf_err_set(&e, CF_E_USAGE, "--id", "expected a certificate id, not \"%s\"", cli_val(c, "id"));
		return cli_fail(c, &e);
	}
	cli_audit_object(c, "id %lld in %s on %s", id, cli_val(c, "store"), cli_val(c, "node"));
	int rc = cli_store(c, false);
	if (rc == 0 && cf_trust_delete(c->st, cli_val(c, "node"), cli_val(c, "store"), id, &out, &e) != CF_OK)
		rc = cli_fail(c, &e);
	if (rc == 0)
		print_trust_change(c, &out, "deleted");
	cf_outcome_free(&out);
	return rc;
}

int cmd_trust_prune(cli *c, int argc, char **argv)
{
	cf_err e = {0};
	cf_outcome out = {0};
	int i = cli_parse(c, argc, argv);
	if (i < 0)
		return 2;
	cli_audit_object(c, "%s", cli_val(c, "node") ? cli_val(c, "node") : "all nodes");
	int rc = cli_store(c, false);
	if (rc == 0 && cf_trust_prune(c->st, cli_val(c, "node"), &out, &e) != CF_OK)
		rc = cli_fail(c, &e);
	if (rc == 0)
		print_trust_change(c, &out, "pruned (stale self-signed copies of peers now CA-signed)");
	cf_outcome_free(&out);
	return rc;
}
