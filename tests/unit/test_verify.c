/* Unit tests for the trust index (src/crypto/verify.h): anchors and intermediates, the cached
 * path of an intermediate (which must not carry a result from one time to another), extras given
 * with one leaf, renewed intermediates, path length, CA flags, signatures and concurrent use.
 * Certificates are made in-process with the facade, except the pathLenConstraint ones, which the
 * openssl command makes. Only the facade is used here; no OpenSSL header is included. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto/verify.h"
#include "crypto/x509.h"
#include "util/fileio.h"

#define T0 INT64_C(1700000000) /* 2023-11-14T22:13:20Z */
#define DAY INT64_C(86400)

/* ---- helpers ------------------------------------------------------------------------------------ */

static cf_key *ec_key(void)
{
	cf_keyspec ks;
	cf_key *k = NULL;
	cf_err e = {0};
	assert_int_equal(cf_keyspec_parse("ec:P-256", &ks, &e), CF_OK);
	assert_int_equal(cf_key_generate(&ks, &k, &e), CF_OK);
	assert_non_null(k);
	return k;
}

static cf_reqspec ca_spec(const char *cn)
{
	return (cf_reqspec){.dn = {.o = "Example", .cn = cn}, .ku = CF_KU_KEY_CERT_SIGN | CF_KU_CRL_SIGN, .ca = true};
}

/* A self-signed CA valid from not_before for days days. */
static cf_cert *root_ca(const cf_key *key, const char *cn, int64_t not_before, int days)
{
	cf_reqspec spec = ca_spec(cn);
	cf_cert *c = NULL;
	cf_err e = {0};
	if (cf_cert_self_signed(&spec, key, not_before, days, &c, &e) != CF_OK)
		fail_msg("root %s: %s: %s", cn, e.subject, e.message);
	return c;
}

/* A CA (ca true) or a non-CA certificate with CA-like key usage (ca false) issued by issuer. */
static cf_cert *sub_ca(const cf_key *key, const char *cn, bool ca, const cf_cert *issuer, const cf_key *issuer_key,
		       int64_t not_before, int days)
{
	cf_reqspec spec = ca_spec(cn);
	spec.ca = ca;
	cf_cert *c = NULL;
	cf_err e = {0};
	if (cf_cert_issue(&spec, key, issuer, issuer_key, not_before, days, &c, &e) != CF_OK)
		fail_msg("CA %s: %s: %s", cn, e.subject, e.message);
	return c;
}

/* A server certificate for cn issued by issuer. */
static cf_cert *leaf_cert(const cf_key *key, const char *cn, const cf_cert *issuer, const cf_key *issuer_key,
			  int64_t not_before, int days)
{
	cf_strv san = {0};
	cf_strv_pushf(&san, "DNS:%s", cn);
	cf_reqspec spec = {.dn = {.o = "Example", .cn = cn},
			   .san = &san,
			   .ku = CF_KU_DIGITAL_SIGNATURE,
			   .eku = CF_EKU_SERVER_AUTH};
	cf_cert *c = NULL;
	cf_err e = {0};
	cf_code rc = issuer ? cf_cert_issue(&spec, key, issuer, issuer_key, not_before, days, &c, &e)
			    : cf_cert_self_signed(&spec, key, not_before, days, &c, &e);
	if (rc != CF_OK)
		fail_msg("leaf %s: %s: %s", cn, e.subject, e.message);
	cf_strv_clear(&san);
	return c;
}

static bool same_der(const cf_cert *a, const cf_cert *b)
{
	size_t la = 0, lb = 0;
	const uint8_t *da = cf_cert_der(a, &la), *db = cf_cert_der(b, &lb);
	return la == lb && memcmp(da, db, la) == 0;
}

static void add(cf_trustidx *idx, cf_cert *c, bool anchor)
{
	cf_err e = {0};
	if (cf_trustidx_add(idx, c, anchor, &e) != CF_OK)
		fail_msg("trustidx_add: %s: %s", e.subject, e.message);
}

/* Verifies leaf at now, checks the outcome and that the chain starts with the leaf; the caller
 * inspects and clears out. */
static void verify_as(cf_trustidx *idx, const cf_cert *leaf, cf_cert *const *extra, size_t n_extra, int64_t now,
		      cf_vfail want, cf_vresult *out)
{
	assert_int_equal(cf_trustidx_verify(idx, leaf, extra, n_extra, now, out), CF_OK);
	if (out->fail != want)
		fail_msg("at %lld: expected %s, got %s: %s", (long long)now, cf_vfail_name(want),
			 cf_vfail_name(out->fail), out->message);
	if (want == CF_V_OK)
		assert_string_equal(out->message, "");
	else
		assert_true(out->message[0] != '\0');
	assert_in_range(out->n, 1, CF_VERIFY_MAX_DEPTH);
	assert_true(same_der(out->chain[0], leaf));
}

/* Verifies and expects the chain leaf, then want[0..n_want) (the anchor last). */
static void verify_chain(cf_trustidx *idx, const cf_cert *leaf, cf_cert *const *extra, size_t n_extra, int64_t now,
			 cf_cert *const *want, size_t n_want)
{
	cf_vresult out;
	verify_as(idx, leaf, extra, n_extra, now, CF_V_OK, &out);
	assert_int_equal(out.n, n_want + 1);
	for (size_t i = 0; i < n_want; i++)
		if (!same_der(out.chain[i + 1], want[i]))
			fail_msg("at %lld: chain[%zu] is not the expected certificate", (long long)now, i + 1);
	cf_vresult_clear(&out);
}

static void verify_fails(cf_trustidx *idx, const cf_cert *leaf, cf_cert *const *extra, size_t n_extra, int64_t now,
			 cf_vfail want)
{
	cf_vresult out;
	verify_as(idx, leaf, extra, n_extra, now, want, &out);
	cf_vresult_clear(&out);
}

/* A root, an intermediate under it and leaves under the intermediate. The intermediate is valid
 * for 100 days from T0, the root for ten years. */
#define N_LEAVES 4

struct pki {
	cf_key *root_key, *inter_key, *leaf_key;
	cf_cert *root, *inter, *leaves[N_LEAVES];
};

static int pki_setup(void **state)
{
	struct pki *p = calloc(1, sizeof(*p));
	p->root_key = ec_key();
	p->inter_key = ec_key();
	p->leaf_key = ec_key();
	p->root = root_ca(p->root_key, "Verify Root CA", T0, 3650);
	p->inter = sub_ca(p->inter_key, "Verify Issuing CA", true, p->root, p->root_key, T0, 100);
	for (size_t i = 0; i < N_LEAVES; i++) {
		char cn[64];
		snprintf(cn, sizeof(cn), "host%zu.example.com", i);
		p->leaves[i] = leaf_cert(p->leaf_key, cn, p->inter, p->inter_key, T0, 365);
	}
	*state = p;
	return 0;
}

static int pki_teardown(void **state)
{
	struct pki *p = *state;
	for (size_t i = 0; i < N_LEAVES; i++)
		cf_cert_free(p->leaves[i]);
	cf_cert_free(p->inter);
	cf_cert_free(p->root);
	cf_key_free(p->root_key);
	cf_key_free(p->inter_key);
	cf_key_free(p->leaf_key);
	free(p);
	return 0;
}

/* ---- tests -------------------------------------------------------------------------------------- */

/* A peer's self-signed certificate trusted directly is a chain of one; an untrusted one, or a
 * copy of a trusted one with a byte changed, is not. */
static void test_leaf_is_anchor(void **state)
{
	(void)state;
	cf_key *k = ec_key(), *other = ec_key();
	cf_cert *peer = leaf_cert(k, "peer.example.com", NULL, NULL, T0, 30);
	cf_cert *stranger = leaf_cert(other, "stranger.example.com", NULL, NULL, T0, 30);
	cf_trustidx *idx = cf_trustidx_new();
	add(idx, peer, true);
	assert_int_equal(cf_trustidx_anchors(idx), 1);

	cf_vresult out;
	verify_as(idx, peer, NULL, 0, T0 + DAY, CF_V_OK, &out);
	assert_int_equal(out.n, 1);
	cf_vresult_clear(&out);
	/* the same bytes in another object, and at a time outside its validity (the leaf's own dates
	 * are the caller's check) */
	size_t len = 0;
	const uint8_t *der = cf_cert_der(peer, &len);
	cf_cert *copy = cf_cert_from_der(der, len);
	assert_non_null(copy);
	verify_as(idx, copy, NULL, 0, T0 + 400 * DAY, CF_V_OK, &out);
	assert_int_equal(out.n, 1);
	cf_vresult_clear(&out);

	verify_fails(idx, stranger, NULL, 0, T0 + DAY, CF_V_NO_ISSUER);
	/* given only as an intermediate it is not trusted: it is its own issuer, and not a CA */
	cf_trustidx *untrusted = cf_trustidx_new();
	add(untrusted, peer, false);
	assert_int_equal(cf_trustidx_anchors(untrusted), 0);
	verify_fails(untrusted, peer, NULL, 0, T0 + DAY, CF_V_NOT_CA);

	cf_trustidx_free(untrusted);
	cf_trustidx_free(idx);
	cf_cert_free(copy);
	cf_cert_free(stranger);
	cf_cert_free(peer);
	cf_key_free(other);
	cf_key_free(k);
}

/* Two leaves under one intermediate both verify off its cached path; at a time the intermediate
 * has expired (or is not valid yet) the answer changes, and back at the first time it is OK
 * again: the cache is per time. */
static void test_cached_path_per_time(void **state)
{
	struct pki *p = *state;
	cf_trustidx *idx = cf_trustidx_new();
	add(idx, p->inter, false);
	add(idx, p->root, true);
	cf_cert *want[] = {p->inter, p->root};
	const int64_t t1 = T0 + 10 * DAY, expired = T0 + 200 * DAY, early = T0 - DAY;

	verify_chain(idx, p->leaves[0], NULL, 0, t1, want, 2);
	verify_chain(idx, p->leaves[1], NULL, 0, t1, want, 2);
	verify_chain(idx, p->leaves[0], NULL, 0, t1, want, 2);

	cf_vresult out;
	verify_as(idx, p->leaves[0], NULL, 0, expired, CF_V_EXPIRED, &out);
	assert_non_null(strstr(out.message, "Verify Issuing CA"));
	cf_vresult_clear(&out);
	verify_fails(idx, p->leaves[1], NULL, 0, expired, CF_V_EXPIRED);

	verify_chain(idx, p->leaves[0], NULL, 0, t1, want, 2);
	verify_chain(idx, p->leaves[1], NULL, 0, t1, want, 2);

	verify_fails(idx, p->leaves[1], NULL, 0, early, CF_V_NOT_YET_VALID);
	verify_chain(idx, p->leaves[1], NULL, 0, t1, want, 2);
	verify_fails(idx, p->leaves[0], NULL, 0, expired, CF_V_EXPIRED);
	cf_trustidx_free(idx);
}

/* An intermediate given with one leaf serves that leaf only. */
/* A cached path two levels above the leaf must not carry a choice made at another time: a root
 * renewed (same name and key) above an intermediate above an issuing CA. At t1 only the old root
 * is valid, at t2 only the renewed one. Verifying a leaf directly under the intermediate at t2
 * re-chooses the intermediate's issuer; a leaf under the issuing CA at t1 must still get the old
 * root. */
static void test_cache_two_levels_per_time(void **state)
{
	(void)state;
	cf_key *rk = ec_key(), *mk = ec_key(), *ik = ec_key(), *lk = ec_key();
	cf_cert *old_root = root_ca(rk, "Two Level Root", T0, 100);
	cf_cert *new_root = root_ca(rk, "Two Level Root", T0 + 50 * DAY, 1000);
	cf_cert *mid = sub_ca(mk, "Two Level Mid", true, old_root, rk, T0, 3650);
	cf_cert *issuing = sub_ca(ik, "Two Level Issuing", true, mid, mk, T0, 3650);
	cf_cert *leaf = leaf_cert(lk, "deep.example.com", issuing, ik, T0, 3650);
	cf_cert *near = leaf_cert(lk, "near.example.com", mid, mk, T0, 3650);
	const int64_t t1 = T0 + 10 * DAY, t2 = T0 + 500 * DAY;
	cf_trustidx *idx = cf_trustidx_new();
	add(idx, old_root, true);
	add(idx, new_root, true);
	add(idx, mid, false);
	add(idx, issuing, false);
	cf_cert *deep_t1[] = {issuing, mid, old_root}, *deep_t2[] = {issuing, mid, new_root};
	cf_cert *near_t1[] = {mid, old_root}, *near_t2[] = {mid, new_root};

	verify_chain(idx, leaf, NULL, 0, t1, deep_t1, 3);
	verify_chain(idx, near, NULL, 0, t2, near_t2, 2);
	verify_chain(idx, leaf, NULL, 0, t1, deep_t1, 3);
	verify_chain(idx, near, NULL, 0, t1, near_t1, 2);
	verify_chain(idx, leaf, NULL, 0, t2, deep_t2, 3);
	cf_trustidx_free(idx);

	cf_cert_free(near);
	cf_cert_free(leaf);
	cf_cert_free(issuing);
	cf_cert_free(mid);
	cf_cert_free(new_root);
	cf_cert_free(old_root);
	cf_key_free(lk);
	cf_key_free(ik);
	cf_key_free(mk);
	cf_key_free(rk);
}

static void test_extras_not_remembered(void **state)
{
	struct pki *p = *state;
	cf_trustidx *idx = cf_trustidx_new();
	add(idx, p->root, true);
	cf_cert *extra[] = {p->inter};
	cf_cert *want[] = {p->inter, p->root};
	const int64_t t1 = T0 + 10 * DAY;

	verify_chain(idx, p->leaves[0], extra, 1, t1, want, 2);
	verify_fails(idx, p->leaves[1], NULL, 0, t1, CF_V_NO_ISSUER);
	verify_fails(idx, p->leaves[0], NULL, 0, t1, CF_V_NO_ISSUER);
	verify_chain(idx, p->leaves[1], extra, 1, t1, want, 2);
	/* the dates of an extra are checked too */
	verify_fails(idx, p->leaves[1], extra, 1, T0 + 200 * DAY, CF_V_EXPIRED);
	verify_fails(idx, p->leaves[2], NULL, 0, t1, CF_V_NO_ISSUER);

	/* an extra that is not the issuer does not help */
	cf_cert *wrong[] = {p->leaves[3]};
	verify_fails(idx, p->leaves[0], wrong, 1, t1, CF_V_NO_ISSUER);
	cf_trustidx_free(idx);
}

/* A renewed intermediate (same name and key) beside its expired predecessor: the one valid at
 * the time asked about is chosen, in whichever order they were added. */
static void test_renewed_intermediate(void **state)
{
	(void)state;
	cf_key *rk = ec_key(), *ik = ec_key(), *lk = ec_key();
	cf_cert *root = root_ca(rk, "Renew Root CA", T0, 3650);
	cf_cert *old = sub_ca(ik, "Renew Issuing CA", true, root, rk, T0, 30);
	cf_cert *renewed = sub_ca(ik, "Renew Issuing CA", true, root, rk, T0 + 20 * DAY, 365);
	cf_cert *leaf = leaf_cert(lk, "renew.example.com", old, ik, T0, 365);
	const int64_t early = T0 + 10 * DAY, late = T0 + 100 * DAY;

	for (int order = 0; order < 2; order++) {
		cf_trustidx *idx = cf_trustidx_new();
		add(idx, root, true);
		add(idx, order ? renewed : old, false);
		add(idx, order ? old : renewed, false);
		cf_cert *want_late[] = {renewed, root}, *want_early[] = {old, root};
		verify_chain(idx, leaf, NULL, 0, late, want_late, 2);
		verify_chain(idx, leaf, NULL, 0, early, want_early, 2);
		verify_chain(idx, leaf, NULL, 0, late, want_late, 2);
		/* both expired */
		verify_fails(idx, leaf, NULL, 0, T0 + 500 * DAY, CF_V_EXPIRED);
		cf_trustidx_free(idx);
	}
	/* the renewed one given with the leaf, the expired one in the index */
	cf_trustidx *idx = cf_trustidx_new();
	add(idx, root, true);
	add(idx, old, false);
	cf_cert *extra[] = {renewed};
	cf_cert *want[] = {renewed, root};
	verify_chain(idx, leaf, extra, 1, late, want, 2);
	verify_fails(idx, leaf, NULL, 0, late, CF_V_EXPIRED);
	cf_trustidx_free(idx);

	cf_cert_free(leaf);
	cf_cert_free(renewed);
	cf_cert_free(old);
	cf_cert_free(root);
	cf_key_free(lk);
	cf_key_free(ik);
	cf_key_free(rk);
}

/* An issuer that is not a CA does not issue. */
static void test_not_ca(void **state)
{
	struct pki *p = *state;
	cf_key *k = ec_key(), *lk = ec_key();
	cf_cert *fake = sub_ca(k, "Not A CA", false, p->root, p->root_key, T0, 100);
	cf_cert *leaf = leaf_cert(lk, "under-fake.example.com", fake, k, T0, 30);
	cf_trustidx *idx = cf_trustidx_new();
	add(idx, p->root, true);
	add(idx, fake, false);
	verify_fails(idx, leaf, NULL, 0, T0 + DAY, CF_V_NOT_CA);
	cf_trustidx_free(idx);

	/* nor when it is given with the leaf, nor when it is trusted as an anchor itself */
	idx = cf_trustidx_new();
	add(idx, p->root, true);
	cf_cert *extra[] = {fake};
	verify_fails(idx, leaf, extra, 1, T0 + DAY, CF_V_NOT_CA);
	cf_trustidx_free(idx);
	idx = cf_trustidx_new();
	add(idx, fake, true);
	verify_fails(idx, leaf, NULL, 0, T0 + DAY, CF_V_NOT_CA);
	cf_trustidx_free(idx);

	cf_cert_free(leaf);
	cf_cert_free(fake);
	cf_key_free(lk);
	cf_key_free(k);
}

/* A byte changed in the leaf's signature. */
static void test_bad_signature(void **state)
{
	struct pki *p = *state;
	cf_trustidx *idx = cf_trustidx_new();
	add(idx, p->root, true);
	add(idx, p->inter, false);
	size_t len = 0;
	const uint8_t *der = cf_cert_der(p->leaves[0], &len);
	uint8_t *copy = malloc(len);
	memcpy(copy, der, len);
	copy[len - 1] ^= 0x01; /* the last byte of the signature value */
	cf_cert *bad = cf_cert_from_der(copy, len);
	assert_non_null(bad);
	assert_false(same_der(bad, p->leaves[0]));

	cf_cert *want[] = {p->inter, p->root};
	verify_chain(idx, p->leaves[0], NULL, 0, T0 + DAY, want, 2);
	cf_vresult out;
	verify_as(idx, bad, NULL, 0, T0 + DAY, CF_V_BAD_SIGNATURE, &out);
	assert_int_equal(out.n, 1);
	assert_non_null(strstr(out.message, "Verify Issuing CA"));
	cf_vresult_clear(&out);
	/* and the same with the intermediate given with the leaf */
	cf_trustidx *bare = cf_trustidx_new();
	add(bare, p->root, true);
	cf_cert *extra[] = {p->inter};
	verify_fails(bare, bad, extra, 1, T0 + DAY, CF_V_BAD_SIGNATURE);
	cf_trustidx_free(bare);

	/* a byte changed in an intermediate's signature breaks the path above the leaf */
	der = cf_cert_der(p->inter, &len);
	uint8_t *icopy = malloc(len);
	memcpy(icopy, der, len);
	icopy[len - 1] ^= 0x01;
	cf_cert *bad_inter = cf_cert_from_der(icopy, len);
	assert_non_null(bad_inter);
	cf_trustidx *broken = cf_trustidx_new();
	add(broken, p->root, true);
	add(broken, bad_inter, false);
	verify_fails(broken, p->leaves[0], NULL, 0, T0 + DAY, CF_V_BAD_SIGNATURE);
	cf_trustidx_free(broken);

	cf_cert_free(bad_inter);
	free(icopy);
	cf_cert_free(bad);
	free(copy);
	cf_trustidx_free(idx);
}

/* A peer file may hold any number of certificates: the issuer after 24 others is found. */
static void test_many_extras(void **state)
{
	struct pki *p = *state;
	cf_key *k = ec_key();
	cf_trustidx *idx = cf_trustidx_new();
	add(idx, p->root, true);
	cf_cert *extra[25];
	for (size_t i = 0; i < 24; i++) {
		char cn[64];
		snprintf(cn, sizeof(cn), "Filler CA %zu", i);
		extra[i] = sub_ca(k, cn, true, p->root, p->root_key, T0, 100);
	}
	extra[24] = p->inter;
	cf_cert *want[] = {p->inter, p->root};
	verify_chain(idx, p->leaves[0], extra, 25, T0 + DAY, want, 2);
	verify_fails(idx, p->leaves[0], extra, 24, T0 + DAY, CF_V_NO_ISSUER);
	for (size_t i = 0; i < 24; i++)
		cf_cert_free(extra[i]);
	cf_trustidx_free(idx);
	cf_key_free(k);
}

/* Five CAs with one subject and one key, each issued by that subject with that key, all verify
 * one another: path building must neither explore every ordering (it took minutes) nor put the
 * same subject and key twice in a path. Without an anchor above them the answer is no issuer;
 * with one of them issued by the root, that one. The bound is generous: the answer takes
 * milliseconds. */
static void test_same_subject_same_key(void **state)
{
	struct pki *p = *state;
	cf_key *k = ec_key(), *lk = ec_key();
	cf_cert *loop[6];
	loop[0] = root_ca(k, "Loop CA", T0, 100);
	for (size_t i = 1; i < 5; i++)
		loop[i] = sub_ca(k, "Loop CA", true, loop[0], k, T0, 100);
	loop[5] = sub_ca(k, "Loop CA", true, p->root, p->root_key, T0, 100);
	cf_cert *leaf = leaf_cert(lk, "loop.example.com", loop[0], k, T0, 30);
	cf_trustidx *idx = cf_trustidx_new();
	add(idx, p->root, true);
	time_t start = time(NULL);
	verify_fails(idx, leaf, loop, 5, T0 + DAY, CF_V_NO_ISSUER);
	cf_cert *want[] = {loop[5], p->root};
	verify_chain(idx, leaf, loop, 6, T0 + DAY, want, 2);
	assert_true(time(NULL) - start < 10);
	cf_trustidx_free(idx);
	cf_cert_free(leaf);
	for (size_t i = 0; i < 6; i++)
		cf_cert_free(loop[i]);
	cf_key_free(lk);
	cf_key_free(k);
}

/* ---- pathLenConstraint (certificates made with the openssl command) ------------------------------ */

static const char pathlen_cnf[] = "[req]\n"
				  "distinguished_name = dn\n"
				  "[dn]\n"
				  "[root]\n"
				  "basicConstraints = critical,CA:TRUE\n"
				  "keyUsage = critical,keyCertSign,cRLSign\n"
				  "subjectKeyIdentifier = hash\n"
				  "[pl0]\n"
				  "basicConstraints = critical,CA:TRUE,pathlen:0\n"
				  "keyUsage = critical,keyCertSign,cRLSign\n"
				  "subjectKeyIdentifier = hash\n"
				  "authorityKeyIdentifier = keyid:always\n"
				  "[ca]\n"
				  "basicConstraints = critical,CA:TRUE\n"
				  "keyUsage = critical,keyCertSign,cRLSign\n"
				  "subjectKeyIdentifier = hash\n"
				  "authorityKeyIdentifier = keyid:always\n"
				  "[leaf]\n"
				  "basicConstraints = critical,CA:FALSE\n"
				  "keyUsage = critical,digitalSignature\n"
				  "subjectKeyIdentifier = hash\n"
				  "authorityKeyIdentifier = keyid:always\n";

/* root -> "PL Zero CA" (pathlen:0) -> "PL Sub CA" -> leaf.pem, and root -> "PL Zero CA" ->
 * leaf2.pem; all valid for 30 days from now. */
static const char pathlen_script[] =
	"set -e\n"
	"cd \"$1\"\n"
	"key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out \"$1.key\"; }\n"
	"issue() {\n"
	"  openssl req -new -config ext.cnf -key \"$1.key\" -subj \"/CN=$2\" -out \"$1.csr\"\n"
	"  openssl x509 -req -in \"$1.csr\" -CA \"$3.pem\" -CAkey \"$3.key\" -set_serial \"$5\" -days 30 \\\n"
	"    -extfile ext.cnf -extensions \"$4\" -out \"$1.pem\"\n"
	"}\n"
	"for k in root pl0 sub leaf leaf2; do key $k; done\n"
	"openssl req -x509 -config ext.cnf -extensions root -key root.key -subj '/CN=PL Root' -days 30 "
	"-out root.pem\n"
	"issue pl0 'PL Zero CA' root pl0 2\n"
	"issue sub 'PL Sub CA' pl0 ca 3\n"
	"issue leaf leaf.example.com sub leaf 4\n"
	"issue leaf2 leaf2.example.com pl0 leaf 5\n";

static cf_cert *read_pem(const char *dir, const char *name)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	uint8_t *buf = NULL;
	size_t len = 0, n = 0;
	cf_cert **v = NULL;
	cf_err e = {0};
	if (cf_file_read(path, CF_INPUT_MAX, &buf, &len, &e) != CF_OK)
		fail_msg("%s: %s", e.subject, e.message);
	if (cf_cert_parse_bundle(path, buf, len, &v, &n, &e) != CF_OK)
		fail_msg("%s: %s", e.subject, e.message);
	assert_int_equal(n, 1);
	cf_cert *c = cf_cert_ref(v[0]);
	cf_certs_free(v, n);
	free(buf);
	return c;
}

static void test_path_length(void **state)
{
	(void)state;
	char dir[] = "/tmp/cf-test-verify-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char path[512], cmd[1024];
	snprintf(path, sizeof(path), "%s/ext.cnf", dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(pathlen_cnf, f);
	assert_int_equal(fclose(f), 0);
	snprintf(path, sizeof(path), "%s/make.sh", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(pathlen_script, f);
	assert_int_equal(fclose(f), 0);
	snprintf(cmd, sizeof(cmd), "sh '%s/make.sh' '%s' >'%s/log' 2>&1", dir, dir, dir);
	int rc = system(cmd);
	if (rc != 0) {
		snprintf(cmd, sizeof(cmd), "cat '%s/log' >&2", dir);
		if (system(cmd) != 0)
			print_error("no log\n");
		fail_msg("the openssl command failed (%d)", rc);
	}
	cf_cert *root = read_pem(dir, "root.pem"), *pl0 = read_pem(dir, "pl0.pem"), *sub = read_pem(dir, "sub.pem");
	cf_cert *leaf = read_pem(dir, "leaf.pem"), *leaf2 = read_pem(dir, "leaf2.pem");
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	const int64_t now = (int64_t)time(NULL) + 60;

	cf_trustidx *idx = cf_trustidx_new();
	add(idx, root, true);
	add(idx, pl0, false);
	add(idx, sub, false);
	/* directly under the pathlen:0 CA: fine */
	cf_cert *want2[] = {pl0, root};
	verify_chain(idx, leaf2, NULL, 0, now, want2, 2);
	/* a further CA below it: too long a path */
	cf_vresult out;
	verify_as(idx, leaf, NULL, 0, now, CF_V_PATH_LENGTH, &out);
	assert_non_null(strstr(out.message, "PL Zero CA"));
	cf_vresult_clear(&out);
	/* the same with the CAs given with the leaf */
	cf_trustidx *roots = cf_trustidx_new();
	add(roots, root, true);
	cf_cert *extra[] = {sub, pl0};
	verify_fails(roots, leaf, extra, 2, now, CF_V_PATH_LENGTH);
	/* with the pathlen:0 CA as the anchor its constraint still counts */
	cf_trustidx *mid = cf_trustidx_new();
	add(mid, pl0, true);
	add(mid, sub, false);
	verify_fails(mid, leaf, NULL, 0, now, CF_V_PATH_LENGTH);
	/* but with the sub CA trusted directly the chain ends before it */
	cf_trustidx *low = cf_trustidx_new();
	add(low, sub, true);
	cf_cert *want_low[] = {sub};
	verify_chain(low, leaf, NULL, 0, now, want_low, 1);

	cf_trustidx_free(low);
	cf_trustidx_free(mid);
	cf_trustidx_free(roots);
	cf_trustidx_free(idx);
	cf_cert_free(leaf2);
	cf_cert_free(leaf);
	cf_cert_free(sub);
	cf_cert_free(pl0);
	cf_cert_free(root);
}

/* ---- concurrency -------------------------------------------------------------------------------- */

#define THREADS 2
#define ROUNDS 200

struct worker {
	cf_trustidx *idx;
	struct pki *p;
	int64_t now[2]; /* alternated, so the cached path is recomputed while the other thread reads it */
	int ok, wrong;
	char first_error[300];
};

static void *worker_run(void *arg)
{
	struct worker *w = arg;
	for (int i = 0; i < ROUNDS; i++) {
		cf_vresult out;
		const cf_cert *leaf = w->p->leaves[i % N_LEAVES];
		bool good = cf_trustidx_verify(w->idx, leaf, NULL, 0, w->now[i % 2], &out) == CF_OK &&
			    out.fail == CF_V_OK && out.n == 3 && same_der(out.chain[0], leaf) &&
			    same_der(out.chain[1], w->p->inter) && same_der(out.chain[2], w->p->root);
		if (good)
			w->ok++;
		else if (w->wrong++ == 0)
			snprintf(w->first_error, sizeof(w->first_error), "round %d: %s (n=%zu): %s", i,
				 cf_vfail_name(out.fail), out.n, out.message);
		cf_vresult_clear(&out);
	}
	return NULL;
}

static void test_concurrent(void **state)
{
	struct pki *p = *state;
	for (int variant = 0; variant < 2; variant++) {
		cf_trustidx *idx = cf_trustidx_new(); /* fresh: the threads race to fill the cache */
		add(idx, p->root, true);
		add(idx, p->inter, false);
		struct worker w[THREADS];
		pthread_t th[THREADS];
		for (int t = 0; t < THREADS; t++) {
			w[t] = (struct worker){.idx = idx, .p = p};
			w[t].now[0] = T0 + 10 * DAY;
			w[t].now[1] = variant ? T0 + (20 + t) * DAY : T0 + 10 * DAY;
			assert_int_equal(pthread_create(&th[t], NULL, worker_run, &w[t]), 0);
		}
		for (int t = 0; t < THREADS; t++)
			assert_int_equal(pthread_join(th[t], NULL), 0);
		for (int t = 0; t < THREADS; t++) {
			if (w[t].wrong != 0)
				fail_msg("thread %d: %d of %d wrong, first %s", t, w[t].wrong, ROUNDS,
					 w[t].first_error);
			assert_int_equal(w[t].ok, ROUNDS);
		}
		cf_trustidx_free(idx);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_leaf_is_anchor),
		cmocka_unit_test(test_cached_path_per_time),
		cmocka_unit_test(test_cache_two_levels_per_time),
		cmocka_unit_test(test_extras_not_remembered),
		cmocka_unit_test(test_renewed_intermediate),
		cmocka_unit_test(test_not_ca),
		cmocka_unit_test(test_bad_signature),
		cmocka_unit_test(test_path_length),
		cmocka_unit_test(test_many_extras),
		cmocka_unit_test(test_same_subject_same_key),
		cmocka_unit_test(test_concurrent),
	};
	return cmocka_run_group_tests_name("trust index", tests, pki_setup, pki_teardown);
}
