/* storecheck STORE: opens a store, runs SQLite's integrity check and verifies that every
 * stored identity's private key matches its certificate. Exit 0 when all holds. Used by the
 * crash-safety test. */
#include <sqlite3.h>
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

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: storecheck STORE\n");
		return 2;
	}
	sqlite3 *db = NULL;
	int ok = 0;
	if (sqlite3_open_v2(argv[1], &db, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK) {
		sqlite3_stmt *s = NULL;
		if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &s, NULL) == SQLITE_OK &&
		    sqlite3_step(s) == SQLITE_ROW)
			ok = strcmp((const char *)sqlite3_column_text(s, 0), "ok") == 0;
		sqlite3_finalize(s);
	}
	sqlite3_close(db);
	if (!ok) {
		fprintf(stderr, "storecheck: %s: integrity check failed\n", argv[1]);
		return 1;
	}
	cf_store *st = NULL;
	cf_err e = {0};
	if (cf_store_open(argv[1], false, &st, &e) != CF_OK) {
		fprintf(stderr, "storecheck: %s: %s\n", e.subject, e.message);
		return 1;
	}
	struct walk w = {.st = st};
	cf_certfilter f = {.kind = CF_IDENTITY};
	cf_store_cert_each(st, &f, check_identity, &w, &e);
	cf_store_close(st);
	printf("storecheck: integrity ok, %ld identities checked, %ld mismatched\n", w.checked, w.bad);
	return w.bad == 0 ? 0 : 1;
}
