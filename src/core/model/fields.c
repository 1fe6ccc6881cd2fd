/* Settings groups as tables (see fields.h): checking, keeping, showing and reading them. */
#include "core/model/fields.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/model/profile.h"
#include "util/secret.h"
#include "util/text.h"

const cf_field *cf_field_find(const cf_fieldgroup *g, const char *name)
{
	for (size_t i = 0; i < g->n; i++)
		if (strcmp(g->fields[i].name, name) == 0)
			return &g->fields[i];
	return NULL;
}

void cf_field_key(const cf_fieldgroup *g, const cf_field *f, const char *suffix, char *buf, size_t cap)
{
	snprintf(buf, cap, "%s%s%s", g->prefix, f->key, suffix);
}

/* The n-th word of a space-separated list into out; false when there are fewer. */
static bool word_at(const char *words, size_t n, char *out, size_t cap)
{
	for (const char *p = words; *p != '\0';) {
		size_t len = strcspn(p, " ");
		if (n-- == 0) {
			snprintf(out, cap, "%.*s", (int)len, p);
			return true;
		}
		p += len + (p[len] == ' ');
	}
	return false;
}

static int64_t unit_seconds(char u)
{
	return u == 'd' ? 86400 : u == 'h' ? 3600 : u == 'm' ? 60 : u == 's' ? 1 : 0;
}

/* "12h" (a unit of f->choices) into seconds within the bounds; false otherwise. */
static bool parse_duration(const cf_field *f, const char *v, int64_t *out)
{
	char *end = NULL;
	long long n = strtoll(v, &end, 10);
	if (v[0] < '1' || v[0] > '9' || end == NULL || end[0] == '\0' || end[1] != '\0' ||
	    strchr(f->choices, end[0]) == NULL || n > f->max)
		return false;
	*out = n * unit_seconds(end[0]);
	return *out >= f->min && *out <= f->max;
}

/* One value, as the config command takes it, into the text kept (out); a refusal names the field. */
static cf_code check_value(const cf_field *f, const char *v, char *out, size_t cap, cf_err *e)
{
	char *end = NULL;
	int h = -1, m = -1, used = 0;
	int64_t n = 0;
	switch (f->kind) {
	case CF_FIELD_BOOL:
		if (strcmp(v, "on") == 0 || strcmp(v, "off") == 0) {
			snprintf(out, cap, "%s", v);
			return CF_OK;
		}
		break;
	case CF_FIELD_INT:
		n = strtoll(v, &end, 10);
		if (v[0] >= '0' && v[0] <= '9' && *end == '\0' && n >= f->min && n <= f->max) {
			snprintf(out, cap, "%lld", (long long)n);
			return CF_OK;
		}
		break;
	case CF_FIELD_DURATION:
		if (parse_duration(f, v, &n)) {
			snprintf(out, cap, "%lld", (long long)n);
			return CF_OK;
		}
		break;
	case CF_FIELD_TIME:
		if (strlen(v) == 5 && sscanf(v, "%2d:%2d%n", &h, &m, &used) == 2 && v[used] == '\0' && h >= 0 &&
		    h <= 23 && m >= 0 && m <= 59) {
			snprintf(out, cap, "%d", h * 60 + m);
			return CF_OK;
		}
		break;
	case CF_FIELD_CHOICE:
		for (size_t i = 0; word_at(f->choices, i, out, cap); i++)
			if (strcmp(out, v) == 0) {
				if (f->stored_as != NULL)
					word_at(f->stored_as, i, out, cap);
				return CF_OK;
			}
		break;
	case CF_FIELD_TEXT:
	case CF_FIELD_LIST:
		if (strlen(v) > (size_t)f->max || strpbrk(v, "\r\n") != NULL) /* never echoed: it may be a secret */
			return cf_err_set(e, CF_E_INPUT, f->name, "expected %s", f->expect);
		if (f->check != NULL)
			return f->check(f, v, out, cap, e);
		snprintf(out, cap, "%s", v);
		return CF_OK;
	case CF_FIELD_FLAG: out[0] = '\0'; return CF_OK;
	}
	return cf_err_set(e, CF_E_INPUT, f->name, "expected %s, not \"%s\"", f->expect, v);
}

static cf_code keep(cf_store *st, const cf_fieldgroup *g, const cf_field *f, const char *kept, cf_err *e)
{
	char key[128];
	cf_field_key(g, f, "", key, sizeof(key));
	if (f->save != NULL)
		return f->save(st, f, kept, e);
	if (f->kind == CF_FIELD_FLAG)
		return cf_store_setting_set(st, key, NULL, e);
	cf_code rc = cf_store_setting_set(st, key, kept[0] != '\0' ? kept : NULL, e);
	if (rc == CF_OK && f->secret) { /* show says only whether it is set */
		cf_field_key(g, f, "_set", key, sizeof(key));
		rc = cf_store_setting_set(st, key, kept[0] != '\0' ? "yes" : NULL, e);
	}
	return rc;
}

static cf_code apply_once(cf_store *st, const cf_fieldgroup *g, const cf_fieldchange *c, size_t n, char *kept,
			  cf_err *e)
{
	cf_code rc = cf_store_begin(st, e);
	for (size_t i = 0; rc == CF_OK && i < n; i++)
		if ((rc = check_value(c[i].f, c[i].value, kept, CF_FIELD_VALUE_MAX, e)) == CF_OK)
			rc = keep(st, g, c[i].f, kept, e);
	if (rc == CF_OK)
		rc = cf_store_commit(st, e);
	cf_store_rollback(st);
	return rc;
}

cf_code cf_fields_apply(cf_store *st, const cf_fieldgroup *g, const cf_fieldchange *c, size_t n, cf_err *e)
{
	char kept[CF_FIELD_VALUE_MAX];
	cf_code rc = CF_OK;
	for (size_t i = 0; i < n; i++) /* fields that exclude each other, before anything is written */
		for (size_t j = 0; c[i].f->excludes != NULL && j < n; j++)
			if (strcmp(c[j].f->name, c[i].f->excludes) == 0)
				return cf_err_set(e, CF_E_USAGE, c[j].f->name, "give either %s or %s, not both",
						  c[j].f->name, c[i].f->name);
	CF_STORE_WRITE(st, e, rc, apply_once(st, g, c, n, kept, e));
	cf_secret_wipe(kept, sizeof(kept));
	return rc;
}

/* The names of the group's fields, for "not a ... setting" and "no settings given". */
static void field_names(const cf_fieldgroup *g, char *buf, size_t cap)
{
	size_t len = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < g->n && len < cap; i++)
		len += (size_t)snprintf(buf + len, cap - len, "%s%s", i > 0 ? ", " : "", g->fields[i].name);
}

/* One member as the config command's text in out; false with e set when its type is wrong. */
static bool json_value(const cf_field *f, json_t *v, char *out, size_t cap, cf_err *e)
{
	const char *want = NULL;
	size_t len = 0;
	switch (f->kind) {
	case CF_FIELD_BOOL:
	case CF_FIELD_FLAG:
		if (!json_is_boolean(v))
			want = "true or false";
		else
			snprintf(out, cap, "%s", json_is_true(v) ? "on" : "off");
		break;
	case CF_FIELD_INT:
		if (!json_is_integer(v) || json_integer_value(v) < -1000000 || json_integer_value(v) > 1000000)
			want = "a whole number";
		else
			snprintf(out, cap, "%lld", (long long)json_integer_value(v));
		break;
	case CF_FIELD_LIST:
		if (json_is_array(v)) {
			size_t i;
			json_t *a;
			out[0] = '\0';
			json_array_foreach(v, i, a)
			{
				const char *s = json_string_value(a);
				if (s == NULL || !cf_text_clean(s, json_string_length(a)) || strchr(s, ';') != NULL ||
				    len + strlen(s) + 2 >= cap) {
					want = "a string of items separated by ';' or a list of them";
					break;
				}
				len += (size_t)snprintf(out + len, cap - len, "%s%s", i > 0 ? ";" : "", s);
			}
			break;
		}
		__attribute__((fallthrough)); /* a string */
	default:
		if (!json_is_string(v) || json_string_length(v) >= cap ||
		    strlen(json_string_value(v)) != json_string_length(v) ||
		    (!f->secret && !cf_text_clean(json_string_value(v), json_string_length(v))))
			want = "a string on one line";
		else
			snprintf(out, cap, "%s", json_string_value(v));
		break;
	}
	if (want != NULL)
		cf_err_set(e, CF_E_INPUT, f->name, "expected %s", want);
	return want == NULL;
}

cf_code cf_fields_from_json(const cf_fieldgroup *g, json_t *body, cf_fieldchange *out, size_t *n,
			    char (*vals)[CF_FIELD_VALUE_MAX], cf_err *e)
{
	char names[512];
	const char *key;
	json_t *v;
	*n = 0;
	field_names(g, names, sizeof(names));
	json_object_foreach(body, key, v)
	{
		const cf_field *f = cf_field_find(g, key);
		if (f == NULL)
			return cf_err_set(e, CF_E_INPUT, key, "not a %s setting (%s)", g->name, names);
		if (!json_value(f, v, vals[*n], CF_FIELD_VALUE_MAX, e))
			return e->code;
		if ((f->kind == CF_FIELD_FLAG && strcmp(vals[*n], "off") == 0) ||
		    (f->empty_keeps && vals[*n][0] == '\0'))
			continue; /* changes nothing */
		out[*n] = (cf_fieldchange){f, f->kind == CF_FIELD_FLAG ? "" : vals[*n]};
		(*n)++;
	}
	if (*n == 0)
		return cf_err_set(e, CF_E_INPUT, "", "no settings given: send one or more of %s", names);
	return CF_OK;
}

void cf_fields_describe(const cf_fieldchange *c, size_t n, char *buf, size_t cap)
{
	size_t len = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < n && len < cap; i++) {
		const cf_field *f = c[i].f;
		len += (size_t)snprintf(buf + len, cap - len, "%s%s%s%s", i > 0 ? " " : "", f->name,
					f->kind == CF_FIELD_FLAG ? "" : "=",
					f->kind == CF_FIELD_FLAG ? ""
					: f->secret		 ? "(set)"
								 : c[i].value);
	}
}

cf_code cf_fields_load(cf_store *st, const cf_fieldgroup *g, cf_fieldvals *out, cf_err *e)
{
	cf_code rc = CF_OK;
	out->g = g;
	for (size_t i = 0; rc == CF_OK && i < g->n && i < CF_FIELDS_MAX; i++) {
		const cf_field *f = &g->fields[i];
		char key[128], *v = NULL;
		cf_field_key(g, f, f->secret ? "_set" : "", key, sizeof(key)); /* never the secret itself */
		if (f->def_fn != NULL)
			f->def_fn(out->v[i], CF_FIELD_VALUE_MAX);
		else
			snprintf(out->v[i], CF_FIELD_VALUE_MAX, "%s", f->def);
		if (f->load != NULL) {
			rc = f->load(st, f, out->v[i], CF_FIELD_VALUE_MAX, e);
			continue;
		}
		rc = cf_store_setting_get(st, key, &v, e);
		if (rc == CF_OK && v != NULL)
			snprintf(out->v[i], CF_FIELD_VALUE_MAX, "%s", v);
		free(v);
	}
	return rc;
}

const char *cf_fieldvals_text(const cf_fieldvals *v, const char *name)
{
	const cf_field *f = cf_field_find(v->g, name);
	return f != NULL ? v->v[f - v->g->fields] : "";
}

int64_t cf_fieldvals_int(const cf_fieldvals *v, const char *name)
{
	return strtoll(cf_fieldvals_text(v, name), NULL, 10);
}

bool cf_fieldvals_on(const cf_fieldvals *v, const char *name)
{
	return strcmp(cf_fieldvals_text(v, name), "on") == 0;
}

/* A kept value as JSON, by the field's kind. */
static json_t *shown(const cf_field *f, const char *kept)
{
	char text[64];
	int64_t n = strtoll(kept, NULL, 10);
	switch (f->kind) {
	case CF_FIELD_BOOL: return json_boolean(strcmp(kept, "on") == 0);
	case CF_FIELD_FLAG: return json_boolean(kept[0] == '\0');
	case CF_FIELD_INT: return json_integer(n);
	case CF_FIELD_TIME:
		snprintf(text, sizeof(text), "%02d:%02d", (int)(n / 60), (int)(n % 60));
		return json_string(text);
	case CF_FIELD_DURATION: /* in the largest unit that divides it: 1d, 24h, 90m, 45s */
		for (const char *u = f->choices; *u != '\0'; u++)
			if (n % unit_seconds(*u) == 0 || u[1] == '\0') {
				snprintf(text, sizeof(text), "%lld%c", (long long)(n / unit_seconds(*u)), *u);
				break;
			}
		return json_string(text);
	case CF_FIELD_CHOICE:
		for (size_t i = 0; f->stored_as != NULL && word_at(f->stored_as, i, text, sizeof(text)); i++)
			if (strcmp(text, kept) == 0 && word_at(f->choices, i, text, sizeof(text)))
				return json_string(text);
		return json_string(kept);
	case CF_FIELD_LIST: {
		json_t *a = json_array();
		for (const char *p = kept; *p != '\0';) {
			size_t len = strcspn(p, ";");
			json_array_append_new(a, json_stringn(p, len));
			p += len + (p[len] == ';');
		}
		return a;
	}
	case CF_FIELD_TEXT: break;
	}
	return json_string(kept);
}

json_t *cf_fields_show(cf_store *st, const cf_fieldgroup *g, cf_err *e)
{
	cf_fieldvals *v = malloc(sizeof(*v));
	json_t *o = json_object();
	cf_code rc = v == NULL || o == NULL ? cf_err_set(e, CF_E_INTERNAL, g->name, "out of memory")
					    : cf_fields_load(st, g, v, e);
	for (size_t i = 0; rc == CF_OK && i < g->n; i++) {
		const cf_field *f = &g->fields[i];
		if (f->secret) {
			char name[96];
			snprintf(name, sizeof(name), "%s_set", f->name);
			json_object_set_new(o, name, json_boolean(strcmp(v->v[i], "yes") == 0));
		} else {
			json_object_set_new(o, f->name, shown(f, v->v[i]));
		}
	}
	if (rc == CF_OK && g->extend != NULL)
		rc = g->extend(st, o, e);
	free(v);
	if (rc != CF_OK) {
		json_decref(o);
		return NULL;
	}
	return o;
}
