/* What an ACME server sends (RFC 8555 §7.1), parsed strictly before anything acts on it: the
 * directory (with RFC 9773's renewalInfo and the profiles a CA offers), orders, authorizations
 * with their challenges, and problem documents (RFC 7807, with ACME's subproblems). Every URL is
 * http or https and one line; a challenge token is base64url only (it becomes a path the
 * HTTP-01 responder serves); every text is one line of UTF-8. A document that breaks a rule is
 * refused whole with CF_E_REMOTE naming the URL it came from and the member at fault. And the
 * protected header of a request (§6.2), built here because it carries the server's words (the
 * nonce, the URL) into JSON. */
#ifndef CF_ACME_MESSAGES_H
#define CF_ACME_MESSAGES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"
#include "util/strv.h"

typedef struct cf_acme_directory {
	char *new_nonce, *new_account, *new_order, *revoke_cert, *key_change;
	char *renewal_info;	/* RFC 9773 (NULL: the CA offers no ARI) */
	char *terms_of_service; /* meta.termsOfService, any URI: shown, never fetched (NULL: none) */
	bool eab_required;	/* meta.externalAccountRequired */
	cf_strv profiles;	/* meta.profiles' names, sorted */
} cf_acme_directory;

typedef enum cf_acme_status {
	CF_ACME_UNKNOWN = 0,
	CF_ACME_PENDING,
	CF_ACME_READY,
	CF_ACME_PROCESSING,
	CF_ACME_VALID,
	CF_ACME_INVALID,
	CF_ACME_EXPIRED,
	CF_ACME_DEACTIVATED,
	CF_ACME_REVOKED,
} cf_acme_status;

typedef struct cf_acme_problem {
	char *type;   /* "urn:ietf:params:acme:error:badNonce", ... ("" when absent) */
	char *detail; /* "" when absent */
	int status;   /* the HTTP status it states (0: none) */
	cf_strv sub;  /* each subproblem as "identifier: detail" */
} cf_acme_problem;

typedef struct cf_acme_order {
	cf_acme_status status;
	char *finalize;
	char *certificate;   /* NULL until the order is valid */
	cf_strv identifiers; /* the dns names */
	cf_strv authorizations;
	cf_acme_problem error; /* type NULL when the order carries none */
} cf_acme_order;

typedef struct cf_acme_challenge {
	char *type, *url;
	char *token; /* base64url; NULL for a type without one */
	cf_acme_status status;
	cf_acme_problem error;
} cf_acme_challenge;

typedef struct cf_acme_authz {
	cf_acme_status status;
	char *identifier; /* the dns name */
	bool wildcard;
	cf_acme_challenge *challenges;
	size_t n_challenges;
} cf_acme_authz;

/* Each parses len bytes of body, fetched from url (named in errors). */
cf_code cf_acme_directory_parse(const char *url, const uint8_t *body, size_t len, cf_acme_directory *out, cf_err *e);
cf_code cf_acme_order_parse(const char *url, const uint8_t *body, size_t len, cf_acme_order *out, cf_err *e);
cf_code cf_acme_authz_parse(const char *url, const uint8_t *body, size_t len, cf_acme_authz *out, cf_err *e);
/* A renewalInfo answer (RFC 9773 §4.2): its suggested window's start and end (fractions of a
 * second dropped); a window that ends before it starts is refused. */
cf_code cf_acme_renewal_info_parse(const char *url, const uint8_t *body, size_t len, int64_t *start, int64_t *end,
				   cf_err *e);
/* A problem document; false (nothing set) when body is not one. */
bool cf_acme_problem_parse(const uint8_t *body, size_t len, cf_acme_problem *out);
/* Whether p's type is ACME's error name ("badNonce", "rateLimited", ...). */
bool cf_acme_problem_is(const cf_acme_problem *p, const char *name);
/* One line for messages: "detail (name)", or "name" when there is no detail. */
void cf_acme_problem_line(const cf_acme_problem *p, char *out, size_t len);

/* The HTTP-01 challenge of a, or NULL. */
const cf_acme_challenge *cf_acme_authz_http01(const cf_acme_authz *a);
const char *cf_acme_status_name(cf_acme_status s);

void cf_acme_directory_free(cf_acme_directory *d);
void cf_acme_problem_free(cf_acme_problem *p);
void cf_acme_order_free(cf_acme_order *o);
void cf_acme_authz_free(cf_acme_authz *a);

/* The protected header of a request to url (RFC 8555 §6.2) as JSON text (malloc'd): alg, nonce
 * (NULL: none, as in an external account binding's or a key change's inner JWS), url, and either
 * kid (the account URL) or jwk (the public key's JWK JSON text, for newAccount and revokeCert with
 * the certificate's key). NULL when out of memory or jwk is not JSON. */
char *cf_acme_protected(const char *alg, const char *nonce, const char *url, const char *kid, const char *jwk);

#endif
