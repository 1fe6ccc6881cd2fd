/* Sending a message through an SMTP server with libcurl: plain, STARTTLS (required) or implicit
 * TLS, AUTH when a user is set, the server's certificate and name checked. */
#ifndef CF_SMTP_H
#define CF_SMTP_H

#include "util/err.h"

/* Where and how a message goes; everything borrowed for the call. */
typedef struct cf_smtp_mail {
	const char *host;
	int port;
	const char *tls;      /* "none", "starttls" or "implicit" */
	const char *ca;	      /* CA bundle file the server is checked against ("" or NULL: the system's) */
	const char *user;     /* "" or NULL: no AUTH */
	const char *password; /* with user */
	const char *from;     /* the sender address */
	const char *to;	      /* the recipients' addresses separated by ';' */
} cf_smtp_mail;

/* Sends message (RFC 5322 text) as m says. CF_E_REMOTE with libcurl's reason, naming the server,
 * when the server does not take it (never with the password in it). */
cf_code cf_smtp_send(const cf_smtp_mail *m, const char *message, cf_err *e);

#endif
