/* Option parsing shared by the commands. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

int cli_parse(cli *c, int argc, char **argv, const struct option *opts, const char **vals, const char *usage)
{
	int idx = 0, ch;
	opterr = 0;
	optind = 0; /* GNU: restart scanning */
	while ((ch = getopt_long(argc, argv, "", opts, &idx)) != -1) {
		if (ch != 0 || opts[idx].flag != NULL) {
			char msg[512];
			snprintf(msg, sizeof(msg), "%s: bad option %s; usage: %s", argv[0],
				 optind > 0 && optind <= argc ? argv[optind - 1] : "", usage);
			cf_err e;
			cf_err_set(&e, CF_E_USAGE, NULL, "%s", msg);
			return cli_fail(c, &e), -1;
		}
		vals[idx] = opts[idx].has_arg ? optarg : "1";
	}
	return optind;
}
