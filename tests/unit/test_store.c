/* The store's contract, on each engine: `test_store` runs it on SQLite (a fresh file per test),
 * `test_store pg` on PostgreSQL (a database on the server ctest started with tests/pg/pgserver.sh,
 * PGSERVER and PGTEST_DIR, emptied before each test). Every test runs on both, except those about
 * SQLite's file itself, listed apart in main(). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pgtest.h"
#include "core/lifecycle/endpoint.h"
#include "core/revocation/crlfetch.h"
#include "core/view/certjson.h"
#include "core/ca/ocsp.h"
#include "core/jobs/duties.h"
#include "crypto/x509.h"
#include "store/store.h"
#include "store/store_int.h" /* the driver table, for a store that fails on purpose */
#include "util/clock.h"

#define T0 INT64_C(1700000000)
#define DAY INT64_C(86400)

/* The engine under test: PostgreSQL (pg_url, the database every test empties) or SQLite. */
static bool on_pg;
static char pg_url[256];

struct fx {
	char dir[64];
	char target[256]; /* the store: dir/store.db, or pg_url */
	cf_store *st;
	int64_t cl;	/* cluster "uc" */
	int64_t pub_id; /* ucm-pub.example.com */
	int64_t sub_id; /* ucm-sub.example.com */
	cf_key *key;	/* one EC key for every test certificate (fast) */
};

/* The store's trust predicates, each asserting that the store answered. */
static int64_t trust_find(cf_store *st, int64_t node_id, const char *store, const char *sha256)
{
	int64_t id = -1;
	assert_int_equal(cf_store_trust_find(st, node_id, store, sha256, &id, NULL), CF_OK);
	return id;
}

static int64_t trust_count(cf_store *st, int64_t node_id, const char *store)
{
	int64_t n = -1;
	assert_int_equal(cf_store_trust_count(st, node_id, store, &n, NULL), CF_OK);
	return n;
}

/* Whether (node, store) holds a trust certificate with this CN but another SHA-256. */
static bool trust_cn_exists(cf_store *st, int64_t node_id, const char *store, const char *cn, const char *sha256)
{
	cf_facts facts = {0};
	unsigned char known = 0;
	snprintf(facts.sha256, sizeof(facts.sha256), "%s", sha256);
	facts.cn = (char *)cn;
	assert_int_equal(cf_store_trust_known(st, node_id, store, &facts, 1, &known, NULL), CF_OK);
	return (known & CF_TRUST_OTHER_CN) != 0;
}

static void rm_store_files(const char *path)
{
	const char *suffix[] = {"", "-wal", "-shm", "-journal"};
	for (size_t i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
		char p[256];
		snprintf(p, sizeof(p), "%s%s", path, suffix[i]);
		unlink(p);
	}
}

/* The engine's driver, for SQL the store has no query for (making an old or a newer store). */
static const cf_db_driver *engine(void)
{
	return on_pg ? &cf_db_pg : &cf_db_sqlite;
}

/* Runs sql on its own connection to target, as another program would. */
static void raw_exec(const char *target, const char *sql)
{
	cf_db *db = NULL;
	cf_err e = {0};
	if (engine()->open(target, false, &db, &e) != CF_OK)
		fail_msg("open %s: %s", target, e.message);
	if (engine()->exec(db, sql, &e) != CF_OK)
		fail_msg("%s: %s", sql, e.message);
	engine()->close(db);
}

/* PostgreSQL: the suite's database (made afresh) and the role's password in PGPASSWORD. */
static int pg_group_setup(void)
{
	return pgtest_database("unit_store_pg", pg_url, sizeof(pg_url), NULL, 0);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	cf_err e = {0};
	snprintf(f->dir, sizeof(f->dir), "/tmp/cf-store-test.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	if (on_pg) {
		/* an empty database: what the last test made goes with its schema */
		snprintf(f->target, sizeof(f->target), "%s", pg_url);
		raw_exec(f->target, "DROP SCHEMA public CASCADE; CREATE SCHEMA public");
	} else {
		snprintf(f->target, sizeof(f->target), "%s/store.db", f->dir);
	}
	if (cf_store_open(f->target, true, &f->st, &e) != CF_OK) {
		fprintf(stderr, "cf_store_open: %s: %s\n", e.subject, e.message);
		return -1;
	}
	cf_keyspec ks;
	if (cf_keyspec_parse("ec:prime256v1", &ks, &e) != CF_OK || cf_key_generate(&ks, &f->key, &e) != CF_OK)
		return -1;
	cf_clock_set(0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	cf_store_close(f->st);
	cf_key_free(f->key);
	if (!on_pg)
		rm_store_files(f->target);
	char other[160];
	snprintf(other, sizeof(other), "%s/other.db", f->dir);
	rm_store_files(other);
	snprintf(other, sizeof(other), "%s/junk.db", f->dir);
	rm_store_files(other);
	if (rmdir(f->dir) != 0)
		fprintf(stderr, "rmdir %s: %s\n", f->dir, strerror(errno));
	cf_clock_set(0);
	free(f);
	return 0;
}

/* A cluster "uc" with a ucm publisher and a subscriber, committed. */
static void add_uc(struct fx *f)
{
	cf_err e = {0};
	assert_int_equal(cf_store_begin(f->st, &e), CF_OK);
	assert_int_equal(cf_store_cluster_add(f->st, "uc", NULL, &f->cl, &e), CF_OK);
	cf_node pub = {.fqdn = (char *)"ucm-pub.example.com",
		       .cluster_id = f->cl,
		       .product = (char *)"ucm",
		       .publisher = true,
		       .ip = (char *)"10.0.0.10"};
	cf_node sub = {.fqdn = (char *)"ucm-sub.example.com", .cluster_id = f->cl, .product = (char *)"ucm"};
	assert_int_equal(cf_store_node_add(f->st, &pub, &e), CF_OK);
	assert_int_equal(cf_store_node_add(f->st, &sub, &e), CF_OK);
	f->pub_id = pub.id;
	f->sub_id = sub.id;
	assert_int_equal(cf_store_commit(f->st, &e), CF_OK);
	assert_true(f->pub_id > 0);
	assert_true(f->sub_id > 0);
	assert_true(f->pub_id != f->sub_id);
}

/* A self-signed certificate with CN cn valid from T0 for `days` days. */
static cf_cert *make_cert(struct fx *f, const char *cn, int64_t days)
{
	cf_strv san = {0};
	cf_strv_pushf(&san, "DNS:%s", cn[0] ? cn : "x.example.com");
	cf_strv_push(&san, "IP:10.1.2.3");
	cf_reqspec spec = {.dn = {.o = "Example", .cn = cn},
			   .san = &san,
			   .ku = CF_KU_DIGITAL_SIGNATURE | CF_KU_KEY_AGREEMENT,
			   .eku = CF_EKU_SERVER_AUTH | CF_EKU_CLIENT_AUTH};
	cf_cert *c = NULL;
	cf_err e = {0};
	if (cf_cert_self_signed(&spec, f->key, T0, (int)days, &c, &e) != CF_OK)
		fail_msg("make_cert: %s", e.message);
	cf_strv_clear(&san);
	return c;
}

/* Inserts a certificate row (committed) and returns its id; sha256 (if non-NULL) gets the
 * fingerprint. */
static int64_t insert(struct fx *f, int64_t node_id, cf_certkind kind, const char *name, const char *cn, int64_t days,
		      char *sha256)
{
	cf_cert *c = make_cert(f, cn, days);
	cf_certrow r = {.node_id = node_id, .kind = kind, .name = (char *)name};
	cf_err e = {0};
	size_t len = 0;
	r.der = (uint8_t *)cf_cert_der(c, &len);
	r.der_len = len;
	if (cf_cert_facts(c, &r.facts, &e) != CF_OK)
		fail_msg("facts: %s", e.message);
	assert_int_equal(cf_store_begin(f->st, &e), CF_OK);
	if (cf_store_cert_insert(f->st, &r, &e) != CF_OK)
		fail_msg("insert %s/%s: %s", name, cn, e.message);
	assert_int_equal(cf_store_commit(f->st, &e), CF_OK);
	if (sha256 != NULL)
		memcpy(sha256, r.facts.sha256, 65);
	cf_facts_free(&r.facts);
	cf_cert_free(c);
	assert_true(r.id > 0);
	return r.id;
}

/* ---- opening ---------------------------------------------------------------------------------- */

/* One trust certificate per node, store and SHA-256 is a constraint (two writers cannot both pass
 * the check), and opening a store kept before the constraint drops the copies it held. */
static void test_trust_unique(void **state)
{
	struct fx *f = *state;
	cf_err e = {0};
	char sha[65];
	add_uc(f);
	int64_t first = insert(f, f->pub_id, CF_TRUST, "tomcat-trust", "Example Root CA", 100, sha);
	cf_certrow again = {0};
	assert_int_equal(cf_store_cert_get(f->st, first, false, &again, &e), CF_OK);
	assert_int_equal(cf_store_begin(f->st, &e), CF_OK);
	assert_int_equal(cf_store_cert_insert(f->st, &again, &e), CF_E_STATE);
	cf_store_rollback(f->st);
	cf_certrow_free(&again);
	assert_int_equal(trust_count(f->st, f->pub_id, "tomcat-trust"), 1);

	/* a store from before the constraint, holding the same certificate twice */
	cf_store_close(f->st);
	f->st = NULL;
	char sql[2048];
	snprintf(sql, sizeof(sql),
		 "DROP INDEX certificates_trust;"
		 " CREATE TEMP TABLE cert_copy AS SELECT * FROM certificates WHERE id = %lld;"
		 " UPDATE cert_copy SET id = (SELECT max(id) + 1 FROM certificates);"
		 " INSERT INTO certificates SELECT * FROM cert_copy; DROP TABLE jobs; DROP TABLE acme_identities; DROP "
		 "TABLE acme_tokens; DROP TABLE acme_accounts; DROP TABLE served_checks; DROP TABLE ca_notifications;"
		 " DROP TABLE ca_ocsp; DROP TABLE ca_crls; DROP TABLE ca_issued; DROP TABLE cas;"
		 " ALTER TABLE deploy_targets DROP COLUMN serves; ALTER TABLE deploy_targets DROP COLUMN starttls;"
		 " UPDATE schema_version SET version = 9",
		 (long long)first);
	raw_exec(f->target, sql);
	assert_int_equal(cf_store_open(f->target, false, &f->st, &e), CF_OK);
	assert_int_equal(cf_store_schema_version(f->st), cf_schema_latest());
	assert_int_equal(trust_count(f->st, f->pub_id, "tomcat-trust"), 1);
	assert_int_equal(trust_find(f->st, f->pub_id, "tomcat-trust", sha), first);
}

static void test_open_creates_0600(void **state)
{
	struct fx *f = *state;
	struct stat sb;
	assert_int_equal(stat(f->target, &sb), 0);
	assert_true(S_ISREG(sb.st_mode));
	assert_int_equal(sb.st_mode & 07777, 0600);
	assert_int_equal(cf_store_schema_version(f->st), cf_schema_latest());

	/* 0600 whatever the umask says */
	char other[160];
	cf_store *st = NULL;
	cf_err e = {0};
	snprintf(other, sizeof(other), "%s/other.db", f->dir);
	mode_t old = umask(0);
	cf_code rc = cf_store_open(other, true, &st, &e);
	umask(old);
	assert_int_equal(rc, CF_OK);
	assert_int_equal(stat(other, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0600);
	/* the WAL beside it, when there is one, is no more open than the store */
	int64_t id = 0;
	assert_int_equal(cf_store_begin(st, &e), CF_OK);
	assert_int_equal(cf_store_cluster_add(st, "x", NULL, &id, &e), CF_OK);
	assert_int_equal(cf_store_commit(st, &e), CF_OK);
	char wal[170];
	snprintf(wal, sizeof(wal), "%s-wal", other);
	if (stat(wal, &sb) == 0)
		assert_int_equal(sb.st_mode & 07777, 0600);
	cf_store_close(st);
	cf_store_close(NULL);
}

static void test_open_missing_without_create(void **state)
{
	struct fx *f = *state;
	char other[160];
	cf_store *st = NULL;
	cf_err e = {0};
	struct stat sb;
	snprintf(other, sizeof(other), "%s/other.db", f->dir);
	assert_int_equal(cf_store_open(other, false, &st, &e), CF_E_NOTFOUND);
	assert_null(st);
	assert_string_equal(e.subject, other);
	assert_int_not_equal(stat(other, &sb), 0); /* nothing created */
}

static void test_open_not_a_store(void **state)
{
	struct fx *f = *state;
	char junk[160];
	snprintf(junk, sizeof(junk), "%s/junk.db", f->dir);
	FILE *fp = fopen(junk, "w");
	assert_non_null(fp);
	for (int i = 0; i < 200; i++)
		fputs("this is not an SQLite database, just text\n", fp);
	fclose(fp);
	cf_store *st = NULL;
	cf_err e = {0};
	cf_code rc = cf_store_open(junk, false, &st, &e);
	assert_int_not_equal(rc, CF_OK);
	assert_int_equal(e.code, rc);
	assert_null(st);
}

static void test_open_newer_schema_refused(void **state)
{
	struct fx *f = *state;
	cf_store_close(f->st);
	f->st = NULL;
	raw_exec(f->target, "UPDATE schema_version SET version = 99");
	cf_err e = {0};
	assert_int_equal(cf_store_open(f->target, false, &f->st, &e), CF_E_STATE);
	assert_null(f->st);
	assert_non_null(strstr(e.message, "99"));
	assert_non_null(strstr(e.message, "newer"));
	/* and nothing was changed in it: it is still refused */
	assert_int_equal(cf_store_open(f->target, false, &f->st, &e), CF_E_STATE);
	assert_null(f->st);
}

static void test_reopen_keeps_data(void **state)
{
	struct fx *f = *state;
	cf_err e = {0};
	add_uc(f);
	cf_store_close(f->st);
	f->st = NULL;
	assert_int_equal(cf_store_open(f->target, false, &f->st, &e), CF_OK);
	assert_int_equal(cf_store_schema_version(f->st), cf_schema_latest());
	cf_node n = {0};
	assert_int_equal(cf_store_node_get(f->st, "ucm-pub.example.com", &n, &e), CF_OK);
	assert_int_equal(n.id, f->pub_id);
	assert_string_equal(n.ip, "10.0.0.10");
	cf_node_free(&n);
}

/* ---- clusters ----------------------------------------------------------------------------------- */

static void test_clusters(void **state)
{
	struct fx *f = *state;
	cf_err e = {0};
	int64_t a = 0, b = 0, dup = 0;
	assert_int_equal(cf_store_begin(f->st, &e), CF_OK);
	assert_int_equal(cf_store_cluster_add(f->st, "uc", NULL, &a, &e), CF_OK);
	assert_int_equal(cf_store_cluster_add(f->st, "edge", "exp.example.com", &b, &e), CF_OK);
	assert_true(a > 0 && b > 0 && a != b);
	assert_int_equal(cf_store_commit(f->st, &e), CF_OK);
	/* a refused statement ends the transaction's use (PostgreSQL aborts it): roll back and begin
	 * again, as the product does */
	assert_int_equal(cf_store_begin(f->st, &e), CF_OK);
	assert_int_equal(cf_store_cluster_add(f->st, "uc", NULL, &dup, &e), CF_E_STATE);
	assert_string_equal(e.subject, "uc");
	assert_int_equal(dup, 0);
	cf_store_rollback(f->st);
	assert_int_equal(cf_store_begin(f->st, &e), CF_OK);
	assert_int_equal(cf_store_cluster_setting(f->st, a, "presence-domains", "example.com", &e), CF_OK);
	assert_int_equal(cf_store_cluster_setting(f->st, a, "dn.O", "Example", &e), CF_OK);
	assert_int_equal(cf_store_cluster_setting(f->st, a, "presence-domains", "example.com,example.org", &e), CF_OK);
	assert_int_equal(cf_store_cluster_setting(f->st, a, "xmpp-federation-wildcards", "on", &e), CF_OK);
	assert_int_equal(cf_store_cluster_setting(f->st, b, "chat-aliases", "chat.example.com", &e), CF_OK);
	assert_int_equal(cf_store_commit(f->st, &e), CF_OK);

	cf_cluster c = {0};
	assert_int_equal(cf_store_cluster_get(f->st, "uc", 0, &c, &e), CF_OK);
	assert_int_equal(c.id, a);
	assert_string_equal(c.name, "uc");
	assert_string_equal(c.fqdn, "");
	/* settings sorted by key; a second set replaced the first */
	assert_int_equal(c.keys.n, 3);
	assert_int_equal(c.values.n, 3);
	assert_string_equal(c.keys.v[0], "dn.O");
	assert_string_equal(c.keys.v[1], "presence-domains");
	assert_string_equal(c.keys.v[2], "xmpp-federation-wildcards");
	assert_string_equal(cf_cluster_get(&c, "presence-domains"), "example.com,example.org");
	assert_string_equal(cf_cluster_get(&c, "dn.O"), "Example");
	assert_null(cf_cluster_get(&c, "chat-aliases")); /* the other cluster's */
	assert_null(cf_cluster_get(&c, "email-domains"));
	cf_cluster_free(&c);
	assert_null(c.name);
	cf_cluster_free(NULL);

	/* by id */
	assert_int_equal(cf_store_cluster_get(f->st, NULL, b, &c, &e), CF_OK);
	assert_string_equal(c.name, "edge");
	assert_string_equal(c.fqdn, "exp.example.com");
	assert_string_equal(cf_cluster_get(&c, "chat-aliases"), "chat.example.com");
	cf_cluster_free(&c);

	/* FQDN change and setting removal */
	assert_int_equal(cf_store_begin(f->st, &e), CF_OK);
	assert_int_equal(cf_store_cluster_set_fqdn(f->st, a, "uc.example.com", &e), CF_OK);
	assert_int_equal(cf_store_cluster_setting(f->st, a, "dn.O", NULL, &e), CF_OK);
	assert_int_equal(cf_store_commit(f->st, &e), CF_OK);
	assert_int_equal(cf_store_cluster_get(f->st, "uc", 0, &c, &e), CF_OK);
	assert_string_equal(c.fqdn, "uc.example.com");
	assert_null(cf_cluster_get(&c, "dn.O"));
	assert_int_equal(c.keys.n, 2);
	cf_cluster_free(&c);

	/* unknown */
	cf_err_clear(&e);
	assert_int_equal(cf_store_cluster_get(f->st, "nope", 0, &c, &e), CF_E_NOTFOUND);
	assert_string_equal(e.subject, "nope");
	assert_int_equal(cf_store_cluster_get(f->st, NULL, 9999, &c, &e), CF_E_NOTFOUND);
}

/* ---- nodes ---------------------------------------------------------------------------------------- */

static void test_nodes(void **state)
{
	struct fx *f = *state;
	cf_err e = {0};
	add_uc(f);

	cf_node n = {0};
	assert_int_equal(cf_store_node_get(f->st, "ucm-pub.example.com", &n, &e), CF_OK);
	assert_int_equal(n.id, f->pub_id);
	assert_string_equal(n.fqdn, "ucm-pub.example.com");
	assert_int_equal(n.cluster_id, f->cl);
	assert_string_equal(n.cluster, "uc");
	assert_string_equal(n.product, "ucm");
	assert_true(n.publisher);
	assert_string_equal(n.ip, "10.0.0.10");
	cf_node_free(&n);
	assert_null(n.fqdn);
	cf_node_free(NULL);

	/* case-insensitive lookup; the stored spelling comes back */
	assert_int_equal(cf_store_node_get(f->st, "UCM-SUB.Example.COM", &n, &e), CF_OK);
	assert_int_equal(n.id, f->sub_id);
	assert_string_equal(n.fqdn, "ucm-sub.example.com");
	assert_false(n.publisher);
	assert_string_equal(n.ip, "");
	cf_node_free(&n);

	cf_err_clear(&e);
	assert_int_equal(cf_store_node_get(f->st, "nope.example.com", &n, &e), CF_E_NOTFOUND);
	assert_int_equal(e.code, CF_E_NOTFOUND);
	assert_string_equal(e.subject, "nope.example.com");

	/* duplicate FQDN */
	cf_node again = {.fqdn = (char *)"ucm-sub.example.com", .cluster_id = f->cl, .product = (char *)"ucm"};
	cf_err_clear(&e);
	assert_int_equal(cf_store_begin(f->st, &e), CF_OK);
	assert_int_equal(cf_store_node_add(f->st, &again, &e), CF_E_STATE);
	assert_int_equal(e.code, CF_E_STATE);
	assert_string_equal(e.subject, "ucm-sub.example.com");
	cf_store_rollback(f->st);

	/* a node in another cluster */
	int64_t other = 0;
	assert_int_equal(cf_store_begin(f->st, &e), CF_OK);
	assert_int_equal(cf_store_cluster_add(f->st, "edge", NULL, &other, &e), CF_OK);
	cf_node exp = {.fqdn = (char *)"expc.example.com",
		       .cluster_id = other,
		       .product = (char *)"expressway-c",
		       .publisher = true};
	assert_int_equal(cf_store_node_add(f->st, &exp, &e), CF_OK);
	assert_int_equal(cf_store_commit(f->st, &e), CF_OK);

	cf_node *v = NULL;
	size_t count = 0;
	assert_int_equal(cf_store_nodes(f->st, f->cl, &v, &count, &e), CF_OK);
	assert_int_equal(count, 2);
	assert_string_equal(v[0].fqdn, "ucm-pub.example.com");
	assert_string_equal(v[1].fqdn, "ucm-sub.example.com");
	cf_nodes_free(v, count);
	assert_int_equal(cf_store_nodes(f->st, other, &v, &count, &e), CF_OK);
	assert_int_equal(count, 1);
	assert_string_equal(v[0].cluster, "edge");
	cf_nodes_free(v, count);
	assert_int_equal(cf_store_nodes(f->st, 0, &v, &count, &e), CF_OK);
	assert_int_equal(count, 3);
	cf_nodes_free(v, count);
}

/* FQDNs are case-insensitive (node_get finds "UCM-SUB..." as "ucm-sub..."), so a node whose
 * FQDN differs from an existing one only in case is the same node: refused as a duplicate. */
static void test_node_duplicate_differing_in_case(void **state)
{
	struct fx *f = *state;
	cf_err e = {0};
	add_uc(f);
	cf_node twin = {.fqdn = (char *)"UCM-Sub.Example.com", .cluster_id = f->cl, .product = (char *)"ucm"};
	assert_int_equal(cf_store_begin(f->st, &e), CF_OK);
	cf_code rc = cf_store_node_add(f->st, &twin, &e);
	cf_store_rollback(f->st);
	if (rc != CF_E_STATE)
		fail_msg("node \"UCM-Sub.Example.com\" added (rc %d, id %lld) beside \"ucm-sub.example.com\"", rc,
			 (long long)twin.id);
}

/* store.h: cf_store_nodes lists "publisher first, then by FQDN". */
static void test_nodes_order(void **state)
{
	struct fx *f = *state;
	cf_err e = {0};
	int64_t cl = 0;
	assert_int_equal(cf_store_begin(f->st, &e), CF_OK);
	assert_int_equal(cf_store_cluster_add(f->st, "uc", NULL, &cl, &e), CF_OK);
	cf_node nodes[] = {
		{.fqdn = (char *)"c-sub.example.com", .cluster_id = cl, .product = (char *)"ucm"},
		{.fqdn = (char *)"z-pub.example.com", .cluster_id = cl, .product = (char *)"ucm", .publisher = true},
		{.fqdn = (char *)"b-imp.example.com", .cluster_id = cl, .product = (char *)"imp"},
		{.fqdn = (char *)"a-sub.example.com", .cluster_id = cl, .product = (char *)"ucm"},
	};
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(cf_store_node_add(f->st, &nodes[i], &e), CF_OK);
	assert_int_equal(cf_store_commit(f->st, &e), CF_OK);
	cf_node *v = NULL;
	size_t n = 0;
	assert_int_equal(cf_store_nodes(f->st, cl, &v, &n, &e), CF_OK);
	assert_int_equal(n, 4);
	char got[256];
	snprintf(got, sizeof(got), "%s %s %s %s", v[0].fqdn, v[1].fqdn, v[2].fqdn, v[3].fqdn);
	cf_nodes_free(v, n);
	assert_string_equal(got, "z-pub.example.com a-sub.example.com b-imp.example.com c-sub.example.com");
}

/* ---- certificates ---------------------------------------------------------------------------------- */

/* What a walk shows of each row: its certificate object, and whether it carried the node and
 * anything past what is shown. */
struct shown_walk {
	cf_buf json;
	int64_t node_id;
	bool node, more;
};

static int shown_fn(void *ctx, const cf_certrow *r)
{
	struct shown_walk *w = ctx;
	cf_certjson_write(&w->json, r);
	w->node_id = r->node_id;
	w->node = r->node != NULL && strcmp(r->node, "ucm-pub.example.com") == 0;
	w->more = r->facts.spki_sha256[0] != '\0' || r->chain_pem != NULL || r->facts.has_ku || r->created != 0;
	return 0;
}

static void test_cert_round_trip(void **state)
{
	struct fx *f = *state;
	cf_err e = {0};
	add_uc(f);
	cf_cert *c = make_cert(f, "ucm-pub-ms.example.com", 1825);
	cf_certrow r = {.node_id = f->pub_id,
			.kind = CF_IDENTITY,
			.name = (char *)"tomcat",
			.distribution = (char *)"multi-server",
			.source = (char *)"csr",
			.description = (char *)"from the lab CA",
			.chain_pem = (char *)"-----BEGIN CERTIFICATE-----\n...\n",
			.key_pem = (char *)"-----BEGIN PRIVATE KEY-----\nsecret\n-----END PRIVATE KEY-----\n",
			.warnings = (char *)"[{\"rule\":\"ku-missing\",\"message\":\"m\"}]",
			.created = T0 + 5};
	size_t len = 0;
	const uint8_t *der = cf_cert_der(c, &len);
	r.der = (uint8_t *)der;
	r.der_len = len;
	assert_int_equal(cf_cert_facts(c, &r.facts, &e), CF_OK);
	cf_strv_push(&r.facts.eku_other, "1.3.6.1.4.1.311.20.2.2"); /* stored as given */
	cf_strv_push(&r.facts.unsupported_oids, "1.2.3.4");
	assert_int_equal(cf_store_begin(f->st, &e), CF_OK);
	assert_int_equal(cf_store_cert_insert(f->st, &r, &e), CF_OK);
	assert_int_equal(cf_store_commit(f->st, &e), CF_OK);
	assert_true(r.id > 0);

	cf_certrow g = {0};
	assert_int_equal(cf_store_cert_get(f->st, r.id, true, &g, &e), CF_OK);
	assert_int_equal(g.id, r.id);
	assert_int_equal(g.node_id, f->pub_id);
	assert_string_equal(g.node, "ucm-pub.example.com");
	assert_int_equal(g.kind, CF_IDENTITY);
	assert_string_equal(g.name, "tomcat");
	assert_int_equal(g.der_len, len);
	assert_memory_equal(g.der, der, len);
	assert_string_equal(g.distribution, "multi-server");
	assert_string_equal(g.source, "csr");
	assert_string_equal(g.description, "from the lab CA");
	assert_string_equal(g.chain_pem, r.chain_pem);
	assert_string_equal(g.key_pem, r.key_pem);
	assert_string_equal(g.warnings, r.warnings);
	assert_int_equal(g.created, T0 + 5);
	/* facts */
	assert_string_equal(g.facts.sha256, r.facts.sha256);
	assert_string_equal(g.facts.spki_sha256, r.facts.spki_sha256);
	assert_string_equal(g.facts.subject, r.facts.subject);
	assert_string_equal(g.facts.issuer, r.facts.issuer);
	assert_string_equal(g.facts.cn, "ucm-pub-ms.example.com");
	assert_string_equal(g.facts.serial, r.facts.serial);
	assert_int_equal(g.facts.not_before, T0);
	assert_int_equal(g.facts.not_after, T0 + 1825 * DAY);
	assert_int_equal(g.facts.key_type, CF_KEY_EC);
	assert_int_equal(g.facts.key_bits, 256);
	assert_string_equal(g.facts.curve, "prime256v1");
	assert_string_equal(g.facts.sig_hash, "sha256");
	assert_true(g.facts.self_signed);
	assert_false(g.facts.ca);
	assert_true(g.facts.has_basic_constraints);
	assert_true(g.facts.has_ku);
	assert_int_equal(g.facts.ku, CF_KU_DIGITAL_SIGNATURE | CF_KU_KEY_AGREEMENT);
	assert_true(g.facts.has_eku);
	assert_int_equal(g.facts.eku, CF_EKU_SERVER_AUTH | CF_EKU_CLIENT_AUTH);
	assert_int_equal(g.facts.san.n, 2);
	assert_string_equal(g.facts.san.v[0], "DNS:ucm-pub-ms.example.com");
	assert_string_equal(g.facts.san.v[1], "IP:10.1.2.3");
	assert_int_equal(g.facts.eku_other.n, 1);
	assert_string_equal(g.facts.eku_other.v[0], "1.3.6.1.4.1.311.20.2.2");
	assert_int_equal(g.facts.unsupported_oids.n, 1);
	assert_int_equal(g.facts.ocsp.n, 0);
	assert_int_equal(g.facts.crl_dp.n, 0);
	cf_certrow_free(&g);
	assert_null(g.name);
	cf_certrow_free(NULL);

	/* a walk of whole rows and one of the columns a listing shows (the API's page) write the
	 * same certificate object; the second carries the node and nothing more */
	struct shown_walk w[2] = {0};
	for (int shown = 0; shown < 2; shown++) {
		cf_certfilter flt = {.node = "ucm-pub.example.com", .shown_only = shown == 1};
		assert_int_equal(cf_store_cert_each(f->st, &flt, shown_fn, &w[shown], &e), CF_OK);
		assert_int_equal(w[shown].node_id, f->pub_id);
		assert_true(w[shown].node);
		assert_int_equal(w[shown].more, shown == 0);
	}
	assert_non_null(strstr(w[0].json.p, "\"description\":\"from the lab CA\""));
	assert_string_equal(w[1].json.p, w[0].json.p);
	cf_buf_free(&w[0].json);
	cf_buf_free(&w[1].json);

	/* without the key */
	assert_int_equal(cf_store_cert_get(f->st, r.id, false, &g, &e), CF_OK);
	assert_null(g.key_pem);
	assert_int_equal(g.der_len, len);
	cf_certrow_free(&g);

	/* the identity by (node, purpose) */
	assert_int_equal(cf_store_identity_get(f->st, f->pub_id, "tomcat", true, &g, &e), CF_OK);
	assert_int_equal(g.id, r.id);
	assert_string_equal(g.key_pem, r.key_pem);
	cf_certrow_free(&g);

	cf_err_clear(&e);
	assert_int_equal(cf_store_cert_get(f->st, r.id + 1000, false, &g, &e), CF_E_NOTFOUND);
	cf_err_clear(&e);
	assert_int_equal(cf_store_identity_get(f->st, f->sub_id, "tomcat", false, &g, &e), CF_E_NOTFOUND);
	assert_string_equal(e.subject, "tomcat");

	cf_facts_free(&r.facts);
	cf_cert_free(c);
}

static void test_cert_defaults_and_clock(void **state)
{
	struct fx *f = *state;
	cf_err e = {0};
	add_uc(f);
	cf_clock_set(T0 + 777);
	cf_cert *c = make_cert(f, "trust.example.com", 10);
	cf_certrow r = {.node_id = f->sub_id, .kind = CF_TRUST, .name = (char *)"tomcat-trust"};
	size_t len = 0;
	r.der = (uint8_t *)cf_cert_der(c, &len);
	r.der_len = len;
	assert_int_equal(cf_cert_facts(c, &r.facts, &e), CF_OK);
	assert_int_equal(cf_store_begin(f->st, &e), CF_OK);
	assert_int_equal(cf_store_cert_insert(f->st, &r, &e), CF_OK);
	assert_int_equal(cf_store_commit(f->st, &e), CF_OK);
	cf_clock_set(0);

	cf_certrow g = {0};
	assert_int_equal(cf_store_cert_get(f->st, r.id, true, &g, &e), CF_OK);
	assert_int_equal(g.created, T0 + 777);
	assert_string_equal(g.distribution, "single-server");
	assert_string_equal(g.source, "upload");
	assert_string_equal(g.description, "");
	assert_string_equal(g.chain_pem, "");
	assert_string_equal(g.warnings, "[]");
	assert_int_equal(g.kind, CF_TRUST);
	cf_certrow_free(&g);
	cf_facts_free(&r.facts);
	cf_cert_free(c);
}

static void test_identity_unique(void **state)
{
	struct fx *f = *state;
	cf_err e = {0};
	add_uc(f);
	int64_t first = insert(f, f->pub_id, CF_IDENTITY, "tomcat", "ucm-pub.example.com", 100, NULL);
	/* other purpose, other node: fine */
	insert(f, f->pub_id, CF_IDENTITY, "CallManager", "ucm-pub.example.com", 100, NULL);
	insert(f, f->sub_id, CF_IDENTITY, "tomcat", "ucm-sub.example.com", 100, NULL);
	/* several trust certificates in one store: fine */
	insert(f, f->pub_id, CF_TRUST, "tomcat", "CA one", 100, NULL);
	insert(f, f->pub_id, CF_TRUST, "tomcat", "CA two", 100, NULL);

	/* a second identity of (node, purpose) */
	cf_cert *c = make_cert(f, "again.example.com", 100);
	cf_certrow r = {.node_id = f->pub_id, .kind = CF_IDENTITY, .name = (char *)"tomcat"};
	size_t len = 0;
	r.der = (uint8_t *)cf_cert_der(c, &len);
	r.der_len = len;
	assert_int_equal(cf_cert_facts(c, &r.facts, &e), CF_OK);
	assert_int_equal(cf_store_begin(f->st, &e), CF_OK);
	cf_err_clear(&e);
	assert_int_equal(cf_store_cert_insert(f->st, &r, &e), CF_E_STATE);
	cf_store_rollback(f->st);
	cf_facts_free(&r.facts);
	cf_cert_free(c);

	cf_certrow g = {0};
	assert_int_equal(cf_store_identity_get(f->st, f->pub_id, "tomcat", false, &g, &e), CF_OK);
	assert_int_equal(g.id, first);
	assert_string_equal(g.facts.cn, "ucm-pub.example.com");
	cf_certrow_free(&g);

	/* delete, then the slot is free */
	assert_int_equal(cf_store_begin(f->st, &e), CF_OK);
	assert_int_equal(cf_store_identity_delete(f->st, f->pub_id, "tomcat", &e), CF_OK);
	assert_int_equal(cf_store_commit(f->st, &e), CF_OK);
	assert_int_equal(cf_store_identity_get(f->st, f->pub_id, "tomcat", false, &g, &e), CF_E_NOTFOUND);
	assert_int_equal(trust_count(f->st, f->pub_id, "tomcat"), 2); /* trust rows untouched */
	int64_t again = insert(f, f->pub_id, CF_IDENTITY, "tomcat", "new.example.com", 100, NULL);
	assert_true(again != first);

	/* cert_delete by id */
	assert_int_equal(cf_store_begin(f->st, &e), CF_OK);
	assert_int_equal(cf_store_cert_delete(f->st, again, &e), CF_OK);
	assert_int_equal(cf_store_commit(f->st, &e), CF_OK);
	assert_int_equal(cf_store_cert_get(f->st, again, false, &g, &e), CF_E_NOTFOUND);
}

/* cf_store_cert_each collects "node kind name cn" lines. */
struct collect {
	char text[2048];
	int calls;
	int stop_after;
	bool saw_der_or_key;
};

static int collect_fn(void *ctx, const cf_certrow *r)
{
	struct collect *c = ctx;
	size_t used = strlen(c->text);
	snprintf(c->text + used, sizeof(c->text) - used, "%s%s %d %s %s", used ? "|" : "", r->node, r->kind, r->name,
		 r->facts.cn);
	if (r->der != NULL || r->key_pem != NULL)
		c->saw_der_or_key = true;
	c->calls++;
	return c->stop_after && c->calls >= c->stop_after ? 42 : 0;
}

static const char *walk(struct fx *f, const cf_certfilter *flt, struct collect *c)
{
	cf_err e = {0};
	memset(c, 0, sizeof(*c));
	assert_int_equal(cf_store_cert_each(f->st, flt, collect_fn, c, &e), CF_OK);
	assert_false(c->saw_der_or_key);
	return c->text;
}

static void test_cert_each_filters(void **state)
{
	struct fx *f = *state;
	struct collect c;
	add_uc(f);
	insert(f, f->pub_id, CF_IDENTITY, "tomcat", "ucm-pub.example.com", 10, NULL);
	insert(f, f->pub_id, CF_IDENTITY, "CallManager", "ucm-pub.example.com", 100, NULL);
	insert(f, f->pub_id, CF_TRUST, "tomcat-trust", "Example Root CA", 1000, NULL);
	insert(f, f->pub_id, CF_TRUST, "tomcat-trust", "Another CA", 20, NULL);
	insert(f, f->sub_id, CF_IDENTITY, "tomcat", "ucm-sub.example.com", 50, NULL);
	insert(f, f->sub_id, CF_TRUST, "CallManager-trust", "Zeta CA", 30, NULL);

	/* everything, ordered by node, kind, name, id */
	assert_string_equal(walk(f, &(cf_certfilter){0}, &c), "ucm-pub.example.com 1 CallManager ucm-pub.example.com|"
							      "ucm-pub.example.com 1 tomcat ucm-pub.example.com|"
							      "ucm-pub.example.com 2 tomcat-trust Example Root CA|"
							      "ucm-pub.example.com 2 tomcat-trust Another CA|"
							      "ucm-sub.example.com 1 tomcat ucm-sub.example.com|"
							      "ucm-sub.example.com 2 CallManager-trust Zeta CA");

	/* node, case-insensitive */
	walk(f, &(cf_certfilter){.node = "UCM-SUB.example.com"}, &c);
	assert_string_equal(c.text, "ucm-sub.example.com 1 tomcat ucm-sub.example.com|"
				    "ucm-sub.example.com 2 CallManager-trust Zeta CA");

	/* purpose: identities only */
	walk(f, &(cf_certfilter){.purpose = "tomcat"}, &c);
	assert_string_equal(c.text, "ucm-pub.example.com 1 tomcat ucm-pub.example.com|"
				    "ucm-sub.example.com 1 tomcat ucm-sub.example.com");
	walk(f, &(cf_certfilter){.purpose = "tomcat-trust"}, &c);
	assert_int_equal(c.calls, 0);

	/* store: trust only */
	walk(f, &(cf_certfilter){.store = "tomcat-trust"}, &c);
	assert_string_equal(c.text, "ucm-pub.example.com 2 tomcat-trust Example Root CA|"
				    "ucm-pub.example.com 2 tomcat-trust Another CA");
	walk(f, &(cf_certfilter){.store = "tomcat"}, &c);
	assert_int_equal(c.calls, 0);

	/* begins_with: on the CN or on the purpose/store name, case-insensitive */
	walk(f, &(cf_certfilter){.begins_with = "ucm-sub"}, &c);
	assert_string_equal(c.text, "ucm-sub.example.com 1 tomcat ucm-sub.example.com");
	walk(f, &(cf_certfilter){.begins_with = "EXAMPLE r"}, &c);
	assert_string_equal(c.text, "ucm-pub.example.com 2 tomcat-trust Example Root CA");
	walk(f, &(cf_certfilter){.begins_with = "callm"}, &c);
	assert_string_equal(c.text, "ucm-pub.example.com 1 CallManager ucm-pub.example.com|"
				    "ucm-sub.example.com 2 CallManager-trust Zeta CA");
	walk(f, &(cf_certfilter){.begins_with = "example.com"}, &c); /* not a substring search */
	assert_int_equal(c.calls, 0);
	walk(f, &(cf_certfilter){.begins_with = "%"}, &c); /* no LIKE wildcards */
	assert_int_equal(c.calls, 0);
	walk(f, &(cf_certfilter){.begins_with = "_"}, &c);
	assert_int_equal(c.calls, 0);
	/* case folds ASCII only, the same on both engines, whatever PostgreSQL's locale */
	int64_t ecole = insert(f, f->sub_id, CF_TRUST,
			       "\xc3\x89"
			       "cole-trust",
			       "Zed CA", 40, NULL);
	walk(f,
	     &(cf_certfilter){.begins_with = "\xc3\x89"
					     "COLE-T"},
	     &c);
	assert_string_equal(c.text, "ucm-sub.example.com 2 \xc3\x89"
				    "cole-trust Zed CA");
	walk(f,
	     &(cf_certfilter){.begins_with = "\xc3\xa9"
					     "cole"},
	     &c);
	assert_int_equal(c.calls, 0);
	assert_int_equal(cf_store_cert_delete(f->st, ecole, NULL), CF_OK);
	/* expiring_before: not_after <= the limit (inclusive) */
	walk(f, &(cf_certfilter){.expiring_before = T0 + 30 * DAY}, &c);
	assert_string_equal(c.text, "ucm-pub.example.com 1 tomcat ucm-pub.example.com|"
				    "ucm-pub.example.com 2 tomcat-trust Another CA|"
				    "ucm-sub.example.com 2 CallManager-trust Zeta CA");
	walk(f, &(cf_certfilter){.expiring_before = T0 + 30 * DAY - 1}, &c);
	assert_int_equal(c.calls, 2);
	walk(f, &(cf_certfilter){.expiring_before = T0}, &c);
	assert_int_equal(c.calls, 0);

	/* kind */
	walk(f, &(cf_certfilter){.kind = CF_TRUST}, &c);
	assert_int_equal(c.calls, 3);
	assert_null(strstr(c.text, " 1 "));
	walk(f, &(cf_certfilter){.kind = CF_IDENTITY}, &c);
	assert_int_equal(c.calls, 3);
	assert_null(strstr(c.text, " 2 "));

	/* combined */
	walk(f, &(cf_certfilter){.node = "ucm-pub.example.com", .kind = CF_IDENTITY, .expiring_before = T0 + 50 * DAY},
	     &c);
	assert_string_equal(c.text, "ucm-pub.example.com 1 tomcat ucm-pub.example.com");
	walk(f, &(cf_certfilter){.node = "nope.example.com"}, &c);
	assert_int_equal(c.calls, 0);

	/* a non-zero return stops the walk and is returned */
	cf_err e = {0};
	memset(&c, 0, sizeof(c));
	c.stop_after = 2;
	assert_int_equal(cf_store_cert_each(f->st, &(cf_certfilter){0}, collect_fn, &c, &e), 42);
	assert_int_equal(c.calls, 2);

	/* the statement is usable again after a stopped walk */
	walk(f, &(cf_certfilter){0}, &c);
	assert_int_equal(c.calls, 6);
}

static void test_trust_queries(void **state)
{
	struct fx *f = *state;
	cf_err e = {0};
	char sha_a[65], sha_b[65], sha_c[65], sha_id[65];
	add_uc(f);
	int64_t a = insert(f, f->pub_id, CF_TRUST, "tomcat-trust", "Example Root CA", 100, sha_a);
	int64_t b = insert(f, f->pub_id, CF_TRUST, "tomcat-trust", "Example Root CA", 200, sha_b); /* same CN */
	int64_t c = insert(f, f->pub_id, CF_TRUST, "CallManager-trust", "CM CA", 100, sha_c);
	insert(f, f->pub_id, CF_IDENTITY, "tomcat", "ucm-pub.example.com", 100, sha_id);
	assert_string_not_equal(sha_a, sha_b);

	assert_int_equal(trust_find(f->st, f->pub_id, "tomcat-trust", sha_a), a);
	assert_int_equal(trust_find(f->st, f->pub_id, "tomcat-trust", sha_b), b);
	assert_int_equal(trust_find(f->st, f->pub_id, "CallManager-trust", sha_c), c);
	assert_int_equal(trust_find(f->st, f->pub_id, "CallManager-trust", sha_a), 0); /* other store */
	assert_int_equal(trust_find(f->st, f->sub_id, "tomcat-trust", sha_a), 0);      /* other node */
	assert_int_equal(trust_find(f->st, f->pub_id, "tomcat", sha_id), 0);	       /* identities */

	assert_int_equal(trust_count(f->st, f->pub_id, "tomcat-trust"), 2);
	assert_int_equal(trust_count(f->st, f->pub_id, "CallManager-trust"), 1);
	assert_int_equal(trust_count(f->st, f->pub_id, "tomcat"), 0);
	assert_int_equal(trust_count(f->st, f->sub_id, "tomcat-trust"), 0);

	/* a certificate with this CN but another fingerprint */
	assert_true(trust_cn_exists(f->st, f->pub_id, "tomcat-trust", "Example Root CA", sha_a));
	assert_true(trust_cn_exists(f->st, f->pub_id, "tomcat-trust", "Example Root CA", sha_c));
	assert_false(trust_cn_exists(f->st, f->pub_id, "CallManager-trust", "CM CA", sha_c)); /* only itself */
	assert_false(trust_cn_exists(f->st, f->pub_id, "CallManager-trust", "Example Root CA", sha_c));
	assert_false(trust_cn_exists(f->st, f->sub_id, "tomcat-trust", "Example Root CA", sha_c));

	/* the certificates themselves */
	cf_cert **v = NULL;
	size_t n = 0;
	assert_int_equal(cf_store_trust_certs(f->st, f->pub_id, "tomcat-trust", &v, &n, &e), CF_OK);
	assert_int_equal(n, 2);
	cf_facts fa = {0};
	assert_int_equal(cf_cert_facts(v[0], &fa, &e), CF_OK);
	assert_string_equal(fa.sha256, sha_a); /* by id */
	cf_facts_free(&fa);
	cf_certs_free(v, n);
	assert_int_equal(cf_store_trust_certs(f->st, f->pub_id, NULL, &v, &n, &e), CF_OK);
	assert_int_equal(n, 3); /* every store, no identities */
	cf_certs_free(v, n);
	v = NULL;
	assert_int_equal(cf_store_trust_certs(f->st, f->sub_id, NULL, &v, &n, &e), CF_OK);
	assert_int_equal(n, 0);
	cf_certs_free(v, n);
}

/* ---- phones' LSCs among the other certificates ---------------------------------------------------- */

/* Inserts a certificate row (committed) whose facts name the CRL distribution point dp. */
static int64_t insert_dp(struct fx *f, int64_t node_id, cf_certkind kind, const char *name, const char *cn,
			 int64_t days, const char *dp)
{
	cf_cert *c = make_cert(f, cn, days);
	cf_certrow r = {.node_id = node_id, .kind = kind, .name = (char *)name};
	cf_err e = {0};
	size_t len = 0;
	r.der = (uint8_t *)cf_cert_der(c, &len);
	r.der_len = len;
	assert_int_equal(cf_cert_facts(c, &r.facts, &e), CF_OK);
	cf_strv_push(&r.facts.crl_dp, dp); /* stored as given */
	assert_int_equal(cf_store_begin(f->st, &e), CF_OK);
	assert_int_equal(cf_store_cert_insert(f->st, &r, &e), CF_OK);
	assert_int_equal(cf_store_commit(f->st, &e), CF_OK);
	cf_facts_free(&r.facts);
	cf_cert_free(c);
	return r.id;
}

/* cf_store_watch_each collects "name" words; it can also queue a notification for each row. */
struct watched {
	char text[512];
	cf_store *queue_on; /* non-NULL: a waiting notification is written for each row */
};

static int watch_fn(void *ctx, const cf_watchrow *r)
{
	struct watched *w = ctx;
	size_t used = strlen(w->text);
	snprintf(w->text + used, sizeof(w->text) - used, "%s%s", used ? " " : "", r->name);
	if (w->queue_on != NULL) {
		cf_watchrow q = *r;
		q.queued = T0;
		q.next_attempt = T0 + 60;
		cf_err e = {0};
		if (cf_store_ledger_put(w->queue_on, &q, &e) != CF_OK)
			fail_msg("ledger_put %s: %s", r->name, e.message);
	}
	return 0;
}

static const char *watched(struct fx *f, int64_t until, bool lsc, struct watched *w)
{
	cf_err e = {0};
	memset(w, 0, sizeof(*w));
	assert_int_equal(cf_store_watch_each(f->st, until, lsc, watch_fn, w, &e), CF_OK);
	return w->text;
}

/* LSCs (kind 3) beside identities and trust: the certificate list and count, the expiry monitor's
 * walk, ledger and first expiry, one LSC per (node, device). */
static void test_lsc_rows(void **state)
{
	struct fx *f = *state;
	struct collect c;
	struct watched w;
	cf_err e = {0};
	int64_t n = 0;
	add_uc(f);
	insert(f, f->pub_id, CF_IDENTITY, "tomcat", "ucm-pub.example.com", 100, NULL);
	insert(f, f->pub_id, CF_TRUST, "CAPF-trust", "Phone CA", 1000, NULL);
	int64_t lsc = insert(f, f->pub_id, CF_LSC, "SEP0011223344AA", "SEP0011223344AA", 10, NULL);
	insert(f, f->pub_id, CF_LSC, "CSFJDOE", "CSFJDOE", 20, NULL);

	/* the default filter is identities and trust, listed and counted */
	walk(f, &(cf_certfilter){0}, &c);
	assert_string_equal(c.text, "ucm-pub.example.com 1 tomcat ucm-pub.example.com|"
				    "ucm-pub.example.com 2 CAPF-trust Phone CA");
	assert_int_equal(cf_store_cert_count(f->st, &(cf_certfilter){0}, &n, &e), CF_OK);
	assert_int_equal(n, 2);
	walk(f, &(cf_certfilter){.begins_with = "SEP"}, &c);
	assert_int_equal(c.calls, 0);
	walk(f, &(cf_certfilter){.expiring_before = T0 + 30 * DAY}, &c);
	assert_int_equal(c.calls, 0);
	/* kind CF_LSC selects the LSCs alone */
	walk(f, &(cf_certfilter){.kind = CF_LSC}, &c);
	assert_string_equal(c.text, "ucm-pub.example.com 3 CSFJDOE CSFJDOE|"
				    "ucm-pub.example.com 3 SEP0011223344AA SEP0011223344AA");
	assert_int_equal(cf_store_cert_count(f->st, &(cf_certfilter){.kind = CF_LSC}, &n, &e), CF_OK);
	assert_int_equal(n, 2);
	walk(f, &(cf_certfilter){.kind = CF_LSC, .begins_with = "sep", .node = "UCM-PUB.example.com"}, &c);
	assert_string_equal(c.text, "ucm-pub.example.com 3 SEP0011223344AA SEP0011223344AA");
	walk(f, &(cf_certfilter){.kind = CF_LSC, .node = "ucm-sub.example.com"}, &c);
	assert_int_equal(c.calls, 0);
	cf_certrow g = {0};
	assert_int_equal(cf_store_cert_get(f->st, lsc, false, &g, &e), CF_OK);
	assert_int_equal(g.kind, CF_LSC);
	assert_string_equal(g.name, "SEP0011223344AA");
	cf_certrow_free(&g);

	/* the monitor's walk and first expiry: LSCs only when asked for */
	assert_string_equal(watched(f, T0 + 200 * DAY, false, &w), "tomcat");
	assert_string_equal(watched(f, T0 + 200 * DAY, true, &w), "SEP0011223344AA CSFJDOE tomcat");
	assert_int_equal(cf_store_first_expiry(f->st, false, &n, &e), CF_OK);
	assert_int_equal(n, T0 + 100 * DAY);
	assert_int_equal(cf_store_first_expiry(f->st, true, &n, &e), CF_OK);
	assert_int_equal(n, T0 + 10 * DAY);

	/* the ledger: with LSCs turned off, their waiting notifications are dropped, the others kept */
	int64_t pending = 0, next = 0;
	memset(&w, 0, sizeof(w));
	w.queue_on = f->st;
	assert_int_equal(cf_store_begin(f->st, &e), CF_OK);
	assert_int_equal(cf_store_watch_each(f->st, T0 + 200 * DAY, true, watch_fn, &w, &e), CF_OK);
	assert_int_equal(cf_store_commit(f->st, &e), CF_OK);
	assert_int_equal(cf_store_ledger_pending(f->st, &pending, &next, &e), CF_OK);
	assert_int_equal(pending, 3);
	assert_int_equal(cf_store_begin(f->st, &e), CF_OK);
	assert_int_equal(cf_store_ledger_prune(f->st, T0 + 200 * DAY, true, &e), CF_OK);
	assert_int_equal(cf_store_commit(f->st, &e), CF_OK);
	assert_int_equal(cf_store_ledger_pending(f->st, &pending, &next, &e), CF_OK);
	assert_int_equal(pending, 3); /* LSCs on: all still due */
	assert_int_equal(cf_store_begin(f->st, &e), CF_OK);
	assert_int_equal(cf_store_ledger_prune(f->st, T0 + 200 * DAY, false, &e), CF_OK);
	assert_int_equal(cf_store_commit(f->st, &e), CF_OK);
	assert_int_equal(cf_store_ledger_pending(f->st, &pending, &next, &e), CF_OK);
	assert_int_equal(pending, 1); /* tomcat's */

	/* one LSC per (node, device): a second one of the device is refused, other node or device fine */
	cf_cert *twin = make_cert(f, "SEP0011223344AA", 30);
	cf_certrow r = {.node_id = f->pub_id, .kind = CF_LSC, .name = (char *)"SEP0011223344AA"};
	size_t len = 0;
	r.der = (uint8_t *)cf_cert_der(twin, &len);
	r.der_len = len;
	assert_int_equal(cf_cert_facts(twin, &r.facts, &e), CF_OK);
	assert_int_equal(cf_store_begin(f->st, &e), CF_OK);
	cf_err_clear(&e);
	assert_int_equal(cf_store_cert_insert(f->st, &r, &e), CF_E_STATE);
	cf_store_rollback(f->st);
	cf_facts_free(&r.facts);
	cf_cert_free(twin);
	insert(f, f->sub_id, CF_LSC, "SEP0011223344AA", "SEP0011223344AA", 30, NULL);
	insert(f, f->pub_id, CF_LSC, "SEP0011223344AB", "SEP0011223344AB", 30, NULL);
	insert(f, f->pub_id, CF_IDENTITY, "SEP0011223344AA", "SEP0011223344AA", 30, NULL); /* other kind */
	assert_int_equal(cf_store_named_get(f->st, f->pub_id, CF_LSC, "SEP0011223344AA", false, &g, &e), CF_OK);
	assert_int_equal(g.id, lsc);
	cf_certrow_free(&g);
	assert_int_equal(cf_store_cert_count(f->st, &(cf_certfilter){.kind = CF_LSC}, &n, &e), CF_OK);
	assert_int_equal(n, 4);
}

/* The CRL distribution points the daily download may follow are those of identities and trust
 * certificates, not of phones' LSCs. */
static void test_cdp_urls_without_lsc(void **state)
{
	struct fx *f = *state;
	cf_err e = {0};
	cf_strv v = {0};
	add_uc(f);
	insert_dp(f, f->pub_id, CF_IDENTITY, "tomcat", "ucm-pub.example.com", 100, "http://pki.example.com/id.crl");
	insert_dp(f, f->pub_id, CF_TRUST, "CAPF-trust", "Phone CA", 100, "http://pki.example.com/root.crl");
	insert_dp(f, f->pub_id, CF_LSC, "SEP0011223344AA", "SEP0011223344AA", 100, "http://phones.example.com/lsc.crl");
	insert_dp(f, f->pub_id, CF_LSC, "CSFJDOE", "CSFJDOE", 100, "http://pki.example.com/id.crl");
	assert_int_equal(cf_store_cdp_urls(f->st, &v, &e), CF_OK);
	char got[256] = "";
	for (size_t i = 0; i < v.n; i++)
		snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%s", i ? " " : "", v.v[i]);
	cf_strv_clear(&v);
	assert_string_equal(got, "http://pki.example.com/id.crl http://pki.example.com/root.crl");
}

/* ---- text that is not UTF-8 -------------------------------------------------------------------------- */

/* Refused as input (as a PostgreSQL store must: it keeps only UTF-8), the transaction going on;
 * an audit row of such a request is kept with the bytes written as \xHH. */
static void test_not_utf8(void **state)
{
	struct fx *f = *state;
	cf_err e = {0};
	int64_t id = 0;
	assert_int_equal(cf_store_begin(f->st, &e), CF_OK);
	assert_int_equal(cf_store_cluster_add(f->st, "bad\xffname", NULL, &id, &e), CF_E_INPUT);
	assert_non_null(strstr(e.message, "not UTF-8"));
	cf_err_clear(&e);
	assert_int_equal(cf_store_cluster_add(f->st, "caf\xc3\xa9", NULL, &id, &e), CF_OK);
	cf_auditrow row = {.at = 1,
			   .account = (char *)"root",
			   .client = (char *)"local",
			   .action = (char *)"cluster add",
			   .object = (char *)"bad\xffname\xc3",
			   .result = (char *)"ok"};
	assert_int_equal(cf_store_audit_append(f->st, &row, NULL, &e), CF_OK);
	assert_int_equal(cf_store_commit(f->st, &e), CF_OK);
	cf_auditrow *rows = NULL;
	size_t n = 0;
	int64_t total = 0;
	assert_int_equal(cf_store_audit_list(f->st, 1, 0, &rows, &n, &total, &e), CF_OK);
	assert_int_equal(n, 1);
	assert_string_equal(rows[0].object, "bad\\xffname\\xc3");
	cf_auditrows_free(rows, n);
	cf_clusterinfo *cl = NULL;
	assert_int_equal(cf_store_clusters(f->st, &cl, &n, &e), CF_OK);
	assert_int_equal(n, 1);
	cf_clusterinfos_free(cl, n);
}

/* ---- the LSC import on a store that fails (core/endpoint) ------------------------------------------ */

/* The engine's driver, except that one statement (its SQL holding fail_sql) fails on its
 * fail_countdown-th step, as a disk or lock error would. */
static const char *fail_sql;
static int fail_countdown;
static cf_stmt *fail_stmt;

static cf_code failing_prepare(cf_db *db, const char *sql, cf_stmt **out, cf_err *e)
{
	cf_code rc = engine()->prepare(db, sql, out, e);
	if (rc == CF_OK && fail_sql != NULL && strstr(sql, fail_sql) != NULL)
		fail_stmt = *out;
	return rc;
}

static int failing_step(cf_stmt *s, cf_err *e)
{
	if (s == fail_stmt && fail_countdown > 0 && --fail_countdown == 0) {
		cf_err_set(e, CF_E_INTERNAL, "store", "disk I/O error (injected)");
		return -1;
	}
	return engine()->step(s, e);
}

static cf_db_driver failing_driver;

/* A new connection to the fixture's store whose reads of one certificate by (node, kind, name)
 * — the CAPF identity, a device's LSC — fail at the countdown-th. */
static cf_store *open_failing(struct fx *f, int countdown)
{
	cf_store *st = NULL;
	cf_err e = {0};
	assert_int_equal(cf_store_open(f->target, false, &st, &e), CF_OK);
	failing_driver = *engine();
	failing_driver.prepare = failing_prepare;
	failing_driver.step = failing_step;
	fail_sql = "c.node_id = $1 AND c.name = $2 AND c.kind = $3";
	fail_countdown = countdown;
	fail_stmt = NULL;
	st->drv = &failing_driver; /* the statement cache is empty: every statement is prepared anew */
	return st;
}

/* Inserts a certificate row (committed). */
static void insert_cert(struct fx *f, int64_t node_id, cf_certkind kind, const char *name, const cf_cert *c)
{
	cf_certrow r = {.node_id = node_id, .kind = kind, .name = (char *)name};
	cf_err e = {0};
	size_t len = 0;
	r.der = (uint8_t *)cf_cert_der(c, &len);
	r.der_len = len;
	assert_int_equal(cf_cert_facts(c, &r.facts, &e), CF_OK);
	assert_int_equal(cf_store_begin(f->st, &e), CF_OK);
	assert_int_equal(cf_store_cert_insert(f->st, &r, &e), CF_OK);
	assert_int_equal(cf_store_commit(f->st, &e), CF_OK);
	cf_facts_free(&r.facts);
}

/* An LSC of device for a new RSA key, issued by ca (with the fixture's key), as PEM. */
static char *make_lsc(struct fx *f, const cf_cert *ca, const char *device)
{
	cf_keyspec ks;
	cf_key *k = NULL;
	cf_cert *c = NULL;
	cf_err e = {0};
	cf_reqspec spec = {.dn = {.o = "Phones", .cn = device},
			   .ku = CF_KU_DIGITAL_SIGNATURE | CF_KU_KEY_ENCIPHERMENT,
			   .eku = CF_EKU_CLIENT_AUTH};
	assert_int_equal(cf_keyspec_parse("rsa:2048", &ks, &e), CF_OK);
	assert_int_equal(cf_key_generate(&ks, &k, &e), CF_OK);
	if (cf_cert_issue(&spec, k, ca, f->key, cf_clock_now() - DAY, 30, &c, &e) != CF_OK)
		fail_msg("cf_cert_issue: %s", e.message);
	char *pem = cf_cert_pem(c);
	cf_cert_free(c);
	cf_key_free(k);
	return pem;
}

static int64_t lsc_count(cf_store *st)
{
	int64_t n = -1;
	cf_err e = {0};
	assert_int_equal(cf_store_cert_count(st, &(cf_certfilter){.kind = CF_LSC}, &n, &e), CF_OK);
	return n;
}

/* Only a device without an LSC is absent: any other failure of the store while the import reads
 * the CAPF certificate or a device's LSC, or a delete reads it, fails them, and nothing is stored. */
static void test_lsc_import_store_failure(void **state)
{
	struct fx *f = *state;
	cf_err e = {0};
	cf_lsc_counts counts;
	cf_outcome out = {0};
	add_uc(f);
	cf_reqspec ca_spec = {.dn = {.cn = "Phone CA"}, .ku = CF_KU_KEY_CERT_SIGN | CF_KU_CRL_SIGN, .ca = true};
	cf_cert *ca = NULL;
	assert_int_equal(cf_cert_self_signed(&ca_spec, f->key, cf_clock_now() - DAY, 365, &ca, &e), CF_OK);
	insert_cert(f, f->pub_id, CF_TRUST, "CAPF-trust", ca);
	char *pem = make_lsc(f, ca, "SEP0011223344AA");
	const uint8_t *buf = (const uint8_t *)pem;

	/* reading the CAPF identity fails: not "no CAPF certificate" */
	cf_store *st = open_failing(f, 1);
	cf_err_clear(&e);
	assert_int_equal(cf_lsc_import(st, "ucm-pub.example.com", "lsc.pem", buf, strlen(pem), &counts, &out, &e),
			 CF_E_INTERNAL);
	assert_string_equal(e.message, "disk I/O error (injected)");
	cf_outcome_free(&out);
	cf_store_close(st);
	assert_int_equal(lsc_count(f->st), 0);

	/* reading the device's LSC fails: not "the device has none" */
	st = open_failing(f, 2);
	cf_err_clear(&e);
	assert_int_equal(cf_lsc_import(st, "ucm-pub.example.com", "lsc.pem", buf, strlen(pem), &counts, &out, &e),
			 CF_E_INTERNAL);
	assert_string_equal(e.message, "disk I/O error (injected)");
	cf_outcome_free(&out);
	cf_store_close(st);
	assert_int_equal(lsc_count(f->st), 0);

	/* the same import on a sound store; then a delete whose read fails is not "not found" */
	assert_int_equal(cf_lsc_import(f->st, "ucm-pub.example.com", "lsc.pem", buf, strlen(pem), &counts, &out, &e),
			 CF_OK);
	assert_int_equal(counts.added, 1);
	cf_outcome_free(&out);
	st = open_failing(f, 1);
	cf_err_clear(&e);
	assert_int_equal(cf_lsc_delete(st, "ucm-pub.example.com", "SEP0011223344AA", &e), CF_E_INTERNAL);
	cf_store_close(st);
	assert_int_equal(lsc_count(f->st), 1);
	cf_err_clear(&e);
	assert_int_equal(cf_lsc_delete(f->st, "ucm-pub.example.com", "SEP0011223344AB", &e), CF_E_NOTFOUND);
	assert_int_equal(cf_lsc_delete(f->st, "ucm-pub.example.com", "SEP0011223344AA", &e), CF_OK);
	assert_int_equal(lsc_count(f->st), 0);

	free(pem);
	cf_cert_free(ca);
}

/* ---- pending CSRs --------------------------------------------------------------------------------- */

static void test_csrs(void **state)
{
	struct fx *f = *state;
	cf_err e = {0};
	add_uc(f);
	static const uint8_t der1[] = {0x30, 0x03, 0x02, 0x01, 0x01};
	static const uint8_t der2[] = {0x30, 0x04, 0x02, 0x02, 0x01, 0x02};
	cf_csrrow r = {.node_id = f->pub_id,
		       .purpose = (char *)"tomcat",
		       .der = (uint8_t *)der1,
		       .der_len = sizeof(der1),
		       .key_pem = (char *)"KEY ONE",
		       .distribution = (char *)"multi-server",
		       .hash = (char *)"sha256",
		       .created = T0};
	assert_int_equal(cf_store_begin(f->st, &e), CF_OK);
	assert_int_equal(cf_store_csr_put(f->st, &r, &e), CF_OK);
	cf_csrrow other = r;
	other.purpose = (char *)"CallManager";
	assert_int_equal(cf_store_csr_put(f->st, &other, &e), CF_OK);
	assert_int_equal(cf_store_commit(f->st, &e), CF_OK);

	cf_csrrow g = {0};
	assert_int_equal(cf_store_csr_get(f->st, f->pub_id, "tomcat", &g, &e), CF_OK);
	assert_int_equal(g.node_id, f->pub_id);
	assert_string_equal(g.purpose, "tomcat");
	assert_int_equal(g.der_len, sizeof(der1));
	assert_memory_equal(g.der, der1, sizeof(der1));
	assert_string_equal(g.key_pem, "KEY ONE");
	assert_string_equal(g.distribution, "multi-server");
	assert_string_equal(g.hash, "sha256");
	assert_int_equal(g.created, T0);
	cf_csrrow_free(&g);
	assert_null(g.purpose);
	cf_csrrow_free(NULL);

	/* a new CSR replaces the old one and its key */
	cf_clock_set(T0 + 99);
	cf_csrrow r2 = {.node_id = f->pub_id,
			.purpose = (char *)"tomcat",
			.der = (uint8_t *)der2,
			.der_len = sizeof(der2),
			.key_pem = (char *)"KEY TWO",
			.distribution = (char *)"single-server",
			.hash = (char *)"sha384"};
	assert_int_equal(cf_store_begin(f->st, &e), CF_OK);
	assert_int_equal(cf_store_csr_put(f->st, &r2, &e), CF_OK);
	assert_int_equal(cf_store_commit(f->st, &e), CF_OK);
	cf_clock_set(0);
	assert_int_equal(cf_store_csr_get(f->st, f->pub_id, "tomcat", &g, &e), CF_OK);
	assert_memory_equal(g.der, der2, sizeof(der2));
	assert_int_equal(g.der_len, sizeof(der2));
	assert_string_equal(g.key_pem, "KEY TWO");
	assert_string_equal(g.distribution, "single-server");
	assert_string_equal(g.hash, "sha384");
	assert_int_equal(g.created, T0 + 99);
	cf_csrrow_free(&g);

	/* the other purpose is untouched */
	assert_int_equal(cf_store_csr_get(f->st, f->pub_id, "CallManager", &g, &e), CF_OK);
	assert_string_equal(g.key_pem, "KEY ONE");
	cf_csrrow_free(&g);

	/* missing: wrong state, not "not found" */
	cf_err_clear(&e);
	assert_int_equal(cf_store_csr_get(f->st, f->sub_id, "tomcat", &g, &e), CF_E_STATE);
	assert_int_equal(e.code, CF_E_STATE);
	assert_string_equal(e.subject, "tomcat");

	assert_int_equal(cf_store_begin(f->st, &e), CF_OK);
	assert_int_equal(cf_store_csr_delete(f->st, f->pub_id, "tomcat", &e), CF_OK);
	assert_int_equal(cf_store_csr_delete(f->st, f->pub_id, "tomcat", &e), CF_OK); /* again: nothing to do */
	assert_int_equal(cf_store_commit(f->st, &e), CF_OK);
	assert_int_equal(cf_store_csr_get(f->st, f->pub_id, "tomcat", &g, &e), CF_E_STATE);
	assert_int_equal(cf_store_csr_get(f->st, f->pub_id, "CallManager", &g, &e), CF_OK);
	cf_csrrow_free(&g);
}

/* ---- transactions -------------------------------------------------------------------------------- */

static int count_fn(void *ctx, const cf_certrow *r)
{
	(void)r;
	(*(int *)ctx)++;
	return 0;
}

static void test_rollback_leaves_nothing(void **state)
{
	struct fx *f = *state;
	cf_err e = {0};
	cf_store *reader = NULL;
	assert_int_equal(cf_store_open(f->target, false, &reader, &e), CF_OK);

	assert_int_equal(cf_store_begin(f->st, &e), CF_OK);
	int64_t cl = 0;
	assert_int_equal(cf_store_cluster_add(f->st, "uc", NULL, &cl, &e), CF_OK);
	assert_int_equal(cf_store_cluster_setting(f->st, cl, "presence-domains", "example.com", &e), CF_OK);
	cf_node n = {
		.fqdn = (char *)"ucm-pub.example.com", .cluster_id = cl, .product = (char *)"ucm", .publisher = true};
	assert_int_equal(cf_store_node_add(f->st, &n, &e), CF_OK);
	cf_cert *c = make_cert(f, "ucm-pub.example.com", 10);
	cf_certrow r = {.node_id = n.id, .kind = CF_IDENTITY, .name = (char *)"tomcat"};
	size_t len = 0;
	r.der = (uint8_t *)cf_cert_der(c, &len);
	r.der_len = len;
	assert_int_equal(cf_cert_facts(c, &r.facts, &e), CF_OK);
	assert_int_equal(cf_store_cert_insert(f->st, &r, &e), CF_OK);
	cf_csrrow csr = {.node_id = n.id,
			 .purpose = (char *)"tomcat",
			 .der = (uint8_t *)"\x30\x00",
			 .der_len = 2,
			 .key_pem = (char *)"K",
			 .distribution = (char *)"single-server",
			 .hash = (char *)"sha256"};
	assert_int_equal(cf_store_csr_put(f->st, &csr, &e), CF_OK);
	cf_target t = {.node_id = n.id, .purpose = (char *)"tomcat", .cert_path = (char *)"/tmp/x.pem", .mode = 0644};
	assert_int_equal(cf_store_target_set(f->st, &t, &e), CF_OK);

	/* the writer sees its own changes; another connection does not */
	cf_node got = {0};
	assert_int_equal(cf_store_node_get(f->st, "ucm-pub.example.com", &got, &e), CF_OK);
	cf_node_free(&got);
	cf_cluster cc = {0};
	assert_int_equal(cf_store_cluster_get(reader, "uc", 0, &cc, &e), CF_E_NOTFOUND);

	cf_store_rollback(f->st);
	cf_store_rollback(f->st); /* no transaction: nothing happens */
	cf_store_rollback(NULL);

	assert_int_equal(cf_store_cluster_get(f->st, "uc", 0, &cc, &e), CF_E_NOTFOUND);
	assert_int_equal(cf_store_node_get(f->st, "ucm-pub.example.com", &got, &e), CF_E_NOTFOUND);
	cf_node *v = NULL;
	size_t nn = 99;
	assert_int_equal(cf_store_nodes(f->st, 0, &v, &nn, &e), CF_OK);
	assert_int_equal(nn, 0);
	cf_nodes_free(v, nn);
	int count = 0;
	assert_int_equal(cf_store_cert_each(f->st, &(cf_certfilter){0}, count_fn, &count, &e), CF_OK);
	assert_int_equal(count, 0);
	cf_csrrow g = {0};
	assert_int_equal(cf_store_csr_get(f->st, n.id, "tomcat", &g, &e), CF_E_STATE);
	cf_target *tv = NULL;
	size_t tn = 99;
	assert_int_equal(cf_store_targets(f->st, n.id, NULL, &tv, &tn, &e), CF_OK);
	assert_int_equal(tn, 0);
	free(tv);

	/* committed changes are visible to the other connection */
	add_uc(f);
	assert_int_equal(cf_store_cluster_get(reader, "uc", 0, &cc, &e), CF_OK);
	cf_cluster_free(&cc);

	/* a failed statement inside a transaction, then rollback: the earlier change goes too */
	assert_int_equal(cf_store_begin(f->st, &e), CF_OK);
	int64_t cl2 = 0;
	assert_int_equal(cf_store_cluster_add(f->st, "edge", NULL, &cl2, &e), CF_OK);
	cf_node dup = {.fqdn = (char *)"ucm-pub.example.com", .cluster_id = cl2, .product = (char *)"ucm"};
	assert_int_equal(cf_store_node_add(f->st, &dup, &e), CF_E_STATE);
	cf_store_rollback(f->st);
	assert_int_equal(cf_store_cluster_get(f->st, "edge", 0, &cc, &e), CF_E_NOTFOUND);

	/* begin inside a transaction is refused */
	assert_int_equal(cf_store_begin(f->st, &e), CF_OK);
	assert_int_not_equal(cf_store_begin(f->st, &e), CF_OK);
	cf_store_rollback(f->st);
	/* and the store is usable afterwards */
	assert_int_equal(cf_store_begin(f->st, &e), CF_OK);
	assert_int_equal(cf_store_commit(f->st, &e), CF_OK);

	cf_facts_free(&r.facts);
	cf_cert_free(c);
	cf_store_close(reader);
}

/* ---- deploy targets ----------------------------------------------------------------------------- */

static void test_targets(void **state)
{
	struct fx *f = *state;
	cf_err e = {0};
	add_uc(f);
	cf_target tomcat = {.node_id = f->pub_id,
			    .purpose = (char *)"tomcat",
			    .cert_path = (char *)"/etc/tomcat/cert.pem",
			    .key_path = (char *)"/etc/tomcat/key.pem",
			    .chain_path = (char *)"/etc/tomcat/chain.pem",
			    .owner = (char *)"tomcat:tomcat",
			    .mode = 0644,
			    .reload = (char *)"systemctl reload tomcat"};
	cf_target cm = {.node_id = f->pub_id,
			.purpose = (char *)"CallManager",
			.cert_path = (char *)"/srv/cm.pem",
			.mode = 0640};
	assert_int_equal(cf_store_begin(f->st, &e), CF_OK);
	assert_int_equal(cf_store_target_set(f->st, &tomcat, &e), CF_OK);
	assert_int_equal(cf_store_target_set(f->st, &cm, &e), CF_OK);
	assert_int_equal(cf_store_commit(f->st, &e), CF_OK);

	cf_target *v = NULL;
	size_t n = 0;
	assert_int_equal(cf_store_targets(f->st, f->pub_id, NULL, &v, &n, &e), CF_OK);
	assert_int_equal(n, 2);
	/* by purpose */
	assert_string_equal(v[0].purpose, "CallManager");
	assert_string_equal(v[0].cert_path, "/srv/cm.pem");
	assert_string_equal(v[0].key_path, "");
	assert_string_equal(v[0].chain_path, "");
	assert_string_equal(v[0].owner, "");
	assert_string_equal(v[0].reload, "");
	assert_int_equal(v[0].mode, 0640);
	assert_int_equal(v[0].node_id, f->pub_id);
	assert_string_equal(v[1].purpose, "tomcat");
	assert_string_equal(v[1].cert_path, "/etc/tomcat/cert.pem");
	assert_string_equal(v[1].key_path, "/etc/tomcat/key.pem");
	assert_string_equal(v[1].chain_path, "/etc/tomcat/chain.pem");
	assert_string_equal(v[1].owner, "tomcat:tomcat");
	assert_string_equal(v[1].reload, "systemctl reload tomcat");
	assert_int_equal(v[1].mode, 0644);
	for (size_t i = 0; i < n; i++)
		cf_target_free(&v[i]);
	free(v);
	cf_target_free(NULL);

	/* setting again replaces */
	tomcat.cert_path = (char *)"/new/cert.pem";
	tomcat.reload = NULL;
	tomcat.mode = 0600;
	assert_int_equal(cf_store_begin(f->st, &e), CF_OK);
	assert_int_equal(cf_store_target_set(f->st, &tomcat, &e), CF_OK);
	assert_int_equal(cf_store_commit(f->st, &e), CF_OK);
	assert_int_equal(cf_store_targets(f->st, f->pub_id, "tomcat", &v, &n, &e), CF_OK);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].cert_path, "/new/cert.pem");
	assert_string_equal(v[0].reload, "");
	assert_int_equal(v[0].mode, 0600);
	cf_target_free(&v[0]);
	free(v);
	assert_int_equal(cf_store_targets(f->st, f->pub_id, NULL, &v, &n, &e), CF_OK);
	assert_int_equal(n, 2);
	for (size_t i = 0; i < n; i++)
		cf_target_free(&v[i]);
	free(v);

	/* another node has none */
	v = NULL;
	assert_int_equal(cf_store_targets(f->st, f->sub_id, NULL, &v, &n, &e), CF_OK);
	assert_int_equal(n, 0);
	free(v);
}

/* ---- the prepared-statement cache ---------------------------------------------------------------- */

/* Walks nested inside walks (a callback that queries the store again) hold one busy statement
 * per level; past the cache's capacity, statements are prepared outside the cache and must be
 * finalized when released. The child process bounds a hang with an alarm. */
struct nest {
	cf_store *st;
	int depth, max_depth;
	cf_code rc;
};

static int nest_fn(void *ctx, const cf_certrow *r)
{
	struct nest *n = ctx;
	(void)r;
	if (++n->depth < n->max_depth) {
		cf_code rc = cf_store_cert_each(n->st, &(cf_certfilter){0}, nest_fn, n, NULL);
		if (rc != CF_OK)
			n->rc = rc;
	}
	return 0;
}

static void test_nested_walks_beyond_cache(void **state)
{
	struct fx *f = *state;
	add_uc(f);
	insert(f, f->pub_id, CF_TRUST, "tomcat-trust", "Only CA", 10, NULL);
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		alarm(5);
		cf_store *st = NULL;
		cf_err e = {0};
		if (cf_store_open(f->target, false, &st, &e) != CF_OK)
			_exit(3);
		struct nest n = {.st = st, .max_depth = 64};
		cf_code rc = cf_store_cert_each(st, &(cf_certfilter){0}, nest_fn, &n, &e);
		if (rc != CF_OK || n.rc != CF_OK)
			_exit(4);
		if (n.depth != 64)
			_exit(5);
		cf_store_close(st);
		_exit(0);
	}
	int status = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (WIFSIGNALED(status))
		fail_msg("64 nested cf_store_cert_each walks: the process died of signal %d (%s)", WTERMSIG(status),
			 WTERMSIG(status) == SIGALRM ? "hung" : "crashed");
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* ---- list columns hold any item ------------------------------------------------------------------ */

/* SANs as awkward as a certificate's names can be (a NUL is the only byte refused before). */
static const char *const awkward_san[] = {"email:pki@example.com\nDNS:ucm2.example.com",
					  "URI:file:\\\\server\\new\\n",
					  " DNS:leading.example.com ",
					  "DNS:ucm1\x1b[2J.example.com",
					  "DNS:ucm1.example.com",
					  NULL};

static void assert_list(const cf_strv *got, const char *const *want)
{
	size_t n = 0;
	while (want[n] != NULL)
		n++;
	assert_int_equal(got->n, n);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(got->v[i], want[i]);
}

/* SANs, OCSP and CRL DP URIs come back from the store item for item, exactly: a line feed or a
 * backslash inside an item, and blanks around it, are kept (a line feed used to split the item in
 * two, and blanks were trimmed). */
static void test_cert_lists_exact(void **state)
{
	struct fx *f = *state;
	cf_err e = {0};
	add_uc(f);
	cf_cert *c = make_cert(f, "ucm-pub.example.com", 30);
	cf_certrow r = {.node_id = f->pub_id, .kind = CF_TRUST, .name = (char *)"tomcat-trust"};
	size_t len = 0;
	r.der = (uint8_t *)cf_cert_der(c, &len);
	r.der_len = len;
	assert_int_equal(cf_cert_facts(c, &r.facts, &e), CF_OK);
	cf_strv_clear(&r.facts.san);
	for (size_t i = 0; awkward_san[i] != NULL; i++)
		cf_strv_push(&r.facts.san, awkward_san[i]);
	cf_strv_push(&r.facts.ocsp, "http://ocsp.example.com/a\\b");
	cf_strv_push(&r.facts.crl_dp, "http://crl.example.com/x\ny");
	cf_strv_push(&r.facts.crl_dp, "\\");
	assert_int_equal(cf_store_begin(f->st, &e), CF_OK);
	assert_int_equal(cf_store_cert_insert(f->st, &r, &e), CF_OK);
	assert_int_equal(cf_store_commit(f->st, &e), CF_OK);

	cf_certrow got = {0};
	assert_int_equal(cf_store_cert_get(f->st, r.id, false, &got, &e), CF_OK);
	assert_list(&got.facts.san, awkward_san);
	assert_list(&got.facts.ocsp, (const char *const[]){"http://ocsp.example.com/a\\b", NULL});
	assert_list(&got.facts.crl_dp, (const char *const[]){"http://crl.example.com/x\ny", "\\", NULL});
	cf_certrow_free(&got);
	cf_strv urls = {0};
	assert_int_equal(cf_store_cdp_urls(f->st, &urls, &e), CF_OK);
	assert_list(&urls, (const char *const[]){"http://crl.example.com/x\ny", "\\", NULL});
	cf_strv_clear(&urls);
	cf_facts_free(&r.facts);
	cf_cert_free(c);
}

/* A store written before schema 9 joined list items with line feeds and kept backslashes as they
 * were: opening it doubles them, so every item reads as it did before. */
static void test_cert_lists_migrated(void **state)
{
	struct fx *f = *state;
	cf_err e = {0};
	add_uc(f);
	int64_t id = insert(f, f->pub_id, CF_IDENTITY, "tomcat", "ucm-pub.example.com", 30, NULL);
	int64_t plain = insert(f, f->sub_id, CF_IDENTITY, "tomcat", "ucm-sub.example.com", 30, NULL);
	cf_store_close(f->st);
	f->st = NULL;
	char sql[2048];
	/* items joined by a line feed (written into the literal as itself: both engines take it) */
	snprintf(sql, sizeof(sql),
		 "UPDATE certificates SET san = 'URI:file:\\\\server\\new\nDNS:a\\nb.example.com',"
		 " crl_dp = 'http://crl.example.com/a\\b', eku_other = '1.2.3' WHERE id = %lld;"
		 " DROP INDEX certificates_trust; DROP TABLE jobs; DROP TABLE acme_identities; DROP TABLE acme_tokens; "
		 "DROP TABLE acme_accounts; DROP TABLE served_checks; DROP TABLE ca_notifications; DROP TABLE ca_ocsp;"
		 " DROP TABLE ca_crls; DROP TABLE ca_issued; DROP TABLE cas; ALTER TABLE deploy_targets DROP COLUMN "
		 "serves;"
		 " ALTER TABLE deploy_targets DROP COLUMN starttls; UPDATE schema_version SET version = 8",
		 (long long)id);
	raw_exec(f->target, sql);

	assert_int_equal(cf_store_open(f->target, false, &f->st, &e), CF_OK);
	assert_int_equal(cf_store_schema_version(f->st), cf_schema_latest());
	cf_certrow got = {0};
	assert_int_equal(cf_store_cert_get(f->st, id, false, &got, &e), CF_OK);
	assert_list(&got.facts.san, (const char *const[]){"URI:file:\\\\server\\new", "DNS:a\\nb.example.com", NULL});
	assert_list(&got.facts.crl_dp, (const char *const[]){"http://crl.example.com/a\\b", NULL});
	assert_list(&got.facts.eku_other, (const char *const[]){"1.2.3", NULL});
	cf_certrow_free(&got);
	/* a row without a backslash is left as it was */
	assert_int_equal(cf_store_cert_get(f->st, plain, false, &got, &e), CF_OK);
	assert_list(&got.facts.san, (const char *const[]){"DNS:ucm-sub.example.com", "IP:10.1.2.3", NULL});
	cf_certrow_free(&got);
}

/* ---- the driver's contract, through the store --------------------------------------------------- */

/* A bind to a parameter the statement does not have is kept: the next step fails with it, and
 * every step after, until the statement is reset. */
static void test_bind_errors_sticky(void **state)
{
	struct fx *f = *state;
	const cf_db_driver *d = f->st->drv;
	cf_err e = {0};
	cf_stmt *s = NULL;
	add_uc(f);
	assert_int_equal(d->prepare(f->st->db, "SELECT count(*) FROM nodes WHERE cluster_id = $1", &s, &e), CF_OK);
	d->bind_int(s, 2, f->cl); /* no $2 */
	d->bind_int(s, 1, f->cl);
	assert_int_equal(d->step(s, &e), -1);
	assert_int_equal(e.code, CF_E_INTERNAL);
	assert_non_null(strstr(e.message, "$2"));
	assert_int_equal(d->err_class(f->st->db), CF_DB_FAILED);
	cf_err_clear(&e);
	assert_int_equal(d->step(s, &e), -1); /* still */
	assert_int_equal(e.code, CF_E_INTERNAL);
	d->reset(s);
	d->bind_text(s, 0, "x"); /* $0 is no parameter either */
	assert_int_equal(d->step(s, &e), -1);
	d->reset(s); /* clears it */
	d->bind_int(s, 1, f->cl);
	assert_int_equal(d->step(s, &e), 1);
	assert_int_equal(d->col_int(s, 0), 2);
	assert_int_equal(d->step(s, &e), 0);
	d->finalize(s);

	/* inside a transaction too, and the transaction goes on (nothing reached the engine) */
	assert_int_equal(cf_store_begin(f->st, &e), CF_OK);
	assert_int_equal(d->prepare(f->st->db, "UPDATE nodes SET ip = $1 WHERE id = $2", &s, &e), CF_OK);
	d->bind_text(s, 1, "10.9.9.9");
	d->bind_int(s, 3, f->pub_id);
	assert_int_equal(d->step(s, &e), -1);
	d->reset(s);
	d->bind_text(s, 1, "10.9.9.9");
	d->bind_int(s, 2, f->pub_id);
	assert_int_equal(d->step(s, &e), 0);
	assert_int_equal(d->changes(s), 1);
	d->finalize(s);
	assert_int_equal(cf_store_commit(f->st, &e), CF_OK);
	cf_node n = {0};
	assert_int_equal(cf_store_node_get(f->st, "ucm-pub.example.com", &n, &e), CF_OK);
	assert_string_equal(n.ip, "10.9.9.9");
	cf_node_free(&n);
}

/* changes() is the statement's own: the rows its last run inserted, updated or deleted, whatever
 * other statements ran since; a query changes none. */
static void test_changes_per_statement(void **state)
{
	struct fx *f = *state;
	const cf_db_driver *d = f->st->drv;
	cf_err e = {0};
	cf_stmt *all = NULL, *one = NULL, *sel = NULL, *ins = NULL, *none = NULL;
	add_uc(f);
	assert_int_equal(cf_store_begin(f->st, &e), CF_OK);
	assert_int_equal(d->prepare(f->st->db, "UPDATE nodes SET ip = $1 WHERE cluster_id = $2", &all, &e), CF_OK);
	assert_int_equal(d->prepare(f->st->db, "UPDATE nodes SET ip = $1 WHERE id = $2", &one, &e), CF_OK);
	assert_int_equal(d->prepare(f->st->db, "SELECT fqdn FROM nodes ORDER BY fqdn", &sel, &e), CF_OK);
	assert_int_equal(
		d->prepare(f->st->db, "INSERT INTO clusters (name, fqdn) VALUES ($1, '') RETURNING id", &ins, &e),
		CF_OK);
	assert_int_equal(d->prepare(f->st->db, "DELETE FROM nodes WHERE fqdn = $1", &none, &e), CF_OK);

	d->bind_text(all, 1, "10.0.0.1");
	d->bind_int(all, 2, f->cl);
	assert_int_equal(d->step(all, &e), 0);
	assert_int_equal(d->changes(all), 2);
	d->bind_text(one, 1, "10.0.0.2");
	d->bind_int(one, 2, f->sub_id);
	assert_int_equal(d->step(one, &e), 0);
	assert_int_equal(d->changes(one), 1);
	assert_int_equal(d->changes(all), 2); /* not the connection's last count */

	/* a query after a change: none of its own */
	assert_int_equal(d->step(sel, &e), 1);
	assert_int_equal(d->step(sel, &e), 1);
	assert_int_equal(d->step(sel, &e), 0);
	assert_int_equal(d->changes(sel), 0);

	/* an insert returning its id: the row is read first, the count once it is done */
	d->bind_text(ins, 1, "edge");
	assert_int_equal(d->step(ins, &e), 1);
	assert_true(d->col_int(ins, 0) > 0);
	assert_int_equal(d->step(ins, &e), 0);
	assert_int_equal(d->changes(ins), 1);

	/* a change that matched nothing; then the first statement again, with a count of its own */
	d->bind_text(none, 1, "nope.example.com");
	assert_int_equal(d->step(none, &e), 0);
	assert_int_equal(d->changes(none), 0);
	d->reset(all);
	d->bind_text(all, 1, "10.0.0.3");
	d->bind_int(all, 2, -1);
	assert_int_equal(d->step(all, &e), 0);
	assert_int_equal(d->changes(all), 0);
	assert_int_equal(d->changes(one), 1);
	d->finalize(all);
	d->finalize(one);
	d->finalize(sel);
	d->finalize(ins);
	d->finalize(none);

	/* through the store's helper */
	cf_stmt *s = NULL;
	int64_t changed = -1;
	assert_int_equal(cf_store_prep(f->st, "DELETE FROM clusters WHERE name = $1", &s, &e), CF_OK);
	d->bind_text(s, 1, "edge");
	assert_int_equal(cf_store_run_counted(f->st, s, &changed, &e), CF_OK);
	assert_int_equal(changed, 1);
	cf_store_rollback(f->st);
}

/* A unique violation is CF_E_STATE of class constraint (no "try again"); the next transaction
 * starts without an error class. */
static void test_unique_violation_class(void **state)
{
	struct fx *f = *state;
	const cf_db_driver *d = f->st->drv;
	cf_err e = {0};
	int64_t id = 0;
	add_uc(f);
	assert_int_equal(cf_store_begin(f->st, &e), CF_OK);
	assert_int_equal(d->err_class(f->st->db), CF_DB_OK);
	assert_int_equal(cf_store_cluster_add(f->st, "uc", NULL, &id, &e), CF_E_STATE);
	assert_int_equal(d->err_class(f->st->db), CF_DB_CONSTRAINT);
	assert_null(e.reason);
	/* what runs after it in the transaction (PostgreSQL refuses it, SQLite runs it) leaves the
	 * transaction's class the refusal's: the code that went on still has it rerun or refused as
	 * the constraint says */
	cf_cluster cl = {0};
	cf_err later = {0};
	if (cf_store_cluster_get(f->st, "uc", 0, &cl, &later) == CF_OK)
		cf_cluster_free(&cl);
	else
		assert_int_equal(later.code, CF_E_STATE);
	assert_int_equal(d->err_class(f->st->db), CF_DB_CONSTRAINT);
	cf_store_rollback(f->st);

	assert_int_equal(cf_store_begin(f->st, &e), CF_OK);
	assert_int_equal(d->err_class(f->st->db), CF_DB_OK);
	cf_user u = {.name = (char *)"alice", .role = (char *)"admin", .password_hash = (char *)"x", .created = T0};
	assert_int_equal(cf_store_user_add(f->st, &u, &e), CF_OK);
	assert_int_equal(cf_store_commit(f->st, &e), CF_OK);
	assert_int_equal(cf_store_begin(f->st, &e), CF_OK);
	cf_err_clear(&e);
	assert_int_equal(cf_store_user_add(f->st, &u, &e), CF_E_STATE);
	assert_int_equal(d->err_class(f->st->db), CF_DB_CONSTRAINT);
	assert_null(e.reason);
	cf_store_rollback(f->st);

	/* the same node twice, and a node whose FQDN differs only in case (an index on lower(fqdn)) */
	cf_node twin = {.fqdn = (char *)"UCM-PUB.example.com", .cluster_id = f->cl, .product = (char *)"ucm"};
	assert_int_equal(cf_store_begin(f->st, &e), CF_OK);
	assert_int_equal(cf_store_node_add(f->st, &twin, &e), CF_E_STATE);
	assert_int_equal(d->err_class(f->st->db), CF_DB_CONSTRAINT);
	cf_store_rollback(f->st);
}

/* A driver that says "collided with another writer" (as the engine would: CF_E_STATE, reason
 * retry, class retry) at the first `collide_left` runs of a statement whose SQL holds collide_sql,
 * or fails it as a broken disk would (collide_class CF_DB_FAILED). */
static const char *collide_sql;
static int collide_left;
static cf_db_class collide_class, injected;
static cf_db_driver colliding_driver;

static cf_code colliding_begin(cf_db *db, cf_tx_kind kind, cf_err *e)
{
	injected = CF_DB_OK;
	return engine()->begin(db, kind, e);
}

static cf_db_class colliding_err_class(cf_db *db)
{
	return injected != CF_DB_OK ? injected : engine()->err_class(db);
}

/* the statements whose SQL holds collide_sql, made by colliding_prepare */
static cf_stmt *colliding[4];

static cf_code colliding_prepare(cf_db *db, const char *sql, cf_stmt **out, cf_err *e)
{
	cf_code rc = engine()->prepare(db, sql, out, e);
	if (rc == CF_OK && strstr(sql, collide_sql) != NULL)
		for (size_t i = 0; i < 4; i++)
			if (colliding[i] == NULL) {
				colliding[i] = *out;
				break;
			}
	return rc;
}

static int colliding_step(cf_stmt *s, cf_err *e)
{
	bool marked = false;
	for (size_t i = 0; i < 4; i++)
		marked = marked || colliding[i] == s;
	if (!marked || collide_left == 0)
		return engine()->step(s, e);
	collide_left--;
	injected = collide_class;
	if (collide_class == CF_DB_RETRY) {
		cf_err_set(e, CF_E_STATE, "store", "could not serialize access (injected)");
		cf_err_reason(e, CF_REASON_RETRY);
	} else {
		cf_err_set(e, CF_E_INTERNAL, "store", "disk I/O error (injected)");
	}
	return -1;
}

/* One change run through CF_STORE_WRITE: a cluster added, its audit row armed by the caller. */
struct change {
	cf_store *st;
	const char *name;
	int tries;
	cf_store *other;  /* non-NULL: another writer changes the cluster first (a real collision) */
	const char *fqdn; /* what this writer sets */
};

static cf_code add_cluster_once(struct change *c, cf_err *e)
{
	int64_t id = 0;
	c->tries++;
	cf_code rc = cf_store_begin(c->st, e);
	if (rc == CF_OK)
		rc = cf_store_cluster_add(c->st, c->name, NULL, &id, e);
	if (rc == CF_OK)
		rc = cf_store_commit(c->st, e);
	cf_store_rollback(c->st);
	return rc;
}

/* Reads the cluster, lets the other writer change it (first try only), then changes it itself. */
static cf_code set_fqdn_once(struct change *c, cf_err *e)
{
	cf_cluster cl = {0};
	cf_err oe = {0};
	c->tries++;
	cf_code rc = cf_store_begin(c->st, e);
	if (rc == CF_OK)
		rc = cf_store_cluster_get(c->st, c->name, 0, &cl, e);
	if (rc == CF_OK && c->tries == 1) {
		assert_int_equal(cf_store_begin(c->other, &oe), CF_OK);
		assert_int_equal(cf_store_cluster_set_fqdn(c->other, cl.id, "other.example.com", &oe), CF_OK);
		assert_int_equal(cf_store_commit(c->other, &oe), CF_OK);
	}
	if (rc == CF_OK)
		rc = cf_store_cluster_set_fqdn(c->st, cl.id, c->fqdn, e);
	if (rc == CF_OK)
		rc = cf_store_commit(c->st, e);
	cf_store_rollback(c->st);
	cf_cluster_free(&cl);
	return rc;
}

static int64_t audit_rows(cf_store *st, const char *action)
{
	int64_t n = -1;
	cf_stmt *s = NULL;
	cf_err e = {0};
	assert_int_equal(st->drv->prepare(st->db, "SELECT count(*) FROM audit WHERE action = $1", &s, &e), CF_OK);
	st->drv->bind_text(s, 1, action);
	assert_int_equal(st->drv->step(s, &e), 1);
	n = st->drv->col_int(s, 0);
	st->drv->finalize(s);
	return n;
}

/* CF_STORE_WRITE runs a change again when the engine says it collided with another writer:
 * once the collision is over it lands once, with one audit row; a collision that does not end
 * is "try again" after 8 tries; a constraint is tried once more, after collisions too; other
 * failures are not rerun. */
static void test_write_reruns_collisions(void **state)
{
	struct fx *f = *state;
	cf_err e = {0};
	cf_code rc;
	cf_store *st = NULL;
	assert_int_equal(cf_store_open(f->target, false, &st, &e), CF_OK);
	colliding_driver = *engine();
	colliding_driver.begin = colliding_begin;
	colliding_driver.prepare = colliding_prepare;
	colliding_driver.step = colliding_step;
	colliding_driver.err_class = colliding_err_class;
	collide_sql = "INSERT INTO clusters";
	memset(colliding, 0, sizeof(colliding));
	injected = CF_DB_OK;
	st->drv = &colliding_driver; /* its statement cache is empty: every statement is prepared anew */

	/* the first try collides, the second lands: one cluster, one audit row, no error left */
	struct change c = {.st = st, .name = "uc"};
	collide_left = 1;
	collide_class = CF_DB_RETRY;
	cf_store_audit_pending(st, "tester", "local", "cluster add", "uc");
	CF_STORE_WRITE(st, &e, rc, add_cluster_once(&c, &e));
	assert_int_equal(rc, CF_OK);
	assert_int_equal(c.tries, 2);
	assert_int_equal(e.code, CF_OK);
	assert_true(cf_store_audit_written(st));
	assert_int_equal(audit_rows(f->st, "cluster add"), 1);
	cf_cluster cl = {0};
	assert_int_equal(cf_store_cluster_get(f->st, "uc", 0, &cl, &e), CF_OK);
	cf_cluster_free(&cl);

	/* it never ends: "try again" (exit 5, HTTP 503) after 8 tries, nothing written */
	c = (struct change){.st = st, .name = "edge"};
	collide_left = 1000;
	cf_store_audit_pending(st, "tester", "local", "cluster add", "edge");
	CF_STORE_WRITE(st, &e, rc, add_cluster_once(&c, &e));
	assert_int_equal(rc, CF_E_STATE);
	assert_int_equal(c.tries, 8);
	assert_non_null(e.reason);
	assert_string_equal(e.reason, CF_REASON_RETRY);
	assert_non_null(strstr(e.message, "changed by another writer at the same moment; try again"));
	assert_false(cf_store_audit_written(st));
	assert_int_equal(audit_rows(f->st, "cluster add"), 1);
	assert_int_equal(cf_store_cluster_get(f->st, "edge", 0, &cl, &e), CF_E_NOTFOUND);

	/* a constraint: once more (the code's own check would now see the other writer's row), then
	 * its error stands */
	c = (struct change){.st = st, .name = "uc"};
	collide_left = 0;
	cf_err_clear(&e);
	CF_STORE_WRITE(st, &e, rc, add_cluster_once(&c, &e));
	assert_int_equal(rc, CF_E_STATE);
	assert_int_equal(c.tries, 2);
	assert_null(e.reason);
	assert_non_null(strstr(e.message, "already exists"));

	/* a collision, then a constraint (two writers that collided retried together, and the other
	 * landed first): the constraint still has its one more try */
	c = (struct change){.st = st, .name = "uc"};
	collide_left = 1;
	collide_class = CF_DB_RETRY;
	cf_err_clear(&e);
	CF_STORE_WRITE(st, &e, rc, add_cluster_once(&c, &e));
	assert_int_equal(rc, CF_E_STATE);
	assert_int_equal(c.tries, 3);
	assert_null(e.reason);
	assert_non_null(strstr(e.message, "already exists"));

	/* any other failure is not rerun */
	c = (struct change){.st = st, .name = "edge"};
	collide_left = 1;
	collide_class = CF_DB_FAILED;
	cf_err_clear(&e);
	CF_STORE_WRITE(st, &e, rc, add_cluster_once(&c, &e));
	assert_int_equal(rc, CF_E_INTERNAL);
	assert_int_equal(c.tries, 1);
	assert_string_equal(e.message, "disk I/O error (injected)");
	cf_store_close(st);

	/* a real collision, where the engine reports one at once: PostgreSQL's serializable write saw
	 * the row it read change under it. (SQLite's writers take the one write lock at begin: the
	 * other writer waits its busy timeout instead, which the integration tests cover.) */
	if (on_pg) {
		cf_store *other = NULL;
		assert_int_equal(cf_store_open(f->target, false, &other, &e), CF_OK);
		c = (struct change){.st = f->st, .name = "uc", .other = other, .fqdn = "mine.example.com"};
		cf_store_audit_pending(f->st, "tester", "local", "cluster set", "uc fqdn");
		CF_STORE_WRITE(f->st, &e, rc, set_fqdn_once(&c, &e));
		assert_int_equal(rc, CF_OK);
		assert_int_equal(c.tries, 2);
		assert_int_equal(audit_rows(f->st, "cluster set"), 1);
		assert_int_equal(cf_store_cluster_get(other, "uc", 0, &cl, &e), CF_OK);
		assert_string_equal(cl.fqdn, "mine.example.com");
		cf_cluster_free(&cl);
		cf_store_close(other);
	}
}

/* One write of the job table in its own transaction, on st. */
#define JOB_TX(st, call)                                                                                               \
	do {                                                                                                           \
		cf_err tx_e = {0};                                                                                     \
		assert_int_equal(cf_store_begin((st), &tx_e), CF_OK);                                                  \
		assert_int_equal((call), CF_OK);                                                                       \
		assert_int_equal(cf_store_commit((st), &tx_e), CF_OK);                                                 \
	} while (0)

/* The job table's lease, between two connections as between two processes: one holder at a time,
 * only when due (unless asked any time), kept and given back only by its holder, nobody's once
 * past its time. */
static void test_job_lease(void **state)
{
	struct fx *f = *state;
	cf_err e = {0};
	cf_store *b = NULL;
	cf_job j = {0};
	bool ok = false;
	assert_int_equal(cf_store_open(f->target, false, &b, &e), CF_OK);
	JOB_TX(f->st, cf_store_job_ensure(f->st, "monitor", "", 1000, "p1", &e));
	JOB_TX(b, cf_store_job_ensure(b, "monitor", "", 5000, "p2", &e)); /* already there: kept as it is */
	assert_int_equal(cf_store_job_get(b, "monitor", "", &j, &e), CF_OK);
	assert_int_equal(j.next_run, 1000);
	assert_string_equal(j.plan, "p1");
	cf_store_job_clear(&j);

	JOB_TX(f->st, cf_store_job_claim(f->st, "monitor", "", "A", 999, 1600, false, &ok, &e));
	assert_false(ok); /* not due yet */
	JOB_TX(f->st, cf_store_job_claim(f->st, "monitor", "", "A", 1000, 1600, false, &ok, &e));
	assert_true(ok);
	JOB_TX(b, cf_store_job_claim(b, "monitor", "", "B", 1001, 1601, true, &ok, &e));
	assert_false(ok); /* A holds it, even any time */
	JOB_TX(b, cf_store_job_extend(b, "monitor", "", "B", 2000, &ok, &e));
	assert_false(ok);
	JOB_TX(b, cf_store_job_finish(b, "monitor", "", "B", 1001, 9000, 0, "ok", "", &ok, &e));
	assert_false(ok); /* only the holder ends its run */
	JOB_TX(f->st, cf_store_job_extend(f->st, "monitor", "", "A", 2000, &ok, &e));
	assert_true(ok);
	JOB_TX(b, cf_store_job_claim(b, "monitor", "", "B", 1700, 2300, false, &ok, &e));
	assert_false(ok); /* kept past its first time */
	JOB_TX(f->st, cf_store_job_finish(f->st, "monitor", "", "A", 1100, 4000, 2, "failed", "smtp down", &ok, &e));
	assert_true(ok);
	assert_int_equal(cf_store_job_get(b, "monitor", "", &j, &e), CF_OK);
	assert_int_equal(j.next_run, 4000);
	assert_int_equal(j.attempts, 2);
	assert_int_equal(j.last_run, 1100);
	assert_string_equal(j.last_status, "failed");
	assert_string_equal(j.last_error, "smtp down");
	assert_string_equal(j.lease_holder, "");
	cf_store_job_clear(&j);

	/* a holder that died: its lease is nobody's once past its time */
	JOB_TX(b, cf_store_job_claim(b, "monitor", "", "B", 1200, 1800, true, &ok, &e));
	assert_true(ok);
	JOB_TX(f->st, cf_store_job_claim(f->st, "monitor", "", "A", 1799, 2400, true, &ok, &e));
	assert_false(ok);
	JOB_TX(f->st, cf_store_job_claim(f->st, "monitor", "", "A", 1800, 2400, true, &ok, &e));
	assert_true(ok);
	JOB_TX(f->st, cf_store_job_plan(f->st, "monitor", "", 7000, "p3", &e));
	cf_job *v = NULL;
	size_t n = 0;
	assert_int_equal(cf_store_job_list(b, &v, &n, &e), CF_OK);
	assert_int_equal(n, 1);
	assert_int_equal(v[0].next_run, 7000);
	assert_string_equal(v[0].plan, "p3");
	assert_string_equal(v[0].lease_holder, "A");
	cf_store_jobs_free(v, n);
	cf_store_close(b);
}

/* The runner's tick over two connections (two certfleetd processes): the duties' rows are made,
 * a due job runs in one of them, a job another holds is left alone, a run on request is refused
 * while another holds it, and a setting that moves a duty's plan re-plans its row. */
static int passes;
static void count_passes(void *arg, cf_job_level level, const char *line)
{
	(void)arg;
	(void)level;
	if (strncmp(line, "monitor: pass done", 18) == 0)
		passes++;
}

static void test_jobs_tick(void **state)
{
	struct fx *f = *state;
	cf_err e = {0};
	cf_store *b = NULL;
	cf_job j = {0};
	int64_t now = 1795305600, wake = 0; /* 2026-11-22T00:00:00Z */
	cf_transport net = {0};		    /* no mail set up: a pass sends nothing */
	cf_jobs_env ea = {.holder = "A", .transport = &net, .log = count_passes};
	cf_jobs_env eb = {.holder = "B", .transport = &net, .log = count_passes};
	assert_int_equal(cf_store_open(f->target, false, &b, &e), CF_OK);
	passes = 0;

	assert_int_equal(cf_jobs_tick(f->st, &ea, now, &wake, &e), CF_OK);
	assert_int_equal(passes, 1); /* a new store: the monitor's first pass at once */
	assert_int_equal(wake, now); /* after a run, a look again at once */
	assert_int_equal(cf_jobs_tick(f->st, &ea, now, &wake, &e), CF_OK);
	assert_int_equal(passes, 1); /* the ACME pass, due at once too (no identity in auto mode) */
	assert_int_equal(wake, now);
	assert_int_equal(cf_store_job_get(b, CF_DUTY_ACME, "", &j, &e), CF_OK);
	assert_true(j.next_run == now + 86400 && strcmp(j.last_status, "ok") == 0); /* a day later */
	cf_store_job_clear(&j);
	/* the local CAs' CRL and OCSP passes, due at once too (no CA): one tick each */
	for (int k = 0; k < 2; k++) {
		assert_int_equal(cf_jobs_tick(f->st, &ea, now, &wake, &e), CF_OK);
		assert_int_equal(passes, 1);
		assert_int_equal(wake, now);
	}
	assert_int_equal(cf_store_job_get(b, CF_DUTY_CA_OCSP, "", &j, &e), CF_OK);
	assert_true(j.next_run > now && strcmp(j.last_status, "ok") == 0);
	cf_store_job_clear(&j);
	assert_int_equal(cf_jobs_tick(b, &eb, now, &wake, &e), CF_OK);
	assert_int_equal(passes, 1); /* done: not due again in the other process */
	assert_true(wake > now && wake <= now + 60);
	assert_int_equal(cf_store_job_get(b, CF_DUTY_MONITOR, "", &j, &e), CF_OK);
	assert_string_equal(j.last_status, "ok");
	assert_true(j.next_run > now);
	int64_t next = j.next_run;
	cf_store_job_clear(&j);
	assert_int_equal(cf_store_job_get(b, CF_DUTY_CRL, "", &j, &e), CF_OK);
	assert_string_equal(j.plan, "daily at 02:00 UTC");
	assert_int_equal(j.next_run, now + 7200);
	cf_store_job_clear(&j);
	assert_int_equal(cf_store_job_get(b, CF_DUTY_OCSP, "", &j, &e), CF_OK);
	assert_string_equal(j.plan, "off");
	cf_store_job_clear(&j);

	/* due again, but B holds it: A leaves it alone, and a run on request in A is refused */
	bool ok = false;
	JOB_TX(b, cf_store_job_claim(b, CF_DUTY_MONITOR, "", "B", next, next + CF_JOB_LEASE, false, &ok, &e));
	assert_true(ok);
	assert_int_equal(cf_jobs_tick(f->st, &ea, next, &wake, &e), CF_OK);
	assert_int_equal(passes, 1);
	assert_int_equal(cf_jobs_take(f->st, &ea, CF_DUTY_MONITOR, next, &e), CF_E_STATE);
	assert_string_equal(e.reason, CF_REASON_RETRY);
	assert_non_null(strstr(e.message, "a run is under way in B"));
	cf_err_clear(&e);
	/* B dies: once its lease is past its time, A runs the pass */
	assert_int_equal(cf_jobs_tick(f->st, &ea, next + CF_JOB_LEASE, &wake, &e), CF_OK);
	assert_int_equal(passes, 2);

	/* the CRL schedule moves: the row is re-planned at the next tick */
	cf_err_clear(&e);
	cf_fieldchange at = {cf_field_find(&cf_crlfetch_schedule_fields, "daily_at"), "05:30"};
	assert_int_equal(cf_fields_apply(b, &cf_crlfetch_schedule_fields, &at, 1, &e), CF_OK);
	assert_int_equal(cf_jobs_tick(f->st, &ea, now + 60, &wake, &e), CF_OK);
	assert_int_equal(cf_store_job_get(b, CF_DUTY_CRL, "", &j, &e), CF_OK);
	assert_string_equal(j.plan, "daily at 05:30 UTC");
	assert_int_equal(j.next_run, now + 5 * 3600 + 1800);
	cf_store_job_clear(&j);
	cf_store_close(b);
}

int main(int argc, char **argv)
{
	/* the contract: every engine */
	const struct CMUnitTest both[] = {
		cmocka_unit_test_setup_teardown(test_open_newer_schema_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_trust_unique, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reopen_keeps_data, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cert_lists_exact, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cert_lists_migrated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_clusters, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nodes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_node_duplicate_differing_in_case, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nodes_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cert_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cert_defaults_and_clock, setup, teardown),
		cmocka_unit_test_setup_teardown(test_identity_unique, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cert_each_filters, setup, teardown),
		cmocka_unit_test_setup_teardown(test_trust_queries, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lsc_rows, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cdp_urls_without_lsc, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lsc_import_store_failure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_csrs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rollback_leaves_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_targets, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nested_walks_beyond_cache, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_utf8, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bind_errors_sticky, setup, teardown),
		cmocka_unit_test_setup_teardown(test_changes_per_statement, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unique_violation_class, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_reruns_collisions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_job_lease, setup, teardown),
		cmocka_unit_test_setup_teardown(test_jobs_tick, setup, teardown),
	};
	/* SQLite only: they are about the store's file itself (its mode whatever the umask, a path
	 * with no file, a file that is not a database); a PostgreSQL database is the administrator's
	 * to make and secure, and test_db_pg covers a server or database that is not there */
	const struct CMUnitTest sqlite_only[] = {
		cmocka_unit_test_setup_teardown(test_open_creates_0600, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_missing_without_create, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_not_a_store, setup, teardown),
	};
	on_pg = argc > 1 && strcmp(argv[1], "pg") == 0;
	if (on_pg) {
		if (pg_group_setup() != 0)
			return 1;
		return cmocka_run_group_tests_name("store on postgresql", both, NULL, NULL);
	}
	int failed = cmocka_run_group_tests_name("store on sqlite", both, NULL, NULL);
	return failed + cmocka_run_group_tests_name("store on sqlite (its file)", sqlite_only, NULL, NULL);
}
