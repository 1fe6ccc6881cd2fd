/* SQLite driver for the store: WAL journal, full sync, busy waiting, file mode 0600. */
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/db.h"

struct cf_db {
	sqlite3 *h;
	char *path;
	sqlite3_stmt *touch; /* a read of the file's header: refreshes the data version (s_data_version) */
};

#define MAX_PARAMS 64

struct cf_stmt {
	sqlite3_stmt *s;
	cf_db *db;
	int index[MAX_PARAMS + 1]; /* SQLite's index of $n, worked out once at prepare */
};

static cf_code sql_err(cf_db *db, cf_err *e, const char *what)
{
	int code = sqlite3_extended_errcode(db->h);
	cf_code c = (code & 0xff) == SQLITE_CONSTRAINT ? CF_E_STATE : CF_E_INTERNAL;
	return cf_err_set(e, c, db->path, "%s: %s", what, sqlite3_errmsg(db->h));
}

static cf_code s_open(const char *path, bool create, cf_db **out, cf_err *e)
{
	struct stat st;
	if (stat(path, &st) != 0) {
		if (!create)
			return cf_err_set(e, CF_E_NOTFOUND, path, "no store here; run 'certfleet init' first");
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
	if (sqlite3_exec(db->h, sql, NULL, NULL, &msg) != SQLITE_OK) {
		cf_code c = cf_err_set(e, CF_E_INTERNAL, db->path, "database error: %s", msg ? msg : "unknown");
		sqlite3_free(msg);
		return c;
	}
	return CF_OK;
}

static cf_code s_prepare(cf_db *db, const char *sql, cf_stmt **out, cf_err *e)
{
	cf_stmt *st = calloc(1, sizeof(*st));
	if (st == NULL)
		return cf_err_set(e, CF_E_INTERNAL, db->path, "out of memory");
	if (sqlite3_prepare_v2(db->h, sql, -1, &st->s, NULL) != SQLITE_OK) {
		free(st);
		return sql_err(db, e, "cannot prepare a query");
	}
	st->db = db;
	for (int i = 1; i <= MAX_PARAMS; i++) {
		char name[16];
		snprintf(name, sizeof(name), "$%d", i);
		st->index[i] = sqlite3_bind_parameter_index(st->s, name);
	}
	*out = st;
	return CF_OK;
}

static int param(cf_stmt *st, int idx)
{
	return idx >= 1 && idx <= MAX_PARAMS ? st->index[idx] : 0;
}

static cf_code s_bind_int(cf_stmt *st, int idx, int64_t v)
{
	return sqlite3_bind_int64(st->s, param(st, idx), v) == SQLITE_OK ? CF_OK : CF_E_INTERNAL;
}

static cf_code s_bind_text(cf_stmt *st, int idx, const char *v)
{
	int i = param(st, idx);
	int r = v ? sqlite3_bind_text(st->s, i, v, -1, SQLITE_TRANSIENT) : sqlite3_bind_null(st->s, i);
	return r == SQLITE_OK ? CF_OK : CF_E_INTERNAL;
}

static cf_code s_bind_blob(cf_stmt *st, int idx, const void *v, size_t len)
{
	return sqlite3_bind_blob64(st->s, param(st, idx), v, len, SQLITE_TRANSIENT) == SQLITE_OK ? CF_OK
												 : CF_E_INTERNAL;
}

static int s_step(cf_stmt *st, cf_err *e)
{
	int r = sqlite3_step(st->s);
	if (r == SQLITE_ROW)
		return 1;
	if (r == SQLITE_DONE)
		return 0;
	sql_err(st->db, e, "query failed");
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
}

static void s_finalize(cf_stmt *st)
{
	if (st == NULL)
		return;
	sqlite3_finalize(st->s);
	free(st);
}

static int64_t s_changes(cf_db *db)
{
	return sqlite3_changes64(db->h);
}

static int64_t s_data_version(cf_db *db)
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
	.id_type = "INTEGER PRIMARY KEY",
	.blob_type = "BLOB",
	.open = s_open,
	.close = s_close,
	.exec = s_exec,
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
	.data_version = s_data_version,
};
