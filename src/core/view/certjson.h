/* The JSON shapes of SPEC §11.2, shared by the command line and the daemon. Every function
 * returns a new reference (jansson) or NULL when out of memory. */
#ifndef CF_CERTJSON_H
#define CF_CERTJSON_H

#include <jansson.h>

#include "core/lifecycle/deploy.h"
#include "core/lifecycle/identity.h"
#include "core/lifecycle/served.h"
#include "core/monitor/monitor.h"
#include "core/model/plan.h"
#include "core/revocation/revcheck.h"
#include "core/revocation/revocation.h"
#include "core/fleet/status.h"
#include "store/jobs.h"
#include "store/store.h"
#include "util/buf.h"

/* Certificate object: id, node, purpose|store, subject, ... warnings. */
json_t *cf_json_cert(const cf_certrow *r);
/* The member naming a certificate's place: "purpose" (identity), "store" (trust), "endpoint"
 * (an LSC: the device name). */
const char *cf_certkind_field(cf_certkind kind);
/* The same object as compact JSON text appended to b (what listings stream). */
void cf_certjson_write(cf_buf *b, const cf_certrow *r);
/* What a listing needs for each row's revocation status: the stored CRLs, the store (what OCSP
 * last said), whether OCSP said anything of any certificate, the time. */
typedef struct cf_certjson_rev {
	const cf_crlset *crls;
	cf_store *st;
	bool ocsp;
	int64_t now;
} cf_certjson_rev;
/* cf_certjson_write with two members more: "revocation" (cf_revocation_word) and
 * "revocation_source" ("crl" or "ocsp"): the one writer of the command line's and the API's lists. */
void cf_certjson_write_rev(cf_buf *b, const cf_certrow *r, const cf_certjson_rev *rev);
/* CSR object: node, purpose, subject, san, key_usage, ext_key_usage, key_type, key_bits, hash, pem. */
json_t *cf_json_csr(const cf_identity_csr_view *v);
json_t *cf_json_node(const cf_node *n);
json_t *cf_json_plan(const cf_plan *p);
json_t *cf_json_warnings(const cf_warnings *w);
/* What `deploy --json` lists: per target purpose, files, and when it has one the reload, its
 * reload_status, reload_output (and reload_timed_out), and what was repaired first. */
json_t *cf_json_deploy(const cf_deploy_report *r);
/* A deploy target as `deploy-target list --json` lists it: node, purpose, cert, key, chain (paths,
 * "" when not written), owner, mode (octal text, "0644"), reload, serves ("HOST:PORT" or "") and
 * starttls ("" when none). */
json_t *cf_json_target(const char *node, const cf_target *t);
/* A served check (core/lifecycle/served.h) as `acme show` carries it: {"address", "checked_at",
 * "sha256" (served; null when nothing was), "stored_sha256", "matches", "error" (null when the
 * handshake succeeded)}; null when c was never checked. */
json_t *cf_json_served(const cf_servedcheck *c);
/* The checks of a deploy: [{"node", "purpose", and cf_json_served's members}]. */
json_t *cf_json_served_report(const cf_served_report *r);
/* {"node", "items": [target...]}: `deploy-target list --json`. */
json_t *cf_json_targets(const char *node, const cf_target *v, size_t n);
/* The status list {"items":[{node, cluster, product, ..., first_expiry, days_left}]} at now. */
json_t *cf_json_status(const cf_node_status *v, size_t n, int64_t now);
/* A monitor run as `monitor run --json` prints it, {"due","sent","queued","next_run"}, written
 * directly (a pass may report 100,000 certificates). */
void cf_certjson_write_monitor_run(cf_buf *b, const cf_monitor_report *r);
/* A stored CRL as `crl list --json` prints it: id, issuer, issuer_hash, this_update, next_update
 * (absent when the CRL has none), number, entries, source, added. */
json_t *cf_json_crl(const cf_crlrow *r);
/* An OCSP pass as `revocation check --json` prints it and POST /revocation/check answers:
 * {"items":[{node, purpose|store, cn, sha256, status, trust, responder, message, checked,
 * next_update, newly_revoked}], "checked", "good", "revoked", "unknown", "errors"}, the items the
 * places of the certificates asked, the counts over distinct certificates. */
json_t *cf_json_revcheck(const cf_revcheck *p);
/* The job table as `job list --json` prints it and GET /jobs answers: {"items":[{kind, subject,
 * plan, next_run, attempts, last_run, last_status, last_error, running}]}, running null or
 * {"by", "until"} while a process holds the job's lease at now. */
json_t *cf_json_jobs(const cf_job *v, size_t n, int64_t now);
/* Adds an outcome's nodes, notes, warnings (unless obj has them) and restart plan to obj. */
void cf_json_outcome(json_t *obj, const cf_outcome *o);

#endif
