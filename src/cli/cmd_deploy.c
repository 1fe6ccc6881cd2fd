/* deploy, deploy-target set|list */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/view/certjson.h"
#include "core/lifecycle/deploy.h"
#include "core/lifecycle/served.h"
#include "net_transport.h"

/* What a reload printed (already escaped, util/spawn.h), each line indented under it. */
static void print_output(const char *out)
{
	for (const char *p = out; p != NULL && *p != '\0';) {
		size_t len = strcspn(p, "\n");
		printf("  %.*s\n", (int)len, p);
		p += len + (p[len] == '\n');
	}
}

void cli_print_served(const cf_served_report *r)
{
	for (size_t k = 0; r != NULL && k < r->n; k++) {
		const cf_servedcheck *s = &r->v[k];
		if (s->error[0] != '\0')
			printf("%s: served check FAILED: nothing served at %s: %s\n", cli_text(s->purpose),
			       cli_text(s->address), cli_text(s->error));
		else if (cf_served_matches(s))
			printf("%s: served check: %s serves the stored certificate (SHA-256 %s)\n",
			       cli_text(s->purpose), cli_text(s->address), s->served_sha256);
		else
			printf("%s: served check FAILED: %s serves SHA-256 %s, the store holds %s\n",
			       cli_text(s->purpose), cli_text(s->address), s->served_sha256, s->stored_sha256);
	}
}

int cmd_deploy(cli *c, int argc, char **argv)
{
	cf_err e = {0};
	cf_deploy_report rep = {0};
	cf_served_report served = {0};
	int i = cli_parse(c, argc, argv);
	if (i < 0)
		return 2;
	if (cli_val(c, "purpose") != NULL)
		cli_audit_object(c, "%s on %s", cli_val(c, "purpose"), cli_val(c, "node"));
	else
		cli_audit_object(c, "%s", cli_val(c, "node"));
	int rc = cli_store(c, false);
	if (rc != 0)
		return rc;
	cf_code code = cf_deploy_run(c->st, cli_val(c, "node"), cli_val(c, "purpose"), &rep, &e);
	if (rep.n > 0) { /* what the node serves now (a failed reload too: then it shows what stayed) */
		cf_err se = {0};
		cf_code sc = cf_served_check(c->st, cf_net_transport(), cli_val(c, "node"), cli_val(c, "purpose"), NULL,
					     &served, &se);
		if (sc == CF_OK)
			sc = cf_served_verdict(&served, &se);
		if (code == CF_OK && sc != CF_OK) {
			code = sc;
			e = se;
		}
	}
	if (c->json && (code == CF_OK || rep.n > 0)) {
		json_t *o = json_pack("{s:s, s:o, s:o}", "node", cli_val(c, "node"), "items", cf_json_deploy(&rep),
				      "served", cf_json_served_report(&served));
		if (code != CF_OK)
			json_object_set_new(o, "error",
					    json_pack("{s:i, s:s}", "code", (int)code, "message", e.message));
		cli_json(o);
		if (code != CF_OK) {
			char line[2048];
			snprintf(line, sizeof(line), "%s%s%s", e.subject, e.subject[0] != '\0' ? ": " : "", e.message);
			fprintf(stderr, "certfleet: %s\n", line);
			cli_audit_refused(c, line);
		}
	} else {
		for (size_t k = 0; k < rep.n; k++) {
			if (rep.v[k].repaired != NULL)
				printf("%s: %s\n", rep.v[k].purpose, rep.v[k].repaired);
			for (size_t f = 0; f < rep.v[k].files.n; f++)
				printf("%s: wrote %s\n", rep.v[k].purpose, rep.v[k].files.v[f]);
			if (rep.v[k].reload == NULL)
				continue;
			if (rep.v[k].reload_timed_out)
				printf("%s: reload \"%s\" FAILED (killed after %d s)\n", rep.v[k].purpose,
				       rep.v[k].reload, CF_DEPLOY_RELOAD_TIMEOUT_S);
			else
				printf("%s: reload \"%s\" %s (status %d)\n", rep.v[k].purpose, rep.v[k].reload,
				       rep.v[k].reload_status == 0 ? "succeeded" : "FAILED", rep.v[k].reload_status);
			print_output(rep.v[k].reload_output);
		}
		cli_print_served(&served);
		if (code != CF_OK)
			cli_fail(c, &e);
	}
	cf_deploy_report_free(&rep);
	cf_served_report_free(&served);
	return (int)code;
}

int cmd_target_set(cli *c, int argc, char **argv)
{
	cf_err e = {0};
	int i = cli_parse(c, argc, argv);
	if (i < 0)
		return 2;
	cli_audit_object(c, "%s on %s", cli_val(c, "purpose"), cli_val(c, "node"));
	int rc = cli_store(c, false);
	if (rc != 0)
		return rc;
	cf_deploy_target_spec spec = {.node = cli_val(c, "node"),
				      .purpose = cli_val(c, "purpose"),
				      .cert_path = cli_val(c, "cert"),
				      .key_path = cli_val(c, "key"),
				      .chain_path = cli_val(c, "chain"),
				      .owner = cli_val(c, "owner"),
				      .mode = cli_val(c, "mode"),
				      .reload = cli_val(c, "reload"),
				      .serves = cli_val(c, "serves"),
				      .starttls = cli_val(c, "starttls")};
	if (cf_deploy_target_set(c->st, &spec, &e) != CF_OK)
		return cli_fail(c, &e);
	if (c->json) { /* the target as it is now stored */
		cf_node n = {0};
		cf_target *t = NULL;
		size_t nt = 0;
		if (cf_deploy_targets(c->st, cli_val(c, "node"), cli_val(c, "purpose"), &n, &t, &nt, &e) == CF_OK &&
		    nt == 1)
			cli_json(cf_json_target(n.fqdn, &t[0]));
		else /* set, but not read back: what was set */
			cli_json(json_pack("{s:s, s:s}", "node", cli_val(c, "node"), "purpose", cli_val(c, "purpose")));
		cf_targets_free(t, nt);
		cf_node_free(&n);
	} else {
		printf("deploy target for %s on %s set\n", cli_val(c, "purpose"), cli_val(c, "node"));
	}
	return 0;
}

int cmd_target_list(cli *c, int argc, char **argv)
{
	cf_err e = {0};
	cf_node n = {0};
	cf_target *t = NULL;
	size_t nt = 0;
	int i = cli_parse(c, argc, argv);
	if (i < 0)
		return 2;
	int rc = cli_store(c, false);
	if (rc != 0)
		return rc;
	if (cf_deploy_targets(c->st, cli_val(c, "node"), NULL, &n, &t, &nt, &e) != CF_OK)
		return cli_fail(c, &e);
	for (size_t k = 0; k < nt && !c->json; k++)
		printf("%-20s cert=%s key=%s chain=%s owner=%s mode=%04o reload=%s serves=%s%s%s\n", t[k].purpose,
		       cli_text(t[k].cert_path), cli_text(t[k].key_path), cli_text(t[k].chain_path),
		       cli_text(t[k].owner), (unsigned)t[k].mode, cli_text(t[k].reload), cli_text(t[k].serves),
		       t[k].starttls[0] != '\0' ? " starttls=" : "", cli_text(t[k].starttls));
	if (c->json)
		cli_json(cf_json_targets(n.fqdn, t, nt));
	cf_targets_free(t, nt);
	cf_node_free(&n);
	return 0;
}
