/* monitor config|show|run: the expiry monitor (SPEC §5) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/certjson.h"
#include "core/monitor.h"
#include "crypto/password.h"
#include "util/clock.h"

#define SECRET_MAX 1026

static int print_settings(cli *c)
{
	cf_monitor_settings s;
	cf_monitor_health h = {0};
	cf_err e = {0};
	if (cf_monitor_settings_get(c->st, &s, &e) != CF_OK || cf_monitor_health_get(c->st, &h, &e) != CF_OK)
		return cli_fail(c, &e);
	return cli_print_object(c, cf_json_monitor(&s, &h));
}

int cmd_monitor_config(cli *c, int argc, char **argv)
{
	cf_setting_change changes[CLI_OPTS_MAX];
	size_t n = 0;
	char password[SECRET_MAX];
	cf_err e = {0};
	if (cli_parse(c, argc, argv) < 0)
		return 2;
	cli_audit_object(c, "expiry monitor");
	/* the option names are the keys of cf_monitor_configure */
	for (int k = 0; c->cmd->opts[k].name != NULL; k++)
		if (c->vals[k] != NULL && c->cmd->opts[k].value != NULL)
			changes[n++] = (cf_setting_change){c->cmd->opts[k].name, c->vals[k]};
	if (cli_val(c, "smtp-password-stdin") != NULL) {
		if (!cli_read_line(stdin, password, sizeof(password))) {
			cf_err_set(&e, CF_E_INPUT, "--smtp-password-stdin",
				   "expected the password as the first line of stdin");
			return cli_fail(c, &e);
		}
		changes[n++] = (cf_setting_change){"smtp-password", password};
	}
	int rc = cli_store(c, false);
	if (rc == 0 && n > 0 && cf_monitor_configure(c->st, changes, n, &e) != CF_OK)
		rc = cli_fail(c, &e);
	cf_secret_wipe(password, sizeof(password));
	return rc != 0 ? rc : print_settings(c);
}

int cmd_monitor_show(cli *c, int argc, char **argv)
{
	(void)argv;
	if (argc != 1)
		return cli_usage(c);
	int rc = cli_store(c, false);
	return rc != 0 ? rc : print_settings(c);
}

int cmd_monitor_run(cli *c, int argc, char **argv)
{
	cf_monitor_report r = {0};
	cf_err e = {0};
	int64_t now = cf_clock_now();
	int i = cli_parse(c, argc, argv);
	if (i < 0)
		return 2;
	if (cli_val(c, "now") != NULL && cli_now(c, cli_val(c, "now"), &now) != 0)
		return 2;
	cli_audit_object(c, "expiry monitor");
	int rc = cli_store(c, false);
	if (rc != 0)
		return rc;
	if (cf_monitor_run(c->st, now, cf_monitor_smtp_deliver, NULL, &r, &e) != CF_OK) {
		cf_monitor_report_free(&r);
		return cli_fail(c, &e);
	}
	/* one line per notification: the log is a notification channel of its own */
	for (size_t k = 0; k < r.n_due; k++) {
		char na[32], cn[256];
		cf_time_rfc3339(r.due[k].not_after, na);
		snprintf(cn, sizeof(cn), "%s", r.due[k].cn);
		for (char *p = cn; *p != '\0'; p++) /* a CN cannot break the line */
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				*p = '?';
		fprintf(stderr, "certfleet: monitor: %s %s \"%s\" expires %s (%lld days): breaks %s\n", r.due[k].node,
			r.due[k].name, cn, na, (long long)r.due[k].days_left, r.due[k].breaks);
	}
	for (size_t k = 0; k < r.alarms.n; k++)
		fprintf(stderr, "certfleet: monitor: CRL download failing: %s\n", r.alarms.v[k]);
	if (c->json) {
		cf_buf b = {0};
		cf_monitor_run_write(&b, &r);
		cf_buf_add(&b, "\n", 1);
		fwrite(b.p, 1, b.len, stdout);
		cf_buf_free(&b);
	} else {
		char next[32];
		cf_time_rfc3339(r.next_run, next);
		printf("%zu due, %d sent, %d queued; next run %s\n", r.n_due, r.sent, r.queued, next);
	}
	if (r.error[0] != '\0') {
		cf_err_set(&e, CF_E_REMOTE, "monitor", "notifications queued, the mail was not delivered: %s", r.error);
		bool json = c->json;
		c->json = false; /* one JSON object on stdout: the report is printed */
		rc = cli_fail(c, &e);
		c->json = json;
	}
	cf_monitor_report_free(&r);
	return rc;
}
