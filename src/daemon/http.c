/* certfleetd's request helpers: JSON replies and errors, logging, bodies, query parameters and
 * the session checks (see daemon.h). */
#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/http_struct.h>
#include <event2/keyvalq_struct.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>
#include <time.h>

#include "core/view/certjson.h"
#include "crypto/password.h"
#include "daemon/conn_limits.h"
#include "daemon/daemon.h"
#include "util/clock.h"
#include "util/text.h"

static const char *const level_names[] = {"info", "debug", "error"};

void cf_dlog(const cf_daemon *d, int level, const char *fmt, ...)
{
	char at[32];
	va_list ap;
	if (level == CF_LOG_DEBUG && d->loglevel < CF_LOG_DEBUG)
		return;
	cf_time_rfc3339(time(NULL), at);
	flockfile(stderr); /* the job runner's thread logs too: one line at a time */
	fprintf(stderr, "certfleetd: %s %s ", at, level_names[level]);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	funlockfile(stderr);
}

static int64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static const char *method_name(const cf_req *q)
{
	switch (evhttp_request_get_command(q->r)) {
	case EVHTTP_REQ_GET: return "GET";
	case EVHTTP_REQ_POST: return "POST";
	case EVHTTP_REQ_DELETE: return "DELETE";
	case EVHTTP_REQ_PUT: return "PUT";
	case EVHTTP_REQ_HEAD: return "HEAD";
	default: return "OTHER";
	}
}

/* Sends body with status and logs the request line (on the loop). */
static void send_reply(cf_req *q, int status, struct evbuffer *body)
{
	evhttp_send_reply(q->r, status, status < 400 ? "OK" : "Error", body);
	int64_t us = now_us() - q->started_us;
	cf_dlog(q->d, CF_LOG_INFO, "%s %s %s %d %" PRId64 ".%03" PRId64 "ms", q->client, method_name(q), q->path,
		status, us / 1000, us % 1000);
}

void cf_reply_bytes(cf_req *q, int status, const char *type, const void *p, size_t len)
{
	/* the headers go on the request on either thread: nothing else touches it until the reply */
	struct evkeyvalq *h = evhttp_request_get_output_headers(q->r);
	evhttp_add_header(h, "Content-Type", type);
	evhttp_add_header(h, "Cache-Control", "no-store");
	evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
	evhttp_add_header(h, "X-Frame-Options", "DENY");
	evhttp_add_header(h, "Referrer-Policy", "no-referrer");
	evhttp_add_header(h, "Content-Security-Policy",
			  "default-src 'self'; frame-ancestors 'none'; form-action 'self'");
	evhttp_add_header(h, "Strict-Transport-Security", "max-age=31536000");
	if (q->held != NULL) {
		q->held->made = true;
		q->held->status = status;
		if (q->held->body != NULL && p != NULL)
			evbuffer_add(q->held->body, p, len);
		return;
	}
	struct evbuffer *out = evbuffer_new();
	if (out != NULL && p != NULL)
		evbuffer_add(out, p, len);
	send_reply(q, status, out);
	if (out != NULL)
		evbuffer_free(out);
}

void cf_reply_held(cf_req *q)
{
	cf_held_reply *held = q->held;
	q->held = NULL;
	if (held->made && held->body != NULL)
		send_reply(q, held->status, held->body);
	else
		cf_reply_error(q, 500, "internal error", held->made ? "out of memory" : "the request got no answer");
	if (held->body != NULL)
		evbuffer_free(held->body);
	held->body = NULL;
}

void cf_reply_json(cf_req *q, int status, json_t *body)
{
	char *text = body != NULL ? json_dumps(body, JSON_COMPACT) : NULL;
	json_decref(body);
	if (text == NULL) {
		static const char oom[] = "{\"error\":{\"code\":\"internal error\",\"message\":\"out of memory\"}}\n";
		cf_reply_bytes(q, 500, "application/json", oom, sizeof(oom) - 1);
		return;
	}
	size_t len = strlen(text);
	text[len] = '\n'; /* json_dumps leaves room: the NUL becomes the line end */
	cf_reply_bytes(q, status, "application/json", text, len + 1);
	free(text);
}

void cf_reply_error(cf_req *q, int status, const char *code, const char *message)
{
	cf_reply_json(q, status, json_pack("{s:{s:s, s:s}}", "error", "code", code, "message", message));
}

void cf_reply_field(cf_req *q, int status, const char *field, const char *message)
{
	cf_reply_json(q, status,
		      json_pack("{s:{s:s, s:s, s:s}}", "error", "code", "input rejected", "message", message, "field",
				field));
}

/* The request field an error's subject names: the field itself ("days", "--days") or its value. */
static const char *error_field(const cf_req *q, const char *subject)
{
	const char *key;
	json_t *v;
	if (q->fields == NULL || subject[0] == '\0')
		return NULL;
	json_object_foreach(q->fields, key, v)
	{
		const char *s = json_string_value(v);
		if (strcmp(subject, key) == 0 || (strncmp(subject, "--", 2) == 0 && strcmp(subject + 2, key) == 0) ||
		    (s != NULL && s[0] != '\0' && strcmp(subject, s) == 0))
			return key;
	}
	return NULL;
}

json_t *cf_daemon_err_json(cf_req *q, const cf_err *e, int *status_out)
{
	int status = 500;
	switch (e->code) {
	case CF_E_USAGE:
	case CF_E_INPUT: status = 400; break;
	case CF_E_NOTFOUND: status = 404; break;
	case CF_E_STATE: status = 409; break;
	case CF_E_REMOTE: status = 502; break; /* a peer or an operator's command failed */
	default: break;
	}
	if (e->code == CF_E_REMOTE && e->reason != NULL && strcmp(e->reason, CF_REASON_TIMEOUT) == 0)
		status = 504; /* the peer did not answer in time */
	/* the store was busy or changed at the same moment, or its database server is away (it is
	 * reconnected at the next request), or another process runs the job: the same request may
	 * succeed soon, when the error says or after a default pause */
	bool down = e->reason != NULL && strcmp(e->reason, CF_REASON_STORE_DOWN) == 0;
	if (down || (e->reason != NULL &&
		     (strcmp(e->reason, CF_REASON_RETRY) == 0 || strcmp(e->reason, CF_REASON_STORE_BUSY) == 0))) {
		char after[16];
		snprintf(after, sizeof(after), "%d", e->retry_after > 0 ? e->retry_after : down ? 5 : 1);
		status = 503;
		evhttp_add_header(evhttp_request_get_output_headers(q->r), "Retry-After", after);
	}
	char msg[sizeof(e->subject) + sizeof(e->message) + 4];
	if (e->subject[0] != '\0')
		snprintf(msg, sizeof(msg), "%s: %s", e->subject, e->message);
	else
		snprintf(msg, sizeof(msg), "%s", e->message);
	if (status == 500 || down)
		cf_dlog(q->d, CF_LOG_ERROR, "%s %s: %s", method_name(q), q->path, msg);
	json_t *err = json_pack("{s:s, s:s}", "code", cf_code_str(e->code), "message", msg);
	const char *field = error_field(q, e->subject);
	if (field != NULL)
		json_object_set_new(err, "field", json_string(field));
	if (e->reason != NULL)
		json_object_set_new(err, "reason", json_string(e->reason));
	*status_out = status;
	return err;
}

void cf_reply_err(cf_req *q, const cf_err *e)
{
	int status = 500;
	json_t *err = cf_daemon_err_json(q, e, &status);
	cf_reply_json(q, status, json_pack("{s:o}", "error", err));
}

json_t *cf_req_json(cf_req *q)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(q->r);
	size_t len = evbuffer_get_length(in);
	const char *type = evhttp_find_header(evhttp_request_get_input_headers(q->r), "Content-Type");
	json_error_t je;
	if (len > CF_DAEMON_BODY_MAX) {
		cf_reply_error(q, 413, "too large", "the request body is larger than 1 MiB");
		return NULL;
	}
	if (type == NULL || strncasecmp(type, "application/json", 16) != 0 ||
	    (type[16] != '\0' && type[16] != ';' && type[16] != ' ')) {
		cf_reply_error(q, 415, "unsupported media type",
			       "this route takes a JSON body (Content-Type: application/json)");
		return NULL;
	}
	unsigned char *p = evbuffer_pullup(in, -1);
	json_t *j = len > 0 && p != NULL ? json_loadb((const char *)p, len, JSON_REJECT_DUPLICATES, &je) : NULL;
	if (p != NULL)
		cf_secret_wipe(p, len); /* it may hold a password */
	if (j == NULL || !json_is_object(j)) {
		json_decref(j);
		cf_reply_error(q, 400, "input rejected", "the request body is not a JSON object");
		return NULL;
	}
	json_decref(q->fields);
	q->fields = j;
	return j;
}

/* A string member of the body: NULL when absent and not required; else replies 400 naming it
 * (and sets *bad) unless it is non-empty, NUL-free and, when one_line, one line of UTF-8. */
static const char *req_string(cf_req *q, const char *name, bool required, bool one_line, bool *bad)
{
	json_t *v = json_object_get(q->fields, name);
	char msg[96];
	if (*bad || (v == NULL && !required))
		return NULL;
	if (json_is_string(v) && json_string_length(v) > 0 &&
	    (one_line ? cf_text_clean(json_string_value(v), json_string_length(v))
		      : strlen(json_string_value(v)) == json_string_length(v)))
		return json_string_value(v);
	snprintf(msg, sizeof(msg), "%s: expected a non-empty string%s", name, one_line ? " on one line" : "");
	cf_reply_field(q, 400, name, msg);
	*bad = true;
	return NULL;
}

const char *cf_req_str(cf_req *q, const char *name, bool required, bool *bad)
{
	return req_string(q, name, required, true, bad);
}

const char *cf_req_text(cf_req *q, const char *name, bool required, bool *bad)
{
	return req_string(q, name, required, false, bad);
}

const char *cf_req_str_or_empty(cf_req *q, const char *name, bool *bad)
{
	json_t *v = json_object_get(q->fields, name);
	char msg[96];
	if (*bad || v == NULL)
		return NULL;
	if (json_is_string(v) && cf_text_clean(json_string_value(v), json_string_length(v)))
		return json_string_value(v);
	snprintf(msg, sizeof(msg), "%s: expected a string on one line", name);
	cf_reply_field(q, 400, name, msg);
	*bad = true;
	return NULL;
}

bool cf_req_bool(cf_req *q, const char *name, bool *bad)
{
	json_t *v = json_object_get(q->fields, name);
	char msg[96];
	if (*bad || v == NULL)
		return false;
	if (json_is_boolean(v))
		return json_is_true(v);
	snprintf(msg, sizeof(msg), "%s: expected true or false", name);
	cf_reply_field(q, 400, name, msg);
	*bad = true;
	return false;
}

bool cf_req_known_fields(cf_req *q, const char *const *names, const char *expected)
{
	const char *key;
	json_t *v;
	char msg[160];
	json_object_foreach(q->fields, key, v)
	{
		size_t i = 0;
		while (names[i] != NULL && strcmp(names[i], key) != 0)
			i++;
		if (names[i] == NULL) {
			/* named when it is short and clean, so the message stays one whole line */
			const char *shown = strlen(key) <= 40 && cf_text_clean(key, strlen(key)) ? key : "?";
			snprintf(msg, sizeof(msg), "%s: not a field here; expected %s", shown, expected);
			cf_reply_field(q, 400, shown, msg);
			return false;
		}
	}
	return true;
}

const char *cf_req_param(cf_req *q, const char *name)
{
	return evhttp_find_header(&q->query, name);
}

bool cf_req_number(cf_req *q, const char *name, int64_t lo, int64_t hi, int64_t dflt, int64_t *out)
{
	const char *s = cf_req_param(q, name);
	char *end = NULL, msg[160];
	if (s == NULL) {
		*out = dflt;
		return true;
	}
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (s[0] < '0' || s[0] > '9' || *end != '\0' || errno == ERANGE || v < lo || v > hi) {
		snprintf(msg, sizeof(msg), "%s: expected a number from %" PRId64 " to %" PRId64, name, lo, hi);
		cf_reply_error(q, 400, "input rejected", msg);
		return false;
	}
	*out = v;
	return true;
}

/* The value of the certfleet_session cookie in the Cookie header c[0..n) into out; false when
 * there is none. */
static bool session_cookie(const char *c, size_t n, char out[65])
{
	static const char name[] = "certfleet_session=";
	const char *end = c != NULL ? c + n : NULL;
	for (const char *p = c; p != NULL && p < end && *p != '\0';) {
		while (p < end && (*p == ' ' || *p == ';'))
			p++;
		const char *semi = memchr(p, ';', (size_t)(end - p));
		size_t len = (size_t)((semi != NULL ? semi : end) - p);
		if (len == sizeof(name) - 1 + 64 && strncmp(p, name, sizeof(name) - 1) == 0 &&
		    memchr(p, '\0', len) == NULL) {
			memcpy(out, p + sizeof(name) - 1, 64);
			out[64] = '\0';
			return true;
		}
		p += len;
	}
	return false;
}

bool cf_daemon_upload_allowed(cf_daemon *d, const char *cookie, size_t cookie_len, const char *csrf, size_t csrf_len)
{
	char id[65], token[65];
	if (csrf == NULL || csrf_len != 64 || memchr(csrf, '\0', csrf_len) != NULL ||
	    !session_cookie(cookie, cookie_len, id))
		return false;
	memcpy(token, csrf, 64);
	token[64] = '\0';
	cf_session s;
	return cf_session_find(d->sessions, id, cf_clock_now(), &s) && s.admin && cf_token_equal(token, s.csrf);
}

bool cf_req_session(cf_req *q)
{
	char id[65];
	const char *c = evhttp_find_header(evhttp_request_get_input_headers(q->r), "Cookie");
	q->session = session_cookie(c, c != NULL ? strlen(c) : 0, id) &&
				     cf_session_find(q->d->sessions, id, cf_clock_now(), &q->session_copy)
			     ? &q->session_copy
			     : NULL;
	if (q->session == NULL) {
		cf_reply_error(q, 401, "unauthenticated", "log in first");
		return false;
	}
	return true;
}

bool cf_req_change(cf_req *q, bool admin)
{
	if (!cf_req_session(q))
		return false;
	const char *t = evhttp_find_header(evhttp_request_get_input_headers(q->r), "X-CSRF-Token");
	if (t == NULL || !cf_token_equal(t, q->session->csrf)) {
		cf_reply_error(q, 403, "forbidden", "missing or wrong X-CSRF-Token header");
		return false;
	}
	if (admin && !q->session->admin) {
		cf_reply_error(q, 403, "forbidden", "this account may not make changes (read-only role)");
		return false;
	}
	return true;
}

void cf_change_begin(cf_req *q, cf_change *c, const char *action, const char *fmt, ...)
{
	va_list ap;
	snprintf(c->actor.account, sizeof(c->actor.account), "%s", q->session->account);
	snprintf(c->actor.client, sizeof(c->actor.client), "%s", q->client);
	c->action = action;
	va_start(ap, fmt);
	vsnprintf(c->object, sizeof(c->object), fmt, ap);
	va_end(ap);
	c->d = q->d;
	c->st = q->st;
	cf_store_audit_pending(c->st, c->actor.account, c->actor.client, action, c->object);
}

/* Records the refusal of c with e's line (the change rolled back). */
static void record_refusal(cf_change *c, const cf_err *e)
{
	cf_err ae = {0};
	char result[sizeof(e->subject) + sizeof(e->message) + 16];
	cf_store_audit_disarm(c->st);
	cf_store_rollback(c->st);
	if (!cf_audit_refusal_recorded(e))
		return;
	if (e->subject[0] != '\0')
		snprintf(result, sizeof(result), "refused: %s: %s", e->subject, e->message);
	else
		snprintf(result, sizeof(result), "refused: %s", e->message);
	if (cf_audit_record(c->st, &c->actor, c->action, c->object, result, &ae) != CF_OK)
		cf_dlog(c->d, CF_LOG_ERROR, "audit log: %s", ae.message);
}

bool cf_change_end(cf_req *q, cf_change *c, cf_code rc, const cf_err *e)
{
	cf_err ae = {0};
	cf_store_audit_disarm(c->st);
	if (rc != CF_OK) {
		record_refusal(c, e);
		cf_reply_err(q, e);
		return false;
	}
	/* the change's commit carried the row, unless it made no transaction of its own */
	if (cf_store_audit_written(c->st) ||
	    cf_audit_record(c->st, &c->actor, c->action, c->object, "ok", &ae) == CF_OK)
		return true;
	cf_dlog(c->d, CF_LOG_ERROR, "audit log: %s", ae.message);
	cf_reply_error(q, 500, "internal error", "the change was made but its audit row was not written");
	return false;
}

void cf_change_refused(cf_req *q, cf_change *c, const cf_err *e)
{
	(void)q;
	record_refusal(c, e);
}

json_t *cf_change_json(cf_req *q, const cf_outcome *out)
{
	json_t *o = json_object(), *items = json_array(), *ids = json_array();
	for (size_t i = 0; i < out->n_ids; i++) {
		cf_certrow r = {0};
		json_array_append_new(ids, json_integer(out->ids[i]));
		if (cf_store_cert_get(q->st, out->ids[i], false, &r, NULL) == CF_OK)
			json_array_append_new(items, cf_json_cert(&r));
		cf_certrow_free(&r);
	}
	json_object_set_new(o, "items", items);
	json_object_set_new(o, "ids", ids);
	cf_json_outcome(o, out);
	return o;
}

/* What is wrong with a request before any route sees it (NULL when nothing): HTTP/1.1 rules
 * libevent lets pass, and text that would end up in messages, log lines and audit rows. */
static const char *request_problem(struct evhttp_request *r, const char *path, size_t path_len,
				   const struct evkeyvalq *query)
{
	const struct evkeyvalq *h = evhttp_request_get_input_headers(r);
	const struct evkeyval *kv;
	int content_lengths = 0;
	if (r->major == 1 && r->minor >= 1 && evhttp_find_header(h, "Host") == NULL)
		return "an HTTP/1.1 request needs a Host header";
	TAILQ_FOREACH(kv, h, next)
	{
		if (kv->key[0] == '\0' || kv->key[strcspn(kv->key, " \t\r\n\":;,()<>@[]{}/?=\\")] != '\0')
			return "malformed header name";
		if (strcasecmp(kv->key, "Content-Length") == 0 && ++content_lengths > 1)
			return "more than one Content-Length header";
	}
	const char *uri = evhttp_request_get_uri(r);
	if (uri == NULL || strstr(uri, "%00") != NULL)
		return "malformed request URI (an encoded NUL)";
	if (strlen(path) != path_len || !cf_text_clean(path, path_len) || strstr(path, "/..") != NULL)
		return "malformed request path";
	TAILQ_FOREACH(kv, query, next)
	{
		if (!cf_text_clean(kv->key, strlen(kv->key)) || !cf_text_clean(kv->value, strlen(kv->value)))
			return "malformed query parameter (not one line of UTF-8 text)";
	}
	return NULL;
}

void cf_daemon_handle(struct evhttp_request *r, void *arg)
{
	cf_req q = {.d = arg, .r = r, .path = "?", .started_us = now_us()};
	q.st = q.d->st;
	q.crls = &q.d->crls;
	struct evhttp_connection *con = evhttp_request_get_connection(r);
	char *addr = NULL;
	ev_uint16_t port = 0;
	cf_conns_request(q.d->conns, r); /* its head and body are in: its deadline stops */
	TAILQ_INIT(&q.query);
	if (con != NULL)
		evhttp_connection_get_peer(con, &addr, &port);
	snprintf(q.client, sizeof(q.client), "%s", addr != NULL ? addr : "unknown");
	const struct evhttp_uri *u = evhttp_request_get_evhttp_uri(r);
	const char *path = u != NULL ? evhttp_uri_get_path(u) : NULL;
	size_t dlen = 0;
	char *decoded = path != NULL ? evhttp_uridecode(path, 0, &dlen) : NULL;
	const char *problem = NULL;
	if (decoded == NULL || (u != NULL && evhttp_uri_get_query(u) != NULL &&
				evhttp_parse_query_str(evhttp_uri_get_query(u), &q.query) != 0))
		problem = "malformed request URI";
	else
		problem = request_problem(r, decoded, dlen, &q.query);
	if (problem != NULL) {
		cf_reply_error(&q, 400, "input rejected", problem); /* q.path stays "?": nothing of it is logged */
	} else {
		q.path = decoded;
		cf_routes_dispatch(&q);
	}
	evhttp_clear_headers(&q.query);
	json_decref(q.fields);
	free(decoded);
}
