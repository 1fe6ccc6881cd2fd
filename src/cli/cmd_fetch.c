/* trust fetch: the certificate import tool (SPEC §3.6). */
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "core/check/fetch.h"
#include "core/view/tooljson.h"
#include "net_transport.h"
#include "util/clock.h"

static void report_text(const cf_fetch_result *r, const char *starttls)
{
	const cf_tls_peer *t = &r->tls;
	printf("Fetched %zu certificate%s from %s", t->n_chain, t->n_chain == 1 ? "" : "s", r->target);
	if (starttls != NULL)
		printf(" after STARTTLS (%s)", starttls);
	if (r->sni[0] != '\0')
		printf(", SNI %s\n", r->sni);
	else
		printf(", no SNI\n");
	if (t->completed)
		printf("  TLS:       %s, %s\n", t->version, t->cipher);
	else
		printf("  TLS:       %s, %s; the handshake failed after the certificates arrived: %s\n", t->version,
		       t->cipher[0] != '\0' ? t->cipher : "no cipher", t->failure);
	if (t->signature[0] != '\0')
		printf("  key type:  %s (handshake signature %s)\n", t->key_type, t->signature);
	else
		printf("  key type:  %s\n", t->key_type);
	if (t->verified)
		printf("  verified:  yes, to the system's CAs\n");
	else
		printf("  verified:  no (%s)\n", t->verify_error);
	for (size_t i = 0; i < t->n_chain; i++) {
		const cf_facts *f = &r->facts[i];
		char na[32];
		cf_time_rfc3339(f->not_after, na);
		printf("  %zu. subject   %s\n", i + 1, cli_text(f->subject));
		printf("     issuer    %s\n", cli_text(f->issuer));
		printf("     sha256    %s\n", f->sha256);
		printf("     not after %s; %s %d%s%s\n", na, cf_keytype_name(f->key_type), f->key_bits,
		       f->ca ? "; CA" : "", f->self_signed ? "; self-signed" : "");
	}
}

int cmd_trust_fetch(cli *c, int argc, char **argv)
{
	cf_err e = {0};
	cf_fetch_result r = {0};
	cf_outcome out = {0};
	size_t skipped = 0;
	int i = cli_parse(c, argc, argv);
	if (i < 0)
		return 2;
	bool import = cli_val(c, "import") != NULL;
	if (import != (cli_val(c, "node") != NULL) || import != (cli_val(c, "store") != NULL))
		return cli_usage(c);

	if (import)
		cli_audit_object(c, "%s from %s", cli_val(c, "store"), argv[i]); /* refused imports are audited too */
	else
		c->audit_action = NULL;		   /* only looking changes nothing */
	int rc = import ? cli_store(c, false) : 0; /* a missing store fails before the network */
	cf_fetch_req req = {.target = argv[i], .starttls = cli_val(c, "starttls"), .sni = cli_val(c, "sni")};
	if (rc == 0 && cf_fetch(cf_net_transport(), &req, &r, &e) != CF_OK)
		rc = cli_fail(c, &e);
	if (rc == 0 && !c->json)
		report_text(&r, cli_val(c, "starttls"));
	if (rc == 0 && import &&
	    cf_fetch_import(c->st, cf_net_transport(), &r, cli_val(c, "node"), cli_val(c, "store"), &out, &skipped,
			    &e) != CF_OK)
		rc = cli_fail(c, &e);
	if (rc == 0 && c->json) {
		json_t *o = cf_tooljson_fetch(&r, cli_val(c, "starttls"));
		if (import)
			json_object_set_new(
				o, "import",
				cf_tooljson_fetch_import(&r, cli_val(c, "node"), cli_val(c, "store"), &out, skipped));
		cli_json(o);
	} else if (rc == 0 && import) {
		printf("%zu trust certificate%s added to %s", out.n_ids, out.n_ids == 1 ? "" : "s",
		       cli_val(c, "store"));
		if (out.nodes.n > 0) {
			char *nodes = cf_strv_join(&out.nodes, ", ");
			printf(" on %s", nodes);
			free(nodes);
		}
		printf("\n");
		cli_print_outcome(&out);
	}
	cf_outcome_free(&out);
	cf_fetch_result_free(&r);
	return rc;
}
