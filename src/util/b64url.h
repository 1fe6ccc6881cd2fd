/* base64url without padding (RFC 4648 §5, as JOSE and ACME use it, RFC 7515 §2). */
#ifndef CF_B64URL_H
#define CF_B64URL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* n bytes at p as base64url text, NUL-terminated (malloc'd); NULL when out of memory. */
char *cf_b64url_encode(const void *p, size_t n);
/* Decodes len characters of text: only the base64url alphabet, no padding, no whitespace, and no
 * bits set past the last whole byte (so every byte string has exactly one encoding). *out
 * (malloc'd, *n bytes; a zero-length result is a 1-byte block) only when it returns true. */
bool cf_b64url_decode(const char *text, size_t len, uint8_t **out, size_t *n);

#endif
