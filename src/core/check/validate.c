#include "core/check/validate.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/model/fqdn.h"
#include "util/clock.h"
#include "util/parallel.h"

/* A DNS name pattern against a host name: exact (case-insensitive), or "*.rest" covering exactly
 * one left-most label when rest has at least two labels. A pattern holding a control character
 * or a blank matches nothing, whatever host is asked: no host name holds one. */
static bool dns_match(const char *pattern, const char *host)
{
	for (const unsigned char *p = (const unsigned char *)pattern; *p != '\0'; p++)
		if (*p <= 0x20 || *p == 0x7f)
			return false;
	if (strcasecmp(pattern, host) == 0)
		return true;
	if (strncmp(pattern, "*.", 2) != 0 || strchr(pattern + 2, '.') == NULL)
		return false;
	const char *dot = strchr(host, '.');
	return dot != NULL && dot != host && strcasecmp(dot + 1, pattern + 2) == 0;
}

static bool ip_match(const char *san_ip, const char *host)
{
	unsigned char a[16], b[16];
	int fa = strchr(san_ip, ':') ? AF_INET6 : AF_INET, fb = strchr(host, ':') ? AF_INET6 : AF_INET;
	return fa == fb && inet_pton(fa, san_ip, a) == 1 && inet_pton(fb, host, b) == 1 &&
	       memcmp(a, b, fa == AF_INET ? 4 : 16) == 0;
}

bool cf_host_matches(const cf_facts *f, const char *host)
{
	bool ip = cf_is_ip(host), any_dns = false;
	for (size_t i = 0; i < f->san.n; i++) {
		const char *s = f->san.v[i];
		if (strncmp(s, "DNS:", 4) == 0) {
			any_dns = true;
			if (!ip && dns_match(s + 4, host))
				return true;
		} else if (ip && strncmp(s, "IP:", 3) == 0 && ip_match(s + 3, host)) {
			return true;
		}
	}
	return !ip && !any_dns && f->cn[0] != '\0' && dns_match(f->cn, host);
}

static cf_check *add_check(cf_validation *v, const char *name)
{
	cf_check *c = &v->checks[v->n++];
	c->check = name;
	c->ok = true;
	return c;
}

static void fail(cf_validation *v, cf_check *c, const char *rule, const char *msg)
{
	c->ok = false;
	c->rule = rule;
	snprintf(c->message, sizeof(c->message), "%.300s", msg);
	v->ok = false;
}

static void check_usage(cf_validation *v, const cf_purpose *p, const cf_facts *f)
{
	cf_check *c = add_check(v, "key-usage");
	char msg[256];
	if (p->ecdsa != (f->key_type == CF_KEY_EC)) {
		snprintf(msg, sizeof(msg), "%s needs an %s key, not %s", p->name, p->ecdsa ? "EC" : "RSA",
			 cf_keytype_name(f->key_type));
		fail(v, c, "key-type-mismatch", msg);
		return;
	}
	unsigned lost_ku = f->has_ku ? cf_purpose_ku(p, f->key_type) & ~f->ku : 0;
	unsigned lost_eku = f->has_eku ? p->eku & ~f->eku : 0;
	cf_strv names = {0};
	if (lost_eku || lost_ku) {
		if (lost_eku)
			cf_eku_names(lost_eku, &names);
		else
			cf_ku_names(lost_ku, &names);
		char *list = cf_strv_join(&names, ", ");
		snprintf(msg, sizeof(msg), "%s lacks %s, which %s needs", lost_eku ? "extended key usage" : "key usage",
			 list ? list : "", p->name);
		fail(v, c, lost_eku ? "eku-missing" : "ku-missing", msg);
		free(list);
	} else {
		snprintf(c->message, sizeof(c->message), "key usage fits %s", p->name);
	}
	cf_strv_clear(&names);
}

/* An issuer of the verified chain whose extendedKeyUsage leaves out what the purpose needs
 * fails the key-usage check too (RFC 5280 lets a CA restrict the usages below it). */
static void check_issuer_usage(cf_validation *v, const cf_purpose *p)
{
	cf_check *c = NULL;
	for (size_t i = 0; i < v->n; i++)
		if (strcmp(v->checks[i].check, "key-usage") == 0)
			c = &v->checks[i];
	size_t at = 0;
	unsigned lost = cf_vresult_issuer_eku_lacks(&v->chain, p->eku, &at);
	if (c == NULL || !c->ok || lost == 0)
		return;
	cf_strv names = {0};
	cf_eku_names(lost, &names);
	char *list = cf_strv_join(&names, ", ");
	cf_facts f = {0};
	char msg[320];
	bool named = cf_cert_facts(v->chain.chain[at], &f, NULL) == CF_OK;
	snprintf(msg, sizeof(msg), "the issuer \"%.160s\" restricts extended key usage to leave out %s, which %s needs",
		 named ? f.subject : "?", list ? list : "", p->name);
	fail(v, c, "eku-missing", msg);
	cf_facts_free(&f);
	free(list);
	cf_strv_clear(&names);
}

bool cf_host_matches_san(const cf_facts *f, const char *host)
{
	cf_facts san_only = *f;
	san_only.cn = "";
	return cf_host_matches(&san_only, host);
}

static const char *chain_rule(cf_vfail f)
{
	switch (f) {
	case CF_V_NO_ISSUER: return "chain-incomplete";
	case CF_V_NOT_CA: return "ca-no-basic-constraints";
	case CF_V_EXPIRED: return "expired";
	case CF_V_NOT_YET_VALID: return "not-yet-valid";
	case CF_V_WEAK_KEY: return "weak-key";
	case CF_V_WEAK_SIGNATURE: return "sha1";
	case CF_V_ISSUER_EKU: return "eku-missing";
	default: return cf_vfail_name(f);
	}
}

cf_code cf_validate_cert(const cf_validate_opts *o, const cf_cert *leaf, cf_cert *const *extra, size_t n_extra,
			 cf_validation *out, cf_err *e)
{
	cf_facts f = {0};
	memset(out, 0, sizeof(*out));
	out->ok = true;
	cf_code rc = cf_cert_facts(leaf, &f, e);
	if (rc != CF_OK)
		return rc;
	char msg[320];
	if (o->host != NULL) {
		cf_check *c = add_check(out, "identity");
		if (cf_host_matches(&f, o->host)) {
			snprintf(c->message, sizeof(c->message), "%s is one of the certificate's names", o->host);
		} else {
			char *san = cf_strv_join(&f.san, ", ");
			snprintf(msg, sizeof(msg), "%s is not among its names (CN %s; SAN %s)", o->host,
				 f.cn[0] ? f.cn : "none", san && san[0] ? san : "none");
			fail(out, c, "name-mismatch", msg);
			free(san);
		}
	}
	cf_check *c = add_check(out, "validity");
	char nb[32], na[32];
	cf_time_rfc3339(f.not_before, nb);
	cf_time_rfc3339(f.not_after, na);
	if (o->now > f.not_after) {
		snprintf(msg, sizeof(msg), "expired on %s", na);
		fail(out, c, "expired", msg);
	} else if (o->now < f.not_before) {
		snprintf(msg, sizeof(msg), "not valid before %s", nb);
		fail(out, c, "not-yet-valid", msg);
	} else {
		snprintf(c->message, sizeof(c->message), "valid from %s to %s", nb, na);
	}
	if (o->trust != NULL)
		cf_trustidx_verify(o->trust, leaf, extra, n_extra, o->now, &out->chain);
	if (o->purpose != NULL) {
		check_usage(out, o->purpose, &f);
		if (o->trust != NULL && out->chain.fail == CF_V_OK)
			check_issuer_usage(out, o->purpose);
	}
	if (o->trust != NULL) {
		c = add_check(out, "chain");
		if (out->chain.fail != CF_V_OK)
			fail(out, c, chain_rule(out->chain.fail), out->chain.message);
		else if (o->host != NULL && out->chain.cn_outside_constraints && !cf_host_matches_san(&f, o->host))
			fail(out, c, "name-constraints",
			     "the host matches only the subject CN, which is outside an issuer's name constraints");
		else
			snprintf(c->message, sizeof(c->message), "%zu certificate%s to a trusted certificate",
				 out->chain.n, out->chain.n == 1 ? " (itself trusted)" : "s");
	}
	if (o->revocation != NULL && o->trust != NULL && out->chain.fail == CF_V_OK) {
		c = add_check(out, "revocation");
		switch (o->revocation(o->revocation_ctx, &out->chain, o->now, msg, sizeof(msg))) {
		case CF_REV_REVOKED: fail(out, c, "revoked", msg); break;
		case CF_REV_CRL_EXPIRED: fail(out, c, "crl-expired", msg); break;
		case CF_REV_UNKNOWN:
			snprintf(c->message, sizeof(c->message), "no status could be had: %.280s", msg);
			break;
		case CF_REV_GOOD: snprintf(c->message, sizeof(c->message), "not revoked: %.280s", msg); break;
		}
	}
	cf_facts_free(&f);
	return CF_OK;
}

struct batch {
	const cf_validate_opts *o;
	cf_cert *const *leaves;
	cf_validation *out;
};

static void batch_slice(void *ctx, size_t begin, size_t end)
{
	struct batch *b = ctx;
	for (size_t i = begin; i < end; i++) {
		cf_err e;
		if (cf_validate_cert(b->o, b->leaves[i], NULL, 0, &b->out[i], &e) != CF_OK) {
			b->out[i].ok = false;
			cf_check *c = add_check(&b->out[i], "parse");
			fail(&b->out[i], c, "unreadable", e.message);
		}
	}
}

void cf_validate_batch(const cf_validate_opts *o, cf_cert *const *leaves, size_t n, cf_validation *out)
{
	struct batch b = {o, leaves, out};
	cf_parallel_for(n, 64, batch_slice, &b);
}

void cf_validation_clear(cf_validation *v)
{
	if (v == NULL)
		return;
	cf_vresult_clear(&v->chain);
	memset(v, 0, sizeof(*v));
}

const char *cf_validation_outcome(const cf_validation *v)
{
	for (size_t i = 0; i < v->n; i++)
		if (!v->checks[i].ok)
			return v->checks[i].rule;
	return "ok";
}

cf_code cf_validate_load_store(cf_store *st, const char *node, const char *store, cf_trustidx *idx, cf_err *e)
{
	cf_node n = {0};
	cf_cert **certs = NULL;
	size_t nc = 0;
	cf_code rc = cf_store_node_get(st, node, &n, e);
	if (rc == CF_OK)
		rc = cf_store_trust_certs(st, n.id, store, &certs, &nc, e);
	for (size_t i = 0; rc == CF_OK && i < nc; i++)
		rc = cf_trustidx_add(idx, certs[i], true, e);
	cf_certs_free(certs, nc);
	cf_node_free(&n);
	return rc;
}

cf_code cf_validate_add_bundle(cf_trustidx *idx, const char *name, const uint8_t *buf, size_t len, bool anchor,
			       cf_err *e)
{
	cf_cert **certs = NULL;
	size_t n = 0;
	cf_code rc = cf_cert_parse_bundle(name, buf, len, &certs, &n, e);
	for (size_t i = 0; rc == CF_OK && i < n; i++)
		rc = cf_trustidx_add(idx, certs[i], anchor, e);
	cf_certs_free(certs, n);
	return rc;
}
