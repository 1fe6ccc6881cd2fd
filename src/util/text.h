/* Checks on text that comes from outside (request paths, parameters, form fields) before it is
 * used in messages, log lines and audit rows. */
#ifndef CF_TEXT_H
#define CF_TEXT_H

#include <stdbool.h>
#include <stddef.h>

/* Whether the len bytes at s are well-formed UTF-8 (no overlong forms, surrogates or code points
 * past U+10FFFF) without control characters (C0, DEL): text that is safe on one line. */
bool cf_text_clean(const char *s, size_t len);
/* Makes s one line in place: every control character (C0, DEL) becomes '?'. */
void cf_text_one_line(char *s);

#endif
