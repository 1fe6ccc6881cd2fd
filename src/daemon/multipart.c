/* multipart/form-data bodies (see multipart.h). */
#include "daemon/multipart.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "util/text.h"

#define PART_HEADERS_MAX 8192

/* The boundary parameter of a multipart/form-data content type into out ("--" + boundary). */
static cf_code boundary_of(const char *type, char out[80], cf_err *e)
{
	const char *p;
	if (type == NULL || strncasecmp(type, "multipart/form-data", 19) != 0)
		return cf_err_set(e, CF_E_INPUT, "Content-Type", "expected multipart/form-data");
	for (p = type + 19; (p = strchr(p, ';')) != NULL;) {
		p += 1 + strspn(p + 1, " \t");
		if (strncasecmp(p, "boundary=", 9) == 0)
			break;
	}
	if (p == NULL)
		return cf_err_set(e, CF_E_INPUT, "Content-Type", "multipart/form-data without a boundary");
	p += 9;
	size_t len = *p == '"' ? strcspn(p + 1, "\"") : strcspn(p, "; \t");
	if (*p == '"' && p[1 + len] != '"')
		return cf_err_set(e, CF_E_INPUT, "Content-Type", "unterminated boundary");
	if (len == 0 || len > 70)
		return cf_err_set(e, CF_E_INPUT, "Content-Type", "a boundary has 1 to 70 characters");
	snprintf(out, 80, "--%.*s", (int)len, *p == '"' ? p + 1 : p);
	return CF_OK;
}

/* The value of parameter name (name="value") in a Content-Disposition header line of len bytes;
 * false when absent or too long. */
static bool disposition_param(const char *line, size_t len, const char *name, char *out, size_t outlen)
{
	size_t nlen = strlen(name);
	for (size_t i = 0; i + nlen + 2 < len; i++) {
		if ((i > 0 && line[i - 1] != ' ' && line[i - 1] != ';') || strncasecmp(line + i, name, nlen) != 0 ||
		    line[i + nlen] != '=' || line[i + nlen + 1] != '"')
			continue;
		const char *v = line + i + nlen + 2, *end = memchr(v, '"', len - (size_t)(v - line));
		if (end == NULL || (size_t)(end - v) >= outlen)
			return false;
		memcpy(out, v, (size_t)(end - v));
		out[end - v] = '\0';
		return cf_text_clean(out, (size_t)(end - v)); /* names end up in messages: one line */
	}
	return false;
}

/* Reads one part's headers (hdr, hlen bytes) into p: the form-data disposition and its name. */
static cf_code part_headers(const char *hdr, size_t hlen, cf_part *p, cf_err *e)
{
	bool named = false;
	for (size_t at = 0; at < hlen;) {
		const char *line = hdr + at, *eol = memmem(line, hlen - at, "\r\n", 2);
		size_t len = eol != NULL ? (size_t)(eol - line) : hlen - at;
		if (len > 20 && strncasecmp(line, "Content-Disposition:", 20) == 0) {
			const char *v = line + 20 + strspn(line + 20, " \t");
			if (strncasecmp(v, "form-data", 9) != 0)
				return cf_err_set(e, CF_E_INPUT, "upload", "a part that is not form-data");
			named = disposition_param(line, len, "name", p->name, sizeof(p->name));
			if (!disposition_param(line, len, "filename", p->filename, sizeof(p->filename)))
				p->filename[0] = '\0';
		}
		at += len + 2;
	}
	if (!named || p->name[0] == '\0')
		return cf_err_set(e, CF_E_INPUT, "upload", "a form part without a name");
	return CF_OK;
}

cf_code cf_multipart_parse(const char *content_type, const uint8_t *body, size_t len, cf_form *out, cf_err *e)
{
	char delim[80];
	cf_code rc = boundary_of(content_type, delim, e);
	if (rc != CF_OK)
		return rc;
	size_t dlen = strlen(delim);
	memset(out, 0, sizeof(*out));
	if (body == NULL || len < dlen)
		return cf_err_set(e, CF_E_INPUT, "upload", "the body does not contain the boundary");
	const uint8_t *end = body + len;
	/* the first delimiter opens the body (a preamble before it is allowed and ignored) */
	const uint8_t *p = len >= dlen && memcmp(body, delim, dlen) == 0 ? body : memmem(body, len, delim, dlen);
	if (p == NULL)
		return cf_err_set(e, CF_E_INPUT, "upload", "the body does not contain the boundary");
	char close[84];
	snprintf(close, sizeof(close), "\r\n%s", delim);
	for (p += dlen;;) {
		if (end - p >= 2 && memcmp(p, "--", 2) == 0)
			return out->n > 0 ? CF_OK : cf_err_set(e, CF_E_INPUT, "upload", "the form has no parts");
		if (end - p < 2 || memcmp(p, "\r\n", 2) != 0)
			return cf_err_set(e, CF_E_INPUT, "upload", "a boundary not followed by a line end");
		p += 2;
		if (out->n == CF_FORM_PARTS_MAX)
			return cf_err_set(e, CF_E_INPUT, "upload", "more than %d form parts", CF_FORM_PARTS_MAX);
		size_t room = (size_t)(end - p) < PART_HEADERS_MAX ? (size_t)(end - p) : PART_HEADERS_MAX;
		const uint8_t *hend = memmem(p, room, "\r\n\r\n", 4);
		if (hend == NULL)
			return cf_err_set(e, CF_E_INPUT, "upload", "a form part's headers are missing or too long");
		cf_part *part = &out->parts[out->n];
		if ((rc = part_headers((const char *)p, (size_t)(hend - p), part, e)) != CF_OK)
			return rc;
		if (cf_form_get(out, part->name) != NULL)
			return cf_err_set(e, CF_E_INPUT, part->name, "the form holds this part twice");
		part->data = hend + 4;
		const uint8_t *next = memmem(part->data, (size_t)(end - part->data), close, dlen + 2);
		if (next == NULL)
			return cf_err_set(e, CF_E_INPUT, part->name,
					  "the form part is truncated (no closing boundary)");
		part->len = (size_t)(next - part->data);
		out->n++;
		p = next + dlen + 2;
	}
}

const cf_part *cf_form_get(const cf_form *f, const char *name)
{
	for (size_t i = 0; i < f->n; i++)
		if (strcmp(f->parts[i].name, name) == 0)
			return &f->parts[i];
	return NULL;
}
