/* The doctor (SPEC §4): checks a whole deployment against a table of rules, each with a stable
 * id, a severity and a one-line fix, and reports findings. It reads the store only; it works on
 * the facts stored with each certificate and opens DER only to verify a chain signature. */
#ifndef CF_DOCTOR_H
#define CF_DOCTOR_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

typedef enum cf_severity { CF_SEV_INFO = 0, CF_SEV_WARNING = 1, CF_SEV_ERROR = 2 } cf_severity;

/* "info", "warning" or "error". */
const char *cf_severity_name(cf_severity s);

/* What the page can do about a finding, as data (the fix is the same advice as text): a kind and
 * the object it acts on. Kinds and the members each carries in JSON:
 *   prune {node}                       delete the stale self-signed trust copies on node
 *   csr {node, purpose, multi_server}  generate a CSR (then upload what the CA issues)
 *   self-signed {node, purpose, multi_server}
 *   upload {node, purpose}             upload a CA-signed certificate (node: the publisher)
 *   trust-add {node, store}            upload a CA certificate into the store
 *   trust-delete {node, store, id}     delete that trust certificate
 *   trust-list {node, store}           the store's certificates, to delete those nobody uses
 *   csr-discard {node, purpose}        discard the pending CSR (or upload what it was signed as)
 *   crl-update {}                      download the distribution points (or add a CRL by hand) */
typedef struct cf_action {
	const char *kind; /* borrowed static text; NULL: no page action */
	char node[256];	  /* where to act: the publisher for a multi-server identity */
	char purpose[128];
	char store[128];
	int64_t id; /* trust-delete: the certificate */
	bool multi_server;
} cf_action;

/* One finding. rule is borrowed from the rule table; the strings are owned. */
typedef struct cf_finding {
	const char *rule;
	cf_severity severity;
	char *node;    /* FQDN */
	char *purpose; /* identity purpose, trust store name, or "" for the node as a whole */
	char *message; /* one line, with the specifics */
	char *fix;     /* one line: the certfleet command line that fixes it */
	cf_action action;
} cf_finding;

typedef struct cf_findings {
	cf_finding *v;
	size_t n, cap;
} cf_findings;

/* Frees every finding and the array; leaves an empty, reusable list. NULL-safe. */
void cf_findings_free(cf_findings *f);
/* How many findings have severity s. */
size_t cf_findings_count(const cf_findings *f, cf_severity s);

typedef struct cf_doctor_opts {
	const char *node;	   /* only findings on this node (FQDN); NULL for the whole deployment */
	int expiring_days;	   /* `expiring` window; 0 = the expiry monitor's notification start */
	int csr_max_age_days;	   /* `pending-csr-old` age; 0 = 30 */
	const uint8_t *public_cas; /* PEM bundle of public root CAs (the system bundle), or NULL */
	size_t public_cas_len;
} cf_doctor_opts;

/* Runs every rule over the deployment (or one node) and appends the findings to *out, node by
 * node in store order, then by subject and rule. An unknown opts->node is CF_E_NOTFOUND naming
 * it. Findings are not errors: the return is CF_OK however many there are. */
cf_code cf_doctor_run(cf_store *st, const cf_doctor_opts *opts, cf_findings *out, cf_err *e);

/* Iterates the distinct rule ids in table order: start with *i = 0; NULL at the end. */
const char *cf_doctor_rule_next(int *i);

/* The SPEC §11.2 doctor object {"findings":[{rule, severity, node, purpose, message, fix, action}]},
 * action an object {kind, ...} (see cf_action) or null; the command line's --json and the API's
 * GET /doctor both print it (new reference, NULL when out of memory). */
json_t *cf_doctor_json(const cf_findings *f);

#endif
