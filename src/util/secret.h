/* Keeping secrets (private keys, passwords) out of places they outlive their use: buffers wiped
 * before they are freed, grown without leaving the old block behind, and a process that never
 * writes its memory to a core file. */
#ifndef CF_SECRET_H
#define CF_SECRET_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

/* Overwrites n bytes at p in a way the compiler keeps (NULL-safe). */
void cf_secret_wipe(void *p, size_t n);
/* Wipes and frees a string that held a secret (a key's PEM, a password). NULL-safe. */
void cf_secret_free(char *s);

/* Makes room for at least need bytes in the block *p of *cap bytes whose first len bytes are in
 * use: a new block of need bytes or twice *cap, whichever is more, those bytes copied, the old
 * block wiped whole and freed (realloc could leave a copy behind). Nothing happens when *cap is
 * already enough. Returns 0, or -1 when out of memory (*p and *cap unchanged). */
int cf_secret_grow(uint8_t **p, size_t *cap, size_t len, size_t need);

/* Keeps this process's memory out of core files and away from other processes of the same user:
 * RLIMIT_CORE 0 (soft and hard) and PR_SET_DUMPABLE 0 (no core dump, no ptrace attach, no
 * /proc/PID/mem for them). Called first thing by certfleet and certfleetd. CF_E_INTERNAL when
 * either call fails. */
cf_code cf_process_harden(cf_err *e);

#endif
