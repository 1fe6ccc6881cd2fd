/* ACME accounts (see account.h). */
#include "core/acme/account.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/acme/client.h"
#include "core/admin/accounts.h"
#include "util/b64url.h"
#include "util/clock.h"
#include "util/secret.h"
#include "util/text.h"

#define DEFAULT_KEY "ec:prime256v1"
#define EMAIL_MAX 254

cf_code cf_acme_account_check_name(const char *name, cf_err *e)
{
	cf_code rc = cf_account_check_name(name, e); /* the rule of user names */
	if (rc != CF_OK)
		cf_err_subject(e, "account name");
	return rc;
}

/* An e-mail address as a contact: one '@' with text on both sides, printable ASCII, no spaces
 * or the characters a mailto: URL would need escaped. */
static cf_code check_email(const char *s, cf_err *e)
{
	const char *at = strchr(s, '@');
	size_t len = strlen(s);
	bool ok = len > 2 && len <= EMAIL_MAX && at != NULL && at != s && at[1] != '\0' && strchr(at + 1, '@') == NULL;
	for (const char *p = s; ok && *p != '\0'; p++)
		ok = *p > ' ' && *p < 0x7f && strchr("\"(),:;<>[\\]%?#", *p) == NULL;
	return ok ? CF_OK : cf_err_set(e, CF_E_INPUT, "email", "not an e-mail address");
}

/* The spec checked before anything is sent; the CA file made absolute into abs. */
static cf_code check_spec(const cf_acme_account_spec *s, char abs[PATH_MAX], cf_keyspec *ks, cf_err *e)
{
	cf_code rc = cf_acme_account_check_name(s->name, e);
	if (rc != CF_OK)
		return rc;
	if (s->directory == NULL || strncmp(s->directory, "https://", 8) != 0 || s->directory[8] == '\0' ||
	    !cf_text_clean(s->directory, strlen(s->directory)) || strchr(s->directory, ' ') != NULL)
		return cf_err_set(e, CF_E_INPUT, "directory", "must be an https:// URL");
	if (s->email != NULL && (rc = check_email(s->email, e)) != CF_OK)
		return rc;
	if (!s->agree_tos)
		return cf_err_set(e, CF_E_INPUT, "terms of service",
				  "an ACME account needs the CA's terms of service agreed to");
	if ((s->eab_kid == NULL) != (s->eab_hmac == NULL))
		return cf_err_set(e, CF_E_INPUT, "external account binding", "needs both the key id and the MAC key");
	abs[0] = '\0';
	if (s->ca_file != NULL) {
		if (realpath(s->ca_file, abs) == NULL || access(abs, R_OK) != 0)
			return cf_err_set(e, CF_E_INPUT, s->ca_file, "cannot read the CA file");
	}
	return cf_keyspec_parse(s->key != NULL ? s->key : DEFAULT_KEY, ks, e);
}

static cf_code add_once(cf_store *st, const cf_audit_actor *a, cf_acmeaccount *row, cf_err *e)
{
	cf_code rc = cf_store_begin(st, e);
	if (rc != CF_OK)
		return rc;
	rc = cf_store_acme_account_add(st, row, e);
	if (rc == CF_OK)
		cf_store_audit_pending(st, a->account, a->client, "acme account add", row->name);
	return cf_store_finish(st, rc, e);
}

cf_code cf_acme_account_add(cf_store *st, const cf_transport *t, const cf_audit_actor *a,
			    const cf_acme_account_spec *spec, cf_acmeaccount *out, cf_err *e)
{
	char abs[PATH_MAX];
	cf_keyspec ks;
	cf_acmeaccount have = {0};
	cf_code rc = check_spec(spec, abs, &ks, e);
	if (rc != CF_OK)
		return rc;
	/* a taken name is refused before the CA is asked */
	rc = cf_store_acme_account_get(st, spec->name, false, &have, e);
	cf_acmeaccount_free(&have);
	if (rc == CF_OK)
		return cf_err_set(e, CF_E_STATE, spec->name, "an ACME account of that name already exists");
	if (rc != CF_E_NOTFOUND)
		return rc;
	cf_err_clear(e);

	uint8_t *mac = NULL;
	size_t mac_len = 0;
	if (spec->eab_hmac != NULL &&
	    (!cf_b64url_decode(spec->eab_hmac, strlen(spec->eab_hmac), &mac, &mac_len) || mac_len < 16))
		return cf_err_set(e, CF_E_INPUT, "eab-hmac", "the MAC key must be base64url, at least 16 bytes");
	cf_acme_client *c = NULL;
	cf_key *key = NULL;
	char *pem = NULL;
	rc = cf_acme_client_open(t, spec->directory, abs[0] ? abs : NULL, &c, e);
	const cf_acme_directory *dir = rc == CF_OK ? cf_acme_client_directory(c) : NULL;
	if (rc == CF_OK && dir->eab_required && spec->eab_kid == NULL)
		rc = cf_err_set(e, CF_E_INPUT, spec->directory,
				"the CA requires an external account binding: give its key id and MAC key");
	if (rc == CF_OK && (rc = cf_key_generate(&ks, &key, e)) == CF_OK && (pem = cf_key_pem(key)) == NULL)
		rc = cf_err_set(e, CF_E_INTERNAL, NULL, "out of memory");
	if (rc == CF_OK)
		rc = cf_acme_client_use(c, key, NULL, e);
	if (rc == CF_OK) {
		cf_acme_newaccount na = {.email = spec->email,
					 .agree_tos = spec->agree_tos,
					 .eab_kid = spec->eab_kid,
					 .eab_mac = mac,
					 .eab_mac_len = mac_len};
		rc = cf_acme_register(c, &na, e);
	}
	if (rc == CF_OK) {
		cf_acmeaccount row = {.name = (char *)spec->name,
				      .directory = (char *)spec->directory,
				      .ca_file = abs,
				      .email = (char *)(spec->email ? spec->email : ""),
				      .terms = dir->terms_of_service ? dir->terms_of_service : "",
				      .kid = (char *)cf_acme_client_kid(c),
				      .eab_kid = (char *)(spec->eab_kid ? spec->eab_kid : ""),
				      .key_pem = pem,
				      .created = cf_clock_now()};
		CF_STORE_WRITE(st, e, rc, add_once(st, a, &row, e));
		if (rc == CF_OK)
			rc = cf_store_acme_account_get(st, spec->name, false, out, e);
	}
	if (mac != NULL)
		cf_secret_wipe(mac, mac_len);
	free(mac);
	cf_secret_free(pem);
	cf_key_free(key);
	cf_acme_client_free(c);
	return rc;
}

cf_code cf_acme_account_open(cf_store *st, const cf_transport *t, const char *name, cf_acmeaccount *acct, cf_key **key,
			     cf_acme_client **client, cf_err *e)
{
	*key = NULL;
	*client = NULL;
	cf_code rc = cf_store_acme_account_get(st, name, true, acct, e);
	if (rc != CF_OK)
		return rc;
	if (acct->key_pem == NULL)
		rc = cf_err_set(e, CF_E_INTERNAL, NULL, "out of memory");
	else
		rc = cf_key_parse(name, (const uint8_t *)acct->key_pem, strlen(acct->key_pem), key, e);
	if (rc == CF_OK)
		rc = cf_acme_client_open(t, acct->directory, acct->ca_file[0] ? acct->ca_file : NULL, client, e);
	if (rc == CF_OK)
		rc = cf_acme_client_use(*client, *key, acct->kid, e);
	cf_secret_free(acct->key_pem);
	acct->key_pem = NULL;
	if (rc != CF_OK) {
		cf_acme_client_free(*client);
		cf_key_free(*key);
		*client = NULL;
		*key = NULL;
		cf_acmeaccount_free(acct);
	}
	return rc;
}

static cf_code next_key_once(cf_store *st, const char *name, const char *pem, cf_err *e)
{
	cf_code rc = cf_store_begin(st, e);
	if (rc == CF_OK)
		rc = cf_store_acme_account_next_key(st, name, pem, e);
	return cf_store_finish(st, rc, e);
}

static cf_code roll_once(cf_store *st, const cf_audit_actor *a, const char *name, cf_err *e)
{
	cf_code rc = cf_store_begin(st, e);
	if (rc != CF_OK)
		return rc;
	rc = cf_store_acme_account_roll(st, name, cf_clock_now(), e);
	if (rc == CF_OK)
		cf_store_audit_pending(st, a->account, a->client, "acme account rollover", name);
	return cf_store_finish(st, rc, e);
}

/* Whether the CA has this account under key (a rollover the CA took before a crash). */
static cf_code ca_has(cf_acme_client *c, const cf_key *key, const char *kid, bool *has, cf_err *e)
{
	bool found = false;
	cf_code rc = cf_acme_client_use(c, key, NULL, e);
	if (rc == CF_OK)
		rc = cf_acme_lookup(c, &found, e);
	*has = rc == CF_OK && found && strcmp(cf_acme_client_kid(c), kid) == 0;
	return rc;
}

cf_code cf_acme_account_rollover(cf_store *st, const cf_transport *t, const cf_audit_actor *a, const char *name,
				 bool *recovered, cf_err *e)
{
	cf_acmeaccount acct = {0}, keys = {0};
	cf_key *old = NULL, *next = NULL;
	cf_acme_client *c = NULL;
	char *pem = NULL;
	*recovered = false;
	cf_code rc = cf_acme_account_open(st, t, name, &acct, &old, &c, e);
	if (rc != CF_OK)
		return rc;
	if ((rc = cf_store_acme_account_get(st, name, true, &keys, e)) == CF_OK && keys.next_key_pem != NULL &&
	    keys.next_key_pem[0] != '\0' &&
	    cf_key_parse(name, (const uint8_t *)keys.next_key_pem, strlen(keys.next_key_pem), &next, NULL) == CF_OK) {
		bool has = false;
		rc = ca_has(c, next, acct.kid, &has, e);
		if (rc == CF_OK && has) {
			*recovered = true;
			CF_STORE_WRITE(st, e, rc, roll_once(st, a, name, e));
			goto out;
		}
		cf_key_free(next);
		next = NULL;
		if (rc == CF_OK)
			rc = cf_acme_client_use(c, old, acct.kid, e);
	}
	cf_acmeaccount_free(&keys);
	if (rc != CF_OK)
		goto out;
	/* a key of the same kind, kept before the CA hears of it */
	cf_keyspec ks = {.type = cf_key_type(old)};
	const char *spec = ks.type == CF_KEY_RSA ? "rsa:2048" : "ec:prime256v1";
	if ((rc = cf_keyspec_parse(spec, &ks, e)) != CF_OK || (rc = cf_key_generate(&ks, &next, e)) != CF_OK)
		goto out;
	if ((pem = cf_key_pem(next)) == NULL) {
		rc = cf_err_set(e, CF_E_INTERNAL, NULL, "out of memory");
		goto out;
	}
	CF_STORE_WRITE(st, e, rc, next_key_once(st, name, pem, e));
	if (rc == CF_OK)
		rc = cf_acme_key_change(c, next, e);
	if (rc == CF_OK)
		CF_STORE_WRITE(st, e, rc, roll_once(st, a, name, e));
out:
	cf_acmeaccount_free(&keys);
	cf_acmeaccount_free(&acct);
	cf_secret_free(pem);
	cf_key_free(next);
	cf_key_free(old);
	cf_acme_client_free(c);
	return rc;
}

static cf_code kid_once(cf_store *st, const cf_audit_actor *a, const char *name, const char *kid, cf_err *e)
{
	cf_code rc = cf_store_begin(st, e);
	if (rc != CF_OK)
		return rc;
	rc = cf_store_acme_account_set_kid(st, name, kid, e);
	if (rc == CF_OK)
		cf_store_audit_pending(st, a->account, a->client, "acme account register", name);
	return cf_store_finish(st, rc, e);
}

cf_code cf_acme_account_reregister(cf_store *st, const cf_audit_actor *a, cf_acme_client *c, const cf_acmeaccount *acct,
				   cf_err *e)
{
	/* the terms were agreed to when the account was made; the CA's binding key is not kept, so
	 * a CA that requires one needs the account added again */
	cf_acme_newaccount na = {.email = acct->email[0] ? acct->email : NULL, .agree_tos = true};
	cf_code rc = cf_acme_register(c, &na, e);
	if (rc == CF_OK)
		CF_STORE_WRITE(st, e, rc, kid_once(st, a, acct->name, cf_acme_client_kid(c), e));
	return rc;
}
