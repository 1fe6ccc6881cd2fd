/* certfleet: certificate lifecycle for UC deployments, from one command. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "util/secret.h"

static const struct command {
	const char *group, *name; /* name NULL: the group is the command */
	cli_fn fn;
	const char *help;
	bool changes; /* audited: one row per run (see cli.h) */
} commands[] = {
	{"init", NULL, cmd_init, "create the store (or bring it up to date)", false},
	{"cluster", "add", cmd_cluster_add, "NAME [--fqdn CLUSTER_FQDN]", true},
	{"cluster", "set", cmd_cluster_set, "NAME KEY VALUE...", true},
	{"cluster", "show", cmd_cluster_show, "NAME", false},
	{"cluster", "list", cmd_cluster_list, "", false},
	{"cluster", "delete", cmd_cluster_delete, "NAME (a cluster without nodes)", true},
	{"node", "add", cmd_node_add, "FQDN --cluster NAME --product KEY [--publisher] [--ip ADDR] [--no-defaults]",
	 true},
	{"node", "list", cmd_node_list, "", false},
	{"node", "delete", cmd_node_delete,
	 "FQDN [--force] (with its certificates; a publisher needs --force while peers remain)", true},
	{"cert", "list", cmd_cert_list,
	 "[--node FQDN] [--purpose P] [--store S] [--begins-with TEXT] [--expiring DAYS]", false},
	{"cert", "show", cmd_cert_show, "--node FQDN (--purpose P | --store S --id ID) [--pem]", false},
	{"cert", "self-signed", cmd_cert_self_signed,
	 "--node FQDN --purpose P [--key SPEC] [--hash H] [--days N] [--multi-server] [--force]", true},
	{"cert", "upload", cmd_cert_upload,
	 "--node FQDN --purpose P FILE [--key KEYFILE] [--description TEXT] [--force]", true},
	{"csr", "generate", cmd_csr_generate,
	 "--node FQDN --purpose P [--multi-server] [--key SPEC] [--hash H] [--cn CN] [--reuse-key]", true},
	{"csr", "show", cmd_csr_show, "--node FQDN --purpose P [--pem]", false},
	{"csr", "discard", cmd_csr_discard, "--node FQDN --purpose P", true},
	{"trust", "add", cmd_trust_add, "--node FQDN --store S FILE [--description TEXT]", true},
	{"trust", "delete", cmd_trust_delete, "--node FQDN --store S --id ID", true},
	{"trust", "prune", cmd_trust_prune, "[--node FQDN]", true},
	{"trust", "fetch", cmd_trust_fetch,
	 "HOST:PORT [--starttls xmpp|smtp|ldap] [--sni NAME] [--import --node FQDN --store S]",
	 true}, /* audited with --import */
	{"validate", NULL, cmd_validate,
	 "FILE [--host NAME] [--node FQDN --store S | --ca-file FILE] [--untrusted FILE] [--purpose P] [--revocation] "
	 "| "
	 "--batch "
	 "DIR|FILE...",
	 false},
	{"doctor", NULL, cmd_doctor, "[--node FQDN]: every rule of SPEC §4, each finding with its fix", false},
	{"status", NULL, cmd_status, "per-node summary: identities, trust, first expiry, pending CSRs", false},
	{"deploy", NULL, cmd_deploy, "--node FQDN [--purpose P]", true},
	{"deploy-target", "set", cmd_target_set,
	 "--node FQDN --purpose P [--cert PATH] [--key PATH] [--chain PATH] [--owner USER[:GROUP]] [--mode MODE] "
	 "[--reload CMD]",
	 true},
	{"deploy-target", "list", cmd_target_list, "--node FQDN", false},
	{"user", "add", cmd_user_add, "NAME --role admin|read-only (password on stdin, else prompted)", true},
	{"user", "list", cmd_user_list, "", false},
	{"user", "delete", cmd_user_delete, "NAME", true},
	{"user", "passwd", cmd_user_passwd, "NAME (password on stdin, else prompted)", true},
	{"audit", NULL, cmd_audit, "[--limit N] [--offset N]: the audit log, newest first", false},
	{"job", "list", cmd_job_list,
	 "the duties certfleetd runs by itself: next and last run, failures, the process running one", false},
	{"monitor", "config", cmd_monitor_config,
	 "[--start-days N] [--frequency Nh|Nd] [--email on|off] [--emails \"a@x;b@y\"] [--lsc on|off] [--smtp "
	 "HOST:PORT] "
	 "[--smtp-tls none|starttls|implicit] [--smtp-user U] [--smtp-password-stdin] [--smtp-ca FILE] [--from ADDR]",
	 true},
	{"monitor", "show", cmd_monitor_show, "the expiry monitor's settings, last run and pending notifications",
	 false},
	{"monitor", "run", cmd_monitor_run, "[--now RFC3339]: one pass of the expiry monitor", true},
	{"ocsp", "check", cmd_ocsp_check,
	 "FILE [--issuer FILE] [--node FQDN [--store S]] [--url URL] [--strict] [--sha1]", false},
	{"crl", "add", cmd_crl_add,
	 "FILE: a CRL (PEM or DER, < 16 MiB), checked against its issuer in the trust stores", true},
	{"crl", "list", cmd_crl_list, "the CRLs: issuer, this/next update, entries, source", false},
	{"crl", "remove", cmd_crl_remove, "ID", true},
	{"crl", "dp", cmd_crl_dp, "add|remove URL | list: the distribution points downloaded daily", true},
	{"crl", "update", cmd_crl_update, "download every distribution point now", true},
	{"crl", "config", cmd_crl_config, "[--daily-at HH:MM] [--use-cdp on|off]", true},
	{"revocation", "config", cmd_revocation_config,
	 "[--ocsp on|off] [--ocsp-uri URL | --ocsp-from-cert] [--check on|off] [--interval Nh|Nm|Ns] "
	 "[--strict on|off] [--fallback revoked|not-revoked] [--timeout S]",
	 true},
	{"revocation", "show", cmd_revocation_show, "the revocation settings", false},
	{"revocation", "check", cmd_revocation_check,
	 "[--now RFC3339]: ask OCSP about every stored certificate now and record the answers", true},
	{"endpoint", "import", cmd_endpoint_import,
	 "--node FQDN FILE: phones' LSCs (PEM bundle) onto the ucm publisher whose CAPF issued them", true},
	{"endpoint", "list", cmd_endpoint_list, "[--node FQDN] [--begins-with TEXT] [--expiring DAYS]", false},
	{"endpoint", "delete", cmd_endpoint_delete, "--node FQDN --device NAME", true},
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

/* The commands of one group (or every command when group is NULL), one line each. */
static void list_commands(FILE *out, const char *group)
{
	for (size_t i = 0; i < N_COMMANDS; i++)
		if (group == NULL || strcmp(commands[i].group, group) == 0)
			fprintf(out, "  %s%s%s %s\n", commands[i].group, commands[i].name ? " " : "",
				commands[i].name ? commands[i].name : "", commands[i].help);
}

static bool asks_help(int n, char **args)
{
	for (int i = 0; i < n; i++)
		if (strcmp(args[i], "--help") == 0 || strcmp(args[i], "-h") == 0)
			return true;
	return false;
}

static void usage(FILE *out)
{
	fprintf(out, "usage: certfleet [--store PATH] [--json] COMMAND ...\n       certfleet COMMAND --help\n"
		     "       certfleet --version\n\ncommands:\n");
	list_commands(out, NULL);
	fprintf(out, "\nThe store is --store, else $CERTFLEET_STORE, else /var/lib/certfleet/certfleet.db.\n"
		     "Exit codes: 0 ok, 2 usage, 3 input rejected, 4 not found, 5 wrong state,\n"
		     "6 remote failure, 7 errors found, 10 internal error.\n");
}

int main(int argc, char **argv)
{
	cli c = {0};
	cf_err harden = {0};
	if (cf_process_harden(&harden) != CF_OK) { /* keys and passwords pass through this process */
		fprintf(stderr, "certfleet: %s: %s\n", harden.subject, harden.message);
		return (int)harden.code;
	}
	char **args = calloc((size_t)argc + 1, sizeof(*args));
	int n = 0, rc = 2;
	if (args == NULL)
		return 10;

	/* --json and --store may come anywhere; everything else is the command's */
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0) {
			c.json = true;
		} else if (strcmp(argv[i], "--store") == 0 && i + 1 < argc && n == 0) {
			c.store_path = argv[++i];
		} else if (strncmp(argv[i], "--store=", 8) == 0 && n == 0) {
			c.store_path = argv[i] + 8;
		} else if ((strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) && n == 0) {
			usage(stdout);
			free(args);
			return 0;
		} else if (strcmp(argv[i], "--version") == 0 && n == 0) {
			printf("certfleet %s\n", CERTFLEET_VERSION);
			free(args);
			return 0;
		} else {
			args[n++] = argv[i];
		}
	}
	if (c.store_path == NULL)
		c.store_path = getenv("CERTFLEET_STORE");
	if (c.store_path == NULL || c.store_path[0] == '\0')
		c.store_path = "/var/lib/certfleet/certfleet.db";

	if (n == 0) {
		usage(stderr);
		goto out;
	}
	for (size_t i = 0; i < N_COMMANDS; i++) {
		const struct command *cmd = &commands[i];
		if (strcmp(cmd->group, args[0]) != 0)
			continue;
		if (cmd->name != NULL && (n < 2 || strcmp(cmd->name, args[1]) != 0))
			continue;
		char action[64];
		snprintf(action, sizeof(action), "%s%s%s", cmd->group, cmd->name ? " " : "",
			 cmd->name ? cmd->name : "");
		c.command = action;
		if (asks_help(n, args)) {
			printf("usage: certfleet %s %s\n", action, cmd->help);
			rc = 0;
			goto out;
		}
		if (cmd->changes) {
			cf_audit_actor_local(&c.actor);
			c.audit_action = action;
		}
		rc = cmd->name == NULL ? cmd->fn(&c, n, args) : cmd->fn(&c, n - 1, args + 1);
		if (rc == 0)
			rc = cli_audit_ok(&c);
		c.audit_action = NULL;
		goto out;
	}
	bool group = false;
	for (size_t i = 0; i < N_COMMANDS && !group; i++)
		group = strcmp(commands[i].group, args[0]) == 0;
	if (group && (n == 1 || asks_help(n - 1, args + 1))) { /* "certfleet node": its commands */
		rc = n == 1 ? 2 : 0;
		fprintf(rc ? stderr : stdout, "usage: certfleet %s COMMAND ...\n\ncommands:\n", args[0]);
		list_commands(rc ? stderr : stdout, args[0]);
		goto out;
	}
	cf_err e;
	if (group)
		cf_err_set(&e, CF_E_USAGE, args[0], "unknown command %s %s; see certfleet %s --help", args[0], args[1],
			   args[0]);
	else
		cf_err_set(&e, CF_E_USAGE, args[0], "unknown command; see certfleet --help");
	rc = cli_fail(&c, &e);
out:
	cf_store_close(c.st);
	free(args);
	return rc;
}
