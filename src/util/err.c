#include "util/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "util/text.h"

/* Subjects and messages are printed as one line (CLI, API, log, audit): a file name or a
 * certificate's name with a newline, a terminal escape or bytes that are not UTF-8 is kept in
 * them escaped (cf_text_escape). */
static void one_line(char *dst, size_t size, const char *src)
{
	char copy[sizeof(((cf_err *)0)->message)]; /* src may be dst itself */
	snprintf(copy, sizeof(copy), "%s", src);
	cf_text_escape(copy, strlen(copy), dst, size);
}

cf_code cf_err_set(cf_err *e, cf_code code, const char *subject, const char *fmt, ...)
{
	if (e == NULL)
		return code;
	va_list ap;
	char message[sizeof(e->message)];
	e->code = code;
	e->reason = NULL;
	e->retry_after = 0;
	one_line(e->subject, sizeof(e->subject), subject ? subject : "");
	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	cf_text_escape(message, strlen(message), e->message, sizeof(e->message));
	return code;
}

cf_code cf_err_retry_after(cf_err *e, int64_t seconds)
{
	if (e == NULL)
		return CF_OK;
	e->retry_after = seconds < 1 ? 1 : seconds > 86400 ? 86400 : (int)seconds;
	return e->code;
}

cf_code cf_err_reason(cf_err *e, const char *reason)
{
	if (e == NULL)
		return CF_OK;
	e->reason = reason;
	return e->code;
}

void cf_err_subject(cf_err *e, const char *subject)
{
	if (e != NULL)
		one_line(e->subject, sizeof(e->subject), subject ? subject : "");
}

void cf_err_clear(cf_err *e)
{
	if (e != NULL)
		memset(e, 0, sizeof(*e));
}

const char *cf_code_str(cf_code code)
{
	switch (code) {
	case CF_OK: return "success";
	case CF_E_USAGE: return "usage error";
	case CF_E_INPUT: return "input rejected";
	case CF_E_NOTFOUND: return "not found";
	case CF_E_STATE: return "wrong state";
	case CF_E_REMOTE: return "remote failure";
	case CF_E_FINDINGS: return "errors found";
	case CF_E_INTERNAL: return "internal error";
	}
	return "unknown error";
}
