/* The PostgreSQL driver's table (src/store/db_pg.c) against a throwaway server on loopback:
 * ctest starts it with tests/pg/pgserver.sh (PGSERVER, PGTEST_DIR) before this test and stops it
 * after; this test makes its own database there. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pgtest.h"
#include "store/db.h"

static const cf_db_driver *const D = &cf_db_pg;
static char url[256];	   /* postgresql://certfleet@127.0.0.1:PORT/unit_db_pg */
static char password[128]; /* the role's, also in PGPASSWORD */
static char port[16];

static int group_setup(void **state)
{
	(void)state;
	if (pgtest_database("unit_db_pg", url, sizeof(url), password, sizeof(password)) != 0)
		return -1;
	return pgtest_port(port, sizeof(port));
}

static cf_db *open_ok(void)
{
	cf_db *db = NULL;
	cf_err e = {0};
	if (D->open(url, false, &db, &e) != CF_OK)
		fail_msg("open %s: %s: %s", url, e.subject, e.message);
	return db;
}

static void exec_ok(cf_db *db, const char *sql)
{
	cf_err e = {0};
	if (D->exec(db, sql, &e) != CF_OK)
		fail_msg("%s: %s", sql, e.message);
}

static cf_stmt *prep_ok(cf_db *db, const char *sql)
{
	cf_stmt *st = NULL;
	cf_err e = {0};
	if (D->prepare(db, sql, &st, &e) != CF_OK)
		fail_msg("%s: %s", sql, e.message);
	return st;
}

/* One whole number from a query without parameters. */
static int64_t query_int(cf_db *db, const char *sql)
{
	cf_stmt *st = prep_ok(db, sql);
	cf_err e = {0};
	int r = D->step(st, &e);
	if (r != 1)
		fail_msg("%s: %d %s", sql, r, e.message);
	int64_t v = D->col_int(st, 0);
	D->finalize(st);
	return v;
}

/* Schema text with the driver's words, as schema.c substitutes them (" TEXT" in test SQL is
 * written TXT here). */
static void create_table(cf_db *db, const char *name, const char *cols)
{
	char sql[1024];
	snprintf(sql, sizeof(sql), "CREATE TABLE %s (id %s, %s)", name, D->id_type, cols);
	exec_ok(db, sql);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- tests ---------------------------------------------------------------------------------- */

static void test_claims(void **state)
{
	(void)state;
	assert_true(D->claims("postgresql://certfleet@db.example.com/certfleet"));
	assert_true(D->claims("postgres://db.example.com/certfleet"));
	assert_false(D->claims("/var/lib/certfleet/store.db"));
	assert_false(D->claims("store.db"));
	assert_false(D->claims("postgresqlx://db.example.com/certfleet"));
	assert_false(D->claims("sqlite:///var/lib/certfleet/store.db"));
	assert_string_equal(D->blob_type, "BYTEA");
	assert_string_equal(D->text_type, " TEXT COLLATE \"C\"");
}

/* An error's subject and message, which must hold no password. */
static void assert_no_secret(const cf_err *e, const char *secret)
{
	assert_null(strstr(e->subject, secret));
	assert_null(strstr(e->message, secret));
	assert_null(strchr(e->message, '\n'));
}

static void test_open_errors(void **state)
{
	(void)state;
	cf_db *db = NULL;
	cf_err e = {0};
	char bad[512];

	/* a wrong password in PGPASSWORD */
	setenv("PGPASSWORD", "Wr0ngSecret-env", 1);
	assert_int_equal(D->open(url, false, &db, &e), CF_E_REMOTE);
	assert_null(db);
	assert_non_null(strstr(e.message, "password authentication failed"));
	assert_no_secret(&e, "Wr0ngSecret");
	assert_string_equal(e.subject, url);
	setenv("PGPASSWORD", password, 1);

	/* a wrong password in the URL itself, and one in a parameter (percent-encoded name) */
	snprintf(bad, sizeof(bad), "postgresql://certfleet:Wr0ngSecret@127.0.0.1:%s/unit_db_pg?sslmode=disable", port);
	assert_int_equal(D->open(bad, false, &db, &e), CF_E_REMOTE);
	assert_no_secret(&e, "Wr0ngSecret");
	char want[512];
	snprintf(want, sizeof(want), "postgresql://certfleet@127.0.0.1:%s/unit_db_pg?sslmode=disable", port);
	assert_string_equal(e.subject, want);
	snprintf(bad, sizeof(bad),
		 "postgresql://certfleet@127.0.0.1:%s/unit_db_pg?p%%61ssword=Wr0ngSecret&sslmode=disable", port);
	assert_int_equal(D->open(bad, false, &db, &e), CF_E_REMOTE);
	assert_no_secret(&e, "Wr0ngSecret");
	assert_non_null(strstr(e.subject, "?sslmode=disable"));

	/* the key's passphrase (sslpassword) is no more shown than the password */
	snprintf(bad, sizeof(bad),
		 "postgresql://certfleet@127.0.0.1:%s/unit_db_pg?sslmode=disable&sslpassword=K3ySecret", port);
	assert_int_equal(D->open(bad, false, &db, &e), CF_OK);
	assert_int_equal(D->exec(db, "SELECT * FROM no_such_table", &e), CF_E_INTERNAL);
	assert_no_secret(&e, "K3ySecret");
	assert_non_null(strstr(e.subject, "?sslmode=disable"));
	D->close(db);
	db = NULL;

	/* the right password in the URL opens, and later errors do not show it either */
	snprintf(bad, sizeof(bad), "postgresql://certfleet:%s@127.0.0.1:%s/unit_db_pg", password, port);
	unsetenv("PGPASSWORD");
	assert_int_equal(D->open(bad, false, &db, &e), CF_OK);
	setenv("PGPASSWORD", password, 1);
	assert_int_equal(D->exec(db, "SELECT * FROM no_such_table", &e), CF_E_INTERNAL);
	assert_int_equal(D->err_class(db), CF_DB_FAILED);
	assert_no_secret(&e, password);
	assert_non_null(strstr(e.message, "no_such_table"));
	D->close(db);
	db = NULL;

	/* no such database: PostgreSQL databases are not made by certfleet, create or not */
	snprintf(bad, sizeof(bad), "postgresql://certfleet@127.0.0.1:%s/no_such_db", port);
	assert_int_equal(D->open(bad, true, &db, &e), CF_E_REMOTE);
	assert_non_null(strstr(e.message, "database \"no_such_db\" does not exist"));

	/* nobody listening */
	assert_int_equal(D->open("postgresql://certfleet@127.0.0.1:1/certfleet", false, &db, &e), CF_E_REMOTE);
	assert_non_null(strstr(e.message, "cannot connect"));

	/* not a URL libpq reads */
	assert_int_equal(D->open("postgresql://certfleet:Wr0ngSecret@h/db?nonsense=1", false, &db, &e), CF_E_USAGE);
	assert_no_secret(&e, "Wr0ngSecret");
	assert_null(db);
}

static void test_values(void **state)
{
	(void)state;
	cf_db *db = open_ok();
	cf_err e = {0};
	char cols[512];
	snprintf(cols, sizeof(cols), "name%s NOT NULL, n BIGINT, small INTEGER, data %s, data2 %s", D->text_type,
		 D->blob_type, D->blob_type);
	create_table(db, "vals", cols);

	static const unsigned char blob[] = {0x00, 0xff, '\\', 'x', '0', 0x01, 0x80, '\'', 0x00};
	cf_stmt *ins =
		prep_ok(db, "INSERT INTO vals (name, n, small, data, data2) VALUES ($1, $2, $3, $4, $5) RETURNING id");
	struct {
		const char *name;
		int64_t n;
		const void *data;
		size_t len;
	} rows[] = {
		{"b-second 'quoted' \\ back", INT64_MAX, blob, sizeof(blob)},
		{"B-upper", INT64_MIN, "", 0},
		{"\xc3\xa9t\xc3\xa9", -1, NULL, 0}, /* UTF-8: sorts after ASCII by bytes */
		{"a-first", 4102444800, blob, 1},   /* a time past 2038 */
	};
	int64_t ids[4];
	for (int i = 0; i < 4; i++) {
		D->bind_text(ins, 1, rows[i].name);
		D->bind_int(ins, 2, rows[i].n);
		D->bind_int(ins, 3, i);
		D->bind_blob(ins, 4, rows[i].data, rows[i].len);
		D->bind_blob(ins, 5, blob, sizeof(blob));
		assert_int_equal(D->step(ins, &e), 1);
		ids[i] = D->col_int(ins, 0);
		assert_int_equal(D->step(ins, &e), 0);
		assert_int_equal(D->changes(ins), 1);
		D->reset(ins);
	}
	assert_true(ids[0] > 0 && ids[1] > ids[0]);
	D->finalize(ins);

	/* byte order (COLLATE "C"), as SQLite sorts */
	cf_stmt *sel = prep_ok(db, "SELECT name, n, small, data, data2, data IS NULL, n > $1, NULL FROM vals"
				   " WHERE $2 = 0 OR n <= $2 ORDER BY name");
	D->bind_int(sel, 1, 0);
	D->bind_int(sel, 2, 0);
	const int order[] = {1, 3, 0, 2};
	for (int i = 0; i < 4; i++) {
		int k = order[i];
		assert_int_equal(D->step(sel, &e), 1);
		assert_string_equal(D->col_text(sel, 0), rows[k].name);
		assert_int_equal(D->col_int(sel, 1), rows[k].n);
		assert_int_equal(D->col_int(sel, 2), k);
		size_t len = 99, len2 = 99;
		const void *p = D->col_blob(sel, 3, &len);
		const void *p2 = D->col_blob(sel, 4, &len2); /* two blobs of one row, both readable */
		assert_int_equal(len, rows[k].len);
		if (rows[k].data == NULL)
			assert_null(p);
		else
			assert_memory_equal(p, rows[k].data, len);
		assert_int_equal(len2, sizeof(blob));
		assert_memory_equal(p2, blob, sizeof(blob));
		assert_int_equal(D->col_int(sel, 5), rows[k].data == NULL); /* booleans read as 1 and 0 */
		assert_int_equal(D->col_int(sel, 6), rows[k].n > 0);
		assert_string_equal(D->col_text(sel, 7), ""); /* NULL */
		assert_int_equal(D->col_int(sel, 7), 0);
		assert_string_equal(D->col_text(sel, 42), ""); /* no such column */
	}
	assert_int_equal(D->step(sel, &e), 0);
	assert_int_equal(D->step(sel, &e), 0);

	/* a 64-bit bound: "$2 = 0" does not make $2 a 32-bit integer */
	D->reset(sel);
	D->bind_int(sel, 1, 0);
	D->bind_int(sel, 2, 4102444800);
	int n = 0;
	while (D->step(sel, &e) == 1)
		n++;
	assert_int_equal(n, 3);

	/* SQL NULL text, and text bound where the server infers another type */
	D->finalize(sel);
	sel = prep_ok(db, "SELECT $1::text IS NULL, $2 || 'x', $3::bigint + 1");
	D->bind_text(sel, 1, NULL);
	D->bind_text(sel, 2, "y");
	D->bind_text(sel, 3, "41");
	assert_int_equal(D->step(sel, &e), 1);
	assert_int_equal(D->col_int(sel, 0), 1);
	assert_string_equal(D->col_text(sel, 1), "yx");
	assert_int_equal(D->col_int(sel, 2), 42);
	D->finalize(sel);
	D->close(db);
}

static void test_changes_and_binds(void **state)
{
	(void)state;
	cf_db *db = open_ok();
	cf_err e = {0};
	create_table(db, "ch", "v BIGINT NOT NULL");
	exec_ok(db, "INSERT INTO ch (v) SELECT g FROM generate_series(1, 10) g");

	cf_stmt *up = prep_ok(db, "UPDATE ch SET v = v + 100 WHERE v <= $1");
	D->bind_int(up, 1, 7);
	assert_int_equal(D->step(up, &e), 0);
	assert_int_equal(D->changes(up), 7);
	D->reset(up);
	assert_int_equal(D->changes(up), 7); /* the last run's, until the next run */
	D->bind_int(up, 1, 0);
	assert_int_equal(D->step(up, &e), 0);
	assert_int_equal(D->changes(up), 0);
	D->reset(up);

	/* a bind to a parameter the query does not have fails the next step, and stays failed */
	D->bind_int(up, 99, 1);
	D->bind_int(up, 1, 1000);
	assert_int_equal(D->step(up, &e), -1);
	assert_int_equal(e.code, CF_E_INTERNAL);
	assert_int_equal(D->err_class(db), CF_DB_FAILED);
	assert_non_null(strstr(e.message, "$99"));
	assert_int_equal(D->step(up, &e), -1);
	assert_int_equal(query_int(db, "SELECT count(*) FROM ch WHERE v > 1000"), 0); /* nothing ran */
	D->reset(up);
	D->bind_text(up, 0, "x");
	assert_int_equal(D->step(up, &e), -1);
	D->reset(up); /* clears it */
	D->bind_int(up, 1, 1000);
	assert_int_equal(D->step(up, &e), 0);
	assert_int_equal(D->changes(up), 10);
	D->finalize(up);

	/* $n inside quotes and comments is no parameter */
	cf_stmt *q = prep_ok(db, "SELECT '$2', v FROM (SELECT $1::int AS v) t -- $3\n /* $4 */");
	D->bind_int(q, 1, 5);
	assert_int_equal(D->step(q, &e), 1);
	assert_string_equal(D->col_text(q, 0), "$2");
	assert_int_equal(D->col_int(q, 1), 5);
	D->reset(q);
	D->bind_int(q, 2, 5);
	assert_int_equal(D->step(q, &e), -1);
	D->finalize(q);
	D->close(db);
}

static void test_constraint(void **state)
{
	(void)state;
	cf_db *db = open_ok();
	cf_err e = {0};
	char cols[256];
	snprintf(cols, sizeof(cols), "name%s NOT NULL UNIQUE", D->text_type);
	create_table(db, "uniq", cols);
	cf_stmt *ins = prep_ok(db, "INSERT INTO uniq (name) VALUES ($1)");
	D->bind_text(ins, 1, "one");
	assert_int_equal(D->step(ins, &e), 0);
	D->reset(ins);
	D->bind_text(ins, 1, "one");
	assert_int_equal(D->step(ins, &e), -1);
	assert_int_equal(e.code, CF_E_STATE);
	assert_null(e.reason);
	assert_int_equal(D->err_class(db), CF_DB_CONSTRAINT);
	assert_non_null(strstr(e.message, "duplicate key"));
	assert_string_equal(e.subject, url);
	D->reset(ins);
	D->bind_text(ins, 1, NULL); /* NOT NULL */
	assert_int_equal(D->step(ins, &e), -1);
	assert_int_equal(D->err_class(db), CF_DB_CONSTRAINT);
	D->finalize(ins);
	D->close(db);
}

/* Text that is not UTF-8 is refused as input before it reaches the server, so the transaction
 * it was meant for goes on (the server would have aborted it). */
static void test_not_utf8(void **state)
{
	(void)state;
	cf_db *db = open_ok();
	cf_err e = {0};
	char cols[256];
	snprintf(cols, sizeof(cols), "name%s NOT NULL", D->text_type);
	create_table(db, "utf", cols);
	assert_int_equal(D->begin(db, CF_TX_WRITE, &e), CF_OK);
	cf_stmt *ins = prep_ok(db, "INSERT INTO utf (name) VALUES ($1)");
	D->bind_text(ins, 1, "bad\xffname");
	assert_int_equal(D->step(ins, &e), -1);
	assert_int_equal(e.code, CF_E_INPUT);
	assert_non_null(strstr(e.message, "not UTF-8"));
	assert_int_equal(D->err_class(db), CF_DB_FAILED);
	D->reset(ins);
	D->bind_text(ins, 1, "caf\xc3\xa9 \x1b[31m"); /* UTF-8 with a control character is text */
	assert_int_equal(D->step(ins, &e), 0);
	D->finalize(ins);
	assert_int_equal(D->commit(db, &e), CF_OK);
	assert_int_equal(query_int(db, "SELECT count(*) FROM utf"), 1);
	D->close(db);
}

static void test_transactions(void **state)
{
	(void)state;
	cf_db *a = open_ok(), *b = open_ok();
	cf_err e = {0};
	create_table(a, "tx", "v BIGINT NOT NULL");

	/* a read transaction cannot write */
	assert_int_equal(D->begin(a, CF_TX_READ, &e), CF_OK);
	assert_int_equal(D->exec(a, "INSERT INTO tx (v) VALUES (1)", &e), CF_E_INTERNAL);
	assert_int_equal(D->commit(a, &e), CF_E_INTERNAL); /* after an error: rolled back, not committed */
	D->rollback(a);
	D->rollback(a); /* safe without a transaction */

	/* a rolled back write leaves nothing; a statement prepared in it is still there after */
	assert_int_equal(D->begin(a, CF_TX_WRITE, &e), CF_OK);
	assert_int_equal(D->begin(a, CF_TX_WRITE, &e), CF_E_INTERNAL); /* one at a time */
	cf_stmt *ins = prep_ok(a, "INSERT INTO tx (v) VALUES ($1)");
	D->bind_int(ins, 1, 1);
	assert_int_equal(D->step(ins, &e), 0);
	D->reset(ins);
	D->rollback(a);
	assert_int_equal(query_int(a, "SELECT count(*) FROM tx"), 0);
	D->bind_int(ins, 1, 2);
	assert_int_equal(D->step(ins, &e), 0);
	D->reset(ins);
	assert_int_equal(query_int(a, "SELECT count(*) FROM tx"), 1);

	/* the schema lock is held from on to off, across the migration's transaction */
	int64_t pid = query_int(a, "SELECT pg_backend_pid()");
	char sql[256];
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = %lld",
		 (long long)pid);
	assert_int_equal(D->lock_schema(a, true, &e), CF_OK);
	assert_int_equal(D->begin(a, CF_TX_WRITE, &e), CF_OK);
	assert_int_equal(query_int(b, sql), 1);
	assert_int_equal(D->commit(a, &e), CF_OK);
	assert_int_equal(query_int(b, sql), 1);
	assert_int_equal(D->lock_schema(a, false, &e), CF_OK);
	assert_int_equal(query_int(b, sql), 0);
	D->finalize(ins);
	D->close(a);
	D->close(b);
}

static void test_collisions(void **state)
{
	(void)state;
	cf_db *a = open_ok(), *b = open_ok();
	cf_err e = {0};
	create_table(a, "acct", "v BIGINT NOT NULL");
	exec_ok(a, "INSERT INTO acct (v) VALUES (0)");
	cf_stmt *up_a = prep_ok(a, "UPDATE acct SET v = v + $1");
	cf_stmt *up_b = prep_ok(b, "UPDATE acct SET v = v + $1");

	/* both write the same row: the one whose snapshot is older than the other's commit is told
	 * to run again */
	assert_int_equal(D->begin(a, CF_TX_WRITE, &e), CF_OK);
	assert_int_equal(query_int(a, "SELECT v FROM acct"), 0);
	assert_int_equal(D->begin(b, CF_TX_WRITE, &e), CF_OK);
	D->bind_int(up_b, 1, 1);
	assert_int_equal(D->step(up_b, &e), 0);
	D->reset(up_b);
	assert_int_equal(D->commit(b, &e), CF_OK);
	D->bind_int(up_a, 1, 10);
	assert_int_equal(D->step(up_a, &e), -1);
	assert_int_equal(D->err_class(a), CF_DB_RETRY);
	assert_int_equal(e.code, CF_E_STATE);
	assert_non_null(e.reason);
	assert_string_equal(e.reason, CF_REASON_RETRY);
	D->reset(up_a);
	/* the server refuses everything else in that transaction ("current transaction is aborted"):
	 * those refusals are the collision again, so the caller runs the change again */
	cf_err later = {0};
	assert_int_equal(D->exec(a, "SELECT 1", &later), CF_E_STATE);
	assert_non_null(later.reason);
	assert_string_equal(later.reason, CF_REASON_RETRY);
	assert_string_equal(later.message, e.message);
	assert_int_equal(D->err_class(a), CF_DB_RETRY);
	D->bind_int(up_a, 1, 10);
	assert_int_equal(D->step(up_a, &later), -1);
	assert_string_equal(later.message, e.message);
	D->reset(up_a);
	assert_int_equal(D->commit(a, &later), CF_E_STATE);
	assert_string_equal(later.message, e.message);
	assert_int_equal(D->err_class(a), CF_DB_RETRY);
	D->rollback(a);
	/* and the next transaction starts afresh */
	assert_int_equal(D->begin(a, CF_TX_WRITE, &e), CF_OK);
	assert_int_equal(D->err_class(a), CF_DB_OK);
	D->rollback(a);

	/* a row lock held longer than lock_timeout: run again too */
	exec_ok(b, "SET lock_timeout = '100ms'");
	assert_int_equal(D->begin(a, CF_TX_WRITE, &e), CF_OK);
	D->bind_int(up_a, 1, 10);
	assert_int_equal(D->step(up_a, &e), 0);
	D->reset(up_a);
	assert_int_equal(D->begin(b, CF_TX_WRITE, &e), CF_OK);
	D->bind_int(up_b, 1, 1);
	assert_int_equal(D->step(up_b, &e), -1);
	assert_int_equal(D->err_class(b), CF_DB_RETRY);
	assert_string_equal(e.reason, CF_REASON_RETRY);
	D->reset(up_b);
	D->rollback(b);
	assert_int_equal(D->commit(a, &e), CF_OK);
	assert_int_equal(query_int(b, "SELECT v FROM acct"), 11);
	D->finalize(up_a);
	D->finalize(up_b);
	D->close(a);
	D->close(b);
}

/* Waits (up to a generous limit) until db's change feed is past seq; returns it. */
static int64_t seq_after(cf_db *db, int64_t seq)
{
	double deadline = now_s() + 20;
	int64_t v;
	while ((v = D->change_seq(db)) == seq && now_s() < deadline) {
		struct timespec ts = {0, 5 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	return v;
}

static void test_change_feed(void **state)
{
	(void)state;
	cf_db *a = open_ok(), *b = open_ok();
	cf_err e = {0};
	create_table(b, "feed", "v BIGINT NOT NULL");
	int64_t a0 = D->change_seq(a), b0 = D->change_seq(b);
	assert_true(a0 >= 0 && b0 >= 0);

	/* reads and rolled back writes are no change */
	assert_int_equal(D->begin(b, CF_TX_READ, &e), CF_OK);
	assert_int_equal(D->commit(b, &e), CF_OK);
	assert_int_equal(D->begin(b, CF_TX_WRITE, &e), CF_OK);
	exec_ok(b, "INSERT INTO feed (v) VALUES (1)");
	D->rollback(b);
	assert_int_equal(D->change_seq(b), b0);
	/* and so is a committed write that changed no row (a job runner's pass that finds its rows
	 * as they were), run as text or as a prepared statement: the store's caches stay */
	cf_stmt *none = prep_ok(b, "UPDATE feed SET v = v WHERE v < $1");
	assert_int_equal(D->begin(b, CF_TX_WRITE, &e), CF_OK);
	exec_ok(b, "UPDATE feed SET v = v WHERE v < 0");
	D->bind_int(none, 1, 0);
	assert_int_equal(D->step(none, &e), 0);
	D->reset(none);
	assert_int_equal(D->commit(b, &e), CF_OK);
	assert_int_equal(D->change_seq(b), b0);

	/* a committed write moves this connection's feed at once and the other's when told */
	assert_int_equal(D->begin(b, CF_TX_WRITE, &e), CF_OK);
	exec_ok(b, "INSERT INTO feed (v) VALUES (2)");
	assert_int_equal(D->commit(b, &e), CF_OK);
	assert_int_equal(D->change_seq(b), b0 + 1);
	assert_int_equal(seq_after(a, a0), a0 + 1); /* once: the rollback told nothing */

	/* a connection in a transaction sees the change after it */
	assert_int_equal(D->begin(a, CF_TX_READ, &e), CF_OK);
	assert_int_equal(query_int(a, "SELECT count(*) FROM feed"), 1);
	assert_int_equal(D->begin(b, CF_TX_WRITE, &e), CF_OK);
	cf_stmt *ins = prep_ok(b, "INSERT INTO feed (v) VALUES ($1)"); /* a change made by a prepared statement */
	D->bind_int(ins, 1, 3);
	assert_int_equal(D->step(ins, &e), 0);
	D->finalize(ins);
	assert_int_equal(D->commit(b, &e), CF_OK);
	assert_int_equal(query_int(a, "SELECT count(*) FROM feed"), 1); /* its snapshot */
	assert_int_equal(D->commit(a, &e), CF_OK);
	assert_int_equal(seq_after(a, a0 + 1), a0 + 2);
	assert_int_equal(D->change_seq(b), b0 + 2);
	D->finalize(none);
	D->close(a);
	D->close(b);
}

static void test_streaming(void **state)
{
	(void)state;
	cf_db *db = open_ok();
	cf_err e = {0};
	cf_stmt *st = prep_ok(db, "SELECT g, repeat('x', 100) FROM generate_series(1, $1) g ORDER BY g");
	D->bind_int(st, 1, 10000);
	int64_t n = 0;
	int r;
	while ((r = D->step(st, &e)) == 1) {
		if (D->col_int(st, 0) != ++n)
			fail_msg("row %lld is %lld", (long long)n, (long long)D->col_int(st, 0));
		assert_int_equal(strlen(D->col_text(st, 1)), 100);
	}
	assert_int_equal(r, 0);
	assert_int_equal(n, 10000);

	/* rows come one at a time: those before a late error are read before it is reported */
	cf_stmt *late = prep_ok(db, "SELECT 1 / ($1 - g) FROM generate_series(1, $1) g");
	D->bind_int(late, 1, 10000);
	n = 0;
	while ((r = D->step(late, &e)) == 1)
		n++;
	assert_int_equal(r, -1);
	assert_true(n > 0);
	assert_int_equal(D->err_class(db), CF_DB_FAILED);
	assert_non_null(strstr(e.message, "division by zero"));
	D->finalize(late);

	/* reset in the middle of the rows, then run again from the start */
	D->reset(st);
	D->bind_int(st, 1, 10000);
	for (int i = 1; i <= 5; i++) {
		assert_int_equal(D->step(st, &e), 1);
		assert_int_equal(D->col_int(st, 0), i);
	}
	D->reset(st);
	D->bind_int(st, 1, 3);
	for (int i = 1; i <= 3; i++) {
		assert_int_equal(D->step(st, &e), 1);
		assert_int_equal(D->col_int(st, 0), i);
	}
	assert_int_equal(D->step(st, &e), 0);
	D->reset(st);

	/* another statement in the middle of a walk: the walk's row stays readable and its rows go on */
	cf_stmt *inner = prep_ok(db, "SELECT $1::bigint * 2");
	D->bind_int(st, 1, 2000);
	n = 0;
	while ((r = D->step(st, &e)) == 1) {
		const char *text = D->col_text(st, 1);
		int64_t v = D->col_int(st, 0);
		assert_int_equal(v, ++n);
		if (n % 500 == 1) {
			D->bind_int(inner, 1, v);
			assert_int_equal(D->step(inner, &e), 1);
			assert_int_equal(D->col_int(inner, 0), 2 * v);
			D->reset(inner);
			exec_ok(db, "SELECT 1");
			assert_int_equal(strlen(text), 100);
			assert_int_equal(D->col_int(st, 0), v);
		}
	}
	assert_int_equal(r, 0);
	assert_int_equal(n, 2000);
	D->finalize(inner);
	D->finalize(st);

	/* in a transaction, a walk whose rest is read ahead when another statement runs, and which ends
	 * in an error there: that error is the transaction's first, reported by what runs after it */
	assert_int_equal(D->begin(db, CF_TX_READ, &e), CF_OK);
	cf_stmt *failing = prep_ok(db, "SELECT 1 / ($1 - g) FROM generate_series(1, $1) g");
	D->bind_int(failing, 1, 10000);
	assert_int_equal(D->step(failing, &e), 1);
	cf_err later = {0};
	assert_int_not_equal(D->exec(db, "SELECT 1", &later), CF_OK);
	assert_non_null(strstr(later.message, "division by zero"));
	D->finalize(failing);
	D->rollback(db);

	/* a page of at most 1,000 rows comes whole: its rows, their NULLs and blobs read by row, the
	 * connection free for other statements in the middle of it; an error comes before any row */
	cf_stmt *page =
		prep_ok(db, "SELECT g, CASE WHEN g % 7 = 0 THEN NULL ELSE decode(lpad(to_hex(g), 4, '0'), 'hex')"
			    " END FROM generate_series(1, 5000) g ORDER BY g LIMIT $1 OFFSET $2");
	D->bind_int(page, 1, 50);
	D->bind_int(page, 2, 100);
	n = 100;
	while ((r = D->step(page, &e)) == 1) {
		size_t len = 0;
		const unsigned char *b = D->col_blob(page, 1, &len);
		assert_int_equal(D->col_int(page, 0), ++n);
		if (n % 7 == 0)
			assert_null(b);
		else {
			assert_int_equal(len, 2);
			assert_int_equal(b[0] << 8 | b[1], n);
		}
		if (n == 120) {
			exec_ok(db, "SELECT 1");
			assert_int_equal(D->col_int(page, 0), 120);
		}
	}
	assert_int_equal(r, 0);
	assert_int_equal(n, 150);
	D->reset(page);
	D->bind_int(page, 1, 50);
	D->bind_int(page, 2, 5000);
	assert_int_equal(D->step(page, &e), 0);
	D->finalize(page);
	/* the limit written as a parameter or as a sub-select of one (which the server plans once) */
	static const char *const limited[] = {"SELECT 1 / ($1 - g) FROM generate_series(1, $1) g LIMIT $2",
					      "SELECT 1 / ($1 - g) FROM generate_series(1, $1) g LIMIT (SELECT $2)"};
	for (size_t i = 0; i < sizeof(limited) / sizeof(limited[0]); i++) {
		cf_stmt *small = prep_ok(db, limited[i]);
		for (int64_t limit = 50; limit <= 2000; limit += 1950) {
			D->reset(small);
			D->bind_int(small, 1, 40);
			D->bind_int(small, 2, limit);
			n = 0;
			while ((r = D->step(small, &e)) == 1)
				n++;
			assert_int_equal(r, -1);
			assert_int_equal(n, limit == 50 ? 0 : 39); /* whole, or streamed up to the error */
		}
		D->finalize(small);
	}

	/* finalized statements leave the server (outside transactions) */
	for (int i = 0; i < 5; i++) {
		cf_stmt *s = prep_ok(db, "SELECT 1");
		assert_int_equal(D->step(s, &e), 1);
		D->finalize(s);
	}
	exec_ok(db, "SELECT 1");
	assert_int_equal(query_int(db, "SELECT count(*) FROM pg_prepared_statements"), 1); /* this query */
	D->close(db);
}

/* After a bulk load the driver leaves the table vacuumed and analyzed (statistics, rows visible to
 * all), so autovacuum does not come to do it beside the first reads. */
static void test_bulk_load_vacuumed(void **state)
{
	(void)state;
	cf_db *db = open_ok();
	exec_ok(db, "DROP TABLE IF EXISTS bulk");
	exec_ok(db, "CREATE TABLE bulk (id BIGINT PRIMARY KEY, v TEXT NOT NULL)");
	exec_ok(db, "INSERT INTO bulk SELECT g, repeat('x', 50) FROM generate_series(1, 5000) g");
	assert_int_equal(query_int(db, "SELECT count(*) FROM pg_stat_user_tables WHERE relname = 'bulk' AND"
				       " last_vacuum IS NULL AND last_analyze IS NULL"),
			 1);
	D->analyze(db, "bulk");
	assert_int_equal(query_int(db, "SELECT count(*) FROM pg_stat_user_tables WHERE relname = 'bulk' AND"
				       " last_vacuum IS NOT NULL AND last_analyze IS NOT NULL"),
			 1);
	exec_ok(db, "DROP TABLE bulk");
	D->close(db);
}

/* Ends db's server process from other (as a server restart or an idle-connection cut would). */
static void terminate(cf_db *db, cf_db *other)
{
	char sql[128];
	snprintf(sql, sizeof(sql), "SELECT pg_terminate_backend(%lld, 20000)",
		 (long long)query_int(db, "SELECT pg_backend_pid()"));
	assert_int_equal(query_int(other, sql), 1);
}

/* A connection lost outside a transaction is made again at the next begin or step (statements
 * prepared before are prepared anew, the change feed listens again); inside a transaction the loss
 * is CF_E_REMOTE until the rollback, and nothing of the transaction is kept. */
static void test_connection_lost(void **state)
{
	(void)state;
	cf_db *a = open_ok(), *b = open_ok();
	cf_err e = {0};
	create_table(a, "lost", "v BIGINT NOT NULL");
	cf_stmt *sel = prep_ok(a, "SELECT $1::bigint + 1");
	cf_stmt *ins = prep_ok(a, "INSERT INTO lost (v) VALUES ($1)");
	D->bind_int(sel, 1, 1);
	assert_int_equal(D->step(sel, &e), 1);
	D->reset(sel);
	int64_t pid = query_int(a, "SELECT pg_backend_pid()");

	/* at begin: the new connection, with the statement prepared on the old one run again */
	int64_t seq = D->change_seq(a);
	terminate(a, b);
	assert_int_equal(D->begin(a, CF_TX_WRITE, &e), CF_OK);
	assert_int_equal(D->err_class(a), CF_DB_OK);
	assert_true(query_int(a, "SELECT pg_backend_pid()") != pid);
	D->bind_int(sel, 1, 41);
	assert_int_equal(D->step(sel, &e), 1);
	assert_int_equal(D->col_int(sel, 0), 42);
	D->reset(sel);
	D->bind_int(ins, 1, 1);
	assert_int_equal(D->step(ins, &e), 0);
	D->reset(ins);
	assert_int_equal(D->commit(a, &e), CF_OK);
	assert_int_equal(query_int(b, "SELECT count(*) FROM lost"), 1);
	/* commits it may have missed while away move its change feed; it hears the others again */
	int64_t after = D->change_seq(a);
	assert_true(after >= seq + 2);
	assert_int_equal(D->begin(b, CF_TX_WRITE, &e), CF_OK);
	exec_ok(b, "INSERT INTO lost (v) VALUES (2)");
	assert_int_equal(D->commit(b, &e), CF_OK);
	assert_int_equal(seq_after(a, after), after + 1);

	/* at a query outside a transaction: run again on the new connection */
	terminate(a, b);
	D->bind_int(sel, 1, 1);
	assert_int_equal(D->step(sel, &e), 1);
	assert_int_equal(D->col_int(sel, 0), 2);
	D->reset(sel);

	/* inside a transaction: the transaction is gone, every statement of it fails until the
	 * rollback, and nothing of it is kept */
	assert_int_equal(D->begin(a, CF_TX_WRITE, &e), CF_OK);
	D->bind_int(ins, 1, 3);
	assert_int_equal(D->step(ins, &e), 0);
	D->reset(ins);
	terminate(a, b);
	D->bind_int(sel, 1, 1);
	assert_int_equal(D->step(sel, &e), -1);
	assert_int_equal(e.code, CF_E_REMOTE);
	assert_int_equal(D->err_class(a), CF_DB_CONNECTION);
	assert_string_equal(e.subject, url);
	assert_non_null(strstr(e.message, "lost the connection to the database server"));
	assert_non_null(e.reason);
	assert_string_equal(e.reason, CF_REASON_STORE_DOWN); /* the API's 503 */
	D->reset(sel);
	D->bind_int(ins, 1, 4);
	assert_int_equal(D->step(ins, &e), -1);
	assert_int_equal(e.code, CF_E_REMOTE);
	D->reset(ins);
	assert_int_equal(D->exec(a, "SELECT 1", &e), CF_E_REMOTE);
	assert_int_equal(D->commit(a, &e), CF_E_REMOTE);
	D->rollback(a);
	assert_int_equal(query_int(b, "SELECT count(*) FROM lost WHERE v >= 3"), 0);
	assert_int_equal(D->begin(a, CF_TX_WRITE, &e), CF_OK);
	assert_int_equal(query_int(a, "SELECT count(*) FROM lost"), 2);
	D->rollback(a);

	/* a write outside a transaction that finds the loss may have run: not run again, the next
	 * statement reconnects */
	terminate(a, b);
	D->bind_int(ins, 1, 5);
	int r = D->step(ins, &e);
	D->reset(ins);
	if (r == -1)
		assert_int_equal(e.code, CF_E_REMOTE);
	assert_int_equal(query_int(a, "SELECT count(*) FROM lost WHERE v = 5"), r == -1 ? 0 : 1);

	/* the server refuses the new connection: CF_E_REMOTE, and the next begin tries again (the
	 * database's owner turns connections off from another database) */
	char other_url[300];
	cf_db *c = NULL;
	snprintf(other_url, sizeof(other_url), "%.*s/certfleet", (int)(strrchr(url, '/') - url), url);
	assert_int_equal(D->open(other_url, false, &c, &e), CF_OK);
	exec_ok(c, "ALTER DATABASE unit_db_pg ALLOW_CONNECTIONS false");
	terminate(a, b);
	assert_int_equal(D->begin(a, CF_TX_WRITE, &e), CF_E_REMOTE);
	assert_int_equal(D->err_class(a), CF_DB_CONNECTION);
	assert_string_equal(e.subject, url);
	assert_null(strchr(e.message, '\n'));
	assert_int_equal(D->change_seq(a), -1);
	D->rollback(a);
	assert_int_equal(D->exec(a, "SELECT 1", &e), CF_E_REMOTE);
	exec_ok(c, "ALTER DATABASE unit_db_pg ALLOW_CONNECTIONS true");
	D->close(c);
	assert_int_equal(D->begin(a, CF_TX_READ, &e), CF_OK);
	assert_int_equal(query_int(a, "SELECT count(*) FROM lost WHERE v < 3"), 2);
	assert_int_equal(D->commit(a, &e), CF_OK);
	assert_true(D->change_seq(a) >= 0);

	D->finalize(sel);
	D->finalize(ins);
	D->close(a);
	D->close(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_claims),
		cmocka_unit_test(test_open_errors),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_changes_and_binds),
		cmocka_unit_test(test_constraint),
		cmocka_unit_test(test_not_utf8),
		cmocka_unit_test(test_transactions),
		cmocka_unit_test(test_collisions),
		cmocka_unit_test(test_change_feed),
		cmocka_unit_test(test_streaming),
		cmocka_unit_test(test_bulk_load_vacuumed),
		cmocka_unit_test(test_connection_lost),
	};
	return cmocka_run_group_tests(tests, group_setup, NULL);
}
