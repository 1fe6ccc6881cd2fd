#include "core/model/fqdn.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <string.h>

bool cf_is_ip(const char *s)
{
	unsigned char buf[16];
	return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

const char *cf_fqdn_problem(const char *s)
{
	size_t len = strlen(s);
	if (len == 0)
		return "it is empty";
	if (cf_is_ip(s))
		return "an IP address is not an FQDN";
	if (len > 253)
		return "it is longer than 253 characters";
	if (strchr(s, '.') == NULL)
		return "a single label is not an FQDN";
	const char *label = s, *last = s;
	for (const char *p = s;; p++) {
		if (*p == '.' || *p == '\0') {
			size_t l = (size_t)(p - label);
			if (l == 0)
				return "it has an empty label";
			if (l > 63)
				return "a label is longer than 63 characters";
			if (label[0] == '-' || label[l - 1] == '-')
				return "a label starts or ends with a hyphen";
			last = label;
			if (*p == '\0')
				break;
			label = p + 1;
			continue;
		}
		if (!isalnum((unsigned char)*p) && *p != '-')
			return *p == '*' ? "a wildcard is not allowed here"
					 : "only letters, digits, hyphens and dots are allowed";
	}
	if (!isalpha((unsigned char)last[0]))
		return "the last label must start with a letter";
	return NULL;
}

bool cf_fqdn_valid(const char *s)
{
	return cf_fqdn_problem(s) == NULL;
}

const char *cf_wildcard_fqdn_problem(const char *s)
{
	return strncmp(s, "*.", 2) == 0 ? cf_fqdn_problem(s + 2) : cf_fqdn_problem(s);
}
