/* STARTTLS: the plaintext dialogues that turn an SMTP, XMPP or LDAP connection into one ready
 * for a TLS handshake (RFC 3207, RFC 6120 §5, RFC 4511 §4.14). One table row per protocol. */
#ifndef CF_STARTTLS_H
#define CF_STARTTLS_H

#include <stdbool.h>
#include <stdint.h>

#include "util/err.h"

/* Whether proto names a protocol cf_starttls speaks. */
bool cf_starttls_known(const char *proto);
/* The protocol names, '|'-separated, for usage text ("xmpp|smtp|ldap"). */
const char *cf_starttls_names(void);

/* Runs proto's STARTTLS dialogue on the connected socket fd, all before deadline (see
 * net/connect.h), leaving the next bytes on the wire to the TLS handshake. domain is the name
 * the dialogue announces (the XMPP stream's `to`; may be NULL for the others). A refusal, a
 * malformed answer, plaintext sent after the server's go-ahead, a closed connection or the
 * deadline is CF_E_REMOTE (subject left empty); an unknown proto is CF_E_USAGE. */
cf_code cf_starttls(int fd, const char *proto, const char *domain, int64_t deadline, cf_err *e);

#endif
