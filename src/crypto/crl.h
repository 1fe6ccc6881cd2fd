/* Certificate revocation lists (SPEC §6.2) at memory speed: a DER CRL is walked once without
 * OpenSSL's per-entry objects, its signature checked over the TBS bytes with the issuer's key,
 * and its revoked serials kept as one sorted array of fixed-size keys, so a 16 MiB CRL
 * (≈ 480,000 entries) loads in a fraction of `openssl crl`'s time and memory and a lookup is a
 * binary search. */
#ifndef CF_CRL_H
#define CF_CRL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/x509.h"

typedef struct cf_crl cf_crl;

/* Parses a CRL from DER or PEM (name is used in messages). Malformed input is CF_E_INPUT naming
 * name and what is wrong. The signature is not checked here (cf_crl_verify). */
cf_code cf_crl_parse(const char *name, const uint8_t *buf, size_t len, cf_crl **out, cf_err *e);
void cf_crl_free(cf_crl *c);

/* Checks the CRL's signature with issuer's public key and that issuer's subject is the CRL's
 * issuer name. CF_E_INPUT when it does not verify. */
cf_code cf_crl_verify(const cf_crl *c, const cf_cert *issuer, cf_err *e);

/* The DER of a CRL given as PEM or DER (new buffer; not checked beyond the PEM armour). */
cf_code cf_crl_to_der(const char *name, const uint8_t *buf, size_t len, uint8_t **der, size_t *der_len, cf_err *e);
/* SHA-256 (hex) of a certificate's issuer Name DER: equals cf_crl_info.issuer_hash of its CRL. */
void cf_cert_issuer_hash(const cf_cert *cert, char out[65]);

/* What a CRL says about itself. */
typedef struct cf_crl_info {
	char issuer[512];		  /* the issuer's name, one line (RFC 2253 order as OpenSSL prints it) */
	char issuer_hash[65];		  /* SHA-256 of the issuer Name's DER: matches a certificate's issuer */
	int64_t this_update, next_update; /* next_update 0 when absent */
	char number[48];		  /* the CRL number in hex, "" when absent */
	size_t entries;			  /* revoked serials */
	bool delta;			  /* a delta CRL (deltaCRLIndicator) */
} cf_crl_info;
void cf_crl_info_get(const cf_crl *c, cf_crl_info *out);

/* Whether the serial (the INTEGER's content octets, big-endian, as in the certificate) is on the
 * list; *when gets its revocation time when it is (may be NULL). Thread-safe. */
bool cf_crl_revoked(const cf_crl *c, const uint8_t *serial, size_t len, int64_t *when);
/* The same for a certificate of this CRL's issuer. */
bool cf_crl_revokes(const cf_crl *c, const cf_cert *cert, int64_t *when);

#endif
