/* The served check (SPEC §7, "served ≠ stored"): after a deploy, does each node serve the identity
 * the store holds? A TLS handshake with the address a deploy target names (its `serves`, after a
 * STARTTLS dialogue when it names one), or with certfleetd's own listener for its node's tomcat
 * identity, and the served leaf's SHA-256 compared with the stored identity's. Services reload
 * asynchronously (certfleetd re-reads its identity from the store within a second; a reload
 * command may return before its service did), so a mismatch or a failed handshake is tried again
 * with short pauses for up to CF_SERVED_WAIT_MS before it counts. Each outcome is kept in the
 * store (store/served.h) for the doctor (served-mismatch, served-unreachable), /metrics and the
 * ACME state. The network only through the transport's chain. */
#ifndef CF_SERVED_H
#define CF_SERVED_H

#include <stdbool.h>

#include "core/transport.h"
#include "store/store.h"

#define CF_SERVED_WAIT_MS 10000	    /* how long a service may take to serve the new identity */
#define CF_SERVED_PAUSE_MS 250	    /* between two handshakes with one address */
#define CF_SERVED_HANDSHAKE_MS 5000 /* one connection, STARTTLS and handshake at most */
/* The STARTTLS protocols a deploy target may name: those of `trust fetch` (net/starttls.h). */
#define CF_SERVED_STARTTLS "xmpp|smtp|ldap"

/* Whether the check found the stored identity served: a handshake whose leaf has the stored
 * identity's SHA-256. */
bool cf_served_matches(const cf_servedcheck *c);

/* Checks a deploy target's serves and starttls fields: NULL (kept), "" (none) or "HOST:PORT", and
 * one of CF_SERVED_STARTTLS. CF_E_INPUT naming "serves" or "starttls" otherwise. */
cf_code cf_served_fields_check(const char *serves, const char *starttls, cf_err *e);

/* certfleetd: this process serves node's tomcat identity at listen ("ADDR:PORT"; a wildcard
 * address is reached on loopback), so a deploy it makes of that identity checks it there too.
 * Called once at start, before any check; NULL forgets it. */
void cf_served_set_self(const char *node, const char *listen);

/* How long to try (tests shorten it); zeroes: the defaults above. */
typedef struct cf_served_opts {
	int wait_ms, pause_ms;
} cf_served_opts;

typedef struct cf_served_report {
	cf_servedcheck *v; /* in target order, certfleetd's own last */
	size_t n;
} cf_served_report;

void cf_served_report_free(cf_served_report *r);

/* Checks, for node (FQDN) and purpose (NULL: every purpose), every deploy target that names a
 * serves address, and certfleetd's own listener (cf_served_set_self) when node and purpose cover
 * its tomcat identity and no target names an address for it; keeps each outcome in the store.
 * CF_OK when the checks ran, whatever they found (out->n == 0: nothing to check); what they found
 * is cf_served_verdict's. CF_E_NOTFOUND for an unknown node. o may be NULL. */
cf_code cf_served_check(cf_store *st, const cf_transport *net, const char *node, const char *purpose,
			const cf_served_opts *o, cf_served_report *out, cf_err *e);

/* CF_OK when every check of r matched; else CF_E_REMOTE (reason "served-mismatch" or
 * "served-unreachable") naming the first that did not: "ucm1.example.com tomcat serves SHA-256 X
 * at ADDR, the store holds Y: ...". */
cf_code cf_served_verdict(const cf_served_report *r, cf_err *e);

#endif
