/* Option parsing shared by the commands. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "util/clock.h"

static size_t n_row_opts(const cli_command *cmd)
{
	size_t n = 0;
	while (n < CLI_OPTS_MAX && cmd->opts[n].name != NULL)
		n++;
	return n;
}

/* How many options the command has: its row's, then one a field of its settings group. */
static size_t n_opts(const cli_command *cmd)
{
	return n_row_opts(cmd) + (cmd->settings != NULL ? cmd->settings->n : 0);
}

/* Option i of the command (i < n_opts). */
static cli_opt opt_at(const cli_command *cmd, size_t i)
{
	size_t k = n_row_opts(cmd);
	if (i < k)
		return cmd->opts[i];
	const cf_field *f = &cmd->settings->fields[i - k];
	return (cli_opt){f->option, f->value, f->help, false};
}

void cli_usage_line(const cli_command *cmd, char *buf, size_t cap)
{
	size_t len = (size_t)snprintf(buf, cap, "certfleet %s%s%s", cmd->group, cmd->name ? " " : "",
				      cmd->name ? cmd->name : "");
	if (len < cap && cmd->operands[0] != '\0')
		len += (size_t)snprintf(buf + len, cap - len, " %s", cmd->operands);
	for (size_t i = 0; i < n_opts(cmd) && len < cap; i++) {
		cli_opt opt = opt_at(cmd, i), *o = &opt;
		len += (size_t)snprintf(buf + len, cap - len, " %s--%s%s%s%s", o->required ? "" : "[", o->name,
					o->value ? " " : "", o->value ? o->value : "", o->required ? "" : "]");
	}
}

void cli_help(const cli_command *cmd, FILE *out)
{
	char line[1024];
	cli_usage_line(cmd, line, sizeof(line));
	fprintf(out, "usage: %s\n%s\n", line, cmd->summary);
	if (cmd->rule != NULL)
		fprintf(out, "%s\n", cmd->rule);
	if (n_opts(cmd) > 0)
		fprintf(out, "\noptions:\n");
	for (size_t i = 0; i < n_opts(cmd); i++) {
		cli_opt opt = opt_at(cmd, i), *o = &opt;
		snprintf(line, sizeof(line), "--%s%s%s", o->name, o->value ? " " : "", o->value ? o->value : "");
		fprintf(out, "  %-30s %s%s\n", line, o->help, o->required ? " (required)" : "");
	}
}

int cli_usage(cli *c)
{
	char line[1024];
	cf_err e;
	cli_usage_line(c->cmd, line, sizeof(line));
	cf_err_set(&e, CF_E_USAGE, "usage", "%s", line);
	return cli_fail(c, &e);
}

int cli_parse(cli *c, int argc, char **argv)
{
	const cli_command *cmd = c->cmd;
	struct option opts[CLI_OPTS_MAX + CF_FIELDS_MAX + 1];
	size_t n = n_opts(cmd);
	int idx = 0, ch;
	for (size_t i = 0; i < n; i++) {
		cli_opt o = opt_at(cmd, i);
		opts[i] = (struct option){o.name, o.value ? required_argument : no_argument, NULL, 0};
	}
	opts[n] = (struct option){0};
	memset(c->vals, 0, sizeof(c->vals));
	opterr = 0;
	optind = 0; /* GNU: restart scanning */
	while ((ch = getopt_long(argc, argv, ":", opts, &idx)) != -1) {
		if (ch != 0) {
			char msg[2200], usage[1024];
			const char *bad = optind > 1 && optind <= argc ? argv[optind - 1] : argv[argc - 1];
			cli_usage_line(cmd, usage, sizeof(usage));
			snprintf(msg, sizeof(msg), "%s: %s %s; usage: %s", c->command ? c->command : argv[0],
				 ch == ':' ? "option needs a value:" : "bad option", bad, usage);
			cf_err e;
			cf_err_set(&e, CF_E_USAGE, NULL, "%s", msg);
			return cli_fail(c, &e), -1;
		}
		c->vals[idx] = opts[idx].has_arg ? optarg : "1";
	}
	int operands = argc - optind;
	bool ok = operands >= cmd->min_operands && (cmd->max_operands < 0 || operands <= cmd->max_operands);
	for (size_t i = 0; ok && i < n; i++)
		ok = !opt_at(cmd, i).required || c->vals[i] != NULL;
	return ok ? optind : (cli_usage(c), -1);
}

const char *cli_val(const cli *c, const char *name)
{
	for (size_t i = 0; i < n_opts(c->cmd); i++)
		if (strcmp(opt_at(c->cmd, i).name, name) == 0)
			return c->vals[i];
	abort(); /* not an option of the row: a mistake in the command's code */
}

int cli_expiring(cli *c, const char *days, int64_t *before)
{
	char *end = NULL;
	long n = strtol(days, &end, 10);
	if (days[0] < '0' || days[0] > '9' || *end != '\0' || n > 36500) {
		cf_err e = {0};
		cf_err_set(&e, CF_E_USAGE, "--expiring", "expected a number of days, not \"%s\"", days);
		return cli_fail(c, &e);
	}
	*before = cf_clock_now() + (int64_t)n * 86400;
	return 0;
}

int cli_now(cli *c, const char *text, int64_t *now)
{
	if (cf_time_parse_rfc3339(text, now))
		return 0;
	cf_err e = {0};
	cf_err_set(&e, CF_E_USAGE, "--now", "expected a time like 2026-11-22T09:00:00Z, not \"%s\"", text);
	return cli_fail(c, &e);
}
