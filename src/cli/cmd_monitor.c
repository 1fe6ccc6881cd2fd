/* monitor config|show|run: the expiry monitor (SPEC §5) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/view/certjson.h"
#include "core/jobs/duties.h"
#include "core/monitor/monitor.h"
#include "crypto/password.h"
#include "net_transport.h"
#include "util/clock.h"

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
	/* the monitor job's lease (outside the pass's transaction, which carries the audit row): one
	 * pass at a time on the store, certfleetd's scheduled ones included */
	char holder[320];
	cf_jobs_holder("certfleet monitor run", holder, sizeof(holder));
	cf_jobs_env env = {.holder = holder, .transport = cf_net_transport()};
	cf_store_audit_disarm(c->st);
	rc = cf_jobs_take(c->st, &env, CF_DUTY_MONITOR, cf_clock_now(), &e);
	cli_audit_arm(c);
	if (rc != CF_OK)
		return cli_fail(c, &e);
	rc = cf_monitor_run(c->st, now, cf_net_transport(), &r, &e);
	cf_jobs_give_back(c->st, &env, CF_DUTY_MONITOR, cf_clock_now(), rc == CF_OK ? r.next_run : 0, rc, &e);
	if (rc != CF_OK) {
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
	for (size_t k = 0; k < r.stuck.n; k++)
		fprintf(stderr, "certfleet: monitor: ACME renewal stuck: %s\n", cli_text(r.stuck.v[k]));
	if (c->json) {
		cf_buf b = {0};
		cf_certjson_write_monitor_run(&b, &r);
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
