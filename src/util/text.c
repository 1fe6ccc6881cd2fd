#include "util/text.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Whether s is well-formed UTF-8; controls: C0, DEL and C1 control characters are allowed. */
static bool utf8_scan(const char *s, size_t len, bool controls)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;
	while (p < end) {
		unsigned c = *p;
		if (c < 0x80) {
			if (!controls && (c < 0x20 || c == 0x7f))
				return false;
			p++;
			continue;
		}
		/* the lead byte gives the length and the smallest code point it may encode */
		size_t n = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
		if (n == 0 || (size_t)(end - p) < n)
			return false;
		uint32_t cp = c & (n == 2 ? 0x1f : n == 3 ? 0x0f : 0x07);
		for (size_t i = 1; i < n; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (p[i] & 0x3f);
		}
		if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || (!controls && cp >= 0x80 && cp < 0xa0))
			return false; /* overlong, out of range, surrogate, C1 control */
		p += n;
	}
	return true;
}

bool cf_text_clean(const char *s, size_t len)
{
	return utf8_scan(s, len, false);
}

bool cf_text_utf8(const char *s, size_t len)
{
	return utf8_scan(s, len, true);
}

char *cf_text_utf8_fixed(const char *s)
{
	static const char hex[] = "0123456789abcdef";
	size_t len = strlen(s);
	char *out = malloc(len * 4 + 1), *o = out;
	if (out == NULL)
		return NULL;
	for (const char *p = s; *p != '\0';) {
		/* the well-formed character here, 1 to 4 bytes (the first length that scans) */
		size_t n = 0;
		for (size_t k = 1; k <= 4 && p[k - 1] != '\0'; k++)
			if (utf8_scan(p, k, true)) {
				n = k;
				break;
			}
		if (n > 0) {
			memcpy(o, p, n);
			o += n;
			p += n;
		} else {
			unsigned char c = (unsigned char)*p++;
			*o++ = '\\';
			*o++ = 'x';
			*o++ = hex[c >> 4];
			*o++ = hex[c & 0x0f];
		}
	}
	*o = '\0';
	return out;
}

void cf_text_one_line(char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
}

/* The length of the well-formed UTF-8 character at p (end bounds it) that is not a control
 * character, or 0. */
static size_t printable_char(const unsigned char *p, const unsigned char *end)
{
	if (*p < 0x80)
		return *p >= 0x20 && *p != 0x7f;
	size_t n = *p >= 0xc2 && *p <= 0xdf ? 2 : *p >= 0xe0 && *p <= 0xef ? 3 : *p >= 0xf0 && *p <= 0xf4 ? 4 : 0;
	return n != 0 && (size_t)(end - p) >= n && cf_text_clean((const char *)p, n) ? n : 0;
}

char *cf_text_escape(const char *s, size_t len, char *out, size_t size)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s, *end = p + len;
	size_t o = 0;
	if (size == 0)
		return out;
	while (p < end) {
		size_t n = printable_char(p, end);
		if (n > 0) {
			if (o + n >= size)
				break;
			memcpy(out + o, p, n);
			o += n;
			p += n;
		} else {
			if (o + 4 >= size)
				break;
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[*p >> 4];
			out[o++] = hex[*p & 0x0f];
			p++;
		}
	}
	out[o] = '\0';
	return out;
}

char *cf_text_escaped(const char *s, size_t len)
{
	size_t size = len * 4 + 1; /* every byte escaped */
	char *out = malloc(size);
	return out != NULL ? cf_text_escape(s, len, out, size) : NULL;
}
