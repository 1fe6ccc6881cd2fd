/* Revocation at a local CA and its CRLs. */
#include "core/ca/revoke.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ca/ocsp.h"
#include "crypto/issue.h"

cf_code cf_ca_serial_parse(const char *text, char out[64], cf_err *e)
{
	char digits[64];
	size_t n = 0;
	const char *p = text;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
		p += 2;
	for (; *p != '\0'; p++) {
		if (*p == ':' || *p == ' ')
			continue;
		if (!isxdigit((unsigned char)*p) || n + 2 >= sizeof(digits))
			return cf_err_set(e, CF_E_INPUT, "--serial",
					  "expected a serial number in hex (at most 40 digits)");
		digits[n++] = (char)tolower((unsigned char)*p);
	}
	digits[n] = '\0';
	size_t skip = 0;
	while (skip + 1 < n && digits[skip] == '0')
		skip++;
	if (n == 0 || (n - skip == 1 && digits[skip] == '0'))
		return cf_err_set(e, CF_E_INPUT, "--serial", "expected a serial number in hex, not zero");
	/* whole octets, as the store writes them: an odd count gets a leading 0 */
	snprintf(out, 64, "%s%s", (n - skip) % 2 ? "0" : "", digits + skip);
	return CF_OK;
}

cf_code cf_ca_reason_parse(const char *text, int *code, cf_err *e)
{
	if (text == NULL || strcmp(text, "unspecified") == 0) {
		*code = -1;
		return CF_OK;
	}
	int c = cf_issue_reason_code(text);
	if (c < 0 || c == 6 || c == 8) /* certificateHold, removeFromCRL: a revocation here is final */
		return cf_err_set(e, CF_E_INPUT, "--reason",
				  "expected unspecified, keyCompromise, cACompromise, affiliationChanged, superseded, "
				  "cessationOfOperation, privilegeWithdrawn or aACompromise");
	*code = c;
	return CF_OK;
}

/* Builds and keeps the next CRL of ca (inside a transaction). */
static cf_code crl_make_in(cf_store *st, const cf_ca *ca, int64_t now, cf_err *e)
{
	cf_caissued *rev = NULL;
	size_t n = 0;
	uint8_t *der = NULL, *serials = NULL;
	size_t len = 0;
	cf_carow cur = {0};
	/* the number from the row as it is now, inside this transaction */
	cf_code rc = cf_store_ca_get(st, ca->row.name, false, &cur, e);
	if (rc == CF_OK)
		rc = cf_store_ca_revoked_list(st, ca->row.id, &rev, &n, e);
	if (rc != CF_OK)
		goto out;
	cf_crl_entry *entries = calloc(n ? n : 1, sizeof(*entries));
	serials = malloc(n ? n * 32 : 1);
	if (entries == NULL || serials == NULL) {
		free(entries);
		rc = cf_err_set(e, CF_E_INTERNAL, "CRL", "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		uint8_t *b = serials + i * 32;
		entries[i] = (cf_crl_entry){.serial = b,
					    .serial_len = cf_ca_serial_bytes(rev[i].serial, b),
					    .revoked_at = rev[i].revoked_at,
					    .reason = rev[i].reason};
	}
	cf_crl_spec spec = {.this_update = now,
			    .next_update = now + cur.crl_validity,
			    .number = (uint64_t)cur.crl_number + 1,
			    .entries = entries,
			    .n = n};
	rc = cf_issue_crl(&spec, ca->cert, ca->signer, &der, &len, e);
	free(entries);
	if (rc == CF_OK)
		rc = cf_store_ca_crl_put(st, ca->row.id, cur.crl_number + 1, spec.this_update, spec.next_update, der,
					 len, e);
out:
	free(der);
	free(serials);
	for (size_t i = 0; i < n; i++)
		cf_caissued_clear(&rev[i]);
	free(rev);
	cf_carow_free(&cur);
	return rc;
}

static cf_code revoke_once(cf_store *st, const cf_audit_actor *a, const cf_ca *ca, const char *serial, int reason,
			   int64_t now, cf_err *e)
{
	cf_code rc = cf_store_begin(st, e);
	if (rc == CF_OK)
		rc = cf_store_ca_revoke(st, ca->row.id, serial, now, reason, e);
	if (rc == CF_OK)
		rc = crl_make_in(st, ca, now, e);
	if (rc == CF_OK) /* the answers about it say so at once */
		rc = cf_ca_ocsp_resign(st, ca, serial, now, reason, now, e);
	if (rc == CF_OK) {
		char object[256];
		snprintf(object, sizeof(object), "%s %s", ca->row.name, serial);
		cf_store_audit_pending(st, a->account, a->client, "ca revoke", object);
	}
	return cf_store_finish(st, rc, e);
}

cf_code cf_ca_revoke(cf_store *st, const cf_audit_actor *a, const char *ca_name, const char *serial, int reason,
		     int64_t now, cf_err *e)
{
	cf_ca *ca = NULL;
	char norm[64];
	cf_code rc = cf_ca_serial_parse(serial, norm, e);
	if (rc == CF_OK)
		rc = cf_ca_open(st, ca_name, &ca, e);
	if (rc == CF_OK)
		CF_STORE_WRITE(st, e, rc, revoke_once(st, a, ca, norm, reason, now, e));
	cf_ca_close(ca);
	return rc;
}

static cf_code crl_once(cf_store *st, const cf_audit_actor *a, const cf_ca *ca, int64_t now, cf_err *e)
{
	cf_code rc = cf_store_begin(st, e);
	if (rc == CF_OK)
		rc = crl_make_in(st, ca, now, e);
	if (rc == CF_OK && a != NULL)
		cf_store_audit_pending(st, a->account, a->client, "ca crl", ca->row.name);
	return cf_store_finish(st, rc, e);
}

cf_code cf_ca_crl_make(cf_store *st, const cf_audit_actor *a, const char *ca_name, int64_t now, cf_err *e)
{
	cf_ca *ca = NULL;
	cf_code rc = cf_ca_open(st, ca_name, &ca, e);
	if (rc == CF_OK)
		CF_STORE_WRITE(st, e, rc, crl_once(st, a, ca, now, e));
	cf_ca_close(ca);
	return rc;
}

cf_code cf_ca_crl_current(cf_store *st, const char *ca_name, int64_t now, uint8_t **der, size_t *len, cf_err *e)
{
	cf_carow row = {0};
	int64_t next = 0;
	cf_code rc = cf_store_ca_get(st, ca_name, false, &row, e);
	if (rc != CF_OK)
		return rc;
	cf_err le = {0};
	rc = cf_store_ca_crl_get(st, row.id, der, len, NULL, &next, &le);
	if (rc == CF_OK && next > now) {
		cf_carow_free(&row);
		return CF_OK;
	}
	if (rc == CF_OK)
		free(*der);
	else if (rc != CF_E_NOTFOUND) {
		cf_carow_free(&row);
		if (e != NULL)
			*e = le;
		return rc;
	}
	rc = cf_ca_crl_make(st, NULL, ca_name, now, e);
	if (rc == CF_OK)
		rc = cf_store_ca_crl_get(st, row.id, der, len, NULL, NULL, e);
	cf_carow_free(&row);
	return rc;
}

cf_code cf_ca_crl_pass(cf_store *st, int64_t now, void (*say)(void *arg, bool error, const char *line), void *arg,
		       int64_t *next, cf_err *e)
{
	cf_carow *v = NULL;
	size_t n = 0;
	char line[1600];
	*next = now + CF_CA_CRL_INTERVAL;
	cf_code rc = cf_store_ca_list(st, &v, &n, e);
	if (rc != CF_OK)
		return rc;
	for (size_t i = 0; i < n; i++) {
		uint8_t *der = NULL;
		size_t len = 0;
		int64_t this_update = 0, due = now;
		if (cf_store_ca_crl_get(st, v[i].id, &der, &len, &this_update, NULL, NULL) == CF_OK)
			due = this_update + v[i].crl_interval;
		free(der);
		if (due <= now) {
			cf_err me = {0};
			if (cf_ca_crl_make(st, NULL, v[i].name, now, &me) == CF_OK) {
				snprintf(line, sizeof(line), "ca: %s: CRL %lld made", v[i].name,
					 (long long)v[i].crl_number + 1);
				due = now + v[i].crl_interval;
			} else {
				snprintf(line, sizeof(line), "ca: %s: the CRL could not be made: %s", v[i].name,
					 me.message);
				due = now + 300; /* try again in five minutes */
			}
			if (say != NULL)
				say(arg, me.code != CF_OK, line);
		}
		if (due < *next)
			*next = due;
	}
	for (size_t i = 0; i < n; i++)
		cf_carow_free(&v[i]);
	free(v);
	return CF_OK;
}
