/* Option parsing shared by the commands. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "util/clock.h"

int cli_parse(cli *c, int argc, char **argv, const struct option *opts, const char **vals, const char *usage)
{
	int idx = 0, ch;
	opterr = 0;
	optind = 0; /* GNU: restart scanning */
	while ((ch = getopt_long(argc, argv, ":", opts, &idx)) != -1) {
		if (ch != 0 || opts[idx].flag != NULL) {
			char msg[1024];
			const char *bad = optind > 1 && optind <= argc ? argv[optind - 1] : argv[argc - 1];
			snprintf(msg, sizeof(msg), "%s: %s %s; usage: %s", c->command ? c->command : argv[0],
				 ch == ':' ? "option needs a value:" : "bad option", bad, usage);
			cf_err e;
			cf_err_set(&e, CF_E_USAGE, NULL, "%s", msg);
			return cli_fail(c, &e), -1;
		}
		vals[idx] = opts[idx].has_arg ? optarg : "1";
	}
	return optind;
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
