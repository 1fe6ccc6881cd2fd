/* Local CAs: create, import, settings, and a CA opened for signing. */
#include "core/ca/ca.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/admin/accounts.h"
#include "crypto/issue.h"
#include "util/buf.h"
#include "util/secret.h"
#include "util/text.h"

#define ROOT_DAYS 3650
#define SUB_DAYS 1825
#define DAY 86400
#define DN_MAX 256

cf_code cf_ca_check_name(const char *name, cf_err *e)
{
	cf_code rc = cf_account_check_name(name, e); /* the rule of user names */
	if (rc != CF_OK)
		cf_err_subject(e, "CA name");
	return rc;
}

/* The parts of a subject, each pointing into buf. */
typedef struct dn_parts {
	char buf[DN_MAX * 2];
	cf_dn dn;
} dn_parts;

/* Reads "/C=US/O=Example/CN=Root" or "CN=Root,O=Example" (C, ST, L, O, OU, CN; one each). */
static cf_code parse_subject(const char *text, dn_parts *out, cf_err *e)
{
	memset(out, 0, sizeof(*out));
	if (strlen(text) >= sizeof(out->buf) - 1)
		return cf_err_set(e, CF_E_INPUT, "--subject", "too long");
	bool slash = text[0] == '/';
	snprintf(out->buf, sizeof(out->buf), "%s", slash ? text + 1 : text);
	const char *sep = slash ? "/" : ",";
	char *save = NULL;
	for (char *part = strtok_r(out->buf, sep, &save); part != NULL; part = strtok_r(NULL, sep, &save)) {
		while (*part == ' ')
			part++;
		char *eq = strchr(part, '=');
		if (eq == NULL || eq[1] == '\0')
			return cf_err_set(e, CF_E_INPUT, "--subject", "expected KEY=VALUE, not \"%s\"", part);
		*eq = '\0';
		const char **slot = strcmp(part, "C") == 0    ? &out->dn.c
				    : strcmp(part, "ST") == 0 ? &out->dn.st
				    : strcmp(part, "L") == 0  ? &out->dn.l
				    : strcmp(part, "O") == 0  ? &out->dn.o
				    : strcmp(part, "OU") == 0 ? &out->dn.ou
				    : strcmp(part, "CN") == 0 ? &out->dn.cn
							      : NULL;
		if (slot == NULL)
			return cf_err_set(e, CF_E_INPUT, "--subject", "\"%s\" is not one of C, ST, L, O, OU, CN", part);
		if (*slot != NULL)
			return cf_err_set(e, CF_E_INPUT, "--subject", "%s is given twice", part);
		if (!cf_text_clean(eq + 1, strlen(eq + 1)))
			return cf_err_set(e, CF_E_INPUT, "--subject", "%s holds a control character", part);
		*slot = eq + 1;
	}
	if (out->dn.cn == NULL)
		return cf_err_set(e, CF_E_INPUT, "--subject", "a CA's subject needs a CN");
	if (out->dn.c != NULL && strlen(out->dn.c) != 2)
		return cf_err_set(e, CF_E_INPUT, "--subject", "C must be a two-letter country code");
	return CF_OK;
}

void cf_ca_urls(const cf_carow *row, char crl[512], char ocsp[512])
{
	crl[0] = ocsp[0] = '\0';
	if (row->base_url == NULL || row->base_url[0] == '\0')
		return;
	size_t n = strlen(row->base_url);
	const char *slash = row->base_url[n - 1] == '/' ? "" : "/";
	snprintf(crl, 512, "%s%scrl/%s.crl", row->base_url, slash, row->name);
	snprintf(ocsp, 512, "%s%socsp/%s", row->base_url, slash, row->name);
}

cf_code cf_ca_open(cf_store *st, const char *name, cf_ca **out, cf_err *e)
{
	cf_ca *ca = calloc(1, sizeof(*ca));
	cf_key *key = NULL;
	if (ca == NULL)
		return cf_err_set(e, CF_E_INTERNAL, "CA", "out of memory");
	cf_code rc = cf_store_ca_get(st, name, true, &ca->row, e);
	if (rc == CF_OK && (ca->cert = cf_cert_from_der(ca->row.der, ca->row.der_len)) == NULL)
		rc = cf_err_set(e, CF_E_INTERNAL, name, "the stored CA certificate does not parse");
	if (rc == CF_OK)
		rc = cf_key_parse("the CA's stored key", (const uint8_t *)ca->row.key_pem, strlen(ca->row.key_pem),
				  &key, e);
	if (rc == CF_OK)
		rc = cf_signer_local_new(key, NULL, &ca->signer, e);
	cf_key_free(key);
	key = NULL;
	/* the delegated OCSP responder, when the CA has one */
	if (rc == CF_OK && ca->row.ocsp_der_len > 0) {
		if ((ca->ocsp_cert = cf_cert_from_der(ca->row.ocsp_der, ca->row.ocsp_der_len)) == NULL)
			rc = cf_err_set(e, CF_E_INTERNAL, name, "the stored OCSP responder certificate does not parse");
		if (rc == CF_OK)
			rc = cf_key_parse("the OCSP responder's stored key", (const uint8_t *)ca->row.ocsp_key_pem,
					  strlen(ca->row.ocsp_key_pem), &key, e);
		if (rc == CF_OK)
			rc = cf_signer_local_new(key, NULL, &ca->ocsp_signer, e);
		cf_key_free(key);
	}
	cf_secret_free(ca->row.key_pem);
	cf_secret_free(ca->row.ocsp_key_pem);
	ca->row.key_pem = ca->row.ocsp_key_pem = NULL;
	if (rc != CF_OK) {
		cf_ca_close(ca);
		return rc;
	}
	*out = ca;
	return CF_OK;
}

void cf_ca_close(cf_ca *ca)
{
	if (ca == NULL)
		return;
	cf_carow_free(&ca->row);
	cf_cert_free(ca->cert);
	cf_signer_free(ca->signer);
	cf_cert_free(ca->ocsp_cert);
	cf_signer_free(ca->ocsp_signer);
	free(ca);
}

size_t cf_ca_serial_bytes(const char *hex, uint8_t out[static 32])
{
	size_t n = strlen(hex);
	if (n == 0 || n % 2 != 0 || n > 64)
		return 0;
	for (size_t i = 0; i < n / 2; i++) {
		unsigned v = 0;
		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			return 0;
		out[i] = (uint8_t)v;
	}
	return n / 2;
}

/* Whether text starts with prefix, ignoring ASCII case. */
static bool begins(const char *text, const char *prefix)
{
	return strncasecmp(text, prefix, strlen(prefix)) == 0;
}

/* A walk of the CAs for the certificate list: the filter, what is left to skip and to show. */
typedef struct cert_walk {
	const cf_certfilter *f;
	int (*fn)(void *ctx, const cf_certrow *r);
	void *ctx;
	int64_t selected, skip, left;
} cert_walk;

static int cert_row(void *ctx, const cf_carow *ca)
{
	cert_walk *w = ctx;
	const cf_certfilter *f = w->f;
	cf_certrow r = {.id = -ca->id,
			.node = "",
			.kind = CF_LOCAL_CA,
			.name = ca->name,
			.distribution = "single-server",
			.source = "local-ca",
			.description = ca->parent[0] ? ca->parent : "",
			.chain_pem = "",
			.warnings = "[]",
			.created = ca->created};
	cf_cert *c = cf_cert_from_der(ca->der, ca->der_len);
	if (c == NULL || cf_cert_facts(c, &r.facts, NULL) != CF_OK) {
		cf_cert_free(c);
		cf_facts_free(&r.facts);
		return 0; /* a CA whose certificate does not read: the doctor and ca show say so */
	}
	cf_cert_free(c);
	bool hit = (f->begins_with == NULL || *f->begins_with == '\0' || begins(ca->name, f->begins_with) ||
		    begins(r.facts.cn, f->begins_with)) &&
		   (f->expiring_before == 0 || r.facts.not_after <= f->expiring_before);
	int stop = 0;
	if (hit) {
		w->selected++;
		if (w->fn != NULL && w->skip > 0)
			w->skip--;
		else if (w->fn != NULL && w->left > 0) {
			w->left--;
			stop = w->fn(w->ctx, &r);
		}
	}
	cf_facts_free(&r.facts);
	return stop;
}

cf_code cf_ca_cert_each(cf_store *st, const cf_certfilter *f, int (*fn)(void *ctx, const cf_certrow *r), void *ctx,
			int64_t *count, cf_err *e)
{
	cert_walk w = {.f = f, .fn = fn, .ctx = ctx, .skip = f->offset, .left = f->limit > 0 ? f->limit : INT64_MAX};
	if (count != NULL)
		*count = 0;
	if ((f->node && *f->node) || (f->purpose && *f->purpose) || (f->store && *f->store) ||
	    (f->kind != 0 && f->kind != CF_LOCAL_CA))
		return CF_OK;
	cf_code rc = cf_store_ca_each(st, cert_row, &w, e);
	if (rc == CF_OK && count != NULL)
		*count = w.selected;
	return rc;
}

cf_code cf_ca_chain_pem(cf_store *st, const cf_carow *row, char **out, cf_err *e)
{
	cf_buf b = {0};
	cf_carow cur = {0};
	cf_code rc = cf_store_ca_get(st, row->name, false, &cur, e);
	for (int depth = 0; rc == CF_OK && depth < 16; depth++) {
		cf_cert *c = cf_cert_from_der(cur.der, cur.der_len);
		char *pem = c ? cf_cert_pem(c) : NULL;
		cf_cert_free(c);
		if (pem == NULL) {
			rc = cf_err_set(e, CF_E_INTERNAL, cur.name, "cannot encode the CA certificate");
			break;
		}
		cf_buf_adds(&b, pem);
		free(pem);
		if (cur.parent[0] == '\0')
			break;
		char parent[128];
		snprintf(parent, sizeof(parent), "%s", cur.parent);
		cf_carow_free(&cur);
		rc = cf_store_ca_get(st, parent, false, &cur, e);
	}
	cf_carow_free(&cur);
	if (rc == CF_OK && (b.oom || b.p == NULL))
		rc = cf_err_set(e, CF_E_INTERNAL, "CA", "out of memory");
	if (rc != CF_OK) {
		cf_buf_free(&b);
		return rc;
	}
	*out = b.p;
	return CF_OK;
}

/* Fills the row's certificate columns from cert, and serial with its serial (hex). */
static cf_code row_from_cert(cf_carow *r, const cf_cert *cert, char serial[64], cf_err *e)
{
	cf_facts f = {0};
	size_t len = 0;
	const uint8_t *der = cf_cert_der(cert, &len);
	cf_code rc = cf_cert_facts(cert, &f, e);
	if (rc != CF_OK)
		return rc;
	r->der = malloc(len);
	r->sha256 = strdup(f.sha256);
	r->subject = strdup(f.subject);
	r->not_before = f.not_before;
	r->not_after = f.not_after;
	snprintf(serial, 64, "%s", f.serial);
	cf_facts_free(&f);
	if (r->der == NULL || r->sha256 == NULL || r->subject == NULL)
		return cf_err_set(e, CF_E_INTERNAL, "CA", "out of memory");
	memcpy(r->der, der, len);
	r->der_len = len;
	return CF_OK;
}

/* Adds the CA and, for one made under a parent, the parent's record of issuing it: one change. */
static cf_code add_once(cf_store *st, const cf_audit_actor *a, const char *action, cf_carow *r,
			const cf_caissued *issued, cf_err *e)
{
	cf_code rc = cf_store_begin(st, e);
	if (rc != CF_OK)
		return rc;
	rc = cf_store_ca_add(st, r, e);
	if (rc == CF_OK && issued != NULL)
		rc = cf_store_ca_issued_add(st, r->parent_id, issued, 1, e);
	if (rc == CF_OK)
		cf_store_audit_pending(st, a->account, a->client, action, r->name);
	return cf_store_finish(st, rc, e);
}

/* Keeps the new CA and reads it back without its key into *out. */
static cf_code keep(cf_store *st, const cf_audit_actor *a, const char *action, cf_carow *r, const cf_caissued *issued,
		    cf_carow *out, cf_err *e)
{
	cf_code rc;
	CF_STORE_WRITE(st, e, rc, add_once(st, a, action, r, issued, e));
	if (rc == CF_OK)
		rc = cf_store_ca_get(st, r->name, false, out, e);
	return rc;
}

static cf_carow new_row(const char *name, int64_t now)
{
	return (cf_carow){.name = (char *)name,
			  .created = now,
			  .crl_validity = CF_CA_CRL_VALIDITY,
			  .crl_interval = CF_CA_CRL_INTERVAL,
			  .ocsp_validity = CF_CA_OCSP_VALIDITY};
}

cf_code cf_ca_create(cf_store *st, const cf_audit_actor *a, const cf_ca_spec *spec, int64_t now, cf_carow *out,
		     cf_err *e)
{
	cf_ca *parent = NULL;
	cf_key *key = NULL;
	cf_csr *csr = NULL;
	cf_signer *self = NULL;
	cf_cert *cert = NULL;
	char *key_pem = NULL;
	cf_facts pf = {0};
	dn_parts dn;
	cf_keyspec ks;
	uint8_t serial[CF_SERIAL_LEN];
	char crl_url[512] = "", ocsp_url[512] = "";
	cf_caissued issued = {.profile = "ca", .issued_at = now};
	cf_carow r = new_row(spec->name, now);

	cf_code rc = cf_ca_check_name(spec->name, e);
	if (rc == CF_OK)
		rc = cf_keyspec_parse(spec->key ? spec->key : spec->parent ? "rsa:2048" : "rsa:4096", &ks, e);
	if (rc == CF_OK && spec->hash != NULL)
		rc = cf_hash_check(spec->hash, e);
	if (rc == CF_OK && spec->subject != NULL)
		rc = parse_subject(spec->subject, &dn, e);
	if (rc != CF_OK)
		goto out;
	if (spec->subject == NULL) {
		memset(&dn, 0, sizeof(dn));
		dn.dn.cn = spec->name;
	}
	if (spec->days < 0 || spec->days > 100 * 365 ||
	    (spec->pathlen_set && (spec->pathlen < 0 || spec->pathlen > 16))) {
		rc = cf_err_set(e, CF_E_INPUT, spec->days < 0 || spec->days > 100 * 365 ? "--days" : "--pathlen",
				"out of range");
		goto out;
	}
	int64_t not_after = now + (int64_t)(spec->days ? spec->days : spec->parent ? SUB_DAYS : ROOT_DAYS) * DAY;
	int pathlen = spec->pathlen_set ? spec->pathlen : spec->parent ? 0 : -1;
	if (spec->parent != NULL) {
		if ((rc = cf_ca_open(st, spec->parent, &parent, e)) != CF_OK ||
		    (rc = cf_cert_facts(parent->cert, &pf, e)) != CF_OK)
			goto out;
		if (pf.has_pathlen && (pf.pathlen == 0 || (pathlen >= 0 && pathlen >= pf.pathlen))) {
			rc = cf_err_set(e, CF_E_INPUT, spec->parent,
					pf.pathlen == 0 ? "its path length (0) allows no CA below it"
							: "its path length (%d) allows at most --pathlen %d below it",
					pf.pathlen, pf.pathlen - 1);
			goto out;
		}
		if (!spec->pathlen_set && pf.has_pathlen)
			pathlen = pf.pathlen - 1 < 0 ? 0 : (pathlen < pf.pathlen - 1 ? pathlen : pf.pathlen - 1);
		if (not_after > parent->row.not_after)
			not_after = parent->row.not_after; /* never outlives its issuer */
		cf_ca_urls(&parent->row, crl_url, ocsp_url);
	}
	cf_reqspec rs = {.dn = dn.dn, .ca = true, .ku = CF_KU_KEY_CERT_SIGN | CF_KU_CRL_SIGN, .hash = spec->hash};
	if ((rc = cf_key_generate(&ks, &key, e)) != CF_OK || (rc = cf_csr_create(&rs, key, &csr, e)) != CF_OK ||
	    (rc = cf_issue_serial(serial, e)) != CF_OK)
		goto out;
	cf_issue_spec is = {.serial = serial,
			    .serial_len = sizeof(serial),
			    .not_before = now - CF_CA_BACKDATE,
			    .not_after = not_after,
			    .ku = CF_KU_KEY_CERT_SIGN | CF_KU_CRL_SIGN | CF_KU_DIGITAL_SIGNATURE,
			    .ca = true,
			    .pathlen = pathlen,
			    .crl_url = crl_url,
			    .ocsp_url = ocsp_url};
	if (parent == NULL)
		rc = cf_signer_local_new(key, spec->hash, &self, e);
	if (rc == CF_OK)
		rc = cf_issue_cert(csr, &is, parent ? parent->cert : NULL, parent ? parent->signer : self, &cert, e);
	if (rc == CF_OK)
		rc = row_from_cert(&r, cert, issued.serial, e);
	if (rc != CF_OK)
		goto out;
	if ((key_pem = cf_key_pem(key)) == NULL) {
		rc = cf_err_set(e, CF_E_INTERNAL, spec->name, "cannot encode the key");
		goto out;
	}
	r.key_pem = key_pem;
	r.parent_id = parent ? parent->row.id : 0;
	issued.der = r.der;
	issued.der_len = r.der_len;
	issued.subject = r.subject;
	issued.not_after = r.not_after;
	rc = keep(st, a, "ca create", &r, parent ? &issued : NULL, out, e);
out:
	r.name = NULL;
	r.key_pem = NULL;
	cf_carow_free(&r);
	cf_secret_free(key_pem);
	cf_facts_free(&pf);
	cf_cert_free(cert);
	cf_signer_free(self);
	cf_csr_free(csr);
	cf_key_free(key);
	cf_ca_close(parent);
	return rc;
}

cf_code cf_ca_import(cf_store *st, const cf_audit_actor *a, const char *name, const char *cert_name,
		     const uint8_t *cert, size_t cert_len, const char *key_name, const uint8_t *key, size_t key_len,
		     int64_t now, cf_carow *out, cf_err *e)
{
	cf_cert **certs = NULL;
	size_t n = 0;
	cf_key *k = NULL;
	cf_facts f = {0};
	char *key_pem = NULL, serial[64];
	cf_carow r = new_row(name, now);
	cf_code rc = cf_ca_check_name(name, e);
	if (rc == CF_OK)
		rc = cf_cert_parse_bundle(cert_name, cert, cert_len, &certs, &n, e);
	if (rc == CF_OK)
		rc = cf_key_parse(key_name, key, key_len, &k, e);
	if (rc == CF_OK)
		rc = cf_cert_facts(certs[0], &f, e);
	if (rc != CF_OK)
		goto out;
	if (!cf_key_matches_cert(k, certs[0]))
		rc = cf_err_set(e, CF_E_INPUT, key_name, "this private key does not match the certificate %s",
				cert_name);
	else if (!f.ca)
		rc = cf_err_set(e, CF_E_INPUT, cert_name, "not a CA certificate (basicConstraints CA:TRUE missing)");
	else if (f.has_ku && !(f.ku & CF_KU_KEY_CERT_SIGN))
		rc = cf_err_set(e, CF_E_INPUT, cert_name, "its keyUsage lacks keyCertSign");
	else if (f.key_type != CF_KEY_RSA && f.key_type != CF_KEY_EC)
		rc = cf_err_set(e, CF_E_INPUT, key_name, "only RSA and EC CA keys are supported");
	else if ((key_pem = cf_key_pem(k)) == NULL)
		rc = cf_err_set(e, CF_E_INTERNAL, name, "cannot encode the key");
	if (rc == CF_OK)
		rc = row_from_cert(&r, certs[0], serial, e);
	if (rc != CF_OK)
		goto out;
	r.imported = true;
	r.key_pem = key_pem;
	rc = keep(st, a, "ca import", &r, NULL, out, e);
out:
	r.name = NULL;
	r.key_pem = NULL;
	cf_carow_free(&r);
	cf_secret_free(key_pem);
	cf_facts_free(&f);
	cf_key_free(k);
	cf_certs_free(certs, n);
	return rc;
}

static cf_code check_base_url(const char *url, cf_err *e)
{
	if (url[0] == '\0')
		return CF_OK;
	bool scheme = strncmp(url, "http://", 7) == 0 || strncmp(url, "https://", 8) == 0;
	const char *host = url + (url[4] == 's' ? 8 : 7);
	if (!scheme || host[0] == '\0' || host[0] == '/' || strpbrk(url, "?# \"<>\\") != NULL ||
	    !cf_text_clean(url, strlen(url)) || strlen(url) > 400)
		return cf_err_set(e, CF_E_INPUT, "--base-url",
				  "expected http://HOST[:PORT][/PATH] (or https), without query or fragment");
	return CF_OK;
}

static cf_code config_once(cf_store *st, const cf_audit_actor *a, const char *name, const cf_ca_settings *set,
			   cf_err *e)
{
	cf_carow r = {0};
	cf_code rc = cf_store_begin(st, e);
	if (rc == CF_OK)
		rc = cf_store_ca_get(st, name, false, &r, e);
	if (rc == CF_OK) {
		char *url = set->base_url ? strdup(set->base_url) : NULL;
		if (url != NULL) {
			free(r.base_url);
			r.base_url = url;
		}
		if (set->crl_validity >= 0)
			r.crl_validity = set->crl_validity;
		if (set->crl_interval >= 0)
			r.crl_interval = set->crl_interval;
		if (set->ocsp_validity >= 0)
			r.ocsp_validity = set->ocsp_validity;
		if (r.crl_validity < 3600 || r.ocsp_validity < 600 || r.crl_interval < 600)
			rc = cf_err_set(e, CF_E_INPUT, name,
					"the CRL must be valid an hour at least, OCSP answers 10 minutes, the interval "
					"10 minutes");
		else if (r.crl_interval >= r.crl_validity)
			rc = cf_err_set(e, CF_E_INPUT, name,
					"the CRL interval must be shorter than its validity (a CRL must be replaced "
					"before it expires)");
		if (rc == CF_OK)
			rc = cf_store_ca_config(st, &r, e);
	}
	if (rc == CF_OK)
		cf_store_audit_pending(st, a->account, a->client, "ca config", name);
	cf_carow_free(&r);
	return cf_store_finish(st, rc, e);
}

cf_code cf_ca_config(cf_store *st, const cf_audit_actor *a, const char *name, const cf_ca_settings *set, cf_carow *out,
		     cf_err *e)
{
	cf_code rc = set->base_url ? check_base_url(set->base_url, e) : CF_OK;
	if (rc == CF_OK)
		CF_STORE_WRITE(st, e, rc, config_once(st, a, name, set, e));
	if (rc == CF_OK)
		rc = cf_store_ca_get(st, name, false, out, e);
	return rc;
}
