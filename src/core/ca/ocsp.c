/* A local CA's OCSP answers signed ahead, and its delegated responder. */
#include "core/ca/ocsp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/jobs/jobs.h"
#include "crypto/issue.h"
#include "util/parallel.h"
#include "util/secret.h"

#define DAY 86400
#define CHUNK 512
/* Certificates expired longer ago than this are no longer answered for afresh. */
#define EXPIRED_GRACE (7 * DAY)

static const char *const hashes[] = {"sha1", "sha256"};
#define N_HASHES 2

cf_code cf_ca_ocsp_sign(const cf_ca *ca, const cf_ocsp_answer *answers, size_t n, const uint8_t *nonce,
			size_t nonce_len, int64_t now, uint8_t **der, size_t *len, cf_err *e)
{
	cf_cert *const certs[1] = {ca->ocsp_cert};
	return cf_ocsp_resp_build(answers, n, nonce, nonce_len, now, ca->ocsp_cert ? ca->ocsp_cert : ca->cert, certs,
				  ca->ocsp_cert ? 1 : 0, ca->ocsp_signer ? ca->ocsp_signer : ca->signer, der, len, e);
}

/* One certificate's answers: out[0] SHA-1, out[1] SHA-256 (their der owned). */
static cf_code sign_pair(const cf_ca *ca, const char *serial, int64_t revoked_at, int reason, int64_t now,
			 cf_caanswer out[N_HASHES], cf_err *e)
{
	uint8_t sb[32];
	size_t sl = cf_ca_serial_bytes(serial, sb);
	if (sl == 0)
		return cf_err_set(e, CF_E_INTERNAL, serial, "not a stored serial");
	cf_code rc = CF_OK;
	for (int h = 0; h < N_HASHES && rc == CF_OK; h++) {
		uint8_t *certid = NULL;
		size_t cl = 0;
		rc = cf_ocsp_resp_certid(ca->cert, sb, sl, hashes[h], &certid, &cl, e);
		if (rc != CF_OK)
			break;
		cf_ocsp_answer a = {.certid = certid,
				    .certid_len = cl,
				    .status = revoked_at ? CF_OCSP_REVOKED : CF_OCSP_GOOD,
				    .revoked_at = revoked_at,
				    .reason = revoked_at ? reason : -1,
				    .this_update = now,
				    .next_update = now + ca->row.ocsp_validity};
		memset(&out[h], 0, sizeof(out[h]));
		snprintf(out[h].serial, sizeof(out[h].serial), "%s", serial);
		out[h].hash = hashes[h];
		out[h].this_update = a.this_update;
		out[h].next_update = a.next_update;
		rc = cf_ca_ocsp_sign(ca, &a, 1, NULL, 0, now, &out[h].der, &out[h].len, e);
		free(certid);
	}
	if (rc != CF_OK)
		for (int h = 0; h < N_HASHES; h++)
			free(out[h].der), out[h].der = NULL;
	return rc;
}

cf_code cf_ca_ocsp_resign(cf_store *st, const cf_ca *ca, const char *serial, int64_t revoked_at, int reason,
			  int64_t now, cf_err *e)
{
	cf_caanswer v[N_HASHES];
	cf_code rc = sign_pair(ca, serial, revoked_at, reason, now, v, e);
	if (rc != CF_OK)
		return rc;
	rc = cf_store_ca_ocsp_put(st, ca->row.id, v, N_HASHES, e);
	for (int h = 0; h < N_HASHES; h++)
		free(v[h].der);
	return rc;
}

/* ---- the delegated responder ---- */

/* A new responder certificate and key for ca, issued and recorded in the caller's transaction. */
static cf_code responder_issue_in(cf_store *st, const cf_ca *ca, int64_t now, cf_err *e)
{
	cf_facts f = {0};
	cf_key *key = NULL;
	cf_csr *csr = NULL;
	cf_cert *cert = NULL;
	char *key_pem = NULL, cn[160];
	uint8_t serial[CF_SERIAL_LEN];
	cf_keyspec ks;
	cf_code rc = cf_cert_facts(ca->cert, &f, e);
	if (rc == CF_OK)
		rc = cf_keyspec_parse(f.key_type == CF_KEY_EC ? "ec:prime256v1" : "rsa:2048", &ks, e);
	snprintf(cn, sizeof(cn), "%s OCSP Responder", ca->row.name);
	cf_reqspec rs = {.dn = {.cn = cn}};
	if (rc == CF_OK && (rc = cf_key_generate(&ks, &key, e)) == CF_OK &&
	    (rc = cf_csr_create(&rs, key, &csr, e)) == CF_OK)
		rc = cf_issue_serial(serial, e);
	if (rc != CF_OK)
		goto out;
	int64_t na = now + (int64_t)CF_CA_OCSP_RESPONDER_DAYS * DAY;
	cf_issue_spec is = {.serial = serial,
			    .serial_len = sizeof(serial),
			    .not_before = now - CF_CA_BACKDATE,
			    .not_after = na < ca->row.not_after ? na : ca->row.not_after,
			    .ku = CF_KU_DIGITAL_SIGNATURE,
			    .eku = CF_EKU_OCSP_SIGNING,
			    .pathlen = -1,
			    .ocsp_nocheck = true};
	if ((rc = cf_issue_cert(csr, &is, ca->cert, ca->signer, &cert, e)) != CF_OK)
		goto out;
	if ((key_pem = cf_key_pem(key)) == NULL) {
		rc = cf_err_set(e, CF_E_INTERNAL, ca->row.name, "cannot encode the responder's key");
		goto out;
	}
	cf_caissued row = {.subject = cn, .profile = "ocsp", .not_after = is.not_after, .issued_at = now};
	const uint8_t *der = cf_cert_der(cert, &row.der_len);
	row.der = (uint8_t *)der;
	for (size_t i = 0; i < sizeof(serial); i++)
		snprintf(row.serial + 2 * i, 3, "%02x", serial[i]);
	rc = cf_store_ca_issued_add(st, ca->row.id, &row, 1, e);
	if (rc == CF_OK)
		rc = cf_store_ca_ocsp_signer_put(st, ca->row.id, der, row.der_len, key_pem, e);
out:
	cf_secret_free(key_pem);
	cf_cert_free(cert);
	cf_csr_free(csr);
	cf_key_free(key);
	cf_facts_free(&f);
	return rc;
}

static cf_code responder_set_once(cf_store *st, const cf_audit_actor *a, const cf_ca *ca, bool delegated, int64_t now,
				  cf_err *e)
{
	cf_code rc = cf_store_begin(st, e);
	if (rc == CF_OK)
		rc = delegated ? responder_issue_in(st, ca, now, e)
			       : cf_store_ca_ocsp_signer_put(st, ca->row.id, NULL, 0, NULL, e);
	if (rc == CF_OK)
		rc = cf_jobs_bring_forward(st, CF_DUTY_CA_OCSP, now, e);
	if (rc == CF_OK && a != NULL)
		cf_store_audit_pending(st, a->account, a->client, "ca config", ca->row.name);
	return cf_store_finish(st, rc, e);
}

cf_code cf_ca_ocsp_responder_set(cf_store *st, const cf_audit_actor *a, const char *name, bool delegated, int64_t now,
				 cf_err *e)
{
	cf_ca *ca = NULL;
	cf_code rc = cf_ca_open(st, name, &ca, e);
	if (rc == CF_OK)
		CF_STORE_WRITE(st, e, rc, responder_set_once(st, a, ca, delegated, now, e));
	cf_ca_close(ca);
	return rc;
}

/* ---- the pass ---- */

typedef struct chunk {
	const cf_ca *ca;
	const cf_caissued *due;
	cf_caanswer *out; /* N_HASHES per certificate */
	cf_code *rc;
	cf_err *err;
	int64_t now;
} chunk;

static void sign_slice(void *ctx, size_t begin, size_t end)
{
	chunk *c = ctx;
	for (size_t i = begin; i < end; i++)
		c->rc[i] = sign_pair(c->ca, c->due[i].serial, c->due[i].revoked_at, c->due[i].reason, c->now,
				     &c->out[i * N_HASHES], &c->err[i]);
}

static cf_code put_once(cf_store *st, int64_t ca_id, const cf_caanswer *v, size_t n, cf_err *e)
{
	cf_code rc = cf_store_begin(st, e);
	if (rc == CF_OK)
		rc = cf_store_ca_ocsp_put(st, ca_id, v, n, e);
	return cf_store_finish(st, rc, e);
}

/* Signs the CA's due answers chunk by chunk; *signed_n counts the certificates. */
static cf_code sign_due(cf_store *st, const cf_ca *ca, int64_t now, bool (*keep)(void *), void *keep_arg,
			size_t *signed_n, cf_err *e)
{
	cf_code rc = CF_OK;
	*signed_n = 0;
	for (;;) {
		cf_caissued *due = NULL;
		size_t n = 0;
		rc = cf_store_ca_ocsp_due(st, ca->row.id, now - EXPIRED_GRACE, now - ca->row.ocsp_validity / 2, CHUNK,
					  &due, &n, e);
		if (rc != CF_OK || n == 0) {
			free(due);
			break;
		}
		cf_caanswer *out = calloc(n * N_HASHES, sizeof(*out));
		cf_code *rcs = calloc(n, sizeof(*rcs));
		cf_err *errs = calloc(n, sizeof(*errs));
		if (out == NULL || rcs == NULL || errs == NULL) {
			rc = cf_err_set(e, CF_E_INTERNAL, ca->row.name, "out of memory");
		} else {
			chunk c = {.ca = ca, .due = due, .out = out, .rc = rcs, .err = errs, .now = now};
			cf_parallel_for(n, 32, sign_slice, &c);
			for (size_t i = 0; i < n && rc == CF_OK; i++)
				if (rcs[i] != CF_OK) {
					*e = errs[i];
					rc = rcs[i];
				}
			if (rc == CF_OK)
				CF_STORE_WRITE(st, e, rc, put_once(st, ca->row.id, out, n * N_HASHES, e));
		}
		for (size_t i = 0; out != NULL && i < n * N_HASHES; i++)
			free(out[i].der);
		free(out);
		free(rcs);
		free(errs);
		free(due);
		if (rc != CF_OK)
			break;
		*signed_n += n;
		if (n < CHUNK || (keep != NULL && !keep(keep_arg)))
			break;
	}
	return rc;
}

/* Renews the CA's delegated responder when two thirds of its life have passed. */
static cf_code responder_renew(cf_store *st, const cf_ca *ca, int64_t now, bool *renewed, cf_err *e)
{
	cf_facts f = {0};
	*renewed = false;
	if (ca->ocsp_cert == NULL)
		return CF_OK;
	cf_code rc = cf_cert_facts(ca->ocsp_cert, &f, e);
	if (rc == CF_OK && now >= f.not_before + (f.not_after - f.not_before) * 2 / 3) {
		CF_STORE_WRITE(st, e, rc, responder_set_once(st, NULL, ca, true, now, e));
		*renewed = rc == CF_OK;
	}
	cf_facts_free(&f);
	return rc;
}

cf_code cf_ca_ocsp_pass(cf_store *st, int64_t now, void (*say)(void *arg, bool error, const char *line), void *arg,
			bool (*keep)(void *arg), void *keep_arg, int64_t *next, cf_err *e)
{
	cf_carow *v = NULL;
	size_t n = 0;
	char line[1600];
	*next = now + DAY;
	cf_code rc = cf_store_ca_list(st, &v, &n, e);
	if (rc != CF_OK)
		return rc;
	for (size_t i = 0; i < n; i++) {
		cf_ca *ca = NULL;
		cf_err ce = {0};
		size_t signed_n = 0;
		bool renewed = false;
		int64_t due = now + v[i].ocsp_validity / 2;
		cf_code crc = cf_ca_open(st, v[i].name, &ca, &ce);
		if (crc == CF_OK)
			crc = responder_renew(st, ca, now, &renewed, &ce);
		if (crc == CF_OK && renewed) { /* its answers were dropped: open it again with the new one */
			cf_ca_close(ca);
			ca = NULL;
			crc = cf_ca_open(st, v[i].name, &ca, &ce);
		}
		if (crc == CF_OK)
			crc = sign_due(st, ca, now, keep, keep_arg, &signed_n, &ce);
		if (crc == CF_OK) {
			int64_t oldest = 0;
			if (cf_store_ca_ocsp_oldest(st, v[i].id, &oldest, NULL) == CF_OK && oldest != 0)
				due = oldest + v[i].ocsp_validity / 2;
			if (signed_n == CHUNK || due < now) /* stopped between chunks: more to do */
				due = now + 1;
			if ((signed_n > 0 || renewed) && say != NULL) {
				snprintf(line, sizeof(line), "ca: %s: %zu certificates' OCSP answers signed%s",
					 v[i].name, signed_n, renewed ? " (a new delegated responder)" : "");
				say(arg, false, line);
			}
		} else {
			due = now + 300;
			if (say != NULL) {
				snprintf(line, sizeof(line), "ca: %s: OCSP answers could not be signed: %s", v[i].name,
					 ce.message);
				say(arg, true, line);
			}
		}
		if (due < *next)
			*next = due;
		cf_ca_close(ca);
	}
	for (size_t i = 0; i < n; i++)
		cf_carow_free(&v[i]);
	free(v);
	return CF_OK;
}
