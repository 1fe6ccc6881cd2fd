/* ocsp_load: the OCSP load generator of bench/ocsp.sh (SPEC §12), the same program against
 * certfleetd's responder and against `openssl ocsp -multi 2`.
 *
 *   ocsp_load [-c CONNS] [-d SECONDS] [-w SECONDS] [-n ANSWERS] [-o DIR] HOST:PORT PATH REQDIR
 *
 * Reads every file of REQDIR (DER OCSP requests, one CertID each; name order) and keeps CONNS
 * (16) connections to HOST:PORT (IPv4) busy with HTTP/1.1 POSTs of them, round-robin, one request
 * in flight on each (Content-Type: application/ocsp-request, Connection: keep-alive), on one thread
 * with epoll. Each answer is read whole (status line, Content-Length or the body up to the close)
 * and checked: HTTP 200; a body that is DER (0x30); responseStatus successful; the request's CertID
 * in it, byte for byte, followed by certStatus good. A server that closes after an answer
 * (HTTP/1.0, Connection: close, or a close before the next answer on a used connection) is
 * connected to again and counted as a reconnect; a request it took no answer to is sent again on
 * the new connection.
 *
 * Runs for -w seconds of warm-up (0) and then -d seconds (10), or until -n answers (then -d only
 * bounds it); answers, their rate and their latency (from the request's first byte written, or from
 * the connect when it needs a new connection, to its answer's last byte read) are those after the
 * warm-up. At the end no request is started and those in flight are finished, uncounted: no
 * connection is closed before its request is written (see the main loop). -o DIR keeps the first
 * answer to each request as DIR/<the request's file name>.
 * Prints one line of NAME=VALUE on stdout; exits 0 when there were answers and no errors, 1 when
 * not, 2 on bad usage. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_REQUEST (64 * 1024)
#define MAX_HEADER (64 * 1024)
#define MAX_BODY (1024 * 1024)
#define STALL_NS (10 * 1000000000LL) /* a connection silent this long is an error */
#define RETRY_NS (10 * 1000000LL)    /* a failed connect is tried again after this */

typedef struct request {
	char *name;	   /* the file's name in REQDIR */
	uint8_t *http;	   /* the whole HTTP request */
	size_t http_len;   /* its length */
	size_t certid_off; /* the CertID's TLV, inside http */
	size_t certid_len; /* its length */
	bool saved;	   /* its answer was written to -o DIR */
} request;

/* C_DOWN: no connection, one is made at retry_at; C_DONE: the run is over for it. */
enum conn_state { C_DOWN, C_CONNECTING, C_WRITING, C_READING, C_DRAIN, C_DONE };

typedef struct conn {
	int fd;
	enum conn_state state;
	size_t req;   /* the request in flight */
	size_t sent;  /* how much of it is written */
	uint8_t *buf; /* what is read of its answer */
	size_t len, cap;
	int64_t t_start;       /* when the request began (its connect included) */
	int64_t t_activity;    /* the last progress */
	int64_t retry_at;      /* C_DOWN: when to connect again */
	unsigned long answers; /* answers on this connection */
	bool want_out;	       /* EPOLLOUT is asked for */
} conn;

typedef struct stats {
	unsigned long answers;	   /* after the warm-up */
	unsigned long all_answers; /* warm-up included */
	unsigned long err_http, err_body, err_ocsp, err_conn, err_stall;
	unsigned long reconnects; /* connections opened after the first CONNS */
	unsigned long resent;	  /* requests sent again after a close with no answer */
	uint32_t *lat;		  /* latencies after the warm-up, microseconds */
	size_t n_lat, cap_lat;
	unsigned long long bytes_in;
} stats;

typedef struct bench {
	struct sockaddr_in addr;
	int ep;
	request *reqs;
	size_t n_reqs;
	size_t next_req;
	conn *conns;
	int n_conns;
	const char *out_dir;
	int64_t t_measure; /* the end of the warm-up */
	int64_t t_stop;	   /* when the run ended: no request is started after it */
	bool stopping;	   /* the requests in flight finish, none starts */
	stats s;
} bench;

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void die(const char *what)
{
	fprintf(stderr, "ocsp_load: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* A DER tag and definite length at p (before end): *hdr the header's size, *len the content's. */
static bool der_hdr(const uint8_t *p, const uint8_t *end, uint8_t *tag, size_t *hdr, size_t *len)
{
	if (end - p < 2)
		return false;
	*tag = p[0];
	if (p[1] < 0x80) {
		*hdr = 2;
		*len = p[1];
	} else {
		size_t n = p[1] & 0x7f, v = 0;
		if (n == 0 || n > 4 || (size_t)(end - p) < 2 + n)
			return false;
		for (size_t i = 0; i < n; i++)
			v = (v << 8) | p[2 + i];
		*hdr = 2 + n;
		*len = v;
	}
	return *len <= (size_t)(end - p) - *hdr;
}

/* The first CertID of an OCSPRequest: SEQ { tbsRequest SEQ { [0]? [1]? requestList SEQ { Request
 * SEQ { reqCert CertID SEQ ... } } } }; *off and *len its whole TLV. */
static bool request_certid(const uint8_t *der, size_t der_len, size_t *off, size_t *len)
{
	const uint8_t *p = der, *end = der + der_len;
	uint8_t tag = 0;
	size_t h = 0, l = 0;
	if (!der_hdr(p, end, &tag, &h, &l) || tag != 0x30) /* OCSPRequest */
		return false;
	p += h;
	if (!der_hdr(p, end, &tag, &h, &l) || tag != 0x30) /* tbsRequest */
		return false;
	p += h;
	end = p + l;
	for (;;) {
		if (!der_hdr(p, end, &tag, &h, &l))
			return false;
		if (tag != 0xa0 && tag != 0xa1) /* version, requestorName */
			break;
		p += h + l;
	}
	if (tag != 0x30) /* requestList */
		return false;
	p += h;
	if (!der_hdr(p, end, &tag, &h, &l) || tag != 0x30) /* Request */
		return false;
	p += h;
	if (!der_hdr(p, end, &tag, &h, &l) || tag != 0x30) /* CertID */
		return false;
	*off = (size_t)(p - der);
	*len = h + l;
	return true;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Reads every regular file of dir as a request and builds its HTTP POST. */
static void load_requests(bench *b, const char *dir, const char *host, const char *path)
{
	DIR *d = opendir(dir);
	if (d == NULL)
		die(dir);
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			names = realloc(names, cap * sizeof(*names));
			if (names == NULL)
				die("memory");
		}
		names[n] = strdup(de->d_name);
		if (names[n] == NULL)
			die("memory");
		n++;
	}
	closedir(d);
	if (n == 0) {
		fprintf(stderr, "ocsp_load: %s: no requests in it\n", dir);
		exit(2);
	}
	qsort(names, n, sizeof(*names), name_cmp);
	b->reqs = calloc(n, sizeof(*b->reqs));
	if (b->reqs == NULL)
		die("memory");
	static uint8_t der[MAX_REQUEST];
	for (size_t i = 0; i < n; i++) {
		char file[4096];
		snprintf(file, sizeof(file), "%s/%s", dir, names[i]);
		FILE *f = fopen(file, "rb");
		if (f == NULL)
			die(file);
		size_t len = fread(der, 1, sizeof(der), f);
		bool big = !feof(f);
		fclose(f);
		request *r = &b->reqs[i];
		size_t off = 0, clen = 0;
		if (big || len == 0 || !request_certid(der, len, &off, &clen)) {
			fprintf(stderr, "ocsp_load: %s: not a DER OCSP request with a CertID\n", file);
			exit(2);
		}
		char head[1024];
		int hl = snprintf(head, sizeof(head),
				  "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/ocsp-request\r\n"
				  "Content-Length: %zu\r\nConnection: keep-alive\r\n\r\n",
				  path, host, len);
		if (hl < 0 || (size_t)hl >= sizeof(head)) {
			fprintf(stderr, "ocsp_load: the path is too long\n");
			exit(2);
		}
		r->name = names[i];
		r->http_len = (size_t)hl + len;
		r->http = malloc(r->http_len);
		if (r->http == NULL)
			die("memory");
		memcpy(r->http, head, (size_t)hl);
		memcpy(r->http + hl, der, len);
		r->certid_off = (size_t)hl + off;
		r->certid_len = clen;
	}
	free(names);
	b->n_reqs = n;
}

static void ep_set(bench *b, conn *c, bool out, int op)
{
	struct epoll_event ev = {.events = EPOLLIN | (out ? EPOLLOUT : 0), .data.ptr = c};
	if (epoll_ctl(b->ep, op, c->fd, &ev) != 0)
		die("epoll_ctl");
	c->want_out = out;
}

static void conn_close(conn *c)
{
	if (c->fd >= 0)
		close(c->fd); /* also leaves the epoll set */
	c->fd = -1;
	c->state = C_DOWN;
	c->len = 0;
	c->answers = 0;
}

static void conn_write(bench *b, conn *c, int64_t now);

/* Connects c (again) and sends its request once connected; a refused connect is tried again later. */
static void conn_open(bench *b, conn *c, int64_t now, bool first)
{
	if (!first)
		b->s.reconnects++;
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		die("socket");
	int one = 1;
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->len = 0;
	c->sent = 0;
	c->answers = 0;
	c->t_activity = now;
	if (connect(c->fd, (struct sockaddr *)&b->addr, sizeof(b->addr)) == 0) {
		c->state = C_WRITING;
		ep_set(b, c, false, EPOLL_CTL_ADD);
		conn_write(b, c, now);
		return;
	}
	if (errno != EINPROGRESS) {
		b->s.err_conn++;
		conn_close(c);
		c->retry_at = now + RETRY_NS;
		return;
	}
	c->state = C_CONNECTING;
	ep_set(b, c, true, EPOLL_CTL_ADD);
}

/* Starts the next request on c: on its connection, or on a new one when it has none. Once the run
 * is over, closes c instead (nothing is in flight on it). */
static void conn_next(bench *b, conn *c, int64_t now)
{
	if (b->stopping) {
		conn_close(c);
		c->state = C_DONE;
		return;
	}
	c->req = b->next_req++ % b->n_reqs;
	c->t_start = now;
	c->sent = 0;
	c->len = 0;
	if (c->fd < 0)
		conn_open(b, c, now, false);
	else {
		c->state = C_WRITING;
		conn_write(b, c, now);
	}
}

/* c's connection went away with no answer to its request: a used keep-alive connection the server
 * closed sends the request again on a new one; anything else is an error. */
static void conn_lost(bench *b, conn *c, int64_t now)
{
	bool stale = c->answers > 0 && c->len == 0;
	conn_close(c);
	if (stale && b->stopping) {
		c->state = C_DONE;
		return;
	}
	if (stale) {
		b->s.resent++;
		conn_open(b, c, now, false);
		return;
	}
	b->s.err_conn++;
	conn_next(b, c, now);
}

static void conn_write(bench *b, conn *c, int64_t now)
{
	const request *r = &b->reqs[c->req];
	while (c->sent < r->http_len) {
		ssize_t w = send(c->fd, r->http + c->sent, r->http_len - c->sent, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN) {
			if (!c->want_out)
				ep_set(b, c, true, EPOLL_CTL_MOD);
			return;
		}
		if (w <= 0) {
			conn_lost(b, c, now);
			return;
		}
		c->sent += (size_t)w;
		c->t_activity = now;
	}
	c->state = C_READING;
	if (c->want_out)
		ep_set(b, c, false, EPOLL_CTL_MOD);
}

static bool header_is(const char *line, size_t n, const char *name, const char **value)
{
	size_t nl = strlen(name);
	if (n < nl + 1 || strncasecmp(line, name, nl) != 0 || line[nl] != ':')
		return false;
	const char *v = line + nl + 1;
	while (*v == ' ' || *v == '\t')
		v++;
	*value = v;
	return true;
}

/* What is read of c's answer: 0 incomplete, 1 complete (*status, the body at *body_off of
 * *body_len, *close_after), -1 malformed. eof: the server has closed. */
static int parse_answer(const conn *c, bool eof, int *status, size_t *body_off, size_t *body_len, bool *close_after)
{
	const char *buf = (const char *)c->buf;
	const char *end = memmem(buf, c->len, "\r\n\r\n", 4);
	if (end == NULL)
		return c->len > MAX_HEADER || eof ? -1 : 0;
	size_t head_len = (size_t)(end - buf) + 4;
	if (c->len < 12 || strncmp(buf, "HTTP/1.", 7) != 0 || buf[8] != ' ')
		return -1;
	bool http10 = buf[7] == '0';
	*status = atoi(buf + 9);
	*close_after = http10;
	long long clen = -1;
	const char *line = (const char *)memchr(buf, '\n', head_len) + 1;
	while (line < end) {
		const char *nl = memchr(line, '\n', (size_t)(end + 2 - line));
		size_t n = (size_t)(nl - line);
		const char *v = NULL;
		if (header_is(line, n, "Content-Length", &v))
			clen = atoll(v);
		else if (header_is(line, n, "Connection", &v))
			*close_after = strncasecmp(v, "close", 5) == 0	       ? true
				       : strncasecmp(v, "keep-alive", 10) == 0 ? false
									       : *close_after;
		else if (header_is(line, n, "Transfer-Encoding", &v))
			return -1; /* chunked: no OCSP responder here sends it */
		line = nl + 1;
	}
	*body_off = head_len;
	if (clen < 0) { /* the body runs to the close */
		*close_after = true;
		*body_len = c->len - head_len;
		return eof ? (*body_len > MAX_BODY ? -1 : 1) : (c->len - head_len > MAX_BODY ? -1 : 0);
	}
	if (clen > MAX_BODY)
		return -1;
	if (c->len - head_len < (size_t)clen)
		return eof ? -1 : 0;
	*body_len = (size_t)clen;
	return 1;
}

/* Whether body is a successful OCSPResponse holding the request's CertID with certStatus good. */
static bool answer_good(const request *r, const uint8_t *body, size_t len)
{
	uint8_t tag = 0;
	size_t h = 0, l = 0;
	if (!der_hdr(body, body + len, &tag, &h, &l) || tag != 0x30 || l < 3)
		return false;
	const uint8_t *p = body + h;
	if (p[0] != 0x0a || p[1] != 0x01 || p[2] != 0x00) /* responseStatus ENUMERATED successful */
		return false;
	const uint8_t *id = r->http + r->certid_off;
	const uint8_t *at = memmem(body, len, id, r->certid_len);
	if (at == NULL || (size_t)(body + len - at) < r->certid_len + 2)
		return false;
	at += r->certid_len;
	return at[0] == 0x80 && at[1] == 0x00; /* certStatus good: [0] IMPLICIT NULL */
}

static void save_answer(bench *b, request *r, const uint8_t *body, size_t len)
{
	char file[4096];
	snprintf(file, sizeof(file), "%s/%s", b->out_dir, r->name);
	FILE *f = fopen(file, "wb");
	if (f == NULL || fwrite(body, 1, len, f) != len || fclose(f) != 0)
		die(file);
	r->saved = true;
}

static void record(bench *b, int64_t t_start, int64_t now)
{
	b->s.all_answers++;
	if (now < b->t_measure || b->stopping)
		return;
	b->s.answers++;
	if (b->s.n_lat == b->s.cap_lat) {
		b->s.cap_lat = b->s.cap_lat ? b->s.cap_lat * 2 : 1 << 16;
		b->s.lat = realloc(b->s.lat, b->s.cap_lat * sizeof(*b->s.lat));
		if (b->s.lat == NULL)
			die("memory");
	}
	int64_t us = (now - t_start + 500) / 1000;
	b->s.lat[b->s.n_lat++] = us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
}

static void conn_read(bench *b, conn *c, int64_t now)
{
	if (c->len == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 16384;
		c->buf = realloc(c->buf, c->cap);
		if (c->buf == NULL)
			die("memory");
	}
	ssize_t n = recv(c->fd, c->buf + c->len, c->cap - c->len, 0);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (c->state == C_DRAIN) { /* the answer is in; waiting for the server's close */
		c->len = 0;
		if (n <= 0) {
			conn_close(c);
			conn_next(b, c, now);
		}
		return;
	}
	bool eof = n <= 0;
	if (n > 0) {
		c->len += (size_t)n;
		b->s.bytes_in += (unsigned long long)n;
		c->t_activity = now;
	} else if (c->len == 0) {
		conn_lost(b, c, now);
		return;
	}
	int status = 0;
	size_t off = 0, blen = 0;
	bool close_after = false;
	int rc = parse_answer(c, eof, &status, &off, &blen, &close_after);
	if (rc == 0)
		return;
	request *r = &b->reqs[c->req];
	if (rc < 0) {
		b->s.err_body++;
		close_after = true;
	} else if (status != 200) {
		b->s.err_http++;
	} else if (blen == 0 || c->buf[off] != 0x30) {
		b->s.err_body++;
	} else if (!answer_good(r, c->buf + off, blen)) {
		b->s.err_ocsp++;
	} else {
		record(b, c->t_start, now);
		if (b->out_dir != NULL && !r->saved)
			save_answer(b, r, c->buf + off, blen);
	}
	c->answers++;
	if (rc > 0 && close_after && !eof) {
		/* let the server close first (its TIME_WAIT, not one of our ports) */
		c->state = C_DRAIN;
		c->len = 0;
		return;
	}
	if (close_after || eof)
		conn_close(c);
	conn_next(b, c, now);
}

static void usage(void)
{
	fprintf(stderr, "usage: ocsp_load [-c CONNS] [-d SECONDS] [-w SECONDS] [-n ANSWERS] [-o DIR] "
			"HOST:PORT PATH REQDIR\n");
	exit(2);
}

static double num_arg(const char *s, double min, double max)
{
	char *end = NULL;
	double v = strtod(s, &end);
	if (end == s || *end != '\0' || !(v >= min && v <= max))
		usage();
	return v;
}

static int lat_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

/* The q-quantile (nearest rank) of the sorted latencies, in milliseconds. */
static double quantile_ms(const stats *s, double q)
{
	if (s->n_lat == 0)
		return 0;
	size_t rank = (size_t)(q * (double)s->n_lat + 0.999999);
	if (rank < 1)
		rank = 1;
	if (rank > s->n_lat)
		rank = s->n_lat;
	return s->lat[rank - 1] / 1000.0;
}

int main(int argc, char **argv)
{
	bench b = {.ep = -1, .n_conns = 16};
	double seconds = 10, warmup = 0;
	unsigned long max_answers = 0;
	bool seconds_given = false;
	int opt;
	while ((opt = getopt(argc, argv, "c:d:w:n:o:")) != -1) {
		switch (opt) {
		case 'c': b.n_conns = (int)num_arg(optarg, 1, 10000); break;
		case 'd':
			seconds = num_arg(optarg, 0.1, 86400);
			seconds_given = true;
			break;
		case 'w': warmup = num_arg(optarg, 0, 3600); break;
		case 'n': max_answers = (unsigned long)num_arg(optarg, 1, 1e12); break;
		case 'o': b.out_dir = optarg; break;
		default: usage();
		}
	}
	if (argc - optind != 3)
		usage();
	if (max_answers > 0 && !seconds_given)
		seconds = 300;
	const char *hostport = argv[optind], *path = argv[optind + 1], *dir = argv[optind + 2];
	const char *colon = strrchr(hostport, ':');
	char host[256];
	if (colon == NULL || (size_t)(colon - hostport) >= sizeof(host) || path[0] != '/')
		usage();
	memcpy(host, hostport, (size_t)(colon - hostport));
	host[colon - hostport] = '\0';
	int port = (int)num_arg(colon + 1, 1, 65535);
	b.addr.sin_family = AF_INET;
	b.addr.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, host, &b.addr.sin_addr) != 1) {
		fprintf(stderr, "ocsp_load: %s: not an IPv4 address\n", host);
		return 2;
	}
	if (b.out_dir != NULL && mkdir(b.out_dir, 0700) != 0 && errno != EEXIST)
		die(b.out_dir);
	signal(SIGPIPE, SIG_IGN);
	load_requests(&b, dir, hostport, path);

	b.ep = epoll_create1(EPOLL_CLOEXEC);
	b.conns = calloc((size_t)b.n_conns, sizeof(*b.conns));
	if (b.ep < 0 || b.conns == NULL)
		die("setup");
	int64_t t0 = now_ns();
	b.t_measure = t0 + (int64_t)(warmup * 1e9);
	int64_t t_end = b.t_measure + (int64_t)(seconds * 1e9);
	for (int i = 0; i < b.n_conns; i++) {
		conn *c = &b.conns[i];
		c->fd = -1;
		c->req = b.next_req++ % b.n_reqs;
		c->t_start = t0;
		conn_open(&b, c, t0, true);
	}
	/* The run ends without a connection closed before its request is written: openssl ocsp's
	 * responder (3.0) spins on a connection closed before its request line, and with -multi each
	 * such connection takes one of its workers for good (openssl/openssl#31129, #23934). So the
	 * requests in flight are finished (not counted), within STALL_NS. */
	struct epoll_event evs[256];
	int64_t now = t0, last_scan = t0;
	for (;;) {
		if (!b.stopping && (now >= t_end || (max_answers > 0 && b.s.answers >= max_answers))) {
			b.stopping = true;
			b.t_stop = now;
			for (int i = 0; i < b.n_conns; i++)
				if (b.conns[i].state == C_DOWN)
					conn_next(&b, &b.conns[i], now);
		}
		if (b.stopping) {
			int active = 0;
			for (int i = 0; i < b.n_conns; i++)
				active += b.conns[i].state != C_DONE;
			if (active == 0)
				break;
			if (now - b.t_stop > STALL_NS) {
				b.s.err_stall += (unsigned long)active;
				break;
			}
		}
		int n = epoll_wait(b.ep, evs, 256, 5);
		if (n < 0 && errno != EINTR)
			die("epoll_wait");
		now = now_ns();
		for (int i = 0; i < n; i++) {
			conn *c = evs[i].data.ptr;
			if (c->fd < 0)
				continue; /* closed by an earlier event of this batch */
			if (c->state == C_CONNECTING) {
				int err = 0;
				socklen_t el = sizeof(err);
				if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el) != 0 || err != 0) {
					b.s.err_conn++;
					conn_close(c);
					c->retry_at = now + RETRY_NS;
					if (b.stopping)
						c->state = C_DONE;
					continue;
				}
				c->state = C_WRITING;
				conn_write(&b, c, now);
			} else if (c->state == C_WRITING) {
				conn_write(&b, c, now);
			} else { /* C_READING, C_DRAIN */
				conn_read(&b, c, now);
			}
		}
		if (now - last_scan >= RETRY_NS) { /* failed connects due again, stalled connections */
			last_scan = now;
			for (int i = 0; i < b.n_conns; i++) {
				conn *c = &b.conns[i];
				if (c->state == C_DOWN && now >= c->retry_at) {
					conn_open(&b, c, now, false);
				} else if (c->state != C_DOWN && c->state != C_DONE && now - c->t_activity > STALL_NS) {
					b.s.err_stall++;
					conn_close(c);
					conn_next(&b, c, now);
				}
			}
		}
	}
	double took = b.t_stop > b.t_measure ? (double)(b.t_stop - b.t_measure) / 1e9 : 0.0;
	if (b.s.n_lat > 0)
		qsort(b.s.lat, b.s.n_lat, sizeof(*b.s.lat), lat_cmp);
	unsigned long errors = b.s.err_http + b.s.err_body + b.s.err_ocsp + b.s.err_conn + b.s.err_stall;
	printf("answers=%lu seconds=%.3f rate=%.1f errors=%lu err_http=%lu err_body=%lu err_ocsp=%lu err_conn=%lu "
	       "err_stall=%lu reconnects=%lu resent=%lu p50_ms=%.3f p99_ms=%.3f max_ms=%.3f connections=%d "
	       "requests=%zu uncounted=%lu bytes_in=%llu\n",
	       b.s.answers, took, took > 0 ? (double)b.s.answers / took : 0.0, errors, b.s.err_http, b.s.err_body,
	       b.s.err_ocsp, b.s.err_conn, b.s.err_stall, b.s.reconnects, b.s.resent, quantile_ms(&b.s, 0.50),
	       quantile_ms(&b.s, 0.99), b.s.n_lat ? b.s.lat[b.s.n_lat - 1] / 1000.0 : 0.0, b.n_conns, b.n_reqs,
	       b.s.all_answers - b.s.answers, b.s.bytes_in);
	for (int i = 0; i < b.n_conns; i++) {
		if (b.conns[i].fd >= 0)
			close(b.conns[i].fd);
		free(b.conns[i].buf);
	}
	for (size_t i = 0; i < b.n_reqs; i++) {
		free(b.reqs[i].name);
		free(b.reqs[i].http);
	}
	free(b.reqs);
	free(b.conns);
	free(b.s.lat);
	close(b.ep);
	return b.s.answers > 0 && errors == 0 ? 0 : 1;
}
