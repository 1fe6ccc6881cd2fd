/* crlcheck: the CRL module (src/crypto/crl.h) from the command line, for the oracle test
 * (tests/integration/test_crl.sh) and the benchmark (bench/crl.sh), before certfleet has a CRL
 * command of its own.
 *
 *   crlcheck load CRLFILE [ISSUER.pem]   what the CRL says about itself; with an issuer also
 *                                        "signature ok", or exit 3 when it does not verify
 *   crlcheck lookup [-t] CRLFILE         one hex serial a line on stdin -> "revoked" or "good"
 *                                        (-t: "revoked RFC3339-TIME")
 *   crlcheck certs CRLFILE CERT...       "CERT: revoked" or "CERT: good" (cf_crl_revokes)
 *   crlcheck bench CRLFILE ISSUER N      times read + parse + verify and N lookups of random
 *                                        serials, half of them on the list (DER CRL); and the
 *                                        index: written, read back, verified, same lookups
 *   crlcheck index CRLFILE OUT           writes the CRL's index (cf_crl_to_index) to OUT
 *
 * Errors are one line on stderr, "crlcheck: <what>: <why>", and the exit code is the error's
 * code (3 input rejected, 2 usage, 10 internal). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "crypto/crl.h"
#include "crypto/x509.h"
#include "util/clock.h"
#include "util/fileio.h"

/* A CRL file may be larger than a manual upload (CF_INPUT_MAX): the benchmark's is 16.8 MB. */
#define CRLCHECK_MAX (64u * 1024u * 1024u)

static int die(const cf_err *e)
{
	fprintf(stderr, "crlcheck: %s: %s\n", e->subject[0] ? e->subject : "error", e->message);
	return e->code ? (int)e->code : 10;
}

static int usage(void)
{
	fprintf(stderr, "usage: crlcheck load CRLFILE [ISSUER.pem]\n"
			"       crlcheck lookup [-t] CRLFILE < serials\n"
			"       crlcheck certs CRLFILE CERT...\n"
			"       crlcheck bench CRLFILE ISSUER N\n"
			"       crlcheck index CRLFILE OUT\n");
	return 2;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long peak_rss_kb(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

static cf_code load_crl(const char *path, uint8_t **buf, size_t *len, cf_crl **crl, cf_err *e)
{
	cf_code rc = cf_file_read(path, CRLCHECK_MAX, buf, len, e);
	if (rc != CF_OK)
		return rc;
	return cf_crl_parse(path, *buf, *len, crl, e);
}

static cf_code load_issuer(const char *path, cf_cert **out, cf_err *e)
{
	uint8_t *buf = NULL;
	size_t len = 0, n = 0;
	cf_cert **v = NULL;
	cf_code rc = cf_file_read(path, CF_BUNDLE_MAX, &buf, &len, e);
	if (rc == CF_OK)
		rc = cf_cert_parse_bundle(path, buf, len, &v, &n, e);
	free(buf);
	if (rc != CF_OK)
		return rc;
	*out = cf_cert_ref(v[0]);
	cf_certs_free(v, n);
	return CF_OK;
}

static void print_time(const char *label, int64_t t)
{
	char s[32];
	if (t == 0) {
		printf("%s: none\n", label);
		return;
	}
	cf_time_rfc3339(t, s);
	printf("%s: %s\n", label, s);
}

static int cmd_load(int argc, char **argv)
{
	if (argc < 1 || argc > 2)
		return usage();
	uint8_t *buf = NULL;
	size_t len = 0;
	cf_crl *crl = NULL;
	cf_cert *issuer = NULL;
	cf_err e = {0};
	int ret = 0;
	if (load_crl(argv[0], &buf, &len, &crl, &e) != CF_OK) {
		ret = die(&e);
		goto out;
	}
	cf_crl_info info;
	memset(&info, 0, sizeof(info));
	cf_crl_info_get(crl, &info);
	printf("issuer: %s\n", info.issuer);
	printf("issuer_hash: %s\n", info.issuer_hash);
	print_time("this_update", info.this_update);
	print_time("next_update", info.next_update);
	printf("number: %s\n", info.number[0] ? info.number : "none");
	printf("entries: %zu\n", info.entries);
	printf("delta: %s\n", info.delta ? "yes" : "no");
	if (argc == 2) {
		if (load_issuer(argv[1], &issuer, &e) != CF_OK) {
			ret = die(&e);
			goto out;
		}
		if (cf_crl_verify(crl, issuer, &e) != CF_OK) {
			fflush(stdout);
			ret = die(&e);
			goto out;
		}
		printf("signature ok\n");
	}
out:
	cf_cert_free(issuer);
	cf_crl_free(crl);
	free(buf);
	return ret;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* A hex serial (colons allowed, optional 0x) as the INTEGER's DER content octets of a positive
 * number: no superfluous leading zero octets, a 00 before a first octet with its top bit set.
 * Returns the length, 0 when the text is not a serial. */
static size_t serial_from_hex(const char *text, uint8_t *out, size_t cap)
{
	char digits[256];
	size_t nd = 0;
	const char *s = text;
	while (*s == ' ' || *s == '\t')
		s++;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	for (; *s && *s != '\n' && *s != '\r'; s++) {
		if (*s == ':')
			continue;
		if (*s == ' ' || *s == '\t')
			break;
		if (hexval((unsigned char)*s) < 0 || nd + 1 >= sizeof(digits))
			return 0;
		digits[nd++] = *s;
	}
	for (; *s; s++)
		if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
			return 0;
	if (nd == 0)
		return 0;
	uint8_t raw[128];
	size_t nr = 0, i = 0;
	if (nd % 2) {
		raw[nr++] = (uint8_t)hexval((unsigned char)digits[0]);
		i = 1;
	}
	for (; i < nd; i += 2)
		raw[nr++] = (uint8_t)(hexval((unsigned char)digits[i]) << 4 | hexval((unsigned char)digits[i + 1]));
	size_t skip = 0;
	while (skip + 1 < nr && raw[skip] == 0)
		skip++;
	size_t n = 0;
	if (raw[skip] & 0x80) {
		if (cap < 1)
			return 0;
		out[n++] = 0;
	}
	if (n + (nr - skip) > cap)
		return 0;
	memcpy(out + n, raw + skip, nr - skip);
	return n + (nr - skip);
}

static int cmd_lookup(int argc, char **argv)
{
	bool times = false;
	if (argc >= 1 && strcmp(argv[0], "-t") == 0) {
		times = true;
		argc--;
		argv++;
	}
	if (argc != 1)
		return usage();
	uint8_t *buf = NULL;
	size_t len = 0;
	cf_crl *crl = NULL;
	cf_err e = {0};
	int ret = 0;
	if (load_crl(argv[0], &buf, &len, &crl, &e) != CF_OK) {
		ret = die(&e);
		goto out;
	}
	char line[512];
	long lineno = 0;
	while (fgets(line, sizeof(line), stdin)) {
		lineno++;
		uint8_t serial[64];
		size_t n = serial_from_hex(line, serial, sizeof(serial));
		if (n == 0) {
			fflush(stdout);
			fprintf(stderr, "crlcheck: stdin line %ld: not a hex serial\n", lineno);
			ret = 3;
			goto out;
		}
		int64_t when = 0;
		if (cf_crl_revoked(crl, serial, n, &when)) {
			if (times) {
				char s[32];
				cf_time_rfc3339(when, s);
				printf("revoked %s\n", s);
			} else {
				printf("revoked\n");
			}
		} else {
			printf("good\n");
		}
	}
out:
	cf_crl_free(crl);
	free(buf);
	return ret;
}

static int cmd_certs(int argc, char **argv)
{
	if (argc < 2)
		return usage();
	uint8_t *buf = NULL;
	size_t len = 0;
	cf_crl *crl = NULL;
	cf_err e = {0};
	int ret = 0;
	if (load_crl(argv[0], &buf, &len, &crl, &e) != CF_OK) {
		ret = die(&e);
		goto out;
	}
	for (int i = 1; i < argc && ret == 0; i++) {
		cf_cert *c = NULL;
		if (load_issuer(argv[i], &c, &e) != CF_OK) {
			fflush(stdout);
			ret = die(&e);
			break;
		}
		printf("%s: %s\n", argv[i], cf_crl_revokes(crl, c, NULL) ? "revoked" : "good");
		cf_cert_free(c);
	}
out:
	cf_crl_free(crl);
	free(buf);
	return ret;
}

/* ---- bench ------------------------------------------------------------------------------ */

/* A minimal strict DER reader, independent of the module under test: it finds the revoked
 * serials so that the benchmark can look up serials that are on the list. */
static bool der_next(const uint8_t **p, const uint8_t *end, uint8_t *tag, const uint8_t **val, size_t *vlen)
{
	const uint8_t *q = *p;
	if (end - q < 2)
		return false;
	*tag = *q++;
	size_t l = *q++;
	if (l & 0x80) {
		size_t nb = l & 0x7f;
		if (nb == 0 || nb > 4 || (size_t)(end - q) < nb)
			return false;
		l = 0;
		while (nb--)
			l = l << 8 | *q++;
	}
	if ((size_t)(end - q) < l)
		return false;
	*val = q;
	*vlen = l;
	*p = q + l;
	return true;
}

typedef struct serial_ref {
	const uint8_t *p;
	size_t len;
} serial_ref;

/* The revoked serials of a DER CRL (pointers into der); -1 when the walk fails. */
static long der_crl_serials(const uint8_t *der, size_t len, serial_ref **out)
{
	const uint8_t *p = der, *end = der + len, *v, *tbs, *tend;
	size_t vl;
	uint8_t tag;
	*out = NULL;
	if (!der_next(&p, end, &tag, &v, &vl) || tag != 0x30)
		return -1;
	p = v;
	end = v + vl;
	if (!der_next(&p, end, &tag, &v, &vl) || tag != 0x30)
		return -1;
	tbs = v;
	tend = v + vl;
	p = tbs;
	if (!der_next(&p, tend, &tag, &v, &vl))
		return -1;
	if (tag == 0x02 && !der_next(&p, tend, &tag, &v, &vl)) /* version, then the algorithm */
		return -1;
	if (tag != 0x30 || !der_next(&p, tend, &tag, &v, &vl) || tag != 0x30) /* issuer */
		return -1;
	if (!der_next(&p, tend, &tag, &v, &vl) || (tag != 0x17 && tag != 0x18)) /* thisUpdate */
		return -1;
	if (p == tend)
		return 0;
	if (!der_next(&p, tend, &tag, &v, &vl))
		return -1;
	if (tag == 0x17 || tag == 0x18) {
		if (p == tend)
			return 0;
		if (!der_next(&p, tend, &tag, &v, &vl))
			return -1;
	}
	if (tag != 0x30)
		return 0; /* no revokedCertificates */
	const uint8_t *q = v, *qend = v + vl;
	size_t cap = 1024, n = 0;
	serial_ref *s = malloc(cap * sizeof(*s));
	if (!s)
		return -1;
	while (q < qend) {
		const uint8_t *ev, *sv, *ep;
		size_t el, sl;
		if (!der_next(&q, qend, &tag, &ev, &el) || tag != 0x30)
			goto bad;
		ep = ev;
		if (!der_next(&ep, ev + el, &tag, &sv, &sl) || tag != 0x02 || sl == 0)
			goto bad;
		if (n == cap) {
			serial_ref *t = realloc(s, 2 * cap * sizeof(*s));
			if (!t)
				goto bad;
			s = t;
			cap *= 2;
		}
		s[n++] = (serial_ref){sv, sl};
	}
	*out = s;
	return (long)n;
bad:
	free(s);
	return -1;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rng(void)
{
	uint64_t x = rng_state;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	rng_state = x;
	return x * 0x2545f4914f6cdd1dull;
}

typedef struct query {
	uint8_t len;
	uint8_t b[31];
} query;

#define POOL (1u << 20)

static int cmd_bench(int argc, char **argv)
{
	if (argc != 3)
		return usage();
	char *endp;
	unsigned long long nlook = strtoull(argv[2], &endp, 10);
	if (*endp || nlook == 0)
		return usage();
	uint8_t *buf = NULL, *idx = NULL;
	size_t len = 0, idx_len = 0;
	cf_crl *crl = NULL, *from_idx = NULL;
	cf_cert *issuer = NULL;
	serial_ref *listed = NULL;
	query *pool = NULL;
	cf_err e = {0};
	int ret = 0;

	if (load_issuer(argv[1], &issuer, &e) != CF_OK)
		return die(&e);
	double t0 = now_s();
	if (cf_file_read(argv[0], CRLCHECK_MAX, &buf, &len, &e) != CF_OK) {
		ret = die(&e);
		goto out;
	}
	double t1 = now_s();
	if (cf_crl_parse(argv[0], buf, len, &crl, &e) != CF_OK) {
		ret = die(&e);
		goto out;
	}
	double t2 = now_s();
	if (cf_crl_verify(crl, issuer, &e) != CF_OK) {
		ret = die(&e);
		goto out;
	}
	double t3 = now_s();
	long rss_load = peak_rss_kb();
	cf_crl_info info;
	memset(&info, 0, sizeof(info));
	cf_crl_info_get(crl, &info);
	printf("bytes=%zu entries=%zu\n", len, info.entries);
	printf("read_s=%.4f parse_s=%.4f verify_s=%.4f load_s=%.4f peak_rss_after_load_kb=%ld\n", t1 - t0, t2 - t1,
	       t3 - t2, t3 - t0, rss_load);

	/* the index: written, read back without the walk, its signature checked again */
	double ti0 = now_s();
	if (cf_crl_to_index(crl, &idx, &idx_len, &e) != CF_OK) {
		ret = die(&e);
		goto out;
	}
	double ti1 = now_s();
	if (cf_crl_from_index("index", idx, idx_len, &from_idx, &e) != CF_OK) {
		ret = die(&e);
		goto out;
	}
	double ti2 = now_s();
	if (cf_crl_verify(from_idx, issuer, &e) != CF_OK) {
		ret = die(&e);
		goto out;
	}
	double ti3 = now_s();
	printf("index_bytes=%zu index_write_s=%.4f index_read_s=%.4f index_verify_s=%.4f\n", idx_len, ti1 - ti0,
	       ti2 - ti1, ti3 - ti2);

	/* outside the timing: the listed serials, every one of them must be found */
	long nl = der_crl_serials(buf, len, &listed);
	if (nl < 0) {
		fprintf(stderr, "crlcheck: %s: the benchmark's own DER walk failed (bench needs a DER CRL)\n", argv[0]);
		ret = 3;
		goto out;
	}
	if ((size_t)nl != info.entries) {
		fprintf(stderr, "crlcheck: %s: the CRL lists %ld serials, cf_crl_info says %zu\n", argv[0], nl,
			info.entries);
		ret = 1;
	}
	size_t missing = 0, idx_missing = 0;
	double tc0 = now_s();
	for (long i = 0; i < nl; i++)
		if (!cf_crl_revoked(crl, listed[i].p, listed[i].len, NULL))
			missing++;
	double tc1 = now_s();
	for (long i = 0; i < nl; i++) {
		int64_t a = 0, b = 1;
		if (!cf_crl_revoked(from_idx, listed[i].p, listed[i].len, &a) ||
		    !cf_crl_revoked(crl, listed[i].p, listed[i].len, &b) || a != b)
			idx_missing++;
	}
	printf("listed=%ld listed_not_found=%zu check_s=%.4f index_listed_not_found=%zu\n", nl, missing, tc1 - tc0,
	       idx_missing);
	if (missing || idx_missing) {
		fprintf(stderr, "crlcheck: %s: %zu (index: %zu) of %ld listed serials not found\n", argv[0], missing,
			idx_missing, nl);
		ret = 1;
	}

	/* a pool of queries, half of them listed serials, half random serials of the same shape */
	pool = calloc(POOL, sizeof(*pool));
	if (!pool) {
		ret = 10;
		goto out;
	}
	size_t pool_listed = 0;
	for (size_t i = 0; i < POOL; i++) {
		query *q = &pool[i];
		if (nl > 0 && (rng() & 1)) {
			const serial_ref *s = &listed[rng() % (uint64_t)nl];
			q->len = (uint8_t)(s->len < sizeof(q->b) ? s->len : sizeof(q->b));
			memcpy(q->b, s->p, q->len);
			pool_listed++;
		} else {
			size_t l = nl > 0 ? listed[rng() % (uint64_t)nl].len : 16;
			q->len = (uint8_t)(l < sizeof(q->b) ? l : sizeof(q->b));
			for (size_t j = 0; j < q->len; j++)
				q->b[j] = (uint8_t)rng();
			q->b[0] &= 0x7f;
			if (q->b[0] == 0)
				q->b[0] = 1;
		}
	}
	/* hits expected over all N lookups: the pool is cycled */
	unsigned long long expect = 0, hits = 0;
	size_t pool_hits = 0;
	for (size_t i = 0; i < POOL; i++)
		pool_hits += cf_crl_revoked(crl, pool[i].b, pool[i].len, NULL);
	expect = (nlook / POOL) * pool_hits;
	for (size_t i = 0; i < nlook % POOL; i++)
		expect += cf_crl_revoked(crl, pool[i].b, pool[i].len, NULL);

	double tl0 = now_s();
	for (unsigned long long i = 0; i < nlook; i++) {
		const query *q = &pool[i & (POOL - 1)];
		hits += cf_crl_revoked(crl, q->b, q->len, NULL);
	}
	double tl1 = now_s();
	double ls = tl1 - tl0;
	printf("lookups=%llu hits=%llu pool=%u pool_listed=%zu pool_hits=%zu lookup_s=%.4f lookups_per_s=%.0f "
	       "ns_per_lookup=%.1f\n",
	       nlook, hits, POOL, pool_listed, pool_hits, ls, ls > 0 ? (double)nlook / ls : 0.0,
	       ls * 1e9 / (double)nlook);
	if (hits != expect || pool_hits < pool_listed) {
		fprintf(stderr, "crlcheck: lookups disagree: %llu hits, expected %llu; pool %zu hits of %zu listed\n",
			hits, expect, pool_hits, pool_listed);
		ret = 1;
	}
out:
	free(pool);
	free(listed);
	cf_cert_free(issuer);
	cf_crl_free(from_idx);
	free(idx);
	cf_crl_free(crl);
	free(buf);
	return ret;
}

/* ---- the index on its own ---------------------------------------------------------------------- */

static int cmd_index(int argc, char **argv)
{
	if (argc != 2)
		return usage();
	uint8_t *buf = NULL, *idx = NULL;
	size_t len = 0, idx_len = 0;
	cf_crl *crl = NULL;
	cf_err e = {0};
	cf_write_opts wo = {.mode = 0644, .uid = (uid_t)-1, .gid = (gid_t)-1};
	int ret = 0;
	if (load_crl(argv[0], &buf, &len, &crl, &e) != CF_OK || cf_crl_to_index(crl, &idx, &idx_len, &e) != CF_OK ||
	    cf_file_write_atomic(argv[1], idx, idx_len, &wo, &e) != CF_OK)
		ret = die(&e);
	free(idx);
	cf_crl_free(crl);
	free(buf);
	return ret;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage();
	if (strcmp(argv[1], "load") == 0)
		return cmd_load(argc - 2, argv + 2);
	if (strcmp(argv[1], "lookup") == 0)
		return cmd_lookup(argc - 2, argv + 2);
	if (strcmp(argv[1], "certs") == 0)
		return cmd_certs(argc - 2, argv + 2);
	if (strcmp(argv[1], "bench") == 0)
		return cmd_bench(argc - 2, argv + 2);
	if (strcmp(argv[1], "index") == 0)
		return cmd_index(argc - 2, argv + 2);
	return usage();
}
