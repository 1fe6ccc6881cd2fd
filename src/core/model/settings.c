#include "core/model/settings.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "core/model/fqdn.h"
#include "core/model/profile.h"
#include "store/store.h"

static const cf_setting settings[] = {
	{"presence-domains", CF_SET_LIST, NULL, "", "IM and Presence domains (cup-xmpp, cup-xmpp-s2s SANs)"},
	{"email-domains", CF_SET_LIST, NULL, "", "e-mail domains for XMPP federation (cup-xmpp-s2s SANs)"},
	{"chat-aliases", CF_SET_LIST, NULL, "", "group chat server aliases / chat node aliases"},
	{"xmpp-federation-wildcards", CF_SET_BOOL, NULL, "off", "write *.domain in cup-xmpp-s2s SANs"},
	{"ucm-registration-domains", CF_SET_LIST, NULL, "", "Unified CM registration domains (Expressway-E SANs)"},
	{"registration-domain-format", CF_SET_ENUM, "dns collab-edge", "dns",
	 "registration domains as D or collab-edge.D"},
	{"xmpp-federation-domains", CF_SET_LIST, NULL, "", "XMPP federation domains (Expressway-E SANs)"},
	{"phone-security-profiles", CF_SET_LIST, NULL, "", "phone security profile names (Expressway-C SANs)"},
	{"additional-names", CF_SET_LIST, NULL, "", "additional alternative names (Expressway SANs)"},
	{"presence-ha", CF_SET_BOOL, NULL, "off", "presence high availability (restart plans disable it first)"},
	{"fqdn", CF_SET_FQDN, NULL, "", "cluster FQDN (Expressway clusters)"},
	{"dn.O", CF_SET_TEXT, NULL, "", "organisation in CSR subjects"},
	{"dn.OU", CF_SET_TEXT, NULL, "", "organisational unit in CSR subjects"},
	{"dn.L", CF_SET_TEXT, NULL, "", "locality in CSR subjects"},
	{"dn.ST", CF_SET_TEXT, NULL, "", "state or province in CSR subjects"},
	{"dn.C", CF_SET_TEXT, NULL, "", "two-letter country code in CSR subjects"},
};

const cf_setting *cf_setting_find(const char *key)
{
	for (size_t i = 0; i < sizeof(settings) / sizeof(settings[0]); i++)
		if (strcmp(settings[i].key, key) == 0)
			return &settings[i];
	return NULL;
}

const cf_setting *cf_setting_next(int *i)
{
	return (size_t)*i < sizeof(settings) / sizeof(settings[0]) ? &settings[(*i)++] : NULL;
}

void cf_setting_list(const char *stored, cf_strv *out)
{
	if (stored != NULL)
		cf_strv_split(out, stored, ",");
}

cf_code cf_setting_parse(const cf_setting *s, char *const *values, size_t n, char **out, cf_err *e)
{
	cf_strv items = {0};
	for (size_t i = 0; i < n; i++)
		cf_strv_split(&items, values[i], s->type == CF_SET_TEXT ? "" : ",");
	cf_code rc = CF_OK;
	*out = NULL;
	if (items.n == 0) {
		if (s->type == CF_SET_LIST || s->type == CF_SET_TEXT || s->type == CF_SET_FQDN)
			goto out;
		rc = cf_err_set(e, CF_E_USAGE, s->key, "needs a value");
		goto out;
	}
	switch (s->type) {
	case CF_SET_LIST: {
		/* every list holds DNS names that end up in SANs: refuse a bad entry now, not at CSR time */
		for (size_t i = 0; i < items.n; i++) {
			const char *why = cf_fqdn_problem(items.v[i]);
			if (why != NULL) {
				rc = cf_err_set(e, CF_E_INPUT, s->key, "\"%s\" is not a valid FQDN: %s", items.v[i],
						why);
				goto out;
			}
		}
		cf_strv uniq = {0};
		for (size_t i = 0; i < items.n; i++)
			cf_strv_push_unique(&uniq, items.v[i]);
		*out = cf_strv_join(&uniq, ",");
		cf_strv_clear(&uniq);
		break;
	}
	case CF_SET_BOOL:
		if (items.n != 1 || (strcmp(items.v[0], "on") != 0 && strcmp(items.v[0], "off") != 0)) {
			rc = cf_err_set(e, CF_E_INPUT, s->key, "must be on or off");
			goto out;
		}
		*out = strdup(items.v[0]);
		break;
	case CF_SET_ENUM:
		if (items.n != 1 || !cf_words_contain(s->choices, items.v[0])) {
			rc = cf_err_set(e, CF_E_INPUT, s->key, "must be one of: %s", s->choices);
			goto out;
		}
		*out = strdup(items.v[0]);
		break;
	case CF_SET_FQDN: {
		const char *why = items.n == 1 ? cf_fqdn_problem(items.v[0]) : "takes one name";
		if (why != NULL) {
			rc = cf_err_set(e, CF_E_INPUT, s->key, "\"%s\" is not a valid FQDN: %s", items.v[0], why);
			goto out;
		}
		*out = strdup(items.v[0]);
		break;
	}
	case CF_SET_TEXT:
		if (items.n != 1) {
			rc = cf_err_set(e, CF_E_INPUT, s->key, "takes one value (quote it)");
			goto out;
		}
		if (strcmp(s->key, "dn.C") == 0 && (strlen(items.v[0]) != 2 || !isalpha((unsigned char)items.v[0][0]) ||
						    !isalpha((unsigned char)items.v[0][1]))) {
			rc = cf_err_set(e, CF_E_INPUT, s->key, "must be a two-letter country code, not \"%s\"",
					items.v[0]);
			goto out;
		}
		*out = strdup(items.v[0]);
		break;
	}
	if (*out == NULL)
		rc = cf_err_set(e, CF_E_INTERNAL, s->key, "out of memory");
out:
	cf_strv_clear(&items);
	return rc;
}
