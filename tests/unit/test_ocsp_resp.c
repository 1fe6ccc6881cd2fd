/* Unit tests for the OCSP responder's side (src/crypto/ocsp_resp.c), with the openssl command as
 * the oracle: requests made by `openssl ocsp -reqout` (nonce or not, SHA-1 and SHA-256 CertIDs,
 * two certificates, signed, an issuer outside certder.c's subset) read with the right CertIDs,
 * serials and nonces, each CertID byte for byte what cf_ocsp_resp_certid makes; responses built
 * for them (good, revoked with and without a reason, unknown; signed by the CA and by a delegated
 * responder) accepted by `openssl ocsp -respin` and by certfleet's own client (cf_ocsp_check);
 * the error responses; and refusals: hand-made requests outside the rules, every truncation of
 * real requests, byte mutations and garbage. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto/ocsp.h"
#include "crypto/ocsp_resp.h"
#include "crypto/signer.h"
#include "crypto/x509.h"
#include "util/fileio.h"

/* Two CAs, a delegated responder, leaves and requests, in the directory $1. */
static const char make_script[] =
	"set -e\n"
	"cd \"$1\"\n"
	"ec() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out $1; }\n"
	"ec ca.key\n"
	"openssl req -x509 -new -key ca.key -out ca.pem -subj '/CN=OCSP responder test CA/O=certfleet test' \\\n"
	"  -days 3650 -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign\n"
	/* the delegated responder: issued by the CA with the OCSPSigning EKU */
	"ec resp.key\n"
	"openssl req -new -key resp.key -subj '/CN=OCSP responder test delegate' -out resp.csr\n"
	"printf 'basicConstraints=CA:FALSE\\nkeyUsage=critical,digitalSignature\\nextendedKeyUsage=OCSPSigning\\n' "
	">resp.ext\n"
	"openssl x509 -req -in resp.csr -CA ca.pem -CAkey ca.key -set_serial 0x7001 -days 30 -extfile resp.ext "
	"-out resp.pem\n"
	"ec leaf.key\n"
	"openssl req -new -key leaf.key -subj /CN=leaf.example.com -out leaf.csr\n"
	"openssl x509 -req -in leaf.csr -CA ca.pem -CAkey ca.key -set_serial 0x0102030405 -days 30 -out leaf1.pem\n"
	"openssl x509 -req -in leaf.csr -CA ca.pem -CAkey ca.key -set_serial 0x80AB -days 30 -out leaf2.pem\n"
	/* an RSA CA whose subject holds a BMPString: outside certder.c's subset, so the CertID hashes
	 * come from OpenSSL's decode of it */
	"openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out ca2.key\n"
	"printf '[req]\\ndistinguished_name=dn\\nstring_mask=default\\nutf8=yes\\n[dn]\\n' >ca2.cnf\n"
	"openssl req -config ca2.cnf -x509 -new -key ca2.key -out ca2.pem -subj '/CN=OCSP test CA \xe2\x82\xac' \\\n"
	"  -days 3650 -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign\n"
	"openssl asn1parse -in ca2.pem | grep -q BMPSTRING\n"
	"openssl x509 -req -in leaf.csr -CA ca2.pem -CAkey ca2.key -set_serial 0x11 -days 30 -out leaf3.pem\n"
	/* the requests */
	"openssl ocsp -issuer ca.pem -cert leaf1.pem -reqout nonce_sha1.der\n"
	"openssl ocsp -issuer ca.pem -cert leaf1.pem -no_nonce -reqout plain_sha1.der\n"
	"openssl ocsp -issuer ca.pem -sha256 -cert leaf1.pem -reqout nonce_sha256.der\n"
	"openssl ocsp -issuer ca.pem -cert leaf1.pem -cert leaf2.pem -reqout two.der\n"
	"openssl ocsp -issuer ca2.pem -sha256 -cert leaf3.pem -no_nonce -reqout bmp.der\n"
	"openssl ocsp -issuer ca.pem -cert leaf2.pem -signer leaf1.pem -signkey leaf.key -reqout signed.der\n"
	/* the nonces as openssl prints them: the extnValue's contents in hex */
	"for r in nonce_sha1 nonce_sha256 two signed; do\n"
	"  openssl ocsp -reqin $r.der -req_text | sed -n '/OCSP Nonce/{n;s/[[:space:]]//g;p;}' >$r.nonce\n"
	"  test -s $r.nonce\n"
	"done\n";

enum { CA, CA2, RESP, LEAF1, LEAF2, LEAF3, N_CERTS };
static const char *const cert_files[N_CERTS] = {"ca.pem", "ca2.pem", "resp.pem", "leaf1.pem", "leaf2.pem", "leaf3.pem"};

static struct {
	char dir[64];
	cf_cert *cert[N_CERTS];
	cf_signer *ca_signer, *resp_signer;
} g;

static const uint8_t serial1[] = {0x01, 0x02, 0x03, 0x04, 0x05}; /* leaf1 */
static const uint8_t serial2[] = {0x00, 0x80, 0xab};		 /* leaf2 */
static const uint8_t serial3[] = {0x11};			 /* leaf3 */

/* ---- helpers ------------------------------------------------------------------------------------- */

static uint8_t *read_file(const char *name, size_t *len)
{
	char path[512];
	uint8_t *buf = NULL;
	cf_err e = {0};
	snprintf(path, sizeof(path), "%s/%s", g.dir, name);
	if (cf_file_read(path, 1u << 20, &buf, len, &e) != CF_OK)
		fail_msg("%s: %s", path, e.message);
	return buf;
}

static void write_file(const char *name, const uint8_t *p, size_t n)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", g.dir, name);
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(p, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

static cf_cert *read_cert(const char *name)
{
	size_t len = 0, n = 0;
	uint8_t *buf = read_file(name, &len);
	cf_cert **v = NULL;
	cf_err e = {0};
	if (cf_cert_parse_bundle(name, buf, len, &v, &n, &e) != CF_OK)
		fail_msg("%s: %s", name, e.message);
	cf_cert *c = cf_cert_ref(v[0]);
	cf_certs_free(v, n);
	free(buf);
	return c;
}

static cf_signer *read_signer(const char *name)
{
	size_t len = 0;
	uint8_t *buf = read_file(name, &len);
	cf_key *key = NULL;
	cf_signer *s = NULL;
	cf_err e = {0};
	if (cf_key_parse(name, buf, len, &key, &e) != CF_OK || cf_signer_local_new(key, "sha256", &s, &e) != CF_OK)
		fail_msg("%s: %s", name, e.message);
	cf_key_free(key);
	free(buf);
	return s;
}

/* The output (stdout and stderr) of a shell command run in the test directory; a new string. */
static char *run(const char *fmt, ...)
{
	char cmd[2048], *out = NULL;
	size_t n = 0, cap = 0;
	int k = snprintf(cmd, sizeof(cmd), "cd '%s' && ( ", g.dir);
	va_list ap;
	va_start(ap, fmt);
	k += vsnprintf(cmd + k, sizeof(cmd) - (size_t)k, fmt, ap);
	va_end(ap);
	snprintf(cmd + k, sizeof(cmd) - (size_t)k, " ) 2>&1");
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	for (;;) {
		if (n + 1024 > cap) {
			cap = cap * 2 + 4096;
			out = realloc(out, cap);
			assert_non_null(out);
		}
		size_t got = fread(out + n, 1, cap - n - 1, p);
		if (got == 0)
			break;
		n += got;
	}
	out[n] = '\0';
	pclose(p);
	return out;
}

static void hex_upper(const uint8_t *p, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02X", p[i]);
	out[2 * n] = '\0';
}

static bool inside(const uint8_t *p, size_t n, const uint8_t *buf, size_t len)
{
	return p >= buf && n <= len && (size_t)(p - buf) <= len - n;
}

/* Every pointer of an accepted request lies inside the request. */
static void assert_inside(const cf_ocsp_request *r, const uint8_t *buf, size_t len)
{
	assert_true(r->n >= 1 && r->n <= CF_OCSP_MAX_IDS);
	for (size_t i = 0; i < r->n; i++) {
		const cf_ocsp_certid *id = &r->ids[i];
		assert_true(inside(id->der, id->der_len, buf, len));
		assert_true(inside(id->name_hash, id->hash_len, id->der, id->der_len));
		assert_true(inside(id->key_hash, id->hash_len, id->der, id->der_len));
		assert_true(inside(id->serial, id->serial_len, id->der, id->der_len));
	}
	if (r->nonce != NULL)
		assert_true(inside(r->nonce, r->nonce_len, buf, len));
	else
		assert_int_equal(r->nonce_len, 0);
}

static int group_setup(void **state)
{
	(void)state;
	char path[512], cmd[1024];
	snprintf(g.dir, sizeof(g.dir), "/tmp/cf-test-ocsp-resp-XXXXXX");
	if (mkdtemp(g.dir) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/make.sh", g.dir);
	FILE *f = fopen(path, "w");
	if (f == NULL)
		return -1;
	fputs(make_script, f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "sh '%s/make.sh' '%s' >'%s/log' 2>&1", g.dir, g.dir, g.dir);
	int rc = system(cmd);
	if (rc != 0) {
		snprintf(cmd, sizeof(cmd), "cat '%s/log' >&2", g.dir);
		if (system(cmd) != 0)
			fprintf(stderr, "no log\n");
		fprintf(stderr, "the openssl command failed (%d)\n", rc);
		return -1;
	}
	for (int i = 0; i < N_CERTS; i++)
		g.cert[i] = read_cert(cert_files[i]);
	g.ca_signer = read_signer("ca.key");
	g.resp_signer = read_signer("resp.key");
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	char cmd[256];
	for (int i = 0; i < N_CERTS; i++)
		cf_cert_free(g.cert[i]);
	cf_signer_free(g.ca_signer);
	cf_signer_free(g.resp_signer);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", g.dir); /* the keys go with it */
	return system(cmd) == 0 ? 0 : -1;
}

/* ---- reading openssl's requests ------------------------------------------------------------------ */

typedef struct expect_id {
	int issuer;
	const uint8_t *serial;
	size_t serial_len;
} expect_id;

typedef struct openssl_req {
	const char *file;
	const char *hash;
	bool nonce, is_signed;
	size_t n;
	expect_id ids[2];
} openssl_req;

static const openssl_req requests[] = {
	{"nonce_sha1", "sha1", true, false, 1, {{CA, serial1, sizeof(serial1)}}},
	{"plain_sha1", "sha1", false, false, 1, {{CA, serial1, sizeof(serial1)}}},
	{"nonce_sha256", "sha256", true, false, 1, {{CA, serial1, sizeof(serial1)}}},
	{"two", "sha1", true, false, 2, {{CA, serial1, sizeof(serial1)}, {CA, serial2, sizeof(serial2)}}},
	{"bmp", "sha256", false, false, 1, {{CA2, serial3, sizeof(serial3)}}},
	{"signed", "sha1", true, true, 1, {{CA, serial2, sizeof(serial2)}}},
};

static void test_read_openssl_requests(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(requests) / sizeof(requests[0]); i++) {
		const openssl_req *want = &requests[i];
		char name[64];
		size_t len = 0;
		snprintf(name, sizeof(name), "%s.der", want->file);
		uint8_t *der = read_file(name, &len);
		cf_ocsp_request r;
		cf_err e = {0};
		if (cf_ocsp_resp_read(der, len, &r, &e) != CF_OK)
			fail_msg("%s: %s", name, e.message);
		assert_inside(&r, der, len);
		assert_int_equal(r.n, want->n);
		assert_int_equal(r.signed_request, want->is_signed);
		for (size_t k = 0; k < r.n; k++) {
			const cf_ocsp_certid *id = &r.ids[k];
			const expect_id *x = &want->ids[k];
			assert_string_equal(id->hash, want->hash);
			assert_int_equal(id->serial_len, x->serial_len);
			assert_memory_equal(id->serial, x->serial, x->serial_len);
			/* the CertID openssl wrote is the one certfleet signs ahead */
			uint8_t *mine = NULL, nh[64], kh[64];
			size_t mine_len = 0, hlen = 0;
			assert_int_equal(cf_ocsp_resp_certid(g.cert[x->issuer], x->serial, x->serial_len, want->hash,
							     &mine, &mine_len, &e),
					 CF_OK);
			assert_int_equal(mine_len, id->der_len);
			assert_memory_equal(mine, id->der, mine_len);
			free(mine);
			assert_int_equal(cf_ocsp_resp_issuer_hashes(g.cert[x->issuer], want->hash, nh, kh, &hlen, &e),
					 CF_OK);
			assert_int_equal(hlen, id->hash_len);
			assert_memory_equal(nh, id->name_hash, hlen);
			assert_memory_equal(kh, id->key_hash, hlen);
		}
		if (want->nonce) {
			size_t tlen = 0;
			snprintf(name, sizeof(name), "%s.nonce", want->file);
			uint8_t *text = read_file(name, &tlen);
			char hex[200];
			assert_non_null(r.nonce);
			assert_int_equal(r.nonce_len, 18); /* OpenSSL's: OCTET STRING of 16 random octets */
			assert_int_equal(r.nonce[0], 0x04);
			hex_upper(r.nonce, r.nonce_len, hex);
			assert_true(tlen >= strlen(hex));
			assert_memory_equal(text, hex, strlen(hex));
			free(text);
		} else {
			assert_null(r.nonce);
		}
		free(der);
	}
}

/* The other issuer's hashes differ; sha1 is not the same as sha256; unknown names are refused. */
static void test_certid_inputs(void **state)
{
	(void)state;
	uint8_t *a = NULL, *b = NULL, nh[64], kh[64];
	size_t alen = 0, blen = 0, hlen = 0;
	cf_err e = {0};
	assert_int_equal(cf_ocsp_resp_certid(g.cert[CA], serial1, sizeof(serial1), "sha1", &a, &alen, &e), CF_OK);
	assert_int_equal(cf_ocsp_resp_certid(g.cert[CA2], serial1, sizeof(serial1), "sha1", &b, &blen, &e), CF_OK);
	assert_int_equal(alen, blen);
	assert_memory_not_equal(a, b, alen);
	free(a);
	free(b);
	assert_int_equal(cf_ocsp_resp_certid(g.cert[CA], serial1, sizeof(serial1), "md5", &a, &alen, &e), CF_E_INPUT);
	const uint8_t zero[] = {0x00}, negative[] = {0x80}, padded[] = {0x00, 0x01};
	assert_int_equal(cf_ocsp_resp_certid(g.cert[CA], zero, 1, "sha1", &a, &alen, &e), CF_E_INPUT);
	assert_int_equal(cf_ocsp_resp_certid(g.cert[CA], negative, 1, "sha1", &a, &alen, &e), CF_E_INPUT);
	assert_int_equal(cf_ocsp_resp_certid(g.cert[CA], padded, 2, "sha1", &a, &alen, &e), CF_E_INPUT);
	assert_int_equal(cf_ocsp_resp_certid(g.cert[CA], serial1, 0, "sha1", &a, &alen, &e), CF_E_INPUT);
	assert_int_equal(cf_ocsp_resp_issuer_hashes(g.cert[CA], "sha512", nh, kh, &hlen, &e), CF_OK);
	assert_int_equal(hlen, 64);
	assert_int_equal(cf_ocsp_resp_issuer_hashes(g.cert[CA], "sha224", nh, kh, &hlen, &e), CF_E_INPUT);
}

/* ---- responses checked by openssl ---------------------------------------------------------------- */

typedef enum { GOOD, REVOKED_KC, REVOKED_NONE, UNKNOWN, N_KINDS } kind;

static void answer_of(kind k, const cf_ocsp_certid *id, int64_t now, cf_ocsp_answer *a)
{
	*a = (cf_ocsp_answer){.certid = id->der,
			      .certid_len = id->der_len,
			      .status = k == GOOD      ? CF_OCSP_GOOD
					: k == UNKNOWN ? CF_OCSP_UNKNOWN
						       : CF_OCSP_REVOKED,
			      .revoked_at = 1767270896, /* 2026-01-01 12:34:56 */
			      .reason = k == REVOKED_KC ? 1 : -1,
			      .this_update = now - 60,
			      .next_update = now + 3600};
}

/* Builds a response to the request in file (answers of kind k; the second CertID, when there is
 * one, is answered good), signed by the CA or the delegated responder; writes it to resp.der. */
static void build_for(const char *file, kind k, bool delegated, const uint8_t *nonce, size_t nonce_len,
		      cf_ocsp_request *r, uint8_t **req, size_t *req_len)
{
	char name[64];
	cf_err e = {0};
	cf_ocsp_answer a[CF_OCSP_MAX_IDS];
	int64_t now = (int64_t)time(NULL);
	uint8_t *der = NULL;
	size_t len = 0;
	snprintf(name, sizeof(name), "%s.der", file);
	*req = read_file(name, req_len);
	assert_int_equal(cf_ocsp_resp_read(*req, *req_len, r, &e), CF_OK);
	for (size_t i = 0; i < r->n; i++)
		answer_of(i == 0 ? k : GOOD, &r->ids[i], now, &a[i]);
	cf_cert *certs[1] = {g.cert[RESP]};
	if (cf_ocsp_resp_build(a, r->n, nonce, nonce_len, now, delegated ? g.cert[RESP] : g.cert[CA], certs,
			       delegated ? 1 : 0, delegated ? g.resp_signer : g.ca_signer, &der, &len, &e) != CF_OK)
		fail_msg("%s: %s", file, e.message);
	write_file("resp.der", der, len);
	free(der);
}

/* What is being checked, for the failure messages. */
static char what[128];

static void assert_has(const char *out, const char *want)
{
	if (strcasestr(out, want) == NULL)
		fail_msg("%s: expected \"%s\" in:\n%s", what, want, out);
}

static void assert_lacks(const char *out, const char *unwanted)
{
	if (strcasestr(out, unwanted) != NULL)
		fail_msg("%s: did not expect \"%s\" in:\n%s", what, unwanted, out);
}

static void test_responses_openssl(void **state)
{
	(void)state;
	static const char *const files[] = {"nonce_sha1", "plain_sha1", "nonce_sha256", "two", "signed"};
	static const char *const status[N_KINDS] = {"good", "revoked", "revoked", "unknown"};
	for (size_t f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
		for (int k = 0; k < N_KINDS; k++) {
			for (int delegated = 0; delegated < 2; delegated++) {
				cf_ocsp_request r;
				uint8_t *req = NULL;
				size_t req_len = 0;
				build_for(files[f], (kind)k, delegated, NULL, 0, &r, &req, &req_len);
				/* rebuilt with the request's nonce (when it has one) */
				if (r.nonce != NULL) {
					uint8_t nonce[64];
					size_t nonce_len = r.nonce_len;
					memcpy(nonce, r.nonce, nonce_len);
					free(req);
					build_for(files[f], (kind)k, delegated, nonce, nonce_len, &r, &req, &req_len);
				}
				snprintf(what, sizeof(what), "%s, %s, %s", files[f], status[k],
					 delegated ? "delegated" : "CA");
				bool two = strcmp(files[f], "two") == 0, sgn = strcmp(files[f], "signed") == 0;
				/* the CertIDs openssl looks for are hashed as the request's were */
				char *out = run("openssl ocsp -respin resp.der -issuer ca.pem -CAfile ca.pem -no_nonce "
						"%s -cert %s %s -resp_text",
						strcmp(files[f], "nonce_sha256") == 0 ? "-sha256" : "",
						sgn ? "leaf2.pem" : "leaf1.pem", two ? "-cert leaf2.pem" : "");
				char line[64];
				snprintf(line, sizeof(line), "%s: %s", sgn ? "leaf2.pem" : "leaf1.pem", status[k]);
				assert_has(out, "Response verify OK");
				assert_has(out, line);
				if (two)
					assert_has(out, "leaf2.pem: good");
				if (k == REVOKED_KC)
					assert_has(out, "Reason: keyCompromise");
				if (k == REVOKED_NONE)
					assert_lacks(out, "Reason:");
				if (k != GOOD && k != UNKNOWN)
					assert_has(out, "Revocation Time: Jan  1 12:34:56 2026 GMT");
				free(out);
				if (r.nonce != NULL) { /* openssl compares the nonces */
					out = run("openssl ocsp -respin resp.der -reqin %s.der -issuer ca.pem -CAfile "
						  "ca.pem",
						  files[f]);
					assert_has(out, "Response verify OK");
					assert_lacks(out, "nonce");
					free(out);
				}
				free(req);
			}
		}
	}
}

/* The responderID is byKey: the SHA-1 of the responder's key, as openssl prints it. */
static void test_responder_id(void **state)
{
	(void)state;
	for (int delegated = 0; delegated < 2; delegated++) {
		cf_ocsp_request r;
		uint8_t *req = NULL;
		size_t req_len = 0;
		build_for("plain_sha1", GOOD, delegated, NULL, 0, &r, &req, &req_len);
		/* the subject key identifier openssl x509 wrote is that SHA-1 (RFC 5280 method 1) */
		char *ski = run("openssl x509 -in %s -noout -ext subjectKeyIdentifier | tail -1 | tr -d ' :\\n'",
				delegated ? "resp.pem" : "ca.pem");
		char *out = run("openssl ocsp -respin resp.der -noverify -resp_text");
		char want[128];
		assert_int_equal(strlen(ski), 40);
		snprintf(want, sizeof(want), "Responder Id: %s", ski);
		assert_has(out, want);
		free(ski);
		free(out);
		free(req);
	}
}

/* A response echoing another request's nonce is refused by openssl: the nonce check can fail. */
static void test_response_wrong_nonce(void **state)
{
	(void)state;
	cf_ocsp_request other, r;
	uint8_t *od = NULL, *req = NULL;
	size_t olen = 0, req_len = 0;
	cf_err e = {0};
	od = read_file("nonce_sha256.der", &olen);
	assert_int_equal(cf_ocsp_resp_read(od, olen, &other, &e), CF_OK);
	build_for("nonce_sha1", GOOD, false, other.nonce, other.nonce_len, &r, &req, &req_len);
	char *out = run("openssl ocsp -respin resp.der -reqin nonce_sha1.der -issuer ca.pem -CAfile ca.pem");
	assert_has(out, "Nonce Verify error");
	free(out);
	/* no nonce at all: openssl warns */
	free(req);
	build_for("nonce_sha1", GOOD, false, NULL, 0, &r, &req, &req_len);
	out = run("openssl ocsp -respin resp.der -reqin nonce_sha1.der -issuer ca.pem -CAfile ca.pem");
	assert_has(out, "no nonce in response");
	free(out);
	free(req);
	free(od);
}

/* Times across calendar corners, as openssl prints them. */
static void test_response_times(void **state)
{
	(void)state;
	static const struct {
		int64_t t;
		const char *text;
	} times[] = {
		{951782400, "Feb 29 00:00:00 2000 GMT"},    {4107542400, "Mar  1 00:00:00 2100 GMT"},
		{-1, "Dec 31 23:59:59 1969 GMT"},	    {-631152000, "Jan  1 00:00:00 1950 GMT"},
		{253402300799, "Dec 31 23:59:59 9999 GMT"}, {-11670994677, "Feb 29 01:02:03 1600 GMT"},
	};
	cf_ocsp_request r;
	size_t req_len = 0;
	uint8_t *req = read_file("plain_sha1.der", &req_len);
	cf_err e = {0};
	assert_int_equal(cf_ocsp_resp_read(req, req_len, &r, &e), CF_OK);
	for (size_t i = 0; i < sizeof(times) / sizeof(times[0]); i++) {
		cf_ocsp_answer a;
		uint8_t *der = NULL;
		size_t len = 0;
		answer_of(REVOKED_NONE, &r.ids[0], (int64_t)time(NULL), &a);
		a.revoked_at = times[i].t;
		assert_int_equal(cf_ocsp_resp_build(&a, 1, NULL, 0, a.this_update, g.cert[CA], NULL, 0, g.ca_signer,
						    &der, &len, &e),
				 CF_OK);
		write_file("resp.der", der, len);
		free(der);
		char *out = run("openssl ocsp -respin resp.der -noverify -resp_text");
		char want[64];
		snprintf(want, sizeof(want), "Revocation Time: %s", times[i].text);
		assert_has(out, want);
		free(out);
	}
	free(req);
}

/* ---- responses checked by certfleet's own client --------------------------------------------------- */

static void test_responses_client(void **state)
{
	(void)state;
	for (int sha1 = 0; sha1 < 2; sha1++) {
		for (int delegated = 0; delegated < 2; delegated++) {
			for (int k = 0; k < N_KINDS; k++) {
				cf_ocsp_req *q = NULL;
				cf_ocsp_request r;
				cf_ocsp_answer a;
				cf_ocsp_result res;
				uint8_t *der = NULL;
				size_t qlen = 0, len = 0;
				cf_err e = {0};
				int64_t now = (int64_t)time(NULL);
				assert_int_equal(cf_ocsp_req_new(g.cert[LEAF1], g.cert[CA], sha1, true, &q, &e), CF_OK);
				const uint8_t *qd = cf_ocsp_req_der(q, &qlen);
				assert_int_equal(cf_ocsp_resp_read(qd, qlen, &r, &e), CF_OK);
				assert_int_equal(r.n, 1);
				assert_string_equal(r.ids[0].hash, sha1 ? "sha1" : "sha256");
				assert_non_null(r.nonce);
				answer_of((kind)k, &r.ids[0], now, &a);
				cf_cert *certs[1] = {g.cert[RESP]};
				assert_int_equal(cf_ocsp_resp_build(&a, 1, r.nonce, r.nonce_len, now,
								    g.cert[delegated ? RESP : CA], certs, delegated,
								    delegated ? g.resp_signer : g.ca_signer, &der, &len,
								    &e),
						 CF_OK);
				if (cf_ocsp_check("test", q, der, len, NULL, 0, now, &res, &e) != CF_OK)
					fail_msg("cf_ocsp_check: %s", e.message);
				assert_int_equal(res.status, a.status);
				assert_int_equal(res.trust, CF_OCSP_DELEGATED);
				assert_string_equal(res.nonce, "matched");
				assert_string_equal(res.certid_hash, sha1 ? "sha1" : "sha256");
				assert_int_equal(res.this_update, a.this_update);
				assert_int_equal(res.next_update, a.next_update);
				assert_string_equal(res.responder,
						    delegated ? "CN=OCSP responder test delegate"
							      : "O=certfleet test,CN=OCSP responder test CA");
				if (a.status == CF_OCSP_REVOKED) {
					assert_int_equal(res.revoked_at, a.revoked_at);
					assert_string_equal(res.reason, k == REVOKED_KC ? "keyCompromise" : "");
				}
				cf_ocsp_result_clear(&res);
				/* another request's nonce: the client refuses it */
				cf_ocsp_req *q2 = NULL;
				uint8_t *der2 = NULL;
				size_t len2 = 0;
				assert_int_equal(cf_ocsp_req_new(g.cert[LEAF1], g.cert[CA], sha1, true, &q2, &e),
						 CF_OK);
				assert_int_equal(cf_ocsp_check("test", q2, der, len, NULL, 0, now, &res, &e),
						 CF_E_REMOTE);
				/* no nextUpdate: left out of the response */
				a.next_update = 0;
				assert_int_equal(cf_ocsp_resp_build(&a, 1, NULL, 0, now, g.cert[CA], NULL, 0,
								    g.ca_signer, &der2, &len2, &e),
						 CF_OK);
				assert_int_equal(cf_ocsp_check("test", q2, der2, len2, NULL, 0, now, &res, &e), CF_OK);
				assert_int_equal(res.next_update, 0);
				assert_string_equal(res.nonce, "absent");
				cf_ocsp_result_clear(&res);
				cf_ocsp_req_free(q2);
				free(der2);
				free(der);
				cf_ocsp_req_free(q);
			}
		}
	}
}

/* ---- error responses ------------------------------------------------------------------------------- */

static void test_error_responses(void **state)
{
	(void)state;
	static const struct {
		const char *name, *openssl;
	} errors[] = {
		{"malformedRequest", "Responder Error: malformedRequest (1)"},
		{"internalError", "Responder Error: internalError (2)"},
		{"tryLater", "Responder Error: tryLater (3)"},
		{"sigRequired", "Responder Error: sigRequired (5)"},
		{"unauthorized", "Responder Error: unauthorized (6)"},
	};
	for (size_t i = 0; i < sizeof(errors) / sizeof(errors[0]); i++) {
		size_t len = 0;
		const uint8_t *der = cf_ocsp_resp_error(errors[i].name, &len);
		assert_non_null(der);
		write_file("err.der", der, len);
		char *out = run("openssl ocsp -respin err.der -resp_text");
		assert_has(out, errors[i].openssl); /* openssl 3.0 prints the name in lower case */
		free(out);
		assert_string_equal(cf_ocsp_response_status(der, len), errors[i].name);
	}
	size_t len = 0;
	assert_null(cf_ocsp_resp_error("successful", &len));
	assert_null(cf_ocsp_resp_error("malformedrequest", &len));
	assert_null(cf_ocsp_resp_error(NULL, &len));
}

/* ---- hand-made requests ---------------------------------------------------------------------------- */

/* A DER builder for the test requests. */
typedef struct dbuf {
	uint8_t b[1536];
	size_t n;
} dbuf;

static dbuf B(const uint8_t *p, size_t n)
{
	dbuf d = {.n = n};
	assert_true(n <= sizeof(d.b));
	memcpy(d.b, p, n);
	return d;
}

static dbuf H(const char *hex)
{
	dbuf d = {.n = 0};
	for (; hex[0] != '\0' && hex[1] != '\0'; hex += 2) {
		unsigned v = 0;
		assert_int_equal(sscanf(hex, "%2x", &v), 1);
		d.b[d.n++] = (uint8_t)v;
	}
	return d;
}

static dbuf cat(int n, ...)
{
	dbuf d = {.n = 0};
	va_list ap;
	va_start(ap, n);
	for (int i = 0; i < n; i++) {
		dbuf x = va_arg(ap, dbuf);
		assert_true(d.n + x.n <= sizeof(d.b));
		memcpy(d.b + d.n, x.b, x.n);
		d.n += x.n;
	}
	va_end(ap);
	return d;
}

static dbuf T(uint8_t tag, dbuf c)
{
	dbuf d = {.n = 0};
	assert_true(c.n + 4 <= sizeof(d.b));
	d.b[d.n++] = tag;
	if (c.n >= 256) {
		d.b[d.n++] = 0x82;
		d.b[d.n++] = (uint8_t)(c.n >> 8);
	} else if (c.n >= 128) {
		d.b[d.n++] = 0x81;
	}
	d.b[d.n++] = (uint8_t)c.n;
	memcpy(d.b + d.n, c.b, c.n);
	d.n += c.n;
	return d;
}

static const dbuf none = {.n = 0};

#define OID_SHA1 "06052b0e03021a"
#define OID_SHA256 "0609608648016503040201"
#define OID_NONCE "06092b0601050507300102"
#define OID_OTHER "06092b0601050507300107" /* id-pkix-ocsp-service-locator */

static dbuf octets(size_t n, uint8_t v)
{
	dbuf d = {.n = n};
	memset(d.b, v, n);
	return d;
}

static dbuf cid(const char *alg, size_t nh, size_t kh, const char *serial)
{
	return T(0x30,
		 cat(4, T(0x30, H(alg)), T(0x04, octets(nh, 0xaa)), T(0x04, octets(kh, 0xbb)), T(0x02, H(serial))));
}

static dbuf ext(const char *oid, const char *critical, dbuf value)
{
	return T(0x30, cat(3, H(oid), H(critical), T(0x04, value)));
}

/* OCSPRequest { TBSRequest { pre, requestList, post } } */
static dbuf req_of(dbuf pre, dbuf list, dbuf post)
{
	return T(0x30, T(0x30, cat(3, pre, T(0x30, list), post)));
}

static dbuf nonce_ext(size_t n)
{
	return T(0xa2, T(0x30, ext(OID_NONCE, "", T(0x04, octets(n, 0x5a)))));
}

static void test_handmade(void **state)
{
	(void)state;
	dbuf good_id = cid(OID_SHA1 "0500", 20, 20, "0102030405");
	dbuf one = T(0x30, good_id);
	dbuf eight = cat(8, one, one, one, one, one, one, one, one);
	struct {
		const char *what;
		dbuf der;
		cf_code want;
	} cases[] = {
		{"plain", req_of(none, one, none), CF_OK},
		{"version v1 written out", req_of(H("a003020100"), one, none), CF_OK},
		{"version v2", req_of(H("a003020101"), one, none), CF_E_INPUT},
		{"version not an INTEGER", req_of(H("a003040100"), one, none), CF_E_INPUT},
		{"requestorName directoryName", req_of(T(0xa1, T(0xa4, T(0x30, none))), one, none), CF_OK},
		{"requestorName not a GeneralName", req_of(T(0xa1, T(0x30, none)), one, none), CF_E_INPUT},
		{"requestorName two", req_of(T(0xa1, cat(2, H("820161"), H("820162"))), one, none), CF_E_INPUT},
		{"SHA-256 without parameters", req_of(none, T(0x30, cid(OID_SHA256, 32, 32, "01")), none), CF_OK},
		{"SHA-256 with NULL", req_of(none, T(0x30, cid(OID_SHA256 "0500", 32, 32, "01")), none), CF_OK},
		{"SHA-256 with SHA-1 lengths", req_of(none, T(0x30, cid(OID_SHA256 "0500", 20, 20, "01")), none),
		 CF_E_INPUT},
		{"SHA-1 name hash short", req_of(none, T(0x30, cid(OID_SHA1 "0500", 19, 20, "01")), none), CF_E_INPUT},
		{"SHA-1 key hash long", req_of(none, T(0x30, cid(OID_SHA1 "0500", 20, 21, "01")), none), CF_E_INPUT},
		{"hash parameters not NULL", req_of(none, T(0x30, cid(OID_SHA1 "0401ff", 20, 20, "01")), none),
		 CF_E_INPUT},
		{"unknown hash (MD5)", req_of(none, T(0x30, cid("06082a864886f70d0205", 16, 16, "01")), none), CF_OK},
		{"unknown hash, uneven", req_of(none, T(0x30, cid("06082a864886f70d0205", 16, 17, "01")), none),
		 CF_E_INPUT},
		{"unknown hash, empty", req_of(none, T(0x30, cid("06082a864886f70d0205", 0, 0, "01")), none),
		 CF_E_INPUT},
		{"bad OID", req_of(none, T(0x30, cid("06028001", 20, 20, "01")), none), CF_E_INPUT},
		{"serial 0080", req_of(none, T(0x30, cid(OID_SHA1, 20, 20, "0080")), none), CF_OK},
		{"serial zero", req_of(none, T(0x30, cid(OID_SHA1, 20, 20, "00")), none), CF_E_INPUT},
		{"serial negative", req_of(none, T(0x30, cid(OID_SHA1, 20, 20, "80")), none), CF_E_INPUT},
		{"serial padded", req_of(none, T(0x30, cid(OID_SHA1, 20, 20, "0001")), none), CF_E_INPUT},
		{"serial empty", req_of(none, T(0x30, cid(OID_SHA1, 20, 20, "")), none), CF_E_INPUT},
		{"bytes after the serial",
		 req_of(none, T(0x30, T(0x30, cat(2, B(good_id.b + 2, good_id.n - 2), H("0500")))), none), CF_E_INPUT},
		{"no CertID", req_of(none, none, none), CF_E_INPUT},
		{"eight CertIDs", req_of(none, eight, none), CF_OK},
		{"nine CertIDs", req_of(none, cat(2, eight, one), none), CF_E_INPUT},
		{"single extension",
		 req_of(none, T(0x30, cat(2, good_id, T(0xa0, T(0x30, ext(OID_OTHER, "", none))))), none), CF_OK},
		{"single extension critical",
		 req_of(none, T(0x30, cat(2, good_id, T(0xa0, T(0x30, ext(OID_OTHER, "0101ff", none))))), none),
		 CF_E_INPUT},
		{"single extensions empty", req_of(none, T(0x30, cat(2, good_id, T(0xa0, T(0x30, none)))), none),
		 CF_E_INPUT},
		{"nonce 1", req_of(none, one, nonce_ext(1)), CF_OK},
		{"nonce 32", req_of(none, one, nonce_ext(32)), CF_OK},
		{"nonce 33", req_of(none, one, nonce_ext(33)), CF_E_INPUT},
		{"nonce empty", req_of(none, one, nonce_ext(0)), CF_E_INPUT},
		{"nonce not wrapped", req_of(none, one, T(0xa2, T(0x30, ext(OID_NONCE, "", octets(16, 0x5a))))),
		 CF_E_INPUT},
		{"nonce with a byte after",
		 req_of(none, one, T(0xa2, T(0x30, ext(OID_NONCE, "", cat(2, T(0x04, octets(16, 1)), H("00")))))),
		 CF_E_INPUT},
		{"nonce critical", req_of(none, one, T(0xa2, T(0x30, ext(OID_NONCE, "0101ff", T(0x04, octets(8, 1)))))),
		 CF_OK},
		{"two nonces",
		 req_of(none, one,
			T(0xa2, T(0x30, cat(2, ext(OID_NONCE, "", T(0x04, octets(8, 1))),
					    ext(OID_NONCE, "", T(0x04, octets(8, 2))))))),
		 CF_E_INPUT},
		{"other extension", req_of(none, one, T(0xa2, T(0x30, ext(OID_OTHER, "", H("0500"))))), CF_OK},
		{"other extension critical", req_of(none, one, T(0xa2, T(0x30, ext(OID_OTHER, "0101ff", H("0500"))))),
		 CF_E_INPUT},
		{"critical written FALSE", req_of(none, one, T(0xa2, T(0x30, ext(OID_OTHER, "010100", H("0500"))))),
		 CF_E_INPUT},
		{"extensions empty", req_of(none, one, T(0xa2, T(0x30, none))), CF_E_INPUT},
		{"unknown field", req_of(none, one, H("a3020500")), CF_E_INPUT},
		{"fields out of order", T(0x30, T(0x30, cat(2, T(0x30, one), H("a003020100")))), CF_E_INPUT},
		{"signature",
		 T(0x30, cat(2, T(0x30, T(0x30, one)), T(0xa0, T(0x30, cat(2, T(0x30, H(OID_SHA1)), H("03020000")))))),
		 CF_OK},
		{"signature with certs",
		 T(0x30,
		   cat(2, T(0x30, T(0x30, one)),
		       T(0xa0, T(0x30, cat(3, T(0x30, H(OID_SHA1)), H("03020000"), T(0xa0, T(0x30, H("3000")))))))),
		 CF_OK},
		{"signature bad bits",
		 T(0x30, cat(2, T(0x30, T(0x30, one)), T(0xa0, T(0x30, cat(2, T(0x30, H(OID_SHA1)), H("03020800")))))),
		 CF_E_INPUT},
		{"signature and more",
		 T(0x30, cat(3, T(0x30, T(0x30, one)), T(0xa0, T(0x30, cat(2, T(0x30, H(OID_SHA1)), H("03020000")))),
			     H("0500"))),
		 CF_E_INPUT},
		{"trailing byte", cat(2, req_of(none, one, none), H("00")), CF_E_INPUT},
		{"indefinite length", H("3080308030803080"), CF_E_INPUT},
		{"long form for a short length", T(0x30, H("3081053003300100")), CF_E_INPUT},
		{"high tag number", H("3f2000"), CF_E_INPUT},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cf_ocsp_request r;
		cf_err e = {0};
		cf_code rc = cf_ocsp_resp_read(cases[i].der.b, cases[i].der.n, &r, &e);
		if (rc != cases[i].want)
			fail_msg("%s: got %d (%s), wanted %d", cases[i].what, rc, e.message, cases[i].want);
		if (rc == CF_OK)
			assert_inside(&r, cases[i].der.b, cases[i].der.n);
		else
			assert_true(e.message[0] != '\0');
	}
	/* what the accepted ones read as */
	cf_ocsp_request r;
	cf_err e = {0};
	dbuf d = req_of(none, one, nonce_ext(32));
	assert_int_equal(cf_ocsp_resp_read(d.b, d.n, &r, &e), CF_OK);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.nonce_len, 34);
	assert_memory_equal(r.nonce, "\x04\x20\x5a\x5a", 4);
	assert_false(r.signed_request);
	d = req_of(none, eight, none);
	assert_int_equal(cf_ocsp_resp_read(d.b, d.n, &r, &e), CF_OK);
	assert_int_equal(r.n, 8);
	assert_memory_equal(r.ids[7].der, good_id.b, good_id.n);
	d = req_of(none, T(0x30, cid("06082a864886f70d0205", 16, 16, "01")), none);
	assert_int_equal(cf_ocsp_resp_read(d.b, d.n, &r, &e), CF_OK);
	assert_string_equal(r.ids[0].hash, "");
	assert_int_equal(r.ids[0].hash_len, 16);
}

/* ---- truncations, mutations, garbage ------------------------------------------------------------- */

static void test_truncated_and_garbage(void **state)
{
	(void)state;
	static const char *const files[] = {"nonce_sha1", "two", "signed", "bmp"};
	cf_ocsp_request r;
	cf_err e = {0};
	for (size_t f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
		char name[64];
		size_t len = 0;
		snprintf(name, sizeof(name), "%s.der", files[f]);
		uint8_t *der = read_file(name, &len);
		/* every truncation, in a buffer of exactly that size (ASan sees a read past it) */
		for (size_t n = 0; n < len; n++) {
			uint8_t *cut = malloc(n > 0 ? n : 1);
			assert_non_null(cut);
			memcpy(cut, der, n);
			if (cf_ocsp_resp_read(cut, n, &r, &e) != CF_E_INPUT)
				fail_msg("%s cut to %zu bytes was accepted", name, n);
			free(cut);
		}
		/* a byte more */
		uint8_t *longer = malloc(len + 1);
		assert_non_null(longer);
		memcpy(longer, der, len);
		longer[len] = 0;
		assert_int_equal(cf_ocsp_resp_read(longer, len + 1, &r, &e), CF_E_INPUT);
		free(longer);
		/* every byte changed to a few values: accepted or refused, never a pointer outside */
		static const uint8_t values[] = {0x00, 0x01, 0x7f, 0x80, 0x81, 0x82, 0xff};
		for (size_t i = 0; i < len; i++) {
			for (size_t v = 0; v < sizeof(values); v++) {
				uint8_t *m = malloc(len);
				assert_non_null(m);
				memcpy(m, der, len);
				m[i] = values[v];
				cf_code rc = cf_ocsp_resp_read(m, len, &r, &e);
				assert_true(rc == CF_OK || rc == CF_E_INPUT);
				if (rc == CF_OK)
					assert_inside(&r, m, len);
				free(m);
			}
		}
		free(der);
	}
	/* a length that claims more than there is, and a request over the limit */
	assert_int_equal(cf_ocsp_resp_read((const uint8_t *)"\x30\x84\x7f\xff\xff\xff\x30\x00", 8, &r, &e), CF_E_INPUT);
	size_t big = CF_OCSP_MAX_REQUEST + 1;
	uint8_t *huge = calloc(1, big);
	assert_non_null(huge);
	huge[0] = 0x30;
	huge[1] = 0x83;
	huge[2] = (uint8_t)((big - 5) >> 16);
	huge[3] = (uint8_t)((big - 5) >> 8);
	huge[4] = (uint8_t)(big - 5);
	assert_int_equal(cf_ocsp_resp_read(huge, big, &r, &e), CF_E_INPUT);
	free(huge);
	assert_int_equal(cf_ocsp_resp_read(NULL, 0, &r, &e), CF_E_INPUT);
	/* garbage from a fixed generator */
	uint32_t x = 2463534242u;
	for (int round = 0; round < 2000; round++) {
		size_t n = (size_t)(round % 300) + 1;
		uint8_t *gbuf = malloc(n);
		assert_non_null(gbuf);
		for (size_t i = 0; i < n; i++) {
			x ^= x << 13, x ^= x >> 17, x ^= x << 5;
			gbuf[i] = (uint8_t)x;
		}
		if (round % 2 == 0)
			gbuf[0] = 0x30; /* a SEQUENCE, so more of the reader runs */
		cf_code rc = cf_ocsp_resp_read(gbuf, n, &r, &e);
		assert_true(rc == CF_OK || rc == CF_E_INPUT);
		if (rc == CF_OK)
			assert_inside(&r, gbuf, n);
		free(gbuf);
	}
}

/* ---- the builder's refusals ----------------------------------------------------------------------- */

static void test_build_refusals(void **state)
{
	(void)state;
	uint8_t *id = NULL, *der = NULL;
	size_t id_len = 0, len = 0;
	cf_err e = {0};
	int64_t now = (int64_t)time(NULL);
	assert_int_equal(cf_ocsp_resp_certid(g.cert[CA], serial1, sizeof(serial1), "sha1", &id, &id_len, &e), CF_OK);
	cf_ocsp_certid c = {.der = id, .der_len = id_len};
	cf_ocsp_answer a, b;
	answer_of(REVOKED_KC, &c, now, &a);
	const cf_cert *ca = g.cert[CA];
	const cf_signer *s = g.ca_signer;
	assert_int_equal(cf_ocsp_resp_build(&a, 1, NULL, 0, now, ca, NULL, 0, s, &der, &len, &e), CF_OK);
	free(der);
	assert_int_equal(cf_ocsp_resp_build(&a, 0, NULL, 0, now, ca, NULL, 0, s, &der, &len, &e), CF_E_INPUT);
	cf_ocsp_answer many[CF_OCSP_MAX_IDS + 1];
	for (size_t i = 0; i <= CF_OCSP_MAX_IDS; i++)
		many[i] = a;
	assert_int_equal(cf_ocsp_resp_build(many, CF_OCSP_MAX_IDS, NULL, 0, now, ca, NULL, 0, s, &der, &len, &e),
			 CF_OK);
	free(der);
	assert_int_equal(cf_ocsp_resp_build(many, CF_OCSP_MAX_IDS + 1, NULL, 0, now, ca, NULL, 0, s, &der, &len, &e),
			 CF_E_INPUT);
	b = a, b.reason = 7;
	assert_int_equal(cf_ocsp_resp_build(&b, 1, NULL, 0, now, ca, NULL, 0, s, &der, &len, &e), CF_E_INPUT);
	b = a, b.reason = 11;
	assert_int_equal(cf_ocsp_resp_build(&b, 1, NULL, 0, now, ca, NULL, 0, s, &der, &len, &e), CF_E_INPUT);
	b = a, b.reason = -2;
	assert_int_equal(cf_ocsp_resp_build(&b, 1, NULL, 0, now, ca, NULL, 0, s, &der, &len, &e), CF_E_INPUT);
	b = a, b.status = (cf_ocsp_status)7;
	assert_int_equal(cf_ocsp_resp_build(&b, 1, NULL, 0, now, ca, NULL, 0, s, &der, &len, &e), CF_E_INPUT);
	b = a, b.next_update = b.this_update - 1;
	assert_int_equal(cf_ocsp_resp_build(&b, 1, NULL, 0, now, ca, NULL, 0, s, &der, &len, &e), CF_E_INPUT);
	b = a, b.this_update = 253402300800; /* 10000-01-01 */
	b.next_update = 0;
	assert_int_equal(cf_ocsp_resp_build(&b, 1, NULL, 0, now, ca, NULL, 0, s, &der, &len, &e), CF_E_INPUT);
	b = a, b.revoked_at = -62167219201; /* before 0000-01-01 */
	assert_int_equal(cf_ocsp_resp_build(&b, 1, NULL, 0, now, ca, NULL, 0, s, &der, &len, &e), CF_E_INPUT);
	assert_int_equal(cf_ocsp_resp_build(&a, 1, NULL, 0, INT64_MAX, ca, NULL, 0, s, &der, &len, &e), CF_E_INPUT);
	b = a, b.certid_len = id_len - 1;
	assert_int_equal(cf_ocsp_resp_build(&b, 1, NULL, 0, now, ca, NULL, 0, s, &der, &len, &e), CF_E_INPUT);
	b = a, b.certid = NULL;
	assert_int_equal(cf_ocsp_resp_build(&b, 1, NULL, 0, now, ca, NULL, 0, s, &der, &len, &e), CF_E_INPUT);
	const uint8_t bad_nonce[] = {0x04, 0x02, 0x01}, raw_nonce[] = {0x01, 0x02};
	assert_int_equal(cf_ocsp_resp_build(&a, 1, bad_nonce, sizeof(bad_nonce), now, ca, NULL, 0, s, &der, &len, &e),
			 CF_E_INPUT);
	assert_int_equal(cf_ocsp_resp_build(&a, 1, raw_nonce, sizeof(raw_nonce), now, ca, NULL, 0, s, &der, &len, &e),
			 CF_E_INPUT);
	assert_int_equal(cf_ocsp_resp_build(&a, 1, NULL, 0, now, NULL, NULL, 0, s, &der, &len, &e), CF_E_INPUT);
	assert_int_equal(cf_ocsp_resp_build(&a, 1, NULL, 0, now, ca, NULL, 1, s, &der, &len, &e), CF_E_INPUT);
	free(id);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read_openssl_requests),
		cmocka_unit_test(test_certid_inputs),
		cmocka_unit_test(test_responses_openssl),
		cmocka_unit_test(test_responder_id),
		cmocka_unit_test(test_response_wrong_nonce),
		cmocka_unit_test(test_response_times),
		cmocka_unit_test(test_responses_client),
		cmocka_unit_test(test_error_responses),
		cmocka_unit_test(test_handmade),
		cmocka_unit_test(test_truncated_and_garbage),
		cmocka_unit_test(test_build_refusals),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
