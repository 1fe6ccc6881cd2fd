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

/* One finding. rule is borrowed from the rule table; the strings are owned. */
typedef struct cf_finding {
	const char *rule;
	cf_severity severity;
	char *node;    /* FQDN */
	char *purpose; /* identity purpose, trust store name, or "" for the node as a whole */
	char *message; /* one line, with the specifics */
	char *fix;     /* one line */
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

/* The SPEC §11.2 doctor object {"findings":[{rule, severity, node, purpose, message, fix}]}
 * (new reference, NULL when out of memory). */
json_t *cf_doctor_json(const cf_findings *f);

#endif
