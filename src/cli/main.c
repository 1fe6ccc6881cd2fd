/* certfleet: certificate lifecycle for UC deployments, from one command. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "util/secret.h"

/* How many of the n words at args a command's name ("add", "account add") is made of; -1 when
 * they do not start with it. */
static int name_words(const char *name, int n, char **args)
{
	int words = 0;
	while (*name != '\0') {
		size_t len = strcspn(name, " ");
		if (words >= n || strlen(args[words]) != len || strncmp(args[words], name, len) != 0)
			return -1;
		words++;
		name += len + (name[len] == ' ');
	}
	return words;
}

/* The commands of one group (or every command when group is NULL), one line each: the command,
 * then its operands and options (what it does when it has none). */
static void list_commands(FILE *out, const char *group)
{
	for (size_t i = 0; i < cli_n_commands; i++) {
		const cli_command *cmd = &cli_commands[i];
		char name[64], line[1024];
		if (group != NULL && strcmp(cmd->group, group) != 0)
			continue;
		snprintf(name, sizeof(name), "%s%s%s", cmd->group, cmd->name ? " " : "", cmd->name ? cmd->name : "");
		cli_usage_line(cmd, line, sizeof(line));
		const char *synopsis = line + strlen("certfleet ") + strlen(name);
		fprintf(out, "  %-20s %s\n", name, synopsis[0] != '\0' ? synopsis + 1 : cmd->summary);
	}
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
	for (size_t i = 0; i < cli_n_commands; i++) {
		const cli_command *cmd = &cli_commands[i];
		if (strcmp(cmd->group, args[0]) != 0)
			continue;
		int words = cmd->name != NULL ? name_words(cmd->name, n - 1, args + 1) : 0;
		if (words < 0)
			continue;
		char action[64];
		snprintf(action, sizeof(action), "%s%s%s", cmd->group, cmd->name ? " " : "",
			 cmd->name ? cmd->name : "");
		c.command = action;
		c.cmd = cmd;
		if (asks_help(n, args)) {
			cli_help(cmd, stdout);
			rc = 0;
			goto out;
		}
		if (cmd->changes) {
			cf_audit_actor_local(&c.actor);
			c.audit_action = action;
		}
		/* the command sees its last word as argv[0] */
		rc = cmd->name == NULL ? cmd->fn(&c, n, args) : cmd->fn(&c, n - words, args + words);
		if (rc == 0)
			rc = cli_audit_ok(&c);
		c.audit_action = NULL;
		goto out;
	}
	bool group = false;
	for (size_t i = 0; i < cli_n_commands && !group; i++)
		group = strcmp(cli_commands[i].group, args[0]) == 0;
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
