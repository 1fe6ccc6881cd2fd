#include "core/view/tooljson.h"

#include <stdlib.h>

#include "core/view/certjson.h"
#include "util/clock.h"

json_t *cf_tooljson_validation(const cf_validation *v)
{
	json_t *checks = json_array(), *chain = json_array();
	for (size_t i = 0; checks != NULL && i < v->n; i++) {
		const cf_check *k = &v->checks[i];
		json_t *o = json_pack("{s:s, s:b, s:s}", "check", k->check, "ok", k->ok, "message", k->message);
		if (o != NULL && !k->ok)
			json_object_set_new(o, "rule", json_string(k->rule));
		json_array_append_new(checks, o);
	}
	for (size_t i = 0; chain != NULL && i < v->chain.n; i++) {
		cf_facts f = {0};
		if (cf_cert_facts(v->chain.chain[i], &f, NULL) == CF_OK)
			json_array_append_new(chain, json_pack("{s:s, s:s, s:s}", "subject", f.subject, "issuer",
							       f.issuer, "sha256", f.sha256));
		cf_facts_free(&f);
	}
	return json_pack("{s:b, s:o, s:o}", "ok", v->ok, "checks", checks, "chain", chain);
}

static json_t *cert_json(const cf_facts *f)
{
	char nb[32], na[32];
	cf_time_rfc3339(f->not_before, nb);
	cf_time_rfc3339(f->not_after, na);
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:b, s:b}", "sha256", f->sha256, "subject",
			      f->subject, "issuer", f->issuer, "not_before", nb, "not_after", na, "key_type",
			      cf_keytype_name(f->key_type), "key_bits", f->key_bits, "self_signed", f->self_signed,
			      "ca", f->ca);
	if (o != NULL && f->key_type == CF_KEY_EC)
		json_object_set_new(o, "curve", json_string(f->curve));
	return o;
}

/* A string member, or null when s is empty. */
static void set_str(json_t *o, const char *key, const char *s)
{
	json_object_set_new(o, key, s != NULL && s[0] != '\0' ? json_string(s) : json_null());
}

json_t *cf_tooljson_fetch(const cf_fetch_result *r, const char *starttls)
{
	const cf_tls_peer *t = &r->tls;
	json_t *o = json_object(), *chain = json_array();
	if (o == NULL || chain == NULL) {
		json_decref(o);
		json_decref(chain);
		return NULL;
	}
	json_object_set_new(o, "target", json_string(r->target));
	json_object_set_new(o, "host", json_string(r->peer.host));
	json_object_set_new(o, "port", json_integer(atoi(r->peer.port)));
	set_str(o, "starttls", starttls);
	set_str(o, "sni", r->sni);
	json_object_set_new(o, "connected", json_true());
	json_object_set_new(o, "downloaded", json_true());
	json_object_set_new(o, "handshake_completed", json_boolean(t->completed));
	if (!t->completed)
		json_object_set_new(o, "handshake_error", json_string(t->failure));
	set_str(o, "tls_version", t->version);
	set_str(o, "cipher", t->cipher);
	json_object_set_new(o, "key_type", json_string(t->key_type));
	set_str(o, "signature", t->signature);
	json_object_set_new(o, "verified", json_boolean(t->verified));
	if (!t->verified)
		json_object_set_new(o, "verify_error", json_string(t->verify_error));
	for (size_t i = 0; i < t->n_chain; i++)
		json_array_append_new(chain, cert_json(&r->facts[i]));
	json_object_set_new(o, "chain", chain);
	return o;
}

json_t *cf_tooljson_fetch_import(const cf_fetch_result *r, const char *node, const char *store, const cf_outcome *out,
				 size_t skipped)
{
	json_t *o = json_object(), *ids = json_array(), *skip = json_array();
	if (o == NULL || ids == NULL || skip == NULL) {
		json_decref(o);
		json_decref(ids);
		json_decref(skip);
		return NULL;
	}
	for (size_t i = 0; i < out->n_ids; i++)
		json_array_append_new(ids, json_integer(out->ids[i]));
	for (size_t i = 0; i < skipped; i++)
		json_array_append_new(skip, json_string(r->facts[i].sha256));
	json_object_set_new(o, "node", json_string(node));
	json_object_set_new(o, "store", json_string(store));
	json_object_set_new(o, "ids", ids);
	json_object_set_new(o, "count", json_integer((json_int_t)out->n_ids));
	json_object_set_new(o, "skipped", skip);
	cf_json_outcome(o, out);
	return o;
}
