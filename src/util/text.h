/* Checks on text that comes from outside (request paths, parameters, form fields) before it is
 * used in messages, log lines and audit rows. */
#ifndef CF_TEXT_H
#define CF_TEXT_H

#include <stdbool.h>
#include <stddef.h>

/* Whether the len bytes at s are well-formed UTF-8 (no overlong forms, surrogates or code points
 * past U+10FFFF) without control characters (C0, DEL): text that is safe on one line. */
bool cf_text_clean(const char *s, size_t len);
/* Whether the len bytes at s are well-formed UTF-8 (control characters allowed): text a
 * PostgreSQL store takes. */
bool cf_text_utf8(const char *s, size_t len);
/* A copy of s in which every byte that is not part of a well-formed UTF-8 character is written as
 * \xHH (lower-case hex); NULL when out of memory. */
char *cf_text_utf8_fixed(const char *s);
/* Makes s one line in place: every control character (C0, DEL) becomes '?'. */
void cf_text_one_line(char *s);
/* The len bytes at s (NULs included) as one line of text for a terminal or a log, into out (size
 * bytes, always NUL-terminated): control characters (C0, DEL, and C1 as UTF-8) and bytes that
 * are not well-formed UTF-8 become \xHH (lower-case hex), everything else is copied. Stops before
 * the first character or escape that does not fit. Returns out. */
char *cf_text_escape(const char *s, size_t len, char *out, size_t size);
/* The same into a new string (caller frees); NULL when out of memory. */
char *cf_text_escaped(const char *s, size_t len);

#endif
