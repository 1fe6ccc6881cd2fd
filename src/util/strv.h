/* A growable, owned array of C strings (NULL-terminated as well, for convenience). */
#ifndef CF_STRV_H
#define CF_STRV_H

#include <stdbool.h>
#include <stddef.h>

typedef struct cf_strv {
	char **v; /* v[n] == NULL when n > 0 */
	size_t n;
	size_t cap;
} cf_strv;

/* Appends a copy of s. Returns 0, or -1 when out of memory. */
int cf_strv_push(cf_strv *sv, const char *s);
/* Appends a copy of s unless an equal string is present. */
int cf_strv_push_unique(cf_strv *sv, const char *s);
/* Appends printf-formatted text. */
int cf_strv_pushf(cf_strv *sv, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
bool cf_strv_contains(const cf_strv *sv, const char *s);
/* Sorts in strcmp order and removes duplicates. */
void cf_strv_sort_unique(cf_strv *sv);
/* Splits text at any of the separator characters, trimming blanks and dropping empty items. */
int cf_strv_split(cf_strv *sv, const char *text, const char *seps);
/* Joins with sep into a new string (caller frees); "" for an empty list. */
char *cf_strv_join(const cf_strv *sv, const char *sep);
/* Frees the strings and the array; leaves an empty, reusable list. NULL-safe. */
void cf_strv_clear(cf_strv *sv);

#endif
