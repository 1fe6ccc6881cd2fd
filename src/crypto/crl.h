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
 * name and what is wrong, and so is a CRL whose cRLNumber is critical (RFC 5280 5.2.3). The
 * signature is not checked here (cf_crl_verify). */
cf_code cf_crl_parse(const char *name, const uint8_t *buf, size_t len, cf_crl **out, cf_err *e);
void cf_crl_free(cf_crl *c);

/* Checks the CRL's signature with issuer's public key and that issuer's subject is the CRL's
 * issuer name. CF_E_INPUT when it does not verify. */
cf_code cf_crl_verify(const cf_crl *c, const cf_cert *issuer, cf_err *e);

/* The DER of a CRL given as PEM or DER (new buffer; not checked beyond the PEM armour). */
cf_code cf_crl_to_der(const char *name, const uint8_t *buf, size_t len, uint8_t **der, size_t *der_len, cf_err *e);
/* SHA-256 (hex) of a certificate's issuer Name DER: equals cf_crl_info.issuer_hash of its CRL. */
void cf_crl_cert_issuer_hash(const cf_cert *cert, char out[65]);
/* The same of its subject Name: equals issuer_hash of the CRLs the certificate (a CA) signs. */
void cf_crl_cert_subject_hash(const cf_cert *cert, char out[65]);

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

/* The index: a parsed CRL as one self-describing buffer (magic, version, lengths; little-endian;
 * a checksum at the end), kept in the store beside the DER so that loading the CRL again costs
 * no walk. It holds the sorted entries and their pool, cf_crl_info's facts, and what
 * cf_crl_verify needs: the issuer's Name, the signature and its algorithm, and the digest of the
 * signed bytes the walk took (for EdDSA and RSA-PSS, which have no separate digest, the signed
 * bytes themselves). A CRL read from its index answers cf_crl_revoked, cf_crl_revokes,
 * cf_crl_info_get and cf_crl_verify as the parsed one does; its signature is checked over that
 * recorded digest, so the entries are only as sound as the store that kept them (the CRL was
 * verified against its issuer when it was kept; the checksum finds damage, not tampering). */

/* The index of c in a new buffer (free it). */
cf_code cf_crl_to_index(const cf_crl *c, uint8_t **out, size_t *len, cf_err *e);
/* Reads an index (name is used in messages) without walking any DER. The buffer is checked
 * strictly (magic, version, checksum, every length and offset in bounds, entries in order, pool
 * references inside the pool): anything wrong is CF_E_INPUT saying what, never a crash. */
cf_code cf_crl_from_index(const char *name, const uint8_t *buf, size_t len, cf_crl **out, cf_err *e);
/* Writes the checksum of an index buffer anew (its last 8 octets): for tests and the fuzz target,
 * which damage the structure behind the checksum's back. */
void cf_crl_index_seal(uint8_t *buf, size_t len);

#endif
