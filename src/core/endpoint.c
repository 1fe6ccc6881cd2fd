/* Endpoint certificates: phones' LSCs kept on their CAPF node (see endpoint.h). */
#include "core/endpoint.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/clock.h"

#define LSC_KEY_BITS_MIN 2048

bool cf_device_name_ok(const char *name)
{
	size_t n = strlen(name);
	return n >= 1 && n <= CF_DEVICE_NAME_MAX &&
	       strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == n;
}

/* The certificates an LSC of the node may be issued by: its CAPF certificate and the CAs of its
 * CAPF-trust and CallManager-trust. */
typedef struct issuers {
	cf_cert **v;
	size_t n;
} issuers;

static void issuers_free(issuers *is)
{
	cf_certs_free(is->v, is->n);
	memset(is, 0, sizeof(*is));
}

static cf_code issuers_append(issuers *is, cf_cert **add, size_t n, cf_err *e)
{
	cf_cert **v = realloc(is->v, (is->n + n + 1) * sizeof(*v));
	if (v == NULL) {
		cf_certs_free(add, n);
		return cf_err_set(e, CF_E_INTERNAL, "endpoint", "out of memory");
	}
	memcpy(v + is->n, add, n * sizeof(*add));
	is->v = v;
	is->n += n;
	free(add);
	return CF_OK;
}

static cf_code issuers_load(cf_store *st, const cf_node *node, issuers *is, cf_err *e)
{
	static const char *const stores[] = {"CAPF-trust", "CallManager-trust"};
	cf_certrow capf = {0};
	cf_code rc = cf_store_identity_get(st, node->id, "CAPF", false, &capf, NULL);
	if (rc == CF_OK) {
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
	} else {
		rc = CF_OK; /* no CAPF certificate: only CAs of the trust stores issue */
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

/* The rules an LSC must meet; the issuer found goes to *issuer. */
static cf_code check_lsc(const char *name, size_t index, size_t total, const cf_cert *cert, const cf_facts *f,
			 const issuers *is, const cf_node *node, const cf_cert **issuer, cf_err *e)
{
	char where[64] = "";
	if (total > 1)
		snprintf(where, sizeof(where), "certificate %zu of %zu: ", index + 1, total);
	if (f->ca)
		return cf_err_set(e, CF_E_INPUT, name, "%s\"%s\" is a CA certificate, not an LSC", where, f->subject);
	if (!cf_device_name_ok(f->cn))
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
	*issuer = NULL;
	for (size_t i = 0; i < is->n && *issuer == NULL; i++)
		if (cf_cert_issued_by(cert, is->v[i]))
			*issuer = is->v[i];
	if (*issuer == NULL)
		return cf_err_set(e, CF_E_INPUT, name,
				  "%s%s: its issuer \"%s\" is neither the CAPF certificate of %s nor a CA in its "
				  "CAPF-trust or CallManager-trust [untrusted-issuer]",
				  where, f->cn, f->issuer, node->fqdn);
	return CF_OK;
}

/* Stores one checked LSC: added, replacing the device's previous one, or unchanged. */
static cf_code place(cf_store *st, const cf_node *node, const cf_cert *cert, const cf_facts *f, const cf_cert *issuer,
		     cf_lsc_counts *counts, cf_outcome *out, cf_err *e)
{
	cf_certrow old = {0};
	cf_code rc = cf_store_named_get(st, node->id, CF_LSC, f->cn, false, &old, NULL);
	bool had = rc == CF_OK;
	if (had && strcmp(old.facts.sha256, f->sha256) == 0) {
		counts->unchanged++;
		cf_certrow_free(&old);
		return CF_OK;
	}
	if (had && old.facts.not_after > f->not_after)
		cf_warn(&out->warnings, "older-lsc", "%s: the LSC imported expires before the one it replaces", f->cn);
	cf_certrow_free(&old);
	if (had && (rc = cf_store_named_delete(st, node->id, CF_LSC, f->cn, e)) != CF_OK)
		return rc;
	cf_facts issuer_facts = {0};
	size_t der_len = 0;
	const uint8_t *der = cf_cert_der(cert, &der_len);
	cf_certrow row = {.node_id = node->id,
			  .kind = CF_LSC,
			  .name = f->cn,
			  .der = (uint8_t *)der,
			  .der_len = der_len,
			  .facts = *f,
			  .distribution = (char *)"single-server",
			  .source = (char *)"upload",
			  .warnings = (char *)"[]"};
	if ((rc = cf_cert_facts(issuer, &issuer_facts, e)) == CF_OK) {
		snprintf(row.anchor_sha256, sizeof(row.anchor_sha256), "%s", issuer_facts.sha256);
		rc = cf_store_cert_insert(st, &row, e);
	}
	cf_facts_free(&issuer_facts);
	if (rc != CF_OK)
		return rc;
	cf_outcome_add_id(out, row.id);
	if (had)
		counts->replaced++;
	else
		counts->added++;
	if (f->not_after < cf_clock_now())
		cf_warn(&out->warnings, "expired", "%s: the LSC has already expired", f->cn);
	return CF_OK;
}

cf_code cf_lsc_import(cf_store *st, const char *node, const char *name, const uint8_t *buf, size_t len,
		      cf_lsc_counts *counts, cf_outcome *out, cf_err *e)
{
	cf_cert **certs = NULL;
	size_t n = 0;
	cf_facts *facts = NULL;
	const cf_cert **issuer = NULL;
	issuers is = {0};
	cf_node nd = {0};
	memset(counts, 0, sizeof(*counts));
	cf_code rc = cf_cert_parse_bundle(name, buf, len, &certs, &n, e);
	if (rc != CF_OK)
		return rc;
	if ((facts = calloc(n, sizeof(*facts))) == NULL || (issuer = calloc(n, sizeof(*issuer))) == NULL) {
		rc = cf_err_set(e, CF_E_INTERNAL, name, "out of memory");
		goto out;
	}
	if ((rc = cf_certs_facts(certs, n, facts, e)) != CF_OK || (rc = cf_store_begin(st, e)) != CF_OK ||
	    (rc = cf_store_node_get(st, node, &nd, e)) != CF_OK)
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
		rc = check_lsc(name, i, n, certs[i], &facts[i], &is, &nd, &issuer[i], e);
		for (size_t k = 0; k < i && rc == CF_OK; k++)
			if (strcmp(facts[k].cn, facts[i].cn) == 0)
				rc = cf_err_set(e, CF_E_INPUT, name, "certificates %zu and %zu are both LSCs of %s",
						k + 1, i + 1, facts[i].cn);
	}
	for (size_t i = 0; i < n && rc == CF_OK; i++)
		rc = place(st, &nd, certs[i], &facts[i], issuer[i], counts, out, e);
	if (rc == CF_OK)
		rc = cf_store_commit(st, e);
out:
	cf_store_rollback(st);
	issuers_free(&is);
	cf_node_free(&nd);
	for (size_t i = 0; facts != NULL && i < n; i++)
		cf_facts_free(&facts[i]);
	free(facts);
	free(issuer);
	cf_certs_free(certs, n);
	return rc;
}

cf_code cf_lsc_delete(cf_store *st, const char *node, const char *device, cf_err *e)
{
	cf_node nd = {0};
	cf_certrow old = {0};
	cf_code rc = cf_store_begin(st, e);
	if (rc == CF_OK)
		rc = cf_store_node_get(st, node, &nd, e);
	if (rc == CF_OK && cf_store_named_get(st, nd.id, CF_LSC, device, false, &old, NULL) != CF_OK)
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
