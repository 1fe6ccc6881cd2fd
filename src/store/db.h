/* The database driver table behind the store: just enough of a SQL client for portable
 * SQL with $1..$n parameters. store.c holds every query; a backend (SQLite now, PostgreSQL
 * for cluster mode) implements only this table. */
#ifndef CF_DB_H
#define CF_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

typedef struct cf_db cf_db;
typedef struct cf_stmt cf_stmt;

typedef struct cf_db_driver {
	const char *name;
	/* Words substituted into schema text: @ID@ (auto-increment primary key), @BLOB@. */
	const char *id_type, *blob_type;
	cf_code (*open)(const char *target, bool create, cf_db **out, cf_err *e);
	void (*close)(cf_db *db);
	/* Runs parameterless SQL (may hold several statements). */
	cf_code (*exec)(cf_db *db, const char *sql, cf_err *e);
	cf_code (*prepare)(cf_db *db, const char *sql, cf_stmt **out, cf_err *e);
	/* Parameters are numbered from 1 as $1, $2, ... in the SQL. text/blob are copied. */
	cf_code (*bind_int)(cf_stmt *st, int idx, int64_t v);
	cf_code (*bind_text)(cf_stmt *st, int idx, const char *v); /* NULL binds SQL NULL */
	cf_code (*bind_blob)(cf_stmt *st, int idx, const void *v, size_t len);
	/* 1: a row is ready; 0: done; -1: error (in e). */
	int (*step)(cf_stmt *st, cf_err *e);
	/* Columns are numbered from 0; results are borrowed until the next step. */
	int64_t (*col_int)(cf_stmt *st, int col);
	const char *(*col_text)(cf_stmt *st, int col); /* "" for NULL */
	const void *(*col_blob)(cf_stmt *st, int col, size_t *len);
	/* Makes the statement ready to bind and run again. */
	void (*reset)(cf_stmt *st);
	void (*finalize)(cf_stmt *st);
	/* Number of rows the last INSERT/UPDATE/DELETE changed. */
	int64_t (*changes)(cf_db *db);
	/* A number that changes whenever any connection (this one included, other processes too)
	 * has committed a change to the database, up to date when it is asked: what cached results
	 * are checked against. */
	int64_t (*data_version)(cf_db *db);
} cf_db_driver;

extern const cf_db_driver cf_db_sqlite;

#endif
