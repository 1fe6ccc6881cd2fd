/* Unit tests for the local CA's builders (src/crypto/issue.c): certificates from requests (a
 * root, an intermediate with pathlen 0, leaves under a profile or with the request's extensions
 * copied), serials, reason codes, CRLs, and issuing from two threads at once. The openssl command
 * is the oracle: it verifies chains and CRLs, prints extensions and dates, and says where the
 * fields of a certificate and a request lie (asn1parse), so the subject can be compared byte for
 * byte. The CA keys live in a mkdtemp directory removed at the end; no key is printed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "crypto/crl.h"
#include "crypto/issue.h"
#include "crypto/signer.h"
#include "crypto/x509.h"
#include "util/secret.h"

#define HOUR INT64_C(3600)
#define DAY INT64_C(86400)
#define T2051 INT64_C(2556144000) /* 2051-01-01T00:00:00Z: a GeneralizedTime notAfter */

static struct {
	char dir[64];
	int64_t now, nb; /* the run's time, and notBefore (an hour back) */
	cf_key *root_key, *inter_key, *leaf_key, *ec_root_key;
	cf_signer *root_s, *inter_s, *ec_root_s;
	cf_cert *root, *inter, *ec_root;
} g;

/* ---- helpers ------------------------------------------------------------------------------------ */

/* Runs a shell command in the test directory; returns its output (stdout and stderr, a new
 * string) and its exit status in *status. */
static char *run(int *status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static char *run(int *status, const char *fmt, ...)
{
	char cmd[16384], full[17000];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	snprintf(full, sizeof(full), "cd '%s' && { %s ; } 2>&1", g.dir, cmd);
	FILE *p = popen(full, "r");
	assert_non_null(p);
	size_t cap = 4096, n = 0, r;
	char *buf = malloc(cap);
	assert_non_null(buf);
	while ((r = fread(buf + n, 1, cap - n - 1, p)) > 0) {
		n += r;
		if (cap - n < 2) {
			cap *= 2;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
	}
	buf[n] = '\0';
	int st = pclose(p);
	*status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	return buf;
}

/* Runs a command that must succeed; returns its output. */
static char *run_ok(const char *cmd)
{
	int st = 0;
	char *out = run(&st, "%s", cmd);
	if (st != 0)
		fail_msg("`%s` failed (%d):\n%s", cmd, st, out);
	return out;
}

static void assert_has(const char *out, const char *want)
{
	if (strstr(out, want) == NULL)
		fail_msg("expected \"%s\" in:\n%s", want, out);
}

static void assert_lacks(const char *out, const char *unwanted)
{
	if (strstr(out, unwanted) != NULL)
		fail_msg("did not expect \"%s\" in:\n%s", unwanted, out);
}

static size_t count(const char *out, const char *what)
{
	size_t n = 0;
	for (const char *p = out; (p = strstr(p, what)) != NULL; p += strlen(what))
		n++;
	return n;
}

static void write_file(const char *name, const void *data, size_t len)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", g.dir, name);
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static uint8_t *read_file(const char *name, size_t *len)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", g.dir, name);
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	uint8_t *buf = malloc(1 << 20);
	assert_non_null(buf);
	*len = fread(buf, 1, 1 << 20, f);
	fclose(f);
	return buf;
}

/* name.pem and name.der */
static void write_cert(const char *name, const cf_cert *c)
{
	char file[128], *pem = cf_cert_pem(c);
	size_t len = 0;
	const uint8_t *der = cf_cert_der(c, &len);
	assert_non_null(pem);
	snprintf(file, sizeof(file), "%s.pem", name);
	write_file(file, pem, strlen(pem));
	snprintf(file, sizeof(file), "%s.der", name);
	write_file(file, der, len);
	free(pem);
}

/* name.csr (PEM) and name.csr.der */
static void write_csr(const char *name, const cf_csr *csr)
{
	char file[128], *pem = cf_csr_pem(csr);
	size_t len = 0;
	uint8_t *der = cf_csr_der(csr, &len);
	assert_non_null(pem);
	assert_non_null(der);
	snprintf(file, sizeof(file), "%s.csr", name);
	write_file(file, pem, strlen(pem));
	snprintf(file, sizeof(file), "%s.csr.der", name);
	write_file(file, der, len);
	free(pem);
	free(der);
}

static cf_key *new_key(const char *text)
{
	cf_keyspec ks;
	cf_key *k = NULL;
	cf_err e = {0};
	if (cf_keyspec_parse(text, &ks, &e) != CF_OK || cf_key_generate(&ks, &k, &e) != CF_OK)
		return NULL;
	return k;
}

/* A request for key with CN cn, the SANs given (NULL-terminated, may be NULL) and CA:TRUE or
 * CA:FALSE asked; NULL on failure. */
static cf_csr *new_csr(const cf_key *key, const char *cn, const char *const *san, bool ca)
{
	cf_strv sv = {0};
	for (size_t i = 0; san != NULL && san[i] != NULL; i++)
		cf_strv_push(&sv, san[i]);
	cf_reqspec rs = {.dn = {.c = "DE", .o = "certfleet test", .cn = cn}, .san = &sv, .ca = ca};
	cf_csr *csr = NULL;
	cf_err e = {0};
	if (cf_csr_create(&rs, key, &csr, &e) != CF_OK)
		fprintf(stderr, "CSR %s: %s\n", cn, e.message);
	cf_strv_clear(&sv);
	return csr;
}

/* cf_issue_cert with a fresh serial when spec->serial is NULL; NULL (with e set) on failure. */
static cf_cert *issue(const cf_csr *csr, cf_issue_spec spec, const cf_cert *issuer, const cf_signer *s, cf_err *e)
{
	uint8_t serial[CF_SERIAL_LEN];
	cf_cert *c = NULL;
	if (spec.serial == NULL) {
		if (cf_issue_serial(serial, e) != CF_OK)
			return NULL;
		spec.serial = serial;
		spec.serial_len = sizeof(serial);
	}
	if (cf_issue_cert(csr, &spec, issuer, s, &c, e) != CF_OK)
		return NULL;
	return c;
}

static cf_issue_spec ca_spec(int pathlen, int64_t days)
{
	return (cf_issue_spec){.not_before = g.nb,
			       .not_after = g.now + days * DAY,
			       .ca = true,
			       .pathlen = pathlen,
			       .ku = CF_KU_KEY_CERT_SIGN | CF_KU_CRL_SIGN};
}

/* A CA certificate for key: self-issued when issuer is NULL. */
static cf_cert *make_ca(const cf_key *key, const char *cn, int pathlen, const cf_cert *issuer, const cf_signer *s)
{
	cf_csr *csr = new_csr(key, cn, NULL, true);
	cf_err e = {0};
	cf_cert *c = csr ? issue(csr, ca_spec(pathlen, 3650), issuer, s, &e) : NULL;
	if (csr != NULL && c == NULL)
		fprintf(stderr, "CA %s: %s: %s\n", cn, e.subject, e.message);
	cf_csr_free(csr);
	return c;
}

/* A leaf profile like a Tomcat certificate's. */
static cf_issue_spec leaf_spec(void)
{
	return (cf_issue_spec){.not_before = g.nb,
			       .not_after = g.now + 365 * DAY,
			       .ku = CF_KU_DIGITAL_SIGNATURE | CF_KU_KEY_ENCIPHERMENT,
			       .eku = CF_EKU_SERVER_AUTH | CF_EKU_CLIENT_AUTH,
			       .pathlen = -1};
}

static cf_cert *leaf_of(const cf_csr *csr, const cf_cert *issuer, const cf_signer *s)
{
	cf_err e = {0};
	cf_cert *c = issue(csr, leaf_spec(), issuer, s, &e);
	if (c == NULL)
		fail_msg("leaf: %s: %s", e.subject, e.message);
	return c;
}

/* The TLV at the index-th element of depth 2 in a DER file, as `openssl asn1parse` places it: in
 * a certificate the TBSCertificate's fields (3 issuer, 5 subject), in a request the
 * CertificationRequestInfo's (1 subject). A new buffer. */
static uint8_t *field(const char *file, int index, size_t *len)
{
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "openssl asn1parse -inform DER -in %s", file);
	char *out = run_ok(cmd), *save = NULL;
	size_t off = 0, hl = 0, l = 0, flen = 0;
	int seen = 0, d = 0;
	bool found = false;
	for (char *line = strtok_r(out, "\n", &save); line != NULL && !found; line = strtok_r(NULL, "\n", &save))
		if (sscanf(line, " %zu:d=%d hl=%zu l=%zu", &off, &d, &hl, &l) == 4 && d == 2 && seen++ == index)
			found = true;
	free(out);
	assert_true(found);
	uint8_t *der = read_file(file, &flen);
	assert_true(off + hl + l <= flen);
	uint8_t *tlv = malloc(hl + l);
	assert_non_null(tlv);
	memcpy(tlv, der + off, hl + l);
	free(der);
	*len = hl + l;
	return tlv;
}

static void assert_same_field(const char *a, int ia, const char *b, int ib)
{
	size_t la = 0, lb = 0;
	uint8_t *fa = field(a, ia, &la), *fb = field(b, ib, &lb);
	assert_int_equal(la, lb);
	assert_memory_equal(fa, fb, la);
	free(fa);
	free(fb);
}

/* The hex line under an extension `openssl x509 -ext` prints (a key identifier). */
static char *ext_value(const char *pem, const char *ext)
{
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "openssl x509 -in %s -noout -ext %s | sed -n 2p | tr -d ' '", pem, ext);
	return run_ok(cmd);
}

static void iso(int64_t t, char out[32])
{
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(out, 32, "%Y-%m-%d %H:%M:%SZ", &tm);
}

/* ---- setup ---------------------------------------------------------------------------------------- */

static int group_setup(void **state)
{
	(void)state;
	cf_err e = {0};
	snprintf(g.dir, sizeof(g.dir), "/tmp/cf-test-issue-XXXXXX");
	if (mkdtemp(g.dir) == NULL)
		return -1;
	g.now = (int64_t)time(NULL);
	g.nb = g.now - HOUR;
	g.root_key = new_key("rsa:2048");
	g.inter_key = new_key("ec:P-256");
	g.leaf_key = new_key("rsa:2048");
	g.ec_root_key = new_key("ec:P-384");
	if (!g.root_key || !g.inter_key || !g.leaf_key || !g.ec_root_key)
		return -1;
	if (cf_signer_local_new(g.root_key, NULL, &g.root_s, &e) != CF_OK ||
	    cf_signer_local_new(g.inter_key, NULL, &g.inter_s, &e) != CF_OK ||
	    cf_signer_local_new(g.ec_root_key, "sha384", &g.ec_root_s, &e) != CF_OK) {
		fprintf(stderr, "signer: %s\n", e.message);
		return -1;
	}
	g.root = make_ca(g.root_key, "certfleet test root", -1, NULL, g.root_s);
	g.inter = g.root ? make_ca(g.inter_key, "certfleet test intermediate", 0, g.root, g.root_s) : NULL;
	g.ec_root = make_ca(g.ec_root_key, "certfleet test EC root", 1, NULL, g.ec_root_s);
	if (!g.root || !g.inter || !g.ec_root)
		return -1;
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", g.dir); /* the CA keys go with it */
	int rc = system(cmd);
	cf_cert_free(g.root);
	cf_cert_free(g.inter);
	cf_cert_free(g.ec_root);
	cf_signer_free(g.root_s);
	cf_signer_free(g.inter_s);
	cf_signer_free(g.ec_root_s);
	cf_key_free(g.root_key);
	cf_key_free(g.inter_key);
	cf_key_free(g.leaf_key);
	cf_key_free(g.ec_root_key);
	return rc == 0 ? 0 : -1;
}

/* ---- certificates ------------------------------------------------------------------------------- */

/* A root, an intermediate (EC, pathlen 0) and a leaf with a Tomcat-like profile verify with
 * openssl, and carry what the profile says. */
static void test_chain(void **state)
{
	(void)state;
	static const char *const san[] = {"DNS:leaf.example.com", "IP:192.0.2.7", NULL};
	cf_csr *csr = new_csr(g.leaf_key, "leaf.example.com", san, false);
	assert_non_null(csr);
	cf_issue_spec spec = leaf_spec();
	static const uint8_t serial[] = {0x00, 0x80, 0x11, 0x22}; /* positive, with its required 00 */
	spec.serial = serial;
	spec.serial_len = sizeof(serial);
	spec.not_after = T2051;
	spec.crl_url = "http://ca.example.com/crl/inter.crl";
	spec.ocsp_url = "http://ca.example.com/ocsp";
	cf_err e = {0};
	cf_cert *leaf = issue(csr, spec, g.inter, g.inter_s, &e);
	if (leaf == NULL)
		fail_msg("%s: %s", e.subject, e.message);
	write_cert("root", g.root);
	write_cert("inter", g.inter);
	write_cert("leaf", leaf);
	write_csr("leaf", csr);

	char *out = run_ok("openssl verify -CAfile root.pem -untrusted inter.pem leaf.pem");
	assert_has(out, "leaf.pem: OK");
	free(out);
	out = run_ok("openssl verify -purpose sslserver -CAfile root.pem -untrusted inter.pem leaf.pem && "
		     "openssl verify -purpose sslclient -CAfile root.pem -untrusted inter.pem leaf.pem");
	free(out);

	out = run_ok("openssl x509 -in leaf.pem -noout -text");
	assert_has(out, "Version: 3 (0x2)");
	assert_has(out, "Serial Number: 8392994 (0x801122)");
	assert_has(out, "X509v3 Basic Constraints: critical\n                CA:FALSE");
	assert_has(out, "X509v3 Key Usage: critical\n                Digital Signature, Key Encipherment\n");
	assert_has(out, "TLS Web Server Authentication, TLS Web Client Authentication\n");
	assert_has(out, "DNS:leaf.example.com, IP Address:192.0.2.7");
	assert_has(out, "Full Name:\n                  URI:http://ca.example.com/crl/inter.crl");
	assert_has(out, "OCSP - URI:http://ca.example.com/ocsp");
	assert_has(out, "Issuer: C = DE, O = certfleet test, CN = certfleet test intermediate");
	assert_has(out, "Signature Algorithm: ecdsa-with-SHA256");
	assert_lacks(out, "OCSP No Check");
	free(out);
	/* the keyUsage BIT STRING in DER: 5 unused bits, digitalSignature and keyEncipherment */
	static const uint8_t ku_der[] = {0x06, 0x03, 0x55, 0x1d, 0x0f, 0x01, 0x01,
					 0xff, 0x04, 0x04, 0x03, 0x02, 0x05, 0xa0};
	size_t der_len = 0;
	const uint8_t *der = cf_cert_der(leaf, &der_len);
	assert_non_null(memmem(der, der_len, ku_der, sizeof(ku_der)));

	out = run_ok("openssl x509 -in inter.pem -noout -text");
	assert_has(out, "X509v3 Basic Constraints: critical\n                CA:TRUE, pathlen:0\n");
	assert_has(out, "X509v3 Key Usage: critical\n                Certificate Sign, CRL Sign\n");
	assert_lacks(out, "Extended Key Usage");
	assert_lacks(out, "CRL Distribution");
	free(out);
	out = run_ok("openssl x509 -in root.pem -noout -text");
	assert_has(out, "X509v3 Basic Constraints: critical\n                CA:TRUE\n");
	assert_has(out, "Certificate Sign, CRL Sign");
	assert_has(out, "Issuer: C = DE, O = certfleet test, CN = certfleet test root");
	assert_has(out, "Subject: C = DE, O = certfleet test, CN = certfleet test root");
	assert_has(out, "Signature Algorithm: sha256WithRSAEncryption");
	free(out);

	/* the dates as given: UTCTime notBefore, GeneralizedTime notAfter */
	char nb[32], want[128];
	iso(g.nb, nb);
	out = run_ok("openssl x509 -in leaf.pem -noout -startdate -enddate -dateopt iso_8601");
	snprintf(want, sizeof(want), "notBefore=%s\nnotAfter=2051-01-01 00:00:00Z\n", nb);
	assert_string_equal(out, want);
	free(out);
	out = run_ok("openssl asn1parse -inform DER -in leaf.der");
	assert_has(out, "GENERALIZEDTIME   :20510101000000Z");
	assert_int_equal(count(out, "UTCTIME"), 1);
	free(out);

	/* subject Name DER identical to the request's; issuer = the intermediate's subject */
	assert_same_field("leaf.der", 5, "leaf.csr.der", 1);
	assert_same_field("leaf.der", 3, "inter.der", 5);
	assert_same_field("root.der", 3, "root.der", 5);

	/* key identifiers: the SKI is RFC 5280's method 1 as openssl computes it for the same key,
	 * each AKI its issuer's SKI (a root's its own) */
	char *pem = cf_key_pem(g.leaf_key);
	assert_non_null(pem);
	write_file("leaf.key", pem, strlen(pem));
	cf_secret_free(pem);
	out = run_ok("openssl req -new -x509 -key leaf.key -subj /CN=x -days 1 -addext subjectKeyIdentifier=hash "
		     "-out ossl.pem");
	free(out);
	char *ski_ossl = ext_value("ossl.pem", "subjectKeyIdentifier"),
	     *ski = ext_value("leaf.pem", "subjectKeyIdentifier");
	assert_string_equal(ski, ski_ossl);
	assert_int_equal(strlen(ski), 20 * 3); /* "AB:...:CD\n" */
	free(ski);
	free(ski_ossl);
	char *aki = ext_value("leaf.pem", "authorityKeyIdentifier"),
	     *iski = ext_value("inter.pem", "subjectKeyIdentifier");
	assert_string_equal(aki, iski);
	free(aki);
	free(iski);
	aki = ext_value("root.pem", "authorityKeyIdentifier");
	char *rski = ext_value("root.pem", "subjectKeyIdentifier");
	assert_string_equal(aki, rski);
	free(aki);
	free(rski);

	/* certfleet's own reading agrees */
	cf_facts f = {0};
	assert_int_equal(cf_cert_facts(leaf, &f, &e), CF_OK);
	assert_string_equal(f.serial, "801122");
	assert_int_equal(f.not_before, g.nb);
	assert_int_equal(f.not_after, T2051);
	assert_false(f.ca);
	assert_true(cf_strv_contains(&f.san, "DNS:leaf.example.com"));
	cf_facts_free(&f);
	assert_true(cf_cert_issued_by(leaf, g.inter));
	assert_true(cf_cert_issued_by(g.inter, g.root));
	assert_true(cf_cert_is_self_signed(g.root));

	cf_cert_free(leaf);
	cf_csr_free(csr);
}

/* A delegated OCSP responder's certificate, every key usage bit (a two-octet BIT STRING) and the
 * other extended key usages. */
static void test_ocsp_signer_profile(void **state)
{
	(void)state;
	cf_csr *csr = new_csr(g.leaf_key, "ocsp.example.com", NULL, false);
	assert_non_null(csr);
	cf_issue_spec spec = leaf_spec();
	spec.ku = 0x1ff;
	spec.eku = CF_EKU_OCSP_SIGNING | CF_EKU_IPSEC_END_SYSTEM;
	spec.ocsp_nocheck = true;
	spec.crl_url = "";
	cf_err e = {0};
	cf_cert *c = issue(csr, spec, g.root, g.root_s, &e);
	if (c == NULL)
		fail_msg("%s: %s", e.subject, e.message);
	write_cert("ocsp", c);
	char *out = run_ok("openssl x509 -in ocsp.pem -noout -text");
	assert_has(out, "Digital Signature, Non Repudiation, Key Encipherment, Data Encipherment, Key Agreement, "
			"Certificate Sign, CRL Sign, Encipher Only, Decipher Only\n");
	assert_has(out, "IPSec End System, OCSP Signing\n");
	assert_has(out, "OCSP No Check");
	assert_lacks(out, "CRL Distribution");
	assert_lacks(out, "Authority Information Access");
	assert_lacks(out, "Subject Alternative Name");
	free(out);
	out = run_ok("openssl verify -CAfile root.pem ocsp.pem");
	free(out);
	static const uint8_t ku_der[] = {0x03, 0x03, 0x07, 0xff, 0x80}; /* bit 8 in the second octet */
	size_t der_len = 0;
	const uint8_t *der = cf_cert_der(c, &der_len);
	assert_non_null(memmem(der, der_len, ku_der, sizeof(ku_der)));
	cf_cert_free(c);
	cf_csr_free(csr);
}

/* Times on both sides of 1950 and 2050 and a leap day, in the encoding RFC 5280 asks. */
static void test_times(void **state)
{
	(void)state;
	static const struct {
		int64_t nb, na;
		const char *want_nb, *want_na;
	} cases[] = {
		{INT64_C(2524607999), INT64_C(2524608000), "UTCTIME           :491231235959Z",
		 "GENERALIZEDTIME   :20500101000000Z"},
		{INT64_C(-631152001), INT64_C(-631152000), "GENERALIZEDTIME   :19491231235959Z",
		 "UTCTIME           :500101000000Z"},
		{INT64_C(1709210096), INT64_C(253402300799), "UTCTIME           :240229123456Z",
		 "GENERALIZEDTIME   :99991231235959Z"},
		{INT64_C(0), INT64_C(951782400), "UTCTIME           :700101000000Z",
		 "UTCTIME           :000229000000Z"},
	};
	cf_csr *csr = new_csr(g.leaf_key, "times.example.com", NULL, false);
	assert_non_null(csr);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cf_issue_spec spec = leaf_spec();
		spec.not_before = cases[i].nb;
		spec.not_after = cases[i].na;
		cf_err e = {0};
		cf_cert *c = issue(csr, spec, g.root, g.root_s, &e);
		if (c == NULL)
			fail_msg("case %zu: %s: %s", i, e.subject, e.message);
		write_cert("times", c);
		char *out = run_ok("openssl asn1parse -inform DER -in times.der");
		assert_has(out, cases[i].want_nb);
		assert_has(out, cases[i].want_na);
		assert_true(strstr(out, cases[i].want_nb) < strstr(out, cases[i].want_na));
		free(out);
		cf_facts f = {0};
		assert_int_equal(cf_cert_facts(c, &f, &e), CF_OK);
		assert_int_equal(f.not_before, cases[i].nb);
		assert_int_equal(f.not_after, cases[i].na);
		cf_facts_free(&f);
		cf_cert_free(c);
	}
	cf_csr_free(csr);
}

/* What the builder refuses, with CF_E_INPUT, before signing anything. */
static void test_refusals(void **state)
{
	(void)state;
	cf_csr *csr = new_csr(g.leaf_key, "refused.example.com", NULL, false);
	assert_non_null(csr);
	static const uint8_t padded[] = {0x00, 0x01}, negative[] = {0x80, 0x01}, zero[] = {0x00}, long21[21] = {1};
	static const struct {
		const uint8_t *serial;
		size_t len;
	} serials[] = {{padded, 2}, {negative, 2}, {zero, 1}, {long21, 21}, {padded, 0}};
	for (size_t i = 0; i < sizeof(serials) / sizeof(serials[0]); i++) {
		cf_issue_spec spec = leaf_spec();
		spec.serial = serials[i].serial;
		spec.serial_len = serials[i].len;
		cf_err e = {0};
		assert_null(issue(csr, spec, g.root, g.root_s, &e));
		assert_int_equal(e.code, CF_E_INPUT);
		assert_string_equal(e.subject, "serial");
	}
	cf_issue_spec spec = leaf_spec();
	spec.not_after = spec.not_before - 1;
	cf_err e = {0};
	assert_null(issue(csr, spec, g.root, g.root_s, &e));
	assert_int_equal(e.code, CF_E_INPUT);
	spec = leaf_spec();
	spec.not_after = INT64_C(253402300800); /* year 10000 */
	assert_null(issue(csr, spec, g.root, g.root_s, &e));
	assert_int_equal(e.code, CF_E_INPUT);
	spec = leaf_spec();
	spec.crl_url = "http://ca.example.com/a crl";
	assert_null(issue(csr, spec, g.root, g.root_s, &e));
	assert_int_equal(e.code, CF_E_INPUT);
	assert_string_equal(e.subject, "CRL URL");
	spec = leaf_spec();
	spec.ocsp_url = "http://ca.example.com/\xc3\xa9";
	assert_null(issue(csr, spec, g.root, g.root_s, &e));
	assert_int_equal(e.code, CF_E_INPUT);
	spec = leaf_spec();
	spec.ku = 1u << 9;
	assert_null(issue(csr, spec, g.root, g.root_s, &e));
	assert_int_equal(e.code, CF_E_INPUT);
	spec = leaf_spec();
	spec.eku = 1u << 4;
	assert_null(issue(csr, spec, g.root, g.root_s, &e));
	assert_int_equal(e.code, CF_E_INPUT);
	cf_csr_free(csr);
}

/* Copy mode keeps the request's extensions (an odd one included) but writes basicConstraints,
 * the key identifiers, CRL DP and AIA itself, and refuses a request asking for CA:TRUE. */
static void test_copy(void **state)
{
	(void)state;
	char *out = run_ok("openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout copy.key "
			   "-subj '/CN=copy.example.com/O=certfleet test' -addext certificatePolicies=1.2.3.4.5 "
			   "-addext subjectAltName=DNS:copy.example.com -addext basicConstraints=CA:FALSE "
			   "-addext subjectKeyIdentifier=0102030405 -addext keyUsage=critical,digitalSignature "
			   "-addext extendedKeyUsage=serverAuth,1.3.6.1.4.1.99999.1 "
			   "-addext crlDistributionPoints=URI:http://evil.example/crl "
			   "-addext authorityInfoAccess=OCSP\\;URI:http://evil.example/ocsp -out copy.csr && "
			   "openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key "
			   "-subj /CN=wants-ca -addext basicConstraints=critical,CA:TRUE -out wants-ca.csr && "
			   "openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout plain.key "
			   "-subj /CN=plain -out plain.csr");
	free(out);
	size_t len = 0;
	uint8_t *pem = read_file("copy.csr", &len);
	cf_csr *csr = NULL;
	cf_err e = {0};
	assert_int_equal(cf_csr_parse("copy.csr", pem, len, &csr, &e), CF_OK);
	free(pem);
	cf_issue_spec spec = leaf_spec();
	spec.copy = true;
	spec.ku = CF_KU_KEY_CERT_SIGN; /* the profile's fields are not used in copy mode */
	spec.ca = true;
	spec.ocsp_nocheck = true;
	spec.crl_url = "http://ca.example.com/crl/root.crl";
	spec.ocsp_url = "http://ca.example.com/ocsp";
	cf_cert *c = issue(csr, spec, g.root, g.root_s, &e);
	if (c == NULL)
		fail_msg("%s: %s", e.subject, e.message);
	write_cert("copy", c);
	write_cert("root", g.root);
	out = run_ok("openssl verify -CAfile root.pem copy.pem");
	free(out);
	out = run_ok("openssl x509 -in copy.pem -noout -text");
	assert_has(out, "X509v3 Certificate Policies: \n                Policy: 1.2.3.4.5");
	assert_has(out, "DNS:copy.example.com");
	assert_has(out, "X509v3 Key Usage: critical\n                Digital Signature\n");
	assert_has(out, "TLS Web Server Authentication, 1.3.6.1.4.1.99999.1\n");
	assert_has(out, "X509v3 Basic Constraints: critical\n                CA:FALSE");
	assert_has(out, "URI:http://ca.example.com/crl/root.crl");
	assert_has(out, "OCSP - URI:http://ca.example.com/ocsp");
	assert_lacks(out, "evil");
	assert_lacks(out, "Certificate Sign");
	assert_lacks(out, "OCSP No Check");
	assert_lacks(out, "01:02:03:04:05");
	assert_int_equal(count(out, "X509v3 Subject Key Identifier"), 1);
	assert_int_equal(count(out, "X509v3 Basic Constraints"), 1);
	free(out);
	write_csr("copy", csr);
	assert_same_field("copy.der", 5, "copy.csr.der", 1);
	cf_cert_free(c);
	cf_csr_free(csr);

	/* a request asking for CA:TRUE: refused in copy mode, and under a profile its wish is not read */
	pem = read_file("wants-ca.csr", &len);
	assert_int_equal(cf_csr_parse("wants-ca.csr", pem, len, &csr, &e), CF_OK);
	free(pem);
	assert_null(issue(csr, spec, g.root, g.root_s, &e));
	assert_int_equal(e.code, CF_E_INPUT);
	assert_string_equal(e.message, "the request asks for CA:TRUE");
	spec = leaf_spec();
	c = issue(csr, spec, g.root, g.root_s, &e);
	assert_non_null(c);
	write_cert("wants-ca", c);
	out = run_ok("openssl x509 -in wants-ca.pem -noout -text");
	assert_has(out, "CA:FALSE");
	assert_lacks(out, "CA:TRUE");
	free(out);
	cf_cert_free(c);
	cf_csr_free(csr);

	/* a request without extensions, copied: basicConstraints and the identifiers only */
	pem = read_file("plain.csr", &len);
	assert_int_equal(cf_csr_parse("plain.csr", pem, len, &csr, &e), CF_OK);
	free(pem);
	spec = leaf_spec();
	spec.copy = true;
	c = issue(csr, spec, g.root, g.root_s, &e);
	assert_non_null(c);
	write_cert("plain", c);
	out = run_ok("openssl verify -CAfile root.pem plain.pem && openssl x509 -in plain.pem -noout -text");
	assert_has(out, "CA:FALSE");
	assert_int_equal(count(out, "X509v3 "), 4); /* the heading, basicConstraints, SKI, AKI */
	free(out);
	cf_cert_free(c);
	cf_csr_free(csr);
}

/* A request (its signature a dummy: it is not checked here) built by asn1parse -genconf whose
 * extension spells out critical FALSE, which DER leaves out (older keytools wrote it so). */
static const char keytool_req[] = "asn1=SEQUENCE:req\n"
				  "[req]\ninfo=SEQUENCE:info\nalg=SEQUENCE:sigalg\nsig=FORMAT:HEX,BITSTRING:00\n"
				  "[sigalg]\noid=OID:ecdsa-with-SHA256\n"
				  "[info]\nversion=INTEGER:0\nsubject=SEQUENCE:name\nspki=SEQUENCE:spki\n"
				  "attrs=IMPLICIT:0,SET:attrs\n"
				  "[name]\ncn=SET:cn\n[cn]\na=SEQUENCE:cnval\n"
				  "[cnval]\noid=OID:commonName\nv=UTF8:keytool.example.com\n"
				  "[spki]\nalg=SEQUENCE:ecalg\nkey=FORMAT:HEX,BITSTRING:POINT\n"
				  "[ecalg]\noid=OID:id-ecPublicKey\ncurve=OID:prime256v1\n"
				  "[attrs]\na=SEQUENCE:extreq\n"
				  "[extreq]\noid=OID:1.2.840.113549.1.9.14\nv=SET:extset\n"
				  "[extset]\ne=SEQUENCE:exts\n[exts]\npol=SEQUENCE:pol\n"
				  "[pol]\noid=OID:certificatePolicies\ncrit=BOOLEAN:FALSE\nval=OCTWRAP,SEQUENCE:pols\n"
				  "[pols]\np=SEQUENCE:pol1\n[pol1]\noid=OID:1.2.3.4.5\n";

/* Copy mode writes a copied extension's critical flag in DER (FALSE left out). */
static void test_copy_critical_false(void **state)
{
	(void)state;
	write_file("keytool.tmpl", keytool_req, strlen(keytool_req));
	char *out = run_ok("openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out keytool.key && "
			   "pt=$(openssl pkey -in keytool.key -pubout -outform DER | tail -c 65 | od -An -tx1 | "
			   "tr -d ' \\n') && sed \"s/POINT/$pt/\" keytool.tmpl >keytool.cnf && "
			   "openssl asn1parse -genconf keytool.cnf -noout -out keytool.csr.der && "
			   "openssl asn1parse -inform DER -in keytool.csr.der");
	assert_has(out, "BOOLEAN           :0");
	free(out);
	size_t len = 0;
	uint8_t *der = read_file("keytool.csr.der", &len);
	cf_csr *csr = NULL;
	cf_err e = {0};
	assert_int_equal(cf_csr_parse("keytool.csr.der", der, len, &csr, &e), CF_OK);
	free(der);
	cf_issue_spec spec = leaf_spec();
	spec.copy = true;
	cf_cert *c = issue(csr, spec, g.root, g.root_s, &e);
	if (c == NULL)
		fail_msg("%s: %s", e.subject, e.message);
	write_cert("keytool", c);
	write_cert("root", g.root);
	out = run_ok("openssl verify -CAfile root.pem keytool.pem && openssl x509 -in keytool.pem -noout -text && "
		     "openssl asn1parse -inform DER -in keytool.der");
	assert_has(out, "keytool.pem: OK");
	assert_has(out, "X509v3 Certificate Policies: \n                Policy: 1.2.3.4.5");
	assert_lacks(out, "BOOLEAN           :0");
	free(out);
	assert_same_field("keytool.der", 5, "keytool.csr.der", 1);
	cf_cert_free(c);
	cf_csr_free(csr);

	/* the same extension twice: refused in copy mode (a certificate may not repeat one), not
	 * read under a profile */
	free(run_ok("sed 's/^pol=SEQUENCE:pol$/pol=SEQUENCE:pol\\npol2=SEQUENCE:pol/' keytool.cnf >dup.cnf && "
		    "openssl asn1parse -genconf dup.cnf -noout -out dup.csr.der"));
	der = read_file("dup.csr.der", &len);
	assert_int_equal(cf_csr_parse("dup.csr.der", der, len, &csr, &e), CF_OK);
	free(der);
	assert_null(issue(csr, spec, g.root, g.root_s, &e));
	assert_int_equal(e.code, CF_E_INPUT);
	assert_string_equal(e.message, "the request repeats an extension");
	spec.copy = false;
	c = issue(csr, spec, g.root, g.root_s, &e);
	assert_non_null(c);
	cf_cert_free(c);
	cf_csr_free(csr);
}

/* Issuers made by openssl: a subject the DER walker takes (UTF8String) or not (BMPString, read
 * through OpenSSL's decoded form), each with a subjectKeyIdentifier that is not the key's hash
 * (the AKI copies it) or without one (the AKI is the key's hash). Certificates and CRLs name the
 * issuer's subject byte for byte and verify. */
static void test_foreign_issuers(void **state)
{
	(void)state;
	static const struct {
		const char *name, *cnf, *ski; /* ski "none" or the hex openssl writes */
	} cas[] = {{"utf8-none", "utf8", "none"},
		   {"utf8-ski", "utf8", "0A0B0C0D"},
		   {"bmp-none", "bmp", "none"},
		   {"bmp-ski", "bmp", "01020304"}};
	char *out = run_ok("printf '[req]\\ndistinguished_name=dn\\nprompt=no\\nutf8=yes\\nstring_mask=default\\n"
			   "[dn]\\nCN=Zertifizierungsstelle \\342\\202\\254\\n' >bmp.cnf && "
			   "printf '[req]\\ndistinguished_name=dn\\nprompt=no\\n[dn]\\nCN=Foreign CA\\nO=Example\\n' "
			   ">utf8.cnf");
	free(out);
	cf_csr *csr = new_csr(g.leaf_key, "foreign.example.com", NULL, false);
	assert_non_null(csr);
	for (size_t i = 0; i < sizeof(cas) / sizeof(cas[0]); i++) {
		char cmd[1024], file[64];
		const char *n = cas[i].name;
		snprintf(cmd, sizeof(cmd),
			 "openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout %s.key "
			 "-config %s.cnf -days 30 -addext basicConstraints=critical,CA:TRUE "
			 "-addext keyUsage=critical,keyCertSign,cRLSign -addext subjectKeyIdentifier=%s "
			 "-addext authorityKeyIdentifier=none -out %s.pem && "
			 "openssl req -new -x509 -key %s.key -subj /CN=x -days 1 -addext subjectKeyIdentifier=hash "
			 "-out %s-hash.pem",
			 n, cas[i].cnf, cas[i].ski, n, n, n);
		free(run_ok(cmd));
		size_t len = 0;
		cf_cert **v = NULL, *ca = NULL;
		cf_key *key = NULL;
		cf_signer *s = NULL;
		cf_err e = {0};
		snprintf(file, sizeof(file), "%s.pem", n);
		uint8_t *buf = read_file(file, &len);
		assert_int_equal(cf_cert_parse_bundle(file, buf, len, &v, &len, &e), CF_OK);
		ca = cf_cert_ref(v[0]);
		cf_certs_free(v, len);
		free(buf);
		snprintf(file, sizeof(file), "%s.key", n);
		buf = read_file(file, &len);
		assert_int_equal(cf_key_parse(file, buf, len, &key, &e), CF_OK);
		free(buf);
		assert_int_equal(cf_signer_local_new(key, NULL, &s, &e), CF_OK);

		cf_cert *leaf = leaf_of(csr, ca, s);
		snprintf(file, sizeof(file), "%s-leaf", n);
		write_cert(file, leaf);
		snprintf(cmd, sizeof(cmd),
			 "openssl x509 -in %s.pem -outform DER -out %s.der && "
			 "openssl verify -CAfile %s.pem %s-leaf.pem",
			 n, n, n, n);
		free(run_ok(cmd));
		char a[64], b[64];
		snprintf(a, sizeof(a), "%s-leaf.der", n);
		snprintf(b, sizeof(b), "%s.der", n);
		assert_same_field(a, 3, b, 5);
		snprintf(a, sizeof(a), "%s-leaf.pem", n);
		char *aki = ext_value(a, "authorityKeyIdentifier");
		if (strcmp(cas[i].ski, "none") == 0) {
			snprintf(b, sizeof(b), "%s-hash.pem", n);
			char *want = ext_value(b, "subjectKeyIdentifier");
			assert_string_equal(aki, want);
			free(want);
		} else {
			char want[64] = "";
			for (const char *p = cas[i].ski; *p; p += 2)
				snprintf(want + strlen(want), sizeof(want) - strlen(want), "%.2s%s", p,
					 p[2] ? ":" : "\n");
			assert_string_equal(aki, want);
		}

		uint8_t *der = NULL;
		cf_crl_entry entry = {
			.serial = (const uint8_t *)"\x01", .serial_len = 1, .revoked_at = g.nb, .reason = 1};
		cf_crl_spec spec = {
			.this_update = g.now, .next_update = g.now + DAY, .number = 1, .entries = &entry, .n = 1};
		assert_int_equal(cf_issue_crl(&spec, ca, s, &der, &len, &e), CF_OK);
		snprintf(file, sizeof(file), "%s-crl.der", n);
		write_file(file, der, len);
		snprintf(cmd, sizeof(cmd),
			 "openssl crl -inform DER -in %s-crl.der -CAfile %s.pem -noout -verify && "
			 "openssl crl -inform DER -in %s-crl.der -noout -text | grep -A1 'Authority Key Identifier' | "
			 "sed -n 2p | tr -d ' '",
			 n, n, n);
		out = run_ok(cmd);
		assert_has(out, "verify OK");
		assert_has(out, aki);
		free(out);
		free(aki);
		cf_crl *crl = NULL;
		assert_int_equal(cf_crl_parse(file, der, len, &crl, &e), CF_OK);
		assert_int_equal(cf_crl_verify(crl, ca, &e), CF_OK);
		cf_crl_free(crl);
		free(der);
		cf_cert_free(leaf);
		cf_signer_free(s);
		cf_key_free(key);
		cf_cert_free(ca);
	}
	cf_csr_free(csr);
}

/* ---- serials and reasons ------------------------------------------------------------------------ */

static int cmp_serial(const void *a, const void *b)
{
	return memcmp(a, b, CF_SERIAL_LEN);
}

static void test_serials(void **state)
{
	(void)state;
	enum { N = 10000 };
	uint8_t(*v)[CF_SERIAL_LEN] = malloc(N * CF_SERIAL_LEN);
	assert_non_null(v);
	for (size_t i = 0; i < N; i++) {
		cf_err e = {0};
		assert_int_equal(cf_issue_serial(v[i], &e), CF_OK);
		assert_int_equal(v[i][0] & 0x80, 0);
		assert_int_not_equal(v[i][0], 0); /* so the INTEGER is 16 octets, minimal */
	}
	qsort(v, N, CF_SERIAL_LEN, cmp_serial);
	for (size_t i = 1; i < N; i++)
		assert_true(memcmp(v[i - 1], v[i], CF_SERIAL_LEN) != 0);
	free(v);
}

static void test_reasons(void **state)
{
	(void)state;
	static const char *const names[] = {
		"unspecified",	 "keyCompromise",	 "cACompromise",    "affiliationChanged",
		"superseded",	 "cessationOfOperation", "certificateHold", NULL,
		"removeFromCRL", "privilegeWithdrawn",	 "aACompromise",
	};
	for (int i = 0; i <= 10; i++) {
		if (names[i] == NULL) {
			assert_null(cf_issue_reason_name(i));
			continue;
		}
		assert_string_equal(cf_issue_reason_name(i), names[i]);
		assert_int_equal(cf_issue_reason_code(names[i]), i);
	}
	assert_null(cf_issue_reason_name(-1));
	assert_null(cf_issue_reason_name(11));
	assert_int_equal(cf_issue_reason_code("keycompromise"), 1);
	assert_int_equal(cf_issue_reason_code("bogus"), -1);
	assert_int_equal(cf_issue_reason_code(""), -1);
	assert_int_equal(cf_issue_reason_code(NULL), -1);
}

/* ---- two threads --------------------------------------------------------------------------------- */

enum { PER_THREAD = 200 };

typedef struct worker {
	const cf_csr *csr;
	cf_cert *certs[PER_THREAD];
	int failures;
} worker;

static void *work(void *arg)
{
	worker *w = arg;
	for (int i = 0; i < PER_THREAD; i++) {
		cf_err e = {0};
		w->certs[i] = issue(w->csr, leaf_spec(), g.root, g.root_s, &e);
		if (w->certs[i] == NULL)
			w->failures++;
	}
	return NULL;
}

/* Two threads issue from the same request with the same signer and issuer: every certificate
 * verifies and every serial differs. */
static void test_threads(void **state)
{
	(void)state;
	static const char *const san[] = {"DNS:thread.example.com", NULL};
	cf_csr *csr = new_csr(g.leaf_key, "thread.example.com", san, false);
	assert_non_null(csr);
	worker w[2] = {{.csr = csr}, {.csr = csr}};
	pthread_t t[2];
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&t[i], NULL, work, &w[i]), 0);
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	assert_int_equal(w[0].failures + w[1].failures, 0);
	write_cert("root", g.root);
	char files[8192] = "";
	size_t used = 0;
	cf_strv serials = {0};
	for (int i = 0; i < 2; i++) {
		for (int j = 0; j < PER_THREAD; j++) {
			char name[32];
			snprintf(name, sizeof(name), "t%d-%03d", i, j);
			write_cert(name, w[i].certs[j]);
			used += (size_t)snprintf(files + used, sizeof(files) - used, " %s.pem", name);
			cf_facts f = {0};
			cf_err e = {0};
			assert_int_equal(cf_cert_facts(w[i].certs[j], &f, &e), CF_OK);
			assert_int_equal(cf_strv_push_unique(&serials, f.serial), 0);
			cf_facts_free(&f);
			cf_cert_free(w[i].certs[j]);
		}
	}
	assert_true(used < sizeof(files));
	assert_int_equal(serials.n, 2 * PER_THREAD);
	cf_strv_clear(&serials);
	int st = 0;
	char *out = run(&st, "openssl verify -CAfile root.pem%s", files);
	assert_int_equal(st, 0);
	assert_int_equal(count(out, ": OK\n"), 2 * PER_THREAD);
	free(out);
	cf_csr_free(csr);
}

/* ---- CRLs ------------------------------------------------------------------------------------------ */

/* Uppercase hex of a serial, as `openssl crl -text` prints it. */
static void hex(const uint8_t *p, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02X", p[i]);
}

static uint8_t *make_crl(const cf_crl_spec *spec, const cf_cert *ca, const cf_signer *s, size_t *len)
{
	uint8_t *der = NULL;
	cf_err e = {0};
	if (cf_issue_crl(spec, ca, s, &der, len, &e) != CF_OK)
		fail_msg("CRL: %s: %s", e.subject, e.message);
	return der;
}

/* Three entries (keyCompromise, no reason, superseded) and number 5: openssl verifies the CRL,
 * lists what it holds, and refuses a listed leaf with it; certfleet's reader agrees. */
static void test_crl(void **state)
{
	(void)state;
	cf_csr *csr = new_csr(g.leaf_key, "revoked.example.com", NULL, false);
	assert_non_null(csr);
	cf_cert *a = leaf_of(csr, g.root, g.root_s), *b = leaf_of(csr, g.root, g.root_s),
		*c = leaf_of(csr, g.root, g.root_s);
	write_cert("root", g.root);
	write_cert("a", a);
	write_cert("b", b);
	write_cert("c", c);
	uint8_t sa[CF_SERIAL_LEN], sc[CF_SERIAL_LEN], other[CF_SERIAL_LEN];
	cf_err e = {0};
	char *out = run_ok("openssl x509 -in a.pem -noout -serial && openssl x509 -in c.pem -noout -serial");
	assert_int_equal(cf_issue_serial(other, &e), CF_OK);
	/* the serials as openssl reads them */
	char ha[64], hc[64], ho[64];
	assert_int_equal(sscanf(out, "serial=%63s serial=%63s", ha, hc), 2);
	free(out);
	for (size_t i = 0; i < CF_SERIAL_LEN; i++) {
		unsigned x, y;
		assert_int_equal(sscanf(ha + 2 * i, "%2x", &x), 1);
		assert_int_equal(sscanf(hc + 2 * i, "%2x", &y), 1);
		sa[i] = (uint8_t)x;
		sc[i] = (uint8_t)y;
	}
	hex(other, sizeof(other), ho);
	cf_crl_entry entries[] = {
		{.serial = sa, .serial_len = sizeof(sa), .revoked_at = g.nb, .reason = 1},
		{.serial = other, .serial_len = sizeof(other), .revoked_at = g.nb + 60, .reason = -1},
		{.serial = sc, .serial_len = sizeof(sc), .revoked_at = g.nb + 120, .reason = 4},
	};
	cf_crl_spec spec = {
		.this_update = g.now - 60, .next_update = g.now + 72 * HOUR, .number = 5, .entries = entries, .n = 3};
	size_t len = 0;
	uint8_t *der = make_crl(&spec, g.root, g.root_s, &len);
	write_file("crl.der", der, len);
	out = run_ok("openssl crl -inform DER -in crl.der -out crl.pem && "
		     "openssl crl -in crl.pem -CAfile root.pem -noout -verify");
	assert_has(out, "verify OK");
	free(out);
	out = run_ok("openssl crl -in crl.pem -noout -text");
	assert_has(out, "Version 2 (0x1)");
	assert_has(out, "Signature Algorithm: sha256WithRSAEncryption");
	assert_has(out, "Issuer: C = DE, O = certfleet test, CN = certfleet test root");
	assert_has(out, "X509v3 CRL Number: \n                5\n");
	assert_has(out, "X509v3 Authority Key Identifier: \n");
	char want[160];
	snprintf(want, sizeof(want), "Serial Number: %s\n", ha);
	assert_has(out, want);
	snprintf(want, sizeof(want), "Serial Number: %s\n", ho);
	assert_has(out, want);
	snprintf(want, sizeof(want), "Serial Number: %s\n", hc);
	assert_has(out, want);
	assert_int_equal(count(out, "Serial Number:"), 3);
	assert_int_equal(count(out, "X509v3 CRL Reason Code:"), 2);
	/* the entries in order: a (Key Compromise), the other (no reason), c (Superseded) */
	const char *pa = strstr(out, ha), *po = strstr(out, ho), *pc = strstr(out, hc);
	const char *kc = strstr(out, "Key Compromise"), *sup = strstr(out, "Superseded");
	assert_true(pa && po && pc && kc && sup);
	assert_true(pa < kc && kc < po && po < pc && pc < sup);
	free(out);
	char *aki = run_ok("openssl crl -in crl.pem -noout -text | grep -A1 'Authority Key Identifier' | sed -n 2p | "
			   "tr -d ' '"),
	     *ski = ext_value("root.pem", "subjectKeyIdentifier");
	assert_string_equal(aki, ski);
	free(aki);
	free(ski);

	int st = 0;
	out = run(&st, "openssl verify -crl_check -CAfile root.pem -CRLfile crl.pem a.pem");
	assert_int_not_equal(st, 0);
	assert_has(out, "certificate revoked");
	free(out);
	out = run(&st, "openssl verify -crl_check -CAfile root.pem -CRLfile crl.pem c.pem");
	assert_int_not_equal(st, 0);
	assert_has(out, "certificate revoked");
	free(out);
	out = run_ok("openssl verify -crl_check -CAfile root.pem -CRLfile crl.pem b.pem");
	assert_has(out, "b.pem: OK");
	free(out);

	cf_crl *crl = NULL;
	assert_int_equal(cf_crl_parse("crl.der", der, len, &crl, &e), CF_OK);
	assert_int_equal(cf_crl_verify(crl, g.root, &e), CF_OK);
	assert_int_not_equal(cf_crl_verify(crl, g.inter, &e), CF_OK);
	int64_t when = 0;
	assert_true(cf_crl_revokes(crl, a, &when));
	assert_int_equal(when, g.nb);
	assert_false(cf_crl_revokes(crl, b, NULL));
	assert_true(cf_crl_revokes(crl, c, &when));
	assert_int_equal(when, g.nb + 120);
	assert_true(cf_crl_revoked(crl, other, sizeof(other), NULL));
	cf_crl_info info;
	cf_crl_info_get(crl, &info);
	assert_int_equal(info.entries, 3);
	assert_int_equal(strtoul(info.number, NULL, 16), 5);
	assert_int_equal(info.this_update, spec.this_update);
	assert_int_equal(info.next_update, spec.next_update);
	assert_false(info.delta);
	cf_crl_free(crl);
	free(der);

	/* an empty CRL: no revokedCertificates at all */
	spec = (cf_crl_spec){.this_update = g.now - 60, .next_update = g.now + 72 * HOUR, .number = 6};
	der = make_crl(&spec, g.root, g.root_s, &len);
	write_file("empty.der", der, len);
	out = run_ok("openssl crl -inform DER -in empty.der -CAfile root.pem -noout -verify && "
		     "openssl crl -inform DER -in empty.der -noout -text");
	assert_has(out, "verify OK");
	assert_has(out, "No Revoked Certificates.");
	assert_has(out, "X509v3 CRL Number: \n                6\n");
	free(out);
	assert_int_equal(cf_crl_parse("empty.der", der, len, &crl, &e), CF_OK);
	assert_int_equal(cf_crl_verify(crl, g.root, &e), CF_OK);
	assert_false(cf_crl_revokes(crl, a, NULL));
	cf_crl_free(crl);
	free(der);

	cf_cert_free(a);
	cf_cert_free(b);
	cf_cert_free(c);
	cf_csr_free(csr);
}

/* Every reason code (unspecified too) becomes a reasonCode entry extension openssl names. */
static void test_crl_every_reason(void **state)
{
	(void)state;
	static const struct {
		int code;
		const char *text;
	} reasons[] = {{0, "Unspecified"},
		       {1, "Key Compromise"},
		       {2, "CA Compromise"},
		       {3, "Affiliation Changed"},
		       {4, "Superseded"},
		       {5, "Cessation Of Operation"},
		       {6, "Certificate Hold"},
		       {8, "Remove From CRL"},
		       {9, "Privilege Withdrawn"},
		       {10, "AA Compromise"},
		       {-1, "Serial Number: 7FFF\n"}};
	enum { N = sizeof(reasons) / sizeof(reasons[0]) };
	uint8_t serials[N][2];
	cf_crl_entry v[N];
	for (size_t i = 0; i < N; i++) {
		serials[i][0] = 0x7f;
		serials[i][1] = (uint8_t)(0xf5 + i);
		v[i] = (cf_crl_entry){
			.serial = serials[i], .serial_len = 2, .revoked_at = g.nb, .reason = reasons[i].code};
	}
	cf_crl_spec spec = {.this_update = g.now, .next_update = g.now + DAY, .number = 0, .entries = v, .n = N};
	size_t len = 0;
	uint8_t *der = make_crl(&spec, g.root, g.root_s, &len);
	write_file("reasons.der", der, len);
	write_cert("root", g.root);
	char *out = run_ok("openssl crl -inform DER -in reasons.der -CAfile root.pem -noout -verify -text");
	assert_has(out, "verify OK");
	assert_has(out, "X509v3 CRL Number: \n                0\n");
	assert_int_equal(count(out, "X509v3 CRL Reason Code:"), N - 1);
	const char *p = out;
	for (size_t i = 0; i < N; i++) {
		const char *at = strstr(p, reasons[i].text);
		if (at == NULL)
			fail_msg("no \"%s\" after the entries before it in:\n%s", reasons[i].text, out);
		p = at + strlen(reasons[i].text);
	}
	assert_null(strstr(p, "Reason Code")); /* the last entry has none */
	free(out);
	free(der);
}

/* An EC CA (P-384, ECDSA with SHA-384): its root, a leaf and a CRL revoking it verify. */
static void test_ec_ca(void **state)
{
	(void)state;
	cf_csr *csr = new_csr(g.leaf_key, "ec-leaf.example.com", NULL, false);
	assert_non_null(csr);
	cf_cert *leaf = leaf_of(csr, g.ec_root, g.ec_root_s), *other = leaf_of(csr, g.ec_root, g.ec_root_s);
	write_cert("ecroot", g.ec_root);
	write_cert("ecleaf", leaf);
	write_cert("ecother", other);
	char *out = run_ok("openssl verify -CAfile ecroot.pem ecleaf.pem && openssl x509 -in ecroot.pem -noout -text");
	assert_has(out, "ecleaf.pem: OK");
	assert_has(out, "Signature Algorithm: ecdsa-with-SHA384");
	assert_has(out, "CA:TRUE, pathlen:1");
	free(out);
	cf_facts f = {0};
	cf_err e = {0};
	assert_int_equal(cf_cert_facts(leaf, &f, &e), CF_OK);
	uint8_t serial[CF_SERIAL_LEN];
	assert_int_equal(strlen(f.serial), 2 * CF_SERIAL_LEN);
	for (size_t i = 0; i < CF_SERIAL_LEN; i++) {
		unsigned x;
		assert_int_equal(sscanf(f.serial + 2 * i, "%2x", &x), 1);
		serial[i] = (uint8_t)x;
	}
	cf_facts_free(&f);
	cf_crl_entry entry = {.serial = serial, .serial_len = sizeof(serial), .revoked_at = g.nb, .reason = 5};
	cf_crl_spec spec = {
		.this_update = g.now - 60, .next_update = g.now + DAY, .number = 1, .entries = &entry, .n = 1};
	size_t len = 0;
	uint8_t *der = make_crl(&spec, g.ec_root, g.ec_root_s, &len);
	write_file("eccrl.der", der, len);
	out = run_ok("openssl crl -inform DER -in eccrl.der -out eccrl.pem && "
		     "openssl crl -in eccrl.pem -CAfile ecroot.pem -noout -verify && openssl crl -in eccrl.pem -noout "
		     "-text");
	assert_has(out, "verify OK");
	assert_has(out, "Cessation Of Operation");
	free(out);
	int st = 0;
	out = run(&st, "openssl verify -crl_check -CAfile ecroot.pem -CRLfile eccrl.pem ecleaf.pem");
	assert_int_not_equal(st, 0);
	assert_has(out, "certificate revoked");
	free(out);
	out = run_ok("openssl verify -crl_check -CAfile ecroot.pem -CRLfile eccrl.pem ecother.pem");
	free(out);
	cf_crl *crl = NULL;
	assert_int_equal(cf_crl_parse("eccrl.der", der, len, &crl, &e), CF_OK);
	assert_int_equal(cf_crl_verify(crl, g.ec_root, &e), CF_OK);
	assert_true(cf_crl_revokes(crl, leaf, NULL));
	assert_false(cf_crl_revokes(crl, other, NULL));
	cf_crl_free(crl);
	free(der);
	cf_cert_free(leaf);
	cf_cert_free(other);
	cf_csr_free(csr);
}

/* 100,000 entries with every reason but 7, serials of 1 to 20 octets: openssl verifies the CRL and
 * certfleet's reader finds each entry. */
static void test_crl_large(void **state)
{
	(void)state;
	enum { N = 100000 };
	static const int reasons[] = {-1, 0, 1, 2, 3, 4, 5, 6, 8, 9, 10};
	cf_crl_entry *v = calloc(N, sizeof(*v));
	uint8_t(*serials)[CF_SERIAL_LEN] = malloc(N * CF_SERIAL_LEN);
	assert_non_null(v);
	assert_non_null(serials);
	cf_err e = {0};
	for (size_t i = 0; i < N; i++) {
		assert_int_equal(cf_issue_serial(serials[i], &e), CF_OK);
		v[i] = (cf_crl_entry){.serial = serials[i],
				      .serial_len = CF_SERIAL_LEN,
				      .revoked_at = g.nb - (int64_t)i,
				      .reason = reasons[i % (sizeof(reasons) / sizeof(reasons[0]))]};
	}
	static const uint8_t one[] = {0x01},
			     big[20] = {0x7f, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19};
	v[0].serial = one;
	v[0].serial_len = sizeof(one);
	v[1].serial = big;
	v[1].serial_len = sizeof(big);
	cf_crl_spec spec = {
		.this_update = g.now, .next_update = g.now + DAY, .number = UINT64_MAX, .entries = v, .n = N};
	size_t len = 0;
	uint8_t *der = make_crl(&spec, g.root, g.root_s, &len);
	write_file("large.der", der, len);
	char *out = run_ok("openssl crl -inform DER -in large.der -CAfile root.pem -noout -verify -crlnumber");
	assert_has(out, "verify OK");
	assert_has(out, "crlNumber=0xFFFFFFFFFFFFFFFF");
	free(out);
	cf_crl *crl = NULL;
	assert_int_equal(cf_crl_parse("large.der", der, len, &crl, &e), CF_OK);
	assert_int_equal(cf_crl_verify(crl, g.root, &e), CF_OK);
	cf_crl_info info;
	cf_crl_info_get(crl, &info);
	assert_int_equal(info.entries, N);
	for (size_t i = 0; i < N; i++) {
		int64_t when = 0;
		assert_true(cf_crl_revoked(crl, v[i].serial, v[i].serial_len, &when));
		assert_int_equal(when, v[i].revoked_at);
	}
	cf_crl_free(crl);
	free(der);

	/* reason 7 and a padded serial are refused */
	v[5].reason = 7;
	assert_int_not_equal(cf_issue_crl(&spec, g.root, g.root_s, &der, &len, &e), CF_OK);
	assert_int_equal(e.code, CF_E_INPUT);
	v[5].reason = -1;
	static const uint8_t padded[] = {0x00, 0x7f};
	v[6].serial = padded;
	v[6].serial_len = sizeof(padded);
	assert_int_not_equal(cf_issue_crl(&spec, g.root, g.root_s, &der, &len, &e), CF_OK);
	assert_int_equal(e.code, CF_E_INPUT);
	spec.next_update = spec.this_update - 1;
	spec.n = 0;
	assert_int_not_equal(cf_issue_crl(&spec, g.root, g.root_s, &der, &len, &e), CF_OK);
	assert_int_equal(e.code, CF_E_INPUT);
	free(serials);
	free(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_chain),
		cmocka_unit_test(test_ocsp_signer_profile),
		cmocka_unit_test(test_times),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_copy),
		cmocka_unit_test(test_copy_critical_false),
		cmocka_unit_test(test_foreign_issuers),
		cmocka_unit_test(test_serials),
		cmocka_unit_test(test_reasons),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_crl),
		cmocka_unit_test(test_crl_every_reason),
		cmocka_unit_test(test_ec_ca),
		cmocka_unit_test(test_crl_large),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
