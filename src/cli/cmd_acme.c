/* acme account add|list|rollover, acme order|list|show|deploy|auto|revoke */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/acme/account.h"
#include "core/acme/auto.h"
#include "core/acme/deploy.h"
#include "core/acme/order.h"
#include "core/acme/revoke.h"
#include "core/view/acmejson.h"
#include "core/view/certjson.h"
#include "acme_responder.h"
#include "net_transport.h"
#include "util/clock.h"
#include "util/secret.h"

#define HMAC_FILE_MAX 4096

/* Opens the store for a change made of several transactions: its core function arms the audit row
 * at the last one itself, so none is armed for the first. 0 or an exit code after printing. */
static int store_for_steps(cli *c)
{
	int rc = cli_store(c, false);
	if (rc == 0)
		cf_store_audit_disarm(c->st);
	return rc;
}

/* The MAC key: the first line of path, without spaces around it (*out: a secret, caller frees).
 * 0 or an exit code after printing. */
static int read_hmac(cli *c, const char *path, char **out)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc = cli_read(c, path, HMAC_FILE_MAX, &buf, &len);
	if (rc != 0)
		return rc;
	char *s = (char *)buf;
	s[len] = '\0';
	s += strspn(s, " \t\r\n");
	size_t n = strcspn(s, " \t\r\n");
	*out = strndup(s, n);
	cf_secret_wipe(buf, len);
	free(buf);
	if (*out == NULL || n == 0) {
		cf_err e = {0};
		cf_secret_free(*out);
		*out = NULL;
		cf_err_set(&e, CF_E_INPUT, path, "no MAC key in the file");
		return cli_fail(c, &e);
	}
	return 0;
}

int cmd_acme_account_add(cli *c, int argc, char **argv)
{
	cf_err e = {0};
	int i = cli_parse(c, argc, argv);
	if (i < 0)
		return 2;
	const char *name = argv[i];
	cli_audit_object(c, "%s", name);
	if ((cli_val(c, "eab-kid") == NULL) != (cli_val(c, "eab-hmac-file") == NULL))
		return cli_usage(c);
	int rc = cli_store(c, false);
	if (rc != 0)
		return rc;
	char *hmac = NULL;
	if (cli_val(c, "eab-hmac-file") != NULL && (rc = read_hmac(c, cli_val(c, "eab-hmac-file"), &hmac)) != 0)
		return rc;
	cf_acme_account_spec spec = {.name = name,
				     .directory = cli_val(c, "directory"),
				     .email = cli_val(c, "email"),
				     .agree_tos = cli_val(c, "agree-tos") != NULL,
				     .ca_file = cli_val(c, "ca-file"),
				     .key = cli_val(c, "key"),
				     .eab_kid = cli_val(c, "eab-kid"),
				     .eab_hmac = hmac};
	cf_acmeaccount a = {0};
	if (cf_acme_account_add(c->st, cf_net_transport(), &c->actor, &spec, &a, &e) != CF_OK)
		rc = cli_fail(c, &e);
	else {
		c->audit_action = NULL; /* recorded with the change */
		if (c->json)
			cli_json(cf_acmejson_account(&a));
		else
			printf("ACME account %s added at %s: %s\n", cli_text(a.name), cli_text(a.directory),
			       cli_text(a.kid));
	}
	cf_acmeaccount_free(&a);
	cf_secret_free(hmac);
	return rc;
}

int cmd_acme_account_list(cli *c, int argc, char **argv)
{
	cf_err e = {0};
	cf_acmeaccount *v = NULL;
	size_t n = 0;
	if (cli_parse(c, argc, argv) < 0)
		return 2;
	int rc = cli_store(c, false);
	if (rc != 0)
		return rc;
	if (cf_store_acme_account_list(c->st, &v, &n, &e) != CF_OK)
		return cli_fail(c, &e);
	json_t *items = c->json ? json_array() : NULL;
	if (!c->json)
		printf("%-24s %-40s %-28s %s\n", "NAME", "DIRECTORY", "EMAIL", "ACCOUNT URL");
	for (size_t k = 0; k < n; k++) {
		if (c->json)
			json_array_append_new(items, cf_acmejson_account(&v[k]));
		else
			printf("%-24s %-40s %-28s %s\n", cli_text(v[k].name), cli_text(v[k].directory),
			       v[k].email[0] ? cli_text(v[k].email) : "-", cli_text(v[k].kid));
		cf_acmeaccount_free(&v[k]);
	}
	free(v);
	if (c->json)
		cli_json(json_pack("{s:o}", "items", items));
	return 0;
}

int cmd_acme_account_rollover(cli *c, int argc, char **argv)
{
	cf_err e = {0};
	int i = cli_parse(c, argc, argv);
	if (i < 0)
		return 2;
	const char *name = argv[i];
	cli_audit_object(c, "%s", name);
	int rc = store_for_steps(c);
	if (rc != 0)
		return rc;
	bool recovered = false;
	if (cf_acme_account_rollover(c->st, cf_net_transport(), &c->actor, name, &recovered, &e) != CF_OK)
		return cli_fail(c, &e);
	c->audit_action = NULL; /* recorded with the change */
	if (c->json)
		cli_json(json_pack("{s:s, s:b}", "name", name, "recovered", recovered));
	else
		printf("ACME account %s now signs with a new key%s\n", cli_text(name),
		       recovered ? " (an interrupted rollover finished)" : "");
	return 0;
}

/* ---- acme order, list, show --------------------------------------------------------------------- */

static void print_note(void *ctx, const char *line)
{
	cli *c = ctx;
	if (!c->json)
		fprintf(stderr, "%s\n", cli_text(line));
}

/* Prints an identity's ACME state: JSON, or a few lines. */
static void print_acme(cli *c, const cf_acmeidentity *r)
{
	if (c->json) {
		cli_json(cf_acmejson_state(r));
		return;
	}
	char at[32];
	printf("%s %s: %s (account %s)\n", cli_text(r->node), cli_text(r->purpose), r->state, cli_text(r->account));
	if (r->staged_sha256[0] != '\0') {
		cf_time_rfc3339(r->staged_at, at);
		printf("  staged    %s at %s\n", r->staged_sha256, at);
	}
	if (r->last_sign_at != 0) {
		cf_time_rfc3339(r->last_sign_at, at);
		printf("  last sign %s %s%s%s\n", at, r->last_sign_status, r->last_sign_error[0] ? ": " : "",
		       cli_text(r->last_sign_error));
	}
	if (r->failures > 0) {
		cf_time_rfc3339(r->next_try, at);
		printf("  failures  %lld in a row; next try %s\n", (long long)r->failures, at);
	}
	if (r->auto_renew) {
		cf_time_rfc3339(r->renew_at, at);
		printf("  auto      on; renews at %s; deploys %s%s%s%s\n", at,
		       r->deploy_days[0] || r->deploy_time[0] ? "on " : "as soon as staged",
		       r->deploy_days[0]   ? r->deploy_days
		       : r->deploy_time[0] ? "every day"
					   : "",
		       r->deploy_time[0] ? " at " : "", r->deploy_time[0] ? r->deploy_time : "");
		if (r->deploy_time[0])
			printf("            (times are UTC)\n");
	}
}

int cmd_acme_order(cli *c, int argc, char **argv)
{
	cf_err e = {0};
	if (cli_parse(c, argc, argv) < 0)
		return 2;
	if (cli_val(c, "profile-required") != NULL && cli_val(c, "profile") == NULL)
		return cli_usage(c);
	cli_audit_object(c, "%s %s", cli_val(c, "node"), cli_val(c, "purpose"));
	cf_hostport listen = {0};
	if (cli_val(c, "http-listen") != NULL && cf_hostport_parse(cli_val(c, "http-listen"), &listen, &e) != CF_OK) {
		cf_err_subject(&e, "--http-listen");
		return cli_fail(c, &e);
	}
	int rc = store_for_steps(c);
	if (rc != 0)
		return rc;
	cf_acme_responder *responder = NULL;
	if (cli_val(c, "http-listen") != NULL &&
	    cf_acme_responder_start(c->store_path, &listen, &responder, &e) != CF_OK)
		return cli_fail(c, &e);
	cf_acme_order_spec o = {.node = cli_val(c, "node"),
				.purpose = cli_val(c, "purpose"),
				.account = cli_val(c, "account"),
				.profile = cli_val(c, "profile"),
				.profile_required = cli_val(c, "profile-required") != NULL,
				.note = print_note,
				.ctx = c};
	cf_acmeidentity r = {0};
	if (cf_acme_order_run(c->st, cf_net_transport(), &c->actor, &o, &r, &e) != CF_OK)
		rc = cli_fail(c, &e);
	else {
		c->audit_action = NULL; /* recorded with the change */
		print_acme(c, &r);
	}
	cf_acme_responder_stop(responder);
	cf_acmeidentity_free(&r);
	return rc;
}

int cmd_acme_list(cli *c, int argc, char **argv)
{
	cf_err e = {0};
	cf_acmeidentity *v = NULL;
	size_t n = 0;
	if (cli_parse(c, argc, argv) < 0)
		return 2;
	int rc = cli_store(c, false);
	if (rc != 0)
		return rc;
	if (cf_store_acme_identity_list(c->st, &v, &n, &e) != CF_OK)
		return cli_fail(c, &e);
	json_t *items = c->json ? json_array() : NULL;
	if (!c->json)
		printf("%-32s %-16s %-16s %-9s %s\n", "NODE", "PURPOSE", "ACCOUNT", "STATE", "FAILURES");
	for (size_t k = 0; k < n; k++) {
		if (c->json)
			json_array_append_new(items, cf_acmejson_state(&v[k]));
		else
			printf("%-32s %-16s %-16s %-9s %lld\n", cli_text(v[k].node), cli_text(v[k].purpose),
			       cli_text(v[k].account), v[k].state, (long long)v[k].failures);
		cf_acmeidentity_free(&v[k]);
	}
	free(v);
	if (c->json)
		cli_json(json_pack("{s:o}", "items", items));
	return 0;
}

int cmd_acme_show(cli *c, int argc, char **argv)
{
	cf_err e = {0};
	if (cli_parse(c, argc, argv) < 0)
		return 2;
	int rc = cli_store(c, false);
	if (rc != 0)
		return rc;
	cf_node n = {0};
	cf_acmeidentity r = {0};
	if (cf_store_node_get(c->st, cli_val(c, "node"), &n, &e) != CF_OK ||
	    cf_store_acme_identity_get(c->st, n.id, cli_val(c, "purpose"), &r, &e) != CF_OK)
		rc = cli_fail(c, &e);
	else
		print_acme(c, &r);
	cf_acmeidentity_free(&r);
	cf_node_free(&n);
	return rc;
}

int cmd_acme_deploy(cli *c, int argc, char **argv)
{
	cf_err e = {0};
	if (cli_parse(c, argc, argv) < 0)
		return 2;
	cli_audit_object(c, "%s %s", cli_val(c, "node"), cli_val(c, "purpose"));
	int rc = store_for_steps(c);
	if (rc != 0)
		return rc;
	cf_acme_deployed d = {0};
	cf_code got =
		cf_acme_deploy(c->st, cf_net_transport(), &c->actor, cli_val(c, "node"), cli_val(c, "purpose"), &d, &e);
	if (got != CF_OK && d.targets.n == 0) {
		cf_acme_deployed_free(&d);
		return cli_fail(c, &e);
	}
	if (c->json) {
		json_t *o = json_pack("{s:s, s:b, s:I}", "sha256", d.sha256, "already", d.already, "chain_added",
				      (json_int_t)d.chain_added);
		cf_json_outcome(o, &d.upload);
		if (d.targets.n > 0)
			json_object_set_new(o, "deploy", cf_json_deploy(&d.targets));
		json_object_set_new(o, "served", cf_json_served_report(&d.served));
		if (got != CF_OK) /* the one object carries the error too */
			json_object_set_new(o, "error",
					    json_pack("{s:i, s:s}", "code", (int)got, "message", e.message));
		cli_json(o);
	} else {
		printf("deployed %s on %s %s%s\n", d.sha256, cli_text(cli_val(c, "node")),
		       cli_text(cli_val(c, "purpose")), d.already ? " (it was already the identity)" : "");
		if (d.chain_added > 0)
			printf("added %zu CA certificate(s) of the chain to the trust store\n", d.chain_added);
		cli_print_outcome(&d.upload);
		for (size_t i = 0; i < d.targets.n; i++)
			printf("deploy target %s: %zu file(s) written%s\n", cli_text(d.targets.v[i].purpose),
			       d.targets.v[i].files.n, d.targets.v[i].reload_status == 0 ? ", reloaded" : "");
		cli_print_served(&d.served);
	}
	c->audit_action = NULL; /* recorded with the change */
	cf_acme_deployed_free(&d);
	if (got != CF_OK && c->json) { /* the identity is deployed; a reload or the served check failed */
		fprintf(stderr, "certfleet: %s%s%s\n", cli_text(e.subject), e.subject[0] != '\0' ? ": " : "",
			cli_text(e.message));
		return (int)got;
	}
	if (got != CF_OK)
		return cli_fail(c, &e);
	return 0;
}

int cmd_acme_auto(cli *c, int argc, char **argv)
{
	cf_err e = {0};
	int i = cli_parse(c, argc, argv);
	if (i < 0)
		return 2;
	bool on = strcmp(argv[i], "on") == 0;
	if (!on && strcmp(argv[i], "off") != 0)
		return cli_usage(c);
	cli_audit_object(c, "%s %s %s", cli_val(c, "node"), cli_val(c, "purpose"), argv[i]);
	int rc = cli_store(c, false);
	if (rc != 0)
		return rc;
	cf_acme_auto_spec s = {.node = cli_val(c, "node"),
			       .purpose = cli_val(c, "purpose"),
			       .on = on,
			       .account = cli_val(c, "account"),
			       .deploy_days = cli_val(c, "deploy-days"),
			       .deploy_time = cli_val(c, "deploy-time")};
	cf_acmeidentity r = {0};
	if (cf_acme_auto_set(c->st, &c->actor, &s, cf_clock_now(), &r, &e) != CF_OK)
		rc = cli_fail(c, &e);
	else
		print_acme(c, &r);
	cf_acmeidentity_free(&r);
	return rc;
}

int cmd_acme_revoke(cli *c, int argc, char **argv)
{
	cf_err e = {0};
	if (cli_parse(c, argc, argv) < 0)
		return 2;
	const char *node = cli_val(c, "node"), *purpose = cli_val(c, "purpose"), *file = cli_val(c, "cert");
	if ((file != NULL) == (node != NULL || purpose != NULL) ||
	    (file == NULL && (node == NULL || purpose == NULL)) ||
	    (cli_val(c, "key") != NULL && (file == NULL || cli_val(c, "cert-key") == NULL)))
		return cli_usage(c);
	if (file != NULL)
		cli_audit_object(c, "%s", file);
	else
		cli_audit_object(c, "%s %s", node, purpose);
	int rc = store_for_steps(c);
	if (rc != 0)
		return rc;
	uint8_t *cert = NULL, *key = NULL;
	size_t cert_len = 0, key_len = 0;
	if (file != NULL && (rc = cli_read(c, file, 16u << 20, &cert, &cert_len)) != 0)
		return rc;
	if (cli_val(c, "key") != NULL && (rc = cli_read(c, cli_val(c, "key"), 1u << 20, &key, &key_len)) != 0) {
		free(cert);
		return rc;
	}
	cf_acme_revoke_spec s = {.node = node,
				 .purpose = purpose,
				 .cert_name = file,
				 .cert = cert,
				 .cert_len = cert_len,
				 .account = cli_val(c, "account"),
				 .reason = cli_val(c, "reason"),
				 .with_cert_key = cli_val(c, "cert-key") != NULL,
				 .key = key,
				 .key_len = key_len,
				 .force = cli_val(c, "force") != NULL};
	char sha256[65];
	if (cf_acme_revoke_cert(c->st, cf_net_transport(), &c->actor, &s, sha256, &e) != CF_OK)
		rc = cli_fail(c, &e);
	else {
		c->audit_action = NULL; /* recorded with the change */
		if (c->json)
			cli_json(json_pack("{s:s, s:s}", "sha256", sha256, "reason",
					   cli_val(c, "reason") ? cli_val(c, "reason") : "unspecified"));
		else
			printf("revoked %s\n", sha256);
	}
	if (key != NULL)
		cf_secret_wipe(key, key_len);
	free(key);
	free(cert);
	return rc;
}
