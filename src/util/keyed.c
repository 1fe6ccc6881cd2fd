#include "util/keyed.h"

#include <stdlib.h>
#include <string.h>

static int keyed_cmp(const void *a, const void *b)
{
	const cf_keyed *x = a, *y = b;
	int c = strcmp(x->key, y->key);
	return c != 0 ? c : (x->at > y->at) - (x->at < y->at);
}

void cf_keyed_sort(cf_keyed *v, size_t n)
{
	if (n > 1)
		qsort(v, n, sizeof(*v), keyed_cmp);
}

size_t cf_keyed_first(const cf_keyed *v, size_t n, const char *key)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(v[mid].key, key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && strcmp(v[lo].key, key) == 0 ? lo : n;
}
