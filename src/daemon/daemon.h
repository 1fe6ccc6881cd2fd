/* certfleetd's shared state and the helpers its routes use: JSON replies, errors mapped from
 * cf_code to HTTP statuses, request bodies, query parameters, sessions. */
#ifndef CF_DAEMON_H
#define CF_DAEMON_H

#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "core/admin/audit.h"
#include "core/model/fields.h"
#include "core/model/plan.h"
#include "core/check/validate.h"
#include "daemon/login_budget.h"
#include "daemon/session.h"
#include "daemon/throttle.h"
#include "store/store.h"
#include "util/buf.h"

#define CF_DAEMON_BODY_MAX (1024 * 1024)	/* bytes of a JSON request */
#define CF_DAEMON_UPLOAD_MAX (20 * 1024 * 1024) /* bytes of a multipart upload */

struct cf_reload;
struct cf_runner;
struct cf_worker;
struct cf_conns;

/* The stored CRLs, parsed once per store connection (the loop's, each worker's) and again only
 * when the store's CRLs changed (cf_req_crls). */
typedef struct cf_daemon_crls {
	struct cf_crlset *set;
	int64_t version;    /* the store's data version they were read at */
	int64_t generation; /* and the CRLs' own (cf_store_crl_generation) */
} cf_daemon_crls;
void cf_daemon_crls_clear(cf_daemon_crls *c);

enum cf_loglevel { CF_LOG_INFO = 0, CF_LOG_DEBUG = 1, CF_LOG_ERROR = 2 };

typedef struct cf_daemon {
	cf_store *st;
	cf_sessions *sessions;
	cf_throttle *throttle;	       /* failed logins per client address */
	cf_login_budget *login_budget; /* password checks of logins, all addresses together */
	char *dummy_hash;	       /* verified against for unknown users, so both cases cost the same */
	int loglevel;
	uint8_t *public_cas; /* the system's public roots, for the doctor (NULL when none) */
	size_t public_cas_len;
	cf_daemon_crls crls;	   /* the loop's parsed CRLs (cf_req_crls) */
	struct cf_runner *runner;  /* the job runner (daemon/jobs.h) */
	struct cf_worker *worker;  /* the workers for changes (daemon/worker.h) */
	struct cf_worker *readers; /* and those for the API's reads */
	bool metrics_open;	   /* listening on a loopback address: /metrics open without metrics_token */
	char *metrics_token;	   /* else the bearer token /metrics needs (NULL: /metrics refused) */
	struct cf_conns *conns;	   /* the connection limits (conn_limits.h; NULL: none) */
	int metrics_cache_s;	   /* --metrics-cache: seconds a built /metrics answer is served again */
	cf_buf metrics_body;	   /* that answer (len 0: none yet); cf_daemon_metrics_cache_free */
	int64_t metrics_built_us;  /* when it was built (monotonic clock) */
} cf_daemon;

/* A reply made on a worker, kept for the loop to send: libevent's replies belong to the loop. */
typedef struct cf_held_reply {
	bool made;
	int status;
	struct evbuffer *body;
} cf_held_reply;

/* One request being answered: the daemon, the request, when it started, its client address. */
typedef struct cf_req {
	cf_daemon *d;
	cf_store *st;	      /* the store it uses: the loop's (d->st) or, on a worker, the worker's own */
	cf_daemon_crls *crls; /* the CRLs parsed on that store's connection */
	struct evhttp_request *r;
	const char *path; /* decoded path, without the query */
	const char *arg;  /* the {id} or {name} segment of the route's path, or NULL */
	struct evkeyvalq query;
	json_t *fields; /* the request's fields (JSON body or form parts), to name the one at fault */
	int64_t started_us;
	char client[64];
	const cf_session *session; /* set by cf_req_session: &session_copy */
	cf_session session_copy;
	cf_held_reply *held; /* on a worker: the reply, sent by the loop when the handler is done */
} cf_req;

/* Logs one line on stderr (level "info"/"debug"/"error"), printf-style. */
void cf_dlog(const cf_daemon *d, int level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Sends len bytes at p as the body (with the security headers) and logs the request line; on a
 * worker (q->held) the reply is kept for the loop to send (cf_reply_held). */
void cf_reply_bytes(cf_req *q, int status, const char *type, const void *p, size_t len);
/* On the loop: sends the reply a worker kept for q (500 when its handler made none) and frees it. */
void cf_reply_held(cf_req *q);
/* Sends body (steals the reference) with status and logs the request line. */
void cf_reply_json(cf_req *q, int status, json_t *body);
/* Sends {"error":{"code","message"}} with status. */
void cf_reply_error(cf_req *q, int status, const char *code, const char *message);
/* Sends the error e with the status its code maps to (400, 404, 409, 502 for a remote failure,
 * 500; 503 with Retry-After for the reason "retry"). When e's subject names a request field (or is
 * its value), the error carries "field": that field's name. */
void cf_reply_err(cf_req *q, const cf_err *e);
/* The "error" object cf_reply_err sends ({code, message, field?, reason?}, a new reference) and its
 * status into *status (a Retry-After header set on q when 503): for answers that carry more beside
 * it. */
json_t *cf_daemon_err_json(cf_req *q, const cf_err *e, int *status);
/* Sends {"error":{"code","message","field"}}: a field of the request is wrong. */
void cf_reply_field(cf_req *q, int status, const char *field, const char *message);
/* The request body parsed as a JSON object (borrowed: kept as q->fields, freed with the
 * request); replies 400, 413 or 415 (and returns NULL) when it is not one. */
json_t *cf_req_json(cf_req *q);
/* A string member of q->fields: NULL when absent; replies 400 naming the field and sets *bad when
 * present but not a string (or when required and absent). */
const char *cf_req_str(cf_req *q, const char *name, bool required, bool *bad);
/* A one-line string member that may be empty (a setting cleared with ""): NULL when absent; replies
 * 400 naming the field and sets *bad when not one. */
const char *cf_req_str_or_empty(cf_req *q, const char *name, bool *bad);
/* The same for text that may span lines (a PEM, a password): only non-empty and NUL-free. */
const char *cf_req_text(cf_req *q, const char *name, bool required, bool *bad);
/* A boolean member of q->fields (false when absent); replies 400 and sets *bad when not one. */
bool cf_req_bool(cf_req *q, const char *name, bool *bad);
/* Whether every member of q->fields is one of names (NULL-terminated); else replies 400 naming
 * the first other one (expected: the fields, for the message): a misspelt field would otherwise be
 * left out silently. */
bool cf_req_known_fields(cf_req *q, const char *const *names, const char *expected);
/* A query parameter (borrowed) or NULL. */
const char *cf_req_param(cf_req *q, const char *name);
/* A query parameter as a whole number in [lo, hi] (dflt when absent); replies 400 and returns
 * false when it is malformed. */
bool cf_req_number(cf_req *q, const char *name, int64_t lo, int64_t hi, int64_t dflt, int64_t *out);
/* Finds the caller's session; replies 401 and returns false when there is none. */
bool cf_req_session(cf_req *q);
/* Whether a request head's Cookie and X-CSRF-Token values (not NUL-terminated; NULL when absent)
 * name a live admin session and its token: what an upload needs before its body is read. */
bool cf_daemon_upload_allowed(cf_daemon *d, const char *cookie, size_t cookie_len, const char *csrf, size_t csrf_len);
/* For changes: a session (401), the X-CSRF-Token header matching it (403) and, when admin, the
 * admin role (403). Replies and returns false when one is missing. */
bool cf_req_change(cf_req *q, bool admin);

/* An audited change: who makes it, what it is and on what. */
typedef struct cf_change {
	cf_audit_actor actor;
	const char *action;
	char object[600];
	cf_daemon *d;
	cf_store *st; /* where its row is armed: the request's store */
} cf_change;

/* Starts an audited change: its row is armed on the store, to be written by the change's own
 * commit. object is printf-style. */
void cf_change_begin(cf_req *q, cf_change *c, const char *action, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Ends it after the library call returned rc: on success makes sure the row is there and returns
 * true (the caller replies); on failure rolls back, records the refusal with its error line,
 * replies the error and returns false. */
bool cf_change_end(cf_req *q, cf_change *c, cf_code rc, const cf_err *e);
/* The refusal half of cf_change_end without the reply: rolls back and records the refusal with
 * its error line (for a route whose refused answer carries more than the error). */
void cf_change_refused(cf_req *q, cf_change *c, const cf_err *e);
/* The change object (SPEC §11.2): the certificates made (ids), nodes, notes, warnings and the
 * restart plan of an outcome. */
json_t *cf_change_json(cf_req *q, const cf_outcome *out);

/* The stored CRLs on q's store, parsed again only when its CRLs changed (a page of certificates
 * asks about each of them); NULL with e set when they cannot be read. */
const struct cf_crlset *cf_req_crls(cf_req *q, cf_err *e);

/* The evhttp callback for every request (arg: the cf_daemon): sets up a cf_req and dispatches. */
void cf_daemon_handle(struct evhttp_request *r, void *arg);
/* The route table walk: answers q (always replies). */
void cf_routes_dispatch(cf_req *q);
/* Prints the route table, "METHOD PATH" per line (certfleetd --print-routes). */
void cf_routes_print(FILE *out);
/* The {id} argument as a positive number; replies 400 and returns false when it is not one. */
bool cf_req_id(cf_req *q, int64_t *id);

/* Route handlers, one per (method, path); q->arg holds a path parameter. */
void cf_route_login(cf_req *q);
void cf_route_logout(cf_req *q);
void cf_route_session(cf_req *q);
void cf_route_nodes(cf_req *q);
void cf_route_node_delete(cf_req *q);
void cf_route_clusters(cf_req *q);
void cf_route_cluster_get(cf_req *q);
void cf_route_cluster_set(cf_req *q);
void cf_route_cluster_delete(cf_req *q);
void cf_route_status(cf_req *q);
void cf_route_certs(cf_req *q);
void cf_route_cert_get(cf_req *q);
void cf_route_cert_delete(cf_req *q);
void cf_route_trust_prune(cf_req *q);
void cf_route_endpoints(cf_req *q);
void cf_route_endpoint_import(cf_req *q);
void cf_route_endpoint_delete(cf_req *q);
void cf_route_self_signed(cf_req *q);
void cf_route_csr_preview(cf_req *q);
void cf_route_csr_post(cf_req *q);
void cf_route_csr_get(cf_req *q);
void cf_route_csr_delete(cf_req *q);
void cf_route_upload(cf_req *q);
void cf_route_doctor(cf_req *q);
void cf_route_jobs(cf_req *q);
void cf_route_audit(cf_req *q);
void cf_route_users(cf_req *q);
void cf_route_user_add(cf_req *q);
void cf_route_user_delete(cf_req *q);
void cf_route_user_passwd(cf_req *q);
void cf_route_static(cf_req *q);
/* GET and PUT of a settings group (routes_settings.c): the routes below call them with theirs. */
void cf_route_settings_get(cf_req *q, const cf_fieldgroup *g);
void cf_route_settings_put(cf_req *q, const cf_fieldgroup *g);
void cf_route_monitor_get(cf_req *q);
void cf_route_monitor_put(cf_req *q);
void cf_route_monitor_run(cf_req *q);
void cf_route_metrics(cf_req *q);
/* Frees the cached /metrics answer (at exit). */
void cf_daemon_metrics_cache_free(cf_daemon *d);
void cf_route_revocation_get(cf_req *q);
void cf_route_revocation_put(cf_req *q);
void cf_route_revocation_check(cf_req *q);
void cf_route_crls(cf_req *q);
void cf_route_crl_add(cf_req *q);
void cf_route_crl_delete(cf_req *q);
void cf_route_crl_update(cf_req *q);
void cf_route_crl_dps(cf_req *q);
void cf_route_crl_dp_add(cf_req *q);
void cf_route_crl_dp_delete(cf_req *q);
void cf_route_crl_schedule_get(cf_req *q);
void cf_route_crl_schedule_put(cf_req *q);
void cf_route_cert_revocation(cf_req *q);
void cf_route_targets_get(cf_req *q);
void cf_route_targets_put(cf_req *q);
void cf_route_deploy(cf_req *q);
void cf_route_validate(cf_req *q);
void cf_route_trust_fetch(cf_req *q);
void cf_route_acme_accounts(cf_req *q);
void cf_route_acme_account_add(cf_req *q);
void cf_route_acme_account_rollover(cf_req *q);
void cf_route_acme_list(cf_req *q);
void cf_route_acme_identity(cf_req *q);
void cf_route_acme_order(cf_req *q);
void cf_route_acme_deploy(cf_req *q);
void cf_route_acme_auto(cf_req *q);
void cf_route_acme_revoke(cf_req *q);
void cf_route_ca_list(cf_req *q);
void cf_route_ca_create(cf_req *q);
void cf_route_ca_get(cf_req *q);
void cf_route_ca_config(cf_req *q);
void cf_route_ca_issue(cf_req *q);
void cf_route_ca_revoke(cf_req *q);
void cf_route_ca_issued(cf_req *q);
void cf_route_ca_crl(cf_req *q);

/* Whether host (a listen address as given to --listen, without brackets) is a loopback address:
 * 127.0.0.0/8, ::1 or an IPv4-mapped 127.x. Names (even "localhost") and wildcard addresses are
 * not: only a literal loopback address keeps /metrics to this machine. */
bool cf_listen_is_loopback(const char *host);

#endif
