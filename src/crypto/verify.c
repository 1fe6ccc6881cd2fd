/* The trust index: anchors and intermediates by subject name. What never changes about a
 * certificate (its RFC 5280 profile, its key, whether it may issue, and which index entries
 * verify its signature) is worked out once per index entry; a leaf then costs one signature
 * check per candidate issuer and a walk over those cached edges, which tries every candidate
 * (backtracking when a path fails its constraints or dates) within a fixed budget. */
#include <openssl/core_names.h>
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

/* The walk's budget for one leaf: issuers placed on a path, and signature checks of the
 * certificates given with the leaf (index entries' checks are cached and not counted). Real
 * chains need a handful of each; a bundle built to make path building explode hits these. */
#define WALK_MAX_STEPS 2048
#define WALK_MAX_SIGS 256

typedef struct entry {
	cf_cert *cert;
	X509 *x;      /* borrowed from cert; NULL for a leaf read from its DER alone */
	EVP_PKEY *pk; /* borrowed from x */
	cf_certder der;
	bool have_der, own_names;
	X509_NAME *subject, *issuer; /* borrowed from x, or owned (own_names) */
	uint32_t xku;		     /* extended key usages as XKU_* bits; UINT32_MAX: no extension */
	bool has_san;
	char crit_oid[64]; /* the unknown critical extension, when that is the flaw */
	unsigned long name_hash;
	unsigned char key_id[20]; /* SHA-1 of the SubjectPublicKeyInfo: same subject and key = same CA */
	bool anchor, local;	  /* local: given with one leaf, freed after it */
	bool self_issued;	  /* subject = issuer */
	bool weak_sig;		  /* signed with a hash under 112 bits of security (SHA-1, MD5) */
	bool no_aki;		  /* a v3 certificate without an authorityKeyIdentifier */
	int64_t not_before, not_after;
	/* Why the certificate may be in no chain at all, and why it may not issue certificates
	 * (CF_V_OK: no reason), each with a phrase for the message. */
	cf_vfail flaw, ca_flaw;
	const char *flaw_why, *ca_flaw_why;
	NAME_CONSTRAINTS *nc; /* decoded once (owned) */
	/* Every certificate whose subject is this one's issuer, whose key verifies its signature and
	 * that may issue; worked out once and published under the index lock for index entries (ups
	 * never change after), per call for local ones. up_fail: why there is none. */
	int state; /* 0 unknown, 1 known */
	cf_vfail up_fail;
	struct entry **ups;
	size_t n_ups;
} entry;

struct cf_trustidx {
	entry **v;
	size_t n, cap, n_anchors;
	bool sorted; /* v ordered by name_hash */
	bool strict; /* every certificate held to RFC 5280's profile and key strength */
	pthread_mutex_t lock;
};

static EVP_MD *fetched_sha1;
static pthread_once_t md_once = PTHREAD_ONCE_INIT;

static void fetch_mds(void)
{
	fetched_sha1 = EVP_MD_fetch(NULL, "SHA1", NULL);
}

/* ---- what a certificate is (RFC 5280's profile, the key and the hash it is signed with) ------- */

/* Why pk is too weak a key for a chain (NULL: it is not). RSA of at least 2048 bits, a multiple
 * of 8; EC on P-256, P-384 or P-521, named; Ed25519 and Ed448. */
static const char *key_weakness(EVP_PKEY *pk)
{
	if (pk == NULL)
		return "its public key does not decode";
	switch (EVP_PKEY_get_base_id(pk)) {
	case EVP_PKEY_RSA:
	case EVP_PKEY_RSA_PSS: {
		int bits = EVP_PKEY_get_bits(pk);
		if (bits < 2048)
			return "an RSA key under 2048 bits";
		return bits % 8 != 0 ? "an RSA key whose size is not a multiple of 8 bits" : NULL;
	}
	case EVP_PKEY_EC: {
		int explicit = 0;
		char group[64] = "";
		size_t len = 0;
		if (EVP_PKEY_get_int_param(pk, OSSL_PKEY_PARAM_EC_DECODED_FROM_EXPLICIT_PARAMS, &explicit) == 1 &&
		    explicit != 0)
			return "an EC key with explicit curve parameters";
		if (EVP_PKEY_get_utf8_string_param(pk, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group), &len) != 1)
			return "an EC key on an unnamed curve";
		if (strcmp(group, "prime256v1") == 0 || strcmp(group, "secp384r1") == 0 ||
		    strcmp(group, "secp521r1") == 0 || strcmp(group, "P-256") == 0 || strcmp(group, "P-384") == 0 ||
		    strcmp(group, "P-521") == 0)
			return NULL;
		return "an EC key on a curve other than P-256, P-384 and P-521";
	}
	case EVP_PKEY_ED25519:
	case EVP_PKEY_ED448: return NULL;
	default: return "a key type other than RSA, EC and EdDSA";
	}
}

/* Whether the extension nid is present and, when it is, how many names or usages it lists. */
static int ext_count(X509 *x, int nid, bool *present)
{
	int crit = -1;
	void *v = X509_get_ext_d2i(x, nid, &crit, NULL);
	*present = crit >= 0;
	int n = v != NULL ? (nid == NID_ext_key_usage ? sk_ASN1_OBJECT_num(v) : sk_GENERAL_NAME_num(v)) : 0;
	if (nid == NID_ext_key_usage)
		sk_ASN1_OBJECT_pop_free(v, ASN1_OBJECT_free);
	else
		GENERAL_NAMES_free(v);
	return n;
}

/* RFC 5280's profile, as `openssl verify -x509_strict` holds every certificate of a chain to it,
 * plus the key and hash strength of `-auth_level 2`: sets flaw (may be in no chain) and ca_flaw
 * (may not issue), weak_sig and no_aki (matter only below the top of a path). Not strict: what
 * the platforms store (weak keys, SHA-1, a CA as X509_check_ca sees one, the profile's details
 * are the doctor's findings), only undecodable, repeated or unknown critical extensions refused. */
static void entry_profile(entry *en, bool strict)
{
	X509 *x = en->x;
	uint32_t fl = X509_get_extension_flags(x); /* fills OpenSSL's extension cache */
	uint32_t ku = X509_get_key_usage(x);
	bool v3 = X509_get_version(x) >= 2, ca = (fl & EXFLAG_BCONS) && (fl & EXFLAG_CA);
	bool san = false, eku = false;
	int n_san = ext_count(x, NID_subject_alt_name, &san);
	int n_eku = (fl & EXFLAG_XKUSAGE) ? ext_count(x, NID_ext_key_usage, &eku) : 0;
	bool empty_subject = X509_NAME_entry_count(X509_get_subject_name(x)) == 0;
	const X509_ALGOR *outer = NULL;
	const char *weak = key_weakness(en->pk);
	int secbits = -1;

	X509_get0_signature(NULL, &outer, x);
	en->self_issued = (fl & EXFLAG_SI) != 0;
	en->no_aki = v3 && X509_get_ext_by_NID(x, NID_authority_key_identifier, -1) < 0;
	en->weak_sig = X509_get_signature_info(x, NULL, NULL, &secbits, NULL) == 1 && secbits >= 0 && secbits < 112;
	en->flaw = CF_V_MALFORMED;
	if (fl & EXFLAG_INVALID)
		en->flaw_why = "an extension that does not decode, or one given twice";
	else if (fl & EXFLAG_CRITICAL) {
		en->flaw = CF_V_CRITICAL_EXTENSION, en->flaw_why = "an unknown critical extension";
		const STACK_OF(X509_EXTENSION) *exts = X509_get0_extensions(x);
		for (int i = 0; i < sk_X509_EXTENSION_num(exts); i++) {
			X509_EXTENSION *ext = sk_X509_EXTENSION_value(exts, i);
			if (X509_EXTENSION_get_critical(ext) && !X509_supported_extension(ext)) {
				OBJ_obj2txt(en->crit_oid, (int)sizeof(en->crit_oid), X509_EXTENSION_get_object(ext), 1);
				break;
			}
		}
	} else if (!v3 && X509_get_ext_count(x) > 0)
		en->flaw_why = "extensions in a version 1 or 2 certificate";
	else if (X509_NAME_entry_count(X509_get_issuer_name(x)) == 0)
		en->flaw_why = "an empty issuer name";
	else if (empty_subject && (ca || (ku & KU_CRL_SIGN) || !san))
		en->flaw_why = "an empty subject name";
	else if (empty_subject && !(fl & EXFLAG_SAN_CRITICAL))
		en->flaw_why = "an empty subject name and a subjectAltName that is not critical";
	else if (san && n_san == 0)
		en->flaw_why = "an empty subjectAltName";
	else if (eku && n_eku == 0)
		en->flaw_why = "an empty extendedKeyUsage";
	else if (outer == NULL || X509_ALGOR_cmp(outer, X509_get0_tbs_sigalg(x)) != 0)
		en->flaw_why = "two different signature algorithms";
	else if (fl & (EXFLAG_AKID_CRITICAL | EXFLAG_SKID_CRITICAL))
		en->flaw_why = "a critical key identifier";
	else if (!ca && (ku & KU_KEY_CERT_SIGN) && (fl & EXFLAG_KUSAGE))
		en->flaw_why = "keyCertSign in the key usage of a certificate that is not a CA";
	else if (weak != NULL)
		en->flaw = CF_V_WEAK_KEY, en->flaw_why = weak;
	else
		en->flaw = CF_V_OK;

	en->ca_flaw = CF_V_NOT_CA;
	if (!ca)
		en->ca_flaw_why = (fl & EXFLAG_BCONS) ? "not a CA (basicConstraints cA is false)"
						      : "not a CA (no basicConstraints)";
	else if ((fl & EXFLAG_KUSAGE) && !(ku & KU_KEY_CERT_SIGN))
		en->ca_flaw_why = "not allowed to sign certificates (keyUsage without keyCertSign)";
	else if (!(fl & EXFLAG_BCONS_CRITICAL))
		en->ca_flaw = CF_V_MALFORMED, en->ca_flaw_why = "a CA whose basicConstraints are not critical";
	else if (v3 && X509_get0_subject_key_id(x) == NULL)
		en->ca_flaw = CF_V_MALFORMED, en->ca_flaw_why = "a CA without a subjectKeyIdentifier";
	else
		en->ca_flaw = CF_V_OK;
	if (X509_get_ext_by_NID(x, NID_name_constraints, -1) >= 0) {
		en->nc = X509_get_ext_d2i(x, NID_name_constraints, NULL, NULL);
		if (en->nc == NULL && en->flaw == CF_V_OK)
			en->flaw = CF_V_MALFORMED, en->flaw_why = "name constraints that do not decode";
	}
	if (!strict) {
		bool broken = (fl & (EXFLAG_INVALID | EXFLAG_CRITICAL)) != 0 ||
			      (en->nc == NULL && X509_get_ext_by_NID(x, NID_name_constraints, -1) >= 0);
		if (!broken)
			en->flaw = CF_V_OK;
		en->ca_flaw = X509_check_ca(x) > 0 ? CF_V_OK : CF_V_NOT_CA;
		en->ca_flaw_why = "not a CA";
		en->weak_sig = en->no_aki = false;
	}
	ERR_clear_error();
}

/* key_id: SHA-1 of the SubjectPublicKeyInfo's DER (from the walked bytes when there are). */
static void key_id_of(entry *en)
{
	unsigned char *buf = NULL;
	const unsigned char *p = en->have_der ? en->der.key.spki.p : NULL;
	int len = en->have_der ? (int)en->der.key.spki.len : i2d_X509_PUBKEY(X509_get_X509_PUBKEY(en->x), &buf);
	if (fetched_sha1 == NULL || len <= 0 ||
	    EVP_Digest(p ? p : buf, (size_t)len, en->key_id, NULL, fetched_sha1, NULL) != 1)
		memset(en->key_id, 0, sizeof(en->key_id));
	OPENSSL_free(buf);
}

static entry *entry_new(cf_cert *c, bool anchor, bool local, bool strict)
{
	X509 *x = cf_cert_x(c);
	entry *en = x ? calloc(1, sizeof(*en)) : NULL;
	if (en == NULL)
		return NULL;
	int ok = 0;
	en->cert = cf_cert_ref(c);
	en->x = x;
	en->pk = X509_get0_pubkey(x);
	en->have_der = cf_certder_split(c->der, c->der_len, &en->der) && en->der.len == c->der_len;
	en->subject = X509_get_subject_name(x);
	en->issuer = X509_get_issuer_name(x);
	en->xku = X509_get_extended_key_usage(x);
	en->has_san = X509_get_ext_by_NID(x, NID_subject_alt_name, -1) >= 0;
	en->name_hash = local ? 0 : X509_NAME_hash_ex(en->subject, NULL, NULL, &ok);
	key_id_of(en);
	en->anchor = anchor;
	en->local = local;
	en->not_before = cf_asn1_epoch(X509_get0_notBefore(x));
	en->not_after = cf_asn1_epoch(X509_get0_notAfter(x));
	entry_profile(en, strict);
	ERR_clear_error();
	return en;
}

static void entry_free(entry *en);

/* XKU_* bits of an extendedKeyUsage list (as OpenSSL's extension cache sets them). */
static uint32_t xku_of(const EXTENDED_KEY_USAGE *eku)
{
	static const struct {
		int nid;
		uint32_t bit;
	} map[] = {{NID_server_auth, XKU_SSL_SERVER},
		   {NID_client_auth, XKU_SSL_CLIENT},
		   {NID_email_protect, XKU_SMIME},
		   {NID_code_sign, XKU_CODE_SIGN},
		   {NID_OCSP_sign, XKU_OCSP_SIGN},
		   {NID_time_stamp, XKU_TIMESTAMP},
		   {NID_dvcs, XKU_DVCS},
		   {NID_anyExtendedKeyUsage, XKU_ANYEKU}};
	uint32_t bits = 0;
	for (int i = 0; i < sk_ASN1_OBJECT_num(eku); i++) {
		int nid = OBJ_obj2nid(sk_ASN1_OBJECT_value(eku, i));
		for (size_t k = 0; k < sizeof(map) / sizeof(map[0]); k++)
			if (map[k].nid == nid)
				bits |= map[k].bit;
	}
	return bits;
}

/* What leaf_new reads from a leaf's extensions. */
typedef struct leafexts {
	bool invalid, dup, unknown_crit, ca, pathlen, san_crit, aki, ki_crit, eku, has_ku;
	int n_san, n_eku;
	uint32_t ku;
} leafexts;

/* Walks the leaf's extensions once, decoding each one OpenSSL knows (one that does not decode,
 * or a repeated one, is what OpenSSL's cache calls invalid). */
static void leaf_exts(entry *en, leafexts *le)
{
	const cf_certder *d = &en->der;
	STACK_OF(X509_EXTENSION) *exts = NULL;
	if (d->exts.len > 0) {
		const unsigned char *e = d->exts.p;
		exts = d2i_X509_EXTENSIONS(NULL, &e, (long)d->exts.len);
		le->invalid = exts == NULL || e != d->exts.p + d->exts.len;
	}
	for (int i = 0; i < sk_X509_EXTENSION_num(exts); i++) {
		X509_EXTENSION *ext = sk_X509_EXTENSION_value(exts, i);
		const ASN1_OBJECT *obj = X509_EXTENSION_get_object(ext);
		int nid = OBJ_obj2nid(obj), crit = X509_EXTENSION_get_critical(ext);
		for (int j = 0; j < i; j++)
			le->dup = le->dup ||
				  OBJ_cmp(obj, X509_EXTENSION_get_object(sk_X509_EXTENSION_value(exts, j))) == 0;
		if (crit && !X509_supported_extension(ext) && !le->unknown_crit) {
			le->unknown_crit = true;
			OBJ_obj2txt(en->crit_oid, (int)sizeof(en->crit_oid), obj, 1);
		}
		const X509V3_EXT_METHOD *m = X509V3_EXT_get(ext);
		if (m == NULL)
			continue;
		void *v = X509V3_EXT_d2i(ext);
		if (v == NULL) {
			le->invalid = true;
			continue;
		}
		switch (nid) {
		case NID_subject_alt_name:
			en->has_san = true;
			le->san_crit = crit;
			le->n_san = sk_GENERAL_NAME_num(v);
			break;
		case NID_ext_key_usage:
			le->eku = true;
			le->n_eku = sk_ASN1_OBJECT_num(v);
			en->xku = xku_of(v);
			break;
		case NID_basic_constraints:
			le->ca = ((BASIC_CONSTRAINTS *)v)->ca != 0;
			le->pathlen = ((BASIC_CONSTRAINTS *)v)->pathlen != NULL;
			break;
		case NID_key_usage: {
			const ASN1_BIT_STRING *bits = v;
			le->has_ku = true;
			le->ku = (bits->length > 0 ? bits->data[0] : 0u) |
				 (bits->length > 1 ? (uint32_t)bits->data[1] << 8 : 0u);
			break;
		}
		case NID_authority_key_identifier:
			le->aki = true;
			le->ki_crit = le->ki_crit || crit;
			break;
		case NID_subject_key_identifier: le->ki_crit = le->ki_crit || crit; break;
		default: break;
		}
		if (m->it != NULL)
			ASN1_item_free(v, ASN1_ITEM_ptr(m->it));
		else if (m->ext_free != NULL)
			m->ext_free(v);
	}
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
}

/* A leaf read from its walked DER without decoding it whole: OpenSSL 3 decodes the public key in
 * every d2i_X509 (provider decoders, under locks), which costs more than the leaf's signature
 * check. Its profile is worked out from its extensions as entry_profile does from OpenSSL's cache;
 * NULL when the DER is outside the walker's subset (then entry_new). */
static entry *leaf_new(cf_cert *c, bool strict)
{
	entry *en = calloc(1, sizeof(*en));
	leafexts le = {0};
	if (en == NULL)
		return NULL;
	en->cert = cf_cert_ref(c);
	en->local = true;
	en->own_names = true;
	en->xku = UINT32_MAX;
	cf_certder *d = &en->der;
	en->have_der = cf_certder_split(c->der, c->der_len, d) && d->len == c->der_len;
	const unsigned char *p = en->have_der ? d->subject.p : NULL, *q = en->have_der ? d->issuer.p : NULL;
	if (!en->have_der || (en->subject = d2i_X509_NAME(NULL, &p, (long)d->subject.len)) == NULL ||
	    (en->issuer = d2i_X509_NAME(NULL, &q, (long)d->issuer.len)) == NULL) {
		ERR_clear_error();
		entry_free(en);
		return NULL;
	}
	key_id_of(en);
	en->self_issued = X509_NAME_cmp(en->subject, en->issuer) == 0;
	leaf_exts(en, &le);
	bool v3 = d->exts.len > 0, empty_subject = X509_NAME_entry_count(en->subject) == 0,
	     strong_sig = cf_sigalg_find(&d->sig_alg) != NULL;
	const char *weak = NULL;
	if (d->key.type == CF_KEY_RSA)
		weak = d->key.bits < 2048     ? "an RSA key under 2048 bits"
		       : d->key.bits % 8 != 0 ? "an RSA key whose size is not a multiple of 8 bits"
					      : NULL;
	else if (d->key.type != CF_KEY_EC) /* not a shape the walker knows: decode the key */
		weak = key_weakness(cf_cert_x(c) ? X509_get0_pubkey(cf_cert_x(c)) : NULL);
	if (strict && !strong_sig) {
		int secbits = -1;
		X509 *x = cf_cert_x(c);
		en->weak_sig = x != NULL && X509_get_signature_info(x, NULL, NULL, &secbits, NULL) == 1 &&
			       secbits >= 0 && secbits < 112;
	}
	en->no_aki = strict && v3 && !le.aki;
	en->flaw = CF_V_MALFORMED;
	if (le.invalid || le.dup)
		en->flaw_why = "an extension that does not decode, or one given twice";
	else if (le.unknown_crit)
		en->flaw = CF_V_CRITICAL_EXTENSION, en->flaw_why = "an unknown critical extension";
	else if (!strict)
		en->flaw = CF_V_OK;
	else if (X509_NAME_entry_count(en->issuer) == 0)
		en->flaw_why = "an empty issuer name";
	else if (empty_subject && (le.ca || (le.ku & KU_CRL_SIGN) || !en->has_san))
		en->flaw_why = "an empty subject name";
	else if (empty_subject && !le.san_crit)
		en->flaw_why = "an empty subject name and a subjectAltName that is not critical";
	else if (en->has_san && le.n_san == 0)
		en->flaw_why = "an empty subjectAltName";
	else if (le.eku && le.n_eku == 0)
		en->flaw_why = "an empty extendedKeyUsage";
	else if (d->sig_alg.len != d->tbs_alg.len || memcmp(d->sig_alg.p, d->tbs_alg.p, d->sig_alg.len) != 0)
		en->flaw_why = "two different signature algorithms";
	else if (le.ki_crit)
		en->flaw_why = "a critical key identifier";
	else if (!le.ca && le.pathlen)
		en->flaw_why = "a path length in a certificate that is not a CA";
	else if (!le.ca && le.has_ku && (le.ku & KU_KEY_CERT_SIGN))
		en->flaw_why = "keyCertSign in the key usage of a certificate that is not a CA";
	else if (weak != NULL)
		en->flaw = CF_V_WEAK_KEY, en->flaw_why = weak;
	else
		en->flaw = CF_V_OK;
	ERR_clear_error();
	return en;
}

static void entry_free(entry *en)
{
	if (en == NULL)
		return;
	cf_cert_free(en->cert);
	if (en->own_names) {
		X509_NAME_free(en->subject);
		X509_NAME_free(en->issuer);
	}
	NAME_CONSTRAINTS_free(en->nc);
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

cf_trustidx *cf_trustidx_new_strict(void)
{
	cf_trustidx *idx = cf_trustidx_new();
	if (idx != NULL)
		idx->strict = true;
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
	entry *en = entry_new(c, anchor, false, idx->strict);
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
	const cf_sigalg *a = d != NULL ? cf_sigalg_find(&d->sig_alg) : NULL;
	if (a != NULL) /* the same algorithm inside the TBSCertificate, or X509_verify refuses it */
		return d->tbs_alg.len == d->sig_alg.len && memcmp(d->tbs_alg.p, d->sig_alg.p, d->sig_alg.len) == 0 &&
		       cf_sigalg_verify(a, pk, &d->signature, &d->tbs);
	X509 *x = cf_cert_x(c);
	bool ok = x != NULL && X509_verify(x, pk) == 1;
	ERR_clear_error();
	return ok;
}

/* ---- issuers ---------------------------------------------------------------------------------- */

/* One leaf's walk: its candidates, the path being tried, the budget and the outcome. */
typedef struct walk {
	cf_trustidx *idx;
	entry **extra; /* the certificates given with the leaf (local entries) */
	size_t n_extra;
	int64_t now;
	entry *path[CF_VERIFY_MAX_DEPTH]; /* path[0] is the leaf */
	size_t n;
	unsigned steps, sigs;
	bool exhausted, found;
	/* the failure kept when no path passes: the one of the highest rank, the first of it */
	int rank;
	cf_vfail fail;
	char message[256];
	entry *kept[CF_VERIFY_MAX_DEPTH];
	size_t n_kept;
	bool cn_outside;
} walk;

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

/* How strongly a reason for having no issuer explains the failure: an issuer whose key verifies
 * but that may not issue says most, a key that does not verify less, no such name least. */
static int up_rank(cf_vfail f)
{
	return f == CF_V_NO_ISSUER ? 0 : f == CF_V_BAD_SIGNATURE ? 1 : 2;
}

/* Works out child's issuers: among the index (and, for a local child, the certificates given with
 * the leaf) those named as its issuer whose key verifies its signature and that may issue. One
 * signature check per distinct key; a local child's checks count against the walk's budget. */
static void find_ups(walk *w, entry *child, entry ***out, size_t *n_out, cf_vfail *why)
{
	struct {
		const unsigned char *key_id;
		bool ok;
	} seen[16];
	size_t n_seen = 0, n_found = 0, cap = 0;
	entry **found = NULL;
	cf_vfail worst = CF_V_NO_ISSUER;
	const X509_NAME *issuer = child->issuer;
	unsigned long h = name_hash(issuer);
	entry **v = w->idx->v;
	size_t n = w->idx->n, lo = first_with_hash(w->idx, h);
	/* an index entry's cached issuers must not include certificates given with one leaf */
	for (int pass = 0; pass < (child->local ? 2 : 1); pass++) {
		size_t i = pass == 0 ? lo : 0, end = pass == 0 ? n : w->n_extra;
		for (; i < end; i++) {
			entry *cand = pass == 0 ? v[i] : w->extra[i];
			if (pass == 0 && cand->name_hash != h)
				break;
			if (cand == child || X509_NAME_cmp(cand->subject, issuer) != 0)
				continue;
			bool ok = false, known = false;
			for (size_t k = 0; k < n_seen && !known; k++)
				if (memcmp(seen[k].key_id, cand->key_id, sizeof(cand->key_id)) == 0)
					known = true, ok = seen[k].ok;
			if (!known) {
				if (child->local && w->sigs++ >= WALK_MAX_SIGS) {
					w->exhausted = true;
					break;
				}
				ok = signature_ok(child->cert, child->have_der ? &child->der : NULL, cand->pk);
				if (n_seen < sizeof(seen) / sizeof(seen[0]))
					seen[n_seen].key_id = cand->key_id, seen[n_seen++].ok = ok;
			}
			cf_vfail f = !ok			? CF_V_BAD_SIGNATURE
				     : cand->ca_flaw != CF_V_OK ? cand->ca_flaw
				     : cand->flaw != CF_V_OK	? cand->flaw
								: CF_V_OK;
			if (f != CF_V_OK) {
				if (up_rank(f) > up_rank(worst))
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
	*why = n_found > 0 ? CF_V_OK : worst;
}

/* child's issuers, worked out the first time they are asked for. */
static void ups_of(walk *w, entry *child)
{
	if (child->local) {
		if (child->state == 0) {
			find_ups(w, child, &child->ups, &child->n_ups, &child->up_fail);
			child->state = 1;
		}
		return;
	}
	pthread_mutex_lock(&w->idx->lock);
	int state = child->state;
	pthread_mutex_unlock(&w->idx->lock);
	if (state != 0)
		return;
	entry **ups = NULL;
	size_t n_ups = 0;
	cf_vfail why = CF_V_OK;
	find_ups(w, child, &ups, &n_ups, &why);
	pthread_mutex_lock(&w->idx->lock);
	if (child->state == 0) {
		child->ups = ups;
		child->n_ups = n_ups;
		child->up_fail = why;
		child->state = 1;
		ups = NULL;
	}
	pthread_mutex_unlock(&w->idx->lock);
	free(ups); /* another thread published first */
}

/* ---- the walk --------------------------------------------------------------------------------- */

/* Keeps a failure when it outranks the one kept: 1 a path that ends without an anchor, 2 a
 * complete path that breaks a rule, 3 a complete path whose only fault is a date. The path is
 * kept for ranks 2 and 3. fmt has one %s: the subject of at. */
static void note(walk *w, int rank, cf_vfail f, const entry *at, const char *fmt)
{
	if (rank <= w->rank)
		return;
	char *name = cf_name_str(at->subject);
	snprintf(w->message, sizeof(w->message), fmt, name ? name : "");
	free(name);
	w->rank = rank;
	w->fail = f;
	w->n_kept = rank >= 2 ? w->n - 1 : 0;
	memcpy(w->kept, w->path + 1, w->n_kept * sizeof(*w->kept));
}

/* A certificate of the path that has no usable issuer, f saying why. */
static void note_dead_end(walk *w, const entry *en, cf_vfail f)
{
	if (w->rank >= 1)
		return;
	char *issuer = cf_name_str(en->issuer);
	char safe[100], fmt[240];
	size_t o = 0;
	for (const char *p = issuer ? issuer : ""; *p && o + 3 < sizeof(safe); p++) {
		if (*p == '%') /* the name goes into a format */
			safe[o++] = '%';
		safe[o++] = *p;
	}
	safe[o] = '\0';
	free(issuer);
	const char *above = w->n == 1 ? "" : "above \"%s\": ";
	switch (f) {
	case CF_V_NO_ISSUER:
		snprintf(fmt, sizeof(fmt), "%sno issuer \"%s\" among the trusted and intermediate certificates", above,
			 safe);
		break;
	case CF_V_BAD_SIGNATURE:
		snprintf(fmt, sizeof(fmt), "%sthe signature does not verify with the key of \"%s\"", above, safe);
		break;
	case CF_V_NOT_CA: snprintf(fmt, sizeof(fmt), "%sthe issuer \"%s\" is not a CA certificate", above, safe); break;
	case CF_V_WEAK_KEY:
		snprintf(fmt, sizeof(fmt), "%sthe issuer \"%s\" has a weak or forbidden key", above, safe);
		break;
	case CF_V_CRITICAL_EXTENSION:
		snprintf(fmt, sizeof(fmt), "%sthe issuer \"%s\" has an unknown critical extension", above, safe);
		break;
	default:
		snprintf(fmt, sizeof(fmt), "%sthe issuer \"%s\" breaks RFC 5280's certificate profile", above, safe);
		break;
	}
	note(w, 1, f, en, fmt);
}

/* RFC 5280's checks that depend on the whole path (path[0..n), the last an anchor): path
 * lengths, name constraints, then every issuer's dates at now. True when it passes. */
static bool path_ok(walk *w)
{
	entry **p = w->path;
	size_t n = w->n;
	long below = 0; /* intermediate CAs below the current issuer, which its path length counts */
	bool cn_outside = false;
	/* the leaf's extended key usages (when it lists known ones) must survive every issuer's */
	uint32_t leaf_xku = p[0]->xku;
	bool leaf_restricted = leaf_xku != UINT32_MAX && leaf_xku != 0 && !(leaf_xku & XKU_ANYEKU);
	for (size_t i = 1; i < n; i++) {
		X509 *x = p[i]->x;
		uint32_t xku = X509_get_extended_key_usage(x);
		if (leaf_restricted && xku != UINT32_MAX && !(xku & XKU_ANYEKU) && (xku & leaf_xku) == 0) {
			note(w, 2, CF_V_ISSUER_EKU, p[i],
			     "the extended key usage of the issuer \"%s\" allows none of the certificate's");
			return false;
		}
		if (X509_get_pathlen(x) >= 0 && below > X509_get_pathlen(x)) {
			note(w, 2, CF_V_PATH_LENGTH, p[i], "the issuer \"%s\" allows fewer intermediate CAs below it");
			return false;
		}
		for (size_t j = 0; p[i]->nc != NULL && j < i; j++) {
			if (j > 0 && p[j]->self_issued)
				continue; /* self-issued intermediates are exempt (RFC 5280 6.1.4) */
			/* a leaf read from its DER is decoded only here, where its names are checked */
			X509 *xj = p[j]->x ? p[j]->x : cf_cert_x(p[j]->cert);
			if (xj != NULL && p[j]->x == NULL)
				X509_get_extension_flags(xj); /* fills the extension cache the check reads */
			int rc = xj ? NAME_CONSTRAINTS_check(xj, p[i]->nc) : X509_V_ERR_UNSPECIFIED;
			/* the leaf's subject CN is a name only when it has no subjectAltName (RFC 6125);
			 * otherwise a CN outside the constraints is remembered for host matching */
			if (rc == X509_V_OK && j == 0 && NAME_CONSTRAINTS_check_CN(xj, p[i]->nc) != X509_V_OK) {
				if (!p[0]->has_san)
					rc = X509_V_ERR_PERMITTED_VIOLATION;
				else
					cn_outside = true;
			}
			if (rc != X509_V_OK) {
				ERR_clear_error();
				note(w, 2, CF_V_NAME_CONSTRAINTS, p[i], "a name is outside the constraints of \"%s\"");
				return false;
			}
		}
		if (!p[i]->self_issued)
			below++;
	}
	for (size_t i = 1; i < n; i++) {
		if (w->now > p[i]->not_after) {
			note(w, 3, CF_V_EXPIRED, p[i], "the issuer \"%s\" has expired");
			return false;
		}
		if (w->now < p[i]->not_before) {
			note(w, 3, CF_V_NOT_YET_VALID, p[i], "the issuer \"%s\" is not valid yet");
			return false;
		}
	}
	w->cn_outside = cn_outside;
	return true;
}

static bool on_path(const walk *w, const entry *cand)
{
	for (size_t i = 0; i < w->n; i++) {
		const entry *p = w->path[i];
		if (p == cand || (memcmp(p->key_id, cand->key_id, sizeof(p->key_id)) == 0 &&
				  X509_NAME_cmp(p->subject, cand->subject) == 0))
			return true;
	}
	return false;
}

/* Extends the path above its last certificate with every issuer in turn (anchors first, then
 * those valid at now), depth first; a path ending at an anchor is checked after every longer one
 * through it has been tried. True when a path passed (it is left in w->path). */
static bool extend(walk *w)
{
	entry *top = w->path[w->n - 1];
	bool go_up = !top->anchor || !top->self_issued;
	if (go_up && w->n >= CF_VERIFY_MAX_DEPTH) {
		if (!top->anchor)
			note(w, 1, CF_V_TOO_LONG, top, "no anchor within ten certificates of the leaf (at \"%s\")");
		go_up = false;
	} else if (go_up && top->weak_sig) {
		if (!top->anchor)
			note(w, 1, CF_V_WEAK_SIGNATURE, top, "\"%s\" is signed with a weak hash (SHA-1 or older)");
		go_up = false;
	} else if (go_up && top->no_aki) {
		if (!top->anchor)
			note(w, 1, CF_V_MALFORMED, top, "\"%s\" has no authorityKeyIdentifier");
		go_up = false;
	}
	if (go_up) {
		ups_of(w, top);
		if (top->n_ups == 0 && !top->anchor)
			note_dead_end(w, top, top->up_fail);
		for (int pass = 0; pass < 3 && !w->exhausted; pass++) {
			for (size_t i = 0; i < top->n_ups && !w->exhausted; i++) {
				entry *cand = top->ups[i];
				bool valid = w->now >= cand->not_before && w->now <= cand->not_after;
				int want = cand->anchor && valid ? 0 : valid ? 1 : 2;
				if (want != pass || on_path(w, cand))
					continue;
				if (++w->steps > WALK_MAX_STEPS) {
					w->exhausted = true;
					break;
				}
				w->path[w->n++] = cand;
				if (extend(w))
					return true;
				w->n--;
			}
		}
	}
	return top->anchor && w->n > 1 && !w->exhausted && path_ok(w);
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
	case CF_V_WEAK_KEY: return "weak-key";
	case CF_V_WEAK_SIGNATURE: return "weak-signature";
	case CF_V_MALFORMED: return "malformed-certificate";
	case CF_V_BUDGET: return "path-building-limit";
	case CF_V_ISSUER_EKU: return "issuer-eku";
	}
	return "unknown";
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

/* The leaf's own faults, as the message names them. */
static void leaf_flaw(cf_vresult *out, const entry *leaf)
{
	out->fail = leaf->flaw;
	if (leaf->flaw == CF_V_CRITICAL_EXTENSION) {
		snprintf(out->message, sizeof(out->message), "the certificate has an unknown critical extension %s",
			 leaf->crit_oid);
	} else {
		snprintf(out->message, sizeof(out->message), "the certificate has %s", leaf->flaw_why);
	}
}

cf_code cf_trustidx_verify(cf_trustidx *idx, const cf_cert *leaf, cf_cert *const *extra, size_t n_extra, int64_t now,
			   cf_vresult *out)
{
	memset(out, 0, sizeof(*out));
	ensure_sorted(idx);
	walk w = {.idx = idx, .now = now};
	entry *me = NULL;
	out->chain[out->n++] = cf_cert_ref((cf_cert *)leaf);
	if ((me = leaf_new((cf_cert *)leaf, idx->strict)) == NULL &&
	    (me = entry_new((cf_cert *)leaf, false, true, idx->strict)) == NULL) {
		out->fail = CF_V_UNREADABLE;
		snprintf(out->message, sizeof(out->message), "%s", "the certificate does not decode");
		goto done;
	}
	if (idx->n_anchors > 0 && leaf_is_anchor(idx, leaf, me->subject))
		goto done; /* trusted as it is */
	if (n_extra > 0 && (w.extra = calloc(n_extra, sizeof(*w.extra))) == NULL) {
		out->fail = CF_V_UNREADABLE;
		snprintf(out->message, sizeof(out->message), "%s", "out of memory");
		goto done;
	}
	if (me->flaw != CF_V_OK) {
		leaf_flaw(out, me);
		goto done;
	}
	for (size_t i = 0; i < n_extra; i++) {
		entry *en = entry_new(extra[i], false, true, idx->strict);
		if (en != NULL)
			w.extra[w.n_extra++] = en;
	}
	w.path[w.n++] = me;
	w.found = extend(&w);
	if (w.found) {
		for (size_t i = 1; i < w.n; i++)
			out->chain[out->n++] = cf_cert_ref(w.path[i]->cert);
		out->cn_outside_constraints = w.cn_outside;
	} else if (w.exhausted) {
		out->fail = CF_V_BUDGET;
		snprintf(out->message, sizeof(out->message),
			 "path building gave up after %u issuers tried and %u signatures checked (at most %d and %d)",
			 w.steps > WALK_MAX_STEPS ? WALK_MAX_STEPS : w.steps,
			 w.sigs > WALK_MAX_SIGS ? WALK_MAX_SIGS : w.sigs, WALK_MAX_STEPS, WALK_MAX_SIGS);
	} else {
		out->fail = w.rank > 0 ? w.fail : CF_V_NO_ISSUER;
		snprintf(out->message, sizeof(out->message), "%s", w.rank > 0 ? w.message : "no path to an anchor");
		for (size_t i = 0; i < w.n_kept; i++)
			out->chain[out->n++] = cf_cert_ref(w.kept[i]->cert);
	}
done:
	if (w.extra != NULL)
		for (size_t i = 0; i < w.n_extra; i++)
			entry_free(w.extra[i]);
	free(w.extra);
	entry_free(me);
	ERR_clear_error();
	return CF_OK;
}

/* The extended key usages of bits (CF_EKU_*) as OpenSSL's NIDs. */
static const struct {
	unsigned bit;
	int nid;
} eku_nids[] = {
	{CF_EKU_SERVER_AUTH, NID_server_auth},
	{CF_EKU_CLIENT_AUTH, NID_client_auth},
	{CF_EKU_IPSEC_END_SYSTEM, NID_ipsecEndSystem},
	{CF_EKU_OCSP_SIGNING, NID_OCSP_sign},
};

unsigned cf_vresult_issuer_eku_lacks(const cf_vresult *r, unsigned eku, size_t *at)
{
	for (size_t i = 1; i < r->n; i++) {
		X509 *x = cf_cert_x(r->chain[i]);
		EXTENDED_KEY_USAGE *list = x ? X509_get_ext_d2i(x, NID_ext_key_usage, NULL, NULL) : NULL;
		if (list == NULL)
			continue; /* no extendedKeyUsage: any */
		unsigned has = 0;
		for (int k = 0; k < sk_ASN1_OBJECT_num(list); k++) {
			int nid = OBJ_obj2nid(sk_ASN1_OBJECT_value(list, k));
			if (nid == NID_anyExtendedKeyUsage)
				has = ~0u;
			for (size_t j = 0; j < sizeof(eku_nids) / sizeof(eku_nids[0]); j++)
				if (eku_nids[j].nid == nid)
					has |= eku_nids[j].bit;
		}
		sk_ASN1_OBJECT_pop_free(list, ASN1_OBJECT_free);
		if (eku & ~has) {
			*at = i;
			return eku & ~has;
		}
	}
	ERR_clear_error();
	return 0;
}
