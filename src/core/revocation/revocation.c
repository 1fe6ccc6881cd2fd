/* Revocation settings, CRL import and the CRL source of validation (see revocation.h). */
#include "core/revocation/revocation.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crl.h"
#include "util/clock.h"
#include "util/fileio.h"
#include "util/grow.h"
#include "util/text.h"

#define KEY "revocation."

/* ---- settings ----------------------------------------------------------------------------------- */

/* ocsp_uri: an http:// or https:// URL. */
static cf_code check_uri(const cf_field *f, const char *v, char *out, size_t cap, cf_err *e)
{
	if (strncmp(v, "http://", 7) != 0 && strncmp(v, "https://", 8) != 0)
		return cf_err_set(e, CF_E_INPUT, f->name, "expected an http:// or https:// URL, not \"%s\"", v);
	if (strpbrk(v, " \t\"<>") != NULL)
		return cf_err_set(e, CF_E_INPUT, f->name, "not a URL: \"%s\"", v);
	snprintf(out, cap, "%s", v);
	return CF_OK;
}

/* The revocation settings (`revocation config`, PUT /revocation). */
static const cf_field revocation_fields[] = {
	{.name = "ocsp",
	 .option = "ocsp",
	 .value = "on|off",
	 .kind = CF_FIELD_BOOL,
	 .def = "off",
	 .key = "ocsp",
	 .expect = "on or off",
	 .help = "ask OCSP"},
	{.name = "ocsp_uri",
	 .option = "ocsp-uri",
	 .value = "URL",
	 .kind = CF_FIELD_TEXT,
	 .max = 511,
	 .def = "",
	 .empty_keeps = true,
	 .key = "ocsp_uri",
	 .expect = "an http:// or https:// URL",
	 .help = "this responder for every certificate",
	 .check = check_uri},
	{.name = "ocsp_from_cert",
	 .option = "ocsp-from-cert",
	 .kind = CF_FIELD_FLAG,
	 .def = "",
	 .excludes = "ocsp_uri",
	 .key = "ocsp_uri",
	 .help = "each certificate's own responder (AIA)"},
	{.name = "check",
	 .option = "check",
	 .value = "on|off",
	 .kind = CF_FIELD_BOOL,
	 .def = "on",
	 .key = "check",
	 .expect = "on or off",
	 .help = "check revocation"},
	{.name = "interval",
	 .option = "interval",
	 .value = "Nh|Nm|Ns",
	 .kind = CF_FIELD_DURATION,
	 .min = 10,
	 .max = 8760L * 3600,
	 .choices = "hms",
	 .def = "86400",
	 .key = "interval",
	 .expect = "hours like 12h (or 30m, 90s; 10s to 8760h)",
	 .help = "between checks of the stored certificates"},
	{.name = "strict",
	 .option = "strict",
	 .value = "on|off",
	 .kind = CF_FIELD_BOOL,
	 .def = "off",
	 .key = "strict",
	 .expect = "on or off",
	 .help = "unknown fails like revoked"},
	{.name = "fallback",
	 .option = "fallback",
	 .value = "revoked|not-revoked",
	 .kind = CF_FIELD_CHOICE,
	 .choices = "revoked not-revoked",
	 .stored_as = "on off",
	 .def = "off",
	 .key = "fallback_revoked",
	 .expect = "revoked or not-revoked",
	 .help = "what no status at all counts as"},
	{.name = "timeout",
	 .option = "timeout",
	 .value = "S",
	 .kind = CF_FIELD_INT,
	 .min = 1,
	 .max = 300,
	 .def = "10",
	 .key = "timeout",
	 .expect = "1 to 300 seconds",
	 .help = "seconds per OCSP request"},
};

const cf_fieldgroup cf_revocation_fields = {
	"revocation", "revocation config", "revocation settings",
	KEY,	      revocation_fields,   sizeof(revocation_fields) / sizeof(revocation_fields[0]),
	NULL};

cf_code cf_revocation_settings_get(cf_store *st, cf_revocation_settings *out, cf_err *e)
{
	cf_fieldvals *v = malloc(sizeof(*v));
	memset(out, 0, sizeof(*out));
	if (v == NULL)
		return cf_err_set(e, CF_E_INTERNAL, "revocation", "out of memory");
	cf_code rc = cf_fields_load(st, &cf_revocation_fields, v, e);
	snprintf(out->ocsp_uri, sizeof(out->ocsp_uri), "%s", cf_fieldvals_text(v, "ocsp_uri"));
	out->ocsp = cf_fieldvals_on(v, "ocsp");
	out->check = cf_fieldvals_on(v, "check");
	out->strict = cf_fieldvals_on(v, "strict");
	out->fallback_revoked = cf_fieldvals_on(v, "fallback");
	out->interval = cf_fieldvals_int(v, "interval");
	out->timeout = (int)cf_fieldvals_int(v, "timeout");
	free(v);
	return rc;
}

/* ---- import ------------------------------------------------------------------------------------ */

typedef struct issuer_search {
	const cf_crl *crl;
	bool found, verified;
	cf_err why; /* the last verification failure */
} issuer_search;

static int try_issuer(void *ctx, const uint8_t *der, size_t len)
{
	issuer_search *s = ctx;
	cf_cert *c = cf_cert_from_der(der, len);
	s->found = true;
	if (c != NULL && cf_crl_verify(s->crl, c, &s->why) == CF_OK)
		s->verified = true;
	cf_cert_free(c);
	return s->verified ? 1 : 0; /* stop at the first that verifies */
}

/* Whether CRL a is newer than b: by CRL number (as a hex integer), then thisUpdate. */
static bool newer(const char *num_a, int64_t this_a, const char *num_b, int64_t this_b)
{
	size_t la = strlen(num_a), lb = strlen(num_b);
	if (la > 0 && lb > 0 && (la != lb || strcmp(num_a, num_b) != 0))
		return la != lb ? la > lb : strcmp(num_a, num_b) > 0;
	return this_a > this_b;
}

/* For a download: whether a CRL of the issuer at least as new is kept already. */
static cf_code have_newer(cf_store *st, const cf_crl_info *info, bool *out, cf_err *e)
{
	cf_crlrow *v = NULL;
	size_t n = 0;
	cf_code rc = cf_store_crls(st, info->issuer_hash, 0, &v, &n, e);
	*out = false;
	for (size_t i = 0; rc == CF_OK && i < n; i++)
		if (!newer(info->number, info->this_update, v[i].number, v[i].this_update))
			*out = true;
	cf_crlrows_free(v, n);
	return rc;
}

static cf_code crl_import_once(cf_store *st, const char *name, const uint8_t *buf, size_t len, const char *source,
			       int64_t now, cf_revocation_crl_imported *out, cf_err *e)
{
	cf_crl *crl = NULL;
	cf_crl_info info;
	issuer_search s = {0};
	bool manual = strcmp(source, "manual") == 0;
	memset(out, 0, sizeof(*out));
	if (len >= CF_INPUT_MAX)
		return cf_err_set(e, CF_E_INPUT, name, "a CRL of 16 MiB or more is not accepted");
	cf_code rc = cf_crl_parse(name, buf, len, &crl, e);
	if (rc != CF_OK)
		return rc;
	cf_crl_info_get(crl, &info);
	s.crl = crl;
	rc = cf_store_trust_by_subject(st, info.issuer, try_issuer, &s, e);
	if (rc == 1)
		rc = CF_OK; /* stopped at the issuer that verified it */
	if (rc == CF_OK && !s.found)
		rc = cf_err_set(e, CF_E_INPUT, name, "its issuer \"%s\" is in no trust store; add the CA first",
				info.issuer);
	else if (rc == CF_OK && !s.verified)
		rc = cf_err_set(e, CF_E_INPUT, name, "the signature does not verify with the key of \"%s\": %s",
				info.issuer, s.why.message);
	else if (rc == CF_OK && info.number[0] == '\0') /* which CRL is newer cannot be told without it */
		rc = cf_err_set(e, CF_E_INPUT, name,
				"the CRL of \"%s\" has no cRLNumber, which RFC 5280 (5.2.3) requires of every CRL "
				"issuer; have the CA issue numbered CRLs",
				info.issuer);
	cf_crlrow *row = &out->row;
	if (rc == CF_OK) {
		*row = (cf_crlrow){.issuer = strdup(info.issuer),
				   .issuer_hash = strdup(info.issuer_hash),
				   .this_update = info.this_update,
				   .next_update = info.next_update,
				   .number = strdup(info.number),
				   .entries = (int64_t)info.entries,
				   .source = strdup(source),
				   .added = now};
		out->expired = info.next_update != 0 && info.next_update < now;
		rc = cf_crl_to_der(name, buf, len, &row->der, &row->der_len, e); /* a PEM upload is kept as DER */
		if (rc == CF_OK) /* and the parsed form beside it: a load reads that, without the walk */
			rc = cf_crl_to_index(crl, &row->idx, &row->idx_len, e);
	}
	if (rc == CF_OK)
		rc = cf_store_begin(st, e);
	if (rc == CF_OK && !manual)
		rc = have_newer(st, &info, &out->not_newer, e);
	/* a manual upload replaces the previous manual one; a newer download the older ones from its URL */
	if (rc == CF_OK && !out->not_newer)
		rc = cf_store_crl_delete_source(st, row->issuer_hash, source, e);
	if (rc == CF_OK && !out->not_newer)
		rc = cf_store_crl_insert(st, row, e);
	if (rc == CF_OK)
		rc = cf_store_commit(st, e);
	cf_store_rollback(st);
	free(row->der);
	free(row->idx);
	row->der = row->idx = NULL;
	row->der_len = row->idx_len = 0;
	cf_crl_free(crl);
	return rc;
}

cf_code cf_revocation_crl_import(cf_store *st, const char *name, const uint8_t *buf, size_t len, const char *source,
				 int64_t now, cf_revocation_crl_imported *out, cf_err *e)
{
	cf_code rc;
	CF_STORE_WRITE_RESETTING(st, e, rc, crl_import_once(st, name, buf, len, source, now, out, e),
				 (cf_crlrow_free(&out->row), memset(out, 0, sizeof(*out))));
	return rc;
}

/* ---- the CRL source --------------------------------------------------------------------------- */

struct cf_crlset {
	cf_crl **crls; /* the newest of each issuer */
	cf_crl_info *info;
	_Atomic(const cf_cert *) *verified_by; /* the issuer object each was last checked against */
	size_t n;
	cf_revocation_settings settings;
	cf_crlset_origin origin;
};

/* Whether the facts a CRL read from its index gives agree with its row's (an index that reads
 * back but belongs to another row is no better than a damaged one). */
static bool agrees(const cf_crl_info *info, const cf_crlrow *row)
{
	return strcmp(info->issuer, row->issuer) == 0 && strcmp(info->issuer_hash, row->issuer_hash) == 0 &&
	       strcmp(info->number, row->number) == 0 && info->this_update == row->this_update &&
	       info->next_update == row->next_update && (int64_t)info->entries == row->entries;
}

/* One stored CRL (its row borrowed): from its index when that reads back and agrees with the row,
 * else by walking the DER (a row kept before schema 7, or a damaged index: the CRL is not lost),
 * reading the DER now when the row came without it. *out NULL: the row is gone since it was
 * listed. */
static cf_code load_row(cf_store *st, const cf_crlrow *row, cf_crl **out, cf_crlset_origin *origin, cf_err *e)
{
	char name[32];
	cf_crl_info info;
	*out = NULL;
	snprintf(name, sizeof(name), "CRL %lld", (long long)row->id);
	if (row->idx != NULL) {
		cf_crl *c = NULL;
		if (cf_crl_from_index(name, row->idx, row->idx_len, &c, NULL) == CF_OK) {
			cf_crl_info_get(c, &info);
			if (agrees(&info, row)) {
				origin->indexed++;
				*out = c;
				return CF_OK;
			}
			cf_crl_free(c);
		}
		origin->damaged++;
	}
	uint8_t *der = NULL;
	size_t der_len = 0;
	if (row->der == NULL) {
		cf_code rc = cf_store_crl_der(st, row->id, &der, &der_len, e);
		if (rc != CF_OK)
			return rc == CF_E_NOTFOUND ? CF_OK : rc;
	}
	origin->walked++;
	cf_code rc = cf_crl_parse(name, der != NULL ? der : row->der, der != NULL ? der_len : row->der_len, out, e);
	free(der);
	return rc;
}

typedef struct crlset_loader {
	cf_store *st;
	cf_crlset *s;
	size_t cap[3]; /* of s->crls, s->info, s->verified_by */
	cf_err *e;
} crlset_loader;

/* Keeps c (taken) when it is the newest CRL of its issuer so far: by CRL number, then thisUpdate. */
static cf_code keep_newest(crlset_loader *l, cf_crl *c)
{
	cf_crlset *s = l->s;
	cf_crl_info info;
	cf_crl_info_get(c, &info);
	size_t k = 0;
	while (k < s->n && strcmp(s->info[k].issuer_hash, info.issuer_hash) != 0)
		k++;
	if (k == s->n) {
		if (cf_grow(&s->crls, &l->cap[0], k, sizeof(*s->crls)) != 0 ||
		    cf_grow(&s->info, &l->cap[1], k, sizeof(*s->info)) != 0 ||
		    cf_grow((void *)&s->verified_by, &l->cap[2], k, sizeof(*s->verified_by)) != 0) {
			cf_crl_free(c);
			return cf_err_set(l->e, CF_E_INTERNAL, "crl", "out of memory");
		}
		s->crls[k] = c;
		s->info[k] = info;
		atomic_init(&s->verified_by[k], NULL);
		s->n++;
	} else if (newer(info.number, info.this_update, s->info[k].number, s->info[k].this_update)) {
		cf_crl_free(s->crls[k]);
		s->crls[k] = c;
		s->info[k] = info;
	} else {
		cf_crl_free(c);
	}
	return CF_OK;
}

/* cf_store_crl_each's callback: one row into the set. */
static int load_one(void *ctx, const cf_crlrow *row)
{
	crlset_loader *l = ctx;
	cf_crl *c = NULL;
	cf_code rc = load_row(l->st, row, &c, &l->s->origin, l->e);
	return rc == CF_OK && c != NULL ? keep_newest(l, c) : rc;
}

cf_code cf_crlset_load(cf_store *st, const char *issuer_hash, cf_crlset **out, cf_err *e)
{
	cf_crlset *s = calloc(1, sizeof(*s));
	if (s == NULL)
		return cf_err_set(e, CF_E_INTERNAL, "crl", "out of memory");
	crlset_loader l = {.st = st, .s = s, .e = e};
	cf_code rc = cf_revocation_settings_get(st, &s->settings, e);
	/* the rows one at a time, their blobs borrowed: a 12 MB index is not copied before it is read */
	if (rc == CF_OK)
		rc = cf_store_crl_each(st, issuer_hash, CF_CRLS_IDX | CF_CRLS_DER_NO_IDX, load_one, &l, e);
	if (rc != CF_OK) {
		cf_crlset_free(s);
		return rc;
	}
	*out = s;
	return CF_OK;
}

void cf_crlset_origin_get(const cf_crlset *s, cf_crlset_origin *out)
{
	*out = s->origin;
}

void cf_crlset_free(cf_crlset *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->n; i++)
		cf_crl_free(s->crls[i]);
	free(s->crls);
	free(s->info);
	free((void *)s->verified_by);
	free(s);
}

/* The newest CRL of the issuer with this name hash whose signature verifies with issuer (NULL:
 * not checked again); -1 when there is none. A batch asks about one issuer object many times:
 * the check is made once for it. */
static long find(const cf_crlset *s, const char *hash, const cf_cert *issuer)
{
	for (size_t i = 0; hash[0] != '\0' && i < s->n; i++) {
		if (strcmp(s->info[i].issuer_hash, hash) != 0)
			continue;
		if (issuer == NULL || atomic_load(&s->verified_by[i]) == issuer)
			return (long)i;
		if (cf_crl_verify(s->crls[i], issuer, NULL) == CF_OK) {
			atomic_store(&s->verified_by[i], issuer);
			return (long)i;
		}
	}
	return -1;
}

static cf_revstatus status_of(const cf_crlset *s, long i, const cf_cert *cert, int64_t now, char *msg, size_t msg_len)
{
	char when[32];
	int64_t at = 0;
	if (i < 0) {
		snprintf(msg, msg_len, "no CRL for the issuer");
		return CF_REV_UNKNOWN;
	}
	const cf_crl_info *info = &s->info[i];
	if (info->next_update != 0 && info->next_update < now) {
		cf_time_rfc3339(info->next_update, when);
		snprintf(msg, msg_len, "the CRL of \"%s\" expired on %s: its certificates are invalid until a new one",
			 info->issuer, when);
		return CF_REV_CRL_EXPIRED;
	}
	if (cf_crl_revokes(s->crls[i], cert, &at)) {
		cf_time_rfc3339(at, when);
		snprintf(msg, msg_len, "revoked on %s (CRL of \"%s\")", when, info->issuer);
		return CF_REV_REVOKED;
	}
	snprintf(msg, msg_len, "not on the CRL of \"%s\" (%zu entries)", info->issuer, info->entries);
	return CF_REV_GOOD;
}

cf_revstatus cf_crlset_lookup(const cf_crlset *s, const cf_cert *cert, int64_t now, char *msg, size_t msg_len)
{
	char hash[65];
	cf_crl_cert_issuer_hash(cert, hash);
	return status_of(s, find(s, hash, NULL), cert, now, msg, msg_len);
}

static int hex_digit(char ch)
{
	return ch >= '0' && ch <= '9'	? ch - '0'
	       : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
	       : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10
					: -1;
}

cf_revstatus cf_crlset_lookup_facts(const cf_crlset *s, const char *issuer, const char *serial_hex, int64_t now)
{
	uint8_t serial[32];
	size_t len = strlen(serial_hex), n = 0, at = 0;
	if (len == 0 || len > 2 * sizeof(serial))
		return CF_REV_UNKNOWN;
	while (at < len) { /* an odd number of digits starts with a half octet */
		int hi = at == 0 && len % 2 ? 0 : hex_digit(serial_hex[at++]), lo = hex_digit(serial_hex[at++]);
		if (hi < 0 || lo < 0)
			return CF_REV_UNKNOWN;
		serial[n++] = (uint8_t)(hi << 4 | lo);
	}
	for (size_t i = 0; i < s->n; i++) {
		if (strcmp(s->info[i].issuer, issuer) != 0)
			continue;
		if (s->info[i].next_update != 0 && s->info[i].next_update < now)
			return CF_REV_CRL_EXPIRED;
		return cf_crl_revoked(s->crls[i], serial, n, NULL) ? CF_REV_REVOKED : CF_REV_GOOD;
	}
	return CF_REV_UNKNOWN;
}

bool cf_crlset_signed_expired(const cf_crlset *s, const cf_cert *ca, int64_t now, char *msg, size_t msg_len)
{
	char hash[65], when[32];
	cf_crl_cert_subject_hash(ca, hash);
	long i = find(s, hash, ca);
	if (i < 0 || s->info[i].next_update == 0 || s->info[i].next_update >= now)
		return false;
	cf_time_rfc3339(s->info[i].next_update, when);
	snprintf(msg, msg_len, "its CRL expired on %s: every certificate it issued fails validation until a new one",
		 when);
	return true;
}

cf_revstatus cf_crlset_check(const cf_crlset *s, const cf_cert *cert, const cf_cert *issuer, int64_t now, char *msg,
			     size_t msg_len)
{
	char hash[65];
	cf_crl_cert_issuer_hash(cert, hash);
	return status_of(s, find(s, hash, issuer), cert, now, msg, msg_len);
}

/* ---- every source together --------------------------------------------------------------------- */

struct cf_revsource {
	cf_revocation_settings settings;
	cf_crlset *crls;
	cf_cert **responders; /* the node's tomcat-trust: trusted OCSP responders */
	size_t n_responders;
	const cf_transport *net; /* borrowed: how OCSP is asked */
};

cf_code cf_revsource_load(cf_store *st, const cf_transport *net, const char *node, cf_revsource **out, cf_err *e)
{
	cf_revsource *s = calloc(1, sizeof(*s));
	cf_node n = {0};
	if (s == NULL)
		return cf_err_set(e, CF_E_INTERNAL, "revocation", "out of memory");
	s->net = net;
	cf_code rc = cf_revocation_settings_get(st, &s->settings, e);
	if (rc == CF_OK)
		rc = cf_crlset_load(st, NULL, &s->crls, e);
	if (rc == CF_OK && node != NULL && s->settings.ocsp && (rc = cf_store_node_get(st, node, &n, e)) == CF_OK)
		rc = cf_store_trust_certs(st, n.id, "tomcat-trust", &s->responders, &s->n_responders, e);
	cf_node_free(&n);
	if (rc != CF_OK) {
		cf_revsource_free(s);
		return rc;
	}
	*out = s;
	return CF_OK;
}

void cf_revsource_free(cf_revsource *s)
{
	if (s == NULL)
		return;
	cf_crlset_free(s->crls);
	cf_certs_free(s->responders, s->n_responders);
	free(s);
}

/* OCSP about leaf: good/revoked, or unknown with msg saying why (no URI, unreachable, untrusted,
 * stale, or the responder does not know it); *answered: a verified response came. */
static cf_revstatus ask_ocsp(const cf_revsource *s, const cf_cert *leaf, const cf_cert *issuer, int64_t now, char *msg,
			     size_t msg_len, bool *answered)
{
	cf_revocation_ocsp_verdict v;
	cf_revocation_ask(s->net, &s->settings, leaf, issuer, s->responders, s->n_responders, now, &v);
	*answered = v.answered;
	if (v.answered)
		snprintf(msg, msg_len, "OCSP %s from %.200s (%s)", cf_revstatus_name(v.status), v.url, v.trust);
	else
		snprintf(msg, msg_len, "OCSP: %.200s", v.message);
	return v.status;
}

cf_revstatus cf_revsource_status(void *ctx, const cf_vresult *chain, int64_t now, char *msg, size_t msg_len)
{
	const cf_revsource *s = ctx;
	const cf_cert *leaf = chain->n > 0 ? chain->chain[0] : NULL;
	const cf_cert *issuer = chain->n > 1 ? chain->chain[1] : NULL;
	char ocsp_msg[320] = "";
	bool answered = false; /* a verified OCSP response, if only "unknown": a status, not none */
	if (!s->settings.check) {
		snprintf(msg, msg_len, "revocation checking is off (the revocation setting check)");
		return CF_REV_UNKNOWN;
	}
	if (leaf == NULL || issuer == NULL) {
		snprintf(msg, msg_len, "a trust anchor itself: nothing to ask");
		return CF_REV_GOOD;
	}
	if (s->settings.ocsp) {
		cf_revstatus st = ask_ocsp(s, leaf, issuer, now, ocsp_msg, sizeof(ocsp_msg), &answered);
		if (st != CF_REV_UNKNOWN) {
			snprintf(msg, msg_len, "%s", ocsp_msg);
			return st;
		}
	}
	cf_revstatus st = cf_crlset_check(s->crls, leaf, issuer, now, msg, msg_len);
	if (st != CF_REV_UNKNOWN)
		return st;
	if (ocsp_msg[0] != '\0') {
		char crl[160];
		snprintf(crl, sizeof(crl), "%s", msg);
		snprintf(msg, msg_len, "%s; %s", ocsp_msg, crl);
	}
	if (s->settings.strict || (!answered && s->settings.fallback_revoked)) {
		size_t used = strlen(msg);
		snprintf(msg + used, msg_len - used, " — %s", s->settings.strict ? "strict mode" : "fallback: revoked");
		return CF_REV_REVOKED;
	}
	return CF_REV_UNKNOWN;
}

/* ---- asking OCSP about one certificate --------------------------------------------------------- */

const char *cf_revstatus_name(cf_revstatus s)
{
	switch (s) {
	case CF_REV_GOOD: return "good";
	case CF_REV_REVOKED: return "revoked";
	case CF_REV_CRL_EXPIRED: return "crl-expired";
	default: return "unknown";
	}
}

void cf_revocation_url(const cf_revocation_settings *s, const cf_cert *leaf, char *out, size_t len)
{
	cf_facts f = {0};
	const char *url = s->ocsp_uri;
	if (url[0] == '\0' && cf_cert_facts(leaf, &f, NULL) == CF_OK && f.ocsp.n > 0)
		url = f.ocsp.v[0];
	snprintf(out, len, "%s", url);
	cf_text_one_line(out); /* from the certificate: one line in every message */
	cf_facts_free(&f);
}

void cf_revocation_ask(const cf_transport *net, const cf_revocation_settings *s, const cf_cert *leaf,
		       const cf_cert *issuer, cf_cert *const *trusted, size_t n_trusted, int64_t now,
		       cf_revocation_ocsp_verdict *out)
{
	cf_err e = {0};
	cf_ocsp_result r = {0};
	memset(out, 0, sizeof(*out));
	out->status = CF_REV_UNKNOWN;
	cf_revocation_url(s, leaf, out->url, sizeof(out->url));
	const char *url = out->url;
	if (url[0] == '\0') {
		snprintf(out->message, sizeof(out->message), "no responder (none configured, none in the certificate)");
		return;
	}
	cf_ocsp_question q = {.url = url,
			      .cert = leaf,
			      .issuer = issuer,
			      .trusted = trusted,
			      .n_trusted = n_trusted,
			      .now = now,
			      .timeout = s->timeout};
	cf_code rc = net != NULL && net->ocsp != NULL
			     ? net->ocsp(&q, &r, &e)
			     : cf_err_set(&e, CF_E_REMOTE, NULL, "%s: no network in this process", url);
	if (rc != CF_OK) {
		snprintf(out->message, sizeof(out->message), "%.390s", e.message);
		cf_text_one_line(out->message);
		out->unreachable = e.code == CF_E_REMOTE;
		return;
	}
	char when[32];
	out->answered = true;
	out->status = r.status == CF_OCSP_GOOD	    ? CF_REV_GOOD
		      : r.status == CF_OCSP_REVOKED ? CF_REV_REVOKED
						    : CF_REV_UNKNOWN;
	out->next_update = r.next_update;
	snprintf(out->trust, sizeof(out->trust), "%s", cf_ocsp_trust_name(r.trust));
	if (r.status == CF_OCSP_REVOKED) {
		cf_time_rfc3339(r.revoked_at, when);
		snprintf(out->message, sizeof(out->message), "revoked on %s%s%s%s, signed by %.250s", when,
			 r.reason[0] != '\0' ? " (" : "", r.reason, r.reason[0] != '\0' ? ")" : "", r.responder);
	} else {
		snprintf(out->message, sizeof(out->message), "%s, signed by %.250s",
			 r.status == CF_OCSP_GOOD ? "not revoked" : "the responder does not know the certificate",
			 r.responder);
	}
	cf_text_one_line(out->message);
	cf_ocsp_result_clear(&r);
}

cf_code cf_revocation_upload_crl(cf_store *st, const char *name, const cf_cert *cert, const cf_cert *issuer,
				 cf_revstatus *status, cf_err *e)
{
	cf_crlset *crls = NULL;
	char msg[320], hash[65];
	cf_crl_cert_issuer_hash(cert, hash); /* only its issuer's CRLs are read */
	cf_code rc = cf_crlset_load(st, hash, &crls, e);
	if (rc != CF_OK)
		return rc;
	*status = cf_crlset_check(crls, cert, issuer, cf_clock_now(), msg, sizeof(msg));
	switch (*status) {
	case CF_REV_REVOKED: rc = cf_err_set(e, CF_E_INPUT, name, "the certificate is %s [revoked]", msg); break;
	case CF_REV_CRL_EXPIRED: rc = cf_err_set(e, CF_E_INPUT, name, "%s [crl-expired]", msg); break;
	default: break;
	}
	cf_crlset_free(crls);
	return rc;
}

cf_code cf_revocation_upload_ocsp(const cf_revocation_settings *rs, const cf_revocation_ocsp_verdict *v,
				  cf_revstatus crl, const char *name, cf_warnings *w, cf_err *e)
{
	char src[600];
	snprintf(src, sizeof(src), "OCSP %s%s%s%s", v->url[0] != '\0' ? v->url : "(no responder)",
		 v->answered ? " (" : "", v->answered ? v->trust : "", v->answered ? ")" : "");
	if (v->status == CF_REV_REVOKED)
		return cf_err_set(e, CF_E_INPUT, name, "the certificate is revoked: %s: %s [revoked]", src, v->message);
	if (v->status == CF_REV_GOOD || crl == CF_REV_GOOD)
		return CF_OK;
	if (rs->strict || (!v->answered && rs->fallback_revoked))
		return cf_err_set(e, CF_E_INPUT, name,
				  "no revocation status: %s: %s, and no CRL of its issuer; %s [revoked]", src,
				  v->message,
				  rs->strict ? "strict mode refuses an unknown status"
					     : "the fallback treats that as revoked (the revocation setting fallback)");
	cf_warn(w, "revocation-unknown",
		"no revocation status: %s: %s, and no CRL of its issuer; accepted as not revoked", src, v->message);
	return CF_OK;
}

const char *cf_revocation_word(cf_store *st, cf_revstatus crl, const char *sha256, const char **source,
			       cf_revcheckrow *rec)
{
	*source = "crl";
	if (crl == CF_REV_REVOKED || cf_store_revcheck_get(st, sha256, rec, NULL) != CF_OK)
		return cf_revstatus_name(crl);
	if (crl != CF_REV_UNKNOWN && strcmp(rec->status, "revoked") != 0)
		return cf_revstatus_name(crl); /* the CRL's word stands unless OCSP says revoked */
	*source = "ocsp";
	return strcmp(rec->status, "revoked") == 0 ? "revoked" : strcmp(rec->status, "good") == 0 ? "good" : "unknown";
}
