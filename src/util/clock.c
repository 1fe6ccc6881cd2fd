#include "util/clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static int64_t fixed_now;

int64_t cf_clock_now(void)
{
	if (fixed_now != 0)
		return fixed_now;
	const char *env = getenv("CERTFLEET_NOW");
	if (env != NULL && *env != '\0')
		return strtoll(env, NULL, 10);
	return (int64_t)time(NULL);
}

void cf_clock_set(int64_t now)
{
	fixed_now = now;
}

void cf_time_rfc3339(int64_t t, char buf[static 32])
{
	time_t tt = (time_t)t;
	struct tm tm;
	if (gmtime_r(&tt, &tm) == NULL) {
		snprintf(buf, 32, "invalid");
		return;
	}
	strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}
