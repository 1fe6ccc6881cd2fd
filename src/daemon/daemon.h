/* certfleetd's shared state and the helpers its routes use: JSON replies, errors mapped from
 * cf_code to HTTP statuses, request bodies, query parameters, sessions. */
#ifndef CF_DAEMON_H
#define CF_DAEMON_H

#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "daemon/session.h"
#include "daemon/throttle.h"
#include "store/store.h"

#define CF_DAEMON_BODY_MAX (1024 * 1024) /* bytes */

enum cf_loglevel { CF_LOG_INFO = 0, CF_LOG_DEBUG = 1, CF_LOG_ERROR = 2 };

typedef struct cf_daemon {
	cf_store *st;
	cf_sessions *sessions;
	cf_throttle *throttle; /* failed logins per client address */
	char *dummy_hash;      /* verified against for unknown users, so both cases cost the same */
	int loglevel;
} cf_daemon;

/* One request being answered: the daemon, the request, when it started, its client address. */
typedef struct cf_req {
	cf_daemon *d;
	struct evhttp_request *r;
	const char *path; /* decoded path, without the query */
	struct evkeyvalq query;
	int64_t started_us;
	char client[64];
	const cf_session *session; /* set by cf_req_session */
} cf_req;

/* Logs one line on stderr (level "info"/"debug"/"error"), printf-style. */
void cf_dlog(const cf_daemon *d, int level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Sends body (steals the reference) with status and logs the request line. */
void cf_reply_json(cf_req *q, int status, json_t *body);
/* Sends {"error":{"code","message"}} with status. */
void cf_reply_error(cf_req *q, int status, const char *code, const char *message);
/* Sends the error e with the status its code maps to (400, 404, 409, 500). */
void cf_reply_err(cf_req *q, const cf_err *e);
/* The request body parsed as a JSON object; replies 400 (and returns NULL) when it is not one. */
json_t *cf_req_json(cf_req *q);
/* A query parameter (borrowed) or NULL. */
const char *cf_req_param(cf_req *q, const char *name);
/* A query parameter as a whole number in [lo, hi] (dflt when absent); replies 400 and returns
 * false when it is malformed. */
bool cf_req_number(cf_req *q, const char *name, int64_t lo, int64_t hi, int64_t dflt, int64_t *out);
/* Finds the caller's session; replies 401 and returns false when there is none. */
bool cf_req_session(cf_req *q);
/* For changes: a session (401), the X-CSRF-Token header matching it (403) and, when admin, the
 * admin role (403). Replies and returns false when one is missing. */
bool cf_req_change(cf_req *q, bool admin);

/* The evhttp callback for every request (arg: the cf_daemon): sets up a cf_req and dispatches. */
void cf_daemon_handle(struct evhttp_request *r, void *arg);
/* The route table walk: answers q (always replies). */
void cf_routes_dispatch(cf_req *q);
/* Route handlers, one per (method, path). */
void cf_route_login(cf_req *q);
void cf_route_logout(cf_req *q);
void cf_route_nodes(cf_req *q);
void cf_route_certs(cf_req *q);
void cf_route_cert_get(cf_req *q, int64_t id);
void cf_route_cert_delete(cf_req *q, int64_t id);
void cf_route_audit(cf_req *q);

#endif
