/* ZIP and GZIP archives read from memory (libarchive, confined here): each file's content handed
 * to a callback, within limits on the number of files and the bytes they unpack to. */
#ifndef CF_UNPACK_H
#define CF_UNPACK_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

/* Whether buf starts as a ZIP or a GZIP stream does. */
int cf_unpack_is_archive(const uint8_t *buf, size_t len);

/* Calls each(ctx, data, len) for every non-empty file of the archive in buf (a ZIP, or a lone
 * GZIP'ed file), in order, stopping at its first error. CF_E_INPUT naming name when the archive
 * cannot be read or is damaged, holds more than max_files files, or unpacks to more than
 * max_bytes bytes in all. */
cf_code cf_unpack_each(const char *name, const uint8_t *buf, size_t len, size_t max_files, size_t max_bytes,
		       cf_code (*each)(void *ctx, const uint8_t *data, size_t len, cf_err *e), void *ctx, cf_err *e);

#endif
