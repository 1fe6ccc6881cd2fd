/* Growing arrays by doubling. */
#ifndef CF_GROW_H
#define CF_GROW_H

#include <stdlib.h>

/* Makes room for element n in the array *vp of *cap elements of size elem, doubling (first
 * allocation: 8). Returns 0, or -1 when out of memory (the array is unchanged). */
static inline int cf_grow(void *vp, size_t *cap, size_t n, size_t elem)
{
	void **v = vp;
	if (n < *cap)
		return 0;
	size_t ncap = *cap ? *cap * 2 : 8;
	void *p = realloc(*v, ncap * elem);
	if (p == NULL)
		return -1;
	*v = p;
	*cap = ncap;
	return 0;
}

#endif
