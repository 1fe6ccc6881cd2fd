/* The global budget of login password checks (see login_budget.h). */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/login_budget.h"

#define FULL ((int64_t)CF_LOGIN_BUDGET_BURST_MS * 100) /* a full budget, in hundredths of ms */

/* One account's own check: when it was last taken. */
struct reserve {
	char account[128];
	int64_t taken_ms;
};

struct cf_login_budget {
	pthread_mutex_t mu;
	int percent;	    /* of the time that passes, earned as checking time */
	int64_t level;	    /* checking time available, in hundredths of ms (below 0: overdrawn) */
	int64_t last_ms;    /* when level was last brought up to date (-1: never) */
	int64_t logged_ms;  /* when a refusal was last logged (-1: never) */
	unsigned long held; /* refusals counted since then */
	struct reserve r[CF_LOGIN_RESERVE_MAX];
};

cf_login_budget *cf_login_budget_new(int percent)
{
	if (percent < 1 || percent > 100)
		return NULL;
	cf_login_budget *b = calloc(1, sizeof(*b));
	if (b == NULL)
		return NULL;
	pthread_mutex_init(&b->mu, NULL);
	b->percent = percent;
	b->level = FULL;
	b->last_ms = -1;
	b->logged_ms = -1;
	return b;
}

void cf_login_budget_free(cf_login_budget *b)
{
	if (b != NULL)
		pthread_mutex_destroy(&b->mu);
	free(b);
}

/* Adds the share of the time since the last call (in hundredths of ms, so no rounding is lost),
 * keeping the level within one burst either side of zero. */
static void refill(cf_login_budget *b, int64_t now_ms)
{
	if (b->last_ms >= 0 && now_ms > b->last_ms)
		b->level += (now_ms - b->last_ms) * b->percent;
	if (b->level > FULL)
		b->level = FULL;
	if (b->level < -FULL)
		b->level = -FULL;
	if (b->last_ms < 0 || now_ms > b->last_ms)
		b->last_ms = now_ms;
}

static bool open_held(cf_login_budget *b, int64_t now_ms)
{
	refill(b, now_ms);
	return b->level > 0;
}

static void charge_held(cf_login_budget *b, int64_t ms, int64_t now_ms)
{
	/* taken before the share of the time the check itself took is earned: at 100 % a check
	 * always earns back what it cost */
	b->level -= (ms > 0 ? ms : 0) * 100;
	refill(b, now_ms);
}

static int64_t wait_ms_held(cf_login_budget *b, int64_t now_ms)
{
	refill(b, now_ms);
	/* the time that earns the level back above zero */
	return b->level > 0 ? 0 : -b->level / b->percent + 1;
}

static bool take_reserve_held(cf_login_budget *b, const char *account, int64_t now_ms)
{
	struct reserve *slot = NULL, *spare = NULL;
	for (int i = 0; i < CF_LOGIN_RESERVE_MAX && slot == NULL; i++) {
		struct reserve *r = &b->r[i];
		if (r->account[0] != '\0' && strcmp(r->account, account) == 0)
			slot = r;
		else if (spare == NULL ||
			 (spare->account[0] != '\0' && (r->account[0] == '\0' || r->taken_ms < spare->taken_ms)))
			spare = r; /* a free entry, else the one taken longest ago */
	}
	if (slot != NULL && now_ms - slot->taken_ms < CF_LOGIN_RESERVE_MS)
		return false;
	if (slot == NULL) {
		slot = spare;
		memset(slot, 0, sizeof(*slot));
		strncpy(slot->account, account, sizeof(slot->account) - 1);
	}
	slot->taken_ms = now_ms;
	return true;
}

static bool refused_held(cf_login_budget *b, int64_t now_ms, unsigned long *count)
{
	b->held++;
	if (b->logged_ms >= 0 && now_ms - b->logged_ms < CF_LOGIN_BUDGET_LOG_MS)
		return false;
	*count = b->held;
	b->held = 0;
	b->logged_ms = now_ms;
	return true;
}

/* ---- the public calls: each the *_held function above under b->mu (the loop and the workers
 * share the table) ---- */

bool cf_login_budget_open(cf_login_budget *b, int64_t now_ms)
{
	pthread_mutex_lock(&b->mu);
	bool r = open_held(b, now_ms);
	pthread_mutex_unlock(&b->mu);
	return r;
}

void cf_login_budget_charge(cf_login_budget *b, int64_t ms, int64_t now_ms)
{
	pthread_mutex_lock(&b->mu);
	charge_held(b, ms, now_ms);
	pthread_mutex_unlock(&b->mu);
}

int64_t cf_login_budget_wait_ms(cf_login_budget *b, int64_t now_ms)
{
	pthread_mutex_lock(&b->mu);
	int64_t r = wait_ms_held(b, now_ms);
	pthread_mutex_unlock(&b->mu);
	return r;
}

bool cf_login_budget_take_reserve(cf_login_budget *b, const char *account, int64_t now_ms)
{
	pthread_mutex_lock(&b->mu);
	bool r = take_reserve_held(b, account, now_ms);
	pthread_mutex_unlock(&b->mu);
	return r;
}

bool cf_login_budget_refused(cf_login_budget *b, int64_t now_ms, unsigned long *count)
{
	pthread_mutex_lock(&b->mu);
	bool r = refused_held(b, now_ms, count);
	pthread_mutex_unlock(&b->mu);
	return r;
}
