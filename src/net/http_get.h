/* Downloading a file over HTTP or HTTPS with libcurl (CRL distribution points). */
#ifndef CF_HTTP_GET_H
#define CF_HTTP_GET_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

/* GETs url (http:// or https:// only; at most 3 redirects, to http(s) only) into *out (len
 * bytes, caller frees), refusing more than max bytes, giving up after timeout seconds. A
 * failure or an HTTP status other than 200 is CF_E_REMOTE naming the URL and why. */
cf_code cf_http_get(const char *url, size_t max, long timeout, uint8_t **out, size_t *len, cf_err *e);

#endif
