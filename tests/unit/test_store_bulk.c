/* The store's bulk paths (src/store/certs.c: multi-row inserts, IN-list lookups, many deletes) and
 * the two imports built on them (core/lifecycle/trust.c bundles, core/lifecycle/endpoint.c LSCs): the same rows, ids,
 * counts, notes and warnings as placing each certificate one at a time; and certificate lists
 * read a node's page at a time, in the order of one query over all nodes. On SQLite in a temporary
 * directory; on PostgreSQL when ctest gives PGSERVER and PGTEST_DIR (unit_store_bulk_pg, a
 * throwaway server started by the pg fixture). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pgtest.h"
#include "core/lifecycle/endpoint.h"
#include "core/lifecycle/trust.h"
#include "crypto/x509.h"
#include "store/store.h"
#include "util/clock.h"

#define DAY INT64_C(86400)
#define PUB "ucm-pub.example.com"
#define SUB "ucm-sub.example.com"

struct fx {
	char dir[64];
	char target[256]; /* a file path or a postgresql:// URL */
	cf_store *st;
	bool pg;
	int64_t pub_id, sub_id;
	cf_key *key; /* one EC key for every CA certificate (fast) */
	cf_key *rsa; /* one RSA key for every LSC */
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	cf_err e = {0};
	if (f == NULL)
		return -1;
	if (pgtest_named()) {
		f->pg = true;
		if (pgtest_database("unit_store_bulk", f->target, sizeof(f->target), NULL, 0) != 0)
			return -1;
	} else {
		snprintf(f->dir, sizeof(f->dir), "/tmp/cf-bulk-test.XXXXXX");
		if (mkdtemp(f->dir) == NULL)
			return -1;
		snprintf(f->target, sizeof(f->target), "%s/store.db", f->dir);
	}
	if (cf_store_open(f->target, true, &f->st, &e) != CF_OK) {
		fprintf(stderr, "cf_store_open %s: %s\n", f->target, e.message);
		return -1;
	}
	cf_keyspec ks;
	if (cf_keyspec_parse("ec:prime256v1", &ks, &e) != CF_OK || cf_key_generate(&ks, &f->key, &e) != CF_OK ||
	    cf_keyspec_parse("rsa:2048", &ks, &e) != CF_OK || cf_key_generate(&ks, &f->rsa, &e) != CF_OK)
		return -1;
	/* a cluster with a ucm publisher and a subscriber: a bundle on the publisher goes to both */
	int64_t cl = 0;
	cf_node pub = {.fqdn = (char *)PUB, .product = (char *)"ucm", .publisher = true, .ip = (char *)""};
	cf_node sub = {.fqdn = (char *)SUB, .product = (char *)"ucm", .ip = (char *)""};
	if (cf_store_begin(f->st, &e) != CF_OK || cf_store_cluster_add(f->st, "uc", NULL, &cl, &e) != CF_OK)
		return -1;
	pub.cluster_id = sub.cluster_id = cl;
	if (cf_store_node_add(f->st, &pub, &e) != CF_OK || cf_store_node_add(f->st, &sub, &e) != CF_OK ||
	    cf_store_commit(f->st, &e) != CF_OK)
		return -1;
	f->pub_id = pub.id;
	f->sub_id = sub.id;
	cf_clock_set(0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	cf_store_close(f->st);
	cf_key_free(f->key);
	cf_key_free(f->rsa);
	if (!f->pg) {
		const char *suffix[] = {"", "-wal", "-shm", "-journal"};
		for (size_t i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
			char p[300];
			snprintf(p, sizeof(p), "%s%s", f->target, suffix[i]);
			unlink(p);
		}
		rmdir(f->dir);
	}
	free(f);
	return 0;
}

/* A self-signed CA certificate with this CN ("" for none), valid from yesterday for `days`. A new
 * random serial each time: two with one CN differ. */
static cf_cert *make_ca(struct fx *f, const char *cn, int days)
{
	cf_reqspec spec = {.dn = {.o = "Bulk", .cn = cn}, .ku = CF_KU_KEY_CERT_SIGN | CF_KU_CRL_SIGN, .ca = true};
	cf_cert *c = NULL;
	cf_err e = {0};
	if (cf_cert_self_signed(&spec, f->key, cf_clock_now() - DAY, days, &c, &e) != CF_OK)
		fail_msg("make_ca %s: %s", cn, e.message);
	return c;
}

/* The certificates as one PEM bundle (caller frees). */
static char *bundle_pem(cf_cert **v, size_t n)
{
	size_t len = 0;
	char *out = calloc(1, 1);
	for (size_t i = 0; i < n; i++) {
		char *pem = cf_cert_pem(v[i]);
		out = realloc(out, len + strlen(pem) + 1);
		memcpy(out + len, pem, strlen(pem) + 1);
		len += strlen(pem);
		free(pem);
	}
	return out;
}

static cf_certrow row_of(const cf_cert *c, int64_t node_id, cf_certkind kind, const char *name)
{
	cf_certrow r = {.node_id = node_id, .kind = kind, .name = (char *)name};
	cf_err e = {0};
	size_t len = 0;
	r.der = (uint8_t *)cf_cert_der(c, &len);
	r.der_len = len;
	assert_int_equal(cf_cert_facts(c, &r.facts, &e), CF_OK);
	return r;
}

/* ---- the store's bulk functions ------------------------------------------------------------------ */

/* 300 rows (one statement of 256, two of 16, twelve of 1) take the ids 300 single inserts would:
 * the next ones, in order, each row under its own id. */
static void test_insert_many_ids(void **state)
{
	struct fx *f = *state;
	enum { N = 300 };
	cf_err e = {0};
	cf_cert *certs[N];
	cf_certrow rows[N];
	for (int i = 0; i < N; i++) {
		char cn[32];
		snprintf(cn, sizeof(cn), "Bulk CA %03d", i);
		certs[i] = make_ca(f, cn, 365);
		rows[i] = row_of(certs[i], f->pub_id, CF_TRUST, "tomcat-trust");
	}
	cf_cert *first_cert = make_ca(f, "First", 365);
	cf_certrow first = row_of(first_cert, f->pub_id, CF_TRUST, "tomcat-trust");
	assert_int_equal(cf_store_begin(f->st, &e), CF_OK);
	assert_int_equal(cf_store_cert_insert(f->st, &first, &e), CF_OK);
	if (cf_store_cert_insert_many(f->st, rows, N, &e) != CF_OK)
		fail_msg("insert_many: %s", e.message);
	assert_int_equal(cf_store_commit(f->st, &e), CF_OK);
	for (int i = 0; i < N; i++) {
		cf_certrow got = {0};
		assert_int_equal(rows[i].id, first.id + 1 + i);
		assert_int_equal(cf_store_cert_get(f->st, rows[i].id, false, &got, &e), CF_OK);
		assert_string_equal(got.facts.sha256, rows[i].facts.sha256);
		assert_string_equal(got.facts.cn, rows[i].facts.cn);
		assert_int_equal(got.der_len, rows[i].der_len);
		assert_memory_equal(got.der, rows[i].der, got.der_len);
		assert_string_equal(got.source, "upload");
		cf_certrow_free(&got);
	}
	int64_t n = 0;
	assert_int_equal(cf_store_trust_count(f->st, f->pub_id, "tomcat-trust", &n, &e), CF_OK);
	assert_int_equal(n, N + 1);

	/* deleting many: 290 ids (a list of 256 and a short one), the rest stays */
	int64_t ids[N];
	for (int i = 0; i < N - 10; i++)
		ids[i] = rows[i].id;
	assert_int_equal(cf_store_begin(f->st, &e), CF_OK);
	assert_int_equal(cf_store_cert_delete_many(f->st, ids, N - 10, &e), CF_OK);
	assert_int_equal(cf_store_commit(f->st, &e), CF_OK);
	assert_int_equal(cf_store_trust_count(f->st, f->pub_id, "tomcat-trust", &n, &e), CF_OK);
	assert_int_equal(n, 11);
	int64_t found = 0;
	assert_int_equal(cf_store_trust_find(f->st, f->pub_id, "tomcat-trust", rows[N - 1].facts.sha256, &found, &e),
			 CF_OK);
	assert_int_equal(found, rows[N - 1].id);

	for (int i = 0; i < N; i++) {
		cf_facts_free(&rows[i].facts);
		cf_cert_free(certs[i]);
	}
	cf_facts_free(&first.facts);
	cf_cert_free(first_cert);
}

/* What a store holds of certificates about to be added, asked 256 at a time: its SHA-256, or its
 * CN under another SHA-256; per node and store; an empty CN is never asked. */
static void test_trust_known(void **state)
{
	struct fx *f = *state;
	enum { N = 600 };
	cf_err e = {0};
	cf_cert *certs[N];
	cf_facts facts[N];
	char cn[32];
	for (int i = 0; i < N; i++) {
		/* 0..199 stored; 200..399 new with the CN of a stored one; 400..599 new, own CN (or none) */
		snprintf(cn, sizeof(cn), "Known CA %03d", i < 400 ? i % 200 : i);
		certs[i] = make_ca(f, i >= 500 && i % 2 ? "" : cn, 365);
		assert_int_equal(cf_cert_facts(certs[i], &facts[i], &e), CF_OK);
	}
	assert_int_equal(cf_store_begin(f->st, &e), CF_OK);
	for (int i = 0; i < 200; i++) {
		cf_certrow r = row_of(certs[i], f->pub_id, CF_TRUST, "tomcat-trust");
		assert_int_equal(cf_store_cert_insert(f->st, &r, &e), CF_OK);
		cf_facts_free(&r.facts);
	}
	/* another copy of CA 007's CN stored under a second SHA-256, and one in another store */
	cf_cert *again = make_ca(f, "Known CA 007", 365), *other = make_ca(f, "Known CA 450", 365);
	cf_certrow r = row_of(again, f->pub_id, CF_TRUST, "tomcat-trust");
	assert_int_equal(cf_store_cert_insert(f->st, &r, &e), CF_OK);
	cf_facts_free(&r.facts);
	r = row_of(other, f->pub_id, CF_TRUST, "CallManager-trust");
	assert_int_equal(cf_store_cert_insert(f->st, &r, &e), CF_OK);
	cf_facts_free(&r.facts);
	assert_int_equal(cf_store_commit(f->st, &e), CF_OK);

	unsigned char known[N];
	assert_int_equal(cf_store_trust_known(f->st, f->pub_id, "tomcat-trust", facts, N, known, &e), CF_OK);
	for (int i = 0; i < N; i++) {
		unsigned want = i < 200 ? CF_TRUST_HELD : i < 400 ? CF_TRUST_OTHER_CN : 0;
		if (i == 7) /* held, and its CN stored under another SHA-256 too */
			want = CF_TRUST_HELD | CF_TRUST_OTHER_CN;
		if (known[i] != want)
			fail_msg("certificate %d: flags %u, expected %u", i, known[i], want);
	}
	/* the subscriber's store holds none of them */
	assert_int_equal(cf_store_trust_known(f->st, f->sub_id, "tomcat-trust", facts, N, known, &e), CF_OK);
	for (int i = 0; i < N; i++)
		assert_int_equal(known[i], 0);
	for (int i = 0; i < N; i++) {
		cf_facts_free(&facts[i]);
		cf_cert_free(certs[i]);
	}
	cf_cert_free(again);
	cf_cert_free(other);
}

/* ---- trust bundles: the same as placing one certificate at a time --------------------------------- */

/* What placing the bundle one certificate at a time gives on one node: the SHA-256s it adds (in
 * order), its duplicates, and its duplicate-cn warnings, from what the store held before. */
typedef struct model {
	cf_strv sha, cn; /* the store: every certificate's SHA-256 and CN */
	cf_strv added, dup_cn;
	size_t duplicates;
} model;

static void model_place(model *m, const cf_facts *facts, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		bool same_cn = false;
		for (size_t j = 0; j < m->cn.n && facts[i].cn[0] != '\0'; j++)
			same_cn |= strcmp(m->cn.v[j], facts[i].cn) == 0 && strcmp(m->sha.v[j], facts[i].sha256) != 0;
		if (cf_strv_contains(&m->sha, facts[i].sha256)) {
			m->duplicates++;
			continue;
		}
		cf_strv_push(&m->sha, facts[i].sha256);
		cf_strv_push(&m->cn, facts[i].cn);
		cf_strv_push(&m->added, facts[i].sha256);
		if (same_cn)
			cf_strv_push(&m->dup_cn, facts[i].cn);
	}
}

static void model_free(model *m)
{
	cf_strv_clear(&m->sha);
	cf_strv_clear(&m->cn);
	cf_strv_clear(&m->added);
	cf_strv_clear(&m->dup_cn);
}

/* A bundle of 700 on the publisher (two statements of 256 and a tail, 3 IN lists): duplicates in
 * the bundle and of the store, one CN under several SHA-256s in the bundle and the store, CNs that
 * are empty; on both nodes, each added certificate's id in order, notes and warnings as the model
 * says; then the same bundle again adds nothing. */
static void test_trust_bundle_as_one_by_one(void **state)
{
	struct fx *f = *state;
	enum { N = 700 };
	cf_err e = {0};
	cf_cert *certs[N];
	cf_facts facts[N];
	char cn[32];
	model m[2];
	memset(m, 0, sizeof(m));
	srand(12345);
	for (int i = 0; i < N; i++) {
		int pick = rand() % 10;
		if (i > 0 && pick == 0) { /* the very certificate of an earlier one */
			certs[i] = cf_cert_ref(certs[rand() % i]);
		} else {
			/* CNs from a small set repeat (another certificate, same CN); some have none */
			snprintf(cn, sizeof(cn), "Bundle CA %d", pick < 3 ? rand() % 20 : 1000 + i);
			certs[i] = make_ca(f, pick == 9 ? "" : cn, 365);
		}
		assert_int_equal(cf_cert_facts(certs[i], &facts[i], &e), CF_OK);
	}
	/* the publisher's store holds some of them, and another certificate with a repeating CN */
	cf_cert *pre = make_ca(f, "Bundle CA 3", 365);
	cf_facts pre_facts = {0};
	assert_int_equal(cf_cert_facts(pre, &pre_facts, &e), CF_OK);
	char *pem = bundle_pem(certs, 50);
	cf_outcome out = {0};
	assert_int_equal(cf_trust_add(f->st, NULL, SUB, "tomcat-trust", "some.pem", (const uint8_t *)pem, strlen(pem),
				      NULL, &out, &e),
			 CF_OK);
	model_place(&m[1], facts, 50);
	cf_outcome_free(&out);
	free(pem);
	pem = bundle_pem(&pre, 1);
	assert_int_equal(cf_trust_add(f->st, NULL, SUB, "tomcat-trust", "pre.pem", (const uint8_t *)pem, strlen(pem),
				      NULL, &out, &e),
			 CF_OK);
	model_place(&m[1], &pre_facts, 1);
	cf_outcome_free(&out);
	free(pem);
	size_t sub_before = m[1].added.n;
	int64_t last = 0;
	assert_int_equal(cf_store_trust_find(f->st, f->sub_id, "tomcat-trust", pre_facts.sha256, &last, &e), CF_OK);

	/* the bundle on the publisher: the publisher's store first (ordered by name), then the subscriber's */
	pem = bundle_pem(certs, N);
	if (cf_trust_add(f->st, NULL, PUB, "tomcat-trust", "bundle.pem", (const uint8_t *)pem, strlen(pem), NULL, &out,
			 &e) != CF_OK)
		fail_msg("trust add: %s", e.message);
	model_place(&m[0], facts, N);
	model_place(&m[1], facts, N);
	size_t want_ids = m[0].added.n + m[1].added.n - sub_before;
	assert_int_equal(out.n_ids, want_ids);
	size_t k = 0;
	for (int t = 0; t < 2; t++) {
		int64_t node = t == 0 ? f->pub_id : f->sub_id;
		for (size_t i = t == 0 ? 0 : sub_before; i < m[t].added.n; i++, k++) {
			int64_t id = 0;
			assert_int_equal(cf_store_trust_find(f->st, node, "tomcat-trust", m[t].added.v[i], &id, &e),
					 CF_OK);
			if (id != out.ids[k] || id != last + 1)
				fail_msg("node %d, added %zu: id %lld, outcome %lld, expected %lld", t, i,
					 (long long)id, (long long)out.ids[k], (long long)last + 1);
			last = id;
		}
		int64_t held = 0;
		assert_int_equal(cf_store_trust_count(f->st, node, "tomcat-trust", &held, &e), CF_OK);
		assert_int_equal(held, m[t].sha.n);
	}
	/* notes count the publisher's duplicates; warnings are the publisher's duplicate CNs in order */
	char note[128];
	snprintf(note, sizeof(note), "%zu certificates were already in tomcat-trust on " PUB ", ignored",
		 m[0].duplicates);
	assert_true(m[0].duplicates > 1);
	assert_int_equal(out.notes.n, 1);
	assert_string_equal(out.notes.v[0], note);
	assert_true(m[0].dup_cn.n > 1);
	assert_int_equal(out.warnings.rules.n, m[0].dup_cn.n);
	for (size_t i = 0; i < m[0].dup_cn.n; i++) {
		assert_string_equal(out.warnings.rules.v[i], "duplicate-cn");
		if (strstr(out.warnings.messages.v[i], m[0].dup_cn.v[i]) == NULL)
			fail_msg("warning %zu: \"%s\" does not name %s", i, out.warnings.messages.v[i],
				 m[0].dup_cn.v[i]);
	}
	assert_int_equal(out.nodes.n, 2);
	cf_outcome_free(&out);

	/* again: nothing added anywhere, every certificate a duplicate on the publisher */
	assert_int_equal(cf_trust_add(f->st, NULL, PUB, "tomcat-trust", "bundle.pem", (const uint8_t *)pem, strlen(pem),
				      NULL, &out, &e),
			 CF_OK);
	assert_int_equal(out.n_ids, 0);
	assert_int_equal(out.warnings.rules.n, 0);
	snprintf(note, sizeof(note), "%d certificates were already in tomcat-trust on " PUB ", ignored", N);
	assert_string_equal(out.notes.v[0], note);
	cf_outcome_free(&out);

	free(pem);
	for (int t = 0; t < 2; t++)
		model_free(&m[t]);
	for (int i = 0; i < N; i++) {
		cf_facts_free(&facts[i]);
		cf_cert_free(certs[i]);
	}
	cf_facts_free(&pre_facts);
	cf_cert_free(pre);
}

/* ---- LSC imports ---------------------------------------------------------------------------------- */

/* An LSC of device issued by ca (the fixture's EC key signs), valid from yesterday for days. */
static cf_cert *make_lsc(struct fx *f, const cf_cert *ca, const char *device, int days)
{
	cf_reqspec spec = {.dn = {.o = "Phones", .cn = device},
			   .ku = CF_KU_DIGITAL_SIGNATURE | CF_KU_KEY_ENCIPHERMENT,
			   .eku = CF_EKU_CLIENT_AUTH};
	cf_cert *c = NULL;
	cf_err e = {0};
	if (cf_cert_issue(&spec, f->rsa, ca, f->key, cf_clock_now() - DAY, days, &c, &e) != CF_OK)
		fail_msg("make_lsc: %s", e.message);
	return c;
}

static int64_t lsc_id(struct fx *f, const char *device)
{
	cf_certrow r = {0};
	cf_err e = {0};
	if (cf_store_named_get(f->st, f->pub_id, CF_LSC, device, false, &r, &e) != CF_OK)
		return 0;
	int64_t id = r.id;
	cf_certrow_free(&r);
	return id;
}

/* 300 LSCs, then a file that replaces some (one with an older one: older-lsc), keeps some and adds
 * others: counts, warnings in file order, and ids as one at a time gives them: the next ones in
 * order — on SQLite the first replacement, of the newest row, takes that row's id again. */
static void test_lsc_import_as_one_by_one(void **state)
{
	struct fx *f = *state;
	enum { N = 300 };
	cf_err e = {0};
	cf_lsc_counts counts = {0};
	cf_outcome out = {0};
	cf_cert *ca = make_ca(f, "Phone CA", 3650);
	cf_certrow car = row_of(ca, f->pub_id, CF_TRUST, "CAPF-trust");
	assert_int_equal(cf_store_begin(f->st, &e), CF_OK);
	assert_int_equal(cf_store_cert_insert(f->st, &car, &e), CF_OK);
	assert_int_equal(cf_store_commit(f->st, &e), CF_OK);
	cf_facts_free(&car.facts);

	cf_cert *first[N], *second[2 * N];
	char device[32];
	for (int i = 0; i < N; i++) {
		snprintf(device, sizeof(device), "SEP%012d", i);
		first[i] = make_lsc(f, ca, device, 365);
	}
	char *pem = bundle_pem(first, N);
	if (cf_lsc_import(f->st, PUB, "lscs.pem", (const uint8_t *)pem, strlen(pem), &counts, &out, &e) != CF_OK)
		fail_msg("lsc import: %s", e.message);
	free(pem);
	assert_int_equal(counts.added, N);
	assert_int_equal(out.n_ids, N);
	for (int i = 0; i < N; i++) {
		snprintf(device, sizeof(device), "SEP%012d", i);
		assert_int_equal(lsc_id(f, device), out.ids[i]);
		assert_int_equal(out.ids[i], out.ids[0] + i);
	}
	int64_t newest = out.ids[N - 1];
	cf_outcome_free(&out);

	/* the second file, in this order: the last device replaced (its row is the newest), devices
	 * 0..99 unchanged, 100..199 replaced (150 by an older LSC), 200 new devices */
	size_t n2 = 0;
	second[n2++] = make_lsc(f, ca, "SEP000000000299", 400);
	for (int i = 0; i < 100; i++)
		second[n2++] = cf_cert_ref(first[i]);
	for (int i = 100; i < 200; i++) {
		snprintf(device, sizeof(device), "SEP%012d", i);
		second[n2++] = make_lsc(f, ca, device, i == 150 ? 30 : 400);
	}
	for (int i = 0; i < 200; i++) {
		snprintf(device, sizeof(device), "CSFUSER%04d", i);
		second[n2++] = make_lsc(f, ca, device, 400);
	}
	pem = bundle_pem(second, n2);
	if (cf_lsc_import(f->st, PUB, "again.pem", (const uint8_t *)pem, strlen(pem), &counts, &out, &e) != CF_OK)
		fail_msg("lsc import: %s", e.message);
	free(pem);
	assert_int_equal(counts.added, 200);
	assert_int_equal(counts.replaced, 101);
	assert_int_equal(counts.unchanged, 100);
	assert_int_equal(out.n_ids, 301);
	/* one at a time: SQLite numbers one above the largest id, so deleting the newest row first
	 * gives its id again; PostgreSQL's sequence goes on */
	int64_t next = strcmp(cf_store_engine(f->st), "sqlite") == 0 ? newest : newest + 1;
	for (size_t i = 0; i < out.n_ids; i++)
		assert_int_equal(out.ids[i], next + (int64_t)i);
	assert_int_equal(lsc_id(f, "SEP000000000299"), out.ids[0]);
	assert_int_equal(lsc_id(f, "SEP000000000100"), out.ids[1]);
	assert_int_equal(lsc_id(f, "CSFUSER0199"), out.ids[300]);
	assert_int_equal(lsc_id(f, "SEP000000000005"), newest - (N - 1) + 5); /* unchanged: its old row */
	assert_int_equal(out.warnings.rules.n, 1);
	assert_string_equal(out.warnings.rules.v[0], "older-lsc");
	assert_non_null(strstr(out.warnings.messages.v[0], "SEP000000000150"));
	int64_t n = 0;
	assert_int_equal(cf_store_cert_count(f->st, &(cf_certfilter){.kind = CF_LSC}, &n, &e), CF_OK);
	assert_int_equal(n, N + 200);
	cf_outcome_free(&out);

	for (int i = 0; i < N; i++)
		cf_cert_free(first[i]);
	for (size_t i = 0; i < n2; i++)
		cf_cert_free(second[i]);
	cf_cert_free(ca);
}

/* ---- certificate lists: a node's page at a time ----------------------------------------------------- */

typedef struct walk {
	int64_t ids[256];
	char keys[256][96]; /* fqdn, kind, name and id, as they sort */
	size_t n;
} walk;

static int walk_row(void *ctx, const cf_certrow *r)
{
	walk *w = ctx;
	if (w->n < 256) {
		w->ids[w->n] = r->id;
		snprintf(w->keys[w->n++], sizeof(w->keys[0]), "%s|%d|%s|%012lld", r->node, r->kind, r->name,
			 (long long)r->id);
	}
	return 0;
}

/* Pages across nodes whose ids are not in name order: every window (offset, limit) of a filter is
 * that window of the whole walk, which is in (node FQDN, kind, name, id) order; counts agree. */
static void test_pages_across_nodes(void **state)
{
	struct fx *f = *state;
	cf_err e = {0};
	int64_t cl = 0, ids[3];
	const char *fqdns[] = {"zz-exp.example.com", "aa-exp.example.com", "mm-exp.example.com"};
	assert_int_equal(cf_store_begin(f->st, &e), CF_OK);
	assert_int_equal(cf_store_cluster_add(f->st, "exp", NULL, &cl, &e), CF_OK);
	for (int i = 0; i < 3; i++) {
		cf_node n = {
			.fqdn = (char *)fqdns[i], .cluster_id = cl, .product = (char *)"expressway", .ip = (char *)""};
		assert_int_equal(cf_store_node_add(f->st, &n, &e), CF_OK);
		ids[i] = n.id;
	}
	/* interleaved: ids do not follow names, nodes or kinds */
	const char *stores[] = {"trusted-ca", "server", "tomcat-trust"};
	for (int k = 0; k < 60; k++) {
		char cn[32];
		snprintf(cn, sizeof(cn), "%s CA %02d", k % 3 ? "Page" : "Other", k);
		cf_cert *c = make_ca(f, cn, 365);
		int node = (k * 7) % 5; /* 0..2: the Expressways, 3: the publisher, 4: none (no certificate) */
		if (node == 4)
			node = 1;
		int64_t nid = node < 3 ? ids[node] : f->pub_id;
		cf_certrow r =
			row_of(c, nid, k % 4 == 0 ? CF_IDENTITY : CF_TRUST, node < 3 ? stores[k % 2] : stores[2]);
		if (r.kind == CF_IDENTITY)
			r.name = (char *)(k % 8 == 0 ? "server-a" : "server-b");
		if (r.kind == CF_IDENTITY) { /* one identity per node and purpose */
			cf_certrow old = {0};
			if (cf_store_identity_get(f->st, nid, r.name, false, &old, NULL) == CF_OK)
				r.kind = CF_TRUST, r.name = (char *)"trusted-ca";
			cf_certrow_free(&old);
		}
		assert_int_equal(cf_store_cert_insert(f->st, &r, &e), CF_OK);
		cf_facts_free(&r.facts);
		cf_cert_free(c);
	}
	assert_int_equal(cf_store_commit(f->st, &e), CF_OK);

	const cf_certfilter filters[] = {{0}, {.store = "trusted-ca"}, {.begins_with = "page"}, {.kind = CF_IDENTITY}};
	for (size_t fi = 0; fi < sizeof(filters) / sizeof(filters[0]); fi++) {
		walk all = {0};
		cf_certfilter flt = filters[fi];
		assert_int_equal(cf_store_cert_each(f->st, &flt, walk_row, &all, &e), CF_OK);
		int64_t total = -1;
		assert_int_equal(cf_store_cert_count(f->st, &flt, &total, &e), CF_OK);
		assert_int_equal(total, (int64_t)all.n);
		assert_true(all.n > 3);
		for (size_t i = 1; i < all.n; i++)
			if (strcmp(all.keys[i - 1], all.keys[i]) >= 0)
				fail_msg("filter %zu: %s before %s", fi, all.keys[i - 1], all.keys[i]);
		const int64_t limits[] = {1, 2, 7, 50};
		for (size_t li = 0; li < sizeof(limits) / sizeof(limits[0]); li++)
			for (int64_t off = 0; off <= (int64_t)all.n; off++) {
				walk page = {0};
				flt.offset = off;
				flt.limit = limits[li];
				assert_int_equal(cf_store_cert_each(f->st, &flt, walk_row, &page, &e), CF_OK);
				size_t want = all.n - (size_t)off < (size_t)limits[li] ? all.n - (size_t)off
										       : (size_t)limits[li];
				assert_int_equal(page.n, want);
				for (size_t i = 0; i < page.n; i++)
					assert_int_equal(page.ids[i], all.ids[off + (int64_t)i]);
			}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_insert_many_ids, setup, teardown),
		cmocka_unit_test_setup_teardown(test_trust_known, setup, teardown),
		cmocka_unit_test_setup_teardown(test_trust_bundle_as_one_by_one, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lsc_import_as_one_by_one, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pages_across_nodes, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
