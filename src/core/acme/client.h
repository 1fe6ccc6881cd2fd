/* An ACME client session (RFC 8555) with one CA: the directory, the nonces, and every request an
 * account makes, signed (JWS, crypto/jws.h) and sent over the transport's HTTP exchange. A
 * badNonce refusal is sent again at once with the nonce it came with (§6.5); any other problem
 * document becomes one CF_E_REMOTE line naming the CA's URL, with the CA's Retry-After and the
 * reason CF_ACME_RATE_LIMITED for rateLimited. The client holds no store and decides nothing: the
 * order's steps (acme/order.h) drive it. */
#ifndef CF_ACME_CLIENT_H
#define CF_ACME_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/acme/messages.h"
#include "core/transport.h"
#include "crypto/x509.h"
#include "util/err.h"
#include "util/strv.h"

/* The machine reason of a CA's rateLimited refusal (retry_after: the CA's Retry-After). */
#define CF_ACME_RATE_LIMITED "rate-limited"
/* The machine reason of any other refusal by the CA (its problem document). */
#define CF_ACME_REFUSED "acme-refused"

typedef struct cf_acme_client cf_acme_client;

/* Fetches and reads the directory at directory_url (https, checked against ca_file when non-NULL,
 * else the system's CAs). t and ca_file are borrowed for the client's life. */
cf_code cf_acme_client_open(const cf_transport *t, const char *directory_url, const char *ca_file, cf_acme_client **out,
			    cf_err *e);
void cf_acme_client_free(cf_acme_client *c);
const cf_acme_directory *cf_acme_client_directory(const cf_acme_client *c);
/* The account requests are signed for: its key (borrowed) and its URL (kid; NULL until known). */
cf_code cf_acme_client_use(cf_acme_client *c, const cf_key *key, const char *kid, cf_err *e);
/* Whether the CA's last refusal was the ACME error name ("accountDoesNotExist", ...). */
bool cf_acme_client_refused_for(const cf_acme_client *c, const char *name);
/* The account URL in use (NULL: none yet). */
const char *cf_acme_client_kid(const cf_acme_client *c);

/* A new account (newAccount, §7.3) for the key in use, or the one the CA already has for it: its
 * URL is the client's kid afterwards. contact: an e-mail address or NULL. An external account
 * binding (§7.3.4) when eab_kid is non-NULL, with the CA's MAC key (mac_len bytes). */
typedef struct cf_acme_newaccount {
	const char *email;
	bool agree_tos;
	const char *eab_kid;
	const uint8_t *eab_mac;
	size_t eab_mac_len;
} cf_acme_newaccount;
cf_code cf_acme_register(cf_acme_client *c, const cf_acme_newaccount *a, cf_err *e);
/* Looks up the CA's account for the key in use (newAccount with onlyReturnExisting): *found, and
 * its URL as the client's kid when found. */
cf_code cf_acme_lookup(cf_acme_client *c, bool *found, cf_err *e);
/* Rolls the account over to new_key (§7.3.5); the client signs with it afterwards. */
cf_code cf_acme_key_change(cf_acme_client *c, const cf_key *new_key, cf_err *e);

/* A new order (§7.4) for the dns names, with a profile (NULL: the CA's default) and the ARI
 * certificate id it replaces (RFC 9773 §5; NULL: none); *url: the order's URL (malloc'd). */
cf_code cf_acme_new_order(cf_acme_client *c, const cf_strv *names, const char *profile, const char *replaces,
			  cf_acme_order *out, char **url, cf_err *e);
/* The order, authorization at url now (POST-as-GET); *retry_after: the CA's Retry-After in
 * seconds (0: not said). */
cf_code cf_acme_get_order(cf_acme_client *c, const char *url, cf_acme_order *out, int *retry_after, cf_err *e);
cf_code cf_acme_get_authz(cf_acme_client *c, const char *url, cf_acme_authz *out, int *retry_after, cf_err *e);
/* Tells the CA the challenge at url is ready to be checked (§7.5.1). */
cf_code cf_acme_challenge_ready(cf_acme_client *c, const char *url, cf_err *e);
/* Sends the CSR (DER) to the order's finalize URL (§7.4); *out: the order as it answers. */
cf_code cf_acme_finalize(cf_acme_client *c, const char *finalize_url, const uint8_t *csr_der, size_t len,
			 cf_acme_order *out, int *retry_after, cf_err *e);
/* Downloads the certificate chain at url (PEM, leaf first) into *pem (malloc'd) and the URLs of
 * the alternate chains the CA offers (Link rel="alternate", §7.4.2) into alternates. */
cf_code cf_acme_download(cf_acme_client *c, const char *url, char **pem, cf_strv *alternates, cf_err *e);
/* Revokes the certificate (DER) with an RFC 5280 reason code (§7.6): signed with the account, or
 * with the certificate's own key when cert_key is non-NULL. */
cf_code cf_acme_revoke(cf_acme_client *c, const uint8_t *der, size_t len, int reason, const cf_key *cert_key,
		       cf_err *e);

/* The CA's suggested renewal window for the certificate of ARI id cert_id (RFC 9773; GET
 * renewalInfo/<id>): *known false (CF_OK) when the CA does not know the certificate (404) or
 * offers no ARI; *retry_after: when to ask again (the CA's Retry-After, seconds). */
cf_code cf_acme_renewal_info(cf_acme_client *c, const char *cert_id, bool *known, int64_t *start, int64_t *end,
			     int *retry_after, cf_err *e);

/* Seconds a Retry-After value asks for (delta-seconds or an HTTP date, against now); 0 when absent
 * or unreadable; at most a day. */
int cf_acme_retry_after(const char *value, int64_t now);

#endif
