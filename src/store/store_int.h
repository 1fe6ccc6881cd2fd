/* Private to src/store/. */
#ifndef CF_STORE_INT_H
#define CF_STORE_INT_H

#include "store/db.h"
#include "store/store.h"

/* more slots than store.c has statements: once used, every one stays prepared (a full cache made
 * each new statement parse again on every call) */
#define CF_STMT_CACHE 128
#define CF_COUNT_CACHE 8
/* a transaction that inserted this many rows in bulk is followed by the driver's analyze */
#define CF_ANALYZE_ROWS 1000

/* Prepared statements are kept per SQL text (queries run thousands of times in a bulk
 * import); a statement in use is never handed out twice. */
struct cf_stmt_slot {
	const char *sql;
	cf_stmt *stmt;
	bool busy;
};

struct cf_store {
	const cf_db_driver *drv;
	cf_db *db;
	bool in_tx;
	int64_t bulk_rows; /* certificate rows the open transaction inserted (then ANALYZE: a big load) */
	struct cf_stmt_slot cache[CF_STMT_CACHE];
	/* the audit row the next commit appends (cf_store_audit_pending) */
	bool audit_armed, audit_written;
	char audit_account[128], audit_client[128], audit_action[64], audit_object[512];
	int reading; /* certificate walks under way: the outermost holds a read transaction */
	/* recent certificate counts: filter key, the data version they were counted at, the total and
	 * each node's (node_ids and node_fqdns in display order) */
	struct cf_count_slot {
		char *key;
		int64_t version, n;
		int64_t *node_ids, *node_ns;
		char **node_fqdns;
		size_t nodes, cap;
	} counts[CF_COUNT_CACHE];
	unsigned counts_next;
	/* cf_store_revcheck_any's answer and the data version it was read at, plus one (0: none) */
	bool revcheck_any;
	int64_t revcheck_any_version;
	/* cf_store_ca_each's rows and the data version they were read at, plus one (0: none) */
	struct cf_carow *ca_rows;
	size_t ca_rows_n;
	int64_t ca_rows_version;
};

/* Frees the CA rows cf_store_ca_each keeps (store/ca.c). */
void cf_store_ca_forget(cf_store *st);
/* Frees what a count slot holds; leaves it empty. */
void cf_count_slot_clear(struct cf_count_slot *c);

int cf_schema_latest(void);
/* Brings the schema to the latest version; runs inside the caller's transaction. */
cf_code cf_schema_migrate(cf_store *st, cf_err *e);

/* Shared by the aggregates' queries (store.c). */

/* A copy of s, "" for NULL (NULL only when out of memory). */
char *cf_store_dup(const char *s);
/* Copies s into the array dst of size bytes, cut to fit (a column read into a fixed field). */
void cf_store_copy(char *dst, size_t size, const char *s);
/* A prepared statement for sql, from the cache when one is free (sql is compared by address:
 * pass string literals). */
cf_code cf_store_prep(cf_store *st, const char *sql, cf_stmt **out, cf_err *e);
/* Gives a statement back: cached ones are reset for the next use, others finalized. */
void cf_store_release(cf_store *st, cf_stmt *s);
/* Runs a statement that returns no rows, then gives it back. */
cf_code cf_store_run(cf_store *st, cf_stmt *s, cf_err *e);
/* The same, with the number of rows it inserted, updated or deleted in *changed. */
cf_code cf_store_run_counted(cf_store *st, cf_stmt *s, int64_t *changed, cf_err *e);
/* Statement text for many rows or values at once: head, then `groups` groups of `per_group`
 * parameters numbered on from $first ("($3, $4), ($5, $6)"; with per_group 1 a bare list "$3, $4"),
 * then tail. New string, NULL when out of memory. Only parameter numbers go into the text. */
char *cf_store_sql_groups(const char *head, int first, int groups, int per_group, const char *tail);
/* One whole number from a one-row query with up to one parameter (0 when NULL). */
cf_code cf_store_query_int(cf_store *st, const char *sql, const int64_t *param, int64_t *out, cf_err *e);
/* The items of a list column (certs.c writes them: one per line, '\\' and '\n' escaped). */
void cf_store_split_list(const char *text, cf_strv *out);

#endif
