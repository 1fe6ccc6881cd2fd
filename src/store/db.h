/* The database driver table behind the store: just enough of a SQL client for portable SQL with
 * $1..$n parameters. The aggregates' files (fleet.c, certs.c, ...) and schema.c hold every
 * query; an engine implements only this table (db_sqlite.c, db_pg.c). A third engine is one
 * more table and one more line in store.c's list of drivers. */
#ifndef CF_DB_H
#define CF_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

typedef struct cf_db cf_db;
typedef struct cf_stmt cf_stmt;

/* What kind of failure the last error of a connection was: what the store's write helper decides
 * on (a collision with another writer is run again; a lost connection is a remote failure). */
typedef enum cf_db_class {
	CF_DB_OK = 0,	  /* no error since the transaction began */
	CF_DB_FAILED,	  /* anything else: a bug, a full disk, a corrupt file */
	CF_DB_CONSTRAINT, /* a unique, foreign-key or check constraint refused the change */
	CF_DB_RETRY,	  /* the transaction collided with another: serialization, deadlock, busy */
	CF_DB_CONNECTION, /* the server went away or could not be reached */
} cf_db_class;

/* The error of a statement with a text parameter that is not UTF-8, which every driver refuses
 * before the engine sees it (PostgreSQL would abort the transaction; SQLite would keep bytes that
 * JSON cannot show). */
static inline cf_code cf_db_not_utf8(cf_err *e)
{
	return cf_err_set(e, CF_E_INPUT, "input",
			  "text that is not UTF-8 (a name or description written in another encoding); the store keeps "
			  "only UTF-8 text");
}

/* A transaction that only reads, or one that writes (takes the write lock at once on SQLite,
 * serializable on PostgreSQL). */
typedef enum cf_tx_kind { CF_TX_READ, CF_TX_WRITE } cf_tx_kind;

typedef struct cf_db_driver {
	const char *name;
	/* Whether target is this engine's (a URL scheme, or a file path for SQLite). */
	bool (*claims)(const char *target);
	/* Words substituted into schema text: @ID@ (auto-increment 64-bit primary key), @BLOB@, and
	 * the type of text columns (" TEXT" in the schema), which sorts by bytes on every engine. */
	const char *id_type, *blob_type, *text_type;
	/* Opens a connection; create: make the store when absent (SQLite: the file, mode 0600). An
	 * unreachable or refusing server is CF_E_REMOTE. */
	cf_code (*open)(const char *target, bool create, cf_db **out, cf_err *e);
	void (*close)(cf_db *db);
	/* Runs parameterless SQL (may hold several statements); errors as step's. */
	cf_code (*exec)(cf_db *db, const char *sql, cf_err *e);
	/* Transactions. commit of a write transaction also tells other connections that the store
	 * changed (the change feed). rollback is safe without an open transaction. */
	cf_code (*begin)(cf_db *db, cf_tx_kind kind, cf_err *e);
	cf_code (*commit)(cf_db *db, cf_err *e);
	void (*rollback)(cf_db *db);
	/* Outside a transaction: takes (on) or gives back (off) the lock schema migrations run under;
	 * other processes opening the same store wait for it. Taken before the migration's
	 * transaction begins, so that transaction sees what an earlier holder committed. */
	cf_code (*lock_schema)(cf_db *db, bool on, cf_err *e);
	/* Outside a transaction, after one that inserted many rows into table: brings what the engine
	 * plans queries with up to date (PostgreSQL: VACUUM (ANALYZE)). NULL when the engine needs nothing. A
	 * failure is ignored: the change is committed. */
	void (*analyze)(cf_db *db, const char *table);
	cf_code (*prepare)(cf_db *db, const char *sql, cf_stmt **out, cf_err *e);
	/* Parameters are numbered from 1 as $1, $2, ... in the SQL; text and blobs are copied. A bind
	 * that fails (an unknown $n, no memory) is kept and makes the next step fail with it. */
	void (*bind_int)(cf_stmt *st, int idx, int64_t v);
	void (*bind_text)(cf_stmt *st, int idx, const char *v); /* NULL binds SQL NULL */
	void (*bind_blob)(cf_stmt *st, int idx, const void *v, size_t len);
	/* 1: a row is ready; 0: done; -1: error, in e with its code by class (constraint and retry:
	 * CF_E_STATE, the latter with reason CF_REASON_RETRY; connection: CF_E_REMOTE; else
	 * CF_E_INTERNAL), and its class in err_class. */
	int (*step)(cf_stmt *st, cf_err *e);
	/* Columns are numbered from 0; results are borrowed until the next step. */
	int64_t (*col_int)(cf_stmt *st, int col);
	const char *(*col_text)(cf_stmt *st, int col); /* "" for NULL */
	const void *(*col_blob)(cf_stmt *st, int col, size_t *len);
	/* Number of rows the statement's last run inserted, updated or deleted. */
	int64_t (*changes)(cf_stmt *st);
	/* Makes the statement ready to bind and run again. */
	void (*reset)(cf_stmt *st);
	void (*finalize)(cf_stmt *st);
	/* The class of the connection's last error since begin (CF_DB_OK: none). */
	cf_db_class (*err_class)(cf_db *db);
	/* The change feed: a number that moves whenever any connection (this one included, other
	 * processes too) has committed a change, up to date when it is asked (-1 when it cannot be
	 * told): what cached results are checked against. */
	int64_t (*change_seq)(cf_db *db);
} cf_db_driver;

extern const cf_db_driver cf_db_sqlite;
extern const cf_db_driver cf_db_pg;

#endif
