/* Time is an input: everything that asks "what time is it" asks here, so tests can move time.
 * CERTFLEET_NOW (seconds since the epoch, or RFC 3339) overrides the system clock for the whole
 * process. */
#ifndef CF_CLOCK_H
#define CF_CLOCK_H

#include <stdbool.h>
#include <stdint.h>

/* Seconds since the epoch, UTC. */
int64_t cf_clock_now(void);
/* Sets a fixed time for this process (0 returns to the system clock). */
void cf_clock_set(int64_t now);
/* Milliseconds of a monotonic clock (not moved by CERTFLEET_NOW): for timeouts and pauses. */
int64_t cf_clock_mono_ms(void);
/* A number that differs between processes, threads and calls, to keep retries out of step
 * (xorshift seeded by pid, clock and thread; not for secrets). */
unsigned cf_clock_jitter(void);
/* Sleeps ms milliseconds (resumes after signals). */
void cf_clock_sleep_ms(int64_t ms);
/* Formats t as RFC 3339 UTC with a Z ("2026-11-22T06:45:38Z") into buf (>= 21 bytes). */
void cf_time_rfc3339(int64_t t, char buf[static 32]);

/* Parses "2026-11-22T06:45:38Z" (or with a +hh:mm/-hh:mm offset) into *out; false when malformed. */
bool cf_time_parse_rfc3339(const char *s, int64_t *out);

#endif
