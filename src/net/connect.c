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
