/* "HOST:PORT" as a peer is named (trust fetch's target): HOST a DNS name, an IPv4 address or a
 * bracketed IPv6 address. Plain text rules, no lookups: core checks a target before anything
 * reaches the network, and net/connect.h connects to what it parsed. */
#include "util/hostport.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Whether every character of a host name is one DNS (or a hosts file) allows. */
static bool name_chars_ok(const char *s)
{
	for (; *s != '\0'; s++) {
		char ch = *s;
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-' ||
		      ch == '.' || ch == '_'))
			return false;
	}
	return true;
}

cf_code cf_hostport_parse(const char *text, cf_hostport *out, cf_err *e)
{
	cf_hostport hp = {0};
	const char *host = text, *host_end = NULL, *port = NULL;
	unsigned char addr[16];

	if (text[0] == '[') {
		host = text + 1;
		host_end = strchr(host, ']');
		if (host_end == NULL || host_end[1] != ':')
			return cf_err_set(e, CF_E_USAGE, text, "expected [IPv6-ADDRESS]:PORT");
		port = host_end + 2;
	} else {
		host_end = strrchr(text, ':');
		if (host_end == NULL)
			return cf_err_set(e, CF_E_USAGE, text, "expected HOST:PORT");
		if (memchr(text, ':', (size_t)(host_end - text)) != NULL)
			return cf_err_set(e, CF_E_USAGE, text, "an IPv6 address goes in brackets: [ADDRESS]:PORT");
		port = host_end + 1;
	}
	size_t hlen = (size_t)(host_end - host);
	if (hlen == 0 || hlen >= sizeof(hp.host))
		return cf_err_set(e, CF_E_USAGE, text, "expected HOST:PORT with a host of 1 to %zu characters",
				  sizeof(hp.host) - 1);
	memcpy(hp.host, host, hlen);
	hp.host[hlen] = '\0';

	char *end = NULL;
	errno = 0;
	long p = port[0] >= '0' && port[0] <= '9' ? strtol(port, &end, 10) : -1;
	if (p < 1 || p > 65535 || errno != 0 || *end != '\0')
		return cf_err_set(e, CF_E_USAGE, text, "the port must be a number from 1 to 65535");
	snprintf(hp.port, sizeof(hp.port), "%ld", p);

	if (text[0] == '[') {
		if (inet_pton(AF_INET6, hp.host, addr) != 1)
			return cf_err_set(e, CF_E_USAGE, text, "\"%s\" is not an IPv6 address", hp.host);
		hp.ip = true;
	} else if (inet_pton(AF_INET, hp.host, addr) == 1) {
		hp.ip = true;
	} else if (!name_chars_ok(hp.host)) {
		return cf_err_set(e, CF_E_USAGE, text, "\"%s\" is not a host name or IPv4 address", hp.host);
	}
	*out = hp;
	return CF_OK;
}
