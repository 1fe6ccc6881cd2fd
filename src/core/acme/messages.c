/* ACME's documents (see messages.h). */
#include "core/acme/messages.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/clock.h"
#include "util/text.h"

#define ACME_ERROR_NS "urn:ietf:params:acme:error:"
#define DOC_MAX (1024 * 1024) /* an ACME document is a few KiB; more is not one */
#define LIST_MAX 1000	      /* identifiers, authorizations, challenges, subproblems, profiles */

/* One document being read: where it came from, the first error. */
typedef struct reader {
	const char *url;
	cf_err *e;
	bool failed;
} reader;

static void bad(reader *r, const char *member, const char *why)
{
	if (!r->failed)
		cf_err_set(r->e, CF_E_REMOTE, r->url, "the ACME server's answer is not usable: %s %s", member, why);
	r->failed = true;
}

static json_t *load(reader *r, const uint8_t *body, size_t len)
{
	json_error_t je;
	json_t *doc = len <= DOC_MAX ? json_loadb((const char *)body, len, JSON_REJECT_DUPLICATES, &je) : NULL;
	if (doc == NULL || !json_is_object(doc)) {
		json_decref(doc);
		bad(r, "the document", len > DOC_MAX ? "is larger than 1 MiB" : "is not a JSON object");
		return NULL;
	}
	return doc;
}

/* A string member: one line of text; NULL when absent (bad when required) or wrong. */
static const char *text(reader *r, json_t *o, const char *name, bool required)
{
	json_t *v = json_object_get(o, name);
	if (v == NULL) {
		if (required)
			bad(r, name, "is missing");
		return NULL;
	}
	const char *s = json_string_value(v);
	if (s == NULL || !cf_text_clean(s, json_string_length(v))) {
		bad(r, name, "is not one line of text");
		return NULL;
	}
	return s;
}

static bool http_url(const char *s)
{
	return strncmp(s, "https://", 8) == 0 || strncmp(s, "http://", 7) == 0;
}

/* The same for a URL: http or https (a copy). */
static char *url(reader *r, json_t *o, const char *name, bool required)
{
	const char *s = text(r, o, name, required);
	if (s == NULL)
		return NULL;
	if (!http_url(s)) {
		bad(r, name, "is not an http or https URL");
		return NULL;
	}
	return strdup(s);
}

static cf_acme_status status_of(const char *s)
{
	static const char *const names[] = {"",	       "pending", "ready",	 "processing", "valid",
					    "invalid", "expired", "deactivated", "revoked"};
	for (size_t i = 1; s != NULL && i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(s, names[i]) == 0)
			return (cf_acme_status)i;
	return CF_ACME_UNKNOWN;
}

const char *cf_acme_status_name(cf_acme_status s)
{
	static const char *const names[] = {"unknown", "pending", "ready",	 "processing", "valid",
					    "invalid", "expired", "deactivated", "revoked"};
	return (size_t)s < sizeof(names) / sizeof(names[0]) ? names[s] : "unknown";
}

static cf_acme_status status(reader *r, json_t *o)
{
	cf_acme_status s = status_of(text(r, o, "status", true));
	if (s == CF_ACME_UNKNOWN)
		bad(r, "status", "is not an ACME status");
	return s;
}

/* An array member of at most LIST_MAX elements; NULL when absent (bad when required). */
static json_t *array(reader *r, json_t *o, const char *name, bool required)
{
	json_t *v = json_object_get(o, name);
	if (v == NULL) {
		if (required)
			bad(r, name, "is missing");
		return NULL;
	}
	if (!json_is_array(v) || json_array_size(v) > LIST_MAX) {
		bad(r, name, "is not a list (of at most 1000)");
		return NULL;
	}
	return v;
}

/* An identifier object ({"type":"dns","value":...}): its name, or NULL (bad). */
static const char *dns_identifier(reader *r, json_t *id)
{
	if (!json_is_object(id)) {
		bad(r, "identifier", "is not an object");
		return NULL;
	}
	const char *type = text(r, id, "type", true), *value = text(r, id, "value", true);
	if (type != NULL && strcmp(type, "dns") != 0)
		bad(r, "identifier", "is not of type dns");
	return r->failed ? NULL : value;
}

/* ---- problems -------------------------------------------------------------------------------- */

static void problem_read(reader *r, json_t *o, cf_acme_problem *p)
{
	const char *type = text(r, o, "type", false), *detail = text(r, o, "detail", false);
	json_t *st = json_object_get(o, "status");
	p->type = strdup(type != NULL ? type : "");
	p->detail = strdup(detail != NULL ? detail : "");
	if (p->type == NULL || p->detail == NULL)
		bad(r, "the problem", "could not be kept (out of memory)");
	if (json_is_integer(st) && json_integer_value(st) >= 100 && json_integer_value(st) <= 599)
		p->status = (int)json_integer_value(st);
	json_t *sub = array(r, o, "subproblems", false), *s;
	size_t i;
	json_array_foreach(sub, i, s)
	{
		if (!json_is_object(s)) {
			bad(r, "subproblems", "holds a non-object");
			break;
		}
		const char *d = text(r, s, "detail", false);
		json_t *id = json_object_get(s, "identifier");
		const char *who = id != NULL ? text(r, id, "value", false) : NULL;
		if (!r->failed && cf_strv_pushf(&p->sub, "%s: %s", who != NULL ? who : "-", d != NULL ? d : "") != 0)
			bad(r, "subproblems", "could not be kept (out of memory)");
	}
}

bool cf_acme_problem_parse(const uint8_t *body, size_t len, cf_acme_problem *out)
{
	cf_err e = {0};
	reader r = {.url = "problem", .e = &e};
	json_t *doc = load(&r, body, len);
	memset(out, 0, sizeof(*out));
	if (doc == NULL || json_object_get(doc, "type") == NULL) {
		json_decref(doc);
		return false;
	}
	problem_read(&r, doc, out);
	json_decref(doc);
	if (r.failed) {
		cf_acme_problem_free(out);
		return false;
	}
	return true;
}

bool cf_acme_problem_is(const cf_acme_problem *p, const char *name)
{
	size_t ns = sizeof(ACME_ERROR_NS) - 1;
	return p->type != NULL && strncmp(p->type, ACME_ERROR_NS, ns) == 0 && strcmp(p->type + ns, name) == 0;
}

void cf_acme_problem_line(const cf_acme_problem *p, char *out, size_t len)
{
	const char *type = p->type != NULL ? p->type : "";
	const char *name =
		strncmp(type, ACME_ERROR_NS, sizeof(ACME_ERROR_NS) - 1) == 0 ? type + sizeof(ACME_ERROR_NS) - 1 : type;
	if (p->detail != NULL && p->detail[0] != '\0')
		snprintf(out, len, "%s (%s)", p->detail, name[0] != '\0' ? name : "no type");
	else
		snprintf(out, len, "%s", name[0] != '\0' ? name : "an unnamed problem");
}

void cf_acme_problem_free(cf_acme_problem *p)
{
	free(p->type);
	free(p->detail);
	cf_strv_clear(&p->sub);
	memset(p, 0, sizeof(*p));
}

/* ---- the directory ----------------------------------------------------------------------------- */

cf_code cf_acme_directory_parse(const char *from, const uint8_t *body, size_t len, cf_acme_directory *out, cf_err *e)
{
	reader r = {.url = from, .e = e};
	json_t *doc = load(&r, body, len);
	memset(out, 0, sizeof(*out));
	if (doc == NULL)
		return e->code;
	out->new_nonce = url(&r, doc, "newNonce", true);
	out->new_account = url(&r, doc, "newAccount", true);
	out->new_order = url(&r, doc, "newOrder", true);
	out->revoke_cert = url(&r, doc, "revokeCert", true);
	out->key_change = url(&r, doc, "keyChange", true);
	out->renewal_info = url(&r, doc, "renewalInfo", false);
	json_t *meta = json_object_get(doc, "meta");
	if (meta != NULL && !json_is_object(meta))
		bad(&r, "meta", "is not an object");
	if (json_is_object(meta)) {
		/* shown to the operator, never fetched: any URI (pebble's is a data: URL) */
		const char *tos = text(&r, meta, "termsOfService", false);
		if (tos != NULL && (out->terms_of_service = strdup(tos)) == NULL)
			bad(&r, "meta.termsOfService", "could not be kept (out of memory)");
		json_t *eab = json_object_get(meta, "externalAccountRequired");
		if (eab != NULL && !json_is_boolean(eab))
			bad(&r, "meta.externalAccountRequired", "is not true or false");
		out->eab_required = json_is_true(eab);
		json_t *profiles = json_object_get(meta, "profiles"), *v;
		const char *name;
		if (profiles != NULL && (!json_is_object(profiles) || json_object_size(profiles) > LIST_MAX))
			bad(&r, "meta.profiles", "is not an object of profiles");
		else
			json_object_foreach(profiles, name, v)
			{
				if (!cf_text_clean(name, strlen(name)) || name[0] == '\0')
					bad(&r, "meta.profiles", "names a profile that is not one line of text");
				else if (cf_strv_push(&out->profiles, name) != 0)
					bad(&r, "meta.profiles", "could not be kept (out of memory)");
			}
		cf_strv_sort_unique(&out->profiles);
	}
	json_decref(doc);
	if (!r.failed && (out->new_nonce == NULL || out->new_account == NULL || out->new_order == NULL ||
			  out->revoke_cert == NULL || out->key_change == NULL))
		bad(&r, "the directory", "could not be kept (out of memory)");
	if (r.failed) {
		cf_acme_directory_free(out);
		return e->code;
	}
	return CF_OK;
}

void cf_acme_directory_free(cf_acme_directory *d)
{
	free(d->new_nonce);
	free(d->new_account);
	free(d->new_order);
	free(d->revoke_cert);
	free(d->key_change);
	free(d->renewal_info);
	free(d->terms_of_service);
	cf_strv_clear(&d->profiles);
	memset(d, 0, sizeof(*d));
}

/* ---- orders ------------------------------------------------------------------------------------ */

cf_code cf_acme_order_parse(const char *from, const uint8_t *body, size_t len, cf_acme_order *out, cf_err *e)
{
	reader r = {.url = from, .e = e};
	json_t *doc = load(&r, body, len);
	memset(out, 0, sizeof(*out));
	if (doc == NULL)
		return e->code;
	out->status = status(&r, doc);
	out->finalize = url(&r, doc, "finalize", true);
	out->certificate = url(&r, doc, "certificate", out->status == CF_ACME_VALID);
	json_t *ids = array(&r, doc, "identifiers", true), *authz = array(&r, doc, "authorizations", true), *v;
	size_t i;
	json_array_foreach(ids, i, v)
	{
		const char *name = dns_identifier(&r, v);
		if (name != NULL && cf_strv_push(&out->identifiers, name) != 0)
			bad(&r, "identifiers", "could not be kept (out of memory)");
	}
	json_array_foreach(authz, i, v)
	{
		const char *s = json_string_value(v);
		if (s == NULL || !cf_text_clean(s, json_string_length(v)) || !http_url(s))
			bad(&r, "authorizations", "holds something that is not an http or https URL");
		else if (cf_strv_push(&out->authorizations, s) != 0)
			bad(&r, "authorizations", "could not be kept (out of memory)");
	}
	json_t *err = json_object_get(doc, "error");
	if (err != NULL) {
		if (json_is_object(err))
			problem_read(&r, err, &out->error);
		else
			bad(&r, "error", "is not a problem document");
	}
	json_decref(doc);
	if (r.failed) {
		cf_acme_order_free(out);
		return e->code;
	}
	return CF_OK;
}

void cf_acme_order_free(cf_acme_order *o)
{
	free(o->finalize);
	free(o->certificate);
	cf_strv_clear(&o->identifiers);
	cf_strv_clear(&o->authorizations);
	cf_acme_problem_free(&o->error);
	memset(o, 0, sizeof(*o));
}

/* ---- authorizations ------------------------------------------------------------------------------ */

/* Whether s is a token: base64url characters only, 1 to 256 of them (RFC 8555 §8.3: at least 128
 * bits of entropy, so 22 or more; a shorter one is the server's fault, but never a path). */
static bool token_ok(const char *s)
{
	size_t n = strlen(s);
	return n >= 1 && n <= 256 && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") == n;
}

cf_code cf_acme_authz_parse(const char *from, const uint8_t *body, size_t len, cf_acme_authz *out, cf_err *e)
{
	reader r = {.url = from, .e = e};
	json_t *doc = load(&r, body, len);
	memset(out, 0, sizeof(*out));
	if (doc == NULL)
		return e->code;
	out->status = status(&r, doc);
	json_t *id = json_object_get(doc, "identifier");
	const char *name = id != NULL ? dns_identifier(&r, id) : NULL;
	if (id == NULL)
		bad(&r, "identifier", "is missing");
	if (name != NULL && (out->identifier = strdup(name)) == NULL)
		bad(&r, "identifier", "could not be kept (out of memory)");
	json_t *wc = json_object_get(doc, "wildcard");
	if (wc != NULL && !json_is_boolean(wc))
		bad(&r, "wildcard", "is not true or false");
	out->wildcard = json_is_true(wc);
	json_t *chs = array(&r, doc, "challenges", true), *c;
	size_t n = json_array_size(chs), i;
	if (!r.failed && n > 0 && (out->challenges = calloc(n, sizeof(*out->challenges))) == NULL)
		bad(&r, "challenges", "could not be kept (out of memory)");
	json_array_foreach(chs, i, c)
	{
		if (r.failed)
			break;
		if (!json_is_object(c)) {
			bad(&r, "challenges", "holds a non-object");
			break;
		}
		cf_acme_challenge *ch = &out->challenges[out->n_challenges++];
		const char *type = text(&r, c, "type", true), *token = text(&r, c, "token", false);
		ch->url = url(&r, c, "url", true);
		ch->status = status(&r, c);
		if (type != NULL)
			ch->type = strdup(type);
		if (token != NULL) {
			if (!token_ok(token))
				bad(&r, "token", "is not base64url");
			else
				ch->token = strdup(token);
		}
		json_t *err = json_object_get(c, "error");
		if (json_is_object(err))
			problem_read(&r, err, &ch->error);
		else if (err != NULL)
			bad(&r, "error", "is not a problem document");
		if (!r.failed && (ch->type == NULL || ch->url == NULL || (token != NULL && ch->token == NULL)))
			bad(&r, "challenges", "could not be kept (out of memory)");
	}
	if (!r.failed && cf_acme_authz_http01(out) != NULL && cf_acme_authz_http01(out)->token == NULL)
		bad(&r, "token", "is missing from the http-01 challenge");
	json_decref(doc);
	if (r.failed) {
		cf_acme_authz_free(out);
		return e->code;
	}
	return CF_OK;
}

const cf_acme_challenge *cf_acme_authz_http01(const cf_acme_authz *a)
{
	for (size_t i = 0; i < a->n_challenges; i++)
		if (a->challenges[i].type != NULL && strcmp(a->challenges[i].type, "http-01") == 0)
			return &a->challenges[i];
	return NULL;
}

void cf_acme_authz_free(cf_acme_authz *a)
{
	for (size_t i = 0; i < a->n_challenges; i++) {
		free(a->challenges[i].type);
		free(a->challenges[i].url);
		free(a->challenges[i].token);
		cf_acme_problem_free(&a->challenges[i].error);
	}
	free(a->challenges);
	free(a->identifier);
	memset(a, 0, sizeof(*a));
}

/* ---- requests ------------------------------------------------------------------------------------ */

char *cf_acme_protected(const char *alg, const char *nonce, const char *url, const char *kid, const char *jwk)
{
	json_error_t je;
	json_t *h = json_pack("{s:s, s:s}", "alg", alg, "url", url);
	bool ok = h != NULL;
	if (ok && nonce != NULL)
		ok = json_object_set_new(h, "nonce", json_string(nonce)) == 0;
	if (ok && kid != NULL)
		ok = json_object_set_new(h, "kid", json_string(kid)) == 0;
	else if (ok && jwk != NULL)
		ok = json_object_set_new(h, "jwk", json_loads(jwk, 0, &je)) == 0;
	char *out = ok ? json_dumps(h, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(h);
	return out;
}

/* An RFC 3339 time, fractional seconds allowed (dropped); false when s is not one. */
static bool rfc3339(const char *s, int64_t *out)
{
	char buf[40];
	const char *dot = strchr(s, '.');
	if (dot != NULL) { /* "2026-01-02T03:04:05.123Z": the fraction dropped */
		size_t digits = strspn(dot + 1, "0123456789");
		if (digits == 0 || (size_t)(dot - s) + strlen(dot + 1 + digits) >= sizeof(buf))
			return false;
		snprintf(buf, sizeof(buf), "%.*s%s", (int)(dot - s), s, dot + 1 + digits);
		s = buf;
	}
	return cf_time_parse_rfc3339(s, out);
}

cf_code cf_acme_renewal_info_parse(const char *from, const uint8_t *body, size_t len, int64_t *start, int64_t *end,
				   cf_err *e)
{
	reader r = {.url = from, .e = e};
	json_t *doc = load(&r, body, len);
	if (doc == NULL)
		return e->code;
	json_t *w = json_object_get(doc, "suggestedWindow");
	if (!json_is_object(w))
		bad(&r, "suggestedWindow", "is missing or not an object");
	const char *a = w != NULL ? text(&r, w, "start", true) : NULL, *b = w != NULL ? text(&r, w, "end", true) : NULL;
	if (a != NULL && !rfc3339(a, start))
		bad(&r, "suggestedWindow.start", "is not an RFC 3339 time");
	if (b != NULL && !rfc3339(b, end))
		bad(&r, "suggestedWindow.end", "is not an RFC 3339 time");
	if (!r.failed && *end <= *start)
		bad(&r, "suggestedWindow", "ends before it starts");
	json_decref(doc);
	return r.failed ? e->code : CF_OK;
}
