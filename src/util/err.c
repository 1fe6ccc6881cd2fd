#include "util/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

cf_code cf_err_set(cf_err *e, cf_code code, const char *subject, const char *fmt, ...)
{
	if (e == NULL)
		return code;
	va_list ap;
	e->code = code;
	snprintf(e->subject, sizeof(e->subject), "%s", subject ? subject : "");
	va_start(ap, fmt);
	vsnprintf(e->message, sizeof(e->message), fmt, ap);
	va_end(ap);
	return code;
}

void cf_err_subject(cf_err *e, const char *subject)
{
	if (e != NULL)
		snprintf(e->subject, sizeof(e->subject), "%s", subject ? subject : "");
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
