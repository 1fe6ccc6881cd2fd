/* GROUP config|show of the deployment-wide settings groups (core/model/fields.h): monitor, revocation,
 * the CRL schedule. The options are the group's fields; show prints the table's JSON. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "util/secret.h"

/* The settings as show prints them; 0 or an exit code after printing. */
static int show(cli *c, int (*print)(cli *c, json_t *o))
{
	cf_err e = {0};
	json_t *o = cf_fields_show(c->st, c->cmd->settings, &e);
	return o == NULL ? cli_fail(c, &e) : print(c, o);
}

int cli_settings_config(cli *c, int argc, char **argv, int (*print)(cli *c, json_t *o))
{
	const cf_fieldgroup *g = c->cmd->settings;
	cf_fieldchange changes[CF_FIELDS_MAX];
	char secret[CF_FIELD_VALUE_MAX];
	size_t n = 0, first = 0;
	cf_err e = {0};
	if (cli_parse(c, argc, argv) < 0)
		return 2;
	cli_audit_object(c, "%s", g->object);
	while (c->cmd->opts[first].name != NULL) /* the fields' values follow the row's own options */
		first++;
	for (size_t k = 0; k < g->n; k++) {
		const cf_field *f = &g->fields[k];
		const char *v = c->vals[first + k];
		if (v == NULL)
			continue;
		if (f->secret && !cli_read_line(stdin, secret, sizeof(secret))) { /* never on the command line */
			cf_err_set(&e, CF_E_INPUT, f->name, "expected it as the first line of stdin");
			return cli_fail(c, &e);
		}
		changes[n++] = (cf_fieldchange){f, f->secret ? secret : f->value == NULL ? "" : v};
	}
	int rc = cli_store(c, false);
	if (rc == 0 && n > 0 && cf_fields_apply(c->st, g, changes, n, &e) != CF_OK)
		rc = cli_fail(c, &e);
	cf_secret_wipe(secret, sizeof(secret));
	return rc != 0 ? rc : show(c, print);
}

int cmd_settings_config(cli *c, int argc, char **argv)
{
	return cli_settings_config(c, argc, argv, cli_print_object);
}

int cmd_settings_show(cli *c, int argc, char **argv)
{
	(void)argv;
	if (argc != 1)
		return cli_usage(c);
	int rc = cli_store(c, false);
	return rc != 0 ? rc : show(c, cli_print_object);
}
