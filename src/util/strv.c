#include "util/strv.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int push_owned(cf_strv *sv, char *s)
{
	if (s == NULL)
		return -1;
	if (sv->n + 2 > sv->cap) {
		size_t cap = sv->cap ? sv->cap * 2 : 8;
		char **v = realloc(sv->v, cap * sizeof(*v));
		if (v == NULL) {
			free(s);
			return -1;
		}
		sv->v = v;
		sv->cap = cap;
	}
	sv->v[sv->n++] = s;
	sv->v[sv->n] = NULL;
	return 0;
}

int cf_strv_push(cf_strv *sv, const char *s)
{
	return push_owned(sv, strdup(s));
}

int cf_strv_push_unique(cf_strv *sv, const char *s)
{
	return cf_strv_contains(sv, s) ? 0 : cf_strv_push(sv, s);
}

int cf_strv_pushf(cf_strv *sv, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	va_start(ap, fmt);
	int r = vasprintf(&s, fmt, ap);
	va_end(ap);
	return r < 0 ? -1 : push_owned(sv, s);
}

bool cf_strv_contains(const cf_strv *sv, const char *s)
{
	for (size_t i = 0; i < sv->n; i++)
		if (strcmp(sv->v[i], s) == 0)
			return true;
	return false;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void cf_strv_sort_unique(cf_strv *sv)
{
	if (sv->n < 2)
		return;
	qsort(sv->v, sv->n, sizeof(char *), cmp_str);
	size_t out = 1;
	for (size_t i = 1; i < sv->n; i++) {
		if (strcmp(sv->v[i], sv->v[out - 1]) == 0)
			free(sv->v[i]);
		else
			sv->v[out++] = sv->v[i];
	}
	sv->n = out;
	sv->v[out] = NULL;
}

int cf_strv_split(cf_strv *sv, const char *text, const char *seps)
{
	const char *p = text;
	while (*p) {
		size_t len = strcspn(p, seps);
		const char *b = p, *e = p + len;
		while (b < e && (*b == ' ' || *b == '\t' || *b == '\r' || *b == '\n'))
			b++;
		while (e > b && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n'))
			e--;
		if (e > b && push_owned(sv, strndup(b, (size_t)(e - b))) != 0)
			return -1;
		p += len;
		if (*p)
			p++;
	}
	return 0;
}

char *cf_strv_join(const cf_strv *sv, const char *sep)
{
	size_t len = 1, seplen = strlen(sep);
	for (size_t i = 0; i < sv->n; i++)
		len += strlen(sv->v[i]) + seplen;
	char *out = malloc(len), *p = out;
	if (out == NULL)
		return NULL;
	*p = '\0';
	for (size_t i = 0; i < sv->n; i++) {
		if (i > 0) {
			memcpy(p, sep, seplen);
			p += seplen;
		}
		size_t l = strlen(sv->v[i]);
		memcpy(p, sv->v[i], l);
		p += l;
	}
	*p = '\0';
	return out;
}

void cf_strv_clear(cf_strv *sv)
{
	if (sv == NULL)
		return;
	for (size_t i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	sv->v = NULL;
	sv->n = sv->cap = 0;
}
