/* Login throttling (see throttle.h). */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/throttle.h"

int64_t cf_throttle_account_lock(int64_t failures, int64_t now)
{
	if (failures < CF_THROTTLE_ACCOUNT_FAILURES)
		return 0;
	int64_t lock = CF_THROTTLE_ACCOUNT_LOCK;
	for (int64_t i = CF_THROTTLE_ACCOUNT_FAILURES; i < failures && lock < CF_THROTTLE_ACCOUNT_LOCK_MAX; i++)
		lock *= 2;
	return now + (lock < CF_THROTTLE_ACCOUNT_LOCK_MAX ? lock : CF_THROTTLE_ACCOUNT_LOCK_MAX);
}

/* One address's fixed window: failures counted since start. */
struct addr_window {
	char addr[64];
	int64_t start;
	int count;
};

/* One locked account's wrong passwords from clean addresses, for the lock that ends at until. */
struct locked_tries {
	char account[128];
	int64_t until;
	int count;
};

struct cf_throttle {
	pthread_mutex_t mu;
	struct addr_window w[CF_THROTTLE_ADDR_MAX];
	struct locked_tries l[CF_THROTTLE_LOCKED_MAX];
};

cf_throttle *cf_throttle_new(void)
{
	cf_throttle *t = calloc(1, sizeof(cf_throttle));
	if (t != NULL)
		pthread_mutex_init(&t->mu, NULL);
	return t;
}

void cf_throttle_free(cf_throttle *t)
{
	if (t != NULL)
		pthread_mutex_destroy(&t->mu);
	free(t);
}

static bool expired(const struct addr_window *w, int64_t now)
{
	return w->addr[0] == '\0' || now >= w->start + CF_THROTTLE_ADDR_WINDOW || now < w->start;
}

static struct addr_window *find(cf_throttle *t, const char *addr, int64_t now)
{
	for (int i = 0; i < CF_THROTTLE_ADDR_MAX; i++) {
		struct addr_window *w = &t->w[i];
		if (w->addr[0] != '\0' && strcmp(w->addr, addr) == 0) {
			if (expired(w, now))
				memset(w, 0, sizeof(*w));
			return w->addr[0] != '\0' ? w : NULL;
		}
	}
	return NULL;
}

static int64_t addr_wait_held(cf_throttle *t, const char *addr, int64_t now)
{
	const struct addr_window *w = find(t, addr, now);
	if (w == NULL || w->count < CF_THROTTLE_ADDR_FAILURES)
		return 0;
	return w->start + CF_THROTTLE_ADDR_WINDOW - now;
}

static bool addr_clean_held(cf_throttle *t, const char *addr, int64_t now)
{
	const struct addr_window *w = find(t, addr, now);
	return w == NULL || w->count == 0;
}

static void addr_fail_held(cf_throttle *t, const char *addr, int64_t now)
{
	struct addr_window *w = find(t, addr, now);
	if (w == NULL) {
		/* A free or expired slot, else the one whose window started first. */
		struct addr_window *oldest = &t->w[0];
		for (int i = 0; i < CF_THROTTLE_ADDR_MAX && w == NULL; i++) {
			if (expired(&t->w[i], now))
				w = &t->w[i];
			else if (t->w[i].start < oldest->start)
				oldest = &t->w[i];
		}
		if (w == NULL)
			w = oldest;
		memset(w, 0, sizeof(*w));
		strncpy(w->addr, addr, sizeof(w->addr) - 1);
		w->start = now;
	}
	w->count++;
}

/* The entry of account's lock that ends at until, or NULL. */
static struct locked_tries *find_locked(cf_throttle *t, const char *account, int64_t until)
{
	for (int i = 0; i < CF_THROTTLE_LOCKED_MAX; i++)
		if (t->l[i].until == until && strcmp(t->l[i].account, account) == 0)
			return &t->l[i];
	return NULL;
}

static bool locked_may_try_held(cf_throttle *t, const char *account, int64_t until, const char *addr, int64_t now)
{
	const struct locked_tries *l = find_locked(t, account, until);
	return addr_clean_held(t, addr, now) && (l == NULL || l->count < CF_THROTTLE_LOCKED_TRIES);
}

static void locked_fail_held(cf_throttle *t, const char *account, int64_t until, int64_t now)
{
	struct locked_tries *l = find_locked(t, account, until);
	if (l == NULL) {
		/* A slot whose lock has run out, else the one whose lock ends first. */
		l = &t->l[0];
		for (int i = 0; i < CF_THROTTLE_LOCKED_MAX && l->until > now; i++)
			if (t->l[i].until < l->until || t->l[i].until <= now)
				l = &t->l[i];
		memset(l, 0, sizeof(*l));
		strncpy(l->account, account, sizeof(l->account) - 1);
		l->until = until;
	}
	l->count++;
}

/* ---- the public calls: each the *_held function above under t->mu (the loop and the workers
 * share the table) ---- */

int64_t cf_throttle_addr_wait(cf_throttle *t, const char *addr, int64_t now)
{
	pthread_mutex_lock(&t->mu);
	int64_t r = addr_wait_held(t, addr, now);
	pthread_mutex_unlock(&t->mu);
	return r;
}

bool cf_throttle_addr_clean(cf_throttle *t, const char *addr, int64_t now)
{
	pthread_mutex_lock(&t->mu);
	bool r = addr_clean_held(t, addr, now);
	pthread_mutex_unlock(&t->mu);
	return r;
}

void cf_throttle_addr_fail(cf_throttle *t, const char *addr, int64_t now)
{
	pthread_mutex_lock(&t->mu);
	addr_fail_held(t, addr, now);
	pthread_mutex_unlock(&t->mu);
}

bool cf_throttle_locked_may_try(cf_throttle *t, const char *account, int64_t until, const char *addr, int64_t now)
{
	pthread_mutex_lock(&t->mu);
	bool r = locked_may_try_held(t, account, until, addr, now);
	pthread_mutex_unlock(&t->mu);
	return r;
}

void cf_throttle_locked_fail(cf_throttle *t, const char *account, int64_t until, int64_t now)
{
	pthread_mutex_lock(&t->mu);
	locked_fail_held(t, account, until, now);
	pthread_mutex_unlock(&t->mu);
}
