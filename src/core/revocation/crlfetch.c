/* CRL distribution points: settings, content detection and unpacking, the update (see
 * crlfetch.h). */
#include "core/revocation/crlfetch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/clock.h"
#include "util/unpack.h"

#define DPS "crl.dps"	   /* the configured URLs, one a line */
#define ALARM "crl.alarm " /* + URL: the last failure, "time: why" */
#define ARCHIVE_ENTRIES_MAX 64
#define DOWNLOAD_TIMEOUT 60L

/* ---- what a download holds ------------------------------------------------------------------- */

static bool push_blob(cf_blob **v, size_t *n, const uint8_t *p, size_t len)
{
	cf_blob *nv = realloc(*v, (*n + 1) * sizeof(**v));
	if (nv == NULL)
		return false;
	*v = nv;
	if ((nv[*n].p = malloc(len ? len : 1)) == NULL)
		return false;
	memcpy(nv[*n].p, p, len);
	nv[(*n)++].len = len;
	return true;
}

/* One PEM block of a CRL per blob, or the DER itself. */
static cf_code split_crls(const char *name, const uint8_t *p, size_t len, cf_blob **v, size_t *n, cf_err *e)
{
	static const char begin[] = "-----BEGIN X509 CRL-----", end[] = "-----END X509 CRL-----";
	if (len > 0 && p[0] == 0x30)
		return push_blob(v, n, p, len) ? CF_OK : cf_err_set(e, CF_E_INTERNAL, name, "out of memory");
	size_t found = 0;
	for (const uint8_t *at = p, *stop = p + len;
	     (at = memmem(at, (size_t)(stop - at), begin, sizeof(begin) - 1)) != NULL;) {
		const uint8_t *close = memmem(at, (size_t)(stop - at), end, sizeof(end) - 1);
		if (close == NULL)
			return cf_err_set(e, CF_E_INPUT, name, "a PEM CRL without its END line");
		close += sizeof(end) - 1;
		if (!push_blob(v, n, at, (size_t)(close - at)))
			return cf_err_set(e, CF_E_INTERNAL, name, "out of memory");
		found++;
		at = close;
	}
	return found > 0 ? CF_OK : cf_err_set(e, CF_E_INPUT, name, "holds no CRL (neither DER nor PEM)");
}

/* What unpacking an archive gathers: the CRLs of its files. */
struct gathered {
	const char *name;
	cf_blob **v;
	size_t *n;
};

static cf_code split_file(void *ctx, const uint8_t *data, size_t len, cf_err *e)
{
	struct gathered *g = ctx;
	return split_crls(g->name, data, len, g->v, g->n, e);
}

cf_code cf_crlfetch_unpack(const char *name, const uint8_t *buf, size_t len, cf_blob **out, size_t *n, cf_err *e)
{
	cf_code rc;
	*out = NULL;
	*n = 0;
	if (cf_unpack_is_archive(buf, len)) {
		struct gathered g = {name, out, n};
		rc = cf_unpack_each(name, buf, len, ARCHIVE_ENTRIES_MAX, CF_CRLFETCH_DOWNLOAD_MAX, split_file, &g, e);
		if (rc == CF_OK && *n == 0)
			rc = cf_err_set(e, CF_E_INPUT, name, "an archive without a CRL in it");
	} else {
		rc = split_crls(name, buf, len, out, n, e);
	}
	if (rc != CF_OK) {
		cf_blobs_free(*out, *n);
		*out = NULL;
		*n = 0;
	}
	return rc;
}

void cf_blobs_free(cf_blob *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].p);
	free(v);
}

/* ---- settings ------------------------------------------------------------------------------------ */

static cf_code dps_get(cf_store *st, cf_strv *out, cf_err *e)
{
	char *v = NULL;
	cf_code rc = cf_store_setting_get(st, DPS, &v, e);
	if (rc == CF_OK && v != NULL && v[0] != '\0')
		cf_strv_split(out, v, "\n");
	free(v);
	return rc;
}

static cf_code dps_set_once(cf_store *st, const cf_strv *v, cf_err *e)
{
	char *text = cf_strv_join(v, "\n");
	cf_code rc = cf_store_begin(st, e);
	if (rc == CF_OK)
		rc = cf_store_setting_set(st, DPS, v->n > 0 ? text : NULL, e);
	if (rc == CF_OK)
		rc = cf_store_commit(st, e);
	cf_store_rollback(st);
	free(text);
	return rc;
}

static cf_code dps_set(cf_store *st, const cf_strv *v, cf_err *e)
{
	cf_code rc;
	CF_STORE_WRITE(st, e, rc, dps_set_once(st, v, e));
	return rc;
}

cf_code cf_crlfetch_dp_add(cf_store *st, const char *url, cf_err *e)
{
	cf_strv v = {0};
	if ((strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0) || strlen(url) > 1000 ||
	    strpbrk(url, " \t\r\n\"<>") != NULL)
		return cf_err_set(e, CF_E_INPUT, url, "expected an http:// or https:// URL");
	cf_code rc = dps_get(st, &v, e);
	if (rc == CF_OK && cf_strv_contains(&v, url))
		rc = cf_err_set(e, CF_E_STATE, url, "already a distribution point");
	if (rc == CF_OK) {
		cf_strv_push(&v, url);
		rc = dps_set(st, &v, e);
	}
	cf_strv_clear(&v);
	return rc;
}

cf_code cf_crlfetch_dp_remove(cf_store *st, const char *url, cf_err *e)
{
	cf_strv v = {0}, kept = {0};
	cf_code rc = dps_get(st, &v, e);
	for (size_t i = 0; rc == CF_OK && i < v.n; i++)
		if (strcmp(v.v[i], url) != 0)
			cf_strv_push(&kept, v.v[i]);
	if (rc == CF_OK && kept.n == v.n)
		rc = cf_err_set(e, CF_E_NOTFOUND, url, "not a distribution point");
	if (rc == CF_OK)
		rc = dps_set(st, &kept, e);
	cf_strv_clear(&v);
	cf_strv_clear(&kept);
	return rc;
}

cf_code cf_crlfetch_dp_list(cf_store *st, bool with_cdp, cf_strv *out, cf_err *e)
{
	cf_strv cdp = {0};
	cf_code rc = dps_get(st, out, e);
	if (rc == CF_OK && with_cdp)
		rc = cf_store_cdp_urls(st, &cdp, e);
	for (size_t i = 0; rc == CF_OK && i < cdp.n; i++)
		if (strncmp(cdp.v[i], "http://", 7) == 0 || strncmp(cdp.v[i], "https://", 8) == 0)
			cf_strv_push_unique(out, cdp.v[i]); /* ldap:// and others are not fetched */
	cf_strv_clear(&cdp);
	return rc;
}

/* The daily download's schedule (`crl config`, PUT /crl-schedule). */
static const cf_field schedule_fields[] = {
	{.name = "daily_at",
	 .option = "daily-at",
	 .value = "HH:MM",
	 .kind = CF_FIELD_TIME,
	 .def = "120",
	 .key = "daily_at",
	 .expect = "a UTC time like 02:30",
	 .help = "the time of the download (UTC)"},
	{.name = "use_cdp",
	 .option = "use-cdp",
	 .value = "on|off",
	 .kind = CF_FIELD_BOOL,
	 .def = "off",
	 .key = "use_cdp",
	 .expect = "on or off",
	 .help = "download the certificates' own distribution points too"},
};

const cf_fieldgroup cf_crlfetch_schedule_fields = {"CRL schedule",
						   "crl config",
						   "CRL schedule",
						   "crl.",
						   schedule_fields,
						   sizeof(schedule_fields) / sizeof(schedule_fields[0]),
						   NULL};

cf_code cf_crlfetch_schedule_get(cf_store *st, cf_crlfetch_schedule *out, cf_err *e)
{
	cf_fieldvals *v = malloc(sizeof(*v));
	if (v == NULL)
		return cf_err_set(e, CF_E_INTERNAL, "crl", "out of memory");
	cf_code rc = cf_fields_load(st, &cf_crlfetch_schedule_fields, v, e);
	out->daily_at = (int)cf_fieldvals_int(v, "daily_at");
	out->use_cdp = cf_fieldvals_on(v, "use_cdp");
	free(v);
	return rc;
}

/* ---- the update ---------------------------------------------------------------------------------- */

static cf_code set_alarm(cf_store *st, const char *url, const char *why, int64_t now, cf_err *e)
{
	char key[1100], value[1800], at[32];
	snprintf(key, sizeof(key), ALARM "%s", url);
	if (why != NULL) {
		cf_time_rfc3339(now, at);
		snprintf(value, sizeof(value), "%s: %s", at, why);
	}
	return cf_store_setting_set(st, key, why != NULL ? value : NULL, e);
}

/* One URL: download, unpack, import each CRL; the result line in f. */
static void update_one(cf_store *st, int64_t now, cf_crlfetch_fn fetch, cf_crlfetch_result *f)
{
	uint8_t *buf = NULL;
	size_t len = 0, n = 0, kept = 0, older = 0;
	cf_blob *blobs = NULL;
	cf_err e = {0};
	f->rc = fetch(f->url, CF_CRLFETCH_DOWNLOAD_MAX, DOWNLOAD_TIMEOUT, &buf, &len, &e);
	if (f->rc == CF_OK)
		f->rc = cf_crlfetch_unpack(f->url, buf, len, &blobs, &n, &e);
	for (size_t i = 0; f->rc == CF_OK && i < n; i++) {
		cf_revocation_crl_imported im;
		f->rc = cf_revocation_crl_import(st, f->url, blobs[i].p, blobs[i].len, f->url, now, &im, &e);
		kept += f->rc == CF_OK && !im.not_newer;
		older += f->rc == CF_OK && im.not_newer;
		cf_crlrow_free(&im.row);
	}
	if (f->rc == CF_OK)
		snprintf(f->message, sizeof(f->message), "%zu CRL%s: %zu kept, %zu no newer than the one kept", n,
			 n == 1 ? "" : "s", kept, older);
	else
		snprintf(f->message, sizeof(f->message), "%s%s%s (the last good CRL stays in use)",
			 strcmp(e.subject, f->url) != 0 ? e.subject : "", strcmp(e.subject, f->url) != 0 ? ": " : "",
			 e.message);
	cf_err ae = {0};
	set_alarm(st, f->url, f->rc == CF_OK ? NULL : f->message, now, &ae);
	cf_blobs_free(blobs, n);
	free(buf);
}

cf_code cf_crlfetch_update(cf_store *st, int64_t now, cf_crlfetch_fn fetch, cf_crlfetch_result **out, size_t *n,
			   cf_err *e)
{
	cf_crlfetch_schedule sched;
	cf_strv urls = {0};
	cf_code rc = cf_crlfetch_schedule_get(st, &sched, e);
	if (rc == CF_OK)
		rc = cf_crlfetch_dp_list(st, sched.use_cdp, &urls, e);
	*out = NULL;
	*n = 0;
	if (rc == CF_OK && urls.n > 0 && (*out = calloc(urls.n, sizeof(**out))) == NULL)
		rc = cf_err_set(e, CF_E_INTERNAL, "crl", "out of memory");
	for (size_t i = 0; rc == CF_OK && i < urls.n; i++) {
		(*out)[i].url = strdup(urls.v[i]);
		update_one(st, now, fetch, &(*out)[i]);
		(*n)++;
	}
	cf_strv_clear(&urls);
	return rc;
}

void cf_crlfetch_results_free(cf_crlfetch_result *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].url);
	free(v);
}

static void add_alarm(void *ctx, const char *key, const char *value)
{
	cf_strv_pushf(ctx, "%s: %s", key + strlen(ALARM), value);
}

cf_code cf_crlfetch_alarms(cf_store *st, cf_strv *out, cf_err *e)
{
	return cf_store_settings_each(st, ALARM, add_alarm, out, e);
}
