/* A growable byte buffer, and JSON text written straight into it (for large listings, where
 * building a jansson tree per row costs more than the rest of the work). */
#ifndef CF_BUF_H
#define CF_BUF_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct cf_buf {
	char *p; /* NUL-terminated when len > 0 */
	size_t len, cap;
	int oom; /* set once an allocation failed; later appends do nothing */
} cf_buf;

/* Appends n bytes; the common case (room already there) is inline, as a page of certificates
 * appends thousands of short pieces. */
void cf_buf_add_grow(cf_buf *b, const char *s, size_t n);
static inline void cf_buf_add(cf_buf *b, const char *s, size_t n)
{
	if (b->len + n < b->cap) {
		memcpy(b->p + b->len, s, n);
		b->len += n;
		b->p[b->len] = '\0';
	} else
		cf_buf_add_grow(b, s, n);
}
/* Appends a string literal, its length known at compile time. */
#define cf_buf_addl(b, lit) cf_buf_add((b), "" lit, sizeof(lit) - 1)
void cf_buf_adds(cf_buf *b, const char *s);
/* Appends v in decimal. */
void cf_buf_add_int(cf_buf *b, int64_t v);
void cf_buf_addf(cf_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends s as a JSON string literal, escaped as jansson does with JSON_ENSURE_ASCII
 * (invalid UTF-8 becomes U+FFFD). */
void cf_buf_json_str(cf_buf *b, const char *s);
void cf_buf_reset(cf_buf *b);
void cf_buf_free(cf_buf *b);

#endif
