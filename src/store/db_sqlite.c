/* SQLite driver for the store: WAL journal, full sync, busy waiting (10 s, then the change is
 * "busy, try again"), file mode 0600. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/db.h"
#include "util/text.h"

struct cf_db {
	sqlite3 *h;
	char *path;
	sqlite3_stmt *touch; /* a read of the file's header: refreshes the data version (s_change_seq) */
	cf_db_class last_class;
};

struct cf_stmt {
	sqlite3_stmt *s;
	cf_db *db;
	int *index;	 /* SQLite's index of $n (index[n]), worked out once at prepare */
	int n_index;	 /* the highest n */
	int bind_failed; /* the first failed bind's $n (0: none; -1: $0), reported by the next step */
	bool not_utf8;	 /* a text bound is not UTF-8: refused by the next step, as on PostgreSQL */
	bool running;	 /* stepped since the last reset */
	int64_t total0;	 /* the connection's total changes when this run began */
	int64_t changes; /* rows the last run changed */
};

/* The class of an SQLite result code: what the store's write helper decides on. */
static cf_db_class class_of(int code)
{
	switch (code & 0xff) {
	case SQLITE_CONSTRAINT: return CF_DB_CONSTRAINT;
	case SQLITE_BUSY:
	case SQLITE_LOCKED: return CF_DB_RETRY;
	default: return CF_DB_FAILED;
	}
}

/* Sets e from the connection's last error (or from code when the connection has none). */
static cf_code sql_err(cf_db *db, int code, const char *msg, cf_err *e, const char *what)
{
	db->last_class = class_of(code);
	switch (db->last_class) {
	case CF_DB_CONSTRAINT: return cf_err_set(e, CF_E_STATE, db->path, "%s: %s", what, msg);
	case CF_DB_RETRY:
		cf_err_set(e, CF_E_STATE, db->path, "the store is busy with another change; try again");
		return cf_err_reason(e, CF_REASON_RETRY);
	default: return cf_err_set(e, CF_E_INTERNAL, db->path, "%s: %s", what, msg);
	}
}

/* Makes the directory the store's file goes in (one level, mode 0700) when it is missing. */
static cf_code make_parent(const char *path, cf_err *e)
{
	char *copy = strdup(path);
	if (copy == NULL)
		return cf_err_set(e, CF_E_INTERNAL, path, "out of memory");
	const char *dir = dirname(copy);
	struct stat st;
	cf_code rc = CF_OK;
	if (stat(dir, &st) != 0 && mkdir(dir, 0700) != 0 && errno != EEXIST)
		rc = cf_err_set(e, CF_E_INTERNAL, dir, "cannot create the store's directory: %s", strerror(errno));
	free(copy);
	return rc;
}

static cf_code s_open(const char *path, bool create, cf_db **out, cf_err *e)
{
	struct stat st;
	if (stat(path, &st) != 0) {
		if (!create)
			return cf_err_set(e, CF_E_NOTFOUND, path, "no store here; run 'certfleet init' first");
		cf_code made = make_parent(path, e);
		if (made != CF_OK)
			return made;
		/* Create the file 0600 before SQLite does, so keys are never readable by others;
		 * SQLite gives its journal and WAL files the same mode. */
		int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd < 0 && errno != EEXIST)
			return cf_err_set(e, CF_E_INTERNAL, path, "cannot create the store: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
	}
	cf_db *db = calloc(1, sizeof(*db));
	if (db == NULL || (db->path = strdup(path)) == NULL) {
		free(db);
		return cf_err_set(e, CF_E_INTERNAL, path, "out of memory");
	}
	if (sqlite3_open_v2(path, &db->h, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		cf_code c = cf_err_set(e, CF_E_INTERNAL, path, "cannot open the store: %s",
				       db->h ? sqlite3_errmsg(db->h) : "out of memory");
		sqlite3_close(db->h);
		free(db->path);
		free(db);
		return c;
	}
	sqlite3_busy_timeout(db->h, 10000);
	char *msg = NULL;
	if (sqlite3_exec(db->h, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;", NULL, NULL,
			 &msg) != SQLITE_OK) {
		cf_code c =
			cf_err_set(e, CF_E_INTERNAL, path, "not a certfleet store: %s", msg ? msg : "unknown error");
		sqlite3_free(msg);
		sqlite3_close(db->h);
		free(db->path);
		free(db);
		return c;
	}
	*out = db;
	return CF_OK;
}

static void s_close(cf_db *db)
{
	if (db == NULL)
		return;
	sqlite3_finalize(db->touch);
	sqlite3_close_v2(db->h);
	free(db->path);
	free(db);
}

static cf_code s_exec(cf_db *db, const char *sql, cf_err *e)
{
	char *msg = NULL;
	int r = sqlite3_exec(db->h, sql, NULL, NULL, &msg);
	if (r != SQLITE_OK) {
		cf_code c = sql_err(db, r, msg ? msg : "unknown", e, "database error");
		sqlite3_free(msg);
		return c;
	}
	return CF_OK;
}

static cf_code s_begin(cf_db *db, cf_tx_kind kind, cf_err *e)
{
	/* a writer takes the write lock at once: what it read stays true until it commits */
	db->last_class = CF_DB_OK;
	return s_exec(db, kind == CF_TX_WRITE ? "BEGIN IMMEDIATE" : "BEGIN", e);
}

static cf_code s_commit(cf_db *db, cf_err *e)
{
	return s_exec(db, "COMMIT", e);
}

static void s_rollback(cf_db *db)
{
	if (!sqlite3_get_autocommit(db->h))
		sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
}

/* The migration's BEGIN IMMEDIATE already takes the one write lock, and reads from there on
 * see every earlier commit. */
static cf_code s_lock_schema(cf_db *db, bool on, cf_err *e)
{
	(void)db;
	(void)on;
	(void)e;
	return CF_OK;
}

static void s_finalize_stmt(cf_stmt *st)
{
	if (st == NULL)
		return;
	sqlite3_finalize(st->s);
	free(st->index);
	free(st);
}

static cf_code s_prepare(cf_db *db, const char *sql, cf_stmt **out, cf_err *e)
{
	cf_stmt *st = calloc(1, sizeof(*st));
	if (st == NULL)
		return cf_err_set(e, CF_E_INTERNAL, db->path, "out of memory");
	int r = sqlite3_prepare_v2(db->h, sql, -1, &st->s, NULL);
	if (r != SQLITE_OK) {
		free(st);
		return sql_err(db, r, sqlite3_errmsg(db->h), e, "cannot prepare a query");
	}
	st->db = db;
	/* $n is a named parameter to SQLite: map each n to SQLite's index once */
	int count = sqlite3_bind_parameter_count(st->s);
	for (int i = 1; i <= count; i++) {
		const char *name = sqlite3_bind_parameter_name(st->s, i);
		int n = name != NULL && name[0] == '$' ? atoi(name + 1) : 0;
		if (n > st->n_index) {
			int *grown = realloc(st->index, (size_t)(n + 1) * sizeof(int));
			if (grown == NULL) {
				s_finalize_stmt(st);
				return cf_err_set(e, CF_E_INTERNAL, db->path, "out of memory");
			}
			memset(grown + st->n_index + 1, 0, (size_t)(n - st->n_index) * sizeof(int));
			st->index = grown;
			st->n_index = n;
		}
		if (n > 0)
			st->index[n] = i;
	}
	*out = st;
	return CF_OK;
}

/* SQLite's index of $idx; a failed bind (an unknown $n, or r not SQLITE_OK) is kept for step. */
static int param(cf_stmt *st, int idx)
{
	int i = idx >= 1 && idx <= st->n_index ? st->index[idx] : 0;
	if (i == 0 && st->bind_failed == 0)
		st->bind_failed = idx == 0 ? -1 : idx;
	return i;
}

static void bound(cf_stmt *st, int idx, int r)
{
	if (r != SQLITE_OK && st->bind_failed == 0)
		st->bind_failed = idx == 0 ? -1 : idx;
}

static void s_bind_int(cf_stmt *st, int idx, int64_t v)
{
	int i = param(st, idx);
	if (i > 0)
		bound(st, idx, sqlite3_bind_int64(st->s, i, v));
}

static void s_bind_text(cf_stmt *st, int idx, const char *v)
{
	int i = param(st, idx);
	if (v != NULL && !cf_text_utf8(v, strlen(v)))
		st->not_utf8 = true; /* SQLite would keep it, but JSON output could not show it */
	else if (i > 0)
		bound(st, idx, v ? sqlite3_bind_text(st->s, i, v, -1, SQLITE_TRANSIENT) : sqlite3_bind_null(st->s, i));
}

static void s_bind_blob(cf_stmt *st, int idx, const void *v, size_t len)
{
	int i = param(st, idx);
	if (i > 0)
		bound(st, idx, sqlite3_bind_blob64(st->s, i, v, len, SQLITE_TRANSIENT));
}

static int s_step(cf_stmt *st, cf_err *e)
{
	if (st->not_utf8) {
		st->db->last_class = CF_DB_FAILED;
		cf_db_not_utf8(e);
		return -1;
	}
	if (st->bind_failed != 0) {
		st->db->last_class = CF_DB_FAILED;
		cf_err_set(e, CF_E_INTERNAL, st->db->path, "cannot bind parameter $%d of a query",
			   st->bind_failed < 0 ? 0 : st->bind_failed);
		return -1;
	}
	if (!st->running) {
		st->running = true;
		st->total0 = sqlite3_total_changes64(st->db->h);
	}
	int r = sqlite3_step(st->s);
	if (r == SQLITE_ROW)
		return 1;
	if (r == SQLITE_DONE) {
		/* sqlite3_changes64 is the connection's last INSERT, UPDATE or DELETE: this statement's
		 * own only when it is one and something changed while it ran (after a query or a DDL
		 * statement it is still another statement's count) */
		bool changed = !sqlite3_stmt_readonly(st->s) && sqlite3_total_changes64(st->db->h) != st->total0;
		st->changes = changed ? sqlite3_changes64(st->db->h) : 0;
		return 0;
	}
	sql_err(st->db, r, sqlite3_errmsg(st->db->h), e, "query failed");
	return -1;
}

static int64_t s_col_int(cf_stmt *st, int col)
{
	return sqlite3_column_int64(st->s, col);
}

static const char *s_col_text(cf_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st->s, col);
	return t ? (const char *)t : "";
}

static const void *s_col_blob(cf_stmt *st, int col, size_t *len)
{
	const void *p = sqlite3_column_blob(st->s, col);
	*len = (size_t)sqlite3_column_bytes(st->s, col);
	return p;
}

static void s_reset(cf_stmt *st)
{
	sqlite3_reset(st->s);
	sqlite3_clear_bindings(st->s);
	st->bind_failed = 0;
	st->not_utf8 = false;
	st->running = false;
}

static void s_finalize(cf_stmt *st)
{
	s_finalize_stmt(st);
}

static int64_t s_changes(cf_stmt *st)
{
	return st->changes;
}

static cf_db_class s_err_class(cf_db *db)
{
	return db->last_class;
}

/* Whether target is a file path: everything that is not a URL. */
static bool s_claims(const char *target)
{
	return strstr(target, "://") == NULL;
}

static int64_t s_change_seq(cf_db *db)
{
	unsigned int v = 0;
	/* The pager learns of other processes' commits when a read transaction starts: outside a
	 * transaction, start (and end) one with the cheapest read there is first. */
	if (sqlite3_get_autocommit(db->h)) {
		if (db->touch == NULL &&
		    sqlite3_prepare_v2(db->h, "PRAGMA schema_version", -1, &db->touch, NULL) != SQLITE_OK)
			return -1;
		sqlite3_step(db->touch);
		sqlite3_reset(db->touch);
	}
	if (sqlite3_file_control(db->h, "main", SQLITE_FCNTL_DATA_VERSION, &v) != SQLITE_OK)
		return -1; /* never equal to a cached version: nothing is served from a cache */
	return v;
}

const cf_db_driver cf_db_sqlite = {
	.name = "sqlite",
	.claims = s_claims,
	.id_type = "INTEGER PRIMARY KEY",
	.blob_type = "BLOB",
	.text_type = " TEXT",
	.open = s_open,
	.close = s_close,
	.exec = s_exec,
	.begin = s_begin,
	.commit = s_commit,
	.rollback = s_rollback,
	.lock_schema = s_lock_schema,
	.prepare = s_prepare,
	.bind_int = s_bind_int,
	.bind_text = s_bind_text,
	.bind_blob = s_bind_blob,
	.step = s_step,
	.col_int = s_col_int,
	.col_text = s_col_text,
	.col_blob = s_col_blob,
	.reset = s_reset,
	.finalize = s_finalize,
	.changes = s_changes,
	.err_class = s_err_class,
	.change_seq = s_change_seq,
};
