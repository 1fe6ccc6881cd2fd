/* Endpoint certificates: phones' LSCs kept on their CAPF node (see endpoint.h). */
#include "core/lifecycle/endpoint.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/clock.h"
#include "util/keyed.h"

#define LSC_KEY_BITS_MIN 2048

/* Whether name is a device name as call control spells one (SEP0011223344FF, CSFJDOE, ...):
 * 1 to CF_DEVICE_NAME_MAX letters, digits, '.', '_' or '-'. */
static bool device_name_ok(const char *name)
{
	size_t n = strlen(name);
	return n >= 1 && n <= CF_DEVICE_NAME_MAX &&
	       strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == n;
}

/* The certificate of one kind and name on the node in *out, *found saying whether there is one:
 * its absence (CF_E_NOTFOUND) is an answer, any other failure of the store is returned. */
static cf_code named_find(cf_store *st, int64_t node_id, cf_certkind kind, const char *name, cf_certrow *out,
			  bool *found, cf_err *e)
{
	cf_err ge = {0};
	cf_code rc = cf_store_named_get(st, node_id, kind, name, false, out, &ge);
	*found = rc == CF_OK;
	if (rc == CF_OK || rc == CF_E_NOTFOUND)
		return CF_OK;
	if (e != NULL)
		*e = ge;
	return rc;
}

/* The certificates an LSC of the node may be issued by, each with its SHA-256: its CAPF
 * certificate and the certificates of its CAPF-trust and CallManager-trust, CAs only
 * (basicConstraints CA:TRUE): a peer's leaf certificate in CallManager-trust issues no LSC. */
typedef struct issuer {
	cf_cert *cert;
	char sha256[65];
} issuer;

typedef struct issuers {
	issuer *v;
	size_t n;
} issuers;

static void issuers_free(issuers *is)
{
	for (size_t i = 0; i < is->n; i++)
		cf_cert_free(is->v[i].cert);
	free(is->v);
	memset(is, 0, sizeof(*is));
}

/* Keeps those of the n certificates of add (owned, all freed) that are CAs. */
static cf_code issuers_append(issuers *is, cf_cert **add, size_t n, cf_err *e)
{
	cf_code rc = CF_OK;
	issuer *v = realloc(is->v, (is->n + n + 1) * sizeof(*v));
	if (v == NULL)
		rc = cf_err_set(e, CF_E_INTERNAL, "endpoint", "out of memory");
	else
		is->v = v;
	for (size_t i = 0; i < n; i++) {
		cf_facts f = {0};
		if (rc == CF_OK && (rc = cf_cert_facts(add[i], &f, e)) == CF_OK && f.ca) {
			is->v[is->n].cert = add[i];
			snprintf(is->v[is->n].sha256, sizeof(is->v[is->n].sha256), "%s", f.sha256);
			is->n++;
			add[i] = NULL;
		}
		cf_facts_free(&f);
		cf_cert_free(add[i]);
	}
	free(add);
	return rc;
}

static cf_code issuers_load(cf_store *st, const cf_node *node, issuers *is, cf_err *e)
{
	static const char *const stores[] = {"CAPF-trust", "CallManager-trust"};
	cf_certrow capf = {0};
	bool found = false;
	cf_code rc = named_find(st, node->id, CF_IDENTITY, "CAPF", &capf, &found, e);
	if (rc == CF_OK && found) { /* without one, only CAs of the trust stores issue */
		cf_cert *c = cf_cert_from_der(capf.der, capf.der_len);
		cf_cert **one = malloc(sizeof(*one));
		if (c == NULL || one == NULL) {
			cf_cert_free(c);
			free(one);
			rc = cf_err_set(e, CF_E_INTERNAL, "endpoint", "cannot read the CAPF certificate");
		} else {
			one[0] = c;
			rc = issuers_append(is, one, 1, e);
		}
	}
	cf_certrow_free(&capf);
	for (size_t i = 0; rc == CF_OK && i < sizeof(stores) / sizeof(stores[0]); i++) {
		cf_cert **v = NULL;
		size_t n = 0;
		if ((rc = cf_store_trust_certs(st, node->id, stores[i], &v, &n, e)) == CF_OK)
			rc = issuers_append(is, v, n, e);
	}
	return rc;
}

/* The rules an LSC must meet; the issuer found goes to *found. */
static cf_code check_lsc(const char *name, size_t index, size_t total, const cf_cert *cert, const cf_facts *f,
			 const issuers *is, const cf_node *node, const issuer **found, cf_err *e)
{
	char where[64] = "";
	if (total > 1)
		snprintf(where, sizeof(where), "certificate %zu of %zu: ", index + 1, total);
	if (f->ca)
		return cf_err_set(e, CF_E_INPUT, name, "%s\"%s\" is a CA certificate, not an LSC", where, f->subject);
	if (!device_name_ok(f->cn))
		return cf_err_set(e, CF_E_INPUT, name,
				  "%sthe CN \"%.60s\" is not a device name (1 to %d letters, digits, '.', '_' or '-')",
				  where, f->cn, CF_DEVICE_NAME_MAX);
	if (f->key_type != CF_KEY_RSA || f->key_bits < LSC_KEY_BITS_MIN)
		return cf_err_set(e, CF_E_INPUT, name, "%s%s: an LSC needs an RSA key of at least %d bits, not %s %d",
				  where, f->cn, LSC_KEY_BITS_MIN, cf_keytype_name(f->key_type), f->key_bits);
	if (f->has_eku && (f->eku & CF_EKU_CLIENT_AUTH) == 0)
		return cf_err_set(e, CF_E_INPUT, name,
				  "%s%s: the LSC lacks the clientAuth extended key usage the phone's TLS needs", where,
				  f->cn);
	*found = NULL;
	for (size_t i = 0; i < is->n && *found == NULL; i++)
		if (cf_cert_issued_by(cert, is->v[i].cert))
			*found = &is->v[i];
	if (*found == NULL)
		return cf_err_set(e, CF_E_INPUT, name,
				  "%s%s: its issuer \"%s\" is neither the CAPF certificate of %s nor a CA in its "
				  "CAPF-trust or CallManager-trust [untrusted-issuer]",
				  where, f->cn, f->issuer, node->fqdn);
	return CF_OK;
}

/* A device's stored LSC, as much of it as placing a new one needs (id 0: none). */
typedef struct lsc_ref {
	int64_t id;
	int64_t not_after;
	char sha256[65];
} lsc_ref;

/* LSCs given to the store at once: bounds the copies of facts held (a row is ≈ 450 bytes). */
#define LSC_BATCH 1024

/* Stores the n checked LSCs of a file, in its order: each added, replacing the device's previous
 * one, or unchanged, with the rows, ids, counts and warnings of placing them one at a time, in
 * batches. The first change is placed alone: its device's old row is deleted before any other, so
 * the new rows are numbered as before (SQLite numbers a row one above the largest id, which
 * deleting the newest row lowers). */
static cf_code place_all(cf_store *st, const cf_node *node, cf_cert **certs, const cf_facts *facts,
			 const issuer *const *by, size_t n, cf_lsc_counts *counts, cf_outcome *out, cf_err *e)
{
	size_t cap = n < LSC_BATCH ? n : LSC_BATCH;
	lsc_ref *old = malloc(n * sizeof(*old));
	cf_certrow *rows = malloc(cap * sizeof(*rows));
	int64_t *gone = malloc(cap * sizeof(*gone));
	size_t *which = malloc(cap * sizeof(*which));
	cf_code rc = CF_OK;
	if (old == NULL || rows == NULL || gone == NULL || which == NULL) {
		rc = cf_err_set(e, CF_E_INTERNAL, "endpoint", "out of memory");
		goto out;
	}
	/* each device's LSC as stored now: nothing of the file is stored yet, and its devices differ */
	for (size_t i = 0; i < n && rc == CF_OK; i++) {
		cf_certrow row = {0};
		bool had = false;
		rc = named_find(st, node->id, CF_LSC, facts[i].cn, &row, &had, e);
		old[i] = (lsc_ref){.id = had ? row.id : 0, .not_after = row.facts.not_after};
		snprintf(old[i].sha256, sizeof(old[i].sha256), "%s", row.facts.sha256);
		cf_certrow_free(&row);
	}
	if (rc != CF_OK)
		goto out;
	bool first = true;
	for (size_t at = 0; rc == CF_OK && at < n;) {
		size_t k = 0, n_gone = 0;
		for (; at < n && k < (first ? 1 : cap); at++) {
			const cf_facts *f = &facts[at];
			if (old[at].id != 0 && strcmp(old[at].sha256, f->sha256) == 0) {
				counts->unchanged++;
				continue;
			}
			if (old[at].id != 0)
				gone[n_gone++] = old[at].id;
			size_t der_len = 0;
			const uint8_t *der = cf_cert_der(certs[at], &der_len);
			rows[k] = (cf_certrow){.node_id = node->id,
					       .kind = CF_LSC,
					       .name = f->cn,
					       .der = (uint8_t *)der,
					       .der_len = der_len,
					       .facts = *f,
					       .distribution = (char *)"single-server",
					       .source = (char *)"upload",
					       .warnings = (char *)"[]"};
			snprintf(rows[k].anchor_sha256, sizeof(rows[k].anchor_sha256), "%s", by[at]->sha256);
			which[k++] = at;
		}
		first = first && k == 0;
		if ((rc = cf_store_cert_delete_many(st, gone, n_gone, e)) != CF_OK ||
		    (rc = cf_store_cert_insert_many(st, rows, k, e)) != CF_OK)
			break;
		for (size_t r = 0; r < k; r++) {
			const cf_facts *f = &facts[which[r]];
			const lsc_ref *had = &old[which[r]];
			if (had->id != 0 && had->not_after > f->not_after)
				cf_warn(&out->warnings, "older-lsc",
					"%s: the LSC imported expires before the one it replaces", f->cn);
			cf_outcome_add_id(out, rows[r].id);
			if (had->id != 0)
				counts->replaced++;
			else
				counts->added++;
			if (f->not_after < cf_clock_now())
				cf_warn(&out->warnings, "expired", "%s: the LSC has already expired", f->cn);
		}
	}
out:
	free(old);
	free(rows);
	free(gone);
	free(which);
	return rc;
}

/* The first certificate of the n (in file order) whose CN an earlier one has too: its index in
 * *second, the earliest of those in *first (*second is n when every CN differs). Sorted by CN,
 * neighbours compared: bundles hold hundreds of thousands of LSCs. */
static cf_code first_duplicate(const cf_facts *facts, size_t n, size_t *first, size_t *second, cf_err *e)
{
	cf_keyed *v = malloc((n + 1) * sizeof(*v));
	if (v == NULL)
		return cf_err_set(e, CF_E_INTERNAL, "endpoint", "out of memory");
	for (size_t i = 0; i < n; i++)
		v[i] = (cf_keyed){facts[i].cn, i};
	cf_keyed_sort(v, n);
	*first = *second = n;
	for (size_t i = 1, start = 0; i < n; i++) {
		if (strcmp(v[i - 1].key, v[i].key) != 0)
			start = i;
		else if (v[i].at < *second) {
			*first = v[start].at;
			*second = v[i].at;
		}
	}
	free(v);
	return CF_OK;
}

static cf_code lsc_import_once(cf_store *st, const char *node, const char *name, const uint8_t *buf, size_t len,
			       cf_lsc_counts *counts, cf_outcome *out, cf_err *e)
{
	cf_cert **certs = NULL;
	size_t n = 0;
	cf_facts *facts = NULL;
	const issuer **by = NULL;
	size_t dup_first = 0, dup_second = 0;
	issuers is = {0};
	cf_node nd = {0};
	memset(counts, 0, sizeof(*counts));
	cf_code rc = cf_cert_parse_bundle(name, buf, len, &certs, &n, e);
	if (rc != CF_OK)
		return rc;
	if ((facts = calloc(n, sizeof(*facts))) == NULL || (by = calloc(n, sizeof(*by))) == NULL) {
		rc = cf_err_set(e, CF_E_INTERNAL, name, "out of memory");
		goto out;
	}
	if ((rc = cf_certs_facts(certs, n, facts, e)) != CF_OK ||
	    (rc = first_duplicate(facts, n, &dup_first, &dup_second, e)) != CF_OK ||
	    (rc = cf_store_begin(st, e)) != CF_OK || (rc = cf_store_node_get(st, node, &nd, e)) != CF_OK)
		goto out;
	if (strcmp(nd.product, "ucm") != 0 || !nd.publisher) {
		rc = cf_err_set(e, CF_E_STATE, node,
				"LSCs are kept on the node whose CAPF issues them: a ucm publisher");
		goto out;
	}
	if ((rc = issuers_load(st, &nd, &is, e)) != CF_OK)
		goto out;
	/* every certificate checked before anything is stored: one bad one refuses the file */
	for (size_t i = 0; i < n && rc == CF_OK; i++) {
		rc = check_lsc(name, i, n, certs[i], &facts[i], &is, &nd, &by[i], e);
		if (rc == CF_OK && i == dup_second)
			rc = cf_err_set(e, CF_E_INPUT, name, "certificates %zu and %zu are both LSCs of %s",
					dup_first + 1, i + 1, facts[i].cn);
	}
	if (rc == CF_OK)
		rc = place_all(st, &nd, certs, facts, by, n, counts, out, e);
	if (rc == CF_OK)
		rc = cf_store_commit(st, e);
out:
	cf_store_rollback(st);
	issuers_free(&is);
	cf_node_free(&nd);
	for (size_t i = 0; facts != NULL && i < n; i++)
		cf_facts_free(&facts[i]);
	free(facts);
	free(by);
	cf_certs_free(certs, n);
	return rc;
}

cf_code cf_lsc_import(cf_store *st, const char *node, const char *name, const uint8_t *buf, size_t len,
		      cf_lsc_counts *counts, cf_outcome *out, cf_err *e)
{
	cf_code rc;
	CF_STORE_WRITE_RESETTING(st, e, rc, lsc_import_once(st, node, name, buf, len, counts, out, e),
				 (cf_outcome_free(out), memset(counts, 0, sizeof(*counts))));
	return rc;
}

static cf_code lsc_delete_once(cf_store *st, const char *node, const char *device, cf_err *e)
{
	cf_node nd = {0};
	cf_certrow old = {0};
	bool found = false;
	cf_code rc = cf_store_begin(st, e);
	if (rc == CF_OK)
		rc = cf_store_node_get(st, node, &nd, e);
	if (rc == CF_OK)
		rc = named_find(st, nd.id, CF_LSC, device, &old, &found, e);
	if (rc == CF_OK && !found)
		rc = cf_err_set(e, CF_E_NOTFOUND, device, "%s holds no LSC of this device", nd.fqdn);
	if (rc == CF_OK)
		rc = cf_store_named_delete(st, nd.id, CF_LSC, device, e);
	if (rc == CF_OK)
		rc = cf_store_commit(st, e);
	cf_store_rollback(st);
	cf_certrow_free(&old);
	cf_node_free(&nd);
	return rc;
}

cf_code cf_lsc_delete(cf_store *st, const char *node, const char *device, cf_err *e)
{
	cf_code rc;
	CF_STORE_WRITE(st, e, rc, lsc_delete_once(st, node, device, e));
	return rc;
}
