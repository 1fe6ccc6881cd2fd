/* gen_certs N OUT.pem: writes N CA certificates ("Bench CA 000001" ...) as one PEM bundle, for
 * the import benchmark (bench/import.sh). Every certificate carries basicConstraints CA:TRUE
 * and keyCertSign + cRLSign, is issued by one generated root ("Bench Root CA", not written to the
 * bundle) and reuses one EC P-256 subject key, so generating 100,000 costs one EC signature
 * each. Every 100th certificate (numbers 100, 200, ...) is valid for 20 days only, so
 * `cert list --expiring 30` finds N/100 of them; the others are valid for 10 years.
 * Built on the crypto facade only; no OpenSSL header here. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crypto/x509.h"
#include "util/clock.h"

static int fail(const cf_err *e)
{
	fprintf(stderr, "gen_certs: %s: %s\n", e->subject, e->message);
	return 1;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: gen_certs N OUT.pem\n");
		return 2;
	}
	char *end = NULL;
	errno = 0;
	long n = strtol(argv[1], &end, 10);
	if (errno != 0 || end == argv[1] || *end != '\0' || n < 1 || n > 999999) {
		fprintf(stderr, "gen_certs: N must be 1 to 999999, not \"%s\"\n", argv[1]);
		return 2;
	}

	cf_err e = {0};
	cf_keyspec spec = {0};
	cf_key *root_key = NULL, *subject_key = NULL;
	cf_cert *root = NULL;
	if (cf_keyspec_parse("ec:prime256v1", &spec, &e) != CF_OK || cf_key_generate(&spec, &root_key, &e) != CF_OK ||
	    cf_key_generate(&spec, &subject_key, &e) != CF_OK)
		return fail(&e);

	int64_t now = cf_clock_now(), not_before = now - 86400;
	cf_reqspec root_spec = {.dn = {.o = "certfleet bench", .cn = "Bench Root CA"},
				.ku = CF_KU_KEY_CERT_SIGN | CF_KU_CRL_SIGN,
				.ca = true};
	if (cf_cert_self_signed(&root_spec, root_key, not_before, 3650 * 2, &root, &e) != CF_OK)
		return fail(&e);

	/* write to a temporary name and rename, so an interrupted run leaves no half bundle */
	size_t plen = strlen(argv[2]) + 8;
	char *tmp = malloc(plen);
	if (tmp == NULL)
		return 1;
	snprintf(tmp, plen, "%s.part", argv[2]);
	FILE *out = fopen(tmp, "w");
	if (out == NULL) {
		fprintf(stderr, "gen_certs: %s: %s\n", tmp, strerror(errno));
		return 1;
	}
	static char outbuf[1 << 20];
	setvbuf(out, outbuf, _IOFBF, sizeof(outbuf));

	for (long i = 1; i <= n; i++) {
		char cn[32];
		snprintf(cn, sizeof(cn), "Bench CA %06ld", i);
		cf_reqspec rs = {.dn = {.o = "certfleet bench", .cn = cn},
				 .ku = CF_KU_KEY_CERT_SIGN | CF_KU_CRL_SIGN,
				 .ca = true};
		cf_cert *c = NULL;
		int days = i % 100 == 0 ? 20 : 3650;
		if (cf_cert_issue(&rs, subject_key, root, root_key, not_before, days, &c, &e) != CF_OK)
			return fail(&e);
		char *pem = cf_cert_pem(c);
		if (pem == NULL || fputs(pem, out) == EOF) {
			fprintf(stderr, "gen_certs: %s: cannot write certificate %ld\n", tmp, i);
			return 1;
		}
		free(pem);
		cf_cert_free(c);
	}
	if (fclose(out) != 0 || rename(tmp, argv[2]) != 0) {
		fprintf(stderr, "gen_certs: %s: %s\n", argv[2], strerror(errno));
		unlink(tmp);
		return 1;
	}
	free(tmp);
	cf_cert_free(root);
	cf_key_free(root_key);
	cf_key_free(subject_key);
	return 0;
}
