/* ZIP and GZIP archives read from memory (see unpack.h). */
#include "util/unpack.h"

#include <archive.h>
#include <archive_entry.h>
#include <stdlib.h>
#include <string.h>

int cf_unpack_is_archive(const uint8_t *buf, size_t len)
{
	return (len >= 4 && memcmp(buf, "PK\x03\x04", 4) == 0) || (len >= 2 && buf[0] == 0x1f && buf[1] == 0x8b);
}

cf_code cf_unpack_each(const char *name, const uint8_t *buf, size_t len, size_t max_files, size_t max_bytes,
		       cf_code (*each)(void *ctx, const uint8_t *data, size_t len, cf_err *e), void *ctx, cf_err *e)
{
	struct archive *a = archive_read_new();
	struct archive_entry *entry;
	cf_code rc = CF_OK;
	size_t total = 0, files = 0;
	if (a == NULL)
		return cf_err_set(e, CF_E_INTERNAL, name, "out of memory");
	archive_read_support_filter_gzip(a);
	archive_read_support_format_zip(a);
	archive_read_support_format_raw(a); /* a lone gzip'ed file */
	if (archive_read_open_memory(a, buf, len) != ARCHIVE_OK)
		rc = cf_err_set(e, CF_E_INPUT, name, "not a readable archive: %s", archive_error_string(a));
	while (rc == CF_OK && archive_read_next_header(a, &entry) == ARCHIVE_OK) {
		uint8_t *data = NULL;
		size_t used = 0, cap = 0;
		if (++files > max_files) {
			rc = cf_err_set(e, CF_E_INPUT, name, "an archive of more than %zu files", max_files);
			break;
		}
		for (;;) {
			if (cap - used < 65536) {
				uint8_t *nd = realloc(data, cap = cap ? cap * 2 : 262144);
				if (nd == NULL) {
					rc = cf_err_set(e, CF_E_INTERNAL, name, "out of memory");
					break;
				}
				data = nd;
			}
			la_ssize_t got = archive_read_data(a, data + used, cap - used);
			if (got < 0) {
				rc = cf_err_set(e, CF_E_INPUT, name, "a damaged archive: %s", archive_error_string(a));
				break;
			}
			if (got == 0)
				break;
			used += (size_t)got;
			if ((total += (size_t)got) > max_bytes) {
				rc = cf_err_set(e, CF_E_INPUT, name, "unpacks to more than %zu MiB", max_bytes >> 20);
				break;
			}
		}
		if (rc == CF_OK && used > 0)
			rc = each(ctx, data, used, e);
		free(data);
	}
	archive_read_free(a);
	return rc;
}
