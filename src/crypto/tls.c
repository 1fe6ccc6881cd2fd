/* TLS client handshake for fetching a peer's chain. The socket belongs to the caller; OpenSSL
 * reaches it through a small BIO that waits no longer than the deadline and never raises
 * SIGPIPE. The chain is captured when the peer's Certificate message is checked, so it
 * survives a handshake that fails afterwards. */
#include "crypto/tls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "crypto/crypto_int.h"

/* ---- the socket BIO ------------------------------------------------------------------------ */

/* The state under one handshake: the socket, its deadline, and what went wrong underneath. */
typedef struct sock_io {
	int fd;
	int64_t deadline; /* CLOCK_MONOTONIC milliseconds */
	bool timed_out, eof;
	int sys_errno;
	size_t received;
} sock_io;

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits for events on the socket: true when ready, false on timeout or error (recorded). */
static bool io_wait(sock_io *io, short events)
{
	for (;;) {
		int64_t left = io->deadline - now_ms();
		if (left <= 0) {
			io->timed_out = true;
			return false;
		}
		struct pollfd p = {.fd = io->fd, .events = events};
		int n = poll(&p, 1, left > 86400000 ? 86400000 : (int)left);
		if (n > 0)
			return true;
		if (n < 0 && errno != EINTR) {
			io->sys_errno = errno;
			return false;
		}
	}
}

static int io_write(BIO *b, const char *buf, int len)
{
	sock_io *io = BIO_get_data(b);
	BIO_clear_retry_flags(b);
	while (io_wait(io, POLLOUT)) {
		ssize_t n = send(io->fd, buf, (size_t)len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n >= 0)
			return (int)n;
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
			io->sys_errno = errno;
			break;
		}
	}
	return -1;
}

static int io_read(BIO *b, char *buf, int len)
{
	sock_io *io = BIO_get_data(b);
	BIO_clear_retry_flags(b);
	while (io_wait(io, POLLIN)) {
		ssize_t n = recv(io->fd, buf, (size_t)len, MSG_DONTWAIT);
		if (n > 0) {
			io->received += (size_t)n;
			return (int)n;
		}
		if (n == 0) {
			io->eof = true;
			return 0;
		}
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
			io->sys_errno = errno;
			break;
		}
	}
	return -1;
}

static long io_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	(void)b, (void)num, (void)ptr;
	return cmd == BIO_CTRL_FLUSH ? 1 : 0;
}

static int io_create(BIO *b)
{
	BIO_set_init(b, 1);
	return 1;
}

static BIO_METHOD *io_method_v;

static void io_method_init(void)
{
	BIO_METHOD *m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "certfleet socket");
	if (m == NULL || !BIO_meth_set_write(m, io_write) || !BIO_meth_set_read(m, io_read) ||
	    !BIO_meth_set_ctrl(m, io_ctrl) || !BIO_meth_set_create(m, io_create)) {
		BIO_meth_free(m);
		return;
	}
	io_method_v = m;
}

/* The BIO method, made once for the process (borrowed; never freed); NULL when out of memory. */
static const BIO_METHOD *io_method(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, io_method_init);
	return io_method_v;
}

/* ---- capturing the chain ----------------------------------------------------------------- */

/* What the verify callback saw. */
typedef struct capture {
	cf_cert **chain;
	size_t n;
	bool oom;
	bool verified;
	char verify_error[128];
} capture;

/* Called by OpenSSL with the peer's certificates instead of its own verification: keeps a copy
 * of them as presented, runs the verification only to report it, and lets the handshake go on. */
static int capture_chain(X509_STORE_CTX *ctx, void *arg)
{
	capture *cap = arg;
	STACK_OF(X509) *sk = X509_STORE_CTX_get0_untrusted(ctx); /* the peer's list, leaf first */
	X509 *leaf = X509_STORE_CTX_get0_cert(ctx);
	int n = sk != NULL && sk_X509_num(sk) > 0 ? sk_X509_num(sk) : leaf != NULL ? 1 : 0;

	if (cap->chain == NULL && n > 0 && (cap->chain = calloc((size_t)n, sizeof(*cap->chain))) != NULL) {
		for (int i = 0; i < n; i++) {
			X509 *x = sk != NULL && sk_X509_num(sk) > 0 ? sk_X509_value(sk, i) : leaf;
			cf_cert *c = X509_up_ref(x) ? cf_cert_wrap(x) : NULL;
			if (c == NULL) {
				cap->oom = true;
				break;
			}
			cap->chain[cap->n++] = c;
		}
	} else if (n > 0 && cap->chain == NULL) {
		cap->oom = true;
	}
	cap->verified = X509_verify_cert(ctx) == 1;
	if (!cap->verified)
		snprintf(cap->verify_error, sizeof(cap->verify_error), "%s",
			 X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
	ERR_clear_error();
	return 1;
}

/* ---- the handshake ------------------------------------------------------------------------- */

/* The key type of a public key, as TLS names the handshake's signature family. */
static const char *tls_key_name(EVP_PKEY *pk)
{
	if (pk == NULL)
		return "other";
	if (EVP_PKEY_is_a(pk, "RSA") || EVP_PKEY_is_a(pk, "RSA-PSS"))
		return "RSA";
	if (EVP_PKEY_is_a(pk, "EC"))
		return "ECDSA";
	if (EVP_PKEY_is_a(pk, "ED25519") || EVP_PKEY_is_a(pk, "ED448"))
		return "EdDSA";
	return "other";
}

/* "RSA-PSS+SHA256" from the handshake's signature, "" when the peer signed nothing. */
static void signature_name(SSL *ssl, char *out, size_t cap)
{
	static const struct {
		int nid;
		const char *name;
	} types[] = {{EVP_PKEY_RSA, "RSA"},
		     {EVP_PKEY_RSA_PSS, "RSA-PSS"},
		     {EVP_PKEY_EC, "ECDSA"},
		     {EVP_PKEY_ED25519, "Ed25519"},
		     {EVP_PKEY_ED448, "Ed448"}};
	int type = NID_undef, hash = NID_undef;
	out[0] = '\0';
	if (SSL_get_peer_signature_type_nid(ssl, &type) != 1)
		return;
	const char *tname = OBJ_nid2sn(type);
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (types[i].nid == type)
			tname = types[i].name;
	if (SSL_get_peer_signature_nid(ssl, &hash) == 1 && hash != NID_undef && type != EVP_PKEY_ED25519 &&
	    type != EVP_PKEY_ED448) {
		char h[16];
		snprintf(h, sizeof(h), "%s", OBJ_nid2sn(hash));
		for (char *p = h; *p; p++)
			*p = (char)(*p >= 'a' && *p <= 'z' ? *p - 'a' + 'A' : *p);
		snprintf(out, cap, "%s+%s", tname, h);
	} else {
		snprintf(out, cap, "%s", tname);
	}
}

/* Why SSL_connect failed, from what the socket saw first, then OpenSSL's error queue (which it
 * empties). */
static void handshake_failure(const sock_io *io, cf_err *e)
{
	if (io->timed_out) {
		cf_err_set(e, CF_E_REMOTE, NULL, "timed out during the TLS handshake");
		cf_err_reason(e, CF_REASON_TIMEOUT);
	} else if (io->eof && io->received == 0)
		cf_err_set(e, CF_E_REMOTE, NULL,
			   "the server closed the connection without answering the TLS handshake");
	else if (io->eof)
		cf_err_set(e, CF_E_REMOTE, NULL, "the server closed the connection during the TLS handshake");
	else if (io->sys_errno != 0)
		cf_err_set(e, CF_E_REMOTE, NULL, "TLS handshake failed: %s", strerror(io->sys_errno));
	else
		cf_ossl_err(e, CF_E_REMOTE, NULL, "TLS handshake failed");
	ERR_clear_error();
}

/* Sets up what the client offers: everything from TLS 1.0, any cipher with authentication. */
static SSL_CTX *client_ctx(capture *cap, cf_err *e)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	if (ctx == NULL) {
		cf_ossl_err(e, CF_E_INTERNAL, NULL, "cannot set up TLS");
		return NULL;
	}
	SSL_CTX_set_security_level(ctx, 0);
	if (!SSL_CTX_set_min_proto_version(ctx, TLS1_VERSION) ||
	    !SSL_CTX_set_cipher_list(ctx, "ALL:!aNULL:!eNULL:@SECLEVEL=0")) {
		cf_ossl_err(e, CF_E_INTERNAL, NULL, "cannot set up TLS");
		SSL_CTX_free(ctx);
		return NULL;
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	if (SSL_CTX_set_default_verify_paths(ctx) != 1)
		ERR_clear_error(); /* no system CAs: nothing verifies, which is reported */
	SSL_CTX_set_cert_verify_callback(ctx, capture_chain, cap);
	return ctx;
}

/* Points the verification at a name: an IP address literal or a DNS name. */
static bool set_verify_name(SSL *ssl, const char *name)
{
	unsigned char addr[16];
	if (inet_pton(AF_INET, name, addr) == 1 || inet_pton(AF_INET6, name, addr) == 1)
		return X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), name) == 1;
	return SSL_set1_host(ssl, name) == 1;
}

cf_code cf_tls_fetch(int fd, const char *sni, const char *verify_name, int timeout_ms, cf_tls_peer *out, cf_err *e)
{
	capture cap = {0};
	sock_io io = {.fd = fd, .deadline = now_ms() + (timeout_ms > 0 ? timeout_ms : 0)};
	cf_tls_peer peer = {0};
	SSL_CTX *ctx = NULL;
	SSL *ssl = NULL;
	BIO *bio = NULL;
	const BIO_METHOD *method = io_method();
	cf_code rc = CF_OK;

	ERR_clear_error();
	if (method == NULL || (ctx = client_ctx(&cap, e)) == NULL || (ssl = SSL_new(ctx)) == NULL ||
	    (bio = BIO_new(method)) == NULL) {
		rc = method == NULL || ctx != NULL ? cf_ossl_err(e, CF_E_INTERNAL, NULL, "cannot set up TLS")
						   : CF_E_INTERNAL;
		goto out;
	}
	BIO_set_data(bio, &io);
	SSL_set_bio(ssl, bio, bio); /* ssl owns bio now */
	if ((sni != NULL && sni[0] != '\0' && SSL_set_tlsext_host_name(ssl, sni) != 1) ||
	    (verify_name != NULL && verify_name[0] != '\0' && !set_verify_name(ssl, verify_name))) {
		rc = cf_ossl_err(e, CF_E_INTERNAL, NULL, "cannot set the server name");
		goto out;
	}

	peer.completed = SSL_connect(ssl) == 1;
	if (!peer.completed) {
		cf_err why = {0};
		handshake_failure(&io, &why);
		if (cap.n == 0 && !cap.oom) {
			rc = cf_err_set(e, why.code, NULL, "%s", why.message);
			cf_err_reason(e, why.reason);
			goto out;
		}
		snprintf(peer.failure, sizeof(peer.failure), "%.255s", why.message);
	}
	if (cap.oom) {
		rc = cf_err_set(e, CF_E_INTERNAL, NULL, "out of memory");
		goto out;
	}
	if (cap.n == 0) {
		rc = cf_err_set(e, CF_E_REMOTE, NULL, "the server presented no certificate");
		goto out;
	}

	snprintf(peer.version, sizeof(peer.version), "%s", SSL_get_version(ssl));
	const SSL_CIPHER *cipher = SSL_get_current_cipher(ssl);
	snprintf(peer.cipher, sizeof(peer.cipher), "%s", cipher != NULL ? SSL_CIPHER_get_name(cipher) : "");
	peer.key_type = tls_key_name(X509_get0_pubkey(cf_cert_x(cap.chain[0])));
	signature_name(ssl, peer.signature, sizeof(peer.signature));
	peer.verified = cap.verified;
	snprintf(peer.verify_error, sizeof(peer.verify_error), "%s", cap.verified ? "" : cap.verify_error);
	if (peer.completed)
		SSL_shutdown(ssl); /* close_notify, without waiting for the peer's */
	peer.chain = cap.chain;
	peer.n_chain = cap.n;
	cap.chain = NULL;
	cap.n = 0;
	*out = peer;
out:
	ERR_clear_error();
	cf_certs_free(cap.chain, cap.n);
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	return rc;
}

void cf_tls_peer_free(cf_tls_peer *p)
{
	if (p == NULL)
		return;
	cf_certs_free(p->chain, p->n_chain);
	memset(p, 0, sizeof(*p));
}
