/* Issuing from a local CA (SPEC §9): a certificate from a CSR under a policy — a purpose profile
 * of SPEC §2, the LSC profile, or a copy of the request's extensions — with a random 127-bit
 * serial, notBefore an hour back and the CA's CRL and OCSP URLs; a directory of CSRs on every
 * core; and a node's pending CSR signed and installed in one step. The issued certificates are
 * recorded with the CA in the same transaction as the audit row ("ca issue", "csr sign"). */
#ifndef CF_CA_SIGN_H
#define CF_CA_SIGN_H

#include "core/ca/ca.h"
#include "core/fleet/deployment.h"
#include "core/transport.h"

#define CF_CA_LEAF_DAYS 730

/* How to issue. */
typedef struct cf_ca_issue_spec {
	const char *profile; /* a purpose ("tomcat", "CallManager", "CAPF", ...), "lsc" or "copy"; NULL: copy */
	int days;	     /* 0: CF_CA_LEAF_DAYS; never past the CA's own notAfter */
} cf_ca_issue_spec;

/* Issues one certificate from the request in buf (PEM or DER; csr_name in messages): CF_E_INPUT
 * for a request that does not parse, whose signature does not verify, whose key is too weak or of
 * the wrong type for the profile, or an unknown profile. *pem (caller frees) and serial (hex) on
 * success. */
cf_code cf_ca_issue(cf_store *st, const cf_audit_actor *a, const char *ca, const cf_ca_issue_spec *spec,
		    const char *csr_name, const uint8_t *buf, size_t len, int64_t now, char **pem, char serial[64],
		    cf_err *e);

/* What a batch did. */
typedef struct cf_ca_batch {
	size_t issued;
	double seconds; /* signing and recording */
} cf_ca_batch;

/* Issues a certificate for every request file in in_dir (regular files, in name order) and writes
 * each to out_dir as NAME.pem (NAME: the file name without its .csr/.pem/.der suffix). All or
 * nothing: every request is read and checked before one is signed (a bad one is CF_E_INPUT naming
 * its file), and all are recorded in one transaction before any file is written. Signs on every
 * core. */
cf_code cf_ca_issue_batch(cf_store *st, const cf_audit_actor *a, const char *ca, const cf_ca_issue_spec *spec,
			  const char *in_dir, const char *out_dir, int64_t now, cf_ca_batch *out, cf_err *e);

/* Signs the pending CSR of (node, purpose) with the CA under the purpose's profile and installs
 * the certificate through the checks of SPEC §3.4 (source "local-ca"), the CA's chain first
 * placed in the purpose's trust store; *out as cf_identity_upload gives it. */
cf_code cf_ca_csr_sign(cf_store *st, const cf_transport *net, const cf_audit_actor *a, const char *node,
		       const char *purpose, const char *ca, int64_t now, cf_outcome *out, char serial[64], cf_err *e);

#endif
