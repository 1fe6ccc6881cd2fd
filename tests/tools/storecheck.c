/* storecheck STORE: opens a store, runs SQLite's integrity check on an SQLite file (a PostgreSQL
 * server keeps its own files consistent: skipped, and said so) and verifies through the store API
 * that every stored identity's private key matches its certificate. Exit 0 when all holds. Used by
 * the crash-safety, renewal and monitor tests. */
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "crypto/x509.h"
#include "store/store.h"

struct walk {
	cf_store *st;
	long checked, bad;
};

static int check_identity(void *ctx, const cf_certrow *r)
{
	struct walk *w = ctx;
	cf_certrow full = {0};
	cf_key *key = NULL;
	cf_cert *cert = NULL;
	if (cf_store_cert_get(w->st, r->id, true, &full, NULL) != CF_OK ||
	    (cert = cf_cert_from_der(full.der, full.der_len)) == NULL ||
	    cf_key_parse("stored key", (const uint8_t *)full.key_pem, strlen(full.key_pem), &key, NULL) != CF_OK ||
	    !cf_key_matches_cert(key, cert)) {
		fprintf(stderr, "storecheck: identity %lld (%s on %s): key does not match certificate\n",
			(long long)r->id, r->name, r->node);
		w->bad++;
	}
	w->checked++;
	cf_key_free(key);
	cf_cert_free(cert);
	cf_certrow_free(&full);
	return 0;
}

/* SQLite's integrity check of the file at path: true when it says "ok". */
static bool sqlite_intact(const char *path)
{
	sqlite3 *db = NULL;
	bool ok = false;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK) {
		sqlite3_stmt *s = NULL;
		if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &s, NULL) == SQLITE_OK &&
		    sqlite3_step(s) == SQLITE_ROW)
			ok = strcmp((const char *)sqlite3_column_text(s, 0), "ok") == 0;
		sqlite3_finalize(s);
	}
	sqlite3_close(db);
	return ok;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: storecheck STORE\n");
		return 2;
	}
	cf_store *st = NULL;
	cf_err e = {0};
	cf_code rc = cf_store_open(argv[1], false, &st, &e);
	if (rc != CF_OK) {
		fprintf(stderr, "storecheck: %s: %s\n", e.subject, e.message);
		return 1;
	}
	bool sqlite = strcmp(cf_store_engine(st), "sqlite") == 0;
	if (sqlite && !sqlite_intact(argv[1])) {
		fprintf(stderr, "storecheck: %s: integrity check failed\n", argv[1]);
		cf_store_close(st);
		return 1;
	}
	struct walk w = {.st = st};
	cf_certfilter f = {.kind = CF_IDENTITY};
	rc = cf_store_cert_each(st, &f, check_identity, &w, &e);
	cf_store_close(st);
	if (rc != CF_OK) {
		fprintf(stderr, "storecheck: %s: %s\n", e.subject, e.message);
		return 1;
	}
	printf("storecheck: %s, %ld identities checked, %ld mismatched\n",
	       sqlite ? "integrity ok" : "integrity check skipped (not an SQLite file)", w.checked, w.bad);
	return w.bad == 0 ? 0 : 1;
}
