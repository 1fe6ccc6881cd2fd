/* Helpers shared by the crypto module: errors, hex, names, facts from extensions. */
#include <openssl/err.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/objects.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "crypto/crypto_int.h"
#include "util/text.h"

cf_code cf_ossl_err(cf_err *e, cf_code code, const char *subject, const char *what)
{
	char msg[768];
	size_t used = (size_t)snprintf(msg, sizeof(msg), "%s", what);
	unsigned long err;
	const char *sep = ": ";
	while ((err = ERR_get_error()) != 0) {
		const char *reason = ERR_reason_error_string(err);
		if (reason != NULL && used < sizeof(msg) && strstr(msg, reason) == NULL) {
			used += (size_t)snprintf(msg + used, sizeof(msg) - used, "%s%s", sep, reason);
			sep = ", ";
		}
	}
	return cf_err_set(e, code, subject, "%s", msg);
}

void cf_hex(const unsigned char *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = '\0';
}

char *cf_name_str(const X509_NAME *name)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *out = NULL, *data = NULL;
	if (b == NULL)
		return NULL;
	X509_NAME_print_ex(b, name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
	long n = BIO_get_mem_data(b, &data);
	out = strndup(n > 0 ? data : "", n > 0 ? (size_t)n : 0);
	BIO_free(b);
	return out;
}

static const char *const ku_names[] = {"digitalSignature", "nonRepudiation", "keyEncipherment",
				       "dataEncipherment", "keyAgreement",   "keyCertSign",
				       "cRLSign",	   "encipherOnly",   "decipherOnly"};
static const char *const eku_names[] = {"serverAuth", "clientAuth", "ipsecEndSystem", "OCSPSigning"};

const char *cf_ku_name(unsigned bit)
{
	return bit < sizeof(ku_names) / sizeof(ku_names[0]) ? ku_names[bit] : NULL;
}

const char *cf_eku_name(unsigned bit)
{
	return bit < sizeof(eku_names) / sizeof(eku_names[0]) ? eku_names[bit] : NULL;
}

void cf_ku_names(unsigned ku, cf_strv *out)
{
	for (unsigned i = 0; cf_ku_name(i) != NULL; i++)
		if (ku & (1u << i))
			cf_strv_push(out, cf_ku_name(i));
}

void cf_eku_names(unsigned eku, cf_strv *out)
{
	for (unsigned i = 0; cf_eku_name(i) != NULL; i++)
		if (eku & (1u << i))
			cf_strv_push(out, cf_eku_name(i));
}

const char *cf_keytype_name(cf_keytype t)
{
	switch (t) {
	case CF_KEY_RSA: return "RSA";
	case CF_KEY_EC: return "EC";
	case CF_KEY_NONE: return "none";
	case CF_KEY_OTHER: break;
	}
	return "other";
}

const EVP_MD *cf_sha256(void)
{
	static _Atomic(EVP_MD *) cached;
	EVP_MD *md = atomic_load_explicit(&cached, memory_order_acquire), *expected = NULL;
	if (md != NULL)
		return md;
	/* An explicit fetch once: EVP_sha256() would make every EVP_Digest fetch it again, under the
	 * provider store's lock. */
	if ((md = EVP_MD_fetch(NULL, "SHA256", NULL)) == NULL) {
		ERR_clear_error();
		return EVP_sha256();
	}
	if (atomic_compare_exchange_strong_explicit(&cached, &expected, md, memory_order_acq_rel, memory_order_acquire))
		return md;
	EVP_MD_free(md); /* another thread won */
	return expected;
}

void cf_sha256_hex(const void *p, size_t n, char out[static 65])
{
	unsigned char md[32];
	unsigned int mdlen = 0;
	if (EVP_Digest(p, n, md, &mdlen, cf_sha256(), NULL) == 1 && mdlen == sizeof(md))
		cf_hex(md, sizeof(md), out);
	else
		out[0] = '\0';
}

void cf_facts_key(EVP_PKEY *pk, cf_facts *f)
{
	if (pk == NULL)
		return;
	f->key_bits = EVP_PKEY_get_bits(pk);
	if (EVP_PKEY_is_a(pk, "RSA")) {
		f->key_type = CF_KEY_RSA;
	} else if (EVP_PKEY_is_a(pk, "EC")) {
		f->key_type = CF_KEY_EC;
		size_t len = 0;
		EVP_PKEY_get_utf8_string_param(pk, OSSL_PKEY_PARAM_GROUP_NAME, f->curve, sizeof(f->curve), &len);
	} else {
		f->key_type = CF_KEY_OTHER;
	}
	unsigned char *spki = NULL;
	int n = i2d_PUBKEY(pk, &spki);
	if (n > 0)
		cf_sha256_hex(spki, (size_t)n, f->spki_sha256);
	OPENSSL_free(spki);
}

/* The group of a named curve, built once per curve for the process (borrowed; never freed). */
static const EC_GROUP *named_group(int nid)
{
	static const int nids[] = {NID_X9_62_prime256v1, NID_secp384r1, NID_secp521r1};
	static _Atomic(EC_GROUP *) groups[sizeof(nids) / sizeof(nids[0])];
	for (size_t i = 0; i < sizeof(nids) / sizeof(nids[0]); i++) {
		if (nids[i] != nid)
			continue;
		EC_GROUP *g = atomic_load_explicit(&groups[i], memory_order_acquire), *expected = NULL;
		if (g != NULL || (g = EC_GROUP_new_by_curve_name(nid)) == NULL)
			return g;
		if (atomic_compare_exchange_strong_explicit(&groups[i], &expected, g, memory_order_acq_rel,
							    memory_order_acquire))
			return g;
		EC_GROUP_free(g);
		return expected;
	}
	return NULL;
}

/* Whether an encoded point is on the curve, as OpenSSL checks when it decodes an EC key. */
static bool point_on_curve(int nid, const cf_der *point)
{
	const EC_GROUP *group = named_group(nid);
	EC_POINT *pt = group ? EC_POINT_new(group) : NULL;
	bool ok = pt != NULL && EC_POINT_oct2point(group, pt, point->p, point->len, NULL) == 1;
	EC_POINT_free(pt);
	return ok;
}

bool cf_facts_spki(const cf_spkider *k, cf_facts *f)
{
	const char *curve = NULL;
	if (k->type == CF_KEY_EC) {
		ERR_set_mark();
		bool on_curve = point_on_curve(k->curve_nid, &k->ec_point);
		ERR_pop_to_mark();
		if (!on_curve || (curve = OBJ_nid2sn(k->curve_nid)) == NULL)
			return false;
	} else if (k->type != CF_KEY_RSA) {
		return false;
	}
	f->key_type = k->type;
	f->key_bits = k->bits;
	snprintf(f->curve, sizeof(f->curve), "%s", curve ? curve : "");
	cf_sha256_hex(k->spki.p, k->spki.len, f->spki_sha256);
	return true;
}

/* An IA5String name (a DNS name, e-mail address or URI) kept as text: CF_E_INPUT when it holds a
 * NUL, which would end it early in every string after this one (the "victim.example.com\0
 * .attacker.example" trick, a name no host matches that would read as one that does), or a byte
 * above 0x7f, which is not IA5 text. Other bytes are kept as they are: a name with a control
 * character matches no host (cf_host_matches), and printers escape it. `what` names the field. */
static cf_code ia5_name(const ASN1_IA5STRING *s, const char *what, cf_err *e)
{
	const unsigned char *p = ASN1_STRING_get0_data(s);
	int len = ASN1_STRING_length(s);
	for (int i = 0; i < len; i++) {
		if (p[i] != 0 && p[i] < 0x80)
			continue;
		char shown[200];
		cf_text_escape((const char *)p, (size_t)len, shown, sizeof(shown));
		if (p[i] == 0)
			return cf_err_set(e, CF_E_INPUT, "certificate", "its %s \"%s\" holds a NUL byte", what, shown);
		return cf_err_set(e, CF_E_INPUT, "certificate",
				  "its %s \"%s\" holds byte 0x%02x, which is not IA5 text", what, shown, p[i]);
	}
	return CF_OK;
}

/* Appends a SAN-style "DNS:x", "URI:x", "email:x" or "IP:a.b.c.d" for gn (other types are
 * skipped); `ext` names the extension for the error. */
static cf_code push_general_name(const GENERAL_NAME *gn, const char *ext, cf_strv *out, cf_err *e)
{
	switch (gn->type) {
	case GEN_DNS:
	case GEN_URI:
	case GEN_EMAIL: {
		const ASN1_IA5STRING *s = gn->d.ia5;
		const char *prefix = gn->type == GEN_DNS ? "DNS" : gn->type == GEN_URI ? "URI" : "email";
		char what[64];
		snprintf(what, sizeof(what), "%s %s", ext,
			 gn->type == GEN_DNS   ? "DNS name"
			 : gn->type == GEN_URI ? "URI"
					       : "e-mail address");
		cf_code rc = ia5_name(s, what, e);
		if (rc != CF_OK)
			return rc;
		cf_strv_pushf(out, "%s:%.*s", prefix, ASN1_STRING_length(s), (const char *)ASN1_STRING_get0_data(s));
		break;
	}
	case GEN_IPADD: {
		const unsigned char *p = ASN1_STRING_get0_data(gn->d.ip);
		int len = ASN1_STRING_length(gn->d.ip);
		if (len == 4) {
			cf_strv_pushf(out, "IP:%u.%u.%u.%u", p[0], p[1], p[2], p[3]);
		} else if (len == 16) {
			char buf[64];
			int o = snprintf(buf, sizeof(buf), "IP:");
			for (int i = 0; i < 16; i += 2)
				o += snprintf(buf + o, sizeof(buf) - (size_t)o, "%s%x", i ? ":" : "",
					      (p[i] << 8) | p[i + 1]);
			cf_strv_push(out, buf);
		}
		break;
	}
	default: break;
	}
	return CF_OK;
}

static void facts_eku(const EXTENDED_KEY_USAGE *eku, cf_facts *f)
{
	f->has_eku = true;
	for (int i = 0; i < sk_ASN1_OBJECT_num(eku); i++) {
		const ASN1_OBJECT *o = sk_ASN1_OBJECT_value(eku, i);
		switch (OBJ_obj2nid(o)) {
		case NID_server_auth: f->eku |= CF_EKU_SERVER_AUTH; break;
		case NID_client_auth: f->eku |= CF_EKU_CLIENT_AUTH; break;
		case NID_ipsecEndSystem: f->eku |= CF_EKU_IPSEC_END_SYSTEM; break;
		case NID_OCSP_sign: f->eku |= CF_EKU_OCSP_SIGNING; break;
		default: {
			char oid[80];
			OBJ_obj2txt(oid, sizeof(oid), o, 1);
			cf_strv_push(&f->eku_other, oid);
		}
		}
	}
}

static cf_code facts_aia(const AUTHORITY_INFO_ACCESS *aia, cf_facts *f, cf_err *e)
{
	cf_code rc = CF_OK;
	for (int i = 0; i < sk_ACCESS_DESCRIPTION_num(aia) && rc == CF_OK; i++) {
		const ACCESS_DESCRIPTION *ad = sk_ACCESS_DESCRIPTION_value(aia, i);
		if (OBJ_obj2nid(ad->method) == NID_ad_OCSP && ad->location->type == GEN_URI)
			rc = push_general_name(ad->location, "authorityInfoAccess OCSP", &f->ocsp, e);
	}
	for (size_t i = 0; i < f->ocsp.n; i++) /* drop the "URI:" prefix */
		memmove(f->ocsp.v[i], f->ocsp.v[i] + 4, strlen(f->ocsp.v[i] + 4) + 1);
	return rc;
}

static cf_code facts_cdp(const CRL_DIST_POINTS *cdp, cf_facts *f, cf_err *e)
{
	for (int i = 0; i < sk_DIST_POINT_num(cdp); i++) {
		const DIST_POINT *dp = sk_DIST_POINT_value(cdp, i);
		if (dp->distpoint == NULL || dp->distpoint->type != 0)
			continue;
		const GENERAL_NAMES *names = dp->distpoint->name.fullname;
		for (int j = 0; j < sk_GENERAL_NAME_num(names); j++) {
			const GENERAL_NAME *gn = sk_GENERAL_NAME_value(names, j);
			if (gn->type != GEN_URI)
				continue;
			cf_code rc = ia5_name(gn->d.ia5, "cRLDistributionPoints URI", e);
			if (rc != CF_OK)
				return rc;
			cf_strv_pushf(&f->crl_dp, "%.*s", ASN1_STRING_length(gn->d.ia5),
				      (const char *)ASN1_STRING_get0_data(gn->d.ia5));
		}
	}
	return CF_OK;
}

cf_code cf_facts_exts(const STACK_OF(X509_EXTENSION) * exts, cf_facts *f, cf_err *e)
{
	cf_code rc = CF_OK;
	for (int i = 0; i < sk_X509_EXTENSION_num(exts) && rc == CF_OK; i++) {
		X509_EXTENSION *ext = sk_X509_EXTENSION_value(exts, i);
		int nid = OBJ_obj2nid(X509_EXTENSION_get_object(ext));
		void *d = X509V3_EXT_d2i(ext);
		if (d == NULL)
			continue;
		switch (nid) {
		case NID_basic_constraints:
			f->has_basic_constraints = true;
			f->ca = ((BASIC_CONSTRAINTS *)d)->ca != 0;
			if (((BASIC_CONSTRAINTS *)d)->pathlen != NULL) {
				long pl = ASN1_INTEGER_get(((BASIC_CONSTRAINTS *)d)->pathlen);
				f->has_pathlen = pl >= 0;
				f->pathlen = pl >= 0 && pl < INT32_MAX ? (int)pl : INT32_MAX;
			}
			BASIC_CONSTRAINTS_free(d);
			break;
		case NID_key_usage: {
			ASN1_BIT_STRING *bs = d;
			f->has_ku = true;
			for (int bit = 0; bit < 9; bit++)
				if (ASN1_BIT_STRING_get_bit(bs, bit))
					f->ku |= 1u << bit;
			ASN1_BIT_STRING_free(bs);
			break;
		}
		case NID_ext_key_usage:
			facts_eku(d, f);
			EXTENDED_KEY_USAGE_free(d);
			break;
		case NID_subject_alt_name: {
			GENERAL_NAMES *names = d;
			for (int j = 0; j < sk_GENERAL_NAME_num(names) && rc == CF_OK; j++)
				rc = push_general_name(sk_GENERAL_NAME_value(names, j), "subjectAltName", &f->san, e);
			GENERAL_NAMES_free(names);
			break;
		}
		case NID_info_access:
			rc = facts_aia(d, f, e);
			AUTHORITY_INFO_ACCESS_free(d);
			break;
		case NID_crl_distribution_points:
			rc = facts_cdp(d, f, e);
			CRL_DIST_POINTS_free(d);
			break;
		default: {
			const X509V3_EXT_METHOD *m = X509V3_EXT_get(ext);
			if (m != NULL && m->it != NULL)
				ASN1_item_free(d, ASN1_ITEM_ptr(m->it));
			else if (m != NULL && m->ext_free != NULL)
				m->ext_free(d);
		}
		}
	}
	return rc;
}

/* Subject attributes UC platforms accept: the X.520 set, e-mail, DC, UID, and the EV
 * jurisdiction OIDs (SPEC §3.4). */
static bool supported_attribute(const ASN1_OBJECT *o)
{
	static const char *ev[] = {"1.3.6.1.4.1.311.60.2.1.1", "1.3.6.1.4.1.311.60.2.1.2", "1.3.6.1.4.1.311.60.2.1.3"};
	char oid[80];
	OBJ_obj2txt(oid, sizeof(oid), o, 1);
	if (strncmp(oid, "2.5.4.", 6) == 0 || strcmp(oid, "1.2.840.113549.1.9.1") == 0 ||
	    strcmp(oid, "0.9.2342.19200300.100.1.25") == 0 || strcmp(oid, "0.9.2342.19200300.100.1.1") == 0)
		return true;
	for (size_t i = 0; i < sizeof(ev) / sizeof(ev[0]); i++)
		if (strcmp(oid, ev[i]) == 0)
			return true;
	return false;
}

cf_code cf_facts_subject(const X509_NAME *name, cf_facts *f, cf_err *e)
{
	f->subject = cf_name_str(name);
	for (int i = 0; i < X509_NAME_entry_count(name); i++) {
		const X509_NAME_ENTRY *ent = X509_NAME_get_entry(name, i);
		const ASN1_OBJECT *o = X509_NAME_ENTRY_get_object(ent);
		if (OBJ_obj2nid(o) == NID_commonName) {
			unsigned char *utf8 = NULL;
			int n = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(ent));
			if (n > 0 && memchr(utf8, 0, (size_t)n) != NULL) {
				/* as in a DNS name: the CN would read as its part before the NUL */
				char shown[200];
				cf_text_escape((const char *)utf8, (size_t)n, shown, sizeof(shown));
				OPENSSL_free(utf8);
				return cf_err_set(e, CF_E_INPUT, "certificate",
						  "its subject CN \"%s\" holds a NUL character", shown);
			}
			if (n >= 0) {
				free(f->cn);
				f->cn = strndup((char *)utf8, (size_t)n);
			}
			OPENSSL_free(utf8);
		} else if (!supported_attribute(o)) {
			char oid[80];
			OBJ_obj2txt(oid, sizeof(oid), o, 1);
			cf_strv_push_unique(&f->unsupported_oids, oid);
		}
	}
	if (f->cn == NULL)
		f->cn = strdup("");
	return CF_OK;
}

void cf_facts_free(cf_facts *f)
{
	if (f == NULL)
		return;
	free(f->subject);
	free(f->issuer);
	free(f->cn);
	free(f->serial);
	cf_strv_clear(&f->eku_other);
	cf_strv_clear(&f->san);
	cf_strv_clear(&f->ocsp);
	cf_strv_clear(&f->crl_dp);
	cf_strv_clear(&f->unsupported_oids);
	memset(f, 0, sizeof(*f));
}

int64_t cf_asn1_epoch(const ASN1_TIME *t)
{
	struct tm tm;
	if (t == NULL || !ASN1_TIME_to_tm(t, &tm))
		return 0;
	return (int64_t)timegm(&tm);
}
