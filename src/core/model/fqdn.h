/* Host name rules of SPEC §3.3. */
#ifndef CF_FQDN_H
#define CF_FQDN_H

#include <stdbool.h>

/* NULL when s is a valid FQDN; otherwise why it is not ("a single label is not an FQDN"). */
const char *cf_fqdn_problem(const char *s);
bool cf_fqdn_valid(const char *s);
/* Like cf_fqdn_problem, but also accepts "*.<valid FQDN>". */
const char *cf_wildcard_fqdn_problem(const char *s);
/* Whether s is an IPv4 or IPv6 address literal. */
bool cf_is_ip(const char *s);

#endif
