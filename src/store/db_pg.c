/* PostgreSQL driver for the store (libpq): a URL target, named prepared statements per
 * connection, rows streamed one at a time, serializable write transactions, and the change feed
 * over LISTEN/NOTIFY. A connection found lost outside a transaction is made again (a server
 * restart does not end a long-lived process's store); inside one, the transaction is gone. Errors
 * name the target without its password. */
#include <ctype.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "store/db.h"
#include "util/clock.h"
#include "util/text.h"

/* the channel every write transaction's commit notifies (the change feed) */
#define CHANNEL "certfleet_changes"
/* the advisory lock schema migrations run under: "certflt1" in ASCII, as a 64-bit number */
#define SCHEMA_LOCK "7162256626662798385"
/* a connect that took SLOW_CONNECT_MS to fail is not tried again for RECONNECT_PAUSE_MS */
#define SLOW_CONNECT_MS 1000
#define RECONNECT_PAUSE_MS 3000

/* Until when no connection of this process tries the server (monotonic ms; 0: none): after a
 * connect that failed slowly (a server that does not answer costs up to connect_timeout per try),
 * connections opened or made again fail at once for a few seconds. Process-wide, as certfleetd's
 * loop, runner and workers each have a connection and would otherwise wait in turn. A process
 * uses one store, so one server. */
static _Atomic int64_t server_down_until;

/* Records how a connect that began at t0 ended. */
static void note_connect(int64_t t0, bool ok)
{
	int64_t t1 = cf_clock_mono_ms();
	if (ok)
		server_down_until = 0;
	else if (t1 - t0 >= SLOW_CONNECT_MS)
		server_down_until = t1 + RECONNECT_PAUSE_MS;
}

static bool server_paused(void)
{
	return cf_clock_mono_ms() < server_down_until;
}

#define PAUSED_MESSAGE "the server did not answer; tried again in a few seconds"

/* type OIDs (pg_type.h is server-side) */
#define BOOLOID 16
#define BYTEAOID 17
#define INT8OID 20

struct cf_db {
	PGconn *conn;
	char *target;	  /* the URL without its password: what errors name */
	cf_db_class last; /* the class of the last error */
	/* the open transaction's first error from the server: PostgreSQL refuses every later
	 * statement of that transaction ("current transaction is aborted"), and those refusals are
	 * reported as this error, so its class (a collision, a constraint) is what callers see */
	bool has_first;
	cf_db_class first_class;
	cf_err first;
	unsigned next_name; /* statements are stmt_1, stmt_2, ... */
	cf_stmt *busy;	    /* the statement whose rows are still coming from the server */
	bool in_tx;	    /* a transaction is open: begun, not yet committed or rolled back */
	bool write_tx;	    /* a write transaction is open */
	bool tx_changed;    /* ... and has changed something: its commit notifies */
	bool own_lock;	    /* the session sets lock_timeout (the URL's options do not) */
	bool own_statement; /* the session sets statement_timeout */
	unsigned gen;	    /* the connection's generation: moves at each reconnect */
	int64_t seq;	    /* the change feed: commits seen, other connections' and this one's */
	char *garbage;	    /* DEALLOCATE commands of finalized statements, run when idle */
	size_t garbage_len;
};

/* A parameter's value as sent: text for ints and text, binary for blobs. */
struct param {
	char *val; /* NULL: SQL NULL; num or a copy */
	int len, format;
	Oid type; /* the type the statement is prepared with: int8, bytea, or 0 (inferred) */
	char num[24];
};

/* A decoded bytea column of the current row. */
struct blobbuf {
	unsigned char *p;
	size_t cap;
};

enum stmt_state {
	ST_IDLE,     /* bound, not run */
	ST_STREAM,   /* running: rows come from the server one at a time, or a small page whole */
	ST_BUFFERED, /* running: the rest of the rows were read ahead (another statement ran) */
	ST_HELD,     /* running: a bounded page, its rows received whole in one result */
	ST_DONE,
};

struct cf_stmt {
	cf_db *db;
	char *sql;
	char name[24];
	bool prepared; /* on the server, by the connection of generation gen */
	unsigned gen;
	int nparams;
	struct param *params;
	const char **values;
	int *lengths, *formats;
	/* the first failed bind, returned by the next step */
	int bad_param;
	bool bind_oom, not_utf8;
	int limit_param; /* the n of "LIMIT $n" in the query, 0 when it has none */
	enum stmt_state state;
	PGresult *row; /* the current row: a one-row result, or row row_i of a held page */
	int row_i;
	/* ST_BUFFERED: the rows read ahead and how the run ended (end_err: the error it ended with) */
	PGresult **ahead;
	size_t ahead_n, ahead_i, ahead_cap;
	PGresult *end_err;
	bool end_oom;
	int64_t changes;
	struct blobbuf *blobs;
	int nblobs;
};

/* ---- errors --------------------------------------------------------------------------------- */

/* The first line of s into buf. */
static const char *first_line(const char *s, char *buf, size_t size)
{
	if (s == NULL || *s == '\0')
		s = "unknown error";
	size_t n = strcspn(s, "\r\n");
	snprintf(buf, size, "%.*s", (int)(n < size ? n : size - 1), s);
	return buf;
}

static cf_db_class classify(cf_db *db, const char *sqlstate)
{
	if (PQstatus(db->conn) == CONNECTION_BAD)
		return CF_DB_CONNECTION;
	if (sqlstate == NULL)
		return CF_DB_FAILED;
	if (strncmp(sqlstate, "23", 2) == 0)
		return CF_DB_CONSTRAINT;
	if (strcmp(sqlstate, "40001") == 0 || strcmp(sqlstate, "40P01") == 0 || strcmp(sqlstate, "55P03") == 0 ||
	    strcmp(sqlstate, "57014") == 0)
		return CF_DB_RETRY;
	if (strncmp(sqlstate, "08", 2) == 0 || strcmp(sqlstate, "57P01") == 0 || strcmp(sqlstate, "57P02") == 0 ||
	    strcmp(sqlstate, "57P03") == 0)
		return CF_DB_CONNECTION;
	return CF_DB_FAILED;
}

/* Records an error of class cls with message "what: detail" (detail's first line); returns the
 * code db.h gives the class. */
static cf_code fail(cf_db *db, cf_db_class cls, cf_err *e, const char *what, const char *detail)
{
	char line[512];
	cf_code code = cls == CF_DB_CONSTRAINT || cls == CF_DB_RETRY ? CF_E_STATE
		       : cls == CF_DB_CONNECTION		     ? CF_E_REMOTE
								     : CF_E_INTERNAL;
	db->last = cls;
	if (cls == CF_DB_CONNECTION)
		what = "lost the connection to the database server";
	cf_err_set(e, code, db->target, "%s: %s", what, first_line(detail, line, sizeof(line)));
	if (cls == CF_DB_RETRY)
		cf_err_reason(e, CF_REASON_RETRY);
	if (cls == CF_DB_CONNECTION)
		cf_err_reason(e, CF_REASON_STORE_DOWN);
	return code;
}

/* The transaction's first error again (for a statement refused because of it). */
static cf_code repeat_first(cf_db *db, cf_err *e)
{
	db->last = db->first_class;
	if (e != NULL)
		*e = db->first;
	return db->first.code;
}

/* The error of a failed result r (NULL: the connection's own error). */
static cf_code fail_result(cf_db *db, const PGresult *r, cf_err *e, const char *what)
{
	const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	if (state != NULL && strcmp(state, "25P02") == 0 && db->has_first)
		return repeat_first(db, e);
	if (msg == NULL)
		msg = r && *PQresultErrorMessage(r) ? PQresultErrorMessage(r) : PQerrorMessage(db->conn);
	cf_err err = {0};
	cf_db_class cls = classify(db, state);
	cf_code code = fail(db, cls, &err, what, msg);
	/* an error from the server (or the server gone) ends the transaction's use */
	if (db->in_tx && !db->has_first && (state != NULL || cls == CF_DB_CONNECTION)) {
		db->has_first = true;
		db->first_class = cls;
		db->first = err;
	}
	if (e != NULL)
		*e = err;
	return code;
}

/* ---- the connection ------------------------------------------------------------------------- */

/* Whether the percent-encoded parameter name [p, end) names a secret: password, sslpassword or
 * any other name ending in "password" (a name too long to decode here counts as one). */
static bool names_password(const char *p, const char *end)
{
	char name[64];
	size_t n = 0;
	while (p < end) {
		int c = (unsigned char)*p++;
		if (c == '%' && end - p >= 2 && isxdigit((unsigned char)p[0]) && isxdigit((unsigned char)p[1])) {
			char hex[3] = {p[0], p[1], '\0'};
			c = (int)strtol(hex, NULL, 16);
			p += 2;
		}
		if (n == sizeof(name) - 1)
			return true;
		name[n++] = (char)c;
	}
	name[n] = '\0';
	return n >= 8 && strcasecmp(name + n - 8, "password") == 0;
}

/* A copy of url without a password: one after the user name ("user:secret@host", found as libpq
 * finds it) or in a password= (sslpassword=, ...) parameter. What errors name. NULL when out of memory. */
static char *without_password(const char *url)
{
	char *out = malloc(strlen(url) + 1), *o = out;
	if (out == NULL)
		return NULL;
	const char *p = url, *auth = strstr(url, "://");
	if (auth != NULL) {
		auth += 3;
		const char *at = auth + strcspn(auth, "@/");
		const char *colon = memchr(auth, ':', (size_t)(at - auth));
		if (*at == '@' && colon != NULL) {
			memcpy(o, url, (size_t)(colon - url));
			o += colon - url;
			p = at;
		}
	}
	const char *query = strchr(p, '?');
	size_t head = query ? (size_t)(query - p) : strlen(p);
	memcpy(o, p, head);
	o += head;
	if (query != NULL) {
		char sep = '?';
		for (const char *q = query + 1; *q != '\0';) {
			size_t len = strcspn(q, "&");
			const char *eq = memchr(q, '=', len);
			if (!names_password(q, eq ? eq : q + len)) {
				*o++ = sep;
				memcpy(o, q, len);
				o += len;
				sep = '&';
			}
			q += len + (q[len] == '&');
		}
	}
	*o = '\0';
	return out;
}

static void quiet(void *arg, const char *message)
{
	(void)arg, (void)message; /* notices (CREATE ... IF NOT EXISTS skipping, ...) are not for the user */
}

static bool p_claims(const char *target)
{
	return strncmp(target, "postgresql://", 13) == 0 || strncmp(target, "postgres://", 11) == 0;
}

/* The URL's own value of keyword (parsed with PQconninfoParse), or NULL. */
static const char *url_option(PQconninfoOption *opts, const char *keyword)
{
	for (PQconninfoOption *o = opts; o != NULL && o->keyword != NULL; o++)
		if (strcmp(o->keyword, keyword) == 0)
			return o->val;
	return NULL;
}

static void p_close(cf_db *db)
{
	if (db == NULL)
		return;
	PQfinish(db->conn);
	free(db->target);
	free(db->garbage);
	free(db);
}

/* Runs the SETs and the LISTEN every connection starts with (at open and at each reconnect):
 * byte-exact text and timeouts a command line can wait for (lock_timeout as SQLite's busy
 * timeout), unless the URL's options set them. Plans are PostgreSQL's own choice: some queries
 * still hold "$1 = '' OR ..." conditions, for which a plan made for any values reads whole tables
 * (importing 100,000 trust certificates: 8.1 s so, 7.2 s with generic plans, 16.4 s with a plan at
 * every run; bench/README.md). */
static cf_code session_setup(cf_db *db, cf_err *e)
{
	char sql[512];
	snprintf(sql, sizeof(sql),
		 "SET standard_conforming_strings = on; SET bytea_output = 'hex'; SET client_min_messages = warning;"
		 "%s%s LISTEN " CHANNEL,
		 db->own_lock ? " SET lock_timeout = '10s';" : "",
		 db->own_statement ? " SET statement_timeout = '300s';" : "");
	PGresult *r = PQexec(db->conn, sql);
	cf_code rc = PQresultStatus(r) == PGRES_COMMAND_OK ? CF_OK : fail_result(db, r, e, "cannot set up the session");
	PQclear(r);
	return rc;
}

static cf_code p_open(const char *target, bool create, cf_db **out, cf_err *e)
{
	(void)create; /* the database is the administrator's to create */
	char *parse_err = NULL, line[512];
	cf_db *db = calloc(1, sizeof(*db));
	if (db == NULL || (db->target = without_password(target)) == NULL) {
		free(db);
		return cf_err_set(e, CF_E_INTERNAL, "store", "out of memory");
	}
	PQconninfoOption *opts = PQconninfoParse(target, &parse_err);
	if (opts == NULL) {
		/* libpq's reason may quote the URL, password and all */
		cf_err_set(e, CF_E_USAGE, db->target, "not a valid PostgreSQL URL%s",
			   parse_err ? "" : " (out of memory)");
		PQfreemem(parse_err);
		p_close(db);
		return CF_E_USAGE;
	}
	/* defaults first, then the URL (expanded from dbname: its parameters win over the defaults),
	 * then what the driver needs whatever the URL says */
	const char *keys[] = {"connect_timeout",
			      "keepalives",
			      "keepalives_idle",
			      "keepalives_interval",
			      "keepalives_count",
			      "dbname",
			      "client_encoding",
			      "fallback_application_name",
			      NULL};
	const char *vals[] = {"10", "1", "60", "10", "6", target, "UTF8", "certfleet", NULL};
	if (server_paused()) {
		PQconninfoFree(opts);
		cf_err_set(e, CF_E_REMOTE, db->target, "cannot connect to the database server: %s", PAUSED_MESSAGE);
		cf_err_reason(e, CF_REASON_STORE_DOWN);
		p_close(db);
		return CF_E_REMOTE;
	}
	int64_t t0 = cf_clock_mono_ms();
	db->conn = PQconnectdbParams(keys, vals, 1);
	note_connect(t0, db->conn != NULL && PQstatus(db->conn) == CONNECTION_OK);
	cf_code rc = CF_OK;
	if (db->conn == NULL) {
		rc = cf_err_set(e, CF_E_INTERNAL, db->target, "out of memory");
	} else if (PQstatus(db->conn) != CONNECTION_OK) {
		const char *msg = PQerrorMessage(db->conn);
		if (strstr(msg, "database \"") != NULL && strstr(msg, "does not exist") != NULL)
			rc = cf_err_set(e, CF_E_REMOTE, db->target,
					"database \"%s\" does not exist; create it first (certfleet does not create "
					"PostgreSQL databases)",
					PQdb(db->conn));
		else {
			rc = cf_err_set(e, CF_E_REMOTE, db->target, "cannot connect to the database server: %s",
					first_line(msg, line, sizeof(line)));
			cf_err_reason(e, CF_REASON_STORE_DOWN);
		}
	} else if (PQserverVersion(db->conn) < 100000) {
		rc = cf_err_set(e, CF_E_REMOTE, db->target, "PostgreSQL %d is too old; certfleet needs 10 or later",
				PQserverVersion(db->conn) / 10000);
	} else {
		const char *enc = PQparameterStatus(db->conn, "server_encoding");
		if (enc == NULL || strcmp(enc, "UTF8") != 0)
			rc = cf_err_set(e, CF_E_REMOTE, db->target,
					"database \"%s\" has encoding %s; certfleet needs a UTF8 database",
					PQdb(db->conn), enc ? enc : "unknown");
	}
	if (rc == CF_OK) {
		const char *options = url_option(opts, "options");
		db->own_lock = options == NULL || strstr(options, "lock_timeout") == NULL;
		db->own_statement = options == NULL || strstr(options, "statement_timeout") == NULL;
		PQsetNoticeProcessor(db->conn, quiet, NULL);
		rc = session_setup(db, e);
	}
	PQconninfoFree(opts);
	if (rc != CF_OK) {
		p_close(db);
		return rc;
	}
	*out = db;
	return CF_OK;
}

/* ---- statements: results -------------------------------------------------------------------- */

static void clear_row(cf_stmt *st)
{
	PQclear(st->row);
	st->row = NULL;
	st->row_i = 0;
}

/* The rows affected by a finished command (0 for a query). */
static int64_t affected(const PGresult *r)
{
	if (strncmp(PQcmdStatus((PGresult *)r), "SELECT", 6) == 0)
		return 0;
	return strtoll(PQcmdTuples((PGresult *)r), NULL, 10);
}

/* Notes a finished command of a write transaction that changed rows, or may have changed
 * something without counting rows (DDL): the commit tells the change feed. A write transaction
 * that changed nothing (an INSERT … ON CONFLICT DO NOTHING of a row already there, an UPDATE
 * that matched none) moves no one's caches. */
static void note_change(cf_db *db, const PGresult *r)
{
	if (!db->write_tx || r == NULL || strncmp(PQcmdStatus((PGresult *)r), "SELECT", 6) == 0)
		return;
	const char *n = PQcmdTuples((PGresult *)r);
	if (n[0] == '\0' || strcmp(n, "0") != 0)
		db->tx_changed = true;
}

/* Reads what is left of the busy statement's run, keeping its rows (keep) or dropping them: the
 * connection is free again. */
static void finish_busy(cf_db *db, bool keep)
{
	cf_stmt *st = db->busy;
	if (st == NULL)
		return;
	db->busy = NULL;
	PGresult *r;
	while ((r = PQgetResult(db->conn)) != NULL) {
		ExecStatusType s = PQresultStatus(r);
		if (s == PGRES_SINGLE_TUPLE && keep) {
			if (st->ahead_n == st->ahead_cap) {
				size_t cap = st->ahead_cap ? st->ahead_cap * 2 : 64;
				PGresult **v = realloc(st->ahead, cap * sizeof(*v));
				if (v == NULL) {
					st->end_oom = true;
					PQclear(r);
					keep = false;
					continue;
				}
				st->ahead = v;
				st->ahead_cap = cap;
			}
			st->ahead[st->ahead_n++] = r;
			continue;
		}
		if (s == PGRES_TUPLES_OK || s == PGRES_COMMAND_OK) {
			st->changes = affected(r);
			note_change(db, r);
		} else if (s != PGRES_SINGLE_TUPLE && st->end_err == NULL) {
			/* the transaction's first error may be this one: remembered now, since
			 * the next statement is refused for it (and this run may never be read) */
			if (db->in_tx && !db->has_first)
				fail_result(db, r, NULL, "query failed");
			st->end_err = r;
			continue;
		}
		PQclear(r);
	}
	st->state = ST_BUFFERED;
}

/* Frees the rows read ahead. */
static void drop_ahead(cf_stmt *st)
{
	for (size_t i = st->ahead_i; i < st->ahead_n; i++)
		PQclear(st->ahead[i]);
	st->ahead_n = st->ahead_i = 0;
	PQclear(st->end_err);
	st->end_err = NULL;
	st->end_oom = false;
}

/* Runs the DEALLOCATEs of finalized statements, outside transactions only (a failure there must
 * not end a caller's transaction). */
static void collect_garbage(cf_db *db)
{
	if (db->garbage_len == 0 || PQtransactionStatus(db->conn) != PQTRANS_IDLE)
		return;
	PQclear(PQexec(db->conn, db->garbage));
	db->garbage_len = 0;
	db->garbage[0] = '\0';
}

/* Makes the connection free for a new command: another statement's rows still coming are read
 * ahead into it. */
static void take_connection(cf_db *db)
{
	finish_busy(db, true);
	collect_garbage(db);
}

/* Outside a transaction: makes a lost connection again (PQreset, once per call) and sets it up as
 * open did. Statements prepared on the old connection are prepared again at their next run (the
 * generation moved); commits missed while it was away move the change feed. */
static cf_code reconnect(cf_db *db, cf_err *e)
{
	finish_busy(db, false);
	/* a server that does not answer at all costs up to connect_timeout per try: after such a
	 * slow failure statements fail at once for a few seconds (certfleetd's requests answer 503
	 * meanwhile); a refused connection is tried again at once */
	if (server_paused())
		return fail(db, CF_DB_CONNECTION, e, "", PAUSED_MESSAGE);
	int64_t t0 = cf_clock_mono_ms();
	PQreset(db->conn);
	note_connect(t0, PQstatus(db->conn) == CONNECTION_OK);
	if (PQstatus(db->conn) != CONNECTION_OK)
		return fail(db, CF_DB_CONNECTION, e, "", PQerrorMessage(db->conn));
	db->gen++;
	db->seq++;
	db->in_tx = db->write_tx = db->has_first = false;
	db->garbage_len = 0; /* the old connection's statements went with it */
	if (db->garbage != NULL)
		db->garbage[0] = '\0';
	return session_setup(db, e);
}

/* Whether the connection is known lost (libpq saw it go). */
static bool lost(const cf_db *db)
{
	return PQstatus(db->conn) == CONNECTION_BAD;
}

/* ---- statements: prepare, bind, step ------------------------------------------------------- */

/* The n of "LIMIT $n" or "LIMIT (SELECT $n)" in sql, 0 when it has none. */
static int limit_param(const char *sql)
{
	const char *p = strstr(sql, "LIMIT ");
	if (p == NULL)
		return 0;
	p += strlen("LIMIT ");
	if (strncmp(p, "(SELECT ", 8) == 0)
		p += 8;
	return *p == '$' ? atoi(p + 1) : 0;
}

/* The highest $n in sql outside quoted text, quoted names and comments. */
static int count_params(const char *sql)
{
	long max = 0;
	for (const char *p = sql; *p != '\0';) {
		if (*p == '\'' || *p == '"') {
			/* E'...' strings escape with backslashes */
			bool esc = *p == '\'' && p > sql && (p[-1] == 'E' || p[-1] == 'e') &&
				   (p - 1 == sql || !(isalnum((unsigned char)p[-2]) || p[-2] == '_'));
			char q = *p++;
			while (*p != '\0' && *p != q)
				p += esc && *p == '\\' && p[1] != '\0' ? 2 : 1;
			p += *p != '\0';
		} else if (p[0] == '-' && p[1] == '-') {
			p += strcspn(p, "\n");
		} else if (p[0] == '/' && p[1] == '*') {
			const char *end = strstr(p + 2, "*/");
			p = end ? end + 2 : p + strlen(p);
		} else if (*p == '$' && isdigit((unsigned char)p[1]) &&
			   (p == sql || !(isalnum((unsigned char)p[-1]) || p[-1] == '_'))) {
			char *end = NULL;
			long n = strtol(p + 1, &end, 10);
			max = n > max ? n : max;
			p = end;
		} else if (*p == '$' && (p == sql || !(isalnum((unsigned char)p[-1]) || p[-1] == '_'))) {
			/* a dollar-quoted string: $tag$ ... $tag$ */
			size_t tag =
				1 + strspn(p + 1, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_0123456789");
			if (p[tag] != '$') {
				p++;
				continue;
			}
			char delim[80];
			snprintf(delim, sizeof(delim), "%.*s", (int)(tag + 1 < sizeof(delim) ? tag + 1 : 0), p);
			const char *end = *delim ? strstr(p + tag + 1, delim) : NULL;
			p = end ? end + tag + 1 : p + strlen(p);
		} else {
			p++;
		}
	}
	return max > 65535 ? 65535 : (int)max;
}

static cf_code p_prepare(cf_db *db, const char *sql, cf_stmt **out, cf_err *e)
{
	cf_stmt *st = calloc(1, sizeof(*st));
	if (st == NULL || (st->sql = strdup(sql)) == NULL) {
		free(st);
		return fail(db, CF_DB_FAILED, e, "cannot prepare a query", "out of memory");
	}
	st->db = db;
	st->nparams = count_params(sql);
	if (st->nparams > 0 && ((st->params = calloc((size_t)st->nparams, sizeof(*st->params))) == NULL ||
				(st->values = calloc((size_t)st->nparams, sizeof(*st->values))) == NULL ||
				(st->lengths = calloc((size_t)st->nparams, sizeof(*st->lengths))) == NULL ||
				(st->formats = calloc((size_t)st->nparams, sizeof(*st->formats))) == NULL)) {
		free(st->params);
		free(st->values);
		free(st->lengths);
		free(st->sql);
		free(st);
		return fail(db, CF_DB_FAILED, e, "cannot prepare a query", "out of memory");
	}
	st->limit_param = limit_param(sql);
	/* prepared on the server at the first run, when the types of its parameters are known */
	snprintf(st->name, sizeof(st->name), "stmt_%u", ++db->next_name);
	*out = st;
	return CF_OK;
}

/* The parameter idx, emptied for a new value; NULL (and the bind kept as failed) when there is
 * no $idx. */
static struct param *param(cf_stmt *st, int idx)
{
	if (idx < 1 || idx > st->nparams) {
		if (st->bad_param == 0)
			st->bad_param = idx == 0 ? -1 : idx;
		return NULL;
	}
	struct param *p = &st->params[idx - 1];
	if (p->val != p->num)
		free(p->val);
	p->val = NULL;
	p->len = p->format = 0;
	return p;
}

static void p_bind_int(cf_stmt *st, int idx, int64_t v)
{
	struct param *p = param(st, idx);
	if (p == NULL)
		return;
	snprintf(p->num, sizeof(p->num), "%lld", (long long)v);
	p->val = p->num;
	/* 64 bits, as bind_int promises: "$5 = 0 OR not_after <= $5" is not read as a 32-bit integer */
	p->type = INT8OID;
}

static void p_bind_text(cf_stmt *st, int idx, const char *v)
{
	struct param *p = param(st, idx);
	if (p == NULL)
		return;
	p->type = 0; /* the server infers it from where $idx stands */
	/* the server would refuse it, and with it the whole transaction: refused here, as input (as
	 * the SQLite driver does) */
	if (v != NULL && !cf_text_utf8(v, strlen(v)))
		st->not_utf8 = true;
	else if (v != NULL && (p->val = strdup(v)) == NULL)
		st->bind_oom = true;
}

static void p_bind_blob(cf_stmt *st, int idx, const void *v, size_t len)
{
	struct param *p = param(st, idx);
	if (p == NULL)
		return;
	p->type = BYTEAOID;
	if (v == NULL)
		return; /* SQL NULL, as SQLite binds a NULL blob */
	if (len > 0x7fffffff || (p->val = malloc(len ? len : 1)) == NULL) {
		st->bind_oom = true;
		return;
	}
	memcpy(p->val, v, len);
	p->len = (int)len;
	p->format = 1;
}

/* Whether the run's rows are few enough to receive whole: a page of at most PAGE_WHOLE rows. A
 * row-at-a-time result costs a result object per row (a third of a page's time in the client). */
#define PAGE_WHOLE 1000
static bool small_page(const cf_stmt *st)
{
	if (st->limit_param < 1 || st->limit_param > st->nparams)
		return false;
	const struct param *p = &st->params[st->limit_param - 1];
	return p->val != NULL && p->type == INT8OID && strtoll(p->val, NULL, 10) <= PAGE_WHOLE;
}

/* Prepares (once per connection) and sends the statement; its rows then come one at a time, or
 * whole for a small page. *sent: whether it reached the point where the server may have run it. */
static cf_code start(cf_stmt *st, bool *sent, cf_err *e)
{
	cf_db *db = st->db;
	*sent = false;
	take_connection(db);
	if (!st->prepared || st->gen != db->gen) {
		Oid *types = st->nparams ? calloc((size_t)st->nparams, sizeof(*types)) : NULL;
		if (st->nparams && types == NULL)
			return fail(db, CF_DB_FAILED, e, "cannot prepare a query", "out of memory");
		for (int i = 0; i < st->nparams; i++)
			types[i] = st->params[i].type;
		PGresult *r = PQprepare(db->conn, st->name, st->sql, st->nparams, types);
		free(types);
		cf_code rc =
			PQresultStatus(r) == PGRES_COMMAND_OK ? CF_OK : fail_result(db, r, e, "cannot prepare a query");
		PQclear(r);
		if (rc != CF_OK)
			return rc;
		st->prepared = true;
		st->gen = db->gen;
	}
	for (int i = 0; i < st->nparams; i++) {
		st->values[i] = st->params[i].val;
		st->lengths[i] = st->params[i].len;
		st->formats[i] = st->params[i].format;
	}
	st->changes = 0;
	if (!PQsendQueryPrepared(db->conn, st->name, st->nparams, st->values, st->lengths, st->formats, 0))
		return fail_result(db, NULL, e, "query failed");
	*sent = true;
	if (!small_page(st))
		PQsetSingleRowMode(db->conn); /* a long list is not held in memory whole */
	db->busy = st;
	st->state = ST_STREAM;
	return CF_OK;
}

/* The next row of a running statement: 1, 0 when done, -1 on error. */
static int next_row(cf_stmt *st, cf_err *e)
{
	cf_db *db = st->db;
	if (st->state == ST_HELD) {
		if (++st->row_i < PQntuples(st->row))
			return 1;
		clear_row(st);
		st->state = ST_DONE;
		return 0;
	}
	clear_row(st);
	if (st->state == ST_BUFFERED) {
		if (st->ahead_i < st->ahead_n) {
			st->row = st->ahead[st->ahead_i++];
			return 1;
		}
		st->state = ST_DONE;
		if (st->end_oom) {
			fail(db, CF_DB_FAILED, e, "query failed", "out of memory");
			return -1;
		}
		if (st->end_err != NULL) {
			fail_result(db, st->end_err, e, "query failed");
			return -1;
		}
		return 0;
	}
	PGresult *r = PQgetResult(db->conn);
	ExecStatusType s = r ? PQresultStatus(r) : PGRES_COMMAND_OK;
	if (s == PGRES_SINGLE_TUPLE) {
		st->row = r;
		return 1;
	}
	/* a small page arrives whole, with the connection free again at once (the next step
	 * follows start directly: no other statement can have read it ahead) */
	bool held = s == PGRES_TUPLES_OK && PQntuples(r) > 0;
	st->state = held ? ST_HELD : ST_DONE;
	db->busy = NULL;
	int ret = 0;
	if (s == PGRES_TUPLES_OK || s == PGRES_COMMAND_OK) {
		st->changes = r ? affected(r) : 0;
		note_change(db, r);
	} else {
		fail_result(db, r, e, "query failed");
		ret = -1;
	}
	if (held) {
		st->row = r;
		ret = 1;
	} else
		PQclear(r);
	while ((r = PQgetResult(db->conn)) != NULL)
		PQclear(r);
	return ret;
}

/* Whether sql is a plain query (SELECT), which changes nothing wherever it ran. */
static bool reads_only(const char *sql)
{
	sql += strspn(sql, " \t\r\n(");
	return strncasecmp(sql, "SELECT", 6) == 0 && !isalnum((unsigned char)sql[6]) && sql[6] != '_';
}

static int p_step(cf_stmt *st, cf_err *e)
{
	if (st->not_utf8 && st->state == ST_IDLE) {
		st->db->last = CF_DB_FAILED;
		cf_db_not_utf8(e);
		return -1;
	}
	if (st->bad_param != 0 || st->bind_oom) {
		char what[64];
		if (st->bind_oom)
			snprintf(what, sizeof(what), "out of memory");
		else
			snprintf(what, sizeof(what), "no parameter $%d in the query",
				 st->bad_param < 0 ? 0 : st->bad_param);
		fail(st->db, CF_DB_FAILED, e, "cannot bind a parameter", what);
		return -1;
	}
	if (st->state == ST_DONE)
		return 0;
	if (st->state != ST_IDLE)
		return next_row(st, e);
	/* the first step: outside a transaction a lost connection is made again, once, and the
	 * statement run on the new one when it cannot have run on the old (it was not sent, or it
	 * only reads); inside one, the loss is the transaction's end */
	cf_db *db = st->db;
	bool outside = !db->in_tx, reconnected = false, sent = false;
	if (outside && lost(db)) {
		if (reconnect(db, e) != CF_OK) {
			st->state = ST_DONE;
			return -1;
		}
		reconnected = true;
	}
	for (;;) {
		int r = start(st, &sent, e) == CF_OK ? next_row(st, e) : -1;
		if (r >= 0)
			return r;
		st->state = ST_DONE;
		if (!outside || reconnected || db->last != CF_DB_CONNECTION || (sent && !reads_only(st->sql)))
			return -1;
		if (reconnect(db, e) != CF_OK)
			return -1;
		reconnected = true;
		clear_row(st);
		drop_ahead(st);
		st->state = ST_IDLE;
	}
}

/* ---- statements: columns ------------------------------------------------------------------- */

/* The current row's value of col, or NULL for SQL NULL or no such column. */
static const char *value(cf_stmt *st, int col)
{
	if (st->row == NULL || col < 0 || col >= PQnfields(st->row) || PQgetisnull(st->row, st->row_i, col))
		return NULL;
	return PQgetvalue(st->row, st->row_i, col);
}

static int64_t p_col_int(cf_stmt *st, int col)
{
	const char *v = value(st, col);
	if (v == NULL)
		return 0;
	if (PQftype(st->row, col) == BOOLOID)
		return v[0] == 't';
	/* an integer as the server writes it ('-' and digits) read directly: a page of certificates
	 * reads a thousand; anything else goes to strtoll */
	const char *p = v + (v[0] == '-');
	uint64_t n = 0;
	for (; *p >= '0' && *p <= '9' && p - v < 19; p++)
		n = n * 10 + (uint64_t)(*p - '0');
	if (*p != '\0' || p == v + (v[0] == '-'))
		return strtoll(v, NULL, 10);
	return v[0] == '-' ? -(int64_t)n : (int64_t)n;
}

static const char *p_col_text(cf_stmt *st, int col)
{
	const char *v = value(st, col);
	return v ? v : "";
}

static int hexval(int c)
{
	return c >= '0' && c <= '9'   ? c - '0'
	       : c >= 'a' && c <= 'f' ? c - 'a' + 10
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10
				      : -1;
}

static const void *p_col_blob(cf_stmt *st, int col, size_t *len)
{
	const char *v = value(st, col);
	*len = 0;
	if (v == NULL)
		return NULL;
	size_t n = (size_t)PQgetlength(st->row, st->row_i, col);
	if (PQftype(st->row, col) != BYTEAOID || n < 2 || v[0] != '\\' || v[1] != 'x') {
		*len = n; /* not bytea: the text itself */
		return v;
	}
	/* bytea in text results is hex ("\x0a1b..."); decoded into the column's own buffer, so two
	 * blobs of one row are both readable */
	if (col >= st->nblobs) {
		int nb = PQnfields(st->row);
		struct blobbuf *b = realloc(st->blobs, (size_t)nb * sizeof(*b));
		if (b == NULL)
			return NULL;
		memset(b + st->nblobs, 0, (size_t)(nb - st->nblobs) * sizeof(*b));
		st->blobs = b;
		st->nblobs = nb;
	}
	struct blobbuf *b = &st->blobs[col];
	size_t out = (n - 2) / 2;
	if (b->cap < out + 1) {
		unsigned char *p = realloc(b->p, out + 1);
		if (p == NULL)
			return NULL;
		b->p = p;
		b->cap = out + 1;
	}
	for (size_t i = 0; i < out; i++) {
		int hi = hexval((unsigned char)v[2 + 2 * i]), lo = hexval((unsigned char)v[3 + 2 * i]);
		if (hi < 0 || lo < 0)
			return NULL;
		b->p[i] = (unsigned char)(hi << 4 | lo);
	}
	*len = out;
	return b->p;
}

static int64_t p_changes(cf_stmt *st)
{
	return st->changes;
}

static void p_reset(cf_stmt *st)
{
	if (st->db->busy == st)
		finish_busy(st->db, false);
	clear_row(st);
	drop_ahead(st);
	for (int i = 0; i < st->nparams; i++) {
		struct param *p = &st->params[i];
		if (p->val != p->num)
			free(p->val);
		p->val = NULL;
		p->len = p->format = 0;
	}
	st->bad_param = 0;
	st->bind_oom = st->not_utf8 = false;
	st->state = ST_IDLE;
}

static void p_finalize(cf_stmt *st)
{
	if (st == NULL)
		return;
	cf_db *db = st->db;
	p_reset(st);
	if (st->prepared && st->gen == db->gen) {
		/* dropped from the server at the next command outside a transaction */
		size_t need = db->garbage_len + strlen(st->name) + 16;
		char *g = realloc(db->garbage, need);
		if (g != NULL) {
			db->garbage = g;
			db->garbage_len += (size_t)snprintf(g + db->garbage_len, need - db->garbage_len,
							    "DEALLOCATE %s;", st->name);
		}
	}
	for (int i = 0; i < st->nblobs; i++)
		free(st->blobs[i].p);
	free(st->blobs);
	free(st->ahead);
	free(st->params);
	free(st->values);
	free(st->lengths);
	free(st->formats);
	free(st->sql);
	free(st);
}

/* ---- commands and transactions ------------------------------------------------------------- */

/* Runs parameterless SQL; r_out (when non-NULL) gets the last result. */
static cf_code command(cf_db *db, const char *sql, const char *what, PGresult **r_out, cf_err *e)
{
	take_connection(db);
	PGresult *r = PQexec(db->conn, sql);
	ExecStatusType s = PQresultStatus(r);
	cf_code rc = s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK ? CF_OK : fail_result(db, r, e, what);
	if (rc == CF_OK && r_out != NULL)
		*r_out = r;
	else
		PQclear(r);
	return rc;
}

static cf_code p_exec(cf_db *db, const char *sql, cf_err *e)
{
	take_connection(db);
	if (!db->in_tx && lost(db)) {
		cf_code rc = reconnect(db, e);
		if (rc != CF_OK)
			return rc;
	}
	PGresult *r = NULL;
	cf_code rc = command(db, sql, "query failed", &r, e);
	note_change(db, r);
	PQclear(r);
	return rc;
}

static cf_code p_begin(cf_db *db, cf_tx_kind kind, cf_err *e)
{
	take_connection(db);
	PGTransactionStatusType t = PQtransactionStatus(db->conn);
	if (db->in_tx || t == PQTRANS_INTRANS || t == PQTRANS_INERROR)
		return fail(db, CF_DB_FAILED, e, "cannot begin a transaction", "a transaction is already open");
	db->last = CF_DB_OK; /* err_class tells of this transaction's errors only */
	db->has_first = false;
	const char *sql = kind == CF_TX_WRITE ? "BEGIN ISOLATION LEVEL SERIALIZABLE"
					      : "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY";
	/* a connection lost since the last command (the server restarted, an idle connection was
	 * cut) is made again once, whether libpq knew it already or BEGIN finds it out: nothing
	 * has been done in the transaction yet */
	bool reconnected = false;
	cf_code rc = CF_OK;
	if (lost(db)) {
		rc = reconnect(db, e);
		reconnected = true;
	}
	if (rc == CF_OK)
		rc = command(db, sql, "cannot begin a transaction", NULL, e);
	if (rc != CF_OK && !reconnected && db->last == CF_DB_CONNECTION && (rc = reconnect(db, e)) == CF_OK)
		rc = command(db, sql, "cannot begin a transaction", NULL, e);
	if (rc == CF_OK) {
		db->in_tx = true;
		db->write_tx = kind == CF_TX_WRITE;
		db->tx_changed = false;
	}
	return rc;
}

static cf_code p_commit(cf_db *db, cf_err *e)
{
	PGresult *r = NULL;
	bool was_lost = lost(db);
	/* the notification is delivered to the listeners when (and only if) the commit succeeds */
	bool changed = db->write_tx && db->tx_changed;
	cf_code rc = command(db, changed ? "NOTIFY " CHANNEL "; COMMIT" : "COMMIT", "cannot commit", &r, e);
	if (rc == CF_OK && strcmp(PQcmdStatus(r), "COMMIT") != 0) /* an aborted transaction commits as ROLLBACK */
		rc = db->has_first ? repeat_first(db, e)
				   : fail(db, CF_DB_FAILED, e, "cannot commit",
					  "the transaction was rolled back after an earlier error");
	PQclear(r);
	/* lost on the way: the COMMIT may have reached the server, so the user is not told that
	 * nothing was saved (lost before it was sent: the server rolled the transaction back) */
	if (rc != CF_OK && !was_lost && lost(db)) {
		cf_err_set(e, CF_E_REMOTE, db->target,
			   "lost the connection to the database server while committing; whether the change was "
			   "saved is not known: look before trying again");
		cf_err_reason(e, CF_REASON_STORE_DOWN);
	}
	/* ended, committed or not */
	if (PQtransactionStatus(db->conn) == PQTRANS_IDLE || lost(db)) {
		if (rc == CF_OK && changed)
			db->seq++;
		db->in_tx = db->write_tx = db->has_first = false;
	}
	return rc;
}

static void p_rollback(cf_db *db)
{
	finish_busy(db, true);
	PGTransactionStatusType t = PQtransactionStatus(db->conn);
	if (!lost(db) && (t == PQTRANS_INTRANS || t == PQTRANS_INERROR))
		PQclear(PQexec(db->conn, "ROLLBACK"));
	db->in_tx = db->write_tx = db->has_first = false;
}

/* A session lock, taken before the migration's serializable transaction begins: that
 * transaction's snapshot then holds what a process that migrated first committed. */
static cf_code p_lock_schema(cf_db *db, bool on, cf_err *e)
{
	return on ? command(db, "SELECT pg_advisory_lock(" SCHEMA_LOCK ")", "cannot lock the schema", NULL, e)
		  : command(db, "SELECT pg_advisory_unlock(" SCHEMA_LOCK ")", "cannot unlock the schema", NULL, e);
}

/* The planner's statistics of a table that just took many rows: without them every equality
 * looks selective, and a lookup of one certificate may read a whole trust store; plans cached
 * before, in this connection and every other (the daemon's), stay made for the empty table until
 * the statistics change. PostgreSQL's manual advises ANALYZE after a bulk load; autovacuum would
 * run it only later. VACUUM with it marks the new rows visible to all (hint bits, the visibility
 * map) while the import's caller waits, not in the first reads of the API, and autovacuum does
 * not come to do it seconds later beside them (it took the API's slowest answers from 20 to over
 * 100 ms on two cores). A failure (another role owns the table, a lost connection) changes
 * nothing the transaction did. */
static void p_analyze(cf_db *db, const char *table)
{
	char sql[128];
	snprintf(sql, sizeof(sql), "VACUUM (ANALYZE) %s", table);
	take_connection(db);
	if (PQtransactionStatus(db->conn) == PQTRANS_IDLE)
		PQclear(PQexec(db->conn, sql));
}

static cf_db_class p_err_class(cf_db *db)
{
	return db->last;
}

static int64_t p_change_seq(cf_db *db)
{
	if (PQstatus(db->conn) != CONNECTION_OK || !PQconsumeInput(db->conn))
		return -1;
	int self = PQbackendPID(db->conn);
	PGnotify *n;
	while ((n = PQnotifies(db->conn)) != NULL) {
		if (n->be_pid != self) /* this connection's commits are counted as they happen */
			db->seq++;
		PQfreemem(n);
	}
	return db->seq;
}

const cf_db_driver cf_db_pg = {
	.name = "postgresql",
	.claims = p_claims,
	.id_type = "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
	.blob_type = "BYTEA",
	.text_type = " TEXT COLLATE \"C\"",
	.open = p_open,
	.close = p_close,
	.exec = p_exec,
	.begin = p_begin,
	.commit = p_commit,
	.rollback = p_rollback,
	.lock_schema = p_lock_schema,
	.analyze = p_analyze,
	.prepare = p_prepare,
	.bind_int = p_bind_int,
	.bind_text = p_bind_text,
	.bind_blob = p_bind_blob,
	.step = p_step,
	.col_int = p_col_int,
	.col_text = p_col_text,
	.col_blob = p_col_blob,
	.changes = p_changes,
	.reset = p_reset,
	.finalize = p_finalize,
	.err_class = p_err_class,
	.change_seq = p_change_seq,
};
