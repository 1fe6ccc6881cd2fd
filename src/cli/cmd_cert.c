/* cert list|show|self-signed|upload */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/view/certjson.h"
#include "core/lifecycle/identity.h"
#include "net_transport.h"
#include "util/clock.h"
#include "util/fileio.h"
#include "util/secret.h"

static void cert_line(const cf_certrow *r)
{
	char na[32];
	cf_time_rfc3339(r->facts.not_after, na);
	printf("%-8lld %-32s %-8s %-20s %-11s %-20s %s\n", (long long)r->id, r->node,
	       r->kind == CF_IDENTITY	? "identity"
	       : r->kind == CF_LOCAL_CA ? "local-ca"
					: "trust",
	       r->name, r->facts.self_signed ? "self-signed" : "CA-signed", na, cli_text(r->facts.cn));
}

int cmd_cert_list(cli *c, int argc, char **argv)
{
	int i = cli_parse(c, argc, argv);
	if (i < 0)
		return 2;
	cf_certfilter f = {.node = cli_val(c, "node"),
			   .purpose = cli_val(c, "purpose"),
			   .store = cli_val(c, "store"),
			   .begins_with = cli_val(c, "begins-with")};
	return cli_cert_list(c, &f, cli_val(c, "expiring"),
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
	cf_err e = {0};
	cf_node n = {0};
	cf_certrow r = {0};
	int i = cli_parse(c, argc, argv);
	if (i < 0)
		return 2;
	if (i != argc || cli_val(c, "node") == NULL ||
	    (cli_val(c, "purpose") == NULL) == (cli_val(c, "store") == NULL) ||
	    (cli_val(c, "store") != NULL && cli_val(c, "id") == NULL))
		return cli_usage(c);
	int rc = cli_store(c, false);
	if (rc != 0)
		return rc;
	cf_code code = cf_store_node_get(c->st, cli_val(c, "node"), &n, &e);
	if (code == CF_OK && cli_val(c, "purpose") != NULL)
		code = cf_store_identity_get(c->st, n.id, cli_val(c, "purpose"), false, &r, &e);
	if (code == CF_OK && cli_val(c, "store") != NULL) {
		char *end = NULL;
		long long id = strtoll(cli_val(c, "id"), &end, 10);
		if (*end != '\0' || id <= 0)
			code = cf_err_set(&e, CF_E_USAGE, "--id", "expected a certificate id, not \"%s\"",
					  cli_val(c, "id"));
		else
			code = cf_store_cert_get(c->st, id, false, &r, &e);
		if (code == CF_OK &&
		    (r.kind != CF_TRUST || r.node_id != n.id || strcmp(r.name, cli_val(c, "store")) != 0))
			code = cf_err_set(&e, CF_E_NOTFOUND, cli_val(c, "id"), "no such certificate in %s on %s",
					  cli_val(c, "store"), n.fqdn);
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
	} else if (cli_val(c, "pem") != NULL) {
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
int cli_print_change(cli *c, const cf_outcome *out, const char *verb)
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
	cf_err e = {0};
	cf_outcome out = {0};
	int i = cli_parse(c, argc, argv);
	if (i < 0)
		return 2;
	cli_audit_object(c, "%s on %s%s", cli_val(c, "purpose"), cli_val(c, "node"),
			 cli_val(c, "force") ? " (forced)" : "");
	cf_issue_opts o = {.key = cli_val(c, "key"),
			   .hash = cli_val(c, "hash"),
			   .multi_server = cli_val(c, "multi-server") != NULL,
			   .force = cli_val(c, "force") != NULL};
	if (cli_val(c, "days") != NULL) {
		char *end = NULL;
		long days = strtol(cli_val(c, "days"), &end, 10);
		if (*end != '\0' || days < 1 || days > 36500) {
			cf_err_set(&e, CF_E_INPUT, "--days", "expected 1 to 36500 days, not \"%s\"",
				   cli_val(c, "days"));
			return cli_fail(c, &e);
		}
		o.days = (int)days;
	}
	int rc = cli_store(c, false);
	if (rc != 0)
		return rc;
	if (cf_identity_self_signed(c->st, cli_val(c, "node"), cli_val(c, "purpose"), &o, &out, &e) != CF_OK) {
		cf_outcome_free(&out);
		return cli_fail(c, &e);
	}
	rc = cli_print_change(c, &out, "self-signed");
	cf_outcome_free(&out);
	return rc;
}

int cmd_cert_upload(cli *c, int argc, char **argv)
{
	cf_err e = {0};
	cf_outcome out = {0};
	uint8_t *buf = NULL, *key = NULL;
	size_t len = 0, key_len = 0;
	int i = cli_parse(c, argc, argv);
	if (i < 0)
		return 2;
	cli_audit_object(c, "%s on %s%s", cli_val(c, "purpose"), cli_val(c, "node"),
			 cli_val(c, "force") ? " (forced)" : "");
	int rc = cli_read(c, argv[i], CF_INPUT_MAX, &buf, &len);
	if (rc == 0 && cli_val(c, "key") != NULL)
		rc = cli_read(c, cli_val(c, "key"), CF_INPUT_MAX, &key, &key_len);
	if (rc == 0)
		rc = cli_store(c, false);
	if (rc == 0 && cf_identity_upload(c->st, cf_net_transport(), cli_val(c, "node"), cli_val(c, "purpose"), argv[i],
					  buf, len, cli_val(c, "key"), key, key_len, cli_val(c, "description"),
					  cli_val(c, "force") != NULL, &out, &e) != CF_OK)
		rc = cli_fail(c, &e);
	if (rc == 0)
		rc = cli_print_change(c, &out, "uploaded");
	cf_secret_wipe(key, key_len);
	free(key);
	cf_secret_wipe(buf, len); /* a key given by mistake as FILE is refused, but it was read */
	free(buf);
	cf_outcome_free(&out);
	return rc;
}
