#include "util/buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int grow(cf_buf *b, size_t more)
{
	if (b->oom)
		return -1;
	if (b->len + more + 1 <= b->cap)
		return 0;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < b->len + more + 1)
		cap *= 2;
	char *p = realloc(b->p, cap);
	if (p == NULL) {
		b->oom = 1;
		b->cap = b->len; /* no room left: the inline append in buf.h takes this path too */
		return -1;
	}
	b->p = p;
	b->cap = cap;
	return 0;
}

void cf_buf_add_grow(cf_buf *b, const char *s, size_t n)
{
	if (grow(b, n) != 0)
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void cf_buf_adds(cf_buf *b, const char *s)
{
	cf_buf_add(b, s, strlen(s));
}

void cf_buf_add_int(cf_buf *b, int64_t v)
{
	char tmp[24], *p = tmp + sizeof(tmp);
	uint64_t u = v < 0 ? -(uint64_t)v : (uint64_t)v;
	do
		*--p = (char)('0' + u % 10);
	while ((u /= 10) != 0);
	if (v < 0)
		*--p = '-';
	cf_buf_add(b, p, (size_t)(tmp + sizeof(tmp) - p));
}

void cf_buf_addf(cf_buf *b, const char *fmt, ...)
{
	char small[256];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof(small)) {
		cf_buf_add(b, small, (size_t)n);
		return;
	}
	if (grow(b, (size_t)n) != 0)
		return;
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

/* Decodes one UTF-8 sequence at s; returns its length (0 when invalid) and the code point. */
static size_t utf8_next(const unsigned char *s, uint32_t *cp)
{
	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	size_t n = (s[0] & 0xe0) == 0xc0 ? 2 : (s[0] & 0xf0) == 0xe0 ? 3 : (s[0] & 0xf8) == 0xf0 ? 4 : 0;
	if (n == 0)
		return 0;
	uint32_t v = s[0] & (0x7f >> n);
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		v = (v << 6) | (s[i] & 0x3f);
	}
	static const uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
	if (v < min[n] || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return n;
}

/* Whether c goes into a JSON string as it is (printable ASCII other than the quote and backslash). */
static inline int json_plain(unsigned char c)
{
	return c >= 0x20 && c < 0x80 && c != '"' && c != '\\';
}

void cf_buf_json_str(cf_buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t plain = 0;
	while (json_plain(p[plain]))
		plain++;
	if (p[plain] == '\0') { /* nothing to escape (nearly every string): quotes and all at once */
		if (grow(b, plain + 2) != 0)
			return;
		char *o = b->p + b->len;
		o[0] = '"';
		memcpy(o + 1, s, plain);
		o[plain + 1] = '"';
		o[plain + 2] = '\0';
		b->len += plain + 2;
		return;
	}
	cf_buf_add(b, "\"", 1);
	while (*p) {
		const unsigned char *run = p;
		while (json_plain(*p))
			p++;
		if (p > run)
			cf_buf_add(b, (const char *)run, (size_t)(p - run));
		if (*p == '\0')
			break;
		uint32_t cp = 0;
		size_t n = utf8_next(p, &cp);
		if (n == 0) {
			cp = 0xfffd;
			n = 1;
		}
		p += n;
		switch (cp) {
		case '"': cf_buf_add(b, "\\\"", 2); break;
		case '\\': cf_buf_add(b, "\\\\", 2); break;
		case '\b': cf_buf_add(b, "\\b", 2); break;
		case '\f': cf_buf_add(b, "\\f", 2); break;
		case '\n': cf_buf_add(b, "\\n", 2); break;
		case '\r': cf_buf_add(b, "\\r", 2); break;
		case '\t': cf_buf_add(b, "\\t", 2); break;
		default:
			if (cp < 0x10000) {
				cf_buf_addf(b, "\\u%04X", (unsigned)cp);
			} else {
				cp -= 0x10000;
				cf_buf_addf(b, "\\u%04X\\u%04X", (unsigned)(0xd800 | (cp >> 10)),
					    (unsigned)(0xdc00 | (cp & 0x3ff)));
			}
		}
	}
	cf_buf_add(b, "\"", 1);
}

void cf_buf_reset(cf_buf *b)
{
	b->len = 0;
	if (b->p != NULL)
		b->p[0] = '\0';
}

void cf_buf_free(cf_buf *b)
{
	if (b == NULL)
		return;
	free(b->p);
	memset(b, 0, sizeof(*b));
}
