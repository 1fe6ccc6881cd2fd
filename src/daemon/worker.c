/* certfleetd's workers (see worker.h). */
#include "daemon/worker.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <unistd.h>

/* One request handed over: its copy (owning its path, route argument and query), its handler,
 * the reply the handler makes, and the link in the queue. */
typedef struct task {
	cf_req q;
	char *path, *arg;
	cf_route_fn fn;
	bool ran;	 /* false: no store could be opened for it */
	cf_err open_err; /* then why */
	cf_held_reply held;
	struct task *next;
} task;

struct cf_worker {
	cf_daemon *d;
	char *target;
	pthread_t threads[CF_WORKER_THREADS_MAX];
	int n_threads;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	task *head, *tail; /* waiting for a worker */
	int queued;
	bool stopping;
	int pipe_r, pipe_w; /* finished tasks, as pointers, back to the loop */
	struct event *back;
};

static void free_task(task *t)
{
	evhttp_clear_headers(&t->q.query);
	json_decref(t->q.fields);
	if (t->held.body != NULL)
		evbuffer_free(t->held.body);
	free(t->path);
	free(t->arg);
	free(t);
}

/* 503 with Retry-After: the same request may succeed soon. */
static void reply_busy(cf_req *q, const char *why)
{
	cf_err e = {0};
	cf_err_set(&e, CF_E_STATE, NULL, "%s; try again", why);
	cf_err_reason(&e, CF_REASON_RETRY);
	cf_reply_err(q, &e);
}

static void *run(void *arg)
{
	cf_worker *w = arg;
	cf_store *st = NULL;
	cf_daemon_crls crls = {0}; /* parsed on this thread's store connection */
	for (;;) {
		pthread_mutex_lock(&w->mu);
		while (w->head == NULL && !w->stopping)
			pthread_cond_wait(&w->cv, &w->mu);
		task *t = w->head;
		if (t == NULL) { /* stopping, nothing left */
			pthread_mutex_unlock(&w->mu);
			break;
		}
		w->head = t->next;
		if (w->head == NULL)
			w->tail = NULL;
		w->queued--;
		pthread_mutex_unlock(&w->mu);
		if (st == NULL && cf_store_open(w->target, false, &st, &t->open_err) != CF_OK) {
			cf_dlog(w->d, CF_LOG_ERROR, "worker: the store could not be opened: %s", t->open_err.message);
			st = NULL;
		}
		if (st != NULL) {
			t->q.st = st;
			t->q.crls = &crls;
			t->fn(&t->q);
			t->ran = true;
			json_decref(t->q.fields); /* what the handler read, freed on its thread */
			t->q.fields = NULL;
		}
		cf_store_rollback(st);
		/* a pointer is written whole or not at all (a pipe takes up to PIPE_BUF at once) */
		while (write(w->pipe_w, &t, sizeof(t)) < 0 && errno == EINTR)
			;
	}
	cf_daemon_crls_clear(&crls);
	cf_store_close(st);
	return NULL;
}

/* On the loop: the tasks the workers finished, answered. */
static void on_back(evutil_socket_t fd, short what, void *arg)
{
	task *t = NULL;
	(void)what;
	(void)arg;
	while (read(fd, &t, sizeof(t)) == (ssize_t)sizeof(t)) {
		if (!t->ran) { /* the store is away: 503, saying why */
			t->open_err.code = CF_E_REMOTE;
			cf_err_reason(&t->open_err, CF_REASON_STORE_DOWN);
			t->q.held = NULL;
			cf_reply_err(&t->q, &t->open_err);
		} else
			cf_reply_held(&t->q);
		free_task(t);
	}
}

cf_code cf_worker_start(struct event_base *base, cf_daemon *d, const char *target, int threads, cf_worker **out,
			cf_err *e)
{
	cf_worker *w = calloc(1, sizeof(*w));
	int fds[2] = {-1, -1};
	if (w == NULL || (w->target = strdup(target)) == NULL) {
		free(w);
		return cf_err_set(e, CF_E_INTERNAL, "worker", "out of memory");
	}
	w->d = d;
	w->pipe_r = w->pipe_w = -1;
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	if (pipe2(fds, O_CLOEXEC) != 0 || fcntl(fds[0], F_SETFL, O_NONBLOCK) != 0) {
		cf_err_set(e, CF_E_INTERNAL, "worker", "pipe: %s", strerror(errno));
		goto err;
	}
	w->pipe_r = fds[0];
	w->pipe_w = fds[1];
	if ((w->back = event_new(base, w->pipe_r, EV_READ | EV_PERSIST, on_back, w)) == NULL ||
	    event_add(w->back, NULL) != 0) {
		cf_err_set(e, CF_E_INTERNAL, "worker", "the results' event could not be added");
		goto err;
	}
	if (threads < 1 || threads > CF_WORKER_THREADS_MAX)
		threads = CF_WORKER_THREADS_MAX;
	for (; w->n_threads < threads; w->n_threads++)
		if (pthread_create(&w->threads[w->n_threads], NULL, run, w) != 0) {
			cf_err_set(e, CF_E_INTERNAL, "worker", "a worker thread could not start");
			goto err;
		}
	*out = w;
	return CF_OK;
err:
	cf_worker_stop(w);
	return e->code;
}

void cf_worker_stop(cf_worker *w)
{
	if (w == NULL)
		return;
	pthread_mutex_lock(&w->mu);
	w->stopping = true;
	task *left = w->head; /* not started: answered now */
	w->head = w->tail = NULL;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	for (int i = 0; i < w->n_threads; i++)
		pthread_join(w->threads[i], NULL);
	while (left != NULL) {
		task *next = left->next;
		left->q.held = NULL;
		reply_busy(&left->q, "certfleetd is stopping");
		free_task(left);
		left = next;
	}
	if (w->pipe_r >= 0)
		on_back(w->pipe_r, EV_READ, w); /* the finished ones, answered */
	if (w->back != NULL)
		event_free(w->back);
	if (w->pipe_r >= 0)
		close(w->pipe_r);
	if (w->pipe_w >= 0)
		close(w->pipe_w);
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mu);
	free(w->target);
	free(w);
}

bool cf_worker_route(cf_worker *w, cf_req *q, cf_route_fn fn)
{
	task *t = calloc(1, sizeof(*t));
	if (t == NULL || w == NULL || (t->path = strdup(q->path)) == NULL ||
	    (q->arg != NULL && (t->arg = strdup(q->arg)) == NULL) || (t->held.body = evbuffer_new()) == NULL) {
		if (t != NULL) { /* the copies made before something was found missing */
			TAILQ_INIT(&t->q.query);
			free_task(t);
		}
		reply_busy(q, "certfleetd cannot take this request just now");
		return false;
	}
	/* the request as the handler sees it, owning what the loop's copy would free on return */
	t->q = *q;
	t->q.path = t->path;
	t->q.arg = t->arg;
	t->q.session = NULL;
	t->q.held = &t->held;
	TAILQ_INIT(&t->q.query);
	TAILQ_CONCAT(&t->q.query, &q->query, next);
	t->fn = fn;
	pthread_mutex_lock(&w->mu);
	bool full = w->queued >= CF_WORKER_QUEUE || w->stopping;
	if (!full) {
		if (w->tail != NULL)
			w->tail->next = t;
		else
			w->head = t;
		w->tail = t;
		w->queued++;
		pthread_cond_signal(&w->cv);
	}
	pthread_mutex_unlock(&w->mu);
	if (full) {
		TAILQ_CONCAT(&q->query, &t->q.query, next); /* back to the loop's copy, which frees it */
		free_task(t);
		reply_busy(q, "certfleetd has too many requests waiting");
		return false;
	}
	return true;
}
