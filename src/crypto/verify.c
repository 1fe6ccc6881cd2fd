/* The trust index: anchors and intermediates by subject name, each intermediate's path to an
 * anchor verified once (signatures, CA flags) and cached; validity dates are checked on every
 * call because they depend on the time asked about. */
#include <openssl/err.h>
#include <openssl/objects.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto/crypto_int.h"
#include "crypto/verify.h"
#include "util/grow.h"

typedef struct entry {
	cf_cert *cert;
	X509 *x;      /* borrowed from cert */
	EVP_PKEY *pk; /* borrowed from x */
	unsigned long name_hash;
	bool anchor, is_ca;
	int64_t not_before, not_after;
	/* Whether a path above this entry is verified, and every issuer that verifies it and has a
	 * verified path itself. Time plays no part (dates are checked per call), so this is worked
	 * out once; state is read and published under the index lock, ups never change after. */
	int state; /* 0 unknown, 1 verified, 2 failed */
	cf_vfail fail;
	struct entry **ups;
	size_t n_ups;
} entry;

struct cf_trustidx {
	entry **v;
	size_t n, cap, n_anchors;
	bool sorted; /* v ordered by name_hash */
	pthread_mutex_t lock;
};

/* The signature algorithms verified straight from the certificate's bytes. */
static const struct sigalg {
	uint8_t oid[12];
	size_t len;
	const char *md;
	int key; /* EVP_PKEY_RSA or EVP_PKEY_EC */
} sigalgs[] = {
	{{0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b}, 11, "SHA256", EVP_PKEY_RSA},
	{{0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0c}, 11, "SHA384", EVP_PKEY_RSA},
	{{0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0d}, 11, "SHA512", EVP_PKEY_RSA},
	{{0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02}, 10, "SHA256", EVP_PKEY_EC},
	{{0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03}, 10, "SHA384", EVP_PKEY_EC},
	{{0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x04}, 10, "SHA512", EVP_PKEY_EC},
};

static EVP_MD *fetched_md[sizeof(sigalgs) / sizeof(sigalgs[0])];
static pthread_once_t md_once = PTHREAD_ONCE_INIT;

static void fetch_mds(void)
{
	for (size_t i = 0; i < sizeof(sigalgs) / sizeof(sigalgs[0]); i++)
		fetched_md[i] = EVP_MD_fetch(NULL, sigalgs[i].md, NULL);
}

static entry *entry_new(cf_cert *c, bool anchor)
{
	X509 *x = cf_cert_x(c);
	entry *en = x ? calloc(1, sizeof(*en)) : NULL;
	if (en == NULL)
		return NULL;
	int ok = 0;
	en->cert = cf_cert_ref(c);
	en->x = x;
	en->pk = X509_get0_pubkey(x);
	en->name_hash = X509_NAME_hash_ex(X509_get_subject_name(x), NULL, NULL, &ok);
	en->anchor = anchor;
	en->is_ca = X509_check_ca(x) > 0;
	en->not_before = cf_asn1_epoch(X509_get0_notBefore(x));
	en->not_after = cf_asn1_epoch(X509_get0_notAfter(x));
	ERR_clear_error();
	return en;
}

static void entry_free(entry *en)
{
	if (en == NULL)
		return;
	cf_cert_free(en->cert);
	free(en->ups);
	free(en);
}

cf_trustidx *cf_trustidx_new(void)
{
	cf_trustidx *idx = calloc(1, sizeof(*idx));
	if (idx != NULL)
		pthread_mutex_init(&idx->lock, NULL);
	pthread_once(&md_once, fetch_mds);
	return idx;
}

void cf_trustidx_free(cf_trustidx *idx)
{
	if (idx == NULL)
		return;
	for (size_t i = 0; i < idx->n; i++)
		entry_free(idx->v[i]);
	free(idx->v);
	pthread_mutex_destroy(&idx->lock);
	free(idx);
}

cf_code cf_trustidx_add(cf_trustidx *idx, cf_cert *c, bool anchor, cf_err *e)
{
	entry *en = entry_new(c, anchor);
	if (en == NULL)
		return cf_err_set(e, CF_E_INPUT, "trust store", "a certificate OpenSSL does not accept");
	if (cf_grow(&idx->v, &idx->cap, idx->n, sizeof(*idx->v)) != 0) {
		entry_free(en);
		return cf_err_set(e, CF_E_INTERNAL, "trust store", "out of memory");
	}
	idx->v[idx->n++] = en;
	idx->n_anchors += anchor;
	idx->sorted = false;
	return CF_OK;
}

size_t cf_trustidx_anchors(const cf_trustidx *idx)
{
	return idx->n_anchors;
}

static int by_hash(const void *a, const void *b)
{
	const entry *x = *(entry *const *)a, *y = *(entry *const *)b;
	if (x->name_hash != y->name_hash)
		return x->name_hash < y->name_hash ? -1 : 1;
	return (int)y->anchor - (int)x->anchor; /* anchors first */
}

static void ensure_sorted(cf_trustidx *idx)
{
	pthread_mutex_lock(&idx->lock);
	if (!idx->sorted) {
		if (idx->n > 1)
			qsort(idx->v, idx->n, sizeof(*idx->v), by_hash);
		idx->sorted = true;
	}
	pthread_mutex_unlock(&idx->lock);
}

/* ---- signatures ---------------------------------------------------------------------------- */

/* Whether issuer's key verifies c's signature; from c's own bytes when its algorithm is a
 * common one, else through OpenSSL's X509_verify. */
static bool signature_ok(const cf_cert *c, const cf_certder *d, EVP_PKEY *pk)
{
	if (pk == NULL)
		return false;
	for (size_t i = 0; d != NULL && i < sizeof(sigalgs) / sizeof(sigalgs[0]); i++) {
		const struct sigalg *a = &sigalgs[i];
		if (d->sig_alg.len != a->len || memcmp(d->sig_alg.p, a->oid, a->len) != 0)
			continue;
		if (d->tbs_alg.len != a->len || memcmp(d->tbs_alg.p, a->oid, a->len) != 0 ||
		    EVP_PKEY_get_base_id(pk) != a->key || fetched_md[i] == NULL)
			break;
		EVP_MD_CTX *m = EVP_MD_CTX_new();
		bool ok =
			m != NULL &&
			EVP_DigestVerifyInit_ex(m, NULL, EVP_MD_get0_name(fetched_md[i]), NULL, NULL, pk, NULL) == 1 &&
			EVP_DigestVerify(m, d->signature.p, d->signature.len, d->tbs.p, d->tbs.len) == 1;
		EVP_MD_CTX_free(m);
		ERR_clear_error();
		return ok;
	}
	X509 *x = cf_cert_x(c);
	bool ok = x != NULL && X509_verify(x, pk) == 1;
	ERR_clear_error();
	return ok;
}

/* ---- issuer search ---------------------------------------------------------------------------- */

/* A certificate being placed in a chain: an index entry or one given with the leaf. */
typedef struct node {
	entry *en;
	cf_certder der;
	bool have_der;
} node;

typedef struct search {
	cf_trustidx *idx;
	entry **extra; /* entries of the certificates given with the leaf (not cached) */
	size_t n_extra;
	int64_t now; /* issuers valid at this time are tried first */
} search;

static bool name_is(const entry *en, const X509_NAME *name)
{
	return X509_NAME_cmp(X509_get_subject_name(en->x), name) == 0;
}

static bool cacheable(const search *s, const entry *en)
{
	for (size_t i = 0; i < s->n_extra; i++)
		if (s->extra[i] == en)
			return false;
	return true;
}

static cf_vfail path_of(search *s, entry *en, int depth);

/* The canonical hash the index is sorted by. */
static unsigned long name_hash(const X509_NAME *name)
{
	int ok = 0;
	return X509_NAME_hash_ex(name, NULL, NULL, &ok);
}

/* The position of the first entry with hash h (binary search over the sorted index). */
static size_t first_with_hash(const cf_trustidx *idx, unsigned long h)
{
	size_t lo = 0, hi = idx->n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (idx->v[mid]->name_hash < h)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Every issuer of the certificate (child) among anchors, intermediates and (use_extra) the
 * certificates given with the leaf whose key verifies child's signature and whose own path is
 * verified, anchors first. Returns CF_V_OK when there is one, else the best reason there is none. */
static cf_vfail issuers_of(search *s, const cf_cert *child, const cf_certder *d, const X509_NAME *issuer,
			   const entry *self, bool use_extra, int depth, entry ***out, size_t *n_out)
{
	cf_vfail worst = CF_V_NO_ISSUER;
	entry **found = NULL;
	size_t n_found = 0, cap = 0;
	unsigned long h = name_hash(issuer);
	entry **v = s->idx->v;
	size_t n = s->idx->n, lo = first_with_hash(s->idx, h);
	/* an index entry's cached issuers must not include certificates given with one leaf */
	for (int pass = 0; pass < (use_extra ? 2 : 1); pass++) {
		size_t i = pass == 0 ? lo : 0, end = pass == 0 ? n : s->n_extra;
		for (; i < end; i++) {
			entry *cand = pass == 0 ? v[i] : s->extra[i];
			if (pass == 0 && cand->name_hash != h)
				break;
			if (cand == self || !name_is(cand, issuer))
				continue;
			if (!cand->is_ca) {
				if (worst == CF_V_NO_ISSUER)
					worst = CF_V_NOT_CA;
				continue;
			}
			if (!signature_ok(child, d, cand->pk)) {
				worst = CF_V_BAD_SIGNATURE;
				continue;
			}
			cf_vfail f = path_of(s, cand, depth + 1);
			if (f != CF_V_OK) {
				worst = f;
				continue;
			}
			if (cf_grow(&found, &cap, n_found, sizeof(*found)) == 0)
				found[n_found++] = cand;
		}
	}
	ERR_clear_error();
	*out = found;
	*n_out = n_found;
	return n_found > 0 ? CF_V_OK : worst;
}

/* Of the verified issuers, one valid at now (a renewed CA beside its expired predecessor),
 * else the first. */
static entry *pick(entry *const *ups, size_t n, int64_t now)
{
	for (size_t i = 0; i < n; i++)
		if (now >= ups[i]->not_before && now <= ups[i]->not_after)
			return ups[i];
	return n > 0 ? ups[0] : NULL;
}

/* Whether a verified path leads from en to an anchor (worked out once for index entries). An
 * anchor is trusted as it is, but its own trusted issuers are kept too, so chains reach their
 * root. */
static cf_vfail path_of(search *s, entry *en, int depth)
{
	if (depth >= CF_VERIFY_MAX_DEPTH)
		return en->anchor ? CF_V_OK : CF_V_TOO_LONG;
	bool cache = cacheable(s, en);
	pthread_mutex_lock(&s->idx->lock);
	int state = en->state;
	cf_vfail fail = en->fail;
	pthread_mutex_unlock(&s->idx->lock);
	if (state != 0)
		return fail;
	entry **ups = NULL;
	size_t n_ups = 0;
	cf_vfail f = CF_V_OK;
	const X509_NAME *issuer = X509_get_issuer_name(en->x);
	if (!en->anchor || X509_NAME_cmp(issuer, X509_get_subject_name(en->x)) != 0) {
		cf_certder d;
		bool have = cf_certder_split(en->cert->der, en->cert->der_len, &d);
		f = issuers_of(s, en->cert, have ? &d : NULL, issuer, en, !cache, depth, &ups, &n_ups);
		if (en->anchor)
			f = CF_V_OK;
	}
	if (f == CF_V_TOO_LONG) { /* depends on where the walk started: not remembered */
		free(ups);
		return f;
	}
	pthread_mutex_lock(&s->idx->lock);
	if (en->state == 0) {
		en->ups = ups;
		en->n_ups = n_ups;
		en->fail = f;
		en->state = f == CF_V_OK ? 1 : 2;
		ups = NULL;
	}
	f = en->fail;
	pthread_mutex_unlock(&s->idx->lock);
	free(ups); /* another thread published first */
	return f;
}

/* ---- public ------------------------------------------------------------------------------------- */

void cf_vresult_clear(cf_vresult *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->n; i++)
		cf_cert_free(r->chain[i]);
	memset(r, 0, sizeof(*r));
}

const char *cf_vfail_name(cf_vfail f)
{
	switch (f) {
	case CF_V_OK: return "ok";
	case CF_V_NO_ISSUER: return "no-issuer";
	case CF_V_BAD_SIGNATURE: return "bad-signature";
	case CF_V_EXPIRED: return "issuer-expired";
	case CF_V_NOT_YET_VALID: return "issuer-not-yet-valid";
	case CF_V_NOT_CA: return "issuer-not-ca";
	case CF_V_TOO_LONG: return "chain-too-long";
	case CF_V_UNREADABLE: return "unreadable";
	case CF_V_PATH_LENGTH: return "path-length";
	case CF_V_NAME_CONSTRAINTS: return "name-constraints";
	case CF_V_CRITICAL_EXTENSION: return "unknown-critical-extension";
	}
	return "unknown";
}

static void fail_msg(cf_vresult *out, cf_vfail f, const char *fmt, const char *arg)
{
	out->fail = f;
	snprintf(out->message, sizeof(out->message), fmt, arg);
}

/* A critical extension the leaf carries that OpenSSL cannot process (from its own bytes when
 * they were walked); its OID goes to oid. */
static bool leaf_unknown_critical(const cf_cert *leaf, const cf_certder *d, char *oid, size_t len)
{
	bool found = false;
	snprintf(oid, len, "%s", "");
	if (d == NULL) {
		X509 *x = cf_cert_x(leaf);
		return x != NULL && (X509_get_extension_flags(x) & EXFLAG_CRITICAL);
	}
	if (d->exts.len == 0)
		return false;
	const unsigned char *p = d->exts.p;
	STACK_OF(X509_EXTENSION) *exts = d2i_X509_EXTENSIONS(NULL, &p, (long)d->exts.len);
	for (int i = 0; !found && i < sk_X509_EXTENSION_num(exts); i++) {
		X509_EXTENSION *ext = sk_X509_EXTENSION_value(exts, i);
		if (X509_EXTENSION_get_critical(ext) && !X509_supported_extension(ext)) {
			OBJ_obj2txt(oid, (int)len, X509_EXTENSION_get_object(ext), 1);
			found = true;
		}
	}
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	return found;
}

/* RFC 5280 checks over the built chain (leaf first): unknown critical extensions, path length
 * constraints and name constraints. Sets out->fail. */
static cf_vfail chain_constraints(cf_vresult *out, const cf_certder *d)
{
	char oid[128];
	if (leaf_unknown_critical(out->chain[0], d, oid, sizeof(oid))) {
		fail_msg(out, CF_V_CRITICAL_EXTENSION, "the certificate has an unknown critical extension %s", oid);
		return out->fail;
	}
	long below = 0; /* intermediate CAs below the current issuer, which its path length counts */
	for (size_t i = 1; i < out->n && out->fail == CF_V_OK; i++) {
		X509 *x = cf_cert_x(out->chain[i]);
		cf_vfail f = CF_V_OK;
		const char *what = NULL;
		uint32_t flags = X509_get_extension_flags(x);
		if (flags & EXFLAG_CRITICAL) {
			f = CF_V_CRITICAL_EXTENSION;
			what = "the issuer \"%s\" has an unknown critical extension";
		} else if (X509_get_pathlen(x) >= 0 && below > X509_get_pathlen(x)) {
			f = CF_V_PATH_LENGTH;
			what = "the issuer \"%s\" allows fewer intermediate CAs below it";
		} else if (X509_get_ext_by_NID(x, NID_name_constraints, -1) >= 0) {
			NAME_CONSTRAINTS *nc = X509_get_ext_d2i(x, NID_name_constraints, NULL, NULL);
			for (size_t j = 0; j < i && f == CF_V_OK; j++) {
				X509 *xj = cf_cert_x(out->chain[j]);
				if (xj == NULL || (j > 0 && (X509_get_extension_flags(xj) & EXFLAG_SI)))
					continue; /* self-issued intermediates are exempt (RFC 5280 6.1.4) */
				if (nc == NULL || NAME_CONSTRAINTS_check(xj, nc) != X509_V_OK ||
				    (j == 0 && NAME_CONSTRAINTS_check_CN(xj, nc) != X509_V_OK)) {
					f = CF_V_NAME_CONSTRAINTS;
					what = "a name is outside the constraints of \"%s\"";
				}
			}
			NAME_CONSTRAINTS_free(nc);
		}
		if (f != CF_V_OK) {
			char *name = cf_name_str(X509_get_subject_name(x));
			fail_msg(out, f, what, name);
			free(name);
		}
		if (!(flags & EXFLAG_SI))
			below++;
	}
	ERR_clear_error();
	return out->fail;
}

/* Whether the leaf is itself one of the anchors (a peer's self-signed certificate trusted
 * directly). */
static bool leaf_is_anchor(cf_trustidx *idx, const cf_cert *leaf, const X509_NAME *subject)
{
	unsigned long h = name_hash(subject);
	for (size_t i = first_with_hash(idx, h); i < idx->n && idx->v[i]->name_hash == h; i++) {
		const entry *en = idx->v[i];
		if (en->anchor && en->cert->der_len == leaf->der_len &&
		    memcmp(en->cert->der, leaf->der, leaf->der_len) == 0)
			return true;
	}
	return false;
}

cf_code cf_trustidx_verify(cf_trustidx *idx, const cf_cert *leaf, cf_cert *const *extra, size_t n_extra, int64_t now,
			   cf_vresult *out)
{
	memset(out, 0, sizeof(*out));
	ensure_sorted(idx);
	entry *locals[CF_VERIFY_MAX_DEPTH * 2];
	size_t n_locals = 0;
	X509_NAME *issuer = NULL, *subject = NULL;
	cf_certder d;
	bool have = cf_certder_split(leaf->der, leaf->der_len, &d);
	search s = {.idx = idx, .extra = locals, .now = now};

	for (size_t i = 0; i < n_extra && n_locals < sizeof(locals) / sizeof(locals[0]); i++) {
		entry *en = entry_new(extra[i], false);
		if (en != NULL)
			locals[n_locals++] = en;
	}
	s.n_extra = n_locals;
	if (have) {
		const unsigned char *p = d.issuer.p, *q = d.subject.p;
		issuer = d2i_X509_NAME(NULL, &p, (long)d.issuer.len);
		subject = d2i_X509_NAME(NULL, &q, (long)d.subject.len);
	} else {
		X509 *x = cf_cert_x(leaf);
		issuer = x ? X509_NAME_dup(X509_get_issuer_name(x)) : NULL;
		subject = x ? X509_NAME_dup(X509_get_subject_name(x)) : NULL;
	}
	out->chain[out->n++] = cf_cert_ref((cf_cert *)leaf);
	if (issuer == NULL || subject == NULL) {
		fail_msg(out, CF_V_UNREADABLE, "%s", "the certificate's names do not decode");
		goto done;
	}
	if (idx->n_anchors > 0 && leaf_is_anchor(idx, leaf, subject))
		goto done; /* trusted as it is */
	entry **leaf_ups = NULL;
	size_t n_leaf_ups = 0;
	cf_vfail f = issuers_of(&s, leaf, have ? &d : NULL, issuer, NULL, true, 0, &leaf_ups, &n_leaf_ups);
	if (f != CF_V_OK) {
		char *name = cf_name_str(issuer);
		switch (f) {
		case CF_V_NO_ISSUER:
			fail_msg(out, f, "no issuer \"%s\" among the trusted and intermediate certificates", name);
			break;
		case CF_V_BAD_SIGNATURE:
			fail_msg(out, f, "the signature does not verify with the key of \"%s\"", name);
			break;
		case CF_V_NOT_CA: fail_msg(out, f, "the issuer \"%s\" is not a CA certificate", name); break;
		default: fail_msg(out, f, "the chain above \"%s\" does not verify", name); break;
		}
		free(name);
		goto done;
	}
	/* every entry on the way has published its issuers, which never change: no lock needed */
	for (entry *en = pick(leaf_ups, n_leaf_ups, now); en != NULL && out->n < CF_VERIFY_MAX_DEPTH;
	     en = pick(en->ups, en->n_ups, now))
		out->chain[out->n++] = cf_cert_ref(en->cert);
	free(leaf_ups);
	leaf_ups = NULL;
	/* the path is verified; now what depends on the whole chain, and the dates */
	if (chain_constraints(out, have ? &d : NULL) != CF_V_OK)
		goto done;
	for (size_t i = 1; i < out->n && out->fail == CF_V_OK; i++) {
		X509 *x = cf_cert_x(out->chain[i]);
		int64_t nb = cf_asn1_epoch(X509_get0_notBefore(x)), na = cf_asn1_epoch(X509_get0_notAfter(x));
		char *name = cf_name_str(X509_get_subject_name(x));
		if (now > na)
			fail_msg(out, CF_V_EXPIRED, "the issuer \"%s\" has expired", name);
		else if (now < nb)
			fail_msg(out, CF_V_NOT_YET_VALID, "the issuer \"%s\" is not valid yet", name);
		free(name);
	}
done:
	X509_NAME_free(issuer);
	X509_NAME_free(subject);
	for (size_t i = 0; i < n_locals; i++)
		entry_free(locals[i]);
	ERR_clear_error();
	return CF_OK;
}
