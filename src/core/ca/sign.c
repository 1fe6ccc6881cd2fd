/* Issuing from a local CA: one request, a directory of them, a node's pending CSR. */
#include "core/ca/sign.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/ca/ocsp.h"
#include "core/jobs/jobs.h"
#include "core/lifecycle/identity.h"
#include "core/lifecycle/trust.h"
#include "core/model/profile.h"
#include "crypto/issue.h"
#include "util/clock.h"
#include "util/fileio.h"
#include "util/parallel.h"
#include "util/strv.h"

#define DAY 86400
#define RSA_MIN_BITS 2048
#define BATCH_MAX 1000000
#define CSR_FILE_MAX (64u * 1024u)

/* The policy of one request: what cf_issue_cert writes besides the names. */
typedef struct policy {
	bool copy, ca;
	int pathlen;
	unsigned ku, eku;
	char profile[64];
} policy;

/* The policy for profile and a request with these facts; CF_E_INPUT (subject csr_name) when
 * the profile is unknown or does not fit the request's key. */
static cf_code policy_for(const char *profile, const char *csr_name, const cf_facts *f, policy *out, cf_err *e)
{
	memset(out, 0, sizeof(*out));
	out->pathlen = -1;
	if (f->key_type == CF_KEY_RSA && f->key_bits < RSA_MIN_BITS)
		return cf_err_set(e, CF_E_INPUT, csr_name, "an RSA key of %d bits is too weak (2048 at least)",
				  f->key_bits);
	if (f->key_type != CF_KEY_RSA && f->key_type != CF_KEY_EC)
		return cf_err_set(e, CF_E_INPUT, csr_name, "only RSA and EC keys are issued for");
	if (profile == NULL || strcmp(profile, "copy") == 0) {
		out->copy = true;
		snprintf(out->profile, sizeof(out->profile), "copy");
		return CF_OK;
	}
	snprintf(out->profile, sizeof(out->profile), "%s", profile);
	if (strcmp(profile, "lsc") == 0) { /* a phone's LSC: RSA only (SPEC §9) */
		if (f->key_type != CF_KEY_RSA)
			return cf_err_set(e, CF_E_INPUT, csr_name, "an LSC needs an RSA key");
		out->ku = CF_KU_DIGITAL_SIGNATURE | CF_KU_KEY_ENCIPHERMENT;
		out->eku = CF_EKU_SERVER_AUTH | CF_EKU_CLIENT_AUTH | CF_EKU_IPSEC_END_SYSTEM;
		return CF_OK;
	}
	const cf_purpose *p = cf_purpose_find(profile, NULL);
	if (p == NULL)
		return cf_err_set(e, CF_E_INPUT, "--profile", "\"%s\" is not a purpose, lsc or copy", profile);
	if (p->self_signed_only)
		return cf_err_set(e, CF_E_INPUT, "--profile", "%s certificates are self-signed only", p->name);
	if (p->ecdsa != (f->key_type == CF_KEY_EC))
		return cf_err_set(e, CF_E_INPUT, csr_name, "%s needs an %s key; the request has an %s key", p->name,
				  p->ecdsa ? "EC" : "RSA", cf_keytype_name(f->key_type));
	out->ku = cf_purpose_ku(p, f->key_type);
	out->eku = p->eku;
	if (p->ca) { /* CAPF: Unified CM refuses anything but CA:TRUE, pathlen:0, keyCertSign */
		out->ca = true;
		out->pathlen = 0;
		out->ku |= CF_KU_KEY_CERT_SIGN;
	}
	snprintf(out->profile, sizeof(out->profile), "%s", p->name);
	return CF_OK;
}

/* The dates of a certificate issued at now for days, within the CA's own validity. */
static void dates(const cf_ca *ca, int days, int64_t now, int64_t *nb, int64_t *na)
{
	*nb = now - CF_CA_BACKDATE;
	*na = now + (int64_t)(days > 0 ? days : CF_CA_LEAF_DAYS) * DAY;
	if (*na > ca->row.not_after)
		*na = ca->row.not_after;
}

static void hex(const uint8_t *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = '\0';
}

/* Signs one request under pol: *cert and its serial in hex. Thread-safe. */
static cf_code sign_one(const cf_ca *ca, const cf_csr *csr, const policy *pol, int64_t nb, int64_t na, cf_cert **cert,
			char serial_hex[64], cf_err *e)
{
	uint8_t serial[CF_SERIAL_LEN];
	char crl[512], ocsp[512];
	cf_code rc = cf_issue_serial(serial, e);
	if (rc != CF_OK)
		return rc;
	cf_ca_urls(&ca->row, crl, ocsp);
	cf_issue_spec is = {.serial = serial,
			    .serial_len = sizeof(serial),
			    .not_before = nb,
			    .not_after = na,
			    .copy = pol->copy,
			    .ku = pol->ku,
			    .eku = pol->eku,
			    .ca = pol->ca,
			    .pathlen = pol->pathlen,
			    .crl_url = crl,
			    .ocsp_url = ocsp};
	rc = cf_issue_cert(csr, &is, ca->cert, ca->signer, cert, e);
	if (rc == CF_OK)
		hex(serial, sizeof(serial), serial_hex);
	return rc;
}

/* Reads and checks one request: parsed, its signature verified, its facts and policy. */
static cf_code read_request(const char *name, const uint8_t *buf, size_t len, const char *profile, cf_csr **csr,
			    cf_facts *f, policy *pol, cf_err *e)
{
	cf_code rc = cf_csr_parse(name, buf, len, csr, e);
	if (rc == CF_OK && !cf_csr_verify(*csr))
		rc = cf_err_set(e, CF_E_INPUT, name, "the request's signature does not verify");
	if (rc == CF_OK)
		rc = cf_csr_facts(*csr, f, e);
	if (rc == CF_OK)
		rc = policy_for(profile, name, f, pol, e);
	return rc;
}

static cf_code record_once(cf_store *st, const cf_audit_actor *a, const char *action, const char *object, int64_t ca_id,
			   const cf_caissued *v, size_t n, cf_err *e)
{
	cf_code rc = cf_store_begin(st, e);
	if (rc != CF_OK)
		return rc;
	rc = cf_store_ca_issued_add(st, ca_id, v, n, e);
	if (rc == CF_OK) /* their OCSP answers: signed ahead by the next pass, brought forward */
		rc = cf_jobs_bring_forward(st, CF_DUTY_CA_OCSP, cf_clock_now(), e);
	if (rc == CF_OK)
		cf_store_audit_pending(st, a->account, a->client, action, object);
	return cf_store_finish(st, rc, e);
}

/* Records one issued certificate (audited as action). */
static cf_code record_one(cf_store *st, const cf_audit_actor *a, const char *action, const cf_ca *ca,
			  const cf_cert *cert, const char *serial, const char *subject, const char *profile,
			  int64_t not_after, int64_t now, cf_err *e)
{
	cf_caissued row = {
		.subject = (char *)subject, .profile = (char *)profile, .not_after = not_after, .issued_at = now};
	const uint8_t *der = cf_cert_der(cert, &row.der_len);
	row.der = (uint8_t *)der;
	snprintf(row.serial, sizeof(row.serial), "%s", serial);
	char object[256];
	snprintf(object, sizeof(object), "%s %s", ca->row.name, serial);
	cf_code rc;
	CF_STORE_WRITE(st, e, rc, record_once(st, a, action, object, ca->row.id, &row, 1, e));
	return rc;
}

cf_code cf_ca_issue(cf_store *st, const cf_audit_actor *a, const char *ca_name, const cf_ca_issue_spec *spec,
		    const char *csr_name, const uint8_t *buf, size_t len, int64_t now, char **pem, char serial[64],
		    cf_err *e)
{
	cf_ca *ca = NULL;
	cf_csr *csr = NULL;
	cf_cert *cert = NULL;
	cf_facts f = {0};
	policy pol;
	int64_t nb, na;
	cf_code rc = read_request(csr_name, buf, len, spec->profile, &csr, &f, &pol, e);
	if (rc == CF_OK)
		rc = cf_ca_open(st, ca_name, &ca, e);
	if (rc != CF_OK)
		goto out;
	dates(ca, spec->days, now, &nb, &na);
	rc = sign_one(ca, csr, &pol, nb, na, &cert, serial, e);
	if (rc == CF_OK)
		rc = record_one(st, a, "ca issue", ca, cert, serial, f.subject, pol.profile, na, now, e);
	if (rc == CF_OK && (*pem = cf_cert_pem(cert)) == NULL)
		rc = cf_err_set(e, CF_E_INTERNAL, csr_name, "cannot encode the certificate");
out:
	cf_facts_free(&f);
	cf_cert_free(cert);
	cf_csr_free(csr);
	cf_ca_close(ca);
	return rc;
}

/* ---- batches ---- */

typedef struct batch_item {
	char *file; /* the request's file name */
	uint8_t *buf;
	size_t len;
	cf_csr *csr;
	cf_facts facts;
	policy pol;
	cf_cert *cert;
	char serial[64];
	cf_err err;
	cf_code rc;
} batch_item;

typedef struct batch {
	batch_item *items;
	const cf_ca *ca;
	const char *profile;
	int64_t nb, na;
} batch;

static void check_slice(void *ctx, size_t begin, size_t end)
{
	batch *b = ctx;
	for (size_t i = begin; i < end; i++) {
		batch_item *it = &b->items[i];
		it->rc = read_request(it->file, it->buf, it->len, b->profile, &it->csr, &it->facts, &it->pol, &it->err);
	}
}

static void sign_slice(void *ctx, size_t begin, size_t end)
{
	batch *b = ctx;
	for (size_t i = begin; i < end; i++) {
		batch_item *it = &b->items[i];
		it->rc = sign_one(b->ca, it->csr, &it->pol, b->nb, b->na, &it->cert, it->serial, &it->err);
	}
}

static int by_name(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

/* The regular files of dir by name (names only). */
static cf_code list_dir(const char *dir, cf_strv *out, cf_err *e)
{
	DIR *d = opendir(dir);
	if (d == NULL)
		return cf_err_set(e, CF_E_INPUT, dir, "cannot open the directory: %s", strerror(errno));
	struct dirent *de;
	cf_code rc = CF_OK;
	while ((de = readdir(d)) != NULL && rc == CF_OK) {
		struct stat sb;
		if (de->d_name[0] == '.' || fstatat(dirfd(d), de->d_name, &sb, 0) != 0 || !S_ISREG(sb.st_mode))
			continue;
		if (out->n >= BATCH_MAX)
			rc = cf_err_set(e, CF_E_INPUT, dir, "more than %d requests", BATCH_MAX);
		else if (cf_strv_push(out, de->d_name) != 0)
			rc = cf_err_set(e, CF_E_INTERNAL, dir, "out of memory");
	}
	closedir(d);
	if (rc == CF_OK && out->n == 0)
		rc = cf_err_set(e, CF_E_INPUT, dir, "no request files in the directory");
	if (rc == CF_OK)
		qsort(out->v, out->n, sizeof(out->v[0]), by_name);
	return rc;
}

/* NAME.pem for the request file NAME.csr, NAME.pem, NAME.der, NAME.req (else the whole name). */
static void out_name(const char *file, char *out, size_t cap)
{
	static const char *const suffixes[] = {".csr", ".pem", ".der", ".req"};
	size_t n = strlen(file);
	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		size_t sl = strlen(suffixes[i]);
		if (n > sl && strcmp(file + n - sl, suffixes[i]) == 0) {
			n -= sl;
			break;
		}
	}
	snprintf(out, cap, "%.*s.pem", (int)n, file);
}

/* Writing a batch's files from every core: the directory, the items and the first failure. */
typedef struct writes {
	int dfd;
	batch_item *items;
} writes;

/* Writes one certificate as NAME.pem: a temporary file renamed into place (the store holds it
 * already, so one fsync of the directory at the end is enough). */
static void write_slice(void *ctx, size_t begin, size_t end)
{
	writes *w = ctx;
	for (size_t i = begin; i < end; i++) {
		batch_item *it = &w->items[i];
		char name[512], tmp[600];
		out_name(it->file, name, sizeof(name));
		snprintf(tmp, sizeof(tmp), ".%s.tmp", name);
		char *pem = cf_cert_pem(it->cert);
		int fd = pem ? openat(w->dfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644) : -1;
		size_t len = pem ? strlen(pem) : 0;
		bool ok = fd >= 0 && write(fd, pem, len) == (ssize_t)len;
		if (fd >= 0 && close(fd) != 0)
			ok = false;
		if (ok && renameat(w->dfd, tmp, w->dfd, name) != 0)
			ok = false;
		if (!ok) {
			it->rc = cf_err_set(&it->err, CF_E_INTERNAL, name, "cannot write it: %s", strerror(errno));
			unlinkat(w->dfd, tmp, 0);
		}
		free(pem);
	}
}

static cf_code write_outputs(const char *out_dir, batch_item *v, size_t n, cf_err *e)
{
	writes w = {.dfd = open(out_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), .items = v};
	if (w.dfd < 0)
		return cf_err_set(e, CF_E_INPUT, out_dir, "cannot open the directory: %s", strerror(errno));
	cf_parallel_for(n, 64, write_slice, &w);
	cf_code rc = CF_OK;
	for (size_t i = 0; i < n && rc == CF_OK; i++)
		if (v[i].rc != CF_OK) {
			*e = v[i].err;
			rc = v[i].rc;
		}
	if (rc == CF_OK && fsync(w.dfd) != 0)
		rc = cf_err_set(e, CF_E_INTERNAL, out_dir, "cannot sync the directory: %s", strerror(errno));
	close(w.dfd);
	return rc;
}

/* Reads the request files from every core (dir: the input directory). */
typedef struct reads {
	const char *dir;
	batch_item *items;
} reads;

static void read_slice(void *ctx, size_t begin, size_t end)
{
	reads *r = ctx;
	for (size_t i = begin; i < end; i++) {
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s", r->dir, r->items[i].file);
		r->items[i].rc = cf_file_read(path, CSR_FILE_MAX, &r->items[i].buf, &r->items[i].len, &r->items[i].err);
	}
}

cf_code cf_ca_issue_batch(cf_store *st, const cf_audit_actor *a, const char *ca_name, const cf_ca_issue_spec *spec,
			  const char *in_dir, const char *out_dir, int64_t now, cf_ca_batch *out, cf_err *e)
{
	cf_strv files = {0};
	cf_ca *ca = NULL;
	batch_item *items = NULL;
	cf_caissued *rows = NULL;
	struct stat sb;
	memset(out, 0, sizeof(*out));
	cf_code rc = list_dir(in_dir, &files, e);
	if (rc == CF_OK && (stat(out_dir, &sb) != 0 || !S_ISDIR(sb.st_mode)))
		rc = cf_err_set(e, CF_E_INPUT, out_dir, "not a directory");
	if (rc == CF_OK)
		rc = cf_ca_open(st, ca_name, &ca, e);
	if (rc == CF_OK &&
	    ((items = calloc(files.n, sizeof(*items))) == NULL || (rows = calloc(files.n, sizeof(*rows))) == NULL))
		rc = cf_err_set(e, CF_E_INTERNAL, in_dir, "out of memory");
	if (rc == CF_OK) {
		for (size_t i = 0; i < files.n; i++)
			items[i].file = files.v[i];
		reads rd = {.dir = in_dir, .items = items};
		cf_parallel_for(files.n, 64, read_slice, &rd);
		for (size_t i = 0; i < files.n && rc == CF_OK; i++)
			if (items[i].rc != CF_OK) {
				*e = items[i].err;
				rc = items[i].rc;
			}
	}
	if (rc != CF_OK)
		goto out;
	int64_t started = cf_clock_mono_ms();
	batch b = {.items = items, .ca = ca, .profile = spec->profile};
	dates(ca, spec->days, now, &b.nb, &b.na);
	/* every request checked before one is signed */
	cf_parallel_for(files.n, 64, check_slice, &b);
	for (size_t i = 0; i < files.n && rc == CF_OK; i++)
		if (items[i].rc != CF_OK) {
			*e = items[i].err;
			rc = items[i].rc;
		}
	if (rc != CF_OK)
		goto out;
	cf_parallel_for(files.n, 64, sign_slice, &b);
	for (size_t i = 0; i < files.n && rc == CF_OK; i++)
		if (items[i].rc != CF_OK) {
			*e = items[i].err;
			rc = items[i].rc;
		}
	if (rc != CF_OK)
		goto out;
	for (size_t i = 0; i < files.n; i++) {
		cf_caissued *r = &rows[i];
		r->der = (uint8_t *)cf_cert_der(items[i].cert, &r->der_len);
		r->subject = items[i].facts.subject;
		r->profile = items[i].pol.profile;
		r->not_after = b.na;
		r->issued_at = now;
		snprintf(r->serial, sizeof(r->serial), "%s", items[i].serial);
	}
	char object[256];
	snprintf(object, sizeof(object), "%s batch of %zu", ca->row.name, files.n);
	CF_STORE_WRITE(st, e, rc, record_once(st, a, "ca issue", object, ca->row.id, rows, files.n, e));
	if (rc != CF_OK)
		goto out;
	out->issued = files.n;
	out->seconds = (double)(cf_clock_mono_ms() - started) / 1000.0;
	rc = write_outputs(out_dir, items, files.n, e);
out:
	for (size_t i = 0; items != NULL && i < files.n; i++) {
		free(items[i].buf);
		cf_csr_free(items[i].csr);
		cf_facts_free(&items[i].facts);
		cf_cert_free(items[i].cert);
	}
	free(items);
	free(rows);
	cf_ca_close(ca);
	cf_strv_clear(&files);
	return rc;
}

/* ---- a node's pending CSR ---- */

cf_code cf_ca_csr_sign(cf_store *st, const cf_transport *net, const cf_audit_actor *a, const char *node,
		       const char *purpose, const char *ca_name, int64_t now, cf_outcome *out, char serial[64],
		       cf_err *e)
{
	cf_node nd = {0};
	cf_csrrow row = {0};
	cf_ca *ca = NULL;
	cf_csr *csr = NULL;
	cf_cert *cert = NULL;
	cf_facts f = {0};
	char *leaf = NULL, *chain = NULL, *pem = NULL;
	policy pol;
	int64_t nb, na;
	memset(out, 0, sizeof(*out));
	cf_code rc = cf_store_node_get(st, node, &nd, e);
	const cf_purpose *p = rc == CF_OK ? cf_purpose_find(purpose, nd.product) : NULL;
	if (rc == CF_OK && p == NULL)
		rc = cf_err_set(e, CF_E_INPUT, purpose, "not a purpose of %s", node);
	if (rc == CF_OK)
		rc = cf_store_csr_get(st, nd.id, p->name, &row, e);
	if (rc == CF_OK)
		rc = read_request("the pending CSR", row.der, row.der_len, p->name, &csr, &f, &pol, e);
	if (rc == CF_OK)
		rc = cf_ca_open(st, ca_name, &ca, e);
	if (rc != CF_OK)
		goto out;
	dates(ca, 0, now, &nb, &na);
	rc = sign_one(ca, csr, &pol, nb, na, &cert, serial, e);
	if (rc == CF_OK)
		rc = record_one(st, a, "csr sign", ca, cert, serial, f.subject, pol.profile, na, now, e);
	if (rc == CF_OK)
		rc = cf_ca_chain_pem(st, &ca->row, &chain, e);
	if (rc == CF_OK && (leaf = cf_cert_pem(cert)) == NULL)
		rc = cf_err_set(e, CF_E_INTERNAL, purpose, "cannot encode the certificate");
	if (rc != CF_OK)
		goto out;
	/* the CA's chain into the purpose's trust store, so the upload's chain check finds it */
	if (p->trust_store != NULL) {
		cf_outcome o = {0};
		rc = cf_trust_add(st, net, nd.fqdn, p->trust_store, "the local CA's chain", (const uint8_t *)chain,
				  strlen(chain), "local CA", &o, e);
		cf_outcome_free(&o);
		if (rc != CF_OK)
			goto out;
	}
	size_t ll = strlen(leaf), cl = strlen(chain);
	if ((pem = malloc(ll + cl + 1)) == NULL) {
		rc = cf_err_set(e, CF_E_INTERNAL, purpose, "out of memory");
		goto out;
	}
	memcpy(pem, leaf, ll);
	memcpy(pem + ll, chain, cl + 1);
	char description[160];
	snprintf(description, sizeof(description), "local CA %s", ca->row.name);
	rc = cf_identity_upload_issued(st, net, node, p->name, "the certificate the local CA issued", pem, description,
				       "local-ca", out, e);
out:
	free(pem);
	free(leaf);
	free(chain);
	cf_facts_free(&f);
	cf_cert_free(cert);
	cf_csr_free(csr);
	cf_ca_close(ca);
	cf_csrrow_free(&row);
	cf_node_free(&nd);
	return rc;
}
