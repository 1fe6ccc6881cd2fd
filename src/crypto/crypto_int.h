/* Private to src/crypto/: the layouts behind the opaque types, and shared helpers. */
#ifndef CF_CRYPTO_INT_H
#define CF_CRYPTO_INT_H

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdatomic.h>

#include "crypto/x509.h"

struct cf_key {
	EVP_PKEY *pkey;
};

struct cf_cert {
	_Atomic(X509 *) x; /* the OpenSSL form: NULL until something needs it (cf_cert_x) */
	uint8_t *der;
	size_t der_len;
	atomic_int refs;
};

/* Wraps an X509 (takes ownership); NULL on failure (and frees x). */
cf_cert *cf_cert_wrap(X509 *x);
/* The OpenSSL form of c (borrowed, lives as long as c), decoded from its DER the first time it is
 * needed; safe to call from several threads at once. NULL when OpenSSL does not accept the DER. */
X509 *cf_cert_x(const cf_cert *c);

/* SHA-256, fetched once for the process (borrowed; never freed). */
const EVP_MD *cf_sha256(void);
/* Lower-case hex SHA-256 of n bytes; "" if the digest fails. */
void cf_sha256_hex(const void *p, size_t n, char out[static 65]);

/* ---- the DER walker (certder.c) ---- */

/* A run of bytes inside the walked input (borrowed). */
typedef struct cf_der {
	const uint8_t *p;
	size_t len;
} cf_der;

/* A position in DER input being walked: the bytes from p up to end. */
typedef struct cf_derreader {
	const uint8_t *p, *end;
} cf_derreader;

/* Whether r is used up; how many bytes it has left; its next tag, or 0 at its end (0 is never a
 * tag the walkers accept). */
static inline bool cf_der_at_end(const cf_derreader *r)
{
	return r->p == r->end;
}
static inline size_t cf_der_left(const cf_derreader *r)
{
	return (size_t)(r->end - r->p);
}
static inline uint8_t cf_der_peek(const cf_derreader *r)
{
	return r->p < r->end ? r->p[0] : 0;
}

/* Reads one TLV from r: a one-byte tag, a minimal definite length (at most 4 length bytes) and
 * contents inside r. On success *tlv is the whole TLV, *in reads its contents and r moves past
 * it. False at the end of r or on anything outside strict DER. */
bool cf_der_next(cf_derreader *r, uint8_t *tag, cf_der *tlv, cf_derreader *in);
/* cf_der_next that also requires the tag; r is unchanged when it does not match. */
bool cf_der_expect(cf_derreader *r, uint8_t want, cf_der *tlv, cf_derreader *in);
/* The contents of a UTCTime (tag 0x17, YYMMDDHHMMSSZ, years 50-99 are 19xx) or GeneralizedTime
 * (0x18, YYYYMMDDHHMMSSZ) as DER requires (RFC 5280 4.1.2.5): digits only, a real calendar date
 * (no 31 February; 29 February in leap years only), hours 00-23, minutes and seconds 00-59, Z.
 * *out (seconds since the epoch) is written only on success. */
bool cf_der_time(uint8_t tag, const uint8_t *p, size_t len, int64_t *out);

/* A SubjectPublicKeyInfo as the walker found it, and the key's shape when it is one OpenSSL
 * re-encodes byte for byte: CF_KEY_RSA (rsaEncryption, NULL parameters, positive minimal modulus
 * of 512 to 16384 bits and exponent) or CF_KEY_EC (id-ecPublicKey on P-256, P-384 or P-521,
 * uncompressed point of the right length, not yet checked to be on the curve); CF_KEY_NONE for
 * anything else. */
typedef struct cf_spkider {
	cf_der spki; /* the SubjectPublicKeyInfo TLV */
	cf_keytype type;
	int bits;	     /* RSA: of the modulus; EC: of the curve */
	int curve_nid;	     /* EC */
	cf_der ec_point;     /* EC: 04 || X || Y */
	cf_der rsa_n, rsa_e; /* RSA: the INTEGERs' contents */
} cf_spkider;

/* The pieces of a certificate, each a whole TLV inside the walked buffer. */
typedef struct cf_certder {
	size_t len;	   /* of the Certificate TLV */
	cf_der tbs;	   /* the TBSCertificate TLV: the signed bytes */
	cf_der tbs_alg;	   /* the OID of the signature algorithm inside the TBSCertificate */
	cf_der signature;  /* the signature value (BIT STRING contents after the unused-bits octet) */
	cf_der serial;	   /* INTEGER */
	cf_der issuer;	   /* Name */
	cf_der not_before; /* UTCTime or GeneralizedTime */
	cf_der not_after;  /* UTCTime or GeneralizedTime */
	cf_der subject;	   /* Name */
	cf_spkider key;	   /* SubjectPublicKeyInfo */
	cf_der exts;	   /* the SEQUENCE OF Extension inside [3]; len 0 when absent */
	cf_der sig_alg;	   /* the OID of the outer signatureAlgorithm */
} cf_certder;

/* Splits the certificate at the start of buf (bytes after it are the caller's business) when it
 * is in the strict-DER subset described in certder.c, for which keeping the input bytes equals
 * keeping i2d_X509(d2i_X509(input)). False otherwise: the input may still be a certificate,
 * d2i_X509 decides. *out is written only on success. */
bool cf_certder_split(const uint8_t *buf, size_t len, cf_certder *out);

/* The pieces of a PKCS#10 request (RFC 2986), each inside the walked buffer. */
typedef struct cf_csrder {
	size_t len;	  /* of the CertificationRequest TLV */
	cf_der info;	  /* the CertificationRequestInfo TLV: the signed bytes */
	cf_der subject;	  /* Name */
	cf_spkider key;	  /* SubjectPublicKeyInfo */
	cf_der exts;	  /* the Extensions SEQUENCE of the extension request; len 0 when none */
	cf_der sig_alg;	  /* the OID of the signatureAlgorithm */
	cf_der signature; /* the signature value (BIT STRING contents after the unused-bits octet) */
} cf_csrder;

/* Splits the request at the start of buf, as cf_certder_split does a certificate: true when it
 * is in the walker's subset, for which the input bytes are i2d_X509_REQ(d2i_X509_REQ(input)) and
 * X509_REQ_get_extensions gives exts. False otherwise: d2i_X509_REQ decides. */
bool cf_csrder_split(const uint8_t *buf, size_t len, cf_csrder *out);

/* A request is its DER; the OpenSSL form is decoded only when something needs it (csr.c). */
struct cf_csr {
	_Atomic(X509_REQ *) req; /* NULL until then */
	uint8_t *der;
	size_t der_len;
	bool walked; /* d holds its pieces: it is in the walker's subset */
	cf_csrder d;
};

/* ---- signatures and keys from walked bytes (sigalg.c) ---- */

/* A signature algorithm checked from the signed bytes: RSA PKCS#1 v1.5 or ECDSA with SHA-256,
 * SHA-384 or SHA-512 (the ones RFC 5280's profile and the CA/B Forum count as strong). */
typedef struct cf_sigalg {
	uint8_t oid[12]; /* the OID's TLV */
	size_t len;
	const char *md;
	int key; /* EVP_PKEY_RSA or EVP_PKEY_EC */
} cf_sigalg;

/* The algorithm whose OID TLV is oid; NULL for any other (then use OpenSSL's verify). */
const cf_sigalg *cf_sigalg_find(const cf_der *oid);
/* Whether pk verifies sig (the BIT STRING's octets) over tbs under a; false also when pk is
 * not a's key type. */
bool cf_sigalg_verify(const cf_sigalg *a, EVP_PKEY *pk, const cf_der *sig, const cf_der *tbs);
/* The hash of a signature algorithm as facts show it ("sha256"; the algorithm's own short name
 * when it names no hash). */
void cf_sigalg_hash_name(int sig_nid, char out[16]);
/* The public key of a walked SPKI whose shape is RSA or EC (cf_spkider), built from its numbers
 * without the decoder; NULL for other shapes or a key OpenSSL refuses (a point off its curve). */
EVP_PKEY *cf_sigalg_spki_key(const cf_spkider *k);

/* ---- PEM (pem.c) ---- */

/* One BEGIN/END block of PEM text (borrowed from it). */
typedef struct cf_pem_block {
	const char *body; /* just after the BEGIN marker */
	size_t body_len;  /* up to the END marker */
	char label[40];
} cf_pem_block;

/* Finds every PEM block. Returns the count, or -1 for a BEGIN with no matching END. */
long cf_pem_blocks(const char *buf, size_t len, cf_pem_block **out);
/* The bytes a PEM block holds, in a new buffer (*len of them), decoded as PEM_read_bio does: the
 * lines between the BEGIN and END lines, each stripped of trailing whitespace and control
 * characters, through EVP_DecodeUpdate (other whitespace ignored, nothing after the padding).
 * An RFC 1421 header (lines up to the first blank one, when the first line has a colon) is
 * skipped, unless it has Proc-Type: the body is then encrypted or signed, not a certificate.
 * NULL when the block is damaged: text after the BEGIN marker, an END marker that does not
 * start a line, a header without its blank line, a character outside base64. */
uint8_t *cf_pem_decode(const cf_pem_block *b, size_t *len);

/* Records an error whose message is `what` followed by the reasons in OpenSSL's error queue,
 * which it empties. Returns code. */
cf_code cf_ossl_err(cf_err *e, cf_code code, const char *subject, const char *what);

/* Seconds since the epoch of an ASN.1 time; 0 when it does not convert. */
int64_t cf_asn1_epoch(const ASN1_TIME *t);
/* Lower-case hex of n bytes into out (2n+1 bytes). */
void cf_hex(const unsigned char *p, size_t n, char *out);

/* Name in RFC 2253 form, new string. */
char *cf_name_str(const X509_NAME *name);

/* Fills key_type, key_bits, curve and spki_sha256 from a public key. */
void cf_facts_key(EVP_PKEY *pk, cf_facts *f);
/* The same facts from a walked SubjectPublicKeyInfo without decoding the key, for
 * the keys whose SPKI OpenSSL would re-encode byte for byte: RSA (rsaEncryption, NULL parameters)
 * and EC on P-256, P-384 or P-521 (named curve, uncompressed point on the curve). False, with f
 * untouched, for anything else: then decode the key and use cf_facts_key. */
bool cf_facts_spki(const cf_spkider *k, cf_facts *f);
/* Fills ku/eku/san/basic constraints/OCSP/CRL DPs from an extension list (certificate or
 * request). CF_E_INPUT (subject "certificate") for a name that text cannot hold as it is: a SAN,
 * OCSP or CRL DP name with a NUL byte or a byte that is not IA5; f then holds a part to free. */
cf_code cf_facts_exts(const STACK_OF(X509_EXTENSION) * exts, cf_facts *f, cf_err *e);
/* Fills subject, cn and unsupported_oids from a subject name; CF_E_INPUT when a CN holds a NUL
 * character (f then holds a part to free). */
cf_code cf_facts_subject(const X509_NAME *name, cf_facts *f, cf_err *e);

/* Builds the extension list of a spec (basic constraints, KU, EKU, SAN). */
STACK_OF(X509_EXTENSION) * cf_spec_exts(const cf_reqspec *spec, cf_err *e);
/* Builds the subject name of a spec. */
X509_NAME *cf_spec_name(const cf_reqspec *spec, cf_err *e);
/* The digest for a spec's hash name; NULL when refused. */
const EVP_MD *cf_spec_md(const cf_reqspec *spec, cf_err *e);

#endif
