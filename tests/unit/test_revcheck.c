/* Unit tests for src/core/revcheck: which stored certificates the OCSP check asks about, and
 * when. Planning asks no one, so a small store made here is enough; the exchange with a real
 * responder is tests/integration/test_revcheck.sh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/fleet/deployment.h"
#include "core/lifecycle/identity.h"
#include "core/revocation/revcheck.h"
#include "core/lifecycle/trust.h"
#include "util/clock.h"

#define T0 INT64_C(1900000000)
#define DAY INT64_C(86400)

struct fx {
	char dir[64], path[128];
	cf_store *st;
	cf_key *root_key, *inter_key, *orphan_key, *leaf_key;
	cf_cert *root, *inter, *orphan, *leaf;
	char leaf_sha[65], inter_sha[65];
};

static cf_key *ec_key(void)
{
	cf_keyspec ks;
	cf_key *k = NULL;
	cf_err e = {0};
	if (cf_keyspec_parse("ec:P-256", &ks, &e) != CF_OK || cf_key_generate(&ks, &k, &e) != CF_OK)
		return NULL;
	return k;
}

static void sha_of(const cf_cert *c, char out[65])
{
	cf_facts f = {0};
	out[0] = '\0';
	if (cf_cert_facts(c, &f, NULL) == CF_OK)
		snprintf(out, 65, "%s", f.sha256);
	cf_facts_free(&f);
}

static cf_code trust_add(struct fx *f, const char *node, const char *store, const cf_cert *c, cf_err *e)
{
	cf_outcome out = {0};
	char *pem = cf_cert_pem(c);
	cf_code rc = cf_trust_add(f->st, NULL, node, store, "ca.pem", (const uint8_t *)pem, strlen(pem), NULL, &out, e);
	cf_outcome_free(&out);
	free(pem);
	return rc;
}

static cf_code upload(struct fx *f, const char *node, cf_err *e)
{
	cf_outcome out = {0};
	char *leaf = cf_cert_pem(f->leaf), *inter = cf_cert_pem(f->inter), *key = cf_key_pem(f->leaf_key);
	char *bundle = malloc(strlen(leaf) + strlen(inter) + 1);
	strcpy(bundle, leaf);
	strcat(bundle, inter);
	cf_code rc =
		cf_identity_upload(f->st, NULL, node, "tomcat-ECDSA", "leaf.pem", (const uint8_t *)bundle,
				   strlen(bundle), "leaf.key", (const uint8_t *)key, strlen(key), NULL, false, &out, e);
	cf_outcome_free(&out);
	free(bundle);
	free(leaf);
	free(inter);
	cf_secret_free(key);
	return rc;
}

/* Nodes a and b of one cluster (a trust certificate added on one is in both): tomcat-trust holds
 * the root and the intermediate, CallManager-trust an intermediate of a root no store holds (the
 * orphan). Both have the same leaf, issued by the intermediate, as tomcat-ECDSA; a has a
 * self-signed tomcat too. */
static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	cf_err e = {0};
	cf_outcome out = {0};
	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/cf-revcheck-test.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/store.db", f->dir);
	cf_clock_set(T0);
	cf_reqspec root = {.dn = {.cn = "Revcheck Root"}, .ku = CF_KU_KEY_CERT_SIGN | CF_KU_CRL_SIGN, .ca = true};
	cf_reqspec inter = {.dn = {.cn = "Revcheck Intermediate"}, .ku = CF_KU_KEY_CERT_SIGN, .ca = true};
	cf_reqspec xroot = {.dn = {.cn = "Unstored Root"}, .ku = CF_KU_KEY_CERT_SIGN, .ca = true};
	cf_reqspec orphan = {.dn = {.cn = "Orphan Intermediate"}, .ku = CF_KU_KEY_CERT_SIGN, .ca = true};
	cf_strv san = {0};
	cf_strv_push(&san, "DNS:a.example.com");
	cf_strv_push(&san, "DNS:b.example.com");
	cf_reqspec leaf = {.dn = {.cn = "a.example.com"},
			   .san = &san,
			   .ku = CF_KU_DIGITAL_SIGNATURE | CF_KU_KEY_AGREEMENT,
			   .eku = CF_EKU_SERVER_AUTH | CF_EKU_CLIENT_AUTH};
	cf_key *xkey = ec_key();
	cf_cert *x = NULL;
	f->root_key = ec_key();
	f->inter_key = ec_key();
	f->orphan_key = ec_key();
	f->leaf_key = ec_key();
	cf_deployment_node_spec a = {.fqdn = "a.example.com", .cluster = "uc", .product = "ucm", .no_defaults = true};
	cf_deployment_node_spec b = {.fqdn = "b.example.com", .cluster = "uc", .product = "ucm", .no_defaults = true};
	cf_issue_opts rsa = {.key = "rsa:2048"};
	if (cf_cert_self_signed(&root, f->root_key, T0 - DAY, 365, &f->root, &e) != CF_OK ||
	    cf_cert_issue(&inter, f->inter_key, f->root, f->root_key, T0 - DAY, 365, &f->inter, &e) != CF_OK ||
	    cf_cert_self_signed(&xroot, xkey, T0 - DAY, 365, &x, &e) != CF_OK ||
	    cf_cert_issue(&orphan, f->orphan_key, x, xkey, T0 - DAY, 365, &f->orphan, &e) != CF_OK ||
	    cf_cert_issue(&leaf, f->leaf_key, f->inter, f->inter_key, T0 - DAY, 90, &f->leaf, &e) != CF_OK ||
	    cf_store_open(f->path, true, &f->st, &e) != CF_OK ||
	    cf_deployment_cluster_add(f->st, "uc", NULL, &e) != CF_OK ||
	    cf_deployment_node_add(f->st, &a, &out, &e) != CF_OK ||
	    cf_deployment_node_add(f->st, &b, &out, &e) != CF_OK ||
	    trust_add(f, "a.example.com", "tomcat-trust", f->root, &e) != CF_OK ||
	    trust_add(f, "a.example.com", "tomcat-trust", f->inter, &e) != CF_OK ||
	    trust_add(f, "b.example.com", "tomcat-trust", f->root, &e) != CF_OK ||
	    trust_add(f, "b.example.com", "CallManager-trust", f->orphan, &e) != CF_OK ||
	    upload(f, "a.example.com", &e) != CF_OK || upload(f, "b.example.com", &e) != CF_OK ||
	    cf_identity_self_signed(f->st, "a.example.com", "tomcat", &rsa, &out, &e) != CF_OK) {
		fprintf(stderr, "setup: %s: %s\n", e.subject, e.message);
		return -1;
	}
	sha_of(f->leaf, f->leaf_sha);
	sha_of(f->inter, f->inter_sha);
	cf_cert_free(x);
	cf_key_free(xkey);
	cf_strv_clear(&san);
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
	cf_cert_free(f->root);
	cf_cert_free(f->inter);
	cf_cert_free(f->orphan);
	cf_cert_free(f->leaf);
	cf_key_free(f->root_key);
	cf_key_free(f->inter_key);
	cf_key_free(f->orphan_key);
	cf_key_free(f->leaf_key);
	cf_clock_set(0);
	free(f);
	return 0;
}

static void configure(struct fx *f, const char *name, const char *value)
{
	cf_fieldchange c = {cf_field_find(&cf_revocation_fields, name), value};
	cf_err e = {0};
	if (c.f == NULL || cf_fields_apply(f->st, &cf_revocation_fields, &c, 1, &e) != CF_OK)
		fail_msg("%s: %s", e.subject, e.message);
}

/* The places of a plan as "node/name" joined by spaces, and the distinct SHA-256s planned. */
static void places(const cf_revcheck *p, char *out, size_t cap, cf_strv *shas)
{
	cf_revcheck_item it;
	size_t n = 0;
	out[0] = '\0';
	for (size_t i = 0; cf_revcheck_item_get(p, i, &it); i++) {
		n += (size_t)snprintf(out + n, n < cap ? cap - n : 0, "%s%c/%s", i > 0 ? " " : "", it.node[0], it.name);
		cf_strv_push_unique(shas, it.sha256);
		assert_null(it.answer); /* planned, not asked */
	}
}

static void test_issuer(void **state)
{
	struct fx *f = *state;
	cf_cert *cand[] = {f->leaf, f->orphan, f->root, f->inter};
	cf_issuers *all = cf_issuers_new(cand, 4), *three = cf_issuers_new(cand, 3), *none = cf_issuers_new(NULL, 0);
	assert_non_null(all);
	assert_int_equal(cf_issuers_find(all, f->leaf), 3);
	assert_int_equal(cf_issuers_find(all, f->inter), 2);
	assert_int_equal(cf_issuers_find(three, f->leaf), -1); /* the intermediate not among them */
	assert_int_equal(cf_issuers_find(all, f->root), -1);   /* itself does not count */
	assert_int_equal(cf_issuers_find(all, f->orphan), -1); /* its root is nowhere */
	assert_int_equal(cf_issuers_find(none, f->leaf), -1);
	assert_int_equal(cf_issuers_find(NULL, f->leaf), -1);
	cf_issuers_free(all);
	cf_issuers_free(three);
	cf_issuers_free(none);
}

static void test_due(void **state)
{
	(void)state;
	cf_revcheckrow r = {.checked = T0};
	assert_true(cf_revcheck_due(NULL, DAY, T0));
	assert_false(cf_revcheck_due(&r, DAY, T0 + DAY - 1));
	assert_true(cf_revcheck_due(&r, DAY, T0 + DAY));
	assert_true(cf_revcheck_due(&r, 10, T0 + 10));
}

static void test_off(void **state)
{
	struct fx *f = *state;
	cf_revcheck *p = NULL;
	cf_err e = {0};
	assert_int_equal(cf_revcheck_plan(f->st, T0, true, &p, &e), CF_OK); /* OCSP is off by default */
	assert_false(cf_revcheck_on(p));
	assert_true(cf_revcheck_done(p));
	cf_revcheck_item it;
	assert_false(cf_revcheck_item_get(p, 0, &it));
	cf_revcheck_free(p);
	configure(f, "ocsp", "on");
	configure(f, "check", "off");
	assert_int_equal(cf_revcheck_plan(f->st, T0, true, &p, &e), CF_OK);
	assert_false(cf_revcheck_on(p));
	cf_revcheck_free(p);
}

static void test_what_is_asked(void **state)
{
	struct fx *f = *state;
	cf_revcheck *p = NULL;
	cf_strv shas = {0};
	cf_revcheck_totals n;
	cf_err e = {0};
	char got[512];
	configure(f, "ocsp", "on");
	assert_int_equal(cf_revcheck_plan(f->st, T0, true, &p, &e), CF_OK);
	assert_true(cf_revcheck_on(p));
	places(p, got, sizeof(got), &shas);
	/* the leaf and the intermediate on both nodes (the leaf's issuer in its stored chain and in
	 * tomcat-trust, the intermediate's in tomcat-trust); not the roots, the self-signed tomcat and
	 * its trust copy, nor the orphan */
	assert_string_equal(got, "a/tomcat-ECDSA a/tomcat-trust b/tomcat-ECDSA b/tomcat-trust");
	assert_int_equal(shas.n, 2); /* the leaf once */
	assert_true(cf_strv_contains(&shas, f->leaf_sha));
	assert_true(cf_strv_contains(&shas, f->inter_sha));
	cf_revcheck_totals_get(p, &n);
	assert_int_equal(n.planned, 2);
	assert_int_equal(n.checked, 0);
	assert_false(cf_revcheck_done(p));
	cf_revcheck_free(p);
	cf_strv_clear(&shas);

	/* once the leaf has expired it is not asked */
	assert_int_equal(cf_revcheck_plan(f->st, T0 + 100 * DAY, true, &p, &e), CF_OK);
	shas = (cf_strv){0};
	places(p, got, sizeof(got), &shas);
	assert_string_equal(got, "a/tomcat-trust b/tomcat-trust");
	cf_revcheck_free(p);
	cf_strv_clear(&shas);
}

static void test_only_due(void **state)
{
	struct fx *f = *state;
	cf_revcheck *p = NULL;
	cf_strv shas = {0};
	cf_err e = {0};
	char got[512];
	cf_revocation_ocsp_verdict v = {
		.status = CF_REV_GOOD, .answered = true, .trust = "delegated", .url = "http://x/"};
	configure(f, "ocsp", "on");
	configure(f, "interval", "12h");
	assert_int_equal(cf_store_begin(f->st, &e), CF_OK);
	assert_int_equal(cf_revcheck_record(f->st, f->leaf_sha, &v, T0, &e), CF_OK);
	assert_int_equal(cf_store_commit(f->st, &e), CF_OK);

	assert_int_equal(cf_revcheck_plan(f->st, T0 + 3600, false, &p, &e), CF_OK);
	places(p, got, sizeof(got), &shas);
	assert_string_equal(got, "a/tomcat-trust b/tomcat-trust"); /* the leaf was asked an hour ago */
	assert_int_equal(cf_revcheck_next_due(p), T0 + 12 * 3600);
	cf_revcheck_free(p);
	cf_strv_clear(&shas);

	assert_int_equal(cf_revcheck_plan(f->st, T0 + 12 * 3600, false, &p, &e), CF_OK);
	places(p, got, sizeof(got), &shas);
	assert_string_equal(got, "a/tomcat-ECDSA a/tomcat-trust b/tomcat-ECDSA b/tomcat-trust");
	assert_int_equal(cf_revcheck_next_due(p), 0);
	cf_revcheck_free(p);
	cf_strv_clear(&shas);

	/* all: due or not */
	assert_int_equal(cf_revcheck_plan(f->st, T0 + 3600, true, &p, &e), CF_OK);
	places(p, got, sizeof(got), &shas);
	assert_string_equal(got, "a/tomcat-ECDSA a/tomcat-trust b/tomcat-ECDSA b/tomcat-trust");
	cf_revcheck_free(p);
	cf_strv_clear(&shas);
}

static void test_record_and_prune(void **state)
{
	struct fx *f = *state;
	cf_revcheckrow r = {0};
	cf_err e = {0};
	cf_revocation_ocsp_verdict v = {.status = CF_REV_REVOKED,
					.answered = true,
					.trust = "trusted-responder",
					.url = "http://ocsp.example.com/",
					.message = "revoked on 2030-01-01T00:00:00Z,\nsigned by CN=x",
					.next_update = T0 + 300};
	assert_int_equal(cf_store_begin(f->st, &e), CF_OK);
	assert_int_equal(cf_revcheck_record(f->st, f->leaf_sha, &v, T0, &e), CF_OK);
	assert_int_equal(cf_revcheck_record(f->st, "00ff", &v, T0, &e), CF_OK); /* no such certificate */
	assert_int_equal(cf_store_commit(f->st, &e), CF_OK);
	assert_int_equal(cf_store_revcheck_get(f->st, f->leaf_sha, &r, &e), CF_OK);
	assert_string_equal(r.status, "revoked");
	assert_string_equal(r.trust, "trusted-responder");
	assert_string_equal(r.responder, "http://ocsp.example.com/");
	assert_string_equal(r.message, "revoked on 2030-01-01T00:00:00Z,?signed by CN=x"); /* one line */
	assert_int_equal(r.checked, T0);
	assert_int_equal(r.next_update, T0 + 300);
	cf_revcheckrow_free(&r);
	/* an unanswered verdict keeps no trust model nor nextUpdate */
	v.answered = false;
	v.status = CF_REV_UNKNOWN;
	assert_int_equal(cf_store_begin(f->st, &e), CF_OK);
	assert_int_equal(cf_revcheck_record(f->st, f->leaf_sha, &v, T0 + 1, &e), CF_OK);
	assert_int_equal(cf_store_revcheck_prune(f->st, &e), CF_OK);
	assert_int_equal(cf_store_commit(f->st, &e), CF_OK);
	assert_int_equal(cf_store_revcheck_get(f->st, f->leaf_sha, &r, &e), CF_OK);
	assert_string_equal(r.status, "unknown");
	assert_string_equal(r.trust, "");
	assert_int_equal(r.next_update, 0);
	cf_revcheckrow_free(&r);
	assert_int_equal(cf_store_revcheck_get(f->st, "00ff", &r, &e), CF_E_NOTFOUND); /* pruned */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_issuer, setup, teardown),
		cmocka_unit_test(test_due),
		cmocka_unit_test_setup_teardown(test_off, setup, teardown),
		cmocka_unit_test_setup_teardown(test_what_is_asked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_only_due, setup, teardown),
		cmocka_unit_test_setup_teardown(test_record_and_prune, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
