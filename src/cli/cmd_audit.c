/* audit: the audit log, newest first */
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "util/clock.h"

#define AUDIT_LIMIT_DEFAULT 50
#define AUDIT_LIMIT_MAX 10000

/* Parses a whole decimal number in [lo, hi]; false otherwise. */
static bool number(const char *s, long long lo, long long hi, long long *out)
{
	char *end = NULL;
	long long v = strtoll(s, &end, 10);
	if (end == s || *end != '\0' || v < lo || v > hi)
		return false;
	*out = v;
	return true;
}

int cmd_audit(cli *c, int argc, char **argv)
{
	cf_err e = {0};
	long long limit = AUDIT_LIMIT_DEFAULT, offset = 0;
	cf_auditrow *rows = NULL;
	size_t n = 0;
	int64_t total = 0;
	int i = cli_parse(c, argc, argv);
	if (i < 0)
		return 2;
	if (cli_val(c, "limit") != NULL && !number(cli_val(c, "limit"), 1, AUDIT_LIMIT_MAX, &limit)) {
		cf_err_set(&e, CF_E_USAGE, "--limit", "expected 1 to %d, not \"%s\"", AUDIT_LIMIT_MAX,
			   cli_val(c, "limit"));
		return cli_fail(c, &e);
	}
	if (cli_val(c, "offset") != NULL && !number(cli_val(c, "offset"), 0, INT64_MAX, &offset)) {
		cf_err_set(&e, CF_E_USAGE, "--offset", "expected a number of rows, not \"%s\"", cli_val(c, "offset"));
		return cli_fail(c, &e);
	}
	int rc = cli_store(c, false);
	if (rc != 0)
		return rc;
	if (cf_store_audit_list(c->st, limit, offset, &rows, &n, &total, &e) != CF_OK)
		return cli_fail(c, &e);
	json_t *items = c->json ? json_array() : NULL;
	for (size_t k = 0; k < n; k++) {
		const cf_auditrow *r = &rows[k];
		char at[32];
		cf_time_rfc3339(r->at, at);
		if (c->json)
			json_array_append_new(items,
					      json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s}", "id", (json_int_t)r->id,
							"at", at, "account", r->account, "client", r->client, "action",
							r->action, "object", r->object, "result", r->result));
		else
			printf("%s %s@%s %s [%s] %s\n", at, cli_text(r->account), cli_text(r->client), r->action,
			       cli_text(r->object), cli_text(r->result));
	}
	if (c->json)
		cli_json(json_pack("{s:o, s:I}", "items", items, "total", (json_int_t)total));
	else if (n == 0)
		printf("no audit rows%s\n", total > 0 ? " at this offset" : "");
	cf_auditrows_free(rows, n);
	return 0;
}
