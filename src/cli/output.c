/* Printing results and errors, and opening the store. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/ca/ca.h"
#include "core/view/certjson.h"
#include "util/clock.h"
#include "util/fileio.h"
#include "util/secret.h"
#include "util/text.h"

void cli_audit_refused(cli *c, const char *line)
{
	cf_err e = {0};
	const char *action = c->audit_action;
	if (action == NULL || c->st == NULL)
		return;
	c->audit_action = NULL;
	cf_store_rollback(c->st);
	cf_store_audit_disarm(c->st);
	/* a store that is away (the failure being refused, most likely) is said once */
	if (cf_audit_record(c->st, &c->actor, action, c->audit_object, line, &e) != CF_OK &&
	    !(e.reason != NULL && strcmp(e.reason, CF_REASON_STORE_DOWN) == 0 && strstr(line, e.subject) == line))
		fprintf(stderr, "certfleet: audit log: %s\n", e.message);
}

int cli_fail(cli *c, const cf_err *e)
{
	cf_code code = e->code == CF_OK ? CF_E_INTERNAL : e->code;
	char line[2048];
	if (e->subject[0] != '\0')
		snprintf(line, sizeof(line), "%s: %s", e->subject, e->message);
	else
		snprintf(line, sizeof(line), "%s", e->message);
	fprintf(stderr, "certfleet: %s\n", line);
	if (cf_audit_refusal_recorded(e))
		cli_audit_refused(c, line);
	else
		c->audit_action = NULL;
	if (c->json)
		cli_json(json_pack("{s:{s:i, s:s}}", "error", "code", (int)code, "message", line));
	return (int)code;
}

void cli_audit_object(cli *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->audit_object, sizeof(c->audit_object), fmt, ap);
	va_end(ap);
	cli_audit_arm(c);
}

void cli_audit_arm(cli *c)
{
	if (c->audit_action != NULL && c->st != NULL)
		cf_store_audit_pending(c->st, c->actor.account, c->actor.client, c->audit_action, c->audit_object);
}

int cli_audit_ok(cli *c)
{
	cf_err e = {0};
	const char *action = c->audit_action;
	if (action == NULL || c->st == NULL)
		return 0;
	c->audit_action = NULL;
	cf_store_audit_disarm(c->st);
	if (cf_store_audit_written(c->st))
		return 0; /* the change's own transaction carried its row */
	if (cf_audit_record(c->st, &c->actor, action, c->audit_object, "ok", &e) != CF_OK) {
		fprintf(stderr, "certfleet: audit log: %s\n", e.message);
		return CF_E_INTERNAL;
	}
	return 0;
}

const char *cli_text(const char *s)
{
	static char *ring[16];
	static size_t next;
	size_t len = strlen(s);
	if (cf_text_clean(s, len))
		return s;
	char *copy = cf_text_escaped(s, len);
	if (copy == NULL)
		return "(out of memory)";
	free(ring[next]);
	ring[next] = copy;
	next = (next + 1) % (sizeof(ring) / sizeof(ring[0]));
	return copy;
}

void cli_json(json_t *v)
{
	if (v == NULL) {
		fputs("{\"error\":{\"code\":10,\"message\":\"out of memory\"}}\n", stdout);
		return;
	}
	json_dumpf(v, stdout, JSON_COMPACT | JSON_ENSURE_ASCII);
	fputc('\n', stdout);
	json_decref(v);
}

int cli_store(cli *c, bool create)
{
	cf_err e = {0};
	if (c->st != NULL)
		return 0;
	if (cf_store_open(c->store_path, create, &c->st, &e) != CF_OK)
		return cli_fail(c, &e);
	cli_audit_arm(c);
	return 0;
}

int cli_read(cli *c, const char *path, size_t max, uint8_t **buf, size_t *len)
{
	cf_err e = {0};
	if (cf_file_read(path, max, buf, len, &e) != CF_OK)
		return cli_fail(c, &e);
	return 0;
}

int cli_read_certs(cli *c, const char *path, size_t max, cf_cert ***certs, size_t *n)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	cf_err e = {0};
	int rc = cli_read(c, path, max, &buf, &len);
	if (rc == 0 && cf_cert_parse_bundle(path, buf, len, certs, n, &e) != CF_OK)
		rc = cli_fail(c, &e);
	free(buf);
	return rc;
}

void cli_print_outcome(const cf_outcome *o)
{
	for (size_t i = 0; i < o->notes.n; i++)
		fprintf(stderr, "certfleet: note: %s\n", o->notes.v[i]);
	for (size_t i = 0; i < o->warnings.rules.n; i++)
		fprintf(stderr, "certfleet: warning: [%s] %s\n", o->warnings.rules.v[i], o->warnings.messages.v[i]);
	const cf_plan *p = &o->plan;
	if (p->n == 0) {
		printf("Restart plan: no service restarts needed.\n");
		return;
	}
	printf("Restart plan (publisher first, then subscribers):\n");
	for (size_t i = 0; i < p->n; i++) {
		const cf_plan_step *s = &p->steps[i];
		switch (s->action) {
		case CF_PLAN_DISABLE_HA:
			printf("  %zu. on %s: disable presence high availability (Presence Redundancy Group) before "
			       "restarting\n",
			       i + 1, s->node);
			break;
		case CF_PLAN_ENABLE_HA:
			printf("  %zu. on %s: re-enable presence high availability once every node has restarted\n",
			       i + 1, s->node);
			break;
		case CF_PLAN_RESTART:
			printf("  %zu. restart %s on %s%s\n", i + 1, s->service, s->node,
			       s->publisher ? " (publisher)" : "");
			break;
		}
	}
}

bool cli_read_line(FILE *in, char *buf, size_t size)
{
	/* the line is a password: read(2) a byte at a time, so no stdio buffer keeps a copy */
	int fd = fileno(in);
	size_t n = 0;
	for (;;) {
		char ch;
		ssize_t r = read(fd, &ch, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 || (r == 0 && n == 0))
			goto fail;
		if (r == 0 || ch == '\n')
			break;
		if (n + 2 >= size)
			goto fail; /* longer than the buffer */
		buf[n++] = ch;
	}
	buf[n] = '\0';
	return true;
fail:
	cf_secret_wipe(buf, size);
	return false;
}

int cli_print_object(cli *c, json_t *o)
{
	const char *key;
	json_t *v;
	if (c->json) {
		cli_json(o);
		return 0;
	}
	json_object_foreach(o, key, v)
	{
		char *text = json_is_string(v) ? strdup(json_string_value(v)) : json_dumps(v, JSON_ENCODE_ANY);
		printf("%-18s %s\n", key, text != NULL ? cli_text(text) : "");
		free(text);
	}
	json_decref(o);
	return 0;
}

/* A list being printed: JSON items streamed one by one, or a line per certificate. */
struct cert_list {
	bool json;
	size_t count;
	cf_buf buf;
	cf_certjson_rev rev; /* with --json, each row's revocation status, as the API gives it */
	void (*line)(const cf_certrow *r);
};

static int cert_list_row(void *ctx, const cf_certrow *r)
{
	struct cert_list *l = ctx;
	if (l->json) {
		cf_buf_reset(&l->buf);
		if (l->count > 0)
			cf_buf_add(&l->buf, ",", 1);
		cf_certjson_write_rev(&l->buf, r, &l->rev);
		fwrite(l->buf.p, 1, l->buf.len, stdout);
	} else {
		l->line(r);
	}
	l->count++;
	return 0;
}

int cli_cert_list(cli *c, cf_certfilter *f, const char *expiring, const char *header, void (*line)(const cf_certrow *r))
{
	cf_err e = {0};
	int rc = expiring != NULL ? cli_expiring(c, expiring, &f->expiring_before) : 0;
	if (rc == 0)
		rc = cli_store(c, false);
	if (rc != 0)
		return rc;
	if (f->node != NULL) {
		cf_node n = {0};
		if (cf_store_node_get(c->st, f->node, &n, &e) != CF_OK)
			return cli_fail(c, &e);
		cf_node_free(&n);
	}
	struct cert_list l = {.json = c->json, .line = line};
	f->shown_only = c->json; /* the text lines may show more */
	cf_crlset *crls = NULL;
	if (c->json) {
		if (cf_crlset_load(c->st, NULL, &crls, &e) != CF_OK)
			return cli_fail(c, &e);
		l.rev = (cf_certjson_rev){
			.crls = crls, .st = c->st, .ocsp = cf_store_revcheck_any(c->st), .now = cf_clock_now()};
		fputs("{\"items\":[", stdout);
	} else
		printf("%s\n", header);
	cf_code r = cf_store_cert_each(c->st, f, cert_list_row, &l, &e);
	if (r == CF_OK) /* then the local CAs' own certificates */
		r = cf_ca_cert_each(c->st, f, cert_list_row, &l, NULL, &e);
	cf_buf_free(&l.buf);
	cf_crlset_free(crls);
	if (c->json)
		fputs("]}\n", stdout);
	if (r == CF_OK)
		return 0;
	bool json = c->json;
	c->json = false; /* one JSON object on stdout: the list is already open */
	rc = cli_fail(c, &e);
	c->json = json;
	return rc;
}
