/* trust fetch: the certificate import tool (SPEC §3.6). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "core/certjson.h"
#include "core/fetch.h"
#include "util/clock.h"

static json_t *cert_json(const cf_facts *f)
{
	char nb[32], na[32];
	cf_time_rfc3339(f->not_before, nb);
	cf_time_rfc3339(f->not_after, na);
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:b, s:b}", "sha256", f->sha256, "subject",
			      f->subject, "issuer", f->issuer, "not_before", nb, "not_after", na, "key_type",
			      cf_keytype_name(f->key_type), "key_bits", f->key_bits, "self_signed", f->self_signed,
			      "ca", f->ca);
	if (o != NULL && f->key_type == CF_KEY_EC)
		json_object_set_new(o, "curve", json_string(f->curve));
	return o;
}

/* A string member, or null when s is empty. */
static void set_str(json_t *o, const char *key, const char *s)
{
	json_object_set_new(o, key, s != NULL && s[0] != '\0' ? json_string(s) : json_null());
}

static json_t *report_json(const cf_fetch_result *r, const char *starttls)
{
	const cf_tls_peer *t = &r->tls;
	json_t *o = json_object(), *chain = json_array();
	json_object_set_new(o, "target", json_string(r->target));
	json_object_set_new(o, "host", json_string(r->peer.host));
	json_object_set_new(o, "port", json_integer(atoi(r->peer.port)));
	set_str(o, "starttls", starttls);
	set_str(o, "sni", r->sni);
	json_object_set_new(o, "connected", json_true());
	json_object_set_new(o, "downloaded", json_true());
	json_object_set_new(o, "handshake_completed", json_boolean(t->completed));
	if (!t->completed)
		json_object_set_new(o, "handshake_error", json_string(t->failure));
	set_str(o, "tls_version", t->version);
	set_str(o, "cipher", t->cipher);
	json_object_set_new(o, "key_type", json_string(t->key_type));
	set_str(o, "signature", t->signature);
	json_object_set_new(o, "verified", json_boolean(t->verified));
	if (!t->verified)
		json_object_set_new(o, "verify_error", json_string(t->verify_error));
	for (size_t i = 0; i < t->n_chain; i++)
		json_array_append_new(chain, cert_json(&r->facts[i]));
	json_object_set_new(o, "chain", chain);
	return o;
}

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

static json_t *import_json(const cf_fetch_result *r, const char *node, const char *store, const cf_outcome *out,
			   size_t skipped)
{
	json_t *o = json_object(), *ids = json_array(), *skip = json_array();
	for (size_t i = 0; i < out->n_ids; i++)
		json_array_append_new(ids, json_integer(out->ids[i]));
	for (size_t i = 0; i < skipped; i++)
		json_array_append_new(skip, json_string(r->facts[i].sha256));
	json_object_set_new(o, "node", json_string(node));
	json_object_set_new(o, "store", json_string(store));
	json_object_set_new(o, "ids", ids);
	json_object_set_new(o, "count", json_integer((json_int_t)out->n_ids));
	json_object_set_new(o, "skipped", skip);
	cf_json_outcome(o, out);
	return o;
}

int cmd_trust_fetch(cli *c, int argc, char **argv)
{
	static const char usage[] = "certfleet trust fetch HOST:PORT [--starttls xmpp|smtp|ldap] [--sni NAME] "
				    "[--import --node FQDN --store S]";
	enum { STARTTLS, SNI, IMPORT, NODE, STORE };
	static const struct option opts[] = {
		{"starttls", required_argument, NULL, 0}, {"sni", required_argument, NULL, 0},
		{"import", no_argument, NULL, 0},	  {"node", required_argument, NULL, 0},
		{"store", required_argument, NULL, 0},	  {0}};
	const char *v[5] = {0};
	cf_err e = {0};
	cf_fetch_result r = {0};
	cf_outcome out = {0};
	size_t skipped = 0;
	int i = cli_parse(c, argc, argv, opts, v, usage);
	if (i < 0)
		return 2;
	bool import = v[IMPORT] != NULL;
	if (argc - i != 1 || import != (v[NODE] != NULL) || import != (v[STORE] != NULL))
		return cli_usage(c, usage);

	if (import)
		cli_audit_object(c, "%s from %s", v[STORE], argv[i]); /* refused imports are audited too */
	else
		c->audit_action = NULL;		   /* only looking changes nothing */
	int rc = import ? cli_store(c, false) : 0; /* a missing store fails before the network */
	cf_fetch_req req = {.target = argv[i], .starttls = v[STARTTLS], .sni = v[SNI]};
	if (rc == 0 && cf_fetch(&req, &r, &e) != CF_OK)
		rc = cli_fail(c, &e);
	if (rc == 0 && !c->json)
		report_text(&r, v[STARTTLS]);
	if (rc == 0 && import && cf_fetch_import(c->st, &r, v[NODE], v[STORE], &out, &skipped, &e) != CF_OK)
		rc = cli_fail(c, &e);
	if (rc == 0 && c->json) {
		json_t *o = report_json(&r, v[STARTTLS]);
		if (import)
			json_object_set_new(o, "import", import_json(&r, v[NODE], v[STORE], &out, skipped));
		cli_json(o);
	} else if (rc == 0 && import) {
		printf("%zu trust certificate%s added to %s", out.n_ids, out.n_ids == 1 ? "" : "s", v[STORE]);
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
