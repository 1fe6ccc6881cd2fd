/* The crypto facade: keys, certificates, CSRs and chains in certfleet's own words.
 * This header and src/crypto/ are the only places that know OpenSSL exists; nothing here
 * exposes an OpenSSL type. Every parser of outside input in this module takes a name (the
 * file or field it came from) that error messages use as their subject. */
#ifndef CF_X509_H
#define CF_X509_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"
#include "util/secret.h"
#include "util/strv.h"

typedef enum cf_keytype { CF_KEY_NONE = 0, CF_KEY_RSA, CF_KEY_EC, CF_KEY_OTHER } cf_keytype;

/* "RSA", "EC" or "other". */
const char *cf_keytype_name(cf_keytype t);

/* Key usage bits (SPEC §2 names). */
enum {
	CF_KU_DIGITAL_SIGNATURE = 1u << 0,
	CF_KU_NON_REPUDIATION = 1u << 1,
	CF_KU_KEY_ENCIPHERMENT = 1u << 2,
	CF_KU_DATA_ENCIPHERMENT = 1u << 3,
	CF_KU_KEY_AGREEMENT = 1u << 4,
	CF_KU_KEY_CERT_SIGN = 1u << 5,
	CF_KU_CRL_SIGN = 1u << 6,
	CF_KU_ENCIPHER_ONLY = 1u << 7,
	CF_KU_DECIPHER_ONLY = 1u << 8,
};
/* Extended key usage bits; other purposes are kept as dotted OIDs. */
enum {
	CF_EKU_SERVER_AUTH = 1u << 0,
	CF_EKU_CLIENT_AUTH = 1u << 1,
	CF_EKU_IPSEC_END_SYSTEM = 1u << 2,
	CF_EKU_OCSP_SIGNING = 1u << 3,
};
/* The name of key usage bit (0: digitalSignature … 8: decipherOnly) and of extended key usage
 * bit (0: serverAuth … 3: OCSPSigning); NULL past the last. */
const char *cf_ku_name(unsigned bit);
const char *cf_eku_name(unsigned bit);
/* Appends the names of the set bits, in bit order ("digitalSignature", "serverAuth", ...). */
void cf_ku_names(unsigned ku, cf_strv *out);
void cf_eku_names(unsigned eku, cf_strv *out);

/* ---- key specifications ---------------------------------------------------------------- */

typedef struct cf_keyspec {
	cf_keytype type;
	int bits;	/* RSA modulus bits; for EC the curve's size */
	char curve[24]; /* EC: "prime256v1", "secp384r1", "secp521r1" */
} cf_keyspec;

/* Parses "rsa:2048|3072|4096|8192" or "ec:prime256v1|secp384r1|secp521r1" (also "ec:P-256",
 * "ec:P-384", "ec:P-521"). Anything else is CF_E_INPUT. */
cf_code cf_keyspec_parse(const char *text, cf_keyspec *out, cf_err *e);
/* Accepts "sha256", "sha384", "sha512"; "sha1" and others are CF_E_INPUT. */
cf_code cf_hash_check(const char *hash, cf_err *e);

/* ---- private keys ------------------------------------------------------------------------ */

typedef struct cf_key cf_key;

/* Generates a new private key. */
cf_code cf_key_generate(const cf_keyspec *spec, cf_key **out, cf_err *e);
/* Parses an unencrypted PEM private key (PKCS#8 or traditional). Encrypted keys, certificates
 * and garbage are CF_E_INPUT naming `name`; the key material never appears in a message. */
cf_code cf_key_parse(const char *name, const uint8_t *buf, size_t len, cf_key **out, cf_err *e);
/* The key as unencrypted PKCS#8 PEM in a new string; free it with cf_secret_free. */
char *cf_key_pem(const cf_key *key);
cf_keytype cf_key_type(const cf_key *key);
/* SHA-256 of the public key's SubjectPublicKeyInfo, lower-case hex. */
void cf_key_spki_sha256(const cf_key *key, char out[static 65]);
/* NULL-safe. */
void cf_key_free(cf_key *key);

/* ---- decoded facts ------------------------------------------------------------------------ */

/* What certfleet needs to know about a certificate or CSR, decoded once and then stored. Names
 * are the certificate's bytes exactly (the CN as UTF-8): never cut short, and never holding a NUL
 * (such a certificate has no facts: cf_cert_facts). They may hold other control characters (a
 * line feed, an escape): text output escapes them, JSON carries them, and no host matches them. */
typedef struct cf_facts {
	char *subject; /* RFC 2253 */
	char *issuer;  /* RFC 2253; "" for a CSR */
	char *cn;      /* last CN of the subject, "" when none */
	char *serial;  /* lower-case hex; "" for a CSR */
	int64_t not_before, not_after;
	char sha256[65];      /* of the DER */
	char spki_sha256[65]; /* of the public key */
	cf_keytype key_type;
	int key_bits;
	char curve[24];
	char sig_hash[16]; /* "sha256", "sha1", ... or the signature algorithm's short name */
	bool self_signed;  /* issuer = subject and the signature verifies with its own key */
	bool ca;	   /* basicConstraints CA:TRUE */
	bool has_basic_constraints;
	bool has_pathlen; /* basicConstraints carries a pathLenConstraint ... */
	int pathlen;	  /* ... of this many CAs below it */
	bool has_ku, has_eku;
	unsigned ku, eku;
	cf_strv eku_other;	  /* dotted OIDs of other extended key usages */
	cf_strv san;		  /* "DNS:x", "IP:1.2.3.4", "URI:...", "email:..." (IA5 text, no NUL) */
	cf_strv ocsp;		  /* AIA OCSP URIs */
	cf_strv crl_dp;		  /* CRL distribution point URIs */
	cf_strv unsupported_oids; /* subject attribute OIDs outside the supported set */
} cf_facts;

/* Frees what the facts own; leaves them zeroed. NULL-safe. */
void cf_facts_free(cf_facts *f);

/* ---- certificates -------------------------------------------------------------------------- */

typedef struct cf_cert cf_cert;

/* Parses a PEM bundle (one or more CERTIFICATE blocks) or one DER certificate. Any block that
 * is not a certificate (a CSR, a key), a truncated block, trailing garbage in DER or an input
 * with no certificate is CF_E_INPUT naming `name`. *out is an array of *n owned certificates
 * in file order; free with cf_certs_free. */
cf_code cf_cert_parse_bundle(const char *name, const uint8_t *buf, size_t len, cf_cert ***out, size_t *n, cf_err *e);
/* One certificate from DER (exactly len bytes); NULL when it does not parse. */
cf_cert *cf_cert_from_der(const uint8_t *der, size_t len);
/* Another reference to the same certificate. */
cf_cert *cf_cert_ref(cf_cert *c);
void cf_cert_free(cf_cert *c);
void cf_certs_free(cf_cert **v, size_t n);

/* The DER encoding (borrowed, valid while c lives). */
const uint8_t *cf_cert_der(const cf_cert *c, size_t *len);
/* The PEM encoding in a new string. */
char *cf_cert_pem(const cf_cert *c);
/* Its ACME renewal information id (RFC 9773 §4.1): base64url of the authority key identifier's
 * keyIdentifier, ".", base64url of the serial number's DER content octets (malloc'd); NULL when
 * it has no authority key identifier or is out of memory. */
char *cf_cert_ari_id(const cf_cert *c);
/* Decodes the facts of c into *out. A name that text cannot hold as it is — a SAN, OCSP or CRL DP
 * name with a NUL byte or a byte that is not IA5, a CN with a NUL character — is CF_E_INPUT (as
 * X509_check_host never matches such a name, certfleet never reads it as another one). */
cf_code cf_cert_facts(const cf_cert *c, cf_facts *out, cf_err *e);
/* Decodes facts of many certificates using every core; out[i] for v[i]. */
cf_code cf_certs_facts(cf_cert *const *v, size_t n, cf_facts *out, cf_err *e);
/* True when the certificate is self-issued (issuer = subject), as a root is. */
bool cf_cert_is_self_signed(const cf_cert *c);
/* True when the key is the private half of the certificate's public key. */
bool cf_key_matches_cert(const cf_key *key, const cf_cert *c);
/* True when a and b are the same certificate (the same DER). */
bool cf_cert_equal(const cf_cert *a, const cf_cert *b);
/* True when issuer's subject is c's issuer and issuer's key verifies c's signature. */
bool cf_cert_issued_by(const cf_cert *c, const cf_cert *issuer);
/* Finding a certificate's issuer among many: the candidates ordered by a hash of their subject
 * Name, so a lookup is a binary search and one signature check per namesake (a trust store of
 * 100,000 is searched as fast as one of ten). The candidates are borrowed: keep them alive. */
typedef struct cf_issuers cf_issuers;
/* NULL when out of memory. */
cf_issuers *cf_issuers_new(cf_cert *const *cand, size_t n);
/* The index in cand of the first candidate that issued cert (cert itself does not count), or -1;
 * -1 too for a NULL index. */
long cf_issuers_find(const cf_issuers *ix, const cf_cert *cert);
void cf_issuers_free(cf_issuers *ix);

/* ---- building requests and certificates ------------------------------------------------- */

typedef struct cf_dn {
	const char *c, *st, *l, *o, *ou, *cn; /* NULL or "" to leave out */
} cf_dn;

typedef struct cf_reqspec {
	cf_dn dn;
	const cf_strv *san; /* "DNS:name" or "IP:addr" entries; NULL or empty for none */
	unsigned ku, eku;   /* written only when non-zero */
	bool ca;	    /* basicConstraints CA:TRUE (critical); otherwise CA:FALSE */
	const char *hash;   /* "sha256" when NULL */
} cf_reqspec;

typedef struct cf_csr cf_csr;

/* A PKCS#10 request for key, signed with it, carrying the spec's subject and extensions. */
cf_code cf_csr_create(const cf_reqspec *spec, const cf_key *key, cf_csr **out, cf_err *e);
/* A certificate for key, signed by itself, valid from not_before for days days. */
cf_code cf_cert_self_signed(const cf_reqspec *spec, const cf_key *key, int64_t not_before, int days, cf_cert **out,
			    cf_err *e);
/* A certificate for subject_key's public key signed by issuer/issuer_key with a random serial. */
cf_code cf_cert_issue(const cf_reqspec *spec, const cf_key *subject_key, const cf_cert *issuer,
		      const cf_key *issuer_key, int64_t not_before, int days, cf_cert **out, cf_err *e);

/* ---- CSRs ------------------------------------------------------------------------------------ */

/* Parses one PEM or DER request; a certificate or garbage is CF_E_INPUT naming `name`. */
cf_code cf_csr_parse(const char *name, const uint8_t *buf, size_t len, cf_csr **out, cf_err *e);
char *cf_csr_pem(const cf_csr *csr);
/* The DER encoding in a new buffer (caller frees). */
uint8_t *cf_csr_der(const cf_csr *csr, size_t *len);
/* The request's facts; its names are refused as cf_cert_facts refuses them (subject "CSR"). */
cf_code cf_csr_facts(const cf_csr *csr, cf_facts *out, cf_err *e);
/* True when the request's self-signature verifies. */
bool cf_csr_verify(const cf_csr *csr);
void cf_csr_free(cf_csr *csr);

#endif
