/* "HOST:PORT" parsed by text rules alone (no lookups), for core (a target checked before it
 * reaches the network) and net/connect.h (which connects to it). */
#ifndef CF_HOSTPORT_H
#define CF_HOSTPORT_H

#include <stdbool.h>

#include "util/err.h"

/* A parsed "HOST:PORT": HOST a DNS name, an IPv4 address or a bracketed IPv6 address. */
typedef struct cf_hostport {
	char host[254]; /* without brackets */
	char port[6];	/* 1..65535, decimal */
	bool ip;	/* host is an IP address literal */
} cf_hostport;

/* Parses text as HOST:PORT ("name:443", "192.0.2.1:636", "[2001:db8::1]:5222"). Anything else
 * is CF_E_USAGE naming text. */
cf_code cf_hostport_parse(const char *text, cf_hostport *out, cf_err *e);

#endif
