/* endpoint import|list|delete: phones' LSCs on their CAPF node */
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "core/view/certjson.h"
#include "core/lifecycle/endpoint.h"
#include "util/clock.h"
#include "util/fileio.h"

int cmd_endpoint_import(cli *c, int argc, char **argv)
{
	cf_err e = {0};
	cf_outcome out = {0};
	cf_lsc_counts counts = {0};
	uint8_t *buf = NULL;
	size_t len = 0;
	int i = cli_parse(c, argc, argv);
	if (i < 0)
		return 2;
	cli_audit_object(c, "LSCs on %s", cli_val(c, "node"));
	int rc = cli_read(c, argv[i], CF_BUNDLE_MAX, &buf, &len);
	if (rc == 0)
		rc = cli_store(c, false);
	if (rc == 0 && cf_lsc_import(c->st, cli_val(c, "node"), argv[i], buf, len, &counts, &out, &e) != CF_OK)
		rc = cli_fail(c, &e);
	if (rc == 0 && c->json) {
		json_t *o = json_object(), *ids = json_array();
		for (size_t k = 0; k < out.n_ids; k++)
			json_array_append_new(ids, json_integer(out.ids[k]));
		json_object_set_new(o, "ids", ids);
		json_object_set_new(o, "added", json_integer((json_int_t)counts.added));
		json_object_set_new(o, "replaced", json_integer((json_int_t)counts.replaced));
		json_object_set_new(o, "unchanged", json_integer((json_int_t)counts.unchanged));
		cf_json_outcome(o, &out);
		cli_json(o);
	} else if (rc == 0) {
		printf("LSCs on %s: %zu added, %zu replaced, %zu unchanged\n", cli_val(c, "node"), counts.added,
		       counts.replaced, counts.unchanged);
		cli_print_outcome(&out);
	}
	free(buf);
	cf_outcome_free(&out);
	return rc;
}

static void lsc_line(const cf_certrow *r)
{
	char na[32];
	cf_time_rfc3339(r->facts.not_after, na);
	printf("%-8lld %-32s %-20s %-20s %s\n", (long long)r->id, r->node, cli_text(r->name), na,
	       cli_text(r->facts.issuer));
}

int cmd_endpoint_list(cli *c, int argc, char **argv)
{
	int i = cli_parse(c, argc, argv);
	if (i < 0)
		return 2;
	cf_certfilter f = {.node = cli_val(c, "node"), .begins_with = cli_val(c, "begins-with"), .kind = CF_LSC};
	return cli_cert_list(
		c, &f, cli_val(c, "expiring"),
		"ID       CAPF NODE                        DEVICE               NOT AFTER            ISSUER", lsc_line);
}

int cmd_endpoint_delete(cli *c, int argc, char **argv)
{
	cf_err e = {0};
	int i = cli_parse(c, argc, argv);
	if (i < 0)
		return 2;
	cli_audit_object(c, "LSC of %s on %s", cli_val(c, "device"), cli_val(c, "node"));
	int rc = cli_store(c, false);
	if (rc == 0 && cf_lsc_delete(c->st, cli_val(c, "node"), cli_val(c, "device"), &e) != CF_OK)
		rc = cli_fail(c, &e);
	if (rc == 0 && c->json)
		cli_json(json_pack("{s:s, s:s, s:b}", "node", cli_val(c, "node"), "endpoint", cli_val(c, "device"),
				   "deleted", 1));
	else if (rc == 0)
		printf("LSC of %s deleted from %s\n", cli_val(c, "device"), cli_val(c, "node"));
	return rc;
}
