/* The HTTP-01 challenge responder: one thread polls the listener and every connection (reads the
 * request head, writes the reply, drains what the client still sends before closing), and a few
 * lookup threads call the caller's lookup, so a slow store never holds up other validators. */
#include "net/challenge_server.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "net/connect.h"
#include "util/clock.h"

#define LOOKUP_THREADS 4
#define LINGER_MS 2000	       /* draining what the client still sends after the reply */
#define LINGER_MAX (64 * 1024) /* bytes drained at most */
#define ACCEPT_PAUSE_MS 100    /* out of descriptors: accepting waits this long */
#define ACCEPTS_PER_ROUND 16   /* connections accepted per wake before the others are served */
#define PREFIX "/.well-known/acme-challenge/"

/* ---- the request head ---- */

static bool is_tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static bool is_b64url(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

/* One line of the head, [p, line end) without its CR LF (or bare LF); *next is past the LF. A CR
 * anywhere else makes it bad (false). */
static bool next_line(const char *buf, size_t p, size_t end, size_t *len, size_t *next)
{
	const char *lf = memchr(buf + p, '\n', end - p);
	size_t n = (size_t)(lf - (buf + p));
	*next = p + n + 1;
	if (n > 0 && buf[p + n - 1] == '\r')
		n--;
	*len = n;
	return memchr(buf + p, '\r', n) == NULL;
}

/* "METHOD SP target SP HTTP/1.x": the method and the target as spans of buf. */
static bool request_line(const char *l, size_t n, size_t *mlen, size_t *tstart, size_t *tlen)
{
	size_t i = 0;
	while (i < n && is_tchar((unsigned char)l[i]))
		i++;
	if (i == 0 || i >= n || l[i] != ' ')
		return false;
	*mlen = i;
	*tstart = ++i;
	while (i < n && (unsigned char)l[i] > 0x20 && (unsigned char)l[i] < 0x7f)
		i++;
	if (i == *tstart || i >= n || l[i] != ' ')
		return false;
	*tlen = i - *tstart;
	i++;
	return n - i == 8 && (memcmp(l + i, "HTTP/1.0", 8) == 0 || memcmp(l + i, "HTTP/1.1", 8) == 0);
}

/* "name: value" with a token name and a value of visible characters, spaces, tabs and obs-text
 * (no folded lines: a line that starts with a space is bad, as RFC 9112 allows). */
static bool header_line(const char *l, size_t n)
{
	size_t i = 0;
	while (i < n && is_tchar((unsigned char)l[i]))
		i++;
	if (i == 0 || i >= n || l[i] != ':')
		return false;
	for (i++; i < n; i++) {
		unsigned char c = (unsigned char)l[i];
		if (c < 0x20 ? c != '\t' : c == 0x7f)
			return false;
	}
	return true;
}

cf_challenge_server_verdict cf_challenge_server_request_token(const char *buf, size_t len, char *token, size_t cap)
{
	size_t p = 0, end = 0;
	/* empty lines before the request line are skipped (RFC 9112 §2.2) */
	while (p < len && (buf[p] == '\n' || (buf[p] == '\r' && p + 1 < len && buf[p + 1] == '\n')))
		p += buf[p] == '\n' ? 1 : 2;
	/* the head ends at an empty line */
	for (size_t i = p; i < len && end == 0; i++) {
		if (buf[i] != '\n' || i == p)
			continue;
		if (i + 1 < len && buf[i + 1] == '\n')
			end = i + 2;
		else if (i + 2 < len && buf[i + 1] == '\r' && buf[i + 2] == '\n')
			end = i + 3;
	}
	if (end == 0)
		return len >= CF_CHALLENGE_SERVER_HEAD_MAX ? CF_CHALLENGE_SERVER_TOO_LONG
							   : CF_CHALLENGE_SERVER_INCOMPLETE;
	if (end > CF_CHALLENGE_SERVER_HEAD_MAX)
		return CF_CHALLENGE_SERVER_TOO_LONG;

	size_t n, next, mlen, tstart, tlen;
	if (!next_line(buf, p, end, &n, &next) || !request_line(buf + p, n, &mlen, &tstart, &tlen))
		return CF_CHALLENGE_SERVER_BAD;
	const char *method = buf + p, *target = buf + p + tstart;
	for (size_t q = next;;) {
		if (!next_line(buf, q, end, &n, &next))
			return CF_CHALLENGE_SERVER_BAD;
		if (n == 0)
			break; /* the empty line that ends the head */
		if (!header_line(buf + q, n))
			return CF_CHALLENGE_SERVER_BAD;
		q = next;
	}

	bool get = mlen == 3 && memcmp(method, "GET", 3) == 0, head = mlen == 4 && memcmp(method, "HEAD", 4) == 0;
	if (!get && !head)
		return CF_CHALLENGE_SERVER_METHOD;
	size_t plen = strlen(PREFIX);
	if (tlen <= plen || tlen - plen > CF_CHALLENGE_SERVER_TOKEN_MAX || memcmp(target, PREFIX, plen) != 0)
		return CF_CHALLENGE_SERVER_NOT_FOUND;
	for (size_t i = plen; i < tlen; i++)
		if (!is_b64url((unsigned char)target[i]))
			return CF_CHALLENGE_SERVER_NOT_FOUND; /* '.', '%', '/', '?', ... */
	if (token == NULL || cap < tlen - plen + 1)
		return CF_CHALLENGE_SERVER_NOT_FOUND;
	memcpy(token, target + plen, tlen - plen);
	token[tlen - plen] = '\0';
	return get ? CF_CHALLENGE_SERVER_GET : CF_CHALLENGE_SERVER_HEAD;
}

/* ---- replies ---- */

/* A whole reply: status line, Date, the headers of the status, Content-Length and Connection:
 * close, then body unless head_only. Malloc'd (*len bytes), NULL when out of memory. */
static char *make_reply(int status, const char *body, size_t body_len, bool head_only, size_t *len)
{
	static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
	static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
					     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	const char *text = status == 200   ? "OK"
			   : status == 400 ? "Bad Request"
			   : status == 405 ? "Method Not Allowed"
					   : "Not Found";
	const char *extra = status == 200   ? "Content-Type: application/octet-stream\r\n"
			    : status == 405 ? "Allow: GET, HEAD\r\n"
					    : "";
	time_t now = (time_t)cf_clock_now();
	struct tm tm;
	char date[40] = "";
	if (gmtime_r(&now, &tm) != NULL && tm.tm_year >= 0 && tm.tm_year <= 8099)
		snprintf(date, sizeof(date), "Date: %s, %02d %s %04d %02d:%02d:%02d GMT\r\n", days[tm.tm_wday % 7],
			 tm.tm_mday, months[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
	char top[256];
	int n = snprintf(top, sizeof(top), "HTTP/1.1 %d %s\r\n%s%sContent-Length: %zu\r\nConnection: close\r\n\r\n",
			 status, text, date, extra, body_len);
	if (n < 0 || (size_t)n >= sizeof(top))
		return NULL;
	size_t total = (size_t)n + (head_only ? 0 : body_len);
	char *r = malloc(total + 1);
	if (r == NULL)
		return NULL;
	memcpy(r, top, (size_t)n);
	if (!head_only && body_len > 0)
		memcpy(r + n, body, body_len);
	r[total] = '\0';
	*len = total;
	return r;
}

/* ---- the server ---- */

typedef enum phase { FREE = 0, READING, LOOKUP, WRITING, LINGER } phase;

/* One connection: its slot in the server's table, reused under a new generation. */
typedef struct conn {
	int fd;
	phase phase;
	uint64_t gen;
	int64_t deadline; /* cf_net_deadline: closed once it passes */
	size_t len, drained;
	char *out; /* the reply, out_len bytes, out_sent of them sent */
	size_t out_len, out_sent;
	bool found; /* the reply is a 200: counted once sent whole */
	char in[CF_CHALLENGE_SERVER_HEAD_MAX];
} conn;

/* A lookup for the lookup threads, and its reply on the way back. */
typedef struct job {
	struct job *next;
	int slot;
	uint64_t gen;
	bool head_only, found;
	char token[CF_CHALLENGE_SERVER_TOKEN_MAX + 1];
	char *reply;
	size_t reply_len;
} job;

struct cf_challenge_server {
	int lfd, wake_r, wake_w, port;
	cf_challenge_lookup_fn fn;
	void *ctx;
	pthread_t io, lookups[LOOKUP_THREADS];
	bool io_started;
	int n_lookups;
	atomic_bool quit;	      /* the I/O thread stops */
	atomic_ulong served;	      /* 200s sent whole */
	pthread_mutex_t mu;	      /* guards what follows */
	pthread_cond_t cv;	      /* a job to do, or stopping */
	job *todo, *todo_tail, *done; /* for the lookup threads; back from them */
	bool stopping;		      /* the lookup threads stop */
	uint64_t gen;		      /* the I/O thread's: the last generation given */
	int64_t accept_paused_until;  /* cf_clock_mono_ms: out of descriptors until then */
	conn conns[CF_CHALLENGE_SERVER_CONNS_MAX];
};

static void wake(cf_challenge_server *s)
{
	ssize_t r = write(s->wake_w, "x", 1); /* a full pipe already wakes the loop */
	(void)r;
}

static void free_job(job *j)
{
	if (j != NULL)
		free(j->reply);
	free(j);
}

static void *lookup_run(void *arg)
{
	cf_challenge_server *s = arg;
	pthread_mutex_lock(&s->mu);
	for (;;) {
		while (!s->stopping && s->todo == NULL)
			pthread_cond_wait(&s->cv, &s->mu);
		if (s->stopping)
			break;
		job *j = s->todo;
		s->todo = j->next;
		if (s->todo == NULL)
			s->todo_tail = NULL;
		pthread_mutex_unlock(&s->mu);

		char *ka = NULL;
		j->found = s->fn(s->ctx, j->token, &ka) && ka != NULL;
		j->reply = j->found ? make_reply(200, ka, strlen(ka), j->head_only, &j->reply_len)
				    : make_reply(404, NULL, 0, j->head_only, &j->reply_len);
		free(ka);

		pthread_mutex_lock(&s->mu);
		j->next = s->done;
		s->done = j;
		wake(s);
	}
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

static void conn_close(conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	free(c->out);
	c->fd = -1;
	c->out = NULL;
	c->phase = FREE;
}

/* Sends what is left of the reply; once it is all sent, half-closes and lingers. */
static void conn_write(cf_challenge_server *s, conn *c)
{
	while (c->out_sent < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_sent, c->out_len - c->out_sent, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0) {
			c->out_sent += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		conn_close(c);
		return;
	}
	if (c->found)
		atomic_fetch_add(&s->served, 1);
	free(c->out);
	c->out = NULL;
	/* closing with unread input would reset the connection and could lose the reply: send FIN
	 * and read until the client closes, for a little while */
	shutdown(c->fd, SHUT_WR);
	c->phase = LINGER;
	c->drained = 0;
	c->deadline = cf_net_deadline(LINGER_MS);
}

/* The reply is ready: write it. */
static void conn_reply(cf_challenge_server *s, conn *c, char *reply, size_t len, bool found)
{
	if (reply == NULL) {
		conn_close(c);
		return;
	}
	c->out = reply;
	c->out_len = len;
	c->out_sent = 0;
	c->found = found;
	c->phase = WRITING;
	conn_write(s, c);
}

/* A whole head has come: answer it at once, or queue its lookup. */
static void conn_request(cf_challenge_server *s, int slot, cf_challenge_server_verdict v, const char *token)
{
	conn *c = &s->conns[slot];
	size_t len = 0;
	c->deadline = cf_net_deadline(CF_CHALLENGE_SERVER_REPLY_MS);
	if (v != CF_CHALLENGE_SERVER_GET && v != CF_CHALLENGE_SERVER_HEAD) {
		int status = v == CF_CHALLENGE_SERVER_BAD ? 400 : v == CF_CHALLENGE_SERVER_METHOD ? 405 : 404;
		char *r = make_reply(status, NULL, 0, false, &len);
		conn_reply(s, c, r, len, false);
		return;
	}
	job *j = calloc(1, sizeof(*j));
	if (j == NULL) {
		conn_close(c);
		return;
	}
	snprintf(j->token, sizeof(j->token), "%s", token);
	j->slot = slot;
	j->gen = c->gen;
	j->head_only = v == CF_CHALLENGE_SERVER_HEAD;
	c->phase = LOOKUP;
	pthread_mutex_lock(&s->mu);
	if (s->todo_tail != NULL)
		s->todo_tail->next = j;
	else
		s->todo = j;
	s->todo_tail = j;
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
}

static void conn_read(cf_challenge_server *s, int slot)
{
	conn *c = &s->conns[slot];
	if (c->phase == LINGER) {
		char scratch[4096];
		ssize_t n = recv(c->fd, scratch, sizeof(scratch), MSG_DONTWAIT);
		if (n > 0 && (c->drained += (size_t)n) <= LINGER_MAX)
			return;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			return;
		conn_close(c);
		return;
	}
	ssize_t n = recv(c->fd, c->in + c->len, sizeof(c->in) - c->len, MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	if (n <= 0) { /* closed before a whole head, or an error */
		conn_close(c);
		return;
	}
	c->len += (size_t)n;
	char token[CF_CHALLENGE_SERVER_TOKEN_MAX + 1] = "";
	cf_challenge_server_verdict v = cf_challenge_server_request_token(c->in, c->len, token, sizeof(token));
	if (v == CF_CHALLENGE_SERVER_INCOMPLETE)
		return;
	if (v == CF_CHALLENGE_SERVER_TOO_LONG) {
		conn_close(c);
		return;
	}
	conn_request(s, slot, v, token);
}

/* Accepts what is waiting; past the connection cap, a connection is closed at once. */
static void accept_some(cf_challenge_server *s)
{
	for (int k = 0; k < ACCEPTS_PER_ROUND; k++) {
		int fd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK) /* EMFILE and the like: wait a little */
				s->accept_paused_until = cf_clock_mono_ms() + ACCEPT_PAUSE_MS;
			return;
		}
		int slot = -1;
		for (int i = 0; i < CF_CHALLENGE_SERVER_CONNS_MAX && slot < 0; i++)
			if (s->conns[i].phase == FREE)
				slot = i;
		if (slot < 0) {
			close(fd);
			continue;
		}
		conn *c = &s->conns[slot];
		c->fd = fd;
		c->phase = READING;
		c->gen = ++s->gen;
		c->len = 0;
		c->deadline = cf_net_deadline(CF_CHALLENGE_SERVER_HEAD_MS);
	}
}

/* Replies back from the lookup threads go to their connections (unless closed meanwhile). */
static void take_done(cf_challenge_server *s)
{
	char drain[64];
	while (read(s->wake_r, drain, sizeof(drain)) > 0)
		;
	pthread_mutex_lock(&s->mu);
	job *j = s->done;
	s->done = NULL;
	pthread_mutex_unlock(&s->mu);
	while (j != NULL) {
		job *next = j->next;
		conn *c = &s->conns[j->slot];
		if (c->phase == LOOKUP && c->gen == j->gen) {
			conn_reply(s, c, j->reply, j->reply_len, j->found);
			j->reply = NULL;
		}
		free_job(j);
		j = next;
	}
}

static void *io_run(void *arg)
{
	cf_challenge_server *s = arg;
	struct pollfd pf[2 + CF_CHALLENGE_SERVER_CONNS_MAX];
	int slot_of[2 + CF_CHALLENGE_SERVER_CONNS_MAX];
	while (!atomic_load(&s->quit)) {
		int n = 0, timeout = -1;
		pf[n++] = (struct pollfd){.fd = s->wake_r, .events = POLLIN};
		int64_t paused = s->accept_paused_until - cf_clock_mono_ms();
		bool listening = paused <= 0;
		if (listening)
			pf[n++] = (struct pollfd){.fd = s->lfd, .events = POLLIN};
		else
			timeout = (int)paused;
		for (int i = 0; i < CF_CHALLENGE_SERVER_CONNS_MAX; i++) {
			conn *c = &s->conns[i];
			if (c->phase == FREE)
				continue;
			int left = cf_net_left(c->deadline);
			if (left == 0) {
				conn_close(c);
				continue;
			}
			if (timeout < 0 || left < timeout)
				timeout = left;
			if (c->phase == LOOKUP)
				continue;
			slot_of[n] = i;
			pf[n++] = (struct pollfd){.fd = c->fd, .events = c->phase == WRITING ? POLLOUT : POLLIN};
		}
		int r = poll(pf, (nfds_t)n, timeout);
		if (r < 0 && errno != EINTR)
			break;
		if (r <= 0)
			continue;
		if (pf[0].revents != 0)
			take_done(s);
		for (int k = listening ? 2 : 1; k < n; k++) {
			conn *c = &s->conns[slot_of[k]];
			if (pf[k].revents == 0 || c->phase == FREE || c->fd != pf[k].fd)
				continue;
			if (c->phase == WRITING)
				conn_write(s, c);
			else if (c->phase == READING || c->phase == LINGER)
				conn_read(s, slot_of[k]);
		}
		if (listening && pf[1].revents != 0)
			accept_some(s);
	}
	return NULL;
}

/* ---- start and stop ---- */

/* addr as text for errors: "host:port", "[v6]:port". */
static void addr_text(const cf_hostport *addr, char *buf, size_t cap)
{
	bool v6 = strchr(addr->host, ':') != NULL;
	snprintf(buf, cap, "%s%s%s:%s", v6 ? "[" : "", addr->host, v6 ? "]" : "", addr->port);
}

/* A listening socket on addr; its port into *port. */
static cf_code listen_on(const cf_hostport *addr, int *fd, int *port, cf_err *e)
{
	char where[300];
	addr_text(addr, where, sizeof(where));
	struct addrinfo hints = {.ai_family = AF_UNSPEC,
				 .ai_socktype = SOCK_STREAM,
				 .ai_flags = AI_PASSIVE | AI_NUMERICSERV | (addr->ip ? AI_NUMERICHOST : 0)};
	struct addrinfo *ai = NULL;
	int g = getaddrinfo(addr->host[0] != '\0' ? addr->host : NULL, addr->port, &hints, &ai);
	if (g != 0)
		return cf_err_set(e, CF_E_INPUT, where, "cannot listen: the address does not resolve (%s)",
				  gai_strerror(g));
	int s = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	int one = 1, err = 0;
	if (s < 0 || setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    bind(s, ai->ai_addr, ai->ai_addrlen) != 0 || listen(s, SOMAXCONN) != 0)
		err = errno;
	freeaddrinfo(ai);
	struct sockaddr_storage sa;
	socklen_t salen = sizeof(sa);
	if (err == 0 && getsockname(s, (struct sockaddr *)&sa, &salen) != 0)
		err = errno;
	if (err != 0) {
		if (s >= 0)
			close(s);
		switch (err) {
		case EADDRINUSE:
			return cf_err_set(e, CF_E_REMOTE, where,
					  "cannot listen: port %s is already in use by another process", addr->port);
		case EACCES:
			return cf_err_set(e, CF_E_INPUT, where,
					  "cannot listen: port %s is privileged and this process may not bind it "
					  "(it needs CAP_NET_BIND_SERVICE, or choose a port from 1024 up)",
					  addr->port);
		case EADDRNOTAVAIL:
			return cf_err_set(e, CF_E_INPUT, where, "cannot listen: %s is not an address of this host",
					  addr->host);
		default: return cf_err_set(e, CF_E_REMOTE, where, "cannot listen: %s", strerror(err));
		}
	}
	*port = ntohs(sa.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&sa)->sin6_port
					       : ((struct sockaddr_in *)&sa)->sin_port);
	*fd = s;
	return CF_OK;
}

cf_code cf_challenge_server_start(const cf_hostport *addr, cf_challenge_lookup_fn fn, void *ctx,
				  cf_challenge_server **out, cf_err *e)
{
	if (addr == NULL || fn == NULL || out == NULL)
		return cf_err_set(e, CF_E_INTERNAL, "challenge responder", "no address or lookup");
	cf_challenge_server *s = calloc(1, sizeof(*s));
	if (s == NULL)
		return cf_err_set(e, CF_E_INTERNAL, "challenge responder", "out of memory");
	s->lfd = s->wake_r = s->wake_w = -1;
	s->fn = fn;
	s->ctx = ctx;
	for (int i = 0; i < CF_CHALLENGE_SERVER_CONNS_MAX; i++)
		s->conns[i].fd = -1;
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	int fds[2];
	cf_code rc = listen_on(addr, &s->lfd, &s->port, e);
	if (rc != CF_OK)
		goto err;
	if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) {
		rc = cf_err_set(e, CF_E_INTERNAL, "challenge responder", "pipe: %s", strerror(errno));
		goto err;
	}
	s->wake_r = fds[0];
	s->wake_w = fds[1];
	/* the threads take no signals: those are the process's main thread's */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	bool started = true;
	for (; started && s->n_lookups < LOOKUP_THREADS; s->n_lookups++)
		if (pthread_create(&s->lookups[s->n_lookups], NULL, lookup_run, s) != 0) {
			started = false;
			break;
		}
	if (started)
		started = s->io_started = pthread_create(&s->io, NULL, io_run, s) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!started) {
		rc = cf_err_set(e, CF_E_INTERNAL, "challenge responder", "a thread could not start");
		goto err;
	}
	*out = s;
	return CF_OK;
err:
	cf_challenge_server_stop(s);
	return rc;
}

int cf_challenge_server_port(const cf_challenge_server *s)
{
	return s->port;
}

unsigned long cf_challenge_server_served(const cf_challenge_server *s)
{
	return atomic_load(&s->served);
}

void cf_challenge_server_stop(cf_challenge_server *s)
{
	if (s == NULL)
		return;
	if (s->io_started) {
		atomic_store(&s->quit, true);
		wake(s);
		pthread_join(s->io, NULL);
	}
	pthread_mutex_lock(&s->mu);
	s->stopping = true;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
	for (int i = 0; i < s->n_lookups; i++)
		pthread_join(s->lookups[i], NULL);
	for (job *j = s->todo, *next; j != NULL; j = next) {
		next = j->next;
		free_job(j);
	}
	for (job *j = s->done, *next; j != NULL; j = next) {
		next = j->next;
		free_job(j);
	}
	for (int i = 0; i < CF_CHALLENGE_SERVER_CONNS_MAX; i++)
		conn_close(&s->conns[i]);
	if (s->lfd >= 0)
		close(s->lfd);
	if (s->wake_r >= 0)
		close(s->wake_r);
	if (s->wake_w >= 0)
		close(s->wake_w);
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
	free(s);
}
