/* TCP to a peer: HOST:PORT, connect with a deadline, bounded send and receive. */
#include "net/connect.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* Whether every character of a host name is one DNS (or a hosts file) allows. */
static bool name_chars_ok(const char *s)
{
	for (; *s != '\0'; s++) {
		char ch = *s;
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-' ||
		      ch == '.' || ch == '_'))
			return false;
	}
	return true;
}

cf_code cf_hostport_parse(const char *text, cf_hostport *out, cf_err *e)
{
	cf_hostport hp = {0};
	const char *host = text, *host_end = NULL, *port = NULL;
	unsigned char addr[16];

	if (text[0] == '[') {
		host = text + 1;
		host_end = strchr(host, ']');
		if (host_end == NULL || host_end[1] != ':')
			return cf_err_set(e, CF_E_USAGE, text, "expected [IPv6-ADDRESS]:PORT");
		port = host_end + 2;
	} else {
		host_end = strrchr(text, ':');
		if (host_end == NULL)
			return cf_err_set(e, CF_E_USAGE, text, "expected HOST:PORT");
		if (memchr(text, ':', (size_t)(host_end - text)) != NULL)
			return cf_err_set(e, CF_E_USAGE, text, "an IPv6 address goes in brackets: [ADDRESS]:PORT");
		port = host_end + 1;
	}
	size_t hlen = (size_t)(host_end - host);
	if (hlen == 0 || hlen >= sizeof(hp.host))
		return cf_err_set(e, CF_E_USAGE, text, "expected HOST:PORT with a host of 1 to %zu characters",
				  sizeof(hp.host) - 1);
	memcpy(hp.host, host, hlen);
	hp.host[hlen] = '\0';

	char *end = NULL;
	errno = 0;
	long p = port[0] >= '0' && port[0] <= '9' ? strtol(port, &end, 10) : -1;
	if (p < 1 || p > 65535 || errno != 0 || *end != '\0')
		return cf_err_set(e, CF_E_USAGE, text, "the port must be a number from 1 to 65535");
	snprintf(hp.port, sizeof(hp.port), "%ld", p);

	if (text[0] == '[') {
		if (inet_pton(AF_INET6, hp.host, addr) != 1)
			return cf_err_set(e, CF_E_USAGE, text, "\"%s\" is not an IPv6 address", hp.host);
		hp.ip = true;
	} else if (inet_pton(AF_INET, hp.host, addr) == 1) {
		hp.ip = true;
	} else if (!name_chars_ok(hp.host)) {
		return cf_err_set(e, CF_E_USAGE, text, "\"%s\" is not a host name or IPv4 address", hp.host);
	}
	*out = hp;
	return CF_OK;
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t cf_net_deadline(int timeout_ms)
{
	return now_ms() + timeout_ms;
}

int cf_net_left(int64_t deadline)
{
	int64_t left = deadline - now_ms();
	return left <= 0 ? 0 : left > 86400000 ? 86400000 : (int)left;
}

/* A peer that did not answer in time (reason timeout: the API's 504). */
static cf_code timed_out(cf_err *e, const char *when)
{
	cf_err_set(e, CF_E_REMOTE, NULL, "timed out %s", when);
	return cf_err_reason(e, CF_REASON_TIMEOUT);
}

/* Waits until fd is ready for events or deadline passes: 1 ready, 0 timed out, -1 error. */
static int wait_fd(int fd, short events, int64_t deadline)
{
	for (;;) {
		struct pollfd p = {.fd = fd, .events = events};
		int left = cf_net_left(deadline);
		if (left == 0)
			return 0;
		int n = poll(&p, 1, left);
		if (n > 0)
			return 1;
		if (n < 0 && errno != EINTR)
			return -1;
	}
}

/* One connect attempt to one address. 0 with *fd set, or an errno value (ETIMEDOUT when the
 * deadline passed). */
static int connect_one(const struct addrinfo *ai, int64_t deadline, int *fd)
{
	int s = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
	int err = 0;
	socklen_t len = sizeof(err);
	if (s < 0)
		return errno;
	if (connect(s, ai->ai_addr, ai->ai_addrlen) != 0) {
		if (errno != EINPROGRESS) {
			err = errno;
			goto fail;
		}
		int ready = wait_fd(s, POLLOUT, deadline);
		if (ready <= 0) {
			err = ready == 0 ? ETIMEDOUT : errno;
			goto fail;
		}
		if (getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
			err = errno;
		if (err != 0)
			goto fail;
	}
	int flags = fcntl(s, F_GETFL);
	if (flags < 0 || fcntl(s, F_SETFL, flags & ~O_NONBLOCK) != 0) {
		err = errno;
		goto fail;
	}
	*fd = s;
	return 0;
fail:
	close(s);
	return err;
}

cf_code cf_net_connect(const cf_hostport *hp, int64_t deadline, int *fd, cf_err *e)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC,
				 .ai_socktype = SOCK_STREAM,
				 .ai_flags = AI_NUMERICSERV | (hp->ip ? AI_NUMERICHOST : 0)};
	struct addrinfo *res = NULL;
	int gai = getaddrinfo(hp->host, hp->port, &hints, &res);
	if (gai != 0)
		return cf_err_set(e, CF_E_REMOTE, NULL, "cannot resolve %s: %s", hp->host,
				  gai == EAI_SYSTEM ? strerror(errno) : gai_strerror(gai));
	int err = ENOENT;
	for (const struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
		if ((err = connect_one(ai, deadline, fd)) == 0 || err == ETIMEDOUT)
			break;
	}
	freeaddrinfo(res);
	if (err == ETIMEDOUT)
		return timed_out(e, "while connecting");
	if (err != 0)
		return cf_err_set(e, CF_E_REMOTE, NULL, "cannot connect: %s", strerror(err));
	return CF_OK;
}

cf_code cf_net_send(int fd, const void *buf, size_t len, int64_t deadline, cf_err *e)
{
	const char *p = buf;
	while (len > 0) {
		int ready = wait_fd(fd, POLLOUT, deadline);
		if (ready == 0)
			return timed_out(e, "while sending");
		ssize_t n = ready < 0 ? -1 : send(fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			continue;
		if (n < 0)
			return cf_err_set(e, CF_E_REMOTE, NULL, "cannot send: %s", strerror(errno));
		p += n;
		len -= (size_t)n;
	}
	return CF_OK;
}

cf_code cf_net_recv(int fd, void *buf, size_t cap, size_t *got, int64_t deadline, cf_err *e)
{
	for (;;) {
		int ready = wait_fd(fd, POLLIN, deadline);
		if (ready == 0)
			return timed_out(e, "waiting for the server");
		ssize_t n = ready < 0 ? -1 : recv(fd, buf, cap, MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			continue;
		if (n < 0)
			return cf_err_set(e, CF_E_REMOTE, NULL, "cannot receive: %s", strerror(errno));
		if (n == 0)
			return cf_err_set(e, CF_E_REMOTE, NULL, "the server closed the connection");
		*got = (size_t)n;
		return CF_OK;
	}
}
