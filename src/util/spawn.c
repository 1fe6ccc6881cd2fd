#include "util/spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util/text.h"

extern char **environ;

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* In the child, between fork and exec: only async-signal-safe calls. */
static void child(const char *cmd, int out)
{
	static const int sigs[] = {SIGPIPE, SIGINT, SIGQUIT, SIGTERM, SIGHUP, SIGCHLD};
	struct sigaction dfl;
	sigset_t none;
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &dfl, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	setpgid(0, 0);
	int in = open("/dev/null", O_RDONLY);
	if (in < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
		_exit(127);
	close_range(3, ~0U, 0); /* nothing of certfleet's (the store, sockets) reaches the command */
	char *argv[] = {"sh", "-c", (char *)cmd, NULL};
	execve("/bin/sh", argv, environ);
	_exit(127);
}

/* The len bytes at raw as lines of escaped text, into a new string. */
static char *escape_lines(const char *raw, size_t len)
{
	char *out = malloc(len * 4 + 1), *w = out;
	if (out == NULL)
		return NULL;
	for (size_t i = 0; i < len;) {
		const char *nl = memchr(raw + i, '\n', len - i);
		size_t seg = nl != NULL ? (size_t)(nl - (raw + i)) : len - i;
		cf_text_escape(raw + i, seg, w, seg * 4 + 1);
		w += strlen(w);
		if (nl != NULL)
			*w++ = '\n';
		i += seg + (nl != NULL);
	}
	*w = '\0';
	return out;
}

/* Waits for pid until deadline (monotonic ms): 1 when it exited (*status), 0 when it is still
 * running then, -1 when it cannot be waited for. */
static int wait_until(pid_t pid, int64_t deadline, int *status)
{
	long nap_us = 1000;
	for (;;) {
		pid_t r = waitpid(pid, status, WNOHANG);
		if (r == pid)
			return 1;
		if (r < 0 && errno != EINTR)
			return -1;
		if (mono_ms() >= deadline)
			return 0;
		struct timespec ts = {0, nap_us * 1000};
		nanosleep(&ts, NULL);
		if (nap_us < 50000)
			nap_us *= 2;
	}
}

int cf_spawn_shell(const char *cmd, int timeout_s, cf_spawn_result *r)
{
	memset(r, 0, sizeof(*r));
	r->status = -1;
	int out = memfd_create("certfleet-command", MFD_CLOEXEC);
	if (out < 0) {
		r->output = strdup("");
		return r->status;
	}
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0)
		child(cmd, out);
	if (pid > 0) {
		int st = 0;
		setpgid(pid, pid); /* as the child does: the group exists before it may be killed */
		int w = wait_until(pid, mono_ms() + (int64_t)timeout_s * 1000, &st);
		if (w == 0) {
			kill(-pid, SIGKILL);
			while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
				;
			r->timed_out = 1;
		} else if (w == 1 && WIFEXITED(st)) {
			r->status = WEXITSTATUS(st);
		}
	}
	char raw[CF_SPAWN_OUTPUT_MAX + 1];
	ssize_t n = pread(out, raw, sizeof(raw), 0);
	close(out);
	if (n < 0)
		n = 0;
	r->output_cut = n > CF_SPAWN_OUTPUT_MAX;
	r->output = escape_lines(raw, r->output_cut ? CF_SPAWN_OUTPUT_MAX : (size_t)n);
	return r->status;
}
