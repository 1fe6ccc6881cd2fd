/* Unit tests for a CRL's index (src/crypto/crl.c: cf_crl_to_index, cf_crl_from_index) and its use
 * by the store and revocation: the index written beside the DER, read back instead of the walk,
 * and the walk again when it is missing or damaged. The CRLs are made with the openssl command:
 * an RSA CA's CRL with serials of 1 to 21 octets (across the 7-octet key and the 0x7f/0x80
 * boundaries) and a revocation time before 1970 (kept in the pool), an empty EC CRL, and an
 * Ed25519 delta CRL (no separate digest: the index keeps the signed bytes). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/fleet/deployment.h"
#include "core/revocation/revocation.h"
#include "core/lifecycle/trust.h"
#include "crypto/crl.h"
#include "crypto/x509.h"
#include "util/fileio.h"

/* The CAs, their CRLs and two leaves of the RSA CA (one revoked), in the directory $1. */
static const char make_script[] =
	"set -e\n"
	"d=$1\n"
	"cd \"$d\"\n"
	"mkca() {\n"
	"  mkdir -p $1\n"
	"  case $2 in\n"
	"  rsa) openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out $1/ca.key ;;\n"
	"  ec) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out $1/ca.key ;;\n"
	"  ed) openssl genpkey -algorithm ED25519 -out $1/ca.key ;;\n"
	"  esac\n"
	"  openssl req -x509 -new -key $1/ca.key -out $1/ca.pem -subj \"/CN=CRL index test $1/O=certfleet test\" \\\n"
	"    -days 3650 -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign\n"
	"  : >$1/index.txt\n"
	"  echo 'unique_subject = no' >$1/index.txt.attr\n"
	"  echo 1000 >$1/crlnumber\n"
	"  printf '[ca]\\ndefault_ca = c\\n[c]\\ndatabase = %s\\ncertificate = %s\\nprivate_key = %s\\n"
	"crlnumber = %s\\ndefault_md = sha256\\nunique_subject = no\\n[delta]\\ndeltaCRL = "
	"critical,DER:02:02:03:E7\\n' \\\n"
	"    $d/$1/index.txt $d/$1/ca.pem $d/$1/ca.key $d/$1/crlnumber >$1/ca.cnf\n"
	"}\n"
	"rev() { printf 'R\\t361122000000Z\\t%s,keyCompromise\\t%s\\tunknown\\t/CN=r%s\\n' $3 $2 $2 >>$1/index.txt; }\n"
	"mkca few rsa\n"
	"rev few 01 260101000000Z\n"
	"rev few 7F 260102000000Z\n"
	"rev few 80 260103000000Z\n"
	"rev few 0100 260104000000Z\n"
	"rev few 01020304050607 260105000000Z\n"
	"rev few 0102030405060708 260106000000Z\n"
	"rev few 01020304050607FF 260107000000Z\n"
	"rev few 7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF 260108000000Z\n"
	"rev few FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF 260109000000Z\n"
	"rev few 123456789ABCDEF0123456789ABCDEF0 690101000000Z\n"
	"rev few 00 260110000000Z\n"
	"openssl ca -gencrl -config few/ca.cnf -crldays 30 -out few/crl.pem\n"
	"mkca empty ec\n"
	"openssl ca -gencrl -config empty/ca.cnf -crldays 30 -out empty/crl.pem\n"
	"mkca ed ed\n"
	"rev ed 0A 260101000000Z\n"
	"rev ed 0B0C0D0E0F101112131415 260101000000Z\n"
	"openssl ca -gencrl -config ed/ca.cnf -md default -crldays 30 -crlexts delta -out ed/crl.pem\n"
	"openssl ca -gencrl -config empty/ca.cnf -crl_lastupdate 20510101000000Z -crl_nextupdate 20520101000000Z \\\n"
	"  -out empty/gen.pem\n" /* both times GeneralizedTime */
	"openssl crl -in empty/gen.pem -outform DER -out empty/gen.der\n"
	"for c in few empty ed; do openssl crl -in $c/crl.pem -outform DER -out $c/crl.der; done\n"
	"openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out leaf.key\n"
	"openssl req -new -key leaf.key -subj /CN=leaf.example.com -out leaf.csr\n"
	"for s in 0102030405060708 0102030405060709; do\n"
	"  openssl x509 -req -in leaf.csr -CA few/ca.pem -CAkey few/ca.key -set_serial 0x$s -days 30 -out leaf-$s.pem\n"
	"done\n";

/* The serials each CRL lists, as in the script (hex, the INTEGER's value). */
static const char *const few_serials[] = {"01",
					  "7F",
					  "80",
					  "0100",
					  "01020304050607",
					  "0102030405060708",
					  "01020304050607FF",
					  "7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF",
					  "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF",
					  "123456789ABCDEF0123456789ABCDEF0",
					  "00"};
static const char *const ed_serials[] = {"0A", "0B0C0D0E0F101112131415"};

enum { FEW, EMPTY, ED, N_CRLS };
static const char *const crl_names[N_CRLS] = {"few", "empty", "ed"};

typedef struct one_crl {
	uint8_t *pem, *der, *idx;
	size_t pem_len, der_len, idx_len;
	cf_cert *ca;
	cf_crl *parsed;
	const char *const *serials;
	size_t n_serials;
} one_crl;

static struct {
	one_crl crl[N_CRLS];
	cf_cert *revoked_leaf, *good_leaf;
	uint8_t *gen_der; /* a CRL whose thisUpdate and nextUpdate are GeneralizedTime */
	size_t gen_len;
} g;

static uint8_t *read_file(const char *dir, const char *name, size_t *len)
{
	char path[512];
	uint8_t *buf = NULL;
	cf_err e = {0};
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (cf_file_read(path, 1u << 20, &buf, len, &e) != CF_OK)
		fail_msg("%s: %s", path, e.message);
	return buf;
}

static cf_cert *read_cert(const char *dir, const char *name)
{
	size_t len = 0, n = 0;
	uint8_t *buf = read_file(dir, name, &len);
	cf_cert **v = NULL;
	cf_err e = {0};
	if (cf_cert_parse_bundle(name, buf, len, &v, &n, &e) != CF_OK)
		fail_msg("%s: %s", name, e.message);
	cf_cert *c = cf_cert_ref(v[0]);
	cf_certs_free(v, n);
	free(buf);
	return c;
}

static int group_setup(void **state)
{
	(void)state;
	char dir[] = "/tmp/cf-test-crl-XXXXXX", path[512], cmd[1024];
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/make.sh", dir);
	FILE *f = fopen(path, "w");
	if (f == NULL)
		return -1;
	fputs(make_script, f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "sh '%s/make.sh' '%s' >'%s/log' 2>&1", dir, dir, dir);
	int rc = system(cmd);
	if (rc != 0) {
		snprintf(cmd, sizeof(cmd), "cat '%s/log' >&2", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "no log\n");
		fprintf(stderr, "the openssl command failed (%d)\n", rc);
		return -1;
	}
	for (int i = 0; i < N_CRLS; i++) {
		one_crl *c = &g.crl[i];
		char name[64];
		cf_err e = {0};
		snprintf(name, sizeof(name), "%s/crl.der", crl_names[i]);
		c->der = read_file(dir, name, &c->der_len);
		snprintf(name, sizeof(name), "%s/crl.pem", crl_names[i]);
		c->pem = read_file(dir, name, &c->pem_len);
		snprintf(name, sizeof(name), "%s/ca.pem", crl_names[i]);
		c->ca = read_cert(dir, name);
		if (cf_crl_parse(crl_names[i], c->der, c->der_len, &c->parsed, &e) != CF_OK ||
		    cf_crl_to_index(c->parsed, &c->idx, &c->idx_len, &e) != CF_OK) {
			fprintf(stderr, "%s: %s\n", crl_names[i], e.message);
			return -1;
		}
	}
	g.crl[FEW].serials = few_serials;
	g.crl[FEW].n_serials = sizeof(few_serials) / sizeof(few_serials[0]);
	g.crl[ED].serials = ed_serials;
	g.crl[ED].n_serials = sizeof(ed_serials) / sizeof(ed_serials[0]);
	g.gen_der = read_file(dir, "empty/gen.der", &g.gen_len);
	g.revoked_leaf = read_cert(dir, "leaf-0102030405060708.pem");
	g.good_leaf = read_cert(dir, "leaf-0102030405060709.pem");
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir); /* the CA keys go with it */
	return system(cmd) == 0 ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	for (int i = 0; i < N_CRLS; i++) {
		one_crl *c = &g.crl[i];
		free(c->pem);
		free(c->der);
		free(c->idx);
		cf_cert_free(c->ca);
		cf_crl_free(c->parsed);
	}
	cf_cert_free(g.revoked_leaf);
	cf_cert_free(g.good_leaf);
	free(g.gen_der);
	return 0;
}

/* A hex serial as the INTEGER's content octets (a 00 before a first octet with its top bit set). */
static size_t serial_bytes(const char *hex, uint8_t *out)
{
	size_t n = 0, len = strlen(hex);
	unsigned v;
	if (strchr("89ABCDEFabcdef", hex[0]) != NULL)
		out[n++] = 0;
	for (size_t i = 0; i < len; i += 2) { /* an even number of digits */
		sscanf(hex + i, "%2x", &v);
		out[n++] = (uint8_t)v;
	}
	return n;
}

static cf_crl *from_index(const uint8_t *idx, size_t len)
{
	cf_crl *c = NULL;
	cf_err e = {0};
	if (cf_crl_from_index("test", idx, len, &c, &e) != CF_OK)
		fail_msg("cf_crl_from_index: %s", e.message);
	return c;
}

/* The parsed and the index-loaded CRL give the same answer (and time) for this serial. */
static bool same_answer(const cf_crl *a, const cf_crl *b, const uint8_t *s, size_t len)
{
	int64_t wa = -7, wb = -7;
	bool ra = cf_crl_revoked(a, s, len, &wa), rb = cf_crl_revoked(b, s, len, &wb);
	if (ra != rb || wa != wb)
		fail_msg("the index answers otherwise for a serial of %zu octets: %d %d", len, ra, rb);
	return ra;
}

/* Every listed serial (found, with the same time), the same written with extra leading zeros, its
 * neighbours, shorter and longer versions, fixed and random serials: the answers agree. */
static void compare_lookups(const one_crl *c, const cf_crl *loaded)
{
	uint8_t s[40], t[40];
	for (size_t i = 0; i < c->n_serials; i++) {
		size_t n = serial_bytes(c->serials[i], s);
		assert_true(same_answer(c->parsed, loaded, s, n));
		t[0] = 0;
		memcpy(t + 1, s, n);
		assert_true(same_answer(c->parsed, loaded, t, n + 1)); /* the same integer */
		memcpy(t, s, n);
		t[n - 1]++;
		same_answer(c->parsed, loaded, t, n);
		t[n - 1] -= 2;
		same_answer(c->parsed, loaded, t, n);
		same_answer(c->parsed, loaded, s, n - 1);
		memcpy(t, s, n);
		t[n] = 0;
		same_answer(c->parsed, loaded, t, n + 1);
	}
	static const uint8_t ff[22] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
				       0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	for (size_t n = 0; n <= sizeof(ff); n++)
		same_answer(c->parsed, loaded, ff, n);
	srand(20261122);
	for (int i = 0; i < 5000; i++) {
		size_t n = 1 + (size_t)rand() % 22;
		for (size_t k = 0; k < n; k++)
			s[k] = (uint8_t)rand();
		if (i % 2 && c->n_serials > 0) { /* a listed serial's first octets, then others */
			size_t k = serial_bytes(c->serials[(size_t)i % c->n_serials], t);
			memcpy(s, t, k < n ? k : n);
		}
		same_answer(c->parsed, loaded, s, n);
	}
}

static void roundtrip(int which)
{
	const one_crl *c = &g.crl[which];
	cf_crl *loaded = from_index(c->idx, c->idx_len);
	cf_crl_info a, b;
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	cf_crl_info_get(c->parsed, &a);
	cf_crl_info_get(loaded, &b);
	assert_memory_equal(&a, &b, sizeof(a));
	assert_int_equal(a.entries, c->n_serials);
	assert_int_equal(a.delta, which == ED);
	assert_string_equal(a.number, "1000");
	/* written again, the loaded CRL gives the same bytes */
	uint8_t *again = NULL;
	size_t again_len = 0;
	cf_err e = {0};
	assert_int_equal(cf_crl_to_index(loaded, &again, &again_len, &e), CF_OK);
	assert_int_equal(again_len, c->idx_len);
	assert_memory_equal(again, c->idx, again_len);
	free(again);
	/* the signature: good with its CA, refused with the others, as the parsed CRL says */
	for (int i = 0; i < N_CRLS; i++) {
		cf_err ea = {0}, eb = {0};
		cf_code want = i == which ? CF_OK : CF_E_INPUT;
		assert_int_equal(cf_crl_verify(c->parsed, g.crl[i].ca, &ea), want);
		assert_int_equal(cf_crl_verify(loaded, g.crl[i].ca, &eb), want);
		assert_string_equal(ea.message, eb.message);
	}
	compare_lookups(c, loaded);
	cf_crl_free(loaded);
}

static void test_roundtrip_few(void **state)
{
	(void)state;
	roundtrip(FEW);
	/* the time before 1970 lives in the pool; the 20-octet serial with its top bit set is found */
	cf_crl *loaded = from_index(g.crl[FEW].idx, g.crl[FEW].idx_len);
	uint8_t s[40];
	int64_t when = 0;
	assert_true(cf_crl_revoked(loaded, s, serial_bytes("123456789ABCDEF0123456789ABCDEF0", s), &when));
	assert_int_equal(when, INT64_C(-31536000)); /* 1969-01-01 */
	assert_true(cf_crl_revoked(loaded, s, serial_bytes("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF", s), &when));
	assert_int_equal(when, INT64_C(1767916800)); /* 2026-01-09 */
	cf_crl_free(loaded);
}

static void test_roundtrip_empty(void **state)
{
	(void)state;
	roundtrip(EMPTY);
}

static void test_roundtrip_ed25519_delta(void **state)
{
	(void)state;
	roundtrip(ED);
}

static void test_revokes_cert(void **state)
{
	(void)state;
	cf_crl *loaded = from_index(g.crl[FEW].idx, g.crl[FEW].idx_len);
	int64_t a = 0, b = 0;
	assert_true(cf_crl_revokes(g.crl[FEW].parsed, g.revoked_leaf, &a));
	assert_true(cf_crl_revokes(loaded, g.revoked_leaf, &b));
	assert_int_equal(a, b);
	assert_false(cf_crl_revokes(g.crl[FEW].parsed, g.good_leaf, NULL));
	assert_false(cf_crl_revokes(loaded, g.good_leaf, NULL));
	cf_crl_free(loaded);
}

/* buf must be refused with CF_E_INPUT and a message. */
static void refused(const uint8_t *buf, size_t len, const char *why)
{
	cf_crl *c = NULL;
	cf_err e = {0};
	cf_code rc = cf_crl_from_index("damaged", buf, len, &c, &e);
	if (rc != CF_E_INPUT)
		fail_msg("%s: loaded (%d) instead of being refused", why, (int)rc);
	assert_null(c);
	assert_true(e.message[0] != '\0');
}

static void test_truncated(void **state)
{
	(void)state;
	for (int i = 0; i < N_CRLS; i++) {
		const one_crl *c = &g.crl[i];
		for (size_t len = 0; len < c->idx_len; len++) {
			uint8_t *cut = malloc(len ? len : 1); /* exactly len: ASan sees any read beyond */
			memcpy(cut, c->idx, len);
			refused(cut, len, "cut short");
			free(cut);
		}
	}
}

static void test_bit_flips(void **state)
{
	(void)state;
	for (int i = 0; i < N_CRLS; i++) {
		const one_crl *c = &g.crl[i];
		uint8_t *b = malloc(c->idx_len);
		memcpy(b, c->idx, c->idx_len);
		for (size_t bit = 0; bit < 8 * c->idx_len; bit++) {
			b[bit / 8] ^= (uint8_t)(1u << (bit % 8));
			refused(b, c->idx_len, "one bit flipped");
			b[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		}
		free(b);
	}
}

static void test_garbage(void **state)
{
	(void)state;
	uint8_t b[4096];
	srand(7);
	for (int i = 0; i < 3000; i++) {
		size_t len = (size_t)rand() % sizeof(b);
		for (size_t k = 0; k < len; k++)
			b[k] = (uint8_t)rand();
		if (i % 2 && len >= 12) /* the magic and version, then garbage */
			memcpy(b, "cfcrlidx\x01\0\0\0", 12);
		refused(b, len, "garbage");
	}
	/* a later version is named as such */
	uint8_t v2[200] = "cfcrlidx\x02";
	cf_crl *c = NULL;
	cf_err e = {0};
	assert_int_equal(cf_crl_from_index("v2", v2, sizeof(v2), &c, &e), CF_E_INPUT);
	assert_non_null(strstr(e.message, "version 2"));
}

/* ---- damage behind the checksum: the structure's own checks ---------------------------------- */

#define HEAD 104
#define LENGTHS 64

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* A copy of the FEW index changed by fn and sealed again: refused. */
static void refused_sealed(void (*fn)(uint8_t *b, size_t len), const char *why)
{
	const one_crl *c = &g.crl[FEW];
	uint8_t *b = malloc(c->idx_len);
	memcpy(b, c->idx, c->idx_len);
	fn(b, c->idx_len);
	cf_crl_index_seal(b, c->idx_len);
	refused(b, c->idx_len, why);
	free(b);
}

static void swap_entries(uint8_t *b, size_t len)
{
	(void)len;
	uint8_t t[16];
	memcpy(t, b + HEAD + 16 * 3, 16);
	memcpy(b + HEAD + 16 * 3, b + HEAD + 16 * 4, 16);
	memcpy(b + HEAD + 16 * 4, t, 16);
}
static void off_past_pool(uint8_t *b, size_t len)
{
	(void)len;
	for (int i = 0; i < 11; i++) /* the first entry with pool octets points past the pool */
		if (b[HEAD + 16 * i + 7] > 7) {
			put32(b + HEAD + 16 * i + 8, get32(b + LENGTHS + 4));
			return;
		}
}
static void time_into_pool(uint8_t *b, size_t len)
{
	(void)len;
	put32(b + HEAD + 16 * 1 + 12, 0xffffffffu); /* 8 octets of pool more than there are */
}
static void pooled_time_fits(uint8_t *b, size_t len)
{
	(void)len;
	/* entry 8 is the 16-octet serial revoked in 1969: 9 octets, then its time in the pool */
	uint8_t *t = b + HEAD + 16 * (size_t)get32(b + LENGTHS) + get32(b + HEAD + 16 * 8 + 8) + 9;
	memcpy(t, "\0\0\0\0\0\0\0\1", 8); /* 1: a time the entry itself holds */
}
static void key_length_0(uint8_t *b, size_t len)
{
	(void)len;
	b[HEAD + 7] = 0;
}
static void key_length_22(uint8_t *b, size_t len)
{
	(void)len;
	b[HEAD + 16 * 10 + 7] = 22;
}
static void key_junk(uint8_t *b, size_t len)
{
	(void)len;
	b[HEAD + 16 * 1] = 1; /* an octet beyond a 1-octet serial's */
}
static void leading_zero(uint8_t *b, size_t len)
{
	(void)len;
	b[HEAD + 16 * 4 + 6] = 0; /* a serial of 2 octets whose first is 0 */
}
static void one_more_entry(uint8_t *b, size_t len)
{
	(void)len;
	put32(b + LENGTHS, get32(b + LENGTHS) + 1);
}
static void huge_entry_count(uint8_t *b, size_t len)
{
	(void)len;
	put32(b + LENGTHS, 0xffffffffu);
}
static void long_pool(uint8_t *b, size_t len)
{
	(void)len;
	put32(b + LENGTHS + 4, get32(b + LENGTHS + 4) + 1);
}
static void long_name(uint8_t *b, size_t len)
{
	(void)len;
	put32(b + LENGTHS + 8, 600);
}
static void huge_section(uint8_t *b, size_t len)
{
	(void)len;
	put32(b + LENGTHS + 8 + 4 * 5, 0xfffffff0u); /* the signature */
}
static void unknown_flag(uint8_t *b, size_t len)
{
	(void)len;
	b[12] |= 2;
}
/* The text sections start after the entries and the pool: name, issuer DER, number, digest name. */
static uint8_t *section(uint8_t *b, int i)
{
	size_t at = HEAD + 16 * (size_t)get32(b + LENGTHS) + get32(b + LENGTHS + 4);
	for (int k = 0; k < i; k++)
		at += get32(b + LENGTHS + 8 + 4 * (size_t)k);
	return b + at;
}
static void nul_in_name(uint8_t *b, size_t len)
{
	(void)len;
	section(b, 0)[2] = 0;
}
static void not_a_name(uint8_t *b, size_t len)
{
	(void)len;
	section(b, 1)[0] = 0x31;
}
static void upper_case_number(uint8_t *b, size_t len)
{
	(void)len;
	section(b, 2)[0] = 'A';
}
static void bad_digest_name(uint8_t *b, size_t len)
{
	(void)len;
	section(b, 3)[0] = ' ';
}

static void test_sealed_damage(void **state)
{
	(void)state;
	refused_sealed(swap_entries, "entries out of order");
	refused_sealed(off_past_pool, "an offset past the pool");
	refused_sealed(time_into_pool, "a time in the pool that is not there");
	refused_sealed(pooled_time_fits, "a time in the pool that fits 32 bits");
	refused_sealed(key_length_0, "a serial of 0 octets");
	refused_sealed(key_length_22, "a serial of 22 octets");
	refused_sealed(key_junk, "a key with octets beyond its serial");
	refused_sealed(leading_zero, "a serial with a leading zero octet");
	refused_sealed(one_more_entry, "one entry more than there is");
	refused_sealed(huge_entry_count, "2^32 - 1 entries");
	refused_sealed(long_pool, "a pool longer than it is");
	refused_sealed(long_name, "a name of 600 octets");
	refused_sealed(huge_section, "a section of 4 GiB");
	refused_sealed(unknown_flag, "an unknown flag");
	refused_sealed(nul_in_name, "a NUL in the name");
	refused_sealed(not_a_name, "an issuer that is no SEQUENCE");
	refused_sealed(upper_case_number, "a CRL number the walk does not write");
	refused_sealed(bad_digest_name, "a digest name with a space");
}

/* Random damage sealed again (what the fuzz target does at length): refused, or a CRL that
 * writes the very same bytes back and answers lookups. */
static void test_sealed_random(void **state)
{
	(void)state;
	srand(20261122);
	size_t loaded = 0;
	for (int i = 0; i < 20000; i++) {
		const one_crl *c = &g.crl[i % N_CRLS];
		uint8_t *b = malloc(c->idx_len);
		memcpy(b, c->idx, c->idx_len);
		for (int k = 0, n = 1 + rand() % 4; k < n; k++)
			b[(size_t)rand() % c->idx_len] ^= (uint8_t)(1 + rand() % 255);
		cf_crl_index_seal(b, c->idx_len);
		cf_crl *x = NULL;
		cf_err e = {0};
		cf_code rc = cf_crl_from_index("random", b, c->idx_len, &x, &e);
		assert_true(rc == CF_OK || rc == CF_E_INPUT);
		if (rc == CF_OK) {
			uint8_t *again = NULL, s[8] = {1, 2, 3, 4, 5, 6, 7, 8};
			size_t again_len = 0;
			assert_int_equal(cf_crl_to_index(x, &again, &again_len, &e), CF_OK);
			assert_int_equal(again_len, c->idx_len);
			assert_memory_equal(again, b, again_len);
			for (size_t n = 0; n <= sizeof(s); n++)
				cf_crl_revoked(x, s, n, NULL);
			free(again);
			cf_crl_free(x);
			loaded++;
		}
		free(b);
	}
	print_message("%zu of 20000 sealed random changes still read (times, names, signatures)\n", loaded);
}

/* ---- the store and the revocation source ------------------------------------------------------ */

struct fx {
	char dir[64], path[128];
	cf_store *st;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	cf_err e = {0};
	snprintf(f->dir, sizeof(f->dir), "/tmp/cf-test-crlstore-XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/store.db", f->dir);
	if (cf_store_open(f->path, true, &f->st, &e) != CF_OK) {
		fprintf(stderr, "cf_store_open: %s\n", e.message);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[160];
	cf_store_close(f->st);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	int rc = system(cmd);
	free(f);
	return rc == 0 ? 0 : -1;
}

/* Stores CRL `which` as a row with the given DER and index (either may be another's or damaged;
 * idx NULL: a row kept before schema 7). Returns its id. */
static int64_t put_row(struct fx *f, int which, const uint8_t *der, size_t der_len, const uint8_t *idx, size_t idx_len)
{
	cf_crl_info info;
	cf_err e = {0};
	cf_crl_info_get(g.crl[which].parsed, &info);
	cf_crlrow r = {.issuer = info.issuer,
		       .issuer_hash = info.issuer_hash,
		       .this_update = info.this_update,
		       .next_update = info.next_update,
		       .number = info.number,
		       .entries = (int64_t)info.entries,
		       .source = (char *)"manual",
		       .der = (uint8_t *)der,
		       .der_len = der_len,
		       .added = 1,
		       .idx = (uint8_t *)idx,
		       .idx_len = idx_len};
	assert_int_equal(cf_store_begin(f->st, &e), CF_OK);
	assert_int_equal(cf_store_crl_insert(f->st, &r, &e), CF_OK);
	assert_int_equal(cf_store_commit(f->st, &e), CF_OK);
	return r.id;
}

static void test_store_blobs(void **state)
{
	struct fx *f = *state;
	const one_crl *few = &g.crl[FEW], *empty = &g.crl[EMPTY];
	int64_t a = put_row(f, FEW, few->der, few->der_len, few->idx, few->idx_len);
	int64_t b = put_row(f, EMPTY, empty->der, empty->der_len, NULL, 0);
	cf_crlrow *v = NULL;
	size_t n = 0;
	cf_err e = {0};
	/* the facts only; DER only (true as callers used to pass); the index; the DER only where no index */
	static const unsigned with[] = {0, true, CF_CRLS_IDX, CF_CRLS_IDX | CF_CRLS_DER_NO_IDX,
					CF_CRLS_DER | CF_CRLS_IDX};
	for (size_t w = 0; w < sizeof(with) / sizeof(with[0]); w++) {
		assert_int_equal(cf_store_crls(f->st, NULL, with[w], &v, &n, &e), CF_OK);
		assert_int_equal(n, 2);
		for (size_t i = 0; i < n; i++) {
			bool is_a = v[i].id == a,
			     der = (with[w] & CF_CRLS_DER) || (!is_a && (with[w] & CF_CRLS_DER_NO_IDX));
			const one_crl *c = is_a ? few : empty;
			assert_true(is_a || v[i].id == b);
			assert_int_equal(v[i].der != NULL, der);
			if (der)
				assert_memory_equal(v[i].der, c->der, c->der_len);
			assert_int_equal(v[i].idx != NULL, is_a && (with[w] & CF_CRLS_IDX));
			if (v[i].idx != NULL) {
				assert_int_equal(v[i].idx_len, few->idx_len);
				assert_memory_equal(v[i].idx, few->idx, few->idx_len);
			}
		}
		cf_crlrows_free(v, n);
	}
	uint8_t *der = NULL;
	size_t len = 0;
	assert_int_equal(cf_store_crl_der(f->st, b, &der, &len, &e), CF_OK);
	assert_int_equal(len, empty->der_len);
	assert_memory_equal(der, empty->der, len);
	free(der);
	assert_int_equal(cf_store_crl_der(f->st, b + 100, &der, &len, &e), CF_E_NOTFOUND);
}

/* The revocation source over what the store holds: the answers of the FEW CRL, and how it was read. */
static void expect_few(struct fx *f, size_t indexed, size_t walked, size_t damaged)
{
	cf_crlset *s = NULL;
	cf_crlset_origin o;
	cf_crl_info info;
	cf_err e = {0};
	char msg[512];
	int64_t now = (int64_t)time(NULL);
	cf_crl_info_get(g.crl[FEW].parsed, &info);
	assert_int_equal(cf_crlset_load(f->st, NULL, &s, &e), CF_OK);
	cf_crlset_origin_get(s, &o);
	assert_int_equal(o.indexed, indexed);
	assert_int_equal(o.walked, walked);
	assert_int_equal(o.damaged, damaged);
	assert_int_equal(cf_crlset_lookup_facts(s, info.issuer, "0102030405060708", now), CF_REV_REVOKED);
	assert_int_equal(cf_crlset_lookup_facts(s, info.issuer, "0102030405060709", now), CF_REV_GOOD);
	/* the signature checked again with the issuer given (the index keeps what that needs) */
	assert_int_equal(cf_crlset_check(s, g.revoked_leaf, g.crl[FEW].ca, now, msg, sizeof(msg)), CF_REV_REVOKED);
	assert_int_equal(cf_crlset_check(s, g.good_leaf, g.crl[FEW].ca, now, msg, sizeof(msg)), CF_REV_GOOD);
	assert_int_equal(cf_crlset_check(s, g.good_leaf, g.crl[EMPTY].ca, now, msg, sizeof(msg)), CF_REV_UNKNOWN);
	cf_crlset_free(s);
}

static void test_crlset_from_index(void **state)
{
	struct fx *f = *state;
	static const uint8_t junk[] = "not a CRL";
	/* with a good index the DER is not walked at all: junk in its place does not matter */
	put_row(f, FEW, junk, sizeof(junk), g.crl[FEW].idx, g.crl[FEW].idx_len);
	expect_few(f, 1, 0, 0);
}

static void test_crlset_without_index(void **state)
{
	struct fx *f = *state;
	put_row(f, FEW, g.crl[FEW].der, g.crl[FEW].der_len, NULL, 0); /* as kept before schema 7 */
	expect_few(f, 0, 1, 0);
}

static void test_crlset_damaged_index(void **state)
{
	struct fx *f = *state;
	const one_crl *c = &g.crl[FEW];
	uint8_t *b = malloc(c->idx_len);
	memcpy(b, c->idx, c->idx_len);
	b[HEAD + 20] ^= 1; /* a serial's octet: only the checksum sees it */
	put_row(f, FEW, c->der, c->der_len, b, c->idx_len);
	expect_few(f, 0, 1, 1);
	/* an index that reads back but is another CRL's is not taken either */
	put_row(f, FEW, c->der, c->der_len, g.crl[EMPTY].idx, g.crl[EMPTY].idx_len);
	expect_few(f, 0, 2, 2);
	free(b);
}

static void test_import_keeps_index(void **state)
{
	struct fx *f = *state;
	cf_err e = {0};
	cf_outcome out = {0};
	cf_deployment_node_spec spec = {
		.fqdn = "ucm1.example.com", .cluster = "c", .product = "ucm", .publisher = true, .no_defaults = true};
	assert_int_equal(cf_deployment_cluster_add(f->st, "c", NULL, &e), CF_OK);
	assert_int_equal(cf_deployment_node_add(f->st, &spec, &out, &e), CF_OK);
	cf_outcome_free(&out);
	char *pem = cf_cert_pem(g.crl[FEW].ca);
	memset(&out, 0, sizeof(out));
	assert_int_equal(cf_trust_add(f->st, NULL, "ucm1.example.com", "tomcat-trust", "ca.pem", (const uint8_t *)pem,
				      strlen(pem), NULL, &out, &e),
			 CF_OK);
	cf_outcome_free(&out);
	free(pem);
	cf_revocation_crl_imported im;
	int64_t now = (int64_t)time(NULL);
	if (cf_revocation_crl_import(f->st, "crl.pem", g.crl[FEW].pem, g.crl[FEW].pem_len, "manual", now, &im, &e) !=
	    CF_OK)
		fail_msg("cf_revocation_crl_import: %s", e.message);
	assert_null(im.row.der);
	assert_null(im.row.idx);
	cf_crlrow_free(&im.row);
	cf_crlrow *v = NULL;
	size_t n = 0;
	assert_int_equal(cf_store_crls(f->st, NULL, CF_CRLS_IDX, &v, &n, &e), CF_OK);
	assert_int_equal(n, 1);
	assert_int_equal(v[0].idx_len, g.crl[FEW].idx_len); /* the index of the DER, PEM or not */
	assert_memory_equal(v[0].idx, g.crl[FEW].idx, v[0].idx_len);
	cf_crlrows_free(v, n);
	expect_few(f, 1, 0, 0);
}

/* ---- strict dates ---- */

/* Where the which-th time (UTCTime or GeneralizedTime, digits and a Z) of the DER starts its
 * contents, or -1: 0 is thisUpdate, 1 nextUpdate, then the revocation dates in order. */
static long time_at(const uint8_t *der, size_t len, int which)
{
	for (size_t i = 0; i + 2 < len; i++) {
		size_t n = der[i] == 0x17 ? 13 : der[i] == 0x18 ? 15 : 0;
		if (n == 0 || der[i + 1] != n || i + 2 + n > len || der[i + 1 + n] != 'Z')
			continue;
		bool digits = true;
		for (size_t k = 0; k + 1 < n; k++)
			digits = digits && der[i + 2 + k] >= '0' && der[i + 2 + k] <= '9';
		if (digits && which-- == 0)
			return (long)(i + 2);
	}
	return -1;
}

/* Whether the openssl command reads a bad time value in the CRL (its -text says so). */
static bool openssl_bad_time(const uint8_t *der, size_t len)
{
	char path[] = "/tmp/cf-test-crl-date-XXXXXX", cmd[256], line[512];
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, der, len), (ssize_t)len);
	close(fd);
	snprintf(cmd, sizeof(cmd), "openssl crl -inform DER -in '%s' -noout -text 2>&1", path);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	bool bad = false, read_any = false;
	while (fgets(line, sizeof(line), p) != NULL) {
		read_any = read_any || strstr(line, "Update:") != NULL;
		bad = bad || strstr(line, "Bad time value") != NULL;
	}
	pclose(p);
	unlink(path);
	assert_true(read_any); /* openssl printed the CRL */
	return bad;
}

/* The CRL der with its which-th time's contents replaced by value (of the same length). */
static uint8_t *patched(const uint8_t *der, size_t len, int which, const char *value)
{
	long at = time_at(der, len, which);
	assert_true(at > 0);
	assert_int_equal(der[at - 1], strlen(value));
	uint8_t *b = malloc(len);
	assert_non_null(b);
	memcpy(b, der, len);
	memcpy(b + at, value, strlen(value));
	return b;
}

/* Each bad date in each time field is refused by the parser (below the signature check: it is
 * the date, named in the error, that refuses), and the openssl command calls it a bad time value;
 * the good ones are read as the date they say. */
static void test_strict_dates(void **state)
{
	(void)state;
	static const struct {
		const char *value;
		int64_t want; /* 0: refused */
	} utc[] =
		{
			{"9a1231000000Z", 0}, /* a non-digit year, once taken for 1999 */
			{"270231000000Z", 0}, /* 31 February */
			{"270230000000Z", 0},
			{"270229000000Z", 0}, /* 2027 is no leap year */
			{"271131000000Z", 0}, /* 31 November */
			{"271231240000Z", 0}, /* hour 24 */
			{"271231236000Z", 0}, /* minute 60 */
			{"271231235960Z", 0}, /* second 60 */
			{"2712312359 0Z", 0},
			{"280229000000Z", INT64_C(1835395200)}, /* 2028-02-29: a leap year */
			{"000229120000Z", INT64_C(951825600)},	/* 2000-02-29: divisible by 400 */
		},
	  gen[] = {
		  {"2a511231000000Z", 0}, {"20510231000000Z", 0},
		  {"20510229000000Z", 0}, {"21000229000000Z", 0}, /* no leap */
		  {"20511231240000Z", 0}, {"20511231236000Z", 0},
		  {"20511231235960Z", 0}, {"20520229000000Z", INT64_C(2592777600)}, /* 2052-02-29 */
	  };
	static const char *const field[] = {"thisUpdate", "nextUpdate", "revocationDate"};
	for (int which = 0; which < 3; which++) {
		for (int generalized = 0; generalized < 2; generalized++) {
			if (generalized && which == 2)
				continue; /* openssl ca writes revocation dates as UTCTime only */
			const uint8_t *der = generalized ? g.gen_der : g.crl[FEW].der;
			size_t len = generalized ? g.gen_len : g.crl[FEW].der_len;
			size_t n = generalized ? sizeof(gen) / sizeof(gen[0]) : sizeof(utc) / sizeof(utc[0]);
			for (size_t i = 0; i < n; i++) {
				const char *value = generalized ? gen[i].value : utc[i].value;
				int64_t want = generalized ? gen[i].want : utc[i].want;
				uint8_t *b = patched(der, len, which, value);
				cf_crl *c = NULL;
				cf_err e = {0};
				cf_code rc = cf_crl_parse("patched", b, len, &c, &e);
				bool bad = openssl_bad_time(b, len);
				if (want == 0) {
					if (rc != CF_E_INPUT || strstr(e.message, "bad time value") == NULL ||
					    strstr(e.message, field[which]) == NULL)
						fail_msg("%s %s: not refused for its date (%d: %s)", field[which],
							 value, (int)rc, e.message);
					if (!bad)
						fail_msg("%s %s: the openssl command reads it", field[which], value);
				} else {
					if (rc != CF_OK)
						fail_msg("%s %s: refused: %s", field[which], value, e.message);
					if (bad)
						fail_msg("%s %s: the openssl command calls it bad", field[which],
							 value);
					cf_crl_info info;
					cf_crl_info_get(c, &info);
					int64_t got = 0;
					if (which == 0)
						got = info.this_update;
					else if (which == 1)
						got = info.next_update;
					else /* the entry that was patched, whichever it is */
						for (size_t k = 0; k < g.crl[FEW].n_serials && got != want; k++) {
							uint8_t sb[32];
							size_t sn = serial_bytes(g.crl[FEW].serials[k], sb);
							assert_true(cf_crl_revoked(c, sb, sn, &got));
						}
					assert_int_equal(got, want);
				}
				cf_crl_free(c);
				free(b);
			}
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip_few),
		cmocka_unit_test(test_roundtrip_empty),
		cmocka_unit_test(test_roundtrip_ed25519_delta),
		cmocka_unit_test(test_revokes_cert),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_bit_flips),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_sealed_damage),
		cmocka_unit_test(test_sealed_random),
		cmocka_unit_test_setup_teardown(test_store_blobs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crlset_from_index, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crlset_without_index, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crlset_damaged_index, setup, teardown),
		cmocka_unit_test_setup_teardown(test_import_keeps_index, setup, teardown),
		cmocka_unit_test(test_strict_dates),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
