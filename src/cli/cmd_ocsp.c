/* ocsp check: a certificate's status from its OCSP responder (SPEC §6.1) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "net/ocsp_http.h"
#include "util/clock.h"
#include "util/fileio.h"

/* What the check works with; every field owned. */
typedef struct ocsp_input {
	cf_cert **file; /* the certificate, then any chain given with it */
	size_t n_file;
	cf_cert **issuers; /* candidates from --issuer or --node/--store */
	size_t n_issuers;
	cf_cert *issuer;   /* borrowed from file or issuers */
	cf_cert **trusted; /* --node's tomcat-trust */
	size_t n_trusted;
	cf_facts facts; /* of the certificate */
} ocsp_input;

static void input_free(ocsp_input *in)
{
	cf_certs_free(in->file, in->n_file);
	cf_certs_free(in->issuers, in->n_issuers);
	cf_certs_free(in->trusted, in->n_trusted);
	cf_facts_free(&in->facts);
}

/* The trust certificates of a node's store ("tomcat-trust" for responders). */
static int store_certs(cli *c, const char *node, const char *store, cf_cert ***out, size_t *n)
{
	cf_node nd = {0};
	cf_err e = {0};
	int rc = cli_store(c, false);
	if (rc == 0 && (cf_store_node_get(c->st, node, &nd, &e) != CF_OK ||
			cf_store_trust_certs(c->st, nd.id, store, out, n, &e) != CF_OK))
		rc = cli_fail(c, &e);
	cf_node_free(&nd);
	return rc;
}

/* The first of v that issued cert, or NULL. */
static cf_cert *issuer_in(const cf_cert *cert, cf_cert **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (cf_cert_issued_by(cert, v[i]))
			return v[i];
	return NULL;
}

/* Reads the certificate, finds its issuer and the trusted responders. */
static int load_input(cli *c, const char *file, ocsp_input *in)
{
	cf_err e = {0};
	int rc = cli_read_certs(c, file, CF_INPUT_MAX, &in->file, &in->n_file);
	if (rc != 0)
		return rc;
	if (cf_cert_facts(in->file[0], &in->facts, &e) != CF_OK)
		return cli_fail(c, &e);
	if (cli_val(c, "issuer") != NULL)
		rc = cli_read_certs(c, cli_val(c, "issuer"), CF_INPUT_MAX, &in->issuers, &in->n_issuers);
	else if ((in->issuer = issuer_in(in->file[0], in->file + 1, in->n_file - 1)) == NULL &&
		 cli_val(c, "store") != NULL)
		rc = store_certs(c, cli_val(c, "node"), cli_val(c, "store"), &in->issuers, &in->n_issuers);
	if (rc == 0 && in->issuer == NULL &&
	    (in->issuer = issuer_in(in->file[0], in->issuers, in->n_issuers)) == NULL) {
		cf_err_set(&e, CF_E_INPUT, file,
			   cli_val(c, "issuer") != NULL
				   ? "the certificate was not issued by any certificate of --issuer"
				   : "no issuer: give --issuer, the chain after the certificate, or --store");
		rc = cli_fail(c, &e);
	}
	if (rc == 0 && cli_val(c, "node") != NULL)
		rc = store_certs(c, cli_val(c, "node"), "tomcat-trust", &in->trusted, &in->n_trusted);
	return rc;
}

static json_t *answer_json(const cf_ocsp_http_answer *a, const char *url)
{
	const cf_ocsp_result *r = &a->result;
	char tu[32], nu[32];
	cf_time_rfc3339(r->this_update, tu);
	cf_time_rfc3339(r->next_update, nu);
	json_t *o = json_pack(
		"{s:s, s:s, s:s, s:s, s:s, s:o, s:s, s:s, s:b, s:b, s:b}", "status", cf_ocsp_status_name(r->status),
		"trust_model", cf_ocsp_trust_name(r->trust), "responder", r->responder, "url", url, "this_update", tu,
		"next_update", r->next_update != 0 ? json_string(nu) : json_null(), "certid_hash", r->certid_hash,
		"nonce", r->nonce, "sha1_fallback", a->sha1_fallback, "nocheck", r->nocheck, "cached", a->cached);
	if (r->status == CF_OCSP_REVOKED) {
		char ra[32];
		cf_time_rfc3339(r->revoked_at, ra);
		json_object_set_new(o, "revoked_at", json_string(ra));
		if (r->reason[0] != '\0')
			json_object_set_new(o, "reason", json_string(r->reason));
	}
	return o;
}

static void print_answer(const cf_ocsp_http_answer *a, const char *url)
{
	const cf_ocsp_result *r = &a->result;
	char t[32];
	printf("%s (%s)\n", cf_ocsp_status_name(r->status), cf_ocsp_trust_name(r->trust));
	printf("responder    %s\n", cli_text(r->responder));
	printf("url          %s\n", cli_text(url));
	if (r->status == CF_OCSP_REVOKED) {
		cf_time_rfc3339(r->revoked_at, t);
		printf("revoked at   %s%s%s\n", t, r->reason[0] != '\0' ? ", " : "", r->reason);
	}
	cf_time_rfc3339(r->this_update, t);
	printf("this update  %s\n", t);
	cf_time_rfc3339(r->next_update, t);
	printf("next update  %s\n", r->next_update != 0 ? t : "(none)");
	printf("certid hash  %s\n", r->certid_hash);
	printf("nonce        %s\n", r->nonce);
	if (a->sha1_fallback)
		printf("note: the responder answered %s to the SHA-256 CertID; asked again with SHA-1\n", a->refused);
	if (r->trust == CF_OCSP_DELEGATED && r->nocheck)
		printf("note: the responder certificate carries id-pkix-ocsp-nocheck\n");
}

int cmd_ocsp_check(cli *c, int argc, char **argv)
{
	ocsp_input in = {0};
	cf_ocsp_http_answer a = {0};
	cf_err e = {0};
	int i = cli_parse(c, argc, argv);
	if (i < 0)
		return 2;
	if (i != argc - 1 || (cli_val(c, "store") != NULL && cli_val(c, "node") == NULL))
		return cli_usage(c);
	int rc = load_input(c, argv[i], &in);
	const char *url = cli_val(c, "url") != NULL ? cli_val(c, "url")
			  : in.facts.ocsp.n > 0	    ? in.facts.ocsp.v[0]
						    : NULL;
	if (rc == 0 && url == NULL) {
		cf_err_set(&e, CF_E_INPUT, argv[i], "the certificate names no OCSP responder (AIA); give --url");
		rc = cli_fail(c, &e);
	}
	if (rc == 0) {
		cf_ocsp_http_query q = {url,	    in.file[0],	    in.issuer,
					in.trusted, in.n_trusted,   cli_val(c, "sha1") != NULL,
					true,	    cf_clock_now(), 0};
		if (cf_ocsp_http_ask(&q, &a, &e) != CF_OK)
			rc = cli_fail(c, &e);
	}
	if (rc == 0) {
		if (c->json)
			cli_json(answer_json(&a, url));
		else
			print_answer(&a, url);
		bool bad = a.result.status == CF_OCSP_REVOKED ||
			   (a.result.status == CF_OCSP_UNKNOWN && cli_val(c, "strict"));
		rc = bad ? CF_E_FINDINGS : 0;
	}
	cf_ocsp_http_answer_clear(&a);
	input_free(&in);
	return rc;
}
