/* Sending the monitor's digest through an SMTP server with libcurl: plain, STARTTLS (required)
 * or implicit TLS, AUTH when a user is set, the server's certificate and name checked. */
#ifndef CF_SMTP_H
#define CF_SMTP_H

#include "core/monitor.h"

/* A cf_monitor_deliver_fn: sends message from s->from to every address of s->emails through
 * s->smtp_host:s->smtp_port. CF_E_REMOTE with libcurl's reason when the server does not take it
 * (never with the password in it). ctx is unused. */
cf_code cf_smtp_send(void *ctx, const cf_monitor_settings *s, const char *password, const char *message, cf_err *e);

#endif
