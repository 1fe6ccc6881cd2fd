/* certfleetd's connection limits (see conn_limits.h). */
#include "daemon/conn_limits.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <time.h>

#include "daemon/daemon.h"

#define RESUME_AFTER_EMFILE_MS 1000
#define LOG_EVERY 60 /* seconds between two lines of one kind */

/* A kind of log line written at most once every LOG_EVERY seconds. */
typedef struct ratelog {
	time_t last;
	unsigned long held; /* lines not written since */
} ratelog;

enum conn_state {
	ST_HEAD,    /* reading a request's line and headers */
	ST_BODY,    /* reading its body */
	ST_REPLY,   /* the request is being answered */
	ST_UNKNOWN, /* a head too long to watch: evhttp refuses it */
};

enum close_reason { CLOSE_HEAD, CLOSE_REQUEST, CLOSE_BUDGET };

typedef struct conn {
	cf_conns *c;
	struct conn *prev, *next;
	struct bufferevent *bev;
	struct evhttp_connection *evcon; /* NULL until attached */
	struct evbuffer_cb_entry *watch;
	struct event *attach, *timer;
	enum conn_state state;
	enum close_reason reason;
	char *head; /* the head so far (ST_HEAD, ST_REPLY) */
	size_t head_len, head_cap;
	size_t held;	    /* bytes of this request counted in the budget */
	int64_t started_ms; /* when this request began: the connection opened or the last reply went */
	bool count_body;    /* body bytes are kept (not refused and drained) */
} conn;

struct cf_conns {
	struct event_base *base;
	cf_daemon *d;
	struct evconnlistener *listener;
	struct event *resume;
	cf_conn_limits lim;
	long cap;
	long open;
	size_t pending; /* bytes held in unfinished requests */
	bool paused_cap, paused_emfile;
	conn *list;
	cf_conn_bevcb new_bev;
	void *bev_arg;
	ratelog log_cap, log_accept, log_closed[3];
};

/* Logs at level unless a line of this kind was written less than LOG_EVERY seconds ago. */
static void __attribute__((format(printf, 4, 5))) rlog(cf_conns *c, ratelog *rl, int level, const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	time_t now = time(NULL);
	if (rl->last != 0 && now - rl->last < LOG_EVERY) {
		rl->held++;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (rl->held > 0)
		cf_dlog(c->d, level, "%s (and %lu more since the last such line)", msg, rl->held);
	else
		cf_dlog(c->d, level, "%s", msg);
	rl->last = now;
	rl->held = 0;
}

size_t cf_head_end(const char *p, size_t n)
{
	size_t line = 0; /* where the current line starts */
	for (size_t i = 0; i < n; i++) {
		if (p[i] != '\n')
			continue;
		size_t len = i - line;
		if (len > 0 && p[i - 1] == '\r')
			len--;
		if (len == 0)
			return i + 1;
		line = i + 1;
	}
	return 0;
}

/* Whether the header line [p, p+n) is named name (case-insensitive); its value then in *v, *vn
 * without surrounding blanks. */
static bool header_is(const char *p, size_t n, const char *name, const char **v, size_t *vn)
{
	size_t k = strlen(name);
	if (n <= k || p[k] != ':' || strncasecmp(p, name, k) != 0)
		return false;
	const char *s = p + k + 1, *end = p + n;
	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	*v = s;
	*vn = (size_t)(end - s);
	return true;
}

void cf_head_parse(const char *p, size_t len, cf_head *h)
{
	static const char upload[] = "POST /api/v1/upload";
	memset(h, 0, sizeof(*h));
	h->content_length = -1;
	bool first = true;
	for (size_t at = 0; at < len;) {
		const char *nl = memchr(p + at, '\n', len - at);
		size_t n = (nl != NULL ? (size_t)(nl - p) : len) - at;
		const char *line = p + at, *v = NULL;
		size_t vn = 0;
		at += n + 1;
		if (n > 0 && line[n - 1] == '\r')
			n--;
		if (n == 0)
			break;
		if (first) {
			/* the request line: the upload route, with or without a query */
			first = false;
			h->upload = n > sizeof(upload) - 1 && memcmp(line, upload, sizeof(upload) - 1) == 0 &&
				    (line[sizeof(upload) - 1] == ' ' || line[sizeof(upload) - 1] == '?');
		} else if (header_is(line, n, "Cookie", &v, &vn)) {
			if (h->cookie == NULL) {
				h->cookie = v;
				h->cookie_len = vn;
			}
		} else if (header_is(line, n, "X-CSRF-Token", &v, &vn)) {
			if (h->csrf == NULL) {
				h->csrf = v;
				h->csrf_len = vn;
			}
		} else if (header_is(line, n, "Content-Length", &v, &vn)) {
			int64_t cl = vn > 0 && vn <= 18 ? 0 : -2;
			for (size_t i = 0; cl >= 0 && i < vn; i++)
				cl = v[i] >= '0' && v[i] <= '9' ? cl * 10 + (v[i] - '0') : -2;
			h->content_length = h->content_length == -1 ? cl : -2;
		} else if (header_is(line, n, "Transfer-Encoding", &v, &vn)) {
			h->chunked = vn == 7 && strncasecmp(v, "chunked", 7) == 0;
		}
	}
}

/* The budget: whether n more bytes for k fit; counts them when they do. */
static bool budget_take(conn *k, size_t n)
{
	cf_conns *c = k->c;
	if (c->pending + n > CF_CONN_PENDING_MAX)
		return false;
	c->pending += n;
	k->held += n;
	return true;
}

static void budget_release(conn *k)
{
	k->c->pending -= k->held;
	k->held = 0;
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Arms k's deadline: seconds after its request began (at once when that has passed). */
static void arm(conn *k, long seconds)
{
	int64_t left = k->started_ms + (int64_t)seconds * 1000 - now_ms();
	struct timeval tv = {left > 0 ? left / 1000 : 0, left > 0 ? (left % 1000) * 1000 : 0};
	event_add(k->timer, &tv);
}

/* A new request begins on k: its head is watched, within the header timeout. */
static void request_begins(conn *k)
{
	k->state = ST_HEAD;
	k->reason = CLOSE_HEAD;
	k->started_ms = now_ms();
	arm(k, k->c->lim.header_timeout);
}

/* Closes k's connection from its timer (never from inside libevent's callbacks on it). */
static void close_soon(conn *k, enum close_reason why)
{
	k->reason = why;
	event_del(k->timer);
	event_active(k->timer, EV_TIMEOUT, 0);
}

/* A head is complete at k->head[0..end): the connection's body limit and the request deadline. */
static void head_done(conn *k, size_t end)
{
	cf_conns *c = k->c;
	cf_head h;
	cf_head_parse(k->head, end, &h);
	int64_t limit = CF_DAEMON_BODY_MAX;
	if (h.upload && cf_daemon_upload_allowed(c->d, h.cookie, h.cookie_len, h.csrf, h.csrf_len))
		limit = CF_DAEMON_UPLOAD_MAX + 64 * 1024; /* the form's framing around the file */
	if (k->evcon != NULL)
		evhttp_connection_set_max_body_size(k->evcon, limit);
	/* a declared body over the limit is refused and drained by evhttp, never kept */
	k->count_body = !(h.content_length > limit);
	int64_t body = h.content_length >= 0 && h.content_length < limit ? h.content_length : limit;
	if (!k->count_body)
		body = 0; /* just long enough for a nearby client to read the 413 */
	k->reason = CLOSE_REQUEST;
	arm(k, c->lim.request_timeout + (long)(body / CF_CONN_MIN_RATE));
	/* the bytes after the head are the body's: still counted, the head's are evhttp's now */
	size_t rest = k->head_len - end;
	k->state = ST_BODY;
	free(k->head);
	k->head = NULL;
	k->head_len = k->head_cap = 0;
	budget_release(k);
	if (k->count_body && !budget_take(k, rest))
		close_soon(k, CLOSE_BUDGET);
}

/* Appends n bytes of a head; false when the budget does not allow them. */
static bool head_add(conn *k, const char *p, size_t n)
{
	if (k->head_len + n > CF_CONN_HEAD_MAX) {
		/* longer than evhttp accepts: it refuses the request, nothing to decide */
		k->state = ST_UNKNOWN;
		n = CF_CONN_HEAD_MAX - k->head_len;
	}
	if (!budget_take(k, n))
		return false;
	if (k->head_len + n > k->head_cap) {
		size_t cap = k->head_cap == 0 ? 4096 : k->head_cap;
		while (cap < k->head_len + n)
			cap *= 2;
		char *h = realloc(k->head, cap);
		if (h == NULL)
			return false;
		k->head = h;
		k->head_cap = cap;
	}
	memcpy(k->head + k->head_len, p, n);
	k->head_len += n;
	return true;
}

/* Looks for the end of the head collected so far. */
static void head_check(conn *k)
{
	size_t end = k->state == ST_HEAD ? cf_head_end(k->head, k->head_len) : 0;
	if (end > 0)
		head_done(k, end);
}

/* The connection's input buffer changed: bytes arrived (or evhttp took some). Runs before evhttp
 * reads the new bytes, so a head's body limit is in place when evhttp looks at the body. */
static void on_input(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
	conn *k = arg;
	size_t len = evbuffer_get_length(buf), n = info->n_added < len ? info->n_added : len;
	if (n == 0 || k->evcon == NULL)
		return;
	switch (k->state) {
	case ST_HEAD:
	case ST_REPLY: {
		/* the new bytes are the buffer's last n */
		char tmp[16384];
		struct evbuffer_ptr pos;
		if (evbuffer_ptr_set(buf, &pos, len - n, EVBUFFER_PTR_SET) != 0)
			return;
		while (n > 0 && k->state != ST_UNKNOWN && k->state != ST_BODY) {
			size_t m = n < sizeof(tmp) ? n : sizeof(tmp);
			ev_ssize_t got = evbuffer_copyout_from(buf, &pos, tmp, m);
			if (got <= 0)
				return;
			if (!head_add(k, tmp, (size_t)got)) {
				close_soon(k, CLOSE_BUDGET);
				return;
			}
			evbuffer_ptr_set(buf, &pos, (size_t)got, EVBUFFER_PTR_ADD);
			n -= (size_t)got;
			if (k->state == ST_REPLY)
				continue; /* the next request's head: looked at once this reply is sent */
			head_check(k);
			if (k->state == ST_BODY && k->count_body && !budget_take(k, n))
				close_soon(k, CLOSE_BUDGET);
		}
		break;
	}
	case ST_BODY:
		if (k->count_body && !budget_take(k, n))
			close_soon(k, CLOSE_BUDGET);
		break;
	case ST_UNKNOWN: break;
	}
}

static void unlink_conn(conn *k)
{
	cf_conns *c = k->c;
	if (k->prev != NULL)
		k->prev->next = k->next;
	else
		c->list = k->next;
	if (k->next != NULL)
		k->next->prev = k->prev;
}

/* Accepting resumes when neither the cap nor a lack of descriptors holds it. */
static void maybe_resume(cf_conns *c)
{
	if (c->paused_cap && c->open < c->cap) {
		c->paused_cap = false;
		if (!c->paused_emfile)
			evconnlistener_enable(c->listener);
	}
}

/* Forgets k (its connection is going away or never came to be). */
static void conn_free(conn *k)
{
	cf_conns *c = k->c;
	budget_release(k);
	if (k->watch != NULL)
		evbuffer_remove_cb_entry(bufferevent_get_input(k->bev), k->watch);
	if (k->attach != NULL)
		event_free(k->attach);
	if (k->timer != NULL)
		event_free(k->timer);
	free(k->head);
	unlink_conn(k);
	free(k);
	c->open--;
	maybe_resume(c);
}

/* evhttp frees the connection. */
static void on_close(struct evhttp_connection *evcon, void *arg)
{
	(void)evcon;
	conn_free(arg);
}

static const char *const close_what[] = {
	[CLOSE_HEAD] = "did not send a request's line and headers within %d s",
	[CLOSE_REQUEST] = "did not send the whole request in time (%d s plus 1 s per 16 KiB of body)",
	[CLOSE_BUDGET] = "would take the bytes held in unfinished requests over %d MiB",
};

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	conn *k = arg;
	cf_conns *c = k->c;
	char *addr = NULL, msg[200];
	ev_uint16_t port = 0;
	(void)fd;
	(void)what;
	int v = k->reason == CLOSE_HEAD	     ? c->lim.header_timeout
		: k->reason == CLOSE_REQUEST ? c->lim.request_timeout
					     : CF_CONN_PENDING_MAX / (1024 * 1024);
	evhttp_connection_get_peer(k->evcon, &addr, &port);
	snprintf(msg, sizeof(msg), close_what[k->reason], v);
	rlog(c, &c->log_closed[k->reason], CF_LOG_INFO, "closed a connection from %s: it %s",
	     addr != NULL ? addr : "unknown", msg);
	evhttp_connection_free(k->evcon); /* on_close frees k */
}

/* Runs once evhttp has made the connection around the bufferevent: libevent 2.1 passes the
 * evhttp_connection as the bufferevent's callback argument. */
static void on_attach(evutil_socket_t fd, short what, void *arg)
{
	conn *k = arg;
	void *cbarg = NULL;
	bufferevent_data_cb readcb = NULL;
	(void)fd;
	(void)what;
	bufferevent_getcb(k->bev, &readcb, NULL, NULL, &cbarg);
	if (readcb == NULL || cbarg == NULL) {
		/* evhttp already gave it up (out of memory): nothing to watch */
		struct bufferevent *bev = k->bev;
		conn_free(k);
		bufferevent_decref(bev);
		return;
	}
	k->evcon = cbarg;
	evhttp_connection_set_closecb(k->evcon, on_close, k);
	evhttp_connection_set_max_body_size(k->evcon, CF_DAEMON_BODY_MAX);
	k->watch = evbuffer_add_cb(bufferevent_get_input(k->bev), on_input, k);
	request_begins(k);
	bufferevent_decref(k->bev);
}

/* evhttp's bevcb: the inner bufferevent, with k watching it. */
static struct bufferevent *on_new_bev(struct event_base *base, void *arg)
{
	cf_conns *c = arg;
	struct bufferevent *bev = c->new_bev(base, c->bev_arg);
	conn *k = bev != NULL ? calloc(1, sizeof(*k)) : NULL;
	if (k == NULL)
		return bev;
	k->c = c;
	k->bev = bev;
	k->state = ST_HEAD;
	k->attach = event_new(base, -1, 0, on_attach, k);
	k->timer = event_new(base, -1, 0, on_timer, k);
	k->next = c->list;
	if (c->list != NULL)
		c->list->prev = k;
	c->list = k;
	c->open++;
	if (k->attach == NULL || k->timer == NULL) {
		conn_free(k);
		return bev;
	}
	/* held until on_attach, so a connection evhttp drops at once cannot leave k dangling */
	bufferevent_incref(bev);
	event_active(k->attach, EV_TIMEOUT, 0);
	if (c->open >= c->cap && !c->paused_cap) {
		c->paused_cap = true;
		evconnlistener_disable(c->listener);
		rlog(c, &c->log_cap, CF_LOG_INFO, "%ld connections open, the cap: accepting paused until one closes",
		     c->open);
	}
	return bev;
}

static void on_resume(evutil_socket_t fd, short what, void *arg)
{
	cf_conns *c = arg;
	(void)fd;
	(void)what;
	c->paused_emfile = false;
	if (!c->paused_cap)
		evconnlistener_enable(c->listener);
}

/* accept() failed with something other than a retriable error. */
static void on_accept_error(struct evconnlistener *lev, void *arg)
{
	cf_conns *c = arg;
	int err = EVUTIL_SOCKET_ERROR();
	(void)lev;
	if (err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM) {
		static const struct timeval later = {RESUME_AFTER_EMFILE_MS / 1000,
						     RESUME_AFTER_EMFILE_MS % 1000 * 1000};
		c->paused_emfile = true;
		evconnlistener_disable(c->listener);
		event_add(c->resume, &later);
		rlog(c, &c->log_accept, CF_LOG_ERROR, "cannot accept a connection (%s, %ld open): paused for %d ms",
		     strerror(err), c->open, RESUME_AFTER_EMFILE_MS);
		return;
	}
	rlog(c, &c->log_accept, CF_LOG_ERROR, "cannot accept a connection: %s", strerror(err));
}

cf_code cf_conns_new(struct event_base *base, struct evhttp *http, struct evhttp_bound_socket *bound, cf_daemon *d,
		     const cf_conn_limits *lim, cf_conn_bevcb new_bev, void *bev_arg, cf_conns **out, cf_err *e)
{
	struct rlimit rl;
	long cap = lim->max_connections;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    (rlim_t)cap + CF_CONN_FD_RESERVE > rl.rlim_cur)
		cap = (long)rl.rlim_cur - CF_CONN_FD_RESERVE;
	if (cap < 8)
		return cf_err_set(e, CF_E_USAGE, "--max-connections",
				  "the open-file limit (ulimit -n %ld) leaves room for fewer than 8 connections",
				  (long)rl.rlim_cur);
	cf_conns *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return cf_err_set(e, CF_E_INTERNAL, "certfleetd", "out of memory");
	c->base = base;
	c->d = d;
	c->lim = *lim;
	c->cap = cap;
	c->new_bev = new_bev;
	c->bev_arg = bev_arg;
	c->listener = evhttp_bound_socket_get_listener(bound);
	c->resume = event_new(base, -1, 0, on_resume, c);
	if (c->resume == NULL) {
		free(c);
		return cf_err_set(e, CF_E_INTERNAL, "certfleetd", "out of memory");
	}
	evconnlistener_set_error_cb(c->listener, on_accept_error);
	evhttp_set_bevcb(http, on_new_bev, c);
	/* a body over the request's limit is refused with 413 once the headers are in; the limit is
	 * raised per request for authorised uploads (head_done) */
	evhttp_set_max_body_size(http, CF_DAEMON_BODY_MAX);
	evhttp_set_max_headers_size(http, CF_CONN_HEADERS_MAX);
	evhttp_set_timeout(http, 30); /* inactivity while reading or writing */
	/* methods the routes do not use reach the dispatcher too, for a 405 rather than a 501 */
	evhttp_set_allowed_methods(http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_DELETE | EVHTTP_REQ_PUT |
						 EVHTTP_REQ_PATCH | EVHTTP_REQ_OPTIONS | EVHTTP_REQ_HEAD);
	evhttp_set_flags(http, EVHTTP_SERVER_LINGERING_CLOSE);
	d->conns = c;
	*out = c;
	return CF_OK;
}

void cf_conns_free(cf_conns *c)
{
	if (c == NULL)
		return;
	/* connections still open belong to evhttp, which frees them (and calls on_close) later */
	while (c->list != NULL) {
		conn *k = c->list;
		if (k->evcon != NULL)
			evhttp_connection_set_closecb(k->evcon, NULL, NULL);
		else
			bufferevent_decref(k->bev);
		if (k->watch != NULL)
			evbuffer_remove_cb_entry(bufferevent_get_input(k->bev), k->watch);
		k->watch = NULL;
		unlink_conn(k);
		if (k->attach != NULL)
			event_free(k->attach);
		if (k->timer != NULL)
			event_free(k->timer);
		free(k->head);
		free(k);
	}
	c->d->conns = NULL;
	event_free(c->resume);
	free(c);
}

long cf_conns_cap(const cf_conns *c)
{
	return c->cap;
}

/* r's reply has been sent: the connection's next request is watched, from what already came. */
static void on_reply_sent(struct evhttp_request *r, void *arg)
{
	conn *k = arg;
	(void)r;
	if (k->state != ST_REPLY)
		return;
	request_begins(k);
	evhttp_connection_set_max_body_size(k->evcon, CF_DAEMON_BODY_MAX);
	head_check(k);
}

void cf_conns_request(cf_conns *c, struct evhttp_request *r)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(r);
	conn *k = c != NULL ? c->list : NULL;
	while (k != NULL && (k->evcon == NULL || k->evcon != evcon))
		k = k->next;
	if (k == NULL)
		return;
	event_del(k->timer);
	budget_release(k);
	free(k->head);
	k->head = NULL;
	k->head_len = k->head_cap = 0;
	k->state = ST_REPLY;
	/* what is left in the input is the next request's beginning (pipelined) */
	struct evbuffer *in = bufferevent_get_input(k->bev);
	size_t n = evbuffer_get_length(in);
	if (n > 0) {
		size_t m = n < CF_CONN_HEAD_MAX ? n : CF_CONN_HEAD_MAX;
		char *p = malloc(m);
		if (p == NULL || evbuffer_copyout(in, p, m) != (ev_ssize_t)m || !head_add(k, p, m))
			close_soon(k, CLOSE_BUDGET);
		free(p);
	}
	evhttp_request_set_on_complete_cb(r, on_reply_sent, k);
}
