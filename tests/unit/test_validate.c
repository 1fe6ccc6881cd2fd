/* Unit tests for src/core/validate: host matching rules (SPEC §4), the checks and their rule
 * ids, and the revocation hook. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "core/check/validate.h"

static cf_facts names(const char *cn, const char *const *san)
{
	cf_facts f = {0};
	f.cn = (char *)cn;
	for (size_t i = 0; san && san[i]; i++)
		cf_strv_push(&f.san, san[i]);
	return f;
}

static void test_host_matching(void **state)
{
	(void)state;
	const char *san[] = {"DNS:node1.example.com", "DNS:*.wild.example.com", "IP:10.0.0.5",
			     "IP:2001:db8:0:0:0:0:0:1", NULL};
	cf_facts f = names("cn.example.com", san);
	assert_true(cf_host_matches(&f, "node1.example.com"));
	assert_true(cf_host_matches(&f, "NODE1.Example.COM"));
	assert_true(cf_host_matches(&f, "a.wild.example.com"));
	assert_false(cf_host_matches(&f, "a.b.wild.example.com")); /* one label only */
	assert_false(cf_host_matches(&f, "wild.example.com"));
	assert_false(cf_host_matches(&f, "cn.example.com")); /* CN ignored when a DNS SAN exists */
	assert_true(cf_host_matches(&f, "10.0.0.5"));
	assert_true(cf_host_matches(&f, "2001:db8::1"));
	assert_false(cf_host_matches(&f, "10.0.0.6"));
	cf_strv_clear(&f.san);

	const char *ip_only[] = {"IP:10.0.0.5", NULL};
	f = names("cn.example.com", ip_only);
	assert_true(cf_host_matches(&f, "cn.example.com")); /* no DNS SAN: the CN counts */
	assert_false(cf_host_matches(&f, "10.0.0.7"));
	cf_strv_clear(&f.san);

	f = names("10.0.0.5", NULL);
	assert_false(cf_host_matches(&f, "10.0.0.5")); /* IPs only against IP SANs */
	f = names("*.com", NULL);
	assert_false(cf_host_matches(&f, "example.com")); /* a wildcard needs two labels after it */
}

struct pki {
	cf_key *key;
	cf_cert *ca, *leaf;
};

static void make_pki(struct pki *p, int64_t now)
{
	cf_keyspec ks = {0};
	cf_err e = {0};
	assert_int_equal(cf_keyspec_parse("ec:prime256v1", &ks, &e), CF_OK);
	assert_int_equal(cf_key_generate(&ks, &p->key, &e), CF_OK);
	cf_reqspec ca = {.dn = {.cn = "Validate Test CA"}, .ku = CF_KU_KEY_CERT_SIGN | CF_KU_CRL_SIGN, .ca = true};
	assert_int_equal(cf_cert_self_signed(&ca, p->key, now - 86400, 365, &p->ca, &e), CF_OK);
	cf_strv san = {0};
	cf_strv_push(&san, "DNS:node1.example.com");
	cf_reqspec leaf = {.dn = {.cn = "node1.example.com"},
			   .san = &san,
			   .ku = CF_KU_DIGITAL_SIGNATURE | CF_KU_KEY_AGREEMENT,
			   .eku = CF_EKU_SERVER_AUTH | CF_EKU_CLIENT_AUTH};
	assert_int_equal(cf_cert_issue(&leaf, p->key, p->ca, p->key, now - 3600, 30, &p->leaf, &e), CF_OK);
	cf_strv_clear(&san);
}

static void free_pki(struct pki *p)
{
	cf_cert_free(p->leaf);
	cf_cert_free(p->ca);
	cf_key_free(p->key);
}

static int revocation_calls;

/* ctx: the status to answer */
static cf_revstatus answer(void *ctx, const cf_vresult *chain, int64_t now, char *msg, size_t len)
{
	(void)now;
	revocation_calls++;
	assert_int_equal(chain->n, 2);
	snprintf(msg, len, "%s", "from the test source");
	return *(const cf_revstatus *)ctx;
}

static const cf_check *find_check(const cf_validation *v, const char *name)
{
	for (size_t i = 0; i < v->n; i++)
		if (strcmp(v->checks[i].check, name) == 0)
			return &v->checks[i];
	return NULL;
}

static void test_checks_and_rules(void **state)
{
	(void)state;
	int64_t now = 1800000000;
	struct pki p = {0};
	make_pki(&p, now);
	cf_trustidx *idx = cf_trustidx_new();
	cf_err e = {0};
	assert_int_equal(cf_trustidx_add(idx, p.ca, true, &e), CF_OK);
	cf_validation v = {0};

	cf_validate_opts o = {.host = "node1.example.com",
			      .purpose = cf_purpose_find("tomcat-ECDSA", NULL),
			      .trust = idx,
			      .now = now};
	assert_int_equal(cf_validate_cert(&o, p.leaf, NULL, 0, &v, &e), CF_OK);
	assert_true(v.ok);
	assert_int_equal(v.n, 4);
	assert_null(find_check(&v, "revocation")); /* no source configured: no check */
	assert_string_equal(cf_validation_outcome(&v), "ok");
	cf_validation_clear(&v);

	o.host = "other.example.com";
	o.now = now + 40 * 86400;
	o.purpose = cf_purpose_find("tomcat", NULL); /* RSA purpose, EC key */
	assert_int_equal(cf_validate_cert(&o, p.leaf, NULL, 0, &v, &e), CF_OK);
	assert_false(v.ok);
	assert_string_equal(find_check(&v, "identity")->rule, "name-mismatch");
	assert_string_equal(find_check(&v, "validity")->rule, "expired");
	assert_string_equal(find_check(&v, "key-usage")->rule, "key-type-mismatch");
	assert_string_equal(cf_validation_outcome(&v), "name-mismatch");
	cf_validation_clear(&v);

	/* the revocation hook: asked once with the verified chain; its verdict becomes a check */
	static const cf_revstatus good = CF_REV_GOOD, revoked = CF_REV_REVOKED, expired = CF_REV_CRL_EXPIRED,
				  unknown = CF_REV_UNKNOWN;
	o = (cf_validate_opts){.trust = idx, .now = now, .revocation = answer, .revocation_ctx = (void *)&good};
	revocation_calls = 0;
	assert_int_equal(cf_validate_cert(&o, p.leaf, NULL, 0, &v, &e), CF_OK);
	assert_true(v.ok);
	assert_true(find_check(&v, "revocation")->ok);
	cf_validation_clear(&v);
	o.revocation_ctx = (void *)&revoked;
	assert_int_equal(cf_validate_cert(&o, p.leaf, NULL, 0, &v, &e), CF_OK);
	assert_false(v.ok);
	assert_string_equal(find_check(&v, "revocation")->rule, "revoked");
	cf_validation_clear(&v);
	o.revocation_ctx = (void *)&expired;
	assert_int_equal(cf_validate_cert(&o, p.leaf, NULL, 0, &v, &e), CF_OK);
	assert_false(v.ok);
	assert_string_equal(find_check(&v, "revocation")->rule, "crl-expired");
	cf_validation_clear(&v);
	o.revocation_ctx = (void *)&unknown; /* no status: the fallback (not revoked) decided already */
	assert_int_equal(cf_validate_cert(&o, p.leaf, NULL, 0, &v, &e), CF_OK);
	assert_true(v.ok);
	assert_int_equal(revocation_calls, 4);
	cf_validation_clear(&v);

	cf_trustidx_free(idx);
	free_pki(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_host_matching),
					   cmocka_unit_test(test_checks_and_rules)};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
