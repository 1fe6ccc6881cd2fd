/* job list: the job table (the duties certfleetd runs by itself: core/jobs/jobs.h) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/view/certjson.h"
#include "store/jobs.h"
#include "util/clock.h"

int cmd_job_list(cli *c, int argc, char **argv)
{
	cf_err e = {0};
	cf_job *v = NULL;
	size_t n = 0;
	if (cli_parse(c, argc, argv) < 0)
		return 2;
	int rc = cli_store(c, false);
	if (rc != 0)
		return rc;
	if (cf_store_job_list(c->st, &v, &n, &e) != CF_OK)
		return cli_fail(c, &e);
	int64_t now = cf_clock_now();
	if (c->json) {
		cli_json(cf_json_jobs(v, n, now));
	} else {
		printf("%-14s %-20s %-20s %-8s %-20s %s\n", "KIND", "NEXT RUN", "LAST RUN", "STATUS", "PLAN", "NOTE");
		for (size_t i = 0; i < n; i++) {
			const cf_job *j = &v[i];
			char next[32], last[32] = "-", note[600] = "";
			cf_time_rfc3339(j->next_run, next);
			if (j->last_run != 0)
				cf_time_rfc3339(j->last_run, last);
			if (j->lease_holder[0] != '\0' && j->lease_until > now)
				snprintf(note, sizeof(note), "running in %s", j->lease_holder);
			else if (j->attempts > 0)
				snprintf(note, sizeof(note), "%d failed in a row: %s", j->attempts, j->last_error);
			printf("%-14s %-20s %-20s %-8s %-20s %s\n", cli_text(j->kind), next, last,
			       j->last_status[0] != '\0' ? cli_text(j->last_status) : "-", cli_text(j->plan),
			       cli_text(note));
		}
	}
	cf_store_jobs_free(v, n);
	return 0;
}
