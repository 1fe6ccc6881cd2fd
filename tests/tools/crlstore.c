/* crlstore: a CRL in a store and the revocation source loading it (src/core/revocation/revocation.h), for the
 * benchmark (bench/crl.sh): from the index kept beside the DER, against walking the DER. Apart from
 * crlcheck, which links only the crypto it measures.
 *
 *   crlstore put STORE CRLFILE [--no-index]  keeps the CRL (as DER) in the store STORE (made when
 *                                            absent) with its index, or without one as a row kept
 *                                            before schema 7; no issuer check and no size limit
 *   crlstore load STORE RUNS                 cf_crlset_load of every stored CRL, RUNS times in
 *                                            this process: the median time and how it read them
 *
 * Errors are one line on stderr, "crlstore: <what>: <why>", and the exit code is the error's code
 * (3 input rejected, 2 usage, 10 internal). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "core/revocation/revocation.h"
#include "crypto/crl.h"
#include "util/clock.h"
#include "util/fileio.h"

#define CRLSTORE_MAX (64u * 1024u * 1024u) /* the benchmark's CRL is over the upload limit */

static int die(const cf_err *e)
{
	fprintf(stderr, "crlstore: %s: %s\n", e->subject[0] ? e->subject : "error", e->message);
	return e->code ? (int)e->code : 10;
}

static int usage(void)
{
	fprintf(stderr, "usage: crlstore put STORE CRLFILE [--no-index]\n"
			"       crlstore load STORE RUNS\n");
	return 2;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmd_put(int argc, char **argv)
{
	if (argc < 2 || argc > 3 || (argc == 3 && strcmp(argv[2], "--no-index") != 0))
		return usage();
	uint8_t *buf = NULL, *der = NULL;
	size_t len = 0, der_len = 0;
	cf_crl *crl = NULL;
	cf_store *st = NULL;
	cf_crl_info info;
	cf_crlrow row = {0};
	cf_err e = {0};
	int ret = 0;
	if (cf_file_read(argv[1], CRLSTORE_MAX, &buf, &len, &e) != CF_OK ||
	    cf_crl_parse(argv[1], buf, len, &crl, &e) != CF_OK ||
	    cf_crl_to_der(argv[1], buf, len, &der, &der_len, &e) != CF_OK ||
	    cf_store_open(argv[0], true, &st, &e) != CF_OK) {
		ret = die(&e);
		goto out;
	}
	cf_crl_info_get(crl, &info);
	row = (cf_crlrow){.issuer = info.issuer,
			  .issuer_hash = info.issuer_hash,
			  .this_update = info.this_update,
			  .next_update = info.next_update,
			  .number = info.number,
			  .entries = (int64_t)info.entries,
			  .source = (char *)"crlstore",
			  .der = der,
			  .der_len = der_len,
			  .added = cf_clock_now()};
	if ((argc == 2 && cf_crl_to_index(crl, &row.idx, &row.idx_len, &e) != CF_OK) ||
	    cf_store_begin(st, &e) != CF_OK || cf_store_crl_insert(st, &row, &e) != CF_OK ||
	    cf_store_commit(st, &e) != CF_OK) {
		ret = die(&e);
		goto out;
	}
	printf("id=%lld entries=%zu index_bytes=%zu\n", (long long)row.id, info.entries, row.idx_len);
out:
	cf_store_rollback(st);
	cf_store_close(st);
	free(row.idx);
	cf_crl_free(crl);
	free(der);
	free(buf);
	return ret;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static int cmd_load(int argc, char **argv)
{
	if (argc != 2)
		return usage();
	int runs = atoi(argv[1]);
	if (runs < 1 || runs > 1000)
		return usage();
	cf_store *st = NULL;
	cf_err e = {0};
	double *t = calloc((size_t)runs, sizeof(*t));
	cf_crlset_origin o = {0};
	struct rusage ru;
	int ret = 0;
	if (t == NULL || cf_store_open(argv[0], false, &st, &e) != CF_OK) {
		ret = t == NULL ? 10 : die(&e);
		goto out;
	}
	for (int i = 0; i < runs; i++) {
		cf_crlset *set = NULL;
		double t0 = now_s();
		if (cf_crlset_load(st, NULL, &set, &e) != CF_OK) {
			ret = die(&e);
			goto out;
		}
		t[i] = now_s() - t0;
		cf_crlset_origin_get(set, &o);
		cf_crlset_free(set);
	}
	qsort(t, (size_t)runs, sizeof(*t), cmp_double);
	getrusage(RUSAGE_SELF, &ru);
	printf("load_s=%.4f min_s=%.4f max_s=%.4f runs=%d indexed=%zu walked=%zu damaged=%zu peak_rss_kb=%ld\n",
	       t[runs / 2], t[0], t[runs - 1], runs, o.indexed, o.walked, o.damaged, ru.ru_maxrss);
out:
	cf_store_close(st);
	free(t);
	return ret;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage();
	if (strcmp(argv[1], "put") == 0)
		return cmd_put(argc - 2, argv + 2);
	if (strcmp(argv[1], "load") == 0)
		return cmd_load(argc - 2, argv + 2);
	return usage();
}
