/* Local CAs (SPEC §9): a hierarchy kept in the store — roots and intermediates made here, or
 * imported with their keys — each CA's settings, and a CA opened for signing. Keys sign only
 * through a cf_signer (crypto/signer.h). Each change is one transaction with its audit row
 * ("ca create", "ca import", "ca config"; object the CA's name). */
#ifndef CF_CA_H
#define CF_CA_H

#include <stdbool.h>

#include "core/admin/audit.h"
#include "crypto/signer.h"
#include "crypto/x509.h"
#include "store/store.h"

/* Defaults: CRLs valid 72 h, made every 24 h; OCSP answers valid 12 h (SPEC §9). */
#define CF_CA_CRL_VALIDITY (72 * 3600)
#define CF_CA_CRL_INTERVAL (24 * 3600)
#define CF_CA_OCSP_VALIDITY (12 * 3600)
/* Certificates are back-dated this much (clocks of phones and servers run behind). */
#define CF_CA_BACKDATE 3600

/* What `ca create` is given. */
typedef struct cf_ca_spec {
	const char *name;
	const char *parent;  /* NULL: a root */
	const char *key;     /* NULL: rsa:4096 for a root, rsa:2048 under a parent */
	const char *subject; /* "/O=Example/CN=Root" or "CN=Root,O=Example"; NULL: CN=NAME */
	int days;	     /* 0: 3650 for a root, 1825 under a parent (never past the parent) */
	int pathlen;	     /* -1: none for a root, 0 under a parent */
	bool pathlen_set;
	const char *hash; /* NULL: sha256 */
} cf_ca_spec;

/* CF_E_INPUT unless name is 1-64 characters of [A-Za-z0-9._-]. */
cf_code cf_ca_check_name(const char *name, cf_err *e);
/* Makes the CA (its key, its certificate signed by its parent or itself) and keeps it; *out
 * without key. CF_E_STATE when the name is taken, CF_E_NOTFOUND when the parent is unknown,
 * CF_E_INPUT for a bad spec or a parent whose path length forbids another CA below it. */
cf_code cf_ca_create(cf_store *st, const cf_audit_actor *a, const cf_ca_spec *spec, int64_t now, cf_carow *out,
		     cf_err *e);
/* Keeps an existing CA certificate with its key: the key must match, the certificate must be a
 * CA (basicConstraints CA:TRUE, keyCertSign when it has a keyUsage). */
cf_code cf_ca_import(cf_store *st, const cf_audit_actor *a, const char *name, const char *cert_name,
		     const uint8_t *cert, size_t cert_len, const char *key_name, const uint8_t *key, size_t key_len,
		     int64_t now, cf_carow *out, cf_err *e);

/* The settings `ca config` changes; a NULL text or a negative period keeps the current one. */
typedef struct cf_ca_settings {
	const char *base_url; /* "" clears it; else http:// or https:// without query or fragment */
	int64_t crl_validity, crl_interval, ocsp_validity;
} cf_ca_settings;

/* Changes a CA's settings: CF_E_INPUT for a bad URL or period (the CRL must outlive its interval).
 * *out is the CA afterwards. */
cf_code cf_ca_config(cf_store *st, const cf_audit_actor *a, const char *name, const cf_ca_settings *set, cf_carow *out,
		     cf_err *e);

/* A CA opened for signing: its row, its certificate and a signer over its key; and its delegated
 * OCSP responder's certificate and signer when it has one (NULL: the CA signs its answers). */
typedef struct cf_ca {
	cf_carow row; /* without keys */
	cf_cert *cert;
	cf_signer *signer;
	cf_cert *ocsp_cert;
	cf_signer *ocsp_signer;
} cf_ca;

/* Opens the CA of that name; CF_E_NOTFOUND when there is none. Free with cf_ca_close. */
cf_code cf_ca_open(cf_store *st, const char *name, cf_ca **out, cf_err *e);
/* NULL-safe. */
void cf_ca_close(cf_ca *ca);
/* The CRL distribution point and OCSP URLs of the CA's certificates (empty when it has no base
 * URL): BASE/crl/NAME.crl and BASE/ocsp/NAME. */
void cf_ca_urls(const cf_carow *row, char crl[512], char ocsp[512]);
/* The content octets of a serial in the store's hex form into out (at most 32); their count, 0
 * for a text that is not whole octets of hex. */
size_t cf_ca_serial_bytes(const char *hex, uint8_t out[static 32]);
/* The local CAs' own certificates as rows of the certificate list (SPEC §9: they are in it): kind
 * CF_LOCAL_CA, id minus the CA's id, node "", name the CA's, source "local-ca". Only a filter
 * without node, purpose, store or another kind selects them; begins_with matches the CA's name or
 * CN (case-insensitive), expiring_before the end of its validity. fn(ctx, row) per CA, by name,
 * after skipping f->offset of them (at most f->limit when non-zero); *count (may be NULL) gets how
 * many the filter selects (fn NULL: only counted). */
cf_code cf_ca_cert_each(cf_store *st, const cf_certfilter *f, int (*fn)(void *ctx, const cf_certrow *r), void *ctx,
			int64_t *count, cf_err *e);
/* The CA's chain above it as PEM: its own certificate, then its parents' up to the root (new
 * string). */
cf_code cf_ca_chain_pem(cf_store *st, const cf_carow *row, char **out, cf_err *e);

#endif
