/* Positions ordered by a text key: finding equal keys among many (a bundle of 100,000
 * certificates) by sorting once and comparing neighbours, or looking one up by binary search. */
#ifndef CF_KEYED_H
#define CF_KEYED_H

#include <stddef.h>

typedef struct cf_keyed {
	const char *key; /* borrowed */
	size_t at;	 /* the position it stands for */
} cf_keyed;

/* Sorts v[0..n) by key (strcmp), equal keys by position. */
void cf_keyed_sort(cf_keyed *v, size_t n);
/* The first entry of the sorted v[0..n) whose key is key, or n. */
size_t cf_keyed_first(const cf_keyed *v, size_t n, const char *key);

#endif
