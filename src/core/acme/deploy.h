/* Deploying an identity's staged ACME certificate (SPEC §7): the CA's chain (as the CA sent it,
 * never a pinned intermediate) placed in the purpose's trust store when missing, then the upload
 * rules of SPEC §3.4 (the pending CSR's key, the chain to the trust store, the purpose's key type,
 * the usage bits the purpose needs: a certificate without clientAuth where the purpose needs it is
 * refused, naming the local CA), the identity replaced on every node in scope, then the node's
 * deploy targets written and reloaded (certfleetd reloads its own TLS context when its identity
 * changes), and what the node then serves checked. The identity's ACME state records the deploy, a refusal too. */
#ifndef CF_ACME_DEPLOY_H
#define CF_ACME_DEPLOY_H

#include "core/admin/audit.h"
#include "core/fleet/deployment.h"
#include "core/lifecycle/deploy.h"
#include "core/lifecycle/served.h"
#include "core/transport.h"
#include "store/store.h"

/* What a deploy did. */
typedef struct cf_acme_deployed {
	char sha256[65];	  /* the certificate now deployed */
	bool already;		  /* it was deployed before (a deploy a crash cut short is finished) */
	size_t chain_added;	  /* CA certificates placed in the trust store */
	cf_outcome upload;	  /* the upload's plan, notes and warnings */
	cf_deploy_report targets; /* the deploy targets written (none: n == 0) */
	cf_served_report served;  /* what the node serves afterwards (nothing checked: n == 0) */
} cf_acme_deployed;

void cf_acme_deployed_free(cf_acme_deployed *d);

/* Deploys the staged certificate of (node, purpose): CF_E_STATE when nothing is staged, the
 * upload's refusals (CF_E_INPUT with its rule id), CF_E_REMOTE when a deploy target's reload
 * fails (the identity is deployed then). Then the served check (core/lifecycle/served.h) of the
 * node's addresses for the purpose: CF_E_REMOTE with its reason ("served-mismatch",
 * "served-unreachable", also the last deploy's status) when one does not serve the new
 * certificate within its time. */
cf_code cf_acme_deploy(cf_store *st, const cf_transport *t, const cf_audit_actor *a, const char *node,
		       const char *purpose, cf_acme_deployed *out, cf_err *e);

#endif
