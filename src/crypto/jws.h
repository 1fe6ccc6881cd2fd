/* JSON Web Signatures for ACME (RFC 7515 in the flattened JSON serialization, as RFC 8555 §6.2
 * asks): signed with an account key — ES256 for a P-256 key, RS256 for an RSA key of 2048 bits or
 * more — or, for external account binding, HS256 with the CA's MAC key; the key's public JWK
 * (RFC 7517) and its thumbprint (RFC 7638), and HTTP-01 key authorizations (RFC 8555 §8.1).
 * The protected header is the caller's JSON text (it holds the nonce and URL the CA gave); this
 * module only encodes and signs, so it needs no JSON library. */
#ifndef CF_JWS_H
#define CF_JWS_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/x509.h"
#include "util/err.h"

#define CF_JWS_THUMBPRINT_LEN 43 /* base64url of a SHA-256 digest */

/* The JWS algorithm for key k ("ES256" or "RS256"); CF_E_INPUT naming what is wrong with any other
 * key (another curve, RSA under 2048 bits, Ed25519, ...). */
cf_code cf_jws_alg(const cf_key *k, const char **alg, cf_err *e);
/* k's public JWK in the canonical form of RFC 7638 (the required members only, in lexicographic
 * order, no whitespace): {"crv":"P-256","kty":"EC","x":...,"y":...} or {"e":...,"kty":"RSA","n":...}.
 * malloc'd; NULL for a key cf_jws_alg refuses or when out of memory. */
char *cf_jws_jwk(const cf_key *k);
/* The base64url SHA-256 of the canonical JWK into out; false as cf_jws_jwk. */
_Bool cf_jws_thumbprint(const cf_key *k, char out[static CF_JWS_THUMBPRINT_LEN + 1]);
/* The HTTP-01 key authorization "token.thumbprint" (malloc'd; NULL as cf_jws_jwk). */
char *cf_jws_key_authorization(const char *token, const cf_key *k);

/* Signs protected_json (the header's JSON text) and payload (len bytes; NULL: the empty payload of
 * a POST-as-GET) with k, into *out: {"protected":"...","payload":"...","signature":"..."}
 * (malloc'd). An ES256 signature is R || S, 32 bytes each (RFC 7518 §3.4), not DER. */
cf_code cf_jws_sign(const cf_key *k, const char *protected_json, const uint8_t *payload, size_t len, char **out,
		    cf_err *e);
/* The same with HS256 under mac_key (mac_len bytes): the external account binding's JWS. */
cf_code cf_jws_sign_hs256(const uint8_t *mac_key, size_t mac_len, const char *protected_json, const uint8_t *payload,
			  size_t len, char **out, cf_err *e);

#endif
