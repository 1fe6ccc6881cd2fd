/* An ACME client session (see client.h). */
#include "core/acme/client.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "crypto/jws.h"
#include "util/b64url.h"
#include "util/clock.h"

#define DIRECTORY_MAX (64 * 1024) /* bytes of a directory */
#define OBJECT_MAX (1024 * 1024)  /* bytes of an order, authorization, problem */
#define CHAIN_MAX (1024 * 1024)	  /* bytes of a certificate chain */
/* tries of a request the CA refuses for its nonce: a CA refusing half the nonces fails one request
 * in 65,536 */
#define BAD_NONCE_TRIES 16
#define RETRY_AFTER_MAX (24 * 3600) /* seconds: longer is read as a day */
#define JOSE "application/jose+json"

struct cf_acme_client {
	const cf_transport *t;
	char *directory_url;
	const char *ca_file;
	cf_acme_directory dir;
	char *nonce; /* the freshest nonce the CA gave, unused */
	const cf_key *key;
	const char *alg;
	char *jwk; /* the key's public JWK */
	char *kid;
	char refused[64]; /* the ACME error name of the CA's last refusal ("" when none) */
};

/* url without credentials, for messages. */
static void public_url(const char *url, char *buf, size_t cap)
{
	const char *scheme = strstr(url, "://"), *at = scheme ? strchr(scheme + 3, '@') : NULL,
		   *slash = scheme ? strchr(scheme + 3, '/') : NULL;
	if (at != NULL && (slash == NULL || at < slash))
		snprintf(buf, cap, "%.*s%s", (int)(scheme + 3 - url), url, at + 1);
	else
		snprintf(buf, cap, "%s", url);
}

int cf_acme_retry_after(const char *value, int64_t now)
{
	if (value == NULL)
		return 0;
	value += strspn(value, " \t");
	int64_t secs = -1;
	if (*value >= '0' && *value <= '9') {
		char *end = NULL;
		long long v = strtoll(value, &end, 10);
		if (end[strspn(end, " \t")] == '\0')
			secs = v;
	} else {
		struct tm tm = {0};
		const char *end = strptime(value, "%a, %d %b %Y %H:%M:%S GMT", &tm);
		if (end != NULL && *end == '\0')
			secs = (int64_t)timegm(&tm) - now;
	}
	if (secs <= 0)
		return 0;
	return secs > RETRY_AFTER_MAX ? RETRY_AFTER_MAX : (int)secs;
}

/* Sends one exchange; the answer's nonce, when it has one, becomes the client's. */
static cf_code exchange(cf_acme_client *c, const char *method, const char *url, const char *body, size_t max,
			cf_http_answer *out, cf_err *e)
{
	cf_http_ask q = {.method = method,
			 .url = url,
			 .content_type = body != NULL ? JOSE : NULL,
			 .body = (const uint8_t *)body,
			 .body_len = body != NULL ? strlen(body) : 0,
			 .ca_file = c->ca_file,
			 .max = max};
	cf_code rc = c->t->http(&q, out, e);
	if (rc != CF_OK)
		return rc;
	if (out->replay_nonce != NULL && out->replay_nonce[0] != '\0') {
		free(c->nonce);
		c->nonce = strdup(out->replay_nonce);
	}
	return CF_OK;
}

/* The CA's refusal in ans (a problem document, or just its status) as CF_E_REMOTE; *p gets the
 * problem when it sent one. */
static cf_code refused(cf_acme_client *c, const char *url, const cf_http_answer *ans, cf_acme_problem *p, cf_err *e)
{
	char where[512], line[768];
	public_url(url, where, sizeof(where));
	c->refused[0] = '\0';
	if (cf_acme_problem_parse(ans->body, ans->len, p)) {
		const char *name = strrchr(p->type, ':');
		snprintf(c->refused, sizeof(c->refused), "%s", name != NULL ? name + 1 : p->type);
		cf_acme_problem_line(p, line, sizeof(line));
		cf_err_set(e, CF_E_REMOTE, where, "the ACME server refused: %s (HTTP %ld)", line, ans->status);
	} else
		cf_err_set(e, CF_E_REMOTE, where, "the ACME server answered HTTP %ld", ans->status);
	cf_err_reason(e,
		      p->type != NULL && cf_acme_problem_is(p, "rateLimited") ? CF_ACME_RATE_LIMITED : CF_ACME_REFUSED);
	int after = cf_acme_retry_after(ans->retry_after, cf_clock_now());
	if (after > 0)
		cf_err_retry_after(e, after);
	return CF_E_REMOTE;
}

/* A fresh nonce from newNonce when the client has none. */
static cf_code get_nonce(cf_acme_client *c, cf_err *e)
{
	if (c->nonce != NULL)
		return CF_OK;
	cf_http_answer a = {0};
	cf_code rc = exchange(c, "HEAD", c->dir.new_nonce, NULL, 0, &a, e);
	if (rc == CF_OK && c->nonce == NULL) {
		char where[512];
		public_url(c->dir.new_nonce, where, sizeof(where));
		rc = cf_err_set(e, CF_E_REMOTE, where, "the ACME server gave no Replay-Nonce (HTTP %ld)", a.status);
	}
	cf_http_answer_clear(&a);
	return rc;
}

/* The flattened JWS of payload (NULL: POST-as-GET's empty payload) for url, signed with the
 * account key: with its jwk when use_jwk (newAccount), else its kid. */
static cf_code sign(cf_acme_client *c, const char *url, const char *payload, bool use_jwk, char **out, cf_err *e)
{
	char *protected = cf_acme_protected(c->alg, c->nonce, url, use_jwk ? NULL : c->kid, use_jwk ? c->jwk : NULL);
	free(c->nonce); /* used: whatever happens, never sent again */
	c->nonce = NULL;
	if (protected == NULL)
		return cf_err_set(e, CF_E_INTERNAL, NULL, "out of memory");
	cf_code rc = cf_jws_sign(c->key, protected, (const uint8_t *)payload, payload ? strlen(payload) : 0, out, e);
	free(protected);
	return rc;
}

/* POSTs payload to url signed by the account; a 2xx answer in *out (its body at most max bytes),
 * anything else an error (badNonce sent again first), its problem document in *problem when
 * problem is non-NULL. */
static cf_code post_problem(cf_acme_client *c, const char *url, const char *payload, bool use_jwk, size_t max,
			    cf_http_answer *out, cf_acme_problem *problem, cf_err *e)
{
	if (c->key == NULL || (!use_jwk && c->kid == NULL))
		return cf_err_set(e, CF_E_INTERNAL, NULL, "no ACME account to sign with");
	for (int attempt = 1;; attempt++) {
		char *jws = NULL;
		cf_http_answer a = {0};
		cf_code rc = get_nonce(c, e);
		if (rc == CF_OK)
			rc = sign(c, url, payload, use_jwk, &jws, e);
		if (rc == CF_OK)
			rc = exchange(c, "POST", url, jws, max, &a, e);
		free(jws);
		if (rc != CF_OK)
			return rc;
		if (a.status >= 200 && a.status < 300) {
			*out = a;
			return CF_OK;
		}
		cf_acme_problem p = {0};
		rc = refused(c, url, &a, &p, e);
		bool again = p.type != NULL && cf_acme_problem_is(&p, "badNonce") && attempt < BAD_NONCE_TRIES;
		cf_http_answer_clear(&a);
		if (!again && problem != NULL)
			*problem = p;
		else
			cf_acme_problem_free(&p);
		if (!again)
			return rc;
		cf_err_clear(e);
	}
}

static cf_code post(cf_acme_client *c, const char *url, const char *payload, bool use_jwk, size_t max,
		    cf_http_answer *out, cf_err *e)
{
	return post_problem(c, url, payload, use_jwk, max, out, NULL, e);
}

cf_code cf_acme_client_open(const cf_transport *t, const char *directory_url, const char *ca_file, cf_acme_client **out,
			    cf_err *e)
{
	cf_acme_client *c = calloc(1, sizeof(*c));
	if (c == NULL || (c->directory_url = strdup(directory_url)) == NULL) {
		free(c);
		return cf_err_set(e, CF_E_INTERNAL, NULL, "out of memory");
	}
	c->t = t;
	c->ca_file = ca_file;
	cf_http_answer a = {0};
	char where[512];
	public_url(directory_url, where, sizeof(where));
	cf_code rc = exchange(c, "GET", directory_url, NULL, DIRECTORY_MAX, &a, e);
	if (rc == CF_OK && a.status != 200)
		rc = cf_err_set(e, CF_E_REMOTE, where, "no ACME directory here: HTTP %ld", a.status);
	if (rc == CF_OK)
		rc = cf_acme_directory_parse(where, a.body, a.len, &c->dir, e);
	cf_http_answer_clear(&a);
	if (rc != CF_OK) {
		cf_acme_client_free(c);
		return rc;
	}
	*out = c;
	return CF_OK;
}

void cf_acme_client_free(cf_acme_client *c)
{
	if (c == NULL)
		return;
	free(c->directory_url);
	cf_acme_directory_free(&c->dir);
	free(c->nonce);
	free(c->jwk);
	free(c->kid);
	free(c);
}

const cf_acme_directory *cf_acme_client_directory(const cf_acme_client *c)
{
	return &c->dir;
}

bool cf_acme_client_refused_for(const cf_acme_client *c, const char *name)
{
	return strcmp(c->refused, name) == 0;
}

const char *cf_acme_client_kid(const cf_acme_client *c)
{
	return c->kid;
}

cf_code cf_acme_client_use(cf_acme_client *c, const cf_key *key, const char *kid, cf_err *e)
{
	const char *alg = NULL;
	cf_code rc = cf_jws_alg(key, &alg, e);
	if (rc != CF_OK)
		return rc;
	char *jwk = cf_jws_jwk(key), *k = kid != NULL ? strdup(kid) : NULL;
	if (jwk == NULL || (kid != NULL && k == NULL)) {
		free(jwk);
		free(k);
		return cf_err_set(e, CF_E_INTERNAL, NULL, "out of memory");
	}
	free(c->jwk);
	free(c->kid);
	c->key = key;
	c->alg = alg;
	c->jwk = jwk;
	c->kid = k;
	return CF_OK;
}

/* payload's compact JSON text (malloc'd; NULL when out of memory); takes payload. */
static char *dump(json_t *payload)
{
	char *s = payload != NULL ? json_dumps(payload, JSON_COMPACT) : NULL;
	json_decref(payload);
	return s;
}

/* The external account binding (§7.3.4): the account's JWK signed with the CA's MAC key. */
static cf_code eab_jws(cf_acme_client *c, const cf_acme_newaccount *a, json_t **out, cf_err *e)
{
	json_t *h = json_pack("{s:s, s:s, s:s}", "alg", "HS256", "kid", a->eab_kid, "url", c->dir.new_account);
	char *protected = dump(h), *jws = NULL;
	if (protected == NULL)
		return cf_err_set(e, CF_E_INTERNAL, NULL, "out of memory");
	cf_code rc = cf_jws_sign_hs256(a->eab_mac, a->eab_mac_len, protected, (const uint8_t *)c->jwk, strlen(c->jwk),
				       &jws, e);
	free(protected);
	if (rc != CF_OK)
		return rc;
	*out = json_loads(jws, 0, NULL);
	free(jws);
	return *out != NULL ? CF_OK : cf_err_set(e, CF_E_INTERNAL, NULL, "out of memory");
}

/* Takes the account URL of a newAccount answer as the client's kid. */
static cf_code take_kid(cf_acme_client *c, const cf_http_answer *ans, cf_err *e)
{
	if (ans->location == NULL || strncmp(ans->location, "http", 4) != 0) {
		char where[512];
		public_url(c->dir.new_account, where, sizeof(where));
		return cf_err_set(e, CF_E_REMOTE, where, "the ACME server gave no account URL (Location)");
	}
	char *kid = strdup(ans->location);
	if (kid == NULL)
		return cf_err_set(e, CF_E_INTERNAL, NULL, "out of memory");
	free(c->kid);
	c->kid = kid;
	return CF_OK;
}

cf_code cf_acme_lookup(cf_acme_client *c, bool *found, cf_err *e)
{
	cf_http_answer ans = {0};
	cf_acme_problem p = {0};
	*found = false;
	cf_code rc =
		post_problem(c, c->dir.new_account, "{\"onlyReturnExisting\":true}", true, OBJECT_MAX, &ans, &p, e);
	bool none = rc != CF_OK && p.type != NULL && cf_acme_problem_is(&p, "accountDoesNotExist");
	cf_acme_problem_free(&p);
	if (none) {
		cf_err_clear(e);
		return CF_OK;
	}
	if (rc == CF_OK && (rc = take_kid(c, &ans, e)) == CF_OK)
		*found = true;
	cf_http_answer_clear(&ans);
	return rc;
}

cf_code cf_acme_register(cf_acme_client *c, const cf_acme_newaccount *a, cf_err *e)
{
	json_t *p = json_object();
	if (p == NULL)
		return cf_err_set(e, CF_E_INTERNAL, NULL, "out of memory");
	json_object_set_new(p, "termsOfServiceAgreed", json_boolean(a->agree_tos));
	if (a->email != NULL && a->email[0] != '\0') {
		char mailto[512];
		snprintf(mailto, sizeof(mailto), "mailto:%s", a->email);
		json_object_set_new(p, "contact", json_pack("[s]", mailto));
	}
	if (a->eab_kid != NULL) {
		json_t *eab = NULL;
		cf_code rc = eab_jws(c, a, &eab, e);
		if (rc != CF_OK) {
			json_decref(p);
			return rc;
		}
		json_object_set_new(p, "externalAccountBinding", eab);
	}
	char *payload = dump(p);
	if (payload == NULL)
		return cf_err_set(e, CF_E_INTERNAL, NULL, "out of memory");
	cf_http_answer ans = {0};
	cf_code rc = post(c, c->dir.new_account, payload, true, OBJECT_MAX, &ans, e);
	free(payload);
	if (rc != CF_OK)
		return rc;
	rc = take_kid(c, &ans, e);
	cf_http_answer_clear(&ans);
	return rc;
}

cf_code cf_acme_key_change(cf_acme_client *c, const cf_key *new_key, cf_err *e)
{
	if (c->dir.key_change == NULL)
		return cf_err_set(e, CF_E_STATE, c->directory_url, "the ACME server offers no account key rollover");
	const char *alg = NULL;
	cf_code rc = cf_jws_alg(new_key, &alg, e);
	if (rc != CF_OK)
		return rc;
	/* the inner JWS: the new key signs the account URL and the old key (§7.3.5) */
	char *new_jwk = cf_jws_jwk(new_key), *inner = NULL;
	json_t *old = c->jwk != NULL ? json_loads(c->jwk, 0, NULL) : NULL;
	char *protected = new_jwk != NULL ? cf_acme_protected(alg, NULL, c->dir.key_change, NULL, new_jwk) : NULL;
	char *payload = old != NULL ? dump(json_pack("{s:s, s:O}", "account", c->kid, "oldKey", old)) : NULL;
	json_decref(old);
	if (protected == NULL || payload == NULL)
		rc = cf_err_set(e, CF_E_INTERNAL, NULL, "out of memory");
	else
		rc = cf_jws_sign(new_key, protected, (const uint8_t *)payload, strlen(payload), &inner, e);
	free(protected);
	free(payload);
	cf_http_answer ans = {0};
	if (rc == CF_OK)
		rc = post(c, c->dir.key_change, inner, false, OBJECT_MAX, &ans, e);
	cf_http_answer_clear(&ans);
	free(inner);
	if (rc == CF_OK) {
		free(c->jwk);
		c->jwk = new_jwk;
		new_jwk = NULL;
		c->key = new_key;
		c->alg = alg;
	}
	free(new_jwk);
	return rc;
}

/* A POST whose answer is an order (newOrder, finalize, POST-as-GET of an order). */
static cf_code order_post(cf_acme_client *c, const char *url, const char *payload, cf_acme_order *out, char **location,
			  int *retry_after, cf_err *e)
{
	cf_http_answer ans = {0};
	cf_code rc = post(c, url, payload, false, OBJECT_MAX, &ans, e);
	if (rc != CF_OK)
		return rc;
	char where[512];
	public_url(url, where, sizeof(where));
	rc = cf_acme_order_parse(where, ans.body, ans.len, out, e);
	if (rc == CF_OK && location != NULL) {
		if (ans.location == NULL || strncmp(ans.location, "http", 4) != 0)
			rc = cf_err_set(e, CF_E_REMOTE, where, "the ACME server gave no order URL (Location)");
		else if ((*location = strdup(ans.location)) == NULL)
			rc = cf_err_set(e, CF_E_INTERNAL, NULL, "out of memory");
		if (rc != CF_OK)
			cf_acme_order_free(out);
	}
	if (retry_after != NULL)
		*retry_after = cf_acme_retry_after(ans.retry_after, cf_clock_now());
	cf_http_answer_clear(&ans);
	return rc;
}

cf_code cf_acme_new_order(cf_acme_client *c, const cf_strv *names, const char *profile, const char *replaces,
			  cf_acme_order *out, char **url, cf_err *e)
{
	json_t *ids = json_array(), *p = json_object();
	for (size_t i = 0; ids != NULL && i < names->n; i++)
		json_array_append_new(ids, json_pack("{s:s, s:s}", "type", "dns", "value", names->v[i]));
	if (p != NULL && ids != NULL) {
		json_object_set(p, "identifiers", ids);
		if (profile != NULL)
			json_object_set_new(p, "profile", json_string(profile));
		if (replaces != NULL)
			json_object_set_new(p, "replaces", json_string(replaces));
	}
	json_decref(ids);
	char *payload = dump(p);
	if (payload == NULL)
		return cf_err_set(e, CF_E_INTERNAL, NULL, "out of memory");
	cf_code rc = order_post(c, c->dir.new_order, payload, out, url, NULL, e);
	free(payload);
	return rc;
}

cf_code cf_acme_get_order(cf_acme_client *c, const char *url, cf_acme_order *out, int *retry_after, cf_err *e)
{
	return order_post(c, url, NULL, out, NULL, retry_after, e);
}

cf_code cf_acme_get_authz(cf_acme_client *c, const char *url, cf_acme_authz *out, int *retry_after, cf_err *e)
{
	cf_http_answer ans = {0};
	cf_code rc = post(c, url, NULL, false, OBJECT_MAX, &ans, e);
	if (rc != CF_OK)
		return rc;
	char where[512];
	public_url(url, where, sizeof(where));
	rc = cf_acme_authz_parse(where, ans.body, ans.len, out, e);
	if (retry_after != NULL)
		*retry_after = cf_acme_retry_after(ans.retry_after, cf_clock_now());
	cf_http_answer_clear(&ans);
	return rc;
}

cf_code cf_acme_challenge_ready(cf_acme_client *c, const char *url, cf_err *e)
{
	cf_http_answer ans = {0};
	cf_code rc = post(c, url, "{}", false, OBJECT_MAX, &ans, e);
	cf_http_answer_clear(&ans);
	return rc;
}

cf_code cf_acme_finalize(cf_acme_client *c, const char *finalize_url, const uint8_t *csr_der, size_t len,
			 cf_acme_order *out, int *retry_after, cf_err *e)
{
	char *csr = cf_b64url_encode(csr_der, len);
	char *payload = csr != NULL ? dump(json_pack("{s:s}", "csr", csr)) : NULL;
	free(csr);
	if (payload == NULL)
		return cf_err_set(e, CF_E_INTERNAL, NULL, "out of memory");
	cf_code rc = order_post(c, finalize_url, payload, out, NULL, retry_after, e);
	free(payload);
	return rc;
}

/* The URL of a Link header value with rel="alternate", or NULL; malloc'd. */
static char *alternate_link(const char *v)
{
	const char *lt = strchr(v, '<'), *gt = lt ? strchr(lt, '>') : NULL;
	if (gt == NULL)
		return NULL;
	const char *params = gt + 1;
	if (strstr(params, "rel=\"alternate\"") == NULL && strstr(params, "rel=alternate") == NULL)
		return NULL;
	size_t n = (size_t)(gt - lt - 1);
	if (n < 8 || (strncmp(lt + 1, "https://", 8) != 0 && strncmp(lt + 1, "http://", 7) != 0) ||
	    memchr(lt + 1, ' ', n) != NULL)
		return NULL;
	return strndup(lt + 1, n);
}

cf_code cf_acme_download(cf_acme_client *c, const char *url, char **pem, cf_strv *alternates, cf_err *e)
{
	cf_http_answer ans = {0};
	cf_code rc = post(c, url, NULL, false, CHAIN_MAX, &ans, e);
	if (rc != CF_OK)
		return rc;
	char where[512];
	public_url(url, where, sizeof(where));
	if (strlen((const char *)ans.body) != ans.len ||
	    strstr((const char *)ans.body, "-----BEGIN CERTIFICATE-----") == NULL)
		rc = cf_err_set(e, CF_E_REMOTE, where, "the ACME server sent no PEM certificate chain");
	for (size_t i = 0; rc == CF_OK && alternates != NULL && i < ans.links.n; i++) {
		char *alt = alternate_link(ans.links.v[i]);
		if (alt != NULL && cf_strv_push(alternates, alt) != 0)
			rc = cf_err_set(e, CF_E_INTERNAL, NULL, "out of memory");
		free(alt);
	}
	if (rc == CF_OK) {
		*pem = (char *)ans.body;
		ans.body = NULL;
	}
	cf_http_answer_clear(&ans);
	return rc;
}

cf_code cf_acme_revoke(cf_acme_client *c, const uint8_t *der, size_t len, int reason, const cf_key *cert_key, cf_err *e)
{
	char *cert = cf_b64url_encode(der, len);
	char *payload = cert != NULL ? dump(json_pack("{s:s, s:i}", "certificate", cert, "reason", reason)) : NULL;
	free(cert);
	if (payload == NULL)
		return cf_err_set(e, CF_E_INTERNAL, NULL, "out of memory");
	cf_code rc = CF_OK;
	const cf_key *account = c->key;
	char *kid = c->kid;
	if (cert_key != NULL) { /* signed by the certificate's key, with its jwk (§7.6) */
		c->kid = NULL;
		rc = cf_acme_client_use(c, cert_key, NULL, e);
	}
	cf_http_answer ans = {0};
	if (rc == CF_OK)
		rc = post(c, c->dir.revoke_cert, payload, cert_key != NULL, OBJECT_MAX, &ans, e);
	cf_http_answer_clear(&ans);
	free(payload);
	if (cert_key != NULL) {
		cf_err keep = e != NULL ? *e : (cf_err){0};
		if (account != NULL)
			cf_acme_client_use(c, account, kid, NULL);
		if (e != NULL)
			*e = keep;
		free(kid);
	}
	return rc;
}

cf_code cf_acme_renewal_info(cf_acme_client *c, const char *cert_id, bool *known, int64_t *start, int64_t *end,
			     int *retry_after, cf_err *e)
{
	*known = false;
	*retry_after = 0;
	if (c->dir.renewal_info == NULL)
		return CF_OK;
	size_t n = strlen(c->dir.renewal_info) + strlen(cert_id) + 2;
	char *url = malloc(n);
	if (url == NULL)
		return cf_err_set(e, CF_E_INTERNAL, NULL, "out of memory");
	/* the id is appended to the URL with a '/' between (RFC 9773 §4.1) */
	snprintf(url, n, "%s%s%s", c->dir.renewal_info,
		 c->dir.renewal_info[strlen(c->dir.renewal_info) - 1] == '/' ? "" : "/", cert_id);
	cf_http_answer ans = {0};
	cf_code rc = exchange(c, "GET", url, NULL, OBJECT_MAX, &ans, e);
	if (rc == CF_OK && ans.status == 200) {
		char where[512];
		public_url(url, where, sizeof(where));
		if ((rc = cf_acme_renewal_info_parse(where, ans.body, ans.len, start, end, e)) == CF_OK)
			*known = true;
		*retry_after = cf_acme_retry_after(ans.retry_after, cf_clock_now());
	} else if (rc == CF_OK && ans.status != 404) {
		cf_acme_problem p = {0};
		rc = refused(c, url, &ans, &p, e);
		cf_acme_problem_free(&p);
	}
	cf_http_answer_clear(&ans);
	free(url);
	return rc;
}
