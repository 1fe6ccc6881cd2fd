/* In-memory login sessions (see session.h). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/password.h"
#include "crypto/tlsserver.h"
#include "daemon/session.h"

struct cf_sessions {
	pthread_mutex_t mu; /* the loop and the workers both look sessions up */
	cf_session v[CF_SESSION_MAX];
	size_t n;
	uint64_t uses; /* starts and finds so far: the clock of the least-recently-used order */
};

cf_sessions *cf_sessions_new(void)
{
	cf_sessions *s = calloc(1, sizeof(cf_sessions));
	if (s != NULL)
		pthread_mutex_init(&s->mu, NULL);
	return s;
}

void cf_sessions_free(cf_sessions *s)
{
	if (s == NULL)
		return;
	pthread_mutex_destroy(&s->mu);
	cf_secret_wipe(s, sizeof(*s));
	free(s);
}

/* Drops session i (the last one takes its place). */
static void drop(cf_sessions *s, size_t i)
{
	s->v[i] = s->v[s->n - 1];
	cf_secret_wipe(&s->v[s->n - 1], sizeof(cf_session));
	s->n--;
}

/* Drops every session idle for longer than CF_SESSION_IDLE. */
static void expire(cf_sessions *s, int64_t now)
{
	for (size_t i = s->n; i-- > 0;)
		if (now - s->v[i].last_used > CF_SESSION_IDLE)
			drop(s, i);
}

/* n random bytes as lower-case hex in out (2n + 1 bytes). */
static cf_code random_hex(char *out, size_t n, cf_err *e)
{
	unsigned char b[32];
	if (n > sizeof(b) || cf_random_bytes(b, n, e) != CF_OK)
		return CF_E_INTERNAL;
	for (size_t i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
	cf_secret_wipe(b, sizeof(b));
	return CF_OK;
}

/* The session to end so that account may start one more: its least recently used when it
 * holds CF_SESSION_PER_ACCOUNT, else the table's least recently used when the table is full;
 * s->n when none has to end. */
static size_t to_evict(const cf_sessions *s, const char *account)
{
	size_t own = 0, own_lru = s->n, any_lru = s->n;
	for (size_t i = 0; i < s->n; i++) {
		if (any_lru == s->n || s->v[i].use < s->v[any_lru].use)
			any_lru = i;
		if (strcmp(s->v[i].account, account) == 0) {
			own++;
			if (own_lru == s->n || s->v[i].use < s->v[own_lru].use)
				own_lru = i;
		}
	}
	if (own >= CF_SESSION_PER_ACCOUNT)
		return own_lru;
	return s->n == CF_SESSION_MAX ? any_lru : s->n;
}

cf_code cf_session_start(cf_sessions *s, const char *account, bool admin, int64_t now, cf_session *out, cf_err *e)
{
	pthread_mutex_lock(&s->mu);
	expire(s, now);
	size_t evict = to_evict(s, account);
	if (evict < s->n)
		drop(s, evict);
	cf_session *x = &s->v[s->n];
	memset(x, 0, sizeof(*x));
	if (random_hex(x->id, 32, e) != CF_OK || random_hex(x->csrf, 32, e) != CF_OK) {
		cf_secret_wipe(x, sizeof(*x));
		pthread_mutex_unlock(&s->mu);
		return CF_E_INTERNAL;
	}
	snprintf(x->account, sizeof(x->account), "%s", account);
	x->admin = admin;
	x->last_used = now;
	x->use = ++s->uses;
	s->n++;
	*out = *x;
	pthread_mutex_unlock(&s->mu);
	return CF_OK;
}

cf_code cf_session_insert(cf_sessions *s, const cf_session *x, cf_err *e)
{
	pthread_mutex_lock(&s->mu);
	bool full = s->n == CF_SESSION_MAX;
	if (!full) {
		s->v[s->n] = *x;
		s->v[s->n++].use = ++s->uses;
	}
	pthread_mutex_unlock(&s->mu);
	return full ? cf_err_set(e, CF_E_STATE, "sessions", "the session table is full") : CF_OK;
}

bool cf_token_equal(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned char d = la != lb;
	for (size_t i = 0; i < la && i < lb; i++)
		d |= (unsigned char)(a[i] ^ b[i]);
	return d == 0;
}

bool cf_session_find(cf_sessions *s, const char *id, int64_t now, cf_session *out)
{
	bool found = false;
	pthread_mutex_lock(&s->mu);
	expire(s, now);
	for (size_t i = 0; i < s->n && !found; i++)
		if (cf_token_equal(s->v[i].id, id)) {
			s->v[i].last_used = now;
			s->v[i].use = ++s->uses;
			*out = s->v[i];
			found = true;
		}
	pthread_mutex_unlock(&s->mu);
	return found;
}

void cf_session_end(cf_sessions *s, const char *id)
{
	pthread_mutex_lock(&s->mu);
	for (size_t i = 0; i < s->n; i++)
		if (cf_token_equal(s->v[i].id, id)) {
			drop(s, i);
			break;
		}
	pthread_mutex_unlock(&s->mu);
}

void cf_session_end_account(cf_sessions *s, const char *account, const char *keep_id)
{
	pthread_mutex_lock(&s->mu);
	for (size_t i = s->n; i-- > 0;)
		if (strcmp(s->v[i].account, account) == 0 && (keep_id == NULL || strcmp(s->v[i].id, keep_id) != 0))
			drop(s, i);
	pthread_mutex_unlock(&s->mu);
}

size_t cf_session_count(cf_sessions *s, const char *account, int64_t now)
{
	size_t n = 0;
	pthread_mutex_lock(&s->mu);
	expire(s, now);
	for (size_t i = 0; i < s->n; i++)
		n += strcmp(s->v[i].account, account) == 0;
	pthread_mutex_unlock(&s->mu);
	return n;
}
