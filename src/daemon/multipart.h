/* multipart/form-data (RFC 7578) request bodies, as a browser's upload form sends them: the
 * parts' names, file names and contents, pointing into the body. */
#ifndef CF_MULTIPART_H
#define CF_MULTIPART_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define CF_FORM_PARTS_MAX 16

typedef struct cf_part {
	char name[64];
	char filename[256]; /* "" when the part is not a file */
	const uint8_t *data;
	size_t len;
} cf_part;

typedef struct cf_form {
	cf_part parts[CF_FORM_PARTS_MAX];
	size_t n;
} cf_form;

/* Parses body by the boundary of content_type ("multipart/form-data; boundary=..."). Parts
 * borrow from body. A malformed body (no or bad boundary, a part without a name, a name twice,
 * a truncated part, too many parts) is CF_E_INPUT with a one-line reason. */
cf_code cf_multipart_parse(const char *content_type, const uint8_t *body, size_t len, cf_form *out, cf_err *e);
/* The part with this name, or NULL. */
const cf_part *cf_form_get(const cf_form *f, const char *name);

#endif
