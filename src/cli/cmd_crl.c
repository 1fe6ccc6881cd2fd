/* crl add|list|remove|dp|update|config, revocation config|show|check (SPEC §6) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/view/certjson.h"
#include "core/revocation/crlfetch.h"
#include "core/revocation/revcheck.h"
#include "core/revocation/revocation.h"
#include "net_transport.h"
#include "util/clock.h"
#include "util/fileio.h"

int cmd_crl_add(cli *c, int argc, char **argv)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	cf_revocation_crl_imported im = {0};
	cf_err e = {0};
	if (argc != 2)
		return cli_usage(c);
	cli_audit_object(c, "%s", argv[1]);
	int rc = cli_read(c, argv[1], CF_INPUT_MAX, &buf, &len);
	if (rc == 0)
		rc = cli_store(c, false);
	if (rc == 0 && cf_revocation_crl_import(c->st, argv[1], buf, len, "manual", cf_clock_now(), &im, &e) != CF_OK)
		rc = cli_fail(c, &e);
	const cf_crlrow *row = &im.row;
	if (rc == 0) {
		if (im.expired)
			fprintf(stderr,
				"certfleet: warning: %s: this CRL has already expired; every certificate of \"%s\" is "
				"invalid until a newer one is added\n",
				argv[1], row->issuer);
		if (c->json) {
			json_t *o = cf_json_crl(row);
			json_object_set_new(o, "expired", json_boolean(im.expired));
			cli_json(o);
		} else {
			printf("added CRL %lld of \"%s\" (%lld entries)\n", (long long)row->id, cli_text(row->issuer),
			       (long long)row->entries);
		}
	}
	free(buf);
	cf_crlrow_free(&im.row);
	return rc;
}

int cmd_crl_list(cli *c, int argc, char **argv)
{
	(void)argv;
	cf_crlrow *v = NULL;
	size_t n = 0;
	cf_err e = {0};
	if (argc != 1)
		return cli_usage(c);
	int rc = cli_store(c, false);
	if (rc != 0)
		return rc;
	if (cf_store_crls(c->st, NULL, 0, &v, &n, &e) != CF_OK)
		return cli_fail(c, &e);
	json_t *items = json_array();
	if (!c->json)
		printf("%-6s %-20s %-20s %-10s %-10s %s\n", "ID", "THIS UPDATE", "NEXT UPDATE", "ENTRIES", "SOURCE",
		       "ISSUER");
	for (size_t i = 0; i < n; i++) {
		json_t *o = cf_json_crl(&v[i]);
		if (!c->json)
			printf("%-6lld %-20s %-20s %-10lld %-10s %s\n", (long long)v[i].id,
			       json_string_value(json_object_get(o, "this_update")),
			       v[i].next_update != 0 ? json_string_value(json_object_get(o, "next_update")) : "-",
			       (long long)v[i].entries, v[i].source, cli_text(v[i].issuer));
		json_array_append_new(items, o);
	}
	if (c->json)
		cli_json(json_pack("{s:o}", "items", items));
	else
		json_decref(items);
	cf_crlrows_free(v, n);
	return 0;
}

int cmd_crl_remove(cli *c, int argc, char **argv)
{
	char *end = NULL;
	cf_err e = {0};
	if (argc != 2)
		return cli_usage(c);
	cli_audit_object(c, "CRL %s", argv[1]);
	long long id = strtoll(argv[1], &end, 10);
	if (*end != '\0' || id <= 0) {
		cf_err_set(&e, CF_E_USAGE, argv[1], "expected a CRL id (certfleet crl list)");
		return cli_fail(c, &e);
	}
	int rc = cli_store(c, false);
	if (rc != 0)
		return rc;
	if (cf_store_crl_delete(c->st, id, &e) != CF_OK)
		return cli_fail(c, &e);
	if (c->json)
		cli_json(json_pack("{s:I, s:b}", "id", (json_int_t)id, "removed", 1));
	else
		printf("removed CRL %lld\n", id);
	return 0;
}

int cmd_revocation_check(cli *c, int argc, char **argv)
{
	cf_revcheck *p = NULL;
	cf_revcheck_item it;
	cf_revcheck_totals n;
	cf_err e = {0};
	int64_t now = cf_clock_now();
	int i = cli_parse(c, argc, argv);
	if (i < 0)
		return 2;
	if (cli_val(c, "now") != NULL && cli_now(c, cli_val(c, "now"), &now) != 0)
		return 2;
	cli_audit_object(c, "OCSP status of every certificate");
	int rc = cli_store(c, false);
	if (rc != 0)
		return rc;
	/* every certificate that can be asked, due or not: certfleetd asks those due */
	if (cf_revcheck_run(c->st, cf_net_transport(), now, true, &p, &e) != CF_OK)
		return cli_fail(c, &e);
	if (!cf_revcheck_on(p)) {
		cf_revcheck_free(p);
		cf_revcheck_off(&e);
		return cli_fail(c, &e);
	}
	if (!c->json)
		printf("%-28s %-22s %-28s %-8s %s\n", "NODE", "PURPOSE/STORE", "CN", "STATUS", "TRUST: MESSAGE");
	for (size_t k = 0; cf_revcheck_item_get(p, k, &it); k++) {
		if (it.answer == NULL)
			continue;
		if (!c->json)
			printf("%-28s %-22s %-28s %-8s %s%s%s\n", it.node, it.name, cli_text(it.cn), it.answer->status,
			       it.answer->trust, it.answer->trust[0] != '\0' ? ": " : "", cli_text(it.answer->message));
		if (it.newly_revoked)
			fprintf(stderr, "certfleet: revocation: %s %s \"%s\" is revoked: OCSP %s: %s\n", it.node,
				it.name, cli_text(it.cn), cli_text(it.answer->responder), cli_text(it.answer->message));
	}
	cf_revcheck_totals_get(p, &n);
	if (c->json)
		cli_json(cf_json_revcheck(p));
	else if (n.errors > 0)
		printf("%zu certificates asked: %zu good, %zu revoked, %zu unknown (%zu without an answer)\n",
		       n.checked, n.good, n.revoked, n.unknown, n.errors);
	else
		printf("%zu certificates asked: %zu good, %zu revoked, %zu unknown\n", n.checked, n.good, n.revoked,
		       n.unknown);
	/* as ocsp check and the doctor: revoked fails, and so does unknown in strict mode */
	rc = n.revoked > 0 || (cf_revcheck_settings(p)->strict && n.unknown > 0) ? CF_E_FINDINGS : 0;
	cf_revcheck_free(p);
	return rc;
}

int cmd_crl_dp(cli *c, int argc, char **argv)
{
	cf_err e = {0};
	bool add = argc == 3 && strcmp(argv[1], "add") == 0, remove = argc == 3 && strcmp(argv[1], "remove") == 0;
	if (!add && !remove && !(argc == 2 && strcmp(argv[1], "list") == 0))
		return cli_usage(c);
	if (add || remove) {
		c->audit_action = add ? "crl dp add" : "crl dp remove";
		cli_audit_object(c, "%s", argv[2]);
	} else {
		c->audit_action = NULL; /* listing changes nothing */
	}
	int rc = cli_store(c, false);
	if (rc != 0)
		return rc;
	if (add || remove) {
		if ((add ? cf_crlfetch_dp_add(c->st, argv[2], &e) : cf_crlfetch_dp_remove(c->st, argv[2], &e)) != CF_OK)
			return cli_fail(c, &e);
	}
	cf_strv v = {0};
	if (cf_crlfetch_dp_list(c->st, false, &v, &e) != CF_OK)
		return cli_fail(c, &e);
	json_t *items = json_array();
	for (size_t i = 0; i < v.n; i++) {
		json_array_append_new(items, json_string(v.v[i]));
		if (!c->json)
			printf("%s\n", cli_text(v.v[i]));
	}
	if (c->json)
		cli_json(json_pack("{s:o}", "items", items));
	else
		json_decref(items);
	cf_strv_clear(&v);
	return 0;
}

int cmd_crl_update(cli *c, int argc, char **argv)
{
	(void)argv;
	cf_crlfetch_result *v = NULL;
	size_t n = 0;
	cf_err e = {0};
	if (argc != 1)
		return cli_usage(c);
	cli_audit_object(c, "distribution points");
	int rc = cli_store(c, false);
	if (rc != 0)
		return rc;
	if (cf_crlfetch_update(c->st, cf_clock_now(), cf_net_transport()->download, &v, &n, &e) != CF_OK)
		return cli_fail(c, &e);
	json_t *items = json_array();
	int failed = 0;
	for (size_t i = 0; i < n; i++) {
		failed += v[i].rc != CF_OK;
		json_array_append_new(items, json_pack("{s:s, s:b, s:s}", "url", v[i].url, "ok", v[i].rc == CF_OK,
						       "message", v[i].message));
		if (v[i].rc != CF_OK)
			fprintf(stderr, "certfleet: %s: %s\n", cli_text(v[i].url), cli_text(v[i].message));
		else if (!c->json)
			printf("%s: %s\n", cli_text(v[i].url), cli_text(v[i].message));
	}
	if (c->json)
		cli_json(json_pack("{s:o}", "items", items));
	else
		json_decref(items);
	cf_crlfetch_results_free(v, n);
	if (failed > 0) {
		char line[96];
		snprintf(line, sizeof(line), "%d of %zu distribution points failed", failed, n);
		cli_audit_refused(c, line);
		return CF_E_REMOTE;
	}
	return 0;
}

/* The schedule as `crl config` has always printed it: the time with its zone, on or off. */
static int print_schedule(cli *c, json_t *o)
{
	if (c->json) {
		cli_json(o);
		return 0;
	}
	printf("daily_at  %s UTC\nuse_cdp   %s\n", json_string_value(json_object_get(o, "daily_at")),
	       json_is_true(json_object_get(o, "use_cdp")) ? "on" : "off");
	json_decref(o);
	return 0;
}

int cmd_crl_config(cli *c, int argc, char **argv)
{
	return cli_settings_config(c, argc, argv, print_schedule);
}
