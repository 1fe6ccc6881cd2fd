/* Comparing facts in tests: every field as one line, so two facts that differ show where (the
 * unit tests compare the lines; the fuzz targets abort when they differ). */
#ifndef CF_FACTSTEST_H
#define CF_FACTSTEST_H

#include "crypto/x509.h"

/* Every field of f as one line (malloc'd). */
char *factstest_line(const cf_facts *f);
/* NULL when a and b are the same in every field; else both lines (malloc'd), to show. */
char *factstest_diff(const cf_facts *a, const cf_facts *b);

#endif
