/* cert list|show|self-signed|upload */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/certjson.h"
#include "core/identity.h"
#include "util/clock.h"
#include "util/fileio.h"
#include "util/secret.h"

static void cert_line(const cf_certrow *r)
{
	char na[32];
	cf_time_rfc3339(r->facts.not_after, na);
	printf("%-8lld %-32s %-8s %-20s %-11s %-20s %s\n", (long long)r->id, r->node,
	       r->kind == CF_IDENTITY ? "identity" : "trust", r->name,
	       r->facts.self_signed ? "self-signed" : "CA-signed", na, cli_text(r->facts.cn));
}

int cmd_cert_list(cli *c, int argc, char **argv)
{
	static const char usage[] =
		"certfleet cert list [--node FQDN] [--purpose P] [--store S] [--begins-with TEXT] [--expiring DAYS]";
	enum { NODE, PURPOSE, STORE, BEGINS, EXPIRING };
	static const struct option opts[] = {
		{"node", required_argument, NULL, 0},	  {"purpose", required_argument, NULL, 0},
		{"store", required_argument, NULL, 0},	  {"begins-with", required_argument, NULL, 0},
		{"expiring", required_argument, NULL, 0}, {0}};
	const char *v[5] = {0};
	int i = cli_parse(c, argc, argv, opts, v, usage);
	if (i < 0)
		return 2;
	if (i != argc)
		return cli_usage(c, usage);
	cf_certfilter f = {.node = v[NODE], .purpose = v[PURPOSE], .store = v[STORE], .begins_with = v[BEGINS]};
	return cli_cert_list(c, &f, v[EXPIRING],
			     "ID       NODE                             KIND     PURPOSE/STORE        SIGNED      "
			     "NOT AFTER            CN",
			     cert_line);
}

static void print_decoded(const cf_certrow *r)
{
	const cf_facts *f = &r->facts;
	char nb[32], na[32];
	cf_time_rfc3339(f->not_before, nb);
	cf_time_rfc3339(f->not_after, na);
	cf_strv ku = {0}, eku = {0};
	cf_ku_names(f->ku, &ku);
	cf_eku_names(f->eku, &eku);
	for (size_t i = 0; i < f->eku_other.n; i++)
		cf_strv_push(&eku, f->eku_other.v[i]);
	char *kus = cf_strv_join(&ku, ", "), *ekus = cf_strv_join(&eku, ", "), *san = cf_strv_join(&f->san, ", "),
	     *ocsp = cf_strv_join(&f->ocsp, ", "), *cdp = cf_strv_join(&f->crl_dp, ", ");
	printf("id:             %lld\n", (long long)r->id);
	printf("node:           %s\n", r->node);
	printf("%-16s%s\n", r->kind == CF_IDENTITY ? "purpose:" : "trust store:", r->name);
	printf("subject:        %s\n", cli_text(f->subject));
	printf("issuer:         %s\n", cli_text(f->issuer));
	printf("serial:         %s\n", f->serial);
	printf("valid:          %s to %s\n", nb, na);
	if (f->key_type == CF_KEY_EC)
		printf("key:            EC %d bits (%s)\n", f->key_bits, f->curve);
	else
		printf("key:            %s %d bits\n", cf_keytype_name(f->key_type), f->key_bits);
	printf("signature hash: %s\n", f->sig_hash);
	printf("SAN:            %s\n", cli_text(san));
	printf("key usage:      %s%s\n", f->has_ku ? kus : "(no extension)",
	       f->key_type == CF_KEY_EC && (f->ku & CF_KU_KEY_AGREEMENT)
		       ? " (EC keys use keyAgreement where RSA uses key/data encipherment)"
		       : "");
	printf("ext key usage:  %s\n", f->has_eku ? ekus : "(no extension)");
	printf("basic:          %s\n", !f->has_basic_constraints ? "(no extension)" : f->ca ? "CA:TRUE" : "CA:FALSE");
	printf("OCSP:           %s\n", cli_text(ocsp));
	printf("CRL DP:         %s\n", cli_text(cdp));
	printf("SHA-256:        %s\n", f->sha256);
	printf("self-signed:    %s\n", f->self_signed ? "yes" : "no");
	printf("distribution:   %s\n", r->distribution);
	printf("source:         %s\n", r->source);
	if (r->description[0] != '\0')
		printf("description:    %s\n", cli_text(r->description));
	free(kus);
	free(ekus);
	free(san);
	free(ocsp);
	free(cdp);
	cf_strv_clear(&ku);
	cf_strv_clear(&eku);
}

int cmd_cert_show(cli *c, int argc, char **argv)
{
	static const char usage[] = "certfleet cert show --node FQDN (--purpose P | --store S --id ID) [--pem]";
	enum { NODE, PURPOSE, STORE, ID, PEM };
	static const struct option opts[] = {
		{"node", required_argument, NULL, 0},  {"purpose", required_argument, NULL, 0},
		{"store", required_argument, NULL, 0}, {"id", required_argument, NULL, 0},
		{"pem", no_argument, NULL, 0},	       {0}};
	const char *v[5] = {0};
	cf_err e = {0};
	cf_node n = {0};
	cf_certrow r = {0};
	int i = cli_parse(c, argc, argv, opts, v, usage);
	if (i < 0)
		return 2;
	if (i != argc || v[NODE] == NULL || (v[PURPOSE] == NULL) == (v[STORE] == NULL) ||
	    (v[STORE] != NULL && v[ID] == NULL))
		return cli_usage(c, usage);
	int rc = cli_store(c, false);
	if (rc != 0)
		return rc;
	cf_code code = cf_store_node_get(c->st, v[NODE], &n, &e);
	if (code == CF_OK && v[PURPOSE] != NULL)
		code = cf_store_identity_get(c->st, n.id, v[PURPOSE], false, &r, &e);
	if (code == CF_OK && v[STORE] != NULL) {
		char *end = NULL;
		long long id = strtoll(v[ID], &end, 10);
		if (*end != '\0' || id <= 0)
			code = cf_err_set(&e, CF_E_USAGE, "--id", "expected a certificate id, not \"%s\"", v[ID]);
		else
			code = cf_store_cert_get(c->st, id, false, &r, &e);
		if (code == CF_OK && (r.kind != CF_TRUST || r.node_id != n.id || strcmp(r.name, v[STORE]) != 0))
			code = cf_err_set(&e, CF_E_NOTFOUND, v[ID], "no such certificate in %s on %s", v[STORE],
					  n.fqdn);
	}
	if (code != CF_OK) {
		cf_node_free(&n);
		cf_certrow_free(&r);
		return cli_fail(c, &e);
	}
	cf_cert *cert = cf_cert_from_der(r.der, r.der_len);
	char *pem = cert ? cf_cert_pem(cert) : NULL;
	if (c->json) {
		json_t *o = cf_json_cert(&r);
		json_object_set_new(o, "pem", json_string(pem ? pem : ""));
		if (r.kind == CF_IDENTITY)
			json_object_set_new(o, "chain_pem", json_string(r.chain_pem));
		cli_json(o);
	} else if (v[PEM] != NULL) {
		fputs(pem ? pem : "", stdout);
		fputs(r.chain_pem, stdout);
	} else {
		print_decoded(&r);
	}
	free(pem);
	cf_cert_free(cert);
	cf_node_free(&n);
	cf_certrow_free(&r);
	return 0;
}

/* Prints the identity certificates a change created and what it reports. */
static int print_change(cli *c, const cf_outcome *out, const char *verb)
{
	if (c->json) {
		json_t *o = json_object(), *items = json_array();
		for (size_t i = 0; i < out->n_ids; i++) {
			cf_certrow r = {0};
			if (cf_store_cert_get(c->st, out->ids[i], false, &r, NULL) == CF_OK)
				json_array_append_new(items, cf_json_cert(&r));
			cf_certrow_free(&r);
		}
		json_object_set_new(o, "items", items);
		cf_json_outcome(o, out);
		cli_json(o);
		return 0;
	}
	for (size_t i = 0; i < out->n_ids; i++) {
		cf_certrow r = {0};
		if (cf_store_cert_get(c->st, out->ids[i], false, &r, NULL) == CF_OK && r.kind == CF_IDENTITY)
			printf("%s %s on %s (id %lld, sha256 %s)\n", verb, r.name, r.node, (long long)r.id,
			       r.facts.sha256);
		cf_certrow_free(&r);
	}
	cli_print_outcome(out);
	return 0;
}

int cmd_cert_self_signed(cli *c, int argc, char **argv)
{
	static const char usage[] = "certfleet cert self-signed --node FQDN --purpose P [--key SPEC] [--hash H] "
				    "[--days N] [--multi-server] [--force]";
	enum { NODE, PURPOSE, KEY, HASH, DAYS, MULTI, FORCE };
	static const struct option opts[] = {
		{"node", required_argument, NULL, 0}, {"purpose", required_argument, NULL, 0},
		{"key", required_argument, NULL, 0},  {"hash", required_argument, NULL, 0},
		{"days", required_argument, NULL, 0}, {"multi-server", no_argument, NULL, 0},
		{"force", no_argument, NULL, 0},      {0}};
	const char *v[7] = {0};
	cf_err e = {0};
	cf_outcome out = {0};
	int i = cli_parse(c, argc, argv, opts, v, usage);
	if (i < 0)
		return 2;
	if (i != argc || v[NODE] == NULL || v[PURPOSE] == NULL)
		return cli_usage(c, usage);
	cli_audit_object(c, "%s on %s%s", v[PURPOSE], v[NODE], v[FORCE] ? " (forced)" : "");
	cf_issue_opts o = {.key = v[KEY], .hash = v[HASH], .multi_server = v[MULTI] != NULL, .force = v[FORCE] != NULL};
	if (v[DAYS] != NULL) {
		char *end = NULL;
		long days = strtol(v[DAYS], &end, 10);
		if (*end != '\0' || days < 1 || days > 36500) {
			cf_err_set(&e, CF_E_INPUT, "--days", "expected 1 to 36500 days, not \"%s\"", v[DAYS]);
			return cli_fail(c, &e);
		}
		o.days = (int)days;
	}
	int rc = cli_store(c, false);
	if (rc != 0)
		return rc;
	if (cf_identity_self_signed(c->st, v[NODE], v[PURPOSE], &o, &out, &e) != CF_OK) {
		cf_outcome_free(&out);
		return cli_fail(c, &e);
	}
	rc = print_change(c, &out, "self-signed");
	cf_outcome_free(&out);
	return rc;
}

int cmd_cert_upload(cli *c, int argc, char **argv)
{
	static const char usage[] =
		"certfleet cert upload --node FQDN --purpose P FILE [--key KEYFILE] [--description TEXT] [--force]";
	enum { NODE, PURPOSE, KEY, DESC, FORCE };
	static const struct option opts[] = {
		{"node", required_argument, NULL, 0}, {"purpose", required_argument, NULL, 0},
		{"key", required_argument, NULL, 0},  {"description", required_argument, NULL, 0},
		{"force", no_argument, NULL, 0},      {0}};
	const char *v[5] = {0};
	cf_err e = {0};
	cf_outcome out = {0};
	uint8_t *buf = NULL, *key = NULL;
	size_t len = 0, key_len = 0;
	int i = cli_parse(c, argc, argv, opts, v, usage);
	if (i < 0)
		return 2;
	if (argc - i != 1 || v[NODE] == NULL || v[PURPOSE] == NULL)
		return cli_usage(c, usage);
	cli_audit_object(c, "%s on %s%s", v[PURPOSE], v[NODE], v[FORCE] ? " (forced)" : "");
	int rc = cli_read(c, argv[i], CF_INPUT_MAX, &buf, &len);
	if (rc == 0 && v[KEY] != NULL)
		rc = cli_read(c, v[KEY], CF_INPUT_MAX, &key, &key_len);
	if (rc == 0)
		rc = cli_store(c, false);
	if (rc == 0 && cf_identity_upload(c->st, v[NODE], v[PURPOSE], argv[i], buf, len, v[KEY], key, key_len, v[DESC],
					  v[FORCE] != NULL, &out, &e) != CF_OK)
		rc = cli_fail(c, &e);
	if (rc == 0)
		rc = print_change(c, &out, "uploaded");
	cf_secret_wipe(key, key_len);
	free(key);
	cf_secret_wipe(buf, len); /* a key given by mistake as FILE is refused, but it was read */
	free(buf);
	cf_outcome_free(&out);
	return rc;
}
