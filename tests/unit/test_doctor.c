/* Unit tests for src/core/doctor: the rule table, the JSON shape, and runs over a small store
 * with the clock moved (the integration test covers every rule through the CLI). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/check/doctor.h"
#include "core/lifecycle/identity.h"
#include "util/clock.h"

#define DAY INT64_C(86400)

struct fx {
	char dir[64];
	char path[128];
	cf_store *st;
	int64_t t0; /* when the identities were made */
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	cf_err e = {0};
	cf_outcome out = {0};
	snprintf(f->dir, sizeof(f->dir), "/tmp/cf-doctor-test.XXXXXX");
	if (f == NULL || mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/store.db", f->dir);
	f->t0 = INT64_C(1900000000);
	cf_clock_set(f->t0);
	cf_deployment_node_spec pub = {
		.fqdn = "pub.example.com", .cluster = "uc", .product = "ucm", .no_defaults = true};
	cf_deployment_node_spec sub = {
		.fqdn = "sub.example.com", .cluster = "uc", .product = "ucm", .no_defaults = true};
	cf_issue_opts ec = {.key = "ec:prime256v1"};
	if (cf_store_open(f->path, true, &f->st, &e) != CF_OK ||
	    cf_deployment_cluster_add(f->st, "uc", NULL, &e) != CF_OK ||
	    cf_deployment_node_add(f->st, &pub, &out, &e) != CF_OK ||
	    cf_deployment_node_add(f->st, &sub, &out, &e) != CF_OK ||
	    cf_identity_self_signed(f->st, "pub.example.com", "tomcat-ECDSA", &ec, &out, &e) != CF_OK ||
	    cf_identity_self_signed(f->st, "pub.example.com", "CallManager-ECDSA", &ec, &out, &e) != CF_OK) {
		fprintf(stderr, "setup: %s: %s\n", e.subject, e.message);
		cf_outcome_free(&out);
		return -1;
	}
	cf_outcome_free(&out);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	const char *suffix[] = {"", "-wal", "-shm", "-journal"};
	cf_store_close(f->st);
	for (size_t i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
		char p[160];
		snprintf(p, sizeof(p), "%s%s", f->path, suffix[i]);
		unlink(p);
	}
	rmdir(f->dir);
	cf_clock_set(0);
	free(f);
	return 0;
}

/* How many findings match (NULL = any). */
static size_t count(const cf_findings *f, const char *rule, const char *node, const char *purpose, int severity)
{
	size_t n = 0;
	for (size_t i = 0; i < f->n; i++)
		n += (rule == NULL || strcmp(f->v[i].rule, rule) == 0) &&
		     (node == NULL || strcmp(f->v[i].node, node) == 0) &&
		     (purpose == NULL || strcmp(f->v[i].purpose, purpose) == 0) &&
		     (severity < 0 || (int)f->v[i].severity == severity);
	return n;
}

/* The first finding that matches, or NULL. */
static const cf_finding *find(const cf_findings *f, const char *rule, const char *node, const char *purpose)
{
	for (size_t i = 0; i < f->n; i++)
		if (strcmp(f->v[i].rule, rule) == 0 && strcmp(f->v[i].node, node) == 0 &&
		    strcmp(f->v[i].purpose, purpose) == 0)
			return &f->v[i];
	return NULL;
}

static void run(struct fx *f, const char *node, cf_findings *out)
{
	cf_err e = {0};
	cf_doctor_opts o = {.node = node};
	if (cf_doctor_run(f->st, &o, out, &e) != CF_OK)
		fail_msg("cf_doctor_run: %s: %s", e.subject, e.message);
}

static void test_rule_ids(void **state)
{
	(void)state;
	static const char *const spec[] = {
		"expired",
		"expiring",
		"chain-incomplete",
		"untrusted-issuer",
		"ku-missing",
		"eku-missing",
		"key-type-mismatch",
		"weak-key",
		"large-key-8192",
		"sha1",
		"no-cn",
		"cn-not-fqdn",
		"san-not-fqdn",
		"san-missing-node",
		"date-2050",
		"unsupported-oid",
		"duplicate-selfsigned-cn",
		"stale-selfsigned-trust",
		"pending-csr-old",
		"ca-no-basic-constraints",
		"expressway-e-private-ca",
		"wildcard-unsupported",
		"trust-store-full",
		"mismatched-key",
		"crl-expired",
		"revoked",
	};
	cf_strv ids = {0};
	int i = 0;
	const char *id;
	while ((id = cf_doctor_rule_next(&i)) != NULL) {
		assert_false(cf_strv_contains(&ids, id)); /* each id once */
		cf_strv_push(&ids, id);
	}
	for (size_t k = 0; k < sizeof(spec) / sizeof(spec[0]); k++)
		if (!cf_strv_contains(&ids, spec[k]))
			fail_msg("SPEC §4 rule %s is not in the table", spec[k]);
	assert_true(ids.n >= sizeof(spec) / sizeof(spec[0]));
	cf_strv_clear(&ids);
	assert_string_equal(cf_severity_name(CF_SEV_ERROR), "error");
	assert_string_equal(cf_severity_name(CF_SEV_WARNING), "warning");
	assert_string_equal(cf_severity_name(CF_SEV_INFO), "info");
}

static void test_json_shape(void **state)
{
	(void)state;
	cf_findings f = {0};
	f.cap = 3;
	f.v = calloc(3, sizeof(*f.v));
	f.v[0] = (cf_finding){.rule = "sha1",
			      .severity = CF_SEV_WARNING,
			      .node = strdup("a.example.com"),
			      .purpose = strdup(""),
			      .message = strdup("say \"hi\""),
			      .fix = strdup("fix it")};
	/* an action carries the members of its kind only */
	f.v[1] = (cf_finding){
		.rule = "weak-key",
		.severity = CF_SEV_WARNING,
		.node = strdup("a.example.com"),
		.purpose = strdup("CAPF-trust"),
		.message = strdup("m"),
		.fix = strdup("f"),
		.action = {.kind = "trust-delete", .node = "a.example.com", .store = "CAPF-trust", .id = 7}};
	f.v[2] = (cf_finding){
		.rule = "expired",
		.severity = CF_SEV_ERROR,
		.node = strdup("b.example.com"),
		.purpose = strdup("tomcat"),
		.message = strdup("m"),
		.fix = strdup("f"),
		.action = {.kind = "csr", .node = "a.example.com", .purpose = "tomcat", .multi_server = true}};
	f.n = 3;
	json_t *j = cf_doctor_json(&f);
	char *text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	assert_string_equal(
		text,
		"{\"findings\":[{\"action\":null,\"fix\":\"fix it\",\"message\":\"say "
		"\\\"hi\\\"\",\"node\":\"a.example."
		"com\",\"purpose\":\"\",\"rule\":\"sha1\",\"severity\":\"warning\"},"
		"{\"action\":{\"id\":7,\"kind\":\"trust-delete\",\"node\":\"a.example.com\",\"store\":\"CAPF-trust\"},"
		"\"fix\":\"f\",\"message\":\"m\",\"node\":\"a.example.com\",\"purpose\":\"CAPF-trust\",\"rule\":"
		"\"weak-key\",\"severity\":\"warning\"},"
		"{\"action\":{\"kind\":\"csr\",\"multi_server\":true,\"node\":\"a.example.com\",\"purpose\":"
		"\"tomcat\"},\"fix\":\"f\",\"message\":\"m\",\"node\":\"b.example.com\",\"purpose\":\"tomcat\","
		"\"rule\":\"expired\",\"severity\":\"error\"}]}");
	free(text);
	json_decref(j);
	assert_int_equal(cf_findings_count(&f, CF_SEV_WARNING), 2);
	assert_int_equal(cf_findings_count(&f, CF_SEV_ERROR), 1);
	cf_findings_free(&f);
	assert_null(f.v);
	cf_findings_free(NULL);
}

static void test_fresh_pair(void **state)
{
	struct fx *f = *state;
	cf_findings out = {0};
	run(f, NULL, &out);
	assert_int_equal(count(&out, "duplicate-selfsigned-cn", "pub.example.com", "CallManager-ECDSA", CF_SEV_WARNING),
			 1);
	assert_int_equal(count(&out, NULL, NULL, NULL, CF_SEV_ERROR), 0);
	assert_int_equal(out.n, 1);
	/* the page's action: a CSR for the second of the pair, on its node */
	const cf_action *a = &out.v[0].action;
	assert_string_equal(a->kind, "csr");
	assert_string_equal(a->node, "pub.example.com");
	assert_string_equal(a->purpose, "CallManager-ECDSA");
	assert_false(a->multi_server);
	cf_findings_free(&out);
}

static void test_clock_moves(void **state)
{
	struct fx *f = *state;
	cf_findings out = {0};
	/* five years less ten days later: expiring, not expired */
	cf_clock_set(f->t0 + (1825 - 10) * DAY);
	run(f, "pub.example.com", &out);
	assert_int_equal(count(&out, "expiring", "pub.example.com", "tomcat-ECDSA", CF_SEV_WARNING), 1);
	assert_int_equal(count(&out, "expired", NULL, NULL, -1), 0);
	cf_findings_free(&out);
	/* a day past five years: expired identities (errors), expired trust copies (warnings) */
	cf_clock_set(f->t0 + 1826 * DAY);
	run(f, NULL, &out);
	assert_int_equal(count(&out, "expired", "pub.example.com", "tomcat-ECDSA", CF_SEV_ERROR), 1);
	assert_int_equal(count(&out, "expired", "sub.example.com", "tomcat-trust", CF_SEV_WARNING), 1);
	assert_int_equal(count(&out, "expired", "sub.example.com", NULL, CF_SEV_WARNING), 2);
	assert_int_equal(count(&out, "expiring", NULL, NULL, -1), 0);
	/* a self-signed identity is made again; a trust copy is deleted by its id */
	const cf_finding *x = find(&out, "expired", "pub.example.com", "tomcat-ECDSA");
	assert_non_null(x);
	assert_string_equal(x->action.kind, "self-signed");
	assert_string_equal(x->action.purpose, "tomcat-ECDSA");
	x = find(&out, "expired", "sub.example.com", "tomcat-trust");
	assert_non_null(x);
	assert_string_equal(x->action.kind, "trust-delete");
	assert_string_equal(x->action.node, "sub.example.com");
	assert_string_equal(x->action.store, "tomcat-trust");
	assert_true(x->action.id > 0);
	cf_findings_free(&out);
	/* --node: only that node */
	run(f, "sub.example.com", &out);
	assert_int_equal(count(&out, NULL, "sub.example.com", NULL, -1), out.n);
	assert_true(out.n > 0);
	cf_findings_free(&out);
}

static void test_unknown_node(void **state)
{
	struct fx *f = *state;
	cf_findings out = {0};
	cf_err e = {0};
	cf_doctor_opts o = {.node = "nosuch.example.com"};
	assert_int_equal(cf_doctor_run(f->st, &o, &out, &e), CF_E_NOTFOUND);
	assert_non_null(strstr(e.subject, "nosuch.example.com"));
	assert_int_equal(out.n, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rule_ids),
		cmocka_unit_test(test_json_shape),
		cmocka_unit_test_setup_teardown(test_fresh_pair, setup, teardown),
		cmocka_unit_test_setup_teardown(test_clock_moves, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_node, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
