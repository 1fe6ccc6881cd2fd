/* Comparing facts in tests (factstest.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "factstest.h"

char *factstest_line(const cf_facts *f)
{
	char *s = NULL;
	size_t n = 0;
	FILE *o = open_memstream(&s, &n);
	fprintf(o, "%s|%s|%s|%s|%lld|%lld|%s|%s|%d|%d|%s|%s|%d%d%d%d%d%d|%d|%u|%u", f->subject, f->issuer, f->cn,
		f->serial, (long long)f->not_before, (long long)f->not_after, f->sha256, f->spki_sha256,
		(int)f->key_type, f->key_bits, f->curve, f->sig_hash, f->self_signed, f->ca, f->has_basic_constraints,
		f->has_pathlen, f->has_ku, f->has_eku, f->pathlen, f->ku, f->eku);
	const cf_strv *lists[] = {&f->eku_other, &f->san, &f->ocsp, &f->crl_dp, &f->unsupported_oids};
	for (size_t k = 0; k < sizeof(lists) / sizeof(lists[0]); k++) {
		fputc('|', o);
		for (size_t i = 0; i < lists[k]->n; i++)
			fprintf(o, "%s;", lists[k]->v[i]);
	}
	fclose(o);
	return s;
}

char *factstest_diff(const cf_facts *a, const cf_facts *b)
{
	char *la = factstest_line(a), *lb = factstest_line(b), *out = NULL;
	if (strcmp(la, lb) != 0) {
		size_t n = strlen(la) + strlen(lb) + 32;
		if ((out = malloc(n)) != NULL)
			snprintf(out, n, "facts differ\n  %s\n  %s", la, lb);
	}
	free(la);
	free(lb);
	return out;
}
