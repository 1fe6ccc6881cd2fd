/* The TLS client side of fetching a peer's certificates ("certificate import tool", SPEC §3.6):
 * a handshake on a socket someone else connected, capturing the chain the peer presents. No
 * OpenSSL type appears here. */
#ifndef CF_TLS_H
#define CF_TLS_H

#include <stdbool.h>
#include <stddef.h>

#include "crypto/x509.h"
#include "util/err.h"

/* What a handshake learned about the peer. */
typedef struct cf_tls_peer {
	cf_cert **chain;	/* as presented, leaf first (owned; cf_tls_peer_free) */
	size_t n_chain;		/* >= 1 */
	char version[16];	/* "TLSv1.3", "TLSv1.2", ... */
	char cipher[64];	/* "TLS_AES_256_GCM_SHA384", "ECDHE-RSA-AES128-GCM-SHA256", ... */
	const char *key_type;	/* the peer's key as the handshake used it: "RSA", "ECDSA", "EdDSA", "other" */
	char signature[48];	/* the handshake signature, "RSA-PSS+SHA256", "ECDSA+SHA384"; "" when none */
	bool completed;		/* false: the chain arrived, then the handshake failed (see failure) */
	char failure[256];	/* why the handshake failed, when !completed */
	bool verified;		/* the chain verifies to the system's default CAs for verify_name */
	char verify_error[128]; /* why not, when !verified */
} cf_tls_peer;

/* Runs a TLS client handshake on the connected socket fd (the caller keeps and closes it),
 * sending sni (NULL: no SNI), within timeout_ms. It accepts any version from TLS 1.0 and any
 * certificate: the point is to see what an untrusted peer presents. Verification against the
 * system's default CAs and verify_name (a host name or IP address; NULL: none) is only
 * reported. When the peer's certificates arrived but the handshake then failed (a peer that
 * insists on a client certificate under TLS 1.2), the result is still CF_OK with completed
 * false. A refused or broken handshake before the certificates, a peer presenting none, a
 * closed connection or the timeout is CF_E_REMOTE with the reason (subject left empty).
 * *out is written only on success; free it with cf_tls_peer_free. */
cf_code cf_tls_fetch(int fd, const char *sni, const char *verify_name, int timeout_ms, cf_tls_peer *out, cf_err *e);
/* Frees the chain; leaves *p zeroed. NULL-safe. */
void cf_tls_peer_free(cf_tls_peer *p);

#endif
