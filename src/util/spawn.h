/* Running an operator's shell command (a deploy target's reload) with its output kept and its
 * time bounded, so that neither certfleet nor certfleetd's loop waits on it forever. */
#ifndef CF_SPAWN_H
#define CF_SPAWN_H

#include <stddef.h>

#define CF_SPAWN_OUTPUT_MAX 4096 /* bytes of output kept; the rest is dropped */

typedef struct cf_spawn_result {
	int status;	/* exit status 0-255; -1 when it could not run, was killed or timed out */
	int timed_out;	/* non-zero: killed after the time limit */
	char *output;	/* stdout and stderr together, its first CF_SPAWN_OUTPUT_MAX bytes as lines of
			      text (control characters and bytes that are not UTF-8 as \xHH); "" when
			      none; NULL only when out of memory. Caller frees. */
	int output_cut; /* non-zero: there was more output than was kept */
} cf_spawn_result;

/* Runs cmd with /bin/sh -c in a process group of its own, stdin from /dev/null, stdout and stderr
 * into an anonymous file, with the signals certfleet ignores back at their defaults. Waits for the
 * shell to exit (not for what it left running in the background), at most timeout_s seconds,
 * after which its process group is killed. Fills *r (free r->output); returns r->status. */
int cf_spawn_shell(const char *cmd, int timeout_s, cf_spawn_result *r);

#endif
