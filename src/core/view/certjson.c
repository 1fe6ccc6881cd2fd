#include "core/view/certjson.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "util/buf.h"
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

/* ---- the certificate object, written directly (listings of 100,000 rows) -------------------- */

/* ,"key": with the key a string literal (its length known when compiled), then the value */
#define KEY(b, key) cf_buf_addl(b, ",\"" key "\":")
#define KEY_STR(b, key, val) (KEY(b, key), cf_buf_json_str(b, val))
#define KEY_RAW(b, key, raw) (KEY(b, key), cf_buf_adds(b, raw))
#define KEY_STRV(b, key, sv) (KEY(b, key), strv_write(b, sv, 0, NULL))
#define KEY_TIME(b, key, t) (KEY(b, key), time_write(b, t))

/* ,"key": for a key known only when running (purpose, store, local_ca or endpoint) */
static void key_dynamic(cf_buf *b, const char *key)
{
	cf_buf_addl(b, ",\"");
	cf_buf_adds(b, key);
	cf_buf_addl(b, "\":");
}

/* A JSON array: the names name(bit) of the bits set in bits, then the strings of sv (when not
 * NULL). */
static void strv_write(cf_buf *b, const cf_strv *sv, unsigned bits, const char *(*name)(unsigned))
{
	bool first = true;
	cf_buf_addl(b, "[");
	for (unsigned i = 0; name != NULL && name(i) != NULL; i++)
		if (bits & (1u << i)) {
			if (!first)
				cf_buf_addl(b, ",");
			first = false;
			cf_buf_json_str(b, name(i));
		}
	for (size_t i = 0; sv != NULL && i < sv->n; i++) {
		if (!first)
			cf_buf_addl(b, ",");
		first = false;
		cf_buf_json_str(b, sv->v[i]);
	}
	cf_buf_addl(b, "]");
}

static void time_write(cf_buf *b, int64_t t)
{
	char buf[32];
	cf_time_rfc3339(t, buf);
	cf_buf_json_str(b, buf);
}

const char *cf_certkind_field(cf_certkind kind)
{
	return kind == CF_IDENTITY   ? "purpose"
	       : kind == CF_TRUST    ? "store"
	       : kind == CF_LOCAL_CA ? "local_ca"
				     : "endpoint";
}

void cf_certjson_write(cf_buf *b, const cf_certrow *r)
{
	const cf_facts *f = &r->facts;
	cf_buf_addl(b, "{\"id\":");
	cf_buf_add_int(b, r->id);
	KEY_STR(b, "node", r->node);
	key_dynamic(b, cf_certkind_field(r->kind));
	cf_buf_json_str(b, r->name);
	KEY_STR(b, "subject", f->subject);
	KEY_STR(b, "issuer", f->issuer);
	KEY_STR(b, "cn", f->cn);
	KEY_STR(b, "serial", f->serial);
	KEY_TIME(b, "not_before", f->not_before);
	KEY_TIME(b, "not_after", f->not_after);
	KEY_STR(b, "sha256", f->sha256);
	KEY_STR(b, "key_type", cf_keytype_name(f->key_type));
	KEY(b, "key_bits");
	cf_buf_add_int(b, f->key_bits);
	if (f->key_type == CF_KEY_EC)
		KEY_STR(b, "curve", f->curve);
	KEY_RAW(b, "self_signed", f->self_signed ? "true" : "false");
	KEY_RAW(b, "ca", f->ca ? "true" : "false");
	KEY_STRV(b, "san", &f->san);
	KEY(b, "key_usage");
	strv_write(b, NULL, f->ku, cf_ku_name);
	KEY(b, "ext_key_usage");
	strv_write(b, &f->eku_other, f->eku, cf_eku_name);
	KEY_STR(b, "signature_hash", f->sig_hash);
	KEY_STRV(b, "ocsp", &f->ocsp);
	KEY_STRV(b, "crl_dp", &f->crl_dp);
	KEY_STR(b, "distribution", r->distribution);
	KEY_STR(b, "source", r->source);
	KEY_STR(b, "description", r->description);
	/* warnings are stored as a JSON array written by cf_warnings_json */
	KEY_RAW(b, "warnings", r->warnings != NULL && r->warnings[0] == '[' ? r->warnings : "[]");
	cf_buf_addl(b, "}");
}

json_t *cf_json_cert(const cf_certrow *r)
{
	cf_buf b = {0};
	cf_certjson_write(&b, r);
	json_t *o = b.oom ? NULL : json_loadb(b.p, b.len, 0, NULL);
	cf_buf_free(&b);
	return o;
}

json_t *cf_json_csr(const cf_identity_csr_view *v)
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
			json_object_set_new(o, "reload_output", json_string(d->reload_output ? d->reload_output : ""));
			if (d->reload_timed_out)
				json_object_set_new(o, "reload_timed_out", json_true());
		}
		if (o != NULL && d->repaired != NULL)
			json_object_set_new(o, "repaired", json_string(d->repaired));
		json_array_append_new(a, o);
	}
	return a;
}

json_t *cf_json_target(const char *node, const cf_target *t)
{
	char mode[8];
	snprintf(mode, sizeof(mode), "%04o", (unsigned)t->mode & 07777);
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "node", node, "purpose", t->purpose,
			 "cert", t->cert_path, "key", t->key_path, "chain", t->chain_path, "owner", t->owner, "mode",
			 mode, "reload", t->reload, "serves", t->serves ? t->serves : "", "starttls",
			 t->starttls ? t->starttls : "");
}

/* text, or null when it is empty */
static json_t *text_or_null(const char *text)
{
	return text != NULL && text[0] != '\0' ? json_string(text) : json_null();
}

json_t *cf_json_served(const cf_servedcheck *c)
{
	if (c == NULL || c->checked_at == 0)
		return json_null();
	return json_pack("{s:s, s:o, s:o, s:s, s:b, s:o}", "address", c->address, "checked_at", time_str(c->checked_at),
			 "sha256", text_or_null(c->served_sha256), "stored_sha256", c->stored_sha256, "matches",
			 cf_served_matches(c), "error", text_or_null(c->error));
}

json_t *cf_json_served_report(const cf_served_report *r)
{
	json_t *a = json_array();
	for (size_t i = 0; a != NULL && r != NULL && i < r->n; i++) {
		json_t *o = cf_json_served(&r->v[i]);
		if (json_is_object(o)) {
			json_object_set_new(o, "node", json_string(r->v[i].node));
			json_object_set_new(o, "purpose", json_string(r->v[i].purpose));
		}
		json_array_append_new(a, o);
	}
	return a;
}

json_t *cf_json_targets(const char *node, const cf_target *v, size_t n)
{
	json_t *items = json_array();
	for (size_t i = 0; items != NULL && i < n; i++)
		json_array_append_new(items, cf_json_target(node, &v[i]));
	return json_pack("{s:s, s:o}", "node", node, "items", items);
}

json_t *cf_json_status(const cf_node_status *v, size_t n, int64_t now)
{
	json_t *items = json_array();
	for (size_t i = 0; i < n; i++) {
		json_t *o = json_pack("{s:s, s:s, s:s, s:b, s:i, s:i, s:i, s:i, s:i}", "node", v[i].node.fqdn,
				      "cluster", v[i].node.cluster, "product", v[i].node.product, "publisher",
				      v[i].node.publisher, "identities", v[i].identities, "self_signed",
				      v[i].self_signed, "ca_signed", v[i].ca_signed, "trust_certificates",
				      v[i].trust_certs, "pending_csrs", v[i].pending_csrs);
		if (v[i].soonest_not_after) {
			json_object_set_new(o, "first_expiry", time_str(v[i].soonest_not_after));
			json_object_set_new(o, "first_expiry_purpose", json_string(v[i].soonest_purpose));
			json_object_set_new(o, "days_left", json_integer((v[i].soonest_not_after - now) / 86400));
		}
		json_array_append_new(items, o);
	}
	return json_pack("{s:o}", "items", items);
}

void cf_json_outcome(json_t *obj, const cf_outcome *o)
{
	json_t *nodes = json_array(), *notes = json_array();
	for (size_t i = 0; i < o->nodes.n; i++)
		json_array_append_new(nodes, json_string(o->nodes.v[i]));
	for (size_t i = 0; i < o->notes.n; i++)
		json_array_append_new(notes, json_string(o->notes.v[i]));
	json_object_set_new(obj, "nodes", nodes);
	json_object_set_new(obj, "notes", notes);
	if (json_object_get(obj, "warnings") == NULL)
		json_object_set_new(obj, "warnings", cf_json_warnings(&o->warnings));
	json_object_set_new(obj, "restart_plan", cf_json_plan(&o->plan));
}

void cf_certjson_write_monitor_run(cf_buf *b, const cf_monitor_report *r)
{
	cf_buf_adds(b, "{\"due\":[");
	for (size_t i = 0; i < r->n_due; i++) {
		const cf_monitor_due *d = &r->due[i];
		cf_buf_adds(b, i > 0 ? ",{\"node\":" : "{\"node\":");
		if (d->kind == CF_LOCAL_CA) /* a local CA belongs to no node */
			cf_buf_adds(b, "null");
		else
			cf_buf_json_str(b, d->node);
		key_dynamic(b, cf_certkind_field(d->kind));
		cf_buf_json_str(b, d->name);
		KEY_STR(b, "cn", d->cn);
		KEY_TIME(b, "not_after", d->not_after);
		KEY(b, "days_left");
		cf_buf_add_int(b, d->days_left);
		KEY_STR(b, "breaks", d->breaks);
		cf_buf_add(b, "}", 1);
	}
	cf_buf_adds(b, "],\"alarms\":[");
	for (size_t i = 0; i < r->alarms.n; i++) {
		if (i > 0)
			cf_buf_add(b, ",", 1);
		cf_buf_json_str(b, r->alarms.v[i]);
	}
	cf_buf_adds(b, "],\"acme_stuck\":[");
	for (size_t i = 0; i < r->stuck.n; i++) {
		if (i > 0)
			cf_buf_add(b, ",", 1);
		cf_buf_json_str(b, r->stuck.v[i]);
	}
	cf_buf_addf(b, "],\"sent\":%d,\"queued\":%d", r->sent, r->queued);
	KEY_TIME(b, "next_run", r->next_run);
	if (r->error[0] != '\0')
		KEY_STR(b, "error", r->error);
	cf_buf_add(b, "}", 1);
}

json_t *cf_json_crl(const cf_crlrow *r)
{
	char tu[32], nu[32] = "", added[32];
	cf_time_rfc3339(r->this_update, tu);
	if (r->next_update != 0)
		cf_time_rfc3339(r->next_update, nu);
	cf_time_rfc3339(r->added, added);
	return json_pack("{s:I, s:s, s:s, s:s, s:s?, s:s, s:I, s:s, s:s}", "id", (json_int_t)r->id, "issuer", r->issuer,
			 "issuer_hash", r->issuer_hash, "this_update", tu, "next_update",
			 r->next_update != 0 ? nu : NULL, "number", r->number, "entries", (json_int_t)r->entries,
			 "source", r->source, "added", added);
}

/* One place of a pass. */
static json_t *revcheck_item_json(const cf_revcheck_item *it)
{
	const cf_revcheckrow *a = it->answer;
	char checked[32], next[32];
	cf_time_rfc3339(a->checked, checked);
	cf_time_rfc3339(a->next_update, next);
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s?, s:b}", "node", it->node,
			 cf_certkind_field(it->kind), it->name, "cn", it->cn, "sha256", it->sha256, "status", a->status,
			 "trust", a->trust, "responder", a->responder, "message", a->message, "checked", checked,
			 "next_update", a->next_update != 0 ? next : NULL, "newly_revoked", it->newly_revoked);
}

json_t *cf_json_revcheck(const cf_revcheck *p)
{
	cf_revcheck_item it;
	cf_revcheck_totals n;
	json_t *items = json_array();
	for (size_t k = 0; items != NULL && cf_revcheck_item_get(p, k, &it); k++)
		if (it.answer != NULL)
			json_array_append_new(items, revcheck_item_json(&it));
	cf_revcheck_totals_get(p, &n);
	return items == NULL
		       ? NULL
		       : json_pack("{s:o, s:I, s:I, s:I, s:I, s:I}", "items", items, "checked", (json_int_t)n.checked,
				   "good", (json_int_t)n.good, "revoked", (json_int_t)n.revoked, "unknown",
				   (json_int_t)n.unknown, "errors", (json_int_t)n.errors);
}

json_t *cf_json_jobs(const cf_job *v, size_t n, int64_t now)
{
	json_t *items = json_array();
	for (size_t i = 0; items != NULL && i < n; i++) {
		const cf_job *j = &v[i];
		bool running = j->lease_holder[0] != '\0' && j->lease_until > now;
		json_array_append_new(
			items,
			json_pack("{s:s, s:s, s:s, s:o, s:i, s:o, s:o, s:o, s:o}", "kind", j->kind, "subject",
				  j->subject, "plan", j->plan, "next_run", time_str(j->next_run), "attempts",
				  j->attempts, "last_run", j->last_run != 0 ? time_str(j->last_run) : json_null(),
				  "last_status", j->last_status[0] != '\0' ? json_string(j->last_status) : json_null(),
				  "last_error", j->last_error[0] != '\0' ? json_string(j->last_error) : json_null(),
				  "running",
				  running ? json_pack("{s:s, s:o}", "by", j->lease_holder, "until",
						      time_str(j->lease_until))
					  : json_null()));
	}
	return json_pack("{s:o}", "items", items);
}

void cf_certjson_write_rev(cf_buf *b, const cf_certrow *r, const cf_certjson_rev *rev)
{
	cf_certjson_write(b, r);
	if (b->len == 0 || b->p[b->len - 1] != '}')
		return; /* out of memory: the buffer says so */
	cf_revstatus crl = cf_crlset_lookup_facts(rev->crls, r->facts.issuer, r->facts.serial, rev->now);
	const char *source = "crl", *word = cf_revstatus_name(crl);
	cf_revcheckrow rec = {0};
	if (rev->ocsp)
		word = cf_revocation_word(rev->st, crl, r->facts.sha256, &source, &rec);
	cf_revcheckrow_free(&rec);
	b->len--;
	KEY_STR(b, "revocation", word);
	KEY_STR(b, "revocation_source", source);
	cf_buf_addl(b, "}");
}
