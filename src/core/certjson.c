#include "core/certjson.h"

#include "util/clock.h"

static json_t *strv_array(const cf_strv *sv)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < sv->n; i++)
		json_array_append_new(a, json_string(sv->v[i]));
	return a;
}

static json_t *time_str(int64_t t)
{
	char buf[32];
	cf_time_rfc3339(t, buf);
	return json_string(buf);
}

static json_t *usage_arrays(json_t *o, const cf_facts *f)
{
	cf_strv ku = {0}, eku = {0};
	cf_ku_names(f->ku, &ku);
	cf_eku_names(f->eku, &eku);
	for (size_t i = 0; i < f->eku_other.n; i++)
		cf_strv_push(&eku, f->eku_other.v[i]);
	json_object_set_new(o, "key_usage", strv_array(&ku));
	json_object_set_new(o, "ext_key_usage", strv_array(&eku));
	cf_strv_clear(&ku);
	cf_strv_clear(&eku);
	return o;
}

static void key_fields(json_t *o, const cf_facts *f)
{
	json_object_set_new(o, "key_type", json_string(cf_keytype_name(f->key_type)));
	json_object_set_new(o, "key_bits", json_integer(f->key_bits));
	if (f->key_type == CF_KEY_EC)
		json_object_set_new(o, "curve", json_string(f->curve));
}

json_t *cf_json_cert(const cf_certrow *r)
{
	const cf_facts *f = &r->facts;
	json_t *o = json_object();
	if (o == NULL)
		return NULL;
	json_object_set_new(o, "id", json_integer(r->id));
	json_object_set_new(o, "node", json_string(r->node));
	json_object_set_new(o, r->kind == CF_IDENTITY ? "purpose" : "store", json_string(r->name));
	json_object_set_new(o, "subject", json_string(f->subject));
	json_object_set_new(o, "issuer", json_string(f->issuer));
	json_object_set_new(o, "cn", json_string(f->cn));
	json_object_set_new(o, "serial", json_string(f->serial));
	json_object_set_new(o, "not_before", time_str(f->not_before));
	json_object_set_new(o, "not_after", time_str(f->not_after));
	json_object_set_new(o, "sha256", json_string(f->sha256));
	key_fields(o, f);
	json_object_set_new(o, "self_signed", json_boolean(f->self_signed));
	json_object_set_new(o, "ca", json_boolean(f->ca));
	json_object_set_new(o, "san", strv_array(&f->san));
	usage_arrays(o, f);
	json_object_set_new(o, "signature_hash", json_string(f->sig_hash));
	json_object_set_new(o, "ocsp", strv_array(&f->ocsp));
	json_object_set_new(o, "crl_dp", strv_array(&f->crl_dp));
	json_object_set_new(o, "distribution", json_string(r->distribution));
	json_object_set_new(o, "source", json_string(r->source));
	json_object_set_new(o, "description", json_string(r->description));
	json_t *w = NULL;
	if (r->warnings != NULL && r->warnings[0] != '\0' && (r->warnings[0] != '[' || r->warnings[1] != ']'))
		w = json_loads(r->warnings, 0, NULL);
	json_object_set_new(o, "warnings", w ? w : json_array());
	return o;
}

json_t *cf_json_csr(const cf_csr_view *v)
{
	const cf_facts *f = &v->facts;
	json_t *o = json_object();
	if (o == NULL)
		return NULL;
	json_object_set_new(o, "node", json_string(v->node));
	json_object_set_new(o, "purpose", json_string(v->purpose));
	json_object_set_new(o, "subject", json_string(f->subject));
	json_object_set_new(o, "cn", json_string(f->cn));
	json_object_set_new(o, "san", strv_array(&f->san));
	usage_arrays(o, f);
	key_fields(o, f);
	json_object_set_new(o, "hash", json_string(v->hash));
	json_object_set_new(o, "distribution", json_string(v->distribution));
	json_object_set_new(o, "created", time_str(v->created));
	json_object_set_new(o, "pem", json_string(v->pem));
	return o;
}

json_t *cf_json_node(const cf_node *n)
{
	return json_pack("{s:s, s:s, s:s, s:b, s:s}", "fqdn", n->fqdn, "cluster", n->cluster, "product", n->product,
			 "publisher", n->publisher, "ip", n->ip);
}

json_t *cf_json_plan(const cf_plan *p)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < p->n; i++) {
		const cf_plan_step *s = &p->steps[i];
		json_t *o = json_pack("{s:i, s:s, s:s}", "step", (json_int_t)(i + 1), "action",
				      cf_plan_action_name(s->action), "node", s->node);
		if (o != NULL && s->service != NULL)
			json_object_set_new(o, "service", json_string(s->service));
		json_array_append_new(a, o);
	}
	return a;
}

json_t *cf_json_warnings(const cf_warnings *w)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < w->rules.n; i++)
		json_array_append_new(a, json_pack("{s:s, s:s}", "rule", w->rules.v[i], "message", w->messages.v[i]));
	return a;
}

json_t *cf_json_deploy(const cf_deploy_report *r)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < r->n; i++) {
		const cf_deploy_result *d = &r->v[i];
		json_t *o = json_pack("{s:s, s:o}", "purpose", d->purpose, "files", strv_array(&d->files));
		if (o != NULL && d->reload != NULL) {
			json_object_set_new(o, "reload", json_string(d->reload));
			json_object_set_new(o, "reload_status", json_integer(d->reload_status));
		}
		json_array_append_new(a, o);
	}
	return a;
}
