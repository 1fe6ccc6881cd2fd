#include "util/clock.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int64_t fixed_now;

int64_t cf_clock_now(void)
{
	if (fixed_now != 0)
		return fixed_now;
	const char *env = getenv("CERTFLEET_NOW");
	int64_t t = 0;
	if (env != NULL && *env != '\0')
		return cf_time_parse_rfc3339(env, &t) ? t : strtoll(env, NULL, 10);
	return (int64_t)time(NULL);
}

void cf_clock_set(int64_t now)
{
	fixed_now = now;
}

/* Writes n digits of v into p. */
static char *digits(char *p, int64_t v, int n)
{
	for (int i = n - 1; i >= 0; i--, v /= 10)
		p[i] = (char)('0' + v % 10);
	return p + n;
}

void cf_time_rfc3339(int64_t t, char buf[static 32])
{
	/* the civil date of the day number (Howard Hinnant's civil_from_days), without the C
	 * library's time zone machinery: a page of certificates formats hundreds of dates */
	int64_t days = t / 86400, secs = t % 86400;
	if (secs < 0) {
		secs += 86400;
		days--;
	}
	days += 719468; /* days from 0000-03-01 */
	int64_t era = (days >= 0 ? days : days - 146096) / 146097;
	int64_t doe = days - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	int64_t day = doy - (153 * mp + 2) / 5 + 1, month = mp < 10 ? mp + 3 : mp - 9;
	int64_t year = yoe + era * 400 + (month <= 2);
	if (year < 0 || year > 9999) { /* outside what X.509 can say: the C library's text */
		time_t tt = (time_t)t;
		struct tm tm;
		if (gmtime_r(&tt, &tm) == NULL || strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
			snprintf(buf, 32, "invalid");
		return;
	}
	char *p = digits(buf, year, 4);
	*p++ = '-';
	p = digits(p, month, 2);
	*p++ = '-';
	p = digits(p, day, 2);
	*p++ = 'T';
	p = digits(p, secs / 3600, 2);
	*p++ = ':';
	p = digits(p, secs / 60 % 60, 2);
	*p++ = ':';
	p = digits(p, secs % 60, 2);
	*p++ = 'Z';
	*p = '\0';
}

bool cf_time_parse_rfc3339(const char *s, int64_t *out)
{
	struct tm tm = {0};
	int n = 0, oh = 0, om = 0;
	char sign = 0;
	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
		   &tm.tm_sec, &n) != 6 ||
	    n != 19)
		return false;
	const char *z = s + n;
	if (strcmp(z, "Z") != 0 && !(sscanf(z, "%c%2d:%2d%n", &sign, &oh, &om, &n) == 3 && n == 6 && z[n] == '\0' &&
				     (sign == '+' || sign == '-') && oh < 24 && om < 60))
		return false;
	if (tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 ||
	    tm.tm_sec > 60)
		return false;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	int64_t t = (int64_t)timegm(&tm);
	*out = t - (sign == '-' ? -1 : 1) * (sign ? (oh * 3600 + om * 60) : 0);
	return true;
}

int64_t cf_clock_mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void cf_clock_sleep_ms(int64_t ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

unsigned cf_clock_jitter(void)
{
	static _Thread_local unsigned x;
	if (x == 0)
		x = ((unsigned)getpid() * 2654435761u ^ (unsigned)cf_clock_mono_ms() ^ (unsigned)(uintptr_t)&x) | 1u;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return x;
}
