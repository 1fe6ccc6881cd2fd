/* ca create|import|list|show|config|issue|revoke|crl, csr sign */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/ca/ca.h"
#include "core/ca/ocsp.h"
#include "core/ca/revoke.h"
#include "core/ca/sign.h"
#include "core/view/cajson.h"
#include "net_transport.h"
#include "util/clock.h"
#include "util/fileio.h"
#include "util/secret.h"

#define CA_KEY_MAX (64u * 1024u)

/* --now when given, else the clock; 0 or an exit code. */
static int now_of(cli *c, int64_t *now)
{
	*now = cf_clock_now();
	return cli_val(c, "now") != NULL ? cli_now(c, cli_val(c, "now"), now) : 0;
}

/* A whole number of days from an option (0 when not given); 0 or an exit code. */
static int days_of(cli *c, const char *opt, int *out)
{
	const char *v = cli_val(c, opt);
	*out = 0;
	if (v == NULL)
		return 0;
	char *end = NULL;
	long n = strtol(v, &end, 10);
	if (end == v || *end != '\0' || n < 1 || n > 36500) {
		cf_err e = {0};
		char subject[40];
		snprintf(subject, sizeof(subject), "--%s", opt);
		cf_err_set(&e, CF_E_USAGE, subject, "expected a number of days from 1 to 36500, not \"%s\"", v);
		return cli_fail(c, &e);
	}
	*out = (int)n;
	return 0;
}

/* A period like "72h", "30m", "3d" or "3600" (seconds) from an option (-1 when not given); 0 or
 * an exit code. */
static int period_of(cli *c, const char *opt, int64_t *out)
{
	const char *v = cli_val(c, opt);
	*out = -1;
	if (v == NULL)
		return 0;
	char *end = NULL;
	long long n = strtoll(v, &end, 10);
	int64_t unit = end == NULL			       ? 0
		       : *end == '\0' || strcmp(end, "s") == 0 ? 1
		       : strcmp(end, "m") == 0		       ? 60
		       : strcmp(end, "h") == 0		       ? 3600
		       : strcmp(end, "d") == 0		       ? 86400
							       : 0;
	if (end == v || unit == 0 || n < 1 || n > 10LL * 365 * 86400 / unit) {
		cf_err e = {0};
		char subject[40];
		snprintf(subject, sizeof(subject), "--%s", opt);
		cf_err_set(&e, CF_E_USAGE, subject, "expected a period like 72h, 30m, 3d or 3600 (seconds), not \"%s\"",
			   v);
		return cli_fail(c, &e);
	}
	*out = (int64_t)n * unit;
	return 0;
}

static void print_ca(cli *c, const cf_carow *r)
{
	if (c->json) {
		cli_json(cf_cajson_ca(r));
		return;
	}
	char nb[32], na[32], crl[512], ocsp[512];
	cf_time_rfc3339(r->not_before, nb);
	cf_time_rfc3339(r->not_after, na);
	cf_ca_urls(r, crl, ocsp);
	printf("CA %s%s%s%s\n", cli_text(r->name),
	       r->parent[0]  ? " (under "
	       : r->imported ? " (imported)"
			     : " (root)",
	       r->parent[0] ? cli_text(r->parent) : "", r->parent[0] ? ")" : "");
	printf("subject:        %s\n", cli_text(r->subject));
	printf("valid:          %s to %s\n", nb, na);
	printf("sha256:         %s\n", r->sha256);
	printf("base URL:       %s\n", r->base_url[0] ? cli_text(r->base_url) : "(none: no CRL DP or OCSP AIA)");
	if (crl[0])
		printf("CRL at:         %s\nOCSP at:        %s\n", cli_text(crl), cli_text(ocsp));
	printf("CRL:            valid %llds, made every %llds; last number %lld\n", (long long)r->crl_validity,
	       (long long)r->crl_interval, (long long)r->crl_number);
	printf("OCSP answers:   valid %llds, signed by %s\n", (long long)r->ocsp_validity,
	       r->ocsp_der_len ? "a delegated responder" : "the CA");
}

int cmd_ca_create(cli *c, int argc, char **argv)
{
	cf_err e = {0};
	int i = cli_parse(c, argc, argv);
	if (i < 0)
		return 2;
	cli_audit_object(c, "%s", argv[i]);
	int days = 0, rc = days_of(c, "days", &days);
	int64_t now = 0;
	if (rc == 0)
		rc = now_of(c, &now);
	cf_ca_spec spec = {.name = argv[i],
			   .parent = cli_val(c, "parent"),
			   .key = cli_val(c, "key"),
			   .subject = cli_val(c, "subject"),
			   .days = days,
			   .hash = cli_val(c, "hash")};
	if (rc == 0 && cli_val(c, "pathlen") != NULL) {
		char *end = NULL;
		long n = strtol(cli_val(c, "pathlen"), &end, 10);
		if (end == cli_val(c, "pathlen") || *end != '\0' || n < 0 || n > 16) {
			cf_err_set(&e, CF_E_USAGE, "--pathlen", "expected 0 to 16");
			return cli_fail(c, &e);
		}
		spec.pathlen = (int)n;
		spec.pathlen_set = true;
	}
	if (rc != 0 || (rc = cli_store(c, false)) != 0)
		return rc;
	cf_carow r = {0};
	if (cf_ca_create(c->st, &c->actor, &spec, now, &r, &e) != CF_OK)
		return cli_fail(c, &e);
	c->audit_action = NULL; /* recorded with the change */
	print_ca(c, &r);
	cf_carow_free(&r);
	return 0;
}

int cmd_ca_import(cli *c, int argc, char **argv)
{
	cf_err e = {0};
	int i = cli_parse(c, argc, argv);
	if (i < 0)
		return 2;
	cli_audit_object(c, "%s", argv[i]);
	uint8_t *cert = NULL, *key = NULL;
	size_t cert_len = 0, key_len = 0;
	int rc = cli_store(c, false);
	if (rc == 0)
		rc = cli_read(c, cli_val(c, "cert"), CF_INPUT_MAX, &cert, &cert_len);
	if (rc == 0)
		rc = cli_read(c, cli_val(c, "key"), CA_KEY_MAX, &key, &key_len);
	cf_carow r = {0};
	if (rc == 0 && cf_ca_import(c->st, &c->actor, argv[i], cli_val(c, "cert"), cert, cert_len, cli_val(c, "key"),
				    key, key_len, cf_clock_now(), &r, &e) != CF_OK)
		rc = cli_fail(c, &e);
	else if (rc == 0) {
		c->audit_action = NULL;
		print_ca(c, &r);
	}
	if (key != NULL)
		cf_secret_wipe(key, key_len);
	free(key);
	free(cert);
	cf_carow_free(&r);
	return rc;
}

int cmd_ca_list(cli *c, int argc, char **argv)
{
	cf_err e = {0};
	cf_carow *v = NULL;
	size_t n = 0;
	if (cli_parse(c, argc, argv) < 0)
		return 2;
	int rc = cli_store(c, false);
	if (rc != 0)
		return rc;
	if (cf_store_ca_list(c->st, &v, &n, &e) != CF_OK)
		return cli_fail(c, &e);
	json_t *items = c->json ? json_array() : NULL;
	if (!c->json)
		printf("%-20s %-20s %-21s %8s %8s  %s\n", "NAME", "PARENT", "NOT AFTER", "ISSUED", "REVOKED",
		       "SUBJECT");
	for (size_t k = 0; k < n; k++) {
		char na[32];
		cf_time_rfc3339(v[k].not_after, na);
		if (c->json)
			json_array_append_new(items, cf_cajson_ca(&v[k]));
		else
			printf("%-20s %-20s %-21s %8lld %8lld  %s\n", cli_text(v[k].name),
			       v[k].parent[0] ? cli_text(v[k].parent) : "-", na, (long long)v[k].issued,
			       (long long)v[k].revoked, cli_text(v[k].subject));
		cf_carow_free(&v[k]);
	}
	free(v);
	if (c->json)
		cli_json(json_pack("{s:o}", "items", items));
	return 0;
}

int cmd_ca_show(cli *c, int argc, char **argv)
{
	cf_err e = {0};
	int i = cli_parse(c, argc, argv);
	if (i < 0)
		return 2;
	int rc = cli_store(c, false);
	if (rc != 0)
		return rc;
	cf_carow r = {0};
	if (cf_store_ca_get(c->st, argv[i], false, &r, &e) != CF_OK)
		return cli_fail(c, &e);
	cf_cert *cert = cf_cert_from_der(r.der, r.der_len);
	char *pem = cert ? cf_cert_pem(cert) : NULL;
	if (c->json) {
		json_t *o = cf_cajson_ca(&r);
		json_object_set_new(o, "pem", json_string(pem ? pem : ""));
		cli_json(o);
	} else if (cli_val(c, "pem") != NULL) {
		fputs(pem ? pem : "", stdout);
	} else {
		print_ca(c, &r);
	}
	free(pem);
	cf_cert_free(cert);
	cf_carow_free(&r);
	return 0;
}

int cmd_ca_config(cli *c, int argc, char **argv)
{
	cf_err e = {0};
	int i = cli_parse(c, argc, argv);
	if (i < 0)
		return 2;
	cli_audit_object(c, "%s", argv[i]);
	cf_ca_settings set = {.base_url = cli_val(c, "base-url")};
	int rc = period_of(c, "crl-validity", &set.crl_validity);
	if (rc == 0)
		rc = period_of(c, "crl-interval", &set.crl_interval);
	if (rc == 0)
		rc = period_of(c, "ocsp-validity", &set.ocsp_validity);
	const char *responder = cli_val(c, "ocsp-responder");
	if (rc == 0 && responder != NULL && strcmp(responder, "ca") != 0 && strcmp(responder, "delegated") != 0) {
		cf_err_set(&e, CF_E_USAGE, "--ocsp-responder", "expected ca or delegated, not \"%s\"", responder);
		return cli_fail(c, &e);
	}
	if (rc != 0 || (rc = cli_store(c, false)) != 0)
		return rc;
	cf_carow r = {0};
	if (cf_ca_config(c->st, &c->actor, argv[i], &set, &r, &e) != CF_OK)
		return cli_fail(c, &e);
	if (responder != NULL) {
		cf_carow_free(&r);
		if (cf_ca_ocsp_responder_set(c->st, &c->actor, argv[i], strcmp(responder, "delegated") == 0,
					     cf_clock_now(), &e) != CF_OK ||
		    cf_store_ca_get(c->st, argv[i], false, &r, &e) != CF_OK)
			return cli_fail(c, &e);
	}
	c->audit_action = NULL;
	print_ca(c, &r);
	cf_carow_free(&r);
	return 0;
}

static int issue_batch(cli *c, const cf_ca_issue_spec *spec, int64_t now)
{
	cf_err e = {0};
	cf_ca_batch b = {0};
	if (cf_ca_issue_batch(c->st, &c->actor, cli_val(c, "ca"), spec, cli_val(c, "batch"), cli_val(c, "out"), now, &b,
			      &e) != CF_OK)
		return cli_fail(c, &e);
	c->audit_action = NULL;
	if (c->json)
		cli_json(json_pack("{s:I,s:s,s:f}", "issued", (json_int_t)b.issued, "out", cli_val(c, "out"), "seconds",
				   b.seconds));
	else
		printf("%zu certificates issued by %s into %s (%.3f s, %.0f/s)\n", b.issued, cli_text(cli_val(c, "ca")),
		       cli_text(cli_val(c, "out")), b.seconds, b.seconds > 0 ? (double)b.issued / b.seconds : 0.0);
	return 0;
}

int cmd_ca_issue(cli *c, int argc, char **argv)
{
	cf_err e = {0};
	int i = cli_parse(c, argc, argv);
	if (i < 0)
		return 2;
	bool batch = cli_val(c, "batch") != NULL;
	if (batch != (cli_val(c, "out") != NULL) || batch == (i < argc))
		return cli_usage(c);
	cli_audit_object(c, "%s", cli_val(c, "ca"));
	cf_ca_issue_spec spec = {.profile = cli_val(c, "profile")};
	int64_t now = 0;
	int rc = days_of(c, "days", &spec.days);
	if (rc == 0)
		rc = now_of(c, &now);
	if (rc != 0 || (rc = cli_store(c, false)) != 0)
		return rc;
	if (batch)
		return issue_batch(c, &spec, now);
	uint8_t *buf = NULL;
	size_t len = 0;
	if ((rc = cli_read(c, argv[i], CF_INPUT_MAX, &buf, &len)) != 0)
		return rc;
	char *pem = NULL, serial[64];
	if (cf_ca_issue(c->st, &c->actor, cli_val(c, "ca"), &spec, argv[i], buf, len, now, &pem, serial, &e) != CF_OK)
		rc = cli_fail(c, &e);
	else {
		c->audit_action = NULL;
		if (c->json)
			cli_json(json_pack("{s:s,s:s}", "serial", serial, "pem", pem));
		else
			fputs(pem, stdout);
	}
	free(pem);
	free(buf);
	return rc;
}

int cmd_ca_revoke(cli *c, int argc, char **argv)
{
	cf_err e = {0};
	if (cli_parse(c, argc, argv) < 0)
		return 2;
	cli_audit_object(c, "%s %s", cli_val(c, "ca"), cli_val(c, "serial"));
	int reason = -1;
	int64_t now = 0;
	int rc = now_of(c, &now);
	if (rc != 0)
		return rc;
	if (cf_ca_reason_parse(cli_val(c, "reason"), &reason, &e) != CF_OK)
		return cli_fail(c, &e);
	if ((rc = cli_store(c, false)) != 0)
		return rc;
	if (cf_ca_revoke(c->st, &c->actor, cli_val(c, "ca"), cli_val(c, "serial"), reason, now, &e) != CF_OK)
		return cli_fail(c, &e);
	c->audit_action = NULL;
	char norm[64];
	cf_ca_serial_parse(cli_val(c, "serial"), norm, NULL);
	if (c->json)
		cli_json(json_pack("{s:s,s:s,s:s}", "ca", cli_val(c, "ca"), "serial", norm, "reason",
				   cli_val(c, "reason") ? cli_val(c, "reason") : "unspecified"));
	else
		printf("%s revoked by %s; its CRL is made again\n", norm, cli_text(cli_val(c, "ca")));
	return 0;
}

int cmd_ca_crl(cli *c, int argc, char **argv)
{
	cf_err e = {0};
	if (cli_parse(c, argc, argv) < 0)
		return 2;
	int64_t now = 0;
	int rc = now_of(c, &now);
	if (rc != 0 || (rc = cli_store(c, false)) != 0)
		return rc;
	uint8_t *der = NULL;
	size_t len = 0;
	if (cf_ca_crl_current(c->st, cli_val(c, "ca"), now, &der, &len, &e) != CF_OK)
		return cli_fail(c, &e);
	const char *out = cli_val(c, "out");
	if (out != NULL) {
		cf_write_opts wo = {.mode = 0644, .uid = (uid_t)-1, .gid = (gid_t)-1};
		if (cf_file_write_atomic(out, der, len, &wo, &e) != CF_OK)
			rc = cli_fail(c, &e);
		else if (c->json)
			cli_json(json_pack("{s:s,s:I}", "out", out, "bytes", (json_int_t)len));
	} else if (fwrite(der, 1, len, stdout) != len) {
		cf_err_set(&e, CF_E_INTERNAL, "stdout", "cannot write the CRL");
		rc = cli_fail(c, &e);
	}
	free(der);
	return rc;
}

int cmd_csr_sign(cli *c, int argc, char **argv)
{
	cf_err e = {0};
	if (cli_parse(c, argc, argv) < 0)
		return 2;
	const char *node = cli_val(c, "node"), *purpose = cli_val(c, "purpose");
	cli_audit_object(c, "%s on %s", purpose, node);
	int64_t now = 0;
	int rc = now_of(c, &now);
	if (rc != 0 || (rc = cli_store(c, false)) != 0)
		return rc;
	cf_outcome out = {0};
	char serial[64] = "";
	if (cf_ca_csr_sign(c->st, cf_net_transport(), &c->actor, node, purpose, cli_val(c, "ca"), now, &out, serial,
			   &e) != CF_OK) {
		cf_outcome_free(&out);
		return cli_fail(c, &e);
	}
	c->audit_action = NULL;
	if (!c->json)
		fprintf(stderr, "note: serial %s, issued by %s\n", serial, cli_text(cli_val(c, "ca")));
	cli_print_change(c, &out, "signed and installed");
	cf_outcome_free(&out);
	return 0;
}
