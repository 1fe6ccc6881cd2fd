/* csr generate|show|discard */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "core/certjson.h"
#include "core/identity.h"

static void print_csr(cli *c, const cf_csr_view *v, bool pem_only)
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
	static const char usage[] = "certfleet csr generate --node FQDN --purpose P [--multi-server] [--key SPEC] "
				    "[--hash H] [--cn CN] [--reuse-key]";
	enum { NODE, PURPOSE, MULTI, KEY, HASH, CN, REUSE };
	static const struct option opts[] = {
		{"node", required_argument, NULL, 0},	{"purpose", required_argument, NULL, 0},
		{"multi-server", no_argument, NULL, 0}, {"key", required_argument, NULL, 0},
		{"hash", required_argument, NULL, 0},	{"cn", required_argument, NULL, 0},
		{"reuse-key", no_argument, NULL, 0},	{0}};
	const char *v[7] = {0};
	cf_err e = {0};
	cf_csr_view view = {0};
	int i = cli_parse(c, argc, argv, opts, v, usage);
	if (i < 0)
		return 2;
	if (i != argc || v[NODE] == NULL || v[PURPOSE] == NULL || (v[REUSE] && v[KEY]))
		return cli_usage(c, usage);
	cli_audit_object(c, "%s on %s", v[PURPOSE], v[NODE]);
	int rc = cli_store(c, false);
	if (rc != 0)
		return rc;
	cf_issue_opts o = {.key = v[KEY],
			   .hash = v[HASH],
			   .multi_server = v[MULTI] != NULL,
			   .cn = v[CN],
			   .reuse_key = v[REUSE] != NULL};
	if (cf_csr_generate(c->st, v[NODE], v[PURPOSE], &o, &view, &e) != CF_OK)
		return cli_fail(c, &e);
	print_csr(c, &view, false);
	if (!c->json)
		printf("Restart plan: no service restarts needed until the signed certificate is uploaded.\n");
	cf_csr_view_free(&view);
	return 0;
}

static int node_purpose(cli *c, int argc, char **argv, const char *usage, bool *pem, const char **node,
			const char **purpose)
{
	enum { NODE, PURPOSE, PEM };
	static const struct option opts[] = {{"node", required_argument, NULL, 0},
					     {"purpose", required_argument, NULL, 0},
					     {"pem", no_argument, NULL, 0},
					     {0}};
	const char *v[3] = {0};
	int i = cli_parse(c, argc, argv, opts, v, usage);
	if (i < 0)
		return 2;
	if (i != argc || v[NODE] == NULL || v[PURPOSE] == NULL || (pem == NULL && v[PEM] != NULL))
		return cli_usage(c, usage);
	if (pem != NULL)
		*pem = v[PEM] != NULL;
	*node = v[NODE];
	*purpose = v[PURPOSE];
	cli_audit_object(c, "%s on %s", v[PURPOSE], v[NODE]);
	return cli_store(c, false);
}

int cmd_csr_show(cli *c, int argc, char **argv)
{
	const char *node = NULL, *purpose = NULL;
	bool pem = false;
	cf_err e = {0};
	cf_csr_view view = {0};
	int rc = node_purpose(c, argc, argv, "certfleet csr show --node FQDN --purpose P [--pem]", &pem, &node,
			      &purpose);
	if (rc != 0)
		return rc;
	if (cf_csr_show(c->st, node, purpose, &view, &e) != CF_OK)
		return cli_fail(c, &e);
	print_csr(c, &view, pem);
	cf_csr_view_free(&view);
	return 0;
}

int cmd_csr_discard(cli *c, int argc, char **argv)
{
	const char *node = NULL, *purpose = NULL;
	cf_err e = {0};
	int rc = node_purpose(c, argc, argv, "certfleet csr discard --node FQDN --purpose P", NULL, &node, &purpose);
	if (rc != 0)
		return rc;
	if (cf_csr_discard(c->st, node, purpose, &e) != CF_OK)
		return cli_fail(c, &e);
	if (c->json)
		cli_json(json_pack("{s:s, s:s, s:b}", "node", node, "purpose", purpose, "discarded", 1));
	else
		printf("CSR for %s on %s discarded, with its key\n", purpose, node);
	return 0;
}
