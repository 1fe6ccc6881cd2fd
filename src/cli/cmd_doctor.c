/* doctor */
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "core/check/doctor.h"
#include "util/fileio.h"

static void print_findings(const cf_findings *f)
{
	static const char *const upper[] = {"INFO", "WARNING", "ERROR"};
	for (size_t i = 0; i < f->n; i++) {
		const cf_finding *x = &f->v[i];
		printf("%s %s %s%s%s: %s \u2014 %s\n", upper[x->severity], x->rule, x->node, x->purpose[0] ? " " : "",
		       x->purpose, cli_text(x->message), cli_text(x->fix));
	}
	size_t errors = cf_findings_count(f, CF_SEV_ERROR), warnings = cf_findings_count(f, CF_SEV_WARNING),
	       info = cf_findings_count(f, CF_SEV_INFO);
	if (f->n == 0)
		printf("doctor: no findings\n");
	else
		printf("doctor: %zu finding%s: %zu error%s, %zu warning%s, %zu info\n", f->n, f->n == 1 ? "" : "s",
		       errors, errors == 1 ? "" : "s", warnings, warnings == 1 ? "" : "s", info);
}

/* certfleet doctor [--node FQDN]: prints every finding with its fix; exit 7 when any is an error. */
int cmd_doctor(cli *c, int argc, char **argv)
{
	cf_err e = {0};
	cf_findings findings = {0};
	uint8_t *bundle = NULL;
	size_t bundle_len = 0;
	int i = cli_parse(c, argc, argv);
	if (i < 0)
		return 2;
	int rc = cli_store(c, false);
	if (rc != 0)
		return rc;

	/* the public roots are read here (the core does no I/O); a missing bundle means "none" */
	cf_public_roots_read(&bundle, &bundle_len);

	cf_doctor_opts o = {.node = cli_val(c, "node"), .public_cas = bundle, .public_cas_len = bundle_len};
	if (cf_doctor_run(c->st, &o, &findings, &e) != CF_OK) {
		rc = cli_fail(c, &e);
		goto out;
	}
	if (c->json)
		cli_json(cf_doctor_json(&findings));
	else
		print_findings(&findings);
	rc = cf_findings_count(&findings, CF_SEV_ERROR) > 0 ? CF_E_FINDINGS : 0;
out:
	cf_findings_free(&findings);
	free(bundle);
	return rc;
}
