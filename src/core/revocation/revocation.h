/* Revocation (SPEC §6) in the store: the deployment's revocation settings, CRLs imported from
 * files or distribution points (checked against the trust stores before they are kept), and the
 * CRL source validation asks about a certificate. */
#ifndef CF_REVOCATION_H
#define CF_REVOCATION_H

#include "core/model/plan.h"
#include "core/model/fields.h"
#include "core/check/validate.h"
#include "core/transport.h"
#include "store/store.h"

typedef struct cf_revocation_settings {
	bool ocsp;	       /* OCSP on (default off) */
	char ocsp_uri[512];    /* the configured responder; "" = the certificate's AIA URI */
	bool check;	       /* revocation checking on (default on) */
	int64_t interval;      /* seconds between checks of long-lived peers (default 24 h) */
	bool strict;	       /* revoked and unknown both fail (common criteria mode) */
	bool fallback_revoked; /* no status at all: treat as revoked (default: not revoked) */
	int timeout;	       /* seconds per OCSP request (default 10) */
} cf_revocation_settings;

cf_code cf_revocation_settings_get(cf_store *st, cf_revocation_settings *out, cf_err *e);
/* The settings as a table (core/model/fields.h): `revocation config|show`, GET and PUT /revocation. */
extern const cf_fieldgroup cf_revocation_fields;

/* What an import did. */
typedef struct cf_revocation_crl_imported {
	cf_crlrow row;	/* the stored row (without DER and index) */
	bool expired;	/* it had expired already: kept, and its CA's certificates are invalid */
	bool not_newer; /* a download no newer than a CRL of the issuer already kept: not stored */
} cf_revocation_crl_imported;

/* Imports a CRL (PEM or DER, < 16 MiB) from source ("manual" or a distribution point's URL):
 * parsed, its issuer found among the trust certificates (any node, any store) and its signature
 * checked against it, or refused with CF_E_INPUT. A manual upload replaces the previous manual
 * upload of the same issuer; a download is kept only when it is newer (CRL number, then
 * thisUpdate) than every CRL of the issuer, and replaces the older ones from its URL. An already
 * expired CRL is kept (it may be the newest the CA published). Free out->row. */
cf_code cf_revocation_crl_import(cf_store *st, const char *name, const uint8_t *buf, size_t len, const char *source,
				 int64_t now, cf_revocation_crl_imported *out, cf_err *e);

/* Every stored CRL, parsed once, as validation's revocation source: for a leaf, the newest CRL of
 * its issuer (by CRL number, then thisUpdate) decides; an expired one makes the issuer's
 * certificates invalid; no CRL for the issuer is "unknown", then the settings' strict mode and
 * fallback decide. */
typedef struct cf_crlset cf_crlset;
/* issuer_hash: only the CRLs of that issuer (SHA-256 of its name); NULL: all. Each CRL is read
 * from the index stored with it (no DER walk); a row without one (kept before schema 7) or whose
 * index is damaged or disagrees with the row is walked from its DER instead. */
cf_code cf_crlset_load(cf_store *st, const char *issuer_hash, cf_crlset **out, cf_err *e);
void cf_crlset_free(cf_crlset *s);
/* How a load read the stored CRLs (what a caller may log: counts only). */
typedef struct cf_crlset_origin {
	size_t indexed; /* from their index */
	size_t walked;	/* from their DER: rows without an index, and those counted in damaged */
	size_t damaged; /* rows whose index did not read back or did not agree with the row */
} cf_crlset_origin;
void cf_crlset_origin_get(const cf_crlset *s, cf_crlset_origin *out);
/* The status of cert from the newest stored CRL of its issuer, matched by the issuer's name (the
 * CRL was checked against that issuer when it was kept): good, revoked, crl-expired, or unknown
 * when there is none (the settings are not applied). */
cf_revstatus cf_crlset_lookup(const cf_crlset *s, const cf_cert *cert, int64_t now, char *msg, size_t msg_len);
/* The same from stored facts (a listing has no DER): the issuer's name as one line and the serial
 * in hex, matched against the stored CRLs' issuer names. */
cf_revstatus cf_crlset_lookup_facts(const cf_crlset *s, const char *issuer, const char *serial_hex, int64_t now);
/* The status from the newest CRL of the issuer that verifies with issuer (another key of the same
 * name does not count); unknown when there is none. */
cf_revstatus cf_crlset_check(const cf_crlset *s, const cf_cert *cert, const cf_cert *issuer, int64_t now, char *msg,
			     size_t msg_len);

/* Whether the newest stored CRL that ca signed (it verifies with ca's key) is past its nextUpdate;
 * msg says since when. */
bool cf_crlset_signed_expired(const cf_crlset *s, const cf_cert *ca, int64_t now, char *msg, size_t msg_len);

/* Every configured source together, as validation asks (SPEC §6): with revocation checking on,
 * OCSP first when it is on (the configured responder, else the certificate's AIA URI; responders
 * trusted by the delegated model, then the node's tomcat-trust), then the stored CRLs. Strict mode
 * fails an unknown status; otherwise the fallback decides only when there is no status at all (no
 * OCSP response, no CRL of the issuer): a responder's verified "unknown" is a status. */
typedef struct cf_revsource cf_revsource;
/* node (may be NULL): whose tomcat-trust holds the trusted OCSP responders; net (borrowed for the
 * source's life): how OCSP is asked. */
cf_code cf_revsource_load(cf_store *st, const cf_transport *net, const char *node, cf_revsource **out, cf_err *e);
void cf_revsource_free(cf_revsource *s);
/* A cf_validate_revocation_fn (ctx: the cf_revsource). */
cf_revstatus cf_revsource_status(void *ctx, const cf_vresult *chain, int64_t now, char *msg, size_t msg_len);

/* ---- asking OCSP about one certificate --------------------------------------------------------- */

/* "good", "revoked", "crl-expired", "unknown". */
const char *cf_revstatus_name(cf_revstatus s);
/* The revocation status a stored certificate shows (the certificate list of the command line and
 * the API, its details): the stored CRLs' word (crl), or what OCSP last said of it when that is
 * revoked and the CRL does not say so, or when no CRL covers it; *source "crl" or "ocsp", rec the
 * OCSP record used (free it with cf_revcheckrow_free). */
const char *cf_revocation_word(cf_store *st, cf_revstatus crl, const char *sha256, const char **source,
			       cf_revcheckrow *rec);

/* What OCSP said about a certificate, in the words the store keeps (revocation_checks). */
typedef struct cf_revocation_ocsp_verdict {
	cf_revstatus status; /* good, revoked, or unknown (the responder's word, or no status at all) */
	bool answered;	     /* a verified response; false: no responder, unreachable, untrusted, stale */
	char trust[20];	     /* "delegated" or "trusted-responder"; "" when not answered */
	char url[512];	     /* the responder asked; "" when there was none to ask */
	char message[400];   /* one line: who signed and when it was revoked, or why there is no status */
	int64_t next_update; /* the response's nextUpdate; 0 when it has none or there was no answer */
	bool unreachable;    /* no answer because the exchange failed (connection, HTTP, size) */
} cf_revocation_ocsp_verdict;

/* The responder asked about leaf with settings s: the configured one, else the leaf's AIA URI
 * ("" when there is none); one line. */
void cf_revocation_url(const cf_revocation_settings *s, const cf_cert *leaf, char *out, size_t len);

/* Asks OCSP about leaf, issued by issuer, with settings s: the configured responder, else the
 * leaf's AIA URI; a response signed in the delegated model, else by one of the n_trusted
 * certificates of trusted (a node's tomcat-trust). One exchange through net's ocsp bounded by
 * s->timeout (answers verified earlier may come from its cache until their nextUpdate). It cannot
 * fail: what went wrong is an unanswered, unknown verdict that says why (with no ocsp in net, an
 * unreachable one). */
void cf_revocation_ask(const cf_transport *net, const cf_revocation_settings *s, const cf_cert *leaf,
		       const cf_cert *issuer, cf_cert *const *trusted, size_t n_trusted, int64_t now,
		       cf_revocation_ocsp_verdict *out);

/* Checks made at every upload (SPEC §6.1), identity or trust certificate. */

/* The stored CRLs' verdict on cert (issued by issuer), in *status: revoked, or every certificate
 * of its CA invalid because the CRL expired, refuse with the rule id (CF_E_INPUT naming name). */
cf_code cf_revocation_upload_crl(cf_store *st, const char *name, const cf_cert *cert, const cf_cert *issuer,
				 cf_revstatus *status, cf_err *e);
/* OCSP's verdict v with the CRLs' status crl, decided as validation decides (SPEC §6): revoked
 * refuses; when neither gives a status, strict mode and the fallback "treat as revoked" refuse,
 * otherwise the upload goes on with a revocation-unknown warning in w; in strict mode an unknown
 * answer refuses unless a CRL says good. Refusals are CF_E_INPUT naming name, rule [revoked]. */
cf_code cf_revocation_upload_ocsp(const cf_revocation_settings *rs, const cf_revocation_ocsp_verdict *v,
				  cf_revstatus crl, const char *name, cf_warnings *w, cf_err *e);

#endif
