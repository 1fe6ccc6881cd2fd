/* csr generate|show|discard */
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "core/view/certjson.h"
#include "core/lifecycle/identity.h"

static void print_csr(cli *c, const cf_identity_csr_view *v, bool pem_only)
{
	if (c->json) {
		cli_json(cf_json_csr(v));
		return;
	}
	if (pem_only) {
		fputs(v->pem, stdout);
		return;
	}
	const cf_facts *f = &v->facts;
	cf_strv ku = {0}, eku = {0};
	cf_ku_names(f->ku, &ku);
	cf_eku_names(f->eku, &eku);
	char *kus = cf_strv_join(&ku, ", "), *ekus = cf_strv_join(&eku, ", "), *san = cf_strv_join(&f->san, " ");
	printf("CSR for %s on %s (%s)\n", v->purpose, v->node, v->distribution);
	printf("subject:        %s\n", cli_text(f->subject));
	printf("alternative name as it will appear: %s\n", f->san.n ? cli_text(san) : "(none)");
	if (f->key_type == CF_KEY_EC)
		printf("key:            EC %d bits (%s)\n", f->key_bits, f->curve);
	else
		printf("key:            RSA %d bits\n", f->key_bits);
	printf("hash:           %s\n", v->hash);
	printf("key usage:      %s%s\n", kus,
	       f->key_type == CF_KEY_EC ? " (EC keys use keyAgreement where RSA uses key/data encipherment)" : "");
	printf("ext key usage:  %s\n", f->eku ? ekus : "(none)");
	fputs(v->pem, stdout);
	free(kus);
	free(ekus);
	free(san);
	cf_strv_clear(&ku);
	cf_strv_clear(&eku);
}

int cmd_csr_generate(cli *c, int argc, char **argv)
{
	cf_err e = {0};
	cf_identity_csr_view view = {0};
	int i = cli_parse(c, argc, argv);
	if (i < 0)
		return 2;
	const char *node = cli_val(c, "node"), *purpose = cli_val(c, "purpose");
	if (cli_val(c, "reuse-key") && cli_val(c, "key"))
		return cli_usage(c);
	cli_audit_object(c, "%s on %s", purpose, node);
	int rc = cli_store(c, false);
	if (rc != 0)
		return rc;
	cf_issue_opts o = {.key = cli_val(c, "key"),
			   .hash = cli_val(c, "hash"),
			   .multi_server = cli_val(c, "multi-server") != NULL,
			   .cn = cli_val(c, "cn"),
			   .reuse_key = cli_val(c, "reuse-key") != NULL};
	if (cf_identity_csr_generate(c->st, node, purpose, &o, &view, &e) != CF_OK)
		return cli_fail(c, &e);
	print_csr(c, &view, false);
	if (!c->json)
		printf("Restart plan: no service restarts needed until the signed certificate is uploaded.\n");
	cf_identity_csr_view_free(&view);
	return 0;
}

/* --node and --purpose (csr show, csr discard), the change's object named; opens the store. */
static int node_purpose(cli *c, int argc, char **argv, const char **node, const char **purpose)
{
	if (cli_parse(c, argc, argv) < 0)
		return 2;
	*node = cli_val(c, "node");
	*purpose = cli_val(c, "purpose");
	cli_audit_object(c, "%s on %s", *purpose, *node);
	return cli_store(c, false);
}

int cmd_csr_show(cli *c, int argc, char **argv)
{
	const char *node = NULL, *purpose = NULL;
	cf_err e = {0};
	cf_identity_csr_view view = {0};
	int rc = node_purpose(c, argc, argv, &node, &purpose);
	if (rc != 0)
		return rc;
	if (cf_identity_csr_show(c->st, node, purpose, &view, &e) != CF_OK)
		return cli_fail(c, &e);
	print_csr(c, &view, cli_val(c, "pem") != NULL);
	cf_identity_csr_view_free(&view);
	return 0;
}

int cmd_csr_discard(cli *c, int argc, char **argv)
{
	const char *node = NULL, *purpose = NULL;
	cf_err e = {0};
	int rc = node_purpose(c, argc, argv, &node, &purpose);
	if (rc != 0)
		return rc;
	if (cf_identity_csr_discard(c->st, node, purpose, &e) != CF_OK)
		return cli_fail(c, &e);
	if (c->json)
		cli_json(json_pack("{s:s, s:s, s:b}", "node", node, "purpose", purpose, "discarded", 1));
	else
		printf("CSR for %s on %s discarded, with its key\n", purpose, node);
	return 0;
}
